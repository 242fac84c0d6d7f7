//! What the service keeps between requests, and only that: failed attempts per account (so that
//! a PIN or a code cannot be guessed across calls), and the steps of codes already used (so that
//! a code opens a door once). Keyed by a one-way hash of the account's key ([`Identity`]); no
//! key, code, PIN or phone number is ever stored.
//!
//! Two backends with one meaning: [`memory`] (the default, bounded, per process) and
//! [`redis`] (`REDIS_URL`, shared by every replica). When the store cannot be reached, the
//! caller fails closed: a protected account is not opened.
//!
//! # The lockout
//!
//! After [`Policy::max_failures`] failures an account is locked for [`Policy::first_lock`];
//! each further failure doubles the lock, up to [`Policy::max_lock`]. A locked account refuses
//! even the right PIN or code. Failures are forgotten [`Policy::forget`] after the last one.

pub mod memory;
pub mod redis;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

/// The store's name for an account: the first 16 bytes of SHA-256 over a fixed label and the
/// account's key. One key has one identity whether it comes plain or in any of its sealed
/// tokens, and the key cannot be read back from it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Identity([u8; 16]);

impl Identity {
    /// The identity of the account whose key is `key`.
    pub fn of_key(key: &[u8]) -> Self {
        let digest = Sha256::new()
            .chain_update(b"yemot-2fa attempts v1\0")
            .chain_update(key)
            .finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        Self(id)
    }

    /// Lower-case hex, for key names.
    fn hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }
}

// Not a secret, but nothing a log needs either.
impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Identity(..)")
    }
}

/// How failures lock an account. Figures in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures allowed before the first lock.
    pub max_failures: u32,
    /// The first lock.
    pub first_lock: u64,
    /// The longest lock.
    pub max_lock: u64,
    /// How long after its last failure an account's failures are forgotten.
    pub forget: u64,
}

impl Policy {
    /// 5 failures, then 5 minutes, doubling up to a day; forgotten two days after the last.
    pub const DEFAULT: Self = Self {
        max_failures: 5,
        first_lock: 5 * 60,
        max_lock: 24 * 60 * 60,
        forget: 48 * 60 * 60,
    };

    /// How long `failures` failures lock an account, counted from the last one.
    pub fn lock_secs(&self, failures: u32) -> u64 {
        let Some(beyond) = failures.checked_sub(self.max_failures) else {
            return 0;
        };
        self.first_lock
            .checked_shl(beyond)
            .filter(|lock| *lock >> beyond == self.first_lock)
            .map_or(self.max_lock, |lock| lock.min(self.max_lock))
    }

    /// Whether `record` locks its account at `now`.
    pub fn status(&self, record: Record, now: u64) -> Status {
        let until = record.last.saturating_add(self.lock_secs(record.failures));
        if now < until {
            Status::Locked {
                retry_after: until - now,
            }
        } else {
            Status::Open
        }
    }
}

/// One account's failures: how many, and when the last was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Record {
    /// Failures not yet forgotten.
    pub failures: u32,
    /// Unix time of the last one.
    pub last: u64,
}

/// Whether an account may be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not locked.
    Open,
    /// Locked for this many more seconds.
    Locked {
        /// Seconds until the lock ends.
        retry_after: u64,
    },
}

/// The store could not be reached in time (Redis down or slow). Callers fail closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the attempt store cannot be reached")]
pub struct Unavailable;

/// The attempt store, cheap to clone: every clone shares the same records.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    policy: Policy,
    counts: Arc<Counts>,
}

/// What this process has seen, for `/metrics`.
#[derive(Debug, Default)]
struct Counts {
    failures: AtomicU64,
    lockouts: AtomicU64,
    errors: AtomicU64,
}

/// A snapshot of [`Store::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Failures this process counted.
    pub failures: u64,
    /// Failures that left their account locked.
    pub lockouts: u64,
    /// Times the store could not be reached.
    pub errors: u64,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<memory::Memory>),
    Redis(redis::Redis),
}

impl Store {
    /// Records in this process's memory, at most `capacity` accounts' worth of each kind.
    pub fn memory(capacity: u64) -> Self {
        Self {
            backend: Backend::Memory(Arc::new(memory::Memory::new(capacity, Policy::DEFAULT))),
            policy: Policy::DEFAULT,
            counts: Arc::default(),
        }
    }

    /// Records in Redis, shared by every replica that uses the same server. Connects lazily:
    /// a server that is down at start is tried again on each use.
    ///
    /// # Errors
    ///
    /// A fixed message for a `REDIS_URL` that is not a Redis address.
    pub fn redis(url: &str) -> Result<Self, &'static str> {
        Ok(Self {
            backend: Backend::Redis(redis::Redis::new(url, Policy::DEFAULT)?),
            policy: Policy::DEFAULT,
            counts: Arc::default(),
        })
    }

    /// Checks a `REDIS_URL` without connecting (and without needing a runtime).
    ///
    /// # Errors
    ///
    /// A fixed message when `url` is not a Redis address.
    pub fn redis_check(url: &str) -> Result<(), &'static str> {
        redis::Redis::check(url)
    }

    /// Which backend this is, for the start-up log line.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    /// The lockout rules.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// What this process has counted so far.
    pub fn stats(&self) -> Stats {
        Stats {
            failures: self.counts.failures.load(Ordering::Relaxed),
            lockouts: self.counts.lockouts.load(Ordering::Relaxed),
            errors: self.counts.errors.load(Ordering::Relaxed),
        }
    }

    /// Counts a store that could not be reached.
    fn unreachable<T>(&self, result: Result<T, Unavailable>) -> Result<T, Unavailable> {
        if result.is_err() {
            self.counts.errors.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// Whether `id` may be tried at `now`.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when the store cannot be reached.
    pub async fn status(&self, id: &Identity, now: u64) -> Result<Status, Unavailable> {
        let record = match &self.backend {
            Backend::Memory(memory) => memory.record(id),
            Backend::Redis(redis) => self.unreachable(redis.record(id).await)?,
        };
        Ok(self.policy.status(record, now))
    }

    /// Counts a failure of `id` at `now`; the status after it.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when the store cannot be reached.
    pub async fn fail(&self, id: &Identity, now: u64) -> Result<Status, Unavailable> {
        let record = match &self.backend {
            Backend::Memory(memory) => memory.fail(id, now),
            Backend::Redis(redis) => self.unreachable(redis.fail(id, now).await)?,
        };
        self.counts.failures.fetch_add(1, Ordering::Relaxed);
        let status = self.policy.status(record, now);
        if status != Status::Open {
            self.counts.lockouts.fetch_add(1, Ordering::Relaxed);
        }
        Ok(status)
    }

    /// Marks code step `step` of `id` as used, for `ttl` seconds; false when it already was.
    /// Atomic: of two replicas claiming one step at once, one wins.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when the store cannot be reached.
    pub async fn claim(&self, id: &Identity, step: u64, ttl: u64) -> Result<bool, Unavailable> {
        match &self.backend {
            Backend::Memory(memory) => Ok(memory.claim(id, step, ttl)),
            Backend::Redis(redis) => self.unreachable(redis.claim(id, step, ttl).await),
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::memory(memory::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Store({})", self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_for_five_minutes_then_each_doubles_up_to_a_day() {
        let p = Policy::DEFAULT;
        let locks: Vec<u64> = (0..=16).map(|n| p.lock_secs(n)).collect();
        assert_eq!(&locks[..5], &[0; 5]);
        assert_eq!(
            &locks[5..],
            &[
                300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 76800, 86400, 86400, 86400
            ]
        );
        assert_eq!(p.lock_secs(u32::MAX), 86400, "no overflow");
    }

    #[test]
    fn a_lock_counts_from_the_last_failure() {
        let p = Policy::DEFAULT;
        let record = Record {
            failures: 5,
            last: 1000,
        };
        assert_eq!(p.status(record, 1000), Status::Locked { retry_after: 300 });
        assert_eq!(p.status(record, 1299), Status::Locked { retry_after: 1 });
        assert_eq!(p.status(record, 1300), Status::Open);
        let fewer = Record {
            failures: 4,
            last: 1000,
        };
        assert_eq!(p.status(fewer, 1000), Status::Open);
    }

    #[test]
    fn identities_are_stable_and_do_not_show_the_key() {
        let a = Identity::of_key(b"12345678901234567890");
        assert_eq!(a, Identity::of_key(b"12345678901234567890"));
        assert_ne!(a, Identity::of_key(b"12345678901234567891"));
        assert_eq!(format!("{a:?}"), "Identity(..)");
        assert!(!a.hex().contains("3132333435"), "not the key in hex");
    }
}

//! What the service keeps between requests, and only that: the guesses made at each account
//! (so that a PIN or a code cannot be guessed across calls), and the steps of codes already used
//! (so that a code opens a door once). Keyed by one-way hashes ([`Identity`], [`SourceId`]); no
//! key, code, PIN or phone number is ever stored.
//!
//! Two backends with one meaning: [`memory`] (the default, bounded, per process) and
//! [`redis`] (`REDIS_URL`, shared by every replica).
//!
//! # Count first, then judge
//!
//! A guess takes its place in the count ([`Store::begin`]) *before* the PIN or code is compared,
//! in one atomic step (one locked map update in memory, one Lua script in Redis). So however
//! many guesses arrive at once, on however many replicas, at most the allowed number are ever
//! judged; the rest are told the account is locked. A right guess then gives its place back and
//! clears its source's failures ([`Store::right`]); a wrong one simply stays counted. When the
//! count cannot be taken (Redis down, slow, full or read-only; the memory store full), the
//! guess is not judged at all: the answer is the same whatever was typed.
//!
//! # Who is locked out
//!
//! Failures lock the *source* they came from ([`Source`]: one caller number, every call with no
//! number, every HTTP client), so a stranger's wrong PINs never lock the owner calling from their
//! own number. A caller number can be forged over HTTP, so sources never weaken the real bound:
//! every account also takes at most [`Policy::account_guesses`] guesses per
//! [`Policy::account_window`] over all its sources together, and past that it opens for nobody.
//!
//! # Nothing that matters is forgotten early
//!
//! Every record lives exactly as long as it means something (a source's failures
//! [`Policy::forget`] after its last, the account's count until its window ends, a used step
//! until its code can no longer be accepted) and is never evicted to make room: when the room is
//! full, new protected work is refused (fail closed) rather than an old record dropped.

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
        Self(hash16(&[b"yemot-2fa attempts v1\0", key]))
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

/// Where a guess comes from, as far as a lock goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// A phone caller, by their number as the phone system reported it, normalized (so that
    /// `+972 50…` and `050…` are one source).
    Caller(&'a str),
    /// Every phone call that came with no number, together.
    NoNumber,
    /// Every HTTP client, together: a program has no number it could be told apart by.
    Http,
}

// The number is personal data: never printed.
impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Caller(_) => "Caller(..)",
            Self::NoNumber => "NoNumber",
            Self::Http => "Http",
        })
    }
}

/// What is being guessed: an account's PIN and its codes are counted apart, so that knowing
/// one (and so getting it right) never clears the failures at the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The PIN in front of the account.
    Pin,
    /// A code the caller types (`mode=verify`, `/api/verify`).
    Code,
}

/// A source's name in the store, for one account and one target: a one-way hash of the
/// account's identity, the target and the source, so that one number's records for two
/// accounts cannot be linked, and the number cannot be read back without guessing it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceId([u8; 16]);

impl SourceId {
    fn new(account: &Identity, target: Target, source: Source<'_>) -> Self {
        let target: &[u8] = match target {
            Target::Pin => b"pin\0",
            Target::Code => b"code\0",
        };
        let (kind, number): (&[u8], &[u8]) = match source {
            Source::Caller(number) => (b"caller\0", number.as_bytes()),
            Source::NoNumber => (b"no-number\0", b""),
            Source::Http => (b"http\0", b""),
        };
        Self(hash16(&[
            b"yemot-2fa source v1\0",
            &account.0,
            target,
            kind,
            number,
        ]))
    }

    fn hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }
}

impl fmt::Debug for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SourceId(..)")
    }
}

fn hash16(parts: &[&[u8]]) -> [u8; 16] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

/// One guess at one account's PIN or code from one source: what [`Store::begin`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guess {
    account: Identity,
    source: SourceId,
}

impl Guess {
    /// A guess at `account`'s `target` from `source`.
    pub fn new(account: Identity, target: Target, source: Source<'_>) -> Self {
        Self {
            account,
            source: SourceId::new(&account, target, source),
        }
    }
}

/// How guesses lock an account. Figures in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures one source may make before its first lock.
    pub source_failures: u32,
    /// The first lock of a source.
    pub first_lock: u64,
    /// A source's longest lock; each failure after a lock doubles it up to this.
    pub max_lock: u64,
    /// How long after its last failure a source's failures are forgotten. At least
    /// [`Policy::max_lock`], so that a lock is never forgotten before it ends.
    pub forget: u64,
    /// Guesses an account takes per window over all its sources together, whoever makes them.
    pub account_guesses: u32,
    /// The account's window, counted from the first guess in it.
    pub account_window: u64,
}

impl Policy {
    /// Per source: 5 failures, then 5 minutes, doubling up to a day, forgotten a day after the
    /// last. Per account, over every source: 20 guesses a day.
    pub const DEFAULT: Self = Self {
        source_failures: 5,
        first_lock: 5 * 60,
        max_lock: 24 * 60 * 60,
        forget: 24 * 60 * 60,
        account_guesses: 20,
        account_window: 24 * 60 * 60,
    };

    /// How long `failures` failures lock a source, counted from the last one.
    pub fn lock_secs(&self, failures: u32) -> u64 {
        let Some(beyond) = failures.checked_sub(self.source_failures) else {
            return 0;
        };
        self.first_lock
            .checked_shl(beyond)
            .filter(|lock| *lock >> beyond == self.first_lock)
            .map_or(self.max_lock, |lock| lock.min(self.max_lock))
    }
}

/// A source's failures: how many, and when the last was (Unix seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failures not yet forgotten (guesses in flight included).
    pub count: u32,
    /// Unix time of the last.
    pub last: u64,
}

impl Failures {
    /// Seconds this source stays locked after `now`, if it is locked.
    fn locked(self, policy: &Policy, now: u64) -> Option<u64> {
        let until = self.last.saturating_add(policy.lock_secs(self.count));
        (now < until).then(|| until - now)
    }
}

/// What [`Store::begin`] says about a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted: judge it. If it turns out wrong and `locks_for` is set, that wrong guess has
    /// locked its source (or the account) for that many seconds.
    Judge {
        /// The lock a wrong guess leaves behind.
        locks_for: Option<u64>,
    },
    /// Not counted and not to be judged: locked for this many more seconds.
    Locked {
        /// Seconds until a guess may be made again.
        retry_after: u64,
    },
}

/// The store cannot take the count now: Redis down, slow, full or read-only, or the memory
/// store's room full. Callers fail closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the attempt store cannot take the count")]
pub struct Unavailable;

/// Why the server should not start with this store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// Redis may evict keys under memory pressure, and with them a lock or a used code.
    #[error(
        "REDIS_URL: the server's maxmemory-policy is {0}, which can evict a lock or a used code \
         under memory pressure; set it to noeviction (redis-cli CONFIG SET maxmemory-policy \
         noeviction, or maxmemory-policy noeviction in redis.conf)"
    )]
    EvictingPolicy(String),
}

/// The attempt store, cheap to clone: every clone shares the same records.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
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
    /// Wrong guesses this process judged.
    pub failures: u64,
    /// Wrong guesses that left their source or account locked.
    pub lockouts: u64,
    /// Times the store could not take a count or a claim.
    pub errors: u64,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<memory::Memory>),
    Redis(redis::Redis),
}

impl Store {
    /// Records in this process's memory: room for `capacity` records of each kind (sources'
    /// failures, accounts' counts, used steps).
    pub fn memory(capacity: u64) -> Self {
        Self::memory_with(capacity, Policy::DEFAULT)
    }

    /// As [`Store::memory`], under another policy (for tests of the figures).
    pub fn memory_with(capacity: u64, policy: Policy) -> Self {
        Self {
            backend: Backend::Memory(Arc::new(memory::Memory::new(capacity, policy))),
            counts: Arc::default(),
        }
    }

    /// Records in Redis, shared by every replica that uses the same server. Connects lazily:
    /// a server that is down at start is tried again on each use, and its eviction policy is
    /// checked before its first count is trusted.
    ///
    /// # Errors
    ///
    /// A fixed message for a `REDIS_URL` that is not a Redis address.
    pub fn redis(url: &str) -> Result<Self, &'static str> {
        Ok(Self {
            backend: Backend::Redis(redis::Redis::new(url, Policy::DEFAULT)?),
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

    /// At start: refuses a Redis whose eviction policy could drop a lock or a used code. A
    /// Redis that cannot be reached yet is not an error here: it is checked again before its
    /// first count, and until then protected accounts stay closed.
    ///
    /// # Errors
    ///
    /// [`StartError::EvictingPolicy`].
    pub async fn check_at_start(&self) -> Result<(), StartError> {
        match &self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Redis(redis) => match redis.ensure_policy().await {
                Err(redis::PolicyError::Evicting(policy)) => {
                    Err(StartError::EvictingPolicy(policy))
                }
                Err(redis::PolicyError::Unreachable) => {
                    tracing::warn!(
                        "REDIS_URL cannot be reached yet: PINs and typed codes are refused until it can"
                    );
                    Ok(())
                }
                Ok(()) => Ok(()),
            },
        }
    }

    /// Which backend this is, for the start-up log line.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    /// What this process has counted so far.
    pub fn stats(&self) -> Stats {
        Stats {
            failures: self.counts.failures.load(Ordering::Relaxed),
            lockouts: self.counts.lockouts.load(Ordering::Relaxed),
            errors: self.counts.errors.load(Ordering::Relaxed),
        }
    }

    /// Counts a store that could not answer.
    fn counted<T>(&self, result: Result<T, Unavailable>) -> Result<T, Unavailable> {
        if result.is_err() {
            self.counts.errors.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// Whether `guess`'s source or account is locked at `now`, without counting anything: to
    /// tell a locked caller so before they type.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when the store cannot answer.
    pub async fn locked(&self, guess: &Guess, now: u64) -> Result<Option<u64>, Unavailable> {
        let result = match &self.backend {
            Backend::Memory(memory) => Ok(memory.locked(guess, now)),
            Backend::Redis(redis) => Box::pin(redis.locked(guess, now)).await,
        };
        self.counted(result)
    }

    // Each Redis call's future is boxed: it is several KB, and inline it would grow the future
    // of every request that might reach the store, copied whole into the heap when a request
    // starts, Redis or not. A Redis call allocates anyway.

    /// Counts `guess` at `now`, before it is judged; see the module documentation.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when the count cannot be taken: do not judge the guess.
    pub async fn begin(&self, guess: &Guess, now: u64) -> Result<Attempt, Unavailable> {
        let result = match &self.backend {
            Backend::Memory(memory) => memory.begin(guess, now),
            Backend::Redis(redis) => Box::pin(redis.begin(guess, now)).await,
        };
        self.counted(result)
    }

    /// A counted guess was right (or a code already used, which only someone holding the key
    /// can type): its place is given back and its source's failures at that target are
    /// cleared.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when the store cannot take it; the guess then stays counted, which
    /// errs on the safe side.
    pub async fn right(&self, guess: &Guess) -> Result<(), Unavailable> {
        let result = match &self.backend {
            Backend::Memory(memory) => {
                memory.right(guess);
                Ok(())
            }
            Backend::Redis(redis) => Box::pin(redis.right(guess)).await,
        };
        self.counted(result)
    }

    /// A counted guess was wrong: it stays counted; this only keeps the figures for `/metrics`.
    pub fn wrong(&self, attempt: Attempt) {
        self.counts.failures.fetch_add(1, Ordering::Relaxed);
        if let Attempt::Judge { locks_for: Some(_) } = attempt {
            self.counts.lockouts.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Marks code step `step` of `id` as used, for `ttl` seconds from `now`; false when it
    /// already was. Atomic: of two replicas claiming one step at once, one wins.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when the store cannot take the claim: the code does not open.
    pub async fn claim(
        &self,
        id: &Identity,
        step: u64,
        ttl: u64,
        now: u64,
    ) -> Result<bool, Unavailable> {
        let result = match &self.backend {
            Backend::Memory(memory) => memory.claim(id, step, ttl, now),
            Backend::Redis(redis) => Box::pin(redis.claim(id, step, ttl)).await,
        };
        self.counted(result)
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
        assert!(
            p.forget >= p.max_lock,
            "a lock outlives its failures' memory"
        );
    }

    #[test]
    fn a_lock_counts_from_the_last_failure() {
        let p = Policy::DEFAULT;
        let five = Failures {
            count: 5,
            last: 1000,
        };
        assert_eq!(five.locked(&p, 1000), Some(300));
        assert_eq!(five.locked(&p, 1299), Some(1));
        assert_eq!(five.locked(&p, 1300), None);
        let four = Failures {
            count: 4,
            last: 1000,
        };
        assert_eq!(four.locked(&p, 1000), None);
    }

    #[test]
    fn identities_are_stable_and_do_not_show_the_key_or_the_number() {
        let a = Identity::of_key(b"12345678901234567890");
        assert_eq!(a, Identity::of_key(b"12345678901234567890"));
        assert_ne!(a, Identity::of_key(b"12345678901234567891"));
        assert_eq!(format!("{a:?}"), "Identity(..)");
        assert!(!a.hex().contains("3132333435"), "not the key in hex");

        let b = Identity::of_key(b"another key of twenty");
        let caller =
            |id: &Identity, n: &'static str| SourceId::new(id, Target::Pin, Source::Caller(n));
        assert_ne!(
            caller(&a, "0501234567"),
            caller(&b, "0501234567"),
            "unlinkable"
        );
        assert_ne!(caller(&a, "0501234567"), caller(&a, "0501234568"));
        assert_ne!(
            SourceId::new(&a, Target::Pin, Source::NoNumber),
            SourceId::new(&a, Target::Pin, Source::Http)
        );
        assert_ne!(
            SourceId::new(&a, Target::Pin, Source::Http),
            SourceId::new(&a, Target::Code, Source::Http)
        );
        let shown = format!(
            "{:?} {:?}",
            Source::Caller("0501234567"),
            caller(&a, "0501234567")
        );
        assert!(!shown.contains("050"), "{shown}");
        assert!(!caller(&a, "0501234567").hex().contains("3035303132"));
    }
}

//! The shared store: Redis (`REDIS_URL`), through one multiplexed connection that reconnects by
//! itself (redis-rs's `ConnectionManager`), so that every replica counts every guess and sees
//! every used code.
//!
//! # Keys
//!
//! Every key of one account shares its hash tag (`{<identity>}`), so the scripts that touch
//! two of them also run on a Redis Cluster.
//!
//! - `yemot-2fa:{<identity>}:s:<source>`: a hash, `f` failures and `l` the time of the last;
//!   expires [`Policy::forget`] after the last.
//! - `yemot-2fa:{<identity>}:a`: a hash, `g` guesses in the window and `e` the time it ends;
//!   expires with the window.
//! - `yemot-2fa:{<identity>}:u:<step>`: a used step, set with `NX` and the code's own expiry.
//!
//! About 150 to 200 bytes of Redis memory each. A guess is counted by one Lua script
//! ([`BEGIN`]), which Redis runs atomically: of any number of guesses sent at once to any
//! number of replicas, only the allowed number find a place. A Redis that cannot write (full
//! under `noeviction`, a read-only replica) makes the script fail, and the guess is not judged.
//!
//! Keys carry a lifetime, so a `volatile-*` or `allkeys-*` eviction policy could drop a lock or
//! a used code under memory pressure: the server refuses to start on such a Redis, and refuses
//! to count on one until it has checked ([`Redis::ensure_policy`]).
//!
//! Every command has a deadline ([`DEADLINE`]); past it the store is [`Unavailable`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use super::{Attempt, Guess, Identity, Policy, Unavailable};

/// The longest wait for Redis, per command: a phone caller is waiting.
pub const DEADLINE: Duration = Duration::from_millis(800);

/// What a bad `REDIS_URL` should look like instead.
const BAD: &str =
    "a Redis address such as redis://127.0.0.1:6379 or rediss://user:password@host:port";

/// The only eviction policy under which no key of ours can be dropped early.
const SAFE_POLICY: &str = "noeviction";

/// Counts a guess, or peeks (`ARGV[8] == "peek"`) without writing. Returns `{1, locks_for}`
/// when the guess may be judged (0: a wrong one locks nothing), `{0, retry_after}` when its
/// source or account is locked. The same rules as the memory store, in the service's clock
/// (`ARGV[1]`); Redis's own clock only expires keys.
pub const BEGIN: &str = r"
local now, maxf, first, maxl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local forget, cap, window = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local function lock(f)
  if f < maxf then return 0 end
  return math.min(maxl, math.floor(first * 2 ^ math.min(f - maxf, 40)))
end
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or 0)
local last = tonumber(redis.call('HGET', KEYS[1], 'l') or 0)
if last + forget <= now then f = 0 end
if now < last + lock(f) then return {0, last + lock(f) - now} end
local g = tonumber(redis.call('HGET', KEYS[2], 'g') or 0)
local ends = tonumber(redis.call('HGET', KEYS[2], 'e') or 0)
if ends <= now then g = 0 end
if g >= cap then return {0, math.max(ends - now, 1)} end
if ARGV[8] == 'peek' then return {1, 0} end
if g == 0 then ends = now + window end
redis.call('HSET', KEYS[1], 'f', f + 1, 'l', now)
redis.call('EXPIRE', KEYS[1], forget)
redis.call('HSET', KEYS[2], 'g', g + 1, 'e', ends)
redis.call('EXPIRE', KEYS[2], math.max(ends - now, 1))
local locks = lock(f + 1)
if g + 1 >= cap then locks = math.max(locks, ends - now, 1) end
return {1, locks}
";

/// A right guess: clears its source and gives its place in the account's window back.
pub const RIGHT: &str = r"
redis.call('DEL', KEYS[1])
local g = tonumber(redis.call('HGET', KEYS[2], 'g') or 0)
if g > 1 then redis.call('HINCRBY', KEYS[2], 'g', -1) elseif g == 1 then redis.call('DEL', KEYS[2]) end
return 1
";

/// A lazily connected Redis store.
#[derive(Clone)]
pub struct Redis {
    connection: ConnectionManager,
    policy: Policy,
    scripts: Arc<Scripts>,
}

struct Scripts {
    begin: Script,
    right: Script,
    /// Whether the server's eviction policy was seen to be safe.
    checked: AtomicBool,
    /// Whether an evicting policy was already logged.
    warned: AtomicBool,
}

/// What [`Redis::ensure_policy`] found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// The server could not be asked.
    Unreachable,
    /// The server may evict keys: its policy.
    Evicting(String),
}

impl Redis {
    /// Prepares a connection to `url`; nothing is sent until the first use.
    ///
    /// # Errors
    ///
    /// A fixed message when `url` is not a Redis address.
    pub fn new(url: &str, policy: Policy) -> Result<Self, &'static str> {
        let client = redis::Client::open(url.trim()).map_err(|_| BAD)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEADLINE))
            .set_response_timeout(Some(DEADLINE))
            .set_number_of_retries(1);
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(|_| BAD)?;
        Ok(Self {
            connection,
            policy,
            scripts: Arc::new(Scripts {
                begin: Script::new(BEGIN),
                right: Script::new(RIGHT),
                checked: AtomicBool::new(false),
                warned: AtomicBool::new(false),
            }),
        })
    }

    /// Checks `url` as [`Redis::new`] would, without preparing a connection.
    ///
    /// # Errors
    ///
    /// A fixed message when `url` is not a Redis address.
    pub fn check(url: &str) -> Result<(), &'static str> {
        redis::Client::open(url.trim()).map(|_| ()).map_err(|_| BAD)
    }

    fn keys(guess: &Guess) -> [String; 2] {
        let account = guess.account.hex();
        [
            format!("yemot-2fa:{{{account}}}:s:{}", guess.source.hex()),
            format!("yemot-2fa:{{{account}}}:a"),
        ]
    }

    /// Runs one command within [`DEADLINE`].
    async fn within<T>(
        command: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, Unavailable> {
        match tokio::time::timeout(DEADLINE, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) | Err(_) => Err(Unavailable),
        }
    }

    /// Asks the server for its `maxmemory-policy` (through `INFO memory`, which managed Redis
    /// services allow where `CONFIG` is often renamed), once it has answered `noeviction`.
    ///
    /// # Errors
    ///
    /// [`PolicyError`].
    pub async fn ensure_policy(&self) -> Result<(), PolicyError> {
        if self.scripts.checked.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut connection = self.connection.clone();
        let info: String = Self::within(
            redis::cmd("INFO")
                .arg("memory")
                .query_async(&mut connection),
        )
        .await
        .map_err(|_| PolicyError::Unreachable)?;
        let policy = info
            .lines()
            .find_map(|line| line.strip_prefix("maxmemory_policy:"))
            .map(str::trim)
            .unwrap_or("unknown");
        if policy != SAFE_POLICY {
            return Err(PolicyError::Evicting(policy.to_owned()));
        }
        self.scripts.checked.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// [`Redis::ensure_policy`] before a count: a Redis that may evict is not counted on.
    async fn ready(&self) -> Result<(), Unavailable> {
        match self.ensure_policy().await {
            Ok(()) => Ok(()),
            Err(PolicyError::Unreachable) => Err(Unavailable),
            Err(PolicyError::Evicting(policy)) => {
                if !self.scripts.warned.swap(true, Ordering::Relaxed) {
                    tracing::error!(%policy, "REDIS_URL may evict locks and used codes: PINs and typed codes are refused until its maxmemory-policy is noeviction");
                }
                Err(Unavailable)
            }
        }
    }

    async fn run_begin(&self, guess: &Guess, now: u64, peek: bool) -> Result<Attempt, Unavailable> {
        self.ready().await?;
        let p = &self.policy;
        let mut connection = self.connection.clone();
        let mut invocation = self.scripts.begin.prepare_invoke();
        invocation
            .key(Self::keys(guess).as_slice())
            .arg(now)
            .arg(p.source_failures)
            .arg(p.first_lock)
            .arg(p.max_lock)
            .arg(p.forget)
            .arg(p.account_guesses)
            .arg(p.account_window)
            .arg(if peek { "peek" } else { "count" });
        let (may, secs): (u8, u64) = Self::within(invocation.invoke_async(&mut connection)).await?;
        Ok(match may {
            1 => Attempt::Judge {
                locks_for: Some(secs).filter(|s| *s > 0),
            },
            _ => Attempt::Locked {
                retry_after: secs.max(1),
            },
        })
    }

    /// Seconds the source or account of `guess` stays locked after `now`, if it is.
    pub async fn locked(&self, guess: &Guess, now: u64) -> Result<Option<u64>, Unavailable> {
        Ok(match self.run_begin(guess, now, true).await? {
            Attempt::Judge { .. } => None,
            Attempt::Locked { retry_after } => Some(retry_after),
        })
    }

    /// Counts `guess` at `now` if its source and account may still guess, atomically.
    pub async fn begin(&self, guess: &Guess, now: u64) -> Result<Attempt, Unavailable> {
        self.run_begin(guess, now, false).await
    }

    /// A counted guess was right.
    pub async fn right(&self, guess: &Guess) -> Result<(), Unavailable> {
        let mut connection = self.connection.clone();
        let mut invocation = self.scripts.right.prepare_invoke();
        invocation.key(Self::keys(guess).as_slice());
        let _: i64 = Self::within(invocation.invoke_async(&mut connection)).await?;
        Ok(())
    }

    /// Marks step `step` of `id` used for `ttl` seconds; false when it already was.
    pub async fn claim(&self, id: &Identity, step: u64, ttl: u64) -> Result<bool, Unavailable> {
        self.ready().await?;
        let mut connection = self.connection.clone();
        let key = format!("yemot-2fa:{{{}}}:u:{step}", id.hex());
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::EX(ttl.max(1)));
        let set: Option<String> = Self::within(connection.set_options(&key, 1, options)).await?;
        Ok(set.is_some())
    }
}

//! The shared store: Redis (`REDIS_URL`), through one multiplexed connection that reconnects by
//! itself (redis-rs's `ConnectionManager`), so that every replica sees every failure and every
//! used code.
//!
//! # Keys
//!
//! - `yemot-2fa:fail:<identity>`: a hash, `f` failures and `l` the Unix time of the last,
//!   expiring [`Policy::forget`] after the last failure (set in one MULTI/EXEC).
//! - `yemot-2fa:used:<identity>:<step>`: set with `NX` and its own expiry; the first replica to
//!   set it wins.
//!
//! Every command has a deadline ([`DEADLINE`]); past it the store is [`Unavailable`].

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Identity, Policy, Record, Unavailable};

/// The longest wait for Redis, per command: a phone caller is waiting.
pub const DEADLINE: Duration = Duration::from_millis(800);

/// What a bad `REDIS_URL` should look like instead.
const BAD: &str =
    "a Redis address such as redis://127.0.0.1:6379 or rediss://user:password@host:port";

/// A lazily connected Redis store.
#[derive(Clone)]
pub struct Redis {
    connection: ConnectionManager,
    forget: u64,
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
            forget: policy.forget,
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

    fn failures_key(id: &Identity) -> String {
        format!("yemot-2fa:fail:{}", id.hex())
    }

    /// Runs one command within [`DEADLINE`].
    async fn within<T>(
        &self,
        command: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, Unavailable> {
        match tokio::time::timeout(DEADLINE, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) | Err(_) => Err(Unavailable),
        }
    }

    /// The failures of `id`.
    pub async fn record(&self, id: &Identity) -> Result<Record, Unavailable> {
        let mut connection = self.connection.clone();
        let key = Self::failures_key(id);
        let (failures, last): (Option<u32>, Option<u64>) = self
            .within(
                redis::cmd("HMGET")
                    .arg(&key)
                    .arg("f")
                    .arg("l")
                    .query_async(&mut connection),
            )
            .await?;
        Ok(Record {
            failures: failures.unwrap_or(0),
            last: last.unwrap_or(0),
        })
    }

    /// Counts one more failure of `id` at `now`, atomically.
    pub async fn fail(&self, id: &Identity, now: u64) -> Result<Record, Unavailable> {
        let mut connection = self.connection.clone();
        let key = Self::failures_key(id);
        let mut transaction = redis::pipe();
        transaction
            .atomic()
            .hincr(&key, "f", 1)
            .hset(&key, "l", now)
            .ignore()
            .expire(&key, i64::try_from(self.forget).unwrap_or(i64::MAX))
            .ignore();
        let (failures,): (u32,) = self
            .within(transaction.query_async(&mut connection))
            .await?;
        Ok(Record {
            failures,
            last: now,
        })
    }

    /// Marks step `step` of `id` used for `ttl` seconds; false when it already was.
    pub async fn claim(&self, id: &Identity, step: u64, ttl: u64) -> Result<bool, Unavailable> {
        let mut connection = self.connection.clone();
        let key = format!("yemot-2fa:used:{}:{step}", id.hex());
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::EX(ttl.max(1)));
        let set: Option<String> = self
            .within(connection.set_options(&key, 1, options))
            .await?;
        Ok(set.is_some())
    }
}

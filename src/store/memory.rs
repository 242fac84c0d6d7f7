//! The in-memory store: two bounded caches (moka), one of failure records and one of used code
//! steps, each entry expiring on its own. Bounded by entry count, so a flood of distinct
//! accounts cannot grow the process without limit; moka's admission policy (TinyLFU) prefers
//! records that are hit often, such as one under attack, over a flood of one-off entries.

use std::time::{Duration, Instant};

use moka::Expiry;
use moka::ops::compute::Op;
use moka::sync::Cache;

use super::{Identity, Policy, Record};

/// Entries of each kind kept when `LIMITER_CAPACITY` is unset.
pub const DEFAULT_CAPACITY: u64 = 50_000;

/// Failure records and used steps, in this process.
pub struct Memory {
    failures: Cache<Identity, Record>,
    used: Cache<(Identity, u64), Ttl>,
}

/// A used step's lifetime, carried with it so that the cache can expire it.
#[derive(Clone, Copy)]
struct Ttl(u64);

/// Failure records live [`Policy::forget`] after their last failure; used steps as long as
/// they were claimed for.
struct Lifetimes {
    forget: Duration,
}

impl Expiry<Identity, Record> for Lifetimes {
    fn expire_after_create(&self, _: &Identity, _: &Record, _: Instant) -> Option<Duration> {
        Some(self.forget)
    }

    fn expire_after_update(
        &self,
        _: &Identity,
        _: &Record,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.forget)
    }
}

impl Expiry<(Identity, u64), Ttl> for Lifetimes {
    fn expire_after_create(&self, _: &(Identity, u64), ttl: &Ttl, _: Instant) -> Option<Duration> {
        Some(Duration::from_secs(ttl.0))
    }
}

impl Memory {
    /// Room for `capacity` records of each kind.
    pub fn new(capacity: u64, policy: Policy) -> Self {
        let forget = Duration::from_secs(policy.forget);
        Self {
            failures: Cache::builder()
                .max_capacity(capacity)
                .expire_after(Lifetimes { forget })
                .build(),
            used: Cache::builder()
                .max_capacity(capacity)
                .expire_after(Lifetimes { forget })
                .build(),
        }
    }

    /// The failures of `id` (none when unknown).
    pub fn record(&self, id: &Identity) -> Record {
        self.failures.get(id).unwrap_or_default()
    }

    /// Counts one more failure of `id` at `now`, atomically.
    pub fn fail(&self, id: &Identity, now: u64) -> Record {
        let result = self.failures.entry(*id).and_compute_with(|entry| {
            let before = entry.map(|e| e.into_value()).unwrap_or_default();
            Op::Put(Record {
                failures: before.failures.saturating_add(1),
                last: now,
            })
        });
        result
            .into_entry()
            .map(|e| e.into_value())
            .unwrap_or_default()
    }

    /// Marks step `step` of `id` used for `ttl` seconds; false when it already was.
    pub fn claim(&self, id: &Identity, step: u64, ttl: u64) -> bool {
        self.used.entry((*id, step)).or_insert(Ttl(ttl)).is_fresh()
    }

    /// How many records of each kind are held, after pending evictions: for tests and the
    /// memory figures in README.
    pub fn counts(&self) -> (u64, u64) {
        self.failures.run_pending_tasks();
        self.used.run_pending_tasks();
        (self.failures.entry_count(), self.used.entry_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_add_up_and_steps_are_claimed_once() {
        let memory = Memory::new(100, Policy::DEFAULT);
        let id = Identity::of_key(b"a key of at least ten");
        assert_eq!(memory.record(&id), Record::default());
        assert_eq!(memory.fail(&id, 10).failures, 1);
        assert_eq!(
            memory.fail(&id, 20),
            Record {
                failures: 2,
                last: 20
            }
        );
        assert!(memory.claim(&id, 7, 60));
        assert!(!memory.claim(&id, 7, 60), "the same step again");
        assert!(memory.claim(&id, 8, 60));
        let other = Identity::of_key(b"another key of ten!");
        assert_eq!(
            memory.record(&other),
            Record::default(),
            "one account's failures only"
        );
        assert!(memory.claim(&other, 7, 60));
    }

    #[test]
    fn an_account_under_attack_keeps_its_failures_through_a_flood() {
        let memory = Memory::new(1_000, Policy::DEFAULT);
        let junk = |range: std::ops::Range<u32>| {
            for n in range {
                memory.fail(&Identity::of_key(&n.to_be_bytes()), 1);
            }
        };
        // A server in use: the cache is full of other accounts' records.
        junk(0..2_000);
        memory.counts();
        // An attacker guesses the victim's PIN (each guess is checked, then counted), then
        // floods the cache with one-off accounts to push the victim's record out.
        let victim = Identity::of_key(b"the victim's own key");
        for _ in 0..4 {
            memory.record(&victim);
            memory.fail(&victim, 1);
        }
        junk(10_000..20_000);
        memory.counts();
        assert_eq!(
            memory.record(&victim).failures,
            4,
            "a flood of ten times the capacity"
        );
    }

    #[test]
    fn a_flood_of_distinct_accounts_stays_within_the_capacity() {
        let memory = Memory::new(1_000, Policy::DEFAULT);
        for n in 0u32..20_000 {
            memory.fail(&Identity::of_key(&n.to_be_bytes()), 1);
        }
        let (failures, _) = memory.counts();
        assert!(failures <= 1_000, "{failures} records held");
    }
}

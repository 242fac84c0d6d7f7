//! The in-memory store: three bounded rooms behind one lock (sources' failures, accounts'
//! guesses, used code steps), each record expiring on its own by the clock the requests bring.
//!
//! A room never evicts to make space: a record that matters (a lock, a used step, an account's
//! count) is kept until it expires, and when a room is full of live records a new one is
//! refused, so the guess it belongs to is not judged (fail closed). Expired records are swept
//! when a room is full, at most once per second of the clock, so a full room costs one pass
//! over it per second, not one per request.
//!
//! Memory: a record is a 16-byte identity (and a 16-byte source or an 8-byte step), its count and
//! time, and 8 bytes of expiry, plus the hash map's spare room. Measured (README, "What the
//! server keeps"): the three rooms full at the default capacity take about 17 MB;
//! `LIMITER_CAPACITY` sets each room's size.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{Attempt, Failures, Guess, Identity, Policy, SourceId, Unavailable};

/// Records of each kind kept when `LIMITER_CAPACITY` is unset.
pub const DEFAULT_CAPACITY: u64 = crate::config::DEFAULT_LIMITER_CAPACITY;

/// Guesses and used steps, in this process.
pub struct Memory {
    policy: Policy,
    rooms: Mutex<Rooms>,
}

struct Rooms {
    sources: Room<(Identity, SourceId), Failures>,
    accounts: Room<Identity, Window>,
    used: Room<(Identity, u64), ()>,
}

/// An account's guesses in its current window.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    guesses: u32,
    /// Unix time at which the window ends.
    ends: u64,
}

/// A bounded map whose records expire at a Unix time of their own.
struct Room<K, V> {
    records: HashMap<K, (V, u64)>,
    capacity: usize,
    swept_at: Option<u64>,
}

impl<K: Eq + Hash + Copy, V: Copy> Room<K, V> {
    fn new(capacity: u64) -> Self {
        Self {
            records: HashMap::new(),
            capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
            swept_at: None,
        }
    }

    /// The live record of `key` at `now`.
    fn get(&self, key: &K, now: u64) -> Option<V> {
        self.records
            .get(key)
            .filter(|(_, expires)| now < *expires)
            .map(|(value, _)| *value)
    }

    /// Whether `key` can be written at `now`: it has a record already, or there is room for
    /// one (after sweeping out expired records, at most once per second).
    fn has_room(&mut self, key: &K, now: u64) -> bool {
        if self.records.len() < self.capacity || self.records.contains_key(key) {
            return true;
        }
        if self.swept_at != Some(now) {
            self.swept_at = Some(now);
            self.records.retain(|_, (_, expires)| now < *expires);
        }
        self.records.len() < self.capacity
    }

    /// Writes `key`; the caller checked [`Room::has_room`] first.
    fn put(&mut self, key: K, value: V, expires: u64) {
        self.records.insert(key, (value, expires));
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        self.records.remove(key).map(|(value, _)| value)
    }

    fn len(&self) -> usize {
        self.records.len()
    }
}

impl Memory {
    /// Room for `capacity` records of each kind, under `policy`.
    pub fn new(capacity: u64, policy: Policy) -> Self {
        Self {
            policy,
            rooms: Mutex::new(Rooms {
                sources: Room::new(capacity),
                accounts: Room::new(capacity),
                used: Room::new(capacity),
            }),
        }
    }

    /// The rooms. A panic while holding them leaves no half-written record (each write is one
    /// `insert`), so a poisoned lock is safe to take.
    fn rooms(&self) -> MutexGuard<'_, Rooms> {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Seconds the source or account of `guess` stays locked after `now`, if it is.
    pub fn locked(&self, guess: &Guess, now: u64) -> Option<u64> {
        let rooms = self.rooms();
        let source = rooms
            .sources
            .get(&(guess.account, guess.source), now)
            .unwrap_or_default();
        let account = rooms.accounts.get(&guess.account, now).unwrap_or_default();
        self.refusal(source, account, now)
    }

    fn refusal(&self, source: Failures, account: Window, now: u64) -> Option<u64> {
        source.locked(&self.policy, now).or_else(|| {
            (account.guesses >= self.policy.account_guesses)
                .then(|| account.ends.saturating_sub(now).max(1))
        })
    }

    /// Counts `guess` at `now` if its source and account may still guess; one update under
    /// one lock, so no two guesses can take the same place.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when a room is full of live records.
    pub fn begin(&self, guess: &Guess, now: u64) -> Result<Attempt, Unavailable> {
        let policy = &self.policy;
        let mut rooms = self.rooms();
        let source_key = (guess.account, guess.source);
        let source = rooms.sources.get(&source_key, now).unwrap_or_default();
        let account = rooms.accounts.get(&guess.account, now).unwrap_or_default();
        if let Some(retry_after) = self.refusal(source, account, now) {
            return Ok(Attempt::Locked { retry_after });
        }
        if !rooms.sources.has_room(&source_key, now)
            || !rooms.accounts.has_room(&guess.account, now)
        {
            return Err(Unavailable);
        }
        let source = Failures {
            count: source.count.saturating_add(1),
            last: now,
        };
        let account = Window {
            guesses: account.guesses + 1,
            ends: if account.guesses == 0 {
                now.saturating_add(policy.account_window)
            } else {
                account.ends
            },
        };
        rooms
            .sources
            .put(source_key, source, now.saturating_add(policy.forget));
        rooms.accounts.put(guess.account, account, account.ends);
        let source_lock = Some(policy.lock_secs(source.count)).filter(|secs| *secs > 0);
        let account_lock = (account.guesses >= policy.account_guesses)
            .then(|| account.ends.saturating_sub(now).max(1));
        Ok(Attempt::Judge {
            locks_for: source_lock.max(account_lock),
        })
    }

    /// A counted guess was right: its place in the account's window is given back and its
    /// source's failures are cleared.
    pub fn right(&self, guess: &Guess) {
        let mut rooms = self.rooms();
        rooms.sources.remove(&(guess.account, guess.source));
        if let Some(mut account) = rooms.accounts.remove(&guess.account)
            && account.guesses > 1
        {
            account.guesses -= 1;
            rooms.accounts.put(guess.account, account, account.ends);
        }
    }

    /// Marks step `step` of `id` used until `now + ttl`; false when it already was.
    ///
    /// # Errors
    ///
    /// [`Unavailable`] when the room for used steps is full of live records.
    pub fn claim(&self, id: &Identity, step: u64, ttl: u64, now: u64) -> Result<bool, Unavailable> {
        let mut rooms = self.rooms();
        let key = (*id, step);
        if rooms.used.get(&key, now).is_some() {
            return Ok(false);
        }
        if !rooms.used.has_room(&key, now) {
            return Err(Unavailable);
        }
        rooms.used.put(key, (), now.saturating_add(ttl.max(1)));
        Ok(true)
    }

    /// How many records each room holds (sources, accounts, used steps), expired ones
    /// included until a sweep: for tests and the memory figures in README.
    pub fn counts(&self) -> (usize, usize, usize) {
        let rooms = self.rooms();
        (rooms.sources.len(), rooms.accounts.len(), rooms.used.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Source, Target};
    use super::*;

    fn guess(key: &[u8], source: Source<'_>) -> Guess {
        Guess::new(Identity::of_key(key), Target::Pin, source)
    }

    const VICTIM: &[u8] = b"the victim's own key";

    #[test]
    fn a_source_takes_five_guesses_then_is_locked_and_the_fifth_says_so() {
        let memory = Memory::new(100, Policy::DEFAULT);
        let g = guess(VICTIM, Source::Caller("0529999999"));
        for n in 1..=4 {
            assert_eq!(
                memory.begin(&g, 10),
                Ok(Attempt::Judge { locks_for: None }),
                "guess {n}"
            );
        }
        assert_eq!(
            memory.begin(&g, 10),
            Ok(Attempt::Judge {
                locks_for: Some(300)
            })
        );
        assert_eq!(
            memory.begin(&g, 11),
            Ok(Attempt::Locked { retry_after: 299 })
        );
        assert_eq!(memory.locked(&g, 309), Some(1));
        // After the lock, one more wrong guess locks for twice as long.
        assert_eq!(
            memory.begin(&g, 310),
            Ok(Attempt::Judge {
                locks_for: Some(600)
            })
        );
    }

    #[test]
    fn a_strangers_failures_leave_another_number_free_and_a_right_guess_clears_its_own() {
        let memory = Memory::new(100, Policy::DEFAULT);
        let stranger = guess(VICTIM, Source::Caller("0529999999"));
        let owner = guess(VICTIM, Source::Caller("0501234567"));
        for _ in 0..5 {
            memory.begin(&stranger, 10).unwrap();
        }
        assert!(memory.locked(&stranger, 10).is_some());
        assert_eq!(memory.locked(&owner, 10), None);
        // The owner's own slip, then the right PIN: their source is clean again.
        memory.begin(&owner, 10).unwrap();
        memory.begin(&owner, 10).unwrap();
        memory.right(&owner);
        assert_eq!(
            memory.counts().0,
            1,
            "only the stranger's failures are left"
        );
    }

    #[test]
    fn the_account_bound_holds_over_every_source_and_a_right_guess_gives_its_place_back() {
        let policy = Policy::DEFAULT;
        let memory = Memory::new(1_000, policy);
        let numbers: Vec<String> = (0..100).map(|n| format!("05000000{n:02}")).collect();
        let mut judged = 0;
        for number in &numbers {
            for _ in 0..3 {
                if let Ok(Attempt::Judge { .. }) =
                    memory.begin(&guess(VICTIM, Source::Caller(number)), 100)
                {
                    judged += 1;
                }
            }
        }
        assert_eq!(judged, policy.account_guesses);
        let owner = guess(VICTIM, Source::Caller("0501234567"));
        assert_eq!(
            memory.begin(&owner, 100),
            Ok(Attempt::Locked {
                retry_after: policy.account_window
            }),
            "everyone, the owner too"
        );
        assert_eq!(
            memory
                .begin(&owner, 100 + policy.account_window)
                .map(|_| ()),
            Ok(())
        );

        // Right guesses do not use the window up.
        let memory = Memory::new(1_000, policy);
        for _ in 0..100 {
            assert!(matches!(memory.begin(&owner, 5), Ok(Attempt::Judge { .. })));
            memory.right(&owner);
        }
        assert_eq!(memory.counts(), (0, 0, 0));
    }

    #[test]
    fn parallel_guesses_take_at_most_the_allowed_places() {
        let memory = std::sync::Arc::new(Memory::new(1_000, Policy::DEFAULT));
        let judged = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..25 {
                        let g = guess(VICTIM, Source::Http);
                        if let Ok(Attempt::Judge { .. }) = memory.begin(&g, 7) {
                            judged.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(judged.into_inner(), Policy::DEFAULT.source_failures);
    }

    #[test]
    fn a_full_room_refuses_new_records_and_keeps_every_lock_and_used_step() {
        let memory = Memory::new(100, Policy::DEFAULT);
        let victim = guess(VICTIM, Source::Http);
        for _ in 0..5 {
            memory.begin(&victim, 1).unwrap();
        }
        let id = Identity::of_key(VICTIM);
        assert_eq!(memory.claim(&id, 42, 90, 1), Ok(true));
        // A flood of ten times the room, on keys of the attacker's own.
        let (mut refused, mut claims_refused) = (0, 0);
        for n in 0u32..1_000 {
            let key = n.to_be_bytes();
            if memory.begin(&guess(&key, Source::Http), 2).is_err() {
                refused += 1;
            }
            if memory.claim(&Identity::of_key(&key), 42, 90, 2).is_err() {
                claims_refused += 1;
            }
        }
        assert_eq!((refused, claims_refused), (901, 901));
        assert_eq!(
            memory.locked(&victim, 3),
            Some(298),
            "the lock is still there"
        );
        assert_eq!(
            memory.claim(&id, 42, 90, 3),
            Ok(false),
            "the step is still used"
        );
        let (sources, accounts, used) = memory.counts();
        assert!(sources <= 100 && accounts <= 100 && used <= 100);
        // Records expire on their own; then the room takes new ones again.
        assert_eq!(memory.claim(&id, 43, 90, 200), Ok(true));
        // The victim's records came at 1 and the flood's at 2, each for a day.
        assert!(memory.begin(&guess(b"new", Source::Http), 86_400).is_err());
        assert!(memory.begin(&guess(b"new", Source::Http), 86_402).is_ok());
    }
}

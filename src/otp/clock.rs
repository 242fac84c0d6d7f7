//! The time source. Codes are a function of the time, so tests pin or move the clock instead of
//! racing the real one.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where "now" comes from.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The operating system's clock: what production uses.
    #[default]
    System,
    /// A clock that reads whatever was last set: for tests, which can move it across a step,
    /// or before 1970 to see the fault a broken system clock gives.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// A manual clock showing `unix_seconds`.
    pub fn manual(unix_seconds: u64) -> Self {
        Self::Manual(Arc::new(AtomicI64::new(
            i64::try_from(unix_seconds).unwrap_or(i64::MAX),
        )))
    }

    /// Sets a manual clock; does nothing to the system clock.
    pub fn set(&self, unix_seconds: u64) {
        self.set_signed(i64::try_from(unix_seconds).unwrap_or(i64::MAX));
    }

    /// Sets a manual clock to any time, before 1970 included.
    pub fn set_signed(&self, unix_seconds: i64) {
        if let Self::Manual(t) = self {
            t.store(unix_seconds, Ordering::Relaxed);
        }
    }

    /// Seconds since the Unix epoch.
    ///
    /// # Errors
    ///
    /// [`ClockError`] when the system clock reads before 1970: every code would be wrong, so
    /// callers refuse to compute one rather than panic (as totp-rs' `generate_current` would).
    pub fn now(&self) -> Result<u64, ClockError> {
        match self {
            Self::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .map_err(|_| ClockError),
            Self::Manual(t) => u64::try_from(t.load(Ordering::Relaxed)).map_err(|_| ClockError),
        }
    }
}

/// The system clock reads before 1970.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system clock reads before 1970")]
pub struct ClockError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_set() {
        let clock = Clock::manual(59);
        assert_eq!(clock.now(), Ok(59));
        clock.clone().set(60);
        assert_eq!(clock.now(), Ok(60), "clones share one time");
        assert!(Clock::System.now().unwrap() > 1_700_000_000);
        clock.set_signed(-1);
        assert_eq!(clock.now(), Err(ClockError));
    }
}

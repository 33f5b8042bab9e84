//! Rate limits keyed on what identifies a person, not on addresses: all i-mode users arrive
//! from about nine address blocks, so a per-IP limit would lock out thousands together and not
//! stop one abuser (security.md §6, S-31, S-32).
//!
//! Counts live in memory per process; a deployment of several processes multiplies the limit
//! by their number, which still bounds a brute force to a few dozen guesses an hour.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ashiato_core::Timestamp;

/// Failed logins allowed per account within the window before the account's login pauses.
pub const LOGIN_FAILURES: u32 = 10;
/// The window, in milliseconds (15 minutes).
pub const LOGIN_WINDOW_MS: i64 = 15 * 60 * 1000;

/// Counts events per key in fixed windows.
#[derive(Clone, Debug, Default)]
pub struct Limiter {
    windows: Arc<Mutex<HashMap<String, (i64, u32)>>>,
}

impl Limiter {
    /// Whether `key` is over `max` events in the window that contains `now`.
    pub fn is_limited(&self, key: &str, max: u32, window_ms: i64, now: Timestamp) -> bool {
        let map = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key).is_some_and(|(start, n)| now.0 - start < window_ms && *n >= max)
    }

    /// Counts one event for `key`.
    pub fn note(&self, key: &str, window_ms: i64, now: Timestamp) {
        let mut map = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.0 - *start < window_ms);
        }
        let entry = map.entry(key.to_owned()).or_insert((now.0, 0));
        if now.0 - entry.0 >= window_ms {
            *entry = (now.0, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Forgets `key` (a successful login).
    pub fn clear(&self, key: &str) {
        self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_and_reset() {
        let l = Limiter::default();
        let t = Timestamp(1_000_000);
        for _ in 0..LOGIN_FAILURES {
            assert!(!l.is_limited("a@example.jp", LOGIN_FAILURES, LOGIN_WINDOW_MS, t));
            l.note("a@example.jp", LOGIN_WINDOW_MS, t);
        }
        assert!(l.is_limited("a@example.jp", LOGIN_FAILURES, LOGIN_WINDOW_MS, t));
        assert!(
            !l.is_limited("b@example.jp", LOGIN_FAILURES, LOGIN_WINDOW_MS, t),
            "other accounts are unaffected"
        );
        assert!(!l.is_limited(
            "a@example.jp",
            LOGIN_FAILURES,
            LOGIN_WINDOW_MS,
            t.plus_millis(LOGIN_WINDOW_MS)
        ));
        l.note("a@example.jp", LOGIN_WINDOW_MS, t);
        l.clear("a@example.jp");
        assert!(!l.is_limited("a@example.jp", LOGIN_FAILURES, LOGIN_WINDOW_MS, t));
    }
}

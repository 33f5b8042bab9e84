//! Rate limits keyed on what identifies a person, not on addresses: all i-mode users arrive
//! from about nine address blocks, so a per-IP limit would lock out thousands together and not
//! stop one abuser (security.md §6, S-31, S-32).
//!
//! Password logins have two limits, neither of which lets a stranger keep a member out:
//! - **per account, a slowdown**: after [`LOGIN_FREE_FAILURES`] failed passwords in the window,
//!   each further try must wait twice as long as the last (1 s, 2 s, 4 s … up to
//!   [`LOGIN_MAX_DELAY_MS`]). Guessing becomes hopeless; the member still gets in after a
//!   short wait, and a successful easy login or a password reset lifts the slowdown at once.
//! - **per source address, a pause**, only outside the carriers' gateway ranges (where one
//!   address is one network, not a million handsets): [`LOGIN_SOURCE_FAILURES`] failures in
//!   the window pause every password login from that address (an IPv6 address counts by its
//!   /64), which stops one machine trying many accounts.
//!
//! Counts live in memory per process; a deployment of several processes multiplies the limits
//! by their number, which still bounds a brute force to a few dozen guesses an hour.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ashiato_core::Timestamp;

/// Failed passwords per account within the window before each try has to wait.
pub const LOGIN_FREE_FAILURES: u32 = 5;
/// The longest wait between tries on one account (5 minutes).
pub const LOGIN_MAX_DELAY_MS: i64 = 5 * 60 * 1000;
/// Failed passwords per source address (outside carrier gateways) within the window before
/// logins from it pause.
pub const LOGIN_SOURCE_FAILURES: u32 = 30;
/// The window, in milliseconds (15 minutes).
pub const LOGIN_WINDOW_MS: i64 = 15 * 60 * 1000;

/// One key's window: when it started, how many events, the last one.
#[derive(Clone, Copy, Debug)]
struct Window {
    start: i64,
    count: u32,
    last: i64,
}

/// Counts events per key in fixed windows.
#[derive(Clone, Debug, Default)]
pub struct Limiter {
    windows: Arc<Mutex<HashMap<String, Window>>>,
}

impl Limiter {
    /// Whether `key` is over `max` events in the window that contains `now`.
    pub fn is_limited(&self, key: &str, max: u32, window_ms: i64, now: Timestamp) -> bool {
        let map = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key).is_some_and(|w| now.0 - w.start < window_ms && w.count >= max)
    }

    /// How many milliseconds `key` must still wait before its next try: nothing for the first
    /// `free` events of a window, then 1 s after the last event, doubling with each further
    /// event, up to `max_delay_ms`.
    pub fn wait_ms(
        &self,
        key: &str,
        free: u32,
        max_delay_ms: i64,
        window_ms: i64,
        now: Timestamp,
    ) -> i64 {
        let map = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(w) = map.get(key).filter(|w| now.0 - w.start < window_ms && w.count >= free)
        else {
            return 0;
        };
        let doublings = (w.count - free).min(30);
        let delay = (1000_i64 << doublings).min(max_delay_ms);
        (w.last + delay - now.0).max(0)
    }

    /// Counts one event for `key`.
    pub fn note(&self, key: &str, window_ms: i64, now: Timestamp) {
        let mut map = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, w| now.0 - w.start < window_ms);
        }
        let entry =
            map.entry(key.to_owned()).or_insert(Window { start: now.0, count: 0, last: now.0 });
        if now.0 - entry.start >= window_ms {
            *entry = Window { start: now.0, count: 0, last: now.0 };
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now.0;
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
        let max = LOGIN_SOURCE_FAILURES;
        for _ in 0..max {
            assert!(!l.is_limited("203.0.113.9", max, LOGIN_WINDOW_MS, t));
            l.note("203.0.113.9", LOGIN_WINDOW_MS, t);
        }
        assert!(l.is_limited("203.0.113.9", max, LOGIN_WINDOW_MS, t));
        assert!(!l.is_limited("203.0.113.10", max, LOGIN_WINDOW_MS, t), "others unaffected");
        let later = t.plus_millis(LOGIN_WINDOW_MS);
        assert!(!l.is_limited("203.0.113.9", max, LOGIN_WINDOW_MS, later));
        l.note("203.0.113.9", LOGIN_WINDOW_MS, t);
        l.clear("203.0.113.9");
        assert!(!l.is_limited("203.0.113.9", max, LOGIN_WINDOW_MS, t));
    }

    #[test]
    fn the_account_slowdown_doubles_and_is_capped() {
        let l = Limiter::default();
        let key = "a@example.jp";
        let wait = |at: i64| {
            l.wait_ms(key, LOGIN_FREE_FAILURES, LOGIN_MAX_DELAY_MS, LOGIN_WINDOW_MS, Timestamp(at))
        };
        for i in 0..LOGIN_FREE_FAILURES {
            assert_eq!(wait(i64::from(i)), 0, "the first tries never wait");
            l.note(key, LOGIN_WINDOW_MS, Timestamp(i64::from(i)));
        }
        let last = i64::from(LOGIN_FREE_FAILURES - 1);
        assert_eq!(wait(last), 1000);
        assert_eq!(wait(last + 400), 600);
        assert_eq!(wait(last + 1000), 0, "after the wait the member may try again");
        l.note(key, LOGIN_WINDOW_MS, Timestamp(last + 1000));
        assert_eq!(wait(last + 1000), 2000, "each further failure doubles it");
        for n in 0..20 {
            l.note(key, LOGIN_WINDOW_MS, Timestamp(last + 2000 + n));
        }
        assert_eq!(wait(last + 2019), LOGIN_MAX_DELAY_MS, "capped");
        assert_eq!(wait(last + 2019 + LOGIN_WINDOW_MS), 0, "a new window starts clean");
        l.clear(key);
        assert_eq!(wait(last + 2019), 0, "a reset or an easy login lifts it");
    }
}

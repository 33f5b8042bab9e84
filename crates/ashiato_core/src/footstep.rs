//! Footsteps (あしあと): when a visit leaves one.
//!
//! Rules (sns.md §3): self-visits never; logged-out visitors and crawlers never; a visitor the
//! owner blocked (or who blocked the owner) never; a member in stealth mode (忍び足) never.
//! Repeats by the same visitor to the same owner within [`COALESCE_MS`] are dropped before they
//! reach the database.

use crate::time::MINUTE_MS;
use crate::{MemberId, Timestamp};

/// Repeat visits within this window leave no new footstep (OpenPNE's 5 minutes).
pub const COALESCE_MS: i64 = 5 * MINUTE_MS;

/// Days a footstep stays on the owner's list unless configured otherwise.
pub const LIST_DAYS: i64 = 30;

/// What is known about a visit when deciding whether it leaves a footstep.
#[derive(Clone, Copy, Debug)]
pub struct Visit {
    /// The logged-in visitor, if any.
    pub visitor: Option<MemberId>,
    /// The owner of the profile or diary.
    pub owner: MemberId,
    /// The visitor is in stealth mode.
    pub stealth: bool,
    /// A block exists in either direction.
    pub blocked: bool,
    /// The request came from a crawler.
    pub crawler: bool,
}

/// The footstep to record, if the visit leaves one.
pub fn footstep_of(visit: &Visit) -> Option<(MemberId, MemberId)> {
    let visitor = visit.visitor?;
    let leaves = visitor != visit.owner && !visit.stealth && !visit.blocked && !visit.crawler;
    leaves.then_some((visit.owner, visitor))
}

/// Whether a visit at `now` repeats one recorded at `last` closely enough to be dropped.
pub fn is_repeat(last: Timestamp, now: Timestamp) -> bool {
    now.0 >= last.0 && now.0 - last.0 < COALESCE_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(visitor: Option<i64>, owner: i64) -> Visit {
        Visit {
            visitor: visitor.map(MemberId),
            owner: MemberId(owner),
            stealth: false,
            blocked: false,
            crawler: false,
        }
    }

    #[test]
    fn who_leaves_footsteps() {
        assert_eq!(footstep_of(&visit(Some(2), 1)), Some((MemberId(1), MemberId(2))));
        assert_eq!(footstep_of(&visit(Some(1), 1)), None, "self-visit");
        assert_eq!(footstep_of(&visit(None, 1)), None, "logged out");
        assert_eq!(footstep_of(&Visit { stealth: true, ..visit(Some(2), 1) }), None);
        assert_eq!(footstep_of(&Visit { blocked: true, ..visit(Some(2), 1) }), None);
        assert_eq!(footstep_of(&Visit { crawler: true, ..visit(Some(2), 1) }), None);
    }

    #[test]
    fn repeats_within_five_minutes_are_dropped() {
        let t = Timestamp(1_000_000);
        assert!(is_repeat(t, t.plus_millis(COALESCE_MS - 1)));
        assert!(!is_repeat(t, t.plus_millis(COALESCE_MS)));
        assert!(!is_repeat(t.plus_millis(10), t), "a clock step backwards is not a repeat");
    }
}

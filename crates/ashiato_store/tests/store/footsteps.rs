//! Footstep batches: folded in memory, written as multi-row upserts, on both backends.

use ashiato_core::account::NewMember;
use ashiato_core::time::{JST_OFFSET_MINUTES, MINUTE_MS};
use ashiato_core::{MemberId, Timestamp};
use ashiato_store::footsteps::{self, Event};
use ashiato_store::{accounts, write};
use ashiato_test_support::{Suite, TestDb};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("footstep_batch_folds_repeats_and_counts_every_visit", batch_folds_repeats)
        .on_both("footstep_batches_larger_than_one_statement", large_batch)
        .on_both("footstep_batch_outlives_a_withdrawn_member", withdrawn_member)
        .on_both("footstep_counts_leave_out_blocked_visitors", blocked_counts);
}

const NOW: Timestamp = Timestamp(1_764_115_200_000);

fn members(t: &TestDb, n: usize) -> Vec<MemberId> {
    let mut conn = t.db.conn().expect("connection");
    (0..n)
        .map(|i| {
            let m = NewMember::validate(
                &format!("f{i}@example.jp"),
                &format!("足跡{i}"),
                "kaminari-9-sora",
            )
            .expect("valid");
            write(&mut conn, |c| accounts::create_member(c, &m, "$h", NOW)).expect("member")
        })
        .collect()
}

fn event(owner: MemberId, visitor: MemberId, at: Timestamp) -> Event {
    Event { owner, visitor, day: at.day_in_zone(JST_OFFSET_MINUTES), at }
}

/// One batch may hold the same visitor and owner twice on a day (PostgreSQL refuses a
/// multi-row upsert touching a row twice, so the batch must be folded first), out of order.
fn batch_folds_repeats(t: &TestDb) {
    let ids = members(t, 3);
    let (owner, a, b) = (ids[0], ids[1], ids[2]);
    let mut conn = t.db.conn().expect("connection");
    let later = NOW.plus_millis(7 * MINUTE_MS);
    footsteps::record_batch(
        &mut conn,
        &[event(owner, a, later), event(owner, a, NOW), event(owner, b, NOW), event(a, b, NOW)],
    )
    .expect("first batch");
    assert_eq!(footsteps::total(&mut conn, owner).expect("total"), 3, "every visit counts");
    assert_eq!(footsteps::total(&mut conn, a).expect("total"), 1);
    let day = NOW.day_in_zone(JST_OFFSET_MINUTES);
    assert_eq!(footsteps::count_on_day(&mut conn, owner, day).expect("today"), 2);
    let listed = footsteps::visitors(&mut conn, owner, Timestamp(0), 10, 0).expect("visitors");
    let rows: Vec<(MemberId, Timestamp)> =
        listed.iter().map(|v| (v.member.id, v.last_visit)).collect();
    assert_eq!(rows, vec![(a, later), (b, NOW)], "latest visit per visitor, newest first");

    // A second batch updates the stored rows and adds to the totals.
    let again = NOW.plus_millis(20 * MINUTE_MS);
    footsteps::record_batch(&mut conn, &[event(owner, b, again)]).expect("second batch");
    assert_eq!(footsteps::total(&mut conn, owner).expect("total"), 4);
    let first = footsteps::visitors(&mut conn, owner, Timestamp(0), 1, 0).expect("visitors");
    assert_eq!((first[0].member.id, first[0].last_visit), (b, again));
    assert_eq!(footsteps::count_on_day(&mut conn, owner, day).expect("today"), 2);
}

/// More rows than one INSERT carries: every one is stored, every total right.
fn large_batch(t: &TestDb) {
    let ids = members(t, 60);
    let mut events = Vec::new();
    // 60 × 59 distinct pairs = 3,540 rows, plus one repeat of each pair on the same day.
    for (o, &owner) in ids.iter().enumerate() {
        for (v, &visitor) in ids.iter().enumerate() {
            if o != v {
                events.push(event(owner, visitor, NOW.plus_millis(v as i64)));
                events.push(event(owner, visitor, NOW.plus_millis(1_000 + v as i64)));
            }
        }
    }
    let mut conn = t.db.conn().expect("connection");
    footsteps::record_batch(&mut conn, &events).expect("batch");
    for &owner in &ids {
        assert_eq!(footsteps::total(&mut conn, owner).expect("total"), 118);
        let day = NOW.day_in_zone(JST_OFFSET_MINUTES);
        assert_eq!(footsteps::count_on_day(&mut conn, owner, day).expect("today"), 59);
    }
    let listed = footsteps::visitors(&mut conn, ids[0], Timestamp(0), 100, 0).expect("visitors");
    assert_eq!(listed.len(), 59);
    assert!(listed.iter().all(|v| v.last_visit.0 >= NOW.0 + 1_000), "the later time of each pair");
}

/// A member who withdrew while their visit was queued: the batch stores everyone else's.
fn withdrawn_member(t: &TestDb) {
    let ids = members(t, 3);
    let (owner, gone, stays) = (ids[0], ids[1], ids[2]);
    let mut conn = t.db.conn().expect("connection");
    write(&mut conn, |c| ashiato_store::members::withdraw(c, gone)).expect("withdraw");
    footsteps::record_batch(
        &mut conn,
        &[event(owner, gone, NOW), event(gone, stays, NOW), event(owner, stays, NOW)],
    )
    .expect("the batch is stored without the withdrawn member");
    let listed = footsteps::visitors(&mut conn, owner, Timestamp(0), 10, 0).expect("visitors");
    assert_eq!(listed.iter().map(|v| v.member.id).collect::<Vec<_>>(), vec![stays]);
    assert_eq!(footsteps::total(&mut conn, owner).expect("total"), 1);
}

/// Today's count and "new footsteps" agree with the list: blocked visitors are left out.
fn blocked_counts(t: &TestDb) {
    let ids = members(t, 3);
    let (owner, friendly, blocked) = (ids[0], ids[1], ids[2]);
    let mut conn = t.db.conn().expect("connection");
    footsteps::record_batch(&mut conn, &[event(owner, friendly, NOW), event(owner, blocked, NOW)])
        .expect("batch");
    let day = NOW.day_in_zone(JST_OFFSET_MINUTES);
    assert_eq!(footsteps::count_on_day(&mut conn, owner, day).expect("today"), 2);
    write(&mut conn, |c| ashiato_store::relation::block(c, owner, blocked, NOW)).expect("block");
    assert_eq!(footsteps::count_on_day(&mut conn, owner, day).expect("today"), 1);
    assert_eq!(footsteps::count_since(&mut conn, owner, Timestamp(0)).expect("since"), 1);
    let listed = footsteps::visitors(&mut conn, owner, Timestamp(0), 10, 0).expect("visitors");
    assert_eq!(listed.len(), 1);
}

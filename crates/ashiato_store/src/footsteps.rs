//! Footsteps (あしあと): who visited whose page, one row per visitor, owner and day.

use std::collections::{BTreeMap, BTreeSet};

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::schema::{footstep_totals, footsteps};

/// Records that `visitor` saw `owner`'s page at `now`; `day` is the day number in the service's
/// zone. A later visit on the same day moves the time forward (an upsert, so concurrent visits
/// never race a read-modify-write), and the owner's running total grows by one.
pub fn record(
    conn: &mut AnyConnection,
    owner: MemberId,
    visitor: MemberId,
    day: i64,
    now: Timestamp,
) -> StoreResult<()> {
    // diesel's multi-backend connection has no ON CONFLICT; both engines spell it the same,
    // so the same statement runs on each typed connection.
    macro_rules! upsert {
        ($c:expr) => {{
            diesel::insert_into(footsteps::table)
                .values((
                    footsteps::owner_id.eq(owner.0),
                    footsteps::visitor_id.eq(visitor.0),
                    footsteps::day.eq(day),
                    footsteps::visited_at.eq(now.0),
                ))
                .on_conflict((footsteps::owner_id, footsteps::visitor_id, footsteps::day))
                .do_update()
                .set(footsteps::visited_at.eq(excluded(footsteps::visited_at)))
                .execute($c)?;
            diesel::insert_into(footstep_totals::table)
                .values((footstep_totals::owner_id.eq(owner.0), footstep_totals::total.eq(1_i64)))
                .on_conflict(footstep_totals::owner_id)
                .do_update()
                .set(footstep_totals::total.eq(footstep_totals::total + 1_i64))
                .execute($c)?;
        }};
    }
    match conn {
        AnyConnection::Sqlite(c) => upsert!(c),
        AnyConnection::Postgresql(c) => upsert!(c),
    }
    Ok(())
}

/// The owner's running total of recorded visits.
pub fn total(conn: &mut AnyConnection, owner: MemberId) -> StoreResult<i64> {
    Ok(footstep_totals::table
        .find(owner.0)
        .select(footstep_totals::total)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

use crate::friends::{MemberSummary, MemberSummaryRow};
use crate::schema::members;

/// One footstep to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Whose page was visited.
    pub owner: MemberId,
    /// Who visited.
    pub visitor: MemberId,
    /// Day number in the service's zone.
    pub day: i64,
    /// When.
    pub at: Timestamp,
}

/// Writes a batch of footsteps in one transaction (one fsync on SQLite). On PostgreSQL the
/// transaction commits asynchronously: footsteps may lose the last fraction of a second in a
/// crash (security.md R-04), content never does.
///
/// The batch is folded in memory first: one row per (owner, visitor, day) with its latest time,
/// and one running-total increment per owner. Each is then written as a single multi-row
/// upsert, so a batch costs two statements whatever its size (one statement per event kept the
/// PostgreSQL writer seconds behind at 2,000 views/s; docs/benchmarks.md). Rows go out in key
/// order, so two processes writing overlapping batches take their row locks in the same order
/// and cannot deadlock.
pub fn record_batch(conn: &mut AnyConnection, events: &[Event]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    crate::write(conn, |c| {
        // A member who withdrew after their visit was queued is gone, and so is every row that
        // would name them (foreign keys): leave their events out rather than fail the batch.
        let named: BTreeSet<i64> = events.iter().flat_map(|e| [e.owner.0, e.visitor.0]).collect();
        let mut present: BTreeSet<i64> = BTreeSet::new();
        let named: Vec<i64> = named.into_iter().collect();
        for ids in named.chunks(ROWS_PER_STATEMENT) {
            present.extend(
                members::table
                    .filter(members::id.eq_any(ids))
                    .select(members::id)
                    .load::<i64>(c)?,
            );
        }
        let kept: Vec<Event> = events
            .iter()
            .filter(|e| present.contains(&e.owner.0) && present.contains(&e.visitor.0))
            .copied()
            .collect();
        upsert_batch(c, &kept)
    })
}

/// The folded multi-row upserts of [`record_batch`], inside its transaction.
fn upsert_batch(conn: &mut AnyConnection, events: &[Event]) -> StoreResult<()> {
    let mut latest: BTreeMap<(i64, i64, i64), i64> = BTreeMap::new();
    let mut added: BTreeMap<i64, i64> = BTreeMap::new();
    for e in events {
        let at = latest.entry((e.owner.0, e.visitor.0, e.day)).or_insert(e.at.0);
        *at = (*at).max(e.at.0);
        *added.entry(e.owner.0).or_insert(0) += 1;
    }
    let steps: Vec<_> = latest
        .into_iter()
        .map(|((owner, visitor, day), at)| {
            (
                footsteps::owner_id.eq(owner),
                footsteps::visitor_id.eq(visitor),
                footsteps::day.eq(day),
                footsteps::visited_at.eq(at),
            )
        })
        .collect();
    let totals: Vec<_> = added
        .into_iter()
        .map(|(owner, n)| (footstep_totals::owner_id.eq(owner), footstep_totals::total.eq(n)))
        .collect();
    // diesel's multi-backend connection has no ON CONFLICT; both engines spell it the same,
    // so the same statements run on each typed connection.
    macro_rules! upsert_all {
        ($c:expr) => {{
            for rows in steps.chunks(ROWS_PER_STATEMENT) {
                diesel::insert_into(footsteps::table)
                    .values(rows)
                    .on_conflict((footsteps::owner_id, footsteps::visitor_id, footsteps::day))
                    .do_update()
                    .set(footsteps::visited_at.eq(excluded(footsteps::visited_at)))
                    .execute($c)?;
            }
            for rows in totals.chunks(ROWS_PER_STATEMENT) {
                diesel::insert_into(footstep_totals::table)
                    .values(rows)
                    .on_conflict(footstep_totals::owner_id)
                    .do_update()
                    .set(
                        footstep_totals::total
                            .eq(footstep_totals::total + excluded(footstep_totals::total)),
                    )
                    .execute($c)?;
            }
        }};
    }
    match conn {
        AnyConnection::Sqlite(c) => upsert_all!(c),
        AnyConnection::Postgresql(c) => {
            use diesel::connection::SimpleConnection;
            c.batch_execute("SET LOCAL synchronous_commit = off")?;
            upsert_all!(c);
        }
    }
    Ok(())
}

/// Rows per multi-row INSERT: 4 bind parameters each keeps a statement far below both
/// engines' parameter limits (SQLite 32,766, PostgreSQL 65,535).
const ROWS_PER_STATEMENT: usize = 1_000;

/// One row of the footsteps page: a visitor and their latest visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visitor {
    /// Who.
    pub member: MemberSummary,
    /// Latest visit in the window.
    pub last_visit: Timestamp,
}

/// Visitors of `owner` since `since`, one row per visitor with their latest time, newest first.
/// Members in a block with the owner (either way) are left out.
pub fn visitors(
    conn: &mut AnyConnection,
    owner: MemberId,
    since: Timestamp,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Visitor>> {
    let (blocked_by_owner, blocking_owner) = crate::relation::blocks_either_way(owner);
    let muted = crate::mutes::muted_by(owner);
    let last = diesel::dsl::max(footsteps::visited_at);
    Ok(footsteps::table
        .inner_join(members::table.on(members::id.eq(footsteps::visitor_id)))
        .filter(members::suspended_at.is_null())
        .filter(footsteps::owner_id.eq(owner.0))
        .filter(footsteps::visited_at.ge(since.0))
        .filter(footsteps::visitor_id.ne_all(blocked_by_owner))
        .filter(footsteps::visitor_id.ne_all(blocking_owner))
        .filter(footsteps::visitor_id.ne_all(muted))
        .group_by((members::id, members::nickname))
        .select((MemberSummaryRow::as_select(), last))
        .order((last.desc(), members::id.desc()))
        .limit(limit)
        .offset(offset)
        .load::<(MemberSummaryRow, Option<i64>)>(conn)?
        .into_iter()
        .map(|(member, at)| Visitor {
            member: MemberSummary::from(member),
            last_visit: Timestamp(at.unwrap_or(0)),
        })
        .collect())
}

/// Distinct visitors of `owner` on day `day`, leaving out members in a block with the owner
/// (as the list does, so the count and the list agree).
pub fn count_on_day(conn: &mut AnyConnection, owner: MemberId, day: i64) -> StoreResult<i64> {
    let (blocked_by_owner, blocking_owner) = crate::relation::blocks_either_way(owner);
    Ok(on_day(owner.0, day, blocked_by_owner, blocking_owner).count().get_result(conn)?)
}

/// `owner`'s footsteps of day `day`, without those of members in a block with the owner (the
/// two subqueries of `relation::blocks_either_way`).
#[diesel::dsl::auto_type]
pub(crate) fn on_day(
    owner: i64,
    day: i64,
    blocked_by_owner: crate::relation::BlockedIds,
    blocking_owner: crate::relation::BlockingIds,
) -> _ {
    footsteps::table
        .filter(footsteps::owner_id.eq(owner))
        .filter(footsteps::day.eq(day))
        .filter(footsteps::visitor_id.ne_all(blocked_by_owner))
        .filter(footsteps::visitor_id.ne_all(blocking_owner))
}

/// Distinct visitors of `owner` since `since` (for "new footsteps" on the home page), leaving
/// out members in a block with the owner.
pub fn count_since(
    conn: &mut AnyConnection,
    owner: MemberId,
    since: Timestamp,
) -> StoreResult<i64> {
    let (blocked_by_owner, blocking_owner) = crate::relation::blocks_either_way(owner);
    Ok(footsteps::table
        .filter(footsteps::owner_id.eq(owner.0))
        .filter(footsteps::visited_at.ge(since.0))
        .filter(footsteps::visitor_id.ne_all(blocked_by_owner))
        .filter(footsteps::visitor_id.ne_all(blocking_owner))
        .select(diesel::dsl::count(footsteps::visitor_id).aggregate_distinct())
        .first(conn)?)
}

/// Deletes footsteps older than `before` (the list keeps a window; the total is kept apart).
pub fn prune(conn: &mut AnyConnection, before: Timestamp) -> StoreResult<usize> {
    Ok(diesel::delete(footsteps::table.filter(footsteps::visited_at.lt(before.0))).execute(conn)?)
}

//! Footsteps (あしあと): who visited whose page, one row per visitor, owner and day.

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

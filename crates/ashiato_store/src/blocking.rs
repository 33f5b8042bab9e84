//! The block lookup that friend requests ([`crate::friends`]) and relations
//! ([`crate::relation`]) share, kept below both so `friends` does not depend on `relation`.
//! [`crate::relation`] re-exports it.

use ashiato_core::MemberId;
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::schema::blocks;

/// Whether either member blocked the other.
pub fn blocked_either_way(conn: &mut AnyConnection, a: MemberId, b: MemberId) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        blocks::table.filter(
            (blocks::blocker_id.eq(a.0).and(blocks::blocked_id.eq(b.0)))
                .or(blocks::blocker_id.eq(b.0).and(blocks::blocked_id.eq(a.0))),
        ),
    ))
    .get_result(conn)?)
}

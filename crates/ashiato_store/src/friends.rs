//! Friendships (mutual, stored as two rows so either side's list is one index scan).

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::error::is_unique_violation;
use crate::schema::{friendships, members};

/// A member as shown in lists: id and nickname.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSummary {
    /// Id.
    pub id: MemberId,
    /// Display name.
    pub nickname: String,
}

/// Whether `a` and `b` are friends.
pub fn are_friends(conn: &mut AnyConnection, a: MemberId, b: MemberId) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        friendships::table
            .filter(friendships::member_id.eq(a.0).and(friendships::friend_id.eq(b.0))),
    ))
    .get_result(conn)?)
}

/// Makes `a` and `b` friends (both directions). Already being friends is not an error.
/// Call inside [`crate::write`] so the two rows appear together.
pub fn befriend(
    conn: &mut AnyConnection,
    a: MemberId,
    b: MemberId,
    now: Timestamp,
) -> StoreResult<()> {
    if a == b || are_friends(conn, a, b)? {
        return Ok(());
    }
    // Row by row: diesel's multi-backend connection has no batch insert.
    for (member, friend) in [(a, b), (b, a)] {
        let inserted = diesel::insert_into(friendships::table)
            .values((
                friendships::member_id.eq(member.0),
                friendships::friend_id.eq(friend.0),
                friendships::created_at.eq(now.0),
            ))
            .execute(conn);
        match inserted {
            // Another request made them friends between our check and insert (PostgreSQL
            // only; SQLite's write lock serialises the two).
            Err(e) if is_unique_violation(&e) => return Ok(()),
            other => other?,
        };
    }
    Ok(())
}

/// Ends a friendship (both directions).
pub fn unfriend(conn: &mut AnyConnection, a: MemberId, b: MemberId) -> StoreResult<()> {
    diesel::delete(
        friendships::table.filter(
            (friendships::member_id.eq(a.0).and(friendships::friend_id.eq(b.0)))
                .or(friendships::member_id.eq(b.0).and(friendships::friend_id.eq(a.0))),
        ),
    )
    .execute(conn)?;
    Ok(())
}

/// A member's friends, newest friendship first.
pub fn list_friends(
    conn: &mut AnyConnection,
    member: MemberId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<MemberSummary>> {
    Ok(friendships::table
        .inner_join(members::table.on(members::id.eq(friendships::friend_id)))
        .filter(friendships::member_id.eq(member.0))
        .order((friendships::created_at.desc(), friendships::friend_id.desc()))
        .limit(limit)
        .offset(offset)
        .select((members::id, members::nickname))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(id, nickname)| MemberSummary { id: MemberId(id), nickname })
        .collect())
}

/// How many friends a member has.
pub fn friend_count(conn: &mut AnyConnection, member: MemberId) -> StoreResult<i64> {
    Ok(friendships::table.filter(friendships::member_id.eq(member.0)).count().get_result(conn)?)
}

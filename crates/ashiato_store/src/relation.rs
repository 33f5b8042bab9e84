//! How two members relate: friends, friends of friends, blocks. Every scoped read starts here.

use ashiato_core::{MemberId, Relation, Scope, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
pub use crate::blocking::blocked_either_way;
use crate::db::AnyConnection;
use crate::schema::{blocks, friend_requests, friendships};

/// Subquery: ids of the members `member` blocked.
pub(crate) type BlockedIds = diesel::dsl::Select<
    diesel::dsl::Filter<blocks::table, diesel::dsl::Eq<blocks::blocker_id, i64>>,
    blocks::blocked_id,
>;
/// Subquery: ids of the members who blocked `member`.
pub(crate) type BlockingIds = diesel::dsl::Select<
    diesel::dsl::Filter<blocks::table, diesel::dsl::Eq<blocks::blocked_id, i64>>,
    blocks::blocker_id,
>;

/// The two subqueries every read that hides blocks either way filters by (`col.ne_all(…)` on
/// each): whom `member` blocked, and who blocked `member`.
pub(crate) fn blocks_either_way(member: MemberId) -> (BlockedIds, BlockingIds) {
    (
        blocks::table.filter(blocks::blocker_id.eq(member.0)).select(blocks::blocked_id),
        blocks::table.filter(blocks::blocked_id.eq(member.0)).select(blocks::blocker_id),
    )
}

/// Whether `viewer` and `owner` have a friend in common (friend of a friend).
pub fn share_a_friend(
    conn: &mut AnyConnection,
    viewer: MemberId,
    owner: MemberId,
) -> StoreResult<bool> {
    let (mine, theirs) = diesel::alias!(friendships as mine, friendships as theirs);
    Ok(diesel::select(diesel::dsl::exists(
        mine.inner_join(
            theirs.on(theirs.field(friendships::member_id).eq(mine.field(friendships::friend_id))),
        )
        .filter(mine.field(friendships::member_id).eq(viewer.0))
        .filter(theirs.field(friendships::friend_id).eq(owner.0)),
    ))
    .get_result(conn)?)
}

/// The viewer's relation to the owner (no viewer: not logged in).
pub fn relation(
    conn: &mut AnyConnection,
    viewer: Option<MemberId>,
    owner: MemberId,
) -> StoreResult<Relation> {
    let Some(v) = viewer else { return Ok(Relation::Anonymous) };
    if v == owner {
        return Ok(Relation::Owner);
    }
    if blocked_either_way(conn, v, owner)? {
        return Ok(Relation::Blocked);
    }
    if crate::friends::are_friends(conn, v, owner)? {
        return Ok(Relation::Friend);
    }
    Ok(if share_a_friend(conn, v, owner)? { Relation::FriendOfFriend } else { Relation::Member })
}

/// The stored scope names a viewer in `relation` may read.
pub fn visible_scopes(relation: Relation) -> Vec<&'static str> {
    Scope::ALL.into_iter().filter(|s| s.allows(relation)).map(Scope::as_str).collect()
}

/// `blocker` blocks `blocked`: any friendship between them ends and pending friend requests in
/// either direction are withdrawn. Call inside [`crate::write`].
pub fn block(
    conn: &mut AnyConnection,
    blocker: MemberId,
    blocked: MemberId,
    now: Timestamp,
) -> StoreResult<()> {
    if blocker == blocked {
        return Ok(());
    }
    let exists = diesel::select(diesel::dsl::exists(
        blocks::table
            .filter(blocks::blocker_id.eq(blocker.0).and(blocks::blocked_id.eq(blocked.0))),
    ))
    .get_result::<bool>(conn)?;
    if !exists {
        diesel::insert_into(blocks::table)
            .values((
                blocks::blocker_id.eq(blocker.0),
                blocks::blocked_id.eq(blocked.0),
                blocks::created_at.eq(now.0),
            ))
            .execute(conn)?;
    }
    crate::friends::unfriend(conn, blocker, blocked)?;
    // One statement per direction: SQLite's planner fails ("internal query planner error") on an
    // OR of two pairs over a table with the partial index on pending requests.
    for (from, to) in [(blocker, blocked), (blocked, blocker)] {
        diesel::delete(
            friend_requests::table
                .filter(friend_requests::status.eq("pending"))
                .filter(friend_requests::from_id.eq(from.0))
                .filter(friend_requests::to_id.eq(to.0)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Lifts a block.
pub fn unblock(conn: &mut AnyConnection, blocker: MemberId, blocked: MemberId) -> StoreResult<()> {
    diesel::delete(
        blocks::table
            .filter(blocks::blocker_id.eq(blocker.0).and(blocks::blocked_id.eq(blocked.0))),
    )
    .execute(conn)?;
    Ok(())
}

/// Whether `blocker` blocked `blocked` (one direction).
pub fn has_blocked(
    conn: &mut AnyConnection,
    blocker: MemberId,
    blocked: MemberId,
) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        blocks::table
            .filter(blocks::blocker_id.eq(blocker.0).and(blocks::blocked_id.eq(blocked.0))),
    ))
    .get_result(conn)?)
}

/// Members `blocker` blocked, newest first.
pub fn blocked_by(
    conn: &mut AnyConnection,
    blocker: MemberId,
) -> StoreResult<Vec<crate::friends::MemberSummary>> {
    use crate::schema::members;
    Ok(blocks::table
        .inner_join(members::table.on(members::id.eq(blocks::blocked_id)))
        .filter(blocks::blocker_id.eq(blocker.0))
        .order(blocks::created_at.desc())
        .select((members::id, members::nickname))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(id, nickname)| crate::friends::MemberSummary { id: MemberId(id), nickname })
        .collect())
}

//! How two members relate: friends, friends of friends, blocks. Every scoped read starts here.

use ashiato_core::{MemberId, Relation, Scope, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
pub use crate::blocking::blocked_either_way;
use crate::db::{AnyConnection, native};
use crate::schema::{blocks, friend_requests, friendships, members};

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

/// The viewer's relation to the owner (no viewer: not logged in), in one statement: a block
/// either way, a friendship and a shared friend are three `EXISTS` of one `SELECT`, because
/// every scoped page asks this and a statement each cost a round trip each (issue 17).
pub fn relation(
    conn: &mut AnyConnection,
    viewer: Option<MemberId>,
    owner: MemberId,
) -> StoreResult<Relation> {
    use diesel::dsl::exists;
    let Some(v) = viewer else { return Ok(Relation::Anonymous) };
    if v == owner {
        return Ok(Relation::Owner);
    }
    let (mine, theirs) = diesel::alias!(friendships as mine, friendships as theirs);
    let query =
        diesel::select((
            exists(
                blocks::table.filter(
                    (blocks::blocker_id.eq(v.0).and(blocks::blocked_id.eq(owner.0)))
                        .or(blocks::blocker_id.eq(owner.0).and(blocks::blocked_id.eq(v.0))),
                ),
            )
            // A suspended member's pages are hidden from everyone else as a block hides them.
            .or(exists(
                members::table
                    .filter(members::id.eq(owner.0))
                    .filter(members::suspended_at.is_not_null()),
            )),
            exists(
                friendships::table
                    .filter(friendships::member_id.eq(v.0).and(friendships::friend_id.eq(owner.0))),
            ),
            // A friend in common: the viewer's friends and the owner's friends, two ranges
            // of the primary key that meet (friendships are stored in both directions), not
            // one probe per friend of the viewer.
            exists(
                mine.inner_join(theirs.on(
                    theirs.field(friendships::friend_id).eq(mine.field(friendships::friend_id)),
                ))
                .filter(mine.field(friendships::member_id).eq(v.0))
                .filter(theirs.field(friendships::member_id).eq(owner.0)),
            ),
        ));
    let (blocked, friend, shared): (bool, bool, bool) = native!(conn, c => query.get_result(c))?;
    Ok(Relation::from_facts(false, true, blocked, friend, shared))
}

/// The stored scope names a viewer in `relation` may read.
pub fn visible_scopes(relation: Relation) -> Vec<&'static str> {
    Scope::ALL.into_iter().filter(|s| s.allows(relation)).map(Scope::as_str).collect()
}

/// [`visible_scopes`] as exactly four names, the list padded by repeating its first name (or
/// with `""`, which no row holds, when nothing is visible). A filter built from them has the
/// same SQL text for every relation, so the prepared statement is reused: an `IN (…)` list
/// whose length varies is compiled again on every request.
pub(crate) fn visible_scope_binds(relation: Relation) -> [&'static str; 4] {
    let visible = visible_scopes(relation);
    let first = visible.first().copied().unwrap_or("");
    std::array::from_fn(|i| visible.get(i).copied().unwrap_or(first))
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

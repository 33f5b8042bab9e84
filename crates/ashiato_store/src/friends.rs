//! Friendships (mutual, stored as two rows so either side's list is one index scan).

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::{AnyConnection, native};
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

/// The `members` columns a [`MemberSummary`] is read from. Select it with
/// `MemberSummaryRow::as_select()` (alone, inside a tuple, or `#[diesel(embed)]`ded in another
/// row struct) and convert with `MemberSummary::from`: the store's one (id, nickname) mapping.
#[derive(Queryable, Selectable)]
#[diesel(table_name = members)]
pub(crate) struct MemberSummaryRow {
    pub(crate) id: i64,
    pub(crate) nickname: String,
}

impl From<MemberSummaryRow> for MemberSummary {
    fn from(r: MemberSummaryRow) -> Self {
        MemberSummary { id: MemberId(r.id), nickname: r.nickname }
    }
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
    Ok(native!(conn, c => friendships::table
        .inner_join(members::table.on(members::id.eq(friendships::friend_id)))
        .filter(members::suspended_at.is_null())
        .filter(friendships::member_id.eq(member.0))
        .order((friendships::created_at.desc(), friendships::friend_id.desc()))
        .limit(limit)
        .offset(offset)
        .select(MemberSummaryRow::as_select())
        .load(c))?
    .into_iter()
    .map(MemberSummary::from)
    .collect())
}

/// How many friends a member has.
pub fn friend_count(conn: &mut AnyConnection, member: MemberId) -> StoreResult<i64> {
    Ok(friendships_of(member.0).count().get_result(conn)?)
}

/// A member's friendship rows.
#[diesel::dsl::auto_type]
pub(crate) fn friendships_of(member: i64) -> _ {
    friendships::table.filter(friendships::member_id.eq(member))
}

use ashiato_core::{FriendRequestId, Problem};

use crate::StoreError;
use crate::schema::{friend_requests, introductions};

/// A friend request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FriendRequest {
    /// Id.
    pub id: FriendRequestId,
    /// Who asks.
    pub from: MemberSummary,
    /// Who is asked.
    pub to: MemberId,
    /// Message with the request.
    pub message: String,
    /// When.
    pub created_at: Timestamp,
}

/// Sends a friend request. Already friends, a pending request either way, or a block either way
/// are refused (`Rejected(NotAllowed)`). Call inside [`crate::write`].
pub fn request(
    conn: &mut AnyConnection,
    from: MemberId,
    to: MemberId,
    message: &str,
    now: Timestamp,
) -> StoreResult<FriendRequestId> {
    if from == to
        || are_friends(conn, from, to)?
        || crate::blocking::blocked_either_way(conn, from, to)?
    {
        return Err(StoreError::Rejected(Problem::NotAllowed));
    }
    if has_pending(conn, from, to)? || has_pending(conn, to, from)? {
        return Err(StoreError::Rejected(Problem::NotAllowed));
    }
    diesel::insert_into(friend_requests::table)
        .values((
            friend_requests::from_id.eq(from.0),
            friend_requests::to_id.eq(to.0),
            friend_requests::message.eq(message),
            friend_requests::created_at.eq(now.0),
        ))
        .returning(friend_requests::id)
        .get_result::<i64>(conn)
        .map(FriendRequestId)
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Rejected(Problem::NotAllowed)
            } else {
                e.into()
            }
        })
}

/// Pending requests addressed to `member`, newest first.
pub fn incoming(conn: &mut AnyConnection, member: MemberId) -> StoreResult<Vec<FriendRequest>> {
    Ok(friend_requests::table
        .inner_join(members::table.on(members::id.eq(friend_requests::from_id)))
        .filter(members::suspended_at.is_null())
        .filter(friend_requests::to_id.eq(member.0))
        .filter(friend_requests::status.eq("pending"))
        .order(friend_requests::created_at.desc())
        .select((
            friend_requests::id,
            MemberSummaryRow::as_select(),
            friend_requests::message,
            friend_requests::created_at,
        ))
        .load::<(i64, MemberSummaryRow, String, i64)>(conn)?
        .into_iter()
        .map(|(id, from, message, at)| FriendRequest {
            id: FriendRequestId(id),
            from: from.into(),
            to: member,
            message,
            created_at: Timestamp(at),
        })
        .collect())
}

/// Number of pending requests addressed to `member`.
pub fn incoming_count(conn: &mut AnyConnection, member: MemberId) -> StoreResult<i64> {
    Ok(incoming_of(member.0).count().get_result(conn)?)
}

/// The pending requests addressed to `member`.
#[diesel::dsl::auto_type]
pub(crate) fn incoming_of(member: i64) -> _ {
    let pending: &'static str = "pending";
    friend_requests::table
        .filter(friend_requests::to_id.eq(member))
        .filter(friend_requests::status.eq(pending))
}

/// Whether `from` has a pending request to `to`.
pub fn has_pending(conn: &mut AnyConnection, from: MemberId, to: MemberId) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        friend_requests::table
            .filter(friend_requests::status.eq("pending"))
            .filter(friend_requests::from_id.eq(from.0).and(friend_requests::to_id.eq(to.0))),
    ))
    .get_result(conn)?)
}

/// Accepts or rejects a pending request addressed to `member`. Accepting makes them friends.
/// A request that is not pending or not addressed to `member` is `NotFound` (its existence is
/// not revealed). Returns the requester. Call inside [`crate::write`].
pub fn decide(
    conn: &mut AnyConnection,
    id: FriendRequestId,
    member: MemberId,
    accept: bool,
    now: Timestamp,
) -> StoreResult<MemberId> {
    let from: i64 = friend_requests::table
        .filter(friend_requests::id.eq(id.0))
        .filter(friend_requests::to_id.eq(member.0))
        .filter(friend_requests::status.eq("pending"))
        .select(friend_requests::from_id)
        .first(conn)?;
    let status = if accept { "accepted" } else { "rejected" };
    let n = diesel::update(
        friend_requests::table.find(id.0).filter(friend_requests::status.eq("pending")),
    )
    .set((friend_requests::status.eq(status), friend_requests::decided_at.eq(now.0)))
    .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    if accept {
        befriend(conn, MemberId(from), member, now)?;
    }
    Ok(MemberId(from))
}

/// Writes (or replaces) `author`'s introduction of their friend `subject`. Only friends may
/// introduce each other. Call inside [`crate::write`].
pub fn introduce(
    conn: &mut AnyConnection,
    author: MemberId,
    subject: MemberId,
    body: &str,
    now: Timestamp,
) -> StoreResult<()> {
    if !are_friends(conn, author, subject)? {
        return Err(StoreError::Rejected(Problem::NotAllowed));
    }
    diesel::delete(introductions::table.filter(
        introductions::author_id.eq(author.0).and(introductions::subject_id.eq(subject.0)),
    ))
    .execute(conn)?;
    if !body.is_empty() {
        diesel::insert_into(introductions::table)
            .values((
                introductions::author_id.eq(author.0),
                introductions::subject_id.eq(subject.0),
                introductions::body.eq(body),
                introductions::updated_at.eq(now.0),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Introductions of `subject` written by their current friends, newest first.
pub fn introductions_of(
    conn: &mut AnyConnection,
    subject: MemberId,
) -> StoreResult<Vec<(MemberSummary, String)>> {
    Ok(introductions::table
        .inner_join(members::table.on(members::id.eq(introductions::author_id)))
        .filter(members::suspended_at.is_null())
        .inner_join(
            friendships::table.on(friendships::member_id
                .eq(introductions::subject_id)
                .and(friendships::friend_id.eq(introductions::author_id))),
        )
        .filter(introductions::subject_id.eq(subject.0))
        .order(introductions::updated_at.desc())
        .select((MemberSummaryRow::as_select(), introductions::body))
        .load::<(MemberSummaryRow, String)>(conn)?
        .into_iter()
        .map(|(author, body)| (author.into(), body))
        .collect())
}

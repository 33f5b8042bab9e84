//! ミュート: a member quietly hides another's diaries, comments, topics and footsteps from their
//! own home, lists and footsteps. Unlike a block, the muted member notices nothing: their view
//! of the muting member does not change.

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::friends::MemberSummary;
use crate::schema::{members, mutes};

/// Subquery: ids of the members `member` muted.
pub(crate) type MutedIds = diesel::dsl::Select<
    diesel::dsl::Filter<mutes::table, diesel::dsl::Eq<mutes::member_id, i64>>,
    mutes::muted_id,
>;

/// The subquery reads that honour mutes filter by (`col.ne_all(muted_by(viewer))`).
pub(crate) fn muted_by(member: MemberId) -> MutedIds {
    mutes::table.filter(mutes::member_id.eq(member.0)).select(mutes::muted_id)
}

/// Mutes `muted` for `member` (muting twice is not an error). Muting oneself is refused
/// (`Rejected(NotAllowed)`).
pub fn mute(
    conn: &mut AnyConnection,
    member: MemberId,
    muted: MemberId,
    now: Timestamp,
) -> StoreResult<()> {
    if member == muted {
        return Err(crate::StoreError::Rejected(ashiato_core::Problem::NotAllowed));
    }
    if !is_muted(conn, member, muted)? {
        diesel::insert_into(mutes::table)
            .values((
                mutes::member_id.eq(member.0),
                mutes::muted_id.eq(muted.0),
                mutes::created_at.eq(now.0),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Lifts a mute (lifting one that is not there is not an error).
pub fn unmute(conn: &mut AnyConnection, member: MemberId, muted: MemberId) -> StoreResult<()> {
    diesel::delete(mutes::table.find((member.0, muted.0))).execute(conn)?;
    Ok(())
}

/// Whether `member` muted `other`.
pub fn is_muted(conn: &mut AnyConnection, member: MemberId, other: MemberId) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(mutes::table.find((member.0, other.0))))
        .get_result(conn)?)
}

/// The members `member` muted, newest first.
pub fn muted_members(
    conn: &mut AnyConnection,
    member: MemberId,
) -> StoreResult<Vec<MemberSummary>> {
    Ok(mutes::table
        .inner_join(members::table.on(members::id.eq(mutes::muted_id)))
        .filter(mutes::member_id.eq(member.0))
        .order(mutes::created_at.desc())
        .select((members::id, members::nickname))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(id, nickname)| MemberSummary { id: MemberId(id), nickname })
        .collect())
}

//! What the admin console reads: the community's figures and member search by address or
//! nickname (including suspended members, whom the members' own search hides).

use ashiato_core::Timestamp;
use ashiato_core::time::DAY_MS;
use diesel::prelude::*;

use crate::StoreResult;
use crate::accounts::{Member, MemberRow};
use crate::db::AnyConnection;
use crate::schema::{
    diary_comments, diary_entries, invitations, mail_outbox, members, sessions, topic_comments,
};

/// The dashboard's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Members.
    pub members: i64,
    /// Suspended members.
    pub suspended: i64,
    /// Members with a session used in the last 24 hours.
    pub active_today: i64,
    /// … in the last 7 days.
    pub active_week: i64,
    /// Diary entries written in the last 24 hours.
    pub entries_today: i64,
    /// Diary and topic comments written in the last 24 hours.
    pub comments_today: i64,
    /// Members' sessions used in the last 7 days, by carrier (most first).
    pub carriers: Vec<(String, i64)>,
    /// Mails waiting in the outbox (queued or being sent).
    pub outbox_waiting: i64,
}

/// The dashboard's figures at `now`.
pub fn figures(conn: &mut AnyConnection, now: Timestamp) -> StoreResult<Figures> {
    let day = now.0 - DAY_MS;
    let week = now.0 - 7 * DAY_MS;
    let active_since = |conn: &mut AnyConnection, since: i64| -> StoreResult<i64> {
        Ok(sessions::table
            .filter(sessions::member_id.is_not_null())
            .filter(sessions::last_seen_at.ge(since))
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>("COUNT(DISTINCT member_id)"))
            .first(conn)?)
    };
    let carriers: Vec<(Option<String>, i64)> = sessions::table
        .filter(sessions::member_id.is_not_null())
        .filter(sessions::last_seen_at.ge(week))
        .group_by(sessions::carrier)
        .select((sessions::carrier, diesel::dsl::count_star()))
        .load(conn)?;
    let mut carriers: Vec<(String, i64)> =
        carriers.into_iter().map(|(c, n)| (c.unwrap_or_else(|| "unknown".into()), n)).collect();
    carriers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Figures {
        members: members::table.count().get_result(conn)?,
        suspended: members::table
            .filter(members::suspended_at.is_not_null())
            .count()
            .get_result(conn)?,
        active_today: active_since(conn, day)?,
        active_week: active_since(conn, week)?,
        entries_today: diary_entries::table
            .filter(diary_entries::created_at.ge(day))
            .count()
            .get_result(conn)?,
        comments_today: diary_comments::table
            .filter(diary_comments::created_at.ge(day))
            .count()
            .get_result::<i64>(conn)?
            + topic_comments::table
                .filter(topic_comments::created_at.ge(day))
                .count()
                .get_result::<i64>(conn)?,
        carriers,
        outbox_waiting: mail_outbox::table
            .filter(mail_outbox::status.eq_any(["queued", "sending"]))
            .count()
            .get_result(conn)?,
    })
}

/// `%` and `_` taken literally in a `LIKE` pattern (with `\` as the escape).
fn like_literal(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Members whose address or nickname contains `q` (case-insensitively for the address),
/// newest first, at most `limit`.
pub fn search(conn: &mut AnyConnection, q: &str, limit: i64) -> StoreResult<Vec<Member>> {
    let pattern = format!("%{}%", like_literal(q.trim()));
    let email_pattern = pattern.to_lowercase();
    Ok(members::table
        .filter(
            members::email
                .like(email_pattern)
                .escape('\\')
                .or(members::nickname.like(pattern).escape('\\')),
        )
        .order(members::id.desc())
        .limit(limit)
        .select(MemberRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Member::from)
        .collect())
}

/// An invitation as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationRow {
    /// Id.
    pub id: i64,
    /// The address it was made for, if any.
    pub email: Option<String>,
    /// The inviter's nickname (none for the operator's, or a withdrawn inviter).
    pub inviter: Option<String>,
    /// Made.
    pub created_at: Timestamp,
    /// Expires (a revoked invitation expired when it was revoked).
    pub expires_at: Timestamp,
    /// Used for a sign-up.
    pub used: bool,
}

/// The newest invitations, newest first.
pub fn list_invitations(conn: &mut AnyConnection, limit: i64) -> StoreResult<Vec<InvitationRow>> {
    type Row = (i64, Option<String>, Option<String>, i64, i64, Option<i64>);
    let rows: Vec<Row> = invitations::table
        .left_join(members::table.on(members::id.nullable().eq(invitations::inviter_id)))
        .order(invitations::id.desc())
        .limit(limit)
        .select((
            invitations::id,
            invitations::email,
            members::nickname.nullable(),
            invitations::created_at,
            invitations::expires_at,
            invitations::used_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, email, inviter, created_at, expires_at, used_at)| InvitationRow {
            id,
            email,
            inviter,
            created_at: Timestamp(created_at),
            expires_at: Timestamp(expires_at),
            used: used_at.is_some(),
        })
        .collect())
}

/// Revokes an invitation that is still open: it expires now, and its link says so. Returns
/// whether it was open (used and expired ones stay as they are). Call inside
/// [`crate::write`].
pub fn revoke_invitation(conn: &mut AnyConnection, id: i64, now: Timestamp) -> StoreResult<bool> {
    let n = diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::used_at.is_null())
            .filter(invitations::expires_at.gt(now.0)),
    )
    .set(invitations::expires_at.eq(now.0))
    .execute(conn)?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(super::like_literal("50%_off\\"), "50\\%\\_off\\\\");
    }
}

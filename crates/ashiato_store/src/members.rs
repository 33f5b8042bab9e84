//! Member settings, search, free profile fields and withdrawal.

use ashiato_core::{MemberId, Scope, Timestamp};
use diesel::prelude::*;

use crate::db::{AnyConnection, native};
use crate::friends::{MemberSummary, MemberSummaryRow};
use crate::schema::{
    communities, community_members, diary_comments, diary_entries, member_mail, members,
    profile_fields, topic_comments, topics,
};
use crate::{StoreError, StoreResult};

/// Settings a member changes on `/settings`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Scope preselected on the diary form.
    pub default_diary_scope: Scope,
    /// Who may see the friend list.
    pub friends_scope: Scope,
    /// Visit without leaving footsteps.
    pub stealth_footsteps: bool,
    /// Not listed in member search.
    pub search_opt_out: bool,
    /// Interface language (`ja`/`en`).
    pub language: String,
}

/// Saves settings.
pub fn save_settings(
    conn: &mut AnyConnection,
    id: MemberId,
    s: &Settings,
    now: Timestamp,
) -> StoreResult<()> {
    let n = diesel::update(members::table.find(id.0))
        .set((
            members::default_diary_scope.eq(s.default_diary_scope.as_str()),
            members::friends_scope.eq(s.friends_scope.as_str()),
            members::stealth_footsteps.eq(s.stealth_footsteps),
            members::search_opt_out.eq(s.search_opt_out),
            members::language.eq(&s.language),
            members::updated_at.eq(now.0),
        ))
        .execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both engines.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Members whose nickname contains `q` (case-insensitive for Latin letters), except those who
/// opted out of search and those in a block with the viewer. Bind parameters only: a `'`, `\`
/// or a 0x5C-trail character in the query is data, never SQL.
pub fn search(
    conn: &mut AnyConnection,
    viewer: MemberId,
    q: &str,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<MemberSummary>> {
    let (blocked_by_viewer, blocking_viewer) = crate::relation::blocks_either_way(viewer);
    Ok(members::table
        .filter(lower(members::nickname).like(like_pattern(&q.to_lowercase())).escape('\\'))
        .filter(members::search_opt_out.eq(false).or(members::id.eq(viewer.0)))
        .filter(members::suspended_at.is_null())
        .filter(members::id.ne_all(blocked_by_viewer))
        .filter(members::id.ne_all(blocking_viewer))
        .order((members::nickname.asc(), members::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(MemberSummaryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(MemberSummary::from)
        .collect())
}

/// A free profile field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreeField {
    /// Label ("好きな食べ物").
    pub label: String,
    /// Value.
    pub value: String,
    /// Who may see it.
    pub scope: Scope,
}

/// Replaces a member's free profile fields. Call inside [`crate::write`].
pub fn set_free_fields(
    conn: &mut AnyConnection,
    id: MemberId,
    fields: &[FreeField],
) -> StoreResult<()> {
    diesel::delete(profile_fields::table.filter(profile_fields::member_id.eq(id.0)))
        .execute(conn)?;
    for (pos, f) in fields.iter().enumerate() {
        diesel::insert_into(profile_fields::table)
            .values((
                profile_fields::member_id.eq(id.0),
                profile_fields::label.eq(&f.label),
                profile_fields::value.eq(&f.value),
                profile_fields::scope.eq(f.scope.as_str()),
                profile_fields::position.eq(i32::try_from(pos).unwrap_or(i32::MAX)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A member's free profile fields in order (no scope filter: callers decide visibility).
pub fn free_fields(conn: &mut AnyConnection, id: MemberId) -> StoreResult<Vec<FreeField>> {
    Ok(profile_fields::table
        .filter(profile_fields::member_id.eq(id.0))
        .order(profile_fields::position.asc())
        .select((profile_fields::label, profile_fields::value, profile_fields::scope))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(label, value, scope)| FreeField {
            label,
            value,
            scope: crate::accounts::scope_or_private(&scope),
        })
        .collect())
}

/// Withdraws a member: deletes the account and everything they wrote, then recounts what their
/// comments and memberships counted elsewhere so other members' pages stay consistent. One
/// transaction: all of it or none of it. Communities they administered keep going without an
/// admin (the next member can take over). Call inside [`crate::write`].
pub fn withdraw(conn: &mut AnyConnection, id: MemberId) -> StoreResult<()> {
    let commented: Vec<i64> = diary_comments::table
        .filter(diary_comments::author_id.eq(id.0))
        .select(diary_comments::entry_id)
        .distinct()
        .load(conn)?;
    let topic_ids: Vec<i64> = topic_comments::table
        .filter(topic_comments::author_id.eq(id.0))
        .select(topic_comments::topic_id)
        .distinct()
        .load(conn)?;
    let community_ids: Vec<i64> = community_members::table
        .filter(community_members::member_id.eq(id.0))
        .select(community_members::community_id)
        .load(conn)?;
    let n = diesel::delete(members::table.find(id.0)).execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    for entry in commented {
        let count: i64 = diary_comments::table
            .filter(diary_comments::entry_id.eq(entry))
            .count()
            .get_result(conn)?;
        diesel::update(diary_entries::table.find(entry))
            .set(diary_entries::comment_count.eq(i32::try_from(count).unwrap_or(i32::MAX)))
            .execute(conn)?;
    }
    for topic in topic_ids {
        let count: i64 = topic_comments::table
            .filter(topic_comments::topic_id.eq(topic))
            .count()
            .get_result(conn)?;
        diesel::update(topics::table.find(topic))
            .set(topics::comment_count.eq(i32::try_from(count).unwrap_or(i32::MAX)))
            .execute(conn)?;
    }
    for community in community_ids {
        let count: i64 = community_members::table
            .filter(community_members::community_id.eq(community))
            .filter(community_members::state.eq("joined"))
            .count()
            .get_result(conn)?;
        diesel::update(communities::table.find(community))
            .set(communities::member_count.eq(count))
            .execute(conn)?;
    }
    Ok(())
}

/// Friends of `member` whose birthday (visible to friends) falls within the next `days` days
/// from `today` (month, day), with the birthday's (month, day).
pub fn friends_birthdays(
    conn: &mut AnyConnection,
    member: MemberId,
    today: (u32, u32),
    days: u32,
) -> StoreResult<Vec<(MemberSummary, (u32, u32))>> {
    use crate::schema::friendships;
    let rows: Vec<(MemberSummaryRow, Option<String>, String)> = native!(conn, c => friendships::table
        .inner_join(members::table.on(members::id.eq(friendships::friend_id)))
        .filter(members::suspended_at.is_null())
        .filter(friendships::member_id.eq(member.0))
        .filter(members::birthday.is_not_null())
        .select((MemberSummaryRow::as_select(), members::birthday, members::birthday_scope))
        .load(c))?;
    let day_of_year = |m: u32, d: u32| {
        ashiato_core::time::days_from_civil(2001, m, d)
            - ashiato_core::time::days_from_civil(2001, 1, 1)
    };
    let start = day_of_year(today.0, today.1);
    let mut out = Vec::new();
    for (friend, birthday, scope) in rows {
        if !crate::accounts::scope_or_private(&scope).allows(ashiato_core::Relation::Friend) {
            continue;
        }
        let Some(Some((_, m, d))) =
            birthday.as_deref().map(|b| ashiato_core::account::parse_birthday(b).ok().flatten())
        else {
            continue;
        };
        // 29 February counts as 28 February in common years for this "this week" list.
        let (m, d) = if (m, d) == (2, 29) { (2, 28) } else { (m, d) };
        let ahead = (day_of_year(m, d) - start).rem_euclid(365);
        if ahead < i64::from(days) {
            out.push((MemberSummary::from(friend), (m, d)));
        }
    }
    out.sort_by_key(|(_, (m, d))| (day_of_year(*m, *d) - start).rem_euclid(365));
    Ok(out)
}

/// What waits for a member on the home page, counted in one statement (four scalar subqueries:
/// one round trip instead of four).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HomeCounts {
    /// Footsteps left on `day` ([`crate::footsteps::count_on_day`]).
    pub footsteps_today: i64,
    /// Friend requests waiting ([`crate::friends::incoming_count`]).
    pub requests: i64,
    /// Unread messages ([`crate::messages::unread_count`]).
    pub unread: i64,
    /// Friends ([`crate::friends::friend_count`]).
    pub friends: i64,
    /// A phone address is registered and not confirmed yet.
    pub phone_unconfirmed: bool,
}

/// [`HomeCounts`] of `member` for the (Japan time) day number `day`.
pub fn home_counts(
    conn: &mut AnyConnection,
    member: MemberId,
    day: i64,
) -> StoreResult<HomeCounts> {
    let (blocked_by, blocking) = crate::relation::blocks_either_way(member);
    let query = diesel::select((
        crate::footsteps::on_day(member.0, day, blocked_by, blocking).count().single_value(),
        crate::friends::incoming_of(member.0).count().single_value(),
        crate::messages::unread_of(member.0).count().single_value(),
        crate::friends::friendships_of(member.0).count().single_value(),
        member_mail::table
            .filter(member_mail::member_id.eq(member.0))
            .filter(member_mail::phone_address.is_not_null())
            .filter(member_mail::phone_confirmed_at.is_null())
            .count()
            .single_value(),
    ));
    type Counts = (Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    let (footsteps_today, requests, unread, friends, phone_unconfirmed): Counts =
        native!(conn, c => query.get_result(c))?;
    Ok(HomeCounts {
        footsteps_today: footsteps_today.unwrap_or(0),
        requests: requests.unwrap_or(0),
        unread: unread.unwrap_or(0),
        friends: friends.unwrap_or(0),
        phone_unconfirmed: phone_unconfirmed.unwrap_or(0) > 0,
    })
}

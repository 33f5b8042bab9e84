//! Drafts that survive the session: the text of a form sent after the member's session had
//! expired, kept under the form's draft key until the member is back.
//!
//! The key itself is never stored (its SHA-256 is), a draft belongs to one member and is
//! handed back only to that member, once.

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::accounts::token_hash;
use crate::db::AnyConnection;
use crate::schema::drafts;

/// Drafts a member may have waiting; older ones make room.
pub const PER_MEMBER: usize = 20;

/// A kept draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// The form page to return to (`/diary/new`).
    pub target: String,
    /// The typed fields as a JSON object.
    pub fields: String,
}

/// Keeps (or replaces) the draft under `key` for `member`. Call inside [`crate::write`].
pub fn save(
    conn: &mut AnyConnection,
    key: &str,
    member: MemberId,
    draft: &Draft,
    now: Timestamp,
    ttl_ms: i64,
) -> StoreResult<()> {
    let hash = token_hash(key);
    diesel::delete(drafts::table.find(&hash)).execute(conn)?;
    diesel::insert_into(drafts::table)
        .values((
            drafts::key_hash.eq(&hash),
            drafts::member_id.eq(member.0),
            drafts::target.eq(&draft.target),
            drafts::fields.eq(&draft.fields),
            drafts::created_at.eq(now.0),
            drafts::expires_at.eq(now.plus_millis(ttl_ms).0),
        ))
        .execute(conn)?;
    let keep: Vec<String> = drafts::table
        .filter(drafts::member_id.eq(member.0))
        .order((drafts::created_at.desc(), drafts::key_hash.desc()))
        .limit(i64::try_from(PER_MEMBER).unwrap_or(i64::MAX))
        .select(drafts::key_hash)
        .load(conn)?;
    diesel::delete(
        drafts::table.filter(drafts::member_id.eq(member.0)).filter(drafts::key_hash.ne_all(keep)),
    )
    .execute(conn)?;
    diesel::delete(drafts::table.filter(drafts::expires_at.le(now.0))).execute(conn)?;
    Ok(())
}

/// The live draft under `key` if it is `member`'s (anyone else's is `None`).
pub fn find(
    conn: &mut AnyConnection,
    key: &str,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<Option<Draft>> {
    Ok(drafts::table
        .find(token_hash(key))
        .filter(drafts::member_id.eq(member.0))
        .filter(drafts::expires_at.gt(now.0))
        .select((drafts::target, drafts::fields))
        .first::<(String, String)>(conn)
        .optional()?
        .map(|(target, fields)| Draft { target, fields }))
}

/// Hands the draft back once: returns it and deletes it, if it is `member`'s and live. Call
/// inside [`crate::write`].
pub fn take(
    conn: &mut AnyConnection,
    key: &str,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<Option<Draft>> {
    let found = find(conn, key, member, now)?;
    if found.is_some() {
        diesel::delete(drafts::table.find(token_hash(key))).execute(conn)?;
    }
    Ok(found)
}

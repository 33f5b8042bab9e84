//! Mailed single-use links: password reset and address confirmation.
//!
//! The link carries a 128-bit random token; the database keeps its SHA-256 (as for invitations
//! and sessions), the member, the purpose and the address it was mailed to. A link works once,
//! until it expires; a reset link also dies when the password changes by any path
//! ([`crate::accounts::set_password_hash`] revokes them).

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::accounts::{new_token, token_hash};
use crate::db::AnyConnection;
use crate::schema::account_tokens;

/// What a link does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Sets a new password.
    Reset,
    /// Confirms the address it was mailed to.
    Verify,
}

impl Purpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "reset",
            Purpose::Verify => "verify",
        }
    }
}

/// A link's stored facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Row id.
    pub id: i64,
    /// Whose link it is.
    pub member: MemberId,
    /// The address it was mailed to.
    pub email: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Whether it was used already.
    pub used: bool,
}

/// Makes a link for `member` mailed to `email`, valid for `ttl_ms`; returns the secret token
/// (shown once, in the mail).
pub fn issue(
    conn: &mut AnyConnection,
    purpose: Purpose,
    member: MemberId,
    email: &str,
    now: Timestamp,
    ttl_ms: i64,
) -> StoreResult<String> {
    let token = new_token()?;
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::purpose.eq(purpose.as_str()),
            account_tokens::member_id.eq(member.0),
            account_tokens::email.eq(email),
            account_tokens::token_hash.eq(token_hash(&token)),
            account_tokens::created_at.eq(now.0),
            account_tokens::expires_at.eq(now.plus_millis(ttl_ms).0),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The link a token names for `purpose`, used or not, expired or not (the caller says which
/// it was); `None` for an unknown token or one made for another purpose.
pub fn find(conn: &mut AnyConnection, purpose: Purpose, token: &str) -> StoreResult<Option<Link>> {
    Ok(account_tokens::table
        .filter(account_tokens::token_hash.eq(token_hash(token)))
        .filter(account_tokens::purpose.eq(purpose.as_str()))
        .select((
            account_tokens::id,
            account_tokens::member_id,
            account_tokens::email,
            account_tokens::expires_at,
            account_tokens::used_at,
        ))
        .first::<(i64, i64, String, i64, Option<i64>)>(conn)
        .optional()?
        .map(|(id, member, email, expires_at, used_at)| Link {
            id,
            member: MemberId(member),
            email,
            expires_at: Timestamp(expires_at),
            used: used_at.is_some(),
        }))
}

/// Uses a link: `true` only for the one caller that marks it used while it is unused and
/// unexpired (two tabs submitting the same link: one wins). Call inside [`crate::write`].
pub fn consume(conn: &mut AnyConnection, id: i64, now: Timestamp) -> StoreResult<bool> {
    let n = diesel::update(
        account_tokens::table
            .find(id)
            .filter(account_tokens::used_at.is_null())
            .filter(account_tokens::expires_at.gt(now.0)),
    )
    .set(account_tokens::used_at.eq(now.0))
    .execute(conn)?;
    Ok(n == 1)
}

/// Kills every unused link of the member for `purpose`; returns how many.
pub fn revoke(conn: &mut AnyConnection, member: MemberId, purpose: Purpose) -> StoreResult<usize> {
    Ok(diesel::delete(
        account_tokens::table
            .filter(account_tokens::member_id.eq(member.0))
            .filter(account_tokens::purpose.eq(purpose.as_str()))
            .filter(account_tokens::used_at.is_null()),
    )
    .execute(conn)?)
}

/// How many links for `purpose` were mailed to `email` since `since` (the per-address limit).
pub fn issued_since(
    conn: &mut AnyConnection,
    purpose: Purpose,
    email: &str,
    since: Timestamp,
) -> StoreResult<i64> {
    Ok(account_tokens::table
        .filter(account_tokens::email.eq(email))
        .filter(account_tokens::purpose.eq(purpose.as_str()))
        .filter(account_tokens::created_at.ge(since.0))
        .count()
        .get_result(conn)?)
}

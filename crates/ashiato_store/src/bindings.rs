//! Easy login (かんたんログイン): a keyed hash of a carrier subscriber ID bound to a member.
//!
//! Only the hash is stored (security.md S-09). Binding happens inside a password-authenticated
//! session; a new binding of the same ID replaces the old one, so an ID that changed hands (a
//! new contract) can be claimed by its new owner with their password.

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::schema::subscriber_bindings;

/// Binds `hash` (of `carrier`'s ID) to `member`, replacing any earlier binding of that ID.
/// Call inside [`crate::write`].
pub fn bind(
    conn: &mut AnyConnection,
    hash: &str,
    member: MemberId,
    carrier: &str,
    now: Timestamp,
) -> StoreResult<()> {
    diesel::delete(subscriber_bindings::table.find(hash)).execute(conn)?;
    diesel::insert_into(subscriber_bindings::table)
        .values((
            subscriber_bindings::subscriber_hash.eq(hash),
            subscriber_bindings::member_id.eq(member.0),
            subscriber_bindings::carrier.eq(carrier),
            subscriber_bindings::created_at.eq(now.0),
        ))
        .execute(conn)?;
    Ok(())
}

/// The member an ID hash is bound to.
pub fn member_for(conn: &mut AnyConnection, hash: &str) -> StoreResult<Option<MemberId>> {
    Ok(subscriber_bindings::table
        .find(hash)
        .select(subscriber_bindings::member_id)
        .first::<i64>(conn)
        .optional()?
        .map(MemberId))
}

/// Removes every binding of a member; returns how many.
pub fn unbind_member(conn: &mut AnyConnection, member: MemberId) -> StoreResult<usize> {
    Ok(diesel::delete(
        subscriber_bindings::table.filter(subscriber_bindings::member_id.eq(member.0)),
    )
    .execute(conn)?)
}

/// How many IDs are bound to a member.
pub fn count_for(conn: &mut AnyConnection, member: MemberId) -> StoreResult<i64> {
    Ok(subscriber_bindings::table
        .filter(subscriber_bindings::member_id.eq(member.0))
        .count()
        .get_result(conn)?)
}

//! Private messages between members.

use ashiato_core::{MemberId, MessageId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::schema::messages;

/// Sends a message. Subject and body must already be validated.
pub fn send(
    conn: &mut AnyConnection,
    from: MemberId,
    to: MemberId,
    subject: &str,
    body: &str,
    reply_to: Option<MessageId>,
    now: Timestamp,
) -> StoreResult<MessageId> {
    Ok(MessageId(
        diesel::insert_into(messages::table)
            .values((
                messages::sender_id.eq(from.0),
                messages::recipient_id.eq(to.0),
                messages::subject.eq(subject),
                messages::body.eq(body),
                messages::reply_to.eq(reply_to.map(|m| m.0)),
                messages::created_at.eq(now.0),
            ))
            .returning(messages::id)
            .get_result::<i64>(conn)?,
    ))
}

/// Number of unread messages in a member's inbox.
pub fn unread_count(conn: &mut AnyConnection, member: MemberId) -> StoreResult<i64> {
    Ok(messages::table
        .filter(messages::recipient_id.eq(member.0))
        .filter(messages::read_at.is_null())
        .filter(messages::recipient_deleted.eq(false))
        .count()
        .get_result(conn)?)
}

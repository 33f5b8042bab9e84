//! Private messages between members.

use std::collections::HashMap;

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

/// The unread messages in a member's inbox.
#[diesel::dsl::auto_type]
pub(crate) fn unread_of(member: i64) -> _ {
    let kept: bool = false;
    messages::table
        .filter(messages::recipient_id.eq(member))
        .filter(messages::read_at.is_null())
        .filter(messages::recipient_deleted.eq(kept))
        .filter(messages::sender_id.ne_all(suspended_ids()))
}

/// Subquery: the suspended members, whose messages leave their recipients' inboxes until the
/// suspension is lifted.
#[diesel::dsl::auto_type]
fn suspended_ids() -> _ {
    members::table.filter(members::suspended_at.is_not_null()).select(members::id)
}

/// Number of unread messages in a member's inbox.
pub fn unread_count(conn: &mut AnyConnection, member: MemberId) -> StoreResult<i64> {
    Ok(unread_of(member.0).count().get_result(conn)?)
}

use crate::StoreError;
use crate::friends::{MemberSummary, MemberSummaryRow};
use crate::schema::members;

/// A message as one side sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Id.
    pub id: MessageId,
    /// Sender.
    pub from: MemberSummary,
    /// Recipient.
    pub to: MemberSummary,
    /// Subject (may be empty).
    pub subject: String,
    /// Body.
    pub body: String,
    /// When sent.
    pub created_at: Timestamp,
    /// When the recipient first read it.
    pub read_at: Option<Timestamp>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = messages)]
struct MessageRow {
    id: i64,
    sender_id: i64,
    recipient_id: i64,
    subject: String,
    body: String,
    created_at: i64,
    read_at: Option<i64>,
}

/// Turns rows into [`Message`]s, looking both sides' nicknames up in one query (an id without a
/// member row reads as an empty nickname).
fn load(conn: &mut AnyConnection, rows: Vec<MessageRow>) -> StoreResult<Vec<Message>> {
    let mut ids: Vec<i64> = rows.iter().flat_map(|r| [r.sender_id, r.recipient_id]).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i64, MemberSummary> = members::table
        .filter(members::id.eq_any(&ids))
        .select(MemberSummaryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| (r.id, MemberSummary::from(r)))
        .collect();
    let summary = |id: i64| {
        names.get(&id).cloned().unwrap_or_else(|| {
            MemberSummary::from(MemberSummaryRow { id, nickname: String::new() })
        })
    };
    Ok(rows
        .into_iter()
        .map(|r| Message {
            id: MessageId(r.id),
            from: summary(r.sender_id),
            to: summary(r.recipient_id),
            subject: r.subject,
            body: r.body,
            created_at: Timestamp(r.created_at),
            read_at: r.read_at.map(Timestamp),
        })
        .collect())
}

/// A member's inbox, newest first (messages they deleted are gone from it).
pub fn inbox(
    conn: &mut AnyConnection,
    member: MemberId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Message>> {
    let rows = messages::table
        .filter(messages::recipient_id.eq(member.0))
        .filter(messages::recipient_deleted.eq(false))
        .filter(messages::sender_id.ne_all(suspended_ids()))
        .order((messages::created_at.desc(), messages::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(MessageRow::as_select())
        .load(conn)?;
    load(conn, rows)
}

/// A member's sent messages, newest first.
pub fn sent(
    conn: &mut AnyConnection,
    member: MemberId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Message>> {
    let rows = messages::table
        .filter(messages::sender_id.eq(member.0))
        .filter(messages::sender_deleted.eq(false))
        .order((messages::created_at.desc(), messages::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(MessageRow::as_select())
        .load(conn)?;
    load(conn, rows)
}

/// The sender's identical message to `to` sent at or after `since`, if any (a double submit).
pub fn same_message_since(
    conn: &mut AnyConnection,
    from: MemberId,
    to: MemberId,
    subject: &str,
    body: &str,
    since: Timestamp,
) -> StoreResult<Option<MessageId>> {
    Ok(messages::table
        .filter(messages::sender_id.eq(from.0))
        .filter(messages::recipient_id.eq(to.0))
        .filter(messages::subject.eq(subject))
        .filter(messages::body.eq(body))
        .filter(messages::created_at.ge(since.0))
        .select(messages::id)
        .first::<i64>(conn)
        .optional()?
        .map(MessageId))
}

/// Whether `member` sent or received message `id` (a reply may only point at such a message).
pub fn is_party(conn: &mut AnyConnection, id: MessageId, member: MemberId) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        messages::table
            .filter(messages::id.eq(id.0))
            .filter(messages::sender_id.eq(member.0).or(messages::recipient_id.eq(member.0))),
    ))
    .get_result(conn)?)
}

/// One message, if `member` is its sender or recipient and has not deleted it; otherwise
/// `NotFound`. Reading it as the recipient marks it read.
pub fn open(
    conn: &mut AnyConnection,
    id: MessageId,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<Message> {
    let row: MessageRow = messages::table
        .filter(messages::id.eq(id.0))
        .filter(
            (messages::sender_id.eq(member.0).and(messages::sender_deleted.eq(false))).or(
                messages::recipient_id
                    .eq(member.0)
                    .and(messages::recipient_deleted.eq(false))
                    .and(messages::sender_id.ne_all(suspended_ids())),
            ),
        )
        .select(MessageRow::as_select())
        .first(conn)?;
    if row.recipient_id == member.0 && row.read_at.is_none() {
        diesel::update(messages::table.find(id.0))
            .set(messages::read_at.eq(now.0))
            .execute(conn)?;
    }
    load(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

/// Deletes a message from `member`'s side only; the other side keeps it.
pub fn delete_for(conn: &mut AnyConnection, id: MessageId, member: MemberId) -> StoreResult<()> {
    let as_sender =
        diesel::update(messages::table.find(id.0).filter(messages::sender_id.eq(member.0)))
            .set(messages::sender_deleted.eq(true))
            .execute(conn)?;
    let as_recipient =
        diesel::update(messages::table.find(id.0).filter(messages::recipient_id.eq(member.0)))
            .set(messages::recipient_deleted.eq(true))
            .execute(conn)?;
    if as_sender + as_recipient == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// A message's sender and recipient. `NotFound` when it is gone.
pub fn parties(conn: &mut AnyConnection, id: MessageId) -> StoreResult<(MemberId, MemberId)> {
    let (s, r): (i64, i64) = messages::table
        .find(id.0)
        .select((messages::sender_id, messages::recipient_id))
        .first(conn)?;
    Ok((MemberId(s), MemberId(r)))
}

/// Deletes a message from both sides (the operators' removal). `NotFound` when it is gone.
pub fn delete_everywhere(conn: &mut AnyConnection, id: MessageId) -> StoreResult<()> {
    let n = diesel::delete(messages::table.find(id.0)).execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// A message's subject and body, whoever sent it (the operators read reported messages).
pub fn text(conn: &mut AnyConnection, id: MessageId) -> StoreResult<(String, String)> {
    Ok(messages::table.find(id.0).select((messages::subject, messages::body)).first(conn)?)
}

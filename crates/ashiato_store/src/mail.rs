//! Mail: members' posting-address tokens and mail settings, the exactly-once receipts of
//! posts made by mail, and the durable outbox of notification mails (docs/mail.md).
//!
//! - **Tokens.** The posting token is never stored. A row keeps a random *nonce* (the token
//!   is derived from it under the server secret by the caller, so the owner's page can show
//!   the address again) and the token's SHA-256 *digest*, which is what an incoming
//!   recipient address is looked up by. Rotating replaces both: the old address is dead at
//!   once.
//! - **Receipts.** `(member, dedup key)` is the primary key; the caller inserts it in the
//!   same [`crate::write`] transaction as the post, so a redelivered message finds it and
//!   posts nothing.
//! - **Outbox.** Composed messages wait in `mail_outbox`. A worker [`claim`]s a due row with a
//!   conditional `UPDATE … WHERE status = 'queued'` (one winner when several workers race),
//!   sends it, and marks it [`mark_sent`] (never sent again) or [`mark_retry`]. A claim that
//!   is never finished (the worker died) expires at `claimed_until` and the row is due again.

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::error::is_unique_violation;
use crate::schema::{mail_bounces, mail_outbox, mail_receipts, member_mail};
use crate::{StoreError, StoreResult};

// ---------------------------------------------------------------------------------------------
// Settings

/// Events a member can be told about by mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotifyKind {
    /// Someone asked to be friends.
    FriendRequest,
    /// A friend request was accepted.
    FriendAccepted,
    /// A message arrived.
    Message,
    /// A comment on the member's diary.
    Comment,
    /// A new topic in a community the member joined.
    Topic,
}

impl NotifyKind {
    /// Every kind, in the order the settings page lists them.
    pub const ALL: [NotifyKind; 5] = [
        NotifyKind::FriendRequest,
        NotifyKind::FriendAccepted,
        NotifyKind::Message,
        NotifyKind::Comment,
        NotifyKind::Topic,
    ];

    /// Stable name (form fields, the outbox `kind` column).
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyKind::FriendRequest => "friend_request",
            NotifyKind::FriendAccepted => "friend_accepted",
            NotifyKind::Message => "message",
            NotifyKind::Comment => "comment",
            NotifyKind::Topic => "topic",
        }
    }
}

/// Which notifications a member wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notify {
    /// Friend requests (default on).
    pub friend_request: bool,
    /// Accepted friend requests (default on).
    pub friend_accepted: bool,
    /// New messages (default on).
    pub message: bool,
    /// Comments on my diary (default on).
    pub comment: bool,
    /// New topics in my communities (default off: busy communities would flood a phone).
    pub topic: bool,
}

impl Default for Notify {
    fn default() -> Self {
        Notify {
            friend_request: true,
            friend_accepted: true,
            message: true,
            comment: true,
            topic: false,
        }
    }
}

impl Notify {
    /// Whether `kind` is switched on.
    pub fn wants(&self, kind: NotifyKind) -> bool {
        match kind {
            NotifyKind::FriendRequest => self.friend_request,
            NotifyKind::FriendAccepted => self.friend_accepted,
            NotifyKind::Message => self.message,
            NotifyKind::Comment => self.comment,
            NotifyKind::Topic => self.topic,
        }
    }

    /// Switches `kind` on or off.
    pub fn set(&mut self, kind: NotifyKind, on: bool) {
        match kind {
            NotifyKind::FriendRequest => self.friend_request = on,
            NotifyKind::FriendAccepted => self.friend_accepted = on,
            NotifyKind::Message => self.message = on,
            NotifyKind::Comment => self.comment = on,
            NotifyKind::Topic => self.topic = on,
        }
    }
}

/// A member's mail settings (defaults when they never changed any).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MailSettings {
    /// Random nonce the posting token is derived from; `None` before the first address.
    pub token_nonce: Option<String>,
    /// Registered phone address (for the `registered` sender policy and notifications).
    pub phone_address: Option<String>,
    /// Whether the member confirmed the phone address by the link mailed to it; only a
    /// confirmed address gets notifications.
    pub phone_confirmed: bool,
    /// Notification opt-ins.
    pub notify: Notify,
}

type SettingsRow = (Option<String>, Option<String>, Option<i64>, bool, bool, bool, bool, bool);

/// A member's mail settings.
pub fn settings(conn: &mut AnyConnection, member: MemberId) -> StoreResult<MailSettings> {
    let row = member_mail::table
        .find(member.0)
        .select((
            member_mail::token_nonce,
            member_mail::phone_address,
            member_mail::phone_confirmed_at,
            member_mail::notify_friend_request,
            member_mail::notify_friend_accepted,
            member_mail::notify_message,
            member_mail::notify_comment,
            member_mail::notify_topic,
        ))
        .first::<SettingsRow>(conn)
        .optional()?;
    Ok(row.map_or_else(MailSettings::default, |r| MailSettings {
        token_nonce: r.0,
        phone_confirmed: r.1.is_some() && r.2.is_some(),
        phone_address: r.1,
        notify: Notify {
            friend_request: r.3,
            friend_accepted: r.4,
            message: r.5,
            comment: r.6,
            topic: r.7,
        },
    }))
}

/// Makes sure the member has a settings row (with default opt-ins). Call inside
/// [`crate::write`].
fn ensure_row(conn: &mut AnyConnection, member: MemberId, now: Timestamp) -> StoreResult<()> {
    let exists: bool =
        diesel::select(diesel::dsl::exists(member_mail::table.find(member.0))).get_result(conn)?;
    if !exists {
        let d = Notify::default();
        diesel::insert_into(member_mail::table)
            .values((
                member_mail::member_id.eq(member.0),
                member_mail::notify_friend_request.eq(d.friend_request),
                member_mail::notify_friend_accepted.eq(d.friend_accepted),
                member_mail::notify_message.eq(d.message),
                member_mail::notify_comment.eq(d.comment),
                member_mail::notify_topic.eq(d.topic),
                member_mail::updated_at.eq(now.0),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Stores a new posting token (its nonce and digest, both hex), replacing any earlier one:
/// every old address stops working at once. Call inside [`crate::write`].
pub fn set_token(
    conn: &mut AnyConnection,
    member: MemberId,
    nonce_hex: &str,
    digest_hex: &str,
    now: Timestamp,
) -> StoreResult<()> {
    ensure_row(conn, member, now)?;
    diesel::update(member_mail::table.find(member.0))
        .set((
            member_mail::token_nonce.eq(nonce_hex),
            member_mail::token_digest.eq(digest_hex),
            member_mail::updated_at.eq(now.0),
        ))
        .execute(conn)?;
    Ok(())
}

/// The member whose current posting token has this digest (hex).
pub fn member_by_token(
    conn: &mut AnyConnection,
    digest_hex: &str,
) -> StoreResult<Option<MemberId>> {
    Ok(member_mail::table
        .filter(member_mail::token_digest.eq(digest_hex))
        .select(member_mail::member_id)
        .first::<i64>(conn)
        .optional()?
        .map(MemberId))
}

/// Sets or clears the registered phone address (already validated and normalised by the
/// caller). A new address starts unconfirmed; saving the same address again keeps its
/// confirmation. Returns whether the address changed. Call inside [`crate::write`].
pub fn set_phone_address(
    conn: &mut AnyConnection,
    member: MemberId,
    address: Option<&str>,
    now: Timestamp,
) -> StoreResult<bool> {
    ensure_row(conn, member, now)?;
    let before: Option<String> =
        member_mail::table.find(member.0).select(member_mail::phone_address).first(conn)?;
    if before.as_deref() == address {
        return Ok(false);
    }
    diesel::update(member_mail::table.find(member.0))
        .set((
            member_mail::phone_address.eq(address),
            member_mail::phone_confirmed_at.eq(None::<i64>),
            member_mail::updated_at.eq(now.0),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Marks the phone address confirmed if it is still `address` (a link mailed to an address
/// the member has since replaced confirms nothing). Returns whether it did. Call inside
/// [`crate::write`].
pub fn confirm_phone_address(
    conn: &mut AnyConnection,
    member: MemberId,
    address: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = diesel::update(
        member_mail::table.find(member.0).filter(member_mail::phone_address.eq(address)),
    )
    .set(member_mail::phone_confirmed_at.eq(now.0))
    .execute(conn)?;
    Ok(n > 0)
}

/// Saves the notification opt-ins. Call inside [`crate::write`].
pub fn set_notify(
    conn: &mut AnyConnection,
    member: MemberId,
    notify: Notify,
    now: Timestamp,
) -> StoreResult<()> {
    ensure_row(conn, member, now)?;
    diesel::update(member_mail::table.find(member.0))
        .set((
            member_mail::notify_friend_request.eq(notify.friend_request),
            member_mail::notify_friend_accepted.eq(notify.friend_accepted),
            member_mail::notify_message.eq(notify.message),
            member_mail::notify_comment.eq(notify.comment),
            member_mail::notify_topic.eq(notify.topic),
            member_mail::updated_at.eq(now.0),
        ))
        .execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Receipts

/// Whether a message with this dedup key (hex) already posted for the member.
pub fn receipt_exists(
    conn: &mut AnyConnection,
    member: MemberId,
    key_hex: &str,
) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(mail_receipts::table.find((member.0, key_hex))))
        .get_result(conn)?)
}

/// Records that a message posted. Call inside the [`crate::write`] transaction that makes the
/// post. Returns `false` (and writes nothing) when the key is already there; a concurrent
/// delivery of the same message that inserts first makes this call fail with a unique
/// violation, which rolls the caller's whole transaction back.
pub fn insert_receipt(
    conn: &mut AnyConnection,
    member: MemberId,
    key_hex: &str,
    action: &str,
    target: Option<i64>,
    now: Timestamp,
) -> StoreResult<bool> {
    if receipt_exists(conn, member, key_hex)? {
        return Ok(false);
    }
    diesel::insert_into(mail_receipts::table)
        .values((
            mail_receipts::member_id.eq(member.0),
            mail_receipts::dedup_key.eq(key_hex),
            mail_receipts::action.eq(action),
            mail_receipts::target_id.eq(target),
            mail_receipts::received_at.eq(now.0),
        ))
        .execute(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Unavailable("the same message is being posted concurrently".into())
            } else {
                e.into()
            }
        })?;
    Ok(true)
}

/// Sets the post a receipt made (after the post's id is known, same transaction).
pub fn set_receipt_target(
    conn: &mut AnyConnection,
    member: MemberId,
    key_hex: &str,
    target: i64,
) -> StoreResult<()> {
    diesel::update(mail_receipts::table.find((member.0, key_hex)))
        .set(mail_receipts::target_id.eq(Some(target)))
        .execute(conn)?;
    Ok(())
}

/// How many receipts a member has (tests and operations).
pub fn receipt_count(conn: &mut AnyConnection, member: MemberId) -> StoreResult<i64> {
    Ok(mail_receipts::table
        .filter(mail_receipts::member_id.eq(member.0))
        .count()
        .get_result(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Outbox

/// Outbox row states.
pub mod status {
    /// Waiting for `next_attempt_at`.
    pub const QUEUED: &str = "queued";
    /// Claimed by a worker until `claimed_until`.
    pub const SENDING: &str = "sending";
    /// Accepted by the relay; never sent again.
    pub const SENT: &str = "sent";
    /// Gave up after the last attempt (or refused permanently by the relay).
    pub const FAILED: &str = "failed";
    /// Sent, then a hard bounce came back for it.
    pub const BOUNCED: &str = "bounced";
}

/// A mail to put in the outbox.
#[derive(Clone, Debug)]
pub struct NewMail<'a> {
    /// The member it is for (rows go when the member does).
    pub member: Option<MemberId>,
    /// Envelope recipient.
    pub to: &'a str,
    /// What it is about ([`NotifyKind::as_str`] or another short code).
    pub kind: &'a str,
    /// The complete RFC 5322 message, CRLF line ends.
    pub message: &'a [u8],
}

/// A claimed outbox row.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Id.
    pub id: i64,
    /// Envelope recipient.
    pub to: String,
    /// Kind code.
    pub kind: String,
    /// The message bytes.
    pub message: Vec<u8>,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// Random tag of its VERP envelope sender (`bounce-<id>-<tag>@…`); empty for rows queued
    /// before bounces were tracked.
    pub bounce_tag: String,
}

impl std::fmt::Debug for OutboxMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMail")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("bytes", &self.message.len())
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Queues a mail, due at once. Call inside the transaction of the event it reports when
/// practical, so the event and its notification commit together.
pub fn enqueue(conn: &mut AnyConnection, mail: &NewMail<'_>, now: Timestamp) -> StoreResult<i64> {
    Ok(diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::member_id.eq(mail.member.map(|m| m.0)),
            mail_outbox::to_address.eq(mail.to),
            mail_outbox::kind.eq(mail.kind),
            mail_outbox::message.eq(mail.message),
            mail_outbox::status.eq(status::QUEUED),
            mail_outbox::attempts.eq(0),
            mail_outbox::next_attempt_at.eq(now.0),
            mail_outbox::created_at.eq(now.0),
            mail_outbox::bounce_tag.eq(hex::encode(crate::db::random_bytes::<8>()?)),
        ))
        .returning(mail_outbox::id)
        .get_result::<i64>(conn)?)
}

/// Times (ms) of mails queued for an address since `since`, for the per-recipient rate limit.
pub fn queued_since(conn: &mut AnyConnection, to: &str, since: Timestamp) -> StoreResult<Vec<i64>> {
    Ok(mail_outbox::table
        .filter(mail_outbox::to_address.eq(to))
        .filter(mail_outbox::created_at.ge(since.0))
        .select(mail_outbox::created_at)
        .load(conn)?)
}

/// Ids of rows due at `now` (queued and due, or claimed by a worker whose claim expired),
/// oldest first.
pub fn due(conn: &mut AnyConnection, now: Timestamp, limit: i64) -> StoreResult<Vec<i64>> {
    Ok(mail_outbox::table
        .filter(
            mail_outbox::status.eq(status::QUEUED).and(mail_outbox::next_attempt_at.le(now.0)).or(
                mail_outbox::status.eq(status::SENDING).and(mail_outbox::claimed_until.lt(now.0)),
            ),
        )
        .order(mail_outbox::id.asc())
        .limit(limit)
        .select(mail_outbox::id)
        .load(conn)?)
}

/// Claims a due row for `lease_ms`. Exactly one of several racing workers gets `Some`: the
/// `UPDATE` only matches while the row is still queued (or its earlier claim expired), and
/// the row count says who won. A sent or failed row is never claimed.
pub fn claim(
    conn: &mut AnyConnection,
    id: i64,
    now: Timestamp,
    lease_ms: i64,
) -> StoreResult<Option<OutboxMail>> {
    let won =
        diesel::update(mail_outbox::table.find(id).filter(
            mail_outbox::status.eq(status::QUEUED).and(mail_outbox::next_attempt_at.le(now.0)).or(
                mail_outbox::status.eq(status::SENDING).and(mail_outbox::claimed_until.lt(now.0)),
            ),
        ))
        .set((
            mail_outbox::status.eq(status::SENDING),
            mail_outbox::claimed_until.eq(Some(now.0.saturating_add(lease_ms))),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
        ))
        .execute(conn)?;
    if won != 1 {
        return Ok(None);
    }
    let (to, kind, message, attempts, bounce_tag) = mail_outbox::table
        .find(id)
        .select((
            mail_outbox::to_address,
            mail_outbox::kind,
            mail_outbox::message,
            mail_outbox::attempts,
            mail_outbox::bounce_tag,
        ))
        .first::<(String, String, Vec<u8>, i32, String)>(conn)?;
    Ok(Some(OutboxMail { id, to, kind, message, attempts, bounce_tag }))
}

/// Marks a claimed row as sent. Returns whether this call did it (false: the claim had
/// expired and another worker took the row over).
pub fn mark_sent(conn: &mut AnyConnection, id: i64, now: Timestamp) -> StoreResult<bool> {
    Ok(diesel::update(mail_outbox::table.find(id).filter(mail_outbox::status.eq(status::SENDING)))
        .set((
            mail_outbox::status.eq(status::SENT),
            mail_outbox::sent_at.eq(Some(now.0)),
            mail_outbox::claimed_until.eq(None::<i64>),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?
        == 1)
}

/// Puts a claimed row back after a failed attempt: due again at `retry_at`, or failed for
/// good when `retry_at` is `None`. `error` is one line for operators (no message content).
pub fn mark_retry(
    conn: &mut AnyConnection,
    id: i64,
    retry_at: Option<Timestamp>,
    error: &str,
) -> StoreResult<()> {
    let (state, next) = match retry_at {
        Some(t) => (status::QUEUED, Some(t.0)),
        None => (status::FAILED, None),
    };
    let q = mail_outbox::table.find(id).filter(mail_outbox::status.eq(status::SENDING));
    match next {
        Some(t) => diesel::update(q)
            .set((
                mail_outbox::status.eq(state),
                mail_outbox::next_attempt_at.eq(t),
                mail_outbox::claimed_until.eq(None::<i64>),
                mail_outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
        None => diesel::update(q)
            .set((
                mail_outbox::status.eq(state),
                mail_outbox::claimed_until.eq(None::<i64>),
                mail_outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// One outbox row as operators and tests see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    /// Id.
    pub id: i64,
    /// Recipient.
    pub to: String,
    /// Kind code.
    pub kind: String,
    /// State ([`status`]).
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// Next attempt time (ms).
    pub next_attempt_at: i64,
    /// Last error line.
    pub last_error: Option<String>,
    /// Sent at (ms).
    pub sent_at: Option<i64>,
}

type OutboxRowTuple = (i64, String, String, String, i32, i64, Option<String>, Option<i64>);

/// Every outbox row, oldest first (tests and operations; the table is pruned by operators).
pub fn outbox_rows(conn: &mut AnyConnection) -> StoreResult<Vec<OutboxRow>> {
    Ok(mail_outbox::table
        .order(mail_outbox::id.asc())
        .select((
            mail_outbox::id,
            mail_outbox::to_address,
            mail_outbox::kind,
            mail_outbox::status,
            mail_outbox::attempts,
            mail_outbox::next_attempt_at,
            mail_outbox::last_error,
            mail_outbox::sent_at,
        ))
        .load::<OutboxRowTuple>(conn)?
        .into_iter()
        .map(|r| OutboxRow {
            id: r.0,
            to: r.1,
            kind: r.2,
            status: r.3,
            attempts: r.4,
            next_attempt_at: r.5,
            last_error: r.6,
            sent_at: r.7,
        })
        .collect())
}

/// Deletes sent rows older than `before` (ms); returns how many.
pub fn prune_sent(conn: &mut AnyConnection, before: Timestamp) -> StoreResult<usize> {
    Ok(diesel::delete(
        mail_outbox::table
            .filter(mail_outbox::status.eq(status::SENT))
            .filter(mail_outbox::sent_at.lt(before.0)),
    )
    .execute(conn)?)
}

/// Joined members of a community who want mail about new topics.
pub fn topic_subscribers(
    conn: &mut AnyConnection,
    community: ashiato_core::CommunityId,
) -> StoreResult<Vec<MemberId>> {
    use crate::schema::community_members;
    Ok(community_members::table
        .inner_join(member_mail::table.on(member_mail::member_id.eq(community_members::member_id)))
        .filter(community_members::community_id.eq(community.0))
        .filter(community_members::state.eq("joined"))
        .filter(member_mail::notify_topic.eq(true))
        .select(community_members::member_id)
        .load::<i64>(conn)?
        .into_iter()
        .map(MemberId)
        .collect())
}

/// Makes every queued row due at `now` (an operator's flush after the relay is back);
/// returns how many were waiting. Rows being sent, sent or failed are left alone.
pub fn flush(conn: &mut AnyConnection, now: Timestamp) -> StoreResult<usize> {
    Ok(diesel::update(
        mail_outbox::table
            .filter(mail_outbox::status.eq(status::QUEUED))
            .filter(mail_outbox::next_attempt_at.gt(now.0)),
    )
    .set(mail_outbox::next_attempt_at.eq(now.0))
    .execute(conn)?)
}

/// Outbox mails by state (for `/metrics`), states in name order.
pub fn outbox_counts(conn: &mut AnyConnection) -> StoreResult<Vec<(String, i64)>> {
    Ok(mail_outbox::table
        .group_by(mail_outbox::status)
        .select((mail_outbox::status, diesel::dsl::count_star()))
        .order(mail_outbox::status.asc())
        .load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// Bounces

/// The recipient of outbox row `id` if `tag` is its bounce tag: the address a delivery status
/// notification to `bounce-<id>-<tag>@…` is about. A wrong or empty tag names nothing, so a
/// forged bounce cannot mark an address undeliverable.
pub fn bounce_recipient(
    conn: &mut AnyConnection,
    id: i64,
    tag: &str,
) -> StoreResult<Option<String>> {
    let row = mail_outbox::table
        .find(id)
        .select((mail_outbox::to_address, mail_outbox::bounce_tag))
        .first::<(String, String)>(conn)
        .optional()?;
    Ok(row.and_then(|(to, stored)| {
        let same = !stored.is_empty()
            && subtle::ConstantTimeEq::ct_eq(stored.as_bytes(), tag.as_bytes()).into();
        same.then_some(to)
    }))
}

/// An address's bounce record after [`record_bounce`].
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = mail_bounces)]
pub struct BounceRecord {
    /// The address (lower case).
    pub address: String,
    /// Hard bounces counted.
    pub hard_bounces: i32,
    /// Soft bounces counted.
    pub soft_bounces: i32,
    /// The last DSN status (`5.1.1`).
    pub last_status: String,
    /// Last bounce (ms).
    pub last_bounce_at: i64,
    /// When it was marked undeliverable (ms).
    pub undeliverable_at: Option<i64>,
}

/// Counts one bounce of outbox mail `id` for `address` (hard: a permanent failure, `5.x.x`);
/// with the hard count at `limit` the address becomes undeliverable (once: the first time
/// stays). A mail's hard bounce counts once: the row turns `bounced`, and the same report
/// again (an MTA retrying it, a bounce storm) returns `None` and counts nothing. Call inside
/// a [`crate::write`] transaction.
pub fn record_bounce(
    conn: &mut AnyConnection,
    id: i64,
    address: &str,
    hard: bool,
    dsn_status: &str,
    now: Timestamp,
    limit: i32,
) -> StoreResult<Option<BounceRecord>> {
    if hard {
        let first = diesel::update(
            mail_outbox::table.find(id).filter(mail_outbox::status.ne(status::BOUNCED)),
        )
        .set((
            mail_outbox::status.eq(status::BOUNCED),
            mail_outbox::last_error.eq(Some(format!("bounced: {dsn_status}"))),
        ))
        .execute(conn)?;
        if first == 0 {
            return Ok(None);
        }
    }
    let address = address.trim().to_ascii_lowercase();
    let (hard_add, soft_add) = if hard { (1, 0) } else { (0, 1) };
    let updated = diesel::update(mail_bounces::table.find(&address))
        .set((
            mail_bounces::hard_bounces.eq(mail_bounces::hard_bounces + hard_add),
            mail_bounces::soft_bounces.eq(mail_bounces::soft_bounces + soft_add),
            mail_bounces::last_status.eq(dsn_status),
            mail_bounces::last_bounce_at.eq(now.0),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(mail_bounces::table)
            .values((
                mail_bounces::address.eq(&address),
                mail_bounces::hard_bounces.eq(hard_add),
                mail_bounces::soft_bounces.eq(soft_add),
                mail_bounces::last_status.eq(dsn_status),
                mail_bounces::last_bounce_at.eq(now.0),
            ))
            .execute(conn)?;
    }
    diesel::update(
        mail_bounces::table
            .find(&address)
            .filter(mail_bounces::hard_bounces.ge(limit))
            .filter(mail_bounces::undeliverable_at.is_null()),
    )
    .set(mail_bounces::undeliverable_at.eq(Some(now.0)))
    .execute(conn)?;
    Ok(Some(mail_bounces::table.find(&address).select(BounceRecord::as_select()).first(conn)?))
}

/// Takes the confirmation back from every member's login or phone address equal to
/// `address` (case-insensitive), as an address that bounces again and again no longer works:
/// notifications, which go only to confirmed addresses, stop, and the member's home asks them
/// to confirm it again (the link's mail is an account mail, sent anyway). Returns how many
/// addresses changed.
pub fn unconfirm_address(conn: &mut AnyConnection, address: &str) -> StoreResult<usize> {
    use crate::members::lower;
    use crate::schema::members;
    let address = address.trim().to_ascii_lowercase();
    let logins = diesel::update(members::table.filter(lower(members::email).eq(&address)))
        .set(members::email_confirmed_at.eq(None::<i64>))
        .execute(conn)?;
    let phones = diesel::update(
        member_mail::table.filter(lower(member_mail::phone_address.assume_not_null()).eq(&address)),
    )
    .set(member_mail::phone_confirmed_at.eq(None::<i64>))
    .execute(conn)?;
    Ok(logins + phones)
}

/// Whether `address` is marked undeliverable (notification mails to it are not queued).
pub fn is_undeliverable(conn: &mut AnyConnection, address: &str) -> StoreResult<bool> {
    let address = address.trim().to_ascii_lowercase();
    Ok(mail_bounces::table
        .find(address)
        .select(mail_bounces::undeliverable_at)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten()
        .is_some())
}

/// Forgets an address's bounces (its owner confirmed it again: it works).
pub fn clear_bounces(conn: &mut AnyConnection, address: &str) -> StoreResult<()> {
    let address = address.trim().to_ascii_lowercase();
    diesel::delete(mail_bounces::table.find(address)).execute(conn)?;
    Ok(())
}

/// Addresses with bounces, the undeliverable first, then by last bounce, newest first.
pub fn bounces(conn: &mut AnyConnection, limit: i64) -> StoreResult<Vec<BounceRecord>> {
    Ok(mail_bounces::table
        .order((
            mail_bounces::undeliverable_at.is_null().asc(),
            mail_bounces::last_bounce_at.desc(),
        ))
        .select(BounceRecord::as_select())
        .limit(limit)
        .load(conn)?)
}

/// How many addresses are undeliverable (for `/metrics`).
pub fn undeliverable_count(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(mail_bounces::table
        .filter(mail_bounces::undeliverable_at.is_not_null())
        .count()
        .get_result(conn)?)
}

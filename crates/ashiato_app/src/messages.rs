//! Messages between members: the inbox and the sent list, reading (which marks a message
//! read), writing and replying (with the notification mail), deleting from one's own side.

use ashiato_core::content::{DOUBLE_SUBMIT_MS, MESSAGE_SUBJECT_MAX, MessageDraft};
use ashiato_core::{MemberId, MessageId, Relation};
use ashiato_store::messages::{self, Message};
use ashiato_store::{AnyConnection, StoreError, StoreResult, accounts};

use crate::friends::visible_member_in;
use crate::{App, AppResult, now};

/// A page of the member's inbox, newest first.
pub async fn inbox(app: &App, me: MemberId, limit: i64, offset: i64) -> AppResult<Vec<Message>> {
    app.run(move |c| messages::inbox(c, me, limit, offset)).await
}

/// A page of the member's sent messages, newest first.
pub async fn sent(app: &App, me: MemberId, limit: i64, offset: i64) -> AppResult<Vec<Message>> {
    app.run(move |c| messages::sent(c, me, limit, offset)).await
}

/// Opens a message the member sent or received and has not deleted (`NotFound` otherwise);
/// reading it as the recipient marks it read.
pub async fn read(app: &App, me: MemberId, id: MessageId) -> AppResult<Message> {
    app.run(move |c| messages::open(c, id, me, now())).await
}

/// Deletes a message from the member's side only; the other side keeps it. `NotFound` when it
/// is not theirs (or gone from their side already).
pub async fn delete(app: &App, me: MemberId, id: MessageId) -> AppResult<()> {
    app.run(move |c| messages::delete_for(c, id, me)).await
}

/// On the caller's connection: a member `me` may write to (one they may see, not themself).
fn recipient_in(
    c: &mut AnyConnection,
    me: MemberId,
    to: MemberId,
) -> StoreResult<accounts::Member> {
    let (member, rel) = visible_member_in(c, me, to)?;
    if rel == Relation::Owner {
        return Err(StoreError::NotFound);
    }
    Ok(member)
}

/// A member `me` may write to: one they may see, not themself. Anyone else (missing, a block
/// either way) is `NotFound`.
pub async fn recipient(app: &App, me: MemberId, to: MemberId) -> AppResult<accounts::Member> {
    app.run(move |c| recipient_in(c, me, to)).await
}

/// What the compose page starts with.
#[derive(Debug)]
pub struct Compose {
    /// Who the message goes to.
    pub recipient: accounts::Member,
    /// "Re: " and the subject of the message replied to (cut to the subject's limit), when
    /// that message is one the member may open.
    pub reply_subject: Option<String>,
}

/// The compose page for a message to `to`, replying to `reply` if given: the recipient as
/// [`recipient`] checks it, and the reply's subject. Opening the message replied to marks it
/// read; one the member may not open is ignored.
pub async fn compose(
    app: &App,
    me: MemberId,
    to: MemberId,
    reply: Option<MessageId>,
) -> AppResult<Compose> {
    app.run(move |c| {
        let recipient = recipient_in(c, me, to)?;
        let reply_subject =
            reply.and_then(|r| messages::open(c, r, me, now()).ok()).map(|original| {
                format!("Re: {}", original.subject).chars().take(MESSAGE_SUBJECT_MAX).collect()
            });
        Ok(Compose { recipient, reply_subject })
    })
    .await
}

/// Sends a validated message to a recipient the caller checked with [`recipient`], and mails
/// them a notification. A reply may only point at a message `me` sent or received; any other
/// id is dropped rather than linked. A second tap on a slow link (the same subject and body to
/// the same member within [`DOUBLE_SUBMIT_MS`]) sends nothing new and answers with the first
/// message.
pub async fn send(
    app: &App,
    me: MemberId,
    nickname: String,
    to: MemberId,
    draft: MessageDraft,
    reply_to: Option<MessageId>,
) -> AppResult<MessageId> {
    let config = app.config.clone();
    app.write(move |c| {
        let reply_to = match reply_to {
            Some(r) if messages::is_party(c, r, me)? => Some(r),
            _ => None,
        };
        let t = now();
        let since = t.plus_millis(-DOUBLE_SUBMIT_MS);
        if let Some(first) =
            messages::same_message_since(c, me, to, &draft.subject, &draft.body, since)?
        {
            return Ok(first);
        }
        crate::mail::send_message(
            c,
            &config,
            (me, &nickname),
            to,
            &draft.subject,
            &draft.body,
            reply_to,
            t,
        )
    })
    .await
}

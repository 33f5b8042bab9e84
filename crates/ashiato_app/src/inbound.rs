//! Post by mail: delivering one message to one posting address, the use case `ashiato
//! mail-ingest` (a pipe from the MTA) and the LMTP listener share.
//!
//! Exactly once (security.md R-05): photo masters are written first (content-addressed,
//! atomically); then **one** transaction inserts the receipt `(member, dedup key)`, the photo
//! rows, the post and its photo links. A failure before the commit rolls all rows back and
//! removes the files this delivery created that no row refers to; the MTA is told to retry
//! (75 / `451`). A retry, or a second copy of the message, finds the receipt and posts
//! nothing. A process killed between the files and the commit leaves files without rows; the
//! retry writes the same content-addressed files again (they exist: not created, not
//! removed) and commits them.

use std::sync::Arc;

use crate::config::Config;
use crate::diary::{Commenter, add_comment_in};
use crate::now;
use crate::photos::{Photos, PreparedPhoto, UploadProblem};
use ashiato_core::account::Email;
use ashiato_core::content::{COMMENT_MAX, DIARY_BODY_MAX, DIARY_TITLE_MAX};
use ashiato_core::{DiaryId, MemberId, Timestamp};
use ashiato_mail::{
    Accepted, Action, Decision, Disposition, Inbound, Reply, is_join_address, parse_inbound,
    parse_mailbox, parse_recipient,
};
use ashiato_store::mail as store_mail;
use ashiato_store::{Db, StoreError, accounts, diary, photos};

/// Sign-up links one address may get by empty mail per day.
pub const JOIN_LINKS_PER_DAY: i64 = 3;

/// What a successful delivery did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivered {
    /// A new diary entry (its id).
    Diary(i64),
    /// A comment on a diary entry (the entry's id).
    Comment(i64),
    /// A new profile photo (the photo's id).
    ProfilePhoto(i64),
    /// The message had posted before (same Message-ID or content): nothing new.
    Duplicate,
    /// Automated mail (bounce, auto-reply, list): accepted and dropped, never answered.
    Discarded,
    /// An empty mail to the sign-up address: a sign-up link went back to the sender.
    JoinLink,
    /// A mail to the sign-up address from an address over its daily number of links:
    /// accepted, not answered.
    JoinLimited,
    /// A mail to the sign-up address whose sender our MTA could not verify (SPF): accepted,
    /// not answered, as its From may be someone else's phone (S-26).
    SenderUnverified,
    /// A delivery status notification about one of our mails: counted for its recipient.
    Bounce {
        /// A permanent failure.
        hard: bool,
        /// The address has just become undeliverable.
        undeliverable: bool,
    },
}

impl Delivered {
    /// The success reply line (`250 2.0.0 …`).
    pub fn reply_line(&self) -> String {
        let what = match self {
            Delivered::Diary(_) => "posted as a diary entry",
            Delivered::Comment(_) => "posted as a comment",
            Delivered::ProfilePhoto(_) => "profile photo changed",
            Delivered::Duplicate => "already posted",
            Delivered::Discarded => "automated mail discarded",
            Delivered::JoinLink => "sign-up link sent",
            Delivered::JoinLimited => "sign-up links for this address used up today",
            Delivered::SenderUnverified => "sender not verified (SPF): not answered",
            Delivered::Bounce { .. } => "bounce recorded",
        };
        format!("250 2.0.0 {what}")
    }
}

/// A test-only fault (debug builds only, `ASHIATO_TEST_MAIL_FAULT`), to prove the
/// exactly-once design: `abort-after-files` ends the process right after the photo files are
/// written (as a kill would), `fail-in-transaction` fails the transaction after every row
/// was inserted.
fn test_fault() -> Option<String> {
    if cfg!(debug_assertions) { std::env::var("ASHIATO_TEST_MAIL_FAULT").ok() } else { None }
}

/// The delivery service: database, settings and the photo pipeline.
#[derive(Clone, Debug)]
pub struct Ingest {
    db: Db,
    config: Arc<Config>,
    photos: Photos,
}

fn temporary(why: &str) -> Reply {
    Reply::temporary(why)
}

fn store_temporary(e: &StoreError) -> Reply {
    tracing::warn!(error.cause = %e, "mail delivery failed for now");
    temporary("storage unavailable, try again later")
}

impl Ingest {
    /// The service over an open database.
    pub fn new(db: Db, config: Arc<Config>) -> Ingest {
        let photos = Photos::new(&config);
        Ingest { db, config, photos }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether `recipient` is a live posting address (its member), the sign-up address
    /// (`None`, when open sign-up is on) or the bounce address of one of our mails (`None`);
    /// LMTP answers `RCPT` with this before the message arrives. Unknown, malformed and
    /// rotated addresses are all `550 5.1.1`.
    pub fn check_recipient(&self, recipient: &str) -> Result<Option<MemberId>, Reply> {
        let unknown =
            || Reply::new(Disposition::UnknownRecipient, 550, "5.1.1", "no such posting address");
        if !self.config.mail_enabled() {
            return Err(unknown());
        }
        if is_join_address(recipient, &self.config.mail_addresses()) {
            return if self.config.open_signup { Ok(None) } else { Err(unknown()) };
        }
        if self.bounce_recipient(recipient)?.is_some() {
            return Ok(None);
        }
        let r = parse_recipient(recipient, &self.config.mail_addresses()).map_err(|e| e.reply())?;
        let digest = hex::encode(r.token.digest());
        let mut conn = self.db.conn().map_err(|e| store_temporary(&e))?;
        store_mail::member_by_token(&mut conn, &digest)
            .map_err(|e| store_temporary(&e))?
            .map(Some)
            .ok_or_else(unknown)
    }

    /// Delivers `raw` to `recipient`; `sender` is the envelope sender when the MTA gave one
    /// (`""` or `<>` for a bounce).
    pub fn deliver(
        &self,
        raw: &[u8],
        recipient: &str,
        sender: Option<&str>,
    ) -> Result<Delivered, Reply> {
        if let Some((id, address)) = self.bounce_recipient(recipient)? {
            return self.bounce(raw, id, &address);
        }
        let Some(member) = self.check_recipient(recipient)? else {
            return self.join(raw, sender);
        };
        let recipient =
            parse_recipient(recipient, &self.config.mail_addresses()).map_err(|e| e.reply())?;
        let mut inbound = parse_inbound(raw, &self.config.mail_limits()).map_err(|e| e.reply())?;
        if let Some(s) = sender {
            inbound.apply_envelope_sender(s);
        }
        let (settings, author) = {
            let mut conn = self.db.conn().map_err(|e| store_temporary(&e))?;
            let settings =
                store_mail::settings(&mut conn, member).map_err(|e| store_temporary(&e))?;
            let author =
                accounts::find_member(&mut conn, member).map_err(|e| store_temporary(&e))?;
            (settings, author)
        };
        if author.suspended.is_some() {
            return Err(Reply::new(Disposition::Permanent, 550, "5.7.1", "account suspended"));
        }
        let registered = settings.phone_address.as_deref().and_then(parse_mailbox);
        let accepted = match ashiato_mail::decide(
            &inbound,
            &recipient,
            registered.as_ref(),
            self.config.mail_policy(),
        ) {
            Decision::Accept(a) => a,
            Decision::Discard(_) => return Ok(Delivered::Discarded),
            Decision::Refuse(reply) => return Err(reply),
        };
        let key = inbound.dedup.to_hex();
        {
            let mut conn = self.db.conn().map_err(|e| store_temporary(&e))?;
            if store_mail::receipt_exists(&mut conn, member, &key)
                .map_err(|e| store_temporary(&e))?
            {
                return Ok(Delivered::Duplicate);
            }
            if let Action::Comment(entry) = accepted.action {
                self.check_comment(&mut conn, member, entry)?;
            }
        }
        let prepared = self.prepare_photos(member, &inbound, &accepted)?;
        if matches!(test_fault().as_deref(), Some("abort-after-files")) {
            // As if the process were killed here: no cleanup, no reply.
            std::process::abort();
        }
        let result = self.commit(member, &author, &key, &accepted, &prepared);
        match result {
            Ok(Delivered::Duplicate) | Err(_) => {
                self.photos.discard_blocking(&self.db, &prepared);
            }
            Ok(_) => {}
        }
        result
    }

    /// The outbox id and address of one of our mails, when `recipient` is that mail's bounce
    /// address (`bounce-<id>-<tag>@<mail_domain>`); a bounce address with a wrong tag is an
    /// unknown recipient (a forged bounce marks nothing), any other address `None`.
    fn bounce_recipient(&self, recipient: &str) -> Result<Option<(i64, String)>, Reply> {
        let domain = self.config.mail_addresses().domain;
        let Some((id, tag)) = ashiato_mail::parse_bounce_address(recipient, &domain) else {
            return Ok(None);
        };
        let mut conn = self.db.conn().map_err(|e| store_temporary(&e))?;
        match store_mail::bounce_recipient(&mut conn, id, &tag).map_err(|e| store_temporary(&e))? {
            Some(address) => Ok(Some((id, address))),
            None => {
                tracing::info!(
                    security.event = "forged_bounce",
                    "bounce with an unknown tag refused"
                );
                Err(Reply::new(
                    Disposition::UnknownRecipient,
                    550,
                    "5.1.1",
                    "no such bounce address",
                ))
            }
        }
    }

    /// Counts a bounce for `address`. Never answered (a bounce has the null sender); a report
    /// that says nothing failed is accepted and dropped.
    fn bounce(&self, raw: &[u8], id: i64, address: &str) -> Result<Delivered, Reply> {
        let Some(report) = ashiato_mail::parse_bounce(raw) else {
            tracing::info!(mail.action = "bounce", "report without a failure dropped");
            return Ok(Delivered::Discarded);
        };
        let limit = self.config.mail_bounce_limit;
        let mut conn = self.db.conn().map_err(|e| store_temporary(&e))?;
        let t = now();
        let recorded = ashiato_store::write(&mut conn, |c| {
            let record =
                store_mail::record_bounce(c, id, address, report.hard, &report.status, t, limit)?;
            if record.as_ref().is_some_and(|r| r.undeliverable_at == Some(t.0)) {
                store_mail::unconfirm_address(c, address)?;
            }
            Ok::<_, ashiato_store::StoreError>(record)
        })
        .map_err(|e| store_temporary(&e))?;
        let Some(record) = recorded else {
            tracing::info!(mail.action = "bounce", mail.outbox = id, "bounce counted before");
            return Ok(Delivered::Bounce { hard: report.hard, undeliverable: false });
        };
        let undeliverable = record.undeliverable_at == Some(t.0);
        tracing::info!(
            mail.action = "bounce",
            mail.outbox = id,
            mail.status = %report.status,
            mail.hard = report.hard,
            mail.hard_bounces = record.hard_bounces,
            "bounce recorded"
        );
        if undeliverable {
            tracing::warn!(
                mail.hard_bounces = record.hard_bounces,
                "address marked undeliverable: notification mails to it stop"
            );
        }
        Ok(Delivered::Bounce { hard: report.hard, undeliverable })
    }

    /// 空メール登録: answers a mail to the sign-up address with a sign-up link, mailed to the
    /// sender's carrier address through the outbox (an operator invitation for that address).
    /// Automated mail (auto-replies, bounces, mailer daemons, lists) is dropped unanswered,
    /// addresses that are not a carrier's are refused, and one address gets at most
    /// [`JOIN_LINKS_PER_DAY`] links a day (more are accepted and dropped), so nobody can make
    /// the site mail a phone again and again.
    fn join(&self, raw: &[u8], sender: Option<&str>) -> Result<Delivered, Reply> {
        let mut inbound = parse_inbound(raw, &self.config.mail_limits()).map_err(|e| e.reply())?;
        if let Some(s) = sender {
            inbound.apply_envelope_sender(s);
        }
        if inbound.loop_facts.is_automated() {
            tracing::info!(mail.action = "join", "automated mail to the sign-up address dropped");
            return Ok(Delivered::Discarded);
        }
        // S-26: a forged From would make us mail a sign-up link to someone else's phone. The
        // MTA's SPF verdict says whether the sending host may speak for the sender's domain.
        let spf = inbound.spf.as_deref();
        let verified = spf == Some("pass");
        if matches!(spf, Some("fail" | "softfail"))
            || (self.config.mail_join_requires_spf && !verified)
        {
            tracing::info!(
                security.event = "join_sender_unverified",
                mail.spf = spf.unwrap_or("none"),
                "mail to the sign-up address not answered"
            );
            return Ok(Delivered::SenderUnverified);
        }
        // Answer the return path (RFC 3834), else the From: address.
        let envelope = sender.map(str::trim).filter(|s| !s.is_empty() && *s != "<>");
        let answer_to = envelope.and_then(parse_mailbox).or_else(|| inbound.from.clone());
        let Some(address) = answer_to.filter(|a| a.carrier().is_carrier()) else {
            return Err(Reply::new(
                Disposition::Permanent,
                550,
                "5.7.1",
                "sign-up by mail needs a mobile phone address",
            ));
        };
        let Ok(email) = Email::parse(&address.to_string()) else {
            return Err(Reply::new(
                Disposition::Permanent,
                550,
                "5.1.7",
                "sender address unusable",
            ));
        };
        let config = self.config.clone();
        let mut conn = self.db.conn().map_err(|e| store_temporary(&e))?;
        let t = now();
        ashiato_store::write(&mut conn, |c| {
            let since = Timestamp(t.0 - ashiato_core::time::DAY_MS);
            if accounts::invitations_to_since(c, &email, since)? >= JOIN_LINKS_PER_DAY {
                tracing::info!(security.event = "join_link_limited", "sign-up link not sent");
                return Ok(Delivered::JoinLimited);
            }
            let days = config.invitation_days;
            let issued = accounts::create_invitation(c, None, Some(&email), t, days)?;
            let mail = crate::mail::OutgoingMail {
                member: None,
                to: email.as_str().to_owned(),
                lang: ashiato_mail::Lang::Ja,
                what: ashiato_mail::NotificationKind::JoinLink {
                    days: u32::try_from(days).unwrap_or(u32::MAX),
                },
                path: format!("/join/{}", issued.token),
                kind: "join",
            };
            crate::mail::enqueue_mail(c, &config, mail, t)?;
            Ok(Delivered::JoinLink)
        })
        .map_err(|e| store_temporary(&e))
    }

    /// A comment needs an entry the member may read (and not a block either way).
    fn check_comment(
        &self,
        conn: &mut ashiato_store::AnyConnection,
        member: MemberId,
        entry: DiaryId,
    ) -> Result<(), Reply> {
        let refused = || {
            Reply::new(
                Disposition::Permanent,
                550,
                "5.7.1",
                "no such diary entry to comment on, or commenting not allowed",
            )
        };
        match crate::diary::visible_in(conn, member, entry) {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => Err(refused()),
            Err(e) => Err(store_temporary(&e)),
        }
    }

    /// Runs the images the action uses through the photo pipeline and writes their masters.
    /// Images the pipeline cannot read are dropped (logged); the rest of the post still goes.
    fn prepare_photos(
        &self,
        member: MemberId,
        inbound: &Inbound,
        accepted: &Accepted,
    ) -> Result<Vec<PreparedPhoto>, Reply> {
        let images = &inbound.images[..accepted.images.min(inbound.images.len())];
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let bytes: usize = images.iter().map(|i| i.bytes.len()).sum();
        {
            let mut conn = self.db.conn().map_err(|e| store_temporary(&e))?;
            match self
                .photos
                .check_allowance(&mut conn, member, images.len(), bytes, now())
                .map_err(|e| store_temporary(&e))?
            {
                Some(UploadProblem::Rate) => {
                    return Err(Reply::new(
                        Disposition::Temporary,
                        451,
                        "4.7.0",
                        "too many photos this hour, try again later",
                    ));
                }
                Some(_) => {
                    return Err(Reply::new(
                        Disposition::Permanent,
                        552,
                        "5.2.2",
                        "photo storage of this member is full",
                    ));
                }
                None => {}
            }
        }
        let mut prepared = Vec::new();
        for image in images {
            match self.photos.prepare_blocking(&image.bytes) {
                Ok(Ok(p)) => prepared.push(p),
                Ok(Err(problem)) => {
                    tracing::info!(mail.image = problem.message_key(), "image in mail dropped");
                }
                Err(e) => {
                    self.photos.discard_blocking(&self.db, &prepared);
                    tracing::warn!(error.cause = %e, "photo file could not be written");
                    return Err(temporary("photo storage unavailable, try again later"));
                }
            }
        }
        let has_text = !accepted.body.trim().is_empty();
        let nothing_left = match accepted.action {
            Action::NewDiary => prepared.is_empty() && !has_text,
            Action::ProfilePhoto => prepared.is_empty(),
            Action::Comment(_) => false,
        };
        if nothing_left {
            return Err(Reply::new(
                Disposition::Permanent,
                554,
                "5.6.0",
                "no readable image in the message",
            ));
        }
        Ok(prepared)
    }

    /// The one transaction: receipt, photo rows, the post and its links.
    fn commit(
        &self,
        member: MemberId,
        author: &accounts::Member,
        key: &str,
        accepted: &Accepted,
        prepared: &[PreparedPhoto],
    ) -> Result<Delivered, Reply> {
        let t: Timestamp = now();
        let fault = test_fault();
        let mut conn = self.db.conn().map_err(|e| store_temporary(&e))?;
        let config = Arc::clone(&self.config);
        // A profile photo sent by mail replaces the old one, whose file goes once committed.
        let mut replaced = Vec::new();
        let outcome = ashiato_store::write(&mut conn, |c| {
            if !store_mail::insert_receipt(c, member, key, action_code(accepted.action), None, t)? {
                return Ok(Delivered::Duplicate);
            }
            let mut ids = Vec::with_capacity(prepared.len());
            for p in prepared {
                ids.push(Photos::insert_prepared(c, member, p, t)?);
            }
            let (delivered, target) = match accepted.action {
                Action::NewDiary => {
                    let title = diary_title(&accepted.title, &author.language);
                    let body: String = accepted.body.chars().take(DIARY_BODY_MAX).collect();
                    let id = diary::create_entry(
                        c,
                        member,
                        &title,
                        &body,
                        author.default_diary_scope,
                        t,
                    )?;
                    // A new entry had no photos, so nothing is released.
                    let _ = photos::set_entry_photos(c, id, &ids)?;
                    (Delivered::Diary(id.0), id.0)
                }
                Action::Comment(entry) => {
                    let body: String = accepted.body.chars().take(COMMENT_MAX).collect();
                    let found = diary::find_entry(c, entry)?;
                    let by = Commenter { id: member, nickname: author.nickname.clone() };
                    let comment = add_comment_in(c, &config, &found, &by, &body, t)?;
                    (Delivered::Comment(entry.0), comment.0)
                }
                Action::ProfilePhoto => {
                    let id = ids.first().copied().ok_or(StoreError::NotFound)?;
                    replaced = photos::set_member_photo(c, member, Some(id))?;
                    (Delivered::ProfilePhoto(id.0), id.0)
                }
            };
            store_mail::set_receipt_target(c, member, key, target)?;
            if matches!(fault.as_deref(), Some("fail-in-transaction")) {
                return Err(StoreError::Unavailable("test fault after every row".into()));
            }
            Ok(delivered)
        });
        if outcome.is_ok() {
            photos::remove_unreferenced_files(&mut conn, self.photos.files(), &replaced);
        }
        outcome.map_err(|e| store_temporary(&e))
    }
}

fn action_code(action: Action) -> &'static str {
    match action {
        Action::NewDiary => "diary",
        Action::Comment(_) => "comment",
        Action::ProfilePhoto => "profile_photo",
    }
}

/// The diary title: the mail's (cleaned: one line, no controls, cut to the limit), or the
/// reader's "no title".
fn diary_title(title: &str, language: &str) -> String {
    let one: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let cut: String = one.chars().take(DIARY_TITLE_MAX).collect();
    if !cut.is_empty() {
        cut
    } else if language == "en" {
        "(no title)".into()
    } else {
        "無題".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_line_and_never_empty() {
        assert_eq!(diary_title("晴れ\r\nた", "ja"), "晴れ た");
        assert_eq!(diary_title("", "ja"), "無題");
        assert_eq!(diary_title(" ", "en"), "(no title)");
        assert_eq!(diary_title(&"あ".repeat(300), "ja").chars().count(), DIARY_TITLE_MAX);
        assert_eq!(Delivered::Duplicate.reply_line(), "250 2.0.0 already posted");
    }
}

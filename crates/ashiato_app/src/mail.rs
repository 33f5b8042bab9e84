//! Mail on the web side: members' posting addresses and queuing notification mails.
//!
//! **Posting tokens.** A token is `HMAC-SHA256(server secret, member id, nonce)` cut to 80
//! bits, where the nonce is 128 random bits from the OS. Storage keeps the nonce and the
//! token's SHA-256, never the token: a database leak alone reveals no posting address, yet
//! the owner's settings page (which has the secret) can show the address again. Rotating draws
//! a new nonce; the old address stops working in the same transaction. Incoming mail needs only
//! the digest, so `ashiato mail-ingest` never reads the secret.
//!
//! **Notifications.** [`enqueue_notification`] composes the mail for the recipient's carrier
//! and puts it in the outbox, inside the caller's transaction, when the recipient opted in,
//! is not the actor, and is under the per-recipient rate limit. The outbox worker in the
//! binary sends it.

use ashiato_core::time::JST_OFFSET_MINUTES;
use ashiato_core::{MemberId, Timestamp};
use ashiato_mail::{
    Lang, MailCarrier, MemberAddresses, Notification, NotificationKind, TOKEN_BYTES, Token,
    compose_notification, member_addresses, new_token, parse_mailbox,
};
use ashiato_store::db::random_bytes;
use ashiato_store::mail::{self as store_mail, NewMail, NotifyKind};
use ashiato_store::{AnyConnection, StoreResult, accounts};

use crate::config::Config;
use crate::secret::Secret;

/// Site name in notification mails.
pub const SITE_NAME: &str = "ashiato";

/// The token a member's stored nonce stands for.
pub fn token_for(secret: &Secret, member: MemberId, nonce_hex: &str) -> Token {
    let mac = secret.mac("mail-posting-token", &[&member.0.to_be_bytes(), nonce_hex.as_bytes()]);
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes.copy_from_slice(&mac[..TOKEN_BYTES]);
    new_token(bytes)
}

/// The hex digest storage keeps for a token.
pub fn digest_hex(token: &Token) -> String {
    hex::encode(token.digest())
}

/// Gives the member a new posting token (killing the old one) and returns it. Call inside
/// [`ashiato_store::write`].
pub fn rotate_token(
    conn: &mut AnyConnection,
    secret: &Secret,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<Token> {
    let nonce = hex::encode(random_bytes::<16>()?);
    let token = token_for(secret, member, &nonce);
    store_mail::set_token(conn, member, &nonce, &digest_hex(&token), now)?;
    Ok(token)
}

/// The member's current token, creating one on first use. Call inside
/// [`ashiato_store::write`].
pub fn current_token(
    conn: &mut AnyConnection,
    secret: &Secret,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<Token> {
    match store_mail::settings(conn, member)?.token_nonce {
        Some(nonce) => Ok(token_for(secret, member, &nonce)),
        None => rotate_token(conn, secret, member, now),
    }
}

/// The member's posting addresses for a token.
pub fn addresses(config: &Config, token: &Token) -> MemberAddresses {
    member_addresses(token, &config.mail_addresses())
}

/// `Date:` value for a time, in Japan time (`Tue, 01 Jul 2008 09:00:00 +0900`).
pub fn rfc5322_date(t: Timestamp) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, m, d) = t.civil_date(JST_OFFSET_MINUTES);
    let (hh, mm) = t.hour_minute(JST_OFFSET_MINUTES);
    let ss = t.0.div_euclid(1000).rem_euclid(60);
    let local_days = (t.0 + i64::from(JST_OFFSET_MINUTES) * 60_000).div_euclid(86_400_000);
    let dow = DAYS[usize::try_from(local_days.rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(m.saturating_sub(1)).unwrap_or(0).min(11)];
    format!("{dow}, {d:02} {month} {y:04} {hh:02}:{mm:02}:{ss:02} +0900")
}

/// The carrier whose encoding a notification to `address` uses.
pub fn carrier_of(address: &str) -> MailCarrier {
    parse_mailbox(address).map_or(MailCarrier::Pc, |a| a.carrier())
}

/// Something a member may be told about by mail.
#[derive(Clone, Debug)]
pub struct Event {
    /// Who is told.
    pub recipient: MemberId,
    /// Who did it (never told about their own doing).
    pub actor: MemberId,
    /// The opt-in it falls under.
    pub kind: NotifyKind,
    /// What the mail says.
    pub what: NotificationKind,
    /// The page on this site the mail links to (`/diary/12`).
    pub path: String,
}

/// Queues a notification about `event`. Nothing is queued when the recipient is the actor,
/// opted out of the kind, or had `mail_notify_per_hour` mails queued in the last hour.
/// Returns whether a mail was queued. Call inside the [`ashiato_store::write`] transaction
/// of the event, so the event and its mail commit together.
pub fn enqueue_notification(
    conn: &mut AnyConnection,
    config: &Config,
    event: Event,
    now: Timestamp,
) -> StoreResult<bool> {
    let Event { recipient, actor, kind, what, path } = event;
    if recipient == actor {
        return Ok(false);
    }
    let settings = store_mail::settings(conn, recipient)?;
    if !settings.notify.wants(kind) {
        return Ok(false);
    }
    let member = accounts::find_member(conn, recipient)?;
    // Only a confirmed address gets notifications: the phone address once its owner clicked
    // the link mailed to it, else the login address once confirmed, else nothing.
    let to = match settings.phone_address.as_deref() {
        Some(phone) if settings.phone_confirmed => phone.to_owned(),
        _ if member.email_confirmed => member.email.clone(),
        _ => {
            tracing::info!(
                mail.kind = kind.as_str(),
                "no confirmed address, notification not queued"
            );
            return Ok(false);
        }
    };
    if store_mail::is_undeliverable(conn, &to)? {
        tracing::info!(mail.kind = kind.as_str(), "address undeliverable, notification not queued");
        return Ok(false);
    }
    let mail = OutgoingMail {
        member: Some(recipient),
        to,
        lang: lang_of(&member.language),
        what,
        path,
        kind: kind.as_str(),
    };
    enqueue_mail(conn, config, mail, now)
}

/// The mail language for a member's interface language.
pub fn lang_of(language: &str) -> Lang {
    if language == "en" { Lang::En } else { Lang::Ja }
}

/// A mail for the outbox: a notification, or an account mail someone asked for (password
/// reset, address confirmation, invitation, sign-up link), which goes whatever the
/// recipient's notification opt-ins, to the address given.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    /// The member it concerns, if any (invitations and sign-up links have none).
    pub member: Option<MemberId>,
    /// The address it goes to.
    pub to: String,
    /// Its language.
    pub lang: Lang,
    /// What it says.
    pub what: NotificationKind,
    /// The page on this site it links to (`/diary/12`, `/password/reset/…`).
    pub path: String,
    /// The outbox kind (`comment`, `password_reset`, `confirm`, `invitation`, `join`, …).
    pub kind: &'static str,
}

/// Composes a mail for the carrier of its address and puts it in the outbox, unless the
/// address had `mail_notify_per_hour` mails queued in the last hour; returns whether it was
/// queued. Notifications carry the link to their settings; account mails, which were asked
/// for, do not. Call inside the [`ashiato_store::write`] transaction of what it reports.
pub fn enqueue_mail(
    conn: &mut AnyConnection,
    config: &Config,
    mail: OutgoingMail,
    now: Timestamp,
) -> StoreResult<bool> {
    let settings_link = !mail.what.is_account_mail();
    let OutgoingMail { member, to, lang, what, path, kind } = mail;
    let limit = config.mail_rate_limit();
    let since = Timestamp(now.0 - limit.window_secs * 1000);
    let sent: Vec<i64> = store_mail::queued_since(conn, &to, since)?
        .into_iter()
        .map(|ms| ms.div_euclid(1000))
        .collect();
    if !limit.allows(now.0.div_euclid(1000), &sent) {
        tracing::info!(mail.kind = kind, "mail over the per-recipient rate limit, not queued");
        return Ok(false);
    }
    let base = config.base_url();
    let id = hex::encode(random_bytes::<12>()?);
    let domain = config.mail_from_address().rsplit('@').next().unwrap_or("localhost").to_owned();
    let notification = Notification {
        kind: what,
        link: format!("{base}{path}"),
        lang,
        site_name: SITE_NAME.into(),
        from: config.mail_from_address(),
        to: to.clone(),
        date: rfc5322_date(now),
        message_id: format!("{id}@{domain}"),
        settings_link: settings_link.then(|| format!("{base}/settings/mail")),
    };
    let message = compose_notification(&notification, carrier_of(&to));
    store_mail::enqueue(conn, &NewMail { member, to: &to, kind, message: &message }, now)?;
    Ok(true)
}

/// Sends a member-to-member message and queues its notification mail, in the caller's
/// transaction: the message pages, apps (`messages.send`) and app invitations all send this way.
///
/// # Errors
/// Storage errors.
#[expect(clippy::too_many_arguments, reason = "a message's fields and its context")]
pub fn send_message(
    conn: &mut AnyConnection,
    config: &Config,
    from: (MemberId, &str),
    to: MemberId,
    subject: &str,
    body: &str,
    reply_to: Option<ashiato_core::MessageId>,
    now: Timestamp,
) -> StoreResult<ashiato_core::MessageId> {
    let (sender, nickname) = from;
    let id = ashiato_store::messages::send(conn, sender, to, subject, body, reply_to, now)?;
    enqueue_notification(
        conn,
        config,
        Event {
            recipient: to,
            actor: sender,
            kind: ashiato_store::mail::NotifyKind::Message,
            what: ashiato_mail::NotificationKind::NewMessage {
                actor: nickname.to_owned(),
                excerpt: subject.to_owned(),
            },
            path: format!("/messages/{id}"),
        },
        now,
    )?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc5322_in_japan_time() {
        // 2008-07-01 00:00:00 UTC = 09:00 JST, a Tuesday.
        assert_eq!(rfc5322_date(Timestamp(1_214_870_400_000)), "Tue, 01 Jul 2008 09:00:00 +0900");
        assert_eq!(rfc5322_date(Timestamp(59_000)), "Thu, 01 Jan 1970 09:00:59 +0900");
    }

    #[test]
    fn tokens_derive_from_nonce_and_member() {
        let s = Secret::from_bytes([7; 32]);
        let a = token_for(&s, MemberId(1), "00");
        assert_eq!(a, token_for(&s, MemberId(1), "00"));
        assert_ne!(a, token_for(&s, MemberId(2), "00"));
        assert_ne!(a, token_for(&s, MemberId(1), "01"));
        assert_ne!(a, token_for(&Secret::from_bytes([8; 32]), MemberId(1), "00"));
        assert_eq!(digest_hex(&a).len(), 64);
    }

    #[test]
    fn carriers_and_addresses() {
        assert_eq!(carrier_of("taro.@docomo.ne.jp"), MailCarrier::Docomo);
        assert_eq!(carrier_of("a@ezweb.ne.jp"), MailCarrier::Au);
        assert_eq!(carrier_of("a@example.jp"), MailCarrier::Pc);
    }
}

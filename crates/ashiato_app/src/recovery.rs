//! Accounts that recover: password reset by a mailed link, confirmation of the addresses
//! notification mails go to, and the mails that carry the links (docs/accounts.md).
//!
//! A link is a random token stored hashed ([`ashiato_store::tokens`]); it works once, until it
//! expires, and a reset link also dies when the password changes. Asking for a reset never
//! tells whether the address belongs to a member: the reply is the same, and only a member's
//! address gets a mail. Links to one address are limited per hour, so nobody can flood a
//! member's phone (people pay per packet) by asking again and again.

use ashiato_core::account::{self, Email};
use ashiato_core::time::HOUR_MS;
use ashiato_core::{MemberId, Problem, Timestamp};
use ashiato_mail::NotificationKind;
use ashiato_store::accounts::{self as store_accounts, Member};
use ashiato_store::tokens::{self, Link, Purpose};
use ashiato_store::{AnyConnection, StoreError, StoreResult, mail as store_mail, sessions};

use crate::config::Config;
use crate::mail::{OutgoingMail, enqueue_mail, lang_of};
use crate::{App, AppError, AppResult, now};

/// Minutes a password-reset link lives.
pub const RESET_MINUTES: u32 = 30;
/// Hours an address-confirmation link lives.
pub const CONFIRM_HOURS: i64 = 72;
/// Links of one purpose mailed to one address per hour, at most.
pub const LINKS_PER_HOUR: i64 = 3;

/// Whether `address` may get another link for `purpose` now.
fn under_link_limit(
    conn: &mut AnyConnection,
    purpose: Purpose,
    address: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let recent = tokens::issued_since(conn, purpose, address, Timestamp(now.0 - HOUR_MS))?;
    if recent >= LINKS_PER_HOUR {
        tracing::info!(
            security.event = "account_link_limited",
            purpose = purpose.as_str(),
            "link not mailed: the address had its hourly number of links"
        );
    }
    Ok(recent < LINKS_PER_HOUR)
}

/// Asks for a password reset for the typed address. When it is a member's login address and
/// under the hourly limit, a single-use link valid for [`RESET_MINUTES`] is mailed to it
/// through the outbox. The result is the same in every case, so the caller's page reveals
/// nothing about who is a member.
pub async fn request_reset(app: &App, typed: &str) -> AppResult<()> {
    let Ok(email) = Email::parse(typed) else { return Ok(()) };
    let config = app.config.clone();
    app.write(move |c| {
        let Some(member) = store_accounts::find_by_email(c, &email)? else { return Ok(()) };
        let t = now();
        if !under_link_limit(c, Purpose::Reset, &member.email, t)? {
            return Ok(());
        }
        let ttl = i64::from(RESET_MINUTES) * 60_000;
        let token = tokens::issue(c, Purpose::Reset, member.id, &member.email, t, ttl)?;
        let mail = OutgoingMail {
            member: Some(member.id),
            to: member.email.clone(),
            lang: lang_of(&member.language),
            what: NotificationKind::PasswordReset {
                nickname: member.nickname.clone(),
                minutes: RESET_MINUTES,
            },
            path: format!("/password/reset/{token}"),
            kind: "password_reset",
        };
        enqueue_mail(c, &config, mail, t)?;
        tracing::info!(
            security.event = "password_reset_requested",
            member = member.id.0,
            "password reset link mailed"
        );
        Ok(())
    })
    .await
}

/// The link behind a token if it can still be used: `Rejected(LinkUnknown | LinkUsed |
/// LinkExpired)` otherwise.
fn live_link(found: Option<Link>, t: Timestamp) -> Result<Link, StoreError> {
    match found {
        None => Err(StoreError::Rejected(Problem::LinkUnknown)),
        Some(l) if l.used => Err(StoreError::Rejected(Problem::LinkUsed)),
        Some(l) if l.expires_at <= t => Err(StoreError::Rejected(Problem::LinkExpired)),
        Some(l) => Ok(l),
    }
}

/// Whose password a reset link sets: the member's nickname, for the form's greeting.
/// `Rejected(problem)` for an unknown, used or expired link.
pub async fn reset_link(app: &App, token: String) -> AppResult<String> {
    app.run(move |c| {
        let link = live_link(tokens::find(c, Purpose::Reset, &token)?, now())?;
        Ok(store_accounts::find_member(c, link.member)?.nickname)
    })
    .await
}

/// Sets a new password through a reset link. The link is used up, every other reset link of
/// the member dies, the mailed address counts as confirmed (the member just proved it is
/// theirs), every session of the member ends, and the login slowdown on the account is
/// lifted; the front door then logs the member in on this handset. `Rejected(problem)` for a
/// bad link or a password the policy refuses (nothing changes then).
pub async fn reset_password(app: &App, token: String, new: String) -> AppResult<MemberId> {
    let t = now();
    let (token_for_check, token_for_write) = (token.clone(), token);
    let member: Member = app
        .run(move |c| {
            let link = live_link(tokens::find(c, Purpose::Reset, &token_for_check)?, t)?;
            store_accounts::find_member(c, link.member)
        })
        .await?;
    let email = Email::parse(&member.email)
        .map_err(|_| AppError::internal("stored e-mail does not parse"))?;
    account::check_password(&new, &email, &member.nickname).map_err(AppError::Rejected)?;
    let hash = crate::accounts::hash_password(new).await?;
    let id = app
        .write(move |c| {
            let t = now();
            let link = live_link(tokens::find(c, Purpose::Reset, &token_for_write)?, t)?;
            if !tokens::consume(c, link.id, t)? {
                return Err(StoreError::Rejected(Problem::LinkUsed));
            }
            store_accounts::set_password_hash(c, link.member, &hash, t)?;
            store_accounts::confirm_email(c, link.member, &link.email, t)?;
            sessions::delete_for_member(c, link.member)?;
            Ok(link.member)
        })
        .await?;
    crate::accounts::lift_login_slowdown(app, &member.email);
    tracing::info!(security.event = "password_reset", member = id.0, "password set by reset link");
    Ok(id)
}

/// Mails a confirmation link for `address` (the member's login address or phone address),
/// unless the address had its hourly number of links. Returns whether it did. Call inside
/// [`ashiato_store::write`].
pub fn send_confirmation(
    conn: &mut AnyConnection,
    config: &Config,
    member: &Member,
    address: &str,
    t: Timestamp,
) -> StoreResult<bool> {
    if !under_link_limit(conn, Purpose::Verify, address, t)? {
        return Ok(false);
    }
    let token =
        tokens::issue(conn, Purpose::Verify, member.id, address, t, CONFIRM_HOURS * HOUR_MS)?;
    let mail = OutgoingMail {
        member: Some(member.id),
        to: address.to_owned(),
        lang: lang_of(&member.language),
        what: NotificationKind::ConfirmAddress { nickname: member.nickname.clone() },
        path: format!("/confirm/{token}"),
        kind: "confirm",
    };
    enqueue_mail(conn, config, mail, t)
}

/// The member and their addresses still waiting for confirmation: the login address and the
/// phone address, each when it is unconfirmed.
fn unconfirmed_in(conn: &mut AnyConnection, me: MemberId) -> StoreResult<(Member, Vec<String>)> {
    let member = store_accounts::find_member(conn, me)?;
    let settings = store_mail::settings(conn, me)?;
    let email = (!member.email_confirmed).then(|| member.email.clone());
    let phone = settings.phone_address.filter(|_| !settings.phone_confirmed);
    let waiting = email.into_iter().chain(phone).collect();
    Ok((member, waiting))
}

/// Mails a fresh confirmation link to each unconfirmed address of the member (the reminder's
/// resend button). Returns how many links were mailed (0 when every address is confirmed or
/// over its hourly limit).
pub async fn resend_confirmation(app: &App, me: MemberId) -> AppResult<usize> {
    let config = app.config.clone();
    app.write(move |c| {
        let (member, waiting) = unconfirmed_in(c, me)?;
        let t = now();
        let mut sent = 0;
        for address in waiting {
            sent += usize::from(send_confirmation(c, &config, &member, &address, t)?);
        }
        Ok(sent)
    })
    .await
}

/// Confirms the address a link was mailed to, if it is still the member's login or phone
/// address; returns the member and the address. `Rejected(problem)` for a bad link, or
/// `LinkUnknown` when the member has since changed that address (nothing changes then).
pub async fn confirm(app: &App, token: String) -> AppResult<(MemberId, String)> {
    app.write(move |c| {
        let t = now();
        let link = live_link(tokens::find(c, Purpose::Verify, &token)?, t)?;
        let confirmed = store_accounts::confirm_email(c, link.member, &link.email, t)?
            | store_mail::confirm_phone_address(c, link.member, &link.email, t)?;
        if !confirmed {
            return Err(StoreError::Rejected(Problem::LinkUnknown));
        }
        tokens::consume(c, link.id, t)?;
        // The owner just read a mail sent there: it works, whatever bounced before.
        store_mail::clear_bounces(c, &link.email)?;
        Ok((link.member, link.email))
    })
    .await
}

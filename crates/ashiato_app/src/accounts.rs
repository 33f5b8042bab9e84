//! Accounts: joining (open or by invitation), inviting, logging in with a password or by a
//! bound handset, and the member's own settings: profile and options, password, withdrawal,
//! easy login, profile photo, and the mail settings (posting token, phone address,
//! notification opt-ins).
//!
//! Sessions are not made here: a front door logs the member in (or out) once a use case has
//! said who they are. argon2 hashing and verifying take tens of milliseconds of CPU, so they
//! run on the blocking pool without holding a database connection.

use ashiato_core::account::{self, Email, NewMember, Profile};
use ashiato_core::{MemberId, Problem, Timestamp, password};
use ashiato_mail::{Token, parse_mailbox};
use ashiato_store::accounts::{self as store_accounts, IssuedInvitation, SignUp};
use ashiato_store::db::random_bytes;
use ashiato_store::mail::{self as store_mail, MailSettings, Notify};
use ashiato_store::members::{self, FreeField, Settings};
use ashiato_store::{AnyConnection, StoreError, StoreResult, bindings, photos, sessions};

use crate::config::Config;
use crate::limits::{
    LOGIN_FREE_FAILURES, LOGIN_MAX_DELAY_MS, LOGIN_SOURCE_FAILURES, LOGIN_WINDOW_MS,
};
use crate::photos::UploadProblem;
use crate::{App, AppError, AppResult, now};

/// Longest phone address accepted.
pub const PHONE_MAX: usize = 254;

/// The password-hashing slots: at most one hash per core (at least two) at once, each in a
/// reused 19 MiB workspace. argon2id takes 19 MiB per hash; without a cap, 400 simultaneous
/// `POST /login` (no account needed) took the server from 21 MB to 1.9 GB, and allocating the
/// memory per hash left it there even with the cap (issue 19). Now the process holds at most
/// one workspace per slot, whatever arrives.
struct Slots {
    permits: tokio::sync::Semaphore,
    spare: std::sync::Mutex<Vec<password::Workspace>>,
}

fn slots() -> &'static Slots {
    static SLOTS: std::sync::OnceLock<Slots> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Slots {
            permits: tokio::sync::Semaphore::new(cores.clamp(2, 16)),
            spare: std::sync::Mutex::new(Vec::new()),
        }
    })
}

/// How long a password check waits for a free slot before the busy page (503) answers: a
/// member on a slow keitai link would rather retry than wait longer.
pub const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs a password hash or check on the blocking pool once a slot is free (waiting costs no
/// thread and no memory but the request's own), in a reused workspace; `Unavailable` after
/// [`HASH_WAIT`].
async fn hashing<T: Send + 'static>(
    work: impl FnOnce(&mut password::Workspace) -> T + Send + 'static,
) -> AppResult<T> {
    let slots = slots();
    let permit = tokio::time::timeout(HASH_WAIT, slots.permits.acquire())
        .await
        .map_err(|_| AppError::unavailable("every password-hashing slot is busy"))?
        .map_err(AppError::internal)?;
    let spare = slots.spare.lock().ok().and_then(|mut s| s.pop());
    let (out, ws) = tokio::task::spawn_blocking(move || {
        // One workspace per permit at most: a slot without a spare one makes it once.
        let mut ws = spare.unwrap_or_default();
        let out = work(&mut ws);
        (out, ws)
    })
    .await
    .map_err(AppError::internal)?;
    if let Ok(mut s) = slots.spare.lock() {
        s.push(ws);
    }
    drop(permit);
    Ok(out)
}

/// Hashes a new password with a fresh salt, off the async threads.
pub(crate) async fn hash_password(plain: String) -> AppResult<String> {
    let salt: [u8; password::SALT_LEN] = random_bytes()?;
    hashing(move |ws| password::hash_in(ws, &plain, &salt)).await?.map_err(AppError::internal)
}

/// Checks `plain` against a stored hash, off the async threads. Without a hash (no such
/// account) it is checked against a dummy, so the answer takes as long, and fails.
async fn verify_password(plain: String, hash: Option<String>) -> AppResult<bool> {
    hashing(move |ws| match hash {
        Some(hash) => password::verify_in(ws, &plain, &hash),
        None => {
            let _ = password::verify_in(ws, &plain, password::DUMMY_HASH);
            false
        }
    })
    .await
}

/// What failed logins are counted under: the address as stored, or as typed when it does not
/// parse, so guesses are limited per account whether or not it exists.
fn login_key(email: &str) -> String {
    Email::parse(email).map_or_else(|_| email.trim().to_lowercase(), |e| e.as_str().to_owned())
}

/// Where a password login comes from, for the per-source limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginSource {
    /// A carrier's gateway: one address stands for very many handsets, so it is not limited
    /// as a source (the per-account slowdown still applies).
    CarrierGateway,
    /// Any other client address.
    Address(std::net::IpAddr),
}

impl LoginSource {
    /// The key the per-source limit counts under: the address, an IPv6 address by its /64
    /// (one subscriber's whole network); `None` for carrier gateways.
    fn key(self) -> Option<String> {
        match self {
            LoginSource::CarrierGateway => None,
            LoginSource::Address(std::net::IpAddr::V4(a)) => Some(a.to_string()),
            LoginSource::Address(std::net::IpAddr::V6(a)) => {
                let s = a.segments();
                Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
            }
        }
    }
}

/// Checks a password login: the member it names, `Rejected(BadCredentials)` for an unknown
/// address or a wrong password (one more failure counted for the account and the source),
/// `TooMany` while the source address is paused or the account's slowdown has not run out
/// (the answer is the same for unknown addresses, so it reveals nothing; the password is not
/// even checked then). A success lifts the account's slowdown. Failures and refusals are
/// logged as security events, without the password or the address typed.
pub async fn check_login(
    app: &App,
    email: &str,
    password: String,
    source: LoginSource,
) -> AppResult<MemberId> {
    let key = login_key(email);
    let t = now();
    let source_key = source.key();
    if let Some(src) = &source_key
        && app.login_sources.is_limited(src, LOGIN_SOURCE_FAILURES, LOGIN_WINDOW_MS, t)
    {
        tracing::warn!(security.event = "login_source_paused", client.source = %src, "password login refused: too many failures from this address");
        app.metrics.login_refused();
        return Err(AppError::TooMany);
    }
    let wait = app.login_failures.wait_ms(
        &key,
        LOGIN_FREE_FAILURES,
        LOGIN_MAX_DELAY_MS,
        LOGIN_WINDOW_MS,
        t,
    );
    if wait > 0 {
        tracing::warn!(
            security.event = "login_slowed",
            wait_ms = wait,
            "password login refused: the account's slowdown has not run out"
        );
        app.metrics.login_refused();
        return Err(AppError::TooMany);
    }
    let found = match Email::parse(email).ok() {
        Some(e) => app.run(move |c| store_accounts::credentials(c, &e)).await?,
        None => None,
    };
    let (id, hash) = found.unzip();
    match (verify_password(password, hash).await?, id) {
        (true, Some(id)) => {
            app.login_failures.clear(&key);
            refuse_if_suspended(app, id).await?;
            Ok(id)
        }
        _ => {
            app.login_failures.note(&key, LOGIN_WINDOW_MS, t);
            if let Some(src) = &source_key {
                app.login_sources.note(src, LOGIN_WINDOW_MS, t);
            }
            tracing::warn!(
                security.event = "login_failed",
                member = id.map(|m| m.0),
                client.source = source_key.as_deref().unwrap_or("carrier gateway"),
                "password login failed"
            );
            app.metrics.login_failed();
            Err(AppError::Rejected(Problem::BadCredentials))
        }
    }
}

/// `Rejected(AccountSuspended)` when the operators suspended the member: no login of any
/// kind then (the right password only learns that the account is suspended).
pub async fn refuse_if_suspended(app: &App, id: MemberId) -> AppResult<()> {
    let member = app.run(move |c| store_accounts::find_member(c, id)).await?;
    if member.suspended.is_some() {
        tracing::info!(
            security.event = "login_suspended",
            member = id.0,
            "suspended member refused"
        );
        return Err(AppError::Rejected(Problem::AccountSuspended));
    }
    Ok(())
}

/// Lifts the login slowdown of the member's account: they just logged in by their bound
/// handset (easy login) or reset their password, which a stranger guessing passwords cannot
/// do.
pub fn lift_login_slowdown(app: &App, email: &str) {
    app.login_failures.clear(&login_key(email));
}

/// Whether `plain` is the password of the account with this (stored) e-mail address: asked
/// again before sensitive changes, also after an easy login.
pub async fn password_ok(app: &App, email: &str, plain: String) -> AppResult<bool> {
    let email =
        Email::parse(email).map_err(|_| AppError::internal("stored e-mail does not parse"))?;
    let found = app.run(move |c| store_accounts::credentials(c, &email)).await?;
    match found {
        Some((_, hash)) => verify_password(plain, Some(hash)).await,
        None => Ok(false),
    }
}

/// The member a handset's trusted subscriber ID (its keyed hash) is bound to for easy login,
/// if any; `None` without an ID.
pub async fn easy_login_member(
    app: &App,
    subscriber_hash: Option<String>,
) -> AppResult<Option<MemberId>> {
    match subscriber_hash {
        Some(hash) => app.run(move |c| bindings::member_for(c, &hash)).await,
        None => Ok(None),
    }
}

/// An invitation that can still be used.
#[derive(Clone, Debug)]
pub struct OpenInvitation {
    /// The inviter's nickname (none for operator invitations or withdrawn inviters).
    pub inviter: Option<String>,
    /// The address it was sent to, if any.
    pub email: Option<String>,
}

/// The invitation behind a sign-up link; `Rejected(problem)` when it is unknown, used or
/// expired.
pub async fn invitation(app: &App, token: String) -> AppResult<OpenInvitation> {
    app.run(move |c| {
        let inv = store_accounts::find_invitation(c, &token)?;
        account::check_invitation(now(), inv.expires_at, inv.used)?;
        let inviter = match inv.inviter {
            Some(id) => Some(store_accounts::find_member(c, id)?.nickname),
            None => None,
        };
        Ok(OpenInvitation { inviter, email: inv.email })
    })
    .await
}

/// Registers a member with a validated sign-up, by invitation (`invitation` is the token of
/// the link) or, when the service allows it, without one. Consuming the invitation and
/// befriending the inviter happen in the same transaction. Refusals: `Rejected(EmailTaken)`,
/// and the invitation's problem (unknown, used, expired, required).
pub async fn sign_up(
    app: &App,
    invitation: Option<String>,
    member: NewMember,
    password: String,
) -> AppResult<MemberId> {
    let hash = hash_password(password).await?;
    let open_signup = app.config.open_signup;
    let config = app.config.clone();
    // `sign_up` is its own transaction; the confirmation mail for the new address follows in
    // another, so a mail problem never undoes a sign-up (the home page's reminder resends).
    app.run(move |c| {
        let s = SignUp {
            invitation: invitation.as_deref(),
            member: &member,
            password_hash: &hash,
            open_signup,
        };
        let id = store_accounts::sign_up(c, &s, now())?;
        let mailed = ashiato_store::write(c, |c| {
            let joined = store_accounts::find_member(c, id)?;
            if joined.email_confirmed {
                return Ok(false);
            }
            crate::recovery::send_confirmation(c, &config, &joined, &joined.email, now())
        });
        if let Err(e) = mailed {
            tracing::warn!(error = %e, "confirmation mail for a new member not queued");
        }
        Ok(id)
    })
    .await
}

/// Issues an invitation from `inviter` (none: the operator), valid for the configured number
/// of days, optionally tied to an address. With an address the invitation is also mailed
/// there through the outbox, in the same transaction; the second value says whether the
/// per-recipient limit let the mail go. The token in the result is shown once.
pub async fn invite(
    app: &App,
    inviter: Option<MemberId>,
    email: Option<Email>,
) -> AppResult<(IssuedInvitation, bool)> {
    let config = app.config.clone();
    app.write(move |c| invite_in(c, &config, inviter, email.as_ref(), true, now())).await
}

/// [`invite`] on a connection, for front doors without an [`App`] (the `invite` command,
/// which mails only when a relay is configured: `mail`). Call inside
/// [`ashiato_store::write`]. The mail is in the inviter's language (Japanese for the
/// operator); the invitee's carrier decides its charset and format.
pub fn invite_in(
    c: &mut AnyConnection,
    config: &Config,
    inviter: Option<MemberId>,
    email: Option<&Email>,
    mail: bool,
    t: Timestamp,
) -> StoreResult<(IssuedInvitation, bool)> {
    let days = config.invitation_days;
    let issued = store_accounts::create_invitation(c, inviter, email, t, days)?;
    let Some(to) = email.filter(|_| mail) else { return Ok((issued, false)) };
    let from = match inviter {
        Some(id) => Some(store_accounts::find_member(c, id)?),
        None => None,
    };
    let mail = crate::mail::OutgoingMail {
        member: None,
        to: to.as_str().to_owned(),
        lang: crate::mail::lang_of(from.as_ref().map_or("ja", |m| m.language.as_str())),
        what: ashiato_mail::NotificationKind::Invitation {
            actor: from.map(|m| m.nickname),
            days: u32::try_from(days).unwrap_or(u32::MAX),
        },
        path: format!("/join/{}", issued.token),
        kind: "invitation",
    };
    let mailed = crate::mail::enqueue_mail(c, config, mail, t)?;
    Ok((issued, mailed))
}

/// The member's free profile fields, in order.
pub async fn free_fields(app: &App, me: MemberId) -> AppResult<Vec<FreeField>> {
    app.run(move |c| members::free_fields(c, me)).await
}

/// Everything the settings page saves, validated.
#[derive(Clone, Debug)]
pub struct SettingsDraft {
    /// The nickname.
    pub nickname: String,
    /// Profile fields and their scopes.
    pub profile: Profile,
    /// Options (scopes, stealth footsteps, search opt-out, language).
    pub settings: Settings,
    /// The free profile fields that are not empty.
    pub free_fields: Vec<FreeField>,
}

/// Saves profile, nickname, options and free fields: all of it or nothing.
pub async fn save_settings(app: &App, me: MemberId, draft: SettingsDraft) -> AppResult<()> {
    app.write(move |c| {
        let t = now();
        store_accounts::update_profile(c, me, &draft.profile, t)?;
        store_accounts::set_nickname(c, me, &draft.nickname, t)?;
        members::save_settings(c, me, &draft.settings, t)?;
        members::set_free_fields(c, me, &draft.free_fields)
    })
    .await
}

/// Changes the member's password. `current` must be the password now
/// (`Rejected(BadCredentials)` otherwise, also after an easy login) and `new` must pass the
/// policy (its problem otherwise, never `BadCredentials`). The new hash is stored and every
/// session of the member ends in one transaction; the front door logs this one in afresh.
pub async fn change_password(
    app: &App,
    me: MemberId,
    email: &str,
    nickname: &str,
    current: String,
    new: String,
) -> AppResult<()> {
    if !password_ok(app, email, current).await? {
        return Err(AppError::Rejected(Problem::BadCredentials));
    }
    let email =
        Email::parse(email).map_err(|_| AppError::internal("stored e-mail does not parse"))?;
    account::check_password(&new, &email, nickname).map_err(AppError::Rejected)?;
    let hash = hash_password(new).await?;
    app.write(move |c| {
        store_accounts::set_password_hash(c, me, &hash, now())?;
        sessions::delete_for_member(c, me).map(|_| ())
    })
    .await
}

/// Withdraws the member, with their password (`Rejected(BadCredentials)` otherwise): the
/// account and everything it wrote go in one transaction; once it committed, the files of the
/// member's photos leave the disk unless another row (another member's identical upload) still
/// refers to the same content.
pub async fn withdraw(app: &App, me: MemberId, email: &str, password: String) -> AppResult<()> {
    if !password_ok(app, email, password).await? {
        return Err(AppError::Rejected(Problem::BadCredentials));
    }
    let files = app.photos.files().clone();
    app.run(move |c| {
        let owned = photos::owned_files(c, me)?;
        ashiato_store::write(c, |c| members::withdraw(c, me))?;
        photos::remove_unreferenced_files(c, &files, &owned);
        Ok(())
    })
    .await
}

/// Whether any handset is bound to the member for easy login.
pub async fn easy_login_bound(app: &App, me: MemberId) -> AppResult<bool> {
    Ok(app.run(move |c| bindings::count_for(c, me)).await? > 0)
}

/// Binds this handset's trusted subscriber ID (its keyed hash) to the member for easy login.
/// Binding needs a trusted ID and a password session: `Forbidden` without an ID or from an
/// easy-login session.
pub async fn bind_easy_login(
    app: &App,
    me: MemberId,
    subscriber_hash: Option<String>,
    easy_session: bool,
    carrier: String,
) -> AppResult<()> {
    let (Some(hash), false) = (subscriber_hash, easy_session) else {
        return Err(AppError::Forbidden(
            "binding needs a trusted ID and a password session".into(),
        ));
    };
    app.write(move |c| bindings::bind(c, &hash, me, &carrier, now())).await
}

/// Removes every easy-login binding of the member.
pub async fn unbind_easy_login(app: &App, me: MemberId) -> AppResult<()> {
    app.write(move |c| bindings::unbind_member(c, me)).await.map(|_| ())
}

/// Stores an uploaded image as the member's profile photo; the replaced photo's file leaves
/// the disk once nothing else shows it. A refused upload (not an image, too large, over the
/// quota) comes back as its problem and changes nothing.
pub async fn set_profile_photo(
    app: &App,
    me: MemberId,
    bytes: Vec<u8>,
) -> AppResult<Result<(), UploadProblem>> {
    crate::photos::upload_into(app, me, bytes, move |c, id| {
        photos::set_member_photo(c, me, Some(id))
    })
    .await
}

/// The member's mail settings and, when mail is switched on, their posting token (made on
/// first use, so the stored nonce is written then).
pub async fn mail_settings(app: &App, me: MemberId) -> AppResult<(MailSettings, Option<Token>)> {
    let (config, secret) = (app.config.clone(), app.secret.clone());
    app.run(move |c| {
        let token = if config.mail_enabled() {
            Some(ashiato_store::write(c, |c| crate::mail::current_token(c, &secret, me, now()))?)
        } else {
            None
        };
        Ok((store_mail::settings(c, me)?, token))
    })
    .await
}

/// Gives the member a new posting token: the old addresses stop working at once. `NotFound`
/// when mail is switched off.
pub async fn rotate_mail_token(app: &App, me: MemberId) -> AppResult<()> {
    if !app.config.mail_enabled() {
        return Err(AppError::NotFound);
    }
    let secret = app.secret.clone();
    app.write(move |c| crate::mail::rotate_token(c, &secret, me, now())).await.map(|_| ())
}

/// Reads a typed phone address: `None` when left empty, `TooLong` or `BadEmail` when it is not
/// one address.
fn phone_address(typed: &str) -> Result<Option<String>, Problem> {
    let phone = typed.trim();
    if phone.is_empty() {
        Ok(None)
    } else if phone.chars().count() > PHONE_MAX {
        Err(Problem::TooLong(PHONE_MAX))
    } else {
        parse_mailbox(phone).map(|a| Some(a.to_string())).ok_or(Problem::BadEmail)
    }
}

/// Saves the registered phone address (as typed; empty removes it) and the notification
/// opt-ins together; a new address is mailed a confirmation link. `Rejected(problem)` when
/// the address is not one, and nothing changes.
pub async fn save_mail_settings(
    app: &App,
    me: MemberId,
    phone: &str,
    notify: Notify,
) -> AppResult<()> {
    let phone = phone_address(phone).map_err(AppError::Rejected)?;
    let config = app.config.clone();
    app.write(move |c| -> Result<(), StoreError> {
        let changed = store_mail::set_phone_address(c, me, phone.as_deref(), now())?;
        // A new phone address gets notifications only once its owner follows the link.
        if let (true, Some(address)) = (changed, phone.as_deref()) {
            let member = store_accounts::find_member(c, me)?;
            crate::recovery::send_confirmation(c, &config, &member, address, now())?;
        }
        store_mail::set_notify(c, me, notify, now())
    })
    .await
}

/// The member's live sessions (handset, carrier, last use), most recently used first.
pub async fn sessions(app: &App, me: MemberId) -> AppResult<Vec<sessions::ActiveSession>> {
    app.run(move |c| sessions::list_for_member(c, me, now())).await
}

/// Ends one of the member's own sessions ("log out this one"); `NotFound` for an id that is
/// not one of theirs, and nothing changes.
pub async fn end_session(app: &App, me: MemberId, id: ashiato_core::SessionId) -> AppResult<()> {
    if app.write(move |c| sessions::delete_of_member(c, me, id)).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Ends every session of the member but `keep` (the one asking): "log out everywhere else".
/// Returns how many ended.
pub async fn end_other_sessions(
    app: &App,
    me: MemberId,
    keep: ashiato_core::SessionId,
) -> AppResult<usize> {
    app.write(move |c| sessions::delete_others(c, me, keep)).await
}

//! Server-side sessions, shared by every `ashiato` process through the database.
//!
//! The secret token travels in a cookie, or in the URL (`ksid`) for handsets without cookies;
//! the database keeps only its SHA-256, so a copy of the database does not hand out sessions.
//! Tokens are 256 random bits. A token we do not know is never adopted: the caller issues a
//! fresh one (no fixation), and logging in always issues a new token and deletes the old row.

use ashiato_core::{MemberId, SessionId, Timestamp};
use base64::Engine as _;
use diesel::prelude::*;

use crate::accounts::{Member, MemberRow, token_hash};
use crate::db::{AnyConnection, native, random_bytes};
use crate::schema::{members, sessions};
use crate::{StoreError, StoreResult};

/// How the token reaches the server; URL tokens get a shorter idle timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `Set-Cookie` / `Cookie`.
    Cookie,
    /// A `ksid` query parameter or hidden form field.
    Url,
}

impl Transport {
    fn as_str(self) -> &'static str {
        match self {
            Transport::Cookie => "cookie",
            Transport::Url => "url",
        }
    }
}

/// A live session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Row id (not secret).
    pub id: SessionId,
    /// The logged-in member, if any.
    pub member: Option<MemberId>,
    /// Per-session synchronizer token for forms.
    pub csrf_token: String,
    /// How the token travels.
    pub transport: Transport,
    /// Keyed hash of the carrier subscriber ID the session is bound to, if any.
    pub subscriber_hash: Option<String>,
    /// Logged in by subscriber ID alone: sensitive actions ask for the password again.
    pub easy_login: bool,
    /// Last time the session was used.
    pub last_seen_at: Timestamp,
    /// When it expires unless used again.
    pub expires_at: Timestamp,
    /// The one-shot message for the next page, read with the session so a page without one
    /// costs no query ([`take_flash`] clears it).
    pub flash: Option<String>,
}

/// A new session and its secret token (to be sent to the client, never stored).
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The secret token.
    pub token: String,
    /// The stored session.
    pub session: Session,
}

/// What a new session is for.
#[derive(Clone, Debug)]
pub struct SessionSpec {
    /// Logged-in member, or none for an anonymous session (CSRF token and flash only).
    pub member: Option<MemberId>,
    /// Token transport.
    pub transport: Transport,
    /// Bound subscriber ID hash, if the handset sent a trusted one.
    pub subscriber_hash: Option<String>,
    /// Whether this login used the subscriber ID instead of a password.
    pub easy_login: bool,
    /// Idle timeout.
    pub idle_ms: i64,
    /// The handset as detected (model or browser), for the member's list of sessions.
    pub device: Option<String>,
    /// The handset's carrier (`docomo`, `au`, `softbank`, … or `other`).
    pub carrier: Option<String>,
}

fn random_token() -> StoreResult<String> {
    let bytes: [u8; 32] = random_bytes()?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Creates a session and returns its token.
pub fn create(
    conn: &mut AnyConnection,
    spec: &SessionSpec,
    now: Timestamp,
) -> StoreResult<NewSession> {
    let token = random_token()?;
    let csrf_token = random_token()?;
    let expires_at = now.plus_millis(spec.idle_ms);
    let id = diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash(&token)),
            sessions::member_id.eq(spec.member.map(|m| m.0)),
            sessions::csrf_token.eq(&csrf_token),
            sessions::transport.eq(spec.transport.as_str()),
            sessions::subscriber_hash.eq(spec.subscriber_hash.as_deref()),
            sessions::easy_login.eq(spec.easy_login),
            sessions::created_at.eq(now.0),
            sessions::last_seen_at.eq(now.0),
            sessions::expires_at.eq(expires_at.0),
            sessions::device.eq(spec.device.as_deref()),
            sessions::carrier.eq(spec.carrier.as_deref()),
        ))
        .returning(sessions::id)
        .get_result::<i64>(conn)?;
    Ok(NewSession {
        token,
        session: Session {
            id: SessionId(id),
            member: spec.member,
            csrf_token,
            transport: spec.transport,
            subscriber_hash: spec.subscriber_hash.clone(),
            easy_login: spec.easy_login,
            last_seen_at: now,
            expires_at,
            flash: None,
        },
    })
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
struct SessionRow {
    id: i64,
    member_id: Option<i64>,
    csrf_token: String,
    transport: String,
    subscriber_hash: Option<String>,
    easy_login: bool,
    last_seen_at: i64,
    expires_at: i64,
    flash: Option<String>,
}

/// Finds the live session for a token, with its pending flash message. Expired sessions are
/// deleted and reported as absent.
pub fn find(conn: &mut AnyConnection, token: &str, now: Timestamp) -> StoreResult<Option<Session>> {
    Ok(find_with_member(conn, token, now)?.map(|(session, _)| session))
}

/// [`find`] and the session's member in one statement: every page a member reads starts
/// here, so the session, its flash message and the member cost one round trip.
pub fn find_with_member(
    conn: &mut AnyConnection,
    token: &str,
    now: Timestamp,
) -> StoreResult<Option<(Session, Option<Member>)>> {
    match lookup(conn, token)? {
        Some((session, _)) if session.expires_at <= now => {
            delete(conn, session.id)?;
            Ok(None)
        }
        found => Ok(found),
    }
}

/// The session a token names, live or expired, with its member: one read-only statement. The
/// caller checks `expires_at` (and deletes an expired row); [`find_with_member`] does both.
pub fn lookup(
    conn: &mut AnyConnection,
    token: &str,
) -> StoreResult<Option<(Session, Option<Member>)>> {
    let hash = token_hash(token);
    let Some((row, member)) = native!(conn, c => sessions::table
        .left_join(members::table.on(sessions::member_id.eq(members::id.nullable())))
        .filter(sessions::token_hash.eq(&hash))
        .select((SessionRow::as_select(), Option::<MemberRow>::as_select()))
        .first::<(SessionRow, Option<MemberRow>)>(c)
        .optional())?
    else {
        return Ok(None);
    };
    let session = Session {
        id: SessionId(row.id),
        member: row.member_id.map(MemberId),
        csrf_token: row.csrf_token,
        transport: if row.transport == "url" { Transport::Url } else { Transport::Cookie },
        subscriber_hash: row.subscriber_hash,
        easy_login: row.easy_login,
        last_seen_at: Timestamp(row.last_seen_at),
        expires_at: Timestamp(row.expires_at),
        flash: row.flash,
    };
    Ok(Some((session, member.map(Member::from))))
}

/// Extends a session's idle timeout. Callers skip this when the session was touched within
/// the last minute, so that reading pages does not write on every request.
pub fn touch(
    conn: &mut AnyConnection,
    id: SessionId,
    now: Timestamp,
    idle_ms: i64,
) -> StoreResult<()> {
    diesel::update(sessions::table.find(id.0))
        .set((sessions::last_seen_at.eq(now.0), sessions::expires_at.eq(now.0 + idle_ms)))
        .execute(conn)?;
    Ok(())
}

/// Ends a session (logout). Unknown ids are not an error.
pub fn delete(conn: &mut AnyConnection, id: SessionId) -> StoreResult<()> {
    diesel::delete(sessions::table.find(id.0)).execute(conn)?;
    Ok(())
}

/// Ends every session of a member (password change, withdrawal).
pub fn delete_for_member(conn: &mut AnyConnection, member: MemberId) -> StoreResult<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::member_id.eq(member.0))).execute(conn)?)
}

/// One of a member's live sessions, as the member's list of sessions shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveSession {
    /// Row id (not secret; the list's buttons name sessions by it).
    pub id: SessionId,
    /// The handset as detected when the session began.
    pub device: Option<String>,
    /// Its carrier.
    pub carrier: Option<String>,
    /// Logged in by subscriber ID.
    pub easy_login: bool,
    /// When it began.
    pub created_at: Timestamp,
    /// Last used.
    pub last_seen_at: Timestamp,
}

/// The member's live sessions, most recently used first.
pub fn list_for_member(
    conn: &mut AnyConnection,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<Vec<ActiveSession>> {
    type Row = (i64, Option<String>, Option<String>, bool, i64, i64);
    let rows: Vec<Row> = sessions::table
        .filter(sessions::member_id.eq(member.0))
        .filter(sessions::expires_at.gt(now.0))
        .order((sessions::last_seen_at.desc(), sessions::id.desc()))
        .select((
            sessions::id,
            sessions::device,
            sessions::carrier,
            sessions::easy_login,
            sessions::created_at,
            sessions::last_seen_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, device, carrier, easy_login, created_at, last_seen_at)| ActiveSession {
            id: SessionId(id),
            device,
            carrier,
            easy_login,
            created_at: Timestamp(created_at),
            last_seen_at: Timestamp(last_seen_at),
        })
        .collect())
}

/// Ends one of the member's sessions; `false` when the member has no session with that id
/// (someone else's session is never touched).
pub fn delete_of_member(
    conn: &mut AnyConnection,
    member: MemberId,
    id: SessionId,
) -> StoreResult<bool> {
    let n = diesel::delete(sessions::table.find(id.0).filter(sessions::member_id.eq(member.0)))
        .execute(conn)?;
    Ok(n > 0)
}

/// Ends every session of the member except `keep` (log out everywhere else); returns how many.
pub fn delete_others(
    conn: &mut AnyConnection,
    member: MemberId,
    keep: SessionId,
) -> StoreResult<usize> {
    Ok(diesel::delete(
        sessions::table.filter(sessions::member_id.eq(member.0)).filter(sessions::id.ne(keep.0)),
    )
    .execute(conn)?)
}

/// Stores a one-shot message shown on the next page (post/redirect/get).
pub fn set_flash(conn: &mut AnyConnection, id: SessionId, flash: &str) -> StoreResult<()> {
    let n = diesel::update(sessions::table.find(id.0))
        .set(sessions::flash.eq(Some(flash)))
        .execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Takes (reads and clears) the flash message, if any.
pub fn take_flash(conn: &mut AnyConnection, id: SessionId) -> StoreResult<Option<String>> {
    let flash: Option<Option<String>> =
        sessions::table.find(id.0).select(sessions::flash).first(conn).optional()?;
    let flash = flash.flatten();
    if flash.is_some() {
        diesel::update(sessions::table.find(id.0))
            .set(sessions::flash.eq(None::<String>))
            .execute(conn)?;
    }
    Ok(flash)
}

/// Clears the flash message (its text came with [`find`]).
pub fn clear_flash(conn: &mut AnyConnection, id: SessionId) -> StoreResult<()> {
    diesel::update(sessions::table.find(id.0))
        .set(sessions::flash.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

/// Deletes expired sessions; returns how many.
pub fn purge_expired(conn: &mut AnyConnection, now: Timestamp) -> StoreResult<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::expires_at.le(now.0))).execute(conn)?)
}

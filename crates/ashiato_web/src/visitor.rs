//! The person behind a request: their session, whether they are logged in, their language,
//! and how pages must be written for them.
//!
//! The session token is read from the `ksid` query parameter first (handsets without cookies
//! carry it in every link and form action), then from the cookie. A token the database does
//! not know is ignored, never adopted: sessions are created only by the server (no fixation).

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use ashiato_core::MemberId;
use ashiato_core::time::MINUTE_MS;
use ashiato_render::i18n::{Catalog, Lang};
use ashiato_render::page::Page;
use ashiato_render::url::{LinkParams, SESSION_PARAM, encode_query_value};
use ashiato_render::{Location, RenderContext, Target, render};
use ashiato_store::accounts;
use ashiato_store::sessions::{self, Session, SessionSpec, Transport};
use subtle::ConstantTimeEq;

use crate::error::WebError;
use ashiato_app::{App, now};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ashiato_session";

/// A session is touched (its idle timeout extended) at most once a minute.
const TOUCH_INTERVAL_MS: i64 = MINUTE_MS;

/// The logged-in member's interface language, left in the request's extensions for the error
/// page middleware.
#[derive(Clone, Copy, Debug)]
pub struct MemberLang(pub Lang);

/// The requester.
pub struct Visitor {
    state: web::Data<App>,
    /// The live session, if any.
    pub session: Option<Session>,
    /// The token of `session` as this request presented it (or as it was just issued).
    token: Option<String>,
    /// A token issued during this request, to send as a cookie.
    issue_cookie: bool,
    /// The logged-in member.
    pub member: Option<accounts::Member>,
    /// Interface language.
    pub lang: Lang,
    /// Whether this client keeps cookies; if not, the token travels in URLs.
    pub cookies: bool,
    /// What the request's headers say about the client.
    pub handset: std::sync::Arc<ashiato_handset::Handset>,
    /// Keyed hash of the trusted subscriber ID this request carries, if any.
    pub subscriber_hash: Option<String>,
    /// Scheme and host for absolute redirect URLs.
    origin: String,
    /// The requested path and query (for the renderer's part links).
    path_and_query: String,
    /// How pages are written for this handset.
    pub target: Target,
}

impl Visitor {
    /// Where a members-only page sends someone not logged in (the session, if any, travels
    /// along where cookies are missing).
    fn login_url(&self) -> String {
        self.location("/login")
    }

    /// The absolute URL of one of our pages for this visitor (session and `guid=ON` added as
    /// the handset needs), for a redirect.
    pub fn location(&self, path: &str) -> String {
        format!("{}{}", self.origin, self.link_params().apply(path))
    }

    /// The logged-in member's id, if any.
    pub fn member_id(&self) -> Option<MemberId> {
        self.member.as_ref().map(|m| m.id)
    }

    /// The catalog of the visitor's language.
    pub fn cat(&self) -> &'static Catalog {
        Catalog::get(self.lang)
    }

    /// Application state.
    pub fn state(&self) -> &App {
        &self.state
    }

    fn transport(&self) -> Transport {
        if self.cookies { Transport::Cookie } else { Transport::Url }
    }

    fn idle_ms(&self) -> i64 {
        let c = &self.state.config;
        let minutes =
            if self.cookies { c.session_idle_minutes } else { c.url_session_idle_minutes };
        minutes * MINUTE_MS
    }

    /// Makes sure there is a session (anonymous if need be), so a form can carry a CSRF token.
    pub async fn ensure_session(&mut self) -> Result<(), WebError> {
        // Crawlers never get a session (keitai.md §1): their pages simply carry no token.
        if self.session.is_some() || !self.handset.sessions {
            return Ok(());
        }
        let spec = SessionSpec {
            member: None,
            transport: self.transport(),
            subscriber_hash: None,
            easy_login: false,
            idle_ms: self.idle_ms(),
            device: None,
            carrier: None,
        };
        // Pages that call this show a form: without a session to carry its token (a full
        // disk, a busy database) the busy page is the honest answer, not a form that cannot
        // be sent.
        let created = self.state.run(move |c| sessions::create(c, &spec, now())).await?;
        self.token = Some(created.token);
        self.session = Some(created.session);
        self.issue_cookie = self.cookies;
        Ok(())
    }

    /// Logs `member` in with a password: a new session with a new token replaces the old one, so
    /// a token known before login (planted by an attacker, or leaked through a URL) is dead
    /// afterwards. The session is bound to the handset's subscriber ID when one is trusted.
    pub async fn login(&mut self, member: MemberId) -> Result<(), WebError> {
        self.start_session(member, false).await
    }

    /// Logs `member` in by their bound subscriber ID alone (easy login): sensitive actions will
    /// ask for the password again.
    pub async fn easy_login(&mut self, member: MemberId) -> Result<(), WebError> {
        self.start_session(member, true).await
    }

    async fn start_session(&mut self, member: MemberId, easy_login: bool) -> Result<(), WebError> {
        if !self.handset.sessions {
            return Err(WebError::Forbidden("crawlers cannot log in".into()));
        }
        let old = self.session.as_ref().map(|s| s.id);
        let spec = SessionSpec {
            member: Some(member),
            transport: self.transport(),
            subscriber_hash: self.subscriber_hash.clone(),
            easy_login,
            idle_ms: self.idle_ms(),
            device: Some(self.device_label()),
            carrier: Some(self.handset.carrier.as_str().to_owned()),
        };
        let (created, loaded) = self
            .state
            .run(move |c| {
                ashiato_store::write(c, |c| {
                    if let Some(id) = old {
                        sessions::delete(c, id)?;
                    }
                    let created = sessions::create(c, &spec, now())?;
                    let loaded = accounts::find_member(c, member)?;
                    Ok((created, loaded))
                })
            })
            .await?;
        self.lang = Lang::from_tag(&loaded.language);
        self.member = Some(loaded);
        self.token = Some(created.token);
        self.session = Some(created.session);
        self.issue_cookie = self.cookies;
        Ok(())
    }

    /// The handset in words for the member's list of sessions: its model where the headers
    /// name one, else its browser.
    fn device_label(&self) -> String {
        self.handset
            .model
            .as_ref()
            .map_or_else(|| self.handset.browser.name().to_owned(), |m| m.as_str().to_owned())
    }

    /// Ends the session.
    pub async fn logout(&mut self) -> Result<(), WebError> {
        if let Some(id) = self.session.take().map(|s| s.id) {
            self.state.run(move |c| sessions::delete(c, id)).await?;
        }
        self.member = None;
        self.token = None;
        Ok(())
    }

    /// Checks the submitted per-form token against the session's, in constant time.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), WebError> {
        let expected = self.session.as_ref().map(|s| s.csrf_token.as_bytes());
        match (expected, submitted) {
            (Some(e), Some(s)) if bool::from(e.ct_eq(s.as_bytes())) => Ok(()),
            _ => Err(WebError::Forbidden("missing or wrong CSRF token".into())),
        }
    }

    /// Stores a one-shot message for the next page.
    pub async fn flash(&self, message: String) -> Result<(), WebError> {
        if let Some(id) = self.session.as_ref().map(|s| s.id) {
            self.state.run(move |c| sessions::set_flash(c, id, &message)).await?;
        }
        Ok(())
    }

    /// Takes the pending one-shot message, if any. It came with the session; the database is
    /// asked only to clear it, and only when there is one.
    pub async fn take_flash(&self) -> Result<Option<String>, WebError> {
        let Some((id, Some(flash))) = self.session.as_ref().map(|s| (s.id, s.flash.clone())) else {
            return Ok(None);
        };
        // Failing to clear it (a full disk) only means it may show once more: not worth the page.
        if let Err(e) = self.state.run(move |c| sessions::clear_flash(c, id)).await {
            tracing::warn!(error = %e, "the flash message could not be cleared");
        }
        Ok(Some(flash))
    }

    fn link_params(&self) -> LinkParams {
        LinkParams {
            session: if self.cookies { None } else { self.token.clone() },
            guid_on: self.handset.needs_guid_on,
        }
    }

    /// The query parameters this handset's links carry (`guid=ON` for docomo, the session
    /// token without cookies), for links the renderer does not write itself (an app's page).
    pub fn link_query(&self) -> Vec<(String, String)> {
        let p = self.link_params();
        let mut out = Vec::new();
        if p.guid_on {
            out.push(("guid".to_owned(), "ON".to_owned()));
        }
        if let Some(token) = p.session {
            out.push((SESSION_PARAM.to_owned(), token));
        }
        out
    }

    /// Percent-encodes a query value in the charset this handset's forms use, so that a link we
    /// build (a search pager) comes back decoded correctly by `SjisQuery`.
    pub fn query_value(&self, value: &str) -> String {
        let (charset, _) = crate::form::input_of(&self.handset);
        let bytes = match charset {
            ashiato_charset::InputCharset::Utf8 => value.as_bytes().to_vec(),
            ashiato_charset::InputCharset::ShiftJis => {
                let target = ashiato_charset::OutputTarget::new(
                    ashiato_charset::Charset::ShiftJis,
                    ashiato_charset::EmojiOut::Unicode,
                );
                ashiato_charset::encode_plain(value, &target, ashiato_charset::Unmappable::Geta)
            }
        };
        let mut out = String::with_capacity(bytes.len() * 3);
        for b in bytes {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// The signed `/jump` URL for an outbound link. The URL itself carries no session token.
    pub fn jump_url(&self, target: &str) -> String {
        let sig = self.state.secret.mac_hex("jump", &[target.as_bytes()], 32);
        format!("/jump?to={}&sig={sig}", encode_query_value(target))
    }

    /// Renders the `/jump` interstitial: its one outbound link points at the target itself.
    pub fn page_leaving(&self, page: &Page) -> HttpResponse {
        let direct = |url: &str| url.to_owned();
        self.render_with(page, StatusCode::OK, &direct)
    }

    /// Renders a page for this visitor with status 200.
    pub fn page(&self, page: &Page) -> HttpResponse {
        self.page_with_status(page, StatusCode::OK)
    }

    /// Renders a page for this visitor.
    pub fn page_with_status(&self, page: &Page, status: StatusCode) -> HttpResponse {
        let jump = |url: &str| self.jump_url(url);
        self.render_with(page, status, &jump)
    }

    fn render_with(
        &self,
        page: &Page,
        status: StatusCode,
        jump: &dyn Fn(&str) -> String,
    ) -> HttpResponse {
        let ctx = RenderContext {
            lang: self.lang,
            links: self.link_params(),
            csrf: self.session.as_ref().map(|s| s.csrf_token.as_str()),
            jump,
        };
        let at = Location::new(&self.path_and_query).with_origin(&self.origin);
        let out = render(page, &ctx, &self.target, &at);
        let mut response = HttpResponse::build(status);
        // The same charset label as the page's meta tag (S-20); an explicit length, no chunking.
        response
            .insert_header((header::CONTENT_TYPE, out.content_type))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        self.add_cookie(&mut response);
        response.body(out.body)
    }

    /// A 303 redirect to an internal path, carrying the session where cookies are missing.
    pub fn redirect(&self, path: &str) -> HttpResponse {
        let location = self.location(path);
        let mut response = HttpResponse::SeeOther();
        response
            .insert_header((header::LOCATION, location))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        self.add_cookie(&mut response);
        response.finish()
    }

    fn add_cookie(&self, response: &mut actix_web::HttpResponseBuilder) {
        if let (true, Some(token)) = (self.issue_cookie, &self.token) {
            let cookie = Cookie::build(SESSION_COOKIE, token.clone())
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(self.origin.starts_with("https://"))
                .finish();
            response.cookie(cookie);
        }
    }
}

/// Tokens are 43 URL-safe base64 characters; anything else cannot be ours.
fn token_shaped(t: &str) -> bool {
    t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The `ksid` token in the query string, if it has the shape of one of ours.
pub fn presented_url_token(req: &HttpRequest) -> Option<String> {
    req.uri()
        .query()
        .and_then(|q| {
            q.split('&').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                (k == SESSION_PARAM && !v.is_empty()).then(|| v.to_owned())
            })
        })
        .filter(|t| token_shaped(t))
}

/// Reads the session token from `ksid` in the query string, then from the cookie.
fn presented_token(req: &HttpRequest) -> Option<String> {
    presented_url_token(req).or_else(|| {
        req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()).filter(|t| token_shaped(t))
    })
}

impl FromRequest for Visitor {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Visitor, WebError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<App>>()
                .cloned()
                .ok_or_else(|| WebError::internal("application state missing"))?;
            let accept_lang = req
                .headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map_or(Lang::Ja, Lang::negotiate);
            // The Host header was checked against our names by the middleware; forwarded-host
            // headers are not, so they are ignored. The scheme comes from the configuration.
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let scheme = if state.config.https() { "https" } else { "http" };
            let origin = format!("{scheme}://{host}");
            let handset = crate::handset::of(&req);
            let path_and_query = req
                .uri()
                .path_and_query()
                .map_or_else(|| req.path().to_owned(), ToString::to_string);
            let subscriber_hash =
                handset.subscriber_id().map(|id| state.secret.subscriber_hash(id));
            let mut visitor = Visitor {
                subscriber_hash,
                target: Target::for_handset(&handset),
                path_and_query,
                cookies: handset.cookies,
                handset: handset.clone(),
                state: state.clone(),
                session: None,
                token: None,
                issue_cookie: false,
                member: None,
                lang: accept_lang,
                origin,
            };
            let Some(token) = presented_token(&req).filter(|_| handset.sessions) else {
                return Ok(visitor);
            };
            // One read-only statement on the hot path; the rare writes (an expired row
            // deleted, the idle timeout extended once a minute) go to the blocking pool.
            let lookup_token = token.clone();
            let found = state.read(move |c| sessions::lookup(c, &lookup_token)).await?;
            let t = now();
            let found = match found {
                // The writes on this path are housekeeping: when they fail (a full disk) the
                // read goes on, so members can still read while the operator makes room.
                Some((session, _)) if session.expires_at <= t => {
                    let id = session.id;
                    if let Err(e) = state.run(move |c| sessions::delete(c, id)).await {
                        tracing::warn!(error = %e, "an expired session could not be deleted");
                    }
                    None
                }
                Some((session, member)) => {
                    if t.0 - session.last_seen_at.0 >= TOUCH_INTERVAL_MS {
                        let (id, idle_ms) = (session.id, visitor.idle_ms());
                        if let Err(e) = state.run(move |c| sessions::touch(c, id, t, idle_ms)).await
                        {
                            tracing::warn!(error = %e, "the session's idle timeout could not be extended");
                        }
                    }
                    Some((session, member))
                }
                None => None,
            };
            // A session bound to one subscriber ID is not valid for a request carrying another
            // (a URL token copied to someone else's phone). Requests without a trusted ID
            // (over a PC, or a link without guid=ON) cannot be told apart and pass.
            let found = found.filter(|(session, _)| {
                let mismatch = matches!((&session.subscriber_hash, &visitor.subscriber_hash), (Some(bound), Some(now)) if bound != now);
                if mismatch {
                    tracing::warn!(security.event = "session_subscriber_mismatch", "session presented by another handset ignored");
                }
                !mismatch
            });
            // A suspension deletes the member's sessions; one that raced it (a login finishing
            // at that moment, on another process) still carries no member.
            let found =
                found.map(|(session, member)| (session, member.filter(|m| m.suspended.is_none())));
            if let Some((session, member)) = found {
                if let Some(m) = &member {
                    visitor.lang = Lang::from_tag(&m.language);
                    // Error pages are written by middleware after the handler; keitai browsers
                    // send no Accept-Language, so they read the member's choice from here.
                    actix_web::HttpMessage::extensions_mut(&req).insert(MemberLang(visitor.lang));
                }
                visitor.session = Some(session);
                visitor.member = member;
                visitor.token = Some(token);
            }
            Ok(visitor)
        })
    }
}

/// A request from a logged-in member. Extracting it sends anyone else to the login page (a 303
/// carrying their URL session, if any), so members-only handlers start with their work.
pub struct Member {
    /// The requester, with the session and the member loaded.
    pub visitor: Visitor,
    /// The member's id.
    pub id: MemberId,
    /// The member's nickname (the actor named in notification mails).
    pub nickname: String,
}

impl Member {
    /// Turns a loaded visitor into a member, or into the redirect to the login page.
    pub fn require(visitor: Visitor) -> Result<Member, WebError> {
        match visitor.member.as_ref().map(|m| (m.id, m.nickname.clone())) {
            Some((id, nickname)) => Ok(Member { visitor, id, nickname }),
            None => Err(WebError::LoginRequired(visitor.login_url())),
        }
    }
}

impl FromRequest for Member {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Member, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let visitor = Visitor::from_request(req, payload);
        Box::pin(async move { Member::require(visitor.await?) })
    }
}

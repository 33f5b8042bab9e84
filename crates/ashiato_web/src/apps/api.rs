//! The Social API endpoints: REST under `/social/rest/` and JSON-RPC at `/social/rpc` (also
//! `/social/rest/rpc`).
//!
//! Every call is 2-legged OAuth 1.0a (HMAC-SHA1 with the app's consumer secret), verified
//! against the URL the app addressed (the configured public scheme, the `Host` the middleware
//! accepted, the raw request target). The nonce goes to the database, so a replay is refused
//! by every process. `xoauth_requestor_id` names the member the app acts for, who must have
//! installed it. Calls are counted per consumer key: `api_requests_per_5min`.

use std::cell::RefCell;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use ashiato_core::{MemberId, Timestamp};
use ashiato_opensocial::oauth::{self, Credentials, IncomingRequest, NonceStore, VerifyPolicy};
use ashiato_opensocial::request::{ApiError, ErrorCode};
use ashiato_opensocial::rest::{self, Format, RenderOptions};
use ashiato_opensocial::rpc;
use ashiato_store::{AnyConnection, StoreError, accounts, apps};

use ashiato_app::apps::social::{Caller, Outcome};
use ashiato_app::{App, now};

use crate::error::WebError;

/// The rate-limit window (Mastodon's 5 minutes, S-33).
const WINDOW_MS: i64 = 5 * 60 * 1000;
/// `realm` of `WWW-Authenticate`.
const REALM: &str = "ashiato";

/// A refused call: the API error and, for OAuth failures, the `WWW-Authenticate` value.
struct Refusal {
    error: ApiError,
    www_authenticate: Option<String>,
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal { error, www_authenticate: None }
    }
}

/// Nonces in the database: an insert that conflicts is a replay.
struct DbNonces<'a, 'c> {
    conn: &'a RefCell<&'c mut AnyConnection>,
}

impl NonceStore for DbNonces<'_, '_> {
    fn check_and_record(
        &self,
        consumer_key: &str,
        _timestamp: i64,
        nonce: &str,
        now: i64,
    ) -> Result<bool, String> {
        let mut conn = self.conn.borrow_mut();
        apps::remember_nonce(&mut conn, consumer_key, nonce, Timestamp(now.saturating_mul(1000)))
            .map_err(|e| e.to_string())
    }
}

/// The request parts OAuth needs, owned so they can go to the blocking pool.
struct Signed {
    method: String,
    url: String,
    authorization: Option<Vec<u8>>,
    content_type: Option<String>,
    body: web::Bytes,
}

impl Signed {
    fn of(state: &App, req: &HttpRequest, body: &web::Bytes) -> Signed {
        let header_bytes = |name| req.headers().get(name).map(|v| v.as_bytes().to_vec());
        Signed {
            method: req.method().as_str().to_owned(),
            url: public_url(state, req),
            authorization: header_bytes(header::AUTHORIZATION),
            content_type: req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: body.clone(),
        }
    }
}

/// The absolute URL the client addressed: public scheme, the (checked) `Host`, raw target.
fn public_url(state: &App, req: &HttpRequest) -> String {
    let scheme = if state.config.https() { "https" } else { "http" };
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let target =
        req.uri().path_and_query().map_or_else(|| req.path().to_owned(), ToString::to_string);
    format!("{scheme}://{host}{target}")
}

fn oauth_refusal(e: &oauth::OAuthError) -> Refusal {
    let code = if e.http_status() == 401 { ErrorCode::Unauthorized } else { ErrorCode::BadRequest };
    Refusal {
        error: ApiError::new(code, e.to_string()),
        www_authenticate: (code == ErrorCode::Unauthorized).then(|| e.www_authenticate(REALM)),
    }
}

fn internal(e: &StoreError) -> Refusal {
    tracing::error!(error.cause = %e, "social api: storage failed");
    ApiError::internal("storage failed").into()
}

/// Verifies the signature and finds the app and the requestor.
fn authenticate(
    conn: &mut AnyConnection,
    signed: &Signed,
    now_secs: i64,
) -> Result<(apps::App, accounts::Member), Refusal> {
    let conn = RefCell::new(conn);
    let found: RefCell<Option<apps::App>> = RefCell::new(None);
    let failure: RefCell<Option<StoreError>> = RefCell::new(None);
    let lookup = |key: &str| -> Option<Credentials> {
        match apps::by_consumer_key(&mut conn.borrow_mut(), key) {
            Ok(Some(app)) => {
                let secret = app.consumer_secret.clone();
                *found.borrow_mut() = Some(app);
                Some(Credentials { consumer_secret: Some(secret), ..Credentials::default() })
            }
            Ok(None) => None,
            Err(e) => {
                *failure.borrow_mut() = Some(e);
                None
            }
        }
    };
    let incoming = IncomingRequest {
        method: &signed.method,
        url: &signed.url,
        authorization: signed.authorization.as_deref(),
        content_type: signed.content_type.as_deref(),
        body: &signed.body,
    };
    let verified = oauth::verify(
        &incoming,
        &VerifyPolicy::default(),
        now_secs,
        lookup,
        &DbNonces { conn: &conn },
    );
    if let Some(e) = failure.take() {
        return Err(internal(&e));
    }
    let verified = verified.map_err(|e| oauth_refusal(&e))?;
    let app = found.take().ok_or_else(|| ApiError::internal("consumer vanished"))?;
    let requestor = verified.requestor_id.as_deref().ok_or_else(|| {
        ApiError::unauthorized("xoauth_requestor_id must name the member the app acts for")
    })?;
    let member = requestor
        .parse::<i64>()
        .ok()
        .map(MemberId)
        .ok_or_else(|| ApiError::unauthorized(format!("no member {requestor:?}")))?;
    let conn = conn.into_inner();
    let member = match accounts::find_member(conn, member) {
        Ok(m) => m,
        Err(StoreError::NotFound) => {
            return Err(ApiError::unauthorized(format!("no member {requestor:?}")).into());
        }
        Err(e) => return Err(internal(&e)),
    };
    if member.suspended.is_some() {
        // A suspended member's grants to apps die with the suspension.
        return Err(ApiError::unauthorized(format!("member {requestor} is suspended")).into());
    }
    if !apps::is_installed(conn, app.id, member.id).map_err(|e| internal(&e))? {
        return Err(
            ApiError::forbidden(format!("member {requestor} has not installed this app")).into()
        );
    }
    Ok((app, member))
}

/// The executor for a verified call.
fn caller<'a>(
    st: &'a App,
    app: &'a apps::App,
    requestor: &'a accounts::Member,
    base_url: &'a str,
    now: Timestamp,
) -> Caller<'a> {
    Caller {
        app,
        requestor: requestor.id,
        base_url,
        secret: &st.secret,
        config: &st.config,
        nickname: &requestor.nickname,
        now,
    }
}

/// Counts `calls` against the app's budget; `false` when it is spent.
fn within_limit(state: &App, consumer_key: &str, calls: u32, now: Timestamp) -> bool {
    let max = state.config.api_requests_per_5min;
    let key = format!("api:{consumer_key}");
    if state.api_calls.is_limited(&key, max, WINDOW_MS, now) {
        return false;
    }
    for _ in 0..calls {
        state.api_calls.note(&key, WINDOW_MS, now);
    }
    true
}

fn limit_error() -> ApiError {
    ApiError::new(ErrorCode::LimitExceeded, "too many requests from this app; wait a few minutes")
}

fn respond(r: &rest::RestResponse, location: Option<String>) -> HttpResponse {
    let mut b = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(r.status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    );
    b.insert_header((header::CONTENT_TYPE, r.content_type))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    for (name, value) in &r.headers {
        b.insert_header((*name, value.clone()));
    }
    if let Some(l) = location {
        b.insert_header((header::LOCATION, l));
    }
    b.body(r.body.clone())
}

fn format_of(query: &str) -> Format {
    match oauth::parse_form(query.as_bytes())
        .iter()
        .find(|(k, _)| k == b"format")
        .map(|(_, v)| v.to_ascii_lowercase())
        .as_deref()
    {
        Some(b"xml") => Format::Xml,
        Some(b"atom") => Format::Atom,
        _ => Format::Json,
    }
}

fn refused(r: &Refusal, format: Format) -> HttpResponse {
    respond(&rest::render_error(&r.error, format, REALM, r.www_authenticate.as_deref()), None)
}

/// `/social/rest/{tail}`: every method; REST semantics per path.
pub async fn rest(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<App>,
    tail: web::Path<String>,
) -> HttpResponse {
    let query = req.query_string().to_owned();
    let fallback_format = format_of(&query);
    let signed = Signed::of(&state, &req, &body);
    let method = req.method().as_str().to_owned();
    let method_override = req
        .headers()
        .get("X-HTTP-Method-Override")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path = format!("/{}", tail.into_inner());
    let t = now();
    let base_url = state.config.base_url();
    let st = state.clone();
    let result = web::block(move || -> Result<(Outcome, Format), Refusal> {
        let mut conn = st.db.conn().map_err(|e| internal(&e))?;
        let (app, requestor) = authenticate(&mut conn, &signed, t.0 / 1000)?;
        if !within_limit(&st, &app.consumer_key, 1, t) {
            return Err(limit_error().into());
        }
        let call = rest::parse_rest(
            &method,
            method_override.as_deref(),
            &path,
            &query,
            signed.content_type.as_deref(),
            &signed.body,
        )?;
        let caller = caller(&st, &app, &requestor, &base_url, t);
        let outcome = caller.execute(&mut conn, &call.request)?;
        Ok((outcome, call.format))
    })
    .await;
    match result {
        Ok(Ok((outcome, format))) => {
            let opts = RenderOptions {
                domain: req.connection_info().host().to_owned(),
                self_url: public_url(&state, &req),
                now: t.rfc3339(),
                ..RenderOptions::default()
            };
            let r = rest::render(&outcome.data, format, outcome.status, &opts);
            let location =
                outcome.location.map(|l| format!("{}/social/rest{l}", state.config.base_url()));
            respond(&r, location)
        }
        Ok(Err(refusal)) => refused(&refusal, fallback_format),
        Err(e) => {
            tracing::error!(error.cause = %e, "social api: blocking task failed");
            refused(&ApiError::internal("internal error").into(), fallback_format)
        }
    }
}

/// `/social/rpc` and `/social/rest/rpc`: JSON-RPC, single or batch (POST), or the GET form.
pub async fn rpc(req: HttpRequest, body: web::Bytes, state: web::Data<App>) -> HttpResponse {
    let signed = Signed::of(&state, &req, &body);
    let query = req.query_string().to_owned();
    let is_get = req.method() == actix_web::http::Method::GET;
    let t = now();
    let base_url = state.config.base_url();
    let st = state.clone();
    let result = web::block(move || -> Result<serde_json::Value, Refusal> {
        let mut conn = st.db.conn().map_err(|e| internal(&e))?;
        let (app, requestor) = authenticate(&mut conn, &signed, t.0 / 1000)?;
        let parsed = if is_get { rpc::parse_get(&query) } else { rpc::parse_body(&signed.body) };
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => return Ok(rpc::whole_error(&e)),
        };
        let calls = parsed.calls();
        let n = u32::try_from(calls.len()).unwrap_or(u32::MAX);
        if !within_limit(&st, &app.consumer_key, n, t) {
            return Err(limit_error().into());
        }
        let caller = caller(&st, &app, &requestor, &base_url, t);
        let outcomes: Vec<_> = calls
            .iter()
            .map(|c| match &c.request {
                Ok(r) => caller.execute(&mut conn, r).map(|o| o.data),
                Err(e) => Err(e.clone()),
            })
            .collect();
        Ok(rpc::response(&parsed, &outcomes))
    })
    .await;
    let json = |status: u16, v: &serde_json::Value, www: Option<&str>| {
        let mut b = HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
        );
        b.insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(w) = www {
            b.insert_header((header::WWW_AUTHENTICATE, w.to_owned()));
        }
        b.body(v.to_string())
    };
    match result {
        Ok(Ok(v)) => json(200, &v, None),
        Ok(Err(r)) => json(
            r.error.code.http_status(),
            &rpc::whole_error(&r.error),
            r.www_authenticate
                .as_deref()
                .or((r.error.code == ErrorCode::Unauthorized).then_some("OAuth realm=\"ashiato\"")),
        ),
        Err(e) => {
            tracing::error!(error.cause = %e, "social api: blocking task failed");
            json(500, &rpc::whole_error(&ApiError::internal("internal error")), None)
        }
    }
}

/// `GET /social/container.pem`: the public key apps use to verify RSA-SHA1 requests.
pub async fn container_key(state: web::Data<App>) -> Result<HttpResponse, WebError> {
    let st = state.clone();
    let key = tokio::task::spawn_blocking(move || st.container_keys.get(&st.db))
        .await
        .map_err(WebError::internal)?
        .map_err(WebError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/x-pem-file"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(key.public_pem().to_owned()))
}

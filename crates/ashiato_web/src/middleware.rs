//! Middleware, outermost first: the Host check, the access log, and error pages.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use ashiato_render::i18n::{Catalog, Lang};
use ashiato_render::page::{Block, Notice, Page};
use ashiato_render::url::LinkParams;
use ashiato_render::{Location, RenderContext, Target, render};

use crate::App;
use crate::error::ErrorPage;

/// Refuses requests whose `Host` is not one of ours, before any session or subscriber-ID logic
/// runs: a page reached through DNS rebinding carries the attacker's host name (security.md
/// §1, S-03). Answers 421 Misdirected Request.
pub async fn check_host(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let allowed = req.app_data::<web::Data<App>>().is_some_and(|state| {
        req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).is_some_and(|host| {
            state.allowed_hosts.iter().any(|a| a.eq_ignore_ascii_case(host.trim()))
        })
    });
    if allowed {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    tracing::warn!(security.event = "foreign_host", "request refused: Host is not one of ours");
    let mut response = HttpResponse::new(StatusCode::MISDIRECTED_REQUEST);
    response.extensions_mut().insert(ErrorPage::BadHost);
    let response = error_page(req.request(), &response, ErrorPage::BadHost);
    Ok(req.into_response(response))
}

/// Opens the request's tracing span (method and route pattern), so every line logged while
/// serving it, on the async threads or on the blocking pool (see `ashiato_app::App::run`),
/// names the page it served; then logs one line per request: status and duration. Never the
/// query string (where session tokens travel) nor the raw path (where invitation tokens do).
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    use tracing::Instrument as _;
    let started = Instant::now();
    let route = req.match_pattern().unwrap_or_else(|| "(unmatched)".into());
    let span = tracing::info_span!("request", http.method = %req.method(), http.route = %route);
    let metrics = req.app_data::<web::Data<App>>().map(|app| std::sync::Arc::clone(&app.metrics));
    let response = next.call(req).instrument(span.clone()).await?;
    let seconds = started.elapsed().as_secs_f64();
    span.in_scope(|| {
        tracing::info!(
            http.status = response.status().as_u16(),
            duration_ms = seconds * 1000.0,
            "request"
        );
    });
    if let Some(m) = metrics {
        m.observe_request(&route, response.status().as_u16(), seconds);
        // Set by handset detection, inside this middleware (absent when the Host check refused).
        if let Some(h) =
            response.request().extensions().get::<std::sync::Arc<ashiato_handset::Handset>>()
        {
            m.count_handset(h.carrier.as_str());
        }
    }
    Ok(response)
}

/// Answers `HEAD` wherever `GET` answers (monitors and proxies probe `/login` with it; it was
/// a 405): the request is routed as a `GET`, and the HTTP codec, which saw the `HEAD`, sends
/// the headers alone.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// Writes the short page for error responses (those carrying an [`ErrorPage`] marker, and
/// bare 404/405 from the router), in the reader's language.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let marker = response.response().extensions().get::<ErrorPage>().copied();
    // Error responses actix or an extractor produced (a malformed path, a bad query) come as
    // plain text; handler pages are HTML and stay as they are. /healthz and /readyz answer in
    // plain text on purpose (probes read them), the Social API in JSON or XML.
    let status = response.status();
    let ours =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(
            |ct| ct.starts_with("text/html") || ct.starts_with("application/xhtml+xml"),
        );
    let kind = marker.or_else(|| {
        if ours
            || !(status.is_client_error() || status.is_server_error())
            || matches!(response.request().path(), "/healthz" | "/readyz")
            // The Social API answers its errors in JSON or XML, as its clients expect.
            || response.request().path().starts_with("/social/")
        {
            return None;
        }
        Some(match status {
            StatusCode::FORBIDDEN => ErrorPage::Forbidden,
            StatusCode::NOT_FOUND => ErrorPage::NotFound,
            StatusCode::TOO_MANY_REQUESTS => ErrorPage::TooMany,
            StatusCode::SERVICE_UNAVAILABLE => ErrorPage::Unavailable,
            s if s.is_server_error() => ErrorPage::Internal,
            _ => ErrorPage::BadRequest,
        })
    });
    let Some(mut kind) = kind else { return Ok(response) };
    let (req, mut res) = response.into_parts();
    // A page the operators removed says so to whoever follows an old link (410, not 404).
    if kind == ErrorPage::NotFound
        && req.method() == actix_web::http::Method::GET
        && let Some(removed) = tombstone(&req).await
    {
        kind = ErrorPage::Removed(removed);
        *res.status_mut() = StatusCode::GONE;
    }
    let page = error_page(&req, &res, kind);
    Ok(ServiceResponse::new(req, page))
}

/// The kind of removed content whose tombstone is at this request's path, if any. Asked only
/// for a GET that found nothing, so ordinary pages pay nothing for it; a failed lookup shows the
/// plain "not found" page.
async fn tombstone(req: &actix_web::HttpRequest) -> Option<ashiato_core::moderation::TargetKind> {
    let app = req.app_data::<actix_web::web::Data<ashiato_app::App>>()?;
    ashiato_app::removal::tombstone(app, req.path().to_owned()).await.ok().flatten()
}

fn error_page(req: &actix_web::HttpRequest, res: &HttpResponse, kind: ErrorPage) -> HttpResponse {
    // The member's own choice when the request was theirs, else what the browser asks for.
    let member_lang = req.extensions().get::<crate::visitor::MemberLang>().map(|m| m.0);
    let lang = member_lang.unwrap_or_else(|| {
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::Ja, Lang::negotiate)
    });
    let cat = Catalog::get(lang);
    let mut page = Page::new(cat.t(kind.message_key()));
    page.push(Block::Notice(Notice::Error(cat.t(kind.message_key()).into())));
    if kind != ErrorPage::BadHost {
        page.menu = vec![ashiato_render::page::MenuItem {
            key: Some('0'),
            text: cat.t("status.back_home").into(),
            path: "/".into(),
        }];
    }
    let no_jump = |_: &str| String::from("/");
    // The handset is known unless the Host check refused the request before detection.
    let handset = req.extensions().get::<std::sync::Arc<ashiato_handset::Handset>>().cloned();
    let target = handset.as_deref().map_or_else(Target::html5, Target::for_handset);
    // A handset without cookies keeps the session it presented on the way back to the top
    // page (an unknown token is never adopted there, so echoing it grants nothing).
    let links = match &handset {
        Some(h) if h.needs_url_session() => LinkParams {
            session: crate::visitor::presented_url_token(req),
            guid_on: h.needs_guid_on,
        },
        Some(h) => LinkParams { session: None, guid_on: h.needs_guid_on },
        None => LinkParams::default(),
    };
    let ctx = RenderContext { lang, links, csrf: None, jump: &no_jump };
    let out = render(&page, &ctx, &target, &Location::new("/"));
    let mut builder = HttpResponse::build(res.status());
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    builder
        .insert_header((header::CONTENT_TYPE, out.content_type))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out.body)
}

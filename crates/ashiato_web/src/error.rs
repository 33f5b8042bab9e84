//! Errors at the HTTP edge.
//!
//! Policy: handlers return `Result<HttpResponse, WebError>`. A `WebError` becomes an empty
//! response carrying its [`ErrorPage`] marker; the `error_pages` middleware, which can see the
//! request (language and handset), writes the short page the reader gets. Failures of the
//! machinery arrive as an [`AppError`] that keeps its source and the line where it was met;
//! they are logged once, here, inside the request's span (which names the route); the page
//! never shows the cause.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use ashiato_app::AppError;
use ashiato_core::Problem;
use ashiato_store::StoreError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Malformed request (bad form encoding, missing field).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Not allowed (bad CSRF token, not the owner).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such page, or one the reader may not know exists.
    #[error("not found")]
    NotFound,
    /// A domain rule refused the request; handlers usually show this in the form instead.
    #[error("rejected: {0}")]
    Rejected(Problem),
    /// Too many requests from this member or address.
    #[error("too many requests")]
    TooMany,
    /// A members-only page asked by someone not logged in: a 303 to this login URL.
    #[error("login required")]
    LoginRequired(String),
    /// Answered by a 303 to this URL (a form sent too late, back to where it came from).
    #[error("redirect")]
    Redirect(String),
    /// The database is down or busy (the cause, kept for the log).
    #[error("{0}")]
    Unavailable(AppError),
    /// Anything else (the cause, kept for the log).
    #[error("{0}")]
    Internal(AppError),
}

impl WebError {
    /// An internal failure met at the caller's line.
    #[track_caller]
    pub fn internal(source: impl Into<ashiato_app::error::Cause>) -> WebError {
        WebError::Internal(AppError::internal(source))
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => WebError::NotFound,
            AppError::Forbidden(why) => WebError::Forbidden(why),
            AppError::Rejected(p) => WebError::Rejected(p),
            AppError::TooMany => WebError::TooMany,
            e @ AppError::Unavailable { .. } => WebError::Unavailable(e),
            e @ AppError::Internal { .. } => WebError::Internal(e),
        }
    }
}

impl From<StoreError> for WebError {
    #[track_caller]
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

/// Marker on an error response: which page the `error_pages` middleware should write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorPage {
    /// 400.
    BadRequest,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 421 (foreign Host header).
    BadHost,
    /// 429.
    TooMany,
    /// 503.
    Unavailable,
    /// 500.
    Internal,
    /// 410: the operators removed what was here (a tombstone, docs/operations.md).
    Removed(ashiato_core::moderation::TargetKind),
}

use ashiato_core::moderation::TargetKind;

impl ErrorPage {
    /// Catalog key of the page text.
    pub fn message_key(self) -> &'static str {
        match self {
            ErrorPage::BadRequest => "status.bad_request",
            ErrorPage::Forbidden => "status.forbidden",
            ErrorPage::NotFound => "status.not_found",
            ErrorPage::BadHost => "status.bad_host",
            ErrorPage::TooMany => "status.too_many",
            ErrorPage::Unavailable => "status.unavailable",
            ErrorPage::Internal => "status.internal",
            ErrorPage::Removed(kind) => match kind {
                TargetKind::Diary => "removed.diary",
                TargetKind::DiaryComment => "removed.diary_comment",
                TargetKind::Profile | TargetKind::ProfilePhoto => "removed.profile",
                TargetKind::Community => "removed.community",
                TargetKind::Topic => "removed.topic",
                TargetKind::TopicComment => "removed.topic_comment",
                TargetKind::Message => "removed.message",
            },
        }
    }
}

impl WebError {
    fn page(&self) -> ErrorPage {
        match self {
            WebError::BadRequest(_) | WebError::Rejected(_) => ErrorPage::BadRequest,
            WebError::Forbidden(_) => ErrorPage::Forbidden,
            WebError::NotFound => ErrorPage::NotFound,
            WebError::TooMany => ErrorPage::TooMany,
            WebError::Unavailable(_) => ErrorPage::Unavailable,
            WebError::Internal(_) => ErrorPage::Internal,
            // Answered by a redirect, never a page.
            WebError::LoginRequired(_) | WebError::Redirect(_) => ErrorPage::Forbidden,
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) | WebError::Rejected(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::LoginRequired(_) | WebError::Redirect(_) => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            WebError::Internal(cause) => {
                tracing::error!(error.cause = %cause, "request failed");
            }
            WebError::Unavailable(cause) => {
                tracing::warn!(error.cause = %cause, "database unavailable");
            }
            WebError::LoginRequired(location) | WebError::Redirect(location) => {
                return HttpResponse::SeeOther()
                    .insert_header((actix_web::http::header::LOCATION, location.as_str()))
                    .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                    .finish();
            }
            _ => {}
        }
        let mut response = HttpResponse::new(self.status_code());
        if matches!(self, WebError::Unavailable(_)) {
            // Busy, not broken: tell clients and proxies when to try again.
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("5"),
            );
        }
        response.extensions_mut().insert(self.page());
        response
    }
}

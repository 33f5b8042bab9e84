//! Errors at the HTTP edge.
//!
//! Policy: handlers return `Result<HttpResponse, WebError>`. A `WebError` becomes an empty
//! response carrying its [`ErrorPage`] marker; the `error_pages` middleware, which can see the
//! request (language, and later the handset), writes the short page the reader gets. Internal
//! errors are logged once, here, with their cause; the page never shows it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
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
    /// The database is down or busy.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => WebError::NotFound,
            StoreError::Rejected(p) => WebError::Rejected(p),
            StoreError::Unavailable(why) => WebError::Unavailable(why),
            StoreError::Database(e) => WebError::Internal(e.to_string()),
        }
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
}

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

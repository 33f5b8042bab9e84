//! `GET /metrics`: Prometheus text format (`ashiato_app::metrics`), for the operator's
//! monitoring only. With `metrics_token` set it asks for `Authorization: Bearer <token>`;
//! without, it answers clients on the loopback address alone (the client address as resolved
//! through `trusted_proxies`, so a request forwarded by the public reverse proxy is refused).
//! Everyone else gets the plain 404 of a page that does not exist.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use ashiato_app::App;

use crate::error::WebError;

fn allowed(req: &HttpRequest, app: &App) -> bool {
    let token = app.config.metrics_token.as_str();
    if !token.is_empty() {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        return constant_time_eq(presented.as_bytes(), token.as_bytes());
    }
    crate::handset::client_address(req, &app.trust).is_loopback()
}

/// Compares without leaking where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /metrics`.
pub async fn metrics(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, WebError> {
    if !allowed(&req, &app) {
        return Err(WebError::NotFound);
    }
    let text = ashiato_app::metrics::scrape(&app).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

//! `/healthz` and `/readyz`, for process supervisors and load balancers.
//!
//! - `/healthz` is liveness: the process answers HTTP. It touches no database, so it costs
//!   the same with a million members as with ten, and a slow database never makes a
//!   supervisor restart a process that is fine (issue 18: it used to count the members).
//! - `/readyz` is readiness: the database answers `SELECT 1` within [`READY_DEADLINE`]. A load
//!   balancer sends members elsewhere while it says 503.
//!
//! Neither needs a session or logs anything but its status.

use std::time::Duration;

use actix_web::{HttpResponse, web};

use crate::App;

/// How long `/readyz` waits for a connection and the answer (less than the pool's own timeout
/// in production, 0.8 s, plus the query: a load balancer's probe should not hang).
pub const READY_DEADLINE: Duration = Duration::from_secs(1);

fn text(ok: bool, word: &'static str) -> HttpResponse {
    let mut res = if ok { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    res.content_type("text/plain; charset=utf-8").insert_header(("Cache-Control", "no-store"));
    res.body(word)
}

/// 200 `ok`: the process is alive.
pub async fn healthz() -> HttpResponse {
    text(true, "ok\n")
}

/// 200 `ready` when the database answers within [`READY_DEADLINE`], 503 `unavailable`
/// otherwise.
pub async fn readyz(state: web::Data<App>) -> HttpResponse {
    let check = state.run(ashiato_store::db::ping);
    match tokio::time::timeout(READY_DEADLINE, check).await {
        Ok(Ok(())) => text(true, "ready\n"),
        Ok(Err(_)) | Err(_) => text(false, "unavailable\n"),
    }
}

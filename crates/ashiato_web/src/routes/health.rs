//! `/healthz`: whether this process can serve (its database answers).

use actix_web::{HttpResponse, web};
use ashiato_store::accounts;

use crate::App;

/// 200 `ok` when the database answers a query, 503 otherwise. No session, no logging of
/// anything but the status.
pub async fn healthz(state: web::Data<App>) -> HttpResponse {
    match state.run(accounts::member_count).await {
        Ok(_) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n"),
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("unavailable\n"),
    }
}

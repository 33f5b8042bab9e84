//! The HTTP server: the app factory and `serve`.

use std::net::TcpListener;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::middleware;
use crate::routes;
use crate::state::AppState;

/// Mounts routes and middleware for one worker. Middleware registered last runs first: the
/// Host check sees every request before anything else.
pub fn configure_app(state: AppState) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(state.clone()))
            .app_data(web::FormConfig::default().limit(64 * 1024))
            .configure(routes::configure);
    }
}

/// Runs the server on an already bound listener until SIGINT/SIGTERM, then finishes the
/// requests in flight (up to 10 s) and returns.
pub async fn serve(state: AppState, listener: TcpListener) -> std::io::Result<()> {
    let workers = match state.config.workers {
        0 => std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        n => n,
    };
    let app_state = state.clone();
    HttpServer::new(move || {
        App::new()
            .configure(configure_app(app_state.clone()))
            .app_data(web::Data::new(app_state.clone()))
            .wrap(from_fn(middleware::error_pages))
            .wrap(from_fn(middleware::access_log))
            .wrap(from_fn(middleware::check_host))
    })
    .workers(workers)
    .shutdown_timeout(10)
    .listen(listener)?
    .run()
    .await
}

//! The HTTP server: the app factory and `serve`.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::middleware;
use crate::routes;

/// Mounts routes and middleware for one worker. Middleware registered last runs first: the
/// Host check sees every request before anything else.
pub fn configure_app(state: ashiato_app::App) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(state.clone())).configure(routes::configure);
    }
}

/// Builds the server on an already bound listener. Awaiting the returned [`Server`] runs it
/// until SIGINT/SIGTERM (or its handle's `stop`), after which requests in flight get up to
/// 10 s to finish.
pub fn build(state: ashiato_app::App, listener: TcpListener) -> std::io::Result<Server> {
    let workers = match state.config.workers {
        0 => std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        n => n,
    };
    Ok(HttpServer::new(move || {
        App::new()
            .configure(configure_app(state.clone()))
            .wrap(from_fn(middleware::error_pages))
            .wrap(from_fn(crate::handset::detect_handset))
            .wrap(from_fn(middleware::access_log))
            .wrap(from_fn(middleware::check_host))
            .wrap(from_fn(middleware::head_as_get))
            // S-20: every response is what its Content-Type says; no browser may sniff a
            // member's upload or a page into something else.
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff")),
            )
    })
    .workers(workers)
    // R-09, slow clients: a request head must arrive whole within 5 s (carrier gateways and
    // smartphones send it at once; a slowloris client trickling header lines is cut off with
    // 408 and its connection freed), an idle keep-alive connection is closed after 5 s. With
    // 10,000 such connections open, a healthy client's p99 stays under 10 ms
    // (deploy/drills/slowloris.py, docs/reliability.md).
    .client_request_timeout(std::time::Duration::from_secs(5))
    .keep_alive(std::time::Duration::from_secs(5))
    .shutdown_timeout(10)
    .listen(listener)?
    .run())
}

/// Builds and runs the server until it is stopped.
pub async fn serve(state: ashiato_app::App, listener: TcpListener) -> std::io::Result<()> {
    build(state, listener)?.await
}

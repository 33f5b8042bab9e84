//! actix-web's hello world, the yardstick of `bench/load.sh` (issue 17).
//!
//! Page cost is stated as a share of what the same machine, in the same run, serves for the
//! cheapest actix-web page there is. Built as an example of this crate, so it uses the same
//! actix-web version and the workspace's release profile as `ashiato serve`, and the same
//! number of workers (one per core).
//!
//! `cargo run --release -p ashiato_server --example hello_world -- 127.0.0.1:8081`

use actix_web::{App, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8081".to_owned());
    HttpServer::new(|| App::new().route("/", web::get().to(|| async { "Hello world!" })))
        .bind(bind)?
        .run()
        .await
}

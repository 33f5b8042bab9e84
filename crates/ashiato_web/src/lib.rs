//! ashiato's web front door: configuration, the server secret, sessions, routes and the actix
//! server. Only this crate and the binary know actix; everything below it is plain Rust.
//!
//! A request passes the Host check, the access log and the error-page writer
//! ([`middleware`]), reaches a handler in [`routes`] whose [`visitor::Visitor`] extractor has
//! loaded the session, calls storage on the blocking pool ([`state::AppState::run`]), builds a
//! page model and has it rendered for the visitor.

pub mod apps;
pub mod config;
pub mod error;
pub mod footsteps;
pub mod form;
pub mod handset;
pub mod limits;
pub mod mail;
pub mod middleware;
pub mod photos;
pub mod routes;
pub mod secret;
pub mod server;
pub mod state;
pub mod visitor;

pub use config::Config;
pub use state::AppState;

//! ashiato's web front door: extractors, middleware, routes, page views, the Social API
//! endpoints and the actix server. Only this crate and the binary know actix; the use cases it
//! calls live in `ashiato_app`, and everything below that is plain Rust.
//!
//! A request passes the Host check, the access log (which opens the request's tracing span)
//! and the error-page writer ([`middleware`]), has its handset detected ([`handset`]), and
//! reaches a handler in [`routes`]. The handler's extractors load the session
//! ([`visitor::Visitor`], or [`visitor::Member`] for members-only pages) and decode the form
//! in the handset's charset, checking its per-form token ([`form`]); the handler calls one use
//! case of `ashiato_app`, builds a page model and has it rendered for the visitor.

pub mod apps;
pub mod drafts;
pub mod error;
pub mod form;
pub mod handset;
pub mod middleware;
pub mod routes;
pub mod server;
pub mod visitor;

pub use ashiato_app::{App, Config};

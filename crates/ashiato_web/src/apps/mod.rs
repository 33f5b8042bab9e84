//! OpenSocial: the container around third-party apps (issue 9, `docs/opensocial.md`).
//!
//! - [`client`]: the outbound HTTP client with the SSRF rules built in.
//! - [`registry`]: registering apps from gadget XML, installing and uninstalling them.
//! - [`social`]: executing Social API requests with the member's scopes and blocks.
//! - [`api`]: the REST and JSON-RPC endpoints with OAuth 1.0a.
//! - [`proxy`]: what the keitai app proxy needs besides its handlers (targets, signed image
//!   URLs, cutting pages into parts).
//! - [`keys`]: the container's RSA key pair for RSA-SHA1 requests.
//! - [`lifecycle`]: the worker that delivers install and removal events.
//!
//! The member-facing pages (app list, registration, install, the proxied app itself, the
//! image proxy and the invite picker) are in [`crate::routes::apps`].

pub mod api;
pub mod client;
pub mod keys;
pub mod lifecycle;
pub mod proxy;
pub mod registry;
pub mod social;

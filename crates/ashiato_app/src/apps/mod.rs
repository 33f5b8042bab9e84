//! OpenSocial: the container around third-party apps (issue 9, `docs/opensocial.md`).
//!
//! - [`client`]: the outbound HTTP client with the SSRF rules built in.
//! - [`registry`]: registering apps from gadget XML, installing and uninstalling them.
//! - [`installs`]: what members do with apps (install, remove, invite friends).
//! - [`social`]: executing Social API requests with the member's scopes and blocks.
//! - [`proxy`]: what the keitai app proxy needs besides its handlers (targets, signed image
//!   URLs, cutting pages into parts).
//! - [`keys`]: the container's RSA key pair for RSA-SHA1 requests.
//! - [`lifecycle`]: the worker that delivers install and removal events.
//!
//! The HTTP endpoints (the Social API and the member-facing app pages) are in `ashiato_web`.

pub mod client;
pub mod installs;
pub mod keys;
pub mod lifecycle;
pub mod proxy;
pub mod registry;
pub mod social;

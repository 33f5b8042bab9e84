//! The OpenSocial container's pure parts for ashiato (`opensocial.md` in the shared reference).
//!
//! - [`gadget`]: gadget XML → typed [`gadget::Gadget`], under size and depth limits.
//! - [`oauth`]: OAuth 1.0a signature base strings, HMAC-SHA1 (and RSA-SHA1) verification,
//!   `oauth_body_hash`, the `Authorization` header, timestamp and nonce checks, and a signer
//!   for the container's outbound requests.
//! - [`model`]: Person, Activity, AppData, Message; field projection, filtering, sorting and
//!   paging over in-memory lists.
//! - [`request`]: the typed [`request::Request`] that REST and JSON-RPC calls both become.
//! - [`rest`]: REST paths and query parameters → [`request::Request`]; JSON, XML and Atom
//!   response envelopes and error bodies.
//! - [`rpc`]: JSON-RPC single and batch calls, GET form, responses with `data` and `result`.
//! - [`proxy`]: the keitai app proxy: target URL policy (SSRF), outbound parameters, headers
//!   and signature, lifecycle events, and rewriting an app's page for the handset.
//! - [`xml`]: the small escaping XML writer behind `format=xml|atom`.
//!
//! Nothing here opens a socket, reads a clock or touches a database: callers pass "now",
//! resolved addresses and stored secrets in, and persist what comes out. The one exception is
//! [`oauth::random_nonce`], which asks the OS for random bytes. The crate README lists what
//! the web layer builds on top (endpoints, tables, the lifecycle queue).

pub mod gadget;
pub mod model;
pub mod oauth;
pub mod proxy;
pub mod request;
pub mod rest;
pub mod rpc;
pub mod xml;

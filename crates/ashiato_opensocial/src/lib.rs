//! The OpenSocial container's pure parts for ashiato (`opensocial.md` in the shared reference).
//!
//! - [`gadget`]: gadget XML → typed [`gadget::Gadget`], under size and depth limits.
//! - [`oauth`]: OAuth 1.0a signature base strings, HMAC-SHA1 (and RSA-SHA1) verification,
//!   `oauth_body_hash`, the `Authorization` header, timestamp and nonce checks, and a signer
//!   for the container's outbound requests.
//! - [`model`]: Person, Activity, AppData, Message; field projection, filtering, sorting and
//!   paging over in-memory lists.
//! - [`query`]: the collection options (`fields`, filter, sort, paging, `updatedSince`) that
//!   [`model`] applies and [`request`] carries.
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
//!
//! A REST call from an app, end to end (the store part is the caller's):
//!
//! ```
//! use ashiato_opensocial::model::{Collection, Person};
//! use ashiato_opensocial::oauth::{self, Consumer, Credentials, IncomingRequest, MemoryNonceStore, SignRequest, VerifyPolicy};
//! use ashiato_opensocial::request::{Request, ResponseData};
//! use ashiato_opensocial::rest::{self, RenderOptions};
//!
//! // The app signs (2-legged, requestor in the query)…
//! let url = "http://sns.example/social/rest/people/@me/@friends?count=1&xoauth_requestor_id=john.doe";
//! let now = 1_300_000_000;
//! let signed = oauth::sign(
//!     &SignRequest { method: "GET", url, form_body: None, other_body: None },
//!     &Consumer { key: "app-key", secret: "app-secret", rsa: None }, None, "nonce-1", now,
//! ).expect("absolute URL");
//! let header = signed.authorization();
//!
//! // …the container verifies, parses, executes and renders.
//! let req = IncomingRequest { method: "GET", url, authorization: Some(header.as_bytes()), content_type: None, body: b"" };
//! let lookup = |key: &str| (key == "app-key").then(|| Credentials { consumer_secret: Some("app-secret".into()), ..Credentials::default() });
//! let nonces = MemoryNonceStore::new(oauth::DEFAULT_WINDOW_SECS);
//! let who = oauth::verify(&req, &VerifyPolicy::default(), now, lookup, &nonces).expect("signed");
//! assert_eq!(who.requestor_id.as_deref(), Some("john.doe"));
//!
//! let call = rest::parse_rest("GET", None, "/people/@me/@friends", "count=1", None, b"").expect("valid");
//! let Request::PeopleGet { options, .. } = &call.request else { unreachable!() };
//! let friends = vec![Person::new("jane.doe", "Janey"), Person::new("george.doe", "Georgey")];
//! let page = ashiato_opensocial::model::page(friends, options);
//! let body = rest::render(&ResponseData::people(&page, &options.fields), call.format, 200, &RenderOptions::default());
//! assert_eq!(body.body, r#"{"entry":[{"displayName":"Janey","id":"jane.doe"}],"itemsPerPage":1,"startIndex":0,"totalResults":2}"#);
//! # let _: Collection<Person> = page;
//! ```

pub mod gadget;
pub mod model;
pub mod oauth;
pub mod proxy;
pub mod query;
pub mod request;
pub mod rest;
pub mod rpc;
pub mod xml;

//! OpenSocial at the HTTP edge: the Social API endpoints (REST and JSON-RPC with OAuth 1.0a)
//! and the container's public key. What they execute (the registry, the Social API rules, the
//! lifecycle worker, the outbound client) lives in `ashiato_app::apps`; the member-facing
//! pages (app list, registration, install, the proxied app itself, the image proxy and the
//! invite picker) are in [`crate::routes::apps`].

pub mod api;

//! Keitai handset detection for ashiato.
//!
//! Turns a request's headers and peer address into a [`Handset`] profile — carrier, model,
//! browser, generation, markup, charset, cookies, byte budget, screen, image formats, emoji
//! scheme — and decides whether a subscriber ID header may be trusted (only from the carrier's
//! **browser** gateway ranges, after trusted reverse proxies and nothing else).
//!
//! Pure: no I/O, no clock, no framework types. Facts come from `docs/keitai.md` and
//! `docs/security.md` in the shared reference; device tables are generated into `data/` by
//! `data/generate.py` and embedded at compile time.
//!
//! ```
//! use ashiato_handset::{detect, HeaderList, Trust, Carrier};
//! let headers = HeaderList::parse(b"User-Agent: DoCoMo/2.0 P07A3(c500;TB;W24H15)\nX-DCMGUID: abc1234\n")
//!     .expect("header block");
//! let trust = Trust::builtin();
//! let h = detect(&headers, Some("210.153.84.1".parse().expect("ip")), &trust);
//! assert_eq!(h.carrier, Carrier::Docomo);
//! assert!(h.cookies); // i-mode browser 2.0
//! assert!(h.subscriber_id_trusted);
//! let stored = h.subscriber_id().map(|id| id.keyed_hash_hex(b"server secret"));
//! assert_eq!(stored.map(|s| s.len()), Some(64));
//! ```

mod bytes;
mod carrier;
mod detect;
mod gateways;
mod headers;
mod inline;
mod ip;
mod profile;
mod subscriber;
mod tables;

pub use carrier::Carrier;
pub use detect::{Connection, detect, detect_connection, is_crawler};
pub use gateways::{
    BUILTIN_GATEWAYS_TOML, CarrierGateways, GatewayError, GatewayMatch, Gateways, STALE_AFTER_DAYS,
    Trust,
};
pub use headers::{HeaderList, HeaderLookup, HeaderParseError};
pub use inline::InlineStr;
pub use ip::{IpNet, IpNetParseError, TrustedProxies, canonical_ip, client_ip};
pub use profile::{
    Browser, Charset, DisplayChars, Doctype, EmojiScheme, Generation, Handset, ImageFormat,
    ImageFormats, Markup, Model, Screen, ScreenSource,
};
pub use subscriber::{IdKind, IdRejection, SubscriberId, keyed_hash_hex};
pub use time::Date;

//! Post-by-mail and notification mail for ashiato. Pure: no sockets, no database, no clock,
//! no randomness of its own. The server crate builds `ashiato mail-ingest`, the LMTP
//! listener, storage and SMTP on top.
//!
//! Inbound, per message and recipient:
//! 1. [`parse_recipient`] the envelope recipient → [`Recipient`] (action + token), or
//!    [`AddressError`] → unknown recipient (exit 67 / `550 5.1.1`).
//! 2. The caller looks the member up by [`Token::digest`]; none → unknown recipient.
//! 3. [`parse_inbound`] the raw bytes under [`InboundLimits`] → [`Inbound`], or
//!    [`MailError`] (exit 65 / 5xx); then [`Inbound::apply_envelope_sender`].
//! 4. [`decide`] → [`Decision::Accept`] (post once per [`DedupKey`]), `Discard` (automated
//!    mail: answer delivered, post nothing) or `Refuse` with a [`Reply`].
//! 5. Any automatic answer only if [`should_auto_reply`].
//!
//! Outbound: [`compose_notification`] for a [`Notification`] and the recipient's
//! [`MailCarrier`] (charset, emoji and transfer encoding per [`MailCarrier::outbound`]).
//!
//! The address grammar, the dispositions table and the encoding choices are in the crate
//! README.

mod address;
mod bounce;
mod carrier;
mod error;
mod inbound;
mod outbound;
mod policy;
mod reply;
mod scan;
mod templates;

pub use address::{
    Action, AddressConfig, AddressError, JOIN_LOCAL, MailAddress, MemberAddresses, Recipient,
    TOKEN_BYTES, TOKEN_CHARS, Token, format_recipient, is_join_address, member_addresses,
    new_token, parse_mailbox, parse_recipient,
};
pub use bounce::{BounceReport, bounce_address, parse_bounce, parse_bounce_address};
pub use carrier::{
    CARRIER_DOMAINS, MailCarrier, OutboundEncoding, TransferEncoding, check_domain_list,
    classify_domain,
};
pub use error::MailError;
pub use inbound::{
    DedupKey, DedupSource, ExtraImages, Image, ImageKind, Inbound, InboundLimits, LoopFacts,
    Notice, parse_inbound,
};
pub use outbound::{
    EXCERPT_CHARS, NAME_CHARS, Notification, NotificationKind, RateLimit, compose_notification,
    notification_text,
};
pub use policy::{
    Accepted, Decision, DiscardReason, SenderPolicy, TITLE_FROM_BODY_CHARS, decide,
    should_auto_reply,
};
pub use reply::{Disposition, Reply};
pub use scan::MAX_CONTAINER_TOKENS;
pub use templates::Lang;

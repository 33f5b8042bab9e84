//! Mail's front doors in the binary: the LMTP listener ([`lmtp`]) that, like
//! `ashiato mail-ingest`, hands each message to `ashiato_app::inbound` (post by mail), and the
//! outbox worker ([`outbox`]) with its SMTP client ([`smtp`]). docs/mail.md has the design.

pub mod lmtp;
pub mod outbox;
pub mod smtp;

//! Post by mail and notification mail in the binary: delivery ([`ingest`]) shared by
//! `ashiato mail-ingest` and the LMTP listener ([`lmtp`]), and the outbox worker
//! ([`outbox`]) with its SMTP client ([`smtp`]). docs/mail.md has the design.

pub mod ingest;
pub mod lmtp;
pub mod outbox;
pub mod smtp;

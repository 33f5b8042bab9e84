//! ashiato's domain: the rules of a mixi-style social network, free of I/O.
//!
//! This crate knows members, invitations, friendships, scopes, diaries, footsteps and the
//! validation of everything a person types. It never touches a database, a clock, a socket or
//! a file: callers pass the current time in and persist what it returns. Storage lives in
//! `ashiato_store`, HTTP in `ashiato_web`.

pub mod account;
pub mod content;
pub mod error;
pub mod footstep;
pub mod id;
pub mod moderation;
pub mod password;
pub mod scope;
pub mod text;
pub mod time;

pub use error::{Invalid, Problem};
pub use id::*;
pub use scope::{Relation, Scope};
pub use time::Timestamp;

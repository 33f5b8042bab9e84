//! ashiato's storage: one diesel code path over SQLite (bundled) and PostgreSQL.
//!
//! [`db::Db::open`] picks the backend from the URL, migrates, and pools connections. Each area
//! of the SNS has a module of plain functions taking `&mut AnyConnection`; callers that change
//! several rows wrap them in [`db::write`], which takes SQLite's write lock up front.
//!
//! Functions here are synchronous: the web crate calls them on its blocking pool.

pub mod accounts;
pub mod admin;
pub mod announcements;
pub mod apps;
pub mod audit;
pub mod backup;
pub mod bindings;
mod blocking;
pub mod communities;
pub mod community_admin;
pub mod db;
pub mod diary;
pub mod drafts;
pub mod entry_page;
pub mod error;
pub mod export;
pub mod files;
pub mod footsteps;
pub mod friends;
pub mod mail;
pub mod members;
pub mod messages;
pub mod mutes;
pub mod photos;
pub mod relation;
pub mod reports;
pub mod schema;
pub mod sessions;
pub mod tokens;

pub use db::{AnyConnection, Backend, DatabaseUrl, Db, DbOptions, OpenError, write};
pub use error::StoreError;

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

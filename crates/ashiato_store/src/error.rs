//! Storage errors.
//!
//! Policy: query functions return [`StoreError`]. `NotFound` and `Rejected` are normal
//! outcomes the web layer turns into pages (404, a form message); `Unavailable` means the
//! database could not be reached or the pool was exhausted (a 503 "busy" page); `Database`
//! is anything else (a 500, logged once where it is handled).

use ashiato_core::Problem;

/// What went wrong in a storage call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or the caller may not know it exists).
    #[error("not found")]
    NotFound,
    /// The request broke a domain rule (duplicate e-mail, used invitation…); nothing was written.
    #[error("rejected: {0}")]
    Rejected(Problem),
    /// No connection could be had in time, or the database is down.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => StoreError::NotFound,
            ref full if is_disk_full(full) => StoreError::Unavailable(format!("disk full: {full}")),
            other => StoreError::Database(other),
        }
    }
}

/// Whether a write failed because the disk (or the volume holding the database) is full:
/// SQLite's `SQLITE_FULL`, PostgreSQL's `disk_full` (53100) "could not extend file … No space
/// left on device". Busy, not broken: the member gets the "try again later" page and nothing
/// stored is lost.
fn is_disk_full(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("database or disk is full")
                || m.contains("No space left on device")
                || m.contains("could not extend file")
        }
        _ => false,
    }
}

impl From<Problem> for StoreError {
    fn from(p: Problem) -> Self {
        StoreError::Rejected(p)
    }
}

/// Whether a diesel error is a unique-constraint violation (a race lost to another writer).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

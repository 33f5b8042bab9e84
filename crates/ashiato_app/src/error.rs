//! Errors of the service layer.
//!
//! Policy: a use case answers `Result<T, AppError>`. Refusals a member can meet (not found, not
//! allowed, a domain rule, too many requests) are plain variants a front door turns into a page
//! or a mail reply. Failures of the machinery (the database, the disk, a worker thread) keep
//! their source error and the place in our code where they were met: `From<StoreError>` and
//! the constructors are `#[track_caller]`, so a `?` records its own line. The web crate logs
//! both once, inside the request's span, so a failed query's log line names the page it served.

use std::panic::Location;

use ashiato_core::Problem;
use ashiato_store::StoreError;

/// The source of a machinery failure.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such thing, or one the member may not know exists.
    #[error("not found")]
    NotFound,
    /// Not allowed (not the owner, a crawler logging in).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A domain rule refused the request; front doors usually show it in the form.
    #[error("rejected: {0}")]
    Rejected(Problem),
    /// Too many requests from this member or address.
    #[error("too many requests")]
    TooMany,
    /// The database (or the disk) is down or busy: try again later.
    #[error("unavailable at {at}: {source}")]
    Unavailable {
        /// What failed.
        source: Cause,
        /// Where in our code it was met.
        at: &'static Location<'static>,
    },
    /// Anything else that should not happen.
    #[error("internal error at {at}: {source}")]
    Internal {
        /// What failed.
        source: Cause,
        /// Where in our code it was met.
        at: &'static Location<'static>,
    },
}

impl AppError {
    /// An internal failure met at the caller's line.
    #[track_caller]
    pub fn internal(source: impl Into<Cause>) -> AppError {
        AppError::Internal { source: source.into(), at: Location::caller() }
    }

    /// A busy or missing resource met at the caller's line.
    #[track_caller]
    pub fn unavailable(source: impl Into<Cause>) -> AppError {
        AppError::Unavailable { source: source.into(), at: Location::caller() }
    }

    /// A storage error met at `at`.
    pub fn from_store(e: StoreError, at: &'static Location<'static>) -> AppError {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Rejected(p) => AppError::Rejected(p),
            StoreError::Unavailable(why) => AppError::Unavailable { source: why.into(), at },
            StoreError::Database(e) => AppError::Internal { source: Box::new(e), at },
        }
    }

    /// Where a machinery failure was met (none for refusals).
    pub fn location(&self) -> Option<&'static Location<'static>> {
        match self {
            AppError::Unavailable { at, .. } | AppError::Internal { at, .. } => Some(at),
            _ => None,
        }
    }
}

impl From<StoreError> for AppError {
    #[track_caller]
    fn from(e: StoreError) -> Self {
        AppError::from_store(e, Location::caller())
    }
}

/// Results of use cases.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn fails() -> AppResult<()> {
        Err(StoreError::Unavailable("pool timed out".into()))?;
        Ok(())
    }

    #[test]
    fn a_question_mark_records_its_own_line() {
        let e = fails().expect_err("fails");
        let at = e.location().expect("a machinery failure has a place");
        assert!(at.file().ends_with("error.rs"), "{at}");
        assert!(e.to_string().contains("pool timed out"), "{e}");
        assert!(e.to_string().contains(&format!("error.rs:{}", at.line())), "{e}");
        assert!(AppError::NotFound.location().is_none());
    }
}

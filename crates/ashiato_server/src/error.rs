//! Why a command failed: one error type for every subcommand, printed as one line.

use ashiato_app::config::ConfigError;
use ashiato_app::secret::SecretError;
use ashiato_store::{OpenError, StoreError};

/// Why a command failed. Each prints as one line without secrets.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// Bad configuration.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The data directory cannot be used.
    #[error("the data directory {path} is not usable: {reason}")]
    DataDir {
        /// Path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The secret key file cannot be used.
    #[error("{0}")]
    Secret(#[from] SecretError),
    /// The database cannot be opened.
    #[error("{0}")]
    Open(#[from] OpenError),
    /// A storage call failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The gateway list or trusted proxies in the configuration are not usable.
    #[error("{0}")]
    Trust(String),
    /// An input file is not what it should be (a broken image).
    #[error("{0}")]
    Data(String),
    /// Input given on the command line is not valid.
    #[error("{0}")]
    Usage(String),
    /// The listening socket or server failed.
    #[error("{0}")]
    Io(String),
    /// A mail delivery was refused or deferred: the reply line and its sysexits code.
    #[error("{0}")]
    Mail(ashiato_mail::Reply),
}

impl OpsError {
    /// Process exit status, following sysexits(3) where one fits.
    pub fn exit_code(&self) -> u8 {
        match self {
            OpsError::Usage(_) => 64,                             // EX_USAGE
            OpsError::Data(_) => 65,                              // EX_DATAERR
            OpsError::Config(_) | OpsError::Trust(_) => 78,       // EX_CONFIG
            OpsError::Open(_) | OpsError::Store(_) => 69,         // EX_UNAVAILABLE
            OpsError::DataDir { .. } | OpsError::Secret(_) => 73, // EX_CANTCREAT
            OpsError::Io(_) => 74,                                // EX_IOERR
            OpsError::Mail(reply) => reply.exit_code(),
        }
    }
}

//! ashiato's service layer: one home for every use case.
//!
//! It sits between the I/O crates below (store, image, mail, opensocial) and the front doors
//! above (the actix web crate; mail ingest, the outbox worker and the CLI in the binary). It
//! knows no HTTP: a front door extracts what the member sent, calls one use case, and shows
//! the result in its own form (a page, an SMTP reply, a line on stderr).
//!
//! - [`App`]: what every use case shares (database, configuration, secret, workers),
//!   [`App::run`], which runs storage work on the blocking pool, and [`App::write`], which
//!   runs it as one transaction.
//! - configuration and secrets: [`config`], [`secret`], [`trust`], [`limits`].
//! - background machinery: [`footsteps`] (the batched writer), [`photos`] (the image
//!   pipeline and the file store), [`mail`] (notification mails into the outbox), [`apps`]
//!   (the OpenSocial container: registry, installs, lifecycle worker, outbound client,
//!   Social API).
//! - use cases, one module per area: [`accounts`] (sign-up, login, settings, easy login,
//!   profile photo, mail settings), [`diary`], [`friends`] (profiles, requests, blocks,
//!   introductions), [`messages`], [`communities`], [`home`], [`footsteps`] (the footsteps
//!   page), [`photos`] (who may see a photo), [`inbound`] (post by mail), [`recovery`]
//!   (password reset, address confirmation), [`drafts`] (forms sent after the session
//!   expired).
//!
//! Rule: a multi-table write is written once, here, as one transaction ([`App::write`] or
//! [`ashiato_store::write`] inside [`App::run`]); front doors never open one themselves.
//! - [`error`]: [`AppError`], which keeps the cause and the line where it was met.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use ashiato_core::Timestamp;
use ashiato_store::{AnyConnection, Db, StoreError};

pub mod accounts;
pub mod apps;
pub mod communities;
pub mod community_admin;
pub mod config;
pub mod diary;
pub mod drafts;
pub mod error;
pub mod export;
pub mod footsteps;
pub mod friends;
pub mod home;
pub mod inbound;
pub mod limits;
pub mod mail;
pub mod messages;
pub mod metrics;
pub mod moderation;
pub mod photos;
pub mod recovery;
pub mod removal;
pub mod reports;
pub mod secret;
pub mod trust;

pub use config::Config;
pub use error::{AppError, AppResult};
pub use secret::Secret;

/// What every use case shares: the database, settings, the server secret and the workers.
/// Cheap to clone (every field is shared).
#[derive(Clone, Debug)]
pub struct App {
    /// The database.
    pub db: Db,
    /// Settings.
    pub config: Arc<Config>,
    /// Host names requests must carry (lower case).
    pub allowed_hosts: Arc<Vec<String>>,
    /// Server secret for HMACs.
    pub secret: Secret,
    /// Carrier gateway ranges and trusted proxies.
    pub trust: Arc<ashiato_handset::Trust>,
    /// The batched footstep writer.
    pub footsteps: footsteps::Recorder,
    /// Photo uploads and variants.
    pub photos: photos::Photos,
    /// Failed logins per account (the slowdown).
    pub login_failures: limits::Limiter,
    /// Failed logins per source address outside carrier gateways.
    pub login_sources: limits::Limiter,
    /// Social API calls per app.
    pub api_calls: limits::Limiter,
    /// The app lifecycle-event worker.
    pub lifecycle: apps::lifecycle::Lifecycle,
    /// The container's RSA key pair (RSA-SHA1 apps).
    pub container_keys: apps::keys::ContainerKeys,
    /// Counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
}

impl App {
    /// Builds the service from an opened database and starts its workers (footstep writer,
    /// lifecycle events). Fails (one line) when the gateway list or the trusted proxies in the
    /// configuration cannot be read.
    pub fn new(db: Db, config: Config, secret: Secret) -> Result<App, String> {
        let allowed_hosts = Arc::new(config.allowed_hosts());
        let trust = Arc::new(trust::load_trust(&config.gateways_file, &config.trusted_proxies)?);
        let footsteps = footsteps::Recorder::start(db.clone(), config.footstep_days);
        let photos = photos::Photos::new(&config);
        let container_keys = apps::keys::ContainerKeys::default();
        let lifecycle = apps::lifecycle::Lifecycle::start(
            db.clone(),
            config.app_allow_private_hosts.clone(),
            container_keys.clone(),
        );
        Ok(App {
            db,
            config: Arc::new(config),
            allowed_hosts,
            secret,
            trust,
            footsteps,
            photos,
            login_failures: limits::Limiter::default(),
            login_sources: limits::Limiter::default(),
            api_calls: limits::Limiter::default(),
            lifecycle,
            container_keys,
            metrics: Arc::default(),
        })
    }

    /// Runs storage work on the blocking pool with a pooled connection, inside the caller's
    /// tracing span (so its log lines name the request). A failure records the caller's line.
    #[track_caller]
    pub fn run<T, F>(&self, f: F) -> impl Future<Output = AppResult<T>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
    {
        on_blocking_pool(self.db.clone(), tracing::Span::current(), f, Location::caller())
    }

    /// Runs read-only storage work, like [`App::run`] but cheaper for the pages every member
    /// reads all day.
    ///
    /// On PostgreSQL the work goes to the blocking pool: each statement waits on the network,
    /// and the HTTP worker serves other requests meanwhile. On SQLite a statement is a few
    /// microseconds of CPU in this process, less than handing the work to another thread and
    /// back (those context switches were a quarter of a diary page's CPU, issue 17), so the
    /// work runs right here when a connection is free at once, and on the blocking pool
    /// otherwise (a wait for the pool must not stall the HTTP worker). WAL readers never wait
    /// for SQLite's writer, which is why `f` must only read: a write could wait for the lock
    /// with every request of this HTTP worker behind it. The statements share one snapshot
    /// ([`ashiato_store::db::read`]).
    #[track_caller]
    pub fn read<T, F>(&self, f: F) -> impl Future<Output = AppResult<T>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let at = Location::caller();
        let db = self.db.clone();
        let span = tracing::Span::current();
        let f = move |c: &mut AnyConnection| ashiato_store::db::read(c, f);
        async move {
            let inline = match db.backend() {
                ashiato_store::Backend::Sqlite => db.try_conn(),
                ashiato_store::Backend::Postgres => None,
            };
            match inline {
                Some(mut conn) => {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || f(&mut conn)))
                        .map_err(|_| AppError::Internal {
                            source: "storage work panicked".into(),
                            at,
                        })?
                        .map_err(|e| AppError::from_store(e, at))
                }
                None => on_blocking_pool(db, span, f, at).await,
            }
        }
    }

    /// Runs a transaction ([`ashiato_store::write`]) on the blocking pool: every row it writes
    /// commits together or not at all.
    #[track_caller]
    pub fn write<T, F>(&self, f: F) -> impl Future<Output = AppResult<T>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
    {
        self.run(move |c| ashiato_store::write(c, f))
    }
}

/// The current time.
pub fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp(ms)
}

/// `f` with a pooled connection on tokio's blocking pool, inside `span`.
async fn on_blocking_pool<T, F>(
    db: Db,
    span: tracing::Span,
    f: F,
    at: &'static Location<'static>,
) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut conn = db.conn()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal { source: Box::new(e), at })?
    .map_err(|e| AppError::from_store(e, at))
}

//! What every request handler shares: the database, configuration, secret and clock.

use std::sync::Arc;

use actix_web::web;
use ashiato_core::Timestamp;
use ashiato_store::{AnyConnection, Db, StoreError};

use crate::config::Config;
use crate::error::WebError;
use crate::secret::Secret;

/// Shared application state.
#[derive(Clone, Debug)]
pub struct AppState {
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
    pub footsteps: crate::footsteps::Recorder,
    /// Photo uploads and variants.
    pub photos: crate::photos::Photos,
    /// Failed logins per account.
    pub login_failures: crate::limits::Limiter,
    /// Social API calls per app.
    pub api_calls: crate::limits::Limiter,
    /// The app lifecycle-event worker.
    pub lifecycle: crate::apps::lifecycle::Lifecycle,
    /// The container's RSA key pair (RSA-SHA1 apps).
    pub container_keys: crate::apps::keys::ContainerKeys,
}

impl AppState {
    /// Builds the state from an opened database. Fails (one line) when the gateway list or the
    /// trusted proxies in the configuration cannot be read.
    pub fn new(db: Db, config: Config, secret: Secret) -> Result<AppState, String> {
        let allowed_hosts = Arc::new(config.allowed_hosts());
        let trust =
            Arc::new(crate::handset::load_trust(&config.gateways_file, &config.trusted_proxies)?);
        let footsteps = crate::footsteps::Recorder::start(db.clone(), config.footstep_days);
        let photos = crate::photos::Photos::new(&config);
        let container_keys = crate::apps::keys::ContainerKeys::default();
        let lifecycle = crate::apps::lifecycle::Lifecycle::start(
            db.clone(),
            config.app_allow_private_hosts.clone(),
            container_keys.clone(),
        );
        Ok(AppState {
            db,
            config: Arc::new(config),
            allowed_hosts,
            secret,
            trust,
            footsteps,
            photos,
            login_failures: crate::limits::Limiter::default(),
            api_calls: crate::limits::Limiter::default(),
            lifecycle,
            container_keys,
        })
    }

    /// Runs storage work on the blocking pool with a pooled connection.
    pub async fn run<T, F>(&self, f: F) -> Result<T, WebError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        web::block(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| WebError::Internal(format!("blocking task failed: {e}")))?
        .map_err(WebError::from)
    }
}

/// The current time.
pub fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp(ms)
}

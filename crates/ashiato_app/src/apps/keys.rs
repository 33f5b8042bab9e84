//! The container's RSA key pair: made on first use, stored in the database so every process
//! signs with the same key, cached in memory, its public half served (by the web crate) at
//! `/social/container.pem` for apps that verify RSA-SHA1.

use std::sync::{Arc, Mutex};

use ashiato_opensocial::oauth::{self, ContainerKey};
use ashiato_store::{Db, apps};

use crate::now;

/// The stored key's name.
const KEY_NAME: &str = "default";

/// The key pair, loaded (or made) once per process.
#[derive(Clone, Debug, Default)]
pub struct ContainerKeys {
    cached: Arc<Mutex<Option<Arc<ContainerKey>>>>,
}

impl ContainerKeys {
    /// The key pair. Blocking: reads the database, and the first time ever generates a 2048-bit
    /// key. Call it on the blocking pool.
    ///
    /// # Errors
    /// A message when the database or the random source fails, or the stored key is damaged.
    pub fn get(&self, db: &Db) -> Result<Arc<ContainerKey>, String> {
        let mut cached = self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(k) = cached.as_ref() {
            return Ok(Arc::clone(k));
        }
        let mut conn = db.conn().map_err(|e| e.to_string())?;
        let pem = match apps::container_key(&mut conn, KEY_NAME).map_err(|e| e.to_string())? {
            Some((private, _)) => private,
            None => {
                let made = ContainerKey::generate()?;
                tracing::info!("container RSA key pair generated");
                apps::save_container_key(
                    &mut conn,
                    KEY_NAME,
                    made.private_pem(),
                    made.public_pem(),
                    now(),
                )
                .map_err(|e| e.to_string())?
                .0
            }
        };
        let key = Arc::new(ContainerKey::from_pkcs8_pem(&pem)?);
        *cached = Some(Arc::clone(&key));
        Ok(key)
    }
}

impl ContainerKeys {
    /// The key `app` signs with: the container's RSA key when the app verifies RSA-SHA1 (read
    /// or made on the blocking pool), none for HMAC-SHA1.
    ///
    /// # Errors
    /// As [`ContainerKeys::get`].
    pub async fn for_app(
        &self,
        db: &Db,
        app: &apps::App,
    ) -> Result<Option<Arc<ContainerKey>>, String> {
        if app.signature_method != "RSA-SHA1" {
            return Ok(None);
        }
        let (keys, db) = (self.clone(), db.clone());
        tokio::task::spawn_blocking(move || keys.get(&db))
            .await
            .map_err(|e| e.to_string())?
            .map(Some)
    }
}

/// The OAuth consumer `app` signs requests as, with the key [`ContainerKeys::for_app`] gave.
pub fn consumer<'a>(app: &'a apps::App, rsa: Option<&'a ContainerKey>) -> oauth::Consumer<'a> {
    oauth::Consumer {
        key: &app.consumer_key,
        secret: &app.consumer_secret,
        rsa: rsa.map(|k| k as &dyn oauth::RsaSha1Signer),
    }
}

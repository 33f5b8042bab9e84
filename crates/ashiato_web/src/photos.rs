//! Photos on the web side: uploads through the image pipeline into the file store, and the
//! per-handset variants served at `/img/{photo}/{variant}`.
//!
//! Decoding and resizing are CPU work: they run on the blocking pool, at most one per core at a
//! time (a semaphore), so a burst of uploads cannot starve page rendering. Variants are made on
//! first request and cached on disk; concurrent requests for the same variant wait for the one
//! that computes it (single flight) instead of computing it again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::web;
use ashiato_core::time::HOUR_MS;
use ashiato_core::{MemberId, Timestamp};
use ashiato_image::{Limits, Variant};
use ashiato_store::files::FileStore;
use ashiato_store::photos::{self, NewPhoto, Photo};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::WebError;
use crate::state::AppState;

/// Why an upload was refused; each has a catalog message (`photo.<code>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadProblem {
    /// Not a JPEG, PNG or GIF, or damaged.
    NotAnImage,
    /// Bigger than the byte or pixel limit.
    TooBig,
    /// The member's photo quota is used up.
    Quota,
    /// Too many uploads in the last hour.
    Rate,
}

impl UploadProblem {
    /// Catalog key of the message.
    pub fn message_key(&self) -> &'static str {
        match self {
            UploadProblem::NotAnImage => "photo.not_an_image",
            UploadProblem::TooBig => "photo.too_big",
            UploadProblem::Quota => "photo.quota",
            UploadProblem::Rate => "photo.rate",
        }
    }
}

/// The photo service.
#[derive(Clone)]
pub struct Photos {
    files: FileStore,
    limits: Limits,
    cpu: Arc<Semaphore>,
    inflight: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    quota_count: i64,
    quota_bytes: i64,
    per_hour: i64,
}

impl std::fmt::Debug for Photos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Photos").finish_non_exhaustive()
    }
}

impl Photos {
    /// The service for a configuration.
    pub fn new(config: &Config) -> Photos {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Photos {
            files: FileStore::new(&config.data_dir),
            limits: Limits {
                max_bytes: config.photo_max_bytes,
                max_pixels: config.photo_max_pixels,
                ..Limits::default()
            },
            cpu: Arc::new(Semaphore::new(cores)),
            inflight: Arc::new(Mutex::new(HashMap::new())),
            quota_count: config.photo_quota_count,
            quota_bytes: config.photo_quota_bytes,
            per_hour: config.photo_uploads_per_hour,
        }
    }

    /// The file store.
    pub fn files(&self) -> &FileStore {
        &self.files
    }

    /// Runs the pipeline on an upload and stores the sanitised master; returns the photo id.
    /// The original bytes are not kept. Quota and rate are checked first, cheaply.
    pub async fn store_upload(
        &self,
        state: &AppState,
        owner: MemberId,
        bytes: Vec<u8>,
        now: Timestamp,
    ) -> Result<Result<i64, UploadProblem>, WebError> {
        let (count, used, recent) = state
            .run(move |c| {
                let (count, used) = photos::usage(c, owner)?;
                Ok((count, used, photos::uploads_since(c, owner, Timestamp(now.0 - HOUR_MS))?))
            })
            .await?;
        if recent >= self.per_hour {
            return Ok(Err(UploadProblem::Rate));
        }
        if count >= self.quota_count
            || used.saturating_add(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
                > self.quota_bytes
        {
            return Ok(Err(UploadProblem::Quota));
        }
        let permit = self
            .cpu
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?;
        let limits = self.limits;
        let master = web::block(move || {
            let _permit = permit;
            ashiato_image::ingest(&bytes, &limits)
        })
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
        let master = match master {
            Ok(m) => m,
            Err(e) if e.is_limit() => return Ok(Err(UploadProblem::TooBig)),
            Err(e) => {
                tracing::info!(photo.refused = %e, "upload refused");
                return Ok(Err(UploadProblem::NotAnImage));
            }
        };
        Ok(Ok(self.save_master(state, owner, master, now).await?))
    }

    /// Writes a master file, then its row. If the row cannot be written, a file this call
    /// created is removed again, so nothing is left half-stored.
    pub async fn save_master(
        &self,
        state: &AppState,
        owner: MemberId,
        master: ashiato_image::Master,
        now: Timestamp,
    ) -> Result<i64, WebError> {
        let files = self.files.clone();
        let ext = master.format.extension();
        let sha = master.sha256_hex.clone();
        let size = master.bytes.len();
        let bytes = master.bytes;
        let created = web::block({
            let sha = sha.clone();
            move || files.put_master(&sha, ext, &bytes)
        })
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
        let format = match master.format {
            ashiato_image::Format::Jpeg => "jpeg",
            ashiato_image::Format::Png => "png",
            ashiato_image::Format::Gif => "gif",
        };
        let (width, height, frames) = (master.width, master.height, master.frames);
        let sha_row = sha.clone();
        let inserted = state
            .run(move |c| {
                photos::insert(
                    c,
                    &NewPhoto {
                        owner,
                        sha256: &sha_row,
                        format,
                        width,
                        height,
                        frames,
                        byte_size: size,
                    },
                    now,
                )
            })
            .await;
        if inserted.is_err() && created {
            self.files.remove_master(&sha, ext);
        }
        inserted
    }

    /// The bytes of a variant of a photo, made and cached on first request.
    pub async fn variant(
        &self,
        photo: &Photo,
        variant: Variant,
    ) -> Result<(Vec<u8>, &'static str), WebError> {
        let master_format = ashiato_image::Format::from_name(&photo.format)
            .ok_or_else(|| WebError::Internal("unknown stored format".into()))?;
        let master_path = self.files.master_path(&photo.sha256, master_format.extension());
        let key = format!("{}-{variant}", photo.sha256);
        // A cached variant is served without touching the master.
        for format in
            [ashiato_image::Format::Jpeg, ashiato_image::Format::Gif, ashiato_image::Format::Png]
        {
            if let Ok(bytes) = std::fs::read(self.files.variant_path(
                &photo.sha256,
                &variant.to_string(),
                format.extension(),
            )) {
                return Ok((bytes, format.mime_type()));
            }
        }
        // The output format depends on the master (a transparent PNG stays PNG where allowed).
        let header_bytes = web::block({
            let p = master_path.clone();
            move || std::fs::read(p)
        })
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(|e| WebError::Unavailable(format!("photo master missing: {e}")))?;
        let header =
            ashiato_image::sniff(&header_bytes).map_err(|e| WebError::Internal(e.to_string()))?;
        let out = variant.output_format(&header);
        let cache = self.files.variant_path(&photo.sha256, &variant.to_string(), out.extension());
        let lock = {
            let mut map = self.inflight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(key.clone()).or_default().clone()
        };
        let _guard = lock.lock().await;
        // Someone else may have made it while this request waited.
        let result = if let Ok(bytes) = std::fs::read(&cache) {
            Ok((bytes, out.mime_type()))
        } else {
            let permit = self
                .cpu
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| WebError::Internal(e.to_string()))?;
            let files = self.files.clone();
            let (sha, name, ext) = (photo.sha256.clone(), variant.to_string(), out.extension());
            web::block(move || {
                let _permit = permit;
                let bytes = ashiato_image::make_variant(&header_bytes, &variant)
                    .map_err(|e| e.to_string())?;
                // A cache that cannot be written still serves this request.
                let _ = files.put_variant(&sha, &name, ext, &bytes);
                Ok::<_, String>(bytes)
            })
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?
            .map(|b| (b, out.mime_type()))
            .map_err(WebError::Internal)
        };
        self.inflight.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&key);
        result
    }
}

//! Photos: uploads through the image pipeline into the file store, and the
//! per-handset variants served at `/img/{photo}/{variant}`.
//!
//! Decoding and resizing are CPU work: they run on the blocking pool, at most one per core at a
//! time (a semaphore), so a burst of uploads cannot starve page rendering. Variants are made on
//! first request and cached on disk; concurrent requests for the same variant wait for the one
//! that computes it (single flight) instead of computing it again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ashiato_core::time::HOUR_MS;
use ashiato_core::{MemberId, PhotoId, Timestamp};
use ashiato_image::{Limits, Variant};
use ashiato_store::files::{FileError, FileStore};
use ashiato_store::photos::{self, NewPhoto, Photo};
use ashiato_store::{AnyConnection, Db, StoreError};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::{AppError, AppResult};

/// A stored photo and what shows it, as `/img` needs them to decide who may see it.
pub async fn with_owner(app: &crate::App, id: PhotoId) -> AppResult<(Photo, photos::Owner)> {
    app.run(move |c| Ok((photos::find(c, id)?, photos::owner_of(c, id)?))).await
}

/// Whether `viewer` may see a photo: exactly the rules of what shows it (a diary entry's scope,
/// a profile unless in a block, a community's image to every member, an unattached upload to
/// its owner alone). Anonymous visitors see none.
pub async fn visible_to(
    app: &crate::App,
    viewer: Option<MemberId>,
    photo: &Photo,
    owner: photos::Owner,
) -> AppResult<bool> {
    use ashiato_core::Relation;
    use ashiato_store::{diary, relation};
    let Some(viewer) = viewer else { return Ok(false) };
    Ok(match owner {
        photos::Owner::Diary(entry) => {
            app.run(move |c| {
                let e = diary::find_entry(c, entry)?;
                Ok(e.scope.allows(relation::relation(c, Some(viewer), e.author)?))
            })
            .await?
        }
        photos::Owner::Profile(member) => {
            app.run(move |c| relation::relation(c, Some(viewer), member)).await?
                != Relation::Blocked
        }
        photos::Owner::Community(_) => true,
        photos::Owner::Unattached => photo.owner == viewer,
    })
}

/// Stores an upload from `owner` and shows it in one slot (`show` sets it inside a
/// transaction and answers the photos it replaced); the replaced photos' files leave the disk
/// once nothing else shows them. A refused upload (not an image, too big, over the quota)
/// stores nothing and comes back as its problem.
pub async fn upload_into<F>(
    app: &crate::App,
    owner: MemberId,
    bytes: Vec<u8>,
    show: F,
) -> AppResult<Result<(), UploadProblem>>
where
    F: FnOnce(&mut AnyConnection, PhotoId) -> Result<Vec<photos::Freed>, StoreError>
        + Send
        + 'static,
{
    let id = match app.photos.store_upload(&app.db, owner, bytes, crate::now()).await? {
        Ok(id) => id,
        Err(problem) => return Ok(Err(problem)),
    };
    let files = app.photos.files().clone();
    app.run(move |c| {
        let replaced = ashiato_store::write(c, |c| show(c, id))?;
        photos::remove_unreferenced_files(c, &files, &replaced);
        Ok(Ok(()))
    })
    .await
}

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

/// A sanitised master written to the file store, its row not yet inserted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedPhoto {
    /// SHA-256 of the master (its file name).
    pub sha256: String,
    /// File extension.
    pub ext: &'static str,
    /// `jpeg`, `png` or `gif`.
    pub format: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames.
    pub frames: u32,
    /// Master size in bytes.
    pub byte_size: usize,
    /// Whether this preparation created the file (only then may a failure remove it).
    pub created: bool,
}

/// One variant being made: the first request makes it, the others wait for the same bytes.
type Flight = tokio::sync::OnceCell<Result<Vec<u8>, String>>;

/// The photo service.
#[derive(Clone)]
pub struct Photos {
    files: FileStore,
    limits: Limits,
    cpu: Arc<Semaphore>,
    inflight: Arc<Mutex<HashMap<String, Arc<Flight>>>>,
    builds: Arc<std::sync::atomic::AtomicU64>,
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
            builds: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            quota_count: config.photo_quota_count,
            quota_bytes: config.photo_quota_bytes,
            per_hour: config.photo_uploads_per_hour,
        }
    }

    /// Variants made since start (cache misses that ran the image pipeline), for `/metrics`.
    pub fn variant_builds(&self) -> u64 {
        self.builds.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The file store.
    pub fn files(&self) -> &FileStore {
        &self.files
    }

    /// Whether `owner` may store `count` more photos of `bytes` bytes in all at `now`: the
    /// upload rate per hour and the quota (count and bytes). Cheap; run it before decoding.
    pub fn check_allowance(
        &self,
        conn: &mut AnyConnection,
        owner: MemberId,
        count: usize,
        bytes: usize,
        now: Timestamp,
    ) -> Result<Option<UploadProblem>, StoreError> {
        let (have, used) = photos::usage(conn, owner)?;
        let recent = photos::uploads_since(conn, owner, Timestamp(now.0 - HOUR_MS))?;
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        if recent.saturating_add(count) > self.per_hour {
            return Ok(Some(UploadProblem::Rate));
        }
        if have.saturating_add(count) > self.quota_count
            || used.saturating_add(i64::try_from(bytes).unwrap_or(i64::MAX)) > self.quota_bytes
        {
            return Ok(Some(UploadProblem::Quota));
        }
        Ok(None)
    }

    /// Runs the image pipeline on untrusted bytes and writes the sanitised master file
    /// (atomically, content-addressed). No row is written: insert it with
    /// [`Photos::insert_prepared`] inside the caller's transaction, and call
    /// [`Photos::discard_blocking`] if that transaction fails. Blocking (CPU and disk).
    pub fn prepare_blocking(
        &self,
        bytes: &[u8],
    ) -> Result<Result<PreparedPhoto, UploadProblem>, FileError> {
        let master = match ashiato_image::ingest(bytes, &self.limits) {
            Ok(m) => m,
            Err(e) if e.is_limit() => return Ok(Err(UploadProblem::TooBig)),
            Err(e) => {
                tracing::info!(photo.refused = %e, "upload refused");
                return Ok(Err(UploadProblem::NotAnImage));
            }
        };
        let ext = master.format.extension();
        let created = self.files.put_master(&master.sha256_hex, ext, &master.bytes)?;
        let format = match master.format {
            ashiato_image::Format::Jpeg => "jpeg",
            ashiato_image::Format::Png => "png",
            ashiato_image::Format::Gif => "gif",
        };
        Ok(Ok(PreparedPhoto {
            sha256: master.sha256_hex,
            ext,
            format,
            width: master.width,
            height: master.height,
            frames: master.frames,
            byte_size: master.bytes.len(),
            created,
        }))
    }

    /// Inserts the row of a prepared photo; returns its id. Call inside [`ashiato_store::write`].
    pub fn insert_prepared(
        conn: &mut AnyConnection,
        owner: MemberId,
        p: &PreparedPhoto,
        now: Timestamp,
    ) -> Result<PhotoId, StoreError> {
        photos::insert(
            conn,
            &NewPhoto {
                owner,
                sha256: &p.sha256,
                format: p.format,
                width: p.width,
                height: p.height,
                frames: p.frames,
                byte_size: p.byte_size,
            },
            now,
        )
    }

    /// After a failed transaction: removes the master files these preparations created,
    /// unless a row (committed by someone else meanwhile) refers to the same file. Files
    /// that existed before are never touched. Blocking.
    pub fn discard_blocking(&self, db: &Db, prepared: &[PreparedPhoto]) {
        for p in prepared.iter().filter(|p| p.created) {
            let referenced = db
                .conn()
                .and_then(|mut c| photos::is_referenced(&mut c, &p.sha256))
                // If the database cannot say, keep the file: an orphan is harmless, a missing
                // master is not.
                .unwrap_or(true);
            if !referenced {
                self.files.remove_master(&p.sha256, p.ext);
            }
        }
    }

    /// The whole upload, synchronously: allowance, pipeline, master file and row (in its own
    /// transaction; a newly created file is removed again if the row fails). Returns the
    /// photo id, or why the upload was refused. Used by the async [`Photos::store_upload`]
    /// (on the blocking pool) and by callers outside an async runtime.
    pub fn ingest_and_store_blocking(
        &self,
        db: &Db,
        owner: MemberId,
        bytes: &[u8],
        now: Timestamp,
    ) -> AppResult<Result<PhotoId, UploadProblem>> {
        {
            let mut conn = db.conn()?;
            if let Some(problem) = self.check_allowance(&mut conn, owner, 1, bytes.len(), now)? {
                return Ok(Err(problem));
            }
        }
        let prepared = match self.prepare_blocking(bytes).map_err(AppError::unavailable)? {
            Ok(p) => p,
            Err(problem) => return Ok(Err(problem)),
        };
        let inserted = db.conn().and_then(|mut c| {
            ashiato_store::write(&mut c, |c| Photos::insert_prepared(c, owner, &prepared, now))
        });
        match inserted {
            Ok(id) => Ok(Ok(id)),
            Err(e) => {
                self.discard_blocking(db, std::slice::from_ref(&prepared));
                Err(e.into())
            }
        }
    }

    /// Runs the pipeline on an upload and stores the sanitised master; returns the photo id.
    /// The original bytes are not kept. Quota and rate are checked first, cheaply. At most
    /// one pipeline per core runs at a time.
    pub async fn store_upload(
        &self,
        db: &Db,
        owner: MemberId,
        bytes: Vec<u8>,
        now: Timestamp,
    ) -> AppResult<Result<PhotoId, UploadProblem>> {
        let permit = self.cpu.clone().acquire_owned().await.map_err(AppError::internal)?;
        let (this, db) = (self.clone(), db.clone());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            this.ingest_and_store_blocking(&db, owner, &bytes, now)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// The bytes of a variant of a photo, made and cached on first request.
    pub async fn variant(
        &self,
        photo: &Photo,
        variant: Variant,
    ) -> AppResult<(Vec<u8>, &'static str)> {
        let master_format = ashiato_image::Format::from_name(&photo.format)
            .ok_or_else(|| AppError::internal("unknown stored format"))?;
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
        let header_bytes = tokio::task::spawn_blocking({
            let p = master_path.clone();
            move || std::fs::read(p)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::unavailable(format!("photo master missing: {e}")))?;
        let header = ashiato_image::sniff(&header_bytes).map_err(AppError::internal)?;
        let out = variant.output_format(&header);
        let cache = self.files.variant_path(&photo.sha256, &variant.to_string(), out.extension());
        // Single flight: concurrent requests for one variant share one build and its bytes,
        // even when the cache cannot be written (a full or broken disk): no herd of builds
        // for one picture (security.md R-08). Builds of different variants queue for a core.
        let flight = {
            let mut map = self.inflight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(map.entry(key.clone()).or_default())
        };
        let made = flight
            .get_or_init(|| async {
                // Someone else may have made it while this request looked.
                if let Ok(bytes) = std::fs::read(&cache) {
                    return Ok(bytes);
                }
                let permit = self.cpu.clone().acquire_owned().await.map_err(|e| e.to_string())?;
                let files = self.files.clone();
                let builds = Arc::clone(&self.builds);
                let (sha, name, ext) = (photo.sha256.clone(), variant.to_string(), out.extension());
                tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    builds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let bytes = ashiato_image::make_variant(&header_bytes, &variant)
                        .map_err(|e| e.to_string())?;
                    // A cache that cannot be written still serves this request.
                    let _ = files.put_variant(&sha, &name, ext, &bytes);
                    Ok::<_, String>(bytes)
                })
                .await
                .map_err(|e| e.to_string())?
            })
            .await
            .clone();
        {
            // The flight is over: the next request reads the cache (or builds again).
            let mut map = self.inflight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if map.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                map.remove(&key);
            }
        }
        made.map(|bytes| (bytes, out.mime_type())).map_err(AppError::internal)
    }
}

//! Content-addressed files under the data directory: photo masters and their cached variants.
//!
//! A master lives at `photos/<aa>/<sha256>.<ext>`, named by the SHA-256 of its bytes, so the
//! same image stored twice is one file. Files are written to a temporary name, synced and
//! renamed, so a crash leaves either the whole file or none. Variants are a cache under
//! `variants/`: deleting that directory only costs the time to make them again.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file store rooted at a data directory.
#[derive(Clone, Debug)]
pub struct FileStore {
    root: PathBuf,
}

/// What a filesystem call could not do.
#[derive(Debug, thiserror::Error)]
#[error("file store: {0}")]
pub struct FileError(String);

impl FileStore {
    /// The store under `data_dir`.
    pub fn new(data_dir: &Path) -> FileStore {
        FileStore { root: data_dir.to_owned() }
    }

    fn shard(kind: &str, sha256: &str) -> PathBuf {
        Path::new(kind).join(sha256.get(..2).unwrap_or("00"))
    }

    /// Where the master with this hash and extension lives.
    pub fn master_path(&self, sha256: &str, ext: &str) -> PathBuf {
        self.root.join(Self::shard("photos", sha256)).join(format!("{sha256}.{ext}"))
    }

    /// Where a cached variant lives.
    pub fn variant_path(&self, sha256: &str, variant: &str, ext: &str) -> PathBuf {
        self.root.join(Self::shard("variants", sha256)).join(format!("{sha256}-{variant}.{ext}"))
    }

    /// Writes a master unless it exists; returns whether this call created it (so a caller
    /// whose transaction then fails knows it may remove it again).
    pub fn put_master(&self, sha256: &str, ext: &str, bytes: &[u8]) -> Result<bool, FileError> {
        let path = self.master_path(sha256, ext);
        if path.exists() {
            return Ok(false);
        }
        write_atomically(&path, bytes)?;
        Ok(true)
    }

    /// Writes a variant into the cache.
    pub fn put_variant(
        &self,
        sha256: &str,
        variant: &str,
        ext: &str,
        bytes: &[u8],
    ) -> Result<PathBuf, FileError> {
        let path = self.variant_path(sha256, variant, ext);
        write_atomically(&path, bytes)?;
        Ok(path)
    }

    /// Removes a master (after a failed transaction, or when nothing refers to it any more).
    pub fn remove_master(&self, sha256: &str, ext: &str) {
        let _ = std::fs::remove_file(self.master_path(sha256, ext));
    }

    /// Removes every file of the photo with this hash: its master, whatever its extension, and
    /// every cached variant. For photos nothing refers to any more (a deleted entry, a replaced
    /// profile photo, a withdrawn member): once gone from the site, the bytes go from the disk.
    pub fn remove_photo(&self, sha256: &str) {
        // A hash is 64 hex digits; anything else never names a file of ours.
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return;
        }
        for (kind, separator) in [("photos", '.'), ("variants", '-')] {
            let dir = self.root.join(Self::shard(kind, sha256));
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let prefix = format!("{sha256}{separator}");
            for entry in entries.flatten() {
                if entry.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let err = |e: std::io::Error| FileError(format!("{}: {e}", path.display()));
    let dir =
        path.parent().ok_or_else(|| FileError(format!("{} has no parent", path.display())))?;
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp_name = path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut file = std::fs::File::create(&tmp).map_err(err)?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })?;
    std::fs::rename(&tmp, path).map_err(err)?;
    // The rename is durable only once the directory entry is.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masters_are_content_addressed_and_written_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        let sha = "ab".repeat(32);
        assert!(store.put_master(&sha, "jpg", b"first").expect("write"));
        assert!(!store.put_master(&sha, "jpg", b"second").expect("exists"), "rewritten");
        let path = store.master_path(&sha, "jpg");
        assert_eq!(std::fs::read(&path).expect("read"), b"first");
        assert!(path.starts_with(dir.path().join("photos").join("ab")));
        store.remove_master(&sha, "jpg");
        assert!(!path.exists());
        let v = store.put_variant(&sha, "240j", "jpg", b"v").expect("variant");
        assert!(v.ends_with(format!("{sha}-240j.jpg")));
    }

    #[test]
    fn removing_a_photo_takes_its_master_and_variants_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        let (sha, other) = ("ab".repeat(32), format!("{}cd", "ab".repeat(31)));
        store.put_master(&sha, "png", b"m").expect("master");
        store.put_master(&other, "jpg", b"o").expect("other master");
        let v1 = store.put_variant(&sha, "240j", "jpg", b"v").expect("variant");
        let v2 = store.put_variant(&sha, "120g", "gif", b"v").expect("variant");
        let kept = store.put_variant(&other, "240j", "jpg", b"v").expect("other variant");
        store.remove_photo(&sha);
        assert!(!store.master_path(&sha, "png").exists() && !v1.exists() && !v2.exists());
        assert!(store.master_path(&other, "jpg").exists() && kept.exists(), "a neighbour went");
        // Not a hash: nothing is touched.
        store.remove_photo("../../etc");
        store.remove_photo("");
        assert!(kept.exists());
    }
}

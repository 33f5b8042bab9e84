//! The server secret: 32 random bytes in `<data_dir>/secret.key`, created on first start.
//!
//! It keys every HMAC the service makes (signed `/jump` targets, hashed subscriber IDs). It is
//! never printed or logged; `Debug` shows only that it exists. Several processes sharing one
//! database must share this file too (deploy/ explains).

use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The server secret.
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Why the secret could not be loaded or created.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the secret key file {path}: {reason}")]
pub struct SecretError {
    path: PathBuf,
    reason: String,
}

impl Secret {
    /// A secret from known bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Secret {
        Secret(bytes)
    }

    /// Reads `dir/secret.key`, creating it (mode 0600) with fresh random bytes if missing.
    pub fn load_or_create(dir: &Path) -> Result<Secret, SecretError> {
        let path = dir.join("secret.key");
        let err = |reason: String| SecretError { path: path.clone(), reason };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes =
                    hex::decode(text.trim()).map_err(|_| err("not 64 hex digits".into()))?;
                let bytes: [u8; 32] =
                    bytes.try_into().map_err(|_| err("not 64 hex digits".into()))?;
                Ok(Secret(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).map_err(|e| err(format!("random source: {e}")))?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options.open(&path).map_err(|e| err(e.to_string()))?;
                file.write_all(format!("{}\n", hex::encode(bytes)).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| err(e.to_string()))?;
                Ok(Secret(bytes))
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// HMAC-SHA256 of `parts` (length-prefixed, so `("ab","c")` ≠ `("a","bc")`) under a
    /// purpose label, so one key never signs two kinds of thing interchangeably.
    pub fn mac(&self, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| {
            // HMAC accepts keys of any length; this branch cannot run.
            unreachable!("HMAC key length")
        });
        for part in std::iter::once(purpose.as_bytes()).chain(parts.iter().copied()) {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The keyed hash stored for a carrier subscriber ID (never the ID itself, security.md S-09),
    /// under a key derived for that purpose alone.
    pub fn subscriber_hash(&self, id: &ashiato_handset::SubscriberId) -> String {
        id.keyed_hash_hex(&self.mac("subscriber-id-key", &[]))
    }

    /// Hex form of [`Secret::mac`], truncated to `hex_len` characters.
    pub fn mac_hex(&self, purpose: &str, parts: &[&[u8]], hex_len: usize) -> String {
        let mut h = hex::encode(self.mac(purpose, parts));
        h.truncate(hex_len);
        h
    }

    /// Constant-time check of a hex MAC made by [`Secret::mac_hex`].
    pub fn verify_hex(&self, purpose: &str, parts: &[&[u8]], given: &str) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.mac_hex(purpose, parts, given.len().clamp(16, 64));
        given.len() >= 16 && expected.as_bytes().ct_eq(given.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_stable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Secret::load_or_create(dir.path()).expect("create");
        let b = Secret::load_or_create(dir.path()).expect("read back");
        assert_eq!(a.mac("t", &[b"x"]), b.mac("t", &[b"x"]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{a:?}"), "Secret(…)");
    }

    #[test]
    fn macs_separate_purposes_and_boundaries() {
        let s = Secret::from_bytes([7; 32]);
        assert_ne!(s.mac("jump", &[b"ab", b"c"]), s.mac("jump", &[b"a", b"bc"]));
        assert_ne!(s.mac("jump", &[b"x"]), s.mac("subscriber", &[b"x"]));
        let tag = s.mac_hex("jump", &[b"http://example.com/"], 32);
        assert!(s.verify_hex("jump", &[b"http://example.com/"], &tag));
        assert!(!s.verify_hex("jump", &[b"http://evil.example/"], &tag));
        assert!(
            !s.verify_hex("jump", &[b"http://example.com/"], &tag[..8]),
            "short tags are refused"
        );
    }

    #[test]
    fn damaged_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("secret.key"), "zz\n").expect("write");
        let err = Secret::load_or_create(dir.path()).expect_err("bad file");
        assert!(err.to_string().contains("not 64 hex digits"));
    }
}

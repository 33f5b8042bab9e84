//! Password hashing: argon2id in PHC string form.
//!
//! The caller supplies the salt (from the operating system's random source) so that this crate
//! stays free of I/O. Hashing costs tens of milliseconds by design: the web crate runs it on the
//! blocking pool, never on an async worker.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Length of the random salt the caller must provide.
pub const SALT_LEN: usize = 16;

/// argon2id with the parameters OWASP's Password Storage Cheat Sheet lists first
/// (m = 19 MiB, t = 2, p = 1): about 20 ms per hash on the reference machine.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with `salt`, returning a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &str, salt: &[u8; SALT_LEN]) -> Result<String, PasswordError> {
    hasher()
        .hash_password_with_salt(password.as_bytes(), salt)
        .map(|phc| phc.to_string())
        .map_err(|_| PasswordError)
}

/// Whether `password` matches the PHC string `phc`. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    hasher().verify_password(password.as_bytes(), phc).is_ok()
}

/// A PHC string for a password nobody knows, verified against when the e-mail address is
/// unknown so that a login attempt takes the same time whether or not the account exists.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$YXNoaWF0by1kdW1teS1zYWx0$uUsZxJd79uv4tI84xxh3AKqvvQ2PFs3F5pYXSJHMzks";

/// Hashing failed (only possible with parameters out of range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed")]
pub struct PasswordError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash("kaminari-9", &[1; SALT_LEN]).expect("hash");
        let b = hash("kaminari-9", &[2; SALT_LEN]).expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(verify("kaminari-9", &a));
        assert!(!verify("kaminari-8", &a));
        assert!(!verify("kaminari-9", "not a phc string"));
    }

    #[test]
    fn dummy_hash_is_well_formed_and_costs_the_same() {
        // It must parse as argon2id with our parameters, or an unknown e-mail would return
        // early and reveal that the account does not exist.
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify("anything", DUMMY_HASH));
    }
}

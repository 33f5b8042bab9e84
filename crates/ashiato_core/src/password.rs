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

/// The working memory of one argon2id computation with our parameters (19 MiB), kept and
/// reused. Allocating it per login is what let memory run away: glibc serves a freed block of
/// that size from its arenas afterwards and keeps them, so 200 logins left a server at 1.4 GB
/// even with two hashes at a time (issue 19). A fixed set of workspaces is a fixed amount.
pub struct Workspace(Vec<argon2::Block>);

impl Workspace {
    /// Allocates a workspace (19 MiB) for [`hash_in`] and [`verify_in`].
    pub fn new() -> Workspace {
        Workspace(vec![argon2::Block::default(); hasher().params().block_count()])
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace::new()
    }
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Workspace({} blocks)", self.0.len())
    }
}

/// [`hash`] in a reused workspace: the same PHC string, no allocation of its own.
pub fn hash_in(
    ws: &mut Workspace,
    password: &str,
    salt: &[u8; SALT_LEN],
) -> Result<String, PasswordError> {
    use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
    let argon = hasher();
    let mut out = [0u8; 32];
    argon
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut ws.0[..])
        .map_err(|_| PasswordError)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(|_| PasswordError)?,
        salt: Some(Salt::new(salt).map_err(|_| PasswordError)?),
        hash: Some(Output::new(&out).map_err(|_| PasswordError)?),
    };
    Ok(phc.to_string())
}

/// [`verify`] in a reused workspace. A hash made with more memory than the workspace holds
/// (other parameters than ours) is checked the allocating way; a malformed one never matches.
pub fn verify_in(ws: &mut Workspace, password: &str, phc: &str) -> bool {
    use argon2::password_hash::phc::{Output, PasswordHash};
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else { return false };
    let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from);
    let Ok(version) = version else { return false };
    if params.block_count() > ws.0.len() {
        return verify(password, phc);
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    let blocks = &mut ws.0[..params.block_count()];
    if argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, blocks).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| &computed == expected)
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
    fn a_reused_workspace_hashes_and_verifies_like_the_allocating_way() {
        let mut ws = Workspace::new();
        let salt = [7; SALT_LEN];
        let reused = hash_in(&mut ws, "kaminari-9", &salt).expect("hash");
        assert_eq!(reused, hash("kaminari-9", &salt).expect("hash"), "the same PHC string");
        assert!(verify_in(&mut ws, "kaminari-9", &reused));
        assert!(!verify_in(&mut ws, "kaminari-8", &reused));
        assert!(verify("kaminari-9", &reused));
        // A hash with other parameters (here less memory, more passes) still verifies.
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 3, 1, None).expect("params"),
        )
        .hash_password_with_salt(b"kaminari-9", &salt)
        .expect("hash")
        .to_string();
        assert!(verify_in(&mut ws, "kaminari-9", &other));
        assert!(!verify_in(&mut ws, "kaminari-9", "not a hash"));
        assert!(!verify_in(&mut ws, "kaminari-9", DUMMY_HASH));
    }

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

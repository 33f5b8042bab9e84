//! `ashiato backup --to DIR` and `ashiato restore --from DIR`.
//!
//! A backup is a directory:
//!
//! | path | what |
//! |---|---|
//! | `manifest.json` | format, release, backend, migrations, each table's row count and digest, each file's size and SHA-256 |
//! | `database.sqlite3` | SQLite: a consistent copy made by `VACUUM INTO` |
//! | `database.pgdump` | PostgreSQL: `pg_dump --format=custom` of an exported snapshot |
//! | `secret.key` | the server secret: posting addresses, subscriber-ID hashes and session tokens depend on it |
//! | `photos/…`, `variants/…` | photo masters and their cached variants, as in the data directory |
//!
//! It is written to `DIR.partial` and renamed to `DIR` once the manifest is on disk, so a
//! directory named `DIR` is always complete. Files are copied before and again after the
//! database snapshot: a photo the snapshot refers to was either on disk before it (first
//! pass) or written while it was taken (second pass).
//!
//! A restore checks every checksum first and refuses a damaged backup before touching
//! anything, goes only into an empty data directory and an empty database, and ends by
//! taking the digests of the restored database and comparing them with the manifest.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use ashiato_app::config::Config;
use ashiato_store::backup::{self, TableDigest};
use ashiato_store::db::{AnyConnection, migration_status};
use ashiato_store::{Backend, DatabaseUrl};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::OpsError;

/// Written into every manifest; a restore refuses any other.
const FORMAT: &str = "ashiato-backup/1";
const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "database.sqlite3";
const PG_FILE: &str = "database.pgdump";
/// What of the data directory a backup holds besides the database.
const DATA_ENTRIES: [&str; 3] = ["secret.key", "photos", "variants"];

/// The manifest of a backup.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    ashiato_version: String,
    created_at_ms: i64,
    backend: String,
    database_file: String,
    migrations: Vec<String>,
    tables: Vec<Table>,
    files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Table {
    name: String,
    rows: i64,
    digest: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    path: String,
    bytes: u64,
    sha256: String,
}

impl From<TableDigest> for Table {
    fn from(d: TableDigest) -> Self {
        Table { name: d.name, rows: d.rows, digest: d.digest }
    }
}

/// What a backup or restore did, printed on success.
pub struct Summary {
    verb: &'static str,
    /// What happened to the digests: recorded (backup) or verified (restore).
    digests: &'static str,
    dir: PathBuf,
    tables: usize,
    rows: i64,
    files: usize,
    bytes: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {} tables, {} rows, {} files ({} bytes); digests {}",
            self.verb,
            self.dir.display(),
            self.tables,
            self.rows,
            self.files,
            self.bytes,
            self.digests
        )
    }
}

fn io(path: &Path, e: &std::io::Error) -> OpsError {
    OpsError::Io(format!("{}: {e}", path.display()))
}

/// Takes a backup of the configured data directory and database into `to`.
pub fn backup(config: &Config, to: &Path) -> Result<Summary, OpsError> {
    if to.exists() {
        return Err(OpsError::Usage(format!(
            "{} exists already; a backup goes into a new directory",
            to.display()
        )));
    }
    let partial = partial_path(to);
    if partial.exists() {
        // Left by an interrupted backup: never complete (it has no manifest), safe to redo.
        std::fs::remove_dir_all(&partial).map_err(|e| io(&partial, &e))?;
    }
    std::fs::create_dir_all(&partial).map_err(|e| io(&partial, &e))?;
    let url = config.database();
    // A plain connection, not the pool: opening the pool would apply this release's pending
    // migrations, and a backup must copy the database as it is.
    let mut conn = match &url {
        DatabaseUrl::Sqlite(path) if path.is_file() => backup::open_sqlite_file(path)?,
        DatabaseUrl::Sqlite(path) => {
            return Err(OpsError::Usage(format!("no database at {}", path.display())));
        }
        DatabaseUrl::Postgres(text) => backup::open_postgres(text)?,
    };

    copy_data_files(&config.data_dir, &partial)?;
    let (database_file, digests) = match &url {
        DatabaseUrl::Sqlite(_) => {
            let dest = partial.join(SQLITE_FILE);
            backup::sqlite_snapshot(&mut conn, &dest)?;
            // The digests of the copy itself, the file the restore will use.
            let mut copy = backup::open_sqlite_file(&dest)?;
            (SQLITE_FILE, backup::digests(&mut copy)?)
        }
        DatabaseUrl::Postgres(text) => {
            let dest = partial.join(PG_FILE);
            let (digests, dumped) = backup::with_postgres_snapshot(&mut conn, |snapshot| {
                pg_tool("pg_dump", text, |cmd| {
                    cmd.args(["--format=custom", "--no-owner", "--no-privileges"])
                        .arg(format!("--snapshot={snapshot}"))
                        .arg("--file")
                        .arg(&dest);
                })
            })?;
            dumped?;
            (PG_FILE, digests)
        }
    };
    drop(conn);
    // Second pass: photos written while the snapshot was taken.
    copy_data_files(&config.data_dir, &partial)?;

    let migrations = migration_status(&url)?
        .into_iter()
        .filter(|(_, applied)| *applied)
        .map(|(name, _)| name)
        .collect();
    let files = checksum_tree(&partial)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        ashiato_version: env!("CARGO_PKG_VERSION").into(),
        created_at_ms: ashiato_app::now().0,
        backend: url.backend().name().into(),
        database_file: database_file.into(),
        migrations,
        tables: digests.into_iter().map(Table::from).collect(),
        files,
    };
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| OpsError::Io(format!("writing the manifest: {e}")))?;
    write_synced(&partial.join(MANIFEST), &text)?;
    std::fs::rename(&partial, to).map_err(|e| io(to, &e))?;
    sync_dir(to.parent().unwrap_or(Path::new(".")));
    Ok(summary("backup written to", "recorded", to, &manifest))
}

/// Restores the backup in `from` into the configured (empty) data directory and database.
pub fn restore(config: &Config, from: &Path) -> Result<Summary, OpsError> {
    let manifest = read_manifest(from)?;
    let url = config.database();
    if manifest.backend != url.backend().name() {
        return Err(OpsError::Usage(format!(
            "this backup is of a {} database and the configured one is {}; restore it into \
             the same kind of database",
            manifest.backend,
            url.backend().name()
        )));
    }
    let known: BTreeSet<String> = known_migrations(url.backend())?;
    if let Some(newer) = manifest.migrations.iter().find(|m| !known.contains(*m)) {
        return Err(OpsError::Usage(format!(
            "this backup was made by a newer release (migration {newer} is unknown to \
             ashiato {}); restore it with that release or a later one",
            env!("CARGO_PKG_VERSION")
        )));
    }
    // Every byte is checked before anything is written.
    for entry in &manifest.files {
        let path = from.join(&entry.path);
        let (bytes, sha) = sha256_of(&path)?;
        if bytes != entry.bytes || sha != entry.sha256 {
            return Err(OpsError::Data(format!(
                "{} does not match the manifest (damaged backup); nothing was restored",
                path.display()
            )));
        }
    }
    ensure_empty_target(config, &url)?;

    std::fs::create_dir_all(&config.data_dir).map_err(|e| io(&config.data_dir, &e))?;
    for entry in &manifest.files {
        if entry.path == manifest.database_file {
            continue;
        }
        let dest = config.data_dir.join(&entry.path);
        copy_file(&from.join(&entry.path), &dest)?;
    }
    restrict_secret(&config.data_dir.join("secret.key"));
    let source = from.join(&manifest.database_file);
    let mut conn = match &url {
        DatabaseUrl::Sqlite(path) => {
            copy_file(&source, path)?;
            backup::open_sqlite_file(path)?
        }
        DatabaseUrl::Postgres(text) => {
            pg_tool("pg_restore", text, |cmd| {
                cmd.args(["--no-owner", "--no-privileges", "--exit-on-error"])
                    .arg("--single-transaction")
                    .arg(&source);
            })?;
            backup::open_postgres(text)?
        }
    };
    // Digests of what was restored, before anything (a newer release's migrations at the
    // next start) changes it.
    verify(&manifest, &mut conn)?;
    Ok(summary("restored from", "verified", from, &manifest))
}

/// Compares the restored database's digests with the manifest's.
fn verify(manifest: &Manifest, conn: &mut AnyConnection) -> Result<(), OpsError> {
    let restored: Vec<Table> = backup::digests(conn)?.into_iter().map(Table::from).collect();
    if restored == manifest.tables {
        return Ok(());
    }
    let mut differences = Vec::new();
    for want in &manifest.tables {
        match restored.iter().find(|t| t.name == want.name) {
            None => differences.push(format!("{} missing", want.name)),
            Some(got) if got.rows != want.rows => {
                differences
                    .push(format!("{}: {} rows, expected {}", want.name, got.rows, want.rows));
            }
            Some(got) if got != want => differences.push(format!("{}: content differs", want.name)),
            Some(_) => {}
        }
    }
    for got in &restored {
        if !manifest.tables.iter().any(|t| t.name == got.name) {
            differences.push(format!("{} not in the backup", got.name));
        }
    }
    Err(OpsError::Data(format!(
        "the restored database does not match the backup: {}",
        differences.join("; ")
    )))
}

fn summary(verb: &'static str, digests: &'static str, dir: &Path, manifest: &Manifest) -> Summary {
    Summary {
        verb,
        digests,
        dir: dir.to_owned(),
        tables: manifest.tables.len(),
        rows: manifest.tables.iter().map(|t| t.rows).sum(),
        files: manifest.files.len(),
        bytes: manifest.files.iter().map(|f| f.bytes).sum(),
    }
}

fn partial_path(to: &Path) -> PathBuf {
    let mut name = to.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(".partial");
    to.with_file_name(name)
}

fn read_manifest(from: &Path) -> Result<Manifest, OpsError> {
    let path = from.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| {
        OpsError::Data(format!("{} is not an ashiato backup: {}: {e}", from.display(), MANIFEST))
    })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| OpsError::Data(format!("{}: not a backup manifest: {e}", path.display())))?;
    if manifest.format != FORMAT {
        return Err(OpsError::Data(format!(
            "{}: format {:?} is not {FORMAT:?}",
            path.display(),
            manifest.format
        )));
    }
    let listed = manifest.files.iter().any(|f| f.path == manifest.database_file);
    let safe = manifest.files.iter().all(|f| is_relative_and_plain(&f.path));
    if !listed || !safe {
        return Err(OpsError::Data(format!("{}: damaged manifest", path.display())));
    }
    Ok(manifest)
}

/// A manifest path may only name a file inside the backup (no `..`, no absolute path), so a
/// forged manifest cannot make a restore read or write elsewhere.
fn is_relative_and_plain(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path).components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

fn known_migrations(backend: Backend) -> Result<BTreeSet<String>, OpsError> {
    Ok(ashiato_store::db::embedded_migrations(backend)?.into_iter().collect())
}

/// Refuses a data directory that already holds a secret, photos or a SQLite database, and a
/// database that has tables: a restore never overwrites a community.
fn ensure_empty_target(config: &Config, url: &DatabaseUrl) -> Result<(), OpsError> {
    let mut present: Vec<PathBuf> =
        DATA_ENTRIES.iter().map(|e| config.data_dir.join(e)).filter(|p| p.exists()).collect();
    match url {
        DatabaseUrl::Sqlite(path) => {
            if path.exists() {
                present.push(path.clone());
            }
        }
        DatabaseUrl::Postgres(text) => {
            let mut conn = backup::open_postgres(text)?;
            if !backup::is_empty(&mut conn)? {
                return Err(OpsError::Usage(format!(
                    "the database {url} has tables already; restore into an empty database"
                )));
            }
        }
    }
    if let Some(first) = present.first() {
        return Err(OpsError::Usage(format!(
            "{} exists already; restore into an empty data directory",
            first.display()
        )));
    }
    Ok(())
}

/// Copies `secret.key`, `photos/` and `variants/` from the data directory into `dest`,
/// skipping files already there and files being written (`*.tmpPID`).
fn copy_data_files(data_dir: &Path, dest: &Path) -> Result<(), OpsError> {
    for entry in DATA_ENTRIES {
        let source = data_dir.join(entry);
        if source.is_file() {
            copy_file(&source, &dest.join(entry))?;
        } else if source.is_dir() {
            copy_tree(&source, &dest.join(entry))?;
        }
    }
    Ok(())
}

fn copy_tree(source: &Path, dest: &Path) -> Result<(), OpsError> {
    let entries = std::fs::read_dir(source).map_err(|e| io(source, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io(source, &e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| io(&path, &e))?;
        let name = entry.file_name();
        if kind.is_dir() {
            copy_tree(&path, &dest.join(&name))?;
        } else if kind.is_file() && !is_temporary(&name) && !dest.join(&name).exists() {
            match copy_file(&path, &dest.join(&name)) {
                // Deleted between the listing and the copy: nothing refers to it any more.
                Err(_) if !path.exists() => {}
                other => other?,
            }
        }
    }
    Ok(())
}

fn is_temporary(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .and_then(|n| n.rsplit_once(".tmp"))
        .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Copies one file and syncs it (a backup is only as good as what reached the disk).
fn copy_file(source: &Path, dest: &Path) -> Result<(), OpsError> {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
    }
    std::fs::copy(source, dest).map_err(|e| io(source, &e))?;
    std::fs::File::open(dest).and_then(|f| f.sync_all()).map_err(|e| io(dest, &e))?;
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), OpsError> {
    let mut file = std::fs::File::create(path).map_err(|e| io(path, &e))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| io(path, &e))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(unix)]
fn restrict_secret(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict_secret(_path: &Path) {}

/// Every file under `root` (but the manifest), sorted, with its size and SHA-256.
fn checksum_tree(root: &Path) -> Result<Vec<FileEntry>, OpsError> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<FileEntry>) -> Result<(), OpsError> {
        for entry in std::fs::read_dir(dir).map_err(|e| io(dir, &e))? {
            let path = entry.map_err(|e| io(dir, &e))?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let name = relative
                    .to_str()
                    .ok_or_else(|| OpsError::Data(format!("{} is not UTF-8", path.display())))?
                    .replace('\\', "/");
                if name != MANIFEST {
                    let (bytes, sha256) = sha256_of(&path)?;
                    out.push(FileEntry { path: name, bytes, sha256 });
                }
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn sha256_of(path: &Path) -> Result<(u64, String), OpsError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| OpsError::Data(format!("{}: {e} (damaged backup)", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| io(path, &e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex::encode(hasher.finalize())))
}

/// Runs PostgreSQL's `pg_dump` or `pg_restore` against the database URL. The password, if
/// the URL has one, travels in `PGPASSWORD`, not on a command line every local user can read.
fn pg_tool(tool: &str, url: &str, args: impl FnOnce(&mut Command)) -> Result<(), OpsError> {
    let (without_password, password) = split_password(url);
    let mut cmd = Command::new(tool);
    cmd.arg("--dbname").arg(&without_password);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    args(&mut cmd);
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            OpsError::Usage(format!(
                "{tool} was not found: install PostgreSQL's client tools (Debian: \
                 postgresql-client) of the server's major version or newer"
            ))
        } else {
            OpsError::Io(format!("running {tool}: {e}"))
        }
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
    Err(OpsError::Io(format!("{tool} failed ({}): {first}", out.status)))
}

/// The URL without its password and the password percent-decoded, for `PGPASSWORD`.
fn split_password(url: &str) -> (String, Option<String>) {
    let (without, password) = ashiato_store::db::split_password(url);
    let decoded =
        password.map(|p| percent_encoding::percent_decode_str(&p).decode_utf8_lossy().into_owned());
    (without, decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url_decoded() {
        assert_eq!(
            split_password("postgres://app:p%40ss@db:5432/ashiato?sslmode=require"),
            ("postgres://app@db:5432/ashiato?sslmode=require".to_owned(), Some("p@ss".to_owned()))
        );
        assert_eq!(split_password("postgres://app@db/x"), ("postgres://app@db/x".into(), None));
    }

    #[test]
    fn manifest_paths_stay_inside_the_backup() {
        assert!(is_relative_and_plain("photos/ab/abc.jpg"));
        assert!(!is_relative_and_plain("../secret.key"));
        assert!(!is_relative_and_plain("/etc/passwd"));
        assert!(!is_relative_and_plain("photos/../../x"));
        assert!(!is_relative_and_plain(""));
    }

    #[test]
    fn files_being_written_are_skipped() {
        assert!(is_temporary(std::ffi::OsStr::new("ab.jpg.tmp1234")));
        assert!(!is_temporary(std::ffi::OsStr::new("ab.jpg")));
        assert!(!is_temporary(std::ffi::OsStr::new("x.tmpl")));
    }
}

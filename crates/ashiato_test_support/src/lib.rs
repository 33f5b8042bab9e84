//! Test harness shared by the crates' integration tests.
//!
//! - [`TestDb`]: a fresh, migrated database per test: a SQLite file in a temporary directory,
//!   or a new PostgreSQL database created on the server named by `ASHIATO_TEST_POSTGRES` and
//!   dropped afterwards.
//! - [`Suite`]: registers each storage test once per backend and runs them with libtest-mimic.
//!   When `ASHIATO_TEST_POSTGRES` is unset, the PostgreSQL half is listed as *ignored* and a
//!   banner says so: never silently passed. When it is set, a server that cannot be reached is
//!   a failure.
//! - [`example_app`]: the example OpenSocial app as a test process; visible skips.
//! - [`smtp`]: a loopback SMTP sink that keeps what it receives (outbox tests).
//! - [`http`]: a deliberately small HTTP/1.1 client over a `TcpStream`, so tests see the exact
//!   bytes a handset would (headers, Shift_JIS bodies) with nothing in between.

pub mod example_app;
pub mod http;
pub mod images;
pub mod smtp;

use std::sync::atomic::{AtomicU32, Ordering};

use ashiato_store::db::{Backend, DatabaseUrl, Db, DbOptions};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use libtest_mimic::{Arguments, Failed, Trial};

/// Environment variable naming a PostgreSQL server for tests, as a URL to an existing database
/// the tests may use to create and drop their own (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
pub const POSTGRES_ENV: &str = "ASHIATO_TEST_POSTGRES";

/// A migrated database that exists for one test.
pub struct TestDb {
    /// The open database.
    pub db: Db,
    /// Its URL (for code under test that opens its own connections, like the binary).
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("url", &self.url).finish_non_exhaustive()
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_suffix() -> String {
    let mut r = [0u8; 4];
    // A clash only costs a failed CREATE DATABASE; the counter and pid make it near impossible.
    let _ = getrandom::fill(&mut r);
    format!(
        "{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        u32::from_le_bytes(r)
    )
}

impl TestDb {
    /// A fresh database on `backend`. Panics (failing the test) if it cannot be created.
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => TestDb::postgres(),
        }
    }

    /// A fresh SQLite database file in its own temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory for a test database");
        let url = DatabaseUrl::Sqlite(dir.path().join("test.sqlite3"));
        let db = Db::open(&url, &DbOptions::default()).expect("open a fresh SQLite test database");
        TestDb { db, url, _dir: Some(dir), pg_drop: None }
    }

    /// A fresh PostgreSQL database on the server in `ASHIATO_TEST_POSTGRES`.
    pub fn postgres() -> TestDb {
        let (admin, name) = create_postgres_database("ashiato_test");
        let url_text = replace_database(&admin, &name);
        let url = DatabaseUrl::Postgres(url_text);
        let db = Db::open(&url, &DbOptions { pool_size: 4, ..DbOptions::default() })
            .expect("open the fresh PostgreSQL test database");
        TestDb { db, url, _dir: None, pg_drop: Some((admin, name)) }
    }

    /// Which backend this test database runs on.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_drop.take() {
            drop_postgres_database(&admin, &name);
        }
    }
}

/// A database that does not exist yet (SQLite: a path in a fresh temporary directory) or is
/// empty (PostgreSQL: created without tables), for code that must start from nothing, such as
/// `ashiato restore`. Dropped with the value.
pub struct EmptyDb {
    /// Its URL.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl EmptyDb {
    /// A new empty database on `backend`. Panics (failing the test) if it cannot be created.
    pub fn new(backend: Backend) -> EmptyDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory for a test database");
                let url = format!("sqlite://{}", dir.path().join("empty.sqlite3").display());
                EmptyDb { url, _dir: Some(dir), pg_drop: None }
            }
            Backend::Postgres => {
                let (admin, name) = create_postgres_database("ashiato_empty");
                let url = replace_database(&admin, &name);
                EmptyDb { url, _dir: None, pg_drop: Some((admin, name)) }
            }
        }
    }
}

impl Drop for EmptyDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_drop.take() {
            drop_postgres_database(&admin, &name);
        }
    }
}

/// Creates a database named `prefix_<unique>` on the server in `ASHIATO_TEST_POSTGRES`;
/// returns the server's admin URL and the name.
fn create_postgres_database(prefix: &str) -> (String, String) {
    let admin = postgres_admin_url().expect("ASHIATO_TEST_POSTGRES is set for PostgreSQL tests");
    let name = format!("{prefix}_{}", unique_suffix());
    let mut conn = PgConnection::establish(&admin)
        .unwrap_or_else(|e| panic!("cannot reach the PostgreSQL server in {POSTGRES_ENV}: {e}"));
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    (admin, name)
}

fn drop_postgres_database(admin: &str, name: &str) {
    if let Ok(mut conn) = PgConnection::establish(admin) {
        // FORCE ends the pool's idle connections (PostgreSQL 13+).
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// Replaces the database name (the path) of a PostgreSQL URL, keeping any query string.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_and_path = &base[scheme_end..];
    let host = host_and_path.split('/').next().unwrap_or(host_and_path);
    let mut out = format!("{}{}/{}", &base[..scheme_end], host, name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The PostgreSQL server for tests, if configured.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|v| !v.trim().is_empty())
}

/// A test binary's list of tests.
#[derive(Default)]
pub struct Suite {
    trials: Vec<Trial>,
}

impl Suite {
    /// An empty suite.
    pub fn new() -> Suite {
        Suite::default()
    }

    /// Registers `test` twice: `sqlite::NAME` and `postgres::NAME`, each with its own database.
    pub fn on_both(&mut self, name: &str, test: fn(&TestDb)) -> &mut Self {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let ignored = backend == Backend::Postgres && postgres_admin_url().is_none();
            let trial = Trial::test(format!("{}::{name}", backend.name()), move || {
                let db = TestDb::new(backend);
                test(&db);
                Ok(())
            })
            .with_ignored_flag(ignored);
            self.trials.push(trial);
        }
        self
    }

    /// Registers a test that needs no database.
    pub fn plain(&mut self, name: &str, test: fn()) -> &mut Self {
        self.trials.push(Trial::test(name.to_owned(), move || {
            test();
            Ok(())
        }));
        self
    }

    /// Registers a test returning a `Result` (for tests that skip with a reason).
    pub fn fallible(&mut self, name: &str, test: fn() -> Result<(), Failed>) -> &mut Self {
        self.trials.push(Trial::test(name.to_owned(), test));
        self
    }

    /// Runs the suite with the command-line arguments cargo passed, and exits.
    pub fn run(self) -> ! {
        if postgres_admin_url().is_none()
            && self.trials.iter().any(|t| t.name().starts_with("postgres::"))
        {
            // stderr is not captured by cargo for harness-less test binaries.
            eprintln!(
                "\n*** PostgreSQL tests SKIPPED: {POSTGRES_ENV} is not set. To run them: \
                 {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/postgres cargo test --workspace ***\n"
            );
        }
        libtest_mimic::run(&Arguments::from_args(), self.trials).exit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            replace_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://h", "t3"), "postgres://h/t3");
    }
}

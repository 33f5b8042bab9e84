//! The two migration sets stay in step, and `schema.rs` matches what each database really has.

use std::collections::BTreeMap;
use std::path::Path;

use ashiato_store::db::{AnyConnection, DatabaseUrl, Db, DbOptions, OpenError};
use ashiato_test_support::{Suite, TestDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel_migrations::MigrationHarness;

pub fn register(suite: &mut Suite) {
    suite
        .plain("migration_sets_have_the_same_steps", migration_sets_have_the_same_steps)
        .on_both("schema_rs_matches_the_database", schema_rs_matches_the_database)
        .on_both("migrations_revert_and_reapply", migrations_revert_and_reapply)
        .on_both("connections_are_durable_and_enforce_foreign_keys", connections_are_durable)
        .on_both("a_broken_connection_leaves_the_pool", a_broken_connection_leaves_the_pool)
        .plain("corrupt_sqlite_file_is_one_clear_error", corrupt_sqlite_file_is_one_clear_error)
        .plain("unreachable_postgres_is_one_clear_error", unreachable_postgres_is_one_clear_error);
}

fn migration_dir(backend: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend)
}

fn step_names(backend: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(migration_dir(backend))
        .expect("migrations directory")
        .map(|e| e.expect("directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn migration_sets_have_the_same_steps() {
    let sqlite = step_names("sqlite");
    let postgres = step_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "every migration needs a SQLite and a PostgreSQL version with the same name"
    );
    for step in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = migration_dir(backend).join(step).join(file);
                assert!(path.is_file(), "missing {}", path.display());
            }
        }
    }
}

/// A column as `schema.rs` declares it: (diesel type without `Nullable`, nullable).
type Declared = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// Reads `src/schema.rs`. The file is written in a fixed shape (one `diesel::table!` per table,
/// one `name -> Type,` per line), so a line-based reader is enough and fails loudly otherwise.
fn declared_schema() -> (Declared, BTreeMap<String, Vec<String>>) {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/schema.rs"))
        .expect("read schema.rs");
    let mut tables = Declared::new();
    let mut keys = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_suffix('{').map(str::trim) {
            if let Some((name, pk)) = rest.split_once(' ')
                && pk.starts_with('(')
            {
                let pk: Vec<String> = pk
                    .trim_matches(|c| c == '(' || c == ')')
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .collect();
                keys.insert(name.to_owned(), pk);
                tables.insert(name.to_owned(), BTreeMap::new());
                current = Some(name.to_owned());
            }
        } else if let (Some(table), Some((col, ty))) = (&current, line.split_once(" -> ")) {
            let ty = ty.trim_end_matches(',');
            let (ty, nullable) =
                match ty.strip_prefix("Nullable<").and_then(|t| t.strip_suffix('>')) {
                    Some(inner) => (inner, true),
                    None => (ty, false),
                };
            tables.get_mut(table).expect("table").insert(col.to_owned(), (ty.to_owned(), nullable));
        } else if line == "}" {
            current = None;
        }
    }
    assert!(tables.len() >= 15, "schema.rs parsed into {} tables only", tables.len());
    (tables, keys)
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text, column_name = "type")]
    ty: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    key_position: Option<i64>,
}

/// (columns, primary key in order) per table, as the database reports them, with types mapped
/// to diesel's names.
fn actual_schema(conn: &mut AnyConnection) -> (Declared, BTreeMap<String, Vec<String>>) {
    let mut tables = Declared::new();
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    match conn {
        AnyConnection::Sqlite(c) => {
            let names: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .expect("list tables");
            for Name { name: table } in names {
                let cols: Vec<SqliteColumn> =
                    diesel::sql_query(format!("PRAGMA table_info('{table}')"))
                        .load(c)
                        .expect("table_info");
                let mut pk: Vec<(i32, String)> = Vec::new();
                let entry = tables.entry(table.clone()).or_default();
                for col in cols {
                    let ty = match col.ty.as_str() {
                        // Only `INTEGER PRIMARY KEY` aliases the rowid: 64-bit ids.
                        "INTEGER" if col.pk == 1 && col.name == "id" => "BigInt",
                        "INTEGER" => "Integer",
                        "BIGINT" => "BigInt",
                        "TEXT" => "Text",
                        "BOOLEAN" => "Bool",
                        "BLOB" => "Binary",
                        other => panic!("{table}.{}: unexpected SQLite type {other}", col.name),
                    };
                    // A primary key column is never NULL in our schema even where SQLite's
                    // table_info does not say NOT NULL.
                    entry
                        .insert(col.name.clone(), (ty.to_owned(), col.notnull == 0 && col.pk == 0));
                    if col.pk > 0 {
                        pk.push((col.pk, col.name));
                    }
                }
                pk.sort();
                keys.insert(table, pk.into_iter().map(|(_, n)| n).collect());
            }
        }
        AnyConnection::Postgresql(c) => {
            let cols: Vec<PgColumn> = diesel::sql_query(
                "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                        c.data_type::text AS data_type, c.is_nullable::text AS is_nullable, \
                        k.ordinal_position::bigint AS key_position \
                 FROM information_schema.columns c \
                 LEFT JOIN information_schema.table_constraints t \
                   ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
                  AND t.constraint_type = 'PRIMARY KEY' \
                 LEFT JOIN information_schema.key_column_usage k \
                   ON k.constraint_name = t.constraint_name AND k.table_schema = c.table_schema \
                  AND k.table_name = c.table_name AND k.column_name = c.column_name \
                 WHERE c.table_schema = current_schema() AND c.table_name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .expect("information_schema");
            let mut pk: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
            for col in cols {
                let ty = match col.data_type.as_str() {
                    "bigint" => "BigInt",
                    "integer" => "Integer",
                    "text" => "Text",
                    "boolean" => "Bool",
                    "bytea" => "Binary",
                    other => panic!(
                        "{}.{}: unexpected PostgreSQL type {other}",
                        col.table_name, col.column_name
                    ),
                };
                tables
                    .entry(col.table_name.clone())
                    .or_default()
                    .insert(col.column_name.clone(), (ty.to_owned(), col.is_nullable == "YES"));
                if let Some(pos) = col.key_position {
                    pk.entry(col.table_name).or_default().push((pos, col.column_name));
                }
            }
            for (table, mut cols) in pk {
                cols.sort();
                keys.insert(table, cols.into_iter().map(|(_, n)| n).collect());
            }
        }
    }
    (tables, keys)
}

fn schema_rs_matches_the_database(t: &TestDb) {
    let (declared, declared_keys) = declared_schema();
    let mut conn = t.db.conn().expect("connection");
    let (actual, actual_keys) = actual_schema(&mut conn);
    assert_eq!(
        declared.keys().collect::<Vec<_>>(),
        actual.keys().collect::<Vec<_>>(),
        "tables in schema.rs vs the database"
    );
    for (table, columns) in &declared {
        assert_eq!(Some(columns), actual.get(table), "columns of {table}: schema.rs vs database");
    }
    assert_eq!(declared_keys, actual_keys, "primary keys: schema.rs vs database");
}

fn migrations_revert_and_reapply(t: &TestDb) {
    let count_tables = |conn: &mut AnyConnection| actual_schema(conn).0.len();
    let mut conn = t.db.conn().expect("connection");
    let before = count_tables(&mut conn);
    match &mut *conn {
        AnyConnection::Sqlite(c) => {
            c.revert_all_migrations(ashiato_store::db::SQLITE_MIGRATIONS).expect("revert");
        }
        AnyConnection::Postgresql(c) => {
            c.revert_all_migrations(ashiato_store::db::POSTGRES_MIGRATIONS).expect("revert");
        }
    }
    assert_eq!(count_tables(&mut conn), 0, "down.sql files leave tables behind");
    drop(conn);
    // Opening again applies every migration from scratch.
    let reopened = Db::open(&t.url, &DbOptions::default()).expect("re-open and migrate");
    let mut conn = reopened.conn().expect("connection");
    assert_eq!(count_tables(&mut conn), before);
}

#[derive(QueryableByName)]
struct Pragma {
    #[diesel(sql_type = Text)]
    value: String,
}

fn connections_are_durable(t: &TestDb) {
    let mut conn = t.db.conn().expect("connection");
    match &mut *conn {
        AnyConnection::Sqlite(c) => {
            let read = |c: &mut diesel::SqliteConnection, sql: &str| -> String {
                diesel::sql_query(sql).get_result::<Pragma>(c).expect(sql).value
            };
            assert_eq!(
                read(c, "SELECT CAST(synchronous AS TEXT) AS value FROM pragma_synchronous"),
                "2",
                "synchronous=FULL"
            );
            assert_eq!(
                read(c, "SELECT CAST(foreign_keys AS TEXT) AS value FROM pragma_foreign_keys"),
                "1"
            );
            assert_eq!(read(c, "SELECT journal_mode AS value FROM pragma_journal_mode"), "wal");
            assert_eq!(
                read(c, "SELECT CAST(timeout AS TEXT) AS value FROM pragma_busy_timeout"),
                "5000"
            );
        }
        AnyConnection::Postgresql(c) => {
            let v = diesel::sql_query("SELECT current_setting('synchronous_commit') AS value")
                .get_result::<Pragma>(c)
                .expect("synchronous_commit")
                .value;
            assert_eq!(v, "on", "content writes must be acknowledged only once durable");
        }
    }
    // A friendship with a member that does not exist is refused by the foreign key.
    let orphan = conn.batch_execute(
        "INSERT INTO friendships (member_id, friend_id, created_at) VALUES (424242, 434343, 0)",
    );
    assert!(orphan.is_err(), "foreign keys not enforced");
}

fn corrupt_sqlite_file_is_one_clear_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("broken.sqlite3");
    std::fs::write(
        &path,
        b"this is not a database, it is a diary written with a text editor\n".repeat(100),
    )
    .expect("write junk");
    let err = Db::open(&DatabaseUrl::Sqlite(path.clone()), &DbOptions::default())
        .expect_err("junk opened");
    assert!(matches!(err, OpenError::Corrupt { .. }), "{err:?}");
    let line = err.to_string();
    assert!(
        !line.contains('\n')
            && line.contains("broken.sqlite3")
            && line.contains("not a usable database"),
        "{line}"
    );
    // Nothing was written over the junk: an operator can still inspect it.
    assert!(std::fs::read(&path).expect("still there").starts_with(b"this is not a database"));
}

fn unreachable_postgres_is_one_clear_error() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let url: DatabaseUrl = "postgres://ashiato:hunter2@127.0.0.1:1/ashiato".parse().expect("url");
    let err = Db::open(&url, &DbOptions::default()).expect_err("nothing listens on port 1");
    let line = err.to_string();
    assert!(matches!(err, OpenError::Connect { .. }), "{err:?}");
    assert!(
        line.contains("127.0.0.1:1") && !line.contains("hunter2") && !line.contains('\n'),
        "{line}"
    );
}

/// The pool does not ping a connection before handing it out (issue 17), so a connection that
/// broke under a query must not be handed out again. On PostgreSQL the server ends the
/// connection (as a restart or failover would): the query on it fails, and the next check-out
/// gets a new, working connection. On SQLite a failed statement leaves its connection usable.
fn a_broken_connection_leaves_the_pool(t: &TestDb) {
    use diesel::dsl::sql;
    let options = DbOptions { pool_size: 1, ..DbOptions::default() };
    let db = Db::open(&t.url, &options).expect("a pool of one connection");
    let mut conn = db.conn().expect("the connection");
    let first_pid = match &mut *conn {
        AnyConnection::Postgresql(c) => {
            let pid: i32 =
                diesel::select(sql::<Integer>("pg_backend_pid()")).get_result(c).expect("pid");
            let mut admin = t.db.conn().expect("another connection");
            diesel::sql_query(format!("SELECT pg_terminate_backend({pid})"))
                .execute(&mut *admin)
                .expect("terminate");
            // Wait until the server process is gone, so the next query meets a closed socket.
            for _ in 0..100 {
                let alive: i64 = diesel::select(sql::<BigInt>(&format!(
                    "(SELECT count(*) FROM pg_stat_activity WHERE pid = {pid})"
                )))
                .get_result(&mut *admin)
                .expect("activity");
                if alive == 0 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Some(pid)
        }
        AnyConnection::Sqlite(_) => None,
    };
    let failed = diesel::sql_query("SELECT * FROM no_such_table").execute(&mut *conn);
    assert!(failed.is_err(), "the query on the broken connection fails");
    drop(conn);
    let mut conn = db.conn().expect("the pool hands out a connection again");
    let one: i32 = diesel::select(sql::<Integer>("1")).get_result(&mut *conn).expect("it works");
    assert_eq!(one, 1);
    if let (Some(old), AnyConnection::Postgresql(c)) = (first_pid, &mut *conn) {
        let pid: i32 =
            diesel::select(sql::<Integer>("pg_backend_pid()")).get_result(c).expect("pid");
        assert_ne!(pid, old, "a new server connection, not the dropped one");
    }
}

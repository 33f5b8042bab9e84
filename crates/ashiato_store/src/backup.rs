//! Consistent copies of the database for `ashiato backup` and `ashiato restore`, and the
//! per-table digest that proves a restored database holds what was copied.
//!
//! A digest is a row count and an order-independent sum of one hash per row, computed by the
//! backend itself over the row's full text (every column), so a lost, added or altered row
//! changes it. It is specific to the backend: a SQLite backup is compared with a SQLite
//! restore, a PostgreSQL one with PostgreSQL.

use std::path::Path;

use diesel::pg::PgConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::db::AnyConnection;

/// One table's row count and content digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDigest {
    /// Table name.
    pub name: String,
    /// Rows in the table.
    pub rows: i64,
    /// Sum of the rows' hashes, as text (hex on SQLite, decimal on PostgreSQL).
    pub digest: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Table names come from the database's own catalogue; they are still checked before they
/// are spliced into SQL, so an odd name can never become a statement.
fn checked(name: String) -> Result<String, StoreError> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(name)
    } else {
        Err(StoreError::Unavailable(format!("unexpected table name {name:?}")))
    }
}

/// Every table of the database, sorted, without the engine's own (`sqlite_*`).
pub fn tables(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    match conn {
        AnyConnection::Sqlite(c) => sqlite_tables(c),
        AnyConnection::Postgresql(c) => postgres_tables(c),
    }
}

fn sqlite_tables(c: &mut SqliteConnection) -> Result<Vec<String>, StoreError> {
    diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' \
         ESCAPE '\\' ORDER BY name",
    )
    .load::<Name>(c)?
    .into_iter()
    .map(|n| checked(n.name))
    .collect()
}

fn postgres_tables(c: &mut PgConnection) -> Result<Vec<String>, StoreError> {
    diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .load::<Name>(c)?
    .into_iter()
    .map(|n| checked(n.name))
    .collect()
}

/// The digest of every table (see the module comment).
pub fn digests(conn: &mut AnyConnection) -> Result<Vec<TableDigest>, StoreError> {
    match conn {
        AnyConnection::Sqlite(c) => sqlite_digests(c),
        AnyConnection::Postgresql(c) => postgres_digests(c),
    }
}

/// Rows are read in pages by rowid, each rendered by SQLite's `quote()` (exact text for every
/// type, blobs as hex), hashed with SHA-256; the first 8 bytes are summed modulo 2^64.
fn sqlite_digests(c: &mut SqliteConnection) -> Result<Vec<TableDigest>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        line: String,
    }
    const PAGE: i64 = 20_000;
    let mut out = Vec::new();
    for table in sqlite_tables(c)? {
        let columns: Vec<String> =
            diesel::sql_query("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind::<Text, _>(&table)
                .load::<Name>(c)?
                .into_iter()
                .map(|n| checked(n.name))
                .collect::<Result<_, _>>()?;
        let line = columns
            .iter()
            .map(|col| format!("quote(\"{col}\")"))
            .collect::<Vec<_>>()
            .join(" || char(31) || ");
        let sql = format!(
            "SELECT rowid AS id, {line} AS line FROM \"{table}\" WHERE rowid > ? \
             ORDER BY rowid LIMIT {PAGE}"
        );
        let (mut rows, mut sum, mut after) = (0i64, 0u64, i64::MIN);
        loop {
            let page = diesel::sql_query(&sql).bind::<BigInt, _>(after).load::<Row>(c)?;
            for row in &page {
                let hash = Sha256::digest(row.line.as_bytes());
                let mut first = [0u8; 8];
                first.copy_from_slice(&hash[..8]);
                sum = sum.wrapping_add(u64::from_be_bytes(first));
                rows += 1;
            }
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => after = last.id,
                _ => break,
            }
        }
        out.push(TableDigest { name: table, rows, digest: format!("{sum:016x}") });
    }
    Ok(out)
}

/// One aggregate per table on the server: the row's text form (`t::text`, every column) is
/// hashed with md5 and 60 bits of it summed (as `numeric`, so it cannot overflow).
fn postgres_digests(c: &mut PgConnection) -> Result<Vec<TableDigest>, StoreError> {
    #[derive(QueryableByName)]
    struct Sum {
        #[diesel(sql_type = BigInt)]
        rows: i64,
        #[diesel(sql_type = Text)]
        digest: String,
    }
    let mut out = Vec::new();
    for table in postgres_tables(c)? {
        let sum = diesel::sql_query(format!(
            "SELECT count(*)::bigint AS rows, \
             coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text \
             AS digest FROM \"{table}\" AS t"
        ))
        .get_result::<Sum>(c)?;
        out.push(TableDigest { name: table, rows: sum.rows, digest: sum.digest });
    }
    Ok(out)
}

/// Whether the database has no tables at all (a restore goes only into an empty one).
pub fn is_empty(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    Ok(tables(conn)?.is_empty())
}

/// SQLite: writes a transactionally consistent copy of the whole database to `dest` (which
/// must not exist) with `VACUUM INTO`. It reads in one transaction, so writers carry on (WAL)
/// and the copy holds exactly the commits before it started.
pub fn sqlite_snapshot(conn: &mut AnyConnection, dest: &Path) -> Result<(), StoreError> {
    let AnyConnection::Sqlite(c) = conn else {
        return Err(StoreError::Unavailable("VACUUM INTO needs SQLite".into()));
    };
    let dest = dest
        .to_str()
        .ok_or_else(|| StoreError::Unavailable(format!("{} is not UTF-8", dest.display())))?;
    diesel::sql_query("VACUUM INTO ?").bind::<Text, _>(dest).execute(c)?;
    Ok(())
}

/// Opens a SQLite file by itself (a backup's copy, or a restored file before the server
/// runs), outside any pool.
pub fn open_sqlite_file(path: &Path) -> Result<AnyConnection, StoreError> {
    let url = path
        .to_str()
        .ok_or_else(|| StoreError::Unavailable(format!("{} is not UTF-8", path.display())))?;
    let c = SqliteConnection::establish(url)
        .map_err(|e| StoreError::Unavailable(format!("opening {}: {e}", path.display())))?;
    Ok(AnyConnection::Sqlite(c))
}

/// Opens a PostgreSQL database by itself, outside any pool (a restore's target).
pub fn open_postgres(url: &str) -> Result<AnyConnection, StoreError> {
    let c = PgConnection::establish(url).map_err(|e| {
        StoreError::Unavailable(format!("connecting to PostgreSQL: {}", first_line(&e.to_string())))
    })?;
    Ok(AnyConnection::Postgresql(c))
}

/// libpq's messages may quote the connection string; the first line never holds a password.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// PostgreSQL: opens a `REPEATABLE READ, READ ONLY` transaction, exports its snapshot, takes
/// the digests in it and calls `dump` with the snapshot's name while the transaction stays
/// open, so `pg_dump --snapshot` copies exactly the rows the digests describe, however busy
/// the server is meanwhile. Returns the digests and what `dump` returned.
pub fn with_postgres_snapshot<T>(
    conn: &mut AnyConnection,
    dump: impl FnOnce(&str) -> T,
) -> Result<(Vec<TableDigest>, T), StoreError> {
    let AnyConnection::Postgresql(c) = conn else {
        return Err(StoreError::Unavailable("exported snapshots need PostgreSQL".into()));
    };
    let mut outcome = None;
    c.build_transaction().repeatable_read().read_only().run::<_, StoreError, _>(|c| {
        let snapshot =
            diesel::sql_query("SELECT pg_export_snapshot() AS name").get_result::<Name>(c)?.name;
        let digests = postgres_digests(c)?;
        outcome = Some((digests, dump(&snapshot)));
        Ok(())
    })?;
    outcome.ok_or_else(|| StoreError::Unavailable("the snapshot transaction did not run".into()))
}

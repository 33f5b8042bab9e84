//! Announcements (お知らせ): what the operators tell every member, shown on the home page
//! between two times.

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::db::{AnyConnection, native};
use crate::schema::announcements;
use crate::{StoreError, StoreResult};

/// Announcements shown on a home page at once, at most.
pub const SHOWN: i64 = 3;

/// An announcement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Shown from.
    pub starts_at: Timestamp,
    /// Shown until (exclusive).
    pub ends_at: Timestamp,
}

type Row = (i64, String, String, i64, i64);

/// The columns of a [`Row`].
const COLUMNS: (
    announcements::id,
    announcements::title,
    announcements::body,
    announcements::starts_at,
    announcements::ends_at,
) = (
    announcements::id,
    announcements::title,
    announcements::body,
    announcements::starts_at,
    announcements::ends_at,
);

fn from_row((id, title, body, starts_at, ends_at): Row) -> Announcement {
    Announcement { id, title, body, starts_at: Timestamp(starts_at), ends_at: Timestamp(ends_at) }
}

/// Stores an announcement (`ends_at` after `starts_at`: `Rejected(NotAllowed)` otherwise).
/// Call inside [`crate::write`].
pub fn create(
    conn: &mut AnyConnection,
    by: Option<MemberId>,
    title: &str,
    body: &str,
    window: (Timestamp, Timestamp),
    now: Timestamp,
) -> StoreResult<i64> {
    if window.1 <= window.0 {
        return Err(StoreError::Rejected(ashiato_core::Problem::NotAllowed));
    }
    Ok(diesel::insert_into(announcements::table)
        .values((
            announcements::title.eq(title),
            announcements::body.eq(body),
            announcements::starts_at.eq(window.0.0),
            announcements::ends_at.eq(window.1.0),
            announcements::created_by.eq(by.map(|m| m.0)),
            announcements::created_at.eq(now.0),
        ))
        .returning(announcements::id)
        .get_result(conn)?)
}

/// The announcements shown at `now`, newest start first, at most [`SHOWN`].
pub fn current(conn: &mut AnyConnection, now: Timestamp) -> StoreResult<Vec<Announcement>> {
    let rows: Vec<Row> = native!(conn, c => announcements::table
        .filter(announcements::ends_at.gt(now.0))
        .filter(announcements::starts_at.le(now.0))
        .order((announcements::starts_at.desc(), announcements::id.desc()))
        .limit(SHOWN)
        .select(COLUMNS)
        .load(c))?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Every announcement, newest first (the console's list).
pub fn all(conn: &mut AnyConnection, limit: i64) -> StoreResult<Vec<Announcement>> {
    let rows: Vec<Row> = announcements::table
        .order(announcements::id.desc())
        .limit(limit)
        .select(COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Removes an announcement; `NotFound` when there is none with that id.
pub fn delete(conn: &mut AnyConnection, id: i64) -> StoreResult<()> {
    let n = diesel::delete(announcements::table.find(id)).execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

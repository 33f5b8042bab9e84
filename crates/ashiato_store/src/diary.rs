//! Diary entries and their comments.

use ashiato_core::{CommentId, DiaryId, MemberId, Scope, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::accounts::scope_or_private;
use crate::db::AnyConnection;
use crate::schema::{diary_comments, diary_entries};

/// A diary entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Id.
    pub id: DiaryId,
    /// Author.
    pub author: MemberId,
    /// Title.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Who may read it.
    pub scope: Scope,
    /// Number of comments.
    pub comment_count: i32,
    /// Written at.
    pub created_at: Timestamp,
}

type EntryRow = (i64, i64, String, String, String, i32, i64);

fn entry(r: EntryRow) -> Entry {
    Entry {
        id: DiaryId(r.0),
        author: MemberId(r.1),
        title: r.2,
        body: r.3,
        scope: scope_or_private(&r.4),
        comment_count: r.5,
        created_at: Timestamp(r.6),
    }
}

const ENTRY_COLUMNS: (
    diary_entries::id,
    diary_entries::author_id,
    diary_entries::title,
    diary_entries::body,
    diary_entries::scope,
    diary_entries::comment_count,
    diary_entries::created_at,
) = (
    diary_entries::id,
    diary_entries::author_id,
    diary_entries::title,
    diary_entries::body,
    diary_entries::scope,
    diary_entries::comment_count,
    diary_entries::created_at,
);

/// Writes a new entry. Title and body must already be validated.
pub fn create_entry(
    conn: &mut AnyConnection,
    author: MemberId,
    title: &str,
    body: &str,
    scope: Scope,
    now: Timestamp,
) -> StoreResult<DiaryId> {
    Ok(DiaryId(
        diesel::insert_into(diary_entries::table)
            .values((
                diary_entries::author_id.eq(author.0),
                diary_entries::title.eq(title),
                diary_entries::body.eq(body),
                diary_entries::scope.eq(scope.as_str()),
                diary_entries::created_at.eq(now.0),
                diary_entries::updated_at.eq(now.0),
            ))
            .returning(diary_entries::id)
            .get_result::<i64>(conn)?,
    ))
}

/// Loads one entry (no scope check: callers decide visibility).
pub fn find_entry(conn: &mut AnyConnection, id: DiaryId) -> StoreResult<Entry> {
    Ok(entry(diary_entries::table.find(id.0).select(ENTRY_COLUMNS).first::<EntryRow>(conn)?))
}

/// An author's entries, newest first (no scope filter: callers decide visibility).
pub fn list_by_author(
    conn: &mut AnyConnection,
    author: MemberId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Entry>> {
    Ok(diary_entries::table
        .filter(diary_entries::author_id.eq(author.0))
        .order((diary_entries::created_at.desc(), diary_entries::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(ENTRY_COLUMNS)
        .load::<EntryRow>(conn)?
        .into_iter()
        .map(entry)
        .collect())
}

/// Adds a comment and counts it on the entry. Call inside [`crate::write`].
pub fn add_comment(
    conn: &mut AnyConnection,
    entry: DiaryId,
    author: MemberId,
    body: &str,
    now: Timestamp,
) -> StoreResult<CommentId> {
    let id = diesel::insert_into(diary_comments::table)
        .values((
            diary_comments::entry_id.eq(entry.0),
            diary_comments::author_id.eq(author.0),
            diary_comments::body.eq(body),
            diary_comments::created_at.eq(now.0),
        ))
        .returning(diary_comments::id)
        .get_result::<i64>(conn)?;
    diesel::update(diary_entries::table.find(entry.0))
        .set(diary_entries::comment_count.eq(diary_entries::comment_count + 1))
        .execute(conn)?;
    Ok(CommentId(id))
}

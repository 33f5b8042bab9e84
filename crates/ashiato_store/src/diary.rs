//! Diary entries and their comments.

use ashiato_core::{CommentId, DiaryId, MemberId, PhotoId, Scope, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::accounts::scope_or_private;
use crate::db::{AnyConnection, native};
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

pub(crate) type EntryRow = (i64, i64, String, String, String, i32, i64);

pub(crate) fn entry(r: EntryRow) -> Entry {
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

/// `scope = ? OR scope = ? OR scope = ? OR scope = ?`: the scopes a relation may read, as a
/// filter whose SQL text is the same for every relation (see `visible_scope_binds`).
type ScopeIs = diesel::dsl::Eq<diary_entries::scope, &'static str>;
type ScopeVisible =
    diesel::dsl::Or<diesel::dsl::Or<diesel::dsl::Or<ScopeIs, ScopeIs>, ScopeIs>, ScopeIs>;

fn scope_visible(relation: ashiato_core::Relation) -> ScopeVisible {
    let [a, b, c, d] = crate::relation::visible_scope_binds(relation);
    diary_entries::scope
        .eq(a)
        .or(diary_entries::scope.eq(b))
        .or(diary_entries::scope.eq(c))
        .or(diary_entries::scope.eq(d))
}

/// Loads one entry (no scope check: callers decide visibility).
pub fn find_entry(conn: &mut AnyConnection, id: DiaryId) -> StoreResult<Entry> {
    Ok(entry(diary_entries::table.find(id.0).select(ENTRY_COLUMNS).first::<EntryRow>(conn)?))
}

/// Loads one entry and its author in one statement (no scope check: callers decide
/// visibility).
pub fn find_entry_with_author(
    conn: &mut AnyConnection,
    id: DiaryId,
) -> StoreResult<(Entry, crate::accounts::Member)> {
    use crate::accounts::MemberRow;
    // Built inside `native!`: `as_select()` names the backend in the query's type.
    let (row, author) = native!(conn, c => diary_entries::table
        .inner_join(crate::schema::members::table)
        .filter(diary_entries::id.eq(id.0))
        .select((ENTRY_COLUMNS, MemberRow::as_select()))
        .first::<(EntryRow, MemberRow)>(c))?;
    Ok((entry(row), author.into()))
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

use ashiato_core::Relation;

use crate::StoreError;
use crate::friends::{MemberSummary, MemberSummaryRow};
use crate::schema::{friendships, members};

/// An author's entries a viewer in `relation` may read, newest first.
pub fn list_visible(
    conn: &mut AnyConnection,
    author: MemberId,
    relation: Relation,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Entry>> {
    Ok(diary_entries::table
        .filter(diary_entries::author_id.eq(author.0))
        .filter(scope_visible(relation))
        .order((diary_entries::created_at.desc(), diary_entries::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(ENTRY_COLUMNS)
        .load::<EntryRow>(conn)?
        .into_iter()
        .map(entry)
        .collect())
}

/// How many of an author's entries a viewer in `relation` may read.
pub fn count_visible(
    conn: &mut AnyConnection,
    author: MemberId,
    relation: Relation,
) -> StoreResult<i64> {
    Ok(diary_entries::table
        .filter(diary_entries::author_id.eq(author.0))
        .filter(scope_visible(relation))
        .count()
        .get_result(conn)?)
}

/// The visible entries just older and just newer than `e` by the same author.
pub fn neighbors(
    conn: &mut AnyConnection,
    e: &Entry,
    relation: Relation,
) -> StoreResult<(Option<DiaryId>, Option<DiaryId>)> {
    let base = || {
        diary_entries::table
            .filter(diary_entries::author_id.eq(e.author.0))
            .filter(scope_visible(relation))
            .select(diary_entries::id)
    };
    let older = base()
        .filter(
            diary_entries::created_at
                .lt(e.created_at.0)
                .or(diary_entries::created_at.eq(e.created_at.0).and(diary_entries::id.lt(e.id.0))),
        )
        .order((diary_entries::created_at.desc(), diary_entries::id.desc()))
        .limit(1)
        .single_value();
    let newer = base()
        .filter(
            diary_entries::created_at
                .gt(e.created_at.0)
                .or(diary_entries::created_at.eq(e.created_at.0).and(diary_entries::id.gt(e.id.0))),
        )
        .order((diary_entries::created_at.asc(), diary_entries::id.asc()))
        .limit(1)
        .single_value();
    // Both as scalar subqueries of one SELECT: one statement, one round trip.
    let (older, newer) = native!(conn, c => diesel::select((older, newer))
        .get_result::<(Option<i64>, Option<i64>)>(c))?;
    Ok((older.map(DiaryId), newer.map(DiaryId)))
}

/// Replaces an entry's title, body and scope. Only the author may: anyone else gets
/// `NotFound`, the same answer as for an entry that does not exist.
pub fn update_entry(
    conn: &mut AnyConnection,
    id: DiaryId,
    author: MemberId,
    title: &str,
    body: &str,
    scope: Scope,
    now: Timestamp,
) -> StoreResult<()> {
    let n = diesel::update(
        diary_entries::table.find(id.0).filter(diary_entries::author_id.eq(author.0)),
    )
    .set((
        diary_entries::title.eq(title),
        diary_entries::body.eq(body),
        diary_entries::scope.eq(scope.as_str()),
        diary_entries::updated_at.eq(now.0),
    ))
    .execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Deletes an entry (and its comments), and releases its photos; returns their files for
/// [`crate::photos::remove_unreferenced_files`]. Only the author may; others get `NotFound`.
/// Call inside [`crate::write`] so the entry and its photo rows go together.
pub fn delete_entry(
    conn: &mut AnyConnection,
    id: DiaryId,
    author: MemberId,
) -> StoreResult<Vec<crate::photos::Freed>> {
    let photo_ids: Vec<PhotoId> = crate::schema::diary_photos::table
        .filter(crate::schema::diary_photos::entry_id.eq(id.0))
        .select(crate::schema::diary_photos::photo_id)
        .load::<i64>(conn)?
        .into_iter()
        .map(PhotoId)
        .collect();
    let n = diesel::delete(
        diary_entries::table.find(id.0).filter(diary_entries::author_id.eq(author.0)),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    crate::photos::release(conn, &photo_ids)
}

/// The author's identical comment on `entry` written at or after `since`, if any: a second
/// submit of the same form (content::DOUBLE_SUBMIT_MS) is answered with the first one.
pub fn same_comment_since(
    conn: &mut AnyConnection,
    entry: DiaryId,
    author: MemberId,
    body: &str,
    since: Timestamp,
) -> StoreResult<Option<CommentId>> {
    Ok(diary_comments::table
        .filter(diary_comments::entry_id.eq(entry.0))
        .filter(diary_comments::author_id.eq(author.0))
        .filter(diary_comments::body.eq(body))
        .filter(diary_comments::created_at.ge(since.0))
        .select(diary_comments::id)
        .first::<i64>(conn)
        .optional()?
        .map(CommentId))
}

/// A comment with its author.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Id.
    pub id: CommentId,
    /// The entry it belongs to.
    pub entry: DiaryId,
    /// Author.
    pub author: MemberSummary,
    /// Text.
    pub body: String,
    /// When.
    pub created_at: Timestamp,
}

/// An entry's comments, oldest first (a conversation reads top down): every one, for the
/// author's archive and mail; pages read [`comments_for`].
pub fn comments(
    conn: &mut AnyConnection,
    entry: DiaryId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Comment>> {
    // Nobody has id 0, so nobody is muted.
    comments_for(conn, entry, MemberId(0), limit, offset)
}

/// An entry's comments as `reader` sees them (without those of members they muted), oldest
/// first.
pub fn comments_for(
    conn: &mut AnyConnection,
    entry: DiaryId,
    reader: MemberId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Comment>> {
    let muted = crate::mutes::muted_by(reader);
    Ok(native!(conn, c => diary_comments::table
        .inner_join(members::table.on(members::id.eq(diary_comments::author_id)))
        .filter(members::suspended_at.is_null())
        .filter(diary_comments::entry_id.eq(entry.0))
        .filter(diary_comments::author_id.ne_all(muted))
        .order((diary_comments::created_at.asc(), diary_comments::id.asc()))
        .limit(limit)
        .offset(offset)
        .select((
            diary_comments::id,
            diary_comments::entry_id,
            MemberSummaryRow::as_select(),
            diary_comments::body,
            diary_comments::created_at,
        ))
        .load::<(i64, i64, MemberSummaryRow, String, i64)>(c))?
    .into_iter()
    .map(|(id, entry, author, body, at)| Comment {
        id: CommentId(id),
        entry: DiaryId(entry),
        author: MemberSummary::from(author),
        body,
        created_at: Timestamp(at),
    })
    .collect())
}

/// Deletes a comment if `by` wrote it or owns the entry; otherwise `NotFound`. Call inside
/// [`crate::write`].
pub fn delete_comment(
    conn: &mut AnyConnection,
    id: CommentId,
    by: MemberId,
) -> StoreResult<DiaryId> {
    let (entry, author): (i64, i64) = diary_comments::table
        .find(id.0)
        .select((diary_comments::entry_id, diary_comments::author_id))
        .first(conn)?;
    let owner: i64 =
        diary_entries::table.find(entry).select(diary_entries::author_id).first(conn)?;
    if by.0 != author && by.0 != owner {
        return Err(StoreError::NotFound);
    }
    diesel::delete(diary_comments::table.find(id.0)).execute(conn)?;
    diesel::update(diary_entries::table.find(entry))
        .set(diary_entries::comment_count.eq(diary_entries::comment_count - 1))
        .execute(conn)?;
    Ok(DiaryId(entry))
}

/// An entry in a list that shows its author.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedItem {
    /// The entry.
    pub entry: Entry,
    /// Its author's nickname.
    pub author_nickname: String,
}

/// Friends' newest entries that `viewer` may read (friends see public, fof and friends
/// entries), excluding anyone in a block with the viewer.
pub fn friends_feed(
    conn: &mut AnyConnection,
    viewer: MemberId,
    limit: i64,
) -> StoreResult<Vec<FeedItem>> {
    let (blocked_by_viewer, blocking_viewer) = crate::relation::blocks_either_way(viewer);
    let muted = crate::mutes::muted_by(viewer);
    Ok(native!(conn, c => diary_entries::table
        .inner_join(friendships::table.on(friendships::friend_id.eq(diary_entries::author_id)))
        .inner_join(members::table.on(members::id.eq(diary_entries::author_id)))
        .filter(members::suspended_at.is_null())
        .filter(friendships::member_id.eq(viewer.0))
        .filter(scope_visible(Relation::Friend))
        .filter(diary_entries::author_id.ne_all(blocked_by_viewer))
        .filter(diary_entries::author_id.ne_all(blocking_viewer))
        .filter(diary_entries::author_id.ne_all(muted))
        .order((diary_entries::created_at.desc(), diary_entries::id.desc()))
        .limit(limit)
        .select((ENTRY_COLUMNS, members::nickname))
        .load::<(EntryRow, String)>(c))?
    .into_iter()
    .map(|(row, author_nickname)| FeedItem { entry: entry(row), author_nickname })
    .collect())
}

/// Recent comments by others on `owner`'s entries (for the home page), newest first.
pub fn comments_on_mine(
    conn: &mut AnyConnection,
    owner: MemberId,
    since: Timestamp,
    limit: i64,
) -> StoreResult<Vec<(Comment, String)>> {
    // Comments written before a block stay on the entry, but not in the owner's home feed.
    let (blocked_by_owner, blocking_owner) = crate::relation::blocks_either_way(owner);
    let muted = crate::mutes::muted_by(owner);
    Ok(native!(conn, c => diary_comments::table
        .inner_join(diary_entries::table.on(diary_entries::id.eq(diary_comments::entry_id)))
        .inner_join(members::table.on(members::id.eq(diary_comments::author_id)))
        .filter(members::suspended_at.is_null())
        .filter(diary_entries::author_id.eq(owner.0))
        .filter(diary_comments::author_id.ne(owner.0))
        .filter(diary_comments::author_id.ne_all(blocked_by_owner))
        .filter(diary_comments::author_id.ne_all(blocking_owner))
        .filter(diary_comments::author_id.ne_all(muted))
        .filter(diary_comments::created_at.ge(since.0))
        .order((diary_comments::created_at.desc(), diary_comments::id.desc()))
        .limit(limit)
        .select((
            diary_comments::id,
            diary_comments::entry_id,
            MemberSummaryRow::as_select(),
            diary_comments::body,
            diary_comments::created_at,
            diary_entries::title,
        ))
        .load::<(i64, i64, MemberSummaryRow, String, i64, String)>(c))?
    .into_iter()
    .map(|(id, entry, author, body, at, title)| {
        (
            Comment {
                id: CommentId(id),
                entry: DiaryId(entry),
                author: MemberSummary::from(author),
                body,
                created_at: Timestamp(at),
            },
            title,
        )
    })
    .collect())
}

/// A comment's entry and author, whoever may see them (moderation and reports check the
/// reader's view themselves). `NotFound` when it is gone.
pub fn comment_owner(conn: &mut AnyConnection, id: CommentId) -> StoreResult<(DiaryId, MemberId)> {
    let (entry, author): (i64, i64) = diary_comments::table
        .find(id.0)
        .select((diary_comments::entry_id, diary_comments::author_id))
        .first(conn)?;
    Ok((DiaryId(entry), MemberId(author)))
}

/// A comment's text, whoever wrote it.
pub fn comment_body(conn: &mut AnyConnection, id: CommentId) -> StoreResult<String> {
    Ok(diary_comments::table.find(id.0).select(diary_comments::body).first(conn)?)
}

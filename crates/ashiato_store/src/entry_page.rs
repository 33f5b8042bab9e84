//! A diary entry's page as one reader sees it: the entry and its author, the reader's relation
//! to the author, the neighbouring entries the reader may open, the thread and the photos.
//!
//! Every member reads these pages all day, so how many trips to the database one costs is the
//! page's cost (issue 17). On SQLite a statement is a few microseconds in this process and the
//! page runs one statement per question ([`entry_page_in_steps`]). On PostgreSQL every statement
//! is a round trip with its own protocol messages, executor start and wake-ups on both sides,
//! which was more of PostgreSQL's CPU than the queries themselves: there the whole page is one
//! statement ([`entry_page`]), and the steps remain as the reference it is tested against.
//!
//! The rules stay in Rust either way: which scopes a relation may read comes from
//! [`ashiato_core::Scope::allows`] (bound as four arrays), the relation from
//! [`Relation::from_facts`] over the facts the statement returns, and the entry's own
//! visibility is checked here after the row arrives. Only the precedence of the facts (owner,
//! then a block, then a friendship, then a shared friend) is written again in SQL, to pick the
//! neighbours' scopes; the relation the statement used comes back with the row and must agree.

use ashiato_core::{CommentId, DiaryId, MemberId, Relation, Timestamp};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

use crate::accounts::{Member, MemberRow};
use crate::db::AnyConnection;
use crate::diary::{Comment, Entry};
use crate::friends::MemberSummary;
use crate::photos::Photo;
use crate::{StoreError, StoreResult, diary, photos, relation};

/// Everything an entry's page shows, read for one reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryPage {
    /// The entry.
    pub entry: Entry,
    /// Its author.
    pub author: Member,
    /// How the reader relates to the author.
    pub relation: Relation,
    /// The author's previous entry the reader may see.
    pub older: Option<DiaryId>,
    /// The author's next entry the reader may see.
    pub newer: Option<DiaryId>,
    /// The oldest comments the reader sees (none by suspended or muted members), up to the
    /// limit asked for.
    pub comments: Vec<Comment>,
    /// The entry's photos in slot order.
    pub photos: Vec<Photo>,
}

/// The page of entry `id` for `viewer`, with up to `comments` comments: one statement on
/// PostgreSQL, [`entry_page_in_steps`] on SQLite. A missing entry and one the reader may not
/// see (scope, block, suspension) are the same `NotFound`: existence does not leak.
pub fn entry_page(
    conn: &mut AnyConnection,
    viewer: MemberId,
    id: DiaryId,
    comments: i64,
) -> StoreResult<EntryPage> {
    match conn {
        AnyConnection::Postgresql(pg) => entry_page_pg(pg, viewer, id, comments),
        AnyConnection::Sqlite(_) => entry_page_in_steps(conn, viewer, id, comments),
    }
}

/// [`entry_page`] one question per statement, on either backend: the entry with its author,
/// the relation, then (if the reader may see the entry) the neighbours, comments and photos.
/// SQLite's path, and the reference PostgreSQL's single statement is tested against.
pub fn entry_page_in_steps(
    conn: &mut AnyConnection,
    viewer: MemberId,
    id: DiaryId,
    comments: i64,
) -> StoreResult<EntryPage> {
    let (entry, author) = diary::find_entry_with_author(conn, id)?;
    let relation = relation::relation(conn, Some(viewer), entry.author)?;
    if !entry.scope.allows(relation) {
        return Err(StoreError::NotFound);
    }
    let (older, newer) = diary::neighbors(conn, &entry, relation)?;
    let comments = diary::comments_for(conn, entry.id, viewer, comments, 0)?;
    let photos = photos::entry_photos(conn, entry.id)?;
    Ok(EntryPage { entry, author, relation, older, newer, comments, photos })
}

/// The relations whose readable scopes the statement is given, in the order of its binds.
const SCOPE_LISTS: [Relation; 4] =
    [Relation::Owner, Relation::Friend, Relation::FriendOfFriend, Relation::Member];

/// The statement's one row. Comments and photos come as arrays of records (`NULL` when there
/// are none), so the thread costs no second statement.
type PageRow = (
    diary::EntryRow,
    MemberRow,
    (bool, bool, bool, String),
    (Option<i64>, Option<i64>),
    Option<Vec<(i64, i64, String, String, i64)>>,
    Option<Vec<photos::PhotoRow>>,
);

fn entry_page_pg(
    conn: &mut PgConnection,
    viewer: MemberId,
    id: DiaryId,
    comments: i64,
) -> StoreResult<EntryPage> {
    let query = EntryPageQuery {
        entry: id.0,
        viewer: viewer.0,
        comments,
        scopes: SCOPE_LISTS.map(relation::visible_scopes),
    };
    let (e, author, (blocked, friend, shared, used), (older, newer), thread, pictures) =
        query.get_result::<PageRow>(conn)?;
    let entry = diary::entry(e);
    let relation = Relation::from_facts(entry.author == viewer, true, blocked, friend, shared);
    if used != relation_name(relation) {
        // The SQL's precedence of the facts drifted from `Relation::from_facts`: the
        // neighbours were filtered for another relation. Refuse rather than show them.
        return Err(StoreError::Unavailable(format!(
            "entry page statement chose relation {used}, the rules say {}",
            relation_name(relation)
        )));
    }
    if !entry.scope.allows(relation) {
        return Err(StoreError::NotFound);
    }
    let comments = thread
        .unwrap_or_default()
        .into_iter()
        .map(|(cid, author, nickname, body, at)| Comment {
            id: CommentId(cid),
            entry: entry.id,
            author: MemberSummary { id: MemberId(author), nickname },
            body,
            created_at: Timestamp(at),
        })
        .collect();
    let photos = pictures.unwrap_or_default().into_iter().map(photos::photo).collect();
    Ok(EntryPage {
        entry,
        author: author.into(),
        relation,
        older: older.map(DiaryId),
        newer: newer.map(DiaryId),
        comments,
        photos,
    })
}

/// The name the statement gives a relation (`blocked` also for one that sees nothing).
fn relation_name(relation: Relation) -> &'static str {
    match relation {
        Relation::Owner => "owner",
        Relation::Blocked | Relation::Anonymous => "blocked",
        Relation::Friend => "friend",
        Relation::FriendOfFriend => "fof",
        Relation::Member => "member",
    }
}

/// The PostgreSQL statement behind [`entry_page`]. A type of its own, so that diesel prepares
/// it once per connection and finds it again by type (no SQL text is built per request).
#[derive(Debug, Clone)]
struct EntryPageQuery {
    entry: i64,
    viewer: i64,
    comments: i64,
    /// Readable scope names for each relation of [`SCOPE_LISTS`].
    scopes: [Vec<&'static str>; 4],
}

impl QueryId for EntryPageQuery {
    type QueryId = EntryPageQuery;
    const HAS_STATIC_QUERY_ID: bool = true;
}

type MemberSql = (
    diesel::sql_types::BigInt,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Nullable<diesel::sql_types::Text>,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Text,
    diesel::sql_types::Bool,
    diesel::sql_types::Bool,
    diesel::sql_types::Text,
    diesel::sql_types::Bool,
    diesel::sql_types::BigInt,
    diesel::sql_types::BigInt,
    diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
    diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
    diesel::sql_types::Nullable<diesel::sql_types::Text>,
);

impl Query for EntryPageQuery {
    type SqlType = (
        (
            diesel::sql_types::BigInt,
            diesel::sql_types::BigInt,
            diesel::sql_types::Text,
            diesel::sql_types::Text,
            diesel::sql_types::Text,
            diesel::sql_types::Integer,
            diesel::sql_types::BigInt,
        ),
        MemberSql,
        (
            diesel::sql_types::Bool,
            diesel::sql_types::Bool,
            diesel::sql_types::Bool,
            diesel::sql_types::Text,
        ),
        (
            diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
            diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
        ),
        diesel::sql_types::Nullable<
            diesel::sql_types::Array<
                diesel::pg::sql_types::Record<(
                    diesel::sql_types::BigInt,
                    diesel::sql_types::BigInt,
                    diesel::sql_types::Text,
                    diesel::sql_types::Text,
                    diesel::sql_types::BigInt,
                )>,
            >,
        >,
        diesel::sql_types::Nullable<
            diesel::sql_types::Array<
                diesel::pg::sql_types::Record<(
                    diesel::sql_types::BigInt,
                    diesel::sql_types::BigInt,
                    diesel::sql_types::Text,
                    diesel::sql_types::Text,
                    diesel::sql_types::Integer,
                    diesel::sql_types::Integer,
                    diesel::sql_types::Integer,
                    diesel::sql_types::BigInt,
                )>,
            >,
        >,
    );
}

impl RunQueryDsl<PgConnection> for EntryPageQuery {}

impl QueryFragment<Pg> for EntryPageQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Text};
        out.push_sql("WITH p AS (SELECT ");
        out.push_bind_param::<BigInt, _>(&self.entry)?;
        out.push_sql("::int8 AS entry, ");
        out.push_bind_param::<BigInt, _>(&self.viewer)?;
        out.push_sql("::int8 AS viewer, ");
        out.push_bind_param::<BigInt, _>(&self.comments)?;
        out.push_sql("::int8 AS lim");
        for (scopes, name) in self.scopes.iter().zip(["owner", "friend", "fof", "member"]) {
            out.push_sql(", ");
            out.push_bind_param::<Array<Text>, _>(scopes)?;
            out.push_sql("::text[] AS ");
            out.push_sql(name);
        }
        out.push_sql(")");
        out.push_sql(ENTRY_PAGE_SQL);
        Ok(())
    }
}

/// Everything after the parameters. `f` holds the relation's facts as
/// [`crate::relation::relation`] asks them (a shared friend as two index range scans that
/// meet: friendships are stored in both directions); `r` the relation they make and the
/// scopes it reads. The neighbours compare `(created_at, id)` as a row, so each is one index
/// probe. Comments leave out suspended and muted authors, as `diary::comments_for` does.
const ENTRY_PAGE_SQL: &str = "
, e AS (
    SELECT d.id, d.author_id, d.title, d.body, d.scope, d.comment_count, d.created_at
    FROM diary_entries d, p WHERE d.id = p.entry
), f AS (
    SELECT
        EXISTS (SELECT 1 FROM blocks b
                WHERE (b.blocker_id = p.viewer AND b.blocked_id = e.author_id)
                   OR (b.blocker_id = e.author_id AND b.blocked_id = p.viewer))
        OR EXISTS (SELECT 1 FROM members s
                   WHERE s.id = e.author_id AND s.suspended_at IS NOT NULL) AS blocked,
        EXISTS (SELECT 1 FROM friendships x
                WHERE x.member_id = p.viewer AND x.friend_id = e.author_id) AS friend,
        EXISTS (SELECT 1 FROM friendships mine
                JOIN friendships theirs ON theirs.friend_id = mine.friend_id
                WHERE mine.member_id = p.viewer AND theirs.member_id = e.author_id) AS shared
    FROM e, p
), r AS (
    SELECT CASE WHEN e.author_id = p.viewer THEN 'owner'
                WHEN f.blocked THEN 'blocked'
                WHEN f.friend THEN 'friend'
                WHEN f.shared THEN 'fof'
                ELSE 'member' END AS name
    FROM e, p, f
), v AS (
    SELECT r.name, CASE r.name WHEN 'owner' THEN p.owner
                               WHEN 'friend' THEN p.friend
                               WHEN 'fof' THEN p.fof
                               WHEN 'member' THEN p.member
                               ELSE '{}'::text[] END AS scopes
    FROM r, p
)
SELECT e.id, e.author_id, e.title, e.body, e.scope, e.comment_count, e.created_at,
    m.id, m.email, m.nickname, m.introduction, m.introduction_scope, m.birthday,
    m.birthday_scope, m.area, m.area_scope, m.friends_scope, m.default_diary_scope,
    m.stealth_footsteps, m.search_opt_out, m.language, m.is_admin, m.created_at, m.updated_at,
    m.email_confirmed_at, m.suspended_at, m.suspended_reason,
    f.blocked, f.friend, f.shared, v.name,
    (SELECT o.id FROM diary_entries o
     WHERE o.author_id = e.author_id AND o.scope = ANY (v.scopes)
       AND (o.created_at, o.id) < (e.created_at, e.id)
     ORDER BY o.created_at DESC, o.id DESC LIMIT 1),
    (SELECT n.id FROM diary_entries n
     WHERE n.author_id = e.author_id AND n.scope = ANY (v.scopes)
       AND (n.created_at, n.id) > (e.created_at, e.id)
     ORDER BY n.created_at ASC, n.id ASC LIMIT 1),
    (SELECT array_agg(ROW(t.id, t.author_id, t.nickname, t.body, t.created_at)
                      ORDER BY t.created_at, t.id)
     FROM (SELECT c.id, c.author_id, a.nickname, c.body, c.created_at
           FROM diary_comments c JOIN members a ON a.id = c.author_id
           WHERE c.entry_id = e.id AND a.suspended_at IS NULL
             AND c.author_id <> ALL (SELECT mu.muted_id FROM mutes mu
                                     WHERE mu.member_id = p.viewer)
           ORDER BY c.created_at, c.id LIMIT p.lim) t),
    (SELECT array_agg(ROW(ph.id, ph.owner_id, ph.sha256, ph.format, ph.width, ph.height,
                          ph.frames, ph.byte_size) ORDER BY dp.position)
     FROM diary_photos dp JOIN photos ph ON ph.id = dp.photo_id
     WHERE dp.entry_id = e.id)
FROM e JOIN members m ON m.id = e.author_id, p, f, v";

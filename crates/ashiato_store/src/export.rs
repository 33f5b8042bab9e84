//! What a member wrote, for their data export: the queries the pages never need (everything
//! by one author, whatever it belongs to).

use ashiato_core::MemberId;
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::schema::{diary_comments, photos, topic_comments, topics};

/// A comment the member wrote on any diary entry: (comment id, entry id, body, created ms).
pub type WrittenComment = (i64, i64, String, i64);

/// Every diary comment by `me`, oldest first.
pub fn diary_comments_by(
    conn: &mut AnyConnection,
    me: MemberId,
) -> StoreResult<Vec<WrittenComment>> {
    Ok(diary_comments::table
        .filter(diary_comments::author_id.eq(me.0))
        .order((diary_comments::created_at.asc(), diary_comments::id.asc()))
        .select((
            diary_comments::id,
            diary_comments::entry_id,
            diary_comments::body,
            diary_comments::created_at,
        ))
        .load(conn)?)
}

/// A topic the member opened: (id, community id, title, body, created ms).
pub type WrittenTopic = (i64, i64, String, String, i64);

/// Every community topic by `me`, oldest first.
pub fn topics_by(conn: &mut AnyConnection, me: MemberId) -> StoreResult<Vec<WrittenTopic>> {
    Ok(topics::table
        .filter(topics::author_id.eq(me.0))
        .order((topics::created_at.asc(), topics::id.asc()))
        .select((topics::id, topics::community_id, topics::title, topics::body, topics::created_at))
        .load(conn)?)
}

/// Every topic comment by `me`, oldest first: (id, topic id, body, created ms).
pub fn topic_comments_by(
    conn: &mut AnyConnection,
    me: MemberId,
) -> StoreResult<Vec<WrittenComment>> {
    Ok(topic_comments::table
        .filter(topic_comments::author_id.eq(me.0))
        .order((topic_comments::created_at.asc(), topic_comments::id.asc()))
        .select((
            topic_comments::id,
            topic_comments::topic_id,
            topic_comments::body,
            topic_comments::created_at,
        ))
        .load(conn)?)
}

/// Every photo `me` uploaded: (id, master SHA-256, format).
pub fn photos_by(
    conn: &mut AnyConnection,
    me: MemberId,
) -> StoreResult<Vec<(i64, String, String)>> {
    Ok(photos::table
        .filter(photos::owner_id.eq(me.0))
        .order(photos::id.asc())
        .select((photos::id, photos::sha256, photos::format))
        .load(conn)?)
}

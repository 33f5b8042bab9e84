//! Running a community: roles (admin, sub-admins), the community's name and description,
//! removing members, and editing or deleting topics and topic comments. Who may do what is
//! decided by the caller (`ashiato_app::communities`) from [`role`]; these functions only do it.

use ashiato_core::{CommunityId, MemberId, PhotoId, Timestamp, TopicCommentId, TopicId};
use diesel::prelude::*;

use crate::communities::{Community, Membership, find, membership};
use crate::db::AnyConnection;
use crate::photos::Freed;
use crate::schema::{communities, community_members, community_photos, topic_comments, topics};
use crate::{StoreError, StoreResult};

/// A member's role in a community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Not a joined member.
    Outsider,
    /// A joined member.
    Member,
    /// A sub-admin: moderates topics, comments and members beside the admin.
    SubAdmin,
    /// The admin.
    Admin,
}

impl Role {
    /// Whether this role moderates (deletes others' topics and comments, removes members).
    pub fn moderates(self) -> bool {
        self >= Role::SubAdmin
    }
}

/// `member`'s role in `c`. `NotFound` for a missing community.
pub fn role(conn: &mut AnyConnection, c: CommunityId, member: MemberId) -> StoreResult<Role> {
    let community = find(conn, c)?;
    let standing = membership(conn, c, member)?;
    role_of(conn, &community, standing, member)
}

/// [`role`] for a community and standing the caller loaded already: asks the database only
/// whether a joined member who is not the admin is a sub-admin.
pub fn role_of(
    conn: &mut AnyConnection,
    community: &Community,
    standing: Membership,
    member: MemberId,
) -> StoreResult<Role> {
    if community.admin == Some(member) {
        return Ok(Role::Admin);
    }
    if standing != Membership::Joined {
        return Ok(Role::Outsider);
    }
    let role: String = community_members::table
        .find((community.id.0, member.0))
        .select(community_members::role)
        .first(conn)?;
    Ok(if role == "subadmin" { Role::SubAdmin } else { Role::Member })
}

/// The community's sub-admins' ids.
pub fn subadmins(conn: &mut AnyConnection, c: CommunityId) -> StoreResult<Vec<MemberId>> {
    Ok(community_members::table
        .filter(community_members::community_id.eq(c.0))
        .filter(community_members::state.eq("joined"))
        .filter(community_members::role.eq("subadmin"))
        .select(community_members::member_id)
        .load::<i64>(conn)?
        .into_iter()
        .map(MemberId)
        .collect())
}

/// Names (or un-names) a joined member sub-admin. `Rejected(NotAllowed)` when they have not
/// joined. Call inside [`crate::write`].
pub fn set_subadmin(
    conn: &mut AnyConnection,
    c: CommunityId,
    member: MemberId,
    on: bool,
) -> StoreResult<()> {
    if membership(conn, c, member)? != Membership::Joined {
        return Err(StoreError::Rejected(ashiato_core::Problem::NotAllowed));
    }
    diesel::update(community_members::table.find((c.0, member.0)))
        .set(community_members::role.eq(if on { "subadmin" } else { "member" }))
        .execute(conn)?;
    Ok(())
}

/// Changes the community's name and description.
pub fn update_details(
    conn: &mut AnyConnection,
    c: CommunityId,
    name: &str,
    description: &str,
) -> StoreResult<()> {
    let n = diesel::update(communities::table.find(c.0))
        .set((communities::name.eq(name), communities::description.eq(description)))
        .execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Removes a member (or a pending request) from the community. Call inside [`crate::write`].
pub fn remove_member(
    conn: &mut AnyConnection,
    c: CommunityId,
    member: MemberId,
) -> StoreResult<()> {
    let was = membership(conn, c, member)?;
    if was == Membership::None {
        return Err(StoreError::NotFound);
    }
    diesel::delete(community_members::table.find((c.0, member.0))).execute(conn)?;
    if was == Membership::Joined {
        diesel::update(communities::table.find(c.0))
            .set(communities::member_count.eq(communities::member_count - 1_i64))
            .execute(conn)?;
    }
    Ok(())
}

/// A topic's community and author, without the author filters of reads (moderation works on
/// suspended members' topics too). `NotFound` when it is gone.
pub fn topic_owner(conn: &mut AnyConnection, t: TopicId) -> StoreResult<(CommunityId, MemberId)> {
    let (c, a): (i64, i64) =
        topics::table.find(t.0).select((topics::community_id, topics::author_id)).first(conn)?;
    Ok((CommunityId(c), MemberId(a)))
}

/// A topic comment's topic and author. `NotFound` when it is gone.
pub fn topic_comment_owner(
    conn: &mut AnyConnection,
    k: TopicCommentId,
) -> StoreResult<(TopicId, MemberId)> {
    let (t, a): (i64, i64) = topic_comments::table
        .find(k.0)
        .select((topic_comments::topic_id, topic_comments::author_id))
        .first(conn)?;
    Ok((TopicId(t), MemberId(a)))
}

/// The text of a topic comment (for its edit form).
pub fn topic_comment_body(conn: &mut AnyConnection, k: TopicCommentId) -> StoreResult<String> {
    Ok(topic_comments::table.find(k.0).select(topic_comments::body).first(conn)?)
}

/// Rewrites a topic's title and body.
pub fn edit_topic(
    conn: &mut AnyConnection,
    t: TopicId,
    title: &str,
    body: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let n = diesel::update(topics::table.find(t.0))
        .set((topics::title.eq(title), topics::body.eq(body), topics::edited_at.eq(now.0)))
        .execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Rewrites a topic comment.
pub fn edit_topic_comment(
    conn: &mut AnyConnection,
    k: TopicCommentId,
    body: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let n = diesel::update(topic_comments::table.find(k.0))
        .set((topic_comments::body.eq(body), topic_comments::edited_at.eq(now.0)))
        .execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Deletes a topic with its comments. `NotFound` when it is gone.
pub fn delete_topic(conn: &mut AnyConnection, t: TopicId) -> StoreResult<()> {
    let n = diesel::delete(topics::table.find(t.0)).execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Deletes a topic comment and counts it off its topic. `NotFound` when it is gone. Call
/// inside [`crate::write`].
pub fn delete_topic_comment(conn: &mut AnyConnection, k: TopicCommentId) -> StoreResult<TopicId> {
    let (topic, _) = topic_comment_owner(conn, k)?;
    diesel::delete(topic_comments::table.find(k.0)).execute(conn)?;
    diesel::update(topics::table.find(topic.0))
        .set(topics::comment_count.eq(topics::comment_count - 1))
        .execute(conn)?;
    Ok(topic)
}

/// Deletes a community with its members, topics and comments, and releases its image; returns
/// the freed files for [`crate::photos::remove_unreferenced_files`]. Call inside
/// [`crate::write`].
pub fn delete_community(conn: &mut AnyConnection, c: CommunityId) -> StoreResult<Vec<Freed>> {
    let photo: Option<PhotoId> = community_photos::table
        .find(c.0)
        .select(community_photos::photo_id)
        .first::<i64>(conn)
        .optional()?
        .map(PhotoId);
    let n = diesel::delete(communities::table.find(c.0)).execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    crate::photos::release(conn, &photo.into_iter().collect::<Vec<_>>())
}

/// A topic's title and body, whoever wrote it.
pub fn topic_text(conn: &mut AnyConnection, t: TopicId) -> StoreResult<(String, String)> {
    Ok(topics::table.find(t.0).select((topics::title, topics::body)).first(conn)?)
}

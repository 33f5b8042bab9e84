//! Communities, their members and topics.

use ashiato_core::{CommunityId, MemberId, Timestamp, TopicCommentId, TopicId};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::schema::{communities, community_members, topic_comments, topics};

/// How people join a community.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinPolicy {
    /// Anyone joins at once.
    Open,
    /// The admin approves each request.
    Approval,
}

/// Who may read a community's topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicVisibility {
    /// Every logged-in member.
    Members,
    /// Only the community's members.
    Participants,
}

/// What a new community is.
#[derive(Clone, Debug)]
pub struct NewCommunity<'a> {
    /// Name.
    pub name: &'a str,
    /// Description.
    pub description: &'a str,
    /// Category label.
    pub category: &'a str,
    /// Join policy.
    pub join_policy: JoinPolicy,
    /// Topic visibility.
    pub topic_visibility: TopicVisibility,
}

/// Creates a community with `admin` as its first member. Call inside [`crate::write`].
pub fn create(
    conn: &mut AnyConnection,
    c: &NewCommunity<'_>,
    admin: MemberId,
    now: Timestamp,
) -> StoreResult<CommunityId> {
    let id = diesel::insert_into(communities::table)
        .values((
            communities::name.eq(c.name),
            communities::description.eq(c.description),
            communities::category.eq(c.category),
            communities::join_policy.eq(match c.join_policy {
                JoinPolicy::Open => "open",
                JoinPolicy::Approval => "approval",
            }),
            communities::topic_visibility.eq(match c.topic_visibility {
                TopicVisibility::Members => "members",
                TopicVisibility::Participants => "participants",
            }),
            communities::admin_id.eq(admin.0),
            communities::created_at.eq(now.0),
        ))
        .returning(communities::id)
        .get_result::<i64>(conn)?;
    join(conn, CommunityId(id), admin, now)?;
    Ok(CommunityId(id))
}

/// Adds a member (joined at once). Call inside [`crate::write`].
pub fn join(
    conn: &mut AnyConnection,
    community: CommunityId,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<()> {
    diesel::insert_into(community_members::table)
        .values((
            community_members::community_id.eq(community.0),
            community_members::member_id.eq(member.0),
            community_members::state.eq("joined"),
            community_members::joined_at.eq(now.0),
        ))
        .execute(conn)?;
    diesel::update(communities::table.find(community.0))
        .set(communities::member_count.eq(communities::member_count + 1_i64))
        .execute(conn)?;
    Ok(())
}

/// Opens a topic.
pub fn create_topic(
    conn: &mut AnyConnection,
    community: CommunityId,
    author: MemberId,
    title: &str,
    body: &str,
    now: Timestamp,
) -> StoreResult<TopicId> {
    Ok(TopicId(
        diesel::insert_into(topics::table)
            .values((
                topics::community_id.eq(community.0),
                topics::author_id.eq(author.0),
                topics::title.eq(title),
                topics::body.eq(body),
                topics::created_at.eq(now.0),
                topics::last_activity_at.eq(now.0),
            ))
            .returning(topics::id)
            .get_result::<i64>(conn)?,
    ))
}

/// Adds a comment to a topic and bumps the topic. Call inside [`crate::write`].
pub fn add_topic_comment(
    conn: &mut AnyConnection,
    topic: TopicId,
    author: MemberId,
    body: &str,
    now: Timestamp,
) -> StoreResult<TopicCommentId> {
    let id = diesel::insert_into(topic_comments::table)
        .values((
            topic_comments::topic_id.eq(topic.0),
            topic_comments::author_id.eq(author.0),
            topic_comments::body.eq(body),
            topic_comments::created_at.eq(now.0),
        ))
        .returning(topic_comments::id)
        .get_result::<i64>(conn)?;
    diesel::update(topics::table.find(topic.0))
        .set((
            topics::comment_count.eq(topics::comment_count + 1),
            topics::last_activity_at.eq(now.0),
        ))
        .execute(conn)?;
    Ok(TopicCommentId(id))
}

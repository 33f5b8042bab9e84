//! Communities, their members and topics.

use ashiato_core::{CommunityId, MemberId, Timestamp, TopicCommentId, TopicId};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::{AnyConnection, native};
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

/// The author's identical comment on `topic` written at or after `since`, if any (a double
/// submit).
pub fn same_topic_comment_since(
    conn: &mut AnyConnection,
    topic: TopicId,
    author: MemberId,
    body: &str,
    since: Timestamp,
) -> StoreResult<Option<TopicCommentId>> {
    Ok(topic_comments::table
        .filter(topic_comments::topic_id.eq(topic.0))
        .filter(topic_comments::author_id.eq(author.0))
        .filter(topic_comments::body.eq(body))
        .filter(topic_comments::created_at.ge(since.0))
        .select(topic_comments::id)
        .first::<i64>(conn)
        .optional()?
        .map(TopicCommentId))
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

use crate::friends::{MemberSummary, MemberSummaryRow};
use crate::schema::members;
use crate::{StoreError, error::is_unique_violation};
use ashiato_core::Problem;

/// A community as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Community {
    /// Id.
    pub id: CommunityId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Join policy.
    pub join_policy: JoinPolicy,
    /// Who may read topics.
    pub topic_visibility: TopicVisibility,
    /// Admin (none after the admin withdrew).
    pub admin: Option<MemberId>,
    /// Joined members.
    pub member_count: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = communities)]
struct CommunityRow {
    id: i64,
    name: String,
    description: String,
    category: String,
    join_policy: String,
    topic_visibility: String,
    admin_id: Option<i64>,
    member_count: i64,
}

impl From<CommunityRow> for Community {
    fn from(r: CommunityRow) -> Self {
        Community {
            id: CommunityId(r.id),
            name: r.name,
            description: r.description,
            category: r.category,
            join_policy: if r.join_policy == "approval" {
                JoinPolicy::Approval
            } else {
                JoinPolicy::Open
            },
            // Unknown values read as the narrower setting.
            topic_visibility: if r.topic_visibility == "members" {
                TopicVisibility::Members
            } else {
                TopicVisibility::Participants
            },
            admin: r.admin_id.map(MemberId),
            member_count: r.member_count,
        }
    }
}

/// Loads a community.
pub fn find(conn: &mut AnyConnection, id: CommunityId) -> StoreResult<Community> {
    communities::table
        .find(id.0)
        .select(CommunityRow::as_select())
        .first(conn)
        .map(Community::from)
        .map_err(StoreError::from)
}

/// All communities, most members first.
pub fn list(conn: &mut AnyConnection, limit: i64, offset: i64) -> StoreResult<Vec<Community>> {
    Ok(communities::table
        .order((communities::member_count.desc(), communities::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(CommunityRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Community::from)
        .collect())
}

/// Communities `member` joined.
pub fn joined_by(conn: &mut AnyConnection, member: MemberId) -> StoreResult<Vec<Community>> {
    Ok(communities::table
        .inner_join(
            community_members::table.on(community_members::community_id.eq(communities::id)),
        )
        .filter(community_members::member_id.eq(member.0))
        .filter(community_members::state.eq("joined"))
        .order(communities::name.asc())
        .select(CommunityRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Community::from)
        .collect())
}

/// A member's standing in a community.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// Not a member.
    None,
    /// Waiting for the admin's approval.
    Pending,
    /// A member.
    Joined,
}

/// `member`'s standing in `c`.
pub fn membership(
    conn: &mut AnyConnection,
    c: CommunityId,
    member: MemberId,
) -> StoreResult<Membership> {
    let state: Option<String> = community_members::table
        .find((c.0, member.0))
        .select(community_members::state)
        .first(conn)
        .optional()?;
    Ok(match state.as_deref() {
        Some("joined") => Membership::Joined,
        Some(_) => Membership::Pending,
        None => Membership::None,
    })
}

/// Asks to join: open communities join at once, approval ones wait. Already a member (or
/// waiting) is not an error. Returns the resulting standing. Call inside [`crate::write`].
pub fn request_join(
    conn: &mut AnyConnection,
    c: CommunityId,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<Membership> {
    let current = membership(conn, c, member)?;
    if current != Membership::None {
        return Ok(current);
    }
    let target = find(conn, c)?;
    if target.join_policy == JoinPolicy::Open {
        join(conn, c, member, now).map_err(|e| match e {
            StoreError::Database(ref d) if is_unique_violation(d) => {
                StoreError::Rejected(Problem::NotAllowed)
            }
            other => other,
        })?;
        return Ok(Membership::Joined);
    }
    diesel::insert_into(community_members::table)
        .values((
            community_members::community_id.eq(c.0),
            community_members::member_id.eq(member.0),
            community_members::state.eq("pending"),
            community_members::joined_at.eq(now.0),
        ))
        .execute(conn)?;
    Ok(Membership::Pending)
}

/// The admin approves a waiting member. Anyone else: `NotFound`. Call inside [`crate::write`].
pub fn approve(
    conn: &mut AnyConnection,
    c: CommunityId,
    admin: MemberId,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<()> {
    if find(conn, c)?.admin != Some(admin) {
        return Err(StoreError::NotFound);
    }
    let n = diesel::update(
        community_members::table
            .find((c.0, member.0))
            .filter(community_members::state.eq("pending")),
    )
    .set((community_members::state.eq("joined"), community_members::joined_at.eq(now.0)))
    .execute(conn)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    diesel::update(communities::table.find(c.0))
        .set(communities::member_count.eq(communities::member_count + 1_i64))
        .execute(conn)?;
    Ok(())
}

/// Leaves (or withdraws a pending request). The admin must hand over first
/// (`Rejected(NotAllowed)`). Call inside [`crate::write`].
pub fn leave(conn: &mut AnyConnection, c: CommunityId, member: MemberId) -> StoreResult<()> {
    let target = find(conn, c)?;
    if target.admin == Some(member) {
        return Err(StoreError::Rejected(Problem::NotAllowed));
    }
    let was = membership(conn, c, member)?;
    diesel::delete(community_members::table.find((c.0, member.0))).execute(conn)?;
    if was == Membership::Joined {
        diesel::update(communities::table.find(c.0))
            .set(communities::member_count.eq(communities::member_count - 1_i64))
            .execute(conn)?;
    }
    Ok(())
}

/// Hands the admin role to another joined member. Only the admin may (others: `NotFound`); when
/// the community has no admin any more (the admin withdrew), any joined member may take it.
pub fn transfer_admin(
    conn: &mut AnyConnection,
    c: CommunityId,
    by: MemberId,
    to: MemberId,
) -> StoreResult<()> {
    let target = find(conn, c)?;
    let allowed = match target.admin {
        Some(admin) => admin == by,
        None => by == to && membership(conn, c, by)? == Membership::Joined,
    };
    if !allowed {
        return Err(StoreError::NotFound);
    }
    if membership(conn, c, to)? != Membership::Joined {
        return Err(StoreError::Rejected(Problem::NotAllowed));
    }
    diesel::update(communities::table.find(c.0))
        .set(communities::admin_id.eq(to.0))
        .execute(conn)?;
    Ok(())
}

/// Members of a community in a state, oldest first.
pub fn members(
    conn: &mut AnyConnection,
    c: CommunityId,
    pending: bool,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<MemberSummary>> {
    Ok(community_members::table
        .inner_join(members::table.on(members::id.eq(community_members::member_id)))
        .filter(members::suspended_at.is_null())
        .filter(community_members::community_id.eq(c.0))
        .filter(community_members::state.eq(if pending { "pending" } else { "joined" }))
        .order((community_members::joined_at.asc(), members::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(MemberSummaryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(MemberSummary::from)
        .collect())
}

/// A topic as listed or shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    /// Id.
    pub id: TopicId,
    /// Community.
    pub community: CommunityId,
    /// Author.
    pub author: MemberSummary,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Comments.
    pub comment_count: i32,
    /// Opened at.
    pub created_at: Timestamp,
    /// Last comment (or opening).
    pub last_activity_at: Timestamp,
}

/// A topic joined with its author (`members` must be in the query).
#[derive(Queryable, Selectable)]
#[diesel(table_name = topics)]
struct TopicRow {
    id: i64,
    community_id: i64,
    #[diesel(embed)]
    author: MemberSummaryRow,
    title: String,
    body: String,
    comment_count: i32,
    created_at: i64,
    last_activity_at: i64,
}

impl From<TopicRow> for Topic {
    fn from(r: TopicRow) -> Self {
        Topic {
            id: TopicId(r.id),
            community: CommunityId(r.community_id),
            author: r.author.into(),
            title: r.title,
            body: r.body,
            comment_count: r.comment_count,
            created_at: Timestamp(r.created_at),
            last_activity_at: Timestamp(r.last_activity_at),
        }
    }
}

/// A community's topics as `reader` sees them (without those of members they muted), most
/// recently active first.
pub fn topics_of(
    conn: &mut AnyConnection,
    c: CommunityId,
    reader: MemberId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Topic>> {
    Ok(topics::table
        .inner_join(members::table.on(members::id.eq(topics::author_id)))
        .filter(members::suspended_at.is_null())
        .filter(topics::community_id.eq(c.0))
        .filter(topics::author_id.ne_all(crate::mutes::muted_by(reader)))
        .order((topics::last_activity_at.desc(), topics::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(TopicRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Topic::from)
        .collect())
}

/// One topic.
pub fn find_topic(conn: &mut AnyConnection, id: TopicId) -> StoreResult<Topic> {
    topics::table
        .inner_join(members::table.on(members::id.eq(topics::author_id)))
        .filter(members::suspended_at.is_null())
        .filter(topics::id.eq(id.0))
        .select(TopicRow::as_select())
        .first(conn)
        .map(Topic::from)
        .map_err(StoreError::from)
}

/// A topic comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicComment {
    /// Id.
    pub id: TopicCommentId,
    /// Author.
    pub author: MemberSummary,
    /// Text.
    pub body: String,
    /// When.
    pub created_at: Timestamp,
}

/// A topic comment joined with its author (`members` must be in the query).
#[derive(Queryable, Selectable)]
#[diesel(table_name = topic_comments)]
struct TopicCommentRow {
    id: i64,
    #[diesel(embed)]
    author: MemberSummaryRow,
    body: String,
    created_at: i64,
}

impl From<TopicCommentRow> for TopicComment {
    fn from(r: TopicCommentRow) -> Self {
        TopicComment {
            id: TopicCommentId(r.id),
            author: r.author.into(),
            body: r.body,
            created_at: Timestamp(r.created_at),
        }
    }
}

/// A topic's comments as `reader` sees them (without those of members they muted), oldest
/// first.
pub fn topic_comments_of(
    conn: &mut AnyConnection,
    t: TopicId,
    reader: MemberId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<TopicComment>> {
    Ok(topic_comments::table
        .inner_join(members::table.on(members::id.eq(topic_comments::author_id)))
        .filter(members::suspended_at.is_null())
        .filter(topic_comments::topic_id.eq(t.0))
        .filter(topic_comments::author_id.ne_all(crate::mutes::muted_by(reader)))
        .order((topic_comments::created_at.asc(), topic_comments::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(TopicCommentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(TopicComment::from)
        .collect())
}

/// A topic (with its author) and the name of its community (`members` and `communities` must be
/// in the query).
#[derive(Queryable, Selectable)]
#[diesel(table_name = topics)]
struct ActiveTopicRow {
    #[diesel(embed)]
    topic: TopicRow,
    #[diesel(select_expression = communities::name)]
    community_name: String,
}

/// Topics active since `since` in communities `member` joined, most recent first.
pub fn active_topics_for(
    conn: &mut AnyConnection,
    member: MemberId,
    since: Timestamp,
    limit: i64,
) -> StoreResult<Vec<(Topic, String)>> {
    // Neither side of a block sees the other in feeds: topics they started are left out here.
    let (blocked_by_me, blocking_me) = crate::relation::blocks_either_way(member);
    let muted = crate::mutes::muted_by(member);
    Ok(native!(conn, c => topics::table
        .inner_join(
            community_members::table.on(community_members::community_id.eq(topics::community_id)),
        )
        .inner_join(communities::table.on(communities::id.eq(topics::community_id)))
        .inner_join(members::table.on(members::id.eq(topics::author_id)))
        .filter(members::suspended_at.is_null())
        .filter(community_members::member_id.eq(member.0))
        .filter(community_members::state.eq("joined"))
        .filter(topics::last_activity_at.ge(since.0))
        .filter(topics::author_id.ne_all(blocked_by_me))
        .filter(topics::author_id.ne_all(blocking_me))
        .filter(topics::author_id.ne_all(muted))
        .order((topics::last_activity_at.desc(), topics::id.desc()))
        .limit(limit)
        .select(ActiveTopicRow::as_select())
        .load(c))?
    .into_iter()
    .map(|r| (Topic::from(r.topic), r.community_name))
    .collect())
}

//! Communities: creating one, joining and leaving, the admin's work (approving members, handing
//! over the role, the community's photo), topics with their notification mails, and comments
//! on topics.

use ashiato_core::content::{CommunityDraft, DOUBLE_SUBMIT_MS, TopicDraft};
use ashiato_core::{CommunityId, MemberId, TopicCommentId, TopicId};
use ashiato_store::communities::{
    self, Community, JoinPolicy, Membership, NewCommunity, Topic, TopicComment, TopicVisibility,
};
use ashiato_store::friends::MemberSummary;
use ashiato_store::photos::{self, Photo};
use ashiato_store::{AnyConnection, StoreError, StoreResult};

use crate::mail::{Event, enqueue_notification};
use crate::photos::UploadProblem;
use crate::{App, AppError, AppResult, now};

/// Most waiting requests the admin sees on the members page.
pub const PENDING_SHOWN: i64 = 100;

/// The community list: every community (a page of them) and the ones the member joined.
#[derive(Clone, Debug)]
pub struct Overview {
    /// Up to `limit` communities from `offset`, most members first.
    pub all: Vec<Community>,
    /// The communities the member joined.
    pub mine: Vec<Community>,
}

/// The community list for `me`, read on one connection. Ask for one more than a page to learn
/// whether another page follows.
pub async fn overview(app: &App, me: MemberId, limit: i64, offset: i64) -> AppResult<Overview> {
    app.run(move |c| {
        Ok(Overview {
            all: communities::list(c, limit, offset)?,
            mine: communities::joined_by(c, me)?,
        })
    })
    .await
}

/// Creates a community with `me` as its admin and first member.
pub async fn create(app: &App, me: MemberId, draft: CommunityDraft) -> AppResult<CommunityId> {
    app.write(move |c| {
        let new = NewCommunity {
            name: &draft.name,
            description: &draft.description,
            category: &draft.category,
            join_policy: if draft.approval { JoinPolicy::Approval } else { JoinPolicy::Open },
            topic_visibility: if draft.members_only {
                TopicVisibility::Participants
            } else {
                TopicVisibility::Members
            },
        };
        communities::create(c, &new, me, now())
    })
    .await
}

/// Whether a member of this standing may read the community's topics.
pub fn can_read_topics(community: &Community, standing: Membership) -> bool {
    community.topic_visibility == TopicVisibility::Members || standing == Membership::Joined
}

fn load_in(
    c: &mut AnyConnection,
    me: MemberId,
    id: CommunityId,
) -> StoreResult<(Community, Membership)> {
    Ok((communities::find(c, id)?, communities::membership(c, id, me)?))
}

/// A community with `me`'s standing in it; `NotFound` when there is no such community.
pub async fn load(app: &App, me: MemberId, id: CommunityId) -> AppResult<(Community, Membership)> {
    app.run(move |c| load_in(c, me, id)).await
}

/// A community `me` joined, for posting in it; `Forbidden` for anyone else.
pub async fn joined(app: &App, me: MemberId, id: CommunityId) -> AppResult<Community> {
    let (community, standing) = load(app, me, id).await?;
    if standing != Membership::Joined {
        return Err(AppError::Forbidden("members only".into()));
    }
    Ok(community)
}

/// A community `me` administers; anyone else's answers exactly like a missing one.
pub async fn administered(app: &App, me: MemberId, id: CommunityId) -> AppResult<Community> {
    let community = app.run(move |c| communities::find(c, id)).await?;
    if community.admin != Some(me) {
        return Err(AppError::NotFound);
    }
    Ok(community)
}

/// What a community's page shows.
#[derive(Clone, Debug)]
pub struct CommunityPage {
    /// The community.
    pub community: Community,
    /// The reader's standing in it.
    pub standing: Membership,
    /// Up to `limit` topics from `offset`, most recently active first; `None` when the reader
    /// may not read them.
    pub topics: Option<Vec<Topic>>,
    /// The community's image.
    pub photo: Option<Photo>,
}

/// A community's page for `me`, read on one connection.
pub async fn page(
    app: &App,
    me: MemberId,
    id: CommunityId,
    limit: i64,
    offset: i64,
) -> AppResult<CommunityPage> {
    app.run(move |c| {
        let (community, standing) = load_in(c, me, id)?;
        let topics = if can_read_topics(&community, standing) {
            Some(communities::topics_of(c, id, me, limit, offset)?)
        } else {
            None
        };
        let photo = photos::community_photo(c, id)?;
        Ok(CommunityPage { community, standing, topics, photo })
    })
    .await
}

/// Asks to join: an open community joins at once, an approval one waits for the admin.
/// Returns the resulting standing (already a member, or waiting, is not an error).
pub async fn join(app: &App, me: MemberId, id: CommunityId) -> AppResult<Membership> {
    app.write(move |c| communities::request_join(c, id, me, now())).await
}

/// Leaves a community (or withdraws a waiting request). The admin must hand over first:
/// `Rejected`.
pub async fn leave(app: &App, me: MemberId, id: CommunityId) -> AppResult<()> {
    app.write(move |c| communities::leave(c, id, me)).await
}

/// What the members page shows.
#[derive(Clone, Debug)]
pub struct Members {
    /// The community.
    pub community: Community,
    /// Whether the reader is its admin.
    pub is_admin: bool,
    /// Whether the reader moderates it (the admin or a sub-admin: they remove members).
    pub moderates: bool,
    /// The sub-admins.
    pub subadmins: Vec<MemberId>,
    /// Up to `limit` joined members from `offset`, oldest first.
    pub joined: Vec<MemberSummary>,
    /// Waiting requests (up to [`PENDING_SHOWN`]); only the admin sees them.
    pub pending: Vec<MemberSummary>,
}

/// A community's members as `me` may see them, read on one connection.
pub async fn members(
    app: &App,
    me: MemberId,
    id: CommunityId,
    limit: i64,
    offset: i64,
) -> AppResult<Members> {
    app.run(move |c| {
        let community = communities::find(c, id)?;
        let is_admin = community.admin == Some(me);
        let pending = if is_admin {
            communities::members(c, id, true, PENDING_SHOWN, 0)?
        } else {
            Vec::new()
        };
        let joined = communities::members(c, id, false, limit, offset)?;
        let subadmins = ashiato_store::community_admin::subadmins(c, id)?;
        let moderates = is_admin || subadmins.contains(&me);
        Ok(Members { community, is_admin, moderates, subadmins, joined, pending })
    })
    .await
}

/// The admin approves a waiting member. `NotFound` when `admin` is not the admin or nobody
/// waits (approved already).
pub async fn approve(
    app: &App,
    admin: MemberId,
    id: CommunityId,
    member: MemberId,
) -> AppResult<()> {
    app.write(move |c| communities::approve(c, id, admin, member, now())).await
}

/// Hands the admin role to another joined member (or takes it over when the community has
/// no admin). `NotFound` when `by` may not; `Rejected` when `to` is not a member.
pub async fn transfer_admin(
    app: &App,
    by: MemberId,
    id: CommunityId,
    to: MemberId,
) -> AppResult<()> {
    app.write(move |c| communities::transfer_admin(c, id, by, to)).await
}

/// Opens a topic in a community `me` joined (the caller checked it with [`joined`]) and
/// queues a notification mail to each of its subscribers. `nickname` names the author in
/// those mails.
pub async fn create_topic(
    app: &App,
    me: MemberId,
    nickname: String,
    community: Community,
    draft: TopicDraft,
) -> AppResult<TopicId> {
    let config = app.config.clone();
    app.write(move |c| {
        let cid = community.id;
        let tid = communities::create_topic(c, cid, me, &draft.title, &draft.body, now())?;
        for recipient in ashiato_store::mail::topic_subscribers(c, cid)? {
            enqueue_notification(
                c,
                &config,
                Event {
                    recipient,
                    actor: me,
                    kind: ashiato_store::mail::NotifyKind::Topic,
                    what: ashiato_mail::NotificationKind::CommunityTopic {
                        actor: nickname.clone(),
                        community: community.name.clone(),
                        topic: draft.title.clone(),
                    },
                    path: format!("/c/{cid}/topics/{tid}"),
                },
                now(),
            )?;
        }
        Ok(tid)
    })
    .await
}

/// What a topic's page shows.
#[derive(Clone, Debug)]
pub struct TopicPage {
    /// The community.
    pub community: Community,
    /// The reader's standing in it.
    pub standing: Membership,
    /// The reader's role (moderators delete any topic or comment).
    pub role: ashiato_store::community_admin::Role,
    /// The topic.
    pub topic: Topic,
    /// Its oldest comments, up to the limit asked for.
    pub comments: Vec<TopicComment>,
}

/// A topic of a community whose topics `me` may read, with its comments, read on one
/// connection. A missing community or topic, a topic of another community and one the
/// reader may not read are the same `NotFound`.
pub async fn topic(
    app: &App,
    me: MemberId,
    id: CommunityId,
    topic: TopicId,
    comments: i64,
) -> AppResult<TopicPage> {
    app.run(move |c| {
        let (community, standing) = load_in(c, me, id)?;
        if !can_read_topics(&community, standing) {
            return Err(StoreError::NotFound);
        }
        let topic = communities::find_topic(c, topic)?;
        if topic.community != community.id {
            return Err(StoreError::NotFound);
        }
        let comments = communities::topic_comments_of(c, topic.id, me, comments, 0)?;
        let role = ashiato_store::community_admin::role_of(c, &community, standing, me)?;
        Ok(TopicPage { community, standing, role, topic, comments })
    })
    .await
}

/// Comments on a topic of a community `me` joined (the caller checked it with [`joined`]);
/// `NotFound` when the topic is not that community's. A second tap on a slow link posts
/// nothing new: it answers with the first comment.
pub async fn comment(
    app: &App,
    me: MemberId,
    community: CommunityId,
    topic: TopicId,
    body: String,
) -> AppResult<TopicCommentId> {
    app.write(move |c| {
        if communities::find_topic(c, topic)?.community != community {
            return Err(StoreError::NotFound);
        }
        let t = now();
        let since = t.plus_millis(-DOUBLE_SUBMIT_MS);
        if let Some(first) = communities::same_topic_comment_since(c, topic, me, &body, since)? {
            return Ok(first);
        }
        communities::add_topic_comment(c, topic, me, &body, t)
    })
    .await
}

/// Stores an uploaded image as the community's photo (the caller checked with
/// [`administered`] that `me` is the admin); the photo it replaces leaves the disk once
/// nothing else shows it. A refused upload (not an image, too big, quota) stores nothing and
/// comes back as the problem.
pub async fn set_photo(
    app: &App,
    me: MemberId,
    community: CommunityId,
    bytes: Vec<u8>,
) -> AppResult<Result<(), UploadProblem>> {
    crate::photos::upload_into(app, me, bytes, move |c, id| {
        photos::set_community_photo(c, community, id)
    })
    .await
}

//! Members and how they relate (マイミク): seeing a member at all, the profile page, friend
//! lists, friend requests and their answers (with notification mails), unfriending, blocking,
//! and introductions of friends.

use ashiato_core::{FriendRequestId, MemberId, Relation};
use ashiato_store::friends::{FriendRequest, MemberSummary};
use ashiato_store::photos::{self, Photo};
use ashiato_store::{
    AnyConnection, StoreError, StoreResult, accounts, diary, friends, members, mutes, relation,
};

use crate::mail::{Event, enqueue_notification};
use crate::{App, AppError, AppResult, now};

/// Newest entries listed on a profile.
const PROFILE_ENTRIES: i64 = 5;

/// On the caller's connection: a member `viewer` may see at all, with the viewer's relation to
/// them. Never across a block: a blocked member is `NotFound`, like a missing one, so
/// existence does not leak.
pub fn visible_member_in(
    c: &mut AnyConnection,
    viewer: MemberId,
    id: MemberId,
) -> StoreResult<(accounts::Member, Relation)> {
    let member = accounts::find_member(c, id)?;
    let rel = relation::relation(c, Some(viewer), id)?;
    if rel == Relation::Blocked {
        return Err(StoreError::NotFound);
    }
    Ok((member, rel))
}

/// A member `viewer` may see at all, with the viewer's relation to them (see
/// [`visible_member_in`]).
pub async fn visible_member(
    app: &App,
    viewer: MemberId,
    id: MemberId,
) -> AppResult<(accounts::Member, Relation)> {
    app.run(move |c| visible_member_in(c, viewer, id)).await
}

/// A friend of `viewer`; anyone else (a stranger, oneself, a block) is `NotFound`.
pub async fn friend(app: &App, viewer: MemberId, id: MemberId) -> AppResult<accounts::Member> {
    let (member, rel) = visible_member(app, viewer, id).await?;
    if rel != Relation::Friend {
        return Err(AppError::NotFound);
    }
    Ok(member)
}

/// What a profile page shows.
#[derive(Debug)]
pub struct Profile {
    /// The member.
    pub member: accounts::Member,
    /// How the viewer relates to them.
    pub relation: Relation,
    /// Their profile photo.
    pub photo: Option<Photo>,
    /// Their free profile fields (the page filters them by scope).
    pub fields: Vec<members::FreeField>,
    /// Introductions written by their friends, newest first.
    pub introductions: Vec<(MemberSummary, String)>,
    /// Their newest entries the viewer may read.
    pub recent: Vec<diary::Entry>,
    /// How many entries the viewer may read.
    pub diary_count: i64,
    /// The viewer asked them to be friends and waits.
    pub pending_out: bool,
    /// They asked the viewer to be friends.
    pub pending_in: bool,
    /// The viewer blocked them.
    pub blocked: bool,
    /// The viewer muted them.
    pub muted: bool,
}

/// The profile of a member `viewer` may see, read on one connection.
pub async fn profile(app: &App, viewer: MemberId, id: MemberId) -> AppResult<Profile> {
    app.run(move |c| {
        let (member, rel) = visible_member_in(c, viewer, id)?;
        let owner = member.id;
        Ok(Profile {
            photo: photos::member_photo(c, owner)?,
            fields: members::free_fields(c, owner)?,
            introductions: friends::introductions_of(c, owner)?,
            recent: diary::list_visible(c, owner, rel, PROFILE_ENTRIES, 0)?,
            diary_count: diary::count_visible(c, owner, rel)?,
            pending_out: friends::has_pending(c, viewer, owner)?,
            pending_in: friends::has_pending(c, owner, viewer)?,
            blocked: relation::has_blocked(c, viewer, owner)?,
            muted: ashiato_store::mutes::is_muted(c, viewer, owner)?,
            member,
            relation: rel,
        })
    })
    .await
}

/// One page of a member's friend list.
#[derive(Debug)]
pub struct FriendList {
    /// How many friends they have.
    pub count: i64,
    /// The friends on this page, newest friendship first.
    pub friends: Vec<MemberSummary>,
}

fn friend_list_in(
    c: &mut AnyConnection,
    owner: MemberId,
    limit: i64,
    offset: i64,
) -> StoreResult<FriendList> {
    Ok(FriendList {
        count: friends::friend_count(c, owner)?,
        friends: friends::list_friends(c, owner, limit, offset)?,
    })
}

/// The member's own friend list, with the number of friend requests waiting for their answer.
pub async fn my_friends(
    app: &App,
    me: MemberId,
    limit: i64,
    offset: i64,
) -> AppResult<(i64, FriendList)> {
    app.run(move |c| Ok((friends::incoming_count(c, me)?, friend_list_in(c, me, limit, offset)?)))
        .await
}

/// Someone's friend list, as their friend-list scope allows the viewer; a list the viewer may
/// not see is `NotFound`. Returns the member with the page.
pub async fn friends_of(
    app: &App,
    viewer: MemberId,
    id: MemberId,
    limit: i64,
    offset: i64,
) -> AppResult<(accounts::Member, FriendList)> {
    app.run(move |c| {
        let (member, rel) = visible_member_in(c, viewer, id)?;
        if !member.friends_scope.allows(rel) {
            return Err(StoreError::NotFound);
        }
        let list = friend_list_in(c, member.id, limit, offset)?;
        Ok((member, list))
    })
    .await
}

/// Friend requests waiting for the member's answer, newest first.
pub async fn incoming_requests(app: &App, me: MemberId) -> AppResult<Vec<FriendRequest>> {
    app.run(move |c| friends::incoming(c, me)).await
}

/// Asks `to` to be friends (the message already cleaned) and mails them a notification.
/// Already friends, already asked either way, or a block either way is
/// `Rejected(NotAllowed)`, and nothing changes.
pub async fn request(
    app: &App,
    me: MemberId,
    nickname: String,
    to: MemberId,
    message: String,
) -> AppResult<FriendRequestId> {
    let config = app.config.clone();
    app.write(move |c| {
        let t = now();
        let id = friends::request(c, me, to, &message, t)?;
        enqueue_notification(
            c,
            &config,
            Event {
                recipient: to,
                actor: me,
                kind: ashiato_store::mail::NotifyKind::FriendRequest,
                what: ashiato_mail::NotificationKind::FriendRequest { actor: nickname },
                path: "/friends/requests".into(),
            },
            t,
        )?;
        Ok(id)
    })
    .await
}

/// Accepts or rejects a friend request addressed to the member; accepting makes them friends
/// and mails the requester. A request already answered (a double submit) or not addressed to
/// the member is `NotFound`. Returns the requester.
pub async fn answer(
    app: &App,
    me: MemberId,
    nickname: String,
    id: FriendRequestId,
    accept: bool,
) -> AppResult<MemberId> {
    let config = app.config.clone();
    app.write(move |c| {
        let t = now();
        let from = friends::decide(c, id, me, accept, t)?;
        if accept {
            enqueue_notification(
                c,
                &config,
                Event {
                    recipient: from,
                    actor: me,
                    kind: ashiato_store::mail::NotifyKind::FriendAccepted,
                    what: ashiato_mail::NotificationKind::FriendAccepted { actor: nickname },
                    path: format!("/m/{me}"),
                },
                t,
            )?;
        }
        Ok(from)
    })
    .await
}

/// Ends the friendship with a member the viewer may see (both directions); a member they may
/// not see is `NotFound`. Not being friends is no error.
pub async fn unfriend(app: &App, me: MemberId, other: MemberId) -> AppResult<()> {
    app.run(move |c| {
        visible_member_in(c, me, other)?;
        friends::unfriend(c, me, other)
    })
    .await
}

/// The member the block page is about, and whether `me` blocked them already. The blocker
/// still reaches the page of someone they blocked, to lift the block; someone who blocked
/// `me` is `NotFound`.
pub async fn block_target(
    app: &App,
    me: MemberId,
    other: MemberId,
) -> AppResult<(accounts::Member, bool)> {
    app.run(move |c| {
        let member = accounts::find_member(c, other)?;
        let blocked = relation::has_blocked(c, me, other)?;
        if !blocked && relation::blocked_either_way(c, me, other)? {
            return Err(StoreError::NotFound);
        }
        Ok((member, blocked))
    })
    .await
}

/// Blocks `other`, or lifts the block if `me` blocked them already. Blocking ends a
/// friendship and withdraws pending requests either way. Oneself or a missing member is
/// `NotFound`. Returns whether `other` is blocked now.
pub async fn toggle_block(app: &App, me: MemberId, other: MemberId) -> AppResult<bool> {
    if other == me {
        return Err(AppError::NotFound);
    }
    app.run(move |c| {
        accounts::find_member(c, other)?;
        ashiato_store::write(c, |c| {
            if relation::has_blocked(c, me, other)? {
                relation::unblock(c, me, other)?;
                Ok(false)
            } else {
                relation::block(c, me, other, now())?;
                Ok(true)
            }
        })
    })
    .await
}

/// A member `me` may mute or unmute (one they can see), and whether they are muted now.
pub async fn mute_target(
    app: &App,
    me: MemberId,
    other: MemberId,
) -> AppResult<(accounts::Member, bool)> {
    if other == me {
        return Err(AppError::NotFound);
    }
    app.run(move |c| {
        let muted = mutes::is_muted(c, me, other)?;
        // A muted member stays reachable to lift the mute even if a block came later.
        let member = if muted {
            accounts::find_member(c, other)?
        } else {
            visible_member_in(c, me, other)?.0
        };
        Ok((member, muted))
    })
    .await
}

/// Mutes `other` (ミュート: their diaries, comments, topics and footsteps leave `me`'s home,
/// lists and footsteps; they are not told), or lifts the mute. Returns whether they are muted
/// now.
pub async fn toggle_mute(app: &App, me: MemberId, other: MemberId) -> AppResult<bool> {
    mute_target(app, me, other).await?;
    app.write(move |c| {
        if mutes::is_muted(c, me, other)? {
            mutes::unmute(c, me, other)?;
            Ok(false)
        } else {
            mutes::mute(c, me, other, now())?;
            Ok(true)
        }
    })
    .await
}

/// The members `me` muted, newest first (settings lists them to lift a mute).
pub async fn muted(app: &App, me: MemberId) -> AppResult<Vec<MemberSummary>> {
    app.run(move |c| mutes::muted_members(c, me)).await
}

/// A friend to introduce, with the introduction `me` wrote of them already, if any; anyone
/// but a friend is `NotFound`.
pub async fn introduction_of(
    app: &App,
    me: MemberId,
    subject: MemberId,
) -> AppResult<(accounts::Member, Option<String>)> {
    app.run(move |c| {
        let (member, rel) = visible_member_in(c, me, subject)?;
        if rel != Relation::Friend {
            return Err(StoreError::NotFound);
        }
        let current = friends::introductions_of(c, member.id)?
            .into_iter()
            .find(|(author, _)| author.id == me)
            .map(|(_, body)| body);
        Ok((member, current))
    })
    .await
}

/// Writes (or replaces) `me`'s introduction of their friend `subject` (the text already
/// cleaned); an empty text removes it. `Rejected(NotAllowed)` when they are not friends.
pub async fn introduce(app: &App, me: MemberId, subject: MemberId, body: String) -> AppResult<()> {
    app.write(move |c| friends::introduce(c, me, subject, &body, now())).await
}

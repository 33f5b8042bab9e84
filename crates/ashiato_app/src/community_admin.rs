//! Running a community (docs/sns.md): authors edit and delete their own topics and topic
//! comments; the admin and the sub-admins delete any topic or comment in it and remove
//! members; the admin alone names sub-admins and edits the community's name and description.
//!
//! Anyone without the right gets the same `NotFound` as for content that is not there, so
//! these pages reveal nothing to a member who tries another's edit link.

use ashiato_core::{CommunityId, MemberId, TopicCommentId, TopicId};
use ashiato_store::community_admin::{self as store, Role};
use ashiato_store::{AnyConnection, StoreError, StoreResult};

use crate::{App, AppResult, now};

/// `me`'s role in community `id`.
pub async fn role(app: &App, me: MemberId, id: CommunityId) -> AppResult<Role> {
    app.run(move |c| store::role(c, id, me)).await
}

/// The topic `t` of community `id` with its author, or `NotFound`.
fn topic_in(c: &mut AnyConnection, id: CommunityId, t: TopicId) -> StoreResult<MemberId> {
    let (community, author) = store::topic_owner(c, t)?;
    if community != id {
        return Err(StoreError::NotFound);
    }
    Ok(author)
}

/// The comment `k` on topic `t` of community `id` with its author, or `NotFound`.
fn comment_in(
    c: &mut AnyConnection,
    id: CommunityId,
    t: TopicId,
    k: TopicCommentId,
) -> StoreResult<MemberId> {
    topic_in(c, id, t)?;
    let (topic, author) = store::topic_comment_owner(c, k)?;
    if topic != t {
        return Err(StoreError::NotFound);
    }
    Ok(author)
}

/// The title and body of `me`'s own topic, for its edit form.
pub async fn own_topic(
    app: &App,
    me: MemberId,
    id: CommunityId,
    t: TopicId,
) -> AppResult<(String, String)> {
    app.run(move |c| {
        if topic_in(c, id, t)? != me {
            return Err(StoreError::NotFound);
        }
        store::topic_text(c, t)
    })
    .await
}

/// Rewrites `me`'s own topic (validated by the caller).
pub async fn edit_topic(
    app: &App,
    me: MemberId,
    id: CommunityId,
    t: TopicId,
    draft: ashiato_core::content::TopicDraft,
) -> AppResult<()> {
    app.write(move |c| {
        if topic_in(c, id, t)? != me {
            return Err(StoreError::NotFound);
        }
        store::edit_topic(c, t, &draft.title, &draft.body, now())
    })
    .await
}

/// Whether `me` may delete what `author` wrote in community `id`: their own, or as a
/// moderator.
fn may_delete(
    c: &mut AnyConnection,
    me: MemberId,
    id: CommunityId,
    author: MemberId,
) -> StoreResult<bool> {
    Ok(author == me || store::role(c, id, me)?.moderates())
}

/// The title of a topic `me` may delete (their own, or any as a moderator), for the
/// confirmation page.
pub async fn deletable_topic(
    app: &App,
    me: MemberId,
    id: CommunityId,
    t: TopicId,
) -> AppResult<String> {
    app.run(move |c| {
        let author = topic_in(c, id, t)?;
        if !may_delete(c, me, id, author)? {
            return Err(StoreError::NotFound);
        }
        Ok(store::topic_text(c, t)?.0)
    })
    .await
}

/// Deletes a topic with its comments: by its author or a moderator.
pub async fn delete_topic(app: &App, me: MemberId, id: CommunityId, t: TopicId) -> AppResult<()> {
    app.write(move |c| {
        let author = topic_in(c, id, t)?;
        if !may_delete(c, me, id, author)? {
            return Err(StoreError::NotFound);
        }
        store::delete_topic(c, t)
    })
    .await
}

/// The text of `me`'s own topic comment, for its edit form.
pub async fn own_comment(
    app: &App,
    me: MemberId,
    id: CommunityId,
    t: TopicId,
    k: TopicCommentId,
) -> AppResult<String> {
    app.run(move |c| {
        if comment_in(c, id, t, k)? != me {
            return Err(StoreError::NotFound);
        }
        store::topic_comment_body(c, k)
    })
    .await
}

/// Rewrites `me`'s own topic comment (validated by the caller).
pub async fn edit_comment(
    app: &App,
    me: MemberId,
    id: CommunityId,
    t: TopicId,
    k: TopicCommentId,
    body: String,
) -> AppResult<()> {
    app.write(move |c| {
        if comment_in(c, id, t, k)? != me {
            return Err(StoreError::NotFound);
        }
        store::edit_topic_comment(c, k, &body, now())
    })
    .await
}

/// Deletes a topic comment: by its author or a moderator.
pub async fn delete_comment(
    app: &App,
    me: MemberId,
    id: CommunityId,
    t: TopicId,
    k: TopicCommentId,
) -> AppResult<()> {
    app.write(move |c| {
        let author = comment_in(c, id, t, k)?;
        if !may_delete(c, me, id, author)? {
            return Err(StoreError::NotFound);
        }
        store::delete_topic_comment(c, k).map(|_| ())
    })
    .await
}

/// The admin changes the community's name and description (validated by the caller).
pub async fn edit_details(
    app: &App,
    me: MemberId,
    id: CommunityId,
    name: String,
    description: String,
) -> AppResult<()> {
    app.write(move |c| {
        if store::role(c, id, me)? != Role::Admin {
            return Err(StoreError::NotFound);
        }
        store::update_details(c, id, &name, &description)
    })
    .await
}

/// A moderator removes a member (or a waiting request). The admin cannot be removed, nor
/// can a sub-admin remove another sub-admin, nor anyone themselves (they leave instead): all
/// `Rejected(NotAllowed)`.
pub async fn remove_member(
    app: &App,
    me: MemberId,
    id: CommunityId,
    member: MemberId,
) -> AppResult<()> {
    app.write(move |c| {
        let mine = store::role(c, id, me)?;
        if !mine.moderates() {
            return Err(StoreError::NotFound);
        }
        let theirs = store::role(c, id, member)?;
        if member == me
            || theirs == Role::Admin
            || (mine == Role::SubAdmin && theirs == Role::SubAdmin)
        {
            return Err(StoreError::Rejected(ashiato_core::Problem::NotAllowed));
        }
        store::remove_member(c, id, member)
    })
    .await
}

/// The admin names a joined member sub-admin, or takes the role back. Returns whether they
/// are a sub-admin now.
pub async fn toggle_subadmin(
    app: &App,
    me: MemberId,
    id: CommunityId,
    member: MemberId,
) -> AppResult<bool> {
    app.write(move |c| {
        if store::role(c, id, me)? != Role::Admin {
            return Err(StoreError::NotFound);
        }
        let now_sub = match store::role(c, id, member)? {
            Role::Member => true,
            Role::SubAdmin => false,
            _ => return Err(StoreError::Rejected(ashiato_core::Problem::NotAllowed)),
        };
        store::set_subadmin(c, id, member, now_sub)?;
        Ok(now_sub)
    })
    .await
}

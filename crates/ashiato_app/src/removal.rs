//! The operators remove content (docs/operations.md): a diary entry, a diary comment, a
//! community, a topic, a topic comment, a profile photo or a message, named by its page path.
//!
//! One transaction deletes the content (an entry's comments and a community's topics go with
//! it), leaves a tombstone at its path (an old link then says it was removed, not that it
//! never was), closes the open reports on it as resolved and writes the audit row. After the
//! commit the photos it freed leave the disk with their variants. This works on a connection,
//! so that the command line and the web console run the very same code.

use ashiato_core::moderation::{Target, TargetKind};
use ashiato_core::{Problem, Timestamp};
use ashiato_store::audit::{self, Action, Actor};
use ashiato_store::files::FileStore;
use ashiato_store::friends::MemberSummary;
use ashiato_store::{
    AnyConnection, StoreError, StoreResult, accounts, communities, community_admin, diary,
    messages, photos, reports,
};

/// What the removal found and did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    /// How many open reports on it were closed.
    pub reports_closed: usize,
    /// How many photo files left the disk (masters; their variants went with them).
    pub photos_deleted: usize,
}

/// Removes the content at `target` for `reason` (required). `NotFound` when there is nothing
/// there (removed already, or never was), and nothing changes; a profile is not removable
/// (`Rejected(NotAllowed)`: suspend the member instead).
pub fn remove(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    target: Target,
    reason: &str,
    now: Timestamp,
) -> StoreResult<Removed> {
    let reason = crate::moderation::reason_text(reason)?;
    let path = target.path();
    let (freed, reports_closed) = ashiato_store::write(conn, |c| {
        let freed = delete(c, target)?;
        reports::bury(c, &path, &reason, now)?;
        let decision = reports::Decision {
            state: reports::State::Resolved,
            action: "removed",
            note: &reason,
            by: match *actor {
                Actor::Member(m) => Some(m),
                Actor::CommandLine => None,
            },
        };
        let closed = reports::resolve_all_on(c, std::slice::from_ref(&path), &decision, now)?;
        let action = Action {
            actor: actor.clone(),
            action: "content.remove",
            target: &path,
            reason: &reason,
        };
        audit::append(c, &action, now)?;
        Ok::<_, StoreError>((freed, closed))
    })?;
    let photos_deleted = freed.len();
    photos::remove_unreferenced_files(conn, files, &freed);
    tracing::info!(target = %path, reports_closed, photos_deleted, "content removed");
    Ok(Removed { reports_closed, photos_deleted })
}

/// Deletes the content itself, checking that every id in the path belongs to the one before
/// it (`/c/1/topics/9` is topic 9 only if it is in community 1).
fn delete(c: &mut AnyConnection, target: Target) -> StoreResult<Vec<photos::Freed>> {
    match target {
        Target::Diary(e) => {
            let author = diary::find_entry(c, e)?.author;
            diary::delete_entry(c, e, author)
        }
        Target::DiaryComment(e, k) => {
            let (entry, author) = diary::comment_owner(c, k)?;
            if entry != e {
                return Err(StoreError::NotFound);
            }
            diary::delete_comment(c, k, author)?;
            Ok(Vec::new())
        }
        Target::Profile(_) => Err(StoreError::Rejected(Problem::NotAllowed)),
        Target::ProfilePhoto(m) => {
            if photos::member_photo(c, m)?.is_none() {
                return Err(StoreError::NotFound);
            }
            photos::set_member_photo(c, m, None)
        }
        Target::Community(id) => community_admin::delete_community(c, id),
        Target::Topic(id, t) => {
            if community_admin::topic_owner(c, t)?.0 != id {
                return Err(StoreError::NotFound);
            }
            community_admin::delete_topic(c, t)?;
            Ok(Vec::new())
        }
        Target::TopicComment(id, t, k) => {
            if community_admin::topic_comment_owner(c, k)?.0 != t
                || community_admin::topic_owner(c, t)?.0 != id
            {
                return Err(StoreError::NotFound);
            }
            community_admin::delete_topic_comment(c, k)?;
            Ok(Vec::new())
        }
        Target::Message(m) => {
            messages::delete_everywhere(c, m)?;
            Ok(Vec::new())
        }
    }
}

/// The paths whose removal took `target` with it, nearest first: the target itself, then (for
/// a topic or its comments) the topic and the community, (for a diary comment) the entry.
fn removed_with(target: Target) -> Vec<Target> {
    match target {
        Target::DiaryComment(e, _) => vec![target, Target::Diary(e)],
        Target::Topic(c, _) => vec![target, Target::Community(c)],
        Target::TopicComment(c, t, _) => vec![target, Target::Topic(c, t), Target::Community(c)],
        other => vec![other],
    }
}

/// When a page at `path` is missing: the kind of the removed content that took it, if the
/// operators removed it (an old link's page says so instead of "not found").
pub fn tombstone_in(c: &mut AnyConnection, path: &str) -> StoreResult<Option<TargetKind>> {
    let Some(target) = Target::parse(path) else { return Ok(None) };
    for t in removed_with(target) {
        if reports::tombstone(c, &t.path())?.is_some() {
            return Ok(Some(t.kind()));
        }
    }
    Ok(None)
}

/// [`tombstone_in`] on a pooled connection.
pub async fn tombstone(app: &crate::App, path: String) -> crate::AppResult<Option<TargetKind>> {
    app.read(move |c| tombstone_in(c, &path)).await
}

/// Content as the console shows it before removal.
#[derive(Clone, Debug)]
pub struct ContentView {
    /// Who wrote it (none for a message whose sender withdrew, or a community without admin).
    pub author: Option<MemberSummary>,
    /// Its title (a diary entry's, a topic's, a community's name, a message's subject).
    pub title: String,
    /// Its text.
    pub body: String,
    /// The page a member reads it on.
    pub page: String,
}

fn summary(c: &mut AnyConnection, m: ashiato_core::MemberId) -> StoreResult<MemberSummary> {
    let member = accounts::find_member(c, m)?;
    Ok(MemberSummary { id: member.id, nickname: member.nickname })
}

/// What is at `target`, whoever may see it (suspended authors included): the console reads
/// content before removing it. `NotFound` when it is gone.
pub fn view_in(c: &mut AnyConnection, target: Target) -> StoreResult<ContentView> {
    let page = target.page_path();
    let (author, title, body) = match target {
        Target::Diary(e) => {
            let entry = diary::find_entry(c, e)?;
            (Some(summary(c, entry.author)?), entry.title, entry.body)
        }
        Target::DiaryComment(e, k) => {
            let (entry, author) = diary::comment_owner(c, k)?;
            if entry != e {
                return Err(StoreError::NotFound);
            }
            let title = diary::find_entry(c, e)?.title;
            (Some(summary(c, author)?), title, diary::comment_body(c, k)?)
        }
        Target::Profile(m) | Target::ProfilePhoto(m) => {
            let member = accounts::find_member(c, m)?;
            if matches!(target, Target::ProfilePhoto(_)) && photos::member_photo(c, m)?.is_none() {
                return Err(StoreError::NotFound);
            }
            let who = MemberSummary { id: member.id, nickname: member.nickname.clone() };
            (Some(who), member.nickname, member.profile.introduction)
        }
        Target::Community(id) => {
            let community = communities::find(c, id)?;
            let admin = community.admin.map(|a| summary(c, a)).transpose()?;
            (admin, community.name, community.description)
        }
        Target::Topic(id, t) => {
            let (community, author) = community_admin::topic_owner(c, t)?;
            if community != id {
                return Err(StoreError::NotFound);
            }
            let (title, body) = community_admin::topic_text(c, t)?;
            (Some(summary(c, author)?), title, body)
        }
        Target::TopicComment(id, t, k) => {
            let (topic, author) = community_admin::topic_comment_owner(c, k)?;
            if topic != t || community_admin::topic_owner(c, t)?.0 != id {
                return Err(StoreError::NotFound);
            }
            let title = community_admin::topic_text(c, t)?.0;
            (Some(summary(c, author)?), title, community_admin::topic_comment_body(c, k)?)
        }
        Target::Message(m) => {
            let (from, _) = messages::parties(c, m)?;
            let (subject, body) = messages::text(c, m)?;
            (summary(c, from).ok(), subject, body)
        }
    };
    Ok(ContentView { author, title, body, page })
}

/// [`remove`] by an admin in the web console.
pub async fn remove_by(
    app: &crate::App,
    admin: ashiato_core::MemberId,
    target: Target,
    reason: String,
) -> crate::AppResult<Removed> {
    let files = app.photos.files().clone();
    app.run(move |c| remove(c, &files, &Actor::Member(admin), target, &reason, crate::now())).await
}

/// [`view_in`] on a pooled connection.
pub async fn view(app: &crate::App, target: Target) -> crate::AppResult<ContentView> {
    app.run(move |c| view_in(c, target)).await
}

//! 通報: members report what they see (docs/operations.md), and the operators' queue.
//!
//! A member may report only what they can see: a report on a hidden entry, someone else's
//! message or a topic of a closed community answers exactly like a missing one (`NotFound`),
//! so reports cannot probe for content. Their own content is not reportable. A second report
//! by the same member on the same target, while the first is open, folds into the first.

use ashiato_core::moderation::{REPORT_NOTE_MAX, ReportCategory, Target};
use ashiato_core::{MemberId, Problem};
use ashiato_store::audit::{self, Action, Actor};
use ashiato_store::reports::{self, Decision, Report, State};
use ashiato_store::{
    AnyConnection, StoreError, StoreResult, communities, community_admin, diary, messages, relation,
};

use crate::{App, AppResult, now};

/// Most reports a queue page shows.
pub const QUEUE_SHOWN: i64 = 200;

/// What the reporter sees of the target before reporting it: its title, name or subject.
/// `NotFound` when they cannot see it; `Rejected(NotAllowed)` for their own content.
pub fn seen_in(c: &mut AnyConnection, me: MemberId, target: Target) -> StoreResult<String> {
    let own = |author: MemberId| {
        if author == me { Err(StoreError::Rejected(Problem::NotAllowed)) } else { Ok(()) }
    };
    match target {
        Target::Diary(e) => {
            let seen = crate::diary::visible_in(c, me, e)?;
            own(seen.entry.author)?;
            Ok(seen.entry.title)
        }
        Target::DiaryComment(e, k) => {
            let seen = crate::diary::visible_in(c, me, e)?;
            let (entry, author) = diary::comment_owner(c, k)?;
            // A suspended or blocked commenter's comment is not on the reader's page either.
            if entry != e
                || relation::relation(c, Some(me), author)? == ashiato_core::Relation::Blocked
            {
                return Err(StoreError::NotFound);
            }
            own(author)?;
            Ok(seen.entry.title)
        }
        Target::Profile(m) => {
            own(m)?;
            let rel = relation::relation(c, Some(me), m)?;
            if rel == ashiato_core::Relation::Blocked {
                return Err(StoreError::NotFound);
            }
            Ok(ashiato_store::accounts::find_member(c, m)?.nickname)
        }
        // Members report the profile; the photo alone is the operators' target.
        Target::ProfilePhoto(_) => Err(StoreError::NotFound),
        Target::Community(id) => Ok(communities::find(c, id)?.name),
        Target::Topic(id, t) => {
            let topic = readable_topic(c, me, id, t)?;
            own(topic.author.id)?;
            Ok(topic.title)
        }
        Target::TopicComment(id, t, k) => {
            let topic = readable_topic(c, me, id, t)?;
            let (on, author) = community_admin::topic_comment_owner(c, k)?;
            if on != t
                || relation::relation(c, Some(me), author)? == ashiato_core::Relation::Blocked
            {
                return Err(StoreError::NotFound);
            }
            own(author)?;
            Ok(topic.title)
        }
        Target::Message(m) => {
            // Only a message one received: the sender knows what they wrote.
            let (from, to) = messages::parties(c, m)?;
            if to != me || from == me {
                return Err(StoreError::NotFound);
            }
            Ok(messages::text(c, m)?.0)
        }
    }
}

/// A topic of community `id` that `me` may read.
fn readable_topic(
    c: &mut AnyConnection,
    me: MemberId,
    id: ashiato_core::CommunityId,
    t: ashiato_core::TopicId,
) -> StoreResult<communities::Topic> {
    let community = communities::find(c, id)?;
    let standing = communities::membership(c, id, me)?;
    if !crate::communities::can_read_topics(&community, standing) {
        return Err(StoreError::NotFound);
    }
    let topic = communities::find_topic(c, t)?;
    if topic.community != id {
        return Err(StoreError::NotFound);
    }
    Ok(topic)
}

/// [`seen_in`] on a pooled connection, for the report form.
pub async fn seen(app: &App, me: MemberId, target: Target) -> AppResult<String> {
    app.run(move |c| seen_in(c, me, target)).await
}

/// A note as typed: optional, at most [`REPORT_NOTE_MAX`] characters.
pub fn note_text(note: &str) -> Result<String, Problem> {
    if note.trim().is_empty() {
        return Ok(String::new());
    }
    ashiato_core::text::clean_multiline(note, REPORT_NOTE_MAX)
}

/// Files `me`'s report on `target` after checking they can see it. Returns whether it is new
/// (`false`: it folded into their open report on the same target).
pub async fn file(
    app: &App,
    me: MemberId,
    target: Target,
    category: ReportCategory,
    note: String,
) -> AppResult<bool> {
    app.write(move |c| {
        seen_in(c, me, target)?;
        let path = target.path();
        let new = reports::NewReport {
            reporter: me,
            target: &path,
            category: category.as_str(),
            note: &note,
        };
        let (id, fresh) = reports::file(c, &new, now())?;
        if fresh {
            tracing::info!(report = id, target = %path, category = category.as_str(), "report filed");
        }
        Ok(fresh)
    })
    .await
}

/// What an operator did about a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Acted on it (`action` says how).
    Resolved,
    /// Nothing to do.
    Dismissed,
}

/// The actions an operator may record on a resolved report (removal and suspension record
/// themselves when done from the console).
pub const ACTIONS: [&str; 4] = ["removed", "suspended", "warned", "none"];

/// Closes an open report with the operator's note and writes the audit row. `NotFound` when
/// there is no such report; an already handled one is left as it was (`Ok(false)`). Call
/// inside [`ashiato_store::write`].
pub fn decide(
    c: &mut AnyConnection,
    actor: Actor,
    id: i64,
    outcome: Outcome,
    action: &str,
    note: &str,
    at: ashiato_core::Timestamp,
) -> StoreResult<bool> {
    let note = if note.trim().is_empty() {
        String::new()
    } else {
        ashiato_core::text::clean_multiline(note, crate::moderation::REASON_MAX)?
    };
    let action = match outcome {
        Outcome::Dismissed => "none",
        Outcome::Resolved if ACTIONS.contains(&action) => action,
        Outcome::Resolved => return Err(StoreError::Rejected(Problem::NotAllowed)),
    };
    let report = reports::find(c, id)?;
    let by = match actor {
        Actor::Member(m) => Some(m),
        Actor::CommandLine => None,
    };
    let state = if outcome == Outcome::Resolved { State::Resolved } else { State::Dismissed };
    if !reports::decide(c, id, &Decision { state, action, note: &note, by }, at)? {
        return Ok(false);
    }
    let what = if outcome == Outcome::Resolved { "report.resolve" } else { "report.dismiss" };
    let target = format!("report:{id} {}", report.target);
    audit::append(c, &Action { actor, action: what, target: &target, reason: &note }, at)?;
    Ok(true)
}

/// The queue: open reports (or all), newest first.
pub async fn queue(app: &App, only_open: bool) -> AppResult<Vec<Report>> {
    app.run(move |c| reports::list(c, only_open, QUEUE_SHOWN)).await
}

/// One report with what it points at (`None` when the content is gone).
pub async fn with_content(
    app: &App,
    id: i64,
) -> AppResult<(Report, Option<crate::removal::ContentView>)> {
    app.run(move |c| {
        let report = reports::find(c, id)?;
        let content = match Target::parse(&report.target) {
            Some(t) => match crate::removal::view_in(c, t) {
                Ok(v) => Some(v),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        Ok((report, content))
    })
    .await
}

/// [`decide`] by an admin in the web console.
pub async fn decide_by(
    app: &App,
    admin: MemberId,
    id: i64,
    outcome: Outcome,
    action: String,
    note: String,
) -> AppResult<bool> {
    app.write(move |c| decide(c, Actor::Member(admin), id, outcome, &action, &note, now())).await
}

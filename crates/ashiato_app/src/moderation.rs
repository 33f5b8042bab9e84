//! The operator's side: admin rights, suspending members, and the audit log every such action
//! writes in its own transaction (docs/operations.md).
//!
//! These work on a connection, so that the command line (which has no [`crate::App`]) and the
//! web console run the very same code.
//!
//! A suspension, in one transaction: the member's row is marked with the reason, every session
//! of theirs ends, and the audit row is written. Its effects elsewhere follow from the mark:
//! password and easy login refuse with a clear page ([`crate::accounts::check_login`]), the
//! Social API refuses the member as requestor, their posting address refuses mail, their
//! profile and diaries answer 404 to others (the relation treats them like a block), and
//! their comments, entries, topics, footsteps and names leave every list others read (the
//! store's list queries skip suspended members).
//! Lifting it restores everything; nothing was deleted.

use ashiato_core::{MemberId, Timestamp};
use ashiato_store::audit::{self, Action, Actor};
use ashiato_store::{AnyConnection, StoreError, StoreResult, accounts, sessions};

/// Longest reason kept, in characters.
pub const REASON_MAX: usize = 1000;

/// A reason as typed: required, cleaned of control characters, at most [`REASON_MAX`].
pub(crate) fn reason_text(reason: &str) -> StoreResult<String> {
    ashiato_core::text::clean_multiline(reason, REASON_MAX).map_err(StoreError::Rejected)
}

/// Writes the audit row of `action` done to `member`.
fn audit_member(
    conn: &mut AnyConnection,
    actor: Actor,
    action: &str,
    member: MemberId,
    reason: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let target = format!("member:{member}");
    audit::append(conn, &Action { actor, action, target: &target, reason }, now).map(|_| ())
}

/// Grants (`admin`) or revokes operator rights; returns whether they changed (an audit row is
/// written only then). `NotFound` for a missing member, and nothing changes. Call inside
/// [`ashiato_store::write`].
pub fn set_admin(
    conn: &mut AnyConnection,
    actor: Actor,
    member: MemberId,
    admin: bool,
    now: Timestamp,
) -> StoreResult<bool> {
    let before = accounts::find_member(conn, member)?;
    if before.is_admin == admin {
        return Ok(false);
    }
    accounts::set_admin(conn, member, admin)?;
    let action = if admin { "admin.grant" } else { "admin.revoke" };
    audit_member(conn, actor, action, member, "", now)?;
    Ok(true)
}

/// Suspends a member with a reason (required: `Rejected(Empty)` otherwise): their sessions end
/// at once. Returns whether the member was not suspended before. Call inside
/// [`ashiato_store::write`].
pub fn suspend(
    conn: &mut AnyConnection,
    actor: Actor,
    member: MemberId,
    reason: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let reason = reason_text(reason)?;
    if !accounts::set_suspended(conn, member, Some(&reason), now)? {
        return Ok(false);
    }
    let ended = sessions::delete_for_member(conn, member)?;
    audit_member(conn, actor, "member.suspend", member, &reason, now)?;
    tracing::info!(member = member.0, sessions_ended = ended, "member suspended");
    Ok(true)
}

/// Lifts a suspension. Returns whether the member was suspended. Call inside
/// [`ashiato_store::write`].
pub fn unsuspend(
    conn: &mut AnyConnection,
    actor: Actor,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<bool> {
    if !accounts::set_suspended(conn, member, None, now)? {
        return Ok(false);
    }
    audit_member(conn, actor, "member.unsuspend", member, "", now)?;
    Ok(true)
}

/// The admin console's dashboard.
#[derive(Clone, Debug)]
pub struct Dashboard {
    /// Members, activity, posts, carriers, outbox.
    pub figures: ashiato_store::admin::Figures,
    /// Footsteps queued in this process and not yet written.
    pub footstep_backlog: u64,
    /// Footsteps this process dropped because its queue was full.
    pub footsteps_dropped: u64,
    /// Reports waiting for an operator.
    pub open_reports: i64,
    /// The oldest "last verified" date of the carrier gateway table, `YYYY-MM-DD`.
    pub gateways_verified: Option<String>,
}

/// Reads the dashboard.
pub async fn dashboard(app: &crate::App) -> crate::AppResult<Dashboard> {
    let (figures, open_reports) = app
        .run(|c| {
            Ok((
                ashiato_store::admin::figures(c, crate::now())?,
                ashiato_store::reports::open_count(c)?,
            ))
        })
        .await?;
    Ok(Dashboard {
        figures,
        open_reports,
        footstep_backlog: app.footsteps.backlog(),
        footsteps_dropped: app.footsteps.dropped(),
        gateways_verified: app.trust.gateways.last_verified().map(|d| d.to_string()),
    })
}

/// A member as the console shows them.
#[derive(Clone, Debug)]
pub struct MemberFile {
    /// The account.
    pub member: accounts::Member,
    /// Handsets bound for easy login.
    pub bindings: i64,
    /// Live sessions.
    pub sessions: Vec<sessions::ActiveSession>,
}

/// Members whose address or nickname contains `q` (suspended ones too), newest first.
pub async fn search(app: &crate::App, q: String) -> crate::AppResult<Vec<accounts::Member>> {
    app.run(move |c| ashiato_store::admin::search(c, &q, 50)).await
}

/// One member's file; `NotFound` for a missing member.
pub async fn member_file(app: &crate::App, id: MemberId) -> crate::AppResult<MemberFile> {
    app.run(move |c| {
        Ok(MemberFile {
            member: accounts::find_member(c, id)?,
            bindings: ashiato_store::bindings::count_for(c, id)?,
            sessions: sessions::list_for_member(c, id, crate::now())?,
        })
    })
    .await
}

/// What an admin does to a member from the console.
#[derive(Clone, Debug)]
pub enum MemberAction {
    /// Suspend, with the reason.
    Suspend(String),
    /// Lift the suspension.
    Unsuspend,
    /// Remove every easy-login binding (a stolen or passed-on handset).
    ClearEasyLogin,
    /// End every session (force logout).
    Logout,
}

/// Does `action` to `member` as `admin`, with its audit row, in one transaction; returns
/// whether anything changed. `NotFound` for a missing member; `Rejected` for a suspension
/// without a reason (nothing changes).
pub async fn act(
    app: &crate::App,
    admin: MemberId,
    member: MemberId,
    action: MemberAction,
) -> crate::AppResult<bool> {
    app.write(move |c| {
        let t = crate::now();
        let actor = Actor::Member(admin);
        match action {
            MemberAction::Suspend(reason) => suspend(c, actor, member, &reason, t),
            MemberAction::Unsuspend => unsuspend(c, actor, member, t),
            MemberAction::ClearEasyLogin => {
                accounts::find_member(c, member)?;
                let n = ashiato_store::bindings::unbind_member(c, member)?;
                audit_member(c, actor, "member.clear_easy_login", member, "", t)?;
                Ok(n > 0)
            }
            MemberAction::Logout => {
                accounts::find_member(c, member)?;
                let n = sessions::delete_for_member(c, member)?;
                audit_member(c, actor, "member.logout", member, "", t)?;
                Ok(n > 0)
            }
        }
    })
    .await
}

/// The newest audit entries.
pub async fn audit_log(app: &crate::App, limit: i64) -> crate::AppResult<Vec<audit::Entry>> {
    app.run(move |c| audit::list(c, limit)).await
}

/// Longest announcement title, in characters.
pub const ANNOUNCEMENT_TITLE_MAX: usize = 60;
/// Longest announcement text, in characters (it is shown on every keitai home page).
pub const ANNOUNCEMENT_BODY_MAX: usize = 300;

/// Publishes an announcement (already validated by the front door) shown on every member's
/// home between `window.0` and `window.1`, with its audit row. `Rejected(NotAllowed)` when the
/// window is empty.
pub async fn announce(
    app: &crate::App,
    admin: MemberId,
    title: String,
    body: String,
    window: (Timestamp, Timestamp),
) -> crate::AppResult<i64> {
    app.write(move |c| {
        let t = crate::now();
        let id = ashiato_store::announcements::create(c, Some(admin), &title, &body, window, t)?;
        let target = format!("announcement:{id}");
        audit::append(
            c,
            &Action {
                actor: Actor::Member(admin),
                action: "announcement.create",
                target: &target,
                reason: &title,
            },
            t,
        )?;
        Ok(id)
    })
    .await
}

/// Takes an announcement down, with its audit row; `NotFound` when it does not exist.
pub async fn withdraw_announcement(
    app: &crate::App,
    admin: MemberId,
    id: i64,
) -> crate::AppResult<()> {
    app.write(move |c| {
        ashiato_store::announcements::delete(c, id)?;
        let target = format!("announcement:{id}");
        audit::append(
            c,
            &Action {
                actor: Actor::Member(admin),
                action: "announcement.delete",
                target: &target,
                reason: "",
            },
            crate::now(),
        )?;
        Ok(())
    })
    .await
}

/// Every announcement, newest first.
pub async fn announcements(
    app: &crate::App,
) -> crate::AppResult<Vec<ashiato_store::announcements::Announcement>> {
    app.run(|c| ashiato_store::announcements::all(c, 100)).await
}

/// The newest invitations (the console's list).
pub async fn invitations(
    app: &crate::App,
) -> crate::AppResult<Vec<ashiato_store::admin::InvitationRow>> {
    app.run(|c| ashiato_store::admin::list_invitations(c, 200)).await
}

/// Revokes an open invitation, with its audit row; returns whether it was open (a used or
/// expired one stays as it is and nothing is recorded).
pub async fn revoke_invitation(
    app: &crate::App,
    admin: MemberId,
    id: i64,
) -> crate::AppResult<bool> {
    app.write(move |c| {
        let t = crate::now();
        if !ashiato_store::admin::revoke_invitation(c, id, t)? {
            return Ok(false);
        }
        let target = format!("invitation:{id}");
        let action = Action {
            actor: Actor::Member(admin),
            action: "invitation.revoke",
            target: &target,
            reason: "",
        };
        audit::append(c, &action, t)?;
        Ok(true)
    })
    .await
}

/// Every app with the member who registered it, newest first (the console's app review).
pub async fn apps(
    app: &crate::App,
) -> crate::AppResult<Vec<(ashiato_store::apps::App, Option<ashiato_store::friends::MemberSummary>)>>
{
    app.run(|c| {
        let apps = ashiato_store::apps::list(c, 1000, 0)?;
        let ids: Vec<MemberId> = apps.iter().filter_map(|a| a.registered_by).collect();
        // The registrants in one query (a withdrawn one is simply not named).
        let names: std::collections::HashMap<MemberId, String> =
            accounts::find_members(c, &ids)?.into_iter().map(|m| (m.id, m.nickname)).collect();
        Ok(apps
            .into_iter()
            .map(|a| {
                let by = a.registered_by.and_then(|id| {
                    let nickname = names.get(&id)?.clone();
                    Some(ashiato_store::friends::MemberSummary { id, nickname })
                });
                (a, by)
            })
            .collect())
    })
    .await
}

/// Approves an app (members see it, its key works) or suspends it (hidden at once, its
/// consumer key refused by the Social API). Returns whether it changed; an audit row
/// (`app.approve` / `app.suspend`) is written only then. Call inside [`ashiato_store::write`].
pub fn set_app_live(
    conn: &mut AnyConnection,
    actor: Actor,
    id: ashiato_core::AppId,
    live: bool,
    now: Timestamp,
) -> StoreResult<bool> {
    use ashiato_store::apps::{REVIEW_APPROVED, REVIEW_SUSPENDED, set_review_state};
    let state = if live { REVIEW_APPROVED } else { REVIEW_SUSPENDED };
    if !set_review_state(conn, id, state)? {
        return Ok(false);
    }
    let action = if live { "app.approve" } else { "app.suspend" };
    let target = format!("app:{id}");
    audit::append(conn, &Action { actor, action, target: &target, reason: "" }, now)?;
    tracing::info!(app = id.0, live, "app review");
    Ok(true)
}

/// [`set_app_live`] by an admin in the console.
pub async fn review_app(
    app: &crate::App,
    admin: MemberId,
    id: ashiato_core::AppId,
    live: bool,
) -> crate::AppResult<bool> {
    app.write(move |c| set_app_live(c, Actor::Member(admin), id, live, crate::now())).await
}

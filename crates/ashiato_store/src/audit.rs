//! The audit log: one row per admin action (who, when, what, on what, why), append-only. The
//! database itself refuses changes to written rows (triggers in the moderation migration), so
//! this module has no update or delete.

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::schema::audit_log;

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// An admin, in the web console.
    Member(MemberId),
    /// The operator, on the command line of the server.
    CommandLine,
}

impl Actor {
    fn label(&self) -> String {
        match self {
            Actor::Member(id) => format!("member:{id}"),
            Actor::CommandLine => "cli".into(),
        }
    }
}

/// One admin action to record.
#[derive(Clone, Debug)]
pub struct Action<'a> {
    /// Who.
    pub actor: Actor,
    /// What (`admin.grant`, `member.suspend`, …).
    pub action: &'a str,
    /// On what (`member:12`, `/diary/34`).
    pub target: &'a str,
    /// Why, as the admin wrote it (may be empty).
    pub reason: &'a str,
}

/// A recorded action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Row id (increasing).
    pub id: i64,
    /// `member:12` or `cli`.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// To what.
    pub target: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: Timestamp,
}

/// Records an action. Call inside the [`crate::write`] transaction of the action itself, so
/// an action never happens unrecorded nor the reverse.
pub fn append(conn: &mut AnyConnection, a: &Action<'_>, now: Timestamp) -> StoreResult<i64> {
    let actor_id = match a.actor {
        Actor::Member(id) => Some(id.0),
        Actor::CommandLine => None,
    };
    Ok(diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor.eq(a.actor.label()),
            audit_log::actor_id.eq(actor_id),
            audit_log::action.eq(a.action),
            audit_log::target.eq(a.target),
            audit_log::reason.eq(a.reason),
            audit_log::created_at.eq(now.0),
        ))
        .returning(audit_log::id)
        .get_result(conn)?)
}

/// The newest `limit` entries, newest first.
pub fn list(conn: &mut AnyConnection, limit: i64) -> StoreResult<Vec<Entry>> {
    let rows: Vec<(i64, String, String, String, String, i64)> = audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select((
            audit_log::id,
            audit_log::actor,
            audit_log::action,
            audit_log::target,
            audit_log::reason,
            audit_log::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, actor, action, target, reason, at)| Entry {
            id,
            actor,
            action,
            target,
            reason,
            at: Timestamp(at),
        })
        .collect())
}

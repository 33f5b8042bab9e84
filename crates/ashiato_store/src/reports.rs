//! Reports (通報) members file on content, the operators' queue of them, and the tombstones of
//! content the operators removed. Targets are page paths (`ashiato_core::moderation::Target`).

use ashiato_core::{MemberId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::AnyConnection;
use crate::schema::{members, reports, tombstones};

/// A report's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Waiting for an operator.
    Open,
    /// An operator acted on it.
    Resolved,
    /// An operator found nothing to do.
    Dismissed,
}

impl State {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Resolved => "resolved",
            State::Dismissed => "dismissed",
        }
    }

    fn parse(s: &str) -> State {
        match s {
            "resolved" => State::Resolved,
            "dismissed" => State::Dismissed,
            _ => State::Open,
        }
    }
}

/// A report, as the queue shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Row id.
    pub id: i64,
    /// State.
    pub state: State,
    /// The target's page path.
    pub target: String,
    /// Category name (`spam`, `harassment`, …).
    pub category: String,
    /// What the reporter wrote.
    pub note: String,
    /// Who reported (gone when they withdrew).
    pub reporter: Option<MemberId>,
    /// Their address, for the operator's reply.
    pub reporter_email: Option<String>,
    /// When.
    pub created_at: Timestamp,
    /// What the operator did (`removed`, `suspended`, `warned`, `none`), once handled.
    pub action: String,
    /// The operator's note.
    pub resolution: String,
    /// When it was handled.
    pub handled_at: Option<Timestamp>,
}

/// A new report.
#[derive(Clone, Debug)]
pub struct NewReport<'a> {
    /// Who reports.
    pub reporter: MemberId,
    /// The target's page path.
    pub target: &'a str,
    /// Category name.
    pub category: &'a str,
    /// The reporter's note (may be empty).
    pub note: &'a str,
}

/// Files a report, or finds the reporter's open report on the same target (one open report
/// per member per target: a second one folds into the first). Returns the report's id and
/// whether it is new. Call inside [`crate::write`].
pub fn file(
    conn: &mut AnyConnection,
    r: &NewReport<'_>,
    now: Timestamp,
) -> StoreResult<(i64, bool)> {
    if let Some(id) = open_by(conn, r.reporter, r.target)? {
        return Ok((id, false));
    }
    let id = diesel::insert_into(reports::table)
        .values((
            reports::reporter_id.eq(r.reporter.0),
            reports::target.eq(r.target),
            reports::category.eq(r.category),
            reports::note.eq(r.note),
            reports::created_at.eq(now.0),
        ))
        .returning(reports::id)
        .get_result::<i64>(conn)?;
    Ok((id, true))
}

/// The reporter's open report on `target`, if any.
pub fn open_by(
    conn: &mut AnyConnection,
    reporter: MemberId,
    target: &str,
) -> StoreResult<Option<i64>> {
    Ok(reports::table
        .filter(reports::reporter_id.eq(reporter.0))
        .filter(reports::target.eq(target))
        .filter(reports::state.eq(State::Open.as_str()))
        .select(reports::id)
        .first::<i64>(conn)
        .optional()?)
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    i64,
    String,
    String,
    Option<i64>,
);

fn from_row(r: Row) -> Report {
    let (id, state, target, category, note, reporter, email, created, action, resolution, handled) =
        r;
    Report {
        id,
        state: State::parse(&state),
        target,
        category,
        note,
        reporter: reporter.map(MemberId),
        reporter_email: email,
        created_at: Timestamp(created),
        action,
        resolution,
        handled_at: handled.map(Timestamp),
    }
}

/// Reports with their reporters' addresses, newest first: one (`id`), only the open ones, or
/// all.
fn load(
    conn: &mut AnyConnection,
    id: Option<i64>,
    only_open: bool,
    limit: i64,
) -> StoreResult<Vec<Report>> {
    let mut q = reports::table
        .left_join(members::table.on(members::id.nullable().eq(reports::reporter_id)))
        .select((
            reports::id,
            reports::state,
            reports::target,
            reports::category,
            reports::note,
            reports::reporter_id,
            members::email.nullable(),
            reports::created_at,
            reports::action,
            reports::resolution,
            reports::handled_at,
        ))
        .order(reports::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(reports::id.eq(id));
    }
    if only_open {
        q = q.filter(reports::state.eq(State::Open.as_str()));
    }
    Ok(q.load::<Row>(conn)?.into_iter().map(from_row).collect())
}

/// Reports, newest first: only the open ones, or all.
pub fn list(conn: &mut AnyConnection, only_open: bool, limit: i64) -> StoreResult<Vec<Report>> {
    load(conn, None, only_open, limit)
}

/// One report. `NotFound` when there is none.
pub fn find(conn: &mut AnyConnection, id: i64) -> StoreResult<Report> {
    load(conn, Some(id), false, 1)?.pop().ok_or(crate::StoreError::NotFound)
}

/// How many reports are open.
pub fn open_count(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(reports::table.filter(reports::state.eq(State::Open.as_str())).count().get_result(conn)?)
}

/// An operator's decision on a report.
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    /// `Resolved` or `Dismissed`.
    pub state: State,
    /// What was done (`removed`, `suspended`, `warned`, `none`).
    pub action: &'a str,
    /// The operator's note.
    pub note: &'a str,
    /// Who decided (none: the command line).
    pub by: Option<MemberId>,
}

/// Closes one open report. Returns whether it was open (a handled report stays as it was).
/// Call inside [`crate::write`].
pub fn decide(
    conn: &mut AnyConnection,
    id: i64,
    d: &Decision<'_>,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = diesel::update(
        reports::table.filter(reports::id.eq(id)).filter(reports::state.eq(State::Open.as_str())),
    )
    .set((
        reports::state.eq(d.state.as_str()),
        reports::action.eq(d.action),
        reports::resolution.eq(d.note),
        reports::handled_by.eq(d.by.map(|m| m.0)),
        reports::handled_at.eq(now.0),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Closes every open report on `targets` as resolved with `action` (content removed, member
/// suspended). Returns how many. Call inside [`crate::write`].
pub fn resolve_all_on(
    conn: &mut AnyConnection,
    targets: &[String],
    d: &Decision<'_>,
    now: Timestamp,
) -> StoreResult<usize> {
    Ok(diesel::update(
        reports::table
            .filter(reports::target.eq_any(targets))
            .filter(reports::state.eq(State::Open.as_str())),
    )
    .set((
        reports::state.eq(d.state.as_str()),
        reports::action.eq(d.action),
        reports::resolution.eq(d.note),
        reports::handled_by.eq(d.by.map(|m| m.0)),
        reports::handled_at.eq(now.0),
    ))
    .execute(conn)?)
}

/// Leaves a tombstone at `target` (a second removal of the same path keeps the first). Call
/// inside [`crate::write`].
pub fn bury(
    conn: &mut AnyConnection,
    target: &str,
    reason: &str,
    now: Timestamp,
) -> StoreResult<()> {
    if tombstone(conn, target)?.is_none() {
        diesel::insert_into(tombstones::table)
            .values((
                tombstones::target.eq(target),
                tombstones::reason.eq(reason),
                tombstones::removed_at.eq(now.0),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// When the content at `target` was removed by the operators, if it was.
pub fn tombstone(conn: &mut AnyConnection, target: &str) -> StoreResult<Option<Timestamp>> {
    Ok(tombstones::table
        .find(target)
        .select(tombstones::removed_at)
        .first::<i64>(conn)
        .optional()?
        .map(Timestamp))
}

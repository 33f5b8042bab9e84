//! OpenSocial apps: the registry, installations, app data, activities, OAuth nonces and the
//! lifecycle-event queue. Scope checks are the caller's (the API applies the viewer's relation
//! before it reads anything here).

use std::collections::BTreeMap;

use ashiato_core::{AppId, MemberId, Timestamp};
use diesel::prelude::*;

use crate::db::{AnyConnection, native};
use crate::error::is_unique_violation;
use crate::friends::{MemberSummary, MemberSummaryRow};
use crate::schema::{
    activities, app_data, app_events, app_installs, apps, container_keys, friendships, members,
    oauth_nonces,
};
use crate::{StoreError, StoreResult};

/// A registered app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    /// Id.
    pub id: AppId,
    /// Title from the gadget.
    pub title: String,
    /// Description from the gadget.
    pub description: String,
    /// Where the gadget XML came from ("" when uploaded).
    pub gadget_url: String,
    /// The gadget XML as registered.
    pub gadget_xml: String,
    /// The mobile start URL.
    pub start_url: String,
    /// Hosts the proxy may fetch for this app.
    pub allowed_hosts: Vec<String>,
    /// OAuth consumer key.
    pub consumer_key: String,
    /// OAuth consumer secret (HMAC-SHA1 key).
    pub consumer_secret: String,
    /// Lifecycle URL for installs.
    pub addapp_url: Option<String>,
    /// Lifecycle URL for removals.
    pub removeapp_url: Option<String>,
    /// `GET` or `POST` for lifecycle events.
    pub event_method: String,
    /// How the container signs requests to the app: `HMAC-SHA1` or `RSA-SHA1`.
    pub signature_method: String,
    /// Who registered it (none: the operator, or a withdrawn member).
    pub registered_by: Option<MemberId>,
    /// `approved` (members see it and its key works), `pending` (waiting for an admin's
    /// review) or `suspended` (pulled: hidden, its key refused).
    pub review_state: String,
}

impl App {
    /// Whether members see the app and its consumer key is accepted.
    pub fn is_live(&self) -> bool {
        self.review_state == REVIEW_APPROVED
    }
}

/// The review state of an app members may use.
pub const REVIEW_APPROVED: &str = "approved";
/// The review state of an app waiting for an admin.
pub const REVIEW_PENDING: &str = "pending";
/// The review state of an app an admin pulled.
pub const REVIEW_SUSPENDED: &str = "suspended";

#[derive(Queryable, Selectable)]
#[diesel(table_name = apps)]
struct AppRow {
    id: i64,
    title: String,
    description: String,
    gadget_url: String,
    gadget_xml: String,
    start_url: String,
    allowed_hosts: String,
    consumer_key: String,
    consumer_secret: String,
    addapp_url: Option<String>,
    removeapp_url: Option<String>,
    event_method: String,
    signature_method: String,
    registered_by: Option<i64>,
    review_state: String,
}

impl From<AppRow> for App {
    fn from(r: AppRow) -> Self {
        App {
            id: AppId(r.id),
            title: r.title,
            description: r.description,
            gadget_url: r.gadget_url,
            gadget_xml: r.gadget_xml,
            start_url: r.start_url,
            allowed_hosts: r.allowed_hosts.split_whitespace().map(str::to_owned).collect(),
            consumer_key: r.consumer_key,
            consumer_secret: r.consumer_secret,
            addapp_url: r.addapp_url,
            removeapp_url: r.removeapp_url,
            event_method: r.event_method,
            signature_method: r.signature_method,
            registered_by: r.registered_by.map(MemberId),
            review_state: r.review_state,
        }
    }
}

/// A new app (everything but the id).
#[derive(Clone, Debug)]
pub struct NewApp<'a> {
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
    /// Gadget URL or "".
    pub gadget_url: &'a str,
    /// Gadget XML.
    pub gadget_xml: &'a str,
    /// Mobile start URL.
    pub start_url: &'a str,
    /// Hosts the proxy may fetch.
    pub allowed_hosts: &'a [String],
    /// Consumer key.
    pub consumer_key: &'a str,
    /// Consumer secret.
    pub consumer_secret: &'a str,
    /// Install lifecycle URL.
    pub addapp_url: Option<&'a str>,
    /// Removal lifecycle URL.
    pub removeapp_url: Option<&'a str>,
    /// Lifecycle method.
    pub event_method: &'a str,
    /// `HMAC-SHA1` or `RSA-SHA1`.
    pub signature_method: &'a str,
    /// Who registered it.
    pub registered_by: Option<MemberId>,
    /// [`REVIEW_APPROVED`] or [`REVIEW_PENDING`].
    pub review_state: &'a str,
}

/// Registers an app.
pub fn create(conn: &mut AnyConnection, a: &NewApp<'_>, now: Timestamp) -> StoreResult<AppId> {
    Ok(AppId(
        diesel::insert_into(apps::table)
            .values((
                apps::title.eq(a.title),
                apps::description.eq(a.description),
                apps::gadget_url.eq(a.gadget_url),
                apps::gadget_xml.eq(a.gadget_xml),
                apps::start_url.eq(a.start_url),
                apps::allowed_hosts.eq(a.allowed_hosts.join(" ")),
                apps::consumer_key.eq(a.consumer_key),
                apps::consumer_secret.eq(a.consumer_secret),
                apps::addapp_url.eq(a.addapp_url),
                apps::removeapp_url.eq(a.removeapp_url),
                apps::event_method.eq(a.event_method),
                apps::signature_method.eq(a.signature_method),
                apps::registered_by.eq(a.registered_by.map(|m| m.0)),
                apps::review_state.eq(a.review_state),
                apps::created_at.eq(now.0),
            ))
            .returning(apps::id)
            .get_result::<i64>(conn)?,
    ))
}

/// One app.
pub fn find(conn: &mut AnyConnection, id: AppId) -> StoreResult<App> {
    apps::table
        .find(id.0)
        .select(AppRow::as_select())
        .first(conn)
        .map(App::from)
        .map_err(StoreError::from)
}

/// The live app with this consumer key, if any: a pending or suspended app's key is refused.
pub fn by_consumer_key(conn: &mut AnyConnection, key: &str) -> StoreResult<Option<App>> {
    Ok(apps::table
        .filter(apps::consumer_key.eq(key))
        .filter(apps::review_state.eq(REVIEW_APPROVED))
        .select(AppRow::as_select())
        .first(conn)
        .optional()?
        .map(App::from))
}

/// Apps newest first: every one, or only the live ones.
fn listed(
    conn: &mut AnyConnection,
    only_live: bool,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<App>> {
    let mut q = apps::table.order(apps::id.desc()).limit(limit).offset(offset).into_boxed();
    if only_live {
        q = q.filter(apps::review_state.eq(REVIEW_APPROVED));
    }
    Ok(q.select(AppRow::as_select()).load(conn)?.into_iter().map(App::from).collect())
}

/// All apps, newest first (the operators' lists).
pub fn list(conn: &mut AnyConnection, limit: i64, offset: i64) -> StoreResult<Vec<App>> {
    listed(conn, false, limit, offset)
}

/// The apps members may see (approved), newest first.
pub fn list_live(conn: &mut AnyConnection, limit: i64, offset: i64) -> StoreResult<Vec<App>> {
    listed(conn, true, limit, offset)
}

/// Sets an app's review state; returns whether it changed. `NotFound` for a missing app.
pub fn set_review_state(conn: &mut AnyConnection, id: AppId, state: &str) -> StoreResult<bool> {
    let before: String = apps::table.find(id.0).select(apps::review_state).first(conn)?;
    if before == state {
        return Ok(false);
    }
    diesel::update(apps::table.find(id.0)).set(apps::review_state.eq(state)).execute(conn)?;
    Ok(true)
}

/// Installs an app for a member; `false` if it was installed already.
pub fn install(
    conn: &mut AnyConnection,
    app_id: AppId,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<bool> {
    if is_installed(conn, app_id, member)? {
        return Ok(false);
    }
    match diesel::insert_into(app_installs::table)
        .values((
            app_installs::app_id.eq(app_id.0),
            app_installs::member_id.eq(member.0),
            app_installs::installed_at.eq(now.0),
        ))
        .execute(conn)
    {
        Err(e) if is_unique_violation(&e) => Ok(false),
        other => other.map(|_| true).map_err(Into::into),
    }
}

/// Uninstalls; `false` if it was not installed. The app's data for the member goes too.
pub fn uninstall(conn: &mut AnyConnection, app_id: AppId, member: MemberId) -> StoreResult<bool> {
    let n = diesel::delete(app_installs::table.find((app_id.0, member.0))).execute(conn)?;
    diesel::delete(
        app_data::table
            .filter(app_data::app_id.eq(app_id.0))
            .filter(app_data::member_id.eq(member.0)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Whether a member installed an app.
pub fn is_installed(
    conn: &mut AnyConnection,
    app_id: AppId,
    member: MemberId,
) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(app_installs::table.find((app_id.0, member.0))))
        .get_result(conn)?)
}

/// Which of `members` installed the app.
pub fn installed_among(
    conn: &mut AnyConnection,
    app_id: AppId,
    members_ids: &[MemberId],
) -> StoreResult<Vec<MemberId>> {
    let ids: Vec<i64> = members_ids.iter().map(|m| m.0).collect();
    Ok(app_installs::table
        .filter(app_installs::app_id.eq(app_id.0))
        .filter(app_installs::member_id.eq_any(ids))
        .select(app_installs::member_id)
        .load::<i64>(conn)?
        .into_iter()
        .map(MemberId)
        .collect())
}

/// Apps a member installed.
pub fn installed_by(conn: &mut AnyConnection, member: MemberId) -> StoreResult<Vec<App>> {
    Ok(apps::table
        .inner_join(app_installs::table)
        .filter(app_installs::member_id.eq(member.0))
        .filter(apps::review_state.eq(REVIEW_APPROVED))
        .order(app_installs::installed_at.desc())
        .select(AppRow::as_select())
        .load(conn)?
        .into_iter()
        .map(App::from)
        .collect())
}

/// A member's friends who installed the app ("friends who use this app").
pub fn friends_using(
    conn: &mut AnyConnection,
    app_id: AppId,
    member: MemberId,
) -> StoreResult<Vec<MemberSummary>> {
    Ok(friendships::table
        .inner_join(app_installs::table.on(app_installs::member_id.eq(friendships::friend_id)))
        .inner_join(members::table.on(members::id.eq(friendships::friend_id)))
        .filter(friendships::member_id.eq(member.0))
        .filter(app_installs::app_id.eq(app_id.0))
        .order(members::nickname.asc())
        .select(MemberSummaryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(MemberSummary::from)
        .collect())
}

/// A member's app data (all keys, or the listed ones).
pub fn data(
    conn: &mut AnyConnection,
    app_id: AppId,
    member: MemberId,
    keys: Option<&[String]>,
) -> StoreResult<BTreeMap<String, String>> {
    let mut q = app_data::table
        .filter(app_data::app_id.eq(app_id.0))
        .filter(app_data::member_id.eq(member.0))
        .select((app_data::data_key, app_data::data_value))
        .into_boxed();
    if let Some(k) = keys {
        q = q.filter(app_data::data_key.eq_any(k.to_vec()));
    }
    // Key/value pairs go straight into the map; a row struct would only be unpacked again.
    Ok(q.load::<(String, String)>(conn)?.into_iter().collect())
}

/// Merges key/values into a member's app data (update or insert per key). Call inside
/// [`crate::write`].
pub fn put_data(
    conn: &mut AnyConnection,
    app_id: AppId,
    member: MemberId,
    values: &BTreeMap<String, String>,
    now: Timestamp,
) -> StoreResult<()> {
    for (k, v) in values {
        let n = diesel::update(app_data::table.find((app_id.0, member.0, k)))
            .set((app_data::data_value.eq(v), app_data::updated_at.eq(now.0)))
            .execute(conn)?;
        if n == 0 {
            diesel::insert_into(app_data::table)
                .values((
                    app_data::app_id.eq(app_id.0),
                    app_data::member_id.eq(member.0),
                    app_data::data_key.eq(k),
                    app_data::data_value.eq(v),
                    app_data::updated_at.eq(now.0),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Deletes the listed keys (all keys when `None`).
pub fn delete_data(
    conn: &mut AnyConnection,
    app_id: AppId,
    member: MemberId,
    keys: Option<&[String]>,
) -> StoreResult<()> {
    let base = app_data::table
        .filter(app_data::app_id.eq(app_id.0))
        .filter(app_data::member_id.eq(member.0));
    match keys {
        Some(k) => {
            diesel::delete(base.filter(app_data::data_key.eq_any(k.to_vec()))).execute(conn)?
        }
        None => diesel::delete(base).execute(conn)?,
    };
    Ok(())
}

/// An activity an app posted for a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    /// Id.
    pub id: i64,
    /// App.
    pub app_id: AppId,
    /// Member.
    pub member: MemberId,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Link.
    pub url: String,
    /// When.
    pub created_at: Timestamp,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = activities)]
struct ActivityRow {
    id: i64,
    app_id: i64,
    member_id: i64,
    title: String,
    body: String,
    url: String,
    created_at: i64,
}

impl From<ActivityRow> for Activity {
    fn from(r: ActivityRow) -> Self {
        Activity {
            id: r.id,
            app_id: AppId(r.app_id),
            member: MemberId(r.member_id),
            title: r.title,
            body: r.body,
            url: r.url,
            created_at: Timestamp(r.created_at),
        }
    }
}

/// Records an activity.
pub fn create_activity(
    conn: &mut AnyConnection,
    app_id: AppId,
    member: MemberId,
    title: &str,
    body: &str,
    url: &str,
    now: Timestamp,
) -> StoreResult<i64> {
    Ok(diesel::insert_into(activities::table)
        .values((
            activities::app_id.eq(app_id.0),
            activities::member_id.eq(member.0),
            activities::title.eq(title),
            activities::body.eq(body),
            activities::url.eq(url),
            activities::created_at.eq(now.0),
        ))
        .returning(activities::id)
        .get_result(conn)?)
}

/// Activities of these members (optionally of one app), newest first.
pub fn activities_of(
    conn: &mut AnyConnection,
    members_ids: &[MemberId],
    app_id: Option<AppId>,
    limit: i64,
) -> StoreResult<Vec<Activity>> {
    let ids: Vec<i64> = members_ids.iter().map(|m| m.0).collect();
    let mut q = activities::table.filter(activities::member_id.eq_any(ids)).into_boxed();
    if let Some(a) = app_id {
        q = q.filter(activities::app_id.eq(a.0));
    }
    Ok(q.order((activities::created_at.desc(), activities::id.desc()))
        .limit(limit)
        .select(ActivityRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Activity::from)
        .collect())
}

/// Records a nonce; `false` if this consumer used it before (a replay). Call it on its own,
/// not inside a transaction: on PostgreSQL the unique violation that detects a replay would
/// abort the surrounding transaction.
pub fn remember_nonce(
    conn: &mut AnyConnection,
    consumer_key: &str,
    nonce: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    match diesel::insert_into(oauth_nonces::table)
        .values((
            oauth_nonces::consumer_key.eq(consumer_key),
            oauth_nonces::nonce.eq(nonce),
            oauth_nonces::seen_at.eq(now.0),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Forgets nonces older than `before` (outside the timestamp window they cannot be replayed).
pub fn prune_nonces(conn: &mut AnyConnection, before: Timestamp) -> StoreResult<usize> {
    Ok(diesel::delete(oauth_nonces::table.filter(oauth_nonces::seen_at.lt(before.0)))
        .execute(conn)?)
}

/// A queued lifecycle event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Id.
    pub id: i64,
    /// App.
    pub app_id: AppId,
    /// Member who installed or removed it.
    pub member: MemberId,
    /// `event.addapp` or `event.removeapp`.
    pub event_type: String,
    /// Attempts so far.
    pub attempts: i32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = app_events)]
struct EventRow {
    id: i64,
    app_id: i64,
    member_id: i64,
    event_type: String,
    attempts: i32,
}

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            id: r.id,
            app_id: AppId(r.app_id),
            member: MemberId(r.member_id),
            event_type: r.event_type,
            attempts: r.attempts,
        }
    }
}

/// Queues a lifecycle event, to be delivered by the worker. Call in the same transaction as the
/// install or removal so that neither happens without the other.
pub fn enqueue_event(
    conn: &mut AnyConnection,
    app_id: AppId,
    member: MemberId,
    event_type: &str,
    now: Timestamp,
) -> StoreResult<i64> {
    Ok(diesel::insert_into(app_events::table)
        .values((
            app_events::app_id.eq(app_id.0),
            app_events::member_id.eq(member.0),
            app_events::event_type.eq(event_type),
            app_events::next_attempt_at.eq(now.0),
            app_events::created_at.eq(now.0),
        ))
        .returning(app_events::id)
        .get_result(conn)?)
}

/// Claims up to `limit` due events for `lease_ms`: a claimed event is not handed to another
/// worker until the lease runs out (a worker that crashes mid-delivery leaves it to be retried).
pub fn claim_events(
    conn: &mut AnyConnection,
    now: Timestamp,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<Event>> {
    let due: Vec<EventRow> = app_events::table
        .filter(app_events::status.eq("queued"))
        .filter(app_events::next_attempt_at.le(now.0))
        .order(app_events::id.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?;
    let mut claimed = Vec::new();
    for row in due {
        // Only the worker whose update changes the row owns the event.
        let n = diesel::update(
            app_events::table
                .find(row.id)
                .filter(app_events::next_attempt_at.le(now.0))
                .filter(app_events::status.eq("queued")),
        )
        .set(app_events::next_attempt_at.eq(now.0 + lease_ms))
        .execute(conn)?;
        if n == 1 {
            claimed.push(Event::from(row));
        }
    }
    Ok(claimed)
}

/// Marks an event delivered.
pub fn event_delivered(conn: &mut AnyConnection, id: i64, now: Timestamp) -> StoreResult<()> {
    diesel::update(app_events::table.find(id))
        .set((app_events::status.eq("sent"), app_events::sent_at.eq(now.0)))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: retried after `retry_at`, or given up after too many attempts.
pub fn event_failed(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    retry_at: Option<Timestamp>,
) -> StoreResult<()> {
    let n = diesel::update(app_events::table.find(id))
        .set((
            app_events::attempts.eq(app_events::attempts + 1),
            app_events::last_error.eq(error),
            app_events::status.eq(if retry_at.is_some() { "queued" } else { "failed" }),
            app_events::next_attempt_at.eq(retry_at.map_or(0, |t| t.0)),
        ))
        .execute(conn)?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Event counts by status (for operators and tests).
pub fn event_status(conn: &mut AnyConnection, id: i64) -> StoreResult<(String, i32)> {
    // The public result is this pair, so it is loaded as one.
    Ok(app_events::table.find(id).select((app_events::status, app_events::attempts)).first(conn)?)
}

/// Deletes a member's activities of one app by id; returns how many went.
pub fn delete_activities(
    conn: &mut AnyConnection,
    app_id: AppId,
    member: MemberId,
    ids: &[i64],
) -> StoreResult<usize> {
    Ok(diesel::delete(
        activities::table
            .filter(activities::app_id.eq(app_id.0))
            .filter(activities::member_id.eq(member.0))
            .filter(activities::id.eq_any(ids.to_vec())),
    )
    .execute(conn)?)
}

/// The container's key pair as stored: (private PKCS#8 PEM, public PEM), if made yet.
pub fn container_key(
    conn: &mut AnyConnection,
    name: &str,
) -> StoreResult<Option<(String, String)>> {
    // The public result is this pair, so it is loaded as one.
    Ok(container_keys::table
        .find(name)
        .select((container_keys::private_pem, container_keys::public_pem))
        .first(conn)
        .optional()?)
}

/// Stores the container's key pair unless one of that name exists (another process made it
/// first); returns the pair in force. Call on its own, not inside a transaction.
pub fn save_container_key(
    conn: &mut AnyConnection,
    name: &str,
    private_pem: &str,
    public_pem: &str,
    now: Timestamp,
) -> StoreResult<(String, String)> {
    match diesel::insert_into(container_keys::table)
        .values((
            container_keys::name.eq(name),
            container_keys::private_pem.eq(private_pem),
            container_keys::public_pem.eq(public_pem),
            container_keys::created_at.eq(now.0),
        ))
        .execute(conn)
    {
        Ok(_) => Ok((private_pem.to_owned(), public_pem.to_owned())),
        Err(e) if is_unique_violation(&e) => container_key(conn, name)?.ok_or(StoreError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// An activity in a member's home feed: the activity, its author's nickname and the app's
/// title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedActivity {
    /// The activity.
    pub activity: Activity,
    /// Its author's nickname.
    pub nickname: String,
    /// The app's title.
    pub app_title: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = activities)]
struct FeedActivityRow {
    #[diesel(embed)]
    activity: ActivityRow,
    #[diesel(select_expression = members::nickname)]
    nickname: String,
    #[diesel(select_expression = apps::title)]
    app_title: String,
}

impl From<FeedActivityRow> for FeedActivity {
    fn from(r: FeedActivityRow) -> Self {
        FeedActivity { activity: r.activity.into(), nickname: r.nickname, app_title: r.app_title }
    }
}

/// The newest activities of a member's friends, across apps.
pub fn friends_activities(
    conn: &mut AnyConnection,
    member: MemberId,
    limit: i64,
) -> StoreResult<Vec<FeedActivity>> {
    Ok(native!(conn, c => activities::table
        .inner_join(friendships::table.on(friendships::friend_id.eq(activities::member_id)))
        .inner_join(members::table.on(members::id.eq(activities::member_id)))
        .inner_join(apps::table.on(apps::id.eq(activities::app_id)))
        .filter(friendships::member_id.eq(member.0))
        .order((activities::created_at.desc(), activities::id.desc()))
        .limit(limit)
        .select(FeedActivityRow::as_select())
        .load(c))?
    .into_iter()
    .map(FeedActivity::from)
    .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = app_data)]
struct AppDataRow {
    member_id: i64,
    data_key: String,
    data_value: String,
}

/// App data of several members at once: member → key → value (members without data are left
/// out).
pub fn data_of_many(
    conn: &mut AnyConnection,
    app_id: AppId,
    members_ids: &[MemberId],
    keys: Option<&[String]>,
) -> StoreResult<BTreeMap<MemberId, BTreeMap<String, String>>> {
    let ids: Vec<i64> = members_ids.iter().map(|m| m.0).collect();
    let mut q = app_data::table
        .filter(app_data::app_id.eq(app_id.0))
        .filter(app_data::member_id.eq_any(ids))
        .select(AppDataRow::as_select())
        .into_boxed();
    if let Some(k) = keys {
        q = q.filter(app_data::data_key.eq_any(k.to_vec()));
    }
    let mut out: BTreeMap<MemberId, BTreeMap<String, String>> = BTreeMap::new();
    for r in q.load(conn)? {
        out.entry(MemberId(r.member_id)).or_default().insert(r.data_key, r.data_value);
    }
    Ok(out)
}

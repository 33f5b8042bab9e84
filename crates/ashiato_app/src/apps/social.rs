//! Executing Social API requests against the store, with the member's scopes and blocks
//! applied (S-33): an app sees what its requestor may see, and writes only the requestor's own
//! data.
//!
//! Rules beyond the spec's shapes:
//! - The requestor (`xoauth_requestor_id`) is a member who installed the app; ids are member
//!   ids as strings.
//! - `@self` of another member: visible unless either blocked the other (then 404, as pages
//!   do); profile fields only as their scopes allow the requestor. Birthdays keep year `0000`.
//! - `@friends`/`@all` only of the requestor (403 for anyone else's).
//! - Activities of the requestor or of their friends; AppData of the requestor or friends.
//! - Never sent: e-mail addresses, subscriber IDs, mail posting addresses.

use std::collections::{BTreeMap, HashSet};

use ashiato_core::content::MessageDraft;
use ashiato_core::{MemberId, Relation, Timestamp};
use ashiato_image::{Variant, VariantFormat, WidthClass};
use ashiato_opensocial::model::{
    self, Activity, Collection, FilterContext, Name, Person, sanitize_activity_markup,
};
use ashiato_opensocial::request::{
    ApiError, AppId, CollectionOptions, Fields, GroupId, Request, ResponseData, UserId,
};
use ashiato_store::accounts::{self, Member};
use ashiato_store::{AnyConnection, StoreError, apps, friends, relation};
use serde_json::Value;

use crate::secret::Secret;

/// Most friends read for one `@friends` request (mixi capped friend lists at 1000).
const MAX_FRIENDS: i64 = 1000;
/// Longest activity title and body, in bytes.
const ACTIVITY_TITLE_MAX: usize = 1024;
const ACTIVITY_BODY_MAX: usize = 4096;
/// Longest AppData value, in bytes, and most keys per member and app.
const APPDATA_VALUE_MAX: usize = 64 * 1024;
const APPDATA_KEYS_MAX: usize = 500;
/// Most recipients of one `messages.send`.
const MESSAGE_RECIPIENTS_MAX: usize = 50;

/// Who is calling, as established by OAuth.
pub struct Caller<'a> {
    /// The calling app.
    pub app: &'a apps::App,
    /// The member the app acts for.
    pub requestor: MemberId,
    /// The public origin, for absolute URLs (`http://sns.example`).
    pub base_url: &'a str,
    /// For signed thumbnail URLs.
    pub secret: &'a Secret,
    /// For notification mails of messages.
    pub config: &'a crate::config::Config,
    /// The requestor's nickname (the sender of messages).
    pub nickname: &'a str,
    /// Now.
    pub now: Timestamp,
}

/// A successful result: data, HTTP status for REST, and `Location` for a created item.
pub struct Outcome {
    /// The data.
    pub data: ResponseData,
    /// 200, or 201 for a create.
    pub status: u16,
    /// Path of what was created, relative to the REST base.
    pub location: Option<String>,
}

impl Outcome {
    fn ok(data: ResponseData) -> Outcome {
        Outcome { data, status: 200, location: None }
    }
}

fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("no such person or item"),
        StoreError::Unavailable(why) => {
            tracing::warn!(error.cause = %why, "social api: database unavailable");
            ApiError::internal("the database is busy; try again")
        }
        other => {
            tracing::error!(error.cause = %other, "social api: storage failed");
            ApiError::internal("storage failed")
        }
    }
}

/// The purpose string of signed thumbnail URLs (checked by `/img`).
pub const THUMBNAIL_PURPOSE: &str = "app-thumbnail";

/// The variant apps get for thumbnails: 120 px JPEG, small enough for any handset page.
pub fn thumbnail_variant() -> Variant {
    Variant::new(WidthClass::W120, VariantFormat::Jpeg)
}

impl Caller<'_> {
    fn me(&self) -> String {
        self.requestor.0.to_string()
    }

    /// A user reference → member id; `@viewer`/`@owner`/`@me` are the requestor.
    fn member_of(&self, u: &UserId) -> Result<MemberId, ApiError> {
        let me = self.me();
        let id = u
            .resolve(Some(&me), Some(&me))
            .ok_or_else(|| ApiError::bad_request("anonymous users have no data here"))?;
        id.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(MemberId)
            .ok_or_else(|| ApiError::not_found(format!("no person {id:?}")))
    }

    fn app_of(&self, a: &AppId) -> Result<ashiato_core::AppId, ApiError> {
        match a {
            AppId::Current => Ok(self.app.id),
            AppId::Id(id) if id.parse::<i64>().ok() == Some(self.app.id.0) => Ok(self.app.id),
            AppId::Id(_) => Err(ApiError::forbidden("an app reads and writes only its own data")),
        }
    }

    fn only_me(&self, u: &UserId, what: &str) -> Result<MemberId, ApiError> {
        let m = self.member_of(u)?;
        if m == self.requestor {
            Ok(m)
        } else {
            Err(ApiError::forbidden(format!("an app may {what} only for its requestor")))
        }
    }

    /// The people `who` (with the requestor's relation to each) as the requestor may see
    /// them, loaded in a few queries whatever their number: members, photos, installs and,
    /// when `fields` asks, app data.
    fn people(
        &self,
        conn: &mut AnyConnection,
        who: &[(MemberId, Relation)],
        fields: &Fields,
    ) -> Result<Vec<Person>, ApiError> {
        let ids: Vec<MemberId> = who.iter().map(|(id, _)| *id).collect();
        let members: BTreeMap<MemberId, Member> = accounts::find_members(conn, &ids)
            .map_err(store_err)?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let photos: BTreeMap<MemberId, ashiato_store::photos::Photo> =
            ashiato_store::photos::member_photos(conn, &ids)
                .map_err(store_err)?
                .into_iter()
                .collect();
        let installed: HashSet<MemberId> = apps::installed_among(conn, self.app.id, &ids)
            .map_err(store_err)?
            .into_iter()
            .collect();
        let mut data = match fields.appdata_keys() {
            Some(keys) => {
                apps::data_of_many(conn, self.app.id, &ids, keys.as_deref()).map_err(store_err)?
            }
            None => BTreeMap::new(),
        };
        let mut out = Vec::with_capacity(who.len());
        for (id, rel) in who {
            let Some(m) = members.get(id) else { continue };
            let has_app = installed.contains(id);
            let app_data = fields.appdata_keys().map(|_| {
                if has_app { data.remove(id).unwrap_or_default() } else { BTreeMap::new() }
            });
            out.push(self.person(m, *rel, has_app, photos.get(id), app_data));
        }
        Ok(out)
    }

    /// The person `m` as the requestor may see them.
    fn person(
        &self,
        m: &Member,
        rel: Relation,
        has_app: bool,
        photo: Option<&ashiato_store::photos::Photo>,
        app_data: Option<BTreeMap<String, String>>,
    ) -> Person {
        let mut p = Person::new(m.id.0.to_string(), m.nickname.clone());
        p.nickname = Some(m.nickname.clone());
        p.name = Some(Name { formatted: Some(m.nickname.clone()), ..Name::default() });
        p.profile_url = Some(format!("{}/m/{}", self.base_url, m.id));
        if let Some(photo) = photo {
            let key = thumbnail_variant().to_string();
            let sig = self.secret.mac_hex(
                THUMBNAIL_PURPOSE,
                &[photo.id.to_string().as_bytes(), key.as_bytes()],
                32,
            );
            p.thumbnail_url = Some(format!("{}/img/{}/{key}?sig={sig}", self.base_url, photo.id));
        }
        let shown = m.profile.visible_to(rel);
        p.about_me = shown.introduction.map(str::to_owned);
        // The year stays private, as on profile pages (`0000`: the spec's "year hidden").
        p.birthday = shown.birthday.map(|(_, mo, d)| format!("0000-{mo:02}-{d:02}"));
        if let Some(area) = shown.area {
            p.other.insert("location".into(), Value::String(area.to_owned()));
        }
        p.updated = Some(m.updated_at.rfc3339());
        p.utc_offset = Some("+09:00".into());
        p.has_app = Some(has_app);
        p.is_viewer = Some(m.id == self.requestor);
        p.is_owner = Some(m.id == self.requestor);
        p.app_data = app_data;
        p
    }

    /// Loads a member the requestor may see (404 across a block, like pages).
    fn visible(&self, conn: &mut AnyConnection, id: MemberId) -> Result<Relation, ApiError> {
        // A missing member is a 404 like a blocked one.
        accounts::find_member(conn, id).map_err(store_err)?;
        let rel = relation::relation(conn, Some(self.requestor), id).map_err(store_err)?;
        if rel == Relation::Blocked {
            return Err(ApiError::not_found(format!("no person \"{id}\"")));
        }
        Ok(rel)
    }

    fn friend_ids(
        &self,
        conn: &mut AnyConnection,
        of: MemberId,
    ) -> Result<Vec<MemberId>, ApiError> {
        Ok(friends::list_friends(conn, of, MAX_FRIENDS, 0)
            .map_err(store_err)?
            .into_iter()
            .map(|f| f.id)
            .collect())
    }

    fn people_get(
        &self,
        conn: &mut AnyConnection,
        users: &[UserId],
        group: &GroupId,
        person_ids: &[String],
        options: &CollectionOptions,
    ) -> Result<Outcome, ApiError> {
        let users: Vec<MemberId> =
            users.iter().map(|u| self.member_of(u)).collect::<Result<_, _>>()?;
        let single = users.len() == 1 && person_ids.is_empty();
        let members: Vec<(MemberId, Relation)> = match group {
            GroupId::SelfGroup => {
                let mut out = Vec::new();
                for u in &users {
                    let rel = self.visible(conn, *u)?;
                    out.push((*u, rel));
                }
                if single {
                    let people = self.people(conn, &out, &options.fields)?;
                    let p = people.first().ok_or_else(|| ApiError::not_found("no such person"))?;
                    return Ok(Outcome::ok(ResponseData::person(p, &options.fields)));
                }
                out
            }
            GroupId::Friends | GroupId::All => {
                let mut out = Vec::new();
                for u in &users {
                    if *u != self.requestor {
                        return Err(ApiError::forbidden(
                            "an app may list only its requestor's friends",
                        ));
                    }
                    out.extend(
                        self.friend_ids(conn, *u)?.into_iter().map(|f| (f, Relation::Friend)),
                    );
                }
                out
            }
            GroupId::Deleted | GroupId::Custom(_) => {
                return Err(ApiError::not_implemented("only @self, @friends and @all groups"));
            }
        };
        let wanted: Option<HashSet<&str>> =
            (!person_ids.is_empty()).then(|| person_ids.iter().map(String::as_str).collect());
        let mut seen = HashSet::new();
        let members: Vec<(MemberId, Relation)> = members
            .into_iter()
            .filter(|(id, _)| seen.insert(*id))
            .filter(|(id, _)| {
                wanted.as_ref().is_none_or(|w| {
                    let s = id.0.to_string();
                    w.contains(s.as_str())
                        || w.iter().any(|x| ashiato_opensocial::request::strip_domain(x) == s)
                })
            })
            .collect();
        let people = self.people(conn, &members, &options.fields)?;
        // `filterBy=@friends&filterValue=X`: the friend test needs X's friends.
        let me = self.me();
        let friend_set: HashSet<String> = match options.filter.as_ref() {
            Some(f) if f.by.eq_ignore_ascii_case("@friends") => {
                let v = f.value.as_deref().unwrap_or("@me");
                let target = self.member_of(&UserId::parse(v))?;
                if target != self.requestor
                    && !friends::are_friends(conn, target, self.requestor).map_err(store_err)?
                {
                    return Err(ApiError::forbidden(
                        "the friend test works for the requestor and their friends",
                    ));
                }
                self.friend_ids(conn, target)?.iter().map(|m| m.0.to_string()).collect()
            }
            _ => HashSet::new(),
        };
        let are_friends = |a: &str, _b: &str| friend_set.contains(a);
        let ctx = FilterContext { viewer: Some(&me), owner: Some(&me), are_friends: &are_friends };
        let page: Collection<Person> = model::apply_people_options(people, options, &ctx);
        Ok(Outcome::ok(ResponseData::people(&page, &options.fields)))
    }

    /// Whose activities or app data the requestor may read: `@self` of the requestor or a
    /// friend, `@friends` of the requestor only.
    fn readable(
        &self,
        conn: &mut AnyConnection,
        users: &[UserId],
        group: &GroupId,
        what: &str,
    ) -> Result<Vec<MemberId>, ApiError> {
        let mut whose = Vec::new();
        for u in users {
            let m = self.member_of(u)?;
            match group {
                GroupId::SelfGroup => {
                    if m != self.requestor
                        && !friends::are_friends(conn, m, self.requestor).map_err(store_err)?
                    {
                        return Err(ApiError::forbidden(format!(
                            "an app reads the {what} of its requestor and their friends only"
                        )));
                    }
                    whose.push(m);
                }
                GroupId::Friends | GroupId::All => {
                    if m != self.requestor {
                        return Err(ApiError::forbidden(format!(
                            "an app may read only its requestor's friends' {what}"
                        )));
                    }
                    whose.extend(self.friend_ids(conn, m)?);
                }
                _ => return Err(ApiError::not_implemented("only @self and @friends")),
            }
        }
        Ok(whose)
    }

    fn activity_json(a: &apps::Activity) -> Activity {
        Activity {
            id: Some(a.id.to_string()),
            user_id: Some(a.member.0.to_string()),
            app_id: Some(a.app_id.to_string()),
            title: Some(a.title.clone()),
            body: (!a.body.is_empty()).then(|| a.body.clone()),
            url: (!a.url.is_empty()).then(|| a.url.clone()),
            posted_time: Some(a.created_at.0.to_string()),
            updated: Some(a.created_at.rfc3339()),
            ..Activity::default()
        }
    }

    fn activities_get(
        &self,
        conn: &mut AnyConnection,
        users: &[UserId],
        group: &GroupId,
        app: Option<&AppId>,
        activity_ids: &[String],
        options: &CollectionOptions,
    ) -> Result<Outcome, ApiError> {
        let app_id = match app {
            None => None,
            Some(AppId::Current) => Some(self.app.id),
            Some(AppId::Id(x)) => Some(ashiato_core::AppId(
                x.parse::<i64>().map_err(|_| ApiError::not_found(format!("no app {x:?}")))?,
            )),
        };
        let whose = self.readable(conn, users, group, "activities")?;
        let limit = i64::try_from(options.start_index + options.page_size()).unwrap_or(1000);
        let mut list: Vec<Activity> = apps::activities_of(conn, &whose, app_id, limit.min(1000))
            .map_err(store_err)?
            .iter()
            .map(Self::activity_json)
            .collect();
        if !activity_ids.is_empty() {
            list.retain(|a| a.id.as_ref().is_some_and(|id| activity_ids.contains(id)));
        }
        let page = model::apply_activity_options(list, options);
        Ok(Outcome::ok(ResponseData::activities(&page, &options.fields)))
    }

    fn activities_create(
        &self,
        conn: &mut AnyConnection,
        user: &UserId,
        app: &AppId,
        activity: &Activity,
    ) -> Result<Outcome, ApiError> {
        let me = self.only_me(user, "post activities")?;
        let app_id = self.app_of(app)?;
        let title = sanitize_activity_markup(activity.title.as_deref().unwrap_or("").trim());
        if title.is_empty() {
            return Err(ApiError::bad_request("an activity needs a title"));
        }
        let body = sanitize_activity_markup(activity.body.as_deref().unwrap_or("").trim());
        if title.len() > ACTIVITY_TITLE_MAX || body.len() > ACTIVITY_BODY_MAX {
            return Err(ApiError::bad_request(format!(
                "title up to {ACTIVITY_TITLE_MAX} bytes, body up to {ACTIVITY_BODY_MAX}"
            )));
        }
        let url = activity
            .url
            .as_deref()
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
            .unwrap_or("");
        let id = apps::create_activity(conn, app_id, me, &title, &body, url, self.now)
            .map_err(store_err)?;
        let stored = apps::Activity {
            id,
            app_id,
            member: me,
            title,
            body,
            url: url.to_owned(),
            created_at: self.now,
        };
        Ok(Outcome {
            data: ResponseData::activity(&Self::activity_json(&stored), &Fields::All),
            status: 201,
            location: Some(format!("/activities/{me}/@self/{app_id}/{id}")),
        })
    }

    fn appdata_get(
        &self,
        conn: &mut AnyConnection,
        users: &[UserId],
        group: &GroupId,
        app: &AppId,
        keys: Option<&[String]>,
    ) -> Result<Outcome, ApiError> {
        let app_id = self.app_of(app)?;
        let whose = self.readable(conn, users, group, "app data")?;
        let installed: HashSet<MemberId> =
            apps::installed_among(conn, app_id, &whose).map_err(store_err)?.into_iter().collect();
        let mut out = BTreeMap::new();
        for m in whose.into_iter().filter(|m| installed.contains(m)) {
            let data = apps::data(conn, app_id, m, keys).map_err(store_err)?;
            out.insert(m.0.to_string(), data);
        }
        Ok(Outcome::ok(ResponseData::AppData(out)))
    }

    fn appdata_update(
        &self,
        conn: &mut AnyConnection,
        user: &UserId,
        app: &AppId,
        data: &BTreeMap<String, String>,
    ) -> Result<Outcome, ApiError> {
        let me = self.only_me(user, "write app data")?;
        let app_id = self.app_of(app)?;
        if let Some((k, _)) = data.iter().find(|(_, v)| v.len() > APPDATA_VALUE_MAX) {
            return Err(ApiError::new(
                ashiato_opensocial::request::ErrorCode::TooLarge,
                format!("value of {k:?} is longer than {APPDATA_VALUE_MAX} bytes"),
            ));
        }
        let now = self.now;
        ashiato_store::write(conn, |c| {
            let existing = apps::data(c, app_id, me, None)?;
            let new_keys = data.keys().filter(|k| !existing.contains_key(*k)).count();
            if existing.len() + new_keys > APPDATA_KEYS_MAX {
                return Ok(Err(ApiError::new(
                    ashiato_opensocial::request::ErrorCode::TooLarge,
                    format!("at most {APPDATA_KEYS_MAX} keys per member"),
                )));
            }
            apps::put_data(c, app_id, me, data, now)?;
            Ok::<_, StoreError>(Ok(()))
        })
        .map_err(store_err)??;
        Ok(Outcome::ok(ResponseData::Empty))
    }

    fn messages_send(
        &self,
        conn: &mut AnyConnection,
        user: &UserId,
        message: &model::Message,
    ) -> Result<Outcome, ApiError> {
        let me = self.only_me(user, "send messages")?;
        if message.recipients.is_empty() || message.recipients.len() > MESSAGE_RECIPIENTS_MAX {
            return Err(ApiError::bad_request(format!("1 to {MESSAGE_RECIPIENTS_MAX} recipients")));
        }
        let draft = MessageDraft::validate(
            message.title.as_deref().unwrap_or(""),
            message.body.as_deref().unwrap_or(""),
        )
        .map_err(|errors| {
            let what: Vec<String> = errors.iter().map(ToString::to_string).collect();
            ApiError::bad_request(format!("message not valid: {}", what.join("; ")))
        })?;
        let mut to = Vec::new();
        for r in &message.recipients {
            let m = self.member_of(&UserId::parse(r))?;
            // Apps message friends only (mixi's rule), never across a block.
            if !friends::are_friends(conn, me, m).map_err(store_err)? {
                return Err(ApiError::forbidden(format!("{r} is not the requestor's friend")));
            }
            to.push(m);
        }
        let now = self.now;
        ashiato_store::write(conn, |c| {
            for m in &to {
                crate::mail::send_message(
                    c,
                    self.config,
                    (me, self.nickname),
                    *m,
                    &draft.subject,
                    &draft.body,
                    None,
                    now,
                )?;
            }
            Ok::<_, StoreError>(())
        })
        .map_err(store_err)?;
        Ok(Outcome { data: ResponseData::Empty, status: 201, location: None })
    }

    /// Runs one request.
    ///
    /// # Errors
    /// [`ApiError`] with the spec's status for what was refused.
    pub fn execute(&self, conn: &mut AnyConnection, req: &Request) -> Result<Outcome, ApiError> {
        match req {
            Request::PeopleGet { users, group, person_ids, options } => {
                self.people_get(conn, users, group, person_ids, options)
            }
            Request::PeopleSupportedFields => {
                Ok(Outcome::ok(ResponseData::supported_person_fields()))
            }
            Request::SystemListMethods => Ok(Outcome::ok(ResponseData::rpc_methods())),
            Request::ActivitiesGet { users, group, app, activity_ids, options } => {
                self.activities_get(conn, users, group, app.as_ref(), activity_ids, options)
            }
            Request::ActivitiesCreate { user, app, activity, .. } => {
                self.activities_create(conn, user, app, activity)
            }
            Request::ActivitiesDelete { user, app, activity_ids } => {
                let me = self.only_me(user, "delete activities")?;
                let app_id = self.app_of(app)?;
                let ids: Vec<i64> = activity_ids.iter().filter_map(|i| i.parse().ok()).collect();
                apps::delete_activities(conn, app_id, me, &ids).map_err(store_err)?;
                Ok(Outcome::ok(ResponseData::Empty))
            }
            Request::AppDataGet { users, group, app, keys } => {
                self.appdata_get(conn, users, group, app, keys.as_deref())
            }
            Request::AppDataUpdate { user, app, data, .. } => {
                self.appdata_update(conn, user, app, data)
            }
            Request::AppDataDelete { user, app, keys, .. } => {
                let me = self.only_me(user, "delete app data")?;
                let app_id = self.app_of(app)?;
                apps::delete_data(conn, app_id, me, keys.as_deref()).map_err(store_err)?;
                Ok(Outcome::ok(ResponseData::Empty))
            }
            Request::MessagesSend { user, message } => self.messages_send(conn, user, message),
            Request::MessagesGet { .. } => Err(ApiError::not_implemented(
                "apps send messages; members read them on their own pages",
            )),
        }
    }
}

//! The Social API data model (`opensocial.md` §4) and the in-memory collection helpers.
//!
//! Types keep the fields the container fills or reads as typed fields and everything else in
//! `other` (flattened into the JSON), so data such as Shindig's `canonicaldb.json` — where
//! `children` is a string and `lookingFor` a list of enums — round-trips without loss.
//! Deserialisation of typed fields is lenient (a number where a string is expected, `"true"`
//! for `true`) because keitai-era data is like that.
//!
//! [`apply_people_options`] filters, sorts and pages a `Vec<Person>` after the caller's scope
//! filtering; the same rules translate to SQL (see the README).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::query::{CollectionOptions, Fields, FilterOp, SortOrder};

/// Every Person field name ashiato knows (`@supportedFields`): 1.0 `Social-Data` plus the mixi
/// extensions `isViewer`, `isOwner`.
pub const PERSON_FIELDS: &[&str] = &[
    "id",
    "displayName",
    "name",
    "thumbnailUrl",
    "profileUrl",
    "aboutMe",
    "accounts",
    "activities",
    "addresses",
    "age",
    "anniversary",
    "appData",
    "birthday",
    "bodyType",
    "books",
    "cars",
    "children",
    "connected",
    "currentLocation",
    "drinker",
    "emails",
    "ethnicity",
    "fashion",
    "food",
    "gender",
    "happiestWhen",
    "hasApp",
    "heroes",
    "humor",
    "ims",
    "interests",
    "jobInterests",
    "languagesSpoken",
    "livingArrangement",
    "location",
    "lookingFor",
    "movies",
    "music",
    "networkPresence",
    "nickname",
    "note",
    "organizations",
    "pets",
    "phoneNumbers",
    "photos",
    "politicalViews",
    "preferredUsername",
    "profileSong",
    "profileVideo",
    "published",
    "quotes",
    "relationshipStatus",
    "relationships",
    "religion",
    "romance",
    "scaredOf",
    "sexualOrientation",
    "smoker",
    "sports",
    "status",
    "tags",
    "turnOffs",
    "turnOns",
    "tvShows",
    "updated",
    "urls",
    "utcOffset",
    "isViewer",
    "isOwner",
];

/// Person fields sent whatever `fields` says (`opensocial.md` §2: 0.9 needs id + displayName,
/// 1.0 id + name + thumbnailUrl).
pub const PERSON_ALWAYS_FIELDS: &[&str] = &["id", "displayName", "name", "thumbnailUrl"];

/// Person fields sent when `fields` is absent: the always-fields, `profileUrl`, and the mixi
/// extensions keitai-era apps branch on.
pub const PERSON_DEFAULT_FIELDS: &[&str] =
    &["id", "displayName", "name", "thumbnailUrl", "profileUrl", "hasApp", "isViewer", "isOwner"];

/// Activity fields sent whatever `fields` says.
pub const ACTIVITY_ALWAYS_FIELDS: &[&str] = &["id", "title"];

/// A person's name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    /// The full name as shown.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub formatted: Option<String>,
    /// Family name (姓).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub family_name: Option<String>,
    /// Given name (名).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub given_name: Option<String>,
    /// Middle name (0.8 called it `additionalName`; kept in `other` when so named).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub middle_name: Option<String>,
    /// Honorific prefix.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub honorific_prefix: Option<String>,
    /// Honorific suffix.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub honorific_suffix: Option<String>,
    /// Any other name fields.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A person (`Social-Data` 1.0, PoCo-compatible).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Local id (`[A-Za-z0-9._-]`).
    #[serde(deserialize_with = "required_string")]
    pub id: String,
    /// Nickname as shown (mixi ニックネーム).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub display_name: Option<String>,
    /// Structured name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Nickname.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub nickname: Option<String>,
    /// Absolute URL of the profile photo thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub thumbnail_url: Option<String>,
    /// Absolute URL of the profile page.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub profile_url: Option<String>,
    /// `male`, `female`, `undisclosed` or text.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub gender: Option<String>,
    /// Age in years.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_u32")]
    pub age: Option<u32>,
    /// `YYYY-MM-DD` (year `0000` when hidden).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub birthday: Option<String>,
    /// Self-introduction (自己紹介).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub about_me: Option<String>,
    /// Status message.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub status: Option<String>,
    /// Last update, xs:dateTime (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub updated: Option<String>,
    /// `+09:00`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub utc_offset: Option<String>,
    /// Whether the person installed the calling app.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool")]
    pub has_app: Option<bool>,
    /// mixi extension: the person is the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool")]
    pub is_viewer: Option<bool>,
    /// mixi extension: the person is the owner.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool")]
    pub is_owner: Option<bool>,
    /// Embedded AppData of the calling app (`fields=appdata…`): key → value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_data: Option<BTreeMap<String, String>>,
    /// Every other field, as JSON.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl Person {
    /// A person with an id and a display name.
    pub fn new(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self { id: id.into(), display_name: Some(display_name.into()), ..Self::default() }
    }

    /// The full JSON form.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The JSON form restricted to `fields` (always keeping [`PERSON_ALWAYS_FIELDS`]; the
    /// default set without `fields`). `appdata.k` entries keep only those AppData keys.
    pub fn project(&self, fields: &Fields) -> Value {
        let mut v =
            project(self.to_json(), fields, PERSON_ALWAYS_FIELDS, Some(PERSON_DEFAULT_FIELDS));
        if let (Some(Some(keys)), Some(obj)) = (fields.appdata_keys(), v.as_object_mut()) {
            let filtered: Map<String, Value> = self
                .app_data
                .iter()
                .flatten()
                .filter(|(k, _)| keys.contains(k))
                .map(|(k, val)| (k.clone(), Value::String(val.clone())))
                .collect();
            obj.insert("appData".into(), Value::Object(filtered));
        }
        v
    }

    /// The name used by `sortBy=name`: `name.formatted`, else family + given, else
    /// `displayName`, else the id.
    pub fn sort_name(&self) -> String {
        let n = self.name.as_ref();
        n.and_then(|n| n.formatted.clone())
            .or_else(|| {
                let parts: Vec<&str> = [
                    n.and_then(|n| n.given_name.as_deref()),
                    n.and_then(|n| n.family_name.as_deref()),
                ]
                .into_iter()
                .flatten()
                .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
            .or_else(|| self.display_name.clone())
            .unwrap_or_else(|| self.id.clone())
    }
}

/// A media item of an activity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaItem {
    /// MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub mime_type: Option<String>,
    /// `image`, `video` or `audio`.
    #[serde(
        default,
        rename = "type",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub media_type: Option<String>,
    /// Absolute URL.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub url: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// An activity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// Activity id (set by the container on create).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub id: Option<String>,
    /// The user whose stream it is.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub user_id: Option<String>,
    /// The posting app.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub app_id: Option<String>,
    /// Title: only `<b> <i> <a> <span>` ([`sanitize_activity_markup`]).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub title: Option<String>,
    /// Body, same markup rule.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub body: Option<String>,
    /// Message-bundle id of the title.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub title_id: Option<String>,
    /// Message-bundle id of the body.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub body_id: Option<String>,
    /// The app's own id for it.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub external_id: Option<String>,
    /// Link target.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub url: Option<String>,
    /// Posting time (Unix milliseconds as a string in Shindig data).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub posted_time: Option<String>,
    /// Last update (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub updated: Option<String>,
    /// 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_f64")]
    pub priority: Option<f64>,
    /// Images, video, audio (Mobage: at most 3 images).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_items: Vec<MediaItem>,
    /// Template parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_params: Option<Value>,
    /// Other fields (`streamTitle`, `streamUrl`, mobage `touchUrl`, …).
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl Activity {
    /// The JSON form restricted to `fields` (always `id` and `title`).
    pub fn project(&self, fields: &Fields) -> Value {
        let v = serde_json::to_value(self).unwrap_or(Value::Null);
        project(v, fields, ACTIVITY_ALWAYS_FIELDS, None)
    }
}

/// Message types.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MessageType {
    /// A private message (ashiato's ミニメール).
    #[default]
    PrivateMessage,
    /// E-mail.
    Email,
    /// A notification.
    Notification,
    /// A public message.
    PublicMessage,
}

/// A message (`messages.send`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Message id.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub id: Option<String>,
    /// Recipient ids.
    #[serde(
        default,
        deserialize_with = "lenient_string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub recipients: Vec<String>,
    /// Sender (on GET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<Box<Person>>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub title: Option<String>,
    /// Body.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub body: Option<String>,
    /// Message type.
    #[serde(default, rename = "type", deserialize_with = "lenient_message_type")]
    pub message_type: MessageType,
    /// `unread`, `read`, `deleted`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub status: Option<String>,
    /// When sent (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub time_sent: Option<String>,
    /// Replied-to message id.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub in_reply_to: Option<String>,
    /// Other fields (`titleId`, `bodyId`, `appUrl`, `collectionIds`, `urls`, `data`, …).
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// Lenient deserialisation

fn scalar_string(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(mut o) => o.remove("value").and_then(scalar_string),
        Value::Null | Value::Array(_) => None,
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(scalar_string(Value::deserialize(d)?))
}

fn required_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    scalar_string(Value::deserialize(d)?)
        .ok_or_else(|| serde::de::Error::custom("id must be a string"))
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    })
}

fn lenient_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(scalar_string(Value::deserialize(d)?).and_then(|s| s.trim().parse().ok()))
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(scalar_string(Value::deserialize(d)?).and_then(|s| s.trim().parse().ok()))
}

fn lenient_string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(scalar_string).collect(),
        Value::String(s) => {
            s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect()
        }
        other => scalar_string(other).into_iter().collect(),
    })
}

fn lenient_message_type<'de, D: Deserializer<'de>>(d: D) -> Result<MessageType, D::Error> {
    let s = scalar_string(Value::deserialize(d)?).unwrap_or_default();
    Ok(match s.to_ascii_lowercase().replace(['_', '-'], "").as_str() {
        "email" => MessageType::Email,
        "notification" => MessageType::Notification,
        "publicmessage" => MessageType::PublicMessage,
        _ => MessageType::PrivateMessage,
    })
}

// ---------------------------------------------------------------------------------------------
// Projection

/// Keeps the requested top-level fields of a JSON object: `always` fields whatever `fields`
/// says; all fields for [`Fields::All`] (and for [`Fields::Default`] when `default` is
/// `None`); `appdata…` entries select `appData`.
pub fn project(value: Value, fields: &Fields, always: &[&str], default: Option<&[&str]>) -> Value {
    let Value::Object(obj) = value else { return value };
    let keep = |k: &str| -> bool {
        if always.contains(&k) {
            return true;
        }
        match fields {
            Fields::All => true,
            Fields::Default => default.is_none_or(|d| d.contains(&k)),
            Fields::List(list) => {
                list.iter().any(|f| f == k) || (k == "appData" && fields.appdata_keys().is_some())
            }
        }
    };
    Value::Object(obj.into_iter().filter(|(k, _)| keep(k)).collect())
}

// ---------------------------------------------------------------------------------------------
// Collections

/// A page of a collection with the envelope numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Collection<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Items in the whole (filtered) collection.
    pub total_results: usize,
    /// 0-based offset of the first item.
    pub start_index: usize,
    /// Page size, sent iff the request had `count`.
    pub items_per_page: Option<usize>,
    /// `Some(false)` when a requested filter was not applied.
    pub filtered: Option<bool>,
    /// `Some(false)` when a requested sort was not applied.
    pub sorted: Option<bool>,
    /// `Some(false)` when `updatedSince` was not applied.
    pub updated_since: Option<bool>,
}

impl<T> Collection<T> {
    /// A single page holding everything.
    pub fn all(items: Vec<T>) -> Self {
        let total_results = items.len();
        Self {
            items,
            total_results,
            start_index: 0,
            items_per_page: None,
            filtered: None,
            sorted: None,
            updated_since: None,
        }
    }

    /// Converts the items, keeping the numbers.
    pub fn map_ref<U>(&self, f: impl FnMut(&T) -> U) -> Collection<U> {
        Collection {
            items: self.items.iter().map(f).collect(),
            total_results: self.total_results,
            start_index: self.start_index,
            items_per_page: self.items_per_page,
            filtered: self.filtered,
            sorted: self.sorted,
            updated_since: self.updated_since,
        }
    }
}

/// Pages `items` per `startIndex`/`count` (no filtering or sorting).
pub fn page<T>(items: Vec<T>, options: &CollectionOptions) -> Collection<T> {
    let total_results = items.len();
    let items: Vec<T> =
        items.into_iter().skip(options.start_index).take(options.page_size()).collect();
    Collection {
        items,
        total_results,
        start_index: options.start_index,
        items_per_page: options.count.map(|_| options.page_size()),
        filtered: None,
        sorted: None,
        updated_since: None,
    }
}

/// What the people filter needs to know beyond the people themselves.
pub struct FilterContext<'a> {
    /// The viewer's id (`@viewer`, `@me` in `filterValue`).
    pub viewer: Option<&'a str>,
    /// The owner's id (`@owner`).
    pub owner: Option<&'a str>,
    /// Whether two people are friends (for `filterBy=@friends`).
    pub are_friends: &'a dyn Fn(&str, &str) -> bool,
}

/// The text of a JSON value for filtering and sorting: strings as they are, numbers and
/// booleans printed, objects by their `formatted` or `value` member, lists joined with commas.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("formatted").or_else(|| o.get("value")).and_then(value_text),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(value_text).collect();
            (!parts.is_empty()).then(|| parts.join(","))
        }
        Value::Null => None,
    }
}

/// The text at a dotted path (`name.formatted`, `emails.value` over a list).
fn field_text(v: &Value, field: &str) -> Option<String> {
    let mut cur = v.clone();
    for p in field.split('.') {
        cur = match cur {
            Value::Array(items) => {
                Value::Array(items.iter().filter_map(|i| i.get(p).cloned()).collect())
            }
            other => other.get(p)?.clone(),
        };
    }
    value_text(&cur)
}

fn is_known_person_field(field: &str) -> bool {
    let top = field.split('.').next().unwrap_or(field);
    PERSON_FIELDS.contains(&top)
}

/// Filters (`updatedSince`, `filterBy`), sorts and pages people, reporting what it could not
/// apply with `filtered`/`sorted`/`updatedSince: false`.
///
/// - `filterBy=@friends`: keeps people who are friends of `filterValue` (`@viewer`, `@owner`,
///   `@me` resolved from `ctx`); on `@self` this is the "are we friends" test, on `@friends`
///   mutual friends. `present` keeps everyone with at least… nothing to test, so everyone.
/// - `filterBy=<field>` (a Person field, dotted paths allowed): `contains` and `startsWith`
///   compare case-insensitively, `equals` exactly, `present` keeps non-empty values that are
///   not `false`. Unknown fields are not applied (`filtered: false`).
/// - `sortBy=name` sorts by [`Person::sort_name`]; other Person fields by their text (numbers
///   numerically); people without the field sort last. Unknown fields: `sorted: false`.
/// - `updatedSince` keeps people whose `updated` is at or after it; people without `updated`
///   are dropped.
pub fn apply_people_options(
    people: Vec<Person>,
    options: &CollectionOptions,
    ctx: &FilterContext<'_>,
) -> Collection<Person> {
    let mut filtered_flag = None;
    let mut sorted_flag = None;
    let mut people = people;
    if let Some(since) = options.updated_since {
        people.retain(|p| {
            p.updated.as_deref().and_then(crate::query::parse_datetime).is_some_and(|u| u >= since)
        });
    }
    if let Some(f) = &options.filter {
        let value = f.value.as_deref().map(|v| match v {
            "@viewer" | "@me" => ctx.viewer.unwrap_or(v).to_owned(),
            "@owner" => ctx.owner.or(ctx.viewer).unwrap_or(v).to_owned(),
            other => other.to_owned(),
        });
        if f.by.eq_ignore_ascii_case("@friends") {
            if f.op != FilterOp::Present {
                match &value {
                    Some(other) => people.retain(|p| (ctx.are_friends)(&p.id, other)),
                    None => people.clear(),
                }
            }
        } else if is_known_person_field(&f.by) {
            let jsons: Vec<Value> = people.iter().map(Person::to_json).collect();
            let keep: Vec<bool> =
                jsons.iter().map(|j| filter_match(j, &f.by, f.op, value.as_deref())).collect();
            let mut it = keep.into_iter();
            people.retain(|_| it.next().unwrap_or(false));
        } else {
            filtered_flag = Some(false);
        }
    }
    if let Some(s) = &options.sort {
        if s.by == "name" || is_known_person_field(&s.by) {
            let key = |p: &Person| -> Option<String> {
                if s.by == "name" { Some(p.sort_name()) } else { field_text(&p.to_json(), &s.by) }
            };
            let mut keyed: Vec<(Option<String>, Person)> =
                people.into_iter().map(|p| (key(&p), p)).collect();
            keyed.sort_by(|(a, _), (b, _)| {
                let ord = compare_keys(a.as_deref(), b.as_deref());
                if s.order == SortOrder::Descending && a.is_some() && b.is_some() {
                    ord.reverse()
                } else {
                    ord
                }
            });
            people = keyed.into_iter().map(|(_, p)| p).collect();
        } else {
            sorted_flag = Some(false);
        }
    }
    let mut c = page(people, options);
    c.filtered = filtered_flag;
    c.sorted = sorted_flag;
    c
}

fn filter_match(json: &Value, field: &str, op: FilterOp, value: Option<&str>) -> bool {
    let text = field_text(json, field);
    match op {
        FilterOp::Present => text.is_some_and(|t| !t.is_empty() && t != "false"),
        FilterOp::Equals => text.is_some_and(|t| Some(t.as_str()) == value),
        FilterOp::Contains => match (text, value) {
            (Some(t), Some(v)) => t.to_lowercase().contains(&v.to_lowercase()),
            _ => false,
        },
        FilterOp::StartsWith => match (text, value) {
            (Some(t), Some(v)) => t.to_lowercase().starts_with(&v.to_lowercase()),
            _ => false,
        },
    }
}

fn compare_keys(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => a.cmp(b),
        },
    }
}

/// Activities: `updatedSince` on `updated`, then paging. Filters and sorts are not applied to
/// activities (reported as `filtered`/`sorted: false` when asked); the store returns them
/// newest first.
pub fn apply_activity_options(
    activities: Vec<Activity>,
    options: &CollectionOptions,
) -> Collection<Activity> {
    let mut activities = activities;
    if let Some(since) = options.updated_since {
        activities.retain(|a| {
            a.updated.as_deref().and_then(crate::query::parse_datetime).is_some_and(|u| u >= since)
        });
    }
    let mut c = page(activities, options);
    c.filtered = options.filter.as_ref().map(|_| false);
    c.sorted = options.sort.as_ref().map(|_| false);
    c
}

// ---------------------------------------------------------------------------------------------
// Activity markup

/// Escapes `<` and `>` left as raw text by a lenient HTML parse (`a < b`), so the output is
/// also well-formed for XHTML handsets. Entities already in the source stay as they are.
pub(crate) fn escape_stray_brackets(text: &mut String) {
    if text.contains(['<', '>']) {
        *text = text.replace('<', "&lt;").replace('>', "&gt;");
    }
}

/// Restricts activity `title`/`body` markup to `<b> <i> <a> <span>` (`opensocial.md` §4):
/// other elements are dropped with their text kept (`script`, `style` with their content), all
/// attributes are removed except `a@href` with an `http`/`https` URL. Input is treated as an
/// HTML fragment; the output is safe to embed in a page.
pub fn sanitize_activity_markup(html: &str) -> String {
    use lol_html::{RewriteStrSettings, element, rewrite_str};
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!(
            "script, style, iframe, object, embed, noscript, template",
            |el| {
                el.remove();
                Ok(())
            }
        ))
        .append_element_content_handler(element!("*", |el| {
            if el.removed() {
                return Ok(());
            }
            let tag = el.tag_name();
            let names: Vec<String> = el.attributes().iter().map(|a| a.name()).collect();
            let href = el.get_attribute("href");
            for n in names {
                el.remove_attribute(&n);
            }
            match tag.as_str() {
                "b" | "i" | "span" => {}
                "a" => {
                    if let Some(h) = href.filter(|h| {
                        let l = h.trim().to_ascii_lowercase();
                        l.starts_with("http://") || l.starts_with("https://")
                    }) {
                        el.set_attribute("href", h.trim())?;
                    }
                }
                _ => el.remove_and_keep_content(),
            }
            Ok(())
        }))
        .append_document_content_handler(lol_html::doc_comments!(|c| {
            c.remove();
            Ok(())
        }))
        .append_document_content_handler(lol_html::doc_text!(|t| {
            escape_stray_brackets(t.as_mut_str());
            Ok(())
        }));
    match rewrite_str(html, settings) {
        Ok(s) => s,
        Err(_) => {
            let mut out = String::new();
            crate::xml::escape_text_into(html, &mut out);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Filter, Sort};
    use serde_json::json;

    fn people() -> Vec<Person> {
        let mk = |id: &str, dn: &str, formatted: &str, age: u32, updated: &str| Person {
            name: Some(Name { formatted: Some(formatted.into()), ..Name::default() }),
            age: Some(age),
            updated: Some(updated.into()),
            has_app: Some(age > 20),
            ..Person::new(id, dn)
        };
        vec![
            mk("john.doe", "Johnny", "John Doe", 33, "2008-06-06T12:12:12Z"),
            mk("jane.doe", "Janey", "Jane Doe", 9, "2010-01-01T00:00:00Z"),
            mk("george.doe", "Georgey", "George Doe", 40, "2009-01-01T00:00:00+09:00"),
        ]
    }

    fn friends(a: &str, b: &str) -> bool {
        matches!(
            (a, b),
            ("jane.doe", "john.doe") | ("john.doe", "jane.doe") | ("george.doe", "john.doe")
        )
    }

    fn ctx() -> FilterContext<'static> {
        FilterContext { viewer: Some("john.doe"), owner: None, are_friends: &friends }
    }

    fn ids(c: &Collection<Person>) -> Vec<&str> {
        c.items.iter().map(|p| p.id.as_str()).collect()
    }

    #[test]
    fn lenient_and_round_trip() {
        let v = json!({
            "id": "x", "displayName": 12, "hasApp": "true", "isViewer": 1, "age": "33",
            "gender": {"value": "female", "displayValue": "Female"},
            "children": "3", "lookingFor": [{"value": "RANDOM"}],
            "name": {"formatted": "X Y", "additionalName": "H"}
        });
        let p: Person = serde_json::from_value(v).expect("lenient");
        assert_eq!(p.display_name.as_deref(), Some("12"));
        assert_eq!((p.has_app, p.is_viewer, p.age), (Some(true), Some(true), Some(33)));
        assert_eq!(p.gender.as_deref(), Some("female"));
        assert_eq!(p.other.get("children"), Some(&json!("3")));
        let back = p.to_json();
        assert_eq!(back["name"]["additionalName"], "H");
        assert_eq!(back["lookingFor"][0]["value"], "RANDOM");
        assert!(serde_json::from_value::<Person>(json!({"displayName": "no id"})).is_err());
    }

    #[test]
    fn projection_rules() {
        let mut p = people().remove(0);
        p.about_me = Some("hi".into());
        p.app_data = Some(BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]));
        let d = p.project(&Fields::Default);
        let keys: Vec<&String> = d.as_object().expect("obj").keys().collect();
        assert_eq!(keys, ["displayName", "hasApp", "id", "name"]);
        let f = p.project(&Fields::parse("aboutMe"));
        assert_eq!(f["aboutMe"], "hi");
        assert_eq!(f["id"], "john.doe", "always kept");
        assert!(f.get("age").is_none());
        let all = p.project(&Fields::All);
        assert_eq!(all["age"], 33);
        let ad = p.project(&Fields::parse("appdata.b"));
        assert_eq!(ad["appData"], json!({"b": "2"}));
        let ad = p.project(&Fields::parse("id,appdata"));
        assert_eq!(ad["appData"], json!({"a": "1", "b": "2"}));
        let a = Activity {
            id: Some("1".into()),
            title: Some("t".into()),
            body: Some("b".into()),
            ..Activity::default()
        };
        assert_eq!(
            a.project(&Fields::parse("body")),
            json!({"id": "1", "title": "t", "body": "b"})
        );
        assert_eq!(a.project(&Fields::parse("url")), json!({"id": "1", "title": "t"}));
    }

    #[test]
    fn sort_filter_page() {
        let opts = CollectionOptions {
            sort: Some(Sort { by: "name".into(), order: SortOrder::Ascending }),
            ..CollectionOptions::default()
        };
        let c = apply_people_options(people(), &opts, &ctx());
        assert_eq!(ids(&c), ["george.doe", "jane.doe", "john.doe"]);
        assert_eq!((c.total_results, c.items_per_page, c.sorted), (3, None, None));
        let opts = CollectionOptions { count: Some(1), start_index: 1, ..opts };
        let c = apply_people_options(people(), &opts, &ctx());
        assert_eq!((ids(&c), c.total_results, c.items_per_page), (vec!["jane.doe"], 3, Some(1)));
        let by_age = CollectionOptions {
            sort: Some(Sort { by: "age".into(), order: SortOrder::Descending }),
            ..CollectionOptions::default()
        };
        assert_eq!(
            ids(&apply_people_options(people(), &by_age, &ctx())),
            ["george.doe", "john.doe", "jane.doe"]
        );
        let unknown = CollectionOptions {
            sort: Some(Sort { by: "topFriends".into(), order: SortOrder::Ascending }),
            ..CollectionOptions::default()
        };
        assert_eq!(apply_people_options(people(), &unknown, &ctx()).sorted, Some(false));

        let filter = |by: &str, op, value: Option<&str>| CollectionOptions {
            filter: Some(Filter { by: by.into(), op, value: value.map(str::to_owned) }),
            ..CollectionOptions::default()
        };
        // "Are we friends": jane (as @self) filtered by friendship with the viewer.
        let jane = vec![people().remove(1)];
        let c = apply_people_options(
            jane.clone(),
            &filter("@friends", FilterOp::Contains, Some("@viewer")),
            &ctx(),
        );
        assert_eq!(ids(&c), ["jane.doe"]);
        let c = apply_people_options(
            jane,
            &filter("@friends", FilterOp::Contains, Some("george.doe")),
            &ctx(),
        );
        assert!(c.items.is_empty());
        let c = apply_people_options(
            people(),
            &filter("displayName", FilterOp::Contains, Some("NEY")),
            &ctx(),
        );
        assert_eq!(ids(&c), ["jane.doe"]);
        let c = apply_people_options(
            people(),
            &filter("name.formatted", FilterOp::StartsWith, Some("j")),
            &ctx(),
        );
        assert_eq!(ids(&c), ["john.doe", "jane.doe"]);
        let c = apply_people_options(people(), &filter("hasApp", FilterOp::Present, None), &ctx());
        assert_eq!(ids(&c), ["john.doe", "george.doe"]);
        let c =
            apply_people_options(people(), &filter("id", FilterOp::Equals, Some("@me")), &ctx());
        assert_eq!(ids(&c), ["john.doe"]);
        let c = apply_people_options(
            people(),
            &filter("favouriteColour", FilterOp::Equals, Some("x")),
            &ctx(),
        );
        assert_eq!((c.items.len(), c.filtered), (3, Some(false)));

        let since = CollectionOptions {
            updated_since: crate::query::parse_datetime("2008-12-31T15:00:00Z"),
            ..CollectionOptions::default()
        };
        assert_eq!(
            ids(&apply_people_options(people(), &since, &ctx())),
            ["jane.doe", "george.doe"]
        );
        let big = CollectionOptions { count: Some(1000), ..CollectionOptions::default() };
        let many: Vec<Person> = (0..300).map(|i| Person::new(format!("p{i}"), "x")).collect();
        let c = apply_people_options(many, &big, &ctx());
        assert_eq!(
            (c.items.len(), c.items_per_page),
            (crate::query::MAX_COUNT, Some(crate::query::MAX_COUNT))
        );
    }

    #[test]
    fn activity_markup_is_restricted() {
        let cases = [
            (
                "<b>bold</b> <i>it</i> <span class=x>s</span>",
                "<b>bold</b> <i>it</i> <span>s</span>",
            ),
            (
                "<a href=\"http://x.example/\" onclick=\"evil()\">l</a>",
                "<a href=\"http://x.example/\">l</a>",
            ),
            ("<a href=\"javascript:alert(1)\">j</a>", "<a>j</a>"),
            ("<script>alert(1)</script>ok<!-- c -->", "ok"),
            ("<div><p>para</p><img src=x onerror=y></div>", "para"),
            ("a &amp; b < c", "a &amp; b &lt; c"),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize_activity_markup(input), want, "{input}");
        }
    }

    #[test]
    fn field_text_paths() {
        let v = json!({"name": {"formatted": "A B"}, "emails": [{"value": "a@x"}, {"value": "b@x"}],
            "drinker": {"value": "SOCIALLY"}, "age": 3, "tags": ["x", "y"], "none": null});
        assert_eq!(field_text(&v, "name").as_deref(), Some("A B"));
        assert_eq!(field_text(&v, "name.formatted").as_deref(), Some("A B"));
        assert_eq!(field_text(&v, "emails.value").as_deref(), Some("a@x,b@x"));
        assert_eq!(field_text(&v, "emails").as_deref(), Some("a@x,b@x"));
        assert_eq!(field_text(&v, "drinker").as_deref(), Some("SOCIALLY"));
        assert_eq!(field_text(&v, "age").as_deref(), Some("3"));
        assert_eq!(field_text(&v, "tags").as_deref(), Some("x,y"));
        assert_eq!(field_text(&v, "none"), None);
        assert_eq!(field_text(&v, "missing.deep"), None);
    }

    #[test]
    fn message_types() {
        let m: Message =
            serde_json::from_value(json!({"recipients": "a,b", "type": "NOTIFICATION"}))
                .expect("m");
        assert_eq!((m.recipients.len(), m.message_type), (2, MessageType::Notification));
        assert_eq!(serde_json::to_value(&m).expect("j")["type"], "notification");
    }
}

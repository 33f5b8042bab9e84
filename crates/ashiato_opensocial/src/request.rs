//! The typed Social API request that REST ([`crate::rest`]) and JSON-RPC ([`crate::rpc`])
//! calls both become, the result data the caller hands back for rendering, and the API error.
//!
//! The container's web layer authenticates (OAuth → requestor), parses into a [`Request`],
//! applies its access rules (S-33: an app reads only the friends of people who installed it),
//! executes against the store, and renders a [`ResponseData`] or an [`ApiError`].

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{Activity, Collection, Message, Person};
pub use crate::query::{
    CollectionOptions, DEFAULT_COUNT, Fields, Filter, FilterOp, MAX_COUNT, Sort, SortOrder,
    parse_datetime,
};

/// A user reference (`opensocial.md` §2 "Identifiers").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UserId {
    /// `@me`: the requestor.
    Me,
    /// `@viewer`.
    Viewer,
    /// `@owner`.
    Owner,
    /// `-1`: anonymous.
    Anonymous,
    /// A user id (`john.doe`, or `domain:localid`).
    Id(String),
}

impl UserId {
    /// Parses one user reference (case-insensitive for the `@` names).
    pub fn parse(s: &str) -> UserId {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "@me" => UserId::Me,
            "@viewer" => UserId::Viewer,
            "@owner" => UserId::Owner,
            "-1" => UserId::Anonymous,
            _ => UserId::Id(t.to_owned()),
        }
    }

    /// Parses a comma-joined list (`john.doe,jane.doe`).
    pub fn parse_list(s: &str) -> Vec<UserId> {
        s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(UserId::parse).collect()
    }

    /// The concrete id, given who the viewer and owner are (on keitai they are the same
    /// person: the requestor). `None` for anonymous, or `@viewer`/`@owner` when unknown.
    pub fn resolve(&self, viewer: Option<&str>, owner: Option<&str>) -> Option<String> {
        match self {
            UserId::Me | UserId::Viewer => viewer.map(str::to_owned),
            UserId::Owner => owner.or(viewer).map(str::to_owned),
            UserId::Anonymous => None,
            UserId::Id(id) => Some(strip_domain(id).to_owned()),
        }
    }
}

/// A global id `domain:localid` → `localid` (ids without a domain are returned unchanged).
/// Local ids are `[A-Za-z0-9._-]`, so a colon can only be the domain separator.
pub fn strip_domain(id: &str) -> &str {
    id.rsplit_once(':').map_or(id, |(_, local)| local)
}

/// Whether a local id uses only `[A-Za-z0-9._-]` (and is 1–128 characters).
pub fn valid_local_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A group reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupId {
    /// `@self`.
    SelfGroup,
    /// `@friends`.
    Friends,
    /// `@all`.
    All,
    /// `@deleted` (people deleted since `updatedSince`).
    Deleted,
    /// A user-defined group id.
    Custom(String),
}

impl GroupId {
    /// Parses a group reference; `None` for an unknown `@` name (they are reserved).
    pub fn parse(s: &str) -> Option<GroupId> {
        let t = s.trim();
        Some(match t.to_ascii_lowercase().as_str() {
            "@self" | "self" | "" => GroupId::SelfGroup,
            "@friends" | "friends" => GroupId::Friends,
            "@all" | "all" => GroupId::All,
            "@deleted" => GroupId::Deleted,
            x if x.starts_with('@') => return None,
            _ => GroupId::Custom(t.to_owned()),
        })
    }
}

/// An application reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AppId {
    /// `@app` (or omitted): the calling app (from its consumer key).
    Current,
    /// An explicit app id.
    Id(String),
}

impl AppId {
    /// Parses an app reference.
    pub fn parse(s: &str) -> AppId {
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("@app") {
            AppId::Current
        } else {
            AppId::Id(t.to_owned())
        }
    }
}

/// One Social API operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// `people.get`, `GET /people/{guid}/{group}[/{pid}]`.
    PeopleGet {
        /// Whose people (several for comma-joined ids).
        users: Vec<UserId>,
        /// Which group of theirs.
        group: GroupId,
        /// `@all/{pid}` or RPC `personId`: only these people, as seen by `users`.
        person_ids: Vec<String>,
        /// Paging and the rest.
        options: CollectionOptions,
    },
    /// `GET /people/@supportedFields`.
    PeopleSupportedFields,
    /// `activities.get`.
    ActivitiesGet {
        /// Whose activities.
        users: Vec<UserId>,
        /// `@self` or `@friends`.
        group: GroupId,
        /// Only this app's activities (`None` = all apps).
        app: Option<AppId>,
        /// Only these activity ids.
        activity_ids: Vec<String>,
        /// Paging and the rest.
        options: CollectionOptions,
    },
    /// `activities.create`, `POST /activities/{guid}/@self[/{app}]`.
    ActivitiesCreate {
        /// Whose stream (must be the requestor).
        user: UserId,
        /// Always `@self` in practice.
        group: GroupId,
        /// The app posting.
        app: AppId,
        /// The activity (`id`, `userId`, `appId`, `postedTime` are set by the container).
        activity: Activity,
    },
    /// `activities.delete`, `DELETE /activities/{guid}/@self/{app}/{ids}`.
    ActivitiesDelete {
        /// Whose stream.
        user: UserId,
        /// The app.
        app: AppId,
        /// Which activities.
        activity_ids: Vec<String>,
    },
    /// `appdata.get`.
    AppDataGet {
        /// Whose data.
        users: Vec<UserId>,
        /// `@self` or `@friends`.
        group: GroupId,
        /// Which app's data.
        app: AppId,
        /// `None` = all keys.
        keys: Option<Vec<String>>,
    },
    /// `appdata.update` / `.create`, `POST`/`PUT /appdata/{guid}/@self/{app}`: merge.
    AppDataUpdate {
        /// Whose data (must be the requestor).
        user: UserId,
        /// Always `@self`.
        group: GroupId,
        /// Which app.
        app: AppId,
        /// Keys and values to set (keys validated).
        data: BTreeMap<String, String>,
    },
    /// `appdata.delete`, `DELETE /appdata/{guid}/@self/{app}?fields=k1,k2`.
    AppDataDelete {
        /// Whose data (must be the requestor).
        user: UserId,
        /// Always `@self`.
        group: GroupId,
        /// Which app.
        app: AppId,
        /// Keys to delete; `None` = every key of this app and user.
        keys: Option<Vec<String>>,
    },
    /// `messages.send` / `messages.create`, `POST /messages/{guid}/@outbox`.
    MessagesSend {
        /// Sender (must be the requestor).
        user: UserId,
        /// The message (`recipients`, `title`, `body`, `type`).
        message: Message,
    },
    /// `messages.get`, `GET /messages/{guid}[/{collection}[/{ids}]]` (optional).
    MessagesGet {
        /// Whose messages.
        user: UserId,
        /// `@inbox`, `@outbox`, `@all` or a collection id (`None` = the list of collections).
        collection: Option<String>,
        /// Only these message ids.
        message_ids: Vec<String>,
        /// Paging.
        options: CollectionOptions,
    },
    /// `system.listMethods` (RPC only).
    SystemListMethods,
}

impl Request {
    /// The RPC method name of this operation.
    pub fn method_name(&self) -> &'static str {
        match self {
            Request::PeopleGet { .. } | Request::PeopleSupportedFields => "people.get",
            Request::ActivitiesGet { .. } => "activities.get",
            Request::ActivitiesCreate { .. } => "activities.create",
            Request::ActivitiesDelete { .. } => "activities.delete",
            Request::AppDataGet { .. } => "appdata.get",
            Request::AppDataUpdate { .. } => "appdata.update",
            Request::AppDataDelete { .. } => "appdata.delete",
            Request::MessagesSend { .. } => "messages.send",
            Request::MessagesGet { .. } => "messages.get",
            Request::SystemListMethods => "system.listMethods",
        }
    }

    /// Whether the operation writes (the lead checks the requestor owns the data).
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Request::ActivitiesCreate { .. }
                | Request::ActivitiesDelete { .. }
                | Request::AppDataUpdate { .. }
                | Request::AppDataDelete { .. }
                | Request::MessagesSend { .. }
        )
    }
}

/// Methods this container answers (`system.listMethods`).
pub const SUPPORTED_METHODS: &[&str] = &[
    "people.get",
    "activities.get",
    "activities.create",
    "activities.delete",
    "appdata.get",
    "appdata.update",
    "appdata.create",
    "appdata.delete",
    "messages.send",
    "messages.create",
    "system.listMethods",
];

/// Whether an AppData key is acceptable: `[A-Za-z0-9_.-]`, 1–128 characters (Shindig
/// `AppDataHandler`; the length cap is ours).
pub fn valid_appdata_key(key: &str) -> bool {
    valid_local_id(key)
}

/// AppData values from a JSON object: strings kept, other JSON values stored as their JSON
/// text (AppData values are opaque strings).
///
/// # Errors
/// [`ApiError`] 400 when the value is not an object or a key is invalid.
pub fn appdata_from_json(v: &Value) -> Result<BTreeMap<String, String>, ApiError> {
    let obj =
        v.as_object().ok_or_else(|| ApiError::bad_request("appdata must be a JSON object"))?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        if !valid_appdata_key(k) {
            return Err(ApiError::bad_request(format!("invalid appdata key {k:?}")));
        }
        let s = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.insert(k.clone(), s);
    }
    Ok(out)
}

/// Kinds of items, for XML element names and Atom titles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `person`.
    Person,
    /// `activity`.
    Activity,
    /// `message`.
    Message,
    /// `group`.
    Group,
    /// Plain values (`@supportedFields`, `system.listMethods`).
    Value,
}

impl Kind {
    /// The XML element name.
    pub fn element(self) -> &'static str {
        match self {
            Kind::Person => "person",
            Kind::Activity => "activity",
            Kind::Message => "message",
            Kind::Group => "group",
            Kind::Value => "value",
        }
    }
}

/// What an executed request produced, ready to render as REST or RPC.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseData {
    /// One item (already projected to the requested fields).
    Entity {
        /// Item kind.
        kind: Kind,
        /// The item as JSON.
        value: Value,
    },
    /// A page of items.
    Collection {
        /// Item kind.
        kind: Kind,
        /// The page.
        collection: Collection<Value>,
    },
    /// AppData: user id → key → value.
    AppData(BTreeMap<String, BTreeMap<String, String>>),
    /// A list of strings (`@supportedFields`, `system.listMethods`).
    Strings(Vec<String>),
    /// Nothing to return (`appdata.update`, `appdata.delete`, `messages.send`).
    Empty,
}

impl ResponseData {
    /// One person, projected to `fields`.
    pub fn person(p: &Person, fields: &Fields) -> ResponseData {
        ResponseData::Entity { kind: Kind::Person, value: p.project(fields) }
    }

    /// A page of people, projected to `fields`.
    pub fn people(c: &Collection<Person>, fields: &Fields) -> ResponseData {
        ResponseData::Collection {
            kind: Kind::Person,
            collection: c.map_ref(|p| p.project(fields)),
        }
    }

    /// `GET /people/@supportedFields`: every Person field ashiato knows.
    pub fn supported_person_fields() -> ResponseData {
        ResponseData::Strings(crate::model::PERSON_FIELDS.iter().map(|f| (*f).to_owned()).collect())
    }

    /// `system.listMethods`.
    pub fn rpc_methods() -> ResponseData {
        ResponseData::Strings(SUPPORTED_METHODS.iter().map(|m| (*m).to_owned()).collect())
    }

    /// One activity, projected.
    pub fn activity(a: &Activity, fields: &Fields) -> ResponseData {
        ResponseData::Entity { kind: Kind::Activity, value: a.project(fields) }
    }

    /// A page of activities, projected.
    pub fn activities(c: &Collection<Activity>, fields: &Fields) -> ResponseData {
        ResponseData::Collection {
            kind: Kind::Activity,
            collection: c.map_ref(|a| a.project(fields)),
        }
    }
}

/// Error categories with their HTTP status, JSON-RPC code and 0.8 title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400.
    BadRequest,
    /// 401 (add `WWW-Authenticate`).
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 405 (add `Allow`).
    MethodNotAllowed,
    /// 409.
    Conflict,
    /// 413.
    TooLarge,
    /// 417 (0.8 `limitExceeded`).
    LimitExceeded,
    /// 500.
    Internal,
    /// 501.
    NotImplemented,
    /// JSON-RPC -32700.
    ParseError,
    /// JSON-RPC -32600.
    InvalidRequest,
    /// JSON-RPC -32601.
    MethodNotFound,
    /// JSON-RPC -32602.
    InvalidParams,
}

impl ErrorCode {
    /// HTTP status for REST (and for an RPC whole-batch failure's transport, if wanted).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::ParseError
            | ErrorCode::InvalidRequest
            | ErrorCode::InvalidParams => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound | ErrorCode::MethodNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::TooLarge => 413,
            ErrorCode::LimitExceeded => 417,
            ErrorCode::Internal => 500,
            ErrorCode::NotImplemented => 501,
        }
    }

    /// The JSON-RPC `error.code`: the HTTP-style number, or the JSON-RPC reserved codes.
    pub fn rpc_code(self) -> i64 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            other => i64::from(other.http_status()),
        }
    }

    /// The 0.8 title Shindig prefixes messages with.
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::BadRequest | ErrorCode::InvalidParams => "badRequest",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound | ErrorCode::MethodNotFound => "notFound",
            ErrorCode::MethodNotAllowed => "methodNotAllowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TooLarge => "requestEntityTooLarge",
            ErrorCode::LimitExceeded => "limitExceeded",
            ErrorCode::Internal => "internalError",
            ErrorCode::NotImplemented => "notImplemented",
            ErrorCode::ParseError => "parseError",
            ErrorCode::InvalidRequest => "invalidRequest",
        }
    }
}

/// A Social API error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.title())]
pub struct ApiError {
    /// Category.
    pub code: ErrorCode,
    /// Human-readable detail (no secrets, no stack traces).
    pub message: String,
    /// For 405: the methods allowed (`Allow` header).
    pub allow: Vec<&'static str>,
}

impl ApiError {
    /// An error of `code` with a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), allow: Vec::new() }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// 405 with the allowed methods.
    pub fn method_not_allowed(allow: &[&'static str]) -> Self {
        Self {
            allow: allow.to_vec(),
            ..Self::new(ErrorCode::MethodNotAllowed, "method not allowed")
        }
    }

    /// 501.
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotImplemented, message)
    }

    /// 500.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// The message with its 0.8 title prefix (`"unauthorized: …"`).
    pub fn titled_message(&self) -> String {
        format!("{}: {}", self.code.title(), self.message)
    }
}

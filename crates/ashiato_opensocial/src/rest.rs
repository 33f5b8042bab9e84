//! REST (`opensocial.md` §2): path + query + body → [`Request`]; [`ResponseData`] or
//! [`ApiError`] → status, content type and body in JSON, XML or Atom.
//!
//! Paths are given relative to the REST base (`/social/rest`): `/people/@me/@self`. Service
//! names route case-insensitively; `outbox` is accepted without `@` (osapi). POST and PUT are
//! the same for appdata and activities (osapi swaps them). `X-HTTP-Method-Override` is
//! honoured on POST. Form-encoded bodies are refused (Shindig does, for body-signing reasons).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::model::{Activity, Collection, Message};
use crate::query::{CollectionOptions, Fields, Filter, FilterOp, Sort, SortOrder, parse_datetime};
use crate::request::{
    ApiError, AppId, ErrorCode, GroupId, Kind, Request, ResponseData, UserId, appdata_from_json,
};

/// The OpenSocial XML namespace.
pub const OPENSOCIAL_NS: &str = "http://ns.opensocial.org/2008/opensocial";
/// The Atom namespace.
pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
/// The OpenSearch namespace used in Atom feeds.
pub const OPENSEARCH_NS: &str = "http://a9.com/-/spec/opensearch/1.1";

/// Response format (`format=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// `json` (default), UTF-8.
    #[default]
    Json,
    /// `xml`.
    Xml,
    /// `atom`.
    Atom,
}

/// The HTTP method after `X-HTTP-Method-Override`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET (and HEAD).
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

impl Method {
    /// The effective method: the override applies only to POST and names GET, PUT or DELETE.
    ///
    /// # Errors
    /// 405 for methods other than GET/HEAD/POST/PUT/DELETE; 400 for a bad override.
    pub fn effective(method: &str, method_override: Option<&str>) -> Result<Method, ApiError> {
        let base = match method.trim().to_ascii_uppercase().as_str() {
            "GET" | "HEAD" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            _ => return Err(ApiError::method_not_allowed(&["GET", "POST", "PUT", "DELETE"])),
        };
        match (base, method_override.map(|m| m.trim().to_ascii_uppercase())) {
            (Method::Post, Some(o)) => match o.as_str() {
                "GET" => Ok(Method::Get),
                "PUT" => Ok(Method::Put),
                "DELETE" => Ok(Method::Delete),
                "POST" => Ok(Method::Post),
                _ => {
                    Err(ApiError::bad_request("X-HTTP-Method-Override must be GET, PUT or DELETE"))
                }
            },
            (b, _) => Ok(b),
        }
    }
}

/// A parsed REST call.
#[derive(Clone, Debug, PartialEq)]
pub struct RestCall {
    /// The operation.
    pub request: Request,
    /// The response format asked for.
    pub format: Format,
    /// The effective method (a successful POST/PUT create answers 201 for activities and
    /// messages).
    pub method: Method,
}

/// Query parameters ignored without complaint (OAuth and client habits).
const PASS_THROUGH: &[&str] =
    &["st", "xoauth_requestor_id", "opensocial_method", "networkDistance"];

/// Parses a REST request.
///
/// `path` is relative to the REST base, `query` the raw query string (UTF-8 percent-encoded),
/// `body` the raw body for POST/PUT.
///
/// # Errors
/// [`ApiError`]: 404 unknown service, 405 method not allowed (with `allow`), 400 bad path,
/// parameter, repeated parameter, body or content type, 501 for optional services.
pub fn parse_rest(
    method: &str,
    method_override: Option<&str>,
    path: &str,
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<RestCall, ApiError> {
    let method = Method::effective(method, method_override)?;
    let q = Query::parse(query)?;
    let format = match q.get("format").map(str::to_ascii_lowercase).as_deref() {
        None | Some("json") => Format::Json,
        Some("xml") => Format::Xml,
        Some("atom") => Format::Atom,
        Some(other) => return Err(ApiError::bad_request(format!("unknown format {other:?}"))),
    };
    let segments: Vec<String> = path
        .split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            String::from_utf8_lossy(&crate::oauth::percent_decode(s.as_bytes(), false)).into_owned()
        })
        .collect();
    let Some((service, rest)) = segments.split_first() else {
        return Err(ApiError::not_found("no service in path"));
    };
    let seg = |i: usize| rest.get(i).map(String::as_str);
    if rest.len() > 4 {
        return Err(ApiError::bad_request("too many path segments"));
    }
    let options = || collection_options(&q);
    let request = match service.to_ascii_lowercase().as_str() {
        "people" => {
            if seg(0).is_some_and(|s| s.eq_ignore_ascii_case("@supportedFields")) {
                require(method, &[Method::Get], &["GET"])?;
                Request::PeopleSupportedFields
            } else {
                let users =
                    UserId::parse_list(seg(0).ok_or_else(|| ApiError::bad_request("no user id"))?);
                let group = group(seg(1))?;
                match method {
                    Method::Get => {}
                    Method::Post if group == GroupId::Friends => {
                        return Err(ApiError::not_implemented("adding friends through the API"));
                    }
                    _ => return Err(ApiError::method_not_allowed(&["GET"])),
                }
                let person_ids = seg(2).map(split_ids).unwrap_or_default();
                Request::PeopleGet { users, group, person_ids, options: options()? }
            }
        }
        "activities" => {
            let users =
                UserId::parse_list(seg(0).ok_or_else(|| ApiError::bad_request("no user id"))?);
            let group = group(seg(1))?;
            let app = seg(2).map(AppId::parse);
            let ids = seg(3).map(split_ids).unwrap_or_default();
            match method {
                Method::Get => Request::ActivitiesGet {
                    users,
                    group,
                    app,
                    activity_ids: ids,
                    options: options()?,
                },
                Method::Post | Method::Put => {
                    if !ids.is_empty() {
                        return Err(ApiError::not_implemented("updating an activity"));
                    }
                    let activity: Activity = json_body(content_type, body)?;
                    Request::ActivitiesCreate {
                        user: single_user(users)?,
                        group,
                        app: app.unwrap_or(AppId::Current),
                        activity,
                    }
                }
                Method::Delete => {
                    if ids.is_empty() {
                        return Err(ApiError::bad_request("no activity id to delete"));
                    }
                    Request::ActivitiesDelete {
                        user: single_user(users)?,
                        app: app.unwrap_or(AppId::Current),
                        activity_ids: ids,
                    }
                }
            }
        }
        "appdata" => {
            let users =
                UserId::parse_list(seg(0).ok_or_else(|| ApiError::bad_request("no user id"))?);
            let group = group(seg(1))?;
            let app = seg(2).map_or(AppId::Current, AppId::parse);
            let keys = q.get("fields").map(split_ids).filter(|k| !k.is_empty());
            if let Some(bad) = keys.iter().flatten().find(|k| !crate::request::valid_appdata_key(k))
            {
                return Err(ApiError::bad_request(format!("invalid appdata key {bad:?}")));
            }
            match method {
                Method::Get => Request::AppDataGet { users, group, app, keys },
                Method::Post | Method::Put => {
                    let v: Value = json_body(content_type, body)?;
                    let mut data = appdata_from_json(&v)?;
                    if let Some(keys) = &keys {
                        data.retain(|k, _| keys.contains(k));
                    }
                    Request::AppDataUpdate { user: single_user(users)?, group, app, data }
                }
                Method::Delete => {
                    Request::AppDataDelete { user: single_user(users)?, group, app, keys }
                }
            }
        }
        "messages" => {
            let user = single_user(UserId::parse_list(
                seg(0).ok_or_else(|| ApiError::bad_request("no user id"))?,
            ))?;
            let collection = seg(1).map(|c| {
                let l = c.to_ascii_lowercase();
                match l.as_str() {
                    "outbox" | "inbox" | "all" => format!("@{l}"),
                    _ if l.starts_with('@') => l,
                    _ => c.to_owned(),
                }
            });
            match method {
                Method::Post | Method::Put
                    if collection.as_deref().is_none_or(|c| c == "@outbox") =>
                {
                    let message: Message = json_body(content_type, body)?;
                    if message.recipients.is_empty() {
                        return Err(ApiError::bad_request("message has no recipients"));
                    }
                    Request::MessagesSend { user, message }
                }
                Method::Get => Request::MessagesGet {
                    user,
                    collection,
                    message_ids: seg(2).map(split_ids).unwrap_or_default(),
                    options: options()?,
                },
                Method::Post | Method::Put | Method::Delete => {
                    return Err(ApiError::not_implemented(
                        "message collections other than @outbox",
                    ));
                }
            }
        }
        "groups" | "albums" | "mediaitems" | "cache" => {
            return Err(ApiError::not_implemented(format!("{service} is not supported")));
        }
        _ => return Err(ApiError::not_found(format!("no service {service:?}"))),
    };
    Ok(RestCall { request, format, method })
}

fn require(method: Method, allowed: &[Method], names: &[&'static str]) -> Result<(), ApiError> {
    if allowed.contains(&method) { Ok(()) } else { Err(ApiError::method_not_allowed(names)) }
}

fn group(s: Option<&str>) -> Result<GroupId, ApiError> {
    match s {
        None => Ok(GroupId::SelfGroup),
        Some(g) => {
            GroupId::parse(g).ok_or_else(|| ApiError::bad_request(format!("unknown group {g:?}")))
        }
    }
}

fn single_user(users: Vec<UserId>) -> Result<UserId, ApiError> {
    let mut it = users.into_iter();
    match (it.next(), it.next()) {
        (Some(u), None) => Ok(u),
        _ => Err(ApiError::bad_request("exactly one user id expected")),
    }
}

fn split_ids(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

fn json_body<T: serde::de::DeserializeOwned>(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<T, ApiError> {
    let mime =
        content_type.and_then(|c| c.split(';').next()).map(|m| m.trim().to_ascii_lowercase());
    match mime.as_deref() {
        None
        | Some(
            "application/json" | "text/json" | "application/javascript" | "text/javascript" | "",
        ) => {}
        Some("application/x-www-form-urlencoded") => {
            return Err(ApiError::bad_request("form-encoded bodies are not accepted; send JSON"));
        }
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unsupported body type {other:?}; send JSON"
            )));
        }
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("body is not JSON: {e}")))?;
    // Accept the object itself or wrapped as {"entry": …} / {"data": …}.
    let v = match v {
        Value::Object(mut o)
            if o.len() == 1 && (o.contains_key("entry") || o.contains_key("data")) =>
        {
            o.remove("entry").or_else(|| o.remove("data")).unwrap_or(Value::Null)
        }
        other => other,
    };
    serde_json::from_value(v).map_err(|e| ApiError::bad_request(format!("body: {e}")))
}

/// Decoded query parameters; a repeated parameter is an error.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: &str) -> Result<Query, ApiError> {
        let pairs: Vec<(String, String)> = crate::oauth::parse_form(raw.as_bytes())
            .into_iter()
            .map(|(k, v)| {
                (String::from_utf8_lossy(&k).into_owned(), String::from_utf8_lossy(&v).into_owned())
            })
            .collect();
        for (i, (k, _)) in pairs.iter().enumerate() {
            let ignorable = k.starts_with("oauth_") || PASS_THROUGH.contains(&k.as_str());
            if !ignorable && pairs[..i].iter().any(|(p, _)| p == k) {
                return Err(ApiError::bad_request(format!("parameter {k} repeated")));
            }
        }
        Ok(Query(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn number(q: &Query, name: &str) -> Result<Option<usize>, ApiError> {
    q.get(name)
        .map(|v| {
            v.trim().parse::<usize>().map_err(|_| {
                ApiError::bad_request(format!("{name} must be a non-negative integer"))
            })
        })
        .transpose()
}

fn collection_options(q: &Query) -> Result<CollectionOptions, ApiError> {
    options_from(
        |k| q.get(k).map(str::to_owned),
        number(q, "count")?,
        number(q, "startIndex")?.unwrap_or(0),
    )
}

/// Shared by REST and RPC: builds [`CollectionOptions`] from named string values.
pub(crate) fn options_from(
    get: impl Fn(&str) -> Option<String>,
    count: Option<usize>,
    start_index: usize,
) -> Result<CollectionOptions, ApiError> {
    let filter = match get("filterBy").filter(|s| !s.is_empty()) {
        None => None,
        Some(by) => Some(Filter {
            by,
            op: match get("filterOp") {
                None => FilterOp::Contains,
                Some(op) => FilterOp::parse(&op)
                    .ok_or_else(|| ApiError::bad_request(format!("unknown filterOp {op:?}")))?,
            },
            value: get("filterValue"),
        }),
    };
    let sort = match get("sortBy").filter(|s| !s.is_empty()) {
        None => None,
        Some(by) => Some(Sort {
            by,
            order: match get("sortOrder").map(|s| s.to_ascii_lowercase()).as_deref() {
                None | Some("ascending") => SortOrder::Ascending,
                Some("descending") => SortOrder::Descending,
                Some(other) => {
                    return Err(ApiError::bad_request(format!("unknown sortOrder {other:?}")));
                }
            },
        }),
    };
    let updated_since = match get("updatedSince") {
        None => None,
        Some(s) => Some(
            parse_datetime(&s)
                .ok_or_else(|| ApiError::bad_request("updatedSince must be an xsd:dateTime"))?,
        ),
    };
    let network_distance = get("networkDistance").and_then(|s| s.trim().parse().ok());
    Ok(CollectionOptions {
        count,
        start_index,
        fields: get("fields").map_or(Fields::Default, |f| Fields::parse(&f)),
        filter,
        sort,
        updated_since,
        network_distance,
    })
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// Collection key in JSON collections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Envelope {
    /// `entry` (0.8 – 1.x, mixi, Shindig ≤ 2.0): the default.
    #[default]
    Entry,
    /// `list` (2.x).
    List,
}

/// Rendering settings.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Collection key.
    pub envelope: Envelope,
    /// Add `startIndex: 0, totalResults: 1` beside a single `entry`, as mixi did.
    pub single_with_totals: bool,
    /// The container's domain for Atom ids (`urn:guid:<domain>:<id>`), e.g. `ashiato.jp`.
    pub domain: String,
    /// Atom `feed/id` and `link rel=self`: the request URL.
    pub self_url: String,
    /// Atom `updated` when an item has none (RFC 3339, the caller's "now").
    pub now: String,
}

/// A rendered response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` with charset.
    pub content_type: &'static str,
    /// Extra headers (`WWW-Authenticate`, `Allow`).
    pub headers: Vec<(&'static str, String)>,
    /// Body (UTF-8).
    pub body: String,
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Json => "application/json; charset=utf-8",
        Format::Xml => "application/xml; charset=utf-8",
        Format::Atom => "application/atom+xml; charset=utf-8",
    }
}

/// The JSON body of a response (`entry` envelopes).
pub fn to_json(data: &ResponseData, opts: &RenderOptions) -> Value {
    match data {
        ResponseData::Entity { value, .. } => {
            let mut o = Map::new();
            o.insert("entry".into(), value.clone());
            if opts.single_with_totals {
                o.insert("startIndex".into(), json!(0));
                o.insert("totalResults".into(), json!(1));
            }
            Value::Object(o)
        }
        ResponseData::Collection { collection, .. } => {
            let key = match opts.envelope {
                Envelope::Entry => "entry",
                Envelope::List => "list",
            };
            collection_json(collection, key)
        }
        ResponseData::AppData(map) => json!({ "entry": map }),
        ResponseData::Strings(list) => json!({ "entry": list }),
        ResponseData::Empty => json!({}),
    }
}

/// `{"startIndex", "itemsPerPage" (iff count), "totalResults", key: […], flags}`.
pub(crate) fn collection_json(c: &Collection<Value>, key: &str) -> Value {
    let mut o = Map::new();
    o.insert("startIndex".into(), json!(c.start_index));
    if let Some(n) = c.items_per_page {
        o.insert("itemsPerPage".into(), json!(n));
    }
    o.insert("totalResults".into(), json!(c.total_results));
    o.insert(key.into(), Value::Array(c.items.clone()));
    for (name, flag) in
        [("filtered", c.filtered), ("sorted", c.sorted), ("updatedSince", c.updated_since)]
    {
        if let Some(f) = flag {
            o.insert(name.into(), json!(f));
        }
    }
    Value::Object(o)
}

/// Renders a successful response (`status` 200, or 201 for a create).
pub fn render(
    data: &ResponseData,
    format: Format,
    status: u16,
    opts: &RenderOptions,
) -> RestResponse {
    let body = match format {
        Format::Json => to_json(data, opts).to_string(),
        Format::Xml => to_xml(data),
        Format::Atom => to_atom(data, opts),
    };
    RestResponse { status, content_type: content_type(format), headers: Vec::new(), body }
}

/// Renders an error: status from the code, `WWW-Authenticate: OAuth realm="…"` on 401,
/// `Allow` on 405, and a body `{"error":{"code":…,"message":"title: …"}}` (XML for xml/atom).
/// `www_authenticate` overrides the 401 header value (e.g. with an `oauth_problem`).
pub fn render_error(
    err: &ApiError,
    format: Format,
    realm: &str,
    www_authenticate: Option<&str>,
) -> RestResponse {
    let status = err.code.http_status();
    let mut headers = Vec::new();
    if err.code == ErrorCode::Unauthorized {
        let value = www_authenticate
            .map_or_else(|| format!("OAuth realm=\"{}\"", realm.replace('"', "")), str::to_owned);
        headers.push(("WWW-Authenticate", value));
    }
    if !err.allow.is_empty() {
        headers.push(("Allow", err.allow.join(", ")));
    }
    let body = match format {
        Format::Json => {
            json!({"error": {"code": status, "message": err.titled_message()}}).to_string()
        }
        Format::Xml | Format::Atom => {
            let mut w = crate::xml::XmlWriter::new();
            w.open("response", &[("xmlns", OPENSOCIAL_NS)])
                .open("error", &[])
                .leaf("code", &status.to_string())
                .leaf("message", &err.titled_message())
                .close("error")
                .close("response");
            w.finish()
        }
    };
    let content_type =
        if format == Format::Json { content_type(Format::Json) } else { content_type(Format::Xml) };
    RestResponse { status, content_type, headers, body }
}

fn write_appdata_xml(
    w: &mut crate::xml::XmlWriter,
    map: &BTreeMap<String, BTreeMap<String, String>>,
) {
    w.open("appData", &[]);
    for (user, kv) in map {
        w.open("entry", &[]).leaf("key", user).open("value", &[]);
        w.open("appData", &[]);
        for (k, v) in kv {
            w.open("entry", &[]).leaf("key", k).leaf("value", v).close("entry");
        }
        w.close("appData").close("value").close("entry");
    }
    w.close("appData");
}

/// `format=xml`: `<response xmlns="http://ns.opensocial.org/2008/opensocial">` with the item
/// element, or `startIndex`/`itemsPerPage`/`totalResults` and `<entry><person>…` items.
pub fn to_xml(data: &ResponseData) -> String {
    let mut w = crate::xml::XmlWriter::new();
    w.open("response", &[("xmlns", OPENSOCIAL_NS)]);
    match data {
        ResponseData::Entity { kind, value } => {
            w.open(kind.element(), &[]).json_children(value).close(kind.element());
        }
        ResponseData::Collection { kind, collection: c } => {
            w.leaf("startIndex", &c.start_index.to_string());
            if let Some(n) = c.items_per_page {
                w.leaf("itemsPerPage", &n.to_string());
            }
            w.leaf("totalResults", &c.total_results.to_string());
            for (name, flag) in
                [("filtered", c.filtered), ("sorted", c.sorted), ("updatedSince", c.updated_since)]
            {
                if let Some(f) = flag {
                    w.leaf(name, if f { "true" } else { "false" });
                }
            }
            for item in &c.items {
                w.open("entry", &[])
                    .open(kind.element(), &[])
                    .json_children(item)
                    .close(kind.element())
                    .close("entry");
            }
        }
        ResponseData::AppData(map) => write_appdata_xml(&mut w, map),
        ResponseData::Strings(list) => {
            for s in list {
                w.leaf("entry", s);
            }
        }
        ResponseData::Empty => {}
    }
    w.close("response");
    w.finish()
}

fn atom_entry(
    w: &mut crate::xml::XmlWriter,
    kind: Kind,
    item: &Value,
    opts: &RenderOptions,
    with_ns: bool,
) {
    let attrs: &[(&str, &str)] = if with_ns { &[("xmlns", ATOM_NS)] } else { &[] };
    w.open("entry", attrs);
    let id = item.get("id").and_then(Value::as_str).unwrap_or("");
    w.leaf("id", &format!("urn:guid:{}:{}", opts.domain, id));
    let title = match kind {
        Kind::Person => item.get("displayName").and_then(Value::as_str),
        _ => item.get("title").and_then(Value::as_str),
    }
    .unwrap_or(id);
    w.leaf("title", title);
    let updated = item.get("updated").and_then(Value::as_str).unwrap_or(&opts.now);
    w.leaf("updated", updated);
    let author = match kind {
        Kind::Activity => item.get("userId").and_then(Value::as_str),
        _ => Some(id),
    };
    if let Some(a) = author {
        w.open("author", &[])
            .leaf("uri", &format!("urn:guid:{}:{}", opts.domain, a))
            .close("author");
    }
    if kind == Kind::Activity
        && let Some(body) = item.get("body").and_then(Value::as_str)
    {
        w.leaf("summary", body);
    }
    w.open("content", &[("type", "application/xml")]);
    w.open(kind.element(), &[("xmlns", OPENSOCIAL_NS)]).json_children(item).close(kind.element());
    w.close("content").close("entry");
}

/// `format=atom`: a `<feed>` with OpenSearch numbers for collections, a lone `<entry>` for one
/// item; `atom:id` is `urn:guid:<domain>:<id>`, `atom:title` the displayName or title,
/// Activity `summary` its body.
pub fn to_atom(data: &ResponseData, opts: &RenderOptions) -> String {
    let mut w = crate::xml::XmlWriter::new();
    match data {
        ResponseData::Entity { kind, value } => atom_entry(&mut w, *kind, value, opts, true),
        ResponseData::Collection { kind, collection: c } => {
            w.open("feed", &[("xmlns", ATOM_NS), ("xmlns:osearch", OPENSEARCH_NS)]);
            w.leaf("id", &opts.self_url).leaf("title", "").leaf("updated", &opts.now);
            w.open("author", &[]).leaf("uri", &format!("urn:guid:{}", opts.domain)).close("author");
            w.leaf("osearch:totalResults", &c.total_results.to_string());
            w.leaf("osearch:startIndex", &c.start_index.to_string());
            if let Some(n) = c.items_per_page {
                w.leaf("osearch:itemsPerPage", &n.to_string());
            }
            for item in &c.items {
                atom_entry(&mut w, *kind, item, opts, false);
            }
            w.close("feed");
        }
        ResponseData::AppData(map) => {
            w.open("feed", &[("xmlns", ATOM_NS), ("xmlns:osearch", OPENSEARCH_NS)]);
            w.leaf("id", &opts.self_url).leaf("title", "").leaf("updated", &opts.now);
            w.leaf("osearch:totalResults", &map.len().to_string());
            for (user, kv) in map {
                w.open("entry", &[]).leaf("id", &format!("urn:guid:{}:{}", opts.domain, user));
                w.leaf("title", user).leaf("updated", &opts.now);
                w.open("content", &[("type", "application/xml")])
                    .open("appData", &[("xmlns", OPENSOCIAL_NS)]);
                for (k, v) in kv {
                    w.open("entry", &[]).leaf("key", k).leaf("value", v).close("entry");
                }
                w.close("appData").close("content").close("entry");
            }
            w.close("feed");
        }
        ResponseData::Strings(_) | ResponseData::Empty => {
            return to_xml(data);
        }
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Collection, Person};

    fn get(path: &str, query: &str) -> Result<RestCall, ApiError> {
        parse_rest("GET", None, path, query, None, b"")
    }

    fn well_formed(xml: &str) {
        let mut r = quick_xml::Reader::from_str(xml);
        loop {
            match r.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed: {e}\n{xml}"),
            }
        }
    }

    #[test]
    fn people_paths() {
        let c = get("/people/@me/@self", "").expect("ok");
        assert_eq!(
            c.request,
            Request::PeopleGet {
                users: vec![UserId::Me],
                group: GroupId::SelfGroup,
                person_ids: vec![],
                options: CollectionOptions::default()
            }
        );
        let c = get(
            "/People/john.doe,jane.doe/@FRIENDS",
            "count=5&startIndex=2&fields=id,aboutMe&sortBy=name&sortOrder=descending&format=xml",
        )
        .expect("ok");
        assert_eq!(c.format, Format::Xml);
        let Request::PeopleGet { users, group, options, .. } = c.request else { panic!("people") };
        assert_eq!(users, vec![UserId::Id("john.doe".into()), UserId::Id("jane.doe".into())]);
        assert_eq!(group, GroupId::Friends);
        assert_eq!((options.count, options.start_index), (Some(5), 2));
        assert_eq!(options.fields, Fields::List(vec!["id".into(), "aboutMe".into()]));
        assert_eq!(options.sort.map(|s| s.order), Some(SortOrder::Descending));
        let c = get("/people/@me/@all/jane.doe", "").expect("ok");
        assert!(
            matches!(c.request, Request::PeopleGet { ref person_ids, group: GroupId::All, .. } if person_ids == &["jane.doe"])
        );
        assert_eq!(
            get("/people/@supportedFields", "").expect("ok").request,
            Request::PeopleSupportedFields
        );
        let c = get("/people/@me/@self", "filterBy=@friends&filterOp=contains&filterValue=john.doe&updatedSince=2008-01-01T00:00:00Z")
            .expect("ok");
        let Request::PeopleGet { options, .. } = c.request else { panic!() };
        assert_eq!(
            options.filter.as_ref().map(|f| (f.by.as_str(), f.op, f.value.as_deref())),
            Some(("@friends", FilterOp::Contains, Some("john.doe")))
        );
        assert!(options.updated_since.is_some());
        // Ignored parameters and OAuth in the query.
        get(
            "/people/@me/@self",
            "opensocial_method=GET&oauth_nonce=1&xoauth_requestor_id=x&st=abc",
        )
        .expect("ignored");
    }

    #[test]
    fn bad_requests() {
        let code = |r: Result<RestCall, ApiError>| r.expect_err("error").code.http_status();
        assert_eq!(code(get("/people/@me/@self", "count=-1")), 400);
        assert_eq!(code(get("/people/@me/@self", "count=1&count=2")), 400);
        assert_eq!(code(get("/people/@me/@self", "format=csv")), 400);
        assert_eq!(code(get("/people/@me/@bogus", "")), 400);
        assert_eq!(code(get("/people/@me/@self", "filterOp=like&filterBy=x")), 400);
        assert_eq!(code(get("/people/@me/@self", "updatedSince=yesterday")), 400);
        assert_eq!(code(get("/nothing/@me", "")), 404);
        assert_eq!(code(get("/", "")), 404);
        assert_eq!(code(get("/albums/@me/@self", "")), 501);
        let e = parse_rest("DELETE", None, "/people/@me/@self", "", None, b"").expect_err("405");
        assert_eq!((e.code.http_status(), e.allow.clone()), (405, vec!["GET"]));
        assert_eq!(code(parse_rest("PATCH", None, "/people/@me/@self", "", None, b"")), 405);
        assert_eq!(code(parse_rest("POST", None, "/people/@me/@friends", "", None, b"")), 501);
    }

    #[test]
    fn appdata_and_override() {
        let body = br#"{"count":"3","score":12,"nested":{"a":1}}"#;
        for (method, ov) in [("POST", None), ("PUT", None), ("POST", Some("PUT"))] {
            let c = parse_rest(
                method,
                ov,
                "/appdata/@me/@self/@app",
                "",
                Some("application/json; charset=utf-8"),
                body,
            )
            .expect("ok");
            let Request::AppDataUpdate { data, app, .. } = c.request else {
                panic!("update via {method} {ov:?}")
            };
            assert_eq!(app, AppId::Current);
            assert_eq!(data.get("score").map(String::as_str), Some("12"));
            assert_eq!(data.get("nested").map(String::as_str), Some(r#"{"a":1}"#));
        }
        let c = parse_rest(
            "POST",
            Some("DELETE"),
            "/appdata/@me/@self/7",
            "fields=count,score",
            None,
            b"",
        )
        .expect("delete");
        assert_eq!(
            c.request,
            Request::AppDataDelete {
                user: UserId::Me,
                group: GroupId::SelfGroup,
                app: AppId::Id("7".into()),
                keys: Some(vec!["count".into(), "score".into()])
            }
        );
        let c = get("/appdata/john.doe,jane.doe/@friends/@app", "fields=count").expect("get");
        assert!(
            matches!(c.request, Request::AppDataGet { ref keys, group: GroupId::Friends, .. } if keys.as_deref() == Some(&["count".to_owned()][..]))
        );
        let bad =
            parse_rest("POST", None, "/appdata/@me/@self/@app", "", None, br#"{"bad key":"x"}"#)
                .expect_err("key");
        assert_eq!(bad.code, ErrorCode::BadRequest);
        let form = parse_rest(
            "POST",
            None,
            "/appdata/@me/@self/@app",
            "",
            Some("application/x-www-form-urlencoded"),
            b"a=b",
        )
        .expect_err("form");
        assert!(form.message.contains("form"));
        assert_eq!(
            get("/appdata/@me/@self/@app", "fields=b%20ad").expect_err("key").code,
            ErrorCode::BadRequest
        );
        let two = parse_rest("PUT", None, "/appdata/a,b/@self/@app", "", None, b"{}")
            .expect_err("one user");
        assert_eq!(two.code, ErrorCode::BadRequest);
    }

    #[test]
    fn activities_and_messages() {
        let body = br#"{"title":"<b>hi</b>","body":"went rafting","mediaItems":[{"mimeType":"image/jpeg","type":"image","url":"http://x/y.jpg"}]}"#;
        let c = parse_rest(
            "POST",
            None,
            "/activities/@me/@self/@app",
            "",
            Some("application/json"),
            body,
        )
        .expect("create");
        assert_eq!(c.method, Method::Post);
        let Request::ActivitiesCreate { activity, .. } = c.request else { panic!() };
        assert_eq!(activity.title.as_deref(), Some("<b>hi</b>"));
        assert_eq!(activity.media_items.len(), 1);
        let c = get("/activities/@me/@friends/7", "").expect("get");
        assert!(
            matches!(c.request, Request::ActivitiesGet { app: Some(AppId::Id(ref a)), group: GroupId::Friends, .. } if a == "7")
        );
        let c = parse_rest("DELETE", None, "/activities/@me/@self/@app/1,2", "", None, b"")
            .expect("delete");
        assert!(
            matches!(c.request, Request::ActivitiesDelete { ref activity_ids, .. } if activity_ids.len() == 2)
        );
        let msg =
            br#"{"recipients":["jane.doe"],"title":"hi","body":"yo","type":"privateMessage"}"#;
        for coll in ["@outbox", "outbox", "OUTBOX"] {
            let c = parse_rest("POST", None, &format!("/messages/@me/{coll}"), "", None, msg)
                .expect("send");
            assert!(
                matches!(c.request, Request::MessagesSend { ref message, .. } if message.recipients == ["jane.doe"])
            );
        }
        let e = parse_rest("POST", None, "/messages/@me/@outbox", "", None, br#"{"title":"x"}"#)
            .expect_err("no recipients");
        assert_eq!(e.code, ErrorCode::BadRequest);
        let e = parse_rest("POST", None, "/activities/@me/@self/@app", "", None, b"{not json")
            .expect_err("json");
        assert_eq!(e.code, ErrorCode::BadRequest);
    }

    fn sample_people() -> Collection<Person> {
        let mut a = Person::new("john.doe", "Johnny <J&J>");
        a.updated = Some("2008-06-06T12:12:12Z".into());
        let b = Person::new("jane.doe", "Janey");
        Collection {
            items: vec![a, b],
            total_results: 3,
            start_index: 0,
            items_per_page: Some(2),
            filtered: None,
            sorted: Some(false),
            updated_since: None,
        }
    }

    #[test]
    fn json_envelopes() {
        let opts = RenderOptions::default();
        let c = sample_people();
        let data = ResponseData::people(&c, &Fields::Default);
        let v = to_json(&data, &opts);
        assert_eq!(v["totalResults"], 3);
        assert_eq!(v["itemsPerPage"], 2);
        assert_eq!(v["startIndex"], 0);
        assert_eq!(v["sorted"], false);
        assert!(v.get("filtered").is_none());
        assert_eq!(v["entry"][1]["id"], "jane.doe");
        let list =
            to_json(&data, &RenderOptions { envelope: Envelope::List, ..RenderOptions::default() });
        assert!(list.get("list").is_some() && list.get("entry").is_none());
        let mut no_count = c.clone();
        no_count.items_per_page = None;
        let v = to_json(&ResponseData::people(&no_count, &Fields::Default), &opts);
        assert!(v.get("itemsPerPage").is_none(), "itemsPerPage iff count");
        let one = ResponseData::person(&c.items[0], &Fields::Default);
        assert_eq!(
            to_json(&one, &opts),
            json!({"entry": {"id": "john.doe", "displayName": "Johnny <J&J>"}})
        );
        let mixi =
            to_json(&one, &RenderOptions { single_with_totals: true, ..RenderOptions::default() });
        assert_eq!(
            (mixi["startIndex"].clone(), mixi["totalResults"].clone()),
            (json!(0), json!(1))
        );
        let mut m = BTreeMap::new();
        m.insert("john.doe".to_owned(), BTreeMap::from([("count".to_owned(), "0".to_owned())]));
        assert_eq!(
            to_json(&ResponseData::AppData(m), &opts),
            json!({"entry": {"john.doe": {"count": "0"}}})
        );
        let empty = Collection::<Person>::all(vec![]);
        let v = to_json(&ResponseData::people(&empty, &Fields::Default), &opts);
        assert_eq!(v["entry"], json!([]), "entry is an array even when empty");
        let r = render(&one, Format::Json, 200, &opts);
        assert_eq!(r.content_type, "application/json; charset=utf-8");
    }

    #[test]
    fn xml_and_atom() {
        let opts = RenderOptions {
            domain: "ashiato.example".into(),
            self_url: "http://sns/social/rest/people/@me/@friends".into(),
            now: "2026-01-01T00:00:00Z".into(),
            ..RenderOptions::default()
        };
        let c = sample_people();
        let data = ResponseData::people(&c, &Fields::Default);
        let xml = to_xml(&data);
        well_formed(&xml);
        assert!(xml.contains("<response xmlns=\"http://ns.opensocial.org/2008/opensocial\"><startIndex>0</startIndex><itemsPerPage>2</itemsPerPage><totalResults>3</totalResults><sorted>false</sorted><entry><person>"), "{xml}");
        assert!(xml.contains("<displayName>Johnny &lt;J&amp;J&gt;</displayName>"), "{xml}");
        let one = to_xml(&ResponseData::person(&c.items[1], &Fields::Default));
        well_formed(&one);
        assert!(one.contains("<response xmlns=\"http://ns.opensocial.org/2008/opensocial\"><person><displayName>Janey</displayName><id>jane.doe</id></person></response>"), "{one}");
        let mut m = BTreeMap::new();
        m.insert("john.doe".to_owned(), BTreeMap::from([("count".to_owned(), "0".to_owned())]));
        let app = to_xml(&ResponseData::AppData(m.clone()));
        well_formed(&app);
        assert!(app.contains("<appData><entry><key>john.doe</key><value><appData><entry><key>count</key><value>0</value></entry></appData></value></entry></appData>"), "{app}");

        let atom = to_atom(&ResponseData::people(&c, &Fields::All), &opts);
        well_formed(&atom);
        assert!(atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:osearch=\"http://a9.com/-/spec/opensearch/1.1\">"));
        assert!(atom.contains("<osearch:totalResults>3</osearch:totalResults><osearch:startIndex>0</osearch:startIndex><osearch:itemsPerPage>2</osearch:itemsPerPage>"), "{atom}");
        assert!(atom.contains("<entry><id>urn:guid:ashiato.example:john.doe</id><title>Johnny &lt;J&amp;J&gt;</title><updated>2008-06-06T12:12:12Z</updated>"), "{atom}");
        assert!(atom.contains("<content type=\"application/xml\"><person xmlns=\"http://ns.opensocial.org/2008/opensocial\">"), "{atom}");
        let act = crate::model::Activity {
            id: Some("1".into()),
            title: Some("t".into()),
            body: Some("went rafting".into()),
            user_id: Some("john.doe".into()),
            ..Default::default()
        };
        let single = to_atom(&ResponseData::activity(&act, &Fields::Default), &opts);
        well_formed(&single);
        assert!(single.contains("<entry xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:guid:ashiato.example:1</id><title>t</title>"), "{single}");
        assert!(single.contains("<summary>went rafting</summary>"));
        well_formed(&to_atom(&ResponseData::AppData(m), &opts));
        well_formed(&to_atom(&ResponseData::Strings(vec!["id".into()]), &opts));
    }

    #[test]
    fn error_bodies_and_headers() {
        let r = render_error(
            &ApiError::unauthorized("no signature"),
            Format::Json,
            "ashiato.example",
            None,
        );
        assert_eq!(r.status, 401);
        assert_eq!(
            r.headers,
            vec![("WWW-Authenticate", "OAuth realm=\"ashiato.example\"".to_owned())]
        );
        assert_eq!(r.body, r#"{"error":{"code":401,"message":"unauthorized: no signature"}}"#);
        let r =
            render_error(&ApiError::method_not_allowed(&["GET", "POST"]), Format::Xml, "r", None);
        assert_eq!((r.status, r.headers[0].1.as_str()), (405, "GET, POST"));
        well_formed(&r.body);
        let r = render_error(&ApiError::not_implemented("x"), Format::Atom, "r", None);
        assert_eq!(r.status, 501);
        let r = render_error(
            &ApiError::unauthorized("x"),
            Format::Json,
            "r",
            Some("OAuth realm=\"r\", oauth_problem=\"nonce_used\""),
        );
        assert!(r.headers[0].1.contains("nonce_used"));
    }
}

//! JSON-RPC (`opensocial.md` §3) at `/social/rpc`: single and batch calls, the GET form, and
//! responses that carry the result under both `data` (0.8.1) and `result` (0.9+).
//!
//! Each call parses independently: a bad call becomes an error entry in its place while the
//! rest of the batch runs. Only an unreadable body (not JSON, neither object nor array, empty
//! batch, batch over [`MAX_BATCH`]) fails the whole batch: `{"error":{…}}`. Answer HTTP 200 in
//! all cases (Shindig does; the spec's 207 confuses clients).

use serde_json::{Map, Value, json};

use crate::model::{Activity, Message};
use crate::query::{CollectionOptions, Fields};
pub use crate::request::SUPPORTED_METHODS;
use crate::request::{
    ApiError, AppId, ErrorCode, GroupId, Request, ResponseData, UserId, appdata_from_json,
};

/// Most calls in one batch.
pub const MAX_BATCH: usize = 100;

/// One call of a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcCall {
    /// The call's `id` (echoed; absent for notifications, answered anyway).
    pub id: Option<Value>,
    /// `method` as sent (empty when missing).
    pub method: String,
    /// `params.auth`, which may override the `Authorization` header.
    pub auth: Option<String>,
    /// The parsed operation, or why the call is refused.
    pub request: Result<Request, ApiError>,
}

/// A parsed body.
#[derive(Clone, Debug, PartialEq)]
pub enum RpcBody {
    /// One request object: answer with one response object.
    Single(Box<RpcCall>),
    /// An array: answer with an array in the same order.
    Batch(Vec<RpcCall>),
}

impl RpcBody {
    /// The calls, in order.
    pub fn calls(&self) -> Vec<&RpcCall> {
        match self {
            RpcBody::Single(c) => vec![c.as_ref()],
            RpcBody::Batch(v) => v.iter().collect(),
        }
    }
}

/// Parses a POST body (`application/json`).
///
/// # Errors
/// Whole-batch failures: -32700 for non-JSON, -32600 for a body that is neither object nor
/// array, an empty array, or more than [`MAX_BATCH`] calls.
pub fn parse_body(body: &[u8]) -> Result<RpcBody, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ErrorCode::ParseError, format!("body is not JSON: {e}")))?;
    match v {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(ApiError::new(ErrorCode::InvalidRequest, "empty batch"));
            }
            if items.len() > MAX_BATCH {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!("more than {MAX_BATCH} calls"),
                ));
            }
            Ok(RpcBody::Batch(items.iter().map(parse_call).collect()))
        }
        obj @ Value::Object(_) => Ok(RpcBody::Single(Box::new(parse_call(&obj)))),
        _ => Err(ApiError::new(ErrorCode::InvalidRequest, "expected a request object or an array")),
    }
}

/// Parameters that are lists when given as comma-separated strings in the GET form.
const LIST_PARAMS: &[&str] =
    &["userId", "fields", "keys", "activityIds", "activityId", "personId", "recipients"];

/// Parses the GET form: `?method=people.get&id=x&userId=@me&groupId=@friends`, also
/// `params.userId=`; nested keys with dots; list parameters as comma lists; `'123'` is the
/// string `123`, other numeric values are numbers; `true`/`false` booleans.
///
/// # Errors
/// -32600 when `method` is missing.
pub fn parse_get(query: &str) -> Result<RpcBody, ApiError> {
    let mut call = Map::new();
    let mut params = Map::new();
    for (k, v) in crate::oauth::parse_form(query.as_bytes()) {
        let k = String::from_utf8_lossy(&k).into_owned();
        let v = String::from_utf8_lossy(&v).into_owned();
        match k.as_str() {
            "method" => {
                call.insert("method".into(), Value::String(v));
            }
            "id" => {
                call.insert("id".into(), Value::String(v));
            }
            _ if k.starts_with("oauth_") || k == "xoauth_requestor_id" || k == "st" => {}
            _ => {
                let path = k.strip_prefix("params.").unwrap_or(&k);
                let leaf = path.rsplit('.').next().unwrap_or(path);
                let value = get_value(&v, LIST_PARAMS.contains(&leaf));
                insert_path(&mut params, path, value);
            }
        }
    }
    if !call.contains_key("method") {
        return Err(ApiError::new(ErrorCode::InvalidRequest, "no method parameter"));
    }
    call.insert("params".into(), Value::Object(params));
    Ok(RpcBody::Single(Box::new(parse_call(&Value::Object(call)))))
}

fn get_value(v: &str, list: bool) -> Value {
    if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Value::String(inner.to_owned());
    }
    if list && v.contains(',') {
        return Value::Array(v.split(',').map(|s| Value::String(s.trim().to_owned())).collect());
    }
    match v {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    if !v.is_empty()
        && v.len() < 16
        && v.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = v.parse::<u64>()
    {
        return json!(n);
    }
    Value::String(v.to_owned())
}

fn insert_path(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = map.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

fn valid_method_name(m: &str) -> bool {
    let Some((a, b)) = m.split_once('.') else { return false };
    let ok = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
    ok(a) && ok(b)
}

fn parse_call(v: &Value) -> RpcCall {
    let id = v.get("id").cloned();
    let method = v.get("method").and_then(Value::as_str).unwrap_or("").to_owned();
    let params = v.get("params").cloned().unwrap_or_else(|| json!({}));
    let auth = params.get("auth").and_then(Value::as_str).map(str::to_owned);
    let request = if !v.is_object() {
        Err(ApiError::new(ErrorCode::InvalidRequest, "a call must be an object"))
    } else if method.is_empty() {
        Err(ApiError::new(ErrorCode::InvalidRequest, "no method"))
    } else if !valid_method_name(&method) {
        Err(ApiError::new(ErrorCode::MethodNotFound, format!("no method {method:?}")))
    } else if !params.is_object() {
        Err(ApiError::new(ErrorCode::InvalidParams, "params must be an object"))
    } else {
        to_request(&method, &params)
    };
    RpcCall { id, method, auth, request }
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParams, msg)
}

fn str_list(v: Option<&Value>) -> Result<Option<Vec<String>>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(
            s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect(),
        )),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(invalid("expected a list of strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(Value::Number(n)) => Ok(Some(vec![n.to_string()])),
        Some(_) => Err(invalid("expected a string or a list of strings")),
    }
}

fn users(p: &Value) -> Result<Vec<UserId>, ApiError> {
    Ok(str_list(p.get("userId"))?
        .map_or_else(|| vec![UserId::Me], |l| l.iter().map(|s| UserId::parse(s)).collect()))
}

fn one_user(p: &Value) -> Result<UserId, ApiError> {
    let mut u = users(p)?;
    if u.len() != 1 {
        return Err(invalid("exactly one userId expected"));
    }
    Ok(u.remove(0))
}

fn group(p: &Value) -> Result<GroupId, ApiError> {
    let g = match p.get("groupId") {
        None | Some(Value::Null) => return Ok(GroupId::SelfGroup),
        Some(Value::String(s)) => s.clone(),
        // 0.8 clients send {"type":"friends"} or {"groupId":"…"}.
        Some(Value::Object(o)) => {
            o.get("type")
                .or_else(|| o.get("groupId"))
                .and_then(Value::as_str)
                .map(|t| {
                    if t.starts_with('@') || t == "groupId" {
                        t.to_owned()
                    } else {
                        format!("@{t}")
                    }
                })
                .ok_or_else(|| invalid("bad groupId"))?
        }
        Some(_) => return Err(invalid("bad groupId")),
    };
    GroupId::parse(&g).ok_or_else(|| invalid(format!("unknown group {g:?}")))
}

fn app(p: &Value) -> AppId {
    match p.get("appId") {
        Some(Value::String(s)) => AppId::parse(s),
        Some(Value::Number(n)) => AppId::Id(n.to_string()),
        _ => AppId::Current,
    }
}

fn index(p: &Value, name: &str) -> Result<Option<usize>, ApiError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| invalid(format!("{name} must be a non-negative integer"))),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| invalid(format!("{name} must be a non-negative integer"))),
        Some(_) => Err(invalid(format!("{name} must be a number"))),
    }
}

fn options(p: &Value) -> Result<CollectionOptions, ApiError> {
    let get = |k: &str| -> Option<String> {
        match p.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let mut opts =
        crate::rest::options_from(get, index(p, "count")?, index(p, "startIndex")?.unwrap_or(0))
            .map_err(|e| invalid(e.message))?;
    opts.fields = str_list(p.get("fields"))?.map_or(Fields::Default, |l| Fields::from_list(&l));
    Ok(opts)
}

fn object<T: serde::de::DeserializeOwned>(p: &Value, name: &str) -> Result<T, ApiError> {
    let v = p.get(name).ok_or_else(|| invalid(format!("no {name}")))?;
    serde_json::from_value(v.clone()).map_err(|e| invalid(format!("{name}: {e}")))
}

fn to_request(method: &str, p: &Value) -> Result<Request, ApiError> {
    let keys = |p: &Value| -> Result<Option<Vec<String>>, ApiError> {
        let k = str_list(p.get("keys"))?.or(str_list(p.get("fields"))?);
        if let Some(bad) =
            k.iter().flatten().find(|k| !crate::request::valid_appdata_key(k) && k.as_str() != "*")
        {
            return Err(invalid(format!("invalid appdata key {bad:?}")));
        }
        Ok(k.filter(|k| !k.iter().any(|x| x == "*")))
    };
    Ok(match method {
        "people.get" => {
            let person_ids = str_list(p.get("personId"))?.unwrap_or_default();
            Request::PeopleGet {
                users: users(p)?,
                group: group(p)?,
                person_ids,
                options: options(p)?,
            }
        }
        "activities.get" => {
            let ids = str_list(p.get("activityIds"))?
                .or(str_list(p.get("activityId"))?)
                .unwrap_or_default();
            Request::ActivitiesGet {
                users: users(p)?,
                group: group(p)?,
                app: p.get("appId").map(|_| app(p)),
                activity_ids: ids,
                options: options(p)?,
            }
        }
        "activities.create" => {
            let activity: Activity = object(p, "activity")?;
            Request::ActivitiesCreate {
                user: one_user(p)?,
                group: group(p)?,
                app: app(p),
                activity,
            }
        }
        "activities.delete" => {
            let ids = str_list(p.get("activityIds"))?
                .or(str_list(p.get("activityId"))?)
                .unwrap_or_default();
            if ids.is_empty() {
                return Err(invalid("no activityIds"));
            }
            Request::ActivitiesDelete { user: one_user(p)?, app: app(p), activity_ids: ids }
        }
        "appdata.get" => {
            Request::AppDataGet { users: users(p)?, group: group(p)?, app: app(p), keys: keys(p)? }
        }
        "appdata.update" | "appdata.create" => {
            let data = p.get("data").ok_or_else(|| invalid("no data"))?;
            let mut data = appdata_from_json(data).map_err(|e| invalid(e.message))?;
            if let Some(k) = str_list(p.get("keys"))? {
                data.retain(|key, _| k.contains(key));
            }
            Request::AppDataUpdate { user: one_user(p)?, group: group(p)?, app: app(p), data }
        }
        "appdata.delete" => Request::AppDataDelete {
            user: one_user(p)?,
            group: group(p)?,
            app: app(p),
            keys: keys(p)?,
        },
        "messages.send" | "messages.create" => {
            let message: Message = object(p, "message")?;
            if message.recipients.is_empty() {
                return Err(invalid("message has no recipients"));
            }
            Request::MessagesSend { user: one_user(p)?, message }
        }
        "system.listMethods" => Request::SystemListMethods,
        other => {
            return Err(ApiError::new(ErrorCode::MethodNotFound, format!("no method {other:?}")));
        }
    })
}

/// The RPC result value of a [`ResponseData`]: items, collections with `list`, AppData maps.
pub fn result_value(data: &ResponseData) -> Value {
    match data {
        ResponseData::Entity { value, .. } => value.clone(),
        ResponseData::Collection { collection, .. } => {
            crate::rest::collection_json(collection, "list")
        }
        ResponseData::AppData(map) => json!(map),
        ResponseData::Strings(list) => json!(list),
        ResponseData::Empty => json!({}),
    }
}

/// The error object `{"code":…, "message":"title: …"}`.
pub fn error_value(err: &ApiError) -> Value {
    json!({"code": err.code.rpc_code(), "message": err.titled_message()})
}

/// One response object: `{"id", "data", "result"}` or `{"id", "error"}`.
pub fn response_value(id: Option<&Value>, outcome: &Result<ResponseData, ApiError>) -> Value {
    let mut o = Map::new();
    if let Some(id) = id {
        o.insert("id".into(), id.clone());
    }
    match outcome {
        Ok(data) => {
            let v = result_value(data);
            o.insert("data".into(), v.clone());
            o.insert("result".into(), v);
        }
        Err(e) => {
            o.insert("error".into(), error_value(e));
        }
    }
    Value::Object(o)
}

/// The whole response, in call order: an object for a single call, an array for a batch.
/// `outcomes` holds one entry per call of `body`, in the same order.
pub fn response(body: &RpcBody, outcomes: &[Result<ResponseData, ApiError>]) -> Value {
    let calls = body.calls();
    let items: Vec<Value> =
        calls.iter().zip(outcomes).map(|(c, o)| response_value(c.id.as_ref(), o)).collect();
    match body {
        RpcBody::Single(_) => items.into_iter().next().unwrap_or_else(|| json!({})),
        RpcBody::Batch(_) => Value::Array(items),
    }
}

/// A whole-batch failure: `{"error":{…}}`.
pub fn whole_error(err: &ApiError) -> Value {
    json!({"error": error_value(err)})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Collection, Person};
    use proptest::prelude::*;

    #[test]
    fn single_and_batch() {
        let single = parse_body(
            br#"{"method":"people.get","id":"myself","params":{"userId":"@me","groupId":"@self"}}"#,
        )
        .expect("ok");
        let RpcBody::Single(call) = &single else { panic!("single") };
        assert_eq!(call.id, Some(json!("myself")));
        assert!(
            matches!(call.request, Ok(Request::PeopleGet { ref users, group: GroupId::SelfGroup, .. }) if users == &[UserId::Me])
        );

        let batch = parse_body(br#"[
            {"method":"people.get","id":"friends","params":{"userId":["john.doe","jane.doe"],"groupId":"@friends","count":"2","startIndex":1,"fields":["id","aboutMe"]}},
            {"method":"activities.create","id":"a","params":{"userId":"@me","groupId":"@self","appId":"@app","activity":{"title":"hello"}}},
            {"method":"appdata.update","id":"u","params":{"userId":"@me","data":{"k":"v","n":1}}},
            {"method":"appdata.get","id":"g","params":{"userId":"@me","groupId":"@friends","keys":["k"]}},
            {"method":"appdata.delete","id":"d","params":{"userId":"@me","keys":"k,n"}},
            {"method":"messages.send","id":"m","params":{"userId":"@me","message":{"recipients":["jane.doe"],"title":"t","body":"b"}}},
            {"method":"system.listMethods","id":7},
            {"method":"nope.nope","id":"x"},
            {"method":"bad name!","id":"y"},
            {"id":"z"},
            {"method":"people.get","id":"w","params":{"groupId":"@bogus"}},
            {"method":"appdata.update","id":"v","params":{"data":{"bad key":"x"}}},
            "not an object"
        ]"#).expect("batch");
        let RpcBody::Batch(calls) = &batch else { panic!("batch") };
        assert_eq!(calls.len(), 13);
        let Ok(Request::PeopleGet { users, options, .. }) = &calls[0].request else { panic!("0") };
        assert_eq!(users.len(), 2);
        assert_eq!((options.count, options.start_index), (Some(2), 1));
        assert_eq!(options.fields, Fields::List(vec!["id".into(), "aboutMe".into()]));
        assert!(
            matches!(&calls[1].request, Ok(Request::ActivitiesCreate { activity, app: AppId::Current, .. }) if activity.title.as_deref() == Some("hello"))
        );
        assert!(
            matches!(&calls[2].request, Ok(Request::AppDataUpdate { data, .. }) if data.get("n").map(String::as_str) == Some("1"))
        );
        assert!(
            matches!(&calls[3].request, Ok(Request::AppDataGet { keys: Some(k), group: GroupId::Friends, .. }) if k == &["k"])
        );
        assert!(
            matches!(&calls[4].request, Ok(Request::AppDataDelete { keys: Some(k), .. }) if k.len() == 2)
        );
        assert!(matches!(&calls[5].request, Ok(Request::MessagesSend { .. })));
        assert_eq!(calls[6].request, Ok(Request::SystemListMethods));
        let code = |i: usize| calls[i].request.as_ref().expect_err("error").code.rpc_code();
        assert_eq!(code(7), -32601);
        assert_eq!(code(8), -32601);
        assert_eq!(code(9), -32600);
        assert_eq!(code(10), -32602);
        assert_eq!(code(11), -32602);
        assert_eq!(code(12), -32600);
    }

    #[test]
    fn whole_batch_failures() {
        assert_eq!(parse_body(b"{not json").expect_err("parse").code.rpc_code(), -32700);
        assert_eq!(parse_body(b"42").expect_err("type").code.rpc_code(), -32600);
        assert_eq!(parse_body(b"[]").expect_err("empty").code.rpc_code(), -32600);
        let big =
            format!("[{}]", vec![r#"{"method":"system.listMethods"}"#; MAX_BATCH + 1].join(","));
        assert_eq!(parse_body(big.as_bytes()).expect_err("big").code.rpc_code(), -32600);
        assert_eq!(
            whole_error(&ApiError::new(ErrorCode::ParseError, "x")),
            json!({"error": {"code": -32700, "message": "parseError: x"}})
        );
    }

    #[test]
    fn get_form() {
        let b = parse_get(
            "method=people.get&id=x&userId=@me&groupId=@friends&count=5&fields=id,displayName",
        )
        .expect("ok");
        let RpcBody::Single(c) = b else { panic!() };
        assert_eq!(c.id, Some(json!("x")));
        let Ok(Request::PeopleGet { group, options, .. }) = c.request else {
            panic!("{:?}", c.request)
        };
        assert_eq!(group, GroupId::Friends);
        assert_eq!(options.count, Some(5));
        assert_eq!(options.fields, Fields::List(vec!["id".into(), "displayName".into()]));
        let b = parse_get("method=appdata.update&params.userId=@me&params.data.score='123'&params.data.name=taro&oauth_nonce=1").expect("ok");
        let RpcBody::Single(c) = b else { panic!() };
        let Ok(Request::AppDataUpdate { data, .. }) = c.request else { panic!("{:?}", c.request) };
        assert_eq!(data.get("score").map(String::as_str), Some("123"));
        assert_eq!(data.get("name").map(String::as_str), Some("taro"));
        assert_eq!(parse_get("id=x").expect_err("no method").code.rpc_code(), -32600);
    }

    #[test]
    fn responses_carry_data_and_result() {
        let body = parse_body(br#"[{"method":"people.get","id":"a"},{"method":"x.y","id":"b"},{"method":"appdata.update","id":"c","params":{"data":{}}}]"#).expect("ok");
        let people = Collection {
            items: vec![Person::new("john.doe", "Johnny")],
            total_results: 1,
            start_index: 0,
            items_per_page: None,
            filtered: None,
            sorted: None,
            updated_since: None,
        };
        let outcomes = vec![
            Ok(ResponseData::people(&people, &Fields::Default)),
            Err(ApiError::new(ErrorCode::MethodNotFound, "no method \"x.y\"")),
            Ok(ResponseData::Empty),
        ];
        let v = response(&body, &outcomes);
        assert_eq!(v[0]["id"], "a");
        assert_eq!(v[0]["data"], v[0]["result"]);
        assert_eq!(v[0]["result"]["list"][0]["id"], "john.doe");
        assert_eq!(v[0]["result"]["totalResults"], 1);
        assert_eq!(
            v[1],
            json!({"id": "b", "error": {"code": -32601, "message": "notFound: no method \"x.y\""}})
        );
        assert_eq!(v[2], json!({"id": "c", "data": {}, "result": {}}));
        let single = parse_body(br#"{"method":"system.listMethods","id":1}"#).expect("ok");
        let v = response(
            &single,
            &[Ok(ResponseData::Strings(
                SUPPORTED_METHODS.iter().map(|s| (*s).to_owned()).collect(),
            ))],
        );
        assert_eq!(v["id"], 1);
        assert_eq!(v["result"][0], "people.get");
        let e = response(&single, &[Err(ApiError::unauthorized("bad signature"))]);
        assert_eq!(e["error"]["code"], 401);
        assert_eq!(e["error"]["message"], "unauthorized: bad signature");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn random_bodies_never_panic(s in "\\PC{0,200}") {
            let _ = parse_body(s.as_bytes());
            let _ = parse_get(&s);
        }

        #[test]
        fn random_params_never_panic(method in prop::sample::select(SUPPORTED_METHODS.to_vec()), v in prop_oneof![
            Just(json!(null)), Just(json!(1)), Just(json!("@me")), Just(json!(["a", 1, null])), Just(json!({"type": "friends"})), Just(json!({}))
        ], key in prop::sample::select(vec!["userId", "groupId", "appId", "count", "startIndex", "fields", "keys", "data", "activity", "message", "activityIds"])) {
            let call = json!({"method": method, "id": 1, "params": {key: v}});
            let _ = parse_body(call.to_string().as_bytes());
        }
    }
}

//! Drafts that survive the session, at the HTTP edge (docs/accounts.md).
//!
//! The diary, comment and message forms carry a draft key in their action URL (`?draft=…`,
//! made by [`action`]). When such a form arrives after the member's session expired,
//! [`rescue`] keeps its text and sends the handset to the login page with the key; after the
//! login the member lands on the form again, which [`restore`] fills in. A stale form token
//! with a live session goes straight back to the form. docomo handsets without cookies work
//! the same way: the key travels in URLs, never in a cookie.

use actix_web::HttpRequest;
use ashiato_core::MemberId;

use crate::error::WebError;
use crate::visitor::Visitor;

/// The query parameter that carries a draft key.
pub const PARAM: &str = "draft";

/// `path` with `draft=key` added to its query.
pub fn with_key(path: &str, key: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{PARAM}={key}")
}

/// A form action for `me` with a fresh draft key. Without the OS's randomness the form still
/// works, only without a draft.
pub fn action(visitor: &Visitor, me: MemberId, path: &str) -> String {
    match ashiato_app::drafts::new_key(&visitor.state().secret, me) {
        Ok(key) => with_key(path, &key),
        Err(_) => path.to_owned(),
    }
}

/// The draft key in a request's query string, if it has the shape of one (ASCII only: keys
/// are never in the handset's charset).
pub fn key_in(req: &HttpRequest) -> Option<String> {
    let query = req.uri().query()?;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("draft="))
        .filter(|k| {
            !k.is_empty()
                && k.len() <= 64
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_owned)
}

/// The form page a late form returns to, from the path it was sent to; `None` for forms
/// that keep no drafts.
fn return_to(path: &str, fields: &[(String, String)]) -> Option<String> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let id = |s: &str| s.parse::<i64>().ok();
    match parts.as_slice() {
        ["diary", "new"] => Some("/diary/new".into()),
        ["diary", e, "edit"] => id(e).map(|e| format!("/diary/{e}/edit")),
        ["diary", e, "comments"] => id(e).map(|e| format!("/diary/{e}")),
        ["messages", "new"] => {
            let to = fields.iter().find(|(k, _)| k == "to").and_then(|(_, v)| id(v.trim()));
            Some(to.map_or_else(|| "/messages/new".into(), |t| format!("/messages/new?to={t}")))
        }
        _ => None,
    }
}

/// Keeps the text of a form that arrived without a live session or with a stale token, when
/// its draft key is valid (and, with a session, the member's own). Returns the redirect that
/// answers it (to the login page, or straight back to the form), or `None` when nothing was
/// kept and the usual refusal applies.
pub async fn rescue(
    req: &HttpRequest,
    visitor: &Visitor,
    key: &str,
    fields: &[(String, String)],
) -> Result<Option<WebError>, WebError> {
    let Some(target) = return_to(req.path(), fields) else { return Ok(None) };
    let typed: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf" | "ksid" | "guid" | PARAM))
        .cloned()
        .collect();
    let signed_in = visitor.member_id();
    let kept =
        ashiato_app::drafts::keep(visitor.state(), key, signed_in, target.clone(), typed).await?;
    Ok(match (kept, signed_in) {
        (None, _) => None,
        // Still logged in, only the form's token was stale: straight back to the form.
        (Some(_), Some(_)) => {
            visitor.flash(visitor.cat().t("draft.restored").into()).await?;
            Some(WebError::Redirect(visitor.location(&with_key(&target, key))))
        }
        (Some(_), None) => {
            Some(WebError::LoginRequired(visitor.location(&with_key("/login", key))))
        }
    })
}

/// The fields of the member's draft named in this request's query, handed back once;
/// `None` without a key, or for a draft that is not the member's.
pub async fn restore(
    req: &HttpRequest,
    visitor: &Visitor,
    me: MemberId,
) -> Result<Option<Vec<(String, String)>>, WebError> {
    match key_in(req) {
        Some(key) => Ok(ashiato_app::drafts::take(visitor.state(), me, key).await?),
        None => Ok(None),
    }
}

/// One field of a restored draft.
pub fn field(fields: &[(String, String)], name: &str) -> String {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

//! Form and query extractors that decode what handsets send (issue 4).
//!
//! actix's `web::Form` assumes UTF-8. Keitai post Shift_JIS (with carrier emoji in the
//! user-defined area) from Shift_JIS pages and UTF-8 with carrier private-use emoji from UTF-8
//! pages. The charset of a form is the charset of the page it was served on, which is the
//! handset profile's charset: known, never guessed per request. `ashiato_charset` turns the
//! bytes into Unicode with standard emoji before serde sees them.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};
use ashiato_charset::{Carrier, InputCharset};
use ashiato_handset::Handset;
use serde::de::DeserializeOwned;

use crate::error::WebError;
use crate::handset;
use crate::visitor::{Member, Visitor};

/// Largest form body accepted (a long diary in Shift_JIS percent-encoding is ~3× its text).
pub const FORM_LIMIT: usize = 256 * 1024;

/// How this handset's forms are encoded and whose emoji they carry.
pub fn input_of(h: &Handset) -> (InputCharset, Carrier) {
    // The form comes back in the charset its page was written in: ask the renderer's target,
    // the one place that decides it.
    let charset = match ashiato_render::Target::for_handset(h).output.charset {
        ashiato_charset::Charset::ShiftJis => InputCharset::ShiftJis,
        ashiato_charset::Charset::Utf8 => InputCharset::Utf8,
    };
    let carrier = match h.imitates.unwrap_or(h.carrier) {
        ashiato_handset::Carrier::Docomo | ashiato_handset::Carrier::Willcom => Carrier::Docomo,
        ashiato_handset::Carrier::Au => Carrier::Au,
        ashiato_handset::Carrier::Softbank => Carrier::Softbank,
        _ => Carrier::Other,
    };
    (charset, carrier)
}

/// An `application/x-www-form-urlencoded` body decoded for the requesting handset. The
/// per-form token (`csrf`) is kept aside for [`Posted`] and [`MemberPosted`] to check.
#[derive(Debug)]
pub struct SjisForm<T>(pub T, Option<String>, Vec<(String, String)>);

impl<T> SjisForm<T> {
    /// The decoded form.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for SjisForm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for SjisForm<T> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let content_type = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let bytes = body.await.map_err(|e| WebError::BadRequest(format!("form body: {e}")))?;
            // A POST with no body at all (a bare delete without its form) is an empty form: it
            // then fails the token check with 403 like any forged form, not a 400.
            let bare = content_type.is_empty() && bytes.is_empty();
            if !bare
                && !content_type
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            {
                return Err(WebError::BadRequest(format!("expected a form, got {content_type:?}")));
            }
            if bytes.len() > FORM_LIMIT {
                return Err(WebError::BadRequest("form too large".into()));
            }
            let (charset, carrier) = input_of(&handset::of(&req));
            let pairs = ashiato_charset::parse_pairs(&bytes, charset, carrier);
            let value = ashiato_charset::form_from_pairs(&pairs)
                .map_err(|e| WebError::BadRequest(e.to_string()))?;
            let token = pairs.iter().find_map(|(k, v)| (k == TOKEN_FIELD).then(|| v.clone()));
            Ok(SjisForm(value, token, pairs))
        })
    }
}

/// The query string decoded for the requesting handset.
#[derive(Debug)]
pub struct SjisQuery<T>(pub T);

impl<T> SjisQuery<T> {
    /// The decoded query.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for SjisQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for SjisQuery<T> {
    type Error = WebError;
    type Future = std::future::Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        let (charset, carrier) = input_of(&handset::of(req));
        let raw = req.uri().query().unwrap_or("").as_bytes();
        std::future::ready(
            ashiato_charset::parse_form(raw, charset, carrier)
                .map(SjisQuery)
                .map_err(|e| WebError::BadRequest(e.to_string())),
        )
    }
}

/// The field every POST form carries its per-form (CSRF) token in.
pub const TOKEN_FIELD: &str = "csrf";

/// A form body that carries a per-form token.
pub trait TokenBearing: FromRequest<Error = WebError> + 'static {
    /// The token as submitted, if any.
    fn token(&self) -> Option<&str>;

    /// Every text field as submitted (decoded), for keeping a draft of a form sent too late.
    fn text_fields(&self) -> &[(String, String)];
}

impl<T: DeserializeOwned + 'static> TokenBearing for SjisForm<T> {
    fn token(&self) -> Option<&str> {
        self.1.as_deref()
    }

    fn text_fields(&self) -> &[(String, String)] {
        &self.2
    }
}

impl TokenBearing for FormData {
    fn token(&self) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == TOKEN_FIELD).map(|(_, v)| v.as_str())
    }

    fn text_fields(&self) -> &[(String, String)] {
        &self.fields
    }
}

/// Loads the visitor (turning anyone but a member away first when `members_only`, before the
/// body is read), decodes the body and compares its per-form token with the session's.
async fn read_post<B: TokenBearing>(
    req: HttpRequest,
    mut payload: actix_web::dev::Payload,
    members_only: bool,
) -> Result<Submitted<B>, WebError> {
    let visitor = Visitor::from_request(&req, &mut payload).await?;
    let visitor = if members_only { Member::require(visitor)?.visitor } else { visitor };
    let form = B::from_request(&req, &mut payload).await?;
    let fresh = visitor.check_csrf(form.token()).is_ok();
    Ok(Submitted { visitor, form, fresh })
}

/// A POST from anyone whose form must come back with what was typed when its token is stale
/// (login and sign-up pages, reached after a long pause on a keitai): the handler gets the
/// visitor and the decoded body either way and decides, with [`Submitted::fresh`], whether
/// to act or to show the form again.
pub struct Submitted<B> {
    /// The requester.
    pub visitor: Visitor,
    /// The decoded body.
    pub form: B,
    /// Whether the per-form token matched the session's.
    pub fresh: bool,
}

impl<B: TokenBearing> FromRequest for Submitted<B> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(read_post(req.clone(), payload.take(), false))
    }
}

/// A POST from anyone (easy login, logout) whose per-form token matched their session:
/// extracting it refuses a missing or wrong token with 403 before the handler runs.
pub struct Posted<B> {
    /// The requester.
    pub visitor: Visitor,
    /// The decoded body.
    pub form: B,
}

impl<B: TokenBearing> FromRequest for Posted<B> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let post = read_post::<B>(req.clone(), payload.take(), false);
        Box::pin(async move {
            let Submitted { visitor, form, .. } = post.await?;
            visitor.check_csrf(form.token())?;
            Ok(Posted { visitor, form })
        })
    }
}

/// A POST from a logged-in member whose per-form token matched: anyone else is sent to the
/// login page before the body is read, a wrong token is a 403.
pub struct MemberPosted<B> {
    /// The member.
    pub member: Member,
    /// The decoded body.
    pub form: B,
}

impl<B: TokenBearing> FromRequest for MemberPosted<B> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        // A form whose action carries a draft key is read even when its session has expired
        // or its token is stale, so that what the member typed can be kept (crate::drafts);
        // any other form from someone not logged in goes to the login page unread.
        let key = crate::drafts::key_in(req);
        let post = read_post::<B>(req.clone(), payload.take(), key.is_none());
        let req = req.clone();
        Box::pin(async move {
            let Submitted { visitor, form, fresh } = post.await?;
            if let Some(key) = key
                && (visitor.member.is_none() || !fresh)
                && let Some(answer) =
                    crate::drafts::rescue(&req, &visitor, &key, form.text_fields()).await?
            {
                return Err(answer);
            }
            visitor.check_csrf(form.token())?;
            Ok(MemberPosted { member: Member::require(visitor)?, form })
        })
    }
}

/// Largest multipart body: three photos at the upload limit and the text around them.
pub const MULTIPART_LIMIT: usize = 3 * 10 * 1024 * 1024 + FORM_LIMIT;

/// A form posted either URL-encoded or as `multipart/form-data` (with photos), decoded for
/// the requesting handset: text fields in the page's charset with carrier emoji made Unicode,
/// files as raw bytes.
#[derive(Debug, Default)]
pub struct FormData {
    fields: Vec<(String, String)>,
    /// Uploaded files: (field name, bytes); empty file inputs are left out.
    pub files: Vec<(String, Vec<u8>)>,
}

impl FormData {
    /// The first value of a text field ("" when absent).
    pub fn text(&self, name: &str) -> String {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// Whether a text field was sent.
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == name)
    }

    /// The bytes of a file field, if one was uploaded.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_slice())
    }
}

impl FromRequest for FormData {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        let content_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let (charset, carrier) = input_of(&handset::of(&req));
        if content_type.starts_with("multipart/form-data") {
            let multipart = actix_multipart::Multipart::new(req.headers(), payload.take());
            Box::pin(read_multipart(multipart, charset, carrier))
        } else {
            let body = web::Bytes::from_request(&req, payload);
            Box::pin(async move {
                if !content_type.starts_with("application/x-www-form-urlencoded") {
                    return Err(WebError::BadRequest(format!(
                        "expected a form, got {content_type:?}"
                    )));
                }
                let bytes =
                    body.await.map_err(|e| WebError::BadRequest(format!("form body: {e}")))?;
                if bytes.len() > FORM_LIMIT {
                    return Err(WebError::BadRequest("form too large".into()));
                }
                Ok(FormData {
                    fields: ashiato_charset::parse_pairs(&bytes, charset, carrier),
                    files: Vec::new(),
                })
            })
        }
    }
}

async fn read_multipart(
    mut multipart: actix_multipart::Multipart,
    charset: InputCharset,
    carrier: Carrier,
) -> Result<FormData, WebError> {
    use futures_util::StreamExt as _;
    let mut data = FormData::default();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| WebError::BadRequest(format!("multipart: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.content_disposition().and_then(|cd| cd.get_filename()).is_some();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| WebError::BadRequest(format!("multipart: {e}")))?;
            total += chunk.len();
            // Stop reading at the limit: a hostile body never fills memory.
            if total > MULTIPART_LIMIT || (!is_file && bytes.len() + chunk.len() > FORM_LIMIT) {
                return Err(WebError::BadRequest("upload too large".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            if !bytes.is_empty() {
                data.files.push((name, bytes));
            }
        } else {
            data.fields.push((name, ashiato_charset::decode_form_bytes(&bytes, charset, carrier)));
        }
    }
    Ok(data)
}

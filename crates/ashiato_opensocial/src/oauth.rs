//! OAuth 1.0a (RFC 5849) as an OpenSocial container needs it (`opensocial.md` §6).
//!
//! - **Parameters** come from the `Authorization: OAuth …` header (without `realm`), the query
//!   string, and the body only when it is `application/x-www-form-urlencoded`. Everything is
//!   handled as **raw octets**: a Shift_JIS form value `%83%5C` stays the two bytes `83 5C` and
//!   is re-encoded as `%83%5C` in the base string, never decoded and re-encoded as UTF-8.
//! - **Base string** (§3.4.1): `METHOD&enc(base URI)&enc(normalised parameters)`; the base URI
//!   has a lower-case scheme and host, no default port, the path as sent, no query.
//! - **HMAC-SHA1** with key `enc(consumer_secret)&enc(token_secret)` (2-legged: the key ends in
//!   `&`); verification compares in constant time. **RSA-SHA1** verification with the app's
//!   public key or certificate (feature `rsa-sha1`).
//! - **`oauth_body_hash`**: base64(SHA-1(raw body)) for non-form bodies (JSON REST and RPC);
//!   refused on form bodies, as Shindig does.
//! - **Replay**: timestamp within ±[`VerifyPolicy::window_secs`] of the caller's "now", then a
//!   [`NonceStore`] (the database implements it; [`MemoryNonceStore`] is for tests and single
//!   processes). Nonces are recorded only after the signature checks out, so unsigned junk
//!   cannot fill the store.
//! - **Signing** ([`sign`]) for the container's own requests: proxied pages, lifecycle events.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{KeyInit, Mac};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

type HmacSha1 = hmac::Hmac<Sha1>;

/// One request parameter as raw octets (after percent-decoding).
pub type Param = (Vec<u8>, Vec<u8>);

/// Default timestamp window: ±5 minutes (`opensocial.md` §6, `security.md` §8).
pub const DEFAULT_WINDOW_SECS: i64 = 300;

/// Why a request was refused. [`OAuthError::problem`] gives the OAuth Problem Reporting name
/// for the `WWW-Authenticate` header; every variant means HTTP 401 except
/// [`OAuthError::NonceStore`] (500: the store failed, the client did nothing wrong).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The request carries no OAuth parameters at all.
    #[error("no OAuth parameters")]
    Missing,
    /// The `Authorization` header is not a well-formed `OAuth` header.
    #[error("malformed Authorization header: {0}")]
    MalformedHeader(String),
    /// A required `oauth_*` parameter is absent.
    #[error("parameter {0} absent")]
    ParameterAbsent(&'static str),
    /// An `oauth_*` parameter appears more than once (across header, query and body).
    #[error("parameter {0} repeated")]
    ParameterRepeated(String),
    /// An `oauth_*` parameter has an unusable value.
    #[error("parameter {0} rejected")]
    ParameterRejected(&'static str),
    /// `oauth_version` is present and not `1.0`.
    #[error("oauth_version must be 1.0")]
    VersionRejected,
    /// The signature method is not supported for this consumer.
    #[error("signature method {0} not supported")]
    SignatureMethodRejected(String),
    /// The URL is not an absolute http(s) URL.
    #[error("bad request URL: {0}")]
    BadUrl(String),
    /// Timestamp outside the window.
    #[error("timestamp outside the accepted window")]
    TimestampRefused,
    /// Nonce already used with this consumer and timestamp.
    #[error("nonce already used")]
    NonceUsed,
    /// The nonce store failed.
    #[error("nonce store failed: {0}")]
    NonceStore(String),
    /// Unknown consumer key.
    #[error("unknown consumer key")]
    ConsumerKeyUnknown,
    /// The signature does not match.
    #[error("signature invalid")]
    SignatureInvalid,
    /// `oauth_body_hash` does not match the body, or is present on a form body.
    #[error("body hash invalid")]
    BodyHashInvalid,
    /// The policy requires `oauth_body_hash` for this body and it is absent.
    #[error("body hash required")]
    BodyHashRequired,
    /// The RSA public key or certificate could not be read.
    #[error("bad public key: {0}")]
    BadPublicKey(String),
}

impl OAuthError {
    /// The `oauth_problem` value (OAuth Problem Reporting extension).
    pub fn problem(&self) -> &'static str {
        match self {
            OAuthError::Missing | OAuthError::ParameterAbsent(_) => "parameter_absent",
            OAuthError::MalformedHeader(_)
            | OAuthError::ParameterRepeated(_)
            | OAuthError::ParameterRejected(_)
            | OAuthError::BadUrl(_)
            | OAuthError::BodyHashRequired => "parameter_rejected",
            OAuthError::VersionRejected => "version_rejected",
            OAuthError::SignatureMethodRejected(_) => "signature_method_rejected",
            OAuthError::TimestampRefused => "timestamp_refused",
            OAuthError::NonceUsed => "nonce_used",
            OAuthError::NonceStore(_) => "temporarily_unavailable",
            OAuthError::ConsumerKeyUnknown => "consumer_key_unknown",
            OAuthError::SignatureInvalid | OAuthError::BodyHashInvalid => "signature_invalid",
            OAuthError::BadPublicKey(_) => "consumer_key_refused",
        }
    }

    /// The HTTP status to answer with: 500 for a failed nonce store, 401 otherwise.
    pub fn http_status(&self) -> u16 {
        if matches!(self, OAuthError::NonceStore(_)) { 500 } else { 401 }
    }

    /// The `WWW-Authenticate` header value for a 401 (`OAuth realm="…", oauth_problem="…"`).
    pub fn www_authenticate(&self, realm: &str) -> String {
        format!("OAuth realm=\"{}\", oauth_problem=\"{}\"", header_quote(realm), self.problem())
    }
}

fn header_quote(s: &str) -> String {
    s.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect()
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// RFC 3986 percent-encoding as RFC 5849 §3.6 wants it: everything but unreserved
/// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` with upper-case hex. Works on octets.
pub fn percent_encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes to octets. `plus_is_space` for form encoding (query strings and form
/// bodies); header values use plain percent-encoding. A `%` not followed by two hex digits is
/// kept literally.
pub fn percent_decode(s: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let hi = s.get(i + 1).copied().and_then(hex_val);
                let lo = s.get(i + 2).copied().and_then(hex_val);
                if let (Some(h), Some(l)) = (hi, lo) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Splits `application/x-www-form-urlencoded` data (a query string or a form body) into raw
/// octet pairs: `&`-separated, the first `=` splits name and value, `+` is a space. Empty
/// segments are skipped; a segment without `=` is a name with an empty value.
pub fn parse_form(raw: &[u8]) -> Vec<Param> {
    raw.split(|&b| b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| match seg.iter().position(|&b| b == b'=') {
            Some(eq) => (percent_decode(&seg[..eq], true), percent_decode(&seg[eq + 1..], true)),
            None => (percent_decode(seg, true), Vec::new()),
        })
        .collect()
}

/// Serialises raw pairs as form data with RFC 3986 encoding (octets kept: Shift_JIS stays
/// Shift_JIS).
pub fn encode_form(params: &[Param]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Authorization header

/// The parameters of an `Authorization: OAuth …` header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationHeader {
    /// `realm`, if present (never signed).
    pub realm: Option<String>,
    /// Every other parameter, percent-decoded, in header order.
    pub params: Vec<Param>,
}

/// Parses an `Authorization` header value. Returns `Ok(None)` when the scheme is not `OAuth`
/// (e.g. `Basic`), so other schemes can be handled elsewhere.
///
/// Tolerant of what real clients send: scheme in any case, commas and/or whitespace between
/// parameters, unquoted values, empty values. Values are percent-decoded (no `+` rule).
///
/// # Errors
/// [`OAuthError::MalformedHeader`] for an unterminated quote, a parameter without `=`, or a
/// header longer than 8 KiB.
pub fn parse_authorization(header: &[u8]) -> Result<Option<AuthorizationHeader>, OAuthError> {
    if header.len() > 8 * 1024 {
        return Err(OAuthError::MalformedHeader("longer than 8 KiB".into()));
    }
    let s = trim_ascii(header);
    let scheme_len = s.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(s.len());
    if !s[..scheme_len].eq_ignore_ascii_case(b"OAuth") {
        return Ok(None);
    }
    let mut rest = &s[scheme_len..];
    let mut out = AuthorizationHeader::default();
    loop {
        rest = skip_separators(rest);
        if rest.is_empty() {
            break;
        }
        let name_end = rest
            .iter()
            .position(|&b| b == b'=' || b == b',' || b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = trim_start(&rest[name_end..]);
        let Some(after_eq) = rest.strip_prefix(b"=") else {
            return Err(OAuthError::MalformedHeader(format!(
                "parameter {:?} has no value",
                String::from_utf8_lossy(name)
            )));
        };
        rest = trim_start(after_eq);
        let value: &[u8];
        if let Some(quoted) = rest.strip_prefix(b"\"") {
            let Some(close) = quoted.iter().position(|&b| b == b'"') else {
                return Err(OAuthError::MalformedHeader("unterminated quoted value".into()));
            };
            value = &quoted[..close];
            rest = &quoted[close + 1..];
        } else {
            let end = rest
                .iter()
                .position(|&b| b == b',' || b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            value = &rest[..end];
            rest = &rest[end..];
        }
        let name = percent_decode(name, false);
        let value = percent_decode(value, false);
        if name == b"realm" {
            out.realm = Some(String::from_utf8_lossy(&value).into_owned());
        } else {
            out.params.push((name, value));
        }
    }
    Ok(Some(out))
}

fn trim_ascii(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

fn trim_start(s: &[u8]) -> &[u8] {
    s.trim_ascii_start()
}

fn skip_separators(s: &[u8]) -> &[u8] {
    let n = s.iter().position(|&b| !(b == b',' || b.is_ascii_whitespace())).unwrap_or(s.len());
    &s[n..]
}

/// Builds an `Authorization` header value from `oauth_*` parameters.
pub fn authorization_header(realm: Option<&str>, oauth_params: &[(String, String)]) -> String {
    let mut out = String::from("OAuth ");
    let mut first = true;
    if let Some(r) = realm {
        out.push_str("realm=\"");
        out.push_str(&header_quote(r));
        out.push('"');
        first = false;
    }
    for (k, v) in oauth_params {
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push_str(&percent_encode(k.as_bytes()));
        out.push_str("=\"");
        out.push_str(&percent_encode(v.as_bytes()));
        out.push('"');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Base string

/// A request URL split for signing: the RFC 5849 base string URI and the raw query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitUrl {
    /// `scheme://host[:port]/path`, scheme and host lower-case, default port dropped.
    pub base_uri: String,
    /// The raw query (without `?`), as sent.
    pub query: String,
}

/// Splits an absolute `http`/`https` URL for signing (RFC 5849 §3.4.1.2): lower-cases scheme
/// and host, drops user info, the fragment and the default port (80 for http, 443 for https),
/// keeps the path exactly as sent (an empty path becomes `/`).
///
/// # Errors
/// [`OAuthError::BadUrl`] if the URL is not absolute http(s) or its port is not a number.
pub fn split_url(url: &str) -> Result<SplitUrl, OAuthError> {
    let bad = || OAuthError::BadUrl(url.chars().take(200).collect());
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return Err(bad()),
    };
    let rest = rest.split('#').next().unwrap_or("");
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(bad)?;
        (format!("[{}]", h.to_ascii_lowercase()), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(bad());
    }
    let port = match port {
        Some(p) if !p.is_empty() => {
            let n: u16 = p.parse().map_err(|_| bad())?;
            let n = n.to_string();
            if n == default_port { None } else { Some(n) }
        }
        _ => None,
    };
    let after_auth = &rest[auth_end..];
    let (path, query) = match after_auth.split_once('?') {
        Some((p, q)) => (p, q),
        None => (after_auth, ""),
    };
    let path = if path.is_empty() { "/" } else { path };
    let mut base_uri = format!("{scheme}://{host}");
    if let Some(p) = port {
        base_uri.push(':');
        base_uri.push_str(&p);
    }
    base_uri.push_str(path);
    Ok(SplitUrl { base_uri, query: query.to_owned() })
}

/// Normalised parameters (RFC 5849 §3.4.1.3.2): each name and value encoded, sorted by name
/// then value (byte order of the encoded forms), duplicates kept, joined with `&`. The caller
/// excludes `oauth_signature` and `realm`.
pub fn normalize_parameters(params: &[Param]) -> String {
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(k, v)| (percent_encode(k), percent_encode(v))).collect();
    encoded.sort();
    let mut out = String::new();
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The signature base string: `METHOD&enc(base_uri)&enc(normalized params)`.
pub fn signature_base_string(method: &str, base_uri: &str, params: &[Param]) -> String {
    format!(
        "{}&{}&{}",
        percent_encode(method.trim().to_ascii_uppercase().as_bytes()),
        percent_encode(base_uri.as_bytes()),
        percent_encode(normalize_parameters(params).as_bytes())
    )
}

/// HMAC-SHA1 signature (base64) of a base string.
pub fn hmac_sha1_sign(base_string: &str, consumer_secret: &str, token_secret: &str) -> String {
    B64.encode(hmac_sha1_raw(base_string, consumer_secret, token_secret))
}

fn hmac_key(consumer_secret: &str, token_secret: &str) -> String {
    format!(
        "{}&{}",
        percent_encode(consumer_secret.as_bytes()),
        percent_encode(token_secret.as_bytes())
    )
}

fn hmac_sha1_raw(base_string: &str, consumer_secret: &str, token_secret: &str) -> Vec<u8> {
    let key = hmac_key(consumer_secret, token_secret);
    // HMAC takes keys of any length; an empty result would simply never verify.
    let Ok(mut mac) = HmacSha1::new_from_slice(key.as_bytes()) else {
        return Vec::new();
    };
    mac.update(base_string.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Verifies an HMAC-SHA1 signature in constant time (the comparison of the MAC bytes does not
/// depend on where they first differ). A signature that is not valid base64 fails.
pub fn verify_hmac_sha1(
    base_string: &str,
    consumer_secret: &str,
    token_secret: &str,
    signature_b64: &str,
) -> bool {
    let Ok(given) = B64.decode(signature_b64.trim()) else {
        return false;
    };
    let expected = hmac_sha1_raw(base_string, consumer_secret, token_secret);
    expected.ct_eq(&given).into()
}

/// `oauth_body_hash`: base64(SHA-1(raw body)).
pub fn body_hash(body: &[u8]) -> String {
    B64.encode(Sha1::digest(body))
}

/// Whether a `Content-Type` value is `application/x-www-form-urlencoded` (parameters ignored).
pub fn is_form_content_type(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    })
}

// ---------------------------------------------------------------------------------------------
// Collecting and verifying

/// An inbound request as the web layer sees it.
#[derive(Clone, Copy, Debug)]
pub struct IncomingRequest<'a> {
    /// HTTP method as received (`X-HTTP-Method-Override` does **not** apply: the client signed
    /// the real method).
    pub method: &'a str,
    /// The absolute URL the client addressed: `scheme://host[:port]/path[?query]`, built from
    /// the public origin (not the internal listener behind a reverse proxy) and the raw
    /// request target.
    pub url: &'a str,
    /// The raw `Authorization` header, if any.
    pub authorization: Option<&'a [u8]>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
}

/// The OAuth signature methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureMethod {
    /// HMAC-SHA1 with the consumer secret (and token secret).
    HmacSha1,
    /// RSA-SHA1 (PKCS#1 v1.5 over SHA-1) with the consumer's public key.
    RsaSha1,
}

impl SignatureMethod {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
            SignatureMethod::RsaSha1 => "RSA-SHA1",
        }
    }
}

/// The `oauth_*` protocol parameters of a request (UTF-8; they are ASCII in practice).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OAuthParams {
    /// `oauth_consumer_key`.
    pub consumer_key: Option<String>,
    /// `oauth_token` (absent or empty for 2-legged requests).
    pub token: Option<String>,
    /// `oauth_signature_method`.
    pub signature_method: Option<String>,
    /// `oauth_signature`.
    pub signature: Option<String>,
    /// `oauth_timestamp`.
    pub timestamp: Option<String>,
    /// `oauth_nonce`.
    pub nonce: Option<String>,
    /// `oauth_version`.
    pub version: Option<String>,
    /// `oauth_body_hash`.
    pub body_hash: Option<String>,
}

/// Everything signing-related gathered from a request, before any check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectedRequest {
    /// The protocol parameters.
    pub oauth: OAuthParams,
    /// All parameters that are signed (header without realm and signature, query, form body),
    /// as raw octets.
    pub signed_params: Vec<Param>,
    /// The base string URI.
    pub base_uri: String,
    /// The signature base string.
    pub base_string: String,
    /// Where the `oauth_*` parameters were found.
    pub source: ParamSource,
}

/// Where a request's OAuth parameters were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamSource {
    /// `Authorization` header (the default placement).
    Header,
    /// Query string (opensocial-python-client).
    Query,
    /// Form body.
    Body,
}

/// Gathers the signed parameters and the base string of a request.
///
/// `include_form_body`: false only for the mixi-compatible mode, where POST body parameters
/// are left out of the signature (`opensocial.md` §6).
///
/// # Errors
/// [`OAuthError::Missing`] when there is no `oauth_*` parameter anywhere, a malformed header,
/// a repeated `oauth_*` parameter, or a bad URL.
pub fn collect(
    req: &IncomingRequest<'_>,
    include_form_body: bool,
) -> Result<CollectedRequest, OAuthError> {
    let split = split_url(req.url)?;
    let mut all: Vec<(Param, ParamSource)> = Vec::new();
    if let Some(h) = req.authorization
        && let Some(parsed) = parse_authorization(h)?
    {
        all.extend(parsed.params.into_iter().map(|p| (p, ParamSource::Header)));
    }
    all.extend(parse_form(split.query.as_bytes()).into_iter().map(|p| (p, ParamSource::Query)));
    if include_form_body && is_form_content_type(req.content_type) {
        all.extend(parse_form(req.body).into_iter().map(|p| (p, ParamSource::Body)));
    }
    let mut oauth = OAuthParams::default();
    let mut source = None;
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for ((name, value), src) in &all {
        if !name.starts_with(b"oauth_") {
            continue;
        }
        if seen.contains(name) {
            return Err(OAuthError::ParameterRepeated(String::from_utf8_lossy(name).into_owned()));
        }
        seen.push(name.clone());
        source.get_or_insert(*src);
        let v = Some(String::from_utf8_lossy(value).into_owned());
        match name.as_slice() {
            b"oauth_consumer_key" => oauth.consumer_key = v,
            b"oauth_token" => oauth.token = v,
            b"oauth_signature_method" => oauth.signature_method = v,
            b"oauth_signature" => oauth.signature = v,
            b"oauth_timestamp" => oauth.timestamp = v,
            b"oauth_nonce" => oauth.nonce = v,
            b"oauth_version" => oauth.version = v,
            b"oauth_body_hash" => oauth.body_hash = v,
            _ => {}
        }
    }
    let source = source.ok_or(OAuthError::Missing)?;
    let signed_params: Vec<Param> =
        all.into_iter().map(|(p, _)| p).filter(|(k, _)| k != b"oauth_signature").collect();
    let base_string = signature_base_string(req.method, &split.base_uri, &signed_params);
    Ok(CollectedRequest { oauth, signed_params, base_uri: split.base_uri, base_string, source })
}

/// What the container knows about a consumer (an app), looked up by consumer key.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// The consumer secret for HMAC-SHA1 (`None`: HMAC-SHA1 not allowed for this consumer).
    pub consumer_secret: Option<String>,
    /// The token secret (empty for 2-legged requests, which is what OpenSocial apps send).
    pub token_secret: String,
    /// The consumer's RSA public key for RSA-SHA1.
    #[cfg(feature = "rsa-sha1")]
    pub rsa_public_key: Option<rsa::PublicKey>,
}

/// Verification settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// Accepted clock skew either way, in seconds.
    pub window_secs: i64,
    /// Refuse non-empty, non-form bodies without `oauth_body_hash` (the JSON body would be
    /// unsigned). Off by default: 0.8-era clients do not send it; [`Verified::body_signed`]
    /// tells the caller.
    pub require_body_hash: bool,
    /// Also accept the early-container habit of signing the raw JSON body as a parameter
    /// *name* with an empty value (opensocial-python-client `sign_with_body=True`).
    pub accept_body_as_parameter: bool,
    /// mixi-compatible mode: form-body parameters are not part of the signature.
    pub exclude_form_body: bool,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        Self {
            window_secs: DEFAULT_WINDOW_SECS,
            require_body_hash: false,
            accept_body_as_parameter: true,
            exclude_form_body: false,
        }
    }
}

/// A verified request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The consumer (app) key.
    pub consumer_key: String,
    /// `oauth_token` when present and non-empty (3-legged); `None` for 2-legged.
    pub token: Option<String>,
    /// `xoauth_requestor_id` (the user a 2-legged request acts for), if signed in.
    pub requestor_id: Option<String>,
    /// The method used.
    pub method: SignatureMethod,
    /// Whether the body is covered by the signature: empty body, form body (signed as
    /// parameters), a matching `oauth_body_hash`, or the legacy body-as-parameter form.
    pub body_signed: bool,
    /// Where the OAuth parameters were.
    pub source: ParamSource,
    /// The non-OAuth signed parameters (query and form body), UTF-8 lossy, in order — with
    /// `opensocial_method` and the like still present; the caller ignores what it ignores.
    pub params: Vec<(String, String)>,
}

/// Remembers nonces to refuse replays (S-33). Implemented by the database for production.
pub trait NonceStore {
    /// Records `(consumer_key, timestamp, nonce)` and returns `Ok(true)` if it was new,
    /// `Ok(false)` if it was already recorded. Entries older than twice the timestamp window
    /// before `now` may be forgotten: the window check refuses them anyway.
    ///
    /// # Errors
    /// A message when the store is unavailable.
    fn check_and_record(
        &self,
        consumer_key: &str,
        timestamp: i64,
        nonce: &str,
        now: i64,
    ) -> Result<bool, String>;
}

/// An in-memory [`NonceStore`] (tests; a single process without a database).
#[derive(Debug, Default)]
pub struct MemoryNonceStore {
    seen: Mutex<HashMap<(String, i64, String), i64>>,
    window_secs: i64,
}

impl MemoryNonceStore {
    /// A store that forgets entries older than `2 × window_secs` before "now".
    pub fn new(window_secs: i64) -> Self {
        Self { seen: Mutex::new(HashMap::new()), window_secs }
    }

    /// Number of remembered nonces.
    pub fn len(&self) -> usize {
        self.seen.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl NonceStore for MemoryNonceStore {
    fn check_and_record(
        &self,
        consumer_key: &str,
        timestamp: i64,
        nonce: &str,
        now: i64,
    ) -> Result<bool, String> {
        let mut seen = self.seen.lock().map_err(|_| "nonce store poisoned".to_owned())?;
        let horizon =
            now.saturating_sub(self.window_secs.max(DEFAULT_WINDOW_SECS).saturating_mul(2));
        if seen.len() > 1024 {
            seen.retain(|_, ts| *ts >= horizon);
        }
        let key = (consumer_key.to_owned(), timestamp, nonce.to_owned());
        if seen.contains_key(&key) {
            return Ok(false);
        }
        seen.insert(key, timestamp);
        Ok(true)
    }
}

/// Verifies an inbound signed request: parameters, version, timestamp window, consumer,
/// body hash, signature, then the nonce.
///
/// `lookup` returns the consumer's credentials by consumer key. `now` is Unix seconds.
///
/// # Errors
/// [`OAuthError`]; answer with its [`OAuthError::http_status`] and, for 401,
/// `WWW-Authenticate: ` [`OAuthError::www_authenticate`].
pub fn verify(
    req: &IncomingRequest<'_>,
    policy: &VerifyPolicy,
    now: i64,
    lookup: impl Fn(&str) -> Option<Credentials>,
    nonces: &dyn NonceStore,
) -> Result<Verified, OAuthError> {
    let collected = collect(req, !policy.exclude_form_body)?;
    let o = &collected.oauth;
    let consumer_key =
        o.consumer_key.clone().ok_or(OAuthError::ParameterAbsent("oauth_consumer_key"))?;
    let method_name = o
        .signature_method
        .as_deref()
        .ok_or(OAuthError::ParameterAbsent("oauth_signature_method"))?;
    let signature = o.signature.as_deref().ok_or(OAuthError::ParameterAbsent("oauth_signature"))?;
    let timestamp = o.timestamp.as_deref().ok_or(OAuthError::ParameterAbsent("oauth_timestamp"))?;
    let nonce = o.nonce.as_deref().ok_or(OAuthError::ParameterAbsent("oauth_nonce"))?;
    if o.version.as_deref().is_some_and(|v| v != "1.0") {
        return Err(OAuthError::VersionRejected);
    }
    if nonce.is_empty() || nonce.len() > 255 {
        return Err(OAuthError::ParameterRejected("oauth_nonce"));
    }
    let ts: i64 = timestamp
        .parse()
        .ok()
        .filter(|t: &i64| *t >= 0 && timestamp.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(OAuthError::ParameterRejected("oauth_timestamp"))?;
    if ts.abs_diff(now) > policy.window_secs.unsigned_abs() {
        return Err(OAuthError::TimestampRefused);
    }
    let method = match method_name {
        "HMAC-SHA1" => SignatureMethod::HmacSha1,
        "RSA-SHA1" => SignatureMethod::RsaSha1,
        other => return Err(OAuthError::SignatureMethodRejected(other.to_owned())),
    };
    let creds = lookup(&consumer_key).ok_or(OAuthError::ConsumerKeyUnknown)?;

    let form = is_form_content_type(req.content_type);
    let mut body_signed = req.body.is_empty() || (form && !policy.exclude_form_body);
    if let Some(given) = o.body_hash.as_deref() {
        if form {
            return Err(OAuthError::BodyHashInvalid);
        }
        let expected = body_hash(req.body);
        if !bool::from(expected.as_bytes().ct_eq(given.trim().as_bytes())) {
            return Err(OAuthError::BodyHashInvalid);
        }
        body_signed = true;
    }

    let check =
        |base: &str| -> Result<bool, OAuthError> {
            match method {
                SignatureMethod::HmacSha1 => {
                    let secret = creds.consumer_secret.as_deref().ok_or_else(|| {
                        OAuthError::SignatureMethodRejected(method_name.to_owned())
                    })?;
                    Ok(verify_hmac_sha1(base, secret, &creds.token_secret, signature))
                }
                #[cfg(feature = "rsa-sha1")]
                SignatureMethod::RsaSha1 => {
                    let key = creds.rsa_public_key.as_ref().ok_or_else(|| {
                        OAuthError::SignatureMethodRejected(method_name.to_owned())
                    })?;
                    Ok(verify_rsa_sha1(base, key, signature))
                }
                #[cfg(not(feature = "rsa-sha1"))]
                SignatureMethod::RsaSha1 => {
                    Err(OAuthError::SignatureMethodRejected(method_name.to_owned()))
                }
            }
        };
    let mut ok = check(&collected.base_string)?;
    if !ok
        && policy.accept_body_as_parameter
        && !form
        && !req.body.is_empty()
        && o.body_hash.is_none()
    {
        let mut params = collected.signed_params.clone();
        params.push((req.body.to_vec(), Vec::new()));
        let base = signature_base_string(req.method, &collected.base_uri, &params);
        ok = check(&base)?;
        body_signed |= ok;
    }
    if !ok {
        return Err(OAuthError::SignatureInvalid);
    }
    if policy.require_body_hash && !body_signed {
        return Err(OAuthError::BodyHashRequired);
    }
    match nonces.check_and_record(&consumer_key, ts, nonce, now) {
        Ok(true) => {}
        Ok(false) => return Err(OAuthError::NonceUsed),
        Err(e) => return Err(OAuthError::NonceStore(e)),
    }
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let requestor_id = collected
        .signed_params
        .iter()
        .find(|(k, _)| k == b"xoauth_requestor_id")
        .map(|(_, v)| text(v));
    let params = collected
        .signed_params
        .iter()
        .filter(|(k, _)| !k.starts_with(b"oauth_"))
        .map(|(k, v)| (text(k), text(v)))
        .collect();
    Ok(Verified {
        consumer_key,
        token: o.token.clone().filter(|t| !t.is_empty()),
        requestor_id,
        method,
        body_signed,
        source: collected.source,
        params,
    })
}

// ---------------------------------------------------------------------------------------------
// RSA-SHA1

/// Reads an RSA public key from PEM: `PUBLIC KEY` (SPKI), `RSA PUBLIC KEY` (PKCS#1) or an
/// X.509 `CERTIFICATE` (what containers publish at `/opensocial/certificates/<name>`; its
/// validity dates are not checked).
///
/// # Errors
/// [`OAuthError::BadPublicKey`].
#[cfg(feature = "rsa-sha1")]
pub fn parse_rsa_public_key(pem: &str) -> Result<rsa::PublicKey, OAuthError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    let bad = |m: &str| OAuthError::BadPublicKey(m.to_owned());
    if pem.contains("-----BEGIN PUBLIC KEY-----") {
        return rsa::PublicKey::from_public_key_pem(pem.trim()).map_err(|e| bad(&e.to_string()));
    }
    if pem.contains("-----BEGIN RSA PUBLIC KEY-----") {
        return rsa::PublicKey::from_pkcs1_pem(pem.trim()).map_err(|e| bad(&e.to_string()));
    }
    let der = pem_block(pem, "CERTIFICATE").ok_or_else(|| bad("no PEM key or certificate"))?;
    let spki = certificate_spki(&der).ok_or_else(|| bad("certificate structure"))?;
    rsa::PublicKey::from_public_key_der(spki).map_err(|e| bad(&e.to_string()))
}

#[cfg(feature = "rsa-sha1")]
fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let b64: String = pem[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
    B64.decode(b64).ok()
}

/// One DER TLV: (tag, header + content, content).
#[cfg(feature = "rsa-sha1")]
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*input.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let total = header.checked_add(len)?;
    let whole = input.get(..total)?;
    Some((tag, whole, &whole[header..]))
}

/// The SubjectPublicKeyInfo TLV of an X.509 certificate.
#[cfg(feature = "rsa-sha1")]
fn certificate_spki(der: &[u8]) -> Option<&[u8]> {
    let (0x30, _, cert) = der_tlv(der)? else { return None };
    let (0x30, _, mut tbs) = der_tlv(cert)? else { return None };
    // [0] version (optional), serial, signature algorithm, issuer, validity, subject, SPKI.
    let mut index = 0;
    loop {
        let (tag, whole, _) = der_tlv(tbs)?;
        tbs = &tbs[whole.len()..];
        if tag == 0xA0 {
            continue;
        }
        if index == 5 {
            return (tag == 0x30).then_some(whole);
        }
        index += 1;
    }
}

/// Verifies an RSA-SHA1 (PKCS#1 v1.5) signature over a base string.
#[cfg(feature = "rsa-sha1")]
pub fn verify_rsa_sha1(base_string: &str, key: &rsa::PublicKey, signature_b64: &str) -> bool {
    use rsa::signature::Verifier;
    let Ok(raw) = B64.decode(signature_b64.trim()) else {
        return false;
    };
    let Ok(sig) = rsa::pkcs1v15::Signature::try_from(raw.as_slice()) else {
        return false;
    };
    let verifier = rsa::pkcs1v15::VerifyingKey::<Sha1>::new(key.clone());
    verifier.verify(base_string.as_bytes(), &sig).is_ok()
}

// ---------------------------------------------------------------------------------------------
// Signing (outbound)

/// Makes RSA-SHA1 signatures (RSASSA-PKCS1-v1_5 over SHA-1) with the container's private key.
/// [`ContainerKey`] is the implementation; the trait keeps [`Consumer`] the same with or
/// without the `rsa-sha1` feature.
pub trait RsaSha1Signer: std::fmt::Debug + Send + Sync {
    /// The signature of `message`.
    fn sign_sha1(&self, message: &[u8]) -> Vec<u8>;
}

/// The container's credentials for one app.
#[derive(Clone, Copy, Debug)]
pub struct Consumer<'a> {
    /// `oauth_consumer_key` (the app's key, or the container's domain).
    pub key: &'a str,
    /// The shared secret (HMAC-SHA1).
    pub secret: &'a str,
    /// Sign with RSA-SHA1 and this key instead of HMAC-SHA1 (the app verifies with the
    /// container's published public key).
    pub rsa: Option<&'a dyn RsaSha1Signer>,
}

impl<'a> Consumer<'a> {
    /// HMAC-SHA1 credentials.
    pub fn hmac(key: &'a str, secret: &'a str) -> Consumer<'a> {
        Consumer { key, secret, rsa: None }
    }
}

/// The container's RSA key pair for RSA-SHA1 signing (2048 bits), kept as PKCS#8 PEM.
#[cfg(feature = "rsa-sha1")]
pub struct ContainerKey {
    signing: rsa::pkcs1v15::SigningKey<Sha1>,
    private_pem: String,
    public_pem: String,
}

#[cfg(feature = "rsa-sha1")]
impl std::fmt::Debug for ContainerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerKey").field("public_pem", &self.public_pem).finish_non_exhaustive()
    }
}

#[cfg(feature = "rsa-sha1")]
impl ContainerKey {
    /// Size of generated keys.
    pub const BITS: usize = 2048;

    fn from_private(key: rsa::PrivateKey) -> Result<ContainerKey, String> {
        use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
        let private_pem =
            key.to_pkcs8_pem(LineEnding::LF).map_err(|e| e.to_string())?.as_str().to_owned();
        let public_pem =
            key.to_public_key().to_public_key_pem(LineEnding::LF).map_err(|e| e.to_string())?;
        Ok(ContainerKey { signing: rsa::pkcs1v15::SigningKey::new(key), private_pem, public_pem })
    }

    /// A new key pair from the OS random source.
    ///
    /// # Errors
    /// When the random source or key generation fails.
    pub fn generate() -> Result<ContainerKey, String> {
        let key =
            rsa::PrivateKey::new(&mut getrandom::SysRng, Self::BITS).map_err(|e| e.to_string())?;
        Self::from_private(key)
    }

    /// A stored key (PKCS#8 `PRIVATE KEY` PEM).
    ///
    /// # Errors
    /// When the PEM is not an RSA private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<ContainerKey, String> {
        use rsa::pkcs8::DecodePrivateKey;
        let key = rsa::PrivateKey::from_pkcs8_pem(pem.trim()).map_err(|e| e.to_string())?;
        Self::from_private(key)
    }

    /// The private key to store (PKCS#8 PEM). Never log or show it.
    pub fn private_pem(&self) -> &str {
        &self.private_pem
    }

    /// The public key to publish (SubjectPublicKeyInfo `PUBLIC KEY` PEM).
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }
}

#[cfg(feature = "rsa-sha1")]
impl RsaSha1Signer for ContainerKey {
    fn sign_sha1(&self, message: &[u8]) -> Vec<u8> {
        use rsa::signature::{SignatureEncoding, Signer};
        self.signing.sign(message).to_vec()
    }
}

/// What is being signed.
#[derive(Clone, Copy, Debug)]
pub struct SignRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Absolute URL including the query (the query parameters are signed).
    pub url: &'a str,
    /// A form body (`application/x-www-form-urlencoded`, raw octets): its parameters are
    /// signed.
    pub form_body: Option<&'a [u8]>,
    /// Any other body (JSON, XML): its `oauth_body_hash` is added and signed.
    pub other_body: Option<&'a [u8]>,
}

/// A signed request's OAuth parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// `oauth_*` parameters including `oauth_signature`, in a stable order.
    pub oauth_params: Vec<(String, String)>,
    /// The base string that was signed (for logs in tests; never log it in production: it
    /// contains every parameter).
    pub base_string: String,
}

impl Signed {
    /// `Authorization` header value (no realm).
    pub fn authorization(&self) -> String {
        authorization_header(None, &self.oauth_params)
    }

    /// The parameters as a query-string fragment (for clients that put OAuth in the query).
    pub fn query_fragment(&self) -> String {
        let pairs: Vec<Param> = self
            .oauth_params
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        encode_form(&pairs)
    }
}

/// A random nonce: 16 bytes from the OS, hex-encoded.
///
/// # Errors
/// When the OS random source fails.
pub fn random_nonce() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Signs a request with HMAC-SHA1, or RSA-SHA1 when the consumer carries a key (2-legged when
/// `token` is `None`).
///
/// # Errors
/// [`OAuthError::BadUrl`] when the URL is not absolute http(s).
pub fn sign(
    req: &SignRequest<'_>,
    consumer: &Consumer<'_>,
    token: Option<(&str, &str)>,
    nonce: &str,
    timestamp: i64,
) -> Result<Signed, OAuthError> {
    let split = split_url(req.url)?;
    let method_name = if consumer.rsa.is_some() { "RSA-SHA1" } else { "HMAC-SHA1" };
    let mut oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), consumer.key.into()),
        ("oauth_nonce".into(), nonce.into()),
        ("oauth_signature_method".into(), method_name.into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
        ("oauth_version".into(), "1.0".into()),
    ];
    if let Some((t, _)) = token {
        oauth.push(("oauth_token".into(), t.into()));
    }
    if let Some(body) = req.other_body {
        oauth.push(("oauth_body_hash".into(), body_hash(body)));
    }
    let mut params: Vec<Param> =
        oauth.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
    params.extend(parse_form(split.query.as_bytes()));
    if let Some(form) = req.form_body {
        params.extend(parse_form(form));
    }
    let base_string = signature_base_string(req.method, &split.base_uri, &params);
    let signature = match consumer.rsa {
        Some(key) => B64.encode(key.sign_sha1(base_string.as_bytes())),
        None => hmac_sha1_sign(&base_string, consumer.secret, token.map_or("", |(_, s)| s)),
    };
    oauth.push(("oauth_signature".into(), signature));
    Ok(Signed { oauth_params: oauth, base_string })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The container's generated key signs outbound requests that `verify` accepts with the
    /// published public key, and a different key does not verify.
    #[cfg(feature = "rsa-sha1")]
    #[test]
    fn container_key_signs_rsa_sha1_that_the_public_key_verifies() {
        let key = ContainerKey::generate().expect("key pair");
        let reloaded = ContainerKey::from_pkcs8_pem(key.private_pem()).expect("PEM round trip");
        assert_eq!(reloaded.public_pem(), key.public_pem());
        assert!(key.public_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
        let url = "http://app.example/m?opensocial_owner_id=1";
        let consumer = Consumer { key: "app-key", secret: "unused", rsa: Some(&key) };
        let signed = sign(
            &SignRequest { method: "GET", url, form_body: None, other_body: None },
            &consumer,
            None,
            "n-1",
            1_300_000_000,
        )
        .expect("signed");
        let header = signed.authorization();
        assert!(header.contains("oauth_signature_method=\"RSA-SHA1\""), "{header}");
        let public = parse_rsa_public_key(key.public_pem()).expect("public key");
        let req = IncomingRequest {
            method: "GET",
            url,
            authorization: Some(header.as_bytes()),
            content_type: None,
            body: b"",
        };
        let lookup = |_: &str| {
            Some(Credentials { rsa_public_key: Some(public.clone()), ..Credentials::default() })
        };
        let nonces = MemoryNonceStore::new(DEFAULT_WINDOW_SECS);
        let v = verify(&req, &VerifyPolicy::default(), 1_300_000_000, lookup, &nonces)
            .expect("verifies");
        assert_eq!(v.method, SignatureMethod::RsaSha1);
        let other = ContainerKey::generate().expect("key pair");
        let other_public = parse_rsa_public_key(other.public_pem()).expect("public key");
        assert!(!verify_rsa_sha1(
            &signed.base_string,
            &other_public,
            &B64.encode(key.sign_sha1(signed.base_string.as_bytes()))
        ));
    }
    use proptest::prelude::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/../../fixtures/opensocial/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// RFC 5849 §3.4.1.1: the example request and its base string, byte for byte.
    #[test]
    fn rfc5849_base_string_example() {
        let auth = br#"OAuth realm="Example",
                oauth_consumer_key="9djdj82h48djs9d2",
                oauth_token="kkk9d7dh3k39sjv7",
                oauth_signature_method="HMAC-SHA1",
                oauth_timestamp="137131201",
                oauth_nonce="7d8f3e4a",
                oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D""#;
        let req = IncomingRequest {
            method: "POST",
            url: "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
            authorization: Some(auth),
            content_type: Some("application/x-www-form-urlencoded"),
            body: b"c2&a3=2+q",
        };
        let c = collect(&req, true).expect("collects");
        assert_eq!(
            c.base_string,
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
             %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_\
             key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m\
             ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk\
             9d7dh3k39sjv7"
        );
        assert_eq!(c.oauth.signature.as_deref(), Some("bYT5CMsGcbgUdFHObYMEfcx6bsw="));
        assert_eq!(c.source, ParamSource::Header);
    }

    /// RFC 5849 §1.2 (and OAuth Core 1.0 Appendix A.5): the photos example with known secrets.
    #[test]
    fn rfc5849_photos_signature() {
        let split = split_url("http://photos.example.net/photos?file=vacation.jpg&size=original")
            .expect("url");
        let mut params = parse_form(split.query.as_bytes());
        for (k, v) in [
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131202"),
            ("oauth_nonce", "chapoH"),
        ] {
            params.push((k.into(), v.into()));
        }
        let base = signature_base_string("GET", &split.base_uri, &params);
        let sig = hmac_sha1_sign(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00");
        assert_eq!(sig, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
        assert!(verify_hmac_sha1(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", &sig));
        assert!(!verify_hmac_sha1(&base, "kd94hf93k423kf44", "", &sig));
        assert!(!verify_hmac_sha1(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", "not base64!"));

        // OAuth Core 1.0 Appendix A.5.2 (with oauth_version, other timestamp and nonce).
        params.retain(|(k, _)| k != b"oauth_timestamp" && k != b"oauth_nonce");
        params.push((b"oauth_timestamp".to_vec(), b"1191242096".to_vec()));
        params.push((b"oauth_nonce".to_vec(), b"kllo9940pd9333jh".to_vec()));
        params.push((b"oauth_version".to_vec(), b"1.0".to_vec()));
        let base = signature_base_string("GET", &split.base_uri, &params);
        assert_eq!(
            hmac_sha1_sign(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"),
            "tR3+Ty81lMeYAr/Fid0kMTYa/WM="
        );
    }

    #[test]
    fn base_uri_normalisation() {
        let cases = [
            ("HTTP://Example.COM:80/r%20v/X?id=123", "http://example.com/r%20v/X", "id=123"),
            ("https://www.example.net:8080/?q=1", "https://www.example.net:8080/", "q=1"),
            ("https://example.net:443", "https://example.net/", ""),
            ("http://user:pw@[2001:DB8::1]:8080/p#frag", "http://[2001:db8::1]:8080/p", ""),
            ("http://a.example:0080/x", "http://a.example/x", ""),
        ];
        for (url, base, query) in cases {
            let s = split_url(url).expect(url);
            assert_eq!((s.base_uri.as_str(), s.query.as_str()), (base, query), "{url}");
        }
        for bad in ["ftp://x/", "/relative", "http://", "http://h:port/", "http://h:99999/"] {
            assert!(split_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encoding_is_rfc3986_on_octets() {
        assert_eq!(percent_encode(b"Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(percent_encode(b"An encoded string!"), "An%20encoded%20string%21");
        assert_eq!(percent_encode(b"Dogs, Cats & Mice"), "Dogs%2C%20Cats%20%26%20Mice");
        assert_eq!(percent_encode("☃".as_bytes()), "%E2%98%83");
        assert_eq!(percent_encode(b"-._~*"), "-._~%2A");
        assert_eq!(percent_encode(&[0x83, 0x5C]), "%83%5C");
        assert_eq!(percent_decode(b"a+b%2Bc%zz%4", true), b"a b+c%zz%4");
        assert_eq!(percent_decode(b"a+b", false), b"a+b");
    }

    /// Shift_JIS form values are signed as their raw octets (fixture computed in Python).
    #[test]
    fn shift_jis_form_signed_as_raw_octets() {
        let body = fixture("oauth_sjis_form.txt");
        let expected_base = fixture("oauth_sjis_base_string.txt");
        let expected_sig = fixture("oauth_sjis_signature.txt");
        let url = "http://app.example.jp/mobile?opensocial_app_id=7&opensocial_owner_id=john.doe&opensocial_viewer_id=john.doe";
        let signed = sign(
            &SignRequest {
                method: "POST",
                url,
                form_body: Some(body.as_bytes()),
                other_body: None,
            },
            &Consumer { key: "app-key", secret: "app-secret", rsa: None },
            None,
            "n0nce",
            1_300_000_000,
        )
        .expect("signs");
        assert_eq!(signed.base_string, expected_base.trim());
        let sig = &signed.oauth_params.last().expect("signature").1;
        assert_eq!(sig, expected_sig.trim());
        // And the verifier accepts it with the header placement.
        let header = signed.authorization();
        let req = IncomingRequest {
            method: "POST",
            url,
            authorization: Some(header.as_bytes()),
            content_type: Some("application/x-www-form-urlencoded; charset=Shift_JIS"),
            body: body.as_bytes(),
        };
        let nonces = MemoryNonceStore::new(300);
        let v = verify(&req, &VerifyPolicy::default(), 1_300_000_100, creds("app-key"), &nonces)
            .expect("verifies");
        assert!(v.body_signed);
        assert!(v.params.iter().any(|(k, _)| k == "comment"));
    }

    fn creds(key: &'static str) -> impl Fn(&str) -> Option<Credentials> {
        move |k| {
            (k == key).then(|| Credentials {
                consumer_secret: Some("app-secret".into()),
                ..Credentials::default()
            })
        }
    }

    fn signed_get(url: &str, ts: i64, nonce: &str) -> String {
        sign(
            &SignRequest { method: "GET", url, form_body: None, other_body: None },
            &Consumer { key: "app-key", secret: "app-secret", rsa: None },
            None,
            nonce,
            ts,
        )
        .expect("sign")
        .authorization()
    }

    #[test]
    fn verify_window_nonce_and_tampering() {
        let url = "http://sns.example/social/rest/people/@me/@self?xoauth_requestor_id=john.doe";
        let nonces = MemoryNonceStore::new(300);
        let now = 1_300_000_000;
        let ok = |auth: &str, url: &str, now: i64| {
            verify(
                &IncomingRequest {
                    method: "GET",
                    url,
                    authorization: Some(auth.as_bytes()),
                    content_type: None,
                    body: b"",
                },
                &VerifyPolicy::default(),
                now,
                creds("app-key"),
                &nonces,
            )
        };
        let auth = signed_get(url, now, "n1");
        let v = ok(&auth, url, now + 299).expect("inside window");
        assert_eq!(v.requestor_id.as_deref(), Some("john.doe"));
        assert_eq!(v.consumer_key, "app-key");
        assert_eq!(v.token, None);
        assert_eq!(ok(&auth, url, now).expect_err("replay"), OAuthError::NonceUsed);
        let auth = signed_get(url, now, "n2");
        assert_eq!(ok(&auth, url, now + 301).expect_err("late"), OAuthError::TimestampRefused);
        assert_eq!(ok(&auth, url, now - 301).expect_err("early"), OAuthError::TimestampRefused);
        // A refused request does not burn its nonce.
        ok(&auth, url, now).expect("n2 still fresh");
        let auth = signed_get(url, now, "n3");
        let tampered = url.replace("john.doe", "jane.doe");
        assert_eq!(ok(&auth, &tampered, now).expect_err("tampered"), OAuthError::SignatureInvalid);
        // Scheme/host case and default port do not matter.
        let auth = signed_get(url, now, "n4");
        ok(&auth, &url.replace("http://sns.example/", "HTTP://SNS.example:80/"), now)
            .expect("normalised");
        // Unknown consumer.
        let other = auth.replace("app-key", "nobody");
        assert_eq!(ok(&other, url, now).expect_err("unknown"), OAuthError::ConsumerKeyUnknown);
        assert_eq!(OAuthError::NonceUsed.http_status(), 401);
        assert_eq!(
            OAuthError::TimestampRefused.www_authenticate("sns.example"),
            "OAuth realm=\"sns.example\", oauth_problem=\"timestamp_refused\""
        );
    }

    #[test]
    fn query_string_placement_like_the_python_client() {
        let now = 1_300_000_000;
        let base = "http://sns.example/social/rest/people/@me/@friends?opensocial_method=GET&xoauth_requestor_id=john.doe";
        let s = sign(
            &SignRequest { method: "GET", url: base, form_body: None, other_body: None },
            &Consumer { key: "app-key", secret: "app-secret", rsa: None },
            None,
            "q1",
            now,
        )
        .expect("sign");
        let url = format!("{base}&{}", s.query_fragment());
        let req = IncomingRequest {
            method: "GET",
            url: &url,
            authorization: None,
            content_type: None,
            body: b"",
        };
        let v = verify(
            &req,
            &VerifyPolicy::default(),
            now,
            creds("app-key"),
            &MemoryNonceStore::new(300),
        )
        .expect("query placement");
        assert_eq!(v.source, ParamSource::Query);
        assert!(v.params.iter().any(|(k, v)| k == "opensocial_method" && v == "GET"));
    }

    #[test]
    fn body_hash_for_json() {
        let now = 1_300_000_000;
        let url = "http://sns.example/social/rpc?xoauth_requestor_id=john.doe";
        let body = br#"{"method":"people.get","id":"self","params":{"userId":"@me"}}"#;
        let s = sign(
            &SignRequest { method: "POST", url, form_body: None, other_body: Some(body) },
            &Consumer { key: "app-key", secret: "app-secret", rsa: None },
            None,
            "b1",
            now,
        )
        .expect("sign");
        let auth = s.authorization();
        let run = |body: &[u8], ct: &str, policy: VerifyPolicy, nonce_store: &MemoryNonceStore| {
            verify(
                &IncomingRequest {
                    method: "POST",
                    url,
                    authorization: Some(auth.as_bytes()),
                    content_type: Some(ct),
                    body,
                },
                &policy,
                now,
                creds("app-key"),
                nonce_store,
            )
        };
        let v = run(body, "application/json", VerifyPolicy::default(), &MemoryNonceStore::new(300))
            .expect("body hash ok");
        assert!(v.body_signed);
        let e =
            run(b"{}", "application/json", VerifyPolicy::default(), &MemoryNonceStore::new(300))
                .expect_err("body changed");
        assert_eq!(e, OAuthError::BodyHashInvalid);
        let e = run(
            body,
            "application/x-www-form-urlencoded",
            VerifyPolicy::default(),
            &MemoryNonceStore::new(300),
        )
        .expect_err("body hash on a form");
        assert_eq!(e, OAuthError::BodyHashInvalid);
        // SHA-1 of the empty body (well-known value).
        assert_eq!(body_hash(b""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");

        // Unsigned JSON body: accepted but reported, refused under require_body_hash.
        let s = sign(
            &SignRequest { method: "POST", url, form_body: None, other_body: None },
            &Consumer { key: "app-key", secret: "app-secret", rsa: None },
            None,
            "b2",
            now,
        )
        .expect("sign");
        let auth = s.authorization();
        let req = IncomingRequest {
            method: "POST",
            url,
            authorization: Some(auth.as_bytes()),
            content_type: Some("application/json"),
            body,
        };
        let v = verify(
            &req,
            &VerifyPolicy::default(),
            now,
            creds("app-key"),
            &MemoryNonceStore::new(300),
        )
        .expect("unsigned body accepted");
        assert!(!v.body_signed);
        let strict = VerifyPolicy { require_body_hash: true, ..VerifyPolicy::default() };
        let e = verify(&req, &strict, now, creds("app-key"), &MemoryNonceStore::new(300))
            .expect_err("strict");
        assert_eq!(e, OAuthError::BodyHashRequired);
    }

    #[test]
    fn legacy_body_as_parameter_name() {
        let now = 1_300_000_000;
        let url = "http://sns.example/social/rpc";
        let body = br#"[{"method":"people.get","id":"x"}]"#;
        let mut params: Vec<Param> = vec![
            (b"oauth_consumer_key".to_vec(), b"app-key".to_vec()),
            (b"oauth_nonce".to_vec(), b"L1".to_vec()),
            (b"oauth_signature_method".to_vec(), b"HMAC-SHA1".to_vec()),
            (b"oauth_timestamp".to_vec(), now.to_string().into_bytes()),
            (body.to_vec(), Vec::new()),
        ];
        let base = signature_base_string("POST", url, &params);
        let sig = hmac_sha1_sign(&base, "app-secret", "");
        params.pop();
        let mut oauth: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (String::from_utf8_lossy(k).into(), String::from_utf8_lossy(v).into()))
            .collect();
        oauth.push(("oauth_signature".into(), sig));
        let auth = authorization_header(Some("sns"), &oauth);
        let req = IncomingRequest {
            method: "POST",
            url,
            authorization: Some(auth.as_bytes()),
            content_type: Some("application/json"),
            body,
        };
        let v = verify(
            &req,
            &VerifyPolicy::default(),
            now,
            creds("app-key"),
            &MemoryNonceStore::new(300),
        )
        .expect("legacy accepted");
        assert!(v.body_signed);
        let off = VerifyPolicy { accept_body_as_parameter: false, ..VerifyPolicy::default() };
        assert_eq!(
            verify(&req, &off, now, creds("app-key"), &MemoryNonceStore::new(300))
                .expect_err("off"),
            OAuthError::SignatureInvalid
        );
    }

    #[test]
    fn protocol_parameter_checks() {
        let url = "http://sns.example/x";
        let now = 1_300_000_000;
        let run = |auth: &str| {
            verify(
                &IncomingRequest {
                    method: "GET",
                    url,
                    authorization: Some(auth.as_bytes()),
                    content_type: None,
                    body: b"",
                },
                &VerifyPolicy::default(),
                now,
                creds("app-key"),
                &MemoryNonceStore::new(300),
            )
        };
        assert_eq!(run("Basic dXNlcjpwdw==").expect_err("basic"), OAuthError::Missing);
        assert_eq!(
            run("OAuth oauth_consumer_key=\"app-key\"").expect_err("partial"),
            OAuthError::ParameterAbsent("oauth_signature_method")
        );
        let good = signed_get(url, now, "p1");
        assert_eq!(
            run(&good.replace("HMAC-SHA1", "PLAINTEXT")).expect_err("plaintext"),
            OAuthError::SignatureMethodRejected("PLAINTEXT".into())
        );
        assert_eq!(
            run(&good.replace("\"1.0\"", "\"2.0\"")).expect_err("v"),
            OAuthError::VersionRejected
        );
        assert_eq!(
            run(&format!("{good}, oauth_nonce=\"again\"")).expect_err("repeat"),
            OAuthError::ParameterRepeated("oauth_nonce".into())
        );
        assert_eq!(
            run(&good.replace("1300000000", "13e8")).expect_err("ts"),
            OAuthError::ParameterRejected("oauth_timestamp")
        );
        // An oauth parameter in the query may not repeat one in the header either.
        let req = IncomingRequest {
            method: "GET",
            url: "http://sns.example/x?oauth_nonce=p1",
            authorization: Some(good.as_bytes()),
            content_type: None,
            body: b"",
        };
        assert!(matches!(collect(&req, true), Err(OAuthError::ParameterRepeated(_))));
    }

    #[test]
    fn authorization_header_parsing_is_tolerant() {
        let h = parse_authorization(
            b"oauth   realm=\"R\",oauth_consumer_key=\"a%20b\" ,  oauth_nonce=x,oauth_token=\"\"\toauth_x=\"%E3%81%82\"",
        )
        .expect("parses")
        .expect("oauth");
        assert_eq!(h.realm.as_deref(), Some("R"));
        assert_eq!(
            h.params,
            vec![
                (b"oauth_consumer_key".to_vec(), b"a b".to_vec()),
                (b"oauth_nonce".to_vec(), b"x".to_vec()),
                (b"oauth_token".to_vec(), b"".to_vec()),
                (b"oauth_x".to_vec(), "あ".as_bytes().to_vec()),
            ]
        );
        assert!(parse_authorization(b"OAuth a=\"unterminated").is_err());
        assert!(parse_authorization(b"OAuth novalue, b=\"1\"").is_err());
        assert_eq!(parse_authorization(b"Bearer xyz").expect("ok"), None);
        assert_eq!(parse_authorization(b"OAuth").expect("ok").map(|h| h.params.len()), Some(0));
        let built = authorization_header(Some("r\"x"), &[("oauth_nonce".into(), "a b".into())]);
        assert_eq!(built, "OAuth realm=\"rx\", oauth_nonce=\"a%20b\"");
    }

    #[cfg(feature = "rsa-sha1")]
    #[test]
    fn rsa_sha1_against_openssl() {
        let base = fixture("rsa/base_string.txt");
        let sig = fixture("rsa/signature.b64");
        for file in ["rsa/public.pem", "rsa/public_pkcs1.pem", "rsa/cert.pem"] {
            let key = parse_rsa_public_key(&fixture(file)).expect(file);
            assert!(verify_rsa_sha1(&base, &key, &sig), "{file}");
            assert!(!verify_rsa_sha1(&base.replace("john", "jane"), &key, &sig), "{file}");
            assert!(!verify_rsa_sha1(&base, &key, "AAAA"), "{file}");
        }
        assert!(
            parse_rsa_public_key("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .is_err()
        );
        assert!(parse_rsa_public_key("nothing").is_err());

        // Through `verify` with an inbound lifecycle-style request.
        let key = parse_rsa_public_key(&fixture("rsa/cert.pem")).expect("cert");
        let split_base: Vec<&str> = base.splitn(3, '&').collect();
        assert_eq!(split_base[0], "GET");
        let url = "http://app.example.jp/lifecycle?eventtype=event.addapp&id=john.doe&opensocial_app_id=7&xoauth_signature_publickey=test_key";
        let auth = format!(
            "OAuth oauth_consumer_key=\"ashiato.example\", oauth_nonce=\"abc\", oauth_signature_method=\"RSA-SHA1\", oauth_timestamp=\"1300000000\", oauth_version=\"1.0\", oauth_signature=\"{}\"",
            percent_encode(sig.trim().as_bytes())
        );
        let req = IncomingRequest {
            method: "GET",
            url,
            authorization: Some(auth.as_bytes()),
            content_type: None,
            body: b"",
        };
        let lookup = |_: &str| {
            Some(Credentials { rsa_public_key: Some(key.clone()), ..Credentials::default() })
        };
        let v = verify(
            &req,
            &VerifyPolicy::default(),
            1_300_000_000,
            lookup,
            &MemoryNonceStore::new(300),
        )
        .expect("rsa verify");
        assert_eq!(v.method, SignatureMethod::RsaSha1);
        // HMAC is refused for a consumer that only has a key pair.
        let hmac_auth = auth.replace("RSA-SHA1", "HMAC-SHA1");
        let req = IncomingRequest { authorization: Some(hmac_auth.as_bytes()), ..req };
        assert!(matches!(
            verify(
                &req,
                &VerifyPolicy::default(),
                1_300_000_000,
                lookup,
                &MemoryNonceStore::new(300)
            ),
            Err(OAuthError::SignatureMethodRejected(_))
        ));
    }

    #[test]
    fn nonce_store_forgets_old_entries() {
        let s = MemoryNonceStore::new(300);
        for i in 0..2000 {
            assert_eq!(s.check_and_record("k", i, "n", 0), Ok(true));
        }
        assert_eq!(s.check_and_record("k", 5, "n", 0), Ok(false));
        assert_eq!(s.check_and_record("other", 5, "n", 0), Ok(true), "per consumer");
        // Far in the future the old ones are pruned on the next insert.
        assert_eq!(s.check_and_record("k", 100_000, "n", 100_000), Ok(true));
        assert!(s.len() < 100);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn header_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut input = b"OAuth ".to_vec();
            input.extend_from_slice(&bytes);
            let _ = parse_authorization(&input);
            let _ = parse_authorization(&bytes);
        }

        #[test]
        fn header_round_trips(pairs in proptest::collection::vec(("oauth_[a-z_]{1,12}", "\\PC{0,20}"), 0..8)) {
            let pairs: Vec<(String, String)> = pairs;
            let header = authorization_header(Some("realm"), &pairs);
            let parsed = parse_authorization(header.as_bytes()).expect("ok").expect("oauth");
            let expected: Vec<Param> = pairs.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
            prop_assert_eq!(parsed.params, expected);
        }

        #[test]
        fn form_round_trips_octets(pairs in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 1..8), proptest::collection::vec(any::<u8>(), 0..8)), 0..6)) {
            prop_assert_eq!(parse_form(encode_form(&pairs).as_bytes()), pairs);
        }

        #[test]
        fn sign_then_verify(query in "[a-z]{1,5}=[a-zA-Z0-9%]{0,9}", secret in "\\PC{0,16}", nonce in "[a-z0-9]{1,16}") {
            let url = format!("https://api.example/p?{query}");
            let s = sign(&SignRequest { method: "GET", url: &url, form_body: None, other_body: None },
                &Consumer { key: "k", secret: &secret, rsa: None }, None, &nonce, 1000).expect("sign");
            let auth = s.authorization();
            let req = IncomingRequest { method: "GET", url: &url, authorization: Some(auth.as_bytes()), content_type: None, body: b"" };
            let secret2 = secret.clone();
            let lookup = move |_: &str| Some(Credentials { consumer_secret: Some(secret2.clone()), ..Credentials::default() });
            prop_assert!(verify(&req, &VerifyPolicy::default(), 1000, lookup, &MemoryNonceStore::new(300)).is_ok());
        }
    }
}

//! The keitai app proxy (`opensocial.md` §7, `security.md` §8), pure parts:
//!
//! - [`check_target`] and [`check_resolved`]: which URLs may be fetched (SSRF policy). The
//!   caller resolves DNS itself, passes the addresses in, connects **only** to those
//!   addresses, and calls both again for every redirect.
//! - [`prepare_forward`]: the signed request to the app: incoming `opensocial_*`, `oauth*`,
//!   `xoauth*` parameters dropped, owner/viewer/app added, HMAC-SHA1 in the `Authorization`
//!   header; [`forward_headers`] and [`scrub_user_agent`] for what the handset sent.
//! - [`lifecycle_request`]: a signed `event.addapp`/`event.removeapp` delivery.
//! - [`rewrite()`]: the app's page made safe and routed back through the proxy (see
//!   [`rewrite`] module docs).

mod rewrite;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::oauth::{self, Consumer, Param, SignRequest};

pub use rewrite::{
    DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_OUTPUT_BYTES, ProxyLink, PseudoLink, RewriteOptions,
    RewriteStats, Rewritten, app_emoji_carrier, container_pseudo_link, decode_page, detect_charset,
    rewrite,
};

/// Why a URL may not be fetched, or a page not rewritten.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// Not a parseable absolute URL.
    #[error("not an absolute URL")]
    BadUrl,
    /// Scheme other than http/https.
    #[error("scheme {0} not allowed")]
    SchemeNotAllowed(String),
    /// URL with user info (`http://user:pw@host/`).
    #[error("credentials in URL not allowed")]
    UserInfo,
    /// Port other than 80/443 for a host not in the allow list.
    #[error("port {0} not allowed")]
    PortNotAllowed(u16),
    /// Host not among the app's registered hosts.
    #[error("host {0} is not registered for this app")]
    HostNotRegistered(String),
    /// The host is or resolves to a private, loopback, link-local, … address.
    #[error("address {0} is not public")]
    PrivateAddress(IpAddr),
    /// DNS gave no address.
    #[error("host has no address")]
    NoAddress,
    /// The response is larger than the cap.
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    /// The response is not HTML/XHTML.
    #[error("content type {0} is not rewritten")]
    NotHtml(String),
    /// The HTML rewriter failed.
    #[error("rewriting failed: {0}")]
    Rewrite(String),
}

/// Whether `host` matches a registered host: case-insensitive, trailing dot ignored,
/// `*.example.jp` matches subdomains (not `example.jp` itself). A registered `host:port`
/// matches the host.
pub fn host_registered(host: &str, registered: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    registered.iter().any(|r| {
        let r = r.trim().to_ascii_lowercase();
        let r = strip_port(&r);
        let r = r.trim_end_matches('.').trim_start_matches('[').trim_end_matches(']');
        match r.strip_prefix("*.") {
            Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}")),
            None => host == r,
        }
    })
}

fn strip_port(s: &str) -> &str {
    if let Some(v6) = s.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => s,
    }
}

/// Checks an app URL before fetching (and after each redirect): http/https only, no user
/// info, host among `registered_hosts`, port 80/443 unless the host is in `allow_private`
/// (`ASHIATO_APP_ALLOW_PRIVATE_HOSTS`: test and intranet apps), and an IP-literal host must be
/// public unless allowed. Then call [`check_resolved`] with the addresses DNS gave.
///
/// # Errors
/// [`ProxyError`] saying which rule refused it.
pub fn check_target(
    url: &str,
    registered_hosts: &[String],
    allow_private: &[String],
) -> Result<Url, ProxyError> {
    let u = Url::parse(url.trim()).map_err(|_| ProxyError::BadUrl)?;
    match u.scheme() {
        "http" | "https" => {}
        other => return Err(ProxyError::SchemeNotAllowed(other.to_owned())),
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(ProxyError::UserInfo);
    }
    let host = u.host_str().ok_or(ProxyError::BadUrl)?.to_owned();
    if !host_registered(&host, registered_hosts) {
        return Err(ProxyError::HostNotRegistered(host));
    }
    let allowed = host_registered(&host, allow_private);
    if let Some(port) = u.port()
        && !allowed
        && port != 80
        && port != 443
    {
        return Err(ProxyError::PortNotAllowed(port));
    }
    let literal = match u.host() {
        Some(Host::Ipv4(a)) => Some(IpAddr::V4(a)),
        Some(Host::Ipv6(a)) => Some(IpAddr::V6(a)),
        _ => None,
    };
    if let Some(ip) = literal
        && !allowed
        && non_public_reason(ip).is_some()
    {
        return Err(ProxyError::PrivateAddress(ip));
    }
    Ok(u)
}

/// Checks the addresses a checked URL's host resolved to: every one must be public unless
/// the host is in `allow_private` (one bad address refuses the lot, so a DNS answer mixing
/// public and private addresses cannot be used for rebinding). Connect only to these.
///
/// # Errors
/// [`ProxyError::NoAddress`], [`ProxyError::PrivateAddress`].
pub fn check_resolved(
    url: &Url,
    addrs: &[IpAddr],
    allow_private: &[String],
) -> Result<(), ProxyError> {
    if addrs.is_empty() {
        return Err(ProxyError::NoAddress);
    }
    if url.host_str().is_some_and(|h| host_registered(h, allow_private)) {
        return Ok(());
    }
    match addrs.iter().find(|ip| non_public_reason(**ip).is_some()) {
        Some(ip) => Err(ProxyError::PrivateAddress(*ip)),
        None => Ok(()),
    }
}

/// Why an address is not a public unicast address, or `None` if it is.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(a) => v4_reason(a),
        IpAddr::V6(a) => v6_reason(a),
    }
}

fn v4_reason(a: Ipv4Addr) -> Option<&'static str> {
    let [o0, o1, o2, _] = a.octets();
    Some(match (o0, o1, o2) {
        (0, _, _) => "this network (0.0.0.0/8)",
        (10, _, _) => "private (10/8)",
        (100, 64..=127, _) => "carrier-grade NAT (100.64/10)",
        (127, _, _) => "loopback",
        (169, 254, _) => "link-local",
        (172, 16..=31, _) => "private (172.16/12)",
        (192, 0, 0) => "IETF protocol assignments (192.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (192, 88, 99) => "6to4 relay anycast",
        (192, 168, _) => "private (192.168/16)",
        (198, 18..=19, _) => "benchmarking (198.18/15)",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved or broadcast",
        _ => return None,
    })
}

fn v6_reason(a: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = a.to_ipv4_mapped() {
        return v4_reason(v4).map(|_| "IPv4-mapped non-public address");
    }
    let s = a.segments();
    if a.is_unspecified() {
        return Some("unspecified");
    }
    if a.is_loopback() {
        return Some("loopback");
    }
    Some(match s[0] {
        0x0000 if s[1..6] == [0; 5] => "IPv4-compatible (deprecated)",
        0x0064 if s[1] == 0xff9b => {
            let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
            return v4_reason(v4).map(|_| "NAT64 of a non-public address");
        }
        0x0100 if s[1..4] == [0; 3] => "discard-only (100::/64)",
        0x2001 if s[1] == 0x0db8 => "documentation",
        0x2001 if s[1] == 0 => "Teredo",
        0x2002 => {
            let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
            return v4_reason(v4).map(|_| "6to4 of a non-public address");
        }
        x if x & 0xfe00 == 0xfc00 => "unique local (fc00::/7)",
        x if x & 0xffc0 == 0xfe80 => "link-local (fe80::/10)",
        x if x & 0xffc0 == 0xfec0 => "site-local (fec0::/10)",
        x if x & 0xff00 == 0xff00 => "multicast",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Outbound requests

/// Who is asking, for the `opensocial_*` parameters.
#[derive(Clone, Copy, Debug)]
pub struct ForwardIdentity<'a> {
    /// `opensocial_app_id`.
    pub app_id: &'a str,
    /// `opensocial_owner_id` (on keitai the viewer: apps are run on one's own page).
    pub owner_id: &'a str,
    /// `opensocial_viewer_id` (`None` when `sign_viewer=false`).
    pub viewer_id: Option<&'a str>,
    /// `opensocial_app_url`: the gadget spec URL, if the app has one.
    pub app_url: Option<&'a str>,
}

/// A request ready to send to the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    /// HTTP method.
    pub method: String,
    /// Full URL with the rewritten query.
    pub url: String,
    /// The body to send, if any.
    pub body: Option<Vec<u8>>,
    /// Its content type.
    pub content_type: Option<String>,
    /// `Authorization` header value.
    pub authorization: String,
}

/// Whether a parameter name is reserved for the container (`opensocial*`, `oauth*`,
/// `xoauth*`, case-insensitive): such parameters from the handset are dropped.
pub fn is_reserved_param(name: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with(b"opensocial") || lower.starts_with(b"oauth") || lower.starts_with(b"xoauth")
}

/// Builds the signed request for a proxied page: same method as the handset's, the target's
/// query and the handset's form body without reserved parameters, `opensocial_app_id`,
/// `opensocial_owner_id`, `opensocial_viewer_id` (and `opensocial_app_url`) added to the
/// query, HMAC-SHA1 over all of it in the `Authorization` header. Form values keep their raw
/// octets (a Shift_JIS form is forwarded and signed as Shift_JIS). A non-form body gets an
/// `oauth_body_hash`.
///
/// `body`: the handset's body and its content type. `nonce` and `timestamp` come from the
/// caller ([`oauth::random_nonce`], the clock).
///
/// # Errors
/// [`ProxyError::BadUrl`] if the target cannot be signed.
pub fn prepare_forward(
    method: &str,
    target: &Url,
    body: Option<(&[u8], Option<&str>)>,
    who: &ForwardIdentity<'_>,
    consumer: &Consumer<'_>,
    nonce: &str,
    timestamp: i64,
) -> Result<Forward, ProxyError> {
    let mut query: Vec<Param> = oauth::parse_form(target.query().unwrap_or("").as_bytes());
    query.retain(|(k, _)| !is_reserved_param(k));
    query.push((b"opensocial_app_id".to_vec(), who.app_id.as_bytes().to_vec()));
    if let Some(u) = who.app_url {
        query.push((b"opensocial_app_url".to_vec(), u.as_bytes().to_vec()));
    }
    query.push((b"opensocial_owner_id".to_vec(), who.owner_id.as_bytes().to_vec()));
    if let Some(v) = who.viewer_id {
        query.push((b"opensocial_viewer_id".to_vec(), v.as_bytes().to_vec()));
    }
    let mut url = target.clone();
    url.set_fragment(None);
    url.set_query(Some(&oauth::encode_form(&query)));
    let url = url.to_string();
    let method = method.trim().to_ascii_uppercase();
    let (body_out, content_type, form, other) = match body {
        Some((b, ct)) if oauth::is_form_content_type(ct) => {
            let mut pairs = oauth::parse_form(b);
            pairs.retain(|(k, _)| !is_reserved_param(k));
            let encoded = oauth::encode_form(&pairs).into_bytes();
            (Some(encoded.clone()), ct.map(str::to_owned), Some(encoded), None)
        }
        Some((b, ct)) => (Some(b.to_vec()), ct.map(str::to_owned), None, Some(b.to_vec())),
        None => (None, None, None, None),
    };
    let signed = oauth::sign(
        &SignRequest {
            method: &method,
            url: &url,
            form_body: form.as_deref(),
            other_body: other.as_deref(),
        },
        consumer,
        None,
        nonce,
        timestamp,
    )
    .map_err(|_| ProxyError::BadUrl)?;
    Ok(Forward { method, url, body: body_out, content_type, authorization: signed.authorization() })
}

/// Headers that identify the subscriber or carry credentials; never forwarded.
pub const STRIPPED_HEADERS: &[&str] = &[
    "x-dcmguid",
    "x-up-subno",
    "x-jphone-uid",
    "x-em-uid",
    "x-msim-use",
    "cookie",
    "cookie2",
    "authorization",
    "proxy-authorization",
    "referer",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "forwarded",
    "via",
    "host",
];

/// Whether a handset header may go to the app (allow-list, as mixi did): `User-Agent` (scrub
/// it with [`scrub_user_agent`]), `Accept`, `Accept-Language`, `Accept-Charset`, `X-Up-*`
/// except `X-Up-Subno`, `X-Jphone-*` except `X-Jphone-Uid`, `X-S-Display-Info`. Everything
/// else — cookies, `Authorization`, `Referer` (it holds URL session tokens), subscriber IDs —
/// is dropped.
pub fn forwardable_header(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    if STRIPPED_HEADERS.contains(&n.as_str()) {
        return false;
    }
    matches!(
        n.as_str(),
        "user-agent" | "accept" | "accept-language" | "accept-charset" | "x-s-display-info"
    ) || (n.starts_with("x-up-") && n != "x-up-subno" && n != "x-up-uid")
        || (n.starts_with("x-jphone-") && n != "x-jphone-uid")
}

/// The headers to send to the app: the forwardable ones (User-Agent scrubbed) and
/// `X-Forwarded-For: <client ip>`.
pub fn forward_headers(
    incoming: &[(String, Vec<u8>)],
    client_ip: IpAddr,
) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = incoming
        .iter()
        .filter(|(n, _)| forwardable_header(n))
        .map(|(n, v)| {
            if n.eq_ignore_ascii_case("user-agent") {
                (n.clone(), scrub_user_agent(&String::from_utf8_lossy(v)).into_bytes())
            } else {
                (n.clone(), v.clone())
            }
        })
        .collect();
    out.push(("X-Forwarded-For".to_owned(), client_ip.to_string().into_bytes()));
    out
}

fn is_serial(item: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| {
        item.strip_prefix(p)
            .is_some_and(|rest| rest.len() >= 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    })
}

/// Removes device serials from a keitai User-Agent: docomo mova `/ser…` segments, FOMA
/// `;ser…` and `;icc…` items in parentheses, SoftBank/Vodafone/J-PHONE `/SN…` segments.
///
/// `DoCoMo/2.0 N2001(c10;ser0123456789abcde;icc01234567890123456789)` → `DoCoMo/2.0 N2001(c10)`;
/// `SoftBank/1.0/910T/TJ001/SN123456789012345 Browser/NetFront/3.3` →
/// `SoftBank/1.0/910T/TJ001 Browser/NetFront/3.3`.
pub fn scrub_user_agent(ua: &str) -> String {
    let mut out = String::with_capacity(ua.len());
    let mut rest = ua;
    // Parenthesised groups: drop ser/icc items.
    while let Some(open) = rest.find('(') {
        out.push_str(&scrub_slashes(&rest[..open]));
        let Some(close) = rest[open..].find(')') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &rest[open + 1..open + close];
        let kept: Vec<&str> =
            inner.split(';').filter(|i| !is_serial(i.trim(), &["ser", "icc"])).collect();
        out.push('(');
        out.push_str(&kept.join(";"));
        out.push(')');
        rest = &rest[open + close + 1..];
    }
    out.push_str(&scrub_slashes(rest));
    out
}

fn scrub_slashes(s: &str) -> String {
    s.split(' ')
        .map(|token| {
            let parts: Vec<&str> = token.split('/').collect();
            if parts.len() <= 3 {
                return token.to_owned();
            }
            let mut kept = parts[..3].to_vec();
            kept.extend(parts[3..].iter().copied().filter(|p| !is_serial(p, &["ser", "SN"])));
            kept.join("/")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Lifecycle events

/// One lifecycle event delivery (`opensocial.md` §6).
#[derive(Clone, Copy, Debug)]
pub struct LifecycleEvent<'a> {
    /// `event.addapp`, `event.removeapp` or `event.app`.
    pub event_type: &'a str,
    /// The users concerned (batched: one `id` parameter each).
    pub ids: &'a [String],
    /// Other parameters: `from=invite|gallery|external`, `mixi_invite_from`, `action`,
    /// `reason`.
    pub extra: &'a [(String, String)],
}

/// Builds the signed delivery of a lifecycle event to a `Link rel="event…"` href (already
/// checked with [`check_target`]): `GET` puts the parameters in the query, `POST` (the
/// default for `method="POST"`) in a form body; both signed with HMAC-SHA1. `eventtype`,
/// `id` (repeated), `opensocial_app_id` and the extras are sent.
///
/// # Errors
/// [`ProxyError::BadUrl`].
pub fn lifecycle_request(
    href: &Url,
    method: Option<&str>,
    app_id: &str,
    event: &LifecycleEvent<'_>,
    consumer: &Consumer<'_>,
    nonce: &str,
    timestamp: i64,
) -> Result<Forward, ProxyError> {
    let mut params: Vec<Param> =
        vec![(b"eventtype".to_vec(), event.event_type.as_bytes().to_vec())];
    params.extend(event.ids.iter().map(|id| (b"id".to_vec(), id.as_bytes().to_vec())));
    params.push((b"opensocial_app_id".to_vec(), app_id.as_bytes().to_vec()));
    params.extend(event.extra.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())));
    let post = method.is_some_and(|m| m.eq_ignore_ascii_case("POST"));
    let mut url = href.clone();
    url.set_fragment(None);
    let mut query = oauth::parse_form(url.query().unwrap_or("").as_bytes());
    query.retain(|(k, _)| !is_reserved_param(k) && k != b"eventtype" && k != b"id");
    if query.is_empty() {
        url.set_query(None);
    } else {
        url.set_query(Some(&oauth::encode_form(&query)));
    }
    if post {
        let body = oauth::encode_form(&params).into_bytes();
        let url = url.to_string();
        let signed = oauth::sign(
            &SignRequest { method: "POST", url: &url, form_body: Some(&body), other_body: None },
            consumer,
            None,
            nonce,
            timestamp,
        )
        .map_err(|_| ProxyError::BadUrl)?;
        Ok(Forward {
            method: "POST".into(),
            url,
            body: Some(body),
            content_type: Some("application/x-www-form-urlencoded".into()),
            authorization: signed.authorization(),
        })
    } else {
        query.extend(params);
        url.set_query(Some(&oauth::encode_form(&query)));
        let url = url.to_string();
        let signed = oauth::sign(
            &SignRequest { method: "GET", url: &url, form_body: None, other_body: None },
            consumer,
            None,
            nonce,
            timestamp,
        )
        .map_err(|_| ProxyError::BadUrl)?;
        Ok(Forward {
            method: "GET".into(),
            url,
            body: None,
            content_type: None,
            authorization: signed.authorization(),
        })
    }
}

#[cfg(test)]
mod tests;

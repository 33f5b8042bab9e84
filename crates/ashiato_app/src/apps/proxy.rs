//! The keitai app proxy's pieces that are not HTTP handlers: which app URL a proxied request
//! means, the signed image URLs, and cutting a rewritten page into blocks the renderer can
//! spread over page parts.

use ashiato_core::AppId;
use ashiato_opensocial::oauth::{self, Param};
use url::Url;

use crate::secret::Secret;

/// The query parameter carrying the member's CSRF token on proxied links and forms: a POST
/// through the proxy must bring it, so another site cannot make a member's browser post to an
/// app in their name.
pub const CSRF_PARAM: &str = "ct";

/// Query parameters that belong to the container, never forwarded to the app: the target
/// `url`, `guid` (docomo's subscriber-ID switch), the session token, the CSRF token and the
/// page-part number.
pub fn is_container_param(name: &[u8]) -> bool {
    name == b"url"
        || name == b"guid"
        || name == CSRF_PARAM.as_bytes()
        || name == ashiato_render::url::SESSION_PARAM.as_bytes()
        || name == ashiato_render::PART_PARAM.as_bytes()
}

/// The app URL a request to `/apps/{id}/?…` means: its `url` parameter (or the start URL), with
/// the other non-container parameters of the query appended — a GET form submitted through
/// the proxy carries its fields next to `url`. Values keep their raw octets (a Shift_JIS form
/// field reaches the app as Shift_JIS).
///
/// # Errors
/// A message when `url` is not an absolute URL.
pub fn target_of(raw_query: &str, start_url: &str) -> Result<Url, String> {
    let params = oauth::parse_form(raw_query.as_bytes());
    let url_param = params.iter().find(|(k, _)| k == b"url").map(|(_, v)| v.clone());
    let raw = match &url_param {
        Some(v) => String::from_utf8(v.clone()).map_err(|_| "the url parameter is not UTF-8")?,
        None => start_url.to_owned(),
    };
    let mut target = Url::parse(raw.trim()).map_err(|e| format!("not an absolute URL: {e}"))?;
    target.set_fragment(None);
    let extra: Vec<Param> =
        params.into_iter().filter(|(k, _)| !k.is_empty() && !is_container_param(k)).collect();
    if !extra.is_empty() {
        let mut all = oauth::parse_form(target.query().unwrap_or("").as_bytes());
        all.extend(extra);
        target.set_query(Some(&oauth::encode_form(&all)));
    }
    Ok(target)
}

/// The purpose string of image-proxy signatures.
const IMAGE_PURPOSE: &str = "app-image";

/// `/apps/{app}/img?url=…&sig=…`: an app image the container fetched on the page's behalf.
/// Signed, so the handset needs no session for it and nobody can use the proxy to fetch
/// arbitrary URLs.
pub fn image_url(secret: &Secret, app_id: AppId, url: &Url) -> String {
    let u = url.as_str();
    let sig = secret.mac_hex(IMAGE_PURPOSE, &[app_id.to_string().as_bytes(), u.as_bytes()], 32);
    format!("/apps/{app_id}/img?url={}&sig={sig}", oauth::percent_encode(u.as_bytes()))
}

/// Checks an image URL's signature.
pub fn image_signature_ok(secret: &Secret, app_id: AppId, url: &str, sig: &str) -> bool {
    secret.verify_hex(IMAGE_PURPOSE, &[app_id.to_string().as_bytes(), url.as_bytes()], sig)
}

/// Elements without an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements after whose end (at the top level) a page may be cut.
const BREAKS: &[&str] = &[
    "br",
    "hr",
    "p",
    "div",
    "ul",
    "ol",
    "dl",
    "table",
    "form",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "center",
    "marquee",
    "blink",
    "img",
];

/// Cuts a rewritten body fragment into pieces of about `target` bytes at top-level element
/// boundaries (after `<br>`, `</p>`, `</div>`, …, never inside an element), so the renderer
/// can put them on separate page parts. Pieces are at least `target` bytes where the markup
/// allows; a piece cannot be cut smaller than its outermost element.
pub fn split_markup(fragment: &str, target: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut depth: usize = 0;
    let mut start = 0;
    let bytes = fragment.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let Some(len) = fragment[i..].find('>') else { break };
        let tag = &fragment[i + 1..i + len];
        let end = i + len + 1;
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let self_closing = tag.ends_with('/') || VOID.contains(&name.as_str());
        if name.is_empty() {
            i = end;
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closing {
            depth += 1;
        }
        let breaks = (closing || self_closing) && BREAKS.contains(&name.as_str());
        if depth == 0 && breaks && end - start >= target {
            pieces.push(fragment[start..end].to_owned());
            start = end;
        }
        i = end;
    }
    if start < fragment.len() && !fragment[start..].trim().is_empty() {
        pieces.push(fragment[start..].to_owned());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_keeps_raw_form_octets_and_drops_container_parameters() {
        let q =
            "guid=ON&url=http%3A%2F%2Fapp.example%2Fm%3Fa%3D1&ksid=abc&ct=t0k&p=2&comment=%83%5C";
        let t = target_of(q, "http://app.example/start").expect("valid");
        assert_eq!(t.as_str(), "http://app.example/m?a=1&comment=%83%5C");
        let t = target_of("", "http://app.example/start#top").expect("start");
        assert_eq!(t.as_str(), "http://app.example/start");
        assert!(target_of("url=%2Frelative", "http://app.example/").is_err());
    }

    #[test]
    fn image_urls_verify_only_for_their_app_and_url() {
        let s = Secret::from_bytes([7; 32]);
        let u = Url::parse("http://app.example/i.gif?x=1&y=2").expect("url");
        let link = image_url(&s, AppId(3), &u);
        assert!(
            link.starts_with(
                "/apps/3/img?url=http%3A%2F%2Fapp.example%2Fi.gif%3Fx%3D1%26y%3D2&sig="
            )
        );
        let sig = link.rsplit("sig=").next().expect("sig");
        assert!(image_signature_ok(&s, AppId(3), u.as_str(), sig));
        assert!(!image_signature_ok(&s, AppId(4), u.as_str(), sig));
        assert!(!image_signature_ok(&s, AppId(3), "http://app.example/other.gif", sig));
    }

    #[test]
    fn markup_is_cut_only_between_top_level_elements() {
        let html = "a<br />b<p>c<br />d</p><div><p>e</p></div>tail";
        let pieces = split_markup(html, 1);
        assert_eq!(pieces, ["a<br />", "b<p>c<br />d</p>", "<div><p>e</p></div>", "tail"]);
        assert_eq!(pieces.concat(), html, "nothing lost");
        assert_eq!(split_markup(html, 10_000), [html.to_owned()]);
    }
}

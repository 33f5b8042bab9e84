//! Rewriting an app's page for the handset.
//!
//! 1. **Charset** ([`detect_charset`]): BOM, `Content-Type` charset, `<meta charset>` or
//!    `<meta http-equiv="Content-Type">` in the first 4 KiB, the XML declaration, then a
//!    guess (valid UTF-8, else Shift_JIS). Decoding ([`decode_page`]) goes through
//!    `ashiato_charset`, so the app's carrier emoji (Shift_JIS codes, private-use code points,
//!    SoftBank webcodes, decimal/hex references such as `&#63647;`, au `<img localsrc>`)
//!    become Unicode emoji; the lead re-encodes for the handset.
//! 2. **Markup** (lol_html on the UTF-8 text): links and forms to the app's hosts go back
//!    through the proxy (relative URLs resolved against the page URL or `<base href>`), GET
//!    forms carry the proxy parameters as hidden fields; images go through the image proxy;
//!    pseudo links (`invite:friends`, `create:activity`) become container pages; `script`,
//!    `style`, `iframe`, `object`, `embed`, `applet`, `frame(set)`, `meta`, `link`, `base`,
//!    comments, `on*` attributes, `utn`/`lcs` (subscriber serial and location requests),
//!    i-appli launch attributes and `javascript:`/`data:`/`vbscript:` values are removed;
//!    `mailto:`, `tel:`, `javascript:` and foreign links lose their `a` (the text stays).
//!    Links already in the mixi/GREE form (`?guid=ON&url=<escaped>`, as opensocial-wap apps
//!    write them) are taken to mean their `url`.
//!    `html`, `head` and `body` tags are dropped (their content kept, `title` captured) so the
//!    result is a body fragment for the container's header and footer.

use std::cell::RefCell;

use ashiato_charset::{Carrier, InputCharset};
use encoding_rs::Encoding;
use lol_html::html_content::{ContentType, Element};
use lol_html::{HtmlRewriter, MemorySettings, Settings, doc_comments, doc_text, element, text};
use url::Url;

use super::{ProxyError, host_registered};
use crate::oauth::percent_encode;

/// Default cap on the app's response body (before decoding).
pub const DEFAULT_MAX_INPUT_BYTES: usize = 512 * 1024;
/// Default cap on the rewritten body.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// A link back through the container: a path and its query parameters (values unencoded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyLink {
    /// Path (or absolute URL) without query, e.g. `/apps/7/`.
    pub path: String,
    /// Query parameters in order, e.g. `[("guid","ON"), ("url","http://app/x")]`.
    pub params: Vec<(String, String)>,
}

impl ProxyLink {
    /// `path?k=v&…` with RFC 3986 encoding of names and values.
    pub fn href(&self) -> String {
        let mut out = self.path.clone();
        for (i, (k, v)) in self.params.iter().enumerate() {
            out.push(if i == 0 && !self.path.contains('?') { '?' } else { '&' });
            out.push_str(&percent_encode(k.as_bytes()));
            out.push('=');
            out.push_str(&percent_encode(v.as_bytes()));
        }
        out
    }
}

/// A pseudo link found in the page: `invite:friends?callback=…` → scheme `invite`, action
/// `friends`, params, and `callback` resolved against the page and accepted only on the
/// app's hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PseudoLink {
    /// `invite`, `create`, `auth`, … (lower-case).
    pub scheme: String,
    /// `friends`, `activity`, …
    pub action: String,
    /// Query parameters other than `callback`.
    pub params: Vec<(String, String)>,
    /// The resolved callback URL, when given and on an app host.
    pub callback: Option<Url>,
}

/// A default mapping of pseudo links to container pages under `app_base` (`/apps/7`):
/// `invite:friends` → `{app_base}/invite`, `create:activity` → `{app_base}/activity`, with
/// `callback` (absolute) and the other parameters passed on. Others: `None` (link removed).
pub fn container_pseudo_link(app_base: &str, link: &PseudoLink) -> Option<ProxyLink> {
    let page = match (link.scheme.as_str(), link.action.as_str()) {
        ("invite", "friends") => "invite",
        ("create", "activity") => "activity",
        _ => return None,
    };
    let mut params = link.params.clone();
    if let Some(cb) = &link.callback {
        params.push(("callback".into(), cb.to_string()));
    }
    Some(ProxyLink { path: format!("{}/{page}", app_base.trim_end_matches('/')), params })
}

/// What the rewriter needs from the container.
pub struct RewriteOptions<'a> {
    /// The app's registered hosts (links elsewhere are removed).
    pub app_hosts: &'a [String],
    /// The proxied form of an app URL (`/apps/{app}/` with `url=`, `guid=ON`, `ksid` as the
    /// handset needs).
    pub proxy_link: &'a dyn Fn(&Url) -> ProxyLink,
    /// The image-proxy URL for an image on an app host; `None` drops the image (its `alt`
    /// stays).
    pub image_link: &'a dyn Fn(&Url) -> Option<String>,
    /// Container page for a pseudo link (see [`container_pseudo_link`]); `None` removes it.
    pub pseudo_link: &'a dyn Fn(&PseudoLink) -> Option<ProxyLink>,
    /// Whose emoji codes the app's page uses: the handset's carrier (apps answer per UA);
    /// see [`app_emoji_carrier`].
    pub emoji_carrier: Carrier,
    /// Cap on the input body.
    pub max_input_bytes: usize,
    /// Cap on the output.
    pub max_output_bytes: usize,
}

/// The emoji set an app uses for a handset: the handset's own carrier (apps branch on the
/// User-Agent we forward, as on mixi); WILLCOM uses docomo's codes; everything else —
/// smartphones, PCs, EMOBILE — docomo's, the set keitai libraries treated as the base.
pub fn app_emoji_carrier(handset: ashiato_handset::Carrier) -> Carrier {
    use ashiato_handset::Carrier as H;
    match handset {
        H::Au => Carrier::Au,
        H::Softbank => Carrier::Softbank,
        H::Docomo | H::Willcom | H::Emobile | H::Smartphone | H::Pc | H::Crawler => Carrier::Docomo,
    }
}

/// What the rewriter removed or changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RewriteStats {
    /// Links and forms routed through the proxy.
    pub links_proxied: usize,
    /// Links removed (foreign, `mailto:`, `tel:`, `javascript:`, unknown pseudo).
    pub links_removed: usize,
    /// Images routed through the image proxy.
    pub images_proxied: usize,
    /// Images removed.
    pub images_removed: usize,
    /// Elements removed with their content (`script`, `iframe`, …).
    pub elements_removed: usize,
    /// Attributes removed (`on*`, `utn`, `javascript:` values, …).
    pub attributes_removed: usize,
}

/// A rewritten page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewritten {
    /// The body fragment (UTF-8, Unicode emoji), for the container's page.
    pub body: String,
    /// The page `<title>`, if any.
    pub title: Option<String>,
    /// The charset the page was decoded from.
    pub charset: &'static str,
    /// `body` attributes worth keeping (`bgcolor`, `text`, `link`, `alink`, `vlink`).
    pub body_attributes: Vec<(String, String)>,
    /// Counts.
    pub stats: RewriteStats,
}

/// The page's encoding (see module docs for the order).
pub fn detect_charset(content_type: Option<&str>, body: &[u8]) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(body) {
        return enc;
    }
    if let Some(enc) = content_type.and_then(charset_param).and_then(|l| label(&l)) {
        return enc;
    }
    let head = &body[..body.len().min(4096)];
    if let Some(enc) = meta_charset(head).and_then(|l| label(&l)) {
        return enc;
    }
    if body.windows(2).any(|w| w == b"\x1b$") {
        return encoding_rs::ISO_2022_JP;
    }
    if std::str::from_utf8(body).is_ok() {
        return encoding_rs::UTF_8;
    }
    encoding_rs::SHIFT_JIS
}

fn label(l: &str) -> Option<&'static Encoding> {
    let l = l.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
    let l = match l.as_str() {
        "shift-jis" | "x-sjis-docomo" | "x-sjis-kddi" | "x-sjis-softbank" | "sjis-win"
        | "cp932" | "ms932" => "shift_jis",
        "x-utf8-docomo" | "x-utf8-kddi" | "x-utf8-softbank" | "utf8" => "utf-8",
        "eucjp-win" | "euc-jp-ms" | "x-euc-jp" => "euc-jp",
        other => other,
    };
    Encoding::for_label(l.as_bytes())
}

fn charset_param(ct: &str) -> Option<String> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// `charset` from `<meta charset>` / `<meta http-equiv content="…charset=…">`, or the XML
/// declaration's `encoding`.
fn meta_charset(head: &[u8]) -> Option<String> {
    let text: String = head
        .iter()
        .map(|&b| if b.is_ascii() { char::from(b.to_ascii_lowercase()) } else { ' ' })
        .collect();
    let mut from = 0;
    while let Some(at) = text[from..].find("<meta") {
        let start = from + at;
        let end = text[start..].find('>').map_or(text.len(), |e| start + e);
        let tag = &text[start..end];
        if let Some(c) = tag.find("charset") {
            let rest = tag[c + "charset".len()..].trim_start();
            if let Some(v) = rest.strip_prefix('=') {
                let v = v.trim_start().trim_start_matches(['"', '\'']);
                let value: String = v
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
                    .collect();
                if !value.is_empty() {
                    return Some(value);
                }
            }
        }
        from = end;
    }
    let decl = text.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let v = decl[at + "encoding".len()..].trim_start().strip_prefix('=')?.trim_start();
    let v = v.trim_start_matches(['"', '\'']);
    Some(
        v.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
            .collect(),
    )
}

/// Decodes the page with carrier emoji to UTF-8 with Unicode emoji; returns the text and the
/// encoding's name.
pub fn decode_page(
    body: &[u8],
    content_type: Option<&str>,
    carrier: Carrier,
) -> (String, &'static str) {
    let enc = detect_charset(content_type, body);
    let body = match Encoding::for_bom(body) {
        Some((_, n)) => &body[n..],
        None => body,
    };
    let text = if enc == encoding_rs::SHIFT_JIS {
        ashiato_charset::decode_form_bytes(body, InputCharset::ShiftJis, carrier)
    } else if enc == encoding_rs::UTF_8 {
        ashiato_charset::decode_form_bytes(body, InputCharset::Utf8, carrier)
    } else if enc == encoding_rs::ISO_2022_JP {
        ashiato_charset::decode_mail_text(body, "iso-2022-jp", carrier)
    } else {
        let (t, _) = enc.decode_without_bom_handling(body);
        ashiato_charset::decode_form_bytes(t.as_bytes(), InputCharset::Utf8, Carrier::Other)
    };
    (decode_emoji_refs(&text, carrier), enc.name())
}

/// Numeric character references to carrier emoji (`&#63647;` = docomo Shift_JIS F89F,
/// `&#xE63E;` = docomo private use) → the Unicode emoji. Other references stay.
fn decode_emoji_refs(s: &str, carrier: Carrier) -> String {
    if !s.contains("&#") {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let (hex, digits_from) = match after.as_bytes().first() {
            Some(b'x' | b'X') => (true, 1),
            _ => (false, 0),
        };
        let digits: String = after[digits_from..]
            .chars()
            .take_while(|c| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() })
            .take(8)
            .collect();
        let end = digits_from + digits.len();
        let value = u32::from_str_radix(&digits, if hex { 16 } else { 10 }).ok();
        let replaced = if after[end..].starts_with(';') {
            value.and_then(|v| emoji_for(v, carrier))
        } else {
            None
        };
        match replaced {
            Some(e) => {
                out.push_str(&e);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn emoji_for(v: u32, carrier: Carrier) -> Option<String> {
    let geta = |s: &str| s.contains('\u{3013}') || s.contains('\u{FFFD}') || s.is_empty();
    if (0xF340..=0xF9FC).contains(&v) && matches!(carrier, Carrier::Docomo | Carrier::Au) {
        let code = u16::try_from(v).ok()?;
        let s = ashiato_charset::decode_form_bytes(
            &code.to_be_bytes(),
            InputCharset::ShiftJis,
            carrier,
        );
        if !geta(&s) {
            return Some(s);
        }
    }
    if (0xE000..=0xF8FF).contains(&v) {
        let c = char::from_u32(v)?;
        let s = ashiato_charset::decode_form_bytes(
            c.to_string().as_bytes(),
            InputCharset::Utf8,
            carrier,
        );
        if !geta(&s) {
            return Some(s);
        }
    }
    None
}

/// Schemes whose links are always removed (never pseudo links).
const FORBIDDEN_SCHEMES: &[&str] = &[
    "mailto",
    "tel",
    "javascript",
    "vbscript",
    "data",
    "file",
    "ftp",
    "sms",
    "smsto",
    "mms",
    "device",
    "location",
    "docomo",
    "tel-av",
    "vnd.up",
    "about",
    "blob",
];

/// Attributes removed wherever they appear: subscriber serial and location requests, i-appli
/// and download launches, the old image-map hooks we cannot proxy.
const DROPPED_ATTRIBUTES: &[&str] = &[
    "utn",
    "lcs",
    "ijam",
    "ista",
    "ilet",
    "iswf",
    "irst",
    "lowsrc",
    "background",
    "dynsrc",
    "formaction",
    "ping",
    "srcset",
    "target",
];

/// Elements kept (attributes filtered): what cHTML, i-XHTML and XHTML-MP pages use.
const ALLOWED_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "area",
    "b",
    "big",
    "blink",
    "blockquote",
    "br",
    "button",
    "caption",
    "center",
    "cite",
    "code",
    "dd",
    "del",
    "dfn",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "fieldset",
    "font",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "map",
    "marquee",
    "menu",
    "nobr",
    "ol",
    "optgroup",
    "option",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "select",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Attributes that hold URLs a browser fetches or follows.
const URL_ATTRIBUTES: &[&str] = &[
    "src",
    "href",
    "action",
    "data",
    "poster",
    "codebase",
    "archive",
    "manifest",
    "background",
    "lowsrc",
    "dynsrc",
    "formaction",
    "longdesc",
    "profile",
    "classid",
    "icon",
    "xlink:href",
];

fn valid_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

/// Decodes the character references of a raw attribute value (lol_html hands values over as
/// written): `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#NN;`, `&#xHH;`. Other named
/// references stay as written (they do not occur in URLs in practice).
fn decode_refs(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let v = match num.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    Some(char::from_u32(v).filter(|c| *c != '\0').unwrap_or('\u{FFFD}'))
                }
            }
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A value for `set_attribute`, which writes it as given (only `"` is escaped by lol_html):
/// `&`, `<`, `>` become references, as XHTML handsets need.
fn attr_value(decoded: &str) -> String {
    decoded.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The decoded value of an attribute.
fn attr(el: &Element<'_, '_>, name: &str) -> Option<String> {
    el.get_attribute(name).map(|v| decode_refs(&v))
}

enum LinkDecision {
    Keep(String),
    Proxy(String),
    Drop,
}

struct Ctx<'o, 'a> {
    opts: &'o RewriteOptions<'a>,
    base: RefCell<Url>,
    title: RefCell<Option<String>>,
    body_attrs: RefCell<Vec<(String, String)>>,
    stats: RefCell<RewriteStats>,
}

fn scheme_of(s: &str) -> Option<String> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}

/// Control characters and spaces browsers ignore inside URLs (`java\tscript:`).
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() && !c.is_whitespace()).collect()
}

impl Ctx<'_, '_> {
    fn resolve(&self, raw: &str) -> Option<Url> {
        self.base.borrow().join(raw.trim()).ok()
    }

    fn on_app_host(&self, u: &Url) -> bool {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some_and(|h| host_registered(h, self.opts.app_hosts))
    }

    fn pseudo(&self, raw: &str, scheme: &str) -> Option<PseudoLink> {
        let rest = raw.trim()[scheme.len() + 1..].trim_start_matches('/');
        let (action, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut params = Vec::new();
        let mut callback = None;
        for (k, v) in crate::oauth::parse_form(query.as_bytes()) {
            let k = String::from_utf8_lossy(&k).into_owned();
            let v = String::from_utf8_lossy(&v).into_owned();
            if k == "callback" {
                callback = self.resolve(&v).filter(|u| self.on_app_host(u));
            } else {
                params.push((k, v));
            }
        }
        let action = action.trim().to_ascii_lowercase();
        if action.is_empty()
            || !action.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return None;
        }
        Some(PseudoLink { scheme: scheme.to_owned(), action, params, callback })
    }

    fn decide(&self, raw: &str) -> LinkDecision {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') {
            return LinkDecision::Keep(trimmed.to_owned());
        }
        let squashed = squash(trimmed);
        if let Some(scheme) = scheme_of(&squashed)
            && scheme != "http"
            && scheme != "https"
        {
            if FORBIDDEN_SCHEMES.contains(&scheme.as_str()) {
                return LinkDecision::Drop;
            }
            return match self.pseudo(trimmed, &scheme).and_then(|p| (self.opts.pseudo_link)(&p)) {
                Some(link) => LinkDecision::Proxy(link.href()),
                None => LinkDecision::Drop,
            };
        }
        match self.wrapped_target(trimmed).or_else(|| self.resolve(trimmed)) {
            Some(u) if self.on_app_host(&u) => {
                LinkDecision::Proxy((self.opts.proxy_link)(&u).href())
            }
            _ => LinkDecision::Drop,
        }
    }

    /// Apps written for mixi/GREE/Mobage (opensocial-wap) write their links already in the
    /// container's form, relative: `?guid=ON&url=<escaped absolute URL>`. The target is that
    /// `url`.
    fn wrapped_target(&self, href: &str) -> Option<Url> {
        let query = href.strip_prefix('?')?;
        let raw =
            crate::oauth::parse_form(query.as_bytes()).into_iter().find(|(k, _)| k == b"url")?.1;
        let u = Url::parse(std::str::from_utf8(&raw).ok()?.trim()).ok()?;
        self.on_app_host(&u).then_some(u)
    }

    fn strip_attributes(&self, el: &mut Element<'_, '_>) {
        let names: Vec<(String, String)> =
            el.attributes().iter().map(|a| (a.name(), a.value())).collect();
        for (name, value) in names {
            let v = squash(&decode_refs(&value)).to_ascii_lowercase();
            let bad_value = v.starts_with("javascript:")
                || v.starts_with("vbscript:")
                || v.starts_with("data:");
            let bad_style = name == "style"
                && (v.contains("url(")
                    || v.contains("expression")
                    || v.contains("javascript:")
                    || v.contains("behavior")
                    || v.contains("@import"));
            if value.contains(['<', '>']) && el.has_attribute(&name) {
                // Legal in HTML (`value="次へ>>"`), but keitai browsers' tokenisers are old:
                // write them as references (the raw value's own references stay as they are).
                let _ = el.set_attribute(&name, &value.replace('<', "&lt;").replace('>', "&gt;"));
            }
            if !valid_attribute_name(&name)
                || name.starts_with("on")
                || DROPPED_ATTRIBUTES.contains(&name.as_str())
                || bad_value
                || bad_style
                || name.contains(':') && name.starts_with("xlink")
            {
                el.remove_attribute(&name);
                self.stats.borrow_mut().attributes_removed += 1;
            }
        }
    }

    /// Duplicate attributes: browsers use the first, some keitai browsers may not, and XHTML
    /// forbids them; keep the first only.
    fn dedupe_attributes(el: &mut Element<'_, '_>) {
        let attrs: Vec<(String, String)> =
            el.attributes().iter().map(|a| (a.name(), a.value())).collect();
        for (i, (name, value)) in attrs.iter().enumerate() {
            if attrs[..i].iter().any(|(n, _)| n == name)
                || !attrs[i + 1..].iter().any(|(n, _)| n == name)
            {
                continue;
            }
            for _ in 0..attrs.len() {
                if !el.has_attribute(name) {
                    break;
                }
                el.remove_attribute(name);
            }
            let _ = el.set_attribute(name, value);
        }
    }

    fn element(&self, el: &mut Element<'_, '_>) {
        if el.attributes().iter().any(|a| !valid_attribute_name(&a.name())) {
            // `<img ="x" "<b>`: lol_html cannot remove such attributes and old keitai browsers
            // tokenise them their own way. Drop the tag, keep the content.
            el.remove_and_keep_content();
            self.stats.borrow_mut().elements_removed += 1;
            return;
        }
        Self::dedupe_attributes(el);
        let tag = el.tag_name();
        match tag.as_str() {
            // Raw-text elements (`noscript`, `xmp`, `plaintext`, `noembed`, `noframes`) go
            // whole: their content was not parsed as markup, so unwrapping it would let
            // unfiltered tags through.
            "script" | "style" | "iframe" | "frame" | "frameset" | "embed" | "applet"
            | "template" | "link" | "title" | "svg" | "math" | "param" | "noscript" | "xmp"
            | "plaintext" | "noembed" | "noframes" => {
                el.remove();
                self.stats.borrow_mut().elements_removed += 1;
                return;
            }
            "object" => {
                // Fallback content inside stays.
                el.remove_and_keep_content();
                self.stats.borrow_mut().elements_removed += 1;
                return;
            }
            "meta" => {
                el.remove();
                return;
            }
            "base" => {
                if let Some(h) = attr(el, "href")
                    && let Some(u) =
                        self.resolve(&h).filter(|u| matches!(u.scheme(), "http" | "https"))
                {
                    *self.base.borrow_mut() = u;
                }
                el.remove();
                return;
            }
            "html" | "head" => {
                el.remove_and_keep_content();
                return;
            }
            "body" => {
                let keep: Vec<(String, String)> = el
                    .attributes()
                    .iter()
                    .filter(|a| {
                        matches!(a.name().as_str(), "bgcolor" | "text" | "link" | "alink" | "vlink")
                    })
                    .map(|a| (a.name(), a.value()))
                    .filter(|(_, v)| {
                        v.len() <= 32 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '#')
                    })
                    .collect();
                *self.body_attrs.borrow_mut() = keep;
                el.remove_and_keep_content();
                return;
            }
            t if !ALLOWED_ELEMENTS.contains(&t) => {
                // Unknown or exotic elements (`video`, `svg:*`, `javascript:<x`) go; their
                // content stays.
                el.remove_and_keep_content();
                self.stats.borrow_mut().elements_removed += 1;
                return;
            }
            _ => {}
        }
        // URL attributes first (a `javascript:` href decides the link's fate), then the rest.
        match tag.as_str() {
            "a" | "area" => self.link(el),
            "form" => self.form(el),
            "img" => self.image(el, false),
            "input"
                if el.get_attribute("type").is_some_and(|t| t.eq_ignore_ascii_case("image")) =>
            {
                self.image(el, true);
            }
            _ => {}
        }
        if !el.removed() {
            // A URL the handset would fetch or follow from any other attribute (`video src`,
            // `source src`, `bgsound src`, `td background`) would leak the URL session token
            // through Referer: only the one URL attribute each kept element was rewritten for
            // survives.
            let own = match tag.as_str() {
                "a" | "area" => "href",
                "form" => "action",
                "img" | "input" => "src",
                _ => "",
            };
            for name in URL_ATTRIBUTES {
                if *name != own && el.has_attribute(name) {
                    el.remove_attribute(name);
                    self.stats.borrow_mut().attributes_removed += 1;
                }
            }
            if tag == "input"
                && el.get_attribute("type").is_none_or(|t| !t.eq_ignore_ascii_case("image"))
            {
                el.remove_attribute("src");
            }
            self.strip_attributes(el);
        }
    }

    fn link(&self, el: &mut Element<'_, '_>) {
        let Some(href) = attr(el, "href") else { return };
        match self.decide(&href) {
            LinkDecision::Keep(h) => {
                let _ = el.set_attribute("href", &attr_value(&h));
            }
            LinkDecision::Proxy(h) => {
                let _ = el.set_attribute("href", &attr_value(&h));
                self.stats.borrow_mut().links_proxied += 1;
            }
            LinkDecision::Drop => {
                if el.tag_name() == "area" {
                    el.remove();
                } else {
                    el.remove_and_keep_content();
                }
                self.stats.borrow_mut().links_removed += 1;
            }
        }
    }

    fn form(&self, el: &mut Element<'_, '_>) {
        let action = attr(el, "action").unwrap_or_default();
        let get = el.get_attribute("method").is_none_or(|m| !m.trim().eq_ignore_ascii_case("post"));
        let trimmed = action.trim();
        let decision = if trimmed.is_empty() {
            // The current page.
            let page = self.base.borrow().clone();
            if self.on_app_host(&page) { Some((self.opts.proxy_link)(&page)) } else { None }
        } else if let Some(scheme) =
            scheme_of(&squash(trimmed)).filter(|s| s != "http" && s != "https")
        {
            if FORBIDDEN_SCHEMES.contains(&scheme.as_str()) {
                None
            } else {
                self.pseudo(trimmed, &scheme).and_then(|p| (self.opts.pseudo_link)(&p))
            }
        } else {
            self.wrapped_target(trimmed)
                .or_else(|| self.resolve(trimmed))
                .filter(|u| self.on_app_host(u))
                .map(|u| {
                    // A GET form replaces the action's query with its fields: drop it from the
                    // target (the browser would) before building the proxy link.
                    let mut u = u;
                    if get {
                        u.set_query(None);
                    }
                    (self.opts.proxy_link)(&u)
                })
        };
        match decision {
            Some(link) => {
                self.stats.borrow_mut().links_proxied += 1;
                // The form's content goes inside a div: XHTML Basic and XHTML-MP allow only
                // block elements directly in a form, and apps (like most keitai pages) put
                // their inputs there bare.
                let mut open = String::from("<div>");
                if get {
                    let _ = el.set_attribute("action", &attr_value(&link.path));
                    for (k, v) in &link.params {
                        open.push_str("<input type=\"hidden\" name=\"");
                        crate::xml::escape_attr_into(k, &mut open);
                        open.push_str("\" value=\"");
                        crate::xml::escape_attr_into(v, &mut open);
                        open.push_str("\" />");
                    }
                } else {
                    let _ = el.set_attribute("action", &attr_value(&link.href()));
                }
                el.prepend(&open, ContentType::Html);
                el.append("</div>", ContentType::Html);
            }
            None => {
                el.remove_and_keep_content();
                self.stats.borrow_mut().links_removed += 1;
            }
        }
    }

    fn image(&self, el: &mut Element<'_, '_>, input: bool) {
        let alt = attr(el, "alt").unwrap_or_default();
        if !input
            && el.get_attribute("src").is_none()
            && let Some(n) = el.get_attribute("localsrc").and_then(|n| n.trim().parse::<u16>().ok())
        {
            // au icon: the Unicode emoji (re-encoded per handset by the lead).
            let e = ashiato_charset::emoji::all().find(|e| e.au_icon() == Some(n));
            let text = e.and_then(|e| e.unicode().or(e.text_fallback())).unwrap_or(&alt);
            let mut escaped = String::new();
            crate::xml::escape_text_into(text, &mut escaped);
            el.replace(&escaped, ContentType::Html);
            return;
        }
        let target = attr(el, "src").and_then(|s| self.resolve(&s)).filter(|u| self.on_app_host(u));
        match target.and_then(|u| (self.opts.image_link)(&u)) {
            Some(src) => {
                let _ = el.set_attribute("src", &attr_value(&src));
                el.remove_attribute("localsrc");
                self.stats.borrow_mut().images_proxied += 1;
            }
            None => {
                self.stats.borrow_mut().images_removed += 1;
                if input {
                    let _ = el.set_attribute("type", "submit");
                    el.remove_attribute("src");
                    if el.get_attribute("value").is_none() {
                        let _ = el.set_attribute("value", &attr_value(&alt));
                    }
                } else {
                    let mut escaped = String::new();
                    crate::xml::escape_text_into(&alt, &mut escaped);
                    el.replace(&escaped, ContentType::Html);
                }
            }
        }
    }
}

/// Whether a content type is rewritten: `text/html`, `application/xhtml+xml`, `*/xml`,
/// `application/*+xml` and `text/x-hdml`; a missing type counts as HTML.
fn rewritable(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime.is_empty()
        || mime == "text/html"
        || mime == "application/xhtml+xml"
        || mime == "application/vnd.wap.xhtml+xml"
        || mime.ends_with("/xml")
        || mime.ends_with("+xml")
}

/// Rewrites an app's page for the handset (see the module docs).
///
/// # Errors
/// [`ProxyError::NotHtml`] for other content types, [`ProxyError::TooLarge`] past the input
/// or output cap, [`ProxyError::Rewrite`] if the HTML rewriter gives up (memory limit).
pub fn rewrite(
    html: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
    opts: &RewriteOptions<'_>,
) -> Result<Rewritten, ProxyError> {
    if !rewritable(content_type) {
        return Err(ProxyError::NotHtml(content_type.unwrap_or("").to_owned()));
    }
    if html.len() > opts.max_input_bytes {
        return Err(ProxyError::TooLarge(opts.max_input_bytes));
    }
    let (text, charset) = decode_page(html, content_type, opts.emoji_carrier);
    let text = strip_xml_declaration(&text);
    let ctx = Ctx {
        opts,
        base: RefCell::new(page_url.clone()),
        title: RefCell::new(None),
        body_attrs: RefCell::new(Vec::new()),
        stats: RefCell::new(RewriteStats::default()),
    };
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let overflow = RefCell::new(false);
    {
        let settings = Settings::new()
            .append_element_content_handler(text!("title", |t| {
                let mut title = ctx.title.borrow_mut();
                let s = title.get_or_insert_with(String::new);
                if s.len() < 1024 {
                    s.push_str(t.as_str());
                }
                Ok(())
            }))
            .append_element_content_handler(element!("*", |el| {
                if !el.removed() {
                    ctx.element(el);
                }
                Ok(())
            }))
            .append_document_content_handler(doc_comments!(|c| {
                c.remove();
                Ok(())
            }))
            .append_document_content_handler(lol_html::doctype!(|d| {
                d.remove();
                Ok(())
            }))
            .append_document_content_handler(doc_text!(|t| {
                crate::model::escape_stray_brackets(t.as_mut_str());
                Ok(())
            }))
            .with_memory_settings(MemorySettings::new().with_max_allowed_memory_usage(
                opts.max_input_bytes.saturating_mul(4).max(1 << 20),
            ));
        let max_out = opts.max_output_bytes;
        let mut rewriter = HtmlRewriter::new(settings, |chunk: &[u8]| {
            if out.len() + chunk.len() > max_out {
                *overflow.borrow_mut() = true;
            } else {
                out.extend_from_slice(chunk);
            }
        });
        rewriter.write(text.as_bytes()).map_err(|e| ProxyError::Rewrite(e.to_string()))?;
        rewriter.end().map_err(|e| ProxyError::Rewrite(e.to_string()))?;
    }
    if overflow.into_inner() {
        return Err(ProxyError::TooLarge(opts.max_output_bytes));
    }
    let body = clean_end_tags(&close_dangling_markup(String::from_utf8_lossy(&out).trim()));
    let title = ctx.title.into_inner().map(|t| html_unescape_basic(t.trim()));
    Ok(Rewritten {
        body,
        title,
        charset,
        body_attributes: ctx.body_attrs.into_inner(),
        stats: ctx.stats.into_inner(),
    })
}

/// The HTML parser passes an unterminated tag or comment at the end of the input through
/// unparsed (`<img src="`, `<!-- x`); the container appends its footer right after, which
/// would then become part of that tag, and whatever follows inside it was never filtered. So
/// from the start of such a tail on, every `<` and `>` is escaped: it is all text.
fn close_dangling_markup(body: &str) -> String {
    let mut out = body.to_owned();
    // Comments were all removed, so any `<!--` left is unterminated (likewise `<![CDATA[`).
    let comment = ["<!--", "<![CDATA["].iter().filter_map(|o| out.find(o)).min();
    let tail = match (comment, open_tag_at_end(&out, 0)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(at) = tail {
        let escaped = out[at..].replace('<', "&lt;").replace('>', "&gt;");
        out.truncate(at);
        out.push_str(&escaped);
    }
    out
}

/// Where the tag left open at the end of `s[from..]` starts, if one is: the HTML tokenizer's
/// tag states (WHATWG HTML §13.2.5), enough to know whether a `<` that opened a tag has been
/// closed by a `>` outside attribute values.
fn open_tag_at_end(s: &str, from: usize) -> Option<usize> {
    scan_tags(s, from).1
}

/// Spans `(start, end)` of the end tags in `s[from..]` (`</…>`, end exclusive), and where a
/// tag left open at the end starts.
fn scan_tags(s: &str, from: usize) -> (Vec<(usize, usize)>, Option<usize>) {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum St {
        Data,
        TagOpen,
        EndTagOpen,
        TagName,
        BeforeAttrName,
        AttrName,
        AfterAttrName,
        BeforeAttrValue,
        DoubleQuoted,
        SingleQuoted,
        Unquoted,
        AfterQuoted,
        SelfClosing,
        Bogus,
    }
    let bytes = s.as_bytes();
    let mut st = St::Data;
    let mut start = 0;
    let mut end_tag = false;
    let mut end_tags = Vec::new();
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        let ws = matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
        let mut advance = true;
        st = match st {
            St::Data => {
                if b == b'<' {
                    start = i;
                    end_tag = false;
                    St::TagOpen
                } else {
                    St::Data
                }
            }
            St::TagOpen => match b {
                b'!' | b'?' => St::Bogus,
                b'/' => {
                    end_tag = true;
                    St::EndTagOpen
                }
                _ if b.is_ascii_alphabetic() => St::TagName,
                _ => {
                    advance = false;
                    St::Data
                }
            },
            St::EndTagOpen => match b {
                _ if b.is_ascii_alphabetic() => St::TagName,
                b'>' => St::Data,
                _ => St::Bogus,
            },
            St::TagName => match b {
                _ if ws => St::BeforeAttrName,
                b'/' => St::SelfClosing,
                b'>' => St::Data,
                _ => St::TagName,
            },
            St::BeforeAttrName => match b {
                _ if ws => St::BeforeAttrName,
                b'/' | b'>' => {
                    advance = false;
                    St::AfterAttrName
                }
                _ => St::AttrName,
            },
            St::AttrName => match b {
                _ if ws || b == b'/' || b == b'>' => {
                    advance = false;
                    St::AfterAttrName
                }
                b'=' => St::BeforeAttrValue,
                _ => St::AttrName,
            },
            St::AfterAttrName => match b {
                _ if ws => St::AfterAttrName,
                b'/' => St::SelfClosing,
                b'=' => St::BeforeAttrValue,
                b'>' => St::Data,
                _ => {
                    advance = false;
                    St::AttrName
                }
            },
            St::BeforeAttrValue => match b {
                _ if ws => St::BeforeAttrValue,
                b'"' => St::DoubleQuoted,
                b'\'' => St::SingleQuoted,
                b'>' => St::Data,
                _ => {
                    advance = false;
                    St::Unquoted
                }
            },
            St::DoubleQuoted => {
                if b == b'"' {
                    St::AfterQuoted
                } else {
                    St::DoubleQuoted
                }
            }
            St::SingleQuoted => {
                if b == b'\'' {
                    St::AfterQuoted
                } else {
                    St::SingleQuoted
                }
            }
            St::Unquoted => match b {
                _ if ws => St::BeforeAttrName,
                b'>' => St::Data,
                _ => St::Unquoted,
            },
            St::AfterQuoted => match b {
                _ if ws => St::BeforeAttrName,
                b'/' => St::SelfClosing,
                b'>' => St::Data,
                _ => {
                    advance = false;
                    St::BeforeAttrName
                }
            },
            St::SelfClosing => match b {
                b'>' => St::Data,
                _ => {
                    advance = false;
                    St::BeforeAttrName
                }
            },
            St::Bogus => {
                if b == b'>' {
                    St::Data
                } else {
                    St::Bogus
                }
            }
        };
        if advance {
            i += 1;
            if st == St::Data && end_tag && b == b'>' {
                end_tags.push((start, i));
                end_tag = false;
            }
        }
    }
    (end_tags, (st != St::Data).then_some(start))
}

/// End tags are passed through unparsed by lol_html; browsers ignore attributes on them, old
/// keitai browsers may not. Keep `</name>` for plain names (attributes dropped), drop the rest.
fn clean_end_tags(body: &str) -> String {
    let (spans, _) = scan_tags(body, 0);
    if spans.is_empty() {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len());
    let mut last = 0;
    for (start, end) in spans {
        out.push_str(&body[last..start]);
        let inner = &body[start + 2..end - 1];
        let inner = inner.split(|c: char| c.is_ascii_whitespace() || c == '/').next().unwrap_or("");
        if !inner.is_empty()
            && inner.bytes().all(|b| b.is_ascii_alphanumeric())
            && inner.as_bytes()[0].is_ascii_alphabetic()
        {
            out.push_str("</");
            out.push_str(inner);
            out.push('>');
        }
        last = end;
    }
    out.push_str(&body[last..]);
    out
}

/// The XML declaration (and anything before it that is whitespace) is dropped: lol_html would
/// treat it as a bogus comment anyway, and the container writes its own.
fn strip_xml_declaration(s: &str) -> &str {
    let t = s.trim_start();
    if t.starts_with("<?xml")
        && let Some(end) = t.find("?>")
    {
        return &t[end + 2..];
    }
    s
}

/// Title text comes raw from the source: resolve the five XML entities so the lead can
/// escape it once.
fn html_unescape_basic(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_in_attribute_values() {
        assert_eq!(decode_refs("a?x=1&amp;y=2&lt;&#106;&#x61;&bogus;&"), "a?x=1&y=2<ja&bogus;&");
        assert_eq!(decode_refs("&#0;&#xD800;"), "\u{FFFD}\u{FFFD}");
        assert_eq!(attr_value("/a?b=1&c=<2>"), "/a?b=1&amp;c=&lt;2&gt;");
    }

    #[test]
    fn dangling_tails_are_escaped() {
        let s = "<img src=\"<img src=\"<img src=\"<img src=\"<p \"<img src=\"'</a>";
        assert_eq!(open_tag_at_end(s, 0), Some(0));
        assert_eq!(close_dangling_markup("ok<b>x</b><img src=\"a"), "ok<b>x</b>&lt;img src=\"a");
        assert_eq!(close_dangling_markup("<p title=\"a>b\">x</p>"), "<p title=\"a>b\">x</p>");
        assert_eq!(close_dangling_markup("a<!-- x > <b>"), "a&lt;!-- x &gt; &lt;b&gt;");
        assert_eq!(
            clean_end_tags("<b>x</b ><i>y</i a=\"1\"></a<b href=\"x\"></p"),
            "<b>x</b><i>y</i></p"
        );
    }
}

//! Gadget XML (`opensocial.md` §5): a typed [`Gadget`] from untrusted bytes, under limits.
//!
//! The parser is strict about well-formedness (a gadget that is not well-formed XML is refused,
//! with the line and column of the first error) and lenient about vocabulary: unknown elements
//! and attributes, and anything in another namespace, are skipped. Input is transcoded to UTF-8
//! first (BOM, then the XML declaration's `encoding`, then UTF-8), so Shift_JIS gadgets work.
//!
//! Limits ([`Limits`]) bound the input size, the element depth, the element count and the number
//! of attributes per element; quick-xml ≥ 0.41 is required for its fixes to attribute checks
//! and namespace allocation on hostile input (`rust-style.md`). Entities other than the five
//! predefined ones and character references are refused, so no DTD expansion can happen.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use url::Url;

/// Bounds applied to untrusted gadget XML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes (before transcoding).
    pub max_bytes: usize,
    /// Deepest element nesting (the `Module` element is depth 1).
    pub max_depth: usize,
    /// Most elements in the document.
    pub max_elements: usize,
    /// Most attributes on one element.
    pub max_attributes: usize,
}

impl Default for Limits {
    /// 256 KiB, depth 32, 10 000 elements, 64 attributes per element: an order of magnitude
    /// above real gadgets (mixi and OpenPNE gadgets are a few KiB, depth ≤ 4).
    fn default() -> Self {
        Self { max_bytes: 256 * 1024, max_depth: 32, max_elements: 10_000, max_attributes: 64 }
    }
}

/// What went wrong, without the position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GadgetErrorKind {
    /// The input is larger than [`Limits::max_bytes`].
    #[error("gadget larger than {limit} bytes")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// Elements nest deeper than [`Limits::max_depth`].
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// More elements than [`Limits::max_elements`].
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The limit in force.
        limit: usize,
    },
    /// More attributes on one element than [`Limits::max_attributes`].
    #[error("more than {limit} attributes on one element")]
    TooManyAttributes {
        /// The limit in force.
        limit: usize,
    },
    /// Not well-formed XML (the message comes from the XML reader or from our own checks).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// The encoding named in the XML declaration is unknown.
    #[error("unknown encoding {0:?}")]
    UnknownEncoding(String),
    /// The root element is not `Module`.
    #[error("root element is <{0}>, expected <Module>")]
    NotAGadget(String),
    /// `Module` has no `ModulePrefs`.
    #[error("<Module> has no <ModulePrefs>")]
    NoModulePrefs,
    /// `Module` has no `Content`.
    #[error("<Module> has no <Content>")]
    NoContent,
    /// An attribute value is not what its element allows (e.g. `height="tall"`).
    #[error("attribute {attribute}: {message}")]
    BadAttribute {
        /// Attribute name.
        attribute: String,
        /// What is wrong.
        message: String,
    },
}

/// A refused gadget: what and where (1-based line and column, columns counted in characters).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct GadgetError {
    /// What went wrong.
    pub kind: GadgetErrorKind,
    /// 1-based line of the offending position.
    pub line: usize,
    /// 1-based column (in characters) of the offending position.
    pub column: usize,
}

/// A parsed gadget spec.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gadget {
    /// `Module@specificationVersion`.
    pub specification_version: Option<String>,
    /// `ModulePrefs`.
    pub prefs: ModulePrefs,
    /// `UserPref` elements in document order.
    pub user_prefs: Vec<UserPref>,
    /// `Content` elements in document order.
    pub contents: Vec<Content>,
}

/// `ModulePrefs`: metadata, features, links, locales.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModulePrefs {
    /// `@title`.
    pub title: Option<String>,
    /// `@title_url`.
    pub title_url: Option<String>,
    /// `@description`.
    pub description: Option<String>,
    /// `@author`.
    pub author: Option<String>,
    /// `@author_email`.
    pub author_email: Option<String>,
    /// `@screenshot`.
    pub screenshot: Option<String>,
    /// `@thumbnail`.
    pub thumbnail: Option<String>,
    /// `@height` in pixels.
    pub height: Option<u32>,
    /// `@width` in pixels.
    pub width: Option<u32>,
    /// Other attributes (`author_affiliation`, `directory_title`, …), in document order.
    pub other: Vec<(String, String)>,
    /// `Require` and `Optional` elements in document order.
    pub features: Vec<Feature>,
    /// `Preload` elements.
    pub preloads: Vec<Preload>,
    /// `Icon` elements.
    pub icons: Vec<Icon>,
    /// `Locale` elements.
    pub locales: Vec<Locale>,
    /// `Link` elements (help, support, icons, lifecycle events).
    pub links: Vec<Link>,
}

/// `Require` or `Optional`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Feature {
    /// `@feature`, e.g. `opensocial-0.8`, `views`, `dynamic-height`.
    pub name: String,
    /// `@version`.
    pub version: Option<String>,
    /// `@views` split on commas (empty = all views).
    pub views: Vec<String>,
    /// `true` for `Require`, `false` for `Optional`.
    pub required: bool,
    /// `Param` children: `(@name, text)`.
    pub params: Vec<(String, String)>,
}

/// How a preload or proxied content request is authorised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Authz {
    /// `none` (the default).
    #[default]
    None,
    /// `signed`: OAuth-signed by the container.
    Signed,
    /// `oauth`: three-legged OAuth.
    OAuth,
}

/// `Preload`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preload {
    /// `@href`.
    pub href: String,
    /// `@authz`.
    pub authz: Authz,
    /// `@sign_owner` (default true).
    pub sign_owner: bool,
    /// `@sign_viewer` (default true).
    pub sign_viewer: bool,
    /// `@views` split on commas.
    pub views: Vec<String>,
}

/// `Icon` (deprecated; `Link rel="icon"` replaces it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Icon {
    /// `@mode` (`base64` for inline data).
    pub mode: Option<String>,
    /// `@type` (MIME type).
    pub mime_type: Option<String>,
    /// Text: a URL, or base64 data.
    pub value: String,
}

/// `Locale` with its inline message bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Locale {
    /// `@lang` (absent = all languages).
    pub lang: Option<String>,
    /// `@country` (absent = all countries).
    pub country: Option<String>,
    /// `@messages`: URL of an external bundle.
    pub messages: Option<String>,
    /// `@language_direction` (`ltr` or `rtl`).
    pub language_direction: Option<String>,
    /// Inline `msg` elements: `(@name, text)`.
    pub msgs: Vec<(String, String)>,
}

/// `Link`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// `@rel`: `icon`, `gadgets.help`, `gadgets.support`, `opensocial.event`, `event`,
    /// `event.addapp`, `event.removeapp`, `event.app`, …
    pub rel: String,
    /// `@href`.
    pub href: String,
    /// `@method` (`GET` or `POST`), upper-cased.
    pub method: Option<String>,
}

impl Link {
    /// Whether this is a lifecycle-event link (`event`, `event.*`, `opensocial.event`).
    pub fn is_lifecycle(&self) -> bool {
        let rel = self.rel.as_str();
        rel == "event" || rel.starts_with("event.") || rel == "opensocial.event"
    }

    /// Whether this link receives events of `event_type` (`addapp`, `removeapp`, `app`):
    /// `event.<type>` exactly, or a catch-all `event` / `opensocial.event`.
    pub fn receives(&self, event_type: &str) -> bool {
        match self.rel.strip_prefix("event.") {
            Some(t) => t == event_type,
            None => self.rel == "event" || self.rel == "opensocial.event",
        }
    }
}

/// `UserPref@datatype`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DataType {
    /// `string` (the default).
    #[default]
    String,
    /// `hidden`.
    Hidden,
    /// `bool`.
    Bool,
    /// `enum`.
    Enum,
    /// `list` (pipe-separated).
    List,
    /// `number`.
    Number,
    /// Anything else, kept as written.
    Other(String),
}

/// `UserPref`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserPref {
    /// `@name`.
    pub name: String,
    /// `@display_name`.
    pub display_name: Option<String>,
    /// `@default_value`.
    pub default_value: Option<String>,
    /// `@required`.
    pub required: bool,
    /// `@datatype`.
    pub datatype: DataType,
    /// `EnumValue` children.
    pub enum_values: Vec<EnumValue>,
}

/// `EnumValue`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnumValue {
    /// `@value`.
    pub value: String,
    /// `@display_value` (defaults to the value when shown).
    pub display_value: Option<String>,
}

/// `Content@type`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ContentType {
    /// `html` (the default): inline markup, or proxied content with `@href`.
    #[default]
    Html,
    /// `url`: the container sends the browser to `@href` (OpenPNE's keitai start URL).
    Url,
    /// `wap` (OpenSocial WAP extension): `@href` is the keitai start URL.
    Wap,
    /// Anything else (`html-sanitized`, …), kept as written.
    Other(String),
}

/// `Content`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    /// `@type`.
    pub content_type: ContentType,
    /// `@href`.
    pub href: Option<String>,
    /// `@view` split on commas, trimmed; empty means the `default` view.
    pub views: Vec<String>,
    /// `@preferred_height`.
    pub preferred_height: Option<u32>,
    /// `@preferred_width`.
    pub preferred_width: Option<u32>,
    /// `@authz`.
    pub authz: Authz,
    /// `@sign_owner` (default true).
    pub sign_owner: bool,
    /// `@sign_viewer` (default true).
    pub sign_viewer: bool,
    /// `@refresh_interval` in seconds.
    pub refresh_interval: Option<u32>,
    /// The body (CDATA and text, entities resolved). Markup written as elements instead of
    /// CDATA is not kept (gadget bodies are CDATA by the spec).
    pub body: String,
}

impl Content {
    /// Whether this block belongs to `view` (blocks without `@view` belong to `default`).
    pub fn in_view(&self, view: &str) -> bool {
        if self.views.is_empty() { view == "default" } else { self.views.iter().any(|v| v == view) }
    }
}

impl Gadget {
    /// The `Content` blocks of a view, in document order (`@href` blocks are not concatenated:
    /// use the first one).
    pub fn view(&self, view: &str) -> Vec<&Content> {
        self.contents.iter().filter(|c| c.in_view(view)).collect()
    }

    /// Every view name the gadget declares (`default` for blocks without `@view`), in first
    /// appearance order.
    pub fn view_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for c in &self.contents {
            if c.views.is_empty() && !names.contains(&"default") {
                names.push("default");
            }
            for v in &c.views {
                if !names.contains(&v.as_str()) {
                    names.push(v);
                }
            }
        }
        names
    }

    /// The keitai start URL (`opensocial.md` §5), first match wins:
    /// `Content[@type="wap"]/@href`; then a `mobile`-view `Content` of type `url` or `html`
    /// with `@href` (OpenPNE). Relative hrefs are resolved against `spec_url` when given;
    /// without it a relative href is returned as written. The app registry may override it.
    pub fn mobile_start_url(&self, spec_url: Option<&Url>) -> Option<String> {
        let wap = self.contents.iter().find(|c| c.content_type == ContentType::Wap);
        let mobile = || {
            self.contents.iter().find(|c| {
                c.views.iter().any(|v| v == "mobile")
                    && matches!(c.content_type, ContentType::Url | ContentType::Html)
                    && c.href.is_some()
            })
        };
        let href = wap.and_then(|c| c.href.as_deref()).or_else(|| mobile()?.href.as_deref())?;
        Some(resolve(spec_url, href))
    }

    /// Lifecycle-event links (`Link rel="event…"` / `opensocial.event`).
    pub fn lifecycle_links(&self) -> Vec<&Link> {
        self.prefs.links.iter().filter(|l| l.is_lifecycle()).collect()
    }

    /// The `Require`d features not in `supported`: if any, the gadget must not be rendered
    /// (unsupported `Optional` features do not matter).
    pub fn unsupported_required<'a>(&'a self, supported: &[&str]) -> Vec<&'a str> {
        self.prefs
            .features
            .iter()
            .filter(|f| f.required && !supported.contains(&f.name.as_str()))
            .map(|f| f.name.as_str())
            .collect()
    }

    /// The message bundle for a language and country: inline `msg`s of matching `Locale`s,
    /// most specific last so it wins (all/all, then lang/all, then lang/country).
    pub fn messages(&self, lang: &str, country: &str) -> Vec<(&str, &str)> {
        let matches = |l: &Locale, want_lang: bool, want_country: bool| {
            let lang_ok = match &l.lang {
                None => !want_lang,
                Some(x) => want_lang && x.eq_ignore_ascii_case(lang),
            };
            let country_ok = match &l.country {
                None => !want_country,
                Some(x) => want_country && x.eq_ignore_ascii_case(country),
            };
            lang_ok && country_ok
        };
        let mut out = Vec::new();
        for (want_lang, want_country) in [(false, false), (true, false), (true, true)] {
            for l in self.prefs.locales.iter().filter(|l| matches(l, want_lang, want_country)) {
                out.extend(l.msgs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
        }
        out
    }

    /// Resolves every relative URL in the spec (`title_url`, `screenshot`, `thumbnail`,
    /// `Preload@href`, `Link@href`, `Locale@messages`, `Content@href`) against the spec URL.
    pub fn resolve_urls(&mut self, spec_url: &Url) {
        let fix = |s: &mut String| *s = resolve(Some(spec_url), s);
        let p = &mut self.prefs;
        for s in [&mut p.title_url, &mut p.screenshot, &mut p.thumbnail].into_iter().flatten() {
            fix(s);
        }
        p.preloads.iter_mut().for_each(|x| fix(&mut x.href));
        p.links.iter_mut().for_each(|x| fix(&mut x.href));
        p.locales.iter_mut().filter_map(|l| l.messages.as_mut()).for_each(fix);
        self.contents.iter_mut().filter_map(|c| c.href.as_mut()).for_each(fix);
    }
}

fn resolve(base: Option<&Url>, href: &str) -> String {
    match base.map(|b| b.join(href.trim())) {
        Some(Ok(u)) => u.to_string(),
        _ => href.to_owned(),
    }
}

/// Values for [`substitute`].
#[derive(Clone, Debug, Default)]
pub struct Substitutions<'a> {
    /// Message bundle (`__MSG_name__`), e.g. from [`Gadget::messages`].
    pub msgs: Vec<(&'a str, &'a str)>,
    /// User preference values (`__UP_name__`).
    pub user_prefs: Vec<(&'a str, &'a str)>,
    /// `__MODULE_ID__`.
    pub module_id: &'a str,
    /// Right-to-left language (for `__BIDI_*__`).
    pub rtl: bool,
}

/// Hangman substitution (`__MSG_x__`, `__BIDI_…__`, `__MODULE_ID__`, `__UP_x__`), in that
/// order: messages first so that a message may contain the other kinds. Unknown kinds are left
/// untouched; a known kind with a missing key becomes empty.
pub fn substitute<'a>(text: &str, subs: &Substitutions<'a>) -> String {
    let bidi = |key: &str| -> Option<&str> {
        Some(match (key, subs.rtl) {
            ("START_EDGE", false) | ("END_EDGE", true) => "left",
            ("START_EDGE", true) | ("END_EDGE", false) => "right",
            ("DIR", false) => "ltr",
            ("DIR", true) => "rtl",
            ("REVERSE_DIR", false) => "rtl",
            ("REVERSE_DIR", true) => "ltr",
            _ => "",
        })
    };
    let lookup = |list: &[(&str, &'a str)], key: &str| -> Option<&'a str> {
        Some(list.iter().find(|(k, _)| *k == key).map_or("", |(_, v)| *v))
    };
    let msg = replace_kind(text, "MSG", |k| lookup(&subs.msgs, k));
    let bidi = replace_kind(&msg, "BIDI", bidi);
    let module = bidi.replace("__MODULE_ID__", subs.module_id);
    replace_kind(&module, "UP", |k| lookup(&subs.user_prefs, k))
}

/// Replaces `__KIND_key__` (key: `[A-Za-z0-9_.-]`, not starting or ending with `_`).
fn replace_kind<'s>(text: &str, kind: &str, mut f: impl FnMut(&str) -> Option<&'s str>) -> String {
    let prefix = format!("__{kind}_");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        out.push_str(&rest[..at]);
        let after = &rest[at + prefix.len()..];
        let key_len = after
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
                    || after[i..].starts_with("__")
            })
            .map_or(after.len(), |(i, _)| i);
        let key = &after[..key_len];
        if after[key_len..].starts_with("__")
            && !key.is_empty()
            && let Some(v) = f(key)
        {
            out.push_str(v);
            rest = &after[key_len + 2..];
        } else {
            out.push_str(&prefix);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Parses a gadget spec with the default [`Limits`].
///
/// # Errors
/// [`GadgetError`] with line and column when the input is too large, too deep, not
/// well-formed, or not a gadget (root not `Module`, no `ModulePrefs`, no `Content`).
pub fn parse(xml: &[u8]) -> Result<Gadget, GadgetError> {
    parse_with_limits(xml, &Limits::default())
}

/// Parses a gadget spec under explicit limits.
///
/// # Errors
/// As [`parse`].
pub fn parse_with_limits(xml: &[u8], limits: &Limits) -> Result<Gadget, GadgetError> {
    if xml.len() > limits.max_bytes {
        return Err(GadgetError {
            kind: GadgetErrorKind::TooLarge { limit: limits.max_bytes },
            line: 1,
            column: 1,
        });
    }
    let text = transcode(xml)?;
    Parser { text: &text, limits, gadget: Gadget::default(), stack: Vec::new(), elements: 0 }.run()
}

/// Bytes → UTF-8 text: BOM, then `<?xml encoding="…"?>`, then UTF-8 (invalid UTF-8 refused).
fn transcode(xml: &[u8]) -> Result<Cow<'_, str>, GadgetError> {
    let at_start = |kind| GadgetError { kind, line: 1, column: 1 };
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(xml) {
        let (text, _) = enc.decode_without_bom_handling(&xml[bom..]);
        return Ok(text);
    }
    let label = declared_encoding(xml);
    let enc = match &label {
        Some(l) => encoding_rs::Encoding::for_label(l.as_bytes())
            .ok_or_else(|| at_start(GadgetErrorKind::UnknownEncoding(l.clone())))?,
        None => encoding_rs::UTF_8,
    };
    if enc == encoding_rs::UTF_8 {
        return match std::str::from_utf8(xml) {
            Ok(s) => Ok(Cow::Borrowed(s)),
            Err(e) => {
                let (line, column) = line_col(&String::from_utf8_lossy(xml), e.valid_up_to());
                Err(GadgetError {
                    kind: GadgetErrorKind::Malformed("invalid UTF-8".into()),
                    line,
                    column,
                })
            }
        };
    }
    let (text, _) = enc.decode_without_bom_handling(xml);
    Ok(text)
}

/// The `encoding` pseudo-attribute of a leading XML declaration, if any.
fn declared_encoding(xml: &[u8]) -> Option<String> {
    let head = xml.get(..xml.len().min(200))?;
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = String::from_utf8_lossy(&head[..end]);
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = rest[1..].split(quote).next()?;
    Some(value.trim().to_owned())
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Elements we interpret; everything else is skipped with its subtree's attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Elem {
    Module,
    ModulePrefs,
    Feature,
    Param,
    Preload,
    Icon,
    Locale,
    Msg,
    Link,
    UserPref,
    EnumValue,
    Content,
    Other,
}

struct Parser<'a> {
    text: &'a str,
    limits: &'a Limits,
    gadget: Gadget,
    stack: Vec<(Elem, String)>,
    elements: usize,
}

impl Parser<'_> {
    fn err_at(&self, offset: u64, kind: GadgetErrorKind) -> GadgetError {
        let (line, column) = line_col(self.text, usize::try_from(offset).unwrap_or(usize::MAX));
        GadgetError { kind, line, column }
    }

    fn run(mut self) -> Result<Gadget, GadgetError> {
        let mut reader = quick_xml::Reader::from_str(self.text);
        {
            let config = reader.config_mut();
            config.check_end_names = true;
            config.check_comments = true;
            config.expand_empty_elements = false;
        }
        let mut seen_root = false;
        let mut prefs_seen = false;
        let mut text_buf = String::new();
        loop {
            let pos = reader.buffer_position();
            let event = match reader.read_event() {
                Ok(e) => e,
                Err(e) => {
                    return Err(self.err_at(
                        reader.error_position(),
                        GadgetErrorKind::Malformed(e.to_string()),
                    ));
                }
            };
            match event {
                Event::Start(ref start) | Event::Empty(ref start) => {
                    let empty = matches!(event, Event::Empty(_));
                    let name = start.name().as_ref().to_owned();
                    if self.stack.is_empty() {
                        if seen_root {
                            return Err(self.err_at(
                                pos,
                                GadgetErrorKind::Malformed("more than one root element".into()),
                            ));
                        }
                        seen_root = true;
                        if name != "Module" {
                            return Err(self.err_at(pos, GadgetErrorKind::NotAGadget(name)));
                        }
                    }
                    self.elements += 1;
                    if self.elements > self.limits.max_elements {
                        let limit = self.limits.max_elements;
                        return Err(self.err_at(pos, GadgetErrorKind::TooManyElements { limit }));
                    }
                    if self.stack.len() + 1 > self.limits.max_depth {
                        let limit = self.limits.max_depth;
                        return Err(self.err_at(pos, GadgetErrorKind::TooDeep { limit }));
                    }
                    let attrs = self.attributes(start, pos)?;
                    let parent = self.stack.last().map(|(e, _)| *e);
                    let elem = classify(parent, &name);
                    if elem == Elem::ModulePrefs {
                        prefs_seen = true;
                    }
                    self.open(elem, &name, &attrs).map_err(|kind| self.err_at(pos, kind))?;
                    text_buf.clear();
                    if empty {
                        self.close(elem, "");
                    } else {
                        self.stack.push((elem, name));
                    }
                }
                Event::End(_) => {
                    if let Some((elem, _)) = self.stack.pop() {
                        let text = std::mem::take(&mut text_buf);
                        self.close(elem, &text);
                    }
                }
                Event::Text(t) => {
                    if self.stack.is_empty() {
                        if !t.as_ref().trim().is_empty() {
                            return Err(self.err_at(
                                pos,
                                GadgetErrorKind::Malformed("text outside the root element".into()),
                            ));
                        }
                    } else {
                        text_buf.push_str(&t.xml10_content());
                    }
                }
                Event::CData(c) => {
                    if self.stack.is_empty() {
                        return Err(self.err_at(
                            pos,
                            GadgetErrorKind::Malformed("CDATA outside the root element".into()),
                        ));
                    }
                    text_buf.push_str(&c.xml10_content());
                }
                Event::GeneralRef(r) => {
                    let ch = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => predefined_entity(&r),
                        Err(_) => None,
                    };
                    match ch {
                        Some(c) if !self.stack.is_empty() => text_buf.push(c),
                        Some(_) => {
                            return Err(self.err_at(
                                pos,
                                GadgetErrorKind::Malformed("reference outside the root".into()),
                            ));
                        }
                        None => {
                            return Err(self.err_at(
                                pos,
                                GadgetErrorKind::Malformed(format!(
                                    "undefined or invalid entity &{};",
                                    &*r
                                )),
                            ));
                        }
                    }
                }
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        if let Some((_, name)) = self.stack.last() {
            return Err(self.err_at(
                self.text.len() as u64,
                GadgetErrorKind::Malformed(format!("unclosed element <{name}>")),
            ));
        }
        let end = self.text.len() as u64;
        if !seen_root {
            return Err(self.err_at(end, GadgetErrorKind::Malformed("no root element".into())));
        }
        if !prefs_seen {
            return Err(self.err_at(end, GadgetErrorKind::NoModulePrefs));
        }
        if self.gadget.contents.is_empty() {
            return Err(self.err_at(end, GadgetErrorKind::NoContent));
        }
        Ok(self.gadget)
    }

    fn attributes(&self, start: &BytesStart<'_>, pos: u64) -> Result<Attrs, GadgetError> {
        let mut out = Vec::new();
        let mut attributes = start.attributes();
        attributes.with_checks(true);
        for attr in attributes {
            if out.len() >= self.limits.max_attributes {
                let limit = self.limits.max_attributes;
                return Err(self.err_at(pos, GadgetErrorKind::TooManyAttributes { limit }));
            }
            let attr =
                attr.map_err(|e| self.err_at(pos, GadgetErrorKind::Malformed(e.to_string())))?;
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| self.err_at(pos, GadgetErrorKind::Malformed(e.to_string())))?;
            out.push((attr.key.as_ref().to_owned(), value.into_owned()));
        }
        Ok(Attrs(out))
    }

    fn open(&mut self, elem: Elem, name: &str, a: &Attrs) -> Result<(), GadgetErrorKind> {
        let g = &mut self.gadget;
        match elem {
            Elem::Module => g.specification_version = a.get("specificationVersion"),
            Elem::ModulePrefs => {
                let p = &mut g.prefs;
                for (k, v) in &a.0 {
                    match k.as_str() {
                        "title" => p.title = Some(v.clone()),
                        "title_url" => p.title_url = Some(v.clone()),
                        "description" => p.description = Some(v.clone()),
                        "author" => p.author = Some(v.clone()),
                        "author_email" => p.author_email = Some(v.clone()),
                        "screenshot" => p.screenshot = Some(v.clone()),
                        "thumbnail" => p.thumbnail = Some(v.clone()),
                        "height" => p.height = Some(number(k, v)?),
                        "width" => p.width = Some(number(k, v)?),
                        _ if !k.contains(':') => p.other.push((k.clone(), v.clone())),
                        _ => {}
                    }
                }
            }
            Elem::Feature => {
                g.prefs.features.push(Feature {
                    name: a.get("feature").unwrap_or_default(),
                    version: a.get("version"),
                    views: a.list("views"),
                    required: name == "Require",
                    params: Vec::new(),
                });
            }
            Elem::Param => {
                if let Some(f) = g.prefs.features.last_mut() {
                    f.params.push((a.get("name").unwrap_or_default(), String::new()));
                }
            }
            Elem::Preload => g.prefs.preloads.push(Preload {
                href: a.get("href").unwrap_or_default(),
                authz: a.authz()?,
                sign_owner: a.flag("sign_owner", true)?,
                sign_viewer: a.flag("sign_viewer", true)?,
                views: a.list("views"),
            }),
            Elem::Icon => g.prefs.icons.push(Icon {
                mode: a.get("mode"),
                mime_type: a.get("type"),
                value: String::new(),
            }),
            Elem::Locale => g.prefs.locales.push(Locale {
                lang: a.get("lang").filter(|s| !s.is_empty()),
                country: a.get("country").filter(|s| !s.is_empty()),
                messages: a.get("messages"),
                language_direction: a.get("language_direction"),
                msgs: Vec::new(),
            }),
            Elem::Msg => {
                if let Some(l) = g.prefs.locales.last_mut() {
                    l.msgs.push((a.get("name").unwrap_or_default(), String::new()));
                }
            }
            Elem::Link => g.prefs.links.push(Link {
                rel: a.get("rel").unwrap_or_default(),
                href: a.get("href").unwrap_or_default(),
                method: a.get("method").map(|m| m.trim().to_ascii_uppercase()),
            }),
            Elem::UserPref => g.user_prefs.push(UserPref {
                name: a.get("name").unwrap_or_default(),
                display_name: a.get("display_name"),
                default_value: a.get("default_value"),
                required: a.flag("required", false)?,
                datatype: match a.get("datatype").as_deref() {
                    None | Some("string") => DataType::String,
                    Some("hidden") => DataType::Hidden,
                    Some("bool") => DataType::Bool,
                    Some("enum") => DataType::Enum,
                    Some("list") => DataType::List,
                    Some("number") => DataType::Number,
                    Some(other) => DataType::Other(other.to_owned()),
                },
                enum_values: Vec::new(),
            }),
            Elem::EnumValue => {
                if let Some(u) = g.user_prefs.last_mut() {
                    u.enum_values.push(EnumValue {
                        value: a.get("value").unwrap_or_default(),
                        display_value: a.get("display_value"),
                    });
                }
            }
            Elem::Content => g.contents.push(Content {
                content_type: match a.get("type").map(|t| t.trim().to_ascii_lowercase()).as_deref()
                {
                    None | Some("html") => ContentType::Html,
                    Some("url") => ContentType::Url,
                    Some("wap") => ContentType::Wap,
                    Some(other) => ContentType::Other(other.to_owned()),
                },
                href: a.get("href").map(|h| h.trim().to_owned()),
                views: a.list("view"),
                preferred_height: a
                    .get("preferred_height")
                    .map(|v| number("preferred_height", &v))
                    .transpose()?,
                preferred_width: a
                    .get("preferred_width")
                    .map(|v| number("preferred_width", &v))
                    .transpose()?,
                authz: a.authz()?,
                sign_owner: a.flag("sign_owner", true)?,
                sign_viewer: a.flag("sign_viewer", true)?,
                refresh_interval: a
                    .get("refresh_interval")
                    .map(|v| number("refresh_interval", &v))
                    .transpose()?,
                body: String::new(),
            }),
            Elem::Other => {}
        }
        Ok(())
    }

    fn close(&mut self, elem: Elem, text: &str) {
        let g = &mut self.gadget;
        match elem {
            Elem::Param => {
                if let Some((_, v)) = g.prefs.features.last_mut().and_then(|f| f.params.last_mut())
                {
                    *v = text.trim().to_owned();
                }
            }
            Elem::Icon => {
                if let Some(i) = g.prefs.icons.last_mut() {
                    i.value = text.trim().to_owned();
                }
            }
            Elem::Msg => {
                if let Some((_, v)) = g.prefs.locales.last_mut().and_then(|l| l.msgs.last_mut()) {
                    *v = text.to_owned();
                }
            }
            Elem::Content => {
                if let Some(c) = g.contents.last_mut() {
                    c.body = text.to_owned();
                }
            }
            _ => {}
        }
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

fn classify(parent: Option<Elem>, name: &str) -> Elem {
    match (parent, name) {
        (None, "Module") => Elem::Module,
        (Some(Elem::Module), "ModulePrefs") => Elem::ModulePrefs,
        (Some(Elem::Module), "UserPref") => Elem::UserPref,
        (Some(Elem::Module), "Content") => Elem::Content,
        (Some(Elem::ModulePrefs), "Require" | "Optional") => Elem::Feature,
        (Some(Elem::ModulePrefs), "Preload") => Elem::Preload,
        (Some(Elem::ModulePrefs), "Icon") => Elem::Icon,
        (Some(Elem::ModulePrefs), "Locale") => Elem::Locale,
        (Some(Elem::ModulePrefs), "Link") => Elem::Link,
        (Some(Elem::Feature), "Param") => Elem::Param,
        (Some(Elem::Locale), "msg") => Elem::Msg,
        (Some(Elem::UserPref), "EnumValue") => Elem::EnumValue,
        _ => Elem::Other,
    }
}

struct Attrs(Vec<(String, String)>);

impl Attrs {
    fn get(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
            })
            .unwrap_or_default()
    }

    fn flag(&self, name: &str, default: bool) -> Result<bool, GadgetErrorKind> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(other) => Err(GadgetErrorKind::BadAttribute {
                attribute: name.to_owned(),
                message: format!("{other:?} is not a boolean"),
            }),
        }
    }

    fn authz(&self) -> Result<Authz, GadgetErrorKind> {
        match self.get("authz").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("none" | "") => Ok(Authz::None),
            Some("signed") => Ok(Authz::Signed),
            Some("oauth") => Ok(Authz::OAuth),
            Some(other) => Err(GadgetErrorKind::BadAttribute {
                attribute: "authz".into(),
                message: format!("{other:?} is not none, signed or oauth"),
            }),
        }
    }
}

/// A pixel or second count; `px` suffixes and `100%`-style values are tolerated as their number.
fn number(name: &str, v: &str) -> Result<u32, GadgetErrorKind> {
    let t = v.trim().trim_end_matches("px").trim_end_matches('%').trim();
    t.parse().map_err(|_| GadgetErrorKind::BadAttribute {
        attribute: name.to_owned(),
        message: format!("{v:?} is not a number"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../../fixtures/opensocial/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn parse_fixture(name: &str) -> Result<Gadget, GadgetError> {
        parse(&fixture(name))
    }

    #[test]
    fn full_gadget_every_element() {
        let g = parse_fixture("full.xml").expect("full.xml parses");
        assert_eq!(g.specification_version.as_deref(), Some("1.0"));
        let p = &g.prefs;
        assert_eq!(p.title.as_deref(), Some("足あと & Friends"));
        assert_eq!(p.title_url.as_deref(), Some("/about.html"));
        assert_eq!(p.description.as_deref(), Some("A test gadget with every element"));
        assert_eq!(p.author.as_deref(), Some("Taro Yamada"));
        assert_eq!(p.author_email.as_deref(), Some("taro@example.jp"));
        assert_eq!(p.thumbnail.as_deref(), Some("http://app.example.jp/img/thumb.gif"));
        assert_eq!((p.height, p.width), (Some(200), Some(320)));
        assert_eq!(p.other, vec![("author_affiliation".to_owned(), "ashiato".to_owned())]);

        assert_eq!(p.features.len(), 4);
        assert!(p.features[0].required && p.features[0].name == "opensocial-0.8");
        assert_eq!(p.features[1].views, ["canvas", "mobile"]);
        assert_eq!(p.features[1].version.as_deref(), Some("1.0"));
        assert!(!p.features[2].required);
        assert_eq!(
            p.features[3].params,
            vec![("expires".into(), "86400".into()), ("include-urls".into(), ".*".into())]
        );
        assert_eq!(g.unsupported_required(&["opensocial-0.8"]), ["views"]);
        assert!(g.unsupported_required(&["opensocial-0.8", "views"]).is_empty());

        assert_eq!(p.preloads.len(), 1);
        assert_eq!(p.preloads[0].authz, Authz::Signed);
        assert!(p.preloads[0].sign_owner && !p.preloads[0].sign_viewer);
        assert_eq!(p.icons[0].value, "iVBORw0KGgo=");
        assert_eq!(p.icons[0].mime_type.as_deref(), Some("image/png"));

        assert_eq!(p.locales.len(), 3);
        assert_eq!(p.locales[1].msgs[0], ("hello".into(), "こんにちは".into()));
        assert_eq!(p.locales[1].language_direction.as_deref(), Some("ltr"));
        let msgs = g.messages("ja", "JP");
        let hello = msgs.iter().rev().find(|(k, _)| *k == "hello").map(|(_, v)| *v);
        assert_eq!(hello, Some("こんにちは"), "lang+country wins over lang");
        let msgs = g.messages("ja", "US");
        let hello = msgs.iter().rev().find(|(k, _)| *k == "hello").map(|(_, v)| *v);
        assert_eq!(hello, Some("やあ"));

        assert_eq!(p.links.len(), 4);
        let lifecycle = g.lifecycle_links();
        assert_eq!(lifecycle.len(), 3);
        assert_eq!(lifecycle[0].method.as_deref(), Some("POST"));
        assert!(lifecycle[0].receives("addapp") && !lifecycle[0].receives("removeapp"));
        assert!(lifecycle[2].receives("removeapp"), "opensocial.event takes every event");

        assert_eq!(g.user_prefs.len(), 3);
        let color = &g.user_prefs[0];
        assert_eq!(color.datatype, DataType::Enum);
        assert!(color.required);
        assert_eq!(color.default_value.as_deref(), Some("red"));
        assert_eq!(color.enum_values[0].display_value.as_deref(), Some("赤"));
        assert_eq!(color.enum_values[1].display_value, None);
        assert_eq!(g.user_prefs[1].datatype, DataType::Hidden);
        assert_eq!(g.user_prefs[2].datatype, DataType::Number);

        assert_eq!(g.contents.len(), 4);
        let canvas = g.view("canvas");
        assert_eq!(canvas.len(), 1);
        assert_eq!(canvas[0].views, ["canvas", "profile"]);
        assert_eq!(canvas[0].preferred_height, Some(300));
        assert!(canvas[0].body.contains("__MSG_hello__ <b>world</b> &amp; more"));
        let default = g.view("default");
        assert_eq!(default[0].body, "<p>default view</p><tail>あ", "CDATA + refs rebuilt");
        let mobile = g.view("mobile");
        assert_eq!(mobile[0].content_type, ContentType::Url);
        assert_eq!(mobile[0].authz, Authz::Signed);
        assert_eq!(mobile[0].refresh_interval, Some(60));
        assert_eq!(g.view_names(), ["canvas", "profile", "default", "mobile"]);
        // type="wap" wins over the mobile view.
        assert_eq!(g.mobile_start_url(None).as_deref(), Some("http://m.app.example.jp/wap"));
    }

    #[test]
    fn relative_urls_resolve_against_spec_url() {
        let mut g = parse_fixture("full.xml").expect("parses");
        let base = Url::parse("http://app.example.jp/gadgets/spec.xml").expect("url");
        g.resolve_urls(&base);
        assert_eq!(g.prefs.title_url.as_deref(), Some("http://app.example.jp/about.html"));
        assert_eq!(
            g.prefs.screenshot.as_deref(),
            Some("http://app.example.jp/gadgets/img/screenshot.png")
        );
        assert_eq!(g.prefs.links[2].href, "http://app.example.jp/lifecycle/remove");
        assert_eq!(g.view("mobile")[0].href.as_deref(), Some("http://app.example.jp/mobile/start"));
    }

    #[test]
    fn mobile_view_with_proxied_html() {
        let g = parse_fixture("mobile_view.xml").expect("parses");
        let m = g.view("mobile");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].content_type, ContentType::Html);
        assert_eq!(m[0].authz, Authz::Signed);
        assert_eq!(g.mobile_start_url(None).as_deref(), Some("http://app.example.jp/m/index"));
        assert!(g.view("default").is_empty());
    }

    #[test]
    fn url_type_openpne_style() {
        let g = parse_fixture("url_type.xml").expect("parses");
        assert_eq!(g.mobile_start_url(None).as_deref(), Some("http://app.example.jp/mobile/top"));
        assert_eq!(g.view("canvas")[0].href.as_deref(), Some("http://app.example.jp/pc/top"));
        assert_eq!(g.lifecycle_links()[0].method.as_deref(), Some("POST"));
    }

    #[test]
    fn shift_jis_gadget_is_transcoded() {
        let g = parse_fixture("sjis.xml").expect("parses");
        assert_eq!(g.prefs.title.as_deref(), Some("シフトJISのガジェット"));
        assert!(g.prefs.description.as_deref().is_some_and(|d| d.contains("ソ 表 能")));
    }

    #[test]
    fn malformed_inputs_report_line_and_column() {
        let e = parse_fixture("malformed_mismatch.xml").expect_err("mismatch");
        assert!(matches!(e.kind, GadgetErrorKind::Malformed(_)), "{e}");
        assert_eq!(e.line, 5, "{e}");
        let e = parse_fixture("malformed_entity.xml").expect_err("entity");
        assert_eq!((e.line, e.kind.to_string().contains("nbsp")), (4, true), "{e}");
        let e = parse_fixture("malformed_unclosed.xml").expect_err("unclosed");
        assert!(e.to_string().contains("Module"), "{e}");
        assert_eq!(e.line, 5, "{e}");
        let e = parse_fixture("malformed_duplicate_attr.xml").expect_err("duplicate");
        assert_eq!(e.line, 3, "{e}");
        let e = parse_fixture("not_a_gadget.xml").expect_err("html");
        assert_eq!(e.kind, GadgetErrorKind::NotAGadget("html".into()));
        assert_eq!((e.line, e.column), (2, 1));
    }

    #[test]
    fn structural_requirements() {
        let e = parse(b"<Module><Content/></Module>").expect_err("no prefs");
        assert_eq!(e.kind, GadgetErrorKind::NoModulePrefs);
        let e = parse(b"<Module><ModulePrefs/></Module>").expect_err("no content");
        assert_eq!(e.kind, GadgetErrorKind::NoContent);
        let e = parse(b"<Module><ModulePrefs/><Content/></Module><Module/>").expect_err("2 roots");
        assert!(matches!(e.kind, GadgetErrorKind::Malformed(_)));
        let e = parse(b"<Module><ModulePrefs height=\"tall\"/><Content/></Module>").expect_err("h");
        assert!(matches!(e.kind, GadgetErrorKind::BadAttribute { .. }));
        let e = parse(b"").expect_err("empty");
        assert!(matches!(e.kind, GadgetErrorKind::Malformed(_)));
        let e =
            parse(b"<Module>\n <ModulePrefs/>\n <Content>\xff</Content></Module>").expect_err("u");
        assert_eq!((e.line, e.column), (3, 11), "{e}");
        let e = parse(b"<?xml version=\"1.0\" encoding=\"x-klingon\"?><Module/>").expect_err("enc");
        assert!(matches!(e.kind, GadgetErrorKind::UnknownEncoding(_)));
    }

    #[test]
    fn column_counts_characters() {
        let e = parse(
            "<Module>\n  <ModulePrefs title=\"足あと\"/><Content>&bogus;</Content></Module>"
                .as_bytes(),
        )
        .expect_err("entity");
        assert_eq!((e.line, e.column), (2, 38), "{e}");
    }

    #[test]
    fn limits_are_enforced() {
        let deep = format!(
            "<Module><ModulePrefs/><Content/>{}{}</Module>",
            "<x>".repeat(100),
            "</x>".repeat(100)
        );
        let e = parse(deep.as_bytes()).expect_err("deep");
        assert_eq!(e.kind, GadgetErrorKind::TooDeep { limit: 32 });
        let many = format!("<Module><ModulePrefs/><Content/>{}</Module>", "<x/>".repeat(20_000));
        let e = parse(many.as_bytes()).expect_err("many");
        assert_eq!(e.kind, GadgetErrorKind::TooManyElements { limit: 10_000 });
        let huge = format!(
            "<Module><ModulePrefs/><Content><![CDATA[{}]]></Content></Module>",
            "a".repeat(300 * 1024)
        );
        let e = parse(huge.as_bytes()).expect_err("huge");
        assert_eq!(e.kind, GadgetErrorKind::TooLarge { limit: 256 * 1024 });
        let attrs: String = (0..100).map(|i| format!(" a{i}=\"x\"")).collect();
        let wide = format!("<Module><ModulePrefs{attrs}/><Content/></Module>");
        let e = parse(wide.as_bytes()).expect_err("wide");
        assert_eq!(e.kind, GadgetErrorKind::TooManyAttributes { limit: 64 });
        // The same documents pass under larger limits.
        let big = Limits {
            max_bytes: 1 << 20,
            max_depth: 200,
            max_elements: 50_000,
            max_attributes: 200,
        };
        for doc in [&deep, &many, &huge, &wide] {
            parse_with_limits(doc.as_bytes(), &big).expect("within larger limits");
        }
    }

    #[test]
    fn billion_laughs_is_refused() {
        let doc = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<Module><ModulePrefs title="&lol2;"/><Content/></Module>"#;
        let e = parse(doc).expect_err("no entity expansion");
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn substitution_rules() {
        let subs = Substitutions {
            msgs: vec![("hello", "こんにちは __UP_name__"), ("empty", "")],
            user_prefs: vec![("name", "太郎")],
            module_id: "7",
            rtl: false,
        };
        assert_eq!(
            substitute("__MSG_hello__! id=__MODULE_ID__ dir=__BIDI_DIR__", &subs),
            "こんにちは 太郎! id=7 dir=ltr"
        );
        assert_eq!(substitute("[__MSG_missing__][__UP_none__]", &subs), "[][]");
        assert_eq!(substitute("__FOO_bar__ __MSG_ __MSG_x", &subs), "__FOO_bar__ __MSG_ __MSG_x");
        assert_eq!(
            substitute("__BIDI_START_EDGE__", &Substitutions { rtl: true, ..subs }),
            "right"
        );
    }

    fn seed_docs() -> Vec<Vec<u8>> {
        ["full.xml", "mobile_view.xml", "url_type.xml", "sjis.xml", "malformed_mismatch.xml"]
            .iter()
            .map(|n| fixture(n))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Random bytes never panic and errors always carry a position inside the input.
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Err(e) = parse(&bytes) {
                prop_assert!(e.line >= 1 && e.column >= 1);
            }
        }

        /// Mutations of real gadgets (byte flips, truncation, splices) never panic.
        #[test]
        fn mutated_gadgets_never_panic(
            which in 0usize..5,
            cut in any::<prop::sample::Index>(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            insert in "[<>&;\\]\\[!/=\"' a-zA-Z]{0,12}",
        ) {
            let mut doc = seed_docs().swap_remove(which);
            for (at, b) in flips {
                let i = at.index(doc.len());
                doc[i] = b;
            }
            let at = cut.index(doc.len());
            let mut spliced = doc[..at].to_vec();
            spliced.extend_from_slice(insert.as_bytes());
            spliced.extend_from_slice(&doc[at..]);
            let _ = parse(&spliced);
            let _ = parse(&doc[..at]);
        }
    }
}

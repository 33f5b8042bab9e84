//! The handset profile produced by [`crate::detect`] and its value types.
//!
//! Every fact below cites `docs/keitai.md` (shared reference) by section; "convention" marks a
//! choice this crate makes where the sources leave room (see the crate README).

use serde::Serialize;

pub use crate::carrier::Carrier;
use crate::inline::InlineStr;
use crate::subscriber::{IdKind, IdRejection, SubscriberId};

/// A model name or device id: text from the embedded tables (may be non-ASCII, e.g. jawurflex
/// `W63Kカメラ無し`) or a short ASCII copy of header bytes. Never allocates.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Model(ModelRepr);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum ModelRepr {
    Table(&'static str),
    Header(InlineStr<32>),
}

impl Model {
    pub(crate) fn from_table(s: &'static str) -> Self {
        Self(ModelRepr::Table(s))
    }

    pub(crate) fn from_header(b: &[u8]) -> Self {
        Self(ModelRepr::Header(InlineStr::from_bytes_lossy(b)))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            ModelRepr::Table(s) => s,
            ModelRepr::Header(s) => s.as_str(),
        }
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Model {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for Model {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Browser engine, as far as the UA tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Browser {
    /// i-mode browser 1.0: mova, and FOMA with cache < 500 KB (keitai.md §2.1, jpm
    /// `imode_browser_version`).
    Imode1,
    /// i-mode browser 2.0: FOMA with `c500` or more (keitai.md §2.1; unoh labs 2009-07-13).
    Imode2,
    /// i-mode browser 2.0LE: P03B, P05B, L01B (keitai.md §2.1; flexfirm.jp/blog/article/424).
    Imode2Le,
    /// Openwave UP.Browser with its major version (au; SoftBank 3G `Browser/UP.Browser/7`),
    /// serialised as `up3`, `up6`, `up7`…
    UpBrowser(u8),
    /// J-PHONE's own browser on C/P/W types (keitai.md §2.3).
    Jphone,
    /// Access NetFront (SoftBank 3G, WILLCOM, EMOBILE).
    NetFront,
    /// Sony Ericsson browser (`Browser/SEMC-Browser`).
    Semc,
    /// Nokia Series 60 browser.
    S60,
    /// Opera (WILLCOM, desktop).
    Opera,
    /// Mobile or desktop Safari.
    Safari,
    /// Android's stock WebKit browser.
    AndroidWebkit,
    /// Chrome (incl. Chrome on iOS).
    Chrome,
    /// Firefox.
    Firefox,
    /// Internet Explorer / IEMobile.
    Ie,
    /// Microsoft Edge.
    Edge,
    /// BlackBerry browser.
    Blackberry,
    /// Unknown.
    Other,
}

impl Browser {
    /// The JSON name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Imode1 => "imode1",
            Self::Imode2 => "imode2",
            Self::Imode2Le => "imode2le",
            Self::UpBrowser(v) => match v {
                0..=3 => "up3",
                4 => "up4",
                5 => "up5",
                6 => "up6",
                _ => "up7",
            },
            Self::Jphone => "jphone",
            Self::NetFront => "netfront",
            Self::Semc => "semc",
            Self::S60 => "s60",
            Self::Opera => "opera",
            Self::Safari => "safari",
            Self::AndroidWebkit => "android",
            Self::Chrome => "chrome",
            Self::Firefox => "firefox",
            Self::Ie => "ie",
            Self::Edge => "edge",
            Self::Blackberry => "blackberry",
            Self::Other => "other",
        }
    }
}

impl Serialize for Browser {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Network generation or handset type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Generation {
    /// docomo 2G, `DoCoMo/1.0/…` (keitai.md §2.1).
    Mova,
    /// docomo 3G, `DoCoMo/2.0 MODEL(…)` (keitai.md §2.1).
    Foma,
    /// au WAP 1.0 / HDML, `UP.Browser/x-<dev>` (keitai.md §2.2).
    Wap1,
    /// au WAP 2.0 / XHTML MP, `KDDI-<dev> UP.Browser/6…` (keitai.md §2.2).
    Wap2,
    /// J-PHONE C types (C2, C3, C4) (keitai.md §2.3).
    C,
    /// J-PHONE P types (P4–P7) (keitai.md §2.3).
    P,
    /// J-PHONE / Vodafone W type (keitai.md §2.3).
    W,
    /// Vodafone / SoftBank 3G (keitai.md §2.3).
    #[serde(rename = "3gc")]
    ThreeGc,
    /// WILLCOM / DDI Pocket PHS.
    Phs,
    /// EMOBILE.
    Emobile,
    /// Smartphone (phone-sized).
    Smartphone,
    /// Tablet (iPad; Android without `Mobile`, keitai.md §1).
    Tablet,
    /// Desktop or unknown.
    Pc,
}

/// Markup family the page should be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Markup {
    /// Compact HTML: i-mode HTML, J-PHONE HTML, HTML for PHS (keitai.md §6).
    Chtml,
    /// XHTML: i-XHTML (docomo FOMA), XHTML MP (au WAP 2.0), XHTML Basic (SoftBank 3G).
    Xhtml,
    /// HDML, au WAP 1.0 only (keitai.md §6). ashiato renders no HDML: show a notice.
    Hdml,
    /// HTML5 for smartphones and PCs.
    Html5,
}

/// A finer hint for the renderer: which DOCTYPE and dialect (keitai.md §6 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Doctype {
    /// i-mode HTML (cHTML) without a DOCTYPE requirement; `Content-Type: text/html`.
    ImodeHtml,
    /// `-//i-mode group (ja)//DTD XHTML i-XHTML(Locale/Ver.=ja/<level>) 1.0//EN`, served as
    /// `application/xhtml+xml; charset=Shift_JIS` (keitai.md §6).
    IXhtml,
    /// `-//OPENWAVE//DTD XHTML 1.0//EN` (au WAP 2.0).
    OpenwaveXhtml,
    /// `-//J-PHONE//DTD XHTML Basic 1.0 Plus//EN` (SoftBank 3GC).
    JphoneXhtmlBasic,
    /// Plain HTML 3.2/4-level markup for J-PHONE C/P/W, WILLCOM and EMOBILE.
    Html,
    /// HDML (au WAP 1.0).
    Hdml,
    /// `<!DOCTYPE html>`.
    Html5,
}

/// Output character encoding (keitai.md §6 "encodings", §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Charset {
    /// Shift_JIS, meaning CP932 plus carrier emoji (keitai.md §9).
    #[serde(rename = "Shift_JIS")]
    ShiftJis,
    /// UTF-8 (SoftBank 3GC prefers it; smartphones and PCs).
    #[serde(rename = "UTF-8")]
    Utf8,
}

/// How to write emoji for this handset (keitai.md §10 "Writing and receiving emoji").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmojiScheme {
    /// docomo SJIS bytes F89F–F9FC, basic and extended (HTML ≥ 4.0).
    Docomo,
    /// docomo, the 176 basic emoji only: "HTML ≤ 3.0 handsets have only the 176 basic".
    DocomoBasic,
    /// au raw SJIS emoji (F340–F7FC; unofficial on pages).
    AuSjis,
    /// au `<img localsrc="NN">` icon numbers (the official page method).
    AuImg,
    /// SoftBank webcode escapes `ESC $ <page> <char> SI` in SJIS pages.
    SoftbankWebcode,
    /// SoftBank Unicode PUA U+E001–U+E537 in UTF-8 pages (3GC).
    SoftbankUtf8,
    /// Standard Unicode emoji (smartphones, PCs).
    Unicode,
    /// No known emoji support: use text fallbacks (keitai.md §11, 〓).
    None,
}

/// Image formats a handset shows (keitai.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// GIF.
    Gif,
    /// JPEG (baseline).
    Jpeg,
    /// PNG.
    Png,
}

/// A set of [`ImageFormat`]s, serialised as a list in the order gif, jpeg, png.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ImageFormats(u8);

impl ImageFormats {
    /// No format.
    pub const NONE: Self = Self(0);
    /// GIF only (docomo 501i/502i).
    pub const GIF: Self = Self(1);
    /// JPEG only.
    pub const JPEG: Self = Self(2);
    /// PNG only.
    pub const PNG: Self = Self(4);
    /// GIF and JPEG (docomo).
    pub const GIF_JPEG: Self = Self(3);
    /// JPEG and PNG (J-PHONE C3/C4/P, Vodafone W).
    pub const JPEG_PNG: Self = Self(6);
    /// All three.
    pub const ALL: Self = Self(7);

    /// Whether `f` is in the set.
    #[must_use]
    pub fn contains(self, f: ImageFormat) -> bool {
        self.0 & Self::bit(f) != 0
    }

    fn bit(f: ImageFormat) -> u8 {
        match f {
            ImageFormat::Gif => 1,
            ImageFormat::Jpeg => 2,
            ImageFormat::Png => 4,
        }
    }

    /// The formats in order gif, jpeg, png.
    pub fn iter(self) -> impl Iterator<Item = ImageFormat> {
        [ImageFormat::Gif, ImageFormat::Jpeg, ImageFormat::Png]
            .into_iter()
            .filter(move |&f| self.contains(f))
    }
}

impl Serialize for ImageFormats {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// A size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Screen {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A text screen size in half-width characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct DisplayChars {
    /// Half-width columns.
    pub cols: u32,
    /// Rows.
    pub rows: u32,
}

/// Where a screen size came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenSource {
    /// A capability header (`X-UP-DEVCAP-SCREENPIXELS`, `X-JPHONE-DISPLAY`).
    Header,
    /// The generated model table (`data/*.tsv`).
    Table,
    /// The per-generation default for an unknown model (smallest known; `*` rows in the tables).
    Default,
}

/// The capability profile of one request's client.
///
/// Serialises to the JSON the CLI prints. The raw subscriber ID is **not** serialised: only
/// `subscriber_id_trusted`, `subscriber_id_kind` and `subscriber_id_rejected`.
#[derive(Debug, Clone, Serialize)]
pub struct Handset {
    /// Carrier or client class. keitai.md §1 (UA prefixes; SoftBank prefixes tested before au).
    pub carrier: Carrier,
    /// For crawlers presenting a handset or smartphone UA: the carrier that UA belongs to.
    /// The markup, charset and screen fields then describe that handset (keitai.md §1: crawlers
    /// get the handset's pages but are never subscribers).
    pub imitates: Option<Carrier>,
    /// Model as sent: docomo and SoftBank from the UA (SoftBank: `X-JPHONE-MSNAME` first, "most
    /// reliable model source", keitai.md §3); au: product name from jawurflex by device id
    /// (keitai.md §2.2). `null` when unknown.
    pub model: Option<Model>,
    /// au device id (`CA39`, `SN12`), keitai.md §2.2: a 4-character code, not the product name.
    pub device_id: Option<Model>,
    /// Browser engine (keitai.md §2.1 i-mode browser versions; §2.2 UP.Browser).
    pub browser: Browser,
    /// Generation / type (keitai.md §2.1–§2.4).
    pub generation: Generation,
    /// SoftBank type: `C2`, `C3`, `C4`, `P`, `W`, `3GC` (keitai.md §2.3: C2 for J-PHONE 2.x, C3 or
    /// C4 (with `x-jphone-java`) for 3.x, P for 4.x, W for 5.x). The P4–P7 split is not derived.
    pub softbank_type: Option<&'static str>,
    /// au: CDMA 1X WIN handset (third character of the device id a digit ≥ 3; HMA `is_win`).
    pub win: bool,
    /// au: Tu-Ka handset (third character `T` on WAP 1.0 or `U` on WAP 2.0; HMA `is_tuka`).
    pub tuka: bool,
    /// docomo i-mode HTML version (`"1.0"`…`"7.2"`) from the model table (keitai.md §2.1, HMA
    /// `$HTMLVerMap`; `data/docomo_html.tsv`); `null` for other carriers or unknown models.
    pub html_version: Option<&'static str>,
    /// Whether the handset renders XHTML: docomo FOMA with HTML ≠ 3.0 (keitai.md §2.1, HMA
    /// `xhtml_compliant`; unknown versions count as not capable), au WAP 2.0, SoftBank 3GC.
    pub xhtml: bool,
    /// i-XHTML level for docomo (`"1.0"`…`"2.3"`): jawurflex `preferred_markup` where known,
    /// else from the HTML version (4.0→1.0, 5.0→1.1, 6.0→2.0, 7.0→2.1, 7.1→2.2, 7.2→2.3).
    pub xhtml_level: Option<&'static str>,
    /// Markup family to write (keitai.md §6).
    pub markup: Markup,
    /// DOCTYPE / dialect hint for the renderer (keitai.md §6).
    pub doctype: Doctype,
    /// Output charset: Shift_JIS for keitai; UTF-8 for SoftBank 3GC and smartphones/PCs
    /// (keitai.md §6: "3GC prefers UTF-8; some 3GC lack SJIS").
    pub charset: Charset,
    /// Cookies usable (keitai.md §5): docomo only with browser 2.0; au yes over http (jpm treats
    /// https as no-cookie); J-PHONE C/P no; W, 3GC, WILLCOM yes; EMOBILE no (jpm default).
    pub cookies: bool,
    /// Whether the browser sends `Referer` (keitai.md §5: docomo before browser 2.0 sends none).
    /// A URL session token leaks through it (security.md §2).
    pub referer: bool,
    /// Whether a session may be created for this client: false for crawlers (keitai.md §1).
    pub sessions: bool,
    /// The page cache declared by the UA, in bytes: docomo `cNN` KB (no `cNN` = 5 KB,
    /// keitai.md §2.1), WILLCOM `C<nn>` KB; `null` where the UA declares none.
    pub cache_bytes: Option<u32>,
    /// Byte budget for one page (keitai.md §7): docomo the cache (`cNN`; 5 KB default), capped at
    /// 30 KB of markup for browser 1.0 FOMA ("markup text ≤ 30 KB"); au `X-UP-DEVCAP-MAX-PDU`,
    /// else 9 KB for WAP 2.0 (tenderfeel) and 5 KB for WAP 1.0 (convention: the tightest
    /// documented keitai limit); SoftBank C 6,000 (< 6 KB), P 12 KB, W 200 KB, 3GC 300 KB (gihyo
    /// mobasif); WILLCOM the `C<nn>` cache or 50 KB; smartphones/PCs 1 MiB.
    pub page_budget_bytes: u32,
    /// Browser area in pixels: capability header, else model table, else the generation default
    /// (keitai.md §3, §8). docomo sizes are DoCoMoMap's **largest** area. `null` for WILLCOM,
    /// EMOBILE, smartphones and PCs (no source; use a fluid layout).
    pub screen: Option<Screen>,
    /// Where `screen` came from.
    pub screen_source: Option<ScreenSource>,
    /// Number of colours (`X-JPHONE-COLOR`, `X-UP-DEVCAP-SCREENDEPTH`, or the tables); 0 when
    /// unknown. Matters for GIF palettes (keitai.md §8).
    pub colors: u32,
    /// Text screen in half-width characters: docomo `W<cols>H<rows>` (keitai.md §2.1), au
    /// `X-UP-DEVCAP-SCREENCHARS` (keitai.md §3).
    pub display_chars: Option<DisplayChars>,
    /// Image formats shown (keitai.md §8): docomo GIF (+JPEG on FOMA and HTML ≥ 4.0 mova; never
    /// PNG); au WAP 1.0 PNG only (no GIF; 51/68 show PNG); au WAP 2.0 all; J-PHONE C2 PNG; C3/C4,
    /// P, W JPEG+PNG (no GIF); 3GC all; others all.
    pub image_formats: ImageFormats,
    /// Emoji scheme (keitai.md §10).
    pub emoji: EmojiScheme,
    /// Whether links must carry `guid=ON` for docomo to send `X-DCMGUID` (keitai.md §4).
    pub needs_guid_on: bool,
    /// Whether a subscriber ID was present **and** trusted (keitai.md §4 trust rule).
    pub subscriber_id_trusted: bool,
    /// The kind of subscriber ID presented, trusted or not; `null` when none was sent.
    pub subscriber_id_kind: Option<IdKind>,
    /// Why a presented ID was not trusted; the caller logs a security event (security.md §1).
    pub subscriber_id_rejected: Option<IdRejection>,
    #[serde(skip)]
    pub(crate) subscriber_id: Option<SubscriberId>,
}

impl Handset {
    /// The trusted subscriber ID, if any. Only present when `subscriber_id_trusted` is true.
    #[must_use]
    pub fn subscriber_id(&self) -> Option<&SubscriberId> {
        self.subscriber_id.as_ref()
    }

    /// Whether an ID header or UA serial was presented but dropped: log a security event
    /// (without the raw value) when this is true.
    #[must_use]
    pub fn untrusted_id_presented(&self) -> bool {
        self.subscriber_id_rejected.is_some()
    }

    /// Whether this is a crawler.
    #[must_use]
    pub fn is_crawler(&self) -> bool {
        self.carrier == Carrier::Crawler
    }

    /// Whether the session must travel in URLs (no cookies) — jpm `trans_sid`, keitai.md §5.
    #[must_use]
    pub fn needs_url_session(&self) -> bool {
        self.sessions && !self.cookies
    }
}

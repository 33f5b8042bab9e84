//! What a renderer needs to know about the handset: dialect, bytes, budget.
//!
//! [`Target::for_handset`] turns an [`ashiato_handset::Handset`] profile into everything the
//! writers read; nothing else in this crate looks at the handset. The policy and its sources
//! are in `docs/rendering.md`.

use ashiato_charset::{Charset, EmojiOut, ExtensionRows, OutputTarget};
use ashiato_handset::{Carrier, Doctype, EmojiScheme, Handset};

/// The markup language a page is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Compact HTML: i-mode HTML (docomo mova, FOMA without XHTML) and the plain HTML of
    /// J-PHONE C/P/W, WILLCOM and EMOBILE. `text/html; charset=Shift_JIS`, no DOCTYPE.
    Chtml,
    /// docomo i-XHTML (FOMA, i-mode HTML ≥ 4.0), served as `application/xhtml+xml`.
    IXhtml,
    /// au WAP 2.0 XHTML (Openwave DOCTYPE), served as `text/html`.
    XhtmlMp,
    /// SoftBank 3GC XHTML Basic 1.0 Plus (J-PHONE DOCTYPE), UTF-8, served as `text/html`.
    SoftbankXhtml,
    /// HTML5 in UTF-8 for smartphones and PCs.
    Html5,
    /// au WAP 1.0 (HDML only): a one-card HDML deck saying the handset is not supported.
    Hdml,
}

impl Dialect {
    /// Whether pages are XML (XHTML dialects): well-formed, `/>` on void elements.
    pub fn is_xhtml(self) -> bool {
        matches!(self, Dialect::IXhtml | Dialect::XhtmlMp | Dialect::SoftbankXhtml)
    }

    /// Whether this is a feature-phone dialect (short markup, number keys, no style sheet).
    pub fn is_keitai(self) -> bool {
        !matches!(self, Dialect::Html5)
    }
}

/// Which input-mode attributes text fields get (keitai.md §6 table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InputAttrs {
    /// `istyle="1".."4"` (docomo cHTML, au, SoftBank 3GC XHTML).
    pub istyle: bool,
    /// `mode="hiragana"` … (SoftBank / J-PHONE).
    pub mode: bool,
    /// `format="*M"` … (au).
    pub format: bool,
    /// `style="-wap-input-format:&quot;*&lt;ja:h&gt;&quot;"` (docomo i-XHTML).
    pub wap_input_format: bool,
}

/// Markup ceiling for keitai pages: performance.md P1 asks for ≤ 10 KB of Shift_JIS HTML.
pub const KEITAI_CEILING: usize = 10 * 1024;
/// Nothing is ever sent above this (performance.md P1: "never above 30 KB"; docomo FOMA
/// markup limit, keitai.md §7).
pub const HARD_CAP: usize = 30 * 1024;
/// Ceiling for HTML5 pages (smartphones, PCs): about 20,000 Japanese characters per part.
pub const WEB_CEILING: usize = 64 * 1024;
/// No budget is taken below this, whatever a header claims: docomo's recommended page size
/// for the smallest handsets (2 KB, keitai.md §7); every real limit is higher.
pub const BUDGET_FLOOR: usize = 2 * 1024;

/// Everything the writers need to know about the receiving handset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// Markup dialect.
    pub dialect: Dialect,
    /// Byte encoding, emoji scheme, katakana and extension-row policy.
    pub output: OutputTarget,
    /// Largest body in bytes, after encoding.
    pub budget: usize,
    /// i-mode HTML major version whose element set cHTML pages keep to (1–7); the i-mode
    /// HTML 2.0 set for J-PHONE, WILLCOM and EMOBILE.
    pub chtml_version: u8,
    /// i-XHTML level named in the docomo DOCTYPE (`"1.0"` … `"2.3"`).
    pub ixhtml_level: &'static str,
    /// Input-mode attributes for text fields.
    pub input: InputAttrs,
    /// Whether links with an access key are written as absolute URLs (docomo notice page,
    /// keitai.md §6); needs [`crate::Location::origin`].
    pub absolute_accesskey_links: bool,
    /// Whether menu and pager keys are shown as keycap emoji (the carrier has them).
    pub keycaps: bool,
    /// Whether emoji are replaced by their text fallback (`[霧]`) before encoding: handsets
    /// with no known emoji support.
    pub emoji_as_text: bool,
}

impl Target {
    /// The target for a detected handset.
    pub fn for_handset(h: &Handset) -> Target {
        let dialect = match h.doctype {
            Doctype::IXhtml => Dialect::IXhtml,
            Doctype::OpenwaveXhtml => Dialect::XhtmlMp,
            Doctype::JphoneXhtmlBasic => Dialect::SoftbankXhtml,
            Doctype::ImodeHtml | Doctype::Html => Dialect::Chtml,
            Doctype::Hdml => Dialect::Hdml,
            Doctype::Html5 => Dialect::Html5,
        };
        let charset = match h.charset {
            ashiato_handset::Charset::ShiftJis => Charset::ShiftJis,
            ashiato_handset::Charset::Utf8 => Charset::Utf8,
        };
        let mut emoji = emoji_out(h.emoji, h.softbank_type);
        if dialect.is_xhtml() && emoji == EmojiOut::AuImg {
            // `<img localsrc="N" />` has neither `src` nor `alt`, both required by every XHTML
            // DTD; au handsets show their raw Shift_JIS emoji codes too (keitai.md §10), at 2
            // bytes instead of ~20. See docs/rendering.md.
            emoji = EmojiOut::AuSjis;
        }
        let mut output = OutputTarget::new(charset, emoji);
        if dialect.is_keitai() && charset == Charset::ShiftJis {
            // Some i-mode handsets lack the CP932 extension rows (keitai.md §9); the
            // substitutes cost nothing, so every keitai Shift_JIS page avoids them.
            output.extension_rows = ExtensionRows::Avoid;
        }
        let docomo = h.carrier == Carrier::Docomo || h.imitates == Some(Carrier::Docomo);
        let softbank = h.carrier == Carrier::Softbank || h.imitates == Some(Carrier::Softbank);
        let chtml_version = match (h.html_version.and_then(major_version), docomo) {
            (Some(v), true) => v,
            // Unknown docomo model: mova handsets older than 2.0 are few (501i); FOMA is ≥ 3.0.
            (None, true) => {
                if h.generation == ashiato_handset::Generation::Foma {
                    3
                } else {
                    2
                }
            }
            (_, false) => 2,
        };
        let input = match dialect {
            Dialect::Chtml if softbank => InputAttrs { mode: true, ..InputAttrs::default() },
            Dialect::Chtml => InputAttrs { istyle: chtml_version >= 2, ..InputAttrs::default() },
            Dialect::IXhtml => InputAttrs { wap_input_format: true, ..InputAttrs::default() },
            Dialect::XhtmlMp => InputAttrs { istyle: true, format: true, ..InputAttrs::default() },
            Dialect::SoftbankXhtml => {
                InputAttrs { istyle: true, mode: true, ..InputAttrs::default() }
            }
            Dialect::Html5 | Dialect::Hdml => InputAttrs::default(),
        };
        let budget = budget_for(dialect, h.page_budget_bytes);
        Target {
            dialect,
            output,
            budget,
            chtml_version,
            ixhtml_level: h.xhtml_level.filter(|l| IXHTML_LEVELS.contains(l)).unwrap_or("1.0"),
            input,
            absolute_accesskey_links: docomo && matches!(dialect, Dialect::Chtml | Dialect::IXhtml),
            keycaps: dialect.is_keitai()
                && !matches!(emoji, EmojiOut::Unicode)
                && h.emoji != EmojiScheme::None,
            emoji_as_text: h.emoji == EmojiScheme::None,
        }
    }

    /// HTML5 in UTF-8 with the web ceiling: smartphones, PCs and anything unknown.
    pub fn html5() -> Target {
        Target {
            dialect: Dialect::Html5,
            output: OutputTarget::UNICODE,
            budget: WEB_CEILING,
            chtml_version: 2,
            ixhtml_level: "1.0",
            input: InputAttrs::default(),
            absolute_accesskey_links: false,
            keycaps: false,
            emoji_as_text: false,
        }
    }

    /// The `Content-Type` header value; the page's meta tag (or XML declaration) says the same.
    pub fn content_type(&self) -> &'static str {
        match (self.dialect, self.output.charset) {
            (Dialect::IXhtml, Charset::ShiftJis) => "application/xhtml+xml; charset=Shift_JIS",
            (Dialect::IXhtml, Charset::Utf8) => "application/xhtml+xml; charset=UTF-8",
            (Dialect::Hdml, Charset::ShiftJis) => "text/x-hdml; charset=Shift_JIS",
            (Dialect::Hdml, Charset::Utf8) => "text/x-hdml; charset=UTF-8",
            (Dialect::Html5, _) => "text/html; charset=utf-8",
            (_, Charset::ShiftJis) => "text/html; charset=Shift_JIS",
            (_, Charset::Utf8) => "text/html; charset=UTF-8",
        }
    }

    /// The charset label used in the XML declaration and meta tag.
    pub fn charset_label(&self) -> &'static str {
        match (self.dialect, self.output.charset) {
            (Dialect::Html5, _) => "utf-8",
            (_, Charset::ShiftJis) => "Shift_JIS",
            (_, Charset::Utf8) => "UTF-8",
        }
    }

    /// Whether links may carry `accesskey` (i-mode HTML ≥ 2.0 for cHTML; always
    /// elsewhere).
    pub fn accesskeys(&self) -> bool {
        self.dialect != Dialect::Chtml || self.chtml_version >= 2
    }
}

/// i-XHTML levels with a docomo DOCTYPE (keitai.md §6).
pub const IXHTML_LEVELS: [&str; 6] = ["1.0", "1.1", "2.0", "2.1", "2.2", "2.3"];

/// The byte budget for a dialect and the handset's own page limit (docs/rendering.md):
/// keitai pages get the handset's limit but at most [`KEITAI_CEILING`]; HTML5 at most
/// [`WEB_CEILING`]; never less than [`BUDGET_FLOOR`] nor more than [`HARD_CAP`] on keitai.
pub fn budget_for(dialect: Dialect, handset_budget: u32) -> usize {
    let own = usize::try_from(handset_budget).unwrap_or(usize::MAX);
    let ceiling = if dialect.is_keitai() { KEITAI_CEILING.min(HARD_CAP) } else { WEB_CEILING };
    own.clamp(BUDGET_FLOOR, ceiling.max(BUDGET_FLOOR))
}

/// The charset crate's emoji scheme for a handset's (keitai.md §10). `softbank_type` is the
/// handset's SoftBank type (`C2`, `C3`, `C4`, `P`, `W`, `3GC`): C types know only pages G, E, F.
pub fn emoji_out(scheme: EmojiScheme, softbank_type: Option<&str>) -> EmojiOut {
    match scheme {
        EmojiScheme::Docomo => EmojiOut::Docomo { extended: true },
        EmojiScheme::DocomoBasic => EmojiOut::Docomo { extended: false },
        EmojiScheme::AuImg => EmojiOut::AuImg,
        EmojiScheme::AuSjis => EmojiOut::AuSjis,
        EmojiScheme::SoftbankWebcode => {
            EmojiOut::SoftbankWebcode { full: !softbank_type.is_some_and(|t| t.starts_with('C')) }
        }
        EmojiScheme::SoftbankUtf8 => EmojiOut::SoftbankUtf8Pua,
        // No emoji: Unicode here, and the writer puts text fallbacks in first
        // (`Target::emoji_as_text`), so nothing but an NCR for a rare pictograph remains.
        EmojiScheme::Unicode | EmojiScheme::None => EmojiOut::Unicode,
    }
}

fn major_version(v: &str) -> Option<u8> {
    v.split('.').next()?.parse().ok()
}

//! Character sets and carrier emoji for ashiato: every byte that leaves for a handset and every
//! byte that arrives from one goes through this crate. Pure: no I/O, no actix.
//!
//! # Text model
//! Inside ashiato all text is UTF-8 with **standard Unicode emoji** (Unicode 6.0+ code points
//! and sequences). Decoders turn carrier emoji (Shift_JIS codes, private-use code points,
//! SoftBank webcodes, au mail-JIS rows) into Unicode; anything carrier-specific that has no
//! Unicode equivalent becomes its text fallback (`[EZナビ]`) or `〓`. No private-use code point
//! and no C0 control other than TAB, LF and CR comes out of a decoder (see [`decode`]).
//!
//! # Output
//! [`OutputTarget`] says how a handset wants its bytes: [`Charset`], [`EmojiOut`] scheme,
//! optional half-width katakana and the [`ExtensionRows`] policy. Renderers write pages with
//! [`PageEncoder`], which escapes and encodes in one step so that no Shift_JIS lead byte can
//! ever stand directly before an ASCII delimiter. Mail, URLs and other non-markup contexts use
//! [`encode_plain`]; mail in ISO-2022-JP and RFC 2047 headers are in [`mail`].
//!
//! # Policies (details in the crate README)
//! - **Shift_JIS is CP932** (WHATWG Shift_JIS, via `encoding_rs` with `fast-kanji-encode`).
//!   The JIS X 0208 forms U+301C, U+2016, U+2212, U+00A2, U+00A3, U+00AC, U+2014 and U+203E
//!   are normalised to their CP932 counterparts before encoding ([`normalize_for_sjis`]);
//!   decoding yields the CP932 forms (U+FF5E, U+2225, U+FF0D, U+FFE0, U+FFE1, U+FFE2, U+2015,
//!   U+FFE3).
//! - **Yen and backslash:** U+005C and U+00A5 both encode to byte 0x5C, which keitai fonts draw
//!   as ¥ (the JIS X 0201 Roman glyph); 0x5C decodes to U+005C. So a `\` typed on a PC shows as
//!   ¥ on a phone and a ¥ typed on a phone is stored as `\` — the byte the handset actually
//!   sent, which keeps Shift_JIS round trips and the 0x5C trail bytes (ソ 表 能 十 予) exact.
//!   Full-width ￥ (U+FFE5) stays 0x818F.
//! - **Unmappable characters:** a decimal numeric character reference (`&#233;`) in markup,
//!   `〓` elsewhere ([`Unmappable`]); U+FFFD always becomes `〓`.
//! - **Emoji:** the target carrier's own glyph, else emoji4unicode's best-fit glyph, else the
//!   text fallback (`[霧]`), else `〓`.
//! - **Extension rows** (CP932 row 13, 89–92, 115–119): kept by default, replaced by
//!   substitutes with [`ExtensionRows::Avoid`] for handsets that lack them.

pub mod decode;
pub mod emoji;
mod encode;
pub mod form;
pub mod kana;
pub mod mail;
mod sjis;

pub use decode::{contains_private_use, decode_form_bytes, strip_private_use};
pub use encode::{Checkpoint, PageEncoder, VoidTags, encode_plain};
pub use form::{FormError, form_from_pairs, parse_form, parse_pairs};
pub use kana::{to_fullwidth_katakana, to_halfwidth_katakana};
pub use mail::{
    MailCharset, decode_mail_text, decode_rfc2047, encode_iso2022jp, encode_mail_body,
    encode_rfc2047,
};
pub use sjis::normalize_for_sjis;

/// The placeholder for characters a handset cannot show: 〓 (U+3013 GETA MARK), Shift_JIS
/// `81 AC`. Carriers' own gateways used it for the same purpose.
pub const GETA: char = '\u{3013}';

/// The byte encoding of an output page or mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Charset {
    /// CP932 (Windows-31J) plus the carrier's emoji area; what keitai mean by "Shift_JIS".
    ShiftJis,
    /// UTF-8.
    Utf8,
}

/// How emoji are written for a handset.
///
/// The renderer maps the handset profile (from the handset-detection crate) to one of these.
/// Combinations with [`Charset`]:
///
/// | scheme | Shift_JIS page | UTF-8 page |
/// |---|---|---|
/// | `Docomo` | SJIS bytes F89F–F9FC | docomo PUA U+E63E–U+E757 |
/// | `AuSjis` | SJIS bytes F340–F7FC | au "auto" PUA U+EC40–U+F0FC |
/// | `AuImg` | `<img localsrc="N">` in text, text fallback elsewhere | same |
/// | `SoftbankWebcode` | webcode `ESC $ G ! SI` in text, text fallback in attributes, `sjis_auto` bytes in plain text | SoftBank PUA |
/// | `SoftbankUtf8Pua` | as `SoftbankWebcode { full: true }` | SoftBank PUA U+E001–U+E537 |
/// | `Unicode` | NCR in markup, text fallback elsewhere | the Unicode emoji unchanged |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EmojiOut {
    /// docomo i-mode. `extended`: the handset knows the 76 extended emoji (F9B1–F9FC), i.e.
    /// i-mode HTML 4.0 or later; older handsets have only the 176 basic ones.
    Docomo {
        /// Whether extended emoji (拡1–拡76, SJIS F9B1–F9FC) may be sent.
        extended: bool,
    },
    /// au with raw Shift_JIS emoji bytes (or "auto" PUA on UTF-8 pages).
    AuSjis,
    /// au with `<img localsrc="N">` icon markup.
    AuImg,
    /// SoftBank webcode escapes. `full: false` for C types, which know only U+E001–U+E257
    /// (pages G, E, F); P, W and 3GC types know all six pages.
    SoftbankWebcode {
        /// Whether pages O, P, Q (U+E301–U+E537) may be sent.
        full: bool,
    },
    /// SoftBank 3GC on UTF-8 pages: private-use code points U+E001–U+E537.
    SoftbankUtf8Pua,
    /// Smartphones and PCs: standard Unicode emoji.
    Unicode,
}

/// Policy for the CP932 extension rows: row 13 (NEC special characters such as ① ㈱ ㍉),
/// rows 89–92 (NEC-selected IBM extensions) and 115–119 (IBM extensions, e.g. 髙 﨑).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ExtensionRows {
    /// Emit them as CP932 bytes (they came from somewhere: later handsets of all three
    /// carriers show row 13, and carriers' own forms send these codes).
    #[default]
    Keep,
    /// For old handsets that lack them: row 13 characters and the small Roman numerals become
    /// ASCII or JIS X 0208 substitutes (`①` → `(1)`, `㈱` → `(株)`, `㍉` → `ミリ`); extension
    /// kanji have no substitute and follow the unmappable policy (NCR in markup, `〓` elsewhere).
    Avoid,
}

/// Everything an encoder needs to know about the receiving handset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OutputTarget {
    /// Byte encoding.
    pub charset: Charset,
    /// Emoji scheme.
    pub emoji: EmojiOut,
    /// Convert full-width katakana to half-width in [`PageEncoder::text`] (Shift_JIS only,
    /// where it halves the bytes; never in attributes or form values).
    pub halfwidth_kana: bool,
    /// Extension-row policy (Shift_JIS and ISO-2022-JP only).
    pub extension_rows: ExtensionRows,
}

impl OutputTarget {
    /// A target with half-width katakana off and extension rows kept.
    pub const fn new(charset: Charset, emoji: EmojiOut) -> Self {
        Self { charset, emoji, halfwidth_kana: false, extension_rows: ExtensionRows::Keep }
    }

    /// Smartphones and PCs: UTF-8 with Unicode emoji.
    pub const UNICODE: Self = Self::new(Charset::Utf8, EmojiOut::Unicode);
}

/// What to do with a character the target cannot represent (other than emoji, which have
/// their own fallbacks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unmappable {
    /// Decimal numeric character reference `&#NNNN;`: only where the output is markup.
    Ncr,
    /// `〓`: mail, URLs, subjects, anything that is not markup.
    Geta,
}

/// Character set of incoming bytes (a form's charset is known from the page that carried it
/// or from a hidden probe field; it is never guessed per request).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputCharset {
    /// CP932 plus carrier emoji.
    ShiftJis,
    /// UTF-8 (carrier emoji as private-use code points).
    Utf8,
}

/// The carrier whose emoji codes the input uses. Their private-use ranges collide (KDDI
/// U+E468–U+EB88 overlaps SoftBank U+E001–U+E537 and docomo U+E63E–U+E757), so decoding needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Carrier {
    /// docomo; also pass this for WILLCOM, whose handsets use docomo's codes.
    Docomo,
    /// au (KDDI). Also accepts docomo Shift_JIS emoji, which au handsets send back unchanged.
    Au,
    /// SoftBank (and Vodafone / J-PHONE, and iPhones before iOS 5).
    Softbank,
    /// Smartphones, PCs, unknown: no carrier private-use interpretation (leftovers become `〓`).
    Other,
}

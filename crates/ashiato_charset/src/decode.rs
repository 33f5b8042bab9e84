//! Handset bytes → UTF-8 with standard Unicode emoji.
//!
//! Guarantees of every decoder in this crate:
//! - Malformed bytes become U+FFFD and an ASCII byte after a broken lead byte is kept
//!   (`82 22` → `U+FFFD "`), as the WHATWG decoders do.
//! - Carrier emoji (docomo/au/SoftBank Shift_JIS codes, their private-use code points in
//!   UTF-8, SoftBank webcodes, Google's U+FE000 range) become Unicode emoji, else the
//!   emoji's text fallback, else `〓`.
//! - No private-use code point survives: anything left becomes `〓`.
//! - Control characters other than TAB, LF and CR (C0, DEL, C1) become U+FFFD.
//! - Shift_JIS decodes with CP932 semantics: 0x8160 → U+FF5E, 0x817C → U+FF0D, 0x5C → U+005C.

use std::borrow::Cow;

use encoding_rs::SHIFT_JIS;

use crate::emoji::{self, Emoji, EmojiCarrier};
use crate::{Carrier, InputCharset};

const GETA: &str = "\u{3013}";

/// Decodes a form value or query-string value (already percent-decoded) sent in `charset` by
/// a handset of `carrier`, turning the carrier's emoji into Unicode.
pub fn decode_form_bytes(bytes: &[u8], charset: InputCharset, carrier: Carrier) -> String {
    match charset {
        InputCharset::ShiftJis => decode_sjis(bytes, carrier, false),
        InputCharset::Utf8 => decode_utf8(bytes, carrier),
    }
}

/// UTF-8 input: lossy decoding, then the carrier's private-use emoji.
pub(crate) fn decode_utf8(bytes: &[u8], carrier: Carrier) -> String {
    let text = String::from_utf8_lossy(bytes);
    sweep(&text, Some(carrier)).into_owned()
}

fn emoji_text(e: Option<Emoji>) -> &'static str {
    e.map_or(GETA, |e| e.unicode().or(e.text_fallback()).unwrap_or(GETA))
}

fn is_lead(b: u8) -> bool {
    matches!(b, 0x81..=0x9F | 0xE0..=0xFC)
}

fn is_trail(b: u8) -> bool {
    matches!(b, 0x40..=0x7E | 0x80..=0xFC)
}

/// A carrier's Shift_JIS emoji: `None` if the code is not in the carrier's emoji ranges,
/// `Some(None)` for an unassigned code inside them.
fn carrier_sjis(carrier: Carrier, code: u16, mail: bool) -> Option<Option<Emoji>> {
    let docomo = || {
        emoji::docomo_sjis_to_pua(code).map(|pua| emoji::by_carrier_pua(EmojiCarrier::Docomo, pua))
    };
    match carrier {
        Carrier::Docomo => docomo(),
        Carrier::Au => {
            if emoji::kddi_sjis_valid(code) {
                return Some(emoji::by_carrier_sjis(EmojiCarrier::Kddi, code));
            }
            if mail && let Some(web) = emoji::kddi_mail_to_sjis(code) {
                return Some(emoji::by_carrier_sjis(EmojiCarrier::Kddi, web));
            }
            docomo()
        }
        Carrier::Softbank => emoji::softbank_sjis_to_pua(code)
            .map(|pua| emoji::by_carrier_pua(EmojiCarrier::Softbank, pua)),
        Carrier::Other => None,
    }
}

/// Shift_JIS (CP932) input. The scanner splits the bytes exactly as the WHATWG decoder does
/// (a lead byte takes the next byte only if it is a trail byte or 0xFD–0xFF), takes carrier
/// emoji pairs out, and hands every other run to encoding_rs.
pub(crate) fn decode_sjis(bytes: &[u8], carrier: Carrier, mail: bool) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !is_lead(b) {
            i += 1;
            continue;
        }
        let Some(&t) = bytes.get(i + 1) else {
            i += 1;
            continue;
        };
        if is_trail(t) {
            if b >= 0xEB {
                let code = u16::from_be_bytes([b, t]);
                if let Some(e) = carrier_sjis(carrier, code, mail) {
                    flush(&mut out, &bytes[run..i]);
                    out.push_str(emoji_text(e));
                    i += 2;
                    run = i;
                    continue;
                }
            }
            i += 2;
        } else if t >= 0x80 {
            i += 2;
        } else {
            i += 1;
        }
    }
    flush(&mut out, &bytes[run..]);
    match sweep(&out, None) {
        Cow::Borrowed(_) => out,
        Cow::Owned(s) => s,
    }
}

fn flush(out: &mut String, bytes: &[u8]) {
    if !bytes.is_empty() {
        out.push_str(&SHIFT_JIS.decode_without_bom_handling(bytes).0);
    }
}

fn needs_sweep(s: &str) -> bool {
    s.chars().any(|c| is_private_use(c) || is_bad_control(c))
}

/// C0 controls other than TAB, LF and CR, DEL, and C1 controls.
fn is_bad_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn is_private_use(c: char) -> bool {
    ('\u{E000}'..='\u{F8FF}').contains(&c) || c >= '\u{F0000}'
}

/// Webcode: `ESC $ page chars… SI`. Returns the decoded text and the bytes consumed, or
/// `None` if `s` does not start with a webcode.
fn webcode(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.len() < 4 || b[0] != 0x1B || b[1] != b'$' || !emoji::SOFTBANK_PAGES.contains(&b[2]) {
        return None;
    }
    let page = b[2];
    let mut text = String::new();
    let mut i = 3;
    while i < b.len() && (0x21..=0x7A).contains(&b[i]) {
        let pua = emoji::softbank_webcode_to_pua(page, b[i]);
        text.push_str(emoji_text(
            pua.and_then(|p| emoji::by_carrier_pua(EmojiCarrier::Softbank, p)),
        ));
        i += 1;
    }
    if i == 3 {
        return None;
    }
    if b.get(i) == Some(&0x0F) {
        i += 1;
    }
    Some((text, i))
}

/// Carrier private-use code point (from UTF-8 input) → Unicode.
fn carrier_pua(carrier: Carrier, c: char) -> &'static str {
    let Ok(code) = u16::try_from(c as u32) else {
        return GETA;
    };
    let e = match carrier {
        Carrier::Docomo => emoji::by_carrier_pua(EmojiCarrier::Docomo, code),
        Carrier::Au => match code {
            0xEC40..=0xF0FC => emoji::kddi_auto_to_sjis(code)
                .and_then(|sj| emoji::by_carrier_sjis(EmojiCarrier::Kddi, sj)),
            _ => emoji::by_carrier_pua(EmojiCarrier::Kddi, code),
        },
        Carrier::Softbank => emoji::by_carrier_pua(EmojiCarrier::Softbank, code),
        Carrier::Other => None,
    };
    emoji_text(e)
}

/// The final pass: webcodes, controls and private-use code points. `utf8_carrier` is the
/// carrier whose private-use code points to map (UTF-8 input only: in Shift_JIS input the
/// carrier codes were taken out already and any private-use left is an unassigned code).
fn sweep(s: &str, utf8_carrier: Option<Carrier>) -> Cow<'_, str> {
    if !needs_sweep(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        let mut len = c.len_utf8();
        match c {
            '\u{1B}' => match webcode(&s[i..]) {
                Some((text, used)) => {
                    out.push_str(&text);
                    len = used;
                }
                None => out.push('\u{FFFD}'),
            },
            '\t' | '\n' | '\r' => out.push(c),
            c if is_bad_control(c) => out.push('\u{FFFD}'),
            '\u{E000}'..='\u{F8FF}' => match utf8_carrier {
                Some(carrier) => out.push_str(carrier_pua(carrier, c)),
                None => out.push_str(GETA),
            },
            c if c >= '\u{F0000}' => match utf8_carrier {
                Some(_) => out.push_str(emoji_text(emoji::by_google_pua(c as u32))),
                None => out.push_str(GETA),
            },
            c => out.push(c),
        }
        i += len;
    }
    Cow::Owned(out)
}

/// Replaces every private-use code point (U+E000–U+F8FF, planes 15–16) by `〓`: the last
/// guard before storage for text that did not come through a decoder of this crate.
pub fn strip_private_use(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_private_use) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| if is_private_use(c) { '\u{3013}' } else { c }).collect())
}

/// Whether `s` holds any private-use code point.
pub fn contains_private_use(s: &str) -> bool {
    s.chars().any(is_private_use)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_suns() {
        let sun = "\u{2600}";
        assert_eq!(decode_form_bytes(b"\xf8\x9f", InputCharset::ShiftJis, Carrier::Docomo), sun);
        assert_eq!(decode_form_bytes(b"\xf6\x60", InputCharset::ShiftJis, Carrier::Au), sun);
        assert_eq!(decode_form_bytes(b"\xf9\x8b", InputCharset::ShiftJis, Carrier::Softbank), sun);
        assert_eq!(
            decode_form_bytes(b"\x1b$Gj\x0f", InputCharset::ShiftJis, Carrier::Softbank),
            sun
        );
        let utf8 = |c: char, carrier| {
            decode_form_bytes(c.to_string().as_bytes(), InputCharset::Utf8, carrier)
        };
        assert_eq!(utf8('\u{E63E}', Carrier::Docomo), sun);
        assert_eq!(utf8('\u{E488}', Carrier::Au), sun);
        assert_eq!(utf8('\u{EF60}', Carrier::Au), sun);
        assert_eq!(utf8('\u{E04A}', Carrier::Softbank), sun);
        assert_eq!(utf8('\u{FE000}', Carrier::Other), sun);
        assert_eq!(utf8('\u{E63E}', Carrier::Other), GETA);
    }

    #[test]
    fn malformed_keeps_ascii() {
        let d = |b: &[u8]| decode_form_bytes(b, InputCharset::ShiftJis, Carrier::Docomo);
        assert_eq!(d(b"\x82\x22"), "\u{FFFD}\"");
        assert_eq!(d(b"\xe0\x3e"), "\u{FFFD}>");
        assert_eq!(d(b"a\x82"), "a\u{FFFD}");
        assert_eq!(d(b"\x82"), "\u{FFFD}");
        assert_eq!(d(b"x\x1by"), "x\u{FFFD}y");
    }

    #[test]
    fn unassigned_carrier_codes_become_geta() {
        let d = decode_form_bytes(b"\xf9\x53\xf0\x40", InputCharset::ShiftJis, Carrier::Docomo);
        assert_eq!(d, "〓〓");
        assert!(!contains_private_use(&d));
    }
}

//! Mail: ISO-2022-JP, Shift_JIS and UTF-8 bodies, RFC 2047 encoded words.
//!
//! Outbound choice per carrier (keitai.md §12): docomo → Shift_JIS with docomo emoji;
//! au → Shift_JIS with au emoji (`EmojiOut::AuSjis`) or ISO-2022-JP with au's mail-JIS emoji;
//! SoftBank → UTF-8 with SoftBank private-use emoji; PC → ISO-2022-JP with text fallbacks.
//!
//! ISO-2022-JP output is JIS X 0208 plus CP932's row 13 and NEC-selected IBM rows 89–92
//! (what "CP50220" decoders and every WHATWG decoder read); half-width katakana are written
//! full-width; IBM-row kanji (CP932 FA–FC) are moved to their NEC-selected codes. With au
//! emoji the JIS rows 0x75–0x7C belong to emoji, so NEC-selected kanji become `〓` there.

use crate::decode::{decode_sjis, decode_utf8};
use crate::encode::{Ctx, Enc};
use crate::sjis::NEC_SELECTED;
use crate::{Carrier, Charset, EmojiOut, ExtensionRows, OutputTarget, Unmappable, kana};

/// Character set of an outgoing mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MailCharset {
    /// ISO-2022-JP (7 bit), the `charset=ISO-2022-JP` label.
    Iso2022Jp,
    /// CP932 with carrier emoji, labelled `Shift_JIS`.
    ShiftJis,
    /// UTF-8.
    Utf8,
}

impl MailCharset {
    /// The MIME charset label to put in `Content-Type` and encoded words.
    pub fn label(self) -> &'static str {
        match self {
            MailCharset::Iso2022Jp => "ISO-2022-JP",
            MailCharset::ShiftJis => "Shift_JIS",
            MailCharset::Utf8 => "UTF-8",
        }
    }
}

/// Encodes a mail body. Unmappable characters become `〓`; emoji follow `emoji` as in
/// [`encode_plain`](crate::encode_plain) (for ISO-2022-JP only `AuSjis` writes emoji, as
/// au's mail-JIS rows; every other scheme gets text fallbacks). Line endings are kept as given.
pub fn encode_mail_body(text: &str, charset: MailCharset, emoji: EmojiOut) -> Vec<u8> {
    match charset {
        MailCharset::Iso2022Jp => encode_iso2022jp(text, emoji, ExtensionRows::Keep),
        MailCharset::ShiftJis => crate::encode_plain(
            text,
            &OutputTarget::new(Charset::ShiftJis, emoji),
            Unmappable::Geta,
        ),
        MailCharset::Utf8 => {
            crate::encode_plain(text, &OutputTarget::new(Charset::Utf8, emoji), Unmappable::Geta)
        }
    }
}

/// Encodes text as ISO-2022-JP (see the module documentation for the repertoire). Ends in
/// ASCII mode. With `EmojiOut::AuSjis`, emoji use au's mail-JIS rows 0x75–0x7B; with any
/// other scheme they become their text fallback or `〓`.
pub fn encode_iso2022jp(text: &str, emoji: EmojiOut, extension_rows: ExtensionRows) -> Vec<u8> {
    let sjis = sjis_for_jis(text, emoji, extension_rows);
    sjis_to_iso2022jp(&sjis, emoji == EmojiOut::AuSjis)
}

fn sjis_for_jis(text: &str, emoji: EmojiOut, extension_rows: ExtensionRows) -> Vec<u8> {
    let full = kana::to_fullwidth_katakana(text);
    let mut target = OutputTarget::new(Charset::ShiftJis, emoji);
    target.extension_rows = extension_rows;
    let mut out = Vec::with_capacity(full.len() + 16);
    Enc::new(target).write(&mut out, &full, Ctx::MailJis(Unmappable::Geta));
    out
}

const ESC_KANJI: &[u8] = b"\x1b$B";
const ESC_ASCII: &[u8] = b"\x1b(B";
const GETA_JIS: [u8; 2] = [0x22, 0x2E];

fn sjis_to_jis(lead: u8, trail: u8) -> Option<[u8; 2]> {
    let l = match lead {
        0x81..=0x9F => lead - 0x81,
        0xE0..=0xEF => lead - 0xC1,
        _ => return None,
    };
    let (row, col) = match trail {
        0x40..=0x7E => (l * 2 + 0x21, trail - 0x1F),
        0x80..=0x9E => (l * 2 + 0x21, trail - 0x20),
        0x9F..=0xFC => (l * 2 + 0x22, trail - 0x7E),
        _ => return None,
    };
    Some([row, col])
}

fn jis_to_sjis(j1: u8, j2: u8) -> [u8; 2] {
    let mut lead = ((j1 - 0x21) >> 1) + 0x81;
    if lead > 0x9F {
        lead += 0x40;
    }
    let trail = if j1 & 1 == 1 { j2 + 0x1F + u8::from(j2 >= 0x60) } else { j2 + 0x7E };
    [lead, trail]
}

/// Shift_JIS bytes from our own encoder (well-formed) → ISO-2022-JP.
fn sjis_to_iso2022jp(sjis: &[u8], au_emoji: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(sjis.len() + sjis.len() / 2 + 8);
    let mut kanji = false;
    let mut i = 0;
    while i < sjis.len() {
        let b = sjis[i];
        if b < 0x80 || !(0x81..=0x9F).contains(&b) && !(0xE0..=0xFC).contains(&b) {
            if kanji {
                out.extend_from_slice(ESC_ASCII);
                kanji = false;
            }
            // Half-width kana and stray high bytes cannot occur after `sjis_for_jis`.
            out.push(if b < 0x80 { b } else { b'?' });
            i += 1;
            continue;
        }
        let t = sjis.get(i + 1).copied().unwrap_or(0);
        i += 2;
        let jis = match b {
            0xFA..=0xFC => {
                let pair = [b, t];
                let (s, _) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&pair);
                s.chars()
                    .next()
                    .and_then(|c| NEC_SELECTED.get(&c))
                    .filter(|_| !au_emoji)
                    .and_then(|p| sjis_to_jis(p[0], p[1]))
            }
            _ => sjis_to_jis(b, t),
        };
        if !kanji {
            out.extend_from_slice(ESC_KANJI);
            kanji = true;
        }
        out.extend_from_slice(&jis.unwrap_or(GETA_JIS));
    }
    if kanji {
        out.extend_from_slice(ESC_ASCII);
    }
    out
}

/// ISO-2022-JP (lenient) → Shift_JIS bytes for [`decode_sjis`]: JIS X 0208 rows go to their
/// CP932 codes (row 13 and 89–92 included, au mail-JIS rows to EB–EE), `ESC ( I` and SO/SI
/// kana to half-width bytes, raw 8-bit bytes (docomo/WILLCOM emoji) pass through; sets we
/// cannot map (JIS X 0212, JIS X 0213 plane 2) and truncated pairs become 0xFF (U+FFFD).
fn iso2022jp_to_sjis(b: &[u8]) -> Vec<u8> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Ascii,
        Kana,
        Kanji,
        Unmapped,
    }
    let mut out = Vec::with_capacity(b.len());
    let mut mode = Mode::Ascii;
    let mut before_so = None;
    let mut i = 0;
    while i < b.len() {
        let x = b[i];
        if x == 0x1B {
            let rest = &b[i + 1..];
            let (next, used) =
                if rest.starts_with(b"(B") || rest.starts_with(b"(J") || rest.starts_with(b"(H") {
                    (Some(Mode::Ascii), 3)
                } else if rest.starts_with(b"(I") {
                    (Some(Mode::Kana), 3)
                } else if rest.starts_with(b"$@") || rest.starts_with(b"$B") {
                    (Some(Mode::Kanji), 3)
                } else if rest.starts_with(b"$(B")
                    || rest.starts_with(b"$(@")
                    || rest.starts_with(b"$(Q")
                    || rest.starts_with(b"$(O")
                {
                    (Some(Mode::Kanji), 4)
                } else if rest.starts_with(b"$(D") || rest.starts_with(b"$(P") {
                    (Some(Mode::Unmapped), 4)
                } else if rest.starts_with(b"&@") {
                    (None, 3)
                } else {
                    (None, 0)
                };
            if used > 0 {
                if let Some(m) = next {
                    mode = m;
                }
                before_so = None;
                i += used;
                continue;
            }
            out.push(x);
            i += 1;
            continue;
        }
        if x == 0x0E {
            before_so = Some(mode);
            mode = Mode::Kana;
            i += 1;
            continue;
        }
        if x == 0x0F
            && let Some(m) = before_so.take()
        {
            mode = m;
            i += 1;
            continue;
        }
        if x >= 0x80 {
            out.push(x);
            if ((0x81..=0x9F).contains(&x) || (0xE0..=0xFC).contains(&x))
                && let Some(&t) = b.get(i + 1).filter(|&&t| t >= 0x40 && t != 0x7F)
            {
                out.push(t);
                i += 1;
            }
            i += 1;
            continue;
        }
        match mode {
            Mode::Ascii => out.push(x),
            Mode::Kana => out.push(if (0x21..=0x5F).contains(&x) { x + 0x80 } else { x }),
            Mode::Kanji | Mode::Unmapped if (0x21..=0x7E).contains(&x) => match b.get(i + 1) {
                Some(&y) if (0x21..=0x7E).contains(&y) => {
                    if mode == Mode::Kanji {
                        out.extend_from_slice(&jis_to_sjis(x, y));
                    } else {
                        out.push(0xFF);
                    }
                    i += 1;
                }
                _ => out.push(0xFF),
            },
            _ => out.push(x),
        }
        i += 1;
    }
    out
}

fn normalise_label(label: &str) -> String {
    label.trim().trim_matches('"').to_ascii_lowercase()
}

/// Decodes a mail body or header text in the labelled charset, with the sending carrier's
/// emoji. ISO-2022-JP is read leniently: CP50220/CP50221-style half-width kana (`ESC ( I`,
/// SO/SI), NEC row 13 and rows 89–92, au's mail-JIS emoji rows when `carrier` is au, and raw
/// Shift_JIS bytes inside it (docomo and WILLCOM put their emoji there). Shift_JIS mail from
/// au may carry emoji in either au range (web F340–F7FC or mail EB40–EE8D). Unlabelled or
/// US-ASCII text that contains `ESC $` is read as ISO-2022-JP. Other labels known to
/// encoding_rs (EUC-JP, …) are decoded without emoji; unknown labels as UTF-8.
pub fn decode_mail_text(bytes: &[u8], charset_label: &str, carrier: Carrier) -> String {
    let label = normalise_label(charset_label);
    match label.as_str() {
        "iso-2022-jp" | "iso-2022-jp-1" | "iso-2022-jp-2" | "iso-2022-jp-3" | "csiso2022jp"
        | "cp50220" | "cp50221" | "cp50222" | "x-iso-2022-jp" | "jis" | "iso-2022-jp-ms" => {
            decode_sjis(&iso2022jp_to_sjis(bytes), carrier, true)
        }
        "shift_jis" | "shift-jis" | "sjis" | "x-sjis" | "windows-31j" | "cp932" | "ms932"
        | "ms_kanji" | "csshiftjis" | "cswindows31j" | "x-ms-cp932" | "x-sjis-docomo"
        | "x-sjis-kddi" | "x-sjis-softbank" => decode_sjis(bytes, carrier, true),
        "utf-8" | "utf8" | "x-utf8-docomo" | "x-utf8-kddi" | "x-utf8-softbank" => {
            decode_utf8(bytes, carrier)
        }
        "" | "us-ascii" | "ascii" => {
            if bytes.windows(2).any(|w| w == b"\x1b$") {
                decode_sjis(&iso2022jp_to_sjis(bytes), carrier, true)
            } else if std::str::from_utf8(bytes).is_ok() {
                decode_utf8(bytes, carrier)
            } else {
                decode_sjis(bytes, carrier, true)
            }
        }
        other => match encoding_rs::Encoding::for_label(other.as_bytes()) {
            Some(enc) => {
                let (text, _) = enc.decode_without_bom_handling(bytes);
                decode_utf8(text.as_bytes(), Carrier::Other)
            }
            None => decode_utf8(bytes, carrier),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 2047

fn b64_value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Lenient base64: skips anything outside the alphabet, stops at padding.
fn base64_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in s {
        if c == b'=' {
            break;
        }
        let Some(v) = b64_value(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn base64_encode(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

fn hex_value(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn q_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'_' => out.push(b' '),
            b'=' if i + 2 < s.len() => match (hex_value(s[i + 1]), hex_value(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'='),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// One `=?charset?enc?text?=` at the start of `s`: (charset, decoded bytes, length).
fn encoded_word(s: &[u8]) -> Option<(&[u8], Vec<u8>, usize)> {
    let body = s.strip_prefix(b"=?")?;
    let q1 = body.iter().position(|&c| c == b'?')?;
    let charset = &body[..q1];
    let enc = *body.get(q1 + 1)?;
    if body.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let text_len = body[text_start..].windows(2).position(|w| w == b"?=")?;
    let text = &body[text_start..text_start + text_len];
    if text.iter().any(|c| c.is_ascii_whitespace()) {
        return None;
    }
    let bytes = match enc.to_ascii_uppercase() {
        b'B' => base64_decode(text),
        b'Q' => q_decode(text),
        _ => return None,
    };
    // RFC 2231 language suffix: charset*lang.
    let charset = charset.split(|&c| c == b'*').next().unwrap_or(charset);
    Some((charset, bytes, 2 + text_start + text_len + 2))
}

/// Decodes an RFC 2047 header value (`Subject`, display names). Adjacent encoded words in
/// the same charset are joined before decoding, so a character split across two words (as
/// some handsets do) survives; whitespace between encoded words is dropped; folding (CRLF
/// followed by a blank) is removed. Raw 8-bit text outside encoded words is read as UTF-8 if
/// valid, else as Shift_JIS (docomo sends raw Shift_JIS headers). Emoji per [`decode_mail_text`].
pub fn decode_rfc2047(header_value: &[u8], carrier: Carrier) -> String {
    let mut out = String::with_capacity(header_value.len());
    let mut raw: Vec<u8> = Vec::new();
    let mut pending: Option<(Vec<u8>, Vec<u8>)> = None; // (charset, bytes)
    let flush_pending = |out: &mut String, pending: &mut Option<(Vec<u8>, Vec<u8>)>| {
        if let Some((cs, bytes)) = pending.take() {
            out.push_str(&decode_mail_text(&bytes, &String::from_utf8_lossy(&cs), carrier));
        }
    };
    let flush_raw = |out: &mut String, raw: &mut Vec<u8>| {
        if raw.is_empty() {
            return;
        }
        let text = if std::str::from_utf8(raw).is_ok() {
            decode_utf8(raw, carrier)
        } else {
            decode_sjis(raw, carrier, true)
        };
        out.push_str(&text);
        raw.clear();
    };
    let s = header_value;
    let mut i = 0;
    while i < s.len() {
        if let Some((cs, bytes, used)) = encoded_word(&s[i..]) {
            if raw.iter().all(|c| c.is_ascii_whitespace()) && pending.is_some() {
                raw.clear();
            }
            flush_raw(&mut out, &mut raw);
            match &mut pending {
                Some((pcs, pbytes)) if pcs.eq_ignore_ascii_case(cs) => pbytes.extend(bytes),
                _ => {
                    flush_pending(&mut out, &mut pending);
                    pending = Some((cs.to_vec(), bytes));
                }
            }
            i += used;
            continue;
        }
        if s[i] == b'\r'
            && s.get(i + 1) == Some(&b'\n')
            && matches!(s.get(i + 2), Some(b' ' | b'\t'))
        {
            i += 2;
            continue;
        }
        if s[i] == b'\n' && matches!(s.get(i + 1), Some(b' ' | b'\t')) {
            i += 1;
            continue;
        }
        if !s[i].is_ascii_whitespace() {
            flush_pending(&mut out, &mut pending);
        }
        raw.push(s[i]);
        i += 1;
    }
    if raw.iter().all(|c| c.is_ascii_whitespace()) && pending.is_some() {
        // Trailing blanks after the last word are kept.
        flush_pending(&mut out, &mut pending);
    }
    flush_pending(&mut out, &mut pending);
    flush_raw(&mut out, &mut raw);
    out
}

/// Splits text into units that must stay in one encoded word: a character with its
/// variation selectors, keycap mark, skin tone, zero-width-joined followers, or a flag pair.
fn units(text: &str) -> Vec<&str> {
    let mut units = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut regional_run = 0;
    for (i, c) in text.char_indices() {
        let regional = ('\u{1F1E6}'..='\u{1F1FF}').contains(&c);
        let joins = crate::emoji::is_emoji_modifier(c)
            || prev == Some('\u{200D}')
            || (regional && regional_run % 2 == 1);
        regional_run = if regional { regional_run + 1 } else { 0 };
        if i > start && !joins {
            units.push(&text[start..i]);
            start = i;
        }
        prev = Some(c);
    }
    if start < text.len() {
        units.push(&text[start..]);
    }
    units
}

/// Encodes a header value (e.g. a subject) as RFC 2047 B-encoded words in `charset`, each at
/// most 75 characters and self-contained (ISO-2022-JP words end in ASCII mode), joined by
/// CRLF SP folding. Printable ASCII without `=?` is returned unchanged. Emoji and
/// unmappable characters as in [`encode_mail_body`] (never an NCR).
pub fn encode_rfc2047(text: &str, charset: MailCharset, emoji: EmojiOut) -> String {
    if text.bytes().all(|b| (0x20..0x7F).contains(&b)) && !text.contains("=?") {
        return text.to_owned();
    }
    let prefix = format!("=?{}?B?", charset.label());
    // 75 characters per word: prefix + base64 + "?=".
    let max_raw = (75 - prefix.len() - 2) / 4 * 3;
    let to_bytes = |unit_bytes: &[u8]| -> Vec<u8> {
        match charset {
            MailCharset::Iso2022Jp => sjis_to_iso2022jp(unit_bytes, emoji == EmojiOut::AuSjis),
            _ => unit_bytes.to_vec(),
        }
    };
    let unit_bytes = |u: &str| -> Vec<u8> {
        match charset {
            MailCharset::Iso2022Jp => sjis_for_jis(u, emoji, ExtensionRows::Keep),
            MailCharset::ShiftJis | MailCharset::Utf8 => encode_mail_body(u, charset, emoji),
        }
    };
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for unit in units(text) {
        let ub = unit_bytes(unit);
        let mut candidate = current.clone();
        candidate.extend_from_slice(&ub);
        if !current.is_empty() && to_bytes(&candidate).len() > max_raw {
            words.push(to_bytes(&current));
            current = ub;
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        words.push(to_bytes(&current));
    }
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n ");
        }
        out.push_str(&prefix);
        base64_encode(word, &mut out);
        out.push_str("?=");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jis_sjis_conversions_are_inverse() {
        for j1 in 0x21u8..=0x7E {
            for j2 in 0x21u8..=0x7E {
                let [l, t] = jis_to_sjis(j1, j2);
                assert_eq!(sjis_to_jis(l, t), Some([j1, j2]));
            }
        }
        assert_eq!(jis_to_sjis(0x75, 0x3A), [0xEB, 0x59]);
    }

    #[test]
    fn iso2022jp_round_trip() {
        let text = "こんにちは、ｶﾀｶﾅ①㈱髙ABC\\~";
        let bytes = encode_iso2022jp(text, EmojiOut::Unicode, ExtensionRows::Keep);
        assert!(bytes.iter().all(|&b| b < 0x80));
        let back = decode_mail_text(&bytes, "ISO-2022-JP", Carrier::Other);
        assert_eq!(back, "こんにちは、カタカナ①㈱髙ABC\\~");
        let (whatwg, _, err) = encoding_rs::ISO_2022_JP.decode(&bytes);
        assert!(!err);
        assert_eq!(whatwg, back);
    }

    #[test]
    fn au_mail_emoji() {
        let bytes = encode_iso2022jp("晴れ☀", EmojiOut::AuSjis, ExtensionRows::Keep);
        assert_eq!(bytes, b"\x1b$B@2$l\x75\x41\x1b(B");
        assert_eq!(decode_mail_text(&bytes, "iso-2022-jp", Carrier::Au), "晴れ☀");
        // Not au: the same rows are NEC-selected IBM kanji or unassigned.
        assert_ne!(decode_mail_text(&bytes, "iso-2022-jp", Carrier::Docomo), "晴れ☀");
    }

    #[test]
    fn other_schemes_get_text_fallbacks_in_iso2022jp() {
        let bytes =
            encode_iso2022jp("🌁", EmojiOut::Docomo { extended: true }, ExtensionRows::Keep);
        assert_eq!(decode_mail_text(&bytes, "ISO-2022-JP", Carrier::Docomo), "[霧]");
    }

    #[test]
    fn cp50220_style_input() {
        // ESC ( I half-width kana, SO/SI kana, NEC row 13, ESC ( J, no final ESC ( B.
        let mail = b"\x1b(I6\x1b(B-\x0e6\x0f-\x1b$B-j\x1b(J\\\x1b$B$\"";
        assert_eq!(decode_mail_text(mail, "iso-2022-jp", Carrier::Other), "ｶ-ｶ-㈱\\あ");
        // Lone byte in two-byte mode and an unknown set.
        assert_eq!(decode_mail_text(b"\x1b$B$", "ISO-2022-JP", Carrier::Other), "\u{FFFD}");
        assert_eq!(decode_mail_text(b"\x1b$(D+!", "ISO-2022-JP", Carrier::Other), "\u{FFFD}");
    }

    #[test]
    fn rfc2047_character_split_across_words() {
        // "あ" in UTF-8 is E3 81 82: split over two words.
        let v = b"=?UTF-8?B?44E=?=\r\n =?UTF-8?B?gg==?=";
        assert_eq!(decode_rfc2047(v, Carrier::Other), "あ");
        // Raw Shift_JIS in a header (docomo).
        assert_eq!(decode_rfc2047(b"\x90\xb0\xf8\x9f", Carrier::Docomo), "晴☀");
        assert_eq!(encode_rfc2047("plain", MailCharset::Iso2022Jp, EmojiOut::Unicode), "plain");
    }

    #[test]
    fn docomo_raw_sjis_inside_iso2022jp() {
        let mail = b"\x1b$B@2$l\x1b(B\xf8\x9f!";
        assert_eq!(decode_mail_text(mail, "ISO-2022-JP", Carrier::Docomo), "晴れ☀!");
    }

    #[test]
    fn rfc2047_both_ways() {
        let subject = "日記を書きました☀ありがとうございます。とても長い件名でも分割されます";
        for cs in [MailCharset::Iso2022Jp, MailCharset::ShiftJis, MailCharset::Utf8] {
            let enc = encode_rfc2047(subject, cs, EmojiOut::AuSjis);
            for word in enc.split("\r\n ") {
                assert!(word.len() <= 75, "{word}");
            }
            assert_eq!(decode_rfc2047(enc.as_bytes(), Carrier::Au), subject, "{enc}");
        }
        let pc = encode_rfc2047("霧🌁", MailCharset::Iso2022Jp, EmojiOut::Unicode);
        assert_eq!(decode_rfc2047(pc.as_bytes(), Carrier::Other), "霧[霧]");
        assert_eq!(
            decode_rfc2047(
                b"=?ISO-2022-JP?B?GyRCJCIbKEI=?= =?ISO-2022-JP?B?GyRCJCQbKEI=?= x",
                Carrier::Other
            ),
            "あい x"
        );
        assert_eq!(
            decode_rfc2047(b"=?utf-8?q?caf=C3=A9_au_lait?=", Carrier::Other),
            "café au lait"
        );
    }
}

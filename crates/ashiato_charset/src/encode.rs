//! UTF-8 → handset bytes: the page encoder and plain encoders.
//!
//! Escaping and encoding happen in one pass over the Unicode text: ASCII delimiters are
//! escaped as they are met and every other character is encoded whole (a CP932 pair, a
//! carrier emoji, an NCR or `〓`). A Shift_JIS lead byte is therefore always followed by its
//! trail byte, never by a delimiter of the surrounding markup.

use encoding_rs::{EncoderResult, SHIFT_JIS};

use crate::emoji::{self, Emoji, EmojiCarrier, Glyph};
use crate::sjis::{extension_substitute, is_extension_lead, normalised_bytes};
use crate::{Charset, EmojiOut, ExtensionRows, OutputTarget, Unmappable, kana};

/// How void elements (the au `<img localsrc>` icon) are closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum VoidTags {
    /// `<img localsrc="1" />` (XHTML, XHTML MP).
    #[default]
    Xhtml,
    /// `<img localsrc="1">` (cHTML / HTML 4).
    Html,
}

/// Where encoded text goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// Trusted markup: no escaping; non-ASCII is encoded, emoji as in `Text`.
    Markup,
    /// Element content: escaped; emoji may use markup (`<img localsrc>`); NCRs allowed.
    Text,
    /// Attribute values and form-control contents: escaped; no markup; NCRs allowed.
    Attr,
    /// Not markup at all (mail, URLs, subjects): no escaping, no markup; unmappable per policy.
    Plain(Unmappable),
    /// ISO-2022-JP preparation: like `Plain`, but au emoji use the mail Shift_JIS codes.
    MailJis(Unmappable),
}

impl Ctx {
    fn escapes(self) -> bool {
        matches!(self, Ctx::Text | Ctx::Attr)
    }

    fn markup_allowed(self) -> bool {
        matches!(self, Ctx::Text | Ctx::Markup)
    }

    fn ncr_allowed(self) -> bool {
        match self {
            Ctx::Markup | Ctx::Text | Ctx::Attr => true,
            Ctx::Plain(u) | Ctx::MailJis(u) => u == Unmappable::Ncr,
        }
    }

    fn plain(self) -> bool {
        matches!(self, Ctx::Plain(_) | Ctx::MailJis(_))
    }
}

const GETA_SJIS: [u8; 2] = [0x81, 0xAC];
const GETA_UTF8: &str = "\u{3013}";

/// Byte classes for the scanner: 1 = escape in escaping contexts, 2 = control to drop,
/// 3 = 0xE2 (first byte of U+203E OVERLINE, which encoding_rs would turn into `~`),
/// 4 = 0xC2 (first byte of the C1 controls U+0080–U+009F, dropped like C0 controls).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 2;
        i += 1;
    }
    t[b'\t' as usize] = 0;
    t[b'\n' as usize] = 0;
    t[b'\r' as usize] = 0;
    t[0x7F] = 2;
    t[b'&' as usize] = 1;
    t[b'<' as usize] = 1;
    t[b'>' as usize] = 1;
    t[b'"' as usize] = 1;
    t[b'\'' as usize] = 1;
    t[0xE2] = 3;
    t[0xC2] = 4;
    t
};

fn escape(b: u8) -> &'static [u8] {
    match b {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'"' => b"&quot;",
        _ => b"&#39;",
    }
}

fn push_ncr(out: &mut Vec<u8>, c: char) {
    out.extend_from_slice(b"&#");
    out.extend_from_slice((c as u32).to_string().as_bytes());
    out.push(b';');
}

fn push_char_utf8(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

fn pua_char(code: u16) -> char {
    char::from_u32(u32::from(code)).unwrap_or('\u{3013}')
}

/// The shared encoder behind [`PageEncoder`], [`encode_plain`] and the mail encoders.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Enc {
    pub(crate) target: OutputTarget,
    pub(crate) void: VoidTags,
}

impl Enc {
    pub(crate) fn new(target: OutputTarget) -> Self {
        Self { target, void: VoidTags::Xhtml }
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>, s: &str, ctx: Ctx) {
        match self.target.charset {
            Charset::ShiftJis => {
                if ctx == Ctx::Text && self.target.halfwidth_kana {
                    let converted = kana::to_halfwidth_katakana(s);
                    self.write_sjis(out, &converted, ctx);
                } else {
                    self.write_sjis(out, s, ctx);
                }
            }
            Charset::Utf8 => self.write_utf8(out, s, ctx),
        }
    }

    // -- Shift_JIS ------------------------------------------------------------------------

    fn write_sjis(&self, out: &mut Vec<u8>, s: &str, ctx: Ctx) {
        let bytes = s.as_bytes();
        let escapes = ctx.escapes();
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match CLASS[b as usize] {
                0 => i += 1,
                1 if !escapes => i += 1,
                3 => {
                    if bytes[i + 1..].starts_with(&[0x80, 0xBE]) {
                        self.sjis_run(out, s, run, i, ctx);
                        out.extend_from_slice(&[0x81, 0x50]);
                        i += 3;
                        run = i;
                    } else {
                        i += 1;
                    }
                }
                4 => {
                    if bytes.get(i + 1).is_some_and(|b| (0x80..=0x9F).contains(b)) {
                        self.sjis_run(out, s, run, i, ctx);
                        i += 2;
                        run = i;
                    } else {
                        i += 1;
                    }
                }
                class => {
                    self.sjis_run(out, s, run, i, ctx);
                    if class == 1 {
                        out.extend_from_slice(escape(b));
                    }
                    i += 1;
                    run = i;
                }
            }
        }
        self.sjis_run(out, s, run, bytes.len(), ctx);
    }

    /// Encodes `s[start..end]`, which holds no byte the scanner stops at.
    fn sjis_run(&self, out: &mut Vec<u8>, s: &str, start: usize, end: usize, ctx: Ctx) {
        if start == end {
            return;
        }
        let mark = out.len();
        let mut encoder = SHIFT_JIS.new_encoder();
        let mut pos = start;
        while pos < end {
            out.reserve(end - pos + 1);
            let (result, read) =
                encoder.encode_from_utf8_to_vec_without_replacement(&s[pos..end], out, true);
            match result {
                EncoderResult::InputEmpty => break,
                EncoderResult::OutputFull => pos += read,
                EncoderResult::Unmappable(c) => {
                    let cpos = pos + read - c.len_utf8();
                    pos = self.sjis_unmappable(out, s, cpos, c, ctx);
                }
            }
        }
        if self.target.extension_rows == ExtensionRows::Avoid && has_extension_pair(&out[mark..]) {
            out.truncate(mark);
            self.sjis_run_avoiding(out, s, start, end, ctx);
        }
    }

    /// The slow path for `ExtensionRows::Avoid`: one character at a time.
    fn sjis_run_avoiding(&self, out: &mut Vec<u8>, s: &str, start: usize, end: usize, ctx: Ctx) {
        let mut encoder = SHIFT_JIS.new_encoder();
        let mut pos = start;
        while pos < end {
            let Some(c) = s[pos..end].chars().next() else {
                break;
            };
            let next = pos + c.len_utf8();
            let mark = out.len();
            out.reserve(4);
            let (result, _) =
                encoder.encode_from_utf8_to_vec_without_replacement(&s[pos..next], out, true);
            match result {
                EncoderResult::Unmappable(c) => {
                    pos = self.sjis_unmappable(out, s, pos, c, ctx);
                    continue;
                }
                _ if out.len() - mark == 2 && is_extension_lead(out[mark]) => {
                    out.truncate(mark);
                    if let Some(sub) = extension_substitute(c) {
                        self.write_sjis(out, sub, ctx);
                    } else {
                        self.unmappable_other(out, c, ctx);
                    }
                }
                _ => {}
            }
            pos = next;
        }
    }

    /// Handles a character encoding_rs cannot encode; returns where encoding resumes.
    fn sjis_unmappable(&self, out: &mut Vec<u8>, s: &str, cpos: usize, c: char, ctx: Ctx) -> usize {
        let next = cpos + c.len_utf8();
        if let Some(b) = normalised_bytes(c) {
            out.extend_from_slice(&b);
            return next;
        }
        if c == '\u{FFFD}' || ('\u{E000}'..='\u{F8FF}').contains(&c) || c >= '\u{F0000}' {
            out.extend_from_slice(&GETA_SJIS);
            return next;
        }
        if let Some((emoji, end)) = self.emoji_here(out, s, cpos, c) {
            self.emoji(out, emoji, ctx);
            return end;
        }
        if emoji::is_emoji_modifier(c) {
            if self.target.emoji == EmojiOut::Unicode && ctx.ncr_allowed() && !ctx.plain() {
                push_ncr(out, c);
            }
            return next;
        }
        if emoji::is_pictographic(c) && self.target.emoji != EmojiOut::Unicode {
            out.extend_from_slice(&GETA_SJIS);
            return next;
        }
        self.unmappable_other(out, c, ctx);
        next
    }

    /// A keycap whose base character was already written (the base is ASCII, so it is the
    /// last output byte), or a table emoji starting at `cpos`.
    fn emoji_here(
        &self,
        out: &mut Vec<u8>,
        s: &str,
        cpos: usize,
        c: char,
    ) -> Option<(Emoji, usize)> {
        if matches!(c, '\u{FE0F}' | '\u{FE0E}' | '\u{20E3}')
            && cpos > 0
            && let base = s.as_bytes()[cpos - 1]
            && (base == b'#' || base.is_ascii_digit())
            && out.last() == Some(&base)
            && let Some((emoji, len)) = emoji::emoji_at(s, cpos - 1)
        {
            out.pop();
            return Some((emoji, cpos - 1 + len));
        }
        emoji::emoji_at(s, cpos).map(|(e, len)| (e, cpos + len))
    }

    fn unmappable_other(&self, out: &mut Vec<u8>, c: char, ctx: Ctx) {
        if ctx.ncr_allowed() {
            push_ncr(out, c);
        } else {
            match self.target.charset {
                Charset::ShiftJis => out.extend_from_slice(&GETA_SJIS),
                Charset::Utf8 => out.extend_from_slice(GETA_UTF8.as_bytes()),
            }
        }
    }

    // -- UTF-8 --------------------------------------------------------------------------------

    fn write_utf8(&self, out: &mut Vec<u8>, s: &str, ctx: Ctx) {
        let bytes = s.as_bytes();
        let escapes = ctx.escapes();
        let carrier = self.target.emoji != EmojiOut::Unicode;
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                match CLASS[b as usize] {
                    0 => {}
                    1 if !escapes => {}
                    class => {
                        out.extend_from_slice(&bytes[run..i]);
                        if class == 1 {
                            out.extend_from_slice(escape(b));
                        }
                        run = i + 1;
                    }
                }
                i += 1;
                continue;
            }
            let Some(c) = s[i..].chars().next() else {
                break;
            };
            let special = if carrier {
                emoji::may_be_emoji(c)
                    || emoji::is_emoji_modifier(c)
                    || ('\u{E000}'..='\u{F8FF}').contains(&c)
                    || c >= '\u{F0000}'
            } else {
                false
            };
            if !special {
                i += c.len_utf8();
                continue;
            }
            out.extend_from_slice(&bytes[run..i]);
            i = self.utf8_special(out, s, i, c, ctx);
            run = i;
        }
        out.extend_from_slice(&bytes[run..]);
    }

    fn utf8_special(&self, out: &mut Vec<u8>, s: &str, cpos: usize, c: char, ctx: Ctx) -> usize {
        let next = cpos + c.len_utf8();
        if let Some((emoji, end)) = self.emoji_here(out, s, cpos, c) {
            self.emoji(out, emoji, ctx);
            return end;
        }
        if emoji::is_emoji_modifier(c) {
            return next;
        }
        if emoji::is_pictographic(c) || ('\u{E000}'..='\u{F8FF}').contains(&c) || c >= '\u{F0000}' {
            out.extend_from_slice(GETA_UTF8.as_bytes());
            return next;
        }
        push_char_utf8(out, c);
        next
    }

    // -- Emoji --------------------------------------------------------------------------------

    /// Writes one table emoji for the target, or its fallback.
    fn emoji(&self, out: &mut Vec<u8>, emoji: Emoji, ctx: Ctx) {
        let sjis = self.target.charset == Charset::ShiftJis;
        if matches!(ctx, Ctx::MailJis(_)) && self.target.emoji != EmojiOut::AuSjis {
            // ISO-2022-JP has room for au's mail-JIS emoji only.
            self.emoji_fallback(out, emoji, ctx);
            return;
        }
        let done = match self.target.emoji {
            EmojiOut::Docomo { extended } => {
                let codes = glyph_codes(emoji, EmojiCarrier::Docomo, |pua| {
                    emoji::docomo_pua_to_sjis(pua)
                        .filter(|&sj| extended || !emoji::docomo_is_extended(sj))
                        .map(|_| pua)
                });
                codes.map(|codes| {
                    self.write_codes(out, codes, |pua| {
                        if sjis { emoji::docomo_pua_to_sjis(pua) } else { Some(pua) }
                    });
                })
            }
            EmojiOut::AuSjis => {
                let codes = glyph_codes(emoji, EmojiCarrier::Kddi, emoji::kddi_pua_to_sjis);
                codes.map(|codes| {
                    self.write_codes(out, codes, |sj| match ctx {
                        Ctx::MailJis(_) => emoji::kddi_sjis_to_mail(sj),
                        _ if sjis => Some(sj),
                        _ => emoji::kddi_sjis_to_auto(sj),
                    });
                })
            }
            EmojiOut::AuImg => {
                if ctx.markup_allowed() {
                    let codes = glyph_codes(emoji, EmojiCarrier::Kddi, |pua| {
                        emoji::kddi_pua_to_sjis(pua).and_then(emoji::au_icon_number)
                    });
                    codes.map(|icons| {
                        for n in icons {
                            out.extend_from_slice(b"<img localsrc=\"");
                            out.extend_from_slice(n.to_string().as_bytes());
                            out.extend_from_slice(match self.void {
                                VoidTags::Xhtml => b"\" />",
                                VoidTags::Html => b"\">",
                            });
                        }
                    })
                } else {
                    None
                }
            }
            EmojiOut::SoftbankWebcode { full } => self.softbank(out, emoji, ctx, full),
            EmojiOut::SoftbankUtf8Pua => self.softbank(out, emoji, ctx, true),
            EmojiOut::Unicode => {
                let u = emoji.unicode();
                match u {
                    Some(u) if !sjis => {
                        out.extend_from_slice(u.as_bytes());
                        Some(())
                    }
                    Some(u) if ctx.ncr_allowed() => {
                        u.chars().for_each(|c| push_ncr(out, c));
                        Some(())
                    }
                    _ => None,
                }
            }
        };
        if done.is_none() {
            self.emoji_fallback(out, emoji, ctx);
        }
    }

    fn softbank(&self, out: &mut Vec<u8>, emoji: Emoji, ctx: Ctx, full: bool) -> Option<()> {
        let sjis = self.target.charset == Charset::ShiftJis;
        let usable = |pua: u16| (full || pua <= 0xE2FF).then_some(pua);
        if !sjis {
            let codes = glyph_codes(emoji, EmojiCarrier::Softbank, usable)?;
            self.write_codes(out, codes, Some);
            return Some(());
        }
        if ctx.plain() {
            let codes = glyph_codes(emoji, EmojiCarrier::Softbank, |p| {
                usable(p).and_then(emoji::softbank_pua_to_sjis)
            })?;
            self.write_codes(out, codes, Some);
            return Some(());
        }
        if ctx == Ctx::Attr {
            return None;
        }
        let codes = glyph_codes(emoji, EmojiCarrier::Softbank, |p| {
            usable(p).and_then(emoji::softbank_pua_to_webcode).map(|_| p)
        })?;
        for pua in codes {
            if let Some((page, ch)) = emoji::softbank_pua_to_webcode(pua) {
                out.extend_from_slice(&[0x1B, b'$', page, ch, 0x0F]);
            }
        }
        Some(())
    }

    /// Writes carrier codes: as Shift_JIS bytes when the target is Shift_JIS, else as UTF-8
    /// private-use characters. `map` turns each code into the value to write.
    fn write_codes(&self, out: &mut Vec<u8>, codes: Vec<u16>, map: impl Fn(u16) -> Option<u16>) {
        for code in codes {
            let Some(v) = map(code) else { continue };
            if self.target.charset == Charset::ShiftJis {
                out.extend_from_slice(&v.to_be_bytes());
            } else {
                push_char_utf8(out, pua_char(v));
            }
        }
    }

    fn emoji_fallback(&self, out: &mut Vec<u8>, emoji: Emoji, ctx: Ctx) {
        match emoji.text_fallback() {
            // Text fallbacks are ASCII or JIS X 0208 and hold no emoji, so this cannot recurse
            // back here; it still escapes (fallbacks such as "[<<]" contain delimiters).
            // Fallbacks are user-visible text even inside template markup.
            Some(text) => self.write(out, text, if ctx == Ctx::Markup { Ctx::Text } else { ctx }),
            None => match self.target.charset {
                Charset::ShiftJis => out.extend_from_slice(&GETA_SJIS),
                Charset::Utf8 => out.extend_from_slice(GETA_UTF8.as_bytes()),
            },
        }
    }
}

/// The carrier codes for an emoji: its round-trip glyph, else its best-fit glyph, provided
/// `usable` accepts every code (and maps it to what the caller wants).
fn glyph_codes(
    emoji: Emoji,
    carrier: EmojiCarrier,
    usable: impl Fn(u16) -> Option<u16>,
) -> Option<Vec<u16>> {
    let codes: &[u16] = match emoji.glyph(carrier) {
        Glyph::None => return None,
        Glyph::Exact(c) => return usable(c).map(|v| vec![v]),
        Glyph::Fit(codes) => codes,
    };
    codes.iter().map(|&c| usable(c)).collect()
}

fn has_extension_pair(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, 0x81..=0x9F | 0xE0..=0xFC) {
            if is_extension_lead(b) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Encodes text for a context that is not markup (mail bodies, subjects before RFC 2047,
/// URL components before percent-encoding, plain-text downloads). Nothing is escaped; emoji
/// use the target's byte form (never `<img>`: `AuImg` gives the text fallback; SoftBank gives
/// "sjis_auto" bytes on Shift_JIS); other unmappable characters follow `unmappable`. C0
/// controls other than TAB, LF and CR, DEL and C1 controls are dropped.
pub fn encode_plain(text: &str, target: &OutputTarget, unmappable: Unmappable) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 16);
    Enc::new(*target).write(&mut out, text, Ctx::Plain(unmappable));
    out
}

/// A position in a [`PageEncoder`]'s output to return to with [`PageEncoder::rollback`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint(usize);

/// Builds one page for one handset. Writes go straight into the page's bytes, so
/// [`len`](Self::len) is the exact size sent (for byte budgets).
///
/// ```
/// use ashiato_charset::{Charset, EmojiOut, OutputTarget, PageEncoder};
/// let target = OutputTarget::new(Charset::ShiftJis, EmojiOut::Docomo { extended: true });
/// let mut page = PageEncoder::new(target);
/// page.markup("<p title=\"").attr("晴れ\"").markup("\">").text("今日は☀<b>").markup("</p>");
/// assert_eq!(
///     page.finish(),
///     b"<p title=\"\x90\xb0\x82\xea&quot;\">\x8d\xa1\x93\xfa\x82\xcd\xf8\x9f&lt;b&gt;</p>"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct PageEncoder {
    enc: Enc,
    out: Vec<u8>,
}

impl PageEncoder {
    /// A page encoder for `target`, closing void tags XHTML-style (`/>`).
    pub fn new(target: OutputTarget) -> Self {
        Self::with_capacity(target, 8 * 1024)
    }

    /// As [`new`](Self::new), reserving `capacity` bytes.
    pub fn with_capacity(target: OutputTarget, capacity: usize) -> Self {
        Self { enc: Enc::new(target), out: Vec::with_capacity(capacity) }
    }

    /// Chooses how generated void elements (au `<img localsrc>`) are closed.
    #[must_use]
    pub fn void_tags(mut self, void: VoidTags) -> Self {
        self.enc.void = void;
        self
    }

    /// The target this encoder writes for.
    pub fn target(&self) -> &OutputTarget {
        &self.enc.target
    }

    /// Trusted markup from templates, written without escaping. Non-ASCII characters in it
    /// are still encoded for the target (emoji as in [`text`](Self::text)).
    pub fn markup(&mut self, markup: &str) -> &mut Self {
        self.enc.write(&mut self.out, markup, Ctx::Markup);
        self
    }

    /// Element content: escapes `& < > " '`, writes emoji for the target (au icons as
    /// `<img localsrc="N">`), unmappable characters as decimal NCRs, and converts katakana to
    /// half-width if the target asks for it.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.enc.write(&mut self.out, text, Ctx::Text);
        self
    }

    /// An attribute value, or the content of a form control (`<textarea>`, `<option>`):
    /// escaped like [`text`](Self::text), never markup and never katakana conversion (form
    /// values must come back as typed). Emoji are written as the carrier's own bytes where
    /// that is plain text in the page (docomo and au Shift_JIS, private-use on UTF-8, Unicode)
    /// so a form value round-trips; where the scheme needs markup or escapes (`AuImg`,
    /// SoftBank webcodes, Unicode on Shift_JIS) they become their text fallback.
    pub fn attr(&mut self, value: &str) -> &mut Self {
        self.enc.write(&mut self.out, value, Ctx::Attr);
        self
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    /// Marks the current position (for dropping content that overflows a byte budget).
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint(self.out.len())
    }

    /// Drops everything written after `checkpoint`.
    pub fn rollback(&mut self, checkpoint: Checkpoint) {
        self.out.truncate(checkpoint.0);
    }

    /// The finished page.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(target: OutputTarget, f: impl FnOnce(&mut PageEncoder)) -> Vec<u8> {
        let mut p = PageEncoder::new(target);
        f(&mut p);
        p.finish()
    }

    const DOCOMO: OutputTarget =
        OutputTarget::new(Charset::ShiftJis, EmojiOut::Docomo { extended: true });

    #[test]
    fn normalisation_pairs_encode_like_cp932() {
        for (from, to, bytes) in crate::sjis::NORMALISE {
            let a = encode_plain(&from.to_string(), &DOCOMO, Unmappable::Geta);
            let b = encode_plain(&to.to_string(), &DOCOMO, Unmappable::Geta);
            assert_eq!(a, bytes, "U+{:04X}", from as u32);
            assert_eq!(b, bytes, "U+{:04X}", to as u32);
        }
    }

    #[test]
    fn unmappable_policy() {
        let t = page(DOCOMO, |p| {
            p.text("é");
        });
        assert_eq!(t, b"&#233;");
        assert_eq!(encode_plain("é\u{FFFD}", &DOCOMO, Unmappable::Geta), b"\x81\xac\x81\xac");
    }

    #[test]
    fn keycap_and_flag() {
        let t = encode_plain("#\u{FE0F}\u{20E3}1\u{20E3}🇯🇵x", &DOCOMO, Unmappable::Geta);
        let flag = emoji::by_unicode("🇯🇵").and_then(Emoji::text_fallback).expect("flag text");
        let mut want = b"\xf9\x85\xf9\x87".to_vec();
        want.extend(encode_plain(flag, &DOCOMO, Unmappable::Geta));
        want.push(b'x');
        assert_eq!(t, want);
    }

    #[test]
    fn au_img_and_xhtml_choice() {
        let au = OutputTarget::new(Charset::ShiftJis, EmojiOut::AuImg);
        let t = page(au, |p| {
            p.text("☀");
        });
        assert_eq!(t, b"<img localsrc=\"44\" />");
        let mut p = PageEncoder::new(au).void_tags(VoidTags::Html);
        p.text("☀").attr("☀");
        assert_eq!(p.finish(), b"<img localsrc=\"44\">\x81\xac");
    }

    #[test]
    fn softbank_webcode_and_c_type_limit() {
        let sb = OutputTarget::new(Charset::ShiftJis, EmojiOut::SoftbankWebcode { full: false });
        let t = page(sb, |p| {
            p.text("☀");
        });
        assert_eq!(t, b"\x1b$Gj\x0f");
    }

    #[test]
    fn extension_rows_avoid() {
        let mut target = DOCOMO;
        target.extension_rows = ExtensionRows::Avoid;
        assert_eq!(encode_plain("①㈱髙", &target, Unmappable::Geta), b"(1)(\x8a\x94)\x81\xac");
        assert_eq!(encode_plain("①", &DOCOMO, Unmappable::Geta), b"\x87\x40");
    }
}

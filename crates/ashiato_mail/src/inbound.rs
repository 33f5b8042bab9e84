//! Parsing a received message into what a post needs.
//!
//! mail-parser finds the MIME structure and undoes base64 / quoted-printable on binary parts.
//! Text is decoded by `ashiato_charset` from the raw part bytes and the part's charset label,
//! with the carrier guessed from the `From:` domain: mail-parser's own decoders know neither
//! au's emoji rows in ISO-2022-JP nor the carriers' Shift_JIS emoji (they would come out as
//! private-use code points or U+FFFD).

use std::collections::HashSet;

use ashiato_charset::{Carrier, decode_mail_text, decode_rfc2047, strip_private_use};
use base64::Engine as _;
use mail_parser::{MessageParser, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::address::{MailAddress, parse_mailbox};
use crate::carrier::MailCarrier;
use crate::error::MailError;
use crate::scan::prescan;

/// Limits applied by [`parse_inbound`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InboundLimits {
    /// Largest accepted message in bytes, checked before parsing (default 10 MiB).
    pub max_message_bytes: usize,
    /// Largest header block (of the message or any part) in bytes (default 64 KiB).
    pub max_header_bytes: usize,
    /// Deepest nesting of multiparts and attached messages (default 10; a decorated mail from
    /// a phone uses 3).
    pub max_depth: usize,
    /// Most MIME parts, containers included (default 64).
    pub max_parts: usize,
    /// Most images kept (default 3, as OpenPNE and mixi allowed per diary entry).
    pub max_images: usize,
    /// What happens to images beyond `max_images` (default: dropped with a notice).
    pub extra_images: ExtraImages,
}

impl Default for InboundLimits {
    fn default() -> Self {
        InboundLimits {
            max_message_bytes: 10 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            max_depth: 10,
            max_parts: 64,
            max_images: 3,
            extra_images: ExtraImages::Drop,
        }
    }
}

/// Policy for more images than [`InboundLimits::max_images`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ExtraImages {
    /// Keep the first ones (in message order) and record [`Notice::ImagesDropped`]. The
    /// default: re-sending a long mail from a keypad is painful, and the text still arrives.
    #[default]
    Drop,
    /// Refuse the whole message with [`MailError::TooManyImages`].
    Refuse,
}

/// A picture format the photo pipeline accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageKind {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// GIF (`GIF87a` / `GIF89a`).
    Gif,
}

impl ImageKind {
    /// The format from the first bytes, whatever the part claimed to be.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(ImageKind::Gif)
        } else {
            None
        }
    }

    /// The MIME type.
    pub fn mime_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Gif => "image/gif",
        }
    }
}

/// An image from an attachment or an inline (decorated-mail) part. Only the magic bytes are
/// checked here; the photo pipeline decodes under its own limits.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    /// The bytes after transfer decoding.
    pub bytes: Vec<u8>,
    /// The `Content-Type` the part declared, lower case (`image/jpeg`, `application/octet-stream`).
    pub declared_type: String,
    /// The format found in the bytes.
    pub kind: ImageKind,
    /// File name from `Content-Disposition` or `Content-Type`, if any.
    pub filename: Option<String>,
    /// An inline image of a decorated mail (`multipart/related`, has a `Content-ID`).
    pub inline: bool,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("bytes", &self.bytes.len())
            .field("declared_type", &self.declared_type)
            .field("kind", &self.kind)
            .field("filename", &self.filename)
            .field("inline", &self.inline)
            .finish()
    }
}

/// Something the sender may want to hear about, though the message was usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Images beyond the limit were dropped.
    ImagesDropped {
        /// Images kept.
        kept: usize,
        /// Images dropped.
        dropped: usize,
    },
    /// A part declared as an image is not JPEG, PNG or GIF.
    UnsupportedImage {
        /// Its declared type.
        declared_type: String,
    },
    /// A part that is neither body text nor an image (video, PDF, attached mail, text file).
    AttachmentIgnored {
        /// Its declared type.
        declared_type: String,
    },
    /// A part's base64 or quoted-printable had invalid characters; they were skipped as
    /// RFC 2045 §6.8 says.
    EncodingRepaired {
        /// The part's declared type.
        declared_type: String,
    },
    /// The text came from an HTML part with the tags removed (no text/plain part).
    TextFromHtml,
}

/// Facts that forbid automatic replies (RFC 3834) and mark mail no person wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoopFacts {
    /// `Auto-Submitted` value (lower case) when present and not `no`.
    pub auto_submitted: Option<String>,
    /// `Return-Path: <>` or an empty envelope sender.
    pub empty_return_path: bool,
    /// `Precedence` value (lower case) when it is `bulk`, `list` or `junk`.
    pub precedence: Option<String>,
    /// Names of `List-*` headers present.
    pub list_headers: Vec<String>,
    /// `From:` (or the envelope sender) is `MAILER-DAEMON`, `postmaster` or a list robot.
    pub automated_sender: bool,
    /// A delivery or disposition report (`multipart/report`, `message/delivery-status`).
    pub report: bool,
}

impl LoopFacts {
    /// Whether any fact says the message was generated by a machine.
    pub fn is_automated(&self) -> bool {
        self.auto_submitted.is_some()
            || self.empty_return_path
            || self.precedence.is_some()
            || !self.list_headers.is_empty()
            || self.automated_sender
            || self.report
    }
}

/// Where the duplicate-suppression key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DedupSource {
    /// The `Message-ID` header.
    MessageId,
    /// No `Message-ID`: a hash of `From`, `Date`, `Subject` and the body bytes (not the
    /// `Received` trace, which differs between delivery attempts).
    ContentHash,
}

/// The key that makes posting exactly-once: store `(member, digest)` as unique in the same
/// transaction as the post; a second delivery of the same message then posts nothing and is
/// answered as delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DedupKey {
    /// What was hashed.
    pub source: DedupSource,
    /// SHA-256 over a source tag and the Message-ID or the content.
    pub digest: [u8; 32],
}

impl DedupKey {
    /// Lower-case hex of the digest, for storage as text.
    pub fn to_hex(&self) -> String {
        self.digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A received message, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    /// The `Message-ID` without angle brackets, when present.
    pub message_id: Option<String>,
    /// Duplicate-suppression key.
    pub dedup: DedupKey,
    /// The first mailbox of `From:`.
    pub from: Option<MailAddress>,
    /// The sender's carrier guessed from the `From:` domain (`Pc` without a `From:`).
    pub carrier: MailCarrier,
    /// The subject in Unicode with standard emoji, one line, trimmed.
    pub subject: String,
    /// The body text: text/plain parts (joined by a blank line), else HTML with the tags
    /// removed. `\n` line ends, trimmed, standard emoji, no private-use code points.
    pub text: String,
    /// Usable images in message order, at most [`InboundLimits::max_images`].
    pub images: Vec<Image>,
    /// Things dropped or repaired on the way.
    pub notices: Vec<Notice>,
    /// Loop-protection facts.
    pub loop_facts: LoopFacts,
    /// The SPF result our MTA recorded (`pass`, `fail`, `softfail`, `neutral`, `none`, …,
    /// lower case): the topmost `Received-SPF` header, else the `spf=` of the topmost
    /// `Authentication-Results`. Headers are prepended as mail travels, so the topmost is the
    /// nearest MTA's; a sender's own lower down is never read. `None` when there is neither.
    pub spf: Option<String>,
    /// Size of the raw message in bytes.
    pub size: usize,
}

impl Inbound {
    /// Adds what the envelope says (`--sender`, LMTP `MAIL FROM`): an empty sender (`""` or
    /// `<>`) is an empty return path; a daemon sender is an automated sender.
    pub fn apply_envelope_sender(&mut self, sender: &str) {
        let s = sender.trim();
        if s.is_empty() || s == "<>" {
            self.loop_facts.empty_return_path = true;
        } else if parse_mailbox(s).is_some_and(|a| a.is_automated_sender()) {
            self.loop_facts.automated_sender = true;
        }
    }
}

/// Parses a raw message (as the MTA delivers it, CRLF or LF line ends) under `limits`.
///
/// Refuses (see [`MailError`]) oversized messages before parsing, header blocks over the
/// cap, nesting over the depth limit and too many parts before mail-parser runs, and too many
/// images when [`ExtraImages::Refuse`] is set. A message without text and images is *not* an
/// error here: whether that is acceptable depends on the action ([`decide`](crate::decide)).
/// Never panics; time is linear in the size.
pub fn parse_inbound(raw: &[u8], limits: &InboundLimits) -> Result<Inbound, MailError> {
    prescan(raw, limits)?;
    // mail-parser is third-party code fed hostile bytes: a panic inside it (its debug
    // assertions fire on some nested message/rfc822 shapes the prescan lets through) must be a
    // refused mail, never a crashed ingest process or LMTP connection.
    let message = std::panic::catch_unwind(|| MessageParser::default().parse(raw))
        .map_err(|_| MailError::Malformed)?
        .ok_or(MailError::NotAMessage)?;
    if message.parts.len() > limits.max_parts {
        return Err(MailError::TooManyParts { limit: limits.max_parts });
    }
    let root = message.parts.first().ok_or(MailError::NotAMessage)?;
    let raw_all: &[u8] = message.raw_message.as_ref();
    let header = |name: &str| root_header(root, raw_all, name);

    let from = header("from").and_then(|v| parse_mailbox(&String::from_utf8_lossy(v)));
    let carrier = from.as_ref().map_or(MailCarrier::Pc, MailAddress::carrier);
    let cs = carrier.charset_carrier();

    let subject = header("subject").map(|v| one_line(&decode_rfc2047(v, cs))).unwrap_or_default();
    let message_id = header("message-id").and_then(message_id_of);
    let dedup = match &message_id {
        Some(id) => DedupKey {
            source: DedupSource::MessageId,
            digest: Sha256::new()
                .chain_update(b"ashiato-mail/message-id\0")
                .chain_update(id.as_bytes())
                .finalize()
                .into(),
        },
        None => {
            let body = raw_all.get(root.offset_body as usize..).unwrap_or_default();
            let mut h = Sha256::new().chain_update(b"ashiato-mail/content\0");
            for name in ["from", "date", "subject"] {
                h.update(header(name).map(<[u8]>::trim_ascii).unwrap_or_default());
                h.update(b"\0");
            }
            DedupKey {
                source: DedupSource::ContentHash,
                digest: h.chain_update(body).finalize().into(),
            }
        }
    };

    let mut loop_facts = LoopFacts::default();
    let mut spf = None::<String>;
    // Only the topmost `Authentication-Results` counts, with or without an `spf=` in it.
    let mut spf_from_results = None::<Option<String>>;
    for h in &root.headers {
        let name = h.name().to_ascii_lowercase();
        let value = || {
            let v = raw_all.get(h.offset_start as usize..h.offset_end as usize).unwrap_or_default();
            String::from_utf8_lossy(v).trim().to_ascii_lowercase()
        };
        match name.as_str() {
            "auto-submitted" => {
                let v = value();
                let token = v.split([';', '(', ' ']).next().unwrap_or("").trim().to_owned();
                if token != "no" {
                    loop_facts.auto_submitted = Some(token);
                }
            }
            "precedence" => {
                let v = value();
                if matches!(v.as_str(), "bulk" | "list" | "junk") {
                    loop_facts.precedence = Some(v);
                }
            }
            "return-path" => {
                let v = value();
                let inner = v.trim_start_matches('<').trim_end_matches('>').trim();
                if inner.is_empty() {
                    loop_facts.empty_return_path = true;
                }
            }
            n if n.starts_with("list-") => loop_facts.list_headers.push(h.name().to_owned()),
            "received-spf" if spf.is_none() => {
                spf = value().split([' ', ';', '(']).next().map(str::to_owned);
            }
            "authentication-results" if spf_from_results.is_none() => {
                let v = value();
                spf_from_results = Some(v.split([' ', ';']).find_map(|part| {
                    let word = part.trim().strip_prefix("spf=")?;
                    Some(word.split([' ', '(']).next().unwrap_or(word).to_owned())
                }));
            }
            _ => {}
        }
    }
    let spf = spf.or(spf_from_results.flatten()).filter(|v| !v.is_empty());
    loop_facts.automated_sender = from.as_ref().is_some_and(MailAddress::is_automated_sender);

    let mut walk = Walk {
        raw: raw_all,
        carrier: cs,
        texts: Vec::new(),
        htmls: Vec::new(),
        images: Vec::new(),
        notices: Vec::new(),
        report: false,
    };
    walk.run(&message, limits)?;
    loop_facts.report = walk.report;

    let mut notices = walk.notices;
    let text = if !walk.texts.is_empty() {
        walk.texts.join("\n\n")
    } else if !walk.htmls.is_empty() {
        notices.push(Notice::TextFromHtml);
        walk.htmls.join("\n\n")
    } else {
        String::new()
    };
    let mut images = walk.images;
    if images.len() > limits.max_images {
        match limits.extra_images {
            ExtraImages::Refuse => {
                return Err(MailError::TooManyImages {
                    found: images.len(),
                    limit: limits.max_images,
                });
            }
            ExtraImages::Drop => {
                notices.push(Notice::ImagesDropped {
                    kept: limits.max_images,
                    dropped: images.len() - limits.max_images,
                });
                images.truncate(limits.max_images);
            }
        }
    }

    Ok(Inbound {
        message_id,
        dedup,
        from,
        carrier,
        subject,
        text,
        images,
        notices,
        loop_facts,
        spf,
        size: raw.len(),
    })
}

/// The raw value bytes of the first root header called `name`, without the line end.
fn root_header<'a>(root: &MessagePart<'_>, raw: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let h = root.headers.iter().find(|h| h.name().eq_ignore_ascii_case(name))?;
    let v = raw.get(h.offset_start as usize..h.offset_end as usize)?;
    Some(v.trim_ascii())
}

fn message_id_of(value: &[u8]) -> Option<String> {
    let v = String::from_utf8_lossy(value);
    let v = v.trim();
    let id = match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v,
    };
    let id = id.trim();
    (!id.is_empty() && id.len() <= 998 && !id.chars().any(char::is_control)).then(|| id.to_owned())
}

/// Subject clean-up: line breaks and tabs become spaces, private use is gone, trimmed.
fn one_line(s: &str) -> String {
    let s = strip_private_use(s);
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    s.trim().to_owned()
}

/// Body clean-up: `\n` line ends, no other controls than tab, no private use, trailing
/// blanks of each line and surrounding blank lines removed.
fn clean_text(s: &str) -> String {
    let s = strip_private_use(s).replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<String> = s
        .lines()
        .map(|l| {
            l.chars()
                .filter(|&c| c == '\t' || !c.is_control())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect();
    lines.join("\n").trim_matches('\n').to_owned()
}

struct Walk<'r> {
    raw: &'r [u8],
    carrier: Carrier,
    texts: Vec<String>,
    htmls: Vec<String>,
    images: Vec<Image>,
    notices: Vec<Notice>,
    report: bool,
}

impl Walk<'_> {
    /// Visits the part tree iteratively in message order (ids only ever point forward, which
    /// also rules out cycles), checking depth again on mail-parser's own structure.
    fn run(
        &mut self,
        message: &mail_parser::Message<'_>,
        limits: &InboundLimits,
    ) -> Result<(), MailError> {
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        let mut seen = HashSet::new();
        while let Some((id, depth)) = stack.pop() {
            if depth > limits.max_depth {
                return Err(MailError::TooDeep { limit: limits.max_depth });
            }
            if !seen.insert(id) {
                continue;
            }
            let Some(part) = message.parts.get(id) else { continue };
            let declared = declared_type(part);
            match &part.body {
                PartType::Multipart(children) => {
                    if declared == "multipart/report" {
                        self.report = true;
                    }
                    for &child in children.iter().rev() {
                        let child = child as usize;
                        if child > id {
                            stack.push((child, depth + 1));
                        }
                    }
                }
                PartType::Message(_) => {
                    self.notices.push(Notice::AttachmentIgnored { declared_type: declared });
                }
                _ => self.leaf(part, declared),
            }
        }
        Ok(())
    }

    fn leaf(&mut self, part: &MessagePart<'_>, declared: String) {
        if declared.starts_with("message/") {
            // delivery-status, disposition-notification, or an undecodable attached message.
            if declared == "message/delivery-status"
                || declared == "message/disposition-notification"
            {
                self.report = true;
            }
            self.notices.push(Notice::AttachmentIgnored { declared_type: declared });
            return;
        }
        let is_attachment = part.content_disposition().is_some_and(|d| d.is_attachment())
            || part.attachment_name().is_some();
        let filename = part.attachment_name().map(str::to_owned);
        let (bytes, repaired) = part_bytes(part, self.raw);
        if repaired {
            self.notices.push(Notice::EncodingRepaired { declared_type: declared.clone() });
        }
        if (declared == "text/plain" || declared == "text/html") && !is_attachment {
            let label =
                part.content_type().and_then(|ct| ct.attribute("charset")).unwrap_or("").to_owned();
            let decoded = decode_mail_text(&bytes, &label, self.carrier);
            if declared == "text/plain" {
                let t = clean_text(&decoded);
                if !t.is_empty() {
                    self.texts.push(t);
                }
            } else {
                // Tags out; entities may produce carrier private-use code points (decorated
                // mail writes `&#xE63E;`), which a second pass maps to Unicode.
                let plain = mail_parser::decoders::html::html_to_text(&decoded);
                let t = clean_text(&decode_mail_text(plain.as_bytes(), "utf-8", self.carrier));
                if !t.is_empty() {
                    self.htmls.push(t);
                }
            }
            return;
        }
        let maybe_image = declared.starts_with("image/") || declared == "application/octet-stream";
        if maybe_image && let Some(kind) = ImageKind::sniff(&bytes) {
            let inline = part.content_id().is_some() && !is_attachment;
            self.images.push(Image { bytes, declared_type: declared, kind, filename, inline });
        } else if declared.starts_with("image/") {
            self.notices.push(Notice::UnsupportedImage { declared_type: declared });
        } else {
            self.notices.push(Notice::AttachmentIgnored { declared_type: declared });
        }
    }
}

/// `type/subtype` in lower case; text/plain when absent (RFC 2045 §5.2).
fn declared_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => "text/plain".to_owned(),
    }
}

/// A part's bytes after transfer decoding, and whether the encoding needed repair. Binary
/// parts that mail-parser decoded cleanly are taken as they are; text parts and parts it gave
/// up on are decoded here from the raw bytes, leniently.
fn part_bytes(part: &MessagePart<'_>, raw: &[u8]) -> (Vec<u8>, bool) {
    if !part.is_encoding_problem
        && let PartType::Binary(b) | PartType::InlineBinary(b) = &part.body
    {
        return (b.to_vec(), false);
    }
    let body = raw.get(part.offset_body as usize..part.offset_end as usize).unwrap_or_default();
    let cte = part.content_transfer_encoding().unwrap_or("").trim().to_ascii_lowercase();
    match cte.as_str() {
        "base64" => {
            let strict = base64::engine::general_purpose::STANDARD;
            let compact: Vec<u8> =
                body.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
            match strict.decode(&compact) {
                Ok(bytes) => (bytes, false),
                Err(_) => (lenient_base64(body), true),
            }
        }
        "quoted-printable" => lenient_qp(body),
        _ => (body.to_vec(), false),
    }
}

/// RFC 2045 §6.8: characters outside the alphabet are ignored; decoding stops at `=`.
fn lenient_base64(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6 | u32::from(v)) & 0xFF_FFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Quoted-printable with soft line breaks; a malformed `=` is kept literally.
fn lenient_qp(s: &[u8]) -> (Vec<u8>, bool) {
    let hex = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(s.len());
    let mut repaired = false;
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'=' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        // Soft break: `=` then optional blanks then CRLF or LF.
        let mut j = i + 1;
        while j < s.len() && matches!(s[j], b' ' | b'\t') {
            j += 1;
        }
        if s.get(j) == Some(&b'\n') {
            i = j + 1;
            continue;
        }
        if s.get(j) == Some(&b'\r') && s.get(j + 1) == Some(&b'\n') {
            i = j + 2;
            continue;
        }
        if j == s.len() {
            break;
        }
        match (s.get(i + 1).copied().and_then(hex), s.get(i + 2).copied().and_then(hex)) {
            (Some(h), Some(l)) => {
                out.push(h << 4 | l);
                i += 3;
            }
            _ => {
                repaired = true;
                out.push(b'=');
                i += 1;
            }
        }
    }
    (out, repaired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic() {
        assert_eq!(ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n\x1a\nxxxx"), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(b"GIF89a..."), Some(ImageKind::Gif));
        assert_eq!(ImageKind::sniff(b"BM...."), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn lenient_decoders() {
        assert_eq!(lenient_base64(b"aGVs!!bG8=\r\nignored"), b"hello");
        assert_eq!(lenient_qp(b"caf=C3=A9 =\r\nau lait"), (b"caf\xc3\xa9 au lait".to_vec(), false));
        assert_eq!(lenient_qp(b"a=ZZb"), (b"a=ZZb".to_vec(), true));
        assert_eq!(lenient_qp(b"end="), (b"end".to_vec(), false));
    }

    #[test]
    fn message_ids() {
        assert_eq!(message_id_of(b" <abc@x.example> ").as_deref(), Some("abc@x.example"));
        assert_eq!(message_id_of(b"abc@x.example").as_deref(), Some("abc@x.example"));
        assert_eq!(message_id_of(b"<>"), None);
    }

    #[test]
    fn text_cleanup() {
        assert_eq!(clean_text("\r\n  a \r\nb\u{7}\r\n\r\n"), "  a\nb");
        assert_eq!(one_line("a\r\n b\u{E63E}"), "a   b〓");
    }
}

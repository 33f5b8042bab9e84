//! A cheap structural pass over the raw bytes before mail-parser sees them.
//!
//! mail-parser 0.11 parses nested multiparts iteratively (100,000 levels take milliseconds),
//! but each *attached message* (`message/rfc822`, `message/global`, a part of a
//! `multipart/digest`) becomes a nested `Message` value, and a chain of ~100,000 of them
//! overflows the stack (measured: 10,000 levels pass, 100,000 abort the process). A stack
//! overflow cannot be caught, so depth must be known before parsing. This pass follows the
//! MIME structure line by line — header blocks, `Content-Type`, boundaries — the way
//! mail-parser does, and refuses on the first header block that is too large, too deep or one
//! part too many. Linear time, memory bounded by the depth limit.
//!
//! A second, coarser guard does not depend on following the structure exactly: every
//! attached-message level needs the text `rfc822`, `message/global` or `digest` somewhere in
//! the raw bytes, so more than [`MAX_CONTAINER_TOKENS`] of those is refused outright.

use crate::InboundLimits;
use crate::error::MailError;

/// More occurrences than this of `rfc822`, `message/global` or `digest` (any case) and the
/// message is refused as too deep whatever its structure. Far above any real mail, far below
/// the nesting that threatens the stack.
pub const MAX_CONTAINER_TOKENS: usize = 256;

enum Container {
    Multipart { boundary: Vec<u8>, digest: bool },
    Message,
}

#[derive(Default)]
struct HeaderBlock {
    bytes: usize,
    content_type: Option<Vec<u8>>,
    transfer_encoding: Option<Vec<u8>>,
    /// The field being read (for folded lines): 0 other, 1 content-type, 2 transfer-encoding.
    current: u8,
}

fn count_ci(hay: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || hay.len() < needle.len() {
        return 0;
    }
    let first = needle[0].to_ascii_lowercase();
    let mut n = 0;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i].to_ascii_lowercase() == first
            && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
        {
            n += 1;
            i += needle.len();
        } else {
            i += 1;
        }
    }
    n
}

/// The boundary parameter of a Content-Type value, unquoted.
fn boundary_param(value: &[u8]) -> Option<Vec<u8>> {
    let lower = value.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"boundary") {
        let start = from + pos;
        from = start + 8;
        // Must be a parameter name: preceded by `;` or blank.
        if start > 0 && !matches!(lower[start - 1], b';' | b' ' | b'\t' | b'\r' | b'\n') {
            continue;
        }
        let mut i = start + 8;
        while i < value.len() && matches!(value[i], b' ' | b'\t') {
            i += 1;
        }
        if value.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < value.len() && matches!(value[i], b' ' | b'\t') {
            i += 1;
        }
        let rest = &value[i..];
        let b = if let Some(quoted) = rest.strip_prefix(b"\"") {
            let end = quoted.iter().position(|&c| c == b'"').unwrap_or(quoted.len());
            quoted[..end].to_vec()
        } else {
            let end = rest
                .iter()
                .position(|&c| matches!(c, b';' | b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(rest.len());
            rest[..end].to_vec()
        };
        return (!b.is_empty()).then_some(b);
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn media_type(value: &[u8]) -> Vec<u8> {
    let end = value.iter().position(|&c| c == b';').unwrap_or(value.len());
    value[..end].iter().filter(|c| !c.is_ascii_whitespace()).map(u8::to_ascii_lowercase).collect()
}

/// Checks size, header blocks, nesting and part count. See the module documentation.
pub(crate) fn prescan(raw: &[u8], limits: &InboundLimits) -> Result<(), MailError> {
    if raw.len() > limits.max_message_bytes {
        return Err(MailError::TooLarge { size: raw.len(), limit: limits.max_message_bytes });
    }
    let mut stack: Vec<Container> = Vec::new();
    let mut in_headers = true;
    let mut block = HeaderBlock::default();
    let mut parts = 0usize;
    let mut in_digest = false;

    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if in_headers {
            block.bytes += line.len() + 2;
            if block.bytes > limits.max_header_bytes {
                return Err(MailError::HeaderTooLarge { limit: limits.max_header_bytes });
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                // End of a header block: what does the body hold?
                parts += 1;
                if parts > limits.max_parts {
                    return Err(MailError::TooManyParts { limit: limits.max_parts });
                }
                let block = std::mem::take(&mut block);
                let media = block.content_type.as_deref().map(media_type);
                let encoded = block.transfer_encoding.as_deref().is_some_and(|v| {
                    let v = media_type(v);
                    v == b"base64" || v == b"quoted-printable"
                });
                let is_message = match &media {
                    Some(m) => m == b"message/rfc822" || m == b"message/global",
                    None => in_digest,
                };
                in_headers = false;
                // Only the direct children of a digest default to messages; whatever comes
                // next (a nested message's own header block, a body) does not.
                in_digest = false;
                if let Some(m) = media.as_deref().filter(|m| m.starts_with(b"multipart/"))
                    && let Some(boundary) = block.content_type.as_deref().and_then(boundary_param)
                {
                    stack.push(Container::Multipart { boundary, digest: m == b"multipart/digest" });
                } else if is_message {
                    if encoded {
                        return Err(MailError::EncodedMessagePart);
                    }
                    stack.push(Container::Message);
                    in_headers = true;
                }
                if stack.len() > limits.max_depth {
                    return Err(MailError::TooDeep { limit: limits.max_depth });
                }
                continue;
            }
            if matches!(line.first(), Some(b' ' | b'\t')) {
                let field = match block.current {
                    1 => block.content_type.as_mut(),
                    2 => block.transfer_encoding.as_mut(),
                    _ => None,
                };
                if let Some(v) = field {
                    v.push(b' ');
                    v.extend_from_slice(line);
                }
                continue;
            }
            block.current = 0;
            if let Some(colon) = line.iter().position(|&c| c == b':') {
                let name = line[..colon].trim_ascii();
                let value = line[colon + 1..].to_vec();
                if name.eq_ignore_ascii_case(b"content-type") {
                    block.content_type = Some(value);
                    block.current = 1;
                } else if name.eq_ignore_ascii_case(b"content-transfer-encoding") {
                    block.transfer_encoding = Some(value);
                    block.current = 2;
                }
            }
            continue;
        }
        // Body: only boundary lines matter.
        let Some(rest) = line.strip_prefix(b"--") else { continue };
        let hit = stack.iter().rposition(|c| match c {
            Container::Multipart { boundary, .. } => rest.starts_with(boundary),
            Container::Message => false,
        });
        let Some(level) = hit else { continue };
        let closing = match &stack[level] {
            Container::Multipart { boundary, .. } => rest[boundary.len()..].starts_with(b"--"),
            Container::Message => false,
        };
        stack.truncate(if closing { level } else { level + 1 });
        in_headers = !closing;
        in_digest = matches!(stack.last(), Some(Container::Multipart { digest: true, .. }));
    }
    // After the structural pass, so that an oversized header block is refused without
    // reading the rest.
    let tokens =
        count_ci(raw, b"rfc822") + count_ci(raw, b"message/global") + count_ci(raw, b"digest");
    if tokens > MAX_CONTAINER_TOKENS {
        return Err(MailError::TooDeep { limit: limits.max_depth });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> Vec<u8> {
        let mut m = String::from("From: a@b.example\r\n");
        for i in 0..depth {
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
            ));
        }
        m.push_str("Content-Type: text/plain\r\n\r\nhello\r\n");
        for i in (0..depth).rev() {
            m.push_str(&format!("--b{i}--\r\n"));
        }
        m.into_bytes()
    }

    #[test]
    fn depth_is_counted_like_mail_parser() {
        let limits = InboundLimits::default();
        assert_eq!(prescan(&nested(5), &limits), Ok(()));
        assert_eq!(prescan(&nested(10), &limits), Ok(()));
        assert_eq!(prescan(&nested(11), &limits), Err(MailError::TooDeep { limit: 10 }));
        assert_eq!(prescan(&nested(100), &limits), Err(MailError::TooDeep { limit: 10 }));
    }

    #[test]
    fn siblings_do_not_add_depth() {
        let mut m = String::from("Content-Type: multipart/mixed; boundary=x\r\n\r\n");
        for _ in 0..20 {
            m.push_str("--x\r\nContent-Type: multipart/alternative;\r\n boundary=\"y\"\r\n\r\n--y\r\n\r\ntext\r\n--y--\r\n");
        }
        m.push_str("--x--\r\n");
        assert_eq!(prescan(m.as_bytes(), &InboundLimits::default()), Ok(()));
    }

    #[test]
    fn attached_message_chain_is_refused() {
        let chain = "Content-Type: message/rfc822\r\n\r\n".repeat(50);
        let limits = InboundLimits::default();
        assert_eq!(prescan(chain.as_bytes(), &limits), Err(MailError::TooDeep { limit: 10 }));
        let many = "rfc822 ".repeat(MAX_CONTAINER_TOKENS + 1);
        assert_eq!(
            prescan(format!("Subject: x\r\n\r\n{many}").as_bytes(), &limits),
            Err(MailError::TooDeep { limit: 10 })
        );
        let encoded =
            "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n";
        assert_eq!(prescan(encoded.as_bytes(), &limits), Err(MailError::EncodedMessagePart));
    }

    #[test]
    fn digest_children_are_messages_but_their_bodies_are_not() {
        let mut m = String::from("Content-Type: multipart/digest; boundary=d\r\n\r\n");
        for i in 0..5 {
            m.push_str(&format!(
                "--d\r\n\r\nSubject: {i}\r\n\r\n{}",
                "paragraph\r\n\r\n".repeat(12)
            ));
        }
        m.push_str("--d--\r\n");
        let limits = InboundLimits::default();
        assert_eq!(prescan(m.as_bytes(), &limits), Ok(()));
        let parsed =
            mail_parser::MessageParser::default().parse(m.as_bytes()).map(|p| p.parts.len());
        assert_eq!(parsed, Some(6));
    }

    #[test]
    fn header_and_size_caps() {
        let limits = InboundLimits { max_message_bytes: 100, ..InboundLimits::default() };
        assert_eq!(
            prescan(&[b'a'; 101], &limits),
            Err(MailError::TooLarge { size: 101, limit: 100 })
        );
        let long = format!("X-Long: {}\r\n\r\nbody", "a".repeat(70_000));
        assert_eq!(
            prescan(long.as_bytes(), &InboundLimits::default()),
            Err(MailError::HeaderTooLarge { limit: 64 * 1024 })
        );
        assert_eq!(boundary_param(b"multipart/mixed; BOUNDARY = \"a b\""), Some(b"a b".to_vec()));
        assert_eq!(boundary_param(b"multipart/mixed; xboundary=a"), None);
        assert_eq!(boundary_param(b"multipart/mixed;boundary=abc;x=y"), Some(b"abc".to_vec()));
    }
}

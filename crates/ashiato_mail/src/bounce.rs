//! Bounces: the VERP envelope sender our notification mails carry, and what a delivery status
//! notification (RFC 3464) that comes back to it says.
//!
//! Each outgoing mail leaves with `MAIL FROM:<bounce-<id>-<tag>@<mail_domain>>`: the outbox
//! row's id and a random tag stored with it. A bounce therefore names the mail it is about
//! without trusting anything inside the report, and a forged one (wrong tag) names nothing.
//!
//! The report is read leniently, as MTAs write them: the `Action:` and `Status:` fields of the
//! `message/delivery-status` part (RFC 3464 §2.3), or, for an MTA that sends a plain-text
//! bounce, the first enhanced status code (RFC 3463, `5.1.1`) in the text. `5.x.x` with
//! action `failed` is a hard bounce; `4.x.x` or `delayed` is soft; anything else counts as no
//! bounce at all (a `delivered` or `relayed` report, or text with no code).

/// The local part prefix of bounce addresses.
const PREFIX: &str = "bounce-";

/// The envelope sender for outbox row `id` with its `tag`.
pub fn bounce_address(id: i64, tag: &str, domain: &str) -> String {
    format!("{PREFIX}{id}-{tag}@{domain}")
}

/// The outbox row id and tag of a bounce address at `domain` (case-insensitive), or `None`
/// for any other address.
pub fn parse_bounce_address(address: &str, domain: &str) -> Option<(i64, String)> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, at) = address.rsplit_once('@')?;
    if !at.eq_ignore_ascii_case(domain) || domain.is_empty() {
        return None;
    }
    let local = local.to_ascii_lowercase();
    let rest = local.strip_prefix(PREFIX)?;
    let (id, tag) = rest.split_once('-')?;
    let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
    let tag_ok = !tag.is_empty() && tag.len() <= 64 && tag.bytes().all(|b| b.is_ascii_hexdigit());
    tag_ok.then(|| (id, tag.to_owned()))
}

/// What a bounce says about the recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BounceReport {
    /// The status code (`5.1.1`).
    pub status: String,
    /// A permanent failure: the address does not work.
    pub hard: bool,
}

/// Reads a bounce; `None` when it reports no failure (or nothing readable).
pub fn parse_bounce(raw: &[u8]) -> Option<BounceReport> {
    let text = String::from_utf8_lossy(raw);
    // The machine-readable part when there is one; the whole text otherwise.
    let lower = text.to_ascii_lowercase();
    let report = lower.find("message/delivery-status").map_or(&text[..], |at| &text[at..]);
    let (mut action, mut status) = (None::<String>, None::<String>);
    for line in report.lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "action" if action.is_none() => action = Some(value.to_ascii_lowercase()),
            "status" if status.is_none() => status = enhanced_code(value),
            _ => {}
        }
        if action.is_some() && status.is_some() {
            break;
        }
    }
    let status = status.or_else(|| first_enhanced_code(&text))?;
    let action = action.unwrap_or_default();
    if matches!(action.as_str(), "delivered" | "relayed" | "expanded") {
        return None;
    }
    match status.as_bytes().first() {
        Some(b'5') if action.is_empty() || action == "failed" => {
            Some(BounceReport { status, hard: true })
        }
        Some(b'4' | b'5') => Some(BounceReport { status, hard: false }),
        _ => None,
    }
}

/// `class.subject.detail` with class 2, 4 or 5 (RFC 3463), at the start of `value`.
fn enhanced_code(value: &str) -> Option<String> {
    let word = value.split(|c: char| c.is_whitespace() || c == '(').next()?;
    let mut parts = word.split('.');
    let class = parts.next()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    let ok = matches!(class, "2" | "4" | "5")
        && digits(subject, 3)
        && digits(detail, 3)
        && parts.next().is_none();
    ok.then(|| word.to_owned())
}

/// The first enhanced status code anywhere in a plain-text bounce.
fn first_enhanced_code(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '<' | '>' | '"'))
        .find_map(|w| enhanced_code(w.trim_end_matches('.')).filter(|c| !c.starts_with('2')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_addresses_round_trip_and_refuse_strangers() {
        let a = bounce_address(42, "0a1b2c3d4e5f6071", "m.example.jp");
        assert_eq!(a, "bounce-42-0a1b2c3d4e5f6071@m.example.jp");
        assert_eq!(parse_bounce_address(&a, "m.example.jp"), Some((42, "0a1b2c3d4e5f6071".into())));
        assert_eq!(
            parse_bounce_address("<BOUNCE-42-0A1B@M.Example.JP>", "m.example.jp"),
            Some((42, "0a1b".into()))
        );
        for other in [
            "bounce-42-0a1b@other.jp",
            "bounce-x-0a1b@m.example.jp",
            "bounce-0-0a1b@m.example.jp",
            "bounce-42-@m.example.jp",
            "bounce-42-zz@m.example.jp",
            "d.abc@m.example.jp",
        ] {
            assert_eq!(parse_bounce_address(other, "m.example.jp"), None, "{other}");
        }
    }

    fn dsn(action: &str, status: &str) -> Vec<u8> {
        format!(
            "From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; \
             report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: \
             text/plain\r\n\r\nStatus: 2.0.0 in the prose is not the report\r\n--b\r\n\
             Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
             Final-Recipient: rfc822; taro@docomo.ne.jp\r\nAction: {action}\r\nStatus: {status}\r\n--b--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn reports_are_hard_soft_or_nothing() {
        assert_eq!(
            parse_bounce(&dsn("failed", "5.1.1")),
            Some(BounceReport { status: "5.1.1".into(), hard: true })
        );
        assert_eq!(
            parse_bounce(&dsn("delayed", "4.2.2 (mailbox full)")),
            Some(BounceReport { status: "4.2.2".into(), hard: false })
        );
        assert_eq!(parse_bounce(&dsn("delivered", "2.0.0")), None);
        assert_eq!(parse_bounce(&dsn("failed", "nonsense")), None);
        // A plain-text bounce without a report part: the first enhanced code in the text.
        let plain = b"From: MAILER-DAEMON@old.example\r\n\r\n<taro@ezweb.ne.jp>: host said: \
                      550 5.1.1 user unknown\r\n";
        assert_eq!(parse_bounce(plain), Some(BounceReport { status: "5.1.1".into(), hard: true }));
        assert_eq!(parse_bounce(b"Subject: hello\r\n\r\nversion 1.2.3 is out\r\n"), None);
    }
}

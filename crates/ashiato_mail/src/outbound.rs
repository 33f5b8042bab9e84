//! Notification mails, encoded for the recipient's carrier.

use ashiato_charset::{MailCharset, encode_mail_body, encode_rfc2047};
use base64::Engine as _;

use crate::carrier::{MailCarrier, TransferEncoding};
use crate::templates::{Lang, fill};

/// Longest nickname, title or community name put into a notification, in characters.
pub const NAME_CHARS: usize = 20;
/// Longest quoted excerpt, in characters.
pub const EXCERPT_CHARS: usize = 40;

/// An event a member opted to hear about by mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotificationKind {
    /// Someone asked to be friends.
    FriendRequest {
        /// Nickname of the requester.
        actor: String,
    },
    /// Someone accepted the member's friend request.
    FriendAccepted {
        /// Nickname of the new friend.
        actor: String,
    },
    /// A private message arrived.
    NewMessage {
        /// Nickname of the sender.
        actor: String,
        /// The start of the message (cut to [`EXCERPT_CHARS`]).
        excerpt: String,
    },
    /// Someone commented on the member's diary.
    DiaryComment {
        /// Nickname of the commenter.
        actor: String,
        /// Title of the diary entry.
        diary_title: String,
        /// The start of the comment.
        excerpt: String,
    },
    /// A new topic in a community the member follows.
    CommunityTopic {
        /// Nickname of whoever opened the topic.
        actor: String,
        /// Community name.
        community: String,
        /// Topic title.
        topic: String,
    },
    /// Account mail: a link that sets a new password (sent on request, whatever the member's
    /// opt-ins; the link is single-use and short-lived).
    PasswordReset {
        /// The member's nickname.
        nickname: String,
        /// Minutes the link stays valid.
        minutes: u32,
    },
    /// Account mail: a link that confirms this address belongs to the member.
    ConfirmAddress {
        /// The member's nickname.
        nickname: String,
    },
    /// Account mail: an invitation to join, with its sign-up link.
    Invitation {
        /// Nickname of the inviter; none for the operator's invitations.
        actor: Option<String>,
        /// Days the link stays valid.
        days: u32,
    },
    /// Account mail: the answer to an empty mail sent to the sign-up address (空メール登録).
    JoinLink {
        /// Days the link stays valid.
        days: u32,
    },
}

impl NotificationKind {
    /// Whether this is an account mail (reset, confirmation, invitation, sign-up link): sent
    /// because someone asked for it, never subject to notification opt-ins.
    pub fn is_account_mail(&self) -> bool {
        matches!(
            self,
            NotificationKind::PasswordReset { .. }
                | NotificationKind::ConfirmAddress { .. }
                | NotificationKind::Invitation { .. }
                | NotificationKind::JoinLink { .. }
        )
    }
}

/// Everything a notification mail needs. Date and Message-ID come from the caller, so
/// composing stays pure and testable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// What happened.
    pub kind: NotificationKind,
    /// Absolute URL of the page to open (no session token in it).
    pub link: String,
    /// Language of the text.
    pub lang: Lang,
    /// Site name, used as the sender's display name and in the footer.
    pub site_name: String,
    /// Sender address, e.g. `noreply@ashiato.example` (bounces go to the envelope sender the
    /// SMTP layer chooses).
    pub from: String,
    /// Recipient address.
    pub to: String,
    /// `Date:` value in RFC 5322 form, e.g. `Tue, 01 Jul 2008 09:00:00 +0900`.
    pub date: String,
    /// `Message-ID:` value; angle brackets are added when missing.
    pub message_id: String,
    /// URL of the notification settings, shown in the footer when given.
    pub settings_link: Option<String>,
}

/// Removes line breaks and other controls (header injection, broken templates), collapses
/// the result to one line and cuts it to `max` characters with `…`.
fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn header_value(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_owned()
}

/// The subject and body text (Unicode, `\n` line ends) of a notification.
pub fn notification_text(n: &Notification) -> (String, String) {
    let t = n.lang.texts();
    let link = header_value(&n.link);
    let site = one_line(&n.site_name, 40);
    let (tpl, values): (_, Vec<(&str, String)>) = match &n.kind {
        NotificationKind::FriendRequest { actor } => {
            (&t.friend_request, vec![("actor", one_line(actor, NAME_CHARS))])
        }
        NotificationKind::FriendAccepted { actor } => {
            (&t.friend_accepted, vec![("actor", one_line(actor, NAME_CHARS))])
        }
        NotificationKind::NewMessage { actor, excerpt } => (
            &t.new_message,
            vec![
                ("actor", one_line(actor, NAME_CHARS)),
                ("excerpt", one_line(excerpt, EXCERPT_CHARS)),
            ],
        ),
        NotificationKind::DiaryComment { actor, diary_title, excerpt } => (
            &t.diary_comment,
            vec![
                ("actor", one_line(actor, NAME_CHARS)),
                ("diary", one_line(diary_title, NAME_CHARS)),
                ("excerpt", one_line(excerpt, EXCERPT_CHARS)),
            ],
        ),
        NotificationKind::CommunityTopic { actor, community, topic } => (
            &t.community_topic,
            vec![
                ("actor", one_line(actor, NAME_CHARS)),
                ("community", one_line(community, NAME_CHARS)),
                ("topic", one_line(topic, NAME_CHARS)),
            ],
        ),
        NotificationKind::PasswordReset { nickname, minutes } => (
            &t.password_reset,
            vec![("actor", one_line(nickname, NAME_CHARS)), ("minutes", minutes.to_string())],
        ),
        NotificationKind::ConfirmAddress { nickname } => {
            (&t.confirm_address, vec![("actor", one_line(nickname, NAME_CHARS))])
        }
        NotificationKind::Invitation { actor: Some(actor), days } => (
            &t.invitation,
            vec![("actor", one_line(actor, NAME_CHARS)), ("days", days.to_string())],
        ),
        NotificationKind::Invitation { actor: None, days } => {
            (&t.operator_invitation, vec![("days", days.to_string())])
        }
        NotificationKind::JoinLink { days } => (&t.join_link, vec![("days", days.to_string())]),
    };
    let mut values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    values.push(("link", &link));
    values.push(("site", &site));
    let settings = n.settings_link.as_deref().map(header_value);
    if let Some(s) = &settings {
        values.push(("settings", s));
    }
    let subject = one_line(&fill(tpl.subject, &values), 60);
    let mut body = fill(tpl.body, &values);
    body.push_str("\n\n");
    body.push_str(&fill(t.footer, &values));
    if settings.is_some() {
        body.push('\n');
        body.push_str(&fill(t.footer_settings, &values));
    }
    body.push('\n');
    (subject, body)
}

/// Writes an address for a header: as is when it is a dot-atom, otherwise with the local part
/// quoted (keitai addresses such as `taro.@docomo.ne.jp`, which RFC 5322 allows only quoted).
fn header_address(addr: &str) -> String {
    let addr = header_value(addr);
    let Some(at) = addr.rfind('@') else { return addr };
    let (local, domain) = (&addr[..at], &addr[at + 1..]);
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let dot_atom =
        !local.is_empty() && local.split('.').all(|p| !p.is_empty() && p.chars().all(atext));
    if dot_atom || local.starts_with('"') || is_keitai_local(local) {
        addr.clone()
    } else {
        let escaped = local.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"@{domain}")
    }
}

/// A keitai local part that breaks RFC 5322 only by its dots (`taro.`, `a..b`): written as
/// is, the way the carriers themselves write it. Quoting would be the RFC form, but parsers
/// read `"taro."@docomo.ne.jp` differently (mail-parser 0.11 takes the quoted string as a
/// display name and returns `@docomo.ne.jp`; see the tests).
fn is_keitai_local(local: &str) -> bool {
    local.chars().all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
}

/// Longest encoded body line we write (RFC 5322 allows 998 bytes plus CRLF).
const MAX_LINE: usize = 990;

/// Encodes one text line, splitting it into several lines if its encoding exceeds
/// [`MAX_LINE`] bytes (ISO-2022-JP lines each end in ASCII mode).
fn encode_line(line: &str, carrier: MailCarrier, out: &mut Vec<Vec<u8>>) {
    let enc = carrier.outbound();
    let bytes = encode_mail_body(line, enc.charset, enc.emoji);
    if bytes.len() <= MAX_LINE || line.chars().count() < 2 {
        out.push(bytes);
        return;
    }
    let half = line.char_indices().nth(line.chars().count() / 2).map_or(line.len(), |(i, _)| i);
    encode_line(&line[..half], carrier, out);
    encode_line(&line[half..], carrier, out);
}

/// A complete notification mail for a recipient on `carrier`: RFC 5322 with CRLF line ends,
/// lines of at most 998 bytes, `Auto-Submitted: auto-generated` (`auto-replied` for the
/// sign-up link, an answer to a mail), charset and emoji per
/// [`MailCarrier::outbound`]; subject and display name as RFC 2047 words in the body's
/// charset.
pub fn compose_notification(n: &Notification, carrier: MailCarrier) -> Vec<u8> {
    let enc = carrier.outbound();
    let (subject, body) = notification_text(n);
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for line in body.lines() {
        encode_line(line, carrier, &mut lines);
    }
    let mut body_bytes = Vec::new();
    for line in &lines {
        body_bytes.extend_from_slice(line);
        body_bytes.extend_from_slice(b"\r\n");
    }

    let message_id = header_value(&n.message_id);
    let message_id =
        if message_id.starts_with('<') { message_id } else { format!("<{message_id}>") };
    let display = encode_rfc2047(&one_line(&n.site_name, 40), enc.charset, enc.emoji);
    let display = if display.starts_with("=?") {
        display
    } else {
        format!("\"{}\"", display.replace('\\', "\\\\").replace('"', "\\\""))
    };
    let mut head = String::new();
    let mut push = |name: &str, value: &str| {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    };
    push("Date", &header_value(&n.date));
    push("From", &format!("{display} <{}>", header_address(&n.from)));
    push("To", &header_address(&n.to));
    push("Subject", &encode_rfc2047(&subject, enc.charset, enc.emoji));
    push("Message-ID", &message_id);
    push("MIME-Version", "1.0");
    push("Content-Type", &format!("text/plain; charset={}", enc.charset.label()));
    push("Content-Transfer-Encoding", enc.transfer.label());
    // RFC 3834: the sign-up link answers a mail someone sent (empty mail sign-up), so it is
    // `auto-replied`; everything else is generated by an event on the site.
    let auto = if matches!(n.kind, NotificationKind::JoinLink { .. }) {
        "auto-replied"
    } else {
        "auto-generated"
    };
    push("Auto-Submitted", auto);
    // Asks Exchange/Outlook not to send out-of-office or other automatic answers.
    push("X-Auto-Response-Suppress", "All");
    head.push_str("\r\n");

    let mut out = head.into_bytes();
    match enc.transfer {
        TransferEncoding::SevenBit => out.extend_from_slice(&body_bytes),
        TransferEncoding::Base64 => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&body_bytes);
            for chunk in b64.as_bytes().chunks(76) {
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    debug_assert!(enc.charset != MailCharset::Iso2022Jp || out.is_ascii());
    out
}

/// A per-recipient send limit for the outbox worker: at most `max` mails in any `window_secs`
/// (security.md S-28 asks for a cap per address per hour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Mails allowed per window.
    pub max: usize,
    /// Window length in seconds.
    pub window_secs: i64,
}

impl Default for RateLimit {
    /// 10 mails per hour per recipient.
    fn default() -> Self {
        RateLimit { max: 10, window_secs: 3600 }
    }
}

impl RateLimit {
    /// Whether one more mail may go out at `now` (seconds), given the send times of earlier
    /// mails to the same recipient (any order; only those inside the window count).
    pub fn allows(&self, now: i64, sent: &[i64]) -> bool {
        let recent = sent.iter().filter(|&&t| t <= now && now - t < self.window_secs).count();
        recent < self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_cuts_and_flattens() {
        assert_eq!(one_line("a\r\nb\tc", 10), "a b c");
        assert_eq!(one_line("あいうえおかきくけこさ", 5), "あいうえ…");
    }

    #[test]
    fn addresses_in_headers() {
        assert_eq!(header_address("taro@docomo.ne.jp"), "taro@docomo.ne.jp");
        assert_eq!(header_address("taro.@docomo.ne.jp"), "taro.@docomo.ne.jp");
        assert_eq!(header_address("a..b@docomo.ne.jp"), "a..b@docomo.ne.jp");
        assert_eq!(header_address("a b@x.example"), "\"a b\"@x.example");
        assert!(!header_address("a@b\r\nBcc: x@y").contains('\n'));
    }

    #[test]
    fn rate_limit_window() {
        let r = RateLimit { max: 2, window_secs: 60 };
        assert!(r.allows(100, &[]));
        assert!(!r.allows(100, &[50, 90]));
        assert!(r.allows(100, &[40, 90]));
    }
}

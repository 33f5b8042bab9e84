//! Mail addresses: the members' secret posting addresses (grammar in the crate README) and
//! lenient parsing of senders' keitai addresses.

use std::fmt;

use ashiato_core::DiaryId;
use sha2::{Digest, Sha256};

use crate::carrier::{MailCarrier, classify_domain};
use crate::reply::{Disposition, Reply};

// ---------------------------------------------------------------------------------------------
// Sender addresses

/// A mail address as found in a header, split at the last `@`. The local part is kept as the
/// sender wrote it (quotes removed), including keitai forms that break RFC 5322 such as
/// `rfc822.@docomo.ne.jp` or `a..b@docomo.ne.jp`; the domain is lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MailAddress {
    local: String,
    domain: String,
}

impl MailAddress {
    /// The local part (before the `@`), quotes removed.
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The domain, lower case, without a trailing dot.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The carrier the domain belongs to.
    pub fn carrier(&self) -> MailCarrier {
        classify_domain(&self.domain)
    }

    /// Case-insensitive comparison of the whole address. Carriers hand out lower-case local
    /// parts and some MTAs lower-case them on the way, so a case difference is no signal.
    pub fn same_as(&self, other: &MailAddress) -> bool {
        self.domain == other.domain && self.local.eq_ignore_ascii_case(&other.local)
    }

    /// Whether the local part names an automated sender that must never get an automatic
    /// reply: `MAILER-DAEMON`, `postmaster`, `owner-*`, `*-request`, `listserv`, `majordomo`
    /// (the list-robot names RFC 3834 §2 points at).
    pub fn is_automated_sender(&self) -> bool {
        let l = self.local.to_ascii_lowercase();
        matches!(l.as_str(), "mailer-daemon" | "postmaster" | "listserv" | "majordomo")
            || l.starts_with("owner-")
            || l.ends_with("-request")
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// Reads the first mailbox of an address header value (`From`, `Return-Path`) or a bare
/// envelope address, leniently: `Name <addr>`, `addr (comment)`, `<addr>`, quoted local parts
/// (`"example"@docomo.ne.jp`, quotes dropped as OpenPNE 2 did), consecutive dots and a dot
/// before the `@`. `None` when no `local@domain` with a plausible domain is found (an empty
/// return path `<>` included).
pub fn parse_mailbox(value: &str) -> Option<MailAddress> {
    let first = first_mailbox(value);
    let spec = angle_addr(first).unwrap_or_else(|| strip_comments(first));
    let spec = spec.trim();
    let at = spec.rfind('@')?;
    let (local, domain) = (&spec[..at], &spec[at + 1..]);
    let local = unquote(local.trim());
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    if local.is_empty()
        || local.len() > 256
        || local.chars().any(|c| c.is_control() || c == ' ' || c == '<' || c == '>')
    {
        return None;
    }
    let domain_ok = !domain.is_empty()
        && domain.len() <= 255
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !domain_ok {
        return None;
    }
    Some(MailAddress { local, domain })
}

/// The text up to the first comma that is outside quotes, comments and angle brackets; for a
/// group (`name: a@b, c@d;`) the first member. Iterative: a header of colons cannot recurse.
fn first_mailbox(mut value: &str) -> &str {
    'restart: loop {
        let (mut quoted, mut depth, mut angle, mut escaped) = (false, 0u32, false, false);
        for (i, c) in value.char_indices() {
            if escaped {
                escaped = false;
                continue;
            }
            match c {
                '\\' => escaped = true,
                '"' if depth == 0 => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted => depth = depth.saturating_sub(1),
                '<' if !quoted && depth == 0 => angle = true,
                '>' if !quoted && depth == 0 => angle = false,
                ',' | ';' if !quoted && depth == 0 && !angle => return &value[..i],
                ':' if !quoted && depth == 0 && !angle => {
                    value = &value[i + 1..];
                    continue 'restart;
                }
                _ => {}
            }
        }
        return value;
    }
}

/// The content of the last `<…>` outside quotes and comments.
fn angle_addr(value: &str) -> Option<String> {
    let (mut quoted, mut depth, mut escaped) = (false, 0u32, false);
    let mut open = None;
    let mut found = None;
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' if depth == 0 && open.is_none() => quoted = !quoted,
            '(' if !quoted && open.is_none() => depth += 1,
            ')' if !quoted && open.is_none() => depth = depth.saturating_sub(1),
            '<' if !quoted && depth == 0 => open = Some(i + 1),
            '>' if !quoted && depth == 0 => {
                if let Some(start) = open.take() {
                    found = Some(value[start..i].to_owned());
                }
            }
            _ => {}
        }
    }
    found
}

fn strip_comments(value: &str) -> String {
    let (mut out, mut quoted, mut depth, mut escaped) = (String::new(), false, 0u32, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// `"a.b."` → `a.b.`; `"a\"b"` → `a"b`; partly quoted forms lose their quotes too.
fn unquote(local: &str) -> String {
    if !local.contains('"') {
        return local.to_owned();
    }
    let mut out = String::with_capacity(local.len());
    let mut escaped = false;
    for c in local.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c != '"' {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Posting tokens

/// Random bytes in a token: 80 bits (≥ 64 required by security.md §5).
pub const TOKEN_BYTES: usize = 10;
/// Characters in a token: 80 bits in base32.
pub const TOKEN_CHARS: usize = 16;

const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A member's secret posting token: 80 random bits written as 16 characters of Crockford's
/// base32 in lower case (`0-9a-z` without `i l o u`, so it survives being read off a screen
/// and typed on a keypad). Parsing is case-insensitive and maps `o`→`0`, `i`/`l`→`1`;
/// hyphens are ignored. Store [`Token::digest`], not the token.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token([u8; TOKEN_BYTES]);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secret: never print it whole in logs.
        write!(f, "Token({}…)", &self.to_string()[..4])
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut acc: u128 = 0;
        for &b in &self.0 {
            acc = acc << 8 | u128::from(b);
        }
        let mut s = [0u8; TOKEN_CHARS];
        for (i, slot) in s.iter_mut().enumerate() {
            let shift = 5 * (TOKEN_CHARS - 1 - i);
            *slot = CROCKFORD[usize::try_from(acc >> shift & 31).unwrap_or(0)];
        }
        f.write_str(std::str::from_utf8(&s).map_err(|_| fmt::Error)?)
    }
}

impl Token {
    /// The token's bytes (for storage schemes other than [`Token::digest`]).
    pub fn as_bytes(&self) -> &[u8; TOKEN_BYTES] {
        &self.0
    }

    /// SHA-256 of the token's bytes: what storage keeps and looks up, so a database leak does
    /// not reveal posting addresses. (80 random bits need no salt or slow hash.)
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }

    /// Parses the text form, leniently as described on [`Token`].
    pub fn parse(text: &str) -> Option<Token> {
        let mut acc: u128 = 0;
        let mut n = 0;
        for c in text.bytes() {
            let c = c.to_ascii_lowercase();
            let v = match c {
                b'-' => continue,
                b'o' => 0,
                b'i' | b'l' => 1,
                _ => CROCKFORD.iter().position(|&x| x == c)?,
            };
            n += 1;
            if n > TOKEN_CHARS {
                return None;
            }
            acc = acc << 5 | v as u128;
        }
        if n != TOKEN_CHARS {
            return None;
        }
        let bytes = acc.to_be_bytes();
        let mut out = [0u8; TOKEN_BYTES];
        out.copy_from_slice(&bytes[16 - TOKEN_BYTES..]);
        Some(Token(out))
    }
}

/// A token from caller-supplied random bytes (the crate stays pure: the caller reads the OS
/// random source, e.g. `getrandom::fill`). Rotating a member's address means storing a new
/// token's digest in place of the old one; the old address is dead at once.
pub fn new_token(random: [u8; TOKEN_BYTES]) -> Token {
    Token(random)
}

// ---------------------------------------------------------------------------------------------
// Posting addresses

/// Where posting addresses live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressConfig {
    /// The mail domain the MTA hands to ashiato, e.g. `m.ashiato.example` (compared
    /// case-insensitively).
    pub domain: String,
    /// Optional fixed start of every posting local part, e.g. `post-` (lower case; may be
    /// empty). Lets the posting addresses share a domain with other mailboxes.
    pub prefix: String,
}

/// What a posting address does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Post a new diary entry: subject → title, text → body, images → photos, default scope.
    NewDiary,
    /// Comment on the given diary entry.
    Comment(DiaryId),
    /// Replace the profile photo with the first image.
    ProfilePhoto,
}

/// A parsed posting address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The action the address selects.
    pub action: Action,
    /// The member's token (look the member up by [`Token::digest`]).
    pub token: Token,
}

/// Why a recipient address is not a posting address. Every case is "unknown recipient"
/// (exit 67, `550 5.1.1`): the sender learns nothing about which part was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not `local@domain` at all.
    #[error("not a mail address")]
    Malformed,
    /// Another domain than the configured one.
    #[error("not our mail domain")]
    WrongDomain,
    /// The local part does not start with the configured prefix.
    #[error("no posting prefix")]
    NoPrefix,
    /// Unknown action letter or a malformed diary id.
    #[error("unknown posting action")]
    UnknownAction,
    /// The token is not 16 base32 characters.
    #[error("malformed token")]
    BadToken,
}

impl AddressError {
    /// The answer for the MTA: always unknown recipient.
    pub fn reply(&self) -> Reply {
        Reply::new(Disposition::UnknownRecipient, 550, "5.1.1", "no such posting address")
    }
}

/// Parses an envelope recipient (`--recipient ADDR` or LMTP `RCPT TO:<ADDR>`) as a posting
/// address. Case-insensitive throughout; angle brackets and surrounding blanks are ignored.
/// The grammar is in the crate README:
/// `prefix ( "d" / "c" diary-id / "p" ) "." token "@" domain`.
pub fn parse_recipient(addr: &str, config: &AddressConfig) -> Result<Recipient, AddressError> {
    let addr = addr.trim().trim_start_matches('<').trim_end_matches('>').trim();
    let at = addr.rfind('@').ok_or(AddressError::Malformed)?;
    let (local, domain) = (&addr[..at], &addr[at + 1..]);
    if local.is_empty() {
        return Err(AddressError::Malformed);
    }
    if !domain.trim_end_matches('.').eq_ignore_ascii_case(config.domain.trim_end_matches('.')) {
        return Err(AddressError::WrongDomain);
    }
    let local = local.to_ascii_lowercase();
    let rest = local
        .strip_prefix(config.prefix.to_ascii_lowercase().as_str())
        .ok_or(AddressError::NoPrefix)?;
    let (action, token) = rest.split_once('.').ok_or(AddressError::UnknownAction)?;
    let action = match action.as_bytes() {
        b"d" => Action::NewDiary,
        b"p" => Action::ProfilePhoto,
        [b'c', digits @ ..]
            if !digits.is_empty()
                && digits.len() <= 18
                && digits[0] != b'0'
                && digits.iter().all(u8::is_ascii_digit) =>
        {
            let id = action[1..].parse::<i64>().map_err(|_| AddressError::UnknownAction)?;
            Action::Comment(DiaryId(id))
        }
        _ => return Err(AddressError::UnknownAction),
    };
    let token = Token::parse(token).ok_or(AddressError::BadToken)?;
    Ok(Recipient { action, token })
}

/// The local part of the sign-up address (空メール登録): an empty mail to `join@` + the mail
/// domain is answered with a sign-up link.
pub const JOIN_LOCAL: &str = "join";

/// Whether an envelope recipient is the sign-up address of `config` (case-insensitive; angle
/// brackets and blanks ignored).
pub fn is_join_address(addr: &str, config: &AddressConfig) -> bool {
    let addr = addr.trim().trim_start_matches('<').trim_end_matches('>').trim();
    addr.rsplit_once('@').is_some_and(|(local, domain)| {
        local.eq_ignore_ascii_case(JOIN_LOCAL)
            && !config.domain.is_empty()
            && domain
                .trim_end_matches('.')
                .eq_ignore_ascii_case(config.domain.trim_end_matches('.'))
    })
}

/// The posting address for `action` and a member's token.
pub fn format_recipient(action: Action, token: &Token, config: &AddressConfig) -> String {
    let action = match action {
        Action::NewDiary => "d".to_owned(),
        Action::ProfilePhoto => "p".to_owned(),
        Action::Comment(DiaryId(id)) => format!("c{id}"),
    };
    format!("{}{action}.{token}@{}", config.prefix.to_ascii_lowercase(), config.domain)
}

/// A member's two fixed posting addresses (comment addresses depend on the diary; use
/// [`format_recipient`] with [`Action::Comment`] on a diary page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberAddresses {
    /// New diary entry.
    pub diary: String,
    /// New profile photo.
    pub profile_photo: String,
}

/// The addresses to show (only) to the member who owns `token`.
pub fn member_addresses(token: &Token, config: &AddressConfig) -> MemberAddresses {
    MemberAddresses {
        diary: format_recipient(Action::NewDiary, token, config),
        profile_photo: format_recipient(Action::ProfilePhoto, token, config),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AddressConfig {
        AddressConfig { domain: "m.ashiato.example".into(), prefix: String::new() }
    }

    #[test]
    fn the_sign_up_address() {
        assert!(is_join_address("join@m.ashiato.example", &cfg()));
        assert!(is_join_address(" <JOIN@M.Ashiato.Example.> ", &cfg()));
        assert!(!is_join_address("join@other.example", &cfg()));
        assert!(!is_join_address("joinx@m.ashiato.example", &cfg()));
        assert!(!is_join_address("d.000g40r40m30e209@m.ashiato.example", &cfg()));
        let off = AddressConfig { domain: String::new(), prefix: String::new() };
        assert!(!is_join_address("join@", &off), "no mail domain, no sign-up address");
    }

    #[test]
    fn token_text_round_trip() {
        let t = new_token([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let s = t.to_string();
        assert_eq!(s.len(), TOKEN_CHARS);
        assert_eq!(s, "000g40r40m30e209");
        assert_eq!(Token::parse(&s), Some(t.clone()));
        assert_eq!(Token::parse("000G40R40M30E2O9"), Some(t.clone()));
        assert_eq!(Token::parse("000g-40r4-0m30-e209"), Some(t.clone()));
        let ones = new_token([0xFF; TOKEN_BYTES]);
        assert_eq!(ones.to_string(), "zzzzzzzzzzzzzzzz");
        assert_eq!(Token::parse("zzzzzzzzzzzzzzzz"), Some(ones));
        assert_eq!(Token::parse("zzzzzzzzzzzzzzz"), None);
        assert_eq!(Token::parse("zzzzzzzzzzzzzzzzz"), None);
        assert_eq!(Token::parse("zzzzzzzzzzzzzzzu"), None);
        assert!(!format!("{t:?}").contains(&s));
    }

    #[test]
    fn recipient_round_trip() {
        let t = new_token(*b"0123456789");
        let c = cfg();
        for action in [Action::NewDiary, Action::ProfilePhoto, Action::Comment(DiaryId(42))] {
            let addr = format_recipient(action, &t, &c);
            let r = parse_recipient(&addr, &c).expect("own address parses");
            assert_eq!(r, Recipient { action, token: t.clone() });
            let upper = parse_recipient(&format!("<{}>", addr.to_uppercase()), &c);
            assert_eq!(upper.map(|r| r.action), Ok(action));
        }
        let m = member_addresses(&t, &c);
        assert!(m.diary.starts_with("d.") && m.profile_photo.starts_with("p."));
    }

    #[test]
    fn recipient_errors() {
        let c = cfg();
        let tok = new_token([7; TOKEN_BYTES]).to_string();
        let cases = [
            ("nobody", AddressError::Malformed),
            (&format!("d.{tok}@other.example") as &str, AddressError::WrongDomain),
            (&format!("x.{tok}@m.ashiato.example"), AddressError::UnknownAction),
            (&format!("c.{tok}@m.ashiato.example"), AddressError::UnknownAction),
            (&format!("c012.{tok}@m.ashiato.example"), AddressError::UnknownAction),
            (
                &format!("c99999999999999999999.{tok}@m.ashiato.example"),
                AddressError::UnknownAction,
            ),
            (&format!("d{tok}@m.ashiato.example"), AddressError::UnknownAction),
            ("d.short@m.ashiato.example", AddressError::BadToken),
        ];
        for (addr, err) in cases {
            assert_eq!(parse_recipient(addr, &c), Err(err), "{addr}");
        }
        let p = AddressConfig { prefix: "post-".into(), ..cfg() };
        assert_eq!(
            parse_recipient(&format!("d.{tok}@m.ashiato.example"), &p),
            Err(AddressError::NoPrefix)
        );
        assert!(parse_recipient(&format!("POST-d.{tok}@M.Ashiato.Example."), &p).is_ok());
        assert_eq!(AddressError::BadToken.reply().exit_code(), 67);
    }

    #[test]
    fn keitai_addresses_parse_leniently() {
        let cases = [
            ("rfc822.@docomo.ne.jp", "rfc822.", "docomo.ne.jp"),
            ("-everyone..-_-..annoyed-@docomo.ne.jp", "-everyone..-_-..annoyed-", "docomo.ne.jp"),
            ("\"example\"@docomo.ne.jp", "example", "docomo.ne.jp"),
            ("\"a..b.\"@DoCoMo.ne.jp", "a..b.", "docomo.ne.jp"),
            ("Taro <taro.@ezweb.ne.jp>", "taro.", "ezweb.ne.jp"),
            ("\"Yamada, Taro\" <taro@softbank.ne.jp>, other@x.jp", "taro", "softbank.ne.jp"),
            ("taro@i.softbank.jp (Taro's iPhone)", "taro", "i.softbank.jp"),
            ("=?ISO-2022-JP?B?GyRCJCIbKEI=?= <a@b.example>", "a", "b.example"),
            ("friends: a@b.example, c@d.example;", "a", "b.example"),
            ("MAILER-DAEMON@mx.example (Mail Delivery System)", "MAILER-DAEMON", "mx.example"),
            ("a: b: c@d.example;", "c", "d.example"),
        ];
        for (input, local, domain) in cases {
            let a = parse_mailbox(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!((a.local(), a.domain()), (local, domain), "{input}");
        }
        for bad in ["", "<>", "no-at-sign", "a@", "@b.example", "a@b..example", "a b@c.example"] {
            assert_eq!(parse_mailbox(bad), None, "{bad}");
        }
        // Hostile shapes stay linear and never recurse.
        assert_eq!(parse_mailbox(&":".repeat(1_000_000)), None);
        assert_eq!(parse_mailbox(&"(".repeat(1_000_000)), None);
        let a = parse_mailbox("Taro.@DOCOMO.ne.jp").expect("parses");
        let b = parse_mailbox("taro.@docomo.ne.jp").expect("parses");
        assert!(a.same_as(&b));
        assert_eq!(a.carrier(), MailCarrier::Docomo);
        assert!(parse_mailbox("MAILER-DAEMON@x.example").is_some_and(|a| a.is_automated_sender()));
        assert!(parse_mailbox("owner-list@x.example").is_some_and(|a| a.is_automated_sender()));
        assert!(!parse_mailbox("taro@x.example").is_some_and(|a| a.is_automated_sender()));
    }
}

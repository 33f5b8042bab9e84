//! Accounts: e-mail login ids, nicknames, password policy, profiles and invitations.

use crate::error::{Invalid, Problem};
use crate::scope::Scope;
use crate::text;
use crate::time::{DAY_MS, Timestamp};

/// Longest nickname, in characters.
pub const NICKNAME_MAX: usize = 30;
/// Longest e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Shortest acceptable password, in characters.
pub const PASSWORD_MIN: usize = 8;
/// Longest password; a bound keeps hashing cost predictable.
pub const PASSWORD_MAX: usize = 128;
/// Longest self-introduction on a profile.
pub const INTRODUCTION_MAX: usize = 2000;
/// Longest "area" (where the member lives) on a profile.
pub const AREA_MAX: usize = 40;

/// A normalised e-mail address, the login id.
///
/// Keitai addresses break RFC 5322 (`rfc822.@docomo.ne.jp`, consecutive dots), and some mailers
/// quote them (`"example."@docomo.ne.jp`); we accept them leniently, strip such quotes and
/// compare case-insensitively (keitai.md §12).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address typed by a person or an operator.
    pub fn parse(input: &str) -> Result<Email, Problem> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Problem::Empty);
        }
        if trimmed.chars().count() > EMAIL_MAX {
            return Err(Problem::TooLong(EMAIL_MAX));
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(Problem::BadEmail)?;
        let local = local.strip_prefix('"').and_then(|l| l.strip_suffix('"')).unwrap_or(local);
        let bad_char =
            |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
        if local.is_empty() || local.chars().any(bad_char) {
            return Err(Problem::BadEmail);
        }
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok {
            return Err(Problem::BadEmail);
        }
        Ok(Email(format!("{}@{}", local.to_lowercase(), domain.to_ascii_lowercase())))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part (after `@`).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Validates a nickname (the name other members see).
pub fn parse_nickname(input: &str) -> Result<String, Problem> {
    text::clean_line(input, NICKNAME_MAX)
}

/// Passwords nobody should be allowed to choose: the most common ones in published leak lists,
/// and keyboard walks. A short list is enough to stop the worst; the length rule does the rest.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyui",
    "qwertyuiop",
    "11111111",
    "00000000",
    "iloveyou",
    "abcdefgh",
    "abcd1234",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "passw0rd",
    "letmein1",
    "asdfghjk",
    "zxcvbnm1",
    "87654321",
    "88888888",
    "aaaaaaaa",
    "password123",
    "qwerty123",
    "1q2w3e4r",
    "welcome1",
    "mixi1234",
    "ashiato1",
    "ashiato123",
];

/// Checks a new password against the policy: 8–128 characters, at least 4 distinct characters,
/// not a common password, and not the e-mail address or nickname.
pub fn check_password(password: &str, email: &Email, nickname: &str) -> Result<(), Problem> {
    if password.is_empty() {
        return Err(Problem::Empty);
    }
    let count = password.chars().count();
    if count < PASSWORD_MIN {
        return Err(Problem::TooShort(PASSWORD_MIN));
    }
    if count > PASSWORD_MAX {
        return Err(Problem::TooLong(PASSWORD_MAX));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let lower = password.to_lowercase();
    let local = email.as_str().split('@').next().unwrap_or_default();
    if distinct.len() < 4
        || COMMON_PASSWORDS.contains(&lower.as_str())
        || lower == email.as_str()
        || lower == local
        || lower == nickname.to_lowercase()
    {
        return Err(Problem::WeakPassword);
    }
    Ok(())
}

/// A validated request to create a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMember {
    /// Login id.
    pub email: Email,
    /// Display name.
    pub nickname: String,
}

impl NewMember {
    /// Validates sign-up input, reporting every bad field at once so a keitai user fixes them
    /// in one round trip. The password is checked but not kept here: the caller hashes it.
    pub fn validate(
        email: &str,
        nickname: &str,
        password: &str,
    ) -> Result<NewMember, Vec<Invalid>> {
        let mut errors = Vec::new();
        let email =
            Email::parse(email).map_err(|problem| errors.push(Invalid { field: "email", problem }));
        let nickname = parse_nickname(nickname)
            .map_err(|problem| errors.push(Invalid { field: "nickname", problem }));
        if let (Ok(email), Ok(nickname)) = (&email, &nickname) {
            if let Err(problem) = check_password(password, email, nickname) {
                errors.push(Invalid { field: "password", problem });
            }
        } else if password.is_empty() {
            errors.push(Invalid { field: "password", problem: Problem::Empty });
        }
        match (email, nickname) {
            (Ok(email), Ok(nickname)) if errors.is_empty() => Ok(NewMember { email, nickname }),
            _ => Err(errors),
        }
    }
}

/// Profile fields a member fills in, each with its own scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Self-introduction (自己紹介).
    pub introduction: String,
    /// Who may read the introduction.
    pub introduction_scope: Scope,
    /// Birthday as (year, month, day), if given.
    pub birthday: Option<(i32, u32, u32)>,
    /// Who may see the birthday.
    pub birthday_scope: Scope,
    /// Where the member lives (現住所), free text.
    pub area: String,
    /// Who may see the area.
    pub area_scope: Scope,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            introduction: String::new(),
            introduction_scope: Scope::Public,
            birthday: None,
            birthday_scope: Scope::Friends,
            area: String::new(),
            area_scope: Scope::Public,
        }
    }
}

/// What of a profile a viewer may see: each field passes its own scope check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisibleProfile<'a> {
    /// Self-introduction, if visible and not empty.
    pub introduction: Option<&'a str>,
    /// Birthday, if visible and given.
    pub birthday: Option<(i32, u32, u32)>,
    /// Area, if visible and not empty.
    pub area: Option<&'a str>,
}

impl Profile {
    /// The fields a viewer in `relation` to the owner may see.
    pub fn visible_to(&self, relation: crate::scope::Relation) -> VisibleProfile<'_> {
        fn show(scope: Scope, relation: crate::scope::Relation, text: &str) -> Option<&str> {
            (scope.allows(relation) && !text.is_empty()).then_some(text)
        }
        VisibleProfile {
            introduction: show(self.introduction_scope, relation, &self.introduction),
            birthday: self.birthday.filter(|_| self.birthday_scope.allows(relation)),
            area: show(self.area_scope, relation, &self.area),
        }
    }
}

/// Parses a birthday typed as `YYYY-MM-DD` (or with `/`); empty means "not given".
pub fn parse_birthday(input: &str) -> Result<Option<(i32, u32, u32)>, Problem> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = trimmed.split(['-', '/']).collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(Problem::NotAllowed);
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(Problem::NotAllowed);
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if !(1900..=2100).contains(&y) || d == 0 || d > days_in_month {
        return Err(Problem::NotAllowed);
    }
    Ok(Some((y, m, d)))
}

/// How long an invitation stays valid unless configured otherwise.
pub const INVITATION_DEFAULT_DAYS: i64 = 14;

/// Decides whether an invitation may still be used.
pub fn check_invitation(now: Timestamp, expires_at: Timestamp, used: bool) -> Result<(), Problem> {
    if used {
        Err(Problem::InvitationUsed)
    } else if now >= expires_at {
        Err(Problem::InvitationExpired)
    } else {
        Ok(())
    }
}

/// The expiry of an invitation created at `now` that lives `days` days.
pub fn invitation_expiry(now: Timestamp, days: i64) -> Timestamp {
    now.plus_millis(days.saturating_mul(DAY_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> Email {
        Email::parse(s).expect("valid test address")
    }

    #[test]
    fn keitai_addresses_are_accepted_and_normalised() {
        assert_eq!(email("Rfc822.@DoCoMo.ne.jp").as_str(), "rfc822.@docomo.ne.jp");
        assert_eq!(
            email("-everyone..-_-..annoyed-@docomo.ne.jp").as_str(),
            "-everyone..-_-..annoyed-@docomo.ne.jp"
        );
        assert_eq!(email("\"example.\"@ezweb.ne.jp").as_str(), "example.@ezweb.ne.jp");
        assert_eq!(email("taro@example.com").domain(), "example.com");
    }

    #[test]
    fn broken_addresses_are_refused() {
        for bad in [
            "",
            "taro",
            "taro@",
            "@example.com",
            "ta ro@example.com",
            "taro@localhost",
            "taro@exa_mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn password_policy() {
        let e = email("hanako@example.jp");
        assert_eq!(check_password("", &e, "hanako"), Err(Problem::Empty));
        assert_eq!(check_password("short1", &e, "hanako"), Err(Problem::TooShort(8)));
        assert_eq!(check_password("password", &e, "hanako"), Err(Problem::WeakPassword));
        assert_eq!(check_password("aaaabbbb", &e, "hanako"), Err(Problem::WeakPassword));
        assert_eq!(check_password("hanako@example.jp", &e, "x"), Err(Problem::WeakPassword));
        assert_eq!(check_password("sakura-2008-spring", &e, "hanako"), Ok(()));
        assert_eq!(check_password(&"x1".repeat(65), &e, "hanako"), Err(Problem::TooLong(128)));
    }

    #[test]
    fn sign_up_reports_every_bad_field() {
        let errors = NewMember::validate("nope", "", "").expect_err("all three are bad");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["email", "nickname", "password"]);
        let ok = NewMember::validate(" Taro@Example.JP ", "たろう☀", "kaminari-9")
            .expect("valid sign-up");
        assert_eq!(ok.email.as_str(), "taro@example.jp");
        assert_eq!(ok.nickname, "たろう☀");
    }

    #[test]
    fn birthdays() {
        assert_eq!(parse_birthday(""), Ok(None));
        assert_eq!(parse_birthday("1985/2/28"), Ok(Some((1985, 2, 28))));
        assert_eq!(parse_birthday("2000-02-29"), Ok(Some((2000, 2, 29))));
        assert_eq!(parse_birthday("1900-02-29"), Err(Problem::NotAllowed));
        assert_eq!(parse_birthday("1985-13-01"), Err(Problem::NotAllowed));
        assert_eq!(parse_birthday("tomorrow"), Err(Problem::NotAllowed));
    }

    #[test]
    fn invitations_expire_and_are_single_use() {
        let now = Timestamp(1_000_000);
        let expires = invitation_expiry(now, 14);
        assert_eq!(check_invitation(now, expires, false), Ok(()));
        assert_eq!(check_invitation(expires, expires, false), Err(Problem::InvitationExpired));
        assert_eq!(check_invitation(now, expires, true), Err(Problem::InvitationUsed));
    }
}

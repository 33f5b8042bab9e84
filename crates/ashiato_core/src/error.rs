//! Domain errors: what went wrong with a person's input or request, as stable codes.
//!
//! Codes, not sentences: the web crate turns a [`Problem`] into a message from the catalog of
//! the reader's language, the CLI into one English line on stderr.

use std::fmt;

/// One field that failed validation, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The form field name (`email`, `password`, `nickname`…).
    pub field: &'static str,
    /// Why it failed.
    pub problem: Problem,
}

/// Why a request cannot be carried out. Each variant has a stable [`Problem::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    /// A required value was empty.
    Empty,
    /// A value was longer than allowed (the limit in characters).
    TooLong(usize),
    /// A value was shorter than allowed (the limit in characters).
    TooShort(usize),
    /// Not an e-mail address we can deliver to.
    BadEmail,
    /// The password is too easy to guess.
    WeakPassword,
    /// The e-mail address already belongs to a member.
    EmailTaken,
    /// The invitation does not exist.
    InvitationUnknown,
    /// The invitation has expired.
    InvitationExpired,
    /// The invitation was already used.
    InvitationUsed,
    /// Sign-up needs an invitation on this service.
    InvitationRequired,
    /// E-mail and password did not match a member.
    BadCredentials,
    /// No such member.
    UnknownMember,
    /// Control characters or other text that cannot be stored.
    BadText,
    /// A value outside the allowed set (e.g. a scope name).
    NotAllowed,
    /// A mailed link (password reset, address confirmation) that does not exist, or whose
    /// address is no longer the member's.
    LinkUnknown,
    /// A mailed link that has expired.
    LinkExpired,
    /// A mailed link that was used already.
    LinkUsed,
    /// The account is suspended by the operators.
    AccountSuspended,
}

impl Problem {
    /// A stable, language-neutral code used as the catalog key (`error.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Problem::Empty => "empty",
            Problem::TooLong(_) => "too_long",
            Problem::TooShort(_) => "too_short",
            Problem::BadEmail => "bad_email",
            Problem::WeakPassword => "weak_password",
            Problem::EmailTaken => "email_taken",
            Problem::InvitationUnknown => "invitation_unknown",
            Problem::InvitationExpired => "invitation_expired",
            Problem::InvitationUsed => "invitation_used",
            Problem::InvitationRequired => "invitation_required",
            Problem::BadCredentials => "bad_credentials",
            Problem::UnknownMember => "unknown_member",
            Problem::BadText => "bad_text",
            Problem::NotAllowed => "not_allowed",
            Problem::LinkUnknown => "link_unknown",
            Problem::LinkExpired => "link_expired",
            Problem::LinkUsed => "link_used",
            Problem::AccountSuspended => "account_suspended",
        }
    }

    /// The number a message may mention (a length limit), if any.
    pub fn limit(self) -> Option<usize> {
        match self {
            Problem::TooLong(n) | Problem::TooShort(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    /// English, for logs and the command line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("must not be empty"),
            Problem::TooLong(n) => write!(f, "must be at most {n} characters"),
            Problem::TooShort(n) => write!(f, "must be at least {n} characters"),
            Problem::BadEmail => f.write_str("is not a valid e-mail address"),
            Problem::WeakPassword => f.write_str("is too easy to guess"),
            Problem::EmailTaken => f.write_str("is already registered"),
            Problem::InvitationUnknown => f.write_str("invitation not found"),
            Problem::InvitationExpired => f.write_str("invitation has expired"),
            Problem::InvitationUsed => f.write_str("invitation was already used"),
            Problem::InvitationRequired => f.write_str("sign-up needs an invitation"),
            Problem::BadCredentials => f.write_str("e-mail or password is wrong"),
            Problem::UnknownMember => f.write_str("no such member"),
            Problem::BadText => f.write_str("contains characters that cannot be stored"),
            Problem::NotAllowed => f.write_str("is not one of the allowed values"),
            Problem::LinkUnknown => f.write_str("link not found"),
            Problem::LinkExpired => f.write_str("link has expired"),
            Problem::LinkUsed => f.write_str("link was already used"),
            Problem::AccountSuspended => f.write_str("account is suspended"),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.problem)
    }
}

impl std::error::Error for Invalid {}

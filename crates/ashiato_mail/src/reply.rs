//! What the MTA is told: a sysexits code for the pipe transport and an SMTP/LMTP reply.
//!
//! | disposition | exit (sysexits) | LMTP | the MTA |
//! |---|---|---|---|
//! | delivered or discarded | 0 `EX_OK` | `250 2.0.0` | done |
//! | [`Disposition::UnknownRecipient`] | 67 `EX_NOUSER` | `550 5.1.1` | bounces |
//! | [`Disposition::Permanent`] | 65 `EX_DATAERR` | `5xx` (550, 552, 554) | bounces |
//! | [`Disposition::Temporary`] | 75 `EX_TEMPFAIL` | `4xx` (451, 452) | retries later |

use std::fmt;

/// The class of a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// The message will never be accepted as it is (bad message, refused sender, too large).
    Permanent,
    /// No such posting address (also used for rotated addresses).
    UnknownRecipient,
    /// Try again later (storage down, photo pipeline busy). Nothing in this crate is
    /// temporary; the caller uses it for its own failures.
    Temporary,
}

impl Disposition {
    /// The sysexits code for `ashiato mail-ingest`.
    pub fn exit_code(self) -> u8 {
        match self {
            Disposition::Permanent => 65,
            Disposition::UnknownRecipient => 67,
            Disposition::Temporary => 75,
        }
    }
}

/// A refusal as the MTA hears it: exit code, SMTP reply code, enhanced status code (RFC 3463)
/// and one line of text. `Display` gives the LMTP reply line (`550 5.1.1 no such posting
/// address`); the same line goes to stderr for the pipe transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Class of the refusal.
    pub disposition: Disposition,
    /// SMTP reply code (4xx or 5xx).
    pub code: u16,
    /// Enhanced status code, e.g. `5.7.1`.
    pub status: &'static str,
    /// Why, in one short line of ASCII (no user content: it ends up in bounces and logs).
    pub text: String,
}

impl Reply {
    /// A reply; `text` is cut to one line.
    pub fn new(
        disposition: Disposition,
        code: u16,
        status: &'static str,
        text: impl Into<String>,
    ) -> Reply {
        let text: String = text.into();
        let text = text.lines().next().unwrap_or("").chars().filter(|c| !c.is_control()).collect();
        Reply { disposition, code, status, text }
    }

    /// A temporary failure of the caller (storage, photo pipeline): `451 4.3.0`, exit 75, so
    /// the MTA retries; the duplicate key makes the retry safe.
    pub fn temporary(text: impl Into<String>) -> Reply {
        Reply::new(Disposition::Temporary, 451, "4.3.0", text)
    }

    /// The sysexits code.
    pub fn exit_code(&self) -> u8 {
        self.disposition.exit_code()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.code, self.status, self.text)
    }
}

//! Why an inbound message is refused before any policy is applied.

use crate::reply::{Disposition, Reply};

/// A message that cannot be accepted as it is. Every variant is permanent: sending the same
/// bytes again gives the same answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Larger than [`InboundLimits::max_message_bytes`](crate::InboundLimits); checked before
    /// any parsing.
    #[error("message too large ({size} bytes, limit {limit})")]
    TooLarge {
        /// Size of the message.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A header block (of the message or of a part) larger than
    /// [`InboundLimits::max_header_bytes`](crate::InboundLimits).
    #[error("header block larger than {limit} bytes")]
    HeaderTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Multiparts and attached messages nested deeper than
    /// [`InboundLimits::max_depth`](crate::InboundLimits).
    #[error("MIME nesting deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// More MIME parts than [`InboundLimits::max_parts`](crate::InboundLimits).
    #[error("more than {limit} MIME parts")]
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// More images than allowed while [`ExtraImages::Refuse`](crate::ExtraImages) is set.
    #[error("{found} images, at most {limit} allowed")]
    TooManyImages {
        /// Usable images found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// A `message/rfc822` or `message/global` part with base64 or quoted-printable encoding,
    /// which RFC 2046 §5.2.1 forbids and which would hide nesting from the depth check.
    #[error("encoded message/rfc822 part")]
    EncodedMessagePart,
    /// No header block: not a mail message.
    #[error("not a mail message")]
    NotAMessage,
    /// The MIME parser gave up on the message's structure (it panicked on it).
    #[error("malformed MIME structure")]
    Malformed,
}

impl MailError {
    /// The class of the refusal: always [`Disposition::Permanent`] (exit 65, 5xx).
    pub fn kind(&self) -> Disposition {
        Disposition::Permanent
    }

    /// The reply for the MTA.
    pub fn reply(&self) -> Reply {
        let (code, status) = match self {
            MailError::TooLarge { .. } | MailError::HeaderTooLarge { .. } => (552, "5.3.4"),
            MailError::TooDeep { .. }
            | MailError::TooManyParts { .. }
            | MailError::TooManyImages { .. }
            | MailError::EncodedMessagePart
            | MailError::NotAMessage
            | MailError::Malformed => (554, "5.6.0"),
        };
        Reply::new(self.kind(), code, status, self.to_string())
    }
}

//! Subscriber and device identifiers (keitai.md §4) and their keyed hash.

use std::fmt;

use hmac::{KeyInit, Mac};
use serde::Serialize;

use crate::carrier::Carrier;
use crate::inline::InlineStr;

/// Which identifier was presented (keitai.md §4 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// docomo i-mode ID, header `X-DCMGUID` (sent after `guid=ON`).
    ImodeId,
    /// Handset serial: docomo `ser…` in the UA (after `utn`), SoftBank `/SN…` in the UA.
    Serial,
    /// docomo FOMA UIM card id `icc…` in the UA.
    Icc,
    /// au EZ number, header `X-UP-SUBNO`.
    Subno,
    /// SoftBank user ID, header `X-JPHONE-UID`.
    JphoneUid,
    /// EMOBILE user ID, header `X-EM-UID`.
    EmUid,
}

impl IdKind {
    /// The carrier this kind of ID belongs to, given the carrier of the UA for serials.
    #[must_use]
    pub fn header_carrier(self) -> Option<Carrier> {
        match self {
            Self::ImodeId | Self::Icc => Some(Carrier::Docomo),
            Self::Subno => Some(Carrier::Au),
            Self::JphoneUid => Some(Carrier::Softbank),
            Self::EmUid => Some(Carrier::Emobile),
            Self::Serial => None,
        }
    }
}

/// Why a presented ID was dropped. The caller logs this as a security event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdRejection {
    /// The client address is outside every carrier browser range (S-01).
    NotCarrierRange,
    /// The client address is in a range whose IDs are never trusted, e.g. docomo's full browser
    /// 210.153.87.0/24 (S-02).
    UntrustedRange,
    /// The client address is another carrier's gateway.
    WrongCarrierRange,
    /// The ID header belongs to another carrier than the UA (e.g. `X-DCMGUID` from an au UA or
    /// a PC).
    CarrierMismatch,
    /// No peer address was given.
    NoPeer,
    /// A crawler: never a subscriber (keitai.md §1).
    Crawler,
    /// docomo over HTTPS: the i-mode ID is never sent over SSL (keitai.md §4).
    Https,
    /// The value is not 1–64 printable ASCII characters.
    Malformed,
}

/// A **trusted** subscriber or device identifier.
///
/// The raw value is deliberately hard to leak: `Debug` redacts it, there is no `Display` or
/// `Serialize`, and the only way out is [`SubscriberId::keyed_hash_hex`], which is what gets
/// stored (security.md §1 "store HMAC(server secret, carrier ‖ id), never the raw ID"; S-09).
#[derive(Clone, PartialEq, Eq)]
pub struct SubscriberId {
    carrier: Carrier,
    kind: IdKind,
    value: InlineStr<64>,
}

impl SubscriberId {
    pub(crate) fn new(carrier: Carrier, kind: IdKind, value: InlineStr<64>) -> Self {
        Self { carrier, kind, value }
    }

    /// The carrier that issued the ID.
    #[must_use]
    pub fn carrier(&self) -> Carrier {
        self.carrier
    }

    /// The kind of ID.
    #[must_use]
    pub fn kind(&self) -> IdKind {
        self.kind
    }

    /// HMAC-SHA256 under `secret` of `carrier ‖ ":" ‖ id` (carrier as in JSON: `docomo`, `au`,
    /// `softbank`, `emobile`), as 64 lower-case hex digits. Store and compare only this.
    #[must_use]
    pub fn keyed_hash_hex(&self, secret: &[u8]) -> String {
        keyed_hash_hex(self.carrier, self.value.as_str().as_bytes(), secret)
    }
}

/// The same keyed hash as [`SubscriberId::keyed_hash_hex`] for a raw value obtained elsewhere
/// (tests, migrations): HMAC-SHA256(secret, carrier ‖ ":" ‖ raw) in lower-case hex.
#[must_use]
pub fn keyed_hash_hex(carrier: Carrier, raw: &[u8], secret: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty MAC is never produced.
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(carrier.as_str().as_bytes());
    mac.update(b":");
    mac.update(raw);
    hex::encode(mac.finalize().into_bytes())
}

impl fmt::Debug for SubscriberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriberId")
            .field("carrier", &self.carrier)
            .field("kind", &self.kind)
            .field("value", &format_args!("<redacted {} bytes>", self.value.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_and_hashed() {
        let id = SubscriberId::new(
            Carrier::Docomo,
            IdKind::ImodeId,
            InlineStr::from_str_lossy("abcdef0"),
        );
        let dbg = format!("{id:?}");
        assert!(!dbg.contains("abcdef0"), "{dbg}");
        assert!(dbg.contains("redacted 7 bytes"));
        let h = id.keyed_hash_hex(b"secret");
        assert_eq!(h.len(), 64);
        assert_eq!(h, keyed_hash_hex(Carrier::Docomo, b"abcdef0", b"secret"));
        assert_ne!(h, keyed_hash_hex(Carrier::Au, b"abcdef0", b"secret"));
        assert_ne!(h, id.keyed_hash_hex(b"other secret"));
    }
}

//! The carrier or client class of a request (keitai.md §1). Its own module, below both
//! `profile.rs` (the [`crate::Handset`] profile) and `subscriber.rs` (whose IDs are keyed by
//! carrier); `profile` re-exports it.

use serde::Serialize;

/// Who the client is. keitai.md §1 (carrier detection by UA prefix; crawlers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Carrier {
    /// NTT docomo i-mode (mova and FOMA).
    Docomo,
    /// au by KDDI (EZweb), including Tu-Ka.
    Au,
    /// SoftBank, Vodafone K.K. and J-PHONE.
    Softbank,
    /// WILLCOM / DDI Pocket (PHS).
    Willcom,
    /// EMOBILE.
    Emobile,
    /// iPhone, iPad, Android, Windows Phone, BlackBerry.
    Smartphone,
    /// Anything else: desktop browsers, tools, unknown clients.
    Pc,
    /// A search-engine crawler (possibly presenting a handset UA; see [`crate::Handset::imitates`]).
    Crawler,
}

impl Carrier {
    /// The lower-case name used in JSON and in the keyed subscriber hash.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Docomo => "docomo",
            Self::Au => "au",
            Self::Softbank => "softbank",
            Self::Willcom => "willcom",
            Self::Emobile => "emobile",
            Self::Smartphone => "smartphone",
            Self::Pc => "pc",
            Self::Crawler => "crawler",
        }
    }

    /// Whether this is a Japanese feature-phone carrier (docomo, au, SoftBank, WILLCOM, EMOBILE).
    #[must_use]
    pub fn is_keitai(self) -> bool {
        matches!(self, Self::Docomo | Self::Au | Self::Softbank | Self::Willcom | Self::Emobile)
    }
}

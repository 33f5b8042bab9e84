//! Carrier browser gateway ranges: which client addresses may carry trusted subscriber IDs.
//!
//! The ranges are historical, change over time and differ between sources (keitai.md §14), so
//! they are data: a dated TOML file shipped in `data/gateways.toml` and replaceable at run time
//! from a string the caller loads ([`Gateways::from_toml_str`]), so configuration can swap it
//! without a rebuild (security.md S-06).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::OnceLock;

use serde::Deserialize;
use time::{Date, Month};

use crate::carrier::Carrier;
use crate::ip::{IpNet, TrustedProxies, canonical_ip};

/// The shipped gateway list (see the file's header for sources and dates).
pub const BUILTIN_GATEWAYS_TOML: &str = include_str!("../data/gateways.toml");

/// Age in days after which the CLI and server should warn that the list needs checking
/// (security.md S-06: "warning when 'last verified' is > 90 days old").
pub const STALE_AFTER_DAYS: i64 = 90;

/// Error loading a gateway file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Not valid TOML or not the expected shape.
    #[error("gateway list: {0}")]
    Syntax(String),
    /// A table name that is not a carrier with subscriber IDs.
    #[error(
        "gateway list: unknown carrier `{0}` (expected docomo, au, softbank, emobile, willcom)"
    )]
    UnknownCarrier(String),
    /// A range that is not a CIDR.
    #[error("gateway list [{carrier}]: {source}")]
    Cidr {
        /// The carrier table.
        carrier: String,
        /// The parse error.
        source: crate::ip::IpNetParseError,
    },
    /// `last_verified` is not a plain date.
    #[error("gateway list [{0}]: last_verified must be a date such as 2021-10-01")]
    Date(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCarrier {
    last_verified: toml::value::Datetime,
    #[serde(default)]
    sources: Vec<String>,
    browser: Vec<String>,
    #[serde(default)]
    untrusted: Vec<String>,
}

/// One carrier's ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierGateways {
    /// The carrier.
    pub carrier: Carrier,
    /// Date of the source list.
    pub last_verified: Date,
    /// Where the list came from (URLs or repository paths).
    pub sources: Vec<String>,
    /// Browser gateways: ID headers from here are trusted for this carrier.
    pub browser: Vec<IpNet>,
    /// Ranges of this carrier whose IDs must never be trusted (docomo full browser).
    pub untrusted: Vec<IpNet>,
}

/// Classification of a client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayMatch {
    /// Inside `carrier`'s browser gateways.
    Browser(Carrier),
    /// Inside a range whose IDs are never trusted (e.g. docomo full browser).
    Untrusted(Carrier),
    /// Not a known carrier gateway.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct V4Range {
    start: u32,
    end: u32,
    carrier: Carrier,
}

/// A loaded gateway list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Gateways {
    carriers: Vec<CarrierGateways>,
    v4_untrusted: Vec<V4Range>,
    v4_browser: Vec<V4Range>,
    v6: Vec<(IpNet, Carrier, bool)>,
}

fn carrier_named(name: &str) -> Option<Carrier> {
    Some(match name {
        "docomo" => Carrier::Docomo,
        "au" => Carrier::Au,
        "softbank" => Carrier::Softbank,
        "emobile" => Carrier::Emobile,
        "willcom" => Carrier::Willcom,
        _ => return None,
    })
}

impl Gateways {
    /// The list shipped with the crate (`data/gateways.toml`), parsed once.
    ///
    /// If the shipped file could not be parsed (a test guards against it) this is an empty
    /// list, which trusts no ID.
    #[must_use]
    pub fn builtin() -> &'static Gateways {
        static BUILTIN: OnceLock<Gateways> = OnceLock::new();
        BUILTIN.get_or_init(|| Self::from_toml_str(BUILTIN_GATEWAYS_TOML).unwrap_or_default())
    }

    /// An empty list: no address is a carrier gateway, so no ID is ever trusted.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses a gateway file in the format of `data/gateways.toml`.
    ///
    /// # Errors
    /// [`GatewayError`] on bad TOML, an unknown carrier table, a bad CIDR or date.
    pub fn from_toml_str(text: &str) -> Result<Self, GatewayError> {
        let raw: BTreeMap<String, RawCarrier> =
            toml::from_str(text).map_err(|e| GatewayError::Syntax(e.message().to_owned()))?;
        let mut g = Self::default();
        for (name, rc) in raw {
            let carrier =
                carrier_named(&name).ok_or_else(|| GatewayError::UnknownCarrier(name.clone()))?;
            let date = rc
                .last_verified
                .date
                .filter(|_| rc.last_verified.time.is_none())
                .and_then(|d| {
                    let month = Month::try_from(d.month).ok()?;
                    Date::from_calendar_date(i32::from(d.year), month, d.day).ok()
                })
                .ok_or_else(|| GatewayError::Date(name.clone()))?;
            let parse = |v: &[String]| -> Result<Vec<IpNet>, GatewayError> {
                v.iter()
                    .map(|s| s.parse::<IpNet>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|source| GatewayError::Cidr { carrier: name.clone(), source })
            };
            g.carriers.push(CarrierGateways {
                carrier,
                last_verified: date,
                sources: rc.sources,
                browser: parse(&rc.browser)?,
                untrusted: parse(&rc.untrusted)?,
            });
        }
        g.index();
        Ok(g)
    }

    /// Builds a list from already-parsed carrier entries.
    #[must_use]
    pub fn from_carriers(carriers: Vec<CarrierGateways>) -> Self {
        let mut g = Self { carriers, ..Self::default() };
        g.index();
        g
    }

    fn index(&mut self) {
        self.v4_untrusted.clear();
        self.v4_browser.clear();
        self.v6.clear();
        for c in &self.carriers {
            for (nets, trusted) in [(&c.browser, true), (&c.untrusted, false)] {
                for n in nets {
                    match n.v4_range() {
                        Some((start, end)) => {
                            let r = V4Range { start, end, carrier: c.carrier };
                            if trusted {
                                self.v4_browser.push(r);
                            } else {
                                self.v4_untrusted.push(r);
                            }
                        }
                        None => self.v6.push((*n, c.carrier, trusted)),
                    }
                }
            }
        }
        self.v4_browser.sort_by_key(|r| (r.start, r.end));
        self.v4_untrusted.sort_by_key(|r| (r.start, r.end));
    }

    /// The carriers in the list.
    #[must_use]
    pub fn carriers(&self) -> &[CarrierGateways] {
        &self.carriers
    }

    /// The **oldest** `last_verified` date of any carrier, or `None` for an empty list.
    #[must_use]
    pub fn last_verified(&self) -> Option<Date> {
        self.carriers.iter().map(|c| c.last_verified).min()
    }

    /// Days between the oldest `last_verified` and `today` (pass the current UTC date).
    #[must_use]
    pub fn age_days(&self, today: Date) -> Option<i64> {
        self.last_verified().map(|d| (today - d).whole_days())
    }

    /// Whether the list is older than [`STALE_AFTER_DAYS`] on `today`; warn when true.
    #[must_use]
    pub fn is_stale(&self, today: Date) -> bool {
        self.age_days(today).is_some_and(|d| d > STALE_AFTER_DAYS)
    }

    /// Classifies a client address. An address in an `untrusted` range is `Untrusted` even if a
    /// browser range also covers it.
    #[must_use]
    pub fn classify(&self, ip: IpAddr) -> GatewayMatch {
        match canonical_ip(ip) {
            IpAddr::V4(v4) => {
                let x = u32::from(v4);
                if let Some(r) = self.v4_untrusted.iter().find(|r| r.start <= x && x <= r.end) {
                    return GatewayMatch::Untrusted(r.carrier);
                }
                // Sorted by start: stop scanning once ranges begin above x.
                for r in &self.v4_browser {
                    if r.start > x {
                        break;
                    }
                    if x <= r.end {
                        return GatewayMatch::Browser(r.carrier);
                    }
                }
                GatewayMatch::None
            }
            ip @ IpAddr::V6(_) => {
                if let Some((_, c, _)) = self.v6.iter().find(|(n, _, t)| !t && n.contains(ip)) {
                    return GatewayMatch::Untrusted(*c);
                }
                match self.v6.iter().find(|(n, _, t)| *t && n.contains(ip)) {
                    Some((_, c, _)) => GatewayMatch::Browser(*c),
                    None => GatewayMatch::None,
                }
            }
        }
    }
}

/// Everything the detector needs to decide trust: gateway ranges and the reverse proxies whose
/// forwarded headers are believed. Build once from configuration and share (e.g. in an `Arc`,
/// swapped on reload).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trust {
    /// Carrier browser gateway ranges.
    pub gateways: Gateways,
    /// Trusted reverse proxies.
    pub proxies: TrustedProxies,
}

impl Trust {
    /// Trust settings from parts.
    #[must_use]
    pub fn new(gateways: Gateways, proxies: TrustedProxies) -> Self {
        Self { gateways, proxies }
    }

    /// The shipped gateway list and no trusted proxy.
    #[must_use]
    pub fn builtin() -> Self {
        Self { gateways: Gateways::builtin().clone(), proxies: TrustedProxies::none() }
    }

    /// Trusts nothing: no gateway ranges, no proxies.
    #[must_use]
    pub fn nothing() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses() {
        let g =
            Gateways::from_toml_str(BUILTIN_GATEWAYS_TOML).expect("shipped gateways.toml parses");
        assert_eq!(g.carriers().len(), 4);
        assert_eq!(
            g.last_verified(),
            Some(Date::from_calendar_date(2008, Month::September, 5).expect("date"))
        );
        assert!(g.is_stale(Date::from_calendar_date(2026, Month::January, 1).expect("date")));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            Gateways::from_toml_str("[x]\nlast_verified = 2020-01-01\nbrowser = []"),
            Err(GatewayError::UnknownCarrier(_))
        ));
        assert!(matches!(
            Gateways::from_toml_str("[au]\nlast_verified = 2020-01-01\nbrowser = [\"1.2.3.4/40\"]"),
            Err(GatewayError::Cidr { .. })
        ));
        assert!(matches!(
            Gateways::from_toml_str("[au]\nlast_verified = \"soon\"\nbrowser = []"),
            Err(GatewayError::Syntax(_))
        ));
        assert!(matches!(
            Gateways::from_toml_str("[au]\nlast_verified = 2020-01-01T10:00:00\nbrowser = []"),
            Err(GatewayError::Date(_))
        ));
        assert!(matches!(
            Gateways::from_toml_str("[au]\nlast_verified = 2020-01-01\nbrowser = []\nextra = 1"),
            Err(GatewayError::Syntax(_))
        ));
    }
}

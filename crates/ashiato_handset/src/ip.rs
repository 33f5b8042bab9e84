//! IP networks, trusted reverse proxies and client address resolution.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use crate::bytes::trim;

/// Maps an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as dual-stack sockets report IPv4
/// peers) to plain IPv4; other addresses are returned unchanged.
#[must_use]
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// An IPv4 or IPv6 network in CIDR form (`210.153.84.0/24`); a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

/// Error parsing an [`IpNet`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CIDR `{0}`: expected ADDRESS or ADDRESS/PREFIX")]
pub struct IpNetParseError(pub String);

impl IpNet {
    /// A network from an address and prefix length; host bits are cleared.
    ///
    /// # Errors
    /// When `prefix` exceeds 32 (IPv4) or 128 (IPv6).
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, IpNetParseError> {
        let addr = canonical_ip(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(IpNetParseError(format!("{addr}/{prefix}")));
        }
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        Ok(Self { addr, prefix })
    }

    /// The network address.
    #[must_use]
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    #[must_use]
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies inside the network (IPv4-mapped IPv6 addresses count as IPv4).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical_ip(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                u32::from(ip) & mask32(self.prefix) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                u128::from(ip) & mask128(self.prefix) == u128::from(net)
            }
            _ => false,
        }
    }

    /// For IPv4 networks, the first and last address as integers.
    pub(crate) fn v4_range(&self) -> Option<(u32, u32)> {
        match self.addr {
            IpAddr::V4(a) => {
                let start = u32::from(a);
                Some((start, start | !mask32(self.prefix)))
            }
            IpAddr::V6(_) => None,
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) }
}

fn mask128(prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix.min(128))) }
}

impl FromStr for IpNet {
    type Err = IpNetParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || IpNetParseError(s.to_owned());
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => {
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                (a, Some(p.parse::<u8>().map_err(|_| err())?))
            }
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| err())?;
        let addr = canonical_ip(addr);
        let prefix = prefix.unwrap_or(if addr.is_ipv4() { 32 } else { 128 });
        Self::new(addr, prefix).map_err(|_| err())
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The reverse proxies whose `X-Forwarded-For` / `X-Real-IP` may be believed.
///
/// Empty by default: then the TCP peer is always the client and forwarded headers are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// No trusted proxies.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Trust the given networks.
    #[must_use]
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self { nets }
    }

    /// Parses addresses or CIDRs such as `["127.0.0.1", "10.0.0.0/8", "::1"]`.
    ///
    /// # Errors
    /// The first entry that is not an address or CIDR.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, IpNetParseError> {
        let nets = items.iter().map(|s| s.as_ref().parse()).collect::<Result<Vec<_>, _>>()?;
        Ok(Self { nets })
    }

    /// Whether `ip` is a trusted proxy.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// The configured networks.
    #[must_use]
    pub fn nets(&self) -> &[IpNet] {
        &self.nets
    }

    /// Whether no proxy is trusted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }
}

/// Parses one forwarded-address entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]:80`, with surrounding spaces or quotes.
fn parse_forwarded_ip(entry: &[u8]) -> Option<IpAddr> {
    let e = trim(entry);
    let e = e.strip_prefix(b"\"").unwrap_or(e);
    let e = e.strip_suffix(b"\"").unwrap_or(e);
    let s = std::str::from_utf8(e).ok()?;
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical_ip(ip));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(canonical_ip(sa.ip()));
    }
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse::<IpAddr>().ok().map(canonical_ip)
}

/// Resolves the real client address of a request.
///
/// - If `peer` (the TCP peer) is not a trusted proxy, it is the client and the forwarded headers
///   are ignored: anyone can send them.
/// - Otherwise `X-Forwarded-For` is walked **from the right**, skipping trusted proxies; the first
///   address that is not a trusted proxy is the client. An unparsable entry stops the walk and
///   the last trusted hop is returned (it is never a carrier gateway, so no ID is trusted).
///   If every entry is a trusted proxy, the leftmost one is returned.
/// - Without `X-Forwarded-For`, a parsable `X-Real-IP` set by the trusted proxy is used.
#[must_use]
pub fn client_ip(
    peer: IpAddr,
    forwarded_for: Option<&[u8]>,
    real_ip: Option<&[u8]>,
    proxies: &TrustedProxies,
) -> IpAddr {
    let peer = canonical_ip(peer);
    if !proxies.contains(peer) {
        return peer;
    }
    let xff = forwarded_for.map(trim).filter(|v| !v.is_empty());
    if let Some(xff) = xff {
        let mut current = peer;
        for entry in xff.rsplit(|&b| b == b',') {
            if trim(entry).is_empty() {
                continue;
            }
            match parse_forwarded_ip(entry) {
                Some(ip) if proxies.contains(ip) => current = ip,
                Some(ip) => return ip,
                None => return current,
            }
        }
        return current;
    }
    real_ip.and_then(parse_forwarded_ip).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn cidr() {
        let n: IpNet = "210.153.84.0/24".parse().expect("cidr");
        assert!(n.contains(ip("210.153.84.1")));
        assert!(n.contains(ip("210.153.84.255")));
        assert!(!n.contains(ip("210.153.85.0")));
        assert!(n.contains(ip("::ffff:210.153.84.7")));
        assert_eq!("1.2.3.4".parse::<IpNet>().expect("bare").prefix(), 32);
        assert!("1.2.3.4/33".parse::<IpNet>().is_err());
        assert!("1.2.3.4/".parse::<IpNet>().is_err());
        assert!("::/0".parse::<IpNet>().expect("v6").contains(ip("2001:db8::1")));
        assert_eq!("10.1.2.3/8".parse::<IpNet>().expect("host bits").to_string(), "10.0.0.0/8");
    }

    #[test]
    fn resolve() {
        let proxies = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8"]).expect("proxies");
        // Untrusted peer: headers ignored.
        assert_eq!(client_ip(ip("8.8.8.8"), Some(b"210.153.84.1"), None, &proxies), ip("8.8.8.8"));
        // Trusted peer: walk from the right.
        assert_eq!(
            client_ip(ip("127.0.0.1"), Some(b"1.1.1.1, 210.153.84.1, 10.0.0.2"), None, &proxies),
            ip("210.153.84.1")
        );
        assert_eq!(client_ip(ip("127.0.0.1"), Some(b"10.0.0.3"), None, &proxies), ip("10.0.0.3"));
        assert_eq!(
            client_ip(ip("127.0.0.1"), Some(b"junk, 10.0.0.3"), None, &proxies),
            ip("10.0.0.3")
        );
        assert_eq!(client_ip(ip("127.0.0.1"), Some(b"[::1]:80"), None, &proxies), ip("::1"));
        assert_eq!(client_ip(ip("127.0.0.1"), Some(b"1.2.3.4:99"), None, &proxies), ip("1.2.3.4"));
        assert_eq!(client_ip(ip("127.0.0.1"), None, Some(b"9.9.9.9"), &proxies), ip("9.9.9.9"));
        assert_eq!(client_ip(ip("127.0.0.1"), None, Some(b"nope"), &proxies), ip("127.0.0.1"));
        assert_eq!(client_ip(ip("127.0.0.1"), Some(b" "), None, &proxies), ip("127.0.0.1"));
    }
}

//! Internal URLs: adding the session token and `guid=ON`, and percent-encoding.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters left as they are in a query value: RFC 3986 unreserved.
const QUERY_VALUE: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes a query value (UTF-8).
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// The name of the session parameter for handsets without cookies. SoftBank reserves `sid`,
/// `uid`, `pid` and others in query strings (keitai.md §5), so the name is one no carrier uses.
pub const SESSION_PARAM: &str = "ksid";

/// Query names SoftBank gateways reserve (keitai.md §5); our parameters must avoid them.
pub const SOFTBANK_RESERVED: &[&str] = &[
    "pid", "sid", "uid", "lid", "gid", "rpid", "rsid", "nl", "cl", "ol", "pl", "jsky", "prc",
    "cnt", "reg", "vsekey", "vsernk",
];

/// What internal links must carry for the current handset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkParams {
    /// Session token to append (only for handsets without cookies).
    pub session: Option<String>,
    /// Append `guid=ON` so docomo's gateway sends the i-mode ID.
    pub guid_on: bool,
}

impl LinkParams {
    /// Adds the parameters to an internal path, keeping any `#fragment` last.
    pub fn apply(&self, path: &str) -> String {
        if self.session.is_none() && !self.guid_on {
            return path.to_owned();
        }
        let (base, fragment) = match path.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (path, None),
        };
        let mut out = String::with_capacity(base.len() + 64);
        out.push_str(base);
        let mut sep = if base.contains('?') { '&' } else { '?' };
        if self.guid_on && !has_param(base, "guid") {
            out.push(sep);
            out.push_str("guid=ON");
            sep = '&';
        }
        if let Some(token) = &self.session {
            out.push(sep);
            out.push_str(SESSION_PARAM);
            out.push('=');
            // Straight into `out`: this runs for every link of every keitai page.
            out.extend(utf8_percent_encode(token, QUERY_VALUE));
        }
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(f);
        }
        out
    }
}

fn has_param(url: &str, name: &str) -> bool {
    url.split_once('?')
        .is_some_and(|(_, q)| q.split('&').any(|kv| kv.split('=').next() == Some(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_parameter_is_not_reserved_by_any_carrier() {
        assert!(!SOFTBANK_RESERVED.contains(&SESSION_PARAM));
    }

    #[test]
    fn parameters_are_appended_before_the_fragment() {
        let p = LinkParams { session: Some("tok".into()), guid_on: true };
        assert_eq!(p.apply("/home"), "/home?guid=ON&ksid=tok");
        assert_eq!(p.apply("/diary/3?p=2#c5"), "/diary/3?p=2&guid=ON&ksid=tok#c5");
        assert_eq!(p.apply("/x?guid=ON"), "/x?guid=ON&ksid=tok");
        assert_eq!(LinkParams::default().apply("/home"), "/home");
        let cookie_only = LinkParams { session: None, guid_on: false };
        assert_eq!(cookie_only.apply("/a?b=c"), "/a?b=c");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode_query_value("あ b&c"), "%E3%81%82%20b%26c");
    }
}

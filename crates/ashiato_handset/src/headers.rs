//! Header input: the [`HeaderLookup`] trait the detector reads from, and an owned [`HeaderList`].

use crate::bytes::trim;

/// Read access to a request's headers.
///
/// Implement it for the web framework's header map (the web crate) or use [`HeaderList`].
/// Values are raw bytes: keitai headers may carry Shift_JIS or garbage, and the detector never
/// assumes UTF-8.
pub trait HeaderLookup {
    /// The value of the header whose lower-cased name is `lowercase_name` (e.g.
    /// `"user-agent"`), or `None`. When a header occurs more than once, return the values joined
    /// with `", "` in arrival order (RFC 9110 §5.3), or at least the **last** occurrence:
    /// `X-Forwarded-For` is read from the right.
    fn header(&self, lowercase_name: &str) -> Option<&[u8]>;
}

impl<T: HeaderLookup + ?Sized> HeaderLookup for &T {
    fn header(&self, lowercase_name: &str) -> Option<&[u8]> {
        (**self).header(lowercase_name)
    }
}

/// Error from [`HeaderList::parse`] and [`HeaderList::parse_line`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderParseError {
    /// A line has no `:` separating name and value.
    #[error("line {line}: expected `Name: value`")]
    MissingColon {
        /// 1-based line number.
        line: usize,
    },
    /// The header name is empty or has characters outside the RFC 9110 token set.
    #[error("line {line}: invalid header name")]
    InvalidName {
        /// 1-based line number.
        line: usize,
    },
}

/// An owned list of headers with lower-cased names; repeated names are joined with `", "`.
///
/// Built from a `Name: value` block (one header per line, as the CLI reads from stdin or from
/// repeated `-H` flags) or pushed one by one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderList {
    entries: Vec<(String, Vec<u8>)>,
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl HeaderList {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header. The name is lower-cased; the value is trimmed of surrounding spaces and
    /// tabs and appended with `", "` to an earlier header of the same name.
    pub fn push(&mut self, name: &str, value: impl AsRef<[u8]>) {
        let name = name.trim().to_ascii_lowercase();
        let value = trim(value.as_ref());
        if let Some((_, v)) = self.entries.iter_mut().find(|(n, _)| *n == name) {
            v.extend_from_slice(b", ");
            v.extend_from_slice(value);
        } else {
            self.entries.push((name, value.to_vec()));
        }
    }

    /// Parses one `Name: value` line (as given to the CLI's `-H`) and adds it.
    ///
    /// # Errors
    /// [`HeaderParseError`] when the line has no colon or the name is not a token.
    pub fn parse_line(&mut self, line: &[u8]) -> Result<(), HeaderParseError> {
        self.parse_numbered_line(line, 1)
    }

    fn parse_numbered_line(&mut self, line: &[u8], n: usize) -> Result<(), HeaderParseError> {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(HeaderParseError::MissingColon { line: n })?;
        let name = trim(&line[..colon]);
        if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
            return Err(HeaderParseError::InvalidName { line: n });
        }
        // Token bytes are ASCII, so this is valid UTF-8.
        let name =
            std::str::from_utf8(name).map_err(|_| HeaderParseError::InvalidName { line: n })?;
        self.push(name, &line[colon + 1..]);
        Ok(())
    }

    /// Parses a header block: one `Name: value` per line (`\n` or `\r\n`), blank lines ignored,
    /// lines starting with a space or tab continue the previous value (obsolete line folding).
    /// A leading HTTP request line (`GET / HTTP/1.1`) is skipped.
    ///
    /// # Errors
    /// [`HeaderParseError`] naming the first bad line.
    pub fn parse(block: &[u8]) -> Result<Self, HeaderParseError> {
        let mut list = Self::new();
        let mut last: Option<usize> = None;
        for (i, raw) in block.split(|&b| b == b'\n').enumerate() {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if trim(line).is_empty() {
                continue;
            }
            if matches!(line.first(), Some(b' ' | b'\t'))
                && let Some(idx) = last
            {
                let v = &mut list.entries[idx].1;
                v.push(b' ');
                v.extend_from_slice(trim(line));
                continue;
            }
            if i == 0 && !line.contains(&b':') && crate::bytes::contains(line, b" HTTP/") {
                continue;
            }
            list.parse_numbered_line(line, i + 1)?;
            let name_end = line.iter().position(|&b| b == b':').unwrap_or(0);
            let name = String::from_utf8_lossy(trim(&line[..name_end])).to_ascii_lowercase();
            last = list.entries.iter().position(|(n, _)| *n == name);
        }
        Ok(list)
    }

    /// Number of distinct header names.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The headers as (lower-cased name, value) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }
}

impl HeaderLookup for HeaderList {
    fn header(&self, lowercase_name: &str) -> Option<&[u8]> {
        self.entries.iter().find(|(n, _)| n == lowercase_name).map(|(_, v)| v.as_slice())
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> FromIterator<(N, V)> for HeaderList {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        let mut list = Self::new();
        for (n, v) in iter {
            list.push(n.as_ref(), v);
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_block() {
        let list = HeaderList::parse(
            b"GET / HTTP/1.1\r\nUser-Agent: DoCoMo/2.0 N905i(c100;TB;W24H16)\r\nX-DCMGUID:  abc1234 \r\n\r\nX-Forwarded-For: 1.2.3.4\nx-forwarded-for: 5.6.7.8\n",
        )
        .expect("valid block");
        assert_eq!(list.header("x-dcmguid"), Some(&b"abc1234"[..]));
        assert_eq!(list.header("x-forwarded-for"), Some(&b"1.2.3.4, 5.6.7.8"[..]));
        assert_eq!(list.header("user-agent"), Some(&b"DoCoMo/2.0 N905i(c100;TB;W24H16)"[..]));
        assert_eq!(list.len(), 3);
    }

    #[test]
    fn errors_and_folding() {
        assert_eq!(HeaderList::parse(b"nonsense"), Err(HeaderParseError::MissingColon { line: 1 }));
        assert_eq!(
            HeaderList::parse(b"Bad Name: x"),
            Err(HeaderParseError::InvalidName { line: 1 })
        );
        let list = HeaderList::parse(b"X-A: one\n two\n").expect("folded");
        assert_eq!(list.header("x-a"), Some(&b"one two"[..]));
        let list = HeaderList::parse(b"X-Sjis: \x83\x5c\xff\n").expect("raw bytes");
        assert_eq!(list.header("x-sjis"), Some(&b"\x83\x5c\xff"[..]));
    }
}

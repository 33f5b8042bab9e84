//! A small fixed-capacity string, so a detection allocates nothing for models and device ids.

use std::fmt;

/// An ASCII string of at most `N` bytes stored inline.
///
/// Built from untrusted header bytes: bytes outside printable ASCII become `?` and input longer
/// than `N` is cut, so construction never fails or panics.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InlineStr<const N: usize> {
    len: u8,
    buf: [u8; N],
}

impl<const N: usize> InlineStr<N> {
    /// The empty string.
    pub const EMPTY: Self = Self { len: 0, buf: [0; N] };

    /// Copies `bytes`, replacing anything but printable ASCII (0x20..=0x7E) with `?` and keeping
    /// at most `N` bytes (and at most 255).
    #[must_use]
    pub fn from_bytes_lossy(bytes: &[u8]) -> Self {
        let mut out = Self::EMPTY;
        let n = bytes.len().min(N).min(u8::MAX as usize);
        for (dst, &b) in out.buf.iter_mut().zip(&bytes[..n]) {
            *dst = if (0x20..=0x7E).contains(&b) { b } else { b'?' };
        }
        out.len = n as u8;
        out
    }

    /// Copies a `str` the same way as [`InlineStr::from_bytes_lossy`] (non-ASCII becomes `?`).
    #[must_use]
    pub fn from_str_lossy(s: &str) -> Self {
        Self::from_bytes_lossy(s.as_bytes())
    }

    /// The stored text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only printable ASCII is ever stored, so this cannot fail; fall back to "" regardless.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the string is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<const N: usize> fmt::Debug for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> serde::Serialize for InlineStr<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<const N: usize> PartialEq<str> for InlineStr<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for InlineStr<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::InlineStr;

    #[test]
    fn lossy_and_truncating() {
        let s = InlineStr::<4>::from_bytes_lossy(b"ab\xffcdef");
        assert_eq!(s.as_str(), "ab?c");
        assert_eq!(InlineStr::<8>::from_str_lossy("SH905i").as_str(), "SH905i");
        assert!(InlineStr::<8>::EMPTY.is_empty());
    }
}

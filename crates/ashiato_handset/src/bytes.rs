//! Byte-level helpers for header parsing: no allocation, no panics on any input.

/// Trims optional whitespace (space, tab) from both ends (RFC 9110 OWS).
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ' && c != b'\t').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ' && c != b'\t').map_or(start, |i| i + 1);
    b.get(start..end).unwrap_or(&[])
}

/// A header value, trimmed, or `None` when absent or empty ("an empty header means absent",
/// keitai.md §4 after HMA `t/12_guid.t`).
pub(crate) fn non_empty(v: Option<&[u8]>) -> Option<&[u8]> {
    v.map(trim).filter(|v| !v.is_empty())
}

/// ASCII case-insensitive prefix test.
pub(crate) fn starts_with_ci(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Position of `needle` in `hay` (case-sensitive).
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    if hay.len() < needle.len() {
        return None;
    }
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        if hay[i] == first && hay[i + 1..i + needle.len()] == *rest {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Whether `hay` contains `needle`.
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

/// Parses a run of ASCII digits into a `u32` (saturating). `None` unless `b` is 1..=9 digits
/// long and all digits.
pub(crate) fn parse_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0')))
}

/// Leading ASCII digits of `b` parsed as `u32`, with the rest; `None` without a leading digit.
pub(crate) fn leading_u32(b: &[u8]) -> Option<(u32, &[u8])> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let v = b[..n]
        .iter()
        .fold(0u32, |acc, &d| acc.saturating_mul(10).saturating_add(u32::from(d - b'0')));
    Some((v, &b[n..]))
}

/// Splits at the first occurrence of `sep`.
pub(crate) fn split_once(b: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    match b.iter().position(|&c| c == sep) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    }
}

/// Takes bytes up to (not including) the first byte matching `stop`.
pub(crate) fn take_until(b: &[u8], stop: impl Fn(u8) -> bool) -> &[u8] {
    let n = b.iter().position(|&c| stop(c)).unwrap_or(b.len());
    &b[..n]
}

/// Parses `"<w><sep><h>"` such as `240*320` or `90,70` into two numbers.
pub(crate) fn parse_pair(b: &[u8], sep: u8) -> Option<(u32, u32)> {
    let (a, rest) = split_once(trim(b), sep);
    let w = parse_u32(trim(a))?;
    let h = parse_u32(take_until(trim(rest?), |c| !c.is_ascii_digit()))?;
    Some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(trim(b"  a b \t"), b"a b");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(non_empty(Some(b"  ")), None);
        assert_eq!(find(b"abcabd", b"abd"), Some(3));
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(find(b"", b""), None);
        assert_eq!(parse_u32(b"0100"), Some(100));
        assert_eq!(parse_u32(b"99999999999"), None);
        assert_eq!(leading_u32(b"500;TB"), Some((500, &b";TB"[..])));
        assert_eq!(parse_pair(b"240*320", b'*'), Some((240, 320)));
        assert_eq!(parse_pair(b"90,70", b','), Some((90, 70)));
        assert_eq!(parse_pair(b"90", b','), None);
        assert!(starts_with_ci(b"j-phone/3.0", b"J-PHONE/"));
    }
}

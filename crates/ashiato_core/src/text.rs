//! Cleaning the text people type before it is stored.
//!
//! Keitai input arrives decoded from Shift_JIS or UTF-8 by the charset layer; what reaches this
//! module is Unicode. Here we only decide what may be stored: line breaks normalised, NUL and
//! other control characters refused, lengths counted in characters (an emoji is one character,
//! not two or four: length checks that counted bytes cut people's posts in the past).

use crate::error::Problem;

/// Removes session tokens (`ksid=…` query parameters) from URLs in text a member wrote: a
/// member who pastes a link copied from their own keitai address bar must not publish their
/// session (OpenPNE 2 bug #4367). Nothing else in the text changes.
pub fn scrub_session_tokens(input: &str) -> std::borrow::Cow<'_, str> {
    const PARAM: &str = "ksid=";
    if !input.contains(PARAM) {
        return std::borrow::Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = rest.find(PARAM) {
        let before = &rest[..at];
        let separator = before.chars().next_back();
        if matches!(separator, Some('?' | '&')) {
            // Drop the parameter and, for `&ksid=`, its separator; keep `?` if more follows.
            let value_len = rest[at + PARAM.len()..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '%'))
                .unwrap_or(rest.len() - at - PARAM.len());
            let after = &rest[at + PARAM.len() + value_len..];
            if separator == Some('&') {
                out.push_str(&before[..before.len() - 1]);
                rest = after;
            } else if let Some(stripped) = after.strip_prefix('&') {
                out.push_str(before);
                rest = stripped;
            } else {
                out.push_str(&before[..before.len() - 1]);
                rest = after;
            }
        } else {
            out.push_str(&rest[..at + PARAM.len()]);
            rest = &rest[at + PARAM.len()..];
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Normalises line breaks to `\n`, trims surrounding white space and refuses control
/// characters other than tab and newline. `max_chars` counts Unicode scalar values. Session
/// tokens in pasted links are removed ([`scrub_session_tokens`]).
pub fn clean_multiline(input: &str, max_chars: usize) -> Result<String, Problem> {
    let input = scrub_session_tokens(input);
    let normalised = input.replace("\r\n", "\n").replace('\r', "\n");
    let trimmed = normalised.trim();
    check(trimmed, max_chars, true)?;
    Ok(trimmed.to_owned())
}

/// Like [`clean_multiline`] for one-line values (titles, names): any line break is refused.
pub fn clean_line(input: &str, max_chars: usize) -> Result<String, Problem> {
    let input = scrub_session_tokens(input);
    let trimmed = input.trim();
    check(trimmed, max_chars, false)?;
    Ok(trimmed.to_owned())
}

/// Like [`clean_line`] but an empty value is allowed (optional profile fields).
pub fn clean_optional_line(input: &str, max_chars: usize) -> Result<String, Problem> {
    match clean_line(input, max_chars) {
        Err(Problem::Empty) => Ok(String::new()),
        other => other,
    }
}

/// Like [`clean_multiline`] but an empty value is allowed.
pub fn clean_optional_multiline(input: &str, max_chars: usize) -> Result<String, Problem> {
    match clean_multiline(input, max_chars) {
        Err(Problem::Empty) => Ok(String::new()),
        other => other,
    }
}

fn check(text: &str, max_chars: usize, multiline: bool) -> Result<(), Problem> {
    if text.is_empty() {
        return Err(Problem::Empty);
    }
    let mut count = 0usize;
    for c in text.chars() {
        count += 1;
        let allowed_control = c == '\t' || (multiline && c == '\n');
        if (c.is_control() && !allowed_control) || is_noncharacter(c) {
            return Err(Problem::BadText);
        }
    }
    if count > max_chars {
        return Err(Problem::TooLong(max_chars));
    }
    Ok(())
}

fn is_noncharacter(c: char) -> bool {
    let v = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&v) || (v & 0xFFFE) == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        // Ten emoji are ten characters (40 UTF-8 bytes).
        let ten = "☀".repeat(10);
        assert_eq!(clean_line(&ten, 10).as_deref(), Ok(ten.as_str()));
        assert_eq!(clean_line(&format!("{ten}x"), 10), Err(Problem::TooLong(10)));
    }

    #[test]
    fn refuses_nul_and_line_breaks_in_lines() {
        assert_eq!(clean_line("a\0b", 10), Err(Problem::BadText));
        assert_eq!(clean_line("a\nb", 10), Err(Problem::BadText));
        assert_eq!(clean_line("   ", 10), Err(Problem::Empty));
        assert_eq!(clean_optional_line("  ", 10).as_deref(), Ok(""));
    }

    #[test]
    fn session_tokens_are_scrubbed_from_pasted_links() {
        let cases = [
            (
                "見て http://sns.example.jp/diary/3?ksid=AbC-12_x",
                "見て http://sns.example.jp/diary/3",
            ),
            ("/diary/3?guid=ON&ksid=tok&p=2#c", "/diary/3?guid=ON&p=2#c"),
            ("/diary/3?ksid=tok&p=2 と /m/1?p=1&ksid=t2", "/diary/3?p=2 と /m/1?p=1"),
            ("ksid=this is not a URL parameter", "ksid=this is not a URL parameter"),
            ("no tokens here", "no tokens here"),
        ];
        for (input, expected) in cases {
            assert_eq!(scrub_session_tokens(input), expected, "{input}");
        }
        assert_eq!(clean_multiline("/home?ksid=abc\n", 100).as_deref(), Ok("/home"));
    }

    #[test]
    fn normalises_line_breaks_in_bodies() {
        assert_eq!(clean_multiline(" 今日は\r\n晴れ\r☀ ", 100).as_deref(), Ok("今日は\n晴れ\n☀"));
        assert_eq!(clean_multiline("a\u{7}b", 100), Err(Problem::BadText));
        assert_eq!(clean_multiline("a\u{FFFF}", 100), Err(Problem::BadText));
    }
}

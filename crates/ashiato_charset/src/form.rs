//! `application/x-www-form-urlencoded` bodies and query strings in Shift_JIS or UTF-8:
//! percent-decoding → charset decoding → emoji normalisation → serde.
//!
//! The web crate's `SjisForm<T>` / query extractors call [`parse_form`] with the raw body or
//! query bytes, the form's known charset and the handset's carrier.

use percent_encoding::{NON_ALPHANUMERIC, percent_decode, utf8_percent_encode};
use serde::de::DeserializeOwned;

use crate::{Carrier, InputCharset, decode_form_bytes};

/// Why a form could not be turned into the requested type.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// A field was missing or could not be parsed into its type.
    #[error("invalid form data: {0}")]
    Deserialize(#[from] serde_urlencoded::de::Error),
}

fn decode_component(raw: &[u8], charset: InputCharset, carrier: Carrier) -> String {
    let plus_as_space: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    let bytes: Vec<u8> = percent_decode(&plus_as_space).collect();
    decode_form_bytes(&bytes, charset, carrier)
}

/// Splits and decodes a form body or query string (without the leading `?`) into
/// name/value pairs, in order, duplicates kept. Separators are `&`; a pair without `=` has
/// an empty value; empty pairs are skipped. `+` is a space. Names and values are decoded
/// with [`decode_form_bytes`], so carrier emoji arrive as Unicode and malformed bytes as
/// U+FFFD.
pub fn parse_pairs(raw: &[u8], charset: InputCharset, carrier: Carrier) -> Vec<(String, String)> {
    raw.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &pair[..0]),
            };
            (decode_component(name, charset, carrier), decode_component(value, charset, carrier))
        })
        .collect()
}

/// Decodes a form body or query string like [`parse_pairs`] and deserialises it with
/// `serde_urlencoded` semantics (numbers and booleans parsed from text, `Option` for
/// optional fields, unknown fields ignored unless the type denies them).
pub fn parse_form<T: DeserializeOwned>(
    raw_body_or_query: &[u8],
    charset: InputCharset,
    carrier: Carrier,
) -> Result<T, FormError> {
    form_from_pairs(&parse_pairs(raw_body_or_query, charset, carrier))
}

/// Deserialises pairs already decoded by [`parse_pairs`] like [`parse_form`] does, for a
/// caller that also reads a field of its own from them (the per-form token) without
/// decoding the body twice.
pub fn form_from_pairs<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, FormError> {
    let mut utf8 = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            utf8.push('&');
        }
        utf8.extend(utf8_percent_encode(name, NON_ALPHANUMERIC));
        utf8.push('=');
        utf8.extend(utf8_percent_encode(value, NON_ALPHANUMERIC));
    }
    Ok(serde_urlencoded::from_str(&utf8)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Diary {
        title: String,
        body: String,
        scope: u8,
        draft: Option<bool>,
    }

    #[test]
    fn shift_jis_form_with_docomo_emoji() {
        // title=晴れ☀ body="ソ表" + a lone lead byte before a quote, scope=2
        let raw = b"title=%90%B0%82%EA%F8%9F&body=%83%5C%95%5C%82%22&scope=2";
        let d: Diary = parse_form(raw, InputCharset::ShiftJis, Carrier::Docomo).expect("form");
        assert_eq!(
            d,
            Diary {
                title: "晴れ☀".into(), body: "ソ表\u{FFFD}\"".into(), scope: 2, draft: None
            }
        );
    }

    #[test]
    fn utf8_query_with_softbank_pua_and_plus() {
        let raw = "q=a+b%EE%81%8A&x".as_bytes();
        let pairs = parse_pairs(raw, InputCharset::Utf8, Carrier::Softbank);
        assert_eq!(pairs, vec![("q".into(), "a b☀".into()), ("x".into(), String::new())]);
    }

    #[test]
    fn type_errors_are_reported() {
        let r: Result<Diary, _> =
            parse_form(b"title=a&body=b&scope=x", InputCharset::Utf8, Carrier::Other);
        assert!(r.is_err());
    }
}

//! CP932 details: the JIS X 0208 / CP932 normalisation pairs and the extension-row policy.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The JIS X 0208 form → CP932 form pairs, with the CP932 Shift_JIS code.
/// encoding_rs (WHATWG) cannot encode the left column except U+2212 and U+203E, which it
/// maps to 0x817C and 0x7E; U+203E is the one that would change meaning, so it is caught first.
pub(crate) const NORMALISE: [(char, char, [u8; 2]); 8] = [
    ('\u{301C}', '\u{FF5E}', [0x81, 0x60]), // WAVE DASH → FULLWIDTH TILDE
    ('\u{2016}', '\u{2225}', [0x81, 0x61]), // DOUBLE VERTICAL LINE → PARALLEL TO
    ('\u{2212}', '\u{FF0D}', [0x81, 0x7C]), // MINUS SIGN → FULLWIDTH HYPHEN-MINUS
    ('\u{00A2}', '\u{FFE0}', [0x81, 0x91]), // CENT SIGN
    ('\u{00A3}', '\u{FFE1}', [0x81, 0x92]), // POUND SIGN
    ('\u{00AC}', '\u{FFE2}', [0x81, 0xCA]), // NOT SIGN
    ('\u{2014}', '\u{2015}', [0x81, 0x5C]), // EM DASH → HORIZONTAL BAR
    ('\u{203E}', '\u{FFE3}', [0x81, 0x50]), // OVERLINE → FULLWIDTH MACRON
];

/// The CP932 bytes of a JIS X 0208-form character that has a CP932 counterpart.
pub(crate) fn normalised_bytes(c: char) -> Option<[u8; 2]> {
    NORMALISE.iter().find(|(from, _, _)| *from == c).map(|(_, _, b)| *b)
}

/// Replaces the JIS X 0208 forms by their CP932 counterparts (U+301C→U+FF5E, U+2016→U+2225,
/// U+2212→U+FF0D, U+00A2/A3/AC→U+FFE0/FFE1/FFE2, U+2014→U+2015, U+203E→U+FFE3), so that text
/// compares equal to what a Shift_JIS round trip gives back. The encoders apply this
/// themselves; use it when comparing or storing text that must match Shift_JIS input.
pub fn normalize_for_sjis(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| NORMALISE.iter().any(|(from, _, _)| *from == c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| NORMALISE.iter().find(|(f, _, _)| *f == c).map_or(c, |(_, to, _)| *to))
            .collect(),
    )
}

/// Whether a Shift_JIS lead byte belongs to an extension row: 0x87 (row 13), 0xED–0xEE
/// (rows 89–92), 0xFA–0xFC (rows 115–119).
pub(crate) fn is_extension_lead(lead: u8) -> bool {
    matches!(lead, 0x87 | 0xED | 0xEE | 0xFA..=0xFC)
}

/// Substitutes for row 13 (NEC special characters) and the small Roman numerals of the IBM
/// rows, used with `ExtensionRows::Avoid`. Every substitute is ASCII or JIS X 0208.
pub(crate) fn extension_substitute(c: char) -> Option<&'static str> {
    const CIRCLED: [&str; 20] = [
        "(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)", "(11)", "(12)",
        "(13)", "(14)", "(15)", "(16)", "(17)", "(18)", "(19)", "(20)",
    ];
    const ROMAN: [&str; 10] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"];
    const SMALL_ROMAN: [&str; 10] = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"];
    let u = c as u32;
    Some(match c {
        '\u{2460}'..='\u{2473}' => CIRCLED[(u - 0x2460) as usize],
        '\u{2160}'..='\u{2169}' => ROMAN[(u - 0x2160) as usize],
        '\u{2170}'..='\u{2179}' => SMALL_ROMAN[(u - 0x2170) as usize],
        '\u{3349}' => "ミリ",
        '\u{3314}' => "キロ",
        '\u{3322}' => "センチ",
        '\u{334D}' => "メートル",
        '\u{3318}' => "グラム",
        '\u{3327}' => "トン",
        '\u{3303}' => "アール",
        '\u{3336}' => "ヘクタール",
        '\u{3351}' => "リットル",
        '\u{3357}' => "ワット",
        '\u{330D}' => "カロリー",
        '\u{3326}' => "ドル",
        '\u{3323}' => "セント",
        '\u{332B}' => "パーセント",
        '\u{334A}' => "ミリバール",
        '\u{333B}' => "ページ",
        '\u{339C}' => "mm",
        '\u{339D}' => "cm",
        '\u{339E}' => "km",
        '\u{338E}' => "mg",
        '\u{338F}' => "kg",
        '\u{33C4}' => "cc",
        '\u{33A1}' => "m2",
        '\u{337B}' => "平成",
        '\u{337C}' => "昭和",
        '\u{337D}' => "大正",
        '\u{337E}' => "明治",
        '\u{301D}' => "\u{201C}",
        '\u{301F}' => "\u{201D}",
        '\u{2116}' => "No.",
        '\u{33CD}' => "K.K.",
        '\u{2121}' => "TEL",
        '\u{32A4}' => "(上)",
        '\u{32A5}' => "(中)",
        '\u{32A6}' => "(下)",
        '\u{32A7}' => "(左)",
        '\u{32A8}' => "(右)",
        '\u{3231}' => "(株)",
        '\u{3232}' => "(有)",
        '\u{3239}' => "(代)",
        '\u{2211}' => "\u{03A3}",
        '\u{222E}' => "\u{222B}",
        '\u{221F}' => "\u{2220}",
        '\u{22BF}' => "\u{25B3}",
        '\u{FFE4}' => "\u{FF5C}",
        '\u{FF07}' => "'",
        '\u{FF02}' => "\"",
        _ => return None,
    })
}

/// For ISO-2022-JP: the NEC-selected IBM code (lead ED/EE, JIS rows 89–92) of every
/// character whose preferred CP932 code is in the IBM rows (FA–FC), which ISO-2022-JP cannot
/// express. Built once by decoding the NEC-selected rows.
pub(crate) static NEC_SELECTED: LazyLock<HashMap<char, [u8; 2]>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for lead in [0xEDu8, 0xEE] {
        for trail in (0x40u8..=0xFC).filter(|&t| t != 0x7F) {
            let bytes = [lead, trail];
            let (s, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes);
            if !had_errors && let Some(c) = s.chars().next() {
                map.entry(c).or_insert(bytes);
            }
        }
    }
    map
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_are_plain_jis() {
        for u in 0x2000u32..0x3400 {
            let Some(c) = char::from_u32(u) else { continue };
            if let Some(sub) = extension_substitute(c) {
                let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(sub);
                assert!(!unmappable, "{sub}");
                assert!(!bytes.iter().any(|&b| is_extension_lead(b)), "{sub}");
            }
        }
    }

    #[test]
    fn every_ibm_row_character_has_a_nec_selected_or_standard_code() {
        for lead in [0xFAu8, 0xFB, 0xFC] {
            for trail in (0x40u8..=0xFC).filter(|&t| t != 0x7F) {
                let pair = [lead, trail];
                let (s, err) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&pair);
                if err {
                    continue;
                }
                let c = s.chars().next().unwrap_or('\0');
                let (enc, _, _) = encoding_rs::SHIFT_JIS.encode(&s);
                let standard = enc.first().is_some_and(|&l| l < 0xED);
                assert!(
                    standard || NEC_SELECTED.contains_key(&c) || extension_substitute(c).is_some(),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
    }
}

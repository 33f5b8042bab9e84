//! Full-width ↔ half-width katakana (JIS X 0201 kana, U+FF61–U+FF9F).
//!
//! Half-width katakana take one Shift_JIS byte instead of two, which old handsets with 5–10 KB
//! page limits need. Voiced kana become two half-width characters (ガ → ｶﾞ). ヮ ヰ ヱ ヵ ヶ and
//! hiragana have no half-width form and stay as they are.

use std::borrow::Cow;

/// U+FF61..=U+FF9F in order.
const HALF: &str = "｡｢｣､･ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝﾞﾟ";
/// The full-width counterpart of each character of `HALF`.
const FULL: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";
const VOICED: &str = "ガギグゲゴザジズゼゾダヂヅデドバビブベボヴ";
const VOICED_BASE: &str = "カキクケコサシスセソタチツテトハヒフヘホウ";
const SEMI: &str = "パピプペポ";
const SEMI_BASE: &str = "ハヒフヘホ";

fn nth_pos(set: &str, c: char) -> Option<usize> {
    set.chars().position(|x| x == c)
}

fn nth(set: &str, i: usize) -> Option<char> {
    set.chars().nth(i)
}

fn half_of(c: char) -> Option<char> {
    nth_pos(FULL, c).and_then(|i| nth(HALF, i))
}

fn is_convertible_full(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FC}' | '。' | '「' | '」' | '、' | '゛' | '゜')
}

/// Converts full-width katakana (and 。「」、・ー゛゜) to half-width. Borrows when nothing changes.
pub fn to_halfwidth_katakana(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_convertible_full) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !is_convertible_full(c) {
            out.push(c);
        } else if let Some(h) = half_of(c) {
            out.push(h);
        } else if let Some(base) = nth_pos(VOICED, c).and_then(|i| nth(VOICED_BASE, i)) {
            out.push(half_of(base).unwrap_or(base));
            out.push('ﾞ');
        } else if let Some(base) = nth_pos(SEMI, c).and_then(|i| nth(SEMI_BASE, i)) {
            out.push(half_of(base).unwrap_or(base));
            out.push('ﾟ');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Converts half-width katakana to full-width, joining a kana with a following ﾞ or ﾟ
/// (ｶﾞ → ガ). Borrows when nothing changes.
pub fn to_fullwidth_katakana(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| ('\u{FF61}'..='\u{FF9F}').contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let Some(full) = nth_pos(HALF, c).and_then(|i| nth(FULL, i)) else {
            out.push(c);
            continue;
        };
        let combined = match chars.peek() {
            Some('ﾞ') => nth_pos(VOICED_BASE, full).and_then(|i| nth(VOICED, i)),
            Some('ﾟ') => nth_pos(SEMI_BASE, full).and_then(|i| nth(SEMI, i)),
            _ => None,
        };
        if let Some(v) = combined {
            chars.next();
            out.push(v);
        } else {
            out.push(full);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up() {
        assert_eq!(HALF.chars().count(), 63);
        assert_eq!(FULL.chars().count(), 63);
        for (i, h) in HALF.chars().enumerate() {
            assert_eq!(h as u32, 0xFF61 + i as u32);
        }
        assert_eq!(VOICED.chars().count(), VOICED_BASE.chars().count());
    }

    #[test]
    fn converts_both_ways() {
        let full = "アイウエオ、ガギグ・パピプ「ヴァー」。ヶヰ、ひらがな";
        let half = to_halfwidth_katakana(full);
        assert_eq!(half, "ｱｲｳｴｵ､ｶﾞｷﾞｸﾞ･ﾊﾟﾋﾟﾌﾟ｢ｳﾞｧｰ｣｡ヶヰ､ひらがな");
        assert_eq!(to_fullwidth_katakana(&half), full);
        assert!(matches!(to_halfwidth_katakana("abc漢字"), Cow::Borrowed(_)));
    }
}

//! The interface catalogs: every string the interface shows, one file per language.
//!
//! `i18n/ja.toml` and `i18n/en.toml` are compiled into the binary and read once. Keys are
//! dotted (`home.friends`); values may hold `{name}` placeholders. Japanese is the default:
//! these are Japanese phones, and keitai wording is short because bytes cost the reader money.
//! Tests check both catalogs have the same keys and that every key the code uses exists.

use std::collections::HashMap;
use std::sync::LazyLock;

/// An interface language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Japanese (default).
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag (`ja`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// Parses a stored setting; unknown values fall back to Japanese.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.eq_ignore_ascii_case("en") { Lang::En } else { Lang::Ja }
    }

    /// Picks a language from an `Accept-Language` header: English when English is preferred
    /// over Japanese, Japanese otherwise.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("en") => Lang::En,
                Some("ja") => Lang::Ja,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Ja, |(_, l)| l)
    }
}

/// One language's strings.
#[derive(Debug)]
pub struct Catalog {
    lang: Lang,
    strings: HashMap<String, String>,
}

static JA: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::parse(Lang::Ja, include_str!("../i18n/ja.toml")));
static EN: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::parse(Lang::En, include_str!("../i18n/en.toml")));

impl Catalog {
    /// The catalog for a language.
    pub fn get(lang: Lang) -> &'static Catalog {
        match lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }

    fn parse(lang: Lang, source: &str) -> Catalog {
        // The catalogs are part of the source tree and tested; a broken one is a build defect,
        // so an empty catalog (every lookup shows its key) is the visible failure mode.
        let table: toml::Table = source.parse().unwrap_or_default();
        let mut strings = HashMap::new();
        flatten("", &table, &mut strings);
        Catalog { lang, strings }
    }

    /// The catalog's language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The string for `key`; the key itself when missing (tests make sure none is).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.strings.get(key).map_or(key, String::as_str)
    }

    /// The string for `key` with `{name}` placeholders replaced.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.t(key).to_owned();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// All keys (for tests).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.strings.keys().map(String::as_str)
    }
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_catalogs_have_the_same_keys() {
        let ja: BTreeSet<&str> = Catalog::get(Lang::Ja).keys().collect();
        let en: BTreeSet<&str> = Catalog::get(Lang::En).keys().collect();
        assert!(ja.len() > 20, "ja catalog did not parse: {} keys", ja.len());
        assert_eq!(
            ja.difference(&en).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "missing in en.toml"
        );
        assert_eq!(
            en.difference(&ja).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "missing in ja.toml"
        );
    }

    #[test]
    fn placeholders_are_filled() {
        let ja = Catalog::get(Lang::Ja);
        assert_eq!(ja.f("home.friends_count", &[("n", "3")]), "マイミク(3)");
        assert_eq!(Catalog::get(Lang::En).f("home.friends_count", &[("n", "3")]), "Friends (3)");
    }

    #[test]
    fn accept_language_prefers_japanese_unless_english_ranks_higher() {
        assert_eq!(Lang::negotiate(""), Lang::Ja);
        assert_eq!(Lang::negotiate("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::negotiate("ja,en-US;q=0.8"), Lang::Ja);
        assert_eq!(Lang::negotiate("fr-FR,en;q=0.5,ja;q=0.7"), Lang::Ja);
        assert_eq!(Lang::negotiate("de, en;q=0.3"), Lang::En);
    }
}

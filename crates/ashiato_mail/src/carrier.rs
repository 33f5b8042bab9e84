//! Which carrier a mail address belongs to, from the domain list in
//! `data/carrier_domains.txt` (data with its sources, not code).

use std::sync::LazyLock;

use ashiato_charset::{Carrier, EmojiOut, MailCharset};

/// The network a mail address belongs to, as far as its domain tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MailCarrier {
    /// docomo i-mode mail (`docomo.ne.jp`).
    Docomo,
    /// au / KDDI (`ezweb.ne.jp` and legacy IDO / Tu-Ka domains).
    Au,
    /// SoftBank / Vodafone / J-PHONE keitai (`softbank.ne.jp`, `*.vodafone.ne.jp`, …).
    Softbank,
    /// SoftBank's iPhone mail (`i.softbank.jp`).
    Iphone,
    /// WILLCOM / DDI Pocket (`pdx.ne.jp`, `willcom.com`).
    Willcom,
    /// EMOBILE (`emnet.ne.jp`).
    Emobile,
    /// Any other domain: a PC or web mail address.
    Pc,
    /// A smartphone whose mail address does not show it (a carrier smartphone address or web
    /// mail the member reads on a smartphone). Never returned by [`classify_domain`]; the
    /// caller passes it when the member's settings or handset say so.
    Smartphone,
}

/// How a notification mail is encoded for a recipient (see the crate README for the reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OutboundEncoding {
    /// Body and header charset.
    pub charset: MailCharset,
    /// How emoji are written.
    pub emoji: EmojiOut,
    /// `Content-Transfer-Encoding` of the body.
    pub transfer: TransferEncoding,
}

/// `Content-Transfer-Encoding` of an outgoing body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferEncoding {
    /// 7-bit data as is (ISO-2022-JP).
    SevenBit,
    /// Base64, lines of 76 characters.
    Base64,
}

impl TransferEncoding {
    /// The header value.
    pub fn label(self) -> &'static str {
        match self {
            TransferEncoding::SevenBit => "7bit",
            TransferEncoding::Base64 => "base64",
        }
    }
}

impl MailCarrier {
    /// The carrier of a mail domain (case-insensitive, a trailing dot ignored); [`MailCarrier::Pc`]
    /// for anything not in the list.
    pub fn of_domain(domain: &str) -> MailCarrier {
        classify_domain(domain)
    }

    /// Whether the domain is a mobile carrier's (everything but `Pc` and `Smartphone`).
    pub fn is_carrier(self) -> bool {
        !matches!(self, MailCarrier::Pc | MailCarrier::Smartphone)
    }

    /// The carrier whose emoji codes mail from this address uses, for `ashiato_charset`'s
    /// decoders. WILLCOM handsets use docomo's codes; iPhones before iOS 5 sent SoftBank's
    /// private-use emoji (later ones send Unicode, which passes through any carrier setting).
    pub fn charset_carrier(self) -> Carrier {
        match self {
            MailCarrier::Docomo | MailCarrier::Willcom => Carrier::Docomo,
            MailCarrier::Au => Carrier::Au,
            MailCarrier::Softbank | MailCarrier::Iphone => Carrier::Softbank,
            MailCarrier::Emobile | MailCarrier::Pc | MailCarrier::Smartphone => Carrier::Other,
        }
    }

    /// How to encode a mail to this carrier:
    ///
    /// | carrier | charset | emoji | transfer encoding |
    /// |---|---|---|---|
    /// | PC, EMOBILE | ISO-2022-JP | text fallbacks (`[晴れ]`) | 7bit |
    /// | au | ISO-2022-JP | au mail-JIS rows 0x75–0x7B | 7bit |
    /// | docomo | Shift_JIS | docomo F89F–F9FC incl. extended | base64 |
    /// | WILLCOM | Shift_JIS | docomo basic set F89F–F9B0 | base64 |
    /// | SoftBank | UTF-8 | SoftBank private use U+E001–U+E537 | base64 |
    /// | iPhone, smartphone | UTF-8 | Unicode | base64 |
    pub fn outbound(self) -> OutboundEncoding {
        let (charset, emoji) = match self {
            MailCarrier::Pc | MailCarrier::Emobile => (MailCharset::Iso2022Jp, EmojiOut::Unicode),
            MailCarrier::Au => (MailCharset::Iso2022Jp, EmojiOut::AuSjis),
            MailCarrier::Docomo => (MailCharset::ShiftJis, EmojiOut::Docomo { extended: true }),
            MailCarrier::Willcom => (MailCharset::ShiftJis, EmojiOut::Docomo { extended: false }),
            MailCarrier::Softbank => (MailCharset::Utf8, EmojiOut::SoftbankUtf8Pua),
            MailCarrier::Iphone | MailCarrier::Smartphone => (MailCharset::Utf8, EmojiOut::Unicode),
        };
        let transfer = match charset {
            MailCharset::Iso2022Jp => TransferEncoding::SevenBit,
            MailCharset::ShiftJis | MailCharset::Utf8 => TransferEncoding::Base64,
        };
        OutboundEncoding { charset, emoji, transfer }
    }

    fn from_label(label: &str) -> Option<MailCarrier> {
        Some(match label {
            "docomo" => MailCarrier::Docomo,
            "au" => MailCarrier::Au,
            "softbank" => MailCarrier::Softbank,
            "iphone" => MailCarrier::Iphone,
            "willcom" => MailCarrier::Willcom,
            "emobile" => MailCarrier::Emobile,
            _ => return None,
        })
    }
}

/// The domain list as shipped, for inspection and tests.
pub const CARRIER_DOMAINS: &str = include_str!("../data/carrier_domains.txt");

struct Rule {
    pattern: String,
    carrier: MailCarrier,
}

/// Parses the domain list; errors name the line. The shipped list is checked by a test, so at
/// run time a bad line can only be skipped.
fn parse_rules(text: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(pattern), Some(label), None) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("line {}: expected `pattern carrier`", n + 1));
        };
        let carrier = MailCarrier::from_label(label)
            .ok_or_else(|| format!("line {}: unknown carrier {label:?}", n + 1))?;
        let body = pattern.strip_prefix("*.").unwrap_or(pattern);
        if body.is_empty()
            || !body
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.?[]".contains(&b))
        {
            return Err(format!("line {}: bad pattern {pattern:?}", n + 1));
        }
        rules.push(Rule { pattern: pattern.to_owned(), carrier });
    }
    Ok(rules)
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let mut rules = Vec::new();
    for line in CARRIER_DOMAINS.lines() {
        if let Ok(mut one) = parse_rules(line) {
            rules.append(&mut one);
        }
    }
    rules
});

/// Checks the shipped domain list; `Err` names the first bad line.
pub fn check_domain_list() -> Result<usize, String> {
    parse_rules(CARRIER_DOMAINS).map(|rules| rules.len())
}

/// Glob match of one pattern (`?`, `[abc]`, leading `*.`) against a lower-case domain.
fn matches(pattern: &str, domain: &str) -> bool {
    if let Some(rest) = pattern.strip_prefix("*.") {
        // One or more labels, then the rest.
        return domain
            .char_indices()
            .filter(|&(i, c)| c == '.' && i > 0)
            .any(|(i, _)| matches(rest, &domain[i + 1..]));
    }
    let (p, d) = (pattern.as_bytes(), domain.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < p.len() {
        let Some(&c) = d.get(j) else { return false };
        match p[i] {
            b'?' => {
                if !c.is_ascii_alphanumeric() {
                    return false;
                }
                i += 1;
            }
            b'[' => {
                let Some(end) = p[i..].iter().position(|&x| x == b']') else { return false };
                if !p[i + 1..i + end].contains(&c) {
                    return false;
                }
                i += end + 1;
            }
            x => {
                if x != c {
                    return false;
                }
                i += 1;
            }
        }
        j += 1;
    }
    j == d.len()
}

/// The carrier of a mail domain, from the shipped list; [`MailCarrier::Pc`] when none matches.
pub fn classify_domain(domain: &str) -> MailCarrier {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    RULES
        .iter()
        .find(|rule| matches(&rule.pattern, &domain))
        .map_or(MailCarrier::Pc, |rule| rule.carrier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_list_parses() {
        assert_eq!(check_domain_list(), Ok(19));
        assert!(parse_rules("docomo.ne.jp docomo extra").is_err());
        assert!(parse_rules("docomo.ne.jp nttdocomo").is_err());
    }

    #[test]
    fn classifies_keitai_domains() {
        let cases = [
            ("docomo.ne.jp", MailCarrier::Docomo),
            ("DoCoMo.ne.jp.", MailCarrier::Docomo),
            ("ezweb.ne.jp", MailCarrier::Au),
            ("hoge.ezweb.ne.jp", MailCarrier::Au),
            ("a.b.ezweb.ne.jp", MailCarrier::Au),
            ("ezb.ido.ne.jp", MailCarrier::Au),
            ("cara.tu-ka.ne.jp", MailCarrier::Au),
            ("x.sky.tkc.ne.jp", MailCarrier::Au),
            ("softbank.ne.jp", MailCarrier::Softbank),
            ("d.vodafone.ne.jp", MailCarrier::Softbank),
            ("jp-q.ne.jp", MailCarrier::Softbank),
            ("disney.ne.jp", MailCarrier::Softbank),
            ("i.softbank.jp", MailCarrier::Iphone),
            ("pdx.ne.jp", MailCarrier::Willcom),
            ("dj.pdx.ne.jp", MailCarrier::Willcom),
            ("wm.pdx.ne.jp", MailCarrier::Willcom),
            ("willcom.com", MailCarrier::Willcom),
            ("emnet.ne.jp", MailCarrier::Emobile),
        ];
        for (domain, carrier) in cases {
            assert_eq!(classify_domain(domain), carrier, "{domain}");
        }
        for pc in [
            "example.com",
            "ezweb.ne.jp.example.com",
            "xdocomo.ne.jp",
            "a.vodafone.ne.jp",
            "jp-dd.ne.jp",
            "vodafone.ne.jp",
            ".ezweb.ne.jp",
            "ez.ido.ne.jp",
            "gmail.com",
            "",
        ] {
            assert_eq!(classify_domain(pc), MailCarrier::Pc, "{pc}");
        }
    }

    #[test]
    fn carrier_domains_only_for_carriers() {
        assert!(MailCarrier::Docomo.is_carrier());
        assert!(MailCarrier::Iphone.is_carrier());
        assert!(!MailCarrier::Pc.is_carrier());
        assert!(!MailCarrier::Smartphone.is_carrier());
    }
}

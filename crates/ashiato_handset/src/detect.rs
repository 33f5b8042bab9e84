//! The detector: request headers and peer address → [`Handset`].
//!
//! Hand-written byte parsing, no regular expressions and no heap allocation on the detection
//! path (tables are parsed once on first use). Never panics on any input.

use std::net::IpAddr;

use crate::bytes::{
    contains, find, leading_u32, non_empty, parse_pair, parse_u32, split_once, starts_with_ci,
    take_until, trim,
};
use crate::gateways::{GatewayMatch, Trust};
use crate::headers::HeaderLookup;
use crate::inline::InlineStr;
use crate::ip::client_ip;
use crate::profile::{
    Browser, Carrier, Charset, DisplayChars, Doctype, EmojiScheme, Generation, Handset,
    ImageFormats, Markup, Model, Screen, ScreenSource,
};
use crate::subscriber::{IdKind, IdRejection, SubscriberId};
use crate::tables::{self, Device};

const KB: u32 = 1024;
/// Budget for smartphones and PCs: "large" (brief); 1 MiB.
const LARGE_BUDGET: u32 = 1024 * 1024;
/// Keitai without a documented page limit (WILLCOM without `C<nn>`, EMOBILE): the smallest
/// cache seen in WILLCOM UAs (HMA `t/07_airh.t`: `c50`).
const UNDOCUMENTED_KEITAI_BUDGET: u32 = 50 * KB;

/// Facts about the connection that are not headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Connection {
    /// The TCP peer address (the reverse proxy's, when behind one).
    pub peer: Option<IpAddr>,
    /// Whether the client reached us over HTTPS (as seen by the client: set it from the trusted
    /// proxy's scheme header when TLS ends there). docomo never sends the i-mode ID over SSL,
    /// and jpm treats au over HTTPS as cookie-less (keitai.md §4, §5).
    pub https: bool,
}

/// Detects the handset profile of a plain-HTTP request.
///
/// `peer` is the TCP peer; forwarded headers are believed only when it is one of
/// `trust.proxies` (see [`crate::client_ip`]). Subscriber IDs are trusted only when the resolved
/// client address lies in the ID's carrier **browser** gateway range (keitai.md §4, §14).
#[must_use]
pub fn detect(headers: &impl HeaderLookup, peer: Option<IpAddr>, trust: &Trust) -> Handset {
    detect_connection(headers, Connection { peer, https: false }, trust)
}

/// [`detect`] with the full [`Connection`] (peer and scheme).
#[must_use]
pub fn detect_connection(headers: &impl HeaderLookup, conn: Connection, trust: &Trust) -> Handset {
    let ua = headers.header("user-agent").map(trim).unwrap_or(&[]);
    let mut ids = Ids::default();
    let mut h = classify(ua, headers, conn, &mut ids);
    if is_crawler(ua) {
        if h.carrier != Carrier::Pc {
            h.imitates = Some(h.carrier);
        }
        h.carrier = Carrier::Crawler;
        h.sessions = false;
        h.needs_guid_on = false;
    }
    apply_trust(&mut h, headers, conn, trust, &ids);
    h
}

/// Subscriber-ID candidates found in the UA itself (serials), kept as borrowed bytes.
#[derive(Default)]
struct Ids<'a> {
    serial: Option<&'a [u8]>,
    icc: Option<&'a [u8]>,
}

fn base(carrier: Carrier, generation: Generation) -> Handset {
    Handset {
        carrier,
        imitates: None,
        model: None,
        device_id: None,
        browser: Browser::Other,
        generation,
        softbank_type: None,
        win: false,
        tuka: false,
        html_version: None,
        xhtml: false,
        xhtml_level: None,
        markup: Markup::Html5,
        doctype: Doctype::Html5,
        charset: Charset::Utf8,
        cookies: true,
        referer: true,
        sessions: true,
        cache_bytes: None,
        page_budget_bytes: LARGE_BUDGET,
        screen: None,
        screen_source: None,
        colors: 0,
        display_chars: None,
        image_formats: ImageFormats::ALL,
        emoji: EmojiScheme::Unicode,
        needs_guid_on: false,
        subscriber_id_trusted: false,
        subscriber_id_kind: None,
        subscriber_id_rejected: None,
        subscriber_id: None,
    }
}

fn classify<'a>(
    ua: &'a [u8],
    headers: &impl HeaderLookup,
    conn: Connection,
    ids: &mut Ids<'a>,
) -> Handset {
    if let Some(h) = docomo(ua, ids) {
        return h;
    }
    // SoftBank prefixes before au: some Vodafone UAs contain `UP.Browser` (keitai.md §1).
    if let Some(h) = softbank(ua, headers, ids) {
        return h;
    }
    if let Some(h) = au(ua, headers, conn) {
        return h;
    }
    if let Some(h) = willcom(ua) {
        return h;
    }
    if let Some(h) = emobile(ua, headers) {
        return h;
    }
    if let Some(h) = smartphone(ua) {
        return h;
    }
    let mut h = base(Carrier::Pc, Generation::Pc);
    h.browser = desktop_browser(ua);
    h
}

// ---------------------------------------------------------------------------------------------
// docomo (keitai.md §2.1)

fn model_from(b: &[u8]) -> Option<Model> {
    let b = trim(b);
    (!b.is_empty()).then(|| Model::from_header(b))
}

fn screen_from(
    dev: Option<&'static Device>,
    source: ScreenSource,
) -> (Option<Screen>, Option<ScreenSource>, u32) {
    match dev {
        Some(d) if d.width > 0 && d.height > 0 => {
            (Some(Screen { width: d.width, height: d.height }), Some(source), d.colors)
        }
        Some(d) => (None, None, d.colors),
        None => (None, None, 0),
    }
}

fn html_major(v: Option<&str>) -> u8 {
    v.and_then(|s| s.as_bytes().first()).map_or(0, |b| b.wrapping_sub(b'0'))
}

/// i-XHTML level from the i-mode HTML version (correspondence in `data/docomo_html.tsv`).
fn ixhtml_for_html(v: &str) -> Option<&'static str> {
    Some(match v {
        "4.0" => "1.0",
        "5.0" => "1.1",
        "6.0" => "2.0",
        "7.0" => "2.1",
        "7.1" => "2.2",
        "7.2" => "2.3",
        _ => return None,
    })
}

fn html_for_ixhtml(v: &str) -> Option<&'static str> {
    Some(match v {
        "1.0" => "4.0",
        "1.1" => "5.0",
        "2.0" => "6.0",
        "2.1" => "7.0",
        "2.2" => "7.1",
        "2.3" => "7.2",
        _ => return None,
    })
}

fn docomo<'a>(ua: &'a [u8], ids: &mut Ids<'a>) -> Option<Handset> {
    let rest = ua.strip_prefix(b"DoCoMo/")?;
    let (&v0, &dot, &v1) = (rest.first()?, rest.get(1)?, rest.get(2)?);
    if !v0.is_ascii_digit() || dot != b'.' || !v1.is_ascii_digit() {
        return None;
    }
    let after = &rest[3..];
    let sep = after.first().copied();
    if !matches!(sep, None | Some(b'/' | b' ')) {
        return None;
    }
    let foma = sep == Some(b' ') || (sep.is_none() && v0 >= b'2');
    let mut h = base(Carrier::Docomo, if foma { Generation::Foma } else { Generation::Mova });
    let mut cache_kb: Option<u32> = None;
    let mut model: &[u8] = &[];

    match sep {
        Some(b'/') => {
            // DoCoMo/1.0/<model>[/c<cache>][/<status>][/W<w>H<h>][/ser<11>][ (comment)]
            let main = take_until(&after[1..], |c| c == b' ');
            let mut fields = main.split(|&c| c == b'/');
            model = fields.next().unwrap_or(&[]);
            if model == b"SH505i2" {
                model = b"SH505i"; // HMA normalisation (keitai.md §2.1)
            }
            for f in fields {
                if let Some(c) = f.strip_prefix(b"c") {
                    if cache_kb.is_none() {
                        cache_kb = parse_u32(c);
                    }
                } else if let Some(s) = f.strip_prefix(b"ser") {
                    if s.len() == 11 && s.iter().all(u8::is_ascii_alphanumeric) {
                        ids.serial = Some(s);
                    }
                } else if let Some(chars) = parse_wh(f) {
                    h.display_chars = Some(chars);
                }
            }
        }
        Some(_) => {
            // DoCoMo/2.0 <model>(<opt>;<opt>;…)
            let s = &after[1..];
            let s = s.strip_prefix(b"MST_v_").unwrap_or(s);
            model = take_until(s, |c| c == b'(' || c == b' ' || c == b';');
            if let Some(open) = s.get(model.len()..).and_then(|r| r.strip_prefix(b"(")) {
                let opts = take_until(open, |c| c == b')');
                for o in opts.split(|&c| c == b';') {
                    let o = trim(o);
                    if let Some(c) = o.strip_prefix(b"c") {
                        if cache_kb.is_none() {
                            cache_kb = parse_u32(c);
                        }
                    } else if let Some(s) = o.strip_prefix(b"ser") {
                        if s.len() == 15 && s.iter().all(u8::is_ascii_alphanumeric) {
                            ids.serial = Some(s);
                        }
                    } else if let Some(s) = o.strip_prefix(b"icc") {
                        if s.len() == 20 && s.iter().all(u8::is_ascii_alphanumeric) {
                            ids.icc = Some(s);
                        }
                    } else if let Some(chars) = parse_wh(o) {
                        h.display_chars = Some(chars);
                    }
                }
            }
        }
        None => {}
    }

    h.model = model_from(model);
    let mut buf = [0u8; 32];
    let upper: &[u8] = match tables::upper_key(model, &mut buf) {
        Some(n) => &buf[..n],
        None => &[],
    };
    let t = tables::tables();
    let dev = tables::lookup(&t.docomo, upper);
    let mut html = if upper.is_empty() { None } else { tables::docomo_html_version(upper) };
    if html.is_none() {
        html = dev.and_then(|d| d.ixhtml).and_then(html_for_ixhtml);
    }
    h.html_version = html;
    let major = html_major(html);

    // Browser version (keitai.md §2.1; jpm imode_browser_version).
    let cache = cache_kb.unwrap_or(5);
    h.browser = if foma && cache >= 500 {
        if matches!(upper, b"P03B" | b"P05B" | b"L01B") {
            Browser::Imode2Le
        } else {
            Browser::Imode2
        }
    } else {
        Browser::Imode1
    };
    let browser2 = matches!(h.browser, Browser::Imode2 | Browser::Imode2Le);

    h.xhtml = foma && major >= 4;
    if h.xhtml {
        h.xhtml_level = dev.and_then(|d| d.ixhtml).or_else(|| html.and_then(ixhtml_for_html));
        h.markup = Markup::Xhtml;
        h.doctype = Doctype::IXhtml;
    } else {
        h.markup = Markup::Chtml;
        h.doctype = Doctype::ImodeHtml;
    }
    h.charset = Charset::ShiftJis;
    h.cookies = browser2;
    h.referer = browser2;
    h.emoji = if major >= 4 { EmojiScheme::Docomo } else { EmojiScheme::DocomoBasic };
    h.image_formats = if foma || major >= 4 { ImageFormats::GIF_JPEG } else { ImageFormats::GIF };
    let cache_bytes = cache.saturating_mul(KB);
    h.cache_bytes = Some(cache_bytes);
    h.page_budget_bytes = if foma && !browser2 { cache_bytes.min(30 * KB) } else { cache_bytes };
    h.needs_guid_on = true;

    let (screen, src, colors) = match dev {
        Some(d) => screen_from(Some(d), ScreenSource::Table),
        None => {
            let key: &[u8] = if !foma {
                b"*MOVA"
            } else if tables::is_naming_2008(upper) {
                b"*FOMA2008"
            } else {
                b"*FOMA"
            };
            screen_from(tables::lookup(&t.docomo, key), ScreenSource::Default)
        }
    };
    h.screen = screen;
    h.screen_source = src;
    h.colors = colors;
    Some(h)
}

/// `W<cols>H<rows>` (docomo, characters).
fn parse_wh(f: &[u8]) -> Option<DisplayChars> {
    let rest = f.strip_prefix(b"W")?;
    let (cols, rest) = leading_u32(rest)?;
    let rest = rest.strip_prefix(b"H")?;
    let rows = parse_u32(rest)?;
    Some(DisplayChars { cols, rows })
}

// ---------------------------------------------------------------------------------------------
// au (keitai.md §2.2, §3)

fn au(ua: &[u8], headers: &impl HeaderLookup, conn: Connection) -> Option<Handset> {
    let (wap2, devid, major) = if let Some(rest) = ua.strip_prefix(b"KDDI-") {
        let devid = take_until(rest, |c| c == b' ');
        let major =
            find(ua, b"UP.Browser/").and_then(|i| leading_u32(&ua[i + 11..])).map_or(6, |(v, _)| v);
        (true, devid, major)
    } else if let Some(rest) = ua.strip_prefix(b"UP.Browser/") {
        let (ver, dev) = split_once(take_until(rest, |c| c == b' '), b'-');
        let major = leading_u32(ver).map_or(3, |(v, _)| v);
        (false, dev.unwrap_or(&[]), major)
    } else {
        return None;
    };
    let mut h = base(Carrier::Au, if wap2 { Generation::Wap2 } else { Generation::Wap1 });
    h.browser = Browser::UpBrowser(u8::try_from(major.min(99)).unwrap_or(99));
    h.device_id = model_from(devid);
    if let Some(&c3) = devid.get(2) {
        h.win = wap2 && (b'3'..=b'9').contains(&c3);
        h.tuka = if wap2 { c3 == b'U' } else { c3 == b'T' };
    }
    let t = tables::tables();
    let dev = tables::lookup(&t.au, devid);
    h.model = dev.and_then(|d| d.name).map(Model::from_table);
    let (mut screen, mut src, mut colors) = match dev {
        Some(d) => screen_from(Some(d), ScreenSource::Table),
        None => screen_from(
            tables::lookup(&t.au, if wap2 { b"*WAP2" } else { b"*WAP1" }),
            ScreenSource::Default,
        ),
    };
    if let Some((w, hh)) =
        non_empty(headers.header("x-up-devcap-screenpixels")).and_then(|v| parse_pair(v, b','))
        && w > 0
        && hh > 0
    {
        screen = Some(Screen { width: w, height: hh });
        src = Some(ScreenSource::Header);
    }
    if let Some((bits, _)) =
        non_empty(headers.header("x-up-devcap-screendepth")).and_then(leading_u32)
    {
        colors = if bits >= 32 { u32::MAX } else { 1u32 << bits };
    } else if non_empty(headers.header("x-up-devcap-iscolor")) == Some(b"0") {
        colors = 2;
    }
    h.screen = screen;
    h.screen_source = src;
    h.colors = colors;
    if let Some((cols, rows)) =
        non_empty(headers.header("x-up-devcap-screenchars")).and_then(|v| parse_pair(v, b','))
    {
        h.display_chars = Some(DisplayChars { cols, rows });
    }
    let pdu =
        non_empty(headers.header("x-up-devcap-max-pdu")).and_then(parse_u32).filter(|&n| n > 0);
    h.page_budget_bytes = pdu.unwrap_or(if wap2 { 9 * KB } else { 5 * KB });
    h.charset = Charset::ShiftJis;
    h.cookies = !wap2 || !conn.https;
    h.emoji = EmojiScheme::AuImg;
    if wap2 {
        h.xhtml = true;
        h.markup = Markup::Xhtml;
        h.doctype = Doctype::OpenwaveXhtml;
        h.image_formats = ImageFormats::ALL;
    } else {
        h.markup = Markup::Hdml;
        h.doctype = Doctype::Hdml;
        h.image_formats = ImageFormats::PNG;
    }
    Some(h)
}

// ---------------------------------------------------------------------------------------------
// SoftBank / Vodafone / J-PHONE (keitai.md §2.3, §3)

#[derive(Clone, Copy, PartialEq, Eq)]
enum SbType {
    C2,
    C3,
    C4,
    P,
    W,
    G3,
}

fn softbank<'a>(ua: &'a [u8], headers: &impl HeaderLookup, ids: &mut Ids<'a>) -> Option<Handset> {
    let mut ua_model: &[u8] = &[];
    let ty = if starts_with_ci(ua, b"J-PHONE/") {
        let rest = &ua[8..];
        let major = rest.first().copied().unwrap_or(b'0');
        let after_ver = take_until(rest, |c| c == b' ');
        let mut fields = after_ver.split(|&c| c == b'/').skip(1);
        ua_model = fields.next().unwrap_or(&[]);
        if let Some(sn) = fields.next().and_then(|f| f.strip_prefix(b"SN")) {
            ids.serial = Some(sn);
        }
        match major {
            b'3' if non_empty(headers.header("x-jphone-java")).is_some() => SbType::C4,
            b'3' => SbType::C3,
            b'4' => SbType::P,
            b'5' => SbType::W,
            _ => SbType::C2,
        }
    } else if ua.starts_with(b"Vodafone/") || ua.starts_with(b"SoftBank/") {
        // Vodafone/1.0/<model>/<maker>[/SN<serial>] Browser/…
        let main = take_until(ua, |c| c == b' ');
        let mut fields = main.split(|&c| c == b'/').skip(2);
        ua_model = fields.next().unwrap_or(&[]);
        for f in fields {
            if let Some(sn) = f.strip_prefix(b"SN") {
                ids.serial = Some(sn);
            }
        }
        SbType::G3
    } else if ua.starts_with(b"MOT-")
        || ua.starts_with(b"Semulator")
        || ua.starts_with(b"Vemulator")
        || is_nokia(ua)
    {
        SbType::G3
    } else {
        return None;
    };
    let (generation, type_name) = match ty {
        SbType::C2 => (Generation::C, "C2"),
        SbType::C3 => (Generation::C, "C3"),
        SbType::C4 => (Generation::C, "C4"),
        SbType::P => (Generation::P, "P"),
        SbType::W => (Generation::W, "W"),
        SbType::G3 => (Generation::ThreeGc, "3GC"),
    };
    let mut h = base(Carrier::Softbank, generation);
    h.softbank_type = Some(type_name);
    let msname = non_empty(headers.header("x-jphone-msname"));
    let model = msname.unwrap_or(ua_model);
    h.model = model_from(model);

    let t = tables::tables();
    let dev = tables::lookup(&t.softbank, model).or_else(|| tables::lookup(&t.softbank, ua_model));
    let (mut screen, mut src, mut colors) = match dev {
        Some(d) => screen_from(Some(d), ScreenSource::Table),
        None => {
            let key: &[u8] = match ty {
                SbType::C2 => b"*C2",
                SbType::C3 | SbType::C4 => b"*C3",
                SbType::P => b"*P",
                SbType::W => b"*W",
                SbType::G3 => b"*3GC",
            };
            screen_from(tables::lookup(&t.softbank, key), ScreenSource::Default)
        }
    };
    if let Some((w, hh)) =
        non_empty(headers.header("x-jphone-display")).and_then(|v| parse_pair(v, b'*'))
        && w > 0
        && hh > 0
    {
        screen = Some(Screen { width: w, height: hh });
        src = Some(ScreenSource::Header);
    }
    if let Some(c) = non_empty(headers.header("x-jphone-color"))
        && let (Some(b'C' | b'G'), Some(n)) = (c.first(), c.get(1..).and_then(parse_u32))
    {
        colors = n;
    }
    h.screen = screen;
    h.screen_source = src;
    h.colors = colors;

    h.browser = if ty == SbType::G3 { softbank_3g_browser(ua) } else { Browser::Jphone };
    let g3 = ty == SbType::G3;
    h.cookies = matches!(ty, SbType::W | SbType::G3);
    h.charset = if g3 { Charset::Utf8 } else { Charset::ShiftJis };
    h.xhtml = g3;
    (h.markup, h.doctype) = if g3 {
        (Markup::Xhtml, Doctype::JphoneXhtmlBasic)
    } else {
        (Markup::Chtml, Doctype::Html)
    };
    h.emoji = if g3 { EmojiScheme::SoftbankUtf8 } else { EmojiScheme::SoftbankWebcode };
    h.image_formats = match ty {
        SbType::C2 => ImageFormats::PNG,
        SbType::C3 | SbType::C4 | SbType::P | SbType::W => ImageFormats::JPEG_PNG,
        SbType::G3 => ImageFormats::ALL,
    };
    h.page_budget_bytes = match ty {
        SbType::C2 | SbType::C3 | SbType::C4 => 6000,
        SbType::P => 12 * KB,
        SbType::W => 200 * KB,
        SbType::G3 => 300 * KB,
    };
    Some(h)
}

/// `Nokia…/d.d` (keitai.md §1: counted in the SoftBank family; seen from crawlers).
fn is_nokia(ua: &[u8]) -> bool {
    let Some(rest) = ua.strip_prefix(b"Nokia") else {
        return false;
    };
    let first = take_until(rest, |c| c == b' ');
    match first.iter().position(|&c| c == b'/') {
        Some(i) => {
            let v = &first[i + 1..];
            v.len() >= 3 && v[0].is_ascii_digit() && v[1] == b'.' && v[2].is_ascii_digit()
        }
        None => false,
    }
}

fn softbank_3g_browser(ua: &[u8]) -> Browser {
    if let Some(i) = find(ua, b"Browser/") {
        let b = &ua[i + 8..];
        if b.starts_with(b"NetFront") {
            return Browser::NetFront;
        }
        if let Some(v) = b.strip_prefix(b"UP.Browser/") {
            let major = leading_u32(v).map_or(7, |(m, _)| m);
            return Browser::UpBrowser(u8::try_from(major.min(99)).unwrap_or(99));
        }
        if b.starts_with(b"SEMC") {
            return Browser::Semc;
        }
    }
    if contains(ua, b"Series60") {
        return Browser::S60;
    }
    Browser::Other
}

// ---------------------------------------------------------------------------------------------
// WILLCOM, EMOBILE (keitai.md §2.4)

fn willcom(ua: &[u8]) -> Option<Handset> {
    let inner = if let Some(r) = ua.strip_prefix(b"Mozilla/3.0(WILLCOM;") {
        Some(r)
    } else {
        ua.strip_prefix(b"Mozilla/3.0(DDIPOCKET;")
    };
    if inner.is_none() && !contains(ua, b"SHARP/WS") {
        return None;
    }
    let mut h = base(Carrier::Willcom, Generation::Phs);
    if let Some(inner) = inner {
        let body = take_until(inner, |c| c == b')');
        let mut fields = body.split(|&c| c == b'/');
        let _vendor = fields.next();
        h.model = fields.next().and_then(model_from);
        for f in fields {
            if let Some(c) = f.strip_prefix(b"C").or_else(|| f.strip_prefix(b"c"))
                && let Some(kb) = parse_u32(c)
            {
                h.cache_bytes = Some(kb.saturating_mul(KB));
            }
        }
        let tail = inner.get(body.len()..).unwrap_or(&[]);
        h.browser = if contains(tail, b"Opera") {
            Browser::Opera
        } else if contains(tail, b"NetFront") || contains(tail, b"CNF") {
            Browser::NetFront
        } else {
            Browser::Other
        };
    } else {
        // W-ZERO3 family (P2 `KtaiUA.php` checks `SHARP/WS`): IE Mobile / Opera.
        let start = find(ua, b"SHARP/").map_or(0, |i| i + 6);
        h.model = model_from(take_until(&ua[start..], |c| c == b';' || c == b')' || c == b' '));
        h.browser = if contains(ua, b"Opera") { Browser::Opera } else { Browser::Ie };
    }
    h.page_budget_bytes = h.cache_bytes.unwrap_or(UNDOCUMENTED_KEITAI_BUDGET);
    keitai_html(&mut h);
    h.cookies = true; // jpm willcom.rb
    h.emoji = EmojiScheme::Docomo; // keitai.md §10: WILLCOM uses docomo SJIS codes on the web
    Some(h)
}

fn keitai_html(h: &mut Handset) {
    h.markup = Markup::Chtml;
    h.doctype = Doctype::Html;
    h.charset = Charset::ShiftJis;
}

const EMOBILE_H11T: &[u8] = b"Mozilla/5.0 (H11T; like Gecko; OpenBrowser) NetFront/3.4";
const EMOBILE_S11HT: &[u8] = b"Mozilla/4.0 (compatible; MSIE 6.0; Windows CE; IEMobile 7.7) S11HT";

fn emobile(ua: &[u8], headers: &impl HeaderLookup) -> Option<Handset> {
    // jpm mobile/emobile.rb: `emobile/` prefix, two fixed UAs, or the X-EM-UID header.
    let model: &[u8] = if let Some(rest) = ua.strip_prefix(b"emobile/") {
        let open = find(rest, b"(").map_or(rest.len(), |i| i + 1);
        take_until(rest.get(open..).unwrap_or(&[]), |c| c == b';' || c == b')')
    } else if ua == EMOBILE_H11T {
        b"H11T"
    } else if ua == EMOBILE_S11HT {
        b"S11HT"
    } else if non_empty(headers.header("x-em-uid")).is_some() && smartphone(ua).is_none() {
        &[]
    } else {
        return None;
    };
    let mut h = base(Carrier::Emobile, Generation::Emobile);
    h.model = model_from(model);
    h.browser = if contains(ua, b"NetFront") {
        Browser::NetFront
    } else if contains(ua, b"MSIE") {
        Browser::Ie
    } else {
        Browser::Other
    };
    keitai_html(&mut h);
    h.cookies = false; // jpm AbstractMobile default (no supports_cookie? override for EMOBILE)
    h.emoji = EmojiScheme::None;
    h.page_budget_bytes = UNDOCUMENTED_KEITAI_BUDGET;
    Some(h)
}

// ---------------------------------------------------------------------------------------------
// Smartphones and PCs (keitai.md §1, §2.4)

fn smartphone(ua: &[u8]) -> Option<Handset> {
    let (generation, model, browser): (Generation, Option<&[u8]>, Browser) =
        if contains(ua, b"iPad") {
            (Generation::Tablet, Some(b"iPad"), ios_browser(ua))
        } else if contains(ua, b"iPhone") {
            (Generation::Smartphone, Some(b"iPhone"), ios_browser(ua))
        } else if contains(ua, b"iPod") {
            (Generation::Smartphone, Some(b"iPod"), ios_browser(ua))
        } else if contains(ua, b"Windows Phone") {
            (Generation::Smartphone, None, Browser::Ie)
        } else if contains(ua, b"Android") {
            let g =
                if contains(ua, b"Mobile") { Generation::Smartphone } else { Generation::Tablet };
            let b = if contains(ua, b"Firefox/") {
                Browser::Firefox
            } else if contains(ua, b"Chrome/") {
                Browser::Chrome
            } else {
                Browser::AndroidWebkit
            };
            (g, android_model(ua), b)
        } else if contains(ua, b"BlackBerry") {
            (Generation::Smartphone, None, Browser::Blackberry)
        } else {
            return None;
        };
    let mut h = base(Carrier::Smartphone, generation);
    h.model = model.and_then(model_from);
    h.browser = browser;
    Some(h)
}

fn ios_browser(ua: &[u8]) -> Browser {
    if contains(ua, b"CriOS/") {
        Browser::Chrome
    } else if contains(ua, b"FxiOS/") {
        Browser::Firefox
    } else {
        Browser::Safari
    }
}

/// `…; <model> Build/…` in Android UAs.
fn android_model(ua: &[u8]) -> Option<&[u8]> {
    let end = find(ua, b" Build/")?;
    let head = &ua[..end];
    let start = head.iter().rposition(|&c| c == b';').map_or(0, |i| i + 1);
    let m = trim(&head[start..]);
    (!m.is_empty()).then_some(m)
}

fn desktop_browser(ua: &[u8]) -> Browser {
    if contains(ua, b"Edg/") || contains(ua, b"Edge/") {
        Browser::Edge
    } else if contains(ua, b"Firefox/") {
        Browser::Firefox
    } else if contains(ua, b"OPR/") || contains(ua, b"Opera") {
        Browser::Opera
    } else if contains(ua, b"Chrome/") {
        Browser::Chrome
    } else if contains(ua, b"Safari/") {
        Browser::Safari
    } else if contains(ua, b"MSIE") || contains(ua, b"Trident/") {
        Browser::Ie
    } else {
        Browser::Other
    }
}

// ---------------------------------------------------------------------------------------------
// Crawlers (keitai.md §1: Googlebot-Mobile, Y!J-SRD, Y!J-MBS; jpm docomo_guid.rb)

/// Substrings that mark a crawler or a crawler's transcoding proxy. Matched case-sensitively.
const CRAWLER_TOKENS: &[&[u8]] = &[
    b"Googlebot",
    b"Google CHTML Proxy",
    b"Google WAP Proxy",
    b"Mediapartners-Google",
    b"AdsBot-Google",
    b"Y!J-",
    b"Yahoo! Slurp",
    b"YahooSeeker",
    b"bingbot",
    b"msnbot",
    b"Baiduspider",
    b"YandexBot",
    b"DuckDuckBot",
    b"Applebot",
    b"facebookexternalhit",
    b"ichiro",
    b"moba-crawler",
    b"LD_mobile_bot",
    b"froute",
    b"bot/",
    b"Bot/",
    b"crawler",
    b"spider",
];

const fn first_bytes() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < CRAWLER_TOKENS.len() {
        t[CRAWLER_TOKENS[i][0] as usize] = true;
        i += 1;
    }
    t
}

static CRAWLER_FIRST: [bool; 256] = first_bytes();

/// Whether the UA belongs to a crawler.
#[must_use]
pub fn is_crawler(ua: &[u8]) -> bool {
    for (i, &b) in ua.iter().enumerate() {
        if CRAWLER_FIRST[b as usize] {
            let rest = &ua[i..];
            if CRAWLER_TOKENS.iter().any(|t| t[0] == b && rest.starts_with(t)) {
                return true;
            }
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Subscriber IDs and the trust rule (keitai.md §4; security.md §1, S-01, S-02)

struct Candidate<'a> {
    issuer: Carrier,
    kind: IdKind,
    value: &'a [u8],
}

fn own_candidate<'a>(
    h: &Handset,
    headers: &'a impl HeaderLookup,
    ids: &Ids<'a>,
) -> Option<Candidate<'a>> {
    let ua_carrier = h.imitates.unwrap_or(h.carrier);
    let header = |name: &str| non_empty(headers.header(name));
    let c = |issuer, kind, value| Some(Candidate { issuer, kind, value });
    match ua_carrier {
        Carrier::Docomo => {
            // Prefer the subscriber ID over device serials (keitai.md §4).
            if let Some(v) = header("x-dcmguid") {
                return c(Carrier::Docomo, IdKind::ImodeId, v);
            }
            if let Some(v) = ids.icc {
                return c(Carrier::Docomo, IdKind::Icc, v);
            }
            ids.serial.and_then(|v| c(Carrier::Docomo, IdKind::Serial, v))
        }
        Carrier::Au => header("x-up-subno").and_then(|v| c(Carrier::Au, IdKind::Subno, v)),
        Carrier::Softbank => {
            if let Some(v) = header("x-jphone-uid") {
                return c(Carrier::Softbank, IdKind::JphoneUid, v);
            }
            ids.serial.and_then(|v| c(Carrier::Softbank, IdKind::Serial, v))
        }
        Carrier::Emobile => header("x-em-uid").and_then(|v| c(Carrier::Emobile, IdKind::EmUid, v)),
        _ => None,
    }
}

fn foreign_candidate<'a>(headers: &'a impl HeaderLookup) -> Option<Candidate<'a>> {
    [
        ("x-dcmguid", Carrier::Docomo, IdKind::ImodeId),
        ("x-up-subno", Carrier::Au, IdKind::Subno),
        ("x-jphone-uid", Carrier::Softbank, IdKind::JphoneUid),
        ("x-em-uid", Carrier::Emobile, IdKind::EmUid),
    ]
    .into_iter()
    .find_map(|(name, issuer, kind)| {
        non_empty(headers.header(name)).map(|value| Candidate { issuer, kind, value })
    })
}

fn apply_trust(
    h: &mut Handset,
    headers: &impl HeaderLookup,
    conn: Connection,
    trust: &Trust,
    ids: &Ids<'_>,
) {
    let ua_carrier = h.imitates.unwrap_or(h.carrier);
    let Some(cand) = own_candidate(h, headers, ids).or_else(|| foreign_candidate(headers)) else {
        return;
    };
    h.subscriber_id_kind = Some(cand.kind);
    let verdict = judge(h, &cand, ua_carrier, headers, conn, trust);
    match verdict {
        Ok(value) => {
            h.subscriber_id_trusted = true;
            h.subscriber_id = Some(SubscriberId::new(cand.issuer, cand.kind, value));
        }
        Err(why) => h.subscriber_id_rejected = Some(why),
    }
}

fn judge(
    h: &Handset,
    cand: &Candidate<'_>,
    ua_carrier: Carrier,
    headers: &impl HeaderLookup,
    conn: Connection,
    trust: &Trust,
) -> Result<InlineStr<64>, IdRejection> {
    if h.carrier == Carrier::Crawler {
        return Err(IdRejection::Crawler);
    }
    if cand.issuer != ua_carrier {
        return Err(IdRejection::CarrierMismatch);
    }
    if cand.value.is_empty()
        || cand.value.len() > 64
        || !cand.value.iter().all(|&b| (0x21..=0x7E).contains(&b))
    {
        return Err(IdRejection::Malformed);
    }
    if conn.https && cand.issuer == Carrier::Docomo {
        return Err(IdRejection::Https);
    }
    let peer = conn.peer.ok_or(IdRejection::NoPeer)?;
    let client = client_ip(
        peer,
        headers.header("x-forwarded-for"),
        headers.header("x-real-ip"),
        &trust.proxies,
    );
    match trust.gateways.classify(client) {
        GatewayMatch::Browser(c) if c == cand.issuer => Ok(InlineStr::from_bytes_lossy(cand.value)),
        GatewayMatch::Browser(_) => Err(IdRejection::WrongCarrierRange),
        GatewayMatch::Untrusted(_) => Err(IdRejection::UntrustedRange),
        GatewayMatch::None => Err(IdRejection::NotCarrierRange),
    }
}

//! Rendering per handset: budgets, dialect rules, validity (xmllint, the team's pagecheck.py),
//! cHTML element sets, Shift_JIS decoding by an independent decoder, and a property test over
//! random pages on every profile.
//!
//! Tests that need `xmllint` (Debian `libxml2-utils`, with `w3c-sgml-lib` for the DTDs) or
//! `python3` print a SKIP line when the tool is missing.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ashiato_handset::{Handset, HeaderList, Trust, detect};
use ashiato_render::i18n::Lang;
use ashiato_render::url::LinkParams;
use ashiato_render::{
    Block, Dialect, Field, FieldKind, Form, Image, Inline, InputMode, Link, Location, MenuItem,
    Method, Notice, Page, Pager, RenderContext, Rendered, Target, parts, render, render_parts,
};

// -- Profiles --------------------------------------------------------------------------------

/// (name, header block): the handsets every test runs on.
const PROFILES: &[(&str, &str)] = &[
    ("mova501", "User-Agent: DoCoMo/1.0/D501i\n"),
    ("mova5k", "User-Agent: DoCoMo/1.0/P503i\n"),
    ("mova", "User-Agent: DoCoMo/1.0/F504i/c10/TB\n"),
    ("foma_html3", "User-Agent: DoCoMo/2.0 N2001(c10)\n"),
    ("docomo", "User-Agent: DoCoMo/2.0 N905i(c100;TB;W24H16)\n"),
    ("browser2", "User-Agent: DoCoMo/2.0 P07A3(c500;TB;W24H15)\n"),
    (
        "au",
        "User-Agent: KDDI-CA39 UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0\nX-UP-DEVCAP-SCREENPIXELS: 240,346\n",
    ),
    ("au_wap1", "User-Agent: UP.Browser/3.04-TS13 UP.Link/3.4.4\n"),
    ("sb_c", "User-Agent: J-PHONE/2.0/J-DN02\n"),
    (
        "sb_p",
        "User-Agent: J-PHONE/4.0/J-SH51/SNJSHA3029293 SH/0001aa Profile/MIDP-1.0 Configuration/CLDC-1.0 Ext-Profile/JSCL-1.1.0\n",
    ),
    (
        "softbank",
        "User-Agent: SoftBank/1.0/910T/TJ001 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1\nX-JPHONE-DISPLAY: 240*400\n",
    ),
    (
        "willcom",
        "User-Agent: Mozilla/3.0(WILLCOM;KYOCERA/WX310K/2;1.2.2.16.000000/0.1/C100) Opera 7.0\n",
    ),
    ("emobile", "User-Agent: emobile/1.0.0 (H11T; like Gecko; Wireless) NetFront/3.4\n"),
    (
        "iphone",
        "User-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1\n",
    ),
    (
        "pc",
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\n",
    ),
];

fn handset(headers: &str) -> Handset {
    detect(&HeaderList::parse(headers.as_bytes()).unwrap(), None, &Trust::nothing())
}

fn profile(name: &str) -> (Handset, Target) {
    let (_, headers) = PROFILES.iter().find(|(n, _)| *n == name).unwrap();
    let h = handset(headers);
    let t = Target::for_handset(&h);
    (h, t)
}

const TOKEN: &str = "TOKEN0123456789abcdef";

fn link_params(h: &Handset) -> LinkParams {
    LinkParams {
        session: h.needs_url_session().then(|| TOKEN.to_owned()),
        guid_on: h.needs_guid_on && h.needs_url_session(),
    }
}

fn jump(url: &str) -> String {
    format!("/jump?to={}&sig=abc", ashiato_render::url::encode_query_value(url))
}

fn with_ctx<R>(h: &Handset, f: impl FnOnce(&RenderContext<'_>) -> R) -> R {
    let ctx =
        RenderContext { lang: Lang::Ja, links: link_params(h), csrf: Some("CSRF42"), jump: &jump };
    f(&ctx)
}

// -- Pages -----------------------------------------------------------------------------------

const BODY: &str = "今日は朝から快晴☀で、駅前の喫茶店「ソレイユ」でモーニング。\n\
表参道を散歩して能楽堂の前を通り、十時に予約した美容院へ🎤\n\
<script>alert(\"x\")</script> & 'quotes' ①髙 ｶﾀｶﾅ 〜−\n\
夜は焼肉🍖！明日も晴れるといいな♪ 1\u{20E3}";

fn menu() -> Vec<MenuItem> {
    let item =
        |k: char, t: &str, p: &str| MenuItem { key: Some(k), text: t.into(), path: p.into() };
    vec![
        item('0', "ホーム", "/home"),
        item('1', "日記を書く", "/diary/new"),
        item('2', "マイミク", "/friends"),
        item('3', "あしあと", "/footsteps"),
        item('8', "招待", "/invite"),
        item('9', "ログアウト", "/logout"),
    ]
}

fn diary_page() -> Page {
    let mut page = Page::new("ゆうこの日記☀");
    page.flash = Some("コメントを書きました".into());
    page.push(Block::Heading("11月26日の日記".into()));
    page.push(Block::Text(BODY.into()));
    page.push(Block::Image(Image {
        src: "/photo/1/s".into(),
        alt: "写真".into(),
        width: Some(120),
        height: Some(90),
    }));
    page.push(Block::Paragraph(vec![
        Inline::text("書いた人: "),
        Inline::Link(Link { accesskey: Some('5'), ..Link::internal("/m/7", "ゆうこ") }),
        Inline::Break,
        Inline::Strong("大事".into()),
        Inline::text(" "),
        Inline::Link(Link::external("http://example.com/?a=1&b=2", "外部サイト")),
    ]));
    page.push(Block::Separator);
    page.push(Block::List(vec![
        vec![Inline::link("/diary/1/c/1", "たろう"), Inline::text(": いいね👍")],
        vec![Inline::text("はなこ: ソ表能十予")],
    ]));
    page.push(Block::Notice(Notice::Error("本文を入力してください".into())));
    page.push(Block::Notice(Notice::Info("保存しました".into())));
    let mut body =
        Field::new("body", "コメント", FieldKind::TextArea { value: "下書き☀<b>".into(), rows: 3 });
    body.error = Some("入力してください".into());
    page.push(Block::Form(Form {
        action: "/diary/1/comment".into(),
        method: Method::Post,
        fields: vec![
            Field::new(
                "nick",
                "ニックネーム",
                FieldKind::Text {
                    value: "ゆう\"こ".into(),
                    max_chars: Some(20),
                    mode: InputMode::Hiragana,
                },
            ),
            Field::new(
                "kana",
                "カナ",
                FieldKind::Text {
                    value: String::new(),
                    max_chars: None,
                    mode: InputMode::Katakana,
                },
            ),
            Field::new(
                "zip",
                "郵便番号",
                FieldKind::Text {
                    value: String::new(),
                    max_chars: Some(7),
                    mode: InputMode::Numeric,
                },
            ),
            Field::new("mail", "メール", FieldKind::Email("a@b.jp".into())),
            Field::new("pass", "パスワード", FieldKind::Password),
            body,
            Field::new(
                "vis",
                "公開範囲",
                FieldKind::Select {
                    options: vec![
                        ("all".into(), "全体".into()),
                        ("friends".into(), "マイミク".into()),
                    ],
                    selected: "friends".into(),
                },
            ),
            Field::new("notify", "通知する", FieldKind::Checkbox(true)),
            Field::hidden("diary", "1"),
        ],
        submit: "書き込む".into(),
        multipart: false,
    }));
    page.push(Block::Form(Form {
        action: "/search".into(),
        method: Method::Get,
        fields: vec![Field::new(
            "q",
            "検索",
            FieldKind::Text { value: String::new(), max_chars: None, mode: InputMode::Hiragana },
        )],
        submit: "検索".into(),
        multipart: false,
    }));
    page.push(Block::Pager(Pager {
        prev: Some("/diary?page=1".into()),
        next: None,
        position: Some((2, 2)),
    }));
    page.menu = menu();
    page
}

/// A diary with 50 comments: several parts on every keitai profile.
fn long_page() -> Page {
    let mut page = Page::new("長い日記");
    let mut text = String::new();
    for n in 0..120 {
        text.push_str(&format!("{n}行目: ソ表能十予の文字と絵文字☀を含む長い日記の本文です。"));
        text.push('\n');
    }
    page.push(Block::Text(text));
    page.push(Block::Heading("コメント".into()));
    for n in 0..50 {
        page.push(Block::Paragraph(vec![
            Inline::link(format!("/m/{n}"), format!("メンバー{n}")),
            Inline::text(format!(": コメント{n}です🍖")),
        ]));
    }
    page.menu = menu();
    page
}

fn location(t: &Target) -> Location<'static> {
    let loc = Location::new("/diary/1?sort=new");
    if t.absolute_accesskey_links { loc.with_origin("http://ashiato.test") } else { loc }
}

fn render_all(page: &Page, name: &str) -> Vec<Rendered> {
    let (h, t) = profile(name);
    with_ctx(&h, |ctx| {
        let first = render(page, ctx, &t, &location(&t));
        let mut out = vec![first.clone()];
        for n in 2..=first.parts {
            let mut at = location(&t);
            at.part = n;
            out.push(render(page, ctx, &t, &at));
        }
        out
    })
}

// -- Tools -----------------------------------------------------------------------------------

/// Reports a check that could not run, straight to the terminal (past the harness's output
/// capture) so a skip is always visible. With `ASHIATO_TEST_STRICT` set, as `.ci/run` does after
/// installing the tools, a missing tool is a failure instead.
fn skipped(reason: &str, strict: bool) {
    use std::io::Write;
    assert!(
        !strict || std::env::var_os("ASHIATO_TEST_STRICT").is_none(),
        "required check could not run: {reason}"
    );
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {reason} ***");
}

fn tool(name: &str) -> bool {
    let ok = Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        skipped(
            &format!("`{name}` not found (apt-get install -y libxml2-utils w3c-sgml-lib python3)"),
            true,
        );
    }
    ok
}

fn dtd_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dtd")
}

fn basic11_installed() -> bool {
    let ok = Path::new(
        "/usr/share/xml/w3c-sgml-lib/schema/dtd/REC-xhtml-basic-20101123/xhtml-basic11.dtd",
    )
    .exists();
    if !ok {
        skipped("XHTML Basic 1.1 DTD missing (apt-get install -y w3c-sgml-lib)", true);
    }
    ok
}

/// Runs `xmllint --valid` (each page against its own DOCTYPE through tests/dtd/catalog.xml)
/// on the files; returns the error output.
fn xmllint_valid(files: &[PathBuf]) -> Result<(), String> {
    for chunk in files.chunks(200) {
        let catalogs = format!("{} /etc/xml/catalog", dtd_dir().join("catalog.xml").display());
        for f in chunk {
            std::fs::write(f, as_utf8_xml(&std::fs::read(f).unwrap())).unwrap();
        }
        let out = Command::new("xmllint")
            .env("XML_CATALOG_FILES", catalogs)
            .args(["--noout", "--nonet", "--valid"])
            .args(chunk)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() || !err.trim().is_empty() {
            return Err(err.chars().take(4000).collect());
        }
    }
    Ok(())
}

fn write_files(dir: &Path, bodies: &[(String, Vec<u8>)]) -> Vec<PathBuf> {
    bodies
        .iter()
        .map(|(name, body)| {
            let p = dir.join(name);
            std::fs::write(&p, body).unwrap();
            p
        })
        .collect()
}

/// libxml2's Shift_JIS converter rejects the carriers' emoji bytes (CP932's user-defined
/// area), so XHTML pages are checked the way pagecheck.py does: decoded as CP932 (WHATWG
/// Shift_JIS, which maps that area to private use) and relabelled UTF-8.
fn as_utf8_xml(body: &[u8]) -> Vec<u8> {
    let sjis = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>";
    match body.strip_prefix(&sjis[..]) {
        Some(rest) => {
            let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(rest);
            assert!(!errors, "Shift_JIS page does not decode");
            let mut out = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_vec();
            out.extend_from_slice(text.as_bytes());
            out
        }
        None => body.to_vec(),
    }
}

/// Decodes each file with Python's `cp932` codec (strict) and returns the texts.
fn python_cp932(files: &[PathBuf]) -> Vec<String> {
    let script = "import sys\nfor p in sys.argv[1:]:\n    t = open(p,'rb').read().decode('cp932')\n    open(p+'.txt','w',encoding='utf-8').write(t)\n";
    let out = Command::new("python3").arg("-c").arg(script).args(files).output().unwrap();
    assert!(out.status.success(), "cp932 decode failed: {}", String::from_utf8_lossy(&out.stderr));
    files.iter().map(|p| std::fs::read_to_string(p.with_extension("html.txt")).unwrap()).collect()
}

// -- Small helpers on markup -----------------------------------------------------------------

/// Start tags with their attributes, in order (a byte scanner: Shift_JIS trail bytes are never
/// `<`, `>` or `"`).
fn tags(body: &[u8]) -> Vec<(String, Vec<(String, String)>)> {
    // SoftBank webcodes (`ESC $ F < SI`) may hold `<`; the handset reads them before the markup.
    let mut plain = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] == 0x1B {
            i += body[i..].iter().position(|&b| b == 0x0F).map_or(body.len(), |p| p + 1);
        } else {
            plain.push(body[i]);
            i += 1;
        }
    }
    let s = String::from_utf8_lossy(&plain);
    let mut out = Vec::new();
    let mut rest = &s[..];
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('/') || tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        let tag = tag.trim_end_matches('/').trim();
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        let mut list = Vec::new();
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() {
                break;
            }
            let eq = attrs.find(['=', ' ']).unwrap_or(attrs.len());
            let key = attrs[..eq].to_owned();
            if attrs[eq..].starts_with("=\"") {
                let v = &attrs[eq + 2..];
                let close = v.find('"').unwrap();
                list.push((key, v[..close].to_owned()));
                attrs = &v[close + 1..];
            } else {
                list.push((key, String::new()));
                attrs = &attrs[eq..];
            }
        }
        out.push((name.to_ascii_lowercase(), list));
    }
    out
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn meta_content_type(body: &[u8]) -> Option<String> {
    tags(body)
        .into_iter()
        .find(|(n, _)| n == "meta")
        .and_then(|(_, a)| attr(&a, "content").map(str::to_owned))
}

// -- The cHTML checker -----------------------------------------------------------------------

/// Elements and attributes of i-mode HTML 1.0 (= W3C Compact HTML, NOTE-compactHTML-19980209),
/// as listed in docs/rendering.md.
const CHTML_10: &[(&str, &[&str])] = &[
    ("a", &["href", "name"]),
    ("base", &["href"]),
    ("blockquote", &[]),
    ("body", &[]),
    ("br", &["clear"]),
    ("center", &[]),
    ("dd", &[]),
    ("dir", &[]),
    ("div", &["align"]),
    ("dl", &[]),
    ("dt", &[]),
    ("form", &["action", "method"]),
    ("head", &[]),
    ("h1", &["align"]),
    ("h2", &["align"]),
    ("h3", &["align"]),
    ("h4", &["align"]),
    ("h5", &["align"]),
    ("h6", &["align"]),
    ("hr", &["align", "size", "width", "noshade"]),
    ("html", &[]),
    ("img", &["src", "align", "width", "height", "hspace", "vspace", "alt"]),
    ("input", &["type", "name", "size", "maxlength", "value", "checked"]),
    ("li", &[]),
    ("menu", &[]),
    ("meta", &["http-equiv", "content"]),
    ("ol", &[]),
    ("option", &["selected", "value"]),
    ("p", &["align"]),
    ("plaintext", &[]),
    ("pre", &[]),
    ("select", &["name", "size", "multiple"]),
    ("textarea", &["name", "rows", "cols"]),
    ("title", &[]),
    ("ul", &[]),
];

/// Additions of i-mode HTML 2.0 used by the renderer: `accesskey` on links and inputs,
/// `istyle` on text inputs.
const CHTML_20_EXTRA: &[(&str, &str)] =
    &[("a", "accesskey"), ("input", "accesskey"), ("input", "istyle"), ("textarea", "istyle")];

/// Checks a cHTML page against the element set of `version`; `mode_attr` allows SoftBank's
/// `mode` on inputs (J-PHONE HTML).
fn chtml_violations(body: &[u8], version: u8, mode_attr: bool) -> Vec<String> {
    let mut bad = Vec::new();
    if body.starts_with(b"<?xml") || body.starts_with(b"<!") {
        bad.push("declaration or DOCTYPE in cHTML".to_owned());
    }
    for (name, attrs) in tags(body) {
        let Some((_, allowed)) = CHTML_10.iter().find(|(n, _)| *n == name) else {
            bad.push(format!("element <{name}>"));
            continue;
        };
        for (a, _) in &attrs {
            let ok = allowed.contains(&a.as_str())
                || (version >= 2 && CHTML_20_EXTRA.contains(&(name.as_str(), a.as_str())))
                || (mode_attr && a == "mode" && matches!(name.as_str(), "input" | "textarea"));
            if !ok {
                bad.push(format!("attribute {a} on <{name}> (i-mode HTML {version}.0)"));
            }
        }
    }
    bad
}

// -- Tests -----------------------------------------------------------------------------------

#[test]
fn targets_follow_the_handset_profiles() {
    let expect: &[(&str, Dialect, &str, usize)] = &[
        ("mova501", Dialect::Chtml, "text/html; charset=Shift_JIS", 5 * 1024),
        ("mova5k", Dialect::Chtml, "text/html; charset=Shift_JIS", 5 * 1024),
        ("mova", Dialect::Chtml, "text/html; charset=Shift_JIS", 10 * 1024),
        ("foma_html3", Dialect::Chtml, "text/html; charset=Shift_JIS", 10 * 1024),
        ("docomo", Dialect::IXhtml, "application/xhtml+xml; charset=Shift_JIS", 10 * 1024),
        ("browser2", Dialect::IXhtml, "application/xhtml+xml; charset=Shift_JIS", 10 * 1024),
        ("au", Dialect::XhtmlMp, "text/html; charset=Shift_JIS", 9 * 1024),
        ("au_wap1", Dialect::Hdml, "text/x-hdml; charset=Shift_JIS", 5 * 1024),
        ("sb_c", Dialect::Chtml, "text/html; charset=Shift_JIS", 6000),
        ("sb_p", Dialect::Chtml, "text/html; charset=Shift_JIS", 10 * 1024),
        ("softbank", Dialect::SoftbankXhtml, "text/html; charset=UTF-8", 10 * 1024),
        ("willcom", Dialect::Chtml, "text/html; charset=Shift_JIS", 10 * 1024),
        ("emobile", Dialect::Chtml, "text/html; charset=Shift_JIS", 10 * 1024),
        ("iphone", Dialect::Html5, "text/html; charset=utf-8", 64 * 1024),
        ("pc", Dialect::Html5, "text/html; charset=utf-8", 64 * 1024),
    ];
    for &(name, dialect, ctype, budget) in expect {
        let (_, t) = profile(name);
        assert_eq!((t.dialect, t.content_type(), t.budget), (dialect, ctype, budget), "{name}");
    }
    assert_eq!(profile("mova501").1.chtml_version, 1);
    let (h, t) = profile("docomo");
    assert_eq!(h.xhtml_level, Some(t.ixhtml_level));
    use ashiato_charset::EmojiOut;
    assert_eq!(profile("mova501").1.output.emoji, EmojiOut::Docomo { extended: false });
    assert_eq!(profile("docomo").1.output.emoji, EmojiOut::Docomo { extended: true });
    assert_eq!(profile("au").1.output.emoji, EmojiOut::AuSjis);
    assert_eq!(profile("sb_c").1.output.emoji, EmojiOut::SoftbankWebcode { full: false });
    assert_eq!(profile("sb_p").1.output.emoji, EmojiOut::SoftbankWebcode { full: true });
    assert_eq!(profile("softbank").1.output.emoji, EmojiOut::SoftbankUtf8Pua);
    assert!(profile("emobile").1.emoji_as_text);
    assert_eq!(
        ashiato_render::target::emoji_out(ashiato_handset::EmojiScheme::AuImg, None),
        EmojiOut::AuImg
    );
}

#[test]
fn every_profile_fits_its_budget_and_labels_its_charset() {
    for page in [diary_page(), long_page()] {
        for &(name, _) in PROFILES {
            let (_, t) = profile(name);
            let all = render_all(&page, name);
            for r in &all {
                assert!(
                    r.body.len() <= t.budget,
                    "{name}: part {} is {} > {}",
                    r.part,
                    r.body.len(),
                    t.budget
                );
                assert_eq!(r.content_type, t.content_type());
                match t.dialect {
                    Dialect::Html5 => assert!(r.body.starts_with(
                        b"<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
                    )),
                    Dialect::Hdml => assert!(r.body.starts_with(b"<HDML VERSION=3.0")),
                    _ => assert_eq!(
                        meta_content_type(&r.body).as_deref(),
                        Some(t.content_type()),
                        "{name}"
                    ),
                }
                if t.dialect.is_xhtml() {
                    let decl =
                        format!("<?xml version=\"1.0\" encoding=\"{}\"?>\n", t.charset_label());
                    assert!(r.body.starts_with(decl.as_bytes()), "{name}");
                }
            }
            if t.dialect.is_keitai() && t.dialect != Dialect::Hdml && page.title == "長い日記" {
                assert!(all.len() > 1, "{name}: the long page should be split");
            }
        }
    }
}

#[test]
fn hdml_handsets_get_a_one_card_notice() {
    let (h, t) = profile("au_wap1");
    let r = with_ctx(&h, |ctx| render(&diary_page(), ctx, &t, &Location::new("/")));
    let text = encoding_rs::SHIFT_JIS.decode(&r.body).0.into_owned();
    assert!(
        text.starts_with(
            "<HDML VERSION=3.0 PUBLIC=TRUE>\n<DISPLAY>\nashiato<BR>\nこの機種には対応していません"
        ),
        "{text}"
    );
    assert!(text.ends_with("</DISPLAY>\n</HDML>\n"));
    assert_eq!(r.parts, 1);
}

#[test]
fn docomo_links_forms_and_access_keys() {
    let (h, t) = profile("docomo");
    let r = with_ctx(&h, |ctx| render(&diary_page(), ctx, &t, &location(&t)));
    let tags = tags(&r.body);
    let hrefs: Vec<&str> =
        tags.iter().filter(|(n, _)| n == "a").filter_map(|(_, a)| attr(a, "href")).collect();
    for href in &hrefs {
        if href.starts_with("/jump") {
            assert!(!href.contains("ksid"), "outbound link carries the session: {href}");
        } else {
            assert!(
                href.contains("guid=ON&amp;ksid=TOKEN"),
                "internal link without session: {href}"
            );
        }
    }
    // Access-key links are absolute for docomo (keitai.md §6), others relative.
    assert!(
        hrefs.contains(&"http://ashiato.test/home?guid=ON&amp;ksid=TOKEN0123456789abcdef"),
        "{hrefs:?}"
    );
    assert!(hrefs.contains(&"http://ashiato.test/m/7?guid=ON&amp;ksid=TOKEN0123456789abcdef"));
    assert!(hrefs.contains(&"/diary/1/c/1?guid=ON&amp;ksid=TOKEN0123456789abcdef"));
    assert!(hrefs.contains(&"/jump?to=http%3A%2F%2Fexample.com%2F%3Fa%3D1%26b%3D2&amp;sig=abc"));
    // POST: session in the action and hidden; GET: guid=ON and session hidden.
    let forms: Vec<&Vec<(String, String)>> =
        tags.iter().filter(|(n, _)| n == "form").map(|(_, a)| a).collect();
    assert_eq!(
        attr(forms[0], "action"),
        Some("/diary/1/comment?guid=ON&amp;ksid=TOKEN0123456789abcdef")
    );
    assert_eq!(attr(forms[1], "action"), Some("/search"));
    let hidden: Vec<(Option<&str>, Option<&str>)> = tags
        .iter()
        .filter(|(n, a)| n == "input" && attr(a, "type") == Some("hidden"))
        .map(|(_, a)| (attr(a, "name"), attr(a, "value")))
        .collect();
    assert_eq!(
        hidden,
        vec![
            (Some("diary"), Some("1")),
            (Some("ksid"), Some(TOKEN)),
            (Some("csrf"), Some("CSRF42")),
            (Some("guid"), Some("ON")),
            (Some("ksid"), Some(TOKEN)),
        ]
    );
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.contains(" style=\"-wap-input-format:&quot;*&lt;ja:h&gt;&quot;\""));
    assert!(body.contains(
        "type=\"password\" name=\"pass\" style=\"-wap-input-format:&quot;*&lt;ja:en&gt;&quot;\""
    ));
    assert!(body.contains("maxlength=\"7\" style=\"-wap-input-format:&quot;*&lt;ja:n&gt;&quot;\""));
    assert!(!body.contains("istyle"), "i-XHTML ignores istyle");
    assert!(body.contains(" accesskey=\"0\""));
    assert!(body.contains("checked=\"checked\"") && body.contains("selected=\"selected\""));
}

#[test]
fn mailto_links_are_plain_and_carry_no_session() {
    for name in ["docomo", "mova", "au", "softbank", "iphone"] {
        let (h, t) = profile(name);
        let mut page = Page::new("メール投稿");
        page.push(Block::Paragraph(vec![Inline::Link(Link::mailto(
            "d.000g40r40m30e209@m.ashiato.example",
            "日記を書く",
        ))]));
        let r = with_ctx(&h, |ctx| render(&page, ctx, &t, &location(&t)));
        let tags = tags(&r.body);
        let hrefs: Vec<&str> =
            tags.iter().filter(|(n, _)| n == "a").filter_map(|(_, a)| attr(a, "href")).collect();
        assert!(
            hrefs.contains(&"mailto:d.000g40r40m30e209@m.ashiato.example"),
            "{name}: {hrefs:?}"
        );
    }
}

#[test]
fn input_modes_per_dialect() {
    let page = diary_page();
    let mut seen = BTreeMap::new();
    for name in ["mova", "mova501", "au", "sb_p", "softbank", "pc"] {
        let (h, t) = profile(name);
        let r = with_ctx(&h, |ctx| render(&page, ctx, &t, &location(&t)));
        let inputs: Vec<String> = tags(&r.body)
            .into_iter()
            .filter(|(n, a)| n == "input" && attr(a, "name") == Some("zip"))
            .map(|(_, a)| {
                a.iter()
                    .filter(|(k, _)| {
                        matches!(k.as_str(), "istyle" | "mode" | "format" | "inputmode")
                    })
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        seen.insert(name, inputs.join(""));
    }
    assert_eq!(seen["mova"], "istyle=4");
    assert_eq!(seen["mova501"], "", "i-mode HTML 1.0 has no istyle");
    assert_eq!(seen["au"], "istyle=4 format=*N");
    assert_eq!(seen["sb_p"], "mode=numeric");
    assert_eq!(seen["softbank"], "istyle=4 mode=numeric");
    assert_eq!(seen["pc"], "inputmode=numeric");
}

#[test]
fn emoji_and_keycaps_per_carrier() {
    let mut page = Page::new("☀");
    page.menu = vec![MenuItem { key: Some('1'), text: "A".into(), path: "/a".into() }];
    let body = |name: &str| {
        let (h, t) = profile(name);
        with_ctx(&h, |ctx| render(&page, ctx, &t, &location(&t))).body
    };
    let has = |b: &[u8], needle: &[u8]| b.windows(needle.len()).any(|w| w == needle);
    use ashiato_charset::{Charset, EmojiOut, OutputTarget, Unmappable, encode_plain};
    let sjis = |emoji: EmojiOut, s: &str| {
        encode_plain(s, &OutputTarget::new(Charset::ShiftJis, emoji), Unmappable::Geta)
    };
    let docomo = body("docomo");
    assert!(has(&docomo, b"<title>\xf8\x9f</title>"), "docomo sun F89F (keitai.md §10)");
    let keycap = sjis(EmojiOut::Docomo { extended: true }, "1\u{20E3}");
    assert_eq!(keycap.len(), 2, "docomo has a keycap 1");
    assert!(has(&docomo, &[&keycap[..], b"A</a>"].concat()), "docomo keycap 1");
    let au = body("au");
    let au_sun = sjis(EmojiOut::AuSjis, "☀");
    assert!(au_sun.len() == 2 && (0xF3..=0xF7).contains(&au_sun[0]));
    assert!(has(&au, &[&b"<title>"[..], &au_sun, b"</title>"].concat()), "au sun as Shift_JIS");
    let sb = body("sb_c");
    assert!(has(&sb, b"<title>\x1b$Gj\x0f</title>"), "SoftBank webcode");
    let sb3 = body("softbank");
    assert!(has(&sb3, "<title>\u{E04A}</title>".as_bytes()), "SoftBank PUA");
    let em = body("emobile");
    assert!(has(&em, b"<title>&#9728;</title>"), "EMOBILE: NCR for an emoji without text fallback");
    assert!(has(&em, b">1 A</a>"), "no keycaps without emoji");
    let fog = ashiato_charset::emoji::all()
        .find_map(|e| Some((e.unicode()?, e.text_fallback()?)))
        .unwrap();
    let mut fog_page = Page::new(fog.0);
    fog_page.menu.clear();
    let (h, t) = profile("emobile");
    let r = with_ctx(&h, |ctx| render(&fog_page, ctx, &t, &location(&t)));
    let want = [&b"<title>"[..], &sjis(EmojiOut::Unicode, fog.1), b"</title>"].concat();
    assert!(has(&r.body, &want), "EMOBILE: {} as {}", fog.0, fog.1);
    let pc = body("pc");
    assert!(has(&pc, "☀ - ashiato</title>".as_bytes()));
}

#[test]
fn menus_shrink_before_content_is_split() {
    let (h, t) = profile("mova5k");
    let page_with = |text_len: usize| {
        let mut p = Page::new("t");
        p.push(Block::Text("あ".repeat(text_len)));
        p.menu = menu();
        p
    };
    with_ctx(&h, |ctx| {
        let at = Location::new("/x");
        let menu_len =
            |p: &Page| parts(p, ctx, &t, &at).iter().map(|q| q.menu.len()).collect::<Vec<_>>();
        // Short: full menu, one part.
        assert_eq!(menu_len(&page_with(100)), vec![6]);
        // Find a length where the full menu no longer fits but a shorter one does.
        let mut n = 100;
        while menu_len(&page_with(n)) == vec![6] {
            n += 10;
        }
        let shrunk = menu_len(&page_with(n));
        assert_eq!(shrunk.len(), 1, "still one part: {shrunk:?}");
        assert!(shrunk[0] < 6 && shrunk[0] >= 1);
        // Longer: split, every part with a menu and a pager.
        let long = page_with(6000);
        let ps = parts(&long, ctx, &t, &at);
        assert!(ps.len() > 2);
        for (i, p) in ps.iter().enumerate() {
            assert!(!p.menu.is_empty());
            assert_eq!(p.title, "t");
            let Some(Block::Pager(pager)) = p.blocks.last() else { panic!("no pager") };
            assert_eq!(pager.position, Some((i + 1, ps.len())));
            assert_eq!(pager.prev.is_some(), i > 0);
            assert_eq!(pager.next.is_some(), i + 1 < ps.len());
        }
        let Some(Block::Pager(pager)) = ps[1].blocks.last() else { panic!() };
        assert_eq!(pager.prev.as_deref(), Some("/x"));
        assert_eq!(pager.next.as_deref(), Some("/x?p=3"));
    });
}

#[test]
fn requested_parts_are_clamped_and_pager_links_keep_the_query_and_session() {
    let (h, t) = profile("mova");
    with_ctx(&h, |ctx| {
        let page = long_page();
        let at = Location::new("/diary/1?sort=new&p=99&ksid=OLD&guid=ON");
        assert_eq!(at.part, 99);
        let r = render(&page, ctx, &t, &at);
        assert_eq!(r.part, r.parts);
        let body = String::from_utf8_lossy(&r.body);
        let prev = if r.parts > 2 { format!("&amp;p={}", r.parts - 1) } else { String::new() };
        let want = format!(
            "href=\"/diary/1?sort=new{prev}&amp;guid=ON&amp;ksid={TOKEN}\" accesskey=\"*\""
        );
        assert!(body.contains(&want), "{body}");
        assert!(!body.contains("OLD"));
    });
}

#[test]
fn a_form_is_never_split_and_a_tiny_budget_still_holds() {
    let (h, mut t) = profile("mova5k");
    t.budget = ashiato_render::target::BUDGET_FLOOR;
    let mut page = diary_page();
    page.title = "長いタイトル".repeat(200);
    page.flash = Some("長いお知らせ".repeat(200));
    with_ctx(&h, |ctx| {
        let at = Location::new("/x");
        let ps = parts(&page, ctx, &t, &at);
        let forms: usize = ps
            .iter()
            .map(|p| p.blocks.iter().filter(|b| matches!(b, Block::Form(_))).count())
            .sum();
        assert_eq!(forms, 2, "both forms whole, each in one part");
        for n in 1..=ps.len() {
            let r = render(&page, ctx, &t, &Location { part: n, ..at });
            assert!(r.body.len() <= t.budget, "part {n}: {}", r.body.len());
        }
        assert!(ps[0].title.ends_with('\u{2026}'));
    });
}

#[test]
fn split_text_reads_back_through_cp932() {
    if !tool("python3") {
        return;
    }
    let (h, t) = profile("mova5k");
    let text: String =
        (0..400).map(|n| format!("{n}: ソ表能十予<&>\"'〜−ｶﾅ漢字の行です。\n")).collect();
    let mut page = Page::new("日記");
    page.push(Block::Text(text.clone()));
    page.menu = menu();
    let all = render_all(&page, "mova5k");
    assert!(all.len() > 3);
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(
        dir.path(),
        &all.iter()
            .enumerate()
            .map(|(i, r)| (format!("p{i}.html"), r.body.clone()))
            .collect::<Vec<_>>(),
    );
    let decoded = python_cp932(&files);
    let mut joined = String::new();
    for d in &decoded {
        // Content is the <p> after the title; pager and menu are <div>s.
        let start = d.find("</h1><p>").unwrap() + "</h1><p>".len();
        let end = start + d[start..].find("</p>").unwrap();
        joined.push_str(&d[start..end]);
    }
    let joined = joined
        .replace("<br>", "\n")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    // CP932 decoding gives the CP932 forms of 〜 and − (keitai.md §9).
    let expect = text.replace('〜', "～").replace('−', "－");
    assert_eq!(joined, expect);
    let _ = h;
    let _ = t;
}

#[test]
fn shift_jis_pages_decode_with_cp932() {
    if !tool("python3") {
        return;
    }
    let page = diary_page();
    let mut bodies = Vec::new();
    for &(name, _) in PROFILES {
        let (_, t) = profile(name);
        if t.output.charset == ashiato_charset::Charset::ShiftJis {
            for (i, r) in render_all(&page, name).into_iter().enumerate() {
                bodies.push((format!("{name}-{i}.html"), r.body));
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path(), &bodies);
    let decoded = python_cp932(&files);
    for ((name, _), text) in bodies.iter().zip(&decoded) {
        if name.starts_with("au_wap1") {
            continue;
        }
        for needle in [
            "11月26日の日記",
            "ソレイユ",
            "表参道",
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;",
            "ソ表能十予",
            "コメントを書きました",
            "下書き",
        ] {
            assert!(text.contains(needle), "{name}: {needle:?} missing in {text}");
        }
        // Extension rows avoided on keitai: ① becomes (1), 髙 an NCR.
        assert!(text.contains("(1)&#39641;"), "{name}");
    }
}

#[test]
fn chtml_pages_use_only_allowed_markup() {
    for name in ["mova501", "mova5k", "mova", "foma_html3", "sb_c", "sb_p", "willcom", "emobile"] {
        let (_, t) = profile(name);
        assert_eq!(t.dialect, Dialect::Chtml);
        for page in [diary_page(), long_page()] {
            for r in render_all(&page, name) {
                let bad = chtml_violations(&r.body, t.chtml_version, t.input.mode);
                assert!(bad.is_empty(), "{name}: {bad:?}\n{}", String::from_utf8_lossy(&r.body));
            }
        }
    }
    // The checker does catch things.
    assert!(
        !chtml_violations(
            b"<html><body><strong>x</strong><a href=\"/\" accesskey=\"1\">",
            1,
            false
        )
        .is_empty()
    );
}

#[test]
fn xhtml_pages_validate_against_their_doctypes() {
    if !tool("xmllint") || !basic11_installed() {
        return;
    }
    let mut bodies = Vec::new();
    for &(name, _) in PROFILES {
        let (h, mut t) = profile(name);
        if !t.dialect.is_xhtml() {
            continue;
        }
        for (i, page) in [diary_page(), long_page()].iter().enumerate() {
            for (j, r) in render_all(page, name).into_iter().enumerate() {
                bodies.push((format!("{name}-{i}-{j}.html"), r.body));
            }
        }
        // Every i-XHTML level's DOCTYPE.
        if t.dialect == Dialect::IXhtml {
            for level in ashiato_render::target::IXHTML_LEVELS {
                t.ixhtml_level = level;
                let r = with_ctx(&h, |ctx| render(&diary_page(), ctx, &t, &location(&t)));
                bodies.push((format!("{name}-level{level}.html"), r.body));
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path(), &bodies);
    if let Err(e) = xmllint_valid(&files) {
        panic!("xmllint --valid:\n{e}");
    }
}

#[test]
fn pagecheck_accepts_every_profile() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/pagecheck.py");
    if !script.exists() {
        // The team's tool lives beside the repository, not in it: a clone elsewhere skips.
        skipped(&format!("{} not found", script.display()), false);
        return;
    }
    if !tool("python3") || !tool("xmllint") || !basic11_installed() {
        return;
    }
    // pagecheck's own profiles, with the same headers.
    let checks = [
        ("docomo", "docomo"),
        ("mova", "mova"),
        ("au", "au"),
        ("softbank", "softbank"),
        ("iphone", "iphone"),
        ("pc", "pc"),
    ];
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let origin = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::new();
    for (ours, theirs) in checks {
        let (h, t) = profile(ours);
        for (pi, page) in [diary_page(), long_page()].iter().enumerate() {
            let first = with_ctx(&h, |ctx| {
                render(page, ctx, &t, &Location::new("/diary/1").with_origin(&origin))
            });
            for n in 1..=first.parts {
                let r = with_ctx(&h, |ctx| {
                    render(
                        page,
                        ctx,
                        &t,
                        &Location { part: n, ..Location::new("/diary/1").with_origin(&origin) },
                    )
                });
                let file = format!("{ours}-{pi}-{n}");
                std::fs::write(dir.path().join(&file), &r.body).unwrap();
                let query = if h.needs_url_session() {
                    format!("?ksid={TOKEN}&guid=ON")
                } else {
                    String::new()
                };
                manifest.push_str(&format!("{theirs}\t/{file}{query}\t{}\n", r.content_type));
            }
        }
    }
    std::fs::write(dir.path().join("manifest.tsv"), manifest).unwrap();
    let server = r#"
import sys, os, threading, http.server, io, contextlib
sys.path.insert(0, sys.argv[1])
import pagecheck
root, port = sys.argv[2], int(sys.argv[3])
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(root, "manifest.tsv"))]
types = {r[1].split("?")[0]: r[2] for r in rows}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.split("?")[0]
        body = open(os.path.join(root, name.lstrip("/")), "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", types[name])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
ok = True
for profile, path, _ in rows:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        good = pagecheck.check(f"http://127.0.0.1:{port}{path}", profile, None)
    if not good:
        ok = False
        print(profile, out.getvalue())
srv.shutdown()
print("checked", len(rows))
sys.exit(0 if ok else 1)
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(server)
        .arg(script.parent().unwrap())
        .arg(dir.path())
        .arg(port.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "pagecheck:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    println!("{}", stdout.trim());
}

// -- Property test ---------------------------------------------------------------------------

mod property {
    use super::*;
    use proptest::prelude::*;

    /// Characters that stress escaping, encoding and splitting.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 ]{1,12}",
            "[あ-んア-ン漢字日記表能十予ソ]{1,12}",
            Just("<&>\"'".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("☀".to_owned()),
            Just("🍖".to_owned()),
            Just("1\u{FE0F}\u{20E3}".to_owned()),
            Just("#\u{20E3}".to_owned()),
            Just("🇯🇵".to_owned()),
            Just("👨\u{200D}👩\u{200D}👧".to_owned()),
            Just("👍🏽".to_owned()),
            Just("①髙㈱".to_owned()),
            Just("ｶﾞｷﾞ".to_owned()),
            Just("〜−‖".to_owned()),
            Just("é\u{FFFD}\u{FFFF}\u{0007}\u{E63E}".to_owned()),
            Just("🦄".to_owned()),
        ]
    }

    fn text(max_pieces: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 0..max_pieces).prop_map(|v| v.concat())
    }

    /// Text of 0..20000 characters: a few pieces repeated.
    fn long_text() -> impl Strategy<Value = String> {
        (text(8), prop_oneof![3 => 0usize..200, 1 => 0usize..20000]).prop_map(|(s, n)| {
            let mut out = String::new();
            while out.chars().count() < n {
                out.push_str(if s.is_empty() { "あ" } else { &s });
            }
            out.chars().take(20000).collect()
        })
    }

    fn inline() -> impl Strategy<Value = Inline> {
        prop_oneof![
            4 => long_text().prop_map(Inline::Text),
            1 => text(6).prop_map(Inline::Strong),
            1 => Just(Inline::Break),
            2 => (text(6), "[a-z0-9/]{0,30}", prop::option::of(prop::sample::select(vec!['1', '5', '0', '*', '#'])))
                .prop_map(|(t, p, k)| Inline::Link(Link { accesskey: k, ..Link::internal(format!("/{p}"), t) })),
            1 => (text(4), "[a-z]{1,20}").prop_map(|(t, h)| Inline::Link(Link::external(format!("http://{h}.jp/"), t))),
        ]
    }

    fn form() -> impl Strategy<Value = Form> {
        (text(4), text(6), prop::bool::ANY).prop_map(|(value, label, post)| Form {
            action: "/post".into(),
            method: if post { Method::Post } else { Method::Get },
            fields: vec![
                Field::new(
                    "a",
                    label.clone(),
                    FieldKind::Text {
                        value: value.clone(),
                        max_chars: Some(40),
                        mode: InputMode::Hiragana,
                    },
                ),
                Field::new("b", label.clone(), FieldKind::TextArea { value, rows: 4 }),
                Field::new("c", label, FieldKind::Checkbox(post)),
                Field::hidden("d", "1"),
            ],
            submit: "送信".into(),
            multipart: false,
        })
    }

    fn block() -> impl Strategy<Value = Block> {
        prop_oneof![
            3 => long_text().prop_map(Block::Text),
            2 => prop::collection::vec(inline(), 0..4).prop_map(Block::Paragraph),
            1 => text(10).prop_map(Block::Heading),
            1 => prop::collection::vec(prop::collection::vec(text(10).prop_map(Inline::Text), 0..4), 0..8).prop_map(Block::List),
            1 => Just(Block::Separator),
            1 => text(6).prop_map(|t| Block::Notice(Notice::Error(t))),
            1 => text(3).prop_map(|alt| Block::Image(Image { src: "/p/1".into(), alt, width: Some(120), height: None })),
            1 => form().prop_map(Block::Form),
        ]
    }

    fn page() -> impl Strategy<Value = Page> {
        (
            text(10),
            prop::option::of(text(10)),
            prop::collection::vec(block(), 0..8),
            prop::collection::vec(
                (text(4), prop::option::of(prop::sample::select(vec!['0', '1', '9', '#']))),
                0..8,
            ),
        )
            .prop_map(|(title, flash, blocks, menu)| Page {
                title,
                flash,
                blocks,
                menu: menu
                    .into_iter()
                    .enumerate()
                    .map(|(i, (text, key))| MenuItem { key, text, path: format!("/menu/{i}") })
                    .collect(),
            })
    }

    /// All text of the content blocks, in order (pagers and forms excluded).
    fn text_of(blocks: &[Block]) -> String {
        let mut out = String::new();
        let inl = |out: &mut String, v: &[Inline]| {
            for i in v {
                match i {
                    Inline::Text(t) | Inline::Strong(t) => out.push_str(t),
                    Inline::Link(l) => out.push_str(&l.text),
                    Inline::Break => out.push('\u{2028}'),
                }
            }
        };
        for b in blocks {
            match b {
                Block::Heading(s)
                | Block::Text(s)
                | Block::Notice(Notice::Error(s) | Notice::Info(s)) => out.push_str(s),
                Block::Paragraph(v) => inl(&mut out, v),
                Block::List(items) => items.iter().for_each(|v| inl(&mut out, v)),
                _ => {}
            }
        }
        out
    }

    const PROP_PROFILES: &[&str] =
        &["mova5k", "docomo", "browser2", "au", "sb_c", "softbank", "willcom", "iphone", "pc"];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn random_pages_fit_every_budget_and_lose_nothing(page in page()) {
            let original = text_of(&page.blocks);
            let mut xhtml = Vec::new();
            for name in PROP_PROFILES {
                let (h, t) = profile(name);
                with_ctx(&h, |ctx| -> Result<(), TestCaseError> {
                    let at = location(&t);
                    let ps = parts(&page, ctx, &t, &at);
                    let joined: String = ps.iter().map(|p| text_of(&p.blocks)).collect();
                    prop_assert_eq!(&joined, &original, "{}: text lost or duplicated", name);
                    let all = render_parts(&page, ctx, &t, &at);
                    prop_assert_eq!(all.len(), ps.len());
                    for (i, r) in all.into_iter().enumerate() {
                        let n = i + 1;
                        prop_assert_eq!((r.part, r.parts), (n, ps.len()));
                        prop_assert!(r.body.len() <= t.budget, "{}: part {} is {} bytes > {}", name, n, r.body.len(), t.budget);
                        if n == 1 || n == ps.len() {
                            let single = render(&page, ctx, &t, &Location { part: n, ..at });
                            prop_assert!(single == r, "{}: render(part {}) differs from render_parts", name, n);
                        }
                        if t.dialect.is_xhtml() {
                            xhtml.push((format!("{name}-{n}.html"), r.body));
                        }
                    }
                    Ok(())
                })?;
            }
            // Every XHTML part well-formed and valid against its DOCTYPE.
            if *XMLLINT {
                let dir = tempfile::tempdir().unwrap();
                let files = write_files(dir.path(), &xhtml);
                let result = xmllint_valid(&files);
                prop_assert!(result.is_ok(), "xmllint: {}", result.unwrap_err());
            }
        }
    }

    static XMLLINT: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| tool("xmllint") && basic11_installed());
}

#[test]
#[ignore = "prints sample pages"]
fn print_samples() {
    for name in ["docomo", "mova"] {
        for r in render_all(&diary_page(), name) {
            println!(
                "{name} {} bytes\n{}\n",
                r.body.len(),
                encoding_rs::SHIFT_JIS.decode(&r.body).0
            );
        }
    }
}

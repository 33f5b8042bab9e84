use super::*;
use crate::oauth::{Credentials, IncomingRequest, MemoryNonceStore, VerifyPolicy, verify};
use ashiato_charset::Carrier;
use proptest::prelude::*;

fn hosts(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn target_policy() {
    let reg = hosts(&["app.example.jp", "*.cdn.example.jp", "127.0.0.1", "[::1]"]);
    let allow = hosts(&["127.0.0.1"]);
    let ok = |u: &str| check_target(u, &reg, &allow);
    assert!(ok("http://app.example.jp/m?x=1").is_ok());
    assert!(ok("https://APP.example.jp./m").is_ok(), "case and trailing dot");
    assert!(ok("http://img.cdn.example.jp/a.gif").is_ok());
    assert_eq!(
        ok("http://cdn.example.jp/").expect_err("bare"),
        ProxyError::HostNotRegistered("cdn.example.jp".into())
    );
    assert_eq!(
        ok("http://evil.example/").expect_err("foreign"),
        ProxyError::HostNotRegistered("evil.example".into())
    );
    assert_eq!(
        ok("ftp://app.example.jp/").expect_err("scheme"),
        ProxyError::SchemeNotAllowed("ftp".into())
    );
    assert_eq!(
        ok("gopher://app.example.jp/").expect_err("scheme"),
        ProxyError::SchemeNotAllowed("gopher".into())
    );
    assert_eq!(
        ok("http://app.example.jp:8080/").expect_err("port"),
        ProxyError::PortNotAllowed(8080)
    );
    assert!(ok("http://app.example.jp:80/").is_ok());
    assert!(ok("https://app.example.jp:443/").is_ok());
    assert_eq!(ok("http://u:p@app.example.jp/").expect_err("userinfo"), ProxyError::UserInfo);
    assert_eq!(ok("/relative").expect_err("relative"), ProxyError::BadUrl);
    // Allowed private host: any port, loopback literal fine.
    assert!(ok("http://127.0.0.1:8123/gadget.xml").is_ok());
    // Registered but not allowed: a private literal is refused.
    let e = check_target("http://[::1]/", &reg, &allow).expect_err("v6 loopback");
    assert!(matches!(e, ProxyError::PrivateAddress(_)));
    // Decimal / hex IPv4 spellings are normalised by the URL parser, then refused.
    let reg2 = hosts(&["127.0.0.1", "2130706433", "0x7f000001"]);
    for u in ["http://2130706433/", "http://0x7f000001/", "http://127.1/"] {
        assert!(
            matches!(
                check_target(u, &reg2, &[]),
                Err(ProxyError::PrivateAddress(_)) | Err(ProxyError::HostNotRegistered(_))
            ),
            "{u}"
        );
    }
}

#[test]
fn resolved_addresses() {
    let url = Url::parse("http://app.example.jp/").expect("url");
    let ip = |s: &str| s.parse::<IpAddr>().expect(s);
    assert_eq!(check_resolved(&url, &[], &[]), Err(ProxyError::NoAddress));
    assert!(
        check_resolved(&url, &[ip("203.104.209.1"), ip("2404:6800:4004:80a::200e")], &[]).is_ok()
    );
    for bad in [
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "127.0.0.1",
        "127.255.0.9",
        "0.0.0.0",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.0.8",
        "198.18.0.1",
        "192.0.2.1",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "2002:c0a8:0101::1",
        "2001:db8::1",
        "2001:0:4136:e378::1",
        "::10.0.0.1",
    ] {
        let e = check_resolved(&url, &[ip("203.104.209.1"), ip(bad)], &[]).expect_err(bad);
        assert_eq!(e, ProxyError::PrivateAddress(ip(bad)), "{bad}");
        assert!(non_public_reason(ip(bad)).is_some(), "{bad}");
    }
    for good in [
        "8.8.8.8",
        "172.32.0.1",
        "100.128.0.1",
        "192.169.0.1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:0808:0808::1",
    ] {
        assert_eq!(non_public_reason(ip(good)), None, "{good}");
    }
    // Allowed host: private addresses pass.
    let local = Url::parse("http://localhost:9000/").expect("url");
    assert!(check_resolved(&local, &[ip("127.0.0.1")], &hosts(&["localhost"])).is_ok());
}

fn lookup(_: &str) -> Option<Credentials> {
    Some(Credentials { consumer_secret: Some("app-secret".into()), ..Credentials::default() })
}

#[test]
fn forward_strips_adds_and_signs() {
    let target = Url::parse("http://app.example.jp/mobile?page=2&opensocial_owner_id=attacker&OAuth_token=x&xoauth_requestor_id=y&q=%83%5C").expect("url");
    let who = ForwardIdentity {
        app_id: "7",
        owner_id: "john.doe",
        viewer_id: Some("john.doe"),
        app_url: Some("http://app.example.jp/gadget.xml"),
    };
    let consumer = Consumer { key: "app-key", secret: "app-secret", rsa: None };
    let body = b"comment=%83%5C%95%5C+x&opensocial_viewer_id=evil&ok=1";
    let f = prepare_forward(
        "post",
        &target,
        Some((body, Some("application/x-www-form-urlencoded"))),
        &who,
        &consumer,
        "nonce1",
        1_300_000_000,
    )
    .expect("forward");
    assert_eq!(f.method, "POST");
    assert_eq!(
        f.url,
        "http://app.example.jp/mobile?page=2&q=%83%5C&opensocial_app_id=7&opensocial_app_url=http%3A%2F%2Fapp.example.jp%2Fgadget.xml&opensocial_owner_id=john.doe&opensocial_viewer_id=john.doe"
    );
    assert_eq!(f.body.as_deref(), Some(&b"comment=%83%5C%95%5C%20x&ok=1"[..]));
    assert!(f.authorization.starts_with("OAuth oauth_consumer_key=\"app-key\""));
    // The app's side: our own verifier accepts it (the Python app checks independently).
    let req = IncomingRequest {
        method: "POST",
        url: &f.url,
        authorization: Some(f.authorization.as_bytes()),
        content_type: f.content_type.as_deref(),
        body: f.body.as_deref().unwrap_or_default(),
    };
    let v =
        verify(&req, &VerifyPolicy::default(), 1_300_000_000, lookup, &MemoryNonceStore::new(300))
            .expect("verifies");
    assert!(v.params.iter().any(|(k, v)| k == "opensocial_owner_id" && v == "john.doe"));
    assert!(!v.params.iter().any(|(_, v)| v == "attacker" || v == "evil"));

    // JSON body: body hash; GET without viewer.
    let who = ForwardIdentity { viewer_id: None, app_url: None, ..who };
    let f =
        prepare_forward("GET", &target, None, &who, &consumer, "n2", 1_300_000_000).expect("get");
    assert!(!f.url.contains("viewer"));
    let f = prepare_forward(
        "POST",
        &target,
        Some((b"{\"a\":1}", Some("application/json"))),
        &who,
        &consumer,
        "n3",
        1,
    )
    .expect("json");
    assert!(f.authorization.contains("oauth_body_hash"));
}

#[test]
fn headers_and_user_agent() {
    let incoming: Vec<(String, Vec<u8>)> = [
        ("User-Agent", "DoCoMo/2.0 N2001(c10;ser0123456789abcde;icc01234567890123456789)"),
        ("X-DCMGUID", "abc1234"),
        ("X-UP-SUBNO", "01234567890123_ab.ezweb.ne.jp"),
        ("X-UP-DEVCAP-SCREENPIXELS", "240,320"),
        ("x-jphone-uid", "a1b2c3"),
        ("X-JPHONE-MSNAME", "911SH"),
        ("X-S-Display-Info", "240*320/16"),
        ("Cookie", "ksid=secret"),
        ("Authorization", "Basic x"),
        ("Referer", "http://sns/apps/7/?ksid=secret"),
        ("Accept-Language", "ja"),
        ("X-EM-UID", "u"),
        ("Host", "sns"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
    .collect();
    let out = forward_headers(&incoming, "210.153.84.1".parse().expect("ip"));
    let names: Vec<String> = out.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
    assert_eq!(
        names,
        [
            "user-agent",
            "x-up-devcap-screenpixels",
            "x-jphone-msname",
            "x-s-display-info",
            "accept-language",
            "x-forwarded-for"
        ]
    );
    assert_eq!(out[0].1, b"DoCoMo/2.0 N2001(c10)");
    assert_eq!(out[5].1, b"210.153.84.1");

    for (ua, want) in [
        ("DoCoMo/1.0/P503i/c10/serNMABH200331", "DoCoMo/1.0/P503i/c10"),
        (
            "DoCoMo/2.0 P07A3(c500;TB;W24H15;ser123456789012345;icc8981100000000000000F)",
            "DoCoMo/2.0 P07A3(c500;TB;W24H15)",
        ),
        (
            "SoftBank/1.0/910T/TJ001/SN123456789012345 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1",
            "SoftBank/1.0/910T/TJ001 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1",
        ),
        (
            "J-PHONE/4.0/J-SH51/SNJSHA3029293 SH/0001aa Profile/MIDP-1.0 Configuration/CLDC-1.0 Ext-Profile/JSCL-1.1.0",
            "J-PHONE/4.0/J-SH51 SH/0001aa Profile/MIDP-1.0 Configuration/CLDC-1.0 Ext-Profile/JSCL-1.1.0",
        ),
        (
            "Vodafone/1.0/V903T/TJ001/SN123456789012345 Browser/UP.Browser/7.0.2.1",
            "Vodafone/1.0/V903T/TJ001 Browser/UP.Browser/7.0.2.1",
        ),
        (
            "KDDI-CA39 UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0",
            "KDDI-CA39 UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0",
        ),
        ("J-PHONE/3.0/J-SN12", "J-PHONE/3.0/J-SN12"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 5_0 like Mac OS X)",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 5_0 like Mac OS X)",
        ),
    ] {
        assert_eq!(scrub_user_agent(ua), want, "{ua}");
    }
}

#[test]
fn lifecycle_requests_are_signed() {
    let href = Url::parse("http://app.example.jp/lifecycle?x=1&oauth_nonce=old").expect("url");
    let ids = vec!["john.doe".to_owned(), "jane.doe".to_owned()];
    let extra = vec![
        ("from".to_owned(), "invite".to_owned()),
        ("mixi_invite_from".to_owned(), "george.doe".to_owned()),
    ];
    let ev = LifecycleEvent { event_type: "event.addapp", ids: &ids, extra: &extra };
    let consumer = Consumer { key: "app-key", secret: "app-secret", rsa: None };
    for method in [None, Some("POST"), Some("get")] {
        let f = lifecycle_request(&href, method, "7", &ev, &consumer, "ln", 1_300_000_000)
            .expect("request");
        let req = IncomingRequest {
            method: &f.method,
            url: &f.url,
            authorization: Some(f.authorization.as_bytes()),
            content_type: f.content_type.as_deref(),
            body: f.body.as_deref().unwrap_or_default(),
        };
        let v = verify(
            &req,
            &VerifyPolicy::default(),
            1_300_000_000,
            lookup,
            &MemoryNonceStore::new(300),
        )
        .expect("verify");
        let ids: Vec<&str> =
            v.params.iter().filter(|(k, _)| k == "id").map(|(_, v)| v.as_str()).collect();
        assert_eq!(ids, ["john.doe", "jane.doe"], "{method:?}");
        assert!(v.params.iter().any(|(k, v)| k == "eventtype" && v == "event.addapp"));
        assert!(v.params.iter().any(|(k, v)| k == "mixi_invite_from" && v == "george.doe"));
        assert_eq!(f.method == "POST", method == Some("POST"));
    }
}

// ---------------------------------------------------------------------------------------------
// Rewriting

fn proxy_link(u: &Url) -> ProxyLink {
    ProxyLink {
        path: "/apps/7/".into(),
        params: vec![
            ("guid".into(), "ON".into()),
            ("ksid".into(), "S3SS".into()),
            ("url".into(), u.to_string()),
        ],
    }
}

fn image_link(u: &Url) -> Option<String> {
    Some(format!("/apps/7/img?url={}", crate::oauth::percent_encode(u.as_str().as_bytes())))
}

fn pseudo(p: &PseudoLink) -> Option<ProxyLink> {
    container_pseudo_link("/apps/7", p).map(|mut l| {
        l.params.push(("ksid".into(), "S3SS".into()));
        l
    })
}

fn options<'a>(app_hosts: &'a [String], carrier: Carrier) -> RewriteOptions<'a> {
    RewriteOptions {
        app_hosts,
        proxy_link: &proxy_link,
        image_link: &image_link,
        pseudo_link: &pseudo,
        emoji_carrier: carrier,
        max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
        max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
    }
}

fn sjis(s: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(s).0.into_owned()
}

#[test]
fn rewrites_a_keitai_page() {
    let hosts = hosts(&["app.example.jp"]);
    let mut page = sjis(
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\n<!DOCTYPE html PUBLIC \"-//i-mode group (ja)//DTD XHTML i-XHTML(Locale/Ver.=ja/1.0) 1.0//EN\" \"i-xhtml_4ja_10.dtd\">\n\
<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\" /><title>テスト &amp; 足あと</title>\
<script>alert(1)</script><style>body{}</style><base href=\"http://app.example.jp/game/\" /></head>\
<body bgcolor=\"#ffffff\" onload=\"x()\">晴れ",
    );
    page.extend_from_slice(&[0xF8, 0x9F]); // docomo sun
    page.extend_from_slice(&sjis(
        "&#63647;<!-- secret comment -->\
<a href=\"next?p=2\" onclick=\"steal()\" accesskey=\"1\">次へ</a>\
<a href=\"http://app.example.jp/top\">トップ</a>\
<a href=\"https://evil.example/phish\">悪い</a>\
<a href=\"mailto:a@b\">メール</a><a href=\"tel:0120\">電話</a><a href=\" java\tscript:alert(1)\">js</a>\
<a href=\"invite:friends?callback=/game/invited\">招待</a>\
<a href=\"auth:unknown\">謎</a>\
<a href=\"#top\">上へ</a>\
<img src=\"img/a.gif\" alt=\"絵\" /><img src=\"http://evil.example/t.gif\" alt=\"外\" /><img localsrc=\"44\" />\
<form action=\"search\" method=\"get\"><input name=\"q\" /></form>\
<form action=\"/post?x=1\" method=\"post\" utn=\"utn\"><input type=\"image\" src=\"http://evil.example/b.gif\" alt=\"送信\" /></form>\
<form action=\"http://evil.example/steal\"><input name=\"pw\" /></form>\
<iframe src=\"http://evil.example/\"></iframe><object data=\"x.swf\"><p>代替</p></object>\
<p style=\"background:url(http://evil.example/)\">a < b</p>\
</body></html>",
    ));
    let url = Url::parse("http://app.example.jp/game/index?p=1").expect("url");
    let r = rewrite(&page, Some("text/html"), &url, &options(&hosts, Carrier::Docomo))
        .expect("rewrite");
    let b = &r.body;
    assert_eq!(r.charset, "Shift_JIS");
    assert_eq!(r.title.as_deref(), Some("テスト & 足あと"));
    assert_eq!(r.body_attributes, vec![("bgcolor".to_owned(), "#ffffff".to_owned())]);
    assert!(b.starts_with("晴れ☀☀"), "emoji bytes and NCR decoded: {b}");
    for gone in [
        "alert",
        "script",
        "style",
        "secret comment",
        "onclick",
        "onload",
        "steal()",
        "evil.example",
        "mailto",
        "tel:",
        "javascript",
        "utn",
        "iframe",
        "<meta",
        "<title",
        "<html",
        "<body",
        "<head",
        "DOCTYPE",
        "<?xml",
        "auth:",
    ] {
        assert!(!b.contains(gone), "{gone} left in: {b}");
    }
    assert!(b.contains("<a href=\"/apps/7/?guid=ON&amp;ksid=S3SS&amp;url=http%3A%2F%2Fapp.example.jp%2Fgame%2Fnext%3Fp%3D2\" accesskey=\"1\">次へ</a>"), "{b}");
    assert!(b.contains("url=http%3A%2F%2Fapp.example.jp%2Ftop\">トップ</a>"), "{b}");
    assert!(
        b.contains("悪い") && b.contains("メール") && b.contains("電話") && !b.contains(">js<"),
        "{b}"
    );
    assert!(b.contains("<a href=\"/apps/7/invite?callback=http%3A%2F%2Fapp.example.jp%2Fgame%2Finvited&amp;ksid=S3SS\">招待</a>"), "{b}");
    assert!(b.contains("謎"));
    assert!(b.contains("<a href=\"#top\">上へ</a>"));
    assert!(b.contains("<img src=\"/apps/7/img?url=http%3A%2F%2Fapp.example.jp%2Fgame%2Fimg%2Fa.gif\" alt=\"絵\" />"), "{b}");
    assert!(b.contains("外") && !b.contains("t.gif"));
    assert!(!b.contains("localsrc"), "au icon turned into an emoji: {b}");
    assert!(b.contains("<form action=\"/apps/7/\" method=\"get\"><div><input type=\"hidden\" name=\"guid\" value=\"ON\" /><input type=\"hidden\" name=\"ksid\" value=\"S3SS\" /><input type=\"hidden\" name=\"url\" value=\"http://app.example.jp/game/search\" /><input name=\"q\" /></div></form>"), "{b}");
    assert!(b.contains("<form action=\"/apps/7/?guid=ON&amp;ksid=S3SS&amp;url=http%3A%2F%2Fapp.example.jp%2Fpost%3Fx%3D1\" method=\"post\">"), "{b}");
    assert!(b.contains("<input type=\"submit\" alt=\"送信\" value=\"送信\" />"), "{b}");
    assert!(
        b.contains("<input name=\"pw\" />") && !b.contains("steal"),
        "foreign form unwrapped: {b}"
    );
    assert!(b.contains("<p>代替</p>"));
    assert!(b.contains("<p>a &lt; b</p>"), "{b}");
    assert_eq!(r.stats.links_removed, 6, "{:?}", r.stats);
    assert!(r.stats.images_proxied == 1 && r.stats.images_removed == 2, "{:?}", r.stats);
}

#[test]
fn charsets_are_detected() {
    let hosts = hosts(&["app.example.jp"]);
    let url = Url::parse("http://app.example.jp/").expect("url");
    let opts = options(&hosts, Carrier::Docomo);
    // UTF-8 with docomo private-use emoji, charset from meta only.
    let page = "<html><head><meta charset=\"utf-8\"></head><body>雨\u{E63F}</body></html>";
    let r = rewrite(page.as_bytes(), Some("text/html"), &url, &opts).expect("utf8");
    assert_eq!((r.charset, r.body.as_str()), ("UTF-8", "雨☁"));
    // EUC-JP from the header.
    let euc = encoding_rs::EUC_JP.encode("<p>日本語</p>").0.into_owned();
    let r = rewrite(&euc, Some("text/html; charset=EUC-JP"), &url, &opts).expect("euc");
    assert_eq!((r.charset, r.body.as_str()), ("EUC-JP", "<p>日本語</p>"));
    // ISO-2022-JP sniffed from the escape sequence.
    let jis = encoding_rs::ISO_2022_JP.encode("<p>日本語</p>").0.into_owned();
    assert_eq!(detect_charset(None, &jis), encoding_rs::ISO_2022_JP);
    let r = rewrite(&jis, None, &url, &opts).expect("jis");
    assert_eq!(r.body, "<p>日本語</p>");
    // No label, not UTF-8: Shift_JIS; XML declaration label.
    assert_eq!(detect_charset(None, &sjis("<p>表示</p>")), encoding_rs::SHIFT_JIS);
    assert_eq!(
        detect_charset(None, b"<?xml version=\"1.0\" encoding=\"EUC-JP\"?><p/>"),
        encoding_rs::EUC_JP
    );
    assert_eq!(detect_charset(Some("text/html; charset=\"x-sjis\""), b""), encoding_rs::SHIFT_JIS);
    assert_eq!(detect_charset(Some("text/html;charset=Shift-JIS"), b""), encoding_rs::SHIFT_JIS);
    assert_eq!(
        detect_charset(
            None,
            b"<meta http-equiv='Content-Type' content='text/html;charset=windows-31j'>"
        ),
        encoding_rs::SHIFT_JIS
    );
    // au Shift_JIS emoji, SoftBank PUA.
    let mut au = sjis("<p>");
    au.extend_from_slice(&[0xF6, 0x60]);
    let r = rewrite(&au, Some("text/html; charset=Shift_JIS"), &url, &options(&hosts, Carrier::Au))
        .expect("au");
    assert_ne!(r.body, "<p>\u{3013}", "au emoji decoded: {}", r.body);
    let r = rewrite(
        "<p>\u{E04A}</p>".as_bytes(),
        Some("text/html; charset=utf-8"),
        &url,
        &options(&hosts, Carrier::Softbank),
    )
    .expect("sb");
    assert_eq!(r.body, "<p>☀</p>");
    // Not HTML; too large.
    assert!(matches!(
        rewrite(b"GIF89a", Some("image/gif"), &url, &opts),
        Err(ProxyError::NotHtml(_))
    ));
    let big = vec![b'a'; DEFAULT_MAX_INPUT_BYTES + 1];
    assert_eq!(
        rewrite(&big, None, &url, &opts),
        Err(ProxyError::TooLarge(DEFAULT_MAX_INPUT_BYTES))
    );
    let small = RewriteOptions { max_output_bytes: 10, ..options(&hosts, Carrier::Docomo) };
    assert_eq!(
        rewrite(b"<p>0123456789abcdef</p>", None, &url, &small),
        Err(ProxyError::TooLarge(10))
    );
}

#[test]
fn raw_text_elements_do_not_smuggle_markup() {
    let hosts = hosts(&["app.example.jp"]);
    let url = Url::parse("http://app.example.jp/").expect("url");
    for html in [
        "<noscript><script>alert(1)</script><a href=\"http://evil.example/\">x</a></noscript>ok",
        "<xmp><script>alert(1)</script></xmp>ok",
        "<noembed><img src=x onerror=alert(1)></noembed>ok",
        "<noframes><script>alert(1)</script></noframes>ok",
        "<textarea><script>alert(1)</script></textarea>ok",
        "ok<plaintext><script>alert(1)</script>",
        "ok<img src=\"",
        "ok<!-- unterminated",
        "ok<a href=\"http://app.example.jp/x\"",
    ] {
        let r = rewrite(html.as_bytes(), None, &url, &options(&hosts, Carrier::Docomo))
            .expect("rewrite");
        let lower = r.body.to_ascii_lowercase();
        assert!(
            !lower.contains("<script") && !lower.contains("onerror") && !lower.contains("evil"),
            "{html} => {}",
            r.body
        );
        assert!(r.body.starts_with("ok") || r.body.ends_with("ok"), "{html} => {}", r.body);
        // Whatever the container appends stays outside any tag.
        let tail = r.body.rfind('<').map_or("", |i| &r.body[i..]);
        assert!(tail.is_empty() || tail.contains('>'), "{html} => {}", r.body);
    }
}

#[test]
fn brackets_in_attribute_values_become_references() {
    let hosts = hosts(&["app.example.jp"]);
    let url = Url::parse("http://app.example.jp/").expect("url");
    let html =
        "<input type=\"submit\" value=\"次へ&gt;&gt;\" /><input value=\"戻る<<\" title='a\"b' />";
    let r =
        rewrite(html.as_bytes(), None, &url, &options(&hosts, Carrier::Docomo)).expect("rewrite");
    assert!(r.body.contains("value=\"次へ&gt;&gt;\""), "{}", r.body);
    assert!(r.body.contains("value=\"戻る&lt;&lt;\""), "{}", r.body);
    assert!(r.body.contains("title='a\"b'"), "single quotes kept: {}", r.body);
}

#[test]
fn references_in_urls_are_decoded_and_written_back_escaped() {
    let hosts = hosts(&["app.example.jp"]);
    let url = Url::parse("http://app.example.jp/m/").expect("url");
    let html = "<a href=\"list?a=1&amp;b=2\">l</a><a href=\"java&#115;cript:alert(1)\">j</a>\
<a href=\"&#x6A;avascript&colon;x\">k</a><img src=\"i.gif?w=1&amp;h=2\" alt=\"A&amp;B\" />\
<img src=\"http://evil.example/x.gif\" alt=\"C&amp;D &lt;E&gt;\" />";
    let r =
        rewrite(html.as_bytes(), None, &url, &options(&hosts, Carrier::Docomo)).expect("rewrite");
    let b = &r.body;
    assert!(b.contains("<a href=\"/apps/7/?guid=ON&amp;ksid=S3SS&amp;url=http%3A%2F%2Fapp.example.jp%2Fm%2Flist%3Fa%3D1%26b%3D2\">l</a>"), "{b}");
    assert!(!b.contains("alert") && b.contains("</a>j<a"), "decoded javascript: link removed: {b}");
    // `&colon;` is not decoded here, so that one is an (odd) relative link to the app, rewritten
    // like any other: the handset never sees a javascript: URL.
    assert!(
        b.contains("url=http%3A%2F%2Fapp.example.jp%2Fm%2Fjavascript%26colon%3Bx\">k</a>"),
        "{b}"
    );
    assert!(b.contains("i.gif%3Fw%3D1%26h%3D2\" alt=\"A&amp;B\""), "{b}");
    assert!(b.contains("C&amp;D &lt;E&gt;"), "alt text escaped once: {b}");
}

#[test]
fn links_already_in_container_form_are_unwrapped() {
    let hosts = hosts(&["app.example.jp"]);
    let url = Url::parse("http://app.example.jp/m/top").expect("url");
    let html = "<a href=\"?guid=ON&url=http%3A%2F%2Fapp.example.jp%2Fm%2Fitem%3Fid%3D3\">item</a>\
<a href=\"?guid=ON&url=http%3A%2F%2Fevil.example%2F\">evil</a>\
<form action=\"?guid=ON&url=http%3A%2F%2Fapp.example.jp%2Fm%2Fpost\" method=\"post\"></form>";
    let r =
        rewrite(html.as_bytes(), None, &url, &options(&hosts, Carrier::Docomo)).expect("rewrite");
    let b = &r.body;
    assert!(b.contains("url=http%3A%2F%2Fapp.example.jp%2Fm%2Fitem%3Fid%3D3\">item</a>"), "{b}");
    // A wrapped foreign URL falls back to the literal relative link, i.e. the app's own page.
    assert!(b.contains("url=http%3A%2F%2Fapp.example.jp%2Fm%2Ftop%3Fguid%3DON%26url%3Dhttp%253A%252F%252Fevil.example%252F\">evil</a>"), "{b}");
    assert!(
        b.contains(
            "action=\"/apps/7/?guid=ON&amp;ksid=S3SS&amp;url=http%3A%2F%2Fapp.example.jp%2Fm%2Fpost\""
        ),
        "{b}"
    );
}

#[test]
fn app_emoji_carrier_follows_the_handset() {
    use ashiato_handset::Carrier as H;
    assert_eq!(app_emoji_carrier(H::Au), Carrier::Au);
    assert_eq!(app_emoji_carrier(H::Softbank), Carrier::Softbank);
    assert_eq!(app_emoji_carrier(H::Willcom), Carrier::Docomo);
    assert_eq!(app_emoji_carrier(H::Smartphone), Carrier::Docomo);
}

/// The attributes of every real tag in the output (`<` followed by a letter), roughly as a
/// browser would split them.
fn tag_attributes(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            let mut j = i + 1;
            while j < bytes.len()
                && !bytes[j].is_ascii_whitespace()
                && bytes[j] != b'>'
                && bytes[j] != b'/'
            {
                j += 1;
            }
            loop {
                while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b'/') {
                    j += 1;
                }
                if j >= bytes.len() || bytes[j] == b'>' {
                    break;
                }
                let start = j;
                while j < bytes.len()
                    && !bytes[j].is_ascii_whitespace()
                    && !matches!(bytes[j], b'=' | b'>' | b'/')
                {
                    j += 1;
                }
                let name = body[start..j].to_ascii_lowercase();
                let mut value = String::new();
                if bytes.get(j) == Some(&b'=') {
                    j += 1;
                    match bytes.get(j) {
                        Some(&q @ (b'"' | b'\'')) => {
                            let end = body[j + 1..]
                                .find(char::from(q))
                                .map_or(bytes.len(), |e| j + 1 + e);
                            value = body[j + 1..end].to_owned();
                            j = (end + 1).min(bytes.len());
                        }
                        _ => {
                            let start = j;
                            while j < bytes.len()
                                && !bytes[j].is_ascii_whitespace()
                                && bytes[j] != b'>'
                            {
                                j += 1;
                            }
                            value = body[start..j].to_owned();
                        }
                    }
                }
                if name.is_empty() {
                    j += 1;
                    continue;
                }
                out.push((name, value));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Every URL attribute in the output points at the container (or is a fragment), and no tag
/// has an `on…` attribute.
fn only_container_urls(body: &str) -> bool {
    tag_attributes(body).iter().all(|(name, value)| {
        let url_attr = matches!(
            name.as_str(),
            "href" | "src" | "action" | "data" | "poster" | "background" | "lowsrc" | "formaction"
        );
        !name.starts_with("on")
            && (!url_attr || value.starts_with('#') || value.starts_with("/apps/7/"))
    })
}

/// No tag in the output has an `on…` attribute.
fn no_event_attributes(body: &str) -> bool {
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let tag_end = rest[open..].find('>').map_or(rest.len(), |e| open + e);
        let tag = &rest[open..tag_end];
        let mut in_quote = None;
        let mut prev_space = false;
        for (i, c) in tag.char_indices() {
            match in_quote {
                Some(q) if c == q => in_quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => in_quote = Some(c),
                None => {
                    if prev_space && tag[i..].starts_with("on") {
                        return false;
                    }
                }
            }
            prev_space = in_quote.is_none() && c.is_whitespace();
        }
        rest = &rest[tag_end..];
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let hosts = hosts(&["app.example.jp"]);
        let url = Url::parse("http://app.example.jp/a/b").expect("url");
        if let Ok(r) = rewrite(&bytes, None, &url, &options(&hosts, Carrier::Docomo)) {
            prop_assert!(r.body.len() <= DEFAULT_MAX_OUTPUT_BYTES);
            prop_assert!(!r.body.to_ascii_lowercase().contains("<script"));
        }
    }

    #[test]
    fn generated_markup_keeps_only_container_urls(
        parts in proptest::collection::vec(prop_oneof![
            Just("<a href=\"".to_owned()), Just("\">".to_owned()), Just("</a>".to_owned()),
            Just("<img src=\"".to_owned()), Just("<form action=\"".to_owned()), Just("<area href=\"".to_owned()),
            Just("http://evil.example/".to_owned()), Just("http://app.example.jp/x".to_owned()), Just("javascript:".to_owned()),
            Just("JaVaScRiPt:".to_owned()), Just("mailto:a".to_owned()), Just("invite:friends".to_owned()), Just("//evil.example/".to_owned()),
            Just("../../".to_owned()), Just("\"".to_owned()), Just("'".to_owned()), Just(" onclick=x ".to_owned()),
            Just("<script>".to_owned()), Just("</script>".to_owned()), Just("<".to_owned()), Just(">".to_owned()),
            Just("<base href=\"http://evil.example/\">".to_owned()), Just("<video src=".to_owned()), Just("<td background=".to_owned()),
            Just("<input type=image src=".to_owned()), Just("<noscript>".to_owned()), Just("<object data=".to_owned()), Just(" src=".to_owned()),
            Just(" href=".to_owned()), Just("<p ".to_owned()), "[a-z?=&#/ ]{0,6}",
        ], 0..40),
    ) {
        let html = parts.concat();
        let hosts = hosts(&["app.example.jp"]);
        let url = Url::parse("http://app.example.jp/a/b").expect("url");
        let r = rewrite(html.as_bytes(), Some("text/html"), &url, &options(&hosts, Carrier::Docomo)).expect("rewrites");
        prop_assert!(only_container_urls(&r.body), "{} => {}", html, r.body);
        let lower = r.body.to_ascii_lowercase();
        prop_assert!(no_event_attributes(&lower), "{}", r.body);
        prop_assert!(!lower.contains("<script"), "{}", r.body);
    }
}

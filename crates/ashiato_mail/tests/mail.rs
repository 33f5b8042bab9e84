//! Integration tests: every fixture in `fixtures/mail/` through `parse_inbound` and the
//! policy, MIME torture (security.md S-26..S-30), a property test over random and mutated
//! bytes, and notification mails parsed back with mail-parser for every carrier.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ashiato_charset::{Carrier, contains_private_use, decode_mail_text};
use ashiato_core::DiaryId;
use ashiato_mail::*;
use mail_parser::{MessageParser, MimeHeaders};
use proptest::prelude::*;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mail")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(name: &str) -> Inbound {
    parse_inbound(&fixture(name), &InboundLimits::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn config() -> AddressConfig {
    AddressConfig { domain: "m.ashiato.example".into(), prefix: String::new() }
}

/// The token of every fixture's `To:` (bytes 00..09).
fn token() -> Token {
    new_token([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
}

fn recipient(action: Action) -> Recipient {
    let addr = format_recipient(action, &token(), &config());
    parse_recipient(&addr, &config()).expect("own address parses")
}

fn accept(inbound: &Inbound, action: Action) -> Accepted {
    match decide(inbound, &recipient(action), None, SenderPolicy::AnyFrom) {
        Decision::Accept(a) => a,
        other => panic!("expected accept, got {other:?}"),
    }
}

fn refusal(decision: Decision) -> Reply {
    match decision {
        Decision::Refuse(r) => r,
        other => panic!("expected refusal, got {other:?}"),
    }
}

const JPEG_LEN: usize = 159;
const PNG_LEN: usize = 67;
const GIF_LEN: usize = 35;

// ---------------------------------------------------------------------------------------------
// Fixtures

#[test]
fn fixtures_are_reproducible() {
    let script = fixtures_dir().join("make_fixtures.py");
    match std::process::Command::new("python3").arg(&script).arg("--check").output() {
        Ok(out) => assert!(
            out.status.success(),
            "fixtures differ from make_fixtures.py: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("skipped: python3 not runnable ({e})"),
    }
}

#[test]
fn docomo_shift_jis_with_emoji_and_jpeg() {
    let m = parse("docomo_sjis_emoji_jpeg.eml");
    assert_eq!(m.carrier, MailCarrier::Docomo);
    assert_eq!(m.from.as_ref().map(ToString::to_string).as_deref(), Some("taro.@docomo.ne.jp"));
    assert_eq!(m.subject, "晴れた☀");
    // F8 9F sun, F8 A0 cloud; ソ 表 能 have trail byte 0x5C and must come through intact.
    assert_eq!(m.text, "今日は晴れ☀、のち曇り☁。\nソ表能");
    assert_eq!(m.images.len(), 1);
    let img = &m.images[0];
    assert_eq!((img.kind, img.bytes.len(), img.inline), (ImageKind::Jpeg, JPEG_LEN, false));
    assert_eq!(img.declared_type, "image/jpeg");
    assert_eq!(img.filename.as_deref(), Some("photo.jpg"));
    assert_eq!(img.bytes, fixture("images/tiny.jpg"));
    assert!(m.notices.is_empty());
    assert_eq!(m.message_id.as_deref(), Some("docomo.1@docomo.ne.jp"));
    assert_eq!(m.dedup.source, DedupSource::MessageId);
    assert!(should_auto_reply(&m));

    let a = accept(&m, Action::NewDiary);
    assert_eq!((a.title.as_str(), a.body.as_str(), a.images), ("晴れた☀", m.text.as_str(), 1));
}

#[test]
fn raw_shift_jis_headers_from_docomo() {
    // Some docomo handsets put raw Shift_JIS (with emoji) in Subject and the display name.
    let raw = fixture("docomo_sjis_emoji_jpeg.eml");
    let subject_start = raw.windows(9).position(|w| w == b"Subject: ").expect("subject") + 9;
    let subject_end =
        subject_start + raw[subject_start..].iter().position(|&b| b == b'\r').expect("crlf");
    let mut bytes = raw[..subject_start].to_vec();
    bytes.extend_from_slice(b"\x90\xb0\x82\xea\xf8\x9f \x83\x5c\x95\x5c");
    bytes.extend_from_slice(&raw[subject_end..]);
    let from_line = b"From: taro.@docomo.ne.jp";
    let at = bytes.windows(from_line.len()).position(|w| w == from_line).expect("from");
    let mut with_name = bytes[..at].to_vec();
    with_name.extend_from_slice(b"From: \x91\xbe\x98\x59 <taro.@docomo.ne.jp>");
    with_name.extend_from_slice(&bytes[at + from_line.len()..]);
    let m = parse_inbound(&with_name, &InboundLimits::default()).expect("parses");
    assert_eq!(m.subject, "晴れ☀ ソ表");
    assert_eq!(m.from.as_ref().map(ToString::to_string).as_deref(), Some("taro.@docomo.ne.jp"));
    assert_eq!(m.carrier, MailCarrier::Docomo);
}

#[test]
fn au_iso2022jp_with_mail_jis_emoji_and_cp50220() {
    let m = parse("au_iso2022jp_emoji.eml");
    assert_eq!(m.carrier, MailCarrier::Au);
    // 75 73 baseball in the subject, 75 41 sun in the body; ESC ( I kana; NEC row 13 ㈱.
    assert_eq!(m.subject, "野球⚾");
    assert_eq!(m.text, "今日は晴れ☀\nｶﾀｶﾅ ㈱ashiato");
    assert!(m.images.is_empty());
    assert_eq!(accept(&m, Action::NewDiary).title, "野球⚾");
}

#[test]
fn softbank_utf8_private_use_emoji() {
    let m = parse("softbank_utf8.eml");
    assert_eq!(m.carrier, MailCarrier::Softbank);
    assert_eq!(m.subject, "晴れ☀");
    assert_eq!(m.text, "晴れ☀です\n男の子👦");
}

#[test]
fn iphone_unicode_emoji_quoted_printable_and_png() {
    let m = parse("iphone_unicode.eml");
    assert_eq!(m.carrier, MailCarrier::Iphone);
    assert_eq!(m.subject, "猫🐱");
    assert_eq!(m.text, "猫です🐱\n晴れ☀\u{FE0F}");
    assert_eq!(m.images.len(), 1);
    assert_eq!((m.images[0].kind, m.images[0].bytes.len()), (ImageKind::Png, PNG_LEN));
    assert_eq!(m.images[0].filename.as_deref(), Some("cat.png"));
}

#[test]
fn decorated_mail_takes_plain_text_and_inline_image() {
    let m = parse("decomail_related.eml");
    assert_eq!(m.subject, "デコメ");
    assert_eq!(m.text, "デコメです☀");
    assert_eq!(m.images.len(), 1);
    let img = &m.images[0];
    assert_eq!((img.kind, img.bytes.len(), img.inline), (ImageKind::Gif, GIF_LEN, true));
    assert!(!m.notices.contains(&Notice::TextFromHtml));
}

#[test]
fn decorated_mail_without_plain_text_falls_back_to_html() {
    let m = parse("decomail_html_only.eml");
    // Tags and <style> gone, <br> a line break, &amp; and &#xE63E; (docomo sun) decoded,
    // raw F8 A0 (cloud) in the HTML decoded.
    assert_eq!(m.text, "本文&☀\n二行目☁");
    assert!(m.notices.contains(&Notice::TextFromHtml));
    assert_eq!(m.images.len(), 1);
    assert!(m.images[0].inline);
}

#[test]
fn willcom_iso2022jp_with_raw_docomo_emoji() {
    let m = parse("willcom_iso2022jp_docomo_emoji.eml");
    assert_eq!(m.carrier, MailCarrier::Willcom);
    assert_eq!(m.text, "晴れ☀");
}

#[test]
fn no_private_use_survives_any_fixture() {
    for entry in std::fs::read_dir(fixtures_dir()).expect("fixtures dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = std::fs::read(&path).expect("read");
        if let Ok(m) = parse_inbound(&raw, &InboundLimits::default()) {
            assert!(!contains_private_use(&m.subject), "{}", path.display());
            assert!(!contains_private_use(&m.text), "{}", path.display());
        }
    }
}

#[test]
fn forged_sender() {
    let m = parse("forged_sender.eml");
    // A guessed posting address is an unknown recipient: nothing posted, 67 / 550 5.1.1.
    let guessed = parse_recipient("d.zzzzzzzzzzzzzzzz@m.ashiato.example", &config())
        .map(|r| r.token == token());
    assert_eq!(guessed, Ok(false));
    let bad =
        parse_recipient("diary@m.ashiato.example", &config()).expect_err("not a posting address");
    assert_eq!((bad.reply().exit_code(), bad.reply().code), (67, 550));
    assert_eq!(bad.reply().to_string(), "550 5.1.1 no such posting address");

    // The right secret address with someone else's From: refused under the strict policy.
    let registered = parse_mailbox("hanako@ezweb.ne.jp");
    let r = refusal(decide(
        &m,
        &recipient(Action::NewDiary),
        registered.as_ref(),
        SenderPolicy::RegisteredAddress,
    ));
    assert_eq!((r.exit_code(), r.code, r.status), (65, 550, "5.7.1"));
    // Without a registered address the strict policy refuses everyone.
    let r =
        refusal(decide(&m, &recipient(Action::NewDiary), None, SenderPolicy::RegisteredAddress));
    assert_eq!(r.status, "5.7.1");
    // From is forgeable: a forged carrier From passes the carrier-domain policy, and the
    // default policy relies on the secret address alone (README, "Sender policy").
    assert!(matches!(
        decide(&m, &recipient(Action::NewDiary), None, SenderPolicy::CarrierDomain),
        Decision::Accept(_)
    ));
    // The registered address matches case-insensitively.
    let me = parse_mailbox("Taro.@DoCoMo.ne.jp");
    assert!(matches!(
        decide(&m, &recipient(Action::NewDiary), me.as_ref(), SenderPolicy::RegisteredAddress),
        Decision::Accept(_)
    ));
    // A PC sender fails the carrier-domain policy.
    let pc = parse("list_mail.eml");
    let mut pc = pc.clone();
    pc.loop_facts = LoopFacts::default();
    let r = refusal(decide(&pc, &recipient(Action::NewDiary), None, SenderPolicy::CarrierDomain));
    assert_eq!(r.status, "5.7.1");
}

#[test]
fn bounce_is_discarded_without_reply() {
    let m = parse("bounce_dsn.eml");
    let f = &m.loop_facts;
    assert!(f.report && f.empty_return_path && f.automated_sender);
    assert_eq!(f.auto_submitted.as_deref(), Some("auto-replied"));
    assert!(!should_auto_reply(&m));
    assert_eq!(
        decide(&m, &recipient(Action::NewDiary), None, SenderPolicy::AnyFrom),
        Decision::Discard(DiscardReason::Automated)
    );
}

/// The SPF verdict is the nearest MTA's: the topmost `Received-SPF`, else the topmost
/// `Authentication-Results`; a sender's own header further down is never read.
#[test]
fn spf_verdict_is_the_topmost_headers() {
    let base = String::from_utf8(fixture("forged_sender.eml")).expect("ascii fixture");
    let with = |headers: &str| {
        let raw = format!("{headers}{base}");
        parse_inbound(raw.as_bytes(), &InboundLimits::default()).expect("parse").spf
    };
    assert_eq!(with(""), None);
    assert_eq!(
        with("Received-SPF: Fail (mailfrom) identity=mailfrom; client-ip=192.0.2.1\r\n"),
        Some("fail".into())
    );
    assert_eq!(
        with("Received-SPF: Softfail (x)\r\nReceived-SPF: Pass (forged by the sender)\r\n"),
        Some("softfail".into())
    );
    assert_eq!(
        with("Authentication-Results: mx.example; spf=fail smtp.mailfrom=docomo.ne.jp\r\n"),
        Some("fail".into())
    );
    // The topmost results without spf= hide a sender's forged one below.
    assert_eq!(
        with(
            "Authentication-Results: mx.example; dkim=none\r\nAuthentication-Results: x; spf=pass\r\n"
        ),
        None
    );
}

#[test]
fn loop_protection_rfc3834() {
    let auto = parse("auto_reply.eml");
    assert_eq!(auto.loop_facts.auto_submitted.as_deref(), Some("auto-replied"));
    assert!(!should_auto_reply(&auto));
    assert!(matches!(
        decide(&auto, &recipient(Action::NewDiary), None, SenderPolicy::AnyFrom),
        Decision::Discard(_)
    ));

    let list = parse("list_mail.eml");
    assert_eq!(list.loop_facts.precedence.as_deref(), Some("list"));
    assert_eq!(list.loop_facts.list_headers, ["List-ID", "List-Unsubscribe"]);
    assert!(!should_auto_reply(&list));

    // Header variants on an otherwise human mail.
    let base = String::from_utf8(fixture("forged_sender.eml")).expect("ascii fixture");
    let cases = [
        ("Auto-Submitted: auto-generated\r\n", false),
        ("Auto-Submitted: No\r\n", true),
        ("Auto-Submitted: no (human)\r\n", true),
        ("Precedence: bulk\r\n", false),
        ("Precedence: junk\r\n", false),
        ("Precedence: first-class\r\n", true),
        ("List-Help: <mailto:help@x.example>\r\n", false),
        ("X-Mailer: keitai\r\n", true),
    ];
    for (header, replies) in cases {
        let raw = base.replacen("Subject:", &format!("{header}Subject:"), 1);
        let m = parse_inbound(raw.as_bytes(), &InboundLimits::default()).expect("parses");
        assert_eq!(should_auto_reply(&m), replies, "{header}");
    }
    let daemon = base.replacen("From: taro.@docomo.ne.jp", "From: Mailer-Daemon@mx.example", 1);
    let m = parse_inbound(daemon.as_bytes(), &InboundLimits::default()).expect("parses");
    assert!(!should_auto_reply(&m));

    // The envelope sender counts too.
    let mut m = parse("docomo_sjis_emoji_jpeg.eml");
    assert!(should_auto_reply(&m));
    m.apply_envelope_sender("<>");
    assert!(!should_auto_reply(&m));
    assert!(matches!(
        decide(&m, &recipient(Action::NewDiary), None, SenderPolicy::AnyFrom),
        Decision::Discard(_)
    ));
    let mut m = parse("docomo_sjis_emoji_jpeg.eml");
    m.apply_envelope_sender("MAILER-DAEMON@mx.example");
    assert!(!should_auto_reply(&m));
    let mut m = parse("docomo_sjis_emoji_jpeg.eml");
    m.apply_envelope_sender("taro.@docomo.ne.jp");
    assert!(should_auto_reply(&m));
}

#[test]
fn five_deep_multipart_is_fine() {
    let m = parse("nested_5.eml");
    assert_eq!(m.text, "deep text");
    assert_eq!(accept(&m, Action::NewDiary).title, "nested");
}

#[test]
fn hundred_deep_multipart_is_refused_quickly() {
    let raw = fixture("nested_100.eml");
    let start = Instant::now();
    let err = parse_inbound(&raw, &InboundLimits::default()).expect_err("too deep");
    assert!(start.elapsed() < Duration::from_millis(100));
    assert_eq!(err, MailError::TooDeep { limit: 10 });
    assert_eq!(err.kind(), Disposition::Permanent);
    assert_eq!(err.reply().to_string(), "554 5.6.0 MIME nesting deeper than 10");
    assert_eq!(err.reply().exit_code(), 65);
}

#[test]
fn five_images_keep_three_or_refuse() {
    let m = parse("five_images.eml");
    let kinds: Vec<_> = m.images.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [ImageKind::Jpeg, ImageKind::Png, ImageKind::Gif]);
    assert_eq!(
        m.notices,
        [
            Notice::AttachmentIgnored { declared_type: "video/3gpp".into() },
            Notice::UnsupportedImage { declared_type: "image/bmp".into() },
            Notice::ImagesDropped { kept: 3, dropped: 2 },
        ]
    );
    let a = accept(&m, Action::NewDiary);
    assert_eq!((a.body.as_str(), a.images), ("写真五枚", 3));
    assert!(a.notices.contains(&Notice::ImagesDropped { kept: 3, dropped: 2 }));

    let strict = InboundLimits { extra_images: ExtraImages::Refuse, ..InboundLimits::default() };
    let err = parse_inbound(&fixture("five_images.eml"), &strict).expect_err("refused");
    assert_eq!(err, MailError::TooManyImages { found: 5, limit: 3 });
    assert_eq!(err.reply().code, 554);
}

#[test]
fn no_text_and_no_image_is_refused() {
    let m = parse("empty.eml");
    assert_eq!((m.subject.as_str(), m.text.as_str(), m.images.len()), ("", "", 0));
    assert_eq!(m.dedup.source, DedupSource::ContentHash);
    let r = refusal(decide(&m, &recipient(Action::NewDiary), None, SenderPolicy::AnyFrom));
    assert_eq!((r.exit_code(), r.code, r.status), (65, 550, "5.6.0"));
    let r =
        refusal(decide(&m, &recipient(Action::Comment(DiaryId(7))), None, SenderPolicy::AnyFrom));
    assert_eq!(r.status, "5.6.0");
}

#[test]
fn actions_take_what_they_need() {
    let photo = parse("profile_photo.eml");
    let a = accept(&photo, Action::ProfilePhoto);
    assert_eq!((a.images, a.title.as_str()), (1, ""));
    // A diary with only an image and no subject has an empty title (the caller's "no title").
    assert_eq!(accept(&photo, Action::NewDiary).title, "");

    let docomo = parse("docomo_sjis_emoji_jpeg.eml");
    let c = accept(&docomo, Action::Comment(DiaryId(42)));
    assert_eq!(c.action, Action::Comment(DiaryId(42)));
    assert_eq!((c.body.as_str(), c.images), (docomo.text.as_str(), 0));
    assert!(c.notices.contains(&Notice::ImagesDropped { kept: 0, dropped: 1 }));

    let text_only = parse("softbank_utf8.eml");
    let r =
        refusal(decide(&text_only, &recipient(Action::ProfilePhoto), None, SenderPolicy::AnyFrom));
    assert_eq!(r.status, "5.6.0");

    let five = parse("five_images.eml");
    let p = accept(&five, Action::ProfilePhoto);
    assert_eq!(p.images, 1);
    assert!(p.notices.contains(&Notice::ImagesDropped { kept: 1, dropped: 2 }));

    // No subject: the title is the first line of the text, cut to 30 characters.
    let mut untitled = parse("au_iso2022jp_emoji.eml");
    untitled.subject.clear();
    assert_eq!(accept(&untitled, Action::NewDiary).title, "今日は晴れ☀");
    untitled.text = "あ".repeat(50);
    assert_eq!(accept(&untitled, Action::NewDiary).title.chars().count(), TITLE_FROM_BODY_CHARS);
}

#[test]
fn broken_base64_is_repaired() {
    let m = parse("broken_base64.eml");
    assert_eq!(m.text, "壊れた");
    assert_eq!(m.images.len(), 1);
    assert_eq!(m.images[0].bytes, fixture("images/tiny.png"));
    assert_eq!(
        m.notices,
        [
            Notice::EncodingRepaired { declared_type: "text/plain".into() },
            Notice::EncodingRepaired { declared_type: "image/png".into() },
        ]
    );
}

#[test]
fn broken_iso2022jp_escapes_decode_to_replacement_characters() {
    let m = parse("broken_iso2022jp.eml");
    // Subject word without its final ESC ( B still decodes.
    assert_eq!(m.subject, "あ");
    // A lone byte in two-byte mode and a JIS X 0212 character become U+FFFD; a missing
    // final ESC ( B loses nothing.
    assert_eq!(m.text, "壊れ \u{FFFD}\n\u{FFFD}ok あ");
}

#[test]
fn duplicate_keys() {
    let a = parse("docomo_sjis_emoji_jpeg.eml");
    let b = parse("docomo_sjis_emoji_jpeg.eml");
    assert_eq!(a.dedup, b.dedup);
    assert_ne!(a.dedup, parse("decomail_related.eml").dedup);
    assert_eq!(a.dedup.to_hex().len(), 64);

    // Without a Message-ID: the same content with another Received trace is the same key;
    // another body is not.
    let raw = String::from_utf8(fixture("empty.eml")).expect("ascii");
    let key =
        |raw: &str| parse_inbound(raw.as_bytes(), &InboundLimits::default()).expect("parses").dedup;
    let retried = format!("Received: from mx2.example by mx.ashiato.example\r\n{raw}");
    assert_eq!(key(&raw), key(&retried));
    assert_ne!(key(&raw), key(&raw.replace("   ", "hello")));
    assert_ne!(key(&raw), key(&raw.replace("taro.@", "jiro.@")));
}

// ---------------------------------------------------------------------------------------------
// MIME torture (S-30)

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

#[test]
fn oversized_message_is_refused_before_parsing() {
    let limits = InboundLimits::default();
    let mut raw = b"From: taro.@docomo.ne.jp\r\nSubject: big\r\n\r\n".to_vec();
    raw.resize(limits.max_message_bytes + 1, b'a');
    let (res, took) = timed(|| parse_inbound(&raw, &limits));
    let err = res.expect_err("too large");
    assert_eq!(
        err,
        MailError::TooLarge { size: limits.max_message_bytes + 1, limit: limits.max_message_bytes }
    );
    assert_eq!(err.reply().to_string(), format!("552 5.3.4 {err}"));
    assert!(took < Duration::from_millis(50), "{took:?}");
    // Configurable.
    let small = InboundLimits { max_message_bytes: 1000, ..limits };
    assert!(matches!(
        parse_inbound(&fixture("five_images.eml"), &small),
        Err(MailError::TooLarge { .. })
    ));
}

#[test]
fn large_but_allowed_message_parses() {
    // A 9 MB JPEG attachment (a real JPEG header, padding after it).
    let mut jpeg = fixture("images/tiny.jpg");
    jpeg.resize(6_500_000, 0);
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&jpeg);
    let mut raw = String::from(
        "From: taro.@docomo.ne.jp\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\ntext\r\n--x\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    for line in b64.as_bytes().chunks(76) {
        raw.push_str(std::str::from_utf8(line).expect("ascii"));
        raw.push_str("\r\n");
    }
    raw.push_str("--x--\r\n");
    assert!(raw.len() < 10 * 1024 * 1024);
    let (res, took) = timed(|| parse_inbound(raw.as_bytes(), &InboundLimits::default()));
    let m = res.expect("parses");
    assert_eq!((m.text.as_str(), m.images.len(), m.images[0].bytes.len()), ("text", 1, 6_500_000));
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn ten_megabytes_of_headers_are_refused_cheaply() {
    let limits = InboundLimits { max_message_bytes: 11 * 1024 * 1024, ..InboundLimits::default() };
    let mut raw = String::from("From: taro.@docomo.ne.jp\r\n");
    while raw.len() < 10 * 1024 * 1024 {
        raw.push_str("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    raw.push_str("\r\nbody\r\n");
    let (res, took) = timed(|| parse_inbound(raw.as_bytes(), &limits));
    assert_eq!(res, Err(MailError::HeaderTooLarge { limit: 64 * 1024 }));
    assert!(took < Duration::from_millis(100), "{took:?}");
}

#[test]
fn attached_message_chain_cannot_overflow_the_stack() {
    // mail-parser nests a Message value per attached message; 300,000 levels (10 MB) would
    // abort the process. The prescan refuses long before.
    let level = "Content-Type: message/rfc822\r\n\r\n";
    let raw = format!("From: a@b.example\r\n{}", level.repeat(300_000));
    assert!(raw.len() < 10 * 1024 * 1024);
    let (res, took) = timed(|| parse_inbound(raw.as_bytes(), &InboundLimits::default()));
    assert_eq!(res, Err(MailError::TooDeep { limit: 10 }));
    assert!(took < Duration::from_millis(500), "{took:?}");
    // A few attached messages are fine and ignored with a notice.
    let one = "From: a@docomo.ne.jp\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nmy text\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner text\r\n--x--\r\n";
    let m = parse_inbound(one.as_bytes(), &InboundLimits::default()).expect("parses");
    assert_eq!(m.text, "my text");
    assert_eq!(m.notices, [Notice::AttachmentIgnored { declared_type: "message/rfc822".into() }]);
}

#[test]
fn fifty_attachments_and_too_many_parts() {
    let jpeg = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(fixture("images/tiny.jpg"))
    };
    let build = |n: usize| {
        let mut raw = String::from(
            "From: a@docomo.ne.jp\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\ntext\r\n",
        );
        for _ in 0..n {
            raw.push_str(&format!("--x\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n{jpeg}\r\n"));
        }
        raw.push_str("--x--\r\n");
        raw
    };
    let m = parse_inbound(build(50).as_bytes(), &InboundLimits::default())
        .expect("52 parts are allowed");
    assert_eq!(m.images.len(), 3);
    assert!(m.notices.contains(&Notice::ImagesDropped { kept: 3, dropped: 47 }));
    assert_eq!(
        parse_inbound(build(100).as_bytes(), &InboundLimits::default()),
        Err(MailError::TooManyParts { limit: 64 })
    );
}

#[test]
fn pathological_header_values_stay_bounded() {
    // Nested comments, quotes and encoded words as deep as the 64 KiB header cap allows, in
    // the headers mail-parser parses structurally and in the ones we read ourselves.
    let n = 60_000;
    let values = [
        "(".repeat(n),
        format!("{}a@b.example{}", "(".repeat(n / 2), ")".repeat(n / 2)),
        "\"".repeat(n),
        "<".repeat(n),
        ":".repeat(n),
        "=?UTF-8?B?".repeat(n / 10),
        "=?ISO-2022-JP?B?GyRC?= ".repeat(n / 24),
    ];
    for v in &values {
        for name in
            ["From", "Subject", "Content-Type", "Message-ID", "Return-Path", "Auto-Submitted"]
        {
            let raw = format!("{name}: {v}\r\nTo: x@y.example\r\n\r\nbody\r\n");
            let (res, took) = timed(|| parse_inbound(raw.as_bytes(), &InboundLimits::default()));
            assert!(took < Duration::from_secs(1), "{name}: {took:?}");
            if let Ok(m) = res {
                assert!(!contains_private_use(&m.subject));
            }
        }
    }
}

/// Found by `mime_shaped_noise_never_panics`: a message/rfc822 part whose body is another empty
/// message/rfc822 trips an assertion inside mail-parser. The mail is refused or parsed, never
/// a panic out of `parse_inbound`.
#[test]
fn nested_empty_rfc822_parts_do_not_panic() {
    let raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
               Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n\r\n--b--\r\n";
    check_never_panics(raw.as_bytes());
}

#[test]
fn not_a_message() {
    assert_eq!(parse_inbound(b"", &InboundLimits::default()), Err(MailError::NotAMessage));
}

// ---------------------------------------------------------------------------------------------
// Property: never panics, bounded time

fn mutate(mut raw: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(pos, byte, op) in edits {
        if raw.is_empty() {
            raw.push(byte);
            continue;
        }
        let pos = pos % raw.len();
        match op % 4 {
            0 => raw[pos] = byte,
            1 => raw.insert(pos, byte),
            2 => {
                raw.remove(pos);
            }
            _ => raw.truncate(pos),
        }
    }
    raw
}

const SEEDS: &[&str] = &[
    "docomo_sjis_emoji_jpeg.eml",
    "au_iso2022jp_emoji.eml",
    "decomail_related.eml",
    "bounce_dsn.eml",
    "nested_5.eml",
    "broken_iso2022jp.eml",
    "five_images.eml",
];

fn check_never_panics(raw: &[u8]) {
    let start = Instant::now();
    let res = parse_inbound(raw, &InboundLimits::default());
    assert!(start.elapsed() < Duration::from_secs(1), "slow on {} bytes", raw.len());
    if let Ok(m) = res {
        assert!(!contains_private_use(&m.subject) && !contains_private_use(&m.text));
        assert!(m.images.len() <= 3);
        let _ = decide(&m, &recipient(Action::NewDiary), None, SenderPolicy::RegisteredAddress);
        let _ = should_auto_reply(&m);
    }
}

/// 512 cases per property unless `PROPTEST_CASES` says otherwise (longer local runs).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_never_panics(&raw);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..16),
    ) {
        check_never_panics(&mutate(fixture(SEEDS[seed]), &edits));
    }

    #[test]
    fn mime_shaped_noise_never_panics(
        pieces in proptest::collection::vec(prop_oneof![
            Just("Content-Type: multipart/mixed; boundary=b\r\n"),
            Just("Content-Type: message/rfc822\r\n"),
            Just("Content-Type: text/plain; charset=ISO-2022-JP\r\n"),
            Just("Content-Transfer-Encoding: base64\r\n"),
            Just("Content-Transfer-Encoding: quoted-printable\r\n"),
            Just("\r\n"),
            Just("--b\r\n"),
            Just("--b--\r\n"),
            Just("=?ISO-2022-JP?B?GyRCJCIbKEI=?=\r\n"),
            Just("\x1b$B$\"\x1b(I6\r\n"),
            Just("/9j/4AAQ=!!\r\n"),
            Just("=E3=81=82=\r\n"),
        ], 0..64),
    ) {
        check_never_panics(pieces.concat().as_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// Outbound

fn notification(kind: NotificationKind, lang: Lang) -> Notification {
    Notification {
        kind,
        link: "http://ashiato.example/diary/42".into(),
        lang,
        site_name: "あしあと".into(),
        from: "noreply@ashiato.example".into(),
        to: "taro.@docomo.ne.jp".into(),
        date: "Tue, 01 Jul 2008 09:00:00 +0900".into(),
        message_id: "n.1@ashiato.example".into(),
        settings_link: Some("http://ashiato.example/settings/mail".into()),
    }
}

fn comment_kind() -> NotificationKind {
    NotificationKind::DiaryComment {
        actor: "花子".into(),
        diary_title: "晴れの日".into(),
        excerpt: "いいね☀".into(),
    }
}

/// Checks RFC 5322 framing: CRLF only, lines ≤ 998 bytes, headers before a blank line.
fn check_framing(raw: &[u8]) {
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' {
            assert_eq!(raw.get(i.wrapping_sub(1)), Some(&b'\r'), "bare LF at {i}");
        }
        if b == b'\r' {
            assert_eq!(raw.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
    }
    for line in raw.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "line of {} bytes", line.len());
    }
}

#[test]
fn notifications_per_carrier_parse_back() {
    let carriers = [
        (MailCarrier::Pc, "ISO-2022-JP", "7bit", Carrier::Other, "〓"),
        (MailCarrier::Emobile, "ISO-2022-JP", "7bit", Carrier::Other, "〓"),
        (MailCarrier::Au, "ISO-2022-JP", "7bit", Carrier::Au, "☀"),
        (MailCarrier::Docomo, "Shift_JIS", "base64", Carrier::Docomo, "☀"),
        (MailCarrier::Willcom, "Shift_JIS", "base64", Carrier::Docomo, "☀"),
        (MailCarrier::Softbank, "UTF-8", "base64", Carrier::Softbank, "☀"),
        (MailCarrier::Iphone, "UTF-8", "base64", Carrier::Other, "☀"),
        (MailCarrier::Smartphone, "UTF-8", "base64", Carrier::Other, "☀"),
    ];
    let n = notification(comment_kind(), Lang::Ja);
    let (subject, text) = notification_text(&n);
    assert_eq!(subject, "日記にコメント：晴れの日");
    assert_eq!(
        text,
        "花子さんが日記「晴れの日」にコメントしました。\n「いいね☀」\n\n▼読む\nhttp://ashiato.example/diary/42\n\n--\nあしあと\nこのメールは送信専用です。\n通知の設定：\nhttp://ashiato.example/settings/mail\n"
    );
    for (carrier, charset, cte, decode_as, sun) in carriers {
        let raw = compose_notification(&n, carrier);
        check_framing(&raw);
        if charset == "ISO-2022-JP" || cte == "base64" {
            assert!(raw.is_ascii(), "{carrier:?} not 7-bit");
        }
        let msg = MessageParser::default().parse(&raw).expect("parses back");
        let part = msg.root_part();
        let ct = part.content_type().expect("content type");
        assert_eq!((ct.ctype(), ct.subtype()), ("text", Some("plain")));
        assert_eq!(ct.attribute("charset"), Some(charset), "{carrier:?}");
        assert_eq!(part.content_transfer_encoding(), Some(cte), "{carrier:?}");
        assert_eq!(msg.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));
        assert_eq!(msg.message_id(), Some("n.1@ashiato.example"));
        assert_eq!(
            msg.to().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("taro.@docomo.ne.jp")
        );
        assert_eq!(msg.from().and_then(|a| a.first()).and_then(|a| a.name()), Some("あしあと"));
        // mail-parser's own decoding (no carrier emoji) reads the subject exactly.
        assert_eq!(msg.subject(), Some(subject.as_str()), "{carrier:?}");
        // The body bytes, decoded for the carrier, are the text with the carrier's emoji.
        let body = msg.body_text(0).expect("body");
        let raw_body: Vec<u8> = match &part.body {
            mail_parser::PartType::Text(_) => {
                if cte == "base64" {
                    use base64::Engine as _;
                    let b64: String = String::from_utf8_lossy(
                        &raw[part.offset_body as usize..part.offset_end as usize],
                    )
                    .split_whitespace()
                    .collect();
                    base64::engine::general_purpose::STANDARD.decode(b64).expect("base64")
                } else {
                    raw[part.offset_body as usize..part.offset_end as usize].to_vec()
                }
            }
            other => panic!("{other:?}"),
        };
        let decoded = decode_mail_text(&raw_body, charset, decode_as).replace("\r\n", "\n");
        let expected = text.replace('☀', sun);
        assert_eq!(decoded.trim_end(), expected.trim_end(), "{carrier:?}");
        if carrier != MailCarrier::Au
            && carrier != MailCarrier::Softbank
            && carrier != MailCarrier::Docomo
            && carrier != MailCarrier::Willcom
        {
            // No carrier emoji bytes: mail-parser reads the body the same way.
            assert_eq!(body.replace("\r\n", "\n").trim_end(), expected.trim_end(), "{carrier:?}");
        }
    }
}

#[test]
fn notification_emoji_bytes_per_carrier() {
    let n = notification(comment_kind(), Lang::Ja);
    let docomo = compose_notification(&n, MailCarrier::Docomo);
    let body_of = |raw: &[u8]| {
        use base64::Engine as _;
        let text = String::from_utf8_lossy(raw);
        let (_, b) = text.split_once("\r\n\r\n").expect("body");
        base64::engine::general_purpose::STANDARD
            .decode(b.split_whitespace().collect::<String>())
            .expect("b64")
    };
    assert!(body_of(&docomo).windows(2).any(|w| w == [0xF8, 0x9F]), "docomo sun F8 9F");
    let sb = body_of(&compose_notification(&n, MailCarrier::Softbank));
    assert!(String::from_utf8(sb).expect("utf-8").contains('\u{E04A}'), "SoftBank sun U+E04A");
    let au = compose_notification(&n, MailCarrier::Au);
    assert!(au.windows(2).any(|w| w == [0x75, 0x41]), "au mail-JIS sun 75 41");
    let pc = String::from_utf8(compose_notification(&n, MailCarrier::Pc)).expect("ascii");
    assert!(!pc.contains("\x1b$Bu"), "no au rows for PC");
}

#[test]
fn every_kind_and_language_composes() {
    let kinds = [
        NotificationKind::FriendRequest { actor: "太郎".into() },
        NotificationKind::FriendAccepted { actor: "太郎".into() },
        NotificationKind::NewMessage { actor: "太郎".into(), excerpt: "こんにちは".into() },
        comment_kind(),
        NotificationKind::CommunityTopic {
            actor: "太郎".into(),
            community: "猫好き".into(),
            topic: "写真".into(),
        },
    ];
    for lang in [Lang::Ja, Lang::En] {
        for kind in &kinds {
            let n = notification(kind.clone(), lang);
            let (subject, text) = notification_text(&n);
            assert!(
                subject.contains("太郎")
                    || subject.contains("晴れの日")
                    || subject.contains("猫好き"),
                "{subject}"
            );
            assert!(text.contains("http://ashiato.example/diary/42"));
            for carrier in
                [MailCarrier::Pc, MailCarrier::Au, MailCarrier::Docomo, MailCarrier::Softbank]
            {
                let raw = compose_notification(&n, carrier);
                check_framing(&raw);
                let msg = MessageParser::default().parse(&raw).expect("parses back");
                assert_eq!(msg.subject(), Some(subject.as_str()), "{lang:?} {carrier:?}");
            }
        }
    }
    let en = notification_text(&notification(kinds[0].clone(), Lang::En));
    assert_eq!(en.0, "Friend request from 太郎");
}

#[test]
fn hostile_fields_stay_in_their_place() {
    let n = Notification {
        to: "victim@docomo.ne.jp\r\nBcc: everyone@example.com".into(),
        site_name: "site\"\r\nX-Injected: 1".into(),
        ..notification(
            NotificationKind::NewMessage {
                actor: "evil\r\nBcc: {link}".into(),
                excerpt: "long ".repeat(500),
            },
            Lang::En,
        )
    };
    for carrier in [MailCarrier::Pc, MailCarrier::Docomo, MailCarrier::Softbank] {
        let raw = compose_notification(&n, carrier);
        check_framing(&raw);
        let msg = MessageParser::default().parse(&raw).expect("parses");
        assert!(msg.header_raw("Bcc").is_none());
        assert!(msg.header_raw("X-Injected").is_none());
        let subject = msg.subject().expect("subject");
        assert_eq!(subject, "Message from evil Bcc: {link}");
    }
    let (_, text) = notification_text(&n);
    // The excerpt is cut; a placeholder inside a nickname is not expanded.
    assert!(text.contains(&format!("\"{}…\"", "long ".repeat(8).trim_end())), "{text}");
}

#[test]
fn very_long_lines_are_split() {
    let n = Notification {
        link: format!("http://ashiato.example/{}", "x".repeat(3000)),
        ..notification(comment_kind(), Lang::Ja)
    };
    for carrier in [MailCarrier::Pc, MailCarrier::Au, MailCarrier::Docomo] {
        check_framing(&compose_notification(&n, carrier));
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses and dispositions

#[test]
fn dispositions_table() {
    assert_eq!(Disposition::Permanent.exit_code(), 65);
    assert_eq!(Disposition::UnknownRecipient.exit_code(), 67);
    assert_eq!(Disposition::Temporary.exit_code(), 75);
    let t = Reply::temporary("database unavailable\nsecond line");
    assert_eq!((t.exit_code(), t.to_string()), (75, "451 4.3.0 database unavailable".to_owned()));
    let cases = [
        (MailError::TooLarge { size: 2, limit: 1 }, "552 5.3.4"),
        (MailError::HeaderTooLarge { limit: 1 }, "552 5.3.4"),
        (MailError::TooDeep { limit: 1 }, "554 5.6.0"),
        (MailError::TooManyParts { limit: 1 }, "554 5.6.0"),
        (MailError::TooManyImages { found: 4, limit: 3 }, "554 5.6.0"),
        (MailError::EncodedMessagePart, "554 5.6.0"),
        (MailError::NotAMessage, "554 5.6.0"),
        (MailError::Malformed, "554 5.6.0"),
    ];
    for (err, prefix) in cases {
        assert!(err.reply().to_string().starts_with(prefix), "{err:?}");
        assert_eq!(err.reply().exit_code(), 65);
    }
}

#[test]
fn member_addresses_round_trip_and_rotate() {
    let cfg = AddressConfig { domain: "m.ashiato.example".into(), prefix: "post-".into() };
    let old = new_token([9; TOKEN_BYTES]);
    let addrs = member_addresses(&old, &cfg);
    assert_eq!(addrs.diary, format!("post-d.{old}@m.ashiato.example"));
    assert_eq!(addrs.profile_photo, format!("post-p.{old}@m.ashiato.example"));
    let comment = format_recipient(Action::Comment(DiaryId(1234)), &old, &cfg);
    assert_eq!(comment, format!("post-c1234.{old}@m.ashiato.example"));
    // Some MTAs lower- or upper-case the local part.
    let r = parse_recipient(&comment.to_uppercase(), &cfg).expect("parses");
    assert_eq!((r.action, r.token.digest()), (Action::Comment(DiaryId(1234)), old.digest()));
    // Rotation: the new token's digest replaces the old one in storage; the old address still
    // parses but no longer matches any member (unknown recipient).
    let new = new_token([10; TOKEN_BYTES]);
    assert_ne!(old.digest(), new.digest());
    assert_ne!(member_addresses(&new, &cfg).diary, addrs.diary);
}

#[test]
fn account_mails_compose_for_every_carrier_without_an_opt_out() {
    let kinds = [
        (NotificationKind::PasswordReset { nickname: "花子".into(), minutes: 30 }, "30"),
        (NotificationKind::ConfirmAddress { nickname: "花子".into() }, "花子"),
        (NotificationKind::Invitation { actor: Some("花子".into()), days: 7 }, "花子"),
        (NotificationKind::Invitation { actor: None, days: 7 }, "7"),
        (NotificationKind::JoinLink { days: 3 }, "3"),
    ];
    for lang in [Lang::Ja, Lang::En] {
        for (kind, mentioned) in &kinds {
            assert!(kind.is_account_mail());
            let n = Notification { settings_link: None, ..notification(kind.clone(), lang) };
            let (subject, text) = notification_text(&n);
            assert!(!subject.is_empty() && !subject.contains('{'), "{subject}");
            assert!(text.contains("http://ashiato.example/diary/42"), "{text}");
            assert!(text.contains(mentioned), "{lang:?} {kind:?}: {text}");
            assert!(!text.contains('{'), "unfilled placeholder: {text}");
            for carrier in [MailCarrier::Pc, MailCarrier::Docomo, MailCarrier::Softbank] {
                let raw = compose_notification(&n, carrier);
                check_framing(&raw);
                let msg = MessageParser::default().parse(&raw).expect("parses back");
                assert_eq!(msg.subject(), Some(subject.as_str()), "{lang:?} {carrier:?}");
            }
        }
    }
    assert!(!NotificationKind::FriendRequest { actor: "a".into() }.is_account_mail());
}

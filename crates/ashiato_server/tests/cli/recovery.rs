//! Account mails end to end through a real SMTP listener: the released binary serves a docomo
//! handset's password reset and its outbox worker delivers the mail to the relay; `invite
//! --email` mails the invitation when a relay is configured.

use std::time::Duration;

use ashiato_test_support::http::{Request, Response};
use ashiato_test_support::smtp::{Received, SmtpSink};
use ashiato_test_support::{Suite, TestDb};
use base64::Engine as _;

use crate::mail::Site;
use crate::serve::start_with;

pub fn register(suite: &mut Suite) {
    suite
        .on_both("password_reset_mail_reaches_a_docomo_phone_through_smtp", reset_through_smtp)
        .on_both("invite_mails_the_invitation_when_a_relay_is_configured", invite_by_mail);
}

const DOCOMO: &str = "DoCoMo/2.0 N905i(c100;TB;W24H16)";
const SITE: &str = "http://sns.example.jp";

/// A message's body as its recipient reads it (base64 Shift_JIS for docomo).
fn docomo_text(mail: &Received) -> String {
    let raw = String::from_utf8(mail.data.clone()).expect("7-bit message");
    let (head, body) = raw.split_once("\r\n\r\n").expect("header and body");
    assert!(head.contains("charset=Shift_JIS"), "{head}");
    assert!(head.contains("Content-Transfer-Encoding: base64"), "{head}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.split_whitespace().collect::<String>())
        .expect("base64");
    ashiato_charset::decode_form_bytes(
        &bytes,
        ashiato_charset::InputCharset::ShiftJis,
        ashiato_charset::Carrier::Docomo,
    )
}

fn link_path(text: &str) -> String {
    let at = text.find(SITE).expect("a link to the site") + SITE.len();
    text[at..].split_whitespace().next().expect("path").to_owned()
}

/// The value of a hidden field on a page (ASCII values: tokens).
fn hidden(res: &Response, name: &str) -> String {
    let page = String::from_utf8_lossy(&res.body);
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no {name} on {page}")) + marker.len();
    page[at..at + page[at..].find('"').expect("end")].to_owned()
}

/// Loads a form with a docomo handset (no cookies: the session rides in `ksid`) and posts it.
fn docomo_form(addr: std::net::SocketAddr, path: &str, fields: &str) -> Response {
    let page = Request::get(path).header("User-Agent", DOCOMO).send(addr).expect("form");
    assert_eq!(page.status, 200, "{}", page.text());
    let (ksid, csrf) = (hidden(&page, "ksid"), hidden(&page, "csrf"));
    let body = format!("{fields}&csrf={csrf}&ksid={ksid}");
    Request::post_form(&format!("{path}?ksid={ksid}"), body)
        .header("User-Agent", DOCOMO)
        .send(addr)
        .expect("post")
}

fn reset_through_smtp(t: &TestDb) {
    let site = Site::new(t, &[]);
    let added = site.run(&[
        "member",
        "add",
        "--email",
        "hanako@docomo.ne.jp",
        "--nickname",
        "はなこ",
        "--password",
        "sakura-2008-spring",
    ]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let sink = SmtpSink::start();
    let port = sink.addr.port().to_string();
    let env: Vec<(&str, &str)> = site
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain([
            ("ASHIATO_SMTP_RELAY_HOST", "127.0.0.1"),
            ("ASHIATO_SMTP_RELAY_PORT", port.as_str()),
        ])
        .collect();
    let server = start_with(site.dir.path(), &t.url.to_string(), &[], &env);
    // A failed login is a security event in the log, without the password typed.
    let failed =
        docomo_form(server.addr, "/login", "email=hanako%40docomo.ne.jp&password=wrong-pass-4321");
    assert_eq!(failed.status, 200);
    let res = docomo_form(server.addr, "/password/reset", "email=hanako%40docomo.ne.jp");
    assert_eq!(res.status, 200);
    let got = sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(got.len(), 1, "the outbox worker delivered the reset mail");
    assert_eq!(got[0].to, ["hanako@docomo.ne.jp".to_owned()]);
    let text = docomo_text(&got[0]);
    assert!(text.contains("はなこさん"), "{text}");
    // The server has no public URL configured: its links name the address it serves on.
    let at = text.find("/password/reset/").expect("the reset link");
    let path = text[at..].split_whitespace().next().expect("path").to_owned();
    assert!(text.contains(&format!("http://{}{path}", server.addr)), "{text}");
    assert!(!path.contains("ksid"), "{path}");
    // The phone opens the link and sets a new password; it logs in with it afterwards.
    let set = docomo_form(server.addr, &path, "password=tsubame-3-sora-8");
    assert_eq!(set.status, 303, "{}", set.text());
    let login =
        docomo_form(server.addr, "/login", "email=hanako%40docomo.ne.jp&password=tsubame-3-sora-8");
    assert_eq!(login.status, 303, "{}", login.text());
    let log = server.log.lock().expect("log").clone();
    assert!(!log.contains(&path), "the link's token never reaches the log");
    assert!(log.contains("login_failed"), "{log}");
    assert!(log.contains("password_reset"), "{log}");
    assert!(!log.contains("wrong-pass-4321") && !log.contains("tsubame-3-sora-8"), "{log}");
}

fn invite_by_mail(t: &TestDb) {
    let site = Site::new(t, &[("ASHIATO_PUBLIC_URL", SITE)]);
    // Without a relay the printed link is the only way the invitation travels.
    let plain = site.run(&["invite", "--email", "friend@docomo.ne.jp"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let mut conn = t.db.conn().expect("connection");
    assert!(ashiato_store::mail::outbox_rows(&mut conn).expect("rows").is_empty());
    // With one, it is queued and the outbox sends it.
    let sink = SmtpSink::start();
    let port = sink.addr.port().to_string();
    let relay = |args: &[&str]| {
        let mut cmd = site.command();
        cmd.env("ASHIATO_SMTP_RELAY_HOST", "127.0.0.1")
            .env("ASHIATO_SMTP_RELAY_PORT", &port)
            .args(args);
        crate::run(&mut cmd)
    };
    let invited = relay(&["invite", "--email", "friend@docomo.ne.jp", "--from", "taro@example.jp"]);
    assert_eq!(invited.code, 0, "{}", invited.stderr);
    assert!(invited.stderr.contains("invitation mail queued for friend@docomo.ne.jp"));
    let link = invited.stdout.trim().to_owned();
    assert!(link.starts_with(&format!("{SITE}/join/")), "{link}");
    let sent = relay(&["mail-outbox"]);
    assert_eq!(sent.stdout.trim(), "1 sent, 0 deferred, 0 failed", "{}", sent.stderr);
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    let text = docomo_text(&got[0]);
    assert!(text.contains("たろうさんから"), "{text}");
    assert_eq!(format!("{SITE}{}", link_path(&text)), link, "the mail carries the printed link");
}

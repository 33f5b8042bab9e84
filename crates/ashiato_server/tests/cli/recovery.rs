//! Account mails end to end through a real SMTP listener: the released binary serves a docomo
//! handset's password reset and its outbox worker delivers the mail to the relay; `invite
//! --email` mails the invitation when a relay is configured; `member export` writes a member's
//! archive.

use std::time::Duration;

use ashiato_test_support::http::{Request, Response};
use ashiato_test_support::smtp::{Received, SmtpSink};
use ashiato_test_support::{Suite, TestDb};
use base64::Engine as _;

use crate::mail::Site;
use crate::serve::start_with;

pub fn register(suite: &mut Suite) {
    suite
        .on_both("account_mails_reach_a_docomo_phone_through_smtp", reset_through_smtp)
        .on_both("invite_mails_the_invitation_when_a_relay_is_configured", invite_by_mail)
        .on_both("member_export_writes_the_archive_once", member_export)
        .on_both("an_empty_mail_to_join_is_answered_with_a_sign_up_link", empty_mail_sign_up);
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
pub(crate) fn hidden(res: &Response, name: &str) -> String {
    let page = String::from_utf8_lossy(&res.body);
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no {name} on {page}")) + marker.len();
    page[at..at + page[at..].find('"').expect("end")].to_owned()
}

/// Loads a form with a docomo handset (no cookies: the session rides in `ksid`) and posts it.
pub(crate) fn docomo_form(addr: std::net::SocketAddr, path: &str, fields: &str) -> Response {
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
            ("ASHIATO_OPEN_SIGNUP", "true"),
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
    // Sign-up on a phone: the confirmation mail arrives the same way, and its link confirms.
    let joined = docomo_form(
        server.addr,
        "/join",
        "email=jiro%40docomo.ne.jp&nickname=jiro&password=kamome-5-umi-2",
    );
    assert_eq!(joined.status, 303, "{}", joined.text());
    let got = sink.wait_for(2, Duration::from_secs(30));
    assert_eq!(got.len(), 2, "the confirmation mail was delivered");
    assert_eq!(got[1].to, ["jiro@docomo.ne.jp".to_owned()]);
    let confirm_text = docomo_text(&got[1]);
    let at = confirm_text.find("/confirm/").expect("the confirmation link");
    let confirm = confirm_text[at..].split_whitespace().next().expect("path").to_owned();
    let done = docomo_form(server.addr, &confirm, "");
    assert_eq!(done.status, 200);
    let page = ashiato_charset::decode_form_bytes(
        &done.body,
        ashiato_charset::InputCharset::ShiftJis,
        ashiato_charset::Carrier::Docomo,
    );
    assert!(page.contains("jiro@docomo.ne.jp を確認しました"), "{page}");
    let mut conn = t.db.conn().expect("connection");
    let jiro = ashiato_core::account::Email::parse("jiro@docomo.ne.jp").expect("address");
    let jiro = ashiato_store::accounts::find_by_email(&mut conn, &jiro).expect("q").expect("jiro");
    assert!(jiro.email_confirmed);

    let log = server.log.lock().expect("log").clone();
    assert!(!log.contains(&path), "the link's token never reaches the log");
    assert!(!log.contains(&confirm), "nor the confirmation link's");
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

fn member_export(t: &TestDb) {
    let site = Site::new(t, &[]);
    let to = site.dir.path().join("taro.tar");
    let to_arg = to.to_str().expect("utf-8 path");
    let ran = site.run(&["member", "export", "--email", "taro@example.jp", "--to", to_arg]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stderr.contains("bytes written to"), "{}", ran.stderr);
    let listed = std::process::Command::new("tar").arg("-tf").arg(&to).output().expect("tar");
    assert!(listed.status.success());
    let names = String::from_utf8_lossy(&listed.stdout).to_string();
    for name in ["profile.json", "diaries.json", "messages.json", "friends.json", "README.txt"] {
        assert!(names.contains(&format!("ashiato-export/{name}")), "{name} in {names}");
    }
    let first = std::fs::read(&to).expect("archive");
    // An existing file is never overwritten; an unknown member is a clear refusal.
    let again = site.run(&["member", "export", "--email", "taro@example.jp", "--to", to_arg]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("taro.tar"), "{}", again.stderr);
    assert_eq!(std::fs::read(&to).expect("archive"), first, "the file is unchanged");
    let other = site.dir.path().join("ghost.tar");
    let ghost = site.run(&[
        "member",
        "export",
        "--email",
        "ghost@example.jp",
        "--to",
        other.to_str().expect("path"),
    ]);
    assert_ne!(ghost.code, 0);
    assert!(ghost.stderr.contains("no member ghost@example.jp"), "{}", ghost.stderr);
    assert!(!other.exists());
}

/// `mail-ingest` of `raw` to the sign-up address with `sender` as the envelope sender.
fn mail_to_join(site: &Site<'_>, raw: &str, sender: &str) -> crate::Ran {
    mail_to_join_with(site, raw, sender, &[])
}

fn mail_to_join_with(site: &Site<'_>, raw: &str, sender: &str, env: &[(&str, &str)]) -> crate::Ran {
    use std::io::Write as _;
    let mut child = site
        .command()
        .envs(env.iter().copied())
        .args(["mail-ingest", "--recipient", &format!("join@{}", crate::mail::DOMAIN)])
        .args(["--sender", sender])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn mail-ingest");
    child.stdin.take().expect("stdin").write_all(raw.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("mail-ingest");
    crate::Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn empty_mail(from: &str, extra: &str, n: u32) -> String {
    format!(
        "From: {from}\r\nTo: join@{}\r\nSubject: \r\nMessage-ID: <join{n}@example>\r\n\
         Date: Tue, 01 Jul 2008 09:00:00 +0900\r\n{extra}\r\n",
        crate::mail::DOMAIN
    )
}

fn empty_mail_sign_up(t: &TestDb) {
    let site = Site::new(t, &[("ASHIATO_OPEN_SIGNUP", "true"), ("ASHIATO_PUBLIC_URL", SITE)]);
    let joins = || {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::mail::outbox_rows(&mut conn)
            .expect("rows")
            .into_iter()
            .filter(|r| r.kind == "join")
            .collect::<Vec<_>>()
    };
    // An empty mail from a docomo phone is answered with a sign-up link, in Shift_JIS.
    let ran =
        mail_to_join(&site, &empty_mail("hanako.@docomo.ne.jp", "", 1), "hanako.@docomo.ne.jp");
    assert_eq!((ran.code, ran.stderr.trim()), (0, "ashiato: 250 2.0.0 sign-up link sent"));
    let rows = joins();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].to, "hanako.@docomo.ne.jp");
    // The outbox sends it to the relay.
    let sink = SmtpSink::start();
    let mut cmd = site.command();
    cmd.env("ASHIATO_SMTP_RELAY_HOST", "127.0.0.1")
        .env("ASHIATO_SMTP_RELAY_PORT", sink.addr.port().to_string())
        .arg("mail-outbox");
    let sent = crate::run(&mut cmd);
    assert_eq!(sent.stdout.trim(), "1 sent, 0 deferred, 0 failed", "{}", sent.stderr);
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(got[0].to, ["hanako.@docomo.ne.jp".to_owned()]);
    // S-28: an answer to a mail says so (RFC 3834), so the other side's robots stay quiet.
    let head = String::from_utf8_lossy(&got[0].data).into_owned();
    assert!(head.contains("\r\nAuto-Submitted: auto-replied\r\n"), "{head}");
    let text = docomo_text(&got[0]);
    assert!(text.contains("空メールを受け付けました"), "{text}");
    let path = link_path(&text);
    assert!(path.starts_with("/join/"), "{path}");
    // The link opens the sign-up form with the address filled in.
    let mut conn = t.db.conn().expect("connection");
    let token = path.trim_start_matches("/join/");
    let invitation =
        ashiato_store::accounts::find_invitation(&mut conn, token).expect("invitation");
    assert_eq!(invitation.email.as_deref(), Some("hanako.@docomo.ne.jp"));
    assert_eq!(invitation.inviter, None);

    // Auto-replies, bounces and mailer daemons are never answered.
    for (name, raw, sender) in [
        (
            "auto-reply",
            empty_mail("hanako.@docomo.ne.jp", "Auto-Submitted: auto-replied\r\n", 2),
            "hanako.@docomo.ne.jp",
        ),
        ("bounce", empty_mail("hanako.@docomo.ne.jp", "", 3), "<>"),
        ("daemon", empty_mail("MAILER-DAEMON@docomo.ne.jp", "", 4), "MAILER-DAEMON@docomo.ne.jp"),
    ] {
        let ran = mail_to_join(&site, &raw, sender);
        assert_eq!(ran.code, 0, "{name}: {}", ran.stderr);
        assert!(ran.stderr.contains("automated mail discarded"), "{name}: {}", ran.stderr);
    }
    // S-26: a From the MTA's SPF check failed may be someone else's phone: not answered.
    for (n, verdict) in [
        (11, "Received-SPF: Fail (mailfrom) identity=mailfrom\r\n"),
        (
            12,
            "Authentication-Results: mx.ashiato.example; spf=softfail smtp.mailfrom=docomo.ne.jp\r\n",
        ),
    ] {
        let ran = mail_to_join(
            &site,
            &empty_mail("victim@docomo.ne.jp", verdict, n),
            "victim@docomo.ne.jp",
        );
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        assert!(ran.stderr.contains("sender not verified"), "{}", ran.stderr);
    }
    // With mail_join_requires_spf, no verdict at all is not enough either; a pass is.
    let strict = [("ASHIATO_MAIL_JOIN_REQUIRES_SPF", "true")];
    let raw = empty_mail("victim@docomo.ne.jp", "", 13);
    let ran = mail_to_join_with(&site, &raw, "victim@docomo.ne.jp", &strict);
    assert!(ran.stderr.contains("sender not verified"), "{}", ran.stderr);
    assert!(joins().iter().all(|r| r.to != "victim@docomo.ne.jp"), "a forged sender was answered");
    let raw = empty_mail("kenta@docomo.ne.jp", "Received-SPF: Pass (mailfrom)\r\n", 14);
    let ran = mail_to_join_with(&site, &raw, "kenta@docomo.ne.jp", &strict);
    assert!(ran.stderr.contains("sign-up link sent"), "{}", ran.stderr);
    // A PC address is refused (the MTA's bounce tells the sender, we send nothing).
    let ran = mail_to_join(&site, &empty_mail("someone@example.com", "", 5), "someone@example.com");
    assert_ne!(ran.code, 0);
    assert!(ran.stderr.contains("mobile phone address"), "{}", ran.stderr);
    assert_eq!(joins().len(), 2, "only hanako and kenta were answered");
    // One phone gets at most three links a day, however often it writes.
    for n in 6..10 {
        let ran =
            mail_to_join(&site, &empty_mail("hanako.@docomo.ne.jp", "", n), "hanako.@docomo.ne.jp");
        assert_eq!(ran.code, 0, "{}", ran.stderr);
    }
    assert_eq!(joins().iter().filter(|r| r.to == "hanako.@docomo.ne.jp").count(), 3);
    // Without open sign-up the address does not exist.
    let closed = [("ASHIATO_OPEN_SIGNUP", "false")];
    let raw = empty_mail("jiro@ezweb.ne.jp", "", 20);
    let ran = mail_to_join_with(&site, &raw, "jiro@ezweb.ne.jp", &closed);
    assert_eq!(ran.code, 67, "{}", ran.stderr);
}

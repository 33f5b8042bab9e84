//! `/settings/mail` through the router (addresses with `mailto:` links for the owner only,
//! rotation, phone address, opt-ins, the password again after an easy login) and the
//! notification mails the SNS handlers queue.

use ashiato_mail::{AddressConfig, parse_recipient};
use ashiato_store::mail as store_mail;
use ashiato_test_support::{Suite, TestDb};

use crate::support::{PASSWORD, PC, Phone, TestApp, member};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("settings_mail_shows_rotates_and_saves", settings_mail)
        .on_both("settings_mail_after_easy_login_asks_for_the_password", after_easy_login)
        .on_both("sns_events_queue_notification_mails_for_those_who_opted_in", notifications);
}

const DOMAIN: &str = "m.ashiato.example";

fn app(t: &TestDb) -> TestApp {
    TestApp::start_with(t, |c| {
        c.mail_domain = DOMAIN.into();
        c.trusted_proxies = vec!["127.0.0.1".into()];
    })
}

/// The diary posting address on a settings page, checked to appear as a `mailto:` link.
fn diary_address(html: &str) -> String {
    let at = html.find("href=\"mailto:d.").expect("a mailto: link") + 13;
    let address = html[at..].split('"').next().expect("address").to_owned();
    assert!(address.ends_with(DOMAIN), "{address}");
    assert!(html.contains(&format!("mailto:{}", address.replacen("d.", "p.", 1))));
    address
}

fn owner_of(t: &TestDb, address: &str) -> Option<ashiato_core::MemberId> {
    let cfg = AddressConfig { domain: DOMAIN.into(), prefix: String::new() };
    let r = parse_recipient(address, &cfg).expect("a posting address");
    let mut conn = t.db.conn().expect("connection");
    store_mail::member_by_token(&mut conn, &hex::encode(r.token.digest())).expect("lookup")
}

fn settings_mail(t: &TestDb) {
    let id = member(t, "taro@example.jp", "たろう");
    let app = app(t);
    let mut pc = Phone::new(&app, PC);
    pc.login("taro@example.jp");
    pc.get("/settings");
    assert!(pc.last.contains("/settings/mail"), "linked from the settings");
    assert_eq!(pc.get("/settings/mail").status, 200);
    let first = diary_address(&pc.last);
    assert_eq!(owner_of(t, &first), Some(id));
    // The same address on the next visit; nobody else sees it.
    pc.get("/settings/mail");
    assert_eq!(diary_address(&pc.last), first);
    let mut anon = Phone::new(&app, PC);
    let res = anon.get("/settings/mail");
    assert_eq!(res.status, 303, "anonymous readers go to the login page");
    // Rotation: a new address, the old one dead at once.
    let res = pc.submit("/settings/mail", "/settings/mail", &[("action", "rotate")]);
    assert_eq!(res.status, 303);
    pc.get("/settings/mail");
    let second = diary_address(&pc.last);
    assert_ne!(second, first);
    assert_eq!(owner_of(t, &first), None);
    assert_eq!(owner_of(t, &second), Some(id));
    // Phone address and opt-ins.
    let res = pc.submit(
        "/settings/mail",
        "/settings/mail",
        &[("action", "save"), ("phone", "Taro.@DoCoMo.ne.jp"), ("message", "1"), ("topic", "1")],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let mut conn = t.db.conn().expect("connection");
    let s = store_mail::settings(&mut conn, id).expect("settings");
    assert_eq!(s.phone_address.as_deref(), Some("Taro.@docomo.ne.jp"));
    assert!(s.notify.message && s.notify.topic && !s.notify.friend_request && !s.notify.comment);
    let bad = pc.submit(
        "/settings/mail",
        "/settings/mail",
        &[("action", "save"), ("phone", "not an address")],
    );
    assert_eq!(bad.status, 422);
    assert_eq!(
        store_mail::settings(&mut conn, id).expect("settings").phone_address.as_deref(),
        Some("Taro.@docomo.ne.jp"),
        "a refused form changed something"
    );
}

fn after_easy_login(t: &TestDb) {
    member(t, "easy@docomo.ne.jp", "かんたん");
    let app = app(t);
    let ua = "DoCoMo/2.0 N905i(c100;TB;W24H16)";
    let from_docomo = |phone: &mut Phone<'_>| {
        phone.headers.push(("X-DCMGUID".into(), "0a1B2c3".into()));
        phone.headers.push(("X-Forwarded-For".into(), "210.153.84.1".into()));
    };
    let mut phone = Phone::new(&app, ua);
    from_docomo(&mut phone);
    phone.login("easy@docomo.ne.jp");
    let bound = phone.submit("/settings/easy-login", "/settings/easy-login", &[("action", "bind")]);
    assert_eq!(bound.status, 303, "{}", phone.last);
    // A handset that logged in with one button sees no address until the password is given.
    let mut easy = Phone::new(&app, ua);
    from_docomo(&mut easy);
    easy.get("/login");
    let res = easy.submit("/login", "/login/easy", &[]);
    assert_eq!(res.status, 303, "{}", easy.last);
    easy.get("/settings/mail");
    assert!(!easy.last.contains("mailto:"), "address shown after an easy login");
    assert!(easy.last.contains("パスワードを入力してください"), "{}", easy.last);
    let rotate = easy.submit("/settings/mail", "/settings/mail", &[("action", "rotate")]);
    assert_eq!(rotate.status, 403, "rotated without the password");
    let wrong = easy.submit(
        "/settings/mail",
        "/settings/mail",
        &[("action", "confirm"), ("password", "wrong-password-1")],
    );
    assert_eq!(wrong.status, 422);
    assert!(!easy.last.contains("mailto:"));
    let right = easy.submit(
        "/settings/mail",
        "/settings/mail",
        &[("action", "confirm"), ("password", PASSWORD)],
    );
    assert_eq!(right.status, 303, "{}", easy.last);
    easy.follow(&right);
    assert!(easy.last.contains("mailto:d."), "{}", easy.last);
}

fn notifications(t: &TestDb) {
    let a = member(t, "a@example.jp", "エー");
    let b = member(t, "b@example.jp", "ビー");
    {
        // b reads mail on a docomo phone and does not want message mails.
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            store_mail::set_phone_address(
                c,
                b,
                Some("bee@docomo.ne.jp"),
                ashiato_core::Timestamp(0),
            )?;
            store_mail::confirm_phone_address(
                c,
                b,
                "bee@docomo.ne.jp",
                ashiato_core::Timestamp(0),
            )?;
            let n =
                store_mail::Notify { message: false, topic: true, ..store_mail::Notify::default() };
            store_mail::set_notify(c, b, n, ashiato_core::Timestamp(0))
        })
        .expect("settings");
    }
    let app = TestApp::start_with(t, |c| c.public_url = "http://sns.example.jp".into());
    let mut pa = Phone::new(&app, PC);
    pa.login("a@example.jp");
    let mut pb = Phone::new(&app, PC);
    pb.login("b@example.jp");
    let rows = || {
        let mut conn = t.db.conn().expect("connection");
        store_mail::outbox_rows(&mut conn).expect("rows")
    };
    // a asks b to be friends: b hears of it on the phone, in Shift_JIS.
    let res = pa.submit(
        &format!("/m/{b}/friend-request"),
        &format!("/m/{b}/friend-request"),
        &[("message", "よろしく")],
    );
    assert_eq!(res.status, 303);
    let r = rows();
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].to.as_str(), r[0].kind.as_str()), ("bee@docomo.ne.jp", "friend_request"));
    let message = {
        let mut conn = t.db.conn().expect("connection");
        store_mail::claim(&mut conn, r[0].id, ashiato_app::now(), 1000)
            .expect("claim")
            .expect("claimable")
            .message
    };
    let text = String::from_utf8_lossy(&message);
    assert!(text.contains("charset=Shift_JIS"), "{text}");
    assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
    // b accepts: a (no phone address) hears of it at the login address.
    pb.get("/friends/requests");
    let at = pb.last.find("/friends/requests/").expect("request") + 18;
    let rid: String = pb.last[at..].chars().take_while(char::is_ascii_digit).collect();
    let ok = pb.submit("/friends/requests", &format!("/friends/requests/{rid}/accept"), &[]);
    assert_eq!(ok.status, 303);
    let r = rows();
    assert_eq!(r.len(), 2);
    assert_eq!((r[1].to.as_str(), r[1].kind.as_str()), ("a@example.jp", "friend_accepted"));
    // a writes to b, who opted out of message mails: nothing queued.
    let sent = pa.submit(
        &format!("/messages/new?to={b}"),
        "/messages/new",
        &[("to", &b.to_string()), ("subject", "週末"), ("body", "カフェ行こう☕")],
    );
    assert_eq!(sent.status, 303, "{}", pa.last);
    assert_eq!(rows().len(), 2);
    // b comments on a's diary: a hears of it; a's own comment tells nobody.
    let res = pa.submit(
        "/diary/new",
        "/diary/new",
        &[("title", "ラーメン"), ("body", "替え玉した"), ("scope", "friends")],
    );
    let loc = res.header("location").expect("location").to_owned();
    let entry: String = loc[loc.find("/diary/").expect("entry") + 7..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let path = format!("/diary/{entry}");
    let c = pb.submit(&path, &format!("{path}/comments"), &[("body", "おいしそう🍜")]);
    assert_eq!(c.status, 303, "{}", pb.last);
    let c = pa.submit(&path, &format!("{path}/comments"), &[("body", "ありがとう")]);
    assert_eq!(c.status, 303);
    let r = rows();
    assert_eq!(r.len(), 3, "{r:?}");
    assert_eq!((r[2].to.as_str(), r[2].kind.as_str()), ("a@example.jp", "comment"));
    let mut conn = t.db.conn().expect("connection");
    let mail = store_mail::claim(&mut conn, r[2].id, ashiato_app::now(), 1000)
        .expect("claim")
        .expect("claimable");
    let text = String::from_utf8_lossy(&mail.message);
    assert!(text.contains(&format!("http://sns.example.jp/diary/{entry}")), "{text}");
    assert!(text.contains("charset=ISO-2022-JP"), "PC mail: {text}");
    // A new topic reaches the members who joined and asked for topic mails (b), not its
    // author (a).
    let res = pa.submit(
        "/communities/new",
        "/communities/new",
        &[
            ("name", "ラーメン部"),
            ("description", "麺"),
            ("category", "グルメ"),
            ("join", "open"),
            ("topics", "participants"),
        ],
    );
    assert_eq!(res.status, 303, "{}", pa.last);
    let loc = res.header("location").expect("location").to_owned();
    let cid: String = loc[loc.find("/c/").expect("community") + 3..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    pb.submit(&format!("/c/{cid}"), &format!("/c/{cid}/join"), &[]);
    let topic = pa.submit(
        &format!("/c/{cid}/topics/new"),
        &format!("/c/{cid}/topics/new"),
        &[("title", "おすすめの店"), ("body", "教えて")],
    );
    assert_eq!(topic.status, 303, "{}", pa.last);
    let r = rows();
    assert_eq!(r.len(), 4, "{r:?}");
    assert_eq!((r[3].to.as_str(), r[3].kind.as_str()), ("bee@docomo.ne.jp", "topic"));
    let _ = a;
}

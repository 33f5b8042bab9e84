//! Accounts that recover: password reset by mail on a docomo handset without cookies, address
//! confirmation before notifications, invitations by mail. The mails are read from the outbox
//! as the outbox worker would send them and decoded the way the recipient's phone would.

use ashiato_core::{MemberId, Timestamp};
use ashiato_store::mail::{self as store_mail, OutboxRow};
use ashiato_store::tokens::{self, Purpose};
use ashiato_test_support::http::Request;
use ashiato_test_support::{Suite, TestDb};
use base64::Engine as _;

use crate::support::{AU_WAP2, Browser, DOCOMO_FOMA, PASSWORD, PC, Phone, TestApp, member};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("password_reset_by_mail_on_docomo", password_reset_on_docomo)
        .on_both("password_reset_links_expire_and_die_with_the_password", reset_links_die)
        .on_both("notifications_wait_for_a_confirmed_address", confirmation)
        .on_both("invitations_are_mailed_in_the_invitees_charset", invitations_by_mail)
        .on_both("sessions_are_listed_and_ended_from_settings", session_list)
        .on_both("drafts_survive_an_expired_session", drafts_survive_the_session)
        .on_both("the_data_export_holds_what_the_member_wrote", data_export)
        .on_both("hard_bounces_stop_notifications_until_the_address_is_confirmed", bounces)
        .on_both("a_bounce_storm_counts_once_per_mail_and_answers_nothing", bounce_storm);
}

const SITE: &str = "http://sns.example.jp";

fn app(t: &TestDb) -> TestApp {
    TestApp::start_with(t, |c| {
        c.public_url = SITE.into();
        c.open_signup = true;
    })
}

fn outbox(t: &TestDb) -> Vec<OutboxRow> {
    let mut conn = t.db.conn().expect("connection");
    store_mail::outbox_rows(&mut conn).expect("outbox")
}

fn of_kind(t: &TestDb, kind: &str) -> Vec<OutboxRow> {
    outbox(t).into_iter().filter(|r| r.kind == kind).collect()
}

/// The text of a queued mail as its recipient reads it: headers as sent, the body decoded
/// from its transfer encoding and charset.
fn mail_text(t: &TestDb, row: &OutboxRow) -> (String, String) {
    let mut conn = t.db.conn().expect("connection");
    let mail = store_mail::claim(&mut conn, row.id, ashiato_app::now(), 1000)
        .expect("claim")
        .expect("claimable");
    let raw = String::from_utf8(mail.message).expect("7-bit or UTF-8 message");
    let (head, body) = raw.split_once("\r\n\r\n").expect("header and body");
    let bytes = if head.contains("Content-Transfer-Encoding: base64") {
        base64::engine::general_purpose::STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .expect("base64 body")
    } else {
        body.as_bytes().to_vec()
    };
    let encoding = if head.contains("charset=Shift_JIS") {
        encoding_rs::SHIFT_JIS
    } else if head.contains("charset=ISO-2022-JP") {
        encoding_rs::ISO_2022_JP
    } else {
        encoding_rs::UTF_8
    };
    let (text, _, malformed) = encoding.decode(&bytes);
    assert!(!malformed, "the body decodes as {}", encoding.name());
    (head.to_owned(), text.replace("\r\n", "\n"))
}

/// The path of the first link to this site in a mail's text (`/password/reset/…`).
fn link_path(text: &str) -> String {
    let at = text.find(SITE).expect("a link to the site") + SITE.len();
    text[at..].split_whitespace().next().expect("path").to_owned()
}

fn password_reset_on_docomo(t: &TestDb) {
    let hanako = member(t, "hanako.@docomo.ne.jp", "花子");
    let app = app(t);
    // Hanako is logged in on her PC; that session must not outlive the reset.
    let mut pc = Browser::new(&app);
    assert_eq!(pc.login("hanako.@docomo.ne.jp", PASSWORD).status, 303);
    assert_eq!(pc.get("/home").status, 200);

    // On the phone, without cookies: the login page leads to the reset form.
    // Every handset finds the way from its login page (pages checked against their DTDs).
    for ua in [
        "DoCoMo/1.0/P503i/c10",
        AU_WAP2,
        "SoftBank/1.0/910T/TJ001 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1",
        crate::support::PC,
    ] {
        let mut other = Phone::new(&app, ua);
        other.get("/login");
        assert!(other.last.contains("パスワードを忘れた方"), "{ua}: {}", other.last);
        assert_eq!(other.get("/password/reset").status, 200, "{ua}");
        assert!(other.last.contains("name=\"email\""), "{ua}: {}", other.last);
    }
    let mut phone = Phone::new(&app, DOCOMO_FOMA);
    phone.get("/login");
    assert!(phone.last.contains("/password/reset"), "{}", phone.last);
    assert!(phone.last.contains("パスワードを忘れた方"));
    let res =
        phone.submit("/password/reset", "/password/reset", &[("email", "hanako.@docomo.ne.jp")]);
    assert_eq!(res.status, 200);
    let reply = phone.last.clone();
    assert!(reply.contains("再設定のメールを送りました"), "{reply}");
    // An address nobody has gets the very same answer, and no mail.
    let res =
        phone.submit("/password/reset", "/password/reset", &[("email", "nobody@docomo.ne.jp")]);
    assert_eq!(res.status, 200);
    assert!(phone.last.contains("再設定のメールを送りました"));
    let sent = of_kind(t, "password_reset");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "hanako.@docomo.ne.jp");

    // The mail reaches the docomo phone in Shift_JIS; its link carries no session.
    let (head, text) = mail_text(t, &sent[0]);
    assert!(head.contains("charset=Shift_JIS"), "{head}");
    assert!(text.contains("花子さん") && text.contains("30分以内"), "{text}");
    let path = link_path(&text);
    assert!(path.starts_with("/password/reset/") && !path.contains("ksid"), "{path}");
    assert!(!text.contains("通知の設定"), "account mails have no opt-out footer: {text}");

    // Opened from the mail on the phone: a fresh handset session, the form, a weak password
    // refused (nothing changes), then a good one.
    let mut opened = Phone::new(&app, DOCOMO_FOMA);
    let res = opened.get(&path);
    assert_eq!(res.status, 200);
    assert!(opened.last.contains("花子さんの新しいパスワード"), "{}", opened.last);
    let res = opened.submit(&path, &path, &[("password", "password")]);
    assert_eq!(res.status, 422, "{}", opened.last);
    let new_password = "sakura-7-kumo";
    let res = opened.submit(&path, &path, &[("password", new_password)]);
    assert_eq!(res.status, 303, "{}", opened.last);
    let home = opened.follow(&res);
    assert_eq!(home.status, 200);
    assert!(opened.last.contains("パスワードを再設定しました"), "{}", opened.last);
    assert!(opened.ksid.is_some(), "logged in with a URL session");

    // Every other session ended; the old password is gone, the new one works.
    let res = pc.get("/home");
    assert_eq!(res.status, 303, "the PC session ended");
    let res = Browser::new(&app).login("hanako.@docomo.ne.jp", PASSWORD);
    assert_eq!(res.status, 200, "the old password is refused");
    assert!(res.text().contains("メールアドレスかパスワードが違います"), "{}", res.text());
    let mut again = Browser::new(&app);
    let res = again.login("hanako.@docomo.ne.jp", new_password);
    assert_eq!(res.status, 303);
    assert!(res.header("location").is_some_and(|l| l.ends_with("/home")));

    // The link is single-use; a forged one is unknown.
    let mut third = Phone::new(&app, DOCOMO_FOMA);
    assert_eq!(third.get(&path).status, 410);
    assert!(third.last.contains("使用済み"), "{}", third.last);
    assert_eq!(third.get("/password/reset/AAAAAAAAAAAAAAAAAAAAAA").status, 404);
    assert!(third.last.contains("無効"), "{}", third.last);

    // The reset proved the address: it counts as confirmed.
    let mut conn = t.db.conn().expect("connection");
    let stored = ashiato_store::accounts::find_member(&mut conn, hanako).expect("member");
    assert!(stored.email_confirmed);

    // Asking again and again mails at most three links an hour to one address.
    for _ in 0..4 {
        phone.submit("/password/reset", "/password/reset", &[("email", "hanako.@docomo.ne.jp")]);
        assert!(phone.last.contains("再設定のメールを送りました"));
    }
    assert_eq!(of_kind(t, "password_reset").len(), 3, "one used link and two more; then none");
}

fn reset_links_die(t: &TestDb) {
    let taro = member(t, "taro@example.jp", "太郎");
    let app = app(t);
    let issue = |at: Timestamp| {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            tokens::issue(c, Purpose::Reset, taro, "taro@example.jp", at, 30 * 60_000)
        })
        .expect("link")
    };
    // A link issued 31 minutes ago has expired: a clear page, and the form does nothing.
    let old = issue(Timestamp(ashiato_app::now().0 - 31 * 60_000));
    let mut b = Browser::new(&app);
    let res = b.get(&format!("/password/reset/{old}"));
    assert_eq!(res.status, 410);
    assert!(res.text().contains("期限切れ"), "{}", res.text());
    // A fresh link dies when the password changes by another way (settings).
    let fresh = issue(ashiato_app::now());
    assert_eq!(b.get(&format!("/password/reset/{fresh}")).status, 200);
    assert_eq!(b.login("taro@example.jp", PASSWORD).status, 303);
    let res = b.submit(
        "/settings/password",
        "/settings/password",
        &[("current", PASSWORD), ("new", "hoshi-3-umi-9")],
    );
    assert_eq!(res.status, 303, "{}", res.text());
    let mut other = Browser::new(&app);
    let res = other.get(&format!("/password/reset/{fresh}"));
    assert_eq!(res.status, 404, "the link died with the old password");
    // A password set through a dead link changes nothing.
    let page = other.get("/password/reset");
    assert_eq!(page.status, 200);
    let csrf = crate::support::hidden_value(&page.text(), "csrf").expect("token");
    let body = crate::support::form_body(&[("password", "tsuki-5-kaze"), ("csrf", &csrf)]);
    let res = other.send(Request::post_form(&format!("/password/reset/{fresh}"), body));
    assert_eq!(res.status, 404);
    assert_eq!(Browser::new(&app).login("taro@example.jp", "hoshi-3-umi-9").status, 303);
}

fn confirmation(t: &TestDb) {
    let taro = member(t, "taro@example.jp", "太郎");
    let app = app(t);
    // Sign-up mails a confirmation link; until it is followed, home says so and no
    // notification goes out.
    let mut hana = Browser::new(&app);
    let res = hana.submit(
        "/join",
        "/join",
        &[("email", "hana@example.jp"), ("nickname", "はな"), ("password", "yuki-4-hana-8")],
    );
    assert_eq!(res.status, 303, "{}", res.text());
    let confirm = of_kind(t, "confirm");
    assert_eq!(confirm.len(), 1);
    assert_eq!(confirm[0].to, "hana@example.jp");
    let home = hana.get("/home").text();
    assert!(home.contains("メールアドレス(hana@example.jp)が未確認です"), "{home}");
    assert!(home.contains("action=\"/settings/confirm\""), "{home}");
    let hana_id: MemberId = ashiato_store::accounts::find_by_email(
        &mut t.db.conn().expect("connection"),
        &ashiato_core::account::Email::parse("hana@example.jp").expect("address"),
    )
    .expect("lookup")
    .expect("member")
    .id;
    let mut tb = Browser::new(&app);
    assert_eq!(tb.login("taro@example.jp", PASSWORD).status, 303);
    let res = tb.submit(
        &format!("/m/{hana_id}/friend-request"),
        &format!("/m/{hana_id}/friend-request"),
        &[("message", "よろしく")],
    );
    assert_eq!(res.status, 303);
    assert!(of_kind(t, "friend_request").is_empty(), "no mail to an unconfirmed address");

    // The resend button mails another link (under the hourly limit).
    let res = hana.submit("/home", "/settings/confirm", &[]);
    assert_eq!(res.status, 303);
    assert_eq!(of_kind(t, "confirm").len(), 2);

    // Following the link: opening it changes nothing, the button confirms.
    let (head, text) = mail_text(t, &confirm[0]);
    assert!(head.contains("charset=ISO-2022-JP"), "{head}");
    let path = link_path(&text);
    assert!(path.starts_with("/confirm/"), "{path}");
    let mut opened = Browser::new(&app);
    assert_eq!(opened.get(&path).status, 200);
    assert!(hana.get("/home").text().contains("未確認"), "opening alone confirms nothing");
    let res = opened.submit(&path, &path, &[]);
    assert_eq!(res.status, 200);
    assert!(res.text().contains("hana@example.jp を確認しました"), "{}", res.text());
    assert!(!hana.get("/home").text().contains("未確認"));
    let res = opened.submit(&path, &path, &[]);
    assert_eq!(res.status, 410, "a used link");

    // Now Taro's message reaches her.
    let res = tb.submit(
        &format!("/messages/new?to={hana_id}"),
        "/messages/new",
        &[("to", &hana_id.to_string()), ("subject", "やあ"), ("body", "元気？")],
    );
    assert_eq!(res.status, 303);
    let messages = of_kind(t, "message");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, "hana@example.jp");

    // A new phone address gets its own link (Shift_JIS for docomo); notifications keep going
    // to the confirmed login address until the phone is confirmed too.
    let res = hana.submit(
        "/settings/mail",
        "/settings/mail",
        &[("action", "save"), ("phone", "hana@docomo.ne.jp"), ("message", "1")],
    );
    assert_eq!(res.status, 303, "{}", res.text());
    let phone_links: Vec<OutboxRow> =
        of_kind(t, "confirm").into_iter().filter(|r| r.to == "hana@docomo.ne.jp").collect();
    assert_eq!(phone_links.len(), 1);
    let (head, text) = mail_text(t, &phone_links[0]);
    assert!(head.contains("charset=Shift_JIS"), "{head}");
    assert!(hana.get("/home").text().contains("携帯のメールアドレスが未確認です"));
    tb.submit(
        &format!("/messages/new?to={hana_id}"),
        "/messages/new",
        &[("to", &hana_id.to_string()), ("subject", "二通目"), ("body", "…")],
    );
    assert_eq!(
        of_kind(t, "message").last().map(|r| r.to.clone()).as_deref(),
        Some("hana@example.jp")
    );
    // Confirmed from the phone itself (docomo, no cookies): from now on mail goes there.
    let phone_path = link_path(&text);
    let mut phone = Phone::new(&app, DOCOMO_FOMA);
    phone.get(&phone_path);
    let res = phone.submit(&phone_path, &phone_path, &[]);
    assert_eq!(res.status, 200, "{}", phone.last);
    assert!(phone.last.contains("確認しました"), "{}", phone.last);
    tb.submit(
        &format!("/messages/new?to={hana_id}"),
        "/messages/new",
        &[("to", &hana_id.to_string()), ("subject", "三通目"), ("body", "…")],
    );
    assert_eq!(
        of_kind(t, "message").last().map(|r| r.to.clone()).as_deref(),
        Some("hana@docomo.ne.jp")
    );
    // A link to an address she has since replaced confirms nothing.
    let stale = {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            tokens::issue(
                c,
                Purpose::Verify,
                hana_id,
                "old@docomo.ne.jp",
                ashiato_app::now(),
                60_000,
            )
        })
        .expect("link")
    };
    let res = opened.submit(&format!("/confirm/{stale}"), &format!("/confirm/{stale}"), &[]);
    assert_eq!(res.status, 404);
    let mut conn = t.db.conn().expect("connection");
    let settings = store_mail::settings(&mut conn, hana_id).expect("settings");
    assert_eq!(settings.phone_address.as_deref(), Some("hana@docomo.ne.jp"));
    assert!(settings.phone_confirmed, "the stale link changed nothing");
    assert!(!ashiato_store::accounts::find_member(&mut conn, taro).expect("taro").is_admin);
}

fn invitations_by_mail(t: &TestDb) {
    member(t, "taro@example.jp", "太郎");
    let app = app(t);
    let mut tb = Browser::new(&app);
    assert_eq!(tb.login("taro@example.jp", PASSWORD).status, 303);
    let res = tb.submit("/invite", "/invite", &[("email", "friend@ezweb.ne.jp")]);
    assert_eq!(res.status, 200);
    let page = res.text();
    assert!(page.contains("friend@ezweb.ne.jp に招待メールを送りました"), "{page}");
    let sent = of_kind(t, "invitation");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "friend@ezweb.ne.jp");
    let (head, text) = mail_text(t, &sent[0]);
    assert!(head.contains("charset=ISO-2022-JP"), "au mail is ISO-2022-JP: {head}");
    assert!(text.contains("太郎さんから"), "{text}");
    let path = link_path(&text);
    assert!(page.contains(&format!("{SITE}{path}")), "the page shows the mailed link");
    // The invitee opens it on an au phone and joins.
    let mut au = Phone::new(&app, AU_WAP2);
    assert_eq!(au.get(&path).status, 200);
    assert!(au.last.contains("太郎さんからの招待です"), "{}", au.last);
    // Without an address the link is only shown, as before.
    let res = tb.submit("/invite", "/invite", &[("email", "")]);
    assert_eq!(res.status, 200);
    assert!(!res.text().contains("招待メールを送りました"));
    assert_eq!(of_kind(t, "invitation").len(), 1);
    // Members whose address is confirmed see no reminder.
    assert!(!tb.get("/home").text().contains("未確認"));
}

fn session_list(t: &TestDb) {
    let taro = member(t, "taro@example.jp", "太郎");
    member(t, "jiro@example.jp", "次郎");
    let app = app(t);
    let mut pc = Browser::new(&app);
    assert_eq!(pc.login("taro@example.jp", PASSWORD).status, 303);
    let mut docomo = Phone::new(&app, DOCOMO_FOMA);
    docomo.login("taro@example.jp");
    let mut au = Phone::new(&app, AU_WAP2);
    au.login("taro@example.jp");
    let mut jiro = Browser::new(&app);
    assert_eq!(jiro.login("jiro@example.jp", PASSWORD).status, 303);

    // The list names each handset and its carrier, and marks this one.
    let page = pc.get("/settings/sessions").text();
    assert!(page.contains("N905i (docomo)"), "{page}");
    assert!(page.contains("(au)"), "{page}");
    assert!(page.contains("[この端末]"), "{page}");
    assert!(pc.get("/settings").text().contains("/settings/sessions"), "linked from settings");
    // The docomo phone sees the list too, in Shift_JIS.
    docomo.get("/settings/sessions");
    assert!(docomo.last.contains("ログイン中の端末"), "{}", docomo.last);

    let ids = |who: MemberId| {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::sessions::list_for_member(&mut conn, who, ashiato_app::now()).expect("list")
    };
    let listed = ids(taro);
    assert_eq!(listed.len(), 3, "{listed:?}");
    let of_docomo = listed.iter().find(|s| s.carrier.as_deref() == Some("docomo")).expect("docomo");
    // Log out the phone left on the train: only that one ends.
    let action = format!("/settings/sessions/{}/logout", of_docomo.id);
    assert_eq!(pc.submit("/settings/sessions", &action, &[]).status, 303);
    assert_eq!(docomo.get("/home").status, 303, "the docomo session ended");
    assert_eq!(au.get("/home").status, 200);
    // Another member's session is not mine to end.
    let jiros = ids(MemberId(jiro_id(t)))[0].id;
    let action = format!("/settings/sessions/{jiros}/logout");
    assert_eq!(pc.submit("/settings/sessions", &action, &[]).status, 404);
    assert_eq!(jiro.get("/home").status, 200, "Jiro is still logged in");
    // Everywhere else: the au phone ends, this PC stays.
    let res = pc.submit("/settings/sessions", "/settings/sessions/logout-others", &[]);
    assert_eq!(res.status, 303);
    assert_eq!(au.get("/home").status, 303);
    assert_eq!(pc.get("/home").status, 200);
    assert_eq!(ids(taro).len(), 1);
    assert!(pc.get("/settings/sessions").text().contains("ほかにログイン中の端末はありません"));
}

fn jiro_id(t: &TestDb) -> i64 {
    let mut conn = t.db.conn().expect("connection");
    let email = ashiato_core::account::Email::parse("jiro@example.jp").expect("address");
    ashiato_store::accounts::find_by_email(&mut conn, &email).expect("q").expect("jiro").id.0
}

/// Ends every session of the member, as an idle timeout would.
fn expire_sessions(t: &TestDb, who: MemberId) {
    let mut conn = t.db.conn().expect("connection");
    ashiato_store::sessions::delete_for_member(&mut conn, who).expect("expire");
}

fn drafts_survive_the_session(t: &TestDb) {
    let hanako = member(t, "hanako@example.jp", "花子");
    let taro = member(t, "taro@example.jp", "太郎");
    let app = app(t);
    // On docomo without cookies: the diary form is opened, typed into for a long time…
    let mut phone = Phone::new(&app, DOCOMO_FOMA);
    phone.login("hanako@example.jp");
    phone.get("/diary/new");
    let action = phone.form_action("/diary/new?draft=");
    // …meanwhile the URL session expires.
    expire_sessions(t, hanako);
    let (title, body) = ("雨の日", "駅まで歩いたら晴れてきた☀ 長い日記をキーで打った");
    let res = phone.post_loaded(&action, &[("title", title), ("body", body), ("scope", "friends")]);
    assert_eq!(res.status, 303, "{}", phone.last);
    let to_login = res.header("location").expect("location").to_owned();
    assert!(to_login.contains("/login?draft="), "{to_login}");
    let key =
        to_login.split("draft=").nth(1).expect("key").split('&').next().expect("k").to_owned();
    assert!(!to_login.contains("ksid"), "the dead session is not carried along: {to_login}");
    // Nothing was posted yet; the login page says the text waits.
    let mut conn = t.db.conn().expect("connection");
    assert_eq!(
        ashiato_store::diary::list_by_author(&mut conn, hanako, 10, 0).expect("list").len(),
        0
    );
    phone.follow(&res);
    assert!(phone.last.contains("書きかけの内容に戻ります"), "{}", phone.last);
    let res = phone.post_loaded(
        "/login",
        &[("email", "hanako@example.jp"), ("password", PASSWORD), ("draft", &key)],
    );
    assert_eq!(res.status, 303, "{}", phone.last);
    let back = res.header("location").expect("location").to_owned();
    assert!(back.contains("/diary/new?draft=") && back.contains("ksid="), "{back}");
    phone.follow(&res);
    assert!(phone.last.contains("書きかけの内容を戻しました"), "{}", phone.last);
    assert!(phone.last.contains(title) && phone.last.contains(body), "{}", phone.last);
    // Sent again from the restored form, it posts; the draft was handed back once.
    let action = phone.form_action("/diary/new?draft=");
    let res = phone.post_loaded(&action, &[("title", title), ("body", body), ("scope", "friends")]);
    assert_eq!(res.status, 303, "{}", phone.last);
    let posted = ashiato_store::diary::list_by_author(&mut conn, hanako, 10, 0).expect("list");
    assert_eq!(posted.len(), 1);
    assert_eq!((posted[0].title.as_str(), posted[0].body.as_str()), (title, body));
    phone.get(&format!("/diary/new?draft={key}"));
    assert!(!phone.last.contains(body), "a draft comes back once");

    // A comment on a PC whose cookie session expired: back on the entry with the text.
    let entry = posted[0].id;
    let mut pc = Phone::new(&app, crate::support::PC);
    pc.login("taro@example.jp");
    // Taro may read it: make them friends.
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            ashiato_store::friends::befriend(c, hanako, taro, ashiato_app::now())
        })
        .expect("friends");
    }
    pc.get(&format!("/diary/{entry}"));
    let action = pc.form_action(&format!("/diary/{entry}/comments?draft="));
    expire_sessions(t, taro);
    let res = pc.post_loaded(&action, &[("body", "傘は大事")]);
    assert_eq!(res.status, 303);
    let key = res.header("location").expect("l").split("draft=").nth(1).expect("k").to_owned();
    pc.follow(&res);
    let res = pc.post_loaded(
        "/login",
        &[("email", "taro@example.jp"), ("password", PASSWORD), ("draft", &key)],
    );
    assert_eq!(res.status, 303);
    pc.follow(&res);
    assert!(pc.last.contains("傘は大事"), "the comment box is filled: {}", pc.last);
    assert!(pc.last.contains(title), "on the entry's page");

    // Someone else's draft key: Taro cannot take Hanako's text, nor store text under it.
    phone.get(&format!("/messages/new?to={taro}"));
    let action = phone.form_action("/messages/new?draft=");
    expire_sessions(t, hanako);
    let res = phone.post_loaded(
        &action,
        &[("to", &taro.to_string()), ("subject", "秘密"), ("body", "内緒の話")],
    );
    assert_eq!(res.status, 303);
    let location = res.header("location").expect("l");
    let hanakos = location.split("draft=").nth(1).expect("k").split('&').next().expect("key");
    let hanakos = hanakos.to_owned();
    pc.get(&format!("/messages/new?to={hanako}&draft={hanakos}"));
    assert!(!pc.last.contains("内緒の話"), "another member's draft is refused");
    // Nor can Taro store text under Hanako's key with a form whose token went stale.
    pc.get(&format!("/messages/new?to={hanako}"));
    let old_form = pc.last.clone();
    assert_eq!(pc.submit("/logout", "/logout", &[]).status, 303);
    pc.login("taro@example.jp");
    pc.last = old_form;
    let res = pc.post_loaded(
        &format!("/messages/new?draft={hanakos}"),
        &[("to", &hanako.to_string()), ("subject", "x"), ("body", "乗っ取り")],
    );
    assert_eq!(res.status, 403, "refused as any stale form is");
    // Hanako still gets her own draft back.
    let mut again = Phone::new(&app, DOCOMO_FOMA);
    again.get(&format!("/login?draft={hanakos}"));
    let res = again.post_loaded(
        "/login",
        &[("email", "hanako@example.jp"), ("password", PASSWORD), ("draft", &hanakos)],
    );
    again.follow(&res);
    assert!(again.last.contains("内緒の話") && again.last.contains("秘密"), "{}", again.last);
    // Her own form with a stale token on a PC (she logged in again in another tab
    // meanwhile): straight back to the form, text kept, no login needed. (On keitai the old
    // form's action carries its dead ksid: that is the expired-session case above.)
    let mut tab = Phone::new(&app, crate::support::PC);
    tab.login("hanako@example.jp");
    tab.get("/diary/new");
    let old_form = tab.last.clone();
    let action = tab.form_action("/diary/new?draft=");
    assert_eq!(tab.submit("/logout", "/logout", &[]).status, 303);
    tab.login("hanako@example.jp");
    tab.last = old_form;
    let res =
        tab.post_loaded(&action, &[("title", "二本目"), ("body", "続き"), ("scope", "public")]);
    assert_eq!(res.status, 303);
    let loc = res.header("location").unwrap_or_default().to_owned();
    assert!(loc.contains("/diary/new?draft="), "{loc}");
    tab.follow(&res);
    assert!(tab.last.contains("二本目") && tab.last.contains("続き"), "{}", tab.last);
    // A forged key keeps nothing: the usual way to the login page, without a draft.
    let mut stranger = Phone::new(&app, crate::support::PC);
    stranger.get("/login");
    let res = stranger.post_loaded(
        "/diary/new?draft=1.AAAAAAAAAAAA.BBBBBBBBBBBBBBBB",
        &[("title", "x"), ("body", "y"), ("scope", "public")],
    );
    assert_eq!(res.status, 303);
    let loc = res.header("location").expect("l");
    assert!(loc.ends_with("/login"), "{loc}");
}

/// Unpacks a tar archive with the system's `tar` (an independent reader) into a new folder.
fn untar(bytes: &[u8]) -> tempfile::TempDir {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new("tar")
        .args(["-x", "-f", "-", "-C"])
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("tar (the system's) runs");
    child.stdin.take().expect("stdin").write_all(bytes).expect("write archive");
    assert!(child.wait().expect("tar").success(), "tar read the archive");
    dir
}

fn json_file(dir: &std::path::Path, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("ashiato-export").join(name)).expect(name);
    serde_json::from_str(&text).expect("JSON")
}

fn data_export(t: &TestDb) {
    let hanako = member(t, "hanako@example.jp", "花子");
    let taro = member(t, "taro@example.jp", "太郎");
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            ashiato_store::friends::befriend(c, hanako, taro, ashiato_app::now())?;
            ashiato_store::messages::send(
                c,
                taro,
                hanako,
                "週末",
                "カフェ行こう",
                None,
                ashiato_app::now(),
            )?;
            ashiato_store::messages::send(
                c,
                hanako,
                taro,
                "Re: 週末",
                "いいよ☀",
                None,
                ashiato_app::now(),
            )
        })
        .expect("friends and messages");
    }
    let data = tempfile::tempdir().expect("data dir");
    let data_dir = data.path().to_owned();
    let app = TestApp::start_with(t, move |c| {
        c.public_url = SITE.into();
        c.data_dir = data_dir;
    });
    let mut pc = Phone::new(&app, crate::support::PC);
    pc.login("hanako@example.jp");
    let photo = ashiato_test_support::images::png(64, 48, 48);
    let res = crate::photos::upload(
        &mut pc,
        "/diary/new",
        "/diary/new",
        &[("title", "お花見"), ("body", "桜がきれい🌸"), ("scope", "friends")],
        &[("photo1", "sakura.png", &photo)],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let entry = res
        .header("location")
        .expect("l")
        .split("/diary/")
        .nth(1)
        .expect("id")
        .split(['?', '&'])
        .next()
        .expect("id")
        .to_owned();
    let mut tb = Phone::new(&app, crate::support::PC);
    tb.login("taro@example.jp");
    let path = format!("/diary/{entry}");
    let action = {
        tb.get(&path);
        tb.form_action(&format!("{path}/comments"))
    };
    assert_eq!(tb.post_loaded(&action, &[("body", "見に行きたい")]).status, 303);

    // The page asks for the password; a wrong one gets no archive.
    pc.get("/settings");
    assert!(pc.last.contains("/settings/export"));
    let res = pc.submit("/settings/export", "/settings/export", &[("password", "not-my-password")]);
    assert_eq!(res.status, 422);
    let res = pc.submit("/settings/export", "/settings/export", &[("password", PASSWORD)]);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/x-tar"));
    assert!(res.header("content-disposition").is_some_and(|d| d.contains("ashiato-export-")));
    let dir = untar(&res.body);
    let profile = json_file(dir.path(), "profile.json");
    assert_eq!(profile["nickname"], "花子");
    assert_eq!(profile["email"], "hanako@example.jp");
    let diaries = json_file(dir.path(), "diaries.json");
    assert_eq!(diaries[0]["title"], "お花見");
    assert_eq!(diaries[0]["body"], "桜がきれい🌸");
    assert_eq!(diaries[0]["scope"], "friends");
    assert_eq!(diaries[0]["comments"][0]["body"], "見に行きたい");
    assert_eq!(diaries[0]["comments"][0]["author"]["nickname"], "太郎");
    // The photo is the stored original, byte for byte.
    let photo_path = diaries[0]["photos"][0].as_str().expect("photo path").to_owned();
    let exported =
        std::fs::read(dir.path().join("ashiato-export").join(&photo_path)).expect("photo");
    let stored = {
        let mut conn = t.db.conn().expect("connection");
        let id: i64 = photo_path
            .trim_start_matches("photos/")
            .split('.')
            .next()
            .expect("id")
            .parse()
            .expect("id");
        ashiato_store::photos::find(&mut conn, ashiato_core::PhotoId(id)).expect("photo")
    };
    let master = std::fs::read(
        ashiato_store::files::FileStore::new(data.path()).master_path(&stored.sha256, "png"),
    )
    .expect("master");
    assert_eq!(exported, master);
    let messages = json_file(dir.path(), "messages.json");
    assert_eq!(messages["received"][0]["body"], "カフェ行こう");
    assert_eq!(messages["sent"][0]["body"], "いいよ☀");
    let friends = json_file(dir.path(), "friends.json");
    assert_eq!(friends[0]["nickname"], "太郎");
    assert!(json_file(dir.path(), "comments.json")["diary"].as_array().is_some());
    assert!(dir.path().join("ashiato-export/README.txt").exists());

    // A keitai is told to use a PC; it gets no form and no archive.
    let mut phone = Phone::new(&app, DOCOMO_FOMA);
    phone.login("hanako@example.jp");
    phone.get("/settings/export");
    assert!(phone.last.contains("PCかスマートフォンから"), "{}", phone.last);
    assert!(!phone.last.contains("name=\"password\""));
    // Withdrawal offers the export first.
    pc.get("/settings/withdraw");
    assert!(pc.last.contains("/settings/export"), "{}", pc.last);
}

/// A delivery status notification as MTAs send them, saying `action` and `status`.
fn dsn(action: &str, status: &str) -> Vec<u8> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mail/bounce_dsn.eml");
    let raw = String::from_utf8(std::fs::read(path).expect("DSN fixture")).expect("ASCII");
    raw.replace("Action: failed", &format!("Action: {action}"))
        .replace("Status: 5.1.1", &format!("Status: {status}"))
        .into_bytes()
}

/// Marks queued mails sent, as the outbox worker does, and returns the bounce address each
/// left with (`bounce-<id>-<tag>@<domain>`, a random 16-digit tag per mail).
fn send_and_address_bounces(t: &TestDb, rows: &[OutboxRow], domain: &str) -> Vec<String> {
    rows.iter()
        .map(|row| {
            let mut conn = t.db.conn().expect("connection");
            let mail = store_mail::claim(&mut conn, row.id, ashiato_app::now(), 1000)
                .expect("claim")
                .expect("claimable");
            assert_eq!(mail.bounce_tag.len(), 16, "a random tag per mail");
            store_mail::mark_sent(&mut conn, row.id, ashiato_app::now()).expect("sent");
            ashiato_mail::bounce_address(row.id, &mail.bounce_tag, domain)
        })
        .collect()
}

/// S-29: bounces come back to each mail's own envelope sender; after `mail_bounce_limit` hard
/// bounces (one per mail, however often it is reported) the address gets no notifications
/// and its owner is asked to confirm it again; confirming makes it work again. A bounce with
/// a forged tag counts nothing.
fn bounces(t: &TestDb) {
    let domain = "m.ashiato.example";
    let adjust = |c: &mut ashiato_app::config::Config| {
        c.public_url = SITE.into();
        c.mail_domain = domain.into();
        c.mail_bounce_limit = 2;
    };
    let mut config = ashiato_app::config::Config::default();
    adjust(&mut config);
    let ingest = ashiato_app::inbound::Ingest::new(t.db.clone(), std::sync::Arc::new(config));
    let a = member(t, "a@example.jp", "エー");
    let b = member(t, "b@example.jp", "ビー");
    let app = TestApp::start_with(t, adjust);
    let mut pa = Phone::new(&app, PC);
    pa.login("a@example.jp");
    let mut pb = Phone::new(&app, PC);
    pb.login("b@example.jp");
    let message = |pa: &mut Phone<'_>, subject: &str| {
        let res = pa.submit(
            &format!("/messages/new?to={b}"),
            "/messages/new",
            &[("to", &b.to_string()), ("subject", subject), ("body", "…")],
        );
        assert_eq!(res.status, 303, "{}", pa.last);
    };
    message(&mut pa, "一通目");
    message(&mut pa, "二通目");
    let sent = of_kind(t, "message");
    assert_eq!(sent.len(), 2);
    // Each mail's bounce address: bounce-<id>-<tag>@<mail_domain>.
    let verp = send_and_address_bounces(t, &sent, domain);
    let deliver = |raw: &[u8], to: &str| ingest.deliver(raw, to, Some(""));
    let record = || {
        let mut conn = t.db.conn().expect("connection");
        store_mail::bounces(&mut conn, 10).expect("bounces")
    };
    use ashiato_app::inbound::Delivered;
    let hard = Delivered::Bounce { hard: true, undeliverable: false };
    assert_eq!(deliver(&dsn("failed", "5.1.1"), &verp[0]).expect("bounce"), hard);
    // The same report again (a retrying MTA, a storm) counts once.
    for _ in 0..5 {
        assert_eq!(deliver(&dsn("failed", "5.1.1"), &verp[0]).expect("bounce"), hard);
    }
    assert_eq!(record()[0].hard_bounces, 1);
    // A forged tag names no mail: refused as an unknown recipient, nothing counted.
    let forged = format!("bounce-{}-0123456789abcdef@{domain}", sent[1].id);
    let refused = deliver(&dsn("failed", "5.1.1"), &forged).expect_err("forged bounce");
    assert!(refused.to_string().starts_with("550 5.1.1"), "{refused}");
    // A delay is soft: counted, nothing stops.
    let soft = deliver(&dsn("delayed", "4.2.2"), &verp[1]).expect("soft bounce");
    assert_eq!(soft, Delivered::Bounce { hard: false, undeliverable: false });
    assert_eq!((record()[0].hard_bounces, record()[0].soft_bounces), (1, 1));
    message(&mut pa, "三通目");
    assert_eq!(of_kind(t, "message").len(), 3, "soft bounces stop nothing");
    // The second mail's hard bounce reaches the limit (2 here): undeliverable.
    let limit = deliver(&dsn("failed", "5.2.1"), &verp[1]).expect("bounce");
    assert_eq!(limit, Delivered::Bounce { hard: true, undeliverable: true });
    let r = record();
    assert_eq!((r[0].address.as_str(), r[0].hard_bounces), ("b@example.jp", 2));
    assert!(r[0].undeliverable_at.is_some());
    let metrics = Request::get("/metrics").send(app.addr).expect("metrics").text();
    assert!(metrics.contains("\nashiato_mail_undeliverable_addresses 1\n"), "{metrics}");
    // No more notifications to b; b's home asks to confirm the address again.
    message(&mut pa, "四通目");
    assert_eq!(of_kind(t, "message").len(), 3, "a notification went to an undeliverable address");
    assert!(pb.get("/home").text().contains("未確認"), "{}", pb.last);
    // b asks for a link (an account mail, sent even now) and follows it: mail works again.
    let res = pb.submit("/home", "/settings/confirm", &[]);
    assert!(res.status == 200 || res.status == 303, "{}", res.status);
    let links: Vec<OutboxRow> =
        of_kind(t, "confirm").into_iter().filter(|r| r.to == "b@example.jp").collect();
    assert_eq!(links.len(), 1);
    let (_, text) = mail_text(t, &links[0]);
    let path = link_path(&text);
    let mut opened = Browser::new(&app);
    assert_eq!(opened.submit(&path, &path, &[]).status, 200);
    assert!(record().is_empty(), "confirming forgets the bounces");
    message(&mut pa, "五通目");
    let after = of_kind(t, "message");
    assert_eq!(after.len(), 4);
    assert_eq!(after[3].to, "b@example.jp");
    let _ = a;
}

/// S-29, a bounce storm: `ASHIATO_DRILL_BOUNCES` reports (200 in CI, 10,000 in the release
/// drills) for two of our mails, half with forged tags. Each mail's hard bounce counts once,
/// the address becomes undeliverable at the limit (2 here), nothing is ever answered.
fn bounce_storm(t: &TestDb) {
    let reports: usize =
        std::env::var("ASHIATO_DRILL_BOUNCES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let domain = "m.ashiato.example";
    let adjust = |c: &mut ashiato_app::config::Config| {
        c.mail_domain = domain.into();
        c.mail_bounce_limit = 2;
    };
    let mut config = ashiato_app::config::Config::default();
    adjust(&mut config);
    let ingest = ashiato_app::inbound::Ingest::new(t.db.clone(), std::sync::Arc::new(config));
    member(t, "a@example.jp", "エー");
    let b = member(t, "b@example.jp", "ビー");
    let app = TestApp::start_with(t, adjust);
    let mut pa = Phone::new(&app, PC);
    pa.login("a@example.jp");
    for subject in ["一", "二"] {
        let res = pa.submit(
            &format!("/messages/new?to={b}"),
            "/messages/new",
            &[("to", &b.to_string()), ("subject", subject), ("body", "…")],
        );
        assert_eq!(res.status, 303, "{}", pa.last);
    }
    let verp = send_and_address_bounces(t, &of_kind(t, "message"), domain);
    let queued_before = outbox(t).len();
    let report = dsn("failed", "5.1.1");
    let clock = std::time::Instant::now();
    let (mut counted, mut refused) = (0, 0);
    for i in 0..reports {
        let to = if i % 2 == 0 {
            verp[(i / 2) % 2].clone()
        } else {
            format!("bounce-{}-{:016x}@{domain}", i, i * 7919)
        };
        match ingest.deliver(&report, &to, Some("")) {
            Ok(ashiato_app::inbound::Delivered::Bounce { .. }) => counted += 1,
            Ok(other) => panic!("a report was taken as {other:?}"),
            Err(reply) => {
                assert!(reply.to_string().starts_with("550 5.1.1"), "{reply}");
                refused += 1;
            }
        }
    }
    let seconds = clock.elapsed().as_secs_f64();
    let mut conn = t.db.conn().expect("connection");
    let record = store_mail::bounces(&mut conn, 10).expect("bounces");
    assert_eq!(record.len(), 1, "{record:?}");
    assert_eq!(record[0].hard_bounces, 2, "one hard bounce per mail, however often reported");
    assert!(record[0].undeliverable_at.is_some());
    assert_eq!(outbox(t).len(), queued_before, "a report was answered");
    assert_eq!((counted, refused), (reports.div_ceil(2), reports / 2));
    eprintln!(
        "S-29 {}: {reports} reports in {seconds:.1} s ({:.0}/s): {counted} for our two mails \
         counted as 2 hard bounces (address undeliverable), {refused} with forged tags refused, \
         0 mails sent in reply",
        t.backend().name(),
        reports as f64 / seconds
    );
}

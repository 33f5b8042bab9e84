//! Handset detection on every request: the `/handset` page, subscriber-ID trust through the
//! configured proxies only, crawlers without sessions, cookie-less docomo with URL sessions.

use ashiato_test_support::http::Request;
use ashiato_test_support::{Suite, TestDb};

use crate::support::{PASSWORD, TestApp, form_body, hidden_value, member};

const FOMA_1: &str = "DoCoMo/2.0 N905i(c100;TB;W24H16)";
const GOOGLEBOT_MOBILE: &str = "DoCoMo/2.0 N905i(c100;TB;W24H16) (compatible; Googlebot-Mobile/2.1; +http://www.google.com/bot.html)";

pub fn register(suite: &mut Suite) {
    suite
        .on_both("handset_page_names_the_phone", handset_page)
        .on_both("subscriber_id_is_trusted_only_through_configured_proxies", subscriber_id_trust)
        .on_both("crawlers_never_get_a_session", crawlers_get_no_session)
        .on_both("cookieless_docomo_logs_in_with_a_url_session", cookieless_docomo_login)
        .on_both(
            "shift_jis_form_with_docomo_emoji_is_stored_as_unicode",
            sjis_form_with_docomo_emoji,
        );
}

fn handset_page(t: &TestDb) {
    let app = TestApp::start(t);
    let res = app.send(&Request::get("/handset").header("User-Agent", FOMA_1));
    assert_eq!(res.status, 200);
    let html = crate::support::Phone::decode(&res);
    for expected in ["端末情報", "docomo", "N905i", "Shift_JIS", "非対応"] {
        assert!(html.contains(expected), "{expected} missing: {html}");
    }
    let iphone = app
        .send(&Request::get("/handset").header(
            "User-Agent",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        ))
        .text();
    assert!(iphone.contains("smartphone") && iphone.contains("UTF-8"), "{iphone}");
}

fn subscriber_id_trust(t: &TestDb) {
    let forged = Request::get("/handset")
        .header("User-Agent", FOMA_1)
        .header("X-DCMGUID", "0a1B2c3")
        .header("X-Forwarded-For", "210.153.84.1");
    // Without a trusted proxy the forwarded address is ignored: the peer is loopback, not docomo.
    let direct = TestApp::start(t);
    let html = crate::support::Phone::decode(&direct.send(&forged));
    assert!(html.contains("受信したが無視"), "{html}");
    assert!(!html.contains("0a1B2c3"), "the raw ID reached the page");
    drop(direct);
    // Behind a configured proxy, its X-Forwarded-For is believed.
    let proxied = TestApp::start_with(t, |c| c.trusted_proxies = vec!["127.0.0.1".into()]);
    assert!(crate::support::Phone::decode(&proxied.send(&forged)).contains("受信(信頼)"));
    // docomo's full-browser range is never trusted, even through the proxy (S-02).
    let full_browser = Request::get("/handset")
        .header("User-Agent", FOMA_1)
        .header("X-DCMGUID", "0a1B2c3")
        .header("X-Forwarded-For", "210.153.87.10");
    assert!(crate::support::Phone::decode(&proxied.send(&full_browser)).contains("受信したが無視"));
    // A proxy that appends its own X-Forwarded-For line after the client's: the client's
    // forged docomo address comes first, the real one (a PC line) last. Only the last counts.
    let appended = Request::get("/handset")
        .header("User-Agent", FOMA_1)
        .header("X-DCMGUID", "0a1B2c3")
        .header("X-Forwarded-For", "210.153.84.1")
        .header("X-Forwarded-For", "198.51.100.7");
    let html = crate::support::Phone::decode(&proxied.send(&appended));
    assert!(html.contains("受信したが無視"), "a forged first line was believed: {html}");
}

fn crawlers_get_no_session(t: &TestDb) {
    let app = TestApp::start(t);
    let res = app.send(&Request::get("/login").header("User-Agent", GOOGLEBOT_MOBILE));
    assert_eq!(res.status, 200);
    assert!(res.header("set-cookie").is_none());
    let html = crate::support::Phone::decode(&res);
    assert!(!html.contains("ksid") && !html.contains("name=\"csrf\""), "{html}");
}

fn cookieless_docomo_login(t: &TestDb) {
    member(t, "docomo@docomo.ne.jp", "ドコモ");
    let app = TestApp::start(t);
    let ua = [("User-Agent", FOMA_1)];
    let form = app.send(&Request::get("/login").headers(&ua));
    assert!(form.header("set-cookie").is_none(), "i-mode browser 1.0 keeps no cookies");
    let html = crate::support::Phone::decode(&form);
    let ksid = hidden_value(&html, "ksid").expect("session travels in a hidden field");
    let csrf = hidden_value(&html, "csrf").expect("csrf");
    assert!(html.contains("guid=ON"), "docomo links must ask for the i-mode ID: {html}");
    let body =
        form_body(&[("email", "docomo@docomo.ne.jp"), ("password", PASSWORD), ("csrf", &csrf)]);
    let login =
        app.send(&Request::post_form(&format!("/login?guid=ON&ksid={ksid}"), body).headers(&ua));
    assert_eq!(login.status, 303, "{}", login.text());
    assert!(login.header("set-cookie").is_none());
    let location = login.header("location").expect("redirect").to_owned();
    let new_ksid =
        location.split("ksid=").nth(1).expect("redirect carries the new session").to_owned();
    assert_ne!(new_ksid, ksid, "token rotated at login");
    let home = crate::support::Phone::decode(
        &app.send(&Request::get(&format!("/home?guid=ON&ksid={new_ksid}")).headers(&ua)),
    );
    assert!(home.contains("ドコモさんのホーム"), "{home}");
    assert!(home.contains(&format!("ksid={new_ksid}")), "internal links carry the session");
    let old = app.send(&Request::get(&format!("/home?ksid={ksid}")).headers(&ua));
    assert_eq!(old.status, 303, "the pre-login token still works");
}

/// Percent-encodes raw bytes for a form body, the way a handset sends them.
fn percent(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| {
            if b.is_ascii_alphanumeric() { char::from(*b).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

fn sjis_form_with_docomo_emoji(t: &TestDb) {
    let inviter = member(t, "inviter@example.jp", "さそう人");
    let token = {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::accounts::create_invitation(
            &mut conn,
            Some(inviter),
            None,
            ashiato_app::now(),
            14,
        )
        .expect("invite")
        .token
    };
    let app = TestApp::start(t);
    let ua = [("User-Agent", FOMA_1)];
    let form = crate::support::Phone::decode(
        &app.send(&Request::get(&format!("/join/{token}")).headers(&ua)),
    );
    let ksid = hidden_value(&form, "ksid").expect("ksid");
    let csrf = hidden_value(&form, "csrf").expect("csrf");
    // The nickname as a docomo handset sends it: CP932 bytes with the sun emoji at F8 9F, and a
    // 0x5C-trail character (ソ = 83 5C) that backslash escaping would corrupt.
    let docomo = ashiato_charset::OutputTarget::new(
        ashiato_charset::Charset::ShiftJis,
        ashiato_charset::EmojiOut::Docomo { extended: true },
    );
    let nickname =
        ashiato_charset::encode_plain("ソラ☀", &docomo, ashiato_charset::Unmappable::Geta);
    assert_eq!(nickname, [0x83, 0x5C, 0x83, 0x89, 0xF8, 0x9F]);
    let body = format!(
        "email=sora%40docomo.ne.jp&nickname={}&password=sakura-2008-spring&csrf={csrf}",
        percent(&nickname)
    );
    let res = app.send(
        &Request::post_form(&format!("/join/{token}?guid=ON&ksid={ksid}"), body).headers(&ua),
    );
    assert_eq!(res.status, 303, "{}", res.text());
    let mut conn = t.db.conn().expect("connection");
    let stored = ashiato_store::accounts::find_by_email(
        &mut conn,
        &ashiato_core::account::Email::parse("sora@docomo.ne.jp").expect("email"),
    )
    .expect("query")
    .expect("member created");
    assert_eq!(stored.nickname, "ソラ☀", "stored as Unicode with the standard sun emoji");
    assert!(!ashiato_charset::contains_private_use(&stored.nickname));
}

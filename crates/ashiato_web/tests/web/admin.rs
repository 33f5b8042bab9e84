//! The operators' console at /admin: only admins see it, it escapes what members wrote, every
//! action works and is audited, and an easy-login session asks for the password first.

use ashiato_core::MemberId;
use ashiato_test_support::{Suite, TestDb};

use crate::support::{Browser, PASSWORD, Phone, TestApp, member};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("the_console_is_404_for_everyone_but_admins", only_admins)
        .on_both("the_console_suspends_logs_out_and_audits", console_actions)
        .on_both("announcements_reach_every_home_while_they_run", announcements)
        .on_both("invitations_are_listed_and_revoked_from_the_console", invitations);
}

fn make_admin(t: &TestDb, id: MemberId) {
    let mut conn = t.db.conn().expect("connection");
    ashiato_store::accounts::set_admin(&mut conn, id, true).expect("admin");
}

fn only_admins(t: &TestDb) {
    let boss = member(t, "boss@example.jp", "運営");
    let taro = member(t, "taro@example.jp", "太郎");
    make_admin(t, boss);
    let app = TestApp::start(t);
    for path in
        ["/admin", "/admin/members?q=taro", &format!("/admin/members/{taro}"), "/admin/audit"]
    {
        assert_eq!(Browser::new(&app).get(path).status, 404, "anonymous {path}");
    }
    let mut tb = Browser::new(&app);
    assert_eq!(tb.login("taro@example.jp", PASSWORD).status, 303);
    for path in ["/admin", &format!("/admin/members/{boss}"), "/admin/audit"] {
        assert_eq!(tb.get(path).status, 404, "member {path}");
    }
    // A member's POST to the console is a 404 too, and changes nothing.
    let res = tb.submit("/settings", &format!("/admin/members/{boss}/suspend"), &[("reason", "x")]);
    assert_eq!(res.status, 404);
    let mut conn = t.db.conn().expect("connection");
    assert!(
        ashiato_store::accounts::find_member(&mut conn, boss).expect("boss").suspended.is_none()
    );
    assert!(ashiato_store::audit::list(&mut conn, 10).expect("audit").is_empty());
    let mut admin = Browser::new(&app);
    assert_eq!(admin.login("boss@example.jp", PASSWORD).status, 303);
    let page = admin.get("/admin");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("会員数"), "{}", page.text());
}

fn console_actions(t: &TestDb) {
    let boss = member(t, "boss@docomo.ne.jp", "運営");
    let hostile = member(t, "evil@example.jp", "<script>alert(1)</script>");
    make_admin(t, boss);
    let app = TestApp::start_with(t, |c| c.trusted_proxies = vec!["127.0.0.1".into()]);
    let mut evil = Browser::new(&app);
    assert_eq!(evil.login("evil@example.jp", PASSWORD).status, 303);
    let mut admin = Browser::new(&app);
    assert_eq!(admin.login("boss@docomo.ne.jp", PASSWORD).status, 303);

    // The dashboard counts members and sessions by carrier.
    let dash = admin.get("/admin").text();
    assert!(dash.contains("会員数</strong>: 2"), "{dash}");
    assert!(dash.contains("pc: 2 (100%)"), "{dash}");
    // Search finds the hostile nickname and shows it escaped.
    let found = admin.get("/admin/members?q=script").text();
    assert!(found.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{found}");
    assert!(!found.contains("<script>alert"), "hostile text reached the page raw");
    let detail = format!("/admin/members/{hostile}");
    assert!(admin.get(&detail).text().contains("evil@example.jp"));

    // A suspension needs a reason; with one, the member's session ends at once.
    let res = admin.submit(&detail, &format!("{detail}/suspend"), &[("reason", "  ")]);
    assert_eq!(res.status, 422);
    assert_eq!(evil.get("/home").status, 200);
    let res =
        admin.submit(&detail, &format!("{detail}/suspend"), &[("reason", "spam <b>links</b>")]);
    assert_eq!(res.status, 303);
    assert_eq!(evil.get("/home").status, 303, "the suspended member's session ended");
    let res = Browser::new(&app).login("evil@example.jp", PASSWORD);
    assert_eq!(res.status, 403);
    assert!(res.text().contains("利用停止中"), "{}", res.text());
    let page = admin.get(&detail).text();
    assert!(page.contains("spam &lt;b&gt;links&lt;/b&gt;"), "{page}");
    // Lifted; then a forced logout ends the sessions again.
    assert_eq!(admin.submit(&detail, &format!("{detail}/unsuspend"), &[]).status, 303);
    assert_eq!(evil.login("evil@example.jp", PASSWORD).status, 303);
    assert_eq!(admin.submit(&detail, &format!("{detail}/logout"), &[]).status, 303);
    assert_eq!(evil.get("/home").status, 303);
    assert_eq!(admin.submit(&detail, &format!("{detail}/clear-easy-login"), &[]).status, 303);
    // Every action is one audit row, by this admin, newest first.
    let audit = admin.get("/admin/audit").text();
    let mut conn = t.db.conn().expect("connection");
    let rows = ashiato_store::audit::list(&mut conn, 10).expect("audit");
    let actions: Vec<&str> = rows.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["member.clear_easy_login", "member.logout", "member.unsuspend", "member.suspend"]
    );
    assert!(rows.iter().all(|e| e.actor == format!("member:{boss}")));
    assert!(rows.iter().all(|e| e.target == format!("member:{hostile}")));
    assert!(
        audit.contains("member.suspend") && audit.contains(&format!("member:{boss}")),
        "{audit}"
    );
    // A missing member: 404, nothing recorded.
    let res = admin.submit(&detail, "/admin/members/999999/logout", &[]);
    assert_eq!(res.status, 404);
    assert_eq!(ashiato_store::audit::list(&mut conn, 10).expect("audit").len(), 4);

    // After an easy login the console asks for the password first.
    let docomo = |app| {
        let mut p = Phone::new(app, "DoCoMo/2.0 N905i(c100;TB;W24H16)");
        p.headers.push(("X-DCMGUID".into(), "7aB8cD9".into()));
        p.headers.push(("X-Forwarded-For".into(), "210.153.84.1".into()));
        p
    };
    let mut handset = docomo(&app);
    handset.login("boss@docomo.ne.jp");
    let bound =
        handset.submit("/settings/easy-login", "/settings/easy-login", &[("action", "bind")]);
    assert_eq!(bound.status, 303);
    let mut easy = docomo(&app);
    easy.get("/login");
    assert_eq!(easy.submit("/login", "/login/easy", &[]).status, 303);
    easy.get("/admin");
    assert!(easy.last.contains("パスワードを入力してください"), "{}", easy.last);
    assert!(!easy.last.contains("会員数"));
    let res = easy.submit("/admin", "/admin/confirm", &[("password", "wrong-password-1")]);
    assert_eq!(res.status, 422);
    let res = easy.submit("/admin", "/admin/confirm", &[("password", PASSWORD)]);
    assert_eq!(res.status, 303, "{}", easy.last);
    easy.follow(&res);
    assert!(easy.last.contains("会員数"), "{}", easy.last);
}

fn announcements(t: &TestDb) {
    let boss = member(t, "boss@example.jp", "運営");
    member(t, "hanako@example.jp", "花子");
    make_admin(t, boss);
    let app = TestApp::start(t);
    let mut admin = Browser::new(&app);
    assert_eq!(admin.login("boss@example.jp", PASSWORD).status, 303);
    let jst = |t: ashiato_core::Timestamp| {
        let (y, m, d) = t.civil_date(ashiato_core::time::JST_OFFSET_MINUTES);
        let (hh, mm) = t.hour_minute(ashiato_core::time::JST_OFFSET_MINUTES);
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}")
    };
    let now = ashiato_app::now();
    let (from, until) = (jst(now.plus_millis(-60_000)), jst(now.plus_millis(3_600_000)));
    // Refused forms store nothing: an empty title, an end before the start, a bad date.
    for (title, starts, ends) in [
        ("", from.as_str(), until.as_str()),
        ("メンテ", until.as_str(), from.as_str()),
        ("メンテ", "2026-02-30 10:00", until.as_str()),
    ] {
        let res = admin.submit(
            "/admin/announcements",
            "/admin/announcements",
            &[("title", title), ("body", "本文"), ("starts", starts), ("ends", ends)],
        );
        assert_eq!(res.status, 422, "{title} {starts} {ends}");
    }
    let mut conn = t.db.conn().expect("connection");
    assert!(ashiato_store::announcements::all(&mut conn, 10).expect("list").is_empty());
    let res = admin.submit(
        "/admin/announcements",
        "/admin/announcements",
        &[
            ("title", "メンテナンスのお知らせ"),
            ("body", "12月8日 2:00〜4:00 はご利用いただけません🙏"),
            ("starts", &from),
            ("ends", &until),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.text());
    // One not yet due is not shown.
    ashiato_store::write(&mut conn, |c| {
        ashiato_store::announcements::create(
            c,
            Some(boss),
            "来週の予告",
            "まだ出ない",
            (now.plus_millis(86_400_000), now.plus_millis(2 * 86_400_000)),
            now,
        )
    })
    .expect("future");
    // Every handset's home shows it at the top, inside its budget (pages DTD-checked).
    for ua in ["DoCoMo/2.0 N905i(c100;TB;W24H16)", crate::support::AU_WAP2, crate::support::PC] {
        let mut phone = Phone::new(&app, ua);
        phone.login("hanako@example.jp");
        phone.get("/home");
        let page = phone.last.clone();
        assert!(
            page.contains("お知らせ") && page.contains("メンテナンスのお知らせ"),
            "{ua}: {page}"
        );
        // CP932 turns the wave dash 〜 into ～ on Shift_JIS handsets; the times are intact.
        assert!(page.contains("2:00") && page.contains("4:00"), "{ua}: {page}");
        assert!(!page.contains("来週の予告"), "{ua}: a future announcement was shown");
        let at = page.find("メンテナンスのお知らせ").expect("title");
        let feed = page.find("マイミク最新日記").expect("feed heading");
        assert!(at < feed, "{ua}: the announcement comes first");
    }
    // Taken down: gone from every home; both actions are audited.
    let id = ashiato_store::announcements::all(&mut conn, 10)
        .expect("list")
        .into_iter()
        .find(|a| a.title == "メンテナンスのお知らせ")
        .expect("published")
        .id;
    let res =
        admin.submit("/admin/announcements", &format!("/admin/announcements/{id}/delete"), &[]);
    assert_eq!(res.status, 303);
    let mut pc = Phone::new(&app, crate::support::PC);
    pc.login("hanako@example.jp");
    pc.get("/home");
    assert!(!pc.last.contains("メンテナンスのお知らせ"));
    let actions: Vec<String> = ashiato_store::audit::list(&mut conn, 10)
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["announcement.delete", "announcement.create"]);
}

fn invitations(t: &TestDb) {
    let boss = member(t, "boss@example.jp", "運営");
    member(t, "taro@example.jp", "太郎");
    make_admin(t, boss);
    let app = TestApp::start(t);
    let mut taro = Browser::new(&app);
    assert_eq!(taro.login("taro@example.jp", PASSWORD).status, 303);
    let made = taro.submit("/invite", "/invite", &[("email", "friend@example.jp")]).text();
    let at = made.find("/join/").expect("the link");
    let link: String = made[at..].chars().take_while(|c| *c != '<' && *c != '"').collect();
    assert_eq!(Browser::new(&app).get(&link).status, 200, "open before the revocation");
    let mut admin = Browser::new(&app);
    assert_eq!(admin.login("boss@example.jp", PASSWORD).status, 303);
    let page = admin.get("/admin/invitations").text();
    assert!(page.contains("太郎 → friend@example.jp") && page.contains("[有効]"), "{page}");
    let mut conn = t.db.conn().expect("connection");
    let id = ashiato_store::admin::list_invitations(&mut conn, 10).expect("list")[0].id;
    let revoke = format!("/admin/invitations/{id}/revoke");
    assert_eq!(admin.submit("/admin/invitations", &revoke, &[]).status, 303);
    assert_eq!(Browser::new(&app).get(&link).status, 410, "the link is dead");
    assert!(admin.get("/admin/invitations").text().contains("[期限切れ・取消]"));
    // Revoking again changes nothing and records nothing more.
    let page = admin.get("/admin/invitations").text();
    assert!(!page.contains(&revoke), "no revoke button on a dead invitation");
    let csrf =
        crate::support::hidden_value(&admin.get(&format!("/admin/members/{boss}")).text(), "csrf")
            .expect("token");
    let body = crate::support::form_body(&[("csrf", &csrf)]);
    let res = admin.send(ashiato_test_support::http::Request::post_form(&revoke, body));
    assert_eq!(res.status, 303);
    let actions: Vec<String> = ashiato_store::audit::list(&mut conn, 10)
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["invitation.revoke"]);
    // Members cannot see or revoke.
    assert_eq!(taro.get("/admin/invitations").status, 404);
}

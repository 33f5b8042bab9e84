//! Accounts through the real router: login, logout, sessions, invitations, the Host check.

use ashiato_core::account::Email;
use ashiato_core::time::DAY_MS;
use ashiato_store::{accounts, friends};
use ashiato_test_support::http::Request;
use ashiato_test_support::{Suite, TestDb};

use crate::support::{Browser, PASSWORD, Phone, TestApp, form_body, member};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("healthz_answers_ok", healthz_answers_ok)
        .on_both("foreign_host_is_refused_before_any_session", foreign_host_is_refused)
        .on_both("login_rotates_the_session_and_shows_friends", login_rotates_session)
        .on_both("wrong_password_keeps_the_email_and_logs_nobody_in", wrong_password)
        .on_both("post_without_csrf_token_changes_nothing", post_without_csrf)
        .on_both("forged_posts_change_nothing_on_any_form", forged_posts_change_nothing)
        .on_both("head_answers_like_get_and_a_bare_post_is_403", head_and_bare_post)
        .on_both("metrics_are_prometheus_text_for_loopback_or_a_token", metrics)
        .on_both("unknown_session_token_is_never_adopted", unknown_token_not_adopted)
        .on_both("logout_ends_the_session_on_the_server", logout_ends_session)
        .on_both("invitation_sign_up_makes_friends", invitation_sign_up)
        .on_both("bad_sign_up_input_is_explained_and_writes_nothing", bad_sign_up_input)
        .on_both("used_and_expired_invitations_are_explained", used_and_expired_invitations)
        .on_both("unknown_pages_get_a_short_page", unknown_page)
        .on_both("password_guessing_slows_the_account_and_pauses_the_source", login_limit);
}

/// Liveness answers without the database; readiness asks it, and says 503 (within its
/// deadline, not the pool's longer timeout) while no connection can be had.
fn healthz_answers_ok(t: &TestDb) {
    let app = TestApp::start(t);
    let res = app.get("/healthz");
    assert_eq!((res.status, res.text().as_str()), (200, "ok\n"));
    let res = app.get("/readyz");
    assert_eq!((res.status, res.text().as_str()), (200, "ready\n"));
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let held: Vec<_> =
        (0..t.db.max_connections()).map(|_| t.db.conn().expect("a free connection")).collect();
    assert_eq!(app.get("/healthz").status, 200, "liveness needed the database");
    let res = app.get("/readyz");
    assert_eq!((res.status, res.text().as_str()), (503, "unavailable\n"));
    drop(held);
    assert_eq!(app.get("/readyz").status, 200, "readiness did not come back");
}

fn foreign_host_is_refused(t: &TestDb) {
    let app = TestApp::start(t);
    // A DNS-rebinding page reaches us with its own host name.
    let res = app.send(&Request::get("/login").header("Host", "attacker.example"));
    assert_eq!(res.status, 421);
    assert!(res.header("set-cookie").is_none(), "a session was created for a foreign host");
    assert!(res.text().contains("このホスト名では利用できません"));
    // Our own names work, in any letter case.
    let ok =
        app.send(&Request::get("/login").header("Host", &format!("LOCALHOST:{}", app.addr.port())));
    assert_eq!(ok.status, 200);
}

fn login_rotates_session(t: &TestDb) {
    let hanako = member(t, "hanako@example.jp", "はなこ");
    let taro = member(t, "taro@example.jp", "たろう");
    member(t, "stranger@example.jp", "しらないひと");
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| friends::befriend(c, hanako, taro, ashiato_app::now()))
            .expect("befriend");
    }
    let app = TestApp::start(t);
    let mut b = Browser::new(&app);
    let form = b.get("/login");
    assert_eq!(form.status, 200);
    let anonymous =
        b.cookie.clone().expect("login form issues an anonymous session for its CSRF token");
    let res = b.login("Hanako@Example.JP", PASSWORD);
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some(format!("http://{}/home", app.addr).as_str()));
    let logged_in = b.cookie.clone().expect("new cookie");
    assert_ne!(anonymous, logged_in, "the session token must change at login");
    let home = b.get("/home").text();
    assert!(home.contains("はなこさんのホーム"), "{home}");
    assert!(home.contains("マイミク(1)") && home.contains("たろう"), "{home}");
    assert!(!home.contains("しらないひと"));
    assert!(home.contains("ようこそ、はなこさん"), "flash after login");
    // The pre-login token is dead: presenting it gets the login page, not the home page.
    let old =
        app.send(&Request::get("/home").header("Cookie", &format!("ashiato_session={anonymous}")));
    assert_eq!(old.status, 303);
    assert!(old.header("location").is_some_and(|l| l.ends_with("/login")));
}

fn wrong_password(t: &TestDb) {
    member(t, "hanako@example.jp", "はなこ");
    let app = TestApp::start(t);
    let mut b = Browser::new(&app);
    for (email, password) in
        [("hanako@example.jp", "wrong-password-1"), ("nobody@example.jp", PASSWORD)]
    {
        let res = b.login(email, password);
        assert_eq!(res.status, 200);
        let html = res.text();
        assert!(html.contains("メールアドレスかパスワードが違います"), "{html}");
        assert!(html.contains(&format!("value=\"{email}\"")), "typed e-mail kept");
        assert_eq!(b.get("/home").status, 303, "logged in after a failed login");
    }
}

fn post_without_csrf(t: &TestDb) {
    member(t, "hanako@example.jp", "はなこ");
    let app = TestApp::start(t);
    let mut b = Browser::new(&app);
    b.get("/login");
    let forged = Request::post_form(
        "/login",
        form_body(&[("email", "hanako@example.jp"), ("password", PASSWORD)]),
    );
    let res = b.send(forged);
    assert_eq!(res.status, 403);
    assert!(res.text().contains("画面の有効期限が切れました"));
    assert_eq!(b.get("/home").status, 303, "a post without the token logged someone in");
    // A wrong token is as bad as none.
    let wrong = Request::post_form(
        "/login",
        form_body(&[
            ("email", "hanako@example.jp"),
            ("password", PASSWORD),
            ("csrf", "x".repeat(43).as_str()),
        ]),
    );
    assert_eq!(b.send(wrong).status, 403);
}

/// `HEAD` is answered wherever `GET` is (it was a 405), with the headers alone; a POST with no
/// body at all (a bare delete) is refused as a forged form (403, it was a 400) and deletes
/// nothing.
fn head_and_bare_post(t: &TestDb) {
    let hanako = member(t, "hanako@example.jp", "はなこ");
    let entry = {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::diary::create_entry(
            &mut conn,
            hanako,
            "日記",
            "本文",
            ashiato_core::Scope::Public,
            ashiato_app::now(),
        )
        .expect("entry")
    };
    let app = TestApp::start(t);
    let head = |target: &str| Request { method: "HEAD".into(), ..Request::get(target) };
    let mut b = Browser::new(&app);
    let get = b.get("/login");
    let res = b.send(head("/login"));
    assert_eq!(res.status, 200);
    assert!(res.body.is_empty(), "a HEAD answer carries no body");
    assert_eq!(res.header("content-type"), get.header("content-type"));
    assert_eq!(b.send(head("/healthz")).status, 200);
    assert_eq!(b.send(head("/home")).status, 303, "as GET: to the login page");
    assert_eq!(b.send(head("/no/such/page")).status, 404);
    assert_eq!(b.login("hanako@example.jp", PASSWORD).status, 303);
    let bare = Request { method: "POST".into(), ..Request::get(&format!("/diary/{entry}/delete")) };
    let res = b.send(bare);
    assert_eq!(res.status, 403, "{}", res.text());
    let mut conn = t.db.conn().expect("connection");
    assert!(ashiato_store::diary::find_entry(&mut conn, entry).is_ok(), "nothing was deleted");
}

/// Parses exposition text with the Prometheus project's own Python parser and returns the
/// metric family names it found (`None` when the parser is not installed).
fn prometheus_families(text: &str) -> Option<Vec<String>> {
    let script = "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as p\n\
                  for f in p(sys.stdin.read()):\n    print(f.name, f.type, len(f.samples))";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    std::io::Write::write_all(&mut child.stdin.take()?, text.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named") {
        return None;
    }
    assert!(out.status.success(), "the Prometheus parser refused the text: {stderr}\n{text}");
    Some(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect())
}

/// `/metrics`: Prometheus text that the Prometheus parser reads, counting requests by route
/// and status, handsets by class and failed logins; only for loopback clients (not for a
/// client the trusted reverse proxy forwarded), or for the bearer of `metrics_token`.
fn metrics(t: &TestDb) {
    member(t, "hanako@example.jp", "はなこ");
    let app = TestApp::start_with(t, |c| c.trusted_proxies = vec!["127.0.0.1".into()]);
    let mut phone = crate::support::Phone::new(&app, crate::support::DOCOMO_FOMA);
    phone.get("/login");
    let mut b = Browser::new(&app);
    b.get("/login");
    assert_eq!(b.login("hanako@example.jp", "wrong-password-1").status, 200, "the form again");
    let res = b.get("/metrics");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = res.text();
    let value = |line_start: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {line_start} in {text}"))
    };
    assert!(value("ashiato_http_requests_seconds_count{route=\"/login\",status=\"200\"}") >= 2.0);
    assert!(value("ashiato_handset_requests_total{class=\"docomo\"}") >= 1.0);
    assert!(value("ashiato_handset_requests_total{class=\"pc\"}") >= 2.0);
    assert_eq!(value("ashiato_login_failures_total"), 1.0);
    assert!(value("ashiato_db_pool_connections") >= 1.0);
    match prometheus_families(&text) {
        Some(families) => {
            for want in [
                "ashiato_http_requests_seconds histogram",
                "ashiato_login_failures counter",
                "ashiato_footstep_backlog gauge",
                "ashiato_footstep_writer_lag_seconds gauge",
                "ashiato_photo_variant_builds counter",
                "ashiato_mail_undeliverable_addresses gauge",
            ] {
                assert!(families.iter().any(|f| f.starts_with(want)), "{want} in {families:?}");
            }
        }
        None => ashiato_test_support::example_app::skipped(
            "python3 prometheus_client is not installed (.ci/install-test-tools): /metrics not parsed",
        ),
    }
    // A client the reverse proxy forwarded from outside: the page does not exist.
    let forwarded = Request::get("/metrics").header("X-Forwarded-For", "203.0.113.9");
    assert_eq!(b.send(forwarded).status, 404);
    drop(app);

    // With a token, it is the token that counts, from anywhere.
    let app = TestApp::start_with(t, |c| c.metrics_token = "s3cret-scrape".into());
    let mut b = Browser::new(&app);
    assert_eq!(b.get("/metrics").status, 404);
    let wrong = Request::get("/metrics").header("Authorization", "Bearer nope");
    assert_eq!(b.send(wrong).status, 404);
    let right = Request::get("/metrics").header("Authorization", "Bearer s3cret-scrape");
    assert_eq!(b.send(right).status, 200);
}

fn unknown_token_not_adopted(t: &TestDb) {
    member(t, "hanako@example.jp", "はなこ");
    let app = TestApp::start(t);
    let planted = "A".repeat(43);
    let mut b = Browser::new(&app);
    b.cookie = Some(planted.clone());
    b.get("/login");
    let issued = b.cookie.clone().expect("a session was issued");
    assert_ne!(issued, planted, "attacker-chosen token adopted");
    let by_url = app.send(&Request::get(&format!("/home?ksid={planted}")));
    assert_eq!(by_url.status, 303);
    let mut conn = t.db.conn().expect("connection");
    let found =
        ashiato_store::sessions::find(&mut conn, &planted, ashiato_app::now()).expect("query");
    assert!(found.is_none());
}

fn logout_ends_session(t: &TestDb) {
    member(t, "hanako@example.jp", "はなこ");
    let app = TestApp::start(t);
    let mut b = Browser::new(&app);
    b.login("hanako@example.jp", PASSWORD);
    let token = b.cookie.clone().expect("logged in");
    // GET only shows a button: state never changes on GET.
    assert_eq!(b.get("/logout").status, 200);
    assert_eq!(b.get("/home").status, 200, "GET /logout logged out");
    let res = b.submit("/logout", "/logout", &[]);
    assert_eq!(res.status, 303);
    let replay =
        app.send(&Request::get("/home").header("Cookie", &format!("ashiato_session={token}")));
    assert_eq!(replay.status, 303, "the old session still works after logout");
    assert!(b.get("/login").text().contains("ログアウトしました"));
}

fn invitation_sign_up(t: &TestDb) {
    member(t, "hanako@example.jp", "はなこ");
    let app = TestApp::start(t);
    let mut hanako = Browser::new(&app);
    hanako.login("hanako@example.jp", PASSWORD);
    let created = hanako.submit("/invite", "/invite", &[("email", "Friend@docomo.ne.jp")]).text();
    let link_start = created.find("/join/").expect("invitation link shown");
    let token: String = created[link_start + 6..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 22);
    let mut friend = Browser::new(&app);
    let form = friend.get(&format!("/join/{token}")).text();
    assert!(form.contains("はなこさんからの招待です"), "{form}");
    assert!(
        form.contains("value=\"friend@docomo.ne.jp\""),
        "address from the invitation prefilled"
    );
    let res = friend.submit(
        &format!("/join/{token}"),
        &format!("/join/{token}"),
        &[
            ("email", "friend@docomo.ne.jp"),
            ("nickname", "ともだち☀"),
            ("password", "sakura-2008-spring"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.text());
    let home = friend.get("/home").text();
    assert!(home.contains("ともだち☀さんのホーム") && home.contains("はなこ"), "{home}");
    assert!(hanako.get("/home").text().contains("ともだち☀"), "inviter sees the new friend");
    // The new member can log in again with the password they chose.
    let mut again = Browser::new(&app);
    assert_eq!(again.login("friend@docomo.ne.jp", "sakura-2008-spring").status, 303);
}

fn bad_sign_up_input(t: &TestDb) {
    member(t, "hanako@example.jp", "はなこ");
    let inviter = member(t, "inviter@example.jp", "さそう人");
    let token = {
        let mut conn = t.db.conn().expect("connection");
        accounts::create_invitation(&mut conn, Some(inviter), None, ashiato_app::now(), 14)
            .expect("invite")
            .token
    };
    let app = TestApp::start(t);
    let mut b = Browser::new(&app);
    let path = format!("/join/{token}");
    let weak = b.submit(
        &path,
        &path,
        &[("email", "new@example.jp"), ("nickname", "あたらしい"), ("password", "password")],
    );
    assert_eq!(weak.status, 422);
    let html = weak.text();
    assert!(html.contains("推測されやすいパスワードです"), "{html}");
    assert!(html.contains("value=\"あたらしい\""), "typed nickname kept");
    let empty = b.submit(&path, &path, &[("email", ""), ("nickname", ""), ("password", "")]);
    assert_eq!(empty.status, 422);
    assert!(empty.text().matches("入力してください").count() >= 3);
    let taken = b.submit(
        &path,
        &path,
        &[
            ("email", "HANAKO@example.jp"),
            ("nickname", "にせもの"),
            ("password", "sakura-2008-spring"),
        ],
    );
    assert_eq!(taken.status, 409);
    assert!(taken.text().contains("このメールアドレスは登録済みです"));
    let mut conn = t.db.conn().expect("connection");
    assert_eq!(
        accounts::member_count(&mut conn).expect("count"),
        2,
        "a refused sign-up created a member"
    );
    assert!(
        !accounts::find_invitation(&mut conn, &token).expect("invitation").used,
        "invitation consumed by a failed sign-up"
    );
}

fn used_and_expired_invitations(t: &TestDb) {
    let inviter = member(t, "inviter@example.jp", "さそう人");
    let (old, used) = {
        let mut conn = t.db.conn().expect("connection");
        let long_ago = ashiato_core::Timestamp(ashiato_app::now().0 - 30 * DAY_MS);
        let old = accounts::create_invitation(&mut conn, Some(inviter), None, long_ago, 14)
            .expect("invite")
            .token;
        let used =
            accounts::create_invitation(&mut conn, Some(inviter), None, ashiato_app::now(), 14)
                .expect("invite")
                .token;
        (old, used)
    };
    let app = TestApp::start(t);
    let mut first = Browser::new(&app);
    let path = format!("/join/{used}");
    assert_eq!(
        first
            .submit(
                &path,
                &path,
                &[
                    ("email", "one@example.jp"),
                    ("nickname", "一人目"),
                    ("password", "sakura-2008-spring")
                ]
            )
            .status,
        303
    );
    let again = app.get(&path);
    assert_eq!(again.status, 410);
    assert!(again.text().contains("この招待は使用済みです"));
    let expired = app.get(&format!("/join/{old}"));
    assert_eq!(expired.status, 410);
    assert!(expired.text().contains("この招待は期限切れです"));
    let unknown = app.get("/join/NoSuchInvitationToken1");
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("この招待は見つかりません"));
    let closed = app.get("/join");
    assert_eq!(closed.status, 404, "open sign-up is off by default");
    let mut conn = t.db.conn().expect("connection");
    assert!(
        accounts::find_by_email(&mut conn, &Email::parse("one@example.jp").expect("email"))
            .expect("query")
            .is_some()
    );
}

fn unknown_page(t: &TestDb) {
    let app = TestApp::start(t);
    let res = app.send(&Request::get("/no/such/page").header("Accept-Language", "en-US,en;q=0.9"));
    assert_eq!(res.status, 404);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(res.text().contains("Page not found"));
    // S-20: no response is left to content sniffing, error pages and keitai pages alike.
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    let page =
        app.send(&Request::get("/login").header("User-Agent", "DoCoMo/2.0 N905i(c100;TB;W24H16)"));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
}

fn login_limit(t: &TestDb) {
    use ashiato_app::limits::{LOGIN_FREE_FAILURES, LOGIN_SOURCE_FAILURES};
    member(t, "target@example.jp", "ねらわれ");
    member(t, "other@example.jp", "ほか");
    // Behind the site's reverse proxy: clients are told apart by X-Forwarded-For.
    let app = TestApp::start_with(t, |c| c.trusted_proxies = vec!["127.0.0.1".into()]);
    let from = |ip: &str| {
        let mut b = Browser::new(&app);
        b.headers.push(("X-Forwarded-For".into(), ip.into()));
        b
    };
    // Guessing one account slows it down; an unknown address answers the same.
    for email in ["target@example.jp", "nobody-here@example.jp"] {
        let mut b = from("198.51.100.7");
        for _ in 0..LOGIN_FREE_FAILURES {
            assert_eq!(b.login(email, "wrong-guess-123").status, 200);
        }
        let paused = b.login(email, PASSWORD);
        assert_eq!(paused.status, 429, "{email}");
        assert!(crate::support::Phone::decode(&paused).contains("しばらく待って"));
    }
    // A slowdown, not a lockout: once the wait (1 s after the fifth failure) has run out, the
    // member gets in from anywhere, and success lifts it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(from("192.0.2.50").login("target@example.jp", PASSWORD).status, 303);
    assert_eq!(from("192.0.2.50").login("target@example.jp", PASSWORD).status, 303);
    // One address trying many accounts is paused as a source, for every account, while
    // other addresses and the carriers' gateways go on.
    let mut spray = from("203.0.113.9");
    for n in 0..LOGIN_SOURCE_FAILURES {
        let res = spray.login(&format!("guess{n}@example.jp"), "wrong-guess-123");
        assert_eq!(res.status, 200, "attempt {n}");
    }
    let paused = spray.login("other@example.jp", PASSWORD);
    assert_eq!(paused.status, 429, "the source made {LOGIN_SOURCE_FAILURES} failures");
    assert_eq!(from("203.0.113.10").login("other@example.jp", PASSWORD).status, 303);
    // docomo's gateway carries thousands of handsets: it is never paused as a source.
    let mut gateway = from("210.153.84.1");
    for n in 0..LOGIN_SOURCE_FAILURES + 5 {
        let res = gateway.login(&format!("g{n}@example.jp"), "wrong-guess-123");
        assert_eq!(res.status, 200, "gateway attempt {n}");
    }
    assert_eq!(from("210.153.84.1").login("other@example.jp", PASSWORD).status, 303);

    // A stranger slows down a member's account; the member's easy login from their bound
    // docomo handset lifts it at once, and the password works again without waiting.
    member(t, "easy@docomo.ne.jp", "かんたん");
    let docomo = |app| {
        let mut p = crate::support::Phone::new(app, "DoCoMo/2.0 N905i(c100;TB;W24H16)");
        p.headers.push(("X-DCMGUID".into(), "0a1B2c3".into()));
        p.headers.push(("X-Forwarded-For".into(), "210.153.84.1".into()));
        p
    };
    let mut handset = docomo(&app);
    handset.login("easy@docomo.ne.jp");
    let bound =
        handset.submit("/settings/easy-login", "/settings/easy-login", &[("action", "bind")]);
    assert_eq!(bound.status, 303);
    let mut stranger = from("198.51.100.8");
    for _ in 0..LOGIN_FREE_FAILURES {
        assert_eq!(stranger.login("easy@docomo.ne.jp", "wrong-guess-123").status, 200);
    }
    assert_eq!(from("192.0.2.60").login("easy@docomo.ne.jp", PASSWORD).status, 429);
    let mut again = docomo(&app);
    again.get("/login");
    assert_eq!(again.submit("/login", "/login/easy", &[]).status, 303, "{}", again.last);
    assert_eq!(from("192.0.2.60").login("easy@docomo.ne.jp", PASSWORD).status, 303);
}

/// S-16: a cross-site form posted in the victim's browser (their cookie goes along, the form
/// token does not) changes nothing on any state-changing form: comment, message, friend
/// request, settings, mail settings, password, withdrawal, entry deletion. The same from a
/// docomo handset whose trusted subscriber ID comes with the request.
fn forged_posts_change_nothing(t: &TestDb) {
    let victim = member(t, "victim@example.jp", "ねらわれ");
    let other = member(t, "other@example.jp", "ほか");
    let entry_by = |author, title: &str| {
        let mut conn = t.db.conn().expect("connection");
        let (public, at) = (ashiato_core::Scope::Public, ashiato_app::now());
        ashiato_store::diary::create_entry(&mut conn, author, title, "本文", public, at)
            .expect("entry")
    };
    let entry = entry_by(other, "日記");
    let own = entry_by(victim, "消されたくない");
    let app = TestApp::start_with(t, |c| c.trusted_proxies = vec!["127.0.0.1".into()]);
    let snapshot = || {
        use ashiato_store::schema::{
            diary_comments, diary_entries, friend_requests, member_mail, members, messages,
        };
        use diesel::prelude::*;
        let mut conn = t.db.conn().expect("connection");
        let c = &mut *conn;
        (
            diary_comments::table.count().get_result::<i64>(c).expect("comments"),
            messages::table.count().get_result::<i64>(c).expect("messages"),
            friend_requests::table.count().get_result::<i64>(c).expect("requests"),
            diary_entries::table.count().get_result::<i64>(c).expect("entries"),
            members::table
                .select((members::nickname, members::password_hash))
                .order(members::id)
                .load::<(String, String)>(c)
                .expect("members"),
            member_mail::table
                .select(member_mail::phone_address)
                .load::<Option<String>>(c)
                .expect("mail"),
        )
    };
    let before = snapshot();
    let forged: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/diary/{entry}/comments"), vec![("body", "のっとり")]),
        ("/messages/new".into(), vec![("to", "0"), ("subject", "件名"), ("body", "のっとり")]),
        (format!("/m/{other}/friend-request"), vec![("message", "のっとり")]),
        ("/settings".into(), vec![("nickname", "のっとられ")]),
        ("/settings/mail".into(), vec![("action", "save"), ("phone", "evil@docomo.ne.jp")]),
        (
            "/settings/password".into(),
            vec![("current", PASSWORD), ("new", "attacker-pass-1"), ("again", "attacker-pass-1")],
        ),
        ("/settings/withdraw".into(), vec![("password", PASSWORD)]),
        (format!("/diary/{own}/delete"), vec![]),
    ];
    let mut pc = Browser::new(&app);
    pc.login("victim@example.jp", PASSWORD);
    let mut docomo = Phone::new(&app, "DoCoMo/2.0 N905i(c100;TB;W24H16)");
    docomo.headers.push(("X-DCMGUID".into(), "0a1B2c3".into()));
    docomo.headers.push(("X-Forwarded-For".into(), "210.153.84.1".into()));
    docomo.login("victim@example.jp");
    for (path, fields) in &forged {
        let to = other.to_string();
        let fields: Vec<(&str, &str)> =
            fields.iter().map(|(k, v)| (*k, if *k == "to" { to.as_str() } else { *v })).collect();
        let res = pc.send(Request::post_form(path, form_body(&fields)));
        assert_eq!(res.status, 403, "PC: a forged POST to {path} answered {}", res.status);
        let res = docomo.send(Request::post_form(&docomo.url(path), form_body(&fields)));
        assert_eq!(res.status, 403, "docomo: a forged POST to {path} answered {}", res.status);
    }
    assert_eq!(snapshot(), before, "a forged POST changed something");
    assert_eq!(pc.get("/home").status, 200, "the victim's session survived");
}

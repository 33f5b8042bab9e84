//! OpenSocial apps on handsets: registering the example app, installing it, running it through
//! the proxy on docomo, au, SoftBank and iPhone (signed forwards, rewritten links, emoji both
//! ways, valid pages within budget), images, the friend picker, lifecycle events, and the SSRF
//! and access refusals.

use std::time::{Duration, Instant};

use ashiato_core::MemberId;
use ashiato_test_support::example_app::{ExampleApp, repo_root, skipped};
use ashiato_test_support::http::Request;
use ashiato_test_support::{Suite, TestDb};

use crate::photos::upload;
use crate::support::{AU_WAP2, DOCOMO_FOMA, PC, Phone, TestApp, member, percent};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("apps_run_on_handsets_through_the_proxy", proxy_on_handsets)
        .on_both("apps_registry_install_and_refusals", registry_and_refusals)
        .on_both("social_api_limits_calls_per_app", api_rate_limit)
        .on_both("apps_signed_with_the_container_rsa_key", rsa_signed_app)
        .on_both("apps_wait_for_review_and_can_be_pulled_at_once", app_review);
}

const SOFTBANK: &str =
    "SoftBank/1.0/910T/TJ001 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
/// A FOMA whose User-Agent carries its serial numbers (sent when a site asks with `utn`).
const DOCOMO_WITH_SERIALS: &str =
    "DoCoMo/2.0 N905i(c100;TB;W24H16;ser123456789012345;icc8981100000123456789F)";

/// The value after `label</strong>: ` on the registration page.
fn shown_value(page: &str, label: &str) -> String {
    let at =
        page.find(&format!("{label}</strong>: ")).unwrap_or_else(|| panic!("{label} in {page}"))
            + label.len()
            + 11;
    page[at..].split('<').next().unwrap_or_default().trim().to_owned()
}

/// Registers the example app through the page, as member `email` on a PC; returns its id
/// after giving the app its credentials.
fn register_example(app: &TestApp, ex: &ExampleApp, email: &str) -> i64 {
    register_example_signed(app, ex, email, "HMAC-SHA1")
}

/// [`register_example`] choosing how the container signs (`HMAC-SHA1` or `RSA-SHA1`); an
/// RSA-SHA1 app is given the container's published public key.
fn register_example_signed(app: &TestApp, ex: &ExampleApp, email: &str, method: &str) -> i64 {
    let mut pc = Phone::new(app, PC);
    pc.login(email);
    let res = pc.submit(
        "/apps/new",
        "/apps/new",
        &[("gadget_url", &format!("{}/gadget.xml", ex.base())), ("signature_method", method)],
    );
    assert_eq!(res.status, 200, "{}", pc.last);
    assert!(pc.last.contains("アプリを登録しました"), "{}", pc.last);
    let id: i64 = shown_value(&pc.last, "アプリID").parse().expect("app id");
    let public = (method == "RSA-SHA1").then(|| {
        assert!(pc.last.contains("/social/container.pem"), "{}", pc.last);
        let res = app.get("/social/container.pem");
        assert_eq!(res.status, 200);
        res.text()
    });
    ex.set_credentials_rsa(
        &shown_value(&pc.last, "コンシューマキー"),
        &shown_value(&pc.last, "コンシューマシークレット"),
        id,
        public.as_deref(),
    );
    id
}

fn befriend(t: &TestDb, a: MemberId, b: MemberId) {
    let mut conn = t.db.conn().expect("connection");
    ashiato_store::write(&mut conn, |c| {
        ashiato_store::friends::befriend(c, a, b, ashiato_core::Timestamp(1))
    })
    .expect("befriend");
}

/// `href` values of the page that contain `needle`.
fn hrefs(page: &str, needle: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.contains(needle))
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

/// Path and query of an absolute or relative link.
fn path_of(link: &str) -> String {
    link.split_once("://")
        .map_or(link, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]))
        .to_owned()
}

/// Validates an XHTML page with xmllint against its own DOCTYPE; Shift_JIS pages are decoded as
/// CP932 first, as handsets read them.
fn assert_valid_xhtml(body: &[u8], what: &str) {
    let sjis = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>";
    let text = if body.starts_with(&sjis[..]) {
        let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(body);
        assert!(!errors, "{what}: Shift_JIS does not decode");
        text.into_owned()
    } else {
        String::from_utf8(body.to_vec()).expect("UTF-8 page")
    };
    crate::support::assert_valid_xhtml(&text, what);
}

/// Waits for the example app to have recorded `event` for `ids` (verified signatures only).
fn wait_for_event(ex: &ExampleApp, event: &str, id: MemberId) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = ex.get("/lifecycle/log").text();
        let found = log
            .split("{\"eventtype\"")
            .any(|e| e.contains(&format!("\"{event}\"")) && e.contains(&format!("\"{}\"", id.0)));
        if found {
            return;
        }
        assert!(Instant::now() < deadline, "no {event} for {id} reached the app: {log}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn proxy_on_handsets(t: &TestDb) {
    let Some(ex) = ExampleApp::start() else { return };
    let a = member(t, "aya@example.jp", "あや");
    let b = member(t, "bun@example.jp", "ぶん");
    let c = member(t, "chika@example.jp", "ちか");
    befriend(t, a, b);
    befriend(t, a, c);
    // Apps live at once: these tests are about the proxy and the API, not the review.
    let app = TestApp::start_with(t, |c| {
        c.app_allow_private_hosts = vec!["127.0.0.1".into()];
        c.trusted_proxies = vec!["127.0.0.1".into()];
        c.app_registration = "members".into();
    });
    let id = register_example(&app, &ex, "aya@example.jp");

    // docomo: a subscriber ID and serial numbers the app must never see (it answers 400 if
    // they arrive), no cookies, Shift_JIS i-XHTML.
    let mut docomo = Phone::new(&app, DOCOMO_WITH_SERIALS);
    docomo.headers.push(("X-DCMGUID".into(), "0a1B2c3".into()));
    docomo.headers.push(("X-Forwarded-For".into(), "210.153.84.1".into()));
    docomo.login("aya@example.jp");
    let about = format!("/apps/{id}/about");
    docomo.get(&about);
    assert!(docomo.last.contains("このアプリを使う"), "{}", docomo.last);
    let res = docomo.submit(&about, &format!("/apps/{id}/install"), &[]);
    assert_eq!(res.status, 303, "{}", docomo.last);
    let res = docomo.follow(&res);
    assert_eq!(res.status, 200, "{}", docomo.last);
    let page = docomo.last.clone();
    assert!(
        res.header("content-type").unwrap_or_default().contains("Shift_JIS"),
        "{:?}",
        res.header("content-type")
    );
    assert!(page.contains(&format!("こんにちは {} さん☀", a.0)), "owner id or emoji lost: {page}");
    assert!(page.contains("<title>テストアプリ</title>"), "{page}");
    for gone in ["<script", "onclick", "mailto:", "example.com", "document.write"] {
        assert!(!page.contains(gone), "{gone} survived the rewrite: {page}");
    }
    assert!(page.contains("外部") && page.contains("メール"), "link texts are kept: {page}");
    let next = hrefs(&page, "next%3Fp%3D2");
    assert_eq!(next.len(), 1, "{page}");
    assert!(
        next[0].starts_with(&format!("/apps/{id}/?guid=ON&url=http%3A%2F%2F127.0.0.1%3A"))
            && next[0].contains("&ksid="),
        "docomo links carry guid=ON and the session: {}",
        next[0]
    );
    assert_valid_xhtml(&res.body, "docomo app page");
    wait_for_event(&ex, "event.addapp", a);

    // Links go back through the proxy.
    let res = docomo.send(Request::get(&next[0]));
    assert_eq!(res.status, 200, "{}", docomo.last);
    assert!(docomo.last.contains("こんにちは"), "{}", docomo.last);

    // A Shift_JIS form with a docomo emoji reaches the app as those bytes and comes back.
    let action = page
        .split("<form action=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the app's form")
        .replace("&amp;", "&");
    let mut bytes = encoding_rs::SHIFT_JIS.encode("テスト").0.into_owned();
    bytes.extend_from_slice(&[0xF8, 0x9F]);
    let res = docomo.send(Request::post_form(&action, format!("comment={}", percent(&bytes))));
    assert_eq!(res.status, 200, "{}", docomo.last);
    assert!(docomo.last.contains("受信: テスト☀"), "{}", docomo.last);
    // Without the member's token (a form on another site) nothing reaches the app.
    let forged = action.split("&ct=").next().expect("action").to_owned();
    let res = docomo.send(Request::post_form(&forged, "comment=x"));
    assert_eq!(res.status, 403, "{}", docomo.last);

    // The image comes through the image pipeline at this handset's size.
    let src = page
        .split("src=\"")
        .find_map(|s| s.split('"').next().filter(|v| v.contains("/img?url=")))
        .expect("an image through the proxy")
        .replace("&amp;", "&");
    let res = app.send(&Request::get(&src).header("User-Agent", DOCOMO_FOMA));
    assert_eq!(res.status, 200);
    let header = ashiato_image::sniff(&res.body).expect("an image");
    assert!(header.width <= 240, "{}x{} for a 240-px screen", header.width, header.height);
    let forged = src.replace("sig=", "sig=0");
    assert_eq!(app.send(&Request::get(&forged)).status, 404);

    // A page larger than the handset's budget is split into parts that each fit.
    let big = format!("/apps/{id}/?url={}", percent(format!("{}/big", ex.base()).as_bytes()));
    docomo.get(&big);
    assert!(docomo.last.contains("1行目") && !docomo.last.contains("1199行目"), "{}", docomo.last);
    let part2 = hrefs(&docomo.last, "p=2");
    assert!(!part2.is_empty(), "no link to part 2: {}", docomo.last);
    docomo.send(Request::get(&path_of(&part2[0])));
    assert!(!docomo.last.contains(">1行目"), "{}", docomo.last);
    assert!(docomo.last.contains("行目"), "{}", docomo.last);

    // invite:friends → the friend picker → back to the app with invite_member.
    let invite = hrefs(&page, "/invite?callback=");
    assert_eq!(invite.len(), 1, "{page}");
    docomo.send(Request::get(&invite[0]));
    assert!(docomo.last.contains("ぶん") && docomo.last.contains("ちか"), "{}", docomo.last);
    let res = docomo.submit(
        &invite[0],
        &format!("/apps/{id}/invite"),
        &[
            (&format!("invite_{}", b.0), "on"),
            ("callback", &format!("{}/mobile/invited", ex.base())),
        ],
    );
    assert_eq!(res.status, 303, "{}", docomo.last);
    let location = res.header("location").unwrap_or_default().to_owned();
    assert!(
        location.contains(&format!("invite_member%3D{}", b.0)) && location.contains("guid=ON"),
        "{location}"
    );
    let res = docomo.follow(&res);
    assert_eq!(res.status, 200, "{}", docomo.last);
    let mut conn = t.db.conn().expect("connection");
    let inbox = ashiato_store::messages::inbox(&mut conn, b, 10, 0).expect("inbox");
    assert!(inbox.iter().any(|m| m.subject.contains("ashiato example app")), "{inbox:?}");
    let inbox_c = ashiato_store::messages::inbox(&mut conn, c, 10, 0).expect("inbox");
    assert!(inbox_c.is_empty(), "only chosen friends are invited");

    // au (cookies, Shift_JIS XHTML-MP), SoftBank (UTF-8) and iPhone (HTML5) get the same app
    // page in their own markup, with the emoji their handset shows.
    for ua in [AU_WAP2, SOFTBANK, IPHONE] {
        let mut phone = Phone::new(&app, ua);
        phone.login("aya@example.jp");
        let res = phone.get(&format!("/apps/{id}/"));
        assert_eq!(res.status, 200, "{ua}: {}", phone.last);
        // The iPhone's sun comes as the app wrote it for a smartphone: a character reference.
        let sun = if ua == IPHONE { "&#x2600;" } else { "☀" };
        assert!(
            phone.last.contains(&format!("こんにちは {} さん{sun}", a.0)),
            "{ua}: {}",
            phone.last
        );
        assert!(!phone.last.contains("guid=ON"), "{ua}: guid=ON is docomo's");
        assert!(!phone.last.contains("<script"), "{ua}");
        if ua != IPHONE {
            assert_valid_xhtml(&res.body, ua);
        }
    }

    // Refusals: foreign hosts and addresses, and an app redirecting off its hosts.
    for url in [
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://localhost:{}/mobile", ex.port),
        "http://10.0.0.1/".to_owned(),
        "file:///etc/passwd".to_owned(),
    ] {
        let res = docomo.get(&format!("/apps/{id}/?url={}", percent(url.as_bytes())));
        assert_eq!(res.status, 403, "{url}: {}", docomo.last);
        assert!(docomo.last.contains("接続できません"), "{}", docomo.last);
    }
    let res = docomo.get(&format!(
        "/apps/{id}/?url={}",
        percent(format!("{}/redirect-out", ex.base()).as_bytes())
    ));
    assert_eq!(res.status, 502, "{}", docomo.last);
    assert!(docomo.last.contains("外部のページ"), "{}", docomo.last);

    // A member who has not installed the app is sent to its page.
    let mut other = Phone::new(&app, IPHONE);
    other.login("bun@example.jp");
    let res = other.get(&format!("/apps/{id}/"));
    assert_eq!(res.status, 303);
    assert!(res.header("location").unwrap_or_default().ends_with(&format!("/apps/{id}/about")));
}

fn registry_and_refusals(t: &TestDb) {
    let Some(ex) = ExampleApp::start() else { return };
    member(t, "easy@example.jp", "かんたん");
    // Apps live at once: these tests are about the proxy and the API, not the review.
    let app = TestApp::start_with(t, |c| {
        c.app_allow_private_hosts = vec!["127.0.0.1".into()];
        c.trusted_proxies = vec!["127.0.0.1".into()];
        c.app_registration = "members".into();
    });
    let mut pc = Phone::new(&app, PC);
    pc.login("easy@example.jp");
    // Private addresses are refused unless allowed; broken XML says where.
    let res = pc.submit("/apps/new", "/apps/new", &[("gadget_url", "http://10.0.0.1/gadget.xml")]);
    assert_eq!(res.status, 422);
    assert!(
        pc.last.contains("登録できませんでした") && pc.last.contains("10.0.0.1"),
        "{}",
        pc.last
    );
    let broken = std::fs::read(repo_root().join("fixtures/opensocial/malformed_mismatch.xml"))
        .expect("fixture");
    let res = upload(&mut pc, "/apps/new", "/apps/new", &[], &[("gadget_xml", "g.xml", &broken)]);
    assert_eq!(res.status, 422, "{}", pc.last);
    assert!(pc.last.contains("line "), "{}", pc.last);
    // An uploaded spec with an absolute mobile URL registers.
    let good =
        std::fs::read(repo_root().join("fixtures/opensocial/mobile_view.xml")).expect("fixture");
    let res = upload(&mut pc, "/apps/new", "/apps/new", &[], &[("gadget_xml", "g.xml", &good)]);
    assert_eq!(res.status, 200, "{}", pc.last);
    assert!(pc.last.contains("http://app.example.jp/m/index"), "{}", pc.last);

    let id = register_example(&app, &ex, "easy@example.jp");
    pc.get("/apps");
    assert!(
        pc.last.contains("ashiato example app") && pc.last.contains("Mobile proxied"),
        "{}",
        pc.last
    );

    // After an easy login, installing and removing ask for the password again (S-08).
    let mut phone = Phone::new(&app, DOCOMO_FOMA);
    phone.headers.push(("X-DCMGUID".into(), "0a1B2c3".into()));
    phone.headers.push(("X-Forwarded-For".into(), "210.153.84.1".into()));
    phone.login("easy@example.jp");
    let bound = phone.submit("/settings/easy-login", "/settings/easy-login", &[("action", "bind")]);
    assert_eq!(bound.status, 303, "{}", phone.last);
    let mut easy = Phone::new(&app, DOCOMO_FOMA);
    easy.headers = phone.headers.clone();
    easy.get("/login");
    let res = easy.submit("/login", "/login/easy", &[]);
    assert_eq!(res.status, 303, "{}", easy.last);
    let about = format!("/apps/{id}/about");
    let res =
        easy.submit(&about, &format!("/apps/{id}/install"), &[("password", "wrong-password")]);
    assert_eq!(res.status, 422, "{}", easy.last);
    assert!(easy.last.contains("パスワードが違います"), "{}", easy.last);
    let res = easy.submit(
        &about,
        &format!("/apps/{id}/install"),
        &[("password", crate::support::PASSWORD)],
    );
    assert_eq!(res.status, 303, "{}", easy.last);
    let res = easy.submit(
        &about,
        &format!("/apps/{id}/uninstall"),
        &[("password", crate::support::PASSWORD)],
    );
    assert_eq!(res.status, 303, "{}", easy.last);
    let me = {
        let mut conn = t.db.conn().expect("connection");
        let e = ashiato_core::account::Email::parse("easy@example.jp").expect("email");
        ashiato_store::accounts::find_by_email(&mut conn, &e).expect("find").expect("member").id
    };
    wait_for_event(&ex, "event.addapp", me);
    wait_for_event(&ex, "event.removeapp", me);

    // With registration limited to administrators, members cannot register.
    drop(app);
    let app = TestApp::start_with(t, |c| c.app_registration = "admins".into());
    let mut pc = Phone::new(&app, PC);
    pc.login("easy@example.jp");
    assert_eq!(pc.get("/apps/new").status, 403);
    pc.get("/apps");
    assert!(!pc.last.contains("/apps/new"), "{}", pc.last);
}

/// A signed GET as an app would send it.
fn signed_get(
    app: &TestApp,
    path: &str,
    key: &str,
    secret: &str,
    nonce: &str,
) -> ashiato_test_support::http::Response {
    use ashiato_opensocial::oauth::{Consumer, SignRequest, sign};
    let url = format!("http://{}{path}", app.addr);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let signed = sign(
        &SignRequest { method: "GET", url: &url, form_body: None, other_body: None },
        &Consumer::hmac(key, secret),
        None,
        nonce,
        now,
    )
    .expect("signable");
    app.send(&Request::get(path).header("Authorization", &signed.authorization()))
}

fn api_rate_limit(t: &TestDb) {
    let m = member(t, "limit@example.jp", "せいげん");
    {
        let mut conn = t.db.conn().expect("connection");
        let hosts = vec!["app.example".to_owned()];
        let id = ashiato_store::apps::create(
            &mut conn,
            &ashiato_store::apps::NewApp {
                title: "limited",
                description: "",
                gadget_url: "",
                gadget_xml: "<Module/>",
                start_url: "http://app.example/m",
                allowed_hosts: &hosts,
                consumer_key: "limit-key",
                consumer_secret: "limit-secret",
                addapp_url: None,
                removeapp_url: None,
                event_method: "GET",
                signature_method: "HMAC-SHA1",
                registered_by: None,
                review_state: ashiato_store::apps::REVIEW_APPROVED,
            },
            ashiato_core::Timestamp(1),
        )
        .expect("app");
        ashiato_store::apps::install(&mut conn, id, m, ashiato_core::Timestamp(1))
            .expect("install");
    }
    let app = TestApp::start_with(t, |c| c.api_requests_per_5min = 3);
    let path = format!("/social/rest/people/@me/@self?xoauth_requestor_id={}", m.0);
    for n in 0..3 {
        let res = signed_get(&app, &path, "limit-key", "limit-secret", &format!("nonce-{n}"));
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(res.text().contains("せいげん"), "{}", res.text());
    }
    let res = signed_get(&app, &path, "limit-key", "limit-secret", "nonce-3");
    assert_eq!(res.status, 417, "the fourth call in five minutes: {}", res.text());
    assert!(res.header("content-type").unwrap_or_default().starts_with("application/json"));
    // A bad signature is refused as such (checked before the budget), in JSON, not HTML.
    let res = signed_get(&app, &path, "limit-key", "wrong", "nonce-4");
    assert_eq!(res.status, 401, "{}", res.text());
    assert!(res.text().starts_with("{\"error\""), "{}", res.text());
}

fn rsa_signed_app(t: &TestDb) {
    let Some(ex) = ExampleApp::start() else { return };
    let ok = std::process::Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skipped("python3 cryptography missing (pip install cryptography): RSA-SHA1 not checked");
        return;
    }
    let a = member(t, "rsa@example.jp", "あーるえす");
    let app = TestApp::start_with(t, |c| {
        c.app_allow_private_hosts = vec!["127.0.0.1".into()];
        c.app_registration = "members".into();
    });
    let id = register_example_signed(&app, &ex, "rsa@example.jp", "RSA-SHA1");
    let key = app.get("/social/container.pem").text();
    assert!(key.starts_with("-----BEGIN PUBLIC KEY-----"), "{key}");
    assert_eq!(app.get("/social/container.pem").text(), key, "one key, kept");
    let mut phone = Phone::new(&app, DOCOMO_FOMA);
    phone.login("rsa@example.jp");
    let about = format!("/apps/{id}/about");
    let res = phone.submit(&about, &format!("/apps/{id}/install"), &[]);
    let res = phone.follow(&res);
    // The app verified the RSA-SHA1 signature with the published key (cryptography, not our
    // code) before answering.
    assert_eq!(res.status, 200, "{}", phone.last);
    assert!(phone.last.contains(&format!("こんにちは {} さん", a.0)), "{}", phone.last);
    wait_for_event(&ex, "event.addapp", a);
    // With another public key the app refuses: the check is real.
    let other = ashiato_opensocial::oauth::ContainerKey::generate().expect("key");
    ex.set_credentials_rsa("x", "y", id, Some(other.public_pem()));
    std::thread::sleep(Duration::from_millis(20));
    let res = phone.get(&format!("/apps/{id}/"));
    assert_eq!(res.status, 502, "{}", phone.last);
    assert!(phone.last.contains("HTTP 401"), "{}", phone.last);
}

/// Under `app_registration = "review"` (the default) a member's app is seen only by them and
/// the admins until an admin approves it; its key is refused until then; an admin's
/// suspension hides it and refuses its key at once. Every decision is audited.
fn app_review(t: &TestDb) {
    let dev = member(t, "dev@example.jp", "開発者");
    let user = member(t, "user@example.jp", "利用者");
    let boss = member(t, "boss@example.jp", "運営");
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::accounts::set_admin(&mut conn, boss, true).expect("admin");
    }
    let app = TestApp::start(t);
    let mut pc = Phone::new(&app, PC);
    pc.login("dev@example.jp");
    let spec =
        std::fs::read(repo_root().join("fixtures/opensocial/mobile_view.xml")).expect("fixture");
    let res = upload(&mut pc, "/apps/new", "/apps/new", &[], &[("gadget_xml", "g.xml", &spec)]);
    assert_eq!(res.status, 200, "{}", pc.last);
    assert!(pc.last.contains("審査のあとで公開されます"), "{}", pc.last);
    let id: i64 = shown_value(&pc.last, "アプリID").parse().expect("app id");
    let key = shown_value(&pc.last, "コンシューマキー");
    let secret = shown_value(&pc.last, "コンシューマシークレット");
    let about = format!("/apps/{id}/about");
    assert_eq!(pc.get(&about).status, 200, "the developer sees their app in review");

    // Another member: not in the directory, its page is a 404, it cannot be installed.
    let mut other = Phone::new(&app, DOCOMO_FOMA);
    other.login("user@example.jp");
    other.get("/apps");
    assert!(!other.last.contains(&about), "{}", other.last);
    assert_eq!(other.get(&about).status, 404);
    assert_eq!(other.get(&format!("/apps/{id}/")).status, 404);
    // Its key does not open the Social API.
    let path = format!("/social/rest/people/@me/@self?xoauth_requestor_id={}", dev.0);
    assert_eq!(signed_get(&app, &path, &key, &secret, "n-1").status, 401);

    // The admin approves it in the console: members see it, the key works.
    let mut admin = Phone::new(&app, PC);
    admin.login("boss@example.jp");
    admin.get("/admin/apps");
    assert!(admin.last.contains("審査待ち") && admin.last.contains("開発者"), "{}", admin.last);
    let res = admin.submit("/admin/apps", &format!("/admin/apps/{id}/approve"), &[]);
    assert_eq!(res.status, 303, "{}", admin.last);
    {
        // The API answers for members who installed the app.
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::apps::install(
            &mut conn,
            ashiato_core::AppId(id),
            dev,
            ashiato_core::Timestamp(1),
        )
        .expect("install");
    }
    other.get("/apps");
    assert!(other.last.contains(&about), "{}", other.last);
    assert_eq!(other.get(&about).status, 200);
    assert_eq!(signed_get(&app, &path, &key, &secret, "n-2").status, 200);

    // Suspended: hidden and refused at once, even for members who had it installed.
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::apps::install(
            &mut conn,
            ashiato_core::AppId(id),
            user,
            ashiato_core::Timestamp(1),
        )
        .expect("install");
    }
    let res = admin.submit("/admin/apps", &format!("/admin/apps/{id}/suspend"), &[]);
    assert_eq!(res.status, 303, "{}", admin.last);
    assert_eq!(signed_get(&app, &path, &key, &secret, "n-3").status, 401);
    assert_eq!(other.get(&about).status, 404);
    other.get("/apps");
    assert!(!other.last.contains(&about), "{}", other.last);
    // A non-admin's POST to the review is a 404 and changes nothing.
    let res = pc.submit(&about, &format!("/admin/apps/{id}/approve"), &[]);
    assert_eq!(res.status, 404);
    let mut conn = t.db.conn().expect("connection");
    let state =
        ashiato_store::apps::find(&mut conn, ashiato_core::AppId(id)).expect("app").review_state;
    assert_eq!(state, "suspended");
    let actions: Vec<String> = ashiato_store::audit::list(&mut conn, 10)
        .expect("audit")
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.target))
        .collect();
    assert_eq!(actions, [format!("app.suspend app:{id}"), format!("app.approve app:{id}")]);
}

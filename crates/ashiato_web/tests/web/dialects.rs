//! Every dialect through the real router (issue 5): content type and charset, DOCTYPE, decoded
//! text, XHTML validity, byte budget, session parameters on internal links exactly when the
//! handset has no cookies, `guid=ON` for docomo, no token in `/jump` links, CSRF rejection,
//! easy login trusted only from carrier gateways.

use std::path::Path;
use std::process::Command;

use ashiato_handset::{HeaderList, Trust};
use ashiato_render::Target;
use ashiato_test_support::http::Request;
use ashiato_test_support::{Suite, TestDb};

use crate::support::{PASSWORD, Phone, TestApp, form_body, hidden_value, member};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("every_dialect_is_valid_within_budget_with_the_right_session_links", every_dialect)
        .on_both("outbound_links_go_through_a_token_free_signed_jump", outbound_links)
        .on_both("easy_login_binds_and_logs_in_only_from_the_carrier", easy_login)
        .on_both("carrier_ids_unbound_changed_and_moving_between_gateways", carrier_identity_edges)
        .on_both("the_team_pagecheck_accepts_live_pages_for_every_profile", pagecheck_live);
}

/// (name, User-Agent, extra headers)
type HandsetCase = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

const HANDSETS: &[HandsetCase] = &[
    ("docomo_mova", "DoCoMo/1.0/P503i/c10", &[]),
    ("docomo_foma", "DoCoMo/2.0 N905i(c100;TB;W24H16)", &[]),
    ("docomo_browser2", "DoCoMo/2.0 P07A3(c500;TB;W24H15)", &[]),
    (
        "au_wap2",
        "KDDI-CA39 UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0",
        &[("X-UP-DEVCAP-SCREENPIXELS", "240,320")],
    ),
    (
        "softbank_3gc",
        "SoftBank/1.0/910T/TJ001/SN123456789012345 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1",
        &[
            ("X-JPHONE-MSNAME", "910T"),
            ("X-JPHONE-DISPLAY", "240*320"),
            ("X-JPHONE-COLOR", "C262144"),
        ],
    ),
    ("jphone_c", "J-PHONE/3.0/J-SH07", &[("X-JPHONE-MSNAME", "J-SH07")]),
    ("willcom", "Mozilla/3.0(WILLCOM;KYOCERA/WX310K/2;1.2.2.16.000000/0.1/C100) Opera 7.0", &[]),
    (
        "iphone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        &[],
    ),
    ("pc", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", &[]),
];

fn handset_of(ua: &str, extra: &[(&str, &str)]) -> ashiato_handset::Handset {
    let mut headers = HeaderList::new();
    headers.push("user-agent", ua);
    for (n, v) in extra {
        headers.push(&n.to_ascii_lowercase(), *v);
    }
    ashiato_handset::detect(&headers, None, &Trust::nothing())
}

/// Every `href="…"` and `action="…"` on a page.
fn urls(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["href=\"", "action=\""] {
        for (at, _) in page.match_indices(marker) {
            let rest = &page[at + marker.len()..];
            out.push(rest[..rest.find('"').unwrap_or(0)].replace("&amp;", "&"));
        }
    }
    out
}

fn strict() -> bool {
    std::env::var_os("ASHIATO_TEST_STRICT").is_some()
}

/// Reports a check that could not run (straight to the terminal; a failure under
/// `ASHIATO_TEST_STRICT`).
fn skipped(reason: &str) {
    use std::io::Write;
    assert!(!strict(), "required check could not run: {reason}");
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {reason} ***");
}

/// Validates XHTML pages with xmllint against their DOCTYPEs through the renderer's catalog.
fn xmllint(pages: &[(String, String)]) {
    if Command::new("xmllint").arg("--version").output().is_err() {
        skipped("xmllint not found (apt-get install -y libxml2-utils w3c-sgml-lib)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ashiato_render/tests/dtd/catalog.xml");
    let mut files = Vec::new();
    for (n, (name, text)) in pages.iter().enumerate() {
        // libxml2 refuses the carriers' emoji area of Shift_JIS; the text was decoded already,
        // so it is written back as UTF-8 with the declaration to match.
        let body = match text.split_once("?>") {
            Some((decl, rest)) if decl.starts_with("<?xml") => {
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{rest}")
            }
            _ => text.clone(),
        };
        let path = dir.path().join(format!("{n}-{name}.xhtml"));
        std::fs::write(&path, body).expect("write page");
        files.push(path);
    }
    let out = Command::new("xmllint")
        .env("XML_CATALOG_FILES", format!("{} /etc/xml/catalog", catalog.display()))
        .args(["--noout", "--nonet", "--valid"])
        .args(&files)
        .output()
        .expect("run xmllint");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "xmllint:\n{err}");
}

fn every_dialect(t: &TestDb) {
    let author = member(t, "author@example.jp", "書く人");
    let long_body = "長い日記の本文です☀ 今日は駅前のカフェでケーキを食べました。\n".repeat(120);
    let entry = {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            let now = ashiato_app::now();
            let id = ashiato_store::diary::create_entry(
                c,
                author,
                "長い日記☀",
                &long_body,
                ashiato_core::Scope::Public,
                now,
            )?;
            for k in 0..30 {
                ashiato_store::diary::add_comment(
                    c,
                    id,
                    author,
                    &format!("コメント{k}です🍰"),
                    now,
                )?;
            }
            Ok::<_, ashiato_store::StoreError>(id)
        })
        .expect("content")
    };
    let app = TestApp::start(t);
    let mut xhtml_pages = Vec::new();
    for (n, (name, ua, extra)) in HANDSETS.iter().enumerate() {
        let h = handset_of(ua, extra);
        let target = Target::for_handset(&h);
        let email = format!("reader{n}@example.jp");
        member(t, &email, &format!("読者{n}"));
        let mut phone = Phone::new(&app, ua);
        for (k, v) in *extra {
            phone.headers.push(((*k).into(), (*v).into()));
        }
        phone.login(&email);
        assert_eq!(phone.cookie.is_some(), h.cookies, "{name}: cookie use");
        assert_eq!(phone.ksid.is_some(), !h.cookies, "{name}: URL session");
        let mut paths = vec![
            "/home".to_owned(),
            format!("/diary/{entry}"),
            format!("/diary/{entry}?p=2"),
            format!("/m/{author}"),
            "/footsteps".to_owned(),
            "/settings".to_owned(),
            "/handset".to_owned(),
            format!("/messages/new?to={author}"),
            "/no/such/page".to_owned(),
        ];
        paths.dedup();
        for path in &paths {
            let res = phone.get(path);
            let expected_status = if path.starts_with("/no/") { 404 } else { 200 };
            assert_eq!(res.status, expected_status, "{name} {path}: {}", phone.last);
            let ct = res.header("content-type").unwrap_or_default().to_owned();
            assert_eq!(ct, target.content_type(), "{name} {path}: content type");
            let label = target.charset_label();
            let page = phone.last.clone();
            if target.dialect.is_xhtml() {
                assert!(
                    page.starts_with(&format!("<?xml version=\"1.0\" encoding=\"{label}\"?>")),
                    "{name} {path}: {page}"
                );
                assert!(
                    page.contains(&format!("content=\"{ct}\"")),
                    "{name} {path}: meta matches header"
                );
                xhtml_pages
                    .push((format!("{name}{}", path.replace(['/', '?'], "_")), page.clone()));
            } else if target.dialect != ashiato_render::Dialect::Html5 {
                assert!(page.contains(&format!("charset={label}")), "{name} {path}: meta charset");
            }
            assert!(
                res.body.len() <= target.budget,
                "{name} {path}: {} bytes > budget {}",
                res.body.len(),
                target.budget
            );
            for url in urls(&page) {
                if url.starts_with("/jump") {
                    assert!(!url.contains("ksid"), "{name} {path}: token in a jump link {url}");
                    continue;
                }
                let internal =
                    url.starts_with('/') || url.starts_with(&format!("http://{}", app.addr));
                if !internal {
                    continue;
                }
                assert_eq!(
                    url.contains("ksid="),
                    !h.cookies,
                    "{name} {path}: session parameter on {url}"
                );
                if h.needs_guid_on {
                    assert!(
                        url.contains("guid=ON"),
                        "{name} {path}: docomo link without guid=ON: {url}"
                    );
                }
            }
        }
        // The long diary splits into parts on small budgets and none of its text is lost.
        phone.get(&format!("/diary/{entry}"));
        assert!(
            phone.last.contains("長い日記☀") || phone.last.contains("長い日記"),
            "{name}: title"
        );
        // CSRF: a post without the token changes nothing.
        let forged = form_body(&[("title", "偽物"), ("body", "偽物"), ("scope", "public")]);
        let res = phone.send(Request::post_form(&phone.url("/diary/new"), forged));
        assert_eq!(res.status, 403, "{name}: CSRF");
    }
    let mut conn = t.db.conn().expect("connection");
    assert!(
        ashiato_store::diary::list_by_author(&mut conn, author, 100, 0)
            .expect("list")
            .iter()
            .all(|e| e.title != "偽物"),
        "a forged post was stored"
    );
    xmllint(&xhtml_pages);
}

fn outbound_links(t: &TestDb) {
    let me = member(t, "linker@docomo.ne.jp", "リンク");
    let app = TestApp::start(t);
    let mut phone = Phone::new(&app, "DoCoMo/2.0 N905i(c100;TB;W24H16)");
    phone.login("linker@docomo.ne.jp");
    let body = format!(
        "外のページ http://example.com/a?b=1&c=2 と自分の日記 http://{}/m/{me}?ksid=LEAKEDTOKENLEAKEDTOKENLEAKEDTOKENLEAKEDTOK",
        app.addr
    );
    let res = phone.submit(
        "/diary/new",
        "/diary/new",
        &[("title", "リンク集"), ("body", &body), ("scope", "public")],
    );
    assert_eq!(res.status, 303, "{}", phone.last);
    phone.follow(&res);
    let page = phone.last.clone();
    assert!(!page.contains("LEAKEDTOKEN"), "a pasted session token was kept: {page}");
    let jump = urls(&page)
        .into_iter()
        .find(|u| u.starts_with("/jump"))
        .expect("the outbound link goes through /jump");
    assert!(!jump.contains("ksid"), "token in {jump}");
    assert!(
        !urls(&page).iter().any(|u| u.starts_with("http://example.com")),
        "direct outbound link on {page}"
    );
    // The interstitial links to the target itself, and is reached without a session token.
    let res = phone
        .app
        .send(&Request::get(&jump).header("User-Agent", "DoCoMo/2.0 N905i(c100;TB;W24H16)"));
    assert_eq!(res.status, 200);
    let interstitial = Phone::decode(&res);
    assert!(interstitial.contains("href=\"http://example.com/a?b=1&amp;c=2\""), "{interstitial}");
    assert!(!interstitial.contains("ksid"), "{interstitial}");
    // Changing the target breaks the signature: no open redirect.
    let forged = jump.replace("example.com", "evil.example");
    assert_eq!(phone.app.send(&Request::get(&forged)).status, 400);
    assert_eq!(
        phone.app.send(&Request::get("/jump?to=http%3A%2F%2Fevil.example%2F&sig=00")).status,
        400
    );
}

fn easy_login(t: &TestDb) {
    member(t, "easy@docomo.ne.jp", "かんたん");
    // Requests arrive through a trusted reverse proxy that reports docomo's gateway address.
    let app = TestApp::start_with(t, |c| c.trusted_proxies = vec!["127.0.0.1".into()]);
    let ua = "DoCoMo/2.0 N905i(c100;TB;W24H16)";
    let from_docomo = |phone: &mut Phone<'_>| {
        phone.headers.push(("X-DCMGUID".into(), "0a1B2c3".into()));
        phone.headers.push(("X-Forwarded-For".into(), "210.153.84.1".into()));
    };
    let mut phone = Phone::new(&app, ua);
    from_docomo(&mut phone);
    phone.get("/login");
    assert!(!phone.last.contains("/login/easy"), "easy login offered before any binding");
    phone.login("easy@docomo.ne.jp");
    let bound = phone.submit("/settings/easy-login", "/settings/easy-login", &[("action", "bind")]);
    assert_eq!(bound.status, 303, "{}", phone.last);
    // A new visit from the same handset: one button logs in.
    let mut again = Phone::new(&app, ua);
    from_docomo(&mut again);
    again.get("/login");
    assert!(again.last.contains("/login/easy"), "{}", again.last);
    let res = again.submit("/login", "/login/easy", &[]);
    assert_eq!(res.status, 303, "{}", again.last);
    again.follow(&res);
    assert!(again.last.contains("かんたんさんのホーム"), "{}", again.last);
    // After an easy login, binding again or changing the password needs the password.
    again.get("/settings/easy-login");
    assert!(again.last.contains("パスワードでログインし直してください"), "{}", again.last);
    // The session is bound to this handset's ID: its URL token copied to another docomo phone
    // (a link shared by mail) is not a login there.
    let mut other = Phone::new(&app, ua);
    other.headers.push(("X-DCMGUID".into(), "9z8Y7x6".into()));
    other.headers.push(("X-Forwarded-For".into(), "210.153.84.1".into()));
    other.ksid.clone_from(&again.ksid);
    let res = other.get("/home");
    assert_eq!(res.status, 303, "a copied session token logged another handset in");
    assert!(
        res.header("location").is_some_and(|l| l.contains("/login")),
        "{:?}",
        res.header("location")
    );
    assert_eq!(again.get("/home").status, 200, "the bound handset stays logged in");
    // The same ID from a PC address (no trusted proxy in between) logs nobody in (S-01).
    let direct = TestApp::start(t);
    let mut forger = Phone::new(&direct, ua);
    forger.headers.push(("X-DCMGUID".into(), "0a1B2c3".into()));
    forger.get("/login");
    assert!(!forger.last.contains("/login/easy"));
    let csrf = hidden_value(&forger.last, "csrf").expect("csrf");
    let ksid = hidden_value(&forger.last, "ksid").expect("ksid");
    let res = forger.send(Request::post_form(
        &format!("/login/easy?ksid={ksid}"),
        form_body(&[("csrf", &csrf)]),
    ));
    assert_eq!(res.status, 403, "an untrusted ID logged in");
    // The raw ID is never stored.
    let mut conn = t.db.conn().expect("connection");
    use diesel::prelude::*;
    let hashes: Vec<String> = ashiato_store::schema::subscriber_bindings::table
        .select(ashiato_store::schema::subscriber_bindings::subscriber_hash)
        .load(&mut *conn)
        .expect("bindings");
    assert_eq!(hashes.len(), 1);
    assert!(!hashes[0].contains("0a1B2c3") && hashes[0].len() == 64, "{hashes:?}");
    let _ = PASSWORD;
}

/// Runs the team's `pagecheck.py` (beside the repository) against live pages of the real
/// server, logged in, for each of its handset profiles.
fn pagecheck_live(t: &TestDb) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/pagecheck.py");
    if !script.is_file() {
        // Not part of the repository: a clone elsewhere cannot run it.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {} not found ***", script.display());
        return;
    }
    if Command::new("python3").arg("--version").output().is_err() {
        skipped("python3 not found");
        return;
    }
    // pagecheck validates XHTML with xmllint and stops with a traceback without it.
    if Command::new("xmllint").arg("--version").output().is_err() {
        skipped(
            "xmllint not found (apt-get install -y libxml2-utils w3c-sgml-lib): pagecheck not run",
        );
        return;
    }
    let author = member(t, "author@example.jp", "書く人");
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            let now = ashiato_app::now();
            let id = ashiato_store::diary::create_entry(
                c,
                author,
                "日記☀",
                &"本文です🍰 http://example.com/ を見て\n".repeat(60),
                ashiato_core::Scope::Public,
                now,
            )?;
            for k in 0..20 {
                ashiato_store::diary::add_comment(c, id, author, &format!("コメント{k}"), now)?;
            }
            Ok::<_, ashiato_store::StoreError>(())
        })
        .expect("content");
    }
    let app = TestApp::start(t);
    let profiles = [
        ("docomo", "DoCoMo/2.0 N905i(c100;TB;W24H16)"),
        ("mova", "DoCoMo/1.0/F504i/c10/TB"),
        ("au", "KDDI-CA39 UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0"),
        (
            "softbank",
            "SoftBank/1.0/910T/TJ001 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1",
        ),
        (
            "iphone",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        ),
        (
            "pc",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        ),
    ];
    for (n, (profile, ua)) in profiles.iter().enumerate() {
        let email = format!("check{n}@example.jp");
        member(t, &email, &format!("確認{n}"));
        let mut phone = Phone::new(&app, ua);
        phone.login(&email);
        phone.get("/home");
        let entry = phone.last.match_indices("/diary/").find_map(|(i, _)| {
            let id: String = phone.last[i + 7..].chars().take_while(char::is_ascii_digit).collect();
            (!id.is_empty()).then_some(id)
        });
        let mut paths = vec![
            "/home".to_owned(),
            format!("/m/{author}"),
            format!("/m/{author}/diary"),
            "/footsteps".to_owned(),
            "/settings".to_owned(),
        ];
        if let Some(id) = entry {
            paths.push(format!("/diary/{id}"));
        }
        let urls: Vec<String> =
            paths.iter().map(|p| format!("http://{}{}", app.addr, phone.url(p))).collect();
        let mut cmd = Command::new("python3");
        cmd.arg(&script).args(["--profile", profile]);
        if let Some(c) = &phone.cookie {
            cmd.args(["--cookie", &format!("ashiato_session={c}")]);
        }
        let out = cmd.args(&urls).output().expect("run pagecheck");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "pagecheck --profile {profile}:\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// S-04, S-05, S-07: an ID from a carrier gateway that no account is bound to logs nobody in
/// and creates nothing; a bound member whose ID changed (a new handset or contract) gets no
/// easy login and still logs in with the password, reaching only their own account; a
/// logged-in handset whose requests arrive from another gateway address of its carrier (they
/// rotate between requests) keeps its session: sessions are not bound to addresses.
fn carrier_identity_edges(t: &TestDb) {
    let owner = member(t, "bound@docomo.ne.jp", "むすび");
    let app = TestApp::start_with(t, |c| c.trusted_proxies = vec!["127.0.0.1".into()]);
    let ua = "DoCoMo/2.0 N905i(c100;TB;W24H16)";
    let phone_with = |id: &str, gateway: &str| {
        let mut p = Phone::new(&app, ua);
        p.headers.push(("X-DCMGUID".into(), id.into()));
        p.headers.push(("X-Forwarded-For".into(), gateway.into()));
        p
    };
    let members = || {
        use diesel::prelude::*;
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::schema::members::table.count().get_result::<i64>(&mut *conn).expect("count")
    };
    let before = members();
    // S-04: a trusted, unbound ID: no button, and the button's POST logs nobody in.
    let mut stranger = phone_with("Unb0und", "210.153.84.7");
    stranger.get("/login");
    assert!(!stranger.last.contains("/login/easy"), "easy login offered to an unbound ID");
    let csrf = hidden_value(&stranger.last, "csrf").expect("csrf");
    let ksid = hidden_value(&stranger.last, "ksid").expect("ksid");
    let res = stranger.send(Request::post_form(
        &format!("/login/easy?ksid={ksid}"),
        form_body(&[("csrf", &csrf)]),
    ));
    assert_ne!(res.status, 303, "an unbound ID logged in");
    assert_eq!(stranger.get("/home").status, 303, "an unbound ID reached a home page");
    assert_eq!(members(), before, "an unbound ID created an account");

    // The owner binds their handset (ID 0ldId00) after a password login.
    let mut phone = phone_with("0ldId00", "210.153.84.1");
    phone.login("bound@docomo.ne.jp");
    let bound = phone.submit("/settings/easy-login", "/settings/easy-login", &[("action", "bind")]);
    assert_eq!(bound.status, 303, "{}", phone.last);

    // S-07: the same session from other docomo gateway addresses, then another docomo block.
    for gateway in ["210.153.84.200", "210.136.161.9", "124.146.174.33"] {
        phone.headers.retain(|(name, _)| name != "X-Forwarded-For");
        phone.headers.push(("X-Forwarded-For".into(), gateway.into()));
        let res = phone.get("/home");
        assert_eq!(res.status, 200, "the session ended when the gateway became {gateway}");
        assert!(phone.last.contains("むすびさんのホーム"), "{}", phone.last);
    }

    // S-05: the owner's ID changed (new handset): no easy login; the password still works and
    // reaches their account, and nobody else's.
    let mut changed = phone_with("N3wId00", "210.153.84.1");
    changed.get("/login");
    assert!(!changed.last.contains("/login/easy"), "easy login offered to a changed ID");
    changed.login("bound@docomo.ne.jp");
    changed.get("/home");
    assert!(changed.last.contains("むすびさんのホーム"), "{}", changed.last);
    assert!(changed.last.contains(&format!("/m/{owner}")) || changed.last.contains("むすび"));
}

//! The operator's commands on the released binary: admin rights, suspending a member (and what
//! a suspension does to a running site, the posting address and the audit log), the audit log
//! itself (printed, as JSON, append-only in the database).

use ashiato_test_support::http::Request;
use ashiato_test_support::{Suite, TestDb};

use crate::mail::Site;
use crate::recovery::docomo_form;
use crate::serve::start_with;

pub fn register(suite: &mut Suite) {
    suite
        .on_both("admin_rights_are_granted_and_revoked_with_an_audit_row", admin_rights)
        .on_both("a_suspension_stops_login_mail_and_pages_until_lifted", suspension)
        .on_both(
            "reports_are_listed_and_content_removed_from_the_command_line",
            reports_and_removal,
        );
}

const TEXT_MAIL: &str = "From: taro.@docomo.ne.jp\r\nSubject: test\r\nMessage-ID: <m{n}@docomo.ne.jp>\r\n\
                         Date: Tue, 01 Jul 2008 09:00:00 +0900\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nhello {n}\r\n";

fn audit(site: &Site<'_>) -> Vec<serde_json::Value> {
    let out = site.run(&["audit", "list", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

fn admin_rights(t: &TestDb) {
    let site = Site::new(t, &[]);
    let is_admin = || {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::accounts::find_member(&mut conn, site.member).expect("taro").is_admin
    };
    let granted = site.run(&["admin", "grant", "--email", "taro@example.jp"]);
    assert_eq!(granted.code, 0, "{}", granted.stderr);
    assert_eq!(granted.stdout.trim(), "taro@example.jp is an admin");
    assert!(is_admin());
    let again = site.run(&["admin", "grant", "--email", "taro@example.jp"]);
    assert_eq!(again.stdout.trim(), "taro@example.jp is an admin (unchanged)");
    // A missing member is a clear refusal, and nothing is recorded.
    let ghost = site.run(&["admin", "grant", "--email", "ghost@example.jp"]);
    assert_eq!(ghost.code, 64, "{}", ghost.stderr);
    assert!(ghost.stderr.contains("no member ghost@example.jp"), "{}", ghost.stderr);
    let revoked = site.run(&["admin", "revoke", "--email", "taro@example.jp"]);
    assert_eq!(revoked.stdout.trim(), "taro@example.jp is not an admin");
    assert!(!is_admin());
    let log = audit(&site);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["action"], "admin.revoke", "newest first");
    assert_eq!(log[1]["action"], "admin.grant");
    assert_eq!(log[1]["actor"], "cli");
    assert_eq!(log[1]["target"], format!("member:{}", site.member));
    let text = site.run(&["audit", "list"]);
    assert_eq!(text.stdout.lines().count(), 2);
    assert!(text.stdout.lines().next().is_some_and(|l| l.split('\t').count() == 6));
    // The log is append-only in the database itself, whoever connects.
    let mut conn = t.db.conn().expect("connection");
    use diesel::RunQueryDsl as _;
    let update = diesel::sql_query("UPDATE audit_log SET reason = 'rewritten'").execute(&mut *conn);
    assert!(update.is_err(), "an audit row was changed");
    let delete = diesel::sql_query("DELETE FROM audit_log").execute(&mut *conn);
    assert!(delete.is_err(), "audit rows were deleted");
    assert_eq!(audit(&site).len(), 2);
}

fn suspension(t: &TestDb) {
    let site = Site::new(t, &[]);
    let hanako = site.run(&[
        "member",
        "add",
        "--email",
        "hanako@example.jp",
        "--nickname",
        "hanako",
        "--password",
        "sakura-2008-spring",
    ]);
    assert_eq!(hanako.code, 0, "{}", hanako.stderr);
    let env: Vec<(&str, &str)> = site.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = start_with(site.dir.path(), &t.url.to_string(), &[], &env);
    let login = |email: &str| {
        docomo_form(
            server.addr,
            "/login",
            &format!("email={}&password=sakura-2008-spring", email.replace('@', "%40")),
        )
    };
    let ksid_of = |res: &ashiato_test_support::http::Response| {
        let loc = res.header("location").expect("location");
        loc.split("ksid=").nth(1).expect("ksid").split('&').next().expect("k").to_owned()
    };
    let home = |ksid: &str| {
        Request::get(&format!("/home?ksid={ksid}"))
            .header("User-Agent", "DoCoMo/2.0 N905i(c100;TB;W24H16)")
            .send(server.addr)
            .expect("home")
    };
    let taro_in = login("taro@example.jp");
    assert_eq!(taro_in.status, 303);
    let taro_ksid = ksid_of(&taro_in);
    assert_eq!(home(&taro_ksid).status, 200);
    let hanako_ksid = ksid_of(&login("hanako@example.jp"));
    let taro_page = |ksid: &str| {
        Request::get(&format!("/m/{}?ksid={ksid}", site.member))
            .header("User-Agent", "DoCoMo/2.0 N905i(c100;TB;W24H16)")
            .send(server.addr)
            .expect("profile")
            .status
    };
    assert_eq!(taro_page(&hanako_ksid), 200);

    // A reason is required; without one nothing happens.
    let empty = site.run(&["member", "suspend", "--email", "taro@example.jp", "--reason", " "]);
    assert_eq!(empty.code, 64, "{}", empty.stderr);
    assert_eq!(home(&taro_ksid).status, 200);

    let out =
        site.run(&["member", "suspend", "--email", "taro@example.jp", "--reason", "spam\tlinks"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // His session ended at once; logging in again says why, on the phone, in Shift_JIS.
    assert_eq!(home(&taro_ksid).status, 303);
    let refused = login("taro@example.jp");
    assert_eq!(refused.status, 403);
    let page = ashiato_charset::decode_form_bytes(
        &refused.body,
        ashiato_charset::InputCharset::ShiftJis,
        ashiato_charset::Carrier::Docomo,
    );
    assert!(page.contains("利用停止中"), "{page}");
    // Others no longer see his pages; his posting address refuses mail.
    assert_eq!(taro_page(&hanako_ksid), 404);
    let mail = site.ingest(TEXT_MAIL.replace("{n}", "1").as_bytes());
    assert_ne!(mail.code, 0);
    assert!(mail.stderr.contains("account suspended"), "{}", mail.stderr);
    assert!(site.diaries().is_empty());

    // Lifted: everything is back, nothing was lost.
    let out = site.run(&["member", "unsuspend", "--email", "taro@example.jp"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(login("taro@example.jp").status, 303);
    assert_eq!(taro_page(&hanako_ksid), 200);
    let mail = site.ingest(TEXT_MAIL.replace("{n}", "2").as_bytes());
    assert_eq!(mail.code, 0, "{}", mail.stderr);
    assert_eq!(site.diaries().len(), 1);
    let log = audit(&site);
    let actions: Vec<&str> = log.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["member.unsuspend", "member.suspend"]);
    assert_eq!(log[1]["reason"], "spam\tlinks", "the reason as typed");
    let text = site.run(&["audit", "list"]);
    let suspend_line = text.stdout.lines().nth(1).expect("the suspension");
    assert_eq!(suspend_line.split('\t').count(), 6, "a tab in the reason stays one column");
    assert!(suspend_line.ends_with("spam links"), "{suspend_line}");
}

fn reports_and_removal(t: &TestDb) {
    use ashiato_core::{Scope, Timestamp};
    use ashiato_store::{diary, messages, reports};
    let site = Site::new(t, &[]);
    let added = site.run(&[
        "member",
        "add",
        "--email",
        "hanako@example.jp",
        "--nickname",
        "花子",
        "--password",
        "sakura-2008-spring",
    ]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let hanako = ashiato_core::MemberId(added.stdout.trim().parse().expect("id"));
    let (entry, message) = {
        let mut conn = t.db.conn().expect("connection");
        let now = Timestamp(1_700_000_000_000);
        let e = diary::create_entry(&mut conn, site.member, "晒し", "本文", Scope::Public, now)
            .expect("entry");
        let m = messages::send(&mut conn, site.member, hanako, "件名", "本文", None, now)
            .expect("message");
        for target in [format!("/diary/{e}"), format!("/messages/{m}")] {
            let r = reports::NewReport {
                reporter: hanako,
                target: &target,
                category: "spam",
                note: "宣伝\tです",
            };
            reports::file(&mut conn, &r, now).expect("report");
        }
        (e, m)
    };
    let entry_path = format!("/diary/{entry}");

    // Listed newest first, six tab-separated fields (the note only in JSON, where a tab is safe).
    let listed = site.run(&["report", "list"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let lines: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", listed.stdout);
    let fields: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(fields.len(), 6, "{}", lines[1]);
    assert_eq!(&fields[1..5], ["open", entry_path.as_str(), "spam", "hanako@example.jp"]);
    let json = site.run(&["report", "list", "--open", "--json"]);
    let rows: Vec<serde_json::Value> =
        json.stdout.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["target"], entry_path);
    assert_eq!(rows[1]["note"], "宣伝\tです");

    // Bad input: a clear refusal on stderr, exit 64, and nothing changes.
    for (args, says) in [
        (vec!["content", "remove", "--path", "/admin", "--reason", "x"], "names no content"),
        (vec!["content", "remove", "--path", "/diary/1x", "--reason", "x"], "names no content"),
        (vec!["content", "remove", "--path", &entry_path, "--reason", "  "], "--reason"),
        (vec!["content", "remove", "--path", "/diary/999999", "--reason", "x"], "nothing at"),
        (vec!["content", "remove", "--path", "/m/1", "--reason", "x"], "suspend the member"),
    ] {
        let out = site.run(&args);
        assert_eq!(out.code, 64, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    assert!(audit(&site).is_empty());

    // Removed: gone from the database with a tombstone, its report resolved, one audit row.
    let out = site.run(&["content", "remove", "--path", &entry_path, "--reason", "宣伝の投稿"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("1 report(s) resolved"), "{}", out.stdout);
    let mut conn = t.db.conn().expect("connection");
    assert!(diary::find_entry(&mut conn, entry).is_err());
    assert!(reports::tombstone(&mut conn, &entry_path).expect("tombstone").is_some());
    let open = site.run(&["report", "list", "--open"]);
    assert_eq!(open.stdout.lines().count(), 1, "{}", open.stdout);
    assert!(open.stdout.contains(&format!("/messages/{message}")), "{}", open.stdout);
    let log = audit(&site);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["action"], "content.remove");
    assert_eq!(log[0]["target"], entry_path);
    assert_eq!(log[0]["reason"], "宣伝の投稿");
    // Again: nothing there any more, nothing more recorded.
    let again = site.run(&["content", "remove", "--path", &entry_path, "--reason", "x"]);
    assert_eq!(again.code, 64);
    assert_eq!(audit(&site).len(), 1);
    // A message goes from both sides.
    let out = site.run(&[
        "content",
        "remove",
        "--path",
        &format!("/messages/{message}"),
        "--reason",
        "迷惑",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(messages::parties(&mut conn, message).is_err());
}

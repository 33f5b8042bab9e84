//! Operator commands and how they fail.

use ashiato_test_support::{Suite, TestDb};

use crate::{ashiato, run};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("member_add_prints_the_id_and_refuses_duplicates", member_add)
        .on_both("invite_prints_a_sign_up_link", invite_prints_link)
        .on_both("seed_builds_the_load_test_community", seed_community)
        .on_both("the_newest_migration_reverts_and_applies_again", migrate_down_and_up)
        .plain("migrate_reports_what_it_applied", migrate_reports)
        .plain("corrupt_sqlite_file_fails_with_one_line", corrupt_sqlite)
        .plain("unwritable_data_dir_fails_with_one_line", unwritable_data_dir)
        .plain("unreachable_postgres_fails_without_printing_the_password", unreachable_postgres)
        .plain("unknown_config_key_is_refused", unknown_config_key)
        .plain("handset_prints_the_profile_as_json", handset_json)
        .plain("image_thumbnail_runs_the_upload_pipeline", image_thumbnail);
}

fn db_arg(t: &TestDb) -> String {
    t.url.to_string()
}

fn member_add(t: &TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let add = |email: &str, password: &str| {
        run(ashiato().args(["--data-dir"]).arg(dir.path()).args([
            "--database",
            &db_arg(t),
            "member",
            "add",
            "--email",
            email,
            "--nickname",
            "はなこ",
            "--password",
            password,
        ]))
    };
    let ok = add("hanako@example.jp", "sakura-2008-spring");
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let id: i64 = ok.stdout.trim().parse().expect("prints the new id");
    assert!(id > 0);
    let dup = add("HANAKO@example.jp", "sakura-2008-spring");
    assert_eq!(dup.code, 64);
    assert_eq!(dup.stderr.trim(), "ashiato: email is already registered");
    let weak = add("other@example.jp", "12345678");
    assert_eq!(weak.code, 64);
    assert_eq!(weak.stderr.lines().count(), 1, "{}", weak.stderr);
    assert!(weak.stderr.contains("password is too easy to guess"), "{}", weak.stderr);
    assert!(!weak.stderr.contains("12345678"), "the password was echoed");
}

fn invite_prints_link(t: &TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = |extra: &[&str]| {
        let mut cmd = ashiato();
        cmd.arg("--data-dir").arg(dir.path()).args(["--database", &db_arg(t)]).args(extra);
        run(&mut cmd)
    };
    assert_eq!(
        base(&[
            "member",
            "add",
            "--email",
            "a@example.jp",
            "--nickname",
            "あ",
            "--password",
            "sakura-2008-spring"
        ])
        .code,
        0
    );
    let inv = base(&["invite", "--email", "b@example.jp", "--from", "a@example.jp"]);
    assert_eq!(inv.code, 0, "{}", inv.stderr);
    let link = inv.stdout.trim();
    assert!(
        link.starts_with("http://127.0.0.1:8080/join/")
            && link.len() == "http://127.0.0.1:8080/join/".len() + 22,
        "{link}"
    );
    let nobody = base(&["invite", "--from", "ghost@example.jp"]);
    assert_eq!(
        (nobody.code, nobody.stderr.trim()),
        (64, "ashiato: --from: no member ghost@example.jp")
    );
}

fn migrate_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = run(ashiato().arg("--data-dir").arg(dir.path()).arg("migrate"));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stdout.contains("_initial"), "{}", first.stdout);
    let second = run(ashiato().arg("--data-dir").arg(dir.path()).arg("migrate"));
    assert!(second.stdout.starts_with("0 migration(s) applied"), "{}", second.stdout);
    assert!(dir.path().join("ashiato.sqlite3").is_file());
}

fn corrupt_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ashiato.sqlite3"), b"not a database at all".repeat(200))
        .expect("write");
    let out =
        run(ashiato().arg("--data-dir").arg(dir.path()).args(["serve", "--bind", "127.0.0.1:0"]));
    assert_eq!(out.code, 69, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("is not a usable database"), "{}", out.stderr);
}

fn unwritable_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    // A directory cannot be created below a regular file, whoever runs the test (root too).
    let out = run(ashiato().arg("--data-dir").arg(file.join("data")).args([
        "serve",
        "--bind",
        "127.0.0.1:0",
    ]));
    assert_eq!(out.code, 73, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.starts_with("ashiato: the data directory"), "{}", out.stderr);
}

fn unreachable_postgres() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(ashiato().arg("--data-dir").arg(dir.path()).args([
        "--database",
        "postgres://app:hunter2@127.0.0.1:1/ashiato",
        "serve",
        "--bind",
        "127.0.0.1:0",
    ]));
    assert_eq!(out.code, 69, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("127.0.0.1:1") && !out.stderr.contains("hunter2"),
        "{}",
        out.stderr
    );
}

fn unknown_config_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ashiato.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:0\"\nopensignup = true\n").expect("write");
    let out =
        run(ashiato().arg("--config").arg(&file).arg("--data-dir").arg(dir.path()).arg("migrate"));
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.stderr.contains("unknown key `opensignup`"), "{}", out.stderr);
    let env = run(ashiato()
        .env("ASHIATO_OPENSIGNUP", "true")
        .arg("--data-dir")
        .arg(dir.path())
        .arg("migrate"));
    assert_eq!(env.code, 78, "{}", env.stderr);
    assert!(env.stderr.contains("ASHIATO_OPENSIGNUP"), "{}", env.stderr);
}

/// A FOMA handset's request with an i-mode ID, as `ashiato handset` arguments.
const FOMA_WITH_ID: [&str; 4] =
    ["-H", "User-Agent: DoCoMo/2.0 N905i(c100;TB;W24H16)", "-H", "X-DCMGUID: 0a1B2c3"];

fn handset_json() {
    let out = run(ashiato().arg("handset").args(FOMA_WITH_ID).args(["--peer", "210.153.84.1"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["carrier"], "docomo");
    assert_eq!(v["model"], "N905i");
    assert_eq!(v["subscriber_id_trusted"], true);
    assert_eq!(v["subscriber_id_kind"], "imode_id");
    assert!(!out.stdout.contains("0a1B2c3"), "raw subscriber ID printed");
    // The same ID header in a block on standard input, from a PC's address: not trusted.
    let mut child = ashiato()
        .args(["handset", "--peer", "203.0.113.9"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"User-Agent: DoCoMo/2.0 N905i(c100;TB;W24H16)\r\nX-DCMGUID: 0a1B2c3\r\n")
            .expect("write headers");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["carrier"], "docomo");
    assert_eq!(v["subscriber_id_trusted"], false, "an ID from a PC address was trusted");
    assert_eq!(v["subscriber_id_kind"], "imode_id");
    // The shipped list is years old: the command says so on stderr.
    assert!(String::from_utf8_lossy(&out.stderr).contains("gateway list was last verified"));

    // An operator's own gateway list (gateways_file) is what the command uses: the same
    // address is now a docomo gateway, and a fresh list draws no warning.
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("gateways.toml");
    let verified = time::OffsetDateTime::now_utc().date();
    std::fs::write(
        &list,
        format!(
            "[docomo]\nlast_verified = {verified}\nsources = [\"test\"]\nbrowser = [\"203.0.113.0/24\"]\n"
        ),
    )
    .expect("write list");
    let out = run(ashiato()
        .env("ASHIATO_GATEWAYS_FILE", &list)
        .arg("handset")
        .args(FOMA_WITH_ID)
        .args(["--peer", "203.0.113.9"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["subscriber_id_trusted"], true, "the configured list was ignored");
    assert!(!out.stderr.contains("last verified"), "{}", out.stderr);
    // A list that cannot be read stops the command with one line.
    let out = run(ashiato().env("ASHIATO_GATEWAYS_FILE", dir.path().join("missing.toml")).args([
        "handset",
        "-H",
        "User-Agent: DoCoMo/2.0 N905i(c100;TB;W24H16)",
    ]));
    assert_ne!(out.code, 0);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("gateways_file"), "{}", out.stderr);
}

fn image_thumbnail() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A 200x100 JPEG made by the pipeline from a generated PNG.
    let png = ashiato_test_support::images::png(200, 100, 100);
    let source = ashiato_image::thumbnail(
        &png,
        200,
        Some(ashiato_image::Format::Jpeg),
        None,
        &ashiato_image::Limits::default(),
    )
    .expect("jpeg");
    let input = dir.path().join("in.jpg");
    let output = dir.path().join("out.jpg");
    std::fs::write(&input, &source).expect("write");
    let out = run(ashiato()
        .args(["image", "thumbnail", "--width", "96", "--format", "jpeg", "--max-bytes", "4000"])
        .arg(&input)
        .arg(&output));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bytes = std::fs::read(&output).expect("output");
    assert_eq!(&bytes[..2], [0xFF, 0xD8]);
    assert!(bytes.len() <= 4000, "{} bytes", bytes.len());
    std::fs::write(&input, b"GIF89a broken").expect("write");
    let bad = run(ashiato().args(["image", "thumbnail", "--width", "96"]).arg(&input).arg(&output));
    assert_eq!(bad.code, 65, "{}", bad.stderr);
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
}

/// `ashiato seed` (used by crates/ashiato_server/bench/load.sh): the members, diaries, messages and footsteps it says.
fn seed_community(t: &TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = "seed --members 30 --diaries 90 --friends 4 --messages 3";
    let out = run(ashiato()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--database", &db_arg(t)])
        .args(plan.split(' ')));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("seeded 30 members (load0@example.jp"), "{}", out.stdout);
    assert!(out.stdout.contains(", 90 diary entries, "), "{}", out.stdout);
    let mut conn = t.db.conn().expect("connection");
    assert_eq!(ashiato_store::accounts::member_count(&mut conn).expect("count"), 30);
    // Three messages per inbox, less the few a member would have sent to themself.
    let mut received = 0;
    for i in 0..30 {
        let email = ashiato_core::account::Email::parse(&format!("load{i}@example.jp")).expect("e");
        let m = ashiato_store::accounts::find_by_email(&mut conn, &email).expect("q").expect("m");
        let inbox = ashiato_store::messages::inbox(&mut conn, m.id, 10, 0).expect("inbox");
        assert!(inbox.len() <= 3);
        assert!(inbox.iter().all(|msg| msg.subject.starts_with("お知らせ")), "{inbox:?}");
        received += inbox.len();
    }
    assert!(out.stdout.contains(&format!(", {received} messages, ")), "{}", out.stdout);
    assert!(received >= 80, "{received} of 90 messages");
}

/// `migrate --status` lists every migration; `--revert-last` runs the newest one's down.sql
/// (the rollback of an upgrade) and `migrate` applies it again, keeping the data it did not
/// own.
fn migrate_down_and_up(t: &TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| {
        run(ashiato().arg("--data-dir").arg(dir.path()).args(["--database", &db_arg(t)]).args(args))
    };
    let added = cli(&[
        "member",
        "add",
        "--email",
        "keep@example.jp",
        "--nickname",
        "keep",
        "--password",
        "sakura-2008-spring",
    ]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let backend = if t.url.to_string().starts_with("postgres") { "postgres" } else { "sqlite" };
    let shipped = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ashiato_store/migrations")
            .join(backend),
    )
    .expect("migrations")
    .count();
    let status = |want_pending: usize| {
        let out = cli(&["migrate", "--status"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), shipped, "{}", out.stdout);
        let pending = lines.iter().filter(|l| l.starts_with("pending\t")).count();
        assert_eq!(pending, want_pending, "{}", out.stdout);
        lines.last().map(|l| (*l).to_owned()).unwrap_or_default()
    };
    assert!(status(0).starts_with("applied\t"));
    let reverted = cli(&["migrate", "--revert-last"]);
    assert_eq!(reverted.code, 0, "{}", reverted.stderr);
    let last = status(1);
    assert!(last.starts_with("pending\t") && last.ends_with("_bounces"), "{last}");
    {
        use diesel::RunQueryDsl as _;
        let mut conn = t.db.conn().expect("connection");
        let gone = diesel::sql_query("SELECT COUNT(*) FROM mail_bounces").execute(&mut *conn);
        assert!(gone.is_err(), "the mail_bounces table is gone after the revert");
        let column = diesel::sql_query("SELECT bounce_tag FROM mail_outbox").execute(&mut *conn);
        assert!(column.is_err(), "mail_outbox.bounce_tag is gone after the revert");
        let kept = diesel::sql_query("SELECT to_address FROM mail_outbox").execute(&mut *conn);
        assert!(kept.is_ok(), "the revert dropped more than its own column");
    }
    let again = cli(&["migrate"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.starts_with("1 migration(s) applied"), "{}", again.stdout);
    status(0);
    let mut conn = t.db.conn().expect("connection");
    let email = ashiato_core::account::Email::parse("keep@example.jp").expect("email");
    assert!(ashiato_store::accounts::find_by_email(&mut conn, &email).expect("query").is_some());
    assert!(ashiato_store::mail::bounces(&mut conn, 10).expect("mail_bounces table").is_empty());
}

//! `ashiato backup` of a live community and `ashiato restore` into an empty one, on both
//! backends: what the server acknowledged before the backup began is in the restore, the
//! restore holds nothing that was not acknowledged, photos and the secret come along (the
//! posting address still works), and the verify step passes. A damaged backup and a target
//! that is not empty are refused before anything is written.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ashiato_core::MemberId;
use ashiato_store::{Db, DbOptions, diary};
use ashiato_test_support::http::Request;
use ashiato_test_support::{EmptyDb, Suite, TestDb};

use crate::mail::{Site, docomo_with_photo, phone_jpeg};
use crate::serve::{log_in, start_with};
use crate::{Ran, ashiato, run};

pub fn register(suite: &mut Suite) {
    suite.on_both("backup_of_a_live_community_restores_and_verifies", backup_and_restore);
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    html[at..at + html[at..].find('"').expect("end of csrf")].to_owned()
}

/// `ashiato` with the site's settings on another data directory and database.
fn on(site: &Site<'_>, dir: &std::path::Path, database: &str, args: &[&str]) -> Ran {
    run(ashiato()
        .arg("--data-dir")
        .arg(dir)
        .args(["--database", database])
        .envs(site.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args))
}

fn titles_in(database: &str, member: MemberId) -> Vec<String> {
    let db = Db::open(&database.parse().expect("url"), &DbOptions::default()).expect("open");
    let mut conn = db.conn().expect("connection");
    diary::list_by_author(&mut conn, member, 10_000, 0)
        .expect("diaries")
        .into_iter()
        .map(|e| e.title)
        .collect()
}

fn backup_and_restore(t: &TestDb) {
    let site = Site::new(t, &[]);
    // A photo by mail, so the backup has a master and the restore must bring its bytes.
    let posted = site.ingest(&docomo_with_photo(&phone_jpeg(), "backup.1@docomo.ne.jp"));
    assert_eq!(posted.code, 0, "{}", posted.stderr);
    let masters = site.master_files();
    assert_eq!(masters.len(), 1, "{masters:?}");

    // The server runs and a member keeps posting through it while the backup is taken.
    let env: Vec<(&str, &str)> = site.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let running = start_with(site.dir.path(), &t.url.to_string(), &[], &env);
    let addr = running.addr;
    let cookie = log_in(addr, "taro%40example.jp", "sakura-2008-spring");
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop, cookie) = (Arc::clone(&acked), Arc::clone(&stop), cookie.clone());
        std::thread::spawn(move || {
            let page = Request::get("/diary/new").header("Cookie", &cookie).send(addr);
            let csrf = csrf_of(&page.expect("diary form").text());
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let title = format!("live-{i}");
                let body =
                    format!("title={title}&body=backup+while+writing&scope=friends&csrf={csrf}");
                let res = Request::post_form("/diary/new", body)
                    .header("Cookie", &cookie)
                    .send(addr)
                    .expect("post");
                assert_eq!(res.status, 303, "{}", res.text());
                acked.lock().expect("acks").push(title);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().expect("acks").len() < 5 {
        assert!(Instant::now() < deadline, "no posts acknowledged");
        std::thread::sleep(Duration::from_millis(20));
    }
    let before: Vec<String> = acked.lock().expect("acks").clone();
    let backups = tempfile::tempdir().expect("tempdir");
    let to = backups.path().join("nightly");
    let to_text = to.to_str().expect("utf-8 path");
    let clock = Instant::now();
    let taken = site.run(&["backup", "--to", to_text]);
    let backup_seconds = clock.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    let all_acked: Vec<String> = acked.lock().expect("acks").clone();
    assert_eq!(taken.code, 0, "{}", taken.stderr);
    assert!(taken.stdout.starts_with("backup written to"), "{}", taken.stdout);
    assert!(to.join("manifest.json").is_file() && to.join("secret.key").is_file());
    assert!(!backups.path().join("nightly.partial").exists(), "the partial directory stayed");
    let again = site.run(&["backup", "--to", to_text]);
    assert_eq!(again.code, 64, "a backup over an existing one: {}", again.stderr);

    // Restore into an empty data directory and database.
    let target_dir = tempfile::tempdir().expect("tempdir");
    let data = target_dir.path().join("data");
    let target = EmptyDb::new(t.backend());
    let clock = Instant::now();
    let restored = on(&site, &data, &target.url, &["restore", "--from", to_text]);
    let restore_seconds = clock.elapsed().as_secs_f64();
    assert_eq!(restored.code, 0, "{}", restored.stderr);
    assert!(restored.stdout.contains("digests verified"), "{}", restored.stdout);
    eprintln!(
        "R-10 {}: backup {backup_seconds:.2} s while a member posted ({} posts acknowledged \
         before it began, {} by its end), restore with verify {restore_seconds:.2} s: {}",
        t.backend().name(),
        before.len(),
        all_acked.len(),
        restored.stdout.trim()
    );

    // Every post acknowledged before the backup began is there; nothing unacknowledged is.
    let titles = titles_in(&target.url, site.member);
    for title in &before {
        assert!(titles.contains(title), "{title} acknowledged before the backup is missing");
    }
    for title in titles.iter().filter(|t| t.starts_with("live-")) {
        assert!(all_acked.contains(title), "{title} was never acknowledged");
    }
    // The photo's bytes and the secret are the same files.
    let master = &masters[0];
    let relative = master.strip_prefix(site.dir.path()).expect("under the data dir");
    assert_eq!(
        std::fs::read(data.join(relative)).expect("restored master"),
        std::fs::read(master).expect("master")
    );
    let secret = std::fs::read(site.dir.path().join("secret.key")).expect("secret");
    assert_eq!(std::fs::read(data.join("secret.key")).expect("restored secret"), secret);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("secret.key")).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the restored secret is readable by others");
    }
    // The posting address depends on the secret: the restored site knows the same one.
    let address =
        on(&site, &data, &target.url, &["member", "post-address", "--email", "taro@example.jp"]);
    assert_eq!(address.code, 0, "{}", address.stderr);
    assert_eq!(address.stdout.trim(), site.address);
    drop(running);

    // The restored site serves: taro logs in with his password and sees his photo entry.
    let served = start_with(&data, &target.url, &[], &env);
    let cookie = log_in(served.addr, "taro%40example.jp", "sakura-2008-spring");
    // The first acknowledged post, on its own page (the list shows only the newest twenty).
    let first = {
        let db = Db::open(&target.url.parse().expect("url"), &DbOptions::default()).expect("db");
        let mut conn = db.conn().expect("connection");
        diary::list_by_author(&mut conn, site.member, 10_000, 0)
            .expect("diaries")
            .into_iter()
            .find(|e| e.title == before[0])
            .expect("the first acknowledged post")
            .id
    };
    let page = Request::get(&format!("/diary/{}", first.0))
        .header("Cookie", &cookie)
        .send(served.addr)
        .expect("diary page");
    assert_eq!(page.status, 200);
    assert!(page.text().contains(before[0].as_str()), "{}", page.text());
    drop(served);

    // A second restore into the now populated target is refused and changes nothing.
    let refused = on(&site, &data, &target.url, &["restore", "--from", to_text]);
    assert_eq!(refused.code, 64, "{}", refused.stderr);
    assert!(refused.stderr.contains("exists already") || refused.stderr.contains("has tables"));
    assert_eq!(titles_in(&target.url, site.member), titles);

    // A damaged backup (one byte of the photo changed) is refused before anything is written.
    let damaged = backups.path().join("damaged");
    copy_dir(&to, &damaged);
    let copy = damaged.join(relative);
    let mut bytes = std::fs::read(&copy).expect("copy");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&copy, bytes).expect("damage");
    let (failed, other_dir, other) = restore_fresh(&site, t, &damaged);
    assert_eq!(failed.code, 65, "{}", failed.stderr);
    assert!(failed.stderr.contains("does not match the manifest"), "{}", failed.stderr);
    assert_eq!(std::fs::read_dir(other_dir.path()).expect("dir").count(), 0, "files were written");
    // The verify step compares what was restored with the manifest: a manifest that claims
    // one diary entry more than the database holds fails it, naming the table.
    let forged = backups.path().join("forged");
    copy_dir(&to, &forged);
    let manifest_path = forged.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("json");
    let diaries = manifest["tables"]
        .as_array_mut()
        .expect("tables")
        .iter_mut()
        .find(|t| t["name"] == "diary_entries")
        .expect("diary_entries in the manifest");
    let rows = diaries["rows"].as_i64().expect("rows");
    diaries["rows"] = serde_json::json!(rows + 1);
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).expect("json")).expect("write");
    let (mismatch, _, _) = restore_fresh(&site, t, &forged);
    assert_eq!(mismatch.code, 65, "{}", mismatch.stderr);
    let expected = format!("diary_entries: {rows} rows, expected {}", rows + 1);
    assert!(mismatch.stderr.contains(&expected), "{}", mismatch.stderr);
    // A directory that is no backup at all.
    let none = on(
        &site,
        other_dir.path(),
        &other.url,
        &["restore", "--from", other_dir.path().to_str().expect("utf-8")],
    );
    assert_eq!(none.code, 65, "{}", none.stderr);
    assert!(none.stderr.contains("is not an ashiato backup"), "{}", none.stderr);
}

/// `restore --from` into a new empty data directory and database, which it returns too.
fn restore_fresh(
    site: &Site<'_>,
    t: &TestDb,
    from: &std::path::Path,
) -> (Ran, tempfile::TempDir, EmptyDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = EmptyDb::new(t.backend());
    let ran = on(site, dir.path(), &db.url, &["restore", "--from", from.to_str().expect("utf-8")]);
    (ran, dir, db)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy");
        }
    }
}

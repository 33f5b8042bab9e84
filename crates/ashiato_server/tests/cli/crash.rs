//! security.md: `kill -9` of `ashiato serve` in the middle of a burst of diary,
//! comment and message posts. After a restart every post the server acknowledged (its 303) is
//! there, whole, on both backends; SQLite's integrity check passes; comment counts agree with
//! the comments stored (no half-applied transaction).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ashiato_core::account::Email;
use ashiato_core::{DiaryId, MemberId};
use ashiato_store::{accounts, diary, messages};
use ashiato_test_support::http::{Request, Response};
use ashiato_test_support::{Suite, TestDb};

use crate::serve::start_with;
use crate::{ashiato, run};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("kill_9_during_a_posting_burst_loses_no_acknowledged_post", kill_9_burst)
        .on_both(
            "kill_9_after_profile_views_loses_at_most_the_last_second_of_footsteps",
            kill_9_footsteps,
        );
}

/// Concurrent posting members: R-01 names 100 writers; 24 keep CI quick and still queue
/// writers behind SQLite's single write lock and the pool of 8. The release drills set
/// `ASHIATO_DRILL_WRITERS=100` (deploy/drills/cases.tsv).
fn writers() -> usize {
    std::env::var("ASHIATO_DRILL_WRITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}
/// Acknowledged posts to wait for before the kill: 150, or four per writer, so that every
/// kind of post (entry, comment, message: each writer posts them in turn) is acknowledged.
fn acks_before_kill(writers: usize) -> usize {
    150.max(4 * writers)
}
const BODY: &str = "停電テスト☀ the whole body must survive or nothing";

/// What the server acknowledged to one writer.
#[derive(Default)]
struct Acked {
    diaries: Vec<(DiaryId, String)>,
    comments: Vec<(DiaryId, String)>,
    messages: Vec<String>,
}

fn cookie_of(res: &Response) -> Option<String> {
    res.headers_named("set-cookie").find_map(|c| c.split(';').next().map(str::to_owned))
}

fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + 19;
    Some(html[at..at + html[at..].find('"')?].to_owned())
}

/// Logs `email` in like a browser; returns the session cookie and its CSRF token.
fn login(addr: SocketAddr, email: &str) -> (String, String) {
    let form = Request::get("/login").send(addr).expect("login page");
    let cookie = cookie_of(&form).expect("session cookie");
    let csrf = csrf_of(&form.text()).expect("csrf");
    let body = format!("email={}&password=ashiato-load&csrf={csrf}", email.replace('@', "%40"));
    let res =
        Request::post_form("/login", body).header("Cookie", &cookie).send(addr).expect("login");
    assert_eq!(res.status, 303, "{}", res.text());
    let cookie = cookie_of(&res).expect("new session cookie");
    let page = Request::get("/diary/new").header("Cookie", &cookie).send(addr).expect("form");
    (cookie, csrf_of(&page.text()).expect("csrf on the diary form"))
}

fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

/// Posts until the server stops answering: a diary entry, a comment on it, a message to the
/// next writer, over and over. Only 303s pointing where a success points count as acknowledged.
fn write_until_killed(
    addr: SocketAddr,
    w: usize,
    session: (String, String),
    to: MemberId,
    acked: &Mutex<Acked>,
    total: &AtomicUsize,
    refused: &AtomicBool,
) {
    let (cookie, csrf) = session;
    let post = |path: &str, fields: &[(&str, &str)]| {
        Request::post_form(path, form(&[fields, &[("csrf", csrf.as_str())]].concat()))
            .header("Cookie", &cookie)
            .send(addr)
    };
    for i in 0.. {
        let title = format!("crash-{w}-{i}");
        let Ok(res) =
            post("/diary/new", &[("title", &title), ("body", BODY), ("scope", "friends")])
        else {
            break;
        };
        let Some(id) = (res.status == 303)
            .then(|| res.header("location"))
            .flatten()
            .and_then(|l| l.rsplit("/diary/").next()?.parse::<i64>().ok())
        else {
            refused.store(true, Ordering::Relaxed);
            break;
        };
        acked.lock().expect("acks").diaries.push((DiaryId(id), title.clone()));
        total.fetch_add(1, Ordering::Relaxed);

        let comment = format!("comment-{w}-{i}");
        let Ok(res) = post(&format!("/diary/{id}/comments"), &[("body", &comment)]) else { break };
        if res.status != 303 {
            refused.store(true, Ordering::Relaxed);
            break;
        }
        acked.lock().expect("acks").comments.push((DiaryId(id), comment));
        total.fetch_add(1, Ordering::Relaxed);

        let subject = format!("msg-{w}-{i}");
        let to = to.0.to_string();
        let Ok(res) = post("/messages/new", &[("to", &to), ("subject", &subject), ("body", BODY)])
        else {
            break;
        };
        if res.status != 303
            || res.header("location").is_none_or(|l| !l.ends_with("/messages/sent"))
        {
            refused.store(true, Ordering::Relaxed);
            break;
        }
        acked.lock().expect("acks").messages.push(subject);
        total.fetch_add(1, Ordering::Relaxed);
    }
}

/// `ashiato seed` with `members` members `load0@example.jp` … (password `ashiato-load`) and
/// nothing else; returns their ids in order.
fn seed_members(t: &TestDb, dir: &std::path::Path, members: usize) -> Vec<MemberId> {
    let plan = format!("seed --members {members} --diaries 0 --friends 0 --messages 0");
    let seeded = run(ashiato()
        .arg("--data-dir")
        .arg(dir)
        .args(["--database", &t.url.to_string()])
        .args(plan.split(' ')));
    assert_eq!(seeded.code, 0, "{}", seeded.stderr);
    let mut conn = t.db.conn().expect("connection");
    (0..members)
        .map(|w| {
            let email = Email::parse(&format!("load{w}@example.jp")).expect("email");
            accounts::find_by_email(&mut conn, &email).expect("query").expect("seeded").id
        })
        .collect()
}

/// `kill -9` right after a run of profile views, while the last footsteps may still
/// wait in the writer's queue (it flushes within 0.5 s, with asynchronous commit on
/// PostgreSQL). Every view acknowledged more than a second before the kill left its footstep;
/// only the last second's may be missing; the database is sound and serves again.
fn kill_9_footsteps(t: &TestDb) {
    // Not a multiple of the views per flush (about ten at this pace), so the kill falls
    // between two flushes.
    const VISITORS: usize = 45;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = t.url.to_string();
    let ids = seed_members(t, dir.path(), VISITORS + 1);
    let owner = ids[0];
    {
        // `seed` leaves footsteps of its own; only this test's views may be counted.
        use diesel::RunQueryDsl as _;
        let mut conn = t.db.conn().expect("connection");
        diesel::sql_query("DELETE FROM footsteps").execute(&mut *conn).expect("no footsteps");
    }
    let server = start_with(dir.path(), &db, &[], &[]);
    let addr = server.addr;
    let sessions: Vec<String> =
        (1..=VISITORS).map(|v| login(addr, &format!("load{v}@example.jp")).0).collect();
    // Views spread over about two seconds, each acknowledged (200) before the next; the kill
    // follows the last one at once.
    let mut views = Vec::new();
    for (v, cookie) in sessions.iter().enumerate() {
        let page = Request::get(&format!("/m/{owner}"))
            .header("Cookie", cookie)
            .send(addr)
            .expect("profile");
        assert_eq!(page.status, 200);
        views.push((ids[v + 1], Instant::now()));
        if v + 1 < VISITORS {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let mut server = server;
    server.child.kill().expect("kill -9");
    server.child.wait().expect("reaped");
    let killed = Instant::now();
    drop(server);
    let again = start_with(dir.path(), &db, &[], &[]);
    let mut conn = t.db.conn().expect("connection");
    if let Some(report) = ashiato_store::db::integrity_check(&mut conn).expect("integrity check") {
        assert_eq!(report, "ok", "SQLite integrity check after kill -9");
    }
    let stored: Vec<MemberId> =
        ashiato_store::footsteps::visitors(&mut conn, owner, ashiato_core::Timestamp(0), 1000, 0)
            .expect("visitors")
            .into_iter()
            .map(|v| v.member.id)
            .collect();
    // R-04 allows the last second; the release drills check that (ASHIATO_DRILL_FOOTSTEP_LOSS_MS
    // = 1000, a quiet machine). CI runs beside other tests on two busy cores, where one write
    // can take longer: three seconds there, to catch only a writer that lost far more.
    let allowed = Duration::from_millis(
        std::env::var("ASHIATO_DRILL_FOOTSTEP_LOSS_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3000),
    );
    let mut oldest_lost = Duration::ZERO;
    for (visitor, at) in &views {
        let before_kill = killed.duration_since(*at);
        if !stored.contains(visitor) {
            assert!(
                before_kill <= allowed,
                "a footstep acknowledged {before_kill:?} before the kill was lost"
            );
            oldest_lost = oldest_lost.max(before_kill);
        }
    }
    // The restarted server still serves the owner's page.
    let (cookie, _) = login(again.addr, "load0@example.jp");
    let page = Request::get("/footsteps").header("Cookie", &cookie).send(again.addr).expect("page");
    assert_eq!(page.status, 200);
    eprintln!(
        "R-04 {}: kill -9 right after the last of {VISITORS} acknowledged profile views, {} stored, {} \
         lost, the oldest lost one {} ms before the kill (the writer flushes within 500 ms)",
        t.backend().name(),
        stored.len(),
        VISITORS - stored.len(),
        oldest_lost.as_millis()
    );
}

fn kill_9_burst(t: &TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = t.url.to_string();
    let writer_count = writers();
    let ids = seed_members(t, dir.path(), writer_count);

    let mut server = start_with(dir.path(), &db, &[], &[]);
    let addr = server.addr;
    let sessions: Vec<(String, String)> =
        (0..writer_count).map(|w| login(addr, &format!("load{w}@example.jp"))).collect();
    let acked: Vec<Arc<Mutex<Acked>>> = (0..writer_count).map(|_| Arc::default()).collect();
    let total = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(w, session)| {
            let (acked, total, refused) =
                (Arc::clone(&acked[w]), Arc::clone(&total), Arc::clone(&refused));
            let to = ids[(w + 1) % writer_count];
            std::thread::spawn(move || {
                write_until_killed(addr, w, session, to, &acked, &total, &refused);
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while total.load(Ordering::Relaxed) < acks_before_kill(writer_count) {
        assert!(Instant::now() < deadline, "the burst stalled before the kill");
        assert!(!refused.load(Ordering::Relaxed), "a post was refused before the kill");
        std::thread::sleep(Duration::from_millis(5));
    }
    // R-02 in the release drills (deploy/drills/postmaster_kill): the PostgreSQL server goes
    // down first, `pg_ctl -m immediate` (no checkpoint: crash recovery at its next start).
    let pg_ctl = std::env::var("ASHIATO_DRILL_PG_CTL")
        .ok()
        .filter(|_| t.backend() == ashiato_store::Backend::Postgres);
    let pg_ctl_run = |args: &str| {
        let ctl = pg_ctl.as_deref().unwrap_or_default();
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{ctl} {args} >/dev/null"))
            .status()
            .expect("pg_ctl");
        assert!(status.success(), "{ctl} {args}: {status}");
    };
    if pg_ctl.is_some() {
        pg_ctl_run("-m immediate stop");
    }
    // SIGKILL: no shutdown hook, no flush, nothing the server can do about it.
    server.child.kill().expect("kill -9");
    server.child.wait().expect("reaped");
    let at_kill = total.load(Ordering::Relaxed);
    for w in writers {
        w.join().expect("writer thread");
    }
    if pg_ctl.is_some() {
        // With the database gone the server answers the busy page: refused, never acknowledged.
        pg_ctl_run("-w start");
    } else {
        assert!(
            !refused.load(Ordering::Relaxed),
            "a post was refused (not a crash) during the burst"
        );
    }
    drop(server);

    // Restart on the same files: recovery, migrations check, then serve. A fresh pool: the
    // test's own connections died with the database server in the R-02 drill.
    let again = start_with(dir.path(), &db, &[], &[]);
    let fresh =
        ashiato_store::Db::open(&t.url, &ashiato_store::DbOptions::default()).expect("reopen");
    let mut conn = fresh.conn().expect("connection");
    if let Some(report) = ashiato_store::db::integrity_check(&mut conn).expect("integrity check") {
        assert_eq!(report, "ok", "SQLite integrity check after kill -9");
    }
    let (mut diaries, mut comments, mut sent) = (0, 0, 0);
    let mut per_entry: BTreeMap<DiaryId, usize> = BTreeMap::new();
    for (w, acked) in acked.iter().enumerate() {
        let acked = acked.lock().expect("acks");
        for (id, title) in &acked.diaries {
            let entry = diary::find_entry(&mut conn, *id).expect("an acknowledged entry exists");
            assert_eq!((entry.title.as_str(), entry.body.as_str()), (title.as_str(), BODY));
            diaries += 1;
        }
        for (id, body) in &acked.comments {
            let stored = diary::comments(&mut conn, *id, 100, 0).expect("comments");
            assert!(stored.iter().any(|c| &c.body == body), "acknowledged {body} lost");
            *per_entry.entry(*id).or_insert(0) += 1;
            comments += 1;
        }
        let outbox = messages::sent(&mut conn, ids[w], 10_000, 0).expect("sent messages");
        for subject in &acked.messages {
            assert!(outbox.iter().any(|m| &m.subject == subject), "acknowledged {subject} lost");
            sent += 1;
        }
        // Everything this writer's entries hold, acknowledged or in flight, is whole: the
        // stored comment count matches the comment rows (one transaction writes both).
        for (id, _) in &acked.diaries {
            let entry = diary::find_entry(&mut conn, *id).expect("entry");
            let rows = diary::comments(&mut conn, *id, 100, 0).expect("comments").len();
            assert_eq!(usize::try_from(entry.comment_count).unwrap_or(0), rows, "entry {id:?}");
        }
    }
    assert_eq!(diaries + comments + sent, total.load(Ordering::Relaxed), "every ack checked");
    assert!(diaries > 0 && comments > 0 && sent > 0, "{diaries} {comments} {sent}");
    // The restarted server serves an acknowledged entry to its author.
    // (Any writer with an acknowledged entry: one may have had its first post in flight.)
    let (w, (first_id, first_title)) = acked
        .iter()
        .enumerate()
        .find_map(|(w, a)| a.lock().expect("acks").diaries.first().cloned().map(|d| (w, d)))
        .expect("an acknowledged entry");
    let (cookie, _) = login(again.addr, &format!("load{w}@example.jp"));
    let page = Request::get(&format!("/diary/{}", first_id.0))
        .header("Cookie", &cookie)
        .send(again.addr)
        .expect("diary page");
    assert_eq!(page.status, 200);
    assert!(page.text().contains(&first_title), "{}", page.text());
    eprintln!(
        "kill -9 after {at_kill} acknowledgements from {writer_count} writers ({}{}): {diaries} \
         entries, {comments} comments, {sent} messages acknowledged, all present after restart",
        t.backend().name(),
        if pg_ctl.is_some() {
            ", the database server stopped first with pg_ctl -m immediate"
        } else {
            ""
        }
    );
}

//! `ashiato serve --demo` as a newcomer runs it: the demo community appears, a browser logs in
//! and sees friends, the access log holds no query strings, and SIGTERM stops it cleanly.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ashiato_test_support::http::Request;
use ashiato_test_support::{Suite, TestDb};

use crate::ashiato;

pub fn register(suite: &mut Suite) {
    suite.on_both("serve_demo_lets_a_member_log_in_and_see_friends", serve_demo);
}

/// A running `ashiato serve`, killed when dropped.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) log: Arc<Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &std::path::Path, database: &str) -> Running {
    start_with(data_dir, database, &["--demo"], &[])
}

/// Starts `ashiato serve` on a free loopback port with extra arguments and settings.
pub(crate) fn start_with(
    data_dir: &std::path::Path,
    database: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Running {
    let mut child = ashiato()
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database", database, "serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .env("ASHIATO_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ashiato serve");
    let stderr = child.stderr.take().expect("stderr");
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("ashiato: serving http://") {
                let addr = rest.split_whitespace().next().unwrap_or_default().to_owned();
                let _ = tx.send(addr);
            }
            sink.lock().expect("log lock").push_str(&(line + "\n"));
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("server did not start:\n{}", log.lock().expect("log").as_str()));
    Running { child, addr: addr.parse().expect("address"), log }
}

fn serve_demo(t: &TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut running = start(dir.path(), &t.url.to_string());
    let addr = running.addr;
    {
        let log = running.log.lock().expect("log");
        assert!(log.contains("demo community created: 12 members"), "{log}");
        assert!(log.contains("with password ashiato-demo"), "{log}");
    }
    // Log in the way a browser does: form, cookie, CSRF token.
    let form = Request::get("/login").send(addr).expect("login page");
    let cookie = form
        .headers_named("set-cookie")
        .find_map(|c| c.split(';').next().map(str::to_owned))
        .expect("session cookie");
    let html = form.text();
    let csrf_at = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    let csrf = &html[csrf_at..csrf_at + html[csrf_at..].find('"').expect("end")];
    let body = format!("email=hanako%40demo.ashiato.jp&password=ashiato-demo&csrf={csrf}");
    let login =
        Request::post_form("/login", body).header("Cookie", &cookie).send(addr).expect("login");
    assert_eq!(login.status, 303, "{}", login.text());
    let cookie = login
        .headers_named("set-cookie")
        .find_map(|c| c.split(';').next().map(str::to_owned))
        .expect("new session cookie");
    let home = Request::get("/home").header("Cookie", &cookie).send(addr).expect("home").text();
    for name in ["はなこさんのホーム", "マイミク(5)", "たろう", "ゆき", "みさき", "そら", "えみ"]
    {
        assert!(home.contains(name), "{name} missing from {home}");
    }
    // Someone she does not know yet asked to be her friend.
    assert!(home.contains("マイミク申請1件"), "{home}");
    // Her profile shows her free fields and what her friends wrote about her.
    let hanako = {
        let mut conn = t.db.conn().expect("connection");
        let email = ashiato_core::account::Email::parse("hanako@demo.ashiato.jp").expect("email");
        ashiato_store::accounts::find_by_email(&mut conn, &email).expect("q").expect("hanako").id
    };
    let profile = Request::get(&format!("/m/{hanako}"))
        .header("Cookie", &cookie)
        .send(addr)
        .expect("profile")
        .text();
    for text in ["チーズケーキ🍰", "フィルムカメラ📷", "カフェにとても詳しい頼れる友達です"]
    {
        assert!(profile.contains(text), "{text} missing from {profile}");
    }
    // A session token in the query string must never reach the log.
    let secret = "QueryStringSecretQueryStringSecretQuerySt12";
    Request::get(&format!("/login?ksid={secret}&x=1")).send(addr).expect("request");
    // A subscriber ID from a non-carrier address is dropped and logged, never the ID itself.
    let forged = Request::get("/login")
        .header("User-Agent", "DoCoMo/2.0 N905i(c100;TB;W24H16)")
        .header("X-DCMGUID", "Zz9Yy8X")
        .send(addr)
        .expect("request");
    assert_eq!(forged.status, 200);
    // Graceful shutdown on SIGTERM, as systemd stops the service.
    let pid = running.child.id().to_string();
    assert!(
        std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = running.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    std::thread::sleep(Duration::from_millis(100));
    let log = running.log.lock().expect("log").clone();
    assert!(log.contains("http.route=/home"), "access log missing: {log}");
    assert!(!log.contains(secret) && !log.contains("ksid"), "query string logged: {log}");
    assert!(log.contains("untrusted_subscriber_id"), "no security event for a forged ID: {log}");
    assert!(!log.contains("Zz9Yy8X"), "a raw subscriber ID reached the log");
    assert_eq!(
        log.matches("ashiato-demo").count(),
        1,
        "the demo password appears beyond its banner line: {log}"
    );
}

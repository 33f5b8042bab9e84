//! Starts the real server for a test and talks to it over HTTP.

use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;

use actix_web::dev::ServerHandle;
use ashiato_core::MemberId;
use ashiato_test_support::TestDb;
use ashiato_test_support::http::{Request, Response};
use ashiato_web::config::Config;
use ashiato_web::secret::Secret;
use ashiato_web::{AppState, server};

/// A running server for one test.
pub struct TestApp {
    pub addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    pub fn start(t: &TestDb) -> TestApp {
        TestApp::start_with(t, |_| {})
    }

    pub fn start_with(t: &TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let mut config = Config { bind: addr.to_string(), workers: 1, ..Config::default() };
        adjust(&mut config);
        let state =
            AppState::new(t.db.clone(), config, Secret::from_bytes([42; 32])).expect("state");
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let srv = server::build(state, listener).expect("build server");
                tx.send(srv.handle()).expect("send handle");
                let _ = srv.await;
            });
        });
        let handle = rx.recv().expect("server started");
        TestApp { addr, handle, thread: Some(thread) }
    }

    pub fn send(&self, req: &Request) -> Response {
        req.send(self.addr).expect("HTTP exchange with the test server")
    }

    pub fn get(&self, target: &str) -> Response {
        self.send(&Request::get(target))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A browser that keeps its session cookie, like a smartphone or PC would.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser { app, cookie: None }
    }

    pub fn send(&mut self, mut req: Request) -> Response {
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", &format!("ashiato_session={c}"));
        }
        let res = self.app.send(&req);
        if let Some(set) =
            res.headers_named("set-cookie").find(|v| v.starts_with("ashiato_session="))
        {
            self.cookie =
                set.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v.to_owned());
        }
        res
    }

    pub fn get(&mut self, target: &str) -> Response {
        self.send(Request::get(target))
    }

    /// Loads a form page and submits it with `fields` plus the CSRF token found on the page.
    pub fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let html = self.get(page).text();
        let csrf = hidden_value(&html, "csrf")
            .unwrap_or_else(|| panic!("no CSRF field on {page}: {html}"));
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf", &csrf));
        self.send(Request::post_form(action, form_body(&body)))
    }

    /// Logs in with the login form.
    pub fn login(&mut self, email: &str, password: &str) -> Response {
        self.submit("/login", "/login", &[("email", email), ("password", password)])
    }
}

/// URL-encodes form fields as UTF-8.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).expect("encode form")
}

/// The value of a hidden input on a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// Creates a member directly in the database (password `kaminari-9-sora`).
pub fn member(t: &TestDb, email: &str, nickname: &str) -> MemberId {
    use ashiato_core::account::NewMember;
    let new = NewMember::validate(email, nickname, PASSWORD).expect("valid member");
    let hash = ashiato_core::password::hash(PASSWORD, &[9; 16]).expect("hash");
    let mut conn = t.db.conn().expect("connection");
    ashiato_store::write(&mut conn, |c| {
        ashiato_store::accounts::create_member(c, &new, &hash, ashiato_web::state::now())
    })
    .expect("member")
}

pub const PASSWORD: &str = "kaminari-9-sora";

//! Starts the real server for a test and talks to it over HTTP.

use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;

use actix_web::dev::ServerHandle;
use ashiato_app::config::Config;
use ashiato_app::secret::Secret;
use ashiato_core::MemberId;
use ashiato_test_support::TestDb;
use ashiato_test_support::http::{Request, Response};
use ashiato_web::{App, server};

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
        let state = App::new(t.db.clone(), config, Secret::from_bytes([42; 32])).expect("state");
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
    /// Sent with every request (a proxy's `X-Forwarded-For`, say).
    pub headers: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser { app, cookie: None, headers: Vec::new() }
    }

    pub fn send(&mut self, mut req: Request) -> Response {
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
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

/// Creates a member directly in the database (password `kaminari-9-sora`), address confirmed.
pub fn member(t: &TestDb, email: &str, nickname: &str) -> MemberId {
    use ashiato_core::account::NewMember;
    let new = NewMember::validate(email, nickname, PASSWORD).expect("valid member");
    let hash = ashiato_core::password::hash(PASSWORD, &[9; 16]).expect("hash");
    let mut conn = t.db.conn().expect("connection");
    let id = ashiato_store::write(&mut conn, |c| {
        ashiato_store::accounts::create_member(c, &new, &hash, ashiato_app::now())
    })
    .expect("member");
    let stored = ashiato_core::account::Email::parse(email).expect("valid address");
    let confirmed = ashiato_store::write(&mut conn, |c| {
        ashiato_store::accounts::confirm_email(c, id, stored.as_str(), ashiato_app::now())
    })
    .expect("confirm");
    assert!(confirmed, "the address as stored");
    id
}

pub const PASSWORD: &str = "kaminari-9-sora";

/// A handset as the site meets it: its own headers, its cookie or its URL session, forms
/// encoded in the charset of the page they came from, pages decoded the way the phone would.
pub struct Phone<'a> {
    pub app: &'a TestApp,
    pub headers: Vec<(String, String)>,
    pub cookie: Option<String>,
    pub ksid: Option<String>,
    /// The last page, decoded.
    pub last: String,
    /// The last response as received.
    pub last_response: Option<Response>,
}

/// docomo FOMA, i-mode browser 1.0: no cookies, Shift_JIS.
pub const DOCOMO_FOMA: &str = "DoCoMo/2.0 N905i(c100;TB;W24H16)";
/// au WAP 2.0: cookies, Shift_JIS.
pub const AU_WAP2: &str = "KDDI-CA39 UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0";
/// A PC browser.
pub const PC: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

impl<'a> Phone<'a> {
    pub fn new(app: &'a TestApp, ua: &str) -> Phone<'a> {
        Phone {
            app,
            headers: vec![("User-Agent".into(), ua.into())],
            cookie: None,
            ksid: None,
            last: String::new(),
            last_response: None,
        }
    }

    /// Adds the session to a path the way the page's links would (cookie-less phones).
    pub fn url(&self, path: &str) -> String {
        match &self.ksid {
            Some(k) => format!("{path}{}ksid={k}", if path.contains('?') { '&' } else { '?' }),
            None => path.to_owned(),
        }
    }

    fn charset_of(res: &Response) -> &'static str {
        let ct = res.header("content-type").unwrap_or("").to_ascii_lowercase();
        if ct.contains("shift_jis") { "sjis" } else { "utf8" }
    }

    /// Decodes a page the way a handset of `ua` reads it (its own emoji codes included).
    pub fn decode_for(ua: &str, res: &Response) -> String {
        let carrier = if ua.starts_with("DoCoMo") {
            ashiato_charset::Carrier::Docomo
        } else if ua.starts_with("KDDI") || ua.starts_with("UP.Browser") {
            ashiato_charset::Carrier::Au
        } else if ua.starts_with("SoftBank")
            || ua.starts_with("Vodafone")
            || ua.starts_with("J-PHONE")
        {
            ashiato_charset::Carrier::Softbank
        } else {
            ashiato_charset::Carrier::Other
        };
        let charset = match Phone::charset_of(res) {
            "sjis" => ashiato_charset::InputCharset::ShiftJis,
            _ => ashiato_charset::InputCharset::Utf8,
        };
        ashiato_charset::decode_form_bytes(&res.body, charset, carrier)
    }

    /// Decodes a page a docomo handset received (tests that send raw requests).
    pub fn decode(res: &Response) -> String {
        Phone::decode_for(DOCOMO_FOMA, res)
    }

    pub fn send(&mut self, req: Request) -> Response {
        let mut req = req;
        for (n, v) in &self.headers {
            req = req.header(n, v);
        }
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", &format!("ashiato_session={c}"));
        }
        let res = self.app.send(&req);
        self.check_page(&res);
        if let Some(set) =
            res.headers_named("set-cookie").find(|v| v.starts_with("ashiato_session="))
        {
            self.cookie =
                set.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v.to_owned());
        }
        if let Some(loc) = res.header("location")
            && let Some(k) = loc.split("ksid=").nth(1)
        {
            self.ksid = Some(k.split(['&', '#']).next().unwrap_or(k).to_owned());
        }
        self.last = Phone::decode_for(&self.headers[0].1, &res);
        let markup = res.header("content-type").is_some_and(|ct| {
            ct.starts_with("application/xhtml+xml") || ct.starts_with("text/html")
        });
        if markup && self.target().dialect.is_xhtml() && !res.body.is_empty() {
            assert_valid_xhtml(&self.last, &req_path(&res, &self.last));
        }
        if let Some(k) = hidden_value(&self.last, "ksid") {
            self.ksid = Some(k);
        }
        self.last_response = Some(res.clone());
        res
    }

    /// How the server must write pages for this phone.
    pub fn target(&self) -> ashiato_render::Target {
        let mut headers = ashiato_handset::HeaderList::new();
        for (n, v) in &self.headers {
            headers.push(&n.to_ascii_lowercase(), v.as_str());
        }
        ashiato_render::Target::for_handset(&ashiato_handset::detect(
            &headers,
            None,
            &ashiato_handset::Trust::nothing(),
        ))
    }

    /// Checks every page this phone receives the way the phone meets it: the charset label
    /// the renderer promised, in the header and the page alike, and the byte budget.
    fn check_page(&self, res: &Response) {
        let ct = res.header("content-type").unwrap_or_default();
        if !(ct.starts_with("text/html") || ct.starts_with("application/xhtml+xml")) {
            return;
        }
        let target = self.target();
        assert_eq!(ct, target.content_type(), "content type for {}", self.headers[0].1);
        assert!(
            res.body.len() <= target.budget,
            "{} bytes over the {}-byte budget",
            res.body.len(),
            target.budget
        );
        let head = String::from_utf8_lossy(&res.body[..res.body.len().min(400)]).into_owned();
        if target.dialect != ashiato_render::Dialect::Html5 {
            assert!(
                head.contains(target.charset_label()),
                "page does not name its charset: {head}"
            );
        }
        // Each carrier's own DOCTYPE (keitai.md §6), written out here rather than taken from
        // the renderer, so a page in another carrier's dialect fails even where one DTD
        // catalog would validate it.
        let doctype = match target.dialect {
            ashiato_render::Dialect::IXhtml => Some(format!(
                "<!DOCTYPE html PUBLIC \"-//i-mode group (ja)//DTD XHTML i-XHTML(Locale/Ver.=ja/{}) 1.0//EN\" \"i-xhtml_4ja_10.dtd\">",
                target.ixhtml_level
            )),
            ashiato_render::Dialect::XhtmlMp => Some(
                "<!DOCTYPE html PUBLIC \"-//OPENWAVE//DTD XHTML 1.0//EN\" \"http://www.openwave.com/DTD/xhtml-basic.dtd\">".to_owned(),
            ),
            ashiato_render::Dialect::SoftbankXhtml => Some(
                "<!DOCTYPE html PUBLIC \"-//J-PHONE//DTD XHTML Basic 1.0 Plus//EN\" \"xhtml-basic10-plus.dtd\">".to_owned(),
            ),
            ashiato_render::Dialect::Html5 => Some("<!DOCTYPE html>".to_owned()),
            _ => None,
        };
        match doctype {
            Some(d) => assert!(head.contains(&d), "expected {d} for {}: {head}", self.headers[0].1),
            None => assert!(!head.contains("<!DOCTYPE"), "cHTML carries no DOCTYPE: {head}"),
        }
    }

    pub fn get(&mut self, path: &str) -> Response {
        let url = self.url(path);
        self.send(Request::get(&url))
    }

    /// Follows a 303 to its target, as a browser would.
    pub fn follow(&mut self, res: &Response) -> Response {
        let loc = res.header("location").expect("redirect").to_owned();
        let path = loc
            .split_once("://")
            .map_or(loc.as_str(), |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]))
            .to_owned();
        self.send(Request::get(&path))
    }

    /// Submits the form on `page` whose action is `action`, with `fields`, encoded in the page's
    /// charset (Shift_JIS bytes for Shift_JIS pages: emoji as the carrier's codes).
    pub fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        self.get(page);
        self.post_loaded(action, fields)
    }

    /// The action of the form on the last page whose action starts with `prefix`, as the
    /// handset would send it (entities decoded).
    pub fn form_action(&self, prefix: &str) -> String {
        let marker = format!("action=\"{prefix}");
        let at =
            self.last.find(&marker).unwrap_or_else(|| panic!("no form {prefix}: {}", self.last))
                + "action=\"".len();
        self.last[at..at + self.last[at..].find('"').expect("end")].replace("&amp;", "&")
    }

    /// Sends the form of the page already loaded (its CSRF token) to `action` with `fields`,
    /// as the handset does when the member finally presses the button, however long after.
    pub fn post_loaded(&mut self, action: &str, fields: &[(&str, &str)]) -> Response {
        let sjis = self.last_response.as_ref().is_some_and(|r| Phone::charset_of(r) == "sjis");
        let csrf = hidden_value(&self.last, "csrf")
            .unwrap_or_else(|| panic!("no CSRF field on {action}: {}", self.last));
        let mut all: Vec<(String, String)> =
            fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        all.push(("csrf".into(), csrf));
        let ua = self.headers[0].1.clone();
        let emoji = if ua.starts_with("DoCoMo") {
            ashiato_charset::EmojiOut::Docomo { extended: true }
        } else if ua.starts_with("KDDI") {
            ashiato_charset::EmojiOut::AuSjis
        } else {
            ashiato_charset::EmojiOut::Unicode
        };
        let body: String = all
            .iter()
            .map(|(k, v)| {
                let bytes = if sjis {
                    let target = ashiato_charset::OutputTarget::new(
                        ashiato_charset::Charset::ShiftJis,
                        emoji,
                    );
                    ashiato_charset::encode_plain(v, &target, ashiato_charset::Unmappable::Geta)
                } else {
                    v.as_bytes().to_vec()
                };
                format!("{k}={}", percent(&bytes))
            })
            .collect::<Vec<_>>()
            .join("&");
        let url = self.url(action);
        self.send(Request::post_form(&url, body))
    }

    pub fn login(&mut self, email: &str) {
        let res = self.submit("/login", "/login", &[("email", email), ("password", PASSWORD)]);
        assert_eq!(res.status, 303, "login failed: {}", self.last);
    }
}

/// Percent-encodes raw bytes as a handset does in a form body.
pub fn percent(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| {
            if b.is_ascii_alphanumeric() { char::from(*b).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

/// What to call a page in a validity failure: its title.
fn req_path(_res: &Response, page: &str) -> String {
    page.split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or("page")
        .to_owned()
}

/// Validates a decoded XHTML page with xmllint against its own DOCTYPE (the render crate's
/// catalog maps the carriers' public identifiers to their DTDs). Every XHTML page a test phone
/// receives goes through here, so every SNS page is checked on every handset the tests use.
/// libxml2 refuses the carriers' emoji area of Shift_JIS; the text was decoded already, so it
/// is written back as UTF-8 with a declaration to match.
pub fn assert_valid_xhtml(text: &str, what: &str) {
    use std::sync::OnceLock;
    static XMLLINT: OnceLock<bool> = OnceLock::new();
    if !*XMLLINT.get_or_init(|| ashiato_test_support::example_app::tool("xmllint")) {
        ashiato_test_support::example_app::skipped(
            "xmllint not found (apt-get install -y libxml2-utils w3c-sgml-lib): pages not validated",
        );
        return;
    }
    let body = match text.split_once("?>") {
        Some((decl, rest)) if decl.starts_with("<?xml") => {
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{rest}")
        }
        _ => text.to_owned(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("page.xhtml");
    std::fs::write(&file, body).expect("write page");
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ashiato_render/tests/dtd/catalog.xml");
    let out = std::process::Command::new("xmllint")
        .env("XML_CATALOG_FILES", format!("{} /etc/xml/catalog", catalog.display()))
        .args(["--noout", "--nonet", "--valid"])
        .arg(&file)
        .output()
        .expect("run xmllint");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "{what} is not valid XHTML:\n{err}\n{text}"
    );
}

//! Integration tests for `ashiato_opensocial` against independent implementations:
//!
//! - the example app (`fixtures/opensocial/example_app/app.py`, Python standard library, its
//!   own RFC 5849 code) over loopback: it serves a gadget our parser reads, verifies our
//!   signed forwards and lifecycle events, returns a Shift_JIS page our rewriter handles, and
//!   signs requests our verifier checks;
//! - Python's `oauthlib` for base strings and HMAC-SHA1 signatures;
//! - Shindig's `canonicaldb.json` sample data (shared reference) for the model and the
//!   people helpers.
//!
//! A check whose tool is missing prints a visible skip; with `ASHIATO_TEST_STRICT` set it
//! fails instead.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ashiato_charset::Carrier;
use ashiato_opensocial::gadget;
use ashiato_opensocial::model::{FilterContext, Person, apply_people_options};
use ashiato_opensocial::oauth::{
    self, Consumer, Credentials, IncomingRequest, MemoryNonceStore, SignRequest, VerifyPolicy,
};
use ashiato_opensocial::proxy::{self, ForwardIdentity, LifecycleEvent, ProxyLink, RewriteOptions};
use ashiato_opensocial::request::{CollectionOptions, Fields, Sort, SortOrder};
use ashiato_opensocial::rest::{self, RenderOptions};
use serde_json::Value;
use url::Url;

const KEY: &str = "app-key";
const SECRET: &str = "app-secret";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Reports a check that could not run, straight to the terminal (not through the harness's
/// capture); a failure under `ASHIATO_TEST_STRICT`.
fn skipped(reason: &str) {
    assert!(
        std::env::var_os("ASHIATO_TEST_STRICT").is_none(),
        "required check could not run: {reason}"
    );
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {reason} ***");
}

fn python3() -> Option<&'static str> {
    let ok = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some("python3")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// The example app, killed (by its own process id) when dropped.
struct ExampleApp {
    child: Child,
    port: u16,
}

impl ExampleApp {
    fn start() -> Option<ExampleApp> {
        let Some(py) = python3() else {
            skipped("python3 not found: example-app checks not run");
            return None;
        };
        let script = manifest_dir().join("../../fixtures/opensocial/example_app/app.py");
        let mut child = Command::new(py)
            .arg(script)
            .args([
                "--port",
                "0",
                "--consumer-key",
                KEY,
                "--consumer-secret",
                SECRET,
                "--app-id",
                "7",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start example app");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read ready line");
        let port = line
            .strip_prefix("ready ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("app did not say ready: {line:?}"));
        Some(ExampleApp { child, port })
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ExampleApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw HTTP/1.0 exchange over loopback.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn http(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(String, Vec<u8>)],
    body: &[u8],
) -> Response {
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut req = format!("{method} {target} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n").into_bytes();
    for (k, v) in headers {
        req.extend_from_slice(k.as_bytes());
        req.extend_from_slice(b": ");
        req.extend_from_slice(v);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    req.extend_from_slice(body);
    s.write_all(&req).expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Response { status, headers, body: raw[split + 4..].to_vec() }
}

fn target_of(url: &str) -> String {
    let u = Url::parse(url).expect("url");
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    }
}

#[test]
fn example_app_gadget_parses() {
    let Some(app) = ExampleApp::start() else { return };
    let r = http(app.port, "GET", "/gadget.xml", &[], b"");
    assert_eq!(r.status, 200);
    let g = gadget::parse(&r.body).expect("our parser reads the app's gadget");
    assert_eq!(g.prefs.title.as_deref(), Some("ashiato example app"));
    let start = g.mobile_start_url(None).expect("mobile view");
    assert_eq!(start, format!("{}/mobile", app.base()));
    let links = g.lifecycle_links();
    assert_eq!(links.len(), 2);
    assert!(links[0].receives("addapp") && links[1].receives("removeapp"));
    // The registry's checks on the start URL: loopback is refused unless allowed.
    let hosts = vec!["127.0.0.1".to_owned()];
    assert!(matches!(
        proxy::check_target(&start, &hosts, &[]),
        Err(proxy::ProxyError::PortNotAllowed(_))
    ));
    let url = proxy::check_target(&start, &hosts, &hosts).expect("allowed private host");
    proxy::check_resolved(&url, &[IpAddr::V4(Ipv4Addr::LOCALHOST)], &hosts).expect("allowed");
    assert!(proxy::check_resolved(&url, &[IpAddr::V4(Ipv4Addr::LOCALHOST)], &[]).is_err());
}

#[test]
fn signed_forward_is_verified_by_the_app_and_its_page_rewritten() {
    let Some(app) = ExampleApp::start() else { return };
    let hosts = vec!["127.0.0.1".to_owned()];
    let target = proxy::check_target(
        &format!("{}/mobile?page=1&opensocial_owner_id=forged", app.base()),
        &hosts,
        &hosts,
    )
    .expect("target");
    // A docomo handset posting a Shift_JIS form, with its ID headers and a serial in the UA.
    let comment = encoding_rs::SHIFT_JIS.encode("ソ表 能+あ").0.into_owned();
    let mut form = b"comment=".to_vec();
    form.extend_from_slice(oauth::percent_encode(&comment).as_bytes());
    form.extend_from_slice(b"&oauth_token=evil");
    let incoming: Vec<(String, Vec<u8>)> = [
        (
            "User-Agent",
            "DoCoMo/2.0 P07A3(c500;TB;W24H15;ser123456789012345;icc8981100000000000000F)",
        ),
        ("X-DCMGUID", "abcdefg"),
        ("Cookie", "ksid=secret"),
        ("Accept-Language", "ja"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
    .collect();
    let who = ForwardIdentity {
        app_id: "7",
        owner_id: "john.doe",
        viewer_id: Some("john.doe"),
        app_url: None,
    };
    let nonce = oauth::random_nonce().expect("nonce");
    let f = proxy::prepare_forward(
        "POST",
        &target,
        Some((&form, Some("application/x-www-form-urlencoded"))),
        &who,
        &Consumer { key: KEY, secret: SECRET, rsa: None },
        &nonce,
        now(),
    )
    .expect("forward");
    let mut headers = proxy::forward_headers(&incoming, "210.153.84.1".parse().expect("ip"));
    headers.push(("Authorization".into(), f.authorization.clone().into_bytes()));
    headers.push(("Content-Type".into(), f.content_type.clone().unwrap_or_default().into_bytes()));
    let r = http(
        app.port,
        &f.method,
        &target_of(&f.url),
        &headers,
        f.body.as_deref().unwrap_or_default(),
    );
    assert_eq!(r.status, 200, "app refused our forward: {}", r.text());
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=Shift_JIS"));

    // Replaying the same forward is refused by the app's nonce cache.
    let again = http(
        app.port,
        &f.method,
        &target_of(&f.url),
        &headers,
        f.body.as_deref().unwrap_or_default(),
    );
    assert_eq!(again.status, 401, "{}", again.text());

    let proxy_link = |u: &Url| ProxyLink {
        path: "/apps/7/".into(),
        params: vec![("guid".into(), "ON".into()), ("url".into(), u.to_string())],
    };
    let image_link =
        |u: &Url| Some(format!("/apps/7/img?url={}", oauth::percent_encode(u.as_str().as_bytes())));
    let pseudo = |p: &proxy::PseudoLink| proxy::container_pseudo_link("/apps/7", p);
    let opts = RewriteOptions {
        app_hosts: &hosts,
        proxy_link: &proxy_link,
        image_link: &image_link,
        pseudo_link: &pseudo,
        emoji_carrier: Carrier::Docomo,
        max_input_bytes: proxy::DEFAULT_MAX_INPUT_BYTES,
        max_output_bytes: proxy::DEFAULT_MAX_OUTPUT_BYTES,
    };
    let page = proxy::rewrite(&r.body, r.header("Content-Type"), &target, &opts).expect("rewrite");
    let b = &page.body;
    assert_eq!(page.title.as_deref(), Some("テストアプリ"));
    assert_eq!(page.charset, "Shift_JIS");
    assert!(b.starts_with("こんにちは john.doe さん☀"), "{b}");
    assert!(b.contains("受信: ソ表 能+あ"), "the Shift_JIS form arrived byte for byte: {b}");
    let esc = |s: &str| oauth::percent_encode(s.as_bytes());
    assert!(
        b.contains(&format!(
            "<a href=\"/apps/7/?guid=ON&amp;url={}\">次へ</a>",
            esc(&format!("{}/next?p=2", app.base()))
        )),
        "{b}"
    );
    assert!(
        b.contains(&format!(
            "<a href=\"/apps/7/?guid=ON&amp;url={}\">絶対リンク</a>",
            esc(&format!("{}/mobile?p=3", app.base()))
        )),
        "{b}"
    );
    assert!(
        b.contains(&format!(
            "<a href=\"/apps/7/invite?callback={}\">友達を招待</a>",
            esc(&format!("{}/mobile/invited", app.base()))
        )),
        "{b}"
    );
    assert!(b.contains("外部") && !b.contains("example.com"), "{b}");
    assert!(b.contains("メール") && !b.contains("mailto"), "{b}");
    assert!(
        !b.contains("script") && !b.contains("onclick") && !b.contains("document.write"),
        "{b}"
    );
    assert!(
        b.contains(&format!(
            "<img src=\"/apps/7/img?url={}\" alt=\"ロゴ\" />",
            esc(&format!("{}/img/logo.png", app.base()))
        )),
        "{b}"
    );
    assert!(
        b.contains(&format!(
            "<form action=\"/apps/7/?guid=ON&amp;url={}\" method=\"post\">",
            esc(&format!("{}/mobile", app.base()))
        )),
        "{b}"
    );

    // The app refuses a forward that carries subscriber headers (what we never send).
    let f = proxy::prepare_forward(
        "GET",
        &target,
        None,
        &who,
        &Consumer { key: KEY, secret: SECRET, rsa: None },
        "n-ids",
        now(),
    )
    .expect("forward");
    let mut bad = incoming.clone();
    bad.push(("Authorization".into(), f.authorization.into_bytes()));
    let r = http(app.port, "GET", &target_of(&f.url), &bad, b"");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("x-dcmguid") && r.text().contains("serial"), "{}", r.text());
}

#[test]
fn lifecycle_events_reach_the_app_signed() {
    let Some(app) = ExampleApp::start() else { return };
    let hosts = vec!["127.0.0.1".to_owned()];
    let href =
        proxy::check_target(&format!("{}/lifecycle", app.base()), &hosts, &hosts).expect("href");
    let ids = vec!["john.doe".to_owned(), "jane.doe".to_owned()];
    let extra = vec![
        ("from".to_owned(), "invite".to_owned()),
        ("mixi_invite_from".to_owned(), "george.doe".to_owned()),
    ];
    for (method, event) in [(Some("POST"), "event.addapp"), (None, "event.removeapp")] {
        let ev = LifecycleEvent { event_type: event, ids: &ids, extra: &extra };
        let nonce = oauth::random_nonce().expect("nonce");
        let f = proxy::lifecycle_request(
            &href,
            method,
            "7",
            &ev,
            &Consumer { key: KEY, secret: SECRET, rsa: None },
            &nonce,
            now(),
        )
        .expect("request");
        let mut headers = vec![("Authorization".to_owned(), f.authorization.clone().into_bytes())];
        if let Some(ct) = &f.content_type {
            headers.push(("Content-Type".into(), ct.clone().into_bytes()));
        }
        let r = http(
            app.port,
            &f.method,
            &target_of(&f.url),
            &headers,
            f.body.as_deref().unwrap_or_default(),
        );
        assert_eq!(r.status, 200, "{event}: {}", r.text());
    }
    let log: Value =
        serde_json::from_slice(&http(app.port, "GET", "/lifecycle/log", &[], b"").body)
            .expect("json");
    assert_eq!(log[0]["eventtype"], "event.addapp");
    assert_eq!(log[0]["ids"], serde_json::json!(["john.doe", "jane.doe"]));
    assert_eq!(log[0]["params"]["mixi_invite_from"], "george.doe");
    assert_eq!(log[0]["params"]["opensocial_app_id"], "7");
    assert_eq!(log[1]["eventtype"], "event.removeapp");
}

/// Method, URL, optional (body, content type).
type EchoCase<'a> = (&'a str, String, Option<(&'a [u8], &'a str)>);

#[test]
fn app_verifies_rust_signatures() {
    let Some(app) = ExampleApp::start() else { return };
    let base = app.base();
    let cases: Vec<EchoCase> = vec![
        ("GET", format!("{base}/verify-echo"), None),
        ("GET", format!("{base}/verify-echo?a=1&a=0&b=x%20y&c=%7E%2A&empty="), None),
        ("GET", format!("{base}/verify-echo?sjis=%83%5C%95%5C&plus=a+b"), None),
        (
            "POST",
            format!("{base}/verify-echo?q=1"),
            Some((b"k=%82%A0&k=1&z=", "application/x-www-form-urlencoded")),
        ),
        (
            "POST",
            format!("{base}/verify-echo"),
            Some((br#"{"method":"people.get","id":"x"}"#, "application/json")),
        ),
        ("DELETE", format!("{base}/verify-echo?fields=count"), None),
    ];
    for (i, (method, url, body)) in cases.iter().enumerate() {
        let (form, other) = match body {
            Some((b, ct)) if ct.starts_with("application/x-www-form-urlencoded") => {
                (Some(*b), None)
            }
            Some((b, _)) => (None, Some(*b)),
            None => (None, None),
        };
        let signed = oauth::sign(
            &SignRequest { method, url, form_body: form, other_body: other },
            &Consumer { key: KEY, secret: SECRET, rsa: None },
            None,
            &format!("echo{i}"),
            now(),
        )
        .expect("sign");
        let mut headers = vec![("Authorization".to_owned(), signed.authorization().into_bytes())];
        if let Some((_, ct)) = body {
            headers.push(("Content-Type".into(), ct.as_bytes().to_vec()));
        }
        let payload = body.map_or(&b""[..], |(b, _)| b);
        let r = http(app.port, method, &target_of(url), &headers, payload);
        let v: Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(v["ok"], true, "case {i} {method} {url}: {v}");
        assert_eq!(
            v["base_string"], signed.base_string,
            "case {i}: both sides built the same base string"
        );

        // One byte changed in the body or the URL: refused.
        if let Some((b, ct)) = body {
            let mut tampered = b.to_vec();
            if let Some(last) = tampered.last_mut() {
                *last ^= 1;
            }
            let headers = vec![
                ("Authorization".to_owned(), signed.authorization().into_bytes()),
                ("Content-Type".into(), ct.as_bytes().to_vec()),
            ];
            let r = http(app.port, method, &target_of(url), &headers, &tampered);
            assert_eq!(r.status, 401, "case {i} tampered body accepted");
        }
    }
}

/// One request captured by a listener standing in for the container.
fn capture_one(listener: &TcpListener) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    let (mut s, _) = listener.accept().expect("accept");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut chunk).expect("read");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        assert!(n > 0, "connection closed early");
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).expect("read body");
        assert!(n > 0, "body cut short");
        body.extend_from_slice(&chunk[..n]);
    }
    let reply = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"entry\":{}}";
    s.write_all(reply).expect("reply");
    (method, target, headers, body)
}

#[test]
fn rust_verifies_the_apps_signatures() {
    let Some(py) = python3() else {
        skipped("python3 not found: app-to-container signing check not run");
        return;
    };
    let script = manifest_dir().join("../../fixtures/opensocial/example_app/app.py");
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let cases: [(&str, &str, Option<&str>, &str); 3] = [
        ("GET", "/social/rest/people/@me/@friends?count=2&opensocial_method=GET", None, "header"),
        ("GET", "/social/rest/appdata/@me/@self/@app?fields=count&note=a%20b+c", None, "query"),
        (
            "POST",
            "/social/rpc",
            Some(r#"[{"method":"people.get","id":"self","params":{"userId":"@me"}}]"#),
            "header",
        ),
    ];
    let nonces = MemoryNonceStore::new(300);
    for (method, path, body, placement) in cases {
        let url = format!("http://127.0.0.1:{port}{path}");
        let mut cmd = Command::new(py);
        cmd.arg(&script)
            .args([
                "call",
                "--consumer-key",
                KEY,
                "--consumer-secret",
                SECRET,
                "--url",
                &url,
                "--method",
                method,
            ])
            .args(["--requestor", "john.doe", "--placement", placement])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(b) = body {
            cmd.args(["--body", b]);
        }
        let child = cmd.spawn().expect("run app call");
        let (m, target, headers, got_body) = capture_one(&listener);
        let out = child.wait_with_output().expect("call finished");
        assert!(out.status.success(), "call failed: {}", String::from_utf8_lossy(&out.stdout));
        let full = format!("http://127.0.0.1:{port}{target}");
        let h = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let req = IncomingRequest {
            method: &m,
            url: &full,
            authorization: h("authorization").map(str::as_bytes),
            content_type: h("content-type"),
            body: &got_body,
        };
        let lookup = |k: &str| {
            (k == KEY).then(|| Credentials {
                consumer_secret: Some(SECRET.into()),
                ..Credentials::default()
            })
        };
        let strict = VerifyPolicy { require_body_hash: true, ..VerifyPolicy::default() };
        let v = oauth::verify(&req, &strict, now(), lookup, &nonces)
            .unwrap_or_else(|e| panic!("{method} {path} ({placement}): {e}"));
        assert_eq!(v.requestor_id.as_deref(), Some("john.doe"));
        assert_eq!(v.consumer_key, KEY);
        assert!(v.body_signed);
        assert_eq!(v.source == oauth::ParamSource::Query, placement == "query");
        // And the REST/RPC parsers accept what the app sent.
        if method == "POST" {
            let batch = ashiato_opensocial::rpc::parse_body(&got_body).expect("rpc body");
            assert!(batch.calls()[0].request.is_ok());
        } else {
            let (p, q) = target.split_once('?').unwrap_or((&target, ""));
            let p = p.strip_prefix("/social/rest").unwrap_or(p);
            rest::parse_rest(&m, None, p, q, None, b"").expect("rest request");
        }
    }
}

const ORACLE: &str = r#"
import json, sys
from oauthlib.oauth1.rfc5849 import signature as s
out = []
for c in json.load(sys.stdin):
    params = s.collect_parameters(uri_query=c["query"])
    params += [tuple(p) for p in c["params"]]
    base = s.signature_base_string(c["method"], s.base_string_uri(c["url"]), s.normalize_parameters(params))
    out.append({"base": base, "sig": s.sign_hmac_sha1(base, c["secret"], c["token_secret"])})
json.dump(out, sys.stdout)
"#;

/// Method, URL, extra parameters, consumer secret, token secret.
type OracleCase<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);

#[test]
fn oauthlib_agrees_on_base_strings_and_signatures() {
    let Some(py) = python3() else {
        skipped("python3 not found: oauthlib cross-check not run");
        return;
    };
    let has = Command::new(py)
        .args(["-c", "import oauthlib"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        skipped("python3 module oauthlib missing (pip install oauthlib): cross-check not run");
        return;
    }
    let cases: Vec<OracleCase> = vec![
        (
            "GET",
            "http://photos.example.net/photos?file=vacation.jpg&size=original",
            vec![
                ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
                ("oauth_token", "nnch734d00sl2jdk"),
                ("oauth_signature_method", "HMAC-SHA1"),
                ("oauth_timestamp", "137131202"),
                ("oauth_nonce", "chapoH"),
            ],
            "kd94hf93k423kf44",
            "pfkkdhi9sl3r4s00",
        ),
        (
            "POST",
            "HTTPS://Sns.Example:443/social/rpc?xoauth_requestor_id=john.doe",
            vec![
                ("oauth_consumer_key", "k"),
                ("oauth_body_hash", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
                ("oauth_nonce", "n"),
            ],
            "s&e!c r%t",
            "",
        ),
        (
            "GET",
            "http://sns.example:8080/people/@me/@friends?count=1&startIndex=1&fields=id%2CdisplayName&a=b%20c&a=a",
            vec![("oauth_consumer_key", "キー"), ("oauth_nonce", "日本語")],
            "秘密",
            "tok",
        ),
        (
            "put",
            "http://sns.example/appdata/@me/@self/@app?x=%7E~*'()!",
            vec![("z", ""), ("z", "a"), ("oauth_consumer_key", "k")],
            "",
            "",
        ),
        (
            "GET",
            "http://sns.example/p?emoji=%F0%9F%98%80&plus=1+2",
            vec![("oauth_consumer_key", "k")],
            "x",
            "y",
        ),
    ];
    let input: Vec<Value> = cases
        .iter()
        .map(|(method, url, params, secret, token)| {
            let split = oauth::split_url(url).expect("url");
            serde_json::json!({"method": method.to_ascii_uppercase(), "url": url, "query": split.query, "params": params, "secret": secret, "token_secret": token})
        })
        .collect();
    let mut child = Command::new(py)
        .args(["-c", ORACLE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(Value::Array(input).to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("oracle");
    assert!(out.status.success(), "oauthlib oracle failed");
    let expected: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    for ((method, url, params, secret, token), want) in cases.iter().zip(&expected) {
        let split = oauth::split_url(url).expect("url");
        let mut all = oauth::parse_form(split.query.as_bytes());
        all.extend(params.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())));
        let base = oauth::signature_base_string(method, &split.base_uri, &all);
        assert_eq!(base, want["base"].as_str().unwrap_or_default(), "{url}");
        assert_eq!(
            oauth::hmac_sha1_sign(&base, secret, token),
            want["sig"].as_str().unwrap_or_default(),
            "{url}"
        );
    }
}

/// Shindig's sample data, `//` comment lines stripped.
fn canonical_db() -> Option<Value> {
    let path = manifest_dir().join("../../../shared/data/opensocial/canonicaldb.json");
    let path = std::env::var_os("ASHIATO_CANONICALDB").map_or(path, PathBuf::from);
    let Ok(text) = std::fs::read_to_string(&path) else {
        // The team's reference data lives beside the repository, not in it (and is not ours to
        // copy in): a clone elsewhere skips, visibly, even under ASHIATO_TEST_STRICT. The
        // equivalent people are seeded by the black-box suite in ashiato_server's tests.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: {} not found (set ASHIATO_CANONICALDB): canonicaldb checks not run ***",
            path.display()
        );
        return None;
    };
    let json: String =
        text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    Some(serde_json::from_str(&json).expect("canonicaldb.json parses once comments are gone"))
}

#[test]
fn canonicaldb_people_round_trip_and_shindig_assertions() {
    let Some(db) = canonical_db() else { return };
    let raw = db["people"].as_array().expect("people");
    let people: Vec<Person> =
        raw.iter().map(|p| serde_json::from_value(p.clone()).expect("person")).collect();
    assert_eq!(people.len(), 6);
    // Every field of the canonical person survives (lenient typing, `other` for the rest).
    assert_eq!(people[0].to_json(), raw[0], "canonical person round-trips");
    assert_eq!(people[0].age, Some(33));
    assert_eq!(people[0].has_app, Some(true));

    let links = &db["friendLinks"];
    let are_friends =
        |a: &str, b: &str| links[a].as_array().is_some_and(|l| l.iter().any(|x| x == b));
    let friends_of = |id: &str| -> Vec<Person> {
        let ids: Vec<&str> = links[id]
            .as_array()
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        people.iter().filter(|p| ids.contains(&p.id.as_str())).cloned().collect()
    };
    let ctx = FilterContext {
        viewer: Some("john.doe"),
        owner: Some("john.doe"),
        are_friends: &are_friends,
    };
    // RestfulJsonPeopleTest: john.doe's friends, sorted by name.
    let by_name = CollectionOptions {
        sort: Some(Sort { by: "name".into(), order: SortOrder::Ascending }),
        ..CollectionOptions::default()
    };
    let c = apply_people_options(friends_of("john.doe"), &by_name, &ctx);
    let ids: Vec<&str> = c.items.iter().map(|p| p.id.as_str()).collect();
    assert_eq!((c.total_results, c.start_index), (3, 0));
    assert_eq!(ids, ["george.doe", "jane.doe", "maija.m"]);
    let v = rest::to_json(
        &ashiato_opensocial::request::ResponseData::people(&c, &Fields::Default),
        &RenderOptions::default(),
    );
    assert_eq!(v["totalResults"], 3);
    assert!(v.get("itemsPerPage").is_none());
    assert_eq!(v["entry"][0]["name"]["formatted"], "George Doe");
    // count=1&startIndex=1: one item.
    let paged = CollectionOptions { count: Some(1), start_index: 1, ..by_name };
    let c = apply_people_options(friends_of("john.doe"), &paged, &ctx);
    assert_eq!((c.items.len(), c.total_results, c.items_per_page), (1, 3, Some(1)));
    assert_eq!(c.items[0].id, "jane.doe");
    // The REST request that asks for it parses to the same options.
    let call = rest::parse_rest(
        "GET",
        None,
        "/people/john.doe/@friends",
        "sortBy=name&count=1&startIndex=1",
        None,
        b"",
    )
    .expect("rest");
    let ashiato_opensocial::request::Request::PeopleGet { options, .. } = call.request else {
        panic!("people")
    };
    assert_eq!((options.count, options.start_index), (Some(1), 1));
    // The "are we friends" test: jane (as @self) with filterBy=@friends&filterValue=john.doe.
    let jane: Vec<Person> = people.iter().filter(|p| p.id == "jane.doe").cloned().collect();
    let call = rest::parse_rest(
        "GET",
        None,
        "/people/jane.doe/@self",
        "filterBy=@friends&filterOp=contains&filterValue=john.doe",
        None,
        b"",
    )
    .expect("rest");
    let ashiato_opensocial::request::Request::PeopleGet { options, .. } = call.request else {
        panic!("people")
    };
    assert_eq!(apply_people_options(jane.clone(), &options, &ctx).items.len(), 1);
    let maija: Vec<Person> = people.iter().filter(|p| p.id == "maija.m").cloned().collect();
    assert!(apply_people_options(maija, &options, &ctx).items.is_empty(), "maija lists no friends");
    // AppData of the sample users, as the envelope writes it.
    let mut map = std::collections::BTreeMap::new();
    for id in ["john.doe", "jane.doe"] {
        let data =
            ashiato_opensocial::request::appdata_from_json(&db["data"][id]).expect("appdata");
        map.insert(id.to_owned(), data);
    }
    let v = rest::to_json(
        &ashiato_opensocial::request::ResponseData::AppData(map),
        &RenderOptions::default(),
    );
    assert_eq!(
        v,
        serde_json::json!({"entry": {"jane.doe": {"count": "7"}, "john.doe": {"count": "0"}}})
    );
    // Activities deserialise too (postedTime and priority as strings).
    let acts: Vec<ashiato_opensocial::model::Activity> =
        serde_json::from_value(db["activities"]["canonical"].clone()).expect("activities");
    assert_eq!(acts[0].priority, Some(0.7));
    assert_eq!(acts[0].media_items.len(), 2);
}

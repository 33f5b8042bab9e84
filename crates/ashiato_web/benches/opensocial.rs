//! OpenSocial round trips over loopback HTTP through the real router (issue 9):
//!
//! - `people_get_50_friends`: a signed REST `GET /social/rest/people/@me/@friends?count=50`
//!   for a member with 50 friends (half of them with the app), verified, executed against
//!   SQLite and rendered as JSON; a new connection per request, as apps make them.
//! - `proxied_page_docomo`: a docomo FOMA handset (no cookies, `ksid` session) opening an
//!   app page: signed forward to a local app server (a minimal Rust one here, so the app's own
//!   time does not count), a 3 KB Shift_JIS page rewritten, re-encoded and split to the budget.
//!
//! `cargo bench -p ashiato_web --bench opensocial`. Figures: docs/benchmarks.md.

#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly on setup errors")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};

use ashiato_app::config::Config;
use ashiato_app::secret::Secret;
use ashiato_core::account::NewMember;
use ashiato_core::{AppId, MemberId, Timestamp};
use ashiato_opensocial::oauth::{Consumer, SignRequest, sign};
use ashiato_store::{DatabaseUrl, Db, DbOptions, accounts, apps, friends, write};
use ashiato_test_support::http::Request;
use ashiato_web::{App, server};
use criterion::{Criterion, criterion_group, criterion_main};

const NOW: Timestamp = Timestamp(1_764_115_200_000);
const DOCOMO: &str = "DoCoMo/2.0 N905i(c100;TB;W24H16)";

/// A keitai app page of about 3 KB in Shift_JIS with links, an image and a form.
fn app_page() -> Vec<u8> {
    let mut html = String::from("<html><head><title>占い</title></head><body>");
    for i in 0..40 {
        html.push_str(&format!("<a href=\"/m/{i}?x=1\">今日の運勢{i}</a><br />"));
    }
    html.push_str("<img src=\"/i/logo.gif\" alt=\"ロゴ\" /><form action=\"/m/post\" method=\"post\"><input name=\"q\" /></form></body></html>");
    encoding_rs::SHIFT_JIS.encode(&html).0.into_owned()
}

/// A tiny HTTP/1.0 app server answering every request with the page.
fn start_app_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let page = app_page();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=Shift_JIS\r\nContent-Length: {}\r\n\r\n",
                page.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&page);
        }
    });
    port
}

struct Setup {
    addr: SocketAddr,
    member: MemberId,
    ksid: String,
    app_id: AppId,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("bench.sqlite3"));
    let db = Db::open(&url, &DbOptions::default()).unwrap();
    let app_port = start_app_server();
    let hash =
        ashiato_core::password::hash("kaminari-9-sora", &[7; ashiato_core::password::SALT_LEN])
            .unwrap();
    let (member, app_id) = {
        let mut conn = db.conn().unwrap();
        write(&mut conn, |c| {
            let new = |i: usize| {
                NewMember::validate(
                    &format!("m{i}@example.jp"),
                    &format!("友達{i}"),
                    "kaminari-9-sora",
                )
                .unwrap()
            };
            let me = accounts::create_member(c, &new(0), &hash, NOW)?;
            let hosts = vec!["127.0.0.1".to_owned()];
            let app = apps::create(
                c,
                &apps::NewApp {
                    title: "bench",
                    description: "",
                    gadget_url: "",
                    gadget_xml: "<Module/>",
                    start_url: &format!("http://127.0.0.1:{app_port}/m"),
                    allowed_hosts: &hosts,
                    consumer_key: "bench-key",
                    consumer_secret: "bench-secret",
                    addapp_url: None,
                    removeapp_url: None,
                    event_method: "GET",
                    signature_method: "HMAC-SHA1",
                    registered_by: None,
                    review_state: ashiato_store::apps::REVIEW_APPROVED,
                },
                NOW,
            )?;
            apps::install(c, app, me, NOW)?;
            for i in 1..=50 {
                let f = accounts::create_member(c, &new(i), "$unused", NOW)?;
                friends::befriend(c, me, f, NOW)?;
                if i % 2 == 0 {
                    apps::install(c, app, f, NOW)?;
                }
            }
            Ok::<_, ashiato_store::StoreError>((me, app))
        })
        .unwrap()
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        bind: addr.to_string(),
        workers: 1,
        app_allow_private_hosts: vec!["127.0.0.1".into()],
        api_requests_per_5min: u32::MAX,
        ..Config::default()
    };
    let state = App::new(db, config, Secret::from_bytes([9; 32])).unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            server::build(state, listener).unwrap().await.unwrap();
        });
    });
    // Log the docomo member in once; the session travels in the URL.
    let login = Request::get("/login").header("User-Agent", DOCOMO).send(addr).unwrap();
    let page = String::from_utf8_lossy(&login.body).into_owned();
    let hidden = |name: &str| {
        let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
        page[at..].split('"').next().unwrap().to_owned()
    };
    let (csrf, ksid) = (hidden("csrf"), hidden("ksid"));
    let res = Request::post_form(
        &format!("/login?ksid={ksid}"),
        format!("email=m0%40example.jp&password=kaminari-9-sora&csrf={csrf}"),
    )
    .header("User-Agent", DOCOMO)
    .send(addr)
    .unwrap();
    let location = res.header("location").unwrap().to_owned();
    let ksid = location.split("ksid=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    Setup { addr, member, ksid, app_id, _dir: dir }
}

fn bench(c: &mut Criterion) {
    let s = setup();
    let nonce = AtomicU64::new(0);
    let path =
        format!("/social/rest/people/@me/@friends?count=50&xoauth_requestor_id={}", s.member.0);
    let url = format!("http://{}{path}", s.addr);
    let people = || {
        let n = nonce.fetch_add(1, Ordering::Relaxed);
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let signed = sign(
            &SignRequest { method: "GET", url: &url, form_body: None, other_body: None },
            &Consumer::hmac("bench-key", "bench-secret"),
            None,
            &format!("bench-{n}"),
            i64::try_from(now).unwrap(),
        )
        .unwrap();
        let res = Request::get(&path)
            .header("Authorization", &signed.authorization())
            .send(s.addr)
            .unwrap();
        assert_eq!(res.status, 200);
        res.body.len()
    };
    let body = people();
    assert!(body > 5000, "50 friends in the answer ({body} bytes)");
    c.bench_function("opensocial/people_get_50_friends", |b| b.iter(people));

    let page = format!("/apps/{}/?guid=ON&ksid={}", s.app_id, s.ksid);
    let proxied = || {
        let res = Request::get(&page).header("User-Agent", DOCOMO).send(s.addr).unwrap();
        assert_eq!(res.status, 200);
        res.body.len()
    };
    assert!(proxied() > 3000);
    c.bench_function("opensocial/proxied_page_docomo", |b| b.iter(proxied));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);

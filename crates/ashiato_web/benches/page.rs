//! What one diary page costs inside the server (issue 17), without the network: a docomo FOMA
//! handset (`ksid` session, Shift_JIS i-XHTML) reads other members' public entries through the
//! real router and middleware on SQLite, each view queuing a footstep.
//!
//! - `page/diary_docomo`: criterion's time per request, driven on one actix runtime thread;
//! - before it, the allocations per request (count and bytes) over 2,000 requests, counted by
//!   a counting global allocator (`stats_alloc`) and printed as one `ALLOCATIONS` line.
//!
//! `cargo bench -p ashiato_web --bench page`. Figures: docs/benchmarks.md ("Page cost").

#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly on setup errors")]
#![expect(clippy::print_stdout, reason = "the allocation figures are the bench's output")]

use std::alloc::System;

use actix_web::middleware::from_fn;
use actix_web::test::{self, TestRequest};
use ashiato_app::secret::Secret;
use ashiato_core::account::NewMember;
use ashiato_core::{DiaryId, Scope};
use ashiato_store::sessions::{self, SessionSpec, Transport};
use ashiato_store::{DatabaseUrl, Db, DbOptions, accounts, diary, write};
use ashiato_web::{App, Config, handset, middleware, server};
use criterion::{Criterion, criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const DOCOMO: &str = "DoCoMo/2.0 N905i(c100;TB;W24H16)";
/// Authors whose public entries the reader rotates over.
const AUTHORS: usize = 40;

struct Setup {
    state: App,
    entries: Vec<DiaryId>,
    ksid: String,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("bench.sqlite3"));
    let db = Db::open(&url, &DbOptions::default()).unwrap();
    let now = ashiato_app::now();
    let (entries, ksid) = {
        let mut conn = db.conn().unwrap();
        let (reader, entries) = write(&mut conn, |c| {
            let new = |i: usize| {
                NewMember::validate(&format!("p{i}@example.jp"), &format!("日記{i}"), "x-9-sora-7")
                    .unwrap()
            };
            let reader = accounts::create_member(c, &new(0), "$unused", now)?;
            let mut entries = Vec::new();
            for i in 1..=AUTHORS {
                let author = accounts::create_member(c, &new(i), "$unused", now)?;
                let body = "今日は晴れ。散歩に行きました🌸\n".repeat(20);
                let entry =
                    diary::create_entry(c, author, "散歩の日記", &body, Scope::Public, now)?;
                for j in 0..5 {
                    diary::add_comment(c, entry, reader, &format!("コメント{j}"), now)?;
                }
                entries.push(entry);
            }
            Ok::<_, ashiato_store::StoreError>((reader, entries))
        })
        .unwrap();
        let spec = SessionSpec {
            member: Some(reader),
            transport: Transport::Url,
            subscriber_hash: None,
            easy_login: false,
            idle_ms: 3_600_000,
            device: None,
            carrier: None,
        };
        let session = sessions::create(&mut conn, &spec, now).unwrap();
        (entries, session.token)
    };
    let state = App::new(db, Config::default(), Secret::from_bytes([9; 32])).unwrap();
    Setup { state, entries, ksid, _dir: dir }
}

fn page(c: &mut Criterion) {
    let setup = setup();
    let rt = actix_web::rt::Runtime::new().unwrap();
    // The middleware stack of `server::build`, in the same order.
    let service = rt.block_on(test::init_service(
        actix_web::App::new()
            .configure(server::configure_app(setup.state.clone()))
            .wrap(from_fn(middleware::error_pages))
            .wrap(from_fn(handset::detect_handset))
            .wrap(from_fn(middleware::access_log))
            .wrap(from_fn(middleware::check_host)),
    ));
    let mut n = 0usize;
    let mut request = || {
        let entry = setup.entries[n % setup.entries.len()];
        n += 1;
        TestRequest::get()
            .uri(&format!("/diary/{}?guid=ON&ksid={}", entry.0, setup.ksid))
            .insert_header(("Host", "127.0.0.1:8080"))
            .insert_header(("User-Agent", DOCOMO))
            .peer_addr("192.0.2.10:40000".parse().unwrap())
            .to_request()
    };
    // One page checked the way a handset would get it: 200, Shift_JIS, the entry's title.
    let first = rt.block_on(test::call_service(&service, request()));
    assert_eq!(first.status(), 200);
    let body = rt.block_on(test::read_body(first));
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&body);
    assert!(!bad && text.contains("散歩の日記"), "a diary page in Shift_JIS");

    const COUNTED: usize = 2_000;
    let region = Region::new(GLOBAL);
    for _ in 0..COUNTED {
        let response = rt.block_on(test::call_service(&service, request()));
        assert_eq!(response.status(), 200);
        drop(rt.block_on(test::read_body(response)));
    }
    let change = region.change();
    println!(
        "ALLOCATIONS diary_docomo: {:.1} allocations, {:.1} reallocations, {:.0} bytes per request",
        change.allocations as f64 / COUNTED as f64,
        change.reallocations as f64 / COUNTED as f64,
        change.bytes_allocated as f64 / COUNTED as f64,
    );

    c.bench_function("page/diary_docomo", |b| {
        b.iter(|| {
            let response = rt.block_on(test::call_service(&service, request()));
            rt.block_on(test::read_body(response))
        });
    });
}

criterion_group!(benches, page);
criterion_main!(benches);

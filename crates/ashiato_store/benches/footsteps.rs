//! The footstep writer's own ceiling (performance.md P6: ≥ 5,000 events/s on PostgreSQL,
//! ≥ 1,000/s on SQLite): one `record_batch` of 5,000 events, as the web crate's writer sends
//! them at most, into a database that already holds the previous iterations' rows.
//!
//! `cargo bench -p ashiato_store --bench footsteps`; the PostgreSQL half runs when
//! `ASHIATO_TEST_POSTGRES` names a server (each run creates and drops its own database).

#![allow(missing_docs)]

use ashiato_core::account::NewMember;
use ashiato_core::{MemberId, Timestamp};
use ashiato_store::footsteps::{Event, record_batch};
use ashiato_store::{Backend, accounts, write};
use ashiato_test_support::{TestDb, postgres_admin_url};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const MEMBERS: usize = 1_000;
const BATCH: usize = 5_000;
const T0: Timestamp = Timestamp(1_764_115_200_000);

fn seeded(backend: Backend) -> (TestDb, Vec<MemberId>) {
    let t = TestDb::new(backend);
    let mut conn = t.db.conn().expect("connection");
    let ids = write(&mut conn, |c| {
        (0..MEMBERS)
            .map(|i| {
                let m = NewMember::validate(
                    &format!("b{i}@example.jp"),
                    &format!("足跡{i}"),
                    "kaminari-9-sora",
                )
                .expect("valid member");
                accounts::create_member(c, &m, "$h", T0)
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .expect("members");
    drop(conn);
    (t, ids)
}

/// Batch `n`: 5,000 distinct (owner, visitor) pairs on day `n`, so every row is new and each
/// owner's total is updated (five visitors per owner).
fn batch(ids: &[MemberId], n: i64) -> Vec<Event> {
    let at = Timestamp(T0.0 + n * ashiato_core::time::DAY_MS);
    let day = at.day_in_zone(ashiato_core::time::JST_OFFSET_MINUTES);
    (0..BATCH)
        .map(|i| {
            let owner = ids[i % MEMBERS];
            let visitor = ids[(i / MEMBERS + 1 + i) % MEMBERS];
            Event { owner, visitor, day, at: Timestamp(at.0 + i as i64) }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut backends = vec![Backend::Sqlite];
    if postgres_admin_url().is_some() {
        backends.push(Backend::Postgres);
    } else {
        eprintln!("footsteps bench: ASHIATO_TEST_POSTGRES is not set; PostgreSQL SKIPPED");
    }
    let mut group = c.benchmark_group("footsteps");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    for backend in backends {
        let (t, ids) = seeded(backend);
        let mut n = 0_i64;
        let name = format!("record_batch_5000/{backend:?}").to_lowercase();
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    n += 1;
                    batch(&ids, n)
                },
                |events| {
                    let mut conn = t.db.conn().expect("connection");
                    record_batch(&mut conn, &events).expect("batch written");
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

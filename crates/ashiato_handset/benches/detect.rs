//! Detection speed on the mixed fixture corpus (every carrier, generation, crawlers, PCs).
//!
//! Each iteration detects the next case of the corpus in turn, so the reported time is the mean
//! cost of one detection over the mix; criterion's median is taken over its samples.

use std::hint::black_box;
use std::net::IpAddr;

use ashiato_handset::{HeaderList, Trust, detect};
use criterion::{Criterion, criterion_group, criterion_main};

fn corpus() -> Vec<(HeaderList, Option<IpAddr>)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/handsets/corpus.jsonl");
    let text = std::fs::read_to_string(path).expect("fixtures/handsets/corpus.jsonl");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("json line");
            let mut h = HeaderList::new();
            for pair in v["headers"].as_array().expect("headers") {
                h.push(pair[0].as_str().expect("name"), pair[1].as_str().expect("value"));
            }
            // Give every case a peer so the trust path (proxy walk, range lookup) is measured.
            let peer = v["peer"]
                .as_str()
                .map_or(IpAddr::from([210, 153, 84, 7]), |p| p.parse().expect("ip"));
            (h, Some(peer))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cases = corpus();
    let trust = Trust::builtin();
    // Parse the embedded tables before timing.
    let _ = detect(&cases[0].0, cases[0].1, &trust);
    let mut i = 0usize;
    c.bench_function("detect/mixed_corpus", |b| {
        b.iter(|| {
            let (h, peer) = &cases[i % cases.len()];
            i = i.wrapping_add(1);
            black_box(detect(black_box(h), *peer, &trust))
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

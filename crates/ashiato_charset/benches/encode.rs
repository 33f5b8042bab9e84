//! Encoding a ~10 KB Japanese diary page with emoji for a docomo Shift_JIS handset.
//! Throughput is counted in UTF-8 input bytes (markup + text).

use std::hint::black_box;

use ashiato_charset::{Charset, EmojiOut, OutputTarget, PageEncoder};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ENTRY: &str = "今日は朝から快晴☀で、駅前の喫茶店「ソレイユ」でモーニングを食べました。\
    表参道まで散歩して、能楽堂の前を通り十時すぎに予約していた美容院へ。\
    帰りに友だちと合流してカラオケ🎤、夜はみんなで焼肉🍖！明日も晴れるといいな〜♪\
    ちなみに新しい携帯は P-01A です。写真は後でアップします📷 #1 \"テスト\" & <タグ>";

fn page_parts() -> Vec<(bool, String)> {
    let mut parts = vec![(
        true,
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><html><head><title>".to_owned(),
    )];
    parts.push((false, "ゆうこの日記☀".to_owned()));
    parts.push((true, "</title></head><body><div class=\"diary\">".to_owned()));
    let mut size = 0;
    let mut n = 0;
    while size < 10 * 1024 {
        n += 1;
        let head = format!("<h2><a href=\"/d/{n}?s=abc\" accesskey=\"{}\">", n % 10);
        parts.push((true, head));
        parts.push((false, format!("{n}月{n}日の日記")));
        parts.push((true, "</a></h2><p>".to_owned()));
        parts.push((false, ENTRY.to_owned()));
        parts.push((true, "</p><hr />".to_owned()));
        size = parts.iter().map(|(_, s)| s.len()).sum();
    }
    parts.push((true, "</div></body></html>".to_owned()));
    parts
}

fn bench(c: &mut Criterion) {
    let parts = page_parts();
    let bytes: usize = parts.iter().map(|(_, s)| s.len()).sum();
    let target = OutputTarget::new(Charset::ShiftJis, EmojiOut::Docomo { extended: true });
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("docomo_sjis_page_{bytes}_bytes"), |b| {
        b.iter(|| {
            let mut p = PageEncoder::with_capacity(target, bytes);
            for (markup, s) in &parts {
                if *markup {
                    p.markup(s);
                } else {
                    p.text(s);
                }
            }
            black_box(p.finish())
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Render + encode a typical diary page (title, ~2 KB body with emoji, 10 comments, menu) for a
//! docomo FOMA i-XHTML handset (N905i, c100, no cookies: session and guid=ON on every link).

use std::hint::black_box;

use ashiato_handset::{HeaderList, Trust, detect};
use ashiato_render::i18n::Lang;
use ashiato_render::url::LinkParams;
use ashiato_render::{
    Block, Inline, Link, Location, MenuItem, Page, RenderContext, Target, render,
};
use criterion::{Criterion, criterion_group, criterion_main};

const ENTRY: &str = "今日は朝から快晴☀で、駅前の喫茶店「ソレイユ」でモーニングを食べました。\n\
表参道まで散歩して、能楽堂の前を通り十時すぎに予約していた美容院へ。\n\
帰りに友だちと合流してカラオケ🎤、夜はみんなで焼肉🍖！明日も晴れるといいな〜♪\n";

fn diary() -> Page {
    let mut page = Page::new("ゆうこの日記☀");
    page.push(Block::Heading("11月26日 晴れ".into()));
    let mut body = String::new();
    while body.len() < 2048 {
        body.push_str(ENTRY);
    }
    page.push(Block::Text(body));
    page.push(Block::Separator);
    page.push(Block::Heading("コメント(10)".into()));
    for n in 0..10 {
        page.push(Block::Paragraph(vec![
            Inline::Link(Link::internal(format!("/m/{n}"), format!("マイミク{n}"))),
            Inline::text(format!(": いいね！また行こうね😊 ({n})")),
        ]));
    }
    let item =
        |k: char, t: &str, p: &str| MenuItem { key: Some(k), text: t.into(), path: p.into() };
    page.menu = vec![
        item('0', "ホーム", "/home"),
        item('1', "コメントする", "/diary/1/comment"),
        item('2', "日記一覧", "/diary"),
        item('8', "マイミク", "/friends"),
        item('9', "ログアウト", "/logout"),
    ];
    page
}

fn bench(c: &mut Criterion) {
    let headers =
        HeaderList::parse(b"User-Agent: DoCoMo/2.0 N905i(c100;TB;W24H16)\n").expect("headers");
    let handset = detect(&headers, None, &Trust::nothing());
    let target = Target::for_handset(&handset);
    let jump = |u: &str| format!("/jump?to={u}");
    let ctx = RenderContext {
        lang: Lang::Ja,
        links: LinkParams {
            session: Some("0123456789abcdef0123456789abcdef".into()),
            guid_on: true,
        },
        csrf: Some("csrf-token-0123456789"),
        jump: &jump,
    };
    let page = diary();
    let at = Location::new("/diary/1").with_origin("http://ashiato.example");
    let size = render(&page, &ctx, &target, &at).body.len();
    c.bench_function(&format!("render/docomo_foma_diary_{size}_bytes"), |b| {
        b.iter(|| render(black_box(&page), &ctx, &target, &at));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Writes the home page as four handsets receive it, decoded to UTF-8 HTML files a desktop
//! browser can show, for `docs/screenshots/make.sh`. A docomo or au page is Shift_JIS with the
//! carrier's emoji codes; it is decoded the way the handset reads it (carrier emoji become
//! Unicode emoji) so the screenshot shows what the phone shows.
//!
//! Usage: `cargo run -p ashiato_web --example screenshot_pages -- OUT_DIR`

#![expect(clippy::print_stdout, reason = "a command-line example reports what it wrote")]

use std::net::TcpListener;

use ashiato_app::config::Config;
use ashiato_app::now;
use ashiato_app::secret::Secret;
use ashiato_charset::{Carrier, InputCharset};
use ashiato_core::account::NewMember;
use ashiato_core::{Scope, password};
use ashiato_store::{accounts, diary, footsteps, friends, write};
use ashiato_test_support::TestDb;
use ashiato_test_support::http::Request;
use ashiato_web::{App, server};

const HANDSETS: [(&str, &str, Carrier); 4] = [
    ("docomo", "DoCoMo/2.0 N905i(c100;TB;W24H16)", Carrier::Docomo),
    ("au", "KDDI-CA39 UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0", Carrier::Au),
    (
        "iphone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        Carrier::Other,
    ),
    (
        "pc",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        Carrier::Other,
    ),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = std::env::args().nth(1).ok_or("usage: screenshot_pages OUT_DIR")?;
    std::fs::create_dir_all(&out_dir)?;
    let t = TestDb::sqlite();
    let hash = password::hash("ashiato-shot", &[7; 16])?;
    let mut conn = t.db.conn()?;
    let t0 = now();
    write(&mut conn, |c| {
        let mut ids = Vec::new();
        for (email, nick) in [
            ("hanako@example.jp", "はなこ"),
            ("taro@example.jp", "たろう"),
            ("yuki@example.jp", "ゆき"),
            ("sora@example.jp", "そら"),
        ] {
            let new = NewMember::validate(email, nick, "ashiato-shot")
                .map_err(|_| ashiato_store::StoreError::NotFound)?;
            ids.push(accounts::create_member(c, &new, &hash, t0)?);
        }
        for &f in &ids[1..] {
            friends::befriend(c, ids[0], f, t0)?;
        }
        diary::create_entry(
            c,
            ids[1],
            "今日の一杯🍜",
            "仕事帰りにラーメン。",
            Scope::Friends,
            t0.plus_millis(-3_600_000),
        )?;
        diary::create_entry(
            c,
            ids[2],
            "初雪☃",
            "札幌は今日初雪でした。",
            Scope::Public,
            t0.plus_millis(-7_200_000),
        )?;
        diary::create_entry(
            c,
            ids[3],
            "夕焼け🌇☀",
            "きれいでした📷",
            Scope::Fof,
            t0.plus_millis(-9_000_000),
        )?;
        let day = t0.day_in_zone(ashiato_core::time::JST_OFFSET_MINUTES);
        footsteps::record(c, ids[0], ids[1], day, t0)?;
        footsteps::record(c, ids[0], ids[2], day, t0)?;
        Ok::<_, ashiato_store::StoreError>(())
    })?;
    drop(conn);

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let config = Config { bind: addr.to_string(), workers: 1, ..Config::default() };
    let state = App::new(t.db.clone(), config, Secret::from_bytes([3; 32]))?;
    std::thread::spawn(move || {
        let _ = actix_web::rt::System::new()
            .block_on(async move { server::build(state, listener)?.await });
    });
    std::thread::sleep(std::time::Duration::from_millis(500));

    for (name, ua, carrier) in HANDSETS {
        let login_page = Request::get("/login").header("User-Agent", ua).send(addr)?;
        let cookie =
            login_page.header("set-cookie").and_then(|c| c.split(';').next()).map(str::to_owned);
        let page =
            ashiato_charset::decode_form_bytes(&login_page.body, InputCharset::ShiftJis, carrier);
        let value = |field: &str| {
            let marker = format!("name=\"{field}\" value=\"");
            page.find(&marker)
                .map(|i| page[i + marker.len()..].split('"').next().unwrap_or("").to_owned())
        };
        let csrf = value("csrf").ok_or("no csrf field")?;
        let ksid = value("ksid");
        let action = ksid
            .as_ref()
            .map_or_else(|| "/login".to_owned(), |k| format!("/login?guid=ON&ksid={k}"));
        let mut post = Request::post_form(
            &action,
            format!("email=hanako%40example.jp&password=ashiato-shot&csrf={csrf}"),
        )
        .header("User-Agent", ua);
        if let Some(c) = &cookie {
            post = post.header("Cookie", c);
        }
        let logged_in = post.send(addr)?;
        let location = logged_in.header("location").ok_or("login failed")?.to_owned();
        let path = location
            .split_once("://")
            .and_then(|(_, r)| r.find('/').map(|i| r[i..].to_owned()))
            .unwrap_or_else(|| "/home".into());
        let new_cookie =
            logged_in.header("set-cookie").and_then(|c| c.split(';').next()).map(str::to_owned);
        let mut home = Request::get(&path).header("User-Agent", ua);
        if let Some(c) = new_cookie.or(cookie) {
            home = home.header("Cookie", &c);
        }
        let res = home.send(addr)?;
        let sjis = res
            .header("content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("shift_jis"));
        let charset = if sjis { InputCharset::ShiftJis } else { InputCharset::Utf8 };
        let text = ashiato_charset::decode_form_bytes(&res.body, charset, carrier);
        // Relabel for the desktop browser that takes the screenshot; the bytes on the wire were
        // checked by the test suite.
        let utf8 = text
            .replace("encoding=\"Shift_JIS\"", "encoding=\"UTF-8\"")
            .replace("charset=Shift_JIS", "charset=UTF-8");
        let file = std::path::Path::new(&out_dir).join(format!("{name}.html"));
        std::fs::write(&file, utf8)?;
        println!(
            "{name} {} bytes on the wire ({}) -> {}",
            res.body.len(),
            res.header("content-type").unwrap_or("?"),
            file.display()
        );
    }
    Ok(())
}

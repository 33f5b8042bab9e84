//! `ashiato serve --lmtp`: an LMTP client (std `TcpStream`, RFC 2033) delivers a phone mail
//! with an EXIF photo; replies come per recipient; the diary is then readable over HTTP with
//! a metadata-free photo; a comment by mail reaches the diary owner through the outbox worker
//! and a local SMTP sink.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ashiato_test_support::http::Request;
use ashiato_test_support::smtp::SmtpSink;
use ashiato_test_support::{Suite, TestDb};

use crate::mail::{Site, docomo_with_photo, fixture, has_exif, phone_jpeg};

pub fn register(suite: &mut Suite) {
    suite.on_both("lmtp_answers_per_recipient_and_the_diary_shows_over_http", lmtp);
}

/// A running `serve --lmtp`; killed when dropped.
pub struct Served {
    pub child: Child,
    pub http: SocketAddr,
    pub lmtp: SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(site: &Site<'_>, extra_env: &[(&str, String)]) -> Served {
    let mut cmd = site.command();
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--lmtp", "127.0.0.1:0"])
        .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn ashiato serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut http, mut lmtp) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.is_none() || lmtp.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("serve printed its addresses");
        if let Some(rest) = line.strip_prefix("ashiato: serving http://") {
            http = rest.split_whitespace().next().and_then(|a| a.parse().ok());
        }
        if let Some(rest) = line.strip_prefix("ashiato: LMTP on ") {
            lmtp = rest.trim().parse().ok();
        }
    }
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    Served { child, http: http.expect("http"), lmtp: lmtp.expect("lmtp") }
}

/// A minimal LMTP client.
pub struct Lmtp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Lmtp {
    pub fn connect(addr: SocketAddr) -> Lmtp {
        let s = TcpStream::connect(addr).expect("connect to LMTP");
        s.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
        let writer = s.try_clone().expect("clone");
        let mut c = Lmtp { reader: BufReader::new(s), writer };
        assert!(c.reply().starts_with("220 "), "greeting");
        c
    }

    /// One reply (the last line of a multi-line one).
    pub fn reply(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("read reply");
            assert!(line.len() >= 4, "short reply {line:?}");
            if line.as_bytes()[3] != b'-' {
                return line.trim_end().to_owned();
            }
        }
    }

    pub fn cmd(&mut self, line: &str) -> String {
        self.writer.write_all(format!("{line}\r\n").as_bytes()).expect("write");
        self.reply()
    }

    /// Sends the message with dot-stuffing and returns one reply per accepted recipient.
    pub fn data(&mut self, message: &[u8], accepted: usize) -> Vec<String> {
        assert!(self.cmd("DATA").starts_with("354"), "DATA refused");
        let mut out = Vec::new();
        for line in message.split_inclusive(|&b| b == b'\n') {
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let body = body.strip_suffix(b"\r").unwrap_or(body);
            if body.starts_with(b".") {
                out.push(b'.');
            }
            out.extend_from_slice(body);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        self.writer.write_all(&out).expect("write message");
        (0..accepted).map(|_| self.reply()).collect()
    }
}

fn login(addr: SocketAddr) -> String {
    crate::serve::log_in(addr, "taro%40example.jp", "sakura-2008-spring")
}

fn lmtp(t: &TestDb) {
    let site = Site::new(t, &[]);
    let sink = SmtpSink::start();
    let served = serve(
        &site,
        &[
            ("ASHIATO_SMTP_RELAY_HOST", "127.0.0.1".into()),
            ("ASHIATO_SMTP_RELAY_PORT", sink.addr.port().to_string()),
        ],
    );
    let mut c = Lmtp::connect(served.lmtp);
    assert!(c.cmd("HELO x").starts_with("500"), "LMTP wants LHLO");
    assert!(c.cmd("MAIL FROM:<a@b>").starts_with("503"));
    assert!(c.cmd("LHLO mx.example").starts_with("250 "));
    assert_eq!(c.cmd("MAIL FROM:<taro.@docomo.ne.jp>"), "250 2.1.0 sender ok");
    assert_eq!(c.cmd(&format!("RCPT TO:<{}>", site.address)), "250 2.1.5 recipient ok");
    let unknown = "d.000g40r40m30e209@m.ashiato.example";
    assert!(c.cmd(&format!("RCPT TO:<{unknown}>")).starts_with("550 5.1.1"));
    assert!(c.cmd("RCPT TO:<someone@elsewhere.example>").starts_with("550 5.1.1"));
    // A body line starting with a dot must survive dot-stuffing.
    let mut message = docomo_with_photo(&phone_jpeg(), "lmtp.1@docomo.ne.jp");
    let body_at = message.windows(4).position(|w| w == b"\r\n\r\n").expect("header end") + 4;
    let started = Instant::now();
    message.splice(body_at..body_at, b"X-Dot: see below\r\n".iter().copied());
    let replies = c.data(&message, 1);
    assert_eq!(replies, ["250 2.0.0 posted as a diary entry"]);
    // The same message again: accepted, posted once.
    assert!(c.cmd("MAIL FROM:<taro.@docomo.ne.jp>").starts_with("250"));
    assert!(c.cmd(&format!("RCPT TO:<{}>", site.address)).starts_with("250"));
    assert_eq!(c.data(&message, 1), ["250 2.0.0 already posted"]);
    // A bad message for one recipient, a refusal per recipient.
    assert!(c.cmd("MAIL FROM:<taro.@docomo.ne.jp>").starts_with("250"));
    assert!(c.cmd(&format!("RCPT TO:<{}>", site.address)).starts_with("250"));
    let photo_address = site.address.replacen("d.", "p.", 1);
    assert!(c.cmd(&format!("RCPT TO:<{photo_address}>")).starts_with("250"));
    let replies = c.data(&fixture("nested_100.eml"), 2);
    assert!(replies.iter().all(|r| r.starts_with("554 5.6.0")), "{replies:?}");
    // Too big for SIZE=, and too big in fact.
    assert!(c.cmd("MAIL FROM:<a@docomo.ne.jp> SIZE=99999999").starts_with("552 5.3.4"));
    assert!(c.cmd("MAIL FROM:<a@docomo.ne.jp>").starts_with("250"));
    assert!(c.cmd(&format!("RCPT TO:<{}>", site.address)).starts_with("250"));
    let mut big = fixture("softbank_utf8.eml");
    big.extend(std::iter::repeat_n(b'a', 11 * 1024 * 1024));
    assert_eq!(c.data(&big, 1), ["552 5.3.4 message too large"]);
    assert_eq!(c.cmd("QUIT"), "221 2.0.0 bye");

    // The diary is readable over HTTP, with a photo that fits the handset and has no EXIF.
    let cookie = login(served.http);
    let list = Request::get(&format!("/m/{}/diary", site.member.0))
        .header("Cookie", &cookie)
        .send(served.http)
        .expect("list");
    let html = list.text();
    let id: i64 = html
        .match_indices("href=\"/diary/")
        .find_map(|(i, _)| html[i + 13..].split(['"', '?']).next()?.parse().ok())
        .expect("a link to the entry");
    let page = Request::get(&format!("/diary/{id}"))
        .header("Cookie", &cookie)
        .send(served.http)
        .expect("entry")
        .text();
    let visible = started.elapsed();
    assert!(page.contains("晴れた☀") && page.contains("今日は晴れ☀、のち曇り☁。"), "{page}");
    let src = page
        .match_indices("src=\"/img/")
        .map(|(i, _)| page[i + 5..].split('"').next().unwrap_or("").replace("&amp;", "&"))
        .next()
        .expect("a photo on the page");
    let img = Request::get(&src).header("Cookie", &cookie).send(served.http).expect("variant");
    assert_eq!(img.status, 200, "{src}");
    assert_eq!(&img.body[..2], [0xFF, 0xD8], "a JPEG");
    assert!(!has_exif(&img.body), "EXIF survived into the variant");
    assert!(visible < Duration::from_secs(5), "mail to visible took {visible:?} (P10: 5 s)");

    // A comment by mail notifies the entry's author... who is the commenter here, so nothing
    // goes out; a second member's comment by mail does (through the outbox worker).
    let hanako = site.run(&[
        "member",
        "add",
        "--email",
        "hanako@example.jp",
        "--nickname",
        "はなこ",
        "--password",
        "sakura-2008-spring",
    ]);
    assert_eq!(hanako.code, 0, "{}", hanako.stderr);
    let hanako_address = {
        let out = site.run(&["member", "post-address", "--email", "hanako@example.jp"]);
        out.stdout.trim().to_owned()
    };
    // Make the entry public so hanako may comment.
    {
        let mut conn = t.db.conn().expect("connection");
        diesel::RunQueryDsl::execute(
            diesel::update(ashiato_store::schema::diary_entries::table).set(
                diesel::ExpressionMethods::eq(
                    ashiato_store::schema::diary_entries::scope,
                    "public",
                ),
            ),
            &mut *conn,
        )
        .expect("make public");
    }
    let comment_address = hanako_address.replacen("d.", &format!("c{id}."), 1);
    let mut c = Lmtp::connect(served.lmtp);
    c.cmd("LHLO mx.example");
    c.cmd("MAIL FROM:<jiro@softbank.ne.jp>");
    assert!(c.cmd(&format!("RCPT TO:<{comment_address}>")).starts_with("250"));
    assert_eq!(c.data(&fixture("softbank_utf8.eml"), 1), ["250 2.0.0 posted as a comment"]);
    c.cmd("QUIT");
    let got = sink.wait_for(1, Duration::from_secs(20));
    assert_eq!(got.len(), 1, "the diary owner's notification");
    assert_eq!(got[0].to, ["taro@example.jp"]);
    let text = String::from_utf8_lossy(&got[0].data);
    assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
    assert!(text.contains(&format!("/diary/{id}")), "links back to the entry: {text}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1, "sent twice");
}

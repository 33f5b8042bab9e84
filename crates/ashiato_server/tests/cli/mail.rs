//! Post by mail through the real binary: `mail-ingest` on the fixtures of `fixtures/mail/`
//! (what is stored, what is refused with which exit code, exactly once also across a crash),
//! and the outbox drained to a local SMTP sink by `mail-outbox`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use ashiato_core::{MemberId, Timestamp};
use ashiato_store::mail as store_mail;
use ashiato_store::{accounts, diary, photos, write};
use ashiato_test_support::images::{exif_app1_orientation6_gps, png, with_app_segment};
use ashiato_test_support::smtp::SmtpSink;
use ashiato_test_support::{Suite, TestDb};
use base64::Engine as _;

use crate::{Ran, ashiato, run};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("mail_ingest_posts_carrier_mail_with_emoji_and_clean_photos", posts_fixtures)
        .on_both("mail_ingest_refuses_with_the_right_code_and_stores_nothing", refusals)
        .on_both("mail_ingest_posts_exactly_once_across_retries_and_crashes", exactly_once)
        .on_both("mail_outbox_sends_once_per_carrier_and_waits_out_a_down_relay", outbox);
}

pub const DOMAIN: &str = "m.ashiato.example";

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mail").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A data directory and database with mail switched on, and one member.
pub struct Site<'a> {
    pub t: &'a TestDb,
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
    pub member: MemberId,
    pub address: String,
}

impl<'a> Site<'a> {
    pub fn new(t: &'a TestDb, env: &[(&str, &str)]) -> Site<'a> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut all = vec![("ASHIATO_MAIL_DOMAIN".to_owned(), DOMAIN.to_owned())];
        all.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut site = Site { t, dir, env: all, member: MemberId(0), address: String::new() };
        let added = site.run(&[
            "member",
            "add",
            "--email",
            "taro@example.jp",
            "--nickname",
            "たろう",
            "--password",
            "sakura-2008-spring",
        ]);
        assert_eq!(added.code, 0, "{}", added.stderr);
        site.member = MemberId(added.stdout.trim().parse().expect("member id"));
        site.address = site.post_address(false);
        site
    }

    pub fn command(&self) -> std::process::Command {
        let mut cmd = ashiato();
        cmd.arg("--data-dir").arg(self.dir.path()).args(["--database", &self.t.url.to_string()]);
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Ran {
        run(self.command().args(args))
    }

    pub fn post_address(&self, rotate: bool) -> String {
        let mut args = vec!["member", "post-address", "--email", "taro@example.jp"];
        if rotate {
            args.push("--rotate");
        }
        let out = self.run(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
        out.stdout.trim().to_owned()
    }

    /// `mail-ingest` with `raw` on standard input.
    pub fn ingest_with(&self, raw: &[u8], recipient: &str, extra_env: &[(&str, &str)]) -> Ran {
        let mut cmd = self.command();
        cmd.args(["mail-ingest", "--recipient", recipient, "--sender", "taro.@docomo.ne.jp"])
            .envs(extra_env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn mail-ingest");
        let mut stdin = child.stdin.take().expect("stdin");
        let raw = raw.to_vec();
        // The binary may stop reading early (an oversized message): ignore a broken pipe.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&raw);
        });
        let out = child.wait_with_output().expect("mail-ingest output");
        let _ = writer.join();
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn ingest(&self, raw: &[u8]) -> Ran {
        self.ingest_with(raw, &self.address, &[])
    }

    pub fn diaries(&self) -> Vec<diary::Entry> {
        let mut conn = self.t.db.conn().expect("connection");
        diary::list_by_author(&mut conn, self.member, 100, 0).expect("diaries")
    }

    pub fn photo_count(&self) -> i64 {
        let mut conn = self.t.db.conn().expect("connection");
        photos::usage(&mut conn, self.member).expect("usage").0
    }

    /// Every master file on disk.
    pub fn master_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(shards) = std::fs::read_dir(self.dir.path().join("photos")) else { return out };
        for shard in shards.flatten() {
            for f in std::fs::read_dir(shard.path()).into_iter().flatten().flatten() {
                out.push(f.path());
            }
        }
        out.sort();
        out
    }
}

/// The stderr line of a finished `mail-ingest`: exactly one, never the posting address.
fn one_line(r: &Ran, address: &str) -> String {
    assert_eq!(r.stderr.lines().count(), 1, "{:?}", r.stderr);
    let token = address.split('.').nth(1).and_then(|t| t.split('@').next()).unwrap_or("x");
    assert!(!r.stderr.contains(token), "the secret token was printed: {}", r.stderr);
    r.stderr.trim().to_owned()
}

/// A 64×32 phone JPEG with EXIF orientation 6 and a GPS block.
pub fn phone_jpeg() -> Vec<u8> {
    let jpeg = ashiato_image::thumbnail(
        &png(64, 32, 32),
        64,
        Some(ashiato_image::Format::Jpeg),
        None,
        &ashiato_image::Limits::default(),
    )
    .expect("encode a JPEG");
    with_app_segment(&jpeg, &exif_app1_orientation6_gps())
}

/// The docomo fixture (Shift_JIS text with emoji) carrying `jpeg` instead of its tiny photo,
/// under a new Message-ID.
pub fn docomo_with_photo(jpeg: &[u8], message_id: &str) -> Vec<u8> {
    let raw = fixture("docomo_sjis_emoji_jpeg.eml");
    let find = |needle: &[u8]| raw.windows(needle.len()).rposition(|w| w == needle);
    let head = b"filename=\"photo.jpg\"\r\n\r\n";
    let start = find(head).expect("attachment header") + head.len();
    let end = find(b"\r\n----docomo-boundary--").expect("closing boundary");
    let b64 = base64::engine::general_purpose::STANDARD.encode(jpeg);
    let mut wrapped = Vec::new();
    for chunk in b64.as_bytes().chunks(76) {
        wrapped.extend_from_slice(chunk);
        wrapped.extend_from_slice(b"\r\n");
    }
    let mut out = raw[..start].to_vec();
    out.extend_from_slice(wrapped.strip_suffix(b"\r\n").unwrap_or(&wrapped));
    out.extend_from_slice(&raw[end..]);
    let old = b"Message-ID: <docomo.1@docomo.ne.jp>";
    let at = out.windows(old.len()).position(|w| w == old).expect("message id");
    let mut replaced = out[..at].to_vec();
    replaced.extend_from_slice(format!("Message-ID: <{message_id}>").as_bytes());
    replaced.extend_from_slice(&out[at + old.len()..]);
    replaced
}

pub fn has_exif(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w == b"Exif\x00\x00") || bytes.windows(2).any(|w| w == [0xFF, 0xE1])
}

fn posts_fixtures(t: &TestDb) {
    let site = Site::new(t, &[]);
    assert!(site.address.starts_with("d.") && site.address.ends_with(DOMAIN), "{}", site.address);
    // docomo: Shift_JIS with emoji in subject and body, one JPEG.
    let r = site.ingest(&fixture("docomo_sjis_emoji_jpeg.eml"));
    assert_eq!(
        (r.code, one_line(&r, &site.address).as_str()),
        (0, "ashiato: 250 2.0.0 posted as a diary entry")
    );
    let d = &site.diaries()[0];
    assert_eq!(d.title, "晴れた☀");
    assert_eq!(d.body, "今日は晴れ☀、のち曇り☁。\nソ表能");
    assert_eq!(d.scope, ashiato_core::Scope::Friends, "the member's default scope");
    let mut conn = t.db.conn().expect("connection");
    assert_eq!(photos::entry_photos(&mut conn, d.id).expect("photos").len(), 1);
    // A phone photo with EXIF GPS: stored upright and without metadata.
    let r = site.ingest(&docomo_with_photo(&phone_jpeg(), "exif.1@docomo.ne.jp"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = &site.diaries()[0];
    let p = &photos::entry_photos(&mut conn, d.id).expect("photos")[0];
    assert_eq!((p.width, p.height), (32, 64), "EXIF orientation applied");
    for file in site.master_files() {
        assert!(!has_exif(&std::fs::read(&file).expect("read master")), "{}", file.display());
    }
    // au: ISO-2022-JP with mail-JIS emoji rows.
    assert_eq!(site.ingest(&fixture("au_iso2022jp_emoji.eml")).code, 0);
    let d = &site.diaries()[0];
    assert_eq!((d.title.as_str(), d.body.as_str()), ("野球⚾", "今日は晴れ☀\nｶﾀｶﾅ ㈱ashiato"));
    // SoftBank: UTF-8 with private-use emoji, made standard.
    assert_eq!(site.ingest(&fixture("softbank_utf8.eml")).code, 0);
    let d = &site.diaries()[0];
    assert_eq!((d.title.as_str(), d.body.as_str()), ("晴れ☀", "晴れ☀です\n男の子👦"));
    // Decorated mail: text plus the inline decoration image as a photo.
    assert_eq!(site.ingest(&fixture("decomail_related.eml")).code, 0);
    let d = &site.diaries()[0];
    assert_eq!((d.title.as_str(), d.body.as_str()), ("デコメ", "デコメです☀"));
    assert_eq!(photos::entry_photos(&mut conn, d.id).expect("photos").len(), 1);
    // Five levels of multipart are fine.
    assert_eq!(site.ingest(&fixture("nested_5.eml")).code, 0);
    assert_eq!(site.diaries()[0].body, "deep text");
    // Five images: the first three are kept (extra images dropped, the default policy).
    assert_eq!(site.ingest(&fixture("five_images.eml")).code, 0);
    let d = &site.diaries()[0];
    assert_eq!(photos::entry_photos(&mut conn, d.id).expect("photos").len(), 3);
    // A bounce is accepted and dropped: exit 0, nothing posted.
    let before = site.diaries().len();
    let r = site.ingest(&fixture("bounce_dsn.eml"));
    assert_eq!((r.code, r.stderr.trim()), (0, "ashiato: 250 2.0.0 automated mail discarded"));
    assert_eq!(site.ingest(&fixture("auto_reply.eml")).code, 0);
    assert_eq!(site.ingest(&fixture("list_mail.eml")).code, 0);
    assert_eq!(site.diaries().len(), before, "automated mail posted");
    // The profile-photo address.
    let photo_address = site.address.replacen("d.", "p.", 1);
    let r = site.ingest_with(&fixture("profile_photo.eml"), &photo_address, &[]);
    assert_eq!((r.code, r.stderr.trim()), (0, "ashiato: 250 2.0.0 profile photo changed"));
    assert!(photos::member_photo(&mut conn, site.member).expect("photo").is_some());
    // A comment on one's own entry by mail (its image is dropped: comments are text).
    let entry = site.diaries()[0].id;
    let comment_address = site.address.replacen("d.", &format!("c{}.", entry.0), 1);
    let r = site.ingest_with(&fixture("iphone_unicode.eml"), &comment_address, &[]);
    assert_eq!((r.code, r.stderr.trim()), (0, "ashiato: 250 2.0.0 posted as a comment"));
    let comments = diary::comments(&mut conn, entry, 10, 0).expect("comments");
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].body, "猫です🐱\n晴れ☀\u{FE0F}");
    // One message posts once per member, whichever of their addresses it reaches.
    let r = site.ingest_with(&fixture("softbank_utf8.eml"), &comment_address, &[]);
    assert_eq!((r.code, r.stderr.trim()), (0, "ashiato: 250 2.0.0 already posted"));
}

fn refusals(t: &TestDb) {
    let site = Site::new(t, &[("ASHIATO_MAIL_SENDER_POLICY", "registered")]);
    // Under the `registered` policy, From must be the member's registered phone address.
    {
        let mut conn = t.db.conn().expect("connection");
        write(&mut conn, |c| {
            store_mail::set_phone_address(c, site.member, Some("hanako@ezweb.ne.jp"), Timestamp(0))
        })
        .expect("register");
    }
    let check = |name: &str, raw: &[u8], recipient: &str, code: i32, reply: &str| {
        let r = site.ingest_with(raw, recipient, &[]);
        assert_eq!(r.code, code, "{name}: {}", r.stderr);
        let line = one_line(&r, &site.address);
        assert!(line.starts_with(&format!("ashiato: {reply}")), "{name}: {line}");
        assert!(site.diaries().is_empty(), "{name} posted something");
        assert_eq!(site.photo_count(), 0, "{name} stored a photo");
        assert!(site.master_files().is_empty(), "{name} left a file");
    };
    let a = site.address.clone();
    check("forged sender", &fixture("forged_sender.eml"), &a, 65, "550 5.7.1");
    check(
        "docomo From under registered",
        &fixture("docomo_sjis_emoji_jpeg.eml"),
        &a,
        65,
        "550 5.7.1",
    );
    // The au fixture comes from the registered address and posts.
    assert_eq!(site.ingest(&fixture("au_iso2022jp_emoji.eml")).code, 0);
    let posted = site.diaries().len();
    {
        let mut conn = t.db.conn().expect("connection");
        write(&mut conn, |c| store_mail::set_phone_address(c, site.member, None, Timestamp(0)))
            .expect("unregister");
        diary::delete_entry(&mut conn, site.diaries()[0].id, site.member).expect("delete");
    }
    assert_eq!(posted, 1);
    let site2 = Site { env: vec![("ASHIATO_MAIL_DOMAIN".into(), DOMAIN.into())], ..site };
    let site = site2;
    let check = |name: &str, raw: &[u8], recipient: &str, code: i32, reply: &str| {
        let r = site.ingest_with(raw, recipient, &[]);
        assert_eq!(r.code, code, "{name}: {}", r.stderr);
        let line = one_line(&r, &site.address);
        assert!(line.starts_with(&format!("ashiato: {reply}")), "{name}: {line}");
        assert!(site.diaries().is_empty(), "{name} posted something");
        assert!(site.master_files().is_empty(), "{name} left a file");
    };
    let a = site.address.clone();
    check("empty", &fixture("empty.eml"), &a, 65, "550 5.6.0");
    check("100 deep", &fixture("nested_100.eml"), &a, 65, "554 5.6.0");
    let mut big = fixture("softbank_utf8.eml");
    big.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    check("oversized", &big, &a, 65, "552 5.3.4");
    check("not ours", &fixture("softbank_utf8.eml"), "taro@example.jp", 67, "550 5.1.1");
    check(
        "fixture token",
        &fixture("softbank_utf8.eml"),
        "d.000g40r40m30e209@m.ashiato.example",
        67,
        "550 5.1.1",
    );
    check(
        "unknown action",
        &fixture("softbank_utf8.eml"),
        &a.replacen("d.", "x.", 1),
        67,
        "550 5.1.1",
    );
    check(
        "no such diary",
        &fixture("softbank_utf8.eml"),
        &a.replacen("d.", "c999999.", 1),
        65,
        "550 5.7.1",
    );
    // Rotation kills the old address at once.
    let new = site.post_address(true);
    assert_ne!(new, a);
    check("rotated", &fixture("softbank_utf8.eml"), &a, 67, "550 5.1.1");
    let r = site.ingest_with(&fixture("softbank_utf8.eml"), &new, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(site.post_address(false), new, "the shown address is the current one");
    // More than three images, refused under the `refuse` policy.
    let strict = run(site
        .command()
        .env("ASHIATO_MAIL_EXTRA_IMAGES", "refuse")
        .args(["mail-ingest", "--recipient", &new])
        .stdin(
            std::fs::File::open(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mail/five_images.eml"),
            )
            .expect("fixture"),
        ));
    assert_eq!(strict.code, 65, "{}", strict.stderr);
    assert!(strict.stderr.contains("554 5.6.0"), "{}", strict.stderr);
    // Posting by mail switched off: every address is unknown.
    let off = run(site
        .command()
        .env("ASHIATO_MAIL_DOMAIN", "")
        .args(["mail-ingest", "--recipient", &new])
        .stdin(Stdio::null()));
    assert_eq!(off.code, 67, "{}", off.stderr);
}

fn exactly_once(t: &TestDb) {
    let site = Site::new(t, &[]);
    let raw = docomo_with_photo(&phone_jpeg(), "once.1@docomo.ne.jp");
    // A failure inside the transaction (after every row was written): 75, nothing stored,
    // the photo file this attempt created removed again.
    let r = site.ingest_with(
        &raw,
        &site.address,
        &[("ASHIATO_TEST_MAIL_FAULT", "fail-in-transaction")],
    );
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.starts_with("ashiato: 451 4.3.0"), "{}", r.stderr);
    assert!(site.diaries().is_empty());
    assert_eq!(site.photo_count(), 0);
    assert!(site.master_files().is_empty(), "orphan file after a rolled-back delivery");
    // Killed after writing the photo files, before the commit (as kill -9 would).
    let r =
        site.ingest_with(&raw, &site.address, &[("ASHIATO_TEST_MAIL_FAULT", "abort-after-files")]);
    assert_ne!(r.code, 0, "the aborted attempt reported success");
    assert!(site.diaries().is_empty());
    assert_eq!(site.master_files().len(), 1, "the attempt got as far as the file");
    // The MTA retries: posted once, the file now referenced.
    let r = site.ingest(&raw);
    assert_eq!((r.code, r.stderr.trim()), (0, "ashiato: 250 2.0.0 posted as a diary entry"));
    // And retries again (it never heard the answer): nothing new.
    let r = site.ingest(&raw);
    assert_eq!((r.code, r.stderr.trim()), (0, "ashiato: 250 2.0.0 already posted"));
    assert_eq!(site.diaries().len(), 1);
    assert_eq!(site.photo_count(), 1);
    let files = site.master_files();
    assert_eq!(files.len(), 1);
    let mut conn = t.db.conn().expect("connection");
    let stored = &photos::entry_photos(&mut conn, site.diaries()[0].id).expect("photos")[0];
    assert!(
        files[0].to_string_lossy().contains(&stored.sha256),
        "no orphan: the file is the photo's"
    );
    // Without a Message-ID the content hash decides: same bytes, one post.
    let no_id = fixture("softbank_utf8.eml")
        .split(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"Message-ID:"))
        .collect::<Vec<_>>()
        .join(&b'\n');
    assert_eq!(site.ingest(&no_id).code, 0);
    assert_eq!(site.ingest(&no_id).stderr.trim(), "ashiato: 250 2.0.0 already posted");
    assert_eq!(site.diaries().len(), 2);
    assert_eq!(store_mail::receipt_count(&mut conn, site.member).expect("receipts"), 2);
}

fn outbox(t: &TestDb) {
    // Five members on five kinds of address; taro sends each a message.
    let site = Site::new(t, &[]);
    let cases = [
        ("docomo@example.jp", Some("hanako.@docomo.ne.jp"), "Shift_JIS"),
        ("au@example.jp", Some("jiro@ezweb.ne.jp"), "ISO-2022-JP"),
        ("sb@example.jp", Some("saburo@softbank.ne.jp"), "UTF-8"),
        ("iphone@example.jp", Some("shiro@i.softbank.jp"), "UTF-8"),
        ("pc@example.jp", None, "ISO-2022-JP"),
    ];
    let config = ashiato_app::Config {
        mail_domain: DOMAIN.into(),
        public_url: "http://sns.example.jp".into(),
        ..ashiato_app::Config::default()
    };
    let mut conn = t.db.conn().expect("connection");
    let mut expected = Vec::new();
    for (email, phone, charset) in cases {
        let m = ashiato_core::account::NewMember::validate(email, "はなこ", "kaminari-9-sora")
            .expect("valid");
        let id = write(&mut conn, |c| {
            let id = accounts::create_member(c, &m, "$h", Timestamp(0))?;
            store_mail::set_phone_address(c, id, phone, Timestamp(0))?;
            // Notifications go only to confirmed addresses.
            accounts::confirm_email(c, id, email, Timestamp(0))?;
            if let Some(phone) = phone {
                store_mail::confirm_phone_address(c, id, phone, Timestamp(0))?;
            }
            Ok::<_, ashiato_store::StoreError>(id)
        })
        .expect("member");
        let queued = write(&mut conn, |c| {
            ashiato_app::mail::enqueue_notification(
                c,
                &config,
                ashiato_app::mail::Event {
                    recipient: id,
                    actor: site.member,
                    kind: store_mail::NotifyKind::Message,
                    what: ashiato_mail::NotificationKind::NewMessage {
                        actor: "たろう".into(),
                        excerpt: "晴れ☀".into(),
                    },
                    path: "/messages/1".into(),
                },
                ashiato_app::now(),
            )
        })
        .expect("enqueue");
        assert!(queued);
        expected.push((phone.unwrap_or(email).to_owned(), charset));
    }
    // Relay down (a port nobody listens on): nothing sent, nothing lost.
    let closed =
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    let down = run(site
        .command()
        .env("ASHIATO_SMTP_RELAY_HOST", "127.0.0.1")
        .env("ASHIATO_SMTP_RELAY_PORT", closed.port().to_string())
        .arg("mail-outbox"));
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert_eq!(down.stdout.trim(), "0 sent, 1 deferred, 0 failed");
    let rows = store_mail::outbox_rows(&mut conn).expect("rows");
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.status == store_mail::status::QUEUED), "{rows:?}");
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].last_error.is_some());
    // The relay is back: a pass sends what is due; the deferred one waits for its retry time
    // until an operator flushes.
    let sink = SmtpSink::start();
    let relay = |flush: bool| {
        let mut cmd = site.command();
        cmd.env("ASHIATO_SMTP_RELAY_HOST", "127.0.0.1")
            .env("ASHIATO_SMTP_RELAY_PORT", sink.addr.port().to_string())
            .env("ASHIATO_MAIL_FROM", "noreply@sns.example.jp")
            .arg("mail-outbox");
        if flush {
            cmd.arg("--flush");
        }
        let r = run(&mut cmd);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout.trim().to_owned()
    };
    assert_eq!(relay(false), "4 sent, 0 deferred, 0 failed");
    assert_eq!(relay(false), "0 sent, 0 deferred, 0 failed");
    assert_eq!(relay(true), "1 sent, 0 deferred, 0 failed");
    assert_eq!(relay(true), "0 sent, 0 deferred, 0 failed", "a sent mail went again");
    let got = sink.received();
    assert_eq!(got.len(), 5, "each mail exactly once");
    for (to, charset) in &expected {
        let mails: Vec<_> = got.iter().filter(|m| m.to == [to.clone()]).collect();
        assert_eq!(mails.len(), 1, "{to}");
        let text = String::from_utf8_lossy(&mails[0].data);
        assert!(text.contains(&format!("charset={charset}")), "{to}: {text}");
        assert!(text.contains("\r\nAuto-Submitted: auto-generated\r\n"), "{to}");
        // The envelope sender is the mail's own bounce address (docs/mail.md, bounces).
        assert!(mails[0].from.starts_with("bounce-"), "{}", mails[0].from);
        assert!(mails[0].from.ends_with(&format!("@{DOMAIN}")), "{}", mails[0].from);
    }
    let rows = store_mail::outbox_rows(&mut conn).expect("rows");
    assert!(rows.iter().all(|r| r.status == store_mail::status::SENT), "{rows:?}");
    // The per-recipient limit: 10 an hour (default); the eleventh is not queued.
    let recipient = accounts::find_by_email(
        &mut conn,
        &ashiato_core::account::Email::parse("pc@example.jp").expect("email"),
    )
    .expect("find")
    .expect("member")
    .id;
    let mut queued = 0;
    for _ in 0..12 {
        let ok = write(&mut conn, |c| {
            ashiato_app::mail::enqueue_notification(
                c,
                &config,
                ashiato_app::mail::Event {
                    recipient,
                    actor: site.member,
                    kind: store_mail::NotifyKind::FriendRequest,
                    what: ashiato_mail::NotificationKind::FriendRequest {
                        actor: "たろう".into()
                    },
                    path: "/friends/requests".into(),
                },
                ashiato_app::now(),
            )
        })
        .expect("enqueue");
        queued += usize::from(ok);
    }
    assert_eq!(queued, 9, "10 per hour, one already sent this hour");
    // Never to the actor, never when opted out.
    let to_self = write(&mut conn, |c| {
        ashiato_app::mail::enqueue_notification(
            c,
            &config,
            ashiato_app::mail::Event {
                recipient: site.member,
                actor: site.member,
                kind: store_mail::NotifyKind::Message,
                what: ashiato_mail::NotificationKind::FriendAccepted { actor: "x".into() },
                path: "/".into(),
            },
            ashiato_app::now(),
        )
    })
    .expect("enqueue");
    assert!(!to_self);
}

//! Photos through the router: upload with EXIF GPS and orientation, variants per handset with
//! no metadata, scope on image URLs, bombs and broken files refused with nothing stored.

use ashiato_test_support::http::Request;
use ashiato_test_support::images::{exif_app1_orientation6_gps, png, with_app_segment};
use ashiato_test_support::{Suite, TestDb};

use crate::support::{DOCOMO_FOMA, PC, Phone, TestApp, member};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("diary_photos_are_upright_metadata_free_and_fit_each_handset", diary_photos)
        .on_both("hostile_uploads_are_refused_and_nothing_is_stored", hostile_uploads)
        .on_both("upload_floods_stop_at_the_hourly_count_and_the_quotas", upload_limits)
        .on_both("a_broken_variant_cache_costs_one_build_per_picture", broken_variant_cache)
        .on_both("profile_photo_shows_on_the_profile", profile_photo)
        .on_both("photos_leave_the_disk_with_what_showed_them", photos_leave_the_disk);
}

/// A 64×32 JPEG photo (landscape as stored) carrying EXIF orientation 6 and GPS: shown
/// upright it is 32 wide and 64 high.
pub fn phone_jpeg() -> Vec<u8> {
    let jpeg = ashiato_image::thumbnail(
        &png(64, 32, 32),
        64,
        Some(ashiato_image::Format::Jpeg),
        None,
        &ashiato_image::Limits::default(),
    )
    .expect("encode a JPEG");
    assert_eq!(&jpeg[..2], [0xFF, 0xD8]);
    with_app_segment(&jpeg, &exif_app1_orientation6_gps())
}

/// A multipart/form-data body.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "ashiato-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    for (name, filename, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub fn upload(
    phone: &mut Phone<'_>,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> ashiato_test_support::http::Response {
    phone.get(page);
    let csrf = crate::support::hidden_value(&phone.last, "csrf").expect("csrf");
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    let (ct, body) = multipart(&all, files);
    let url = phone.url(action);
    let req = Request {
        method: "POST".into(),
        target: url,
        headers: vec![("Content-Type".into(), ct)],
        body,
    };
    phone.send(req)
}

/// The JPEG's size from its SOF marker.
fn jpeg_size(bytes: &[u8]) -> (u16, u16) {
    let mut i = 2;
    while i + 9 < bytes.len() {
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if (0xC0..=0xC3).contains(&marker) {
            return (
                u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]),
                u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]),
            );
        }
        i += 2 + len;
    }
    panic!("no SOF marker");
}

fn has_app1(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w == b"Exif\x00\x00") || bytes.windows(2).any(|w| w == [0xFF, 0xE1])
}

pub fn img_srcs(page: &str) -> Vec<String> {
    page.match_indices("src=\"")
        .map(|(i, _)| page[i + 5..].split('"').next().unwrap_or("").replace("&amp;", "&"))
        .collect()
}

fn diary_photos(t: &TestDb) {
    let owner = member(t, "owner@example.jp", "撮る人");
    let friend = member(t, "friend@docomo.ne.jp", "友達");
    let au_friend = member(t, "friend@ezweb.ne.jp", "エーユー友達");
    let sb_friend = member(t, "friend@softbank.ne.jp", "ソフトバンク友達");
    member(t, "stranger@example.jp", "他人");
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            for f in [friend, au_friend, sb_friend] {
                ashiato_store::friends::befriend(c, owner, f, ashiato_app::now())?;
            }
            Ok::<_, ashiato_store::StoreError>(())
        })
        .expect("friends");
    }
    let dir = tempfile::tempdir().expect("data dir");
    let data_dir = dir.path().to_owned();
    let app = TestApp::start_with(t, move |c| c.data_dir = data_dir);
    let mut pc = Phone::new(&app, PC);
    pc.login("owner@example.jp");
    let photo = phone_jpeg();
    assert!(has_app1(&photo));
    let res = upload(
        &mut pc,
        "/diary/new",
        "/diary/new",
        &[("title", "海"), ("body", "撮りました"), ("scope", "friends")],
        &[("photo1", "DSC0001.JPG", &photo)],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    pc.follow(&res);
    let srcs = img_srcs(&pc.last);
    assert_eq!(srcs.len(), 1, "{}", pc.last);
    let pc_img = pc.get(&srcs[0]);
    assert_eq!(pc_img.status, 200);
    assert!(!has_app1(&pc_img.body), "EXIF (GPS) survived");
    let ct = pc_img.header("content-type").unwrap_or_default().to_owned();
    assert_eq!(ct, "image/jpeg");
    let (w, h) = jpeg_size(&pc_img.body);
    assert!(h > w, "orientation 6 not applied: {w}x{h}");
    // The docomo friend gets a variant for its screen in a format it shows (never PNG).
    let mut docomo = Phone::new(&app, DOCOMO_FOMA);
    docomo.login("friend@docomo.ne.jp");
    let entry_path = res
        .header("location")
        .and_then(|l| l.find("/diary/").map(|i| l[i..].split('?').next().unwrap_or("").to_owned()))
        .expect("entry");
    docomo.get(&entry_path);
    let docomo_srcs = img_srcs(&docomo.last);
    assert_eq!(docomo_srcs.len(), 1, "{}", docomo.last);
    assert!(
        docomo_srcs[0].contains("ksid="),
        "cookie-less image URL without the session: {}",
        docomo_srcs[0]
    );
    assert_ne!(
        docomo_srcs[0].split('?').next(),
        srcs[0].split('?').next(),
        "docomo got the PC variant"
    );
    let img = docomo.get(&docomo_srcs[0]);
    assert_eq!(img.status, 200);
    let ct = img.header("content-type").unwrap_or_default();
    assert!(ct == "image/jpeg" || ct == "image/gif", "{ct}");
    assert!(img.body.len() <= 15 * 1024, "{} bytes", img.body.len());
    assert!(!has_app1(&img.body));
    // au and SoftBank friends get their own variants, within their caps.
    for (email, ua, extra) in [
        ("friend@ezweb.ne.jp", crate::support::AU_WAP2, ("X-UP-DEVCAP-SCREENPIXELS", "240,320")),
        (
            "friend@softbank.ne.jp",
            "SoftBank/1.0/910T/TJ001/SN123456789012345 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1",
            ("X-JPHONE-DISPLAY", "240*320"),
        ),
    ] {
        let mut phone = Phone::new(&app, ua);
        phone.headers.push((extra.0.into(), extra.1.into()));
        phone.login(email);
        phone.get(&entry_path);
        let src = img_srcs(&phone.last)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{email}: no image on {}", phone.last));
        assert_ne!(src.split('?').next(), srcs[0].split('?').next(), "{email} got the PC variant");
        let img = phone.get(&src);
        assert_eq!(img.status, 200, "{email}");
        assert!(img.header("content-type").is_some_and(|c| c.starts_with("image/")), "{email}");
        assert!(
            img.body.len() <= 15 * 1024 && !has_app1(&img.body),
            "{email}: {} bytes",
            img.body.len()
        );
    }
    // A stranger cannot see the friends-only photo, even with its URL.
    let mut stranger = Phone::new(&app, PC);
    stranger.login("stranger@example.jp");
    assert_eq!(stranger.get(&srcs[0]).status, 404);
    // Only known variant keys are served (the cache cannot be filled with arbitrary ones).
    let odd = srcs[0].rsplit_once('/').map(|(base, _)| format!("{base}/240j-77k")).expect("path");
    assert_eq!(pc.get(&odd).status, 404);
}

fn hostile_uploads(t: &TestDb) {
    member(t, "owner@example.jp", "撮る人");
    let dir = tempfile::tempdir().expect("data dir");
    let data_dir = dir.path().to_owned();
    let app = TestApp::start_with(t, move |c| c.data_dir = data_dir);
    let mut pc = Phone::new(&app, PC);
    pc.login("owner@example.jp");
    let bomb = png(60_000, 60_000, 1);
    let mut truncated = phone_jpeg();
    truncated.truncate(truncated.len() / 2);
    for (name, bytes, message) in [
        ("bomb.png", bomb.as_slice(), "画像が大きすぎます"),
        ("broken.jpg", truncated.as_slice(), "JPEG・PNG・GIF"),
        ("notes.txt", b"just text, not an image".as_slice(), "JPEG・PNG・GIF"),
    ] {
        let res = upload(
            &mut pc,
            "/diary/new",
            "/diary/new",
            &[("title", "題"), ("body", "本文は残る"), ("scope", "public")],
            &[("photo1", name, bytes)],
        );
        assert_eq!(res.status, 422, "{name}: {}", pc.last);
        assert!(pc.last.contains(message), "{name}: {}", pc.last);
        assert!(pc.last.contains("本文は残る"), "{name}: the typed text was lost");
    }
    let mut conn = t.db.conn().expect("connection");
    use diesel::prelude::*;
    let photos: i64 =
        ashiato_store::schema::photos::table.count().get_result(&mut *conn).expect("count");
    let entries: i64 =
        ashiato_store::schema::diary_entries::table.count().get_result(&mut *conn).expect("count");
    assert_eq!((photos, entries), (0, 0), "a refused upload stored something");
    assert!(
        !dir.path().join("photos").exists()
            || std::fs::read_dir(dir.path().join("photos")).expect("dir").next().is_none()
    );
}

fn profile_photo(t: &TestDb) {
    let me = member(t, "me@example.jp", "自分");
    member(t, "other@example.jp", "誰か");
    let dir = tempfile::tempdir().expect("data dir");
    let data_dir = dir.path().to_owned();
    let app = TestApp::start_with(t, move |c| c.data_dir = data_dir);
    let mut pc = Phone::new(&app, PC);
    pc.login("me@example.jp");
    let res = upload(
        &mut pc,
        "/settings/photo",
        "/settings/photo",
        &[],
        &[("photo", "me.png", &png(40, 40, 40))],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let mut other = Phone::new(&app, PC);
    other.login("other@example.jp");
    other.get(&format!("/m/{me}"));
    let srcs = img_srcs(&other.last);
    assert_eq!(srcs.len(), 1, "{}", other.last);
    let img = other.get(&srcs[0]);
    assert_eq!(img.status, 200);
    assert!(img.header("content-type").is_some_and(|c| c.starts_with("image/")));
}

/// Names of the files under `dir/kind` (`photos` masters or `variants`), sorted.
pub fn files_under(dir: &std::path::Path, kind: &str) -> Vec<String> {
    let mut names = Vec::new();
    for shard in std::fs::read_dir(dir.join(kind)).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(shard.path()).into_iter().flatten().flatten() {
            names.push(f.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
}

/// The hashes of the masters on disk.
pub fn masters(dir: &std::path::Path) -> Vec<String> {
    files_under(dir, "photos")
        .iter()
        .map(|n| n.split('.').next().unwrap_or("").to_owned())
        .collect()
}

/// A photo replaced in its diary slot, a deleted entry's photos, a replaced profile photo: each
/// is gone from its URL, and its master and cached variants from the disk, unless another
/// member's upload of the same bytes still uses the file.
fn photos_leave_the_disk(t: &TestDb) {
    member(t, "keeper@example.jp", "残す人");
    member(t, "twin@example.jp", "同じ写真の人");
    let dir = tempfile::tempdir().expect("data dir");
    let data_dir = dir.path().to_owned();
    let app = TestApp::start_with(t, move |c| c.data_dir = data_dir);
    let mut pc = Phone::new(&app, PC);
    pc.login("keeper@example.jp");

    // An entry with photo A, seen once (so a variant is cached).
    let res = upload(
        &mut pc,
        "/diary/new",
        "/diary/new",
        &[("title", "写真"), ("body", "一枚目"), ("scope", "public")],
        &[("photo1", "a.jpg", &phone_jpeg())],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let entry = res.header("location").and_then(|l| l.rsplit('/').next()?.parse::<i64>().ok());
    let entry = entry.expect("entry id in the redirect");
    pc.follow(&res);
    let a_src = img_srcs(&pc.last).pop().expect("photo A on the page");
    assert_eq!(pc.get(&a_src).status, 200);
    // The same form sent again (a double tap): the same entry, and its photo is not kept twice.
    let again = upload(
        &mut pc,
        "/diary/new",
        "/diary/new",
        &[("title", "写真"), ("body", "一枚目"), ("scope", "public")],
        &[("photo1", "a.jpg", &phone_jpeg())],
    );
    assert_eq!(again.header("location"), res.header("location"), "{}", pc.last);
    let keeper = {
        let mut conn = t.db.conn().expect("connection");
        let email = ashiato_core::account::Email::parse("keeper@example.jp").expect("email");
        let m = ashiato_store::accounts::find_by_email(&mut conn, &email).expect("q").expect("m");
        assert_eq!(ashiato_store::photos::usage(&mut conn, m.id).expect("usage").0, 1);
        m.id
    };
    let a = masters(dir.path());
    assert_eq!(a.len(), 1);
    assert!(files_under(dir.path(), "variants").iter().any(|v| v.starts_with(&a[0])));

    // Replaced by B in the same slot: A's URL answers 404 and A's files are gone.
    let res = upload(
        &mut pc,
        &format!("/diary/{entry}/edit"),
        &format!("/diary/{entry}/edit"),
        &[("title", "写真"), ("body", "差し替え"), ("scope", "public")],
        &[("photo1", "b.png", &png(48, 48, 48))],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    assert_eq!(pc.get(&a_src).status, 404);
    let b = masters(dir.path());
    assert_eq!(b.len(), 1);
    assert_ne!(a, b, "A's master is still on disk");
    assert!(!files_under(dir.path(), "variants").iter().any(|v| v.starts_with(&a[0])));
    pc.get(&format!("/diary/{entry}"));
    let b_src = img_srcs(&pc.last).pop().expect("photo B on the page");
    assert_eq!(pc.get(&b_src).status, 200);

    // The entry deleted: B goes with it, from the site and the disk.
    let res = pc.submit(&format!("/diary/{entry}/delete"), &format!("/diary/{entry}/delete"), &[]);
    assert_eq!(res.status, 303, "{}", pc.last);
    assert_eq!(pc.get(&b_src).status, 404);
    assert!(masters(dir.path()).is_empty(), "{:?}", files_under(dir.path(), "photos"));
    assert!(files_under(dir.path(), "variants").is_empty());

    // Profile photos: P1 replaced by P2 goes; P2, replaced by P3 while another member's
    // upload of the same bytes uses the file, stays for them.
    let p2 = png(40, 40, 40);
    for (name, bytes) in [("p1.png", png(44, 44, 44)), ("p2.png", p2.clone())] {
        let res =
            upload(&mut pc, "/settings/photo", "/settings/photo", &[], &[("photo", name, &bytes)]);
        assert_eq!(res.status, 303, "{}", pc.last);
    }
    assert_eq!(masters(dir.path()).len(), 1, "P1 left behind");
    let p2_master = masters(dir.path());
    let mut twin = Phone::new(&app, PC);
    twin.login("twin@example.jp");
    let res =
        upload(&mut twin, "/settings/photo", "/settings/photo", &[], &[("photo", "same.png", &p2)]);
    assert_eq!(res.status, 303, "{}", twin.last);
    let res = upload(
        &mut pc,
        "/settings/photo",
        "/settings/photo",
        &[],
        &[("photo", "p3.png", &png(36, 36, 36))],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let now = masters(dir.path());
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(now.contains(&p2_master[0]), "a file another member still uses was removed");
    let mut conn = t.db.conn().expect("connection");
    assert_eq!(ashiato_store::photos::usage(&mut conn, keeper).expect("usage").0, 1, "P3 only");
}

/// S-25, an upload flood: the hourly upload count, the stored photo count and the stored
/// bytes each stop uploads with a page that says which, keep the typed text, and store
/// nothing of the refused post.
fn upload_limits(t: &TestDb) {
    member(t, "flood@example.jp", "連投する人");
    let dir = tempfile::tempdir().expect("data dir");
    let counts = || {
        use diesel::prelude::*;
        let mut conn = t.db.conn().expect("connection");
        let photos: i64 =
            ashiato_store::schema::photos::table.count().get_result(&mut *conn).expect("count");
        let entries: i64 = ashiato_store::schema::diary_entries::table
            .count()
            .get_result(&mut *conn)
            .expect("count");
        (photos, entries)
    };
    let post = |app: &TestApp, n: u8| {
        let mut pc = Phone::new(app, PC);
        pc.login("flood@example.jp");
        // A different image each time, so each upload is a new photo.
        let bytes = png(16 + u32::from(n), 16, 16);
        let res = upload(
            &mut pc,
            "/diary/new",
            "/diary/new",
            // A new title each time: the same title and body again would fold into the first
            // entry as a double submit.
            &[("title", &format!("連投{n}")), ("body", "本文は残る"), ("scope", "public")],
            &[("photo1", "p.png", bytes.as_slice())],
        );
        (res.status, pc.last.clone())
    };
    let start = |per_hour: i64, count: i64, bytes: i64| {
        let data_dir = dir.path().to_owned();
        TestApp::start_with(t, move |c| {
            c.data_dir = data_dir;
            c.photo_uploads_per_hour = per_hour;
            c.photo_quota_count = count;
            c.photo_quota_bytes = bytes;
        })
    };
    // Two an hour: the third upload within the hour is refused.
    let app = start(2, 100, 100 * 1024 * 1024);
    assert_eq!(post(&app, 1).0, 303);
    assert_eq!(post(&app, 2).0, 303);
    assert_eq!(counts(), (2, 2), "two entries with a photo each");
    let (status, page) = post(&app, 3);
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("写真の投稿が多すぎます") && page.contains("本文は残る"), "{page}");
    assert_eq!(counts(), (2, 2), "the refused post stored something");
    drop(app);
    // At most two photos kept: the third is refused whatever the hourly allowance.
    let app = start(100, 2, 100 * 1024 * 1024);
    let (status, page) = post(&app, 4);
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("写真の保存容量を超えています"), "{page}");
    drop(app);
    // The bytes stored: a quota of what is stored already refuses any more.
    let used = {
        let mut conn = t.db.conn().expect("connection");
        let id = ashiato_store::accounts::find_by_email(
            &mut conn,
            &ashiato_core::account::Email::parse("flood@example.jp").expect("email"),
        )
        .expect("find")
        .expect("member")
        .id;
        ashiato_store::photos::usage(&mut conn, id).expect("usage").1
    };
    let app = start(100, 100, used);
    let (status, page) = post(&app, 5);
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("写真の保存容量を超えています"), "{page}");
    assert_eq!(counts(), (2, 2));
}

/// R-08, the image cache down: with `variants/` unusable (a file where the directory should
/// be, so nothing can be cached), 16 members asking for the same picture at once all get it,
/// from fewer builds than requests (they share the build in flight). With the cache back, one
/// build fills it and the next request is served from it.
fn broken_variant_cache(t: &TestDb) {
    const REQUESTS: usize = 16;
    member(t, "camera@example.jp", "撮る人");
    let dir = tempfile::tempdir().expect("data dir");
    let data_dir = dir.path().to_owned();
    let app = TestApp::start_with(t, move |c| c.data_dir = data_dir);
    let mut pc = Phone::new(&app, PC);
    pc.login("camera@example.jp");
    // Big enough that making a variant takes a while.
    let picture = png(1200, 900, 900);
    let res = upload(
        &mut pc,
        "/diary/new",
        "/diary/new",
        &[("title", "大きな写真"), ("body", "本文"), ("scope", "public")],
        &[("photo1", "big.png", picture.as_slice())],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    pc.follow(&res);
    let src = img_srcs(&pc.last).into_iter().next().expect("the photo on its entry");
    // The path alone (pages may name the site in full).
    let src = match src.split_once("://") {
        Some((_, rest)) => rest[rest.find('/').unwrap_or(rest.len())..].to_owned(),
        None => src,
    };
    let variants = dir.path().join("variants");
    let _ = std::fs::remove_dir_all(&variants);
    std::fs::write(&variants, b"not a directory").expect("break the cache");
    let builds = || {
        let text = app.get("/metrics").text();
        text.lines()
            .find_map(|l| l.strip_prefix("ashiato_photo_variant_builds_total "))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .expect("the build counter on /metrics")
    };
    let before = builds();
    let cookie = format!("ashiato_session={}", pc.cookie.clone().expect("session cookie"));
    let start = std::sync::Arc::new(std::sync::Barrier::new(REQUESTS));
    let addr = app.addr;
    let threads: Vec<_> = (0..REQUESTS)
        .map(|_| {
            let (start, cookie, src) = (std::sync::Arc::clone(&start), cookie.clone(), src.clone());
            std::thread::spawn(move || {
                let req = Request::get(&src).header("Cookie", &cookie).header("User-Agent", PC);
                start.wait();
                req.send(addr).expect("picture")
            })
        })
        .collect();
    let answers: Vec<_> = threads.into_iter().map(|h| h.join().expect("client")).collect();
    let during = builds() - before;
    for a in &answers {
        assert_eq!(a.status, 200);
        assert_eq!(a.body, answers[0].body, "different bytes for one picture");
    }
    assert!(during < REQUESTS as u64, "{during} builds for {REQUESTS} requests: nothing shared");
    // The cache is back: one build fills it, the next request reads it.
    std::fs::remove_file(&variants).expect("repair the cache");
    let first = builds();
    assert_eq!(pc.get(&src).status, 200);
    assert_eq!(pc.get(&src).status, 200);
    let refilled = builds() - first;
    assert_eq!(refilled, 1, "the repaired cache was not used");
    eprintln!(
        "R-08 {}: variant cache unusable: {REQUESTS} simultaneous requests for one picture, \
         {during} build(s), all answered with the same bytes; cache repaired: 1 build, then \
         served from the cache",
        t.backend().name()
    );
}

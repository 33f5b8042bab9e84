//! Moderation as members and operators meet it: 通報 from every handset, removal with
//! tombstones and photos off the disk, mutes, communities run by their members, and a
//! suspended member's messages leaving inboxes.

use ashiato_core::{CommunityId, MemberId, Scope, TopicId};
use ashiato_store::communities::{self, JoinPolicy, NewCommunity, TopicVisibility};
use ashiato_store::{diary, friends, messages, reports};
use ashiato_test_support::{Suite, TestDb};

use crate::photos::{files_under, img_srcs, masters, phone_jpeg, upload};
use crate::support::{AU_WAP2, Browser, DOCOMO_FOMA, PASSWORD, PC, Phone, TestApp, member};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("members_report_what_they_see_on_every_handset", reporting)
        .on_both("operators_remove_content_and_old_links_show_a_tombstone", removal)
        .on_both("mutes_hide_posts_and_footsteps_without_telling", mutes)
        .on_both("communities_are_run_by_their_admins_and_sub_admins", community_moderation)
        .on_both("a_suspended_members_messages_leave_inboxes", suspended_messages);
}

fn now() -> ashiato_core::Timestamp {
    ashiato_app::now()
}

/// What the tests post on: taro's public and friends-only entries with his comment, his
/// community with a topic and a comment, and his message to hanako.
struct World {
    hanako: MemberId,
    taro: MemberId,
    public: i64,
    friends_only: i64,
    comment: i64,
    community: i64,
    topic: i64,
    topic_comment: i64,
    message: i64,
    sent_by_hanako: i64,
    hanakos_entry: i64,
}

fn world(t: &TestDb) -> World {
    let hanako = member(t, "hanako@docomo.ne.jp", "花子");
    let taro = member(t, "taro@example.jp", "太郎");
    let mut conn = t.db.conn().expect("connection");
    let n = now();
    let public =
        diary::create_entry(&mut conn, taro, "公開日記", "本文", Scope::Public, n).expect("e");
    let friends_only =
        diary::create_entry(&mut conn, taro, "友人まで", "内緒", Scope::Friends, n).expect("e");
    let comment = diary::add_comment(&mut conn, public, taro, "自分でコメント", n).expect("c");
    let hanakos_entry =
        diary::create_entry(&mut conn, hanako, "花子の日記", "本文", Scope::Public, n).expect("e");
    let community = open_community(&mut conn, taro, "猫好き", "猫の話");
    let topic = communities::create_topic(&mut conn, community, taro, "トピック", "本文", n)
        .expect("topic");
    let topic_comment =
        communities::add_topic_comment(&mut conn, topic, taro, "トピックのコメント", n).expect("k");
    let message = messages::send(&mut conn, taro, hanako, "件名", "迷惑な文", None, n).expect("m");
    let sent_by_hanako =
        messages::send(&mut conn, hanako, taro, "返事", "はい", None, n).expect("m");
    World {
        hanako,
        taro,
        public: public.0,
        friends_only: friends_only.0,
        comment: comment.0,
        community: community.0,
        topic: topic.0,
        topic_comment: topic_comment.0,
        message: message.0,
        sent_by_hanako: sent_by_hanako.0,
        hanakos_entry: hanakos_entry.0,
    }
}

/// An open community whose topics every member reads.
fn open_community(
    conn: &mut ashiato_store::AnyConnection,
    admin: MemberId,
    name: &str,
    description: &str,
) -> CommunityId {
    let c = NewCommunity {
        name,
        description,
        category: "",
        join_policy: JoinPolicy::Open,
        topic_visibility: TopicVisibility::Members,
    };
    communities::create(conn, &c, admin, now()).expect("community")
}

fn report_rows(t: &TestDb) -> Vec<reports::Report> {
    let mut conn = t.db.conn().expect("connection");
    reports::list(&mut conn, false, 100).expect("reports")
}

fn reporting(t: &TestDb) {
    let w = world(t);
    let app = TestApp::start(t);
    let mut phone = Phone::new(&app, DOCOMO_FOMA);
    phone.login("hanako@docomo.ne.jp");

    // The entry page links to its report form; the form comes in Shift_JIS with the categories.
    let entry = format!("/diary/{}", w.public);
    phone.get(&entry);
    assert!(phone.last.contains(&format!("{entry}/report")), "{}", phone.last);
    assert!(
        phone.last.contains(&format!("{entry}/comments/{}/report", w.comment)),
        "{}",
        phone.last
    );
    let form = format!("{entry}/report");
    assert_eq!(phone.get(&form).status, 200);
    assert!(
        phone.last.contains("嫌がらせ・誹謗中傷") && phone.last.contains("公開日記"),
        "{}",
        phone.last
    );

    // A report in Shift_JIS with an emoji-free Japanese note is stored as typed.
    let res =
        phone.post_loaded(&form, &[("category", "harassment"), ("note", "何度も悪口を書かれます")]);
    assert_eq!(res.status, 303, "{}", phone.last);
    phone.follow(&res);
    assert!(phone.last.contains("通報しました"), "{}", phone.last);
    let rows = report_rows(t);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].target, entry);
    assert_eq!(rows[0].category, "harassment");
    assert_eq!(rows[0].note, "何度も悪口を書かれます");
    assert_eq!(rows[0].reporter, Some(w.hanako));

    // The same member reporting it again while it is open: folded into the first.
    let res = phone.submit(&form, &form, &[("category", "spam"), ("note", "")]);
    assert_eq!(res.status, 303);
    phone.follow(&res);
    assert!(phone.last.contains("すでに通報済み"), "{}", phone.last);
    assert_eq!(report_rows(t).len(), 1, "a duplicate report is folded");

    // No category: the form again with the problem, nothing stored.
    let res = phone.submit(&form, &form, &[("category", "nonsense")]);
    assert_eq!(res.status, 422, "{}", phone.last);
    assert_eq!(report_rows(t).len(), 1);

    // Every reportable thing she can see has its form.
    let c = w.community;
    for path in [
        format!("/diary/{}/comments/{}", w.public, w.comment),
        format!("/m/{}", w.taro),
        format!("/c/{c}"),
        format!("/c/{c}/topics/{}", w.topic),
        format!("/c/{c}/topics/{}/comments/{}", w.topic, w.topic_comment),
        format!("/messages/{}", w.message),
    ] {
        let page = ashiato_core::moderation::Target::parse(&path).expect("target").page_path();
        phone.get(&page);
        assert!(phone.last.contains(&format!("{path}/report")), "link on {page}: {}", phone.last);
        let res = phone.get(&format!("{path}/report"));
        assert_eq!(res.status, 200, "{path}: {}", phone.last);
        let res = phone.post_loaded(&format!("{path}/report"), &[("category", "other")]);
        assert_eq!(res.status, 303, "{path}: {}", phone.last);
    }
    assert_eq!(report_rows(t).len(), 7);

    // What she cannot see is refused like a missing page, and nothing is stored: a friends-only
    // entry, a message she sent (not received), a comment id under the wrong entry.
    for path in [
        format!("/diary/{}/report", w.friends_only),
        format!("/messages/{}/report", w.sent_by_hanako),
        format!("/diary/{}/comments/{}/report", w.friends_only, w.comment),
        format!("/diary/{}/report", 999_999),
    ] {
        assert_eq!(phone.get(&path).status, 404, "{path}");
    }
    phone.get(&form);
    let res =
        phone.post_loaded(&format!("/diary/{}/report", w.friends_only), &[("category", "spam")]);
    assert_eq!(res.status, 404);
    // Her own entry: a clear refusal.
    let own = format!("/diary/{}/report", w.hanakos_entry);
    assert_eq!(phone.get(&own).status, 422);
    assert!(phone.last.contains("自分の投稿は通報できません"), "{}", phone.last);
    assert_eq!(report_rows(t).len(), 7, "refused reports store nothing");

    // On a PC the same form, in UTF-8.
    let mut pc = Phone::new(&app, PC);
    pc.login("taro@example.jp");
    let res = pc.submit(
        &format!("/diary/{}/report", w.hanakos_entry),
        &format!("/diary/{}/report", w.hanakos_entry),
        &[("category", "copyright"), ("note", "写真が私のものです")],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let rows = report_rows(t);
    assert_eq!(rows[0].category, "copyright");
    assert_eq!(rows[0].reporter, Some(w.taro));
}

fn make_admin(t: &TestDb, id: MemberId) {
    let mut conn = t.db.conn().expect("connection");
    ashiato_store::accounts::set_admin(&mut conn, id, true).expect("admin");
}

fn removal(t: &TestDb) {
    let w = world(t);
    let boss = member(t, "boss@example.jp", "運営");
    make_admin(t, boss);
    let dir = tempfile::tempdir().expect("data dir");
    let data_dir = dir.path().to_owned();
    let app = TestApp::start_with(t, move |c| c.data_dir = data_dir);

    // Taro posts an entry with a photo; hanako reports it from her docomo phone.
    let mut taro = Phone::new(&app, PC);
    taro.login("taro@example.jp");
    let res = upload(
        &mut taro,
        "/diary/new",
        "/diary/new",
        &[("title", "<b>晒し</b>"), ("body", "<script>alert(1)</script>"), ("scope", "public")],
        &[("photo1", "a.jpg", &phone_jpeg())],
    );
    assert_eq!(res.status, 303, "{}", taro.last);
    let entry = res.header("location").and_then(|l| l.rsplit('/').next()?.parse::<i64>().ok());
    let entry = format!("/diary/{}", entry.expect("entry id"));
    taro.follow(&res);
    let src = img_srcs(&taro.last).pop().expect("the photo on the page");
    assert_eq!(taro.get(&src).status, 200, "a variant is made and cached");
    assert_eq!(masters(dir.path()).len(), 1);
    assert!(!files_under(dir.path(), "variants").is_empty());
    let mut hanako = Phone::new(&app, DOCOMO_FOMA);
    hanako.login("hanako@docomo.ne.jp");
    let form = format!("{entry}/report");
    let res =
        hanako.submit(&form, &form, &[("category", "personal_information"), ("note", "住所")]);
    assert_eq!(res.status, 303, "{}", hanako.last);
    let res = hanako.submit(
        &format!("/messages/{}/report", w.message),
        &format!("/messages/{}/report", w.message),
        &[("category", "spam")],
    );
    assert_eq!(res.status, 303);

    // A member cannot reach the queue or remove anything.
    let res = taro.submit(&entry, "/admin/content/remove", &[("path", &entry), ("reason", "x")]);
    assert_eq!(res.status, 404);
    assert_eq!(taro.get("/admin/reports").status, 404);
    assert_eq!(taro.get(&entry).status, 200, "nothing was removed");

    // The admin reads the queue and the report, with the member's text escaped.
    let mut admin = Browser::new(&app);
    assert_eq!(admin.login("boss@example.jp", PASSWORD).status, 303);
    let queue = admin.get("/admin/reports").text();
    assert!(queue.contains(&entry) && queue.contains("hanako@docomo.ne.jp"), "{queue}");
    let rows = report_rows(t);
    let on_entry = rows.iter().find(|r| r.target == entry).expect("report").id;
    let on_message = rows.iter().find(|r| r.target.starts_with("/messages/")).expect("report").id;
    let shown = admin.get(&format!("/admin/reports/{on_entry}")).text();
    assert!(shown.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{shown}");
    assert!(!shown.contains("<script>alert"), "hostile text reached the console raw");
    // A removal needs a reason.
    let page = format!("/admin/reports/{on_entry}");
    let res = admin.submit(&page, "/admin/content/remove", &[("path", &entry), ("reason", " ")]);
    assert_eq!(res.status, 422);
    assert_eq!(taro.get(&entry).status, 200);
    let res =
        admin.submit(&page, "/admin/content/remove", &[("path", &entry), ("reason", "住所の晒し")]);
    assert_eq!(res.status, 303);

    // An old link now shows the tombstone on every handset (410), the photo left the disk,
    // the report is resolved and the audit log has the removal with its reason.
    let res = hanako.get(&entry);
    assert_eq!(res.status, 410);
    assert!(hanako.last.contains("この日記は運営により削除されました"), "{}", hanako.last);
    assert_eq!(taro.get(&entry).status, 410);
    assert!(taro.last.contains("この日記は運営により削除されました"), "{}", taro.last);
    let mut au = Phone::new(&app, AU_WAP2);
    au.login("taro@example.jp");
    assert_eq!(au.get(&entry).status, 410);
    assert!(au.last.contains("運営により削除"), "{}", au.last);
    assert!(masters(dir.path()).is_empty(), "the photo's master is gone from the disk");
    assert!(files_under(dir.path(), "variants").is_empty(), "and its cached variants");
    assert_eq!(taro.get(&src).status, 404, "its URL answers nothing");
    let rows = report_rows(t);
    let r = rows.iter().find(|r| r.id == on_entry).expect("report");
    assert_eq!((r.state, r.action.as_str()), (reports::State::Resolved, "removed"));
    let mut conn = t.db.conn().expect("connection");
    let audit = ashiato_store::audit::list(&mut conn, 10).expect("audit");
    assert_eq!(audit[0].action, "content.remove");
    assert_eq!(audit[0].target, entry);
    assert_eq!(audit[0].reason, "住所の晒し");
    assert_eq!(audit[0].actor, format!("member:{boss}"));
    // Removing it twice: a clear answer, nothing more in the log.
    let again = admin.submit(
        &format!("/admin/reports/{on_message}"),
        "/admin/content/remove",
        &[("path", &entry), ("reason", "again")],
    );
    assert_eq!(again.status, 303);
    assert_eq!(ashiato_store::audit::list(&mut conn, 10).expect("audit").len(), 1);

    // The message report is dismissed with a note: audited, and the message stays.
    let page = format!("/admin/reports/{on_message}");
    let res = admin.submit(&page, &format!("{page}/dismiss"), &[("note", "問題なし")]);
    assert_eq!(res.status, 303);
    let r = reports::find(&mut conn, on_message).expect("report");
    assert_eq!((r.state, r.resolution.as_str()), (reports::State::Dismissed, "問題なし"));
    assert_eq!(
        ashiato_store::audit::list(&mut conn, 1).expect("audit")[0].action,
        "report.dismiss"
    );
    assert_eq!(hanako.get(&format!("/messages/{}", w.message)).status, 200);

    // The console's content page removes a topic: its page and its comments' links answer
    // with the topic's tombstone; the community stays.
    let topic = format!("/c/{}/topics/{}", w.community, w.topic);
    let shown = admin.get(&format!("/admin/content?path={topic}")).text();
    assert!(shown.contains("トピック"), "{shown}");
    let res = admin.submit(
        &format!("/admin/content?path={topic}"),
        "/admin/content/remove",
        &[("path", &topic), ("reason", "規約違反")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(hanako.get(&topic).status, 410);
    assert!(hanako.last.contains("このトピックは運営により削除されました"), "{}", hanako.last);
    assert_eq!(hanako.get(&format!("/c/{}", w.community)).status, 200);
    // A page that never existed is still a plain 404.
    assert_eq!(hanako.get("/diary/987654").status, 404);
}

fn mutes(t: &TestDb) {
    let hanako = member(t, "hanako@docomo.ne.jp", "花子");
    let taro = member(t, "taro@example.jp", "太郎");
    let jiro = member(t, "jiro@example.jp", "次郎");
    let (mine, community) = {
        let mut conn = t.db.conn().expect("connection");
        let n = now();
        friends::befriend(&mut conn, hanako, taro, n).expect("friends");
        friends::befriend(&mut conn, hanako, jiro, n).expect("friends");
        diary::create_entry(&mut conn, taro, "太郎の近況", "元気", Scope::Friends, n).expect("e");
        diary::create_entry(&mut conn, jiro, "次郎の近況", "元気", Scope::Friends, n).expect("e");
        let mine = diary::create_entry(&mut conn, hanako, "花子の日記", "本文", Scope::Public, n)
            .expect("e");
        diary::add_comment(&mut conn, mine, taro, "太郎のコメント", n).expect("c");
        diary::add_comment(&mut conn, mine, jiro, "次郎のコメント", n).expect("c");
        let c = open_community(&mut conn, jiro, "猫好き", "");
        communities::join(&mut conn, c, hanako, n).expect("join");
        communities::join(&mut conn, c, taro, n).expect("join");
        communities::create_topic(&mut conn, c, taro, "太郎のトピック", "本文", n).expect("topic");
        (mine, c)
    };
    let app = TestApp::start(t);
    let mut t_phone = Phone::new(&app, PC);
    t_phone.login("taro@example.jp");
    assert_eq!(t_phone.get(&format!("/m/{hanako}")).status, 200, "taro leaves a footstep");
    let mut phone = Phone::new(&app, DOCOMO_FOMA);
    phone.login("hanako@docomo.ne.jp");
    // Home names the commenter under "new comments": `title ← name`.
    let commented_by = |who: MemberId| format!("← <a href=\"/m/{who}?");
    phone.get("/home");
    assert!(
        phone.last.contains("太郎の近況") && phone.last.contains(&commented_by(taro)),
        "{}",
        phone.last
    );
    phone.get("/footsteps");
    assert!(phone.last.contains("太郎"), "{}", phone.last);

    // She mutes taro from his profile (a confirmation, then the button).
    phone.get(&format!("/m/{taro}"));
    assert!(phone.last.contains(&format!("/m/{taro}/mute")), "{}", phone.last);
    let res = phone.submit(&format!("/m/{taro}/mute"), &format!("/m/{taro}/mute"), &[]);
    assert_eq!(res.status, 303, "{}", phone.last);
    phone.follow(&res);
    assert!(phone.last.contains("ミュートしました"), "{}", phone.last);

    // His entries, comments, topics and footsteps leave her pages; jiro's stay.
    let home = Phone::decode(&phone.get("/home"));
    assert!(!home.contains("太郎の近況") && !home.contains(&commented_by(taro)), "{home}");
    assert!(home.contains("次郎の近況") && home.contains(&commented_by(jiro)), "{home}");
    let thread = Phone::decode(&phone.get(&format!("/diary/{mine}")));
    assert!(!thread.contains("太郎のコメント") && thread.contains("次郎のコメント"), "{thread}");
    let list = Phone::decode(&phone.get(&format!("/c/{community}")));
    assert!(!list.contains("太郎のトピック"), "{list}");
    let steps = Phone::decode(&phone.get("/footsteps"));
    assert!(!steps.contains("太郎"), "{steps}");
    // His own view does not change: he is not told.
    let his = Phone::decode(&t_phone.get(&format!("/diary/{mine}")));
    assert!(his.contains("太郎のコメント"), "{his}");
    assert_eq!(t_phone.get(&format!("/m/{hanako}")).status, 200);

    // Settings lists him; lifting the mute brings everything back.
    let settings = Phone::decode(&phone.get("/settings/mutes"));
    assert!(
        settings.contains("太郎") && settings.contains(&format!("/m/{taro}/mute")),
        "{settings}"
    );
    let res = phone.submit(&format!("/m/{taro}/mute"), &format!("/m/{taro}/mute"), &[]);
    assert_eq!(res.status, 303);
    let home = Phone::decode(&phone.get("/home"));
    assert!(home.contains("太郎の近況") && home.contains(&commented_by(taro)), "{home}");
    // Muting oneself is not a thing.
    assert_eq!(phone.get(&format!("/m/{hanako}/mute")).status, 404);
}

fn role_of(t: &TestDb, c: i64, m: MemberId) -> ashiato_store::community_admin::Role {
    let mut conn = t.db.conn().expect("connection");
    ashiato_store::community_admin::role(&mut conn, CommunityId(c), m).expect("role")
}

fn community_moderation(t: &TestDb) {
    let admin = member(t, "admin@example.jp", "管理人");
    let sub = member(t, "sub@example.jp", "副");
    let carol = member(t, "carol@example.jp", "キャロル");
    let (c, topic, comment) = {
        let mut conn = t.db.conn().expect("connection");
        let n = now();
        let c = open_community(&mut conn, admin, "猫好き", "猫の話");
        communities::join(&mut conn, c, sub, n).expect("join");
        communities::join(&mut conn, c, carol, n).expect("join");
        let topic = communities::create_topic(&mut conn, c, carol, "キャロルの話", "本文", n)
            .expect("topic");
        let k = communities::add_topic_comment(&mut conn, topic, carol, "荒らし", n).expect("k");
        (c.0, topic.0, k.0)
    };
    let app = TestApp::start(t);
    let topic_path = format!("/c/{c}/topics/{topic}");

    // The author edits her topic from an au phone (Shift_JIS).
    let mut carol_phone = Phone::new(&app, AU_WAP2);
    carol_phone.login("carol@example.jp");
    carol_phone.get(&topic_path);
    assert!(carol_phone.last.contains(&format!("{topic_path}/edit")), "{}", carol_phone.last);
    let res = carol_phone.submit(
        &format!("{topic_path}/edit"),
        &format!("{topic_path}/edit"),
        &[("title", "キャロルの話(改)"), ("body", "書き直し")],
    );
    assert_eq!(res.status, 303, "{}", carol_phone.last);
    let page = Phone::decode_for(AU_WAP2, &carol_phone.get(&topic_path));
    assert!(page.contains("キャロルの話(改)") && page.contains("書き直し"), "{page}");
    // A too-long title is refused with the form again.
    let long = "長".repeat(101);
    let res = carol_phone.submit(
        &format!("{topic_path}/edit"),
        &format!("{topic_path}/edit"),
        &[("title", &long), ("body", "x")],
    );
    assert_eq!(res.status, 422);

    // A plain member can neither edit nor delete someone else's topic or comment.
    let mut sub_phone = Phone::new(&app, DOCOMO_FOMA);
    sub_phone.login("sub@example.jp");
    assert_eq!(sub_phone.get(&format!("{topic_path}/edit")).status, 404);
    assert_eq!(sub_phone.get(&format!("{topic_path}/delete")).status, 404);
    sub_phone.get(&topic_path);
    assert!(
        !sub_phone.last.contains(&format!("{topic_path}/comments/{comment}/delete")),
        "{}",
        sub_phone.last
    );
    let res = sub_phone.post_loaded(&format!("{topic_path}/comments/{comment}/delete"), &[]);
    assert_eq!(res.status, 303, "a refused delete changes nothing and says nothing");
    assert_eq!(role_of(t, c, sub), ashiato_store::community_admin::Role::Member);
    let page = Phone::decode(&sub_phone.get(&topic_path));
    assert!(page.contains("荒らし"), "{page}");

    // The admin names the member sub-admin from the members page.
    let mut admin_pc = Phone::new(&app, PC);
    admin_pc.login("admin@example.jp");
    let members = format!("/c/{c}/members");
    let res = admin_pc.submit(&members, &format!("/c/{c}/members/{sub}/subadmin"), &[]);
    assert_eq!(res.status, 303, "{}", admin_pc.last);
    assert_eq!(role_of(t, c, sub), ashiato_store::community_admin::Role::SubAdmin);
    admin_pc.get(&members);
    assert!(admin_pc.last.contains("副管理人"), "{}", admin_pc.last);

    // The sub-admin deletes the comment and removes its author; the admin stays.
    sub_phone.get(&topic_path);
    let res = sub_phone.post_loaded(&format!("{topic_path}/comments/{comment}/delete"), &[]);
    assert_eq!(res.status, 303);
    let page = Phone::decode(&sub_phone.get(&topic_path));
    assert!(!page.contains("荒らし"), "{page}");
    let res = sub_phone.submit(&members, &format!("/c/{c}/members/{carol}/remove"), &[]);
    assert_eq!(res.status, 303, "{}", sub_phone.last);
    assert_eq!(role_of(t, c, carol), ashiato_store::community_admin::Role::Outsider);
    // No form offers it, but a forged one is refused too: the admin cannot be removed.
    let res = sub_phone.submit(&topic_path, &format!("/c/{c}/members/{admin}/remove"), &[]);
    assert_eq!(res.status, 303);
    assert_eq!(role_of(t, c, admin), ashiato_store::community_admin::Role::Admin);
    {
        let mut conn = t.db.conn().expect("connection");
        assert_eq!(communities::find(&mut conn, CommunityId(c)).expect("c").member_count, 2);
    }
    // The removed author cannot edit her topic's community; the sub-admin cannot edit it.
    assert_eq!(sub_phone.get(&format!("/c/{c}/edit")).status, 404);

    // The sub-admin deletes the topic (a confirmation first).
    let res =
        sub_phone.submit(&format!("{topic_path}/delete"), &format!("{topic_path}/delete"), &[]);
    assert_eq!(res.status, 303, "{}", sub_phone.last);
    assert_eq!(sub_phone.get(&topic_path).status, 404);
    {
        let mut conn = t.db.conn().expect("connection");
        assert!(communities::find_topic(&mut conn, TopicId(topic)).is_err());
    }

    // The admin renames the community.
    let res = admin_pc.submit(
        &format!("/c/{c}/edit"),
        &format!("/c/{c}/edit"),
        &[("name", "猫と暮らす"), ("description", "猫との毎日")],
    );
    assert_eq!(res.status, 303, "{}", admin_pc.last);
    admin_pc.get(&format!("/c/{c}"));
    assert!(
        admin_pc.last.contains("猫と暮らす") && admin_pc.last.contains("猫との毎日"),
        "{}",
        admin_pc.last
    );
    let res = admin_pc.submit(
        &format!("/c/{c}/edit"),
        &format!("/c/{c}/edit"),
        &[("name", ""), ("description", "x")],
    );
    assert_eq!(res.status, 422);
}

fn suspended_messages(t: &TestDb) {
    let hanako = member(t, "hanako@example.jp", "花子");
    let spammer = member(t, "spam@example.jp", "宣伝");
    let message = {
        let mut conn = t.db.conn().expect("connection");
        messages::send(&mut conn, spammer, hanako, "お得な話", "今だけ", None, now()).expect("m")
    };
    let app = TestApp::start(t);
    let mut pc = Phone::new(&app, PC);
    pc.login("hanako@example.jp");
    pc.get("/messages");
    assert!(pc.last.contains("お得な話"), "{}", pc.last);
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            ashiato_app::moderation::suspend(
                c,
                ashiato_store::audit::Actor::CommandLine,
                spammer,
                "spam",
                now(),
            )
        })
        .expect("suspend");
        assert_eq!(messages::unread_count(&mut conn, hanako).expect("unread"), 0);
    }
    pc.get("/messages");
    assert!(!pc.last.contains("お得な話"), "{}", pc.last);
    assert_eq!(pc.get(&format!("/messages/{message}")).status, 404);
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            ashiato_app::moderation::unsuspend(
                c,
                ashiato_store::audit::Actor::CommandLine,
                spammer,
                now(),
            )
        })
        .expect("unsuspend");
    }
    pc.get("/messages");
    assert!(pc.last.contains("お得な話"), "nothing was deleted: {}", pc.last);
}

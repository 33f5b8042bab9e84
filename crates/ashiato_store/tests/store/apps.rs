//! OpenSocial storage: installs, app data, nonces and the lifecycle queue on both backends.

use std::collections::BTreeMap;

use ashiato_core::account::NewMember;
use ashiato_core::{AppId, MemberId, Timestamp};
use ashiato_store::apps::{self, NewApp};
use ashiato_store::{accounts, friends, write};
use ashiato_test_support::{Suite, TestDb};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("app_installs_data_and_friends_using", installs_and_data)
        .on_both("nonces_refuse_replays_and_events_are_leased_once", nonces_and_events)
        .on_both("activities_list_newest_first_and_delete_only_own", activities)
        .on_both("the_container_key_is_made_once", container_key);
}

const NOW: Timestamp = Timestamp(1_764_115_200_000);

fn setup(t: &TestDb) -> (AppId, MemberId, MemberId) {
    let mut conn = t.db.conn().expect("connection");
    write(&mut conn, |c| {
        let a = accounts::create_member(
            c,
            &NewMember::validate("a@example.jp", "あ", "kaminari-9-sora").expect("m"),
            "$h",
            NOW,
        )?;
        let b = accounts::create_member(
            c,
            &NewMember::validate("b@example.jp", "い", "kaminari-9-sora").expect("m"),
            "$h",
            NOW,
        )?;
        friends::befriend(c, a, b, NOW)?;
        let hosts = vec!["127.0.0.1:9999".to_owned()];
        let app = apps::create(
            c,
            &NewApp {
                title: "占い",
                description: "今日の運勢",
                gadget_url: "http://127.0.0.1:9999/gadget.xml",
                gadget_xml: "<Module/>",
                start_url: "http://127.0.0.1:9999/mobile",
                allowed_hosts: &hosts,
                consumer_key: "key-1",
                consumer_secret: "secret-1",
                addapp_url: Some("http://127.0.0.1:9999/events"),
                removeapp_url: None,
                event_method: "POST",
                signature_method: "HMAC-SHA1",
                registered_by: Some(a),
                review_state: ashiato_store::apps::REVIEW_APPROVED,
            },
            NOW,
        )?;
        Ok::<_, ashiato_store::StoreError>((app, a, b))
    })
    .expect("setup")
}

fn installs_and_data(t: &TestDb) {
    let (app, a, b) = setup(t);
    let mut conn = t.db.conn().expect("connection");
    assert!(apps::install(&mut conn, app, a, NOW).expect("install"));
    assert!(
        !apps::install(&mut conn, app, a, NOW).expect("again"),
        "installing twice is one install"
    );
    let found = apps::by_consumer_key(&mut conn, "key-1").expect("query").expect("app");
    assert_eq!(
        (found.id, found.allowed_hosts.as_slice()),
        (app, ["127.0.0.1:9999".to_owned()].as_slice())
    );
    assert!(apps::friends_using(&mut conn, app, b).expect("friends").iter().any(|m| m.id == a));
    assert!(apps::friends_using(&mut conn, app, a).expect("friends").is_empty());
    let mut values = BTreeMap::new();
    values.insert("score".to_owned(), "10".to_owned());
    values.insert("luck".to_owned(), "大吉".to_owned());
    write(&mut conn, |c| apps::put_data(c, app, a, &values, NOW)).expect("put");
    values.insert("score".to_owned(), "12".to_owned());
    values.remove("luck");
    write(&mut conn, |c| apps::put_data(c, app, a, &values, NOW)).expect("merge");
    let got = apps::data(&mut conn, app, a, None).expect("get");
    assert_eq!(got.get("score").map(String::as_str), Some("12"));
    assert_eq!(got.get("luck").map(String::as_str), Some("大吉"), "a merge keeps other keys");
    apps::delete_data(&mut conn, app, a, Some(&["luck".to_owned()])).expect("delete");
    assert_eq!(apps::data(&mut conn, app, a, None).expect("get").len(), 1);
    assert!(apps::uninstall(&mut conn, app, a).expect("uninstall"));
    assert!(
        apps::data(&mut conn, app, a, None).expect("get").is_empty(),
        "data outlived the install"
    );
}

fn nonces_and_events(t: &TestDb) {
    let (app, a, _) = setup(t);
    let mut conn = t.db.conn().expect("connection");
    assert!(apps::remember_nonce(&mut conn, "key-1", "n1", NOW).expect("nonce"));
    assert!(
        !apps::remember_nonce(&mut conn, "key-1", "n1", NOW).expect("replay"),
        "a replayed nonce was accepted"
    );
    assert!(apps::remember_nonce(&mut conn, "key-2", "n1", NOW).expect("other consumer"));
    assert_eq!(apps::prune_nonces(&mut conn, NOW.plus_millis(1)).expect("prune"), 2);
    let id = apps::enqueue_event(&mut conn, app, a, "event.addapp", NOW).expect("enqueue");
    let first = apps::claim_events(&mut conn, NOW, 60_000, 10).expect("claim");
    assert_eq!(first.len(), 1);
    assert!(
        apps::claim_events(&mut conn, NOW.plus_millis(1000), 60_000, 10).expect("claim").is_empty(),
        "claimed twice"
    );
    apps::event_failed(&mut conn, id, "connection refused", Some(NOW.plus_millis(5000)))
        .expect("fail");
    assert_eq!(apps::event_status(&mut conn, id).expect("status"), ("queued".to_owned(), 1));
    let again = apps::claim_events(&mut conn, NOW.plus_millis(6000), 60_000, 10).expect("claim");
    assert_eq!(again.len(), 1);
    apps::event_delivered(&mut conn, id, NOW.plus_millis(7000)).expect("delivered");
    assert_eq!(apps::event_status(&mut conn, id).expect("status").0, "sent");
    assert!(
        apps::claim_events(&mut conn, NOW.plus_millis(1_000_000), 60_000, 10)
            .expect("claim")
            .is_empty(),
        "a sent event came back"
    );
}

fn activities(t: &TestDb) {
    let (app, a, b) = setup(t);
    let mut conn = t.db.conn().expect("connection");
    let first = apps::create_activity(&mut conn, app, a, "1", "", "", NOW).expect("create");
    let second = apps::create_activity(&mut conn, app, a, "2", "<b>x</b>", "", NOW.plus_millis(1))
        .expect("create");
    let theirs = apps::create_activity(&mut conn, app, b, "b", "", "", NOW).expect("create");
    let listed = apps::activities_of(&mut conn, &[a, b], Some(app), 10).expect("list");
    let ids: Vec<i64> = listed.iter().map(|x| x.id).collect();
    assert_eq!(ids[0], second, "newest first");
    assert_eq!(ids.len(), 3);
    assert!(
        apps::activities_of(&mut conn, &[a], Some(AppId(app.0 + 1)), 10).expect("list").is_empty()
    );
    // A member deletes only their own activities of this app.
    let n = apps::delete_activities(&mut conn, app, a, &[first, theirs]).expect("delete");
    assert_eq!(n, 1);
    let left: Vec<i64> = apps::activities_of(&mut conn, &[a, b], None, 10)
        .expect("list")
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(left, [second, theirs]);
    // a and b are friends: each sees the other's activities in the home feed, not their own.
    let feed = apps::friends_activities(&mut conn, b, 10).expect("feed");
    assert_eq!(feed.iter().map(|f| f.activity.id).collect::<Vec<_>>(), [second]);
    assert_eq!((feed[0].nickname.as_str(), feed[0].app_title.as_str()), ("あ", "占い"));
    let feed = apps::friends_activities(&mut conn, a, 10).expect("feed");
    assert_eq!(feed.iter().map(|f| f.activity.id).collect::<Vec<_>>(), [theirs]);
}

fn container_key(t: &TestDb) {
    let mut conn = t.db.conn().expect("connection");
    assert_eq!(apps::container_key(&mut conn, "default").expect("read"), None);
    let first =
        apps::save_container_key(&mut conn, "default", "priv-1", "pub-1", NOW).expect("save");
    assert_eq!(first, ("priv-1".to_owned(), "pub-1".to_owned()));
    // A second process that made its own key at the same moment gets the first one back.
    let second =
        apps::save_container_key(&mut conn, "default", "priv-2", "pub-2", NOW).expect("save");
    assert_eq!(second, first);
    assert_eq!(apps::container_key(&mut conn, "default").expect("read"), Some(first));
}

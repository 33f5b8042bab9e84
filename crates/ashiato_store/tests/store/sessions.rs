//! Server-side sessions: secret tokens, expiry, flash messages, logout.

use ashiato_core::account::NewMember;
use ashiato_core::{MemberId, Timestamp, time::MINUTE_MS};
use ashiato_store::sessions::{self, SessionSpec, Transport};
use ashiato_store::{accounts, write};
use ashiato_test_support::{Suite, TestDb};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("session_token_is_secret_and_expires", session_token_is_secret_and_expires)
        .on_both("flash_survives_exactly_one_read", flash_survives_one_read)
        .on_both("logout_everywhere_ends_every_session", logout_everywhere);
}

const NOW: Timestamp = Timestamp(1_764_115_200_000);

fn member(t: &TestDb) -> MemberId {
    let mut conn = t.db.conn().expect("connection");
    let m = NewMember::validate("s@example.jp", "せっしょん", "kaminari-9-sora").expect("valid");
    write(&mut conn, |c| accounts::create_member(c, &m, "$h", NOW)).expect("member")
}

fn spec(member: Option<MemberId>, transport: Transport) -> SessionSpec {
    SessionSpec {
        member,
        transport,
        subscriber_hash: None,
        easy_login: false,
        idle_ms: 30 * MINUTE_MS,
        device: Some("N905i".into()),
        carrier: Some("docomo".into()),
    }
}

fn session_token_is_secret_and_expires(t: &TestDb) {
    let id = member(t);
    let mut conn = t.db.conn().expect("connection");
    let s = sessions::create(&mut conn, &spec(Some(id), Transport::Url), NOW).expect("create");
    assert_eq!(s.token.len(), 43, "256-bit token");
    let found = sessions::find(&mut conn, &s.token, NOW.plus_millis(MINUTE_MS))
        .expect("find")
        .expect("live");
    assert_eq!(found.member, Some(id));
    assert_eq!(found.transport, Transport::Url);
    assert_eq!(found.csrf_token, s.session.csrf_token);
    // The database holds only a hash of the token.
    assert!(!format!("{found:?}").contains(&s.token));
    // A token differing in one character is unknown.
    let mut forged = s.token.clone();
    forged.replace_range(0..1, if forged.starts_with('A') { "B" } else { "A" });
    assert_eq!(sessions::find(&mut conn, &forged, NOW).expect("find"), None);
    // Touching extends it; after the idle timeout it is gone.
    sessions::touch(&mut conn, found.id, NOW.plus_millis(20 * MINUTE_MS), 30 * MINUTE_MS)
        .expect("touch");
    assert!(
        sessions::find(&mut conn, &s.token, NOW.plus_millis(45 * MINUTE_MS))
            .expect("find")
            .is_some()
    );
    assert_eq!(
        sessions::find(&mut conn, &s.token, NOW.plus_millis(51 * MINUTE_MS)).expect("find"),
        None
    );
    // Expired rows are deleted when found, so the token stays dead even if the clock went back.
    assert_eq!(sessions::find(&mut conn, &s.token, NOW).expect("find"), None);
}

fn flash_survives_one_read(t: &TestDb) {
    let mut conn = t.db.conn().expect("connection");
    let s = sessions::create(&mut conn, &spec(None, Transport::Cookie), NOW).expect("create");
    sessions::set_flash(&mut conn, s.session.id, "日記を書きました").expect("flash");
    assert_eq!(
        sessions::take_flash(&mut conn, s.session.id).expect("take").as_deref(),
        Some("日記を書きました")
    );
    assert_eq!(sessions::take_flash(&mut conn, s.session.id).expect("take"), None);
    // The flash also comes with the session itself, so a page reads it without a query;
    // clearing it leaves the session as it was.
    sessions::set_flash(&mut conn, s.session.id, "保存しました").expect("flash");
    let found = sessions::find(&mut conn, &s.token, NOW).expect("find").expect("live");
    assert_eq!(found.flash.as_deref(), Some("保存しました"));
    sessions::clear_flash(&mut conn, s.session.id).expect("clear");
    let found = sessions::find(&mut conn, &s.token, NOW).expect("find").expect("live");
    assert_eq!((found.flash, found.id), (None, s.session.id));
}

fn logout_everywhere(t: &TestDb) {
    let id = member(t);
    let mut conn = t.db.conn().expect("connection");
    let a = sessions::create(&mut conn, &spec(Some(id), Transport::Cookie), NOW).expect("create");
    let b = sessions::create(&mut conn, &spec(Some(id), Transport::Url), NOW).expect("create");
    let anon = sessions::create(&mut conn, &spec(None, Transport::Url), NOW).expect("create");
    assert_eq!(sessions::delete_for_member(&mut conn, id).expect("delete"), 2);
    for token in [&a.token, &b.token] {
        assert_eq!(sessions::find(&mut conn, token, NOW).expect("find"), None);
    }
    assert!(sessions::find(&mut conn, &anon.token, NOW).expect("find").is_some());
    sessions::delete(&mut conn, anon.session.id).expect("logout");
    assert_eq!(sessions::find(&mut conn, &anon.token, NOW).expect("find"), None);
    assert_eq!(
        sessions::purge_expired(&mut conn, NOW.plus_millis(i64::MAX / 2)).expect("purge"),
        0
    );
}

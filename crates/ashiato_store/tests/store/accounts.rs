//! Members, invitations and sign-up: the rules hold on both backends and failures write nothing.

use ashiato_core::account::{Email, NewMember};
use ashiato_core::{MemberId, Problem, Timestamp, time::DAY_MS};
use ashiato_store::accounts::{self, SignUp};
use ashiato_store::{StoreError, friends, write};
use ashiato_test_support::{Suite, TestDb};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("member_is_created_and_found", member_is_created_and_found)
        .on_both("duplicate_email_is_refused_and_writes_nothing", duplicate_email_is_refused)
        .on_both("invitation_makes_inviter_and_invitee_friends", invitation_makes_friends)
        .on_both("expired_used_and_unknown_invitations_are_refused", bad_invitations_are_refused)
        .on_both("sign_up_without_invitation_follows_the_switch", open_signup_switch)
        .on_both("failed_transaction_leaves_nothing_behind", failed_transaction_leaves_nothing)
        .on_both("friend_lists_are_mutual_and_ordered", friend_lists);
}

const NOW: Timestamp = Timestamp(1_764_115_200_000); // 2025-11-26T00:00:00Z

fn new_member(email: &str, nickname: &str) -> NewMember {
    NewMember::validate(email, nickname, "kaminari-9-sora").expect("valid test member")
}

fn add(t: &TestDb, email: &str, nickname: &str) -> MemberId {
    let mut conn = t.db.conn().expect("connection");
    write(&mut conn, |c| {
        accounts::create_member(c, &new_member(email, nickname), "$argon2id$test", NOW)
    })
    .expect("create member")
}

fn member_is_created_and_found(t: &TestDb) {
    let id = add(t, "Hanako@Example.JP", "はなこ");
    let mut conn = t.db.conn().expect("connection");
    let m = accounts::find_member(&mut conn, id).expect("find by id");
    assert_eq!(
        (m.email.as_str(), m.nickname.as_str(), m.created_at),
        ("hanako@example.jp", "はなこ", NOW)
    );
    let by_email =
        accounts::find_by_email(&mut conn, &Email::parse("HANAKO@example.jp").expect("email"))
            .expect("query")
            .expect("found by normalised e-mail");
    assert_eq!(by_email.id, id);
    let (cred_id, hash) =
        accounts::credentials(&mut conn, &Email::parse("hanako@example.jp").expect("email"))
            .expect("query")
            .expect("credentials");
    assert_eq!((cred_id, hash.as_str()), (id, "$argon2id$test"));
    assert!(matches!(
        accounts::find_member(&mut conn, MemberId(id.0 + 1000)),
        Err(StoreError::NotFound)
    ));
}

fn duplicate_email_is_refused(t: &TestDb) {
    add(t, "taro@example.jp", "たろう");
    let mut conn = t.db.conn().expect("connection");
    let again = write(&mut conn, |c| {
        accounts::create_member(c, &new_member("TARO@example.jp", "偽たろう"), "$argon2id$x", NOW)
    });
    assert!(matches!(again, Err(StoreError::Rejected(Problem::EmailTaken))), "{again:?}");
    assert_eq!(accounts::member_count(&mut conn).expect("count"), 1);
}

fn invitation_makes_friends(t: &TestDb) {
    let inviter = add(t, "inviter@example.jp", "さそう人");
    let mut conn = t.db.conn().expect("connection");
    let invitee_email = Email::parse("friend@docomo.ne.jp").expect("email");
    let inv = accounts::create_invitation(&mut conn, Some(inviter), Some(&invitee_email), NOW, 14)
        .expect("invite");
    assert_eq!(inv.token.len(), 22, "128-bit token");
    let member = new_member("friend@docomo.ne.jp", "ともだち");
    let s = SignUp {
        invitation: Some(&inv.token),
        member: &member,
        password_hash: "$argon2id$y",
        open_signup: false,
    };
    let invitee = accounts::sign_up(&mut conn, &s, NOW.plus_millis(DAY_MS)).expect("sign up");
    assert!(friends::are_friends(&mut conn, inviter, invitee).expect("query"));
    assert!(friends::are_friends(&mut conn, invitee, inviter).expect("query"));
    let stored = accounts::find_invitation(&mut conn, &inv.token).expect("still findable");
    assert!(stored.used);
    assert_eq!(stored.inviter, Some(inviter));
}

fn bad_invitations_are_refused(t: &TestDb) {
    let inviter = add(t, "inviter@example.jp", "さそう人");
    let mut conn = t.db.conn().expect("connection");
    let expired =
        accounts::create_invitation(&mut conn, Some(inviter), None, NOW, 1).expect("invite");
    let used =
        accounts::create_invitation(&mut conn, Some(inviter), None, NOW, 14).expect("invite");
    let first = new_member("first@example.jp", "一番");
    let s = SignUp {
        invitation: Some(&used.token),
        member: &first,
        password_hash: "$h",
        open_signup: false,
    };
    accounts::sign_up(&mut conn, &s, NOW).expect("first use works");

    let cases = [
        (Some(expired.token.as_str()), NOW.plus_millis(2 * DAY_MS), Problem::InvitationExpired),
        (Some(used.token.as_str()), NOW, Problem::InvitationUsed),
        (Some("no-such-token-at-all-xx"), NOW, Problem::InvitationUnknown),
    ];
    for (i, (token, when, problem)) in cases.into_iter().enumerate() {
        let m = new_member(&format!("late{i}@example.jp"), "遅刻");
        let s = SignUp { invitation: token, member: &m, password_hash: "$h", open_signup: false };
        let result = accounts::sign_up(&mut conn, &s, when);
        assert!(
            matches!(result, Err(StoreError::Rejected(p)) if p == problem),
            "case {i}: {result:?}"
        );
    }
    assert_eq!(
        accounts::member_count(&mut conn).expect("count"),
        2,
        "refused sign-ups created members"
    );
    assert_eq!(friends::friend_count(&mut conn, inviter).expect("count"), 1);
}

fn open_signup_switch(t: &TestDb) {
    let mut conn = t.db.conn().expect("connection");
    let m = new_member("walkin@example.jp", "飛び込み");
    let closed = SignUp { invitation: None, member: &m, password_hash: "$h", open_signup: false };
    assert!(matches!(
        accounts::sign_up(&mut conn, &closed, NOW),
        Err(StoreError::Rejected(Problem::InvitationRequired))
    ));
    assert_eq!(accounts::member_count(&mut conn).expect("count"), 0);
    let open = SignUp { open_signup: true, ..closed };
    let id = accounts::sign_up(&mut conn, &open, NOW).expect("open sign-up");
    assert_eq!(friends::friend_count(&mut conn, id).expect("count"), 0);
}

fn failed_transaction_leaves_nothing(t: &TestDb) {
    let mut conn = t.db.conn().expect("connection");
    let result: Result<(), StoreError> = write(&mut conn, |c| {
        accounts::create_member(c, &new_member("ghost@example.jp", "幽霊"), "$h", NOW)?;
        Err(StoreError::Rejected(Problem::NotAllowed))
    });
    assert!(result.is_err());
    assert_eq!(
        accounts::member_count(&mut conn).expect("count"),
        0,
        "rolled-back member is visible"
    );
    // The connection is still usable after the rollback.
    write(&mut conn, |c| {
        accounts::create_member(c, &new_member("ghost@example.jp", "幽霊"), "$h", NOW)
    })
    .expect("same insert succeeds after rollback");
}

fn friend_lists(t: &TestDb) {
    let a = add(t, "a@example.jp", "あ");
    let b = add(t, "b@example.jp", "い");
    let c = add(t, "c@example.jp", "う");
    let mut conn = t.db.conn().expect("connection");
    write(&mut conn, |conn| {
        friends::befriend(conn, a, b, NOW)?;
        friends::befriend(conn, a, c, NOW.plus_millis(1000))?;
        // Idempotent: befriending twice or in the other direction changes nothing.
        friends::befriend(conn, b, a, NOW.plus_millis(2000))?;
        friends::befriend(conn, a, a, NOW)
    })
    .expect("befriend");
    let list = friends::list_friends(&mut conn, a, 10, 0).expect("list");
    let names: Vec<&str> = list.iter().map(|m| m.nickname.as_str()).collect();
    assert_eq!(names, ["う", "い"], "newest friendship first");
    assert_eq!(friends::friend_count(&mut conn, b).expect("count"), 1);
    friends::unfriend(&mut conn, b, a).expect("unfriend");
    assert!(!friends::are_friends(&mut conn, a, b).expect("query"));
    assert_eq!(friends::friend_count(&mut conn, b).expect("count"), 0);
    assert_eq!(friends::friend_count(&mut conn, a).expect("count"), 1);
}

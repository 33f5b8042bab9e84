//! Mail storage: posting tokens (digest only), settings defaults, exactly-once receipts in the
//! post's transaction, and the outbox claim that cannot double-send.

use ashiato_core::account::NewMember;
use ashiato_core::{MemberId, Scope, Timestamp};
use ashiato_store::mail::{self, NewMail, Notify, NotifyKind, status};
use ashiato_store::{StoreError, accounts, diary, write};
use ashiato_test_support::{Suite, TestDb};

pub fn register(suite: &mut Suite) {
    suite
        .on_both("mail_tokens_are_looked_up_by_digest_and_rotate", tokens)
        .on_both("mail_settings_default_and_save", settings_defaults)
        .on_both("mail_receipt_commits_with_the_post_or_not_at_all", receipts)
        .on_both("outbox_claim_has_one_winner_and_sent_rows_stay_sent", outbox_claim)
        .on_both("outbox_expired_claims_and_retries_come_back", outbox_retry);
}

const NOW: Timestamp = Timestamp(1_764_115_200_000);

fn member(t: &TestDb, email: &str) -> MemberId {
    let mut conn = t.db.conn().expect("connection");
    let m = NewMember::validate(email, "めーる", "kaminari-9-sora").expect("valid");
    write(&mut conn, |c| accounts::create_member(c, &m, "$h", NOW)).expect("member")
}

fn tokens(t: &TestDb) {
    let a = member(t, "a@example.jp");
    let b = member(t, "b@example.jp");
    let mut conn = t.db.conn().expect("connection");
    assert_eq!(mail::member_by_token(&mut conn, "d1").expect("lookup"), None);
    write(&mut conn, |c| mail::set_token(c, a, "n1", "d1", NOW)).expect("token");
    write(&mut conn, |c| mail::set_token(c, b, "n2", "d2", NOW)).expect("token");
    assert_eq!(mail::member_by_token(&mut conn, "d1").expect("lookup"), Some(a));
    assert_eq!(mail::settings(&mut conn, a).expect("settings").token_nonce.as_deref(), Some("n1"));
    // Rotation: the old digest is dead at once.
    write(&mut conn, |c| mail::set_token(c, a, "n3", "d3", NOW)).expect("rotate");
    assert_eq!(mail::member_by_token(&mut conn, "d1").expect("lookup"), None);
    assert_eq!(mail::member_by_token(&mut conn, "d3").expect("lookup"), Some(a));
    // A digest belongs to one member only.
    let clash = write(&mut conn, |c| mail::set_token(c, b, "n4", "d3", NOW));
    assert!(clash.is_err(), "two members with one token digest");
    assert_eq!(mail::member_by_token(&mut conn, "d2").expect("lookup"), Some(b));
}

fn settings_defaults(t: &TestDb) {
    let a = member(t, "a@example.jp");
    let mut conn = t.db.conn().expect("connection");
    let s = mail::settings(&mut conn, a).expect("defaults");
    assert_eq!(s.token_nonce, None);
    assert_eq!(s.phone_address, None);
    assert_eq!(s.notify, Notify::default());
    assert!(s.notify.wants(NotifyKind::FriendRequest) && s.notify.wants(NotifyKind::Message));
    assert!(s.notify.wants(NotifyKind::Comment) && !s.notify.wants(NotifyKind::Topic));
    let mut n = Notify::default();
    n.set(NotifyKind::Message, false);
    n.set(NotifyKind::Topic, true);
    write(&mut conn, |c| {
        mail::set_notify(c, a, n, NOW)?;
        mail::set_phone_address(c, a, Some("taro.@docomo.ne.jp"), NOW)
    })
    .expect("save");
    let s = mail::settings(&mut conn, a).expect("saved");
    assert_eq!(s.notify, n);
    assert_eq!(s.phone_address.as_deref(), Some("taro.@docomo.ne.jp"));
    write(&mut conn, |c| mail::set_phone_address(c, a, None, NOW)).expect("clear");
    assert_eq!(mail::settings(&mut conn, a).expect("saved").phone_address, None);
}

fn receipts(t: &TestDb) {
    let a = member(t, "a@example.jp");
    let mut conn = t.db.conn().expect("connection");
    let post = |conn: &mut ashiato_store::AnyConnection, fail: bool| {
        write(conn, |c| {
            if !mail::insert_receipt(c, a, "k1", "diary", None, NOW)? {
                return Ok(None);
            }
            let id = diary::create_entry(c, a, "メール", "本文", Scope::Friends, NOW)?;
            mail::set_receipt_target(c, a, "k1", id.0)?;
            if fail {
                return Err(StoreError::Unavailable("provoked".into()));
            }
            Ok(Some(id))
        })
    };
    // A failure after the post rolls the receipt back with it: the retry posts.
    assert!(post(&mut conn, true).is_err());
    assert_eq!(mail::receipt_count(&mut conn, a).expect("count"), 0);
    assert!(diary::list_by_author(&mut conn, a, 10, 0).expect("list").is_empty());
    let first = post(&mut conn, false).expect("post");
    assert!(first.is_some());
    // The same key again posts nothing.
    assert_eq!(post(&mut conn, false).expect("duplicate"), None);
    assert_eq!(diary::list_by_author(&mut conn, a, 10, 0).expect("list").len(), 1);
    assert!(mail::receipt_exists(&mut conn, a, "k1").expect("exists"));
    // Keys are per member.
    let b = member(t, "b@example.jp");
    let mut conn = t.db.conn().expect("connection");
    assert!(!mail::receipt_exists(&mut conn, b, "k1").expect("exists"));
}

fn outbox_claim(t: &TestDb) {
    let a = member(t, "a@example.jp");
    let mut conn = t.db.conn().expect("connection");
    let body = b"Subject: x\r\n\r\nbody\r\n\xff\x00".to_vec();
    let id = mail::enqueue(
        &mut conn,
        &NewMail { member: Some(a), to: "a@docomo.ne.jp", kind: "message", message: &body },
        NOW,
    )
    .expect("enqueue");
    assert_eq!(mail::due(&mut conn, NOW, 10).expect("due"), [id]);
    // Two workers on two connections race for the row: exactly one wins.
    let mut other = t.db.conn().expect("second connection");
    let first = mail::claim(&mut conn, id, NOW, 60_000).expect("claim");
    let second = mail::claim(&mut other, id, NOW, 60_000).expect("claim");
    let won = first.expect("the first claim wins");
    assert!(second.is_none(), "claimed twice");
    assert_eq!(won.message, body, "binary message bytes survive");
    assert_eq!((won.to.as_str(), won.attempts), ("a@docomo.ne.jp", 1));
    assert!(mail::due(&mut conn, NOW, 10).expect("due").is_empty());
    assert!(mail::mark_sent(&mut conn, id, NOW).expect("sent"));
    // Sent is final: not due, not claimable, even long after.
    let later = Timestamp(NOW.0 + 86_400_000);
    assert!(mail::due(&mut conn, later, 10).expect("due").is_empty());
    assert!(mail::claim(&mut other, id, later, 60_000).expect("claim").is_none());
    assert!(!mail::mark_sent(&mut other, id, later).expect("second mark"));
    let rows = mail::outbox_rows(&mut conn).expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].status.as_str(), rows[0].sent_at), (status::SENT, Some(NOW.0)));
    // The rate limit counts what was queued for an address.
    assert_eq!(
        mail::queued_since(&mut conn, "a@docomo.ne.jp", Timestamp(NOW.0 - 1)).expect("since"),
        [NOW.0]
    );
    assert_eq!(mail::prune_sent(&mut conn, later).expect("prune"), 1);
}

fn outbox_retry(t: &TestDb) {
    let mut conn = t.db.conn().expect("connection");
    let id = mail::enqueue(
        &mut conn,
        &NewMail { member: None, to: "x@example.jp", kind: "message", message: b"m" },
        NOW,
    )
    .expect("enqueue");
    // A worker claims and dies: the row is not due until the lease runs out.
    assert!(mail::claim(&mut conn, id, NOW, 60_000).expect("claim").is_some());
    assert!(mail::due(&mut conn, Timestamp(NOW.0 + 59_000), 10).expect("due").is_empty());
    let after = Timestamp(NOW.0 + 61_000);
    assert_eq!(mail::due(&mut conn, after, 10).expect("due"), [id]);
    let again = mail::claim(&mut conn, id, after, 60_000).expect("claim").expect("reclaimed");
    assert_eq!(again.attempts, 2);
    // Relay down: back to queued, due later.
    let retry_at = Timestamp(after.0 + 30_000);
    mail::mark_retry(&mut conn, id, Some(retry_at), "connection refused").expect("retry");
    assert!(mail::due(&mut conn, after, 10).expect("due").is_empty());
    assert_eq!(mail::due(&mut conn, retry_at, 10).expect("due"), [id]);
    let row = &mail::outbox_rows(&mut conn).expect("rows")[0];
    assert_eq!(row.status, status::QUEUED);
    assert_eq!(row.last_error.as_deref(), Some("connection refused"));
    // Giving up is final too.
    assert!(mail::claim(&mut conn, id, retry_at, 60_000).expect("claim").is_some());
    mail::mark_retry(&mut conn, id, None, "550 no such user").expect("fail");
    assert!(mail::due(&mut conn, Timestamp(i64::MAX / 2), 10).expect("due").is_empty());
    assert_eq!(mail::outbox_rows(&mut conn).expect("rows")[0].status, status::FAILED);
}

//! Home-page feeds leave out members in a block with the reader, either way (issue 6: "neither
//! side sees the other in search or feeds"), even for what was written before the block.

use ashiato_core::account::NewMember;
use ashiato_core::time::HOUR_MS;
use ashiato_core::{MemberId, Scope, Timestamp};
use ashiato_store::communities::{self, JoinPolicy, NewCommunity, TopicVisibility};
use ashiato_store::{StoreError, accounts, diary, relation, write};
use ashiato_test_support::{Suite, TestDb};

pub fn register(suite: &mut Suite) {
    suite.on_both("home_feeds_leave_out_blocks_either_way", home_feeds_leave_out_blocks);
    suite.on_both("home_counts_agree_with_each_count", home_counts_agree_with_each_count);
}

const NOW: Timestamp = Timestamp(1_764_115_200_000);

fn member(t: &TestDb, email: &str) -> MemberId {
    let mut conn = t.db.conn().expect("connection");
    let m = NewMember::validate(email, "フィード", "kaminari-9-sora").expect("valid");
    write(&mut conn, |c| accounts::create_member(c, &m, "$h", NOW)).expect("member")
}

fn home_feeds_leave_out_blocks(t: &TestDb) {
    let (me, kind, rude, blocker) = (
        member(t, "me@example.jp"),
        member(t, "kind@example.jp"),
        member(t, "rude@example.jp"),
        member(t, "blocker@example.jp"),
    );
    let mut conn = t.db.conn().expect("connection");
    let community = write(&mut conn, |c| -> Result<_, StoreError> {
        let entry = diary::create_entry(c, me, "日記", "本文", Scope::Public, NOW)?;
        for (who, hours) in [(kind, 1), (rude, 2), (blocker, 3)] {
            diary::add_comment(c, entry, who, "コメント", NOW.plus_millis(hours * HOUR_MS))?;
        }
        let community = communities::create(
            c,
            &NewCommunity {
                name: "みんなの広場",
                description: "話そう",
                category: "雑談",
                join_policy: JoinPolicy::Open,
                topic_visibility: TopicVisibility::Members,
            },
            me,
            NOW,
        )?;
        for (who, hours) in [(kind, 1), (rude, 2), (blocker, 3)] {
            communities::join(c, community, who, NOW)?;
            communities::create_topic(
                c,
                community,
                who,
                "話題",
                "本文",
                NOW.plus_millis(hours * HOUR_MS),
            )?;
        }
        // I block one member; another blocks me. Both wrote before the blocks.
        relation::block(c, me, rude, NOW.plus_millis(4 * HOUR_MS))?;
        relation::block(c, blocker, me, NOW.plus_millis(4 * HOUR_MS))?;
        Ok(community)
    })
    .expect("content and blocks");
    let comments = diary::comments_on_mine(&mut conn, me, NOW, 10).expect("comments on mine");
    let authors: Vec<MemberId> = comments.iter().map(|(c, _)| c.author.id).collect();
    assert_eq!(authors, vec![kind], "only the comment of a member outside any block");
    let topics = communities::active_topics_for(&mut conn, me, NOW, 10).expect("topics");
    let starters: Vec<MemberId> = topics.iter().map(|(t, _)| t.author.id).collect();
    assert_eq!(starters, vec![kind], "topics of {community:?}");
    // The others still see what they are not blocked from.
    let theirs = communities::active_topics_for(&mut conn, kind, NOW, 10).expect("topics");
    assert_eq!(theirs.len(), 3);
}

/// The home page's four counts come from one statement; each must equal its own query, with
/// footsteps of a member in a block left out as the footsteps page leaves them out.
fn home_counts_agree_with_each_count(t: &TestDb) {
    use ashiato_store::footsteps::{self, Event};
    use ashiato_store::{friends, members, messages};
    let me = member(t, "counted@example.jp");
    let others: Vec<MemberId> =
        (0..5).map(|i| member(t, &format!("other{i}@example.jp"))).collect();
    let day = 20_000;
    let mut conn = t.db.conn().expect("connection");
    let empty = members::home_counts(&mut conn, me, day).expect("counts");
    assert_eq!(empty, members::HomeCounts::default());
    write(&mut conn, |c| -> Result<_, StoreError> {
        friends::befriend(c, me, others[0], NOW)?;
        friends::befriend(c, me, others[1], NOW)?;
        friends::request(c, others[2], me, "よろしく", NOW)?;
        for from in [others[0], others[3], others[3]] {
            messages::send(c, from, me, "件名", "本文", None, NOW)?;
        }
        relation::block(c, others[4], me, NOW)
    })
    .expect("friends, a request, messages and a block");
    let visits: Vec<Event> = others
        .iter()
        .map(|&visitor| Event { owner: me, visitor, day, at: NOW })
        .chain([Event { owner: me, visitor: others[0], day: day - 1, at: NOW }])
        .collect();
    footsteps::record_batch(&mut conn, &visits).expect("footsteps");
    let counts = members::home_counts(&mut conn, me, day).expect("counts");
    assert_eq!(
        counts,
        members::HomeCounts {
            footsteps_today: 4,
            requests: 1,
            unread: 3,
            friends: 2,
            phone_unconfirmed: false
        },
        "four of five visitors today (one blocked me), one request, three messages, two friends"
    );
    write(&mut conn, |c| {
        ashiato_store::mail::set_phone_address(c, me, Some("me@docomo.ne.jp"), NOW)
    })
    .expect("phone");
    let unconfirmed = members::home_counts(&mut conn, me, day).expect("counts");
    assert!(unconfirmed.phone_unconfirmed, "a new phone address waits for confirmation");
    write(&mut conn, |c| ashiato_store::mail::confirm_phone_address(c, me, "me@docomo.ne.jp", NOW))
        .expect("confirm");
    assert!(!members::home_counts(&mut conn, me, day).expect("counts").phone_unconfirmed);
    assert_eq!(counts.footsteps_today, footsteps::count_on_day(&mut conn, me, day).expect("count"));
    assert_eq!(counts.requests, friends::incoming_count(&mut conn, me).expect("count"));
    assert_eq!(counts.unread, messages::unread_count(&mut conn, me).expect("count"));
    assert_eq!(counts.friends, friends::friend_count(&mut conn, me).expect("count"));
}

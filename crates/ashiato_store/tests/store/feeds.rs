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
    suite.on_both("suspended_members_vanish_from_lists", suspended_members_vanish_from_lists);
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

/// A suspended member's content leaves every list others read, and comes back whole when the
/// suspension ends (nothing is deleted).
fn suspended_members_vanish_from_lists(t: &TestDb) {
    use ashiato_store::{footsteps, friends, members};
    let (me, gone) = (member(t, "me@example.jp"), member(t, "gone@example.jp"));
    let mut conn = t.db.conn().expect("connection");
    let (entry, community, topic) = write(&mut conn, |c| -> Result<_, StoreError> {
        friends::befriend(c, me, gone, NOW)?;
        let entry = diary::create_entry(c, me, "私の日記", "本文", Scope::Public, NOW)?;
        diary::add_comment(c, entry, gone, "消えるコメント", NOW.plus_millis(HOUR_MS))?;
        diary::create_entry(
            c,
            gone,
            "消える日記",
            "本文",
            Scope::Public,
            NOW.plus_millis(HOUR_MS),
        )?;
        let community = communities::create(
            c,
            &NewCommunity {
                name: "広場",
                description: "",
                category: "雑談",
                join_policy: JoinPolicy::Open,
                topic_visibility: TopicVisibility::Members,
            },
            me,
            NOW,
        )?;
        communities::join(c, community, gone, NOW)?;
        let topic = communities::create_topic(c, community, gone, "消えるトピック", "本文", NOW)?;
        communities::add_topic_comment(c, topic, gone, "消える書込", NOW)?;
        Ok((entry, community, topic))
    })
    .expect("content");
    let day = NOW.day_in_zone(ashiato_core::time::JST_OFFSET_MINUTES);
    footsteps::record_batch(
        &mut conn,
        &[footsteps::Event { owner: me, visitor: gone, day, at: NOW }],
    )
    .expect("footstep");
    let since = Timestamp(NOW.0 - HOUR_MS);
    let counts = |conn: &mut ashiato_store::AnyConnection| {
        [
            diary::comments(conn, entry, 100, 0).expect("comments").len(),
            diary::friends_feed(conn, me, 10).expect("feed").len(),
            diary::comments_on_mine(conn, me, since, 10).expect("mine").len(),
            friends::list_friends(conn, me, 10, 0).expect("friends").len(),
            members::search(conn, me, "フィード", 10, 0).expect("search").len(),
            footsteps::visitors(conn, me, since, 10, 0).expect("footsteps").len(),
            communities::topics_of(conn, community, me, 10, 0).expect("topics").len(),
            communities::topic_comments_of(conn, topic, me, 10, 0).expect("comments").len(),
            communities::members(conn, community, false, 10, 0).expect("members").len(),
        ]
    };
    let before = counts(&mut conn);
    assert_eq!(before, [1, 1, 1, 1, 2, 1, 1, 1, 2], "everything of theirs is listed");
    write(&mut conn, |c| accounts::set_suspended(c, gone, Some("spam"), NOW)).expect("suspend");
    assert_eq!(counts(&mut conn), [0, 0, 0, 0, 1, 0, 0, 0, 1], "all of it hidden");
    assert!(matches!(communities::find_topic(&mut conn, topic), Err(StoreError::NotFound)));
    assert_eq!(
        relation::relation(&mut conn, Some(me), gone).expect("relation"),
        ashiato_core::Relation::Blocked,
        "their pages answer as a block does"
    );
    write(&mut conn, |c| accounts::set_suspended(c, gone, None, NOW)).expect("lift");
    assert_eq!(counts(&mut conn), before, "all of it back");
}

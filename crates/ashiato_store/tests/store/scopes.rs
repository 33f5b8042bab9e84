//! Every scoped read path against a small reference model, over random friendship graphs,
//! blocks and scopes (issue 6: "Scopes are enforced in the core for every read path").
//!
//! The model is written from the rules, not from the store: relations come from plain sets,
//! visibility from `Scope::allows`. The store is asked the same questions through SQL.

use std::collections::{BTreeSet, HashSet};

use ashiato_core::account::{NewMember, Profile};
use ashiato_core::footstep::COALESCE_MS;
use ashiato_core::{DiaryId, MemberId, Relation, Scope, Timestamp};
use ashiato_store::db::AnyConnection;
use ashiato_store::{accounts, diary, footsteps, friends, members, relation, write};
use ashiato_test_support::{Suite, TestDb};
use diesel::connection::SimpleConnection;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

pub fn register(suite: &mut Suite) {
    suite.on_both("every_read_path_matches_the_scope_model", every_read_path_matches_the_model);
}

#[derive(Clone, Debug)]
struct Scenario {
    n: usize,
    friendships: Vec<(usize, usize)>,
    blocks: Vec<(usize, usize)>,
    /// (author, scope) per entry.
    entries: Vec<(usize, Scope)>,
    /// (introduction, birthday, area, friends list) scopes per member.
    profile_scopes: Vec<(Scope, Scope, Scope, Scope)>,
    opted_out: Vec<bool>,
    /// (owner, visitor) visits.
    visits: Vec<(usize, usize)>,
}

fn scope() -> impl Strategy<Value = Scope> {
    prop_oneof![Just(Scope::Public), Just(Scope::Fof), Just(Scope::Friends), Just(Scope::Private)]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (3usize..8).prop_flat_map(|n| {
        let pair = (0..n, 0..n);
        (
            Just(n),
            proptest::collection::vec(pair.clone(), 0..n * 2),
            proptest::collection::vec(pair.clone(), 0..3),
            proptest::collection::vec((0..n, scope()), 0..12),
            proptest::collection::vec((scope(), scope(), scope(), scope()), n),
            proptest::collection::vec(proptest::bool::weighted(0.2), n),
            proptest::collection::vec(pair, 0..10),
        )
            .prop_map(
                |(n, friendships, blocks, entries, profile_scopes, opted_out, visits)| Scenario {
                    n,
                    friendships,
                    blocks,
                    entries,
                    profile_scopes,
                    opted_out,
                    visits,
                },
            )
    })
}

/// The reference model: relations from sets, applying blocks after friendships as the store
/// does (a block ends the friendship).
pub(crate) struct Model {
    friends: HashSet<(usize, usize)>,
    blocked: HashSet<(usize, usize)>,
}

impl Model {
    fn new(s: &Scenario) -> Model {
        Model::from_pairs(&s.friendships, &s.blocks)
    }

    /// The model of these friendships and blocks (`(a, b)`: a blocked b).
    pub(crate) fn from_pairs(friendships: &[(usize, usize)], blocks: &[(usize, usize)]) -> Model {
        let mut friends = HashSet::new();
        for &(a, b) in friendships {
            if a != b {
                friends.insert((a, b));
                friends.insert((b, a));
            }
        }
        let mut blocked = HashSet::new();
        for &(a, b) in blocks {
            if a != b {
                blocked.insert((a, b));
                friends.remove(&(a, b));
                friends.remove(&(b, a));
            }
        }
        Model { friends, blocked }
    }

    fn blocked_either(&self, a: usize, b: usize) -> bool {
        self.blocked.contains(&(a, b)) || self.blocked.contains(&(b, a))
    }

    pub(crate) fn relation(&self, n: usize, viewer: usize, owner: usize) -> Relation {
        if viewer == owner {
            Relation::Owner
        } else if self.blocked_either(viewer, owner) {
            Relation::Blocked
        } else if self.friends.contains(&(viewer, owner)) {
            Relation::Friend
        } else if (0..n)
            .any(|m| self.friends.contains(&(viewer, m)) && self.friends.contains(&(m, owner)))
        {
            Relation::FriendOfFriend
        } else {
            Relation::Member
        }
    }
}

fn clear(conn: &mut AnyConnection) {
    // Children first; one statement per table works on both engines.
    for table in [
        "footsteps",
        "footstep_totals",
        "diary_comments",
        "diary_entries",
        "blocks",
        "friend_requests",
        "introductions",
        "friendships",
        "profile_fields",
        "sessions",
        "invitations",
        "members",
    ] {
        conn.batch_execute(&format!("DELETE FROM {table}")).expect("clear table");
    }
}

fn check(t: &TestDb, s: &Scenario) {
    let mut conn = t.db.conn().expect("connection");
    clear(&mut conn);
    let now = Timestamp(1_764_115_200_000);
    let model = Model::new(s);
    let (ids, entry_ids) = write(&mut conn, |c| {
        let mut ids = Vec::new();
        for i in 0..s.n {
            let new = NewMember::validate(
                &format!("m{i}@example.jp"),
                &format!("会員{i}"),
                "kaminari-9-sora",
            )
            .expect("valid member");
            let id = accounts::create_member(c, &new, "$h", now)?;
            let (intro, birthday, area, friends_scope) = s.profile_scopes[i];
            let profile = Profile {
                introduction: format!("intro {i}"),
                introduction_scope: intro,
                birthday: Some((1990, 5, 5)),
                birthday_scope: birthday,
                area: format!("area {i}"),
                area_scope: area,
            };
            accounts::update_profile(c, id, &profile, now)?;
            members::save_settings(
                c,
                id,
                &members::Settings {
                    default_diary_scope: Scope::Friends,
                    friends_scope,
                    stealth_footsteps: false,
                    search_opt_out: s.opted_out[i],
                    language: "ja".into(),
                },
                now,
            )?;
            ids.push(id);
        }
        for &(a, b) in &s.friendships {
            friends::befriend(c, ids[a], ids[b], now)?;
        }
        for &(a, b) in &s.blocks {
            relation::block(c, ids[a], ids[b], now)?;
        }
        let mut entry_ids = Vec::new();
        for (k, &(author, scope)) in s.entries.iter().enumerate() {
            let at = now.plus_millis(i64::try_from(k).unwrap_or(0) * 1000);
            entry_ids.push(diary::create_entry(c, ids[author], &format!("t{k}"), "b", scope, at)?);
        }
        Ok::<_, ashiato_store::StoreError>((ids, entry_ids))
    })
    .expect("scenario written");
    let index = |id: MemberId| ids.iter().position(|m| *m == id).expect("known member");
    let entry_index = |id: DiaryId| entry_ids.iter().position(|e| *e == id).expect("known entry");

    for viewer in 0..s.n {
        for owner in 0..s.n {
            let expected = model.relation(s.n, viewer, owner);
            let got =
                relation::relation(&mut conn, Some(ids[viewer]), ids[owner]).expect("relation");
            assert_eq!(got, expected, "relation {viewer}->{owner} in {s:?}");

            // An author's diary list and single entries.
            let visible: BTreeSet<usize> = s
                .entries
                .iter()
                .enumerate()
                .filter(|(_, (a, sc))| *a == owner && sc.allows(expected))
                .map(|(k, _)| k)
                .collect();
            let listed: BTreeSet<usize> = diary::list_visible(&mut conn, ids[owner], got, 100, 0)
                .expect("list")
                .into_iter()
                .map(|e| entry_index(e.id))
                .collect();
            assert_eq!(listed, visible, "diary list {viewer}->{owner} in {s:?}");
            assert_eq!(
                diary::count_visible(&mut conn, ids[owner], got).expect("count"),
                i64::try_from(visible.len()).unwrap_or(0)
            );
            // Previous/next links only ever point at visible entries.
            for &k in &visible {
                let e = diary::find_entry(&mut conn, entry_ids[k]).expect("entry");
                let (older, newer) = diary::neighbors(&mut conn, &e, got).expect("neighbors");
                for n in [older, newer].into_iter().flatten() {
                    assert!(
                        visible.contains(&entry_index(n)),
                        "neighbor link leaks an entry in {s:?}"
                    );
                }
            }

            // Profile fields, each with its own scope, and the friend list.
            let m = accounts::find_member(&mut conn, ids[owner]).expect("member");
            let shown = m.profile.visible_to(got);
            let (intro, birthday, area, friends_scope) = s.profile_scopes[owner];
            assert_eq!(
                shown.introduction.is_some(),
                intro.allows(expected),
                "introduction in {s:?}"
            );
            assert_eq!(shown.birthday.is_some(), birthday.allows(expected), "birthday in {s:?}");
            assert_eq!(shown.area.is_some(), area.allows(expected), "area in {s:?}");
            assert_eq!(m.friends_scope.allows(got), friends_scope.allows(expected));
        }

        // The home feed: friends' entries that friends may read.
        let expected_feed: BTreeSet<usize> = s
            .entries
            .iter()
            .enumerate()
            .filter(|(_, (a, sc))| {
                model.friends.contains(&(viewer, *a)) && sc.allows(Relation::Friend)
            })
            .map(|(k, _)| k)
            .collect();
        let feed: BTreeSet<usize> = diary::friends_feed(&mut conn, ids[viewer], 100)
            .expect("feed")
            .into_iter()
            .map(|f| entry_index(f.entry.id))
            .collect();
        assert_eq!(feed, expected_feed, "home feed of {viewer} in {s:?}");

        // Search: everyone matching, except opted-out members and blocks either way.
        let expected_search: BTreeSet<usize> = (0..s.n)
            .filter(|&m| (m == viewer || !s.opted_out[m]) && !model.blocked_either(viewer, m))
            .collect();
        let found: BTreeSet<usize> = members::search(&mut conn, ids[viewer], "会員", 100, 0)
            .expect("search")
            .into_iter()
            .map(|m| index(m.id))
            .collect();
        assert_eq!(found, expected_search, "search by {viewer} in {s:?}");
    }

    // Footsteps: the owner's list never shows a member in a block with them.
    let day = now.day_in_zone(ashiato_core::time::JST_OFFSET_MINUTES);
    let events: Vec<footsteps::Event> = s
        .visits
        .iter()
        .filter(|(o, v)| o != v)
        .map(|&(o, v)| footsteps::Event { owner: ids[o], visitor: ids[v], day, at: now })
        .collect();
    footsteps::record_batch(&mut conn, &events).expect("record");
    for (owner, &owner_id) in ids.iter().enumerate() {
        let expected: BTreeSet<usize> = s
            .visits
            .iter()
            .filter(|(o, v)| *o == owner && *v != owner && !model.blocked_either(owner, *v))
            .map(|(_, v)| *v)
            .collect();
        let listed: BTreeSet<usize> =
            footsteps::visitors(&mut conn, owner_id, Timestamp(now.0 - COALESCE_MS), 100, 0)
                .expect("visitors")
                .into_iter()
                .map(|v| index(v.member.id))
                .collect();
        assert_eq!(listed, expected, "footsteps of {owner} in {s:?}");
    }
}

fn every_read_path_matches_the_model(t: &TestDb) {
    // PostgreSQL round trips cost more; fewer cases there still cover every path.
    let cases = match t.backend() {
        ashiato_store::Backend::Sqlite => 48,
        ashiato_store::Backend::Postgres => 16,
    };
    let mut runner =
        TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&scenario(), |s| {
            check(t, &s);
            Ok(())
        })
        .expect("the store agrees with the scope model");
}

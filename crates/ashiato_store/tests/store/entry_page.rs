//! The diary entry page's read ([`entry_page::entry_page`], one statement on PostgreSQL)
//! against a reference model written from the rules, over random graphs of friendships,
//! blocks, suspensions, mutes, scopes and comments; and against the same page read one
//! statement per question ([`entry_page::entry_page_in_steps`]). Issue 17 folded the page into
//! one statement; this is what keeps it saying what the rules say.

use std::collections::HashSet;

use ashiato_core::account::NewMember;
use ashiato_core::{DiaryId, MemberId, PhotoId, Relation, Scope, Timestamp};
use ashiato_store::db::AnyConnection;
use ashiato_store::entry_page::{self, EntryPage};
use ashiato_store::photos::{self, NewPhoto};
use ashiato_store::{StoreError, accounts, diary, friends, mutes, relation, write};
use ashiato_test_support::{Suite, TestDb};
use diesel::connection::SimpleConnection;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::scopes::Model;

pub fn register(suite: &mut Suite) {
    suite.on_both("entry_page_matches_the_model_and_the_steps", entry_page_matches);
}

/// Comments shown per page in these checks: small, so the limit is exercised.
const LIMIT: i64 = 3;

#[derive(Clone, Debug)]
struct Scenario {
    n: usize,
    friendships: Vec<(usize, usize)>,
    blocks: Vec<(usize, usize)>,
    suspended: Vec<bool>,
    /// (member, muted member).
    mutes: Vec<(usize, usize)>,
    /// (author, scope) per entry, written in this order one second apart.
    entries: Vec<(usize, Scope)>,
    /// (entry index, commenter), written in this order.
    comments: Vec<(usize, usize)>,
}

fn scope() -> impl Strategy<Value = Scope> {
    prop_oneof![Just(Scope::Public), Just(Scope::Fof), Just(Scope::Friends), Just(Scope::Private)]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (3usize..7).prop_flat_map(|n| {
        let pair = (0..n, 0..n);
        (
            Just(n),
            proptest::collection::vec(pair.clone(), 0..n * 2),
            proptest::collection::vec(pair.clone(), 0..3),
            proptest::collection::vec(proptest::bool::weighted(0.15), n),
            proptest::collection::vec(pair.clone(), 0..3),
            proptest::collection::vec((0..n, scope()), 1..10),
            proptest::collection::vec((0usize..10, 0..n), 0..16),
        )
            .prop_map(|(n, friendships, blocks, suspended, mutes, entries, comments)| {
                let comments = comments.into_iter().map(|(e, c)| (e % entries.len(), c)).collect();
                Scenario { n, friendships, blocks, suspended, mutes, entries, comments }
            })
    })
}

/// The rules: relations from the scope model's sets ([`Model`]), and a suspended member
/// hidden from everyone else as a block hides them.
fn relation_of(model: &Model, s: &Scenario, viewer: usize, owner: usize) -> Relation {
    if viewer != owner && s.suspended[owner] {
        Relation::Blocked
    } else {
        model.relation(s.n, viewer, owner)
    }
}

fn clear(conn: &mut AnyConnection) {
    for table in [
        "diary_photos",
        "photos",
        "mutes",
        "diary_comments",
        "diary_entries",
        "blocks",
        "friend_requests",
        "friendships",
        "members",
    ] {
        conn.batch_execute(&format!("DELETE FROM {table}")).expect("clear table");
    }
}

fn check(t: &TestDb, s: &Scenario) {
    let mut conn = t.db.conn().expect("connection");
    clear(&mut conn);
    let now = Timestamp(1_764_115_200_000);
    let model = Model::from_pairs(&s.friendships, &s.blocks);
    let (ids, entry_ids, photo_ids) = write(&mut conn, |c| {
        let mut ids = Vec::new();
        for i in 0..s.n {
            let new = NewMember::validate(
                &format!("p{i}@example.jp"),
                &format!("読者{i}"),
                "kaminari-9-sora",
            )
            .expect("valid member");
            ids.push(accounts::create_member(c, &new, "$h", now)?);
        }
        for &(a, b) in &s.friendships {
            friends::befriend(c, ids[a], ids[b], now)?;
        }
        for &(a, b) in &s.blocks {
            relation::block(c, ids[a], ids[b], now)?;
        }
        for &(m, muted) in &s.mutes {
            if m != muted {
                mutes::mute(c, ids[m], ids[muted], now)?;
            }
        }
        let mut entry_ids = Vec::new();
        for (k, &(author, scope)) in s.entries.iter().enumerate() {
            let at = now.plus_millis(i64::try_from(k).unwrap_or(0) * 1000);
            entry_ids.push(diary::create_entry(
                c,
                ids[author],
                &format!("t{k}"),
                "本文",
                scope,
                at,
            )?);
        }
        for (j, &(k, commenter)) in s.comments.iter().enumerate() {
            let at = now.plus_millis(100_000 + i64::try_from(j).unwrap_or(0) * 1000);
            diary::add_comment(c, entry_ids[k], ids[commenter], &format!("c{j}"), at)?;
        }
        // Two photos on the first entry, attached in the order second, first.
        let mut photo_ids = Vec::new();
        for (i, sha) in ["a".repeat(64), "b".repeat(64)].iter().enumerate() {
            let photo = NewPhoto {
                owner: ids[s.entries[0].0],
                sha256: sha,
                format: "jpeg",
                width: 480 + u32::try_from(i).unwrap_or(0),
                height: 360,
                frames: 1,
                byte_size: 1000 + i,
            };
            photo_ids.push(photos::insert(c, &photo, now)?);
        }
        let order: Vec<PhotoId> = vec![photo_ids[1], photo_ids[0]];
        photos::set_entry_photos(c, entry_ids[0], &order)?;
        for (i, &suspended) in s.suspended.iter().enumerate() {
            if suspended {
                accounts::set_suspended(c, ids[i], Some("test"), now)?;
            }
        }
        Ok::<_, StoreError>((ids, entry_ids, order))
    })
    .expect("scenario written");

    for viewer in 0..s.n {
        for (k, &(author, scope)) in s.entries.iter().enumerate() {
            let rel = relation_of(&model, s, viewer, author);
            let got = entry_page::entry_page(&mut conn, ids[viewer], entry_ids[k], LIMIT);
            let steps =
                entry_page::entry_page_in_steps(&mut conn, ids[viewer], entry_ids[k], LIMIT);
            if !scope.allows(rel) {
                assert!(
                    matches!(got, Err(StoreError::NotFound)),
                    "entry {k} shown to {viewer} ({rel:?}, {scope:?}) in {s:?}"
                );
                assert!(matches!(steps, Err(StoreError::NotFound)));
                continue;
            }
            let page: EntryPage = got.unwrap_or_else(|e| panic!("entry {k} for {viewer}: {e}"));
            assert_eq!(page.relation, rel, "relation {viewer}->{author} in {s:?}");
            assert_eq!(page.entry.id, entry_ids[k]);
            assert_eq!(page.author.id, ids[author]);

            // Neighbours: the nearest entries of the same author the viewer may read.
            let readable = |j: &usize| s.entries[*j].0 == author && s.entries[*j].1.allows(rel);
            let older = (0..k).rev().find(readable).map(|j| entry_ids[j]);
            let newer = (k + 1..s.entries.len()).find(readable).map(|j| entry_ids[j]);
            assert_eq!((page.older, page.newer), (older, newer), "neighbours of {k} in {s:?}");

            // Comments: oldest first, none by suspended members or members the viewer muted.
            // (Muting oneself is refused.)
            let muted: HashSet<usize> =
                s.mutes.iter().filter(|(m, x)| *m == viewer && m != x).map(|(_, x)| *x).collect();
            let shown: Vec<(MemberId, String)> = s
                .comments
                .iter()
                .enumerate()
                .filter(|(_, (e, c))| *e == k && !s.suspended[*c] && !muted.contains(c))
                .take(usize::try_from(LIMIT).unwrap_or(0))
                .map(|(j, (_, c))| (ids[*c], format!("c{j}")))
                .collect();
            let listed: Vec<(MemberId, String)> =
                page.comments.iter().map(|c| (c.author.id, c.body.clone())).collect();
            assert_eq!(listed, shown, "comments on {k} for {viewer} in {s:?}");
            assert!(page.comments.iter().all(|c| c.entry == entry_ids[k]));

            let expected_photos: Vec<PhotoId> = if k == 0 { photo_ids.clone() } else { vec![] };
            let got_photos: Vec<PhotoId> = page.photos.iter().map(|p| p.id).collect();
            assert_eq!(got_photos, expected_photos, "photos of entry {k}");

            // And everything, field by field, as the one-question-per-statement read says.
            assert_eq!(steps.expect("the steps find what the statement found"), page);
        }
    }
    // A missing entry is NotFound too.
    let missing = DiaryId(entry_ids.iter().map(|e| e.0).max().unwrap_or(0) + 1000);
    assert!(matches!(
        entry_page::entry_page(&mut conn, ids[0], missing, LIMIT),
        Err(StoreError::NotFound)
    ));
}

fn entry_page_matches(t: &TestDb) {
    let cases = match t.backend() {
        ashiato_store::Backend::Sqlite => 32,
        ashiato_store::Backend::Postgres => 24,
    };
    let mut runner =
        TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&scenario(), |s| {
            check(t, &s);
            Ok(())
        })
        .expect("the entry page agrees with the model and with the steps");
}

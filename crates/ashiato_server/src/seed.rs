//! `ashiato seed`: a large synthetic community for load tests and benchmarks (not for people:
//! `serve --demo` is the believable one).
//!
//! Deterministic: the same counts and seed give the same graph on both backends, so SQLite and
//! PostgreSQL figures in docs/benchmarks.md describe the same data.

use std::time::Instant;

use ashiato_core::account::{Email, NewMember};
use ashiato_core::time::{DAY_MS, JST_OFFSET_MINUTES};
use ashiato_core::{MemberId, Scope, Timestamp, password};
use ashiato_store::db::random_bytes;
use ashiato_store::{Db, StoreError, accounts, diary, footsteps, friends, messages, write};

use crate::error::OpsError;

/// The password of every seeded member.
pub const SEED_PASSWORD: &str = "ashiato-load";

/// A small, fast, deterministic generator (xorshift64*): load data needs repeatability, not
/// cryptographic quality.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

/// What to create.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Members.
    pub members: usize,
    /// Diary entries in all.
    pub diaries: usize,
    /// Friends per member (on average).
    pub friends: usize,
    /// Messages in each member's inbox.
    pub messages: usize,
}

/// Creates the community; returns a one-line summary.
pub fn seed(db: &Db, plan: Plan, now: Timestamp) -> Result<String, OpsError> {
    let started = Instant::now();
    let salt: [u8; password::SALT_LEN] = random_bytes()?;
    let hash = password::hash(SEED_PASSWORD, &salt).map_err(|e| OpsError::Io(e.to_string()))?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut conn = db.conn()?;
    let first = accounts::member_count(&mut conn)?;
    let mut ids: Vec<MemberId> = Vec::with_capacity(plan.members);
    // Batches keep each transaction (and SQLite's one writer) short.
    for chunk in (0..plan.members).collect::<Vec<_>>().chunks(1000) {
        write(&mut conn, |c| -> Result<(), StoreError> {
            for &i in chunk {
                let new = NewMember {
                    email: Email::parse(&format!(
                        "load{}@example.jp",
                        first + i64::try_from(i).unwrap_or(0)
                    ))?,
                    nickname: format!("会員{i}"),
                };
                let joined = Timestamp(now.0 - 400 * DAY_MS);
                let id = accounts::create_member(c, &new, &hash, joined)?;
                accounts::confirm_email(c, id, new.email.as_str(), joined)?;
                ids.push(id);
            }
            Ok(())
        })?;
    }
    let n = ids.len();
    let mut pairs = 0usize;
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        write(&mut conn, |c| -> Result<(), StoreError> {
            for &i in chunk {
                for _ in 0..plan.friends / 2 {
                    let j = rng.below(n);
                    if i != j {
                        friends::befriend(c, ids[i], ids[j], Timestamp(now.0 - 300 * DAY_MS))?;
                        pairs += 1;
                    }
                }
            }
            Ok(())
        })?;
    }
    let scopes = [Scope::Public, Scope::Fof, Scope::Friends, Scope::Friends, Scope::Private];
    let body = "今日は駅前のカフェでケーキを食べました☕🍰 とてもおいしかったです。\n明日も晴れるといいな☀";
    for chunk in (0..plan.diaries).collect::<Vec<_>>().chunks(2000) {
        write(&mut conn, |c| -> Result<(), StoreError> {
            for &k in chunk {
                let author = ids[rng.below(n)];
                let at =
                    Timestamp(now.0 - i64::try_from(rng.below(200 * 24)).unwrap_or(0) * 3_600_000);
                let id = diary::create_entry(
                    c,
                    author,
                    &format!("日記 {k}"),
                    body,
                    scopes[rng.below(scopes.len())],
                    at,
                )?;
                if k % 3 == 0 {
                    diary::add_comment(
                        c,
                        id,
                        ids[rng.below(n)],
                        "いいね！👍",
                        at.plus_millis(60_000),
                    )?;
                }
            }
            Ok(())
        })?;
    }
    let mut sent = 0usize;
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        write(&mut conn, |c| -> Result<(), StoreError> {
            for &to in chunk {
                for m in 0..plan.messages {
                    let from = rng.below(n);
                    if from == to {
                        continue;
                    }
                    let at = Timestamp(
                        now.0 - i64::try_from(rng.below(60 * 24)).unwrap_or(0) * 3_600_000,
                    );
                    messages::send(
                        c,
                        ids[from],
                        ids[to],
                        &format!("お知らせ {m}"),
                        "こんにちは！今度の週末、みんなで花見に行きませんか🌸 返事待ってます📩",
                        None,
                        at,
                    )?;
                    sent += 1;
                }
            }
            Ok(())
        })?;
    }
    let mut events = Vec::new();
    for _ in 0..n * 5 {
        let (owner, visitor) = (ids[rng.below(n)], ids[rng.below(n)]);
        if owner != visitor {
            let at = Timestamp(now.0 - i64::try_from(rng.below(29 * 24)).unwrap_or(0) * 3_600_000);
            events.push(footsteps::Event {
                owner,
                visitor,
                day: at.day_in_zone(JST_OFFSET_MINUTES),
                at,
            });
        }
    }
    for chunk in events.chunks(2000) {
        footsteps::record_batch(&mut conn, chunk)?;
    }
    // Fresh statistics, or PostgreSQL plans the home feed for empty tables.
    ashiato_store::db::analyze(&mut conn)?;
    Ok(format!(
        "seeded {n} members (load{first}@example.jp … password {SEED_PASSWORD}), {pairs} friendships, {} diary entries, {sent} messages, {} footsteps in {:.1} s",
        plan.diaries,
        events.len(),
        started.elapsed().as_secs_f64()
    ))
}

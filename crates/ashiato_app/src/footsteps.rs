//! The footstep write path: every profile and diary view by a logged-in member may leave one, so
//! it must never slow the page (sns.md §3, performance.md P6).
//!
//! Handlers call [`Recorder::visit`], which drops repeats of the same visitor and owner within
//! five minutes in memory and queues the rest without ever waiting on the database (a bounded
//! queue; when full, footsteps are dropped and counted). One background thread writes the
//! queue in batches (one transaction of two multi-row upserts, asynchronous commit on
//! PostgreSQL) every half second. The write is an upsert keyed by (owner, visitor, day), so
//! concurrent processes never race a read-modify-write. On shutdown, or when an owner with
//! queued visits opens their footsteps page, the queue is flushed first. The same thread
//! deletes footsteps older than the page's window once an hour.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ashiato_core::footstep::{COALESCE_MS, is_repeat};
use ashiato_core::time::{DAY_MS, JST_OFFSET_MINUTES};
use ashiato_core::{MemberId, Timestamp};
use ashiato_store::Db;
use ashiato_store::footsteps::{Event, record_batch};

/// How long events wait before the background writer flushes them.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Most events written in one transaction. Each transaction is two multi-row upserts, so a
/// large batch costs little more than a small one.
const BATCH_MAX: usize = 5_000;
/// Most events waiting for the writer. If the database falls this far behind (a few seconds
/// of peak traffic), new footsteps are dropped and counted instead of growing memory or
/// slowing pages: footsteps are the one write allowed to be lost (security.md R-04), and a
/// crash could lose only what is queued (performance.md P6).
const QUEUE_MAX: usize = 20_000;

enum Msg {
    Event(Event),
    Flush(mpsc::Sender<()>),
}

/// Size of the repeat map below which it is never swept.
const RECENT_SWEEP_MIN: usize = 10_000;

/// What handlers and the writer share.
struct Shared {
    /// Last recorded visit per (owner, visitor), to drop repeats within five minutes.
    recent: HashMap<(MemberId, MemberId), Timestamp>,
    /// Size of `recent` at which the next sweep of old pairs runs.
    sweep_at: usize,
    /// Events queued but not yet written, per owner: the footsteps page needs to wait for
    /// the writer only when its owner has some.
    queued: HashMap<MemberId, u32>,
    /// Since when footsteps have been waiting: the queue was empty before, or the writer last
    /// wrote with more arriving meanwhile. `None` while nothing waits. The writer's lag.
    waiting_since: Option<Instant>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            recent: HashMap::new(),
            sweep_at: RECENT_SWEEP_MIN,
            queued: HashMap::new(),
            waiting_since: None,
        }
    }
}

impl Shared {
    /// After events were written (or dropped): nothing waits, or what waits came after now.
    fn after_settling(&mut self) {
        self.waiting_since = (!self.queued.is_empty()).then(Instant::now);
    }
}

/// Queues footsteps and writes them in batches.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::SyncSender<Msg>,
    /// The writer thread, woken by [`Recorder::flush`] (see [`writer`]).
    writer: Option<std::thread::Thread>,
    shared: Arc<Mutex<Shared>>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Recorder {
    /// Starts the background writer for `db`; footsteps older than `keep_days` days (the
    /// footsteps page's window) are pruned by it, at its first write and hourly after.
    pub fn start(db: Db, keep_days: i64) -> Recorder {
        let (mut recorder, rx) = Recorder::unstarted(QUEUE_MAX);
        let for_writer = Arc::clone(&recorder.shared);
        match std::thread::Builder::new()
            .name("ashiato-footsteps".into())
            .spawn(move || writer(&db, &rx, &for_writer, keep_days))
        {
            Ok(handle) => recorder.writer = Some(handle.thread().clone()),
            Err(e) => {
                tracing::error!(error.cause = %e, "cannot start the footstep writer; footsteps are not recorded");
            }
        }
        recorder
    }

    /// A recorder whose queue holds `capacity` messages, and the queue's receiving end.
    fn unstarted(capacity: usize) -> (Recorder, mpsc::Receiver<Msg>) {
        let (tx, rx) = mpsc::sync_channel::<Msg>(capacity);
        let recorder = Recorder {
            tx,
            writer: None,
            shared: Arc::new(Mutex::new(Shared::default())),
            dropped: Arc::new(AtomicU64::new(0)),
        };
        (recorder, rx)
    }

    /// How long the oldest footstep still waiting has waited (zero when none waits): the
    /// writer's lag behind the pages, normally under its half-second flush interval.
    pub fn writer_lag(&self) -> Duration {
        lock(&self.shared).waiting_since.map_or(Duration::ZERO, |since| since.elapsed())
    }

    /// Footsteps queued and not yet written (the writer's backlog).
    pub fn backlog(&self) -> u64 {
        lock(&self.shared).queued.values().map(|&n| u64::from(n)).sum()
    }

    /// Notes that `visitor` saw `owner`'s page at `now` (the caller has already applied the
    /// rules of `ashiato_core::footstep`). Repeats within five minutes are dropped here. Never
    /// blocks on the database.
    pub fn visit(&self, owner: MemberId, visitor: MemberId, now: Timestamp) {
        {
            let mut shared = lock(&self.shared);
            if shared.recent.get(&(owner, visitor)).is_some_and(|last| is_repeat(*last, now)) {
                return;
            }
            shared.recent.insert((owner, visitor), now);
            // Forget pairs that can no longer be repeats, so the map stays small. The sweep
            // walks the whole map, so it runs only when the map has doubled since the last
            // one: at a few thousand views a second every pair is younger than five minutes,
            // and sweeping at a fixed size would walk the map on every view.
            if shared.recent.len() > shared.sweep_at {
                shared.recent.retain(|_, last| now.0 - last.0 < COALESCE_MS);
                shared.sweep_at = (2 * shared.recent.len()).max(RECENT_SWEEP_MIN);
            }
            *shared.queued.entry(owner).or_insert(0) += 1;
            shared.waiting_since.get_or_insert_with(Instant::now);
        }
        let day = now.day_in_zone(JST_OFFSET_MINUTES);
        match self.tx.try_send(Msg::Event(Event { owner, visitor, day, at: now })) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                let mut shared = lock(&self.shared);
                // Let the repeat window allow the next visit through, and the page not wait.
                shared.recent.remove(&(owner, visitor));
                settle(&mut shared.queued, owner, 1);
                if shared.queued.is_empty() {
                    shared.waiting_since = None;
                }
                drop(shared);
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                // One line for the first drop and then at growing intervals, not one per view.
                if n.is_power_of_two() {
                    tracing::warn!(footsteps.dropped = n, "footstep queue full; footsteps dropped");
                }
            }
        }
    }

    /// Footsteps dropped since start because the writer was too far behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Writes everything queued so far and waits until it is stored.
    pub fn flush(&self) {
        let (ack, done) = mpsc::channel();
        if self.tx.send(Msg::Flush(ack)).is_ok() {
            if let Some(writer) = &self.writer {
                writer.unpark();
            }
            let _ = done.recv_timeout(Duration::from_secs(10));
        }
    }

    /// Like [`Recorder::flush`], but returns at once when none of the queued footsteps are on
    /// `owner`'s pages, which is the usual case for the footsteps page.
    pub fn flush_for(&self, owner: MemberId) {
        if lock(&self.shared).queued.contains_key(&owner) {
            self.flush();
        }
    }
}

/// Takes `n` written (or lost) events off `owner`'s queued count.
fn settle(queued: &mut HashMap<MemberId, u32>, owner: MemberId, n: u32) {
    if let Some(left) = queued.get_mut(&owner) {
        *left = left.saturating_sub(n);
        if *left == 0 {
            queued.remove(&owner);
        }
    }
}

/// How often the writer deletes footsteps older than the page's window.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Deletes footsteps that fell out of the page's window (a day's margin for the zone). The
/// running totals are kept apart and stay.
fn prune(db: &Db, keep_days: i64) {
    let before = Timestamp(crate::now().0 - (keep_days.max(1) + 1) * DAY_MS);
    let pruned = db.conn().map_err(|e| e.to_string()).and_then(|mut c| {
        ashiato_store::footsteps::prune(&mut c, before).map_err(|e| e.to_string())
    });
    match pruned {
        Ok(0) => {}
        Ok(n) => tracing::info!(footsteps.pruned = n, "old footsteps pruned"),
        Err(e) => tracing::warn!(error.cause = %e, "old footsteps not pruned"),
    }
}

/// The writer thread's loop. While nothing is queued it sleeps in `recv`, woken by the first
/// event. Once events wait for their flush it sleeps until the flush is due without listening
/// to the queue: a sender wakes a thread blocked in `recv`, and one wake-up per footstep was a
/// context switch per page view. A flush request wakes it early ([`Recorder::flush`] unparks
/// it), and a full batch is written as soon as the thread next looks.
fn writer(db: &Db, rx: &mpsc::Receiver<Msg>, shared: &Mutex<Shared>, keep_days: i64) {
    let mut last_prune: Option<Instant> = None;
    let mut pending: Vec<Event> = Vec::new();
    let mut waiters: Vec<mpsc::Sender<()>> = Vec::new();
    let mut deadline: Option<Instant> = None;
    let take = |m: Msg,
                pending: &mut Vec<Event>,
                waiters: &mut Vec<mpsc::Sender<()>>,
                deadline: &mut Option<Instant>| match m {
        Msg::Event(e) => {
            pending.push(e);
            deadline.get_or_insert_with(|| Instant::now() + FLUSH_EVERY);
        }
        Msg::Flush(ack) => waiters.push(ack),
    };
    loop {
        let mut stop = false;
        if pending.is_empty() && waiters.is_empty() {
            match rx.recv() {
                Ok(m) => take(m, &mut pending, &mut waiters, &mut deadline),
                Err(mpsc::RecvError) => stop = true,
            }
        } else if let Some(d) = deadline {
            std::thread::park_timeout(d.saturating_duration_since(Instant::now()));
        }
        while pending.len() < BATCH_MAX {
            match rx.try_recv() {
                Ok(m) => take(m, &mut pending, &mut waiters, &mut deadline),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    stop = true;
                    break;
                }
            }
        }
        let due = stop
            || !waiters.is_empty()
            || pending.len() >= BATCH_MAX
            || deadline.is_some_and(|d| Instant::now() >= d);
        if due {
            if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                last_prune = Some(Instant::now());
                prune(db, keep_days);
            }
            for chunk in pending.chunks(BATCH_MAX) {
                let written = db
                    .conn()
                    .map_err(|e| e.to_string())
                    .and_then(|mut c| record_batch(&mut c, chunk).map_err(|e| e.to_string()));
                if let Err(e) = written {
                    // Footsteps are the one write allowed to be lost (security.md R-04); say so.
                    tracing::warn!(error.cause = %e, footsteps.lost = chunk.len(), "footsteps not recorded");
                }
                let mut per_owner: HashMap<MemberId, u32> = HashMap::new();
                for e in chunk {
                    *per_owner.entry(e.owner).or_insert(0) += 1;
                }
                let mut shared = lock(shared);
                for (owner, n) in per_owner {
                    settle(&mut shared.queued, owner, n);
                }
                shared.after_settling();
            }
            pending.clear();
            deadline = None;
            for w in waiters.drain(..) {
                let _ = w.send(());
            }
        }
        if stop {
            return;
        }
    }
}

/// The footsteps page of one member: who visited, and how many.
#[derive(Debug)]
pub struct Page {
    /// All footsteps ever counted.
    pub total: i64,
    /// Footsteps today (Japan time).
    pub today: i64,
    /// Visitors in the retention window, newest visit first.
    pub visitors: Vec<ashiato_store::footsteps::Visitor>,
}

/// Reads `owner`'s footsteps page (`limit` visitors from `offset`). Visits still queued in
/// memory belong on it too: they are written first when there are any for this owner.
pub async fn page(
    app: &crate::App,
    owner: MemberId,
    limit: i64,
    offset: i64,
) -> crate::AppResult<Page> {
    let recorder = app.footsteps.clone();
    tokio::task::spawn_blocking(move || recorder.flush_for(owner))
        .await
        .map_err(crate::AppError::internal)?;
    let t = crate::now();
    let since = Timestamp(t.0 - app.config.footstep_days * DAY_MS);
    let today = t.day_in_zone(JST_OFFSET_MINUTES);
    app.run(move |c| {
        Ok(Page {
            total: ashiato_store::footsteps::total(c, owner)?,
            today: ashiato_store::footsteps::count_on_day(c, owner, today)?,
            visitors: ashiato_store::footsteps::visitors(c, owner, since, limit, offset)?,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_764_115_200_000);

    /// With the writer stuck, the page never blocks: the queue fills, later visits are dropped
    /// and counted, and a dropped pair is not mistaken for a repeat on its next visit.
    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        let (recorder, rx) = Recorder::unstarted(2);
        let owner = MemberId(1);
        recorder.visit(owner, MemberId(2), T0);
        recorder.visit(owner, MemberId(3), T0);
        recorder.visit(owner, MemberId(4), T0);
        assert_eq!(recorder.dropped(), 1);
        assert_eq!(lock(&recorder.shared).queued.get(&owner), Some(&2), "only queued visits count");
        // A repeat of a queued pair is coalesced, not dropped.
        recorder.visit(owner, MemberId(2), T0.plus_millis(1_000));
        assert_eq!(recorder.dropped(), 1);
        // The dropped pair tries again on its next view.
        recorder.visit(owner, MemberId(4), T0.plus_millis(1_000));
        assert_eq!(recorder.dropped(), 2);
        let queued: Vec<MemberId> = rx
            .try_iter()
            .filter_map(|m| match m {
                Msg::Event(e) => Some(e.visitor),
                Msg::Flush(_) => None,
            })
            .collect();
        assert_eq!(queued, vec![MemberId(2), MemberId(3)]);
    }

    /// The writer's lag is the age of the oldest waiting footstep: zero with nothing queued,
    /// growing while the (here absent) writer does not write, zero again once all is written.
    #[test]
    fn writer_lag_is_the_age_of_what_waits() {
        let (recorder, _rx) = Recorder::unstarted(10);
        assert_eq!(recorder.writer_lag(), Duration::ZERO);
        recorder.visit(MemberId(1), MemberId(2), T0);
        std::thread::sleep(Duration::from_millis(20));
        recorder.visit(MemberId(1), MemberId(3), T0);
        assert!(recorder.writer_lag() >= Duration::from_millis(20), "{:?}", recorder.writer_lag());
        let mut shared = lock(&recorder.shared);
        settle(&mut shared.queued, MemberId(1), 2);
        shared.after_settling();
        drop(shared);
        assert_eq!(recorder.writer_lag(), Duration::ZERO);
    }

    #[test]
    fn settling_forgets_owners_with_nothing_queued() {
        let mut queued = HashMap::from([(MemberId(1), 3), (MemberId(2), 1)]);
        settle(&mut queued, MemberId(1), 2);
        settle(&mut queued, MemberId(2), 1);
        settle(&mut queued, MemberId(9), 1);
        assert_eq!(queued, HashMap::from([(MemberId(1), 1)]));
    }
}

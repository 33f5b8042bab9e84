//! The footstep write path: every profile and diary view by a logged-in member may leave one, so
//! it must never slow the page (sns.md §3, performance.md P6).
//!
//! Handlers call [`Recorder::visit`], which drops repeats of the same visitor and owner within
//! five minutes in memory and queues the rest. One background thread writes the queue in
//! batches (one transaction, asynchronous commit on PostgreSQL) every half second. The write
//! is an upsert keyed by (owner, visitor, day), so concurrent processes never race a
//! read-modify-write. On shutdown, or when an owner opens their footsteps page, the queue is
//! flushed first.

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ashiato_core::footstep::{COALESCE_MS, is_repeat};
use ashiato_core::time::JST_OFFSET_MINUTES;
use ashiato_core::{MemberId, Timestamp};
use ashiato_store::Db;
use ashiato_store::footsteps::{Event, record_batch};

/// How long events wait before the background writer flushes them.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Most events written in one transaction.
const BATCH_MAX: usize = 500;

enum Msg {
    Event(Event),
    Flush(mpsc::Sender<()>),
}

/// Queues footsteps and writes them in batches.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Msg>,
    recent: Arc<Mutex<HashMap<(MemberId, MemberId), Timestamp>>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

impl Recorder {
    /// Starts the background writer for `db`.
    pub fn start(db: Db) -> Recorder {
        let (tx, rx) = mpsc::channel::<Msg>();
        let recent = Arc::new(Mutex::new(HashMap::new()));
        std::thread::Builder::new()
            .name("ashiato-footsteps".into())
            .spawn(move || writer(&db, &rx))
            .map_or_else(
                |e| tracing::error!(error.cause = %e, "cannot start the footstep writer; footsteps are not recorded"),
                |_| (),
            );
        Recorder { tx, recent }
    }

    /// Notes that `visitor` saw `owner`'s page at `now` (the caller has already applied the
    /// rules of `ashiato_core::footstep`). Repeats within five minutes are dropped here.
    pub fn visit(&self, owner: MemberId, visitor: MemberId, now: Timestamp) {
        {
            let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if recent.get(&(owner, visitor)).is_some_and(|last| is_repeat(*last, now)) {
                return;
            }
            recent.insert((owner, visitor), now);
            // Forget pairs that can no longer be repeats, so the map stays small.
            if recent.len() > 10_000 {
                recent.retain(|_, last| now.0 - last.0 < COALESCE_MS);
            }
        }
        let day = now.day_in_zone(JST_OFFSET_MINUTES);
        let _ = self.tx.send(Msg::Event(Event { owner, visitor, day, at: now }));
    }

    /// Writes everything queued so far and waits until it is stored.
    pub fn flush(&self) {
        let (ack, done) = mpsc::channel();
        if self.tx.send(Msg::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(Duration::from_secs(10));
        }
    }
}

fn writer(db: &Db, rx: &mpsc::Receiver<Msg>) {
    let mut pending: Vec<Event> = Vec::new();
    let mut waiters: Vec<mpsc::Sender<()>> = Vec::new();
    let mut deadline: Option<Instant> = None;
    loop {
        // Wait for work; with events queued, wait only until their flush is due.
        let msg = match deadline {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
        };
        let stop = matches!(msg, Err(RecvTimeoutError::Disconnected));
        for m in msg.into_iter().chain(std::iter::from_fn(|| rx.try_recv().ok())) {
            match m {
                Msg::Event(e) => {
                    pending.push(e);
                    deadline.get_or_insert_with(|| Instant::now() + FLUSH_EVERY);
                }
                Msg::Flush(ack) => waiters.push(ack),
            }
        }
        let due = stop
            || !waiters.is_empty()
            || pending.len() >= BATCH_MAX
            || deadline.is_some_and(|d| Instant::now() >= d);
        if due {
            for chunk in pending.chunks(BATCH_MAX) {
                let written = db
                    .conn()
                    .map_err(|e| e.to_string())
                    .and_then(|mut c| record_batch(&mut c, chunk).map_err(|e| e.to_string()));
                if let Err(e) = written {
                    // Footsteps are the one write allowed to be lost (security.md R-04); say so.
                    tracing::warn!(error.cause = %e, footsteps.lost = chunk.len(), "footsteps not recorded");
                }
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

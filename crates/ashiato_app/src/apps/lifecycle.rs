//! Delivering lifecycle events (`event.addapp`, `event.removeapp`) to apps from the durable
//! queue in the database.
//!
//! One worker thread per process, with its own small Tokio runtime for the HTTP client. It
//! claims due events under a lease (a worker that dies mid-delivery leaves them to be claimed
//! again), groups them by app and type so one signed request carries several `id`s, and marks
//! them sent on a 2xx. A 5xx, a timeout or a refused connection is retried with exponential
//! backoff (10 s, 20 s, 40 s, … up to an hour); a 4xx or a URL the SSRF rules refuse is given
//! up at once, and every event is given up after [`MAX_ATTEMPTS`]. Installs wake the worker;
//! otherwise it looks every [`POLL`]. It also forgets OAuth nonces older than the timestamp
//! window allows.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use ashiato_core::{AppId, MemberId, Timestamp};
use ashiato_opensocial::oauth;
use ashiato_opensocial::proxy::{LifecycleEvent, check_target, lifecycle_request};
use ashiato_store::{Db, apps};

use super::client::{self, HostPolicy, Outbound};
use super::keys::{ContainerKeys, consumer};
use crate::now;

/// Attempts before an event is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// How often the queue is looked at without a wake-up.
pub const POLL: Duration = Duration::from_secs(2);
/// How long a claimed event is reserved for its worker.
const LEASE_MS: i64 = 60_000;
/// Events claimed per round.
const BATCH: i64 = 50;
/// Nonces older than this cannot pass the ±300 s window again.
const NONCE_HORIZON_MS: i64 = 2 * 300 * 1000;

/// Handle to the worker: wake it when an event was queued.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    wake: mpsc::SyncSender<()>,
}

impl Lifecycle {
    /// Starts the worker thread.
    pub fn start(db: Db, allow_private: Vec<String>, keys: ContainerKeys) -> Lifecycle {
        let (wake, rx) = mpsc::sync_channel::<()>(1);
        let spawned = std::thread::Builder::new().name("app-lifecycle".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error.cause = %e, "lifecycle worker: no runtime");
                    return;
                }
            };
            let mut last_prune = Timestamp(0);
            loop {
                match rx.recv_timeout(POLL) {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
                // Deliver until the queue has nothing due.
                while rt.block_on(deliver_due(&db, &allow_private, &keys)) > 0 {}
                let t = now();
                if t.0 - last_prune.0 > 60_000 {
                    last_prune = t;
                    if let Ok(mut c) = db.conn() {
                        let _ = apps::prune_nonces(&mut c, t.plus_millis(-NONCE_HORIZON_MS));
                    }
                }
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error.cause = %e, "lifecycle worker: cannot start");
        }
        Lifecycle { wake }
    }

    /// Asks the worker to look at the queue now.
    pub fn wake(&self) {
        let _ = self.wake.try_send(());
    }
}

/// When to try again after `attempts` failures, or `None` to give up.
pub fn retry_at(attempts: i32, now: Timestamp) -> Option<Timestamp> {
    if attempts + 1 >= MAX_ATTEMPTS {
        return None;
    }
    let secs = (10_i64 << attempts.clamp(0, 20)).min(3600);
    Some(now.plus_millis(secs * 1000))
}

/// Delivers what is due; returns how many events were handled.
pub async fn deliver_due(db: &Db, allow_private: &[String], keys: &ContainerKeys) -> usize {
    let t = now();
    let claimed = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || -> Result<_, ashiato_store::StoreError> {
            let mut c = db.conn()?;
            apps::claim_events(&mut c, t, LEASE_MS, BATCH)
        })
        .await
    };
    let events = match claimed {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => {
            tracing::warn!(error.cause = %e, "lifecycle worker: cannot claim events");
            return 0;
        }
        Err(e) => {
            tracing::error!(error.cause = %e, "lifecycle worker: blocking task failed");
            return 0;
        }
    };
    let n = events.len();
    let mut groups: BTreeMap<(AppId, String), Vec<apps::Event>> = BTreeMap::new();
    for e in events {
        groups.entry((e.app_id, e.event_type.clone())).or_default().push(e);
    }
    for ((app_id, event_type), events) in groups {
        let outcome = deliver_group(db, app_id, &event_type, &events, allow_private, keys).await;
        let db = db.clone();
        let _ = tokio::task::spawn_blocking(move || -> Result<(), ashiato_store::StoreError> {
            let mut c = db.conn()?;
            let t = now();
            for e in &events {
                match &outcome {
                    Ok(()) => apps::event_delivered(&mut c, e.id, t)?,
                    Err((why, transient)) => {
                        let retry = if *transient { retry_at(e.attempts, t) } else { None };
                        if retry.is_none() {
                            tracing::warn!(app.id = app_id.0, event.id = e.id, error.cause = %why, "lifecycle event given up");
                        }
                        apps::event_failed(&mut c, e.id, why, retry)?;
                    }
                }
            }
            Ok(())
        })
        .await;
    }
    n
}

/// One signed request for a group of events; `Err((why, transient))` on failure.
async fn deliver_group(
    db: &Db,
    app_id: AppId,
    event_type: &str,
    events: &[apps::Event],
    allow_private: &[String],
    keys: &ContainerKeys,
) -> Result<(), (String, bool)> {
    let app = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || -> Result<_, ashiato_store::StoreError> {
            let mut c = db.conn()?;
            apps::find(&mut c, app_id)
        })
        .await
        .map_err(|e| (e.to_string(), true))?
        .map_err(|e| (e.to_string(), !matches!(e, ashiato_store::StoreError::NotFound)))?
    };
    let href = match event_type {
        "event.addapp" => app.addapp_url.clone(),
        "event.removeapp" => app.removeapp_url.clone(),
        _ => None,
    }
    .ok_or_else(|| (format!("the app has no {event_type} link"), false))?;
    let url = check_target(&href, &app.allowed_hosts, allow_private)
        .map_err(|e| (e.to_string(), false))?;
    let ids: Vec<String> = events.iter().map(|e| member_id_string(e.member)).collect();
    let nonce = oauth::random_nonce().map_err(|e| (e.to_string(), true))?;
    let rsa = keys.for_app(db, &app).await.map_err(|e| (e, true))?;
    let fwd = lifecycle_request(
        &url,
        Some(&app.event_method),
        &app.id.to_string(),
        &LifecycleEvent { event_type, ids: &ids, extra: &[] },
        &consumer(&app, rsa.as_deref()),
        &nonce,
        now().0 / 1000,
    )
    .map_err(|e| (e.to_string(), false))?;
    let mut headers = vec![("Authorization".to_owned(), fwd.authorization.into_bytes())];
    if let Some(ct) = fwd.content_type {
        headers.push(("Content-Type".to_owned(), ct.into_bytes()));
    }
    headers.push(("User-Agent".to_owned(), b"ashiato-lifecycle/1".to_vec()));
    let policy =
        HostPolicy { registered: app.allowed_hosts.clone(), allow_private: allow_private.to_vec() };
    let resp = client::send(
        &Outbound { method: fwd.method, url: fwd.url, headers, body: fwd.body },
        &policy,
        client::PAGE_TIMEOUT,
        64 * 1024,
    )
    .await
    .map_err(|e| {
        let transient = e.is_transient();
        (e.to_string(), transient)
    })?;
    match resp.status {
        200..=299 => Ok(()),
        408 | 429 | 500..=599 => Err((format!("HTTP {}", resp.status), true)),
        s => Err((format!("HTTP {s}"), false)),
    }
}

fn member_id_string(m: MemberId) -> String {
    m.0.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_gives_up() {
        let t = Timestamp(0);
        assert_eq!(retry_at(0, t), Some(Timestamp(10_000)));
        assert_eq!(retry_at(1, t), Some(Timestamp(20_000)));
        assert_eq!(retry_at(6, t), Some(Timestamp(640_000)));
        assert_eq!(retry_at(MAX_ATTEMPTS - 1, t), None);
    }
}

//! What `/metrics` tells an operator's Prometheus (text exposition format 0.0.4): requests by
//! route pattern and status with a latency histogram, requests by handset class, password
//! logins refused, and, read at scrape time, the footstep queue, the outbox and the
//! connection pool.
//!
//! Counting is a short mutex per request on a small map keyed by route pattern (never a raw
//! path: the label set stays bounded by the routes the server has).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the latency histogram, in seconds.
pub const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Clone, Debug, Default)]
struct Histogram {
    /// Observations at or under each bound of [`BUCKETS`] (not cumulative here).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The counters one process keeps.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Route pattern → status → histogram (nested so a known route costs no allocation).
    requests: Mutex<BTreeMap<String, BTreeMap<u16, Histogram>>>,
    handsets: Mutex<BTreeMap<&'static str, u64>>,
    login_failures: AtomicU64,
    login_refusals: AtomicU64,
}

/// Figures read when Prometheus scrapes, not counted.
#[derive(Clone, Debug, Default)]
pub struct Gauges {
    /// Footsteps queued in memory, not yet written.
    pub footstep_backlog: u64,
    /// Footsteps dropped because the queue was full (since start).
    pub footsteps_dropped: u64,
    /// How long the oldest waiting footstep has waited, in seconds.
    pub footstep_writer_lag: f64,
    /// Outbox mails by state (`pending`, `sent`, `failed`, …).
    pub outbox: Vec<(String, i64)>,
    /// Addresses marked undeliverable after hard bounces.
    pub undeliverable_addresses: i64,
    /// Photo variants made (cache misses that ran the image pipeline) since start.
    pub variant_builds: u64,
    /// Open database connections in the pool.
    pub pool_connections: u32,
    /// Of which idle.
    pub pool_idle: u32,
}

/// Escapes a label value (backslash, double quote, newline).
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    /// Counts one answered request.
    pub fn observe_request(&self, route: &str, status: u16, seconds: f64) {
        let Ok(mut map) = self.requests.lock() else { return };
        if !map.contains_key(route) {
            map.insert(route.to_owned(), BTreeMap::new());
        }
        let Some(statuses) = map.get_mut(route) else { return };
        let h = statuses.entry(status).or_default();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Counts one request by the class of handset that sent it (`docomo`, `pc`, …).
    pub fn count_handset(&self, class: &'static str) {
        if let Ok(mut map) = self.handsets.lock() {
            *map.entry(class).or_default() += 1;
        }
    }

    /// A password login failed (wrong password or unknown address).
    pub fn login_failed(&self) {
        self.login_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A password login was refused unchecked (the account's slowdown or the source's pause).
    pub fn login_refused(&self) {
        self.login_refusals.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self, g: &Gauges) -> String {
        let mut out = String::new();
        out.push_str("# HELP ashiato_http_requests_seconds Requests answered, by route pattern and status, and how long they took.\n");
        out.push_str("# TYPE ashiato_http_requests_seconds histogram\n");
        if let Ok(map) = self.requests.lock() {
            let all = map.iter().flat_map(|(r, s)| s.iter().map(move |(status, h)| (r, status, h)));
            for (route, status, h) in all {
                let labels = format!("route=\"{}\",status=\"{status}\"", label(route));
                let mut cumulative = 0;
                for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                    cumulative += n;
                    let _ = writeln!(
                        out,
                        "ashiato_http_requests_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "ashiato_http_requests_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(out, "ashiato_http_requests_seconds_sum{{{labels}}} {}", h.sum);
                let _ =
                    writeln!(out, "ashiato_http_requests_seconds_count{{{labels}}} {}", h.count);
            }
        }
        out.push_str("# HELP ashiato_handset_requests_total Requests by handset class.\n");
        out.push_str("# TYPE ashiato_handset_requests_total counter\n");
        if let Ok(map) = self.handsets.lock() {
            for (class, n) in map.iter() {
                let _ = writeln!(
                    out,
                    "ashiato_handset_requests_total{{class=\"{}\"}} {n}",
                    label(class)
                );
            }
        }
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");
        };
        let gauge = |out: &mut String, name: &str, help: &str, value: &dyn std::fmt::Display| {
            let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");
        };
        counter(
            &mut out,
            "ashiato_login_failures_total",
            "Password logins that failed.",
            self.login_failures.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "ashiato_login_refusals_total",
            "Password logins refused unchecked (account slowdown or source pause).",
            self.login_refusals.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "ashiato_footstep_backlog",
            "Footsteps queued in memory, not yet written.",
            &g.footstep_backlog,
        );
        gauge(
            &mut out,
            "ashiato_footstep_writer_lag_seconds",
            "How long the oldest footstep still waiting for the writer has waited.",
            &g.footstep_writer_lag,
        );
        counter(
            &mut out,
            "ashiato_footsteps_dropped_total",
            "Footsteps dropped because the queue was full.",
            g.footsteps_dropped,
        );
        out.push_str("# HELP ashiato_outbox_mails Notification mails in the outbox, by state.\n# TYPE ashiato_outbox_mails gauge\n");
        for (state, n) in &g.outbox {
            let _ = writeln!(out, "ashiato_outbox_mails{{state=\"{}\"}} {n}", label(state));
        }
        counter(
            &mut out,
            "ashiato_photo_variant_builds_total",
            "Photo variants made by the image pipeline (cache misses; one per picture at a time).",
            g.variant_builds,
        );
        gauge(
            &mut out,
            "ashiato_mail_undeliverable_addresses",
            "Addresses marked undeliverable after hard bounces (no notification mails).",
            &g.undeliverable_addresses,
        );
        gauge(
            &mut out,
            "ashiato_db_pool_connections",
            "Open database connections.",
            &g.pool_connections,
        );
        gauge(&mut out, "ashiato_db_pool_idle", "Idle database connections.", &g.pool_idle);
        out
    }
}

/// Reads the gauges and renders everything.
pub async fn scrape(app: &crate::App) -> crate::AppResult<String> {
    let (outbox, undeliverable_addresses) = app
        .run(|c| {
            Ok((
                ashiato_store::mail::outbox_counts(c)?,
                ashiato_store::mail::undeliverable_count(c)?,
            ))
        })
        .await?;
    let (pool_connections, pool_idle) = app.db.pool_state();
    let gauges = Gauges {
        footstep_backlog: app.footsteps.backlog(),
        footsteps_dropped: app.footsteps.dropped(),
        footstep_writer_lag: app.footsteps.writer_lag().as_secs_f64(),
        outbox,
        undeliverable_addresses,
        variant_builds: app.photos.variant_builds(),
        pool_connections,
        pool_idle,
    };
    Ok(app.metrics.render(&gauges))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        m.observe_request("/diary/{id}", 200, 0.003);
        m.observe_request("/diary/{id}", 200, 0.2);
        m.observe_request("/diary/{id}", 200, 9.0);
        m.observe_request("a\"b", 404, 0.0);
        let text = m.render(&Gauges::default());
        let route = "route=\"/diary/{id}\",status=\"200\"";
        assert!(text.contains(&format!("_bucket{{{route},le=\"0.001\"}} 0\n")), "{text}");
        assert!(text.contains(&format!("_bucket{{{route},le=\"0.005\"}} 1\n")), "{text}");
        assert!(text.contains(&format!("_bucket{{{route},le=\"0.25\"}} 2\n")), "{text}");
        assert!(text.contains(&format!("_bucket{{{route},le=\"5\"}} 2\n")), "{text}");
        assert!(text.contains(&format!("_bucket{{{route},le=\"+Inf\"}} 3\n")), "{text}");
        assert!(text.contains(&format!("_count{{{route}}} 3\n")), "{text}");
        assert!(text.contains("route=\"a\\\"b\""), "{text}");
    }
}

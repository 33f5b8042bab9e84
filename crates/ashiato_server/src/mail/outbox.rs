//! The outbox worker: drains `mail_outbox` to the SMTP relay.
//!
//! Each due row is claimed with a lease (a conditional `UPDATE`, so two workers never take the
//! same row), handed to the relay, and marked sent as soon as the relay says `250` after
//! `DATA`. A down relay puts the row back with exponential backoff (30 s doubling to 1 h) and
//! ends the batch; a `5xx` refusal or the last attempt marks it failed. A worker killed while
//! holding a claim leaves the row `sending` until the lease runs out; then it is due again.
//! The only duplicate left is a kill between the relay's `250` and the `UPDATE` that records
//! it (milliseconds; docs/mail.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ashiato_app::config::Config;
use ashiato_app::now;
use ashiato_core::Timestamp;
use ashiato_store::mail as store_mail;
use ashiato_store::{Db, StoreError};

use crate::mail::smtp::{Client, Relay, Security};

/// How long a claim lasts; a send takes far less (connect and I/O timeouts are 30 s).
pub const LEASE_MS: i64 = 5 * 60 * 1000;
/// Attempts before a mail is given up.
pub const MAX_ATTEMPTS: i32 = 12;
/// Rows taken per batch.
const BATCH: i64 = 50;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Handed to the relay.
    pub sent: usize,
    /// Put back for a later attempt.
    pub retried: usize,
    /// Given up.
    pub failed: usize,
}

/// Delay before attempt `attempts + 1`: 30 s, 1 min, 2 min, … at most an hour.
pub fn backoff_ms(attempts: i32) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    (30_000i64 << exp).min(3_600_000)
}

/// The relay from the settings, if one is configured.
pub fn relay(config: &Config) -> Option<Relay> {
    let host = config.smtp_relay_host.trim();
    if host.is_empty() {
        return None;
    }
    let from = config.mail_from_address();
    let helo = from.rsplit('@').next().unwrap_or("localhost").to_owned();
    let ca_file = config.smtp_ca_file.trim();
    let extra_root_pem = (!ca_file.is_empty()).then(|| std::fs::read(ca_file)).and_then(|read| {
        read.map_err(|e| tracing::error!(error.cause = %e, "smtp_ca_file {ca_file} unreadable"))
            .ok()
    });
    let user = config.smtp_username.trim();
    Some(Relay {
        host: host.to_owned(),
        port: config.smtp_relay_port,
        helo,
        timeout: Duration::from_secs(30),
        security: Security::from_setting(&config.smtp_tls),
        credentials: (!user.is_empty()).then(|| (user.to_owned(), config.smtp_password.clone())),
        extra_root_pem,
    })
}

/// The envelope sender of one mail: its bounce address (VERP, `bounce-<id>-<tag>@<mail_domain>`)
/// when posting by mail is on, so a bounce comes back through the MTA to `mail-ingest` or LMTP
/// and names the mail it is about; the From address otherwise.
fn envelope_sender(config: &Config, mail: &store_mail::OutboxMail, from: &str) -> String {
    if config.mail_enabled() && !mail.bounce_tag.is_empty() {
        ashiato_mail::bounce_address(mail.id, &mail.bounce_tag, &config.mail_addresses().domain)
    } else {
        from.to_owned()
    }
}

/// Sends what is due. With `flush`, queued rows are taken even before their retry time
/// (`ashiato mail-outbox --flush`, like `postqueue -f`).
pub fn drain_once(db: &Db, config: &Config, flush: bool) -> Result<Pass, StoreError> {
    let mut pass = Pass::default();
    if config.smtp_relay_host.trim().is_empty() {
        return Ok(pass);
    }
    let mut conn = db.conn()?;
    if flush {
        store_mail::flush(&mut conn, now())?;
    }
    let due = store_mail::due(&mut conn, now(), BATCH)?;
    if due.is_empty() {
        return Ok(pass);
    }
    // Only with something to send: reading `smtp_ca_file` and loading the TLS roots is not
    // work for every idle half second of `serve`.
    let Some(relay) = relay(config) else { return Ok(pass) };
    let client = match Client::new(&relay) {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(error.cause = %e, "the SMTP relay settings are not usable");
            return Ok(pass);
        }
    };
    let from = config.mail_from_address();
    for id in due {
        let Some(mail) = store_mail::claim(&mut conn, id, now(), LEASE_MS)? else { continue };
        let envelope_from = envelope_sender(config, &mail, &from);
        match client.send(&envelope_from, &mail.to, &mail.message) {
            Ok(()) => {
                store_mail::mark_sent(&mut conn, id, now())?;
                pass.sent += 1;
            }
            Err(e) if e.permanent || mail.attempts >= MAX_ATTEMPTS => {
                tracing::warn!(mail.outbox = id, error.cause = %e, "notification mail failed");
                store_mail::mark_retry(&mut conn, id, None, &e.text)?;
                pass.failed += 1;
            }
            Err(e) => {
                tracing::info!(mail.outbox = id, error.cause = %e, "notification mail deferred");
                let at = Timestamp(now().0.saturating_add(backoff_ms(mail.attempts)));
                store_mail::mark_retry(&mut conn, id, Some(at), &e.text)?;
                pass.retried += 1;
                if e.unreachable {
                    // The relay is down: the rest of the batch waits for the next pass.
                    break;
                }
            }
        }
    }
    Ok(pass)
}

/// The worker thread of `ashiato serve`: a pass every `interval` until `stop` is set.
pub fn spawn(
    db: Db,
    config: Arc<Config>,
    stop: Arc<AtomicBool>,
    interval: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("outbox".into()).spawn(move || {
        if relay(&config).is_none() {
            tracing::info!("no smtp_relay_host: notification mails stay in the outbox");
        }
        while !stop.load(Ordering::Relaxed) {
            if let Err(e) = drain_once(&db, &config, false) {
                tracing::warn!(error.cause = %e, "outbox pass failed");
            }
            let mut waited = Duration::ZERO;
            while waited < interval && !stop.load(Ordering::Relaxed) {
                let step = Duration::from_millis(100).min(interval - waited);
                std::thread::sleep(step);
                waited += step;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(8), 3_600_000);
        assert_eq!(backoff_ms(40), 3_600_000);
    }
}

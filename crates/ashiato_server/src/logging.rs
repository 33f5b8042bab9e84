//! The process's log: text or JSON lines on stderr, filtered by `ASHIATO_LOG` (default
//! `info`), with one correction: actix's HTTP/1 dispatcher reports a malformed request or a
//! client that broke its connection at ERROR, which is a client's doing and normal traffic
//! here (forged headers, lone Shift_JIS bytes, scanners). Those events are dropped and
//! logged again as one WARN under `ashiato::client`, so ERROR stays for what the operator
//! must look at.

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Registry, filter};

/// Where actix's HTTP/1 codec and dispatcher log what clients sent wrong.
const ACTIX_H1: &str = "actix_http::h1";

fn client_caused(meta: &Metadata<'_>) -> bool {
    *meta.level() == Level::ERROR && meta.target().starts_with(ACTIX_H1)
}

/// Takes the `message` field of an event.
#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Logs actix's client-caused ERROR events again as WARN.
struct ClientErrorsAsWarnings;

impl<S: Subscriber> Layer<S> for ClientErrorsAsWarnings {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if client_caused(event.metadata()) {
            let mut message = Message::default();
            event.record(&mut message);
            let cause = message.0;
            tracing::warn!(
                target: "ashiato::client",
                cause = %cause,
                "a client sent a malformed request or broke the connection"
            );
        }
    }
}

/// Installs the logger (once; later calls do nothing): `json` or `text` format.
pub fn init(format: &str) {
    let level =
        || EnvFilter::try_from_env("ASHIATO_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let output: Box<dyn Layer<Registry> + Send + Sync> = if format == "json" {
        Box::new(
            fmt.json().with_filter(level()).with_filter(filter::filter_fn(|m| !client_caused(m))),
        )
    } else {
        Box::new(fmt.with_filter(level()).with_filter(filter::filter_fn(|m| !client_caused(m))))
    };
    // Each layer has its own filter, so callsites neither wants stay disabled (no cost).
    let relog = ClientErrorsAsWarnings.with_filter(filter::filter_fn(client_caused));
    let _ = Registry::default().with(output).with(relog).try_init();
}

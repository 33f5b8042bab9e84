//! Notification mail through a hosted relay: STARTTLS with the relay's certificate checked,
//! then AUTH, then the mail (issue 19). A wrong password or an untrusted certificate keeps the
//! mail queued for a later attempt instead of losing it; a password is never sent in clear.

use std::time::Duration;

use ashiato_test_support::smtp::SmtpSink;
use ashiato_test_support::{Suite, TestDb};

use crate::mail::Site;
use crate::{Ran, run};

pub fn register(suite: &mut Suite) {
    suite.plain("notifications_go_through_a_hosted_relay_with_starttls_and_auth", hosted_relay);
}

const USER: &str = "ashiato@relay.example";
const PASSWORD: &str = "correct horse battery staple";

fn hosted_relay() {
    let t = TestDb::sqlite();
    let site = Site::new(&t, &[]);
    let sink = SmtpSink::start_relay(USER, PASSWORD);
    let ca = site.dir.path().join("relay-ca.pem");
    std::fs::write(&ca, &sink.cert_pem).expect("write the relay's certificate");
    let port = sink.addr.port().to_string();
    let ca_text = ca.to_str().expect("utf-8 path").to_owned();
    let with = |settings: &[(&str, &str)], args: &[&str]| -> Ran {
        let mut cmd = site.command();
        // The certificate names `localhost`: the name checked is the host we connect to.
        cmd.env("ASHIATO_SMTP_RELAY_HOST", "localhost")
            .env("ASHIATO_SMTP_RELAY_PORT", &port)
            .env("ASHIATO_SMTP_TLS", "starttls")
            .env("ASHIATO_SMTP_USERNAME", USER)
            .envs(settings.iter().copied())
            .args(args);
        run(&mut cmd)
    };
    let invite = |to: &str| {
        let ran = with(&[], &["invite", "--email", to, "--from", "taro@example.jp"]);
        assert_eq!(ran.code, 0, "{}", ran.stderr);
    };

    // A wrong password: the relay refuses the login (535); the mail waits for a retry.
    invite("friend@docomo.ne.jp");
    let wrong = with(
        &[("ASHIATO_SMTP_PASSWORD", "wrong"), ("ASHIATO_SMTP_CA_FILE", &ca_text)],
        &["mail-outbox"],
    );
    assert_eq!(wrong.stdout.trim(), "0 sent, 1 deferred, 0 failed", "{}", wrong.stderr);
    // The relay's certificate not trusted (no CA file): TLS fails, the mail waits too, and
    // no password went anywhere.
    let untrusted = with(&[("ASHIATO_SMTP_PASSWORD", PASSWORD)], &["mail-outbox", "--flush"]);
    assert_eq!(untrusted.stdout.trim(), "0 sent, 1 deferred, 0 failed", "{}", untrusted.stderr);
    assert!(sink.received().is_empty(), "a mail got through without TLS and AUTH");

    // The right settings: STARTTLS, AUTH, the mail.
    let sent = with(
        &[("ASHIATO_SMTP_PASSWORD", PASSWORD), ("ASHIATO_SMTP_CA_FILE", &ca_text)],
        &["mail-outbox", "--flush"],
    );
    assert_eq!(sent.stdout.trim(), "1 sent, 0 deferred, 0 failed", "{}", sent.stderr);
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    assert!(got[0].tls, "the mail came without TLS");
    assert_eq!(got[0].user.as_deref(), Some(USER));
    assert_eq!(got[0].to, vec!["friend@docomo.ne.jp".to_owned()]);
    assert!(
        String::from_utf8_lossy(&got[0].data).contains("To: friend@docomo.ne.jp"),
        "the composed message was carried as it is"
    );

    // The envelope sender is the mail's own bounce address; a delivery status notification
    // the MTA pipes back to it is counted (S-29), a forged one is an unknown recipient.
    let envelope = &got[0].from;
    assert!(
        envelope.starts_with("bounce-") && envelope.ends_with(&format!("@{}", crate::mail::DOMAIN)),
        "{envelope}"
    );
    let dsn = crate::mail::fixture("bounce_dsn.eml");
    let counted = site.ingest_with(&dsn, envelope, &[]);
    assert_eq!(counted.code, 0, "{}", counted.stderr);
    assert!(counted.stderr.contains("bounce recorded"), "{}", counted.stderr);
    let tag_at = envelope.rfind('-').expect("tag") + 1;
    let forged = format!("{}{}", &envelope[..tag_at], &envelope[envelope.find('@').expect("@")..]);
    let forged = forged.replacen('@', "0badc0de@", 1);
    let refused = site.ingest_with(&dsn, &forged, &[]);
    assert_eq!(refused.code, 67, "{}", refused.stderr);
    let mut conn = t.db.conn().expect("connection");
    let bounces = ashiato_store::mail::bounces(&mut conn, 10).expect("bounces");
    assert_eq!(bounces.len(), 1);
    assert_eq!((bounces[0].address.as_str(), bounces[0].hard_bounces), ("friend@docomo.ne.jp", 1));

    // Implicit TLS is refused by a STARTTLS relay (it greets in clear): queued, not lost.
    invite("second@docomo.ne.jp");
    let wrapper = with(
        &[
            ("ASHIATO_SMTP_TLS", "tls"),
            ("ASHIATO_SMTP_PASSWORD", PASSWORD),
            ("ASHIATO_SMTP_CA_FILE", &ca_text),
        ],
        &["mail-outbox"],
    );
    assert_eq!(wrapper.stdout.trim(), "0 sent, 1 deferred, 0 failed", "{}", wrapper.stderr);
    assert_eq!(sink.received().len(), 1);

    // A password is only ever sent over TLS: AUTH with smtp_tls = none is a settings error.
    let clear = with(&[("ASHIATO_SMTP_TLS", "none")], &["mail-outbox"]);
    assert_eq!(clear.code, 78, "{}", clear.stderr);
    assert!(clear.stderr.contains("smtp_username"), "{}", clear.stderr);
}

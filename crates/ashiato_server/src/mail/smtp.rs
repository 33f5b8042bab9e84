//! Handing notification mails to the relay, through lettre: the MTA on this host over plain
//! SMTP, or a hosted relay with STARTTLS (or TLS from the first byte) and AUTH PLAIN/LOGIN.
//! The message is composed already (`ashiato_mail::outbound`, 7-bit or base64), so lettre
//! only carries the envelope and the bytes.
//!
//! Errors are sorted by whose problem they are: the relay refusing one recipient or message
//! for good (5xx at MAIL, RCPT or DATA) fails that mail; anything about reaching or using the
//! relay (no connection, TLS, a refused login, 4xx) keeps the mail for a later attempt.

use std::time::Duration;

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{SmtpTransport, Transport};

/// Why a mail was not handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct SmtpError {
    /// The relay refused for good (a 5xx reply about this mail): retrying cannot help.
    pub permanent: bool,
    /// The relay could not be reached or used at all (the rest of a batch can wait).
    pub unreachable: bool,
    /// One line for the operator's log and the outbox row (no message content).
    pub text: String,
}

/// How the connection to the relay is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP (the MTA on this host or the private network).
    None,
    /// STARTTLS required: a relay that does not offer it is not used.
    StartTls,
    /// STARTTLS when the relay offers it.
    Opportunistic,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

impl Security {
    /// From the `smtp_tls` setting (checked when the configuration was loaded).
    pub fn from_setting(value: &str) -> Security {
        match value {
            "starttls" => Security::StartTls,
            "opportunistic" => Security::Opportunistic,
            "tls" => Security::Tls,
            _ => Security::None,
        }
    }
}

/// A relay.
#[derive(Clone, Debug)]
pub struct Relay {
    /// Host name or address (also the name its certificate must carry).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Name we greet with (`EHLO name`).
    pub helo: String,
    /// Connect, read and write timeout.
    pub timeout: Duration,
    /// TLS.
    pub security: Security,
    /// AUTH user name and password, if the relay wants them.
    pub credentials: Option<(String, String)>,
    /// PEM of a further CA certificate to trust (a private CA, a test relay).
    pub extra_root_pem: Option<Vec<u8>>,
}

/// A relay ready to send: its TLS settings are built once per outbox pass.
pub struct Client {
    transport: SmtpTransport,
}

fn unusable(text: String) -> SmtpError {
    SmtpError { permanent: false, unreachable: true, text }
}

impl Client {
    /// Prepares the relay's transport (no connection yet).
    pub fn new(relay: &Relay) -> Result<Client, SmtpError> {
        let tls = if relay.security == Security::None {
            Tls::None
        } else {
            let mut params = TlsParameters::builder(relay.host.clone());
            if let Some(pem) = &relay.extra_root_pem {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| unusable(format!("smtp_ca_file: {e}")))?;
                params = params.add_root_certificate(cert);
            }
            let params = params.build().map_err(|e| unusable(format!("TLS settings: {e}")))?;
            match relay.security {
                Security::StartTls => Tls::Required(params),
                Security::Opportunistic => Tls::Opportunistic(params),
                _ => Tls::Wrapper(params),
            }
        };
        let mut builder = SmtpTransport::builder_dangerous(relay.host.as_str())
            .port(relay.port)
            .tls(tls)
            .timeout(Some(relay.timeout))
            .hello_name(ClientId::Domain(relay.helo.clone()));
        if let Some((user, password)) = &relay.credentials {
            builder = builder
                .credentials(Credentials::new(user.clone(), password.clone()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(Client { transport: builder.build() })
    }

    /// Hands one message to the relay for one recipient. An empty `from` is the null sender.
    pub fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<(), SmtpError> {
        let bad = |what: &str| SmtpError {
            permanent: true,
            unreachable: false,
            text: format!("unusable {what} address"),
        };
        let sender =
            if from.is_empty() { None } else { Some(address(from).ok_or_else(|| bad("sender"))?) };
        let recipient = address(to).ok_or_else(|| bad("recipient"))?;
        let envelope =
            Envelope::new(sender, vec![recipient]).map_err(|e| bad(&format!("envelope ({e})")))?;
        self.transport.send_raw(&envelope, message).map(|_| ()).map_err(|e| classify(&e))
    }
}

/// A stored address as an envelope address. Carrier addresses of the keitai era break RFC
/// 5322 (`taro..hanako.@docomo.ne.jp`) and carriers deliver to them, so the local part is
/// taken as it is; only what could break the SMTP line (controls, brackets, spaces) refuses.
fn address(text: &str) -> Option<Address> {
    let (user, domain) = text.trim().rsplit_once('@')?;
    let unsafe_char = |c: char| c.is_control() || matches!(c, '<' | '>' | ' ');
    if user.is_empty() || domain.is_empty() || text.trim().chars().any(unsafe_char) {
        return None;
    }
    Some(Address::new_dangerous(user, domain))
}

/// Sorts lettre's error: 5xx about the mail fails it; everything about the relay itself
/// (connection, TLS, login refused 530/534/535/538, 4xx, timeouts) waits for a retry.
fn classify(e: &lettre::transport::smtp::Error) -> SmtpError {
    let text = one_line(&e.to_string());
    let code = e.status().map(u16::from);
    let login_refused = matches!(code, Some(530 | 534 | 535 | 538));
    if e.is_permanent() && !login_refused {
        return SmtpError { permanent: true, unreachable: false, text };
    }
    if e.is_transient() && code != Some(421) {
        return SmtpError { permanent: false, unreachable: false, text };
    }
    unusable(text)
}

fn one_line(text: &str) -> String {
    text.split(['\r', '\n']).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keitai_addresses_pass_and_line_breakers_do_not() {
        assert!(address("taro..hanako.@docomo.ne.jp").is_some());
        assert_eq!(
            address("rfc822.@docomo.ne.jp").map(|a| a.to_string()),
            Some("rfc822.@docomo.ne.jp".into())
        );
        assert!(address("a@b\r\nRCPT TO:<x>").is_none());
        assert!(address("no-at-sign").is_none());
        assert!(address("@docomo.ne.jp").is_none());
    }

    #[test]
    fn settings_name_the_security() {
        assert_eq!(Security::from_setting("starttls"), Security::StartTls);
        assert_eq!(Security::from_setting("tls"), Security::Tls);
        assert_eq!(Security::from_setting("opportunistic"), Security::Opportunistic);
        assert_eq!(Security::from_setting("none"), Security::None);
    }
}

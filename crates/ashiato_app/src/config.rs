//! Configuration: one typed struct, filled from defaults, an optional TOML file, `ASHIATO_…`
//! environment variables and command-line flags, in that order (later wins).
//!
//! Unknown keys are errors in the file and in the environment, so a typo never silently leaves
//! a default in place. `deploy/ashiato.example.toml` documents every key; a test keeps it in
//! step with this struct.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Every setting of an `ashiato` process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub bind: String,
    /// Directory for the SQLite file, the secret key and (later) photos.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; empty means `sqlite://<data_dir>/ashiato.sqlite3`.
    pub database_url: String,
    /// Most database connections per process.
    pub database_pool_size: u32,
    /// Milliseconds a request waits for a database connection before a "busy" page (default
    /// 800, so the page arrives within a second; performance.md P12).
    pub database_timeout_ms: u64,
    /// Host names (with port when not 80/443) this service answers to; anything else is refused
    /// before session or subscriber-ID logic (DNS-rebinding defence). Empty means the bind
    /// address, `localhost:PORT` and `127.0.0.1:PORT`.
    pub host_names: Vec<String>,
    /// Base URL for links that leave a page (invitation links, mail); empty means
    /// `http://<first host name>`.
    pub public_url: String,
    /// Let people sign up without an invitation.
    pub open_signup: bool,
    /// Days an invitation stays valid.
    pub invitation_days: i64,
    /// Idle minutes before a cookie session ends.
    pub session_idle_minutes: i64,
    /// Idle minutes before a URL (`ksid`) session ends; short, because URLs leak.
    pub url_session_idle_minutes: i64,
    /// Addresses or CIDR blocks of reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
    /// A TOML file replacing the shipped carrier gateway list (empty: the shipped list).
    pub gateways_file: String,
    /// Days the footsteps page looks back.
    pub footstep_days: i64,
    /// Largest photo upload in bytes (refused before decoding).
    pub photo_max_bytes: usize,
    /// Most pixels in an uploaded photo (refused from the header, before decoding).
    pub photo_max_pixels: u64,
    /// Most photos a member may keep.
    pub photo_quota_count: i64,
    /// Most bytes of photo masters a member may keep.
    pub photo_quota_bytes: i64,
    /// Most photos a member may upload per hour.
    pub photo_uploads_per_hour: i64,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Who may register OpenSocial apps: `review` (every member; members see an app once an
    /// admin approved it: the default), `members` (live at once) or `admins`.
    pub app_registration: String,
    /// App hosts exempt from the proxy's private-address and port rules (development and
    /// tests: `127.0.0.1`); empty in production.
    pub app_allow_private_hosts: Vec<String>,
    /// Social API calls allowed per app in five minutes.
    pub api_requests_per_5min: u32,
    /// Domain of the posting addresses; empty turns posting by mail off.
    pub mail_domain: String,
    /// Fixed start of every posting local part (may be empty).
    pub mail_address_prefix: String,
    /// `any`, `registered` or `carrier` (who may post through a secret address).
    pub mail_sender_policy: String,
    /// Largest accepted inbound message in bytes.
    pub mail_max_message_bytes: usize,
    /// `drop` or `refuse` images beyond the third.
    pub mail_extra_images: String,
    /// LMTP listener of `serve`: `HOST:PORT` or `unix:/path`; empty for none.
    pub lmtp_listen: String,
    /// SMTP relay host for notification mails; empty keeps them queued.
    pub smtp_relay_host: String,
    /// Bearer token `/metrics` asks for (`Authorization: Bearer …`); empty: `/metrics` answers
    /// only clients on the loopback address (resolved through `trusted_proxies`).
    pub metrics_token: String,
    /// SMTP relay port.
    pub smtp_relay_port: u16,
    /// `none`, `starttls`, `opportunistic` or `tls` (implicit, port 465).
    pub smtp_tls: String,
    /// AUTH user name for the relay; empty for none.
    pub smtp_username: String,
    /// AUTH password for the relay (better in `ASHIATO_SMTP_PASSWORD`).
    pub smtp_password: String,
    /// PEM file with a further CA certificate the relay's certificate may chain to.
    pub smtp_ca_file: String,
    /// Hard bounces after which an address is marked undeliverable.
    pub mail_bounce_limit: i32,
    /// Answer an empty mail to the sign-up address only when the MTA recorded an SPF `pass`
    /// (a `fail` or `softfail` is never answered, whatever this says).
    pub mail_join_requires_spf: bool,
    /// From address of notification mails; empty means `noreply@<mail_domain>`.
    pub mail_from: String,
    /// Most notification mails per recipient address per hour.
    pub mail_notify_per_hour: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./ashiato-data"),
            database_url: String::new(),
            database_pool_size: 8,
            // P12 / R-07: an exhausted pool answers with a busy page within a second.
            database_timeout_ms: 800,
            host_names: Vec::new(),
            public_url: String::new(),
            open_signup: false,
            invitation_days: ashiato_core::account::INVITATION_DEFAULT_DAYS,
            session_idle_minutes: 60 * 24 * 14,
            url_session_idle_minutes: 30,
            trusted_proxies: Vec::new(),
            gateways_file: String::new(),
            footstep_days: ashiato_core::footstep::LIST_DAYS,
            photo_max_bytes: 10 * 1024 * 1024,
            photo_max_pixels: 24_000_000,
            photo_quota_count: 1000,
            photo_quota_bytes: 500 * 1024 * 1024,
            photo_uploads_per_hour: 30,
            log_format: "text".into(),
            workers: 0,
            app_registration: "review".into(),
            app_allow_private_hosts: Vec::new(),
            api_requests_per_5min: 300,
            mail_domain: String::new(),
            mail_address_prefix: String::new(),
            mail_sender_policy: "any".into(),
            mail_max_message_bytes: 10 * 1024 * 1024,
            mail_extra_images: "drop".into(),
            lmtp_listen: String::new(),
            smtp_relay_host: String::new(),
            metrics_token: String::new(),
            smtp_relay_port: 25,
            smtp_tls: "none".into(),
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_ca_file: String::new(),
            mail_bounce_limit: 3,
            mail_join_requires_spf: false,
            mail_from: String::new(),
            mail_notify_per_hour: 10,
        }
    }
}

/// Environment variables that start with `ASHIATO_` but are not settings.
const NON_SETTING_ENV: &[&str] = &["ASHIATO_CONFIG", "ASHIATO_LOG"];

/// Why configuration could not be loaded; prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {path}: {reason}")]
    Read {
        /// File.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file or an environment value is not valid.
    #[error("invalid configuration in {source_name}: {reason}")]
    Invalid {
        /// Where the bad value came from.
        source_name: String,
        /// What serde said.
        reason: String,
    },
    /// A value is out of range.
    #[error("invalid setting {key}: {reason}")]
    Value {
        /// Key.
        key: &'static str,
        /// Why.
        reason: String,
    },
}

/// Command-line values that override everything else (`None` = not given).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--database`.
    pub database_url: Option<String>,
    /// `--bind`.
    pub bind: Option<String>,
}

impl Config {
    /// Loads defaults ← file ← environment ← flags, then checks values.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut table = toml::Table::try_from(Config::default()).map_err(|e| {
            ConfigError::Invalid { source_name: "defaults".into(), reason: e.to_string() }
        })?;
        let known: BTreeSet<String> = table.keys().cloned().collect();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let from_file: toml::Table =
                text.parse().map_err(|e: toml::de::Error| ConfigError::Invalid {
                    source_name: path.display().to_string(),
                    reason: e.message().to_owned(),
                })?;
            for (k, v) in from_file {
                if !known.contains(&k) {
                    return Err(ConfigError::Invalid {
                        source_name: path.display().to_string(),
                        reason: format!("unknown key `{k}`"),
                    });
                }
                table.insert(k, v);
            }
        }
        for (name, value) in env {
            let Some(key) = name.strip_prefix("ASHIATO_") else { continue };
            if NON_SETTING_ENV.contains(&name.as_str()) || key.starts_with("TEST_") {
                continue;
            }
            let key = key.to_ascii_lowercase();
            if !known.contains(&key) {
                return Err(ConfigError::Invalid {
                    source_name: format!("environment variable {name}"),
                    reason: "not a setting (see deploy/ashiato.example.toml)".into(),
                });
            }
            let value = env_value(&table[key.as_str()], &value);
            table.insert(key, value);
        }
        if let Some(d) = &flags.data_dir {
            table.insert("data_dir".into(), toml::Value::String(d.display().to_string()));
        }
        if let Some(u) = &flags.database_url {
            table.insert("database_url".into(), toml::Value::String(u.clone()));
        }
        if let Some(b) = &flags.bind {
            table.insert("bind".into(), toml::Value::String(b.clone()));
        }
        let config: Config = table.try_into().map_err(|e: toml::de::Error| {
            ConfigError::Invalid { source_name: "settings".into(), reason: e.message().to_owned() }
        })?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        self.bind.parse::<SocketAddr>().map_err(|e| ConfigError::Value {
            key: "bind",
            reason: format!("{:?} is not ADDRESS:PORT ({e})", self.bind),
        })?;
        if !matches!(self.app_registration.as_str(), "review" | "members" | "admins") {
            return Err(ConfigError::Value {
                key: "app_registration",
                reason: "use review, members or admins".into(),
            });
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(ConfigError::Value {
                key: "log_format",
                reason: "use text or json".into(),
            });
        }
        for (key, v) in [
            ("footstep_days", self.footstep_days),
            ("invitation_days", self.invitation_days),
            ("session_idle_minutes", self.session_idle_minutes),
            ("url_session_idle_minutes", self.url_session_idle_minutes),
        ] {
            if v <= 0 {
                return Err(ConfigError::Value { key, reason: "must be positive".into() });
            }
        }
        if !matches!(self.mail_sender_policy.as_str(), "any" | "registered" | "carrier") {
            return Err(ConfigError::Value {
                key: "mail_sender_policy",
                reason: "use any, registered or carrier".into(),
            });
        }
        if !matches!(self.mail_extra_images.as_str(), "drop" | "refuse") {
            return Err(ConfigError::Value {
                key: "mail_extra_images",
                reason: "use drop or refuse".into(),
            });
        }
        if !matches!(self.smtp_tls.as_str(), "none" | "starttls" | "opportunistic" | "tls") {
            return Err(ConfigError::Value {
                key: "smtp_tls",
                reason: "use none, starttls, opportunistic or tls".into(),
            });
        }
        if !self.smtp_username.is_empty() && self.smtp_tls == "none" {
            return Err(ConfigError::Value {
                key: "smtp_username",
                reason: "a password is only sent over TLS: set smtp_tls too".into(),
            });
        }
        if self.mail_bounce_limit < 1 {
            return Err(ConfigError::Value {
                key: "mail_bounce_limit",
                reason: "at least 1".into(),
            });
        }
        if self.mail_domain.contains(['@', ' ', '/']) {
            return Err(ConfigError::Value {
                key: "mail_domain",
                reason: "a bare domain such as m.example.jp".into(),
            });
        }
        if self.mail_max_message_bytes < 1024 {
            return Err(ConfigError::Value {
                key: "mail_max_message_bytes",
                reason: "at least 1024".into(),
            });
        }
        if !self.database_url.is_empty() {
            self.database_url
                .parse::<ashiato_store::DatabaseUrl>()
                .map_err(|e| ConfigError::Value { key: "database_url", reason: e.to_string() })?;
        }
        Ok(())
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database(&self) -> ashiato_store::DatabaseUrl {
        if self.database_url.is_empty() {
            ashiato_store::DatabaseUrl::Sqlite(self.data_dir.join("ashiato.sqlite3"))
        } else {
            // Checked in `load`; a config built in code gets the default instead of a panic.
            self.database_url.parse().unwrap_or_else(|_| {
                ashiato_store::DatabaseUrl::Sqlite(self.data_dir.join("ashiato.sqlite3"))
            })
        }
    }

    /// The host names requests must carry.
    pub fn allowed_hosts(&self) -> Vec<String> {
        if !self.host_names.is_empty() {
            return self.host_names.iter().map(|h| h.to_ascii_lowercase()).collect();
        }
        let port = self.bind.parse::<SocketAddr>().map_or(8080, |a| a.port());
        let mut candidates = vec![
            self.bind.to_ascii_lowercase(),
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
        ];
        if port == 80 {
            candidates.extend(["localhost".into(), "127.0.0.1".into()]);
        }
        let mut hosts: Vec<String> = Vec::new();
        for h in candidates {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
        hosts
    }

    /// Whether the public URL is `https://` (the scheme of absolute redirect URLs). Cheaper
    /// than looking at [`Config::base_url`], which every request would otherwise build.
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Base URL for absolute links.
    pub fn base_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.allowed_hosts().first().map_or("localhost", String::as_str))
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }
}

impl Config {
    /// Whether posting by mail is on (a mail domain is set).
    pub fn mail_enabled(&self) -> bool {
        !self.mail_domain.trim().is_empty()
    }

    /// Where posting addresses live.
    pub fn mail_addresses(&self) -> ashiato_mail::AddressConfig {
        ashiato_mail::AddressConfig {
            domain: self.mail_domain.trim().to_ascii_lowercase(),
            prefix: self.mail_address_prefix.trim().to_ascii_lowercase(),
        }
    }

    /// The sender policy.
    pub fn mail_policy(&self) -> ashiato_mail::SenderPolicy {
        match self.mail_sender_policy.as_str() {
            "registered" => ashiato_mail::SenderPolicy::RegisteredAddress,
            "carrier" => ashiato_mail::SenderPolicy::CarrierDomain,
            _ => ashiato_mail::SenderPolicy::AnyFrom,
        }
    }

    /// Limits for inbound mail.
    pub fn mail_limits(&self) -> ashiato_mail::InboundLimits {
        ashiato_mail::InboundLimits {
            max_message_bytes: self.mail_max_message_bytes,
            extra_images: if self.mail_extra_images == "refuse" {
                ashiato_mail::ExtraImages::Refuse
            } else {
                ashiato_mail::ExtraImages::Drop
            },
            ..ashiato_mail::InboundLimits::default()
        }
    }

    /// From address of notification mails.
    pub fn mail_from_address(&self) -> String {
        if !self.mail_from.trim().is_empty() {
            self.mail_from.trim().to_owned()
        } else if self.mail_enabled() {
            format!("noreply@{}", self.mail_addresses().domain)
        } else {
            "noreply@localhost".into()
        }
    }

    /// The per-recipient notification limit.
    pub fn mail_rate_limit(&self) -> ashiato_mail::RateLimit {
        ashiato_mail::RateLimit { max: self.mail_notify_per_hour, window_secs: 3600 }
    }
}

/// Turns an environment string into a TOML value of the same kind as the setting's default:
/// numbers and booleans are parsed, lists are TOML arrays (`["a", "b"]`) or comma-separated.
fn env_value(default: &toml::Value, raw: &str) -> toml::Value {
    let parsed =
        || format!("v = {raw}").parse::<toml::Table>().ok().and_then(|mut t| t.remove("v"));
    match default {
        toml::Value::String(_) => toml::Value::String(raw.to_owned()),
        toml::Value::Array(_) if !raw.trim_start().starts_with('[') => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.into()))
                .collect(),
        ),
        _ => parsed().unwrap_or_else(|| toml::Value::String(raw.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:9000\"\nopen_signup = true\ninvitation_days = 3\n",
        )
        .expect("write");
        let c = Config::load(
            Some(&file),
            env(&[
                ("ASHIATO_INVITATION_DAYS", "5"),
                ("ASHIATO_HOST_NAMES", "sns.example.jp, m.example.jp"),
                ("PATH", "/bin"),
            ]),
            &Overrides { bind: Some("127.0.0.1:9100".into()), ..Overrides::default() },
        )
        .expect("valid");
        assert_eq!(c.bind, "127.0.0.1:9100", "flag beats file");
        assert!(c.open_signup, "file beats default");
        assert_eq!(c.invitation_days, 5, "environment beats file");
        assert_eq!(c.host_names, ["sns.example.jp", "m.example.jp"]);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "opensignup = true\n").expect("write");
        let err = Config::load(Some(&file), env(&[]), &Overrides::default()).expect_err("typo");
        assert!(err.to_string().contains("unknown key `opensignup`"), "{err}");
        let err = Config::load(None, env(&[("ASHIATO_DATABSE_URL", "x")]), &Overrides::default())
            .expect_err("typo");
        assert!(err.to_string().contains("ASHIATO_DATABSE_URL"), "{err}");
        // Test and tooling variables are not settings and are left alone.
        assert!(
            Config::load(
                None,
                env(&[("ASHIATO_TEST_POSTGRES", "x"), ("ASHIATO_LOG", "debug")]),
                &Overrides::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn bad_values_are_one_clear_line() {
        let err =
            Config::load(None, env(&[("ASHIATO_OPEN_SIGNUP", "maybe")]), &Overrides::default())
                .expect_err("bad bool");
        assert!(
            err.to_string().contains("open_signup") || err.to_string().contains("bool"),
            "{err}"
        );
        let err = Config::load(
            None,
            env(&[]),
            &Overrides { bind: Some("localhost".into()), ..Overrides::default() },
        )
        .expect_err("no port");
        assert!(err.to_string().starts_with("invalid setting bind"), "{err}");
        let err = Config::load(
            None,
            env(&[("ASHIATO_DATABASE_URL", "mysql://root:pw@h/db")]),
            &Overrides::default(),
        )
        .expect_err("unsupported");
        assert!(!err.to_string().contains("pw@"), "{err}");
    }

    /// `deploy/ashiato.example.toml` documents every key with its default value.
    #[test]
    fn example_file_lists_every_key_with_its_default() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/ashiato.example.toml");
        let text = std::fs::read_to_string(&path).expect("read the example config");
        let example: toml::Table = text.parse().expect("example parses");
        let defaults = toml::Table::try_from(Config::default()).expect("defaults");
        assert_eq!(
            example.keys().collect::<BTreeSet<_>>(),
            defaults.keys().collect::<BTreeSet<_>>(),
            "keys in the example vs the Config struct"
        );
        let loaded =
            Config::load(Some(&path), env(&[]), &Overrides::default()).expect("example loads");
        assert_eq!(loaded, Config::default(), "the example shows the defaults");
    }

    #[test]
    fn defaults_give_a_local_sqlite_service() {
        let c = Config::load(None, env(&[]), &Overrides::default()).expect("defaults");
        assert_eq!(c.database().to_string(), "sqlite://./ashiato-data/ashiato.sqlite3");
        assert_eq!(c.allowed_hosts(), ["127.0.0.1:8080", "localhost:8080"]);
        assert_eq!(c.base_url(), "http://127.0.0.1:8080");
        assert!(!c.https(), "no public URL: plain http on the bound address");
        let public = Config { public_url: "https://sns.example.jp/".into(), ..c.clone() };
        assert_eq!((public.base_url().as_str(), public.https()), ("https://sns.example.jp", true));
    }
}

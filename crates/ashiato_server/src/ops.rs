//! What each subcommand does.

#![expect(clippy::print_stdout, reason = "standard output is the interface of these commands")]

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;

use ashiato_app::App;
use ashiato_app::config::{Config, Overrides};
use ashiato_app::now;
use ashiato_app::secret::Secret;
use ashiato_core::account::{Email, NewMember};
use ashiato_core::{AppId, MemberId, password};
use ashiato_handset::{Date, HeaderList, Trust};
use ashiato_store::audit::Actor;
use ashiato_store::db::random_bytes;
use ashiato_store::{Db, DbOptions, StoreError, accounts, write};
use ashiato_web::server;

use crate::cli::{
    AdminCommand, AppCommand, AuditCommand, Cli, Command, ContentCommand, ImageCommand,
    MemberCommand, ReportCommand,
};
use crate::demo;
pub use crate::error::OpsError;

fn load_config(cli: &Cli, bind: Option<String>) -> Result<Config, OpsError> {
    let overrides =
        Overrides { data_dir: cli.data_dir.clone(), database_url: cli.database.clone(), bind };
    Ok(Config::load(cli.config.as_deref(), std::env::vars(), &overrides)?)
}

/// Creates the data directory if needed and proves it is writable.
fn prepare_data_dir(dir: &Path) -> Result<(), OpsError> {
    let fail = |reason: String| OpsError::DataDir { path: dir.display().to_string(), reason };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(|e| fail(e.to_string()))?;
    std::fs::remove_file(&probe).map_err(|e| fail(e.to_string()))?;
    Ok(())
}

fn open_db(config: &Config) -> Result<Db, OpsError> {
    let options = DbOptions {
        pool_size: config.database_pool_size,
        pool_timeout: std::time::Duration::from_millis(config.database_timeout_ms),
        ..DbOptions::default()
    };
    Ok(Db::open(&config.database(), &options)?)
}

fn init_logging(config: &Config) {
    crate::logging::init(&config.log_format);
}

/// Runs the command.
pub fn run(cli: &Cli) -> Result<(), OpsError> {
    match &cli.command {
        Command::Serve { bind, demo, lmtp } => serve(cli, bind.clone(), *demo, lmtp.clone()),
        Command::MailIngest { recipient, sender } => mail_ingest(cli, recipient, sender.as_deref()),
        Command::MailOutbox { flush } => {
            let config = load_config(cli, None)?;
            init_logging(&config);
            let db = open_db(&config)?;
            if crate::mail::outbox::relay(&config).is_none() {
                return Err(OpsError::Usage(
                    "no smtp_relay_host is configured; mails stay in the outbox".into(),
                ));
            }
            let pass = crate::mail::outbox::drain_once(&db, &config, *flush)?;
            println!("{} sent, {} deferred, {} failed", pass.sent, pass.retried, pass.failed);
            Ok(())
        }
        Command::Admin { command } => {
            let (email, admin) = match command {
                AdminCommand::Grant { email } => (email, true),
                AdminCommand::Revoke { email } => (email, false),
            };
            let (_, mut conn, member) = member_command(cli, email)?;
            let changed = write(&mut conn, |c| {
                ashiato_app::moderation::set_admin(c, Actor::CommandLine, member, admin, now())
            })?;
            let what = if admin { "is an admin" } else { "is not an admin" };
            let note = if changed { "" } else { " (unchanged)" };
            println!("{email} {what}{note}");
            Ok(())
        }
        Command::Member { command: MemberCommand::Suspend { email, reason } } => {
            let (_, mut conn, member) = member_command(cli, email)?;
            let changed = write(&mut conn, |c| {
                ashiato_app::moderation::suspend(c, Actor::CommandLine, member, reason, now())
            })
            .map_err(|e| match e {
                StoreError::Rejected(p) => OpsError::Usage(format!("--reason {p}")),
                other => other.into(),
            })?;
            let note = if changed { "" } else { " (already)" };
            println!("{email} is suspended{note}");
            Ok(())
        }
        Command::Member { command: MemberCommand::Unsuspend { email } } => {
            let (_, mut conn, member) = member_command(cli, email)?;
            let changed = write(&mut conn, |c| {
                ashiato_app::moderation::unsuspend(c, Actor::CommandLine, member, now())
            })?;
            let note = if changed { "" } else { " (was not suspended)" };
            println!("{email} is not suspended{note}");
            Ok(())
        }
        Command::Audit { command: AuditCommand::List { json, limit } } => {
            let config = load_config(cli, None)?;
            let db = open_db(&config)?;
            let mut conn = db.conn()?;
            for e in ashiato_store::audit::list(&mut conn, (*limit).clamp(1, 100_000))? {
                if *json {
                    let line = serde_json::json!({
                        "id": e.id,
                        "at": e.at.0,
                        "actor": e.actor,
                        "action": e.action,
                        "target": e.target,
                        "reason": e.reason,
                    });
                    println!("{line}");
                } else {
                    let reason = e.reason.replace(['\t', '\n'], " ");
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{reason}",
                        e.id, e.at.0, e.actor, e.action, e.target
                    );
                }
            }
            Ok(())
        }
        Command::Report { command: ReportCommand::List { open, json } } => {
            report_list(cli, *open, *json)
        }
        Command::Content { command: ContentCommand::Remove { path, reason } } => {
            remove_content(cli, path, reason)
        }
        Command::Member { command: MemberCommand::Export { email, to } } => {
            let (config, mut conn, member) = member_command(cli, email)?;
            let files = ashiato_store::files::FileStore::new(&config.data_dir);
            let bytes = ashiato_app::export::archive(&mut conn, &files, member, now())?;
            // create_new: an operator's typo never overwrites another file.
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(to)
                .map_err(|e| OpsError::Io(format!("{}: {e}", to.display())))?;
            std::io::Write::write_all(&mut out, &bytes)
                .and_then(|()| out.sync_all())
                .map_err(|e| OpsError::Io(format!("{}: {e}", to.display())))?;
            eprintln!("{} bytes written to {}", bytes.len(), to.display());
            Ok(())
        }
        Command::Member { command: MemberCommand::PostAddress { email, rotate } } => {
            let config = load_config(cli, None)?;
            prepare_data_dir(&config.data_dir)?;
            if !config.mail_enabled() {
                return Err(OpsError::Usage(
                    "posting by mail is off: set mail_domain in the configuration".into(),
                ));
            }
            let secret = Secret::load_or_create(&config.data_dir)?;
            let db = open_db(&config)?;
            let mut conn = db.conn()?;
            let member = member_by_email(&mut conn, email)?;
            let token = write(&mut conn, |c| {
                if *rotate {
                    ashiato_app::mail::rotate_token(c, &secret, member, now())
                } else {
                    ashiato_app::mail::current_token(c, &secret, member, now())
                }
            })?;
            println!("{}", ashiato_app::mail::addresses(&config, &token).diary);
            Ok(())
        }
        Command::Migrate { status: true, .. } => {
            let config = load_config(cli, None)?;
            for (name, applied) in ashiato_store::db::migration_status(&config.database())? {
                println!("{}\t{name}", if applied { "applied" } else { "pending" });
            }
            Ok(())
        }
        Command::Migrate { revert_last: true, .. } => {
            let config = load_config(cli, None)?;
            let version = ashiato_store::db::revert_last(&config.database())?;
            println!("reverted {version} on {}", config.database());
            Ok(())
        }
        Command::Migrate { .. } => {
            let config = load_config(cli, None)?;
            if let ashiato_store::DatabaseUrl::Sqlite(_) = config.database() {
                prepare_data_dir(&config.data_dir)?;
            }
            let applied = ashiato_store::db::migrate(&config.database())?;
            println!("{} migration(s) applied to {}", applied.len(), config.database());
            for name in applied {
                println!("  {name}");
            }
            Ok(())
        }
        Command::Member { command: MemberCommand::Add { email, nickname, password: plain } } => {
            let config = load_config(cli, None)?;
            prepare_data_dir(&config.data_dir)?;
            let db = open_db(&config)?;
            let id = add_member(&db, email, nickname, plain)?;
            println!("{id}");
            Ok(())
        }
        Command::Invite { email, from } => {
            let config = load_config(cli, None)?;
            prepare_data_dir(&config.data_dir)?;
            let db = open_db(&config)?;
            let link = invite(&db, &config, email.as_deref(), from.as_deref())?;
            println!("{link}");
            Ok(())
        }
        Command::Image {
            command: ImageCommand::Thumbnail { width, format, max_bytes, input, output },
        } => {
            let bytes = std::fs::read(input)
                .map_err(|e| OpsError::Io(format!("{}: {e}", input.display())))?;
            let format = format.as_deref().and_then(ashiato_image::Format::from_name);
            let out = ashiato_image::thumbnail(
                &bytes,
                *width,
                format,
                *max_bytes,
                &ashiato_image::Limits::default(),
            )
            .map_err(|e| OpsError::Data(format!("{}: {e}", input.display())))?;
            std::fs::write(output, &out)
                .map_err(|e| OpsError::Io(format!("{}: {e}", output.display())))?;
            println!("{} bytes written to {}", out.len(), output.display());
            Ok(())
        }
        Command::App { command } => app(cli, command),
        Command::Seed { members, diaries, friends, messages } => {
            let config = load_config(cli, None)?;
            prepare_data_dir(&config.data_dir)?;
            let db = open_db(&config)?;
            let plan = crate::seed::Plan {
                members: *members,
                diaries: *diaries,
                friends: *friends,
                messages: *messages,
            };
            println!("{}", crate::seed::seed(&db, plan, now())?);
            Ok(())
        }
        Command::Handset { headers, peer } => handset(cli, headers, *peer),
        Command::Backup { to } => {
            let config = load_config(cli, None)?;
            let summary = crate::backup::backup(&config, to)?;
            println!("{summary}");
            Ok(())
        }
        Command::Restore { from } => {
            let config = load_config(cli, None)?;
            let summary = crate::backup::restore(&config, from)?;
            println!("{summary}");
            Ok(())
        }
    }
}

/// `ashiato mail-ingest`: every failure, the configuration and the database included, is a
/// reply with a sysexits code, so the MTA knows whether to bounce or retry.
fn mail_ingest(cli: &Cli, recipient: &str, sender: Option<&str>) -> Result<(), OpsError> {
    use ashiato_mail::Reply;
    let temporary = |e: OpsError| match e {
        OpsError::Mail(r) => OpsError::Mail(r),
        other => OpsError::Mail(Reply::temporary(other.to_string())),
    };
    let config = load_config(cli, None).map_err(temporary)?;
    // One byte over the limit is enough to refuse; the rest is not read.
    let cap = u64::try_from(config.mail_max_message_bytes).unwrap_or(u64::MAX).saturating_add(1);
    let mut raw = Vec::new();
    std::io::stdin()
        .take(cap)
        .read_to_end(&mut raw)
        .map_err(|e| OpsError::Mail(Reply::temporary(format!("reading the message: {e}"))))?;
    // Two connections are plenty for one message.
    let db = open_db(&Config { database_pool_size: 2, ..config.clone() }).map_err(temporary)?;
    let ingest = ashiato_app::inbound::Ingest::new(db, std::sync::Arc::new(config));
    match ingest.deliver(&raw, recipient, sender) {
        Ok(done) => {
            eprintln!("ashiato: {}", done.reply_line());
            Ok(())
        }
        Err(reply) => Err(OpsError::Mail(reply)),
    }
}

fn serve(
    cli: &Cli,
    bind: Option<String>,
    demo: bool,
    lmtp: Option<String>,
) -> Result<(), OpsError> {
    let mut config = load_config(cli, bind)?;
    if let Some(l) = lmtp {
        config.lmtp_listen = l;
    }
    init_logging(&config);
    prepare_data_dir(&config.data_dir)?;
    let secret = Secret::load_or_create(&config.data_dir)?;
    let db = open_db(&config)?;
    if demo {
        match demo::seed(&db, now())? {
            Some(summary) => eprintln!("{}", summary.instructions(&config.base_url())),
            None => eprintln!("ashiato: the database already has members; no demo data added"),
        }
    }
    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| OpsError::Io(format!("cannot listen on {}: {e}", config.bind)))?;
    // `--bind 127.0.0.1:0` picks a free port; host names and links must name the real one.
    if let Ok(actual) = listener.local_addr()
        && config.bind.ends_with(":0")
    {
        config.bind = actual.to_string();
    }
    let state = App::new(db, config.clone(), secret).map_err(OpsError::Trust)?;
    warn_if_stale(&state.trust);
    eprintln!(
        "ashiato: serving {} (listening on {}, database {})",
        config.base_url(),
        config.bind,
        config.database()
    );
    let footsteps = state.footsteps.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ingest = std::sync::Arc::new(ashiato_app::inbound::Ingest::new(
        state.db.clone(),
        std::sync::Arc::clone(&state.config),
    ));
    let mut threads = Vec::new();
    if !config.lmtp_listen.trim().is_empty() {
        let addr = crate::mail::lmtp::ListenAddr::parse(&config.lmtp_listen)
            .map_err(|e| OpsError::Usage(format!("--lmtp: {e}")))?;
        let lmtp = crate::mail::lmtp::LmtpServer::bind(&addr, ingest).map_err(|e| {
            OpsError::Io(format!("cannot listen for LMTP on {}: {e}", config.lmtp_listen))
        })?;
        eprintln!("ashiato: LMTP on {}", lmtp.local_addr());
        threads.push(
            lmtp.spawn(std::sync::Arc::clone(&stop))
                .map_err(|e| OpsError::Io(format!("cannot start the LMTP listener: {e}")))?,
        );
    }
    threads.push(
        crate::mail::outbox::spawn(
            state.db.clone(),
            std::sync::Arc::clone(&state.config),
            std::sync::Arc::clone(&stop),
            std::time::Duration::from_millis(500),
        )
        .map_err(|e| OpsError::Io(format!("cannot start the outbox worker: {e}")))?,
    );
    let served = actix_web::rt::System::new().block_on(server::serve(state, listener));
    // Stop accepting mail and sending; deliveries in progress finish first.
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    // Footsteps still queued in memory are written before the process ends.
    footsteps.flush();
    served.map_err(|e| OpsError::Io(format!("server stopped: {e}")))
}

/// `report list`: the queue as text or JSON lines.
fn report_list(cli: &Cli, open: bool, json: bool) -> Result<(), OpsError> {
    let config = load_config(cli, None)?;
    let mut conn = open_db(&config)?.conn()?;
    for r in ashiato_store::reports::list(&mut conn, open, i64::MAX)? {
        let reporter = r.reporter_email.clone().unwrap_or_else(|| "-".into());
        if json {
            let line = serde_json::json!({
                "id": r.id,
                "state": r.state.as_str(),
                "target": r.target,
                "category": r.category,
                "reporter": r.reporter_email,
                "reporter_id": r.reporter.map(|m| m.0),
                "note": r.note,
                "created": r.created_at.0,
                "action": r.action,
                "resolution": r.resolution,
                "handled": r.handled_at.map(|t| t.0),
            });
            println!("{line}");
        } else {
            println!(
                "{}\t{}\t{}\t{}\t{reporter}\t{}",
                r.id,
                r.state.as_str(),
                r.target,
                r.category,
                r.created_at.0
            );
        }
    }
    Ok(())
}

/// `content remove --path P --reason R`.
fn remove_content(cli: &Cli, path: &str, reason: &str) -> Result<(), OpsError> {
    use ashiato_core::moderation::Target;
    let target = Target::parse(path).ok_or_else(|| {
        OpsError::Usage(format!(
            "--path {path:?} names no content: use /diary/ID, /diary/ID/comments/ID, /c/ID, \
             /c/ID/topics/ID, /c/ID/topics/ID/comments/ID, /m/ID/photo or /messages/ID"
        ))
    })?;
    if matches!(target, Target::Profile(_)) {
        return Err(OpsError::Usage(
            "--path: a profile is not removed; suspend the member (member suspend) or remove \
             their photo (/m/ID/photo)"
                .into(),
        ));
    }
    let config = load_config(cli, None)?;
    let mut conn = open_db(&config)?.conn()?;
    let files = ashiato_store::files::FileStore::new(&config.data_dir);
    let done =
        ashiato_app::removal::remove(&mut conn, &files, &Actor::CommandLine, target, reason, now())
            .map_err(|e| match e {
                StoreError::NotFound => OpsError::Usage(format!(
                    "--path: nothing at {path} (removed already, or never there); nothing changed"
                )),
                StoreError::Rejected(p) => OpsError::Usage(format!("--reason {p}")),
                other => other.into(),
            })?;
    println!(
        "{path} removed ({} report(s) resolved, {} photo file(s) deleted)",
        done.reports_closed, done.photos_deleted
    );
    Ok(())
}

/// What a command about one member starts with: the settings, a connection and the member
/// named by `--email` (a usage error when there is none).
fn member_command(
    cli: &Cli,
    email: &str,
) -> Result<(Config, ashiato_store::db::PooledConn, MemberId), OpsError> {
    let config = load_config(cli, None)?;
    let mut conn = open_db(&config)?.conn()?;
    let member = member_by_email(&mut conn, email)?;
    Ok((config, conn, member))
}

/// The member whose login address is `email` (as the `--email` option): a usage error for
/// an address that is not one, or nobody's.
fn member_by_email(
    conn: &mut ashiato_store::AnyConnection,
    email: &str,
) -> Result<MemberId, OpsError> {
    let e = Email::parse(email).map_err(|p| OpsError::Usage(format!("--email {p}")))?;
    Ok(accounts::find_by_email(conn, &e)?
        .ok_or_else(|| OpsError::Usage(format!("--email: no member {email}")))?
        .id)
}

/// Validates, hashes and stores a new member. The operator vouches for the address: it counts
/// as confirmed.
pub fn add_member(db: &Db, email: &str, nickname: &str, plain: &str) -> Result<MemberId, OpsError> {
    let new = NewMember::validate(email, nickname, plain).map_err(|errors| {
        OpsError::Usage(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
    })?;
    let salt: [u8; password::SALT_LEN] = random_bytes()?;
    let hash = password::hash(plain, &salt).map_err(|e| OpsError::Io(e.to_string()))?;
    let mut conn = db.conn()?;
    write(&mut conn, |c| {
        let id = accounts::create_member(c, &new, &hash, now())?;
        accounts::confirm_email(c, id, new.email.as_str(), now())?;
        Ok(id)
    })
    .map_err(|e| match e {
        StoreError::Rejected(p) => OpsError::Usage(format!("email {p}")),
        other => other.into(),
    })
}

fn invite(
    db: &Db,
    config: &Config,
    email: Option<&str>,
    from: Option<&str>,
) -> Result<String, OpsError> {
    let email =
        email.map(Email::parse).transpose().map_err(|p| OpsError::Usage(format!("email {p}")))?;
    let mut conn = db.conn()?;
    let inviter = match from {
        None => None,
        Some(who) => {
            let found = match who.parse::<i64>() {
                Ok(id) => Some(accounts::find_member(&mut conn, MemberId(id))?),
                Err(_) => {
                    let e =
                        Email::parse(who).map_err(|p| OpsError::Usage(format!("--from {p}")))?;
                    accounts::find_by_email(&mut conn, &e)?
                }
            };
            Some(found.ok_or_else(|| OpsError::Usage(format!("--from: no member {who}")))?.id)
        }
    };
    // With a relay configured the invitation is mailed too (the outbox worker of `serve`, or
    // `mail-outbox`, sends it); without one the printed link is the only way it travels.
    let relay = !config.smtp_relay_host.trim().is_empty();
    let (issued, mailed) = write(&mut conn, |c| {
        ashiato_app::accounts::invite_in(c, config, inviter, email.as_ref(), relay, now())
    })?;
    if mailed {
        eprintln!("invitation mail queued for {}", email.as_ref().map_or("", Email::as_str));
    } else if email.is_some() && relay {
        eprintln!("invitation mail not queued: the address had its hourly number of mails");
    }
    Ok(format!("{}/join/{}", config.base_url(), issued.token))
}

fn app(cli: &Cli, command: &AppCommand) -> Result<(), OpsError> {
    use ashiato_app::apps::registry::{self, RegisterError, Source};
    let config = load_config(cli, None)?;
    prepare_data_dir(&config.data_dir)?;
    let db = open_db(&config)?;
    match command {
        AppCommand::Add { gadget, signature } => {
            let source = if gadget.starts_with("http://") || gadget.starts_with("https://") {
                Source::Url(gadget.clone())
            } else {
                Source::Xml(
                    std::fs::read(gadget)
                        .map_err(|e| OpsError::Usage(format!("cannot read {gadget}: {e}")))?,
                )
            };
            let allow = config.app_allow_private_hosts.clone();
            let reg = actix_web::rt::System::new()
                .block_on(registry::register(
                    &db,
                    source,
                    signature == "rsa-sha1",
                    &allow,
                    None,
                    ashiato_store::apps::REVIEW_APPROVED,
                    now(),
                ))
                .map_err(|e| match e {
                    RegisterError::Store(e) => OpsError::Store(e),
                    other => OpsError::Data(other.to_string()),
                })?;
            println!("app_id={}", reg.app_id);
            println!("title={}", reg.title);
            println!("consumer_key={}", reg.consumer_key);
            println!("consumer_secret={}", reg.consumer_secret);
            println!("start_url={}", reg.start_url);
            println!("signature_method={}", reg.signature_method);
        }
        AppCommand::Install { app, email } => {
            let email = Email::parse(email).map_err(|p| OpsError::Usage(format!("--email {p}")))?;
            let mut conn = db.conn()?;
            let member = accounts::find_by_email(&mut conn, &email)?.ok_or_else(|| {
                OpsError::Usage(format!("no member with e-mail {}", email.as_str()))
            })?;
            let found = match ashiato_store::apps::find(&mut conn, AppId(*app)) {
                Err(StoreError::NotFound) => {
                    return Err(OpsError::Usage(format!("no app {app}")));
                }
                other => other?,
            };
            let new = registry::install(&mut conn, &found, member.id, now())?;
            println!(
                "{} app {} for member {}",
                if new { "installed" } else { "already installed" },
                found.id,
                member.id
            );
        }
        AppCommand::List => {
            let mut conn = db.conn()?;
            for a in ashiato_store::apps::list(&mut conn, 1000, 0)? {
                println!("{}\t{}\t{}", a.id, a.title, a.start_url);
            }
        }
    }
    Ok(())
}

/// `ashiato handset`: the profile the server would build, with the configured gateway list and
/// trusted proxies (so an operator sees what their own settings make of a request).
fn handset(cli: &Cli, lines: &[String], peer: Option<std::net::IpAddr>) -> Result<(), OpsError> {
    let headers = if lines.is_empty() {
        let mut block = Vec::new();
        std::io::stdin()
            .read_to_end(&mut block)
            .map_err(|e| OpsError::Io(format!("reading headers: {e}")))?;
        HeaderList::parse(&block).map_err(|e| OpsError::Usage(format!("header block: {e}")))?
    } else {
        let mut list = HeaderList::new();
        for line in lines {
            list.parse_line(line.as_bytes())
                .map_err(|e| OpsError::Usage(format!("-H {line:?}: {e}")))?;
        }
        list
    };
    let config = load_config(cli, None)?;
    let trust = ashiato_app::trust::load_trust(&config.gateways_file, &config.trusted_proxies)
        .map_err(OpsError::Trust)?;
    warn_if_stale(&trust);
    let profile = ashiato_handset::detect(&headers, peer, &trust);
    let json = serde_json::to_string_pretty(&profile).map_err(|e| OpsError::Io(e.to_string()))?;
    println!("{json}");
    Ok(())
}

/// One line on stderr when the gateway list in use is older than the handset crate allows: easy
/// login trusts carrier addresses that may have changed hands since (keitai.md §14).
fn warn_if_stale(trust: &Trust) {
    if let (true, Some(verified)) =
        (trust.gateways.is_stale(today()), trust.gateways.last_verified())
    {
        eprintln!(
            "ashiato: warning: the carrier gateway list was last verified on {verified}, more than {} days ago",
            ashiato_handset::STALE_AFTER_DAYS
        );
    }
}

fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

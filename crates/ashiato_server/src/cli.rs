//! Command-line syntax.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// ashiato: a social network for Japanese mobile phones.
#[derive(Debug, Parser)]
#[command(name = "ashiato", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file (every key: deploy/ashiato.example.toml).
    #[arg(long, global = true, env = "ASHIATO_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory (SQLite file, secret key, photos) [env: ASHIATO_DATA_DIR].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST:PORT/DB [env: ASHIATO_DATABASE_URL].
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Address and port to listen on [env: ASHIATO_BIND] [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR:PORT")]
        bind: Option<String>,
        /// On an empty database, create a small demo community first and print how to log in.
        #[arg(long)]
        demo: bool,
        /// Also accept mail over LMTP on `HOST:PORT` or `unix:/path` [config: lmtp_listen].
        #[arg(long, value_name = "ADDR")]
        lmtp: Option<String>,
    },
    /// Deliver one message from standard input to a posting address (MTA pipe transport).
    /// Exits 0 delivered, 67 unknown recipient, 65 bad message, 75 try again later, with one
    /// line on standard error.
    MailIngest {
        /// Envelope recipient (the posting address).
        #[arg(long, value_name = "ADDR")]
        recipient: String,
        /// Envelope sender (empty for a bounce).
        #[arg(long, value_name = "ADDR")]
        sender: Option<String>,
    },
    /// Send the notification mails that are due to the SMTP relay once, and exit.
    MailOutbox {
        /// Also send mails waiting for a retry (after the relay is back).
        #[arg(long)]
        flush: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        /// Only list every migration and whether it is applied.
        #[arg(long, conflicts_with = "revert_last")]
        status: bool,
        /// Revert the newest applied migration (rolling an upgrade back; take a backup first).
        #[arg(long)]
        revert_last: bool,
    },
    /// Copy the database (a consistent snapshot, while the server runs), the photos, their
    /// cached variants and `secret.key` into a new directory, with a manifest of row counts,
    /// content digests and file checksums.
    Backup {
        /// Directory to create (must not exist yet).
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// Restore a backup into an empty data directory and database, then verify row counts,
    /// content digests and file checksums against the backup's manifest.
    Restore {
        /// Directory `ashiato backup --to` wrote.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
    },
    /// Manage members.
    Member {
        /// What to do with members.
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Create an invitation and print its sign-up link.
    Invite {
        /// Address of the person invited (shown on the sign-up form).
        #[arg(long)]
        email: Option<String>,
        /// Inviting member (e-mail or id); they and the invitee become friends.
        #[arg(long, value_name = "MEMBER")]
        from: Option<String>,
    },
    /// Operator rights.
    Admin {
        /// Grant or revoke.
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The audit log of admin actions.
    Audit {
        /// What to do with it.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Members' reports (通報).
    Report {
        /// What to do with them.
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Content the operators remove.
    Content {
        /// What to do.
        #[command(subcommand)]
        command: ContentCommand,
    },
    /// OpenSocial apps.
    App {
        /// What to do with apps.
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Image tools (the same pipeline as uploads).
    Image {
        /// What to do.
        #[command(subcommand)]
        command: ImageCommand,
    },
    /// Fill the database with a large synthetic community for load tests.
    Seed {
        /// Members to create.
        #[arg(long, default_value_t = 3000)]
        members: usize,
        /// Diary entries to create.
        #[arg(long, default_value_t = 30000)]
        diaries: usize,
        /// Friends per member, on average.
        #[arg(long, default_value_t = 20)]
        friends: usize,
        /// Messages in each member's inbox.
        #[arg(long, default_value_t = 10)]
        messages: usize,
    },
    /// Show what ashiato makes of a handset's request headers, as JSON.
    Handset {
        /// A header line, `Name: value`; repeat for several. Without any, a header block is read
        /// from standard input.
        #[arg(short = 'H', long = "header", value_name = "HEADER")]
        headers: Vec<String>,
        /// The TCP peer address the request came from (decides subscriber-ID trust).
        #[arg(long)]
        peer: Option<IpAddr>,
    },
}

/// Admin subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make a member an admin (the web console at /admin).
    Grant {
        /// Login e-mail.
        #[arg(long)]
        email: String,
    },
    /// Take admin rights away.
    Revoke {
        /// Login e-mail.
        #[arg(long)]
        email: String,
    },
}

/// Audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print the audit log, newest first.
    List {
        /// One JSON object per line instead of tab-separated text.
        #[arg(long)]
        json: bool,
        /// How many entries.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

/// Report subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Print reports, newest first: id, state, target path, category, reporter, created (ms).
    List {
        /// Only the open ones.
        #[arg(long)]
        open: bool,
        /// One JSON object per line instead of tab-separated text.
        #[arg(long)]
        json: bool,
    },
}

/// Content subcommands.
#[derive(Debug, Subcommand)]
pub enum ContentCommand {
    /// Remove content by its page path (/diary/ID, /diary/ID/comments/ID, /c/ID,
    /// /c/ID/topics/ID, /c/ID/topics/ID/comments/ID, /m/ID/photo, /messages/ID): it is
    /// deleted with its photos, an old link shows that it was removed, the open reports on it
    /// are resolved and the audit log records it.
    Remove {
        /// The content's page path.
        #[arg(long)]
        path: String,
        /// Why (required; kept in the audit log).
        #[arg(long)]
        reason: String,
    },
}

/// Member subcommands.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Create a member and print their id.
    Add {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// Nickname shown to others.
        #[arg(long)]
        nickname: String,
        /// Password (8 characters or more, not a common one).
        #[arg(long)]
        password: String,
    },
    /// Print a member's secret posting address (for the new-diary action), creating it on
    /// first use.
    PostAddress {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// Replace the address with a new one first (every old address stops working).
        #[arg(long)]
        rotate: bool,
    },
    /// Suspend a member: no login, sessions end, posting address refuses mail, content hidden
    /// from others until unsuspended (nothing is deleted).
    Suspend {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// Why (recorded in the audit log).
        #[arg(long)]
        reason: String,
    },
    /// Lift a suspension.
    Unsuspend {
        /// Login e-mail.
        #[arg(long)]
        email: String,
    },
    /// Write everything a member wrote (JSON and original photos) to a tar archive, as
    /// Settings → data export does.
    Export {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// The archive to write (refused if it exists).
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
}

/// App subcommands.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an app from its gadget XML and print its id, consumer key and secret.
    Add {
        /// Gadget XML: an http:// URL (fetched under the proxy's rules) or a file.
        #[arg(long, value_name = "URL|FILE")]
        gadget: String,
        /// How ashiato signs requests to the app: with the issued secret, or with its RSA key
        /// (public key at /social/container.pem).
        #[arg(long, value_parser = ["hmac-sha1", "rsa-sha1"], default_value = "hmac-sha1")]
        signature: String,
    },
    /// Install an app for a member (queues its event.addapp).
    Install {
        /// App id.
        #[arg(long)]
        app: i64,
        /// The member's login e-mail.
        #[arg(long)]
        email: String,
    },
    /// List registered apps: id, title, mobile start URL.
    List,
}

/// Image subcommands.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Shrink an image to a width (never enlarging), strip its metadata, and write it.
    Thumbnail {
        /// Target width in pixels.
        #[arg(long)]
        width: u32,
        /// Output format (default: that of the input).
        #[arg(long, value_parser = ["jpeg", "gif", "png"])]
        format: Option<String>,
        /// Largest output in bytes (quality, colours and size are lowered to fit).
        #[arg(long)]
        max_bytes: Option<usize>,
        /// Input file (JPEG, PNG or GIF).
        input: std::path::PathBuf,
        /// Output file.
        output: std::path::PathBuf,
    },
}

//! The LMTP listener (RFC 2033) of `ashiato serve --lmtp ADDR`, on TCP or a unix socket.
//!
//! `LHLO`, `MAIL FROM`, `RCPT TO` answered per recipient (`250 2.1.5` for a live posting
//! address, `550 5.1.1` otherwise), `DATA` answered with one reply per accepted recipient,
//! `RSET`, `NOOP`, `QUIT`. Messages are read with dot-unstuffing up to the configured size
//! (a larger one is read to the end and refused with `552 5.3.4` for every recipient);
//! command lines are capped at 1000 bytes; an idle client is dropped after five minutes
//! (RFC 5321 §4.5.3.2); at most [`MAX_CLIENTS`] connections are served at once, each on its
//! own thread, since delivery is blocking database and image work.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use ashiato_app::inbound::Ingest;

/// Connections served at the same time; more get `421` and are closed.
pub const MAX_CLIENTS: usize = 16;
/// Recipients per transaction.
pub const MAX_RECIPIENTS: usize = 100;
/// Longest command line (RFC 5321 §4.5.3.1.4: 512; LMTP clients stay below 1000).
const MAX_LINE: usize = 1000;
/// Idle time before a client is dropped.
const IDLE: Duration = Duration::from_secs(300);

/// Where to listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    /// `HOST:PORT`.
    Tcp(String),
    /// `unix:/path`.
    Unix(PathBuf),
}

impl ListenAddr {
    /// Parses `127.0.0.1:2424` or `unix:/run/ashiato/lmtp.sock`.
    pub fn parse(s: &str) -> Result<ListenAddr, String> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a socket path".into());
            }
            return Ok(ListenAddr::Unix(PathBuf::from(path)));
        }
        s.parse::<std::net::SocketAddr>()
            .map(|_| ListenAddr::Tcp(s.to_owned()))
            .map_err(|e| format!("{s:?} is neither HOST:PORT nor unix:/path ({e})"))
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

trait Stream: Read + Write + Send {
    fn set_timeouts(&self, t: Duration) -> std::io::Result<()>;
    fn split(&self) -> std::io::Result<Box<dyn Stream>>;
}

impl Stream for std::net::TcpStream {
    fn set_timeouts(&self, t: Duration) -> std::io::Result<()> {
        // Replies are small and each one is awaited: no Nagle delay.
        self.set_nodelay(true)?;
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
    fn split(&self) -> std::io::Result<Box<dyn Stream>> {
        Ok(Box::new(self.try_clone()?))
    }
}

impl Stream for std::os::unix::net::UnixStream {
    fn set_timeouts(&self, t: Duration) -> std::io::Result<()> {
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
    fn split(&self) -> std::io::Result<Box<dyn Stream>> {
        Ok(Box::new(self.try_clone()?))
    }
}

/// A bound listener, ready to [`LmtpServer::spawn`].
pub struct LmtpServer {
    listener: Listener,
    ingest: Arc<Ingest>,
}

impl std::fmt::Debug for LmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LmtpServer").field("addr", &self.local_addr()).finish_non_exhaustive()
    }
}

impl LmtpServer {
    /// Binds the address (a stale unix socket file is replaced).
    pub fn bind(addr: &ListenAddr, ingest: Arc<Ingest>) -> std::io::Result<LmtpServer> {
        let listener = match addr {
            ListenAddr::Tcp(a) => Listener::Tcp(TcpListener::bind(a)?),
            ListenAddr::Unix(path) => {
                if path.exists() {
                    std::fs::remove_file(path)?;
                }
                let l = UnixListener::bind(path)?;
                // The MTA runs as another user: owner and group may connect.
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
                Listener::Unix(l, path.clone())
            }
        };
        match &listener {
            Listener::Tcp(l) => l.set_nonblocking(true)?,
            Listener::Unix(l, _) => l.set_nonblocking(true)?,
        }
        Ok(LmtpServer { listener, ingest })
    }

    /// The bound address as text (`127.0.0.1:2424`, `unix:/path`).
    pub fn local_addr(&self) -> String {
        match &self.listener {
            Listener::Tcp(l) => l.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            Listener::Unix(_, p) => format!("unix:{}", p.display()),
        }
    }

    /// Serves on a thread until `stop` is set; connections in progress finish their current
    /// command and are closed with `421`.
    pub fn spawn(self, stop: Arc<AtomicBool>) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new().name("lmtp".into()).spawn(move || self.run(&stop))
    }

    fn accept(&self) -> std::io::Result<Option<Box<dyn Stream>>> {
        let r: std::io::Result<Box<dyn Stream>> = match &self.listener {
            Listener::Tcp(l) => l.accept().map(|(s, _)| Box::new(s) as Box<dyn Stream>),
            Listener::Unix(l, _) => l.accept().map(|(s, _)| Box::new(s) as Box<dyn Stream>),
        };
        match r {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn run(self, stop: &Arc<AtomicBool>) {
        let active = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let stream = match self.accept() {
                Ok(Some(s)) => s,
                Ok(None) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error.cause = %e, "lmtp accept failed");
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            };
            workers.retain(|h: &std::thread::JoinHandle<()>| !h.is_finished());
            if active.load(Ordering::Relaxed) >= MAX_CLIENTS {
                let mut s = stream;
                let _ = s.write_all(b"421 4.3.2 too many connections, try again later\r\n");
                continue;
            }
            active.fetch_add(1, Ordering::Relaxed);
            let (ingest, active, stop) =
                (Arc::clone(&self.ingest), Arc::clone(&active), Arc::clone(stop));
            let spawned = std::thread::Builder::new().name("lmtp-client".into()).spawn(move || {
                if let Err(e) = session(stream, &ingest, &stop) {
                    tracing::debug!(error.cause = %e, "lmtp session ended");
                }
                active.fetch_sub(1, Ordering::Relaxed);
            });
            match spawned {
                Ok(h) => workers.push(h),
                Err(e) => tracing::warn!(error.cause = %e, "cannot start an lmtp thread"),
            }
        }
        // Deliveries in progress get up to ten seconds to commit; idle clients are left to
        // the process exit (their next command would get 421).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while active.load(Ordering::Relaxed) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(workers);
        if let Listener::Unix(_, path) = &self.listener {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Reads one line (up to and including `\n`) of at most `max` bytes. `Ok(None)` at the end of
/// the stream; a longer line is consumed to its end and reported as `Err(TooLong)`.
fn read_line(r: &mut impl BufRead, max: usize, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut too_long = false;
    loop {
        let available = r.fill_buf()?;
        if available.is_empty() {
            return Ok(if buf.is_empty() && !too_long { None } else { Some(!too_long) });
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let n = chunk.len();
        if buf.len() + n > max {
            too_long = true;
        } else {
            buf.extend_from_slice(chunk);
        }
        r.consume(n);
        if done {
            return Ok(Some(!too_long));
        }
    }
}

struct Envelope {
    sender: Option<String>,
    recipients: Vec<String>,
}

fn session(stream: Box<dyn Stream>, ingest: &Ingest, stop: &AtomicBool) -> std::io::Result<()> {
    stream.set_timeouts(IDLE)?;
    let mut out = stream.split()?;
    let mut input = BufReader::new(stream);
    let domain = ingest.config().mail_addresses().domain;
    let domain = if domain.is_empty() { "localhost".to_owned() } else { domain };
    let max = ingest.config().mail_max_message_bytes;
    // One write per reply: with Nagle's algorithm and delayed ACKs, a reply split over two
    // segments costs the client 40 ms or more per command.
    let send = |out: &mut Box<dyn Stream>, line: &str| -> std::io::Result<()> {
        let mut reply = Vec::with_capacity(line.len() + 2);
        reply.extend_from_slice(line.as_bytes());
        reply.extend_from_slice(b"\r\n");
        out.write_all(&reply)?;
        out.flush()
    };
    send(&mut out, &format!("220 {domain} LMTP ashiato ready"))?;
    let mut greeted = false;
    let mut env: Option<Envelope> = None;
    let mut line = Vec::new();
    loop {
        if stop.load(Ordering::Relaxed) {
            return send(&mut out, "421 4.3.2 shutting down");
        }
        let Some(ok) = read_line(&mut input, MAX_LINE, &mut line)? else { return Ok(()) };
        if !ok {
            send(&mut out, "500 5.5.2 line too long")?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
        match verb.to_ascii_uppercase().as_str() {
            "LHLO" => {
                greeted = true;
                env = None;
                send(
                    &mut out,
                    &format!(
                        "250-{domain}\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE {max}"
                    ),
                )?;
            }
            "HELO" | "EHLO" => send(&mut out, "500 5.5.1 this is LMTP: use LHLO")?,
            "MAIL" if !greeted => send(&mut out, "503 5.5.1 LHLO first")?,
            "MAIL" => {
                let Some((sender, params)) = path_arg(arg, "FROM:") else {
                    send(&mut out, "501 5.5.4 syntax: MAIL FROM:<address>")?;
                    continue;
                };
                let declared = params
                    .split_whitespace()
                    .find_map(|p| p.to_ascii_uppercase().strip_prefix("SIZE=").map(str::to_owned))
                    .and_then(|n| n.parse::<usize>().ok());
                if declared.is_some_and(|n| n > max) {
                    send(&mut out, "552 5.3.4 message too large")?;
                    continue;
                }
                env = Some(Envelope { sender: Some(sender), recipients: Vec::new() });
                send(&mut out, "250 2.1.0 sender ok")?;
            }
            "RCPT" => {
                let Some(e) = env.as_mut() else {
                    send(&mut out, "503 5.5.1 MAIL first")?;
                    continue;
                };
                let Some((rcpt, _)) = path_arg(arg, "TO:") else {
                    send(&mut out, "501 5.5.4 syntax: RCPT TO:<address>")?;
                    continue;
                };
                if e.recipients.len() >= MAX_RECIPIENTS {
                    send(&mut out, "452 4.5.3 too many recipients")?;
                    continue;
                }
                match ingest.check_recipient(&rcpt) {
                    Ok(_) => {
                        e.recipients.push(rcpt);
                        send(&mut out, "250 2.1.5 recipient ok")?;
                    }
                    Err(reply) => send(&mut out, &reply.to_string())?,
                }
            }
            "DATA" => {
                let Some(e) = env.take() else {
                    send(&mut out, "503 5.5.1 MAIL first")?;
                    continue;
                };
                if e.recipients.is_empty() {
                    send(&mut out, "503 5.5.1 no valid recipients")?;
                    continue;
                }
                send(&mut out, "354 2.0.0 send the message, end with <CRLF>.<CRLF>")?;
                let Some(message) = read_data(&mut input, max)? else { return Ok(()) };
                for rcpt in &e.recipients {
                    let reply = match &message {
                        None => "552 5.3.4 message too large".to_owned(),
                        Some(raw) => match ingest.deliver(raw, rcpt, e.sender.as_deref()) {
                            Ok(done) => done.reply_line(),
                            Err(reply) => reply.to_string(),
                        },
                    };
                    send(&mut out, &reply)?;
                }
            }
            "RSET" => {
                env = None;
                send(&mut out, "250 2.0.0 ok")?;
            }
            "NOOP" => send(&mut out, "250 2.0.0 ok")?,
            "VRFY" => send(&mut out, "252 2.5.0 not verified")?,
            "QUIT" => return send(&mut out, "221 2.0.0 bye"),
            _ => send(&mut out, "500 5.5.2 unknown command")?,
        }
    }
}

/// `FROM:<a@b> SIZE=1` → (`a@b`, `SIZE=1`); the empty path `<>` gives `""`.
fn path_arg(arg: &str, keyword: &str) -> Option<(String, String)> {
    let arg = arg.trim_start();
    if arg.len() < keyword.len() || !arg[..keyword.len()].eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        Some((inner[..end].trim().to_owned(), inner[end + 1..].trim().to_owned()))
    } else {
        let (addr, params) = rest.split_once(' ').unwrap_or((rest, ""));
        (!addr.is_empty()).then(|| (addr.to_owned(), params.trim().to_owned()))
    }
}

/// Reads the message after `354` up to the lone `.`, undoing dot-stuffing. `Ok(None)` when
/// the client went away; `Some(None)` when it was larger than `max` (read to the end and
/// dropped, so the session stays in step).
fn read_data(r: &mut impl BufRead, max: usize) -> std::io::Result<Option<Option<Vec<u8>>>> {
    let mut msg = Vec::new();
    let mut over = false;
    let mut line = Vec::new();
    loop {
        // Data lines may be long (some mailers ignore the 998 limit): allow up to 1 MiB each.
        let Some(fits) = read_line(r, 1 << 20, &mut line)? else { return Ok(None) };
        if !fits {
            // A line over 1 MiB is no mail a phone sends: drop the message, stay in step.
            over = true;
            msg = Vec::new();
            continue;
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body == b"." {
            return Ok(Some((!over).then_some(msg)));
        }
        let body = body.strip_prefix(b".").unwrap_or(body);
        if !over {
            if msg.len() + body.len() + 2 > max {
                over = true;
                msg = Vec::new();
            } else {
                msg.extend_from_slice(body);
                msg.extend_from_slice(b"\r\n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse() {
        assert_eq!(
            ListenAddr::parse("127.0.0.1:2424"),
            Ok(ListenAddr::Tcp("127.0.0.1:2424".into()))
        );
        assert_eq!(
            ListenAddr::parse("unix:/tmp/x.sock"),
            Ok(ListenAddr::Unix("/tmp/x.sock".into()))
        );
        assert!(ListenAddr::parse("localhost").is_err());
        assert!(ListenAddr::parse("unix:").is_err());
    }

    #[test]
    fn paths_and_data() {
        assert_eq!(path_arg("FROM:<a@b> SIZE=10", "FROM:"), Some(("a@b".into(), "SIZE=10".into())));
        assert_eq!(path_arg("from: <>", "FROM:"), Some((String::new(), String::new())));
        assert_eq!(path_arg("TO:x@y", "TO:"), Some(("x@y".into(), String::new())));
        assert_eq!(path_arg("TO x@y", "TO:"), None);
        let mut r = std::io::Cursor::new(b"a\r\n..b\r\n.\r\nNEXT\r\n".to_vec());
        assert_eq!(read_data(&mut r, 100).expect("io"), Some(Some(b"a\r\n.b\r\n".to_vec())));
        let mut line = Vec::new();
        assert_eq!(read_line(&mut r, 100, &mut line).expect("io"), Some(true));
        assert_eq!(line, b"NEXT\r\n");
        let mut big = std::io::Cursor::new(b"0123456789\r\n0123456789\r\n.\r\n".to_vec());
        assert_eq!(read_data(&mut big, 15).expect("io"), Some(None));
        let mut long = std::io::Cursor::new(b"xxxxxxxxxx\nok\n".to_vec());
        assert_eq!(read_line(&mut long, 5, &mut line).expect("io"), Some(false));
        assert_eq!(read_line(&mut long, 5, &mut line).expect("io"), Some(true));
    }
}

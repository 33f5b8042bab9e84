//! A tiny SMTP sink for tests: listens on a loopback port, accepts every message and keeps
//! it (envelope and the bytes after dot-unstuffing). Never relays anything anywhere.
//!
//! [`SmtpSink::start_relay`] plays a hosted relay instead: it offers STARTTLS with a
//! self-signed certificate made at start ([`SmtpSink::cert_pem`]), refuses AUTH before TLS
//! (538) and mail before AUTH (530), and takes AUTH PLAIN or LOGIN for one user.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// One received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// `MAIL FROM` path.
    pub from: String,
    /// `RCPT TO` paths.
    pub to: Vec<String>,
    /// The message, CRLF line ends, dots unstuffed.
    pub data: Vec<u8>,
    /// Whether it came over TLS (after STARTTLS).
    pub tls: bool,
    /// The user name it authenticated as, if it did.
    pub user: Option<String>,
}

/// What a relay-mode sink asks of its clients.
struct RelayMode {
    tls: Arc<rustls::ServerConfig>,
    user: String,
    password: String,
}

/// A running sink; stops when dropped.
pub struct SmtpSink {
    /// Where it listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
    /// PEM of the relay-mode sink's self-signed certificate (for `localhost`); empty for a
    /// plain sink.
    pub cert_pem: String,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SmtpSink {
    /// Starts a sink on a free loopback port.
    pub fn start() -> SmtpSink {
        SmtpSink::listen(None, String::new())
    }

    /// Starts a sink that behaves as a hosted relay: STARTTLS required before AUTH, AUTH
    /// required before mail, for `user` with `password`.
    pub fn start_relay(user: &str, password: &str) -> SmtpSink {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("a self-signed certificate");
        let key =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
        // The process's provider: ring, the only one in the build (lettre's too).
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .expect("TLS server settings");
        let mode = RelayMode {
            tls: Arc::new(config),
            user: user.to_owned(),
            password: password.to_owned(),
        };
        SmtpSink::listen(Some(Arc::new(mode)), certified.cert.pem())
    }

    fn listen(mode: Option<Arc<RelayMode>>, cert_pem: String) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("local address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (Arc::clone(&received), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let r = Arc::clone(&r);
                        let mode = mode.clone();
                        std::thread::spawn(move || {
                            let _ = serve(stream, &r, mode.as_deref());
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        SmtpSink { addr, cert_pem, received, stop, thread: Some(thread) }
    }

    /// Messages received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Waits up to `timeout` until at least `n` messages arrived; returns what arrived.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || std::time::Instant::now() >= deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The connection, before or after STARTTLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

fn reply(input: &mut BufReader<Stream>, text: &[u8]) -> std::io::Result<()> {
    let out = input.get_mut();
    out.write_all(text)?;
    out.flush()
}

fn read_line(input: &mut BufReader<Stream>) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end().to_owned()))
}

fn decode(b64: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(b64.trim()).unwrap_or_default()
}

fn serve(
    stream: TcpStream,
    received: &Mutex<Vec<Received>>,
    mode: Option<&RelayMode>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut input = BufReader::new(Stream::Plain(stream));
    reply(&mut input, b"220 sink.test ESMTP test sink\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let (mut tls, mut user) = (false, None::<String>);
    loop {
        let Some(cmd) = read_line(&mut input)? else { return Ok(()) };
        let upper = cmd.to_ascii_uppercase();
        let path = |s: &str| s.split_once('<').map(|(_, r)| r.trim_end_matches('>').to_owned());
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let offer: &[u8] = match (mode, tls) {
                (None, _) => b"250-sink.test\r\n250 8BITMIME\r\n",
                (Some(_), false) => b"250-sink.test\r\n250-8BITMIME\r\n250 STARTTLS\r\n",
                (Some(_), true) => b"250-sink.test\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n",
            };
            reply(&mut input, offer)?;
        } else if upper == "STARTTLS" && !tls {
            let Some(m) = mode else {
                reply(&mut input, b"502 5.5.1 not offered\r\n")?;
                continue;
            };
            reply(&mut input, b"220 2.0.0 ready to start TLS\r\n")?;
            let Stream::Plain(tcp) = input.into_inner() else { return Ok(()) };
            let conn =
                rustls::ServerConnection::new(Arc::clone(&m.tls)).map_err(std::io::Error::other)?;
            input = BufReader::new(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))));
            tls = true;
        } else if upper.starts_with("AUTH ") {
            let Some(m) = mode else {
                reply(&mut input, b"502 5.5.1 not offered\r\n")?;
                continue;
            };
            if !tls {
                reply(&mut input, b"538 5.7.11 encryption required\r\n")?;
                continue;
            }
            let words: Vec<&str> = cmd.split_whitespace().collect();
            let (name, password) = match words.get(1).map(|w| w.to_ascii_uppercase()).as_deref() {
                Some("PLAIN") => {
                    let answer = match words.get(2) {
                        Some(b64) => (*b64).to_owned(),
                        None => {
                            reply(&mut input, b"334 \r\n")?;
                            read_line(&mut input)?.unwrap_or_default()
                        }
                    };
                    let raw = decode(&answer);
                    let mut parts = raw.split(|&b| b == 0).skip(1);
                    let name =
                        String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
                    let password =
                        String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
                    (name, password)
                }
                Some("LOGIN") => {
                    reply(&mut input, b"334 VXNlcm5hbWU6\r\n")?;
                    let name = decode(&read_line(&mut input)?.unwrap_or_default());
                    reply(&mut input, b"334 UGFzc3dvcmQ6\r\n")?;
                    let password = decode(&read_line(&mut input)?.unwrap_or_default());
                    (
                        String::from_utf8_lossy(&name).into_owned(),
                        String::from_utf8_lossy(&password).into_owned(),
                    )
                }
                _ => {
                    reply(&mut input, b"504 5.5.4 mechanism not supported\r\n")?;
                    continue;
                }
            };
            if name == m.user && password == m.password {
                user = Some(name);
                reply(&mut input, b"235 2.7.0 authenticated\r\n")?;
            } else {
                reply(&mut input, b"535 5.7.8 authentication credentials invalid\r\n")?;
            }
        } else if upper.starts_with("MAIL FROM:") {
            if mode.is_some() && user.is_none() {
                reply(&mut input, b"530 5.7.0 authentication required\r\n")?;
                continue;
            }
            from = path(&cmd).unwrap_or_default();
            to.clear();
            reply(&mut input, b"250 2.1.0 ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(path(&cmd).unwrap_or_default());
            reply(&mut input, b"250 2.1.5 ok\r\n")?;
        } else if upper == "DATA" {
            reply(&mut input, b"354 go ahead\r\n")?;
            let mut data = Vec::new();
            let mut raw = Vec::new();
            loop {
                raw.clear();
                if input.read_until(b'\n', &mut raw)? == 0 {
                    return Ok(());
                }
                if raw == b".\r\n" || raw == b".\n" {
                    break;
                }
                data.extend_from_slice(raw.strip_prefix(b".").unwrap_or(&raw));
            }
            if let Ok(mut v) = received.lock() {
                let (from, to, user) = (from.clone(), to.clone(), user.clone());
                v.push(Received { from, to, data, tls, user });
            }
            reply(&mut input, b"250 2.0.0 queued\r\n")?;
        } else if upper == "QUIT" {
            reply(&mut input, b"221 2.0.0 bye\r\n")?;
            return Ok(());
        } else {
            reply(&mut input, b"250 2.0.0 ok\r\n")?;
        }
    }
}

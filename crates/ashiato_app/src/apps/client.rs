//! The outbound HTTP client for apps: gadget specs, proxied pages, images and lifecycle events.
//!
//! Written for the SSRF rules (`security.md` §8) rather than borrowed from a general client:
//! every URL passes [`check_target`], the host is resolved here and the answer passes
//! [`check_resolved`], and the connection goes **only** to an address that was checked, so a
//! DNS answer cannot change between the check and the connect (rebinding). Redirects are
//! followed only where the caller asks, at most [`MAX_REDIRECTS`], each one checked again.
//! Time and size are bounded: a whole exchange ends at its timeout (10 s pages, 5 s images) and
//! a body past its cap is refused, not truncated.
//!
//! HTTP/1.1 with `Connection: close`; `Content-Length`, chunked and read-to-end bodies.
//! `https` app URLs are refused with a clear error: ashiato has no TLS client yet
//! (`docs/opensocial.md`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ashiato_opensocial::proxy::{ProxyError, check_resolved, check_target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::{Host, Url};

/// Redirects followed for gadget specs and images.
pub const MAX_REDIRECTS: usize = 3;
/// Time for a page or a gadget spec (mixi: 10 s).
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time for an image (mixi: 5 s).
pub const IMAGE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest response head accepted.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Which hosts a fetch may reach.
#[derive(Clone, Debug, Default)]
pub struct HostPolicy {
    /// The app's registered hosts.
    pub registered: Vec<String>,
    /// Hosts exempt from the address and port rules (`app_allow_private_hosts`).
    pub allow_private: Vec<String>,
}

/// A request to send.
#[derive(Clone, Debug)]
pub struct Outbound {
    /// `GET`, `POST`, ….
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers (besides `Host`, `Content-Length` and `Connection`, which are set here).
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body, if any.
    pub body: Option<Vec<u8>>,
}

impl Outbound {
    /// A plain GET.
    pub fn get(url: impl Into<String>) -> Outbound {
        Outbound { method: "GET".into(), url: url.into(), headers: Vec::new(), body: None }
    }
}

/// A response.
#[derive(Clone, Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers as received (names lower-cased).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// The URL that answered (after redirects).
    pub url: Url,
}

impl Response {
    /// The first value of a header, as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).trim().to_owned())
    }

    /// Whether this is a redirect with a `Location`.
    pub fn redirect_location(&self) -> Option<String> {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
            .then(|| self.header("location"))
            .flatten()
            .filter(|l| !l.is_empty())
    }
}

/// Why a fetch failed. Shown to members in short form and to operators in the log.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL or the addresses it resolved to are not allowed.
    #[error("refused: {0}")]
    Refused(#[from] ProxyError),
    /// `https` URLs need a TLS client ashiato does not have.
    #[error("https app URLs are not supported")]
    Https,
    /// The name did not resolve.
    #[error("cannot resolve {0}")]
    Dns(String),
    /// No checked address accepted the connection.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The exchange took longer than allowed.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The body (or head) was over the cap.
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    /// Not a well-formed HTTP response.
    #[error("bad response: {0}")]
    Protocol(String),
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("too many redirects")]
    TooManyRedirects,
}

impl FetchError {
    /// Whether trying again later could succeed (for the lifecycle queue).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            FetchError::Dns(_)
                | FetchError::Connect(_)
                | FetchError::Timeout(_)
                | FetchError::Protocol(_)
        )
    }
}

/// Resolves and checks a URL: the target rules, then DNS, then the address rules. Returns the
/// addresses that may be connected to.
async fn admit(url: &str, policy: &HostPolicy) -> Result<(Url, Vec<SocketAddr>), FetchError> {
    let u = check_target(url, &policy.registered, &policy.allow_private)?;
    if u.scheme() == "https" {
        return Err(FetchError::Https);
    }
    let port = u.port_or_known_default().unwrap_or(80);
    let addrs: Vec<IpAddr> = match u.host() {
        Some(Host::Ipv4(a)) => vec![IpAddr::V4(a)],
        Some(Host::Ipv6(a)) => vec![IpAddr::V6(a)],
        Some(Host::Domain(d)) => tokio::net::lookup_host((d, port))
            .await
            .map_err(|e| FetchError::Dns(format!("{d}: {e}")))?
            .map(|s| s.ip())
            .collect(),
        None => return Err(FetchError::Refused(ProxyError::BadUrl)),
    };
    check_resolved(&u, &addrs, &policy.allow_private)?;
    Ok((u, addrs.into_iter().map(|ip| SocketAddr::new(ip, port)).collect()))
}

/// Sends one request (no redirects followed) within `timeout`, reading at most `max_bytes` of
/// body.
///
/// # Errors
/// [`FetchError`].
pub async fn send(
    req: &Outbound,
    policy: &HostPolicy,
    timeout: Duration,
    max_bytes: usize,
) -> Result<Response, FetchError> {
    tokio::time::timeout(timeout, send_inner(req, policy, max_bytes))
        .await
        .map_err(|_| FetchError::Timeout(timeout))?
}

/// GETs a URL following up to [`MAX_REDIRECTS`] redirects, each one checked like the first,
/// all within `timeout`.
///
/// # Errors
/// [`FetchError`].
pub async fn get_following(
    url: &str,
    headers: &[(String, Vec<u8>)],
    policy: &HostPolicy,
    timeout: Duration,
    max_bytes: usize,
) -> Result<Response, FetchError> {
    let run = async {
        let mut current = url.to_owned();
        for _ in 0..=MAX_REDIRECTS {
            let req = Outbound {
                method: "GET".into(),
                url: current.clone(),
                headers: headers.to_vec(),
                body: None,
            };
            let resp = send_inner(&req, policy, max_bytes).await?;
            match resp.redirect_location() {
                Some(loc) => {
                    current = resp
                        .url
                        .join(&loc)
                        .map_err(|_| FetchError::Protocol(format!("bad Location {loc:?}")))?
                        .to_string();
                }
                None => return Ok(resp),
            }
        }
        Err(FetchError::TooManyRedirects)
    };
    tokio::time::timeout(timeout, run).await.map_err(|_| FetchError::Timeout(timeout))?
}

async fn send_inner(
    req: &Outbound,
    policy: &HostPolicy,
    max_bytes: usize,
) -> Result<Response, FetchError> {
    let (url, addrs) = admit(&req.url, policy).await?;
    let mut last_err = String::from("no address");
    let mut stream = None;
    for a in &addrs {
        match TcpStream::connect(a).await {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_err = format!("{a}: {e}"),
        }
    }
    let mut stream = stream.ok_or(FetchError::Connect(last_err))?;
    stream
        .write_all(&request_bytes(req, &url))
        .await
        .map_err(|e| FetchError::Connect(e.to_string()))?;
    let (status, headers, body) = read_response(&mut stream, &req.method, max_bytes).await?;
    Ok(Response { status, headers, body, url })
}

/// The request as bytes: request line, `Host`, the caller's headers (CR/LF removed: a value
/// from the handset cannot add a header), `Content-Length`, `Connection: close`.
fn request_bytes(req: &Outbound, url: &Url) -> Vec<u8> {
    let mut target = url.path().to_owned();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => String::new(),
    };
    let method: String =
        req.method.chars().filter(char::is_ascii_alphabetic).collect::<String>().to_uppercase();
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n").into_bytes();
    for (name, value) in &req.headers {
        let name: String = name.chars().filter(|c| c.is_ascii_graphic() && *c != ':').collect();
        let lower = name.to_ascii_lowercase();
        if name.is_empty()
            || matches!(
                lower.as_str(),
                "host" | "content-length" | "connection" | "transfer-encoding"
            )
        {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend(value.iter().copied().filter(|b| *b != b'\r' && *b != b'\n'));
        out.extend_from_slice(b"\r\n");
    }
    if let Some(b) = &req.body {
        out.extend_from_slice(format!("Content-Length: {}\r\n", b.len()).as_bytes());
    } else if matches!(method.as_str(), "POST" | "PUT") {
        out.extend_from_slice(b"Content-Length: 0\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    if let Some(b) = &req.body {
        out.extend_from_slice(b);
    }
    out
}

type Head = (u16, Vec<(String, Vec<u8>)>);

fn parse_head(head: &[u8]) -> Result<Head, FetchError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(FetchError::Protocol(format!("status line {status_line:?}")));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| FetchError::Protocol(format!("status line {status_line:?}")))?;
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (n, v) = line
            .split_once(':')
            .ok_or_else(|| FetchError::Protocol(format!("header line {line:?}")))?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().as_bytes().to_vec()));
    }
    Ok((status, headers))
}

async fn read_response(
    stream: &mut TcpStream,
    method: &str,
    max_bytes: usize,
) -> Result<(u16, Vec<(String, Vec<u8>)>, Vec<u8>), FetchError> {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(FetchError::TooLarge(MAX_HEAD_BYTES));
        }
        let n = stream.read(&mut chunk).await.map_err(|e| FetchError::Protocol(e.to_string()))?;
        if n == 0 {
            return Err(FetchError::Protocol("connection closed before the headers ended".into()));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let (status, headers) = parse_head(&buf[..head_end])?;
    let mut rest = buf.split_off(head_end + 4);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| String::from_utf8_lossy(v).trim().to_ascii_lowercase())
    };
    if method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304 {
        return Ok((status, headers, Vec::new()));
    }
    let body = if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        read_to_end(stream, &mut rest, max_bytes.saturating_mul(2).saturating_add(64 * 1024))
            .await?;
        dechunk(&rest, max_bytes)?
    } else if let Some(len) = header("content-length") {
        let len: usize =
            len.parse().map_err(|_| FetchError::Protocol(format!("Content-Length {len:?}")))?;
        if len > max_bytes {
            return Err(FetchError::TooLarge(max_bytes));
        }
        while rest.len() < len {
            let n =
                stream.read(&mut chunk).await.map_err(|e| FetchError::Protocol(e.to_string()))?;
            if n == 0 {
                return Err(FetchError::Protocol("body shorter than Content-Length".into()));
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(len);
        rest
    } else {
        read_to_end(stream, &mut rest, max_bytes).await?;
        rest
    };
    Ok((status, headers, body))
}

async fn read_to_end(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    cap: usize,
) -> Result<(), FetchError> {
    let mut chunk = [0u8; 8192];
    loop {
        if buf.len() > cap {
            return Err(FetchError::TooLarge(cap));
        }
        let n = stream.read(&mut chunk).await.map_err(|e| FetchError::Protocol(e.to_string()))?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Decodes a chunked body, refusing one longer than `max_bytes`.
fn dechunk(mut data: &[u8], max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| FetchError::Protocol("unterminated chunk size".into()))?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| FetchError::Protocol(format!("chunk size {size_hex:?}")))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if out.len().saturating_add(size) > max_bytes {
            return Err(FetchError::TooLarge(max_bytes));
        }
        if data.len() < size + 2 {
            return Err(FetchError::Protocol("truncated chunk".into()));
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode_and_are_capped() {
        let body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
        assert_eq!(dechunk(body, 100).expect("valid"), b"hello world");
        assert!(matches!(dechunk(body, 8), Err(FetchError::TooLarge(8))));
        assert!(matches!(dechunk(b"zz\r\n", 8), Err(FetchError::Protocol(_))));
        assert!(matches!(dechunk(b"5\r\nhel", 8), Err(FetchError::Protocol(_))));
    }

    #[test]
    fn request_headers_cannot_be_smuggled() {
        let url = Url::parse("http://app.example:8000/m?a=1").expect("url");
        let req = Outbound {
            method: "post\r\nX".into(),
            url: url.to_string(),
            headers: vec![
                ("User-Agent".into(), b"DoCoMo/2.0\r\nX-Evil: 1".to_vec()),
                ("Host".into(), b"other".to_vec()),
                ("Bad Name:".into(), b"v".to_vec()),
            ],
            body: Some(b"x=1".to_vec()),
        };
        let text = String::from_utf8(request_bytes(&req, &url)).expect("ascii");
        assert!(text.starts_with("POSTX /m?a=1 HTTP/1.1\r\nHost: app.example:8000\r\n"), "{text}");
        assert!(text.contains("User-Agent: DoCoMo/2.0X-Evil: 1\r\n"), "{text}");
        assert!(!text.contains("Host: other"), "{text}");
        assert!(text.contains("BadName: v\r\n"), "{text}");
        assert!(text.ends_with("Content-Length: 3\r\nConnection: close\r\n\r\nx=1"), "{text}");
    }

    #[test]
    fn heads_parse_and_garbage_is_refused() {
        let (status, headers) =
            parse_head(b"HTTP/1.0 302 Found\r\nLocation: /x\r\nContent-Type: text/html")
                .expect("valid");
        assert_eq!(status, 302);
        assert_eq!(headers[0], ("location".to_owned(), b"/x".to_vec()));
        assert!(parse_head(b"SSH-2.0-OpenSSH").is_err());
        assert!(parse_head(b"HTTP/1.1 999 What").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nno colon").is_err());
    }

    #[tokio::test]
    async fn private_addresses_are_refused_before_connecting() {
        let policy = HostPolicy { registered: vec!["127.0.0.1".into()], allow_private: vec![] };
        let err = send(&Outbound::get("http://127.0.0.1/"), &policy, PAGE_TIMEOUT, 1024)
            .await
            .expect_err("loopback");
        assert!(matches!(err, FetchError::Refused(ProxyError::PrivateAddress(_))), "{err}");
        let err = send(&Outbound::get("http://other.example/"), &policy, PAGE_TIMEOUT, 1024)
            .await
            .expect_err("unregistered");
        assert!(matches!(err, FetchError::Refused(ProxyError::HostNotRegistered(_))), "{err}");
        let policy = HostPolicy { registered: vec!["app.example".into()], allow_private: vec![] };
        let err = send(&Outbound::get("https://app.example/"), &policy, PAGE_TIMEOUT, 1024)
            .await
            .expect_err("tls");
        assert!(matches!(err, FetchError::Https), "{err}");
    }

    #[tokio::test]
    async fn a_local_server_answers_within_caps() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            for body in ["first", "a body that is far too long for the cap"] {
                let (mut s, _) = listener.accept().await.expect("accept");
                let mut req = vec![0u8; 4096];
                let n = s.read(&mut req).await.expect("read");
                assert!(req[..n].starts_with(b"GET /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:"));
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                    body.len()
                );
                s.write_all(reply.as_bytes()).await.expect("write");
            }
        });
        let policy = HostPolicy {
            registered: vec!["127.0.0.1".into()],
            allow_private: vec!["127.0.0.1".into()],
        };
        let url = format!("http://127.0.0.1:{port}/p?q=1");
        let r = send(&Outbound::get(&url), &policy, PAGE_TIMEOUT, 16).await.expect("fetched");
        assert_eq!((r.status, r.body.as_slice()), (200, b"first".as_slice()));
        let err = send(&Outbound::get(&url), &policy, PAGE_TIMEOUT, 16).await.expect_err("cap");
        assert!(matches!(err, FetchError::TooLarge(16)), "{err}");
    }
}

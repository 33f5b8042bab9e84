//! A minimal SMTP client for handing notification mails to a local relay: EHLO (HELO as a
//! fallback), MAIL, RCPT, DATA with dot-stuffing, QUIT. Plain TCP without TLS or AUTH: the
//! relay is the MTA on this host or the private network (docs/mail.md). Written here rather
//! than pulling an SMTP library for these few exchanges.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Why a mail was not handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct SmtpError {
    /// The relay refused for good (a 5xx reply): retrying cannot help.
    pub permanent: bool,
    /// Whether the relay could not be reached at all (the rest of a batch can wait).
    pub unreachable: bool,
    /// One line for the operator's log and the outbox row (no message content).
    pub text: String,
}

fn temporary(text: String) -> SmtpError {
    SmtpError { permanent: false, unreachable: false, text }
}

/// A relay.
#[derive(Clone, Debug)]
pub struct Relay {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Name we greet with (`EHLO name`).
    pub helo: String,
    /// Connect, read and write timeout.
    pub timeout: Duration,
}

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    /// Reads one (possibly multi-line) reply: its code and last line.
    fn reply(&mut self) -> Result<(u16, String), SmtpError> {
        let mut line = String::new();
        loop {
            line.clear();
            let n = Read::take(&mut self.reader, 4096)
                .read_line(&mut line)
                .map_err(|e| temporary(format!("reading the relay's reply: {e}")))?;
            if n == 0 {
                return Err(temporary("the relay closed the connection".into()));
            }
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| temporary(format!("not an SMTP reply: {:?}", line.trim_end())))?;
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, line.trim_end().to_owned()));
            }
        }
    }

    fn command(&mut self, cmd: &str, expect: &[u16]) -> Result<(u16, String), SmtpError> {
        self.writer
            .write_all(format!("{cmd}\r\n").as_bytes())
            .map_err(|e| temporary(format!("writing to the relay: {e}")))?;
        let (code, text) = self.reply()?;
        check(cmd, code, &text, expect)?;
        Ok((code, text))
    }
}

fn check(cmd: &str, code: u16, text: &str, expect: &[u16]) -> Result<(), SmtpError> {
    if expect.contains(&code) {
        return Ok(());
    }
    let verb = cmd.split([' ', ':']).next().unwrap_or(cmd);
    Err(SmtpError {
        permanent: (500..600).contains(&code),
        unreachable: false,
        text: format!("{verb}: {text}"),
    })
}

/// Writes the message with CRLF line ends and leading dots doubled, then the end marker.
pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    for line in message.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Hands one message to the relay for one recipient.
pub fn send(relay: &Relay, from: &str, to: &str, message: &[u8]) -> Result<(), SmtpError> {
    let unreachable = |text: String| SmtpError { permanent: false, unreachable: true, text };
    let addrs: Vec<_> = (relay.host.as_str(), relay.port)
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("resolving {}: {e}", relay.host)))?
        .collect();
    let mut last = unreachable(format!("{} has no address", relay.host));
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, relay.timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = unreachable(format!("connecting to {addr}: {e}")),
        }
    }
    let stream = stream.ok_or(last)?;
    let io = |e: std::io::Error| temporary(format!("relay connection: {e}"));
    stream.set_nodelay(true).map_err(io)?;
    stream.set_read_timeout(Some(relay.timeout)).map_err(io)?;
    stream.set_write_timeout(Some(relay.timeout)).map_err(io)?;
    let writer = stream.try_clone().map_err(io)?;
    let mut c = Conn { reader: BufReader::new(stream), writer };
    let (code, text) = c.reply()?;
    check("greeting", code, &text, &[220])?;
    if c.command(&format!("EHLO {}", relay.helo), &[250]).is_err() {
        c.command(&format!("HELO {}", relay.helo), &[250])?;
    }
    c.command(&format!("MAIL FROM:<{}>", clean(from)), &[250])?;
    c.command(&format!("RCPT TO:<{}>", clean(to)), &[250, 251])?;
    c.command("DATA", &[354])?;
    c.writer.write_all(&dot_stuff(message)).map_err(io)?;
    let (code, text) = c.reply()?;
    check("DATA", code, &text, &[250])?;
    // The mail is the relay's now; a failed QUIT changes nothing.
    let _ = c.command("QUIT", &[221]);
    Ok(())
}

/// An address as it goes between angle brackets: no line breaks, brackets or spaces.
fn clean(address: &str) -> String {
    address.chars().filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ' ')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_doubled_and_lines_end_in_crlf() {
        assert_eq!(dot_stuff(b"a\r\n.b\n..c\r\nd"), b"a\r\n..b\r\n...c\r\nd\r\n.\r\n");
        assert_eq!(dot_stuff(b""), b".\r\n");
        assert_eq!(clean("a@b\r\nRCPT TO:<x>"), "a@bRCPTTO:x");
    }
}

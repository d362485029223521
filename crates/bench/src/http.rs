//! A minimal HTTP/1.1 client for the bursts: one keep-alive connection, a request sent
//! as prepared bytes, the answer read by its status line and Content-Length (or chunks).
//! It costs a few microseconds a request, so the load generator leaves the cores it
//! shares with the server to the server.

use std::io;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where a server listens, as the requests to it name it.
#[derive(Clone, Debug)]
pub struct Target {
    /// `http://host:port`, as given (without a trailing slash); sent as `Origin`.
    pub url: String,
    /// `host:port`, to connect to and to send as `Host`.
    pub host: String,
}

impl Target {
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        let url = url.trim().trim_end_matches('/').to_string();
        let Some(rest) = url.strip_prefix("http://") else { bail!("{url}: only http:// URLs can be benchmarked") };
        if rest.is_empty() || rest.contains('/') {
            bail!("{url}: give the server's root URL, e.g. http://127.0.0.1:8080");
        }
        let host = if rest.contains(':') { rest.to_string() } else { format!("{rest}:80") };
        Ok(Target { url, host })
    }
}

/// One answer; the body stays in the connection's buffer until the next request.
pub struct Answer<'a> {
    pub status: u16,
    pub body: &'a [u8],
}

pub struct Conn {
    stream: TcpStream,
    /// The answer being read: head and body as they came.
    buf: Vec<u8>,
    /// A chunked answer's body, put together.
    chunks: Vec<u8>,
    /// The server said it closes the connection after this answer.
    closing: bool,
}

const CONNECT_ATTEMPTS: usize = 5;

impl Conn {
    pub async fn open(target: &Target) -> anyhow::Result<Conn> {
        let mut last = None;
        for attempt in 0..CONNECT_ATTEMPTS {
            match TcpStream::connect(&target.host).await {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    return Ok(Conn { stream, buf: Vec::with_capacity(8192), chunks: Vec::new(), closing: false });
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
            }
        }
        Err(last.expect("an attempt")).with_context(|| format!("connecting to {}", target.host))
    }

    /// Whether the server announced it would close the connection after the last answer.
    pub fn closing(&self) -> bool {
        self.closing
    }

    /// Sends one request (complete, with its body) and reads the answer.
    pub async fn send(&mut self, request: &[u8]) -> io::Result<Answer<'_>> {
        self.stream.write_all(request).await?;
        self.read_answer().await
    }

    async fn fill(&mut self) -> io::Result<()> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(8192);
        }
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
        }
        Ok(())
    }

    async fn read_answer(&mut self) -> io::Result<Answer<'_>> {
        self.buf.clear();
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at + 4;
            }
            if self.buf.len() > 64 * 1024 {
                return Err(bad("an answer head over 64 KiB"));
            }
            self.fill().await?;
        };
        let head = &self.buf[..head_end];
        let status = parse_status(head).ok_or_else(|| bad("no status line"))?;
        let mut length = None;
        let mut chunked = false;
        self.closing = false;
        for line in head.split(|&b| b == b'\n').skip(1) {
            let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
            let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
            if name.eq_ignore_ascii_case(b"content-length") {
                let text = std::str::from_utf8(value).map_err(|_| bad("Content-Length"))?;
                length = Some(text.parse::<usize>().map_err(|_| bad("Content-Length"))?);
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                chunked = value.eq_ignore_ascii_case(b"chunked");
            } else if name.eq_ignore_ascii_case(b"connection") {
                self.closing = value.eq_ignore_ascii_case(b"close");
            }
        }
        if chunked {
            self.read_chunks(head_end).await?;
            return Ok(Answer { status, body: &self.chunks });
        }
        let length = match (length, status) {
            (Some(n), _) => n,
            (None, 204 | 304) | (None, 100..=199) => 0,
            (None, _) => return Err(bad("an answer with neither Content-Length nor chunks")),
        };
        while self.buf.len() < head_end + length {
            self.fill().await?;
        }
        Ok(Answer { status, body: &self.buf[head_end..head_end + length] })
    }

    async fn read_chunks(&mut self, mut at: usize) -> io::Result<()> {
        self.chunks.clear();
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf[at..], b"\r\n") {
                    break at + i;
                }
                self.fill().await?;
            };
            let size_text = std::str::from_utf8(&self.buf[at..line_end]).map_err(|_| bad("chunk size"))?;
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("chunk size"))?;
            at = line_end + 2;
            if size == 0 {
                // No trailers from these servers: the blank line ends the answer.
                while self.buf.len() < at + 2 {
                    self.fill().await?;
                }
                return Ok(());
            }
            while self.buf.len() < at + size + 2 {
                self.fill().await?;
            }
            self.chunks.extend_from_slice(&self.buf[at..at + size]);
            at += size + 2;
        }
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("malformed answer: {what}"))
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = v {
        v = rest;
    }
    v
}

fn parse_status(head: &[u8]) -> Option<u16> {
    // "HTTP/1.1 201 Created"
    let rest = head.strip_prefix(b"HTTP/1.")?;
    let code = rest.get(2..5)?;
    std::str::from_utf8(code).ok()?.parse().ok()
}

/// The string value of the first `"name":"..."` in a JSON body, without parsing it all
/// (enough for error codes and ids, which hold no escapes).
pub fn json_str<'a>(body: &'a [u8], name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\":\"");
    let start = find(body, key.as_bytes())? + key.len();
    let len = body[start..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&body[start..start + len]).ok()
}

/// Appends `GET {path}` to `out`, ready to send on a connection to `target`.
pub fn get_request(out: &mut Vec<u8>, target: &Target, path: &str, extra_headers: &str) {
    out.extend_from_slice(
        format!("GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: sweep-bench\r\n{extra_headers}\r\n", target.host)
            .as_bytes(),
    );
}

/// Appends a same-origin `POST {path}` with a JSON body to `out`.
pub fn post_request(out: &mut Vec<u8>, target: &Target, path: &str, extra_headers: &str, body: &str) {
    out.extend_from_slice(
        format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nOrigin: {}\r\nUser-Agent: sweep-bench\r\n\
             Content-Type: application/json\r\n{extra_headers}Content-Length: {}\r\n\r\n{body}",
            target.host,
            target.url,
            body.len()
        )
        .as_bytes(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_json_strings() {
        assert_eq!(parse_status(b"HTTP/1.1 409 Conflict\r\n"), Some(409));
        assert_eq!(parse_status(b"HTTP/2 200\r\n"), None);
        let body = br#"{"error":{"code":"sold_out","message":"sold out"}}"#;
        assert_eq!(json_str(body, "code"), Some("sold_out"));
        assert_eq!(json_str(body, "reason"), None);
        assert_eq!(trim(b"  12\r"), b"12");
    }

    #[test]
    fn targets() {
        let t = Target::parse("http://127.0.0.1:8081/").unwrap();
        assert_eq!((t.url.as_str(), t.host.as_str()), ("http://127.0.0.1:8081", "127.0.0.1:8081"));
        assert!(Target::parse("https://x").is_err());
    }

    #[tokio::test]
    async fn talks_to_a_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            for answer in [
                &b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok"[..],
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
            ] {
                let _ = s.read(&mut buf).await.unwrap();
                s.write_all(answer).await.unwrap();
            }
        });
        let target = Target::parse(&format!("http://{addr}")).unwrap();
        let mut conn = Conn::open(&target).await.unwrap();
        let mut req = vec![];
        get_request(&mut req, &target, "/healthz", "");
        let a = conn.send(&req).await.unwrap();
        assert_eq!((a.status, a.body), (201, &b"ok"[..]));
        let a = conn.send(&req).await.unwrap();
        assert_eq!((a.status, a.body), (200, &b"abcde"[..]));
        let a = conn.send(&req).await.unwrap();
        assert_eq!((a.status, a.body.len()), (204, 0));
        assert!(conn.closing());
    }
}

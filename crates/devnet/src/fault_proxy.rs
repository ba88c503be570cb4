//! [`FaultProxy`]: a JSON-RPC HTTP proxy in front of anvil that answers chosen requests with
//! the faults public and paid nodes produce — HTTP 429 with `Retry-After`, HTTP 500, a
//! JSON-RPC error, a truncated answer, a dropped connection, a hang — and passes the rest to
//! the real node.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

use crate::{DevnetError, Result};

/// One fault, for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 Too Many Requests, with `Retry-After: {0}` seconds when given.
    RateLimited(Option<u64>),
    /// HTTP 500 Internal Server Error.
    ServerError,
    /// HTTP 200 with a JSON-RPC error object (e.g. -32005 "limit exceeded").
    RpcError {
        /// The JSON-RPC error code.
        code: i64,
        /// The message.
        message: String,
    },
    /// The node's answer cut in half (its `Content-Length` says so): invalid JSON.
    Truncated,
    /// The connection closed without an answer.
    Dropped,
    /// The request waits this long before it is passed on.
    Hang(Duration),
}

impl Fault {
    /// The five quick faults, in turn: 429, 500, -32005, truncated, dropped.
    pub fn quick(i: usize) -> Self {
        match i % 5 {
            0 => Self::RateLimited(None),
            1 => Self::ServerError,
            2 => Self::RpcError {
                code: -32005,
                message: "daily request count exceeded, request rate limited".into(),
            },
            3 => Self::Truncated,
            _ => Self::Dropped,
        }
    }
}

/// What the proxy did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Requests received.
    pub requests: u64,
    /// Requests answered with a fault.
    pub faults: u64,
    /// Requests passed to the node.
    pub forwarded: u64,
}

#[derive(Debug, Default)]
struct Plan {
    queue: VecDeque<Fault>,
    /// Percent of requests given a random quick fault.
    random_percent: u32,
    rng: u64,
    /// Every request waits this long (a silent node), while set.
    hang: Option<Duration>,
    stats: FaultStats,
}

impl Plan {
    fn next(&mut self) -> Option<Fault> {
        self.stats.requests += 1;
        let fault = if let Some(f) = self.queue.pop_front() {
            Some(f)
        } else if let Some(d) = self.hang {
            Some(Fault::Hang(d))
        } else if self.random_percent > 0 {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            ((self.rng % 100) < u64::from(self.random_percent))
                .then(|| Fault::quick((self.rng >> 32) as usize))
        } else {
            None
        };
        match &fault {
            Some(Fault::Hang(_)) | None => self.stats.forwarded += 1,
            Some(_) => self.stats.faults += 1,
        }
        fault
    }
}

/// A fault-injecting proxy on a free loopback port, forwarding to `upstream` (anvil's HTTP
/// endpoint). Stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    url: String,
    plan: Arc<Mutex<Plan>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| DevnetError::Proxy { source })?;
        let port = listener.local_addr().map_err(|source| DevnetError::Proxy { source })?.port();
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let plan = Arc::new(Mutex::new(Plan { rng: 0x2545_F491_4F6C_DD1D, ..Plan::default() }));
        let shared = plan.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (plan, upstream) = (shared.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, &plan).await;
                });
            }
        });
        Ok(Self { url: format!("http://127.0.0.1:{port}"), plan, task })
    }

    /// The proxy's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next requests get `faults`, one each, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().queue.extend(faults);
    }

    /// From now on `percent` % of requests (0 to stop) get one of the quick faults, chosen by
    /// a generator seeded with `seed`.
    pub fn random(&self, percent: u32, seed: u64) {
        let mut p = self.lock();
        p.random_percent = percent.min(100);
        p.rng = seed | 1;
    }

    /// Every request waits `delay` before it is passed on (`None`: stop).
    pub fn hang(&self, delay: Option<Duration>) {
        self.lock().hang = delay;
    }

    /// What the proxy did so far.
    pub fn stats(&self) -> FaultStats {
        self.lock().stats
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One client connection, one request: every answer says `Connection: close` and the
/// connection ends with it, so a client that gave up on a hung request never finds its late
/// answer on a reused connection.
async fn serve(mut client: TcpStream, upstream: &str, plan: &Mutex<Plan>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    {
        let Some(body) = read_request(&mut client, &mut buf).await? else { return Ok(()) };
        let fault = plan.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next();
        let answer = match fault {
            None => forward(upstream, &body).await?,
            Some(Fault::Hang(d)) => {
                tokio::time::sleep(d).await;
                forward(upstream, &body).await?
            }
            Some(Fault::Dropped) => return Ok(()),
            Some(Fault::RateLimited(after)) => {
                let header = after.map(|s| format!("Retry-After: {s}\r\n")).unwrap_or_default();
                respond(429, "Too Many Requests", &header, br#"{"error":"rate limited"}"#, None)
            }
            Some(Fault::ServerError) => {
                respond(500, "Internal Server Error", "", b"internal error", None)
            }
            Some(Fault::RpcError { code, message }) => {
                let id = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .unwrap_or(serde_json::Value::Null);
                let err = serde_json::json!({
                    "jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}
                });
                respond(200, "OK", "", err.to_string().as_bytes(), None)
            }
            Some(Fault::Truncated) => {
                let full = forward(upstream, &body).await?;
                let body = response_body(&full).unwrap_or(&[]);
                let half = body.len() / 2;
                respond(200, "OK", "", &body[..half], Some(half))
            }
        };
        client.write_all(&answer).await?;
        client.shutdown().await
    }
}

/// Reads one HTTP request's body (by `Content-Length`); `None` at end of stream.
async fn read_request(
    client: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Vec<u8>>> {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = content_length(&head).unwrap_or(0);
            while buf.len() < end + 4 + len {
                if !read_more(client, buf).await? {
                    return Ok(None);
                }
            }
            let body = buf[end + 4..end + 4 + len].to_vec();
            buf.drain(..end + 4 + len);
            return Ok(Some(body));
        }
        if !read_more(client, buf).await? {
            return Ok(None);
        }
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

/// Passes `body` to the node; its full HTTP answer, re-framed with a `Content-Length`.
async fn forward(upstream: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut node = TcpStream::connect(upstream).await?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    node.write_all(head.as_bytes()).await?;
    node.write_all(body).await?;
    let mut raw = Vec::new();
    node.read_to_end(&mut raw).await?;
    let end = find(&raw, b"\r\n\r\n").ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(502);
    let rest = &raw[end + 4..];
    let payload = if head.contains("transfer-encoding: chunked") {
        dechunk(rest)
    } else {
        let len = content_length(&head).unwrap_or(rest.len()).min(rest.len());
        rest[..len].to_vec()
    };
    Ok(respond(status, "OK", "", &payload, None))
}

fn respond(status: u16, reason: &str, extra: &str, body: &[u8], length: Option<usize>) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
        length.unwrap_or(body.len())
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn response_body(full: &[u8]) -> Option<&[u8]> {
    find(full, b"\r\n\r\n").map(|end| &full[end + 4..])
}

fn content_length(head: &str) -> Option<usize> {
    head.lines().find_map(|l| l.strip_prefix("content-length:").and_then(|v| v.trim().parse().ok()))
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = find(raw, b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        let stop = (start + size).min(raw.len());
        out.extend_from_slice(&raw[start..stop]);
        raw = raw.get(stop + 2..).unwrap_or(&[]);
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

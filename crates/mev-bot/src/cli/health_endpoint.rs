//! `--health-addr`: `GET /readyz` (200 once the pipeline has bootstrapped) and `GET /healthz`
//! (200 unless the head has stalled or Redis is unreachable), for Kubernetes probes and load
//! balancers.

use std::{
    net::SocketAddr,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicBool, Ordering::Relaxed},
    },
};

use mev_position_cache::FailoverPositionStore;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use super::error::{CliError, Result};

#[derive(Debug, Default)]
struct State {
    ready: AtomicBool,
    stalled: AtomicBool,
    store: OnceLock<Arc<FailoverPositionStore>>,
}

static STATE: OnceLock<State> = OnceLock::new();

fn state() -> &'static State {
    STATE.get_or_init(State::default)
}

/// The pipeline has bootstrapped.
pub(super) fn set_ready() {
    state().ready.store(true, Relaxed);
}

/// The head has (or no longer has) stalled.
pub(super) fn set_stalled(stalled: bool) {
    state().stalled.store(stalled, Relaxed);
}

/// The store whose Redis outages make the run unhealthy.
pub(super) fn watch_store(store: Arc<FailoverPositionStore>) {
    let _ = state().store.set(store);
}

/// Serves the two endpoints on `addr` from a task on the current runtime.
pub(super) async fn serve(addr: SocketAddr) -> Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| CliError::Io { context: format!("serving health on {addr}"), source })?;
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                // The request line, however it arrives (a client may write it in pieces).
                let mut buf = Vec::with_capacity(256);
                let mut chunk = [0u8; 256];
                while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 4096 {
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&buf);
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let (status, body) = answer(path);
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes()).await;
            });
        }
    });
    Ok(())
}

fn answer(path: &str) -> (&'static str, String) {
    let s = state();
    let ready = s.ready.load(Relaxed);
    match path {
        "/readyz" if ready => ("200 OK", r#"{"ready":true}"#.into()),
        "/readyz" => ("503 Service Unavailable", r#"{"ready":false}"#.into()),
        "/healthz" => {
            let stalled = s.stalled.load(Relaxed);
            let redis_down = s.store.get().is_some_and(|st| !st.is_online());
            let ok = !stalled && !redis_down;
            let body = format!(
                r#"{{"healthy":{ok},"ready":{ready},"head_stalled":{stalled},"redis_down":{redis_down}}}"#
            );
            (if ok { "200 OK" } else { "503 Service Unavailable" }, body)
        }
        _ => ("404 Not Found", r#"{"paths":["/healthz","/readyz"]}"#.into()),
    }
}

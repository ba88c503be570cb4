//! [`TcpRelay`]: a byte-for-byte TCP relay in front of anvil (HTTP or WebSocket) whose live
//! connections can be cut at will, as a node's load balancer or a flaky network does.

use std::sync::{Arc, Mutex};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

use crate::{DevnetError, Result};

/// A TCP relay to an upstream `host:port`. [`cut`](Self::cut) closes every connection open at
/// that moment; new connections are relayed as before. Stops when dropped.
#[derive(Debug)]
pub struct TcpRelay {
    port: u16,
    cuts: watch::Sender<u64>,
    stats: Arc<Mutex<RelayStats>>,
    task: JoinHandle<()>,
}

/// What a [`TcpRelay`] did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Connections accepted.
    pub connections: u64,
    /// Connections closed by [`TcpRelay::cut`].
    pub cut: u64,
}

impl TcpRelay {
    /// Starts relaying a free loopback port to `upstream` (a URL such as anvil's
    /// `http://127.0.0.1:8545`, or `host:port`).
    pub async fn start(upstream: &str) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| DevnetError::Proxy { source })?;
        let port = listener.local_addr().map_err(|source| DevnetError::Proxy { source })?.port();
        let upstream = upstream
            .split_once("://")
            .map_or(upstream, |(_, rest)| rest)
            .trim_end_matches('/')
            .to_owned();
        let (cuts, _) = watch::channel(0_u64);
        let stats = Arc::new(Mutex::new(RelayStats::default()));
        let (tx, shared) = (cuts.clone(), stats.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                lock(&shared).connections += 1;
                let (mut cut, upstream, stats) = (tx.subscribe(), upstream.clone(), shared.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => lock(&stats).cut += 1,
                    }
                });
            }
        });
        Ok(Self { port, cuts, stats, task })
    }

    /// The relay's `scheme://127.0.0.1:port` URL (`scheme`: `http` or `ws`).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Closes every connection open now.
    pub fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }

    /// What the relay did so far.
    pub fn stats(&self) -> RelayStats {
        *lock(&self.stats)
    }
}

impl Drop for TcpRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(stats: &Mutex<RelayStats>) -> std::sync::MutexGuard<'_, RelayStats> {
    stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

//! [`RpcChain`]: a [`ChainReader`] connected by URL — HTTP polling, or a WebSocket whose
//! `newHeads` subscription wakes the follower.

use std::{sync::Arc, time::Duration};

use alloy_primitives::{Address, Bytes};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{Filter, Log};
use async_trait::async_trait;
use mev_chain::{BlockHeader, ChainError, ChainReader, ProviderChain, redact};

use crate::{BotError, Result};

/// A node over JSON-RPC, connected by URL: `http(s)://` URLs poll; `ws(s)://` URLs also
/// subscribe to `newHeads`, so [`ChainReader::wait_for_head`] returns as soon as a head
/// arrives. To bring your own provider (layers, fillers, another network), wrap it in
/// [`ProviderChain`] instead.
#[derive(Debug, Clone)]
pub struct RpcChain {
    inner: ProviderChain<RootProvider>,
    websocket: bool,
    heads: Arc<tokio::sync::Mutex<Option<HeadSubscription>>>,
}

/// Longest wait for a lost `newHeads` subscription to be reopened, and between attempts.
const RESUBSCRIBE_WAIT: Duration = Duration::from_secs(1);

type HeadSubscription = alloy_pubsub::Subscription<alloy_rpc_types_eth::Header>;

impl RpcChain {
    /// Connects to `url` (`http://`, `https://`, `ws://`, `wss://`).
    ///
    /// Fails with [`BotError::Url`] when the URL is malformed or of another scheme, and
    /// [`BotError::Chain`] when the WebSocket handshake fails. Neither message carries the URL's
    /// path (where providers put API keys).
    pub async fn connect(url: &str) -> Result<Self> {
        let bad = |reason: String| BotError::Url { what: "RPC", url: redact(url), reason };
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        let websocket = match scheme.as_deref() {
            Some("ws" | "wss") => true,
            Some("http" | "https") => false,
            _ => return Err(bad("not an http(s):// or ws(s):// URL".into())),
        };
        let provider = if websocket {
            RootProvider::connect(url).await.map_err(|e| BotError::Chain {
                context: format!("connecting to {}", redact(url)),
                source: ChainError::from_transport("connect", &e),
            })?
        } else {
            let parsed = url.parse().map_err(|e| bad(format!("{e}")))?;
            RootProvider::new_http(parsed)
        };
        // Subscribe now, so no head announced from here on is missed.
        let heads = if websocket {
            let subscribe = provider.subscribe_blocks();
            tokio::time::timeout(RESUBSCRIBE_WAIT, subscribe).await.ok().and_then(Result::ok)
        } else {
            None
        };
        Ok(Self {
            inner: ProviderChain::new(provider),
            websocket,
            heads: Arc::new(tokio::sync::Mutex::new(heads)),
        })
    }

    /// Whether the connection is a WebSocket (blocks are pushed rather than polled).
    pub const fn is_websocket(&self) -> bool {
        self.websocket
    }

    /// The provider.
    pub const fn provider(&self) -> &RootProvider {
        self.inner.provider()
    }
}

#[async_trait]
impl ChainReader for RpcChain {
    async fn block_number(&self) -> mev_chain::Result<u64> {
        self.inner.block_number().await
    }

    async fn header(&self, number: u64) -> mev_chain::Result<Option<BlockHeader>> {
        self.inner.header(number).await
    }

    async fn call(&self, to: Address, data: Bytes, block: u64) -> mev_chain::Result<Bytes> {
        self.inner.call(to, data, block).await
    }

    async fn logs(&self, filter: &Filter) -> mev_chain::Result<Vec<Log>> {
        self.inner.logs(filter).await
    }

    /// WebSocket: waits for the `newHeads` subscription opened at connect (a head announced
    /// while the caller was busy is not missed), or `poll`. When the subscription is lost it
    /// returns at once (the caller reads the head by number) and the next call reopens it;
    /// while it cannot be reopened it waits at most a second. HTTP: sleeps `poll`.
    async fn wait_for_head(&self, poll: Duration) {
        if !self.websocket {
            return tokio::time::sleep(poll).await;
        }
        let mut heads = self.heads.lock().await;
        if heads.is_none() {
            let subscribe = self.inner.provider().subscribe_blocks();
            *heads = tokio::time::timeout(poll.min(RESUBSCRIBE_WAIT), subscribe)
                .await
                .ok()
                .and_then(Result::ok);
            if heads.is_some() {
                tracing::info!("newHeads subscription reopened");
            }
        }
        let Some(sub) = heads.as_mut() else {
            return tokio::time::sleep(poll.min(RESUBSCRIBE_WAIT)).await;
        };
        match tokio::time::timeout(poll, sub.recv()).await {
            Ok(Ok(_)) | Err(_) => {
                // Drain what queued meanwhile: the follower reads blocks by number.
                while sub.try_recv().is_ok() {}
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "newHeads subscription lost; reopening it");
                *heads = None;
            }
        }
    }
}

//! Starting and stopping the anvil process: [`DevnetBuilder`].

use std::{
    io::Read,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_provider::{Provider, RootProvider, ext::AnvilApi};

use crate::{Devnet, DevnetError, Result, devnet::Inner};

/// Chain id the devnet uses unless told otherwise (anvil's default).
pub const DEFAULT_CHAIN_ID: u64 = 31_337;
/// Genesis timestamp the devnet uses unless told otherwise (2023-11-14T22:13:20Z), in seconds.
pub const DEFAULT_GENESIS_TIMESTAMP: u64 = 1_700_000_000;
/// Seconds between consecutive blocks' timestamps unless told otherwise.
pub const DEFAULT_BLOCK_TIME: u64 = 12;
/// Block gas limit unless told otherwise: large, so a [`TxBatch`](crate::TxBatch) of hundreds of
/// transactions fits one block.
pub const DEFAULT_BLOCK_GAS_LIMIT: u64 = 1_000_000_000;
/// Gas limit of each transaction sent with [`Devnet::send`] unless told otherwise. Fixed rather
/// than estimated: anvil's estimate is too low for some calls (an Aave `borrow`, a position
/// manager `mint`), which then revert out of gas, and estimating costs a dozen executions.
pub const DEFAULT_TX_GAS: u64 = 10_000_000;
/// Environment variable that overrides where the devnet's `node_modules` folder is.
pub const NODE_MODULES_ENV: &str = "MEV_DEVNET_NODE_MODULES";

/// How many ports to try when another process takes the one picked before anvil binds it.
const PORT_ATTEMPTS: usize = 5;
/// Most stderr bytes kept from anvil, for error messages.
const STDERR_LIMIT: usize = 16 * 1024;

/// Configures and starts a [`Devnet`]. Defaults: the pinned anvil from the workspace's
/// `devnet/node_modules`, chain id [`DEFAULT_CHAIN_ID`], genesis at
/// [`DEFAULT_GENESIS_TIMESTAMP`], every block exactly [`DEFAULT_BLOCK_TIME`] seconds after the
/// previous one, FIFO transaction ordering, auto-impersonation on, anvil's default hardfork.
#[derive(Clone, Debug)]
#[must_use]
pub struct DevnetBuilder {
    node_modules: Option<PathBuf>,
    anvil: Option<PathBuf>,
    chain_id: u64,
    genesis_timestamp: u64,
    block_time: Option<u64>,
    block_gas_limit: u64,
    hardfork: Option<String>,
    load_state: Option<PathBuf>,
    args: Vec<String>,
    startup_timeout: Duration,
    receipt_timeout: Duration,
    tx_gas: u64,
}

impl Default for DevnetBuilder {
    fn default() -> Self {
        Self {
            node_modules: None,
            anvil: None,
            chain_id: DEFAULT_CHAIN_ID,
            genesis_timestamp: DEFAULT_GENESIS_TIMESTAMP,
            block_time: Some(DEFAULT_BLOCK_TIME),
            block_gas_limit: DEFAULT_BLOCK_GAS_LIMIT,
            hardfork: None,
            load_state: None,
            args: Vec::new(),
            startup_timeout: Duration::from_secs(15),
            receipt_timeout: Duration::from_secs(30),
            tx_gas: DEFAULT_TX_GAS,
        }
    }
}

impl DevnetBuilder {
    /// The `node_modules` folder holding the pinned packages. Default: `$MEV_DEVNET_NODE_MODULES`,
    /// else the workspace's `devnet/node_modules`.
    pub fn node_modules(mut self, path: impl Into<PathBuf>) -> Self {
        self.node_modules = Some(path.into());
        self
    }

    /// The anvil binary. Default: `@foundry-rs/anvil-<platform>/bin/anvil` under `node_modules`.
    pub fn anvil(mut self, path: impl Into<PathBuf>) -> Self {
        self.anvil = Some(path.into());
        self
    }

    /// The chain id (`--chain-id`).
    pub const fn chain_id(mut self, chain_id: u64) -> Self {
        self.chain_id = chain_id;
        self
    }

    /// The genesis block's timestamp in seconds (`--timestamp`).
    pub const fn genesis_timestamp(mut self, seconds: u64) -> Self {
        self.genesis_timestamp = seconds;
        self
    }

    /// Seconds between consecutive blocks' timestamps (`anvil_setBlockTimestampInterval`), which
    /// makes time deterministic; `None` lets block timestamps follow the wall clock.
    pub const fn block_time(mut self, seconds: Option<u64>) -> Self {
        self.block_time = seconds;
        self
    }

    /// The block gas limit (`--gas-limit`).
    pub const fn block_gas_limit(mut self, gas: u64) -> Self {
        self.block_gas_limit = gas;
        self
    }

    /// The EVM hardfork (`--hardfork`, e.g. `"cancun"`, `"prague"`); default: anvil's latest.
    pub fn hardfork(mut self, hardfork: impl Into<String>) -> Self {
        self.hardfork = Some(hardfork.into());
        self
    }

    /// A state file to start from (`--load-state`, plain JSON as written by `anvil_dumpState`
    /// after gunzip); blocks, logs and receipts in it are kept.
    pub fn load_state(mut self, path: impl Into<PathBuf>) -> Self {
        self.load_state = Some(path.into());
        self
    }

    /// An extra command-line argument for anvil, appended after the harness's own.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// How long to wait for anvil to answer after spawning it.
    pub const fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// How long to wait for a sent transaction's receipt.
    pub const fn receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// The gas limit of transactions sent with [`Devnet::send`] (default [`DEFAULT_TX_GAS`]).
    pub const fn tx_gas(mut self, gas: u64) -> Self {
        self.tx_gas = gas;
        self
    }

    /// The `node_modules` folder this builder will use.
    pub fn resolved_node_modules(&self) -> PathBuf {
        if let Some(path) = &self.node_modules {
            return path.clone();
        }
        if let Some(path) = std::env::var_os(NODE_MODULES_ENV) {
            return PathBuf::from(path);
        }
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        manifest.ancestors().nth(2).unwrap_or(manifest).join("devnet").join("node_modules")
    }

    /// The anvil binary this builder will run.
    pub fn resolved_anvil(&self) -> PathBuf {
        match &self.anvil {
            Some(path) => path.clone(),
            None => anvil_in(&self.resolved_node_modules()),
        }
    }

    /// Spawns anvil on a free loopback port and waits until it answers.
    ///
    /// # Errors
    /// [`DevnetError::AnvilNotInstalled`] (naming the path and `bash scripts/devnet-setup`) when the
    /// binary is missing; [`DevnetError::AnvilExited`] or [`DevnetError::StartupTimeout`] when it
    /// does not come up; [`DevnetError::Rpc`] when the first requests fail.
    pub async fn start(self) -> Result<Devnet> {
        let node_modules = self.resolved_node_modules();
        let anvil = self.resolved_anvil();
        if !anvil.is_file() {
            return Err(DevnetError::AnvilNotInstalled { path: anvil });
        }
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            match self.spawn_once(&anvil).await {
                Ok((node, provider)) => {
                    return self.finish(node, provider, node_modules).await;
                }
                // Another process may take the port between our probe and anvil's bind: retry.
                Err(DevnetError::AnvilExited { url, status, stderr })
                    if stderr.contains("in use") =>
                {
                    last_error = Some(DevnetError::AnvilExited { url, status, stderr });
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or(DevnetError::StartupTimeout {
            url: String::new(),
            waited: self.startup_timeout,
        }))
    }

    async fn spawn_once(&self, anvil: &Path) -> Result<(AnvilNode, RootProvider)> {
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let mut cmd = Command::new(anvil);
        cmd.arg("--host")
            .arg("127.0.0.1")
            .arg("--port")
            .arg(port.to_string())
            .arg("--silent")
            .arg("--chain-id")
            .arg(self.chain_id.to_string())
            .arg("--timestamp")
            .arg(self.genesis_timestamp.to_string())
            .arg("--gas-limit")
            .arg(self.block_gas_limit.to_string())
            .arg("--order")
            .arg("fifo")
            .arg("--auto-impersonate");
        if let Some(hardfork) = &self.hardfork {
            cmd.arg("--hardfork").arg(hardfork);
        }
        if let Some(state) = &self.load_state {
            cmd.arg("--load-state").arg(state);
        }
        cmd.args(&self.args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child =
            cmd.spawn().map_err(|source| DevnetError::Spawn { path: anvil.to_owned(), source })?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    if let Ok(mut sink) = sink.lock()
                        && sink.len() < STDERR_LIMIT
                    {
                        sink.extend_from_slice(&buf[..n]);
                    }
                }
            });
        }
        let mut node = AnvilNode { child, port };
        let provider = RootProvider::new_http(url.parse().map_err(|e| {
            DevnetError::InvalidInput { what: "anvil URL", reason: format!("{url}: {e}") }
        })?);
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = node.child.try_wait() {
                // Give the reader thread a moment to drain the pipe.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let stderr = stderr
                    .lock()
                    .map(|s| String::from_utf8_lossy(&s).trim().to_owned())
                    .unwrap_or_default();
                return Err(DevnetError::AnvilExited { url, status: status.to_string(), stderr });
            }
            if provider.get_chain_id().await.is_ok() {
                return Ok((node, provider));
            }
            if started.elapsed() > self.startup_timeout {
                return Err(DevnetError::StartupTimeout { url, waited: self.startup_timeout });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn finish(
        &self,
        node: AnvilNode,
        provider: RootProvider,
        node_modules: PathBuf,
    ) -> Result<Devnet> {
        if let Some(seconds) = self.block_time {
            provider
                .anvil_set_block_timestamp_interval(seconds)
                .await
                .map_err(|e| DevnetError::rpc("anvil_setBlockTimestampInterval", e))?;
        }
        let accounts =
            provider.get_accounts().await.map_err(|e| DevnetError::rpc("eth_accounts", e))?;
        let Some(&deployer) = accounts.first() else {
            return Err(DevnetError::InvalidInput {
                what: "anvil accounts",
                reason: "eth_accounts returned no account".into(),
            });
        };
        let rpc_url = format!("http://127.0.0.1:{}", node.port);
        Ok(Devnet::from_inner(Inner {
            rpc_url,
            port: node.port,
            chain_id: self.chain_id,
            provider,
            accounts,
            deployer,
            node_modules,
            receipt_timeout: self.receipt_timeout,
            tx_gas: self.tx_gas,
            _node: node,
        }))
    }
}

/// The anvil binary the pinned `@foundry-rs/anvil` package installs for this platform.
fn anvil_in(node_modules: &Path) -> PathBuf {
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "aarch64") => "linux-arm64",
        ("macos", "x86_64") => "darwin-amd64",
        ("macos", "aarch64") => "darwin-arm64",
        ("windows", _) => "win32-amd64",
        _ => "linux-amd64",
    };
    let binary = if cfg!(windows) { "anvil.exe" } else { "anvil" };
    node_modules.join("@foundry-rs").join(format!("anvil-{platform}")).join("bin").join(binary)
}

/// A loopback port that was free a moment ago.
fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).map_err(|source| DevnetError::Port { source })?;
    let port = listener.local_addr().map_err(|source| DevnetError::Port { source })?.port();
    Ok(port)
}

/// The running anvil process; killed when dropped.
#[derive(Debug)]
pub(crate) struct AnvilNode {
    child: Child,
    port: u16,
}

impl Drop for AnvilNode {
    fn drop(&mut self) {
        // Errors mean the process is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

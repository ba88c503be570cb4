//! Test helpers (feature `test-utils`): `redis-server` processes and 3-primary clusters on
//! loopback that die with the test process.
//!
//! Each server runs under a small `sh` watchdog that holds a pipe from the test process: when
//! the handle is dropped, or the test process exits for any reason (panic, abort, `SIGKILL`),
//! the pipe closes and the watchdog kills its `redis-server`. Needs `redis-server`, `redis-cli`
//! and `sh` on `PATH` (Debian: `apt-get install redis-server`).

use std::{
    io::{self, BufRead, BufReader},
    net::{Ipv4Addr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// How long a harness waits for a server or cluster to come up.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);

/// A `redis-server` child process on `127.0.0.1`, killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    tls_port: Option<u16>,
    dir: PathBuf,
    extra_args: Vec<String>,
    process: Option<Watched>,
}

/// Options for [`RedisServer::start_with`].
#[derive(Debug, Clone, Default)]
pub struct RedisServerOptions {
    /// Port to bind; a free one is picked when `None`.
    pub port: Option<u16>,
    /// Persist every write to an append-only file with `fsync` per write, so a killed and
    /// restarted server keeps every acknowledged write.
    pub append_only: bool,
    /// Run as a cluster node (`--cluster-enabled yes`); the cluster bus uses port + 10000.
    pub cluster: bool,
    /// Extra `redis-server` arguments, e.g. `["--requirepass", "secret"]`.
    pub extra_args: Vec<String>,
    /// Also serve TLS on a second free port with these certificates, requiring client
    /// certificates signed by their CA (Redis's default). The plain port stays open.
    pub tls: Option<TestCertificates>,
}

#[derive(Debug)]
struct Watched {
    watchdog: Child,
    stdin: Option<ChildStdin>,
    pid: u32,
}

impl RedisServer {
    /// Starts a server on a free port without persistence.
    pub fn start() -> io::Result<Self> {
        Self::start_with(RedisServerOptions::default())
    }

    /// Starts a server with `options`, waiting until it answers `PING`.
    pub fn start_with(options: RedisServerOptions) -> io::Result<Self> {
        require_binaries()?;
        let mut last_err = None;
        for _ in 0..5 {
            let port = match options.port {
                Some(port) => port,
                None => free_port(options.cluster)?,
            };
            let dir = scratch_dir(port)?;
            let mut args = vec![
                "--port".to_owned(),
                port.to_string(),
                "--bind".into(),
                "127.0.0.1".into(),
                "--save".into(),
                String::new(),
                "--protected-mode".into(),
                "no".into(),
                "--daemonize".into(),
                "no".into(),
                "--dir".into(),
                dir.display().to_string(),
                "--logfile".into(),
                dir.join("redis.log").display().to_string(),
            ];
            if options.append_only {
                args.extend(["--appendonly", "yes", "--appendfsync", "always"].map(String::from));
            } else {
                args.extend(["--appendonly", "no"].map(String::from));
            }
            if options.cluster {
                args.extend(
                    [
                        "--cluster-enabled",
                        "yes",
                        "--cluster-node-timeout",
                        "2000",
                        "--cluster-config-file",
                    ]
                    .map(String::from),
                );
                args.push(dir.join("nodes.conf").display().to_string());
            }
            let mut tls_port = None;
            if let Some(certs) = &options.tls {
                let tls = free_port(false)?;
                tls_port = Some(tls);
                args.extend(["--tls-port".to_owned(), tls.to_string()]);
                for (flag, path) in [
                    ("--tls-cert-file", certs.server_cert()),
                    ("--tls-key-file", certs.server_key()),
                    ("--tls-ca-cert-file", certs.ca()),
                ] {
                    args.extend([flag.to_owned(), path.display().to_string()]);
                }
            }
            args.extend(options.extra_args.iter().cloned());
            let mut server = Self { port, tls_port, dir, extra_args: args, process: None };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(e) if options.port.is_none() => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("could not start redis-server")))
    }

    /// The port the server listens on.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `rediss://127.0.0.1:{tls port}` when started with [`RedisServerOptions::tls`].
    pub fn tls_url(&self) -> Option<String> {
        self.tls_port.map(|port| format!("rediss://127.0.0.1:{port}"))
    }

    /// The server's working directory (log, append-only file, `nodes.conf`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the process is running (not killed).
    pub const fn is_running(&self) -> bool {
        self.process.is_some()
    }

    /// Kills the server with `SIGKILL` (a crash: no shutdown save) and waits for it to exit.
    pub fn kill(&mut self) -> io::Result<()> {
        if let Some(process) = self.process.take() {
            process.kill()?;
        }
        Ok(())
    }

    /// Starts the server again on the same port and directory (after [`kill`](Self::kill)).
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill()?;
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            match self.spawn() {
                Ok(()) => return Ok(()),
                // The port can linger briefly after a kill.
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(e),
            }
        }
    }

    /// [`kill`](Self::kill) on tokio's blocking pool, for async tests.
    pub async fn killed(mut self) -> io::Result<Self> {
        tokio::task::spawn_blocking(move || self.kill().map(|()| self))
            .await
            .map_err(io::Error::other)?
    }

    /// [`restart`](Self::restart) on tokio's blocking pool, for async tests.
    pub async fn restarted(mut self) -> io::Result<Self> {
        tokio::task::spawn_blocking(move || self.restart().map(|()| self))
            .await
            .map_err(io::Error::other)?
    }

    /// Runs `redis-cli -p {port} args…` and returns its trimmed standard output.
    pub fn cli(&self, args: &[&str]) -> io::Result<String> {
        redis_cli(self.port, args)
    }

    fn spawn(&mut self) -> io::Result<()> {
        // The watchdog prints the server's pid, then waits for its stdin to close.
        let script = r#"redis-server "$@" & pid=$!; echo "$pid"; read -r _; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; exit 0"#;
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .args(&self.extra_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| io::Error::other(format!("cannot run sh/redis-server: {e}")))?;
        let stdout =
            watchdog.stdout.take().ok_or_else(|| io::Error::other("no watchdog stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let pid = line.trim().parse::<u32>().map_err(|e| {
            io::Error::other(format!("watchdog did not report a pid ({line:?}): {e}"))
        })?;
        let stdin = watchdog.stdin.take();
        let process = Watched { watchdog, stdin, pid };
        if let Err(e) = wait_until(STARTUP_TIMEOUT, || {
            // NOAUTH: up, but password-protected (`--requirepass`).
            Ok(redis_cli(self.port, &["PING"])
                .is_ok_and(|r| r == "PONG" || r.starts_with("NOAUTH")))
        }) {
            let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
            let _ = process.kill();
            return Err(io::Error::other(format!(
                "redis-server on port {} did not answer PING: {e}; log tail: {}",
                self.port,
                log.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
            )));
        }
        self.process = Some(process);
        Ok(())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Watched {
    fn kill(mut self) -> io::Result<()> {
        let status = Command::new("kill")
            .args(["-9", &self.pid.to_string()])
            .stderr(Stdio::null())
            .status()?;
        drop(self.stdin.take());
        self.watchdog.wait()?;
        if !status.success() {
            return Err(io::Error::other(format!("kill -9 {} failed", self.pid)));
        }
        Ok(())
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        // Closing the pipe makes the watchdog kill the server.
        drop(self.stdin.take());
        let _ = self.watchdog.wait();
    }
}

/// A throwaway CA, a server certificate for `127.0.0.1` and a client certificate (ECDSA P-256,
/// valid two days), as PEM files written by the `openssl` command into a scratch directory that
/// is removed when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct TestCertificates {
    dir: Arc<ScratchDir>,
}

#[derive(Debug)]
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TestCertificates {
    /// Generates the CA and both certificates; fails with a clear message without `openssl`.
    pub fn generate() -> io::Result<Self> {
        let dir = scratch_dir(0)?;
        let certs = Self { dir: Arc::new(ScratchDir(dir.clone())) };
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        openssl(
            &dir,
            &[
                &["req", "-x509"],
                &key[..],
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=mev-position-cache test CA",
                ],
            ]
            .concat(),
        )?;
        for (name, extensions) in [
            (
                "server",
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
            ),
            ("client", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"),
        ] {
            let (keyfile, csr, crt, ext) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.crt"),
                format!("{name}.ext"),
            );
            std::fs::write(dir.join(&ext), extensions)?;
            openssl(
                &dir,
                &[
                    &["req"],
                    &key[..],
                    &["-keyout", &keyfile, "-out", &csr, "-subj", &format!("/CN={name}")],
                ]
                .concat(),
            )?;
            openssl(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    "ca.crt",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    &crt,
                    "-days",
                    "2",
                    "-extfile",
                    &ext,
                ],
            )?;
        }
        Ok(certs)
    }

    /// The CA certificate (PEM).
    pub fn ca(&self) -> PathBuf {
        self.dir.0.join("ca.crt")
    }

    /// The server's certificate (PEM), for `127.0.0.1`.
    pub fn server_cert(&self) -> PathBuf {
        self.dir.0.join("server.crt")
    }

    /// The server's private key (PEM).
    pub fn server_key(&self) -> PathBuf {
        self.dir.0.join("server.key")
    }

    /// The client certificate (PEM), signed by [`ca`](Self::ca).
    pub fn client_cert(&self) -> PathBuf {
        self.dir.0.join("client.crt")
    }

    /// The client's private key (PEM).
    pub fn client_key(&self) -> PathBuf {
        self.dir.0.join("client.key")
    }
}

fn openssl(dir: &Path, args: &[&str]) -> io::Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            io::Error::other(format!("cannot run `openssl` (Debian: apt-get install openssl): {e}"))
        })?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "openssl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// A Redis Cluster of primaries without replicas on loopback, torn down when dropped.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts `primaries` cluster nodes, joins them with `redis-cli --cluster create
    /// --cluster-replicas 0 --cluster-yes` and waits for `cluster_state:ok` on every node.
    pub fn start(primaries: usize) -> io::Result<Self> {
        let nodes = (0..primaries)
            .map(|_| {
                RedisServer::start_with(RedisServerOptions { cluster: true, ..Default::default() })
            })
            .collect::<io::Result<Vec<_>>>()?;
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for node in &nodes {
            create.arg(format!("127.0.0.1:{}", node.port));
        }
        let out = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| io::Error::other(format!("cannot run redis-cli --cluster create: {e}")))?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        for node in &nodes {
            wait_until(STARTUP_TIMEOUT, || {
                Ok(node.cli(&["CLUSTER", "INFO"]).is_ok_and(|i| i.contains("cluster_state:ok")))
            })
            .map_err(|e| io::Error::other(format!("cluster_state never became ok: {e}")))?;
        }
        Ok(Self { nodes })
    }

    /// `redis-cluster://127.0.0.1:{first}?node=127.0.0.1:{second}&…`.
    pub fn url(&self) -> String {
        let mut url = String::from("redis-cluster://");
        for (i, node) in self.nodes.iter().enumerate() {
            match i {
                0 => url.push_str(&format!("127.0.0.1:{}", node.port)),
                1 => url.push_str(&format!("?node=127.0.0.1:{}", node.port)),
                _ => url.push_str(&format!("&node=127.0.0.1:{}", node.port)),
            }
        }
        url
    }

    /// The nodes.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }
}

/// A Redis for tests that need "a Redis": `127.0.0.1:6379` when it answers `PING`, else one
/// server started for the whole test process. Isolate tests with [`unique_namespace`].
pub fn shared_redis_url() -> io::Result<String> {
    static SHARED: OnceLock<Result<(String, Option<RedisServer>), String>> = OnceLock::new();
    let shared = SHARED.get_or_init(|| {
        if redis_cli(6379, &["PING"]).is_ok_and(|r| r == "PONG") {
            return Ok(("redis://127.0.0.1:6379".to_owned(), None));
        }
        RedisServer::start().map(|s| (s.url(), Some(s))).map_err(|e| e.to_string())
    });
    match shared {
        Ok((url, _)) => Ok(url.clone()),
        Err(e) => Err(io::Error::other(format!("no Redis for tests: {e}"))),
    }
}

/// A key namespace no other test (or test process) uses: `t{pid}-{n}-{label}:`.
pub fn unique_namespace(label: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("t{}-{nanos}-{n}-{label}:", std::process::id())
}

/// Polls `ready` every 20 ms until it returns `true`; a `TimedOut` error naming `what` once
/// `timeout` has passed.
pub async fn eventually(
    what: &str,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> io::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    while !ready() {
        if tokio::time::Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("timed out after {timeout:?} waiting for {what}"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Runs `redis-cli -p {port} args…`; returns trimmed stdout or the failure.
pub fn redis_cli(port: u16, args: &[&str]) -> io::Result<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io::Error::other(format!("cannot run redis-cli: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || stdout.starts_with("Could not connect") {
        return Err(io::Error::other(format!(
            "redis-cli failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(stdout)
}

/// Fails with an actionable message when the Redis binaries are missing.
fn require_binaries() -> io::Result<()> {
    static FOUND: OnceLock<Result<(), String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            for bin in ["redis-server", "redis-cli"] {
                let ok = Command::new(bin)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if !ok {
                    return Err(format!(
                        "`{bin}` not found on PATH: install Redis (Debian: apt-get install redis-server)"
                    ));
                }
            }
            Ok(())
        })
        .clone()
        .map_err(io::Error::other)
}

fn wait_until(timeout: Duration, mut ready: impl FnMut() -> io::Result<bool>) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if ready()? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("not ready after {timeout:?}"),
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A loopback port that is free now (and, for cluster nodes, whose bus port + 10000 is too).
fn free_port(with_bus: bool) -> io::Result<u16> {
    for _ in 0..100 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        if !with_bus {
            return Ok(port);
        }
        if port < 55_000 && TcpListener::bind((Ipv4Addr::LOCALHOST, port + 10_000)).is_ok() {
            return Ok(port);
        }
    }
    Err(io::Error::other("no free loopback port found"))
}

fn scratch_dir(port: u16) -> io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mev-position-cache-{}-{port}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

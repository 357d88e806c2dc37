//! A real S3 API on loopback for the tests: moto's server from PyPI, in a virtual environment
//! the xtask owns (`target/moto-venv`), started on a free port of 127.0.0.1 and stopped when
//! its `MotoServer` is dropped, whether the tests passed or not.
//!
//! Only loopback: the server binds 127.0.0.1, and the tests refuse any other endpoint.
//! Installing takes about a minute on a fresh machine, so `test` overlaps it with the native
//! build (`install` runs on a thread); once installed, the venv is reused.

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The pinned server: 5.2.x honours If-None-Match and If-Match on PutObject.
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

/// The bucket the tests use; moto starts empty, so `MotoServer::start` creates it.
pub const TEST_BUCKET: &str = "strata-test";

/// What the S3 tests read to find the server.
pub const ENDPOINT_VAR: &str = "STRATA_S3_TEST_ENDPOINT";
pub const BUCKET_VAR: &str = "STRATA_S3_TEST_BUCKET";

/// How long the server may take to accept connections after it is started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

fn venv_dir() -> PathBuf {
    crate::dist::target_dir().join("moto-venv")
}

/// Makes sure the venv holds `MOTO_REQUIREMENT`; returns the `moto_server` executable. The
/// pip output goes to `target/moto-venv/install.log`, named in any error.
pub fn install() -> Result<PathBuf> {
    let venv = venv_dir();
    let server = venv.join("bin").join("moto_server");
    let marker = venv.join("strata-installed.txt");
    let installed = std::fs::read_to_string(&marker).unwrap_or_default();
    if installed.trim() == MOTO_REQUIREMENT && server.is_file() {
        return Ok(server);
    }
    let started = Instant::now();
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context(
            "could not run python3; install Python 3 (apt-get install python3 python3-venv)",
        )?;
    if !status.success() {
        bail!(
            "python3 -m venv {} failed ({status}); install python3-venv",
            venv.display()
        );
    }
    let log_path = venv.join("install.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let status = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--disable-pip-version-check", MOTO_REQUIREMENT])
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("could not run the venv's pip")?;
    if !status.success() || !server.is_file() {
        bail!(
            "pip install {MOTO_REQUIREMENT} failed ({status}); see {}",
            log_path.display()
        );
    }
    std::fs::write(&marker, MOTO_REQUIREMENT)?;
    println!(
        "xtask: installed {MOTO_REQUIREMENT} into {} in {:.0} s",
        venv.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(server)
}

/// A running moto server; dropping it stops the server.
pub struct MotoServer {
    child: Child,
    pub endpoint: String,
}

impl MotoServer {
    /// Starts `server` on a free loopback port, waits until it answers, and creates
    /// `TEST_BUCKET`.
    pub fn start(server: &Path) -> Result<MotoServer> {
        // A port that was free a moment ago; moto binds it itself.
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|listener| listener.local_addr())
            .context("finding a free loopback port")?
            .port();
        let log_path = venv_dir().join("server.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?;
        let mut moto = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        loop {
            if let Some(status) = moto.child.try_wait()? {
                bail!(
                    "moto_server exited at start ({status}); see {}",
                    log_path.display()
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                bail!(
                    "moto_server did not answer on 127.0.0.1:{port} within {} s; see {}",
                    STARTUP_TIMEOUT.as_secs(),
                    log_path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        create_bucket(port, TEST_BUCKET)?;
        println!(
            "xtask: moto serves S3 at {} (bucket {TEST_BUCKET})",
            moto.endpoint
        );
        Ok(moto)
    }

    /// Points a test command at this server.
    pub fn configure(&self, command: &mut Command) {
        command
            .env(ENDPOINT_VAR, &self.endpoint)
            .env(BUCKET_VAR, TEST_BUCKET);
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Killing a process that already exited fails harmlessly; wait reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `PUT /BUCKET` over a plain socket: moto accepts unsigned bucket creation, and the xtask
/// needs no HTTP client for one request.
fn create_bucket(port: u16, bucket: &str) -> Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).context("connecting to moto")?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .context("reading moto's answer to creating the bucket")?;
    let status_line = response.lines().next().unwrap_or_default();
    if !status_line.contains(" 200 ") {
        bail!("moto refused to create bucket {bucket}: {status_line}");
    }
    Ok(())
}

//! The example OpenSocial app (`fixtures/opensocial/example_app/app.py`) as a test process, and
//! the visible skip used when a tool a test needs is missing.

use std::io::{BufRead, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::http::{Request, Response};

/// Reports a check that could not run, straight to the terminal (not through the harness's
/// capture). Under `ASHIATO_TEST_STRICT` (as `.ci/run` sets) it is a failure instead.
///
/// # Panics
/// Under `ASHIATO_TEST_STRICT`.
pub fn skipped(reason: &str) {
    assert!(
        std::env::var_os("ASHIATO_TEST_STRICT").is_none(),
        "required check could not run: {reason}"
    );
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {reason} ***");
}

/// Whether `tool --version` runs.
pub fn tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The repository root (this crate lives in `crates/ashiato_test_support`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example app, listening on loopback, killed when dropped. It starts without credentials
/// and reads them from its credentials file once the container has issued them.
pub struct ExampleApp {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    creds: PathBuf,
    _dir: tempfile::TempDir,
}

impl ExampleApp {
    /// Starts the app, or reports a skip (`None`) when `python3` is missing.
    ///
    /// # Panics
    /// When the app does not start.
    pub fn start() -> Option<ExampleApp> {
        if !tool("python3") {
            skipped("python3 not found: the example OpenSocial app cannot run");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let creds = dir.path().join("credentials.json");
        let script = repo_root().join("fixtures/opensocial/example_app/app.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", "0", "--credentials-file"])
            .arg(&creds)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the example app");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the ready line");
        let port = line
            .strip_prefix("ready ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("the example app did not say ready: {line:?}"));
        Some(ExampleApp { child, port, creds, _dir: dir })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Gives the app the credentials the container issued (written whole, then renamed, so the
    /// app never reads half a file).
    ///
    /// # Panics
    /// When the file cannot be written.
    pub fn set_credentials(&self, key: &str, secret: &str, app_id: i64) {
        self.set_credentials_rsa(key, secret, app_id, None);
    }

    /// [`set_credentials`](Self::set_credentials) for an app the container signs with RSA-SHA1:
    /// the app verifies with `public_pem`.
    ///
    /// # Panics
    /// When the file cannot be written.
    pub fn set_credentials_rsa(
        &self,
        key: &str,
        secret: &str,
        app_id: i64,
        public_pem: Option<&str>,
    ) {
        let tmp = self.creds.with_extension("tmp");
        let rsa = public_pem.map_or(String::new(), |p| {
            format!(r#", "rsa_public_key": "{}""#, p.trim().replace('\n', "\\n"))
        });
        let json =
            format!(r#"{{"key": "{key}", "secret": "{secret}", "app_id": "{app_id}"{rsa}}}"#);
        std::fs::write(&tmp, json).expect("write credentials");
        std::fs::rename(&tmp, &self.creds).expect("install credentials");
    }

    /// A GET to the app itself (its unsigned test endpoints, e.g. `/lifecycle/log`).
    ///
    /// # Panics
    /// When the app does not answer.
    pub fn get(&self, path: &str) -> Response {
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        Request::get(path).send(addr).expect("the example app answers")
    }
}

impl Drop for ExampleApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

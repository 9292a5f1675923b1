//! The real server binary: started on a free port (or a fixed one), its admin commands, tokens.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running server, killed when dropped. `addr` is `host:port`.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server binary cargo built beside the running test executable: tests run from
/// `target/<profile>/deps/`, binaries sit in `target/<profile>/`. The harness does not depend on the
/// `server` crate (the server's tests depend on the harness), so nothing here makes cargo build the
/// binary: a workspace build does (`cargo nextest run --workspace`, the README's test command).
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let file = format!("fieldledger-server{}", std::env::consts::EXE_SUFFIX);
    let dirs = exe.ancestors().skip(1).take(2);
    let found = dirs.map(|d| d.join(&file)).find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "{file} not found beside {} or its parent: build the server binary first; run the tests over the \
             whole workspace (`cargo nextest run --workspace`, or `cargo build --workspace` before a narrower run)",
            exe.display()
        )
    })
}

pub fn start(data_dir: &Path) -> Server {
    start_with(data_dir, None)
}

pub fn start_with(data_dir: &Path, database_url: Option<&str>) -> Server {
    start_with_args(data_dir, database_url, &[])
}

/// Starts the server with extra flags.
pub fn start_with_args(data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> Server {
    start_on(data_dir, database_url, "127.0.0.1:0", args)
}

/// Starts the server on `bind` (`127.0.0.1:0` picks a free port; a fixed address lets a test
/// restart the server where clients expect it) with extra flags. Configuration the caller's
/// environment might carry is cleared, so a test sees only what it passes.
pub fn start_on(data_dir: &Path, database_url: Option<&str>, bind: &str, args: &[&str]) -> Server {
    start_on_env(data_dir, database_url, bind, args, &[])
}

/// `start_on` with extra environment variables for the server process.
pub fn start_on_env(
    data_dir: &Path,
    database_url: Option<&str>,
    bind: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Server {
    let mut cmd = Command::new(server_binary());
    cmd.env_remove("DATABASE_URL")
        .env_remove("FIELDLEDGER_BLOB_STORE")
        .env_remove("FIELDLEDGER_MAX_UPLOAD_BYTES")
        .env_remove("FIELDLEDGER_UPLOAD_EXPIRY_MINUTES")
        .env_remove("FIELDLEDGER_COMMIT_QUEUE")
        .env_remove("FIELDLEDGER_SYNC_ANSWER_KB")
        .env_remove("FIELDLEDGER_REQUEST_TIMEOUT_SECONDS")
        .env_remove("FIELDLEDGER_UPLOAD_STALL_SECONDS")
        .env_remove("FIELDLEDGER_SHUTDOWN_GRACE_SECONDS")
        .env_remove("FIELDLEDGER_TEST_NOW");
    // What the caller sets, after the clearing above.
    cmd.envs(env.iter().copied());
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd
        .args(["--bind", bind, "--data-dir"])
        .arg(data_dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(server_log(data_dir))
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read first line");
    let addr =
        line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("unexpected: {line:?}")).to_string();
    Server { child, addr }
}

/// The server's logs go to `server.log` in its data folder (appended across restarts), where a
/// failing test's reader can find them.
fn server_log(data_dir: &Path) -> Stdio {
    match std::fs::OpenOptions::new().create(true).append(true).open(data_dir.join("server.log")) {
        Ok(f) => Stdio::from(f),
        Err(_) => Stdio::null(),
    }
}

/// Runs an admin command of the binary; returns (success, stdout, stderr).
pub fn cli(data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(server_binary());
    cmd.env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let out = cmd.arg("--data-dir").arg(data_dir).args(args).output().expect("run server binary");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A foreman's token for `project`, made with the admin command.
pub fn token(dir: &Path, url: Option<&str>, project: &str) -> String {
    token_as(dir, url, project, "foreman")
}

/// A token for `project` with `role` (foreman, supervisor or admin), made with the admin command.
pub fn token_as(dir: &Path, url: Option<&str>, project: &str, role: &str) -> String {
    let (ok, out, err) = cli(dir, url, &["token", "create", "--project", project, "--role", role]);
    assert!(ok, "{err}");
    out.trim().to_string()
}

//! Shared by the server's end-to-end tests: the real binary, raw HTTP, throwaway PostgreSQL databases.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

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

pub fn start(data_dir: &std::path::Path) -> Server {
    start_with(data_dir, None)
}

pub fn start_with(data_dir: &std::path::Path, database_url: Option<&str>) -> Server {
    start_with_args(data_dir, database_url, &[])
}

/// Starts the server with extra flags.
pub fn start_with_args(data_dir: &std::path::Path, database_url: Option<&str>, args: &[&str]) -> Server {
    start_on(data_dir, database_url, "127.0.0.1:0", args)
}

/// Starts the server on `bind` (`127.0.0.1:0` picks a free port; a fixed address lets a test
/// restart the server where clients expect it) with extra flags. Configuration the caller's
/// environment might carry is cleared, so a test sees only what it passes.
pub fn start_on(data_dir: &std::path::Path, database_url: Option<&str>, bind: &str, args: &[&str]) -> Server {
    start_on_env(data_dir, database_url, bind, args, &[])
}

/// `start_on` with extra environment variables for the server process.
pub fn start_on_env(
    data_dir: &std::path::Path,
    database_url: Option<&str>,
    bind: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fieldledger-server"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("FIELDLEDGER_BLOB_STORE")
        .env_remove("FIELDLEDGER_MAX_UPLOAD_BYTES")
        .env_remove("FIELDLEDGER_UPLOAD_EXPIRY_MINUTES")
        .env_remove("FIELDLEDGER_COMMIT_QUEUE")
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
fn server_log(data_dir: &std::path::Path) -> Stdio {
    match std::fs::OpenOptions::new().create(true).append(true).open(data_dir.join("server.log")) {
        Ok(f) => Stdio::from(f),
        Err(_) => Stdio::null(),
    }
}

pub fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

/// A throwaway PostgreSQL database on the local server (`FIELDLEDGER_TEST_PG`, default the machine's
/// trust-auth `test` database as the admin connection), dropped afterwards.
pub struct ThrowawayPg {
    admin: String,
    name: String,
}

impl ThrowawayPg {
    pub fn create() -> Self {
        let admin = std::env::var("FIELDLEDGER_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let name = format!(
            "fl_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        psql(&admin, &format!("CREATE DATABASE {name}"));
        ThrowawayPg { admin, name }
    }

    pub fn url(&self) -> String {
        match self.admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{}", self.name),
            None => panic!("FIELDLEDGER_TEST_PG has no database part: {}", self.admin),
        }
    }
}

impl Drop for ThrowawayPg {
    fn drop(&mut self) {
        psql(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

fn psql(url: &str, sql: &str) {
    // On its own thread: callers may already be inside a tokio runtime (#[tokio::test]).
    let (url, sql) = (url.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {url} (scripts/test-setup.sh starts it): {e}"));
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(&mut c).await.expect(&sql);
        });
    })
    .join()
    .expect("psql thread");
}

/// GET with extra headers.
pub fn get_with(addr: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n").expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

/// Runs an admin command of the binary; returns (success, stdout, stderr).
pub fn cli(data_dir: &std::path::Path, database_url: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fieldledger-server"));
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

/// POST a body; returns status and the raw response body.
pub fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    send(addr, "POST", path, headers, body)
}

/// Any method with a body; returns status and the raw (binary-safe) response body.
pub fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("send head");
    s.write_all(body).expect("send body");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read");
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    (status, resp[split + 4..].to_vec())
}

/// A foreman's token for `project`, made with the admin command.
pub fn token(dir: &std::path::Path, url: Option<&str>, project: &str) -> String {
    let (ok, out, err) = cli(dir, url, &["token", "create", "--project", project, "--role", "foreman"]);
    assert!(ok, "{err}");
    out.trim().to_string()
}
pub mod phone;

/// A token for `project` with `role` (foreman, supervisor or admin), made with the admin command.
pub fn token_as(dir: &std::path::Path, url: Option<&str>, project: &str, role: &str) -> String {
    let (ok, out, err) = cli(dir, url, &["token", "create", "--project", project, "--role", role]);
    assert!(ok, "{err}");
    out.trim().to_string()
}
pub mod api;
pub mod records;

/// The phone core's shared library cargo built for these tests (`target/<profile>/deps/` or its parent); the newer
/// one if both exist, since either copy may be stale.
pub fn mobile_core_cdylib() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let deps = exe.parent().expect("deps dir");
    let file = format!("{}mobile_core{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let modified = |p: &std::path::PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    [Some(deps.join(&file)), deps.parent().map(|d| d.join(&file))]
        .into_iter()
        .flatten()
        .filter(|p| p.is_file())
        .max_by_key(modified)
        .unwrap_or_else(|| panic!("{file} not found beside {}: build mobile-core (its cdylib) first", exe.display()))
}

/// Stores document `id` of project P1 (of `kind`, `snapshot` an Automerge save) straight into the
/// server's database, as an older server may have stored it: the sync path refuses documents that
/// do not read or break the schema, but one may already be stored.
pub fn store_directly(dir: &std::path::Path, url: Option<&str>, id: &str, kind: &str, snapshot: Vec<u8>) {
    let (dir, url, id, kind) = (dir.to_path_buf(), url.map(str::to_string), id.to_string(), kind.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            use sqlx::Connection;
            let sql = "INSERT INTO documents (id, project_id, kind, snapshot, version, pending_count, updated_at_ms) \
                       VALUES ($1, 'P1', $3, $2, 1, 0, 1)";
            match url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(&url).await.expect("pg");
                    sqlx::query(sql).bind(&id).bind(&snapshot).bind(&kind).execute(&mut c).await.expect("insert");
                }
                None => {
                    let path = dir.join("server.db");
                    let mut c =
                        sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("sqlite");
                    sqlx::query(sql).bind(&id).bind(&snapshot).bind(&kind).execute(&mut c).await.expect("insert");
                }
            }
        });
    })
    .join()
    .expect("store thread");
}

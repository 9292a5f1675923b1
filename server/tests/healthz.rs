//! Starts the real server binary on its embedded default and asks it for its health.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &std::path::Path) -> Server {
    start_with(data_dir, None)
}

fn start_with(data_dir: &std::path::Path, database_url: Option<&str>) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fieldledger-server"));
    cmd.env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd
        .args(["--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read first line");
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("unexpected: {line:?}")).to_string();
    Server { child, addr }
}

fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

#[test]
fn starts_on_a_fresh_data_folder_and_reports_healthy() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("nested").join("data");
    let server = start(&data);
    let (status, body) = get(&server.addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    assert!(data.join("server.db").is_file(), "database created in the data folder");
    let (status, _) = get(&server.addr, "/no-such-page");
    assert_eq!(status, 404);
    drop(server);
    // A restart on the same folder finds its migrated database.
    let again = start(&data);
    assert_eq!(get(&again.addr, "/healthz").0, 200);
}

/// A throwaway PostgreSQL database on the local server (`FIELDLEDGER_TEST_PG`, default the machine's
/// trust-auth `test` database as the admin connection), dropped afterwards.
struct ThrowawayPg {
    admin: String,
    name: String,
}

impl ThrowawayPg {
    fn create() -> Self {
        let admin = std::env::var("FIELDLEDGER_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let name = format!("fl_test_{}_{}", std::process::id(), std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default());
        psql(&admin, &format!("CREATE DATABASE {name}"));
        ThrowawayPg { admin, name }
    }

    fn url(&self) -> String {
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
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url} (scripts/test.sh starts it): {e}"));
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut c).await.expect(sql);
    });
}

#[test]
fn runs_on_postgresql_when_database_url_says_so() {
    let pg = ThrowawayPg::create();
    let dir = tempfile::tempdir().expect("dir");
    let server = start_with(dir.path(), Some(&pg.url()));
    let (status, body) = get(&server.addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"database\":\"postgres\""), "{body}");
    assert!(!dir.path().join("server.db").exists(), "no SQLite file when PostgreSQL is configured");
    drop(server);
    // Restarting on the migrated database works (migrations are recorded, not re-run).
    let again = start_with(dir.path(), Some(&pg.url()));
    assert_eq!(get(&again.addr, "/healthz").0, 200);
}

#[test]
fn a_bad_database_url_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(env!("CARGO_BIN_EXE_fieldledger-server"))
        .env("DATABASE_URL", "mysql://nope")
        .args(["--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run server");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL must start with postgres://"));
}

//! Starts the real server binary on its embedded default and asks it for its health.

mod common;

use std::process::Command;

use common::*;

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
    let (status, metrics) = get(&server.addr, "/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains(r#"fieldledger_http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("fieldledger_http_request_duration_seconds_bucket"), "{metrics}");
    assert!(!metrics.contains("no-such-page"), "unmatched paths must not become labels");
    drop(server);
    // A restart on the same folder finds its migrated database.
    let again = start(&data);
    assert_eq!(get(&again.addr, "/healthz").0, 200);
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

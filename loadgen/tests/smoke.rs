//! The load generator against a server it spawns itself: 50 phones over 10 projects, a few hundred
//! edit syncs, then every phone's sheet is read back through a fresh client and compared.

use std::path::PathBuf;
use std::process::Command;

/// The server binary next to the load generator. A workspace test run (`cargo nextest run
/// --workspace`) has built it; a run of this package alone builds it when it is missing (it belongs
/// to another package, so cargo does not build it for this test by itself).
fn server_bin() -> PathBuf {
    let loadgen = PathBuf::from(env!("CARGO_BIN_EXE_fieldledger-loadgen"));
    let dir = loadgen.parent().expect("target dir");
    let server = dir.join(format!("fieldledger-server{}", std::env::consts::EXE_SUFFIX));
    if !server.exists() {
        let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build.args(["build", "--quiet", "-p", "server", "-p", "loadgen", "--bin", "fieldledger-server"]);
        if dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        assert!(build.status().expect("run cargo build").success(), "building the server binary failed");
    }
    server
}

/// 50 phones over 10 projects, 300 edit syncs and a read-back against a server the generator
/// spawns (told by `server`); the JSON report.
fn run_fifty_phones(server: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_fieldledger-loadgen"))
        .env_remove("DATABASE_URL")
        .arg("--spawn")
        .args(server)
        .args(["--phones", "50", "--projects", "10", "--concurrency", "8", "--syncs", "300", "--warmup", "0.5"])
        .args(["--verify", "--json"])
        .output()
        .expect("run the load generator");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON report: {e}\n{stderr}"))
}

#[test]
fn fifty_phones_sync_their_edits_and_the_server_holds_them() {
    let server = server_bin();
    let r = run_fifty_phones(&["--server-bin", &server.display().to_string()]);
    assert_eq!(r["syncs"], 300, "{r}");
    assert_eq!(r["failed_syncs"], 0, "{r}");
    assert_eq!(r["doc_errors"], 0, "{r}");
    assert_eq!(r["verified"], 50, "every phone's last edit is on the server: {r}");
    assert_eq!(r["verify_mismatches"], 0, "{r}");
    // Phones share projects, so syncs also pull the peers' edits.
    assert!(r["docs_received_per_sync"].as_f64().is_some_and(|d| d > 1.0), "{r}");
    for key in ["syncs_per_s", "server_cpu_ms_per_sync", "automerge_us_per_sync", "server_cpu_over_automerge"] {
        assert!(r[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {r}");
    }
    assert!(r["sync_latency_ms"]["p99"].as_f64().is_some_and(|v| v > 0.0), "{r}");
    assert!(r["wire_bytes_per_sync"]["up"].as_f64() > r["payload_bytes_per_sync"]["up"].as_f64(), "{r}");
}

/// The floor (the protocol served from memory) carries the same phones to the same end: every
/// sheet reads back equal, peers' edits arrive, and its CPU per sync is reported.
#[test]
fn the_floor_serves_the_same_protocol_and_holds_every_edit() {
    let r = run_fifty_phones(&["--floor"]);
    assert_eq!(r["backend"], "floor", "{r}");
    assert_eq!(r["syncs"], 300, "{r}");
    assert_eq!(r["failed_syncs"], 0, "{r}");
    assert_eq!(r["verified"], 50, "{r}");
    assert_eq!(r["verify_mismatches"], 0, "{r}");
    assert!(r["docs_received_per_sync"].as_f64().is_some_and(|d| d > 1.0), "{r}");
    assert!(r["server_cpu_over_automerge"].as_f64().is_some_and(|v| v > 0.0), "{r}");

    // The floor is only ever spawned by the generator itself.
    let bad = Command::new(env!("CARGO_BIN_EXE_fieldledger-loadgen"))
        .args(["--floor", "--phones", "1"])
        .output()
        .expect("run");
    assert!(!bad.status.success(), "--floor without --spawn must be refused");
}

fn j_down(r: &serde_json::Value) -> Option<f64> {
    r["join"]["big"]["payload_bytes"]["down"].as_f64()
}

/// The join scenario, small: two projects seeded through the sync, a new phone's first sync on
/// each receives every document, and idle syncs on both are measured; with `--scoped`, a phone
/// applying sync scopes joins the big project and receives only its window (sheets over 730 days:
/// a few of the last 14 days), and the idle request is replayed on both.
#[test]
fn a_new_phone_joins_a_seeded_project_and_idles() {
    let server = server_bin();
    let out = Command::new(env!("CARGO_BIN_EXE_fieldledger-loadgen"))
        .env_remove("DATABASE_URL")
        .args(["--spawn", "--server-bin", &server.display().to_string()])
        .args(["--join", "--join-docs", "300", "--idle-docs", "40", "--idle-syncs", "20", "--scoped", "--json"])
        .output()
        .expect("run the load generator");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON: {e}\n{stderr}"));
    for (size, docs) in [("small", 40), ("big", 300)] {
        let j = &r["join"][size];
        assert_eq!(j["failure"], serde_json::Value::Null, "{r}");
        assert_eq!(j["project_documents"], docs, "{r}");
        // Today every document of the project reaches a new phone (no sync scopes yet).
        assert_eq!(j["documents_held"], docs, "{r}");
        assert!(j["payload_bytes"]["down"].as_u64().is_some_and(|b| b > 100 * docs), "{r}");
        assert!(j["rounds"].as_u64().is_some_and(|n| n >= 1), "{r}");
        let i = &r["idle"][size];
        assert_eq!(i["syncs"], 20, "{r}");
        assert_eq!(i["failed_syncs"], 0, "{r}");
        assert!(i["request_latency_ms"]["p50"].as_f64().is_some_and(|v| v > 0.0), "{r}");
        assert!(i["server_cpu_ms_in_requests_per_sync"].as_f64().is_some_and(|v| v > 0.0), "{r}");
        let replayed = &r["idle_replayed"][size];
        assert_eq!(replayed["failed"], 0, "{r}");
        assert!(replayed["server_cpu_ms_per_request"].as_f64().is_some_and(|v| v > 0.0), "{r}");
    }
    let scoped = &r["join"]["big_scoped"];
    assert_eq!(scoped["failure"], serde_json::Value::Null, "{r}");
    assert_eq!(scoped["scope_answered"], true, "the server answers a scoped phone with its scope: {r}");
    let recent = r["seed"]["big"]["within_14_days"].as_u64().expect("within_14_days");
    let held = scoped["documents_held"].as_u64().expect("documents_held");
    assert!(held >= recent && held < 300 / 4, "the window's {recent} sheets, not the project's 300: {r}");
    let down = scoped["payload_bytes"]["down"].as_f64().zip(j_down(&r));
    assert!(down.is_some_and(|(scoped, whole)| scoped < whole / 4.0), "{r}");
    assert_eq!(r["idle"]["big_scoped"]["failed_syncs"], 0, "{r}");

    // Replicas share one PostgreSQL database; on SQLite they are refused.
    let bad = Command::new(env!("CARGO_BIN_EXE_fieldledger-loadgen"))
        .env_remove("DATABASE_URL")
        .args(["--spawn", "--server-bin", &server.display().to_string(), "--replicas", "2", "--phones", "2"])
        .output()
        .expect("run");
    assert!(!bad.status.success(), "--replicas 2 without --database-url must be refused");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--database-url"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

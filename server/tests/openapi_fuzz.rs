//! Issue 24: a schema-driven fuzzer against the running server. `scripts/openapi-fuzz.sh` starts the
//! server with the demo company, makes an admin token and runs Schemathesis over every operation of
//! `/v1/openapi.json` (its checks and why: the script's header): no 5xx, every status, content type,
//! promised header and JSON body as described, every bearer operation refusing a request without a
//! token. Path ids are half the time real ones of the demo (the script reads them from the API), so
//! handlers do their real work, not only 404s. Bounded: deterministic generation, 15 examples per
//! operation and phase, so the whole fuzz (about 4,000 requests) takes about a minute on two idle
//! cores (a limit of 240 s per schemathesis run fails it when something hangs), and a failure
//! reproduces. Skipped (with a note) when Schemathesis is not installed (scripts/test-setup.sh
//! installs it).
//!
//! The operations that can revoke the fuzzer's own token (`/v1/devices/{id}/revoke|rotate`) run last,
//! in their own run (the script), so they cannot turn the rest of the fuzz into 401s.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Cases per operation and phase; with the coverage phase's own cases this keeps the whole fuzz under
/// two minutes on the 2-core CI machine.
const MAX_EXAMPLES: &str = "15";
/// Seconds each schemathesis run may take (the script stops it and fails after).
const TIMEOUT_SECS: &str = "240";

/// The description's operations as Schemathesis names them (`GET /v1/devices`), but for
/// `GET /v1/openapi.json`: Schemathesis does not fuzz the description it reads.
fn operations() -> BTreeSet<String> {
    let spec = serde_json::to_value(server::openapi::spec()).expect("the description as JSON");
    let methods = ["get", "put", "post", "patch", "delete", "head", "options", "trace"];
    let mut all = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        all.extend(methods.iter().filter(|m| item.get(**m).is_some()).map(|m| format!("{} {path}", m.to_uppercase())));
    }
    all.remove("GET /v1/openapi.json");
    all
}

/// The operations a JUnit report of schemathesis has a test case for (not its "Stateful tests"),
/// and how many failures, errors and skips it counts.
fn junit(xml: &str) -> (BTreeSet<String>, usize, usize) {
    let names = xml
        .split("<testcase name=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|n| *n != "Stateful tests")
        .map(|n| n.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\""))
        .collect();
    let failed = xml.matches("<failure").count() + xml.matches("<error").count();
    (names, failed, xml.matches("<skipped").count())
}

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_unlike_the_description() {
    if Command::new("schemathesis").arg("--version").output().is_err() {
        eprintln!("SKIPPED: schemathesis is not installed (scripts/test-setup.sh installs schemathesis==4.32.5)");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/openapi-fuzz.sh");
    let reports = tempfile::tempdir().expect("report dir");
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(&script)
        .env("FIELDLEDGER_SERVER", common::server_binary())
        .env("FUZZ_MAX_EXAMPLES", MAX_EXAMPLES)
        // One worker: with two threads Hypothesis (its caches) and CPython 3.11's AST recursion
        // counter race, and the run ends in Python errors (KeyError, "AST constructor recursion depth
        // mismatch") that are none of the server's doing (seen in a full test run).
        .env("FUZZ_WORKERS", "1")
        .env("FUZZ_TIMEOUT", TIMEOUT_SECS)
        .env("FUZZ_REPORT_DIR", reports.path())
        .output()
        .expect("run scripts/openapi-fuzz.sh");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.code() == Some(77) {
        eprintln!("SKIPPED: {stderr}");
        return;
    }
    let log = std::fs::read_to_string(reports.path().join("server.log")).unwrap_or_default();
    let log_tail: String =
        log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    assert!(
        out.status.success(),
        "schemathesis found problems ({:?}) in {:.0?}:\n{stdout}\n{stderr}\n--- the server's log, last lines:\n{log_tail}",
        out.status,
        started.elapsed()
    );
    // It really ran over the whole description, not over nothing.
    let (mut fuzzed, mut failed, mut skipped) = (BTreeSet::new(), 0, 0);
    for run in ["main", "last"] {
        let xml = std::fs::read_to_string(reports.path().join(format!("junit-{run}.xml")))
            .unwrap_or_else(|e| panic!("junit-{run}.xml: {e}\n{stdout}\n{stderr}"));
        let (names, f, s) = junit(&xml);
        fuzzed.extend(names);
        failed += f;
        skipped += s;
    }
    let operations = operations();
    let missed: Vec<_> = operations.difference(&fuzzed).collect();
    assert!(missed.is_empty(), "operations not fuzzed: {missed:?}\n{stdout}");
    assert_eq!(failed, 0, "no failure in the reports:\n{stdout}");
    assert!(skipped * 10 <= operations.len(), "at most a tenth skipped: {skipped} of {}:\n{stdout}", operations.len());
    eprintln!("{} operations fuzzed in {:.0?} ({skipped} skipped)", operations.len(), started.elapsed());
}

//! The TypeScript client (`clients/typescript/`, `@fieldledger/client` on `@automerge/automerge` 3,
//! issue 24) against the real server binary: `npm test` there compiles it and runs its tests under
//! `node --test`, the unit tests and `test/server.test.ts` against this server. Project P1 with the
//! fixture reference data, three foreman (device) tokens, a supervisor's, a labour sheet written by
//! Rust (a simulated phone on the automerge crate) for the client to read as plain values, and a
//! photo for the resumable upload. Skipped when `node` is missing; its packages come from
//! `npm ci` (scripts/test-setup.sh).
//!
//! Mid-run, `server.test.ts` hands over to this test once (files in a shared directory): once the
//! TypeScript client holds the Rust sheet, the Rust phone edits it; the client's next sync must
//! bring the edit in one request (issue 25: no acknowledgement round). The client writes its sync
//! reports there, and they are checked here too.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fieldledger_tests::api::{d, import_reference};
use fieldledger_tests::blobkit::{jpeg, sha256_hex};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::records::{crew_line, labour_sheet, paid_line, reference_workbook, sheet_doc};
use fieldledger_tests::{start, token, token_as};
use record_schema::labour::TimeUnit;
use record_schema::{Effort, Record};

const CLIENT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../clients/typescript");
/// The sheet written by Rust (its lines as `server.test.ts` expects them).
const RUST_SHEET: &str = "0193a5b2-7c4e-7d21-9f3a-2b6c8d0e1f47";
/// The note the Rust phone writes into its sheet while the client waits (`server.test.ts` checks it).
const RUST_NOTE: &str = "雨后复工";

#[test]
fn typescript_client_against_the_server() {
    if Command::new("node").arg("--version").output().is_err() || Command::new("npm").arg("--version").output().is_err()
    {
        eprintln!("SKIPPED typescript_client_against_the_server: `node` / `npm` are not installed (Node 20 runs it)");
        return;
    }
    let client = Path::new(CLIENT_DIR);
    assert!(
        client.join("node_modules/@automerge/automerge/package.json").is_file(),
        "the TypeScript client's packages are not installed in {CLIENT_DIR}: run scripts/test-setup.sh (npm ci there)"
    );
    let dir = tempfile::tempdir().expect("dir");
    let foremen: Vec<String> = (0..3).map(|_| token(dir.path(), None, "P1")).collect();
    let rust_phone = token(dir.path(), None, "P1");
    let supervisor = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start(dir.path());
    import_reference(&server.addr, &admin, &reference_workbook());

    // A sheet written by Rust: its strings are scalar strings, its headcounts integers.
    let sheet = labour_sheet(
        RUST_SHEET,
        vec![
            crew_line("l1", 3, Effort::Days(d("1")), "380", "03-100", "A1"),
            paid_line("l2", 2, Effort::Hours(d("9.5")), "365", TimeUnit::Day, "8", "03-200", "A2"),
        ],
    );
    let mut phone = SimPhone::new(rust_phone);
    phone.docs.insert(RUST_SHEET.into(), sheet_doc(&sheet));
    let t = phone.sync(&server.addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);

    let photo = jpeg(640, 480, 41, true);
    let photo_path = dir.path().join("site.jpg");
    std::fs::write(&photo_path, &photo).expect("write photo");

    let handover = dir.path().join("handover");
    std::fs::create_dir(&handover).expect("handover dir");
    let mut npm = Command::new("npm");
    npm.args(["--prefix", CLIENT_DIR, "test"])
        .env("FIELDLEDGER_URL", format!("http://{}", server.addr))
        .env("FIELDLEDGER_FOREMAN_TOKENS", foremen.join(","))
        .env("FIELDLEDGER_SUPERVISOR_TOKEN", &supervisor)
        .env("FIELDLEDGER_RUST_SHEET_ID", RUST_SHEET)
        .env("FIELDLEDGER_RUST_NOTE", RUST_NOTE)
        .env("FIELDLEDGER_PHOTO", &photo_path)
        .env("FIELDLEDGER_HANDOVER", &handover);
    // npm runs on its own thread (its output read to the end there) while this one waits for the
    // client's signal, edits the Rust sheet and answers.
    let run = std::thread::spawn(move || npm.output());
    let started = Instant::now();
    let mut edited = false;
    while !run.is_finished() {
        if !edited && handover.join("ready").exists() {
            phone.edit_sheet(RUST_SHEET, |s| s.note = Some(RUST_NOTE.into()));
            let t = phone.sync(&server.addr);
            assert!(t.errors.is_empty() && t.rounds == 1, "the Rust phone's edit: {t:?}");
            std::fs::write(handover.join("edited"), b"").expect("signal the client");
            edited = true;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "npm test ran over 10 minutes");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = run.join().expect("the npm thread").expect("run npm test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("--- npm test: stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(out.status.success(), "npm test failed ({}): see node's output above", out.status);
    // Every test ran (none skipped for a missing variable) and passed.
    for line in ["# fail 0", "# skipped 0", "# cancelled 0"] {
        assert!(stdout.contains(line), "node's summary lacks {line:?}");
    }
    let tests: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("# tests "))
        .and_then(|n| n.trim().parse().ok())
        .expect("node's summary counts the tests");
    assert!(tests >= 16, "{tests} tests ran");
    assert!(edited, "the client never asked for the Rust phone's edit");

    // The client's sync reports (`SyncReport` as JSON): a peer's edit, written here in Rust, arrived
    // in one request with nothing sent back; a record new to the server went whole, in one request.
    let report = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(handover.join(format!("{name}.json"))).expect("the client's report");
        serde_json::from_str(&text).expect("a JSON report")
    };
    let peer = report("peer_edit");
    assert_eq!(peer["rounds"], 1, "a peer's edit is one request: {peer}");
    assert_eq!(peer["perRound"][0]["docsSent"], 0, "no acknowledgement: {peer}");
    assert!(peer["changed"].as_array().is_some_and(|c| c.iter().any(|id| id == RUST_SHEET)), "{peer}");
    let new = report("new_record");
    assert_eq!(new["rounds"], 1, "a new record is one request (the whole document at once): {new}");
    assert_eq!(new["perRound"][0]["docsSent"], 1, "{new}");

    // What the TypeScript client left on the server, read back in Rust: the sheet it built (its
    // headcounts integers, though JS wrote the first line's position 0 as a float), approved, and the
    // photo it uploaded.
    phone.sync(&server.addr);
    let sheets: Vec<_> = phone
        .docs
        .keys()
        .filter(|id| id.as_str() != RUST_SHEET && !id.contains(':'))
        .filter(|id| matches!(phone.record(id), Record::LabourSheet(_)))
        .cloned()
        .collect();
    assert_eq!(sheets.len(), 1, "one sheet from TypeScript: {sheets:?}");
    let Record::LabourSheet(ts) = phone.record(&sheets[0]) else { unreachable!() };
    assert_eq!(ts.lines.iter().map(|l| l.headcount).collect::<Vec<_>>(), [4, 2], "read by Rust as integers");
    assert!(phone.docs.contains_key(&format!("approval:{}", sheets[0])), "approved by the supervisor");
    let (status, body) =
        fieldledger_tests::api::fetch(&server.addr, &supervisor, &format!("/v1/blobs/{}", sha256_hex(&photo)));
    assert!(status == 200 && body == photo, "the uploaded photo is served ({status})");
}

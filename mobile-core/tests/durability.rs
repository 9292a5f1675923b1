//! An acknowledged write survives the app being killed at any moment. The test runs itself as a
//! child process that writes and acknowledges (prints) each write, kills it with SIGKILL mid-stream,
//! reopens the store and checks every acknowledged write is there, several times over.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::*;
use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::*;

const CHILD_ENV: &str = "FIELDLEDGER_DURABILITY_CHILD_STORE";
const TEST_NAME: &str = "acknowledged_writes_survive_sigkill";

/// The child's role: write crew lines and expenses forever, acknowledging each after the call returns.
fn child_writer(path: &str) -> ! {
    let store = FieldStore::open(path.into(), "foreman-li".into()).expect("child opens store");
    let sheet = store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let out = std::io::stdout();
    let mut out = out.lock();
    writeln!(out, "SHEET {}", sheet.info.id).expect("stdout");
    out.flush().expect("flush");
    for i in 0u64.. {
        if i % 5 == 4 {
            let e = store.create_expense(place(), expense(&format!("{}.25", i + 1))).expect("expense");
            writeln!(out, "EXPENSE {} {}", e.info.id, e.amount).expect("stdout");
        } else {
            let l = store
                .add_crew_line(sheet.info.id.clone(), line("木工", (i % 30 + 1) as i64, "8", "47.50"))
                .expect("line");
            writeln!(out, "LINE {} {} {}", sheet.info.id, l.id, l.headcount).expect("stdout");
        }
        out.flush().expect("flush");
    }
    unreachable!()
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child_writer(&path);
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.db").display().to_string();
    let mut acked_lines: Vec<(String, String, i64)> = Vec::new();
    let mut acked_expenses: Vec<(String, String)> = Vec::new();

    // Kill after different numbers of acknowledgements, so the kill lands at different points of a
    // write (and across compactions, every 64 appended changes).
    for (round, kill_after) in [37usize, 150, 5, 90].into_iter().enumerate() {
        let exe = std::env::current_exe().expect("test binary");
        let mut child = Command::new(exe)
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child writer");
        let stdout = child.stdout.take().expect("child stdout");
        let mut acks = 0;
        for l in BufReader::new(stdout).lines() {
            let l = l.expect("read child output");
            let parts: Vec<&str> = l.split_whitespace().collect();
            match parts.as_slice() {
                ["LINE", sheet, id, headcount] => {
                    acked_lines.push((sheet.to_string(), id.to_string(), headcount.parse().expect("headcount")));
                    acks += 1;
                }
                ["EXPENSE", id, amount] => {
                    acked_expenses.push((id.to_string(), amount.to_string()));
                    acks += 1;
                }
                _ => {}
            }
            if acks >= kill_after {
                // SIGKILL: no destructors, no WAL checkpoint, no chance to tidy up.
                child.kill().expect("kill child");
                break;
            }
        }
        child.wait().expect("reap child");
        assert!(acks >= kill_after, "round {round}: child died early after {acks} acks");

        let store = FieldStore::open(path.clone(), "foreman-li".into()).expect("reopen after kill");
        for (sheet, id, headcount) in &acked_lines {
            let s = store.get_labour_sheet(sheet.clone()).expect("acknowledged sheet");
            let l = s.lines.iter().find(|l| &l.id == id).unwrap_or_else(|| panic!("round {round}: lost line {id}"));
            assert_eq!(l.headcount, *headcount);
        }
        for (id, amount) in &acked_expenses {
            assert_eq!(&store.get_expense(id.clone()).expect("acknowledged expense").amount, amount);
        }
        // The index agrees with the documents.
        let listed = store.list_records(RecordFilter::default()).expect("list");
        assert!(listed.len() > round, "round {round}: {} records listed", listed.len());
        for r in listed.iter().filter(|r| r.kind == RecordKind::LabourSheet) {
            assert_eq!(r.line_count as usize, store.get_labour_sheet(r.id.clone()).expect("sheet").lines.len());
        }
        // And the store still takes writes.
        store.create_expense(place(), expense("1.00")).expect("write after reopen");
        store.close().expect("close");
    }
    assert!(acked_lines.len() > 200, "{} lines acknowledged", acked_lines.len());
}

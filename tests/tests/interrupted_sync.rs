//! A sync killed mid-request (the server process is killed while a phone uploads hundreds of
//! records) resumes after a restart with nothing lost or duplicated. SQLite and PostgreSQL.

use std::time::Duration;

use fieldledger_tests::phone_core::{open_phone, place};
use fieldledger_tests::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::*;

const RECORDS: usize = 300;

fn amount(i: usize) -> String {
    format!("{}.{:02}", 100 + i, i % 100)
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    eprintln!("data dir: {}", dir.path().display());
    let (ta, tc) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P1"));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let a = open_phone(dir.path(), "li");
    // Today on the site's calendar: the fresh phone below is a colleague's, whose sync scope holds
    // the site's recent days (docs/sync-scopes.md).
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
    for i in 0..RECORDS {
        let input = ExpenseInput {
            date: today.clone(),
            amount: amount(i),
            currency: None,
            category: "materials".into(),
            vendor: Some(format!("vendor {i}")),
            cost_code: "03-100".into(),
            note: None,
        };
        a.create_expense(place(), input).expect("expense");
    }

    // Kill the server at different moments of the phone's sync; each time restart it and go on.
    let mut interrupted = 0;
    for delay_ms in [15u64, 60, 150, 400] {
        let mut server = start_with(dir.path(), url);
        let base = format!("http://{}", server.addr);
        let pending = rt.spawn({
            let (a, ta) = (a.clone(), ta.clone());
            async move { a.sync(base, ta, None, None).await }
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        server.child.kill().expect("kill server");
        server.child.wait().expect("reap");
        match rt.block_on(pending).expect("join") {
            Err(CoreError::Offline { .. } | CoreError::SyncFailed { .. }) => interrupted += 1,
            Ok(_) => {} // finished before the kill
            Err(other) => panic!("an interrupted sync is Offline or SyncFailed, got {other:?}"),
        }
        // The phone's data is intact whatever happened.
        assert_eq!(a.list_records(RecordFilter::default()).expect("list").len(), RECORDS);
    }
    assert!(interrupted > 0, "at least one kill must land mid-sync for this test to mean anything");

    let server = start_with(dir.path(), url);
    let base = format!("http://{}", server.addr);
    let r = rt.block_on(a.sync(base.clone(), ta.clone(), None, None)).unwrap_or_else(|e| {
        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
        panic!("the retry completes: {e:?}\nserver log:\n{log}")
    });
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(a.unsynced().expect("unsynced"), Unsynced { records: 0, photos: 0 });

    // A fresh phone of the project gets every record exactly once, with its amount.
    let c = open_phone(dir.path(), "wang");
    let r = rt.block_on(c.sync(base, tc, None, None)).expect("c syncs");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let mut got: Vec<(String, Option<String>)> =
        c.list_records(RecordFilter::default()).expect("list").into_iter().map(|s| (s.id, s.total)).collect();
    let mut want: Vec<(String, Option<String>)> =
        a.list_records(RecordFilter::default()).expect("list").into_iter().map(|s| (s.id, s.total)).collect();
    got.sort();
    want.sort();
    assert_eq!(got.len(), RECORDS, "nothing lost, nothing duplicated");
    assert_eq!(got, want);
    println!("{interrupted} of 4 kills interrupted a sync");
}

#[test]
fn sync_killed_mid_request_resumes_on_sqlite() {
    story(None);
}

#[test]
fn sync_killed_mid_request_resumes_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

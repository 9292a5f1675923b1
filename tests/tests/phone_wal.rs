//! A phone's write-ahead log does not stay at its largest: after a sync a log over 1 MiB is
//! checkpointed into the store and truncated (`mobile-core/src/store/sync.rs`, `shrink_wal`), and
//! nothing it held is lost. Against the real server binary on SQLite.

use fieldledger_tests::phone_core::{carpenters, new_sheet, open_phone};
use fieldledger_tests::*;
use mobile_core::ffi::types::*;

fn wal_bytes(dir: &std::path::Path, name: &str) -> u64 {
    std::fs::metadata(dir.join(format!("{name}.db-wal"))).map_or(0, |m| m.len())
}

#[test]
fn a_sync_leaves_a_small_write_ahead_log() {
    let dir = tempfile::tempdir().expect("dir");
    let token = token(dir.path(), None, "P1");
    let server = start_with(dir.path(), None);
    let base = format!("http://{}", server.addr);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let phone = open_phone(dir.path(), "li");

    // A busy day's edits: each a committed write, so the log grows past 1 MiB.
    let mut sheets = Vec::new();
    while wal_bytes(dir.path(), "li") <= 1 << 20 {
        let sheet = phone.create_labour_sheet(new_sheet()).expect("sheet");
        for n in 1..=5 {
            phone.add_crew_line(sheet.info.id.clone(), carpenters(n)).expect("line");
        }
        sheets.push(sheet.info.id);
        assert!(sheets.len() < 2_000, "the log never grew past 1 MiB");
    }
    let before = wal_bytes(dir.path(), "li");

    let r = rt.block_on(phone.sync(base.clone(), token.clone(), None, None)).expect("sync");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let after = wal_bytes(dir.path(), "li");
    assert!(after < 64 * 1024, "the log was {before} bytes before the sync and is {after} after");
    assert_eq!(phone.unsynced().expect("unsynced"), Unsynced { records: 0, photos: 0 });

    // Everything is still there, also after reopening the store from its file alone.
    drop(phone);
    let phone = open_phone(dir.path(), "li");
    let held = phone.list_records(RecordFilter::default()).expect("list");
    assert_eq!(held.len(), sheets.len());
    for id in &sheets {
        assert_eq!(phone.get_labour_sheet(id.clone()).expect("sheet").lines.len(), 5);
    }
}

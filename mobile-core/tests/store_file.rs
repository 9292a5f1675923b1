//! The store file itself: a damaged file, another app's database, or a store from a newer app is
//! refused with a typed error, and the file is left byte for byte as it was.

mod common;

use common::*;
use mobile_core::CoreError;
use mobile_core::ffi::FieldStore;
use sqlx::Connection;

fn open_err(path: &std::path::Path) -> CoreError {
    match FieldStore::open(path.display().to_string(), "foreman".into()) {
        Ok(_) => panic!("{} should have been refused", path.display()),
        Err(e) => e,
    }
}

fn sql(path: &std::path::Path, statements: &[&str]) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.expect("connect");
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s.to_string())).execute(&mut c).await.expect(s);
        }
        c.close().await.expect("close");
    });
}

#[test]
fn garbage_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).expect("write");
    let err = open_err(&path);
    assert!(matches!(err, CoreError::StoreCorrupt { .. }), "{err:?}");
    assert!(std::fs::read(&path).expect("read") == garbage, "the damaged file must not be touched");
}

#[test]
fn damaged_store_is_refused() {
    let t = open_store("foreman");
    for i in 0..30 {
        let s = t.store.create_labour_sheet(new_sheet(&days_from_today(-i))).expect("sheet");
        t.store.add_crew_line(s.info.id, line("木工", 3, "8", "47.50")).expect("line");
    }
    t.store.close().expect("close");
    drop(t.store);
    // Overwrite pages in the middle of the file with zeros and noise.
    let mut bytes = std::fs::read(&t.path).expect("read");
    assert!(bytes.len() > 16384, "store should span several pages");
    for b in &mut bytes[4096..12288] {
        *b = 0xA5;
    }
    std::fs::write(&t.path, &bytes).expect("write");
    let err = open_err(&t.path);
    assert!(matches!(err, CoreError::StoreCorrupt { .. }), "{err:?}");
    assert!(std::fs::read(&t.path).expect("read") == bytes, "the damaged store must not be touched");
}

#[test]
fn another_apps_database_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("contacts.db");
    sql(&path, &["CREATE TABLE contacts (name TEXT)", "INSERT INTO contacts VALUES ('Li')"]);
    let before = std::fs::read(&path).expect("read");
    let err = open_err(&path);
    match err {
        CoreError::StoreCorrupt { reason, .. } => assert!(reason.contains("another application"), "{reason}"),
        other => panic!("expected StoreCorrupt, got {other:?}"),
    }
    assert!(std::fs::read(&path).expect("read") == before, "another app's file must not be touched");
}

#[test]
fn store_from_a_newer_app_is_refused_and_kept() {
    let t = open_store("foreman");
    let s = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    t.store.close().expect("close");
    drop(t.store);
    // What a future app version would leave behind: a migration this build does not know.
    sql(
        &t.path,
        &["INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'future', TRUE, X'00', 0)"],
    );
    let before = fingerprint(&t.path);
    match open_err(&t.path) {
        CoreError::StoreTooNew { found, supported, .. } => {
            assert_eq!(found, 99);
            assert_eq!(supported, mobile_core::store::supported_format());
        }
        other => panic!("expected StoreTooNew, got {other:?}"),
    }
    assert_eq!(fingerprint(&t.path), before);
    // Undo the future migration: the data was never touched and opens normally.
    sql(&t.path, &["DELETE FROM _sqlx_migrations WHERE version = 99"]);
    let again = FieldStore::open(t.path.display().to_string(), "foreman".into()).expect("reopen");
    assert_eq!(again.get_labour_sheet(s.info.id).expect("sheet").work_date, today());
}

#[test]
fn closed_store_says_so() {
    let t = open_store("foreman");
    t.store.close().expect("close");
    assert!(matches!(t.store.list_records(Default::default()), Err(CoreError::Closed)));
}

#[test]
fn a_missing_folder_is_a_storage_error_not_a_damaged_store() {
    // An app that resets "corrupt" stores must not be told a store is corrupt when the disk is at fault.
    match FieldStore::open("/no/such/folder/phone.db".into(), "foreman".into()) {
        Err(CoreError::Storage { reason }) => assert!(reason.contains("/no/such/folder"), "{reason}"),
        Err(other) => panic!("expected Storage, got {other:?}"),
        Ok(_) => panic!("opened a store in a missing folder"),
    }
}

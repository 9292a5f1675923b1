//! Bad input gets a clear typed error and changes nothing: after each refused call the store file and
//! its media folder hold exactly what they held before.

mod common;

use common::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::*;

/// Runs `call`, expects `InvalidInput` on `field`, and checks the store did not change.
fn refused_on_field<T: std::fmt::Debug>(t: &TestStore, field: &str, call: impl FnOnce() -> Result<T, CoreError>) {
    let before = fingerprint(&t.path);
    match call() {
        Err(CoreError::InvalidInput { field: f, reason }) => {
            assert_eq!(f, field, "wrong field named (reason: {reason})");
            assert!(!reason.is_empty());
        }
        other => panic!("expected InvalidInput on {field}, got {other:?}"),
    }
    assert_eq!(fingerprint(&t.path), before, "store changed after refusing bad {field}");
}

fn unchanged_after<T: std::fmt::Debug>(t: &TestStore, call: impl FnOnce() -> Result<T, CoreError>) -> CoreError {
    let before = fingerprint(&t.path);
    let err = call().expect_err("call should have been refused");
    assert_eq!(fingerprint(&t.path), before, "store changed after refusing: {err}");
    err
}

fn store_with_a_sheet() -> (TestStore, String) {
    let t = open_store("foreman-li");
    import_reference(&t.store);
    let sheet = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    t.store.add_crew_line(sheet.info.id.clone(), line("木工", 6, "8", "47.50")).expect("first line");
    (t, sheet.info.id)
}

#[test]
fn absurd_headcounts_and_hours_are_refused() {
    let (t, sheet) = store_with_a_sheet();
    for headcount in [-3, 0, 5000] {
        refused_on_field(&t, "line.headcount", || {
            t.store.add_crew_line(sheet.clone(), line("木工", headcount, "8", "47.50"))
        });
    }
    for hours in ["25", "-1", "24.001", "8,5", "eight", "NaN"] {
        refused_on_field(&t, "line.hours", || t.store.add_crew_line(sheet.clone(), line("木工", 3, hours, "47.50")));
    }
    // Editing the existing line with bad values leaves it as it was.
    let line_id = t.store.get_labour_sheet(sheet.clone()).expect("sheet").lines[0].id.clone();
    refused_on_field(&t, "line.headcount", || {
        t.store.update_crew_line(sheet.clone(), line_id.clone(), line("木工", -1, "8", "47.50"))
    });
    let kept = t.store.get_labour_sheet(sheet).expect("sheet");
    assert_eq!(kept.lines.len(), 1);
    assert_eq!(kept.lines[0].headcount, 6);
    assert_eq!(kept.total_cost, "2280.00");
}

#[test]
fn malformed_amounts_are_refused() {
    let (t, _) = store_with_a_sheet();
    for amount in ["12,34", "1e5", "NaN", "inf", "+5", "", " ", "1 000", "0x10", "¥12"] {
        refused_on_field(&t, "amount", || t.store.create_expense(place(), expense(amount)));
    }
    // Parsed, then refused by the currency's rules: too many decimals, zero, negative, absurd.
    for amount in ["12.345", "0", "-5", "100000000.01"] {
        refused_on_field(&t, "amount", || t.store.create_expense(place(), expense(amount)));
    }
    let mut yen = expense("1200.5");
    yen.currency = Some("JPY".into());
    refused_on_field(&t, "amount", || t.store.create_expense(place(), yen));
    let mut odd = expense("10");
    odd.currency = Some("XBT".into());
    refused_on_field(&t, "currency", || t.store.create_expense(place(), odd));
    // A good expense, then a bad edit of it: the stored amount stays.
    let e = t.store.create_expense(place(), expense("1280.5")).expect("good expense");
    assert_eq!(e.amount, "1280.50");
    refused_on_field(&t, "amount", || t.store.update_expense(e.info.id.clone(), expense("1,280.50")));
    assert_eq!(t.store.get_expense(e.info.id).expect("read").amount, "1280.50");
}

#[test]
fn unknown_reference_codes_are_refused_once_reference_data_is_present() {
    let (t, sheet) = store_with_a_sheet();
    let mut bad_code = line("木工", 2, "8", "47.50");
    bad_code.cost_code = "99-999".into();
    refused_on_field(&t, "line.cost_code", || t.store.add_crew_line(sheet.clone(), bad_code));
    let mut bad_activity = line("木工", 2, "8", "47.50");
    bad_activity.activity = Some("A-NOPE".into());
    refused_on_field(&t, "line.activity", || t.store.add_crew_line(sheet.clone(), bad_activity));
    let mut e = expense("10");
    e.cost_code = "99-999".into();
    refused_on_field(&t, "cost_code", || t.store.create_expense(place(), e));
    let p = ProgressInput {
        date: today(),
        activity: "A-NOPE".into(),
        measure: ProgressMeasure::Percent { percent: "40".into() },
        caption: None,
    };
    refused_on_field(&t, "activity", || t.store.create_progress_report(place(), p));

    // Without reference data (a project not synced yet) codes cannot be checked and are accepted.
    let mut other = new_sheet(&today());
    other.project_id = "P2".into();
    let s2 = t.store.create_labour_sheet(other).expect("sheet in P2");
    let mut free = line("木工", 2, "8", "47.50");
    free.cost_code = "99-999".into();
    t.store.add_crew_line(s2.info.id, free).expect("unchecked without reference data");
}

#[test]
fn dates_far_off_or_malformed_are_refused() {
    let (t, sheet) = store_with_a_sheet();
    refused_on_field(&t, "work_date", || t.store.create_labour_sheet(new_sheet(&days_from_today(730))));
    refused_on_field(&t, "work_date", || t.store.create_labour_sheet(new_sheet(&days_from_today(2))));
    refused_on_field(&t, "work_date", || t.store.create_labour_sheet(new_sheet("1999-12-31")));
    refused_on_field(&t, "work_date", || t.store.create_labour_sheet(new_sheet("2026/11/23")));
    refused_on_field(&t, "work_date", || t.store.update_labour_sheet(sheet.clone(), days_from_today(400), None));
    let mut tz = new_sheet(&today());
    tz.time_zone = Some("Mars/Olympus".into());
    refused_on_field(&t, "time_zone", || t.store.create_labour_sheet(tz));
    // Tomorrow is allowed: foremen prepare the next day's sheet the evening before.
    t.store.create_labour_sheet(new_sheet(&days_from_today(1))).expect("tomorrow is fine");
}

#[test]
fn bad_photos_are_refused_with_a_clear_error() {
    let (t, _) = store_with_a_sheet();
    let e = t.store.create_expense(place(), expense("35")).expect("expense");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let attach = |path: &std::path::Path| {
        rt.block_on(t.store.attach_photo(e.info.id.clone(), path.display().to_string(), PhotoContext::default()))
    };

    let missing = t.dir.path().join("gone.jpg");
    match unchanged_after(&t, || attach(&missing)) {
        CoreError::PhotoNotFound { path } => assert!(path.ends_with("gone.jpg")),
        other => panic!("expected PhotoNotFound, got {other:?}"),
    }
    let text = t.dir.path().join("notes.jpg");
    std::fs::write(&text, "this is not a photo").expect("write");
    match unchanged_after(&t, || attach(&text)) {
        CoreError::PhotoUnsupported { reason } => assert!(reason.contains("text file"), "{reason}"),
        other => panic!("expected PhotoUnsupported for a text file, got {other:?}"),
    }
    let empty = t.dir.path().join("empty.jpg");
    std::fs::write(&empty, b"").expect("write");
    match unchanged_after(&t, || attach(&empty)) {
        CoreError::PhotoUnsupported { reason } => assert!(reason.contains("empty"), "{reason}"),
        other => panic!("expected PhotoUnsupported for an empty file, got {other:?}"),
    }

    let good = t.dir.path().join("receipt.jpg");
    write_jpeg(&good, 800, 600);
    let bytes = std::fs::read(&good).expect("read");
    let cut = t.dir.path().join("cut.jpg");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    match unchanged_after(&t, || attach(&cut)) {
        CoreError::PhotoDamaged { reason } => assert!(!reason.is_empty()),
        other => panic!("expected PhotoDamaged for a truncated JPEG, got {other:?}"),
    }
    // A PNG header claiming 20000×20000 pixels: refused before decoding, saying by how much.
    let bomb = t.dir.path().join("bomb.png");
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    png.extend_from_slice(b"IEND");
    png.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
    std::fs::write(&bomb, &png).expect("write");
    match unchanged_after(&t, || attach(&bomb)) {
        CoreError::PhotoTooLarge { width, height, max_pixels } => {
            assert_eq!((width, height, max_pixels), (20_000, 20_000, mobile_core::photo::MAX_PIXELS))
        }
        other => panic!("expected PhotoTooLarge for a 400-megapixel PNG, got {other:?}"),
    }
    // Photos go on expenses and progress reports, not on labour sheets.
    let sheet =
        t.store.list_records(RecordFilter { kind: Some(RecordKind::LabourSheet), ..Default::default() }).expect("list");
    let err = unchanged_after(&t, || {
        rt.block_on(t.store.attach_photo(sheet[0].id.clone(), good.display().to_string(), PhotoContext::default()))
    });
    assert!(matches!(err, CoreError::WrongKind { .. }), "{err:?}");

    // And the good one is accepted.
    let p = attach(&good).expect("a real JPEG attaches");
    assert_eq!((p.width, p.height), (800, 600));
    assert_eq!(t.store.pending_uploads().expect("pending").len(), 1);
}

#[test]
fn voided_records_refuse_edits() {
    let (t, sheet) = store_with_a_sheet();
    t.store.void_record(sheet.clone(), "entered twice".into()).expect("void");
    let err = unchanged_after(&t, || t.store.add_crew_line(sheet.clone(), line("木工", 1, "8", "47.50")));
    assert!(matches!(err, CoreError::RecordVoided { .. }), "{err:?}");
    let err = unchanged_after(&t, || t.store.void_record(sheet.clone(), "again".into()));
    assert!(matches!(err, CoreError::RecordVoided { .. }), "{err:?}");
    let e = t.store.create_expense(place(), expense("5")).expect("expense");
    refused_on_field(&t, "reason", || t.store.void_record(e.info.id.clone(), "  ".into()));
}

#[test]
fn unknown_ids_are_not_found() {
    let (t, _) = store_with_a_sheet();
    let err = unchanged_after(&t, || t.store.add_crew_line("nope".into(), line("木工", 1, "8", "47.50")));
    assert!(matches!(err, CoreError::NotFound { .. }), "{err:?}");
    let sheet = t.store.list_records(RecordFilter::default()).expect("list")[0].id.clone();
    let err = unchanged_after(&t, || {
        t.store.update_crew_line(sheet.clone(), "no-such-line".into(), line("木工", 1, "8", "47.50"))
    });
    assert!(matches!(err, CoreError::NotFound { .. }), "{err:?}");
    let err = unchanged_after(&t, || t.store.get_expense(sheet.clone()));
    assert!(matches!(err, CoreError::WrongKind { .. }), "{err:?}");
}

#[test]
fn the_fingerprint_sees_every_accepted_write() {
    // Guards the tests above: an unchanged fingerprint must mean something.
    let (t, sheet) = store_with_a_sheet();
    let a = fingerprint(&t.path);
    t.store.add_crew_line(sheet, line("木工", 1, "8", "47.50")).expect("line");
    let b = fingerprint(&t.path);
    assert_ne!(a, b);
    t.store.create_expense(place(), expense("1")).expect("expense");
    assert_ne!(b, fingerprint(&t.path));
}

#[test]
fn a_photo_attached_again_after_upload_does_not_come_back() {
    let (t, _) = store_with_a_sheet();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let first = t.store.create_expense(place(), expense("35")).expect("expense");
    let second = t.store.create_expense(place(), expense("12")).expect("expense");
    let file = t.dir.path().join("receipt.jpg");
    write_jpeg(&file, 640, 480);
    let attach =
        |id: &str| rt.block_on(t.store.attach_photo(id.into(), file.display().to_string(), PhotoContext::default()));
    let p = attach(&first.info.id).expect("attach");
    let pending = t.store.pending_uploads().expect("pending");
    assert_eq!(pending.len(), 1);
    t.store.mark_photo_uploaded(p.sha256.clone()).expect("uploaded");
    assert!(!std::path::Path::new(&pending[0].path).exists(), "uploaded original is freed");
    attach(&second.info.id).expect("attach again");
    assert!(t.store.pending_uploads().expect("pending").is_empty());
    assert!(!std::path::Path::new(&pending[0].path).exists(), "no orphan copy of an uploaded original");
    assert_eq!(t.store.get_expense(second.info.id).expect("e").receipts[0].sha256, p.sha256);
}

#[test]
fn unknown_site_or_wrong_time_zone_is_refused_once_reference_data_is_present() {
    let (t, _) = store_with_a_sheet();
    let mut s = new_sheet(&today());
    s.site_id = "S9".into();
    refused_on_field(&t, "site_id", || t.store.create_labour_sheet(s));
    let mut s = new_sheet(&today());
    s.time_zone = Some("Europe/Paris".into());
    refused_on_field(&t, "time_zone", || t.store.create_labour_sheet(s));
    let mut p = place();
    p.site_id = "S9".into();
    refused_on_field(&t, "site_id", || t.store.create_expense(p, expense("5")));
}

/// Runs one SQL statement on the store file through its own connection, as another process would.
fn sql_on_file(path: &std::path::Path, sql: &str) {
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.expect("statement");
    });
}

#[test]
fn a_write_failing_inside_its_transaction_changes_nothing_and_the_store_goes_on() {
    // A line is stored with one call (BEGIN; append; index; COMMIT). Make the index write fail
    // after the change was appended: the whole write must be undone, and the next one must work.
    let (t, sheet) = store_with_a_sheet();
    sql_on_file(
        &t.path,
        "CREATE TRIGGER refuse_index BEFORE UPDATE ON records BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    );
    let before = fingerprint(&t.path);
    let err = t.store.add_crew_line(sheet.clone(), line("钢筋工", 4, "8", "52")).expect_err("the write fails");
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(fingerprint(&t.path), before, "a failed write left something behind");

    sql_on_file(&t.path, "DROP TRIGGER refuse_index");
    t.store.add_crew_line(sheet.clone(), line("瓦工", 2, "8", "50")).expect("the next write works");
    let trades: Vec<String> =
        t.store.get_labour_sheet(sheet).expect("sheet").lines.into_iter().map(|l| l.trade).collect();
    assert_eq!(trades, vec!["木工".to_string(), "瓦工".to_string()]);
}

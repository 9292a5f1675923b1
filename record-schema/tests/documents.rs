//! Record documents round-trip through Automerge, refuse newer schema versions whole, and merge
//! field by field.

use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use chrono::NaiveDate;
use record_schema::record::RecordHeader;
use record_schema::*;
use rust_decimal::Decimal;

fn header(id: &str) -> RecordHeader {
    RecordHeader {
        id: id.into(),
        project_id: "P1".into(),
        site_id: "S1".into(),
        time_zone: "Asia/Shanghai".into(),
        author: "foreman-li".into(),
        created_at_ms: 1_763_900_000_000,
        voided: None,
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn sheet() -> LabourSheet {
    LabourSheet {
        header: header("sheet-1"),
        work_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        currency: Currency::Cny,
        note: Some("雨天".into()),
        lines: vec![
            CrewLine {
                id: "l1".into(),
                position: 0,
                trade: "木工".into(),
                crew: Some("张班组".into()),
                headcount: 3,
                effort: Effort::Hours(dec("7.25")),
                rate: dec("45.50"),
                rate_unit: TimeUnit::Hour,
                hours_per_day: dec("8"),
                cost_code: "03-100".into(),
                activity: Some("A-POUR-L3".into()),
                note: None,
                workers: vec![Worker {
                    name: "王强".into(),
                    id_number: Some("410101199001011234".into()),
                    worker_id: None,
                }],
            },
            CrewLine {
                id: "l2".into(),
                position: 1,
                trade: "普工".into(),
                crew: None,
                headcount: 2,
                effort: Effort::Days(dec("0.5")),
                rate: dec("300"),
                rate_unit: TimeUnit::Day,
                hours_per_day: dec("8"),
                cost_code: "01-500".into(),
                activity: None,
                note: Some("cleanup".into()),
                workers: vec![],
            },
            // Hours at a day rate, on a project of 7.5-hour days, at a rate of the office's precision.
            CrewLine {
                id: "l3".into(),
                position: 2,
                trade: "钢筋工".into(),
                crew: None,
                headcount: 4,
                effort: Effort::Hours(dec("9.5")),
                rate: dec("365.125"),
                rate_unit: TimeUnit::Day,
                hours_per_day: dec("7.5"),
                cost_code: "03-200".into(),
                activity: None,
                note: None,
                workers: vec![],
            },
        ],
    }
}

#[test]
fn every_kind_round_trips() {
    let s = sheet();
    let mut d = AutoCommit::new();
    s.write(&mut d).expect("write");
    let back = LabourSheet::read(&AutoCommit::load(&d.save()).expect("load")).expect("read");
    assert_eq!(back, s);
    // 3 × 7.25 × 45.50 = 989.625 → 989.63 (each line rounded once), + 2 × 0.5 × 300 = 300.00,
    // + 4 × 9.5 h ÷ 7.5 h × 365.125 a day = 1849.9666… → 1849.97.
    assert_eq!(back.total_cost(), dec("3139.60"));
    let stored = |line: &str, key: &str| {
        let lines = doc::get_map(&d, &automerge::ROOT, "lines").expect("lines").expect("a map");
        let obj = doc::get_map(&d, &lines, line).expect("line").expect("a map");
        doc::get_str(&d, &obj, key).expect("text")
    };
    assert_eq!(stored("l3", "rate").as_deref(), Some("365.125"), "rates keep the office's decimals");
    assert_eq!(
        (stored("l3", "rate_unit").as_deref(), stored("l3", "hours_per_day").as_deref()),
        (Some("day"), Some("7.5"))
    );
    assert_eq!(
        (stored("l1", "rate_unit"), stored("l1", "hours_per_day")),
        (None, None),
        "written as before they existed"
    );

    let e = Expense {
        header: header("e-1"),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        amount: dec("1280.50"),
        currency: Currency::Cny,
        category: "materials".into(),
        vendor: Some("五金店".into()),
        cost_code: "03-100".into(),
        note: None,
        receipts: vec![PhotoRef {
            sha256: "a".repeat(64),
            byte_size: 123_456,
            width: 4000,
            height: 3000,
            mime: "image/jpeg".into(),
            captured_at_ms: 1_763_900_000_000,
            location: Some(GeoPoint { latitude: 31.23, longitude: 121.47, accuracy_m: Some(8.0) }),
            thumbnail_sha256: "b".repeat(64),
        }],
    };
    let mut d = AutoCommit::new();
    e.write(&mut d).expect("write");
    assert_eq!(Expense::read(&d).expect("read"), e);
    // Stored as a canonical decimal string, never a float.
    assert_eq!(doc::get_str(&d, &ROOT, "amount").expect("get"), Some("1280.50".into()));

    let p = ProgressReport {
        header: header("p-1"),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        activity: "A-POUR-L3".into(),
        progress: Progress::Quantity { installed: dec("12.5"), unit: "m3".into() },
        caption: Some("east half".into()),
        photos: vec![],
    };
    let mut d = AutoCommit::new();
    p.write(&mut d).expect("write");
    assert_eq!(Record::read(&d).expect("read"), Record::ProgressReport(p));
}

#[test]
fn newer_schema_versions_are_refused_whole() {
    let mut d = AutoCommit::new();
    sheet().write(&mut d).expect("write");
    d.put(ROOT, "schema_version", 2i64).expect("put");
    match LabourSheet::read(&d) {
        Err(SchemaError::NewerSchemaVersion { found: 2, supported: 1, .. }) => {}
        other => panic!("expected NewerSchemaVersion, got {other:?}"),
    }
    assert!(matches!(Record::read(&d), Err(SchemaError::NewerSchemaVersion { .. })));
    let mut e = AutoCommit::new();
    e.put(ROOT, "kind", "expense").expect("put");
    e.put(ROOT, "schema_version", 1i64).expect("put");
    assert!(matches!(LabourSheet::read(&e), Err(SchemaError::WrongKind { .. })));
}

#[test]
fn edits_of_different_fields_merge_and_same_field_edits_are_conflicts() {
    let mut a = AutoCommit::new();
    sheet().write(&mut a).expect("write");
    let mut b = a.fork();
    let mut sa = LabourSheet::read(&a).expect("a");
    sa.lines[0].headcount = 4;
    sa.lines[1].note = Some("moved bricks".into());
    LabourSheet::put_line(&mut a, Currency::Cny, &sa.lines[0], 1).expect("a l1");
    LabourSheet::put_line(&mut a, Currency::Cny, &sa.lines[1], 1).expect("a l2");
    let mut sb = LabourSheet::read(&b).expect("b");
    sb.lines[0].headcount = 5;
    sb.lines[0].rate = dec("48");
    LabourSheet::put_line(&mut b, Currency::Cny, &sb.lines[0], 2).expect("b l1");
    a.merge(&mut b).expect("merge");
    let merged = LabourSheet::read(&a).expect("merged");
    assert_eq!(merged.lines[0].rate, dec("48"), "b's rate kept");
    assert_eq!(merged.lines[1].note.as_deref(), Some("moved bricks"), "a's note kept");
    let c = conflicts::find_conflicts(&a).expect("conflicts");
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].path, "lines/l1/headcount");
    assert_eq!(c[0].values[0], merged.lines[0].headcount.to_string(), "the value the record reads as comes first");
}

#[test]
fn chunk_check_accepts_documents_and_changes_and_refuses_damage() {
    let mut d = AutoCommit::new();
    sheet().write(&mut d).expect("write");
    let whole = d.save();
    let heads = d.get_heads();
    d.put(ROOT, "note", "changed").expect("put");
    let delta = d.save_after(&heads);
    doc::check_automerge_chunks(&whole).expect("a document");
    doc::check_automerge_chunks(&delta).expect("changes");
    doc::check_automerge_chunks(&[whole.clone(), delta.clone()].concat()).expect("both");
    assert!(doc::check_automerge_chunks(&whole[..whole.len() - 3]).is_err(), "truncated");
    assert!(doc::check_automerge_chunks(b"hello").is_err(), "garbage");
    assert!(doc::check_automerge_chunks(&[]).is_err(), "empty");
    let mut flipped = delta.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    assert!(doc::check_automerge_chunks(&flipped).is_err(), "checksum");
}

#[test]
fn lines_added_on_two_phones_at_once_reach_both_and_stay_editable() {
    // New lines are written in one batch (`batch_create_object`); they must travel as ordinary
    // changes and be edited field by field afterwards like any other line.
    let mut a = AutoCommit::new();
    let mut s = sheet();
    s.lines.truncate(1);
    s.write(&mut a).expect("write");
    let mut b = a.fork();
    let base = b.get_heads();
    let mut from_a = sheet().lines[1].clone();
    from_a.id = "la".into();
    let mut from_b = sheet().lines[0].clone();
    from_b.id = "lb".into();
    from_b.workers.push(Worker { name: "李明".into(), id_number: None, worker_id: None });
    from_b.headcount = 4;
    LabourSheet::put_line(&mut a, Currency::Cny, &from_a, 10).expect("a adds");
    LabourSheet::put_line(&mut b, Currency::Cny, &from_b, 11).expect("b adds");

    // b's new line reaches a as incremental bytes, a's reaches b through a merge.
    a.load_incremental(&b.save_after(&base)).expect("a gets b's line");
    b.merge(&mut a).expect("b gets a's line");
    let on_a = LabourSheet::read(&a).expect("a reads");
    let on_b = LabourSheet::read(&AutoCommit::load(&b.save()).expect("reload b")).expect("b reads");
    assert_eq!(on_a, on_b);
    let ids: Vec<&str> = on_a.lines.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let got_b = on_a.lines.iter().find(|l| l.id == "lb").expect("b's line on a");
    assert_eq!(got_b, &from_b);
    assert!(conflicts::find_conflicts(&a).expect("conflicts").is_empty());

    // Edited on a afterwards: only the changed field, and b sees it.
    let mut edit = got_b.clone();
    edit.rate = dec("52.00");
    let before = a.get_heads();
    LabourSheet::put_line(&mut a, Currency::Cny, &edit, 12).expect("a edits b's line");
    b.load_incremental(&a.save_after(&before)).expect("b gets the edit");
    let edited = LabourSheet::read(&b).expect("b reads");
    assert_eq!(edited.lines.iter().find(|l| l.id == "lb").map(|l| l.rate), Some(dec("52.00")));
}

//! `shape::check`: a record document holds only what its schema defines, within its bounds, and
//! decimals as canonical text. Every refused document names the place and the limit; every
//! document a Fieldledger writer makes (conflicts included) passes.

use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue};
use chrono::NaiveDate;
use record_schema::record::RecordHeader;
use record_schema::shape::{MAX_CREW_LINES, MAX_DOC_OPS, check};
use record_schema::validate;
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

fn line(id: &str) -> CrewLine {
    CrewLine {
        id: id.into(),
        position: 0,
        trade: "木工".into(),
        crew: Some("张班组".into()),
        headcount: 3,
        effort: Effort::Hours(Decimal::from_str("7.25").expect("d")),
        rate: Decimal::from_str("45.50").expect("d"),
        rate_unit: record_schema::TimeUnit::Hour,
        hours_per_day: Decimal::from(8),
        cost_code: "03-100".into(),
        activity: Some("A-POUR-L3".into()),
        note: None,
        workers: vec![Worker { name: "王强".into(), id_number: Some("410101199001011234".into()), worker_id: None }],
    }
}

fn sheet_doc() -> AutoCommit {
    let sheet = LabourSheet {
        header: header("sheet-1"),
        work_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        currency: Currency::Cny,
        note: Some("雨天".into()),
        lines: vec![line("l1")],
    };
    let mut d = AutoCommit::new();
    sheet.write(&mut d).expect("write");
    d
}

fn line_obj(d: &AutoCommit, id: &str) -> automerge::ObjId {
    let lines = d.get(ROOT, "lines").expect("get").expect("lines").1;
    d.get(&lines, id).expect("get").expect("line").1
}

/// The error's field and message, for a document `check` refuses.
fn refused(d: &AutoCommit) -> (String, String) {
    match check(d, RecordKind::LabourSheet) {
        Err(SchemaError::Malformed { field, reason }) => (field, reason),
        Err(other) => (String::new(), other.to_string()),
        Ok(()) => panic!("the document was accepted"),
    }
}

#[test]
fn what_writers_make_passes_conflicts_included() {
    let mut a = sheet_doc();
    check(&a, RecordKind::LabourSheet).expect("a fresh sheet");
    let mut b = a.fork();
    LabourSheet::put_line(&mut a, Currency::Cny, &CrewLine { headcount: 4, ..line("l1") }, 10).expect("edit");
    LabourSheet::put_line(&mut b, Currency::Cny, &CrewLine { headcount: 5, ..line("l1") }, 11).expect("edit");
    LabourSheet::remove_line(&mut b, "l1", 12).expect("remove");
    a.merge(&mut b).expect("merge");
    assert!(!conflicts::find_conflicts(&a).expect("conflicts").is_empty(), "the merge made conflicts");
    check(&a, RecordKind::LabourSheet).expect("a sheet with conflicts");
}

#[test]
fn a_deep_extra_key_is_refused_by_its_name() {
    let mut d = sheet_doc();
    let mut obj = d.put_object(ROOT, "deep", ObjType::Map).expect("put");
    for _ in 0..400 {
        obj = d.put_object(&obj, "x", ObjType::Map).expect("nest");
    }
    let (field, reason) = refused(&d);
    assert_eq!(field, "deep", "{reason}");
    assert!(reason.contains("not part of the record's schema"), "{reason}");
    // The conflict walk, which used to recurse to the bottom, stops at its depth bound.
    let e = conflicts::find_conflicts(&d).expect_err("too deep");
    assert!(e.to_string().contains(&format!("deeper than {}", conflicts::MAX_DEPTH)), "{e}");
}

#[test]
fn unknown_fields_objects_in_place_of_values_and_text_objects_are_refused() {
    let mut d = sheet_doc();
    d.put(ROOT, "colour", "red").expect("put");
    assert_eq!(refused(&d).0, "colour");

    let mut d = sheet_doc();
    let l1 = line_obj(&d, "l1");
    d.put_object(&l1, "trade", ObjType::Map).expect("put");
    assert_eq!(refused(&d).0, "lines/l1/trade");

    // A text object stands for a string (JS writers), never for a number.
    let mut d = sheet_doc();
    let l1 = line_obj(&d, "l1");
    let t = d.put_object(&l1, "headcount", ObjType::Text).expect("put");
    d.splice_text(&t, 0, 0, "3").expect("splice");
    assert_eq!(refused(&d).0, "lines/l1/headcount");

    let mut d = sheet_doc();
    let l1 = line_obj(&d, "l1");
    d.put(&l1, "headcount", "three").expect("put");
    assert_eq!(refused(&d).0, "lines/l1/headcount");
}

#[test]
fn texts_lists_and_maps_are_bounded() {
    let mut d = sheet_doc();
    let l1 = line_obj(&d, "l1");
    d.put(&l1, "crew", "班".repeat(100)).expect("put");
    let (field, reason) = refused(&d);
    assert_eq!(field, "lines/l1/crew");
    assert!(reason.contains("at most 200 bytes"), "{reason}");

    let mut d = sheet_doc();
    let l1 = line_obj(&d, "l1");
    let workers = d.get(&l1, "workers").expect("get").expect("workers").1;
    let w = d.get(&workers, 0).expect("get").expect("worker").1;
    d.put(&w, "id_number", "9".repeat(65)).expect("put");
    let (field, reason) = refused(&d);
    assert_eq!(field, "lines/l1/workers/0/id_number");
    assert!(reason.contains("at most 64 bytes"), "{reason}");

    let mut d = sheet_doc();
    let lines = d.get(ROOT, "lines").expect("get").expect("lines").1;
    for i in 0..=MAX_CREW_LINES {
        d.put_object(&lines, format!("x{i}").as_str(), ObjType::Map).expect("line");
    }
    let (field, reason) = refused(&d);
    assert_eq!(field, "lines");
    assert!(reason.contains(&format!("at most {MAX_CREW_LINES}")), "{reason}");
}

#[test]
fn a_deleted_giant_text_still_counts_against_the_operation_bound() {
    let mut d = sheet_doc();
    let t = d.put_object(ROOT, "scratch", ObjType::Text).expect("put");
    d.splice_text(&t, 0, 0, &"x".repeat(MAX_DOC_OPS as usize + 1)).expect("splice");
    d.delete(ROOT, "scratch").expect("delete");
    // Nothing of it is visible any more ...
    assert!(d.get(ROOT, "scratch").expect("get").is_none());
    // ... yet the history holds it.
    let e = check(&d, RecordKind::LabourSheet).expect_err("too many operations");
    assert!(matches!(e, SchemaError::TooLarge(_)), "{e}");
    assert!(e.to_string().contains(&format!("at most {MAX_DOC_OPS}")), "{e}");
}

#[test]
fn decimals_must_be_canonical_text() {
    for bad in ["1e5", "1E+2", "350", "+350.00", "0350.00", ".5", "-0.00", "45.5", " 45.50"] {
        let mut d = sheet_doc();
        let l1 = line_obj(&d, "l1");
        d.put(&l1, "rate", bad).expect("put");
        let (field, reason) = refused(&d);
        assert_eq!(field, "lines/l1/rate", "{bad}: {reason}");
    }
    for bad in ["7.250", "07.25", "7.25e0"] {
        let mut d = sheet_doc();
        let l1 = line_obj(&d, "l1");
        d.put(&l1, "effort", bad).expect("put");
        assert_eq!(refused(&d).0, "lines/l1/effort", "{bad}");
    }
    // The document reader itself takes the same strict syntax: a stored "1e5" never posts.
    let mut d = sheet_doc();
    let l1 = line_obj(&d, "l1");
    d.put(&l1, "rate", "1e5").expect("put");
    assert!(LabourSheet::read(&d).is_err(), "1e5 read as a rate");
    let mut d = sheet_doc();
    let l1 = line_obj(&d, "l1");
    d.put(&l1, "rate", ScalarValue::Str("45.50".into())).expect("put");
    check(&d, RecordKind::LabourSheet).expect("canonical text passes");
    // A rate keeps the office's decimals, written without trailing zeros beyond the currency's.
    for (text, ok) in [("45.625", true), ("45.6255", true), ("45.6250", false), ("45.62500", false), ("45.6", false)] {
        let mut d = sheet_doc();
        let l1 = line_obj(&d, "l1");
        d.put(&l1, "rate", text).expect("put");
        assert_eq!(check(&d, RecordKind::LabourSheet).is_ok(), ok, "{text}");
    }
    for bad in ["8.0", "08", "1e1"] {
        let mut d = sheet_doc();
        let l1 = line_obj(&d, "l1");
        d.put(&l1, "hours_per_day", bad).expect("put");
        assert_eq!(refused(&d).0, "lines/l1/hours_per_day", "{bad}");
    }
}

/// A rate unit or hours per day a writer could not have meant reads as an error or fails validation,
/// naming the line's field; it never divides by zero.
#[test]
fn rate_units_and_hours_per_day_are_checked() {
    let mut d = sheet_doc();
    let l1 = line_obj(&d, "l1");
    d.put(&l1, "rate_unit", "week").expect("put");
    check(&d, RecordKind::LabourSheet).expect("a short code, as far as the shape goes");
    match LabourSheet::read(&d) {
        Err(SchemaError::Malformed { field, .. }) => assert_eq!(field, "rate_unit"),
        other => panic!("read a week rate: {other:?}"),
    }
    let ctx = ValidationContext::new(chrono::Utc::now(), None);
    for (hours, says) in [("0", "more than 0"), ("25", "at most 24"), ("7.125", "at most 2 decimal")] {
        let mut d = sheet_doc();
        let l1 = line_obj(&d, "l1");
        d.put(&l1, "rate_unit", "day").expect("put");
        d.put(&l1, "hours_per_day", hours).expect("put");
        check(&d, RecordKind::LabourSheet).expect("canonical");
        let sheet = LabourSheet::read(&d).expect("reads");
        if hours == "0" {
            assert_eq!(sheet.lines[0].cost(), Decimal::ZERO, "no division by zero");
        }
        let e = sheet.validate(&ctx).expect_err(hours);
        assert_eq!(e.field, "lines[0].hours_per_day", "{hours}");
        assert!(e.reason.contains(says), "{hours}: {}", e.reason);
    }
}

#[test]
fn a_bad_value_is_refused_even_where_a_concurrent_good_one_wins() {
    for bad_first in [true, false] {
        let mut a = sheet_doc();
        let mut b = a.fork();
        let (good, bad) = ("李班组".to_string(), "班".repeat(100));
        let l1 = line_obj(&a, "l1");
        a.put(&l1, "crew", if bad_first { &bad } else { &good }).expect("put");
        b.put(&l1, "crew", if bad_first { &good } else { &bad }).expect("put");
        a.merge(&mut b).expect("merge");
        assert_eq!(a.get_all(&l1, "crew").expect("all").len(), 2, "a conflict");
        assert_eq!(refused(&a).0, "lines/l1/crew");
    }
}

/// `check_patched` (only what a merge changed) refuses exactly what `check` (the whole document)
/// refuses, for edits good and bad arriving from another phone onto a sheet read before.
#[test]
fn checking_what_a_merge_changed_agrees_with_checking_everything() {
    type Edit = fn(&mut AutoCommit);
    let edits: Vec<(&str, Edit)> = vec![
        ("headcount edit", |d| {
            LabourSheet::put_line(d, Currency::Cny, &CrewLine { headcount: 4, ..line("l1") }, 5).expect("edit");
        }),
        ("new line", |d| LabourSheet::put_line(d, Currency::Cny, &line("l2"), 6).expect("add")),
        ("removed line", |d| LabourSheet::remove_line(d, "l1", 7).expect("remove")),
        ("note", |d| d.put(ROOT, "note", "晴").map(drop).expect("put")),
        ("deep key", |d| {
            let mut obj = d.put_object(ROOT, "deep", ObjType::Map).expect("put");
            for _ in 0..50 {
                obj = d.put_object(&obj, "x", ObjType::Map).expect("nest");
            }
        }),
        ("unknown line field", |d| {
            let l1 = line_obj(d, "l1");
            d.put(&l1, "bonus", "1").expect("put");
        }),
        ("long crew", |d| {
            let l1 = line_obj(d, "l1");
            d.put(&l1, "crew", "班".repeat(100)).expect("put");
        }),
        ("bad rate in a new line", |d| {
            LabourSheet::put_line(d, Currency::Cny, &line("l3"), 8).expect("add");
            let l3 = line_obj(d, "l3");
            d.put(&l3, "rate", "1e5").expect("put");
        }),
        ("text object in a worker beyond its bytes", |d| {
            let l1 = line_obj(d, "l1");
            let workers = d.get(&l1, "workers").expect("get").expect("workers").1;
            let w = d.get(&workers, 0).expect("get").expect("worker").1;
            let t = d.put_object(&w, "name", ObjType::Text).expect("put");
            d.splice_text(&t, 0, 0, &"王".repeat(70)).expect("splice");
        }),
        ("too many workers", |d| {
            let l1 = line_obj(d, "l1");
            let workers = d.put_object(&l1, "workers", ObjType::List).expect("workers");
            for i in 0..=(validate::MAX_HEADCOUNT as usize) {
                let w = d.insert_object(&workers, i, ObjType::Map).expect("worker");
                d.put(&w, "name", "x").expect("name");
            }
        }),
        ("currency changed under the amounts", |d| d.put(ROOT, "currency", "JPY").map(drop).expect("put")),
        ("a counter", |d| d.put(ROOT, "position", ScalarValue::counter(1)).map(drop).expect("put")),
    ];
    let mut outcomes = (0, 0);
    for (what, edit) in edits {
        let mut base = sheet_doc();
        let mut doc = base.fork();
        let (_, reading) = Record::reread(&mut doc, None).expect("read");
        let mut peer = base.fork();
        edit(&mut peer);
        reading.watch(&mut doc);
        doc.merge(&mut peer).expect("merge");
        let whole = check(&doc, RecordKind::LabourSheet).map_err(|e| e.to_string());
        let patches = Record::take_patches(&mut doc, Some(&reading)).expect("the patch log was on");
        let patched =
            record_schema::shape::check_patched(&doc, RecordKind::LabourSheet, &patches).map_err(|e| e.to_string());
        assert_eq!(patched.is_ok(), whole.is_ok(), "{what}: patched {patched:?}, whole {whole:?}");
        assert!(!patches.is_empty(), "{what}: the merge made patches");
        if patched.is_ok() { outcomes.0 += 1 } else { outcomes.1 += 1 }
    }
    assert_eq!(outcomes, (4, 8), "accepted, refused");
}

//! Records written by JavaScript Automerge 3 (record-schema/tests/fixtures/js/make.mjs: strings as
//! text objects, 0 and negative numbers as float64) imported into a phone's store through the app's
//! import: read with the right values, edited by the phone, JS edits merged; what breaks the schema
//! refused whole with a short reason naming the path, the store unchanged.

mod common;

use common::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::{EffortUnit, ObservationCategory, Severity};

const SHEET: &str = "0193b000-0000-7000-8000-00000000a001";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../record-schema/tests/fixtures/js/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn bad_reason(r: Result<mobile_core::ffi::types::ImportResult, CoreError>) -> String {
    match r {
        Err(CoreError::BadDocument { reason, .. }) => reason,
        other => panic!("expected a refused document: {other:?}"),
    }
}

#[test]
fn a_javascript_labour_sheet_imports_reads_and_takes_edits_from_both_sides() {
    let phone = open_store("foreman-wang");
    let got = phone.store.import_changes(SHEET.into(), fixture("labour_sheet.bin")).expect("import");
    assert_eq!((got.kind.as_str(), got.changed, got.conflict_count), ("labour_sheet", true, 0));
    let s = phone.store.get_labour_sheet(SHEET.into()).expect("reads");
    assert_eq!(
        (s.work_date.as_str(), s.currency.as_str(), s.note.as_deref()),
        ("2026-11-20", "CNY", Some("JS 写的点工单"))
    );
    assert_eq!((s.total_headcount, s.total_cost.as_str()), (9, "3580.31"));
    let (l1, l2) = (&s.lines[0], &s.lines[1]);
    assert_eq!((l1.id.as_str(), l1.position, l1.trade.as_str(), l1.headcount), ("l1", 0, "木工", 6));
    assert_eq!((l1.effort.as_str(), l1.rate.as_str(), l1.cost.as_str()), ("8", "47.50", "2280.00"));
    assert_eq!(l1.workers.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(), ["张三", "李四"]);
    assert_eq!((l2.rate_unit, l2.cost.as_str(), l2.note.as_deref()), (EffortUnit::Days, "1300.31", Some("加班")));
    let listed = phone.store.list_records(Default::default()).expect("list");
    assert_eq!(listed.len(), 1);

    // A JS edit (a splice inside line l2's note) merges.
    let got = phone.store.import_changes(SHEET.into(), fixture("labour_sheet_edit.bin")).expect("JS edit");
    assert!(got.changed);
    let s = phone.store.get_labour_sheet(SHEET.into()).expect("reads");
    assert_eq!(s.lines[1].note.as_deref(), Some("加班，周六"));

    // The phone edits the JS sheet like any other.
    let mut edit = line("木工", 7, "8", "47.50");
    edit.crew = Some("张班".into());
    edit.activity = Some("A1".into());
    let l1 = phone.store.update_crew_line(SHEET.into(), "l1".into(), edit).expect("phone edit");
    assert_eq!((l1.headcount, l1.cost.as_str()), (7, "2660.00"));
    let s = phone.store.get_labour_sheet(SHEET.into()).expect("reads");
    assert_eq!(s.total_cost, "3960.31");

    // A JS edit beyond a bound is refused whole: the store keeps what it had.
    let reason = bad_reason(phone.store.import_changes(SHEET.into(), fixture("labour_sheet_long_note.bin")));
    assert_eq!(reason, "field `note` is malformed: is 4009 characters long; at most 4000 bytes are allowed");
    assert_eq!(phone.store.get_labour_sheet(SHEET.into()).expect("reads"), s);
}

#[test]
fn javascript_expenses_observations_and_day_logs_import_and_read() {
    let phone = open_store("foreman-wang");
    let id = "0193b000-0000-7000-8000-00000000a002";
    phone.store.import_changes(id.into(), fixture("expense.bin")).expect("expense");
    let e = phone.store.get_expense(id.into()).expect("reads");
    assert_eq!((e.amount.as_str(), e.category.as_str(), e.vendor.as_deref()), ("1280.50", "materials", Some("五金店")));

    let id = "0193b000-0000-7000-8000-00000000a003";
    phone.store.import_changes(id.into(), fixture("observation.bin")).expect("observation");
    let o = phone.store.get_observation(id.into()).expect("reads");
    assert_eq!(
        (o.category, o.severity, o.title.as_str()),
        (ObservationCategory::Safety, Severity::High, "脚手架缺扣件")
    );
    assert_eq!(o.gps.map(|g| (g.latitude, g.accuracy_m)), Some((31.2304, Some(0.0))));

    let id = "0193b000-0000-7000-8000-00000000a004";
    phone.store.import_changes(id.into(), fixture("day_log.bin")).expect("day log");
    let l = phone.store.get_day_log(id.into()).expect("reads");
    assert_eq!((l.temp_low_c.as_deref(), l.notes.as_deref()), (Some("-3.5"), Some("三层模板完成")));
    assert_eq!((l.visitors[0].name.as_str(), l.delays[0].hours.as_str()), ("王监理", "1.5"));
    assert_eq!(phone.store.list_records(Default::default()).expect("list").len(), 3);
}

#[test]
fn a_javascript_float_where_an_integer_belongs_is_refused_briefly() {
    let phone = open_store("foreman-wang");
    let id = "0193b000-0000-7000-8000-00000000a005";
    let reason = bad_reason(phone.store.import_changes(id.into(), fixture("position_float.bin")));
    assert_eq!(reason, "field `lines/l1/position` is malformed: expected an integer, found 1.5");
    assert!(phone.store.list_records(Default::default()).expect("list").is_empty(), "nothing stored");
}

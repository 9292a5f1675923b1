//! The foreman's day sheet as the phone API offers it: copy an earlier day in one call, change
//! many lines in one call (one change, one write, all or nothing), hours at a day rate and rates of
//! the office's precision costed exactly, the site's time zone and the expense categories taken
//! from the project's reference data, and sheets found by site and day.

mod common;

use automerge::AutoCommit;
use common::*;
use mobile_core::CoreError;
use mobile_core::ffi::reference_document;
use mobile_core::ffi::types::*;

fn import(t: &TestStore, reference: ReferenceData) {
    let bytes = reference_document(reference).expect("reference document");
    t.store.import_changes("reference:P1".into(), bytes).expect("import reference");
}

/// The office edits the project's reference data: a change on the document the phone holds, as the
/// server makes it.
fn office_edits(t: &TestStore, edit: impl FnOnce(&mut record_schema::ReferenceData)) {
    let id = "reference:P1".to_string();
    let mut doc = AutoCommit::load(&t.store.export_document(id.clone()).expect("held")).expect("load");
    let heads = doc.get_heads();
    let mut reference = record_schema::ReferenceData::read(&doc).expect("read");
    edit(&mut reference);
    reference.write(&mut doc).expect("write");
    doc.commit();
    let change = doc.save_after(&heads);
    t.store.import_changes(id, change).expect("import the office's change");
}

fn by_day(trade: &str, headcount: i64, hours: &str, day_rate: &str) -> CrewLineInput {
    CrewLineInput { rate_unit: Some(EffortUnit::Days), ..line(trade, headcount, hours, day_rate) }
}

/// How many changes document `id` holds (each edit call should add exactly one).
fn change_count(t: &TestStore, id: &str) -> usize {
    let bytes = t.store.export_document(id.to_string()).expect("export");
    AutoCommit::load(&bytes).expect("load").get_changes(&[]).len()
}

fn expect_invalid<T: std::fmt::Debug>(r: Result<T, CoreError>, field: &str, says: &str) {
    match r {
        Err(CoreError::InvalidInput { field: f, reason }) => {
            assert_eq!(f, field, "{reason}");
            assert!(reason.contains(says), "{field}: {reason}");
        }
        other => panic!("expected InvalidInput on {field}, got {other:?}"),
    }
}

#[test]
fn hours_at_a_day_rate_cost_exactly_and_round_once() {
    let t = open_store("王建国");
    import_reference(&t.store);
    let sheet = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let id = sheet.info.id.clone();
    // 9.5 h of a 365/day worker: 9.5 / 8 × 365 = 433.4375 exactly, 433.44 once rounded.
    let l = t.store.add_crew_line(id.clone(), by_day("木工", 1, "9.5", "365")).expect("hours at a day rate");
    assert_eq!((l.effort_unit, l.effort.as_str()), (EffortUnit::Hours, "9.5"));
    assert_eq!((l.rate_unit, l.rate.as_str(), l.hours_per_day.as_str()), (EffortUnit::Days, "365.00", "8"));
    assert_eq!(l.cost, "433.44");
    // The same day at the hourly rate the office derived (365 / 8 = 45.625), kept to the thousandth.
    let h = t.store.add_crew_line(id.clone(), line("木工", 1, "9.5", "45.625")).expect("office precision");
    assert_eq!((h.rate.as_str(), h.rate_unit, h.cost.as_str()), ("45.625", EffortUnit::Hours, "433.44"));
    // Days at an hourly rate: 3 × 1.5 days × 8 h × 45.625 = 1642.5.
    let d = t
        .store
        .add_crew_line(
            id.clone(),
            CrewLineInput {
                effort_unit: EffortUnit::Days,
                rate_unit: Some(EffortUnit::Hours),
                ..line("木工", 3, "1.5", "45.625")
            },
        )
        .expect("days at an hour rate");
    assert_eq!(d.cost, "1642.50");
    let read = t.store.get_labour_sheet(id.clone()).expect("read back");
    assert_eq!(read.lines.iter().map(|l| l.cost.as_str()).collect::<Vec<_>>(), ["433.44", "433.44", "1642.50"]);
    assert_eq!(read.total_cost, "2509.38", "the sum of the rounded lines");

    expect_invalid(
        t.store.add_crew_line(id.clone(), line("木工", 1, "8", "45.62501")),
        "line.rate",
        "at most 4 decimal",
    );
    expect_invalid(
        t.store.add_crew_line(id.clone(), line("木工", 1, "9.125", "45.625")),
        "line.hours",
        "at most 2 decimal",
    );
    assert_eq!(t.store.get_labour_sheet(id).expect("unchanged").lines.len(), 3);
}

#[test]
fn hours_per_day_comes_from_the_project_and_stays_with_the_line() {
    let t = open_store("王建国");
    import(&t, ReferenceData { hours_per_day: Some("7.5".into()), ..reference() });
    let sheet = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let id = sheet.info.id.clone();
    // 9.5 h at 365 a day of 7.5 h: 462.3333… → 462.33.
    let l = t.store.add_crew_line(id.clone(), by_day("木工", 1, "9.5", "365")).expect("line");
    assert_eq!((l.hours_per_day.as_str(), l.cost.as_str()), ("7.5", "462.33"));
    // The office moves to 9-hour days: the line keeps the day it was recorded with, even when edited.
    office_edits(&t, |r| r.hours_per_day = Some(rust_decimal::Decimal::from(9)));
    let edited = t.store.update_crew_line(id.clone(), l.id.clone(), by_day("木工", 2, "9.5", "365")).expect("edit");
    assert_eq!((edited.hours_per_day.as_str(), edited.cost.as_str()), ("7.5", "924.67"));
    let added = t.store.add_crew_line(id.clone(), by_day("木工", 1, "9.5", "365")).expect("new line");
    assert_eq!((added.hours_per_day.as_str(), added.cost.as_str()), ("9", "385.28"), "365 × 9.5 / 9 = 385.2777…");
    // The crew presets offer an hourly trade a day of the project's hours.
    let presets = t.store.crew_presets("P1".into(), None).expect("presets");
    assert_eq!(presets[0].rate_unit, EffortUnit::Days);
}

#[test]
fn a_batch_of_line_changes_is_one_change_and_all_or_nothing() {
    let t = open_store("王建国");
    import_reference(&t.store);
    let yesterday = t.store.create_labour_sheet(new_sheet(&days_from_today(-1))).expect("yesterday");
    let crews: Vec<CrewLineChange> = (0..20)
        .map(|i| CrewLineChange::Add {
            line: CrewLineInput {
                crew: Some(format!("班组{i}")),
                note: Some("午后下雨".into()),
                ..by_day("木工", 3 + i, "8", "380")
            },
        })
        .collect();
    let before = change_count(&t, &yesterday.info.id);
    let full = t.store.set_crew_lines(yesterday.info.id.clone(), crews).expect("20 lines in one call");
    assert_eq!(full.lines.len(), 20);
    assert_eq!(change_count(&t, &yesterday.info.id), before + 1, "one Automerge change for the batch");

    // Today: copy yesterday in one call; crews, rates and units stay, notes do not.
    let today_sheet =
        t.store.start_sheet_from_latest("P1".into(), "S1".into(), today()).expect("copy").expect("a sheet to copy");
    assert_eq!(today_sheet.lines.len(), 20);
    assert!(today_sheet.lines.iter().all(|l| l.note.is_none() && l.rate_unit == EffortUnit::Days));
    assert_eq!(today_sheet.lines[4].crew.as_deref(), Some("班组4"));
    let id = today_sheet.info.id.clone();
    let ids: Vec<String> = today_sheet.lines.iter().map(|l| l.id.clone()).collect();

    let mut changes: Vec<CrewLineChange> = (0..5)
        .map(|i| CrewLineChange::Edit {
            line_id: ids[i].clone(),
            patch: CrewLinePatch { headcount: Some(10), ..Default::default() },
        })
        .collect();
    changes.push(CrewLineChange::Edit {
        line_id: ids[5].clone(),
        patch: CrewLinePatch { effort: Some("9.5".into()), note: Some("加班".into()), ..Default::default() },
    });
    changes.push(CrewLineChange::Edit {
        line_id: ids[6].clone(),
        patch: CrewLinePatch { effort: Some("4".into()), ..Default::default() },
    });
    changes.push(CrewLineChange::Add { line: by_day("钢筋工", 4, "8", "420") });
    changes.push(CrewLineChange::Remove { line_id: ids[19].clone() });
    let before = change_count(&t, &id);
    let after = t.store.set_crew_lines(id.clone(), changes).expect("the day's changes");
    assert_eq!(change_count(&t, &id), before + 1);
    assert_eq!(after.lines.len(), 20, "one added, one removed");
    assert!(after.lines[..5].iter().all(|l| l.headcount == 10));
    let l5 = &after.lines[5];
    assert_eq!((l5.effort.as_str(), l5.note.as_deref(), l5.headcount), ("9.5", Some("加班"), 8));
    // 8 × 9.5 / 8 × 380 = 3610; 9 × 4 / 8 × 380 = 1710.
    assert_eq!((l5.cost.as_str(), after.lines[6].cost.as_str()), ("3610.00", "1710.00"));
    assert_eq!(after.lines.last().map(|l| l.trade.as_str()), Some("钢筋工"));
    assert_eq!(after, t.store.get_labour_sheet(id.clone()).expect("read back"));

    // One bad change refuses the whole batch, naming it; nothing is written.
    let bad = vec![
        CrewLineChange::Edit {
            line_id: ids[0].clone(),
            patch: CrewLinePatch { headcount: Some(11), ..Default::default() },
        },
        CrewLineChange::Edit {
            line_id: ids[1].clone(),
            patch: CrewLinePatch { headcount: Some(0), ..Default::default() },
        },
    ];
    let fingerprint = fingerprint(&t.path);
    expect_invalid(t.store.set_crew_lines(id.clone(), bad), "changes[1].headcount", "between 1 and 500");
    let unknown = vec![CrewLineChange::Remove { line_id: "no-such-line".into() }];
    assert!(matches!(t.store.set_crew_lines(id.clone(), unknown), Err(CoreError::NotFound { .. })));
    let blank = vec![CrewLineChange::Remove { line_id: " ".into() }];
    expect_invalid(t.store.set_crew_lines(id.clone(), blank), "changes[0].line_id", "required");
    let too_many = (0..501).map(|_| CrewLineChange::Remove { line_id: ids[0].clone() }).collect();
    expect_invalid(t.store.set_crew_lines(id.clone(), too_many), "changes", "at most 500");
    assert_eq!(common::fingerprint(&t.path), fingerprint, "refused batches change nothing");
    assert_eq!(t.store.get_labour_sheet(id).expect("read").lines[0].headcount, 10);
}

#[test]
fn batches_on_two_phones_merge_field_by_field() {
    let a = open_store("li");
    let b = open_store("wang");
    import_reference(&a.store);
    import_reference(&b.store);
    let sheet = a.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let id = sheet.info.id.clone();
    let adds = (0..3).map(|i| CrewLineChange::Add { line: line("木工", 2 + i, "8", "47.50") }).collect();
    let ids: Vec<String> =
        a.store.set_crew_lines(id.clone(), adds).expect("lines").lines.iter().map(|l| l.id.clone()).collect();
    b.store.import_changes(id.clone(), a.store.export_document(id.clone()).expect("doc")).expect("to b");
    let (ha, hb) = (a.store.heads(id.clone()).expect("h"), b.store.heads(id.clone()).expect("h"));
    let edit = |line: &str, patch: CrewLinePatch| CrewLineChange::Edit { line_id: line.to_string(), patch };
    // a: headcount of line 0 and hours of line 1; b: hours of line 0 and headcount of line 1 too.
    a.store
        .set_crew_lines(
            id.clone(),
            vec![
                edit(&ids[0], CrewLinePatch { headcount: Some(5), ..Default::default() }),
                edit(&ids[1], CrewLinePatch { effort: Some("10".into()), ..Default::default() }),
            ],
        )
        .expect("a");
    b.store
        .set_crew_lines(
            id.clone(),
            vec![
                edit(&ids[0], CrewLinePatch { effort: Some("9".into()), ..Default::default() }),
                edit(&ids[1], CrewLinePatch { effort: Some("6".into()), ..Default::default() }),
            ],
        )
        .expect("b");
    b.store.import_changes(id.clone(), a.store.export_changes(id.clone(), ha).expect("a's")).expect("a → b");
    a.store.import_changes(id.clone(), b.store.export_changes(id.clone(), hb).expect("b's")).expect("b → a");
    let (sa, sb) = (a.store.get_labour_sheet(id.clone()).expect("a"), b.store.get_labour_sheet(id.clone()).expect("b"));
    assert_eq!(sa, sb);
    assert_eq!((sa.lines[0].headcount, sa.lines[0].effort.as_str()), (5, "9"), "different fields both stand");
    let conflicts = a.store.conflicts(id).expect("conflicts");
    let paths: Vec<&str> = conflicts.iter().map(|c| c.path.as_str()).collect();
    assert!(paths.contains(&format!("lines/{}/effort", ids[1]).as_str()), "{paths:?}");
}

#[test]
fn the_sites_time_zone_comes_from_reference_data() {
    let t = open_store("王建国");
    let no_zone = NewLabourSheet { time_zone: None, ..new_sheet(&today()) };
    expect_invalid(t.store.create_labour_sheet(no_zone.clone()), "time_zone", "until project P1's reference data");
    import_reference(&t.store);
    let sheet = t.store.create_labour_sheet(no_zone).expect("zone from the reference data");
    assert_eq!(sheet.info.time_zone, "Asia/Shanghai");
    let place = RecordPlace { time_zone: None, ..place() };
    let e = t.store.create_expense(place.clone(), expense("1280.50")).expect("expense");
    assert_eq!(e.info.time_zone, "Asia/Shanghai");
    // An explicit zone is still checked against the site's.
    let wrong = RecordPlace { time_zone: Some("Europe/Paris".into()), ..place.clone() };
    expect_invalid(t.store.create_expense(wrong, expense("1.00")), "time_zone", "Asia/Shanghai");
    let elsewhere = RecordPlace { site_id: "S9".into(), ..place };
    expect_invalid(t.store.create_expense(elsewhere, expense("1.00")), "time_zone", "does not list site");
}

#[test]
fn sheets_are_found_by_site_and_day() {
    let t = open_store("王建国");
    import_reference(&t.store);
    assert_eq!(t.store.last_labour_sheet("P1".into(), "S1".into()).expect("none yet"), None);
    let older = t.store.create_labour_sheet(new_sheet(&days_from_today(-3))).expect("older");
    let newer = t.store.create_labour_sheet(new_sheet(&days_from_today(-1))).expect("newer");
    let found = t.store.find_labour_sheet("P1".into(), "S1".into(), days_from_today(-3)).expect("find");
    assert_eq!(found.map(|s| s.info.id), Some(older.info.id.clone()));
    assert_eq!(t.store.find_labour_sheet("P1".into(), "S1".into(), days_from_today(-2)).expect("find"), None);
    assert_eq!(t.store.find_labour_sheet("P1".into(), "S2".into(), days_from_today(-1)).expect("find"), None);
    let last = t.store.last_labour_sheet("P1".into(), "S1".into()).expect("last");
    assert_eq!(last.map(|s| s.info.id), Some(newer.info.id.clone()));
    t.store.void_record(newer.info.id, "记错了".into()).expect("void");
    let last = t.store.last_labour_sheet("P1".into(), "S1".into()).expect("last");
    assert_eq!(last.map(|s| s.info.id), Some(older.info.id), "a voided sheet is not the last");
    expect_invalid(t.store.find_labour_sheet("P1".into(), "S1".into(), "5 Oct".into()), "work_date", "YYYY-MM-DD");
}

#[test]
fn expense_categories_are_the_projects() {
    let t = open_store("王建国");
    import_reference(&t.store);
    let defaults: Vec<String> =
        t.store.expense_categories("P1".into()).expect("defaults").into_iter().map(|c| c.code).collect();
    assert_eq!(defaults, mobile_core::ffi::expense_categories());
    expect_invalid(
        t.store.create_expense(place(), ExpenseInput { category: "equipment_rental".into(), ..expense("800.00") }),
        "category",
        "unknown category",
    );
    let categories = vec![
        ExpenseCategory { code: "equipment_rental".into(), name: "机械租赁".into() },
        ExpenseCategory { code: "materials".into(), name: "材料".into() },
    ];
    office_edits(&t, |r| {
        r.expense_categories = categories
            .iter()
            .map(|c| record_schema::ExpenseCategory { code: c.code.clone(), name: c.name.clone() })
            .collect()
    });
    assert_eq!(t.store.expense_categories("P1".into()).expect("project's"), categories);
    let e = t
        .store
        .create_expense(place(), ExpenseInput { category: "equipment_rental".into(), ..expense("800.00") })
        .expect("the project's category");
    assert_eq!(e.category, "equipment_rental");
    expect_invalid(
        t.store.create_expense(place(), ExpenseInput { category: "meals".into(), ..expense("80.00") }),
        "category",
        "one of equipment_rental, materials",
    );
}

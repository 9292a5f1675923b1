//! Documents written by JavaScript Automerge 3 (`fixtures/js/make.mjs`, made with the official
//! `@automerge/automerge` 3.5.0 the ordinary way: `A.from({...})` with plain strings and numbers).
//! JS stores every string as a text object and 0 and negative numbers as float64; the schema's
//! readers and checks take both, bounded as before, and refuse what is not the schema's with short
//! messages naming the path.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, PatchAction, ROOT, ReadDoc, ScalarValue, Value};
use record_schema::conflicts::{find_conflicts, resolve_conflict};
use record_schema::*;
use rust_decimal::Decimal;

const SHEET: &str = "0193b000-0000-7000-8000-00000000a001";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/js/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load(name: &str) -> AutoCommit {
    AutoCommit::load(&fixture(name)).expect("a JS Automerge document")
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn obj(doc: &AutoCommit, path: &[&str]) -> ObjId {
    path.iter().fold(ROOT, |o, k| {
        let prop = match doc.object_type(&o) {
            Ok(ObjType::List) => automerge::Prop::Seq(k.parse().expect("an index")),
            _ => automerge::Prop::Map((*k).into()),
        };
        match doc.get(&o, prop).expect("get") {
            Some((Value::Object(_), id)) => id,
            other => panic!("{k}: {other:?}"),
        }
    })
}

fn sheet_of(r: Record) -> LabourSheet {
    match r {
        Record::LabourSheet(s) => s,
        other => panic!("not a sheet: {other:?}"),
    }
}

fn today() -> ValidationContext<'static> {
    ValidationContext::new(chrono::Utc::now(), None)
}

#[test]
fn the_fixtures_are_what_javascript_writes() {
    // Guards the fixtures: if a JS release stored scalars, the tests below would test nothing new.
    let doc = load("labour_sheet.bin");
    let line = obj(&doc, &["lines", "l1"]);
    assert!(matches!(doc.get(&line, "trade").expect("get"), Some((Value::Object(ObjType::Text), _))));
    assert!(matches!(doc.get(&ROOT, "kind").expect("get"), Some((Value::Object(ObjType::Text), _))));
    let position = doc.get(&line, "position").expect("get").map(|(v, _)| v.into_owned());
    assert_eq!(position, Some(Value::Scalar(std::borrow::Cow::Owned(ScalarValue::F64(0.0)))));
}

#[test]
fn a_javascript_labour_sheet_reads_checks_and_validates() {
    let doc = load("labour_sheet.bin");
    shape::check(&doc, RecordKind::LabourSheet).expect("the shape check passes");
    let s = sheet_of(Record::read(&doc).expect("reads"));
    assert_eq!((s.header.id.as_str(), s.header.project_id.as_str(), s.header.site_id.as_str()), (SHEET, "P1", "S1"));
    assert_eq!((s.header.time_zone.as_str(), s.header.author.as_str()), ("Asia/Shanghai", "li"));
    assert_eq!(s.header.created_at_ms, 1_795_136_400_000);
    assert_eq!(
        (s.work_date.to_string(), s.currency, s.note.as_deref()),
        ("2026-11-20".into(), Currency::Cny, Some("JS 写的点工单"))
    );
    let [l1, l2] = &s.lines[..] else { panic!("two lines: {:?}", s.lines) };
    assert_eq!((l1.id.as_str(), l1.position, l1.trade.as_str(), l1.crew.as_deref()), ("l1", 0, "木工", Some("张班")));
    assert_eq!(
        (l1.headcount, l1.effort, l1.rate, l1.rate_unit),
        (6, Effort::Hours(d("8")), d("47.50"), TimeUnit::Hour)
    );
    assert_eq!((l1.cost_code.as_str(), l1.activity.as_deref(), l1.note.as_deref()), ("03-100", Some("A1"), None));
    assert_eq!(
        l1.workers,
        vec![
            Worker { name: "张三".into(), id_number: Some("110101199001011234".into()), worker_id: None },
            Worker { name: "李四".into(), id_number: None, worker_id: None },
        ]
    );
    assert_eq!((l2.position, l2.trade.as_str(), l2.headcount), (1, "钢筋工", 3));
    assert_eq!(
        (l2.effort, l2.rate, l2.rate_unit, l2.hours_per_day),
        (Effort::Hours(d("9.5")), d("365.00"), TimeUnit::Day, d("8"))
    );
    assert_eq!(l2.note.as_deref(), Some("加班"));
    // 6 × 8 × 47.50 = 2280.00; 3 × 9.5 × 365.00 ÷ 8 = 1300.3125 → 1300.31.
    assert_eq!(
        (s.currency.round(l1.cost()), s.currency.round(l2.cost()), s.total_cost()),
        (d("2280.00"), d("1300.31"), d("3580.31"))
    );
    s.validate(&today()).expect("valid");
}

#[test]
fn a_javascript_expense_observation_and_day_log_read_check_and_validate() {
    let doc = load("expense.bin");
    shape::check(&doc, RecordKind::Expense).expect("expense shape");
    let Record::Expense(e) = Record::read(&doc).expect("reads") else { panic!("an expense") };
    assert_eq!(
        (e.amount, e.category.as_str(), e.vendor.as_deref(), e.note.as_deref()),
        (d("1280.50"), "materials", Some("五金店"), Some("扣件"))
    );
    e.validate(&today()).expect("valid expense");

    let doc = load("observation.bin");
    shape::check(&doc, RecordKind::Observation).expect("observation shape");
    let Record::Observation(o) = Record::read(&doc).expect("reads") else { panic!("an observation") };
    assert_eq!(
        (o.category, o.severity, o.title.as_str()),
        (ObservationCategory::Safety, Severity::High, "脚手架缺扣件")
    );
    assert_eq!(o.gps, Some(GeoPoint { latitude: 31.2304, longitude: 121.4737, accuracy_m: Some(0.0) }));
    o.validate(&today()).expect("valid observation");

    let doc = load("day_log.bin");
    shape::check(&doc, RecordKind::DayLog).expect("day log shape");
    let Record::DayLog(l) = Record::read(&doc).expect("reads") else { panic!("a day log") };
    assert_eq!((l.weather_am, l.weather_pm), (Some(WeatherCondition::Sunny), Some(WeatherCondition::Cloudy)));
    assert_eq!(
        (l.temp_low_c, l.temp_high_c, l.notes.as_deref()),
        (Some(d("-3.5")), Some(d("6")), Some("三层模板完成"))
    );
    assert_eq!((l.visitors[0].position, l.visitors[0].name.as_str()), (0, "王监理"));
    assert_eq!((l.delays[0].position, l.delays[0].cause, l.delays[0].hours), (0, DelayCause::Weather, d("1.5")));
    l.validate(&today()).expect("valid day log");
}

/// The JS sheet read with a reading, then `edit` (a JS edit's changes) applied: the patches since.
fn edited(edit: &str) -> (AutoCommit, record_schema::record::Reading, Vec<automerge::Patch>) {
    let mut doc = load("labour_sheet.bin");
    let (_, reading) = Record::reread(&mut doc, None).expect("reads");
    reading.watch(&mut doc);
    doc.load_incremental(&fixture(edit)).expect("applies");
    let patches = Record::take_patches(&mut doc, Some(&reading)).expect("patches since the reading");
    (doc, reading, patches)
}

#[test]
fn a_javascript_edit_splices_text_and_is_checked_by_its_patches() {
    let (mut doc, reading, patches) = edited("labour_sheet_edit.bin");
    let note = obj(&doc, &["lines", "l2", "note"]);
    assert!(
        patches.iter().any(|p| p.obj == note && matches!(p.action, PatchAction::SpliceText { .. })),
        "a splice inside the note's text object: {patches:?}"
    );
    shape::check_patched(&doc, RecordKind::LabourSheet, &patches).expect("the edit passes");
    let (r, again) = Record::reread_with(&mut doc, Some(reading), Some(patches)).expect("rereads");
    assert_eq!(again.lines_read(), 1, "only the edited crew line is read again");
    let s = sheet_of(r);
    assert_eq!(s.lines[1].note.as_deref(), Some("加班，周六"));
    assert_eq!(Record::LabourSheet(s), Record::read(&doc).expect("reads"));

    // A decimal spliced: 47.50 → 48.00 passes and reads; 48.0 (a character deleted) is not
    // canonical money and is refused by the patch check alone.
    let (mut doc, reading, patches) = edited("labour_sheet_rate_edit.bin");
    shape::check_patched(&doc, RecordKind::LabourSheet, &patches).expect("48.00 passes");
    let (r, again) = Record::reread_with(&mut doc, Some(reading), Some(patches)).expect("rereads");
    assert_eq!((sheet_of(r).lines[0].rate, again.lines_read()), (d("48.00"), 1));
    again.watch(&mut doc);
    let rate = obj(&doc, &["lines", "l1", "rate"]);
    doc.splice_text(&rate, 4, 1, "").expect("delete a character");
    let patches = Record::take_patches(&mut doc, Some(&again)).expect("patches");
    let e = shape::check_patched(&doc, RecordKind::LabourSheet, &patches).expect_err("48.0 refused");
    assert!(e.to_string().contains("lines/l1/rate") && e.to_string().contains("\"48.00\""), "{e}");
}

#[test]
fn an_over_long_javascript_text_is_refused_before_it_is_read() {
    let (doc, _, patches) = edited("labour_sheet_long_note.bin");
    let e = shape::check_patched(&doc, RecordKind::LabourSheet, &patches).expect_err("refused");
    assert_eq!(
        e,
        SchemaError::Malformed {
            field: "note".into(),
            reason: "is 4009 characters long; at most 4000 bytes are allowed".into()
        }
    );
    assert_eq!(shape::check(&doc, RecordKind::LabourSheet).expect_err("whole check refuses too"), e);
    // Readers are bounded as well (by the longest text the schema has).
    let read = Record::read(&doc).expect_err("read refuses");
    assert!(read.to_string().contains("note") && read.to_string().len() < 120, "{read}");

    // Within the characters but not the bytes: 2,000 three-byte characters in a crew line's note.
    let mut doc = load("labour_sheet.bin");
    let (_, reading) = Record::reread(&mut doc, None).expect("reads");
    reading.watch(&mut doc);
    let note = obj(&doc, &["lines", "l2", "note"]);
    doc.splice_text(&note, 0, 0, &"长".repeat(2000)).expect("splice");
    let patches = Record::take_patches(&mut doc, Some(&reading)).expect("patches");
    let e = shape::check_patched(&doc, RecordKind::LabourSheet, &patches).expect_err("refused");
    assert_eq!(
        e,
        SchemaError::Malformed {
            field: "lines/l2/note".into(),
            reason: "is 6006 bytes long; at most 4000 bytes are allowed".into()
        }
    );
}

#[test]
fn a_float_where_an_integer_belongs_must_be_integral() {
    let doc = load("position_float.bin");
    let e = shape::check(&doc, RecordKind::LabourSheet).expect_err("1.5 refused");
    assert_eq!(e.to_string(), "field `lines/l1/position` is malformed: expected an integer, found 1.5");
    assert!(e.to_string().len() < 120);
    let read = Record::read(&doc).expect_err("the reader refuses it too");
    assert_eq!(read.to_string(), "field `position` is malformed: expected an integer, found 1.5");

    // Integral floats are integers (up to 2^53); beyond, or not finite, they are refused briefly.
    let mut doc = load("labour_sheet.bin");
    let line = obj(&doc, &["lines", "l1"]);
    doc.put(&line, "headcount", 7.0_f64).expect("put");
    doc.put(&ROOT, "created_at", 1_795_136_400_000.0_f64).expect("put");
    shape::check(&doc, RecordKind::LabourSheet).expect("integral floats pass");
    assert_eq!(sheet_of(Record::read(&doc).expect("reads")).lines[0].headcount, 7);
    for (value, found) in [
        (1e300, "expected an integer within ±2^53, found 1e300"),
        (f64::NAN, "expected an integer, found NaN"),
        (-0.5, "expected an integer, found -0.5"),
    ] {
        doc.put(&line, "headcount", value).expect("put");
        let e = shape::check(&doc, RecordKind::LabourSheet).expect_err("refused");
        assert_eq!(e.to_string(), format!("field `lines/l1/headcount` is malformed: {found}"));
    }
    doc.put(&line, "headcount", 9_007_199_254_740_993.0_f64).expect("put"); // 2^53 + 1 rounds to 2^53
    shape::check(&doc, RecordKind::LabourSheet).expect("2^53 is exact");
    doc.put(&ROOT, "created_at", 0.25_f64).expect("put");
    let e = shape::check(&doc, RecordKind::LabourSheet).expect_err("refused");
    assert_eq!(e.to_string(), "field `created_at` is malformed: expected a timestamp, found 0.25");
}

#[test]
fn text_objects_and_objects_stay_refused_where_the_schema_has_no_string() {
    let mut doc = load("labour_sheet.bin");
    let line = obj(&doc, &["lines", "l1"]);
    let t = doc.put_object(&line, "headcount", ObjType::Text).expect("text");
    doc.splice_text(&t, 0, 0, "6").expect("splice");
    let e = shape::check(&doc, RecordKind::LabourSheet).expect_err("refused");
    assert_eq!(e.to_string(), "field `lines/l1/headcount` is malformed: expected an integer, found a text object");
    let read = Record::read(&doc).expect_err("refused");
    assert_eq!(read.to_string(), "field `headcount` is malformed: expected an integer, found the text \"6\"");

    let mut doc = load("labour_sheet.bin");
    let line = obj(&doc, &["lines", "l1"]);
    doc.put_object(&line, "trade", ObjType::List).expect("list");
    let e = shape::check(&doc, RecordKind::LabourSheet).expect_err("refused");
    assert_eq!(e.to_string(), "field `lines/l1/trade` is malformed: expected text, found a list");
    let read = Record::read(&doc).expect_err("refused");
    assert_eq!(read.to_string(), "field `trade` is malformed: expected a value, found a list");

    // A text holding an embedded value or formatting is not a record's text.
    let mut doc = load("labour_sheet.bin");
    let trade = obj(&doc, &["lines", "l1", "trade"]);
    doc.insert(&trade, 1, 5_i64).expect("embed");
    let e = shape::check(&doc, RecordKind::LabourSheet).expect_err("refused");
    assert!(e.to_string().contains("lines/l1/trade") && e.to_string().contains("embedded"), "{e}");
    let mut doc = load("labour_sheet.bin");
    let trade = obj(&doc, &["lines", "l1", "trade"]);
    let bold = automerge::marks::Mark::new("bold".into(), true, 0, 1);
    doc.mark(&trade, bold, automerge::marks::ExpandMark::None).expect("mark");
    let e = shape::check(&doc, RecordKind::LabourSheet).expect_err("refused");
    assert!(e.to_string().contains("lines/l1/trade") && e.to_string().contains("marks"), "{e}");
}

#[test]
fn rust_writers_keep_writing_strings_and_leave_unchanged_javascript_text_alone() {
    let mut doc = load("labour_sheet.bin");
    // `created_at: Date.now()` as a float64, as JS might store it (the fixture has a Date).
    doc.put(&ROOT, "created_at", 1_795_136_400_000.0_f64).expect("put");
    doc.commit();
    let mut s = sheet_of(Record::read(&doc).expect("reads"));
    s.write(&mut doc).expect("write");
    assert_eq!(doc.pending_ops(), 0, "re-saving the same sheet is no edit of JS's text, 0.0 or time");
    s.lines[0].trade = "模板工".into();
    s.write(&mut doc).expect("write");
    let line = obj(&doc, &["lines", "l1"]);
    let trade = doc.get(&line, "trade").expect("get").map(|(v, _)| v.into_owned());
    assert_eq!(trade, Some(Value::Scalar(std::borrow::Cow::Owned(ScalarValue::Str("模板工".into())))));
    assert_eq!(doc.pending_ops(), 1, "one field, one operation");
    shape::check(&doc, RecordKind::LabourSheet).expect("still the schema's");
}

#[test]
fn a_conflict_between_javascript_text_and_a_rust_string_shows_both() {
    let mut js = load("labour_sheet.bin");
    let mut rust = js.fork();
    // JavaScript assigns a new string (a new text object); a Rust phone writes a string scalar.
    let line = obj(&js, &["lines", "l1"]);
    let t = js.put_object(&line, "trade", ObjType::Text).expect("text");
    js.splice_text(&t, 0, 0, "模板工").expect("splice");
    let mut s = sheet_of(Record::read(&rust).expect("reads"));
    s.lines[0].trade = "木工组".into();
    s.write(&mut rust).expect("write");
    js.merge(&mut rust).expect("merge");
    shape::check(&js, RecordKind::LabourSheet).expect("both values are the schema's");
    let conflicts = find_conflicts(&js).expect("conflicts");
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let c = &conflicts[0];
    assert_eq!(c.path, "lines/l1/trade");
    let mut values = c.values.clone();
    values.sort();
    assert_eq!(values, vec!["木工组".to_string(), "模板工".to_string()]);
    // Keeping the JS text writes it as a string scalar, and settles the conflict.
    let choice = c.values.iter().position(|v| v == "模板工").expect("listed");
    resolve_conflict(&mut js, "lines/l1/trade", choice).expect("resolve");
    assert!(find_conflicts(&js).expect("conflicts").is_empty());
    let trade = js.get(&line, "trade").expect("get").map(|(v, _)| v.into_owned());
    assert_eq!(trade, Some(Value::Scalar(std::borrow::Cow::Owned(ScalarValue::Str("模板工".into())))));
}

/// Assigns a new string the JS way: a new text object.
fn text(d: &mut AutoCommit, path: &[&str], key: &str, value: &str) {
    let o = obj(d, path);
    let t = d.put_object(&o, key, ObjType::Text).expect("text");
    d.splice_text(&t, 0, 0, value).expect("splice");
}

/// Edits a string the JS way (`A.splice`): inside its text object.
fn splice(d: &mut AutoCommit, path: &[&str], at: usize, del: isize, value: &str) {
    let t = obj(d, path);
    d.splice_text(&t, at, del, value).expect("splice");
}

/// `check_patched` (what a merge changed) refuses exactly what `check` (everything) refuses for
/// JavaScript-style edits arriving onto a JS sheet read before, and the reread agrees with a read.
#[test]
fn checking_what_a_javascript_edit_changed_agrees_with_checking_everything() {
    type Edit = fn(&mut AutoCommit);
    let edits: Vec<(&str, bool, Edit)> = vec![
        ("a new string assigned", true, |d| text(d, &["lines", "l1"], "note", "早班")),
        ("a worker's name spliced", true, |d| splice(d, &["lines", "l1", "workers", "0", "name"], 2, 0, "丰")),
        ("a worker's name too long", false, |d| {
            splice(d, &["lines", "l1", "workers", "0", "name"], 0, 0, &"王".repeat(70))
        }),
        ("a quantity spliced", true, |d| splice(d, &["lines", "l2", "effort"], 0, 3, "10")),
        ("a quantity not canonical", false, |d| splice(d, &["lines", "l2", "effort"], 3, 0, "0")),
        ("the currency spliced", false, |d| splice(d, &["currency"], 0, 3, "JPY")),
        ("a mark", false, |d| {
            let t = obj(d, &["lines", "l1", "trade"]);
            let m = automerge::marks::Mark::new("bold".into(), true, 0, 1);
            d.mark(&t, m, automerge::marks::ExpandMark::None).expect("mark");
        }),
        ("text where an integer belongs", false, |d| text(d, &["lines", "l1"], "headcount", "6")),
        ("a float position", false, |d| {
            let l = obj(d, &["lines", "l2"]);
            d.put(&l, "position", 2.5_f64).expect("put");
        }),
        ("an integral float headcount", true, |d| {
            let l = obj(d, &["lines", "l2"]);
            d.put(&l, "headcount", 4.0_f64).expect("put");
        }),
    ];
    for (what, good, edit) in edits {
        let mut base = load("labour_sheet.bin");
        let mut doc = base.fork();
        let (_, reading) = Record::reread(&mut doc, None).expect("read");
        let mut peer = base.fork();
        edit(&mut peer);
        reading.watch(&mut doc);
        doc.merge(&mut peer).expect("merge");
        let whole = shape::check(&doc, RecordKind::LabourSheet).map_err(|e| e.to_string());
        let patches = Record::take_patches(&mut doc, Some(&reading)).expect("the patch log was on");
        let patched = shape::check_patched(&doc, RecordKind::LabourSheet, &patches).map_err(|e| e.to_string());
        assert_eq!(patched, whole, "{what}");
        assert_eq!(patched.is_ok(), good, "{what}: {patched:?}");
        if let Err(e) = &patched {
            assert!(e.len() < 120, "{what}: short: {e}");
        } else {
            let (again, _) = Record::reread_with(&mut doc, Some(reading), Some(patches)).expect("rereads");
            assert_eq!(again, Record::read(&doc).expect("reads"), "{what}");
        }
    }
}

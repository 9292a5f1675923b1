//! The schema as data (`record_schema::describe::schema_json`) against what other clients build on:
//! the committed `clients/typescript/src/schema.json` must be exactly it (regenerate with
//! `FIELDLEDGER_WRITE_SCHEMA=1`), and every field's `required` must be what the readers and rules
//! say: for a sample of each kind with every field filled, taking a required field out makes the
//! record unreadable or invalid, taking an optional one out does not.

use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, Value as AmValue};
use chrono::NaiveDate;
use record_schema::day_log::{DelayCause, WeatherCondition};
use record_schema::labour::TimeUnit;
use record_schema::progress::Progress;
use record_schema::record::{RecordHeader, Voided};
use record_schema::{
    CrewLine, Currency, DayLog, Delay, Effort, Expense, GeoPoint, LabourSheet, Observation, ObservationCategory,
    PhotoRef, ProgressReport, Record, RecordKind, Severity, ValidationContext, Visitor, WageAdvance, Worker,
};
use rust_decimal::Decimal;
use serde_json::Value;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../clients/typescript/src/schema.json");

#[test]
fn committed_schema_json_is_the_schema() {
    let now = record_schema::describe::schema_json();
    if std::env::var_os("FIELDLEDGER_WRITE_SCHEMA").is_some() {
        std::fs::write(COMMITTED, &now).expect("write schema.json");
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == now,
        "{COMMITTED} differs from record_schema::describe::schema_json(): the record schema changed. Regenerate it \
         (FIELDLEDGER_WRITE_SCHEMA=1 cargo nextest run --workspace --test describe_drift), then update the \
         TypeScript builders until `npm --prefix clients/typescript test` passes"
    );
    let v: Value = serde_json::from_str(&now).expect("JSON");
    let kinds: Vec<&str> = v["kinds"].as_object().expect("kinds").keys().map(String::as_str).collect();
    assert_eq!(kinds, ["day_log", "expense", "labour_sheet", "observation", "progress_report", "wage_advance"]);
    let line = &v["kinds"]["labour_sheet"]["root"]["fields"]["lines"];
    assert_eq!(line["type"], "keyed");
    assert_eq!(line["values"]["fields"]["headcount"], serde_json::json!({ "type": "int", "required": true }));
    assert_eq!(line["values"]["fields"]["rate"], serde_json::json!({ "type": "rate", "required": false }));
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn header(id: &str) -> RecordHeader {
    RecordHeader {
        id: id.into(),
        project_id: "P1".into(),
        site_id: "S1".into(),
        time_zone: "Asia/Shanghai".into(),
        author: "li".into(),
        created_at_ms: 1_700_000_000_000,
        voided: Some(Voided { reason: "typed twice".into(), by: "li".into(), at_ms: 1_700_000_000_001 }),
    }
}

fn photo(n: u8) -> PhotoRef {
    PhotoRef {
        sha256: format!("{n:02x}").repeat(32),
        byte_size: 1000,
        width: 640,
        height: 480,
        mime: "image/jpeg".into(),
        captured_at_ms: 1_700_000_000_000,
        location: Some(GeoPoint { latitude: 31.2, longitude: 121.5, accuracy_m: Some(5.0) }),
        thumbnail_sha256: format!("{:02x}", n + 1).repeat(32),
    }
}

fn worker() -> Worker {
    Worker { name: "王五".into(), id_number: Some("110101199001011234".into()), worker_id: Some("W1".into()) }
}

/// One record of each kind with every field the schema defines filled (so every `required` is tried).
fn samples() -> Vec<(RecordKind, AutoCommit)> {
    let doc = |kind: RecordKind, r: Record| {
        let mut d = AutoCommit::new();
        r.write(&mut d).expect("write");
        (kind, d)
    };
    let line = CrewLine {
        id: "l1".into(),
        position: 1,
        trade: "木工".into(),
        crew: Some("张班".into()),
        headcount: 2,
        effort: Effort::Hours(d("9.5")),
        rate: d("365.00"),
        rate_unit: TimeUnit::Day,
        hours_per_day: d("10"),
        cost_code: "03-100".into(),
        activity: Some("A1".into()),
        note: Some("overtime".into()),
        workers: vec![worker()],
    };
    let sheet = LabourSheet {
        header: header("s1"),
        work_date: today(),
        currency: Currency::Cny,
        lines: vec![],
        note: Some("windy".into()),
    };
    let mut d1 = AutoCommit::new();
    Record::LabourSheet(sheet).write(&mut d1).expect("write");
    LabourSheet::put_line(&mut d1, Currency::Cny, &line, 5).expect("line");
    vec![
        (RecordKind::LabourSheet, d1),
        doc(
            RecordKind::Expense,
            Record::Expense(Expense {
                header: header("e1"),
                date: today(),
                amount: d("1280.50"),
                currency: Currency::Cny,
                category: "materials".into(),
                vendor: Some("宝钢".into()),
                cost_code: "03-100".into(),
                note: Some("rebar".into()),
                receipts: vec![photo(1)],
            }),
        ),
        doc(
            RecordKind::ProgressReport,
            Record::ProgressReport(ProgressReport {
                header: header("p1"),
                date: today(),
                activity: "A1".into(),
                progress: Progress::Quantity { installed: d("12.5"), unit: "m3".into() },
                caption: Some("slab".into()),
                photos: vec![photo(3)],
            }),
        ),
        doc(
            RecordKind::WageAdvance,
            Record::WageAdvance(WageAdvance {
                header: header("w1"),
                date: today(),
                worker: worker(),
                crew: Some("张班".into()),
                amount: d("500.00"),
                currency: Currency::Cny,
                reason: "rent".into(),
                slips: vec![photo(5)],
                note: Some("cash".into()),
            }),
        ),
        doc(
            RecordKind::Observation,
            Record::Observation(Observation {
                header: header("o1"),
                date: today(),
                category: ObservationCategory::Safety,
                severity: Severity::High,
                title: "no guard rail".into(),
                description: Some("east stair".into()),
                place: Some("3F".into()),
                gps: Some(GeoPoint { latitude: 31.2, longitude: 121.5, accuracy_m: Some(8.0) }),
                activity: Some("A1".into()),
                photos: vec![photo(7)],
            }),
        ),
        doc(
            RecordKind::DayLog,
            Record::DayLog(DayLog {
                header: header("g1"),
                date: today(),
                weather_am: Some(WeatherCondition::Sunny),
                weather_pm: Some(WeatherCondition::Rain),
                temp_low_c: Some(d("-3.5")),
                temp_high_c: Some(d("6")),
                notes: Some("pour".into()),
                visitors: vec![Visitor {
                    id: "v1".into(),
                    position: 0,
                    name: "赵".into(),
                    organisation: Some("监理".into()),
                    purpose: Some("inspection".into()),
                }],
                delays: vec![Delay {
                    id: "d1".into(),
                    position: 0,
                    cause: DelayCause::Weather,
                    hours: d("1.5"),
                    description: Some("rain".into()),
                }],
            }),
        ),
    ]
}

/// The record reads and keeps its rules (as the server's sync checks it).
fn accepted(doc: &AutoCommit) -> Result<(), String> {
    let record = Record::read(doc).map_err(|e| e.to_string())?;
    let ctx = ValidationContext::new(chrono::Utc::now(), None);
    record.validate(&ctx).map_err(|e| format!("{}: {}", e.field, e.reason))
}

/// Walks `shape` (schema.json) over object `obj` of `doc` at `path`: each field of a map is taken
/// out in a copy of the document and the copy checked; objects are walked into.
fn walk(doc: &AutoCommit, obj: &ObjId, shape: &Value, path: &str, checked: &mut Vec<String>) {
    let at = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}/{key}") };
    match shape["type"].as_str().expect("type") {
        "map" => {
            for (key, field) in shape["fields"].as_object().expect("fields") {
                let required = field["required"].as_bool().expect("required");
                let here = at(key);
                let Some((value, child)) = doc.get(obj, key.as_str()).expect("get") else {
                    panic!("the sample lacks {here}: fill it so its `required` is tried")
                };
                let mut without = doc.clone();
                without.delete(obj, key.as_str()).expect("delete");
                let outcome = accepted(&without);
                // A field required only when another holds a value: the sample holds that value.
                let required = required
                    || field.get("required_when").is_some_and(|w| {
                        let (on, equals) = (w["field"].as_str().expect("field"), w["equals"].as_str().expect("equals"));
                        let held = doc.get(obj, on).expect("get").and_then(|(v, _)| v.into_string().ok());
                        assert_eq!(
                            held.as_deref(),
                            Some(equals),
                            "the sample's {here} is there only when {on} is {equals}"
                        );
                        true
                    });
                assert_eq!(
                    outcome.is_err(),
                    required,
                    "{here} is marked required={required} in describe.rs, but without it the record is {outcome:?}"
                );
                checked.push(here.clone());
                if let AmValue::Object(_) = value {
                    walk(doc, &child, field, &here, checked);
                }
            }
        }
        "keyed" => {
            let keys: Vec<String> = doc.keys(obj).collect();
            assert!(!keys.is_empty(), "the sample's {path} is empty");
            for k in keys {
                let (_, child) = doc.get(obj, k.as_str()).expect("get").expect("entry");
                walk(doc, &child, &shape["values"], &at("*"), checked);
            }
        }
        "list" => {
            assert_eq!(doc.object_type(obj).expect("type"), ObjType::List);
            assert!(doc.length(obj) > 0, "the sample's {path} is empty");
            for i in 0..doc.length(obj) {
                let (_, child) = doc.get(obj, i).expect("get").expect("item");
                walk(doc, &child, &shape["items"], &at("*"), checked);
            }
        }
        other => panic!("{path}: {other} is not an object type"),
    }
}

#[test]
fn required_is_what_readers_and_rules_require() {
    let schema: Value = serde_json::from_str(&record_schema::describe::schema_json()).expect("JSON");
    for (kind, doc) in samples() {
        accepted(&doc).unwrap_or_else(|e| panic!("the {kind} sample is not valid: {e}"));
        let mut checked = Vec::new();
        walk(&doc, &ROOT, &schema["kinds"][kind.as_str()]["root"], "", &mut checked);
        assert!(checked.len() > 10, "{kind}: {checked:?}");
    }
}

//! Records as supervisors read them: JSON with decimals as text, and the field-by-field difference
//! between two versions (what changed since approval).

use std::collections::BTreeMap;

use record_schema::{Effort, PhotoRef, Progress, Record, TimeUnit, Worker};
use serde::Serialize;
use serde_json::{Map, Value, json};

fn photos(list: &[PhotoRef]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| json!({ "sha256": p.sha256, "mime": p.mime, "captured_at_ms": p.captured_at_ms }))
            .collect(),
    )
}

/// A named worker: `worker_id` (the roster's) only when the phone picked one, so lines without
/// read as before.
fn worker_json(w: &Worker) -> Value {
    let mut v = json!({ "name": w.name, "id_number": w.id_number });
    if let (Some(id), Value::Object(o)) = (&w.worker_id, &mut v) {
        o.insert("worker_id".into(), json!(id));
    }
    v
}

/// `hours` / `days`, as `effort_unit` says it.
fn unit_json(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Hour => "hours",
        TimeUnit::Day => "days",
    }
}

/// The record as JSON: money in the currency's canonical text, rates with the office's decimals
/// (`45.625`), quantities normalised. A crew line says what its rate pays for (`rate_unit`, in
/// `effort_unit`'s words) and its hours per day, so `cost` can be checked by hand: 1 × 9.5 hours ×
/// 365.00 per day ÷ 8 = 433.4375, posted as 433.44.
pub fn record_json(record: &Record) -> Value {
    let h = record.header();
    let mut out = json!({
        "id": h.id,
        "kind": record.kind().as_str(),
        "project_id": h.project_id,
        "site_id": h.site_id,
        "time_zone": h.time_zone,
        "author": h.author,
        "created_at_ms": h.created_at_ms,
        "voided": h.voided.as_ref().map(|v| json!({ "reason": v.reason, "by": v.by, "at_ms": v.at_ms })),
    });
    let body = match record {
        Record::LabourSheet(s) => json!({
            "date": s.work_date.to_string(),
            "currency": s.currency.code(),
            "note": s.note,
            // What the ledger posts: the sum of the lines' rounded costs (docs/approvals-and-ledgers.md).
            "total": s.currency.canonical(s.lines.iter().map(|l| s.currency.round(l.cost())).sum()),
            "lines": s.lines.iter().map(|l| {
                let (unit, q) = match l.effort {
                    Effort::Hours(q) => ("hours", q),
                    Effort::Days(q) => ("days", q),
                };
                json!({
                    "id": l.id,
                    "position": l.position,
                    "trade": l.trade,
                    "crew": l.crew,
                    "headcount": l.headcount,
                    "effort_unit": unit,
                    "effort": q.normalize().to_string(),
                    "rate": s.currency.canonical_rate(l.rate),
                    "rate_unit": unit_json(l.rate_unit),
                    "hours_per_day": l.hours_per_day.normalize().to_string(),
                    "cost": s.currency.canonical(l.cost()),
                    "cost_code": l.cost_code,
                    "activity": l.activity,
                    "note": l.note,
                    "workers": l.workers.iter().map(worker_json).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
        }),
        Record::Expense(e) => json!({
            "date": e.date.to_string(),
            "amount": e.currency.canonical(e.amount),
            "currency": e.currency.code(),
            "category": e.category,
            "vendor": e.vendor,
            "cost_code": e.cost_code,
            "note": e.note,
            "receipts": photos(&e.receipts),
        }),
        Record::DayLog(l) => json!({
            "date": l.date.to_string(),
            "weather_am": l.weather_am.map(|w| w.as_str()),
            "weather_pm": l.weather_pm.map(|w| w.as_str()),
            "temp_low_c": l.temp_low_c.map(|t| t.normalize().to_string()),
            "temp_high_c": l.temp_high_c.map(|t| t.normalize().to_string()),
            "notes": l.notes,
            "visitors": l.visitors.iter().map(|v| json!({
                "id": v.id,
                "position": v.position,
                "name": v.name,
                "organisation": v.organisation,
                "purpose": v.purpose,
            })).collect::<Vec<_>>(),
            "delays": l.delays.iter().map(|d| json!({
                "id": d.id,
                "position": d.position,
                "cause": d.cause.as_str(),
                "hours": d.hours.normalize().to_string(),
                "description": d.description,
            })).collect::<Vec<_>>(),
        }),
        Record::Observation(o) => json!({
            "date": o.date.to_string(),
            "category": o.category.as_str(),
            "severity": o.severity.as_str(),
            "title": o.title,
            "description": o.description,
            "place": o.place,
            "gps": o.gps.map(|g| json!({"latitude": g.latitude, "longitude": g.longitude, "accuracy_m": g.accuracy_m})),
            "activity": o.activity,
            "photos": photos(&o.photos),
        }),
        Record::WageAdvance(a) => json!({
            "date": a.date.to_string(),
            "worker": worker_json(&a.worker),
            "crew": a.crew,
            "amount": a.currency.canonical(a.amount),
            "currency": a.currency.code(),
            "reason": a.reason,
            "note": a.note,
            "slips": photos(&a.slips),
        }),
        Record::ProgressReport(p) => {
            let (measure, value, unit) = match &p.progress {
                Progress::Percent(x) => ("percent", x.normalize().to_string(), None),
                Progress::Quantity { installed, unit } => {
                    ("quantity", installed.normalize().to_string(), Some(unit.clone()))
                }
            };
            json!({
                "date": p.date.to_string(),
                "activity": p.activity,
                "measure": measure,
                "value": value,
                "unit": unit,
                "caption": p.caption,
                "photos": photos(&p.photos),
            })
        }
    };
    if let (Value::Object(o), Value::Object(b)) = (&mut out, body) {
        o.extend(b);
    }
    out
}

/// One field that differs between the approved and the current version. `None`: absent there
/// (a line added or removed).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub approved: Option<Value>,
    pub current: Option<Value>,
}

/// Leaf fields by path; list items that carry an `id` (crew lines) are keyed by it, so a line
/// reads as the same line whatever its position: `lines/<line id>/headcount`.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    let path = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}/{k}") };
    match v {
        Value::Object(m) => flatten_map(m, prefix, out),
        Value::Array(items)
            if items.iter().all(|i| i.get("id").and_then(Value::as_str).is_some()) && !items.is_empty() =>
        {
            for item in items {
                let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                flatten(&path(id), item, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn flatten_map(m: &Map<String, Value>, prefix: &str, out: &mut BTreeMap<String, Value>) {
    for (k, v) in m {
        let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}/{k}") };
        flatten(&p, v, out);
    }
}

/// What differs between two versions of a record, field by field, in path order.
pub fn diff(approved: &Record, current: &Record) -> Vec<FieldChange> {
    let (mut a, mut c) = (BTreeMap::new(), BTreeMap::new());
    flatten("", &record_json(approved), &mut a);
    flatten("", &record_json(current), &mut c);
    let mut fields: Vec<&String> = a.keys().chain(c.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|f| a.get(*f) != c.get(*f))
        .map(|f| FieldChange { field: f.clone(), approved: a.get(f).cloned(), current: c.get(f).cloned() })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::NaiveDate;
    use record_schema::record::RecordHeader;
    use record_schema::{CrewLine, Currency, LabourSheet};
    use rust_decimal::Decimal;

    use super::*;

    fn sheet(headcounts: &[(&str, i64)]) -> Record {
        Record::LabourSheet(LabourSheet {
            header: RecordHeader {
                id: "r1".into(),
                project_id: "P1".into(),
                site_id: "S1".into(),
                time_zone: "Asia/Shanghai".into(),
                author: "li".into(),
                created_at_ms: 0,
                voided: None,
            },
            work_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            currency: Currency::Cny,
            lines: headcounts
                .iter()
                .map(|(id, h)| CrewLine {
                    id: (*id).into(),
                    position: 0,
                    trade: "木工".into(),
                    crew: None,
                    headcount: *h,
                    effort: Effort::Hours(Decimal::from(8)),
                    rate: Decimal::from_str("47.50").expect("d"),
                    rate_unit: record_schema::TimeUnit::Hour,
                    hours_per_day: Decimal::from(8),
                    cost_code: "03-100".into(),
                    activity: None,
                    note: None,
                    workers: vec![],
                })
                .collect(),
            note: None,
        })
    }

    #[test]
    fn differences_by_line_id() {
        let changes = diff(&sheet(&[("a", 6), ("b", 2)]), &sheet(&[("a", 7), ("c", 2)]));
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert!(fields.contains(&"lines/a/headcount"), "{fields:?}");
        assert!(fields.contains(&"lines/a/cost"));
        assert!(fields.contains(&"total"));
        let a = changes.iter().find(|c| c.field == "lines/a/headcount").expect("a");
        assert_eq!((a.approved.clone(), a.current.clone()), (Some(json!(6)), Some(json!(7))));
        let removed = changes.iter().find(|c| c.field == "lines/b/headcount").expect("b removed");
        assert_eq!(removed.current, None);
        let added = changes.iter().find(|c| c.field == "lines/c/headcount").expect("c added");
        assert_eq!(added.approved, None);
        assert!(diff(&sheet(&[("a", 6)]), &sheet(&[("a", 6)])).is_empty());
    }

    #[test]
    fn lines_say_their_rate_unit_and_hours_per_day() {
        let mut r = sheet(&[("a", 1)]);
        if let Record::LabourSheet(s) = &mut r {
            let l = &mut s.lines[0];
            l.effort = Effort::Hours(Decimal::from_str("9.5").expect("d"));
            l.rate = Decimal::from(365);
            l.rate_unit = TimeUnit::Day;
        }
        let line = &record_json(&r)["lines"][0];
        assert_eq!(line["effort_unit"], "hours");
        assert_eq!(line["rate"], "365.00");
        assert_eq!(line["rate_unit"], "days");
        assert_eq!(line["hours_per_day"], "8");
        assert_eq!(line["cost"], "433.44", "9.5 × 365 ÷ 8 = 433.4375, rounded once");
        if let Record::LabourSheet(s) = &mut r {
            s.lines[0].rate = Decimal::from_str("45.625").expect("d");
            s.lines[0].rate_unit = TimeUnit::Hour;
        }
        let json = record_json(&r);
        assert_eq!(json["lines"][0]["rate"], "45.625", "the office's decimals are kept");
        assert_eq!(json["total"], "433.44");
        // Changing only the rate's unit is a difference of its own.
        let fields: Vec<String> = diff(&sheet(&[("a", 1)]), &r).into_iter().map(|c| c.field).collect();
        assert!(fields.contains(&"lines/a/rate".to_string()), "{fields:?}");
    }
}

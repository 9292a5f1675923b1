//! Records as supervisors read them: JSON with decimals as text, and the field-by-field difference
//! between two versions (what changed since approval).

use std::collections::BTreeMap;

use record_schema::{Effort, PhotoRef, Progress, Record, TimeUnit, Worker};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A photo (or receipt, or slip) of a record.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = RecordPhoto)]
pub struct PhotoView {
    /// The photo's SHA-256: `/v1/blobs/{sha256}`.
    pub sha256: String,
    pub mime: String,
    pub captured_at_ms: i64,
    /// Pixels (in `GET /v1/records/{id}`'s current version only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Where it was taken (in `GET /v1/records/{id}`'s current version only; null: no position).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<GeoView>)]
    pub location: Option<Option<GeoView>>,
}

/// A position: degrees, and the accuracy in metres when known.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[schema(as = GeoPosition)]
pub struct GeoView {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
}

impl GeoView {
    fn of(g: &record_schema::GeoPoint) -> Self {
        GeoView { latitude: g.latitude, longitude: g.longitude, accuracy_m: g.accuracy_m }
    }
}

fn photos(list: &[PhotoRef], details: bool) -> Vec<PhotoView> {
    list.iter()
        .map(|p| PhotoView {
            sha256: p.sha256.clone(),
            mime: p.mime.clone(),
            captured_at_ms: p.captured_at_ms,
            width: details.then_some(p.width),
            height: details.then_some(p.height),
            location: details.then(|| p.location.as_ref().map(GeoView::of)),
        })
        .collect()
}

/// A named worker: `worker_id` (the roster's) only when the phone picked one, so lines without
/// read as before.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = RecordWorker)]
pub struct WorkerView {
    pub name: String,
    pub id_number: Option<String>,
    /// The roster's worker, when the phone picked one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
}

fn worker_view(w: &Worker) -> WorkerView {
    WorkerView { name: w.name.clone(), id_number: w.id_number.clone(), worker_id: w.worker_id.clone() }
}

/// `hours` / `days`, as `effort_unit` says it.
fn unit_json(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Hour => "hours",
        TimeUnit::Day => "days",
    }
}

/// What every record has.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = RecordHeaderView)]
pub struct HeaderView {
    pub id: String,
    /// `labour_sheet`, `expense`, `progress_report`, `wage_advance`, `day_log` or `observation`.
    pub kind: &'static str,
    pub project_id: String,
    pub site_id: String,
    /// The site's IANA time zone.
    pub time_zone: String,
    pub author: String,
    pub created_at_ms: i64,
    /// Set when the author withdrew the record.
    pub voided: Option<VoidedView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = RecordVoided)]
pub struct VoidedView {
    pub reason: String,
    pub by: String,
    pub at_ms: i64,
}

/// A labour sheet (点工): crews, their effort, rates and costs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabourSheetView {
    #[serde(flatten)]
    pub header: HeaderView,
    #[schema(value_type = String, format = Date)]
    pub date: String,
    /// ISO 4217 code.
    pub currency: &'static str,
    pub note: Option<String>,
    /// What the ledger posts: the sum of the lines' rounded costs.
    pub total: String,
    pub lines: Vec<CrewLineView>,
}

/// One crew line of a labour sheet. `cost` = headcount × effort × rate, hours turned into days
/// (÷ `hours_per_day`) for a day rate, rounded to the currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CrewLineView {
    pub id: String,
    pub position: i64,
    pub trade: String,
    pub crew: Option<String>,
    pub headcount: i64,
    /// `hours` or `days`.
    pub effort_unit: &'static str,
    /// Per person, decimal text.
    pub effort: String,
    /// Pay per person per `rate_unit`, with the office's decimals.
    pub rate: String,
    /// `hours` or `days`.
    pub rate_unit: &'static str,
    pub hours_per_day: String,
    pub cost: String,
    pub cost_code: String,
    pub activity: Option<String>,
    pub note: Option<String>,
    pub workers: Vec<WorkerView>,
}

/// An expense with its receipts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpenseView {
    #[serde(flatten)]
    pub header: HeaderView,
    #[schema(value_type = String, format = Date)]
    pub date: String,
    pub amount: String,
    pub currency: &'static str,
    /// The project's category code (e.g. `equipment_rental`).
    pub category: String,
    pub vendor: Option<String>,
    pub cost_code: String,
    pub note: Option<String>,
    pub receipts: Vec<PhotoView>,
}

/// A day log (施工日志): weather, temperatures, notes, visitors, delays.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayLogView {
    #[serde(flatten)]
    pub header: HeaderView,
    #[schema(value_type = String, format = Date)]
    pub date: String,
    pub weather_am: Option<&'static str>,
    pub weather_pm: Option<&'static str>,
    /// °C, decimal text.
    pub temp_low_c: Option<String>,
    pub temp_high_c: Option<String>,
    pub notes: Option<String>,
    pub visitors: Vec<VisitorView>,
    pub delays: Vec<DelayView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DayLogVisitor)]
pub struct VisitorView {
    pub id: String,
    pub position: i64,
    pub name: String,
    pub organisation: Option<String>,
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DayLogDelay)]
pub struct DelayView {
    pub id: String,
    pub position: i64,
    pub cause: &'static str,
    /// Hours lost, decimal text.
    pub hours: String,
    pub description: Option<String>,
}

/// A field observation (safety, quality, …) with its photos.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObservationView {
    #[serde(flatten)]
    pub header: HeaderView,
    #[schema(value_type = String, format = Date)]
    pub date: String,
    pub category: &'static str,
    pub severity: &'static str,
    pub title: String,
    pub description: Option<String>,
    pub place: Option<String>,
    pub gps: Option<GeoView>,
    pub activity: Option<String>,
    pub photos: Vec<PhotoView>,
}

/// A wage advance paid to a worker, with its slips.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WageAdvanceView {
    #[serde(flatten)]
    pub header: HeaderView,
    #[schema(value_type = String, format = Date)]
    pub date: String,
    pub worker: WorkerView,
    pub crew: Option<String>,
    pub amount: String,
    pub currency: &'static str,
    pub reason: String,
    pub note: Option<String>,
    pub slips: Vec<PhotoView>,
}

/// A progress report on an activity: percent complete or a quantity installed, with photos.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressReportView {
    #[serde(flatten)]
    pub header: HeaderView,
    #[schema(value_type = String, format = Date)]
    pub date: String,
    pub activity: String,
    /// `percent` or `quantity`.
    pub measure: &'static str,
    /// Decimal text: the percent, or the quantity installed in `unit`.
    pub value: String,
    /// The quantity's unit (none for a percent).
    pub unit: Option<String>,
    pub caption: Option<String>,
    pub photos: Vec<PhotoView>,
}

/// A record as supervisors read it, by kind (`kind` says which).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum RecordView {
    LabourSheet(LabourSheetView),
    Expense(ExpenseView),
    DayLog(DayLogView),
    Observation(ObservationView),
    WageAdvance(WageAdvanceView),
    ProgressReport(ProgressReportView),
}

/// The record as the API shows it: money in the currency's canonical text, rates with the office's
/// decimals (`45.625`), quantities normalised. A crew line says what its rate pays for (`rate_unit`,
/// in `effort_unit`'s words) and its hours per day, so `cost` can be checked by hand: 1 × 9.5 hours
/// × 365.00 per day ÷ 8 = 433.4375, posted as 433.44. `details`: photos with their size and
/// position.
pub fn record_view(record: &Record, details: bool) -> RecordView {
    let h = record.header();
    let header = HeaderView {
        id: h.id.clone(),
        kind: record.kind().as_str(),
        project_id: h.project_id.clone(),
        site_id: h.site_id.clone(),
        time_zone: h.time_zone.clone(),
        author: h.author.clone(),
        created_at_ms: h.created_at_ms,
        voided: h.voided.as_ref().map(|v| VoidedView { reason: v.reason.clone(), by: v.by.clone(), at_ms: v.at_ms }),
    };
    match record {
        Record::LabourSheet(s) => RecordView::LabourSheet(LabourSheetView {
            header,
            date: s.work_date.to_string(),
            currency: s.currency.code(),
            note: s.note.clone(),
            // What the ledger posts: the sum of the lines' rounded costs (docs/approvals-and-ledgers.md).
            total: s.currency.canonical(s.lines.iter().map(|l| s.currency.round(l.cost())).sum()),
            lines: s
                .lines
                .iter()
                .map(|l| {
                    let (unit, q) = match l.effort {
                        Effort::Hours(q) => ("hours", q),
                        Effort::Days(q) => ("days", q),
                    };
                    CrewLineView {
                        id: l.id.clone(),
                        position: l.position,
                        trade: l.trade.clone(),
                        crew: l.crew.clone(),
                        headcount: l.headcount,
                        effort_unit: unit,
                        effort: q.normalize().to_string(),
                        rate: s.currency.canonical_rate(l.rate),
                        rate_unit: unit_json(l.rate_unit),
                        hours_per_day: l.hours_per_day.normalize().to_string(),
                        cost: s.currency.canonical(l.cost()),
                        cost_code: l.cost_code.clone(),
                        activity: l.activity.clone(),
                        note: l.note.clone(),
                        workers: l.workers.iter().map(worker_view).collect(),
                    }
                })
                .collect(),
        }),
        Record::Expense(e) => RecordView::Expense(ExpenseView {
            header,
            date: e.date.to_string(),
            amount: e.currency.canonical(e.amount),
            currency: e.currency.code(),
            category: e.category.clone(),
            vendor: e.vendor.clone(),
            cost_code: e.cost_code.clone(),
            note: e.note.clone(),
            receipts: photos(&e.receipts, details),
        }),
        Record::DayLog(l) => RecordView::DayLog(DayLogView {
            header,
            date: l.date.to_string(),
            weather_am: l.weather_am.map(|w| w.as_str()),
            weather_pm: l.weather_pm.map(|w| w.as_str()),
            temp_low_c: l.temp_low_c.map(|t| t.normalize().to_string()),
            temp_high_c: l.temp_high_c.map(|t| t.normalize().to_string()),
            notes: l.notes.clone(),
            visitors: l
                .visitors
                .iter()
                .map(|v| VisitorView {
                    id: v.id.clone(),
                    position: v.position,
                    name: v.name.clone(),
                    organisation: v.organisation.clone(),
                    purpose: v.purpose.clone(),
                })
                .collect(),
            delays: l
                .delays
                .iter()
                .map(|d| DelayView {
                    id: d.id.clone(),
                    position: d.position,
                    cause: d.cause.as_str(),
                    hours: d.hours.normalize().to_string(),
                    description: d.description.clone(),
                })
                .collect(),
        }),
        Record::Observation(o) => RecordView::Observation(ObservationView {
            header,
            date: o.date.to_string(),
            category: o.category.as_str(),
            severity: o.severity.as_str(),
            title: o.title.clone(),
            description: o.description.clone(),
            place: o.place.clone(),
            gps: o.gps.as_ref().map(GeoView::of),
            activity: o.activity.clone(),
            photos: photos(&o.photos, details),
        }),
        Record::WageAdvance(a) => RecordView::WageAdvance(WageAdvanceView {
            header,
            date: a.date.to_string(),
            worker: worker_view(&a.worker),
            crew: a.crew.clone(),
            amount: a.currency.canonical(a.amount),
            currency: a.currency.code(),
            reason: a.reason.clone(),
            note: a.note.clone(),
            slips: photos(&a.slips, details),
        }),
        Record::ProgressReport(p) => {
            let (measure, value, unit) = match &p.progress {
                Progress::Percent(x) => ("percent", x.normalize().to_string(), None),
                Progress::Quantity { installed, unit } => {
                    ("quantity", installed.normalize().to_string(), Some(unit.clone()))
                }
            };
            RecordView::ProgressReport(ProgressReportView {
                header,
                date: p.date.to_string(),
                activity: p.activity.clone(),
                measure,
                value,
                unit,
                caption: p.caption.clone(),
                photos: photos(&p.photos, details),
            })
        }
    }
}

/// `record_view` (without photo details) as JSON, for code that reads it by key.
pub fn record_json(record: &Record) -> Value {
    // Plain structs with string keys: serializing them cannot fail.
    serde_json::to_value(record_view(record, false)).unwrap_or(Value::Null)
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

    use serde_json::json;

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

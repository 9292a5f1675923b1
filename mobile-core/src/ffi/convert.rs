//! Conversions between FFI types and the record schema. Text from the app is parsed strictly here,
//! with the field's name in every error.

use std::str::FromStr;

use chrono::NaiveDate;
use record_schema as rs;
use record_schema::ValidationError;
use record_schema::money::parse_decimal;
use rust_decimal::Decimal;

use super::types::*;
use crate::error::Error;
use crate::store::{self, MediaDir};

/// Decimals accepted when parsing; the record's own rules (currency scale, quantity scale) then apply,
/// so `12.345` yuan is refused by validation with a message about the currency.
const PARSE_SCALE: u32 = 6;

pub fn date(field: &str, text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| ValidationError::new(field, format!("expected a date as YYYY-MM-DD (got {text:?})")).into())
}

pub fn opt_date(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, Error> {
    text.map(|t| date(field, t)).transpose()
}

pub fn decimal(field: &str, text: &str) -> Result<Decimal, Error> {
    Ok(parse_decimal(field, text, PARSE_SCALE)?)
}

pub fn currency(code: Option<&str>) -> Result<rs::Currency, Error> {
    Ok(code.map(rs::Currency::from_str).transpose()?.unwrap_or_default())
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// A crew line as typed. Its position and hours per day are the store's to set (`LineChange`).
pub fn crew_line(field: &str, id: String, input: CrewLineInput) -> Result<rs::CrewLine, Error> {
    let qty = decimal(&format!("{field}.{}", effort_field(input.effort_unit)), &input.effort)?;
    let effort = effort_in(input.effort_unit, qty);
    Ok(rs::CrewLine {
        id,
        position: 0,
        trade: input.trade.trim().to_string(),
        crew: blank_to_none(input.crew),
        headcount: input.headcount,
        effort,
        rate: decimal(&format!("{field}.rate"), &input.rate)?,
        rate_unit: input.rate_unit.map_or(effort.unit(), unit_in),
        hours_per_day: Decimal::from(rs::labour::HOURS_PER_DAY),
        cost_code: input.cost_code.trim().to_string(),
        activity: blank_to_none(input.activity),
        note: blank_to_none(input.note),
        workers: workers_in(input.workers),
    })
}

fn workers_in(workers: Vec<Worker>) -> Vec<rs::Worker> {
    workers.into_iter().map(worker_in).collect()
}

fn worker_in(w: Worker) -> rs::Worker {
    rs::Worker {
        name: w.name.trim().to_string(),
        id_number: blank_to_none(w.id_number),
        worker_id: blank_to_none(w.worker_id).map(|id| id.trim().to_string()),
    }
}

fn worker_out(w: &rs::Worker) -> Worker {
    Worker { name: w.name.clone(), id_number: w.id_number.clone(), worker_id: w.worker_id.clone() }
}

fn effort_in(unit: EffortUnit, qty: Decimal) -> rs::Effort {
    match unit {
        EffortUnit::Hours => rs::Effort::Hours(qty),
        EffortUnit::Days => rs::Effort::Days(qty),
    }
}

fn unit_in(unit: EffortUnit) -> rs::TimeUnit {
    match unit {
        EffortUnit::Hours => rs::TimeUnit::Hour,
        EffortUnit::Days => rs::TimeUnit::Day,
    }
}

fn unit_out(unit: rs::TimeUnit) -> EffortUnit {
    match unit {
        rs::TimeUnit::Hour => EffortUnit::Hours,
        rs::TimeUnit::Day => EffortUnit::Days,
    }
}

/// One change of a batch; `field` names it in errors (`changes[2]`).
pub fn line_change(field: &str, change: CrewLineChange) -> Result<store::LineChange, Error> {
    let id = |line_id: String, what: &str| -> Result<String, Error> {
        let id = line_id.trim().to_string();
        if id.is_empty() {
            return Err(ValidationError::new(format!("{field}.{what}"), "is required").into());
        }
        Ok(id)
    };
    Ok(match change {
        CrewLineChange::Add { line } => store::LineChange::Add(crew_line(field, String::new(), line)?),
        CrewLineChange::Update { line_id, line } => {
            store::LineChange::Replace(crew_line(field, id(line_id, "line_id")?, line)?)
        }
        CrewLineChange::Edit { line_id, patch } => {
            store::LineChange::Patch(id(line_id, "line_id")?, line_patch(field, patch)?)
        }
        CrewLineChange::Remove { line_id } => store::LineChange::Remove(id(line_id, "line_id")?),
    })
}

fn line_patch(field: &str, p: CrewLinePatch) -> Result<store::LinePatch, Error> {
    // An effort given without its unit is named by the unit it will have (`hours` or `days`).
    let effort_name = p.effort_unit.map_or("effort", effort_field);
    let num = |name: &str, v: Option<String>| v.map(|t| decimal(&format!("{field}.{name}"), &t)).transpose();
    let clearable = |v: Option<String>| v.map(|t| blank_to_none(Some(t)));
    Ok(store::LinePatch {
        trade: p.trade.map(|t| t.trim().to_string()),
        crew: clearable(p.crew),
        headcount: p.headcount,
        effort_unit: p.effort_unit.map(unit_in),
        effort: num(effort_name, p.effort)?,
        rate: num("rate", p.rate)?,
        rate_unit: p.rate_unit.map(unit_in),
        cost_code: p.cost_code.map(|c| c.trim().to_string()),
        activity: clearable(p.activity),
        note: clearable(p.note),
        workers: p.workers.map(workers_in),
    })
}

fn effort_field(unit: EffortUnit) -> &'static str {
    match unit {
        EffortUnit::Hours => "hours",
        EffortUnit::Days => "days",
    }
}

fn header_for(place: &RecordPlace) -> rs::record::RecordHeader {
    rs::record::RecordHeader {
        id: String::new(),
        project_id: place.project_id.trim().to_string(),
        site_id: place.site_id.trim().to_string(),
        time_zone: place.time_zone.as_deref().unwrap_or_default().trim().to_string(),
        author: String::new(),
        created_at_ms: 0,
        voided: None,
    }
}

pub fn expense(place: &RecordPlace, input: ExpenseInput) -> Result<rs::Expense, Error> {
    Ok(rs::Expense {
        header: header_for(place),
        date: date("date", &input.date)?,
        amount: decimal("amount", &input.amount)?,
        currency: currency(input.currency.as_deref())?,
        category: input.category.trim().to_string(),
        vendor: blank_to_none(input.vendor),
        cost_code: input.cost_code.trim().to_string(),
        note: blank_to_none(input.note),
        receipts: Vec::new(),
    })
}

pub fn wage_advance(place: &RecordPlace, input: WageAdvanceInput) -> Result<rs::WageAdvance, Error> {
    Ok(rs::WageAdvance {
        header: header_for(place),
        date: date("date", &input.date)?,
        worker: worker_in(input.worker),
        crew: blank_to_none(input.crew).map(|c| c.trim().to_string()),
        amount: decimal("amount", &input.amount)?,
        currency: currency(input.currency.as_deref())?,
        reason: input.reason.trim().to_string(),
        note: blank_to_none(input.note),
        slips: Vec::new(),
    })
}

pub fn observation(place: &RecordPlace, input: ObservationInput) -> Result<rs::Observation, Error> {
    Ok(rs::Observation {
        header: header_for(place),
        date: date("date", &input.date)?,
        category: obs_category_in(input.category),
        severity: severity_in(input.severity),
        title: input.title.trim().to_string(),
        description: blank_to_none(input.description),
        place: blank_to_none(input.place).map(|p| p.trim().to_string()),
        gps: input.gps.map(|g| rs::GeoPoint { latitude: g.latitude, longitude: g.longitude, accuracy_m: g.accuracy_m }),
        activity: blank_to_none(input.activity).map(|a| a.trim().to_string()),
        photos: Vec::new(),
    })
}

fn obs_category_in(c: ObservationCategory) -> rs::observation::ObservationCategory {
    use rs::observation::ObservationCategory as C;
    match c {
        ObservationCategory::Safety => C::Safety,
        ObservationCategory::Quality => C::Quality,
        ObservationCategory::Delay => C::Delay,
        ObservationCategory::Other => C::Other,
    }
}

fn obs_category_out(c: rs::observation::ObservationCategory) -> ObservationCategory {
    use rs::observation::ObservationCategory as C;
    match c {
        C::Safety => ObservationCategory::Safety,
        C::Quality => ObservationCategory::Quality,
        C::Delay => ObservationCategory::Delay,
        C::Other => ObservationCategory::Other,
    }
}

fn severity_in(s: Severity) -> rs::observation::Severity {
    use rs::observation::Severity as S;
    match s {
        Severity::Low => S::Low,
        Severity::Medium => S::Medium,
        Severity::High => S::High,
        Severity::Critical => S::Critical,
    }
}

fn severity_out(s: rs::observation::Severity) -> Severity {
    use rs::observation::Severity as S;
    match s {
        S::Low => Severity::Low,
        S::Medium => Severity::Medium,
        S::High => Severity::High,
        S::Critical => Severity::Critical,
    }
}

/// An observation category as app text (`safety`, `quality`, `delay`, `other`), strictly.
pub fn observation_category(field: &str, text: &str) -> Result<ObservationCategory, Error> {
    rs::observation::ObservationCategory::parse(text.trim()).map(obs_category_out).ok_or_else(|| {
        ValidationError::new(field, format!("expected safety, quality, delay or other (got {text:?})")).into()
    })
}

/// A severity as app text (`low`, `medium`, `high`, `critical`), strictly.
pub fn severity(field: &str, text: &str) -> Result<Severity, Error> {
    rs::observation::Severity::parse(text.trim()).map(severity_out).ok_or_else(|| {
        ValidationError::new(field, format!("expected low, medium, high or critical (got {text:?})")).into()
    })
}

/// Decimal text that may be negative (a temperature), strictly, with at most `scale` decimals.
fn opt_temperature(field: &str, text: Option<String>) -> Result<Option<Decimal>, Error> {
    blank_to_none(text).map(|t| Ok(parse_decimal(field, &t, rs::day_log::TEMP_SCALE)?)).transpose()
}

pub fn day_log(place: &RecordPlace, input: DayLogInput) -> Result<rs::DayLog, Error> {
    let visitors = input
        .visitors
        .into_iter()
        .enumerate()
        .map(|(i, v)| rs::Visitor {
            id: v.id.map(|id| id.trim().to_string()).unwrap_or_default(),
            position: i as i64,
            name: v.name.trim().to_string(),
            organisation: blank_to_none(v.organisation).map(|o| o.trim().to_string()),
            purpose: blank_to_none(v.purpose).map(|p| p.trim().to_string()),
        })
        .collect();
    let delays = input
        .delays
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            Ok(rs::Delay {
                id: d.id.map(|id| id.trim().to_string()).unwrap_or_default(),
                position: i as i64,
                cause: delay_cause_in(d.cause),
                hours: decimal(&format!("delays[{i}].hours"), &d.hours)?,
                description: blank_to_none(d.description),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(rs::DayLog {
        header: header_for(place),
        date: date("date", &input.date)?,
        weather_am: input.weather_am.map(weather_in),
        weather_pm: input.weather_pm.map(weather_in),
        temp_low_c: opt_temperature("temp_low_c", input.temp_low_c)?,
        temp_high_c: opt_temperature("temp_high_c", input.temp_high_c)?,
        notes: blank_to_none(input.notes),
        visitors,
        delays,
    })
}

fn weather_in(w: WeatherCondition) -> rs::WeatherCondition {
    use rs::WeatherCondition as W;
    match w {
        WeatherCondition::Sunny => W::Sunny,
        WeatherCondition::Cloudy => W::Cloudy,
        WeatherCondition::Overcast => W::Overcast,
        WeatherCondition::LightRain => W::LightRain,
        WeatherCondition::Rain => W::Rain,
        WeatherCondition::HeavyRain => W::HeavyRain,
        WeatherCondition::Snow => W::Snow,
        WeatherCondition::Fog => W::Fog,
        WeatherCondition::Windy => W::Windy,
        WeatherCondition::Other => W::Other,
    }
}

fn weather_out(w: rs::WeatherCondition) -> WeatherCondition {
    use rs::WeatherCondition as W;
    match w {
        W::Sunny => WeatherCondition::Sunny,
        W::Cloudy => WeatherCondition::Cloudy,
        W::Overcast => WeatherCondition::Overcast,
        W::LightRain => WeatherCondition::LightRain,
        W::Rain => WeatherCondition::Rain,
        W::HeavyRain => WeatherCondition::HeavyRain,
        W::Snow => WeatherCondition::Snow,
        W::Fog => WeatherCondition::Fog,
        W::Windy => WeatherCondition::Windy,
        W::Other => WeatherCondition::Other,
    }
}

fn delay_cause_in(c: DelayCause) -> rs::DelayCause {
    use rs::DelayCause as C;
    match c {
        DelayCause::Weather => C::Weather,
        DelayCause::Material => C::Material,
        DelayCause::Equipment => C::Equipment,
        DelayCause::Labour => C::Labour,
        DelayCause::Design => C::Design,
        DelayCause::Owner => C::Owner,
        DelayCause::Inspection => C::Inspection,
        DelayCause::Other => C::Other,
    }
}

fn delay_cause_out(c: rs::DelayCause) -> DelayCause {
    use rs::DelayCause as C;
    match c {
        C::Weather => DelayCause::Weather,
        C::Material => DelayCause::Material,
        C::Equipment => DelayCause::Equipment,
        C::Labour => DelayCause::Labour,
        C::Design => DelayCause::Design,
        C::Owner => DelayCause::Owner,
        C::Inspection => DelayCause::Inspection,
        C::Other => DelayCause::Other,
    }
}

/// A weather condition as app text (`sunny`, `light_rain`, ...), strictly.
pub fn weather_condition(field: &str, text: &str) -> Result<WeatherCondition, Error> {
    rs::WeatherCondition::parse(text.trim()).map(weather_out).ok_or_else(|| {
        let all: Vec<&str> = rs::WeatherCondition::ALL.iter().map(|w| w.as_str()).collect();
        ValidationError::new(field, format!("expected one of {} (got {text:?})", all.join(", "))).into()
    })
}

/// A delay cause as app text (`weather`, `material`, ...), strictly.
pub fn delay_cause(field: &str, text: &str) -> Result<DelayCause, Error> {
    rs::DelayCause::parse(text.trim()).map(delay_cause_out).ok_or_else(|| {
        let all: Vec<&str> = rs::DelayCause::ALL.iter().map(|c| c.as_str()).collect();
        ValidationError::new(field, format!("expected one of {} (got {text:?})", all.join(", "))).into()
    })
}

pub fn progress(place: &RecordPlace, input: ProgressInput) -> Result<rs::ProgressReport, Error> {
    Ok(rs::ProgressReport {
        header: header_for(place),
        date: date("date", &input.date)?,
        activity: input.activity.trim().to_string(),
        progress: match input.measure {
            ProgressMeasure::Percent { percent } => rs::Progress::Percent(decimal("percent", &percent)?),
            ProgressMeasure::Quantity { installed, unit } => {
                rs::Progress::Quantity { installed: decimal("quantity", &installed)?, unit: unit.trim().to_string() }
            }
        },
        caption: blank_to_none(input.caption),
        photos: Vec::new(),
    })
}

// ---------- outgoing ----------

pub fn kind_out(k: rs::RecordKind) -> Option<RecordKind> {
    match k {
        rs::RecordKind::LabourSheet => Some(RecordKind::LabourSheet),
        rs::RecordKind::Expense => Some(RecordKind::Expense),
        rs::RecordKind::ProgressReport => Some(RecordKind::ProgressReport),
        rs::RecordKind::WageAdvance => Some(RecordKind::WageAdvance),
        rs::RecordKind::Observation => Some(RecordKind::Observation),
        rs::RecordKind::DayLog => Some(RecordKind::DayLog),
        rs::RecordKind::ReferenceData | rs::RecordKind::Approval | rs::RecordKind::FollowUp => None,
    }
}

pub fn kind_in(k: RecordKind) -> rs::RecordKind {
    match k {
        RecordKind::LabourSheet => rs::RecordKind::LabourSheet,
        RecordKind::Expense => rs::RecordKind::Expense,
        RecordKind::ProgressReport => rs::RecordKind::ProgressReport,
        RecordKind::WageAdvance => rs::RecordKind::WageAdvance,
        RecordKind::Observation => rs::RecordKind::Observation,
        RecordKind::DayLog => rs::RecordKind::DayLog,
    }
}

fn info(h: &rs::record::RecordHeader) -> RecordInfo {
    RecordInfo {
        id: h.id.clone(),
        project_id: h.project_id.clone(),
        site_id: h.site_id.clone(),
        time_zone: h.time_zone.clone(),
        author: h.author.clone(),
        created_at_ms: h.created_at_ms,
        voided: h.voided.as_ref().map(|v| Voided { reason: v.reason.clone(), by: v.by.clone(), at_ms: v.at_ms }),
    }
}

/// An effort as the FFI shows it: its unit and its canonical quantity text.
fn effort_out(effort: rs::Effort) -> (EffortUnit, String) {
    (unit_out(effort.unit()), rs::money::canonical_quantity(effort.quantity()))
}

pub fn crew_line_out(l: &rs::CrewLine, currency: rs::Currency) -> CrewLine {
    let (effort_unit, effort) = effort_out(l.effort);
    CrewLine {
        id: l.id.clone(),
        position: l.position,
        trade: l.trade.clone(),
        crew: l.crew.clone(),
        headcount: l.headcount,
        effort_unit,
        effort,
        rate: currency.canonical_rate(l.rate),
        rate_unit: unit_out(l.rate_unit),
        hours_per_day: rs::money::canonical_quantity(l.hours_per_day),
        cost: currency.canonical(l.cost()),
        cost_code: l.cost_code.clone(),
        activity: l.activity.clone(),
        note: l.note.clone(),
        workers: l.workers.iter().map(worker_out).collect(),
    }
}

pub fn crew_preset_out(p: &store::CrewPreset) -> CrewPreset {
    let (effort_unit, effort) = effort_out(p.effort);
    CrewPreset {
        trade: p.trade.clone(),
        crew: p.crew.clone(),
        headcount: p.headcount,
        effort_unit,
        effort,
        rate: p.rate.map(|r| p.currency.canonical_rate(r)),
        rate_unit: unit_out(p.rate_unit),
        currency: p.currency.code().to_string(),
        cost_code: p.cost_code.clone(),
        activity: p.activity.clone(),
        last_used: p.last_used.map(|d| d.to_string()),
    }
}

pub fn sheet_out(s: &rs::LabourSheet) -> LabourSheet {
    LabourSheet {
        info: info(&s.header),
        work_date: s.work_date.to_string(),
        currency: s.currency.code().to_string(),
        note: s.note.clone(),
        lines: s.lines.iter().map(|l| crew_line_out(l, s.currency)).collect(),
        total_headcount: s.lines.iter().map(|l| l.headcount).sum(),
        total_cost: s.currency.canonical(s.total_cost()),
    }
}

pub fn photo_out(p: &rs::PhotoRef, media: &MediaDir) -> Photo {
    Photo {
        sha256: p.sha256.clone(),
        byte_size: p.byte_size,
        width: p.width,
        height: p.height,
        mime: p.mime.clone(),
        captured_at_ms: p.captured_at_ms,
        location: p.location.map(|g| GeoPoint {
            latitude: g.latitude,
            longitude: g.longitude,
            accuracy_m: g.accuracy_m,
        }),
        thumbnail_sha256: p.thumbnail_sha256.clone(),
        thumbnail_path: media.thumbnail(&p.sha256).display().to_string(),
        preview_path: media.preview(&p.sha256).display().to_string(),
        thumbnail_on_phone: media.thumbnail(&p.sha256).is_file(),
        preview_on_phone: media.preview(&p.sha256).is_file(),
    }
}

pub fn expense_out(e: &rs::Expense, media: &MediaDir) -> Expense {
    Expense {
        info: info(&e.header),
        date: e.date.to_string(),
        amount: e.currency.canonical(e.amount),
        currency: e.currency.code().to_string(),
        category: e.category.clone(),
        vendor: e.vendor.clone(),
        cost_code: e.cost_code.clone(),
        note: e.note.clone(),
        receipts: e.receipts.iter().map(|p| photo_out(p, media)).collect(),
    }
}

pub fn wage_advance_out(a: &rs::WageAdvance, media: &MediaDir) -> WageAdvance {
    WageAdvance {
        info: info(&a.header),
        date: a.date.to_string(),
        worker: worker_out(&a.worker),
        crew: a.crew.clone(),
        amount: a.currency.canonical(a.amount),
        currency: a.currency.code().to_string(),
        reason: a.reason.clone(),
        note: a.note.clone(),
        slips: a.slips.iter().map(|p| photo_out(p, media)).collect(),
    }
}

pub fn observation_out(o: &rs::Observation, media: &MediaDir) -> Observation {
    Observation {
        info: info(&o.header),
        date: o.date.to_string(),
        category: obs_category_out(o.category),
        severity: severity_out(o.severity),
        title: o.title.clone(),
        description: o.description.clone(),
        place: o.place.clone(),
        gps: o.gps.map(|g| GeoPoint { latitude: g.latitude, longitude: g.longitude, accuracy_m: g.accuracy_m }),
        activity: o.activity.clone(),
        photos: o.photos.iter().map(|p| photo_out(p, media)).collect(),
    }
}

pub fn day_log_out(l: &rs::DayLog) -> DayLog {
    DayLog {
        info: info(&l.header),
        date: l.date.to_string(),
        weather_am: l.weather_am.map(weather_out),
        weather_pm: l.weather_pm.map(weather_out),
        temp_low_c: l.temp_low_c.map(rs::money::canonical_quantity),
        temp_high_c: l.temp_high_c.map(rs::money::canonical_quantity),
        notes: l.notes.clone(),
        visitors: l
            .visitors
            .iter()
            .map(|v| Visitor {
                id: v.id.clone(),
                name: v.name.clone(),
                organisation: v.organisation.clone(),
                purpose: v.purpose.clone(),
            })
            .collect(),
        delays: l
            .delays
            .iter()
            .map(|d| Delay {
                id: d.id.clone(),
                cause: delay_cause_out(d.cause),
                hours: rs::money::canonical_quantity(d.hours),
                description: d.description.clone(),
            })
            .collect(),
    }
}

pub fn last_weather_out(l: &rs::DayLog) -> LastWeather {
    LastWeather {
        record_id: l.header.id.clone(),
        date: l.date.to_string(),
        weather_am: l.weather_am.map(weather_out),
        weather_pm: l.weather_pm.map(weather_out),
        temp_low_c: l.temp_low_c.map(rs::money::canonical_quantity),
        temp_high_c: l.temp_high_c.map(rs::money::canonical_quantity),
    }
}

fn follow_up_state(s: rs::FollowUpStatus) -> FollowUpState {
    match s {
        rs::FollowUpStatus::Open => FollowUpState::Open,
        rs::FollowUpStatus::Assigned => FollowUpState::Assigned,
        rs::FollowUpStatus::Closed => FollowUpState::Closed,
    }
}

/// An observation's follow-up as the phone shows it; no document yet: open, nothing done.
pub fn observation_status(f: Option<&rs::FollowUp>) -> ObservationStatus {
    let Some(f) = f else {
        return ObservationStatus {
            state: FollowUpState::Open,
            assignee: None,
            due: None,
            resolution: None,
            risk_id: None,
            events: Vec::new(),
        };
    };
    ObservationStatus {
        state: follow_up_state(f.status),
        assignee: f.assignee.clone(),
        due: f.due.map(|d| d.to_string()),
        resolution: f.resolution.clone(),
        risk_id: f.risk_id.clone(),
        events: f
            .events
            .iter()
            .map(|e| FollowUpEventInfo {
                action: e.action.clone(),
                state: follow_up_state(e.status),
                by: e.by.clone(),
                at_ms: e.at_ms,
                note: e.note.clone(),
            })
            .collect(),
    }
}

pub fn roster_worker_out(w: &rs::RosterWorker) -> RosterWorker {
    RosterWorker { id: w.id.clone(), name: w.name.clone(), crew: w.crew.clone(), trade: w.trade.clone() }
}

pub fn progress_out(p: &rs::ProgressReport, media: &MediaDir) -> ProgressReport {
    ProgressReport {
        info: info(&p.header),
        date: p.date.to_string(),
        activity: p.activity.clone(),
        measure: match &p.progress {
            rs::Progress::Percent(x) => ProgressMeasure::Percent { percent: rs::money::canonical_quantity(*x) },
            rs::Progress::Quantity { installed, unit } => {
                ProgressMeasure::Quantity { installed: rs::money::canonical_quantity(*installed), unit: unit.clone() }
            }
        },
        caption: p.caption.clone(),
        photos: p.photos.iter().map(|x| photo_out(x, media)).collect(),
    }
}

pub fn record_out(r: &rs::Record, media: &MediaDir) -> AnyRecord {
    match r {
        rs::Record::LabourSheet(s) => AnyRecord::LabourSheet { sheet: sheet_out(s) },
        rs::Record::Expense(e) => AnyRecord::Expense { expense: expense_out(e, media) },
        rs::Record::ProgressReport(p) => AnyRecord::ProgressReport { report: progress_out(p, media) },
        rs::Record::WageAdvance(a) => AnyRecord::WageAdvance { advance: wage_advance_out(a, media) },
        rs::Record::Observation(o) => AnyRecord::Observation { observation: observation_out(o, media) },
        rs::Record::DayLog(l) => AnyRecord::DayLog { log: day_log_out(l) },
    }
}

pub fn reference_out(r: &rs::ReferenceData) -> ReferenceData {
    ReferenceData {
        project_id: r.project_id.clone(),
        currency: r.currency.code().to_string(),
        sites: r
            .sites
            .iter()
            .map(|s| Site { id: s.id.clone(), name: s.name.clone(), time_zone: s.time_zone.clone() })
            .collect(),
        cost_codes: r
            .cost_codes
            .iter()
            .map(|c| CostCode { code: c.code.clone(), name: c.name.clone(), parent: c.parent.clone() })
            .collect(),
        activities: r
            .activities
            .iter()
            .map(|a| Activity {
                id: a.id.clone(),
                name: a.name.clone(),
                planned_start: a.planned_start.map(|d| d.to_string()),
                planned_finish: a.planned_finish.map(|d| d.to_string()),
                unit: a.unit.clone(),
            })
            .collect(),
        trades: r
            .trades
            .iter()
            .map(|t| Trade {
                name: t.name.clone(),
                day_rate: t.day_rate.map(|x| r.currency.canonical_rate(x)),
                hour_rate: t.hour_rate.map(|x| r.currency.canonical_rate(x)),
            })
            .collect(),
        hours_per_day: r.hours_per_day.map(rs::money::canonical_quantity),
        expense_categories: r.expense_categories.iter().map(category_out).collect(),
        workers: r.workers.iter().map(roster_worker_out).collect(),
    }
}

/// The inverse of `reference_out`, for tools and tests that author reference data (the server does).
pub fn reference_in(r: ReferenceData) -> Result<rs::ReferenceData, Error> {
    let cur = currency(Some(&r.currency))?;
    let rate = |field: String, v: Option<String>| v.map(|t| decimal(&field, &t)).transpose();
    Ok(rs::ReferenceData {
        project_id: r.project_id,
        currency: cur,
        hours_per_day: r.hours_per_day.map(|h| decimal("hours_per_day", &h)).transpose()?,
        expense_categories: r
            .expense_categories
            .into_iter()
            .map(|c| rs::ExpenseCategory { code: c.code, name: c.name })
            .collect(),
        workers: r
            .workers
            .into_iter()
            .map(|w| rs::RosterWorker { id: w.id, name: w.name, crew: w.crew, trade: w.trade, left: false })
            .collect(),
        sites: r.sites.into_iter().map(|s| rs::Site { id: s.id, name: s.name, time_zone: s.time_zone }).collect(),
        cost_codes: r
            .cost_codes
            .into_iter()
            .map(|c| rs::CostCode { code: c.code, name: c.name, parent: c.parent })
            .collect(),
        activities: r
            .activities
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                Ok(rs::Activity {
                    planned_start: opt_date(&format!("activities[{i}].planned_start"), a.planned_start.as_deref())?,
                    planned_finish: opt_date(&format!("activities[{i}].planned_finish"), a.planned_finish.as_deref())?,
                    id: a.id,
                    name: a.name,
                    unit: a.unit,
                })
            })
            .collect::<Result<_, Error>>()?,
        trades: r
            .trades
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                Ok(rs::Trade {
                    day_rate: rate(format!("trades[{i}].day_rate"), t.day_rate)?,
                    hour_rate: rate(format!("trades[{i}].hour_rate"), t.hour_rate)?,
                    name: t.name,
                })
            })
            .collect::<Result<_, Error>>()?,
    })
}

/// The same rules as the server's pending list (docs/approvals-and-ledgers.md, "Decisions").
pub fn approval_status(approval: Option<&rs::Approval>, heads: &[String]) -> ApprovalStatus {
    let latest = approval.and_then(|a| a.latest());
    let state = match approval {
        Some(a) if a.approves(heads) => ApprovalState::Approved,
        Some(_) if latest.is_some_and(|d| d.status == rs::DecisionStatus::Rejected && d.heads == heads) => {
            ApprovalState::Rejected
        }
        Some(a) if a.approved_heads.is_some() => ApprovalState::ChangedSinceApproval,
        _ => ApprovalState::Pending,
    };
    ApprovalStatus {
        state,
        decided_by: latest.map(|d| d.by.clone()),
        decided_at_ms: latest.map(|d| d.at_ms),
        comment: latest.map(|d| d.comment.clone()).filter(|c| !c.is_empty()),
        decisions: approval.map_or(0, |a| u32::try_from(a.decisions.len()).unwrap_or(u32::MAX)),
    }
}

pub fn category_out(c: &rs::ExpenseCategory) -> ExpenseCategory {
    ExpenseCategory { code: c.code.clone(), name: c.name.clone() }
}

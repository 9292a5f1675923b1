//! What a daily report (日报 / 施工日志) holds: the day's records of one site, read and summed, with
//! each record's state marked. Data only, no words: the printable page (`web/daily_reports.rs`) and
//! the PDF (`pdf.rs`) put it into English or Chinese. Stored as JSON with each generated version
//! (`store.rs`), so a version renders the same whenever it is opened.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One site's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DailyReport {
    pub project_id: String,
    pub project_name: String,
    pub site_id: String,
    pub site_name: String,
    /// The day, in the site's time zone.
    pub date: NaiveDate,
    /// IANA name of the site's time zone (times below are shown in it).
    pub time_zone: String,
    /// 1, 2, 3… per site and day; a new version whenever a record of the day (or its state) changed.
    pub version: i64,
    pub generated_at_ms: i64,
    /// The authors of the day's records (foremen), in the order first seen.
    pub foremen: Vec<String>,
    pub weather: Option<Weather>,
    /// Labour by trade and crew, ordered by trade then crew.
    pub labour: Vec<LabourRow>,
    pub labour_total: LabourTotal,
    pub progress: Vec<ProgressItem>,
    pub expenses: Vec<ExpenseRow>,
    /// Sum of expenses per currency code (ISO 4217), in code order.
    pub expense_totals: Vec<Amount>,
    pub observations: Vec<ObservationRow>,
    pub visitors: Vec<VisitorRow>,
    pub delays: Vec<DelayRow>,
    /// The day log's notes and each labour sheet's note, with whose they are.
    pub notes: Vec<NoteRow>,
    /// Exactly the record versions this report was made from.
    pub sources: Vec<SourceRecord>,
}

/// Where a record of the day stands when the report is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DailyReportRecordState)]
pub enum RecordState {
    /// Not decided yet.
    Pending,
    /// Approved at exactly the heads used here.
    Approved,
    /// Approved once, edited on the phone since (the report shows the current version).
    ChangedSinceApproval,
    Rejected,
    /// An observation: observations are not approved but followed up by the office (the row's
    /// `follow_up` says where that stands); shown as recorded, not muted.
    FollowUp,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Pending => "pending",
            RecordState::Approved => "approved",
            RecordState::ChangedSinceApproval => "changed_since_approval",
            RecordState::Rejected => "rejected",
            RecordState::FollowUp => "follow_up",
        }
    }

    /// Waiting for a supervisor's decision (never approved, or changed since): muted in the report.
    pub fn awaits_decision(self) -> bool {
        matches!(self, RecordState::Pending | RecordState::ChangedSinceApproval)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportSource)]
pub struct SourceRecord {
    pub record_id: String,
    /// `labour_sheet`, `progress_report`, `expense`, `observation`, `day_log` (RecordKind's key).
    pub kind: String,
    pub author: String,
    /// The document heads the report read (sorted, hex), and the server's document version.
    pub heads: Vec<String>,
    pub doc_version: i64,
    pub state: RecordState,
    /// Unresolved concurrent edits in the version read.
    pub conflicts: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportAmount)]
pub struct Amount {
    pub currency: String,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportWeather)]
pub struct Weather {
    /// record_schema::WeatherCondition keys (`sunny`, `rain`…), morning and afternoon.
    pub am: Option<String>,
    pub pm: Option<String>,
    pub low_c: Option<Decimal>,
    pub high_c: Option<Decimal>,
    /// The day log it came from.
    pub record_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportLabour)]
pub struct LabourRow {
    pub record_id: String,
    pub state: RecordState,
    pub trade_id: String,
    /// The trade's name from the reference data (the id when it has none).
    pub trade_name: String,
    pub crew: Option<String>,
    pub headcount: i64,
    /// 工日: man-days (headcount × days, or hours ÷ hours per day), as the labour report counts them.
    pub man_days: Decimal,
    pub hours: Decimal,
    /// What the line costs, rounded by the currency's rule (as posted when approved).
    pub cost: Decimal,
    pub currency: String,
    pub cost_code: String,
    pub cost_code_name: String,
    pub activity_name: Option<String>,
    /// Named workers on the line (may be fewer than the headcount).
    pub workers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[schema(as = DailyReportLabourTotal)]
pub struct LabourTotal {
    pub headcount: i64,
    pub man_days: Decimal,
    pub hours: Decimal,
    /// Per currency, in code order.
    pub cost: Vec<Amount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportProgress)]
pub struct ProgressItem {
    pub record_id: String,
    pub state: RecordState,
    pub activity_id: String,
    pub activity_name: String,
    /// Exactly one of these: cumulative percent complete, or quantity installed today with its unit.
    pub percent: Option<Decimal>,
    pub quantity: Option<Decimal>,
    pub unit: Option<String>,
    pub caption: Option<String>,
    pub author: String,
    pub photos: Vec<PhotoItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportPhoto)]
pub struct PhotoItem {
    pub sha256: String,
    pub thumbnail_sha256: String,
    pub captured_at_ms: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The caption shown under it (the progress report's caption, the observation's title…).
    pub caption: Option<String>,
    /// Whether the blob reached the server when the report was made (else a placeholder is drawn).
    pub uploaded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportExpense)]
pub struct ExpenseRow {
    pub record_id: String,
    pub state: RecordState,
    pub category: String,
    /// The category's name from the reference data (the key when it has none).
    pub category_name: String,
    pub vendor: Option<String>,
    pub cost_code: String,
    pub amount: Decimal,
    pub currency: String,
    pub note: Option<String>,
    pub receipts: Vec<PhotoItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportObservation)]
pub struct ObservationRow {
    pub record_id: String,
    pub state: RecordState,
    /// record_schema keys: category `safety|quality|delay|other`, severity `low|medium|high|critical`.
    pub category: String,
    pub severity: String,
    pub title: String,
    pub description: Option<String>,
    pub place: Option<String>,
    /// The office's follow-up status (`open|assigned|closed`) when the report was made.
    pub follow_up: String,
    pub photos: Vec<PhotoItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportVisitor)]
pub struct VisitorRow {
    pub name: String,
    pub organisation: Option<String>,
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportDelay)]
pub struct DelayRow {
    /// record_schema::DelayCause key.
    pub cause: String,
    pub hours: Decimal,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportNote)]
pub struct NoteRow {
    pub author: String,
    pub text: String,
}

/// One day in the calendar of days that have records.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = DailyReportDay)]
pub struct DayCell {
    pub date: NaiveDate,
    pub site_id: String,
    pub site_name: String,
    /// Records of the day (not voided), and of those how many wait for a decision.
    pub records: i64,
    pub pending: i64,
    /// The newest generated version, if any was generated.
    pub version: Option<i64>,
}

/// A generated version, without its content (the list of versions of a day).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = DailyReportVersion)]
pub struct VersionInfo {
    pub id: String,
    pub version: i64,
    pub generated_at_ms: i64,
    pub records: usize,
    /// SHA-256 over the sources (record ids, heads, states): equal fingerprints, equal reports.
    pub fingerprint: String,
}

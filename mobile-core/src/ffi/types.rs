//! Types that cross the FFI. Amounts and quantities travel as decimal text (`"350.00"`), dates as
//! `YYYY-MM-DD` on the site's calendar, times as milliseconds since the Unix epoch (UTC).

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecordKind {
    LabourSheet,
    Expense,
    ProgressReport,
    WageAdvance,
    Observation,
    DayLog,
}

/// What an effort counts (hours or days per person) or a rate pays for (per hour or per day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EffortUnit {
    /// Hours per person; a rate per hour.
    Hours,
    /// Days per person (a 点工 day); a rate per day.
    Days,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Worker {
    pub name: String,
    pub id_number: Option<String>,
    /// The roster's id when the worker was picked from the project's roster
    /// (`FieldStore.roster`); must be one of it once a roster is published.
    #[uniffi(default)]
    pub worker_id: Option<String>,
}

/// What the foreman types for one crew line.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CrewLineInput {
    pub trade: String,
    pub crew: Option<String>,
    pub headcount: i64,
    pub effort_unit: EffortUnit,
    /// Hours or days per person, e.g. `"8"` or `"0.5"`.
    pub effort: String,
    /// Pay per person per `rate_unit`, in the sheet's currency, e.g. `"350.00"` or `"45.625"`: up to
    /// 4 decimals, kept as typed; only the line's cost is rounded.
    pub rate: String,
    pub cost_code: String,
    pub activity: Option<String>,
    pub note: Option<String>,
    pub workers: Vec<Worker>,
    /// What `rate` pays for; `None`: the same unit as `effort_unit`. Hours at a day rate cost
    /// headcount × hours ÷ hours-per-day × rate, with the project's hours per day (default 8).
    #[uniffi(default)]
    pub rate_unit: Option<EffortUnit>,
}

/// Only the fields to change of a crew line (`CrewLineChange::Edit`); `None` keeps a field. For
/// `crew`, `activity` and `note`, an empty text clears it.
#[derive(Debug, Clone, PartialEq, Default, uniffi::Record)]
pub struct CrewLinePatch {
    #[uniffi(default)]
    pub trade: Option<String>,
    #[uniffi(default)]
    pub crew: Option<String>,
    #[uniffi(default)]
    pub headcount: Option<i64>,
    /// Changes the unit of `effort` (the quantity is kept unless `effort` is given too).
    #[uniffi(default)]
    pub effort_unit: Option<EffortUnit>,
    #[uniffi(default)]
    pub effort: Option<String>,
    #[uniffi(default)]
    pub rate: Option<String>,
    #[uniffi(default)]
    pub rate_unit: Option<EffortUnit>,
    #[uniffi(default)]
    pub cost_code: Option<String>,
    #[uniffi(default)]
    pub activity: Option<String>,
    #[uniffi(default)]
    pub note: Option<String>,
    #[uniffi(default)]
    pub workers: Option<Vec<Worker>>,
}

/// One change of `FieldStore.set_crew_lines`.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum CrewLineChange {
    /// A new crew line, after the sheet's last.
    Add {
        line: CrewLineInput,
    },
    /// Replaces every field of line `line_id`.
    Update {
        line_id: String,
        line: CrewLineInput,
    },
    /// Changes only the fields the patch gives.
    Edit {
        line_id: String,
        patch: CrewLinePatch,
    },
    Remove {
        line_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CrewLine {
    pub id: String,
    pub position: i64,
    pub trade: String,
    pub crew: Option<String>,
    pub headcount: i64,
    pub effort_unit: EffortUnit,
    pub effort: String,
    /// As the office or foreman set it (up to 4 decimals).
    pub rate: String,
    pub rate_unit: EffortUnit,
    /// Hours in a day's pay on this line: the project's when the line was added (default 8).
    pub hours_per_day: String,
    /// headcount × effort × rate (hours ÷ `hours_per_day` for a day rate, days × it for an hourly
    /// rate), computed exactly, rounded once half away from zero to the currency's decimals.
    /// `LabourSheet.total_cost` is the sum of these, as the ledger posts it.
    pub cost: String,
    pub cost_code: String,
    pub activity: Option<String>,
    pub note: Option<String>,
    pub workers: Vec<Worker>,
}

/// A trade pre-filled for a new crew line (see `FieldStore.crew_presets`): the values of the last
/// line that used it, or the project's reference rate for a trade not used yet.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CrewPreset {
    pub trade: String,
    pub crew: Option<String>,
    /// Last used headcount; `None` for a reference trade.
    pub headcount: Option<i64>,
    pub effort_unit: EffortUnit,
    pub effort: String,
    /// Decimal text in `currency`; `None` when the reference data has no rate for the trade.
    pub rate: Option<String>,
    /// What `rate` pays for.
    pub rate_unit: EffortUnit,
    pub currency: String,
    pub cost_code: Option<String>,
    pub activity: Option<String>,
    /// Work date of the sheet these values come from; `None` for reference rates.
    pub last_used: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Voided {
    pub reason: String,
    pub by: String,
    pub at_ms: i64,
}

/// Identity and place shared by every record.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecordInfo {
    pub id: String,
    pub project_id: String,
    pub site_id: String,
    pub time_zone: String,
    pub author: String,
    pub created_at_ms: i64,
    pub voided: Option<Voided>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewLabourSheet {
    pub project_id: String,
    pub site_id: String,
    /// IANA time zone of the site, e.g. `Asia/Shanghai`; `None`: the site's, from the project's
    /// reference data (required only until that has synced).
    #[uniffi(default)]
    pub time_zone: Option<String>,
    pub work_date: String,
    /// ISO code; `None` means CNY.
    pub currency: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LabourSheet {
    pub info: RecordInfo,
    pub work_date: String,
    pub currency: String,
    pub note: Option<String>,
    pub lines: Vec<CrewLine>,
    pub total_headcount: i64,
    pub total_cost: String,
}

#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Photo {
    pub sha256: String,
    pub byte_size: u64,
    pub width: u32,
    pub height: u32,
    pub mime: String,
    pub captured_at_ms: i64,
    pub location: Option<GeoPoint>,
    pub thumbnail_sha256: String,
    /// Where the phone keeps the photo's files for display. A photo taken on this phone has both
    /// once attached; a colleague's photo has neither (photo files do not come with sync), and the
    /// preview of an own photo goes once its record is settled and older than the window
    /// (docs/sync-scopes.md §4). When `…_on_phone` is false, `fetch_photo` brings the file to
    /// this path.
    pub thumbnail_path: String,
    pub preview_path: String,
    pub thumbnail_on_phone: bool,
    pub preview_on_phone: bool,
}

/// Which file of a photo `fetch_photo` brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PhotoSize {
    /// The server's thumbnail (at most 320 px on its long side).
    Thumbnail,
    /// The 1280-px preview.
    Preview,
}

/// Capture details the app knows (from the camera API) and prefers over the file's EXIF.
#[derive(Debug, Clone, PartialEq, Default, uniffi::Record)]
pub struct PhotoContext {
    pub captured_at_ms: Option<i64>,
    pub location: Option<GeoPoint>,
}

/// Place of a new record (labour sheets use `NewLabourSheet`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecordPlace {
    pub project_id: String,
    pub site_id: String,
    /// `None`: the site's, from the project's reference data (see `NewLabourSheet.time_zone`).
    #[uniffi(default)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ExpenseInput {
    pub date: String,
    /// e.g. `"1280.50"`; at most the currency's decimals.
    pub amount: String,
    /// ISO code; `None` means CNY.
    pub currency: Option<String>,
    /// The code of one of the project's categories (`FieldStore.expense_categories`).
    pub category: String,
    pub vendor: Option<String>,
    pub cost_code: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Expense {
    pub info: RecordInfo,
    pub date: String,
    pub amount: String,
    pub currency: String,
    pub category: String,
    pub vendor: Option<String>,
    pub cost_code: String,
    pub note: Option<String>,
    pub receipts: Vec<Photo>,
}

/// What the foreman types for a wage advance (借支) handed to one worker.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WageAdvanceInput {
    pub date: String,
    /// Who received it; pick from `FieldStore.roster` to fill `worker_id`.
    pub worker: Worker,
    pub crew: Option<String>,
    /// e.g. `"500.00"`; more than 0, at most the currency's decimals.
    pub amount: String,
    /// ISO code; `None` means CNY.
    pub currency: Option<String>,
    /// Why (借支事由); required.
    pub reason: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WageAdvance {
    pub info: RecordInfo,
    pub date: String,
    pub worker: Worker,
    pub crew: Option<String>,
    pub amount: String,
    pub currency: String,
    pub reason: String,
    pub note: Option<String>,
    /// Photos of the slip the worker signed (`FieldStore.attach_photo`, like an expense's receipts).
    pub slips: Vec<Photo>,
}

/// What kind of issue a field observation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ObservationCategory {
    Safety,
    Quality,
    Delay,
    Other,
}

/// How bad the foreman judges an observed issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// What the foreman types for a field observation (现场问题): a safety, quality or delay issue
/// (or any other) seen on site.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ObservationInput {
    /// The day it was seen, `YYYY-MM-DD`.
    pub date: String,
    pub category: ObservationCategory,
    pub severity: Severity,
    /// One line saying what is wrong; required, at most 200 bytes.
    pub title: String,
    pub description: Option<String>,
    /// Where on site, in words (building, floor, grid line).
    pub place: Option<String>,
    /// Where on site by the phone's GPS, when it has a fix.
    #[uniffi(default)]
    pub gps: Option<GeoPoint>,
    /// The schedule activity it touches (an id of the project's activities), if any.
    #[uniffi(default)]
    pub activity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Observation {
    pub info: RecordInfo,
    pub date: String,
    pub category: ObservationCategory,
    pub severity: Severity,
    pub title: String,
    pub description: Option<String>,
    pub place: Option<String>,
    pub gps: Option<GeoPoint>,
    pub activity: Option<String>,
    /// Photos of the issue (`FieldStore.attach_photo`).
    pub photos: Vec<Photo>,
}

/// Where an observation stands in the office, as the last sync brought it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FollowUpState {
    /// Reported; nobody assigned yet (also before the office has looked at it).
    Open,
    /// Someone is to deal with it (`assignee`, by `due` when set).
    Assigned,
    /// Dealt with: `resolution` says how.
    Closed,
}

/// One thing the office did about an observation.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FollowUpEventInfo {
    /// `assigned`, `closed`, `reopened`, `promoted` (raised as a risk) or `comment`.
    pub action: String,
    /// The state after it.
    pub state: FollowUpState,
    /// Who did it (the office person's name).
    pub by: String,
    pub at_ms: i64,
    pub note: String,
}

/// The office's follow-up of an observation (`FieldStore.observation_status`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ObservationStatus {
    pub state: FollowUpState,
    pub assignee: Option<String>,
    /// `YYYY-MM-DD`.
    pub due: Option<String>,
    pub resolution: Option<String>,
    /// The risk it was raised as (`R-0003`), when it was promoted.
    pub risk_id: Option<String>,
    /// Everything done about it, oldest first.
    pub events: Vec<FollowUpEventInfo>,
}

/// The weather of half a day on site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WeatherCondition {
    Sunny,
    Cloudy,
    Overcast,
    LightRain,
    Rain,
    HeavyRain,
    Snow,
    Fog,
    Windy,
    Other,
}

/// What held the work up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DelayCause {
    Weather,
    Material,
    Equipment,
    Labour,
    Design,
    Owner,
    Inspection,
    Other,
}

/// A visitor to site as the foreman types it; `id` `None` for a new one (the store gives it one),
/// the visitor's id to keep it on an update.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitorInput {
    #[uniffi(default)]
    pub id: Option<String>,
    /// Required, at most 200 bytes.
    pub name: String,
    #[uniffi(default)]
    pub organisation: Option<String>,
    #[uniffi(default)]
    pub purpose: Option<String>,
}

/// A delay as the foreman types it; `id` as for a visitor.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DelayInput {
    #[uniffi(default)]
    pub id: Option<String>,
    pub cause: DelayCause,
    /// Hours lost, e.g. `"1.5"`: more than 0, at most 24, two decimals.
    pub hours: String,
    #[uniffi(default)]
    pub description: Option<String>,
}

/// What the foreman types for a day log (施工日志): one per site and day.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DayLogInput {
    /// The day logged, `YYYY-MM-DD`.
    pub date: String,
    #[uniffi(default)]
    pub weather_am: Option<WeatherCondition>,
    #[uniffi(default)]
    pub weather_pm: Option<WeatherCondition>,
    /// The day's low in °C, e.g. `"-3.5"`: −50..60, one decimal.
    #[uniffi(default)]
    pub temp_low_c: Option<String>,
    /// The day's high in °C; not below the low.
    #[uniffi(default)]
    pub temp_high_c: Option<String>,
    #[uniffi(default)]
    pub notes: Option<String>,
    /// In display order; at most 50. On an update, visitors left out are removed.
    #[uniffi(default)]
    pub visitors: Vec<VisitorInput>,
    /// In display order; at most 50. On an update, delays left out are removed.
    #[uniffi(default)]
    pub delays: Vec<DelayInput>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Visitor {
    pub id: String,
    pub name: String,
    pub organisation: Option<String>,
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Delay {
    pub id: String,
    pub cause: DelayCause,
    /// e.g. `"1.5"`.
    pub hours: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DayLog {
    pub info: RecordInfo,
    pub date: String,
    pub weather_am: Option<WeatherCondition>,
    pub weather_pm: Option<WeatherCondition>,
    /// °C as decimal text, e.g. `"-3.5"`.
    pub temp_low_c: Option<String>,
    pub temp_high_c: Option<String>,
    pub notes: Option<String>,
    pub visitors: Vec<Visitor>,
    pub delays: Vec<Delay>,
}

/// The weather of a site's most recent day log (`FieldStore.last_weather`), to prefill a new one.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LastWeather {
    /// The day log it comes from.
    pub record_id: String,
    /// That log's day, `YYYY-MM-DD`.
    pub date: String,
    pub weather_am: Option<WeatherCondition>,
    pub weather_pm: Option<WeatherCondition>,
    pub temp_low_c: Option<String>,
    pub temp_high_c: Option<String>,
}

/// One worker of the project's roster, as published to phones (never ID or card numbers).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RosterWorker {
    pub id: String,
    pub name: String,
    pub crew: Option<String>,
    pub trade: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ProgressMeasure {
    /// Cumulative percent complete, `"0"`–`"100"`.
    Percent { percent: String },
    /// Quantity installed on the day, in the activity's unit.
    Quantity { installed: String, unit: String },
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ProgressInput {
    pub date: String,
    pub activity: String,
    pub measure: ProgressMeasure,
    pub caption: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ProgressReport {
    pub info: RecordInfo,
    pub date: String,
    pub activity: String,
    pub measure: ProgressMeasure,
    pub caption: Option<String>,
    pub photos: Vec<Photo>,
}

/// Any record, as read back.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AnyRecord {
    LabourSheet { sheet: LabourSheet },
    Expense { expense: Expense },
    ProgressReport { report: ProgressReport },
    WageAdvance { advance: WageAdvance },
    Observation { observation: Observation },
    DayLog { log: DayLog },
}

#[derive(Debug, Clone, PartialEq, Default, uniffi::Record)]
pub struct RecordFilter {
    pub kind: Option<RecordKind>,
    pub project_id: Option<String>,
    pub site_id: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub include_voided: bool,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecordSummary {
    pub id: String,
    pub kind: RecordKind,
    pub project_id: String,
    pub site_id: String,
    pub date: String,
    pub author: String,
    /// Trades of a sheet, category of an expense, activity of a progress report, worker of a wage
    /// advance, title of an observation, weather of a day log (`sunny / light_rain`; its
    /// `headcount` is its visitors, `line_count` its delays).
    pub subject: String,
    pub headcount: i64,
    /// Sheet cost, expense or advance amount (with `currency`), or progress as `"45%"` / `"12.5 m3"`.
    pub total: Option<String>,
    pub currency: Option<String>,
    pub line_count: i64,
    pub photo_count: i64,
    pub conflict_count: i64,
    pub voided: bool,
    pub updated_at_ms: i64,
}

/// Concurrent values of one field after a merge; the first is what the record currently reads as.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldConflict {
    /// e.g. `lines/<line id>/headcount`.
    pub path: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PendingUpload {
    pub sha256: String,
    pub path: String,
    pub mime: String,
    pub byte_size: u64,
    pub record_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ImportResult {
    pub id: String,
    /// The document's kind: a record's (`labour_sheet`, `expense`, `progress_report`,
    /// `wage_advance`, `observation`) or a server-owned one (`reference_data`, `approval`,
    /// `follow_up`).
    pub kind: String,
    pub changed: bool,
    pub conflict_count: i64,
}

/// Reference data of a project, as the phone reads it (the server writes it).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReferenceData {
    pub project_id: String,
    pub currency: String,
    pub sites: Vec<Site>,
    pub cost_codes: Vec<CostCode>,
    pub activities: Vec<Activity>,
    pub trades: Vec<Trade>,
    /// Hours in one 点工 day on this project; `None`: 8.
    #[uniffi(default)]
    pub hours_per_day: Option<String>,
    /// The project's expense categories; empty: the default list (`expense_categories()`).
    #[uniffi(default)]
    pub expense_categories: Vec<ExpenseCategory>,
    /// The project's active roster; empty: none published.
    #[uniffi(default)]
    pub workers: Vec<RosterWorker>,
}

/// An expense category: the code an expense stores and the name to show (a default category's
/// name is its code, for the app to translate).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ExpenseCategory {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CostCode {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Activity {
    pub id: String,
    pub name: String,
    pub planned_start: Option<String>,
    pub planned_finish: Option<String>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Trade {
    pub name: String,
    pub day_rate: Option<String>,
    pub hour_rate: Option<String>,
}

/// Progress of a long operation, implemented by the app (e.g. to drive a progress bar). Called on
/// the core's worker thread, not the app's UI thread: post to the UI thread before touching views.
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    /// `done` of `total` items finished; `item` names the last one. Throwing (a `ProgressError`, or
    /// any other exception) stops the operation: it fails with `CoreError.ListenerFailed`, and what
    /// was done before stays done.
    fn on_progress(&self, done: u32, total: u32, item: String) -> Result<(), ProgressError>;
}

/// What a `ProgressListener` may throw. Any other exception it throws arrives as `Failed` too.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum ProgressError {
    #[error("{reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ProgressError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ProgressError::Failed { reason: e.reason }
    }
}

/// A document the server or this phone refused during a sync; the rest of the batch went through.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncError {
    pub id: String,
    /// e.g. `forbidden`, `invalid`, `server_owned`, `refused_by_phone`.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncReport {
    pub rounds: u32,
    pub documents_sent: u32,
    pub documents_received: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Documents refused during the sync, and photos the server refused (code `photo_refused`, id =
    /// the photo's SHA-256; they stay pending).
    pub errors: Vec<SyncError>,
    /// Photo originals that reached the server in this sync (tus uploads, after the documents).
    pub photos_uploaded: u32,
    /// Photo bytes sent in this sync (less than the photos' size when an upload resumed).
    pub photo_bytes_sent: u64,
    /// Documents this sync let go from the phone (sync scopes: records that left the phone's scope,
    /// with their approvals and follow-ups; at most once a day). They stay on the server: a list
    /// showing them should refresh, and `fetch_record` brings one back.
    pub evicted: u32,
}

/// What has not reached the server yet.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Unsynced {
    pub records: u32,
    pub photos: u32,
}

/// Where a record stands with the supervisors, as the last sync brought it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ApprovalState {
    /// No decision on this version yet (new, or edited after a rejection).
    Pending,
    /// This exact version is approved and stands in the ledgers.
    Approved,
    /// This exact version was rejected: `comment` says why. Editing it sends it back for approval.
    Rejected,
    /// An earlier version was approved; this one was edited since and needs approval again.
    ChangedSinceApproval,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ApprovalStatus {
    pub state: ApprovalState,
    /// The newest decision on the record (any version): who, when, what they wrote.
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub comment: Option<String>,
    /// How many decisions the record has had.
    pub decisions: u32,
}

/// A project this phone holds after pairing (its token stays in the store).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PairedProject {
    pub project_id: String,
    /// The project's name (its id when it has none yet).
    pub name: String,
    /// `foreman`, `supervisor` or `admin`: what the phone may do on it.
    pub role: String,
}

/// What pairing gave this phone: the server, the person and their projects.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PairResult {
    pub server_url: String,
    pub handset_id: String,
    pub person_id: String,
    pub person_name: String,
    pub projects: Vec<PairedProject>,
}

/// One project's part of `sync_all`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ProjectSyncReport {
    pub project_id: String,
    pub report: SyncReport,
}

/// The language a daily report is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReportLang {
    /// Simplified Chinese (`zh-CN`).
    ZhCn,
    /// English (`en`).
    En,
}

/// A daily report PDF (施工日志) on this phone: open `path` with the platform's PDF viewer.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DailyReportFile {
    /// Absolute path of the PDF in the store's media folder; a newer version gets a new path.
    pub path: String,
    /// The report's version on the server (1, 2, ...: a new one when the day's records change).
    pub version: i64,
    pub byte_size: u64,
    /// When the server last sent or confirmed this file (ms since the epoch): "as of" on screen.
    pub fetched_at_ms: i64,
    /// The server could not be reached: this is the copy kept from an earlier fetch, maybe old.
    pub from_cache: bool,
    /// The server said the kept copy is current (HTTP 304): nothing was downloaded.
    pub not_modified: bool,
    /// PDF bytes this call downloaded (0 when not modified or from the cache).
    pub downloaded_bytes: u64,
}

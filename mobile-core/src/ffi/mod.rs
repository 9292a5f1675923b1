//! The UniFFI surface: a thin layer that parses the app's input, calls the plain Rust `Store`, and maps
//! errors to `CoreError`. Calls block on the core's own runtime, except long ones (photos, sync),
//! which are async, report progress through `ProgressListener` and stop on a `CancelToken`.
//!
//! `FieldStore` is spread over files along its seams: this file opens and closes it and holds the
//! records (labour sheets, expenses, progress reports, wage advances, observations and their
//! follow-up); `photos.rs` attaches photos; `sync.rs` syncs
//! and holds the merge hooks; `pairing.rs` pairs the phone and syncs every project it holds;
//! `daily_reports.rs` fetches and keeps the server's daily report PDFs; `scope.rs` fetches records
//! the phone's sync scope no longer holds; `http.rs` is the app's HTTP (`HttpTransport`) the store
//! sends every request through.
//! `cancel.rs` is the `CancelToken`, `convert.rs` the conversions and
//! strict parsing of app text, `types.rs` every type that crosses.

mod cancel;
mod convert;
mod daily_reports;
mod http;
mod pairing;
mod photos;
mod scope;
mod sync;
pub mod types;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use automerge::ChangeHash;
use record_schema as rs;
use tokio::runtime::Runtime;

pub use self::cancel::CancelToken;
pub use self::http::{HttpError, HttpHeader, HttpRequest, HttpResponse, HttpTransport};
use crate::error::{CoreError, Error};
use crate::store::{self, Store};
use types::*;

type Result<T> = std::result::Result<T, CoreError>;

/// One runtime for every store the app opens: a worker for sqlx and photo work, never the app's
/// own threads.
fn runtime() -> Result<&'static Runtime> {
    static RT: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .thread_name("fieldledger-core")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| CoreError::Internal { reason: format!("cannot start the core's runtime: {e}") })
}

fn block_on<T>(fut: impl std::future::Future<Output = std::result::Result<T, Error>>) -> Result<T> {
    runtime()?.block_on(fut).map_err(CoreError::from)
}

/// A record store on the phone: one SQLite file plus a media folder beside it.
#[derive(uniffi::Object)]
pub struct FieldStore {
    store: Arc<Store>,
    closed: AtomicBool,
}

fn parse_heads(field: &str, heads: &[String]) -> std::result::Result<Vec<ChangeHash>, Error> {
    heads
        .iter()
        .map(|h| {
            h.parse::<ChangeHash>()
                .map_err(|_| rs::ValidationError::new(field, format!("{h:?} is not a change hash")).into())
        })
        .collect()
}

#[uniffi::export]
impl FieldStore {
    /// Opens the store at `path` (created if missing) for `author`, the person signed in on this phone.
    /// Refuses a damaged file, another app's database, or a store written by a newer app. Requests go
    /// through the core's built-in HTTP, which the phone builds do not have: apps use `open_with_http`.
    #[uniffi::constructor]
    pub fn open(path: String, author: String) -> Result<Arc<Self>> {
        let store = block_on(Store::open(PathBuf::from(path), author.trim()))?;
        Ok(Arc::new(FieldStore { store: Arc::new(store), closed: AtomicBool::new(false) }))
    }

    /// `open`, with every request to the server (sync, pairing, photo uploads, daily reports) sent
    /// through the app's `http`: the platform's HTTP, with its TLS, trust store, proxy and pinning.
    /// What the phones use: their builds have no HTTP of their own, and a store opened with `open`
    /// there fails every network call with `NoHttpTransport`.
    #[uniffi::constructor]
    pub fn open_with_http(path: String, author: String, http: Arc<dyn HttpTransport>) -> Result<Arc<Self>> {
        let store = block_on(Store::open(PathBuf::from(path), author.trim()))?;
        let store = store.with_transport(Arc::new(http::Foreign(http)));
        Ok(Arc::new(FieldStore { store: Arc::new(store), closed: AtomicBool::new(false) }))
    }

    pub fn path(&self) -> String {
        self.store.path().display().to_string()
    }

    // ---------- labour sheets ----------

    pub fn create_labour_sheet(&self, sheet: NewLabourSheet) -> Result<LabourSheet> {
        let s = self.live()?;
        block_on(async {
            let new = store::NewSheet {
                project_id: sheet.project_id.trim().to_string(),
                site_id: sheet.site_id.trim().to_string(),
                time_zone: sheet.time_zone.unwrap_or_default().trim().to_string(),
                work_date: convert::date("work_date", &sheet.work_date)?,
                currency: convert::currency(sheet.currency.as_deref())?,
                note: sheet.note.filter(|n| !n.trim().is_empty()),
            };
            Ok(convert::sheet_out(&s.create_labour_sheet(new).await?))
        })
    }

    /// A new sheet for `work_date` with the crews and rates of sheet `source_id`.
    pub fn start_sheet_from(&self, source_id: String, work_date: String) -> Result<LabourSheet> {
        let s = self.live()?;
        block_on(async {
            let date = convert::date("work_date", &work_date)?;
            Ok(convert::sheet_out(&s.start_sheet_from(&source_id, date).await?))
        })
    }

    /// Like `start_sheet_from`, from the site's latest sheet before `work_date`; `None` if it has none.
    pub fn start_sheet_from_latest(
        &self,
        project_id: String,
        site_id: String,
        work_date: String,
    ) -> Result<Option<LabourSheet>> {
        let s = self.live()?;
        block_on(async {
            let date = convert::date("work_date", &work_date)?;
            match s.latest_sheet_before(&project_id, &site_id, Some(date)).await? {
                Some(source) => Ok(Some(convert::sheet_out(&s.start_sheet_from(&source, date).await?))),
                None => Ok(None),
            }
        })
    }

    /// Trades pre-filled for a new crew line, most recently used first: each with the crew, headcount,
    /// effort, rate, cost code and activity of its last line on the project's recent sheets (of
    /// `site_id` only, if given), then reference trades not used yet with their reference rate.
    pub fn crew_presets(&self, project_id: String, site_id: Option<String>) -> Result<Vec<CrewPreset>> {
        let s = self.live()?;
        block_on(async {
            let presets = s.crew_presets(project_id.trim(), site_id.as_deref().map(str::trim)).await?;
            Ok(presets.iter().map(convert::crew_preset_out).collect())
        })
    }

    pub fn add_crew_line(&self, sheet_id: String, line: CrewLineInput) -> Result<CrewLine> {
        self.put_line(sheet_id, String::new(), line)
    }

    pub fn update_crew_line(&self, sheet_id: String, line_id: String, line: CrewLineInput) -> Result<CrewLine> {
        if line_id.trim().is_empty() {
            return Err(CoreError::InvalidInput { field: "line_id".into(), reason: "is required".into() });
        }
        self.put_line(sheet_id, line_id, line)
    }

    /// Adds, updates, edits and removes crew lines of a sheet in one call: one change in the
    /// record's history, one durable write, all or nothing. Errors name the change
    /// (`changes[3].headcount`). Concurrent edits from other phones merge field by field, as with
    /// the single-line calls.
    pub fn set_crew_lines(&self, sheet_id: String, changes: Vec<CrewLineChange>) -> Result<LabourSheet> {
        let s = self.live()?;
        block_on(async {
            let changes = changes
                .into_iter()
                .enumerate()
                .take(store::MAX_LINE_CHANGES + 1)
                .map(|(i, c)| convert::line_change(&format!("changes[{i}]"), c))
                .collect::<std::result::Result<Vec<_>, Error>>()?;
            let set = s.set_crew_lines(&sheet_id, changes, |i| format!("changes[{i}]")).await?;
            Ok(convert::sheet_out(&set.sheet))
        })
    }

    /// The site's labour sheet of `work_date` (the newest, if more than one was started), or `None`.
    pub fn find_labour_sheet(
        &self,
        project_id: String,
        site_id: String,
        work_date: String,
    ) -> Result<Option<LabourSheet>> {
        let s = self.live()?;
        block_on(async {
            let date = convert::date("work_date", &work_date)?;
            let found = s.sheet_on(project_id.trim(), site_id.trim(), date).await?;
            self.sheet_by_id(&s, found).await
        })
    }

    /// The site's most recent labour sheet (by work date), or `None`: what "copy yesterday" copies.
    pub fn last_labour_sheet(&self, project_id: String, site_id: String) -> Result<Option<LabourSheet>> {
        let s = self.live()?;
        block_on(async {
            let found = s.latest_sheet_before(project_id.trim(), site_id.trim(), None).await?;
            self.sheet_by_id(&s, found).await
        })
    }

    pub fn remove_crew_line(&self, sheet_id: String, line_id: String) -> Result<()> {
        let s = self.live()?;
        block_on(s.remove_crew_line(&sheet_id, &line_id))
    }

    /// Changes a sheet's work date or note.
    pub fn update_labour_sheet(
        &self,
        sheet_id: String,
        work_date: String,
        note: Option<String>,
    ) -> Result<LabourSheet> {
        let s = self.live()?;
        block_on(async {
            let date = convert::date("work_date", &work_date)?;
            s.update_sheet(&sheet_id, date, note.filter(|n| !n.trim().is_empty())).await?;
            match s.get(&sheet_id).await? {
                rs::Record::LabourSheet(sheet) => Ok(convert::sheet_out(&sheet)),
                other => Err(wrong(&sheet_id, "labour_sheet", other.kind())),
            }
        })
    }

    pub fn get_labour_sheet(&self, id: String) -> Result<LabourSheet> {
        match self.get_record(id.clone())? {
            AnyRecord::LabourSheet { sheet } => Ok(sheet),
            other => Err(wrong(&id, "labour_sheet", kind_of(&other)).into()),
        }
    }

    // ---------- expenses and progress ----------

    pub fn create_expense(&self, place: RecordPlace, expense: ExpenseInput) -> Result<Expense> {
        let s = self.live()?;
        block_on(async {
            let e = s.create_expense(convert::expense(&place, expense)?).await?;
            Ok(convert::expense_out(&e, s.media()))
        })
    }

    pub fn update_expense(&self, id: String, expense: ExpenseInput) -> Result<Expense> {
        let s = self.live()?;
        block_on(async {
            let place = RecordPlace { project_id: String::new(), site_id: String::new(), time_zone: None };
            let e = s.update_expense(&id, convert::expense(&place, expense)?).await?;
            Ok(convert::expense_out(&e, s.media()))
        })
    }

    /// The project's expense categories (its reference data's, or the default list).
    pub fn expense_categories(&self, project_id: String) -> Result<Vec<ExpenseCategory>> {
        let s = self.live()?;
        block_on(async {
            let reference = s.reference_data(project_id.trim()).await?;
            Ok(rs::reference::ExpenseCategories::of(reference.as_deref())
                .list()
                .iter()
                .map(convert::category_out)
                .collect())
        })
    }

    pub fn get_expense(&self, id: String) -> Result<Expense> {
        match self.get_record(id.clone())? {
            AnyRecord::Expense { expense } => Ok(expense),
            other => Err(wrong(&id, "expense", kind_of(&other)).into()),
        }
    }

    pub fn create_progress_report(&self, place: RecordPlace, report: ProgressInput) -> Result<ProgressReport> {
        let s = self.live()?;
        block_on(async {
            let p = s.create_progress_report(convert::progress(&place, report)?).await?;
            Ok(convert::progress_out(&p, s.media()))
        })
    }

    pub fn update_progress_report(&self, id: String, report: ProgressInput) -> Result<ProgressReport> {
        let s = self.live()?;
        block_on(async {
            let place = RecordPlace { project_id: String::new(), site_id: String::new(), time_zone: None };
            let p = s.update_progress_report(&id, convert::progress(&place, report)?).await?;
            Ok(convert::progress_out(&p, s.media()))
        })
    }

    // ---------- wage advances (借支) ----------

    /// Records a wage advance handed to one worker; attach photos of the signed slip afterwards
    /// with `attach_photo`.
    pub fn create_wage_advance(&self, place: RecordPlace, advance: WageAdvanceInput) -> Result<WageAdvance> {
        let s = self.live()?;
        block_on(async {
            let a = s.create_wage_advance(convert::wage_advance(&place, advance)?).await?;
            Ok(convert::wage_advance_out(&a, s.media()))
        })
    }

    /// Replaces a wage advance's fields (its slips are kept).
    pub fn update_wage_advance(&self, id: String, advance: WageAdvanceInput) -> Result<WageAdvance> {
        let s = self.live()?;
        block_on(async {
            let place = RecordPlace { project_id: String::new(), site_id: String::new(), time_zone: None };
            let a = s.update_wage_advance(&id, convert::wage_advance(&place, advance)?).await?;
            Ok(convert::wage_advance_out(&a, s.media()))
        })
    }

    pub fn get_wage_advance(&self, id: String) -> Result<WageAdvance> {
        match self.get_record(id.clone())? {
            AnyRecord::WageAdvance { advance } => Ok(advance),
            other => Err(wrong(&id, "wage_advance", kind_of(&other)).into()),
        }
    }

    // ---------- field observations (现场问题) ----------

    /// Records a field observation (a safety, quality or delay issue seen on site); attach photos
    /// of it afterwards with `attach_photo`. The office follows it up: see `observation_status`.
    pub fn create_observation(&self, place: RecordPlace, observation: ObservationInput) -> Result<Observation> {
        let s = self.live()?;
        block_on(async {
            let o = s.create_observation(convert::observation(&place, observation)?).await?;
            Ok(convert::observation_out(&o, s.media()))
        })
    }

    /// Replaces an observation's fields (its photos are kept).
    pub fn update_observation(&self, id: String, observation: ObservationInput) -> Result<Observation> {
        let s = self.live()?;
        block_on(async {
            let place = RecordPlace { project_id: String::new(), site_id: String::new(), time_zone: None };
            let o = s.update_observation(&id, convert::observation(&place, observation)?).await?;
            Ok(convert::observation_out(&o, s.media()))
        })
    }

    pub fn get_observation(&self, id: String) -> Result<Observation> {
        match self.get_record(id.clone())? {
            AnyRecord::Observation { observation } => Ok(observation),
            other => Err(wrong(&id, "observation", kind_of(&other)).into()),
        }
    }

    /// What the office did about an observation (assigned, due, closed, raised as a risk), as of
    /// the last sync; `Open` with no events until the office touches it.
    pub fn observation_status(&self, id: String) -> Result<ObservationStatus> {
        let s = self.live()?;
        block_on(async { Ok(convert::observation_status(s.follow_up(&id).await?.as_ref())) })
    }

    // ---------- day logs (施工日志) ----------

    /// Starts the day log of a site and day: weather, temperatures, notes, visitors and delays.
    /// One per site and day on this phone: a second one is refused (`InvalidInput` naming `date`;
    /// edit the one `day_log_for` finds instead). Prefill the weather from `last_weather`.
    pub fn create_day_log(&self, place: RecordPlace, log: DayLogInput) -> Result<DayLog> {
        let s = self.live()?;
        block_on(async {
            let l = s.create_day_log(convert::day_log(&place, log)?).await?;
            Ok(convert::day_log_out(&l))
        })
    }

    /// Replaces a day log's fields. Visitors and delays given with their ids are kept (and merge
    /// with other phones' edits), those without an id are added, those left out are removed.
    pub fn update_day_log(&self, id: String, log: DayLogInput) -> Result<DayLog> {
        let s = self.live()?;
        block_on(async {
            let place = RecordPlace { project_id: String::new(), site_id: String::new(), time_zone: None };
            let l = s.update_day_log(&id, convert::day_log(&place, log)?).await?;
            Ok(convert::day_log_out(&l))
        })
    }

    pub fn get_day_log(&self, id: String) -> Result<DayLog> {
        match self.get_record(id.clone())? {
            AnyRecord::DayLog { log } => Ok(log),
            other => Err(wrong(&id, "day_log", kind_of(&other)).into()),
        }
    }

    /// The site's day log of `date` (`YYYY-MM-DD`), or `None` when it has none yet on this phone.
    pub fn day_log_for(&self, project_id: String, site_id: String, date: String) -> Result<Option<DayLog>> {
        let s = self.live()?;
        block_on(async {
            let date = convert::date("date", &date)?;
            match s.day_log_for(project_id.trim(), site_id.trim(), date).await? {
                Some(id) => match s.get(&id).await? {
                    record_schema::Record::DayLog(l) => Ok(Some(convert::day_log_out(&l))),
                    other => Err(wrong(&id, "day_log", other.kind())),
                },
                None => Ok(None),
            }
        })
    }

    /// The weather (conditions and temperatures) of the site's most recent day log that records
    /// any, for the app to prefill a new day's log; `None` when the site has none.
    pub fn last_weather(&self, project_id: String, site_id: String) -> Result<Option<LastWeather>> {
        let s = self.live()?;
        block_on(async {
            Ok(s.last_weather(project_id.trim(), site_id.trim()).await?.as_ref().map(convert::last_weather_out))
        })
    }

    /// The project's roster as published in its reference data (active workers: id, name, crew,
    /// trade); empty before the reference data arrives or while the office publishes none.
    pub fn roster(&self, project_id: String) -> Result<Vec<RosterWorker>> {
        let s = self.live()?;
        block_on(async {
            let reference = s.reference_data(project_id.trim()).await?;
            // Leavers stay in the reference data (records naming them stay valid) but are offered
            // for nothing new.
            let active = |r: &record_schema::ReferenceData| {
                r.workers.iter().filter(|w| !w.left).map(convert::roster_worker_out).collect()
            };
            Ok(reference.map(|r| active(&r)).unwrap_or_default())
        })
    }

    pub fn get_progress_report(&self, id: String) -> Result<ProgressReport> {
        match self.get_record(id.clone())? {
            AnyRecord::ProgressReport { report } => Ok(report),
            other => Err(wrong(&id, "progress_report", kind_of(&other)).into()),
        }
    }

    // ---------- any record ----------

    pub fn get_record(&self, id: String) -> Result<AnyRecord> {
        let s = self.live()?;
        block_on(async { Ok(convert::record_out(&s.get(&id).await?, s.media())) })
    }

    pub fn list_records(&self, filter: RecordFilter) -> Result<Vec<RecordSummary>> {
        let s = self.live()?;
        block_on(async {
            let f = store::RecordFilter {
                kind: filter.kind.map(convert::kind_in),
                project_id: filter.project_id,
                site_id: filter.site_id,
                date_from: convert::opt_date("date_from", filter.date_from.as_deref())?,
                date_to: convert::opt_date("date_to", filter.date_to.as_deref())?,
                include_voided: filter.include_voided,
            };
            let rows = s.list(&f).await?;
            Ok(rows
                .into_iter()
                .filter_map(|r| {
                    let kind = r.kind.parse::<rs::RecordKind>().ok().and_then(convert::kind_out)?;
                    Some(RecordSummary {
                        id: r.id,
                        kind,
                        project_id: r.project_id,
                        site_id: r.site_id,
                        date: r.record_date,
                        author: r.author,
                        subject: r.subject,
                        headcount: r.headcount,
                        total: r.total,
                        currency: r.currency,
                        line_count: r.line_count,
                        photo_count: r.photo_count,
                        conflict_count: r.conflict_count,
                        voided: r.voided,
                        updated_at_ms: r.updated_at_ms,
                    })
                })
                .collect())
        })
    }

    /// Voids a record (kept for the audit trail, no longer counted). `reason` is required.
    pub fn void_record(&self, id: String, reason: String) -> Result<()> {
        let s = self.live()?;
        block_on(s.void(&id, reason.trim()))
    }

    /// Deletes this store and its photos (sign-out). Refused with `UnsyncedData` while anything has
    /// not reached the server, unless `force`. The store is closed afterwards.
    pub fn wipe(&self, force: bool) -> Result<()> {
        let s = self.live()?;
        block_on(s.wipe(force))?;
        self.closed.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Closes the store; later calls fail with `CoreError::Closed`.
    pub fn close(&self) -> Result<()> {
        if !self.closed.swap(true, Ordering::SeqCst) {
            let s = self.store.clone();
            runtime()?.block_on(async move { s.close().await });
        }
        Ok(())
    }
}

impl FieldStore {
    fn live(&self) -> Result<Arc<Store>> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(CoreError::Closed);
        }
        Ok(self.store.clone())
    }

    async fn sheet_by_id(&self, s: &Store, id: Option<String>) -> std::result::Result<Option<LabourSheet>, Error> {
        let Some(id) = id else { return Ok(None) };
        match s.get(&id).await? {
            rs::Record::LabourSheet(sheet) => Ok(Some(convert::sheet_out(&sheet))),
            other => Err(wrong(&id, "labour_sheet", other.kind())),
        }
    }

    fn put_line(&self, sheet_id: String, line_id: String, line: CrewLineInput) -> Result<CrewLine> {
        let s = self.live()?;
        block_on(async {
            let line = convert::crew_line("line", line_id, line)?;
            let (saved, currency) = s.put_crew_line(&sheet_id, line).await?;
            Ok(convert::crew_line_out(&saved, currency))
        })
    }
}

fn wrong(id: &str, expected: &str, found: impl std::fmt::Display) -> Error {
    Error::WrongKind { id: id.to_string(), expected: expected.to_string(), found: found.to_string() }
}

fn kind_of(r: &AnyRecord) -> &'static str {
    match r {
        AnyRecord::LabourSheet { .. } => "labour_sheet",
        AnyRecord::Expense { .. } => "expense",
        AnyRecord::ProgressReport { .. } => "progress_report",
        AnyRecord::WageAdvance { .. } => "wage_advance",
        AnyRecord::Observation { .. } => "observation",
        AnyRecord::DayLog { .. } => "day_log",
    }
}

/// Parses an observation category as text (`safety`, `quality`, `delay`, `other`), for apps that
/// keep it as text; anything else is `InvalidInput` naming `field`.
#[uniffi::export]
pub fn parse_observation_category(field: String, text: String) -> Result<ObservationCategory> {
    Ok(convert::observation_category(&field, &text)?)
}

/// Parses a weather condition as text (`sunny`, `cloudy`, `overcast`, `light_rain`, `rain`,
/// `heavy_rain`, `snow`, `fog`, `windy`, `other`); anything else is `InvalidInput` naming `field`.
#[uniffi::export]
pub fn parse_weather_condition(field: String, text: String) -> Result<WeatherCondition> {
    Ok(convert::weather_condition(&field, &text)?)
}

/// Parses a delay cause as text (`weather`, `material`, `equipment`, `labour`, `design`, `owner`,
/// `inspection`, `other`); anything else is `InvalidInput` naming `field`.
#[uniffi::export]
pub fn parse_delay_cause(field: String, text: String) -> Result<DelayCause> {
    Ok(convert::delay_cause(&field, &text)?)
}

/// Parses a severity as text (`low`, `medium`, `high`, `critical`); anything else is
/// `InvalidInput` naming `field`.
#[uniffi::export]
pub fn parse_severity(field: String, text: String) -> Result<Severity> {
    Ok(convert::severity(&field, &text)?)
}

/// The default expense categories, of a project whose reference data defines none (see
/// `FieldStore.expense_categories` for a project's own).
#[uniffi::export]
pub fn expense_categories() -> Vec<String> {
    rs::reference::DEFAULT_EXPENSE_CATEGORIES.iter().map(|c| c.to_string()).collect()
}

/// Encodes reference data as the Automerge document the server would send. For tools and tests;
/// on a phone, reference data arrives by sync.
#[uniffi::export]
pub fn reference_document(data: ReferenceData) -> Result<Vec<u8>> {
    let r = convert::reference_in(data)?;
    let mut doc = automerge::AutoCommit::new();
    r.write(&mut doc).map_err(|e| Error::document(&rs::ReferenceData::document_id(&r.project_id), e))?;
    Ok(doc.save())
}

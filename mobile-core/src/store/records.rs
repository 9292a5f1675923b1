//! Records: reading and listing them (`get`, `list`, from the `records` index), the project's
//! reference data, a record's approval and an observation's follow-up, creating labour sheets,
//! expenses, progress reports, wage advances, observations and day logs (one per site and day), and editing and voiding them, each
//! through `Store::edit` (edit.rs).

use std::sync::Arc;

use automerge::AutoCommit;
use chrono::{NaiveDate, Utc};
use record_schema::now_ms;
use record_schema::record::{RecordHeader, Voided};
use record_schema::{
    CrewLine, DayLog, Expense, FollowUp, LabourSheet, Observation, ProgressReport, Record, RecordKind, ReferenceData,
    ValidationContext, WageAdvance,
};

use super::documents::{self, HotDoc};
use super::edit::DocOp;
use super::index::IndexRow;
use super::{Hot, Store, new_id, view};
use crate::error::{Error, Result};

/// Filter for `Store::list`.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub kind: Option<RecordKind>,
    pub project_id: Option<String>,
    pub site_id: Option<String>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub include_voided: bool,
}

/// One row of a record list, read from the index without opening documents.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordSummary {
    pub id: String,
    pub kind: String,
    pub project_id: String,
    pub site_id: String,
    pub record_date: String,
    pub author: String,
    pub subject: String,
    pub headcount: i64,
    pub total: Option<String>,
    pub currency: Option<String>,
    pub line_count: i64,
    pub photo_count: i64,
    pub conflict_count: i64,
    pub voided: bool,
    pub updated_at_ms: i64,
}

/// Fields of a new labour sheet; the store fills id, author and creation time.
#[derive(Debug, Clone)]
pub struct NewSheet {
    pub project_id: String,
    pub site_id: String,
    /// Empty: the site's, from the reference data (see `Store::time_zone`).
    pub time_zone: String,
    pub work_date: NaiveDate,
    pub currency: record_schema::Currency,
    pub note: Option<String>,
}

impl Store {
    // ---------- reading ----------

    pub async fn get(&self, id: &str) -> Result<Record> {
        let mut hot = self.hot.lock().await;
        let hd = self.checkout(&mut hot, id).await?;
        view(hd, id).cloned()
    }

    pub async fn list(&self, f: &RecordFilter) -> Result<Vec<RecordSummary>> {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT id, kind, project_id, site_id, record_date, author, subject, headcount, total, currency, \
             line_count, photo_count, conflict_count, voided, updated_at_ms FROM records WHERE 1 = 1",
        );
        if let Some(k) = f.kind {
            q.push(" AND kind = ").push_bind(k.as_str());
        }
        if let Some(p) = &f.project_id {
            q.push(" AND project_id = ").push_bind(p.clone());
        }
        if let Some(s) = &f.site_id {
            q.push(" AND site_id = ").push_bind(s.clone());
        }
        if let Some(d) = f.date_from {
            q.push(" AND record_date >= ").push_bind(d.to_string());
        }
        if let Some(d) = f.date_to {
            q.push(" AND record_date <= ").push_bind(d.to_string());
        }
        if !f.include_voided {
            q.push(" AND voided = 0");
        }
        q.push(" ORDER BY record_date DESC, created_at_ms DESC");
        Ok(q.build_query_as::<RecordSummary>().fetch_all(&self.pool).await?)
    }

    /// The project's reference data, once a sync has brought it.
    pub async fn reference_data(&self, project_id: &str) -> Result<Option<Arc<ReferenceData>>> {
        let mut hot = self.hot.lock().await;
        self.reference(&mut hot, project_id).await
    }

    pub(super) async fn reference(&self, hot: &mut Hot, project_id: &str) -> Result<Option<Arc<ReferenceData>>> {
        if let Some(r) = hot.references.get(project_id) {
            return Ok(r.clone());
        }
        let id = ReferenceData::document_id(project_id);
        let r = match documents::load(&self.pool, &id).await? {
            Some(doc) => Some(Arc::new(ReferenceData::read(&doc.doc).map_err(|e| Error::document(&id, e))?)),
            None => None,
        };
        hot.references.insert(project_id.to_string(), r.clone());
        Ok(r)
    }

    /// The record's approval document as synced from the server, and the record's current heads
    /// (hex, sorted), to tell whether the decisions are about this version.
    pub async fn approval(&self, record_id: &str) -> Result<(Option<record_schema::Approval>, Vec<String>)> {
        let mut hot = self.hot.lock().await;
        let mut heads: Vec<String> =
            self.checkout(&mut hot, record_id).await?.doc.get_heads().iter().map(ToString::to_string).collect();
        heads.sort();
        let id = record_schema::Approval::document_id(record_id);
        let approval = match documents::load(&self.pool, &id).await? {
            Some(doc) => Some(record_schema::Approval::read(&doc.doc).map_err(|e| Error::document(&id, e))?),
            None => None,
        };
        Ok((approval, heads))
    }

    /// The office's follow-up of an observation as synced from the server (`follow_up:<id>`);
    /// `None` until the office has touched it. The record itself must be on this phone.
    pub async fn follow_up(&self, record_id: &str) -> Result<Option<FollowUp>> {
        match self.get(record_id).await? {
            Record::Observation(_) => {}
            other => return Err(wrong_kind(record_id, RecordKind::Observation, other.kind())),
        }
        let id = FollowUp::document_id(record_id);
        match documents::load(&self.pool, &id).await? {
            Some(doc) => Ok(Some(FollowUp::read(&doc.doc).map_err(|e| Error::document(&id, e))?)),
            None => Ok(None),
        }
    }

    /// The most recent sheet of a site before `date` (any date if `None`), the usual source for
    /// "same crews as yesterday".
    pub async fn latest_sheet_before(
        &self,
        project_id: &str,
        site_id: &str,
        date: Option<NaiveDate>,
    ) -> Result<Option<String>> {
        // Dates are stored as YYYY-MM-DD, so text order is date order and '9' follows every year.
        let before = date.map_or_else(|| "9".to_string(), |d| d.to_string());
        Ok(sqlx::query_scalar(
            "SELECT id FROM records WHERE kind = 'labour_sheet' AND project_id = ? AND site_id = ? \
             AND record_date < ? AND voided = 0 ORDER BY record_date DESC, created_at_ms DESC LIMIT 1",
        )
        .bind(project_id)
        .bind(site_id)
        .bind(before)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The site's sheet of `date` (the newest, if two foremen each started one), not voided.
    pub async fn sheet_on(&self, project_id: &str, site_id: &str, date: NaiveDate) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM records WHERE kind = 'labour_sheet' AND project_id = ? AND site_id = ? \
             AND record_date = ? AND voided = 0 ORDER BY created_at_ms DESC LIMIT 1",
        )
        .bind(project_id)
        .bind(site_id)
        .bind(date.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The time zone a new record of `site_id` is kept in: `given`, if not empty, else the site's
    /// in the project's reference data. Validation then checks a given zone against the site's, so
    /// giving one only matters before the reference data has synced.
    pub async fn time_zone(&self, project_id: &str, site_id: &str, given: &str) -> Result<String> {
        if !given.trim().is_empty() {
            return Ok(given.trim().to_string());
        }
        let reference = self.reference_data(project_id).await?;
        match reference.as_deref().and_then(|r| r.site_time_zone(site_id)) {
            Some(tz) => Ok(tz.to_string()),
            None => Err(record_schema::ValidationError::new(
                "time_zone",
                match reference {
                    Some(_) => {
                        format!("is required: project {project_id}'s reference data does not list site {site_id:?}")
                    }
                    None => format!("is required until project {project_id}'s reference data has synced"),
                },
            )
            .into()),
        }
    }

    // ---------- creating ----------

    fn header(&self, project_id: &str, site_id: &str, time_zone: &str) -> RecordHeader {
        RecordHeader {
            id: new_id(),
            project_id: project_id.to_string(),
            site_id: site_id.to_string(),
            time_zone: time_zone.to_string(),
            author: self.author.clone(),
            created_at_ms: now_ms(),
            voided: None,
        }
    }

    pub async fn create_labour_sheet(&self, new: NewSheet) -> Result<LabourSheet> {
        let time_zone = self.time_zone(&new.project_id, &new.site_id, &new.time_zone).await?;
        let sheet = LabourSheet {
            header: self.header(&new.project_id, &new.site_id, &time_zone),
            work_date: new.work_date,
            currency: new.currency,
            lines: Vec::new(),
            note: new.note,
        };
        self.insert_record(Record::LabourSheet(sheet.clone())).await?;
        Ok(sheet)
    }

    /// A new sheet for `work_date` with the crews, trades, headcounts, hours, rates, cost codes,
    /// activities and named workers of `source`; what belongs to one day is not carried over (the
    /// sheet's and lines' notes), and the hours in a day's pay are the project's today. The foreman
    /// then changes what differs (`set_crew_lines`).
    ///
    /// A source this phone evicted (sync scopes) is `Error::RecordNotOnPhone`, not `NotFound`: the
    /// app fetches it (`fetch_record`) or copies by day (`copy_sheet_from_day`, which fetches).
    pub async fn start_sheet_from(&self, source_id: &str, work_date: NaiveDate) -> Result<LabourSheet> {
        let source = match self.get_sheet(source_id).await {
            Err(Error::NotFound { what, id }) => {
                return Err(if self.was_evicted(&id).await? {
                    Error::RecordNotOnPhone { id }
                } else {
                    Error::NotFound { what, id }
                });
            }
            other => other?,
        };
        let h = &source.header;
        let hours_per_day = ReferenceData::hours_per_day_of(self.reference_data(&h.project_id).await?.as_deref());
        let mut sheet = LabourSheet {
            header: self.header(&h.project_id, &h.site_id, &h.time_zone),
            work_date,
            currency: source.currency,
            lines: Vec::with_capacity(source.lines.len()),
            note: None,
        };
        for (i, l) in source.lines.iter().enumerate() {
            sheet.lines.push(CrewLine { id: new_id(), position: i as i64, note: None, hours_per_day, ..l.clone() });
        }
        self.insert_record(Record::LabourSheet(sheet.clone())).await?;
        Ok(sheet)
    }

    /// `expense.header` supplies project, site and time zone; id, author and times are filled here.
    /// Receipts are attached afterwards with `attach_photo`.
    pub async fn create_expense(&self, mut expense: Expense) -> Result<Expense> {
        let h = &expense.header;
        let time_zone = self.time_zone(&h.project_id, &h.site_id, &h.time_zone).await?;
        expense.header = self.header(&h.project_id, &h.site_id, &time_zone);
        expense.receipts.clear();
        self.insert_record(Record::Expense(expense.clone())).await?;
        Ok(expense)
    }

    pub async fn create_progress_report(&self, mut report: ProgressReport) -> Result<ProgressReport> {
        let h = &report.header;
        let time_zone = self.time_zone(&h.project_id, &h.site_id, &h.time_zone).await?;
        report.header = self.header(&h.project_id, &h.site_id, &time_zone);
        report.photos.clear();
        self.insert_record(Record::ProgressReport(report.clone())).await?;
        Ok(report)
    }

    /// A wage advance (借支): like an expense, `advance.header` supplies the place; slip photos are
    /// attached afterwards with `attach_photo`.
    pub async fn create_wage_advance(&self, mut advance: WageAdvance) -> Result<WageAdvance> {
        let h = &advance.header;
        let time_zone = self.time_zone(&h.project_id, &h.site_id, &h.time_zone).await?;
        advance.header = self.header(&h.project_id, &h.site_id, &time_zone);
        advance.slips.clear();
        self.insert_record(Record::WageAdvance(advance.clone())).await?;
        Ok(advance)
    }

    /// A field observation (现场问题): like an expense, `observation.header` supplies the place;
    /// photos are attached afterwards with `attach_photo`.
    pub async fn create_observation(&self, mut observation: Observation) -> Result<Observation> {
        let h = &observation.header;
        let time_zone = self.time_zone(&h.project_id, &h.site_id, &h.time_zone).await?;
        observation.header = self.header(&h.project_id, &h.site_id, &time_zone);
        observation.photos.clear();
        self.insert_record(Record::Observation(observation.clone())).await?;
        Ok(observation)
    }

    /// A day log (施工日志): like an expense, `log.header` supplies the place. One per site and day
    /// on this phone: a second one for a site and day that has one (not voided) is refused naming
    /// `date` (the server does not enforce this: two phones offline may each start one). Visitors
    /// and delays without an id get one; positions follow their order.
    pub async fn create_day_log(&self, mut log: DayLog) -> Result<DayLog> {
        let h = &log.header;
        let time_zone = self.time_zone(&h.project_id, &h.site_id, &h.time_zone).await?;
        log.header = self.header(&h.project_id, &h.site_id, &time_zone);
        number_day_log_entries(&mut log);
        let record = Record::DayLog(log.clone());
        let mut hot = self.hot.lock().await;
        self.refuse_second_day_log(&log, None).await?;
        self.insert_record_locked(&mut hot, record).await?;
        Ok(log)
    }

    /// Replaces a day log's fields (header kept). Visitors and delays keep the ids given (so an
    /// edit of one merges with another phone's edits of others), new ones get ids, those left out
    /// are removed. Moving it to a day the site already has a day log for is refused naming `date`.
    pub async fn update_day_log(&self, id: &str, mut new: DayLog) -> Result<DayLog> {
        number_day_log_entries(&mut new);
        let current = match self.get(id).await? {
            Record::DayLog(l) => l,
            other => return Err(wrong_kind(id, RecordKind::DayLog, other.kind())),
        };
        if current.date != new.date {
            self.refuse_second_day_log(&DayLog { header: current.header.clone(), ..new.clone() }, Some(id)).await?;
        }
        self.edit(id, None, |record, _| {
            let Record::DayLog(l) = record else {
                return Err(wrong_kind(id, RecordKind::DayLog, record.kind()));
            };
            *l = DayLog { header: l.header.clone(), ..new };
            let (written, out) = (l.clone(), l.clone());
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| written.write(doc));
            Ok((op, "update day log".to_string(), out))
        })
        .await
    }

    /// The site's day log of `date` (the oldest, if two phones each started one), not voided.
    pub async fn day_log_for(&self, project_id: &str, site_id: &str, date: NaiveDate) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM records WHERE kind = 'day_log' AND project_id = ? AND site_id = ? \
             AND record_date = ? AND voided = 0 ORDER BY created_at_ms, id LIMIT 1",
        )
        .bind(project_id)
        .bind(site_id)
        .bind(date.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The most recent day log of the site (not voided) that records any weather, for the app to
    /// prefill a new day's log with; `None` when the site has none.
    pub async fn last_weather(&self, project_id: &str, site_id: &str) -> Result<Option<DayLog>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM records WHERE kind = 'day_log' AND project_id = ? AND site_id = ? \
             AND voided = 0 ORDER BY record_date DESC, created_at_ms DESC LIMIT 20",
        )
        .bind(project_id)
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        for id in ids {
            if let Record::DayLog(l) = self.get(&id).await?
                && (l.weather_am.is_some()
                    || l.weather_pm.is_some()
                    || l.temp_low_c.is_some()
                    || l.temp_high_c.is_some())
            {
                return Ok(Some(l));
            }
        }
        Ok(None)
    }

    async fn refuse_second_day_log(&self, log: &DayLog, except: Option<&str>) -> Result<()> {
        let h = &log.header;
        match self.day_log_for(&h.project_id, &h.site_id, log.date).await? {
            Some(existing) if Some(existing.as_str()) != except => {
                Err(Error::Invalid(record_schema::ValidationError::new(
                    "date",
                    format!("site {} already has a day log for {} ({existing})", h.site_id, log.date),
                )))
            }
            _ => Ok(()),
        }
    }

    async fn insert_record(&self, record: Record) -> Result<()> {
        let mut hot = self.hot.lock().await;
        self.insert_record_locked(&mut hot, record).await
    }

    async fn insert_record_locked(&self, hot: &mut Hot, record: Record) -> Result<()> {
        self.validate(hot, &record).await?;
        let id = record.header().id.clone();
        let mut doc = AutoCommit::new().with_actor(self.actor.clone());
        record.write(&mut doc).map_err(|e| Error::document(&id, e))?;
        doc.commit_with(self.change_options(&format!("create {}", record.kind().as_str().replace('_', " "))));
        let mut hd = HotDoc { doc, persisted: Vec::new(), pending_count: 0, conflicts: 0, view: Some(record.clone()) };
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let written = documents::insert(&mut tx, &id, record.kind().as_str(), &mut hd, now).await?;
        IndexRow::of(&record).upsert(&mut tx, &id, 0, now).await?;
        // Made here: the device's holder owns it (sync scopes keep own records).
        sqlx::query("UPDATE records SET own = 1 WHERE id = ?").bind(&id).execute(&mut *tx).await?;
        tx.commit().await?;
        documents::committed(&mut hd, written);
        Self::remember(hot, id, hd);
        Ok(())
    }

    async fn validate(&self, hot: &mut Hot, record: &Record) -> Result<()> {
        let reference = self.reference(hot, &record.header().project_id).await?;
        Ok(record.validate(&ValidationContext::new(Utc::now(), reference.as_deref()))?)
    }

    // ---------- editing ----------

    pub(super) async fn get_sheet(&self, id: &str) -> Result<LabourSheet> {
        match self.get(id).await? {
            Record::LabourSheet(s) => Ok(s),
            other => Err(wrong_kind(id, RecordKind::LabourSheet, other.kind())),
        }
    }

    /// Changes a sheet's date or note (its lines are edited one by one).
    pub async fn update_sheet(&self, sheet_id: &str, work_date: NaiveDate, note: Option<String>) -> Result<()> {
        self.edit(sheet_id, None, |record, _| {
            let Record::LabourSheet(sheet) = record else {
                return Err(wrong_kind(sheet_id, RecordKind::LabourSheet, record.kind()));
            };
            sheet.work_date = work_date;
            sheet.note = note;
            let sheet = sheet.clone();
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| sheet.write(doc));
            Ok((op, "update labour sheet".to_string(), ()))
        })
        .await
    }

    /// Replaces an expense's fields; header and receipts are kept.
    pub async fn update_expense(&self, id: &str, new: Expense) -> Result<Expense> {
        self.edit(id, None, |record, _| {
            let Record::Expense(e) = record else { return Err(wrong_kind(id, RecordKind::Expense, record.kind())) };
            *e = Expense { header: e.header.clone(), receipts: e.receipts.clone(), ..new };
            let (written, out) = (e.clone(), e.clone());
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| written.write(doc));
            Ok((op, "update expense".to_string(), out))
        })
        .await
    }

    /// Replaces a wage advance's fields; header and slips are kept.
    pub async fn update_wage_advance(&self, id: &str, new: WageAdvance) -> Result<WageAdvance> {
        self.edit(id, None, |record, _| {
            let Record::WageAdvance(a) = record else {
                return Err(wrong_kind(id, RecordKind::WageAdvance, record.kind()));
            };
            *a = WageAdvance { header: a.header.clone(), slips: a.slips.clone(), ..new };
            let (written, out) = (a.clone(), a.clone());
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| written.write(doc));
            Ok((op, "update wage advance".to_string(), out))
        })
        .await
    }

    /// Replaces an observation's fields; header and photos are kept.
    pub async fn update_observation(&self, id: &str, new: Observation) -> Result<Observation> {
        self.edit(id, None, |record, _| {
            let Record::Observation(o) = record else {
                return Err(wrong_kind(id, RecordKind::Observation, record.kind()));
            };
            *o = Observation { header: o.header.clone(), photos: o.photos.clone(), ..new };
            let (written, out) = (o.clone(), o.clone());
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| written.write(doc));
            Ok((op, "update observation".to_string(), out))
        })
        .await
    }

    pub async fn update_progress_report(&self, id: &str, new: ProgressReport) -> Result<ProgressReport> {
        self.edit(id, None, |record, _| {
            let Record::ProgressReport(p) = record else {
                return Err(wrong_kind(id, RecordKind::ProgressReport, record.kind()));
            };
            *p = ProgressReport { header: p.header.clone(), photos: p.photos.clone(), ..new };
            let (written, out) = (p.clone(), p.clone());
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| written.write(doc));
            Ok((op, "update progress report".to_string(), out))
        })
        .await
    }

    /// Voids a record: it stays, for the audit trail, but no longer counts anywhere.
    pub async fn void(&self, id: &str, reason: &str) -> Result<()> {
        record_schema::validate::check_required("reason", reason)?;
        let voided = Voided { reason: reason.to_string(), by: self.author.clone(), at_ms: now_ms() };
        let summary = format!("void: {reason}");
        self.edit(id, None, |record, _| {
            record.header_mut().voided = Some(voided);
            let written = record.clone();
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| written.write(doc));
            Ok((op, summary, ()))
        })
        .await
    }
}

pub(super) fn wrong_kind(id: &str, expected: RecordKind, found: RecordKind) -> Error {
    Error::WrongKind { id: id.to_string(), expected: expected.to_string(), found: found.to_string() }
}

/// Gives visitors and delays without an id a new one, and positions in their order.
fn number_day_log_entries(log: &mut DayLog) {
    for (i, v) in log.visitors.iter_mut().enumerate() {
        if v.id.trim().is_empty() {
            v.id = new_id();
        }
        v.position = i as i64;
    }
    for (i, d) in log.delays.iter_mut().enumerate() {
        if d.id.trim().is_empty() {
            d.id = new_id();
        }
        d.position = i as i64;
    }
}

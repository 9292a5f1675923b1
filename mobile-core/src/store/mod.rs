//! The phone's record store: Automerge documents in a local SQLite file (WAL, fsync on commit), a
//! listable index of records, and photos waiting for upload. Every method that changes something
//! validates first and commits in one transaction, so bad input changes nothing and an acknowledged
//! write survives the app being killed.

mod documents;
mod index;
mod media;
mod presets;
mod schema;
mod sync;
mod upload;

pub use presets::CrewPreset;
pub use sync::{SyncError, SyncReport};
pub use upload::UploadReport;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use automerge::{ActorId, AutoCommit, ChangeHash};
use chrono::{NaiveDate, Utc};
use record_schema::conflicts::{FieldConflict, find_conflicts, resolve_conflict};
use record_schema::now_ms;
use record_schema::photo::add_photo;
use record_schema::record::{RecordHeader, Voided};
use record_schema::{
    CrewLine, Currency, Expense, LabourSheet, PhotoRef, ProgressReport, Record, RecordKind, ReferenceData, SchemaError,
    ValidationContext, ValidationError,
};
use sqlx::SqlitePool;
use tokio::sync::Mutex;

use crate::error::{Error, Result};
use crate::photo::{self, IngestOptions, PhotoError};
use documents::{HotDoc, Pending, Written};
use index::IndexRow;
pub use media::MediaDir;
pub use schema::supported_format;

/// Documents kept parsed in memory; beyond this the least recently opened are dropped.
const HOT_DOCS: usize = 128;

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
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for RecordSummary {
    fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(RecordSummary {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            project_id: row.try_get("project_id")?,
            site_id: row.try_get("site_id")?,
            record_date: row.try_get("record_date")?,
            author: row.try_get("author")?,
            subject: row.try_get("subject")?,
            headcount: row.try_get("headcount")?,
            total: row.try_get("total")?,
            currency: row.try_get("currency")?,
            line_count: row.try_get("line_count")?,
            photo_count: row.try_get("photo_count")?,
            conflict_count: row.try_get("conflict_count")?,
            voided: row.try_get("voided")?,
            updated_at_ms: row.try_get("updated_at_ms")?,
        })
    }
}

/// A photo whose original has not reached the server yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    pub sha256: String,
    pub path: PathBuf,
    pub mime: String,
    pub byte_size: u64,
    pub record_ids: Vec<String>,
}

/// What an import did to the local copy of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub id: String,
    pub kind: RecordKind,
    /// False when the bytes held nothing new.
    pub changed: bool,
    pub conflict_count: i64,
}

/// Where a photo came from, when the app knows better than the file's EXIF.
#[derive(Debug, Clone, Default)]
pub struct PhotoContext {
    pub captured_at_ms: Option<i64>,
    pub location: Option<record_schema::GeoPoint>,
}

/// Fields of a new labour sheet; the store fills id, author and creation time.
#[derive(Debug, Clone)]
pub struct NewSheet {
    pub project_id: String,
    pub site_id: String,
    pub time_zone: String,
    pub work_date: NaiveDate,
    pub currency: record_schema::Currency,
    pub note: Option<String>,
}

#[derive(Default)]
pub(crate) struct Hot {
    docs: HashMap<String, HotDoc>,
    /// Opening order, oldest first, to bound `docs`.
    order: Vec<String>,
    /// Parsed reference data per project; `None` cached too (no sync yet), cleared on import.
    references: HashMap<String, Option<Arc<ReferenceData>>>,
}

pub struct Store {
    path: PathBuf,
    pool: SqlitePool,
    media: MediaDir,
    actor: ActorId,
    author: String,
    hot: Mutex<Hot>,
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Store {
    /// Opens the store at `path` (created if missing) for `author`, the person using this phone.
    pub async fn open(path: impl AsRef<Path>, author: &str) -> Result<Self> {
        record_schema::validate::check_required("author", author)?;
        let path = path.as_ref().to_path_buf();
        let pool = schema::open_pool(&path).await?;
        let media = MediaDir::beside(&path);
        media.ensure()?;
        let actor = Self::actor(&pool).await?;
        Ok(Store { path, pool, media, actor, author: author.to_string(), hot: Mutex::new(Hot::default()) })
    }

    /// This store's Automerge actor: fixed per store file, so its edits are told apart from other phones'.
    async fn actor(pool: &SqlitePool) -> Result<ActorId> {
        let existing: Option<String> =
            sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'actor'").fetch_optional(pool).await?;
        let hex_id = match existing {
            Some(a) => a,
            None => {
                let a = hex::encode(uuid::Uuid::new_v4().as_bytes());
                sqlx::query("INSERT INTO store_meta (key, value) VALUES ('actor', ?)").bind(&a).execute(pool).await?;
                a
            }
        };
        let bytes = hex::decode(&hex_id).map_err(|e| Error::Internal(format!("store actor id: {e}")))?;
        Ok(ActorId::from(bytes))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn media(&self) -> &MediaDir {
        &self.media
    }

    pub fn author(&self) -> &str {
        &self.author
    }

    /// Closes the database cleanly (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

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

    pub async fn conflicts(&self, id: &str) -> Result<Vec<FieldConflict>> {
        let mut hot = self.hot.lock().await;
        let doc = self.checkout(&mut hot, id).await?;
        find_conflicts(&doc.doc).map_err(|e| Error::document(id, e))
    }

    /// The project's reference data, once a sync has brought it.
    pub async fn reference_data(&self, project_id: &str) -> Result<Option<Arc<ReferenceData>>> {
        let mut hot = self.hot.lock().await;
        self.reference(&mut hot, project_id).await
    }

    async fn reference(&self, hot: &mut Hot, project_id: &str) -> Result<Option<Arc<ReferenceData>>> {
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

    /// The most recent sheet of a site before `date`, the usual source for "same crews as yesterday".
    pub async fn latest_sheet_before(
        &self,
        project_id: &str,
        site_id: &str,
        date: NaiveDate,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM records WHERE kind = 'labour_sheet' AND project_id = ? AND site_id = ? \
             AND record_date < ? AND voided = 0 ORDER BY record_date DESC, created_at_ms DESC LIMIT 1",
        )
        .bind(project_id)
        .bind(site_id)
        .bind(date.to_string())
        .fetch_optional(&self.pool)
        .await?)
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
        let sheet = LabourSheet {
            header: self.header(&new.project_id, &new.site_id, &new.time_zone),
            work_date: new.work_date,
            currency: new.currency,
            lines: Vec::new(),
            note: new.note,
        };
        self.insert_record(Record::LabourSheet(sheet.clone())).await?;
        Ok(sheet)
    }

    /// A new sheet for `work_date` with the crews, headcounts, hours and rates of `source` (notes are
    /// not carried over). The foreman then adjusts what differs today.
    pub async fn start_sheet_from(&self, source_id: &str, work_date: NaiveDate) -> Result<LabourSheet> {
        let source = self.get_sheet(source_id).await?;
        let h = &source.header;
        let mut sheet = LabourSheet {
            header: self.header(&h.project_id, &h.site_id, &h.time_zone),
            work_date,
            currency: source.currency,
            lines: Vec::with_capacity(source.lines.len()),
            note: None,
        };
        for (i, l) in source.lines.iter().enumerate() {
            sheet.lines.push(CrewLine { id: new_id(), position: i as i64, note: None, ..l.clone() });
        }
        self.insert_record(Record::LabourSheet(sheet.clone())).await?;
        Ok(sheet)
    }

    /// `expense.header` supplies project, site and time zone; id, author and times are filled here.
    /// Receipts are attached afterwards with `attach_photo`.
    pub async fn create_expense(&self, mut expense: Expense) -> Result<Expense> {
        let h = &expense.header;
        expense.header = self.header(&h.project_id, &h.site_id, &h.time_zone);
        expense.receipts.clear();
        self.insert_record(Record::Expense(expense.clone())).await?;
        Ok(expense)
    }

    pub async fn create_progress_report(&self, mut report: ProgressReport) -> Result<ProgressReport> {
        let h = &report.header;
        report.header = self.header(&h.project_id, &h.site_id, &h.time_zone);
        report.photos.clear();
        self.insert_record(Record::ProgressReport(report.clone())).await?;
        Ok(report)
    }

    async fn insert_record(&self, record: Record) -> Result<()> {
        let mut hot = self.hot.lock().await;
        self.validate(&mut hot, &record).await?;
        let id = record.header().id.clone();
        let mut doc = AutoCommit::new().with_actor(self.actor.clone());
        record.write(&mut doc).map_err(|e| Error::document(&id, e))?;
        let mut hd = HotDoc { doc, persisted: Vec::new(), pending_count: 0, conflicts: 0, view: Some(record.clone()) };
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let written = documents::insert(&mut tx, &id, record.kind().as_str(), &mut hd, now).await?;
        IndexRow::of(&record).upsert(&mut tx, &id, 0, now).await?;
        tx.commit().await?;
        documents::committed(&mut hd, written);
        Self::remember(&mut hot, id, hd);
        Ok(())
    }

    async fn validate(&self, hot: &mut Hot, record: &Record) -> Result<()> {
        let reference = self.reference(hot, &record.header().project_id).await?;
        Ok(record.validate(&ValidationContext::new(Utc::now(), reference.as_deref()))?)
    }

    // ---------- editing ----------

    async fn get_sheet(&self, id: &str) -> Result<LabourSheet> {
        match self.get(id).await? {
            Record::LabourSheet(s) => Ok(s),
            other => Err(wrong_kind(id, RecordKind::LabourSheet, other.kind())),
        }
    }

    /// Adds (`line.id` empty) or replaces one crew line; other lines are untouched, so two phones
    /// editing different lines of one sheet merge cleanly.
    pub async fn put_crew_line(&self, sheet_id: &str, mut line: CrewLine) -> Result<(CrewLine, Currency)> {
        self.edit(sheet_id, None, |record, ctx| {
            let Record::LabourSheet(sheet) = record else {
                return Err(wrong_kind(sheet_id, RecordKind::LabourSheet, record.kind()));
            };
            // The line alone first, so errors name `line.hours` rather than its index in the sheet.
            line.validate("line", sheet.currency, ctx)?;
            match sheet.lines.iter_mut().find(|l| !line.id.is_empty() && l.id == line.id) {
                Some(existing) => {
                    line.position = existing.position;
                    *existing = line.clone();
                }
                None if line.id.is_empty() => {
                    line.id = new_id();
                    line.position = sheet.lines.iter().map(|l| l.position + 1).max().unwrap_or(0);
                    sheet.lines.push(line.clone());
                }
                None => return Err(Error::NotFound { what: "crew line", id: line.id.clone() }),
            }
            let currency = sheet.currency;
            let written = line.clone();
            let op: DocOp =
                Box::new(move |doc: &mut AutoCommit| LabourSheet::put_line(doc, currency, &written, now_ms()));
            Ok((op, (line, currency)))
        })
        .await
    }

    pub async fn remove_crew_line(&self, sheet_id: &str, line_id: &str) -> Result<()> {
        self.edit(sheet_id, None, |record, _| {
            let Record::LabourSheet(sheet) = record else {
                return Err(wrong_kind(sheet_id, RecordKind::LabourSheet, record.kind()));
            };
            let before = sheet.lines.len();
            sheet.lines.retain(|l| l.id != line_id);
            if sheet.lines.len() == before {
                return Err(Error::NotFound { what: "crew line", id: line_id.to_string() });
            }
            let line_id = line_id.to_string();
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| LabourSheet::remove_line(doc, &line_id, now_ms()));
            Ok((op, ()))
        })
        .await
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
            Ok((op, ()))
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
            Ok((op, out))
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
            Ok((op, out))
        })
        .await
    }

    /// Voids a record: it stays, for the audit trail, but no longer counts anywhere.
    pub async fn void(&self, id: &str, reason: &str) -> Result<()> {
        record_schema::validate::check_required("reason", reason)?;
        let voided = Voided { reason: reason.to_string(), by: self.author.clone(), at_ms: now_ms() };
        self.edit(id, None, |record, _| {
            record.header_mut().voided = Some(voided);
            let written = record.clone();
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| written.write(doc));
            Ok((op, ()))
        })
        .await
    }

    /// Settles a conflicted field by keeping one of its concurrent values (index into `values`).
    pub async fn resolve_conflict(&self, id: &str, path: &str, choice: u32) -> Result<()> {
        let mut hot = self.hot.lock().await;
        let hd = self.checkout(&mut hot, id).await?;
        let done = resolve_conflict(&mut hd.doc, path, choice as usize);
        if let Err(e) = done {
            hd.doc.rollback();
            return Err(match e {
                SchemaError::Malformed { field, reason } => Error::Invalid(ValidationError::new(field, reason)),
                other => Error::document(id, other),
            });
        }
        self.persist(&mut hot, id, None, None).await
    }

    /// The core of every edit: `change` mutates a copy of the current record (checking its input
    /// against the validation context) and returns the document operation plus what the caller wants
    /// back; the resulting record is validated whole, written, indexed (with an optional photo row)
    /// and committed. On any error the document and the database are left as they were.
    async fn edit<F, T>(&self, id: &str, photo: Option<&PhotoRow>, change: F) -> Result<T>
    where
        F: FnOnce(&mut Record, &ValidationContext<'_>) -> Result<(DocOp, T)>,
    {
        let mut hot = self.hot.lock().await;
        let mut next = {
            let hd = self.checkout(&mut hot, id).await?;
            view(hd, id)?.clone()
        };
        if next.header().voided.is_some() {
            return Err(Error::Voided { id: id.to_string() });
        }
        let reference = self.reference(&mut hot, &next.header().project_id).await?;
        let ctx = ValidationContext::new(Utc::now(), reference.as_deref());
        let (op, out) = change(&mut next, &ctx)?;
        if next.header().voided.is_none() {
            next.validate(&ctx)?;
        }
        let hd = self.checkout(&mut hot, id).await?;
        if let Err(e) = op(&mut hd.doc) {
            hd.doc.rollback();
            return Err(Error::document(id, e));
        }
        self.persist(&mut hot, id, Some(next), photo.map(|row| (row, id))).await?;
        Ok(out)
    }

    /// Writes what changed in the hot document `id` (plus a photo row), re-indexing it, in one
    /// transaction. On failure the in-memory copy is dropped so the next read reloads what is on disk.
    async fn persist(
        &self,
        hot: &mut Hot,
        id: &str,
        written: Option<Record>,
        photo: Option<(&PhotoRow, &str)>,
    ) -> Result<()> {
        let result = self.persist_inner(hot, id, written, photo).await;
        if result.is_err() {
            hot.docs.remove(id);
        }
        result
    }

    async fn persist_inner(
        &self,
        hot: &mut Hot,
        id: &str,
        written: Option<Record>,
        photo: Option<(&PhotoRow, &str)>,
    ) -> Result<()> {
        let hd = hot.docs.get_mut(id).ok_or_else(|| Error::Internal(format!("{id} not loaded")))?;
        // Local edits cannot create conflicts, only settle them: walk the document only if it had some.
        // Without conflicts, the document reads exactly as the record just written.
        let record = match written {
            Some(r) if hd.conflicts == 0 => {
                debug_assert_eq!(
                    Record::read(&hd.doc).ok().as_ref(),
                    Some(&r),
                    "written view differs from the document"
                );
                r
            }
            _ => {
                hd.conflicts = find_conflicts(&hd.doc).map_err(|e| Error::document(id, e))?.len() as i64;
                Record::read(&hd.doc).map_err(|e| Error::document(id, e))?
            }
        };
        let now = now_ms();
        let index = IndexRow::of(&record);
        let written = match (Pending::of(hd), photo) {
            // An ordinary edit: one call to SQLite's thread instead of four (see `append_indexed`).
            (Pending::Change(delta), None) => {
                self.append_indexed(id, &delta, &index, hd.conflicts, now).await?;
                Written::Change
            }
            (pending, photo) => {
                let mut tx = self.pool.begin().await?;
                let written = documents::write(&mut tx, id, pending, now).await?;
                index.upsert(&mut tx, id, hd.conflicts, now).await?;
                if let Some((row, record_id)) = photo {
                    row.insert(&mut tx, record_id, now).await?;
                }
                tx.commit().await?;
                written
            }
        };
        documents::committed(hd, written);
        hd.view = Some(record);
        Ok(())
    }

    /// Appends a change and rewrites the record's index row in one transaction, sent to SQLite's
    /// worker thread as one call: each statement sqlx sends is a round trip between threads,
    /// and the four of `BEGIN`, two writes and `COMMIT` cost more than the writes themselves.
    async fn append_indexed(&self, id: &str, delta: &[u8], index: &IndexRow, conflicts: i64, now: i64) -> Result<()> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("BEGIN IMMEDIATE; {}; {}; COMMIT", documents::APPEND_CHANGE, index::UPSERT));
        let mut conn = self.pool.acquire().await?;
        let query = sqlx::query(sqlx::AssertSqlSafe(SQL.as_str())).bind(id).bind(delta);
        let result = index.bind(query, id, conflicts, now).execute(&mut *conn).await;
        if let Err(e) = result {
            // The call stopped at the failing statement, possibly inside the transaction: undo
            // it (an error here only means no transaction was open).
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            return Err(e.into());
        }
        Ok(())
    }

    /// The hot copy of a document, loaded from disk if needed.
    async fn checkout<'h>(&self, hot: &'h mut Hot, id: &str) -> Result<&'h mut HotDoc> {
        if !hot.docs.contains_key(id) {
            let mut hd = documents::load(&self.pool, id)
                .await?
                .ok_or_else(|| Error::NotFound { what: "record", id: id.to_string() })?;
            hd.doc.set_actor(self.actor.clone());
            Self::remember(hot, id.to_string(), hd);
        }
        hot.docs.get_mut(id).ok_or_else(|| Error::Internal(format!("{id} not loaded")))
    }

    fn remember(hot: &mut Hot, id: String, hd: HotDoc) {
        hot.order.retain(|x| x != &id);
        while hot.order.len() >= HOT_DOCS {
            let old = hot.order.remove(0);
            hot.docs.remove(&old);
        }
        hot.order.push(id.clone());
        hot.docs.insert(id, hd);
    }

    // ---------- photos ----------

    /// Ingests the photo at `path` (hash, thumbnail, preview), keeps the original until it is uploaded,
    /// and adds it to an expense's receipts or a progress report's photos.
    pub async fn attach_photo(&self, record_id: &str, path: &Path, ctx: PhotoContext) -> Result<PhotoRef> {
        // Refuse early, before the expensive part, if the record cannot take photos.
        match self.get(record_id).await? {
            Record::LabourSheet(_) => {
                return Err(wrong_kind(record_id, RecordKind::Expense, RecordKind::LabourSheet));
            }
            r if r.header().voided.is_some() => return Err(Error::Voided { id: record_id.to_string() }),
            _ => {}
        }
        let media = self.media.clone();
        let path = path.to_path_buf();
        let (ingested, original) = tokio::task::spawn_blocking(move || ingest_and_keep(&media, &path))
            .await
            .map_err(|e| Error::Internal(format!("photo worker: {e}")))??;
        // Keep the original for upload, unless the server already has it (the same photo attached
        // again after it was uploaded): nothing would ever upload or free that copy.
        let uploaded: Option<Option<i64>> = sqlx::query_scalar("SELECT uploaded_at_ms FROM photos WHERE sha256 = ?")
            .bind(&ingested.sha256)
            .fetch_optional(&self.pool)
            .await?;
        if !matches!(uploaded, Some(Some(_))) {
            let target = self.media.original(&ingested.sha256);
            tokio::task::spawn_blocking(move || MediaDir::write_once(&target, &original))
                .await
                .map_err(|e| Error::Internal(format!("photo worker: {e}")))??;
        }
        let photo_ref = PhotoRef {
            sha256: ingested.sha256.clone(),
            byte_size: ingested.byte_size,
            width: ingested.width,
            height: ingested.height,
            mime: ingested.mime.to_string(),
            captured_at_ms: ctx.captured_at_ms.or(ingested.captured_at_ms).unwrap_or_else(now_ms),
            location: ctx.location.or(ingested.location),
            thumbnail_sha256: ingested.thumbnail_sha256.clone(),
        };
        photo_ref.validate("photo")?;
        let row = PhotoRow::of(&photo_ref);
        self.edit(record_id, Some(&row), |record, _| {
            match record {
                Record::Expense(e) => add_photo(&mut e.receipts, &photo_ref),
                Record::ProgressReport(p) => add_photo(&mut p.photos, &photo_ref),
                Record::LabourSheet(_) => {
                    return Err(wrong_kind(record_id, RecordKind::Expense, RecordKind::LabourSheet));
                }
            }
            let written = record.clone();
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| written.write(doc));
            Ok((op, ()))
        })
        .await?;
        Ok(photo_ref)
    }

    pub async fn pending_uploads(&self) -> Result<Vec<PendingUpload>> {
        let rows: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT p.sha256, p.mime, p.byte_size, group_concat(l.record_id) FROM photos p \
             LEFT JOIN photo_links l ON l.sha256 = p.sha256 WHERE p.uploaded_at_ms IS NULL \
             GROUP BY p.sha256 ORDER BY p.added_at_ms, p.sha256",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(sha256, mime, byte_size, ids)| PendingUpload {
                path: self.media.original(&sha256),
                record_ids: ids.map(|s| s.split(',').map(str::to_string).collect()).unwrap_or_default(),
                sha256,
                mime,
                byte_size: u64::try_from(byte_size).unwrap_or_default(),
            })
            .collect())
    }

    /// The server has the original: free the phone's copy (thumbnail and preview stay).
    pub async fn mark_photo_uploaded(&self, sha256: &str) -> Result<()> {
        let done = sqlx::query("UPDATE photos SET uploaded_at_ms = ? WHERE sha256 = ? AND uploaded_at_ms IS NULL")
            .bind(now_ms())
            .bind(sha256)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM photos WHERE sha256 = ?")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
            if known.is_none() {
                return Err(Error::NotFound { what: "photo", id: sha256.to_string() });
            }
        }
        MediaDir::remove(&self.media.original(sha256))
    }

    // ---------- sync hooks ----------

    pub async fn heads(&self, id: &str) -> Result<Vec<ChangeHash>> {
        let mut hot = self.hot.lock().await;
        Ok(self.checkout(&mut hot, id).await?.doc.get_heads())
    }

    /// The whole document, as an Automerge save.
    pub async fn export_document(&self, id: &str) -> Result<Vec<u8>> {
        let mut hot = self.hot.lock().await;
        Ok(self.checkout(&mut hot, id).await?.doc.save())
    }

    /// The changes made after `since` (heads from an earlier `heads` call); everything if empty.
    pub async fn export_changes(&self, id: &str, since: &[ChangeHash]) -> Result<Vec<u8>> {
        let mut hot = self.hot.lock().await;
        let hd = self.checkout(&mut hot, id).await?;
        for h in since {
            if hd.doc.get_change_by_hash(h).is_none() {
                return Err(Error::Invalid(ValidationError::new("since", format!("unknown change {h}"))));
            }
        }
        Ok(hd.doc.save_after(since))
    }

    /// Merges changes or a whole document (from another phone, or the server) into the local copy of
    /// document `id`, creating it if new. The merged result must still be a record (or reference data)
    /// this build reads; otherwise nothing is stored.
    pub async fn import_changes(&self, id: &str, bytes: &[u8]) -> Result<ImportOutcome> {
        record_schema::doc::check_automerge_chunks(bytes)
            .map_err(|e| Error::document(id, SchemaError::NotARecord(e)))?;
        let mut hot = self.hot.lock().await;
        self.merge(&mut hot, id, |doc| {
            doc.load_incremental(bytes).map_err(|e| Error::document(id, e))?;
            Ok(())
        })
        .await
    }

    /// Applies `apply` to a fork of document `id` (or to a new document), and keeps the result only if
    /// it is still a record (or reference data) this build reads, with its own id, and depends on
    /// nothing missing. The one gate for everything that arrives from elsewhere.
    pub(crate) async fn merge(
        &self,
        hot: &mut Hot,
        id: &str,
        apply: impl FnOnce(&mut AutoCommit) -> Result<()>,
    ) -> Result<ImportOutcome> {
        let existing = match self.checkout(hot, id).await {
            Ok(hd) => Some(hd),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let is_new = existing.is_none();
        // Merge into a fork, so a refused import leaves the hot copy untouched.
        let mut candidate = match existing {
            Some(hd) => hd.doc.fork(),
            None => AutoCommit::new(),
        };
        let before = candidate.get_heads();
        apply(&mut candidate)?;
        if candidate.get_heads() == before && is_new {
            // Nothing arrived for a document we do not have: nothing to keep.
            return Ok(ImportOutcome {
                id: id.to_string(),
                kind: RecordKind::LabourSheet,
                changed: false,
                conflict_count: 0,
            });
        }
        if !candidate.get_missing_deps(&[]).is_empty() {
            return Err(Error::document(
                id,
                SchemaError::NotARecord("these changes build on changes this phone does not have yet".into()),
            ));
        }
        candidate.set_actor(self.actor.clone());
        let kind = record_schema::doc::read_kind(&candidate).map_err(|e| Error::document(id, e))?;
        // A record holds only what its schema defines, within its bounds (the server checks the
        // same on sync); server-owned documents come from the server, which wrote them.
        if !kind.server_owned() {
            record_schema::shape::check(&candidate, kind).map_err(|e| Error::document(id, e))?;
        }
        let doc_id =
            record_schema::doc::get_str(&candidate, &automerge::ROOT, "id").map_err(|e| Error::document(id, e))?;
        if doc_id.as_deref() != Some(id) {
            return Err(Error::document(
                id,
                SchemaError::Malformed { field: "id".into(), reason: format!("the document says it is {doc_id:?}") },
            ));
        }
        let record = match kind {
            RecordKind::ReferenceData => {
                ReferenceData::read(&candidate).map_err(|e| Error::document(id, e))?;
                None
            }
            // A supervisor's decisions (server-owned): kept and synced, not indexed as a record.
            RecordKind::Approval => {
                record_schema::Approval::read(&candidate).map_err(|e| Error::document(id, e))?;
                None
            }
            _ => Some(Record::read(&candidate).map_err(|e| Error::document(id, e))?),
        };
        let changed = candidate.get_heads() != before;
        let conflicts = find_conflicts(&candidate).map_err(|e| Error::document(id, e))?.len() as i64;
        if changed {
            let now = now_ms();
            let mut tx = self.pool.begin().await?;
            let mut hd =
                HotDoc { doc: candidate, persisted: before, pending_count: 0, conflicts, view: record.clone() };
            let written = if is_new {
                documents::insert(&mut tx, id, kind.as_str(), &mut hd, now).await?
            } else {
                hd.pending_count = hot.docs.get(id).map(|h| h.pending_count).unwrap_or(0);
                documents::write(&mut tx, id, Pending::of(&mut hd), now).await?
            };
            if let Some(r) = &record {
                IndexRow::of(r).upsert(&mut tx, id, conflicts, now).await?;
            }
            tx.commit().await?;
            documents::committed(&mut hd, written);
            if let RecordKind::ReferenceData = kind {
                hot.references.clear();
            }
            Self::remember(hot, id.to_string(), hd);
        }
        Ok(ImportOutcome { id: id.to_string(), kind, changed, conflict_count: conflicts })
    }
}

/// The hot record's parsed view, read from the document on first use.
fn view<'h>(hd: &'h mut HotDoc, id: &str) -> Result<&'h Record> {
    if hd.view.is_none() {
        hd.view = Some(Record::read(&hd.doc).map_err(|e| Error::document(id, e))?);
    }
    hd.view.as_ref().ok_or_else(|| Error::Internal(format!("{id}: no view")))
}

type DocOp = Box<dyn FnOnce(&mut AutoCommit) -> Result<(), SchemaError> + Send>;

fn wrong_kind(id: &str, expected: RecordKind, found: RecordKind) -> Error {
    Error::WrongKind { id: id.to_string(), expected: expected.to_string(), found: found.to_string() }
}

/// Reads, ingests and keeps a photo's files (original, thumbnail, preview) in the media folder.
fn ingest_and_keep(media: &MediaDir, path: &Path) -> Result<(photo::IngestedPhoto, Vec<u8>)> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PhotoError::NotFound { path: shown.clone() },
        _ => PhotoError::Unreadable { path: shown.clone(), reason: e.to_string() },
    })?;
    let ingested = photo::ingest_bytes(&bytes, &IngestOptions::default())?;
    MediaDir::write_once(&media.thumbnail(&ingested.sha256), &ingested.thumbnail_jpeg)?;
    MediaDir::write_once(&media.preview(&ingested.sha256), &ingested.preview_jpeg)?;
    Ok((ingested, bytes))
}

struct PhotoRow {
    sha256: String,
    mime: String,
    byte_size: i64,
    width: i64,
    height: i64,
    captured_at_ms: i64,
    thumbnail_sha256: String,
}

impl PhotoRow {
    fn of(p: &PhotoRef) -> Self {
        PhotoRow {
            sha256: p.sha256.clone(),
            mime: p.mime.clone(),
            byte_size: p.byte_size as i64,
            width: i64::from(p.width),
            height: i64::from(p.height),
            captured_at_ms: p.captured_at_ms,
            thumbnail_sha256: p.thumbnail_sha256.clone(),
        }
    }

    async fn insert(&self, tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, record_id: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO photos (sha256, mime, byte_size, width, height, captured_at_ms, thumbnail_sha256, added_at_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&self.sha256)
        .bind(&self.mime)
        .bind(self.byte_size)
        .bind(self.width)
        .bind(self.height)
        .bind(self.captured_at_ms)
        .bind(&self.thumbnail_sha256)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query("INSERT INTO photo_links (sha256, record_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(&self.sha256)
            .bind(record_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

//! Generated versions of the daily reports (table `daily_reports`, migration 0022), the calendar of
//! days that have records, and the PDF cache (`daily_report_files`).
//!
//! A version is made only when the day's fingerprint moves: SHA-256 over the sorted sources (record
//! id, kind, heads, state, conflicts), the follow-up status of each observation and the photos that
//! reached the server. Equal fingerprints, equal reports: asking again returns the newest version.
//! Every version is kept with its model as JSON, so it renders the same whenever it is opened.
//!
//! Two generations of the same day at once: the version number is unique per day, so the second
//! insert fails; it then reads the day again and returns the winner when it holds the same, or
//! numbers its own after it when the records moved meanwhile.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::model::{DailyReport, DayCell, VersionInfo};
use super::{DailyReportError, assemble};
use crate::db::{Db, Tx, is_unique_violation, on_pool, on_tx};
use crate::state::AppState;
use crate::web::i18n::Lang;

/// A generated version.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    pub report: DailyReport,
    pub fingerprint: String,
}

/// The longest range the calendar answers, in days (a quarter).
pub const MAX_CALENDAR_DAYS: i64 = 92;

/// Generations of one day that may lose the race for the next version number before giving up.
const ATTEMPTS: usize = 8;

/// The fingerprint of what a report was made from (hex SHA-256): its sources, its observations'
/// follow-up statuses and which of its photos were uploaded, each sorted.
pub fn fingerprint(report: &DailyReport) -> String {
    let mut lines: Vec<String> = report
        .sources
        .iter()
        .map(|s| format!("s {} {} {} {} {}", s.record_id, s.kind, s.heads.join(","), s.state.as_str(), s.conflicts))
        .collect();
    lines.extend(report.observations.iter().map(|o| format!("f {} {}", o.record_id, o.follow_up)));
    let photos = report
        .progress
        .iter()
        .flat_map(|p| &p.photos)
        .chain(report.expenses.iter().flat_map(|e| &e.receipts))
        .chain(report.observations.iter().flat_map(|o| &o.photos));
    lines.extend(photos.filter(|p| p.uploaded).map(|p| format!("p {}", p.sha256)));
    lines.sort();
    lines.dedup();
    let mut h = Sha256::new();
    h.update(b"daily-report/1\n");
    for l in &lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The newest version of `site`'s `date` as the records stand now: a new version if anything the
/// fingerprint covers moved since the newest, else the newest. `None`: the day has no records.
pub async fn current(
    state: &AppState,
    project: &str,
    site: &str,
    date: NaiveDate,
) -> Result<Option<Stored>, DailyReportError> {
    Ok(generate(state, project, site, date, false).await?.map(|(s, _)| s))
}

/// `current`, and with `announce` the version is announced (`daily_report.ready` enqueued in the
/// transaction that inserts it, or that marks an unannounced newest version announced). Returns
/// the version and whether messages were enqueued (the caller wakes the delivery worker).
pub(crate) async fn generate(
    state: &AppState,
    project: &str,
    site: &str,
    date: NaiveDate,
    announce: bool,
) -> Result<Option<(Stored, bool)>, DailyReportError> {
    let db = &state.db;
    assemble::refresh(state, project).await?;
    for _ in 0..ATTEMPTS {
        let Some(mut report) = assemble::assemble(state, project, site, date).await? else { return Ok(None) };
        let print = fingerprint(&report);
        let newest = newest_row(db, project, site, date).await?;
        if let Some(row) = newest.as_ref().filter(|r| r.fingerprint == print) {
            let stored = row.stored()?;
            let sent =
                if announce && row.announced_at_ms.is_none() { announce_existing(db, &stored).await? } else { 0 };
            return Ok(Some((stored, sent > 0)));
        }
        report.version = newest.as_ref().map_or(1, |r| r.version + 1);
        report.generated_at_ms = record_schema::now_ms();
        let stored = Stored { id: uuid::Uuid::now_v7().to_string(), report, fingerprint: print };
        let mut tx = db.begin().await?;
        match insert(&mut tx, project, &stored, announce).await {
            Ok(()) => {}
            // Another generation took this number: read the day again.
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        let sent =
            if announce { crate::webhooks::enqueue(&mut tx, project, READY, ready_data(&stored)).await? } else { 0 };
        tx.commit().await?;
        return Ok(Some((stored, sent > 0)));
    }
    Err(DailyReportError::Busy)
}

/// The event a settled day's new version sends.
pub const READY: &str = "daily_report.ready";

/// `daily_report.ready`'s data.
pub fn ready_data(s: &Stored) -> serde_json::Value {
    let r = &s.report;
    let site = crate::web::urlencode(&r.site_id);
    json!({
        "project_id": r.project_id,
        "site_id": r.site_id,
        "site_name": r.site_name,
        "date": r.date,
        "version": r.version,
        "report_id": s.id,
        "records": r.sources.len(),
        "pending": r.sources.iter().filter(|s| s.state.awaits_decision()).count(),
        "headcount": r.labour_total.headcount,
        "man_days": r.labour_total.man_days,
        "web_path": format!("/web/daily-reports/{site}/{}", r.date),
        "pdf_path": format!("/v1/daily-reports/{site}/{}/pdf", r.date),
    })
}

async fn insert(tx: &mut Tx<'_>, project: &str, s: &Stored, announced: bool) -> Result<(), sqlx::Error> {
    let r = &s.report;
    let sources = serde_json::to_string(&r.sources).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let model = serde_json::to_string(r).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO daily_reports (id, project_id, site_id, report_date, version, fingerprint, records, sources, \
         model, generated_at_ms, announced_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )
    .bind(&s.id)
    .bind(project)
    .bind(&r.site_id)
    .bind(r.date.to_string())
    .bind(r.version)
    .bind(&s.fingerprint)
    .bind(r.sources.len() as i64)
    .bind(sources)
    .bind(model)
    .bind(r.generated_at_ms)
    .bind(announced.then_some(r.generated_at_ms))
    .execute(&mut *c)
    .await
    .map(drop))
}

/// Announces a version made unannounced (by a reader before the day settled): marks it and enqueues
/// the event in one transaction; the mark makes a second announcer a no-op. Returns the messages.
async fn announce_existing(db: &Db, s: &Stored) -> Result<usize, DailyReportError> {
    let mut tx = db.begin().await?;
    let marked = on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE daily_reports SET announced_at_ms = $1 WHERE id = $2 AND announced_at_ms IS NULL"
    )
    .bind(record_schema::now_ms())
    .bind(&s.id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    let sent = if marked == 1 {
        crate::webhooks::enqueue(&mut tx, &s.report.project_id, READY, ready_data(s)).await?
    } else {
        0
    };
    tx.commit().await?;
    Ok(sent)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    version: i64,
    fingerprint: String,
    model: String,
    announced_at_ms: Option<i64>,
}

impl Row {
    fn stored(&self) -> Result<Stored, DailyReportError> {
        let mut report: DailyReport = serde_json::from_str(&self.model)?;
        report.version = self.version;
        Ok(Stored { id: self.id.clone(), report, fingerprint: self.fingerprint.clone() })
    }
}

async fn newest_row(db: &Db, project: &str, site: &str, date: NaiveDate) -> Result<Option<Row>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_as(
        "SELECT id, version, fingerprint, model, announced_at_ms FROM daily_reports WHERE project_id = $1 \
         AND site_id = $2 AND report_date = $3 ORDER BY version DESC LIMIT 1"
    )
    .bind(project)
    .bind(site)
    .bind(date.to_string())
    .fetch_optional(p)
    .await)
}

/// Version `version` of the day, as generated.
pub async fn version(
    db: &Db,
    project: &str,
    site: &str,
    date: NaiveDate,
    version: i64,
) -> Result<Option<Stored>, DailyReportError> {
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, version, fingerprint, model, announced_at_ms FROM daily_reports WHERE project_id = $1 \
         AND site_id = $2 AND report_date = $3 AND version = $4"
    )
    .bind(project)
    .bind(site)
    .bind(date.to_string())
    .bind(version)
    .fetch_optional(p)
    .await?);
    row.map(|r| r.stored()).transpose()
}

/// The day's versions, newest first.
pub async fn versions(
    db: &Db,
    project: &str,
    site: &str,
    date: NaiveDate,
) -> Result<Vec<VersionInfo>, DailyReportError> {
    let rows: Vec<(String, i64, i64, i64, String)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, version, generated_at_ms, records, fingerprint FROM daily_reports WHERE project_id = $1 \
         AND site_id = $2 AND report_date = $3 ORDER BY version DESC"
    )
    .bind(project)
    .bind(site)
    .bind(date.to_string())
    .fetch_all(p)
    .await?);
    Ok(rows
        .into_iter()
        .map(|(id, version, generated_at_ms, records, fingerprint)| VersionInfo {
            id,
            version,
            generated_at_ms,
            records: usize::try_from(records).unwrap_or_default(),
            fingerprint,
        })
        .collect())
}

/// Checks a calendar range: `from` not after `to`, at most `MAX_CALENDAR_DAYS` days.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), DailyReportError> {
    if from > to {
        return Err(DailyReportError::BadInput("to", format!("{to} is before from {from}")));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_CALENDAR_DAYS {
        return Err(DailyReportError::BadInput(
            "to",
            format!("the range holds {days} days; at most {MAX_CALENDAR_DAYS} at a time"),
        ));
    }
    Ok(())
}

/// The days from `from` to `to` (inclusive) that have records, per site (`site`: that one only),
/// by date then site: how many records, how many wait for a decision, the newest version made.
pub async fn calendar(
    state: &AppState,
    project: &str,
    from: NaiveDate,
    to: NaiveDate,
    site: Option<&str>,
) -> Result<Vec<DayCell>, DailyReportError> {
    check_range(from, to)?;
    assemble::refresh(state, project).await?;
    let db = &state.db;
    let (from, to) = (from.to_string(), to.to_string());
    let records: Vec<(String, String, i64, i64)> = on_pool!(db, |p| sqlx::query_as(concat!(
        "SELECT site_id, record_date, COUNT(*), SUM(CASE WHEN queue_state = 'pending' THEN 1 ELSE 0 END) \
         FROM record_index WHERE project_id = $1 AND record_date >= $2 AND record_date <= $3 \
         AND site_id = COALESCE($4, site_id) AND voided = 0 AND damage IS NULL AND kind IN ",
        assemble::index_kinds!(),
        " GROUP BY site_id, record_date"
    ))
    .bind(project)
    .bind(&from)
    .bind(&to)
    .bind(site)
    .fetch_all(p)
    .await?);
    let observed: Vec<(String, String, i64)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT site_id, obs_date, COUNT(*) FROM observations WHERE project_id = $1 AND obs_date >= $2 \
         AND obs_date <= $3 AND site_id = COALESCE($4, site_id) AND voided = 0 GROUP BY site_id, obs_date"
    )
    .bind(project)
    .bind(&from)
    .bind(&to)
    .bind(site)
    .fetch_all(p)
    .await?);
    let made: Vec<(String, String, i64)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT site_id, report_date, MAX(version) FROM daily_reports WHERE project_id = $1 AND report_date >= $2 \
         AND report_date <= $3 AND site_id = COALESCE($4, site_id) GROUP BY site_id, report_date"
    )
    .bind(project)
    .bind(&from)
    .bind(&to)
    .bind(site)
    .fetch_all(p)
    .await?);
    let set = crate::reference::store::load(db, project).await?;
    let mut days: BTreeMap<(NaiveDate, String), DayCell> = BTreeMap::new();
    for (site, day, n, pending) in records {
        if let Some(c) = cell(&mut days, &set, site, &day) {
            c.records += n;
            c.pending += pending;
        }
    }
    for (site, day, n) in observed {
        if let Some(c) = cell(&mut days, &set, site, &day) {
            c.records += n;
        }
    }
    // Versions of days that have records now (a day whose records all went keeps its versions,
    // but is not a day with records).
    for (site, day, v) in made {
        if let Ok(date) = day.parse::<NaiveDate>()
            && let Some(c) = days.get_mut(&(date, site))
        {
            c.version = Some(v);
        }
    }
    Ok(days.into_values().collect())
}

/// The calendar's cell of `site` on `day` (`YYYY-MM-DD`), added empty when new.
fn cell<'a>(
    days: &'a mut BTreeMap<(NaiveDate, String), DayCell>,
    set: &crate::reference::ReferenceSet,
    site: String,
    day: &str,
) -> Option<&'a mut DayCell> {
    let date = day.parse::<NaiveDate>().ok()?;
    Some(days.entry((date, site.clone())).or_insert_with(|| DayCell {
        date,
        site_name: set.sites.iter().find(|s| s.id == site).map_or_else(|| site.clone(), |s| s.name.clone()),
        site_id: site,
        records: 0,
        pending: 0,
        version: None,
    }))
}

/// The PDF of `stored` in `lang`: from the cache, else rendered and kept (a version never changes,
/// so neither does its PDF).
pub async fn pdf_bytes(state: &AppState, stored: &Stored, lang: Lang) -> Result<Vec<u8>, DailyReportError> {
    let db = &state.db;
    let cached: Option<Vec<u8>> =
        on_pool!(db, |p| sqlx::query_scalar("SELECT bytes FROM daily_report_files WHERE report_id = $1 AND lang = $2")
            .bind(&stored.id)
            .bind(lang.tag())
            .fetch_optional(p)
            .await?);
    if let Some(bytes) = cached {
        return Ok(bytes);
    }
    let bytes = super::pdf::render(&state.blobs, &stored.report, lang).await.map_err(|e| match e {
        super::pdf::PdfFailure::NoFont(m) => DailyReportError::NoFont(m),
        super::pdf::PdfFailure::Render(m) => DailyReportError::Render(m),
    })?;
    // Two renderings at once keep the first; both are the same version's.
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO daily_report_files (report_id, lang, bytes, created_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (report_id, lang) DO NOTHING"
    )
    .bind(&stored.id)
    .bind(lang.tag())
    .bind(&bytes)
    .bind(record_schema::now_ms())
    .execute(p)
    .await
    .map(drop))?;
    Ok(bytes)
}

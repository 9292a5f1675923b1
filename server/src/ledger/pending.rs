//! Pending records: the record index (a cache of each record's place and current heads, refreshed
//! from the documents that moved) and the supervisors' pending list over it.

use record_schema::Record;
use serde::Serialize;

use super::LedgerError;
use super::store::{heads_hex, heads_of_text, heads_text};
use crate::cache::DocCache;
use crate::db::{Db, on_pool};
use crate::docstore::{self, DocStoreError, StoredDoc};

/// SQL (a string literal): the heads of record index row `r`'s standing approval (its latest
/// approval), NULL if it has none.
macro_rules! standing_heads {
    () => {
        "(SELECT a.heads FROM approval_decisions a WHERE a.record_id = r.record_id AND a.status = 'approved' \
         ORDER BY a.record_seq DESC LIMIT 1)"
    };
}

/// One record as listed for supervisors.
#[derive(Debug, Clone, Serialize)]
pub struct PendingRecord {
    pub id: String,
    pub kind: String,
    pub site_id: String,
    pub author: String,
    pub date: String,
    pub heads: Vec<String>,
    pub conflict_count: i64,
    pub voided: bool,
    /// `new` (never approved), `changed_since_approval`, or `damaged` (the stored document does
    /// not read as a record: see `damage`).
    pub status: String,
    pub approved_heads: Option<Vec<String>>,
    /// Why a damaged record does not read; `None` for every record that does.
    pub damage: Option<String>,
}

/// Filters of the pending list (all optional; dates inclusive, `YYYY-MM-DD`).
#[derive(Debug, Clone, Default)]
pub struct PendingFilter {
    pub site: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    pub author: Option<String>,
}

/// A document whose record index entry is missing or behind its version.
#[derive(sqlx::FromRow)]
struct StaleDoc {
    id: String,
    kind: String,
    version: i64,
}

/// Brings the record index of `project` up to date with the documents: only records whose document
/// version moved since they were indexed are read.
pub async fn refresh_index(db: &Db, cache: &DocCache, project: &str) -> Result<(), LedgerError> {
    let stale: Vec<StaleDoc> = on_pool!(db, |p| sqlx::query_as(
        "SELECT d.id, d.kind, d.version FROM documents d LEFT JOIN record_index r ON r.record_id = d.id \
         WHERE d.project_id = $1 AND d.kind IN ('labour_sheet', 'expense', 'progress_report') \
         AND (r.record_id IS NULL OR r.doc_version <> d.version)"
    )
    .bind(project)
    .fetch_all(p)
    .await?);
    for StaleDoc { id, kind, version } in stale {
        // One document that does not load or read must not take the queue down: it is listed as
        // damaged, with the reason, and the rest are indexed as usual.
        let (version, heads, read) = match docstore::load_hot(db, cache, &id).await {
            Ok(Some(mut stored)) => {
                let heads = heads_hex(&stored.doc.get_heads());
                let read = index_entry(&mut stored).map_err(|e| e.to_string());
                let version = stored.version;
                cache.put(stored);
                (version, heads, read)
            }
            Ok(None) => continue,
            // A document whose stored bytes do not load is damaged for good; a database error is
            // not the document's fault and fails the refresh, as before (it must not mark a good
            // record damaged until it next changes).
            Err(e @ DocStoreError::Damaged { .. }) => (version, Vec::new(), Err(e.to_string())),
            Err(e) => return Err(e.into()),
        };
        let (record, conflicts) = match read {
            Ok(r) => r,
            Err(damage) => {
                tracing::warn!(doc = %id, error = %damage, "record listed as damaged: it does not read as a record");
                index_damaged(db, project, &id, &kind, &heads, version, &damage).await?;
                continue;
            }
        };
        let h = record.header();
        let date = match &record {
            Record::LabourSheet(s) => s.work_date,
            Record::Expense(e) => e.date,
            Record::ProgressReport(p) => p.date,
        };
        on_pool!(db, |p| {
            sqlx::query(
            "INSERT INTO record_index (record_id, project_id, kind, site_id, author, record_date, heads, doc_version, \
             conflict_count, voided, indexed_at_ms, damage) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL) \
             ON CONFLICT (record_id) DO UPDATE SET kind = excluded.kind, site_id = excluded.site_id, author = excluded.author, \
             record_date = excluded.record_date, heads = excluded.heads, doc_version = excluded.doc_version, \
             conflict_count = excluded.conflict_count, voided = excluded.voided, indexed_at_ms = excluded.indexed_at_ms, \
             damage = NULL WHERE record_index.doc_version < excluded.doc_version"
        )
        .bind(&id)
        .bind(project)
        .bind(record.kind().as_str())
        .bind(&h.site_id)
        .bind(&h.author)
        .bind(date.to_string())
        .bind(heads_text(&heads))
        .bind(version)
        .bind(conflicts)
        .bind(i64::from(h.voided.is_some()))
        .bind(record_schema::now_ms())
        .execute(p)
        .await
        .map(drop)?
        });
    }
    Ok(())
}

/// Lists a document that does not read as a record: no site, author or date can be told, so
/// those are blank (a blank date sorts first: damage is seen before the day's work).
async fn index_damaged(
    db: &Db,
    project: &str,
    id: &str,
    kind: &str,
    heads: &[String],
    version: i64,
    damage: &str,
) -> Result<(), LedgerError> {
    // The reason is shown on a page: a bounded excerpt is enough.
    let damage: String = damage.chars().take(500).collect();
    on_pool!(db, |p| {
        sqlx::query(
            "INSERT INTO record_index (record_id, project_id, kind, site_id, author, record_date, heads, doc_version, \
             conflict_count, voided, indexed_at_ms, damage) VALUES ($1, $2, $3, '', '', '', $4, $5, 0, 0, $6, $7) \
             ON CONFLICT (record_id) DO UPDATE SET heads = excluded.heads, doc_version = excluded.doc_version, \
             indexed_at_ms = excluded.indexed_at_ms, damage = excluded.damage \
             WHERE record_index.doc_version < excluded.doc_version OR record_index.damage IS NULL",
        )
        .bind(id)
        .bind(project)
        .bind(kind)
        .bind(heads_text(heads))
        .bind(version)
        .bind(record_schema::now_ms())
        .bind(&damage)
        .execute(p)
        .await
        .map(drop)
    })?;
    Ok(())
}

/// The record and its count of conflicts.
fn index_entry(stored: &mut StoredDoc) -> Result<(Record, i64), LedgerError> {
    let record = Record::read(&stored.doc)?;
    let conflicts = record_schema::conflicts::find_conflicts(&stored.doc)?.len() as i64;
    Ok((record, conflicts))
}

/// Records of `project` whose current version awaits a decision: never approved, or changed since
/// the standing approval (and not rejected at that version since).
pub async fn pending(
    db: &Db,
    cache: &DocCache,
    project: &str,
    f: &PendingFilter,
) -> Result<Vec<PendingRecord>, LedgerError> {
    refresh_index(db, cache, project).await?;
    let rows: Vec<PendingRow> = on_pool!(db, |p| {
        sqlx::query_as(concat!(
        "SELECT r.record_id, r.kind, r.site_id, r.author, r.record_date, r.heads, r.conflict_count, r.voided, ",
        standing_heads!(), " AS approved_heads, r.damage \
         FROM record_index r \
         WHERE r.project_id = $1 AND r.kind = COALESCE($5, r.kind) \
         AND (r.damage IS NOT NULL OR (r.site_id = COALESCE($2, r.site_id) AND r.record_date >= COALESCE($3, r.record_date) \
         AND r.record_date <= COALESCE($4, r.record_date) AND r.author = COALESCE($6, r.author))) \
         AND NOT EXISTS (SELECT 1 FROM approval_decisions x WHERE x.record_id = r.record_id AND x.heads = r.heads \
           AND x.record_seq = (SELECT max(y.record_seq) FROM approval_decisions y WHERE y.record_id = r.record_id \
             AND (y.status = 'approved' OR y.heads = r.heads))) \
         ORDER BY r.record_date, r.record_id"
        ))
    .bind(project)
    .bind(&f.site)
    .bind(&f.from)
    .bind(&f.to)
    .bind(&f.kind)
    .bind(&f.author)
    .fetch_all(p)
    .await?
    });
    Ok(rows
        .into_iter()
        .map(|r| PendingRecord {
            id: r.record_id,
            kind: r.kind,
            site_id: r.site_id,
            author: r.author,
            date: r.record_date,
            heads: heads_of_text(&r.heads),
            conflict_count: r.conflict_count,
            voided: r.voided != 0,
            status: match (&r.damage, &r.approved_heads) {
                (Some(_), _) => "damaged",
                (None, Some(_)) => "changed_since_approval",
                (None, None) => "new",
            }
            .to_string(),
            approved_heads: r.approved_heads.map(|h| heads_of_text(&h)),
            damage: r.damage,
        })
        .collect())
}

/// A row of `pending`: a record index entry with the heads of its standing approval.
#[derive(sqlx::FromRow)]
struct PendingRow {
    record_id: String,
    kind: String,
    site_id: String,
    author: String,
    record_date: String,
    heads: String,
    conflict_count: i64,
    /// 0 or 1 (an integer on both backends).
    voided: i64,
    approved_heads: Option<String>,
    damage: Option<String>,
}

/// How many records under a filter are decided: all of them, and those whose current version is
/// the standing approval (the queue's counts beside the pending list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct DecidedCounts {
    pub total: i64,
    pub approved: i64,
}

/// The records of `project` under the filter, and those whose current version is the standing
/// approval. Reads the record index as it is: call `pending` (which refreshes it) first.
pub async fn decided_counts(db: &Db, project: &str, f: &PendingFilter) -> Result<DecidedCounts, LedgerError> {
    Ok(on_pool!(db, |p| {
        sqlx::query_as(concat!(
        "SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN ", standing_heads!(), " = r.heads THEN 1 ELSE 0 END), 0) AS approved \
         FROM record_index r \
         WHERE r.project_id = $1 AND r.site_id = COALESCE($2, r.site_id) AND r.record_date >= COALESCE($3, r.record_date) \
         AND r.record_date <= COALESCE($4, r.record_date) AND r.kind = COALESCE($5, r.kind) AND r.author = COALESCE($6, r.author)"
        ))
    .bind(project)
    .bind(&f.site)
    .bind(&f.from)
    .bind(&f.to)
    .bind(&f.kind)
    .bind(&f.author)
    .fetch_one(p)
    .await?
    }))
}

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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// When the document's current version arrived.
    updated_at_ms: i64,
}

/// How many documents of the re-index backlog (rows marked `doc_version = -1` by migration 0012)
/// a request indexes at most: the rest is left to the background task (`reindex_backlog`), and the
/// queue says how many remain instead of keeping the request waiting for all of them.
pub const REQUEST_BACKLOG_BATCH: usize = 200;

/// How many backlog documents the background task indexes per step.
pub const BACKGROUND_BACKLOG_BATCH: usize = 500;

/// SQL (a string literal): the documents of project `$1` whose record index entry is missing or
/// behind their version, joined to the entry `r` (`d` the document).
macro_rules! stale_docs {
    () => {
        "SELECT d.id, d.kind, d.version, d.updated_at_ms FROM documents d LEFT JOIN record_index r ON r.record_id = d.id \
         WHERE d.project_id = $1 AND d.kind IN ('labour_sheet', 'expense', 'progress_report', 'wage_advance', 'day_log') \
         AND (r.record_id IS NULL OR r.doc_version <> d.version) "
    };
}

/// SQL (a string literal, after `stale_docs!`): a backlog entry, marked for re-reading by
/// migration 0012 and whose document has not changed since it was last indexed (its place, heads
/// and decision state are exact; only its figures wait). Every other stale entry (missing, behind,
/// or a backlog entry whose document changed since, e.g. by sync) is indexed before any listing.
macro_rules! backlog_only {
    () => {
        "r.doc_version = -1 AND d.updated_at_ms <= r.indexed_at_ms"
    };
}

/// Brings the record index of `project` up to date with the documents: only records whose document
/// version moved since they were indexed are read. Every record changed since it was indexed is
/// indexed; of the backlog of migration 0012 at most `REQUEST_BACKLOG_BATCH` (less those), the rest
/// being the background task's. Returns how many backlog records remain to be indexed.
pub async fn refresh_index(db: &Db, cache: &DocCache, project: &str) -> Result<i64, LedgerError> {
    Ok(refresh_index_bounded(db, cache, project, REQUEST_BACKLOG_BATCH).await?.remaining)
}

/// What one bounded refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    /// Documents read (changed ones and backlog).
    pub indexed: usize,
    /// Backlog entries still to be indexed after this refresh.
    pub remaining: i64,
}

/// `refresh_index` with a budget: all the changed records, then backlog records (newest first)
/// until `budget` documents were read in all.
pub async fn refresh_index_bounded(
    db: &Db,
    cache: &DocCache,
    project: &str,
    budget: usize,
) -> Result<Refreshed, LedgerError> {
    let mut stale: Vec<StaleDoc> = on_pool!(db, |p| {
        sqlx::query_as(concat!(stale_docs!(), "AND NOT (r.record_id IS NOT NULL AND ", backlog_only!(), ")"))
            .bind(project)
            .fetch_all(p)
            .await?
    });
    let room = budget.saturating_sub(stale.len());
    let backlog: Vec<StaleDoc> = if room == 0 {
        Vec::new()
    } else {
        on_pool!(db, |p| {
            sqlx::query_as(concat!(
                stale_docs!(),
                "AND r.record_id IS NOT NULL AND ",
                backlog_only!(),
                " ORDER BY d.updated_at_ms DESC, d.id LIMIT $2"
            ))
            .bind(project)
            .bind(room as i64)
            .fetch_all(p)
            .await?
        })
    };
    // Fewer than asked for: the backlog is done once these are indexed.
    let backlog_done = backlog.len() < room;
    stale.extend(backlog);
    let indexed = stale.len();
    index_docs(db, cache, project, stale).await?;
    refresh_decided_since(db, project).await?;
    let remaining = if backlog_done { 0 } else { backlog_count(db, project).await? };
    Ok(Refreshed { indexed, remaining })
}

/// How many backlog entries of `project` wait to be indexed.
pub async fn backlog_count(db: &Db, project: &str) -> Result<i64, LedgerError> {
    Ok(on_pool!(db, |p| {
        sqlx::query_scalar(concat!(
            "SELECT COUNT(*) FROM documents d JOIN record_index r ON r.record_id = d.id \
             WHERE d.project_id = $1 AND d.kind IN ('labour_sheet', 'expense', 'progress_report', 'wage_advance', 'day_log') \
             AND r.doc_version <> d.version AND ",
            backlog_only!()
        ))
        .bind(project)
        .fetch_one(p)
        .await?
    }))
}

/// Indexes migration 0012's backlog of every project in bounded steps (started in the background
/// at server start, so the first queue view after the upgrade does not wait for it), logging the
/// progress. A step that indexes nothing ends a project (a document that vanished meanwhile).
pub async fn reindex_backlog(db: &Db, cache: &DocCache) -> Result<(), LedgerError> {
    let projects: Vec<String> = on_pool!(db, |p| {
        sqlx::query_scalar("SELECT DISTINCT project_id FROM record_index WHERE doc_version = -1 ORDER BY project_id")
            .fetch_all(p)
            .await?
    });
    for project in projects {
        let total = backlog_count(db, &project).await?;
        if total == 0 {
            continue;
        }
        tracing::info!(project = %project, records = total, "queue index: re-indexing records in the background");
        let started = std::time::Instant::now();
        let mut done = 0usize;
        loop {
            let step = refresh_index_bounded(db, cache, &project, BACKGROUND_BACKLOG_BATCH).await?;
            done += step.indexed;
            tracing::info!(project = %project, indexed = done, remaining = step.remaining, "queue index: progress");
            if step.remaining == 0 || step.indexed == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        tracing::info!(project = %project, indexed = done, seconds = started.elapsed().as_secs_f64(),
            "queue index: re-indexed");
    }
    // Also when there was nothing to do: tests wait for it before marking records themselves.
    tracing::info!("queue index: background re-index done");
    Ok(())
}

/// Reads `stale` documents into the record index (and their decision state).
async fn index_docs(db: &Db, cache: &DocCache, project: &str, stale: Vec<StaleDoc>) -> Result<(), LedgerError> {
    // The project's expense categories, read at the first expense.
    let mut categories: Option<Vec<record_schema::ExpenseCategory>> = None;
    for StaleDoc { id, kind, version, updated_at_ms } in stale {
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
                refresh_decisions(db, &id).await?;
                continue;
            }
        };
        let h = record.header();
        let date = record.date();
        if matches!(record, Record::Expense(_)) && categories.is_none() {
            categories = Some(super::expense_categories(db, cache, project).await?);
        }
        let sum = summary(&record, categories.as_deref().unwrap_or_default());
        on_pool!(db, |p| {
            sqlx::query(
            "INSERT INTO record_index (record_id, project_id, kind, site_id, author, record_date, heads, doc_version, \
             conflict_count, voided, indexed_at_ms, damage, currency, amount_minor, headcount, worker_days, line_count, \
             submitted_at_ms, time_zone, refs, problem) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, \
             $12, $13, $14, $15, $16, $17, $18, $19, $20) \
             ON CONFLICT (record_id) DO UPDATE SET kind = excluded.kind, site_id = excluded.site_id, author = excluded.author, \
             record_date = excluded.record_date, heads = excluded.heads, doc_version = excluded.doc_version, \
             conflict_count = excluded.conflict_count, voided = excluded.voided, indexed_at_ms = excluded.indexed_at_ms, \
             damage = NULL, currency = excluded.currency, amount_minor = excluded.amount_minor, \
             headcount = excluded.headcount, worker_days = excluded.worker_days, line_count = excluded.line_count, \
             submitted_at_ms = excluded.submitted_at_ms, time_zone = excluded.time_zone, refs = excluded.refs, \
             problem = excluded.problem WHERE record_index.doc_version < excluded.doc_version"
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
        .bind(sum.currency)
        .bind(sum.amount_minor)
        .bind(sum.headcount)
        .bind(sum.worker_days)
        .bind(sum.line_count)
        .bind(updated_at_ms)
        .bind(&h.time_zone)
        .bind(&sum.refs)
        .bind(&sum.problem)
        .execute(p)
        .await
        .map(drop)?
        });
        refresh_decisions(db, &id).await?;
    }
    Ok(())
}

/// SQL (a string literal): sets the decision state columns of the record index rows selected by
/// the `WHERE` that follows (see migration 0012): the standing approval's heads, the decision on
/// the current version (the latest decision that is an approval or of the current heads: when it
/// is of the current heads, the version is decided so; otherwise it awaits a decision), the tab
/// (`voided` for a voided record) and the latest decision on the current version.
macro_rules! set_decision_state {
    () => {
        "UPDATE record_index SET \
         approved_heads = (SELECT a.heads FROM approval_decisions a WHERE a.record_id = record_index.record_id \
           AND a.status = 'approved' ORDER BY a.record_seq DESC LIMIT 1), \
         decision = COALESCE((SELECT CASE WHEN x.heads = record_index.heads THEN x.status ELSE 'pending' END \
           FROM approval_decisions x WHERE x.record_id = record_index.record_id \
           AND (x.status = 'approved' OR x.heads = record_index.heads) ORDER BY x.record_seq DESC LIMIT 1), 'pending'), \
         decided_at_ms = (SELECT c.decided_at_ms FROM approval_decisions c WHERE c.record_id = record_index.record_id \
           AND c.heads = record_index.heads ORDER BY c.record_seq DESC LIMIT 1), \
         decided_by_name = (SELECT c.decided_by_name FROM approval_decisions c WHERE c.record_id = record_index.record_id \
           AND c.heads = record_index.heads ORDER BY c.record_seq DESC LIMIT 1), \
         decision_comment = (SELECT c.comment FROM approval_decisions c WHERE c.record_id = record_index.record_id \
           AND c.heads = record_index.heads ORDER BY c.record_seq DESC LIMIT 1) "
    };
}

/// After `set_decision_state`: the tab follows the decision (a damaged record awaits one; a voided
/// record has its own tab).
const SET_QUEUE_STATE: &str = "UPDATE record_index SET queue_state = CASE WHEN damage IS NOT NULL THEN 'pending' \
     WHEN voided <> 0 THEN 'voided' ELSE decision END WHERE record_id = $1";

/// Recomputes one record's decision state (after its document or its decisions moved).
async fn refresh_decisions(db: &Db, record_id: &str) -> Result<(), LedgerError> {
    on_pool!(db, |p| {
        sqlx::query(concat!(set_decision_state!(), "WHERE record_id = $1")).bind(record_id).execute(p).await?;
        sqlx::query(SET_QUEUE_STATE).bind(record_id).execute(p).await.map(drop)
    })?;
    Ok(())
}

/// Decisions within this long before the watermark are looked at again (a decision committed late,
/// with a time before one already seen, is not missed).
const DECISION_MARGIN_MS: i64 = 60 * 1000;

/// Recomputes the decision state of the records of `project` decided since the last refresh (by
/// the project's decisions index): the queue's tabs follow decisions taken anywhere (the JSON API,
/// another browser) without reading every record's decisions on each page.
async fn refresh_decided_since(db: &Db, project: &str) -> Result<(), LedgerError> {
    let mark: Option<i64> =
        on_pool!(db, |p| sqlx::query_scalar("SELECT decided_at_ms FROM queue_watermarks WHERE project_id = $1")
            .bind(project)
            .fetch_optional(p)
            .await?);
    let since = mark.map_or(i64::MIN, |m| m - DECISION_MARGIN_MS);
    let now = record_schema::now_ms();
    // One statement each for all the records decided since (index approval_decisions_by_project).
    on_pool!(db, |p| {
        sqlx::query(concat!(
            set_decision_state!(),
            "WHERE record_id IN (SELECT d.record_id FROM approval_decisions d WHERE d.project_id = $1 \
             AND d.decided_at_ms >= $2)"
        ))
        .bind(project)
        .bind(since)
        .execute(p)
        .await?;
        sqlx::query(
            "UPDATE record_index SET queue_state = CASE WHEN damage IS NOT NULL THEN 'pending' \
             WHEN voided <> 0 THEN 'voided' ELSE decision END WHERE record_id IN (SELECT d.record_id \
             FROM approval_decisions d WHERE d.project_id = $1 AND d.decided_at_ms >= $2)",
        )
        .bind(project)
        .bind(since)
        .execute(p)
        .await
        .map(drop)
    })?;
    let newest: Option<i64> = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT MAX(decided_at_ms) FROM approval_decisions WHERE project_id = $1 AND decided_at_ms >= $2"
    )
    .bind(project)
    .bind(since)
    .fetch_one(p)
    .await?);
    let mark = newest.unwrap_or(now).min(now);
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO queue_watermarks (project_id, decided_at_ms) VALUES ($1, $2) \
         ON CONFLICT (project_id) DO UPDATE SET decided_at_ms = excluded.decided_at_ms \
         WHERE queue_watermarks.decided_at_ms < excluded.decided_at_ms"
    )
    .bind(project)
    .bind(mark)
    .execute(p)
    .await
    .map(drop))?;
    Ok(())
}

/// The project's roster as published to its phones (`ReferenceData::workers`; empty: none
/// published), which the sync checks a record's `worker_id`s against as the phones do.
pub async fn published_roster(
    db: &Db,
    cache: &crate::cache::DocCache,
    project: &str,
) -> Result<Vec<record_schema::RosterWorker>, LedgerError> {
    Ok(super::decide::reference_data(db, cache, project).await?.map(|r| r.workers).unwrap_or_default())
}

/// A record's figures as the queue lists them (migration 0012's columns).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub currency: Option<String>,
    /// The total the ledger would post, in the currency's minor unit.
    pub amount_minor: Option<i64>,
    /// 人次: the sum of the crew lines' headcounts.
    pub headcount: Option<i64>,
    /// 工日: exact decimal text, as the ledger's person-days (hours ÷ 8, or days), summed.
    pub worker_days: Option<String>,
    pub line_count: Option<i64>,
    /// `c:<cost code>` and `a:<activity>`, one per line, each once.
    pub refs: String,
    /// Why the record fails approval's checks that do not need reference data.
    pub problem: Option<String>,
}

/// The figures of `record`: the same arithmetic as `postings::postings` (each line rounded once
/// to the currency, then summed; person-days exact, by each line's hours per day), whether or not
/// it is voided. `categories` are the project's expense categories (empty: the default list).
pub fn summary(record: &Record, categories: &[record_schema::ExpenseCategory]) -> Summary {
    use rust_decimal::Decimal;
    let mut refs: Vec<String> = Vec::new();
    let mut add = |r: String| {
        if !refs.contains(&r) {
            refs.push(r);
        }
    };
    let mut sum = match record {
        Record::LabourSheet(s) => {
            let mut days = Decimal::ZERO;
            for l in &s.lines {
                days += l.person_time().1;
                add(format!("c:{}", l.cost_code));
                if let Some(a) = &l.activity {
                    add(format!("a:{a}"));
                }
            }
            Summary {
                currency: Some(s.currency.code().to_string()),
                amount_minor: super::postings::to_minor(s.total_cost(), s.currency),
                headcount: Some(s.lines.iter().map(|l| l.headcount).sum()),
                worker_days: Some(days.normalize().to_string()),
                line_count: Some(s.lines.len() as i64),
                ..Summary::default()
            }
        }
        Record::Expense(e) => {
            add(format!("c:{}", e.cost_code));
            Summary {
                currency: Some(e.currency.code().to_string()),
                amount_minor: super::postings::to_minor(e.currency.round(e.amount), e.currency),
                ..Summary::default()
            }
        }
        Record::ProgressReport(p) => {
            add(format!("a:{}", p.activity));
            Summary::default()
        }
        // The amount handed over (it posts to the funds ledger, not to cost).
        Record::WageAdvance(a) => Summary {
            currency: Some(a.currency.code().to_string()),
            amount_minor: super::postings::to_minor(a.currency.round(a.amount), a.currency),
            headcount: Some(1),
            ..Summary::default()
        },
        // Its visitors as the headcount, its delays as lines; nothing posts.
        Record::DayLog(l) => Summary {
            headcount: Some(l.visitors.len() as i64),
            line_count: Some(l.delays.len() as i64),
            ..Summary::default()
        },
        // Followed up in the office, not approved: it never enters the queue (see the kinds above).
        Record::Observation(o) => {
            if let Some(a) = &o.activity {
                add(format!("a:{a}"));
            }
            Summary::default()
        }
    };
    sum.refs = refs.join("\n");
    sum.problem = record
        .validate(&record_schema::ValidationContext::new(chrono::Utc::now(), None).with_expense_categories(categories))
        .err()
        .map(|e| e.to_string().chars().take(500).collect());
    sum
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

/// The queue's tabs: each record is in one of pending / approved / rejected / voided (its
/// `queue_state`); changed-since-approval and conflicts are the pending records so marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Pending,
    Changed,
    Conflicts,
    Approved,
    Rejected,
    Voided,
}

impl Tab {
    pub const ALL: [Tab; 6] = [Tab::Pending, Tab::Changed, Tab::Conflicts, Tab::Approved, Tab::Rejected, Tab::Voided];

    pub fn key(self) -> &'static str {
        match self {
            Tab::Pending => "pending",
            Tab::Changed => "changed",
            Tab::Conflicts => "conflicts",
            Tab::Approved => "approved",
            Tab::Rejected => "rejected",
            Tab::Voided => "voided",
        }
    }

    pub fn parse(s: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.key() == s)
    }

    /// Whether the tab lists records awaiting a decision (they can be selected).
    pub fn awaits_decision(self) -> bool {
        matches!(self, Tab::Pending | Tab::Changed | Tab::Conflicts)
    }

    fn sql(self) -> &'static str {
        match self {
            Tab::Pending => "r.queue_state = 'pending'",
            Tab::Changed => "r.queue_state = 'pending' AND r.approved_heads IS NOT NULL",
            Tab::Conflicts => "r.queue_state = 'pending' AND r.conflict_count > 0",
            Tab::Approved => "r.queue_state = 'approved'",
            Tab::Rejected => "r.queue_state = 'rejected'",
            Tab::Voided => "r.queue_state = 'voided'",
        }
    }
}

/// The queue's sort keys (each backed by an index over project, tab and the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Date,
    Submitted,
    Amount,
    Author,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Date, Sort::Submitted, Sort::Amount, Sort::Author];

    pub fn key(self) -> &'static str {
        match self {
            Sort::Date => "date",
            Sort::Submitted => "submitted",
            Sort::Amount => "amount",
            Sort::Author => "author",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|t| t.key() == s)
    }

    fn column(self) -> &'static str {
        match self {
            Sort::Date => "r.record_date",
            Sort::Submitted => "r.submitted_at_ms",
            Sort::Amount => "r.amount_minor",
            Sort::Author => "r.author",
        }
    }
}

/// The queue's filters (all optional; dates inclusive, `YYYY-MM-DD`); the author matches any part
/// of the name, ignoring case.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub site: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    /// Any part of the author's name, ignoring case.
    pub author: Option<String>,
    /// One author exactly (the foreman picker).
    pub foreman: Option<String>,
}

impl QueueFilter {
    /// The author as a `LIKE` pattern: `%` and `_` typed by the user match themselves.
    fn author_pattern(&self) -> Option<String> {
        self.author.as_ref().map(|a| {
            let mut p = String::from("%");
            for ch in a.to_lowercase().chars() {
                if matches!(ch, '%' | '_' | '\\') {
                    p.push('\\');
                }
                p.push(ch);
            }
            p.push('%');
            p
        })
    }
}

impl QueueFilter {
    /// The filter's conditions over record index rows `r` (after `r.project_id = $1`), with their
    /// values in placeholder order from `$2`: only the filters given, so each query can use the
    /// indexes (project, tab, key). A damaged record has no site, date or author: it is listed
    /// when no site, date or author filter is set.
    fn sql(&self) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        let pattern = self.author_pattern();
        for (cond, value) in [
            ("r.kind = ", &self.kind),
            ("r.site_id = ", &self.site),
            ("r.record_date >= ", &self.from),
            ("r.record_date <= ", &self.to),
            ("r.author = ", &self.foreman),
            ("lower(r.author) LIKE ", &pattern),
        ] {
            if let Some(v) = value {
                binds.push(v.clone());
                sql.push_str(&format!(" AND {cond}${}", binds.len() + 1));
                if cond.contains("LIKE") {
                    sql.push_str(" ESCAPE '\\'");
                }
            }
        }
        (sql, binds)
    }
}

/// The columns of a `QueueRow`.
macro_rules! queue_columns {
    () => {
        "r.record_id, r.kind, r.site_id, r.author, r.record_date, r.heads, r.conflict_count, r.voided, r.damage, \
         r.currency, r.amount_minor, r.headcount, r.worker_days, r.line_count, r.submitted_at_ms, r.time_zone, r.refs, \
         r.problem, r.decision, r.queue_state, r.approved_heads, r.decided_at_ms, r.decided_by_name, r.decision_comment"
    };
}

/// A record as the queue lists it, read from the record index alone.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub record_id: String,
    pub kind: String,
    pub site_id: String,
    pub author: String,
    pub record_date: String,
    pub heads: String,
    pub conflict_count: i64,
    pub voided: i64,
    pub damage: Option<String>,
    pub currency: Option<String>,
    pub amount_minor: Option<i64>,
    pub headcount: Option<i64>,
    pub worker_days: Option<String>,
    pub line_count: Option<i64>,
    pub submitted_at_ms: i64,
    pub time_zone: String,
    pub refs: String,
    pub problem: Option<String>,
    pub decision: String,
    pub queue_state: String,
    pub approved_heads: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decision_comment: Option<String>,
}

impl QueueRow {
    pub fn heads(&self) -> Vec<String> {
        heads_of_text(&self.heads)
    }

    /// The total as a decimal in its currency (labour sheets and expenses).
    pub fn amount(&self) -> Option<(rust_decimal::Decimal, record_schema::Currency)> {
        let c: record_schema::Currency = self.currency.as_deref()?.parse().ok()?;
        Some((super::postings::from_minor(self.amount_minor?, c), c))
    }

    /// The cost codes and the activities the record posts to.
    pub fn refs(&self) -> (Vec<&str>, Vec<&str>) {
        let lines = self.refs.lines();
        let codes = lines.clone().filter_map(|l| l.strip_prefix("c:")).collect();
        let acts = lines.filter_map(|l| l.strip_prefix("a:")).collect();
        (codes, acts)
    }
}

/// How many records under the filter are in each tab.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TabCounts {
    pub pending: i64,
    pub changed: i64,
    pub conflicts: i64,
    pub approved: i64,
    pub rejected: i64,
    pub voided: i64,
}

impl TabCounts {
    pub fn of(&self, t: Tab) -> i64 {
        match t {
            Tab::Pending => self.pending,
            Tab::Changed => self.changed,
            Tab::Conflicts => self.conflicts,
            Tab::Approved => self.approved,
            Tab::Rejected => self.rejected,
            Tab::Voided => self.voided,
        }
    }
}

/// Counts stop here: a tab of a long history says "10,000+" instead of counting every row of it
/// on each page (the default view must not grow with history).
pub const COUNT_CAP: i64 = 10_000;

/// The counts of each tab state (each at most `COUNT_CAP + 1`).
#[derive(sqlx::FromRow)]
struct StateCounts {
    pending: i64,
    approved: i64,
    rejected: i64,
    voided: i64,
    changed: i64,
    conflicts: i64,
}

/// The counts of every tab under the filter, each an index-only range of (project, state, …)
/// stopped after `COUNT_CAP + 1` rows (more reads as "10,000+"). Reads the index as it is: refresh
/// it first.
pub async fn tab_counts(db: &Db, project: &str, f: &QueueFilter) -> Result<TabCounts, LedgerError> {
    let (cond, binds) = f.sql();
    let capped = |state: &str, extra: &str| {
        format!(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM record_index r WHERE r.project_id = $1 \
             AND r.queue_state = '{state}'{extra}{cond} LIMIT {}) t)",
            COUNT_CAP + 1
        )
    };
    let sql = format!(
        "SELECT {} AS pending, {} AS approved, {} AS rejected, {} AS voided, {} AS changed, {} AS conflicts",
        capped("pending", ""),
        capped("approved", ""),
        capped("rejected", ""),
        capped("voided", ""),
        capped("pending", " AND r.approved_heads IS NOT NULL"),
        capped("pending", " AND r.conflict_count > 0"),
    );
    let c: StateCounts = on_pool!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(project);
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_one(p).await?
    });
    Ok(TabCounts {
        pending: c.pending,
        changed: c.changed,
        conflicts: c.conflicts,
        approved: c.approved,
        rejected: c.rejected,
        voided: c.voided,
    })
}

/// One page of a tab under the filter, sorted (ties by record id, same direction).
#[allow(clippy::too_many_arguments)]
pub async fn queue_rows(
    db: &Db,
    project: &str,
    f: &QueueFilter,
    tab: Tab,
    sort: Sort,
    desc: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<QueueRow>, LedgerError> {
    let dir = if desc { "DESC" } else { "ASC" };
    let (cond, binds) = f.sql();
    let n = binds.len();
    let sql = format!(
        concat!(
            "SELECT ",
            queue_columns!(),
            " FROM record_index r WHERE r.project_id = $1 AND {tab}{cond} ORDER BY {col} {dir}, r.record_id {dir} \
             LIMIT ${l} OFFSET ${o}"
        ),
        tab = tab.sql(),
        cond = cond,
        col = sort.column(),
        dir = dir,
        l = n + 2,
        o = n + 3,
    );
    Ok(on_pool!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(project);
        for b in &binds {
            q = q.bind(b);
        }
        q.bind(limit).bind(offset).fetch_all(p).await?
    }))
}

/// The records of `project` with these ids, as the queue lists them (any order).
pub async fn queue_rows_by_id(db: &Db, project: &str, ids: &[String]) -> Result<Vec<QueueRow>, LedgerError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(200) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            concat!(
                "SELECT ",
                queue_columns!(),
                " FROM record_index r WHERE r.project_id = $1 AND r.record_id IN ({})"
            ),
            marks.join(", ")
        );
        let rows: Vec<QueueRow> = on_pool!(db, |p| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(project);
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// The project's authors, in name order (the foreman picker): a loose index scan over
/// `record_index_authors`, one probe per author however many records they wrote.
pub async fn authors(db: &Db, project: &str) -> Result<Vec<String>, LedgerError> {
    Ok(on_pool!(db, |p| sqlx::query_scalar(
        "WITH RECURSIVE a(author) AS ( \
           SELECT (SELECT r.author FROM record_index r WHERE r.project_id = $1 AND r.author > '' \
             ORDER BY r.author LIMIT 1) \
           UNION ALL \
           SELECT (SELECT r.author FROM record_index r WHERE r.project_id = $1 AND r.author > a.author \
             ORDER BY r.author LIMIT 1) FROM a WHERE a.author IS NOT NULL) \
         SELECT a.author FROM a WHERE a.author IS NOT NULL LIMIT 500"
    )
    .bind(project)
    .fetch_all(p)
    .await?))
}

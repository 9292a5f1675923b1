//! Decisions and postings in the database, on SQLite and PostgreSQL alike.
//!
//! A decision is one transaction: the record's decisions are read in one statement, the new one is
//! inserted with the next per-record sequence number (unique: a concurrent decider on the same
//! record fails and retries against the new state), and an approval appends the reversal of the
//! standing approval's postings and the new version's postings. Both tables refuse UPDATE and
//! DELETE (triggers). Afterwards the record's approval document is rewritten from the decisions, so
//! the decision reaches phones through sync.

use std::str::FromStr;

use automerge::{AutoCommit, ChangeHash};
use record_schema::{Approval, Currency, Decision, DecisionStatus, Record, RecordKind, ValidationContext};
use rust_decimal::Decimal;
use serde::Serialize;

use super::LedgerError;
use super::postings::{self, Posting, from_micro, from_minor, to_micro, to_minor};
use crate::cache::DocCache;
use crate::db::{Db, TokenGrant, Tx, on_pool};
use crate::docstore::{self, DocStoreError, OwnedWriteError, StoredDoc};

/// How often a decision is retried when another decider on the same record got in first.
pub const ATTEMPTS: usize = 8;

/// Kinds a supervisor decides on (the foremen's records).
pub fn is_record_kind(kind: &str) -> bool {
    kind.parse::<RecordKind>().is_ok_and(|k| !k.server_owned())
}

/// Heads as stored and shown: hex, sorted.
pub fn heads_hex(heads: &[ChangeHash]) -> Vec<String> {
    let mut h: Vec<String> = heads.iter().map(ToString::to_string).collect();
    h.sort();
    h
}

pub(crate) fn heads_text(heads: &[String]) -> String {
    heads.join(",")
}

pub(crate) fn heads_of_text(text: &str) -> Vec<String> {
    text.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// One decision, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRow {
    pub id: String,
    pub record_id: String,
    pub project_id: String,
    pub record_seq: i64,
    pub record_kind: String,
    pub status: String,
    pub heads: Vec<String>,
    pub comment: String,
    pub decided_by: String,
    pub decided_by_name: String,
    pub decided_by_role: String,
    pub request_id: Option<String>,
    /// For an approval: the approval it replaced in the ledgers (whose postings it reversed).
    pub replaces: Option<String>,
    pub decided_at_ms: i64,
}

type DecisionTuple = (
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
);

impl DecisionRow {
    fn from_tuple(t: DecisionTuple) -> Self {
        let (
            id,
            record_id,
            project_id,
            record_seq,
            record_kind,
            status,
            heads,
            comment,
            decided_by,
            decided_by_name,
            decided_by_role,
            request_id,
            replaces,
            decided_at_ms,
        ) = t;
        DecisionRow {
            id,
            record_id,
            project_id,
            record_seq,
            record_kind,
            status,
            heads: heads_of_text(&heads),
            comment,
            decided_by,
            decided_by_name,
            decided_by_role,
            request_id,
            replaces,
            decided_at_ms,
        }
    }

    pub fn status(&self) -> Option<DecisionStatus> {
        DecisionStatus::parse(&self.status)
    }

    fn is_approval(&self) -> bool {
        self.status() == Some(DecisionStatus::Approved)
    }
}

/// A record's decisions, oldest first, and what they add up to.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub decisions: Vec<DecisionRow>,
}

impl History {
    /// The approval standing in the ledgers: the newest approval.
    pub fn standing(&self) -> Option<&DecisionRow> {
        self.decisions.iter().rev().find(|d| d.is_approval())
    }

    pub fn latest(&self) -> Option<&DecisionRow> {
        self.decisions.last()
    }

    /// The newest decision that is an approval or is about `heads`: when it is about `heads`, the
    /// version at `heads` is decided (approved and standing, or rejected since the last approval).
    pub fn decided_at(&self, heads: &[String]) -> Option<&DecisionRow> {
        self.decisions.iter().rev().find(|d| d.is_approval() || d.heads == heads).filter(|d| d.heads == heads)
    }

    fn next_seq(&self) -> i64 {
        self.decisions.last().map_or(1, |d| d.record_seq + 1)
    }
}

/// Every decision on `record_id`, in one statement (one consistent snapshot on both backends).
pub async fn history(db: &Db, record_id: &str) -> Result<History, sqlx::Error> {
    let sql = "SELECT id, record_id, project_id, record_seq, record_kind, status, heads, comment, decided_by, \
               decided_by_name, decided_by_role, request_id, replaces, decided_at_ms \
               FROM approval_decisions WHERE record_id = $1 ORDER BY record_seq";
    let rows: Vec<DecisionTuple> = on_pool!(db, |p| sqlx::query_as(sql).bind(record_id).fetch_all(p).await?);
    Ok(History { decisions: rows.into_iter().map(DecisionRow::from_tuple).collect() })
}

/// A decision to take.
#[derive(Debug, Clone)]
pub struct DecideRequest {
    pub record_id: String,
    pub status: DecisionStatus,
    /// The version decided on: heads as hex, as the supervisor read them.
    pub heads: Vec<String>,
    pub comment: String,
    /// A client's key for this request: the same key again returns the first answer unchanged.
    pub request_id: Option<String>,
}

/// The answer to a decision: the same for a first request and for every repetition of it.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub decision: DecisionRow,
    /// Postings this decision appended, and how many of them reverse earlier ones.
    pub postings: i64,
    pub reversals: i64,
}

/// The record document `id` of `project` (a foreman's record), or `NoSuchRecord`.
pub async fn load_record(db: &Db, cache: &DocCache, project: &str, id: &str) -> Result<StoredDoc, LedgerError> {
    match docstore::load_hot(db, cache, id).await? {
        Some(s) if s.project_id == project && is_record_kind(&s.kind) => Ok(s),
        Some(s) => {
            cache.put(s);
            Err(LedgerError::NoSuchRecord(id.to_string()))
        }
        None => Err(LedgerError::NoSuchRecord(id.to_string())),
    }
}

/// The document as it was at `heads` (hex). Every hash must be a change of the document.
pub fn version_at(doc: &mut AutoCommit, heads: &[String]) -> Result<AutoCommit, LedgerError> {
    if heads.is_empty() {
        return Err(LedgerError::BadInput("heads", "name the version: one or more change hashes (hex)".into()));
    }
    let mut parsed = Vec::with_capacity(heads.len());
    let mut unknown = Vec::new();
    for h in heads {
        let hash = ChangeHash::from_str(h.trim())
            .map_err(|_| LedgerError::BadInput("heads", format!("{h:?} is not a change hash (64 hex digits)")))?;
        if doc.get_change_by_hash(&hash).is_none() {
            unknown.push(h.clone());
        }
        parsed.push(hash);
    }
    if !unknown.is_empty() {
        return Err(LedgerError::UnknownHeads(unknown));
    }
    doc.fork_at(&parsed).map_err(|e| LedgerError::Schema(e.into()))
}

/// Decides on one exact version of a record: see the module doc. Idempotent: approving the
/// standing version again, rejecting the version last rejected again, or repeating a request
/// (same `request_id`) returns the decision already taken and changes nothing.
pub async fn decide(db: &Db, cache: &DocCache, who: &TokenGrant, req: DecideRequest) -> Result<Outcome, LedgerError> {
    if req.status == DecisionStatus::Rejected && req.comment.trim().is_empty() {
        return Err(LedgerError::BadInput("comment", "say why the record is rejected: the foreman reads it".into()));
    }
    if req.comment.len() > 4000 {
        return Err(LedgerError::BadInput("comment", "is longer than 4000 bytes".into()));
    }
    if let Some(k) = &req.request_id
        && (k.trim().is_empty() || k.len() > 200)
    {
        return Err(LedgerError::BadInput("request_id", "1 to 200 bytes when given".into()));
    }
    // Only an approval is validated against the reference data.
    let reference = match req.status {
        DecisionStatus::Approved => reference_data(db, cache, &who.project_id).await?,
        DecisionStatus::Rejected => None,
    };
    let mut stored = load_record(db, cache, &who.project_id, &req.record_id).await?;
    let read = read_version(&mut stored.doc, &req, reference.as_ref());
    let kind = stored.kind.clone();
    cache.put(stored);
    let (heads, posts) = read?;
    for attempt in 0..ATTEMPTS {
        // A repeated request: the first answer, whatever happened since.
        if let Some(k) = &req.request_id
            && let Some(done) = by_request(db, who, k).await?
        {
            if done.record_id != req.record_id || done.heads != heads || done.status() != Some(req.status) {
                return Err(LedgerError::State(
                    "request_id",
                    format!("request {k:?} was already used for another decision"),
                ));
            }
            return finish(db, cache, done).await;
        }
        let history = history(db, &req.record_id).await?;
        // The same decision again: nothing to do.
        let same = match req.status {
            DecisionStatus::Approved => history.standing().filter(|d| d.heads == heads),
            DecisionStatus::Rejected => history.latest().filter(|d| !d.is_approval() && d.heads == heads),
        };
        if let Some(d) = same {
            // Keyed: the key now stands for this answer, so its retries keep getting it.
            let answer = match &req.request_id {
                Some(k) => remember(db, who, k, &d.id).await?.unwrap_or_else(|| d.clone()),
                None => d.clone(),
            };
            return finish(db, cache, answer).await;
        }
        if req.status == DecisionStatus::Rejected && history.standing().is_some_and(|d| d.heads == heads) {
            return Err(LedgerError::State(
                "heads",
                "this version is approved and stands in the ledgers; a standing approval is replaced by approving \
                 another version (void the record to take it out of the ledgers)"
                    .into(),
            ));
        }
        let row = DecisionRow {
            id: uuid::Uuid::now_v7().to_string(),
            record_id: req.record_id.clone(),
            project_id: who.project_id.clone(),
            record_seq: history.next_seq(),
            record_kind: kind.clone(),
            status: req.status.as_str().to_string(),
            heads: heads.clone(),
            comment: req.comment.clone(),
            decided_by: who.device_id.clone(),
            decided_by_name: who.device_name.clone(),
            decided_by_role: who.role.clone(),
            request_id: req.request_id.clone(),
            replaces: None,
            decided_at_ms: record_schema::now_ms(),
        };
        let row = match req.status {
            DecisionStatus::Approved => DecisionRow { replaces: history.standing().map(|d| d.id.clone()), ..row },
            DecisionStatus::Rejected => row,
        };
        let empty = Vec::new();
        let posts = if req.status == DecisionStatus::Approved { &posts } else { &empty };
        // The approval document as it will read with this decision, written in the same commit.
        let mut decided = history;
        decided.decisions.push(row.clone());
        let doc = approval_doc(db, cache, &row.project_id, &row.record_id, &decided).await?;
        match commit(db, &row, posts, Some(doc)).await {
            Ok(done) => {
                if let Some(stored) = done.approval {
                    cache.put(stored);
                }
                return Ok(Outcome { decision: row, postings: done.postings, reversals: done.reversals });
            }
            Err(e) if e.retryable() => {
                // Someone else decided on this record (or took this request id) first: look again.
                tokio::time::sleep(std::time::Duration::from_millis(5 * (attempt as u64 + 1))).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(LedgerError::Busy)
}

/// Reads the version at the requested heads: its canonical heads, and its postings. An approval
/// needs a valid record without concurrent values.
fn read_version(
    doc: &mut AutoCommit,
    req: &DecideRequest,
    reference: Option<&record_schema::ReferenceData>,
) -> Result<(Vec<String>, Vec<Posting>), LedgerError> {
    // The usual case, the version the supervisor just read is the current one: read the document
    // as it is (a fork at the heads would rebuild it change by change).
    let mut asked: Vec<String> = req.heads.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    asked.sort();
    let current = heads_hex(&doc.get_heads());
    let mut forked;
    let (version, heads): (&AutoCommit, Vec<String>) = if !asked.is_empty() && asked == current {
        (doc, current)
    } else {
        forked = version_at(doc, &req.heads)?;
        let heads = heads_hex(&forked.get_heads());
        (&forked, heads)
    };
    if req.status == DecisionStatus::Rejected {
        return Ok((heads, Vec::new()));
    }
    let record = Record::read(version)?;
    if record.header().id != req.record_id {
        return Err(LedgerError::BadInput("heads", "that version is of another record".into()));
    }
    let conflicts = record_schema::conflicts::find_conflicts(version)?;
    if !conflicts.is_empty() {
        return Err(LedgerError::Conflicts(conflicts));
    }
    // With reference data, a version posting to a cost code or activity the project does not
    // have is refused (the ledger would hold an amount no report line owns).
    record.validate(&ValidationContext::new(chrono::Utc::now(), reference)).map_err(LedgerError::Invalid)?;
    Ok((heads, postings::postings(&record)))
}

/// The project's reference data as the phones have it, if any was entered.
async fn reference_data(
    db: &Db,
    cache: &DocCache,
    project: &str,
) -> Result<Option<record_schema::ReferenceData>, LedgerError> {
    let id = record_schema::ReferenceData::document_id(project);
    let Some(stored) = docstore::load_hot(db, cache, &id).await? else { return Ok(None) };
    let read = record_schema::ReferenceData::read(&stored.doc);
    cache.put(stored);
    Ok(Some(read?))
}

/// The decision a keyed request was answered with.
async fn by_request(db: &Db, who: &TokenGrant, request_id: &str) -> Result<Option<DecisionRow>, sqlx::Error> {
    let sql = "SELECT d.id, d.record_id, d.project_id, d.record_seq, d.record_kind, d.status, d.heads, d.comment, \
               d.decided_by, d.decided_by_name, d.decided_by_role, d.request_id, d.replaces, d.decided_at_ms \
               FROM approval_requests r JOIN approval_decisions d ON d.id = r.decision_id \
               WHERE r.decided_by = $1 AND r.request_id = $2";
    let row: Option<DecisionTuple> =
        on_pool!(db, |p| sqlx::query_as(sql).bind(&who.device_id).bind(request_id).fetch_optional(p).await?);
    Ok(row.map(DecisionRow::from_tuple))
}

/// Records that `request_id` was answered with an earlier decision; returns what the key stands
/// for (the first answer, if a concurrent request with the same key got in first).
async fn remember(
    db: &Db,
    who: &TokenGrant,
    request_id: &str,
    decision_id: &str,
) -> Result<Option<DecisionRow>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO approval_requests (decided_by, request_id, decision_id, created_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (decided_by, request_id) DO NOTHING"
    )
    .bind(&who.device_id)
    .bind(request_id)
    .bind(decision_id)
    .bind(record_schema::now_ms())
    .execute(p)
    .await
    .map(drop)?);
    by_request(db, who, request_id).await
}

/// Unique violations (another decider took the sequence number or the request id) and SQLite's
/// busy snapshot are retried against the new state.
fn retryable(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| {
        d.is_unique_violation()
            || matches!(d.code().as_deref(), Some("5") | Some("517") | Some("40001") | Some("40P01"))
    })
}

/// Decodes a row of `POSTING_COLUMNS_SQL` (a macro: the row type differs between the backends).
macro_rules! stored_posting {
    ($r:expr) => {{
        use sqlx::Row as _;
        let r = $r;
        (|| -> Result<StoredPosting, sqlx::Error> {
            let bad = |field: &str, v: &str| sqlx::Error::Protocol(format!("ledger_postings.{field} holds {v:?}"));
            let ledger: String = r.try_get(4)?;
            let ledger = match ledger.as_str() {
                "cost" => postings::Ledger::Cost,
                "schedule" => postings::Ledger::Schedule,
                other => return Err(bad("ledger", other)),
            };
            let currency: Option<String> = r.try_get(18)?;
            let currency = currency.map(|c| Currency::from_str(&c).map_err(|_| bad("currency", &c))).transpose()?;
            let date: String = r.try_get(11)?;
            let work_date = chrono::NaiveDate::from_str(&date).map_err(|_| bad("work_date", &date))?;
            let percent: Option<i64> = r.try_get(23)?;
            let quantity: Option<i64> = r.try_get(24)?;
            let amount: i64 = r.try_get(19)?;
            Ok(StoredPosting {
                id: r.try_get(0)?,
                decision_id: r.try_get(1)?,
                entry: r.try_get(2)?,
                reverses: r.try_get(3)?,
                project_id: r.try_get(5)?,
                record_id: r.try_get(7)?,
                record_kind: r.try_get(8)?,
                heads: r.try_get(9)?,
                approved_by: r.try_get(26)?,
                posted_at_ms: r.try_get(27)?,
                posting: Posting {
                    ledger,
                    line_id: r.try_get(10)?,
                    site_id: r.try_get(6)?,
                    work_date,
                    author: r.try_get(12)?,
                    cost_code: r.try_get(13)?,
                    activity: r.try_get(14)?,
                    trade: r.try_get(15)?,
                    crew: r.try_get(16)?,
                    category: r.try_get(17)?,
                    currency,
                    amount: currency.map_or(Decimal::ZERO, |c| from_minor(amount, c)),
                    headcount: r.try_get(20)?,
                    person_hours: from_micro(r.try_get(21)?),
                    person_days: from_micro(r.try_get(22)?),
                    percent: percent.map(from_micro),
                    quantity: quantity.map(from_micro),
                    unit: r.try_get(25)?,
                },
            })
        })()
    }};
}

/// A posting row as inserted: figures in integer units.
struct Row<'a> {
    entry: &'static str,
    reverses: Option<i64>,
    heads: &'a str,
    p: &'a Posting,
}

/// Rows per multi-row INSERT: 27 binds each stays far below SQLite's and PostgreSQL's limits.
const INSERT_CHUNK: usize = 200;

/// A row with its figures in the ledger's integer units.
struct Encoded<'a> {
    row: Row<'a>,
    amount: i64,
    hours: i64,
    days: i64,
    percent: Option<i64>,
    quantity: Option<i64>,
}

fn encode<'a>(d: &DecisionRow, r: &Row<'a>) -> Result<Encoded<'a>, sqlx::Error> {
    let p = r.p;
    let currency = p.currency.unwrap_or_default();
    let overflow =
        || sqlx::Error::Protocol(format!("posting of {} does not fit the ledger's integer columns", d.record_id));
    Ok(Encoded {
        row: Row { entry: r.entry, reverses: r.reverses, heads: r.heads, p },
        amount: to_minor(p.amount, currency).ok_or_else(overflow)?,
        hours: to_micro(p.person_hours).ok_or_else(overflow)?,
        days: to_micro(p.person_days).ok_or_else(overflow)?,
        percent: p.percent.map(|x| to_micro(x).ok_or_else(overflow)).transpose()?,
        quantity: p.quantity.map(|x| to_micro(x).ok_or_else(overflow)).transpose()?,
    })
}

/// (dimension, grain, period, item, currency) of a `ledger_totals` row; an absent item is ''.
type TotalsKey<'a> = (&'static str, &'static str, chrono::NaiveDate, &'a str, &'a str);

/// The cost rows' net per `ledger_totals` key (each posting counts in its day and its month, by
/// cost code and by activity), in key order: concurrent approvals then lock shared rows in the
/// same order and cannot deadlock each other.
fn totals<'a>(rows: &'a [Encoded<'a>]) -> Vec<(TotalsKey<'a>, (i64, i64, i64))> {
    use chrono::Datelike;
    let mut totals: std::collections::BTreeMap<TotalsKey<'a>, (i64, i64, i64)> = std::collections::BTreeMap::new();
    for e in rows.iter().filter(|e| e.row.p.ledger == postings::Ledger::Cost) {
        let p = e.row.p;
        let currency = p.currency.map_or("", |c| c.code());
        let month = p.work_date.with_day(1).unwrap_or(p.work_date);
        for (dimension, item) in [("cost_code", &p.cost_code), ("activity", &p.activity)] {
            for (grain, period) in [("day", p.work_date), ("month", month)] {
                let t = totals.entry((dimension, grain, period, item.as_deref().unwrap_or(""), currency)).or_default();
                t.0 += e.amount;
                t.1 += e.days;
                t.2 += e.hours;
            }
        }
    }
    totals.into_iter().collect()
}

/// The decision and its postings, in one transaction. No checks: `decide` is the way in; the
/// seeding tool (`fieldledger-seed`) writes years of history through this same path.
/// The record's approval document, updated for a decision and written in the decision's
/// transaction (one commit: the decision reaches phones exactly when it stands).
// Both variants hold a whole Automerge document (~4 KB inline): boxing either would save nothing.
#[allow(clippy::large_enum_variant)]
pub enum ApprovalDoc {
    New(AutoCommit),
    Existing(StoredDoc),
}

/// Why a decision's transaction did not commit.
#[derive(Debug, thiserror::Error)]
pub enum DecisionCommitError {
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Docs(#[from] DocStoreError),
}

impl DecisionCommitError {
    /// Another decider or writer got in first: read again and retry.
    fn retryable(&self) -> bool {
        match self {
            DecisionCommitError::Sql(e) => retryable(e),
            DecisionCommitError::Docs(DocStoreError::VersionConflict { .. } | DocStoreError::AlreadyExists { .. }) => {
                true
            }
            DecisionCommitError::Docs(DocStoreError::Sql(e)) => retryable(e),
            DecisionCommitError::Docs(_) => false,
        }
    }
}

impl From<DecisionCommitError> for LedgerError {
    fn from(e: DecisionCommitError) -> Self {
        match e {
            DecisionCommitError::Sql(e) => LedgerError::Sql(e),
            DecisionCommitError::Docs(e) => LedgerError::Docs(e),
        }
    }
}

/// Rows appended (reversals among them), and the approval document as stored, once committed.
pub struct Committed {
    pub postings: i64,
    pub reversals: i64,
    pub approval: Option<StoredDoc>,
}

/// Returns how many rows it appended and how many of them are reversals.
pub async fn commit(
    db: &Db,
    d: &DecisionRow,
    posts: &[Posting],
    approval: Option<ApprovalDoc>,
) -> Result<Committed, DecisionCommitError> {
    let heads = heads_text(&d.heads);
    on_pool!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO approval_decisions (id, record_id, project_id, record_seq, record_kind, status, heads, comment, \
             decided_by, decided_by_name, decided_by_role, request_id, replaces, decided_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
            .bind(&d.id)
            .bind(&d.record_id)
            .bind(&d.project_id)
            .bind(d.record_seq)
            .bind(&d.record_kind)
            .bind(&d.status)
            .bind(&heads)
            .bind(&d.comment)
            .bind(&d.decided_by)
            .bind(&d.decided_by_name)
            .bind(&d.decided_by_role)
            .bind(&d.request_id)
            .bind(&d.replaces)
            .bind(d.decided_at_ms)
            .execute(&mut *tx)
            .await?;
        if let Some(k) = &d.request_id {
            sqlx::query("INSERT INTO approval_requests (decided_by, request_id, decision_id, created_at_ms) VALUES ($1, $2, $3, $4)")
                .bind(&d.decided_by)
                .bind(k)
                .bind(&d.id)
                .bind(d.decided_at_ms)
                .execute(&mut *tx)
                .await?;
        }
        // The replaced approval's own postings (not the reversals it made) are reversed.
        let old: Vec<(i64, Posting, String)> = match &d.replaces {
            None => Vec::new(),
            Some(replaced) => {
                let rows = sqlx::query(POSTING_SELECT_BY_DECISION).bind(replaced).fetch_all(&mut *tx).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let stored = stored_posting!(r)?;
                    out.push((stored.id, stored.posting, stored.heads));
                }
                out
            }
        };
        let mut rows: Vec<Row<'_>> = Vec::new();
        let reversed: Vec<Posting> = old.iter().map(|(_, p, _)| p.reversed()).collect();
        for ((id, _, h), p) in old.iter().zip(&reversed) {
            rows.push(Row { entry: "reversal", reverses: Some(*id), heads: h, p });
        }
        for p in posts {
            rows.push(Row { entry: "posting", reverses: None, heads: &heads, p });
        }
        let encoded = rows.iter().map(|r| encode(d, r)).collect::<Result<Vec<_>, _>>()?;
        // Multi-row inserts: a 50-line sheet is a handful of statements, not 50 round trips.
        for chunk in encoded.chunks(INSERT_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO ledger_postings (decision_id, entry, reverses, ledger, project_id, site_id, record_id, \
                 record_kind, heads, line_id, work_date, author, cost_code, activity, trade, crew, category, currency, \
                 amount_minor, headcount, person_hours_micro, person_days_micro, percent_micro, quantity_micro, unit, \
                 approved_by, posted_at_ms) ",
            );
            q.push_values(chunk, |mut b, e| {
                let p = e.row.p;
                b.push_bind(&d.id)
                    .push_bind(e.row.entry)
                    .push_bind(e.row.reverses)
                    .push_bind(p.ledger.as_str())
                    .push_bind(&d.project_id)
                    .push_bind(&p.site_id)
                    .push_bind(&d.record_id)
                    .push_bind(&d.record_kind)
                    .push_bind(e.row.heads)
                    .push_bind(&p.line_id)
                    .push_bind(p.work_date.to_string())
                    .push_bind(&p.author)
                    .push_bind(&p.cost_code)
                    .push_bind(&p.activity)
                    .push_bind(&p.trade)
                    .push_bind(&p.crew)
                    .push_bind(&p.category)
                    .push_bind(p.currency.map(|c| c.code()))
                    .push_bind(e.amount)
                    .push_bind(p.headcount)
                    .push_bind(e.hours)
                    .push_bind(e.days)
                    .push_bind(e.percent)
                    .push_bind(e.quantity)
                    .push_bind(&p.unit)
                    .push_bind(&d.decided_by)
                    .push_bind(d.decided_at_ms);
            });
            q.build().execute(&mut *tx).await?;
        }
        let totals = totals(&encoded);
        for chunk in totals.chunks(INSERT_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO ledger_totals (project_id, dimension, grain, period, item, currency, amount_minor, \
                 person_days_micro, person_hours_micro) ",
            );
            q.push_values(chunk, |mut b, (k, t)| {
                b.push_bind(&d.project_id)
                    .push_bind(k.0)
                    .push_bind(k.1)
                    .push_bind(k.2.to_string())
                    .push_bind(k.3)
                    .push_bind(k.4)
                    .push_bind(t.0)
                    .push_bind(t.1)
                    .push_bind(t.2);
            });
            q.push(
                " ON CONFLICT (project_id, dimension, grain, period, item, currency) DO UPDATE SET \
                 amount_minor = ledger_totals.amount_minor + excluded.amount_minor, \
                 person_days_micro = ledger_totals.person_days_micro + excluded.person_days_micro, \
                 person_hours_micro = ledger_totals.person_hours_micro + excluded.person_hours_micro",
            );
            q.build().execute(&mut *tx).await?;
        }
        let (postings, reversals) = (encoded.len() as i64, old.len() as i64);
        let mut tx: Tx = tx.into();
        let approval = match approval {
            None => None,
            Some(ApprovalDoc::New(mut doc)) => {
                let id = Approval::document_id(&d.record_id);
                let kind = RecordKind::Approval.as_str();
                let saved = docstore::insert_in(&mut tx, &id, &d.project_id, kind, &mut doc).await?;
                tx.commit().await?;
                return Ok(Committed {
                    postings,
                    reversals,
                    approval: Some(StoredDoc::inserted(&id, &d.project_id, kind, doc, saved)),
                });
            }
            Some(ApprovalDoc::Existing(mut stored)) => {
                let written = docstore::save_in(&mut tx, &mut stored).await?;
                Some((stored, written))
            }
        };
        tx.commit().await?;
        Ok(Committed {
            postings,
            reversals,
            approval: approval.map(|(mut stored, written)| {
                stored.committed(written);
                stored
            }),
        })
    })
}

const POSTING_COLUMNS_SQL: &str = "id, decision_id, entry, reverses, ledger, project_id, site_id, record_id, record_kind, \
     heads, line_id, work_date, author, cost_code, activity, trade, crew, category, currency, amount_minor, headcount, \
     person_hours_micro, person_days_micro, percent_micro, quantity_micro, unit, approved_by, posted_at_ms";

const POSTING_SELECT_BY_DECISION: &str = "SELECT id, decision_id, entry, reverses, ledger, project_id, site_id, record_id, \
     record_kind, heads, line_id, work_date, author, cost_code, activity, trade, crew, category, currency, amount_minor, \
     headcount, person_hours_micro, person_days_micro, percent_micro, quantity_micro, unit, approved_by, posted_at_ms \
     FROM ledger_postings WHERE decision_id = $1 AND entry = 'posting' ORDER BY id";

/// One stored posting with its audit columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPosting {
    pub id: i64,
    pub decision_id: String,
    /// `posting` or `reversal`.
    pub entry: String,
    pub reverses: Option<i64>,
    pub project_id: String,
    pub record_id: String,
    pub record_kind: String,
    /// The version whose figures these are (for a reversal: the version reversed).
    pub heads: String,
    pub approved_by: String,
    pub posted_at_ms: i64,
    pub posting: Posting,
}

impl StoredPosting {
    /// The posting as JSON, amounts and quantities as decimal text.
    pub fn json(&self) -> serde_json::Value {
        let p = &self.posting;
        let currency = p.currency.unwrap_or_default();
        serde_json::json!({
            "id": self.id,
            "decision_id": self.decision_id,
            "entry": self.entry,
            "reverses": self.reverses,
            "ledger": p.ledger.as_str(),
            "project_id": self.project_id,
            "site_id": p.site_id,
            "record_id": self.record_id,
            "record_kind": self.record_kind,
            "heads": heads_of_text(&self.heads),
            "line_id": p.line_id,
            "date": p.work_date.to_string(),
            "author": p.author,
            "cost_code": p.cost_code,
            "activity": p.activity,
            "trade": p.trade,
            "crew": p.crew,
            "category": p.category,
            "currency": p.currency.map(|c| c.code()),
            "amount": p.currency.map(|_| currency.canonical(p.amount)),
            "headcount": p.headcount,
            "person_hours": p.person_hours.normalize().to_string(),
            "headcount_days": p.person_days.normalize().to_string(),
            "percent": p.percent.map(|x| x.normalize().to_string()),
            "quantity": p.quantity.map(|x| x.normalize().to_string()),
            "unit": p.unit,
            "approved_by": self.approved_by,
            "posted_at_ms": self.posted_at_ms,
        })
    }
}

/// Postings of one record (all of them, in order), or of a whole project when `record_id` is None.
pub async fn postings_of(db: &Db, project: &str, record_id: Option<&str>) -> Result<Vec<StoredPosting>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {POSTING_COLUMNS_SQL} FROM ledger_postings WHERE project_id = $1 AND record_id = COALESCE($2, record_id) ORDER BY id"
    ));
    on_pool!(db, |p| {
        let rows = sqlx::query(sql).bind(project).bind(record_id).fetch_all(p).await?;
        rows.iter().map(|r| stored_posting!(r)).collect()
    })
}

/// Counts of postings a decision appended (postings, reversals among them).
async fn counts(db: &Db, decision_id: &str) -> Result<(i64, i64), sqlx::Error> {
    let row: (i64, Option<i64>) = on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT count(*), sum(CASE WHEN entry = 'reversal' THEN 1 ELSE 0 END) FROM ledger_postings WHERE decision_id = $1"
    )
    .bind(decision_id)
    .fetch_one(p)
    .await?
    });
    Ok((row.0, row.1.unwrap_or_default()))
}

/// The answer to a decision (first time or repeated), after making sure the approval document
/// says what the decisions say.
async fn finish(db: &Db, cache: &DocCache, decision: DecisionRow) -> Result<Outcome, LedgerError> {
    publish(db, cache, &decision.project_id, &decision.record_id).await?;
    let (postings, reversals) = counts(db, &decision.id).await?;
    Ok(Outcome { decision, postings, reversals })
}

/// Rewrites the record's approval document (`approval:<record id>`) from its decisions, so phones
/// receive them by sync. Derived data: repeating it is harmless, and a decision whose document
/// write failed is published again by the next request about it.
pub async fn publish(db: &Db, cache: &DocCache, project: &str, record_id: &str) -> Result<(), LedgerError> {
    let history = history(db, record_id).await?;
    publish_history(db, cache, project, record_id, &history).await
}

/// The record's approval document (loaded, or new) with `history` written into it, not yet stored.
async fn approval_doc(
    db: &Db,
    cache: &DocCache,
    project: &str,
    record_id: &str,
    history: &History,
) -> Result<ApprovalDoc, LedgerError> {
    let view = approval_view(project, record_id, history);
    let id = Approval::document_id(record_id);
    match docstore::load_hot(db, cache, &id).await? {
        None => {
            let mut doc = AutoCommit::new();
            view.write(&mut doc)?;
            Ok(ApprovalDoc::New(doc))
        }
        Some(mut stored) => {
            if stored.kind != RecordKind::Approval.as_str() || stored.project_id != project {
                cache.put(stored);
                return Err(LedgerError::State("id", format!("document {id} is not this record's approval")));
            }
            // On a failed write the half-changed copy is dropped (load_hot took it out of the cache).
            view.write(&mut stored.doc)?;
            Ok(ApprovalDoc::Existing(stored))
        }
    }
}

fn approval_view(project: &str, record_id: &str, history: &History) -> Approval {
    Approval {
        record_id: record_id.to_string(),
        project_id: project.to_string(),
        decisions: history
            .decisions
            .iter()
            .filter_map(|d| {
                Some(Decision {
                    id: d.id.clone(),
                    status: d.status()?,
                    heads: d.heads.clone(),
                    by: d.decided_by_name.clone(),
                    at_ms: d.decided_at_ms,
                    comment: d.comment.clone(),
                })
            })
            .collect(),
        approved_heads: history.standing().map(|d| d.heads.clone()),
    }
}

async fn publish_history(
    db: &Db,
    cache: &DocCache,
    project: &str,
    record_id: &str,
    history: &History,
) -> Result<(), LedgerError> {
    let view = approval_view(project, record_id, history);
    let id = Approval::document_id(record_id);
    docstore::write_owned(db, cache, &id, project, RecordKind::Approval, |doc| view.write(doc)).await.map_err(|e| {
        match e {
            OwnedWriteError::Docs(e) => LedgerError::Docs(e),
            OwnedWriteError::Schema(e) => LedgerError::Schema(e),
            OwnedWriteError::Foreign(_) => {
                LedgerError::State("id", format!("document {id} is not this record's approval"))
            }
            OwnedWriteError::Busy(_) => LedgerError::Busy,
        }
    })
}

//! The journal of decisions: the `approval_decisions` and `approval_requests` tables (a record's
//! decisions, a keyed request's answer) and the one transaction that writes a decision with its
//! postings and its approval document (`commit`).
//!
//! A decision is one transaction: the record's decisions are read in one statement, the new one is
//! inserted with the next per-record sequence number (unique: a concurrent decider on the same
//! record fails and retries against the new state), and an approval appends the reversal of the
//! standing approval's postings and the new version's postings (`stored_postings`), and likewise
//! its funds entries (`funds::stored`). Both tables
//! refuse UPDATE and DELETE (triggers).

use automerge::ChangeHash;
use record_schema::{Approval, DecisionStatus, RecordKind};
use serde::Serialize;

use super::LedgerError;
use super::approval_doc::ApprovalDoc;
use super::postings::Posting;
use super::stored_postings::append_postings;
use crate::db::{BeginWrite, Db, TokenGrant, Tx, on_pool};
use crate::docstore::{self, DocStoreError, StoredDoc};
use crate::funds::entries::FundsEntry;
use crate::funds::stored::append_entries;

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

/// The columns of `approval_decisions`, as `DecisionRow` reads them and `commit` inserts them (a
/// macro, so that the statements stay literals).
macro_rules! decision_columns {
    () => {
        "id, record_id, project_id, record_seq, record_kind, status, heads, comment, decided_by, decided_by_name, \
         decided_by_role, request_id, replaces, decided_at_ms"
    };
}

/// Records which decision answered a keyed request (a macro, so that the statement stays a literal).
macro_rules! insert_request {
    () => {
        "INSERT INTO approval_requests (decided_by, request_id, decision_id, created_at_ms) VALUES ($1, $2, $3, $4)"
    };
}

/// One decision, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DecisionRow {
    pub id: String,
    pub record_id: String,
    pub project_id: String,
    pub record_seq: i64,
    pub record_kind: String,
    /// `approved` or `rejected`.
    pub status: String,
    /// The version decided on (hex heads; stored as text, `heads_text`).
    #[sqlx(try_from = "HeadsText")]
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

/// Heads as stored: the text `heads_text` writes.
#[derive(sqlx::Type)]
#[sqlx(transparent)]
struct HeadsText(String);

impl From<HeadsText> for Vec<String> {
    fn from(text: HeadsText) -> Self {
        heads_of_text(&text.0)
    }
}

impl DecisionRow {
    pub fn status(&self) -> Option<DecisionStatus> {
        DecisionStatus::parse(&self.status)
    }

    pub(super) fn is_approval(&self) -> bool {
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

    pub(super) fn next_seq(&self) -> i64 {
        self.decisions.last().map_or(1, |d| d.record_seq + 1)
    }
}

/// Every decision on `record_id`, in one statement (one consistent snapshot on both backends).
pub async fn history(db: &Db, record_id: &str) -> Result<History, sqlx::Error> {
    const SQL: &str =
        concat!("SELECT ", decision_columns!(), " FROM approval_decisions WHERE record_id = $1 ORDER BY record_seq");
    let decisions = on_pool!(db, |p| sqlx::query_as(SQL).bind(record_id).fetch_all(p).await?);
    Ok(History { decisions })
}

/// The decision a keyed request was answered with.
pub(super) async fn by_request(
    db: &Db,
    who: &TokenGrant,
    request_id: &str,
) -> Result<Option<DecisionRow>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        decision_columns!(),
        " FROM approval_decisions WHERE id = \
         (SELECT decision_id FROM approval_requests WHERE decided_by = $1 AND request_id = $2)"
    );
    on_pool!(db, |p| sqlx::query_as(SQL).bind(&who.device_id).bind(request_id).fetch_optional(p).await)
}

/// Records that `request_id` was answered with an earlier decision; returns what the key stands
/// for (the first answer, if a concurrent request with the same key got in first).
pub(super) async fn remember(
    db: &Db,
    who: &TokenGrant,
    request_id: &str,
    decision_id: &str,
) -> Result<Option<DecisionRow>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query(concat!(insert_request!(), " ON CONFLICT (decided_by, request_id) DO NOTHING"))
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
    pub(super) fn retryable(&self) -> bool {
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

/// A decision's effect on its record's scope facts (`crate::scope_facts::set_open`): open or not,
/// if the record is still at `version`.
#[derive(Debug, Clone, Copy)]
pub struct ScopeOpen {
    pub open: bool,
    pub version: i64,
}

/// Rows appended (reversals among them), and the approval document as stored, once committed.
pub struct Committed {
    pub postings: i64,
    pub reversals: i64,
    pub approval: Option<StoredDoc>,
}

/// The decision, its postings and its funds entries (`funds::entries`, of the same version), in
/// one transaction. No checks: `decide` is the way in; the seeding tool (`fieldledger-seed`)
/// writes years of history through this same path. Returns how many postings it appended and how
/// many of them are reversals.
pub async fn commit(
    db: &Db,
    d: &DecisionRow,
    posts: &[Posting],
    entries: &[FundsEntry],
    approval: Option<ApprovalDoc>,
) -> Result<Committed, DecisionCommitError> {
    commit_scoped(db, d, posts, entries, approval, None).await
}

/// `commit`, with the record's scope facts after the decision (`decide`'s way).
pub async fn commit_scoped(
    db: &Db,
    d: &DecisionRow,
    posts: &[Posting],
    entries: &[FundsEntry],
    approval: Option<ApprovalDoc>,
    scope: Option<ScopeOpen>,
) -> Result<Committed, DecisionCommitError> {
    let heads = heads_text(&d.heads);
    on_pool!(db, |p| {
        let mut tx = p.begin_write().await?;
        sqlx::query(concat!(
            "INSERT INTO approval_decisions (",
            decision_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ))
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
            sqlx::query(insert_request!())
                .bind(&d.decided_by)
                .bind(k)
                .bind(&d.id)
                .bind(d.decided_at_ms)
                .execute(&mut *tx)
                .await?;
        }
        let (postings, reversals) = append_postings!(tx, d, heads, posts);
        append_entries!(tx, d, entries);
        let mut tx: Tx = tx.into();
        // Outgoing webhooks (record.approved, record.rejected): the outbox rows commit with the decision.
        let enqueued = crate::webhooks::on_decision(&mut tx, d).await?;
        let approval = match approval {
            None => None,
            Some(ApprovalDoc::New(mut doc)) => {
                let id = Approval::document_id(&d.record_id);
                let kind = RecordKind::Approval.as_str();
                let saved = docstore::insert_in(&mut tx, &id, &d.project_id, kind, &mut doc).await?;
                set_scope(&mut tx, d, scope).await?;
                tx.commit().await?;
                decided(enqueued);
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
        set_scope(&mut tx, d, scope).await?;
        tx.commit().await?;
        decided(enqueued);
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

/// The record's scope facts after decision `d`, in its transaction (the project's counter is held:
/// locked here if no document write took it yet).
async fn set_scope(tx: &mut Tx<'_>, d: &DecisionRow, scope: Option<ScopeOpen>) -> Result<(), sqlx::Error> {
    let Some(s) = scope else { return Ok(()) };
    crate::scope_facts::lock(tx, &d.record_id).await?;
    crate::scope_facts::set_open(tx, &d.record_id, s.open, s.version).await
}

/// After a decision committed: the webhook worker when it enqueued messages, and the daily reports'
/// worker (the day's report marks the record's new state).
fn decided(enqueued: usize) {
    if enqueued > 0 {
        crate::webhooks::wake();
    }
    crate::daily_reports::worker::wake();
}

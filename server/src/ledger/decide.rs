//! The decision flow: a supervisor's request (`DecideRequest`) is checked, the exact version is
//! read, validated and turned into postings (`read_version`), and the decision is committed
//! through the journal (`journal::commit`) with its approval document, retried when another
//! decider on the same record got in first. The answer is an `Outcome`.

use std::str::FromStr;

use automerge::{AutoCommit, ChangeHash};
use record_schema::{DecisionStatus, Record, RecordKind, ValidationContext};
use serde::Serialize;

use super::LedgerError;
use super::approval_doc::{approval_doc, publish};
use super::journal::{DecisionRow, ScopeOpen, by_request, commit_scoped, heads_hex, history, remember};
use super::postings::{self, Posting};
use super::stored_postings::counts;
use crate::cache::DocCache;
use crate::db::{Db, TokenGrant};
use crate::docstore::{self, StoredDoc};
use crate::funds::entries::FundsEntry;

/// How often a decision is retried when another decider on the same record got in first.
pub const ATTEMPTS: usize = 8;

/// Kinds a supervisor decides on (the foremen's records).
pub fn is_record_kind(kind: &str) -> bool {
    kind.parse::<RecordKind>().is_ok_and(|k| !k.server_owned())
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = DecisionOutcome)]
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
    if stored.kind == RecordKind::Observation.as_str() {
        cache.put(stored);
        return Err(LedgerError::State(
            "kind",
            "observations are followed up, not approved: assign or close it on the observations screen".into(),
        ));
    }
    let read = read_version(&mut stored.doc, &req, reference.as_ref());
    let kind = stored.kind.clone();
    // The record as it stands (its scope facts follow the decision: approved at its current heads
    // or not), and the version those heads are of (a device's write since wins, `set_open`).
    let current = Current { heads: heads_hex(&stored.doc.get_heads()), version: stored.version };
    let current_voided = Record::read(&stored.doc).is_ok_and(|r| r.header().voided.is_some());
    cache.put(stored);
    let (heads, posts, entries) = read?;
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
            decided_by_role: who.role.to_string(),
            request_id: req.request_id.clone(),
            replaces: None,
            decided_at_ms: record_schema::now_ms(),
        };
        let row = match req.status {
            DecisionStatus::Approved => DecisionRow { replaces: history.standing().map(|d| d.id.clone()), ..row },
            DecisionStatus::Rejected => row,
        };
        let (no_posts, no_entries) = (Vec::new(), Vec::new());
        let (posts, entries) =
            if req.status == DecisionStatus::Approved { (&posts, &entries) } else { (&no_posts, &no_entries) };
        // The approval document as it will read with this decision, written in the same commit.
        let mut decided = history;
        decided.decisions.push(row.clone());
        let doc = approval_doc(db, cache, &row.project_id, &row.record_id, &decided).await?;
        let approved_current = decided.standing().is_some_and(|d| d.heads == current.heads);
        let record_kind = kind.parse::<RecordKind>().unwrap_or(RecordKind::LabourSheet);
        // (An approval of the current heads found no conflicts in them; otherwise the record is
        // open whatever its conflicts.)
        let open = crate::scope_facts::open_after_decision(record_kind, current_voided, false, approved_current);
        let scope = ScopeOpen { open, version: current.version };
        match commit_scoped(db, &row, posts, entries, Some(doc), Some(scope)).await {
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

/// The record's heads and version when the decision read it.
struct Current {
    heads: Vec<String>,
    version: i64,
}

/// Reads the version at the requested heads: its canonical heads, its postings and its funds
/// entries. An approval needs a valid record without concurrent values.
#[allow(clippy::type_complexity)]
fn read_version(
    doc: &mut AutoCommit,
    req: &DecideRequest,
    reference: Option<&record_schema::ReferenceData>,
) -> Result<(Vec<String>, Vec<Posting>, Vec<FundsEntry>), LedgerError> {
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
        return Ok((heads, Vec::new(), Vec::new()));
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
    Ok((heads, postings::postings(&record), crate::funds::entries::entries(&record)))
}

/// The project's reference data as the phones have it, if any was entered.
pub(crate) async fn reference_data(
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

/// The answer to a decision (first time or repeated), after making sure the approval document
/// says what the decisions say.
async fn finish(db: &Db, cache: &DocCache, decision: DecisionRow) -> Result<Outcome, LedgerError> {
    publish(db, cache, &decision.project_id, &decision.record_id).await?;
    let (postings, reversals) = counts(db, &decision.id).await?;
    Ok(Outcome { decision, postings, reversals })
}

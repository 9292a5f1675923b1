//! Supervisors' HTTP API: pending records, one record with its history, decisions, postings.
//! Supervisor and admin tokens only, each within its own project (docs/approvals-and-ledgers.md).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use record_schema::{DecisionStatus, Record};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Supervisor;
use crate::db::TokenGrant;
use crate::error::ApiError;
use crate::ledger::LedgerError;
use crate::ledger::pending::{self, PendingFilter, PendingRecord};
use crate::ledger::resolve;
use crate::ledger::store::{self, DecideRequest, DecisionRow, Outcome, PostingEntry};
use crate::ledger::view::{FieldChange, RecordView, diff, record_json, record_view};
use crate::reports::query::date_param;
use crate::state::AppState;

/// Filters of the pending list; each optional, a blank one is none.
#[derive(Debug, Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PendingQuery {
    /// Only records of this site (its id).
    pub site: Option<String>,
    /// Records dated on or after this day: `YYYY-MM-DD`, 2000-01-01 to 2100-12-31.
    #[param(format = Date, example = "2026-11-01")]
    pub from: Option<String>,
    /// Records dated on or before this day: `YYYY-MM-DD`, 2000-01-01 to 2100-12-31.
    #[param(format = Date, example = "2026-11-30")]
    pub to: Option<String>,
    /// One kind: `labour_sheet`, `expense`, `progress_report`, `wage_advance` or `day_log`.
    #[param(example = "labour_sheet")]
    pub kind: Option<String>,
    /// Only records of this author (as the record names them).
    pub author: Option<String>,
}

/// The pending list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingList {
    /// Oldest first.
    pub records: Vec<PendingRecord>,
}

/// `GET /v1/approvals/pending?site=&from=&to=&kind=&author=`
#[utoipa::path(
    get,
    path = "/v1/approvals/pending",
    summary = "Records waiting for a decision",
    description = "The project's records that are new or changed since their approval (and damaged documents), filtered by site, dates, kind and author. Supervisor and admin tokens.",
    operation_id = "pending_records",
    tag = "records",
    params(PendingQuery),
    responses(
        (status = 200, description = "Records waiting for a decision (new or changed since approval)", body = PendingList,
         links(
            ("FirstRecord" = (operation_id = "record_detail", parameters(("id" = "$response.body#/records/0/id")),
                              description = "The first record listed")),
            ("FirstRecordPostings" = (operation_id = "ledger_postings", parameters(("record" = "$response.body#/records/0/id")),
                                      description = "The first record's postings")),
         )),
        (status = 400, description = "A filter that does not read (the field and the limit are named)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = crate::openapi::ErrorBody),
    )
)]
pub async fn pending(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    query: Result<Query<PendingQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PendingList>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let kind = q.kind.filter(|k| !k.is_empty());
    if let Some(k) = &kind
        && !store::is_record_kind(k)
    {
        return Err(ApiError::bad_request(
            "kind",
            format!("{k:?} is not one of labour_sheet, expense, progress_report, wage_advance, day_log"),
        ));
    }
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let filter = PendingFilter {
        site: blank(q.site),
        from: date_param("from", q.from)?,
        to: date_param("to", q.to)?,
        kind,
        author: blank(q.author),
    };
    let records = pending::pending(&state.db, &state.cache, &grant.project_id, &filter).await?;
    Ok(Json(PendingList { records }))
}

/// One record as a supervisor reads it (`GET /v1/records/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordDetail {
    pub id: String,
    /// `labour_sheet`, `expense`, `progress_report`, `wage_advance`, `day_log` or `observation`.
    pub kind: String,
    /// The current version: its Automerge heads (hex). A decision names the version it is about.
    pub heads: Vec<String>,
    /// The record's fields as of `heads` (money and quantities as decimal text; the fields depend
    /// on `kind`; photos with `width`, `height` and `location`).
    pub record: RecordView,
    /// Fields holding concurrent values (settle them with `/resolve` before approving).
    pub conflicts: Vec<ConflictDetail>,
    pub approval: ApprovalState,
    /// The approved version's fields, when the record changed since its approval.
    pub approved_record: Option<RecordView>,
    /// What changed since approval, field by field (paths like `lines/<line id>/headcount`).
    pub changes_since_approval: Option<Vec<FieldChange>>,
    /// What changed since approval as a supervisor reads it: by crew line, the record's own
    /// fields, the total and the photo count.
    pub changes_by_line: Option<BusinessDiff>,
    /// The document's changes, oldest first.
    pub history: Vec<ChangeEntry>,
}

/// Where a record stands with its decisions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalState {
    /// `approved` or `rejected` (the current version was decided), `changed_since_approval`, or
    /// `pending`.
    pub status: String,
    /// The heads of the approval standing in the ledgers, if any.
    pub approved_heads: Option<Vec<String>>,
    /// The approval standing in the ledgers (the newest approval), if any.
    pub standing: Option<DecisionRow>,
    /// Every decision, oldest first.
    pub decisions: Vec<DecisionRow>,
}

/// One Automerge change of the record's document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeEntry {
    /// The change's hash (hex).
    pub hash: String,
    /// The writer's actor id (hex).
    pub actor: String,
    pub seq: u64,
    /// Seconds since the epoch as the writer set it (0: none).
    pub time: i64,
    pub message: Option<String>,
}

/// A field with concurrent values and who entered each.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictDetail {
    /// The field's path (e.g. `lines/<line id>/headcount`).
    pub field: String,
    /// Its values, the one the record reads as first.
    pub values: Vec<String>,
    pub sources: Vec<ConflictSource>,
}

/// Who entered one of a conflict's values.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictSource {
    pub value: String,
    /// The writer's actor id (hex).
    pub actor: String,
    /// The hash of the change that wrote it, when found.
    pub change: Option<String>,
    /// Seconds since the epoch (0: none).
    pub time: i64,
    pub message: Option<String>,
    /// Read from `message`.
    pub summary: String,
    pub author: Option<String>,
    pub device: Option<String>,
}

/// `GET /v1/records/{id}`: the current version with its heads and conflicts, the decisions, the
/// document's change history, and, when it changed since approval, the approved version and the
/// difference field by field.
#[utoipa::path(
    get,
    path = "/v1/records/{id}",
    summary = "One record, its decisions and history",
    description = "The current version with its heads and conflicts (who entered each value), the decisions, the document's change history, and when it changed since approval, the approved version and the differences field by field and by crew line.",
    operation_id = "record_detail",
    tag = "records",
    params(("id" = String, Path, description = "The record's id")),
    responses(
        (status = 200, description = "The record, its decisions and its history", body = RecordDetail,
         links(
            ("Approve" = (operation_id = "record_approve", parameters(("id" = "$request.path.id")),
                          request_body = json!({ "heads": "$response.body#/heads", "comment": "" }),
                          description = "Approve the version read")),
            ("Reject" = (operation_id = "record_reject", parameters(("id" = "$request.path.id")),
                         request_body = json!({ "heads": "$response.body#/heads", "comment": "see me" }),
                         description = "Reject the version read")),
            ("FirstPhoto" = (operation_id = "blob_original", parameters(("sha256" = "$response.body#/record/photos/0/sha256")),
                             description = "A progress report's or observation's first photo")),
            ("FirstPhotoThumbnail" = (operation_id = "blob_thumbnail", parameters(("sha256" = "$response.body#/record/photos/0/sha256")),
                                      description = "Its thumbnail")),
         )),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such record in the token's project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn record(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RecordDetail>, ApiError> {
    let mut stored = store::load_record(&state.db, &state.cache, &grant.project_id, &id).await?;
    let history = store::history(&state.db, &id).await.map_err(LedgerError::from);
    let body = history.map_err(ApiError::from).and_then(|history| detail(&mut stored.doc, &history));
    state.cache.put(stored);
    Ok(Json(body?))
}

/// `detail` as JSON (the record screen reads it so).
pub(crate) fn describe(doc: &mut automerge::AutoCommit, history: &store::History) -> Result<Value, ApiError> {
    serde_json::to_value(detail(doc, history)?).map_err(ApiError::internal)
}

pub(crate) fn detail(doc: &mut automerge::AutoCommit, history: &store::History) -> Result<RecordDetail, ApiError> {
    let record = Record::read(doc).map_err(LedgerError::from)?;
    let heads = store::heads_hex(&doc.get_heads());
    let conflicts = record_schema::conflicts::find_conflict_sources(doc).map_err(LedgerError::from)?;
    let standing = history.standing();
    let status = match (history.decided_at(&heads), standing) {
        (Some(d), _) => d.status.clone(),
        (None, Some(_)) => "changed_since_approval".to_string(),
        (None, None) => "pending".to_string(),
    };
    let (approved, changes, by_line) = match standing {
        Some(s) if s.heads != heads => {
            let version = store::version_at(doc, &s.heads)?;
            let approved = Record::read(&version).map_err(LedgerError::from)?;
            (
                Some(record_view(&approved, false)),
                Some(diff(&approved, &record)),
                Some(business_diff(&approved, &record)),
            )
        }
        _ => (None, None, None),
    };
    let changes_log: Vec<ChangeEntry> = doc
        .get_changes(&[])
        .iter()
        .map(|c| ChangeEntry {
            hash: c.hash().to_string(),
            actor: c.actor_id().to_hex_string(),
            seq: c.seq(),
            time: c.timestamp(),
            message: c.message().map(str::to_string),
        })
        .collect();
    Ok(RecordDetail {
        id: record.header().id.clone(),
        kind: record.kind().as_str().to_string(),
        heads,
        record: record_view(&record, true),
        conflicts: conflicts.iter().map(conflict_detail).collect(),
        approval: ApprovalState {
            status,
            approved_heads: standing.map(|s| s.heads.clone()),
            standing: standing.cloned(),
            decisions: history.decisions.clone(),
        },
        approved_record: approved,
        changes_since_approval: changes,
        changes_by_line: by_line,
        history: changes_log,
    })
}

/// A conflict as listed: the field, its values (the one the record reads as first) and, per value,
/// who entered it: the writer's actor, the change's hash, time (seconds; 0: none) and message, and
/// the author, device and summary read from that message.
fn conflict_detail(c: &record_schema::conflicts::SourcedConflict) -> ConflictDetail {
    let sources = c
        .sources
        .iter()
        .map(|s| {
            let note = s.message.as_deref().map(record_schema::change_note::parse).unwrap_or_default();
            ConflictSource {
                value: s.value.clone(),
                actor: s.actor.clone(),
                change: s.change.clone(),
                time: s.time,
                message: s.message.clone(),
                summary: note.summary,
                author: note.author,
                device: note.device,
            }
        })
        .collect();
    ConflictDetail { field: c.conflict.path.clone(), values: c.conflict.values.clone(), sources }
}

/// Fields of a crew line compared line by line, in the order a person reads a line.
const LINE_FIELDS: [&str; 11] =
    ["trade", "crew", "headcount", "effort", "effort_unit", "rate", "cost", "cost_code", "activity", "note", "workers"];

/// What changed since approval, by line as a supervisor reads it (the screen puts it in words):
/// `lines`: one entry per changed, added or removed crew line (`change`, its 1-based `position` in
/// the version that has it, the line as `approved` and `current`, and the names of the `fields`
/// that differ); `fields`: the record's own fields that differ (`field`, `approved`, `current`);
/// `total`: the sheet's total then and now and their difference (labour sheets).
/// What changed since approval, by line (see `business_diff`).
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessDiff {
    /// Crew lines changed, added or removed.
    pub lines: Vec<LineChange>,
    /// The record's own fields that differ.
    pub fields: Vec<FieldDiff>,
    /// A labour sheet's total then and now (none for other kinds, or when the currency changed).
    pub total: Option<TotalChange>,
    pub photos: PhotoCount,
}

/// One crew line changed, added or removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineChange {
    /// `changed`, `added` or `removed`.
    pub change: &'static str,
    /// Its 1-based position in the version that has it.
    pub position: Option<usize>,
    /// The line as approved (none when added).
    #[schema(value_type = Option<crate::ledger::view::CrewLineView>)]
    pub approved: Option<Value>,
    /// The line now (none when removed).
    #[schema(value_type = Option<crate::ledger::view::CrewLineView>)]
    pub current: Option<Value>,
    /// The line's fields that differ (empty when added or removed).
    pub fields: Vec<&'static str>,
}

/// One of the record's own fields, then and now.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDiff {
    pub field: String,
    pub approved: Value,
    pub current: Value,
}

/// A labour sheet's total, then and now.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalChange {
    pub approved: String,
    pub current: String,
    pub delta: String,
}

/// Photos (or receipts, or slips), then and now.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoCount {
    pub approved: usize,
    pub current: usize,
}

pub(crate) fn business_diff(approved: &Record, current: &Record) -> BusinessDiff {
    let (a, c) = (record_json(approved), record_json(current));
    let empty = Vec::new();
    let lines_of = |v: &Value| -> Vec<Value> { v["lines"].as_array().unwrap_or(&empty).clone() };
    let (al, cl) = (lines_of(&a), lines_of(&c));
    let position = |ls: &[Value], id: &Value| ls.iter().position(|l| &l["id"] == id).map(|i| i + 1);
    let mut lines = Vec::new();
    for (i, line) in cl.iter().enumerate() {
        match al.iter().find(|l| l["id"] == line["id"]) {
            None => lines.push(LineChange {
                change: "added",
                position: Some(i + 1),
                approved: None,
                current: Some(line.clone()),
                fields: Vec::new(),
            }),
            Some(before) => {
                let fields: Vec<&str> = LINE_FIELDS.iter().copied().filter(|f| before[*f] != line[*f]).collect();
                if !fields.is_empty() {
                    lines.push(LineChange {
                        change: "changed",
                        position: Some(i + 1),
                        approved: Some(before.clone()),
                        current: Some(line.clone()),
                        fields,
                    });
                }
            }
        }
    }
    for line in &al {
        if position(&cl, &line["id"]).is_none() {
            let at = position(&al, &line["id"]);
            lines.push(LineChange {
                change: "removed",
                position: at,
                approved: Some(line.clone()),
                current: None,
                fields: Vec::new(),
            });
        }
    }
    let skip = ["lines", "total", "photos", "receipts", "slips", "kind", "id", "project_id"];
    let keys: std::collections::BTreeSet<&String> = a
        .as_object()
        .into_iter()
        .chain(c.as_object())
        .flat_map(|o| o.keys())
        .filter(|k| !skip.contains(&k.as_str()))
        .collect();
    let fields: Vec<FieldDiff> = keys
        .into_iter()
        .filter(|k| a[k.as_str()] != c[k.as_str()])
        .map(|k| FieldDiff { field: k.clone(), approved: a[k.as_str()].clone(), current: c[k.as_str()].clone() })
        .collect();
    let photo_count = |v: &Value| {
        v["photos"]
            .as_array()
            .or_else(|| v["receipts"].as_array())
            .or_else(|| v["slips"].as_array())
            .map_or(0, Vec::len)
    };
    let total = match (approved, current) {
        (Record::LabourSheet(x), Record::LabourSheet(y)) if x.currency == y.currency => {
            let sum = |s: &record_schema::LabourSheet| -> rust_decimal::Decimal {
                s.lines.iter().map(|l| s.currency.round(l.cost())).sum()
            };
            let (before, after) = (sum(x), sum(y));
            Some(TotalChange {
                approved: y.currency.canonical(before),
                current: y.currency.canonical(after),
                delta: y.currency.canonical(after - before),
            })
        }
        _ => None,
    };
    BusinessDiff { lines, fields, total, photos: PhotoCount { approved: photo_count(&a), current: photo_count(&c) } }
}

/// A decision on the version a supervisor read.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionBody {
    /// The version decided on: its heads (hex), as `GET /v1/records/{id}` gave them.
    pub heads: Vec<String>,
    /// Why (a rejection's reason for the foreman).
    #[serde(default)]
    #[schema(default = "")]
    pub comment: String,
    /// Optional idempotency key: a retried request with the same key gets the first answer.
    #[serde(default)]
    pub request_id: Option<String>,
}

async fn decide(
    grant: TokenGrant,
    state: AppState,
    id: String,
    status: DecisionStatus,
    body: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::bad_request("body", format!("expected JSON {{heads: [hex], comment}}: {}", e.body_text()))
    })?;
    let req =
        DecideRequest { record_id: id, status, heads: body.heads, comment: body.comment, request_id: body.request_id };
    let outcome = store::decide(&state.db, &state.cache, &grant, req).await?;
    Ok(Json(outcome))
}

/// `POST /v1/records/{id}/approve` `{heads: [hex], comment, request_id?}`
#[utoipa::path(
    post,
    path = "/v1/records/{id}/approve",
    summary = "Approve a version",
    description = "Approves the version named by `heads` (it must be the current one, without conflicts): its postings go into the ledgers, reversing those of an earlier approval. A retried request with the same `request_id` gets the first answer.",
    operation_id = "record_approve",
    tag = "records",
    params(("id" = String, Path, description = "The record's id")),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "Approved: the decision and the postings it appended (a repeated request_id answers the first outcome)", body = Outcome),
        (status = 400, description = "A body that does not read, or no heads", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such record, or heads that are not its changes", body = crate::openapi::ErrorBody),
        (status = 409, description = "Not the current version, unresolved conflicts, or already decided", body = crate::openapi::ErrorBody),
        (status = 422, description = "That version is not a valid record", body = crate::openapi::ErrorBody),
    )
)]
pub async fn approve(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<Outcome>, ApiError> {
    decide(grant, state, id, DecisionStatus::Approved, body).await
}

/// `POST /v1/records/{id}/reject` `{heads: [hex], comment, request_id?}`
#[utoipa::path(
    post,
    path = "/v1/records/{id}/reject",
    summary = "Reject a version",
    description = "Rejects the version named by `heads` with a comment for the foreman; a rejection after an approval reverses its postings. A retried request with the same `request_id` gets the first answer.",
    operation_id = "record_reject",
    tag = "records",
    params(("id" = String, Path, description = "The record's id")),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "Rejected (a rejection after an approval reverses its postings)", body = Outcome),
        (status = 400, description = "A body that does not read, or no heads", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such record, or heads that are not its changes", body = crate::openapi::ErrorBody),
        (status = 409, description = "Not the current version, or already decided", body = crate::openapi::ErrorBody),
        (status = 422, description = "That version is not a valid record", body = crate::openapi::ErrorBody),
    )
)]
pub async fn reject(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<Outcome>, ApiError> {
    decide(grant, state, id, DecisionStatus::Rejected, body).await
}

#[derive(Debug, Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostingsQuery {
    /// The record whose postings to list (required).
    #[param(required = true)]
    pub record: Option<String>,
}

/// A record's postings.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostingList {
    /// In the order they were appended.
    pub postings: Vec<PostingEntry>,
}

/// `GET /v1/ledger/postings?record=`: the postings of one record, in order (the audit view; reports
/// summing postings come with their own endpoints).
#[utoipa::path(
    get,
    path = "/v1/ledger/postings",
    summary = "A record's postings",
    description = "Every posting and reversal of one record, in the order they were appended, amounts and quantities as decimal text (the audit view).",
    operation_id = "ledger_postings",
    tag = "records",
    params(PostingsQuery),
    responses(
        (status = 200, description = "The record's postings and reversals (none for a record never approved or of another project)", body = PostingList),
        (status = 400, description = "No record named", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = crate::openapi::ErrorBody),
    )
)]
pub async fn postings(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    query: Result<Query<PostingsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PostingList>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let record = q
        .record
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("record", "name the record: ?record=<id>"))?;
    let rows = store::postings_of(&state.db, &grant.project_id, Some(&record)).await.map_err(ApiError::internal)?;
    Ok(Json(PostingList { postings: rows.iter().map(store::StoredPosting::entry).collect() }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveBody {
    /// The version the supervisor read (must still be the current one).
    pub heads: Vec<String>,
    /// The conflicting field, as listed under `conflicts`.
    pub field: String,
    /// Which of its values to keep (an index into `values`; 0 is the one currently shown).
    pub choice: usize,
}

/// The record after a conflict was settled.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resolved {
    /// The new current version (the resolution is a change of its own).
    pub heads: Vec<String>,
    /// The conflicts left.
    pub conflicts: Vec<ConflictLeft>,
}

/// A conflict still to settle.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictLeft {
    pub field: String,
    pub values: Vec<String>,
}

/// `POST /v1/records/{id}/resolve` `{heads, field, choice}`: settles one conflict before approval.
#[utoipa::path(
    post,
    path = "/v1/records/{id}/resolve",
    summary = "Settle a conflict",
    description = "Keeps one of a field's concurrent values (`choice`, an index into the conflict's `values`) on the version named by `heads`; answers the new heads and the conflicts left.",
    operation_id = "record_resolve",
    tag = "records",
    params(("id" = String, Path, description = "The record's id")),
    request_body = ResolveBody,
    responses(
        (status = 200, description = "The value kept; the record's new heads and the conflicts left", body = Resolved),
        (status = 400, description = "A body that does not read, an unknown field or a choice out of range", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such record, or heads that are not its changes", body = crate::openapi::ErrorBody),
        (status = 409, description = "Not the current version", body = crate::openapi::ErrorBody),
    )
)]
pub async fn resolve(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ResolveBody>, JsonRejection>,
) -> Result<Json<Resolved>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::bad_request("body", format!("expected JSON {{heads, field, choice}}: {}", e.body_text()))
    })?;
    let (heads, left) =
        resolve::resolve(&state.db, &state.cache, &grant, &id, &body.heads, &body.field, body.choice).await?;
    Ok(Json(Resolved {
        heads,
        conflicts: left.into_iter().map(|c| ConflictLeft { field: c.path, values: c.values }).collect(),
    }))
}

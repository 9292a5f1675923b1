//! Supervisors' HTTP API: pending records, one record with its history, decisions, postings.
//! Supervisor and admin tokens only, each within its own project (docs/approvals-and-ledgers.md).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use record_schema::{DecisionStatus, Record};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Supervisor;
use crate::db::TokenGrant;
use crate::error::ApiError;
use crate::ledger::LedgerError;
use crate::ledger::pending::{self, PendingFilter};
use crate::ledger::resolve;
use crate::ledger::store::{self, DecideRequest};
use crate::ledger::view::{diff, record_json};
use crate::reports::query::date_param;
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct PendingQuery {
    pub site: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    pub author: Option<String>,
}

/// `GET /v1/approvals/pending?site=&from=&to=&kind=&author=`
pub async fn pending(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    query: Result<Query<PendingQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "records": records })))
}

/// `GET /v1/records/{id}`: the current version with its heads and conflicts, the decisions, the
/// document's change history, and, when it changed since approval, the approved version and the
/// difference field by field.
pub async fn record(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut stored = store::load_record(&state.db, &state.cache, &grant.project_id, &id).await?;
    let history = store::history(&state.db, &id).await.map_err(LedgerError::from);
    let body = history.map_err(ApiError::from).and_then(|history| describe(&mut stored.doc, &history));
    state.cache.put(stored);
    Ok(Json(body?))
}

pub(crate) fn describe(doc: &mut automerge::AutoCommit, history: &store::History) -> Result<Value, ApiError> {
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
            (Some(record_json(&approved)), Some(diff(&approved, &record)), Some(business_diff(&approved, &record)))
        }
        _ => (None, None, None),
    };
    let changes_log: Vec<Value> = doc
        .get_changes(&[])
        .iter()
        .map(|c| json!({ "hash": c.hash().to_string(), "actor": c.actor_id().to_hex_string(), "seq": c.seq(), "time": c.timestamp(), "message": c.message() }))
        .collect();
    Ok(json!({
        "id": record.header().id,
        "kind": record.kind().as_str(),
        "heads": heads,
        "record": with_photo_details(record_json(&record), &record),
        "conflicts": conflicts.iter().map(conflict_json).collect::<Vec<_>>(),
        "approval": {
            "status": status,
            "approved_heads": standing.map(|s| s.heads.clone()),
            "standing": standing,
            "decisions": history.decisions,
        },
        "approved_record": approved,
        "changes_since_approval": changes,
        "changes_by_line": by_line,
        "history": changes_log,
    }))
}

/// A conflict as listed: the field, its values (the one the record reads as first) and, per value,
/// who entered it: the writer's actor, the change's hash, time (seconds; 0: none) and message, and
/// the author, device and summary read from that message.
fn conflict_json(c: &record_schema::conflicts::SourcedConflict) -> Value {
    let sources: Vec<Value> = c
        .sources
        .iter()
        .map(|s| {
            let note = s.message.as_deref().map(record_schema::change_note::parse).unwrap_or_default();
            json!({
                "value": s.value,
                "actor": s.actor,
                "change": s.change,
                "time": s.time,
                "message": s.message,
                "summary": note.summary,
                "author": note.author,
                "device": note.device,
            })
        })
        .collect();
    json!({ "field": c.conflict.path, "values": c.conflict.values, "sources": sources })
}

/// The record's photos (or receipts) with their size and where they were taken (`location`:
/// latitude, longitude, accuracy in metres), beside what `record_json` lists.
fn with_photo_details(mut out: Value, record: &Record) -> Value {
    let Some((key, list)) = record.photos() else { return out };
    if let Some(items) = out.get_mut(key).and_then(Value::as_array_mut) {
        for (item, photo) in items.iter_mut().zip(list) {
            if let Value::Object(o) = item {
                o.insert("width".into(), json!(photo.width));
                o.insert("height".into(), json!(photo.height));
                o.insert(
                    "location".into(),
                    photo.location.map_or(
                        Value::Null,
                        |g| json!({ "latitude": g.latitude, "longitude": g.longitude, "accuracy_m": g.accuracy_m }),
                    ),
                );
            }
        }
    }
    out
}

/// Fields of a crew line compared line by line, in the order a person reads a line.
const LINE_FIELDS: [&str; 11] =
    ["trade", "crew", "headcount", "effort", "effort_unit", "rate", "cost", "cost_code", "activity", "note", "workers"];

/// What changed since approval, by line as a supervisor reads it (the screen puts it in words):
/// `lines`: one entry per changed, added or removed crew line (`change`, its 1-based `position` in
/// the version that has it, the line as `approved` and `current`, and the names of the `fields`
/// that differ); `fields`: the record's own fields that differ (`field`, `approved`, `current`);
/// `total`: the sheet's total then and now and their difference (labour sheets).
pub(crate) fn business_diff(approved: &Record, current: &Record) -> Value {
    let (a, c) = (record_json(approved), record_json(current));
    let empty = Vec::new();
    let lines_of = |v: &Value| -> Vec<Value> { v["lines"].as_array().unwrap_or(&empty).clone() };
    let (al, cl) = (lines_of(&a), lines_of(&c));
    let position = |ls: &[Value], id: &Value| ls.iter().position(|l| &l["id"] == id).map(|i| i + 1);
    let mut lines = Vec::new();
    for (i, line) in cl.iter().enumerate() {
        match al.iter().find(|l| l["id"] == line["id"]) {
            None => lines
                .push(json!({ "change": "added", "position": i + 1, "approved": null, "current": line, "fields": [] })),
            Some(before) => {
                let fields: Vec<&str> = LINE_FIELDS.iter().copied().filter(|f| before[*f] != line[*f]).collect();
                if !fields.is_empty() {
                    lines.push(json!({ "change": "changed", "position": i + 1, "approved": before, "current": line, "fields": fields }));
                }
            }
        }
    }
    for line in &al {
        if position(&cl, &line["id"]).is_none() {
            let at = position(&al, &line["id"]);
            lines.push(json!({ "change": "removed", "position": at, "approved": line, "current": null, "fields": [] }));
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
    let fields: Vec<Value> = keys
        .into_iter()
        .filter(|k| a[k.as_str()] != c[k.as_str()])
        .map(|k| json!({ "field": k, "approved": a[k.as_str()], "current": c[k.as_str()] }))
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
            json!({
                "approved": y.currency.canonical(before),
                "current": y.currency.canonical(after),
                "delta": y.currency.canonical(after - before),
            })
        }
        _ => Value::Null,
    };
    json!({
        "lines": lines,
        "fields": fields,
        "total": total,
        "photos": { "approved": photo_count(&a), "current": photo_count(&c) },
    })
}

#[derive(Debug, Deserialize)]
pub struct DecisionBody {
    pub heads: Vec<String>,
    #[serde(default)]
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
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::bad_request("body", format!("expected JSON {{heads: [hex], comment}}: {}", e.body_text()))
    })?;
    let req =
        DecideRequest { record_id: id, status, heads: body.heads, comment: body.comment, request_id: body.request_id };
    let outcome = store::decide(&state.db, &state.cache, &grant, req).await?;
    Ok(Json(json!(outcome)))
}

/// `POST /v1/records/{id}/approve` `{heads: [hex], comment, request_id?}`
pub async fn approve(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    decide(grant, state, id, DecisionStatus::Approved, body).await
}

/// `POST /v1/records/{id}/reject` `{heads: [hex], comment, request_id?}`
pub async fn reject(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    decide(grant, state, id, DecisionStatus::Rejected, body).await
}

#[derive(Debug, Deserialize, Default)]
pub struct PostingsQuery {
    pub record: Option<String>,
}

/// `GET /v1/ledger/postings?record=`: the postings of one record, in order (the audit view; reports
/// summing postings come with their own endpoints).
pub async fn postings(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    query: Result<Query<PostingsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let record = q
        .record
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("record", "name the record: ?record=<id>"))?;
    let rows = store::postings_of(&state.db, &grant.project_id, Some(&record)).await.map_err(ApiError::internal)?;
    Ok(Json(json!({ "postings": rows.iter().map(store::StoredPosting::json).collect::<Vec<_>>() })))
}

#[derive(Debug, Deserialize)]
pub struct ResolveBody {
    /// The version the supervisor read (must still be the current one).
    pub heads: Vec<String>,
    /// The conflicting field, as listed under `conflicts`.
    pub field: String,
    /// Which of its values to keep (an index into `values`; 0 is the one currently shown).
    pub choice: usize,
}

/// `POST /v1/records/{id}/resolve` `{heads, field, choice}`: settles one conflict before approval.
pub async fn resolve(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ResolveBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::bad_request("body", format!("expected JSON {{heads, field, choice}}: {}", e.body_text()))
    })?;
    let (heads, left) =
        resolve::resolve(&state.db, &state.cache, &grant, &id, &body.heads, &body.field, body.choice).await?;
    Ok(Json(json!({
        "heads": heads,
        "conflicts": left.iter().map(|c| json!({ "field": c.path, "values": c.values })).collect::<Vec<_>>(),
    })))
}

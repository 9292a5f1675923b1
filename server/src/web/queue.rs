//! The approval queue: pending records of the session's project, filtered by site, date, kind and
//! author, with counts per state; and bulk approval of a day's clean labour sheets (exactly the
//! versions the page listed).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Html;
use record_schema::DecisionStatus;
use serde::Deserialize;

use super::session::WebSession;
use super::{Chrome, Fields, WebError, render};
use crate::ledger::pending::{self, PendingFilter};
use crate::ledger::store::{self, DecideRequest};
use crate::reports::query::date_param;
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct QueueQuery {
    pub site: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    pub author: Option<String>,
}

pub struct Row {
    pub id: String,
    pub kind: &'static str,
    pub site: String,
    pub author: String,
    pub date: String,
    pub status: &'static str,
    pub conflicts: i64,
    pub voided: bool,
    pub version: String,
    /// Why the stored document does not read as a record (status `damaged`).
    pub damage: Option<String>,
}

/// The clean labour sheets of one day, as listed (id and the exact heads shown).
pub struct BulkDay {
    pub date: String,
    pub recs: Vec<String>,
}

pub struct Counts {
    pub new: usize,
    pub changed: usize,
    pub approved: i64,
    pub rejected: i64,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    q: QueueQuery,
    sites: Vec<(String, String)>,
    rows: Vec<Row>,
    counts: Counts,
    bulk: Vec<BulkDay>,
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "labour_sheet" => "labour_sheet",
        "expense" => "expense",
        _ => "progress_report",
    }
}

/// Short form of a version for people (the first 8 hex digits of each head).
pub fn short_heads(heads: &[String]) -> String {
    heads.iter().map(|h| h.get(..8).unwrap_or(h)).collect::<Vec<_>>().join("+")
}

fn filter_of(q: &QueueQuery) -> Result<PendingFilter, WebError> {
    let blank = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_string());
    let kind = blank(&q.kind);
    if let Some(k) = &kind
        && !store::is_record_kind(k)
    {
        return Err(WebError::BadRequest(format!("kind: {k:?} is not one of labour_sheet, expense, progress_report")));
    }
    Ok(PendingFilter {
        site: blank(&q.site),
        from: date_param("from", q.from.clone())?,
        to: date_param("to", q.to.clone())?,
        kind,
        author: blank(&q.author),
    })
}

/// `GET /web/queue?site=&from=&to=&kind=&author=`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let filter = filter_of(&q)?;
    let project = &s.grant.project_id;
    let pending = pending::pending(&state.db, &state.cache, project, &filter).await?;
    let decided = pending::decided_counts(&state.db, project, &filter).await?;
    let set = crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?;
    let new = pending.iter().filter(|p| p.status == "new").count();
    let changed = pending.iter().filter(|p| p.status == "changed_since_approval").count();
    let counts = Counts {
        new,
        changed,
        approved: decided.approved,
        // Neither pending nor standing: rejected at its current version, waiting for the foreman.
        rejected: (decided.total - decided.approved - pending.len() as i64).max(0),
    };
    let mut days: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in
        pending.iter().filter(|p| p.kind == "labour_sheet" && p.conflict_count == 0 && !p.voided && p.damage.is_none())
    {
        days.entry(p.date.clone()).or_default().push(format!("{}:{}", p.id, p.heads.join(",")));
    }
    let rows = pending
        .into_iter()
        .map(|p| Row {
            kind: kind_key(&p.kind),
            status: match p.status.as_str() {
                "new" => "new",
                "damaged" => "damaged",
                _ => "changed_since_approval",
            },
            version: short_heads(&p.heads),
            id: p.id,
            site: set
                .sites
                .iter()
                .find(|x| x.id == p.site_id)
                .map_or(p.site_id.clone(), |x| format!("{} ({})", x.name, x.id)),
            author: p.author,
            date: p.date,
            conflicts: p.conflict_count,
            voided: p.voided,
            damage: p.damage,
        })
        .collect();
    let page = QueuePage {
        c: Chrome::new(Some(&s), &headers, &uri, "queue", "queue"),
        q,
        sites: set.sites.iter().map(|x| (x.id.clone(), x.name.clone())).collect(),
        rows,
        counts,
        bulk: days.into_iter().map(|(date, recs)| BulkDay { date, recs }).collect(),
    };
    render(&page)
}

pub struct BulkOutcome {
    pub id: String,
    pub ok: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "bulk.html")]
struct BulkPage {
    c: Chrome,
    outcomes: Vec<BulkOutcome>,
    approved: usize,
}

/// At most this many records per bulk form (a day of one project's sheets is far fewer).
const MAX_BULK: usize = 500;

/// `POST /web/bulk-approve` (csrf, comment, rec = `<id>:<head>,<head>` repeated): approves each
/// listed version; one refusal does not stop the others, and the page lists each outcome.
pub async fn bulk_approve(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Html<String>, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let recs: Vec<&str> = f.all("rec").collect();
    if recs.is_empty() || recs.len() > MAX_BULK {
        return Err(WebError::BadRequest(format!("rec: list between 1 and {MAX_BULK} records")));
    }
    let comment = f.get("comment").unwrap_or_default().trim().to_string();
    let mut outcomes = Vec::with_capacity(recs.len());
    for rec in recs {
        let Some((id, heads)) = rec.split_once(':') else {
            return Err(WebError::BadRequest(format!("rec: expected <id>:<heads>, got {rec:?}")));
        };
        let heads: Vec<String> = heads.split(',').filter(|h| !h.is_empty()).map(str::to_string).collect();
        let req = DecideRequest {
            record_id: id.to_string(),
            status: DecisionStatus::Approved,
            heads,
            comment: comment.clone(),
            request_id: None,
        };
        let outcome = match store::decide(&state.db, &state.cache, &s.grant, req).await {
            Ok(_) => BulkOutcome { id: id.to_string(), ok: true, message: String::new() },
            Err(e) => {
                let e = crate::error::ApiError::from(e);
                BulkOutcome { id: id.to_string(), ok: false, message: e.message }
            }
        };
        outcomes.push(outcome);
    }
    let approved = outcomes.iter().filter(|o| o.ok).count();
    render(&BulkPage { c: Chrome::new(Some(&s), &headers, &uri, "queue", "bulk_done"), outcomes, approved })
}

//! A risk from a field observation (`POST /v1/observations/{id}/promote`, `POST /web/risks/promote`).
//!
//! The risk takes the observation's title, description and category (a delay threatens the
//! schedule), an impact proposed from its severity (low 2, medium 3, high 4, critical 5) and
//! probability 3, unless the request gives them, and names it as its source. Then the observation
//! is marked promoted (`observations::mark_promoted`: its follow-up names the risk, a `promoted`
//! event, the follow-up document republished to phones).
//!
//! The two writes are not one transaction (the follow-up is a document written through the
//! document store): the risk first, then the marking. If the marking fails the risk stands and the
//! answer says so ([`RiskError::NotMarked`]); promoting the same observation again finds the risk by
//! its source (one risk per observation: a unique index), retries the marking and answers 409
//! naming the risk.

use super::store::{Draft, Input, insert};
use super::{RiskError, RiskResult, RiskRow, category_of_observation, impact_of_severity};
use crate::cache::DocCache;
use crate::db::Db;
use crate::observations::{self, ObservationError};

/// What a promotion may set beside the observation's own: probability, impact, owner, due (text).
pub const FIELDS: &[&str] = &["probability", "impact", "owner", "due"];

fn marking_failed(label: &str, e: ObservationError) -> RiskError {
    RiskError::NotMarked { label: label.to_string(), message: e.to_string() }
}

/// Promotes observation `record_id` of the project to a new risk. 404 (`id`) when the project has
/// no such observation; 409 (`id`) when it is voided or was promoted already, naming the risk.
pub async fn promote(
    db: &Db,
    cache: &DocCache,
    project: &str,
    record_id: &str,
    given: &Input,
    by: &str,
) -> RiskResult<RiskRow> {
    if let Some(k) = given.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(RiskError::bad(k, format!("a promotion sets only {}", FIELDS.join(", "))));
    }
    let obs = observations::get(db, project, record_id)
        .await?
        .ok_or_else(|| RiskError::not_found("id", format!("no observation {record_id} in your project")))?;
    // Promoted before: the risk made from it (its marking retried, should it have failed), or the
    // risk the follow-up names.
    if let Some(existing) = super::by_source(db, project, record_id).await? {
        if obs.risk_id.is_none() {
            observations::mark_promoted(db, cache, project, record_id, &existing.label, by)
                .await
                .map_err(|e| marking_failed(&existing.label, e))?;
        }
        return Err(RiskError::conflict(
            "id",
            format!("observation {record_id} was already promoted to risk {}", existing.label),
        ));
    }
    if let Some(r) = &obs.risk_id {
        return Err(RiskError::conflict("id", format!("observation {record_id} was already promoted to risk {r}")));
    }
    if obs.voided {
        return Err(RiskError::conflict("id", format!("observation {record_id} is voided")));
    }
    let mut input = Input::new();
    input.insert("title".into(), Some(obs.title.clone()));
    input.insert("description".into(), obs.description.clone());
    input.insert("category".into(), Some(category_of_observation(&obs.category).as_str().into()));
    input.insert("probability".into(), Some("3".into()));
    input.insert("impact".into(), Some(impact_of_severity(&obs.severity).to_string()));
    for (k, v) in given {
        let blank = v.as_deref().is_none_or(|t| t.trim().is_empty());
        // An empty probability or impact keeps the proposal; an empty owner or due is no owner or due.
        if !(blank && (k == "probability" || k == "impact")) {
            input.insert(k.clone(), v.clone());
        }
    }
    let draft = Draft::apply(&Draft::blank(), &input)?;
    let risk = insert(db, project, &draft, Some(record_id), by).await?;
    observations::mark_promoted(db, cache, project, record_id, &risk.label, by)
        .await
        .map_err(|e| marking_failed(&risk.label, e))?;
    Ok(risk)
}

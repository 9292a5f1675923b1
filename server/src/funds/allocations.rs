//! The owner's labour-cost allocations into the project's wage account (人工费拨付), per month:
//! recorded by the office, append-only (`labour_allocations`), listed with each month's sum. The
//! arrears warning compares their cumulative sum with wages payable (`super::arrears`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{FundsError, FundsResult};
use super::settings::{amount_text, month_text, parse_amount, parse_day, parse_month, project_currency};
use crate::db::{Db, on_pool};

/// Longest reference text (the owner's transfer number, a note).
pub const MAX_REFERENCE_CHARS: usize = 200;

/// An allocation as typed: `month` `YYYY-MM`, `received_on` `YYYY-MM-DD`, `amount` decimal text in
/// the project currency, `reference` optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAllocation {
    /// The wage month it is for, `YYYY-MM`.
    #[serde(default)]
    #[schema(pattern = r"^\d{4}-\d{2}$", example = "2026-11")]
    pub month: Option<String>,
    /// `YYYY-MM-DD` (years 2000 to 2100).
    #[serde(default)]
    #[schema(format = Date)]
    pub received_on: Option<String>,
    /// More than 0 and at most 1,000,000,000, no more decimals than the currency has.
    #[serde(default)]
    #[schema(pattern = r"^\d{1,10}(\.\d{1,2})?$", example = "30000.00")]
    pub amount: Option<String>,
    /// At most 200 characters.
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Allocation {
    pub id: String,
    /// `YYYY-MM`.
    pub month: String,
    pub received_on: String,
    pub currency: String,
    pub amount: String,
    pub reference: String,
    pub recorded_by: String,
    pub recorded_at_ms: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    month: String,
    received_on: String,
    currency: String,
    amount_minor: i64,
    reference: String,
    recorded_by: String,
    recorded_at_ms: i64,
}

fn required<'a>(field: &str, v: &'a Option<String>) -> FundsResult<&'a str> {
    v.as_deref().map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| FundsError::bad(field, "is required"))
}

/// Reference text: at most [`MAX_REFERENCE_CHARS`], no control characters; a long digit run (an ID
/// or card number typed in) kept masked (`masking::scrub`).
pub fn reference_text(field: &str, v: &Option<String>) -> FundsResult<String> {
    let t = v.as_deref().map(str::trim).unwrap_or_default();
    if t.chars().count() > MAX_REFERENCE_CHARS {
        return Err(FundsError::invalid(field, format!("at most {MAX_REFERENCE_CHARS} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(FundsError::invalid(field, "control characters (line breaks, tabs) are not allowed"));
    }
    Ok(super::masking::scrub(t))
}

fn to_allocation(r: Row) -> Allocation {
    let currency = r.currency.parse().unwrap_or_default();
    Allocation {
        id: r.id,
        month: month_text(&r.month),
        received_on: r.received_on,
        amount: amount_text(r.amount_minor, currency),
        currency: r.currency,
        reference: r.reference,
        recorded_by: r.recorded_by,
        recorded_at_ms: r.recorded_at_ms,
    }
}

/// Records an allocation in the project's currency; `recorded_by` names who (a device or person id).
pub async fn record(db: &Db, project: &str, input: &NewAllocation, recorded_by: &str) -> FundsResult<Allocation> {
    let month = parse_month("month", required("month", &input.month)?)?;
    let received_on = parse_day("received_on", required("received_on", &input.received_on)?)?;
    let currency = project_currency(db, project).await?;
    let amount = parse_amount("amount", required("amount", &input.amount)?, currency)?;
    let reference = reference_text("reference", &input.reference)?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = record_schema::now_ms();
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO labour_allocations (id, project_id, month, received_on, currency, amount_minor, reference, \
         recorded_by, recorded_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(&id)
    .bind(project)
    .bind(month.to_string())
    .bind(received_on.to_string())
    .bind(currency.code())
    .bind(amount)
    .bind(&reference)
    .bind(recorded_by)
    .bind(now)
    .execute(p)
    .await
    .map(drop))?;
    Ok(Allocation {
        id,
        month: month_text(&month.to_string()),
        received_on: received_on.to_string(),
        currency: currency.code().into(),
        amount: amount_text(amount, currency),
        reference,
        recorded_by: recorded_by.into(),
        recorded_at_ms: now,
    })
}

/// A project's allocations, by month and date, with each month's sum.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = AllocationList)]
pub struct Allocations {
    pub currency: String,
    pub allocations: Vec<Allocation>,
    /// `YYYY-MM` → sum (decimal text), in month order.
    pub by_month: BTreeMap<String, String>,
    pub total: String,
}

/// The project's allocations (optionally from/to a month, inclusive).
pub async fn list(db: &Db, project: &str, from: Option<&str>, to: Option<&str>) -> FundsResult<Allocations> {
    let from = from.map(|m| parse_month("from", m)).transpose()?.map(|d| d.to_string());
    let to = to.map(|m| parse_month("to", m)).transpose()?.map(|d| d.to_string());
    let currency = project_currency(db, project).await?;
    let rows: Vec<Row> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, month, received_on, currency, amount_minor, reference, recorded_by, recorded_at_ms \
         FROM labour_allocations WHERE project_id = $1 ORDER BY month, received_on, recorded_at_ms, id"
    )
    .bind(project)
    .fetch_all(p)
    .await?);
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|r| from.as_deref().is_none_or(|f| r.month.as_str() >= f))
        .filter(|r| to.as_deref().is_none_or(|t| r.month.as_str() <= t))
        .collect();
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        *sums.entry(month_text(&r.month)).or_default() += r.amount_minor;
    }
    let total: i64 = sums.values().sum();
    Ok(Allocations {
        currency: currency.code().into(),
        allocations: rows.into_iter().map(to_allocation).collect(),
        by_month: sums.into_iter().map(|(m, s)| (m, amount_text(s, currency))).collect(),
        total: amount_text(total, currency),
    })
}

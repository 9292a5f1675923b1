//! Payments the office made (`funds_payments`): a wage payment to a roster worker (or to a crew's
//! leader for its unnamed rest) for a month, a vendor payment, a reimbursement. Append-only: a
//! wrong payment is cancelled by a reversal row (the opposite amount, naming it in `reverses`),
//! once. A payment never changes an approved record.

use serde::{Deserialize, Serialize};

use super::allocations::reference_text;
use super::error::{FundsError, FundsResult};
use super::settings::{amount_text, month_text, parse_amount, parse_day, parse_month, project_currency};
use crate::db::{BeginWrite, Db, on_pool};

/// Longest payer account, payee or crew text.
pub const MAX_TEXT_CHARS: usize = 100;
/// Most payments one list returns (newest first).
pub const MAX_LISTED: usize = 5_000;

/// What a payment pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Wage,
    Vendor,
    Reimbursement,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Wage => "wage",
            Kind::Vendor => "vendor",
            Kind::Reimbursement => "reimbursement",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text.trim() {
            "wage" => Some(Kind::Wage),
            "vendor" => Some(Kind::Vendor),
            "reimbursement" => Some(Kind::Reimbursement),
            _ => None,
        }
    }
}

/// A payment as typed (the JSON body of `POST /v1/funds/payments`, a screen's form): all text.
/// `kind` wage needs `month` (`YYYY-MM`) and either `worker_id` (on the roster) or `crew`; vendor
/// and reimbursement need `payee` and take no month, worker or crew.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    /// `wage`, `vendor` or `reimbursement`.
    #[serde(default)]
    #[schema(example = "wage")]
    pub kind: Option<String>,
    /// A roster id (wage).
    #[serde(default)]
    #[schema(example = "W0001")]
    pub worker_id: Option<String>,
    /// A crew paid through its leader (wage, instead of `worker_id`).
    #[serde(default)]
    pub crew: Option<String>,
    /// Who is paid (vendor, reimbursement).
    #[serde(default)]
    pub payee: Option<String>,
    /// The wage month paid, `YYYY-MM` (wage only).
    #[serde(default)]
    #[schema(pattern = r"^\d{4}-\d{2}$", example = "2026-11")]
    pub month: Option<String>,
    /// `YYYY-MM-DD` (years 2000 to 2100).
    #[serde(default)]
    #[schema(format = Date)]
    pub paid_on: Option<String>,
    /// The paying account, at most 100 characters (card numbers in it are masked).
    #[serde(default)]
    #[schema(example = "wage account")]
    pub payer_account: Option<String>,
    /// More than 0 and at most 1,000,000,000, no more decimals than the currency has.
    #[serde(default)]
    #[schema(pattern = r"^\d{1,10}(\.\d{1,2})?$", example = "1250.00")]
    pub amount: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// A stored payment as people read it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Payment {
    pub id: String,
    pub kind: String,
    pub worker_id: Option<String>,
    /// The roster's name of `worker_id`.
    pub worker_name: Option<String>,
    pub crew: Option<String>,
    pub payee: Option<String>,
    /// `YYYY-MM` (wages only).
    pub month: Option<String>,
    pub paid_on: String,
    pub payer_account: String,
    pub currency: String,
    /// Decimal text; negative on a reversal.
    pub amount: String,
    pub reference: String,
    pub batch_id: Option<String>,
    /// On a reversal: the payment it cancels.
    pub reverses: Option<String>,
    /// On a cancelled payment: its reversal.
    pub cancelled_by: Option<String>,
    pub recorded_by: String,
    pub recorded_at_ms: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    kind: String,
    worker_id: Option<String>,
    worker_name: Option<String>,
    crew: Option<String>,
    payee: Option<String>,
    month: Option<String>,
    paid_on: String,
    payer_account: String,
    currency: String,
    amount_minor: i64,
    reference: String,
    batch_id: Option<String>,
    reverses: Option<String>,
    cancelled_by: Option<String>,
    recorded_by: String,
    recorded_at_ms: i64,
}

const SELECT: &str = "SELECT p.id, p.kind, p.worker_id, w.name AS worker_name, p.crew, p.payee, p.month, p.paid_on, \
     p.payer_account, p.currency, p.amount_minor, p.reference, p.batch_id, p.reverses, \
     (SELECT r.id FROM funds_payments r WHERE r.reverses = p.id) AS cancelled_by, p.recorded_by, p.recorded_at_ms \
     FROM funds_payments p LEFT JOIN workers w ON w.project_id = p.project_id AND w.id = p.worker_id \
     WHERE p.project_id = $1";

impl From<Row> for Payment {
    fn from(r: Row) -> Self {
        let currency = r.currency.parse().unwrap_or_default();
        Payment {
            id: r.id,
            kind: r.kind,
            worker_id: r.worker_id,
            worker_name: r.worker_name,
            crew: r.crew,
            payee: r.payee,
            month: r.month.map(|m| month_text(&m)),
            paid_on: r.paid_on,
            payer_account: r.payer_account,
            amount: amount_text(r.amount_minor, currency),
            currency: r.currency,
            reference: r.reference,
            batch_id: r.batch_id,
            reverses: r.reverses,
            cancelled_by: r.cancelled_by,
            recorded_by: r.recorded_by,
            recorded_at_ms: r.recorded_at_ms,
        }
    }
}

fn text(field: &str, v: &Option<String>) -> FundsResult<Option<String>> {
    let Some(t) = v.as_deref().map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(FundsError::invalid(field, format!("at most {MAX_TEXT_CHARS} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(FundsError::invalid(field, "control characters are not allowed"));
    }
    Ok(Some(super::masking::scrub(t)))
}

fn required(field: &str, v: &Option<String>) -> FundsResult<String> {
    text(field, v)?.ok_or_else(|| FundsError::bad(field, "is required"))
}

/// A checked payment, ready to store (amount in minor units).
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub kind: Kind,
    pub worker_id: Option<String>,
    pub crew: Option<String>,
    pub payee: Option<String>,
    /// `YYYY-MM-01`.
    pub month: Option<String>,
    pub paid_on: String,
    pub payer_account: String,
    pub currency: String,
    pub amount_minor: i64,
    pub reference: String,
    pub batch_id: Option<String>,
}

async fn check(db: &Db, project: &str, p: &NewPayment) -> FundsResult<Checked> {
    let kind_text = required("kind", &p.kind)?;
    let kind =
        Kind::parse(&kind_text).ok_or_else(|| FundsError::bad("kind", "expected wage, vendor or reimbursement"))?;
    let (worker_id, crew, payee) = (text("worker_id", &p.worker_id)?, text("crew", &p.crew)?, text("payee", &p.payee)?);
    let month = match kind {
        Kind::Wage => {
            if payee.is_some() {
                return Err(FundsError::bad("payee", "a wage payment names worker_id or crew, not a payee"));
            }
            match (&worker_id, &crew) {
                (None, None) => {
                    return Err(FundsError::bad(
                        "worker_id",
                        "a wage payment names worker_id (or crew, for a crew's unnamed rest)",
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(FundsError::bad("crew", "a wage payment names worker_id or crew, not both"));
                }
                _ => {}
            }
            if let Some(id) = &worker_id {
                let found: Option<String> =
                    on_pool!(db, |c| sqlx::query_scalar("SELECT id FROM workers WHERE project_id = $1 AND id = $2")
                        .bind(project)
                        .bind(id)
                        .fetch_optional(c)
                        .await?);
                if found.is_none() {
                    return Err(FundsError::invalid("worker_id", format!("no worker {id:?} on this project's roster")));
                }
            }
            Some(parse_month("month", &required("month", &p.month)?)?.to_string())
        }
        Kind::Vendor | Kind::Reimbursement => {
            if payee.is_none() {
                return Err(FundsError::bad("payee", format!("a {} payment names its payee", kind.as_str())));
            }
            for (field, v) in [("worker_id", &worker_id), ("crew", &crew), ("month", &text("month", &p.month)?)] {
                if v.is_some() {
                    return Err(FundsError::bad(field, format!("a {} payment takes no {field}", kind.as_str())));
                }
            }
            None
        }
    };
    let paid_on = parse_day("paid_on", &required("paid_on", &p.paid_on)?)?.to_string();
    let payer_account = required("payer_account", &p.payer_account)?;
    let currency = project_currency(db, project).await?;
    let amount_minor = parse_amount("amount", &required("amount", &p.amount)?, currency)?;
    Ok(Checked {
        kind,
        worker_id,
        crew,
        payee,
        month,
        paid_on,
        payer_account,
        currency: currency.code().into(),
        amount_minor,
        reference: reference_text("reference", &p.reference)?,
        batch_id: None,
    })
}

/// Stores checked payments on an open connection or transaction (`c`: `&mut` one of either
/// backend's); returns their ids.
macro_rules! insert_payments {
    ($c:expr, $project:expr, $rows:expr, $by:expr, $now:expr) => {{
        let mut ids = Vec::new();
        for p in $rows {
            let id = uuid::Uuid::now_v7().to_string();
            sqlx::query(
                "INSERT INTO funds_payments (id, project_id, kind, worker_id, crew, payee, month, paid_on, \
                 payer_account, currency, amount_minor, reference, batch_id, reverses, recorded_by, recorded_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, $14, $15)",
            )
            .bind(&id)
            .bind($project)
            .bind(p.kind.as_str())
            .bind(&p.worker_id)
            .bind(&p.crew)
            .bind(&p.payee)
            .bind(&p.month)
            .bind(&p.paid_on)
            .bind(&p.payer_account)
            .bind(&p.currency)
            .bind(p.amount_minor)
            .bind(&p.reference)
            .bind(&p.batch_id)
            .bind($by)
            .bind($now)
            .execute(&mut *$c)
            .await?;
            ids.push(id);
        }
        ids
    }};
}
pub(crate) use insert_payments;

/// Records one payment; `recorded_by` names who (a device or person id). Every field is checked
/// first (400/422 naming it); nothing is stored on a refusal.
pub async fn record(db: &Db, project: &str, input: &NewPayment, recorded_by: &str) -> FundsResult<Payment> {
    let checked = check(db, project, input).await?;
    let now = record_schema::now_ms();
    let ids: Vec<String> = on_pool!(db, |p| {
        let mut c = p.acquire().await?;
        insert_payments!(c, project, [&checked], recorded_by, now)
    });
    get(db, project, ids.first().map(String::as_str).unwrap_or_default()).await
}

/// One payment of the project (404 otherwise).
pub async fn get(db: &Db, project: &str, id: &str) -> FundsResult<Payment> {
    let sql = format!("{SELECT} AND p.id = $2");
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(project)
        .bind(id)
        .fetch_optional(p)
        .await?);
    row.map(Payment::from).ok_or_else(|| FundsError::not_found("id", format!("no payment {id:?} in this project")))
}

/// Cancels a payment by appending its reversal (the opposite amount, same worker, month and
/// account; `reason` into its reference). 404 for another project's or an unknown id; 409 when it
/// is already cancelled or is itself a reversal. Safe against two cancels at once: the reversal is
/// one conditional insert (on PostgreSQL after locking the payment's row).
pub async fn cancel(db: &Db, project: &str, id: &str, reason: Option<&str>, recorded_by: &str) -> FundsResult<Payment> {
    let original = get(db, project, id).await?;
    if original.reverses.is_some() {
        return Err(FundsError::conflict("id", "this is a cancellation; record a new payment instead"));
    }
    if let Some(r) = &original.cancelled_by {
        return Err(FundsError::conflict("id", format!("this payment is already cancelled (by {r})")));
    }
    let reason = reference_text("reason", &reason.map(str::to_string))?;
    let reference = if reason.is_empty() { format!("cancels {id}") } else { format!("cancels {id}: {reason}") };
    let reference: String = reference.chars().take(super::allocations::MAX_REFERENCE_CHARS + 50).collect();
    let new_id = uuid::Uuid::now_v7().to_string();
    let now = record_schema::now_ms();
    let lock = matches!(db, Db::Postgres(_));
    let inserted = on_pool!(db, |p| {
        let mut tx = p.begin_write().await?;
        if lock {
            sqlx::query("SELECT id FROM funds_payments WHERE id = $1 FOR UPDATE").bind(id).execute(&mut *tx).await?;
        }
        let n = sqlx::query(
            "INSERT INTO funds_payments (id, project_id, kind, worker_id, crew, payee, month, paid_on, payer_account, \
             currency, amount_minor, reference, batch_id, reverses, recorded_by, recorded_at_ms) \
             SELECT $1, p.project_id, p.kind, p.worker_id, p.crew, p.payee, p.month, p.paid_on, p.payer_account, \
             p.currency, -p.amount_minor, $2, p.batch_id, p.id, $3, $4 FROM funds_payments p \
             WHERE p.id = $5 AND p.project_id = $6 AND p.reverses IS NULL \
             AND NOT EXISTS (SELECT 1 FROM funds_payments r WHERE r.reverses = p.id)",
        )
        .bind(&new_id)
        .bind(&reference)
        .bind(recorded_by)
        .bind(now)
        .bind(id)
        .bind(project)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        n
    });
    if inserted == 0 {
        return Err(FundsError::conflict("id", "this payment was cancelled at the same time"));
    }
    get(db, project, &new_id).await
}

/// Which payments `list` returns (`GET /v1/funds/payments`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// `YYYY-MM` (years 2000 to 2100): wage payments of that month, and other payments paid in it.
    #[param(pattern = r"^\d{4}-\d{2}$", example = "2026-11")]
    pub month: Option<String>,
    /// `wage`, `vendor` or `reimbursement`.
    #[param(example = "wage")]
    pub kind: Option<String>,
    /// Only this roster id's payments.
    pub worker_id: Option<String>,
    /// Only this bank batch's payments.
    pub batch_id: Option<String>,
}

/// The project's payments, newest first (at most [`MAX_LISTED`]).
pub async fn list(db: &Db, project: &str, filter: &ListFilter) -> FundsResult<Vec<Payment>> {
    let month = filter.month.as_deref().map(|m| parse_month("month", m)).transpose()?;
    let kind = match filter.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => {
            Some(Kind::parse(k).ok_or_else(|| FundsError::bad("kind", "expected wage, vendor or reimbursement"))?)
        }
        None => None,
    };
    let sql = format!("{SELECT} ORDER BY p.paid_on DESC, p.recorded_at_ms DESC, p.id DESC");
    let rows: Vec<Row> =
        on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(project).fetch_all(p).await?);
    let month_key = month.map(|m| m.to_string());
    let month_prefix = month.map(|m| m.format("%Y-%m").to_string());
    Ok(rows
        .into_iter()
        .filter(|r| kind.is_none_or(|k| r.kind == k.as_str()))
        .filter(|r| filter.worker_id.as_deref().is_none_or(|w| r.worker_id.as_deref() == Some(w)))
        .filter(|r| filter.batch_id.as_deref().is_none_or(|b| r.batch_id.as_deref() == Some(b)))
        .filter(|r| match (&month_key, &month_prefix) {
            (Some(m), Some(prefix)) => match &r.month {
                Some(rm) => rm == m,
                None => r.paid_on.starts_with(prefix.as_str()),
            },
            _ => true,
        })
        .take(MAX_LISTED)
        .map(Payment::from)
        .collect())
}

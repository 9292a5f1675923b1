//! A bank's batch result file (代发结果) for a wage month: each row a transfer to a worker. Rows are
//! matched to the roster by the keyed hash of the ID number, else of the bank card number, never
//! by name. A matched, successful row becomes a wage payment of the month; every other row becomes a
//! mismatch with its reason (the bank reports it failed, a bad amount, no ID or card number, nobody
//! on the roster with that number, a name differing from the roster's, the worker already paid
//! further up the file), for the office to settle. The batch, its mismatches and its payments are
//! written in one transaction; the same file (by SHA-256) twice is 409.
//!
//! Columns (row 1, Chinese or English, see [`BATCH_COLUMNS`]): name, amount, and an ID number or a
//! card number column; status (成功/失败, success/failed; absent: all succeeded), failure reason and
//! reference (附言) are optional.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{FundsError, FundsResult};
use super::masking::{self, CardNumber, IdNumber};
use super::payments::{Checked, Kind, Payment, insert_payments};
use super::settings::{amount_text, month_text, parse_amount, parse_day, parse_month, project_currency};
use super::sheet::{self, Located};
use crate::db::{BeginWrite, Db, on_pool};

/// The headers a batch file's columns may carry.
pub const BATCH_COLUMNS: &[(&str, &[&str])] = &[
    ("name", &["name", "姓名", "户名", "收款人", "收款人姓名", "收款户名", "账户名称"]),
    ("id_number", &["id_number", "id_no", "身份证号", "身份证号码", "证件号码", "身份证"]),
    (
        "card_number",
        &["card_number", "card", "account", "银行卡号", "卡号", "账号", "收款账号", "收款人账号", "工资卡号"],
    ),
    ("amount", &["amount", "金额", "交易金额", "实发金额", "发放金额", "代发金额"]),
    ("status", &["status", "状态", "处理状态", "交易状态", "处理结果", "结果"]),
    ("reason", &["reason", "失败原因", "错误信息", "原因"]),
    ("reference", &["reference", "附言", "用途", "摘要", "备注"]),
];

/// Longest file name kept.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// What comes with the file (query parameters of `POST /v1/funds/batches`, a screen's form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BatchInput {
    /// The wage month paid, `YYYY-MM` (years 2000 to 2100).
    #[param(required = true, pattern = r"^\d{4}-\d{2}$", example = "2026-11")]
    pub month: Option<String>,
    /// The file's name as shown (at most 200 characters); absent: `batch`.
    #[param(max_length = 200)]
    pub file_name: Option<String>,
    /// The day the bank paid, `YYYY-MM-DD` (years 2000 to 2100); absent: today at the project's site.
    #[param(format = Date)]
    pub paid_on: Option<String>,
    /// The paying account (the project's wage account, at most 100 characters); absent: `bank batch`.
    #[param(max_length = 100)]
    pub payer_account: Option<String>,
}

/// A row that did not become a payment.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = BatchMismatch)]
pub struct Mismatch {
    pub row_no: i64,
    pub name: String,
    pub id_masked: Option<String>,
    pub card_masked: Option<String>,
    /// Decimal text, when the row's amount was readable.
    #[sqlx(skip)]
    pub amount: Option<String>,
    #[serde(skip)]
    pub amount_minor: Option<i64>,
    pub reason: String,
}

/// An imported batch with its mismatches and payments.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Batch {
    pub id: String,
    pub file_name: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Data rows read (blank rows skipped).
    pub rows: i64,
    pub matched: i64,
    pub currency: String,
    /// Sum of the payments made.
    pub total: String,
    pub imported_by: String,
    pub imported_at_ms: i64,
    pub mismatches: Vec<Mismatch>,
    pub payments: Vec<Payment>,
    /// Header cells naming no known column (letter and text); only on the import's answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_columns: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct RosterRow {
    id: String,
    name: String,
    id_hash: Option<String>,
    card_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: String,
    file_name: String,
    month: String,
    rows: i64,
    matched: i64,
    total_minor: i64,
    imported_by: String,
    imported_at_ms: i64,
}

/// The status a row reports: `Ok(true)` succeeded, `Ok(false)` failed, `Err` unknown words.
fn succeeded(status: Option<&str>) -> Result<bool, ()> {
    let Some(s) = status else { return Ok(true) };
    let s = s.trim().to_lowercase();
    if ["成功", "success", "succeeded", "successful", "ok", "已成功", "交易成功", "处理成功", "已入账"]
        .contains(&s.as_str())
    {
        Ok(true)
    } else if ["失败", "fail", "failed", "failure", "交易失败", "处理失败", "退回", "已退回", "returned", "rejected"]
        .contains(&s.as_str())
    {
        Ok(false)
    } else {
        Err(())
    }
}

/// One data row judged.
enum Outcome {
    Pay { worker: String, amount: i64, reference: Option<String> },
    Mismatch(String),
}

struct Judged {
    row: usize,
    name: String,
    id_masked: Option<String>,
    card_masked: Option<String>,
    amount: Option<i64>,
    outcome: Outcome,
}

fn numeric_number(l: &Located, cells: &[sheet::Cell], col: &str) -> bool {
    l.cell(cells, col).is_some_and(|c| c.numeric && c.text.trim().len() > 15)
}

/// Imports a bank batch result file for a month (see the module's rules). 409 when this project
/// imported the same bytes before; 400/413/422 for an unreadable, too large or column-less file,
/// nothing stored. `imported_by` names who (a device or person id).
pub async fn import(db: &Db, project: &str, bytes: &[u8], input: &BatchInput, imported_by: &str) -> FundsResult<Batch> {
    let month_text_in = input.month.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let month = parse_month("month", month_text_in.ok_or_else(|| FundsError::bad("month", "is required (YYYY-MM)"))?)?;
    let paid_on = match input.paid_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => parse_day("paid_on", d)?,
        // The site's today, as every other funds date (not the server's UTC day).
        None => crate::reports::today(&crate::reference::store::load(db, project).await?),
    };
    let file_name = input.file_name.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or("batch");
    if file_name.chars().count() > MAX_FILE_NAME_CHARS || file_name.chars().any(char::is_control) {
        return Err(FundsError::bad(
            "file_name",
            format!("at most {MAX_FILE_NAME_CHARS} characters, no control characters"),
        ));
    }
    let payer_account =
        masking::scrub(input.payer_account.as_deref().map(str::trim).filter(|a| !a.is_empty()).unwrap_or("bank batch"));
    let payer_account = payer_account.as_str();
    if payer_account.chars().count() > super::payments::MAX_TEXT_CHARS || payer_account.chars().any(char::is_control) {
        return Err(FundsError::bad(
            "payer_account",
            format!("at most {} characters, no control characters", super::payments::MAX_TEXT_CHARS),
        ));
    }
    let file_name = masking::scrub(file_name);
    let file_name = file_name.as_str();
    let file = sheet::read(bytes)?;
    let l = sheet::locate(&file.header, BATCH_COLUMNS)?;
    for (col, words) in [("name", "姓名 or name"), ("amount", "金额 or amount")] {
        if !l.has(col) {
            return Err(FundsError::invalid("file", format!("the file has no {col} column ({words}) in row 1")));
        }
    }
    if !l.has("id_number") && !l.has("card_number") {
        return Err(FundsError::invalid(
            "file",
            "the file has neither an ID number column (身份证号) nor a card number column (银行卡号) in row 1: \
             rows are matched by these, never by name",
        ));
    }
    let sha = hex::encode(Sha256::digest(bytes));
    if let Some(earlier) = find_by_sha(db, project, &sha).await? {
        return Err(FundsError::conflict(
            "file",
            format!("this file was imported before, as batch {earlier}: the same payments are not recorded twice"),
        ));
    }
    let currency = project_currency(db, project).await?;
    let key = masking::hash_key(db).await?;
    let roster: Vec<RosterRow> =
        on_pool!(db, |p| sqlx::query_as("SELECT id, name, id_hash, card_hash FROM workers WHERE project_id = $1")
            .bind(project)
            .fetch_all(p)
            .await?);
    let by_id: HashMap<&str, &RosterRow> = roster.iter().filter_map(|w| Some((w.id_hash.as_deref()?, w))).collect();
    // A card number two workers hold (two offices saving at once can store that) matches nobody.
    let mut by_card: HashMap<&str, Vec<&RosterRow>> = HashMap::new();
    for w in &roster {
        if let Some(h) = w.card_hash.as_deref() {
            by_card.entry(h).or_default().push(w);
        }
    }

    let mut judged: Vec<Judged> = Vec::new();
    let mut paid_in_row: HashMap<String, usize> = HashMap::new();
    for (row, cells) in &file.rows {
        if sheet::blank(cells) {
            continue;
        }
        let row = *row;
        let name = masking::scrub(l.text(cells, "name").unwrap_or_default());
        let id_text = l.text(cells, "id_number");
        let card_text = l.text(cells, "card_number");
        let id = id_text.map(IdNumber::parse);
        let card = card_text.map(CardNumber::parse);
        let id_masked = match (&id, id_text) {
            (Some(Ok(i)), _) => Some(i.masked()),
            (_, Some(t)) => Some(masking::mask_raw(t)),
            _ => None,
        };
        let card_masked = match (&card, card_text) {
            (Some(Ok(c)), _) => Some(c.masked()),
            (_, Some(t)) => Some(masking::mask_raw(t)),
            _ => None,
        };
        let amount = l.text(cells, "amount").map(|a| parse_amount("amount", a, currency));
        let mut j = Judged {
            row,
            name: name.clone(),
            id_masked,
            card_masked,
            amount: amount.as_ref().and_then(|a| a.as_ref().ok().copied()),
            outcome: Outcome::Mismatch(String::new()),
        };
        let why: Option<String> = 'judge: {
            if name.is_empty() {
                break 'judge Some("the row has no name".into());
            }
            match succeeded(l.text(cells, "status")) {
                Ok(true) => {}
                Ok(false) => {
                    let reason =
                        l.text(cells, "reason").map(|r| format!(": {}", masking::scrub(r))).unwrap_or_default();
                    break 'judge Some(format!("the bank reports this transfer failed{reason}"));
                }
                Err(()) => {
                    break 'judge Some(format!(
                        "unknown status {:?} (expected 成功/失败 or success/failed)",
                        masking::scrub(l.text(cells, "status").unwrap_or_default())
                    ));
                }
            }
            let amount = match amount {
                None => break 'judge Some("bad amount: the row has none".into()),
                Some(Err(e)) => {
                    break 'judge Some(format!(
                        "bad amount: {}",
                        e.to_string().split_once(": ").map_or("", |(_, m)| m)
                    ));
                }
                Some(Ok(a)) => a,
            };
            for col in ["id_number", "card_number"] {
                if numeric_number(&l, cells, col) {
                    break 'judge Some(format!(
                        "the {} is stored as a number in the workbook, which keeps only 15 digits",
                        if col == "id_number" { "ID number" } else { "card number" }
                    ));
                }
            }
            let id_match = match &id {
                Some(Ok(i)) => by_id.get(key.id_hash(i).as_str()).copied(),
                _ => None,
            };
            let card_match = match &card {
                Some(Ok(c)) => match by_card.get(key.card_hash(c).as_str()).map(Vec::as_slice) {
                    Some([one]) => Some(*one),
                    Some([a, b, ..]) if id_match.is_none() => {
                        break 'judge Some(format!("the card number is held by {} and {} on the roster", a.id, b.id));
                    }
                    _ => None,
                },
                _ => None,
            };
            let worker = match (id_match, card_match) {
                (Some(a), Some(b)) if a.id != b.id => {
                    break 'judge Some(format!(
                        "the ID number is {}'s and the card number is {}'s on the roster",
                        a.id, b.id
                    ));
                }
                (Some(w), _) | (None, Some(w)) => w,
                (None, None) => {
                    let mut why = Vec::new();
                    if let Some(Err(e)) = &id {
                        why.push(format!("invalid ID number: {e}"));
                    }
                    if let Some(Err(e)) = &card {
                        why.push(format!("invalid card number: {e}"));
                    }
                    if id.is_none() && card.is_none() {
                        why.push("the row has no ID or card number to match it by".into());
                    }
                    if why.is_empty() {
                        why.push("nobody on the roster has this ID or card number".into());
                    }
                    break 'judge Some(why.join("; "));
                }
            };
            if worker.name.trim() != name {
                break 'judge Some(format!("the name differs from the roster's: {} is {}", worker.id, worker.name));
            }
            if let Some(first) = paid_in_row.get(&worker.id) {
                break 'judge Some(format!("duplicate: {} is already paid in row {first} of this file", worker.id));
            }
            paid_in_row.insert(worker.id.clone(), row);
            j.outcome = Outcome::Pay {
                worker: worker.id.clone(),
                amount,
                reference: l.text(cells, "reference").map(masking::scrub),
            };
            None
        };
        if let Some(why) = why {
            j.outcome = Outcome::Mismatch(why);
        }
        judged.push(j);
    }
    if judged.is_empty() {
        return Err(FundsError::invalid("file", "the file has no rows under its header"));
    }

    let batch_id = uuid::Uuid::now_v7().to_string();
    let month_key = month.to_string();
    let payments: Vec<Checked> = judged
        .iter()
        .filter_map(|j| match &j.outcome {
            Outcome::Pay { worker, amount, reference } => Some(Checked {
                kind: Kind::Wage,
                worker_id: Some(worker.clone()),
                crew: None,
                payee: None,
                month: Some(month_key.clone()),
                paid_on: paid_on.to_string(),
                payer_account: payer_account.to_string(),
                currency: currency.code().into(),
                amount_minor: *amount,
                reference: reference
                    .clone()
                    .unwrap_or_else(|| format!("{file_name} row {}", j.row))
                    .chars()
                    .take(200)
                    .collect(),
                batch_id: Some(batch_id.clone()),
            }),
            Outcome::Mismatch(_) => None,
        })
        .collect();
    let total: i64 = payments.iter().map(|p| p.amount_minor).sum();
    let now = record_schema::now_ms();
    let result: Result<(), sqlx::Error> = on_pool!(db, |p| {
        let mut tx = p.begin_write().await?;
        sqlx::query(
            "INSERT INTO funds_batches (id, project_id, file_name, file_sha256, month, rows, matched, total_minor, \
             imported_by, imported_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&batch_id)
        .bind(project)
        .bind(file_name)
        .bind(&sha)
        .bind(&month_key)
        .bind(judged.len() as i64)
        .bind(payments.len() as i64)
        .bind(total)
        .bind(imported_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for j in &judged {
            let Outcome::Mismatch(reason) = &j.outcome else { continue };
            sqlx::query(
                "INSERT INTO funds_batch_mismatches (batch_id, row_no, name, id_masked, card_masked, amount_minor, \
                 reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&batch_id)
            .bind(j.row as i64)
            .bind(&j.name)
            .bind(&j.id_masked)
            .bind(&j.card_masked)
            .bind(j.amount)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        }
        insert_payments!(tx, project, payments.iter(), imported_by, now);
        tx.commit().await
    });
    match result {
        Ok(()) => {}
        Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
            return Err(FundsError::conflict("file", "this file was imported at the same time by another request"));
        }
        Err(e) => return Err(e.into()),
    }
    let mut batch = get(db, project, &batch_id).await?;
    batch.ignored_columns = l.ignored;
    Ok(batch)
}

async fn find_by_sha(db: &Db, project: &str, sha: &str) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar("SELECT id FROM funds_batches WHERE project_id = $1 AND file_sha256 = $2")
        .bind(project)
        .bind(sha)
        .fetch_optional(p)
        .await)
}

/// An imported batch of the project with its mismatches and payments (404 otherwise).
pub async fn get(db: &Db, project: &str, id: &str) -> FundsResult<Batch> {
    let row: Option<BatchRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, file_name, month, rows, matched, total_minor, imported_by, imported_at_ms FROM funds_batches \
         WHERE project_id = $1 AND id = $2"
    )
    .bind(project)
    .bind(id)
    .fetch_optional(p)
    .await?);
    let row = row.ok_or_else(|| FundsError::not_found("id", format!("no batch {id:?} in this project")))?;
    let currency = project_currency(db, project).await?;
    let mut mismatches: Vec<Mismatch> = on_pool!(db, |p| sqlx::query_as(
        "SELECT row_no, name, id_masked, card_masked, amount_minor, reason FROM funds_batch_mismatches \
         WHERE batch_id = $1 ORDER BY row_no"
    )
    .bind(id)
    .fetch_all(p)
    .await?);
    for m in &mut mismatches {
        m.amount = m.amount_minor.map(|a| amount_text(a, currency));
    }
    let filter = super::payments::ListFilter { batch_id: Some(id.to_string()), ..Default::default() };
    let mut payments = super::payments::list(db, project, &filter).await?;
    payments.reverse();
    Ok(Batch {
        id: row.id,
        file_name: row.file_name,
        month: month_text(&row.month),
        rows: row.rows,
        matched: row.matched,
        currency: currency.code().into(),
        total: amount_text(row.total_minor, currency),
        imported_by: row.imported_by,
        imported_at_ms: row.imported_at_ms,
        mismatches,
        payments,
        ignored_columns: Vec::new(),
    })
}

/// A batch in a list: no rows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BatchSummary {
    pub id: String,
    pub file_name: String,
    pub month: String,
    pub rows: i64,
    pub matched: i64,
    pub total: String,
    pub imported_at_ms: i64,
}

/// The project's batches, newest first.
pub async fn list(db: &Db, project: &str) -> FundsResult<Vec<BatchSummary>> {
    let rows: Vec<BatchRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, file_name, month, rows, matched, total_minor, imported_by, imported_at_ms FROM funds_batches \
         WHERE project_id = $1 ORDER BY imported_at_ms DESC, id DESC"
    )
    .bind(project)
    .fetch_all(p)
    .await?);
    let currency = project_currency(db, project).await?;
    Ok(rows
        .into_iter()
        .map(|r| BatchSummary {
            id: r.id,
            file_name: r.file_name,
            month: month_text(&r.month),
            rows: r.rows,
            matched: r.matched,
            total: amount_text(r.total_minor, currency),
            imported_at_ms: r.imported_at_ms,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(succeeded(None), Ok(true));
        assert_eq!(succeeded(Some("成功")), Ok(true));
        assert_eq!(succeeded(Some(" Success ")), Ok(true));
        assert_eq!(succeeded(Some("失败")), Ok(false));
        assert_eq!(succeeded(Some("FAILED")), Ok(false));
        assert_eq!(succeeded(Some("pending")), Err(()));
    }
}

//! Payments (`/web/funds/payments?month=YYYY-MM`) over `funds::payments` and `funds::batch`: record
//! one payment (a worker's or a crew's wages for a month, a supplier, a foreman's reimbursement),
//! cancel one (a reversal row; a payment never changes an approved record), the month's payments,
//! and a bank's batch result file (代发结果) uploaded for a wage month, answered by the batch's page
//! (`/web/funds/batches/{id}`): what was paid, and every row that was not, with the reason.
//! Office and admin only.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Problem, Tab, problem_of, recorder};
use crate::funds::batch::{self, Batch, BatchInput, BatchSummary};
use crate::funds::error::FundsError;
use crate::funds::payments::{self, ListFilter, NewPayment, Payment};
use crate::funds::roster::{self, Worker};
use crate::state::AppState;
use crate::web::format::money_code;
use crate::web::i18n::Lang;
use crate::web::session::WebSession;
use crate::web::{Chrome, Fields, WebError, render};

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    pub month: Option<String>,
    pub done: Option<String>,
}

/// The record form's values, typed back after a refusal.
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    pub kind: String,
    pub worker_id: String,
    pub crew: String,
    pub payee: String,
    pub month: String,
    pub paid_on: String,
    pub payer_account: String,
    pub amount: String,
    pub reference: String,
}

pub struct PaymentLine {
    pub id: String,
    pub kind: &'static str,
    /// Who was paid, in words.
    pub to: String,
    pub month: String,
    pub paid_on: String,
    pub account: String,
    pub amount: String,
    pub reference: String,
    pub batch: String,
    pub cancelled: bool,
    pub reversal: bool,
}

#[derive(Template)]
#[template(path = "funds_payments.html")]
struct PaymentsPage {
    c: Chrome,
    tabs: Vec<Tab>,
    month: String,
    form: FormValues,
    workers: Vec<Worker>,
    crews: Vec<String>,
    payments: Vec<PaymentLine>,
    batches: Vec<BatchSummary>,
    problem: Option<Problem>,
    problem_at: String,
    done: String,
}

#[derive(Template)]
#[template(path = "funds_batch.html")]
struct BatchPage {
    c: Chrome,
    tabs: Vec<Tab>,
    b: Batch,
    payments: Vec<PaymentLine>,
    total: String,
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "wage" => "fp_kind_wage",
        "vendor" => "fc_kind_vendor",
        _ => "fc_kind_reimbursement",
    }
}

fn line(p: &Payment, lang: Lang) -> PaymentLine {
    let to = match (&p.worker_name, &p.worker_id, &p.crew, &p.payee) {
        (Some(n), Some(id), _, _) => format!("{n} ({id})"),
        (None, Some(id), _, _) => id.clone(),
        (_, None, Some(c), _) => format!("{c} · {}", lang.t("fp_crew_rest")),
        (_, None, None, Some(p)) => p.clone(),
        _ => String::new(),
    };
    let amount = p.amount.parse().map_or_else(|_| p.amount.clone(), |d| money_code(d, &p.currency, lang));
    PaymentLine {
        id: p.id.clone(),
        kind: lang.t(kind_key(&p.kind)),
        to,
        month: p.month.clone().unwrap_or_default(),
        paid_on: p.paid_on.clone(),
        account: p.payer_account.clone(),
        amount,
        reference: p.reference.clone(),
        batch: p.batch_id.clone().unwrap_or_default(),
        cancelled: p.cancelled_by.is_some(),
        reversal: p.reverses.is_some(),
    }
}

/// A mismatch's reason (`funds::batch` words it in English) in the page language: each known
/// reason, with the details it carries (names, ids, the bank's own words) kept.
pub fn reason_words(reason: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return reason.to_string();
    }
    reason.split("; ").map(reason_zh).collect::<Vec<_>>().join("；")
}

fn reason_zh(r: &str) -> String {
    let after = |prefix: &str| r.strip_prefix(prefix).map(str::to_string);
    if r == "the row has no name" {
        return "该行没有姓名".into();
    }
    if r == "nobody on the roster has this ID or card number" {
        return "花名册中没有这个身份证号或银行卡号的人".into();
    }
    if r == "the row has no ID or card number to match it by" {
        return "该行既没有身份证号也没有银行卡号，无法匹配".into();
    }
    if let Some(rest) = after("the bank reports this transfer failed") {
        return format!("银行回单显示转账失败{}", rest.replacen(": ", "：", 1));
    }
    if let Some(rest) = after("unknown status ") {
        return format!("无法识别的状态 {}（应为 成功/失败）", rest.split(" (").next().unwrap_or(rest.as_str()));
    }
    if let Some(rest) = after("bad amount: ") {
        return format!("金额有误：{rest}");
    }
    if let Some(rest) = after("invalid ID number: ") {
        return format!("身份证号无效：{rest}");
    }
    if let Some(rest) = after("invalid card number: ") {
        return format!("银行卡号无效：{rest}");
    }
    if r.starts_with("the ID number is stored as a number") {
        return "身份证号在表格里存成了数字，只保留了15位：请把该列设为文本后重新导出".into();
    }
    if r.starts_with("the card number is stored as a number") {
        return "银行卡号在表格里存成了数字，只保留了15位：请把该列设为文本后重新导出".into();
    }
    if let Some(rest) = after("the ID number is ")
        && let Some((a, b)) = rest.split_once("'s and the card number is ")
    {
        return format!("身份证号属于花名册中的 {a}，银行卡号却属于 {}", b.trim_end_matches("'s on the roster"));
    }
    if let Some(rest) = after("the name differs from the roster's: ")
        && let Some((id, name)) = rest.split_once(" is ")
    {
        return format!("姓名与花名册不一致：{id} 登记的是 {name}");
    }
    if let Some(rest) = after("duplicate: ")
        && let Some((id, row)) = rest.split_once(" is already paid in row ")
    {
        return format!("重复：{id} 已在本文件第 {} 行付过", row.trim_end_matches(" of this file"));
    }
    r.to_string()
}

fn chrome(s: &WebSession, headers: &HeaderMap, uri: &Uri, title: &'static str) -> Chrome {
    Chrome::new(Some(s), headers, uri, "funds", title)
}

async fn this_month(state: &AppState, s: &WebSession) -> Result<String, WebError> {
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    Ok(crate::reports::today(&set).format("%Y-%m").to_string())
}

async fn build(
    state: &AppState,
    s: &WebSession,
    c: Chrome,
    month: String,
    form: Option<FormValues>,
    problem: Option<(Problem, String)>,
    done: String,
) -> Result<PaymentsPage, WebError> {
    let project = &s.grant.project_id;
    let lang = c.lang;
    let filter = ListFilter { month: Some(month.clone()), ..ListFilter::default() };
    let listed = payments::list(&state.db, project, &filter).await.map_err(WebError::internal)?;
    let workers: Vec<Worker> = roster::list(&state.db, project, &roster::ListFilter::default())
        .await
        .map_err(WebError::internal)?
        .into_iter()
        .filter(|w| w.status == "active")
        .collect();
    let mut crews: Vec<String> = workers.iter().filter_map(|w| w.crew.clone()).collect();
    crews.sort();
    crews.dedup();
    let batches = batch::list(&state.db, project).await.map_err(WebError::internal)?;
    let today =
        crate::reports::today(&crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?);
    let form = form.unwrap_or_else(|| FormValues {
        kind: "wage".into(),
        month: month.clone(),
        paid_on: today.to_string(),
        ..FormValues::default()
    });
    let (problem, problem_at) = problem.map_or((None, String::new()), |(p, at)| (Some(p), at));
    Ok(PaymentsPage {
        tabs: super::tabs(s, lang, "payments"),
        month,
        form,
        workers,
        crews,
        payments: listed.iter().map(|p| line(p, lang)).collect(),
        batches,
        problem,
        problem_at,
        done,
        c,
    })
}

/// `GET /web/funds/payments[?month=YYYY-MM]`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let month = match crate::funds::cashflow::month_param("month", q.month.as_deref())? {
        Some(m) => m.format("%Y-%m").to_string(),
        None => this_month(&state, &s).await?,
    };
    let c = chrome(&s, &headers, &uri, "fp_title");
    let done = match q.done.as_deref() {
        Some("recorded") => c.t("fp_done_recorded").to_string(),
        Some("cancelled") => c.t("fp_done_cancelled").to_string(),
        _ => String::new(),
    };
    let page = build(&state, &s, c, month, None, None, done).await?;
    Ok(render(&page)?.into_response())
}

async fn refused(
    state: &AppState,
    s: &WebSession,
    c: Chrome,
    e: FundsError,
    month: String,
    form: Option<FormValues>,
    at: &str,
) -> Result<Response, WebError> {
    let Some((status, p)) = problem_of(&e, c.lang) else { return Err(WebError::internal(e)) };
    let page = build(state, s, c, month, form, Some((p, at.to_string())), String::new()).await?;
    Ok((status, render(&page)?).into_response())
}

/// `POST /web/funds/payments`: one payment.
pub async fn record(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let g = |k: &str| f.get(k).unwrap_or_default().trim().to_string();
    let typed = FormValues {
        kind: g("kind"),
        worker_id: g("worker_id"),
        crew: g("crew"),
        payee: g("payee"),
        month: g("month"),
        paid_on: g("paid_on"),
        payer_account: g("payer_account"),
        amount: g("amount"),
        reference: g("reference"),
    };
    let opt = |v: &str| Some(v.to_string()).filter(|v| !v.is_empty());
    let wage = typed.kind == "wage";
    // The form shows every field; only the kind's own are sent on.
    let input = NewPayment {
        kind: opt(&typed.kind),
        worker_id: if wage { opt(&typed.worker_id) } else { None },
        crew: if wage && typed.worker_id.is_empty() { opt(&typed.crew) } else { None },
        payee: if wage { None } else { opt(&typed.payee) },
        month: if wage { opt(&typed.month) } else { None },
        paid_on: opt(&typed.paid_on),
        payer_account: opt(&typed.payer_account),
        amount: opt(&typed.amount),
        reference: opt(&typed.reference),
    };
    let month = if typed.month.is_empty() { this_month(&state, &s).await? } else { typed.month.clone() };
    match payments::record(&state.db, &s.grant.project_id, &input, &recorder(&s)).await {
        Ok(p) => Ok(Redirect::to(&format!(
            "/web/funds/payments?month={}&done=recorded#payment-{}",
            p.month.unwrap_or(month),
            p.id
        ))
        .into_response()),
        Err(e) => refused(&state, &s, chrome(&s, &headers, &uri, "fp_title"), e, month, Some(typed), "record").await,
    }
}

/// `POST /web/funds/payments/{id}/cancel`
pub async fn cancel(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let month = f.get("month").map(str::to_string).filter(|m| !m.is_empty());
    let month = match month {
        Some(m) => m,
        None => this_month(&state, &s).await?,
    };
    let reason = f.get("reason").map(str::trim).filter(|r| !r.is_empty());
    match payments::cancel(&state.db, &s.grant.project_id, &id, reason, &recorder(&s)).await {
        Ok(_) => Ok(Redirect::to(&format!("/web/funds/payments?month={month}&done=cancelled")).into_response()),
        Err(e) => refused(&state, &s, chrome(&s, &headers, &uri, "fp_title"), e, month, None, "list").await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    pub month: Option<String>,
    pub paid_on: Option<String>,
    pub payer_account: Option<String>,
    pub file_name: Option<String>,
}

/// `POST /web/funds/batches?month=&paid_on=&payer_account=&file_name=`: the bank's file as the
/// body, the CSRF token in `X-CSRF-Token` (`funds.js`); answered by the batch's page.
pub async fn upload(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<UploadQuery>, QueryRejection>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    crate::web::csrf::check(&s.csrf, headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))?;
    super::require_pay(&s)?;
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let month = q.month.clone().filter(|m| !m.trim().is_empty());
    let input = BatchInput {
        month: month.clone(),
        file_name: q.file_name.clone(),
        paid_on: q.paid_on.clone().filter(|d| !d.trim().is_empty()),
        payer_account: q.payer_account.clone().filter(|a| !a.trim().is_empty()),
    };
    let result = if body.is_empty() {
        Err(FundsError::bad("file", "the file is empty"))
    } else {
        batch::import(&state.db, &s.grant.project_id, &body, &input, &recorder(&s)).await
    };
    match result {
        Ok(b) => Ok(Redirect::to(&format!("/web/funds/batches/{}", b.id)).into_response()),
        Err(e) => {
            let month = match month {
                Some(m) => m,
                None => this_month(&state, &s).await?,
            };
            refused(&state, &s, chrome(&s, &headers, &uri, "fp_title"), e, month, None, "batch").await
        }
    }
}

/// The upload route, with the body limit of a bank file.
pub fn upload_route() -> axum::routing::MethodRouter<AppState> {
    axum::routing::post(upload).layer(axum::extract::DefaultBodyLimit::max(crate::funds::sheet::MAX_FILE_BYTES))
}

/// `GET /web/funds/batches/{id}`: an imported batch, its payments and its mismatches.
pub async fn batch_page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let b = match batch::get(&state.db, &s.grant.project_id, &id).await {
        Ok(b) => b,
        Err(FundsError::NotFound { message, .. }) => {
            return Err(WebError::Api(crate::error::ApiError::not_found("id", message)));
        }
        Err(e) => return Err(WebError::internal(e)),
    };
    let c = chrome(&s, &headers, &uri, "fb_title");
    let lang = c.lang;
    let total = b.total.parse().map_or_else(|_| b.total.clone(), |d| money_code(d, &b.currency, lang));
    let mut b = b;
    for m in &mut b.mismatches {
        m.reason = reason_words(&m.reason, lang);
        m.amount = m.amount.take().map(|a| a.parse().map_or(a.clone(), |d| money_code(d, &b.currency, lang)));
    }
    let page = BatchPage {
        tabs: super::tabs(&s, lang, "payments"),
        payments: b.payments.iter().map(|p| line(p, lang)).collect(),
        total,
        b,
        c,
    };
    Ok(render(&page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatch_reasons_in_chinese() {
        let zh = |r: &str| reason_words(r, Lang::ZhCn);
        assert_eq!(zh("nobody on the roster has this ID or card number"), "花名册中没有这个身份证号或银行卡号的人");
        assert_eq!(zh("the bank reports this transfer failed: 账户冻结"), "银行回单显示转账失败：账户冻结");
        assert_eq!(zh("the name differs from the roster's: W0003 is 王五"), "姓名与花名册不一致：W0003 登记的是 王五");
        assert_eq!(zh("duplicate: W0003 is already paid in row 4 of this file"), "重复：W0003 已在本文件第 4 行付过");
        assert_eq!(
            zh("invalid ID number: bad check digit; invalid card number: 11 digits"),
            "身份证号无效：bad check digit；银行卡号无效：11 digits"
        );
        assert_eq!(reason_words("anything", Lang::En), "anything");
    }
}

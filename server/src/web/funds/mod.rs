//! The funds and wages centre's screens (资金数据中心, issue 21), one module per screen: cash flow
//! and the company view (`cashflow`), the roster, the wage ledger, payments and bank batches, and
//! the arrears warning. Strings in `web/i18n/funds.rs`, style in `static/funds.css`.
//!
//! Cash flow holds no personal data: every reader (supervisor, office, admin) sees it. Wages, the
//! roster and payments are for office and admin people only (`may_pay`).

pub mod arrears;
pub mod cashflow;
pub mod payments;
pub mod roster;
pub mod wages;

use crate::auth::Role;
use crate::web::session::WebSession;

/// Office and admin people: wages, the roster, payments (ID and card numbers, masked).
pub fn may_pay(role: Role) -> bool {
    role.keeps_funds()
}

/// One tab of the funds screens.
pub struct Tab {
    pub id: &'static str,
    pub href: &'static str,
    pub label: &'static str,
    pub on: bool,
}

/// The funds screens' tabs this session may open, `on` the one shown.
pub fn tabs(s: &WebSession, lang: crate::web::i18n::Lang, on: &str) -> Vec<Tab> {
    let mut all = vec![("cashflow", "/web/funds", "fund_tab_cashflow")];
    if may_pay(s.grant.role) {
        all.extend([
            ("wages", "/web/funds/wages", "fund_tab_wages"),
            ("payments", "/web/funds/payments", "fund_tab_payments"),
            ("arrears", "/web/funds/arrears", "fund_tab_arrears"),
            ("roster", "/web/funds/roster", "fund_tab_roster"),
        ]);
    }
    if s.manages() {
        all.push(("company", "/web/funds/company", "fund_tab_company"));
    }
    all.into_iter().map(|(id, href, label)| Tab { id, href, label: lang.t(label), on: id == on }).collect()
}

/// 403 for a role that may not see wages, the roster or payments.
pub fn require_pay(s: &WebSession) -> Result<(), crate::web::WebError> {
    if may_pay(s.grant.role) {
        Ok(())
    } else {
        Err(crate::web::WebError::Forbidden(format!(
            "a {} cannot see wages, payments or the roster; office and admin people can",
            s.grant.role
        )))
    }
}

/// Who records a payment or an allocation: the person, else the device.
pub fn recorder(s: &WebSession) -> String {
    s.person.as_ref().map_or_else(|| s.grant.device_id.clone(), |p| p.id.clone())
}

/// A refusal as the page shows it: a headline in the page language, the field in words, and the
/// shared code's reason; a refused file lists its rows.
#[derive(Debug, Clone)]
pub struct Problem {
    pub headline: &'static str,
    pub field: String,
    pub message: String,
    pub rows: Vec<crate::funds::error::RowProblem>,
    pub more: usize,
}

/// The field's name in the page language (the form's label), else the field as named.
pub fn field_label(field: &str, lang: crate::web::i18n::Lang) -> String {
    let key = match field {
        "id" | "worker_id" => "ff_id",
        "name" => "ff_name",
        "id_number" => "ff_id_number",
        "card_number" => "ff_card_number",
        "bank" => "ff_bank",
        "phone" => "ff_phone",
        "crew" => "crew",
        "trade" => "trade",
        "day_rate" => "ff_day_rate",
        "status" => "ff_status",
        "joined_on" => "ff_joined_on",
        "left_on" => "ff_left_on",
        "file" => "ff_file",
        "kind" => "ff_kind",
        "payee" => "fc_payee",
        "month" => "ff_month",
        "paid_on" => "ff_paid_on",
        "payer_account" => "ff_payer_account",
        "amount" => "ff_amount",
        "reference" => "ff_reference",
        "received_on" => "fa_received_on",
        "wage_pay_day" => "fa_pay_day_label",
        _ => return field.to_string(),
    };
    lang.t(key).to_string()
}

/// The status and words of a refusal; `None` for a failure that is not the input's (database).
pub fn problem_of(
    e: &crate::funds::error::FundsError,
    lang: crate::web::i18n::Lang,
) -> Option<(axum::http::StatusCode, Problem)> {
    use crate::funds::error::FundsError as E;
    use axum::http::StatusCode as S;
    let one = |status, headline, field: &str, message: &str| {
        Some((
            status,
            Problem {
                headline,
                field: field_label(field, lang),
                message: message.to_string(),
                rows: Vec::new(),
                more: 0,
            },
        ))
    };
    match e {
        E::BadInput { field, message } => one(S::BAD_REQUEST, "ff_not_saved", field, message),
        E::Invalid { field, message } => one(S::UNPROCESSABLE_ENTITY, "ff_not_saved", field, message),
        E::NotFound { field, message } => one(S::NOT_FOUND, "ff_not_found", field, message),
        E::Conflict { field, message } => one(S::CONFLICT, "ff_conflict", field, message),
        E::TooLarge { field, message } => one(S::PAYLOAD_TOO_LARGE, "ff_too_large", field, message),
        E::Rows { problems, more } => Some((
            S::UNPROCESSABLE_ENTITY,
            Problem {
                headline: "ff_file_refused",
                field: field_label("file", lang),
                message: String::new(),
                rows: problems.clone(),
                more: *more,
            },
        )),
        E::Sql(_) | E::Publish(_) | E::Report(_) => None,
    }
}

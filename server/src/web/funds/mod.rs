//! The funds and wages centre's screens (资金数据中心, issue 21), one module per screen: cash flow
//! and the company view (`cashflow`), the roster, the wage ledger, payments and bank batches, and
//! the arrears warning. Strings in `web/i18n/funds.rs`, style in `static/funds.css`.
//!
//! Cash flow holds no personal data: every reader (supervisor, office, admin) sees it. Wages, the
//! roster and payments are for office and admin people only (`may_pay`).

pub mod arrears;
pub mod cashflow;
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

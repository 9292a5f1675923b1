//! Record fixtures shared by the server tests: a site `S1` in Shanghai, author "li".

use automerge::AutoCommit;
use chrono::NaiveDate;
use record_schema::record::RecordHeader;
use record_schema::{Currency, Expense};
use rust_decimal::Decimal;

pub fn header(id: &str, project: &str) -> RecordHeader {
    RecordHeader {
        id: id.into(),
        project_id: project.into(),
        site_id: "S1".into(),
        time_zone: "Asia/Shanghai".into(),
        author: "li".into(),
        created_at_ms: 1,
        voided: None,
    }
}

/// A 1,280.50 CNY materials expense on 2026-11-20.
pub fn expense(id: &str, project: &str) -> Expense {
    Expense {
        header: header(id, project),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        amount: Decimal::new(128050, 2),
        currency: Currency::Cny,
        category: "materials".into(),
        vendor: None,
        cost_code: "03-100".into(),
        note: None,
        receipts: vec![],
    }
}

/// A new Automerge document holding `e`.
pub fn expense_doc(e: &Expense) -> AutoCommit {
    let mut d = AutoCommit::new();
    e.write(&mut d).expect("write");
    d
}

//! Expense (费用): a decimal amount charged to a cost code, with receipt photos.

use automerge::{AutoCommit, ROOT};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::doc::{self, get_str, put_opt_str, put_str, req_date, req_decimal, req_str};
use crate::money::Currency;
use crate::photo::{read_photos, write_photos};
use crate::record::RecordHeader;
use crate::validate::{self, ValidationContext, check_note, check_range, check_required};
use crate::{PhotoRef, RecordKind, SchemaError, ValidationError};

#[derive(Debug, Clone, PartialEq)]
pub struct Expense {
    pub header: RecordHeader,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub currency: Currency,
    pub category: String,
    pub vendor: Option<String>,
    pub cost_code: String,
    pub note: Option<String>,
    pub receipts: Vec<PhotoRef>,
}

impl Expense {
    pub fn validate(&self, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        let tz = self.header.validate()?;
        ctx.check_site(&self.header.site_id, &self.header.time_zone)?;
        ctx.check_date("date", self.date, tz)?;
        check_range("amount", self.amount, false, Decimal::from(validate::MAX_AMOUNT), self.currency.scale())?;
        ctx.check_expense_category("category", &self.category)?;
        if let Some(v) = &self.vendor {
            check_required("vendor", v)?;
        }
        ctx.check_cost_code("cost_code", &self.cost_code)?;
        check_note("note", self.note.as_deref())?;
        for (i, p) in self.receipts.iter().enumerate() {
            p.validate(&format!("receipts[{i}]"))?;
        }
        Ok(())
    }

    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        self.header.write(d, RecordKind::Expense)?;
        put_str(d, &ROOT, "date", &self.date.to_string())?;
        put_str(d, &ROOT, "amount", &self.currency.canonical(self.amount))?;
        put_str(d, &ROOT, "currency", self.currency.code())?;
        put_str(d, &ROOT, "category", &self.category)?;
        put_opt_str(d, &ROOT, "vendor", self.vendor.as_deref())?;
        put_str(d, &ROOT, "cost_code", &self.cost_code)?;
        put_opt_str(d, &ROOT, "note", self.note.as_deref())?;
        write_photos(d, &ROOT, "receipts", &self.receipts)
    }

    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        doc::expect_kind(d, RecordKind::Expense)?;
        let currency = req_str(d, &ROOT, "currency")?
            .parse::<Currency>()
            .map_err(|e| SchemaError::Malformed { field: "currency".into(), reason: e.reason })?;
        Ok(Expense {
            header: RecordHeader::read(d)?,
            date: req_date(d, &ROOT, "date")?,
            amount: req_decimal(d, &ROOT, "amount")?,
            currency,
            category: req_str(d, &ROOT, "category")?,
            vendor: get_str(d, &ROOT, "vendor")?,
            cost_code: req_str(d, &ROOT, "cost_code")?,
            note: get_str(d, &ROOT, "note")?,
            receipts: read_photos(d, &ROOT, "receipts")?,
        })
    }
}

//! Wage advance (借支): money given to one worker on site against wages, with photos of the slip the
//! worker signed. Approved like the other records; it posts nothing to the cost ledger (the wages
//! it is part of post there), only to the funds ledger, where it is offset against wages.

use automerge::{AutoCommit, ROOT};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::doc::{self, get_str, put_opt_str, put_str, req_date, req_decimal, req_str};
use crate::money::Currency;
use crate::photo::{read_photos, write_photos};
use crate::record::RecordHeader;
use crate::validate::{self, ValidationContext, check_length, check_note, check_range, check_required};
use crate::{PhotoRef, RecordKind, SchemaError, ValidationError, Worker};

#[derive(Debug, Clone, PartialEq)]
pub struct WageAdvance {
    pub header: RecordHeader,
    /// The day the money was handed over, on the site's calendar.
    pub date: NaiveDate,
    /// Who received it: a name, and the roster's id when picked from the roster.
    pub worker: Worker,
    /// The worker's crew (班组), when known.
    pub crew: Option<String>,
    pub amount: Decimal,
    pub currency: Currency,
    /// Why (借支事由): required, so the office can tell an advance from a mistake.
    pub reason: String,
    /// Photos of the slip the worker signed (like an expense's receipts).
    pub slips: Vec<PhotoRef>,
    pub note: Option<String>,
}

impl WageAdvance {
    pub fn validate(&self, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        let tz = self.header.validate()?;
        ctx.check_site(&self.header.site_id, &self.header.time_zone)?;
        ctx.check_date("date", self.date, tz)?;
        self.worker.validate("worker", ctx)?;
        if let Some(c) = &self.crew {
            check_required("crew", c)?;
        }
        check_range("amount", self.amount, false, Decimal::from(validate::MAX_ADVANCE_AMOUNT), self.currency.scale())?;
        if self.reason.trim().is_empty() {
            return Err(ValidationError::new("reason", "is required"));
        }
        check_length("reason", &self.reason, validate::MAX_REASON_BYTES)?;
        check_note("note", self.note.as_deref())?;
        for (i, p) in self.slips.iter().enumerate() {
            p.validate(&format!("slips[{i}]"))?;
        }
        Ok(())
    }

    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        self.header.write(d, RecordKind::WageAdvance)?;
        put_str(d, &ROOT, "date", &self.date.to_string())?;
        let worker = doc::ensure_map(d, &ROOT, "worker")?;
        self.worker.write(d, &worker)?;
        put_opt_str(d, &ROOT, "crew", self.crew.as_deref())?;
        put_str(d, &ROOT, "amount", &self.currency.canonical(self.amount))?;
        put_str(d, &ROOT, "currency", self.currency.code())?;
        put_str(d, &ROOT, "reason", &self.reason)?;
        put_opt_str(d, &ROOT, "note", self.note.as_deref())?;
        write_photos(d, &ROOT, "slips", &self.slips)
    }

    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        doc::expect_kind(d, RecordKind::WageAdvance)?;
        let currency = req_str(d, &ROOT, "currency")?
            .parse::<Currency>()
            .map_err(|e| SchemaError::Malformed { field: "currency".into(), reason: e.reason })?;
        let worker = match doc::get_map(d, &ROOT, "worker")? {
            Some(obj) => Worker::read(d, &obj)?,
            None => return Err(SchemaError::Malformed { field: "worker".into(), reason: "is missing".into() }),
        };
        Ok(WageAdvance {
            header: RecordHeader::read(d)?,
            date: req_date(d, &ROOT, "date")?,
            worker,
            crew: get_str(d, &ROOT, "crew")?,
            amount: req_decimal(d, &ROOT, "amount")?,
            currency,
            reason: req_str(d, &ROOT, "reason")?,
            slips: read_photos(d, &ROOT, "slips")?,
            note: get_str(d, &ROOT, "note")?,
        })
    }
}

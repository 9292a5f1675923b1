//! What every record must satisfy before it is written. Shared by phone and server, so both refuse the
//! same input with the same field path.

use chrono::{DateTime, Days, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::reference::{ExpenseCategories, ExpenseCategory, RosterWorker};
use crate::zone::SiteZone;
use crate::{ReferenceData, ValidationError};

/// Crew size above which a line is taken for a typing error.
pub const MAX_HEADCOUNT: i64 = 500;
/// A person works at most this many days' pay in one calendar day (24 h at 8 h a day).
pub const MAX_DAY_COUNT: i64 = 3;
pub const MAX_HOURS: i64 = 24;
/// Dates earlier than this are taken for typing errors.
pub const EARLIEST_DATE: (i32, u32, u32) = (2000, 1, 1);
/// A sheet may be prepared for tomorrow, no further ahead.
pub const MAX_DAYS_AHEAD: u64 = 1;
/// Largest single amount (rate or expense) accepted, in currency units.
pub const MAX_AMOUNT: i64 = 100_000_000;
/// Bytes of a name, code or id typed on a phone (trade, crew, worker name, cost code, site).
pub const MAX_NAME_BYTES: usize = 200;
/// Bytes of a wage advance's reason (借支事由).
pub const MAX_REASON_BYTES: usize = 1000;
/// Largest single wage advance, in currency units: an advance is part of one worker's wages, so
/// anything beyond this is a typing error (a year's wages at a high day rate is well below).
pub const MAX_ADVANCE_AMOUNT: i64 = 1_000_000;
/// Bytes of a note or caption.
pub const MAX_NOTE_BYTES: usize = 4000;
/// Bytes of a worker's ID card or employee number (an 18-character 身份证号 fits with room to spare).
pub const MAX_ID_NUMBER_BYTES: usize = 64;
/// Decimals allowed for hours, day counts, percentages and quantities.
pub const QUANTITY_SCALE: u32 = 2;
/// Decimals a rate may carry, whatever the currency: an hourly rate derived from a day rate
/// (365 / 8 = 45.625) is kept as the office set it; only a line's amount is rounded.
pub const RATE_SCALE: u32 = 4;
/// Hours in a 点工 day when the project does not say otherwise.
pub const DEFAULT_HOURS_PER_DAY: i64 = 8;
/// Largest hours-per-day a project may set.
pub const MAX_HOURS_PER_DAY: i64 = 24;

/// What validation needs from outside the record: the clock and, once synced, the project's reference
/// data (cost codes, activities, trades, sites, expense categories).
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    pub now: DateTime<Utc>,
    pub reference: Option<&'a ReferenceData>,
    /// The expense categories in force: the reference data's, unless set on their own (the server's
    /// sync checks categories without checking cost codes and sites, which its queue flags instead).
    pub expense_categories: ExpenseCategories<'a>,
    /// The project's roster (`ReferenceData::workers`), which a `worker_id` must be one of; empty:
    /// no roster published, ids are not checked.
    pub roster: &'a [RosterWorker],
}

impl<'a> ValidationContext<'a> {
    pub fn new(now: DateTime<Utc>, reference: Option<&'a ReferenceData>) -> Self {
        Self {
            now,
            reference,
            expense_categories: ExpenseCategories::of(reference),
            roster: reference.map_or(&[], |r| r.workers.as_slice()),
        }
    }

    /// This context with the project's roster `roster` (the server's sync, which reads the roster
    /// without the rest of the reference data).
    pub fn with_roster(self, roster: &'a [RosterWorker]) -> Self {
        Self { roster, ..self }
    }

    /// A worker's roster id: within its bytes and, once a roster is published, one of it.
    pub fn check_worker_id(&self, field: &str, id: &str) -> Result<(), ValidationError> {
        check_required(field, id)?;
        if !self.roster.is_empty() && !self.roster.iter().any(|w| w.id == id) {
            return Err(ValidationError::new(field, format!("unknown worker {id:?}: not on the project's roster")));
        }
        Ok(())
    }

    /// This context with the project's expense categories `categories` (empty: the defaults).
    pub fn with_expense_categories(self, categories: &'a [ExpenseCategory]) -> Self {
        Self { expense_categories: ExpenseCategories::listed(categories), ..self }
    }

    /// Checks a record's date against the site's local calendar.
    pub fn check_date(&self, field: &str, date: NaiveDate, zone: SiteZone) -> Result<(), ValidationError> {
        let today = zone.today(self.now);
        let latest = today.checked_add_days(Days::new(MAX_DAYS_AHEAD)).unwrap_or(today);
        if date > latest {
            return Err(ValidationError::new(field, format!("{date} is in the future (site's today is {today})")));
        }
        let (y, m, d) = EARLIEST_DATE;
        if NaiveDate::from_ymd_opt(y, m, d).is_some_and(|earliest| date < earliest) {
            return Err(ValidationError::new(field, format!("{date} is before {y}")));
        }
        Ok(())
    }

    pub fn check_cost_code(&self, field: &str, code: &str) -> Result<(), ValidationError> {
        check_required(field, code)?;
        if let Some(r) = self.reference
            && !r.cost_codes.iter().any(|c| c.code == code)
        {
            return Err(ValidationError::new(field, format!("unknown cost code {code:?}")));
        }
        Ok(())
    }

    pub fn check_activity(&self, field: &str, activity: &str) -> Result<(), ValidationError> {
        check_required(field, activity)?;
        if let Some(r) = self.reference
            && !r.activities.iter().any(|a| a.id == activity)
        {
            return Err(ValidationError::new(field, format!("unknown activity {activity:?}")));
        }
        Ok(())
    }

    /// Hours in one 点工 day on this project: the reference data's, else `DEFAULT_HOURS_PER_DAY`.
    pub fn hours_per_day(&self) -> Decimal {
        ReferenceData::hours_per_day_of(self.reference)
    }

    /// An expense's category must be one of the project's (`ReferenceData::expense_categories`),
    /// or of the default list while the project defines none.
    pub fn check_expense_category(&self, field: &str, category: &str) -> Result<(), ValidationError> {
        check_required(field, category)?;
        let codes = self.expense_categories;
        if !codes.contains(category) {
            return Err(ValidationError::new(
                field,
                format!("unknown category {category:?}; one of {}", codes.codes().join(", ")),
            ));
        }
        Ok(())
    }

    /// Once reference data is present, the site must be one of the project's, in its own time zone
    /// (a record dated on the wrong calendar would land on the wrong day in every report).
    pub fn check_site(&self, site_id: &str, time_zone: &str) -> Result<(), ValidationError> {
        let Some(r) = self.reference else { return Ok(()) };
        if r.sites.is_empty() {
            return Ok(());
        }
        match r.sites.iter().find(|s| s.id == site_id) {
            None => Err(ValidationError::new("site_id", format!("unknown site {site_id:?}"))),
            Some(s) if s.time_zone != time_zone => Err(ValidationError::new(
                "time_zone",
                format!("site {site_id} keeps its records in {}, not {time_zone}", s.time_zone),
            )),
            Some(_) => Ok(()),
        }
    }
}

pub fn check_required(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new(field, "is required"));
    }
    check_length(field, value, MAX_NAME_BYTES)
}

/// `value` is at most `max` bytes.
pub fn check_length(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.len() > max {
        return Err(ValidationError::new(
            field,
            format!("is {} bytes long; at most {max} bytes are allowed", value.len()),
        ));
    }
    Ok(())
}

pub fn check_note(field: &str, value: Option<&str>) -> Result<(), ValidationError> {
    match value {
        Some(v) => check_length(field, v, MAX_NOTE_BYTES),
        None => Ok(()),
    }
}

pub fn parse_time_zone(field: &str, tz: &str) -> Result<SiteZone, ValidationError> {
    SiteZone::parse(tz).ok_or_else(|| ValidationError::new(field, format!("unknown time zone {tz:?}")))
}

/// `value` must lie in `(0, max]` (or `[0, max]` when `allow_zero`) with at most `scale` decimals.
pub fn check_range(
    field: &str,
    value: Decimal,
    allow_zero: bool,
    max: Decimal,
    scale: u32,
) -> Result<(), ValidationError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(ValidationError::new(field, format!("must not be negative (got {value})")));
    }
    if value.is_zero() && !allow_zero {
        return Err(ValidationError::new(field, "must be more than 0"));
    }
    if value > max {
        return Err(ValidationError::new(field, format!("must be at most {max} (got {value})")));
    }
    if value.normalize().scale() > scale {
        return Err(ValidationError::new(field, format!("at most {scale} decimal places (got {value})")));
    }
    Ok(())
}

//! A project's funds settings: the wage pay day (the day of the next month by which a month's wages
//! are due in full, `projects.wage_pay_day`, 1..=28, default 15), and the readings the funds modules
//! share: the project's currency, a wage month (`YYYY-MM`), a date, an amount.

use chrono::{Datelike, NaiveDate};
use record_schema::Currency;
use rust_decimal::Decimal;
use serde::Serialize;

use super::error::{FundsError, FundsResult};
use crate::db::{Db, on_pool};

/// The pay day when the project sets none.
pub const DEFAULT_WAGE_PAY_DAY: u32 = 15;
/// Pay days allowed: every month has them.
pub const WAGE_PAY_DAYS: std::ops::RangeInclusive<u32> = 1..=28;
/// Largest single payment or allocation, in currency units (one billion).
pub const MAX_AMOUNT: i64 = 1_000_000_000;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = FundsSettings)]
pub struct Settings {
    pub wage_pay_day: u32,
    /// True when the project has not set its own pay day.
    pub is_default: bool,
    pub currency: String,
}

#[derive(sqlx::FromRow)]
struct ProjectRow {
    currency: String,
    wage_pay_day: Option<i64>,
}

async fn project_row(db: &Db, project: &str) -> Result<Option<ProjectRow>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_as("SELECT currency, wage_pay_day FROM projects WHERE id = $1")
        .bind(project)
        .fetch_optional(p)
        .await)
}

/// The project's currency (the default when the project has no reference data yet).
pub async fn project_currency(db: &Db, project: &str) -> Result<Currency, sqlx::Error> {
    let row = project_row(db, project).await?;
    Ok(row.and_then(|r| r.currency.parse().ok()).unwrap_or_default())
}

/// The day of the next month by which a month's wages are due (stored, else the default).
pub async fn wage_pay_day(db: &Db, project: &str) -> Result<u32, sqlx::Error> {
    Ok(get(db, project).await?.wage_pay_day)
}

/// The project's funds settings.
pub async fn get(db: &Db, project: &str) -> Result<Settings, sqlx::Error> {
    let row = project_row(db, project).await?;
    let day = row.as_ref().and_then(|r| r.wage_pay_day).and_then(|d| u32::try_from(d).ok());
    let day = day.filter(|d| WAGE_PAY_DAYS.contains(d));
    Ok(Settings {
        wage_pay_day: day.unwrap_or(DEFAULT_WAGE_PAY_DAY),
        is_default: day.is_none(),
        currency: row.and_then(|r| r.currency.parse::<Currency>().ok()).unwrap_or_default().code().to_string(),
    })
}

/// Sets the pay day (`None`: back to the default). 422 outside 1..=28; 409 when the project has no
/// reference data yet (its row is made by the reference import).
pub async fn set_wage_pay_day(db: &Db, project: &str, day: Option<i64>) -> FundsResult<Settings> {
    if let Some(d) = day
        && !u32::try_from(d).is_ok_and(|d| WAGE_PAY_DAYS.contains(&d))
    {
        return Err(FundsError::invalid(
            "wage_pay_day",
            format!(
                "a pay day is from {} to {} (every month has it), or null for the default ({DEFAULT_WAGE_PAY_DAY})",
                WAGE_PAY_DAYS.start(),
                WAGE_PAY_DAYS.end()
            ),
        ));
    }
    let done = on_pool!(db, |p| sqlx::query("UPDATE projects SET wage_pay_day = $1 WHERE id = $2")
        .bind(day)
        .bind(project)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(FundsError::conflict("project", "the project has no reference data yet: import it first"));
    }
    Ok(get(db, project).await?)
}

/// A wage month `YYYY-MM` (years 2000 to 2100) as its first day.
pub fn parse_month(field: &str, text: &str) -> FundsResult<NaiveDate> {
    let t = text.trim();
    let first = NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d").ok().filter(|_| t.len() == 7);
    first
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| FundsError::bad(field, "expected a month YYYY-MM (years 2000 to 2100)"))
}

/// `YYYY-MM` of a month's first day (as `funds_*.month` holds `YYYY-MM-01`).
pub fn month_text(stored: &str) -> String {
    stored.get(..7).unwrap_or(stored).to_string()
}

/// A date `YYYY-MM-DD` in 2000..=2100 (payments and allocations).
pub fn parse_day(field: &str, text: &str) -> FundsResult<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| FundsError::bad(field, "expected a date YYYY-MM-DD (years 2000 to 2100)"))
}

/// A positive amount in `currency` as text (no more decimals than the currency has, at most
/// [`MAX_AMOUNT`]), as minor units.
pub fn parse_amount(field: &str, text: &str, currency: Currency) -> FundsResult<i64> {
    let d = record_schema::money::parse_amount(field, text, currency)
        .map_err(|e| FundsError::bad(field, format!("{} ({} decimals at most)", e.reason, currency.scale())))?;
    if d <= Decimal::ZERO || d > Decimal::from(MAX_AMOUNT) {
        return Err(FundsError::invalid(field, format!("an amount is more than 0 and at most {MAX_AMOUNT}")));
    }
    crate::ledger::postings::to_minor(d, currency)
        .ok_or_else(|| FundsError::invalid(field, format!("an amount is at most {MAX_AMOUNT}")))
}

/// Minor units as the currency's decimal text (`1234.50`).
pub fn amount_text(minor: i64, currency: Currency) -> String {
    currency.canonical(crate::ledger::postings::from_minor(minor, currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_days_amounts() {
        assert_eq!(parse_month("month", "2026-11").ok(), NaiveDate::from_ymd_opt(2026, 11, 1));
        for bad in ["2026-13", "2026-1", "26-11", "2026-11-01", "1999-12", "", "2026/11"] {
            assert!(parse_month("month", bad).is_err(), "{bad}");
        }
        assert!(parse_day("paid_on", "2026-02-29").is_err());
        assert_eq!(parse_amount("amount", "1234.5", Currency::Cny).ok(), Some(123_450));
        for bad in ["0", "-5", "1.234", "1e3", "abc", "1,000", "1000000000.01"] {
            assert!(parse_amount("amount", bad, Currency::Cny).is_err(), "{bad}");
        }
        assert_eq!(amount_text(123_450, Currency::Cny), "1234.50");
        assert_eq!(month_text("2026-11-01"), "2026-11");
    }
}

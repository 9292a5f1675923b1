//! The reports' query parameters (`?from=&to=&at=&period=&by=&format=`), read the same way by the
//! JSON API (`/v1/reports/*`, `crate::api::reports`) and the screens (`/web/cost`, `/web/schedule`,
//! `/web/labour` and their exports, `crate::web::dashboards`), with the same answers to bad input;
//! and the one reading of a query date, which the pending lists' filters use too.

use chrono::NaiveDate;
use serde::Deserialize;

use super::labour::{self, Period};
use super::{DateRange, ReportError, export::FileFormat};

/// Latest date a query (report, pending filter) accepts; the earliest is the records' own
/// (`record_schema::validate::EARLIEST_DATE`). Beyond them a date is a typing error, and a schedule
/// report at year 262142 built a 180 MB answer.
pub const LATEST_QUERY_DATE: (i32, u32, u32) = (2100, 12, 31);

/// A date parameter: blank is none; otherwise plain `YYYY-MM-DD` (chrono alone also takes
/// `+262142-12-31` or `2026-3-3`) between `EARLIEST_DATE` and `LATEST_QUERY_DATE`.
pub fn date_param(field: &'static str, v: Option<String>) -> Result<Option<String>, ReportError> {
    let Some(raw) = v.filter(|s| !s.trim().is_empty()) else { return Ok(None) };
    let text = raw.trim();
    let (earliest, latest) = (record_schema::validate::EARLIEST_DATE, LATEST_QUERY_DATE);
    let day = |(y, m, d): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, d);
    let plain = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let date = text
        .parse::<NaiveDate>()
        .ok()
        .filter(|d| plain && day(earliest).is_none_or(|e| *d >= e) && day(latest).is_none_or(|l| *d <= l));
    let show = |(y, m, d): (i32, u32, u32)| format!("{y:04}-{m:02}-{d:02}");
    date.map(|d| Some(d.to_string())).ok_or_else(|| {
        ReportError::BadInput(
            field,
            format!("expected a date YYYY-MM-DD from {} to {}, got {text:?}", show(earliest), show(latest)),
        )
    })
}

/// A report's query, as sent (every parameter optional, text until read by the methods below).
#[derive(Debug, Deserialize, Default)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub at: Option<String>,
    pub period: Option<String>,
    pub by: Option<String>,
    pub format: Option<String>,
}

/// What a report answers with: JSON (the API's default), or a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    File(FileFormat),
}

/// The labour summary's parameters: dates, period and grouping.
#[derive(Debug, Clone)]
pub struct LabourParams {
    pub range: DateRange,
    pub period: Period,
    /// The period as asked for (`day` when not given).
    pub period_text: String,
    pub by: Vec<&'static str>,
}

impl ReportQuery {
    /// A date parameter as a date (see `date_param`).
    fn date(field: &'static str, v: &Option<String>) -> Result<Option<NaiveDate>, ReportError> {
        Ok(date_param(field, v.clone())?.and_then(|d| d.parse().ok()))
    }

    /// `from` and `to`: either may be blank; `to` before `from` is refused.
    pub fn range(&self) -> Result<DateRange, ReportError> {
        DateRange::new(Self::date("from", &self.from)?, Self::date("to", &self.to)?)
    }

    /// `at` (the schedule's day), if given; the caller's default is today where the project works.
    pub fn at(&self) -> Result<Option<NaiveDate>, ReportError> {
        Self::date("at", &self.at)
    }

    /// `from`, `to`, `period` (blank: `day`) and `by` (blank: `site,trade,crew`).
    pub fn labour(&self) -> Result<LabourParams, ReportError> {
        let range = self.range()?;
        let period_text = self.period.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "day".into());
        let period: Period = period_text.parse()?;
        let by = labour::parse_dimensions(self.by.as_deref().filter(|b| !b.is_empty()).unwrap_or("site,trade,crew"))?;
        Ok(LabourParams { range, period, period_text, by })
    }

    /// `format`: `json` (or blank), `csv` or `xlsx`.
    pub fn format(&self) -> Result<Format, ReportError> {
        match self.format.as_deref().unwrap_or("json") {
            "json" | "" => Ok(Format::Json),
            "csv" => Ok(Format::File(FileFormat::Csv)),
            "xlsx" => Ok(Format::File(FileFormat::Xlsx)),
            other => Err(ReportError::BadInput("format", format!("{other:?} is not one of json, csv, xlsx"))),
        }
    }

    /// `format` of an export, which is always a file: `csv` or `xlsx`.
    pub fn file_format(&self) -> Result<FileFormat, ReportError> {
        match self.format() {
            Ok(Format::File(f)) => Ok(f),
            _ => Err(ReportError::BadInput(
                "format",
                format!("{:?} is not one of csv, xlsx", self.format.as_deref().unwrap_or_default()),
            )),
        }
    }
}

//! Progress report (进度): how far one schedule activity has got, evidenced by photos.

use automerge::{AutoCommit, ROOT};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::doc::{self, get_str, put_opt_str, put_str, req_date, req_decimal, req_str};
use crate::money::canonical_quantity;
use crate::photo::{read_photos, write_photos};
use crate::record::RecordHeader;
use crate::validate::{self, ValidationContext, check_note, check_range, check_required};
use crate::{PhotoRef, RecordKind, SchemaError, ValidationError};

/// Largest installed quantity accepted on one report (any unit).
pub const MAX_QUANTITY: i64 = 10_000_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Cumulative percent complete of the activity as of the report date (0–100).
    Percent(Decimal),
    /// Quantity installed on the report date, in the activity's unit (m³, t, m²…).
    Quantity { installed: Decimal, unit: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgressReport {
    pub header: RecordHeader,
    pub date: NaiveDate,
    pub activity: String,
    pub progress: Progress,
    pub caption: Option<String>,
    pub photos: Vec<PhotoRef>,
}

impl ProgressReport {
    pub fn validate(&self, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        let tz = self.header.validate()?;
        ctx.check_site(&self.header.site_id, &self.header.time_zone)?;
        ctx.check_date("date", self.date, tz)?;
        ctx.check_activity("activity", &self.activity)?;
        match &self.progress {
            Progress::Percent(p) => check_range("percent", *p, true, Decimal::from(100), validate::QUANTITY_SCALE)?,
            Progress::Quantity { installed, unit } => {
                check_range("quantity", *installed, false, Decimal::from(MAX_QUANTITY), 3)?;
                check_required("unit", unit)?;
            }
        }
        check_note("caption", self.caption.as_deref())?;
        for (i, p) in self.photos.iter().enumerate() {
            p.validate(&format!("photos[{i}]"))?;
        }
        Ok(())
    }

    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        self.header.write(d, RecordKind::ProgressReport)?;
        put_str(d, &ROOT, "date", &self.date.to_string())?;
        put_str(d, &ROOT, "activity", &self.activity)?;
        match &self.progress {
            Progress::Percent(p) => {
                put_str(d, &ROOT, "measure", "percent")?;
                put_str(d, &ROOT, "value", &canonical_quantity(*p))?;
                doc::delete_key(d, &ROOT, "unit")?;
            }
            Progress::Quantity { installed, unit } => {
                put_str(d, &ROOT, "measure", "quantity")?;
                put_str(d, &ROOT, "value", &canonical_quantity(*installed))?;
                put_str(d, &ROOT, "unit", unit)?;
            }
        }
        put_opt_str(d, &ROOT, "caption", self.caption.as_deref())?;
        write_photos(d, &ROOT, "photos", &self.photos)
    }

    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        doc::expect_kind(d, RecordKind::ProgressReport)?;
        let value = req_decimal(d, &ROOT, "value")?;
        let progress = match req_str(d, &ROOT, "measure")?.as_str() {
            "percent" => Progress::Percent(value),
            "quantity" => Progress::Quantity { installed: value, unit: get_str(d, &ROOT, "unit")?.unwrap_or_default() },
            other => return Err(SchemaError::Malformed { field: "measure".into(), reason: format!("{other:?}") }),
        };
        Ok(ProgressReport {
            header: RecordHeader::read(d)?,
            date: req_date(d, &ROOT, "date")?,
            activity: req_str(d, &ROOT, "activity")?,
            progress,
            caption: get_str(d, &ROOT, "caption")?,
            photos: read_photos(d, &ROOT, "photos")?,
        })
    }
}

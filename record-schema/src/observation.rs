//! Field observation (现场问题): a safety, quality or delay issue (or any other) a foreman sees on
//! site, with photos, where it is, the schedule activity it touches and how severe it is. Created
//! offline like the other records; it posts nothing to the ledgers. The office follows it up
//! (assigns, closes, promotes it to a risk) in a server-owned follow-up document (`follow_up.rs`),
//! which reaches the phone read-only, so the foreman sees what became of it.

use automerge::{AutoCommit, ROOT, ScalarValue};
use chrono::NaiveDate;

use crate::doc::{self, get_f64, get_str, put_opt_str, put_scalar, put_str, req_date, req_str};
use crate::photo::{read_photos, write_photos};
use crate::record::RecordHeader;
use crate::validate::{self, ValidationContext, check_length, check_note, check_required};
use crate::{GeoPoint, PhotoRef, RecordKind, SchemaError, ValidationError};

/// What kind of issue was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObservationCategory {
    Safety,
    Quality,
    Delay,
    Other,
}

impl ObservationCategory {
    pub const ALL: [ObservationCategory; 4] = [Self::Safety, Self::Quality, Self::Delay, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Safety => "safety",
            Self::Quality => "quality",
            Self::Delay => "delay",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How bad it is, as the foreman judges it on site (the office rates a risk's probability and
/// impact separately when it promotes one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub header: RecordHeader,
    /// The day it was seen, on the site's calendar.
    pub date: NaiveDate,
    pub category: ObservationCategory,
    pub severity: Severity,
    /// One line saying what is wrong ("3#楼5层临边无防护").
    pub title: String,
    pub description: Option<String>,
    /// Where on site, in words (building, floor, grid line).
    pub place: Option<String>,
    /// Where on site, by the phone's GPS, when it had a fix.
    pub gps: Option<GeoPoint>,
    /// The schedule activity it touches, when one does (an id from the reference data).
    pub activity: Option<String>,
    pub photos: Vec<PhotoRef>,
}

impl Observation {
    pub fn validate(&self, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        let tz = self.header.validate()?;
        ctx.check_site(&self.header.site_id, &self.header.time_zone)?;
        ctx.check_date("date", self.date, tz)?;
        check_required("title", &self.title)?;
        check_length("title", &self.title, validate::MAX_NAME_BYTES)?;
        check_note("description", self.description.as_deref())?;
        if let Some(p) = &self.place {
            check_length("place", p, validate::MAX_NAME_BYTES)?;
        }
        if let Some(g) = &self.gps {
            g.validate("gps")?;
            if let Some(a) = g.accuracy_m
                && !(0.0..=100_000.0).contains(&a)
            {
                return Err(ValidationError::new("gps.accuracy_m", "must be within 0..100000"));
            }
        }
        if let Some(a) = &self.activity {
            ctx.check_activity("activity", a)?;
        }
        for (i, p) in self.photos.iter().enumerate() {
            p.validate(&format!("photos[{i}]"))?;
        }
        Ok(())
    }

    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        self.header.write(d, RecordKind::Observation)?;
        put_str(d, &ROOT, "date", &self.date.to_string())?;
        put_str(d, &ROOT, "category", self.category.as_str())?;
        put_str(d, &ROOT, "severity", self.severity.as_str())?;
        put_str(d, &ROOT, "title", &self.title)?;
        put_opt_str(d, &ROOT, "description", self.description.as_deref())?;
        put_opt_str(d, &ROOT, "place", self.place.as_deref())?;
        match &self.gps {
            None => doc::delete_key(d, &ROOT, "gps")?,
            Some(g) => {
                let obj = doc::ensure_map(d, &ROOT, "gps")?;
                put_scalar(d, &obj, "latitude", ScalarValue::F64(g.latitude))?;
                put_scalar(d, &obj, "longitude", ScalarValue::F64(g.longitude))?;
                doc::put_opt_scalar(d, &obj, "accuracy_m", g.accuracy_m.map(ScalarValue::F64))?;
            }
        }
        put_opt_str(d, &ROOT, "activity", self.activity.as_deref())?;
        write_photos(d, &ROOT, "photos", &self.photos)
    }

    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        doc::expect_kind(d, RecordKind::Observation)?;
        let category = req_str(d, &ROOT, "category")?;
        let severity = req_str(d, &ROOT, "severity")?;
        let gps = match doc::get_map(d, &ROOT, "gps")? {
            None => None,
            Some(obj) => match (get_f64(d, &obj, "latitude")?, get_f64(d, &obj, "longitude")?) {
                (Some(latitude), Some(longitude)) => {
                    Some(GeoPoint { latitude, longitude, accuracy_m: get_f64(d, &obj, "accuracy_m")? })
                }
                _ => None,
            },
        };
        Ok(Observation {
            header: RecordHeader::read(d)?,
            date: req_date(d, &ROOT, "date")?,
            category: ObservationCategory::parse(&category)
                .ok_or_else(|| SchemaError::Malformed { field: "category".into(), reason: format!("{category:?}") })?,
            severity: Severity::parse(&severity)
                .ok_or_else(|| SchemaError::Malformed { field: "severity".into(), reason: format!("{severity:?}") })?,
            title: req_str(d, &ROOT, "title")?,
            description: get_str(d, &ROOT, "description")?,
            place: get_str(d, &ROOT, "place")?,
            gps,
            activity: get_str(d, &ROOT, "activity")?,
            photos: read_photos(d, &ROOT, "photos")?,
        })
    }
}

//! Day log (施工日志, 日志): what happened on one site on one day, in the words of the site's
//! record that Chinese practice keeps for every working day: the weather morning and afternoon,
//! the day's low and high temperature, notes, who visited and what held the work up. One per site
//! and day on a phone (`mobile-core` refuses a second one); the server does not enforce that, since
//! two phones offline may each start one. Approved like a labour sheet; it posts nothing to the
//! ledgers.
//!
//! Visitors and delays are maps keyed by their ids (like a labour sheet's crew lines), so two
//! phones adding different visitors at once merge to both; each carries a `position` for order.

use automerge::{AutoCommit, ObjId, ROOT, ScalarValue};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::doc::{self, get_decimal, get_i64, get_str, put_opt_str, put_scalar, put_str, req_date, req_str};
use crate::money::canonical_quantity;
use crate::record::RecordHeader;
use crate::validate::{self, ValidationContext, check_length, check_note, check_range, check_required};
use crate::{RecordKind, SchemaError, ValidationError};

/// Visitors one day log may hold.
pub const MAX_VISITORS: usize = 50;
/// Delays one day log may hold.
pub const MAX_DELAYS: usize = 50;
/// Lowest temperature a day log may record, in °C.
pub const MIN_TEMP_C: i64 = -50;
/// Highest temperature a day log may record, in °C.
pub const MAX_TEMP_C: i64 = 60;
/// Decimals of a temperature.
pub const TEMP_SCALE: u32 = 1;
/// Hours one delay may last (a whole day).
pub const MAX_DELAY_HOURS: i64 = 24;

/// The weather of half a day, as the site saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeatherCondition {
    Sunny,
    Cloudy,
    Overcast,
    LightRain,
    Rain,
    HeavyRain,
    Snow,
    Fog,
    Windy,
    Other,
}

impl WeatherCondition {
    pub const ALL: [WeatherCondition; 10] = [
        Self::Sunny,
        Self::Cloudy,
        Self::Overcast,
        Self::LightRain,
        Self::Rain,
        Self::HeavyRain,
        Self::Snow,
        Self::Fog,
        Self::Windy,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sunny => "sunny",
            Self::Cloudy => "cloudy",
            Self::Overcast => "overcast",
            Self::LightRain => "light_rain",
            Self::Rain => "rain",
            Self::HeavyRain => "heavy_rain",
            Self::Snow => "snow",
            Self::Fog => "fog",
            Self::Windy => "windy",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What held the work up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DelayCause {
    Weather,
    Material,
    Equipment,
    Labour,
    Design,
    Owner,
    Inspection,
    Other,
}

impl DelayCause {
    pub const ALL: [DelayCause; 8] = [
        Self::Weather,
        Self::Material,
        Self::Equipment,
        Self::Labour,
        Self::Design,
        Self::Owner,
        Self::Inspection,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Weather => "weather",
            Self::Material => "material",
            Self::Equipment => "equipment",
            Self::Labour => "labour",
            Self::Design => "design",
            Self::Owner => "owner",
            Self::Inspection => "inspection",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Someone who came to site that day (an inspector, the owner's engineer, a supplier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    pub id: String,
    /// Display order within the log.
    pub position: i64,
    pub name: String,
    pub organisation: Option<String>,
    pub purpose: Option<String>,
}

impl Visitor {
    pub fn validate(&self, field: &str) -> Result<(), ValidationError> {
        check_required(&format!("{field}.id"), &self.id)?;
        check_required(&format!("{field}.name"), &self.name)?;
        if let Some(o) = &self.organisation {
            check_length(&format!("{field}.organisation"), o, validate::MAX_NAME_BYTES)?;
        }
        if let Some(p) = &self.purpose {
            check_length(&format!("{field}.purpose"), p, validate::MAX_NAME_BYTES)?;
        }
        Ok(())
    }

    fn write(&self, d: &mut AutoCommit, obj: &ObjId) -> Result<(), SchemaError> {
        put_str(d, obj, "id", &self.id)?;
        put_scalar(d, obj, "position", ScalarValue::Int(self.position))?;
        put_str(d, obj, "name", &self.name)?;
        put_opt_str(d, obj, "organisation", self.organisation.as_deref())?;
        put_opt_str(d, obj, "purpose", self.purpose.as_deref())
    }

    fn read(d: &AutoCommit, key: &str, obj: &ObjId) -> Result<Self, SchemaError> {
        Ok(Visitor {
            id: get_str(d, obj, "id")?.unwrap_or_else(|| key.to_string()),
            position: get_i64(d, obj, "position")?.unwrap_or_default(),
            name: req_str(d, obj, "name")?,
            organisation: get_str(d, obj, "organisation")?,
            purpose: get_str(d, obj, "purpose")?,
        })
    }
}

/// Time the work stood still, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delay {
    pub id: String,
    /// Display order within the log.
    pub position: i64,
    pub cause: DelayCause,
    /// Hours lost: more than 0, at most 24, two decimals.
    pub hours: Decimal,
    pub description: Option<String>,
}

impl Delay {
    pub fn validate(&self, field: &str) -> Result<(), ValidationError> {
        check_required(&format!("{field}.id"), &self.id)?;
        check_range(
            &format!("{field}.hours"),
            self.hours,
            false,
            Decimal::from(MAX_DELAY_HOURS),
            validate::QUANTITY_SCALE,
        )?;
        check_note(&format!("{field}.description"), self.description.as_deref())
    }

    fn write(&self, d: &mut AutoCommit, obj: &ObjId) -> Result<(), SchemaError> {
        put_str(d, obj, "id", &self.id)?;
        put_scalar(d, obj, "position", ScalarValue::Int(self.position))?;
        put_str(d, obj, "cause", self.cause.as_str())?;
        put_str(d, obj, "hours", &canonical_quantity(self.hours))?;
        put_opt_str(d, obj, "description", self.description.as_deref())
    }

    fn read(d: &AutoCommit, key: &str, obj: &ObjId) -> Result<Self, SchemaError> {
        let cause = req_str(d, obj, "cause")?;
        Ok(Delay {
            id: get_str(d, obj, "id")?.unwrap_or_else(|| key.to_string()),
            position: get_i64(d, obj, "position")?.unwrap_or_default(),
            cause: DelayCause::parse(&cause)
                .ok_or_else(|| SchemaError::Malformed { field: "cause".into(), reason: format!("{cause:?}") })?,
            hours: get_decimal(d, obj, "hours")?.unwrap_or_default(),
            description: get_str(d, obj, "description")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayLog {
    pub header: RecordHeader,
    /// The day logged, on the site's calendar.
    pub date: NaiveDate,
    pub weather_am: Option<WeatherCondition>,
    pub weather_pm: Option<WeatherCondition>,
    /// The day's low, in °C (−50..=60, one decimal).
    pub temp_low_c: Option<Decimal>,
    /// The day's high, in °C (−50..=60, one decimal; not below the low).
    pub temp_high_c: Option<Decimal>,
    pub notes: Option<String>,
    /// In `position` order.
    pub visitors: Vec<Visitor>,
    /// In `position` order.
    pub delays: Vec<Delay>,
}

/// A temperature: within −50..=60 °C, one decimal.
fn check_temperature(field: &str, t: Decimal) -> Result<(), ValidationError> {
    if t < Decimal::from(MIN_TEMP_C) || t > Decimal::from(MAX_TEMP_C) {
        return Err(ValidationError::new(field, format!("must be within {MIN_TEMP_C}..{MAX_TEMP_C} °C (got {t})")));
    }
    if t.normalize().scale() > TEMP_SCALE {
        return Err(ValidationError::new(field, format!("at most {TEMP_SCALE} decimal place (got {t})")));
    }
    Ok(())
}

fn check_unique_ids<'a>(field: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), ValidationError> {
    let mut seen = std::collections::HashSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(ValidationError::new(format!("{field}[{i}].id"), format!("{id:?} is used twice")));
        }
    }
    Ok(())
}

impl DayLog {
    pub fn validate(&self, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        let tz = self.header.validate()?;
        ctx.check_site(&self.header.site_id, &self.header.time_zone)?;
        ctx.check_date("date", self.date, tz)?;
        if let Some(t) = self.temp_low_c {
            check_temperature("temp_low_c", t)?;
        }
        if let Some(t) = self.temp_high_c {
            check_temperature("temp_high_c", t)?;
        }
        if let (Some(low), Some(high)) = (self.temp_low_c, self.temp_high_c)
            && low > high
        {
            return Err(ValidationError::new("temp_low_c", format!("{low} is above the high of {high}")));
        }
        check_note("notes", self.notes.as_deref())?;
        if self.visitors.len() > MAX_VISITORS {
            return Err(ValidationError::new(
                "visitors",
                format!("{} visitors; at most {MAX_VISITORS} are allowed", self.visitors.len()),
            ));
        }
        if self.delays.len() > MAX_DELAYS {
            return Err(ValidationError::new(
                "delays",
                format!("{} delays; at most {MAX_DELAYS} are allowed", self.delays.len()),
            ));
        }
        for (i, v) in self.visitors.iter().enumerate() {
            v.validate(&format!("visitors[{i}]"))?;
        }
        for (i, d) in self.delays.iter().enumerate() {
            d.validate(&format!("delays[{i}]"))?;
        }
        check_unique_ids("visitors", self.visitors.iter().map(|v| v.id.as_str()))?;
        check_unique_ids("delays", self.delays.iter().map(|d| d.id.as_str()))
    }

    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        self.header.write(d, RecordKind::DayLog)?;
        put_str(d, &ROOT, "date", &self.date.to_string())?;
        put_opt_str(d, &ROOT, "weather_am", self.weather_am.map(WeatherCondition::as_str))?;
        put_opt_str(d, &ROOT, "weather_pm", self.weather_pm.map(WeatherCondition::as_str))?;
        put_opt_str(d, &ROOT, "temp_low_c", self.temp_low_c.map(canonical_quantity).as_deref())?;
        put_opt_str(d, &ROOT, "temp_high_c", self.temp_high_c.map(canonical_quantity).as_deref())?;
        put_opt_str(d, &ROOT, "notes", self.notes.as_deref())?;
        let visitors = doc::ensure_map(d, &ROOT, "visitors")?;
        doc::reconcile_keyed(d, &visitors, &self.visitors, |v| v.id.as_str(), |d, o, v| v.write(d, o))?;
        let delays = doc::ensure_map(d, &ROOT, "delays")?;
        doc::reconcile_keyed(d, &delays, &self.delays, |x| x.id.as_str(), |d, o, x| x.write(d, o))
    }

    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        doc::expect_kind(d, RecordKind::DayLog)?;
        let weather = |key: &str| -> Result<Option<WeatherCondition>, SchemaError> {
            match get_str(d, &ROOT, key)? {
                None => Ok(None),
                Some(w) => WeatherCondition::parse(&w)
                    .map(Some)
                    .ok_or_else(|| SchemaError::Malformed { field: key.into(), reason: format!("{w:?}") }),
            }
        };
        let mut visitors = match doc::get_map(d, &ROOT, "visitors")? {
            Some(obj) => doc::read_keyed(d, &obj, Visitor::read)?,
            None => Vec::new(),
        };
        visitors.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.id.cmp(&b.id)));
        let mut delays = match doc::get_map(d, &ROOT, "delays")? {
            Some(obj) => doc::read_keyed(d, &obj, Delay::read)?,
            None => Vec::new(),
        };
        delays.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.id.cmp(&b.id)));
        Ok(DayLog {
            header: RecordHeader::read(d)?,
            date: req_date(d, &ROOT, "date")?,
            weather_am: weather("weather_am")?,
            weather_pm: weather("weather_pm")?,
            temp_low_c: get_decimal(d, &ROOT, "temp_low_c")?,
            temp_high_c: get_decimal(d, &ROOT, "temp_high_c")?,
            notes: get_str(d, &ROOT, "notes")?,
            visitors,
            delays,
        })
    }
}

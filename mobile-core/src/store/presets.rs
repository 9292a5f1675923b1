//! Crew presets: what a foreman most likely types next for each trade. Foremen record the same crews
//! at the same rates day after day, so the app offers each trade pre-filled from the last sheet that
//! used it, and falls back to the project's reference rates for trades not used yet.

use chrono::NaiveDate;
use record_schema::{Currency, Effort, Record, TimeUnit};
use rust_decimal::Decimal;

use super::Store;
use crate::error::Result;

/// How many recent sheets are read for last-used values: a fortnight of daily sheets covers the
/// crews of a site without opening its whole history.
const RECENT_SHEETS: i64 = 14;

/// A trade, pre-filled for a new crew line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrewPreset {
    pub trade: String,
    pub crew: Option<String>,
    pub headcount: Option<i64>,
    pub effort: Effort,
    /// `None` for a reference trade without rates: the foreman types it.
    pub rate: Option<Decimal>,
    pub rate_unit: TimeUnit,
    pub currency: Currency,
    pub cost_code: Option<String>,
    pub activity: Option<String>,
    /// Work date of the sheet the values come from; `None` when they are the reference rates.
    pub last_used: Option<NaiveDate>,
}

impl Store {
    /// One preset per trade: trades of the project's recent sheets first (newest use first, values of
    /// that line), then reference trades never used yet (one day at their day rate, else a day of the
    /// project's hours at their hour rate), by name.
    /// `site_id` narrows the recent sheets to one site; reference trades apply to every site.
    pub async fn crew_presets(&self, project_id: &str, site_id: Option<&str>) -> Result<Vec<CrewPreset>> {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT id FROM records WHERE kind = 'labour_sheet' AND voided = 0 AND project_id = ",
        );
        q.push_bind(project_id);
        if let Some(site) = site_id {
            q.push(" AND site_id = ").push_bind(site);
        }
        q.push(" ORDER BY record_date DESC, created_at_ms DESC LIMIT ").push_bind(RECENT_SHEETS);
        let ids: Vec<String> = q.build_query_scalar().fetch_all(&self.pool).await?;

        let mut presets: Vec<CrewPreset> = Vec::new();
        for id in ids {
            let Record::LabourSheet(sheet) = self.get(&id).await? else { continue };
            for line in &sheet.lines {
                if presets.iter().any(|p| p.trade == line.trade) {
                    continue;
                }
                presets.push(CrewPreset {
                    trade: line.trade.clone(),
                    crew: line.crew.clone(),
                    headcount: Some(line.headcount),
                    effort: line.effort,
                    rate: Some(line.rate),
                    rate_unit: line.rate_unit,
                    currency: sheet.currency,
                    cost_code: Some(line.cost_code.clone()),
                    activity: line.activity.clone(),
                    last_used: Some(sheet.work_date),
                });
            }
        }

        if let Some(reference) = self.reference_data(project_id).await? {
            let mut unused: Vec<CrewPreset> = reference
                .trades
                .iter()
                .filter(|t| !presets.iter().any(|p| p.trade == t.name))
                .map(|t| {
                    let (effort, rate, rate_unit) = match (t.day_rate, t.hour_rate) {
                        (None, Some(hour)) => (Effort::Hours(reference.hours_per_day()), Some(hour), TimeUnit::Hour),
                        (day, _) => (Effort::Days(Decimal::ONE), day, TimeUnit::Day),
                    };
                    CrewPreset {
                        trade: t.name.clone(),
                        crew: None,
                        headcount: None,
                        effort,
                        rate,
                        rate_unit,
                        currency: reference.currency,
                        cost_code: None,
                        activity: None,
                        last_used: None,
                    }
                })
                .collect();
            unused.sort_by(|a, b| a.trade.cmp(&b.trade));
            presets.extend(unused);
        }
        Ok(presets)
    }
}

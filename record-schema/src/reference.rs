//! Reference data of one project (cost codes, activities, trades and rates, sites). The server owns
//! and writes it; phones receive it by sync and only read it.

use automerge::{AutoCommit, ObjId, ROOT};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::doc::{self, get_date, get_decimal, get_str, put_opt_str, put_str, req_str};
use crate::money::{Currency, canonical_quantity};
use crate::validate::DEFAULT_HOURS_PER_DAY;
use crate::{RecordKind, SchemaError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostCode {
    /// e.g. `03-2100`.
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub id: String,
    pub name: String,
    pub planned_start: Option<NaiveDate>,
    pub planned_finish: Option<NaiveDate>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// e.g. 木工, 钢筋工.
    pub name: String,
    pub day_rate: Option<Decimal>,
    pub hour_rate: Option<Decimal>,
}

/// A kind of expense the project books (`equipment_rental`, 机械租赁): what an expense's
/// `category` holds is the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpenseCategory {
    pub code: String,
    pub name: String,
}

/// One worker of the project's roster (实名制), as phones see it: the office keeps ID and bank card
/// numbers; they never reach a phone. Workers who left stay listed (`left`), so records that
/// already name them stay valid and editable; phones offer only the others for new records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterWorker {
    /// The roster's id of the worker (what a crew line's or an advance's `worker_id` holds).
    pub id: String,
    pub name: String,
    pub crew: Option<String>,
    pub trade: Option<String>,
    /// Has left the project (stored only when true).
    pub left: bool,
}

/// The categories a project offers while its reference data lists none.
pub const DEFAULT_EXPENSE_CATEGORIES: [&str; 8] =
    ["materials", "equipment", "tools", "transport", "fuel", "meals", "accommodation", "other"];

/// The expense categories in force on a project: its own, or the default list.
#[derive(Debug, Clone, Copy)]
pub enum ExpenseCategories<'a> {
    Defaults,
    Project(&'a [ExpenseCategory]),
}

impl<'a> ExpenseCategories<'a> {
    pub fn of(reference: Option<&'a ReferenceData>) -> Self {
        Self::listed(reference.map_or(&[], |r| r.expense_categories.as_slice()))
    }

    /// The project's `list`, or the defaults when it is empty.
    pub fn listed(list: &'a [ExpenseCategory]) -> Self {
        if list.is_empty() { ExpenseCategories::Defaults } else { ExpenseCategories::Project(list) }
    }

    pub fn contains(self, code: &str) -> bool {
        match self {
            ExpenseCategories::Defaults => DEFAULT_EXPENSE_CATEGORIES.contains(&code),
            ExpenseCategories::Project(list) => list.iter().any(|c| c.code == code),
        }
    }

    pub fn codes(self) -> Vec<&'a str> {
        match self {
            ExpenseCategories::Defaults => DEFAULT_EXPENSE_CATEGORIES.to_vec(),
            ExpenseCategories::Project(list) => list.iter().map(|c| c.code.as_str()).collect(),
        }
    }

    /// Code and name of each (a default category's name is its code; apps translate those).
    pub fn list(self) -> Vec<ExpenseCategory> {
        match self {
            ExpenseCategories::Defaults => DEFAULT_EXPENSE_CATEGORIES
                .iter()
                .map(|c| ExpenseCategory { code: c.to_string(), name: c.to_string() })
                .collect(),
            ExpenseCategories::Project(list) => list.to_vec(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReferenceData {
    pub project_id: String,
    pub currency: Currency,
    /// Hours in one 点工 day on this project (a day rate's hours); `None`: the default, 8.
    pub hours_per_day: Option<Decimal>,
    pub sites: Vec<Site>,
    pub cost_codes: Vec<CostCode>,
    pub activities: Vec<Activity>,
    pub trades: Vec<Trade>,
    /// The project's expense categories; empty: `DEFAULT_EXPENSE_CATEGORIES`.
    pub expense_categories: Vec<ExpenseCategory>,
    /// The project's active roster; empty: no roster published (any `worker_id` is then taken as
    /// given, and checked when the office links names).
    pub workers: Vec<RosterWorker>,
}

impl ReferenceData {
    /// The well-known document id of a project's reference data.
    pub fn document_id(project_id: &str) -> String {
        format!("reference:{project_id}")
    }

    /// Hours in one 点工 day on this project.
    pub fn hours_per_day(&self) -> Decimal {
        self.hours_per_day.unwrap_or(Decimal::from(DEFAULT_HOURS_PER_DAY))
    }

    /// Hours in one 点工 day on a project whose reference data may not have arrived yet (then the
    /// default).
    pub fn hours_per_day_of(reference: Option<&ReferenceData>) -> Decimal {
        reference.map_or(Decimal::from(DEFAULT_HOURS_PER_DAY), ReferenceData::hours_per_day)
    }

    /// The site's time zone, if the reference data lists the site.
    pub fn site_time_zone(&self, site_id: &str) -> Option<&str> {
        self.sites.iter().find(|s| s.id == site_id).map(|s| s.time_zone.as_str())
    }

    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        doc::stamp_kind(d, RecordKind::ReferenceData)?;
        put_str(d, &ROOT, "id", &Self::document_id(&self.project_id))?;
        put_str(d, &ROOT, "project_id", &self.project_id)?;
        put_str(d, &ROOT, "currency", self.currency.code())?;
        put_opt_str(d, &ROOT, "hours_per_day", self.hours_per_day.map(canonical_quantity).as_deref())?;
        let obj = doc::ensure_map(d, &ROOT, "sites")?;
        doc::reconcile_keyed(
            d,
            &obj,
            &self.sites,
            |s| s.id.as_str(),
            |d, o, s| {
                put_str(d, o, "name", &s.name)?;
                put_str(d, o, "time_zone", &s.time_zone)
            },
        )?;
        let obj = doc::ensure_map(d, &ROOT, "cost_codes")?;
        doc::reconcile_keyed(
            d,
            &obj,
            &self.cost_codes,
            |c| c.code.as_str(),
            |d, o, c| {
                put_str(d, o, "name", &c.name)?;
                put_opt_str(d, o, "parent", c.parent.as_deref())
            },
        )?;
        let obj = doc::ensure_map(d, &ROOT, "activities")?;
        doc::reconcile_keyed(
            d,
            &obj,
            &self.activities,
            |a| a.id.as_str(),
            |d, o, a| {
                put_str(d, o, "name", &a.name)?;
                put_opt_str(d, o, "planned_start", a.planned_start.map(|x| x.to_string()).as_deref())?;
                put_opt_str(d, o, "planned_finish", a.planned_finish.map(|x| x.to_string()).as_deref())?;
                put_opt_str(d, o, "unit", a.unit.as_deref())
            },
        )?;
        let obj = doc::ensure_map(d, &ROOT, "trades")?;
        let cur = self.currency;
        doc::reconcile_keyed(
            d,
            &obj,
            &self.trades,
            |t| t.name.as_str(),
            |d, o, t| {
                put_opt_str(d, o, "day_rate", t.day_rate.map(|r| cur.canonical_rate(r)).as_deref())?;
                put_opt_str(d, o, "hour_rate", t.hour_rate.map(|r| cur.canonical_rate(r)).as_deref())
            },
        )?;
        let obj = doc::ensure_map(d, &ROOT, "expense_categories")?;
        doc::reconcile_keyed(
            d,
            &obj,
            &self.expense_categories,
            |c| c.code.as_str(),
            |d, o, c| put_str(d, o, "name", &c.name),
        )?;
        // Written only once a roster is published, so a project without one keeps its document.
        if self.workers.is_empty() && doc::get_map(d, &ROOT, "workers")?.is_none() {
            return Ok(());
        }
        let obj = doc::ensure_map(d, &ROOT, "workers")?;
        doc::reconcile_keyed(
            d,
            &obj,
            &self.workers,
            |w| w.id.as_str(),
            |d, o, w| {
                put_str(d, o, "name", &w.name)?;
                put_opt_str(d, o, "crew", w.crew.as_deref())?;
                put_opt_str(d, o, "trade", w.trade.as_deref())?;
                // Absent unless true, so documents published before leavers were kept are unchanged.
                doc::put_opt_scalar(d, o, "left", w.left.then_some(automerge::ScalarValue::Boolean(true)))
            },
        )
    }

    /// The roster worker with this id, if the roster lists it.
    pub fn worker(&self, id: &str) -> Option<&RosterWorker> {
        self.workers.iter().find(|w| w.id == id)
    }

    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        doc::expect_kind(d, RecordKind::ReferenceData)?;
        let currency = get_str(d, &ROOT, "currency")?
            .map(|c| c.parse::<Currency>())
            .transpose()
            .map_err(|e| SchemaError::Malformed { field: "currency".into(), reason: e.reason })?
            .unwrap_or_default();
        let keyed = |key: &str| -> Result<Option<ObjId>, SchemaError> { doc::get_map(d, &ROOT, key) };
        let mut r = ReferenceData {
            project_id: req_str(d, &ROOT, "project_id")?,
            currency,
            hours_per_day: get_decimal(d, &ROOT, "hours_per_day")?,
            ..Default::default()
        };
        if let Some(obj) = keyed("sites")? {
            r.sites = doc::read_keyed(d, &obj, |d, k, o| {
                Ok(Site { id: k.to_string(), name: req_str(d, o, "name")?, time_zone: req_str(d, o, "time_zone")? })
            })?;
        }
        if let Some(obj) = keyed("cost_codes")? {
            r.cost_codes = doc::read_keyed(d, &obj, |d, k, o| {
                Ok(CostCode { code: k.to_string(), name: req_str(d, o, "name")?, parent: get_str(d, o, "parent")? })
            })?;
        }
        if let Some(obj) = keyed("activities")? {
            r.activities = doc::read_keyed(d, &obj, |d, k, o| {
                Ok(Activity {
                    id: k.to_string(),
                    name: req_str(d, o, "name")?,
                    planned_start: get_date(d, o, "planned_start")?,
                    planned_finish: get_date(d, o, "planned_finish")?,
                    unit: get_str(d, o, "unit")?,
                })
            })?;
        }
        if let Some(obj) = keyed("trades")? {
            r.trades = doc::read_keyed(d, &obj, |d, k, o| {
                Ok(Trade {
                    name: k.to_string(),
                    day_rate: get_decimal(d, o, "day_rate")?,
                    hour_rate: get_decimal(d, o, "hour_rate")?,
                })
            })?;
        }
        if let Some(obj) = keyed("expense_categories")? {
            r.expense_categories = doc::read_keyed(d, &obj, |d, k, o| {
                Ok(ExpenseCategory { code: k.to_string(), name: req_str(d, o, "name")? })
            })?;
        }
        if let Some(obj) = keyed("workers")? {
            r.workers = doc::read_keyed(d, &obj, |d, k, o| {
                Ok(RosterWorker {
                    id: k.to_string(),
                    name: req_str(d, o, "name")?,
                    crew: get_str(d, o, "crew")?,
                    trade: get_str(d, o, "trade")?,
                    left: doc::get_bool(d, o, "left")?.unwrap_or(false),
                })
            })?;
        }
        Ok(r)
    }
}

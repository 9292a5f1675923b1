//! Reference data: projects (with their hours per 点工 day), sites, hierarchical cost codes with
//! budgets, schedule activities, trades with default rates, expense categories
//! (docs/approvals-and-ledgers.md, "Reference data").
//!
//! * `table`: the tables, their columns, and how one row of text cells becomes a typed row;
//! * `import`: CSV and XLSX files into rows of text cells (errors name the row and column);
//! * `store`: the rows in the database, checked as a whole before anything is written, and the
//!   project's `reference:<project>` document the phones receive through sync;
//! * `edit`: one row added, changed (as a one-row import) or deleted (only while unused).

pub mod edit;
pub mod import;
pub mod store;
pub mod table;

use chrono::NaiveDate;
use record_schema::Currency;
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReferenceProject)]
pub struct Project {
    pub id: String,
    pub name: String,
    /// ISO 4217 code, e.g. `CNY`.
    #[serde(serialize_with = "currency_code")]
    #[schema(value_type = String, example = "CNY")]
    pub currency: Currency,
    /// Hours in one 点工 day's pay (hours at a day rate cost hours ÷ this × the rate); `None`: the
    /// default, `record_schema::validate::DEFAULT_HOURS_PER_DAY`.
    pub hours_per_day: Option<Decimal>,
}

impl Project {
    /// Hours in one 点工 day on this project.
    pub fn hours_per_day(&self) -> Decimal {
        self.hours_per_day.unwrap_or(Decimal::from(record_schema::validate::DEFAULT_HOURS_PER_DAY))
    }
}

fn currency_code<S: serde::Serializer>(c: &Currency, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.code())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReferenceSite)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReferenceCostCode)]
pub struct CostCode {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    /// In the project currency.
    pub budget: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReferenceActivity)]
pub struct Activity {
    pub id: String,
    pub name: String,
    /// The cost code whose budget this activity earns against (CPI per cost code).
    pub cost_code: Option<String>,
    pub planned_start: NaiveDate,
    pub planned_finish: NaiveDate,
    /// Budget at completion (BAC), in the project currency.
    pub budget: Decimal,
    pub planned_quantity: Option<Decimal>,
    pub unit: Option<String>,
    /// Planned cumulative percent by date (`[["2026-11-30", "40"], …]`); empty: linear from start
    /// to finish.
    #[schema(value_type = Vec<Vec<String>>)]
    pub curve: Vec<(NaiveDate, Decimal)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReferenceTrade)]
pub struct Trade {
    pub name: String,
    pub day_rate: Option<Decimal>,
    pub hour_rate: Option<Decimal>,
}

/// A kind of expense the project books: `code` is what an expense's `category` holds
/// (`equipment_rental`), `name` what people read (机械租赁).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReferenceExpenseCategory)]
pub struct ExpenseCategory {
    pub code: String,
    pub name: String,
}

/// A worker of the project's active real-name roster as phones see it (`crate::funds::roster`
/// keeps the rest: masked ID and card numbers never leave the office).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReferenceRosterEntry)]
pub struct RosterEntry {
    pub id: String,
    pub name: String,
    pub crew: Option<String>,
    pub trade: Option<String>,
    /// Has left: still listed, so the records naming the worker stay valid.
    pub left: bool,
}

/// A project's reference data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReferenceSet {
    pub project: Project,
    pub sites: Vec<Site>,
    pub cost_codes: Vec<CostCode>,
    pub activities: Vec<Activity>,
    pub trades: Vec<Trade>,
    /// The project's own categories; empty: `record_schema::reference::DEFAULT_EXPENSE_CATEGORIES`.
    pub expense_categories: Vec<ExpenseCategory>,
    /// The active roster (table `workers`, edited by the funds centre, not by the import), so that
    /// every publication of the document carries it.
    pub workers: Vec<RosterEntry>,
}

impl ReferenceSet {
    pub fn empty(project_id: &str) -> Self {
        ReferenceSet {
            project: Project {
                id: project_id.to_string(),
                name: project_id.to_string(),
                currency: Currency::default(),
                hours_per_day: None,
            },
            sites: Vec::new(),
            cost_codes: Vec::new(),
            activities: Vec::new(),
            trades: Vec::new(),
            expense_categories: Vec::new(),
            workers: Vec::new(),
        }
    }

    /// An expense category's name: the project's when it lists the code, else `None` (a default
    /// category, whose words the screens and apps translate, or an unknown code).
    pub fn category_name(&self, code: &str) -> Option<&str> {
        self.expense_categories.iter().find(|c| c.code == code).map(|c| c.name.as_str())
    }

    /// What phones receive: everything but budgets and curves (office figures). Rates keep the
    /// office's decimals (`Currency::canonical_rate` in the document).
    pub fn for_phones(&self) -> record_schema::ReferenceData {
        record_schema::ReferenceData {
            project_id: self.project.id.clone(),
            currency: self.project.currency,
            hours_per_day: self.project.hours_per_day,
            workers: self
                .workers
                .iter()
                .map(|w| record_schema::RosterWorker {
                    id: w.id.clone(),
                    name: w.name.clone(),
                    crew: w.crew.clone(),
                    trade: w.trade.clone(),
                    left: w.left,
                })
                .collect(),
            expense_categories: self
                .expense_categories
                .iter()
                .map(|c| record_schema::ExpenseCategory { code: c.code.clone(), name: c.name.clone() })
                .collect(),
            sites: self
                .sites
                .iter()
                .map(|s| record_schema::Site { id: s.id.clone(), name: s.name.clone(), time_zone: s.time_zone.clone() })
                .collect(),
            cost_codes: self
                .cost_codes
                .iter()
                .map(|c| record_schema::CostCode {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    parent: c.parent.clone(),
                })
                .collect(),
            activities: self
                .activities
                .iter()
                .map(|a| record_schema::Activity {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    planned_start: Some(a.planned_start),
                    planned_finish: Some(a.planned_finish),
                    unit: a.unit.clone(),
                })
                .collect(),
            trades: self
                .trades
                .iter()
                .map(|t| record_schema::Trade { name: t.name.clone(), day_rate: t.day_rate, hour_rate: t.hour_rate })
                .collect(),
        }
    }
}

/// One problem in imported or submitted reference data: where (table, spreadsheet row, column)
/// and what. Rows count like a spreadsheet's: the header is row 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReferenceCellError)]
pub struct CellError {
    pub table: String,
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "{}, column {}: {}", self.table, self.column, self.message)
        } else {
            write!(f, "{} row {}, column {}: {}", self.table, self.row, self.column, self.message)
        }
    }
}

/// Most problems one answer lists; the rest are only counted (a million bad rows, each listed, made
/// an 88 MB answer nobody reads).
pub const MAX_LISTED_PROBLEMS: usize = 100;

/// The problems found in an import: the first [`MAX_LISTED_PROBLEMS`] in the order found, and how
/// many more there were. Reads as the slice of listed ones; `len` counts them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    listed: Vec<CellError>,
    more: usize,
}

impl Problems {
    pub fn one(e: CellError) -> Self {
        Problems { listed: vec![e], more: 0 }
    }

    pub fn push(&mut self, e: CellError) {
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(e);
        } else {
            self.more += 1;
        }
    }

    /// Every problem found, listed or not.
    pub fn len(&self) -> usize {
        self.listed.len() + self.more
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Problems found beyond the listed ones.
    pub fn more(&self) -> usize {
        self.more
    }
}

impl std::ops::Deref for Problems {
    type Target = [CellError];

    fn deref(&self) -> &[CellError] {
        &self.listed
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a CellError;
    type IntoIter = std::slice::Iter<'a, CellError>;

    fn into_iter(self) -> Self::IntoIter {
        self.listed.iter()
    }
}

/// As the list of listed problems.
impl Serialize for Problems {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.listed.serialize(s)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// Nothing was written: the problems found, each naming its row and column.
    #[error("{} problem(s), first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Problems),
    /// The file is not a CSV or XLSX file that can be read at all.
    #[error("{0}")]
    Unreadable(String),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("publishing to phones: {0}")]
    Publish(#[from] crate::docstore::OwnedWriteError),
}

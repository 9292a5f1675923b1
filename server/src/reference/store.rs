//! Reference data in the database, and its publication to phones.
//!
//! An import or an edit is checked as a whole (the rows given merged over the rows stored: every
//! parent cost code and every activity's cost code must exist, the code tree has no cycle, no key
//! appears twice in one import) and only then written, in one transaction: a file with one bad
//! cell imports nothing. Rows are upserted by key, never deleted (postings refer to them).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use chrono::NaiveDate;
use record_schema::{Currency, RecordKind};
use rust_decimal::Decimal;
use serde::Serialize;

use super::table::{self, Located, ParsedRows, RawTable, Table, curve_text, parse_curve};
use super::{
    Activity, CellError, CostCode, ExpenseCategory, Problems, Project, ReferenceError, ReferenceSet, Site, Trade,
};
use crate::cache::DocCache;
use crate::db::{BeginWrite, Db, on_pool};
use crate::docstore;
use crate::ledger::postings::{from_micro, from_minor, to_micro, to_minor};

/// How many rows of each table an import wrote.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ImportSummary {
    pub project: usize,
    pub sites: usize,
    pub cost_codes: usize,
    pub activities: usize,
    pub trades: usize,
    pub expense_categories: usize,
}

impl ImportSummary {
    /// Rows written, all tables together.
    pub fn rows(&self) -> usize {
        self.project + self.sites + self.cost_codes + self.activities + self.trades + self.expense_categories
    }
}

fn corrupt(what: &str, v: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!("reference data holds an unreadable {what}: {v:?}"))
}

fn opt_decimal(what: &str, v: Option<String>) -> Result<Option<Decimal>, sqlx::Error> {
    v.map(|s| Decimal::from_str(&s).map_err(|_| corrupt(what, &s))).transpose()
}

fn date(what: &str, v: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::from_str(v).map_err(|_| corrupt(what, v))
}

/// Rows of the reference tables as `load` reads them (figures in integer units, dates and
/// decimals as text).
#[derive(sqlx::FromRow)]
struct ProjectRow {
    name: String,
    currency: String,
    hours_per_day: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: String,
    name: String,
    time_zone: String,
}

#[derive(sqlx::FromRow)]
struct CostCodeRow {
    code: String,
    name: String,
    parent: Option<String>,
    budget_minor: i64,
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    id: String,
    name: String,
    cost_code: Option<String>,
    planned_start: String,
    planned_finish: String,
    budget_minor: i64,
    planned_quantity_micro: Option<i64>,
    unit: Option<String>,
    curve: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    code: String,
    name: String,
}

#[derive(sqlx::FromRow)]
struct TradeRow {
    name: String,
    day_rate: Option<String>,
    hour_rate: Option<String>,
}

/// The project's reference data (an empty set in the default currency when none was entered).
pub async fn load(db: &Db, project: &str) -> Result<ReferenceSet, sqlx::Error> {
    let mut set = ReferenceSet::empty(project);
    let head: Option<ProjectRow> =
        on_pool!(db, |p| sqlx::query_as("SELECT name, currency, hours_per_day FROM projects WHERE id = $1")
            .bind(project)
            .fetch_optional(p)
            .await?);
    if let Some(ProjectRow { name, currency, hours_per_day }) = head {
        set.project = Project {
            id: project.into(),
            name,
            currency: Currency::from_str(&currency).map_err(|_| corrupt("currency", &currency))?,
            hours_per_day: opt_decimal("hours_per_day", hours_per_day)?,
        };
    }
    let cur = set.project.currency;
    let sites: Vec<SiteRow> =
        on_pool!(db, |p| sqlx::query_as("SELECT id, name, time_zone FROM sites WHERE project_id = $1 ORDER BY id")
            .bind(project)
            .fetch_all(p)
            .await?);
    set.sites = sites.into_iter().map(|SiteRow { id, name, time_zone }| Site { id, name, time_zone }).collect();
    let codes: Vec<CostCodeRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT code, name, parent, budget_minor FROM cost_codes WHERE project_id = $1 ORDER BY code"
    )
    .bind(project)
    .fetch_all(p)
    .await?);
    set.cost_codes = codes
        .into_iter()
        .map(|CostCodeRow { code, name, parent, budget_minor }| CostCode {
            code,
            name,
            parent,
            budget: from_minor(budget_minor, cur),
        })
        .collect();
    let acts: Vec<ActivityRow> = on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT id, name, cost_code, planned_start, planned_finish, budget_minor, planned_quantity_micro, unit, curve \
         FROM activities WHERE project_id = $1 ORDER BY planned_start, id"
    )
    .bind(project)
    .fetch_all(p)
    .await?
    });
    for a in acts {
        set.activities.push(Activity {
            planned_start: date("planned_start", &a.planned_start)?,
            planned_finish: date("planned_finish", &a.planned_finish)?,
            budget: from_minor(a.budget_minor, cur),
            planned_quantity: a.planned_quantity_micro.map(from_micro),
            curve: match a.curve {
                Some(c) => parse_curve(&c).map_err(|_| corrupt("curve", &c))?,
                None => Vec::new(),
            },
            id: a.id,
            name: a.name,
            cost_code: a.cost_code,
            unit: a.unit,
        });
    }
    let trades: Vec<TradeRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT name, day_rate, hour_rate FROM trades WHERE project_id = $1 ORDER BY name"
    )
    .bind(project)
    .fetch_all(p)
    .await?);
    for TradeRow { name, day_rate, hour_rate } in trades {
        set.trades.push(Trade {
            name,
            day_rate: opt_decimal("day_rate", day_rate)?,
            hour_rate: opt_decimal("hour_rate", hour_rate)?,
        });
    }
    let categories: Vec<CategoryRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT code, name FROM expense_categories WHERE project_id = $1 ORDER BY code"
    )
    .bind(project)
    .fetch_all(p)
    .await?);
    set.expense_categories =
        categories.into_iter().map(|CategoryRow { code, name }| ExpenseCategory { code, name }).collect();
    // The roster (issue 21), so a reference import's publication keeps it in the document; leavers
    // too, flagged, so records that name them stay valid on phones and at sync.
    #[derive(sqlx::FromRow)]
    struct WorkerRow {
        id: String,
        name: String,
        crew: Option<String>,
        trade: Option<String>,
        status: String,
    }
    let workers: Vec<WorkerRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, name, crew, trade, status FROM workers WHERE project_id = $1 ORDER BY id"
    )
    .bind(project)
    .fetch_all(p)
    .await?);
    set.workers = workers
        .into_iter()
        .map(|w| super::RosterEntry { id: w.id, name: w.name, crew: w.crew, trade: w.trade, left: w.status == "left" })
        .collect();
    Ok(set)
}

/// Flags a key given twice in one import (the later row is named).
fn no_duplicates<T>(
    table: Table,
    rows: &[Located<T>],
    key: impl Fn(&T) -> &str,
    column: String,
    errors: &mut Problems,
) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in rows {
        if let Some(first) = seen.insert(key(&r.value), r.row) {
            errors.push(CellError {
                table: table.as_str().into(),
                row: r.row,
                column: column.clone(),
                message: format!("{:?} is already given in row {first}", key(&r.value)),
            });
        }
    }
}

/// Merges `rows` over `set` by key; returns where each merged key came from (table row).
fn merge<T: Clone>(stored: &mut Vec<T>, rows: &[Located<T>], key: impl Fn(&T) -> String) {
    let mut at: HashMap<String, usize> = stored.iter().enumerate().map(|(i, t)| (key(t), i)).collect();
    for r in rows {
        match at.get(&key(&r.value)) {
            Some(&i) => stored[i] = r.value.clone(),
            None => {
                at.insert(key(&r.value), stored.len());
                stored.push(r.value.clone());
            }
        }
    }
}

/// Deepest cost code tree accepted. Real code lists nest 3 to 6 levels; every report indents a code
/// by its depth, so a chain of 100,000 codes, each under the last, would make reports of gigabytes.
pub const MAX_COST_CODE_LEVELS: usize = 20;

/// Where the walk up the code tree has been.
#[derive(Clone, Copy)]
enum Walk {
    /// On the current walk, at this index of its path.
    OnPath(usize),
    /// Known: the code's level (a top code is level 1).
    Level(usize),
    /// On a cycle, or under one: it has no level.
    Cyclic,
}

/// Whole-set rules: parents and activities' cost codes exist, the code tree has no cycle and is at
/// most [`MAX_COST_CODE_LEVELS`] deep.
fn check_set(set: &ReferenceSet, parsed: &ParsedRows, errors: &mut Problems) {
    let codes: HashSet<&str> = set.cost_codes.iter().map(|c| c.code.as_str()).collect();
    let code_rows: HashMap<&str, usize> = parsed.cost_codes.iter().map(|r| (r.value.code.as_str(), r.row)).collect();
    let row_of = |code: &str| code_rows.get(code).copied().unwrap_or(0);
    let at = |table: Table, row: usize, column: &str, message: String| CellError {
        table: if row == 0 && parsed.labels.is_empty() {
            format!("{} (stored)", table.as_str())
        } else {
            table.as_str().into()
        },
        row,
        column: parsed.label(table, column),
        message,
    };
    let parent: BTreeMap<&str, &str> =
        set.cost_codes.iter().filter_map(|c| Some((c.code.as_str(), c.parent.as_deref()?))).collect();
    for (code, p) in &parent {
        if !codes.contains(p) {
            errors.push(at(Table::CostCodes, row_of(code), "parent", format!("cost code {p:?} does not exist")));
        }
    }
    // Each code's level, walking up from each code only until a code already known: every code is
    // walked over once, so a long chain costs its length (walking it whole from every code cost
    // the square: minutes for 100,000 codes).
    let mut walked: HashMap<&str, Walk> = HashMap::with_capacity(parent.len());
    let (mut cyclic, mut too_deep) = (Vec::new(), Vec::new());
    let mut path: Vec<&str> = Vec::new();
    for start in parent.keys() {
        path.clear();
        let mut cur = *start;
        let above = loop {
            match walked.get(cur) {
                Some(Walk::Level(level)) => break Some(*level),
                Some(Walk::Cyclic) => break None,
                Some(Walk::OnPath(i)) => {
                    // Back on this walk: the codes from there on form a cycle.
                    cyclic.extend_from_slice(&path[*i..]);
                    break None;
                }
                None => {
                    walked.insert(cur, Walk::OnPath(path.len()));
                    path.push(cur);
                    match parent.get(cur) {
                        Some(p) if codes.contains(p) => cur = p,
                        // A top code, or one whose parent is missing (reported above).
                        _ => break Some(0),
                    }
                }
            }
        };
        for (up, &code) in path.iter().rev().enumerate() {
            let Some(above) = above else {
                walked.insert(code, Walk::Cyclic);
                continue;
            };
            let level = above + up + 1;
            walked.insert(code, Walk::Level(level));
            // Only the first level too deep is named: the codes under it go with it.
            if level == MAX_COST_CODE_LEVELS + 1 {
                too_deep.push(code);
            }
        }
    }
    for code in cyclic {
        errors.push(at(Table::CostCodes, row_of(code), "parent", format!("{code:?} would be its own ancestor")));
    }
    for code in too_deep {
        errors.push(at(
            Table::CostCodes,
            row_of(code),
            "parent",
            format!(
                "{code:?} would be level {} of the cost code tree; cost codes nest at most {MAX_COST_CODE_LEVELS} levels",
                MAX_COST_CODE_LEVELS + 1
            ),
        ));
    }
    let activity_rows: HashMap<&str, usize> = parsed.activities.iter().map(|r| (r.value.id.as_str(), r.row)).collect();
    for a in &set.activities {
        if let Some(c) = &a.cost_code
            && !codes.contains(c.as_str())
        {
            let row = activity_rows.get(a.id.as_str()).copied().unwrap_or(0);
            errors.push(at(Table::Activities, row, "cost_code", format!("cost code {c:?} does not exist")));
        }
    }
}

/// Checks `tables` against the stored reference data of `project` and, when every row is right,
/// writes them in one transaction and republishes the phones' reference document. Otherwise
/// nothing is written and every problem is returned, each naming its table, row and column.
pub async fn import(
    db: &Db,
    cache: &DocCache,
    project: &str,
    tables: &[RawTable],
) -> Result<ImportSummary, ReferenceError> {
    import_with(db, cache, project, tables, |_, _| {}).await
}

/// `import` with one more rule, over the stored set before the rows are merged into it (an added
/// row's key must be new, a changed row's must exist: `super::edit`); its problems are listed
/// first, beside the import's own.
pub async fn import_with(
    db: &Db,
    cache: &DocCache,
    project: &str,
    tables: &[RawTable],
    rule: impl FnOnce(&ReferenceSet, &mut Problems),
) -> Result<ImportSummary, ReferenceError> {
    let mut set = load(db, project).await?;
    let mut parsed = ParsedRows::default();
    let mut errors = Problems::default();
    rule(&set, &mut errors);
    // The project row first: it sets the currency the budgets are read in.
    for raw in tables.iter().filter(|t| t.table == Table::Project) {
        table::parse(raw, set.project.currency, &mut parsed, &mut errors);
    }
    let mut currency_changed = false;
    if let Some(row) = &parsed.project {
        if let Some(n) = &row.name {
            set.project.name = n.clone();
        }
        if let Some(c) = row.currency {
            currency_changed = c != set.project.currency;
            set.project.currency = c;
        }
        if let Some(h) = row.hours_per_day {
            set.project.hours_per_day = h;
        }
    }
    if currency_changed && (!set.cost_codes.is_empty() || !set.activities.is_empty()) {
        errors.push(CellError {
            table: "project".into(),
            row: 2,
            column: "currency".into(),
            message: "the currency cannot change once budgets are entered".into(),
        });
    }
    for raw in tables.iter().filter(|t| t.table != Table::Project) {
        table::parse(raw, set.project.currency, &mut parsed, &mut errors);
    }
    no_duplicates(Table::Sites, &parsed.sites, |s| &s.id, parsed.label(Table::Sites, "id"), &mut errors);
    no_duplicates(
        Table::CostCodes,
        &parsed.cost_codes,
        |c| &c.code,
        parsed.label(Table::CostCodes, "code"),
        &mut errors,
    );
    no_duplicates(Table::Activities, &parsed.activities, |a| &a.id, parsed.label(Table::Activities, "id"), &mut errors);
    no_duplicates(Table::Trades, &parsed.trades, |t| &t.name, parsed.label(Table::Trades, "name"), &mut errors);
    no_duplicates(
        Table::ExpenseCategories,
        &parsed.expense_categories,
        |c| &c.code,
        parsed.label(Table::ExpenseCategories, "code"),
        &mut errors,
    );
    merge(&mut set.sites, &parsed.sites, |s| s.id.clone());
    merge(&mut set.cost_codes, &parsed.cost_codes, |c| c.code.clone());
    merge(&mut set.activities, &parsed.activities, |a| a.id.clone());
    merge(&mut set.trades, &parsed.trades, |t| t.name.clone());
    merge(&mut set.expense_categories, &parsed.expense_categories, |c| c.code.clone());
    check_set(&set, &parsed, &mut errors);
    if !errors.is_empty() {
        return Err(ReferenceError::Invalid(errors));
    }
    let summary = write(db, &set, &parsed).await?;
    publish(db, cache, &set).await?;
    Ok(summary)
}

fn overflow(what: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!("{what} does not fit the database's integer column"))
}

async fn write(db: &Db, set: &ReferenceSet, parsed: &ParsedRows) -> Result<ImportSummary, sqlx::Error> {
    let cur = set.project.currency;
    let now = record_schema::now_ms();
    on_pool!(db, |p| {
        let mut tx = p.begin_write().await?;
        sqlx::query(
            "INSERT INTO projects (id, name, currency, hours_per_day, updated_at_ms) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency, \
             hours_per_day = excluded.hours_per_day, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(&set.project.id)
        .bind(&set.project.name)
        .bind(cur.code())
        .bind(set.project.hours_per_day.map(|h| h.normalize().to_string()))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for s in &parsed.sites {
            sqlx::query(
                "INSERT INTO sites (project_id, id, name, time_zone) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (project_id, id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone",
            )
            .bind(&set.project.id)
            .bind(&s.value.id)
            .bind(&s.value.name)
            .bind(&s.value.time_zone)
            .execute(&mut *tx)
            .await?;
        }
        for c in &parsed.cost_codes {
            sqlx::query(
                "INSERT INTO cost_codes (project_id, code, name, parent, budget_minor) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (project_id, code) DO UPDATE SET name = excluded.name, parent = excluded.parent, \
                 budget_minor = excluded.budget_minor",
            )
            .bind(&set.project.id)
            .bind(&c.value.code)
            .bind(&c.value.name)
            .bind(&c.value.parent)
            .bind(to_minor(c.value.budget, cur).ok_or_else(|| overflow("budget"))?)
            .execute(&mut *tx)
            .await?;
        }
        for a in &parsed.activities {
            let a = &a.value;
            let qty =
                a.planned_quantity.map(|q| to_micro(q).ok_or_else(|| overflow("planned_quantity"))).transpose()?;
            sqlx::query(
                "INSERT INTO activities (project_id, id, name, cost_code, planned_start, planned_finish, budget_minor, \
                 planned_quantity_micro, unit, curve) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (project_id, id) DO UPDATE SET name = excluded.name, cost_code = excluded.cost_code, \
                 planned_start = excluded.planned_start, planned_finish = excluded.planned_finish, \
                 budget_minor = excluded.budget_minor, planned_quantity_micro = excluded.planned_quantity_micro, \
                 unit = excluded.unit, curve = excluded.curve",
            )
            .bind(&set.project.id)
            .bind(&a.id)
            .bind(&a.name)
            .bind(&a.cost_code)
            .bind(a.planned_start.to_string())
            .bind(a.planned_finish.to_string())
            .bind(to_minor(a.budget, cur).ok_or_else(|| overflow("budget"))?)
            .bind(qty)
            .bind(&a.unit)
            .bind(curve_text(&a.curve))
            .execute(&mut *tx)
            .await?;
        }
        for t in &parsed.trades {
            sqlx::query(
                "INSERT INTO trades (project_id, name, day_rate, hour_rate) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (project_id, name) DO UPDATE SET day_rate = excluded.day_rate, hour_rate = excluded.hour_rate",
            )
            .bind(&set.project.id)
            .bind(&t.value.name)
            .bind(t.value.day_rate.map(|r| r.normalize().to_string()))
            .bind(t.value.hour_rate.map(|r| r.normalize().to_string()))
            .execute(&mut *tx)
            .await?;
        }
        for c in &parsed.expense_categories {
            sqlx::query(
                "INSERT INTO expense_categories (project_id, code, name) VALUES ($1, $2, $3) \
                 ON CONFLICT (project_id, code) DO UPDATE SET name = excluded.name",
            )
            .bind(&set.project.id)
            .bind(&c.value.code)
            .bind(&c.value.name)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    });
    Ok(ImportSummary {
        project: usize::from(parsed.project.is_some()),
        sites: parsed.sites.len(),
        cost_codes: parsed.cost_codes.len(),
        activities: parsed.activities.len(),
        trades: parsed.trades.len(),
        expense_categories: parsed.expense_categories.len(),
    })
}

/// Writes the set into the project's `reference:<project>` document (created when missing), so
/// phones receive it by sync. Only what changed becomes an Automerge change.
pub async fn publish(db: &Db, cache: &DocCache, set: &ReferenceSet) -> Result<(), ReferenceError> {
    let data = set.for_phones();
    let id = record_schema::ReferenceData::document_id(&set.project.id);
    Ok(docstore::write_owned(db, cache, &id, &set.project.id, RecordKind::ReferenceData, |doc| data.write(doc)).await?)
}

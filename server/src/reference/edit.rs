//! One row of reference data added, changed or deleted (the admin screen, `web::admin_reference`).
//!
//! An added or changed row goes through the import as a one-row table (`store::import_with`), so it
//! meets the import's rules and messages and is published to phones the same way; the only rules
//! of its own are about the key (an added row's must be new, a changed row's must exist). A row is
//! deleted only while nothing uses it: postings, records, child cost codes or activities (an
//! expense category: expenses booked in it, approved or not).

use std::collections::BTreeSet;

use super::store::{self, ImportSummary};
use super::table::{RawTable, Table};
use super::{CellError, Problems, ReferenceError, ReferenceSet};
use crate::cache::DocCache;
use crate::db::{Db, on_pool};

/// Whether a row is new or an existing one changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Add,
    Change,
}

/// The key column of a table (none for the project, a single row).
pub fn key_column(table: Table) -> Option<&'static str> {
    (table != Table::Project).then(|| table.columns()[0].0)
}

/// The keys stored in `table`.
pub fn keys(set: &ReferenceSet, table: Table) -> BTreeSet<&str> {
    match table {
        Table::Project => BTreeSet::new(),
        Table::Sites => set.sites.iter().map(|s| s.id.as_str()).collect(),
        Table::CostCodes => set.cost_codes.iter().map(|c| c.code.as_str()).collect(),
        Table::Activities => set.activities.iter().map(|a| a.id.as_str()).collect(),
        Table::Trades => set.trades.iter().map(|t| t.name.as_str()).collect(),
        Table::ExpenseCategories => set.expense_categories.iter().map(|c| c.code.as_str()).collect(),
    }
}

/// Adds or changes one row given as (column, text) pairs, exactly as an import of that row would
/// (nothing is written when any cell is wrong), and republishes the phones' reference document.
pub async fn save(
    db: &Db,
    cache: &DocCache,
    project: &str,
    table: Table,
    cells: Vec<(String, String)>,
    mode: Mode,
) -> Result<ImportSummary, ReferenceError> {
    let key = key_column(table)
        .and_then(|k| cells.iter().find(|(c, _)| c == k))
        .map(|(c, v)| (c.clone(), v.trim().to_string()));
    let raw = RawTable::one_row(table, cells);
    store::import_with(db, cache, project, &[raw], |set, errors| {
        // An empty key is the import's "is required".
        let Some((column, key)) = key.filter(|(_, k)| !k.is_empty()) else { return };
        let exists = keys(set, table).contains(key.as_str());
        let message = match mode {
            Mode::Add if exists => format!("{key:?} already exists"),
            Mode::Change if !exists => format!("{key:?} does not exist (deleted meanwhile?)"),
            _ => return,
        };
        errors.push(CellError { table: table.as_str().into(), row: 0, column, message });
    })
    .await
}

/// What still uses a row, so it cannot be deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use {
    /// Ledger postings (approved records) charged to it.
    Postings(i64),
    /// Foreman records (any state) naming it.
    Records(i64),
    /// Cost codes under it.
    ChildCodes(Vec<String>),
    /// Activities earning against it.
    Activities(Vec<String>),
}

impl Use {
    /// In English, as the API says it (the screen has its own words).
    pub fn words(&self) -> String {
        match self {
            Use::Postings(n) => format!("{n} ledger posting(s)"),
            Use::Records(n) => format!("{n} record(s)"),
            Use::ChildCodes(v) => format!("cost codes under it: {}", v.join(", ")),
            Use::Activities(v) => format!("activities earning against it: {}", v.join(", ")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    #[error("{0:?} is still used")]
    InUse(Vec<Use>),
    #[error("no such row")]
    Missing,
    #[error("the project itself cannot be deleted")]
    Project,
    #[error(transparent)]
    Reference(#[from] ReferenceError),
}

impl From<sqlx::Error> for DeleteError {
    fn from(e: sqlx::Error) -> Self {
        DeleteError::Reference(e.into())
    }
}

/// How many postings of `project` name `key` as a row of `table` (ledger_postings).
async fn postings_using(db: &Db, project: &str, table: Table, key: &str) -> Result<i64, sqlx::Error> {
    let sql = match table {
        Table::Sites => "SELECT COUNT(*) FROM ledger_postings WHERE project_id = $1 AND site_id = $2",
        Table::CostCodes => "SELECT COUNT(*) FROM ledger_postings WHERE project_id = $1 AND cost_code = $2",
        Table::Activities => "SELECT COUNT(*) FROM ledger_postings WHERE project_id = $1 AND activity = $2",
        Table::Trades => "SELECT COUNT(*) FROM ledger_postings WHERE project_id = $1 AND trade = $2",
        Table::ExpenseCategories => "SELECT COUNT(*) FROM ledger_postings WHERE project_id = $1 AND category = $2",
        Table::Project => return Ok(0),
    };
    on_pool!(db, |p| sqlx::query_scalar::<_, i64>(sql).bind(project).bind(key).fetch_one(p).await)
}

/// `like` text matching `text` literally (`!` escapes).
fn like_literal(text: &str) -> String {
    text.replace('!', "!!").replace('%', "!%").replace('_', "!_")
}

/// How many expenses of `project` are booked in category `code`, read from their documents (the
/// record index does not list categories; a project's expenses are a few thousand at most, and a
/// category is deleted rarely). Voided and unapproved expenses count: they would no longer read.
async fn expenses_in(db: &Db, cache: &DocCache, project: &str, code: &str) -> Result<i64, ReferenceError> {
    let ids: Vec<String> = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT record_id FROM record_index WHERE project_id = $1 AND kind = 'expense'"
    )
    .bind(project)
    .fetch_all(p)
    .await?);
    let mut n = 0;
    for id in ids {
        let Some(stored) = crate::docstore::load_hot(db, cache, &id)
            .await
            .map_err(|e| ReferenceError::Sql(sqlx::Error::Protocol(format!("reading expense {id}: {e}"))))?
        else {
            continue;
        };
        let category = record_schema::doc::get_str(&stored.doc, &automerge::ROOT, "category").ok().flatten();
        if category.as_deref() == Some(code) {
            n += 1;
        }
        cache.put(stored);
    }
    Ok(n)
}

/// How many indexed records of `project` name `key`: sites by their column, cost codes and
/// activities by the record index's `refs` (`c:<code>` / `a:<id>` lines). Records hold trades only
/// as their lines' text, which the index does not list; expense categories are `expenses_in`.
async fn records_using(db: &Db, project: &str, table: Table, key: &str) -> Result<i64, sqlx::Error> {
    let prefix = match table {
        Table::Sites => {
            return on_pool!(db, |p| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM record_index WHERE project_id = $1 AND site_id = $2"
            )
            .bind(project)
            .bind(key)
            .fetch_one(p)
            .await);
        }
        Table::CostCodes => "c:",
        Table::Activities => "a:",
        Table::Trades | Table::ExpenseCategories | Table::Project => return Ok(0),
    };
    let wanted = format!("{prefix}{key}");
    let pattern = format!("%{}%", like_literal(&wanted));
    let refs: Vec<String> = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT refs FROM record_index WHERE project_id = $1 AND refs LIKE $2 ESCAPE '!'"
    )
    .bind(project)
    .bind(&pattern)
    .fetch_all(p)
    .await?);
    Ok(refs.iter().filter(|r| r.lines().any(|l| l == wanted)).count() as i64)
}

/// Everything that uses row `key` of `table` (empty: it may be deleted). Records synced since the
/// queue was last shown are indexed first, so they count too.
pub async fn uses(
    db: &Db,
    cache: &DocCache,
    project: &str,
    set: &ReferenceSet,
    table: Table,
    key: &str,
) -> Result<Vec<Use>, ReferenceError> {
    crate::ledger::pending::refresh_index(db, cache, project)
        .await
        .map_err(|e| ReferenceError::Sql(sqlx::Error::Protocol(format!("indexing records: {e}"))))?;
    let mut out = Vec::new();
    if table == Table::CostCodes {
        let children: Vec<String> =
            set.cost_codes.iter().filter(|c| c.parent.as_deref() == Some(key)).map(|c| c.code.clone()).collect();
        if !children.is_empty() {
            out.push(Use::ChildCodes(children));
        }
        let activities: Vec<String> =
            set.activities.iter().filter(|a| a.cost_code.as_deref() == Some(key)).map(|a| a.id.clone()).collect();
        if !activities.is_empty() {
            out.push(Use::Activities(activities));
        }
    }
    let postings = postings_using(db, project, table, key).await?;
    if postings > 0 {
        out.push(Use::Postings(postings));
    }
    let records = match table {
        Table::ExpenseCategories => expenses_in(db, cache, project, key).await?,
        _ => records_using(db, project, table, key).await?,
    };
    if records > 0 {
        out.push(Use::Records(records));
    }
    Ok(out)
}

/// Deletes row `key` of `table` when nothing uses it, and republishes the phones' reference
/// document without it.
pub async fn delete(db: &Db, cache: &DocCache, project: &str, table: Table, key: &str) -> Result<(), DeleteError> {
    let set = store::load(db, project).await?;
    let sql = match table {
        Table::Sites => "DELETE FROM sites WHERE project_id = $1 AND id = $2",
        Table::CostCodes => "DELETE FROM cost_codes WHERE project_id = $1 AND code = $2",
        Table::Activities => "DELETE FROM activities WHERE project_id = $1 AND id = $2",
        Table::Trades => "DELETE FROM trades WHERE project_id = $1 AND name = $2",
        Table::ExpenseCategories => "DELETE FROM expense_categories WHERE project_id = $1 AND code = $2",
        Table::Project => return Err(DeleteError::Project),
    };
    if !keys(&set, table).contains(key) {
        return Err(DeleteError::Missing);
    }
    let used = uses(db, cache, project, &set, table, key).await?;
    if !used.is_empty() {
        return Err(DeleteError::InUse(used));
    }
    on_pool!(db, |p| sqlx::query(sql).bind(project).bind(key).execute(p).await.map(drop))?;
    let set = store::load(db, project).await?;
    store::publish(db, cache, &set).await?;
    Ok(())
}

/// The problems of a refused edit, for callers that only want them listed.
pub fn problems(e: &ReferenceError) -> Option<&Problems> {
    match e {
        ReferenceError::Invalid(p) => Some(p),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_keys_literally() {
        assert_eq!(like_literal("03-100"), "03-100");
        assert_eq!(like_literal("5%_!"), "5!%!_!!");
    }

    #[test]
    fn uses_read_in_english() {
        assert_eq!(Use::Postings(3).words(), "3 ledger posting(s)");
        assert_eq!(
            Use::ChildCodes(vec!["03-100".into(), "03-200".into()]).words(),
            "cost codes under it: 03-100, 03-200"
        );
    }

    #[test]
    fn every_table_but_the_project_has_a_key() {
        assert_eq!(key_column(Table::Project), None);
        assert_eq!(key_column(Table::CostCodes), Some("code"));
        assert_eq!(key_column(Table::Trades), Some("name"));
        assert_eq!(key_column(Table::ExpenseCategories), Some("code"));
    }
}

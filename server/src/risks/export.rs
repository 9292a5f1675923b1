//! The register as a file (CSV or XLSX, through `reports::export`): one row per risk, the same
//! columns in both; with `?lang=` headers, titles, the file name and the words of category, level,
//! strategy and status in that language, without it the API's keys.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Category, Level, RiskRow, Status, Strategy};
use crate::reports::export::{FileName, Words};
use crate::reports::{Cell, Table};

/// The UI string key of a word (`risk_cat_safety`, `risk_level_high`, …).
pub fn category_key(c: Category) -> &'static str {
    match c {
        Category::Safety => "risk_cat_safety",
        Category::Quality => "risk_cat_quality",
        Category::Schedule => "risk_cat_schedule",
        Category::Cost => "risk_cat_cost",
        Category::Other => "risk_cat_other",
    }
}

pub fn level_key(l: Level) -> &'static str {
    match l {
        Level::Low => "risk_level_low",
        Level::Medium => "risk_level_medium",
        Level::High => "risk_level_high",
        Level::Critical => "risk_level_critical",
    }
}

pub fn status_key(s: Status) -> &'static str {
    match s {
        Status::Open => "risk_status_open",
        Status::Mitigating => "risk_status_mitigating",
        Status::Closed => "risk_status_closed",
    }
}

pub fn strategy_key(s: Strategy) -> &'static str {
    match s {
        Strategy::Avoid => "risk_strategy_avoid",
        Strategy::Mitigate => "risk_strategy_mitigate",
        Strategy::Transfer => "risk_strategy_transfer",
        Strategy::Accept => "risk_strategy_accept",
    }
}

/// The risks as a table; `as_of` marks overdue ones (the `overdue` column: due before it, not closed).
pub fn table(risks: &[RiskRow], words: Words, project: &str, as_of: NaiveDate) -> Table {
    let word = |key: &'static str, plain: &'static str| match words {
        Words::Keys => plain,
        Words::Lang(l) => l.t(key),
    };
    let yes = |b: bool| match (words, b) {
        (_, false) => Cell::Empty,
        (Words::Keys, true) => Cell::text("yes"),
        (Words::Lang(l), true) => Cell::text(l.t("risk_overdue")),
    };
    let h = |k, l| words.head(k, l);
    let columns = vec![
        h("label", "risk_label"),
        h("title", "risk_title"),
        h("category", "risk_category"),
        h("probability", "risk_probability"),
        h("impact", "risk_impact"),
        h("score", "risk_score"),
        h("level", "risk_level"),
        h("owner", "risk_owner"),
        h("strategy", "risk_strategy"),
        h("response", "risk_response"),
        h("due", "risk_due"),
        h("overdue", "risk_overdue"),
        h("status", "risk_status"),
        h("source_record_id", "risk_source"),
        h("description", "risk_description"),
    ];
    let rows = risks
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.label),
                Cell::text(&r.title),
                Cell::text(word(category_key(r.category), r.category.as_str())),
                Cell::Number(Decimal::from(r.probability), 0),
                Cell::Number(Decimal::from(r.impact), 0),
                Cell::Number(Decimal::from(r.score), 0),
                Cell::text(word(level_key(r.level), r.level.as_str())),
                r.owner.as_ref().map_or(Cell::Empty, Cell::text),
                r.strategy.map_or(Cell::Empty, |s| Cell::text(word(strategy_key(s), s.as_str()))),
                r.response.as_ref().map_or(Cell::Empty, Cell::text),
                r.due.map_or(Cell::Empty, |d| Cell::Date(d, "yyyy-mm-dd")),
                yes(r.overdue(as_of)),
                Cell::text(word(status_key(r.status), r.status.as_str())),
                r.source_record_id.as_ref().map_or(Cell::Empty, Cell::text),
                r.description.as_ref().map_or(Cell::Empty, Cell::text),
            ]
        })
        .collect();
    match words {
        Words::Keys => {
            Table { sheet: format!("Risks {project}"), title: format!("Risks {project} as of {as_of}"), columns, rows }
        }
        Words::Lang(l) => Table {
            sheet: l.t("risk_sheet").to_string(),
            title: format!("{} · {project} · {as_of}", l.t("risk_register")),
            columns,
            rows,
        },
    }
}

/// `风险台账_一号楼_2026-11-25` (`risks-P1` for the API's keys).
pub fn file_name(words: Words, project_name: &str, project_id: &str, as_of: NaiveDate) -> FileName {
    match words {
        Words::Keys => FileName::plain(&format!("risks-{project_id}")),
        Words::Lang(l) => {
            let day = as_of.to_string();
            FileName::new(&[l.t("risk_file"), project_name, &day], &["risks", project_id, &day])
        }
    }
}

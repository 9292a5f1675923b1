//! The reference tables as rows of text cells (what CSV, XLSX and JSON all reduce to), and the
//! typed rows they parse into. Every error names its table, row and column.

use std::str::FromStr;

use chrono::NaiveDate;
use record_schema::Currency;
use record_schema::money::parse_decimal;
use record_schema::validate::{self, parse_time_zone};
use rust_decimal::Decimal;

use super::{Activity, CellError, CostCode, ExpenseCategory, Problems, Site, Trade};

/// The tables an import may carry (an XLSX workbook: one sheet each, named like this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Project,
    Sites,
    CostCodes,
    Activities,
    Trades,
    ExpenseCategories,
}

impl Table {
    pub const ALL: [Table; 6] =
        [Table::Project, Table::Sites, Table::CostCodes, Table::Activities, Table::Trades, Table::ExpenseCategories];

    pub fn as_str(self) -> &'static str {
        match self {
            Table::Project => "project",
            Table::Sites => "sites",
            Table::CostCodes => "cost_codes",
            Table::Activities => "activities",
            Table::Trades => "trades",
            Table::ExpenseCategories => "expense_categories",
        }
    }

    /// Column names; the required ones first (`*` in the docs).
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            Table::Project => &[("name", false), ("currency", false), ("hours_per_day", false)],
            Table::Sites => &[("id", true), ("name", true), ("time_zone", true)],
            Table::CostCodes => &[("code", true), ("name", true), ("parent", false), ("budget", false)],
            Table::Activities => &[
                ("id", true),
                ("name", true),
                ("planned_start", true),
                ("planned_finish", true),
                ("budget", false),
                ("cost_code", false),
                ("planned_quantity", false),
                ("unit", false),
                ("curve", false),
            ],
            Table::Trades => &[("name", true), ("day_rate", false), ("hour_rate", false)],
            Table::ExpenseCategories => &[("code", true), ("name", true)],
        }
    }
}

impl FromStr for Table {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        // `expense_category`, and the sheet a Chinese workbook names 费用类别.
        let t = match t.as_str() {
            "expense_category" | "费用类别" => "expense_categories".to_string(),
            _ => t,
        };
        Table::ALL.into_iter().find(|x| x.as_str() == t || x.as_str().trim_end_matches('s') == t).ok_or_else(|| {
            format!(
                "{s:?} is not a reference table (project, sites, cost_codes, activities, trades, expense_categories)"
            )
        })
    }
}

/// Header names in Chinese spreadsheets, as accepted beside the English ones.
fn canonical_column(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    let alias = match n.as_str() {
        "编码" | "编号" | "代码" => "code",
        "名称" => "name",
        "上级" | "上级编码" => "parent",
        "预算" => "budget",
        "时区" => "time_zone",
        "计划开始" => "planned_start",
        "计划完成" => "planned_finish",
        "成本编码" => "cost_code",
        "计划工程量" => "planned_quantity",
        "单位" => "unit",
        "工种" => "name",
        "日单价" | "日工资" => "day_rate",
        "时单价" => "hour_rate",
        "币种" => "currency",
        "每日工时" | "每工日小时数" | "日工时" => "hours_per_day",
        "类别编码" => "code",
        "类别名称" | "费用类别" => "name",
        other => return other.to_string(),
    };
    alias.to_string()
}

/// The spreadsheet name of column `index` (0 → A, 26 → AA).
pub fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A table as read from a file or a request: header cells and data rows of text cells.
#[derive(Debug, Clone)]
pub struct RawTable {
    pub table: Table,
    /// Column labels as errors show them: `C (budget)` for files, `budget` for JSON.
    pub labels: Vec<String>,
    pub header: Vec<String>,
    /// (row number as the user counts it, cells).
    pub rows: Vec<(usize, Vec<String>)>,
}

impl RawTable {
    /// One row given as (column, text) pairs (a form, a JSON body): row 0, so its problems name
    /// only the column, labelled by its name.
    pub fn one_row(table: Table, cells: Vec<(String, String)>) -> RawTable {
        let (header, cells): (Vec<String>, Vec<String>) = cells.into_iter().unzip();
        RawTable { table, labels: header.clone(), header, rows: vec![(0, cells)] }
    }
}

/// One typed row and where it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub row: usize,
    pub value: T,
}

/// The project's row: each `None` when not given (the stored value is kept).
#[derive(Debug, Clone, Default)]
pub struct ProjectCells {
    pub name: Option<String>,
    pub currency: Option<Currency>,
    /// `Some(None)`: the column given empty (back to the default, 8 hours).
    pub hours_per_day: Option<Option<Decimal>>,
}

#[derive(Debug, Clone, Default)]
pub struct ParsedRows {
    pub project: Option<ProjectCells>,
    pub sites: Vec<Located<Site>>,
    pub cost_codes: Vec<Located<CostCode>>,
    pub activities: Vec<Located<Activity>>,
    pub trades: Vec<Located<Trade>>,
    pub expense_categories: Vec<Located<ExpenseCategory>>,
    /// How each table's columns are labelled in the input (`C (parent)`), for errors about rows.
    pub labels: std::collections::HashMap<(Table, &'static str), String>,
}

impl ParsedRows {
    /// The input's label of `column` in `table`, or the column name.
    pub fn label(&self, table: Table, column: &str) -> String {
        self.labels
            .iter()
            .find(|((t, c), _)| *t == table && *c == column)
            .map_or(column.to_string(), |(_, l)| l.clone())
    }
}

/// A row's cells by column name.
struct Cells<'a> {
    table: Table,
    row: usize,
    by_name: &'a [(String, usize, String)],
    cells: &'a [String],
    errors: &'a mut Problems,
}

impl Cells<'_> {
    fn err(&mut self, column: &str, message: impl Into<String>) {
        let label = self.by_name.iter().find(|(n, _, _)| n == column).map_or(column.to_string(), |(_, _, l)| l.clone());
        self.errors.push(CellError {
            table: self.table.as_str().into(),
            row: self.row,
            column: label,
            message: message.into(),
        });
    }

    /// Whether the input has `column` at all (an empty cell of a given column says "none").
    fn has(&self, column: &str) -> bool {
        self.by_name.iter().any(|(n, _, _)| n == column)
    }

    fn opt(&self, column: &str) -> Option<String> {
        let (_, i, _) = self.by_name.iter().find(|(n, _, _)| n == column)?;
        self.cells.get(*i).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    }

    fn req(&mut self, column: &str) -> Option<String> {
        let v = self.opt(column);
        if v.is_none() {
            self.err(column, "is required");
        }
        match v {
            Some(s) if s.chars().count() > 200 => {
                self.err(column, "is longer than 200 characters");
                None
            }
            v => v,
        }
    }

    fn decimal(&mut self, column: &str, scale: u32) -> Option<Decimal> {
        let text = self.opt(column)?;
        match parse_decimal(column, &text, scale) {
            Ok(d) if d.is_sign_negative() && !d.is_zero() => {
                self.err(column, format!("must not be negative (got {text:?})"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.err(column, e.reason);
                None
            }
        }
    }

    fn date(&mut self, column: &str) -> Option<NaiveDate> {
        let text = self.opt(column)?;
        match NaiveDate::from_str(&text) {
            Ok(d) => Some(d),
            Err(_) => {
                self.err(column, format!("expected a date YYYY-MM-DD (got {text:?})"));
                None
            }
        }
    }
}

/// Parses the rows of `raw`. Problems are added to `errors` (each naming row and column) and the
/// row is left out; `currency` sets how many decimals budgets may have.
pub fn parse(raw: &RawTable, currency: Currency, out: &mut ParsedRows, errors: &mut Problems) {
    let table = raw.table;
    let known = table.columns();
    let before_header = errors.len();
    let mut by_name: Vec<(String, usize, String)> = Vec::new();
    for (i, h) in raw.header.iter().enumerate() {
        let label = raw.labels.get(i).cloned().unwrap_or_else(|| h.clone());
        let name = canonical_column(h);
        if name.is_empty() {
            continue;
        }
        if !known.iter().any(|(k, _)| *k == name) {
            let names: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
            errors.push(CellError {
                table: table.as_str().into(),
                row: 1,
                column: label,
                message: format!("unknown column {h:?}; {} has {}", table.as_str(), names.join(", ")),
            });
            continue;
        }
        if by_name.iter().any(|(n, _, _)| *n == name) {
            errors.push(CellError {
                table: table.as_str().into(),
                row: 1,
                column: label,
                message: format!("column {name} appears twice"),
            });
            continue;
        }
        by_name.push((name, i, label));
    }
    for (name, required) in known {
        if *required && !by_name.iter().any(|(n, _, _)| n == name) {
            errors.push(CellError {
                table: table.as_str().into(),
                row: 1,
                column: (*name).into(),
                message: "required column is missing".into(),
            });
        }
    }
    // Rows under a header that does not read would each repeat its problem.
    if errors.len() > before_header {
        return;
    }
    for (name, _, label) in &by_name {
        if let Some((k, _)) = known.iter().find(|(k, _)| k == name) {
            out.labels.insert((table, k), label.clone());
        }
    }
    for (row, cells) in &raw.rows {
        // An empty row of a file is skipped; the project's row given by a form or JSON (row 0) is
        // read even empty: `{"hours_per_day": null}` returns the hours to the default.
        if cells.iter().all(|c| c.trim().is_empty()) && !(*row == 0 && table == Table::Project) {
            continue;
        }
        let before = errors.len();
        let mut c = Cells { table, row: *row, by_name: &by_name, cells, errors };
        match table {
            Table::Project => {
                let name = c.opt("name");
                let currency = match c.opt("currency") {
                    None => None,
                    Some(t) => match t.parse::<Currency>() {
                        Ok(cur) => Some(cur),
                        Err(e) => {
                            c.err("currency", e.reason);
                            None
                        }
                    },
                };
                let hours_per_day = if c.has("hours_per_day") {
                    let hours = c.decimal("hours_per_day", validate::QUANTITY_SCALE);
                    match hours {
                        Some(h) if h <= Decimal::ZERO || h > Decimal::from(validate::MAX_HOURS_PER_DAY) => {
                            let text = c.opt("hours_per_day").unwrap_or_default();
                            c.err("hours_per_day", hours_message(&text));
                        }
                        _ => {}
                    }
                    Some(hours)
                } else {
                    None
                };
                if c.errors.len() == before {
                    out.project = Some(ProjectCells { name, currency, hours_per_day });
                }
            }
            Table::Sites => {
                let (id, name, tz) = (c.req("id"), c.req("name"), c.req("time_zone"));
                if let Some(t) = &tz
                    && let Err(e) = parse_time_zone("time_zone", t)
                {
                    c.err("time_zone", e.reason);
                }
                if let (Some(id), Some(name), Some(time_zone), true) = (id, name, tz, c.errors.len() == before) {
                    out.sites.push(Located { row: *row, value: Site { id, name, time_zone } });
                }
            }
            Table::CostCodes => {
                let (code, name, parent) = (c.req("code"), c.req("name"), c.opt("parent"));
                let budget = c.decimal("budget", currency.scale()).unwrap_or_default();
                if let (Some(code), Some(name), true) = (code, name, c.errors.len() == before) {
                    out.cost_codes.push(Located { row: *row, value: CostCode { code, name, parent, budget } });
                }
            }
            Table::Activities => {
                let (id, name) = (c.req("id"), c.req("name"));
                if c.opt("planned_start").is_none() {
                    c.err("planned_start", "is required");
                }
                if c.opt("planned_finish").is_none() {
                    c.err("planned_finish", "is required");
                }
                let start = c.date("planned_start");
                let finish = c.date("planned_finish");
                if let (Some(s), Some(f)) = (start, finish)
                    && f < s
                {
                    c.err("planned_finish", format!("{f} is before the planned start {s}"));
                }
                let budget = c.decimal("budget", currency.scale()).unwrap_or_default();
                let planned_quantity = c.decimal("planned_quantity", 3);
                if planned_quantity.is_some_and(|q| q.is_zero()) {
                    c.err("planned_quantity", "must be more than 0 when given");
                }
                let unit = c.opt("unit");
                if planned_quantity.is_some() && unit.is_none() {
                    c.err("unit", "is required with a planned quantity");
                }
                let curve = match c.opt("curve") {
                    None => Vec::new(),
                    Some(text) => match parse_curve(&text) {
                        Ok(points) => points,
                        Err(m) => {
                            c.err("curve", m);
                            Vec::new()
                        }
                    },
                };
                let cost_code = c.opt("cost_code");
                if let (Some(id), Some(name), Some(planned_start), Some(planned_finish), true) =
                    (id, name, start, finish, c.errors.len() == before)
                {
                    out.activities.push(Located {
                        row: *row,
                        value: Activity {
                            id,
                            name,
                            cost_code,
                            planned_start,
                            planned_finish,
                            budget,
                            planned_quantity,
                            unit,
                            curve,
                        },
                    });
                }
            }
            Table::Trades => {
                let name = c.req("name");
                // Rates keep the office's decimals (365 / 8 = 45.625): only a line's amount is rounded.
                let day_rate = c.decimal("day_rate", validate::RATE_SCALE);
                let hour_rate = c.decimal("hour_rate", validate::RATE_SCALE);
                if let (Some(name), true) = (name, c.errors.len() == before) {
                    out.trades.push(Located { row: *row, value: Trade { name, day_rate, hour_rate } });
                }
            }
            Table::ExpenseCategories => {
                let (code, name) = (c.req("code"), c.req("name"));
                if let Some(k) = &code
                    && !is_category_code(k)
                {
                    c.err("code", category_code_message(k));
                }
                if let (Some(code), Some(name), true) = (code, name, c.errors.len() == before) {
                    out.expense_categories.push(Located { row: *row, value: ExpenseCategory { code, name } });
                }
            }
        }
    }
}

/// Longest expense category code: a short identifier (`equipment_rental`), not a name.
pub const MAX_CATEGORY_CODE_CHARS: usize = 40;

/// An expense category's code: ASCII letters, digits, `_` and `-`, starting with a letter or digit,
/// at most [`MAX_CATEGORY_CODE_CHARS`]: what apps and exports carry, the same in every language.
pub fn is_category_code(code: &str) -> bool {
    code.len() <= MAX_CATEGORY_CODE_CHARS
        && code.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn category_code_message(code: &str) -> String {
    format!(
        "must be a short code of letters a-z, digits, _ and - (at most {MAX_CATEGORY_CODE_CHARS} characters, \
         e.g. equipment_rental; the name column holds the words) (got {code:?})"
    )
}

fn hours_message(text: &str) -> String {
    format!("must be more than 0 and at most {} hours (got {text:?})", validate::MAX_HOURS_PER_DAY)
}

/// `2026-03-01=0; 2026-04-01=35; 2026-06-30=100`: dates ascending, percents 0–100 never falling.
pub fn parse_curve(text: &str) -> Result<Vec<(NaiveDate, Decimal)>, String> {
    let mut out: Vec<(NaiveDate, Decimal)> = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (d, p) = part.split_once('=').ok_or_else(|| format!("{part:?}: expected DATE=PERCENT"))?;
        let date = NaiveDate::from_str(d.trim()).map_err(|_| format!("{d:?} is not a date YYYY-MM-DD"))?;
        let pct = parse_decimal("curve", p, 4).map_err(|e| e.reason)?;
        if pct < Decimal::ZERO || pct > Decimal::from(100) {
            return Err(format!("{part:?}: percent must be 0–100"));
        }
        if let Some((ld, lp)) = out.last()
            && (date <= *ld || pct < *lp)
        {
            return Err(format!("{part:?}: dates must ascend and percents never fall"));
        }
        out.push((date, pct));
    }
    Ok(out)
}

pub fn curve_text(curve: &[(NaiveDate, Decimal)]) -> Option<String> {
    (!curve.is_empty())
        .then(|| curve.iter().map(|(d, p)| format!("{d}={}", p.normalize())).collect::<Vec<_>>().join(";"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(table: Table, header: &[&str], rows: &[&[&str]]) -> RawTable {
        RawTable {
            table,
            labels: header.iter().enumerate().map(|(i, h)| format!("{} ({h})", column_letter(i))).collect(),
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: rows.iter().enumerate().map(|(i, r)| (i + 2, r.iter().map(|s| s.to_string()).collect())).collect(),
        }
    }

    #[test]
    fn letters() {
        assert_eq!([column_letter(0), column_letter(25), column_letter(26), column_letter(27)], ["A", "Z", "AA", "AB"]);
    }

    #[test]
    fn errors_name_row_and_column() {
        let t = raw(
            Table::CostCodes,
            &["code", "name", "parent", "budget"],
            &[&["01", "Site works", "", "1000.00"], &["02", "Concrete", "01", "12,5"], &["03", "", "01", "1.234"]],
        );
        let (mut out, mut errors) = (ParsedRows::default(), Problems::default());
        parse(&t, Currency::Cny, &mut out, &mut errors);
        assert_eq!(out.cost_codes.len(), 1);
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, [(3, "D (budget)"), (4, "B (name)"), (4, "D (budget)")]);
    }

    #[test]
    fn unknown_and_missing_columns() {
        let t = raw(Table::Sites, &["id", "nmae", "time_zone"], &[&["S1", "x", "Asia/Shanghai"]]);
        let (mut out, mut errors) = (ParsedRows::default(), Problems::default());
        parse(&t, Currency::Cny, &mut out, &mut errors);
        assert!(out.sites.is_empty());
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!((errors[0].row, errors[0].column.as_str()), (1, "B (nmae)"));
        assert_eq!(errors[1].column, "name");
    }

    #[test]
    fn hours_per_day_and_categories() {
        let parse_one = |t: RawTable| {
            let (mut out, mut errors) = (ParsedRows::default(), Problems::default());
            parse(&t, Currency::Cny, &mut out, &mut errors);
            (out, errors)
        };
        let (out, errors) = parse_one(raw(Table::Project, &["name", "每日工时"], &[&["P", "7.5"]]));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(out.project.and_then(|p| p.hours_per_day), Some(Some(Decimal::new(75, 1))));
        let (out, _) = parse_one(raw(Table::Project, &["name", "hours_per_day"], &[&["P", ""]]));
        assert_eq!(out.project.map(|p| p.hours_per_day), Some(Some(None)), "given empty: back to the default");
        let (out, _) = parse_one(raw(Table::Project, &["name"], &[&["P"]]));
        assert_eq!(out.project.map(|p| p.hours_per_day), Some(None), "not given: kept");
        for bad in ["0", "24.5", "-1", "7.125", "eight"] {
            let (out, errors) = parse_one(raw(Table::Project, &["hours_per_day"], &[&[bad]]));
            assert!(out.project.is_none(), "{bad}");
            assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
            assert_eq!(errors[0].column, "A (hours_per_day)");
        }
        let (_, errors) = parse_one(raw(Table::Project, &["hours_per_day"], &[&["25"]]));
        assert_eq!(errors[0].message, "must be more than 0 and at most 24 hours (got \"25\")");

        let (out, errors) = parse_one(raw(
            Table::ExpenseCategories,
            &["编码", "名称"],
            &[&["equipment_rental", "机械租赁"], &["机械", "x"], &["a b", "y"], &["ok-1", ""]],
        ));
        assert_eq!(out.expense_categories.len(), 1);
        assert_eq!(out.expense_categories[0].value.name, "机械租赁");
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, [(3, "A (编码)"), (4, "A (编码)"), (5, "B (名称)")]);
        assert!(is_category_code("equipment_rental") && is_category_code("B-02"));
        assert!(!is_category_code("_x") && !is_category_code(&"a".repeat(41)) && !is_category_code(""));
        assert_eq!("费用类别".parse::<Table>(), Ok(Table::ExpenseCategories));
        assert_eq!("expense_category".parse::<Table>(), Ok(Table::ExpenseCategories));
    }

    #[test]
    fn rates_keep_four_decimals() {
        let t = raw(
            Table::Trades,
            &["name", "day_rate", "hour_rate"],
            &[&["普工", "365", "45.625"], &["x", "1", "1.23456"]],
        );
        let (mut out, mut errors) = (ParsedRows::default(), Problems::default());
        parse(&t, Currency::Cny, &mut out, &mut errors);
        assert_eq!(out.trades.len(), 1);
        assert_eq!(out.trades[0].value.hour_rate, Some(Decimal::new(45625, 3)));
        assert_eq!((errors[0].row, errors[0].column.as_str()), (3, "C (hour_rate)"));
        assert!(errors[0].message.starts_with("at most 4 decimal places"), "{}", errors[0].message);
    }

    #[test]
    fn curves() {
        assert_eq!(parse_curve("2026-01-01=0;2026-02-01=40; 2026-03-01=100").map(|c| c.len()), Ok(3));
        assert!(parse_curve("2026-02-01=40;2026-01-01=50").is_err());
        assert!(parse_curve("2026-02-01=140").is_err());
        assert!(parse_curve("2026-02-01").is_err());
    }
}

//! What the reference data page shows: the tabs, the list of a table's rows (cost codes as their
//! tree), and the add or edit form with what was typed and each field's problem.

use std::collections::{BTreeMap, HashSet};

use record_schema::Currency;
use rust_decimal::Decimal;

use super::words::{self, ProblemWords};
use crate::reference::table::{Table, curve_text};
use crate::reference::{Activity, CostCode, ReferenceSet};
use crate::web::format::money;
use crate::web::i18n::Lang;
use crate::web::record::{category_words, rate_money};
use crate::web::urlencode;

/// The tabs, in the order of the import's tables.
pub const TABS: [Table; 6] = Table::ALL;

/// The currencies a project may keep its books in (`record_schema::Currency`).
const CURRENCIES: [Currency; 6] =
    [Currency::Cny, Currency::Hkd, Currency::Usd, Currency::Eur, Currency::Jpy, Currency::Krw];

pub fn tab_key(t: Table) -> &'static str {
    match t {
        Table::Project => "ref_tab_project",
        Table::Sites => "ref_tab_sites",
        Table::CostCodes => "ref_tab_cost_codes",
        Table::Activities => "ref_tab_activities",
        Table::Trades => "ref_tab_trades",
        Table::ExpenseCategories => "ref_tab_expense_categories",
    }
}

/// The page of a table, with more of the query (`&edit=…`) after it.
pub fn tab_href(t: Table) -> String {
    format!("/web/admin/reference?tab={}", t.as_str())
}

pub struct TabLink {
    pub id: &'static str,
    pub href: String,
    pub label: &'static str,
    /// Rows held (none for the project).
    pub count: Option<usize>,
    pub on: bool,
}

pub fn tabs(set: &ReferenceSet, on: Table) -> Vec<TabLink> {
    TABS.iter()
        .map(|&t| TabLink {
            id: t.as_str(),
            href: tab_href(t),
            label: tab_key(t),
            count: match t {
                Table::Project => None,
                Table::Sites => Some(set.sites.len()),
                Table::CostCodes => Some(set.cost_codes.len()),
                Table::Activities => Some(set.activities.len()),
                Table::Trades => Some(set.trades.len()),
                Table::ExpenseCategories => Some(set.expense_categories.len()),
            },
            on: t == on,
        })
        .collect()
}

/// One input of the form. `kind`: text, decimal, date, select, list (text with suggestions),
/// fixed (shown, not sent), curve (a wide text).
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub required: bool,
    /// Say "(optional)" beside the label (not for the project's own fields, kept when left out).
    pub optional_mark: bool,
    pub readonly: bool,
    pub hint: &'static str,
    /// Shown in an empty input (a decimal's default).
    pub placeholder: String,
    pub error: String,
}

pub struct FormView {
    pub table: &'static str,
    pub title: String,
    /// `add` or `change` (`reference::edit::Mode`).
    pub mode: &'static str,
    pub fields: Vec<Field>,
    /// Where Cancel goes when editing (empty when adding).
    pub cancel: String,
}

/// IANA zones for a site, Asia/Shanghai first (where nearly every site is), then A to Z.
fn time_zones() -> Vec<(String, String)> {
    let first = "Asia/Shanghai";
    std::iter::once(first)
        .chain(chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).filter(|n| *n != first))
        .map(|n| (n.to_string(), n.to_string()))
        .collect()
}

/// A stored row's cells as the import reads them (the text an edit starts from).
pub fn stored_cells(set: &ReferenceSet, table: Table, key: &str) -> Option<BTreeMap<&'static str, String>> {
    let cur = set.project.currency;
    let amount = |d: Decimal| cur.canonical(d);
    let opt = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    let cells: Vec<(&'static str, String)> = match table {
        Table::Project => vec![
            ("name", set.project.name.clone()),
            ("currency", set.project.currency.code().to_string()),
            ("hours_per_day", opt(set.project.hours_per_day)),
        ],
        Table::Sites => {
            let s = set.sites.iter().find(|s| s.id == key)?;
            vec![("id", s.id.clone()), ("name", s.name.clone()), ("time_zone", s.time_zone.clone())]
        }
        Table::CostCodes => {
            let c = set.cost_codes.iter().find(|c| c.code == key)?;
            vec![
                ("code", c.code.clone()),
                ("name", c.name.clone()),
                ("parent", c.parent.clone().unwrap_or_default()),
                ("budget", amount(c.budget)),
            ]
        }
        Table::Activities => {
            let a = set.activities.iter().find(|a| a.id == key)?;
            vec![
                ("id", a.id.clone()),
                ("name", a.name.clone()),
                ("planned_start", a.planned_start.to_string()),
                ("planned_finish", a.planned_finish.to_string()),
                ("budget", amount(a.budget)),
                ("cost_code", a.cost_code.clone().unwrap_or_default()),
                ("planned_quantity", opt(a.planned_quantity)),
                ("unit", a.unit.clone().unwrap_or_default()),
                ("curve", curve_text(&a.curve).unwrap_or_default()),
            ]
        }
        Table::Trades => {
            let t = set.trades.iter().find(|t| t.name == key)?;
            vec![("name", t.name.clone()), ("day_rate", opt(t.day_rate)), ("hour_rate", opt(t.hour_rate))]
        }
        Table::ExpenseCategories => {
            let c = set.expense_categories.iter().find(|c| c.code == key)?;
            vec![("code", c.code.clone()), ("name", c.name.clone())]
        }
    };
    Some(cells.into_iter().collect())
}

/// Whether the project's currency is fixed: the import refuses to change it once budgets are in.
pub fn currency_locked(set: &ReferenceSet) -> bool {
    !set.cost_codes.is_empty() || !set.activities.is_empty()
}

/// The form of `table`: adding (`key` None) or editing a row, filled with `values` (what was
/// typed, or the stored row), each field with its problem.
pub fn form(
    set: &ReferenceSet,
    table: Table,
    key: Option<&str>,
    values: &BTreeMap<&'static str, String>,
    problems: &[ProblemWords],
    lang: Lang,
) -> FormView {
    let editing = key.is_some() || table == Table::Project;
    let field = |name: &'static str, kind: &'static str| {
        let required = table.columns().iter().any(|(c, r)| *c == name && *r);
        let error = problems.iter().filter(|p| p.column == name).map(|p| p.what.clone()).collect::<Vec<_>>().join("; ");
        Field {
            name,
            label: words::column_key(table, name).unwrap_or("ref_col_name"),
            kind,
            value: values.get(name).cloned().unwrap_or_default(),
            options: Vec::new(),
            required,
            optional_mark: !required && table != Table::Project,
            // The key of a stored row cannot change (records and postings name it).
            readonly: key.is_some() && crate::reference::edit::key_column(table) == Some(name),
            hint: if key.is_some() && crate::reference::edit::key_column(table) == Some(name) {
                "ref_key_fixed"
            } else {
                ""
            },
            placeholder: String::new(),
            error,
        }
    };
    let fields = match table {
        Table::Project => {
            let mut currency = field("currency", "select");
            if currency_locked(set) {
                currency.kind = "fixed";
                currency.value = set.project.currency.code().to_string();
                currency.hint = "ref_currency_locked";
            } else {
                currency.options = CURRENCIES.iter().map(|c| (c.code().to_string(), c.code().to_string())).collect();
            }
            let mut hours = field("hours_per_day", "decimal");
            hours.placeholder = record_schema::validate::DEFAULT_HOURS_PER_DAY.to_string();
            hours.hint = "ref_hours_per_day_hint";
            vec![field("name", "text"), currency, hours]
        }
        Table::Sites => {
            let mut tz = field("time_zone", "select");
            tz.options = time_zones();
            if tz.value.is_empty() {
                tz.value = "Asia/Shanghai".into();
            }
            vec![field("id", "text"), field("name", "text"), tz]
        }
        Table::CostCodes => {
            vec![field("code", "text"), field("name", "text"), field("parent", "list"), field("budget", "decimal")]
        }
        Table::Activities => {
            let mut curve = field("curve", "curve");
            curve.hint = "ref_curve_hint";
            vec![
                field("id", "text"),
                field("name", "text"),
                field("planned_start", "date"),
                field("planned_finish", "date"),
                field("budget", "decimal"),
                field("cost_code", "list"),
                field("planned_quantity", "decimal"),
                field("unit", "text"),
                curve,
            ]
        }
        Table::Trades => {
            let mut day = field("day_rate", "decimal");
            day.hint = "ref_rate_hint";
            let mut hour = field("hour_rate", "decimal");
            hour.hint = "ref_rate_decimals_hint";
            vec![field("name", "text"), day, hour]
        }
        Table::ExpenseCategories => {
            let mut code = field("code", "text");
            if key.is_none() {
                code.hint = "ref_category_code_hint";
                code.placeholder = "equipment_rental".into();
            }
            let mut name = field("name", "text");
            name.hint = "ref_category_name_hint";
            vec![code, name]
        }
    };
    let title = match (table, key) {
        (Table::Project, _) => lang.t("ref_edit_project").to_string(),
        (_, Some(k)) => lang.t("ref_editing").replace("{key}", k),
        (t, None) => lang.t(add_key(t)).to_string(),
    };
    FormView {
        table: table.as_str(),
        title,
        mode: if editing { "change" } else { "add" },
        fields,
        cancel: if key.is_some() { tab_href(table) } else { String::new() },
    }
}

/// The project's sync-scope settings (`scope_facts::ProjectScope`) as the project tab's second
/// form: what phones keep, stored or as typed, each refusal at its field.
pub struct ScopeForm {
    /// The stored settings in a sentence.
    pub now: String,
    pub window: String,
    /// Empty: all of a person's own records.
    pub own: String,
    pub window_error: String,
    pub own_error: String,
    /// Why nothing was saved, when it is not a field's fault (the project has no settings yet).
    pub problem: &'static str,
    pub refused: bool,
    /// The window's default, shown in its empty input.
    pub default_window: String,
}

/// The settings in a sentence: stored `window` days of the sites, `own` days of one's own (none: all).
pub fn scope_now(window: u32, own: Option<u32>, lang: Lang) -> String {
    let own = match own {
        Some(n) => lang.t("ref_scope_own_days").replace("{n}", &n.to_string()),
        None => lang.t("ref_scope_own_all").to_string(),
    };
    lang.t("ref_scope_now").replace("{window}", &window.to_string()).replace("{own}", &own)
}

/// The form showing the stored settings `(window, own)`.
pub fn scope_form(stored: (u32, Option<u32>), lang: Lang) -> ScopeForm {
    ScopeForm {
        now: scope_now(stored.0, stored.1, lang),
        window: stored.0.to_string(),
        own: stored.1.map(|n| n.to_string()).unwrap_or_default(),
        window_error: String::new(),
        own_error: String::new(),
        problem: "",
        refused: false,
        default_window: record_schema::scope::DEFAULT_WINDOW_DAYS.to_string(),
    }
}

/// A refused number of days in words: the range (`range`) and what was typed.
pub fn bad_days(range: &std::ops::RangeInclusive<u32>, typed: &str, lang: Lang) -> String {
    lang.t("ref_scope_bad_days")
        .replace("{min}", &range.start().to_string())
        .replace("{max}", &range.end().to_string())
        .replace("{got}", typed.trim())
}

fn add_key(t: Table) -> &'static str {
    match t {
        Table::Sites => "ref_add_sites",
        Table::CostCodes => "ref_add_cost_codes",
        Table::Activities => "ref_add_activities",
        Table::ExpenseCategories => "ref_add_expense_categories",
        _ => "ref_add_trades",
    }
}

/// One cell of the list: its column's i18n key (the card label at phone width) and text.
pub struct Cell {
    pub label: &'static str,
    pub text: String,
    pub class: &'static str,
}

pub struct RowView {
    pub key: String,
    pub name: String,
    /// `lvl-2` for a cost code two levels down (indented; classes, as the CSP allows no inline style).
    pub level: String,
    pub cells: Vec<Cell>,
    pub edit_href: String,
    pub delete_href: String,
    /// The row being edited or deleted.
    pub on: bool,
}

/// Cost codes in tree order (each code, then its children by code), with their level (top: 1). A
/// code whose parent is missing is shown at the top; the import never stores a cycle, but a code
/// is listed once whatever the data.
pub fn tree(codes: &[CostCode]) -> Vec<(&CostCode, usize)> {
    let known: HashSet<&str> = codes.iter().map(|c| c.code.as_str()).collect();
    let mut children: BTreeMap<Option<&str>, Vec<&CostCode>> = BTreeMap::new();
    for c in codes {
        let parent = c.parent.as_deref().filter(|p| known.contains(p) && *p != c.code);
        children.entry(parent).or_default().push(c);
    }
    for kids in children.values_mut() {
        kids.sort_by(|a, b| a.code.cmp(&b.code));
    }
    let mut out = Vec::with_capacity(codes.len());
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<(&CostCode, usize)> =
        children.get(&None).map(|v| v.iter().rev().map(|c| (*c, 1)).collect()).unwrap_or_default();
    while let Some((c, level)) = stack.pop() {
        if !seen.insert(c.code.as_str()) {
            continue;
        }
        out.push((c, level));
        if let Some(kids) = children.get(&Some(c.code.as_str())) {
            stack.extend(kids.iter().rev().map(|k| (*k, level + 1)));
        }
    }
    // Codes only reachable through a cycle.
    out.extend(codes.iter().filter(|c| !seen.contains(c.code.as_str())).map(|c| (c, 1)));
    out
}

/// A rate as money with every decimal the office set (`¥45.625`), or a dash.
fn rate(r: Option<Decimal>, cur: Currency, lang: Lang) -> String {
    r.map_or_else(|| "—".into(), |r| rate_money(r, cur, lang))
}

/// The default categories (a project that lists none books expenses in these) in the page's
/// language, and the rows that would make them the project's own list, to change or add to.
pub fn default_categories(lang: Lang) -> (Vec<String>, String) {
    let words: Vec<String> =
        record_schema::reference::DEFAULT_EXPENSE_CATEGORIES.iter().map(|c| category_words(c, None, lang)).collect();
    let mut rows = String::from("code,name\n");
    for (code, name) in record_schema::reference::DEFAULT_EXPENSE_CATEGORIES.iter().zip(&words) {
        rows.push_str(&format!("{code},{name}\n"));
    }
    (words, rows)
}

/// A planned curve as a list reads it: `05-01 0% · 07-01 30% · 10-31 100%` (the year only when
/// it is not the planned start's), or "straight line".
fn curve_words(a: &Activity, lang: Lang) -> String {
    use chrono::Datelike;
    if a.curve.is_empty() {
        return lang.t("ref_linear").to_string();
    }
    let year = a.planned_start.year();
    a.curve
        .iter()
        .map(|(d, p)| {
            let day = if d.year() == year { d.format("%m-%d").to_string() } else { d.to_string() };
            format!("{day} {}%", p.normalize())
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Column heads of a table's list: (i18n key, class).
pub fn heads(table: Table) -> Vec<(&'static str, &'static str)> {
    let keys: &[&'static str] = match table {
        Table::Project => &[],
        Table::Sites => &["ref_col_id", "ref_col_name", "ref_col_time_zone"],
        Table::CostCodes => &["ref_col_code", "ref_col_name", "ref_col_level", "ref_col_parent", "ref_col_budget"],
        Table::Activities => &[
            "ref_col_id",
            "ref_col_name",
            "ref_col_planned_start",
            "ref_col_planned_finish",
            "ref_col_bac",
            "ref_col_cost_code",
            "ref_col_planned_quantity",
            "ref_col_curve",
        ],
        Table::Trades => &["ref_col_trade", "ref_col_day_rate", "ref_col_hour_rate"],
        Table::ExpenseCategories => &["ref_col_code", "ref_col_name"],
    };
    let numeric = ["ref_col_level", "ref_col_budget", "ref_col_bac", "ref_col_planned_quantity", "ref_col_day_rate"];
    keys.iter().map(|k| (*k, if numeric.contains(k) || *k == "ref_col_hour_rate" { "num" } else { "" })).collect()
}

/// The rows of `table` as listed; `on` is the key being edited or deleted.
pub fn rows(set: &ReferenceSet, table: Table, on: Option<&str>, lang: Lang) -> Vec<RowView> {
    let cur = set.project.currency;
    let cell = |label: &'static str, text: String| Cell { label, text, class: "" };
    let num = |label: &'static str, text: String| Cell { label, text, class: "num" };
    let code_name = |code: &Option<String>| match code {
        Some(c) => match set.cost_codes.iter().find(|k| &k.code == c) {
            Some(k) => format!("{c} {}", k.name),
            None => c.clone(),
        },
        None => "—".into(),
    };
    let row = |key: &str, name: &str, level: usize, cells: Vec<Cell>| RowView {
        key: key.to_string(),
        name: name.to_string(),
        level: format!("lvl-{}", level.min(8)),
        cells,
        edit_href: format!("{}&edit={}#ref-form", tab_href(table), urlencode(key)),
        delete_href: format!("{}&delete={}#ref-confirm", tab_href(table), urlencode(key)),
        on: on == Some(key),
    };
    match table {
        Table::Project => Vec::new(),
        Table::Sites => set
            .sites
            .iter()
            .map(|s| {
                let cells = vec![
                    cell("ref_col_id", s.id.clone()),
                    Cell { label: "ref_col_name", text: s.name.clone(), class: "ref-name" },
                    cell("ref_col_time_zone", s.time_zone.clone()),
                ];
                row(&s.id, &s.name, 1, cells)
            })
            .collect(),
        Table::CostCodes => tree(&set.cost_codes)
            .into_iter()
            .map(|(c, level)| {
                let cells = vec![
                    Cell { label: "ref_col_code", text: c.code.clone(), class: "ref-code" },
                    Cell { label: "ref_col_name", text: c.name.clone(), class: "ref-name" },
                    num("ref_col_level", level.to_string()),
                    cell("ref_col_parent", c.parent.clone().unwrap_or_else(|| "—".into())),
                    num("ref_col_budget", money(c.budget, cur, lang)),
                ];
                row(&c.code, &c.name, level, cells)
            })
            .collect(),
        Table::Activities => set
            .activities
            .iter()
            .map(|a| {
                let quantity = match (&a.planned_quantity, &a.unit) {
                    (Some(q), Some(u)) => format!("{} {u}", q.normalize()),
                    (Some(q), None) => q.normalize().to_string(),
                    _ => "—".into(),
                };
                let cells = vec![
                    cell("ref_col_id", a.id.clone()),
                    Cell { label: "ref_col_name", text: a.name.clone(), class: "ref-name" },
                    cell("ref_col_planned_start", a.planned_start.to_string()),
                    cell("ref_col_planned_finish", a.planned_finish.to_string()),
                    num("ref_col_bac", money(a.budget, cur, lang)),
                    cell("ref_col_cost_code", code_name(&a.cost_code)),
                    num("ref_col_planned_quantity", quantity),
                    Cell { label: "ref_col_curve", text: curve_words(a, lang), class: "ref-curve" },
                ];
                row(&a.id, &a.name, 1, cells)
            })
            .collect(),
        Table::Trades => set
            .trades
            .iter()
            .map(|t| {
                let cells = vec![
                    cell("ref_col_trade", t.name.clone()),
                    num("ref_col_day_rate", rate(t.day_rate, cur, lang)),
                    num("ref_col_hour_rate", rate(t.hour_rate, cur, lang)),
                ];
                row(&t.name, &t.name, 1, cells)
            })
            .collect(),
        Table::ExpenseCategories => set
            .expense_categories
            .iter()
            .map(|c| {
                let cells = vec![
                    Cell { label: "ref_col_code", text: c.code.clone(), class: "ref-code" },
                    Cell { label: "ref_col_name", text: c.name.clone(), class: "ref-name" },
                ];
                row(&c.code, &c.name, 1, cells)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(code: &str, parent: Option<&str>) -> CostCode {
        CostCode { code: code.into(), name: code.into(), parent: parent.map(Into::into), budget: Decimal::ZERO }
    }

    #[test]
    fn codes_list_as_their_tree_with_levels() {
        let codes = vec![
            code("01", None),
            code("01-200", Some("01")),
            code("02", None),
            code("01-100", Some("01")),
            code("01-100-1", Some("01-100")),
            code("99", Some("missing")),
        ];
        let listed: Vec<(&str, usize)> = tree(&codes).into_iter().map(|(c, l)| (c.code.as_str(), l)).collect();
        assert_eq!(
            listed,
            vec![("01", 1), ("01-100", 2), ("01-100-1", 3), ("01-200", 2), ("02", 1), ("99", 1)],
            "each code once, children under their parent by code"
        );
        let cyclic = vec![code("a", Some("b")), code("b", Some("a"))];
        assert_eq!(tree(&cyclic).len(), 2);
    }

    #[test]
    fn the_default_categories_as_rows_to_start_from() {
        let (words, rows) = default_categories(Lang::ZhCn);
        assert_eq!(words.len(), 8);
        assert_eq!(words[0], "材料");
        assert!(rows.starts_with("code,name\nmaterials,材料\n"), "{rows}");
        let raw = crate::reference::import::read_pasted(&rows, Table::ExpenseCategories).expect("rows");
        assert_eq!(raw.rows.len(), 8);
    }

    #[test]
    fn time_zones_start_with_shanghai() {
        let zones = time_zones();
        assert_eq!(zones[0].0, "Asia/Shanghai");
        assert_eq!(zones.iter().filter(|z| z.0 == "Asia/Shanghai").count(), 1);
        assert!(zones.iter().any(|z| z.0 == "Asia/Urumqi"));
    }
}

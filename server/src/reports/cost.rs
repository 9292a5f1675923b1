//! The cost report: per cost code, budget, actual (approved cost in the date range), variance
//! (budget − actual), earned value and CPI (EV / actual), rolled up the code tree: a parent's
//! figures include its descendants'. EV of a code is the value its activities earned in the range
//! (EV at the range's end minus EV the day before it starts; all-time when open).
//!
//! Amounts are in the project currency. Approved costs in other currencies are not converted
//! (there is no exchange rate in the ledger): they are listed under `other_currencies`. Codes
//! posted to that are not in the reference data appear as top-level rows with `in_reference: false`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::export::{FileName, Words};
use super::progress;
use super::{Cell, DateRange, ReportError, Table, ratio};
use crate::db::Db;
use crate::ledger::postings::from_minor;
use crate::reference::ReferenceSet;

/// Decimals of a currency code (for exports).
pub fn scale(code: &str) -> u32 {
    code.parse::<record_schema::Currency>().map_or(2, |c| c.scale())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostRow {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    /// 0 for top-level codes.
    pub depth: usize,
    pub in_reference: bool,
    pub budget: Decimal,
    pub actual: Decimal,
    pub variance: Decimal,
    pub earned: Decimal,
    pub cpi: Option<Decimal>,
    /// Actual as a share of budget, percent.
    pub spent_percent: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CostOtherCurrency)]
pub struct OtherCurrency {
    pub currency: String,
    pub actual: Decimal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostReport {
    pub project_id: String,
    pub currency: &'static str,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Depth-first, children after their parent, siblings by code.
    pub codes: Vec<CostRow>,
    pub totals: CostRow,
    pub other_currencies: Vec<OtherCurrency>,
}

pub async fn report(db: &Db, set: &ReferenceSet, range: DateRange) -> Result<CostReport, ReportError> {
    let cur = set.project.currency;
    // Without `to`, as of today where the project works: actuals and earned value of one day
    // (a sheet may be prepared for tomorrow; it is not today's cost yet).
    let end = range.to.unwrap_or_else(|| super::today(set));
    let dated = DateRange { from: range.from, to: Some(end) };
    let rows = super::cost_totals(db, &set.project.id, "cost_code", dated).await?;
    let mut own_actual: HashMap<String, Decimal> = HashMap::new();
    let mut others: BTreeMap<String, Decimal> = BTreeMap::new();
    for super::ItemTotal { item: code, currency, amount_minor: minor } in rows {
        if currency == cur.code() {
            *own_actual.entry(code).or_default() += from_minor(minor, cur);
        } else {
            *others.entry(currency.clone()).or_default() += from_minor(minor, currency.parse().unwrap_or(cur));
        }
    }
    // Earned value in the range, by the activities' cost codes.
    let progress = progress::load(db, &set.project.id, end).await?;
    let mut own_earned: HashMap<String, Decimal> = HashMap::new();
    for a in &set.activities {
        let Some(code) = &a.cost_code else { continue };
        let p = progress.get(&a.id);
        let at = |d: NaiveDate| {
            p.and_then(|p| p.percent_at(d, a.planned_quantity)).unwrap_or_default() * a.budget / Decimal::ONE_HUNDRED
        };
        let before = range.from.and_then(|f| f.pred_opt()).map_or(Decimal::ZERO, at);
        *own_earned.entry(code.clone()).or_default() += cur.round(at(end) - before);
    }

    // The tree: known codes, plus codes seen in postings only (top level).
    let mut nodes: BTreeMap<String, (String, Option<String>, Decimal, bool)> =
        set.cost_codes.iter().map(|c| (c.code.clone(), (c.name.clone(), c.parent.clone(), c.budget, true))).collect();
    for code in own_actual.keys() {
        nodes.entry(code.clone()).or_insert_with(|| (String::new(), None, Decimal::ZERO, false));
    }
    let mut children: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for (code, (_, parent, _, _)) in &nodes {
        let parent = parent.clone().filter(|p| nodes.contains_key(p));
        children.entry(parent).or_default().push(code.clone());
    }
    let mut out = Vec::with_capacity(nodes.len());
    // Depth-first with explicit stack; totals filled bottom-up afterwards.
    let mut stack: Vec<(String, usize)> =
        children.get(&None).into_iter().flatten().rev().map(|c| (c.clone(), 0)).collect();
    while let Some((code, depth)) = stack.pop() {
        let (name, parent, budget, known) = nodes.get(&code).cloned().unwrap_or_default();
        out.push(CostRow {
            code: code.clone(),
            name,
            parent,
            depth,
            in_reference: known,
            budget,
            actual: own_actual.get(&code).copied().unwrap_or_default(),
            variance: Decimal::ZERO,
            earned: own_earned.get(&code).copied().unwrap_or_default(),
            cpi: None,
            spent_percent: None,
        });
        if let Some(kids) = children.get(&Some(code)) {
            stack.extend(kids.iter().rev().map(|c| (c.clone(), depth + 1)));
        }
    }
    // Roll up: in reverse depth-first order every child comes before its parent.
    let index: HashMap<String, usize> = out.iter().enumerate().map(|(i, r)| (r.code.clone(), i)).collect();
    for i in (0..out.len()).rev() {
        let (b, a, e) = (out[i].budget, out[i].actual, out[i].earned);
        if let Some(pi) = out[i].parent.as_ref().and_then(|p| index.get(p)).copied()
            && pi != i
        {
            out[pi].budget += b;
            out[pi].actual += a;
            out[pi].earned += e;
        }
    }
    let finish = |r: &mut CostRow| {
        r.variance = r.budget - r.actual;
        r.cpi = ratio(r.earned, r.actual);
        r.spent_percent = ratio(r.actual * Decimal::ONE_HUNDRED, r.budget).map(|x| x.round_dp(1));
    };
    out.iter_mut().for_each(finish);
    let top = out.iter().filter(|r| r.depth == 0);
    let mut totals = CostRow {
        code: "TOTAL".into(),
        name: String::new(),
        parent: None,
        depth: 0,
        in_reference: true,
        budget: top.clone().map(|r| r.budget).sum(),
        actual: top.clone().map(|r| r.actual).sum(),
        variance: Decimal::ZERO,
        earned: top.map(|r| r.earned).sum(),
        cpi: None,
        spent_percent: None,
    };
    finish(&mut totals);
    Ok(CostReport {
        project_id: set.project.id.clone(),
        currency: cur.code(),
        from: range.from,
        to: range.to,
        codes: out,
        totals,
        other_currencies: others.into_iter().map(|(currency, actual)| OtherCurrency { currency, actual }).collect(),
    })
}

impl CostReport {
    /// The report as a file: one row per code (the code without indent; its level, 1 at the top,
    /// and parent code in their own columns), the total, and costs in other currencies.
    pub fn table(&self, words: Words, set: &ReferenceSet) -> Table {
        let lang = words.lang();
        let dp = scale(self.currency);
        let row = |r: &CostRow, level: Cell| {
            vec![
                Cell::text(&r.code),
                Cell::text(&r.name),
                level,
                r.parent.as_ref().map_or(Cell::Empty, Cell::text),
                Cell::Number(r.budget, dp),
                Cell::Number(r.actual, dp),
                Cell::Number(r.variance, dp),
                Cell::Number(r.earned, dp),
                Cell::opt(r.cpi, 3),
                Cell::opt(r.spent_percent, 1),
            ]
        };
        let mut rows: Vec<Vec<Cell>> =
            self.codes.iter().map(|r| row(r, Cell::Number(Decimal::from(r.depth + 1), 0))).collect();
        let mut total = row(&self.totals, Cell::Empty);
        if let Words::Lang(l) = words {
            total[0] = Cell::text(l.t("total"));
        }
        rows.push(total);
        for o in &self.other_currencies {
            let mut line = vec![
                Cell::text(format!("({})", o.currency)),
                Cell::text(words.head("not converted", "lab_not_converted")),
            ];
            line.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Number(o.actual, scale(&o.currency))]);
            line.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]);
            rows.push(line);
        }
        let range = match (words, self.from, self.to) {
            (Words::Keys, None, None) => "all dates".to_string(),
            (Words::Keys, f, t) => format!(
                "{} to {}",
                f.map_or("start".into(), |d| d.to_string()),
                t.map_or("today".into(), |d| d.to_string())
            ),
            (Words::Lang(_), f, t) => super::export::range_label(f, t, lang),
        };
        let h = |k, l| words.head(k, l);
        let columns = vec![
            h("cost_code", "lab_x_code"),
            h("name", "lab_x_name"),
            h("level", "lab_x_level"),
            h("parent", "lab_x_parent"),
            h("budget", "lab_x_budget"),
            h("actual", "lab_x_actual"),
            h("variance", "lab_x_variance"),
            h("earned", "lab_x_earned"),
            h("cpi", "lab_x_cpi"),
            h("spent_pct", "lab_x_spent"),
        ];
        match words {
            Words::Keys => Table {
                sheet: format!("Cost {}", self.project_id),
                title: format!("Cost {} ({}) {range}", self.project_id, self.currency),
                columns,
                rows,
            },
            Words::Lang(l) => Table {
                sheet: format!("{} {range}", l.t("lab_sheet_cost")),
                title: format!("{} · {} · {range} · {}", l.t("cost_title"), set.project.name, self.currency),
                columns,
                rows,
            },
        }
    }

    /// The file name of the export: `成本_一号楼_2026-11` (`cost-P1` for the API's keys).
    pub fn file_name(&self, words: Words, set: &ReferenceSet) -> FileName {
        match words {
            Words::Keys => FileName::plain(&format!("cost-{}", self.project_id)),
            Words::Lang(l) => {
                let range = super::export::range_label(self.from, self.to, l);
                let ascii_range = super::export::range_label(self.from, self.to, crate::web::i18n::Lang::En);
                FileName::new(
                    &[l.t("lab_file_cost"), &set.project.name, &range],
                    &["cost", &self.project_id, &ascii_range],
                )
            }
        }
    }
}

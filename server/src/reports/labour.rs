//! The day-labour summary (点工汇总): headcount-days, person-hours and cost of approved labour
//! sheets, by period and by the dimensions asked for (site, trade, crew, cost code, activity,
//! author), the sheet payroll and subcontractor settlement need. Net of reversals: a re-approved
//! sheet counts once, at its standing version.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::export::{FileName, Words, range_label};
use super::{Cell, DateRange, ReportError, Table};
use crate::db::Db;
use crate::ledger::postings::{from_micro, from_minor};
use crate::reference::ReferenceSet;
use crate::web::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = LabourPeriod)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    Total,
}

impl std::str::FromStr for Period {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, ReportError> {
        match s {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            "total" => Ok(Period::Total),
            other => Err(ReportError::BadInput("period", format!("{other:?} is not one of day, week, month, total"))),
        }
    }
}

impl Period {
    /// The first day of the period holding `d` (weeks start on Monday); none for `Total`.
    fn start(self, d: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Day => Some(d),
            Period::Week => d.checked_sub_days(chrono::Days::new(u64::from(d.weekday().num_days_from_monday()))),
            Period::Month => d.with_day(1),
            Period::Total => None,
        }
    }
}

/// Dimensions a summary can be grouped by, with their ledger column.
pub const DIMENSIONS: [(&str, &str); 6] = [
    ("site", "site_id"),
    ("trade", "trade"),
    ("crew", "crew"),
    ("cost_code", "cost_code"),
    ("activity", "activity"),
    ("author", "author"),
];

/// The groupings `labour_month_totals` keeps (its key but the month and currency).
pub const MONTH_TOTALS_BY: [&str; 3] = ["site", "trade", "crew"];

pub fn parse_dimensions(text: &str) -> Result<Vec<&'static str>, ReportError> {
    let mut out: Vec<&'static str> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, _) = DIMENSIONS.iter().find(|(n, _)| *n == part).ok_or_else(|| {
            ReportError::BadInput(
                "by",
                format!("{part:?} is not one of site, trade, crew, cost_code, activity, author"),
            )
        })?;
        if !out.contains(name) {
            out.push(name);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LabourRow {
    /// First day of the period; none for `total`.
    pub period: Option<NaiveDate>,
    /// The grouping values, in the order asked for (none: not given on the sheet, e.g. no crew).
    pub keys: Vec<Option<String>>,
    pub currency: String,
    /// Sum of the crews' daily headcounts.
    pub headcount: i64,
    pub headcount_days: Decimal,
    pub person_hours: Decimal,
    pub cost: Decimal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LabourSummary {
    pub project_id: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub period: Period,
    pub by: Vec<&'static str>,
    pub rows: Vec<LabourRow>,
    pub totals: Vec<LabourRow>,
}

type Key = (Option<NaiveDate>, Vec<Option<String>>, String);

/// A row of `summary`'s query but its grouping columns (read by name: which ones depends on the
/// request): the group's day ('' for a total) and currency, and its sums.
#[derive(sqlx::FromRow)]
struct LabourSums {
    day: String,
    currency: Option<String>,
    headcount: i64,
    person_days_micro: i64,
    person_hours_micro: i64,
    amount_minor: i64,
}

pub async fn summary(
    db: &Db,
    project: &str,
    range: DateRange,
    period: Period,
    by: &[&'static str],
) -> Result<LabourSummary, ReportError> {
    // Column names come from the fixed DIMENSIONS list, never from the request.
    let cols: Vec<&str> = by.iter().filter_map(|b| DIMENSIONS.iter().find(|(n, _)| n == b).map(|(_, c)| *c)).collect();
    let select_dims: String = cols.iter().map(|c| format!(", {c}")).collect();
    // By month or over the whole range, grouped by any of site, trade and crew, the whole months
    // inside the range are read from the monthly totals (migration 0014: a seeded project's whole
    // history is 12,761 rows, not 126,772 lines) and only the days at its edges from the lines; by
    // day or week, or by cost code, activity or author, every day from the lines.
    let text = |d: NaiveDate| d.to_string();
    let kept = by.iter().all(|b| MONTH_TOTALS_BY.contains(b));
    // Each span is a first and a last day (or month) as SQL text.
    type Span = (String, String);
    let (months, line_ranges): (Option<Span>, Vec<Span>) = match period {
        Period::Month | Period::Total if kept => {
            let split = range.split_months();
            (
                split.months.map(|(a, b)| (text(a), text(b))),
                split.edges.iter().flatten().map(|&(a, b)| (text(a), text(b))).collect(),
            )
        }
        _ => (None, vec![range.sql_bounds()]),
    };
    // The period's first day, grouped in SQL: a month's or a week's lines arrive summed. Weeks
    // start on Monday (ISO). On PostgreSQL a week is its date less the days since a Monday
    // (0001-01-01 was one), grouped as a date and written out once per group: 0.40 s for a whole
    // history, where date_trunc('week', …) for every line took 0.65 s.
    const PG_WEEK: &str = "CAST(work_date AS date) - (CAST(work_date AS date) - DATE '0001-01-01') % 7";
    let pg_week = format!("to_char({PG_WEEK}, 'YYYY-MM-DD')");
    let (day, group_day) = match (period, db) {
        (Period::Day, _) => ("work_date", "work_date"),
        (Period::Month, _) => ("substr(work_date, 1, 7) || '-01'", "substr(work_date, 1, 7) || '-01'"),
        (Period::Week, Db::Sqlite(_)) => (
            "COALESCE(date(work_date, 'weekday 0', '-6 days'), work_date)",
            "COALESCE(date(work_date, 'weekday 0', '-6 days'), work_date)",
        ),
        (Period::Week, Db::Postgres(_)) => (pg_week.as_str(), PG_WEEK),
        (Period::Total, _) => ("''", ""),
    };
    let group = if period == Period::Total { String::from("currency") } else { format!("currency, {group_day}") };
    const SUMS: &str = "CAST(SUM(headcount) AS BIGINT) AS headcount, \
         CAST(SUM(person_days_micro) AS BIGINT) AS person_days_micro, \
         CAST(SUM(person_hours_micro) AS BIGINT) AS person_hours_micro, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor";
    let lines_sql = format!(
        "SELECT {day} AS day, currency{select_dims}, {SUMS} \
         FROM ledger_postings WHERE project_id = $1 AND ledger = 'cost' AND record_kind = 'labour_sheet' \
         AND work_date >= $2 AND work_date <= $3 GROUP BY {group}{select_dims}",
    );
    // The monthly totals hold '' for a value not given; read back as absent like the lines' NULL.
    let month_dims: String = cols.iter().map(|c| format!(", NULLIF({c}, '') AS {c}")).collect();
    let (month_day, month_group) = if period == Period::Total {
        ("''", String::from("currency"))
    } else {
        ("month", String::from("currency, month"))
    };
    let months_sql = if period == Period::Month && MONTH_TOTALS_BY.iter().all(|d| by.contains(d)) {
        // Grouped by the table's whole key, each row is a group already: read as they are (4x
        // faster than a GROUP BY that sums one row a group).
        format!(
            "SELECT month AS day, NULLIF(currency, '') AS currency{month_dims}, headcount, person_days_micro, \
             person_hours_micro, amount_minor FROM labour_month_totals \
             WHERE project_id = $1 AND month >= $2 AND month <= $3",
        )
    } else {
        format!(
            "SELECT {month_day} AS day, NULLIF(currency, '') AS currency{month_dims}, {SUMS} \
             FROM labour_month_totals WHERE project_id = $1 AND month >= $2 AND month <= $3 \
             GROUP BY {month_group}{select_dims}",
        )
    };
    let mut acc: Vec<(Key, (i64, i64, i64, i64))> = Vec::new();
    macro_rules! collect {
        ($rows:expr) => {{
            use sqlx::Row as _;
            let rows = $rows;
            acc.reserve(rows.len());
            for r in rows {
                let LabourSums {
                    day,
                    currency,
                    headcount: h,
                    person_days_micro: d,
                    person_hours_micro: hr,
                    amount_minor: m,
                } = sqlx::FromRow::from_row(&r)?;
                let mut keys = Vec::with_capacity(cols.len());
                for c in &cols {
                    keys.push(r.try_get::<Option<String>, _>(*c)?);
                }
                let start = day.parse::<NaiveDate>().ok().and_then(|d| period.start(d));
                acc.push(((start, keys, currency.unwrap_or_default()), (h, d, hr, m)));
            }
        }};
    }
    // (statement, first and last day or month, whether it reads few rows).
    let mut queries: Vec<(&str, Span, bool)> = Vec::with_capacity(3);
    if let Some(m) = months {
        queries.push((months_sql.as_str(), m, true));
    }
    for (from, to) in line_ranges {
        // Up to about a quarter: the screens' default month and week presets, a range's edges.
        let short =
            matches!((from.parse::<NaiveDate>(), to.parse::<NaiveDate>()), (Ok(f), Ok(t)) if (t - f).num_days() <= 92);
        queries.push((lines_sql.as_str(), (from, to), short));
    }
    for (sql, (from, to), short) in queries {
        macro_rules! query {
            () => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(project).bind(&from).bind(&to)
            };
        }
        match db {
            Db::Sqlite(p) => collect!(query!().fetch_all(p).await?),
            Db::Postgres(p) if short || period != Period::Day => {
                // A month of a busy project is ~40,000 lines in a few thousand groups, and a whole
                // history by week (~127,000 lines) is 49,000 groups: with the default 4 MB of work
                // memory PostgreSQL sorts them on disk (~3x slower than hashing them); this query
                // may hash in memory (28 MB by week), within its own transaction only. Longer
                // ranges by day keep the default: they stream through ledger_postings_labour in its
                // order (migration 0013), which more memory would trade for a hash over the table.
                #[allow(clippy::disallowed_methods)] // PostgreSQL only, and it only reads.
                let mut tx = p.begin().await?;
                sqlx::query("SET LOCAL work_mem = '64MB'").execute(&mut *tx).await?;
                let rows = query!().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                collect!(rows)
            }
            Db::Postgres(p) => collect!(query!().fetch_all(p).await?),
        }
    }
    // Groups arrive one per period and query already; a date the ledger cannot read (no period)
    // may repeat, and over a whole range the months' and the edges' groups meet here.
    acc.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut merged: Vec<(Key, (i64, i64, i64, i64))> = Vec::with_capacity(acc.len());
    for (k, v) in acc {
        match merged.last_mut() {
            Some((lk, t)) if *lk == k => {
                t.0 += v.0;
                t.1 += v.1;
                t.2 += v.2;
                t.3 += v.3;
            }
            _ => merged.push((k, v)),
        }
    }
    let row = |(period, keys, currency): Key, (h, d, hr, m): (i64, i64, i64, i64)| LabourRow {
        period,
        keys,
        cost: from_minor(m, currency.parse().unwrap_or_default()),
        currency,
        headcount: h,
        headcount_days: from_micro(d),
        person_hours: from_micro(hr),
    };
    let mut totals: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    let mut rows = Vec::with_capacity(merged.len());
    for (k, v) in merged {
        // Wholly reversed groups (a sheet moved to another day) are not shown.
        if v == (0, 0, 0, 0) {
            continue;
        }
        let t = totals.entry(k.2.clone()).or_default();
        t.0 += v.0;
        t.1 += v.1;
        t.2 += v.2;
        t.3 += v.3;
        rows.push(row(k, v));
    }
    let totals = totals.into_iter().map(|(c, v)| row((None, Vec::new(), c), v)).collect();
    Ok(LabourSummary {
        project_id: project.into(),
        from: range.from,
        to: range.to,
        period,
        by: by.to_vec(),
        rows,
        totals,
    })
}

/// A period as people name it: a day with its weekday (`2026-11-05 周四`, `2026-11-05 Thu`), an ISO
/// week (`2026-W45`), a month (`2026年11月`, `Nov 2026`); `start` is the period's first day.
pub fn period_label(period: Period, start: NaiveDate, lang: Lang) -> String {
    match period {
        Period::Day => {
            let wd = ["lab_wd_mon", "lab_wd_tue", "lab_wd_wed", "lab_wd_thu", "lab_wd_fri", "lab_wd_sat", "lab_wd_sun"]
                [start.weekday().num_days_from_monday() as usize];
            format!("{start} {}", lang.t(wd))
        }
        Period::Week => {
            let w = start.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        Period::Month => match lang {
            Lang::ZhCn => format!("{}年{}月", start.year(), start.month()),
            Lang::En => start.format("%b %Y").to_string(),
        },
        Period::Total => lang.t("total").to_string(),
    }
}

/// The days a period holds, first and last (`Total`: none).
pub fn period_days(period: Period, start: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let last = match period {
        Period::Day => start,
        Period::Week => start.checked_add_days(chrono::Days::new(6))?,
        Period::Month => start.checked_add_months(chrono::Months::new(1))?.pred_opt()?,
        Period::Total => return None,
    };
    Some((start, last))
}

/// A name's sort key (`collation_key`): each character's reading, then the character.
pub type Collation = Vec<(String, char)>;

/// The order Chinese readers sort names in: by the toneless pinyin of each character (陈 chen, 李
/// li, 张 zhang), other characters by themselves (letters without case), the text itself breaking
/// ties. Unicode order (张 U+5F20 before 李 U+674E before 陈 U+9648) means nothing to a reader.
pub fn collation_key(s: &str) -> Collation {
    use pinyin::ToPinyin as _;
    s.chars()
        .map(|c| match c.to_pinyin() {
            Some(p) => (p.plain().to_string(), c),
            None => (c.to_lowercase().collect(), c),
        })
        .collect()
}

/// The names of a grouping's values as the office knows them (reference data): sites and
/// activities by name, cost codes with their names; trades, crews and authors are names already.
pub fn key_name(dimension: &str, value: &str, set: &ReferenceSet) -> String {
    match dimension {
        "site" => set.sites.iter().find(|s| s.id == value).map_or_else(|| value.to_string(), |s| s.name.clone()),
        "cost_code" => set
            .cost_codes
            .iter()
            .find(|c| c.code == value)
            .map_or_else(|| value.to_string(), |c| format!("{} {}", c.code, c.name)),
        "activity" => {
            set.activities.iter().find(|a| a.id == value).map_or_else(|| value.to_string(), |a| a.name.clone())
        }
        _ => value.to_string(),
    }
}

/// The rows of a summary as the screens and the office's files show them: each grouping value by
/// its name, in pinyin order within a period.
pub struct Named<'a> {
    pub row: &'a LabourRow,
    /// Names of `row.keys` (blank: not given on the sheet).
    pub names: Vec<String>,
}

impl LabourSummary {
    /// The rows with names, periods newest first (`newest_first`) or oldest first, then the
    /// groupings' names in pinyin order (a value not given last), then currency.
    pub fn named<'a>(&'a self, set: &ReferenceSet, newest_first: bool) -> Vec<Named<'a>> {
        // Each distinct value of each grouping is named and given its collation key once, then
        // ranked among its grouping's values (equal names share a rank); rows sort by the ranks,
        // never comparing collation keys row against row.
        let mut index: HashMap<(usize, &'a str), usize> = HashMap::new();
        let mut distinct: Vec<(usize, String, Collation)> = Vec::new();
        let slots: Vec<Vec<Option<usize>>> = self
            .rows
            .iter()
            .map(|row| {
                row.keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        k.as_deref().map(|v| {
                            *index.entry((i, v)).or_insert_with(|| {
                                let name = key_name(self.by.get(i).copied().unwrap_or_default(), v, set);
                                let key = collation_key(&name);
                                distinct.push((i, name, key));
                                distinct.len() - 1
                            })
                        })
                    })
                    .collect()
            })
            .collect();
        let mut order: Vec<usize> = (0..distinct.len()).collect();
        order.sort_by(|&x, &y| distinct[x].0.cmp(&distinct[y].0).then_with(|| distinct[x].2.cmp(&distinct[y].2)));
        let mut rank = vec![0u32; distinct.len()];
        let mut r = 0u32;
        for (n, &i) in order.iter().enumerate() {
            if n > 0 {
                let p = order[n - 1];
                if distinct[p].0 != distinct[i].0 || distinct[p].2 != distinct[i].2 {
                    r += 1;
                }
            }
            rank[i] = r;
        }
        // Per grouping: a value not given sorts after every name.
        let mut keyed: Vec<(Vec<u32>, Named<'a>)> = self
            .rows
            .iter()
            .zip(slots)
            .map(|(row, slots)| {
                let sort = slots.iter().map(|s| s.map_or(u32::MAX, |i| rank[i])).collect();
                let names = slots.iter().map(|s| s.map_or_else(String::new, |i| distinct[i].1.clone())).collect();
                (sort, Named { row, names })
            })
            .collect();
        keyed.sort_by(|(ka, a), (kb, b)| {
            let period = if newest_first { b.row.period.cmp(&a.row.period) } else { a.row.period.cmp(&b.row.period) };
            period.then_with(|| ka.cmp(kb)).then_with(|| a.row.currency.cmp(&b.row.currency))
        });
        keyed.into_iter().map(|(_, n)| n).collect()
    }

    /// The file name of the export: `点工汇总_一号楼_2026-11` (`labour-P1` for the API's keys).
    pub fn file_name(&self, words: Words, set: &ReferenceSet) -> FileName {
        match words {
            Words::Keys => FileName::plain(&format!("labour-{}", self.project_id)),
            Words::Lang(l) => FileName::new(
                &[l.t("lab_file_labour"), &set.project.name, &range_label(self.from, self.to, l)],
                &["day-labour", &self.project_id, &range_label(self.from, self.to, Lang::En)],
            ),
        }
    }

    /// The summary as a file. For the API's keys, the JSON's rows in its order (ids, periods as
    /// their first day); in a page language, names in pinyin order, oldest period first, periods
    /// named (days and months as date cells, weeks as `2026-W45`), the headers in that language.
    /// Worker-days and person-hours carry the decimals they have.
    pub fn table(&self, words: Words, set: &ReferenceSet) -> Table {
        let lang = words.lang();
        let h = |k, l| words.head(k, l);
        // The first column says what its cells are: dates, weeks, months (or the whole range).
        let first = match self.period {
            Period::Day => "lab_x_date",
            Period::Week => "lab_x_week",
            Period::Month => "lab_x_month",
            Period::Total => "period",
        };
        let mut columns: Vec<&'static str> = vec![h("period", first)];
        columns.extend(self.by.iter().map(|b| h(b, b)));
        columns.extend([
            h("headcount", "lab_headcount"),
            h("headcount_days", "headcount_days"),
            h("person_hours", "person_hours"),
            h("currency", "lab_x_currency"),
            h("cost", "amount"),
        ]);
        let exact = |d: Decimal| {
            let d = d.normalize();
            Cell::Number(d, d.scale())
        };
        let figures = |r: &LabourRow, cells: &mut Vec<Cell>| {
            cells.extend([
                Cell::Number(Decimal::from(r.headcount), 0),
                exact(r.headcount_days),
                exact(r.person_hours),
                Cell::text(&r.currency),
                Cell::Number(r.cost, super::cost::scale(&r.currency)),
            ]);
        };
        let period_cell = |p: Option<NaiveDate>| match (words, p) {
            (_, None) => Cell::text(words.head("total", "lab_whole_range")),
            (Words::Keys, Some(d)) => Cell::Date(d, "yyyy-mm-dd"),
            (Words::Lang(_), Some(d)) => match self.period {
                Period::Day => Cell::Date(d, "yyyy-mm-dd"),
                Period::Month => Cell::Date(d, "yyyy-mm"),
                _ => Cell::text(period_label(self.period, d, lang)),
            },
        };
        let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(self.rows.len() + self.totals.len());
        match words {
            Words::Keys => {
                for r in &self.rows {
                    let mut cells = vec![match r.period {
                        Some(d) => Cell::Date(d, "yyyy-mm-dd"),
                        None => Cell::text("total"),
                    }];
                    cells.extend(r.keys.iter().map(|k| k.as_ref().map_or(Cell::Empty, Cell::text)));
                    figures(r, &mut cells);
                    rows.push(cells);
                }
            }
            Words::Lang(_) => {
                for n in self.named(set, false) {
                    let mut cells = vec![period_cell(n.row.period)];
                    cells.extend(n.names.iter().map(|k| if k.is_empty() { Cell::Empty } else { Cell::text(k) }));
                    figures(n.row, &mut cells);
                    rows.push(cells);
                }
            }
        }
        for r in &self.totals {
            let mut cells = vec![Cell::text(words.head("TOTAL", "total"))];
            cells.extend(self.by.iter().map(|_| Cell::Empty));
            figures(r, &mut cells);
            rows.push(cells);
        }
        match words {
            Words::Keys => {
                let range = format!(
                    "{} to {}",
                    self.from.map_or("start".into(), |d| d.to_string()),
                    self.to.map_or("today".into(), |d| d.to_string())
                );
                let title = format!("Day labour {} {range}", self.project_id);
                Table { sheet: title.clone(), title, columns, rows }
            }
            Words::Lang(l) => {
                let range = range_label(self.from, self.to, l);
                let by: Vec<&str> = self.by.iter().map(|b| l.t(b)).collect();
                let by = if by.is_empty() { String::new() } else { format!(" · {}", by.join(l.t("lab_list_sep"))) };
                Table {
                    sheet: format!("{} {range}", l.t("labour_title")),
                    title: format!(
                        "{} · {} · {range} · {}{by}",
                        l.t("labour_title"),
                        set.project.name,
                        l.t(match self.period {
                            Period::Day => "lab_by_day",
                            Period::Week => "lab_by_week",
                            Period::Month => "lab_by_month",
                            Period::Total => "lab_whole_range",
                        })
                    ),
                    columns,
                    rows,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_pinyin_not_code_point() {
        let mut crews = vec!["张三班", "李四班", "陈五班", "Alpha班", "木工班"];
        crews.sort_by_key(|c| collation_key(c));
        assert_eq!(crews, ["Alpha班", "陈五班", "李四班", "木工班", "张三班"]);
        assert!("张" < "李" && "李" < "陈", "Unicode order is the reverse");
    }

    #[test]
    fn periods_are_named_as_periods() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 5).expect("date");
        assert_eq!(period_label(Period::Day, d, Lang::ZhCn), "2026-11-05 周四");
        assert_eq!(period_label(Period::Day, d, Lang::En), "2026-11-05 Thu");
        let monday = Period::Week.start(d).expect("week");
        assert_eq!(period_label(Period::Week, monday, Lang::En), "2026-W45");
        let first = Period::Month.start(d).expect("month");
        assert_eq!(period_label(Period::Month, first, Lang::ZhCn), "2026年11月");
        assert_eq!(period_label(Period::Month, first, Lang::En), "Nov 2026");
        // ISO weeks belong to their Thursday's year: 2026-12-28 is in 2026-W53, 2027-01-04 in W01.
        let late = NaiveDate::from_ymd_opt(2027, 1, 1).expect("date");
        assert_eq!(period_label(Period::Week, Period::Week.start(late).expect("week"), Lang::En), "2026-W53");
        assert_eq!(
            period_days(Period::Month, first),
            Some((first, NaiveDate::from_ymd_opt(2026, 11, 30).expect("date")))
        );
    }
}

//! The day-labour summary (点工汇总) over the same report code as `/v1/reports/labour`, with its
//! CSV and XLSX exports for this session.
//!
//! The page opens on this month (where the project works, `reports::today`), newest period first,
//! 100 groups a page; each period on the page opens with its subtotal (the whole period's, not
//! the page's), and the footer has the total of every page. Dates come from a preset (this week,
//! this month, last month, this year) or are typed; the groupings are ticked from a list.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, Response};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::format::{grouped, money_code};
use super::i18n::Lang;
use super::session::WebSession;
use super::{Chrome, WebError, render, urlencode};
use crate::reference::ReferenceSet;
use crate::reports::export::{self, Words};
use crate::reports::labour::{self, LabourRow, Period};
use crate::reports::query::ReportQuery;
use crate::reports::{DateRange, today};
use crate::state::AppState;

/// Groups on one page.
pub const PAGE_SIZE: usize = 100;

/// The page's query: a preset or typed dates, the period, the groupings (ticked boxes `by_*`
/// with `g=1` from the form, or `by=site,trade` from a link), the page.
#[derive(Debug, Default, Deserialize)]
pub struct LabourQuery {
    pub preset: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub period: Option<String>,
    pub by: Option<String>,
    /// Present when the form was sent: the `by_*` boxes then say the groupings (none ticked:
    /// periods only).
    pub g: Option<String>,
    pub by_site: Option<String>,
    pub by_trade: Option<String>,
    pub by_crew: Option<String>,
    pub by_cost_code: Option<String>,
    pub by_activity: Option<String>,
    pub by_author: Option<String>,
    pub page: Option<String>,
    pub format: Option<String>,
}

/// Date presets, in the order the page offers them.
pub const PRESETS: [(&str, &str); 4] = [
    ("this_week", "lab_this_week"),
    ("this_month", "lab_this_month"),
    ("last_month", "lab_last_month"),
    ("this_year", "lab_this_year"),
];

/// The days of a preset around `today` (weeks from Monday, as ISO weeks).
pub fn preset_range(preset: &str, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let month_start = today.with_day(1)?;
    let month_end = |first: NaiveDate| first.checked_add_months(Months::new(1)).and_then(|n| n.pred_opt());
    match preset {
        "this_week" => {
            let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
            Some((monday, monday + chrono::Days::new(6)))
        }
        "this_month" => Some((month_start, month_end(month_start)?)),
        "last_month" => {
            let first = month_start.checked_sub_months(Months::new(1))?;
            Some((first, month_end(first)?))
        }
        "this_year" => {
            Some((NaiveDate::from_ymd_opt(today.year(), 1, 1)?, NaiveDate::from_ymd_opt(today.year(), 12, 31)?))
        }
        _ => None,
    }
}

/// What the query asks for, read: the preset in force ("" for typed dates), the dates, period,
/// groupings and page.
#[derive(Debug, Clone)]
pub struct Asked {
    pub preset: &'static str,
    pub range: DateRange,
    pub period: Period,
    pub period_text: String,
    pub by: Vec<&'static str>,
    pub page: usize,
}

impl LabourQuery {
    /// Reads the query; bad dates, periods and groupings are refused as the API refuses them.
    pub fn read(&self, today: NaiveDate) -> Result<Asked, WebError> {
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        let named = self.preset.as_deref().and_then(|p| PRESETS.iter().find(|(k, _)| *k == p)).map(|(k, _)| *k);
        let (preset, from, to) = match named {
            Some(p) => {
                let (f, t) = preset_range(p, today).ok_or_else(|| WebError::BadRequest(format!("preset {p}")))?;
                (p, Some(f.to_string()), Some(t.to_string()))
            }
            // Typed dates (blank: open), from the form or a link.
            None if self.g.is_some() || !blank(&self.from) || !blank(&self.to) => {
                ("", self.from.clone(), self.to.clone())
            }
            None => {
                let (f, t) = preset_range("this_month", today).ok_or_else(|| WebError::BadRequest("today".into()))?;
                ("this_month", Some(f.to_string()), Some(t.to_string()))
            }
        };
        let by = if self.g.is_some() {
            let ticked = [
                ("site", &self.by_site),
                ("trade", &self.by_trade),
                ("crew", &self.by_crew),
                ("cost_code", &self.by_cost_code),
                ("activity", &self.by_activity),
                ("author", &self.by_author),
            ];
            let names: Vec<&str> = ticked.iter().filter(|(_, v)| v.is_some()).map(|(n, _)| *n).collect();
            // Blank stays blank here: no box ticked means periods only.
            Some(if names.is_empty() { String::from(" ") } else { names.join(",") })
        } else {
            self.by.clone()
        };
        let q = ReportQuery { from, to, period: self.period.clone(), by: None, ..Default::default() };
        let mut p = q.labour()?;
        p.by = match by.as_deref() {
            Some(b) if b.trim().is_empty() && self.g.is_some() => Vec::new(),
            Some(b) if !b.trim().is_empty() => labour::parse_dimensions(b)?,
            _ => p.by,
        };
        let page = self.page.as_deref().and_then(|p| p.trim().parse::<usize>().ok()).filter(|p| *p >= 1).unwrap_or(1);
        Ok(Asked { preset, range: p.range, period: p.period, period_text: p.period_text, by: p.by, page })
    }
}

impl Asked {
    /// The query of this view (page 1 unless `page`), for links: the pager, presets, exports.
    fn query(&self, preset: Option<&str>, page: Option<usize>) -> String {
        let mut q = match preset {
            Some(p) => format!("preset={p}"),
            None => format!(
                "from={}&to={}",
                self.range.from.map(|d| d.to_string()).unwrap_or_default(),
                self.range.to.map(|d| d.to_string()).unwrap_or_default()
            ),
        };
        q.push_str(&format!("&period={}&by={}", urlencode(&self.period_text), urlencode(&self.by.join(","))));
        if self.by.is_empty() {
            // No grouping is said by the form's marker with no box ticked.
            q.push_str("&g=1");
        }
        if let Some(p) = page.filter(|p| *p > 1) {
            q.push_str(&format!("&page={p}"));
        }
        q
    }
}

/// One row of the table: a group, or a period's subtotal heading its groups.
pub struct LabourLine {
    pub subtotal: bool,
    pub period: String,
    /// The period's days (`2026-11-02 – 2026-11-08`) for weeks and months.
    pub period_days: String,
    pub keys: Vec<String>,
    pub headcount: String,
    pub headcount_days: String,
    pub person_hours: String,
    pub cost: String,
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub on: bool,
    /// A link to this choice (presets).
    pub href: String,
}

#[derive(Template)]
#[template(path = "labour.html")]
struct LabourPage {
    c: Chrome,
    from: String,
    to: String,
    presets: Vec<Choice>,
    periods: Vec<Choice>,
    dimensions: Vec<Choice>,
    /// Headers of the grouping columns, in the page language.
    by_heads: Vec<&'static str>,
    /// What is shown, in words (the folded filters' summary).
    showing: String,
    lines: Vec<LabourLine>,
    totals: Vec<LabourLine>,
    /// `第 1–100 组，共 245 组`; empty without rows.
    rows_text: String,
    newer: String,
    older: String,
    page_text: String,
    /// The query of the exports (the page's own filters).
    export_query: String,
}

fn figures(r: &LabourRow, lang: Lang) -> (String, String, String, String) {
    (
        grouped(Decimal::from(r.headcount)),
        grouped(r.headcount_days.normalize()),
        grouped(r.person_hours.normalize()),
        money_code(r.cost, &r.currency, lang),
    )
}

/// Names of the weeks' and months' days, `2026-11-02 – 2026-11-08`.
fn days_text(period: Period, start: Option<NaiveDate>) -> String {
    match (period, start.and_then(|s| labour::period_days(period, s))) {
        (Period::Week | Period::Month, Some((f, t))) => format!("{f} – {t}"),
        _ => String::new(),
    }
}

/// A localized text with `{name}` holes filled.
fn fill(text: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(text.to_string(), |t, (k, v)| t.replace(&format!("{{{k}}}"), v))
}

/// The dates shown, in words: `2026-11-01 至 2026-11-30`, open ends named.
fn range_words(range: DateRange, lang: Lang) -> String {
    match (range.from, range.to) {
        (None, None) => lang.t("lab_all_dates").to_string(),
        (f, t) => fill(
            lang.t("lab_from_to"),
            &[
                ("from", f.map_or_else(|| lang.t("lab_start").to_string(), |d| d.to_string())),
                ("to", t.map_or_else(|| lang.t("lab_today").to_string(), |d| d.to_string())),
            ],
        ),
    }
}

/// `GET /web/labour?preset=|from=&to=&period=&by=|g=1&by_site=on…&page=`
pub async fn labour(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<LabourQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let asked = q.read(today(&set))?;
    let summary = labour::summary(&state.db, &s.grant.project_id, asked.range, asked.period, &asked.by).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "labour", "labour_title");
    let lang = c.lang;
    let page = page(&asked, &summary, &set, lang, c);
    render(&page)
}

fn page(asked: &Asked, summary: &labour::LabourSummary, set: &ReferenceSet, lang: Lang, c: Chrome) -> LabourPage {
    let named = summary.named(set, true);
    let pages = named.len().div_ceil(PAGE_SIZE).max(1);
    let current = asked.page.min(pages);
    let first = (current - 1) * PAGE_SIZE;
    let shown = &named[first.min(named.len())..(first + PAGE_SIZE).min(named.len())];

    // Each period's subtotal, over all its groups (other pages too), per currency.
    let mut subtotals: std::collections::BTreeMap<(Option<NaiveDate>, String), LabourRow> =
        std::collections::BTreeMap::new();
    if asked.period != Period::Total {
        for r in &summary.rows {
            let t = subtotals.entry((r.period, r.currency.clone())).or_insert_with(|| LabourRow {
                period: r.period,
                keys: Vec::new(),
                currency: r.currency.clone(),
                headcount: 0,
                headcount_days: Decimal::ZERO,
                person_hours: Decimal::ZERO,
                cost: Decimal::ZERO,
            });
            t.headcount += r.headcount;
            t.headcount_days += r.headcount_days;
            t.person_hours += r.person_hours;
            t.cost += r.cost;
        }
    }
    let label = |p: Option<NaiveDate>| {
        p.map_or_else(|| range_words(asked.range, lang), |d| labour::period_label(asked.period, d, lang))
    };
    let mut lines = Vec::with_capacity(shown.len() + 8);
    let mut last_period: Option<Option<NaiveDate>> = None;
    for n in shown {
        if last_period != Some(n.row.period) {
            last_period = Some(n.row.period);
            for ((_, _), t) in
                subtotals.range((n.row.period, String::new())..).take_while(|((p, _), _)| *p == n.row.period)
            {
                let (headcount, headcount_days, person_hours, cost) = figures(t, lang);
                lines.push(LabourLine {
                    subtotal: true,
                    period: label(t.period),
                    period_days: days_text(asked.period, t.period),
                    keys: Vec::new(),
                    headcount,
                    headcount_days,
                    person_hours,
                    cost,
                });
            }
        }
        let (headcount, headcount_days, person_hours, cost) = figures(n.row, lang);
        lines.push(LabourLine {
            subtotal: false,
            period: label(n.row.period),
            period_days: String::new(),
            keys: n
                .names
                .iter()
                .map(|k| if k.is_empty() { lang.t("lab_not_given").to_string() } else { k.clone() })
                .collect(),
            headcount,
            headcount_days,
            person_hours,
            cost,
        });
    }
    let totals = summary
        .totals
        .iter()
        .map(|t| {
            let (headcount, headcount_days, person_hours, cost) = figures(t, lang);
            LabourLine {
                subtotal: false,
                period: lang.t("lab_grand_total").to_string(),
                period_days: range_words(asked.range, lang),
                keys: Vec::new(),
                headcount,
                headcount_days,
                person_hours,
                cost,
            }
        })
        .collect();

    let keep = Some(asked.preset).filter(|p| !p.is_empty());
    let link = |page: usize| format!("/web/labour?{}", asked.query(keep, Some(page)));
    let presets = PRESETS
        .iter()
        .map(|(value, key)| Choice {
            value,
            label: lang.t(key),
            on: asked.preset == *value,
            href: format!("/web/labour?{}", asked.query(Some(value), None)),
        })
        .collect();
    let periods =
        [("day", "lab_by_day"), ("week", "lab_by_week"), ("month", "lab_by_month"), ("total", "lab_whole_range")]
            .iter()
            .map(|(value, key)| Choice {
                value,
                label: lang.t(key),
                on: asked.period_text == *value,
                href: String::new(),
            })
            .collect();
    let dimensions = labour::DIMENSIONS
        .iter()
        .map(|(value, _)| Choice { value, label: lang.t(value), on: asked.by.contains(value), href: String::new() })
        .collect();
    let by_words: Vec<&str> = asked.by.iter().map(|b| lang.t(b)).collect();
    let preset_word = PRESETS.iter().find(|(k, _)| *k == asked.preset).map(|(_, l)| lang.t(l));
    let mut showing = preset_word.map_or_else(String::new, |p| format!("{p} · "));
    showing.push_str(&range_words(asked.range, lang));
    showing.push_str(" · ");
    showing.push_str(lang.t(match asked.period {
        Period::Day => "lab_by_day",
        Period::Week => "lab_by_week",
        Period::Month => "lab_by_month",
        Period::Total => "lab_whole_range",
    }));
    if !by_words.is_empty() {
        showing.push_str(" · ");
        showing.push_str(&by_words.join(lang.t("lab_list_sep")));
    }
    let rows_text = if named.is_empty() {
        String::new()
    } else {
        fill(
            lang.t("lab_rows_of"),
            &[
                ("first", grouped(Decimal::from(first + 1))),
                ("last", grouped(Decimal::from(first + shown.len()))),
                ("all", grouped(Decimal::from(named.len()))),
            ],
        )
    };
    LabourPage {
        from: asked.range.from.map(|d| d.to_string()).unwrap_or_default(),
        to: asked.range.to.map(|d| d.to_string()).unwrap_or_default(),
        presets,
        periods,
        dimensions,
        by_heads: by_words.clone(),
        showing,
        lines,
        totals,
        rows_text,
        newer: if current > 1 { link(current - 1) } else { String::new() },
        older: if current < pages { link(current + 1) } else { String::new() },
        page_text: if pages > 1 {
            fill(lang.t("lab_page_of"), &[("page", current.to_string()), ("pages", pages.to_string())])
        } else {
            String::new()
        },
        export_query: asked.query(None, None),
        c,
    }
}

/// `GET /web/labour/export?format=csv|xlsx&…` (the page's query): the summary as a file in the
/// page's language: headers, names in pinyin order, periods as dates, file name with the
/// project's name and dates (`点工汇总_一号楼_2026-11.xlsx`).
pub async fn labour_export(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<LabourQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let asked = q.read(today(&set))?;
    let format = ReportQuery { format: q.format.clone(), ..Default::default() }.file_format()?;
    let summary = labour::summary(&state.db, &s.grant.project_id, asked.range, asked.period, &asked.by).await?;
    let words = Words::Lang(Lang::from_headers(&headers));
    Ok(export::download(&summary.file_name(words, &set), format, &summary.table(words, &set))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn presets_are_calendar_periods() {
        let today = day("2026-11-05"); // a Thursday
        assert_eq!(preset_range("this_week", today), Some((day("2026-11-02"), day("2026-11-08"))));
        assert_eq!(preset_range("this_month", today), Some((day("2026-11-01"), day("2026-11-30"))));
        assert_eq!(preset_range("last_month", today), Some((day("2026-10-01"), day("2026-10-31"))));
        assert_eq!(preset_range("last_month", day("2026-01-15")), Some((day("2025-12-01"), day("2025-12-31"))));
        assert_eq!(preset_range("this_year", today), Some((day("2026-01-01"), day("2026-12-31"))));
        assert_eq!(preset_range("decade", today), None);
    }

    #[test]
    fn the_default_is_this_month_by_site_trade_crew() {
        let a = LabourQuery::default().read(day("2026-11-05")).expect("read");
        assert_eq!(
            (a.preset, a.range.from, a.range.to),
            ("this_month", Some(day("2026-11-01")), Some(day("2026-11-30")))
        );
        assert_eq!(a.by, ["site", "trade", "crew"]);
        assert_eq!((a.period, a.page), (Period::Day, 1));
    }

    #[test]
    fn the_form_ticks_groupings_and_types_dates() {
        let q = LabourQuery {
            g: Some("1".into()),
            from: Some("2026-10-01".into()),
            to: Some("".into()),
            by_crew: Some("on".into()),
            by_site: Some("on".into()),
            period: Some("week".into()),
            page: Some("3".into()),
            ..Default::default()
        };
        let a = q.read(day("2026-11-05")).expect("read");
        assert_eq!((a.preset, a.range.from, a.range.to), ("", Some(day("2026-10-01")), None));
        assert_eq!(a.by, ["site", "crew"], "in the list's order");
        assert_eq!((a.period, a.page), (Period::Week, 3));
        let none = LabourQuery { g: Some("1".into()), ..Default::default() }.read(day("2026-11-05")).expect("read");
        assert!(none.by.is_empty(), "no box ticked: periods only");
        assert!(LabourQuery { by: Some("colour".into()), ..Default::default() }.read(day("2026-11-05")).is_err());
        assert!(LabourQuery { from: Some("2026-13-01".into()), ..Default::default() }.read(day("2026-11-05")).is_err());
    }
}

//! The daily reports' screens (issue 23; docs/daily-reports.md):
//!
//! * `GET /web/daily-reports?month=YYYY-MM&site=S`: a month, Monday first; each day with records
//!   shows per site how many and how many wait for approval, and opens that site's day. Below the
//!   grid the same days as a list (what a phone reads at 390 px).
//! * `GET /web/daily-reports/{site}/{date}?version=N`: the day's report as the PDF has it (the same
//!   words, from `daily_reports::pdf::words`), printable (`@media print` in
//!   `static/daily_reports.css`), its versions, and the PDF in Chinese and English.
//! * `GET /web/daily-reports/{site}/{date}/pdf?lang=&version=`: that PDF for the signed-in browser
//!   (the `/v1` route wants a device token; the bytes are the same, from the same cache).
//!
//! Everyone who reads the ledgers may read them (the session's rule, as the dashboards). Strings in
//! `web/i18n/daily_reports.rs`.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Deserialize;

use super::i18n::Lang;
use super::session::WebSession;
use super::{Chrome, WebError, asset, render, urlencode};
use crate::daily_reports::model::DayCell;
use crate::daily_reports::pdf::{self, Grid, GridRow, Part, PhotoCard, Section, Words};
use crate::daily_reports::store::{self, Stored};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct CalendarQuery {
    month: Option<String>,
    site: Option<String>,
}

/// One site's records on a day, as the calendar shows them.
pub struct Entry {
    pub href: String,
    pub site: String,
    pub records: String,
    pub pending: i64,
    /// "2 pending" or "all approved".
    pub state: String,
}

pub struct DayBox {
    pub day: u32,
    pub date: String,
    pub in_month: bool,
    pub today: bool,
    pub entries: Vec<Entry>,
}

pub struct ListDay {
    pub date: String,
    pub words: String,
    pub entries: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "daily_reports.html")]
struct CalendarPage {
    c: Chrome,
    month_title: String,
    month: String,
    prev: String,
    next: String,
    this_month: String,
    sites: Vec<(String, String)>,
    site: String,
    weekdays: Vec<&'static str>,
    weeks: Vec<Vec<DayBox>>,
    list: Vec<ListDay>,
}

/// `2026-12` → its first day; anything else refused in the page's words.
fn parse_month(text: &str, lang: Lang) -> Result<NaiveDate, WebError> {
    let bad = || WebError::BadRequest(lang.t("dr_bad_month").to_string());
    let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.is_empty() || m.len() > 2 {
        return Err(bad());
    }
    let (y, m) = (y.parse::<i32>().map_err(|_| bad())?, m.parse::<u32>().map_err(|_| bad())?);
    NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)
}

fn parse_date(text: &str, lang: Lang) -> Result<NaiveDate, WebError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| WebError::BadRequest(lang.t("dr_bad_date").to_string()))
}

fn month_title(first: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::En => first.format("%B %Y").to_string(),
        Lang::ZhCn => format!("{}年{}月", first.year(), first.month()),
    }
}

fn calendar_link(month: NaiveDate, site: &str) -> String {
    let mut l = format!("/web/daily-reports?month={}", month.format("%Y-%m"));
    if !site.is_empty() {
        l.push_str(&format!("&site={}", urlencode(site)));
    }
    l
}

pub fn day_link(site: &str, date: NaiveDate) -> String {
    format!("/web/daily-reports/{}/{date}", urlencode(site))
}

fn entry(d: &DayCell, lang: Lang) -> Entry {
    let records = if d.records == 1 {
        lang.t("dr_cal_record_one").to_string()
    } else {
        lang.t("dr_cal_records").replace("{n}", &d.records.to_string())
    };
    let state = if d.pending > 0 {
        lang.t("dr_cal_pending").replace("{n}", &d.pending.to_string())
    } else {
        lang.t("dr_cal_all_approved").to_string()
    };
    Entry { href: day_link(&d.site_id, d.date), site: d.site_name.clone(), records, pending: d.pending, state }
}

const WEEKDAYS: [&str; 7] =
    ["lab_wd_mon", "lab_wd_tue", "lab_wd_wed", "lab_wd_thu", "lab_wd_fri", "lab_wd_sat", "lab_wd_sun"];

/// The month's weeks, Monday first, with the days of the months around it to fill them.
fn weeks(first: NaiveDate, today: NaiveDate, cells: &[DayCell], lang: Lang) -> Vec<Vec<DayBox>> {
    let start = first - Days::new(u64::from(first.weekday().num_days_from_monday()));
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    let mut out = Vec::new();
    let mut day = start;
    while day < next {
        let mut week = Vec::with_capacity(7);
        for _ in 0..7 {
            let in_month = day.month() == first.month() && day.year() == first.year();
            week.push(DayBox {
                day: day.day(),
                date: day.to_string(),
                in_month,
                today: day == today,
                entries: if in_month {
                    cells.iter().filter(|c| c.date == day).map(|c| entry(c, lang)).collect()
                } else {
                    Vec::new()
                },
            });
            day = day.succ_opt().unwrap_or(day);
        }
        out.push(week);
    }
    out
}

/// `GET /web/daily-reports?month=&site=`
pub async fn calendar(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<CalendarQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let mut c = Chrome::new(Some(&s), &headers, &uri, "daily_reports", "dr_calendar_title");
    let lang = c.lang;
    let q = q.map(|Query(q)| q).map_err(|_| WebError::BadRequest(lang.t("dr_bad_month").to_string()))?;
    let project = &s.grant.project_id;
    let set = crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?;
    let today = crate::reports::today(&set);
    let first = match q.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => parse_month(m, lang)?,
        None => today.with_day(1).unwrap_or(today),
    };
    let site = q.site.map(|s| s.trim().to_string()).unwrap_or_default();
    let last = first.checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(first);
    let cells = store::calendar(&state, project, first, last, (!site.is_empty()).then_some(site.as_str()))
        .await
        .map_err(|e| WebError::Api(e.into()))?;
    let mut list: Vec<ListDay> = Vec::new();
    for cell in &cells {
        match list.last_mut() {
            Some(l) if l.date == cell.date.to_string() => l.entries.push(entry(cell, lang)),
            _ => list.push(ListDay {
                date: cell.date.to_string(),
                words: pdf::date_words(cell.date, lang),
                entries: vec![entry(cell, lang)],
            }),
        }
    }
    c.title = format!("{} · {}", lang.t("dr_calendar_title"), month_title(first, lang));
    let page = CalendarPage {
        month_title: month_title(first, lang),
        month: first.format("%Y-%m").to_string(),
        prev: calendar_link(first.checked_sub_months(Months::new(1)).unwrap_or(first), &site),
        next: calendar_link(first.checked_add_months(Months::new(1)).unwrap_or(first), &site),
        this_month: calendar_link(today.with_day(1).unwrap_or(today), &site),
        sites: set.sites.iter().map(|s| (s.id.clone(), s.name.clone())).collect(),
        weekdays: WEEKDAYS.iter().map(|k| lang.t(k)).collect(),
        weeks: weeks(first, today, &cells, lang),
        list,
        site,
        c,
    };
    render(&page)
}

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    version: Option<String>,
    lang: Option<String>,
}

pub struct VersionLine {
    pub version: i64,
    pub href: String,
    pub words: String,
    pub records: String,
    pub shown: bool,
    pub newest: bool,
}

/// What the template shows of a section's part.
impl Part {
    pub fn table(&self) -> Option<&Grid> {
        match self {
            Part::Table(g) => Some(g),
            _ => None,
        }
    }

    pub fn photos(&self) -> Option<&Vec<PhotoCard>> {
        match self {
            Part::Photos(p) => Some(p),
            _ => None,
        }
    }

    pub fn nothing(&self) -> Option<&String> {
        match self {
            Part::Nothing(t) => Some(t),
            _ => None,
        }
    }
}

impl GridRow {
    /// The row's classes on the page.
    pub fn class(&self) -> &'static str {
        match (self.total, self.muted) {
            (true, _) => "dr-total",
            (false, true) => "dr-muted",
            _ => "",
        }
    }
}

#[derive(Template)]
#[template(path = "daily_report_day.html")]
struct DayPage {
    c: Chrome,
    w: Words,
    sections: Vec<Section>,
    version: i64,
    newest: i64,
    versions: Vec<VersionLine>,
    calendar: String,
    prev_day: String,
    next_day: String,
    pdf_zh: String,
    pdf_en: String,
    newest_href: String,
}

fn parse_version(v: Option<&str>, lang: Lang) -> Result<Option<i64>, WebError> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(WebError::BadRequest(lang.t("dr_bad_version").to_string())),
        },
    }
}

/// The day's report (version `version`, else the newest as the records stand), with the site
/// checked against the project's reference data.
async fn load(
    state: &AppState,
    s: &WebSession,
    site: &str,
    date: NaiveDate,
    version: Option<i64>,
    lang: Lang,
) -> Result<Stored, WebError> {
    let project = &s.grant.project_id;
    let set = crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?;
    if !set.sites.iter().any(|x| x.id == site) {
        return Err(ApiError::not_found("site", lang.t("dr_unknown_site")).into());
    }
    let found = match version {
        Some(n) => store::version(&state.db, project, site, date, n).await,
        None => store::current(state, project, site, date).await,
    }
    .map_err(|e| WebError::Api(e.into()))?;
    found.ok_or_else(|| {
        let m = match version {
            Some(n) => lang.t("dr_no_version").replace("{n}", &n.to_string()),
            None => lang.t("dr_no_records").to_string(),
        };
        ApiError::not_found("date", m).into()
    })
}

/// `GET /web/daily-reports/{site}/{date}?version=`
pub async fn day(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path((site, date)): Path<(String, String)>,
    q: Result<Query<DayQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let mut c = Chrome::new(Some(&s), &headers, &uri, "daily_reports", "dr_title");
    let lang = c.lang;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let date = parse_date(&date, lang)?;
    let asked = parse_version(q.version.as_deref(), lang)?;
    let stored = load(&state, &s, &site, date, asked, lang).await?;
    let versions =
        store::versions(&state.db, &s.grant.project_id, &site, date).await.map_err(|e| WebError::Api(e.into()))?;
    let r = &stored.report;
    let newest = versions.first().map_or(r.version, |v| v.version);
    let base = day_link(&site, date);
    let w = pdf::words(r, lang);
    c.title = format!("{} · {} · {}", w.title, r.site_name, date);
    let pdf_link = |l: &str| format!("{base}/pdf?lang={l}&version={}", r.version);
    let page = DayPage {
        sections: w.sections.clone(),
        versions: versions
            .iter()
            .map(|v| VersionLine {
                version: v.version,
                href: format!("{base}?version={}", v.version),
                words: lang.t("dr_version_n").replace("{n}", &v.version.to_string()),
                records: format!(
                    "{} · {}",
                    lang.t("dr_generated")
                        .replace("{when}", &super::history::when(v.generated_at_ms, &r.time_zone, lang)),
                    lang.t("dr_version_records").replace("{n}", &v.records.to_string())
                ),
                shown: v.version == r.version,
                newest: v.version == newest,
            })
            .collect(),
        version: r.version,
        newest,
        calendar: calendar_link(date.with_day(1).unwrap_or(date), &site),
        prev_day: day_link(&site, date.pred_opt().unwrap_or(date)),
        next_day: day_link(&site, date.succ_opt().unwrap_or(date)),
        pdf_zh: pdf_link("zh-CN"),
        pdf_en: pdf_link("en"),
        newest_href: base.clone(),
        w,
        c,
    };
    render(&page)
}

/// `GET /web/daily-reports/{site}/{date}/pdf?lang=zh-CN|en&version=N`: the PDF (cached per
/// version and language), inline, named as the API names it.
pub async fn pdf_file(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((site, date)): Path<(String, String)>,
    q: Result<Query<DayQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let page_lang = Lang::from_headers(&headers);
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let date = parse_date(&date, page_lang)?;
    let lang = match q.lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => page_lang,
        Some(l) => match l {
            "zh-CN" | "zh" => Lang::ZhCn,
            "en" => Lang::En,
            _ => return Err(WebError::BadRequest(page_lang.t("dr_bad_lang").to_string())),
        },
    };
    let asked = parse_version(q.version.as_deref(), page_lang)?;
    let stored = load(&state, &s, &site, date, asked, page_lang).await?;
    let bytes = match store::pdf_bytes(&state, &stored, lang).await {
        Ok(b) => b,
        Err(crate::daily_reports::DailyReportError::NoFont(m)) => {
            tracing::warn!(reason = %m, "daily report PDF: no font");
            return Err(WebError::Api(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_font",
                "report_font",
                page_lang.t("dr_no_font"),
            )));
        }
        Err(e) => return Err(WebError::Api(e.into())),
    };
    // The site id is the project's (reference data), but only ASCII goes into the header's name.
    let safe: String =
        site.chars().map(|ch| if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' { ch } else { '_' }).collect();
    let name = format!("daily-report-{safe}-{date}-{}.pdf", lang.tag());
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&stored.report.version.to_string()) {
        h.insert("x-report-version", v);
    }
    Ok(response)
}

/// `GET /web/static/daily_reports.js`: the day page's print button (the page prints without it too).
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("../../static/daily_reports.js"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_weeks() {
        assert_eq!(parse_month("2026-12", Lang::En).ok(), NaiveDate::from_ymd_opt(2026, 12, 1));
        assert_eq!(parse_month("2026-2", Lang::En).ok(), NaiveDate::from_ymd_opt(2026, 2, 1));
        for bad in ["2026-13", "26-12", "2026/12", "december", "2026-12-01", ""] {
            assert!(parse_month(bad, Lang::En).is_err(), "{bad}");
        }
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
        let cell = DayCell {
            date: today,
            site_id: "S 1".into(),
            site_name: "3#楼".into(),
            records: 5,
            pending: 2,
            version: Some(1),
        };
        let w = weeks(first, today, &[cell], Lang::ZhCn);
        // 2026-12-01 is a Tuesday: the first week starts on Monday 11-30; five weeks to 01-03.
        assert_eq!((w.len(), w[0][0].date.as_str(), w[0][0].in_month), (5, "2026-11-30", false));
        let sat = &w[0][5];
        assert_eq!((sat.day, sat.today, sat.entries.len()), (5, true, 1));
        assert_eq!(sat.entries[0].records, "5 条记录");
        assert_eq!(sat.entries[0].state, "2 条待审批");
        assert_eq!(sat.entries[0].href, "/web/daily-reports/S%201/2026-12-05");
        assert_eq!(month_title(first, Lang::En), "December 2026");
        assert_eq!(month_title(first, Lang::ZhCn), "2026年12月");
        assert_eq!(calendar_link(first, "S1"), "/web/daily-reports?month=2026-12&site=S1");
    }
}

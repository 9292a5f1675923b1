//! The approval queue: the project's records in tabs (pending, changed since approval, conflicts,
//! approved, rejected, voided), each with its count under the filters (site, dates, kind, author by
//! any part of the name), sorted and paged over the record index alone (no document is loaded to
//! list); rows carry what a 生产经理 decides on (date, kind, site, author, amount, 人次 / 工日 /
//! lines, when the current version arrived and how long ago). Records that would fail approval
//! (conflicts, damaged, voided, a site, cost code or activity the reference data does not have, a
//! record that fails the checks) are flagged in words and cannot be selected.
//!
//! Decisions: the rows picked (checkboxes, each naming the exact version listed) or every record
//! matching the filter (a confirmation page lists them with the total and their exact versions)
//! are approved, or rejected with a reason (templates or free text); the results page says what
//! happened to each record in words.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Html;
use record_schema::DecisionStatus;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::WebSession;
use super::{Chrome, Fields, WebError, format, kind_key, render, urlencode};
use crate::ledger::LedgerError;
use crate::ledger::pending::{self, QueueFilter, QueueRow, Sort, Tab};
use crate::ledger::store::{self, DecideRequest};
use crate::reference::ReferenceSet;
use crate::reports::query::date_param;
use crate::state::AppState;

/// Rows per page.
pub const PER_PAGE: i64 = 50;
/// At most this many records per decision form (and per "all matching" confirmation).
pub const MAX_BULK: usize = 500;

#[derive(Debug, Deserialize, Default, Clone)]
pub struct QueueQuery {
    pub site: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    pub author: Option<String>,
    pub foreman: Option<String>,
    pub tab: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl QueueQuery {
    /// This query as URL parameters, with `changes` applied (an empty value drops the parameter).
    fn href(&self, changes: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, String)> = Vec::new();
        for (k, v) in [
            ("tab", &self.tab),
            ("site", &self.site),
            ("from", &self.from),
            ("to", &self.to),
            ("kind", &self.kind),
            ("author", &self.author),
            ("foreman", &self.foreman),
            ("sort", &self.sort),
            ("dir", &self.dir),
            ("page", &self.page),
        ] {
            let v = changes.iter().find(|(c, _)| *c == k).map(|(_, v)| v.to_string()).or_else(|| blank(v));
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                params.push((k, v));
            }
        }
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        if query.is_empty() { "/web/queue".into() } else { format!("/web/queue?{}", query.join("&")) }
    }

    /// The filter fields only (for the "all matching" link and hidden fields).
    fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("site", &self.site),
            ("from", &self.from),
            ("to", &self.to),
            ("kind", &self.kind),
            ("author", &self.author),
            ("foreman", &self.foreman),
        ]
        .into_iter()
        .filter_map(|(k, v)| blank(v).map(|v| (k, v)))
        .collect()
    }
}

/// The query understood: filter, tab, sort and page.
struct Parsed {
    filter: QueueFilter,
    tab: Tab,
    sort: Sort,
    desc: bool,
    page: i64,
}

fn parse(q: &QueueQuery) -> Result<Parsed, WebError> {
    let kind = blank(&q.kind);
    if let Some(k) = &kind
        && !store::is_record_kind(k)
    {
        return Err(WebError::BadRequest(format!(
            "kind: {k:?} is not one of labour_sheet, expense, progress_report, wage_advance, day_log"
        )));
    }
    let author = blank(&q.author);
    if author.as_ref().is_some_and(|a| a.len() > 200) {
        return Err(WebError::BadRequest("author: at most 200 bytes".into()));
    }
    let tab = match blank(&q.tab) {
        None => Tab::Pending,
        Some(t) => Tab::parse(&t).ok_or_else(|| {
            WebError::BadRequest(format!(
                "tab: {t:?} is not one of pending, changed, conflicts, approved, rejected, voided"
            ))
        })?,
    };
    let sort = match blank(&q.sort) {
        None => Sort::Date,
        Some(s) => Sort::parse(&s).ok_or_else(|| {
            WebError::BadRequest(format!("sort: {s:?} is not one of date, submitted, amount, author"))
        })?,
    };
    let desc = match blank(&q.dir).as_deref() {
        None => default_desc(sort),
        Some("desc") => true,
        Some("asc") => false,
        Some(d) => return Err(WebError::BadRequest(format!("dir: {d:?} is not one of asc, desc"))),
    };
    let page = match blank(&q.page) {
        None => 1,
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| WebError::BadRequest(format!("page: {p:?} is not a page number")))?,
    };
    Ok(Parsed {
        filter: QueueFilter {
            site: blank(&q.site),
            from: date_param("from", q.from.clone())?,
            to: date_param("to", q.to.clone())?,
            kind,
            author,
            foreman: blank(&q.foreman),
        },
        tab,
        sort,
        desc,
        page,
    })
}

/// Newest, latest and largest first; authors A to Z.
fn default_desc(sort: Sort) -> bool {
    sort != Sort::Author
}

pub struct TabLink {
    pub key: &'static str,
    pub label: &'static str,
    /// The count, or "10,000+" past `pending::COUNT_CAP`.
    pub count: String,
    pub href: String,
    pub on: bool,
}

pub struct SortLink {
    pub key: &'static str,
    pub label: &'static str,
    pub href: String,
    /// `▲` / `▼` on the current sort.
    pub arrow: &'static str,
}

pub struct PageLink {
    pub n: i64,
    pub href: String,
    pub on: bool,
}

/// One listed record, in words.
pub struct Row {
    pub id: String,
    pub date: String,
    pub kind: &'static str,
    pub site: String,
    pub site_id: String,
    pub author: String,
    pub amount: String,
    pub headcount: String,
    pub worker_days: String,
    pub lines: String,
    /// Labour sheets: 人次 · 工日 · lines in one phrase (the phone card).
    pub labour: String,
    pub submitted: String,
    pub age: String,
    /// The status badge's key and class.
    pub status: &'static str,
    pub conflicts: i64,
    pub voided: bool,
    pub damage: Option<String>,
    /// Why approving would fail, in words; empty when it would not.
    pub problems: Vec<String>,
    /// The checkbox value (`<id>:<heads>`, the exact version listed), when it can be selected.
    pub pick: Option<String>,
    /// The latest decision on this version: who, when, comment.
    pub decided: Option<String>,
    pub comment: Option<String>,
}

pub struct Reason {
    pub key: &'static str,
    pub text: &'static str,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    q: QueueQuery,
    tab: &'static str,
    selectable: bool,
    tabs: Vec<TabLink>,
    sorts: Vec<SortLink>,
    sites: Vec<(String, String)>,
    authors: Vec<String>,
    rows: Vec<Row>,
    pages: Vec<PageLink>,
    prev: Option<String>,
    next: Option<String>,
    /// "Select all N matching": the confirmation page's address, when more than this page matches.
    all_matching: Option<String>,
    reasons: Vec<Reason>,
    filters_on: usize,
    back: String,
    showing: String,
    total_text: String,
    /// "Updating the list: N records still being indexed", while some are.
    indexing: Option<String>,
}

/// The reason templates a rejection offers: (key, text by language).
pub const REASONS: [&str; 5] =
    ["q_reason_hours", "q_reason_rate", "q_reason_code", "q_reason_photo", "q_reason_duplicate"];

fn reasons(lang: Lang) -> Vec<Reason> {
    REASONS.into_iter().map(|k| Reason { key: k, text: lang.t(k) }).collect()
}

/// Short form of a version for people (the first 8 hex digits of each head).
pub fn short_heads(heads: &[String]) -> String {
    heads.iter().map(|h| h.get(..8).unwrap_or(h)).collect::<Vec<_>>().join("+")
}

/// `{n}` in a translated pattern.
fn fill(pattern: &str, n: impl std::fmt::Display) -> String {
    pattern.replace("{n}", &n.to_string())
}

/// English plural by count (`_one` / `_other` keys); Chinese has one form.
fn plural(lang: Lang, one: &'static str, other: &'static str, n: i64) -> String {
    fill(lang.t(if n == 1 { one } else { other }), n)
}

/// When the current version arrived, in the site's time zone: 北京时间 for Asia/Shanghai.
pub fn submitted(ms: i64, tz: &str, lang: Lang) -> String {
    if ms <= 0 {
        return "—".into();
    }
    format::instant(ms, tz, lang)
}

/// How long ago, in the page language: "just now", "5 minutes ago", "3 days ago" / "3天前".
pub fn age(ms: i64, now_ms: i64, lang: Lang) -> String {
    if ms <= 0 {
        return String::new();
    }
    let mins = (now_ms - ms).max(0) / 60_000;
    match mins {
        0 => lang.t("q_just_now").to_string(),
        1..=59 => plural(lang, "q_ago_minute_one", "q_ago_minute_other", mins),
        60..=1439 => plural(lang, "q_ago_hour_one", "q_ago_hour_other", mins / 60),
        _ => plural(lang, "q_ago_day_one", "q_ago_day_other", mins / 1440),
    }
}

/// Why approving this record would fail, in words (checked against the reference data as it is
/// now, the way approval checks it: a site, cost code or activity the project does not have).
pub fn problems(r: &QueueRow, set: &ReferenceSet, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    if r.damage.is_some() {
        out.push(lang.t("q_fail_damaged").to_string());
        return out;
    }
    if r.conflict_count > 0 {
        out.push(plural(lang, "q_fail_conflicts_one", "q_fail_conflicts_other", r.conflict_count));
    }
    if r.voided != 0 {
        out.push(lang.t("q_fail_voided").to_string());
    }
    if !set.sites.is_empty() {
        match set.sites.iter().find(|s| s.id == r.site_id) {
            None => out.push(format!("{} {}", lang.t("q_fail_site"), r.site_id)),
            Some(s) if !r.time_zone.is_empty() && s.time_zone != r.time_zone => {
                out.push(format!("{} {} ≠ {}", lang.t("q_fail_time_zone"), r.time_zone, s.time_zone))
            }
            Some(_) => {}
        }
    }
    let (codes, acts) = r.refs();
    if !set.cost_codes.is_empty() {
        for c in codes.iter().filter(|c| !set.cost_codes.iter().any(|x| x.code == **c)) {
            out.push(format!("{} {c}", lang.t("q_fail_cost_code")));
        }
    }
    if !set.activities.is_empty() {
        for a in acts.iter().filter(|a| !set.activities.iter().any(|x| x.id == **a)) {
            out.push(format!("{} {a}", lang.t("q_fail_activity")));
        }
    }
    if let Some(p) = &r.problem {
        out.push(format!("{} {p}", lang.t("q_fail_invalid")));
    }
    out
}

fn site_name(set: &ReferenceSet, id: &str) -> String {
    set.sites.iter().find(|s| s.id == id).map_or_else(|| id.to_string(), |s| s.name.clone())
}

/// The site's time zone from the reference data, else the record's own.
fn site_zone<'a>(set: &'a ReferenceSet, r: &'a QueueRow) -> &'a str {
    set.sites.iter().find(|s| s.id == r.site_id).map_or(r.time_zone.as_str(), |s| s.time_zone.as_str())
}

fn worker_days_text(r: &QueueRow) -> String {
    r.worker_days.as_deref().and_then(|w| w.parse::<Decimal>().ok()).map_or_else(String::new, format::grouped)
}

fn row(r: QueueRow, set: &ReferenceSet, lang: Lang, now: i64, selectable: bool) -> Row {
    let problems =
        if r.queue_state == "approved" || r.queue_state == "rejected" { Vec::new() } else { problems(&r, set, lang) };
    let status = match (r.damage.is_some(), r.queue_state.as_str(), r.approved_heads.is_some()) {
        (true, _, _) => "damaged",
        (false, "approved", _) => "approved",
        (false, "rejected", _) => "rejected",
        (false, "voided", _) => "voided",
        (false, _, true) => "changed_since_approval",
        (false, _, false) => "new",
    };
    let amount = r.amount().map_or_else(|| "—".to_string(), |(a, c)| format::money(a, c, lang));
    let worker_days = worker_days_text(&r);
    let labour = match (r.headcount, r.line_count) {
        (Some(h), Some(l)) => format!(
            "{} · {} · {}",
            plural(lang, "q_headcount_one", "q_headcount_other", h),
            fill(lang.t(if worker_days == "1" { "q_worker_days_one" } else { "q_worker_days_other" }), &worker_days),
            plural(lang, "q_lines_one", "q_lines_other", l)
        ),
        _ => String::new(),
    };
    let zone = site_zone(set, &r).to_string();
    let decided = match (&r.decided_by_name, r.decided_at_ms) {
        (Some(by), Some(at)) if r.queue_state != "pending" => Some(format!("{by} · {}", submitted(at, &zone, lang))),
        _ => None,
    };
    let pick = (selectable && problems.is_empty() && r.queue_state == "pending" && r.damage.is_none())
        .then(|| format!("{}:{}", r.record_id, r.heads));
    Row {
        date: r.record_date.clone(),
        kind: kind_key(&r.kind),
        site: site_name(set, &r.site_id),
        site_id: r.site_id.clone(),
        author: r.author.clone(),
        amount,
        headcount: r.headcount.map(|h| h.to_string()).unwrap_or_default(),
        worker_days,
        lines: r.line_count.map(|l| l.to_string()).unwrap_or_default(),
        labour,
        submitted: submitted(r.submitted_at_ms, &zone, lang),
        age: age(r.submitted_at_ms, now, lang),
        status,
        conflicts: r.conflict_count,
        voided: r.voided != 0,
        damage: r.damage.clone(),
        problems,
        pick,
        decided,
        comment: r.decision_comment.clone().filter(|c| !c.trim().is_empty() && r.queue_state != "pending"),
        id: r.record_id,
    }
}

/// `GET /web/queue?tab=&site=&from=&to=&kind=&author=&sort=&dir=&page=`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let p = parse(&q)?;
    let project = &s.grant.project_id;
    // Records still waiting in migration 0012's re-index backlog (indexed in the background).
    let backlog = pending::refresh_index(&state.db, &state.cache, project).await?;
    let counts = pending::tab_counts(&state.db, project, &p.filter).await?;
    let total = counts.of(p.tab);
    let pages_n = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page_no = p.page.min(pages_n);
    let listed =
        pending::queue_rows(&state.db, project, &p.filter, p.tab, p.sort, p.desc, PER_PAGE, (page_no - 1) * PER_PAGE)
            .await?;
    let set = crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?;
    let authors = pending::authors(&state.db, project).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "queue", "queue");
    let lang = c.lang;
    let now = record_schema::now_ms();
    // Office people read the queue but do not decide: nothing to select.
    let selectable = p.tab.awaits_decision() && s.decides();
    let rows: Vec<Row> = listed.into_iter().map(|r| row(r, &set, lang, now, selectable)).collect();
    let tabs = Tab::ALL
        .iter()
        .map(|t| TabLink {
            key: t.key(),
            label: lang.t(tab_label(*t)),
            count: count_text(counts.of(*t)),
            href: q.href(&[("tab", if *t == Tab::Pending { "" } else { t.key() }), ("page", "")]),
            on: *t == p.tab,
        })
        .collect();
    let sorts = Sort::ALL
        .iter()
        .map(|so| {
            let on = *so == p.sort;
            let desc = if on { !p.desc } else { default_desc(*so) };
            SortLink {
                key: so.key(),
                label: lang.t(sort_label(*so)),
                href: q.href(&[("sort", so.key()), ("dir", if desc { "desc" } else { "asc" }), ("page", "")]),
                arrow: match (on, p.desc) {
                    (false, _) => "",
                    (true, true) => "▼",
                    (true, false) => "▲",
                },
            }
        })
        .collect();
    let window = (page_no - 3).max(1)..=(page_no + 3).min(pages_n);
    let mut page_links: Vec<PageLink> = Vec::new();
    let mut add = |n: i64| {
        if !page_links.iter().any(|l| l.n == n) {
            page_links.push(PageLink { n, href: q.href(&[("page", n.to_string().as_str())]), on: n == page_no });
        }
    };
    add(1);
    for n in window {
        add(n);
    }
    add(pages_n);
    let first = if total == 0 { 0 } else { (page_no - 1) * PER_PAGE + 1 };
    let last = ((page_no) * PER_PAGE).min(total);
    let picks = rows.iter().filter(|r| r.pick.is_some()).count() as i64;
    let all_matching = (selectable && p.tab != Tab::Conflicts && total > picks).then(|| {
        let mut pairs = q.filter_pairs();
        pairs.push(("tab", p.tab.key().to_string()));
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        format!("/web/queue/confirm?{}", query.join("&"))
    });
    let showing = lang
        .t("q_showing")
        .replace("{first}", &first.to_string())
        .replace("{last}", &last.to_string())
        .replace("{total}", &count_text(total));
    let page = QueuePage {
        tab: p.tab.key(),
        selectable,
        tabs,
        sorts,
        sites: set.sites.iter().map(|x| (x.id.clone(), x.name.clone())).collect(),
        authors,
        rows,
        total_text: count_text(total),
        prev: (page_no > 1).then(|| q.href(&[("page", (page_no - 1).to_string().as_str())])),
        next: (page_no < pages_n).then(|| q.href(&[("page", (page_no + 1).to_string().as_str())])),
        pages: if pages_n > 1 { page_links } else { Vec::new() },
        all_matching,
        reasons: reasons(lang),
        filters_on: q.filter_pairs().len(),
        back: c.path.clone(),
        showing,
        indexing: (backlog > 0).then(|| plural(lang, "q_indexing_one", "q_indexing_other", backlog)),
        q,
        c,
    };
    render(&page)
}

fn count_text(n: i64) -> String {
    if n > pending::COUNT_CAP {
        format!("{}+", format::grouped(Decimal::from(pending::COUNT_CAP)))
    } else {
        n.to_string()
    }
}

fn tab_label(t: Tab) -> &'static str {
    match t {
        Tab::Pending => "pending",
        Tab::Changed => "changed_since_approval",
        Tab::Conflicts => "conflicts",
        Tab::Approved => "approved",
        Tab::Rejected => "rejected",
        Tab::Voided => "voided",
    }
}

fn sort_label(s: Sort) -> &'static str {
    match s {
        Sort::Date => "date",
        Sort::Submitted => "q_submitted",
        Sort::Amount => "amount",
        Sort::Author => "author",
    }
}

/// Totals by currency, formatted and joined (`CN¥4,980.00`; several currencies side by side).
fn totals(rows: &[QueueRow], lang: Lang) -> String {
    let mut by: BTreeMap<&'static str, (Decimal, record_schema::Currency)> = BTreeMap::new();
    for (a, c) in rows.iter().filter_map(QueueRow::amount) {
        by.entry(c.code()).or_insert((Decimal::ZERO, c)).0 += a;
    }
    if by.is_empty() {
        return "—".into();
    }
    by.values().map(|(a, c)| format::money(*a, *c, lang)).collect::<Vec<_>>().join(" + ")
}

#[derive(Template)]
#[template(path = "queue_confirm.html")]
struct ConfirmPage {
    c: Chrome,
    rows: Vec<Row>,
    total: String,
    count_text: String,
    left_out: Vec<Row>,
    capped: bool,
    reasons: Vec<Reason>,
    back: String,
}

/// `GET /web/queue/confirm?tab=&site=&from=&to=&kind=&author=`: every record awaiting a decision
/// under the filter (up to `MAX_BULK`, oldest first), with their count, total and exact versions,
/// to approve or reject at once; those that would fail approval are listed apart, not included.
pub async fn confirm(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let p = parse(&q)?;
    if !p.tab.awaits_decision() {
        return Err(WebError::BadRequest("tab: only records awaiting a decision can be selected".into()));
    }
    let project = &s.grant.project_id;
    pending::refresh_index(&state.db, &state.cache, project).await?;
    let listed =
        pending::queue_rows(&state.db, project, &p.filter, p.tab, Sort::Date, false, MAX_BULK as i64 + 1, 0).await?;
    let capped = listed.len() > MAX_BULK;
    let set = crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "queue", "q_confirm_title");
    let lang = c.lang;
    let now = record_schema::now_ms();
    let (ok, bad): (Vec<QueueRow>, Vec<QueueRow>) =
        listed.into_iter().take(MAX_BULK).partition(|r| r.damage.is_none() && problems(r, &set, lang).is_empty());
    let total = totals(&ok, lang);
    let rows: Vec<Row> = ok.into_iter().map(|r| row(r, &set, lang, now, true)).collect();
    let count_text = plural(lang, "q_records_one", "q_records_other", rows.len() as i64);
    let back = q.href(&[("page", "")]);
    let page = ConfirmPage {
        left_out: bad.into_iter().map(|r| row(r, &set, lang, now, false)).collect(),
        rows,
        total,
        count_text,
        capped,
        reasons: reasons(lang),
        back,
        c,
    };
    render(&page)
}

pub struct BulkOutcome {
    pub id: String,
    pub ok: bool,
    /// The record in words: date · kind · site · author · amount.
    pub what: String,
    /// What happened, in words.
    pub message: String,
}

#[derive(Template)]
#[template(path = "bulk.html")]
struct BulkPage {
    c: Chrome,
    outcomes: Vec<BulkOutcome>,
    done: usize,
    approve: bool,
    comment: String,
    back: String,
}

/// Why a decision was refused, in the page language.
fn refusal(e: LedgerError, lang: Lang) -> String {
    match e {
        LedgerError::Conflicts(c) => plural(lang, "q_fail_conflicts_one", "q_fail_conflicts_other", c.len() as i64),
        LedgerError::Invalid(v) => {
            let reason = v.reason.clone();
            if let Some(code) = reason.strip_prefix("unknown cost code ") {
                format!("{} {}", lang.t("q_fail_cost_code"), code.trim_matches('"'))
            } else if let Some(a) = reason.strip_prefix("unknown activity ") {
                format!("{} {}", lang.t("q_fail_activity"), a.trim_matches('"'))
            } else if let Some(s) = reason.strip_prefix("unknown site ") {
                format!("{} {}", lang.t("q_fail_site"), s.trim_matches('"'))
            } else {
                format!("{} {v}", lang.t("q_fail_invalid"))
            }
        }
        LedgerError::UnknownHeads(_) => lang.t("q_out_unknown_version").to_string(),
        LedgerError::NoSuchRecord(_) => lang.t("q_out_no_record").to_string(),
        LedgerError::State(_, m) if m.contains("standing approval") => lang.t("q_out_standing").to_string(),
        LedgerError::Busy => lang.t("q_out_busy").to_string(),
        other => crate::error::ApiError::from(other).message,
    }
}

/// The reject reason: the free text, else the chosen template's text in the page language; both
/// when both were given.
fn reason_text(f: &Fields, lang: Lang) -> String {
    let free = f.get("reason").or_else(|| f.get("comment")).unwrap_or_default().trim().to_string();
    let template = f.get("template").and_then(|k| REASONS.into_iter().find(|r| *r == k)).map(|k| lang.t(k));
    match template {
        Some(t) if free.is_empty() => t.to_string(),
        Some(t) if !free.contains(t) => format!("{t}：{free}"),
        _ => free,
    }
}

/// `POST /web/queue/decide` (csrf, action = approve | reject, rec = `<id>:<head>,<head>` repeated,
/// template, reason, back): decides each listed version; one refusal does not stop the others, and
/// the page says what happened to each record. Also `POST /web/bulk-approve` (approve).
pub async fn decide(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Html<String>, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let lang = Lang::from_headers(&headers);
    let approve = match f.get("action").unwrap_or("approve") {
        "approve" => true,
        "reject" => false,
        other => return Err(WebError::BadRequest(format!("action: {other:?} is not one of approve, reject"))),
    };
    let recs: Vec<&str> = f.all("rec").collect();
    if recs.is_empty() {
        return Err(WebError::BadRequest(lang.t("q_none_selected").into()));
    }
    if recs.len() > MAX_BULK {
        return Err(WebError::BadRequest(format!("rec: at most {MAX_BULK} records at once")));
    }
    let comment = if approve { f.get("comment").unwrap_or_default().trim().to_string() } else { reason_text(&f, lang) };
    if !approve && comment.is_empty() {
        return Err(WebError::BadRequest(lang.t("q_reason_needed").into()));
    }
    let mut decided: Vec<(String, Result<(), String>)> = Vec::with_capacity(recs.len());
    for rec in recs {
        let Some((id, heads)) = rec.split_once(':') else {
            return Err(WebError::BadRequest(format!("rec: expected <id>:<heads>, got {rec:?}")));
        };
        let heads: Vec<String> = heads.split(',').filter(|h| !h.is_empty()).map(str::to_string).collect();
        let req = DecideRequest {
            record_id: id.to_string(),
            status: if approve { DecisionStatus::Approved } else { DecisionStatus::Rejected },
            heads,
            comment: comment.clone(),
            request_id: None,
        };
        let result = store::decide(&state.db, &state.cache, &s.grant, req).await.map(drop).map_err(|e| match e {
            e @ (LedgerError::Sql(_) | LedgerError::Docs(_)) => Err(e),
            e => Ok(refusal(e, lang)),
        });
        let result = match result {
            Ok(()) => Ok(()),
            Err(Ok(words)) => Err(words),
            Err(Err(e)) => return Err(e.into()),
        };
        decided.push((id.to_string(), result));
    }
    let project = &s.grant.project_id;
    pending::refresh_index(&state.db, &state.cache, project).await?;
    let ids: Vec<String> = decided.iter().map(|(id, _)| id.clone()).collect();
    let rows = pending::queue_rows_by_id(&state.db, project, &ids).await?;
    let set = crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?;
    let outcomes: Vec<BulkOutcome> = decided
        .into_iter()
        .map(|(id, result)| {
            let what = rows.iter().find(|r| r.record_id == id).map_or_else(|| id.clone(), |r| describe(r, &set, lang));
            match result {
                Ok(()) => BulkOutcome {
                    id,
                    ok: true,
                    what,
                    message: lang.t(if approve { "q_out_approved" } else { "q_out_rejected" }).to_string(),
                },
                Err(words) => {
                    BulkOutcome { id, ok: false, what, message: format!("{}：{words}", lang.t("q_out_not_decided")) }
                }
            }
        })
        .collect();
    let done = outcomes.iter().filter(|o| o.ok).count();
    let back = super::safe_back(f.get("back"));
    let title = if approve { "bulk_done" } else { "q_bulk_rejected_title" };
    render(&BulkPage {
        c: Chrome::new(Some(&s), &headers, &uri, "queue", title),
        outcomes,
        done,
        approve,
        comment,
        back,
    })
}

/// The former name of `decide` (`POST /web/bulk-approve`).
pub use decide as bulk_approve;

/// A record in words: `2026-11-20 · Labour sheet · 一号楼 · li · CN¥4,980.00`.
fn describe(r: &QueueRow, set: &ReferenceSet, lang: Lang) -> String {
    let mut parts = vec![r.record_date.clone(), lang.t(kind_key(&r.kind)).to_string(), site_name(set, &r.site_id)];
    parts.push(r.author.clone());
    if let Some((a, c)) = r.amount() {
        parts.push(format::money(a, c, lang));
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_times_read_as_words() {
        let day = 86_400_000;
        let now = 1_795_154_700_000;
        assert_eq!(age(now - 3 * day, now, Lang::En), "3 days ago");
        assert_eq!(age(now - day, now, Lang::En), "1 day ago");
        assert_eq!(age(now - 3 * day, now, Lang::ZhCn), "3天前");
        assert_eq!(age(now - 60_000, now, Lang::En), "1 minute ago");
        assert_eq!(age(now - 7_200_000, now, Lang::ZhCn), "2小时前");
        assert_eq!(age(now, now, Lang::ZhCn), "刚刚");
        assert_eq!(submitted(now, "Asia/Shanghai", Lang::ZhCn), "2026-11-20 14:05 北京时间");
        assert_eq!(submitted(now, "Asia/Shanghai", Lang::En), "2026-11-20 14:05 Beijing time");
    }

    #[test]
    fn links_keep_the_filters() {
        let q = QueueQuery { author: Some("li 四".into()), tab: Some("approved".into()), ..Default::default() };
        assert_eq!(q.href(&[("page", "2")]), "/web/queue?tab=approved&author=li%20%E5%9B%9B&page=2");
        assert_eq!(q.href(&[("tab", "")]), "/web/queue?author=li%20%E5%9B%9B");
    }
}

//! A cost code's page (`/web/cost/{code}?from=&to=&before=&per=`): the code's figures in the
//! period (cards, as the cost page's), the path up the code tree, the codes under it with their
//! figures, and the postings charged to the code itself, newest first, a page at a time, each
//! linking to the record behind it. A parent's own postings plus its children's actuals make its
//! actual; the page says so. Queries: `reports::drilldown` (index-backed keyset paging).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Html;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::error::ApiError;
use crate::reports::drilldown::{self, Cursor, DEFAULT_PAGE};
use crate::reports::query::ReportQuery;
use crate::reports::{cost, today};
use crate::state::AppState;
use crate::web::dashboards::{CostLine, Preset, code_href, cost_cards, cost_line, cost_presets, fill, range_query};
use crate::web::format::{grouped, money_code};
use crate::web::record::category_words;
use crate::web::session::WebSession;
use crate::web::{Chrome, WebError, kind_key, render, urlencode};

#[derive(Debug, Deserialize, Default)]
pub struct DrillQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// The cursor of the page (`DATE.ID` of the last posting of the previous page).
    pub before: Option<String>,
    /// Postings per page (1 to 200; 50 when blank).
    pub per: Option<String>,
}

pub struct PostingLine {
    pub id: i64,
    pub date: String,
    pub record_id: String,
    pub kind: &'static str,
    pub site: String,
    pub who: String,
    pub worker_days: String,
    pub amount: String,
    pub amount_class: &'static str,
    pub reversal: bool,
}

#[derive(Template)]
#[template(path = "dash_drill.html")]
struct DrillPage {
    c: Chrome,
    code: String,
    name: String,
    in_reference: bool,
    from: String,
    to: String,
    presets: Vec<Preset>,
    cards: Vec<crate::web::dashboards::Card>,
    /// The codes above this one (links), top first.
    path: Vec<(String, String)>,
    children: Vec<CostLine>,
    /// This code's own actual (beyond its children's), when it has children.
    direct: String,
    postings: Vec<PostingLine>,
    count_text: String,
    page_sum: String,
    /// Links to the first page (when not on it) and the next, older page.
    newest: String,
    older: String,
}

/// `GET /web/cost/{code}?from=&to=&before=&per=`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(code): Path<String>,
    q: Result<Query<DrillQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let range = ReportQuery { from: q.from.clone(), to: q.to.clone(), ..ReportQuery::default() }.range()?;
    let before = q.before.as_deref().filter(|b| !b.trim().is_empty()).map(Cursor::parse).transpose()?;
    let per = match q.per.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => DEFAULT_PAGE,
        Some(p) => p.parse::<i64>().ok().filter(|n| (1..=drilldown::MAX_PAGE).contains(n)).ok_or_else(|| {
            WebError::from(crate::reports::ReportError::BadInput(
                "per",
                format!("expected a number from 1 to {}, got {p:?}", drilldown::MAX_PAGE),
            ))
        })?,
    };
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let report = cost::report(&state.db, &set, range).await?;
    let mut c = Chrome::new(Some(&s), &headers, &uri, "cost", "dash_drill_title");
    let lang = c.lang;
    let Some(row) = report.codes.iter().find(|r| r.code == code) else {
        return Err(ApiError::not_found("code", lang.t("dash_no_such_code").replace("{code}", &code)).into());
    };
    c.title = format!("{} {}", row.code, row.name).trim().to_string();
    let cur = report.currency;

    // Up the tree, then the codes directly under this one.
    let mut path = Vec::new();
    let mut parent = row.parent.clone();
    while let Some(p) = parent.take() {
        let Some(up) = report.codes.iter().find(|r| r.code == p) else { break };
        if path.iter().any(|(href, _)| *href == code_href(&up.code, range)) {
            break;
        }
        path.push((code_href(&up.code, range), format!("{} {}", up.code, up.name)));
        parent = up.parent.clone();
    }
    path.reverse();
    let children: Vec<&cost::CostRow> = report.codes.iter().filter(|r| r.parent.as_deref() == Some(&code)).collect();
    let children_actual: Decimal = children.iter().map(|r| r.actual).sum();
    let direct = if children.is_empty() { String::new() } else { money_code(row.actual - children_actual, cur, lang) };

    let page = drilldown::code_postings(&state.db, &s.grant.project_id, &code, range, before, per).await?;
    let site_name = |id: &str| set.sites.iter().find(|s| s.id == id).map_or_else(|| id.to_string(), |s| s.name.clone());
    let postings: Vec<PostingLine> = page
        .postings
        .iter()
        .map(|p| {
            let who = match (&p.trade, &p.crew, &p.category) {
                (Some(t), Some(c), _) => format!("{t} · {c}"),
                (Some(t), None, _) => t.clone(),
                (None, _, Some(cat)) => category_words(cat, set.category_name(cat), lang),
                _ => String::new(),
            };
            PostingLine {
                id: p.id,
                date: p.work_date.to_string(),
                record_id: p.record_id.clone(),
                kind: lang.t(kind_key(&p.record_kind)),
                site: site_name(&p.site_id),
                who,
                worker_days: if p.person_days.is_zero() { String::new() } else { grouped(p.person_days.normalize()) },
                amount: money_code(p.amount, &p.currency, lang),
                amount_class: if p.amount < Decimal::ZERO { "bad" } else { "" },
                reversal: p.entry == "reversal",
            }
        })
        .collect();
    let page_sum = money_code(page.postings.iter().filter(|p| p.currency == cur).map(|p| p.amount).sum(), cur, lang);
    let count_text = match page.count {
        1 => lang.t("dash_postings_count_one").to_string(),
        n if n > drilldown::COUNT_CAP => fill(lang.t("dash_postings_count_many"), grouped(drilldown::COUNT_CAP.into())),
        n => fill(lang.t("dash_postings_count"), grouped(n.into())),
    };
    let per_q = if per == DEFAULT_PAGE { String::new() } else { format!("&per={per}") };
    let base = format!("/web/cost/{}?{}{per_q}", urlencode(&code), range_query(range));
    let older = page.next.map(|n| format!("{base}&before={}", urlencode(&n.text()))).unwrap_or_default();
    let newest = if before.is_some() { base.clone() } else { String::new() };
    let day = today(&set);
    let over = children.iter().filter(|r| r.actual > r.budget).count();
    let over_note = if children.is_empty() {
        String::new()
    } else {
        match over {
            0 => lang.t("dash_codes_over_none").to_string(),
            1 => lang.t("dash_codes_over_one").to_string(),
            n => fill(lang.t("dash_codes_over"), n),
        }
    };
    let page = DrillPage {
        code: row.code.clone(),
        name: row.name.clone(),
        in_reference: row.in_reference,
        from: range.from.map(|d| d.to_string()).unwrap_or_default(),
        to: range.to.unwrap_or(day).to_string(),
        presets: cost_presets(&format!("/web/cost/{}", urlencode(&code)), range, day, lang),
        cards: cost_cards(row, cur, lang, over_note),
        path,
        children: children.iter().map(|r| cost_line(r, cur, lang, range)).collect(),
        direct,
        postings,
        count_text,
        page_sum,
        newest,
        older,
        c,
    };
    render(&page)
}

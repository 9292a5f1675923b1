//! The day's photos of the project (`GET /web/photos?date=&site=&page=`): progress photos and
//! receipts with their thumbnails, capture time in the site's zone, GPS with an OpenStreetMap link,
//! and a link to the record each belongs to. One day at a time, paged; receipts are shown whole
//! (not cropped). No script needed: a thumbnail links to the original.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Html;
use chrono::NaiveDate;
use record_schema::Record;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::WebSession;
use super::{Chrome, WebError, render, urlencode};
use crate::db::{Db, on_pool};
use crate::ledger::store;
use crate::state::AppState;

/// Photos per page.
pub const PAGE_SIZE: usize = 48;
/// Records of one day read at most (a site reports up to 100 expenses and some progress reports a
/// day; a company's project has a few sites).
const MAX_RECORDS: i64 = 1_000;

pub struct GalleryPhoto {
    pub sha256: String,
    pub receipt: bool,
    pub alt: String,
    pub taken: String,
    pub place: String,
    pub map: String,
    pub record: String,
    pub record_label: String,
    pub site: String,
}

#[derive(Template)]
#[template(path = "photos_day.html")]
struct GalleryPage {
    c: Chrome,
    date: String,
    site: String,
    sites: Vec<(String, String)>,
    photos: Vec<GalleryPhoto>,
    count: String,
    showing: String,
    prev_day: String,
    next_day: String,
    prev_page: Option<String>,
    next_page: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct GalleryQuery {
    date: Option<String>,
    site: Option<String>,
    page: Option<usize>,
}

#[derive(sqlx::FromRow)]
struct DayRecord {
    record_id: String,
}

/// `(latitude, longitude (± accuracy), OpenStreetMap link)`, or empty when no place was recorded.
pub fn place(location: Option<&record_schema::GeoPoint>) -> (String, String) {
    match location {
        Some(p) => super::format::place(p.latitude, p.longitude, p.accuracy_m),
        None => (String::new(), String::new()),
    }
}

fn link(date: NaiveDate, site: &str, page: usize) -> String {
    let mut l = format!("/web/photos?date={date}");
    if !site.is_empty() {
        l.push_str(&format!("&site={}", urlencode(site)));
    }
    if page > 1 {
        l.push_str(&format!("&page={page}"));
    }
    l
}

/// `GET /web/photos?date=&site=&page=`
pub async fn day(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<GalleryQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let project = s.grant.project_id.clone();
    let set = crate::reference::store::load(&state.db, &project).await.map_err(WebError::internal)?;
    let date = match q.date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| WebError::Api(crate::error::ApiError::bad_request("date", "is not a date (YYYY-MM-DD)")))?,
        None => crate::reports::today(&set),
    };
    let site = q.site.unwrap_or_default();
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    crate::ledger::pending::refresh_index(&state.db, &state.cache, &project).await?;
    let day = date.to_string();
    let rows: Vec<DayRecord> = on_pool!(&state.db, |p| sqlx::query_as(
        "SELECT record_id FROM record_index WHERE project_id = $1 AND record_date = $2 \
         AND kind IN ('expense', 'progress_report') AND voided = 0 AND ($3 = '' OR site_id = $3) \
         ORDER BY site_id, record_id LIMIT $4"
    )
    .bind(&project)
    .bind(&day)
    .bind(&site)
    .bind(MAX_RECORDS)
    .fetch_all(p)
    .await)
    .map_err(WebError::internal)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "photos", "photos_title");
    let lang = c.lang;
    let site_name = |id: &str| set.sites.iter().find(|s| s.id == id).map_or_else(|| id.to_string(), |s| s.name.clone());
    let mut all: Vec<(i64, GalleryPhoto)> = Vec::new();
    for row in rows {
        let Ok(stored) = store::load_record(&state.db, &state.cache, &project, &row.record_id).await else { continue };
        let record = Record::read(&stored.doc);
        state.cache.put(stored);
        let Ok(record) = record else { continue };
        let h = record.header();
        let (photos, receipt, label) = match &record {
            Record::Expense(e) => (
                &e.receipts,
                true,
                format!(
                    "{} {}",
                    lang.t("expense"),
                    crate::web::record::category_words(&e.category, set.category_name(&e.category), lang)
                ),
            ),
            Record::ProgressReport(p) => (
                &p.photos,
                false,
                format!(
                    "{} {}",
                    lang.t("progress_report"),
                    set.activities.iter().find(|a| a.id == p.activity).map_or(p.activity.as_str(), |a| a.name.as_str())
                ),
            ),
            Record::Observation(o) => (&o.photos, false, format!("{} {}", lang.t("observation"), o.title)),
            // A signed advance slip is a wage document: shown on its record's page, not in the
            // project's gallery.
            // A day log has no photos.
            Record::LabourSheet(_) | Record::WageAdvance(_) | Record::DayLog(_) => continue,
        };
        for (i, p) in photos.iter().enumerate() {
            let (place, map) = place(p.location.as_ref());
            all.push((
                p.captured_at_ms,
                GalleryPhoto {
                    sha256: p.sha256.clone(),
                    receipt,
                    alt: format!(
                        "{} {} · {}",
                        lang.t(if receipt { "photos_receipt" } else { "photos_progress" }),
                        i + 1,
                        h.author
                    ),
                    taken: super::history::when(p.captured_at_ms, &h.time_zone, lang),
                    place,
                    map,
                    record: h.id.clone(),
                    record_label: format!("{label} · {}", h.author),
                    site: site_name(&h.site_id),
                },
            ));
        }
    }
    // In the order they were taken.
    all.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.sha256.cmp(&b.1.sha256)));
    let total = all.len();
    let start = (page - 1) * PAGE_SIZE;
    let photos: Vec<GalleryPhoto> = all.into_iter().skip(start).take(PAGE_SIZE).map(|(_, p)| p).collect();
    let count = count_words(total, lang);
    let showing = if total > PAGE_SIZE && !photos.is_empty() {
        lang.t("photos_showing")
            .replace("{a}", &(start + 1).to_string())
            .replace("{b}", &(start + photos.len()).to_string())
            .replace("{n}", &total.to_string())
    } else {
        String::new()
    };
    let page_view = GalleryPage {
        date: day,
        sites: set.sites.iter().map(|s| (s.id.clone(), s.name.clone())).collect(),
        photos,
        count,
        showing,
        prev_day: link(date.pred_opt().unwrap_or(date), &site, 1),
        next_day: link(date.succ_opt().unwrap_or(date), &site, 1),
        prev_page: (page > 1).then(|| link(date, &site, page - 1)),
        next_page: (start + PAGE_SIZE < total).then(|| link(date, &site, page + 1)),
        site,
        c,
    };
    render(&page_view)
}

/// `1 photo`, `12 photos`, `12 张照片`.
fn count_words(n: usize, lang: Lang) -> String {
    if n == 1 {
        lang.t("photos_count_one").to_string()
    } else {
        lang.t("photos_count_many").replace("{n}", &n.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_counts() {
        let p = record_schema::GeoPoint { latitude: 31.230416, longitude: 121.473701, accuracy_m: Some(8.0) };
        let (text, map) = place(Some(&p));
        assert_eq!(text, "31.23042, 121.47370 (±8 m)");
        assert!(map.starts_with("https://www.openstreetmap.org/?mlat=31.230416&mlon=121.473701"), "{map}");
        assert_eq!(place(None), (String::new(), String::new()));
        assert_eq!(count_words(1, Lang::En), "1 photo");
        assert_eq!(count_words(3, Lang::En), "3 photos");
        assert_eq!(count_words(3, Lang::ZhCn), "3 张照片");
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        assert_eq!(link(d, "s 1", 2), "/web/photos?date=2026-11-20&site=s%201&page=2");
    }
}

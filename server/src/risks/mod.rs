//! The risk register (issue 22; docs/risks.md): risks per project with probability and impact
//! (1–5), owner, response, due date, status and history; the 5×5 heat map; promotion from an
//! observation. Tables `risks` and `risk_events` (migration 0020).
//!
//! * this module: the words of a risk (category, strategy, status, level), its label (`R-0001`),
//!   the errors, and the reads (one risk, the list, the matrix, the dashboard's counts and worst
//!   open risks);
//! * `store`: create, edit, close and reopen, each change recorded field by field in `risk_events`;
//! * `promote`: a risk from a field observation;
//! * `export`: the list as a CSV/XLSX table.

pub mod export;
pub mod promote;
pub mod store;

use std::collections::HashMap;

use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Serialize;

use crate::db::{Db, on_pool};
use crate::error::ApiError;

/// Longest title and owner, in bytes (as an observation's title).
pub const MAX_TITLE_BYTES: usize = record_schema::validate::MAX_NAME_BYTES;
pub const MAX_OWNER_BYTES: usize = record_schema::validate::MAX_NAME_BYTES;
/// Longest description, response plan and note, in bytes.
pub const MAX_TEXT_BYTES: usize = record_schema::validate::MAX_NOTE_BYTES;

/// Defines a closed set of words stored as text: `as_str`, `parse`, `ALL`.
macro_rules! words {
    ($(#[$m:meta])* $name:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        $(#[$m])*
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s.trim() { $($s => Some($name::$v),)+ _ => None }
            }

            /// The words allowed, for refusals: `a, b, c`.
            pub fn listed() -> String {
                [$($s),+].join(", ")
            }
        }
    };
}

words!(
    /// What a risk threatens.
    #[schema(as = RiskCategory)]
    Category { Safety => "safety", Quality => "quality", Schedule => "schedule", Cost => "cost", Other => "other" }
);
words!(
    /// The response's strategy.
    #[schema(as = RiskStrategy)]
    Strategy { Avoid => "avoid", Mitigate => "mitigate", Transfer => "transfer", Accept => "accept" }
);
words!(
    /// Where a risk stands: open, being mitigated, or closed.
    #[schema(as = RiskStatus)]
    Status { Open => "open", Mitigating => "mitigating", Closed => "closed" }
);
words!(
    /// The level of a score (probability × impact).
    #[schema(as = RiskLevel)]
    Level { Low => "low", Medium => "medium", High => "high", Critical => "critical" }
);

impl Level {
    /// low 1–4, medium 5–9, high 10–16, critical 20–25 (a product of two 1–5 values is never 17–19).
    pub fn of(score: i64) -> Level {
        match score {
            ..=4 => Level::Low,
            5..=9 => Level::Medium,
            10..=16 => Level::High,
            _ => Level::Critical,
        }
    }

    /// The scores of the level, inclusive, for SQL filters.
    pub fn scores(self) -> (i64, i64) {
        match self {
            Level::Low => (1, 4),
            Level::Medium => (5, 9),
            Level::High => (10, 16),
            Level::Critical => (17, 25),
        }
    }
}

/// An observation's category as a risk's: a delay threatens the schedule.
pub fn category_of_observation(category: &str) -> Category {
    match category {
        "safety" => Category::Safety,
        "quality" => Category::Quality,
        "delay" => Category::Schedule,
        _ => Category::Other,
    }
}

/// The impact proposed for an observation's severity: low 2, medium 3, high 4, critical 5.
pub fn impact_of_severity(severity: &str) -> i64 {
    match severity {
        "low" => 2,
        "high" => 4,
        "critical" => 5,
        _ => 3,
    }
}

/// `R-0001` for number 1.
pub fn label(number: i64) -> String {
    format!("R-{number:04}")
}

/// The number of a label `R-0001` (case ignored, leading zeros optional); `None` when it is not one.
pub fn parse_label(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix("R-").or_else(|| t.strip_prefix("r-"))?;
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    /// 400: not readable as asked (a date that is not one, a probability that is not an integer).
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    /// 422: readable but not valid (a probability of 7, an empty title).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// 404: no such risk (or observation) in the caller's project.
    #[error("{field}: {message}")]
    NotFound { field: String, message: String },
    /// 409: refused because of the current state (editing a closed risk, promoting twice).
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// The risk was made from an observation, but marking the observation promoted failed: the risk
    /// stands (`label`); promoting the observation again retries the marking.
    #[error("risk {label} was created, but the observation was not marked promoted: {message}")]
    NotMarked { label: String, message: String },
    /// Reading the observation to promote failed (not a refusal of the request's input).
    #[error("observation: {0}")]
    Observation(#[from] crate::observations::ObservationError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

pub type RiskResult<T> = Result<T, RiskError>;

impl RiskError {
    pub fn bad(field: &str, message: impl Into<String>) -> Self {
        RiskError::BadInput { field: field.into(), message: message.into() }
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        RiskError::Invalid { field: field.into(), message: message.into() }
    }
    pub fn not_found(field: &str, message: impl Into<String>) -> Self {
        RiskError::NotFound { field: field.into(), message: message.into() }
    }
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        RiskError::Conflict { field: field.into(), message: message.into() }
    }

    /// The field a person should look at (`None` for internal errors).
    pub fn field(&self) -> Option<&str> {
        match self {
            RiskError::BadInput { field, .. }
            | RiskError::Invalid { field, .. }
            | RiskError::NotFound { field, .. }
            | RiskError::Conflict { field, .. } => Some(field),
            RiskError::NotMarked { .. } | RiskError::Observation(_) => Some("id"),
            RiskError::Sql(_) => None,
        }
    }
}

impl From<RiskError> for ApiError {
    fn from(e: RiskError) -> Self {
        match e {
            RiskError::BadInput { field, message } => ApiError::bad_request(&field, message),
            RiskError::Invalid { field, message } => ApiError::unprocessable(&field, message),
            RiskError::NotFound { field, message } => ApiError::not_found(&field, message),
            RiskError::Conflict { field, message } => ApiError::conflict(&field, message),
            e @ RiskError::NotMarked { .. } => {
                tracing::error!(error = %e, "promotion half done");
                ApiError {
                    status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    code: "not_marked",
                    field: Some("id".into()),
                    message: format!("{e}; promote it again to retry the marking"),
                }
            }
            RiskError::Observation(e) => ApiError::from(e),
            RiskError::Sql(e) => ApiError::internal(e),
        }
    }
}

impl IntoResponse for RiskError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// A risk as stored, with its label, score and level.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RiskRow {
    pub label: String,
    #[serde(skip)]
    pub project_id: String,
    pub number: i64,
    pub title: String,
    pub description: Option<String>,
    pub category: Category,
    pub probability: i64,
    pub impact: i64,
    pub score: i64,
    pub level: Level,
    pub owner: Option<String>,
    pub strategy: Option<Strategy>,
    pub response: Option<String>,
    pub due: Option<NaiveDate>,
    pub status: Status,
    pub source_record_id: Option<String>,
    pub created_by: String,
    pub created_at_ms: i64,
    pub updated_by: String,
    pub updated_at_ms: i64,
}

impl RiskRow {
    /// Open or being mitigated, with a due date before `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status != Status::Closed && self.due.is_some_and(|d| d < today)
    }
}

/// The columns of `risks` every read selects (a literal, for `concat!`).
macro_rules! risk_columns {
    () => {
        "project_id, number, title, description, category, probability, impact, owner, strategy, response, due_on, \
         status, source_record_id, created_by, created_at_ms, updated_by, updated_at_ms"
    };
}
pub(crate) use risk_columns;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StoredRisk {
    project_id: String,
    number: i64,
    title: String,
    description: Option<String>,
    category: String,
    probability: i64,
    impact: i64,
    owner: Option<String>,
    strategy: Option<String>,
    response: Option<String>,
    due_on: Option<String>,
    status: String,
    source_record_id: Option<String>,
    created_by: String,
    created_at_ms: i64,
    updated_by: String,
    updated_at_ms: i64,
}

impl From<StoredRisk> for RiskRow {
    fn from(s: StoredRisk) -> RiskRow {
        let score = s.probability * s.impact;
        RiskRow {
            label: label(s.number),
            project_id: s.project_id,
            number: s.number,
            title: s.title,
            description: s.description,
            // The table's CHECKs hold these to the words; `Other`/`Open` only for a hand-edited row.
            category: Category::parse(&s.category).unwrap_or(Category::Other),
            probability: s.probability,
            impact: s.impact,
            score,
            level: Level::of(score),
            owner: s.owner,
            strategy: s.strategy.as_deref().and_then(Strategy::parse),
            response: s.response,
            due: s.due_on.as_deref().and_then(|d| d.parse().ok()),
            status: Status::parse(&s.status).unwrap_or(Status::Open),
            source_record_id: s.source_record_id,
            created_by: s.created_by,
            created_at_ms: s.created_at_ms,
            updated_by: s.updated_by,
            updated_at_ms: s.updated_at_ms,
        }
    }
}

/// One line of a risk's history: what changed from what to what, who and when.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow, utoipa::ToSchema)]
pub struct RiskEvent {
    /// created, promoted, edited, closed, reopened.
    pub action: String,
    /// The field changed (`None` for created and promoted).
    pub field: Option<String>,
    #[sqlx(rename = "from_value")]
    pub from: Option<String>,
    #[sqlx(rename = "to_value")]
    pub to: Option<String>,
    pub note: Option<String>,
    #[sqlx(rename = "by_name")]
    pub by: String,
    pub at_ms: i64,
}

/// What a list keeps: status (`open` also keeps mitigating ones: everything not closed, as `active`
/// does), level, and one cell of the matrix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub status: Option<StatusFilter>,
    pub level: Option<Level>,
    pub probability: Option<i64>,
    pub impact: Option<i64>,
}

/// A list's status filter: one status, or every status but closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Is(Status),
    Active,
}

impl StatusFilter {
    /// `open`, `mitigating`, `closed`, `active` (not closed) or `all`/empty (`None`).
    pub fn parse(field: &str, text: Option<&str>) -> RiskResult<Option<StatusFilter>> {
        match text.map(str::trim).unwrap_or_default() {
            "" | "all" => Ok(None),
            "active" => Ok(Some(StatusFilter::Active)),
            t => Status::parse(t)
                .map(|s| Some(StatusFilter::Is(s)))
                .ok_or_else(|| RiskError::bad(field, format!("{t:?} is not one of {}, active, all", Status::listed()))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Is(s) => s.as_str(),
            StatusFilter::Active => "active",
        }
    }
}

impl ListFilter {
    /// Reads `status`, `level`, `probability` and `impact` (each optional) as the API and the
    /// screens pass them.
    pub fn parse(
        status: Option<&str>,
        level: Option<&str>,
        probability: Option<&str>,
        impact: Option<&str>,
    ) -> RiskResult<ListFilter> {
        let level = match level.map(str::trim).unwrap_or_default() {
            "" | "all" => None,
            t => Some(
                Level::parse(t)
                    .ok_or_else(|| RiskError::bad("level", format!("{t:?} is not one of {}", Level::listed())))?,
            ),
        };
        let one_to_five = |field: &str, v: Option<&str>| -> RiskResult<Option<i64>> {
            match v.map(str::trim).unwrap_or_default() {
                "" => Ok(None),
                t => t
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .map(Some)
                    .ok_or_else(|| RiskError::bad(field, "expected an integer from 1 to 5")),
            }
        };
        Ok(ListFilter {
            status: StatusFilter::parse("status", status)?,
            level,
            probability: one_to_five("probability", probability)?,
            impact: one_to_five("impact", impact)?,
        })
    }

    fn keeps(&self, r: &RiskRow) -> bool {
        let status = match self.status {
            None => true,
            Some(StatusFilter::Is(s)) => r.status == s,
            Some(StatusFilter::Active) => r.status != Status::Closed,
        };
        status
            && self.level.is_none_or(|l| r.level == l)
            && self.probability.is_none_or(|p| r.probability == p)
            && self.impact.is_none_or(|i| r.impact == i)
    }
}

/// Worst first: score, then impact, then the earliest due date (none last), then the number.
fn worst_first(a: &RiskRow, b: &RiskRow) -> std::cmp::Ordering {
    b.score
        .cmp(&a.score)
        .then(b.impact.cmp(&a.impact))
        .then_with(|| match (a.due, b.due) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
        .then(a.number.cmp(&b.number))
}

/// The project's risks the filter keeps, by number. A register holds tens of risks, not thousands:
/// the filter runs over the project's rows.
pub async fn list(db: &Db, project: &str, filter: &ListFilter) -> RiskResult<Vec<RiskRow>> {
    let sql = concat!("SELECT ", risk_columns!(), " FROM risks WHERE project_id = $1 ORDER BY number");
    let rows: Vec<StoredRisk> = on_pool!(db, |p| sqlx::query_as(sql).bind(project).fetch_all(p).await)?;
    Ok(rows.into_iter().map(RiskRow::from).filter(|r| filter.keeps(r)).collect())
}

/// One risk of the project by number.
pub async fn get(db: &Db, project: &str, number: i64) -> RiskResult<Option<RiskRow>> {
    let sql = concat!("SELECT ", risk_columns!(), " FROM risks WHERE project_id = $1 AND number = $2");
    let row: Option<StoredRisk> =
        on_pool!(db, |p| sqlx::query_as(sql).bind(project).bind(number).fetch_optional(p).await)?;
    Ok(row.map(RiskRow::from))
}

/// One risk by its label (`R-0001`); 404 naming `label` when the text is not a label or the project
/// has no such risk (another project's risk is not found either).
pub async fn by_label(db: &Db, project: &str, text: &str) -> RiskResult<RiskRow> {
    let missing = || RiskError::not_found("label", format!("no risk {text:?} in your project"));
    let number = parse_label(text).ok_or_else(missing)?;
    get(db, project, number).await?.ok_or_else(missing)
}

/// The risk made from an observation, if one was.
pub async fn by_source(db: &Db, project: &str, record_id: &str) -> RiskResult<Option<RiskRow>> {
    let sql = concat!("SELECT ", risk_columns!(), " FROM risks WHERE project_id = $1 AND source_record_id = $2");
    let row: Option<StoredRisk> =
        on_pool!(db, |p| sqlx::query_as(sql).bind(project).bind(record_id).fetch_optional(p).await)?;
    Ok(row.map(RiskRow::from))
}

/// A risk's history, oldest first.
pub async fn events(db: &Db, project: &str, number: i64) -> RiskResult<Vec<RiskEvent>> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT action, field, from_value, to_value, note, by_name, at_ms FROM risk_events \
         WHERE project_id = $1 AND number = $2 ORDER BY id"
    )
    .bind(project)
    .bind(number)
    .fetch_all(p)
    .await)?)
}

/// The 5×5 heat map: `cells[p - 1][i - 1]` counts the risks of probability p and impact i.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Matrix {
    pub cells: [[i64; 5]; 5],
    pub total: i64,
}

impl Matrix {
    pub fn count(&self, probability: i64, impact: i64) -> i64 {
        let (p, i) = (usize::try_from(probability - 1).ok(), usize::try_from(impact - 1).ok());
        p.zip(i).and_then(|(p, i)| self.cells.get(p)?.get(i).copied()).unwrap_or(0)
    }
}

/// The matrix of the risks a filter keeps (by default the screens pass `active`: not closed).
pub async fn matrix(db: &Db, project: &str, status: Option<StatusFilter>) -> RiskResult<Matrix> {
    let filter = ListFilter { status, ..ListFilter::default() };
    Ok(matrix_of(&list(db, project, &filter).await?))
}

/// The matrix of these risks.
pub fn matrix_of(risks: &[RiskRow]) -> Matrix {
    let mut m = Matrix::default();
    for r in risks {
        if let (Ok(p @ 0..=4), Ok(i @ 0..=4)) = (usize::try_from(r.probability - 1), usize::try_from(r.impact - 1)) {
            m.cells[p][i] += 1;
            m.total += 1;
        }
    }
    m
}

/// A project's open risks for the portfolio: `open` counts every risk not closed (open or being
/// mitigated), `high` those of them at level high or critical.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct RiskCounts {
    pub open: i64,
    pub high: i64,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    project_id: String,
    open: i64,
    high: i64,
}

/// Every project's [`RiskCounts`] (projects without an open risk are absent), in one statement.
pub async fn open_counts(db: &Db) -> RiskResult<HashMap<String, RiskCounts>> {
    let rows: Vec<CountRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT project_id, CAST(COUNT(*) AS BIGINT) AS open, \
         CAST(SUM(CASE WHEN probability * impact >= 10 THEN 1 ELSE 0 END) AS BIGINT) AS high \
         FROM risks WHERE status <> 'closed' GROUP BY project_id"
    )
    .fetch_all(p)
    .await)?;
    Ok(rows.into_iter().map(|r| (r.project_id, RiskCounts { open: r.open, high: r.high })).collect())
}

/// The project's open risks (open or being mitigated), worst first (score, impact, earliest due),
/// at most `limit` (the dashboard's panel).
pub async fn open_risks(db: &Db, project: &str, limit: i64) -> RiskResult<Vec<RiskRow>> {
    let filter = ListFilter { status: Some(StatusFilter::Active), ..ListFilter::default() };
    let mut rows = list(db, project, &filter).await?;
    rows.sort_by(worst_first);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(rows)
}

/// Open risks by level (the panel's counts).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct LevelCounts {
    pub low: i64,
    pub medium: i64,
    pub high: i64,
    pub critical: i64,
}

impl LevelCounts {
    pub fn of(risks: &[RiskRow]) -> LevelCounts {
        let mut c = LevelCounts::default();
        for r in risks {
            match r.level {
                Level::Low => c.low += 1,
                Level::Medium => c.medium += 1,
                Level::High => c.high += 1,
                Level::Critical => c.critical += 1,
            }
        }
        c
    }

    pub fn total(&self) -> i64 {
        self.low + self.medium + self.high + self.critical
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_cover_every_score() {
        assert_eq!(Level::of(1), Level::Low);
        assert_eq!(Level::of(4), Level::Low);
        assert_eq!(Level::of(5), Level::Medium);
        assert_eq!(Level::of(9), Level::Medium);
        assert_eq!(Level::of(10), Level::High);
        assert_eq!(Level::of(16), Level::High);
        assert_eq!(Level::of(20), Level::Critical);
        assert_eq!(Level::of(25), Level::Critical);
        for p in 1..=5 {
            for i in 1..=5 {
                let (lo, hi) = Level::of(p * i).scores();
                assert!((lo..=hi).contains(&(p * i)));
            }
        }
    }

    #[test]
    fn labels() {
        assert_eq!(label(1), "R-0001");
        assert_eq!(label(12345), "R-12345");
        assert_eq!(parse_label("R-0001"), Some(1));
        assert_eq!(parse_label("r-12"), Some(12));
        for bad in ["", "R-", "R-0", "0001", "R-1a", "R--1", "X-0001", "R-9999999999999"] {
            assert_eq!(parse_label(bad), None, "{bad}");
        }
    }

    /// The portfolio's counts and the dashboard's worst-first list, per project, on SQLite.
    #[tokio::test]
    async fn open_counts_and_worst_first() {
        let dir = tempfile::tempdir().expect("dir");
        let db = Db::connect(None, dir.path()).await.expect("database");
        let add = |project: &'static str, title: &'static str, p: i64, i: i64, due: Option<&'static str>| {
            let db = db.clone();
            async move {
                let mut input = store::Input::new();
                input.insert("title".into(), Some(title.into()));
                input.insert("probability".into(), Some(p.to_string()));
                input.insert("impact".into(), Some(i.to_string()));
                input.insert("due".into(), due.map(str::to_string));
                store::create(&db, project, &input, "test").await.expect("created")
            }
        };
        add("P1", "low", 1, 2, None).await;
        add("P1", "high late", 2, 5, Some("2026-12-20")).await;
        add("P1", "high soon", 5, 2, Some("2026-12-10")).await;
        let closed = add("P1", "critical closed", 5, 5, None).await;
        add("P1", "critical", 4, 5, None).await;
        add("P2", "medium", 3, 3, None).await;
        store::close(&db, "P1", closed.number, Some("done"), "test").await.expect("closed");
        let counts = open_counts(&db).await.expect("counts");
        assert_eq!(counts.get("P1"), Some(&RiskCounts { open: 4, high: 3 }));
        assert_eq!(counts.get("P2"), Some(&RiskCounts { open: 1, high: 0 }));
        assert_eq!(counts.get("P3"), None);
        let worst: Vec<String> = open_risks(&db, "P1", 3).await.expect("worst").into_iter().map(|r| r.title).collect();
        // 20; then two 10s: the greater impact first (2×5 before 5×2).
        assert_eq!(worst, ["critical", "high late", "high soon"]);
        assert_eq!(open_risks(&db, "P2", 5).await.expect("worst").len(), 1);
        assert!(open_risks(&db, "P3", 5).await.expect("none").is_empty());
    }

    #[test]
    fn observation_words() {
        assert_eq!(category_of_observation("delay"), Category::Schedule);
        assert_eq!(category_of_observation("safety"), Category::Safety);
        assert_eq!(impact_of_severity("low"), 2);
        assert_eq!(impact_of_severity("medium"), 3);
        assert_eq!(impact_of_severity("high"), 4);
        assert_eq!(impact_of_severity("critical"), 5);
    }
}

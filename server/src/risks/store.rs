//! Writing risks: create, edit, close and reopen. Each write is one transaction that changes the
//! risk's row and appends its history: one `risk_events` row per changed field (from → to), so the
//! history says exactly what changed, who changed it and when.
//!
//! Input is text by field name ([`Input`]: the API's JSON and the screens' forms alike), checked
//! whole before anything is written; a refusal names the field and nothing is stored.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use super::{
    Category, MAX_OWNER_BYTES, MAX_TEXT_BYTES, MAX_TITLE_BYTES, RiskError, RiskResult, RiskRow, Status, StoredRisk,
    Strategy, label, risk_columns,
};
use crate::db::{Db, Tx, is_unique_violation, on_tx};

/// The fields a risk is written by, as the API and the forms name them.
pub const FIELDS: &[&str] =
    &["title", "description", "category", "probability", "impact", "owner", "strategy", "response", "due", "status"];

/// Text by field name; `None` (JSON null, or an empty text) clears an optional field.
pub type Input = BTreeMap<String, Option<String>>;

/// A JSON object as [`Input`]: values are text, integers or null; another field name, or another
/// kind of value, is refused naming it. `extra` are further names the caller reads itself.
pub fn input_from_json(body: &Value, extra: &[&str]) -> RiskResult<Input> {
    let Value::Object(map) = body else {
        return Err(RiskError::bad("body", "expected a JSON object"));
    };
    let mut out = Input::new();
    for (k, v) in map {
        if !FIELDS.contains(&k.as_str()) && !extra.contains(&k.as_str()) {
            return Err(RiskError::bad(k, format!("unknown field; the fields are {}", FIELDS.join(", "))));
        }
        let text = match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) if n.is_i64() => Some(n.to_string()),
            Value::Number(n) => {
                return Err(RiskError::invalid(k, format!("{n} is not an integer")));
            }
            _ => return Err(RiskError::bad(k, "expected text, an integer or null")),
        };
        out.insert(k.clone(), text);
    }
    Ok(out)
}

/// A risk's writable fields, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Draft {
    pub title: String,
    pub description: Option<String>,
    pub category: Category,
    pub probability: i64,
    pub impact: i64,
    pub owner: Option<String>,
    pub strategy: Option<Strategy>,
    pub response: Option<String>,
    pub due: Option<NaiveDate>,
    pub status: Status,
}

fn trimmed(v: Option<&Option<String>>) -> Option<Option<String>> {
    v.map(|t| t.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string))
}

fn text_at_most(field: &str, v: Option<String>, max: usize) -> RiskResult<Option<String>> {
    match v {
        Some(t) if t.len() > max => {
            Err(RiskError::invalid(field, format!("is {} bytes; at most {max} bytes (UTF-8)", t.len())))
        }
        Some(t) if t.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') => {
            Err(RiskError::invalid(field, "holds control characters"))
        }
        v => Ok(v),
    }
}

fn one_to_five(field: &str, v: Option<String>) -> RiskResult<i64> {
    let t = v.ok_or_else(|| RiskError::invalid(field, "is required: an integer from 1 to 5"))?;
    t.parse::<i64>()
        .ok()
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| RiskError::invalid(field, format!("{t:?} is not an integer from 1 to 5")))
}

/// A due date `YYYY-MM-DD` (years 2000 to 2100).
pub fn parse_due(field: &str, t: &str) -> RiskResult<NaiveDate> {
    NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| RiskError::invalid(field, format!("{t:?} is not a date YYYY-MM-DD (years 2000 to 2100)")))
}

impl Draft {
    fn of(r: &RiskRow) -> Draft {
        Draft {
            title: r.title.clone(),
            description: r.description.clone(),
            category: r.category,
            probability: r.probability,
            impact: r.impact,
            owner: r.owner.clone(),
            strategy: r.strategy,
            response: r.response.clone(),
            due: r.due,
            status: r.status,
        }
    }

    /// `base` with the given fields of `input` applied, each checked. A new risk starts from
    /// [`Draft::blank`]: its title, probability and impact are then required.
    pub(crate) fn apply(base: &Draft, input: &Input) -> RiskResult<Draft> {
        let mut d = base.clone();
        if let Some(v) = trimmed(input.get("title")) {
            let t = text_at_most("title", v, MAX_TITLE_BYTES)?;
            d.title = t.ok_or_else(|| RiskError::invalid("title", "is required"))?;
        }
        if let Some(v) = trimmed(input.get("description")) {
            d.description = text_at_most("description", v, MAX_TEXT_BYTES)?;
        }
        if let Some(v) = trimmed(input.get("category")) {
            let t = v.unwrap_or_default();
            d.category = Category::parse(&t)
                .ok_or_else(|| RiskError::invalid("category", format!("{t:?} is not one of {}", Category::listed())))?;
        }
        if let Some(v) = trimmed(input.get("probability")) {
            d.probability = one_to_five("probability", v)?;
        }
        if let Some(v) = trimmed(input.get("impact")) {
            d.impact = one_to_five("impact", v)?;
        }
        if let Some(v) = trimmed(input.get("owner")) {
            d.owner = text_at_most("owner", v, MAX_OWNER_BYTES)?;
        }
        if let Some(v) = trimmed(input.get("strategy")) {
            d.strategy = match v {
                None => None,
                Some(t) => Some(Strategy::parse(&t).ok_or_else(|| {
                    RiskError::invalid("strategy", format!("{t:?} is not one of {}", Strategy::listed()))
                })?),
            };
        }
        if let Some(v) = trimmed(input.get("response")) {
            d.response = text_at_most("response", v, MAX_TEXT_BYTES)?;
        }
        if let Some(v) = trimmed(input.get("due")) {
            d.due = v.map(|t| parse_due("due", &t)).transpose()?;
        }
        if let Some(v) = trimmed(input.get("status")) {
            let t = v.unwrap_or_default();
            let s = Status::parse(&t).ok_or_else(|| {
                RiskError::invalid("status", format!("{t:?} is not one of open, mitigating (close with …/close)"))
            })?;
            if s == Status::Closed && base.status != Status::Closed {
                return Err(RiskError::invalid(
                    "status",
                    "a risk is closed by POST /v1/risks/{label}/close (or the Close button), with a note",
                ));
            }
            d.status = s;
        }
        if d.title.is_empty() {
            return Err(RiskError::invalid("title", "is required"));
        }
        if d.probability == 0 {
            return Err(RiskError::invalid("probability", "is required: an integer from 1 to 5"));
        }
        if d.impact == 0 {
            return Err(RiskError::invalid("impact", "is required: an integer from 1 to 5"));
        }
        Ok(d)
    }

    /// A new risk before its fields: no title, probability or impact yet (required), category other.
    pub(crate) fn blank() -> Draft {
        Draft {
            title: String::new(),
            description: None,
            category: Category::Other,
            probability: 0,
            impact: 0,
            owner: None,
            strategy: None,
            response: None,
            due: None,
            status: Status::Open,
        }
    }

    /// Each field as the history writes it, by name.
    fn values(&self) -> [(&'static str, Option<String>); 10] {
        [
            ("title", Some(self.title.clone())),
            ("description", self.description.clone()),
            ("category", Some(self.category.as_str().into())),
            ("probability", Some(self.probability.to_string())),
            ("impact", Some(self.impact.to_string())),
            ("owner", self.owner.clone()),
            ("strategy", self.strategy.map(|s| s.as_str().into())),
            ("response", self.response.clone()),
            ("due", self.due.map(|d| d.to_string())),
            ("status", Some(self.status.as_str().into())),
        ]
    }

    /// The fields that differ from `other`: (field, from, to).
    fn changes(&self, before: &Draft) -> Vec<(&'static str, Option<String>, Option<String>)> {
        before
            .values()
            .into_iter()
            .zip(self.values())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((f, a), (_, b))| (f, a, b))
            .collect()
    }
}

/// An event to append: action, field, from, to, note.
type Event<'a> = (&'a str, Option<&'a str>, Option<String>, Option<String>, Option<String>);

async fn append(tx: &mut Tx<'_>, project: &str, number: i64, e: Event<'_>, by: &str, at_ms: i64) -> RiskResult<()> {
    let (action, field, from, to, note) = e;
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO risk_events (project_id, number, action, field, from_value, to_value, note, by_name, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(project)
    .bind(number)
    .bind(action)
    .bind(field)
    .bind(from)
    .bind(to)
    .bind(note)
    .bind(by)
    .bind(at_ms)
    .execute(&mut *c)
    .await
    .map(drop))?;
    Ok(())
}

fn now_ms() -> i64 {
    crate::reports::now().timestamp_millis()
}

/// Creates a risk from `input` (title, probability and impact required), numbered next in the
/// project; its history starts with `created` (or `promoted`, naming `source`).
pub async fn create(db: &Db, project: &str, input: &Input, by: &str) -> RiskResult<RiskRow> {
    let draft = Draft::apply(&Draft::blank(), input)?;
    insert(db, project, &draft, None, by).await
}

/// Inserts a checked draft as the project's next number. A number taken by a concurrent create is
/// retried; a second risk from the same observation (the unique source) is a conflict.
pub(crate) async fn insert(db: &Db, project: &str, d: &Draft, source: Option<&str>, by: &str) -> RiskResult<RiskRow> {
    for _ in 0..8 {
        let at = now_ms();
        let mut tx = db.begin().await?;
        // PostgreSQL: concurrent creates in a project take their numbers one after another (the lock
        // ends with the transaction), so MAX + 1 does not collide and exhaust the retries under load.
        // SQLite has one writer already.
        if let Tx::Postgres(t) = &mut tx {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(format!("risks:{project}"))
                .execute(&mut **t)
                .await?;
        }
        let inserted: Result<i64, sqlx::Error> = on_tx!(&mut tx, |c| {
            sqlx::query_scalar(
            "INSERT INTO risks (project_id, number, title, description, category, probability, impact, owner, \
             strategy, response, due_on, status, source_record_id, created_by, created_at_ms, updated_by, updated_at_ms) \
             SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 \
             FROM risks WHERE project_id = $17 RETURNING number"
        )
        .bind(project)
        .bind(&d.title)
        .bind(&d.description)
        .bind(d.category.as_str())
        .bind(d.probability)
        .bind(d.impact)
        .bind(&d.owner)
        .bind(d.strategy.map(Strategy::as_str))
        .bind(&d.response)
        .bind(d.due.map(|x| x.to_string()))
        .bind(d.status.as_str())
        .bind(source)
        .bind(by)
        .bind(at)
        .bind(by)
        .bind(at)
        .bind(project)
        .fetch_one(&mut *c)
        .await
        });
        let number = match inserted {
            Ok(n) => n,
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                if let Some(src) = source
                    && let Some(existing) = super::by_source(db, project, src).await?
                {
                    return Err(RiskError::conflict(
                        "id",
                        format!("observation {src} was already promoted to risk {}", existing.label),
                    ));
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let event = match source {
            Some(src) => ("promoted", None, None, Some(src.to_string()), None),
            None => ("created", None, None, None, None),
        };
        append(&mut tx, project, number, event, by, at).await?;
        tx.commit().await?;
        return super::get(db, project, number)
            .await?
            .ok_or_else(|| RiskError::not_found("label", format!("risk {} vanished", label(number))));
    }
    Err(RiskError::conflict("label", "other risks kept being created at the same time; retry"))
}

/// Locks the risk's row for this transaction (a no-op update: the row lock on PostgreSQL, the write
/// lock on SQLite) and reads it; 404 naming `label` when the project has no such risk.
async fn lock(tx: &mut Tx<'_>, project: &str, number: i64) -> RiskResult<RiskRow> {
    let touched = on_tx!(tx, |c| sqlx::query(
        "UPDATE risks SET updated_at_ms = updated_at_ms WHERE project_id = $1 AND number = $2"
    )
    .bind(project)
    .bind(number)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if touched == 0 {
        return Err(RiskError::not_found("label", format!("no risk {} in your project", label(number))));
    }
    let sql = concat!("SELECT ", risk_columns!(), " FROM risks WHERE project_id = $1 AND number = $2");
    let row: StoredRisk = on_tx!(tx, |c| sqlx::query_as(sql).bind(project).bind(number).fetch_one(&mut *c).await)?;
    Ok(row.into())
}

async fn write(tx: &mut Tx<'_>, project: &str, number: i64, d: &Draft, by: &str, at: i64) -> RiskResult<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE risks SET title = $1, description = $2, category = $3, probability = $4, impact = $5, owner = $6, \
         strategy = $7, response = $8, due_on = $9, status = $10, updated_by = $11, updated_at_ms = $12 \
         WHERE project_id = $13 AND number = $14"
    )
    .bind(&d.title)
    .bind(&d.description)
    .bind(d.category.as_str())
    .bind(d.probability)
    .bind(d.impact)
    .bind(&d.owner)
    .bind(d.strategy.map(Strategy::as_str))
    .bind(&d.response)
    .bind(d.due.map(|x| x.to_string()))
    .bind(d.status.as_str())
    .bind(by)
    .bind(at)
    .bind(project)
    .bind(number)
    .execute(&mut *c)
    .await
    .map(drop))?;
    Ok(())
}

/// Edits the given fields of a risk (absent ones stay; null or empty clears an optional one): each
/// changed field is one `edited` event. Nothing changed: nothing written. A closed risk is refused
/// (409 naming `status`): reopen it first. `status` may move between open and mitigating here.
pub async fn edit(db: &Db, project: &str, number: i64, input: &Input, by: &str) -> RiskResult<RiskRow> {
    let mut tx = db.begin().await?;
    let current = lock(&mut tx, project, number).await?;
    if current.status == Status::Closed {
        return Err(RiskError::conflict("status", format!("risk {} is closed; reopen it to edit it", current.label)));
    }
    let before = Draft::of(&current);
    let after = Draft::apply(&before, input)?;
    let changes = after.changes(&before);
    if changes.is_empty() {
        tx.rollback().await?;
        return Ok(current);
    }
    let at = now_ms();
    write(&mut tx, project, number, &after, by, at).await?;
    for (field, from, to) in changes {
        append(&mut tx, project, number, ("edited", Some(field), from, to, None), by, at).await?;
    }
    tx.commit().await?;
    super::get(db, project, number).await?.ok_or_else(|| RiskError::not_found("label", "the risk vanished"))
}

/// Closes a risk (open or mitigating) with an optional note: a `closed` event. Closed already: 409.
pub async fn close(db: &Db, project: &str, number: i64, note: Option<&str>, by: &str) -> RiskResult<RiskRow> {
    set_status(db, project, number, Status::Closed, note, by).await
}

/// Reopens a closed risk (to open) with an optional note: a `reopened` event. Not closed: 409.
pub async fn reopen(db: &Db, project: &str, number: i64, note: Option<&str>, by: &str) -> RiskResult<RiskRow> {
    set_status(db, project, number, Status::Open, note, by).await
}

async fn set_status(
    db: &Db,
    project: &str,
    number: i64,
    to: Status,
    note: Option<&str>,
    by: &str,
) -> RiskResult<RiskRow> {
    let note = text_at_most("note", note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string), MAX_TEXT_BYTES)?;
    let mut tx = db.begin().await?;
    let current = lock(&mut tx, project, number).await?;
    let closing = to == Status::Closed;
    if closing == (current.status == Status::Closed) {
        let m = if closing { "is closed already" } else { "is not closed" };
        return Err(RiskError::conflict("status", format!("risk {} {m}", current.label)));
    }
    let mut after = Draft::of(&current);
    after.status = to;
    let at = now_ms();
    write(&mut tx, project, number, &after, by, at).await?;
    let action = if closing { "closed" } else { "reopened" };
    let event =
        (action, Some("status"), Some(current.status.as_str().to_string()), Some(to.as_str().to_string()), note);
    append(&mut tx, project, number, event, by, at).await?;
    tx.commit().await?;
    super::get(db, project, number).await?.ok_or_else(|| RiskError::not_found("label", "the risk vanished"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> Input {
        pairs.iter().map(|(k, v)| (k.to_string(), Some(v.to_string()))).collect()
    }

    #[test]
    fn drafts_name_the_refused_field() {
        let field = |pairs: &[(&str, &str)]| match Draft::apply(&Draft::blank(), &input(pairs)) {
            Err(e) => e.field().map(str::to_string),
            Ok(_) => None,
        };
        let ok = [("title", "Rain"), ("probability", "3"), ("impact", "4")];
        assert!(Draft::apply(&Draft::blank(), &input(&ok)).is_ok());
        assert_eq!(field(&[("probability", "3"), ("impact", "4")]).as_deref(), Some("title"));
        assert_eq!(field(&[("title", "x"), ("probability", "6"), ("impact", "4")]).as_deref(), Some("probability"));
        assert_eq!(field(&[("title", "x"), ("probability", "2"), ("impact", "0")]).as_deref(), Some("impact"));
        assert_eq!(field(&[("title", "x"), ("probability", "2.5"), ("impact", "1")]).as_deref(), Some("probability"));
        assert_eq!(field(&[("title", "x"), ("probability", "2")]).as_deref(), Some("impact"));
        let long = "长".repeat(67);
        assert_eq!(field(&[("title", &long), ("probability", "2"), ("impact", "1")]).as_deref(), Some("title"));
        let bad_due = [("title", "x"), ("probability", "2"), ("impact", "1"), ("due", "2026-02-30")];
        assert_eq!(field(&bad_due).as_deref(), Some("due"));
        let closed = [("title", "x"), ("probability", "2"), ("impact", "1"), ("status", "closed")];
        assert_eq!(field(&closed).as_deref(), Some("status"));
    }

    #[test]
    fn json_input() {
        let v = serde_json::json!({"title": "x", "probability": 3, "owner": null});
        let i = input_from_json(&v, &[]).expect("input");
        assert_eq!(i.get("probability"), Some(&Some("3".to_string())));
        assert_eq!(i.get("owner"), Some(&None));
        let e = input_from_json(&serde_json::json!({"colour": "red"}), &[]).expect_err("unknown");
        assert_eq!(e.field(), Some("colour"));
        let e = input_from_json(&serde_json::json!({"impact": 2.5}), &[]).expect_err("float");
        assert_eq!(e.field(), Some("impact"));
    }
}

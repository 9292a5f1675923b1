//! The `records` table: a derived, listable summary of each record, rewritten on every write in the
//! same transaction as the document change (so it can never disagree with the documents).

use record_schema::{Progress, Record};
use sqlx::{Sqlite, Transaction};

use crate::error::Result;

pub type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>;

/// Inserts or rewrites a record's row (16 parameters: see [`IndexRow::bind`]).
pub const UPSERT: &str = "INSERT INTO records (id, kind, project_id, site_id, record_date, author, subject, headcount, \
     total, currency, line_count, photo_count, conflict_count, voided, created_at_ms, updated_at_ms) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, project_id = excluded.project_id, \
     site_id = excluded.site_id, record_date = excluded.record_date, author = excluded.author, \
     subject = excluded.subject, headcount = excluded.headcount, total = excluded.total, \
     currency = excluded.currency, line_count = excluded.line_count, photo_count = excluded.photo_count, \
     conflict_count = excluded.conflict_count, voided = excluded.voided, updated_at_ms = excluded.updated_at_ms";

pub struct IndexRow {
    pub kind: &'static str,
    pub project_id: String,
    pub site_id: String,
    pub record_date: String,
    pub author: String,
    pub subject: String,
    pub headcount: i64,
    pub total: Option<String>,
    pub currency: Option<String>,
    pub line_count: i64,
    pub photo_count: i64,
    pub voided: bool,
    pub created_at_ms: i64,
}

impl IndexRow {
    pub fn of(record: &Record) -> Self {
        let h = record.header();
        let mut row = IndexRow {
            kind: record.kind().as_str(),
            project_id: h.project_id.clone(),
            site_id: h.site_id.clone(),
            record_date: String::new(),
            author: h.author.clone(),
            subject: String::new(),
            headcount: 0,
            total: None,
            currency: None,
            line_count: 0,
            photo_count: 0,
            voided: h.voided.is_some(),
            created_at_ms: h.created_at_ms,
        };
        match record {
            Record::LabourSheet(s) => {
                row.record_date = s.work_date.to_string();
                let mut trades: Vec<&str> = Vec::new();
                for l in &s.lines {
                    if !trades.contains(&l.trade.as_str()) {
                        trades.push(&l.trade);
                    }
                }
                row.subject = trades.join(", ");
                row.headcount = s.lines.iter().map(|l| l.headcount).sum();
                row.total = Some(s.currency.canonical(s.total_cost()));
                row.currency = Some(s.currency.code().to_string());
                row.line_count = s.lines.len() as i64;
            }
            Record::Expense(e) => {
                row.record_date = e.date.to_string();
                row.subject = e.category.clone();
                row.total = Some(e.currency.canonical(e.amount));
                row.currency = Some(e.currency.code().to_string());
                row.photo_count = e.receipts.len() as i64;
            }
            Record::WageAdvance(a) => {
                row.record_date = a.date.to_string();
                row.subject = a.worker.name.clone();
                row.headcount = 1;
                row.total = Some(a.currency.canonical(a.amount));
                row.currency = Some(a.currency.code().to_string());
                row.photo_count = a.slips.len() as i64;
            }
            Record::Observation(o) => {
                row.record_date = o.date.to_string();
                row.subject = o.title.clone();
                row.photo_count = o.photos.len() as i64;
            }
            Record::DayLog(l) => {
                row.record_date = l.date.to_string();
                let weather: Vec<&str> =
                    [l.weather_am, l.weather_pm].into_iter().flatten().map(|w| w.as_str()).collect();
                row.subject = weather.join(" / ");
                row.headcount = l.visitors.len() as i64;
                row.line_count = l.delays.len() as i64;
            }
            Record::ProgressReport(p) => {
                row.record_date = p.date.to_string();
                row.subject = p.activity.clone();
                row.total = Some(match &p.progress {
                    Progress::Percent(x) => format!("{}%", x.normalize()),
                    Progress::Quantity { installed, unit } => format!("{} {unit}", installed.normalize()),
                });
                row.photo_count = p.photos.len() as i64;
            }
        }
        row
    }

    pub async fn upsert(&self, tx: &mut Transaction<'_, Sqlite>, id: &str, conflicts: i64, now_ms: i64) -> Result<()> {
        self.bind(sqlx::query(UPSERT), id, conflicts, now_ms).execute(&mut **tx).await?;
        Ok(())
    }

    /// Binds the parameters of [`UPSERT`], in order, after those already bound to `q`.
    pub fn bind<'q>(&'q self, q: SqliteQuery<'q>, id: &'q str, conflicts: i64, now_ms: i64) -> SqliteQuery<'q> {
        q.bind(id)
            .bind(self.kind)
            .bind(&self.project_id)
            .bind(&self.site_id)
            .bind(&self.record_date)
            .bind(&self.author)
            .bind(&self.subject)
            .bind(self.headcount)
            .bind(&self.total)
            .bind(&self.currency)
            .bind(self.line_count)
            .bind(self.photo_count)
            .bind(conflicts)
            .bind(self.voided)
            .bind(self.created_at_ms)
            .bind(now_ms)
    }
}

//! The seeded company's funds data (issue 21): a real-name roster per project, crew lines that name
//! roster workers, and the office's wage payments and labour-cost allocations month by month, so
//! the wage ledger, the arrears warning and the cash flow are measured on realistic volumes.
//!
//! Every month before the current one is paid through the wage account on the 10th of the next
//! month: in full, except that in the last finished month about one worker in twenty is paid 80%
//! and one crew not at all (so the arrears warning has something to show once the pay day passes).
//! The owner's allocation of each month is 102% of its wages, except one month a third short.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use record_schema::Record;
use record_schema::labour::Worker;
use rust_decimal::Decimal;
use server::cache::DocCache;
use server::db::Db;
use server::demo::seedkit::{Rng, bank_card, person_name, resident_id};
use server::funds::wages::{self, WorkerKey};
use server::funds::{allocations, roster};

/// A project's roster as the seed uses it: the workers of each crew.
#[derive(Debug, Default)]
pub struct SeedRoster {
    /// (roster id, name) per crew.
    pub by_crew: HashMap<String, Vec<(String, String)>>,
}

impl SeedRoster {
    /// Fills each crew line's workers with `headcount` distinct workers of its crew (as many as
    /// the crew has), as a foreman picks them from the roster on the phone.
    pub fn name_workers(&self, record: &mut Record, rng: &mut Rng) {
        let Record::LabourSheet(s) = record else { return };
        for l in s.lines.iter_mut() {
            let Some(members) = l.crew.as_ref().and_then(|c| self.by_crew.get(c)) else { continue };
            let n = (l.headcount.max(0) as usize).min(members.len());
            let start = rng.range(0, members.len() as u64 - 1) as usize;
            l.workers = (0..n)
                .map(|i| {
                    let (id, name) = &members[(start + i) % members.len()];
                    Worker { name: name.clone(), id_number: None, worker_id: Some(id.clone()) }
                })
                .collect();
        }
    }
}

/// Imports `size` workers spread over `crews` and `trades` through the roster import (one
/// transaction, the real checks), and returns them by crew.
pub async fn seed_roster(
    db: &Db,
    cache: &DocCache,
    project: &str,
    size: usize,
    crews: &[&str],
    trades: &[&str],
    rng: &mut Rng,
) -> Result<SeedRoster, Box<dyn std::error::Error>> {
    let mut csv = String::from("id,name,id_number,card_number,bank,crew,trade,status\n");
    let mut out = SeedRoster::default();
    for i in 0..size {
        let (id, name) = (format!("W{:04}", i + 1), person_name(rng));
        let crew = crews[i % crews.len()];
        let trade = trades[(i / crews.len()) % trades.len()];
        csv.push_str(&format!(
            "{id},{name},{},{},中国农业银行,{crew},{trade},active\n",
            resident_id(rng),
            bank_card(rng)
        ));
        out.by_crew.entry(crew.to_string()).or_default().push((id, name));
    }
    roster::import(db, cache, project, csv.as_bytes()).await.map_err(|e| format!("roster import: {e:?}"))?;
    Ok(out)
}

/// The wage payments and allocations of every month from `first` up to the month before `today`.
/// Returns how many payments were written.
pub async fn seed_payments(
    db: &Db,
    project: &str,
    first: NaiveDate,
    today: NaiveDate,
    rng: &mut Rng,
) -> Result<usize, Box<dyn std::error::Error>> {
    let current = wages::first_day(today);
    let last_finished = current - Months::new(1);
    let mut month = wages::first_day(first);
    let mut written = 0;
    let mut short_month = None;
    while month < current {
        let ledger = wages::ledger(db, project, month, None).await.map_err(|e| format!("wage ledger: {e:?}"))?;
        let paid_on = (month + Months::new(1)).with_day(10).unwrap_or(month);
        let skipped_crew = (month == last_finished).then(|| ledger.rows.first().and_then(|r| r.crew.clone())).flatten();
        let mut rows = Vec::new();
        for r in &ledger.rows {
            let mut amount = r.outstanding;
            if month == last_finished {
                if r.crew.is_some() && r.crew == skipped_crew {
                    continue;
                }
                if rng.range(0, 19) == 0 {
                    amount = (amount * Decimal::new(8, 1)).round_dp(2);
                }
            }
            if amount <= Decimal::ZERO || paid_on > today {
                continue;
            }
            let (worker_id, crew) = match &r.key {
                WorkerKey::Roster(id) => (Some(id.clone()), None),
                WorkerKey::Crew(c) => (None, Some(c.clone())),
                // Names not on the roster are paid once the office confirms them.
                WorkerKey::Unconfirmed(_) => continue,
            };
            rows.push((worker_id, crew, r.name.clone(), amount));
        }
        written += insert_payments(db, project, month, paid_on, &rows).await?;
        // Allocation: 102% of the month's wages; one month (the first past mid-history) a third short.
        let gross = ledger.totals.gross;
        let short = short_month.is_none() && month.month() == 6;
        if short {
            short_month = Some(month);
        }
        let share = if short { Decimal::new(68, 2) } else { Decimal::new(102, 2) };
        let amount = (gross * share).round_dp(2);
        if amount > Decimal::ZERO {
            let input = allocations::NewAllocation {
                month: Some(month.format("%Y-%m").to_string()),
                received_on: Some(month.with_day(25).unwrap_or(month).to_string()),
                amount: Some(amount.to_string()),
                reference: Some(format!("人工费拨付 {}", month.format("%Y-%m"))),
            };
            allocations::record(db, project, &input, "seed").await.map_err(|e| format!("allocation: {e:?}"))?;
        }
        month = month + Months::new(1);
    }
    Ok(written)
}

/// A wage payment to write: roster id, or crew (its unnamed rest); the name; the amount.
type PaymentRow = (Option<String>, Option<String>, Option<String>, Decimal);

/// Payments as one multi-row insert per chunk (the office's bank batch for the month).
async fn insert_payments(
    db: &Db,
    project: &str,
    month: NaiveDate,
    paid_on: NaiveDate,
    rows: &[PaymentRow],
) -> Result<usize, sqlx::Error> {
    let now = record_schema::now_ms();
    let (month_text, paid_text) = (month.to_string(), paid_on.to_string());
    let reference = format!("代发 {}", month.format("%Y-%m"));
    const INSERT: &str = "INSERT INTO funds_payments (id, project_id, kind, worker_id, crew, payee, month, paid_on, \
         payer_account, currency, amount_minor, reference, batch_id, reverses, recorded_by, recorded_at_ms) ";
    // The same statement on either backend (the builder writes its own placeholders).
    macro_rules! insert {
        ($pool:expr, $backend:ty, $chunk:expr) => {{
            let mut q = sqlx::QueryBuilder::<$backend>::new(INSERT);
            q.push_values($chunk, |mut b, (worker_id, crew, name, amount)| {
                b.push_bind(uuid::Uuid::now_v7().to_string())
                    .push_bind(project)
                    .push_bind("wage")
                    .push_bind(worker_id.clone())
                    .push_bind(crew.clone())
                    .push_bind(name.clone())
                    .push_bind(&month_text)
                    .push_bind(&paid_text)
                    .push_bind("农民工工资专户")
                    .push_bind("CNY")
                    .push_bind(minor(*amount))
                    .push_bind(&reference)
                    .push_bind(None::<String>)
                    .push_bind(None::<String>)
                    .push_bind("seed")
                    .push_bind(now);
            });
            q.build().execute($pool).await?;
        }};
    }
    for chunk in rows.chunks(500) {
        match db {
            Db::Sqlite(p) => insert!(p, sqlx::Sqlite, chunk),
            Db::Postgres(p) => insert!(p, sqlx::Postgres, chunk),
        }
    }
    Ok(rows.len())
}

/// Fen of a yuan amount of at most 2 decimals.
fn minor(amount: Decimal) -> i64 {
    let fen = (amount * Decimal::ONE_HUNDRED).trunc();
    i64::try_from(fen).unwrap_or(0)
}

//! Seeds a realistic company into a Fieldledger database and measures the reports and approvals
//! on it (issue 4's benchmark).
//!
//! ```text
//! cargo build --release -p server
//! DATABASE_URL=postgres://127.0.0.1:5432/fl_bench target/release/fieldledger-seed --labour-lines 1000000
//! ```
//!
//! The company: `--projects` projects (`SEED-01`…), each with sites, a two-level cost code tree
//! with budgets, activities with budgets and planned dates, trades with rates; `--years` of daily
//! labour sheets (12–28 crew lines each, one per site and day) until `--labour-lines` lines in
//! all, expenses every few days, and fortnightly progress reports. History is written through
//! the ledger's own posting rules and decision transaction (`ledger::store::commit`), without
//! storing each historic sheet's document. The approvals measured are real: fresh sheet
//! documents approved through `ledger::store::decide`, as the HTTP handler does.
//!
//! Budgets are sized from the cost the seed posts: once a project's records are written, its cost
//! codes and activities are imported again with budgets such that, at the end of the seeded
//! period, each leaf code has spent a share of its budget drawn evenly from 60–110% (about one in
//! five over budget), and each activity's budget is its cost projected over its planned duration
//! at the rate seen so far, divided by such a share (an activity not started yet gets the mean
//! cost per planned day of those that did). Parent codes have no budget of their own: the reports
//! roll their children's up. The shares come from their own generator, so the records are the same
//! as before budgets were sized this way.
//!
//! The last `--recent-days` days (21 by default, ending today) are what a supervisor works on, so
//! they are stored as real record documents (`docstore`, as a phone's sync stores them, with the
//! sync-scope facts a sync write sets: site, date, open), each
//! with a change message and time naming its foreman and phone: most older sheets approved through
//! `ledger::store::decide`, some changed since their approval, a few rejected, voided, or with
//! two phones' concurrent values (conflicts); the newest days mostly pending. History before them
//! stays posting-only (ending where the recent days begin), so the ledgers hold `--labour-lines`
//! lines plus the recent days' approved ones. The record index is refreshed at the end, as the
//! queue's first visit would. A supervisor token per project is written to `--token-file` (one
//! `project token` line each; `<data-dir>/supervisor-tokens.txt` by default), for `/web/sign-in`
//! and the page benchmark (`scripts/bench-pages.sh`).
//!
//! A database already seeded to the target is reused (only the measurements run, after new
//! supervisor tokens are written); one seeded before recent documents existed gets them added.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use chrono::{Datelike, Days, NaiveDate};
use clap::Parser;
use record_schema::record::RecordHeader;
use record_schema::{
    CrewLine, Currency, DecisionStatus, Effort, Expense, LabourSheet, Progress, ProgressReport, Record,
};
use rust_decimal::Decimal;
use server::auth::Role;
use server::cache::DocCache;
use server::db::{Db, TokenGrant};
use server::demo::seedkit::{BoxError, Planned, Rng, State, insert_with_facts, store_planned};
use server::funds::entries::{FundsEntry, entries};
use server::ledger::postings::{Ledger, postings};
use server::ledger::store::{self, DecideRequest, DecisionRow};
use server::reference::table::{RawTable, Table};
use server::reports::labour::{self, Period};
use server::reports::{DateRange, cost};
use tokio::task::JoinSet;

#[path = "seed/funds.rs"]
mod funds;

#[derive(Debug, Parser)]
#[command(name = "fieldledger-seed", about = "Seed a realistic company and measure reports and approvals")]
struct Args {
    /// PostgreSQL URL; unset: SQLite in --data-dir.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    #[arg(long, default_value = "seed-data")]
    data_dir: std::path::PathBuf,
    #[arg(long, default_value_t = 8)]
    projects: usize,
    /// Approved labour lines in all (crew lines of approved sheets).
    #[arg(long, default_value_t = 1_000_000)]
    labour_lines: usize,
    #[arg(long, default_value_t = 3)]
    years: u64,
    /// Repetitions of each measurement.
    #[arg(long, default_value_t = 50)]
    reps: usize,
    /// Decisions written at once while seeding.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Days (ending today) whose records are stored as documents a supervisor works on.
    #[arg(long, default_value_t = 21)]
    recent_days: u64,
    /// Where each project's supervisor token is written (`project token` per line); default
    /// `<data-dir>/supervisor-tokens.txt`.
    #[arg(long)]
    token_file: Option<std::path::PathBuf>,
    /// Workers on each project's real-name roster; crew lines name them, and every finished
    /// month's wages are paid (issue 21's wage ledger benchmark: 500 workers in one month).
    #[arg(long, default_value_t = 500)]
    roster: usize,
    /// Activities in each project's schedule (issue 22's benchmark: the schedule screen with a
    /// Gantt of 60 activities).
    #[arg(long, default_value_t = 60)]
    activities: u64,
    /// Where an admin token (of SEED-01; an admin token's portfolio holds every project) is
    /// written, for timing `GET /v1/portfolio` over HTTP (docs/measurements.md, issue 22).
    #[arg(long)]
    admin_token_file: Option<std::path::PathBuf>,
}

const TRADES: [(&str, &str, &str); 10] = [
    ("木工", "380", "47.50"),
    ("钢筋工", "360", "45"),
    ("混凝土工", "340", "42.50"),
    ("瓦工", "350", "43.75"),
    ("架子工", "370", "46.25"),
    ("电工", "400", "50"),
    ("焊工", "420", "52.50"),
    ("水暖工", "390", "48.75"),
    ("油漆工", "330", "41.25"),
    ("普工", "260", "32.50"),
];
const CREWS: [&str; 6] = ["张班组", "李班组", "王班组", "赵班组", "陈班组", "刘班组"];

struct Company {
    start: NaiveDate,
    /// The first of the recent days (stored as documents); history ends before it.
    recent: NaiveDate,
    today: NaiveDate,
    sites: usize,
    leaf_codes: Vec<String>,
    activities: Vec<(String, NaiveDate, NaiveDate)>,
}

fn raw(table: Table, header: &[&str], rows: Vec<Vec<String>>) -> RawTable {
    RawTable {
        table,
        labels: header.iter().map(|s| s.to_string()).collect(),
        header: header.iter().map(|s| s.to_string()).collect(),
        rows: rows.into_iter().enumerate().map(|(i, r)| (i + 2, r)).collect(),
    }
}

/// Budgets in whole yuan by leaf code and by activity.
#[derive(Debug, Default)]
struct Budgets {
    codes: HashMap<String, Decimal>,
    activities: HashMap<String, Decimal>,
}

/// Cost the seed posted to one project, by cost code and by activity, and its last work date.
#[derive(Debug, Default)]
struct Posted {
    codes: HashMap<String, Decimal>,
    activities: HashMap<String, Decimal>,
    last: Option<NaiveDate>,
}

impl Posted {
    fn add(&mut self, posts: &[server::ledger::postings::Posting]) {
        for p in posts.iter().filter(|p| p.ledger == Ledger::Cost && !p.amount.is_zero()) {
            if let Some(code) = &p.cost_code {
                *self.codes.entry(code.clone()).or_default() += p.amount;
            }
            if let Some(a) = &p.activity {
                *self.activities.entry(a.clone()).or_default() += p.amount;
            }
            self.last = self.last.max(Some(p.work_date));
        }
    }
}

/// A budget the cost spends `percent` of, in whole yuan (at least 1).
fn budget_for(cost: Decimal, percent: u64) -> Decimal {
    (cost * Decimal::ONE_HUNDRED / Decimal::from(percent)).round_dp(0).max(Decimal::ONE)
}

/// Budgets such that the posted cost is 60–110% of each (see the module's comment).
fn size_budgets(c: &Company, posted: &Posted, rng: &mut Rng) -> Budgets {
    let mut b = Budgets::default();
    for code in &c.leaf_codes {
        let pct = rng.range(60, 110);
        if let Some(cost) = posted.codes.get(code).filter(|x| !x.is_zero()) {
            b.codes.insert(code.clone(), budget_for(*cost, pct));
        }
    }
    // A code nothing was posted to (only on tiny seeds): the mean budget of the others.
    let mean = if b.codes.is_empty() {
        Decimal::from(500_000)
    } else {
        (b.codes.values().sum::<Decimal>() / Decimal::from(b.codes.len())).round_dp(0)
    };
    for code in &c.leaf_codes {
        b.codes.entry(code.clone()).or_insert(mean);
    }
    // Activities: the cost at completion projected from the share of planned days elapsed.
    let last = posted.last.unwrap_or(c.start);
    let mut projected = HashMap::new();
    let mut per_day = (Decimal::ZERO, 0i64);
    for (id, s, f) in &c.activities {
        let planned = (*f - *s).num_days() + 1;
        let elapsed = ((last - *s).num_days() + 1).clamp(0, planned);
        if let Some(cost) = posted.activities.get(id).filter(|x| !x.is_zero() && elapsed > 0) {
            let full = *cost * Decimal::from(planned) / Decimal::from(elapsed);
            per_day = (per_day.0 + full, per_day.1 + planned);
            projected.insert(id.clone(), full);
        }
    }
    let per_day = if per_day.1 > 0 { per_day.0 / Decimal::from(per_day.1) } else { Decimal::from(5_000) };
    for (id, s, f) in &c.activities {
        let pct = rng.range(60, 110);
        let full = projected.get(id).copied().unwrap_or_else(|| per_day * Decimal::from((*f - *s).num_days() + 1));
        b.activities.insert(id.clone(), budget_for(full, pct));
    }
    b
}

/// Reference data of one project, imported through the real import path. Without `budgets`,
/// placeholder budgets (the seed sizes them once it knows the cost it posted).
async fn seed_reference(
    db: &Db,
    cache: &DocCache,
    project: &str,
    c: &Company,
    budgets: Option<&Budgets>,
) -> Result<(), Box<dyn std::error::Error>> {
    let code_budget = |code: &str, placeholder: usize| match budgets.and_then(|b| b.codes.get(code)) {
        Some(b) => b.to_string(),
        None => format!("{placeholder}.00"),
    };
    let sites =
        (1..=c.sites).map(|s| vec![format!("S{s}"), format!("{project} 工地 {s}"), "Asia/Shanghai".into()]).collect();
    let mut codes = Vec::new();
    for top in 1..=6 {
        codes.push(vec![format!("{top:02}"), format!("分部 {top}"), String::new(), "0".into()]);
        for sub in 1..=6 {
            codes.push(vec![
                format!("{top:02}-{sub:02}"),
                format!("分项 {top}.{sub}"),
                format!("{top:02}"),
                code_budget(&format!("{top:02}-{sub:02}"), 400_000 + top * 50_000 + sub * 10_000),
            ]);
        }
    }
    let acts = c
        .activities
        .iter()
        .enumerate()
        .map(|(i, (id, s, f))| {
            vec![
                id.clone(),
                format!("工序 {i}"),
                s.to_string(),
                f.to_string(),
                match budgets.and_then(|b| b.activities.get(id)) {
                    Some(b) => b.to_string(),
                    None => format!("{}.00", 300_000 + i * 7_000),
                },
                c.leaf_codes[i % c.leaf_codes.len()].clone(),
            ]
        })
        .collect();
    let trades = TRADES.iter().map(|(n, d, h)| vec![n.to_string(), d.to_string(), h.to_string()]).collect();
    let tables = vec![
        raw(Table::Project, &["name", "currency"], vec![vec![format!("{project} 项目"), "CNY".into()]]),
        raw(Table::Sites, &["id", "name", "time_zone"], sites),
        raw(Table::CostCodes, &["code", "name", "parent", "budget"], codes),
        raw(Table::Activities, &["id", "name", "planned_start", "planned_finish", "budget", "cost_code"], acts),
        raw(Table::Trades, &["name", "day_rate", "hour_rate"], trades),
    ];
    server::reference::store::import(db, cache, project, &tables).await?;
    Ok(())
}

fn header(project: &str, site: usize, rng: &mut Rng) -> RecordHeader {
    RecordHeader {
        id: uuid::Uuid::now_v7().to_string(),
        project_id: project.into(),
        site_id: format!("S{site}"),
        time_zone: "Asia/Shanghai".into(),
        author: format!("foreman-{}", rng.range(1, 4)),
        created_at_ms: 0,
        voided: None,
    }
}

fn sheet(project: &str, site: usize, date: NaiveDate, lines: usize, c: &Company, rng: &mut Rng) -> Record {
    let active: Vec<&(String, NaiveDate, NaiveDate)> =
        c.activities.iter().filter(|(_, s, f)| *s <= date && date <= *f).collect();
    Record::LabourSheet(LabourSheet {
        header: header(project, site, rng),
        work_date: date,
        currency: Currency::Cny,
        lines: (0..lines)
            .map(|i| {
                let (trade, day, hour) = *rng.pick(&TRADES);
                let by_day = rng.range(0, 2) == 0;
                CrewLine {
                    id: format!("l{i}"),
                    position: i as i64,
                    trade: trade.into(),
                    crew: Some((*rng.pick(&CREWS)).into()),
                    headcount: rng.range(1, 12) as i64,
                    effort: if by_day {
                        Effort::Days(Decimal::ONE)
                    } else {
                        Effort::Hours(Decimal::new(rng.range(4, 10) as i64 * 10 + 5 * (rng.range(0, 1) as i64), 1))
                    },
                    rate: Decimal::from_str(if by_day { day } else { hour }).unwrap_or_default(),
                    rate_unit: if by_day { record_schema::TimeUnit::Day } else { record_schema::TimeUnit::Hour },
                    hours_per_day: Decimal::from(record_schema::labour::HOURS_PER_DAY),
                    cost_code: rng.pick(&c.leaf_codes).clone(),
                    activity: if active.is_empty() { None } else { Some(rng.pick(&active).0.clone()) },
                    note: None,
                    workers: Vec::new(),
                }
            })
            .collect(),
        note: None,
    })
}

fn decision(record: &Record, rng: &mut Rng) -> DecisionRow {
    let h = record.header();
    DecisionRow {
        id: uuid::Uuid::now_v7().to_string(),
        record_id: h.id.clone(),
        project_id: h.project_id.clone(),
        record_seq: 1,
        record_kind: record.kind().as_str().into(),
        status: "approved".into(),
        heads: vec![format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64()
        )],
        comment: String::new(),
        decided_by: "seed".into(),
        decided_by_name: "seed".into(),
        decided_by_role: "supervisor".into(),
        request_id: None,
        replaces: None,
        decided_at_ms: record_schema::now_ms(),
    }
}

/// Foremen of the recent days' records (history names them `foreman-N`).
const FOREMEN: [&str; 6] = ["王建国", "李志强", "张卫东", "陈国华", "刘德明", "赵永胜"];
const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"];
const GIVEN: [&str; 16] =
    ["伟", "强", "军", "磊", "洋", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "斌"];

/// What `seed_recent` stored for one project.
#[derive(Debug, Default)]
struct Recent {
    records: usize,
    approved: usize,
    /// Labour lines of approved sheets (in the ledgers).
    lines: usize,
}

/// The newest days mostly wait for a decision; older ones are mostly approved.
fn recent_state(age_days: i64, rng: &mut Rng) -> State {
    let roll = rng.range(0, 99);
    match age_days {
        ..=2 => match roll {
            0..85 => State::Pending,
            85..95 => State::Approved,
            _ => State::Conflict,
        },
        3..=7 => match roll {
            0..40 => State::Pending,
            40..88 => State::Approved,
            88..93 => State::Changed,
            93..97 => State::Conflict,
            _ => State::Rejected,
        },
        _ => match roll {
            0..82 => State::Approved,
            82..88 => State::Changed,
            88..92 => State::Rejected,
            92..95 => State::Pending,
            95..98 => State::Conflict,
            _ => State::Voided,
        },
    }
}

/// The recent days of `project` as documents (see the module's comment); approved versions' postings
/// are added to `posted`.
async fn seed_recent(
    db: &Db,
    args: &Args,
    c: &Company,
    project: &str,
    posted: &mut Posted,
    roster: Option<&funds::SeedRoster>,
) -> Result<Recent, Box<dyn std::error::Error>> {
    let cache = std::sync::Arc::new(DocCache::new(64 << 20));
    let (device_id, _) = server::auth::create_token(db, project, Role::Supervisor, "生产经理 李强 (seed)")
        .await
        .map_err(|e| format!("supervisor token: {e:?}"))?;
    let who = TokenGrant {
        device_id,
        device_name: "生产经理 李强 (seed)".into(),
        role: Role::Supervisor,
        project_id: project.into(),
    };
    let seed = project.bytes().fold(0x4EC3_A7D0_0000_0001u64, |a, b| a.rotate_left(5) ^ u64::from(b));
    let mut rng = Rng(seed);
    let foremen: Vec<&str> = (0..4).map(|i| FOREMEN[(i + seed as usize) % FOREMEN.len()]).collect();
    let mut out = Recent::default();
    let mut tasks: JoinSet<Result<(), BoxError>> = JoinSet::new();
    let mut date = c.recent;
    while date <= c.today {
        let age = (c.today - date).num_days();
        // 17:30 in Beijing (09:30 UTC) on the day, a few minutes apart; never in the future.
        let at_ms = |rng: &mut Rng| {
            let t = date.and_hms_opt(9, 30, 0).map_or(0, |t| t.and_utc().timestamp_millis());
            (t + rng.range(0, 90) as i64 * 60_000).min(record_schema::now_ms() - 60_000)
        };
        for site in 1..=c.sites {
            let mut records = vec![sheet(project, site, date, rng.range(12, 28) as usize, c, &mut rng)];
            if let Some(roster) = roster {
                // 实名制: crew lines name roster workers, and now and then a newcomer the office has
                // not yet put on the roster (a proposed name).
                roster.name_workers(&mut records[0], &mut rng);
                if let Record::LabourSheet(s) = &mut records[0]
                    && let Some(l) = s.lines.iter_mut().find(|l| !l.workers.is_empty())
                    && rng.range(0, 9) == 0
                {
                    l.workers.pop();
                    l.workers.push(record_schema::labour::Worker {
                        name: format!("{}{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN), rng.pick(&GIVEN)),
                        id_number: None,
                        worker_id: None,
                    });
                }
            } else if let Record::LabourSheet(s) = &mut records[0] {
                // 实名制: most crew lines name their workers.
                for l in s.lines.iter_mut() {
                    if rng.range(0, 9) >= 6 {
                        continue;
                    }
                    l.workers = (0..l.headcount)
                        .map(|_| record_schema::labour::Worker {
                            name: format!("{}{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN), rng.pick(&GIVEN)),
                            id_number: None,
                            worker_id: None,
                        })
                        .collect();
                }
            }
            if date.ordinal().is_multiple_of(3) {
                records.push(Record::Expense(Expense {
                    header: header(project, site, &mut rng),
                    date,
                    amount: Decimal::new(rng.range(5_000, 2_000_000) as i64, 2),
                    currency: Currency::Cny,
                    category: (*rng.pick(&["materials", "equipment", "transport", "tools"])).into(),
                    vendor: Some((*rng.pick(&["建材商行", "鑫达租赁", "顺通物流"])).into()),
                    cost_code: rng.pick(&c.leaf_codes).clone(),
                    note: None,
                    receipts: Vec::new(),
                }));
            }
            if site == 1 && date.ordinal().is_multiple_of(7) {
                for (id, s, f) in c.activities.iter().filter(|(_, s, f)| *s <= date && date <= *f) {
                    let span = (*f - *s).num_days().max(1);
                    let done = ((date - *s).num_days() * 100 / span).clamp(0, 100);
                    records.push(Record::ProgressReport(ProgressReport {
                        header: header(project, site, &mut rng),
                        date,
                        activity: id.clone(),
                        progress: Progress::Percent(Decimal::from((done - rng.range(0, 8) as i64).max(0))),
                        caption: None,
                        photos: Vec::new(),
                    }));
                }
            }
            let author = *rng.pick(&foremen);
            for mut record in records {
                let at = at_ms(&mut rng);
                let header = record.header_mut();
                header.author = author.into();
                header.created_at_ms = at;
                let state = recent_state(age, &mut rng);
                out.records += 1;
                if matches!(state, State::Approved | State::Changed) {
                    let posts = postings(&record);
                    out.approved += 1;
                    out.lines += posts.iter().filter(|p| p.trade.is_some()).count();
                    posted.add(&posts);
                }
                while tasks.len() >= args.concurrency {
                    if let Some(done) = tasks.join_next().await {
                        done?.map_err(|e| e.to_string())?;
                    }
                }
                // The foreman's phone, named after him (`phone-` and digits of his name).
                let device =
                    format!("phone-{}", author.chars().map(|c| (c as u32 % 10).to_string()).collect::<String>());
                let planned = Planned {
                    record,
                    state,
                    at_ms: at,
                    device,
                    other: ("副班长 周海".into(), "phone-deputy".into()),
                    reason: "人数与考勤不符，请核对后重新提交".into(),
                    // The seed's phones are no device rows: owned by nobody (site and date are set).
                    owner: None,
                };
                let (db, cache, who) = (db.clone(), cache.clone(), who.clone());
                tasks.spawn(async move { store_planned(&db, &cache, &who, planned).await });
            }
        }
        date = date + Days::new(1);
    }
    while let Some(done) = tasks.join_next().await {
        done?.map_err(|e| e.to_string())?;
    }
    let t = Instant::now();
    server::ledger::pending::refresh_index(db, &cache, project).await?;
    eprintln!("{project}: record index refreshed in {:.1} s", t.elapsed().as_secs_f64());
    Ok(out)
}

/// A supervisor token for each project, written to `--token-file` (`project token` per line).
async fn write_tokens(db: &Db, args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut text = String::new();
    for p in 1..=args.projects {
        let project = format!("SEED-{p:02}");
        let (_, token) = server::auth::create_token(db, &project, Role::Supervisor, "生产经理 (bench)")
            .await
            .map_err(|e| format!("supervisor token: {e:?}"))?;
        text.push_str(&format!("{project} {token}\n"));
    }
    let path = match &args.token_file {
        Some(p) => p.clone(),
        None => {
            std::fs::create_dir_all(&args.data_dir)?;
            args.data_dir.join("supervisor-tokens.txt")
        }
    };
    std::fs::write(&path, text)?;
    eprintln!("supervisor tokens written to {}", path.display());
    if let Some(path) = &args.admin_token_file {
        let (_, token) = server::auth::create_token(db, "SEED-01", Role::Admin, "总部 (bench)")
            .await
            .map_err(|e| format!("admin token: {e:?}"))?;
        std::fs::write(path, format!("{token}\n"))?;
        eprintln!("admin token written to {}", path.display());
    }
    Ok(())
}

/// Recent documents stored already (expenses: the measurements store only labour sheets).
async fn recent_docs(db: &Db) -> Result<i64, sqlx::Error> {
    let sql = "SELECT count(*) FROM documents WHERE project_id LIKE 'SEED-%' AND kind = 'expense'";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
    }
}

async fn labour_lines(db: &Db) -> Result<i64, sqlx::Error> {
    let sql = "SELECT count(*) FROM ledger_postings WHERE project_id LIKE 'SEED-%' AND record_kind = 'labour_sheet'";
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
    }
}

async fn seed(db: &Db, args: &Args, c: &Company) -> Result<(), Box<dyn std::error::Error>> {
    let cache = DocCache::new(16 << 20);
    let per_project = args.labour_lines.div_ceil(args.projects);
    let mut rng = Rng(0x5EED_F1E1_D1ED_6E12);
    // The budgets' own generator: sizing them draws nothing from the records' one.
    let mut budget_rng = Rng(0xB0D6_E75E_ED00_0001);
    let mut tasks: JoinSet<Result<usize, store::DecisionCommitError>> = JoinSet::new();
    let started = Instant::now();
    let mut written = 0usize;
    for p in 1..=args.projects {
        let project = format!("SEED-{p:02}");
        seed_reference(db, &cache, &project, c, None).await?;
        // The roster and who works each line come from their own generator: the records' draws
        // stay as they were before rosters existed.
        let mut names_rng = Rng(0x0A11_CE5E_ED00_0001 ^ p as u64);
        let trades: Vec<&str> = TRADES.iter().map(|t| t.0).collect();
        let roster = funds::seed_roster(db, &cache, &project, args.roster, &CREWS, &trades, &mut names_rng).await?;
        let mut posted = Posted::default();
        let mut lines_left = per_project;
        'days: for day in 0.. {
            let date = c.start + Days::new(day);
            for site in 1..=c.sites {
                let mut records = Vec::new();
                let n = (rng.range(12, 28) as usize).min(lines_left);
                let mut labour = sheet(&project, site, date, n, c, &mut rng);
                roster.name_workers(&mut labour, &mut names_rng);
                records.push(labour);
                lines_left -= n;
                if date.ordinal().is_multiple_of(3) {
                    records.push(Record::Expense(Expense {
                        header: header(&project, site, &mut rng),
                        date,
                        amount: Decimal::new(rng.range(5_000, 2_000_000) as i64, 2),
                        currency: Currency::Cny,
                        category: (*rng.pick(&["materials", "equipment", "transport", "tools"])).into(),
                        vendor: None,
                        cost_code: rng.pick(&c.leaf_codes).clone(),
                        note: None,
                        receipts: Vec::new(),
                    }));
                }
                if site == 1 && date.ordinal().is_multiple_of(14) {
                    for (id, s, f) in c.activities.iter().filter(|(_, s, _)| *s <= date) {
                        let span = (*f - *s).num_days().max(1);
                        let done = ((date - *s).num_days() * 100 / span).clamp(0, 100);
                        let lag = rng.range(0, 8) as i64;
                        records.push(Record::ProgressReport(ProgressReport {
                            header: header(&project, site, &mut rng),
                            date,
                            activity: id.clone(),
                            progress: Progress::Percent(Decimal::from((done - lag).max(0))),
                            caption: None,
                            photos: Vec::new(),
                        }));
                    }
                }
                let batch: Vec<(DecisionRow, Vec<server::ledger::postings::Posting>, Vec<FundsEntry>)> =
                    records.iter().map(|r| (decision(r, &mut rng), postings(r), entries(r))).collect();
                for (_, posts, _) in &batch {
                    posted.add(posts);
                }
                while tasks.len() >= args.concurrency {
                    if let Some(done) = tasks.join_next().await {
                        written += done??;
                    }
                }
                let db = db.clone();
                tasks.spawn(async move {
                    let mut n = 0;
                    for (d, posts, entries) in &batch {
                        store::commit(&db, d, posts, entries, None).await?;
                        n += posts.iter().filter(|p| p.trade.is_some()).count();
                    }
                    Ok(n)
                });
                if lines_left == 0 {
                    break 'days;
                }
            }
            if day % 90 == 0 {
                eprintln!(
                    "{project}: {date}, {written} labour lines written ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            }
        }
        while let Some(done) = tasks.join_next().await {
            written += done??;
        }
        // The recent days as documents (approvals among them post too), then the budgets sized
        // to everything posted.
        let recent = seed_recent(db, args, c, &project, &mut posted, Some(&roster)).await?;
        eprintln!(
            "{project}: {} recent records stored ({} approved, {} lines) ({:.0} s)",
            recent.records,
            recent.approved,
            recent.lines,
            started.elapsed().as_secs_f64()
        );
        written += recent.lines;
        let budgets = size_budgets(c, &posted, &mut budget_rng);
        seed_reference(db, &cache, &project, c, Some(&budgets)).await?;
        let paid = funds::seed_payments(db, &project, c.start, c.today, &mut names_rng).await?;
        eprintln!("{project}: {} workers on the roster, {paid} wage payments", args.roster);
    }
    while let Some(done) = tasks.join_next().await {
        written += done??;
    }
    eprintln!("seeded {written} labour lines in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn summary(name: &str, mut t: Vec<Duration>) {
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| t[((t.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<44} p50 {:>7.2} ms   p95 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   (n={})",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(at(1.0)),
        t.len()
    );
}

async fn measure(db: &Db, args: &Args, c: &Company) -> Result<(), Box<dyn std::error::Error>> {
    let project = "SEED-01";
    let cache = DocCache::new(64 << 20);
    let set = server::reference::store::load(db, project).await?;
    let lines: i64 = labour_lines(db).await?;
    println!("database: {} — {lines} approved labour lines in {} projects", db.backend(), args.projects);
    let mut t = Vec::new();
    let mut rows = 0;
    for _ in 0..args.reps {
        let s = Instant::now();
        let r = cost::report(db, &set, DateRange::default()).await?;
        t.push(s.elapsed());
        rows = r.codes.len();
    }
    summary(&format!("cost report, one project, all dates ({rows} codes)"), t);
    let last = c.today;
    let month_start = last.with_day(1).unwrap_or(last) - Days::new(1);
    let month = DateRange::new(month_start.with_day(1), Some(month_start))?;
    let mut t = Vec::new();
    for _ in 0..args.reps {
        let s = Instant::now();
        let r = labour::summary(db, project, month, Period::Month, &["site", "trade", "crew"]).await?;
        t.push(s.elapsed());
        rows = r.rows.len();
    }
    summary(&format!("day-labour summary, one project, one month ({rows} rows)"), t);
    let mut t = Vec::new();
    for _ in 0..args.reps {
        let s = Instant::now();
        let r = labour::summary(db, project, month, Period::Day, &["site", "trade", "crew"]).await?;
        t.push(s.elapsed());
        rows = r.rows.len();
    }
    summary(&format!("day-labour summary, by day ({rows} rows)"), t);
    // The wage payment ledger (工资支付台账) of the last finished month, and the arrears warning.
    let mut t = Vec::new();
    let mut workers = 0;
    for _ in 0..args.reps {
        let s = Instant::now();
        let l = server::funds::wages::ledger(db, project, month_start, None).await?;
        t.push(s.elapsed());
        workers = l.rows.len();
    }
    summary(&format!("wage ledger, one project, one month ({workers} rows)"), t);
    let mut t = Vec::new();
    let mut flagged = 0;
    for _ in 0..args.reps {
        let s = Instant::now();
        let a = server::funds::arrears::arrears(db, project, c.today).await?;
        t.push(s.elapsed());
        flagged = a.months.len();
    }
    summary(&format!("arrears warning, one project ({flagged} months flagged)"), t);
    // Issue 22: the schedule report behind the schedule screen and its Gantt (every activity of
    // SEED-01, with the S-curve and forecasts), and the portfolio of every project (each at its
    // own today), as their handlers compute them; the pages over HTTP in docs/measurements.md.
    let mut t = Vec::new();
    let mut acts = 0;
    for _ in 0..args.reps {
        let s = Instant::now();
        let r = server::reports::schedule::report(db, &set, c.today).await?;
        t.push(s.elapsed());
        acts = r.activities.len();
    }
    summary(&format!("schedule report, one project ({acts} activities)"), t);
    let projects: Vec<String> = (1..=args.projects).map(|p| format!("SEED-{p:02}")).collect();
    let mut t = Vec::new();
    for _ in 0..args.reps {
        let s = Instant::now();
        let p = server::reports::portfolio::portfolio(db, &projects, None).await?;
        t.push(s.elapsed());
        assert_eq!(p.projects.len(), projects.len(), "one row per project");
    }
    summary(&format!("portfolio, {} projects (first one cold)", projects.len()), t);
    // Approving one daily sheet: a real document, read at its heads, validated, posted.
    let who = TokenGrant {
        device_id: "bench-supervisor".into(),
        device_name: "bench".into(),
        role: Role::Supervisor,
        project_id: project.into(),
    };
    let mut rng = Rng(record_schema::now_ms() as u64 | 1);
    let mut t = Vec::new();
    for _ in 0..args.reps {
        let record = sheet(project, 1, last, 20, c, &mut rng);
        let id = record.header().id.clone();
        let mut doc = AutoCommit::new();
        record.write(&mut doc)?;
        let heads = store::heads_hex(&doc.get_heads());
        let stored = insert_with_facts(db, &record, doc, None).await.map_err(|e| e.to_string())?;
        cache.put(stored);
        let req = DecideRequest {
            record_id: id,
            status: DecisionStatus::Approved,
            heads,
            comment: String::new(),
            request_id: None,
        };
        let s = Instant::now();
        let out = store::decide(db, &cache, &who, req).await?;
        t.push(s.elapsed());
        assert_eq!(out.postings, 20, "a 20-line sheet posts 20 lines");
    }
    summary("approve one daily sheet (20 lines, postings included)", t);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let db = Db::connect(args.database_url.as_deref(), &args.data_dir).await?;
    let today = chrono::Utc::now().date_naive();
    // History ends where the recent days begin: it starts as many days before them as its lines
    // take at 20 lines per sheet (so a little under `--years` years).
    let recent = today + Days::new(1) - Days::new(args.recent_days);
    let span = args.years * 365;
    let lines_per_project = args.labour_lines.div_ceil(args.projects.max(1));
    let sites = lines_per_project.div_ceil(20 * span as usize).max(1);
    let days = (lines_per_project.div_ceil(20 * sites) as u64).max(1);
    let start = recent - Days::new(days);
    let spread = args.activities + 10;
    let activities = (0..args.activities)
        .map(|i| {
            let s = start + Days::new(i * days / spread);
            (format!("A{i:03}"), s, s + Days::new(60 + (i * 7) % 240))
        })
        .collect();
    let leaf_codes = (1..=6).flat_map(|t| (1..=6).map(move |s| format!("{t:02}-{s:02}"))).collect();
    let company = Company { start, recent, today, sites, leaf_codes, activities };
    let have = labour_lines(&db).await?;
    if have as usize >= args.labour_lines {
        eprintln!("already seeded: {have} labour lines");
        if recent_docs(&db).await? == 0 && args.recent_days > 0 {
            for p in 1..=args.projects {
                let project = format!("SEED-{p:02}");
                let r = seed_recent(&db, &args, &company, &project, &mut Posted::default(), None).await?;
                eprintln!("{project}: {} recent records stored ({} approved)", r.records, r.approved);
            }
        }
    } else if have > 0 {
        return Err(format!("the database holds a partial seed ({have} lines); use a fresh database").into());
    } else {
        seed(&db, &args, &company).await?;
    }
    write_tokens(&db, &args).await?;
    measure(&db, &args, &company).await
}

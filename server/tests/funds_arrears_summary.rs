//! The arrears warning read from the wage summaries (migration 0024, `funds::arrears::arrears`)
//! against the computation over every month's wage rows (`funds::arrears::arrears_full`, what the
//! warning was before), on random histories written as the funds tables receive them: wage and
//! advance totals upserted per decision (reversals included: negative amounts), wage payments to a
//! roster id, a crew, a payee or nobody, roster entries added and renamed between readings (names
//! that resolve, stop resolving, become ambiguous), allocations, the pay day, the project's row
//! present or not. After every step both answers must be identical for several days; at the end the
//! migration's backfill, run again over the same rows, must give the same summaries' answers.
//!
//! SQLite as a property; PostgreSQL with the same strategy, each case in a project of its own. A
//! fixed month of 200 workers owed wages covers the months read whole.

mod common;

use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use server::db::Db;
use server::funds::arrears::{arrears, arrears_full};

const IDS: [Option<&str>; 5] = [None, Some("W1"), Some("W2"), Some("W3"), Some("W9")];
const NAMES: [&str; 5] = ["", "王五", "李四", "赵六", "孙七"];
const CREWS: [&str; 3] = ["", "张班", "李班"];
const TRADES: [&str; 2] = ["", "木工"];
/// Names the office types on the roster (one untrimmed: names resolve trimmed).
const ROSTER_NAMES: [&str; 5] = ["王五", "李四", " 赵六 ", "孙七", "周八"];
const MONTHS: [&str; 5] = ["2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"];
/// Days read: before, on and after due days, mid-history and after everything.
const DAYS: [&str; 6] = ["2026-10-14", "2026-10-15", "2026-10-16", "2026-12-20", "2027-02-01", "2027-03-20"];

/// Wage payments: (worker_id, crew, payee).
const TARGETS: [(Option<&str>, Option<&str>, Option<&str>); 11] = [
    (Some("W1"), None, None),
    (Some("W2"), None, None),
    (Some("W3"), None, None),
    (Some("W9"), None, None),
    (None, Some("张班"), None),
    (None, Some(""), None),
    (None, Some("李班"), None),
    (None, None, Some("王五")),
    (None, None, Some(" 李四 ")),
    (None, None, Some("赵六")),
    (None, None, None),
];

#[derive(Debug, Clone)]
enum Op {
    /// A decision's totals row (a reversal when negative), as `funds::stored` upserts it.
    Totals {
        month: usize,
        advance: bool,
        id: usize,
        name: usize,
        crew: usize,
        trade: usize,
        cents: i64,
    },
    Pay {
        month: usize,
        target: usize,
        cents: i64,
    },
    /// Roster entry W{slot + 1} added, or renamed.
    Worker {
        slot: usize,
        name: usize,
    },
    Allocate {
        month: usize,
        cents: i64,
    },
    /// The project's reference row with a pay day (None: the default).
    Project {
        day: Option<i64>,
    },
    Check,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..MONTHS.len(), proptest::bool::weighted(0.2), 0..IDS.len(), 0..NAMES.len(), 0..CREWS.len(),
              0..TRADES.len(), -40_000i64..300_000)
            .prop_map(|(month, advance, id, name, crew, trade, cents)| Op::Totals { month, advance, id, name, crew, trade, cents }),
        4 => (0..MONTHS.len(), 0..TARGETS.len(), -20_000i64..300_000)
            .prop_map(|(month, target, cents)| Op::Pay { month, target, cents }),
        2 => (0usize..4, 0..ROSTER_NAMES.len()).prop_map(|(slot, name)| Op::Worker { slot, name }),
        1 => (0..MONTHS.len(), 1i64..500_000).prop_map(|(month, cents)| Op::Allocate { month, cents }),
        1 => proptest::option::of(1i64..29).prop_map(|day| Op::Project { day }),
        2 => Just(Op::Check),
    ]
}

async fn exec(db: &Db, sql: &str, binds: &[Bind]) {
    macro_rules! run {
        ($p:expr) => {{
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for b in binds {
                q = match b {
                    Bind::Text(t) => q.bind(t.clone()),
                    Bind::Opt(t) => q.bind(t.clone()),
                    Bind::Int(i) => q.bind(*i),
                    Bind::OptInt(i) => q.bind(*i),
                };
            }
            q.execute($p).await.expect(sql);
        }};
    }
    match db {
        Db::Sqlite(p) => run!(p),
        Db::Postgres(p) => run!(p),
    }
}

enum Bind {
    Text(String),
    Opt(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

fn text(s: &str) -> Bind {
    Bind::Text(s.to_string())
}

async fn apply(db: &Db, project: &str, op: &Op, payments: &mut usize) {
    match op {
        Op::Totals { month, advance, id, name, crew, trade, cents } => {
            let sql = "INSERT INTO funds_month_totals (project_id, month, kind, worker_id, worker_name, crew, trade, \
                       currency, amount_minor, person_days_micro, person_hours_micro) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, 'CNY', $8, $9, $10) \
                       ON CONFLICT (project_id, month, kind, worker_id, worker_name, crew, trade, currency) DO UPDATE SET \
                       amount_minor = funds_month_totals.amount_minor + excluded.amount_minor, \
                       person_days_micro = funds_month_totals.person_days_micro + excluded.person_days_micro, \
                       person_hours_micro = funds_month_totals.person_hours_micro + excluded.person_hours_micro";
            let days = if *advance { 0 } else { cents.signum() * 1_000_000 };
            exec(
                db,
                sql,
                &[
                    text(project),
                    text(MONTHS[*month]),
                    text(if *advance { "advance" } else { "wage" }),
                    text(IDS[*id].unwrap_or("")),
                    text(NAMES[*name]),
                    text(CREWS[*crew]),
                    text(TRADES[*trade]),
                    Bind::Int(*cents),
                    Bind::Int(days),
                    Bind::Int(days * 8),
                ],
            )
            .await;
        }
        Op::Pay { month, target, cents } => {
            *payments += 1;
            let (worker_id, crew, payee) = TARGETS[*target];
            let sql = "INSERT INTO funds_payments (id, project_id, kind, worker_id, crew, payee, month, paid_on, \
                       payer_account, currency, amount_minor, reference, batch_id, reverses, recorded_by, recorded_at_ms) \
                       VALUES ($1, $2, 'wage', $3, $4, $5, $6, '2027-01-10', '专户', 'CNY', $7, 'r', NULL, NULL, 't', 1)";
            let opt = |s: Option<&str>| Bind::Opt(s.map(str::to_string));
            exec(
                db,
                sql,
                &[
                    text(&format!("{project}-pay-{payments}")),
                    text(project),
                    opt(worker_id),
                    opt(crew),
                    opt(payee),
                    text(MONTHS[*month]),
                    Bind::Int(*cents),
                ],
            )
            .await;
        }
        Op::Worker { slot, name } => {
            let sql = "INSERT INTO workers (project_id, id, name, id_masked, crew, trade, status, updated_at_ms) \
                       VALUES ($1, $2, $3, '3201**********1234', $4, '木工', 'active', 1) \
                       ON CONFLICT (project_id, id) DO UPDATE SET name = excluded.name";
            let crew = if slot % 2 == 0 { "张班" } else { "李班" };
            exec(db, sql, &[text(project), text(&format!("W{}", slot + 1)), text(ROSTER_NAMES[*name]), text(crew)])
                .await;
        }
        Op::Allocate { month, cents } => {
            *payments += 1;
            let sql = "INSERT INTO labour_allocations (id, project_id, month, received_on, currency, amount_minor, \
                       reference, recorded_by, recorded_at_ms) VALUES ($1, $2, $3, '2026-12-01', 'CNY', $4, 'r', 't', 1)";
            exec(
                db,
                sql,
                &[text(&format!("{project}-alloc-{payments}")), text(project), text(MONTHS[*month]), Bind::Int(*cents)],
            )
            .await;
        }
        Op::Project { day } => {
            let sql = "INSERT INTO projects (id, name, currency, updated_at_ms, wage_pay_day) VALUES ($1, '一号楼', 'CNY', 1, $2) \
                       ON CONFLICT (id) DO UPDATE SET wage_pay_day = excluded.wage_pay_day";
            exec(db, sql, &[text(project), Bind::OptInt(*day)]).await;
        }
        Op::Check => check(db, project, "after a step").await,
    }
}

/// Both computations, every day read, identical to the last figure and row.
async fn check(db: &Db, project: &str, when: &str) {
    for day in DAYS {
        let day: NaiveDate = day.parse().expect("day");
        let fast = arrears(db, project, day).await.expect("arrears");
        let full = arrears_full(db, project, day).await.expect("arrears_full");
        let (fast, full) = (serde_json::to_value(&fast).expect("json"), serde_json::to_value(&full).expect("json"));
        assert_eq!(fast, full, "{project} as of {day}, {when}");
    }
}

/// The statements between `-- backfill:begin` and `-- backfill:end` of the backend's migration.
fn backfill(db: &Db) -> Vec<String> {
    let file = match db {
        Db::Sqlite(_) => include_str!("../../migrations/server/sqlite/0024_funds_wage_balances.sql"),
        Db::Postgres(_) => include_str!("../../migrations/server/postgres/0024_funds_wage_balances.sql"),
    };
    let begin = file.find("-- backfill:begin").expect("begin marker");
    let end = file.find("-- backfill:end").expect("end marker");
    let part = &file[begin..end];
    let part = &part[part.find('\n').expect("line")..];
    part.split(";\n").map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The summaries rebuilt by the migration's backfill from the rows as they are.
async fn rebuild(db: &Db) {
    exec(db, "DELETE FROM funds_wage_months", &[]).await;
    exec(db, "DELETE FROM funds_wage_balances", &[]).await;
    for sql in backfill(db) {
        exec(db, &sql, &[]).await;
    }
}

async fn run_case(db: &Db, project: &str, ops: &[Op]) {
    let mut n = 0;
    for op in ops {
        apply(db, project, op, &mut n).await;
    }
    check(db, project, "at the end").await;
    rebuild(db).await;
    check(db, project, "after the backfill").await;
}

/// 200 workers owed wages in one month (more than the identities read one by one), some paid
/// part, a crew's rest, and a small month beside it.
async fn month_read_whole(db: &Db) {
    let project = "WHOLE";
    let mut n = 0;
    let mut ops = vec![Op::Project { day: Some(10) }];
    for w in 0..200usize {
        let id = format!("X{w:03}");
        let sql = "INSERT INTO funds_month_totals (project_id, month, kind, worker_id, worker_name, crew, trade, \
                   currency, amount_minor, person_days_micro, person_hours_micro) \
                   VALUES ($1, '2026-11-01', 'wage', $2, '某', '张班', '木工', 'CNY', $3, 1000000, 8000000)";
        exec(db, sql, &[text(project), text(&id), Bind::Int(30_000 + w as i64)]).await;
        if w % 3 == 0 {
            let sql = "INSERT INTO funds_payments (id, project_id, kind, worker_id, crew, payee, month, paid_on, \
                       payer_account, currency, amount_minor, reference, batch_id, reverses, recorded_by, \
                       recorded_at_ms) VALUES ($1, $2, 'wage', $3, NULL, NULL, '2026-11-01', '2026-12-10', '专户', \
                       'CNY', $4, 'r', NULL, NULL, 't', 1)";
            exec(db, sql, &[text(&format!("whole-{w}")), text(project), text(&id), Bind::Int(10_000 * (w as i64 % 5))])
                .await;
        }
    }
    ops.extend([
        Op::Totals { month: 2, advance: false, id: 0, name: 0, crew: 1, trade: 1, cents: 77_000 },
        Op::Totals { month: 1, advance: false, id: 0, name: 2, crew: 1, trade: 1, cents: 12_345 },
        Op::Worker { slot: 1, name: 1 },
    ]);
    for op in &ops {
        apply(db, project, op, &mut n).await;
    }
    let a = arrears(db, project, "2027-01-20".parse().expect("day")).await.expect("arrears");
    let nov = a.months.iter().find(|m| m.month == "2026-11").expect("November owed");
    // Of the 200 named workers, those paid 40,000 (w ≡ 9 mod 15: 13 of them) are paid in full; the
    // crew's unnamed rest is owed too.
    assert_eq!(nov.workers, 200 - 13 + 1, "{nov:?}");
    run_case(db, project, &[]).await;
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn summaries_answer_as_the_full_computation_on_sqlite(ops in proptest::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().expect("dir");
        runtime().block_on(async {
            let db = Db::connect(None, dir.path()).await.expect("sqlite");
            run_case(&db, "P1", &ops).await;
        });
    }
}

#[test]
fn months_read_whole_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async {
        let db = Db::connect(None, dir.path()).await.expect("sqlite");
        month_read_whole(&db).await;
    });
}

/// The same strategy on PostgreSQL: one database, each case a project of its own.
#[test]
fn summaries_answer_as_the_full_computation_on_postgresql() {
    let pg = common::ThrowawayPg::create();
    let dir = tempfile::tempdir().expect("dir");
    let rt = runtime();
    let db = rt.block_on(Db::connect(Some(&pg.url()), dir.path())).expect("postgres");
    rt.block_on(month_read_whole(&db));
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    let case = std::cell::Cell::new(0);
    runner
        .run(&proptest::collection::vec(op(), 1..60), |ops| {
            case.set(case.get() + 1);
            rt.block_on(run_case(&db, &format!("P{}", case.get()), &ops));
            Ok(())
        })
        .expect("every case agrees");
}

//! `fieldledger-seed`'s budgets are realistic: it seeds a small company (one project, 3,000 labour
//! lines, SQLite in a temp dir) and the cost report on it shows leaf codes' spent % spread around
//! 60–110% (some over budget, most under), not every row red; and the day-labour summary read
//! through the monthly totals (migration 0014) agrees with the lines summed day by day over a year
//! of approvals, re-approvals and reversals. Its recent documents, and the demo company's, carry
//! the sync-scope facts a phone's sync would have written (issue 25): each record's row its site
//! and date, its companions' the same, voided ones not open, the demo's records owned by their
//! phone's device.

use std::process::Command;

use chrono::Datelike as _;

use rust_decimal::Decimal;
use server::db::Db;
use server::reports::labour::{self, Period};
use server::reports::{DateRange, cost};

#[tokio::test]
async fn seeded_budgets_are_spent_60_to_110_percent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_fieldledger-seed"))
        .env_remove("DATABASE_URL")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--projects", "1", "--labour-lines", "3000", "--years", "1", "--reps", "1"])
        .output()
        .expect("run fieldledger-seed");
    assert!(out.status.success(), "fieldledger-seed failed: {}", String::from_utf8_lossy(&out.stderr));

    let db = Db::connect(None, dir.path()).await.expect("open the seeded database");
    let set = server::reference::store::load(&db, "SEED-01").await.expect("reference data");
    let report = cost::report(&db, &set, DateRange::default()).await.expect("cost report");
    let leaves: Vec<_> = report.codes.iter().filter(|r| r.parent.is_some()).collect();
    assert_eq!(leaves.len(), 36, "6 × 6 leaf codes");
    let spent: Vec<Decimal> =
        leaves.iter().map(|r| r.spent_percent.unwrap_or_else(|| panic!("{} has no budget", r.code))).collect();
    eprintln!("leaf codes' spent %: {spent:?}");
    for (r, s) in leaves.iter().zip(&spent) {
        assert!(r.actual < r.budget * Decimal::TEN, "{} spent {} of {}", r.code, r.actual, r.budget);
        assert!(
            (Decimal::from(40)..=Decimal::from(130)).contains(s),
            "{} spent {s}% of its budget ({} of {})",
            r.code,
            r.actual,
            r.budget
        );
    }
    let under = spent.iter().filter(|s| **s < Decimal::from(90)).count();
    let over = spent.iter().filter(|s| **s > Decimal::ONE_HUNDRED).count();
    assert!(under >= leaves.len() / 2, "most codes under 90% spent: {under} of {}", leaves.len());
    assert!(over >= 1 && over < leaves.len() / 2, "some codes over budget, not most: {over} of {}", leaves.len());

    // Parents carry no budget of their own: the report's parent is the sum of its children.
    for top in report.codes.iter().filter(|r| r.parent.is_none()) {
        let own = set.cost_codes.iter().find(|c| c.code == top.code).map(|c| c.budget);
        assert_eq!(own, Some(Decimal::ZERO), "{} has a budget of its own", top.code);
        let children: Decimal =
            leaves.iter().filter(|r| r.parent.as_deref() == Some(&top.code)).map(|r| r.budget).sum();
        assert_eq!(top.budget, children, "{}'s budget is its children's", top.code);
    }

    // Activities: a budget each, sized to the cost posted on them (not a placeholder far above it).
    let total_activity: Decimal = set.activities.iter().map(|a| a.budget).sum();
    assert!(set.activities.iter().all(|a| a.budget > Decimal::ZERO), "every activity has a budget");
    assert!(
        total_activity < report.totals.budget * Decimal::TEN,
        "activity budgets {total_activity} in proportion to the codes' {}",
        report.totals.budget
    );

    month_totals_agree_with_the_days(&db).await;
    let checked = scope_facts_as_synced(&db, "SEED-01", false).await;
    eprintln!("seed: {checked} record documents carry their scope facts");
}

/// The demo company (`demo::load`, as `fieldledger-server demo`) writes the same facts, and its
/// records are owned by their foremen's phones.
#[tokio::test]
async fn demo_documents_carry_scope_facts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::connect(None, dir.path()).await.expect("database");
    server::demo::load(&db, dir.path()).await.expect("demo load");
    let checked = scope_facts_as_synced(&db, server::demo::company::PROJECT, true).await;
    eprintln!("demo: {checked} record documents carry their scope facts");
}

/// Every record document of `project` has the scope facts of its record (site, date; not open
/// when voided; an owner `d:<device>` when `owned`), and each companion (`approval:`,
/// `follow_up:`) its record's. Some records are open, some are not (approvals closed them).
/// Returns how many records were checked.
async fn scope_facts_as_synced(db: &Db, project: &str, owned: bool) -> usize {
    use record_schema::Record;
    type Row = (String, Option<String>, Option<String>, Option<String>, i64);
    let server::db::Db::Sqlite(pool) = db else { panic!("these tests seed SQLite") };
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, scope_site, scope_date, scope_owner, scope_open FROM documents WHERE project_id = $1 ORDER BY id",
    )
    .bind(project)
    .fetch_all(pool)
    .await
    .expect("documents");
    let facts: std::collections::HashMap<&str, &Row> = rows.iter().map(|r| (r.0.as_str(), r)).collect();
    let (mut records, mut open, mut companions) = (0, 0, 0);
    for row @ (id, site, date, owner, is_open) in &rows {
        if let Some(record) = record_schema::scope::companion_of(id) {
            let of = facts.get(record).unwrap_or_else(|| panic!("{id} without its record"));
            assert_eq!((site, date, owner, is_open), (&of.1, &of.2, &of.3, &of.4), "{id} carries {record}'s facts");
            companions += 1;
            continue;
        }
        if id.contains(':') {
            assert_eq!((site, date), (&None, &None), "{id} is no record: no site or date");
            continue;
        }
        let stored = server::docstore::load(db, id).await.expect("load").expect("stored");
        let r = Record::read(&stored.doc).unwrap_or_else(|e| panic!("{id}: {e:?}"));
        assert_eq!(site.as_deref(), Some(r.header().site_id.as_str()), "{id}'s site: {row:?}");
        assert_eq!(date.as_deref(), Some(r.date().to_string().as_str()), "{id}'s date: {row:?}");
        if r.header().voided.is_some() {
            assert_eq!(*is_open, 0, "{id} is voided");
        }
        if owned {
            assert!(owner.as_deref().is_some_and(|o| o.starts_with("d:")), "{id} is its phone's: {row:?}");
        }
        records += 1;
        open += usize::from(*is_open == 1);
    }
    assert!(records >= 20 && companions >= 5, "{records} records, {companions} companions");
    assert!(open > 0 && open < records, "some open, some closed: {open} of {records}");
    records
}

/// By month and over a whole range, grouped by site, trade or crew, `labour::summary` reads whole
/// months from `labour_month_totals` and the days at the range's edges from the lines; by day (or
/// by cost code, activity or author) it reads every line. The two agree, group by group, for
/// ranges with and without edges.
async fn month_totals_agree_with_the_days(db: &Db) {
    use std::collections::BTreeMap;
    let date = |s: &str| s.parse::<chrono::NaiveDate>().ok();
    let all: Vec<&'static str> = labour::DIMENSIONS.iter().map(|(n, _)| *n).collect();
    let mut checked = 0;
    for ((from, to), by) in [
        ((None, None), &labour::MONTH_TOTALS_BY[..]),
        ((date("2026-03-17"), date("2026-09-09")), &labour::MONTH_TOTALS_BY[..]),
        ((None, date("2026-06-30")), &["crew"][..]),
        ((date("2026-03-17"), date("2026-09-09")), &all[..]),
    ] {
        let range = DateRange::new(from, to).expect("range");
        let days = labour::summary(db, "SEED-01", range, Period::Day, by).await.expect("by day");
        for period in [Period::Month, Period::Total] {
            let got = labour::summary(db, "SEED-01", range, period, by).await.expect("by month");
            // (period, grouping values) -> headcount, worker-days, person-hours, cost.
            type Group = (Option<chrono::NaiveDate>, Vec<Option<String>>);
            let mut want: BTreeMap<Group, [Decimal; 4]> = BTreeMap::new();
            for r in &days.rows {
                let p = if period == Period::Month { r.period.and_then(|d| d.with_day(1)) } else { None };
                let e = want.entry((p, r.keys.clone())).or_default();
                for (i, v) in
                    [Decimal::from(r.headcount), r.headcount_days, r.person_hours, r.cost].into_iter().enumerate()
                {
                    e[i] += v;
                }
            }
            want.retain(|_, v| v.iter().any(|x| !x.is_zero()));
            let have: BTreeMap<_, _> = got
                .rows
                .iter()
                .map(|r| {
                    ((r.period, r.keys.clone()), [Decimal::from(r.headcount), r.headcount_days, r.person_hours, r.cost])
                })
                .collect();
            assert_eq!(have.len(), got.rows.len(), "one row per group");
            assert!(want.len() >= 3, "{from:?}..{to:?}: the seed has labour in range");
            assert_eq!(have, want, "{period:?} over {from:?}..{to:?}");
            assert_eq!(got.totals[0].cost, days.totals[0].cost);
            checked += have.len();
        }
    }
    eprintln!("month totals agree with the days over {checked} groups");
}

//! `cargo bench -p server --bench exports`: the whole-history day-labour export, without the
//! database. Builds a summary the shape of one seeded project's whole history by day, site, trade
//! and crew (~2.9 years, 107,000 groups, as `fieldledger-seed --labour-lines 1000000` gives; figures
//! in docs/measurements.md) and times its three steps separately: naming and ordering the rows
//! into a table (`LabourSummary::table`), writing the CSV, writing the XLSX. Issue 19's target
//! for the whole request, SQL included, is 2 s; this tells where the time goes.
//!
//! `--rows N` changes the size; `--reps N` the repetitions (p50 and min are printed).

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use server::reference::{ReferenceSet, Site};
use server::reports::export::{Words, csv, xlsx};
use server::reports::labour::{LabourRow, LabourSummary, Period};
use server::web::i18n::Lang;

const SITES: [&str; 6] = ["一号楼", "二号楼", "三号楼", "地下车库", "综合楼", "室外管网"];
const TRADES: [&str; 8] = ["木工", "钢筋工", "混凝土工", "瓦工", "架子工", "水电工", "油漆工", "普工"];
const CREWS: [&str; 9] =
    ["张建国班", "李卫东班", "王志强班", "刘德华班", "陈小平班", "杨明班", "赵军班", "黄海班", "周涛班"];

fn summary(rows: usize) -> (LabourSummary, ReferenceSet) {
    let first = NaiveDate::from_ymd_opt(2024, 1, 8).expect("date");
    let mut out = Vec::with_capacity(rows);
    let per_day = SITES.len() * 17;
    for i in 0..rows {
        let day = first.checked_add_days(Days::new((i / per_day) as u64)).expect("day");
        let within = i % per_day;
        let headcount = (i % 23 + 1) as i64;
        let hours = Decimal::new(headcount * 85, 1); // 8.5 h each
        out.push(LabourRow {
            period: Some(day),
            keys: vec![
                Some(format!("S{}", within % SITES.len() + 1)),
                Some(TRADES[(within / SITES.len()) % TRADES.len()].to_string()),
                Some(CREWS[(within / SITES.len() + i / 997) % CREWS.len()].to_string()),
            ],
            currency: "CNY".into(),
            headcount,
            headcount_days: hours / Decimal::from(8),
            person_hours: hours,
            cost: Decimal::new(headcount * 45_625, 2),
        });
    }
    let mut set = ReferenceSet::empty("SEED-01");
    set.sites = SITES
        .iter()
        .enumerate()
        .map(|(i, n)| Site { id: format!("S{}", i + 1), name: (*n).into(), time_zone: "Asia/Shanghai".into() })
        .collect();
    let summary = LabourSummary {
        project_id: "SEED-01".into(),
        from: None,
        to: None,
        period: Period::Day,
        by: vec!["site", "trade", "crew"],
        rows: out,
        totals: vec![],
    };
    (summary, set)
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn report(what: &str, mut times: Vec<Duration>, bytes: usize) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what:<28} p50 {:>8.1} ms   min {:>8.1} ms   {:>9} bytes",
        ms(times[times.len() / 2]),
        ms(times[0]),
        bytes
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is ignored.
    let rows = arg("--rows", 107_612);
    let reps = arg("--reps", 5).max(1);
    let (summary, set) = summary(rows);
    println!("whole-history day-labour export: {rows} rows, {reps} repetitions");
    let (mut named, mut csvs, mut books) = (Vec::new(), Vec::new(), Vec::new());
    let (mut csv_bytes, mut xlsx_bytes) = (0, 0);
    for _ in 0..reps {
        let t = Instant::now();
        let table = summary.table(Words::Lang(Lang::ZhCn), &set);
        named.push(t.elapsed());
        let t = Instant::now();
        csv_bytes = csv(&table).expect("csv").len();
        csvs.push(t.elapsed());
        let t = Instant::now();
        xlsx_bytes = xlsx(&table).expect("xlsx").len();
        books.push(t.elapsed());
    }
    report("table (names, pinyin order)", named, 0);
    report("csv", csvs, csv_bytes);
    report("xlsx", books, xlsx_bytes);
}

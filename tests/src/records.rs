//! Record and reference fixtures shared by the end-to-end tests: a site `S1` in Shanghai, author "li";
//! reference workbooks as the office imports them.

use automerge::AutoCommit;
use chrono::NaiveDate;
use record_schema::record::RecordHeader;
use std::str::FromStr;

use record_schema::{CrewLine, Currency, Effort, Expense, LabourSheet, Observation, ObservationCategory, Severity};
use rust_decimal::Decimal;

/// Today on site S1's calendar (Asia/Shanghai), as `YYYY-MM-DD`: the newest date a record may carry.
pub fn site_today() -> String {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string()
}

pub fn header(id: &str, project: &str) -> RecordHeader {
    RecordHeader {
        id: id.into(),
        project_id: project.into(),
        site_id: "S1".into(),
        time_zone: "Asia/Shanghai".into(),
        author: "li".into(),
        created_at_ms: 1,
        voided: None,
    }
}

/// A 1,280.50 CNY materials expense on 2026-11-20.
pub fn expense(id: &str, project: &str) -> Expense {
    Expense {
        header: header(id, project),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        amount: Decimal::new(128050, 2),
        currency: Currency::Cny,
        category: "materials".into(),
        vendor: None,
        cost_code: "03-100".into(),
        note: None,
        receipts: vec![],
    }
}

/// A CNY labour sheet of 2026-11-20 in project P1 with `lines`, no note.
pub fn labour_sheet(id: &str, lines: Vec<CrewLine>) -> LabourSheet {
    LabourSheet {
        header: header(id, "P1"),
        work_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        currency: Currency::Cny,
        lines,
        note: None,
    }
}

/// A new Automerge document holding `s`.
pub fn sheet_doc(s: &LabourSheet) -> AutoCommit {
    let mut d = AutoCommit::new();
    s.write(&mut d).expect("write");
    d
}

/// A new Automerge document holding `e`.
/// `expense` for `cents` at a hardware shop: the sync stories' record whose amount they edit.
pub fn expense_costing(id: &str, project: &str, cents: i64) -> Expense {
    Expense { amount: Decimal::new(cents, 2), vendor: Some("五金店".into()), ..expense(id, project) }
}

pub fn expense_doc(e: &Expense) -> AutoCommit {
    let mut d = AutoCommit::new();
    e.write(&mut d).expect("write");
    d
}

/// A field observation of project P1 seen today on site S1 (activity A1), at `place`, without GPS
/// or photos.
pub fn observation(
    id: &str,
    category: ObservationCategory,
    severity: Severity,
    title: &str,
    place: &str,
    description: &str,
) -> Observation {
    Observation {
        header: header(id, "P1"),
        date: NaiveDate::parse_from_str(&site_today(), "%Y-%m-%d").expect("today"),
        category,
        severity,
        title: title.into(),
        description: Some(description.into()),
        place: Some(place.into()),
        gps: None,
        activity: Some("A1".into()),
        photos: vec![],
    }
}

/// A new Automerge document holding `o`.
pub fn observation_doc(o: &Observation) -> AutoCommit {
    let mut d = AutoCommit::new();
    o.write(&mut d).expect("write");
    d
}

/// An XLSX workbook of named sheets; budget and rate columns are written as numbers, as a person
/// types them into Excel.
pub fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet().set_name(*name).expect("sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                // Budgets and rates as numbers, as a person types them into Excel.
                let numeric = ["budget", "day_rate", "hour_rate"].contains(&rows[0][c]);
                match cell.parse::<f64>() {
                    Ok(n) if r > 0 && numeric => sheet.write_number(r as u32, c as u16, n).map(drop),
                    _ => sheet.write_string(r as u32, c as u16, *cell).map(drop),
                }
                .expect("cell");
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

/// Project P1: site S1 in Shanghai, codes 03 > 03-100 (100,000) and 03-200 (80,000.50),
/// activities A1 (03-100) and A2 (03-200), trades 木工 and 钢筋工.
pub fn reference_workbook() -> Vec<u8> {
    workbook(&[
        ("project", &[&["name", "currency"], &["一号楼", "CNY"]]),
        ("sites", &[&["id", "name", "time_zone"], &["S1", "东区工地", "Asia/Shanghai"]]),
        (
            "cost_codes",
            &[
                &["code", "name", "parent", "budget"],
                &["03", "混凝土工程", "", "0"],
                &["03-100", "模板", "03", "100000"],
                &["03-200", "钢筋", "03", "80000.5"],
            ],
        ),
        (
            "activities",
            &[
                &["id", "name", "planned_start", "planned_finish", "budget", "cost_code"],
                &["A1", "三层模板", "2026-11-11", "2026-11-30", "50000", "03-100"],
                &["A2", "三层钢筋", "2026-11-01", "2026-11-20", "40000", "03-200"],
            ],
        ),
        ("trades", &[&["name", "day_rate", "hour_rate"], &["木工", "380", "47.5"], &["钢筋工", "360", "45"]]),
    ])
}

/// A crew line of crew 张班: 木工 on 03-100, else 钢筋工.
pub fn crew_line(id: &str, headcount: i64, effort: Effort, rate: &str, code: &str, activity: &str) -> CrewLine {
    CrewLine {
        id: id.into(),
        position: 0,
        trade: if code == "03-100" { "木工".into() } else { "钢筋工".into() },
        crew: Some("张班".into()),
        headcount,
        effort,
        rate: Decimal::from_str(rate).expect("rate"),
        rate_unit: effort.unit(),
        hours_per_day: Decimal::from(8),
        cost_code: code.into(),
        activity: Some(activity.into()),
        note: None,
        workers: vec![],
    }
}

/// A `crew_line` paid at `rate` per `rate_unit`, with `hours_per_day` hours in a day's pay (hours
/// at a day rate: how sites pay 点工).
#[allow(clippy::too_many_arguments)]
pub fn paid_line(
    id: &str,
    headcount: i64,
    effort: Effort,
    rate: &str,
    rate_unit: record_schema::TimeUnit,
    hours_per_day: &str,
    code: &str,
    activity: &str,
) -> CrewLine {
    CrewLine {
        rate_unit,
        hours_per_day: Decimal::from_str(hours_per_day).expect("hours per day"),
        ..crew_line(id, headcount, effort, rate, code, activity)
    }
}

/// `expense` booked in `category`.
pub fn expense_in(id: &str, project: &str, category: &str) -> Expense {
    Expense { category: category.into(), ..expense(id, project) }
}

//! Report exports (CSV and XLSX) through the real server binary, with reference data and records
//! whose names begin with the characters a spreadsheet takes for a formula (`=`, `+`, `-`, `@`,
//! tab, CR):
//!
//! * `csv_text_cannot_become_a_formula`: such text comes out of the CSV of the cost, schedule and
//!   day-labour reports behind a leading apostrophe, numbers stay numbers (negatives too), and the
//!   XLSX holds the names as plain string cells, without a formula anywhere.
//! * `exports_carry_the_json_figures`: every column of every row of each report's CSV and XLSX
//!   against its JSON: CSV numbers are the JSON's decimal text exactly (2.86875 headcount-days, not
//!   2.869), XLSX numbers the float nearest it, text the same text.

mod common;

use std::str::FromStr;

use automerge::AutoCommit;
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use common::api::*;
use common::phone::SimPhone;
use common::records::{crew_line, expense, expense_doc, header, labour_sheet, workbook};
use common::*;
use record_schema::{CrewLine, Currency, Effort, Progress, ProgressReport};
use rust_decimal::Decimal;
use serde_json::Value;

const SHEET: &str = "0193a000-0000-7000-8000-0000000000c1";
const PROGRESS: &str = "0193a000-0000-7000-8000-0000000000c2";
const EXPENSE: &str = "0193a000-0000-7000-8000-0000000000c3";

/// What a spreadsheet reads as the start of a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn line(id: &str, trade: &str, crew: &str, headcount: i64, effort: Effort, rate: &str, code: &str) -> CrewLine {
    let l = crew_line(id, headcount, effort, rate, code, "");
    CrewLine { trade: trade.into(), crew: Some(crew.into()), activity: None, ..l }
}

/// A running server with project P1 whose codes, activities, trades and crews begin with formula
/// characters; an approved labour sheet (headcount-days like 2.86875 that do not end at 3
/// decimals), a progress report and a USD expense. Returns the server and a supervisor's token.
struct World {
    _dir: tempfile::TempDir,
    server: Server,
    sup: String,
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();
    let book = workbook(&[
        ("project", &[&["name", "currency"], &["导出", "CNY"]]),
        ("sites", &[&["id", "name", "time_zone"], &["S1", "东区工地", "Asia/Shanghai"]]),
        (
            "cost_codes",
            &[
                &["code", "name", "parent", "budget"],
                &["=1+1", "+SUM(A1:A9)", "", "100"],
                &["-2+3", "@SUM(1)", "", "50000"],
                &["@A1", "=cmd|' /C calc'!A0", "", "1000.5"],
                &["01", "-垫层", "=1+1", "10"],
            ],
        ),
        (
            "activities",
            &[
                &["id", "name", "planned_start", "planned_finish", "budget", "cost_code"],
                &["=A1", "+三层模板", "2026-11-01", "2026-11-30", "30000", "=1+1"],
                &["@A2", "-钢筋", "2026-11-10", "2026-12-10", "20000", "-2+3"],
            ],
        ),
        (
            "trades",
            &[
                &["name", "day_rate", "hour_rate"],
                &["=木工", "380", "47.5"],
                &["+钢筋工", "360", "45"],
                &["-杂工", "300", "37.5"],
                &["@电工", "400", "50"],
            ],
        ),
    ]);
    import_reference(addr, &admin, &book);

    let day = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    let mut lines = vec![
        // 3 × 7.65 h / 8 = 2.86875 headcount-days.
        line("l1", "=木工", "\t夜班", 3, Effort::Hours(d("7.65")), "47.5", "=1+1"),
        line("l2", "+钢筋工", "\r=1+1", 5, Effort::Days(d("1")), "360", "-2+3"),
        // 2 × 3.3 h / 8 = 0.825; 1 × 7.25 h / 8 = 0.90625.
        line("l3", "-杂工", "@班", 2, Effort::Hours(d("3.3")), "37.5", "@A1"),
        line("l4", "@电工", "-张班", 1, Effort::Hours(d("7.25")), "50", "01"),
    ];
    lines[0].activity = Some("=A1".into());
    lines[1].activity = Some("@A2".into());
    lines[3].activity = Some("=A1".into());
    for (i, l) in lines.iter_mut().enumerate() {
        l.position = i as i64;
    }
    let sheet = labour_sheet(SHEET, lines);
    let mut phone = SimPhone::new(foreman);
    phone.docs.insert(SHEET.into(), records::sheet_doc(&sheet));
    let progress = ProgressReport {
        header: header(PROGRESS, "P1"),
        date: day,
        activity: "=A1".into(),
        progress: Progress::Percent(d("33.33")),
        caption: None,
        photos: vec![],
    };
    let mut doc = AutoCommit::new();
    progress.write(&mut doc).expect("write progress");
    phone.docs.insert(PROGRESS.into(), doc);
    let mut e = expense(EXPENSE, "P1");
    e.currency = Currency::Usd;
    e.cost_code = "=1+1".into();
    phone.docs.insert(EXPENSE.into(), expense_doc(&e));
    let t = phone.sync(addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    for id in [SHEET, PROGRESS, EXPENSE] {
        approve_current(addr, &sup, id);
    }
    World { _dir: dir, server, sup }
}

const COST: &str = "/v1/reports/cost?from=2026-11-01&to=2026-11-30";
const SCHEDULE: &str = "/v1/reports/schedule?at=2026-11-20";
const LABOUR: &str = "/v1/reports/labour?from=2026-11-01&to=2026-11-30&by=site,trade,crew,cost_code,activity,author";

fn fetch(addr: &str, sup: &str, path: &str, format: &str) -> Vec<u8> {
    let (s, b) = api::fetch(addr, sup, &format!("{path}&format={format}"));
    assert_eq!(s, 200, "{path} {format}: {}", String::from_utf8_lossy(&b));
    b
}

/// The CSV's header and rows (the BOM removed).
fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("CSV starts with a BOM");
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text);
    let header = r.headers().expect("header").iter().map(String::from).collect();
    let rows = r.records().map(|rec| rec.expect("CSV row").iter().map(String::from).collect()).collect();
    (header, rows)
}

/// The XLSX's only sheet: its cells (title, blank, header, rows) and its formulas.
fn xlsx_sheet(bytes: Vec<u8>) -> (calamine::Range<Data>, calamine::Range<String>) {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("XLSX reads");
    let name = book.sheet_names()[0].clone();
    let cells = book.worksheet_range(&name).expect("sheet");
    let formulas = book.worksheet_formula(&name).expect("formulas");
    (cells, formulas)
}

#[test]
fn csv_text_cannot_become_a_formula() {
    let w = world();
    let addr = w.server.addr.as_str();
    let (numeric, names): (&[&str], &[(&str, &[&str])]) = (
        &[
            "budget",
            "actual",
            "variance",
            "earned",
            "cpi",
            "spent_pct",
            "bac",
            "planned_pct",
            "actual_pct",
            "pv",
            "ev",
            "ac",
            "sv",
            "spi",
            "eac",
            "etc",
            "vac",
            "tcpi",
            "sv_t",
            "spi_t",
            "headcount",
            "headcount_days",
            "person_hours",
            "cost",
        ],
        &[
            (COST, &["=1+1", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "@A1", "=cmd|' /C calc'!A0", "-垫层"]),
            (SCHEDULE, &["=A1", "+三层模板", "@A2", "-钢筋"]),
            (
                LABOUR,
                &[
                    "=木工",
                    "+钢筋工",
                    "-杂工",
                    "@电工",
                    "\t夜班",
                    "\r=1+1",
                    "@班",
                    "-张班",
                    "=1+1",
                    "-2+3",
                    "@A1",
                    "=A1",
                    "@A2",
                ],
            ),
        ],
    );
    let mut negatives = 0;
    for (path, expected) in names {
        let (header, rows) = csv_rows(&fetch(addr, &w.sup, path, "csv"));
        let fields: Vec<&String> = rows.iter().flatten().collect();
        // Every name that starts like a formula is there, behind an apostrophe.
        for name in *expected {
            assert!(fields.iter().any(|f| **f == format!("'{name}")), "{path}: no '{name:?} in {rows:?}");
            assert!(!fields.iter().any(|f| f == name), "{path}: {name:?} left as it was");
        }
        for row in &rows {
            for (col, field) in header.iter().zip(row) {
                if numeric.contains(&col.as_str()) {
                    // Numbers stay numbers: plain decimal text, negatives with their minus.
                    if !field.is_empty() {
                        Decimal::from_str(field).unwrap_or_else(|_| panic!("{path} {col}: {field:?} is not a number"));
                        negatives += usize::from(field.starts_with('-'));
                    }
                } else {
                    assert!(!field.starts_with(FORMULA_START), "{path} {col}: {field:?} could run as a formula");
                }
            }
        }

        // The XLSX keeps each name as it is, in a string cell; the sheet holds no formula.
        let (cells, formulas) = xlsx_sheet(fetch(addr, &w.sup, path, "xlsx"));
        for name in *expected {
            assert!(cells.used_cells().any(|(_, _, c)| *c == Data::String((*name).into())), "{path}: no {name:?}");
        }
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "{path}: formulas {formulas:?}");
    }
    assert!(negatives >= 2, "the data has negative variances and SVs, exported as numbers");
}

/// A report's JSON as the rows its exports must hold.
type RowsOf = fn(&Value) -> Vec<Vec<Want>>;

/// One expected cell, from the JSON: text, a number as the JSON's decimal text, or nothing.
#[derive(Debug, Clone, PartialEq)]
enum Want {
    Text(String),
    Num(String),
    Empty,
}

fn text(v: &Value) -> Want {
    Want::Text(v.as_str().unwrap_or_else(|| panic!("expected text, got {v}")).to_string())
}

/// A JSON figure: decimal text (money, ratios), an integer (headcount), or null.
fn num(v: &Value) -> Want {
    match v {
        Value::Null => Want::Empty,
        Value::String(s) => Want::Num(s.clone()),
        Value::Number(n) => Want::Num(n.to_string()),
        other => panic!("expected a figure, got {other}"),
    }
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("expected a list, got {v}"))
}

/// The cost report's JSON as the rows its exports must hold.
fn cost_rows(r: &Value) -> Vec<Vec<Want>> {
    let row = |c: &Value| {
        let depth = c["depth"].as_u64().expect("depth") as usize;
        let code = c["code"].as_str().expect("code");
        // The code as it is; its level (1 at the top) and parent in their own columns.
        let level = if code == "TOTAL" { Want::Empty } else { Want::Num((depth + 1).to_string()) };
        let parent = c["parent"].as_str().map_or(Want::Empty, |p| Want::Text(p.into()));
        let mut out = vec![Want::Text(code.into()), text(&c["name"]), level, parent];
        out.extend(["budget", "actual", "variance", "earned", "cpi", "spent_percent"].map(|k| num(&c[k])));
        out
    };
    let mut rows: Vec<Vec<Want>> = list(&r["codes"]).iter().map(row).collect();
    rows.push(row(&r["totals"]));
    for o in list(&r["other_currencies"]) {
        let cur = o["currency"].as_str().expect("currency");
        let mut line = vec![Want::Text(format!("({cur})")), Want::Text("not converted".into())];
        line.extend([Want::Empty, Want::Empty, Want::Empty]);
        line.push(num(&o["actual"]));
        line.extend([Want::Empty, Want::Empty, Want::Empty, Want::Empty]);
        rows.push(line);
    }
    rows
}

fn schedule_rows(r: &Value) -> Vec<Vec<Want>> {
    let figures = ["pv", "ev", "ac", "sv", "spi", "cpi"];
    let mut rows: Vec<Vec<Want>> = list(&r["activities"])
        .iter()
        .map(|a| {
            let mut out: Vec<Want> =
                ["id", "name", "planned_start", "planned_finish"].iter().map(|k| text(&a[k])).collect();
            out.extend(["budget_at_completion", "planned_percent", "actual_percent"].map(|k| num(&a[k])));
            out.extend(figures.map(|k| num(&a[k])));
            out.extend(forecast_wants(&a["forecast"]));
            out
        })
        .collect();
    let t = &r["totals"];
    let mut total = vec![Want::Text("TOTAL".into()), Want::Empty, Want::Empty, Want::Empty];
    total.extend([num(&t["budget_at_completion"]), Want::Empty, Want::Empty]);
    total.extend(figures.map(|k| num(&t[k])));
    total.extend(forecast_wants(&t["forecast"]));
    rows.push(total);
    rows
}

/// The forecast columns (issue 22): EAC by the CPI method, its ETC and VAC, TCPI, SV(t), SPI(t)
/// and the forecast finish (a date cell), empty where the JSON has null.
fn forecast_wants(f: &Value) -> Vec<Want> {
    let mut out: Vec<Want> = ["eac", "etc", "vac"].iter().map(|k| num(&f["eac_cpi"][k])).collect();
    out.push(num(&f["tcpi"]));
    let s = &f["schedule"];
    out.extend(["sv_t", "spi_t"].map(|k| num(&s[k])));
    out.push(if s["forecast_finish"].is_null() { Want::Empty } else { text(&s["forecast_finish"]) });
    out
}

fn labour_rows(r: &Value) -> Vec<Vec<Want>> {
    let by = list(&r["by"]).len();
    let figures = |row: &Value, out: &mut Vec<Want>| {
        out.extend(["headcount", "headcount_days", "person_hours"].map(|k| num(&row[k])));
        out.push(text(&row["currency"]));
        out.push(num(&row["cost"]));
    };
    let mut rows = Vec::new();
    for row in list(&r["rows"]) {
        let mut out = vec![if row["period"].is_null() { Want::Text("total".into()) } else { text(&row["period"]) }];
        out.extend(list(&row["keys"]).iter().map(|k| if k.is_null() { Want::Empty } else { text(k) }));
        figures(row, &mut out);
        rows.push(out);
    }
    for row in list(&r["totals"]) {
        let mut out = vec![Want::Text("TOTAL".into())];
        out.extend(std::iter::repeat_n(Want::Empty, by));
        figures(row, &mut out);
        rows.push(out);
    }
    rows
}

/// What the CSV must hold for `want`: numbers as the JSON's text, text behind an apostrophe when
/// it starts like a formula.
fn csv_text(want: &Want) -> String {
    match want {
        Want::Text(s) if s.starts_with(FORMULA_START) => format!("'{s}"),
        Want::Text(s) | Want::Num(s) => s.clone(),
        Want::Empty => String::new(),
    }
}

fn xlsx_matches(want: &Want, got: &Data) -> bool {
    match (want, got) {
        (Want::Text(s), Data::String(g)) => s == g,
        (Want::Text(s), Data::Empty) => s.is_empty(),
        // Dates are date cells.
        (Want::Text(s), Data::DateTime(d)) => d.as_datetime().is_some_and(|t| t.date().to_string() == *s),
        (Want::Num(s), Data::Float(f)) => s.parse::<f64>().expect("decimal text parses as f64") == *f,
        (Want::Num(s), Data::Int(i)) => s.parse::<f64>().expect("decimal text parses as f64") == *i as f64,
        (Want::Empty, Data::Empty) => true,
        _ => false,
    }
}

#[test]
fn exports_carry_the_json_figures() {
    let w = world();
    let addr = w.server.addr.as_str();
    let labour_months = "/v1/reports/labour?from=2026-11-01&to=2026-11-30&period=month&by=crew";
    let labour_total = "/v1/reports/labour?period=total&by=trade,activity";
    let reports: [(&str, RowsOf); 5] = [
        (COST, cost_rows),
        (SCHEDULE, schedule_rows),
        (LABOUR, labour_rows),
        (labour_months, labour_rows),
        (labour_total, labour_rows),
    ];
    let mut figures_past_3dp = 0;
    for (path, rows_of) in reports {
        let (s, json) = json_call(addr, &w.sup, "GET", path, None);
        assert_eq!(s, 200, "{path}: {json}");
        let want = rows_of(&json);
        figures_past_3dp += want
            .iter()
            .flatten()
            .filter(|c| matches!(c, Want::Num(s) if s.split_once('.').is_some_and(|(_, f)| f.len() > 3)))
            .count();

        let (header, rows) = csv_rows(&fetch(addr, &w.sup, path, "csv"));
        assert_eq!(rows.len(), want.len(), "{path}: {rows:?}");
        for (i, (got, want)) in rows.iter().zip(&want).enumerate() {
            assert_eq!(got.len(), header.len(), "{path} row {i}");
            let want: Vec<String> = want.iter().map(csv_text).collect();
            assert_eq!(*got, want, "{path} CSV row {i} ({header:?})");
        }

        let (cells, _) = xlsx_sheet(fetch(addr, &w.sup, path, "xlsx"));
        let head: Vec<&Data> =
            (0..header.len()).map(|c| cells.get_value((2, c as u32)).unwrap_or(&Data::Empty)).collect();
        assert_eq!(head, header.iter().map(|h| Data::String(h.clone())).collect::<Vec<_>>().iter().collect::<Vec<_>>());
        for (i, want) in want.iter().enumerate() {
            for (c, want) in want.iter().enumerate() {
                let got = cells.get_value((3 + i as u32, c as u32)).unwrap_or(&Data::Empty);
                assert!(xlsx_matches(want, got), "{path} XLSX row {i} {}: {got:?}, JSON {want:?}", header[c]);
            }
        }
        assert!(
            cells.get_value((3 + want.len() as u32, 0)).is_none_or(|c| *c == Data::Empty),
            "{path}: no row beyond the JSON's"
        );
    }
    assert!(figures_past_3dp >= 3, "the data has figures past 3 decimals (2.86875 headcount-days)");
}

//! Reference data and reports end to end through the real server binary, on SQLite and on
//! PostgreSQL: an admin imports the project's reference data (XLSX), a bad file imports nothing
//! and names each row and column; the phone receives the reference data by sync; a foreman records
//! a day, a supervisor approves it, and the cost, schedule and day-labour reports show it; the
//! foreman edits, re-approval reverses, and the reports follow; exports read back.

mod common;

use std::collections::BTreeMap;

use automerge::AutoCommit;
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use common::api::*;
use common::phone::SimPhone;
use common::records::{crew_line, header, reference_workbook, workbook};
use common::*;
use record_schema::{Currency, Effort, LabourSheet, Progress, ProgressReport, Record, ReferenceData};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const SHEET: &str = "0193a000-0000-7000-8000-0000000000a1";
const PROGRESS: &str = "0193a000-0000-7000-8000-0000000000a2";

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("date")
}

fn code<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report}"))
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();

    // Only an admin manages reference data.
    for t in [&foreman, &sup] {
        let (s, b) = call(addr, t, "POST", "/v1/reference/import", &reference_workbook(), XLSX);
        assert_eq!(s, 403, "{}", String::from_utf8_lossy(&b));
    }
    let v = import_reference(addr, &admin, &reference_workbook());
    assert_eq!(
        v["imported"],
        json!({ "project": 1, "sites": 1, "cost_codes": 3, "activities": 2, "trades": 2, "expense_categories": 0 })
    );
    let (s, before) = json_call(addr, &sup, "GET", "/v1/reference", None);
    assert_eq!(s, 200);
    assert_eq!(before["cost_codes"][2]["budget"], "80000.50", "{before}");
    assert_eq!(before["project"]["name"], "一号楼");

    // A malformed file imports nothing; every problem names its row and column.
    let bad_csv =
        "code,name,parent,budget\n03-300,砌体,03,12,5\n03-400,,03,100\n03-500,装饰,99,1e5\n03-100,模板(改),03,5\n";
    let (s, v) =
        call_json(addr, &admin, "POST", "/v1/reference/import?table=cost_codes", bad_csv.as_bytes(), "text/csv");
    assert_eq!(s, 422, "{v}");
    let at: Vec<(i64, String)> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["row"].as_i64().expect("row"), e["column"].as_str().expect("col").to_string()))
        .collect();
    assert!(at.contains(&(3, "B (name)".into())), "{at:?}");
    assert!(at.contains(&(4, "D (budget)".into())), "{at:?}");
    assert!(v["message"].as_str().expect("message").starts_with("nothing was imported"), "{v}");
    let bad_book = workbook(&[(
        "activities",
        &[
            &["id", "name", "planned_start", "planned_finish", "budget"],
            &["A3", "四层", "2026-12-01", "2026-11-01", "100"],
            &["A4", "五层", "tomorrow", "2026-12-31", "100"],
        ],
    )]);
    let (s, v) = call_json(addr, &admin, "POST", "/v1/reference/import", &bad_book, XLSX);
    assert_eq!(s, 422, "{v}");
    let first = &v["errors"][0];
    assert_eq!(
        (first["table"].as_str(), first["row"].as_i64(), first["column"].as_str()),
        (Some("activities"), Some(2), Some("D (planned_finish)")),
        "{v}"
    );
    assert_eq!(
        (v["errors"][1]["row"].as_i64(), v["errors"][1]["column"].as_str()),
        (Some(3), Some("C (planned_start)")),
        "{v}"
    );
    let (s, v) =
        call_json(addr, &admin, "POST", "/v1/reference/import?table=cost_codes", b"code,name\n03,x\n", "text/csv");
    assert_eq!(s, 200, "a good CSV imports: {v}");
    let (s, v) = call_json(addr, &admin, "POST", "/v1/reference/import", b"not a spreadsheet", "text/csv");
    assert_eq!((s, v["field"].as_str()), (400, Some("file")), "{v}");
    let (s, v) = json_call(
        addr,
        &admin,
        "PUT",
        "/v1/reference/cost_codes/03-300",
        Some(json!({ "name": "砌体", "parent": "nope", "budget": "10" })),
    );
    assert_eq!((s, v["field"].as_str()), (422, Some("cost_codes.parent")), "{v}");
    let (s, v) = json_call(
        addr,
        &admin,
        "PUT",
        "/v1/reference/cost_codes/03-300",
        Some(json!({ "name": "砌体", "budget": 10.5 })),
    );
    assert_eq!((s, v["field"].as_str()), (400, Some("budget")), "amounts are never floats: {v}");
    let (_, after) = json_call(addr, &sup, "GET", "/v1/reference", None);
    let mut expected = before.clone();
    expected["cost_codes"][0]["name"] = json!("x");
    assert_eq!(after, expected, "refused imports changed nothing");
    let (s, v) = json_call(addr, &admin, "PUT", "/v1/reference/cost_codes/03", Some(json!({ "name": "混凝土工程" })));
    assert_eq!(s, 200, "{v}");

    // Phones receive the reference data by sync, read-only.
    let mut li = SimPhone::new(foreman.clone());
    li.sync(addr);
    let refdoc = li.docs.get(&ReferenceData::document_id("P1")).expect("reference data on the phone");
    let r = ReferenceData::read(refdoc).expect("reads");
    assert_eq!(r.cost_codes.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["03", "03-100", "03-200"]);
    assert_eq!(r.trades.iter().find(|t| t.name == "木工").and_then(|t| t.hour_rate), Some(d("47.5")));

    // The foreman records a day and progress; the supervisor approves both.
    let sheet = LabourSheet {
        header: header(SHEET, "P1"),
        work_date: date(),
        currency: Currency::Cny,
        // 6 × 8 h × 47.50 = 2280.00 (03-100, A1) and 3 × 2.5 d × 360 = 2700.00 (03-200, A2)
        lines: vec![
            crew_line("l1", 6, Effort::Hours(d("8")), "47.50", "03-100", "A1"),
            crew_line("l2", 3, Effort::Days(d("2.5")), "360", "03-200", "A2"),
        ],
        note: None,
    };
    li.docs.insert(SHEET.into(), records::sheet_doc(&sheet));
    let progress = ProgressReport {
        header: header(PROGRESS, "P1"),
        date: date(),
        activity: "A1".into(),
        progress: Progress::Percent(d("40")),
        caption: None,
        photos: vec![],
    };
    let mut doc = AutoCommit::new();
    progress.write(&mut doc).expect("write");
    li.docs.insert(PROGRESS.into(), doc);
    assert!(li.sync(addr).errors.is_empty());
    approve_current(addr, &sup, SHEET);
    approve_current(addr, &sup, PROGRESS);

    // With reference data, a version posting to a code the project does not have is refused.
    let stray = "0193a000-0000-7000-8000-0000000000a3";
    let mut e = common::records::expense(stray, "P1");
    e.cost_code = "99-999".into();
    li.docs.insert(stray.into(), common::records::expense_doc(&e));
    assert!(li.sync(addr).errors.is_empty());
    let (_, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{stray}"), None);
    let (s, v) =
        json_call(addr, &sup, "POST", &format!("/v1/records/{stray}/approve"), Some(json!({ "heads": v["heads"] })));
    assert_eq!(s, 422, "{v}");
    assert!(
        v["field"].as_str().is_some_and(|f| f.contains("cost_code"))
            && v["message"].as_str().is_some_and(|m| m.contains("99-999")),
        "{v}"
    );

    // Cost report: actuals per code, rolled up to the parent; CPI from A1's earned value.
    let (s, cost) = json_call(addr, &sup, "GET", "/v1/reports/cost?to=2026-11-20", None);
    assert_eq!(s, 200, "{cost}");
    assert_eq!((dec(&code(&cost, "03-100")["actual"]), dec(&code(&cost, "03-200")["actual"])), (d("2280"), d("2700")));
    let top = code(&cost, "03");
    assert_eq!((dec(&top["budget"]), dec(&top["actual"]), top["depth"].as_i64()), (d("180000.50"), d("4980"), Some(0)));
    assert_eq!(dec(&top["variance"]), d("175020.50"));
    // A1: 40% of 50,000 earned = 20,000 against 2,280 spent.
    assert_eq!(dec(&code(&cost, "03-100")["earned"]), d("20000"));
    assert_eq!(dec(&code(&cost, "03-100")["cpi"]), d("8.772"));
    assert_eq!(dec(&cost["totals"]["actual"]), d("4980"));
    let (_, early) = json_call(addr, &sup, "GET", "/v1/reports/cost?to=2026-11-19", None);
    assert_eq!(dec(&early["totals"]["actual"]), Decimal::ZERO, "nothing before the work date");
    // Whole months come from the month totals, the edges from the day totals: same figures.
    for (q, want) in [
        ("from=2026-11-01&to=2026-11-30", "4980"),
        ("from=2026-10-15&to=2027-01-31", "4980"),
        ("from=2026-11-20&to=2026-11-20", "4980"),
        ("from=2026-11-21", "0"),
        ("from=2026-12-01&to=2027-12-31", "0"),
    ] {
        let (_, r) = json_call(addr, &sup, "GET", &format!("/v1/reports/cost?{q}"), None);
        assert_eq!(dec(&r["totals"]["actual"]), d(want), "{q}: {r}");
    }

    // Schedule report at the work date: A1 planned 10/20 days = 50%, actual 40%.
    let (s, sched) = json_call(addr, &sup, "GET", "/v1/reports/schedule?at=2026-11-20", None);
    assert_eq!(s, 200, "{sched}");
    let a1 = sched["activities"].as_array().expect("activities").iter().find(|a| a["id"] == "A1").expect("A1");
    assert_eq!((dec(&a1["planned_percent"]), dec(&a1["actual_percent"])), (d("50"), d("40")));
    assert_eq!(
        (dec(&a1["pv"]), dec(&a1["ev"]), dec(&a1["ac"]), dec(&a1["sv"])),
        (d("25000"), d("20000"), d("2280"), d("-5000"))
    );
    assert_eq!((dec(&a1["spi"]), dec(&a1["cpi"])), (d("0.8"), d("8.772")));
    // Forecasts (docs/forecasts.md), by hand: BAC 50,000, PV 25,000, EV 20,000, AC 2,280.
    let f = &a1["forecast"];
    // BAC/CPI = 50,000 × 2,280/20,000; AC + (BAC − EV); AC + 30,000/(CPI × SPI) = 2,280 + 30,000 × 2,280/16,000.
    assert_eq!(
        (dec(&f["eac_cpi"]["eac"]), dec(&f["eac_cpi"]["etc"]), dec(&f["eac_cpi"]["vac"])),
        (d("5700"), d("3420"), d("44300"))
    );
    assert_eq!(dec(&f["eac_budget_rate"]["eac"]), d("32280"));
    assert_eq!(dec(&f["eac_cpi_spi"]["eac"]), d("6555"));
    assert_eq!(dec(&f["tcpi"]), d("0.6287")); // 30,000/47,720
    // 2,500 a day from 11 November: EV 20,000 is day 8's PV, so ES = 8 at AT = 10; IEAC(t) = 20/0.8 = 25
    // days → 5 December.
    let es = &f["schedule"];
    assert_eq!((dec(&es["es"]), dec(&es["at"]), dec(&es["pd"]), dec(&es["sv_t"])), (d("8"), d("10"), d("20"), d("-2")));
    assert_eq!((dec(&es["spi_t"]), dec(&es["ieac_t"])), (d("0.8"), d("25")));
    assert_eq!((es["start"].as_str(), es["forecast_finish"].as_str()), (Some("2026-11-11"), Some("2026-12-05")));
    // The project: A2 (40,000 over 1–20 November, nothing reported) and A1. PV by day is 2,000 × day
    // up to day 10, so EV 20,000 gives ES = 10 at AT = 20: SPI(t) 0.5, IEAC(t) 60 days → 30 December.
    let t = &sched["totals"]["forecast"];
    assert_eq!(dec(&t["eac_cpi"]["eac"]), d("22410")); // 90,000 × 4,980/20,000
    assert_eq!(dec(&t["tcpi"]), d("0.8233")); // 70,000/85,020
    let es = &t["schedule"];
    assert_eq!(
        (dec(&es["es"]), dec(&es["sv_t"]), dec(&es["spi_t"]), dec(&es["ieac_t"])),
        (d("10"), d("-10"), d("0.5"), d("60"))
    );
    assert_eq!(es["forecast_finish"].as_str(), Some("2026-12-30"), "{t}");
    assert_eq!(dec(&sched["totals"]["ac"]), d("4980"));
    assert!(
        sched["s_curve"]
            .as_array()
            .expect("curve")
            .iter()
            .any(|p| p["date"] == "2026-11-20" && dec(&p["ev"]) == d("20000")),
        "{sched}"
    );

    // Day-labour summary for the month, by trade.
    let (s, lab) =
        json_call(addr, &sup, "GET", "/v1/reports/labour?from=2026-11-01&to=2026-11-30&period=month&by=trade", None);
    assert_eq!(s, 200, "{lab}");
    let rows = lab["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{lab}");
    let carp = rows.iter().find(|r| r["keys"] == json!(["木工"])).expect("carpenters");
    assert_eq!(
        (dec(&carp["headcount_days"]), dec(&carp["person_hours"]), dec(&carp["cost"])),
        (d("6"), d("48"), d("2280"))
    );
    assert_eq!(dec(&lab["totals"][0]["cost"]), d("4980"));

    // The foreman edits; re-approval reverses and the reports follow.
    let sdoc = li.docs.get_mut(SHEET).expect("sheet");
    let Record::LabourSheet(mut s2) = Record::read(sdoc).expect("reads") else { panic!("sheet") };
    s2.lines[0].headcount = 7; // 7 × 8 × 47.50 = 2660.00
    s2.write(sdoc).expect("write");
    assert!(li.sync(addr).errors.is_empty());
    let (_, cost_unchanged) = json_call(addr, &sup, "GET", "/v1/reports/cost?to=2026-11-20", None);
    assert_eq!(dec(&code(&cost_unchanged, "03-100")["actual"]), d("2280"), "an unapproved edit moves nothing");
    let out = approve_current(addr, &sup, SHEET);
    assert_eq!((out["postings"].as_i64(), out["reversals"].as_i64()), (Some(4), Some(2)), "{out}");
    let (_, cost) = json_call(addr, &sup, "GET", "/v1/reports/cost?to=2026-11-20", None);
    assert_eq!((dec(&code(&cost, "03-100")["actual"]), dec(&code(&cost, "03")["actual"])), (d("2660"), d("5360")));
    let (_, lab) = json_call(
        addr,
        &sup,
        "GET",
        "/v1/reports/labour?from=2026-11-01&to=2026-11-30&period=day&by=site,trade,crew",
        None,
    );
    let carp = lab["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["keys"] == json!(["S1", "木工", "张班"]))
        .expect("carpenters");
    assert_eq!(
        (dec(&carp["headcount_days"]), dec(&carp["cost"]), carp["period"].as_str()),
        (d("7"), d("2660"), Some("2026-11-20"))
    );

    // By month and over a whole range, by site, trade or crew, whole months are read from the
    // monthly totals (migration 0014) and the days at the edges from the lines: both agree with the
    // days summed, after the re-approval's reversals too (and the other groupings, from the lines).
    for (range, period, all) in [
        ("", "month", "by=site,trade,crew"),
        ("&from=2026-11-01&to=2026-11-30", "month", "by=crew,trade"),
        ("&from=2026-11-15&to=2026-12-31", "total", "by=site,trade,crew"),
        ("&from=2026-10-01", "total", "by=site"),
        ("&from=2026-11-20&to=2026-11-20", "month", "by=site,trade,crew"),
        ("", "month", "by=site,trade,crew,cost_code,activity,author"),
    ] {
        let (s, by_day) = json_call(addr, &sup, "GET", &format!("/v1/reports/labour?period=day&{all}{range}"), None);
        assert_eq!(s, 200, "{by_day}");
        let (s, got) = json_call(addr, &sup, "GET", &format!("/v1/reports/labour?period={period}&{all}{range}"), None);
        assert_eq!(s, 200, "{got}");
        let mut want: BTreeMap<String, [Decimal; 4]> = BTreeMap::new();
        for r in by_day["rows"].as_array().expect("rows") {
            let p = r["period"].as_str().expect("day");
            let key = format!("{} {}", if period == "month" { &p[..7] } else { "" }, r["keys"]);
            let e = want.entry(key).or_default();
            for (i, f) in ["headcount", "headcount_days", "person_hours", "cost"].into_iter().enumerate() {
                e[i] += if i == 0 { Decimal::from(r[f].as_i64().expect("headcount")) } else { dec(&r[f]) };
            }
        }
        let mut have: BTreeMap<String, [Decimal; 4]> = BTreeMap::new();
        for r in got["rows"].as_array().expect("rows") {
            let p = r["period"].as_str().map_or("", |p| &p[..7]);
            let key = format!("{p} {}", r["keys"]);
            let figures = [
                Decimal::from(r["headcount"].as_i64().expect("headcount")),
                dec(&r["headcount_days"]),
                dec(&r["person_hours"]),
                dec(&r["cost"]),
            ];
            assert!(have.insert(key, figures).is_none(), "one row per group: {got}");
        }
        assert!(!want.is_empty(), "{range}: the story has labour in range");
        assert_eq!(have, want, "period={period}{range}");
        assert_eq!(dec(&got["totals"][0]["cost"]), dec(&by_day["totals"][0]["cost"]), "{range}");
    }

    // Exports: CSV is exact text; XLSX reads back.
    let (s, csv) = call(addr, &sup, "GET", "/v1/reports/cost?to=2026-11-20&format=csv", b"", "text/plain");
    assert_eq!(s, 200);
    let csv = String::from_utf8(csv).expect("utf8");
    assert!(csv.contains("\n03-100,模板,2,03,100000.00,2660.00,97340.00,20000.00,7.519,2.7"), "{csv}");
    let (s, book) = call(
        addr,
        &sup,
        "GET",
        "/v1/reports/labour?from=2026-11-01&to=2026-11-30&format=xlsx&period=month",
        b"",
        "text/plain",
    );
    assert_eq!(s, 200);
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(book)).expect("xlsx reads");
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).expect("sheet");
    let cost_col = range
        .rows()
        .nth(2)
        .expect("header")
        .iter()
        .position(|c| *c == Data::String("cost".into()))
        .expect("cost column");
    let total = range.rows().find(|r| r[0] == Data::String("TOTAL".into())).expect("total row");
    assert_eq!(total[cost_col], Data::Float(5360.0));

    // Bad parameters name the field.
    for (q, field) in [
        ("/v1/reports/cost?format=pdf", "format"),
        ("/v1/reports/cost?from=2026-12-01&to=2026-11-01", "to"),
        ("/v1/reports/labour?period=year", "period"),
        ("/v1/reports/labour?by=colour", "by"),
        ("/v1/reports/schedule?at=yesterday", "at"),
    ] {
        let (s, v) = json_call(addr, &sup, "GET", q, None);
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{q}: {v}");
    }
    let (s, _) = json_call(addr, &foreman, "GET", "/v1/reports/cost", None);
    assert_eq!(s, 403, "foremen do not read the ledgers");
}

#[test]
fn reports_on_sqlite() {
    story(None);
}

#[test]
fn reports_on_postgres() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

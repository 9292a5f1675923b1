//! Daily reports (issue 23, docs/daily-reports.md) through the real binary on SQLite and PostgreSQL:
//! a foreman's phone syncs one site's day (a labour sheet of two crews, a progress report with a
//! photo not uploaded yet, an expense, an observation, a day log); any token of the project (the
//! foreman's phone included) reads the day's report with the labour report's figures to the cent,
//! every record's state marked; the same records give the same version, approving one makes the
//! next version (the older kept as it was), closing the observation the next; eight readers at once
//! of a changed day make one version; the calendar lists the day; bad input is refused naming the
//! field; another project sees nothing. The regeneration worker (run in-process against the
//! server's database) makes and announces a settled day once, and leaves a day that still changes.

mod common;
mod webkit;

use std::time::Duration;

use chrono::NaiveDate;
use common::api::{approve_current, dec};
use common::funds_fixture::{Funds, setup};
use common::phone::SimPhone;
use common::records::{crew_line, expense, header, labour_sheet, observation, paid_line};
use common::*;
use record_schema::{
    DayLog, Delay, DelayCause, Effort, ObservationCategory, PhotoRef, Progress, ProgressReport, Severity, TimeUnit,
    Visitor, WeatherCondition,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const SHEET: &str = "0193b000-0000-7000-8000-000000000a01";
const PROGRESS: &str = "0193b000-0000-7000-8000-000000000a02";
const EXPENSE: &str = "0193b000-0000-7000-8000-000000000a03";
const OBSERVATION: &str = "0193b000-0000-7000-8000-000000000a04";
const LOG: &str = "0193b000-0000-7000-8000-000000000a05";
/// The day of the records (the fixtures' labour sheet and expense day).
const DAY: &str = "2026-11-20";
const PHOTO: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn day() -> NaiveDate {
    DAY.parse().expect("day")
}

fn doc(write: impl FnOnce(&mut automerge::AutoCommit)) -> automerge::AutoCommit {
    let mut d = automerge::AutoCommit::new();
    write(&mut d);
    d
}

/// The day's five records on a foreman's phone.
fn phone_with_the_day(token: &str) -> SimPhone {
    let mut phone = SimPhone::new(token.to_string());
    // 木工: 6 × 8 h × 47.50 = 2,280.00, 6 工日. 钢筋工: 3 × 9.5 h at 365 a day of 8 h =
    // 1,300.3125 → 1,300.31 once per line, 28.5 h = 3.5625 工日.
    let sheet = labour_sheet(
        SHEET,
        vec![
            crew_line("l1", 6, Effort::Hours(Decimal::from(8)), "47.50", "03-100", "A1"),
            paid_line("l2", 3, Effort::Hours(Decimal::new(95, 1)), "365", TimeUnit::Day, "8", "03-200", "A2"),
        ],
    );
    let sheet = record_schema::LabourSheet { note: Some("下午两人提前离场".into()), ..sheet };
    phone.docs.insert(SHEET.into(), doc(|d| sheet.write(d).expect("sheet")));
    let progress = ProgressReport {
        header: header(PROGRESS, "P1"),
        date: day(),
        activity: "A1".into(),
        progress: Progress::Percent(Decimal::from(40)),
        caption: Some("三层模板完成四成".into()),
        photos: vec![PhotoRef {
            sha256: PHOTO.into(),
            byte_size: 1234,
            width: 640,
            height: 480,
            mime: "image/jpeg".into(),
            captured_at_ms: 1_795_000_000_000,
            location: Some(record_schema::GeoPoint { latitude: 31.2304, longitude: 121.4737, accuracy_m: None }),
            thumbnail_sha256: PHOTO.into(),
        }],
    };
    phone.docs.insert(PROGRESS.into(), doc(|d| progress.write(d).expect("progress")));
    let e = expense(EXPENSE, "P1");
    phone.docs.insert(EXPENSE.into(), doc(|d| e.write(d).expect("expense")));
    let o = record_schema::Observation {
        date: day(),
        ..observation(OBSERVATION, ObservationCategory::Safety, Severity::High, "临边无防护", "三层东侧", "缺护栏")
    };
    phone.docs.insert(OBSERVATION.into(), doc(|d| o.write(d).expect("observation")));
    let log = DayLog {
        header: header(LOG, "P1"),
        date: day(),
        weather_am: Some(WeatherCondition::Sunny),
        weather_pm: Some(WeatherCondition::LightRain),
        temp_low_c: Some(Decimal::new(-35, 1)),
        temp_high_c: Some(Decimal::from(8)),
        notes: Some("3#楼5层顶板浇筑完成".into()),
        visitors: vec![Visitor {
            id: "v1".into(),
            position: 0,
            name: "王监理".into(),
            organisation: Some("华信监理公司".into()),
            purpose: Some("钢筋隐蔽验收".into()),
        }],
        delays: vec![Delay {
            id: "d1".into(),
            position: 0,
            cause: DelayCause::Weather,
            hours: Decimal::new(15, 1),
            description: Some("下午小雨停工".into()),
        }],
    };
    phone.docs.insert(LOG.into(), doc(|d| log.write(d).expect("day log")));
    phone
}

fn get(f: &Funds, token: &str, path: &str) -> (u16, Value) {
    f.call(token, "GET", path, None)
}

/// The state of record `id` among the report's sources.
fn state_of(report: &Value, id: &str) -> String {
    let s = report["sources"].as_array().expect("sources").iter().find(|s| s["record_id"] == id);
    s.unwrap_or_else(|| panic!("{id} not among the sources: {report}"))["state"].as_str().expect("state").to_string()
}

#[test]
fn daily_report_on_sqlite() {
    story(None);
}

#[test]
fn daily_report_on_postgres() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

fn story(url: Option<&str>) {
    let f = setup(url);
    let addr = f.server.addr.clone();
    let path = format!("/v1/daily-reports/S1/{DAY}");

    // Nothing recorded yet: 404 naming the date.
    let (s, v) = get(&f, &f.foreman, &path);
    assert_eq!((s, v["field"].as_str()), (404, Some("date")), "{v}");

    let mut phone = phone_with_the_day(&f.foreman);
    let t = phone.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);

    // The foreman's own phone reads the report.
    let (s, v) = get(&f, &f.foreman, &path);
    assert_eq!(s, 200, "{v}");
    let first_id = v["id"].as_str().expect("id").to_string();
    assert_eq!(v["version"], 1, "{v}");
    let r = &v["report"];
    assert_eq!((r["project_name"].as_str(), r["site_name"].as_str()), (Some("一号楼"), Some("东区工地")), "{r}");
    assert_eq!((r["date"].as_str(), r["time_zone"].as_str()), (Some(DAY), Some("Asia/Shanghai")));
    assert_eq!(r["foremen"], json!(["li"]));
    // Labour: by trade in pinyin order (钢筋工 gang before 木工 mu), each line as it posts.
    let labour = r["labour"].as_array().expect("labour");
    assert_eq!(labour.len(), 2, "{r}");
    assert_eq!((labour[0]["trade_name"].as_str(), labour[0]["crew"].as_str()), (Some("钢筋工"), Some("张班")));
    assert_eq!(labour[0]["headcount"], 3);
    assert_eq!((dec(&labour[0]["man_days"]), dec(&labour[0]["hours"])), (d("3.5625"), d("28.5")));
    assert_eq!(dec(&labour[0]["cost"]), d("1300.31"));
    assert_eq!((labour[0]["cost_code"].as_str(), labour[0]["cost_code_name"].as_str()), (Some("03-200"), Some("钢筋")));
    assert_eq!(labour[0]["activity_name"].as_str(), Some("三层钢筋"));
    assert_eq!(labour[1]["trade_name"].as_str(), Some("木工"));
    assert_eq!((labour[1]["headcount"].as_i64(), dec(&labour[1]["man_days"])), (Some(6), d("6")));
    assert_eq!((dec(&labour[1]["hours"]), dec(&labour[1]["cost"])), (d("48"), d("2280.00")));
    let total = &r["labour_total"];
    assert_eq!(
        (total["headcount"].as_i64(), dec(&total["man_days"]), dec(&total["hours"])),
        (Some(9), d("9.5625"), d("76.5"))
    );
    assert_eq!(total["cost"].as_array().map(Vec::len), Some(1), "{total}");
    assert_eq!((total["cost"][0]["currency"].as_str(), dec(&total["cost"][0]["amount"])), (Some("CNY"), d("3580.31")));
    // Progress with its photo, not uploaded yet (a placeholder in the PDF).
    let p = &r["progress"][0];
    assert_eq!((p["activity_name"].as_str(), dec(&p["percent"])), (Some("三层模板"), d("40")), "{p}");
    assert_eq!(p["caption"].as_str(), Some("三层模板完成四成"));
    let photo = &p["photos"][0];
    assert_eq!((photo["sha256"].as_str(), photo["uploaded"].as_bool()), (Some(PHOTO), Some(false)), "{photo}");
    assert_eq!((photo["latitude"].as_f64(), photo["longitude"].as_f64()), (Some(31.2304), Some(121.4737)));
    // Expense and its total.
    let e = &r["expenses"][0];
    assert_eq!(
        (e["category"].as_str(), dec(&e["amount"]), e["currency"].as_str()),
        (Some("materials"), d("1280.50"), Some("CNY"))
    );
    assert_eq!(dec(&r["expense_totals"][0]["amount"]), d("1280.50"));
    // The observation: followed up, not approved; open.
    let o = &r["observations"][0];
    assert_eq!(
        (o["title"].as_str(), o["severity"].as_str(), o["follow_up"].as_str()),
        (Some("临边无防护"), Some("high"), Some("open"))
    );
    assert_eq!(o["state"].as_str(), Some("follow_up"));
    // The day log: weather, visitors, delays, notes (with the sheet's note).
    let w = &r["weather"];
    assert_eq!(
        (w["am"].as_str(), w["pm"].as_str(), dec(&w["low_c"]), dec(&w["high_c"])),
        (Some("sunny"), Some("light_rain"), d("-3.5"), d("8"))
    );
    assert_eq!(
        (r["visitors"][0]["name"].as_str(), r["visitors"][0]["organisation"].as_str()),
        (Some("王监理"), Some("华信监理公司"))
    );
    assert_eq!((r["delays"][0]["cause"].as_str(), dec(&r["delays"][0]["hours"])), (Some("weather"), d("1.5")));
    let notes: Vec<&str> = r["notes"].as_array().expect("notes").iter().filter_map(|n| n["text"].as_str()).collect();
    assert!(notes.contains(&"3#楼5层顶板浇筑完成") && notes.contains(&"下午两人提前离场"), "{notes:?}");
    // Every record, each pending but the observation.
    assert_eq!(r["sources"].as_array().map(Vec::len), Some(5), "{r}");
    for id in [SHEET, PROGRESS, EXPENSE, LOG] {
        assert_eq!(state_of(r, id), "pending");
    }
    assert!(labour.iter().all(|l| l["state"] == "pending"), "{r}");
    assert_eq!(state_of(r, OBSERVATION), "follow_up");

    // Asked again with nothing changed: the same version.
    let (_, again) = get(&f, &f.sup, &path);
    assert_eq!((again["id"].as_str(), again["version"].as_i64()), (Some(first_id.as_str()), Some(1)));
    assert_eq!(f.count("SELECT COUNT(*) FROM daily_reports"), 1);

    // Approving the sheet: version 2, the sheet approved, version 1 kept as it was.
    approve_current(&addr, &f.sup, SHEET);
    let (s, v) = get(&f, &f.admin, &path);
    assert_eq!((s, v["version"].as_i64()), (200, Some(2)), "{v}");
    assert_eq!(state_of(&v["report"], SHEET), "approved");
    assert!(v["report"]["labour"].as_array().expect("labour").iter().all(|l| l["state"] == "approved"));
    assert_eq!(state_of(&v["report"], EXPENSE), "pending");
    assert_ne!(v["fingerprint"], again["fingerprint"]);
    let versions: Vec<i64> =
        v["versions"].as_array().expect("versions").iter().filter_map(|x| x["version"].as_i64()).collect();
    assert_eq!(versions, [2, 1]);
    let (s, old) = get(&f, &f.foreman, &format!("{path}?version=1"));
    assert_eq!((s, old["id"].as_str()), (200, Some(first_id.as_str())), "{old}");
    assert_eq!(state_of(&old["report"], SHEET), "pending");
    // The same figures as the labour report of the approved sheet.
    let (s, lab) = get(&f, &f.sup, &format!("/v1/reports/labour?from={DAY}&to={DAY}&period=total"));
    assert_eq!(s, 200, "{lab}");
    let t = &lab["totals"][0];
    assert_eq!(
        (dec(&t["headcount_days"]), dec(&t["person_hours"]), dec(&t["cost"])),
        (d("9.5625"), d("76.5"), d("3580.31")),
        "{lab}"
    );

    // The foreman edits the approved sheet: changed since approval.
    phone.edit_sheet(SHEET, |s| {
        if let Some(l) = s.lines.iter_mut().find(|l| l.id == "l2") {
            l.headcount = 4;
        }
    });
    assert!(phone.sync(&addr).errors.is_empty());
    let (_, v) = get(&f, &f.foreman, &path);
    assert_eq!(v["version"], 3, "{v}");
    assert_eq!(state_of(&v["report"], SHEET), "changed_since_approval");
    // 4 × 9.5 × 365 ÷ 8 = 1,733.75; 4.75 工日.
    assert_eq!(dec(&v["report"]["labour"][0]["cost"]), d("1733.75"));
    assert_eq!(dec(&v["report"]["labour_total"]["man_days"]), d("10.75"));

    // The observation's follow-up closed: the next version says so.
    let (s, c) = f.call(
        &f.sup,
        "POST",
        &format!("/v1/observations/{OBSERVATION}/close"),
        Some(json!({"resolution": "护栏已装"})),
    );
    assert_eq!(s, 200, "{c}");
    let (_, v) = get(&f, &f.foreman, &path);
    assert_eq!(
        (v["version"].as_i64(), v["report"]["observations"][0]["follow_up"].as_str()),
        (Some(4), Some("closed"))
    );

    // Eight readers at once of a day that changed: one new version, all of them answered with it.
    approve_current(&addr, &f.sup, EXPENSE);
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let readers: Vec<_> = (0..8).map(|_| s.spawn(|| get(&f, &f.sup, &path))).collect();
        readers.into_iter().map(|h| h.join().expect("reader")).collect()
    });
    for (s, v) in &answers {
        assert_eq!((*s, v["version"].as_i64()), (200, Some(5)), "{v}");
        assert_eq!(v["id"], answers[0].1["id"]);
    }
    assert_eq!(f.count("SELECT COUNT(*) FROM daily_reports"), 5);
    assert_eq!(f.count(&format!("SELECT MAX(version) FROM daily_reports WHERE report_date = '{DAY}'")), 5);

    // The PDF: a PDF, tagged with the version and language, 304 when the tag comes back; each
    // version and language rendered once and kept.
    let bearer = format!("Bearer {}", f.foreman);
    let pdf = |query: &str, extra: &[(&str, &str)]| {
        let mut headers = vec![("Authorization", bearer.as_str())];
        headers.extend_from_slice(extra);
        webkit::http(&addr, "GET", &format!("{path}/pdf?{query}"), &headers, b"")
    };
    let r = pdf("lang=zh-CN", &[]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.body.starts_with(b"%PDF"), "not a PDF");
    assert_eq!((r.header("content-type"), r.header("x-report-version")), (Some("application/pdf"), Some("5")));
    let etag = r.header("etag").expect("ETag").to_string();
    assert_eq!(etag, format!("\"{}-zh-CN\"", answers[0].1["id"].as_str().expect("id")));
    assert!(r.header("content-disposition").is_some_and(|d| d.contains("daily-report-S1-2026-11-20-zh-CN.pdf")));
    let again = pdf("lang=zh-CN", &[("If-None-Match", &etag)]);
    assert_eq!((again.status, again.body.len()), (304, 0));
    let en = pdf("lang=en", &[("If-None-Match", &etag)]);
    assert_eq!(en.status, 200);
    assert_ne!(en.header("etag"), Some(etag.as_str()));
    let old = pdf("lang=en&version=1", &[]);
    assert_eq!((old.status, old.header("x-report-version")), (200, Some("1")));
    assert!(old.body.starts_with(b"%PDF"));
    assert_eq!(pdf("lang=zh-CN", &[]).body, r.body, "the kept PDF");
    assert_eq!(f.count("SELECT COUNT(*) FROM daily_report_files"), 3);

    // The calendar: the day, its records, those awaiting a decision (the sheet and the progress
    // report and the day log; the expense is approved, the observation is never pending).
    let (s, cal) = get(&f, &f.foreman, "/v1/daily-reports?from=2026-11-01&to=2026-11-30");
    assert_eq!(s, 200, "{cal}");
    let days = cal["days"].as_array().expect("days");
    assert_eq!(days.len(), 1, "{cal}");
    assert_eq!(
        (days[0]["date"].as_str(), days[0]["site_id"].as_str(), days[0]["site_name"].as_str()),
        (Some(DAY), Some("S1"), Some("东区工地"))
    );
    assert_eq!(
        (days[0]["records"].as_i64(), days[0]["pending"].as_i64(), days[0]["version"].as_i64()),
        (Some(5), Some(3), Some(5))
    );
    let (_, cal) = get(&f, &f.foreman, "/v1/daily-reports?from=2026-11-01&to=2026-11-30&site=S9");
    assert_eq!(cal["days"].as_array().map(Vec::len), Some(0), "{cal}");

    // Bad input: 400 naming the field; 404 naming what is not there.
    for (p, status, field) in [
        ("/v1/daily-reports/S1/2026-13-01".to_string(), 400, "date"),
        ("/v1/daily-reports/S1/20261120".into(), 400, "date"),
        (format!("{path}?version=0"), 400, "version"),
        (format!("{path}?version=two"), 400, "version"),
        (format!("{path}?version=99"), 404, "version"),
        ("/v1/daily-reports/S1/2026-11-19".into(), 404, "date"),
        (format!("/v1/daily-reports/S9/{DAY}"), 404, "date"),
        (format!("{path}/pdf?lang=fr"), 400, "lang"),
        ("/v1/daily-reports?from=2026-11-30&to=2026-11-01".into(), 400, "to"),
        ("/v1/daily-reports?from=2026-01-01&to=2026-11-30".into(), 400, "to"),
        ("/v1/daily-reports?from=2026-11&to=2026-11-30".into(), 400, "from"),
        ("/v1/daily-reports?to=yesterday".into(), 400, "to"),
    ] {
        let (s, v) = get(&f, &f.sup, &p);
        assert_eq!((s, v["field"].as_str()), (status, Some(field)), "{p}: {v}");
    }
    // Another project's token sees no such day; no token is 401.
    let (s, v) = get(&f, &f.other, &path);
    assert_eq!((s, v["field"].as_str()), (404, Some("date")), "{v}");
    let (s, _) = common::get(&addr, &path);
    assert_eq!(s, 401);
}

/// The regeneration worker, run in-process against the server's database (as `main.rs` runs it):
/// a settled day that changed is made and `daily_report.ready` enqueued with the day's figures,
/// once; a day that changed within the settle time waits.
#[test]
fn the_worker_makes_and_announces_a_settled_day_once() {
    let f = setup(None);
    let addr = f.server.addr.clone();
    let (s, v) = f.call(
        &f.admin,
        "POST",
        "/v1/webhooks",
        Some(json!({"url": "http://127.0.0.1:9/hook", "format": "generic", "events": ["daily_report.ready"]})),
    );
    assert_eq!(s, 201, "{v}");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let state = rt.block_on(async {
        let db = server::db::Db::connect(None, f.dir.path()).await.expect("db");
        let store = server::blobs::store::open(None, f.dir.path()).expect("blob store");
        let blobs = server::blobs::Blobs::new(store, f.dir.path(), 1 << 20, Duration::from_secs(3600)).expect("blobs");
        server::state::AppState::new(db, server::state::Limits::default(), blobs)
    });
    let round = |settle: u64| {
        rt.block_on(server::daily_reports::worker::round(&state, Duration::from_secs(settle))).expect("round")
    };
    let ready = || f.count("SELECT COUNT(*) FROM webhook_outbox WHERE event_type = 'daily_report.ready'");
    // The first round only sets the watermark (history before the worker is not announced).
    assert_eq!(round(0), None);
    let mut phone = phone_with_the_day(&f.foreman);
    assert!(phone.sync(&addr).errors.is_empty());

    // Within the settle time: nothing made, the wait until it settles told.
    let wait = round(3600).expect("a day waits");
    // (An observation's follow-up row is first written while the round indexes it: a few
    // milliseconds after the round began.)
    assert!(wait > Duration::from_secs(3000) && wait <= Duration::from_secs(3660), "{wait:?}");
    assert_eq!((f.count("SELECT COUNT(*) FROM daily_reports"), ready()), (0, 0));

    // Settled: made and announced once, with the day's figures.
    assert_eq!(round(0), None);
    assert_eq!((f.count("SELECT COUNT(*) FROM daily_reports"), ready()), (1, 1));
    let server::db::Db::Sqlite(pool) = &state.db else { panic!("the worker's test runs on SQLite") };
    let payload: String = rt
        .block_on(
            sqlx::query_scalar("SELECT payload FROM webhook_outbox WHERE event_type = 'daily_report.ready'")
                .fetch_one(pool),
        )
        .expect("the message");
    let event: Value = serde_json::from_str(&payload).expect("JSON");
    let data = &event["data"];
    assert_eq!(event["type"], "daily_report.ready");
    assert_eq!(
        (data["site_id"].as_str(), data["site_name"].as_str(), data["date"].as_str()),
        (Some("S1"), Some("东区工地"), Some(DAY))
    );
    assert_eq!(
        (data["version"].as_i64(), data["records"].as_i64(), data["pending"].as_i64()),
        (Some(1), Some(5), Some(4))
    );
    assert_eq!((data["headcount"].as_i64(), dec(&data["man_days"])), (Some(9), d("9.5625")));
    assert_eq!(data["web_path"].as_str(), Some(format!("/web/daily-reports/S1/{DAY}").as_str()));
    assert_eq!(data["pdf_path"].as_str(), Some(format!("/v1/daily-reports/S1/{DAY}/pdf").as_str()));

    // Again with nothing new: nothing made, nothing sent.
    round(0);
    assert_eq!((f.count("SELECT COUNT(*) FROM daily_reports"), ready()), (1, 1));

    // A version a reader made before the day settled is announced once it settles.
    approve_current(&addr, &f.sup, SHEET);
    let (s, v) = get(&f, &f.sup, &format!("/v1/daily-reports/S1/{DAY}"));
    assert_eq!((s, v["version"].as_i64()), (200, Some(2)), "{v}");
    assert!(round(3600).is_some());
    assert_eq!(ready(), 1);
    round(0);
    round(0);
    assert_eq!((f.count("SELECT COUNT(*) FROM daily_reports"), ready()), (2, 2));
    assert_eq!(f.count("SELECT COUNT(*) FROM daily_reports WHERE announced_at_ms IS NULL"), 0);
}

fn d(s: &str) -> Decimal {
    common::api::d(s)
}

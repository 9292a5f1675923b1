//! The portfolio (issue 22) through the real server binary, on SQLite and on PostgreSQL: three
//! projects with the same plan (A1 50,000 over 11–30 November, A2 40,000 over 1–20 November) and
//! different work; `GET /v1/portfolio?at=2026-11-20` gives each project's figures as computed by
//! hand below, ranked worst first (the lower of CPI and SPI(t), then wage arrears, then open high
//! risks); an admin token sees every project, a supervisor's token its own; a person with two of
//! the three projects sees those two on `/web/portfolio`, each a button that switches to it; the
//! exports read back. Screenshots `<target>/screens/portfolio-{en,zh}-{1440,390}.png` when Chromium
//! is installed.

mod common;
mod webkit;

use automerge::AutoCommit;
use chrono::NaiveDate;
use common::api::*;
use common::phone::SimPhone;
use common::records::{crew_line, header, reference_workbook};
use common::*;
use record_schema::{Currency, Effort, LabourSheet, Progress, ProgressReport};
use serde_json::{Value, json};
use webkit::{Browser, form_encode, hidden, http};

const PASSWORD: &str = "kuaile-gongdi-2026";

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// A foreman of `project` records a sheet (A1 2,280 and A2 2,700: 4,980 in all, crew 张班) on
/// `date` and the progress given; a supervisor approves them.
fn work(addr: &str, foreman: &str, sup: &str, project: &str, n: u8, date: &str, progress: &[(&str, &str)]) {
    let mut phone = SimPhone::new(foreman.to_string());
    let sheet_id = format!("0193a000-0000-7000-8000-0000000{n:02}0a1");
    let sheet = LabourSheet {
        header: header(&sheet_id, project),
        work_date: day(date),
        currency: Currency::Cny,
        lines: vec![
            crew_line("l1", 6, Effort::Hours(d("8")), "47.50", "03-100", "A1"),
            crew_line("l2", 3, Effort::Days(d("2.5")), "360", "03-200", "A2"),
        ],
        note: None,
    };
    phone.docs.insert(sheet_id.clone(), records::sheet_doc(&sheet));
    let mut ids = vec![sheet_id];
    for (i, (activity, pct)) in progress.iter().enumerate() {
        let id = format!("0193a000-0000-7000-8000-0000000{n:02}0b{i}");
        let p = ProgressReport {
            header: header(&id, project),
            date: day("2026-11-20"),
            activity: (*activity).into(),
            progress: Progress::Percent(d(pct)),
            caption: None,
            photos: vec![],
        };
        let mut doc = AutoCommit::new();
        p.write(&mut doc).expect("write progress");
        phone.docs.insert(id.clone(), doc);
        ids.push(id);
    }
    let t = phone.sync(addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    for id in ids {
        approve_current(addr, sup, &id);
    }
}

fn row<'a>(p: &'a Value, project: &str) -> &'a Value {
    p["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .find(|r| r["project_id"] == project)
        .unwrap_or_else(|| panic!("no {project} in {p}"))
}

fn order(p: &Value) -> Vec<String> {
    p["projects"].as_array().expect("projects").iter().map(|r| r["project_id"].as_str().expect("id").into()).collect()
}

fn post_form(addr: &str, path: &str, cookie: &str, body: &str) -> webkit::Resp {
    http(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie)],
        body.as_bytes(),
    )
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let dp = dir.path();
    let admin = token_as(dp, url, "P1", "admin");
    let mut sups = Vec::new();
    let mut foremen = Vec::new();
    let mut admins = vec![admin.clone()];
    for p in ["P1", "P2", "P3"] {
        sups.push(token_as(dp, url, p, "supervisor"));
        foremen.push(token(dp, url, p));
        if p != "P1" {
            admins.push(token_as(dp, url, p, "admin"));
        }
    }
    // 王建国 supervises P1 and P3, not P2.
    let (ok, out, err) = cli(
        dp,
        url,
        &["person", "add", "--name", "王建国", "--phone", "13812345678", "--project", "P1", "--role", "supervisor"],
    );
    assert!(ok, "{err}");
    let wang = out.trim().to_string();
    let (ok, _, err) = cli(dp, url, &["person", "grant", "--person", &wang, "--project", "P3", "--role", "supervisor"]);
    assert!(ok, "{err}");
    let server = start_with(dp, url);
    let addr = server.addr.as_str();
    for a in &admins {
        import_reference(addr, a, &reference_workbook());
    }

    // P1: 20 November's sheet, A1 reported 40% (the reports test's day). P3: the same, and two open
    // risks, one of them critical. P2: the sheet in October (its wages overdue since 15 November,
    // never paid), A2 finished and A1 half done on 20 November.
    work(addr, &foremen[0], &sups[0], "P1", 1, "2026-11-20", &[("A1", "40")]);
    work(addr, &foremen[1], &sups[1], "P2", 2, "2026-10-20", &[("A2", "100"), ("A1", "50")]);
    work(addr, &foremen[2], &sups[2], "P3", 3, "2026-11-20", &[("A1", "40")]);
    for (title, p, i) in [("塔吊基础沉降", 4, 5), ("雨季材料受潮", 1, 2)] {
        let (s, v) = json_call(
            addr,
            &sups[2],
            "POST",
            "/v1/risks",
            Some(json!({ "title": title, "probability": p, "impact": i })),
        );
        assert_eq!(s, 201, "{v}");
    }

    // Only readers: a foreman's token is refused.
    let (s, _) = json_call(addr, &foremen[0], "GET", "/v1/portfolio", None);
    assert_eq!(s, 403);
    let (s, pf) = json_call(addr, &admin, "GET", "/v1/portfolio?at=2026-11-20", None);
    assert_eq!(s, 200, "{pf}");
    assert_eq!(pf["as_of"], "2026-11-20");

    // By hand. P1 and P3: PV at 20 November = A2's 40,000 + A1's 10/20 of 50,000 = 65,000; EV = 40% of
    // 50,000 = 20,000; AC = 4,980. CPI = 20,000/4,980 = 4.016; the plan's PV is 2,000 a day for days
    // 1–10 (A2 alone), so EV 20,000 is day 10's: ES = 10 at AT = 20, SV(t) = −10 days, SPI(t) = 0.5,
    // IEAC(t) = 30/0.5 = 60 days from 1 November → 30 December, 30 days after the planned 30 November.
    // EAC = 90,000 × 4,980/20,000 = 22,410; VAC = 67,590.
    for p in ["P1", "P3"] {
        let r = row(&pf, p);
        assert_eq!(
            (dec(&r["bac"]), dec(&r["pv"]), dec(&r["ev"]), dec(&r["ac"])),
            (d("90000"), d("65000"), d("20000"), d("4980"))
        );
        assert_eq!((dec(&r["cpi"]), dec(&r["spi_t"]), dec(&r["sv_t"])), (d("4.016"), d("0.5"), d("-10")), "{r}");
        assert_eq!((dec(&r["eac"]), dec(&r["vac"])), (d("22410"), d("67590")), "{r}");
        assert_eq!(
            (r["planned_finish"].as_str(), r["forecast_finish"].as_str()),
            (Some("2026-11-30"), Some("2026-12-30"))
        );
        assert_eq!((r["finish_slip_days"].as_i64(), dec(&r["health"])), (Some(30), d("0.5")));
        assert_eq!(dec(&r["arrears"]), d("0"), "November's wages are due 15 December");
        assert_eq!(r["name"], "一号楼");
    }
    assert_eq!((row(&pf, "P3")["open_risks"].as_i64(), row(&pf, "P3")["high_risks"].as_i64()), (Some(2), Some(1)));
    assert_eq!((row(&pf, "P1")["open_risks"].as_i64(), row(&pf, "P1")["high_risks"].as_i64()), (Some(0), Some(0)));
    // P2: EV = 40,000 + 25,000 = 65,000 = PV: SPI(t) 1, on time, finishing 30 November. AC = 4,980
    // (October's cost counts up to the status date): CPI = 65,000/4,980 = 13.052, EAC = 90,000 ×
    // 4,980/65,000 = 6,895.38. October's 4,980 of wages were due 15 November: overdue, one month.
    let r = row(&pf, "P2");
    assert_eq!(
        (dec(&r["ev"]), dec(&r["cpi"]), dec(&r["spi_t"]), dec(&r["sv_t"])),
        (d("65000"), d("13.052"), d("1"), d("0")),
        "{r}"
    );
    assert_eq!((dec(&r["eac"]), dec(&r["vac"])), (d("6895.38"), d("83104.62")));
    assert_eq!((r["forecast_finish"].as_str(), r["finish_slip_days"].as_i64()), (Some("2026-11-30"), Some(0)));
    assert_eq!(
        (dec(&r["arrears"]), r["arrears_months"].as_i64(), r["arrears_since"].as_str()),
        (d("4980"), Some(1), Some("2026-10"))
    );
    // Worst first: P1 and P3 tie on health 0.5 and on arrears; P3's critical risk puts it first; P2
    // (health 1) last despite its arrears.
    assert_eq!(order(&pf), ["P3", "P1", "P2"]);
    assert_eq!(pf["projects"][0]["rank"], 1);

    // A supervisor's token: its own project only.
    let (s, own) = json_call(addr, &sups[1], "GET", "/v1/portfolio?at=2026-11-20", None);
    assert_eq!(s, 200, "{own}");
    assert_eq!(order(&own), ["P2"]);
    let (s, bad) = json_call(addr, &admin, "GET", "/v1/portfolio?at=yesterday", None);
    assert_eq!((s, bad["field"].as_str()), (400, Some("at")), "{bad}");

    // The CSV: the same rows, worst first, with the stable keys.
    let (s, csv) = api::fetch(addr, &admin, "/v1/portfolio?at=2026-11-20&format=csv");
    assert_eq!(s, 200);
    let text = String::from_utf8(csv).expect("utf-8");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("rank,project,name,currency,at,cpi,spi,spi_t,sv_t,bac,eac,vac"), "{}", lines[0]);
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with("1,P3,一号楼,CNY,2026-11-20,4.016,"), "{}", lines[1]);
    assert!(lines[3].contains(",6895.38,83104.62,2026-11-30,2026-11-30,0,0,0,4980.00,1"), "{}", lines[3]);

    // 王建国 signs in with his password: his portfolio holds P1 and P3, worst first, not P2.
    let link = {
        let (ok, out, err) = cli(dp, url, &["person", "link", "--person", &wang]);
        assert!(ok, "{err}");
        out.trim().rsplit_once("code=").map(|(_, c)| c.trim().to_string()).expect("code")
    };
    let page = http(addr, "GET", &format!("/web/welcome?code={link}"), &[], b"");
    let csrf = hidden(&page.text(), "csrf").expect("csrf");
    let cookie = format!("fl_signin_csrf={}", page.cookie("fl_signin_csrf").expect("cookie"));
    let body = format!("csrf={csrf}&code={link}&password={PASSWORD}&confirm={PASSWORD}");
    let r = post_form(addr, "/web/welcome", &cookie, &body);
    assert_eq!(r.status, 303, "{}", r.text());
    let session = format!("fl_session={}", r.cookie("fl_session").expect("session"));
    let get = |path: &str, lang: &str| {
        let c = format!("{session}; fl_lang={lang}");
        let r = http(addr, "GET", path, &[("Cookie", &c)], b"");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.text()
    };
    let html = get("/web/portfolio?at=2026-11-20", "en");
    let (p3, p1) = (html.find("id=\"pf-P3\"").expect("P3 listed"), html.find("id=\"pf-P1\"").expect("P1 listed"));
    assert!(p3 < p1, "worst first");
    assert!(!html.contains("id=\"pf-P2\""), "P2 is not his");
    assert!(html.contains("10 days behind") && html.contains("30 days late"), "in words");
    assert!(html.contains("1 high of 2 open"), "P3's risks");
    let zh = get("/web/portfolio?at=2026-11-20", "zh-CN");
    assert!(zh.contains("落后 10 天") && zh.contains("晚 30 天") && zh.contains("高风险 1 项"), "in Chinese");
    let csv = http(addr, "GET", "/web/portfolio/export?format=csv&at=2026-11-20", &[("Cookie", &session)], b"");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.text().lines().count(), 3, "{}", csv.text());
    // Each project is a form switching to it, landing on its schedule.
    let csrf = hidden(&html, "csrf").expect("csrf");
    let r = post_form(
        addr,
        "/web/switch",
        &session,
        &format!("csrf={csrf}&project=P3&next={}", form_encode("/web/schedule")),
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/web/schedule")), "{}", r.text());
    let sched = get("/web/schedule?at=2026-11-20", "en");
    assert!(sched.contains("P3"), "the schedule is P3's now");
    // A device key's session has no portfolio.
    let key = webkit::session_of(&webkit::sign_in(addr, &sups[0], "/web/queue"));
    assert_eq!(http(addr, "GET", "/web/portfolio", &[("Cookie", &key)], b"").status, 404);

    if url.is_none() {
        screenshots(addr, &session);
    }
}

/// The page at both widths in both languages (the person's session cookie set through the
/// browser's sign-in form).
fn screenshots(addr: &str, _session: &str) {
    if !webkit::browser_available() {
        eprintln!("SKIPPED the screenshots: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let base = format!("http://{}", addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/sign-in"));
    b.wait_for("#password-form");
    b.type_into("#login", "13812345678");
    b.type_into("#password", PASSWORD);
    b.click("#sign-in-password");
    b.wait_for("nav");
    for (lang, width, height) in [("en", 1440, 900), ("en", 390, 844), ("zh-CN", 1440, 900), ("zh-CN", 390, 844)] {
        b.resize(width, height);
        b.goto(&format!("{base}/web/lang?to={lang}&back=%2Fweb%2Fportfolio%3Fat%3D2026-11-20"));
        b.wait_for("#portfolio-table");
        let short = if lang == "en" { "en" } else { "zh" };
        b.screenshot(&format!("portfolio-{short}-{width}"));
    }
}

#[test]
fn portfolio_on_sqlite() {
    story(None);
}

#[test]
fn portfolio_on_postgres() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

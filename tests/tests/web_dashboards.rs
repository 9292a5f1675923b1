//! The cost and schedule dashboards for a cost controller, through the real server binary, on two
//! years of history a phone synced (23 monthly labour sheets, expenses, progress reports, all
//! approved through the API): 14 leaf cost codes under a tree, some over budget, some without any
//! activity (no earned value), a long Chinese name; the clock is frozen at 2026-11-25 (Shanghai).
//!
//! * `drill_down_lists_a_codes_postings_on_{sqlite,postgres}`: over HTTP, a code's page lists exactly the postings of
//!   the sheets charged to it, page by page, summing to the code's actual in the JSON cost report,
//!   each linking to its record; a parent shows its children; bad input is refused.
//! * `dashboards_in_the_browser`: Chromium at 1440×900 and 390×844, English and Chinese: the bar
//!   chart has every code (top 12 + "others", actuals adding up to the total), bars link to the
//!   drill-down, CPI of a code without earned value is "—", the S-curve has month ticks and the
//!   status-date line, SV/SPI/CPI fit without scrolling at 1440 px, chart text is at least 11 px
//!   and never runs outside its chart, 万 in Chinese cards, nothing scrolls the page sideways at
//!   390 px. Screenshots: `<target>/screens/dash-{cost,drill,schedule}-{en,zh}-{1440,390}.png`.

use std::collections::{BTreeMap, BTreeSet};

use automerge::AutoCommit;
use chrono::NaiveDate;
use fieldledger_tests::api::{self, d, dec};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::records::{self, header, workbook};
use fieldledger_tests::webkit::{self, Browser, http};
use fieldledger_tests::*;
use record_schema::{CrewLine, Currency, Effort, Expense, LabourSheet, Progress, ProgressReport, TimeUnit};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const NOW: &str = "2026-11-25T04:00:00Z";
const TODAY: &str = "2026-11-25";

/// (code, name, parent, activity working on it: id, name, start, finish, trade, daily crew)
struct Code {
    code: &'static str,
    name: &'static str,
    parent: &'static str,
    /// Budget as a share (percent) of what the history charges to it: below 100 is over budget.
    budget_pct: i64,
}

const CODES: &[Code] = &[
    Code { code: "01", name: "土方工程", parent: "", budget_pct: 0 },
    Code {
        code: "01-100",
        name: "基坑开挖及土方外运（含渣土消纳与场内倒运、夜间施工降噪措施）",
        parent: "01",
        budget_pct: 85,
    },
    Code { code: "01-200", name: "土方回填", parent: "01", budget_pct: 130 },
    Code { code: "02", name: "基础工程", parent: "", budget_pct: 0 },
    Code { code: "02-100", name: "桩基础", parent: "02", budget_pct: 105 },
    Code { code: "03", name: "混凝土工程", parent: "", budget_pct: 0 },
    Code { code: "03-100", name: "模板", parent: "03", budget_pct: 140 },
    Code { code: "03-200", name: "钢筋", parent: "03", budget_pct: 92 },
    Code { code: "03-300", name: "混凝土浇筑", parent: "03", budget_pct: 160 },
    Code { code: "04", name: "砌体工程", parent: "", budget_pct: 125 },
    Code { code: "05", name: "装饰装修工程", parent: "", budget_pct: 0 },
    Code { code: "05-100", name: "内墙抹灰", parent: "05", budget_pct: 150 },
    Code { code: "05-200", name: "外墙涂料", parent: "05", budget_pct: 300 },
    Code { code: "06", name: "机电安装", parent: "", budget_pct: 0 },
    Code { code: "06-100", name: "给排水", parent: "06", budget_pct: 200 },
    Code { code: "06-200", name: "电气", parent: "06", budget_pct: 180 },
    Code { code: "07", name: "临时设施", parent: "", budget_pct: 110 },
    Code { code: "08", name: "安全文明施工", parent: "", budget_pct: 95 },
    Code { code: "09", name: "零星用工", parent: "", budget_pct: 120 },
];

/// Labour by code: (code, activity, trade, first month, last month (inclusive, as (y, m)), crew size).
#[allow(clippy::type_complexity)]
const WORK: &[(&str, &str, &str, (i32, u32), (i32, u32), i64)] = &[
    ("01-100", "A1", "普工", (2025, 1), (2025, 4), 18),
    ("01-200", "", "普工", (2025, 8), (2025, 10), 6),
    ("02-100", "A2", "桩工", (2025, 3), (2025, 8), 14),
    ("03-100", "A3", "木工", (2025, 6), (2026, 6), 12),
    ("03-200", "A4", "钢筋工", (2025, 6), (2026, 6), 10),
    ("03-300", "", "混凝土工", (2025, 7), (2026, 6), 5),
    ("04", "A5", "瓦工", (2026, 3), (2026, 10), 8),
    ("05-100", "A6", "抹灰工", (2026, 6), (2026, 11), 9),
    ("06-200", "A7", "电工", (2026, 5), (2026, 11), 4),
    ("09", "", "杂工", (2025, 1), (2026, 11), 2),
];

const DAY_RATE: &str = "380";

/// (activity, name, start, finish, code)
const ACTIVITIES: &[(&str, &str, &str, &str, &str)] = &[
    ("A1", "土方开挖", "2025-01-01", "2025-04-30", "01-100"),
    ("A2", "桩基施工", "2025-03-01", "2025-08-31", "02-100"),
    ("A3", "主体结构模板", "2025-06-01", "2026-06-30", "03-100"),
    ("A4", "主体结构钢筋", "2025-06-01", "2026-06-30", "03-200"),
    ("A5", "砌体", "2026-03-01", "2026-10-31", "04"),
    ("A6", "内墙抹灰", "2026-06-01", "2026-12-31", "05-100"),
    ("A7", "电气安装", "2026-05-01", "2027-01-31", "06-200"),
];

/// (id suffix, activity, date, percent)
const PROGRESS: &[(u32, &str, &str, &str)] = &[
    (1, "A1", "2025-04-30", "100"),
    (2, "A2", "2025-08-31", "100"),
    (3, "A3", "2025-12-31", "45"),
    (4, "A3", "2026-06-30", "95"),
    (5, "A4", "2026-06-30", "100"),
    (6, "A5", "2026-10-31", "80"),
    (7, "A6", "2026-11-20", "40"),
    (8, "A7", "2026-11-20", "55"),
];

/// (id suffix, code, date, amount, category, vendor)
const EXPENSES: &[(u32, &str, &str, &str, &str, &str)] = &[
    (1, "07", "2025-01-10", "38000.00", "accommodation", "宏达板房"),
    (2, "07", "2025-09-18", "12600.50", "accommodation", "宏达板房"),
    (3, "08", "2025-02-20", "9800.00", "tools", "安达劳保"),
    (4, "08", "2026-03-05", "15420.00", "tools", "安达劳保"),
    (5, "06-100", "2026-07-12", "26750.00", "materials", "联塑管材"),
    (6, "05-200", "2026-10-08", "18300.00", "materials", "立邦涂料"),
];

fn id(kind: u32, n: u32) -> String {
    format!("0193a000-0000-7000-8000-{kind:04x}{n:08x}")
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// The monthly sheets: for each month of 2025-01 … 2026-11, one sheet on the 15th with a line per
/// code worked that month (crew × 1 day × 380, the crew varying a little by month).
fn sheets() -> Vec<LabourSheet> {
    let mut out = Vec::new();
    let (mut y, mut m) = (2025, 1);
    let mut n = 0;
    while (y, m) <= (2026, 11) {
        n += 1;
        let lines: Vec<CrewLine> = WORK
            .iter()
            .enumerate()
            .filter(|(_, w)| w.3 <= (y, m) && (y, m) <= w.4)
            .map(|(i, w)| CrewLine {
                id: format!("l{i}"),
                position: i as i64,
                trade: w.2.into(),
                crew: Some(format!("{}班", ["张", "李", "王", "赵"][i % 4])),
                headcount: w.5 + (n % 3) as i64,
                effort: Effort::Days(d("1")),
                rate: d(DAY_RATE),
                rate_unit: TimeUnit::Day,
                hours_per_day: d("8"),
                cost_code: w.0.into(),
                activity: (!w.1.is_empty()).then(|| w.1.to_string()),
                note: None,
                workers: vec![],
            })
            .collect();
        out.push(LabourSheet {
            header: header(&id(1, n), "P1"),
            work_date: NaiveDate::from_ymd_opt(y, m, 15).expect("date"),
            currency: Currency::Cny,
            lines,
            note: None,
        });
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

fn expenses() -> Vec<Expense> {
    EXPENSES
        .iter()
        .map(|(n, code, day, amount, category, vendor)| Expense {
            header: header(&id(2, *n), "P1"),
            date: date(day),
            amount: d(amount),
            currency: Currency::Cny,
            category: (*category).into(),
            vendor: Some((*vendor).into()),
            cost_code: (*code).into(),
            note: None,
            receipts: vec![],
        })
        .collect()
}

/// What the history charges to each code.
fn charged(sheets: &[LabourSheet], expenses: &[Expense]) -> BTreeMap<String, Decimal> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for s in sheets {
        for l in &s.lines {
            *out.entry(l.cost_code.clone()).or_default() += Decimal::from(l.headcount) * l.rate;
        }
    }
    for e in expenses {
        *out.entry(e.cost_code.clone()).or_default() += e.amount;
    }
    out
}

struct World {
    _dir: tempfile::TempDir,
    server: Server,
    sup: String,
    sheets: Vec<LabourSheet>,
}

fn world(url: Option<&str>) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_on_env(dir.path(), url, "127.0.0.1:0", &[], &[("FIELDLEDGER_TEST_NOW", NOW)]);
    let sheets = sheets();
    let expenses = expenses();
    let charged = charged(&sheets, &expenses);
    // Budgets: a share of what the history charges, so some codes end over budget.
    let budgets: Vec<(String, String)> = CODES
        .iter()
        .map(|c| {
            let b = charged.get(c.code).copied().unwrap_or_default() * Decimal::from(c.budget_pct) / Decimal::from(100);
            (c.code.to_string(), b.round_dp(0).to_string())
        })
        .collect();
    let code_rows: Vec<Vec<&str>> =
        CODES.iter().zip(&budgets).map(|(c, (_, b))| vec![c.code, c.name, c.parent, b.as_str()]).collect();
    let activity_budgets: Vec<String> =
        ACTIVITIES.iter().map(|a| charged.get(a.4).copied().unwrap_or_default().round_dp(0).to_string()).collect();
    let activity_rows: Vec<Vec<&str>> =
        ACTIVITIES.iter().zip(&activity_budgets).map(|(a, b)| vec![a.0, a.1, a.2, a.3, b.as_str(), a.4]).collect();
    let mut codes: Vec<&[&str]> = vec![&["code", "name", "parent", "budget"]];
    codes.extend(code_rows.iter().map(Vec::as_slice));
    let mut acts: Vec<&[&str]> = vec![&["id", "name", "planned_start", "planned_finish", "budget", "cost_code"]];
    acts.extend(activity_rows.iter().map(Vec::as_slice));
    let trades: Vec<[&str; 3]> = ["普工", "桩工", "木工", "钢筋工", "混凝土工", "瓦工", "抹灰工", "电工", "杂工"]
        .map(|t| [t, DAY_RATE, ""])
        .to_vec();
    let mut trade_rows: Vec<&[&str]> = vec![&["name", "day_rate", "hour_rate"]];
    trade_rows.extend(trades.iter().map(|t| t.as_slice()));
    let book = workbook(&[
        ("project", &[&["name", "currency"], &["一号楼", "CNY"]]),
        ("sites", &[&["id", "name", "time_zone"], &["S1", "东区工地", "Asia/Shanghai"]]),
        ("cost_codes", &codes),
        ("activities", &acts),
        ("trades", &trade_rows),
    ]);
    api::import_reference(&server.addr, &admin, &book);

    // A foreman's phone records it all and syncs; the office approves every record.
    let mut phone = SimPhone::new(foreman);
    let mut ids = Vec::new();
    for s in &sheets {
        phone.docs.insert(s.header.id.clone(), records::sheet_doc(s));
        ids.push(s.header.id.clone());
    }
    for e in &expenses {
        phone.docs.insert(e.header.id.clone(), records::expense_doc(e));
        ids.push(e.header.id.clone());
    }
    for (n, activity, day, percent) in PROGRESS {
        let p = ProgressReport {
            header: header(&id(3, *n), "P1"),
            date: date(day),
            activity: (*activity).into(),
            progress: Progress::Percent(d(percent)),
            caption: None,
            photos: vec![],
        };
        let mut doc = AutoCommit::new();
        p.write(&mut doc).expect("write");
        phone.docs.insert(p.header.id.clone(), doc);
        ids.push(p.header.id.clone());
    }
    let sync = phone.sync(&server.addr);
    assert!(sync.errors.is_empty(), "{:?}", sync.errors);
    for id in &ids {
        api::approve_current(&server.addr, &sup, id);
    }
    World { _dir: dir, server, sup, sheets }
}

/// The JSON cost report's rows by code (all to date).
fn cost_report(w: &World, query: &str) -> (BTreeMap<String, Value>, Value) {
    let (s, v) = api::json_call(&w.server.addr, &w.sup, "GET", &format!("/v1/reports/cost?{query}"), None);
    assert_eq!(s, 200, "{v}");
    let rows = v["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|r| (r["code"].as_str().unwrap_or_default().to_string(), r.clone()))
        .collect();
    (rows, v["totals"].clone())
}

/// Money as the English pages write it (`CN¥1,234.50`, `-CN¥3.00`) as a decimal.
fn yuan(text: &str) -> Decimal {
    let t = text.trim();
    let negative = t.starts_with('-');
    let digits: String = t.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect();
    let v = d(&digits);
    if negative { -v } else { v }
}

/// The text of every element `<tag ... class="…{class}…" …>TEXT<` in `html` (simple pages only).
fn cells(html: &str, class: &str) -> Vec<String> {
    html.split(class)
        .skip(1)
        .filter_map(|rest| rest.split_once('>').map(|(_, r)| r.split('<').next().unwrap_or_default().to_string()))
        .collect()
}

fn get(addr: &str, cookie: &str, path: &str) -> webkit::Resp {
    http(addr, "GET", path, &[("Cookie", cookie), ("Accept-Language", "en")], b"")
}

/// A page's HTML with `&` unescaped (in links), for matching.
fn page(addr: &str, cookie: &str, path: &str) -> String {
    let r = get(addr, cookie, path);
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.text().replace("&#38;", "&").replace("&amp;", "&")
}

#[test]
fn drill_down_lists_a_codes_postings_on_sqlite() {
    drill_down_lists_a_codes_postings(None);
}

#[test]
fn drill_down_lists_a_codes_postings_on_postgres() {
    let pg = ThrowawayPg::create();
    drill_down_lists_a_codes_postings(Some(&pg.url()));
}

fn drill_down_lists_a_codes_postings(url: Option<&str>) {
    let w = world(url);
    let addr = w.server.addr.as_str();
    let cookie = webkit::session_of(&webkit::sign_in(addr, &w.sup, "%2Fweb%2Fcost"));
    let (rows, _) = cost_report(&w, "");

    // 03-100: one posting per monthly sheet that worked on it, 5 a page, newest first.
    let expected: BTreeSet<String> = w
        .sheets
        .iter()
        .filter(|s| s.lines.iter().any(|l| l.cost_code == "03-100"))
        .map(|s| s.header.id.clone())
        .collect();
    assert_eq!(expected.len(), 13);
    let mut path = "/web/cost/03-100?from=&to=&per=5".to_string();
    let (mut records, mut sum, mut pages, mut dates) = (Vec::new(), Decimal::ZERO, 0, Vec::new());
    loop {
        let html = page(addr, &cookie, &path);
        pages += 1;
        assert!(html.contains("13 postings in the period"), "{html}");
        for a in cells(&html, "amount-cell") {
            sum += yuan(&a);
        }
        for part in html.split("class=\"record-link\" href=\"/web/records/").skip(1) {
            let (rid, rest) = part.split_once('"').expect("record link");
            records.push(rid.to_string());
            dates.push(rest.split_once('>').and_then(|(_, t)| t.split('<').next()).unwrap_or_default().to_string());
        }
        match html.split("id=\"older\" href=\"").nth(1).and_then(|p| p.split('"').next()) {
            Some(next) => path = next.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3, "13 postings at 5 a page: {records:?} {dates:?}");
    assert_eq!(records.iter().cloned().collect::<BTreeSet<_>>(), expected, "exactly the code's records, each once");
    assert_eq!(records.len(), 13);
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");
    assert_eq!(sum, dec(&rows["03-100"]["actual"]), "the postings add up to the code's actual");
    // Each links to a record page that opens.
    let first = get(addr, &cookie, &format!("/web/records/{}", records[0]));
    assert_eq!(first.status, 200);

    // The same in a period: 2026 only.
    let html = page(addr, &cookie, "/web/cost/03-100?from=2026-01-01&to=2026-11-25");
    let in_2026: Decimal = cells(&html, "amount-cell").iter().map(|a| yuan(a)).sum();
    let (rows_2026, _) = cost_report(&w, "from=2026-01-01&to=2026-11-25");
    assert_eq!(in_2026, dec(&rows_2026["03-100"]["actual"]));
    assert!(html.contains("6 postings in the period"), "Jan … Jun 2026");

    // An expense code: the postings are the expenses, with their category.
    let html = page(addr, &cookie, "/web/cost/07");
    let amounts: Vec<Decimal> = cells(&html, "amount-cell").iter().map(|a| yuan(a)).collect();
    assert_eq!(amounts, vec![d("12600.50"), d("38000.00")], "{html}");
    assert!(html.contains("Accommodation") && html.contains("Expense"), "{html}");

    // A parent: its children with their figures and links, no posting of its own.
    let html = page(addr, &cookie, "/web/cost/03");
    for child in ["03-100", "03-200", "03-300"] {
        assert!(html.contains(&format!("id=\"child-{child}\"")), "{child}");
        assert!(html.contains(&format!("href=\"/web/cost/{child}?from=&to=\"")), "{child}");
    }
    assert!(html.contains("id=\"no-postings\""), "{html}");
    assert!(html.contains("Charged directly to this code: <b>CN¥0.00</b>"), "{html}");
    assert!(html.contains("All cost codes"));

    // The leaf's page names the path up the tree and its own figures.
    let html = page(addr, &cookie, "/web/cost/03-100");
    assert!(html.contains("href=\"/web/cost/03?from=&to=\">03 混凝土工程</a>"), "{html}");
    assert!(cells(&html, "dash-card-value").iter().any(|v| yuan(v) == dec(&rows["03-100"]["actual"])));

    // Bad input: an unknown code is a 404 page, a bad cursor or page size a 400.
    assert_eq!(get(addr, &cookie, "/web/cost/99-999").status, 404);
    assert_eq!(get(addr, &cookie, "/web/cost/03-100?before=yesterday").status, 400);
    assert_eq!(get(addr, &cookie, "/web/cost/03-100?per=100000").status, 400);
    assert_eq!(get(addr, &cookie, "/web/cost/03-100?from=2026-02-01&to=2026-01-01").status, 400);
    assert_eq!(http(addr, "GET", "/web/cost/03-100", &[], b"").status, 303, "a session is needed");
}

/// Nothing on the page scrolls sideways; every chart text is at least 11 px on screen and inside
/// its chart.
fn check_layout(b: &Browser, what: &str) {
    let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
    assert_eq!(fits, json!(true), "{what}: wider than the window");
    let bad = b.script(
        "const out = []; for (const svg of document.querySelectorAll('svg.dash-bars, svg.dash-curve')) { \
           const box = svg.getBoundingClientRect(); \
           for (const t of svg.querySelectorAll('text')) { \
             if (getComputedStyle(t).display === 'none') continue; \
             const r = t.getBoundingClientRect(); \
             const px = parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM() ? t.getScreenCTM().a : 1); \
             if (px < 11 || r.left < box.left - 0.5 || r.right > box.right + 0.5) out.push(t.textContent + ' ' + px + ' ' + r.left + '-' + r.right + ' in ' + box.left + '-' + box.right); \
           } } return out;",
    );
    assert_eq!(bad, json!([]), "{what}: chart text too small or clipped");
}

/// The EV columns fit their box: no horizontal scrolling needed to see SV, SPI and CPI.
fn table_fits(b: &Browser, table: &str, what: &str) {
    let v = b.script(&format!(
        "const t = document.querySelector('{table}'); return [t.scrollWidth, t.parentElement.clientWidth];"
    ));
    let (sw, cw) = (v[0].as_f64().unwrap_or(f64::MAX), v[1].as_f64().unwrap_or(0.0));
    assert!(sw <= cw, "{what}: {table} is {sw} px wide in a {cw} px box");
}

#[test]
fn dashboards_in_the_browser() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED dashboards_in_the_browser: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let w = world(None);
    let (rows, totals) = cost_report(&w, "");
    let base = format!("http://{}", w.server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/cost"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &w.sup);
    b.click("#sign-in");
    b.wait_for("#cost-chart svg");

    // Cost, English, 1440: all to date by default; cards; every leaf code in the chart.
    assert!(b.exists("#preset-all.on"), "all to date is the default");
    assert_eq!(yuan(&b.text("#card-actual .dash-card-value")), dec(&totals["actual"]));
    let bars = b.script(
        "return [...document.querySelectorAll('#cost-chart a.bar-row')].map(a => [a.dataset.code, a.dataset.actual, a.getAttribute('href')]);",
    );
    let bars = bars.as_array().expect("bars").clone();
    assert_eq!(bars.len(), 13, "12 codes and the others: {bars:?}");
    let shown: Vec<&str> = bars.iter().filter_map(|b| b[0].as_str()).filter(|c| !c.is_empty()).collect();
    let leaves: Vec<&str> =
        CODES.iter().filter(|c| !CODES.iter().any(|k| k.parent == c.code)).map(|c| c.code).collect();
    assert_eq!(leaves.len(), 14);
    assert!(shown.iter().all(|c| leaves.contains(c)), "{shown:?}");
    let others = bars.last().expect("others");
    assert_eq!(others[0], json!(""), "the last bar is the others");
    assert_eq!(others[2], json!("#cost-table"));
    assert!(b.text("#cost-chart a.others").contains("Others: 2 codes") || b.source().contains("Others: 2 codes"));
    let sum: Decimal = bars.iter().map(|b| d(b[1].as_str().unwrap_or("0"))).sum();
    assert_eq!(sum, dec(&totals["actual"]), "bars add up to the total");
    let actuals: Vec<Decimal> = bars[..12].iter().map(|b| d(b[1].as_str().unwrap_or("0"))).collect();
    assert!(actuals.windows(2).all(|p| p[0] >= p[1]), "largest first: {actuals:?}");
    assert!(b.exists("#cost-chart rect.actual.over"), "over-budget codes drawn red");
    // CPI of a code without earned value is "—"; of a code with it, a figure.
    assert_eq!(b.text("#code-07 .cpi-cell"), "—");
    assert_eq!(b.text("#code-03-300 .cpi-cell"), "—");
    assert_eq!(
        b.text("#code-03-100 .cpi-cell"),
        rows["03-100"]["cpi"].as_str().map(|c| d(c).normalize().to_string()).unwrap_or_default()
    );
    table_fits(&b, "#cost-table", "cost en 1440");
    check_layout(&b, "cost en 1440");
    b.screenshot("dash-cost-en-1440");

    // A bar opens its code's postings.
    b.click("#cost-chart a.bar-row[data-code='03-100'] text.lbl");
    b.wait_for("#postings");
    assert!(b.url().contains("/web/cost/03-100"), "{}", b.url());
    assert_eq!(b.script("return document.querySelectorAll('#postings tr.posting').length;"), json!(13));
    check_layout(&b, "drill en 1440");
    b.screenshot("dash-drill-en-1440");
    b.click("#postings tbody tr:first-child a.record-link");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.url().contains("/web/records/") {
        assert!(std::time::Instant::now() < deadline, "the posting's record did not open: {}", b.url());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // Schedule, English, 1440: month ticks, the status-date line, the EV columns in view.
    b.goto(&format!("{base}/web/schedule"));
    b.wait_for("#s-curve svg");
    let ticks = b.script("return [...document.querySelectorAll('#s-curve .x-tick')].map(t => t.textContent);");
    let ticks: Vec<String> =
        ticks.as_array().expect("ticks").iter().filter_map(|t| t.as_str().map(String::from)).collect();
    assert!(ticks.len() >= 6 && ticks.iter().any(|t| t == "Jan 2026"), "{ticks:?}");
    assert_eq!(
        b.script("return document.querySelectorAll('#s-curve line.month').length;"),
        json!(25),
        "2025-01 … 2027-01"
    );
    assert_eq!(b.attr("#s-curve line.today", "data-date").as_deref(), Some(TODAY));
    assert!(b.text("#s-curve").contains("Today 11-25") || b.source().contains("Today 11-25"));
    assert!(b.exists("#s-curve polyline.pv") && b.exists("#s-curve polyline.ev") && b.exists("#s-curve polyline.ac"));
    assert!(b.text("#s-curve figcaption").contains("Planned value (PV)"));
    assert!(b.text("#ev-legend").contains("Green"));
    table_fits(&b, "#schedule-table", "schedule en 1440");
    for col in ["SV", "SPI", "CPI"] {
        let right = b.script(&format!(
            "const th = [...document.querySelectorAll('#schedule-table thead th')].find(t => t.textContent.trim() === '{col}'); return th.getBoundingClientRect().right <= window.innerWidth;"
        ));
        assert_eq!(right, json!(true), "{col} in view");
    }
    check_layout(&b, "schedule en 1440");
    b.screenshot("dash-schedule-en-1440");
    b.script("document.querySelector('#schedule-table').scrollIntoView(); return true;");
    b.screenshot("dash-schedule-en-1440-table");
    // The Gantt: a row per activity under its cost code; late at 2026-11-25 (actual % below the
    // planned %): A3 (95 of 100), A5 (80 of 100), A6 (40 of ~83), A7 (55 of ~76); a two-year plan
    // is ticked by month; the status-date line.
    let gantt_ids = |sel: &str| {
        let v = b.script(&format!(
            "return [...document.querySelectorAll('{sel}')].map(g => g.getAttribute('data-activity'));"
        ));
        v.as_array().expect("rows").iter().filter_map(|t| t.as_str().map(String::from)).collect::<Vec<_>>()
    };
    let all: Vec<String> = ACTIVITIES.iter().map(|a| a.0.to_string()).collect();
    assert_eq!(gantt_ids("#gantt g.gantt-row"), all);
    assert_eq!(gantt_ids("#gantt g.gantt-row.late"), ["A3", "A5", "A6", "A7"]);
    assert_eq!(b.attr("#gantt line.today", "data-date").as_deref(), Some(TODAY));
    assert!(b.exists("#gantt svg.zoom-month"), "two years: months");
    assert!(b.text("#gantt-late-count").contains("4 late"), "{}", b.text("#gantt-late-count"));
    assert!(b.text("#gantt g.gantt-group[data-code='03-100']").contains("03-100"));
    b.script("document.querySelector('#gantt').scrollIntoView(); return true;");
    b.screenshot("dash-gantt-en-1440");

    // 中文: 万 in the cards and the value axis, EV terms with their abbreviations.
    b.goto(&format!("{base}/web/lang?to=zh-CN&back=%2Fweb%2Fschedule"));
    b.wait_for("#s-curve svg");
    assert!(b.text("#card-pv .dash-card-value").ends_with('万'), "{}", b.text("#card-pv"));
    let head = b.text("#schedule-table thead");
    for term in
        ["计划值 PV", "挣值 EV", "实际成本 AC", "进度偏差 SV", "进度绩效指数 SPI", "成本绩效指数 CPI", "完工预算 BAC"]
    {
        assert!(head.contains(term), "{term} in {head}");
    }
    assert!(b.source().contains("万</text>"), "value ticks in 万");
    assert!(b.source().contains(">2026年1月<") || b.source().contains("年"), "month labels in Chinese");
    table_fits(&b, "#schedule-table", "schedule zh 1440");
    check_layout(&b, "schedule zh 1440");
    b.screenshot("dash-schedule-zh-1440");
    b.script("document.querySelector('#schedule-table').scrollIntoView(); return true;");
    b.screenshot("dash-schedule-zh-1440-table");
    assert!(b.text("#gantt-late-count").contains("4 项滞后"), "{}", b.text("#gantt-late-count"));
    b.script("document.querySelector('#gantt').scrollIntoView(); return true;");
    b.screenshot("dash-gantt-zh-1440");
    b.goto(&format!("{base}/web/cost"));
    b.wait_for("#cost-chart svg");
    assert!(b.text("#card-actual .dash-card-value").ends_with('万'));
    assert!(b.text("#cost-chart").contains("其他 2 个科目") || b.source().contains("其他 2 个科目"));
    table_fits(&b, "#cost-table", "cost zh 1440");
    check_layout(&b, "cost zh 1440");
    b.screenshot("dash-cost-zh-1440");
    b.script("document.querySelector('#cost-table').scrollIntoView(); return true;");
    b.screenshot("dash-cost-zh-1440-table");
    b.goto(&format!("{base}/web/cost/01-100"));
    b.wait_for("#postings");
    check_layout(&b, "drill zh 1440");
    b.screenshot("dash-drill-zh-1440");

    // Phone width, both languages: cards, no sideways scrolling, chart text >= 11 px.
    b.resize(390, 844);
    for lang in ["zh", "en"] {
        for (name, path, ready) in [
            ("cost", "/web/cost", "#cost-chart svg"),
            ("drill", "/web/cost/03-100", "#postings"),
            ("schedule", "/web/schedule", "#s-curve svg"),
        ] {
            b.goto(&format!("{base}{path}"));
            b.wait_for(ready);
            check_layout(&b, &format!("{name} {lang} 390"));
            b.screenshot(&format!("dash-{name}-{lang}-390"));
            if name != "drill" {
                b.script(&format!("document.querySelector('#{name}-table').scrollIntoView(); return true;"));
                b.screenshot(&format!("dash-{name}-{lang}-390-table"));
            }
            if name == "schedule" {
                b.script("document.querySelector('#gantt').scrollIntoView(); return true;");
                b.screenshot(&format!("dash-gantt-{lang}-390"));
            }
        }
        if lang == "zh" {
            b.goto(&format!("{base}/web/lang?to=en&back=%2Fweb%2Fcost"));
            b.wait_for("#cost-chart svg");
        }
    }
    // On the phone the S-curve keeps only its major month labels.
    let visible = b.script(
        "return [...document.querySelectorAll('#s-curve .x-tick')].filter(t => getComputedStyle(t).display !== 'none').length;",
    );
    assert!(visible.as_u64().is_some_and(|n| (2..=5).contains(&n)), "{visible}");
}

//! The day-labour summary (点工汇总) and the office's exports through the real server binary, with
//! sheets a phone synced and a supervisor approved, in two months (October and November 2026; the
//! server's clock is frozen on 2026-11-20, Shanghai).
//!
//! * `labour_page_in_a_browser`: Chromium at 1440×900 and 390×844, English and Chinese: the default
//!   view is this month, newest first, 100 groups a page; subtotals and the total equal the sums of
//!   the lines synced; group-by ticked from the list; pinyin order of crews (陈 < 李 < 张, the reverse
//!   of Unicode's); the XLSX export read back (Chinese headers, date cells, the file name); the cost
//!   export's hierarchy column. Screenshots `<target>/screens/labour-*.png`.
//! * `labour_over_http_on_*`: the same default view and the exports' words over raw HTTP, on SQLite
//!   and PostgreSQL; the `/v1` API keeps its keys unless `?lang=` is given.

use std::collections::BTreeMap;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use fieldledger_tests::api::{self, XLSX, d};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::records::{self, crew_line, labour_sheet, reference_workbook};
use fieldledger_tests::webkit::{self, Browser, form_encode, http};
use fieldledger_tests::*;
use record_schema::Effort;
use rust_decimal::Decimal;
use serde_json::Value;

/// Crews whose pinyin order (chen, li, zhang) is the reverse of their Unicode order.
const CREWS: [&str; 3] = ["张三班", "李四班", "陈五班"];
/// November's days with a sheet (1st to 20th) × 6 lines: 120 groups by day, site, trade, crew.
const NOV_DAYS: u32 = 20;

/// One synced line as the test knows it: (date, crew, headcount, worker-days, hours, cost).
#[derive(Debug, Clone)]
struct Line {
    date: NaiveDate,
    crew: &'static str,
    headcount: i64,
    days: Decimal,
    hours: Decimal,
    cost: Decimal,
}

struct World {
    _dir: tempfile::TempDir,
    server: Server,
    sup: String,
    lines: Vec<Line>,
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// P1's reference data; sheets on November 1st–20th (each: 木工 and 钢筋工 of the three crews,
/// whole days, half days and 7.5-hour days) and two on October 15th, all approved.
fn world(url: Option<&str>) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_on_env(dir.path(), url, "127.0.0.1:0", &[], &[("FIELDLEDGER_TEST_NOW", "2026-11-20T04:00:00Z")]);
    api::import_reference(&server.addr, &admin, &reference_workbook());
    let mut phone = SimPhone::new(foreman.clone());
    let mut lines = Vec::new();
    let mut ids = Vec::new();
    let mut dates: Vec<NaiveDate> = (1..=NOV_DAYS).map(|n| day(2026, 11, n)).collect();
    dates.extend([day(2026, 10, 15), day(2026, 10, 16)]);
    for (n, date) in dates.iter().enumerate() {
        let id = format!("0193a000-0000-7000-8000-{:012x}", 0x500 + n);
        let mut crew_lines = Vec::new();
        for (i, crew) in CREWS.iter().enumerate() {
            for (j, (code, activity)) in [("03-100", "A1"), ("03-200", "A2")].iter().enumerate() {
                let headcount = 1 + ((n + 2 * i + j) % 5) as i64;
                let k = (n + i + j) % 3;
                let (effort, rate, days, hours) = match k {
                    0 => (Effort::Days(d("1")), "380", Decimal::from(headcount), Decimal::from(headcount * 8)),
                    1 => (
                        Effort::Days(d("0.5")),
                        "380",
                        Decimal::from(headcount) * d("0.5"),
                        Decimal::from(headcount * 4),
                    ),
                    _ => (
                        Effort::Hours(d("7.5")),
                        "47.5",
                        Decimal::from(headcount) * d("7.5") / d("8"),
                        Decimal::from(headcount) * d("7.5"),
                    ),
                };
                let cost = (Decimal::from(headcount)
                    * match k {
                        0 => d("380"),
                        1 => d("190"),
                        _ => d("356.25"),
                    })
                .round_dp(2);
                let mut l = crew_line(&format!("l{i}{j}"), headcount, effort, rate, code, activity);
                l.crew = Some((*crew).into());
                l.position = (i * 2 + j) as i64;
                crew_lines.push(l);
                lines.push(Line { date: *date, crew, headcount, days, hours, cost });
            }
        }
        let mut sheet = labour_sheet(&id, crew_lines);
        sheet.work_date = *date;
        phone.docs.insert(id.clone(), records::sheet_doc(&sheet));
        ids.push(id);
    }
    let sync = phone.sync(&server.addr);
    assert!(sync.errors.is_empty(), "{:?}", sync.errors);
    for id in &ids {
        api::approve_current(&server.addr, &sup, id);
    }
    World { _dir: dir, server, sup, lines }
}

/// A figure as the page shows it: digits grouped by three, the decimals it has.
fn grouped(d: Decimal) -> String {
    let text = d.normalize().to_string();
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    frac.map_or(out.clone(), |f| format!("{out}.{f}"))
}

/// Money as the page shows it: `CN¥12,345.00` (English) or `¥12,345.00` (Chinese).
fn money(d: Decimal, sign: &str) -> String {
    let g = grouped(d.round_dp(2));
    let g = match g.split_once('.') {
        Some((i, f)) => format!("{i}.{f:0<2}"),
        None => format!("{g}.00"),
    };
    format!("{sign}{g}")
}

fn sums<'a>(lines: impl Iterator<Item = &'a Line>) -> (i64, Decimal, Decimal, Decimal) {
    lines.fold((0, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO), |t, l| {
        (t.0 + l.headcount, t.1 + l.days, t.2 + l.hours, t.3 + l.cost)
    })
}

fn november(w: &World) -> impl Iterator<Item = &Line> {
    w.lines.iter().filter(|l| l.date >= day(2026, 11, 1))
}

/// The table's rows as text: `(class, cells)` for each body row.
fn table_rows(b: &Browser) -> Vec<(String, Vec<String>)> {
    let v = b.script(
        "return Array.from(document.querySelectorAll('#labour-table tbody tr')).map(r => \
         [r.className, Array.from(r.cells).map(c => c.textContent.trim().replace(/\\s+/g, ' '))]);",
    );
    v.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let cells = r[1].as_array().expect("cells").iter().map(|c| c.as_str().unwrap_or_default().to_string());
            (r[0].as_str().unwrap_or_default().to_string(), cells.collect())
        })
        .collect()
}

fn headers(b: &Browser) -> Vec<String> {
    let v = b.script(
        "return Array.from(document.querySelectorAll('#labour-table thead th')).map(c => c.textContent.trim());",
    );
    v.as_array().expect("headers").iter().map(|c| c.as_str().unwrap_or_default().to_string()).collect()
}

/// The browser's session cookie and language cookie, as one `Cookie` header.
fn cookie_header(b: &Browser) -> String {
    b.cookies()
        .iter()
        .filter(|c| c["name"] == "fl_session" || c["name"] == "fl_lang")
        .map(|c| format!("{}={}", c["name"].as_str().unwrap_or_default(), c["value"].as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn xlsx_book(bytes: Vec<u8>) -> (String, calamine::Range<Data>) {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("the export reads as XLSX");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).expect("sheet");
    (name, range)
}

fn as_date(c: &Data) -> Option<NaiveDate> {
    match c {
        Data::DateTime(x) => x.as_datetime().map(|t| t.date()),
        _ => None,
    }
}

/// Waits (up to 10 s) until the browser's address holds `part`: the navigation a click began is over.
fn wait_url(b: &Browser, part: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.url().contains(part) {
        assert!(std::time::Instant::now() < deadline, "never reached {part:?}: {}", b.url());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    b.wait_for("main");
}

fn no_sideways_scroll(b: &Browser, what: &str) {
    let v = b.script("return [document.documentElement.scrollWidth, window.innerWidth];");
    let (sw, iw) = (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0));
    assert!(sw <= iw, "{what}: the page scrolls sideways ({sw} > {iw})");
}

#[test]
fn labour_page_in_a_browser() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED labour_page_in_a_browser: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let w = world(None);
    let base = format!("http://{}", w.server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/labour"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &w.sup);
    b.click("#sign-in");
    b.wait_for("#labour-table");

    // The default: this month (November where the project works), newest first, 100 groups.
    assert!(b.attr("#preset-this_month", "class").is_some_and(|c| c.contains("on")));
    let showing = b.text("#labour-showing");
    assert!(showing.contains("This month") && showing.contains("2026-11-01 to 2026-11-30"), "{showing}");
    assert_eq!(b.text("#labour-count"), "Groups 1–100 of 120");
    assert_eq!(
        headers(&b),
        ["Period", "Site", "Trade", "Crew", "Head-count entries", "Worker-days", "Person-hours", "Amount"]
    );
    let rows = table_rows(&b);
    let groups: Vec<&Vec<String>> = rows.iter().filter(|(c, _)| c == "labour-row").map(|(_, r)| r).collect();
    assert_eq!(groups.len(), 100);
    assert_eq!(groups[0][0], "2026-11-20 Fri", "newest first, the day named");
    let dates: Vec<&str> = groups.iter().map(|r| &r[0][..10]).collect();
    assert!(dates.iter().all(|d| d.starts_with("2026-11-")), "{dates:?}");
    assert!(dates.windows(2).all(|p| p[0] >= p[1]), "newest first: {dates:?}");
    // Each day opens with its subtotal, the sum of that day's lines.
    let subtotals: Vec<&Vec<String>> = rows.iter().filter(|(c, _)| c == "labour-subtotal").map(|(_, r)| r).collect();
    assert_eq!(subtotals[0][0], "2026-11-20 Fri subtotal");
    for s in &subtotals {
        let date: NaiveDate = s[0][..10].parse().expect("date");
        let (h, days, hours, cost) = sums(w.lines.iter().filter(|l| l.date == date));
        assert_eq!(
            s[1..],
            [h.to_string(), days.normalize().to_string(), hours.normalize().to_string(), money(cost, "CN¥")],
            "{date}"
        );
    }
    // Worker-days with the digits they have: 3 × 7.5 h = 2.8125 days.
    let (h, days, hours, cost) = sums(november(&w));
    assert!(w.lines.iter().any(|l| l.days.normalize().scale() == 4));
    assert!(
        groups.iter().any(|r| r[5].contains(".8125") || r[5].contains(".9375") || r[5].contains(".6875")),
        "{groups:?}"
    );
    // The total is the month's, on every page.
    let total = b.text("#labour-table tfoot .labour-total");
    assert_eq!(total, money(cost, "CN¥"));
    let foot = b.text("#labour-table tfoot tr");
    assert!(foot.contains(&h.to_string()) && foot.contains(&days.normalize().to_string()), "{foot}");
    assert!(foot.contains(&grouped(hours)), "{foot}");
    b.screenshot("labour-en-1440");

    b.click("#page-older");
    wait_url(&b, "page=2");
    b.wait_for("#page-newer");
    assert_eq!(b.text("#labour-count"), "Groups 101–120 of 120");
    assert_eq!(b.text("#labour-page"), "Page 2 of 2");
    let rows = table_rows(&b);
    let last: Vec<&Vec<String>> = rows.iter().filter(|(c, _)| c == "labour-row").map(|(_, r)| r).collect();
    assert_eq!(last.len(), 20);
    // 100 groups were the 20th back to part of the 4th; the rest of the 4th opens page 2, under the
    // 4th's whole subtotal.
    assert_eq!((last[0][0].as_str(), last[19][0].as_str()), ("2026-11-04 Wed", "2026-11-01 Sun"), "{last:?}");
    let first_sub = rows.iter().find(|(c, _)| c == "labour-subtotal").map(|(_, r)| r.clone()).expect("subtotal");
    let (_, _, _, fourth) = sums(w.lines.iter().filter(|l| l.date == day(2026, 11, 4)));
    assert_eq!((first_sub[0].as_str(), first_sub[4].clone()), ("2026-11-04 Wed subtotal", money(fourth, "CN¥")));
    assert_eq!(b.text("#labour-table tfoot .labour-total"), money(cost, "CN¥"), "the total of all pages");

    // Last month: October's sheets only.
    b.click("#preset-last_month");
    wait_url(&b, "preset=last_month");
    b.wait_for("#labour-table");
    let rows = table_rows(&b);
    assert!(rows.iter().all(|(_, r)| r[0].starts_with("2026-10-1")), "{rows:?}");
    let (_, _, _, oct) = sums(w.lines.iter().filter(|l| l.date < day(2026, 11, 1)));
    assert_eq!(b.text("#labour-table tfoot .labour-total"), money(oct, "CN¥"));

    // Group by crew only, by month, ticked from the list.
    b.goto(&format!("{base}/web/labour"));
    b.wait_for("#labour-filters");
    b.script("document.getElementById('labour-filters').open = true; return null;");
    b.click("input[name=by_site]");
    b.click("input[name=by_trade]");
    b.script("document.querySelector('select[name=period]').value = 'month'; return null;");
    b.click("#labour-filters button[type=submit]");
    wait_url(&b, "g=1");
    b.wait_for("#labour-table");
    assert_eq!(headers(&b), ["Period", "Crew", "Head-count entries", "Worker-days", "Person-hours", "Amount"]);
    let rows = table_rows(&b);
    let crews: Vec<(&str, &str)> =
        rows.iter().filter(|(c, _)| c == "labour-row").map(|(_, r)| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(crews, [("Nov 2026", "陈五班"), ("Nov 2026", "李四班"), ("Nov 2026", "张三班")], "pinyin order");
    for (_, r) in rows.iter().filter(|(c, _)| c == "labour-row") {
        let (_, _, _, cost) = sums(november(&w).filter(|l| l.crew == r[1]));
        assert_eq!(r[5], money(cost, "CN¥"), "{r:?}");
    }
    let by_crew = b.url();

    // Chinese: the same view, words and order.
    let path = by_crew.strip_prefix(&base).unwrap_or(&by_crew).to_string();
    b.goto(&format!("{base}/web/lang?to=zh-CN&back={}", form_encode(&path)));
    b.wait_for("#labour-table");
    assert_eq!(headers(&b), ["周期", "班组", "人次", "工日", "工时", "金额"]);
    let rows = table_rows(&b);
    let crews: Vec<(&str, &str)> =
        rows.iter().filter(|(c, _)| c == "labour-row").map(|(_, r)| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(crews, [("2026年11月", "陈五班"), ("2026年11月", "李四班"), ("2026年11月", "张三班")]);
    assert!(rows[0].1[0].starts_with("2026年11月") && rows[0].1[0].contains("小计"), "{:?}", rows[0]);
    assert_eq!(b.text("#labour-table tfoot .labour-total"), money(cost, "¥"));

    // The default view in Chinese, and its XLSX export read back.
    b.goto(&format!("{base}/web/labour"));
    b.wait_for("#labour-table");
    assert!(b.text("#labour-showing").contains("本月"));
    assert!(table_rows(&b)[0].1[0].starts_with("2026-11-20 周五"), "{:?}", table_rows(&b)[0]);
    b.screenshot("labour-zh-1440");
    let cookie = cookie_header(&b);
    let href = b.attr("#export-xlsx", "href").expect("export link");
    let file = http(&w.server.addr, "GET", href.strip_prefix(&base).unwrap_or(&href), &[("Cookie", &cookie)], b"");
    assert_eq!((file.status, file.header("content-type")), (200, Some(XLSX)), "{}", file.text());
    let disposition = file.header("content-disposition").expect("disposition").to_string();
    assert_eq!(
        disposition,
        format!(
            "attachment; filename=\"day-labour_P1_2026-11.xlsx\"; filename*=UTF-8''{}",
            form_encode("点工汇总_一号楼_2026-11.xlsx")
        )
    );
    let (sheet, range) = xlsx_book(file.body);
    assert_eq!(sheet, "点工汇总 2026-11");
    let title = range.get_value((0, 0)).cloned().unwrap_or(Data::Empty);
    assert!(matches!(&title, Data::String(t) if t.contains("一号楼") && t.contains("点工汇总")), "{title:?}");
    let head: Vec<String> = range.rows().nth(2).expect("header row").iter().map(|c| c.to_string()).collect();
    assert_eq!(head, ["日期", "工地", "工种", "班组", "人次", "工日", "工时", "币种", "金额"]);
    let body: Vec<&[Data]> = range.rows().skip(3).collect();
    assert_eq!(as_date(&body[0][0]), Some(day(2026, 11, 1)), "a date cell, oldest first: {:?}", body[0][0]);
    let first_day: Vec<(String, String)> = body
        .iter()
        .filter(|r| as_date(&r[0]) == Some(day(2026, 11, 1)))
        .map(|r| (r[2].to_string(), r[3].to_string()))
        .collect();
    let want: Vec<(String, String)> = ["钢筋工", "木工"]
        .iter()
        .flat_map(|t| ["陈五班", "李四班", "张三班"].map(|c| (t.to_string(), c.to_string())))
        .collect();
    assert_eq!(first_day, want, "names in pinyin order (钢 gang < 木 mu; 陈 < 李 < 张)");
    assert_eq!(body[0][1], Data::String("东区工地".into()), "sites by name");
    let total = body.iter().find(|r| r[0] == Data::String("合计".into())).expect("total row");
    assert_eq!(total[8], Data::Float(cost.to_string().parse().expect("f64")));
    assert_eq!(total[5], Data::Float(days.to_string().parse().expect("f64")));
    assert_eq!(body.len(), 121, "120 groups and the total");

    // The cost export in Chinese: codes without indent, the hierarchy in its own columns.
    let file = http(&w.server.addr, "GET", "/web/cost/export?format=xlsx&from=&to=", &[("Cookie", &cookie)], b"");
    assert_eq!(file.status, 200, "{}", file.text());
    let disposition = file.header("content-disposition").expect("disposition").to_string();
    assert!(disposition.contains(&form_encode("成本报表_一号楼_")), "{disposition}");
    let (sheet, range) = xlsx_book(file.body);
    assert!(sheet.starts_with("成本"), "{sheet}");
    let head: Vec<String> = range.rows().nth(2).expect("header row").iter().map(|c| c.to_string()).collect();
    assert_eq!(&head[..4], ["科目编码", "名称", "层级", "上级科目"]);
    let code = range.rows().find(|r| r[0] == Data::String("03-100".into())).expect("03-100 without indent");
    assert_eq!(
        (&code[1], &code[2], &code[3]),
        (&Data::String("模板".into()), &Data::Float(2.0), &Data::String("03".into()))
    );
    assert!(range.rows().skip(3).all(|r| !r[0].to_string().starts_with(' ')), "no code starts with a space");
    let csv = http(&w.server.addr, "GET", "/web/cost/export?format=csv", &[("Cookie", &cookie)], b"");
    assert!(csv.text().contains("\n03-100,模板,2,03,"), "{}", csv.text());

    // Phone width: filters folded, groups as cards, nothing sideways.
    b.resize(390, 844);
    b.goto(&format!("{base}/web/labour"));
    b.wait_for("#labour-table");
    assert_eq!(b.script("return document.getElementById('labour-filters').open;"), Value::Bool(false));
    let visible = "return document.querySelector('input[name=from]').checkVisibility();";
    assert_eq!(b.script(visible), Value::Bool(false), "the filters are folded away");
    let card =
        b.script("return getComputedStyle(document.querySelector('#labour-table tbody tr.labour-row')).display;");
    assert_eq!(card, Value::String("flex".into()), "rows as cards");
    no_sideways_scroll(&b, "zh 390");
    b.screenshot("labour-zh-390");
    b.click("#labour-filters summary");
    assert_eq!(b.script(visible), Value::Bool(true), "a tap unfolds them");
    b.screenshot("labour-zh-390-filters");
    b.goto(&format!("{base}/web/lang?to=en&back=%2Fweb%2Flabour"));
    b.wait_for("#labour-table");
    no_sideways_scroll(&b, "en 390");
    b.screenshot("labour-en-390");
}

fn labour_over_http(url: Option<&str>) {
    let w = world(url);
    let addr = w.server.addr.as_str();
    let cookie = webkit::session_of(&webkit::sign_in(addr, &w.sup, "/web/labour"));

    // The default view: November only, no October day; 100 of 120 groups.
    let started = std::time::Instant::now();
    let r = http(addr, "GET", "/web/labour", &[("Cookie", &cookie)], b"");
    let took = started.elapsed();
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    assert!(html.contains("2026-11-20 Fri") && !html.contains("2026-10-15"), "this month only");
    assert!(html.contains("Groups 1–100 of 120"), "paged");
    assert!(took.as_secs() < 2, "{took:?}");
    let zh = format!("{cookie}; fl_lang=zh-CN");
    let r = http(addr, "GET", "/web/labour?preset=last_month&period=week&by=crew", &[("Cookie", &zh)], b"");
    let html = r.text();
    assert!(html.contains("2026-W42") && !html.contains("2026-11-"), "{html}");
    let at = |name: &str| html.find(name).unwrap_or_else(|| panic!("no {name}"));
    assert!(at("陈五班") < at("李四班") && at("李四班") < at("张三班"), "pinyin order, not Unicode's");
    // Bad input is refused with a page, not a crash.
    let r = http(addr, "GET", "/web/labour?from=2026-13-01", &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 400);

    // The /v1 API keeps its keys; ?lang= gives the office's words.
    let (s, body) = api::fetch(addr, &w.sup, "/v1/reports/labour?from=2026-11-01&to=2026-11-30&format=csv");
    assert_eq!(s, 200);
    let text = String::from_utf8(body).expect("utf8");
    assert!(
        text.starts_with("\u{feff}period,site,trade,crew,headcount,headcount_days,person_hours,currency,cost\n"),
        "{text}"
    );
    let (s, body) =
        api::fetch(addr, &w.sup, "/v1/reports/labour?from=2026-11-01&to=2026-11-30&format=csv&lang=zh-CN&by=crew");
    assert_eq!(s, 200);
    let text = String::from_utf8(body).expect("utf8");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("\u{feff}日期,班组,人次,工日,工时,币种,金额"));
    assert!(lines.next().is_some_and(|l| l.starts_with("2026-11-01,陈五班,")), "{text}");
    // Every figure of the file adds up to the month's.
    let mut per_crew: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in text.lines().skip(1).filter(|l| !l.starts_with("合计")) {
        let cells: Vec<&str> = l.split(',').collect();
        *per_crew.entry(cells[1].to_string()).or_default() += d(cells[6]);
    }
    for crew in CREWS {
        let (_, _, _, cost) = sums(november(&w).filter(|l| l.crew == crew));
        assert_eq!(per_crew.get(crew).copied(), Some(cost), "{crew}");
    }
}

#[test]
fn labour_over_http_on_sqlite() {
    labour_over_http(None);
}

#[test]
fn labour_over_http_on_postgres() {
    let pg = ThrowawayPg::create();
    labour_over_http(Some(&pg.url()));
}

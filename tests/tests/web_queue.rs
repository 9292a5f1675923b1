//! The approval queue (`/web/queue`) end to end through the real server binary, with records synced
//! by the real phone library (FieldStore, author 王建国) and, for what it cannot make (58 dated
//! sheets at once, a concurrent edit's conflict, a void), simulated phones (author `li`):
//!
//! * `queue_over_http_on_sqlite` / `_on_postgres`: the tabs and their counts, author search by any
//!   part of the name (case-insensitive), paging, sorting, the row flagged for an unknown cost code
//!   (no checkbox), a bulk rejection with a template reason (the foreman's record says so through
//!   `/v1/records/{id}`), a bulk approval of a selection that posts exactly the listed versions
//!   (also when a newer one arrived meanwhile; the cost report moves by their amounts), and "all
//!   matching this filter" (confirmation with count, total and exact versions, then approved).
//! * `queue_in_the_browser`: Chromium at 1440×900 and 390×844, English and 中文: select all on
//!   this page, a reason template filling the reason, a rejection, cards and the bar fixed at the bottom of a
//!   phone. Screenshots `<target>/screens/queue-*.png`.

use std::str::FromStr;

use chrono::{Days, NaiveDate};
use fieldledger_tests::api::{self, d};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::phone_core::{carpenters, new_sheet, open_phone};
use fieldledger_tests::records::{self, crew_line, labour_sheet, reference_workbook};
use fieldledger_tests::webkit::{self, Browser, form_encode, hidden, http};
use fieldledger_tests::*;
use record_schema::Effort;
use record_schema::record::Voided;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// `li`'s dated sheets: L00 … L54 on 2026-10-01 + i days, `i % 7 + 1` carpenters × 8 h × 47.50.
const LI_SHEETS: usize = 55;
const CONFLICT: &str = "0193a000-0000-7000-8000-00000000c0c1";
const VOID: &str = "0193a000-0000-7000-8000-00000000c0d1";

fn li_id(i: usize) -> String {
    format!("0193a000-0000-7000-8000-0000000{i:05}")
}

fn li_date(i: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 1).expect("date").checked_add_days(Days::new(i as u64)).expect("date")
}

fn li_amount(i: usize) -> Decimal {
    Decimal::from((i % 7 + 1) as i64 * 380)
}

struct World {
    _dir: tempfile::TempDir,
    server: Server,
    sup: String,
    cookie: String,
    /// 王建国's sheets from the phone library: six carpenters (2,280.00), three and two on two
    /// lines (1,900.00), and four on cost code 03-999, which the reference data does not have.
    wang: [String; 3],
    rt: tokio::runtime::Runtime,
    phone: std::sync::Arc<mobile_core::ffi::FieldStore>,
    wang_token: String,
    wang_line: String,
}

fn world(url: Option<&str>) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let li_token = token(dir.path(), url, "P1");
    let li2_token = token(dir.path(), url, "P1");
    let wang_token = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_with(dir.path(), url);
    api::import_reference(&server.addr, &admin, &reference_workbook());
    let addr = server.addr.clone();

    // The phone library: 王建国's three sheets of today.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let phone = open_phone(dir.path(), "王建国");
    let mut wang: Vec<String> = Vec::new();
    let mut wang_line = String::new();
    for lines in [vec![carpenters(6)], vec![carpenters(3), carpenters(2)], vec![carpenters(4)]] {
        let sheet = phone.create_labour_sheet(new_sheet()).expect("sheet");
        for (i, mut l) in lines.into_iter().enumerate() {
            if wang.len() == 2 {
                l.cost_code = "03-999".into();
            }
            let line = phone.add_crew_line(sheet.info.id.clone(), l).expect("line");
            if wang.len() == 1 && i == 1 {
                wang_line = line.id;
            }
        }
        wang.push(sheet.info.id);
    }
    let r = rt.block_on(phone.sync(format!("http://{addr}"), wang_token.clone(), None, None)).expect("sync");
    assert!(r.errors.is_empty(), "{:?}", r.errors);

    // li's dated sheets, a sheet two phones then edit at once, a sheet li voids.
    let mut li = SimPhone::new(li_token);
    for i in 0..LI_SHEETS {
        let mut s = labour_sheet(
            &li_id(i),
            vec![crew_line("l1", (i % 7 + 1) as i64, Effort::Hours(d("8")), "47.50", "03-100", "A1")],
        );
        s.work_date = li_date(i);
        li.docs.insert(li_id(i), records::sheet_doc(&s));
    }
    for id in [CONFLICT, VOID] {
        let s = labour_sheet(id, vec![crew_line("l1", 2, Effort::Days(d("0.5")), "360", "03-200", "A2")]);
        li.docs.insert(id.into(), records::sheet_doc(&s));
    }
    assert!(li.sync(&addr).errors.is_empty());
    // Decided through the JSON API: L00 approved, L01 rejected, L02 approved and then changed.
    api::decide_current(&addr, &sup, &li_id(0), "approve", "ok");
    api::decide_current(&addr, &sup, &li_id(1), "reject", "wrong day");
    api::decide_current(&addr, &sup, &li_id(2), "approve", "ok");
    li.edit_sheet(&li_id(2), |s| s.lines[0].headcount += 1);
    li.edit(VOID, |r| {
        r.header_mut().voided = Some(Voided { reason: "entered twice".into(), by: "li".into(), at_ms: 1 })
    });
    li.sync(&addr);
    let mut li2 = SimPhone::new(li2_token);
    li2.sync(&addr);
    li.edit_sheet(CONFLICT, |s| s.lines[0].headcount = 4);
    li2.edit_sheet(CONFLICT, |s| s.lines[0].headcount = 5);
    li.sync(&addr);
    li2.sync(&addr);
    li.sync(&addr);

    let signed = webkit::sign_in(&addr, &sup, "%2Fweb%2Fqueue");
    assert_eq!(signed.status, 303, "{}", signed.text());
    let cookie = webkit::session_of(&signed);
    World {
        _dir: dir,
        server,
        sup,
        cookie,
        wang: [wang[0].clone(), wang[1].clone(), wang[2].clone()],
        rt,
        phone,
        wang_token,
        wang_line,
    }
}

impl World {
    fn get(&self, path: &str) -> String {
        let r = http(&self.server.addr, "GET", path, &[("Cookie", &self.cookie)], b"");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.text()
    }

    fn post(&self, fields: &[(&str, &str)], lang: &str) -> (u16, String) {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect();
        let cookie = format!("{}; fl_lang={lang}", self.cookie);
        let r = http(
            &self.server.addr,
            "POST",
            "/web/queue/decide",
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", &cookie)],
            body.join("&").as_bytes(),
        );
        (r.status, r.text())
    }

    fn record(&self, id: &str) -> Value {
        let (s, v) = api::json_call(&self.server.addr, &self.sup, "GET", &format!("/v1/records/{id}"), None);
        assert_eq!(s, 200, "{v}");
        v
    }

    fn cost_total(&self) -> Decimal {
        let (s, v) = api::json_call(&self.server.addr, &self.sup, "GET", "/v1/reports/cost", None);
        assert_eq!(s, 200, "{v}");
        api::dec(&v["totals"]["actual"])
    }
}

/// The tab counts shown.
fn count(html: &str, tab: &str) -> i64 {
    let marker = format!("id=\"count-{tab}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no count of {tab}")) + marker.len();
    html[start..].split('<').next().and_then(|n| n.parse().ok()).expect("a count")
}

/// Values of an attribute-delimited field, in page order: `after` then up to the next `"`.
fn all_after<'a>(html: &'a str, after: &str) -> Vec<&'a str> {
    html.split(after).skip(1).filter_map(|p| p.split('"').next()).collect()
}

/// The listed rows' record ids, in order.
fn rows(html: &str) -> Vec<&str> {
    all_after(html, "\" id=\"row-")
}

/// The checkboxes' values (`<id>:<heads>`), in order.
fn picks(html: &str) -> Vec<&str> {
    all_after(html, "class=\"pick\" name=\"rec\" value=\"")
}

/// The amounts listed, in order.
fn amounts(html: &str) -> Vec<Decimal> {
    html.split("c-amount\">")
        .skip(1)
        .filter_map(|p| p.split('<').next())
        .filter_map(|a| Decimal::from_str(&a.replace("CN¥", "").replace(',', "")).ok())
        .collect()
}

fn cells<'a>(html: &'a str, class: &str) -> Vec<&'a str> {
    html.split(&format!("class=\"{class}\">")).skip(1).filter_map(|p| p.split('<').next()).collect()
}

fn pick_of<'a>(html: &'a str, id: &str) -> &'a str {
    picks(html).into_iter().find(|p| p.starts_with(&format!("{id}:"))).unwrap_or_else(|| panic!("{id} not selectable"))
}

fn queue_over_http(url: Option<&str>) {
    let w = world(url);
    let html = w.get("/web/queue");
    // Tabs and their counts: L03…L54 (52) + L02 (changed) + CONFLICT + 王建国's three await a decision.
    let expected = [("pending", 57), ("changed", 1), ("conflicts", 1), ("approved", 1), ("rejected", 1), ("voided", 1)];
    for (tab, n) in expected {
        assert_eq!(count(&html, tab), n, "{tab}");
    }
    for tab in ["changed", "conflicts", "approved", "rejected", "voided"] {
        assert!(html.contains(&format!("href=\"/web/queue?tab={tab}\"")), "a link to {tab}");
    }
    // Paging: 50 of 57 on page 1, the other 7 on page 2, newest first by default.
    let page1 = rows(&html);
    assert_eq!(page1.len(), 50);
    assert!(html.contains("1–50 of 57"), "{}", &html[html.find("showing").unwrap_or(0)..][..80]);
    let page2_html = w.get("/web/queue?page=2");
    let page2 = rows(&page2_html);
    assert_eq!(page2.len(), 7);
    assert!(page1.iter().all(|id| !page2.contains(id)), "pages do not overlap");
    let dates = cells(&html, "c-date");
    assert!(dates.windows(2).all(|p| p[0] >= p[1]), "newest first: {dates:?}");
    // Rows in words: site name, author, amount, 人次 / 工日 / lines, submitted in 北京时间-zone words.
    let row_of = |h: &str, id: &str| -> String {
        let start = h.find(&format!("id=\"row-{id}\"")).unwrap_or_else(|| panic!("row {id}"));
        h[start..].split("</tr>").next().unwrap_or_default().to_string()
    };
    let two_lines = row_of(&html, &w.wang[1]);
    for text in ["东区工地", "王建国", "CN¥1,900.00", ">5<", ">2<", "Beijing time", "just now"] {
        assert!(two_lines.contains(text), "{text} in {two_lines}");
    }
    let head = w.record(&w.wang[1])["heads"][0].as_str().expect("head").to_string();
    assert!(!visible(&two_lines).contains(&head[..8]), "no version hash shown");
    let conflict = row_of(&html, CONFLICT);
    assert!(
        conflict.contains("1 conflicting value to resolve first") && !conflict.contains("class=\"pick\""),
        "{conflict}"
    );
    // The row that would fail approval says why and cannot be selected.
    let bad = row_of(&html, &w.wang[2]);
    assert!(bad.contains("Unknown cost code 03-999") && !bad.contains("class=\"pick\""), "{bad}");
    let zh =
        http(&w.server.addr, "GET", "/web/queue", &[("Cookie", &format!("{}; fl_lang=zh-CN", w.cookie))], b"").text();
    assert!(row_of(&zh, &w.wang[2]).contains("未知成本科目 03-999"));
    assert!(row_of(&zh, &w.wang[1]).contains("北京时间"));

    // Author by any part of the name, ignoring case; the picker lists the project's foremen.
    let wang_html = w.get(&format!("/web/queue?author={}", form_encode("建国")));
    assert_eq!(count(&wang_html, "pending"), 3);
    assert_eq!(rows(&wang_html).len(), 3);
    assert!(html.contains("<option value=\"王建国\" >") && html.contains("<option value=\"li\" >"), "foreman picker");
    let picked = w.get(&format!("/web/queue?foreman={}", form_encode("王建国")));
    assert_eq!((count(&picked, "pending"), rows(&picked).len()), (3, 3));
    assert_eq!(count(&w.get("/web/queue?foreman=l"), "pending"), 0, "the picker is exact");
    let li_html = w.get("/web/queue?author=LI");
    assert_eq!((count(&li_html, "pending"), count(&li_html, "approved")), (54, 1));
    assert_eq!(count(&w.get("/web/queue?author=%25"), "pending"), 0, "% matches itself");

    // Sorting: by amount, largest first; by date, oldest first; by author A to Z.
    let by_amount = amounts(&w.get("/web/queue?sort=amount&dir=desc"));
    assert_eq!(by_amount.len(), 50);
    assert!(by_amount.windows(2).all(|p| p[0] >= p[1]), "{by_amount:?}");
    assert_eq!(by_amount[0], d("2660"));
    let oldest = w.get("/web/queue?sort=date&dir=asc");
    assert_eq!(rows(&oldest)[0], li_id(2), "L02 (changed since approval) is the oldest awaiting");
    let by_author = w.get("/web/queue?sort=author&dir=asc&page=2");
    let authors = cells(&by_author, "c-author");
    assert!(authors.windows(2).all(|p| p[0] <= p[1]) && authors.last() == Some(&"王建国"), "{authors:?}");

    // The other tabs list their records with the decision.
    let approved = w.get("/web/queue?tab=approved");
    assert_eq!(rows(&approved), vec![li_id(0).as_str()]);
    let rejected = w.get("/web/queue?tab=rejected");
    assert!(rows(&rejected) == vec![li_id(1).as_str()] && rejected.contains("wrong day"));
    assert_eq!(rows(&w.get("/web/queue?tab=voided")), vec![VOID]);
    assert_eq!(rows(&w.get("/web/queue?tab=changed")), vec![li_id(2).as_str()]);
    assert_eq!(rows(&w.get("/web/queue?tab=conflicts")), vec![CONFLICT]);
    assert_eq!(http(&w.server.addr, "GET", "/web/queue?tab=nope", &[("Cookie", &w.cookie)], b"").status, 400);

    // Bulk rejection with a template reason: the foreman reads it on the record.
    let csrf = hidden(&html, "csrf").expect("csrf");
    let l3 = pick_of(&oldest, &li_id(3)).to_string();
    let (s, page) =
        w.post(&[("csrf", &csrf), ("action", "reject"), ("template", "q_reason_hours"), ("rec", &l3)], "en");
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("Rejected: <b>1 / 1</b>"), "{page}");
    assert!(page.contains("2026-10-04 · Labour sheet · 东区工地 · li · CN¥1,520.00"), "the outcome in words: {page}");
    let v = w.record(&li_id(3));
    assert_eq!(v["approval"]["status"], "rejected");
    assert_eq!(v["approval"]["decisions"][0]["comment"], "Hours do not match attendance");
    // In Chinese, with a template and words of one's own.
    let l4 = pick_of(&oldest, &li_id(4)).to_string();
    let (s, _) = w.post(
        &[
            ("csrf", &csrf),
            ("action", "reject"),
            ("template", "q_reason_hours"),
            ("reason", "张班只来了4人"),
            ("rec", &l4),
        ],
        "zh-CN",
    );
    assert_eq!(s, 200);
    assert_eq!(w.record(&li_id(4))["approval"]["decisions"][0]["comment"], "工日与考勤不符：张班只来了4人");
    // A rejection without a reason is refused, nothing decided.
    let l5 = pick_of(&oldest, &li_id(5)).to_string();
    let (s, page) = w.post(&[("csrf", &csrf), ("action", "reject"), ("rec", &l5)], "en");
    assert_eq!(s, 400, "{page}");
    assert_eq!(w.record(&li_id(5))["approval"]["status"], "pending");

    // Bulk approval of a selection: exactly the versions listed, even when a newer one arrived
    // since the page was read (王建国 adds a carpenter to the second sheet meanwhile).
    let before = w.cost_total();
    let chosen = [pick_of(&wang_html, &w.wang[0]).to_string(), pick_of(&wang_html, &w.wang[1]).to_string()];
    let mut edited = carpenters(2);
    edited.headcount = 3;
    w.phone.update_crew_line(w.wang[1].clone(), w.wang_line.clone(), edited).expect("edit");
    let r =
        w.rt.block_on(w.phone.sync(format!("http://{}", w.server.addr), w.wang_token.clone(), None, None))
            .expect("sync");
    assert!(r.errors.is_empty());
    let (s, page) = w.post(&[("csrf", &csrf), ("action", "approve"), ("rec", &chosen[0]), ("rec", &chosen[1])], "en");
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("Approved: <b>2 / 2</b>"), "{page}");
    assert_eq!(w.cost_total() - before, d("4180.00"), "2,280.00 + 1,900.00: the listed versions");
    for (id, pick) in w.wang[..2].iter().zip(&chosen) {
        let v = w.record(id);
        let heads = pick.split_once(':').expect("pick").1;
        assert_eq!(
            v["approval"]["decisions"][0]["heads"].as_array().map(|h| h
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")),
            Some(heads.to_string())
        );
    }
    assert_eq!(w.record(&w.wang[1])["approval"]["status"], "changed_since_approval", "the newer version waits");
    assert_eq!(w.record(&w.wang[2])["approval"]["status"], "pending", "the flagged sheet was not touched");

    // All matching the filter: li's pending sheets of October (L02, L05…L30: L03 and L04 rejected).
    let filter = "author=li&from=2026-10-01&to=2026-10-31";
    let confirm = w.get(&format!("/web/queue/confirm?tab=pending&{filter}"));
    let mut expected_ids: Vec<String> = [2].into_iter().chain(5..=30).map(li_id).collect();
    let recs = all_after(&confirm, "type=\"hidden\" name=\"rec\" value=\"");
    let mut listed: Vec<String> = recs.iter().map(|r| r.split(':').next().unwrap_or_default().to_string()).collect();
    listed.sort();
    expected_ids.sort();
    assert_eq!(listed, expected_ids);
    let total: Decimal =
        [2].into_iter().chain(5..=30).map(|i| if i == 2 { li_amount(2) + d("380") } else { li_amount(i) }).sum();
    assert!(confirm.contains("27 records"), "count");
    assert!(confirm.contains(&format!("CN¥{}", format_money(total))), "total {total}");
    for r in &recs {
        let (id, heads) = r.split_once(':').expect("id:heads");
        let now: Vec<String> = w.record(id)["heads"]
            .as_array()
            .expect("heads")
            .iter()
            .filter_map(|h| h.as_str().map(str::to_string))
            .collect();
        assert_eq!(heads, now.join(","), "the exact current version of {id}");
    }
    let csrf2 = hidden(&confirm, "csrf").expect("csrf");
    let mut fields = vec![("csrf", csrf2.as_str()), ("action", "approve")];
    fields.extend(recs.iter().map(|r| ("rec", *r)));
    let (s, page) = w.post(&fields, "en");
    assert_eq!(s, 200);
    assert!(page.contains("Approved: <b>27 / 27</b>"), "{page}");
    let after = w.get("/web/queue");
    assert_eq!((count(&after, "pending"), count(&after, "approved"), count(&after, "rejected")), (27, 29, 3));
    assert_eq!(count(&after, "changed"), 1, "王建国's second sheet, changed since its approval");
}

/// The text of some HTML, without its tags (and so without attribute values).
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// `12345.5` → `12,345.50`.
fn format_money(d: Decimal) -> String {
    let s = format!("{:.2}", d);
    let (int, frac) = s.split_once('.').expect("decimals");
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{out}.{frac}")
}

#[test]
fn queue_over_http_on_sqlite() {
    queue_over_http(None);
}

#[test]
fn queue_over_http_on_postgres() {
    let pg = ThrowawayPg::create();
    queue_over_http(Some(&pg.url()));
}

#[test]
fn queue_in_the_browser() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED queue_in_the_browser: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let w = world(None);
    let base = format!("http://{}", w.server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &w.sup);
    b.click("#sign-in");
    b.wait_for("#pending");
    assert_eq!(b.text("#count-pending"), "57");
    assert!(b.text(&format!("#row-{} .problems", w.wang[2])).contains("Unknown cost code 03-999"));
    assert!(!b.exists(&format!("#pick-{}", w.wang[2])), "the flagged row cannot be selected");
    b.screenshot("queue-1440-en");

    // Select all on this page (JS), then none, then one; a template fills the reason; reject.
    let offered = b.script("return document.querySelectorAll('input.pick').length;");
    b.click("#pick-page");
    assert_eq!(json!(b.text("#selected-count").parse::<i64>().unwrap_or(-1)), offered);
    b.click("#pick-page");
    assert_eq!(b.text("#selected-count"), "0");
    let l3 = li_id(3);
    b.goto(&format!("{base}/web/queue?sort=date&dir=asc"));
    b.wait_for(&format!("#pick-{l3}"));
    b.click(&format!("#pick-{l3}"));
    assert_eq!(b.text("#selected-count"), "1");
    b.script("const s = document.getElementById('reason-template'); s.value = 'q_reason_rate'; s.dispatchEvent(new Event('change')); return true;");
    assert_eq!(b.script("return document.getElementById('reason').value;"), json!("Wrong rate"));
    b.screenshot("queue-1440-en-selected");
    b.click("#reject-selected");
    b.wait_for("#bulk-summary");
    assert!(b.text("#bulk-summary").contains("1 / 1"), "{}", b.text("#bulk-summary"));
    assert!(b.text(&format!("#outcome-{l3}")).contains("Rejected"), "{}", b.text("#outcomes"));
    b.screenshot("queue-1440-en-rejected");
    assert_eq!(w.record(&l3)["approval"]["decisions"][0]["comment"], "Wrong rate");

    // 中文 at desk width.
    b.click("#back-to-queue");
    b.wait_for("#pending");
    b.click("#lang-switch");
    b.wait_for("#pending");
    assert!(b.text("#tab-pending").contains("待审批"));
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#pending");
    assert!(b.text(&format!("#row-{} .problems", w.wang[2])).contains("未知成本科目 03-999"));
    b.screenshot("queue-1440-zh");
    b.goto(&format!("{base}/web/queue?tab=rejected"));
    b.wait_for("#pending");
    b.screenshot("queue-1440-zh-rejected");

    // Phone width: cards, filters folded, the decision bar stays at the bottom.
    b.resize(390, 844);
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#pending");
    let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
    assert_eq!(fits, json!(true), "the queue is wider than a phone");
    assert_eq!(b.script("return document.getElementById('filters').open;"), json!(false), "filters folded");
    assert_eq!(b.script("return getComputedStyle(document.getElementById('decide-form')).position;"), json!("fixed"));
    assert_eq!(b.script("return getComputedStyle(document.querySelector('#pending thead')).display;"), json!("none"));
    let bar_visible = b.script("const r = document.getElementById('decide-form').getBoundingClientRect(); return Math.abs(r.bottom - window.innerHeight) <= 1 && r.top > window.innerHeight / 2;");
    assert_eq!(bar_visible, json!(true), "the approve/reject bar is on screen");
    let smallest = b.script("let m = 99; for (const e of document.querySelectorAll('#pending td, #pending td *')) { if (e.offsetParent !== null && e.textContent.trim()) { m = Math.min(m, parseFloat(getComputedStyle(e).fontSize)); } } return m;");
    assert!(smallest.as_f64().is_some_and(|m| m >= 11.0), "text >= 11 px: {smallest}");
    b.screenshot("queue-390-zh");
    b.click("#lang-switch");
    b.wait_for("#pending");
    b.screenshot("queue-390-en");
    b.script(&format!(
        "document.getElementById('pick-{}').scrollIntoView({{block: 'center'}}); return true;",
        w.wang[0]
    ));
    b.click(&format!("#pick-{}", w.wang[0]));
    b.script("window.scrollTo(0, document.body.scrollHeight); return true;");
    b.screenshot("queue-390-en-bottom");
    b.goto(&format!("{base}/web/queue/confirm?tab=pending&author=li&from=2026-10-01&to=2026-10-31"));
    b.wait_for("#confirm-summary");
    b.screenshot("queue-390-en-confirm");
}

/// Not run by default (`cargo nextest run --workspace --test web_queue --run-ignored only`): the
/// queue's answer time over `QUEUE_BENCH_RECORDS` (default 3,000) labour sheets of three lines on
/// PostgreSQL (`QUEUE_BENCH_SQLITE=1`: SQLite), each page asked 15 times, the median printed: the
/// first page, a tab, an author search, a sort by amount, a late page and the confirmation page of
/// one day. Every query of the page is index-backed (migration 0012), so the figures should not
/// grow with the number of records except the counts (one index pass over the project's rows).
#[test]
#[ignore]
fn queue_page_time_on_many_records() {
    let n: usize = std::env::var("QUEUE_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let pg = (std::env::var("QUEUE_BENCH_SQLITE").is_err()).then(ThrowawayPg::create);
    let url = pg.as_ref().map(ThrowawayPg::url);
    let url = url.as_deref();
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_with(dir.path(), url);
    api::import_reference(&server.addr, &admin, &reference_workbook());
    let first_day = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    for batch in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut phone = SimPhone::new(foreman.clone());
        for &i in batch {
            let id = format!("0193b000-0000-7000-8000-{i:012}");
            let lines = (0..3)
                .map(|k| {
                    crew_line(&format!("l{k}"), (i % 9 + 1) as i64, Effort::Hours(d("8")), "47.50", "03-100", "A1")
                })
                .collect();
            let mut s = labour_sheet(&id, lines);
            s.work_date = first_day.checked_add_days(Days::new((i / 5) as u64)).expect("date");
            s.header.author = ["li", "王建国", "张伟", "陈刚"][i % 4].into();
            phone.docs.insert(id, records::sheet_doc(&s));
        }
        phone.sync(&server.addr);
    }
    let cookie = webkit::session_of(&webkit::sign_in(&server.addr, &sup, "%2Fweb%2Fqueue"));
    // The first view indexes every document (each committed as it goes): a request that runs out
    // of time (408) leaves the rest to the next one.
    let started = std::time::Instant::now();
    let mut tries = 0;
    while http(&server.addr, "GET", "/web/queue", &[("Cookie", &cookie)], b"").status != 200 {
        tries += 1;
        assert!(tries < 30, "the index never caught up");
    }
    eprintln!("first page with the index built from {n} documents: {:?} ({tries} timed out)", started.elapsed());
    let day = first_day.checked_add_days(Days::new((n / 10) as u64)).expect("date");
    for path in [
        "/web/queue".to_string(),
        "/web/queue?tab=approved".into(),
        format!("/web/queue?author={}", form_encode("建国")),
        "/web/queue?sort=amount&dir=desc".into(),
        format!("/web/queue?page={}", n / 100),
        format!("/web/queue/confirm?tab=pending&from={day}&to={day}"),
    ] {
        let mut times: Vec<std::time::Duration> = (0..15)
            .map(|_| {
                let t = std::time::Instant::now();
                let r = http(&server.addr, "GET", &path, &[("Cookie", &cookie)], b"");
                assert_eq!(r.status, 200, "{path}");
                t.elapsed()
            })
            .collect();
        times.sort();
        eprintln!("{path}: median {:?} (min {:?}, max {:?}) over {n} records", times[7], times[0], times[14]);
    }
}

//! Issue 26 on the office's screens, through the real server binary and Chromium (1440×900 and
//! 390×844, English and Chinese): the project's hours per day and its expense categories edited on
//! the admin reference screen (a refusal at its field in the page language, nothing stored; the
//! default categories shown while the project lists none, made the project's list in one click,
//! 机械租赁 added, a category in use refused deletion), and a labour sheet recorded as sites pay
//! 点工 (9.5 hours at a day rate) read as such on the record page and the printed sheet, an
//! expense in 机械租赁 named by the project's name. Screenshots: `<target>/screens/rates-*.png`.

use fieldledger_tests::api::{self, d};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::records::{self, header, workbook};
use fieldledger_tests::webkit::{self, Browser};
use fieldledger_tests::*;
use record_schema::{CrewLine, Currency, Effort, LabourSheet, TimeUnit};
use serde_json::{Value, json};

const SHEET: &str = "0193a000-0000-7000-8000-0000000026a1";
const RENTAL: &str = "0193a000-0000-7000-8000-0000000026b1";

fn line(id: &str, trade: &str, headcount: i64, effort: Effort, rate: &str, rate_unit: TimeUnit) -> CrewLine {
    CrewLine {
        id: id.into(),
        position: id.trim_start_matches('l').parse().unwrap_or_default(),
        trade: trade.into(),
        crew: Some("王班".into()),
        headcount,
        effort,
        rate: d(rate),
        rate_unit,
        hours_per_day: d("8"),
        cost_code: "05-04".into(),
        activity: None,
        note: None,
        workers: vec![],
    }
}

fn reference(addr: &str, admin: &str) -> Value {
    let (s, v) = api::json_call(addr, admin, "GET", "/v1/reference", None);
    assert_eq!(s, 200, "{v}");
    v
}

fn no_sideways_scroll(b: &Browser, what: &str) {
    let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
    assert_eq!(fits, json!(true), "{what}: wider than the window");
}

fn set_lang(b: &Browser, base: &str, lang: &str, path: &str) {
    b.goto(&format!("{base}/web/lang?to={lang}&back={}", webkit::form_encode(path)));
    b.wait_for("main");
}

#[test]
fn hours_rates_and_categories_on_the_screens() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED hours_rates_and_categories_on_the_screens: {} is missing", webkit::CHROMIUM);
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    let addr = server.addr.clone();
    let book = workbook(&[
        ("project", &[&["name", "currency"], &["一号楼", "CNY"]]),
        ("sites", &[&["id", "name", "time_zone"], &["S1", "东区工地", "Asia/Shanghai"]]),
        (
            "cost_codes",
            &[
                &["code", "name", "parent", "budget"],
                &["05", "措施项目", "", "0"],
                &["05-04", "零星用工", "05", "90000"],
            ],
        ),
        ("trades", &[&["name", "day_rate", "hour_rate"], &["普工", "365", "45.625"], &["木工", "420", "52.5"]]),
    ]);
    api::import_reference(&addr, &admin, &book);
    let base = format!("http://{}", addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/admin/reference?tab=project"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &admin);
    b.click("#sign-in");
    b.wait_for("#ref-edit-form");
    set_lang(&b, &base, "en", "/web/admin/reference?tab=project");

    // Hours per day, English: 25 refused at its field with the limit, what was typed kept, nothing
    // stored; 9.5 saved.
    b.wait_for("#f-hours_per_day");
    assert_eq!(b.attr("#f-hours_per_day", "placeholder").as_deref(), Some("8"), "empty means 8");
    b.type_into("#f-hours_per_day", "25");
    b.click("#ref-save");
    b.wait_for("#ref-problems");
    assert!(b.text("#err-hours_per_day").contains("at most 24 hours"), "{}", b.text("#err-hours_per_day"));
    assert_eq!(b.script("return document.querySelector('#f-hours_per_day').value;"), json!("25"));
    assert_eq!(reference(&addr, &admin)["project"]["hours_per_day"], Value::Null, "nothing stored");
    no_sideways_scroll(&b, "project en 1440");
    b.screenshot("rates-01-hours-refused-en-1440");
    b.type_into("#f-hours_per_day", "9.5");
    b.click("#ref-save");
    b.wait_for("#ref-done");
    assert_eq!(reference(&addr, &admin)["project"]["hours_per_day"], "9.5");

    // Chinese: the same refusal in words, then back to 8.
    set_lang(&b, &base, "zh-CN", "/web/admin/reference?tab=project");
    b.wait_for("#f-hours_per_day");
    b.type_into("#f-hours_per_day", "7.125");
    b.click("#ref-save");
    b.wait_for("#ref-problems");
    assert!(b.text("#ref-problems").contains("每工日小时数：最多 2 位小数"), "{}", b.text("#ref-problems"));
    b.screenshot("rates-02-hours-refused-zh-1440");
    b.type_into("#f-hours_per_day", "8");
    b.click("#ref-save");
    b.wait_for("#ref-done");
    assert_eq!(reference(&addr, &admin)["project"]["hours_per_day"], "8");

    // Trades: the office's decimals as entered.
    b.goto(&format!("{base}/web/admin/reference?tab=trades"));
    b.wait_for("#ref-table");
    assert!(b.text("#ref-table tr[data-key='普工']").contains("¥45.625"), "{}", b.text("#ref-table"));
    b.screenshot("rates-03-trades-zh-1440");

    // Expense categories: none of the project's yet, so the defaults are shown; one click makes
    // them the project's list, then 机械租赁 is added through the form.
    b.goto(&format!("{base}/web/admin/reference?tab=expense_categories"));
    b.wait_for("#ref-defaults");
    assert!(b.text("#ref-defaults").contains("材料"), "{}", b.text("#ref-defaults"));
    b.screenshot("rates-04-categories-defaults-zh-1440");
    b.click("#ref-start-defaults");
    b.wait_for("#ref-done");
    assert!(b.text("#ref-done").contains("已导入 8 行"), "{}", b.text("#ref-done"));
    b.type_into("#f-code", "机械租赁");
    b.type_into("#f-name", "机械租赁");
    b.click("#ref-save");
    b.wait_for("#ref-problems");
    assert!(b.text("#err-code").contains("编码须为英文字母"), "{}", b.text("#err-code"));
    b.screenshot("rates-05-category-refused-zh-1440");
    b.type_into("#f-code", "equipment_rental");
    b.type_into("#f-name", "机械租赁");
    b.click("#ref-save");
    b.wait_for("#ref-done");
    assert!(b.exists("#ref-table tr[data-key='equipment_rental']"));
    let listed = reference(&addr, &admin)["expense_categories"].as_array().map(Vec::len);
    assert_eq!(listed, Some(9));
    no_sideways_scroll(&b, "categories zh 1440");
    b.screenshot("rates-06-categories-zh-1440");

    // The foreman's phone records 点工 as sites pay it, and a crane's rental.
    let mut phone = SimPhone::new(foreman);
    let sheet = LabourSheet {
        header: header(SHEET, "P1"),
        work_date: records::site_today().parse().expect("date"),
        currency: Currency::Cny,
        lines: vec![
            line("l0", "普工", 1, Effort::Hours(d("9.5")), "365", TimeUnit::Day),
            line("l1", "普工", 3, Effort::Hours(d("9.5")), "45.625", TimeUnit::Hour),
            line("l2", "木工", 2, Effort::Days(d("1")), "420", TimeUnit::Day),
        ],
        note: None,
    };
    phone.docs.insert(SHEET.into(), records::sheet_doc(&sheet));
    let sync = phone.sync(&addr);
    assert!(sync.errors.is_empty(), "{:?}", sync.errors);

    // The record page, Chinese then English: 9.5 hours at a day rate, with the day's hours.
    b.goto(&format!("{base}/web/records/{SHEET}"));
    b.wait_for("#lines");
    assert_eq!(b.text("#line-1 .rec-rate"), "¥365.00/工日（每工日8小时）");
    assert_eq!(b.text("#line-1 .rec-cost"), "¥433.44");
    assert_eq!(b.text("#line-2 .rec-rate"), "¥45.625/小时");
    assert_eq!(b.text("#line-2 .rec-cost"), "¥1,300.31", "3 × 9.5 × 45.625 = 1300.3125, rounded once");
    assert_eq!(b.text("#total"), "¥2,573.75");
    b.screenshot("rates-07-record-zh-1440");
    set_lang(&b, &base, "en", &format!("/web/records/{SHEET}"));
    b.wait_for("#lines");
    assert_eq!(b.text("#line-1 .rec-rate"), "CN¥365.00/worker-day (8 h/day)");
    assert!(b.text("#line-1").contains("9.5 hours"), "{}", b.text("#line-1"));
    no_sideways_scroll(&b, "record en 1440");
    b.screenshot("rates-08-record-en-1440");
    b.goto(&format!("{base}/web/records/{SHEET}/print"));
    b.wait_for("main");
    assert!(b.source().contains("CN¥365.00/worker-day (8 h/day)"), "the printed sheet says it too");
    b.screenshot("rates-09-print-en-1440");

    // 390 px, both languages.
    b.resize(390, 844);
    b.goto(&format!("{base}/web/records/{SHEET}"));
    b.wait_for("#lines");
    no_sideways_scroll(&b, "record en 390");
    b.screenshot("rates-10-record-en-390");
    b.goto(&format!("{base}/web/admin/reference?tab=expense_categories"));
    b.wait_for("#ref-table");
    no_sideways_scroll(&b, "categories en 390");
    b.screenshot("rates-11-categories-en-390");
    b.goto(&format!("{base}/web/admin/reference?tab=project"));
    b.wait_for("#f-hours_per_day");
    no_sideways_scroll(&b, "project en 390");
    b.screenshot("rates-12-project-en-390");
    set_lang(&b, &base, "zh-CN", &format!("/web/records/{SHEET}"));
    b.wait_for("#lines");
    no_sideways_scroll(&b, "record zh 390");
    b.screenshot("rates-13-record-zh-390");
    b.goto(&format!("{base}/web/admin/reference?tab=project"));
    b.wait_for("#f-hours_per_day");
    b.screenshot("rates-15-project-zh-390");

    // An expense in 机械租赁 from the same phone: its page names the project's category, and the
    // category, now in use, is not deleted (the page says what uses it).
    let mut rental = records::expense_in(RENTAL, "P1", "equipment_rental");
    rental.date = sheet.work_date;
    rental.cost_code = "05-04".into();
    phone.docs.insert(RENTAL.into(), records::expense_doc(&rental));
    let sync = phone.sync(&addr);
    assert!(sync.errors.is_empty(), "{:?}", sync.errors);
    b.goto(&format!("{base}/web/records/{RENTAL}"));
    b.wait_for("#facts");
    assert!(b.text("#facts").contains("机械租赁"), "the project's name for its category: {}", b.text("#facts"));
    b.screenshot("rates-14-expense-zh-390");
    // A category in use is not deleted: the page says what uses it.
    b.goto(&format!("{base}/web/admin/reference?tab=expense_categories&delete=equipment_rental"));
    b.wait_for("#ref-confirm");
    assert!(b.text("#ref-confirm-title").contains("正在使用，不能删除"), "{}", b.text("#ref-confirm-title"));
    assert!(b.text("#ref-uses").contains("1 张手机提交的记录"), "{}", b.text("#ref-uses"));
    no_sideways_scroll(&b, "categories zh 390");
    b.screenshot("rates-16-category-in-use-zh-390");
    // Approved, it posts to 05-04: the cost code's page names the category as the project does.
    api::approve_current(&addr, &admin, RENTAL);
    b.goto(&format!("{base}/web/cost/05-04?from={day}&to={day}", day = rental.date));
    b.wait_for("#postings");
    assert!(b.text("#postings").contains("机械租赁"), "the drill-down's posting: {}", b.text("#postings"));
}

//! The funds and wages centre's screens (issue 21) with the demo company's data, in Chromium at
//! 1440 and 390 px, English and Chinese: cash flow, all projects, the wage ledger and its printable
//! page, payments and a bank batch's result, the roster with names to confirm, arrears.
//! Screenshots `<target>/screens/funds-<screen>-{en,zh}-{1440,390}[-more].png`. Also over HTTP:
//! a supervisor sees cash flow but gets 403 on wages, payments and the roster.

use fieldledger_tests::webkit::{self, Browser, http, session_of, sign_in};
use fieldledger_tests::{cli, start_with, token_as};

const PROJECT: &str = "BJHY-2";

#[test]
fn funds_screens_with_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, out, err) = cli(dir.path(), None, &["demo"]);
    assert!(ok, "demo load: {out}\n{err}");
    let admin = token_as(dir.path(), None, PROJECT, "admin");
    let sup = token_as(dir.path(), None, PROJECT, "supervisor");
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();

    // Over HTTP: the supervisor reads cash flow, not wages, payments or the roster.
    let cookie = session_of(&sign_in(addr, &sup, "/web/funds"));
    let page = http(addr, "GET", "/web/funds", &[("Cookie", &cookie)], b"");
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("id=\"cash-curve\""), "the curves are drawn");
    assert!(!page.text().contains("fund-tab-wages"), "no wages tab for a supervisor");
    for path in ["/web/funds/wages", "/web/funds/payments", "/web/funds/roster", "/web/funds/arrears"] {
        let r = http(addr, "GET", path, &[("Cookie", &cookie)], b"");
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    // The admin's pages hold the demo's funds: a roster, names to confirm, a bank batch with one
    // row matching nobody, last month's wages partly paid.
    let cookie = session_of(&sign_in(addr, &admin, "/web/funds"));
    let get = |path: &str| {
        let r = http(addr, "GET", path, &[("Cookie", &cookie)], b"");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.text()
    };
    let roster = get("/web/funds/roster");
    assert!(roster.contains("id=\"roster-table\"") && roster.contains("id=\"proposed\""), "roster and proposed names");
    // Full ID numbers never reach a page: the demo's start with these regions, masked as 3201****.
    for region in ["320102", "320106", "341122", "410105", "510107", "420111"] {
        let full = roster
            .match_indices(region)
            .any(|(i, _)| roster[i + 6..].bytes().take(8).filter(u8::is_ascii_digit).count() == 8);
        assert!(!full, "a full ID number starting {region} is on the roster page");
    }
    let payments = get("/web/funds/payments");
    let batch = payments
        .split("href=\"/web/funds/batches/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a bank batch listed")
        .to_string();
    let batch_page = get(&format!("/web/funds/batches/{batch}"));
    assert!(batch_page.contains("id=\"mismatch-table\"") && batch_page.contains("赵铁柱"), "the stranger's row");

    // The forms: a bad ID number is refused on the page, naming the field in the page's words;
    // a good worker is added; a payment to them is recorded and cancelled.
    let csrf = webkit::hidden(&roster, "csrf").expect("csrf");
    let post = |path: &str, body: String, lang: &str| {
        let cookie = format!("{cookie}; fl_lang={lang}");
        http(
            addr,
            "POST",
            path,
            &[("Cookie", &cookie), ("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    };
    let enc = webkit::form_encode;
    let bad = post(
        "/web/funds/roster",
        format!("csrf={csrf}&name={}&id_number=320102199001011235&crew=&status=active", enc("测试工人")),
        "zh-CN",
    );
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert!(bad.text().contains("id=\"problem\"") && bad.text().contains("身份证号"), "{}", bad.text());
    assert!(!bad.text().contains("320102199001011235"), "the typed ID number is not shown back");
    let good = post(
        "/web/funds/roster",
        format!(
            "csrf={csrf}&id=T0001&name={}&id_number=11010519491231002X&crew={}&status=active",
            enc("测试工人"),
            enc("测试班")
        ),
        "en",
    );
    assert_eq!(good.status, 303, "{}", good.text());
    let edited = post(
        "/web/funds/roster/T0001",
        format!(
            "csrf={csrf}&id=T0001&name={}&crew={}&trade={}&status=active",
            enc("测试工人"),
            enc("测试班"),
            enc("木工")
        ),
        "en",
    );
    assert_eq!(edited.status, 303, "{}", edited.text());
    let roster = get("/web/funds/roster");
    assert!(roster.contains("id=\"worker-T0001\"") && roster.contains("1101**********002X"), "added, masked");
    let paid = post(
        "/web/funds/payments",
        format!(
            "csrf={csrf}&kind=wage&worker_id=T0001&month={month}&paid_on={today}&payer_account=x&amount=100.50&reference=t",
            month = &payments.split("name=\"month\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or(""),
            today = payments.split("name=\"paid_on\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or(""),
        ),
        "en",
    );
    assert_eq!(paid.status, 303, "{}", paid.text());
    let refused = post("/web/funds/payments", format!("csrf={csrf}&kind=wage&worker_id=T0001&amount=abc"), "en");
    assert!(matches!(refused.status, 400 | 422), "{}", refused.text());
    assert!(refused.text().contains("id=\"problem\""), "{}", refused.text());

    if !webkit::browser_available() {
        eprintln!("SKIPPED the screenshots: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        arrears_forms(&get, &post, &csrf);
        return;
    }
    let base = format!("http://{}", addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/sign-in"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &admin);
    b.click("#sign-in");
    b.wait_for("nav");
    let month = payments.split("name=\"month\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("");
    let last_month = {
        let d = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").expect("month");
        (d - chrono::Days::new(1)).format("%Y-%m").to_string()
    };
    let pages: Vec<(&str, String, &str)> = vec![
        ("cashflow", "/web/funds".into(), "#cash-curve svg"),
        ("company", "/web/funds/company".into(), "#company-projects"),
        ("wages", format!("/web/funds/wages?month={last_month}"), "#wages-table"),
        ("wages-print", format!("/web/funds/wages/print?month={last_month}"), "#print-lines"),
        ("payments", format!("/web/funds/payments?month={last_month}"), "#payments-table"),
        ("batch", format!("/web/funds/batches/{batch}"), "#mismatch-table"),
        ("roster", "/web/funds/roster".into(), "#roster-table"),
        ("arrears", "/web/funds/arrears".into(), "#cards"),
    ];
    for (lang, width, height) in [("en", 1440, 900), ("en", 390, 844), ("zh-CN", 1440, 900), ("zh-CN", 390, 844)] {
        b.resize(width, height);
        b.goto(&format!("{base}/web/lang?to={lang}&back=%2Fweb%2Ffunds"));
        b.wait_for("#cash-curve");
        let short = if lang == "en" { "en" } else { "zh" };
        for (name, path, ready) in &pages {
            b.goto(&format!("{base}{path}"));
            b.wait_for(ready);
            b.screenshot(&format!("funds-{name}-{short}-{width}"));
            // The rest of the longer pages, one screen further down.
            let more = b.script("return document.documentElement.scrollHeight - window.innerHeight;");
            if more.as_f64().unwrap_or(0.0) > 200.0 {
                b.script(&format!("window.scrollTo(0, {}); return 0;", height - 120));
                b.screenshot(&format!("funds-{name}-{short}-{width}-more"));
            }
        }
    }
    arrears_forms(&get, &post, &csrf);
}

/// The arrears page's forms (after the screenshots, which show the demo as loaded): the owner's
/// allocation recorded, a bad amount refused in the page's words with what was typed kept, the
/// pay day refused out of 1–28 and saved within.
fn arrears_forms(get: &dyn Fn(&str) -> String, post: &dyn Fn(&str, String, &str) -> webkit::Resp, csrf: &str) {
    let before = get("/web/funds/arrears");
    let allocated = post(
        "/web/funds/allocations",
        format!("csrf={csrf}&month=2026-01&received_on=2026-01-28&amount=12345.67&reference=r1"),
        "en",
    );
    assert_eq!(allocated.status, 303, "{}", allocated.text());
    let after = get("/web/funds/arrears");
    assert!(after.contains("12,345.67") && !before.contains("12,345.67"), "the allocation is listed");
    let refused = post(
        "/web/funds/allocations",
        format!("csrf={csrf}&month=2026-01&received_on=2026-01-28&amount=12.345&reference=kept"),
        "zh-CN",
    );
    assert!(matches!(refused.status, 400 | 422), "{}", refused.text());
    let text = refused.text();
    assert!(text.contains("id=\"problem\"") && text.contains("金额") && text.contains("value=\"kept\""), "{text}");
    let refused = post("/web/funds/settings", format!("csrf={csrf}&wage_pay_day=31"), "en");
    assert!(matches!(refused.status, 400 | 422), "{}", refused.text());
    assert_eq!(post("/web/funds/settings", format!("csrf={csrf}&wage_pay_day=10"), "en").status, 303);
    assert!(get("/web/funds/arrears").contains("value=\"10\""), "the pay day is kept");
}

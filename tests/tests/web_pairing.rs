//! The pairing page in Chromium (issue 20): a supervisor opens `/web/admin/pairing?person=…`, makes
//! a code, sees it as text and as a QR code with its expiry (English and 简体中文, 1440 and 390
//! px wide, screenshots in target/screens/), and the code shown pairs a phone over `/v1/pair`.

use fieldledger_tests::api::{import_reference, json_call};
use fieldledger_tests::records::reference_workbook;
use fieldledger_tests::webkit::{self, Browser};
use fieldledger_tests::*;
use serde_json::json;

fn person_on_p1(dir: &std::path::Path, name: &str, phone: &str) -> String {
    let (ok, out, err) =
        cli(dir, None, &["person", "add", "--name", name, "--phone", phone, "--project", "P1", "--role", "foreman"]);
    assert!(ok, "{err}");
    out.trim().to_string()
}

fn no_sideways_scroll(b: &Browser, what: &str) {
    let v = b.script("return [document.documentElement.scrollWidth, window.innerWidth];");
    let (sw, iw) = (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0));
    assert!(sw <= iw, "{what}: the page scrolls sideways ({sw} > {iw})");
}

/// Makes a code on the page now open and returns it, checking what the page shows.
fn make_code(b: &Browser, expires_word: &str) -> String {
    b.wait_for("#pair-make");
    assert!(!b.exists("#pair-qr"), "no code before asking");
    b.click("#pair-make");
    b.wait_for("#pair-code");
    let code = b.text("#pair-code");
    assert_eq!(code.len(), 14, "{code}");
    assert!(b.exists("#pair-qr svg"), "the QR code is drawn");
    let size = b.script(
        "const r = document.querySelector('#pair-qr svg').getBoundingClientRect(); return [r.width, r.height];",
    );
    assert!(size[0].as_f64().unwrap_or(0.0) >= 200.0, "a QR big enough to scan: {size}");
    assert!(b.text("#pair-expires").contains(expires_word), "{}", b.text("#pair-expires"));
    code
}

#[test]
fn a_supervisor_shows_a_pairing_code_and_the_phone_pairs() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let wang = person_on_p1(dir.path(), "王建国", "13812345678");
    let server = start_with(dir.path(), None);
    let addr = server.addr.clone();
    import_reference(&addr, &admin, &reference_workbook());

    let base = format!("http://{}", addr.replace("127.0.0.1", "localhost"));
    let page = format!("{base}/web/admin/pairing?person={wang}");
    let b = Browser::start(1440, 900);
    b.goto(&page);
    b.wait_for("#sign-in-form");
    b.type_into("#token", &sup);
    b.click("#sign-in");
    b.wait_for("main");
    b.goto(&page);
    b.wait_for("#pair-page");
    assert_eq!(b.text("h1"), "Pair 王建国's phone");
    b.screenshot("pairing-en-1440-ask");
    let code = make_code(&b, "Valid until");
    b.screenshot("pairing-en-1440");

    // The code shown pairs a phone.
    let body = json!({ "code": code, "device_name": "王建国 · 华为 Mate 60" }).to_string();
    let (s, answer) = post(&addr, "/v1/pair", &[("Content-Type", "application/json")], body.as_bytes());
    assert_eq!(s, 201, "{}", String::from_utf8_lossy(&answer));
    let (s, listed) = json_call(&addr, &sup, "GET", "/v1/devices", None);
    assert_eq!(s, 200);
    assert!(listed["devices"].as_array().is_some_and(|d| d.iter().any(|d| d["person_name"] == "王建国")), "{listed}");

    // Phone width, English.
    b.resize(390, 844);
    b.goto(&page);
    make_code(&b, "Valid until");
    no_sideways_scroll(&b, "pairing en 390");
    b.screenshot("pairing-en-390");

    // Chinese, both widths.
    b.goto(&format!("{base}/web/lang?to=zh-CN&back=%2Fweb%2Fqueue"));
    b.wait_for("main");
    b.resize(1440, 900);
    b.goto(&page);
    b.wait_for("#pair-page");
    assert_eq!(b.text("h1"), "为王建国绑定手机");
    let zh = make_code(&b, "有效期至");
    assert_ne!(zh, code, "each code is new");
    b.screenshot("pairing-zh-1440");
    b.resize(390, 844);
    b.goto(&page);
    make_code(&b, "有效期至");
    no_sideways_scroll(&b, "pairing zh 390");
    b.screenshot("pairing-zh-390");
}

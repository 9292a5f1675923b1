//! People in Chromium (issue 20): the first run's link sets the first admin's password and signs
//! them in; a supervisor of two projects lands on the portfolio (both projects, each with its
//! pending count), opens one, switches to the other in the header, and each queue shows only its
//! own project's records; the admin adds a person on the people screen and reads the access log.
//! Screenshots `<target>/screens/people-*.png`: 1440 and 390 px, English and 简体中文.

use fieldledger_tests::api::{import_reference, json_call};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::records::{self, reference_workbook};
use fieldledger_tests::webkit::{self, Browser};
use fieldledger_tests::*;
use serde_json::json;

const PASSWORD: &str = "xianchang-taizhang-26";
/// The first admin's phone number, given on their welcome page.
const ADMIN_PHONE: &str = "137 0000 0000";

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

fn expenses(addr: &str, foreman: &str, project: &str, ids: &[&str]) {
    let mut phone = SimPhone::new(foreman.to_string());
    for id in ids {
        phone.docs.insert(id.to_string(), records::expense_doc(&records::expense(id, project)));
    }
    let t = phone.sync(addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
}

/// The pending count the portfolio shows for `project`.
fn pending_on_home(b: &Browser, project: &str) -> String {
    b.text(&format!("li[data-project=\"{project}\"] .pending-count"))
}

/// Sets a password on a welcome page (`link`) and waits for the portfolio.
fn set_password(b: &Browser, link: &str, shot: Option<&str>) {
    b.goto(link);
    b.wait_for("#welcome-form");
    if b.exists("#login") {
        b.type_into("#login", ADMIN_PHONE);
    }
    b.type_into("#password", PASSWORD);
    b.type_into("#confirm", PASSWORD);
    if let Some(name) = shot {
        b.screenshot(name);
    }
    b.click("#set-password");
    wait_url(b, "/web/home");
}

/// The project the header's switcher shows as current.
fn selected_project(b: &Browser) -> String {
    let v = b.script("return document.getElementById('switch-project').selectedOptions[0].textContent;");
    v.as_str().unwrap_or_default().trim().to_string()
}

fn sign_out(b: &Browser) {
    b.click("#sign-out");
    wait_url(b, "/web/sign-in");
}

#[test]
fn first_run_switcher_portfolio_and_people_screens() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let (ok, wang, err) = cli(
        d,
        None,
        &["person", "add", "--name", "王建国", "--phone", "13812345678", "--project", "P1", "--role", "supervisor"],
    );
    assert!(ok, "{err}");
    let wang = wang.trim().to_string();
    let (ok, _, err) = cli(d, None, &["person", "grant", "--person", &wang, "--project", "P2", "--role", "supervisor"]);
    assert!(ok, "{err}");
    let (admin1, admin2) = (token_as(d, None, "P1", "admin"), token_as(d, None, "P2", "admin"));
    let (foreman1, foreman2) = (token(d, None, "P1"), token(d, None, "P2"));
    let server = start(d);
    let addr = server.addr.as_str();
    import_reference(addr, &admin1, &reference_workbook());
    import_reference(addr, &admin2, &reference_workbook());
    let (s, v) =
        json_call(addr, &admin2, "PUT", "/v1/reference/project", Some(json!({"name": "二号楼", "currency": "CNY"})));
    assert_eq!(s, 200, "{v}");
    expenses(addr, &foreman1, "P1", &["exp-a1", "exp-a2"]);
    expenses(addr, &foreman2, "P2", &["exp-b1"]);

    // First run: the link the server logged sets the first admin's password and signs them in.
    let log = std::fs::read_to_string(d.join("server.log")).expect("log");
    let line = log.lines().find(|l| l.contains("First run: open ")).unwrap_or_else(|| panic!("{log}"));
    let first = line.split("First run: open ").nth(1).and_then(|r| r.split(' ').next()).expect("link").to_string();
    let b = Browser::start(1440, 900);
    set_password(&b, &first, Some("people-welcome-en-1440"));
    assert_eq!(b.text("h1"), "My projects");
    assert!(
        b.exists("li[data-project=\"P1\"]") && b.exists("li[data-project=\"P2\"]"),
        "a company admin sees every project"
    );
    sign_out(&b);

    // The supervisor of two projects: a link from the command line, then the portfolio.
    let (ok, link, err) = cli(d, None, &["--bind", addr, "person", "link", "--person", &wang]);
    assert!(ok, "{err}");
    set_password(&b, link.trim(), None);
    assert_eq!(pending_on_home(&b, "P1"), "2");
    assert_eq!(pending_on_home(&b, "P2"), "1");
    assert!(b.text("li[data-project=\"P1\"] .acc-name").contains("一号楼"));
    assert!(b.text("li[data-project=\"P2\"] .acc-name").contains("二号楼"));
    b.screenshot("people-home-en-1440");

    // Opening 一号楼 shows its queue: its two records, not 二号楼's.
    b.click("li[data-project=\"P1\"] button");
    wait_url(&b, "/web/queue");
    assert!(b.exists("#row-exp-a1") && b.exists("#row-exp-a2") && !b.exists("#row-exp-b1"), "{}", b.source());
    assert_eq!(selected_project(&b), "一号楼");
    b.screenshot("people-switcher-en-1440");
    // The header's switcher goes to 二号楼: only its record.
    b.script(
        "const s = document.getElementById('switch-project'); s.value = 'P2'; s.dispatchEvent(new Event('change'));",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.exists("#row-exp-b1") {
        assert!(std::time::Instant::now() < deadline, "the switch did not happen: {}", b.url());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!b.exists("#row-exp-a1") && !b.exists("#row-exp-a2"));
    assert_eq!(selected_project(&b), "二号楼");
    // A supervisor has no Admin entry.
    assert!(!b.exists("#nav-admin"));
    sign_out(&b);

    // The first admin signs in with their phone and password (the key form folded), adds a person.
    b.goto(&format!("http://{addr}/web/sign-in"));
    b.wait_for("#password-form");
    assert_eq!(b.attr("#key-sign-in", "open"), None, "the key form is folded once people have passwords");
    b.type_into("#login", "nobody@example.com");
    b.type_into("#password", "not-the-password");
    b.click("#sign-in-password");
    b.wait_for("#problem");
    assert!(b.text("#problem").contains("Wrong phone number, e-mail or password"));
    b.screenshot("people-sign-in-en-1440");
    b.type_into("#login", ADMIN_PHONE);
    b.type_into("#password", PASSWORD);
    b.click("#sign-in-password");
    wait_url(&b, "/web/home");
    b.click("li[data-project=\"P1\"] button");
    wait_url(&b, "/web/queue");
    b.click("#nav-admin");
    wait_url(&b, "/web/admin/people");
    assert!(b.text("#people").contains("王建国"));
    b.type_into("#new-name", "赵会计");
    b.type_into("#new-phone", "139 0000 0001");
    b.script("document.getElementById('new-role').value = 'office';");
    b.click("#add");
    b.wait_for("#done");
    assert!(b.text("#people").contains("赵会计") && b.text("#people").contains("13900000001"));
    // A new sign-in link for her, shown once.
    let row = b.script("return [...document.querySelectorAll('#people tr')].find(r => r.textContent.includes('赵会计')).dataset.person;");
    let zhao = row.as_str().expect("person id").to_string();
    b.click(&format!("tr[data-person=\"{zhao}\"] .acc-link-button"));
    b.wait_for("#new-link");
    assert!(b.attr("#link-text", "value").is_some_and(|l| l.contains("/web/welcome?code=")));
    b.screenshot("people-admin-en-1440");
    b.goto(&format!("http://{addr}/web/admin/audit"));
    b.wait_for("#audit");
    let audit = b.text("#audit");
    assert!(audit.contains("王建国 signed in from 127.0.0.1"), "{audit}");
    assert!(audit.contains("Admin added 赵会计"), "{audit}");
    assert!(audit.contains("Admin made 赵会计 office"), "{audit}");
    b.screenshot("people-audit-en-1440");

    // 简体中文 and a phone's width.
    b.goto(&format!("http://{addr}/web/lang?to=zh-CN&back=%2Fweb%2Fadmin%2Faudit"));
    b.wait_for("#audit");
    assert!(b.text("#audit").contains("Admin 添加了 赵会计"));
    b.screenshot("people-audit-zh-1440");
    b.goto(&format!("http://{addr}/web/admin/people"));
    b.wait_for("#people");
    b.screenshot("people-admin-zh-1440");
    b.goto(&format!("http://{addr}/web/home"));
    b.wait_for("#projects");
    assert_eq!(b.text("h1"), "我的项目");
    b.screenshot("people-home-zh-1440");
    b.resize(390, 844);
    for (path, wait, name) in [
        ("/web/home", "#projects", "home"),
        ("/web/queue", "main", "switcher"),
        ("/web/admin/people", "#people", "admin"),
        ("/web/admin/audit", "#audit", "audit"),
    ] {
        for lang in ["zh-CN", "en"] {
            b.goto(&format!("http://{addr}/web/lang?to={lang}&back={}", path.replace('/', "%2F")));
            b.wait_for(wait);
            no_sideways_scroll(&b, &format!("{path} {lang}"));
            b.screenshot(&format!("people-{name}-{}-390", if lang == "en" { "en" } else { "zh" }));
        }
    }
    sign_out(&b);
    b.goto(&format!("http://{addr}/web/lang?to=zh-CN&back=%2Fweb%2Fsign-in"));
    b.wait_for("#password-form");
    b.screenshot("people-sign-in-zh-390");
}

//! People in Chromium (issue 20): the first run's link sets the first admin's password and signs
//! them in; a supervisor of two projects lands on the portfolio (both projects, each with its
//! pending count), opens one, switches to the other in the header, and each queue shows only its
//! own project's records; the admin adds a person on the people screen and reads the access log.
//! Screenshots `<target>/screens/people-*.png`: 1440 and 390 px, English and 简体中文.
//!
//! Adding a person with their sites (their phones' sync scope), project 一号楼 with three sites:
//! * `add_a_person_with_sites_over_http`: the add form offers the sites ("All sites" chosen); a site
//!   the project does not have (removed since the page was opened) or "Only these sites" with none
//!   ticked is refused in the page's language with nobody created and what was typed kept; without
//!   the CSRF token nothing happens; two ticked sites are stored with the person in the one request
//!   (audited as the people API's change is), "All sites" stores none; the access log names the sites
//!   by their reference names, a site deleted since by its id.
//! * `add_a_person_with_sites_in_the_browser`: the same through the form in Chromium (ticking a site
//!   chooses "Only these sites"), 1440 and 390 px, English and 简体中文; screenshots
//!   `people-add-sites-*.png`.

use std::path::Path;

use fieldledger_tests::api::{import_reference, import_three_sites, json_call};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::records::{self, reference_workbook};
use fieldledger_tests::webkit::{self, Browser, form_encode, hidden, http};
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

/// A server whose project P1 (一号楼) has three sites; an admin's device key.
fn three_sites(d: &Path) -> (Server, String) {
    let admin = token_as(d, None, "P1", "admin");
    let server = start(d);
    import_three_sites(&server.addr, &admin);
    (server, admin)
}

fn count(d: &Path, sql: &str) -> i64 {
    db::count(d, None, sql)
}

/// People stored with phone number `phone` (as stored: digits only).
fn with_phone(d: &Path, phone: &str) -> i64 {
    count(d, &format!("SELECT count(*) FROM people WHERE phone = '{phone}'"))
}

/// The sites on P1 of the person with phone number `phone`, by id.
fn sites_by_phone(d: &Path, phone: &str) -> Vec<&'static str> {
    ["S1", "S2", "S3"]
        .into_iter()
        .filter(|s| {
            count(
                d,
                &format!(
                    "SELECT count(*) FROM membership_sites m JOIN people p ON p.id = m.person_id \
                     WHERE p.phone = '{phone}' AND m.project_id = 'P1' AND m.site_id = '{s}'"
                ),
            ) == 1
        })
        .collect()
}

/// A browser session over HTTP (a device key's), with its CSRF token.
struct Http<'a> {
    addr: &'a str,
    cookie: String,
    csrf: String,
}

impl<'a> Http<'a> {
    fn sign_in(addr: &'a str, token: &str) -> Self {
        let cookie = webkit::session_of(&webkit::sign_in(addr, token, "%2Fweb%2Fqueue"));
        let page = http(addr, "GET", "/web/queue", &[("Cookie", &cookie)], b"");
        let csrf = hidden(&page.text(), "csrf").expect("csrf");
        Http { addr, cookie, csrf }
    }

    fn get(&self, path: &str, lang: &str) -> String {
        let r = http(self.addr, "GET", path, &[("Cookie", &self.cookie), ("Accept-Language", lang)], b"");
        assert_eq!(r.status, 200, "{path}");
        r.text()
    }

    /// Posts a form (fields unencoded, repeats kept); with this session's CSRF token unless `csrf` is false.
    fn post(&self, path: &str, csrf: bool, fields: &[(&str, &str)], lang: &str) -> webkit::Resp {
        let mut body: Vec<String> = if csrf { vec![format!("csrf={}", self.csrf)] } else { Vec::new() };
        body.extend(fields.iter().map(|(k, v)| format!("{k}={}", form_encode(v))));
        let headers = [
            ("Cookie", self.cookie.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept-Language", lang),
        ];
        http(self.addr, "POST", path, &headers, body.join("&").as_bytes())
    }
}

/// The text of the element with id `id` in `html` (up to its next tag).
fn text_of(html: &str, id: &str) -> String {
    let Some(at) = html.find(&format!("id=\"{id}\"")) else { return String::new() };
    let rest = &html[at..];
    let start = rest.find('>').map_or(0, |i| i + 1);
    rest[start..].split('<').next().unwrap_or_default().to_string()
}

/// The add form's HTML.
fn add_form(html: &str) -> &str {
    let at = html.find("id=\"add-person\"").expect("the add form");
    html[at..].split("</form>").next().unwrap_or_default()
}

/// The people table's row of the person named `name`.
fn row_named<'h>(html: &'h str, name: &str) -> &'h str {
    html.split("<tr data-person=")
        .skip(1)
        .map(|r| r.split("</tr>").next().unwrap_or_default())
        .find(|r| r.contains(name))
        .unwrap_or_else(|| panic!("no row for {name}"))
}

#[test]
fn add_a_person_with_sites_over_http() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let (server, admin) = three_sites(d);
    let s = Http::sign_in(&server.addr, &admin);
    let people = || count(d, "SELECT count(*) FROM people");
    let before = people();

    // The add form offers the project's sites by name; every site until told otherwise.
    let page = s.get("/web/admin/people", "en");
    let form = add_form(&page);
    assert!(form.contains("value=\"all\" id=\"new-sites-all\" checked>"), "{form}");
    assert!(form.contains("value=\"only\" id=\"new-sites-only\">"), "{form}");
    for (id, name) in [("S1", "东区工地"), ("S2", "西区工地"), ("S3", "北区工地")] {
        assert!(form.contains(&format!("name=\"site\" value=\"{id}\"> {name} ")), "{id}: {form}");
    }

    let zhao = [("name", "赵会计"), ("phone", "139 0000 0001"), ("role", "office")];
    let with = |extra: &[(&'static str, &'static str)]| zhao.iter().chain(extra).copied().collect::<Vec<_>>();
    // A site the project does not have (deleted since the page was opened, or a forged form): refused
    // in the page's language, nobody created, the form as it was typed.
    let gone = with(&[("sites_mode", "only"), ("site", "S1"), ("site", "S9")]);
    let r = s.post("/web/admin/people", true, &gone, "zh-CN");
    assert_eq!(r.status, 400, "{}", r.text());
    let html = r.text();
    assert_eq!(text_of(&html, "problem"), "工地：“S9”不是本项目的工地（可能在打开本页后已被删除），请重新选择工地。");
    let form = add_form(&html);
    assert!(form.contains("value=\"赵会计\"") && form.contains("value=\"139 0000 0001\""), "{form}");
    assert!(form.contains("value=\"only\" id=\"new-sites-only\" checked>"), "{form}");
    assert!(form.contains("name=\"site\" value=\"S1\" checked>"), "{form}");
    assert!(form.contains("name=\"site\" value=\"S2\">"), "{form}");
    let r = s.post("/web/admin/people", true, &gone, "en");
    assert_eq!(r.status, 400);
    assert_eq!(
        text_of(&r.text(), "problem"),
        "Sites: &#34;S9&#34; is not a site of project P1 (it may have been deleted after this page was opened): \
         choose the sites again."
    );
    // "Only these sites" with none ticked.
    let r = s.post("/web/admin/people", true, &with(&[("sites_mode", "only")]), "en");
    assert_eq!(r.status, 400);
    assert_eq!(text_of(&r.text(), "problem"), "Tick at least one site, or choose All sites.");
    // Without the CSRF token.
    let good = with(&[("sites_mode", "only"), ("site", "S1"), ("site", "S3")]);
    assert_eq!(s.post("/web/admin/people", false, &good, "en").status, 403);
    assert_eq!(people(), before, "nobody was created");
    assert_eq!(with_phone(d, "13900000001"), 0);
    assert_eq!(count(d, "SELECT count(*) FROM membership_sites"), 0);
    // Writing the sites fails (a trigger refuses them): the person and their role are not kept
    // either, nor any event of them (one transaction).
    let events = || count(d, "SELECT count(*) FROM access_events");
    let events_before = events();
    let refuse = "CREATE TRIGGER refuse_sites BEFORE INSERT ON membership_sites \
                  BEGIN SELECT RAISE(ABORT, 'sites refused by the test'); END";
    db::exec(d, None, vec![refuse.to_string()]);
    assert_eq!(s.post("/web/admin/people", true, &good, "en").status, 500);
    assert_eq!((people(), with_phone(d, "13900000001"), events()), (before, 0, events_before));
    assert_eq!(count(d, "SELECT count(*) FROM memberships WHERE project_id = 'P1' AND role = 'office'"), 0);
    db::exec(d, None, vec!["DROP TRIGGER refuse_sites".to_string()]);

    // Two sites: the person, their role and their sites from the one request, audited as the API's.
    let r = s.post("/web/admin/people", true, &good, "en");
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(with_phone(d, "13900000001"), 1);
    assert_eq!(sites_by_phone(d, "13900000001"), ["S1", "S3"]);
    assert_eq!(
        count(
            d,
            "SELECT count(*) FROM memberships m JOIN people p ON p.id = m.person_id \
             WHERE p.phone = '13900000001' AND m.project_id = 'P1' AND m.role = 'office'"
        ),
        1
    );
    assert_eq!(
        count(
            d,
            "SELECT count(*) FROM access_events e JOIN people p ON p.id = e.person_id WHERE p.phone = '13900000001' \
             AND e.event = 'membership_set' AND e.project_id = 'P1' AND e.detail = 'sites: S1, S3' \
             AND e.facts = '{\"kind\":\"sites\",\"sites\":[\"S1\",\"S3\"]}'"
        ),
        1,
        "the sites kept as a JSON array"
    );
    let page = s.get(r.header("location").unwrap_or_default(), "en");
    assert_eq!(text_of(&page, "done"), "赵会计 was added.");
    assert!(row_named(&page, "赵会计").contains("<span class=\"acc-sites\">东区工地 (S1), 北区工地 (S3)</span>"));
    assert!(add_form(&page).contains("value=\"all\" id=\"new-sites-all\" checked>"), "the form starts afresh");
    // "All sites", boxes still ticked: every site, nothing stored for them.
    let sun =
        [("name", "孙工"), ("phone", "139 0000 0002"), ("role", "foreman"), ("sites_mode", "all"), ("site", "S2")];
    assert_eq!(s.post("/web/admin/people", true, &sun, "en").status, 303);
    assert_eq!(with_phone(d, "13900000002"), 1);
    assert_eq!(sites_by_phone(d, "13900000002"), Vec::<&str>::new());
    let page = s.get("/web/admin/people", "zh-CN");
    assert!(row_named(&page, "孙工").contains("<span class=\"acc-sites\">全部工地</span>"));
    assert!(row_named(&page, "赵会计").contains("<span class=\"acc-sites\">东区工地 (S1)、北区工地 (S3)</span>"));

    // The access log names the sites; one deleted from the reference data since, by its id.
    let audit = s.get("/web/admin/audit", "en");
    assert!(audit.contains("set 赵会计&#39;s sites: 东区工地 (S1), 北区工地 (S3) from 127.0.0.1</span>"), "{audit}");
    // Made in a device key's session: the key's device acted, not the command line.
    assert!(audit.contains("the device “device” set 赵会计&#39;s sites"), "{audit}");
    assert!(!audit.contains("the command line set 赵会计"), "{audit}");
    let (status, v) = json_call(&server.addr, &admin, "DELETE", "/v1/reference/sites/S3", None);
    assert!(status == 200 || status == 204, "{status} {v}");
    let audit = s.get("/web/admin/audit", "en");
    assert!(audit.contains("set 赵会计&#39;s sites: 东区工地 (S1), S3 from 127.0.0.1</span>"), "{audit}");
    let audit = s.get("/web/admin/audit", "zh-CN");
    assert!(audit.contains("将 赵会计 的工地设为 东区工地 (S1)、S3 （来自 127.0.0.1）</span>"), "{audit}");
}

#[test]
fn add_a_person_with_sites_in_the_browser() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let (server, admin) = three_sites(d);
    let addr = server.addr.as_str();
    let log = std::fs::read_to_string(d.join("server.log")).expect("log");
    let line = log.lines().find(|l| l.contains("First run: open ")).unwrap_or_else(|| panic!("{log}"));
    let first = line.split("First run: open ").nth(1).and_then(|r| r.split(' ').next()).expect("link").to_string();
    let b = Browser::start(1440, 900);
    set_password(&b, &first, None);
    b.click("li[data-project=\"P1\"] button");
    wait_url(&b, "/web/queue");
    let people = |lang: &str| {
        b.goto(&format!("http://{addr}/web/lang?to={lang}&back=%2Fweb%2Fadmin%2Fpeople"));
        b.wait_for("#add-person");
        b.script("document.getElementById('add-person').scrollIntoView(); return 1;");
    };

    // English, 1440 px: ticking two sites chooses "Only these sites"; added with them.
    people("en");
    assert_eq!(b.script("return document.getElementById('new-sites-all').checked;"), json!(true));
    b.type_into("#new-name", "赵会计");
    b.type_into("#new-phone", "139 0000 0001");
    b.script("document.getElementById('new-role').value = 'foreman'; return 1;");
    b.click("#new-sites input[name=site][value=S1]");
    b.click("#new-sites input[name=site][value=S3]");
    assert_eq!(b.script("return document.getElementById('new-sites-only').checked;"), json!(true));
    no_sideways_scroll(&b, "add form en 1440");
    b.screenshot("people-add-sites-en-1440");
    b.click("#add");
    b.wait_for("#done");
    assert_eq!(b.text("#done"), "赵会计 was added.");
    assert_eq!(sites_by_phone(d, "13900000001"), ["S1", "S3"]);
    let row = b.script(
        "return [...document.querySelectorAll('#people tr')].find(r => r.textContent.includes('赵会计')).dataset.person;",
    );
    let zhao = row.as_str().expect("person id").to_string();
    assert_eq!(b.text(&format!("tr[data-person=\"{zhao}\"] .acc-sites")), "东区工地 (S1), 北区工地 (S3)");
    b.script(&format!("document.querySelector('tr[data-person=\"{zhao}\"]').scrollIntoView(); return 1;"));
    b.screenshot("people-add-sites-added-en-1440");
    b.goto(&format!("http://{addr}/web/admin/audit"));
    b.wait_for("#audit");
    assert!(
        b.text("#audit").contains("Admin set 赵会计's sites: 东区工地 (S1), 北区工地 (S3)"),
        "{}",
        b.text("#audit")
    );
    b.screenshot("people-add-sites-audit-en-1440");

    // 中文: 西区工地 is deleted while the form is open; adding 孙工 there is refused, nobody created.
    people("zh-CN");
    b.type_into("#new-name", "孙工");
    b.type_into("#new-phone", "139 0000 0002");
    b.click("#new-sites input[name=site][value=S2]");
    let (status, v) = json_call(addr, &admin, "DELETE", "/v1/reference/sites/S2", None);
    assert!(status == 200 || status == 204, "{status} {v}");
    b.click("#add");
    b.wait_for("#problem");
    assert_eq!(b.text("#problem"), "工地：“S2”不是本项目的工地（可能在打开本页后已被删除），请重新选择工地。");
    assert_eq!(with_phone(d, "13900000002"), 0);
    assert_eq!(b.attr("#new-name", "value").as_deref(), Some("孙工"), "what was typed is kept");
    b.script("document.getElementById('problem').scrollIntoView(); return 1;");
    b.screenshot("people-add-sites-refused-zh-1440");
    b.goto(&format!("http://{addr}/web/admin/audit"));
    b.wait_for("#audit");
    assert!(
        b.text("#audit").contains("Admin 将 赵会计 的工地设为 东区工地 (S1)、北区工地 (S3)"),
        "{}",
        b.text("#audit")
    );
    b.screenshot("people-add-sites-audit-zh-1440");

    // 390 px: the add form's sites fit.
    b.resize(390, 844);
    for lang in ["zh-CN", "en"] {
        let short = if lang == "en" { "en" } else { "zh" };
        people(lang);
        b.click("#new-sites input[name=site][value=S1]");
        no_sideways_scroll(&b, &format!("add form {lang} 390"));
        b.script("document.getElementById('new-sites').scrollIntoView(); return 1;");
        b.screenshot(&format!("people-add-sites-{short}-390"));
    }

    // Added with the admin's device key (no person behind it): the log names that device.
    let body = json!({"name": "钱工", "phone": "13900000003", "role": "foreman", "sites": ["S1"]});
    let (status, v) = json_call(addr, &admin, "POST", "/v1/people", Some(body));
    assert_eq!(status, 201, "{v}");
    b.goto(&format!("http://{addr}/web/lang?to=zh-CN&back=%2Fweb%2Fadmin%2Faudit"));
    b.wait_for("#audit");
    let audit = b.text("#audit");
    assert!(audit.contains("设备“device” 添加了 钱工"), "{audit}");
    assert!(audit.contains("设备“device” 将 钱工 的工地设为 东区工地 (S1)"), "{audit}");
    no_sideways_scroll(&b, "access log zh 390");
    b.screenshot("people-audit-device-zh-390");
}

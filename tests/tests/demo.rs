//! The demo company (`fieldledger-server --demo`), as a newcomer meets it: the real server binary on
//! an empty data folder loads it, prints how to get in, and the screens show real figures.
//!
//! * `demo_on_sqlite`, `demo_on_postgres`: the printed one-time link lets the demo supervisor (a
//!   person, supervisor of the project) choose a password and signs him in, and the printed device
//!   key signs in as the key form does; the queue
//!   has pending records, changed and conflicting ones; approving one pending record from the queue
//!   posts (the cost report's actual grows by its amount); the cost page shows the budget and actual
//!   of the JSON report; the labour page has this month's rows; a second start with `--demo` (and
//!   the `demo` command) loads nothing more, prints the same key and how he signs in now (his phone
//!   number and password, which work). The load time is printed.
//! * `demo_screens`: the printed link opened in Chromium (password chosen, the portfolio home lists
//!   the project); at 1440 and 390 px, English and Chinese, the queue, cost, schedule and labour
//!   pages with the demo data: `<target>/screens/demo-{queue,cost,schedule,labour}-{en,zh}-{1440,390}.png`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::Datelike;
use fieldledger_tests::api::{self, dec};
use fieldledger_tests::webkit::{self, Browser, form_encode, hidden, http};
use fieldledger_tests::{Server, ThrowawayPg, cli, server_binary, start_with_args};
use rust_decimal::Decimal;
use serde_json::Value;

/// What a `--demo` start printed: the address, the summary line, the demo supervisor's one-time
/// link (while he has no password) or how he signs in, and his device key.
struct Started {
    server: Server,
    summary: String,
    /// `sign-in link: …`, or the line saying how he signs in.
    link: String,
    /// `office sign-in link: …` (the office clerk's), or the line saying how she signs in.
    office_link: String,
    key: String,
}

/// Starts the server with `--demo` and reads what it prints after `listening on` (the rest of its
/// output is drained on a thread, so the server never writes into a full pipe).
fn start_demo(dir: &Path, url: Option<&str>) -> Started {
    let mut cmd = Command::new(server_binary());
    cmd.env_remove("DATABASE_URL").env_remove("FIELDLEDGER_TEST_NOW");
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log")).expect("log");
    let mut child = cmd
        .args(["--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .arg("--demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start server");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let log = dir.join("server.log");
    let mut next = || {
        lines.next().and_then(Result::ok).unwrap_or_else(|| {
            panic!("server output ended; its log:\n{}", std::fs::read_to_string(&log).unwrap_or_default())
        })
    };
    let first = next();
    let addr =
        first.strip_prefix("listening on http://").unwrap_or_else(|| panic!("unexpected: {first:?}")).to_string();
    let summary = next();
    let (mut key, mut link, mut office_link) = (None, String::new(), String::new());
    for _ in 0..10 {
        let line = next();
        if let Some(k) = line.strip_prefix("sign-in key: ") {
            key = Some(k.trim().to_string());
            break;
        }
        if let Some(l) = line.strip_prefix("sign-in link: ") {
            link = l.trim().to_string();
        } else if let Some(l) = line.strip_prefix("office sign-in link: ") {
            office_link = l.trim().to_string();
        } else if line.contains("office clerk") && line.contains("signs in at") {
            office_link = line;
        } else if line.contains("signs in at") {
            link = line;
        }
    }
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let key = key.unwrap_or_else(|| panic!("no sign-in key printed after {summary:?}"));
    Started { server: Server { child, addr }, summary, link, office_link, key }
}

/// Seconds the load took, as its summary says (`… in 2.3 s`).
fn load_seconds(summary: &str) -> f64 {
    summary
        .rsplit(" in ")
        .next()
        .and_then(|s| s.trim_end_matches(" s").parse().ok())
        .unwrap_or_else(|| panic!("no load time in {summary:?}"))
}

/// The tab count the queue shows.
fn count(html: &str, tab: &str) -> i64 {
    let marker = format!("id=\"count-{tab}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no count of {tab}")) + marker.len();
    html[start..].split('<').next().and_then(|n| n.parse().ok()).expect("a count")
}

/// Money as the pages print it (`CN¥1,234.50`, `-…`) read back.
fn yuan(text: &str) -> Decimal {
    let t = text.trim();
    let digits: String = t.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect();
    let v: Decimal = digits.parse().unwrap_or_else(|_| panic!("not money: {text:?}"));
    if t.starts_with('-') { -v } else { v }
}

/// The text of the first `<… id="{id}" …>…<th …>TEXT<` cells in a row: its header cells' texts.
fn row_cells(html: &str, id: &str) -> Vec<String> {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let row = &html[start..html[start..].find("</tr>").map_or(html.len(), |e| start + e)];
    row.split("<th")
        .skip(1)
        .filter_map(|c| c.split_once('>').map(|(_, t)| t.split('<').next().unwrap_or("").to_string()))
        .collect()
}

const PASSWORD: &str = "滨江花园 demo 2026";

/// Opens the printed one-time link and chooses a password, as the welcome page's form does; the
/// session cookie it answers with.
fn welcome(addr: &str, link: &str) -> String {
    welcome_as(addr, link, "陈明")
}

/// `welcome` for the person the link is for, whom the page names.
fn welcome_as(addr: &str, link: &str, name: &str) -> String {
    let path = link.split_once(addr).map(|(_, p)| p.to_string()).unwrap_or_else(|| panic!("{link} is not on {addr}"));
    let page = http(addr, "GET", &path, &[], b"");
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains(name), "the welcome page names {name}");
    let pre = page.cookie("fl_signin_csrf").expect("CSRF cookie");
    let csrf = hidden(&page.text(), "csrf").expect("csrf");
    let code = hidden(&page.text(), "code").expect("code");
    let body = format!(
        "csrf={}&code={}&password={}&confirm={}",
        form_encode(&csrf),
        form_encode(&code),
        form_encode(PASSWORD),
        form_encode(PASSWORD)
    );
    let cookie = format!("fl_signin_csrf={pre}");
    let r = http(
        addr,
        "POST",
        "/web/welcome",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", &cookie)],
        body.as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    webkit::session_of(&r)
}

/// Signs in with the demo supervisor's phone number and password, as the sign-in form does.
fn password_sign_in(addr: &str) -> webkit::Resp {
    let page = http(addr, "GET", "/web/sign-in", &[], b"");
    let pre = page.cookie("fl_signin_csrf").expect("CSRF cookie");
    let csrf = hidden(&page.text(), "csrf").expect("csrf");
    let body =
        format!("csrf={}&login=13800138000&password={}&next=%2Fweb%2Fqueue", form_encode(&csrf), form_encode(PASSWORD));
    let cookie = format!("fl_signin_csrf={pre}");
    http(
        addr,
        "POST",
        "/web/sign-in",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", &cookie)],
        body.as_bytes(),
    )
}

struct Signed<'a> {
    addr: &'a str,
    cookie: String,
    key: &'a str,
}

impl Signed<'_> {
    fn get(&self, path: &str) -> String {
        let cookie = format!("{}; fl_lang=en", self.cookie);
        let r = http(self.addr, "GET", path, &[("Cookie", &cookie)], b"");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.text()
    }

    fn cost(&self) -> Value {
        let (s, v) = api::json_call(self.addr, self.key, "GET", "/v1/reports/cost", None);
        assert_eq!(s, 200, "{v}");
        v
    }
}

/// `SELECT COUNT(*) …` on the server's database (SQLite in the data folder, or `url`), on a thread
/// and runtime of its own.
fn count_rows(dir: &Path, url: Option<&str>, sql: &str) -> i64 {
    use sqlx::Connection;
    let (file, url, sql) = (dir.join("server.db"), url.map(str::to_string), sql.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let sql = sqlx::AssertSqlSafe(sql);
            match url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(&url).await.expect("pg");
                    sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut c).await
                }
                None => {
                    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", file.display()))
                        .await
                        .expect("sqlite");
                    sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut c).await
                }
            }
            .expect("count")
        })
    })
    .join()
    .expect("database thread")
}

/// What the database holds that a second load would duplicate.
fn held(dir: &Path, url: Option<&str>) -> Vec<i64> {
    [
        "projects",
        "documents",
        "devices",
        "approval_decisions",
        "ledger_postings",
        "cost_codes",
        "activities",
        "people",
        "memberships",
    ]
    .iter()
    .map(|t| count_rows(dir, url, &format!("SELECT COUNT(*) FROM {t}")))
    .collect()
}

fn demo_story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = start_demo(dir.path(), url);
    let took = load_seconds(&started.summary);
    eprintln!("{} ({})", started.summary, if url.is_some() { "PostgreSQL" } else { "SQLite" });
    assert!(started.summary.contains("BJHY-2"), "{}", started.summary);
    // Issue 20: a newcomer sees screens within a minute of the run command; the load's budget is
    // 10 s in a debug build (measured 1.1-1.6 s on SQLite, 3-7 s on PostgreSQL beside other builds).
    let budget = if url.is_some() { 20.0 } else { 10.0 };
    assert!(took < budget, "the demo loads within {budget} s, not {took} s");
    let addr = started.server.addr.as_str();

    // The printed link: the demo supervisor chooses a password and is signed in.
    assert!(started.link.starts_with(&format!("http://{addr}/web/welcome?code=")), "{}", started.link);
    let w = Signed { addr, cookie: welcome(addr, &started.link), key: &started.key };
    // The office clerk's link: she sees the funds centre's wage ledger, which supervisors do not.
    assert!(started.office_link.starts_with(&format!("http://{addr}/web/welcome?code=")), "{}", started.office_link);
    let clerk = Signed { addr, cookie: welcome_as(addr, &started.office_link, "王芳"), key: &started.key };
    let wages = clerk.get("/web/funds/wages");
    assert!(wages.contains("**********"), "the wage ledger lists workers with masked ID numbers");
    let cookie = format!("{}; fl_lang=en", w.cookie);
    assert_eq!(
        http(addr, "GET", "/web/funds/wages", &[("Cookie", &cookie)], b"").status,
        403,
        "supervisors see no wages"
    );
    // The printed key signs in too, as the key form does.
    let signed = webkit::sign_in(addr, &started.key, "%2Fweb%2Fqueue");
    assert_eq!(signed.status, 303, "{}", signed.text());

    // The queue: the last days wait; older ones were decided.
    let queue = w.get("/web/queue");
    let (pending, approved) = (count(&queue, "pending"), count(&queue, "approved"));
    assert!(pending >= 9, "three days of three foremen's sheets at least: {pending}");
    assert!(approved > pending, "older days mostly approved: {approved} vs {pending}");
    assert_eq!(count(&queue, "changed"), 2, "two records changed since their approval");
    assert_eq!(count(&queue, "conflicts"), 1, "one conflict between two phones");
    assert!(count(&queue, "rejected") >= 1, "some rejected with a reason");
    assert!(queue.contains("王建国") && queue.contains("李志强") && queue.contains("张卫东"), "the three foremen");

    // Approving one pending labour sheet (without conflicts) from the queue posts it.
    let (s, listed) = api::json_call(addr, &started.key, "GET", "/v1/approvals/pending", None);
    assert_eq!(s, 200, "{listed}");
    let sheet = listed["records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["kind"] == "labour_sheet" && r["status"] == "new" && r["conflict_count"] == 0)
        .expect("a pending labour sheet")
        .clone();
    let id = sheet["id"].as_str().expect("id").to_string();
    let pick = queue
        .split("class=\"pick\" name=\"rec\" value=\"")
        .skip(1)
        .filter_map(|p| p.split('"').next())
        .find(|p| p.starts_with(&format!("{id}:")))
        .unwrap_or_else(|| panic!("{id} is selectable on the queue"))
        .to_string();
    let (_, record) = api::json_call(addr, &started.key, "GET", &format!("/v1/records/{id}"), None);
    assert_eq!(record["approval"]["status"], "pending", "{record}");
    let before = dec(&w.cost()["totals"]["actual"]);
    let csrf = hidden(&queue, "csrf").expect("csrf");
    let body = format!("csrf={}&action=approve&rec={}", form_encode(&csrf), form_encode(&pick));
    let cookie = format!("{}; fl_lang=en", w.cookie);
    let r = http(
        addr,
        "POST",
        "/web/queue/decide",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", &cookie)],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("Approved: <b>1 / 1</b>"), "{}", r.text());
    let (_, record) = api::json_call(addr, &started.key, "GET", &format!("/v1/records/{id}"), None);
    assert_eq!(record["approval"]["status"], "approved", "{record}");
    let after = w.cost();
    let grew = dec(&after["totals"]["actual"]) - before;
    assert!(grew > Decimal::ZERO, "approving {sheet} posted its cost: {grew}");
    assert_eq!(count(&w.get("/web/queue"), "pending"), pending - 1);

    // The cost page shows the report's budget and actual.
    let page = w.get("/web/cost");
    let totals = row_cells(&page, "cost-totals");
    let budget = dec(&after["totals"]["budget"]);
    assert!(budget > Decimal::ZERO, "{after}");
    assert_eq!(yuan(&totals[1]), budget, "{totals:?}");
    assert_eq!(yuan(&totals[2]), dec(&after["totals"]["actual"]), "{totals:?}");
    assert!(page.contains("土方开挖及外运"), "the cost codes are named");

    // The labour page has this month's rows (the first three days of a month: last month's).
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let preset = if today.day() > 3 { "this_month" } else { "last_month" };
    let labour = w.get(&format!("/web/labour?preset={preset}"));
    let rows = labour.matches("class=\"labour-row\"").count();
    assert!(rows > 0, "labour rows for {preset}");
    assert!(labour.contains("木工") && labour.contains("钢筋工"), "trades named");

    // The foremen are members with their phones; the phones have synced (the devices screen).
    let members = "SELECT COUNT(*) FROM memberships WHERE project_id = 'BJHY-2' AND role = 'foreman'";
    assert_eq!(count_rows(dir.path(), url, members), 3);
    let synced = "SELECT COUNT(*) FROM devices WHERE last_seen_at_ms IS NOT NULL AND app_version = '1.0.0'";
    assert_eq!(count_rows(dir.path(), url, synced), 3);

    // Again with --demo: nothing loaded twice, the same key printed.
    let counts = held(dir.path(), url);
    assert!(counts.iter().all(|n| *n > 0), "{counts:?}");
    drop(started.server);
    let again = start_demo(dir.path(), url);
    assert!(again.summary.contains("loaded already"), "{}", again.summary);
    assert_eq!(again.key, started.key, "the same key");
    assert!(again.link.contains("signs in at") && again.link.contains("13800138000"), "{}", again.link);
    assert_eq!(held(dir.path(), url), counts, "nothing duplicated");
    let signed = webkit::sign_in(&again.server.addr, &again.key, "%2Fweb%2Fqueue");
    assert_eq!(signed.status, 303);
    let signed = password_sign_in(&again.server.addr);
    assert_eq!(signed.status, 303, "{}", signed.text());
    drop(again.server);
    let (ok, out, err) = cli(dir.path(), url, &["demo"]);
    assert!(ok, "{err}");
    assert!(out.contains("loaded already") && out.contains(&started.key), "{out}");
    assert_eq!(held(dir.path(), url), counts, "nothing duplicated by the command");
}

#[test]
fn demo_on_sqlite() {
    demo_story(None);
}

#[test]
fn demo_on_postgres() {
    let pg = ThrowawayPg::create();
    demo_story(Some(&pg.url()));
}

/// `--demo` on a database already holding another project loads nothing (a real company's
/// database is never filled with the demo); the `demo` command adds it beside that project.
#[test]
fn demo_beside_other_projects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("project.csv");
    std::fs::write(&csv, "name,currency\n城东学校,CNY\n").expect("csv");
    let file = csv.to_str().expect("path");
    let (ok, _, err) = cli(dir.path(), None, &["reference", "import", "--project", "P1", "--table", "project", file]);
    assert!(ok, "{err}");
    drop(start_with_args(dir.path(), None, &["--demo"]));
    assert_eq!(count_rows(dir.path(), None, "SELECT COUNT(*) FROM projects"), 1, "--demo left it alone");
    assert_eq!(count_rows(dir.path(), None, "SELECT COUNT(*) FROM documents WHERE kind = 'labour_sheet'"), 0);
    let (ok, out, err) = cli(dir.path(), None, &["demo"]);
    assert!(ok, "{err}");
    assert!(out.contains("demo company loaded"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("sign-in key: flt_")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("sign-in link: http://")), "{out}");
    assert_eq!(count_rows(dir.path(), None, "SELECT COUNT(*) FROM projects"), 2);
}

#[test]
fn demo_screens() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED demo_screens: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let started = start_demo(dir.path(), None);
    let base = format!("http://{}", started.server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    // The newcomer's way in: the printed link, a password, then the portfolio home.
    b.goto(&started.link.replace("127.0.0.1", "localhost"));
    b.wait_for("#welcome-form");
    assert_eq!(b.text("#welcome-name"), "陈明");
    b.type_into("#password", PASSWORD);
    b.type_into("#confirm", PASSWORD);
    b.click("#set-password");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.url().contains("/web/home") {
        assert!(std::time::Instant::now() < deadline, "the welcome form did not sign in: {}", b.url());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(b.source().contains("BJHY-2"), "the home lists the demo project");
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#count-pending");
    for (lang, width, height) in [("en", 1440, 900), ("en", 390, 844), ("zh-CN", 1440, 900), ("zh-CN", 390, 844)] {
        b.resize(width, height);
        b.goto(&format!("{base}/web/lang?to={lang}&back=%2Fweb%2Fqueue"));
        b.wait_for("#count-pending");
        let short = if lang == "en" { "en" } else { "zh" };
        b.screenshot(&format!("demo-queue-{short}-{width}"));
        b.goto(&format!("{base}/web/cost"));
        b.wait_for("#cost-chart svg");
        assert!(b.exists("#cost-chart a.bar-row"), "bars drawn");
        b.screenshot(&format!("demo-cost-{short}-{width}"));
        b.goto(&format!("{base}/web/schedule"));
        b.wait_for("#cards");
        b.screenshot(&format!("demo-schedule-{short}-{width}"));
        // The Gantt: one row per activity of the table, the table's late ones (actual % in red)
        // marked late, the status-date line; then the burn-down below it.
        b.wait_for("#gantt svg");
        let ids = |sel: &str, attr: &str| {
            let v = b.script(&format!(
                "return [...document.querySelectorAll('{sel}')].map(e => e.getAttribute('{attr}').replace('activity-', '')).sort();"
            ));
            v.as_array().expect("ids").iter().filter_map(|t| t.as_str().map(String::from)).collect::<Vec<_>>()
        };
        let rows = ids("#schedule-table tbody tr", "id");
        assert!(rows.len() >= 5, "{rows:?}");
        assert_eq!(ids("#gantt g.gantt-row", "data-activity"), rows, "one Gantt row per activity");
        let behind = b.script(
            "return [...document.querySelectorAll('#schedule-table tbody tr')].filter(tr => tr.querySelector('td:nth-child(3) span.bad')).map(tr => tr.id.replace('activity-', '')).sort();",
        );
        let behind: Vec<String> =
            behind.as_array().expect("late").iter().filter_map(|t| t.as_str().map(String::from)).collect();
        assert!(!behind.is_empty(), "the demo has late activities");
        assert_eq!(ids("#gantt g.gantt-row.late", "data-activity"), behind, "late ones marked");
        assert!(b.exists("#gantt line.today"), "status-date line");
        assert!(b.exists("#gantt-legend .key.late"), "legend of late");
        assert!(b.exists("#burn-down polyline.pv") && b.exists("#burn-down polyline.ev"), "burn-down lines");
        b.script("document.querySelector('#gantt').scrollIntoView(); return true;");
        b.screenshot(&format!("demo-gantt-{short}-{width}"));
        // Week zoom: a tick each Monday, wider than the box, which scrolls sideways (not the page).
        b.goto(&format!("{base}/web/schedule?zoom=week"));
        b.wait_for("#gantt svg.zoom-week");
        let wide = b.script(
            "const box = document.querySelector('#gantt .gantt-box'); return [box.scrollWidth > box.clientWidth, document.documentElement.scrollWidth <= window.innerWidth];",
        );
        assert_eq!(wide, serde_json::json!([true, true]), "week zoom scrolls inside its box at {width}");
        b.script("document.querySelector('#gantt').scrollIntoView(); return true;");
        b.screenshot(&format!("demo-gantt-week-{short}-{width}"));
        b.script("document.querySelector('#burn-down').scrollIntoView(); return true;");
        b.screenshot(&format!("demo-burndown-{short}-{width}"));
        b.goto(&format!("{base}/web/labour"));
        b.wait_for("#labour-table");
        b.screenshot(&format!("demo-labour-{short}-{width}"));
    }
}

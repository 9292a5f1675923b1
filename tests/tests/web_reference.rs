//! The admin screens for reference data (`/web/admin/reference`), through the real server binary:
//! project 一号楼 with its sites, a three-level cost code tree with budgets, activities with BAC
//! and a planned curve, trades with rates; one labour sheet synced by a foreman's phone and
//! approved, so a cost code, an activity and a site are in use.
//!
//! * `reference_edits_over_http_on_{sqlite,postgres}`: an admin adds a site, changes a cost code's
//!   budget (the cost page then shows it), adds an activity; bad input (budget `1e5` and `-3`, a
//!   duplicate code, finish before start, an unknown parent) answers 422 with the import's own
//!   message for the same cell (asked of `POST /v1/reference/import`), keeps what was typed, and
//!   stores nothing (`/v1/reference` unchanged); deleting a code in use is refused with what uses it,
//!   an unused site is deleted; rows pasted from a spreadsheet import all or nothing; a supervisor
//!   gets 403 (page and form) and changes nothing; a form without its CSRF token is refused; the
//!   foreman's phone receives the changed reference document at its next sync.
//! * `reference_screens_in_the_browser`: Chromium at 1440×900 and 390×844, English and Chinese: the
//!   same edits through the forms, the refusal at its field in the page language, the tree, cards at
//!   390 px without sideways scrolling. Screenshots: `<target>/screens/ref-*.png`.

use fieldledger_tests::api::{self, d, dec};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::records::{self, header, workbook};
use fieldledger_tests::webkit::{self, Browser, form_encode, hidden, http};
use fieldledger_tests::*;
use record_schema::{CrewLine, Currency, Effort, LabourSheet, ReferenceData};
use serde_json::{Value, json};

struct World {
    _dir: tempfile::TempDir,
    server: Server,
    admin: String,
    sup: String,
    phone: SimPhone,
}

const SHEET: &str = "0193a000-0000-7000-8000-000000000001";

fn world(url: Option<&str>) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_with(dir.path(), url);
    let book = workbook(&[
        ("project", &[&["name", "currency"], &["一号楼", "CNY"]]),
        (
            "sites",
            &[&["id", "name", "time_zone"], &["S1", "东区工地", "Asia/Shanghai"], &["S2", "西区工地", "Asia/Shanghai"]],
        ),
        (
            "cost_codes",
            &[
                &["code", "name", "parent", "budget"],
                &["01", "土方工程", "", "0"],
                &["01-100", "基坑开挖", "01", "120000"],
                &["01-200", "土方回填", "01", "45000"],
                &["02", "主体结构", "", "0"],
                &["02-100", "模板工程", "02", "380000"],
                &["02-100-01", "地下室模板", "02-100", "150000"],
                &["02-100-02", "标准层模板", "02-100", "230000"],
                &["02-200", "钢筋工程", "02", "520000"],
                &["03", "装饰装修", "", "0"],
                &["03-100", "内墙抹灰", "03", "160000"],
            ],
        ),
        (
            "activities",
            &[
                &["id", "name", "planned_start", "planned_finish", "budget", "cost_code", "curve"],
                &["A1", "土方开挖", "2026-03-01", "2026-04-30", "110000", "01-100", ""],
                &[
                    "A2",
                    "主体结构模板",
                    "2026-05-01",
                    "2026-10-31",
                    "360000",
                    "02-100",
                    "2026-05-01=0;2026-07-01=30;2026-10-31=100",
                ],
            ],
        ),
        (
            "trades",
            &[
                &["name", "day_rate", "hour_rate"],
                &["木工", "380", "47.5"],
                &["钢筋工", "360", "45"],
                &["普工", "300", ""],
            ],
        ),
    ]);
    api::import_reference(&server.addr, &admin, &book);
    // A foreman's sheet on 01-100 / A1 at S1, approved: those rows are in use.
    let sheet = LabourSheet {
        header: header(SHEET, "P1"),
        work_date: records::site_today().parse().expect("date"),
        currency: Currency::Cny,
        lines: vec![CrewLine {
            id: "l1".into(),
            position: 0,
            trade: "普工".into(),
            crew: Some("王班".into()),
            headcount: 6,
            effort: Effort::Days(d("1")),
            rate: d("300"),
            rate_unit: record_schema::TimeUnit::Day,
            hours_per_day: d("8"),
            cost_code: "01-100".into(),
            activity: Some("A1".into()),
            note: None,
            workers: vec![],
        }],
        note: None,
    };
    let mut phone = SimPhone::new(foreman);
    phone.docs.insert(SHEET.into(), records::sheet_doc(&sheet));
    let sync = phone.sync(&server.addr);
    assert!(sync.errors.is_empty(), "{:?}", sync.errors);
    api::approve_current(&server.addr, &sup, SHEET);
    World { _dir: dir, server, admin, sup, phone }
}

/// `/v1/reference` as the admin reads it.
fn reference(w: &World) -> Value {
    let (s, v) = api::json_call(&w.server.addr, &w.admin, "GET", "/v1/reference", None);
    assert_eq!(s, 200, "{v}");
    v
}

/// The row of `table` whose `key_field` is `key`.
fn row<'a>(set: &'a Value, table: &str, key_field: &str, key: &str) -> Option<&'a Value> {
    set[table].as_array()?.iter().find(|r| r[key_field] == key)
}

/// What the import answers for a CSV of `table` (its first problem's message): the message the
/// screen must show for the same cell.
fn import_message(w: &World, table: &str, csv: &str) -> String {
    let (s, v) = api::call_json(
        &w.server.addr,
        &w.admin,
        "POST",
        &format!("/v1/reference/import?table={table}"),
        csv.as_bytes(),
        "text/csv",
    );
    assert_eq!(s, 422, "{v}");
    v["errors"][0]["message"].as_str().expect("message").to_string()
}

/// Text as askama escapes it in a page.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;").replace('"', "&#34;").replace('\'', "&#39;").replace('<', "&#60;").replace('>', "&#62;")
}

/// A signed-in browser over HTTP: its cookie and its session's CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

fn session(w: &World, token: &str) -> Session {
    let cookie = webkit::session_of(&webkit::sign_in(&w.server.addr, token, "%2Fweb%2Fqueue"));
    let page = http(&w.server.addr, "GET", "/web/queue", &[("Cookie", &cookie)], b"");
    let csrf = hidden(&page.text(), "csrf").expect("csrf");
    Session { cookie, csrf }
}

fn get(w: &World, s: &Session, path: &str) -> webkit::Resp {
    http(&w.server.addr, "GET", path, &[("Cookie", &s.cookie), ("Accept-Language", "en")], b"")
}

/// Posts a form (`fields` unencoded) with the session's CSRF token.
fn post(w: &World, s: &Session, path: &str, fields: &[(&str, &str)]) -> webkit::Resp {
    let mut body: Vec<String> = vec![format!("csrf={}", s.csrf)];
    body.extend(fields.iter().map(|(k, v)| format!("{k}={}", form_encode(v))));
    http(
        &w.server.addr,
        "POST",
        path,
        &[("Cookie", &s.cookie), ("Content-Type", "application/x-www-form-urlencoded"), ("Accept-Language", "en")],
        body.join("&").as_bytes(),
    )
}

/// A refused form: (table, fields posted, the same row as CSV for the import, the column at fault,
/// what was typed there).
type BadCase = (&'static str, Vec<(&'static str, &'static str)>, &'static str, &'static str, &'static str);

#[test]
fn reference_edits_over_http_on_sqlite() {
    reference_edits_over_http(None);
}

#[test]
fn reference_edits_over_http_on_postgres() {
    let pg = ThrowawayPg::create();
    reference_edits_over_http(Some(&pg.url()));
}

fn reference_edits_over_http(url: Option<&str>) {
    let mut w = world(url);
    let admin = session(&w, &w.admin.clone());
    let before = reference(&w);

    // The page lists each table; the cost codes as their tree.
    let page = get(&w, &admin, "/web/admin/reference?tab=cost_codes");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    let order: Vec<&str> = html
        .split("class=\"ref-row ")
        .skip(1)
        .filter_map(|r| r.split("data-key=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        order,
        ["01", "01-100", "01-200", "02", "02-100", "02-100-01", "02-100-02", "02-200", "03", "03-100"],
        "tree order"
    );
    assert!(html.contains("class=\"ref-row lvl-3\" data-key=\"02-100-01\""), "third level");

    // A supervisor: 403, page and form, and nothing changes.
    let sup = session(&w, &w.sup.clone());
    assert_eq!(get(&w, &sup, "/web/admin/reference").status, 403);
    let r = post(
        &w,
        &sup,
        "/web/admin/reference/sites",
        &[("mode", "add"), ("id", "S9"), ("name", "x"), ("time_zone", "Asia/Shanghai")],
    );
    assert_eq!(r.status, 403);
    assert!(r.text().contains("Only the project&#39;s admins manage reference data."), "{}", r.text());
    // Without the CSRF token: 403 before anything happens.
    let r = http(
        &w.server.addr,
        "POST",
        "/web/admin/reference/sites",
        &[("Cookie", &admin.cookie), ("Content-Type", "application/x-www-form-urlencoded")],
        b"mode=add&id=S9&name=x&time_zone=Asia%2FShanghai",
    );
    assert_eq!(r.status, 403);
    assert_eq!(reference(&w), before, "nothing stored by refused forms");

    // Add a site.
    let r = post(
        &w,
        &admin,
        "/web/admin/reference/sites",
        &[("mode", "add"), ("id", "S3"), ("name", "北区工地"), ("time_zone", "Asia/Urumqi")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").unwrap_or_default().to_string();
    assert!(location.contains("done=added") && location.contains("key=S3"), "{location}");
    let html = get(&w, &admin, &location).text();
    assert!(html.contains("S3 added. Phones receive it at their next sync."), "{html}");
    let forged = get(&w, &admin, "/web/admin/reference?tab=sites&done=added&key=S9").text();
    assert!(!forged.contains("id=\"ref-done\""), "a link cannot claim a change that did not happen");
    let set = reference(&w);
    assert_eq!(
        row(&set, "sites", "id", "S3"),
        Some(&json!({"id": "S3", "name": "北区工地", "time_zone": "Asia/Urumqi"}))
    );

    // Bad input: the import's message for the same cell, the form as typed, nothing stored.
    let cases: [BadCase; 5] = [
        (
            "cost_codes",
            vec![("mode", "change"), ("code", "02-100"), ("name", "模板工程"), ("parent", "02"), ("budget", "1e5")],
            "code,name,parent,budget\n02-100,模板工程,02,1e5\n",
            "budget",
            "1e5",
        ),
        (
            "cost_codes",
            vec![("mode", "change"), ("code", "02-100"), ("name", "模板工程"), ("parent", "02"), ("budget", "-3")],
            "code,name,parent,budget\n02-100,模板工程,02,-3\n",
            "budget",
            "-3",
        ),
        (
            "cost_codes",
            vec![("mode", "add"), ("code", "04-100"), ("name", "外墙保温"), ("parent", "99"), ("budget", "90000")],
            "code,name,parent,budget\n04-100,外墙保温,99,90000\n",
            "parent",
            "99",
        ),
        (
            "activities",
            vec![
                ("mode", "add"),
                ("id", "A9"),
                ("name", "砌体"),
                ("planned_start", "2026-08-01"),
                ("planned_finish", "2026-07-15"),
                ("budget", "90000"),
                ("cost_code", "03-100"),
            ],
            "id,name,planned_start,planned_finish,budget,cost_code\nA9,砌体,2026-08-01,2026-07-15,90000,03-100\n",
            "planned_finish",
            "2026-07-15",
        ),
        (
            "trades",
            vec![("mode", "add"), ("name", "瓦工"), ("day_rate", "3 50"), ("hour_rate", "")],
            "name,day_rate,hour_rate\n瓦工,3 50,\n",
            "day_rate",
            "3 50",
        ),
    ];
    for (table, fields, csv, column, typed) in &cases {
        let message = import_message(&w, table, csv);
        let r = post(&w, &admin, &format!("/web/admin/reference/{table}"), fields);
        assert_eq!(r.status, 422, "{table} {fields:?}: {}", r.text());
        let html = r.text();
        assert!(html.contains(&escaped(&message)), "{table}: the import's message {message:?} on the page: {html}");
        assert!(html.contains(&format!("id=\"err-{column}\"")), "{table}: the problem at its field {column}");
        assert!(html.contains(&format!("value=\"{}\"", escaped(typed))), "{table}: what was typed is kept");
        assert_eq!(reference(&w), set, "{table} {fields:?}: nothing stored");
    }
    // A duplicate code: refused, the stored row unchanged.
    let r = post(
        &w,
        &admin,
        "/web/admin/reference/cost_codes",
        &[("mode", "add"), ("code", "01-100"), ("name", "重复"), ("parent", "01"), ("budget", "1")],
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("&#34;01-100&#34; already exists"), "{}", r.text());
    assert_eq!(reference(&w), set, "the duplicate stored nothing");
    // In Chinese: the field in words and the message translated.
    let r = http(
        &w.server.addr,
        "POST",
        "/web/admin/reference/cost_codes",
        &[
            ("Cookie", &admin.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept-Language", "zh-CN"),
        ],
        format!("csrf={}&mode=change&code=02-100&name=x&parent=02&budget=-3", admin.csrf).as_bytes(),
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("<b class=\"ref-place\">预算</b>"), "{}", r.text());
    assert!(r.text().contains("不能为负数（填的是 &#34;-3&#34;）"), "{}", r.text());

    // Change a budget: the cost page shows it.
    let r = post(
        &w,
        &admin,
        "/web/admin/reference/cost_codes",
        &[
            ("mode", "change"),
            ("code", "02-100-02"),
            ("name", "标准层模板"),
            ("parent", "02-100"),
            ("budget", "245000.50"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let set = reference(&w);
    assert_eq!(dec(&row(&set, "cost_codes", "code", "02-100-02").expect("code")["budget"]), d("245000.50"));
    let cost = get(&w, &admin, "/web/cost").text();
    let line = cost.split("id=\"code-02-100-02\"").nth(1).expect("code row").split("</tr>").next().unwrap_or_default();
    assert!(line.contains("CN¥245,000.50"), "{line}");

    // Add an activity with a planned quantity; the schedule report has its BAC.
    let r = post(
        &w,
        &admin,
        "/web/admin/reference/activities",
        &[
            ("mode", "add"),
            ("id", "A3"),
            ("name", "钢筋绑扎"),
            ("planned_start", "2026-05-01"),
            ("planned_finish", "2026-10-31"),
            ("budget", "500000"),
            ("cost_code", "02-200"),
            ("planned_quantity", "1200"),
            ("unit", "t"),
            ("curve", ""),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let set = reference(&w);
    let a3 = row(&set, "activities", "id", "A3").expect("A3");
    assert_eq!(
        (dec(&a3["budget"]), a3["cost_code"].clone(), a3["unit"].clone()),
        (d("500000"), json!("02-200"), json!("t"))
    );
    let (s, schedule) = api::json_call(&w.server.addr, &w.sup, "GET", "/v1/reports/schedule", None);
    assert_eq!(s, 200);
    assert!(schedule.to_string().contains("A3"), "{schedule}");

    // The project: its name changes; the currency is fixed once budgets are in.
    let page = get(&w, &admin, "/web/admin/reference").text();
    assert!(page.contains("<output id=\"f-currency\" class=\"ref-fixed\">CNY</output>"), "{page}");
    let r = post(&w, &admin, "/web/admin/reference/project", &[("mode", "change"), ("name", "一号楼（主楼）")]);
    assert_eq!(r.status, 303, "{}", r.text());
    let r = post(
        &w,
        &admin,
        "/web/admin/reference/project",
        &[("mode", "change"), ("name", "一号楼（主楼）"), ("currency", "USD")],
    );
    assert_eq!(r.status, 422, "a forged currency change is still the import's refusal");
    let set = reference(&w);
    assert_eq!(
        (set["project"]["name"].clone(), set["project"]["currency"].clone()),
        (json!("一号楼（主楼）"), json!("CNY"))
    );

    // Deleting what is in use is refused with what uses it; an unused site goes.
    let page = get(&w, &admin, "/web/admin/reference?tab=cost_codes&delete=01-100").text();
    assert!(page.contains("01-100 基坑开挖 cannot be deleted while it is used:"), "{page}");
    assert!(page.contains(" (approved records)") || page.contains("1 ledger posting (an approved record)"), "{page}");
    assert!(page.contains("1 record from phones"), "{page}");
    assert!(page.contains("activities earning against it: A1"), "{page}");
    assert!(!page.contains("id=\"ref-delete-yes\""), "no delete button");
    let r = post(&w, &admin, "/web/admin/reference/cost_codes/delete", &[("key", "01-100")]);
    assert_eq!(r.status, 409);
    let r = post(&w, &admin, "/web/admin/reference/cost_codes/delete", &[("key", "02-100")]);
    assert_eq!(r.status, 409, "a code with children stays");
    assert!(r.text().contains("cost codes under it: 02-100-01, 02-100-02"), "{}", r.text());
    let r = post(&w, &admin, "/web/admin/reference/sites/delete", &[("key", "S1")]);
    assert_eq!(r.status, 409, "the sheet's site stays");
    assert_eq!(reference(&w), set, "refused deletes change nothing");
    let page = get(&w, &admin, "/web/admin/reference?tab=sites&delete=S2").text();
    assert!(page.contains("id=\"ref-delete-yes\""), "{page}");
    let r = post(&w, &admin, "/web/admin/reference/sites/delete", &[("key", "S2")]);
    assert_eq!(r.status, 303);
    let set = reference(&w);
    assert!(row(&set, "sites", "id", "S2").is_none() && row(&set, "sites", "id", "S1").is_some());

    // Rows pasted from a spreadsheet: all or nothing, problems by row and column.
    let bad = "name\tday_rate\thour_rate\n抹灰工\t350\t\n油漆工\t-1\t\n";
    let r = post(&w, &admin, "/web/admin/reference/trades/import", &[("rows", bad)]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("<b class=\"ref-place\">Row 3, day rate</b>"), "{}", r.text());
    assert_eq!(reference(&w), set, "one bad cell imports nothing");
    let good = "name\tday_rate\thour_rate\n抹灰工\t350\t\n油漆工\t320\t40\n";
    let r = post(&w, &admin, "/web/admin/reference/trades/import", &[("rows", good)]);
    assert_eq!(r.status, 303, "{}", r.text());
    let set = reference(&w);
    assert_eq!(dec(&row(&set, "trades", "name", "油漆工").expect("trade")["hour_rate"]), d("40"));

    // A file sent as the screen's script sends it: the CSRF token in a header, else 403.
    let csv = "name,day_rate,hour_rate\n架子工,400,50\n";
    let send = |token: Option<&str>| {
        let mut h = vec![("Cookie", admin.cookie.as_str()), ("Content-Type", "application/octet-stream")];
        if let Some(t) = token {
            h.push(("X-CSRF-Token", t));
        }
        http(&w.server.addr, "POST", "/web/admin/reference/upload?table=trades", &h, csv.as_bytes())
    };
    assert_eq!(send(None).status, 403);
    assert_eq!(send(Some("forged")).status, 403);
    assert!(row(&reference(&w), "trades", "name", "架子工").is_none(), "refused uploads import nothing");
    let r = send(Some(&admin.csrf));
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(r.header("location").unwrap_or_default().contains("done=imported&n=1"));
    assert!(row(&reference(&w), "trades", "name", "架子工").is_some());

    // The phone receives the changed reference data at its next sync.
    let sync = w.phone.sync(&w.server.addr);
    assert!(sync.errors.is_empty(), "{:?}", sync.errors);
    let doc = w.phone.docs.get(&ReferenceData::document_id("P1")).expect("reference document");
    let data = ReferenceData::read(doc).expect("reference data");
    let sites: Vec<&str> = data.sites.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(sites, ["S1", "S3"], "S3 added, S2 deleted");
    assert!(data.activities.iter().any(|a| a.id == "A3" && a.unit.as_deref() == Some("t")));
    assert!(data.trades.iter().any(|t| t.name == "油漆工" && t.day_rate == Some(d("320"))));
    assert_eq!(data.sites.iter().find(|s| s.id == "S3").map(|s| s.time_zone.as_str()), Some("Asia/Urumqi"));
}

/// Chooses `bytes` as the upload form's file (as a person picking it would) and submits it.
fn upload(b: &Browser, bytes: &[u8], name: &str) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    b.script(&format!(
        "const bytes = Uint8Array.from(atob('{b64}'), c => c.charCodeAt(0)); \
         const t = new DataTransfer(); t.items.add(new File([bytes], '{name}')); \
         document.querySelector('#ref-file').files = t.files; return 1;"
    ));
    b.click("#ref-upload-go");
}

fn no_sideways_scroll(b: &Browser, what: &str) {
    let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
    assert_eq!(fits, json!(true), "{what}: wider than the window");
}

fn wait_url(b: &Browser, part: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.url().contains(part) {
        assert!(std::time::Instant::now() < deadline, "never reached {part}: {}", b.url());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn reference_screens_in_the_browser() {
    if !webkit::browser_available() {
        eprintln!(
            "SKIPPED reference_screens_in_the_browser: {} or {} is missing",
            webkit::CHROMIUM,
            webkit::CHROMEDRIVER
        );
        return;
    }
    let w = world(None);
    let base = format!("http://{}", w.server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/admin/reference?tab=sites"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &w.admin);
    b.click("#sign-in");
    b.wait_for("#ref-edit-form");
    // Signing in comes back to the page (its query is not kept): the project's form first.
    assert!(b.exists("#tab-project.on"), "the project tab by default");
    assert!(b.exists("#admin-tab-reference.on"), "a tab of the admin screens");
    b.screenshot("ref-project-en-1440");
    b.click("#tab-sites");
    b.wait_for("#f-time_zone");

    // English, 1440: add a site through the form (Asia/Shanghai offered first).
    assert_eq!(b.script("return document.querySelector('#f-time_zone').options[0].value;"), json!("Asia/Shanghai"));
    b.type_into("#f-id", "S3");
    b.type_into("#f-name", "北区工地");
    b.click("#ref-save");
    b.wait_for("#ref-done");
    assert!(b.text("#ref-done").contains("S3 added"), "{}", b.text("#ref-done"));
    assert!(b.exists("#ref-table tr[data-key='S3']"));
    let set = reference(&w);
    assert_eq!(row(&set, "sites", "id", "S3").map(|s| s["time_zone"].clone()), Some(json!("Asia/Shanghai")));

    // Edit a budget: a wrong one is refused at its field, then a right one shows on the cost page.
    b.goto(&format!("{base}/web/admin/reference?tab=cost_codes&edit=02-100-02"));
    b.wait_for("#f-budget");
    assert_eq!(b.attr("#f-code", "readonly").as_deref(), Some("true"), "the key cannot change");
    b.type_into("#f-budget", "-3");
    b.click("#ref-save");
    b.wait_for("#ref-problems");
    assert!(b.text("#err-budget").contains("must not be negative"), "{}", b.text("#err-budget"));
    assert_eq!(b.script("return document.querySelector('#f-budget').value;"), json!("-3"), "kept as typed");
    no_sideways_scroll(&b, "refused en 1440");
    b.screenshot("ref-refused-en-1440");
    b.type_into("#f-budget", "245000.50");
    b.click("#ref-save");
    b.wait_for("#ref-done");
    assert!(b.text("#ref-table tr[data-key='02-100-02']").contains("CN¥245,000.50"));
    no_sideways_scroll(&b, "codes en 1440");
    b.screenshot("ref-codes-en-1440");
    b.goto(&format!("{base}/web/cost"));
    b.wait_for("#cost-table");
    assert!(b.text("#code-02-100-02").contains("CN¥245,000.50"), "{}", b.text("#code-02-100-02"));

    // Add an activity; the dates are date inputs.
    b.goto(&format!("{base}/web/admin/reference?tab=activities"));
    b.wait_for("#f-planned_start");
    b.type_into("#f-id", "A3");
    b.type_into("#f-name", "钢筋绑扎");
    b.script(
        "document.querySelector('#f-planned_start').value = '2026-05-01'; \
         document.querySelector('#f-planned_finish').value = '2026-10-31'; return 1;",
    );
    b.type_into("#f-budget", "500000");
    b.type_into("#f-cost_code", "02-200");
    b.type_into("#f-curve", "2026-05-01=0; 2026-08-01=40; 2026-10-31=100");
    b.click("#ref-save");
    b.wait_for("#ref-done");
    assert!(b.exists("#ref-table tr[data-key='A3']"));
    let set = reference(&w);
    assert_eq!(row(&set, "activities", "id", "A3").map(|a| a["curve"].as_array().map(Vec::len)), Some(Some(3)));
    no_sideways_scroll(&b, "activities en 1440");
    b.screenshot("ref-activities-en-1440");
    b.script("document.querySelector('#ref-table').scrollIntoView(); return 1;");
    b.screenshot("ref-activities-list-en-1440");

    // Chinese, 1440: a refusal names the field in words.
    b.goto(&format!("{base}/web/lang?to=zh-CN&back=%2Fweb%2Fadmin%2Freference%3Ftab%3Dcost_codes"));
    b.wait_for("#ref-edit-form");
    b.type_into("#f-code", "04-100");
    b.type_into("#f-name", "外墙保温");
    b.type_into("#f-parent", "99");
    b.type_into("#f-budget", "86000");
    b.click("#ref-save");
    b.wait_for("#ref-problems");
    assert!(b.text("#ref-problems").contains("上级科目：成本科目 \"99\" 不存在"), "{}", b.text("#ref-problems"));
    assert!(row(&reference(&w), "cost_codes", "code", "04-100").is_none(), "nothing stored");
    b.screenshot("ref-refused-zh-1440");
    b.goto(&format!("{base}/web/admin/reference?tab=cost_codes&delete=01-100"));
    b.wait_for("#ref-confirm");
    assert!(b.text("#ref-confirm-title").contains("正在使用，不能删除"));
    b.screenshot("ref-codes-zh-1440");
    b.goto(&format!("{base}/web/admin/reference?tab=activities"));
    b.wait_for("#ref-table");
    b.screenshot("ref-activities-zh-1440");
    // An Excel workbook uploaded from the trades tab: a bad cell refuses it whole, by row and
    // column in words; the right one imports.
    b.goto(&format!("{base}/web/admin/reference?tab=trades"));
    b.wait_for("#ref-import summary");
    b.click("#ref-import summary");
    b.wait_for("#ref-upload:not([hidden])");
    let bad =
        workbook(&[("trades", &[&["name", "day_rate", "hour_rate"], &["抹灰工", "350", ""], &["油漆工", "-320", ""]])]);
    upload(&b, &bad, "工种.xlsx");
    b.wait_for("#ref-problems");
    assert!(b.text("#ref-problems").contains("第3行 日单价：不能为负数"), "{}", b.text("#ref-problems"));
    assert!(row(&reference(&w), "trades", "name", "抹灰工").is_none(), "nothing imported");
    assert!(!b.exists("#err-day_rate"), "a file's problem is not put on the add form's field");
    b.screenshot("ref-upload-refused-zh-1440");
    let good = workbook(&[(
        "trades",
        &[&["name", "day_rate", "hour_rate"], &["抹灰工", "350", ""], &["油漆工", "320", "40"]],
    )]);
    b.click("#ref-import summary");
    b.wait_for("#ref-upload:not([hidden])");
    upload(&b, &good, "工种.xlsx");
    b.wait_for("#ref-done");
    assert!(b.text("#ref-done").contains("已导入 2 行"), "{}", b.text("#ref-done"));
    assert!(b.exists("#ref-table tr[data-key='油漆工']"));
    assert_eq!(dec(&row(&reference(&w), "trades", "name", "油漆工").expect("trade")["hour_rate"]), d("40"));

    // Delete the unused site S3 through its row: asked first, then gone.
    b.goto(&format!("{base}/web/admin/reference?tab=sites"));
    b.wait_for("#ref-table");
    b.click("#ref-table tr[data-key='S3'] a.ref-delete");
    b.wait_for("#ref-delete-yes");
    assert!(b.text("#ref-confirm-title").contains("S3 北区工地"), "{}", b.text("#ref-confirm-title"));
    b.screenshot("ref-sites-delete-zh-1440");
    b.click("#ref-delete-yes");
    b.wait_for("#ref-done");
    assert!(!b.exists("#ref-table tr[data-key='S3']"));
    assert!(row(&reference(&w), "sites", "id", "S3").is_none(), "deleted");

    // 390 px: cards, nothing scrolls sideways.
    b.resize(390, 844);
    for (tab, name) in
        [("cost_codes", "codes"), ("activities", "activities"), ("trades", "trades"), ("project", "project")]
    {
        b.goto(&format!("{base}/web/admin/reference?tab={tab}"));
        b.wait_for("#ref-edit-form");
        no_sideways_scroll(&b, &format!("{tab} zh 390"));
        if tab != "project" {
            assert!(b.script("return getComputedStyle(document.querySelector('a.ref-jump')).display !== 'none' && document.querySelector('#ref-table').getBoundingClientRect().top < document.querySelector('#ref-form').getBoundingClientRect().top;") == json!(true), "{tab}: the list first, a link to the form");
        }
        b.screenshot(&format!("ref-{name}-zh-390"));
    }
    b.goto(&format!("{base}/web/lang?to=en&back=%2Fweb%2Fadmin%2Freference%3Ftab%3Dcost_codes"));
    b.wait_for("#ref-table");
    let card = b.script("const r = document.querySelector('#ref-table tr[data-key=\"02-100\"]').getBoundingClientRect(); return r.width <= window.innerWidth;");
    assert_eq!(card, json!(true));
    no_sideways_scroll(&b, "codes en 390");
    b.screenshot("ref-codes-en-390");
    wait_url(&b, "tab=cost_codes");
}

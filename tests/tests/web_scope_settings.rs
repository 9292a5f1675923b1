//! Sync-scope settings on the admin screens (issue 25), through the real server binary: project
//! 一号楼 with three sites, two foremen (王建国 on every site, 李志强 granted 东区工地 on the command
//! line) and a supervisor.
//!
//! * `scope_settings_over_http`: the reference screen's "What phones keep" form shows the stored
//!   settings (14 days, all own records), saves 7 and 90 days as `PUT /v1/reference/project` would
//!   (read back from the database and the page), and empty own days as "all"; 0, 367 and text are
//!   refused at their field in English and Chinese (422) and change nothing; without the CSRF token
//!   (403) or as a supervisor (403) nothing changes; values the API sets show on the page. The people
//!   screen shows each member's sites by name ("All sites" when none are set), sets a member's sites
//!   through the row's form (the people API's rules: audited; none ticked under "Only these sites" or
//!   an unknown site is refused with nothing stored) and back to all sites.
//! * `scope_settings_in_the_browser`: Chromium at 1440×900 and 390×844, English and Chinese: the
//!   same through the forms, a refusal at its field, nothing scrolling sideways at 390 px.
//!   Screenshots: `<target>/screens/scope-{reference,people}-*.png`.

use std::path::Path;

use fieldledger_tests::api::{import_three_sites, json_call};
use fieldledger_tests::webkit::{self, Browser, form_encode, hidden, http};
use fieldledger_tests::*;
use serde_json::json;

struct World {
    dir: tempfile::TempDir,
    server: Server,
    admin: String,
    sup: String,
    /// 王建国 (every site) and 李志强 (东区工地 S1), foremen.
    wang: String,
    li: String,
}

fn person(d: &Path, name: &str, phone: &str, role: &str) -> String {
    let (ok, out, err) =
        cli(d, None, &["person", "add", "--name", name, "--phone", phone, "--project", "P1", "--role", role]);
    assert!(ok, "{err}");
    out.trim().to_string()
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let admin = token_as(d, None, "P1", "admin");
    let sup = token_as(d, None, "P1", "supervisor");
    let server = start(d);
    import_three_sites(&server.addr, &admin);
    let wang = person(d, "王建国", "13812345678", "foreman");
    let li = person(d, "李志强", "13812345679", "foreman");
    person(d, "陈明", "13812345670", "supervisor");
    let (ok, _, err) =
        cli(d, None, &["person", "grant", "--person", &li, "--project", "P1", "--role", "foreman", "--site", "S1"]);
    assert!(ok, "{err}");
    World { dir, server, admin, sup, wang, li }
}

/// The project's stored settings: (window days, own days; -1 for none).
fn stored(w: &World) -> (i64, i64) {
    let one =
        |col: &str| db::count(w.dir.path(), None, &format!("SELECT COALESCE({col}, -1) FROM projects WHERE id = 'P1'"));
    (one("scope_window_days"), one("scope_own_days"))
}

/// Person `id`'s sites on P1, by id.
fn sites_of(w: &World, id: &str) -> Vec<&'static str> {
    ["S1", "S2", "S3"]
        .into_iter()
        .filter(|s| {
            db::count(
                w.dir.path(),
                None,
                &format!(
                    "SELECT count(*) FROM membership_sites WHERE person_id = '{id}' AND project_id = 'P1' AND site_id = '{s}'"
                ),
            ) == 1
        })
        .collect()
}

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

fn get(w: &World, s: &Session, path: &str, lang: &str) -> webkit::Resp {
    http(&w.server.addr, "GET", path, &[("Cookie", &s.cookie), ("Accept-Language", lang)], b"")
}

/// Posts a form (`fields` unencoded; `csrf` added unless `None`).
fn post(w: &World, s: &Session, path: &str, csrf: Option<&str>, fields: &[(&str, &str)], lang: &str) -> webkit::Resp {
    let mut body: Vec<String> = csrf.map(|c| format!("csrf={c}")).into_iter().collect();
    body.extend(fields.iter().map(|(k, v)| format!("{k}={}", form_encode(v))));
    http(
        &w.server.addr,
        "POST",
        path,
        &[("Cookie", &s.cookie), ("Content-Type", "application/x-www-form-urlencoded"), ("Accept-Language", lang)],
        body.join("&").as_bytes(),
    )
}

/// The text of the element with id `id` in `html` (its first text, up to the next tag).
fn text_of(html: &str, id: &str) -> String {
    let Some(at) = html.find(&format!("id=\"{id}\"")) else { return String::new() };
    let rest = &html[at..];
    let start = rest.find('>').map_or(0, |i| i + 1);
    rest[start..].split('<').next().unwrap_or_default().to_string()
}

const REF: &str = "/web/admin/reference?tab=project";

#[test]
fn scope_settings_over_http() {
    let w = world();
    let admin = session(&w, &w.admin);
    let page = get(&w, &admin, REF, "en").text();
    assert_eq!(
        text_of(&page, "ref-scope-now"),
        "Now: each phone keeps the last 14 days of records from its owner&#39;s sites, and every record its owner made."
    );
    assert!(page.contains("name=\"scope_window_days\" value=\"14\""), "{page}");
    assert!(page.contains("name=\"scope_own_days\" value=\"\""), "{page}");
    assert_eq!(stored(&w), (14, -1));

    // Refused: each at its field, in the page's language; nothing changes.
    for (window, own, field, en, zh) in [
        (
            "0",
            "",
            "err-scope_window_days",
            "from 1 to 366 (you entered “0”)",
            "请填写 1 到 366 之间的整数天数（填的是“0”）",
        ),
        ("367", "", "err-scope_window_days", "from 1 to 366 (you entered “367”)", "（填的是“367”）"),
        ("two weeks", "", "err-scope_window_days", "(you entered “two weeks”)", "（填的是“two weeks”）"),
        ("7", "0", "err-scope_own_days", "from 1 to 3650 (you entered “0”)", "请填写 1 到 3650 之间的整数天数"),
        ("7", "三个月", "err-scope_own_days", "(you entered “三个月”)", "（填的是“三个月”）"),
    ] {
        let fields = [("scope_window_days", window), ("scope_own_days", own)];
        let r = post(&w, &admin, "/web/admin/reference/scope", Some(&admin.csrf), &fields, "en");
        assert_eq!(r.status, 422, "{window}/{own}: {}", r.text());
        let html = r.text();
        assert!(text_of(&html, field).contains(en), "{window}/{own}: {}", text_of(&html, field));
        assert!(text_of(&html, "ref-scope-problem").contains("Nothing was changed"), "{html}");
        assert!(html.contains(&format!("value=\"{}\"", window.replace('\'', "&#39;"))), "kept as typed");
        let r = post(&w, &admin, "/web/admin/reference/scope", Some(&admin.csrf), &fields, "zh-CN");
        assert_eq!(r.status, 422);
        assert!(text_of(&r.text(), field).contains(zh), "{window}/{own}: {}", text_of(&r.text(), field));
        assert_eq!(stored(&w), (14, -1), "{window}/{own} changed nothing");
    }
    // Both wrong: both said at once.
    let fields = [("scope_window_days", "0"), ("scope_own_days", "x")];
    let html = post(&w, &admin, "/web/admin/reference/scope", Some(&admin.csrf), &fields, "en").text();
    assert!(html.contains("id=\"err-scope_window_days\"") && html.contains("id=\"err-scope_own_days\""), "{html}");

    // Without the CSRF token, or as a supervisor: refused, nothing changes.
    let good = [("scope_window_days", "7"), ("scope_own_days", "90")];
    assert_eq!(post(&w, &admin, "/web/admin/reference/scope", None, &good, "en").status, 403);
    assert_eq!(post(&w, &admin, "/web/admin/reference/scope", Some("forged"), &good, "en").status, 403);
    let sup = session(&w, &w.sup);
    assert_eq!(post(&w, &sup, "/web/admin/reference/scope", Some(&sup.csrf), &good, "en").status, 403);
    assert_eq!(stored(&w), (14, -1));

    // Saved, as the API saves it; the page says so and shows it.
    let r = post(&w, &admin, "/web/admin/reference/scope", Some(&admin.csrf), &good, "en");
    assert_eq!(r.status, 303, "{}", r.text());
    let to = r.header("location").unwrap_or_default().to_string();
    assert_eq!(to, "/web/admin/reference?tab=project&done=scope");
    assert_eq!(stored(&w), (7, 90));
    let page = get(&w, &admin, &to, "zh-CN").text();
    assert!(text_of(&page, "ref-done").contains("手机保留设置已保存"), "{page}");
    assert_eq!(
        text_of(&page, "ref-scope-now"),
        "当前：每部手机保留使用人所在工地最近 7 天的记录，以及使用人本人最近 90 天的记录。"
    );
    // Empty own days: all of them again; the window kept when left as it is.
    let r = post(
        &w,
        &admin,
        "/web/admin/reference/scope",
        Some(&admin.csrf),
        &[("scope_window_days", " 7 "), ("scope_own_days", "")],
        "en",
    );
    assert_eq!(r.status, 303);
    assert_eq!(stored(&w), (7, -1));
    // The API's rule is the same one: its refusal and what it stores show on the page.
    let (s, v) =
        json_call(&w.server.addr, &w.admin, "PUT", "/v1/reference/project", Some(json!({"scope_window_days": 367})));
    assert_eq!((s, v["field"].as_str()), (400, Some("scope_window_days")), "{v}");
    let (s, v) = json_call(
        &w.server.addr,
        &w.admin,
        "PUT",
        "/v1/reference/project",
        Some(json!({"scope_window_days": 21, "scope_own_days": 180})),
    );
    assert_eq!(s, 200, "{v}");
    let page = get(&w, &admin, REF, "en").text();
    assert!(text_of(&page, "ref-scope-now").contains(
        "the last 21 days of records from its owner&#39;s sites, and its owner&#39;s own records of the last 180 days"
    ));
    // A refused project form keeps the scope form on the page.
    let r = post(
        &w,
        &admin,
        "/web/admin/reference/project",
        Some(&admin.csrf),
        &[("mode", "change"), ("name", "一号楼"), ("currency", "CNY"), ("hours_per_day", "25")],
        "en",
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("id=\"ref-scope-form\""));

    // The people screen: sites by name, "All sites" when none are set.
    let page = get(&w, &admin, "/web/admin/people", "en").text();
    let row = |html: &str, id: &str| -> String {
        let at = html.find(&format!("data-person=\"{id}\"")).expect("row");
        html[at..].split("</tr>").next().unwrap_or_default().to_string()
    };
    assert!(row(&page, &w.wang).contains("<span class=\"acc-sites\">All sites</span>"), "{}", row(&page, &w.wang));
    assert!(row(&page, &w.li).contains("<span class=\"acc-sites\">东区工地 (S1)</span>"), "{}", row(&page, &w.li));
    let sites_path = format!("/web/admin/people/{}/role", w.wang);
    // "Only these sites" with none ticked, or a site the project has not: refused, nothing stored.
    let r = post(&w, &admin, &sites_path, Some(&admin.csrf), &[("sites_form", "1"), ("sites_mode", "only")], "zh-CN");
    assert_eq!(r.status, 400);
    assert!(row(&r.text(), &w.wang).contains("请至少勾选一个工地"), "{}", row(&r.text(), &w.wang));
    assert!(row(&r.text(), &w.wang).contains("<details class=\"acc-sites-edit\" open>"), "the row's form stays open");
    let forged = [("sites_form", "1"), ("sites_mode", "only"), ("site", "S1"), ("site", "S9")];
    let r = post(&w, &admin, &sites_path, Some(&admin.csrf), &forged, "en");
    assert_eq!(r.status, 400);
    assert!(
        row(&r.text(), &w.wang).contains("Sites: &#34;S9&#34; is not a site of project P1"),
        "{}",
        row(&r.text(), &w.wang)
    );
    assert_eq!(sites_of(&w, &w.wang), Vec::<&str>::new());
    assert_eq!(post(&w, &admin, &sites_path, None, &forged, "en").status, 403);
    assert_eq!(post(&w, &sup, &sites_path, Some(&sup.csrf), &forged[..3], "en").status, 403);
    // Two sites: stored (as the API stores them), said, shown by name, in the access log.
    let two = [("sites_form", "1"), ("sites_mode", "only"), ("site", "S1"), ("site", "S2")];
    let r = post(&w, &admin, &sites_path, Some(&admin.csrf), &two, "en");
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(sites_of(&w, &w.wang), ["S1", "S2"]);
    let page = get(&w, &admin, r.header("location").unwrap_or_default(), "en").text();
    assert_eq!(text_of(&page, "done"), "Sites of 王建国 saved: 东区工地 (S1), 西区工地 (S2).");
    assert!(row(&page, &w.wang).contains("<span class=\"acc-sites\">东区工地 (S1), 西区工地 (S2)</span>"));
    assert_eq!(
        db::count(
            w.dir.path(),
            None,
            &format!(
                "SELECT count(*) FROM access_events WHERE event = 'membership_set' AND person_id = '{}' AND detail = 'sites: S1, S2'",
                w.wang
            )
        ),
        1,
        "audited as the API's change is"
    );
    // The role form leaves the sites alone; "All sites" (boxes still ticked) clears them.
    let r = post(&w, &admin, &sites_path, Some(&admin.csrf), &[("role", "supervisor")], "en");
    assert_eq!(r.status, 303);
    assert_eq!(sites_of(&w, &w.wang), ["S1", "S2"]);
    let all = [("sites_form", "1"), ("sites_mode", "all"), ("site", "S1")];
    let r = post(&w, &admin, &sites_path, Some(&admin.csrf), &all, "zh-CN");
    assert_eq!(r.status, 303);
    assert_eq!(sites_of(&w, &w.wang), Vec::<&str>::new());
    let page = get(&w, &admin, r.header("location").unwrap_or_default(), "zh-CN").text();
    assert_eq!(text_of(&page, "done"), "已保存 王建国 的工地：全部工地。");
    // A link cannot make the page claim a change for someone who is not on the project.
    let page = get(&w, &admin, "/web/admin/people?done=sites&person=nobody", "en").text();
    assert!(!page.contains("id=\"done\""));
}

fn no_sideways_scroll(b: &Browser, what: &str) {
    let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
    assert_eq!(fits, json!(true), "{what}: wider than the window");
}

fn lang(b: &Browser, base: &str, to: &str, back: &str, wait: &str) {
    b.goto(&format!("{base}/web/lang?to={to}&back={}", form_encode(back)));
    b.wait_for(wait);
}

#[test]
fn scope_settings_in_the_browser() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let w = world();
    let base = format!("http://{}", w.server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}{REF}"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &w.admin);
    b.click("#sign-in");
    b.wait_for("#ref-scope-form");
    lang(&b, &base, "en", REF, "#ref-scope-form");
    b.script("document.querySelector('#ref-scope').scrollIntoView(); return 1;");
    b.screenshot("scope-reference-en-1440");

    // A wrong window: at its field, as typed; nothing stored.
    b.type_into("#f-scope_window_days", "0");
    b.click("#ref-scope-save");
    b.wait_for("#err-scope_window_days");
    assert!(b.text("#err-scope_window_days").contains("from 1 to 366"), "{}", b.text("#err-scope_window_days"));
    assert_eq!(b.attr("#f-scope_window_days", "value").as_deref(), Some("0"));
    assert_eq!(stored(&w), (14, -1));
    no_sideways_scroll(&b, "refused en 1440");
    b.script("document.querySelector('#ref-scope').scrollIntoView(); return 1;");
    b.screenshot("scope-reference-refused-en-1440");
    b.type_into("#f-scope_window_days", "7");
    b.type_into("#f-scope_own_days", "90");
    b.click("#ref-scope-save");
    b.wait_for("#ref-done");
    assert_eq!(stored(&w), (7, 90));
    assert!(b.text("#ref-scope-now").contains("the last 7 days of records"), "{}", b.text("#ref-scope-now"));

    // Chinese: a text refused in words, then the settings.
    lang(&b, &base, "zh-CN", REF, "#ref-scope-form");
    b.type_into("#f-scope_own_days", "三个月");
    b.click("#ref-scope-save");
    b.wait_for("#err-scope_own_days");
    assert!(
        b.text("#err-scope_own_days").contains("请填写 1 到 3650 之间的整数天数"),
        "{}",
        b.text("#err-scope_own_days")
    );
    assert_eq!(stored(&w), (7, 90));
    b.script("document.querySelector('#ref-scope').scrollIntoView(); return 1;");
    b.screenshot("scope-reference-refused-zh-1440");
    b.goto(&format!("{base}{REF}"));
    b.wait_for("#ref-scope-form");
    b.script("document.querySelector('#ref-scope').scrollIntoView(); return 1;");
    b.screenshot("scope-reference-zh-1440");

    // People: 王建国 to 东区工地 and 北区工地 through his row's form.
    lang(&b, &base, "en", "/web/admin/people", "#people");
    let row = format!("tr[data-person=\"{}\"]", w.wang);
    assert_eq!(b.text(&format!("{row} .acc-sites")), "All sites");
    assert_eq!(b.text(&format!("tr[data-person=\"{}\"] .acc-sites", w.li)), "东区工地 (S1)");
    b.click(&format!("{row} .acc-sites-edit summary"));
    b.click(&format!("{row} input[name=sites_mode][value=only]"));
    b.click(&format!("{row} input[name=site][value=S1]"));
    b.click(&format!("{row} input[name=site][value=S3]"));
    b.screenshot("scope-people-edit-en-1440");
    b.click(&format!("{row} .acc-sites-save"));
    b.wait_for("#done");
    assert_eq!(b.text("#done"), "Sites of 王建国 saved: 东区工地 (S1), 北区工地 (S3).");
    assert_eq!(sites_of(&w, &w.wang), ["S1", "S3"]);
    no_sideways_scroll(&b, "people en 1440");
    b.screenshot("scope-people-en-1440");
    lang(&b, &base, "zh-CN", "/web/admin/people", "#people");
    b.click(&format!("tr[data-person=\"{}\"] .acc-sites-edit summary", w.li));
    b.screenshot("scope-people-zh-1440");

    // 390 px: nothing scrolls sideways.
    b.resize(390, 844);
    for l in ["zh-CN", "en"] {
        let short = if l == "en" { "en" } else { "zh" };
        lang(&b, &base, l, REF, "#ref-scope-form");
        no_sideways_scroll(&b, &format!("reference {l} 390"));
        b.script("document.querySelector('#ref-scope').scrollIntoView(); return 1;");
        b.screenshot(&format!("scope-reference-{short}-390"));
        lang(&b, &base, l, "/web/admin/people", "#people");
        b.click(&format!("{row} .acc-sites-edit summary"));
        no_sideways_scroll(&b, &format!("people {l} 390"));
        b.script(&format!("document.querySelector('{}').scrollIntoView(); return 1;", row.replace('\'', "\\'")));
        b.screenshot(&format!("scope-people-{short}-390"));
    }
}

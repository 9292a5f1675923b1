//! People, roles and password sign-in through the real server binary (SQLite and PostgreSQL): people
//! and memberships made with the command line and the JSON API; the first run's link and a
//! person's link set a password; a wrong password is refused and audited, the 6th failure in a row
//! is throttled (429, counted in /metrics); scoping holds across projects (404); the office role
//! reads but never decides (403); disabling a person ends their session. The access log says the
//! command line's device keys and pairing codes in the page's language (中文 without English
//! detail); adding a person with sites over the API is all or nothing (a trigger failing the sites
//! leaves no person, membership or event).

mod common;
mod webkit;

use common::api::json_call;
use common::phone::SimPhone;
use common::*;
use serde_json::json;
use webkit::{Resp, form_encode, hidden, http};

fn post_form(addr: &str, path: &str, cookie: &str, body: &str) -> Resp {
    http(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie)],
        body.as_bytes(),
    )
}

/// The session cookie (`fl_session=…`) a response set.
fn session(r: &Resp) -> String {
    format!("fl_session={}", r.cookie("fl_session").unwrap_or_else(|| panic!("no session: {} {}", r.status, r.text())))
}

/// Signs in with a phone number or e-mail and a password, as the sign-in form does.
fn pw_sign_in(addr: &str, login: &str, password: &str) -> Resp {
    let page = http(addr, "GET", "/web/sign-in", &[], b"");
    assert_eq!(page.status, 200);
    let csrf = hidden(&page.text(), "csrf").expect("csrf");
    let cookie = format!("fl_signin_csrf={}", page.cookie("fl_signin_csrf").expect("csrf cookie"));
    let body =
        format!("csrf={csrf}&next=%2Fweb%2Fqueue&login={}&password={}", form_encode(login), form_encode(password));
    post_form(addr, "/web/sign-in", &cookie, &body)
}

/// Opens a sign-in link's page and sets `password` (twice) there.
fn welcome(addr: &str, code: &str, password: &str, confirm: &str) -> Resp {
    welcome_as(addr, code, "", password, confirm)
}

/// `welcome` for a person with no phone number or e-mail yet, who gives `login`.
fn welcome_as(addr: &str, code: &str, login: &str, password: &str, confirm: &str) -> Resp {
    let page = http(addr, "GET", &format!("/web/welcome?code={code}"), &[], b"");
    let csrf = hidden(&page.text(), "csrf").unwrap_or_default();
    let cookie = format!("fl_signin_csrf={}", page.cookie("fl_signin_csrf").unwrap_or_default());
    let body = format!(
        "csrf={csrf}&code={code}&login={}&password={}&confirm={}",
        form_encode(login),
        form_encode(password),
        form_encode(confirm)
    );
    post_form(addr, "/web/welcome", &cookie, &body)
}

/// The code of a sign-in link (`…/web/welcome?code=<code>`).
fn code_of(link: &str) -> String {
    link.trim().rsplit_once("code=").map(|(_, c)| c.trim().to_string()).unwrap_or_else(|| panic!("no code in {link:?}"))
}

/// The CSRF token of a signed-in page.
fn csrf_of(addr: &str, cookie: &str, path: &str) -> String {
    let page = http(addr, "GET", path, &[("Cookie", cookie)], b"");
    assert_eq!(page.status, 200, "{path}: {}", page.text());
    hidden(&page.text(), "csrf").expect("csrf on a signed-in page")
}

fn person_add(dir: &std::path::Path, url: Option<&str>, args: &[&str]) -> String {
    let (ok, out, err) = cli(dir, url, &[&["person", "add"], args].concat());
    assert!(ok, "person add {args:?}: {err}");
    out.trim().to_string()
}

fn link(dir: &std::path::Path, url: Option<&str>, person: &str) -> String {
    let (ok, out, err) = cli(dir, url, &["person", "link", "--person", person]);
    assert!(ok, "{err}");
    code_of(&out)
}

/// An expense of `project` synced by a foreman of it; its id.
fn expense(addr: &str, foreman: &str, id: &str, project: &str) {
    let mut phone = SimPhone::new(foreman.to_string());
    phone.docs.insert(id.into(), records::expense_doc(&records::expense(id, project)));
    let t = phone.sync(addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
}

const PASSWORD: &str = "kuaile-gongdi-2026";

/// `POST /v1/people` with sites is one transaction: when writing the sites fails (a trigger made
/// here refuses them), the person, the membership and the audit events are not kept either; with
/// the trigger gone the same request adds them all. The command line's `person add` with a project
/// likewise keeps nobody when the membership is refused.
fn adding_is_all_or_nothing(d: &std::path::Path, url: Option<&str>, addr: &str, admin_p1: &str) {
    common::api::import_three_sites(addr, admin_p1);
    refuse_inserts(d, url, "membership_sites");
    let tables = ["people", "memberships", "membership_sites", "access_events"];
    let rows = |d, url| tables.map(|t| db::count(d, url, &format!("SELECT COUNT(*) FROM {t}")));
    let before = rows(d, url);
    let body = json!({"name": "孙工", "phone": "13700000005", "role": "foreman", "sites": ["S1", "S3"]});
    let (s, v) = json_call(addr, admin_p1, "POST", "/v1/people", Some(body.clone()));
    assert_eq!(s, 500, "{v}");
    assert_eq!(db::count(d, url, "SELECT COUNT(*) FROM people WHERE phone = '13700000005'"), 0, "nobody half added");
    // Nor a membership, a site or an audit event of what was not kept.
    assert_eq!(rows(d, url), before, "{tables:?}");
    allow_inserts(d, url, "membership_sites");
    let (s, v) = json_call(addr, admin_p1, "POST", "/v1/people", Some(body));
    assert_eq!(s, 201, "{v}");
    let sun = v["person"]["id"].as_str().expect("id");
    let stored = format!("SELECT COUNT(*) FROM membership_sites WHERE person_id = '{sun}' AND project_id = 'P1'");
    assert_eq!(db::count(d, url, &stored), 2);
    let kept = format!(
        "SELECT COUNT(*) FROM access_events WHERE person_id = '{sun}' AND event IN ('person_added', 'membership_set')"
    );
    assert_eq!(db::count(d, url, &kept), 3, "added, made a foreman, given two sites");
    assert_eq!(rows(d, url), [before[0] + 1, before[1] + 1, before[2] + 2, before[3] + 3], "{tables:?}");

    // The command line's `person add --project --role` too: a refused membership keeps no person.
    refuse_inserts(d, url, "memberships");
    let before = rows(d, url);
    let args = ["person", "add", "--name", "周工", "--phone", "13700000006", "--project", "P1", "--role", "foreman"];
    let (ok, _, err) = cli(d, url, &args);
    assert!(!ok, "{err}");
    assert_eq!(rows(d, url), before, "{tables:?}");
    allow_inserts(d, url, "memberships");
    let (ok, _, err) = cli(d, url, &args);
    assert!(ok, "{err}");
    assert_eq!(rows(d, url), [before[0] + 1, before[1] + 1, before[2], before[3] + 2], "{tables:?}");
}

/// A trigger (`refuse_<table>`) that makes every insert into `table` fail.
fn refuse_inserts(d: &std::path::Path, url: Option<&str>, table: &str) {
    if url.is_some() {
        exec_sql(
            d,
            url,
            &format!(
                "CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION '{table} refused by the test'; END $$"
            ),
        );
        exec_sql(
            d,
            url,
            &format!(
                "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_{table}()"
            ),
        );
    } else {
        exec_sql(
            d,
            url,
            &format!(
                "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} \
                 BEGIN SELECT RAISE(ABORT, '{table} refused by the test'); END"
            ),
        );
    }
}

/// Drops `refuse_inserts`'s trigger.
fn allow_inserts(d: &std::path::Path, url: Option<&str>, table: &str) {
    let drop = match url {
        Some(_) => format!("DROP TRIGGER refuse_{table} ON {table}"),
        None => format!("DROP TRIGGER refuse_{table}"),
    };
    exec_sql(d, url, &drop);
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();

    // Office people have no device tokens: the command says so and makes nothing.
    let (ok, _, err) = cli(d, url, &["token", "create", "--project", "P1", "--role", "office"]);
    assert!(!ok && err.contains("office people have no device tokens"), "{err}");

    // People from the command line: a supervisor of P1 and P2, an office person of P1.
    let wang = person_add(
        d,
        url,
        &["--name", "王建国", "--phone", "+86 138-1234-5678", "--project", "P1", "--role", "supervisor"],
    );
    let (ok, _, err) = cli(d, url, &["person", "grant", "--person", &wang, "--project", "P2", "--role", "supervisor"]);
    assert!(ok, "{err}");
    let zhao = person_add(
        d,
        url,
        &[
            "--name",
            "赵会计",
            "--phone",
            "13900000001",
            "--email",
            "Zhao@Example.com",
            "--project",
            "P1",
            "--role",
            "office",
        ],
    );
    // Bad input is refused with the field named, and nothing is added.
    for (args, field) in [
        (vec!["--name", "x", "--phone", "12-34"], "phone"),
        (vec!["--name", " ", "--phone", "13900000009"], "name"),
        (vec!["--name", "y", "--phone", "13900000009", "--email", "not-an-address"], "email"),
    ] {
        let (ok, _, err) = cli(d, url, &[&["person", "add"], args.as_slice()].concat());
        assert!(!ok && err.contains(field), "{args:?}: {err}");
    }
    // The same number written otherwise is someone else's already.
    let (ok, _, err) = cli(d, url, &["person", "add", "--name", "重复", "--phone", "+86 (138) 1234.5678"]);
    assert!(!ok && err.contains("belongs to someone else"), "{err}");

    // A pairing code from the command line (30 minutes) for 王建国, audited with its facts.
    let (ok, _, err) = cli(d, url, &["pairing", "create", "--person", &wang, "--minutes", "30"]);
    assert!(ok, "{err}");

    let admin_p1 = token_as(d, url, "P1", "admin");
    let admin_p2 = token_as(d, url, "P2", "admin");
    let sup_p1 = token_as(d, url, "P1", "supervisor");
    let foreman_p1 = token(d, url, "P1");
    let foreman_p2 = token(d, url, "P2");
    let server = start_with(d, url);
    let addr = server.addr.as_str();
    expense(addr, &foreman_p1, "exp-p1", "P1");
    expense(addr, &foreman_p2, "exp-p2", "P2");

    // First run: no company admin existed, so one was made and its link logged.
    let log = std::fs::read_to_string(d.join("server.log")).expect("log");
    let first = log.lines().find(|l| l.contains("First run: open http://")).unwrap_or_else(|| panic!("{log}"));
    assert!(first.contains("to set the first admin's password (valid 24 h)"), "{first}");
    let admin_code = code_of(first.split(" to set").next().unwrap_or_default());
    // The first admin has no phone number or e-mail yet: the page asks for one.
    let page = http(addr, "GET", &format!("/web/welcome?code={admin_code}"), &[], b"").text();
    assert!(page.contains("id=\"login\""), "{page}");
    let r = welcome_as(addr, &admin_code, "", PASSWORD, PASSWORD);
    assert_eq!(r.status, 400, "no login given");
    let r = welcome_as(addr, &admin_code, "13700000000", "short", "short");
    assert_eq!(r.status, 400, "a 5-character password is refused");
    assert!(r.text().contains("at least 10"), "{}", r.text());
    // The page also asks for the admin's own name (the placeholder "Admin" filled in).
    assert!(page.contains("id=\"person-name\"") && page.contains("value=\"Admin\""), "{page}");
    let page = http(addr, "GET", &format!("/web/welcome?code={admin_code}"), &[], b"");
    let csrf = hidden(&page.text(), "csrf").unwrap_or_default();
    let cookie = format!("fl_signin_csrf={}", page.cookie("fl_signin_csrf").unwrap_or_default());
    let named = |name: &str| {
        format!(
            "csrf={csrf}&code={admin_code}&name={}&login=13700000000&password={}&confirm={}",
            form_encode(name),
            form_encode(PASSWORD),
            form_encode(PASSWORD)
        )
    };
    let r = post_form(addr, "/web/welcome", &cookie, &named(&"长".repeat(101)));
    assert_eq!(r.status, 400, "a 101-character name is refused");
    let r = post_form(addr, "/web/welcome", &cookie, &named("周建华"));
    assert_eq!((r.status, r.header("location")), (303, Some("/web/home")), "{}", r.text());
    let admin_session = session(&r);
    let home = http(addr, "GET", "/web/home", &[("Cookie", &admin_session)], b"").text();
    assert!(home.contains(">周建华 (admin) <"), "the first admin goes by their name: {home}");
    // The link worked once.
    let again = http(addr, "GET", &format!("/web/welcome?code={admin_code}"), &[], b"");
    assert_eq!(again.status, 410);
    assert!(again.text().contains("was used already"), "{}", again.text());
    assert_eq!(http(addr, "GET", "/web/welcome?code=0123", &[], b"").status, 404);

    // People set their passwords through their links, then sign in by phone or e-mail.
    assert_eq!(welcome(addr, &link(d, url, &wang), PASSWORD, PASSWORD).status, 303);
    assert_eq!(welcome(addr, &link(d, url, &zhao), PASSWORD, PASSWORD).status, 303);
    // 王建国 has two projects: he lands on his portfolio.
    let r = pw_sign_in(addr, "138 1234 5678", PASSWORD);
    assert_eq!((r.status, r.header("location")), (303, Some("/web/home")), "{}", r.text());
    let wang_s = session(&r);
    let home = http(addr, "GET", "/web/home", &[("Cookie", &wang_s)], b"").text();
    assert!(home.contains("data-project=\"P1\"") && home.contains("data-project=\"P2\""), "{home}");
    // 赵会计 has one: she goes where she was going. Her e-mail works in any case.
    let r = pw_sign_in(addr, "zhao@EXAMPLE.com", PASSWORD);
    assert_eq!((r.status, r.header("location")), (303, Some("/web/queue")), "{}", r.text());
    let zhao_s = session(&r);

    // A wrong password: refused (401), the same as an unknown account, and audited.
    let metrics = common::metrics::scrape(addr);
    let failures0 = common::metrics::counter(&metrics, "fieldledger_sign_in_failures_total");
    let r = pw_sign_in(addr, "13900000001", "wrong-password-1");
    assert_eq!(r.status, 401);
    assert!(r.text().contains("Wrong phone number, e-mail or password"), "{}", r.text());
    assert_eq!(pw_sign_in(addr, "13999999999", "wrong-password-1").status, 401);
    // Four more for 赵会计 (five in 15 minutes): the sixth attempt waits, even with her password.
    for i in 2..=5 {
        assert_eq!(pw_sign_in(addr, "13900000001", &format!("wrong-password-{i}")).status, 401, "attempt {i}");
    }
    let r = pw_sign_in(addr, "13900000001", PASSWORD);
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.text().contains("Too many failed attempts: try again in 15 minutes"), "{}", r.text());
    assert!(r.header("retry-after").is_some_and(|s| s.parse::<i64>().is_ok_and(|s| s > 800)), "{:?}", r.headers);
    assert!(r.cookie("fl_session").is_none());
    let metrics = common::metrics::scrape(addr);
    assert_eq!(common::metrics::counter(&metrics, "fieldledger_sign_in_failures_total"), failures0 + 6);
    assert_eq!(common::metrics::counter(&metrics, "fieldledger_sign_in_throttled_total"), 1);
    // Another account from the same address is not held up by hers.
    assert_eq!(pw_sign_in(addr, "138 1234 5678", PASSWORD).status, 303);

    // The company admin reads the audit of P1 in words: the failed attempts, folded.
    let r = post_form(
        addr,
        "/web/switch",
        &admin_session,
        &format!("csrf={}&project=P1&next=%2Fweb%2Fadmin%2Faudit", csrf_of(addr, &admin_session, "/web/home")),
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/web/admin/audit")), "{}", r.text());
    let audit = http(addr, "GET", "/web/admin/audit", &[("Cookie", &admin_session)], b"").text();
    assert!(audit.contains("5 failed sign-ins for 139…"), "{audit}");
    assert!(audit.contains("王建国 signed in from 127.0.0.1"), "{audit}");
    assert!(!audit.contains("13900000001"), "whole numbers are not listed");
    assert!(audit.contains("the command line created a device key: admin on project P1"), "{audit}");
    assert!(audit.contains("the command line made a pairing code for 王建国, valid 30 minutes"), "{audit}");
    // In 中文 the command line's lines are said from their facts: no English detail left.
    let zh_cookie = format!("{admin_session}; fl_lang=zh-CN");
    let audit = http(addr, "GET", "/web/admin/audit", &[("Cookie", &zh_cookie)], b"").text();
    assert!(audit.contains("命令行 创建了设备密钥：项目 P1 的管理员</span>"), "{audit}");
    assert!(audit.contains("命令行 创建了设备密钥：项目 P1 的生产经理</span>"), "{audit}");
    assert!(audit.contains("命令行 为 王建国 生成了配对码，30 分钟内有效</span>"), "{audit}");
    assert!(audit.contains("139… 登录失败 5 次 （来自 127.0.0.1）"), "{audit}");
    for english in ["command line", "valid 30", " on P1", "from 127"] {
        assert!(!audit.contains(english), "{english:?} on the 中文 log: {audit}");
    }

    // JSON API: the project's admin lists, adds, changes and removes members of P1.
    let (s, v) = json_call(addr, &admin_p1, "GET", "/v1/people", None);
    assert_eq!(s, 200, "{v}");
    let names: Vec<&str> = v["people"].as_array().expect("people").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["王建国", "赵会计"]);
    assert!(v["people"][0].get("password_hash").is_none() && !v.to_string().contains("argon2"), "{v}");
    let (s, v) = json_call(
        addr,
        &admin_p1,
        "POST",
        "/v1/people",
        Some(json!({"name": "李工长", "phone": "12", "role": "foreman"})),
    );
    assert_eq!((s, v["field"].as_str()), (400, Some("phone")), "{v}");
    let (s, v) = json_call(
        addr,
        &admin_p1,
        "POST",
        "/v1/people",
        Some(json!({"name": "李工长", "phone": "13700000002", "role": "boss"})),
    );
    assert_eq!((s, v["field"].as_str()), (400, Some("role")), "{v}");
    let (s, v) = json_call(
        addr,
        &admin_p1,
        "POST",
        "/v1/people",
        Some(json!({"name": "李工长", "phone": "13700000002", "role": "foreman"})),
    );
    assert_eq!(s, 201, "{v}");
    let li = v["person"]["id"].as_str().expect("id").to_string();
    let (s, v) = json_call(
        addr,
        &admin_p1,
        "POST",
        "/v1/people",
        Some(json!({"name": "又一个", "phone": "13700000002", "role": "foreman"})),
    );
    assert_eq!((s, v["field"].as_str()), (409, Some("phone")), "{v}");
    let (s, v) =
        json_call(addr, &admin_p1, "PUT", &format!("/v1/people/{li}/role"), Some(json!({"role": "supervisor"})));
    assert_eq!((s, v["role"].as_str()), (200, Some("supervisor")), "{v}");
    // P2's admin cannot see or touch P1's people: 404, as for nobody.
    for (method, path, body) in [
        ("PUT", format!("/v1/people/{li}/role"), Some(json!({"role": "admin"}))),
        ("PUT", format!("/v1/people/{zhao}/role"), Some(json!({"role": "admin"}))),
        ("DELETE", format!("/v1/people/{zhao}/role"), None),
        ("POST", format!("/v1/people/{zhao}/disable"), None),
        ("PUT", "/v1/people/nobody/role".to_string(), Some(json!({"role": "admin"}))),
    ] {
        let (s, v) = json_call(addr, &admin_p2, method, &path, body);
        assert_eq!(s, 404, "{method} {path}: {v}");
    }
    let (_, v) = json_call(addr, &admin_p2, "GET", "/v1/people", None);
    assert!(!v.to_string().contains("赵会计"), "{v}");
    // Lower roles: 403. The company-wide list is for company admins' devices only.
    assert_eq!(json_call(addr, &sup_p1, "GET", "/v1/people", None).0, 403);
    assert_eq!(json_call(addr, &foreman_p1, "GET", "/v1/people", None).0, 403);
    assert_eq!(json_call(addr, &admin_p1, "GET", "/v1/people?scope=company", None).0, 403);
    let (s, _) = json_call(addr, &admin_p1, "DELETE", &format!("/v1/people/{li}/role"), None);
    assert_eq!(s, 200);
    assert_eq!(json_call(addr, &admin_p1, "DELETE", &format!("/v1/people/{li}/role"), None).0, 404);
    // 李工长, on no project now, can still sign in: his home says so, the screens send him there,
    // and he can sign out.
    let li_home = session(&welcome(addr, &link(d, url, &li), PASSWORD, PASSWORD));
    let page = http(addr, "GET", "/web/home", &[("Cookie", &li_home)], b"");
    assert!(page.text().contains("You are not on any project yet"), "{}", page.text());
    let r = http(addr, "GET", "/web/queue", &[("Cookie", &li_home)], b"");
    assert_eq!((r.status, r.header("location")), (303, Some("/web/home")));
    assert_eq!(http(addr, "GET", "/web/records/exp-p1", &[("Cookie", &li_home)], b"").status, 303);
    let csrf = hidden(&page.text(), "csrf").expect("sign-out form");
    let r = post_form(addr, "/web/sign-out", &li_home, &format!("csrf={csrf}"));
    assert_eq!((r.status, r.header("location")), (303, Some("/web/sign-in")));
    assert_eq!(http(addr, "GET", "/web/home", &[("Cookie", &li_home)], b"").status, 303, "signed out");

    // Scoping on the screens: 王建国 works on P1 (his first project); P2's record is not there.
    let wang_s = session(&pw_sign_in(addr, "13812345678", PASSWORD));
    assert_eq!(http(addr, "GET", "/web/records/exp-p1", &[("Cookie", &wang_s)], b"").status, 200);
    assert_eq!(http(addr, "GET", "/web/records/exp-p2", &[("Cookie", &wang_s)], b"").status, 404);
    // Switching to a project he is not on is 404, as for one that does not exist.
    let csrf = csrf_of(addr, &wang_s, "/web/queue");
    for project in ["P3", "nope"] {
        let r = post_form(addr, "/web/switch", &wang_s, &format!("csrf={csrf}&project={project}"));
        assert_eq!(r.status, 404, "{project}");
    }
    // Without the CSRF token the switch is refused.
    assert_eq!(post_form(addr, "/web/switch", &wang_s, "project=P2").status, 403);
    let r = post_form(addr, "/web/switch", &wang_s, &format!("csrf={csrf}&project=P2&next=%2Fweb%2Frecords%2Fexp-p1"));
    assert_eq!((r.status, r.header("location")), (303, Some("/web/queue")));
    assert_eq!(http(addr, "GET", "/web/records/exp-p2", &[("Cookie", &wang_s)], b"").status, 200);
    assert_eq!(http(addr, "GET", "/web/records/exp-p1", &[("Cookie", &wang_s)], b"").status, 404);
    // A supervisor does not manage people: 403.
    assert_eq!(http(addr, "GET", "/web/admin/people", &[("Cookie", &wang_s)], b"").status, 403);

    // The office role reads reports and records but never decides.
    // (Her session from before the failed attempts still works: throttling stops sign-ins only.)
    for path in ["/web/cost", "/web/schedule", "/web/labour", "/web/queue", "/web/records/exp-p1"] {
        let r = http(addr, "GET", path, &[("Cookie", &zhao_s)], b"");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    let page = http(addr, "GET", "/web/records/exp-p1", &[("Cookie", &zhao_s)], b"").text();
    assert!(!page.contains("id=\"approve-form\"") && !page.contains("id=\"reject-form\""), "no decision forms");
    let csrf = csrf_of(addr, &zhao_s, "/web/queue");
    let r = post_form(addr, "/web/records/exp-p1/approve", &zhao_s, &format!("csrf={csrf}&heads=x&comment=ok"));
    assert_eq!(r.status, 403, "{}", r.text());
    let (s, v) = json_call(addr, &sup_p1, "GET", "/v1/approvals/pending", None);
    assert_eq!(s, 200);
    assert_eq!(v["records"][0]["status"].as_str(), Some("new"), "still pending: {v}");
    assert_eq!(http(addr, "GET", "/web/admin/people", &[("Cookie", &zhao_s)], b"").status, 403);

    // `admin create` makes another company admin and prints their link; they see every project.
    let (ok, out, err) = cli(d, url, &["--bind", addr, "admin", "create", "--name", "李强", "--phone", "13600000000"]);
    assert!(ok && err.contains("is a company admin"), "{err}");
    assert!(out.trim().starts_with(&format!("http://{addr}/web/welcome?code=")), "{out}");
    let li_s = session(&welcome(addr, &code_of(&out), PASSWORD, PASSWORD));
    let home = http(addr, "GET", "/web/home", &[("Cookie", &li_s)], b"").text();
    assert!(home.contains("data-project=\"P1\"") && home.contains("data-project=\"P2\""), "{home}");
    // 赵会计 made a company admin from the command line sees P2 as well; and back.
    let projects =
        |s: &str| http(addr, "GET", "/web/home", &[("Cookie", s)], b"").text().contains("data-project=\"P2\"");
    assert!(!projects(&zhao_s));
    assert!(cli(d, url, &["person", "company-admin", "--person", &zhao]).0);
    assert!(projects(&zhao_s), "a company admin is on every project");
    assert!(cli(d, url, &["person", "company-admin", "--person", &zhao, "--off"]).0);
    assert!(!projects(&zhao_s));
    assert!(!cli(d, url, &["person", "company-admin", "--person", "nobody"]).0);
    // The first admin signs in with the phone number given on the welcome page.
    assert_eq!(pw_sign_in(addr, "13700000000", PASSWORD).status, 303);

    // Disabling a person ends their session at once; their password no longer opens one.
    let (ok, _, err) = cli(d, url, &["person", "disable", "--person", &wang]);
    assert!(ok, "{err}");
    let r = http(addr, "GET", "/web/queue", &[("Cookie", &wang_s)], b"");
    assert_eq!(r.status, 303);
    assert!(r.header("location").is_some_and(|l| l.starts_with("/web/sign-in")), "{:?}", r.headers);
    assert_eq!(pw_sign_in(addr, "13812345678", PASSWORD).status, 401);

    // Per address: after 20 failures from one address in 15 minutes (different logins, none of
    // them at its own limit), every further attempt from it waits, whoever it names.
    let mut n = 0;
    let refused = loop {
        n += 1;
        assert!(n <= 20, "never throttled by address");
        let r = pw_sign_in(addr, &format!("1550000{n:04}"), "guess-guess-guess");
        if r.status != 401 {
            break r;
        }
    };
    assert_eq!(refused.status, 429, "{}", refused.text());
    let metrics = common::metrics::scrape(addr);
    assert_eq!(common::metrics::counter(&metrics, "fieldledger_sign_in_failures_total"), 20, "the 21st attempt waited");
    assert_eq!(pw_sign_in(addr, "13600000000", PASSWORD).status, 429, "a right password from there waits too");

    // Last, as it gives P1 a name (一号楼) and sites, which reorders 王建国's projects above.
    adding_is_all_or_nothing(d, url, addr, &admin_p1);
}

#[test]
fn people_roles_and_sign_in_on_sqlite() {
    story(None);
}

#[test]
fn people_roles_and_sign_in_on_postgres() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

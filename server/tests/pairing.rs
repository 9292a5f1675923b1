//! Phone pairing through the real server binary, on SQLite and PostgreSQL (issue 20): codes made on
//! the command line and over the API (only by an admin or supervisor, only for their project's
//! people), exchanged once for one token per project with the membership's role (office skipped),
//! refused when used, expired or unknown (typed errors, audited, counted in /metrics), the
//! phone's later memberships through `/v1/pair/refresh`, and the pairing page's QR code.

mod common;

use common::api::json_call;
use common::phone::SimPhone;
use common::*;
use serde_json::{Value, json};

struct World {
    dir: tempfile::TempDir,
    url: Option<String>,
    server: Server,
    /// Admin tokens of P1 and P2, a supervisor's and a foreman's of P1.
    admin1: String,
    admin2: String,
    sup1: String,
    foreman1: String,
    /// 王建国: foreman on P1, supervisor on P2, office on P3.
    wang: String,
    /// 李强: on P2 only.
    li: String,
}

impl World {
    fn addr(&self) -> &str {
        &self.server.addr
    }

    fn call(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        json_call(self.addr(), token, method, path, body)
    }

    fn cli(&self, args: &[&str]) -> (bool, String, String) {
        cli(self.dir.path(), self.url.as_deref(), args)
    }

    fn count(&self, sql: &str) -> i64 {
        let (dir, url, sql) = (self.dir.path().to_path_buf(), self.url.clone(), sql.to_string());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let sql = sqlx::AssertSqlSafe(sql);
                match server::db::Db::connect(url.as_deref(), &dir).await.expect("db") {
                    server::db::Db::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&p).await,
                    server::db::Db::Postgres(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&p).await,
                }
                .expect("count")
            })
        })
        .join()
        .expect("count thread")
    }

    /// `POST /v1/pair` with no token; the status and JSON answer.
    fn pair(&self, code: &str, name: &str) -> (u16, Value) {
        let body = json!({ "code": code, "device_name": name }).to_string();
        let (s, b) = post(
            self.addr(),
            "/v1/pair",
            &[("Content-Type", "application/json"), ("Fieldledger-App", "fieldledger-mobile-core/test")],
            body.as_bytes(),
        );
        let v = serde_json::from_slice(&b).unwrap_or_else(|e| panic!("{s} {:?}: {e}", String::from_utf8_lossy(&b)));
        (s, v)
    }

    /// A code made on the command line: (code, link).
    fn code_by_cli(&self, person: &str, minutes: &str) -> (String, String) {
        let (ok, out, err) = self.cli(&["pairing", "create", "--person", person, "--minutes", minutes]);
        assert!(ok, "{err}");
        let mut lines = out.lines();
        let code = lines.next().expect("code line").trim().to_string();
        let link = lines.next().expect("link line").trim().to_string();
        (code, link)
    }

    /// Audit events of `event` about `person` (read from the database).
    fn events(&self, event: &str, person: &str) -> Vec<String> {
        let (dir, url, event, person) =
            (self.dir.path().to_path_buf(), self.url.clone(), event.to_string(), person.to_string());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let db = server::db::Db::connect(url.as_deref(), &dir).await.expect("db");
                let all = server::access::audit::list(&db, None, true, None, 500).await.expect("audit");
                all.into_iter()
                    .rev()
                    .filter(|e| e.event == event && e.person_id.as_deref() == Some(&person))
                    .map(|e| format!("{} {}", e.project_id.unwrap_or_default(), e.detail))
                    .collect()
            })
        })
        .join()
        .expect("audit thread")
    }
}

fn person_add(dir: &std::path::Path, url: Option<&str>, args: &[&str]) -> String {
    let (ok, out, err) = cli(dir, url, &[&["person", "add"], args].concat());
    assert!(ok, "person add {args:?}: {err}");
    out.trim().to_string()
}

fn grant(dir: &std::path::Path, url: Option<&str>, person: &str, project: &str, role: &str) {
    let (ok, _, err) = cli(dir, url, &["person", "grant", "--person", person, "--project", project, "--role", role]);
    assert!(ok, "{err}");
}

fn world(url: Option<&str>) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let admin1 = token_as(d, url, "P1", "admin");
    let admin2 = token_as(d, url, "P2", "admin");
    let sup1 = token_as(d, url, "P1", "supervisor");
    let foreman1 = token(d, url, "P1");
    let wang =
        person_add(d, url, &["--name", "王建国", "--phone", "13800000001", "--project", "P1", "--role", "foreman"]);
    grant(d, url, &wang, "P2", "supervisor");
    grant(d, url, &wang, "P3", "office");
    let li = person_add(d, url, &["--name", "李强", "--phone", "13800000002", "--project", "P2", "--role", "foreman"]);
    let server = start_with(d, url);
    World { dir, url: url.map(str::to_string), server, admin1, admin2, sup1, foreman1, wang, li }
}

fn pairing_story(url: Option<&str>) {
    let w = world(url);
    let addr = w.addr().to_string();

    // A code from the command line: 12 Crockford characters in three groups, and the QR's link.
    let (code, link) = w.code_by_cli(&w.wang, "15");
    assert_eq!(code.len(), 14, "{code}");
    assert!(
        code.split('-').all(|g| g.len() == 4 && g.bytes().all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)))
    );
    assert!(link.starts_with("fieldledger://pair?server=http%3A%2F%2F") && link.ends_with(&format!("&code={code}")));
    assert_eq!(w.events("pairing_created", &w.wang).len(), 1);

    // Exchanged (typed in lower case, without dashes): a handset, one token per project with the
    // membership's role, office (P3) skipped.
    let typed = code.replace('-', "").to_lowercase();
    let (s, paired) = w.pair(&typed, "王建国的手机");
    assert_eq!(s, 201, "{paired}");
    assert_eq!(paired["person"], json!({ "id": w.wang, "name": "王建国" }));
    let handset = paired["handset_id"].as_str().expect("handset").to_string();
    let projects = paired["projects"].as_array().expect("projects");
    let roles: Vec<(String, String)> = projects
        .iter()
        .map(|p| (p["project_id"].as_str().unwrap_or("").to_string(), p["role"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(roles, [("P1".to_string(), "foreman".to_string()), ("P2".to_string(), "supervisor".to_string())]);
    let token_of = |p: &str| -> String {
        projects.iter().find(|x| x["project_id"] == p).and_then(|x| x["token"].as_str()).expect("token").to_string()
    };
    let (t1, t2) = (token_of("P1"), token_of("P2"));
    // Each token works on its own project only, with its role.
    let (s, who) = w.call(&t1, "GET", "/v1/whoami", None);
    assert_eq!((s, who["project_id"].as_str(), who["role"].as_str()), (200, Some("P1"), Some("foreman")), "{who}");
    let (s, who) = w.call(&t2, "GET", "/v1/whoami", None);
    assert_eq!((s, who["project_id"].as_str(), who["role"].as_str()), (200, Some("P2"), Some("supervisor")), "{who}");
    let (s, _) = w.call(&t1, "GET", "/v1/approvals/pending", None);
    assert_eq!(s, 403, "a foreman's token does not review");
    let (s, _) = w.call(&t2, "GET", "/v1/approvals/pending", None);
    assert_eq!(s, 200, "a supervisor's token reviews P2");
    // The devices list shows the phone as the person's, on one handset.
    let (s, listed) = w.call(&w.admin1, "GET", "/v1/devices", None);
    assert_eq!(s, 200);
    let mine: Vec<&Value> =
        listed["devices"].as_array().expect("devices").iter().filter(|d| d["handset_id"] == handset.as_str()).collect();
    assert_eq!(mine.len(), 1, "{listed}");
    assert_eq!(mine[0]["person_name"], "王建国");
    assert_eq!(mine[0]["name"], "王建国的手机");
    assert_eq!(w.count(&format!("SELECT COUNT(*) FROM devices WHERE handset_id = '{handset}'")), 2);
    assert_eq!(w.count(&format!("SELECT COUNT(*) FROM devices WHERE handset_id = '{handset}' AND app_version = 'fieldledger-mobile-core/test'")), 2);
    let paired_events = w.events("paired", &w.wang);
    assert_eq!(paired_events.len(), 2, "{paired_events:?}");
    assert!(paired_events[0].starts_with("P1 ") && paired_events[1].starts_with("P2 "), "{paired_events:?}");
    // A synced phone: its token syncs.
    let mut phone = SimPhone::new(t1.clone());
    phone.sync(&addr);

    // A second exchange of the same code: 409 code_used, and nothing more paired.
    let devices_before = w.count("SELECT COUNT(*) FROM devices");
    let (s, v) = w.pair(&code, "another phone");
    assert_eq!((s, v["error"].as_str(), v["field"].as_str()), (409, Some("code_used"), Some("code")), "{v}");
    assert_eq!(w.count("SELECT COUNT(*) FROM devices"), devices_before);

    // Expired (made valid for 0 minutes): 410 code_expired, the code still unused.
    let (expired, _) = w.code_by_cli(&w.wang, "0");
    let (s, v) = w.pair(&expired, "phone");
    assert_eq!((s, v["error"].as_str()), (410, Some("code_expired")), "{v}");
    assert_eq!(w.count("SELECT COUNT(*) FROM access_codes WHERE purpose = 'pair' AND used_at_ms IS NULL"), 1);

    // Unknown (well formed) and malformed: 404 code_unknown, both.
    let (s, v) = w.pair("ABCD-EFGH-JKMN", "phone");
    assert_eq!((s, v["error"].as_str()), (404, Some("code_unknown")), "{v}");
    let (s, v) = w.pair("not a code at all", "phone");
    assert_eq!((s, v["error"].as_str()), (404, Some("code_unknown")), "{v}");
    // A bad device name: 400 naming the field, the code not spent.
    let (good, _) = w.code_by_cli(&w.li, "15");
    let (s, v) = w.pair(&good, &"长".repeat(101));
    assert_eq!((s, v["field"].as_str()), (400, Some("device_name")), "{v}");
    let (s, v) = w.pair(&good, "");
    assert_eq!((s, v["field"].as_str()), (400, Some("device_name")), "{v}");
    let (s, v) = w.pair(&good, "李强的手机");
    assert_eq!(s, 201, "the code survived the bad names: {v}");
    assert_eq!(v["projects"].as_array().map(Vec::len), Some(1));
    // Missing fields and a body that is not JSON: 400, no crash.
    let (s, b) = post(&addr, "/v1/pair", &[("Content-Type", "application/json")], b"{\"device_name\":\"x\"}");
    assert_eq!(s, 400, "{}", String::from_utf8_lossy(&b));
    let (s, _) = post(&addr, "/v1/pair", &[("Content-Type", "application/json")], b"{not json");
    assert_eq!(s, 400);

    // Refusals are audited with their reason and counted in /metrics.
    let refused = w.events("pairing_refused", &w.wang);
    assert_eq!(refused.iter().map(|e| e.trim()).collect::<Vec<_>>(), ["code_used", "code_expired"], "{refused:?}");
    let m = common::metrics::scrape(&addr);
    assert_eq!(common::metrics::counter(&m, "fieldledger_pairing_refused_total"), 4, "{m}");

    // Over the API: an admin or supervisor of a project the person is on; foremen 403; another
    // project's admin 404 for a person not on it; the answer carries the QR's link.
    let (s, v) = w.call(&w.sup1, "POST", "/v1/pairing-codes", Some(json!({ "person_id": w.wang })));
    assert_eq!(s, 201, "{v}");
    let api_code = v["code"].as_str().expect("code").to_string();
    assert_eq!(v["person"]["name"], "王建国");
    assert!(v["link"].as_str().is_some_and(|l| l.ends_with(&format!("code={api_code}"))), "{v}");
    let left = v["expires_at_ms"].as_i64().expect("expiry") - now_ms();
    assert!((14 * 60_000..=15 * 60_000).contains(&left), "expires in {left} ms, not 15 minutes");
    let (s, v) = w.call(&w.foreman1, "POST", "/v1/pairing-codes", Some(json!({ "person_id": w.wang })));
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")), "{v}");
    let (s, v) = w.call(&w.admin1, "POST", "/v1/pairing-codes", Some(json!({ "person_id": w.li })));
    assert_eq!((s, v["field"].as_str()), (404, Some("person_id")), "李强 is not on P1: {v}");
    let (s, v) = w.call(&w.admin1, "POST", "/v1/pairing-codes", Some(json!({ "person_id": "nobody" })));
    assert_eq!(s, 404, "{v}");
    let (s, v) = w.call(&w.admin1, "POST", "/v1/pairing-codes", Some(json!({ "person_id": w.wang, "minutes": 0 })));
    assert_eq!((s, v["field"].as_str()), (400, Some("minutes")), "{v}");
    let (s, v) =
        w.call(&w.admin1, "POST", "/v1/pairing-codes", Some(json!({ "person_id": w.wang, "minutes": 100000 })));
    assert_eq!((s, v["field"].as_str()), (400, Some("minutes")), "{v}");
    let (s, _) = w.call("flt_wrong", "POST", "/v1/pairing-codes", Some(json!({ "person_id": w.wang })));
    assert_eq!(s, 401);
    let created = w.events("pairing_created", &w.wang);
    assert_eq!(created.len(), 3, "two on the command line, one over the API: {created:?}");
    assert!(created[2].starts_with("P1 "), "{created:?}");
    // The API's code pairs a second phone of the same person (a handset of its own).
    let (s, second) = w.pair(&api_code, "王建国的平板");
    assert_eq!(s, 201, "{second}");
    assert_ne!(second["handset_id"], handset.as_str());

    // Later memberships: 王建国 joins P4 and leaves P2. Leaving takes effect at once: P2's token
    // is 401 before any refresh (a phone need not ask to lose a project). The first phone's
    // refresh then gets P4's token.
    grant(w.dir.path(), w.url.as_deref(), &w.wang, "P4", "foreman");
    let (s, _) = w.call(&t2, "GET", "/v1/whoami", None);
    assert_eq!(s, 200, "P2's token works while 王建国 is on P2");
    let (ok, _, err) = w.cli(&["person", "revoke", "--person", &w.wang, "--project", "P2"]);
    assert!(ok, "{err}");
    let (s, _) = w.call(&t2, "GET", "/v1/whoami", None);
    assert_eq!(s, 401, "P2's token is revoked as soon as 王建国 left P2");
    // A role change reaches the phone's token at once too: a foreman made supervisor on P1 reads
    // the reports with the phone he has; made foreman again, he cannot.
    let (s, _) = w.call(&t1, "GET", "/v1/reports/cost", None);
    assert_eq!(s, 403, "a foreman's phone does not read the ledgers");
    grant(w.dir.path(), w.url.as_deref(), &w.wang, "P1", "supervisor");
    let (s, who) = w.call(&t1, "GET", "/v1/whoami", None);
    assert_eq!((s, who["role"].as_str()), (200, Some("supervisor")), "{who}");
    let (s, _) = w.call(&t1, "GET", "/v1/reports/cost", None);
    assert_eq!(s, 200, "the phone's token carries the new role");
    grant(w.dir.path(), w.url.as_deref(), &w.wang, "P1", "foreman");
    let (s, _) = w.call(&t1, "GET", "/v1/reports/cost", None);
    assert_eq!(s, 403);
    let (s, r) = w.call(&t1, "POST", "/v1/pair/refresh", None);
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["handset_id"], handset.as_str());
    assert_eq!(r["removed"], json!([]), "P2 was already gone");
    assert_eq!(r["projects"], json!(["P1", "P4"]));
    let added = r["added"].as_array().expect("added");
    assert_eq!(added.len(), 1);
    assert_eq!((added[0]["project_id"].as_str(), added[0]["role"].as_str()), (Some("P4"), Some("foreman")));
    let t4 = added[0]["token"].as_str().expect("token");
    let (s, who) = w.call(t4, "GET", "/v1/whoami", None);
    assert_eq!((s, who["project_id"].as_str()), (200, Some("P4")), "{who}");
    // A second refresh changes nothing.
    let (s, r) = w.call(t4, "POST", "/v1/pair/refresh", None);
    assert_eq!(
        (s, r["added"].as_array().map(Vec::len), r["removed"].as_array().map(Vec::len)),
        (200, Some(0), Some(0))
    );
    // A token made on the command line has no handset: 409 not_paired.
    let (s, v) = w.call(&w.foreman1, "POST", "/v1/pair/refresh", None);
    assert_eq!((s, v["error"].as_str()), (409, Some("not_paired")), "{v}");

    // Revoking the handset (any of its devices) stops every project's token.
    let p1_device = who_device(&w, &t1);
    let (s, v) = w.call(&w.admin1, "POST", &format!("/v1/devices/{p1_device}/revoke"), None);
    assert_eq!(s, 200, "{v}");
    for t in [&t1, &t4.to_string()] {
        let (s, _) = w.call(t, "GET", "/v1/whoami", None);
        assert_eq!(s, 401);
    }
    let (s, _) = w.call(&t1, "POST", "/v1/pair/refresh", None);
    assert_eq!(s, 401, "a revoked handset refreshes nothing");
    let _ = &w.admin2;
}

fn who_device(w: &World, token: &str) -> String {
    let (s, v) = w.call(token, "GET", "/v1/whoami", None);
    assert_eq!(s, 200, "{v}");
    v["device_id"].as_str().expect("device id").to_string()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[test]
fn pairing_on_sqlite() {
    pairing_story(None);
}

#[test]
fn pairing_on_postgres() {
    let pg = ThrowawayPg::create();
    pairing_story(Some(&pg.url()));
}

/// Two exchanges of one code at the same moment pair one phone: the other gets 409.
#[test]
fn a_code_pairs_once_even_when_raced() {
    for url in [None, Some(ThrowawayPg::create())] {
        let w = world(url.as_ref().map(|pg| pg.url()).as_deref());
        let (code, _) = w.code_by_cli(&w.li, "15");
        let answers: Vec<u16> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..6)
                .map(|i| {
                    s.spawn({
                        let (w, code) = (&w, code.clone());
                        move || w.pair(&code, &format!("phone {i}")).0
                    })
                })
                .collect();
            racers.into_iter().map(|h| h.join().expect("racer")).collect()
        });
        assert_eq!(answers.iter().filter(|s| **s == 201).count(), 1, "{answers:?}");
        assert_eq!(answers.iter().filter(|s| **s == 409).count(), 5, "{answers:?}");
        assert_eq!(w.count("SELECT COUNT(*) FROM devices WHERE handset_id IS NOT NULL"), 1);
    }
}

/// Past 20 refused codes from one address in 15 minutes, the next attempt is 429 with Retry-After,
/// even with a good code, and /metrics counts it.
#[test]
fn guessing_codes_is_throttled() {
    let w = world(None);
    for i in 0..20 {
        let (s, v) = w.pair(&format!("ABCD-EFGH-{:04}", i), "phone");
        assert_eq!(s, 404, "{v}");
    }
    let (good, _) = w.code_by_cli(&w.li, "15");
    let (s, v) = w.pair(&good, "phone");
    assert_eq!((s, v["error"].as_str()), (429, Some("throttled")), "{v}");
    let body = json!({ "code": good, "device_name": "phone" }).to_string();
    let r =
        common::webkit::http(w.addr(), "POST", "/v1/pair", &[("Content-Type", "application/json")], body.as_bytes());
    assert_eq!(r.status, 429);
    let retry: i64 = r.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let m = common::metrics::scrape(w.addr());
    assert_eq!(common::metrics::counter(&m, "fieldledger_pairing_throttled_total"), 2, "{m}");
    assert_eq!(w.count("SELECT COUNT(*) FROM access_codes WHERE used_at_ms IS NOT NULL"), 0, "nothing paired");
}

/// The pairing page: a supervisor signed in asks for a person's code (GET only asks), makes it with
/// the form (CSRF) and sees it as text and as an inline SVG QR code with its expiry; the code pairs;
/// no CSRF is 403 and makes nothing; another project's person 404; a foreman's key never gets in.
#[test]
fn the_pairing_page_shows_the_code_and_its_qr() {
    use common::webkit::{self, http};
    let w = world(None);
    let addr = w.addr().to_string();
    let cookie = webkit::session_of(&webkit::sign_in(&addr, &w.sup1, "%2Fweb%2Fqueue"));
    let get = |path: &str, lang: &str| http(&addr, "GET", path, &[("Cookie", &cookie), ("Accept-Language", lang)], b"");

    let asked = get(&format!("/web/admin/pairing?person={}", w.wang), "en");
    assert_eq!(asked.status, 200, "{}", asked.text());
    let html = asked.text();
    assert!(html.contains("Pair 王建国&#39;s phone") || html.contains("Pair 王建国's phone"), "{html}");
    assert!(!html.contains("<svg") && !html.contains("pair-code"), "the GET makes no code");
    assert_eq!(w.count("SELECT COUNT(*) FROM access_codes WHERE purpose = 'pair'"), 0);
    let csrf = webkit::hidden(&html, "csrf").expect("csrf");

    // Without the CSRF field: 403, nothing made.
    let body = format!("person={}", w.wang);
    let form = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let r = http(&addr, "POST", "/web/admin/pairing", &form, body.as_bytes());
    assert_eq!(r.status, 403);
    assert_eq!(w.count("SELECT COUNT(*) FROM access_codes WHERE purpose = 'pair'"), 0);

    // Made, in Chinese: the code, the QR as inline SVG, the expiry.
    let body = format!("csrf={csrf}&person={}", w.wang);
    let form = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept-Language", "zh-CN"),
    ];
    let r = http(&addr, "POST", "/web/admin/pairing", &form, body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    assert!(html.contains("为王建国绑定手机") && html.contains("有效期至"), "{html}");
    let code =
        html.split("id=\"pair-code\">").nth(1).and_then(|s| s.split('<').next()).expect("code shown").to_string();
    assert_eq!(code.len(), 14, "{code}");
    let svg = html.split("id=\"pair-qr\"").nth(1).expect("qr block");
    assert!(svg.contains("<svg") && svg.contains("</svg>") && svg.contains("viewBox"), "{svg}");
    assert!(!html.contains("<?xml"), "no XML declaration inside HTML");
    assert!(!svg.split("</svg>").next().unwrap_or("").contains("style="), "no inline style (strict CSP)");
    let link = html.split("id=\"pair-link\">").nth(1).and_then(|s| s.split('<').next()).expect("link");
    assert!(link.contains(&format!("code={code}")) && link.contains(&addr.replace(':', "%3A")), "{link}");
    assert_eq!(w.events("pairing_created", &w.wang).len(), 1);
    let (s, v) = w.pair(&code, "王建国的手机");
    assert_eq!(s, 201, "the page's code pairs: {v}");

    // 李强 is not on P1: 404 on the page and the form; a foreman's key is refused the screens.
    assert_eq!(get(&format!("/web/admin/pairing?person={}", w.li), "en").status, 404);
    let body = format!("csrf={csrf}&person={}", w.li);
    let form = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(http(&addr, "POST", "/web/admin/pairing", &form, body.as_bytes()).status, 404);
    assert_eq!(get("/web/admin/pairing", "en").status, 400, "no person named");
    // The people screen links each person to their pairing page.
    let admin = webkit::session_of(&webkit::sign_in(&addr, &w.admin1, "%2Fweb%2Fqueue"));
    let people = http(&addr, "GET", "/web/admin/people", &[("Cookie", &admin)], b"");
    assert_eq!(people.status, 200);
    assert!(people.text().contains(&format!("href=\"/web/admin/pairing?person={}\"", w.wang)), "{}", people.text());
    let foreman = webkit::sign_in(&addr, &w.foreman1, "%2Fweb%2Fqueue");
    assert!(foreman.cookie("fl_session").is_none(), "a foreman's key opens no session");
}

//! Field observations followed up in the office (issue 22, docs/observations.md), through the real
//! binary on SQLite and PostgreSQL: a foreman's phone syncs an observation; the office lists and
//! reads it; approving it is refused (409: followed up, not approved); bad follow-up input is
//! refused naming the field with nothing changed; assign, close, reopen and comment build its
//! history; another project's admin gets 404 and a foreman 403; the follow-up document reaches the
//! phone by sync with the status the office set; a voided observation leaves the list; the list
//! and record pages render in both languages and their forms work. With the demo company, the
//! screens in Chromium at 1440 and 390 px, English and Chinese:
//! `<target>/screens/observations-{list,record,record-closed}-{en,zh}-{1440,390}.png`.

mod common;
mod webkit;

use chrono::NaiveDate;
use common::funds_fixture::{Funds, setup};
use common::phone::SimPhone;
use common::records::{self, site_today};
use common::*;
use record_schema::record::Voided;
use record_schema::{FollowUp, FollowUpStatus, GeoPoint, Observation, ObservationCategory, Record, Severity};
use serde_json::{Value, json};

const OBS: &str = "0193a000-0000-7000-8000-0000000000c1";
const OTHER_OBS: &str = "0193a000-0000-7000-8000-0000000000c2";

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(&site_today(), "%Y-%m-%d").expect("today")
}

fn observation(id: &str, category: ObservationCategory, severity: Severity, title: &str) -> Observation {
    Observation {
        gps: Some(GeoPoint { latitude: 31.23042, longitude: 121.4737, accuracy_m: Some(5.0) }),
        ..records::observation(id, category, severity, title, "1#楼 6层 东侧", "6层东侧楼板边缘无防护栏杆")
    }
}

fn doc(o: &Observation) -> automerge::AutoCommit {
    records::observation_doc(o)
}

fn cookie_of(f: &Funds, lang: &str) -> String {
    let r = webkit::sign_in(&f.server.addr, &f.sup, "%2Fweb%2Fobservations");
    format!("{}; fl_lang={lang}", webkit::session_of(&r))
}

fn page(f: &Funds, path: &str, lang: &str) -> String {
    let cookie = cookie_of(f, lang);
    let r = webkit::http(&f.server.addr, "GET", path, &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.text()
}

#[test]
fn observations_on_sqlite() {
    observations(None);
}

#[test]
fn observations_on_postgres() {
    let pg = ThrowawayPg::create();
    observations(Some(&pg.url()));
}

fn observations(url: Option<&str>) {
    let f = setup(url);
    let addr = f.server.addr.clone();
    let events = || f.count(&format!("SELECT COUNT(*) FROM observation_events WHERE record_id = '{OBS}'"));

    // A foreman's phone syncs two observations.
    let mut phone = SimPhone::new(f.foreman.clone());
    phone.docs.insert(
        OBS.into(),
        doc(&observation(OBS, ObservationCategory::Safety, Severity::Critical, "3#楼5层临边防护缺失")),
    );
    phone.docs.insert(
        OTHER_OBS.into(),
        doc(&observation(OTHER_OBS, ObservationCategory::Quality, Severity::Medium, "混凝土蜂窝麻面")),
    );
    let t = phone.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);

    // The office lists them, newest first, with the counts by status; filters work.
    let (s, v) = f.call(&f.sup, "GET", "/v1/observations", None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["counts"], json!({"open": 2, "assigned": 0, "closed": 0, "overdue": 0}), "{v}");
    let rows = v["observations"].as_array().expect("observations");
    assert_eq!(rows.len(), 2, "{v}");
    let row = rows.iter().find(|r| r["record_id"] == OBS).expect("listed");
    assert_eq!(
        (row["title"].as_str(), row["category"].as_str(), row["severity"].as_str(), row["status"].as_str()),
        (Some("3#楼5层临边防护缺失"), Some("safety"), Some("critical"), Some("open"))
    );
    assert_eq!(
        (row["place"].as_str(), row["author"].as_str(), row["voided"].as_bool()),
        (Some("1#楼 6层 东侧"), Some("li"), Some(false))
    );
    let (_, v) = f.call(&f.sup, "GET", "/v1/observations?category=quality&severity=medium", None);
    assert_eq!(v["observations"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["observations"][0]["record_id"], OTHER_OBS);
    let (_, v) =
        f.call(&f.sup, "GET", &format!("/v1/observations?project=P1&site=S1&from={}&to={}", today(), today()), None);
    assert_eq!(v["observations"].as_array().map(Vec::len), Some(2), "{v}");
    for (query, field) in [
        ("status=maybe", "status"),
        ("category=fire", "category"),
        ("severity=9", "severity"),
        ("from=yesterday", "from"),
    ] {
        let (s, v) = f.call(&f.sup, "GET", &format!("/v1/observations?{query}"), None);
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{query}: {v}");
    }
    // One observation: row, (no) history and the record.
    let (s, v) = f.call(&f.sup, "GET", &format!("/v1/observations/{OBS}"), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["observation"]["status"], "open");
    assert_eq!(v["events"], json!([]));
    assert_eq!(v["record"]["gps"]["latitude"], json!(31.23042), "{v}");

    // Observations are not approved: the approval API refuses with 409, and they are not pending.
    let (_, r) = f.call(&f.sup, "GET", &format!("/v1/records/{OBS}"), None);
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/records/{OBS}/approve"), Some(json!({"heads": r["heads"]})));
    assert_eq!(s, 409, "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("followed up, not approved"), "{v}");
    let (_, v) = f.call(&f.sup, "GET", "/v1/approvals/pending", None);
    assert!(!v.to_string().contains(OBS), "an observation in the approval queue: {v}");

    // Bad input is refused naming the field; nothing changes.
    let long = "长".repeat(70);
    for (verb, body, field) in [
        ("assign", json!({}), "assignee"),
        ("assign", json!({"assignee": "  "}), "assignee"),
        ("assign", json!({"assignee": long}), "assignee"),
        ("assign", json!({"assignee": "李工", "due": "2026-13-01"}), "due"),
        ("assign", json!({"assignee": "李工", "whom": "x"}), "body"),
        ("close", json!({}), "resolution"),
        ("close", json!({"resolution": " "}), "resolution"),
        ("comment", json!({"note": ""}), "note"),
    ] {
        let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/{verb}"), Some(body.clone()));
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{verb} {body}: {v}");
    }
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/reopen"), Some(json!({})));
    assert_eq!((s, v["field"].as_str()), (409, Some("status")), "reopening an open one: {v}");
    assert_eq!(events(), 0);
    let (_, v) = f.call(&f.sup, "GET", &format!("/v1/observations/{OBS}"), None);
    assert_eq!(
        (v["observation"]["status"].as_str(), v["observation"]["assignee"].as_str()),
        (Some("open"), None),
        "{v}"
    );

    // Roles and projects: a foreman may not act (403); another project's admin sees nothing (404).
    let (s, v) = f.call(&f.foreman, "POST", &format!("/v1/observations/{OBS}/assign"), Some(json!({"assignee": "x"})));
    assert_eq!(s, 403, "{v}");
    for (method, path, body) in [
        ("GET", format!("/v1/observations/{OBS}"), None),
        ("POST", format!("/v1/observations/{OBS}/assign"), Some(json!({"assignee": "x"}))),
        ("POST", format!("/v1/observations/{OBS}/close"), Some(json!({"resolution": "x"}))),
    ] {
        let (s, v) = f.call(&f.other, method, &path, body);
        assert_eq!((s, v["field"].as_str()), (404, Some("id")), "{path}: {v}");
    }
    let (_, v) = f.call(&f.other, "GET", "/v1/observations", None);
    assert_eq!(v["observations"], json!([]), "{v}");
    let (s, _) = f.call(&f.sup, "GET", "/v1/observations?project=P2", None);
    assert_eq!(s, 404);
    assert_eq!(events(), 0);

    // Assign, close, close again (409), reopen, comment: the history grows, the status follows.
    let due = today() + chrono::Days::new(3);
    let (s, v) = f.call(
        &f.sup,
        "POST",
        &format!("/v1/observations/{OBS}/assign"),
        Some(json!({"assignee": "李工", "due": due.to_string(), "note": "今天内整改"})),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["observation"]["status"].as_str(), v["observation"]["assignee"].as_str(), v["observation"]["due"].as_str()),
        (Some("assigned"), Some("李工"), Some(due.to_string().as_str()))
    );
    let (s, v) =
        f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/close"), Some(json!({"resolution": "已安装防护栏杆"})));
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["observation"]["status"].as_str(), v["observation"]["resolution"].as_str()),
        (Some("closed"), Some("已安装防护栏杆"))
    );
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/close"), Some(json!({"resolution": "again"})));
    assert_eq!((s, v["field"].as_str()), (409, Some("status")), "{v}");
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/assign"), Some(json!({"assignee": "王工"})));
    assert_eq!((s, v["field"].as_str()), (409, Some("status")), "assigning a closed one: {v}");
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/reopen"), Some(json!({"note": "复查不合格"})));
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["observation"]["status"].as_str(), v["observation"]["resolution"].as_str()),
        (Some("assigned"), None)
    );
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/comment"), Some(json!({"note": "明早复查"})));
    assert_eq!(s, 200, "{v}");
    let actions: Vec<&str> =
        v["events"].as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["assigned", "closed", "reopened", "comment"], "{v}");
    assert_eq!(v["events"][3]["status"], "assigned");
    assert_eq!(events(), 4);
    let (_, v) = f.call(&f.sup, "GET", "/v1/observations", None);
    assert_eq!(v["counts"], json!({"open": 1, "assigned": 1, "closed": 0, "overdue": 0}), "{v}");

    // The follow-up document reaches the phone by sync, read-only, with what the office did.
    assert!(phone.sync(&addr).errors.is_empty());
    let fu = phone.docs.get(&FollowUp::document_id(OBS)).expect("follow-up document on the phone");
    let fu = FollowUp::read(fu).expect("reads as a follow-up");
    assert_eq!((fu.status, fu.assignee.as_deref(), fu.due), (FollowUpStatus::Assigned, Some("李工"), Some(due)));
    assert_eq!(fu.events.len(), 4);
    assert_eq!((fu.events[1].action.as_str(), fu.events[1].note.as_str()), ("closed", "已安装防护栏杆"));
    assert!(!phone.docs.contains_key(&FollowUp::document_id(OTHER_OBS)), "nothing done, nothing published");

    // The foreman edits the observation: the facts follow, the office's status stays.
    phone.edit(OBS, |r| {
        let Record::Observation(o) = r else { panic!("not an observation") };
        o.severity = Severity::High;
    });
    assert!(phone.sync(&addr).errors.is_empty());
    let (_, v) = f.call(&f.sup, "GET", &format!("/v1/observations/{OBS}"), None);
    assert_eq!(
        (v["observation"]["severity"].as_str(), v["observation"]["status"].as_str()),
        (Some("high"), Some("assigned"))
    );

    // The screens, in both languages.
    for (lang, words) in [
        ("zh-CN", ["现场问题", "3#楼5层临边防护缺失", "安全", "严重", "处理中", "李工", "待处理"]),
        ("en", ["Site issues", "3#楼5层临边防护缺失", "Safety", "High", "Assigned", "李工", "Open"]),
    ] {
        let html = page(&f, "/web/observations", lang);
        for w in words {
            assert!(html.contains(w), "{lang} list: {w} missing: {html}");
        }
        assert!(html.contains(&format!("href=\"/web/records/{OBS}\"")), "links to the record");
    }
    for (lang, words) in [
        ("zh-CN", ["处理跟踪", "李工", "复查不合格", "明早复查", "列入风险", "openstreetmap.org", "1#楼 6层 东侧"]),
        (
            "en",
            [
                "Follow-up",
                "李工",
                "复查不合格",
                "明早复查",
                "Raise as risk",
                "openstreetmap.org",
                "followed up, not approved",
            ],
        ),
    ] {
        let html = page(&f, &format!("/web/records/{OBS}"), lang);
        for w in words {
            assert!(html.contains(w), "{lang} record page: {w} missing: {html}");
        }
        assert!(!html.contains("id=\"approve-form\""), "{lang}: an approve form on an observation");
        let print = page(&f, &format!("/web/records/{OBS}/print"), lang);
        for w in ["3#楼5层临边防护缺失", "id=\"print-follow-up\"", "李工", "复查不合格"] {
            assert!(print.contains(w), "{lang} print page: {w} missing: {print}");
        }
    }
    // The page's forms: a close without a resolution is refused in the page's words; with one it
    // closes and comes back to the record.
    let cookie = cookie_of(&f, "zh-CN");
    let html = webkit::http(&addr, "GET", &format!("/web/records/{OBS}"), &[("Cookie", &cookie)], b"").text();
    let csrf = webkit::hidden(&html, "csrf").expect("csrf");
    let post = |path: &str, body: String| {
        webkit::http(
            &addr,
            "POST",
            path,
            &[("Cookie", &cookie), ("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    };
    let r = post(&format!("/web/observations/{OBS}/close"), format!("csrf={csrf}&resolution="));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("处理结果"), "{}", r.text());
    let r = post(&format!("/web/observations/{OBS}/close"), "csrf=wrong&resolution=x".to_string());
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(events(), 4);
    let r = post(
        &format!("/web/observations/{OBS}/close"),
        format!("csrf={csrf}&resolution={}", webkit::form_encode("已整改，复查合格")),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(r.header("location").unwrap_or_default().starts_with(&format!("/web/records/{OBS}")));
    let html = page(&f, &format!("/web/records/{OBS}?done=obs_closed"), "zh-CN");
    for w in ["已关闭", "已整改，复查合格", "重新打开", "id=\"obs-done\""] {
        assert!(html.contains(w), "after closing: {w} missing: {html}");
    }
    // Acting on it as it no longer stands: 409 in the page's language, nothing recorded.
    let before = events();
    let r = post(&format!("/web/observations/{OBS}/close"), format!("csrf={csrf}&resolution=x"));
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("该问题已关闭。"), "{}", r.text());
    let r = post(&format!("/web/observations/{OBS}/assign"), format!("csrf={csrf}&assignee=x"));
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("该问题已关闭，请先重新打开。"), "{}", r.text());
    assert_eq!(events(), before);
    let r = post(&format!("/web/records/{OBS}/approve"), format!("csrf={csrf}&heads=x"));
    assert_eq!(r.status, 409, "web approve of an observation: {}", r.text());

    // Voided by its author: it leaves the list (and its actions are refused).
    phone.edit(OTHER_OBS, |r| {
        r.header_mut().voided = Some(Voided { reason: "重复上报".into(), by: "li".into(), at_ms: 2 });
    });
    assert!(phone.sync(&addr).errors.is_empty());
    let (_, v) = f.call(&f.sup, "GET", "/v1/observations", None);
    assert_eq!(v["observations"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["counts"], json!({"open": 0, "assigned": 0, "closed": 1, "overdue": 0}), "{v}");
    let (_, v) = f.call(&f.sup, "GET", "/v1/observations?voided=true", None);
    assert_eq!(v["observations"].as_array().map(Vec::len), Some(2), "{v}");
    let (s, v) =
        f.call(&f.sup, "POST", &format!("/v1/observations/{OTHER_OBS}/assign"), Some(json!({"assignee": "x"})));
    assert_eq!(s, 409, "{v}");
}

/// The demo company's observations on the screens, in Chromium (skipped without it).
#[test]
fn observation_screens_with_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, out, err) = cli(dir.path(), None, &["demo"]);
    assert!(ok, "demo load: {out}\n{err}");
    let sup = token_as(dir.path(), None, "BJHY-2", "supervisor");
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();
    let (s, v) = api::json_call(addr, &sup, "GET", "/v1/observations", None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["counts"], json!({"open": 2, "assigned": 2, "closed": 2, "overdue": 1}), "{v}");
    let rows: Vec<Value> = v["observations"].as_array().cloned().unwrap_or_default();
    let id_of = |title: &str| {
        rows.iter().find(|r| r["title"] == title).and_then(|r| r["record_id"].as_str()).unwrap_or_default().to_string()
    };
    let open = id_of("1#楼6层东侧临边防护缺失");
    let closed = id_of("外脚手架连墙件不足");
    assert!(!open.is_empty() && !closed.is_empty(), "{v}");
    let (_, one) = api::json_call(addr, &sup, "GET", &format!("/v1/observations/{closed}"), None);
    assert_eq!(one["events"].as_array().map(Vec::len), Some(2), "{one}");

    if !webkit::browser_available() {
        eprintln!("SKIPPED the screenshots: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let base = format!("http://{}", addr.replace("127.0.0.1", "localhost"));
    let b = webkit::Browser::start(1440, 900);
    b.goto(&format!("{base}/web/sign-in"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &sup);
    b.click("#sign-in");
    b.wait_for("nav");
    let pages = [
        ("list", "/web/observations".to_string(), "#observations"),
        ("record", format!("/web/records/{open}"), "#follow-up"),
        ("record-closed", format!("/web/records/{closed}"), "#follow-up"),
        ("print", format!("/web/records/{closed}/print"), "#print-follow-up"),
    ];
    for (lang, width, height) in [("en", 1440, 900), ("en", 390, 844), ("zh-CN", 1440, 900), ("zh-CN", 390, 844)] {
        b.resize(width, height);
        b.goto(&format!("{base}/web/lang?to={lang}&back=%2Fweb%2Fobservations"));
        b.wait_for("#observations");
        let short = if lang == "en" { "en" } else { "zh" };
        for (name, path, ready) in &pages {
            b.goto(&format!("{base}{path}"));
            b.wait_for(ready);
            b.screenshot(&format!("observations-{name}-{short}-{width}"));
            if name.starts_with("record") {
                b.script("document.getElementById('follow-up').scrollIntoView(); return 0;");
                b.screenshot(&format!("observations-{name}-{short}-{width}-panel"));
            }
        }
    }
}

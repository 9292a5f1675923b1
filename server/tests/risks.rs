//! The risk register (issue 22, docs/risks.md), through the real binary on SQLite and PostgreSQL:
//! risks created, edited, closed and reopened with every changed field in the history; refusals
//! naming the field with nothing stored; levels by score and the 5×5 matrix's counts; another
//! project's risk is 404, a foreman 403; the register exported as CSV and XLSX in both languages
//! (the XLSX read back); an observation synced by a simulated phone promoted to a risk (impact from
//! its severity, its follow-up document naming the risk on the phone), promoting it twice 409
//! naming the risk; the screens and their forms in both languages. With the demo company, the
//! screens in Chromium at 1440 and 390 px, English and Chinese:
//! `<target>/screens/risks-{list,detail,promoted}-{en,zh}-{1440,390}.png`.

mod common;
mod webkit;

use calamine::{Data, Reader, Xlsx};
use chrono::{Duration, NaiveDate};
use common::funds_fixture::{Funds, setup};
use common::phone::SimPhone;
use common::records::{self, site_today};
use common::*;
use record_schema::{FollowUp, Observation, ObservationCategory, Severity};
use serde_json::{Value, json};

const OBS: &str = "0193a000-0000-7000-8000-0000000000d1";
const DELAY_OBS: &str = "0193a000-0000-7000-8000-0000000000d2";

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(&site_today(), "%Y-%m-%d").expect("today")
}

fn observation(id: &str, category: ObservationCategory, severity: Severity, title: &str) -> Observation {
    records::observation(id, category, severity, title, "2#楼 塔吊基础", "塔吊基础旁堆放钢筋，距基坑边不足1米")
}

fn doc(o: &Observation) -> automerge::AutoCommit {
    records::observation_doc(o)
}

fn cookie_of(f: &Funds, lang: &str) -> String {
    let r = webkit::sign_in(&f.server.addr, &f.sup, "%2Fweb%2Frisks");
    format!("{}; fl_lang={lang}", webkit::session_of(&r))
}

fn raw(f: &Funds, token: &str, path: &str) -> (u16, Vec<u8>) {
    api::fetch(&f.server.addr, token, path)
}

fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("XLSX reads");
    let name = book.sheet_names()[0].clone();
    let cells = book.worksheet_range(&name).expect("sheet");
    cells
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(x) => format!("{x}"),
                    Data::Int(x) => format!("{x}"),
                    Data::DateTime(d) => d.as_datetime().map(|t| t.date().to_string()).unwrap_or_default(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("BOM");
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    r.records().map(|x| x.expect("csv row").iter().map(str::to_string).collect()).collect()
}

#[test]
fn risks_on_sqlite() {
    risks(None);
}

#[test]
fn risks_on_postgres() {
    let pg = ThrowawayPg::create();
    risks(Some(&pg.url()));
}

fn risks(url: Option<&str>) {
    let f = setup(url);
    let addr = f.server.addr.clone();
    let stored = || (f.count("SELECT COUNT(*) FROM risks"), f.count("SELECT COUNT(*) FROM risk_events"));
    let due = today() + Duration::days(10);

    // Created by a supervisor: numbered R-0001, score and level from probability × impact.
    let body = json!({
        "title": "雨季施工影响土方开挖", "description": "连续降雨导致基坑积水", "category": "schedule",
        "probability": 4, "impact": "4", "owner": "生产经理 陈明", "strategy": "mitigate",
        "response": "储备抽水泵，雨前覆盖边坡", "due": due.to_string()
    });
    let (s, v) = f.call(&f.sup, "POST", "/v1/risks", Some(body));
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["label"].as_str(), v["score"].as_i64(), v["level"].as_str(), v["status"].as_str()),
        (Some("R-0001"), Some(16), Some("high"), Some("open")),
        "{v}"
    );
    assert_eq!((v["category"].as_str(), v["strategy"].as_str()), (Some("schedule"), Some("mitigate")));
    assert_eq!((v["due"].as_str(), v["overdue"].as_bool()), (Some(due.to_string().as_str()), Some(false)));
    assert_eq!(stored(), (1, 1));

    // Refusals name the field; nothing is stored.
    let ok = |extra: Value| {
        let mut b = json!({"title": "塔吊租赁到期", "probability": 3, "impact": 3});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            b[k] = v;
        }
        b
    };
    let long = "长".repeat(67); // 201 bytes
    let cases = [
        (json!({"probability": 3, "impact": 3}), "title", 422),
        (ok(json!({"title": "  "})), "title", 422),
        (ok(json!({"title": long})), "title", 422),
        (ok(json!({"owner": long})), "owner", 422),
        (ok(json!({"probability": 6})), "probability", 422),
        (ok(json!({"probability": 0})), "probability", 422),
        (ok(json!({"probability": 2.5})), "probability", 422),
        (ok(json!({"probability": "high"})), "probability", 422),
        (json!({"title": "x", "probability": 3}), "impact", 422),
        (ok(json!({"impact": -1})), "impact", 422),
        (ok(json!({"due": "2026-02-30"})), "due", 422),
        (ok(json!({"due": "next week"})), "due", 422),
        (ok(json!({"category": "fire"})), "category", 422),
        (ok(json!({"strategy": "pray"})), "strategy", 422),
        (ok(json!({"status": "closed"})), "status", 422),
        (ok(json!({"colour": "red"})), "colour", 400),
        (ok(json!({"impact": true})), "impact", 400),
    ];
    for (body, field, status) in cases {
        let (s, v) = f.call(&f.sup, "POST", "/v1/risks", Some(body.clone()));
        assert_eq!((s, v["field"].as_str()), (status, Some(field)), "{body}: {v}");
    }
    assert_eq!(stored(), (1, 1), "a refused risk stored something");

    // Roles and scoping: a foreman may not read or act; another project's admin sees no such risk.
    let (s, _) = f.call(&f.foreman, "GET", "/v1/risks", None);
    assert_eq!(s, 403);
    let (s, _) = f.call(&f.foreman, "POST", "/v1/risks", Some(ok(json!({}))));
    assert_eq!(s, 403);
    for (method, path, body) in [
        ("GET", "/v1/risks/R-0001", None),
        ("PUT", "/v1/risks/R-0001", Some(json!({"impact": 1}))),
        ("POST", "/v1/risks/R-0001/close", Some(json!({}))),
    ] {
        let (s, v) = f.call(&f.other, method, path, body);
        assert_eq!((s, v["field"].as_str()), (404, Some("label")), "{method} {path}: {v}");
    }
    let (_, v) = f.call(&f.other, "GET", "/v1/risks", None);
    assert_eq!(v["risks"], json!([]), "another project's register lists P1's risks: {v}");
    let (s, v) = f.call(&f.sup, "GET", "/v1/risks/R-9", None);
    assert_eq!((s, v["field"].as_str()), (404, Some("label")));
    let (s, v) = f.call(&f.sup, "GET", "/v1/risks?project=P2", None);
    assert_eq!((s, v["field"].as_str()), (404, Some("project")), "{v}");

    // A partial edit: each changed field one event, from → to; null clears.
    let (s, v) = f.call(
        &f.sup,
        "PUT",
        "/v1/risks/R-0001",
        Some(json!({"probability": 5, "owner": "技术负责人 赵工", "due": null, "title": "雨季施工影响土方开挖"})),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["score"].as_i64(), v["level"].as_str(), v["due"].clone()), (Some(20), Some("critical"), Value::Null));
    let (_, v) = f.call(&f.sup, "GET", "/v1/risks/R-0001", None);
    let history: Vec<(String, String, Value, Value, String)> = v["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["field"].as_str().unwrap_or_default().to_string(),
                e["from"].clone(),
                e["to"].clone(),
                e["by"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(history.len(), 4, "{v}");
    assert_eq!(history[0].0, "created");
    let edited: Vec<(&str, &str, Value, Value)> =
        history[1..].iter().map(|h| (h.0.as_str(), h.1.as_str(), h.2.clone(), h.3.clone())).collect();
    assert_eq!(
        edited,
        vec![
            ("edited", "probability", json!("4"), json!("5")),
            ("edited", "owner", json!("生产经理 陈明"), json!("技术负责人 赵工")),
            ("edited", "due", json!(due.to_string()), Value::Null),
        ]
    );
    assert!(history.iter().all(|h| !h.4.is_empty()), "every event names who: {v}");
    // The same values again change nothing; a refused edit changes nothing.
    let (s, _) = f.call(&f.sup, "PUT", "/v1/risks/R-0001", Some(json!({"probability": "5"})));
    assert_eq!(s, 200);
    let (s, v) = f.call(&f.sup, "PUT", "/v1/risks/R-0001", Some(json!({"probability": 2, "impact": 9})));
    assert_eq!((s, v["field"].as_str()), (422, Some("impact")), "{v}");
    let (_, v) = f.call(&f.sup, "GET", "/v1/risks/R-0001", None);
    assert_eq!(v["probability"], 5, "a refused edit changed the risk: {v}");
    assert_eq!(stored(), (1, 4));

    // Status: mitigating by edit; close with a note; closed twice 409; a closed risk is not edited
    // until reopened.
    let (_, v) = f.call(&f.sup, "PUT", "/v1/risks/R-0001", Some(json!({"status": "mitigating"})));
    assert_eq!(v["status"], "mitigating", "{v}");
    let (s, v) = f.call(&f.sup, "POST", "/v1/risks/R-0001/close", Some(json!({"note": "土方已完成"})));
    assert_eq!((s, v["status"].as_str()), (200, Some("closed")), "{v}");
    let (s, v) = f.call(&f.sup, "POST", "/v1/risks/R-0001/close", None);
    assert_eq!((s, v["field"].as_str()), (409, Some("status")), "{v}");
    let (s, v) = f.call(&f.sup, "PUT", "/v1/risks/R-0001", Some(json!({"impact": 1})));
    assert_eq!((s, v["field"].as_str()), (409, Some("status")), "{v}");
    let (s, v) = f.call(&f.admin, "POST", "/v1/risks/R-0001/reopen", Some(json!({"note": "又遇暴雨"})));
    assert_eq!((s, v["status"].as_str()), (200, Some("open")), "{v}");
    let (s, _) = f.call(&f.sup, "POST", "/v1/risks/R-0001/reopen", None);
    assert_eq!(s, 409);
    let (_, v) = f.call(&f.sup, "GET", "/v1/risks/R-0001", None);
    let tail: Vec<(Value, Value, Value, Value)> = v["history"].as_array().expect("history")[4..]
        .iter()
        .map(|e| (e["action"].clone(), e["from"].clone(), e["to"].clone(), e["note"].clone()))
        .collect();
    assert_eq!(
        tail,
        vec![
            (json!("edited"), json!("open"), json!("mitigating"), Value::Null),
            (json!("closed"), json!("mitigating"), json!("closed"), json!("土方已完成")),
            (json!("reopened"), json!("closed"), json!("open"), json!("又遇暴雨")),
        ],
        "{v}"
    );

    // Levels: low 1–4, medium 5–9, high 10–16, critical 20–25.
    for (p, i, level) in
        [(1, 4, "low"), (1, 5, "medium"), (3, 3, "medium"), (2, 5, "high"), (4, 4, "high"), (5, 5, "critical")]
    {
        let (s, v) = f.call(
            &f.sup,
            "POST",
            "/v1/risks",
            Some(json!({"title": format!("P{p} I{i}"), "probability": p, "impact": i})),
        );
        assert_eq!((s, v["level"].as_str(), v["score"].as_i64()), (201, Some(level), Some(p * i)), "{v}");
    }
    // R-0007 (5×5) closed: not in the default matrix.
    let (s, _) = f.call(&f.sup, "POST", "/v1/risks/R-0007/close", None);
    assert_eq!(s, 200);
    let (s, v) = f.call(&f.sup, "GET", "/v1/risks/matrix", None);
    assert_eq!(s, 200, "{v}");
    let m = &v["matrix"];
    assert_eq!(v["total"], 6, "{v}");
    // cells[p - 1][i - 1]: R-0001 (5, 4), R-0006 (4, 4), R-0002 (1, 4), R-0005 (2, 5); R-0007 (5, 5) closed.
    let at = |p: usize, i: usize| m[p - 1][i - 1].as_i64();
    assert_eq!(
        (at(5, 4), at(4, 4), at(1, 4), at(2, 5), at(5, 5)),
        (Some(1), Some(1), Some(1), Some(1), Some(0)),
        "{v}"
    );
    let cell = |p: usize, i: usize| {
        v["cells"].as_array().and_then(|c| c.iter().find(|x| x["probability"] == p && x["impact"] == i)).cloned()
    };
    assert_eq!(cell(5, 4).map(|c| (c["count"].clone(), c["level"].clone())), Some((json!(1), json!("critical"))));
    let (_, v) = f.call(&f.sup, "GET", "/v1/risks/matrix?status=all", None);
    assert_eq!((v["total"].as_i64(), v["matrix"][4][4].as_i64()), (Some(7), Some(1)), "{v}");
    // The list's filters.
    let labels = |q: &str| -> Vec<String> {
        let (s, v) = f.call(&f.sup, "GET", &format!("/v1/risks?{q}"), None);
        assert_eq!(s, 200, "{q}: {v}");
        v["risks"]
            .as_array()
            .expect("risks")
            .iter()
            .map(|r| r["label"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(labels("level=high"), ["R-0005", "R-0006"]);
    assert_eq!(labels("level=critical&status=all"), ["R-0001", "R-0007"]);
    assert_eq!(labels("level=critical&status=active"), ["R-0001"]);
    assert_eq!(labels("status=closed"), ["R-0007"]);
    assert_eq!(labels("probability=3&impact=3"), ["R-0004"]);
    assert_eq!(labels("").len(), 7);
    for (q, field) in
        [("level=severe", "level"), ("status=done", "status"), ("impact=6", "impact"), ("format=pdf", "format")]
    {
        let (s, v) = f.call(&f.sup, "GET", &format!("/v1/risks?{q}"), None);
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{q}: {v}");
    }

    // Exports: the same rows and columns as CSV and XLSX, headers in the chosen language.
    let (s, bytes) = raw(&f, &f.sup, "/v1/risks?format=csv&status=all&lang=zh");
    assert_eq!(s, 200);
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 8, "{rows:?}");
    assert_eq!(&rows[0][..7], ["编号", "标题", "类别", "可能性", "影响", "分值", "等级"]);
    assert_eq!(&rows[1][..8], ["R-0001", "雨季施工影响土方开挖", "进度", "5", "4", "20", "极高", "技术负责人 赵工"]);
    assert_eq!(rows[1][12], "未处理");
    let (s, bytes) = raw(&f, &f.sup, "/v1/risks?format=xlsx&status=all&lang=en");
    assert_eq!(s, 200);
    let sheet = xlsx_rows(bytes);
    let head = sheet.iter().position(|r| r.first().is_some_and(|c| c == "No.")).expect("header row");
    assert_eq!(&sheet[head][..7], ["No.", "Title", "Category", "Probability", "Impact", "Score", "Level"]);
    let data = &sheet[head + 1..];
    assert_eq!(data.len(), 7);
    assert_eq!(&data[0][..7], ["R-0001", "雨季施工影响土方开挖", "Schedule", "5", "4", "20", "Critical"]);
    assert_eq!(data[6][12], "Closed");
    let (_, bytes) = raw(&f, &f.sup, "/v1/risks?format=csv");
    let keys = csv_rows(&bytes);
    assert_eq!(&keys[0][..3], ["label", "title", "category"]);
    assert_eq!(keys.len(), 8, "the default status (all) lists every risk: {keys:?}");

    // Promotion: a foreman's phone syncs observations; the supervisor raises one as a risk.
    let mut phone = SimPhone::new(f.foreman.clone());
    phone
        .docs
        .insert(OBS.into(), doc(&observation(OBS, ObservationCategory::Safety, Severity::High, "塔吊基础旁堆载")));
    phone.docs.insert(
        DELAY_OBS.into(),
        doc(&observation(DELAY_OBS, ObservationCategory::Delay, Severity::Critical, "钢筋进场延误")),
    );
    let t = phone.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    let before = stored();
    for (body, field, status) in [
        (json!({"probability": 7}), "probability", 422),
        (json!({"due": "soon"}), "due", 422),
        (json!({"title": "x"}), "title", 400),
    ] {
        let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/promote"), Some(body));
        assert_eq!((s, v["field"].as_str()), (status, Some(field)), "{v}");
    }
    let (s, v) = f.call(&f.sup, "POST", "/v1/observations/0193a000-0000-7000-8000-00000000ffff/promote", None);
    assert_eq!((s, v["field"].as_str()), (404, Some("id")), "{v}");
    let (s, _) = f.call(&f.foreman, "POST", &format!("/v1/observations/{OBS}/promote"), None);
    assert_eq!(s, 403);
    let (s, v) = f.call(&f.other, "POST", &format!("/v1/observations/{OBS}/promote"), None);
    assert_eq!(s, 404, "another project's observation: {v}");
    assert_eq!(stored(), before, "a refused promotion stored something");
    let (s, v) =
        f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/promote"), Some(json!({"owner": "安全员 张工"})));
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["label"].as_str(), v["title"].as_str(), v["category"].as_str(), v["source_record_id"].as_str()),
        (Some("R-0008"), Some("塔吊基础旁堆载"), Some("safety"), Some(OBS)),
        "{v}"
    );
    assert_eq!(
        (v["probability"].as_i64(), v["impact"].as_i64(), v["owner"].as_str()),
        (Some(3), Some(4), Some("安全员 张工"))
    );
    assert_eq!(v["description"], "塔吊基础旁堆放钢筋，距基坑边不足1米");
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/promote"), None);
    assert_eq!((s, v["field"].as_str()), (409, Some("id")), "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("R-0008"), "the 409 names the risk: {v}");
    let (_, v) = f.call(&f.sup, "GET", "/v1/risks/R-0008", None);
    assert_eq!(v["history"][0]["action"], "promoted", "{v}");
    assert_eq!(v["history"][0]["to"], OBS);
    let (_, v) = f.call(&f.sup, "GET", &format!("/v1/observations/{OBS}"), None);
    assert_eq!(v["observation"]["risk_id"], "R-0008", "{v}");
    // A delay threatens the schedule; critical proposes impact 5; the request's probability wins.
    let (s, v) =
        f.call(&f.admin, "POST", &format!("/v1/observations/{DELAY_OBS}/promote"), Some(json!({"probability": 2})));
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["category"].as_str(), v["impact"].as_i64(), v["probability"].as_i64()),
        (Some("schedule"), Some(5), Some(2))
    );
    // The phone's follow-up document names the risk.
    let t = phone.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    let fu =
        FollowUp::read(phone.docs.get(&FollowUp::document_id(OBS)).expect("follow-up on the phone")).expect("reads");
    assert_eq!(fu.risk_id.as_deref(), Some("R-0008"));
    assert!(fu.events.iter().any(|e| e.action.as_str() == "promoted"), "{:?}", fu.events);

    // The screens, in both languages; the forms.
    for lang in ["en", "zh-CN"] {
        let cookie = cookie_of(&f, lang);
        let r = webkit::http(&addr, "GET", "/web/risks", &[("Cookie", &cookie)], b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let html = r.text();
        assert!(html.contains(r#"id="risk-map""#) && html.contains(r#"id="cell-5-4""#), "heat map");
        assert_eq!(html.matches(r#"class="cell lvl-"#).count(), 25);
        assert!(html.contains(if lang == "en" { "Risk register" } else { "风险台账" }));
        assert!(
            html.contains(r#"id="risk-R-0008""#) && html.contains(&format!("/web/records/{OBS}")),
            "the source link"
        );
        // The open-risks panel (the dashboard's partial): counts by level, the five worst in order.
        assert!(
            html.contains(r#"id="risk-panel-critical">1<"#) && html.contains(r#"id="risk-panel-high">4<"#),
            "panel"
        );
        let panel = &html[html.find(r#"id="risk-panel""#).expect("panel")..];
        let panel = &panel[..panel.find("</section>").expect("panel end")];
        let worst: Vec<&str> =
            panel.match_indices("href=\"/web/risks/R-").map(|(i, _)| &panel[i + 17..i + 23]).collect();
        assert_eq!(worst, ["R-0001", "R-0006", "R-0008", "R-0005", "R-0009"], "{panel}");
        let r = webkit::http(&addr, "GET", "/web/risks?probability=5&impact=4", &[("Cookie", &cookie)], b"");
        assert!(r.text().contains(r#"id="risk-R-0001""#) && !r.text().contains(r#"id="risk-R-0008""#));
        let r = webkit::http(&addr, "GET", "/web/risks/R-0001", &[("Cookie", &cookie)], b"");
        assert_eq!(r.status, 200);
        let html = r.text();
        assert!(html.contains(r#"id="risk-history""#) && html.contains("又遇暴雨"), "history on the page");
        let r = webkit::http(&addr, "GET", "/web/risks/export?format=xlsx&status=all", &[("Cookie", &cookie)], b"");
        assert_eq!((r.status, r.body.starts_with(b"PK")), (200, true));
    }
    let cookie = cookie_of(&f, "zh-CN");
    let html = webkit::http(&addr, "GET", "/web/risks", &[("Cookie", &cookie)], b"").text();
    let csrf = webkit::hidden(&html, "csrf").expect("csrf");
    let form = |fields: &str| {
        webkit::http(
            &addr,
            "POST",
            "/web/risks",
            &[("Cookie", &cookie), ("Content-Type", "application/x-www-form-urlencoded")],
            format!("csrf={csrf}&{fields}").as_bytes(),
        )
    };
    let before = stored();
    let r = form(&format!("title=&probability=3&impact=2&category=cost&owner={}", webkit::form_encode("李军")));
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("未保存") && r.text().contains("李军"), "the refusal in words, what was typed kept");
    assert_eq!(stored(), before);
    let r = form(&format!(
        "title={}&probability=3&impact=3&category=cost&owner=&strategy=transfer&due=&response=&description=&status=open",
        webkit::form_encode("塔吊租赁到期")
    ));
    assert_eq!((r.status, r.header("location")), (303, Some("/web/risks/R-0010?done=created")), "{}", r.text());
    let post = |path: &str, fields: &str| {
        webkit::http(
            &addr,
            "POST",
            path,
            &[("Cookie", &cookie), ("Content-Type", "application/x-www-form-urlencoded")],
            format!("csrf={csrf}&{fields}").as_bytes(),
        )
    };
    let r = post("/web/risks/R-0010", "title=x&probability=3&impact=5&category=cost&status=mitigating");
    assert_eq!(r.status, 303, "{}", r.text());
    let (_, v) = f.call(&f.sup, "GET", "/v1/risks/R-0010", None);
    assert_eq!(
        (v["impact"].as_i64(), v["status"].as_str(), v["title"].as_str()),
        (Some(5), Some("mitigating"), Some("x"))
    );
    let r = post("/web/risks/R-0010", "title=x&probability=9&impact=5");
    assert_eq!(r.status, 422);
    let r = post("/web/risks/R-0010/close", &format!("note={}", webkit::form_encode("已续租")));
    assert_eq!(r.status, 303);
    let r = post("/web/risks/R-0010/close", "note=");
    assert_eq!(r.status, 409);
    let r = post("/web/risks/promote", &format!("record_id={OBS}"));
    assert_eq!(r.status, 409, "{}", r.text());
    let r = webkit::http(
        &addr,
        "POST",
        "/web/risks",
        &[("Cookie", &cookie), ("Content-Type", "application/x-www-form-urlencoded")],
        b"csrf=wrong&title=x&probability=1&impact=1",
    );
    assert_eq!(r.status, 403);
}

#[test]
fn concurrent_creates_on_sqlite() {
    concurrent_creates(None);
}

#[test]
fn concurrent_creates_on_postgres() {
    let pg = ThrowawayPg::create();
    concurrent_creates(Some(&pg.url()));
}

/// Risks created at the same time each get their own number, once: R-0001…R-0012 with no gap, and
/// one history row each; two promotions of one observation at once make one risk.
fn concurrent_creates(url: Option<&str>) {
    let f = setup(url);
    let addr = f.server.addr.clone();
    let labels: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|n| {
                let (addr, sup) = (addr.clone(), f.sup.clone());
                scope.spawn(move || {
                    let body = json!({"title": format!("并发 {n}"), "probability": 1 + n % 5, "impact": 2});
                    let (s, v) = api::json_call(&addr, &sup, "POST", "/v1/risks", Some(body));
                    assert_eq!(s, 201, "{v}");
                    v["label"].as_str().unwrap_or_default().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let mut sorted = labels.clone();
    sorted.sort();
    let expected: Vec<String> = (1..=12).map(|n| format!("R-{n:04}")).collect();
    assert_eq!(sorted, expected, "{labels:?}");
    assert_eq!(f.count("SELECT COUNT(*) FROM risk_events"), 12);

    let mut phone = SimPhone::new(f.foreman.clone());
    phone.docs.insert(OBS.into(), doc(&observation(OBS, ObservationCategory::Quality, Severity::Low, "模板支撑松动")));
    assert!(phone.sync(&addr).errors.is_empty());
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (addr, sup) = (addr.clone(), f.sup.clone());
                scope.spawn(move || {
                    api::json_call(&addr, &sup, "POST", &format!("/v1/observations/{OBS}/promote"), None).0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert_eq!(f.count(&format!("SELECT COUNT(*) FROM risks WHERE source_record_id = '{OBS}'")), 1);
    let (_, v) = f.call(&f.sup, "GET", &format!("/v1/observations/{OBS}"), None);
    assert_eq!(v["observation"]["risk_id"], "R-0013", "{v}");
}

/// The demo company's risk register on the screens, in Chromium (skipped without it).
#[test]
fn risk_screens_with_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, out, err) = cli(dir.path(), None, &["demo"]);
    assert!(ok, "demo load: {out}\n{err}");
    let sup = token_as(dir.path(), None, "BJHY-2", "supervisor");
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();
    let (s, v) = api::json_call(addr, &sup, "GET", "/v1/risks", None);
    assert_eq!(s, 200, "{v}");
    let rows = v["risks"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 7, "{v}");
    let promoted = rows.iter().find(|r| !r["source_record_id"].is_null()).expect("a promoted risk");
    assert_eq!(promoted["title"], "1#楼6层东侧临边防护缺失");
    let promoted = promoted["label"].as_str().unwrap_or_default().to_string();
    let levels: Vec<&str> = rows.iter().filter_map(|r| r["level"].as_str()).collect();
    for l in ["low", "medium", "high", "critical"] {
        assert!(levels.contains(&l), "no {l} risk in the demo: {levels:?}");
    }
    assert!(rows.iter().any(|r| r["overdue"] == true), "an overdue risk in the demo");

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
        ("list", "/web/risks".to_string(), "#risk-map"),
        ("detail", "/web/risks/R-0001".to_string(), "#risk-history"),
        ("promoted", format!("/web/risks/{promoted}"), "#risk-facts"),
    ];
    for (lang, width, height) in [("en", 1440, 900), ("en", 390, 844), ("zh-CN", 1440, 900), ("zh-CN", 390, 844)] {
        b.resize(width, height);
        b.goto(&format!("{base}/web/lang?to={lang}&back=%2Fweb%2Frisks"));
        b.wait_for("#risk-map");
        let short = if lang == "en" { "en" } else { "zh" };
        for (name, path, ready) in &pages {
            b.goto(&format!("{base}{path}"));
            b.wait_for(ready);
            b.screenshot(&format!("risks-{name}-{short}-{width}"));
        }
        // The history of R-0001 (moved to mitigating after it was raised).
        b.goto(&format!("{base}/web/risks/R-0001"));
        b.wait_for("#risk-history");
        b.script("document.getElementById('risk-history').scrollIntoView(); return 0;");
        b.screenshot(&format!("risks-history-{short}-{width}"));
        // The forms, unfolded: a new risk on the list, the edit form on a risk's page.
        b.goto(&format!("{base}/web/risks"));
        b.wait_for("#new-risk");
        b.script("const d = document.getElementById('new-risk'); d.open = true; d.scrollIntoView(); return 0;");
        b.screenshot(&format!("risks-form-{short}-{width}"));
        b.goto(&format!("{base}/web/risks/R-0002"));
        b.wait_for("#edit-risk");
        b.script("const d = document.getElementById('edit-risk'); d.open = true; d.scrollIntoView(); return 0;");
        b.screenshot(&format!("risks-edit-{short}-{width}"));
        // The register below the map.
        b.goto(&format!("{base}/web/risks"));
        b.wait_for("#risk-table");
        b.script("document.getElementById('register').scrollIntoView(); return 0;");
        b.screenshot(&format!("risks-table-{short}-{width}"));
        // The map stays inside the page at a phone's width: no sideways scrolling.
        let wide = b.script("return document.documentElement.scrollWidth;");
        assert!(wide.as_i64().unwrap_or(0) <= i64::from(width), "the page scrolls sideways at {width}: {wide}");
        let map_w = b.script("return Math.round(document.getElementById('risk-map').getBoundingClientRect().width);");
        assert!(map_w.as_i64().unwrap_or(0) >= 300, "the heat map is too small at {width}: {map_w}");
    }
}

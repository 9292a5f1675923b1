//! The webhooks screens (issue 23; docs/webhooks.md) through the real binary: the list shows the
//! project's endpoints with their state and counts, a robot's key hidden; adding needs the CSRF
//! token and shows a generic endpoint's key once; a supervisor is refused; the delivery log shows a
//! failed message with its last answer and "send again", which (with the CSRF token) delivers it.
//! Screenshots in English and Chinese at 1440 and 390 px (Chromium; skipped without it).

mod common;
mod webhookkit;
mod webkit;

use common::api::{import_reference, json_call};
use common::records::reference_workbook;
use common::*;
use serde_json::{Value, json};
use webhookkit::Receiver;

const KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn wait_log(addr: &str, admin: &str, id: &str, f: impl Fn(&Value) -> bool) -> Value {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, v) = json_call(addr, admin, "GET", &format!("/v1/webhooks/{id}/deliveries"), None);
        if f(&v) || std::time::Instant::now() > until {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn page(addr: &str, cookie: &str, path: &str) -> (u16, String) {
    let r = webkit::http(addr, "GET", path, &[("Cookie", cookie)], b"");
    (r.status, r.text())
}

fn post(addr: &str, cookie: &str, path: &str, body: &str) -> webkit::Resp {
    webkit::http(
        addr,
        "POST",
        path,
        &[("Cookie", cookie), ("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
}

#[test]
fn webhook_screens() {
    let dir = tempfile::tempdir().expect("dir");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let server = start_on_env(dir.path(), None, "127.0.0.1:0", &[], &[("FIELDLEDGER_WEBHOOK_RETRY_SECONDS", "1")]);
    let addr = server.addr.clone();
    import_reference(&addr, &admin, &reference_workbook());

    // A generic endpoint whose receiver fails twice (dead), a WeCom robot that takes its test.
    let failing = Receiver::on_free_port(vec![500, 502]);
    let (s, v) = json_call(
        &addr,
        &admin,
        "POST",
        "/v1/webhooks",
        Some(json!({
        "url": format!("http://{}/hooks/fieldledger", failing.addr), "secret": KEY,
        "events": ["record.submitted", "digest.daily"], "digest_time": "23:59"})),
    );
    assert_eq!(s, 201, "{v}");
    let dead_id = v["webhook"]["id"].as_str().expect("id").to_string();
    let robot = Receiver::on_free_port(vec![]);
    let (s, v) = json_call(
        &addr,
        &admin,
        "POST",
        "/v1/webhooks",
        Some(json!({
        "url": format!("http://{}/cgi-bin/webhook/send?key=SECRETKEY123", robot.addr), "format": "wecom",
        "digest_time": "23:59"})),
    );
    assert_eq!(s, 201, "{v}");
    let robot_id = v["webhook"]["id"].as_str().expect("id").to_string();
    for id in [&dead_id, &robot_id] {
        let (s, v) = json_call(&addr, &admin, "POST", &format!("/v1/webhooks/{id}/test"), None);
        assert_eq!(s, 202, "{v}");
    }
    let log = wait_log(&addr, &admin, &dead_id, |v| v["messages"][0]["status"] == "dead");
    assert_eq!(log["messages"][0]["status"], "dead", "{log}");
    let message = log["messages"][0]["id"].as_str().expect("message").to_string();
    wait_log(&addr, &admin, &robot_id, |v| v["messages"][0]["status"] == "delivered");

    let signed = webkit::sign_in(&addr, &admin, "%2Fweb%2Fwebhooks");
    let session = webkit::session_of(&signed);
    let en = format!("{session}; fl_lang=en");
    let zh = format!("{session}; fl_lang=zh-CN");

    // The list, in both languages: the robot's key is not shown.
    let (s, html) = page(&addr, &en, "/web/webhooks");
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("WeCom group robot") && html.contains("Generic JSON (signed)"), "{html}");
    assert!(html.contains("/cgi-bin/webhook/send?key=…"), "the key hidden");
    assert!(!html.contains("SECRETKEY123"), "a robot's key shown on the screen");
    assert!(html.contains("Failed 1"), "the dead message counted: {html}");
    let (s, html_zh) = page(&addr, &zh, "/web/webhooks");
    assert_eq!(s, 200);
    assert!(html_zh.contains("企业微信群机器人") && html_zh.contains("已失败 1"), "{html_zh}");

    // A supervisor may not see it.
    let sup_session = webkit::session_of(&webkit::sign_in(&addr, &sup, "%2Fweb%2Fqueue"));
    let (s, _) = page(&addr, &sup_session, "/web/webhooks");
    assert_eq!(s, 403);

    // Adding: refused without the CSRF token; with it, a generic endpoint's key shown once.
    let csrf = webkit::hidden(&html, "csrf").expect("csrf field");
    let url = webkit::form_encode("https://example.com/in");
    let r = post(&addr, &en, "/web/webhooks", &format!("url={url}&format=generic&events=record.conflict"));
    assert_eq!(r.status, 403, "{}", r.text());
    let r = post(&addr, &en, "/web/webhooks", &format!("csrf={csrf}&url=ftp%3A%2F%2Fx&format=generic"));
    assert_eq!(r.status, 400);
    assert!(r.text().contains("must start with http://"), "{}", r.text());
    let r = post(&addr, &en, "/web/webhooks", &format!("csrf={csrf}&url={url}&format=generic&events=record.conflict"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("id=\"wh-secret-text\" value=\"whsec_"), "the new key shown once");
    let (_, list) = json_call(&addr, &admin, "GET", "/v1/webhooks", None);
    let added =
        list["webhooks"].as_array().and_then(|l| l.iter().find(|w| w["url"] == "https://example.com/in")).cloned();
    assert_eq!(added.as_ref().map(|w| w["events"].clone()), Some(json!(["record.conflict"])), "{list}");
    let (_, again) = page(&addr, &en, "/web/webhooks");
    assert!(!again.contains("id=\"wh-secret-text\""), "the key is shown only once");

    // The delivery log: the failed message, its last answer, send it again.
    let (s, log_html) = page(&addr, &en, &format!("/web/webhooks/{dead_id}"));
    assert_eq!(s, 200, "{log_html}");
    assert!(log_html.contains(&message) && log_html.contains("502"), "{log_html}");
    assert!(log_html.contains("Send again"), "{log_html}");
    let (_, log_zh) = page(&addr, &zh, &format!("/web/webhooks/{dead_id}"));
    assert!(log_zh.contains("重新发送") && log_zh.contains("测试消息"), "{log_zh}");
    let r = post(&addr, &en, &format!("/web/webhooks/{dead_id}/replay"), &format!("message={message}"));
    assert_eq!(r.status, 403, "no CSRF token, no replay");
    let r = post(&addr, &en, &format!("/web/webhooks/{dead_id}/replay"), &format!("csrf={csrf}&message={message}"));
    assert_eq!(r.status, 303, "{}", r.text());
    let got = failing.wait_for(3);
    assert_eq!(got.len(), 3, "sent again after the replay");
    let log = wait_log(&addr, &admin, &dead_id, |v| v["messages"][0]["status"] == "delivered");
    assert_eq!(log["messages"][0]["replays"], 1, "{log}");
    // And a failing one for the screenshots.
    let (s, _) = json_call(&addr, &admin, "POST", &format!("/v1/webhooks/{robot_id}/test"), None);
    assert_eq!(s, 202);

    if !webkit::browser_available() {
        eprintln!("SKIPPED the screenshots: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let base = format!("http://{}", addr.replace("127.0.0.1", "localhost"));
    let b = webkit::Browser::start(1440, 900);
    b.goto(&format!("{base}/web/sign-in"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &admin);
    b.click("#sign-in");
    b.wait_for("nav");
    for (lang, width, height) in [("en", 1440, 900), ("en", 390, 844), ("zh-CN", 1440, 900), ("zh-CN", 390, 844)] {
        b.resize(width, height);
        b.goto(&format!("{base}/web/lang?to={lang}&back=%2Fweb%2Fwebhooks"));
        b.wait_for("#webhooks");
        let short = if lang == "en" { "en" } else { "zh" };
        b.screenshot(&format!("webhooks-list-{short}-{width}"));
        b.script("const d = document.getElementById('wh-new'); d.open = true; d.scrollIntoView(); return 0;");
        b.screenshot(&format!("webhooks-add-{short}-{width}"));
        let wide = b.script("return document.documentElement.scrollWidth;");
        assert!(wide.as_i64().unwrap_or(0) <= i64::from(width), "the list scrolls sideways at {width}: {wide}");
        b.goto(&format!("{base}/web/webhooks/{dead_id}"));
        b.wait_for("#wh-log");
        b.screenshot(&format!("webhooks-log-{short}-{width}"));
        let wide = b.script("return document.documentElement.scrollWidth;");
        assert!(wide.as_i64().unwrap_or(0) <= i64::from(width), "the log scrolls sideways at {width}: {wide}");
    }
}

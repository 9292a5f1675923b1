//! Outgoing webhooks (issue 23; docs/webhooks.md) through the real binary on SQLite and PostgreSQL:
//! a receiver started by the test on 127.0.0.1 gets `record.approved` (Standard Webhooks signature
//! verified here) and `record.rejected` (with the reason) after a supervisor decides records a
//! simulated phone synced; WeCom and DingTalk robots get their markdown shapes (DingTalk's sign
//! verified); a receiver answering 500 then 200 gets the message again, same id, delivered once; a
//! server killed (-9) between the event and its delivery delivers it after its restart, exactly
//! once, with the same webhook-id; bad endpoint input is refused naming the field.

mod common;
mod webhookkit;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::api::{approve_current, decide_current, import_reference, json_call};
use common::phone::SimPhone;
use common::records::{crew_line, labour_sheet, reference_workbook, sheet_doc};
use common::*;
use record_schema::Effort;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use webhookkit::{Receiver, hmac, verify_standard};

const KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const DING_SECRET: &str = "SEC0123456789abcdef";
const ENV: &[(&str, &str)] =
    &[("FIELDLEDGER_WEBHOOK_RETRY_SECONDS", "1,1,1,1,1,1"), ("FIELDLEDGER_WEBHOOK_TIMEOUT_SECONDS", "5")];

struct Setup {
    dir: tempfile::TempDir,
    url: Option<String>,
    env: &'static [(&'static str, &'static str)],
    server: Option<Server>,
    admin: String,
    sup: String,
    foreman: String,
}

impl Setup {
    fn new(url: Option<&str>) -> Setup {
        Setup::with_env(url, ENV)
    }

    fn with_env(url: Option<&str>, env: &'static [(&'static str, &'static str)]) -> Setup {
        let dir = tempfile::tempdir().expect("dir");
        let admin = token_as(dir.path(), url, "P1", "admin");
        let sup = token_as(dir.path(), url, "P1", "supervisor");
        let foreman = token(dir.path(), url, "P1");
        let mut s = Setup { dir, url: url.map(str::to_string), env, server: None, admin, sup, foreman };
        s.start();
        import_reference(&s.addr(), &s.admin, &reference_workbook());
        s
    }

    fn start(&mut self) {
        self.server = Some(start_on_env(self.dir.path(), self.url.as_deref(), "127.0.0.1:0", &[], self.env));
    }

    fn addr(&self) -> String {
        self.server.as_ref().map(|s| s.addr.clone()).expect("server running")
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        json_call(&self.addr(), &self.admin, method, path, body)
    }

    fn endpoint(&self, body: Value) -> String {
        let (s, v) = self.call("POST", "/v1/webhooks", Some(body));
        assert_eq!(s, 201, "{v}");
        v["webhook"]["id"].as_str().expect("id").to_string()
    }

    /// A labour sheet synced by the foreman's phone.
    fn sync_sheet(&self, id: &str) {
        let mut phone = SimPhone::new(self.foreman.clone());
        let line = crew_line("l1", 3, Effort::Days(Decimal::ONE), "380.00", "03-100", "A1");
        phone.docs.insert(id.into(), sheet_doc(&labour_sheet(id, vec![line])));
        let t = phone.sync(&self.addr());
        assert!(t.errors.is_empty(), "{:?}", t.errors);
    }

    fn deliveries(&self, endpoint: &str) -> Value {
        let (s, v) = self.call("GET", &format!("/v1/webhooks/{endpoint}/deliveries"), None);
        assert_eq!(s, 200, "{v}");
        v
    }

    /// Waits until `f` holds of the endpoint's delivery log (at most 30 s).
    fn wait_log(&self, endpoint: &str, f: impl Fn(&Value) -> bool) -> Value {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.deliveries(endpoint);
            if f(&v) || Instant::now() > until {
                return v;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

const SHEET_A: &str = "0193a000-0000-7000-8000-00000000e0a1";
const SHEET_B: &str = "0193a000-0000-7000-8000-00000000e0a2";

#[test]
fn webhooks_on_sqlite() {
    decisions_and_formats(None);
}

#[test]
fn webhooks_on_postgres() {
    let pg = ThrowawayPg::create();
    decisions_and_formats(Some(&pg.url()));
}

fn decisions_and_formats(url: Option<&str>) {
    let s = Setup::new(url);

    // Bad input is refused, the field named.
    for (body, field) in [
        (json!({}), "url"),
        (json!({"url": "ftp://example.com/x"}), "url"),
        (json!({"url": format!("https://example.com/{}", "a".repeat(2000))}), "url"),
        (json!({"url": "https://example.com", "format": "slack"}), "format"),
        (json!({"url": "https://example.com", "events": ["record.approved", "record.eaten"]}), "events[1]"),
        (json!({"url": "https://example.com", "secret": "whsec_not base64!"}), "secret"),
        (json!({"url": "https://example.com", "enabled": "yes"}), "enabled"),
    ] {
        let (status, v) = s.call("POST", "/v1/webhooks", Some(body.clone()));
        assert_eq!(status, 400, "{body}: {v}");
        assert_eq!(v["field"], field, "{body}: {v}");
    }
    // A foreman or supervisor may not manage webhooks.
    let (status, _) = json_call(&s.addr(), &s.sup, "GET", "/v1/webhooks", None);
    assert_eq!(status, 403);

    let generic = Receiver::on_free_port(vec![]);
    let wecom = Receiver::on_free_port(vec![]);
    let ding = Receiver::on_free_port(vec![]);
    let g_id = s.endpoint(json!({
        "url": format!("http://{}/hooks/fieldledger", generic.addr),
        "secret": KEY,
        "events": ["record.approved", "record.rejected"],
    }));
    s.endpoint(json!({"url": format!("http://{}/cgi-bin/webhook/send?key=K1", wecom.addr), "format": "wecom",
        "events": ["record.approved"]}));
    s.endpoint(json!({"url": format!("http://{}/robot/send?access_token=T1", ding.addr), "format": "dingtalk",
        "secret": DING_SECRET, "events": ["record.approved"]}));
    // The secret is answered masked afterwards.
    let (status, list) = s.call("GET", "/v1/webhooks", None);
    assert_eq!(status, 200);
    assert_eq!(list["webhooks"].as_array().map(Vec::len), Some(3));
    let text = list.to_string();
    assert!(!text.contains(KEY) && !text.contains(DING_SECRET), "a secret answered whole: {text}");

    // A supervisor approves a record a phone synced: every endpoint gets it.
    s.sync_sheet(SHEET_A);
    approve_current(&s.addr(), &s.sup, SHEET_A);
    let got = generic.wait_for(1);
    assert_eq!(got.len(), 1, "generic receiver");
    let g = &got[0];
    assert_eq!(g.target, "/hooks/fieldledger");
    verify_standard(KEY, g);
    let v = g.json();
    assert_eq!(v["type"], "record.approved");
    assert_eq!(v["data"]["record_id"], SHEET_A);
    assert_eq!(v["data"]["project_id"], "P1");
    assert_eq!(v["data"]["status"], "approved");

    let w = wecom.wait_for(1);
    assert_eq!(w.len(), 1, "wecom receiver");
    assert_eq!(w[0].query("key").as_deref(), Some("K1"));
    let wv = w[0].json();
    assert_eq!(wv["msgtype"], "markdown");
    let content = wv["markdown"]["content"].as_str().expect("content");
    assert!(content.contains(SHEET_A) && content.contains("记录已批准"), "{content}");
    assert!(content.len() <= 4096);

    let d = ding.wait_for(1);
    assert_eq!(d.len(), 1, "dingtalk receiver");
    let dv = d[0].json();
    assert_eq!(dv["msgtype"], "markdown");
    assert_eq!(dv["markdown"]["title"], "记录已批准");
    assert!(dv["markdown"]["text"].as_str().is_some_and(|t| t.contains(SHEET_A)), "{dv}");
    assert_eq!(d[0].query("access_token").as_deref(), Some("T1"));
    let ts = d[0].query("timestamp").expect("timestamp");
    let sign = d[0].query("sign").expect("sign");
    let want = STANDARD.encode(hmac(DING_SECRET.as_bytes(), format!("{ts}\n{DING_SECRET}").as_bytes()));
    let want: String = want.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    assert_eq!(sign, want, "DingTalk sign");

    // A rejection, with its reason, to the endpoint that takes it.
    s.sync_sheet(SHEET_B);
    decide_current(&s.addr(), &s.sup, SHEET_B, "reject", "缺少签字");
    let got = generic.wait_for(2);
    assert_eq!(got.len(), 2);
    verify_standard(KEY, &got[1]);
    let v = got[1].json();
    assert_eq!(v["type"], "record.rejected");
    assert_eq!(v["data"]["record_id"], SHEET_B);
    assert_eq!(v["data"]["reason"], "缺少签字");
    assert_ne!(got[0].header("webhook-id"), got[1].header("webhook-id"));

    // The delivery log, newest first.
    let log =
        s.wait_log(&g_id, |v| v["messages"].as_array().is_some_and(|m| m.iter().all(|x| x["status"] == "delivered")));
    assert_eq!(log["messages"][0]["event_type"], "record.rejected", "{log}");
    assert_eq!(log["messages"][1]["event_type"], "record.approved", "{log}");
    assert_eq!(log["attempts"][0]["status_code"], 200, "{log}");
    assert_eq!(wecom.got().len(), 1, "wecom takes only record.approved");

    // Deleting: another project's admin cannot; the project's admin can.
    let other = token_as(s.dir.path(), url, "P2", "admin");
    let (status, _) = json_call(&s.addr(), &other, "DELETE", &format!("/v1/webhooks/{g_id}"), None);
    assert_eq!(status, 404);
    let (status, v) = s.call("DELETE", &format!("/v1/webhooks/{g_id}"), None);
    assert_eq!(status, 200, "{v}");
    let (status, _) = s.call("GET", &format!("/v1/webhooks/{g_id}/deliveries"), None);
    assert_eq!(status, 404);
}

#[test]
fn retried_on_sqlite() {
    retried(None);
}

#[test]
fn retried_on_postgres() {
    let pg = ThrowawayPg::create();
    retried(Some(&pg.url()));
}

/// A receiver answering 500, then 200: the test message comes twice with the same id, delivered once.
/// One answering 410: the endpoint is disabled.
fn retried(url: Option<&str>) {
    let s = Setup::new(url);
    let r = Receiver::on_free_port(vec![500]);
    // record.approved only: an all-events endpoint created after 07:30 local time also gets that
    // day's digest.daily at once (the test ran green before 23:30 UTC and failed after).
    let id = s.endpoint(json!({"url": format!("http://{}/in", r.addr), "secret": KEY, "events": ["record.approved"]}));
    let (status, v) = s.call("POST", &format!("/v1/webhooks/{id}/test"), None);
    assert_eq!(status, 202, "{v}");
    let message = v["webhook_id"].as_str().expect("webhook_id").to_string();
    let got = r.wait_for(2);
    assert_eq!(got.len(), 2);
    for g in &got {
        assert_eq!(g.header("webhook-id"), Some(message.as_str()));
        verify_standard(KEY, g);
        assert_eq!(g.json()["type"], "ping");
    }
    let log = s.wait_log(&id, |v| v["messages"][0]["status"] == "delivered");
    assert_eq!(log["messages"][0]["status"], "delivered", "{log}");
    assert_eq!(log["messages"][0]["attempts"], 2, "{log}");
    assert_eq!(log["attempts"][0]["status_code"], 200, "{log}");
    assert_eq!(log["attempts"][1]["status_code"], 500, "{log}");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(r.got().len(), 2, "delivered once, not again");

    // 410 Gone disables the endpoint; its message is dead, not retried.
    let gone = Receiver::on_free_port(vec![410]);
    let id = s.endpoint(json!({"url": format!("http://{}/gone", gone.addr), "events": ["record.approved"]}));
    let (status, v) = s.call("POST", &format!("/v1/webhooks/{id}/test"), None);
    assert_eq!(status, 202, "{v}");
    let log = s.wait_log(&id, |v| v["messages"][0]["status"] == "dead");
    assert_eq!(log["messages"][0]["status"], "dead", "{log}");
    assert_eq!(log["webhook"]["enabled"], false, "{log}");
    assert_eq!(log["attempts"][0]["status_code"], 410, "{log}");
    let (status, _) = s.call("POST", &format!("/v1/webhooks/{id}/test"), None);
    assert_eq!(status, 409, "a disabled endpoint takes no test");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(gone.got().len(), 1);
}

#[test]
fn restart_on_sqlite() {
    restart(None);
}

#[test]
fn restart_on_postgres() {
    let pg = ThrowawayPg::create();
    restart(Some(&pg.url()));
}

/// The server killed (-9) between the approval and its delivery (the receiver not up yet) delivers
/// it after a restart, once, with the same id.
fn restart(url: Option<&str>) {
    let mut s = Setup::new(url);
    // A port with nothing listening on it, for now.
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let id =
        s.endpoint(json!({"url": format!("http://127.0.0.1:{port}/in"), "secret": KEY, "events": ["record.approved"]}));
    s.sync_sheet(SHEET_A);
    approve_current(&s.addr(), &s.sup, SHEET_A);
    let log = s.wait_log(&id, |v| v["attempts"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(log["messages"][0]["status"], "pending", "{log}");
    assert!(log["attempts"][0]["status_code"].is_null(), "{log}");
    let message = log["messages"][0]["id"].as_str().expect("id").to_string();

    // kill -9, then the receiver comes up, then the server again on the same database.
    if let Some(mut server) = s.server.take() {
        server.child.kill().expect("kill");
        server.child.wait().expect("wait");
    }
    let r = Receiver::start(TcpListener::bind(("127.0.0.1", port)).expect("bind the same port"), vec![]);
    std::thread::sleep(Duration::from_secs(2));
    assert!(r.got().is_empty(), "nothing delivers while the server is down");
    s.start();
    let got = r.wait_for(1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("webhook-id"), Some(message.as_str()));
    verify_standard(KEY, &got[0]);
    assert_eq!(got[0].json()["data"]["record_id"], SHEET_A);
    let log = s.wait_log(&id, |v| v["messages"][0]["status"] == "delivered");
    assert_eq!(log["messages"][0]["status"], "delivered", "{log}");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(r.got().len(), 1, "exactly once");
}

#[test]
fn killed_mid_delivery_on_sqlite() {
    killed_mid_delivery(None);
}

#[test]
fn killed_mid_delivery_on_postgres() {
    let pg = ThrowawayPg::create();
    killed_mid_delivery(Some(&pg.url()));
}

/// The server killed (-9) while the receiver holds the POST unanswered: after a restart the lease
/// expires and the message is sent again, same id, and recorded delivered once.
fn killed_mid_delivery(url: Option<&str>) {
    const SLOW: &[(&str, &str)] =
        &[("FIELDLEDGER_WEBHOOK_RETRY_SECONDS", "1,1,1"), ("FIELDLEDGER_WEBHOOK_TIMEOUT_SECONDS", "2")];
    let mut s = Setup::with_env(url, SLOW);
    let r = Receiver::on_free_port(vec![0]);
    let id = s.endpoint(json!({"url": format!("http://{}/in", r.addr), "secret": KEY, "events": ["record.approved"]}));
    s.sync_sheet(SHEET_A);
    approve_current(&s.addr(), &s.sup, SHEET_A);
    let first = r.wait_for(1);
    assert_eq!(first.len(), 1, "the first attempt reached the receiver");
    if let Some(mut server) = s.server.take() {
        server.child.kill().expect("kill");
        server.child.wait().expect("wait");
    }
    s.start();
    let got = r.wait_for(2);
    assert_eq!(got.len(), 2, "sent again after the restart");
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    verify_standard(KEY, &got[1]);
    let log = s.wait_log(&id, |v| v["messages"][0]["status"] == "delivered");
    assert_eq!(log["messages"][0]["status"], "delivered", "{log}");
    assert_eq!(log["messages"].as_array().map(Vec::len), Some(1), "{log}");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(r.got().len(), 2, "not again once delivered");
}

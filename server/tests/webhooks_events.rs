//! Outgoing webhooks, part two (issue 23; docs/webhooks.md), through the real binary with a
//! receiver on 127.0.0.1 and the Standard Webhooks signature checked: record events derived from
//! syncs (`record.submitted` once for a record synced twice, `record.changed_since_approval` once
//! after an approval and two edits, `record.conflict` when two phones set the same field) on
//! SQLite and PostgreSQL; a WeCom robot's two messages at least 3 s apart (its 20-a-minute limit),
//! neither waiting counted as an attempt; a dead message replayed and delivered; the daily digest
//! at 07:30 in the project's time zone under a fixed clock, once across a restart; October's unpaid
//! wages flagged (`wages.arrears_flagged`) once, not again at the next start.

mod common;
mod webhookkit;

use std::time::{Duration, Instant};

use common::api::{approve_current, import_reference, json_call};
use common::phone::SimPhone;
use common::records::{crew_line, labour_sheet, reference_workbook, sheet_doc};
use common::*;
use record_schema::Effort;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use webhookkit::{Got, Receiver, verify_standard};

const KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SHEET: &str = "0193a000-0000-7000-8000-00000000e0b1";

struct Setup {
    dir: tempfile::TempDir,
    url: Option<String>,
    env: Vec<(&'static str, &'static str)>,
    server: Option<Server>,
    admin: String,
    sup: String,
}

/// A failing test shows the server's log (its data folder goes with the test); so does any test
/// with `SHOW_SERVER_LOG` set.
impl Drop for Setup {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("SHOW_SERVER_LOG").is_some() {
            let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- server.log (last {} lines) ---", tail.len());
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

impl Setup {
    fn new(url: Option<&str>, env: &[(&'static str, &'static str)]) -> Setup {
        let dir = tempfile::tempdir().expect("dir");
        let admin = token_as(dir.path(), url, "P1", "admin");
        let sup = token_as(dir.path(), url, "P1", "supervisor");
        let mut s = Setup { dir, url: url.map(str::to_string), env: env.to_vec(), server: None, admin, sup };
        s.start();
        import_reference(&s.addr(), &s.admin, &reference_workbook());
        s
    }

    fn start(&mut self) {
        self.server = Some(start_on_env(self.dir.path(), self.url.as_deref(), "127.0.0.1:0", &[], &self.env));
    }

    fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.child.kill().expect("kill");
            server.child.wait().expect("wait");
        }
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

    fn phone(&self) -> SimPhone {
        SimPhone::new(token(self.dir.path(), self.url.as_deref(), "P1"))
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

fn types(got: &[Got]) -> Vec<String> {
    got.iter().map(|g| g.json()["type"].as_str().unwrap_or("").to_string()).collect()
}

#[test]
fn record_events_on_sqlite() {
    record_events(None);
}

#[test]
fn record_events_on_postgres() {
    let pg = ThrowawayPg::create();
    record_events(Some(&pg.url()));
}

fn record_events(url: Option<&str>) {
    let s = Setup::new(url, &[]);
    let r = Receiver::on_free_port(vec![]);
    s.endpoint(json!({
        "url": format!("http://{}/in", r.addr),
        "secret": KEY,
        "events": ["record.submitted", "record.changed_since_approval", "record.conflict"],
    }));

    // A foreman's phone syncs a new sheet: record.submitted, signed, naming the record.
    let mut li = s.phone();
    let line = crew_line("l1", 3, Effort::Days(Decimal::ONE), "380.00", "03-100", "A1");
    li.docs.insert(SHEET.into(), sheet_doc(&labour_sheet(SHEET, vec![line])));
    assert!(li.sync(&s.addr()).errors.is_empty());
    let got = r.wait_for(1);
    assert_eq!(types(&got), ["record.submitted"]);
    verify_standard(KEY, &got[0]);
    let d = &got[0].json()["data"];
    assert_eq!(d["record_id"], SHEET, "{d}");
    assert_eq!(d["project_id"], "P1", "{d}");
    assert_eq!(d["record_kind"], "labour_sheet", "{d}");
    assert_eq!(d["site_id"], "S1", "{d}");
    assert_eq!(d["site_name"], "东区工地", "{d}");
    assert_eq!(d["date"], "2026-11-20", "{d}");
    assert!(d["heads"].as_array().is_some_and(|h| !h.is_empty()), "{d}");
    assert!(d["author"].as_str().is_some_and(|a| !a.is_empty()), "{d}");

    // Synced again, edited and not: still one submission.
    li.edit_sheet(SHEET, |sheet| sheet.lines[0].headcount = 4);
    assert!(li.sync(&s.addr()).errors.is_empty());
    assert!(li.sync(&s.addr()).errors.is_empty());

    // Approved, then edited twice: changed since approval, once.
    let approval = approve_current(&s.addr(), &s.sup, SHEET);
    li.edit_sheet(SHEET, |sheet| sheet.lines[0].headcount = 5);
    assert!(li.sync(&s.addr()).errors.is_empty());
    let got = r.wait_for(2);
    assert_eq!(types(&got), ["record.submitted", "record.changed_since_approval"]);
    verify_standard(KEY, &got[1]);
    let d = &got[1].json()["data"];
    assert_eq!(d["record_id"], SHEET, "{d}");
    assert_eq!(d["approval_id"], approval["decision"]["id"], "{d}");
    assert_ne!(d["heads"], d["approved_heads"], "{d}");
    li.edit_sheet(SHEET, |sheet| sheet.lines[0].headcount = 6);
    assert!(li.sync(&s.addr()).errors.is_empty());

    // Two phones set the same headcount: a conflict, announced once.
    let mut wang = s.phone();
    wang.sync(&s.addr());
    li.edit_sheet(SHEET, |sheet| sheet.lines[0].headcount = 7);
    wang.edit_sheet(SHEET, |sheet| sheet.lines[0].headcount = 8);
    li.sync(&s.addr());
    wang.sync(&s.addr());
    li.sync(&s.addr());
    wang.sync(&s.addr());
    let got = r.wait_for(3);
    assert_eq!(types(&got), ["record.submitted", "record.changed_since_approval", "record.conflict"]);
    verify_standard(KEY, &got[2]);
    let d = &got[2].json()["data"];
    assert_eq!(d["record_id"], SHEET, "{d}");
    assert!(d["conflict_count"].as_i64().is_some_and(|n| n > 0), "{d}");
    // Nothing more: each transition once, whatever the syncs.
    li.sync(&s.addr());
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(r.got().len(), 3, "{:?}", types(&r.got()));
    let ids: std::collections::BTreeSet<_> =
        r.got().iter().map(|g| g.header("webhook-id").map(str::to_string)).collect();
    assert_eq!(ids.len(), 3, "a message id each");
}

/// A WeCom robot takes 20 messages a minute: two messages to it arrive at least 3 s apart, and
/// waiting for the slot is no attempt.
#[test]
fn robot_rate_limit() {
    let s = Setup::new(None, &[]);
    let r = Receiver::on_free_port(vec![]);
    // record.approved only (tests send pings): an all-events endpoint created after 07:30 Beijing time
    // also gets the day's digest.daily at once, and the test would depend on the clock.
    let id = s.endpoint(json!({"url": format!("http://{}/cgi-bin/webhook/send?key=K", r.addr), "format": "wecom",
        "events": ["record.approved"]}));
    for _ in 0..2 {
        let (status, v) = s.call("POST", &format!("/v1/webhooks/{id}/test"), None);
        assert_eq!(status, 202, "{v}");
    }
    let got = r.wait_for(2);
    assert_eq!(got.len(), 2);
    let gap = got[1].at.duration_since(got[0].at);
    assert!(gap >= Duration::from_secs(3), "the robot's messages came {gap:?} apart");
    for g in &got {
        assert_eq!(g.json()["msgtype"], "markdown");
    }
    let log =
        s.wait_log(&id, |v| v["messages"].as_array().is_some_and(|m| m.iter().all(|x| x["status"] == "delivered")));
    let messages = log["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 2, "{log}");
    assert!(messages.iter().all(|m| m["attempts"] == 1), "waiting is not an attempt: {log}");
    assert_eq!(log["attempts"].as_array().map(Vec::len), Some(2), "{log}");
}

/// A message dead after its retries is replayed by an admin: pending again, attempts reset, noted;
/// then delivered.
#[test]
fn dead_message_replayed() {
    let s = Setup::new(None, &[("FIELDLEDGER_WEBHOOK_RETRY_SECONDS", "1")]);
    let r = Receiver::on_free_port(vec![500, 503]);
    let id = s.endpoint(json!({"url": format!("http://{}/in", r.addr), "secret": KEY, "events": ["record.approved"]}));
    let (status, v) = s.call("POST", &format!("/v1/webhooks/{id}/test"), None);
    assert_eq!(status, 202, "{v}");
    let message = v["webhook_id"].as_str().expect("id").to_string();
    let log = s.wait_log(&id, |v| v["messages"][0]["status"] == "dead");
    assert_eq!(log["messages"][0]["status"], "dead", "{log}");
    assert_eq!(log["messages"][0]["attempts"], 2, "{log}");
    assert_eq!(r.got().len(), 2);

    // Replaying what is not dead is refused; a supervisor may not replay.
    let (status, v) = s.call("POST", &format!("/v1/webhooks/{id}/deliveries/msg_nope/replay"), None);
    assert_eq!((status, v["field"].as_str()), (404, Some("message")), "{v}");
    let (status, _) =
        json_call(&s.addr(), &s.sup, "POST", &format!("/v1/webhooks/{id}/deliveries/{message}/replay"), None);
    assert_eq!(status, 403);

    let (status, v) = s.call("POST", &format!("/v1/webhooks/{id}/deliveries/{message}/replay"), None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["replayed"], json!([message]));
    let got = r.wait_for(3);
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].header("webhook-id"), Some(message.as_str()), "the same id");
    verify_standard(KEY, &got[2]);
    let log = s.wait_log(&id, |v| v["messages"][0]["status"] == "delivered");
    let m = &log["messages"][0];
    assert_eq!(m["status"], "delivered", "{log}");
    assert_eq!(m["attempts"], 1, "attempts start again: {log}");
    assert_eq!(m["replays"], 1, "{log}");
    assert!(m["replayed_by"].as_str().is_some_and(|b| !b.is_empty()), "{log}");
    let (status, v) = s.call("POST", &format!("/v1/webhooks/{id}/deliveries/{message}/replay"), None);
    assert_eq!((status, v["field"].as_str()), (409, Some("status")), "a delivered message: {v}");
    let (status, v) = s.call("POST", &format!("/v1/webhooks/{id}/replay"), None);
    assert_eq!((status, v["replayed"].clone()), (200, json!([])), "no dead message left: {v}");
}

/// The daily digest at 07:30 in the project's time zone (Asia/Shanghai), with the clock fixed at
/// 08:30 there on the day after the sheet's date: sent at once, with yesterday's totals; not again
/// after a restart the same day.
#[test]
fn daily_digest() {
    // 2026-11-21 00:30 UTC = 08:30 in Shanghai.
    let mut s = Setup::new(None, &[("FIELDLEDGER_TEST_NOW", "2026-11-21T00:30:00Z")]);
    let mut li = s.phone();
    let line = crew_line("l1", 3, Effort::Days(Decimal::ONE), "380.00", "03-100", "A1");
    li.docs.insert(SHEET.into(), sheet_doc(&labour_sheet(SHEET, vec![line])));
    assert!(li.sync(&s.addr()).errors.is_empty());
    let r = Receiver::on_free_port(vec![]);
    // A bad time is refused, naming the field.
    let (status, v) =
        s.call("POST", "/v1/webhooks", Some(json!({"url": format!("http://{}/in", r.addr), "digest_time": "7h30"})));
    assert_eq!((status, v["field"].as_str()), (400, Some("digest_time")), "{v}");
    let id = s.endpoint(json!({"url": format!("http://{}/in", r.addr), "secret": KEY, "events": ["digest.daily"]}));
    let got = r.wait_for(1);
    assert_eq!(types(&got), ["digest.daily"]);
    verify_standard(KEY, &got[0]);
    let d = &got[0].json()["data"];
    assert_eq!(d["project_id"], "P1", "{d}");
    assert_eq!(d["date"], "2026-11-21", "{d}");
    assert_eq!(d["time_zone"], "Asia/Shanghai", "{d}");
    assert_eq!(d["pending"]["count"], 1, "{d}");
    assert_eq!(d["pending"]["oldest"]["record_id"], SHEET, "{d}");
    let y = &d["yesterday"];
    assert_eq!(y["date"], "2026-11-20", "{d}");
    assert_eq!(y["records"], 1, "{d}");
    assert_eq!(y["headcount"], 3, "{d}");
    assert_eq!(y["man_days"], "3", "{d}");
    assert_eq!(y["labour_cost"], "1140.00", "{d}");
    assert_eq!(y["expenses"], "0.00", "{d}");

    // Killed and started again the same (fixed) day: no second digest.
    s.kill();
    s.start();
    let (status, _) = s.call("POST", &format!("/v1/webhooks/{id}/test"), None);
    assert_eq!(status, 202);
    let got = r.wait_for(2);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(types(&r.got()), ["digest.daily", "ping"], "{:?}", got.len());
    let log = s.deliveries(&id);
    let digests = log["messages"].as_array().map(|m| m.iter().filter(|x| x["event_type"] == "digest.daily").count());
    assert_eq!(digests, Some(1), "{log}");
}

#[test]
fn wage_arrears_flagged_once() {
    // 2026-11-21 in Shanghai: October's wages were due on 15 November (the default pay day).
    let mut s = Setup::new(None, &[("FIELDLEDGER_TEST_NOW", "2026-11-21T00:30:00Z")]);
    let r = Receiver::on_free_port(vec![]);
    let id =
        s.endpoint(json!({"url": format!("http://{}/in", r.addr), "secret": KEY, "events": ["wages.arrears_flagged"]}));
    let mut li = s.phone();
    let line = crew_line("l1", 3, Effort::Days(Decimal::ONE), "380.00", "03-100", "A1");
    let mut sheet = labour_sheet(SHEET, vec![line]);
    sheet.work_date = chrono::NaiveDate::from_ymd_opt(2026, 10, 20).expect("date");
    li.docs.insert(SHEET.into(), sheet_doc(&sheet));
    assert!(li.sync(&s.addr()).errors.is_empty());
    approve_current(&s.addr(), &s.sup, SHEET);
    // The check runs when the server starts (and hourly): started again, it flags October's crew.
    s.kill();
    s.start();
    let got = r.wait_for(1);
    assert_eq!(types(&got), ["wages.arrears_flagged"]);
    verify_standard(KEY, &got[0]);
    let d = &got[0].json()["data"];
    assert_eq!(d["project_id"], "P1", "{d}");
    assert_eq!(d["month"], "2026-10", "{d}");
    let outstanding: Decimal = d["outstanding"].as_str().and_then(|t| t.parse().ok()).expect("outstanding");
    assert_eq!(outstanding, Decimal::new(114_000, 2), "{d}");
    assert_eq!((d["due_on"].as_str(), d["days_overdue"].as_i64()), (Some("2026-11-15"), Some(6)), "{d}");
    // Still overdue at the next start: not flagged again.
    s.kill();
    s.start();
    let (status, _) = s.call("POST", &format!("/v1/webhooks/{id}/test"), None);
    assert_eq!(status, 202);
    r.wait_for(2);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(types(&r.got()), ["wages.arrears_flagged", "ping"]);
}

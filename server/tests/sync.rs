//! Phones (simulated with the automerge crate itself, as any Automerge implementation could) sync
//! through the real server binary: on SQLite and on PostgreSQL.

mod common;

use std::collections::BTreeMap;

use common::phone::SimPhone;
use common::records::{self, expense_doc, labour_sheet};

use automerge::AutoCommit;
use automerge::sync::{State, SyncDoc};
use common::*;
use record_schema::{Currency, Effort, LabourSheet, Record, ReferenceData};
use rust_decimal::Decimal;
use server::sync::{DocMessage, SyncRequest, SyncResponse};

fn sheet(id: &str) -> LabourSheet {
    let line = |lid: &str, trade: &str| record_schema::CrewLine {
        id: lid.into(),
        position: 0,
        trade: trade.into(),
        crew: None,
        headcount: 4,
        effort: Effort::Hours(Decimal::from(8)),
        rate: Decimal::new(4750, 2),
        rate_unit: record_schema::TimeUnit::Hour,
        hours_per_day: Decimal::from(8),
        cost_code: "03-100".into(),
        activity: None,
        note: None,
        workers: vec![],
    };
    labour_sheet(id, vec![line("l1", "木工"), line("l2", "普工")])
}

fn expense(id: &str, project: &str) -> AutoCommit {
    expense_doc(&records::expense(id, project))
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb, tc) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P1"), token(dir.path(), url, "P2"));
    let server = start_with(dir.path(), url);
    let (mut a, mut b, mut c) = (SimPhone::new(ta), SimPhone::new(tb), SimPhone::new(tc));

    a.docs.insert("s1".into(), records::sheet_doc(&sheet("s1")));
    a.docs.insert("e1".into(), expense("e1", "P1"));
    let t = a.sync(&server.addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);

    // A second phone of the project receives both; one of another project receives nothing.
    let t = b.sync(&server.addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    assert_eq!(b.record("s1"), a.record("s1"));
    assert_eq!(b.record("e1"), a.record("e1"));
    c.sync(&server.addr);
    assert!(c.docs.is_empty(), "another project's phone sees nothing");

    // Offline edits of different lines on two phones converge.
    let edit = |p: &mut SimPhone, line: usize, headcount: i64| {
        let doc = p.docs.get_mut("s1").expect("s1");
        let mut s = LabourSheet::read(doc).expect("sheet");
        s.lines[line].headcount = headcount;
        LabourSheet::put_line(doc, Currency::Cny, &s.lines[line], 5).expect("put");
    };
    edit(&mut a, 0, 6);
    edit(&mut b, 1, 9);
    a.sync(&server.addr);
    b.sync(&server.addr);
    a.sync(&server.addr);
    let (sa, sb) = (a.record("s1"), b.record("s1"));
    assert_eq!(sa, sb);
    let Record::LabourSheet(s) = sa else { panic!("a sheet") };
    assert_eq!((s.lines[0].headcount, s.lines[1].headcount), (6, 9));

    // Nothing new: one round, a few bytes each way.
    let idle = a.sync(&server.addr);
    assert_eq!(idle.rounds, 1);
    assert!(idle.sent < 64 && idle.received < 64, "{idle:?}");

    // A record of another project, and reference data, are refused per document; the batch goes on.
    a.docs.insert("x-p2".into(), expense("x-p2", "P2"));
    let mut reference = AutoCommit::new();
    ReferenceData { project_id: "P1".into(), ..Default::default() }.write(&mut reference).expect("write");
    a.docs.insert("reference:P1".into(), reference);
    // A record squatting on a server-owned id (an observation's follow-up) is refused too.
    a.docs.insert("follow_up:s1".into(), expense("follow_up:s1", "P1"));
    edit(&mut a, 0, 7);
    let t = a.sync(&server.addr);
    let codes: BTreeMap<String, String> = t.errors.iter().map(|e| (e.id.clone(), e.code.clone())).collect();
    assert_eq!(codes.get("x-p2").map(String::as_str), Some("forbidden"), "{:?}", t.errors);
    assert_eq!(codes.get("reference:P1").map(String::as_str), Some("server_owned"), "{:?}", t.errors);
    assert_eq!(codes.get("follow_up:s1").map(String::as_str), Some("invalid"), "{:?}", t.errors);
    b.sync(&server.addr);
    let Record::LabourSheet(s) = b.record("s1") else { panic!("a sheet") };
    assert_eq!(s.lines[0].headcount, 7, "the good document of the batch landed");
    c.sync(&server.addr);
    assert!(c.docs.is_empty(), "the refused P2 record was not stored");
    assert!(!b.docs.contains_key("x-p2") && !b.docs.contains_key("reference:P1"));
    assert!(!b.docs.contains_key("follow_up:s1"), "the squatting record was not stored");

    // Bad requests get a JSON error naming the problem.
    let bearer = format!("Bearer {}", a.token);
    let (status, body) = post(&server.addr, "/v1/sync", &[("Authorization", &bearer)], b"not cbor at all");
    assert_eq!(status, 400);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("\"field\":\"body\""), "{body}");
    let (status, _) = post(&server.addr, "/v1/sync", &[], b"");
    assert_eq!(status, 401);
    // Valid CBOR carrying a garbage or truncated sync message: a per-document error, the server lives on.
    let good = {
        let doc = a.docs.get_mut("s1").expect("s1");
        doc.sync().generate_sync_message(&mut State::new()).expect("a message").encode()
    };
    let req = SyncRequest {
        v: 1,
        docs: vec![
            DocMessage { id: "junk".into(), msg: vec![0x42, 1, 2, 3] },
            DocMessage { id: "s1".into(), msg: good[..good.len() / 2].to_vec() },
        ],
        ..Default::default()
    };
    let mut body = Vec::new();
    ciborium::into_writer(&req, &mut body).expect("encode");
    let (status, resp) = post(&server.addr, "/v1/sync", &[("Authorization", &bearer)], &body);
    assert_eq!(status, 200);
    let resp: SyncResponse = ciborium::from_reader(resp.as_slice()).expect("decode");
    let codes: Vec<(&str, &str)> = resp.errors.iter().map(|e| (e.id.as_str(), e.code.as_str())).collect();
    assert!(codes.contains(&("junk", "bad_message")) && codes.contains(&("s1", "bad_message")), "{codes:?}");
    let mut old = SyncRequest { v: 2, ..Default::default() };
    old.v = 99;
    let mut body = Vec::new();
    ciborium::into_writer(&old, &mut body).expect("encode");
    let (status, resp) = post(&server.addr, "/v1/sync", &[("Authorization", &bearer)], &body);
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&resp).contains("\"field\":\"v\""));
    assert_eq!(get(&server.addr, "/healthz").0, 200, "still serving");
}

#[test]
fn phones_sync_through_the_server_on_sqlite() {
    story(None);
}

#[test]
fn phones_sync_through_the_server_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

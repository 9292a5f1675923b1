//! Bad input to the sync endpoint: each case gets a clear error naming the problem (a 4xx with a
//! JSON body for a bad request, a per-document error inside a good one), the server never falls
//! over, and what it had stored is unchanged, byte for byte. SQLite and PostgreSQL.

mod common;
mod webkit;

use std::io::{Read, Write};
use std::net::TcpStream;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ScalarValue};
use chrono::NaiveDate;
use common::phone::SimPhone;
use common::records;
use common::*;
use record_schema::wire::{DocMessage, SyncRequest, SyncResponse};
use record_schema::{Expense, Record};
use rust_decimal::Decimal;

fn expense(id: &str) -> Expense {
    records::expense(id, "P1")
}

fn doc_of(e: &Expense) -> AutoCommit {
    records::expense_doc(e)
}

/// POSTs raw bytes, tolerating a server that answers before reading the whole body (413).
fn post_raw(addr: &str, token: &str, body: &[u8]) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /v1/sync HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/cbor\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("head");
    let _ = s.write_all(body); // may fail once the server has answered and closed
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let status =
        String::from_utf8_lossy(&resp[..split]).split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
    let body = serde_json::from_slice(&resp[split + 4..]).unwrap_or(serde_json::Value::Null);
    (status, body)
}

fn cbor<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).expect("encode");
    out
}

/// One per-document error: (id, code, field, message).
type DocErrorRow = (String, String, Option<String>, String);

/// Offers documents the server lacks (two rounds: heads, then changes); returns the per-document
/// errors as (id, code, field, message).
fn send_docs(addr: &str, token: &str, docs: &mut [(&str, AutoCommit)]) -> Vec<DocErrorRow> {
    use automerge::sync::{Message, State, SyncDoc};
    let mut states: Vec<State> = docs.iter().map(|_| State::new()).collect();
    let mut errors = Vec::new();
    for _round in 0..2 {
        let req = SyncRequest {
            v: 1,
            docs: docs
                .iter_mut()
                .zip(states.iter_mut())
                .filter_map(|((id, d), st)| {
                    d.sync().generate_sync_message(st).map(|m| DocMessage { id: id.to_string(), msg: m.encode() })
                })
                .collect(),
            ..Default::default()
        };
        let (status, resp) = post(addr, "/v1/sync", &[("Authorization", &format!("Bearer {token}"))], &cbor(&req));
        assert_eq!(status, 200);
        let resp: SyncResponse = ciborium::from_reader(resp.as_slice()).expect("response");
        for m in resp.docs {
            if let Some(i) = docs.iter().position(|(id, _)| *id == m.id) {
                docs[i]
                    .1
                    .sync()
                    .receive_sync_message(&mut states[i], Message::decode(&m.msg).expect("msg"))
                    .expect("apply");
            }
        }
        errors.extend(resp.errors.into_iter().map(|e| (e.id, e.code, e.field, e.message)));
    }
    errors
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let tok = token(dir.path(), url, "P1");
    let mut server = start_with_args(dir.path(), url, &["--max-request-mb", "1"]);
    let addr = server.addr.clone();
    let mut phone = SimPhone::new(tok.clone());
    phone.docs.insert("e1".into(), doc_of(&expense("e1")));
    assert!(phone.sync(&addr).errors.is_empty());
    let before = stored_digest(dir.path(), url);

    // Whole requests that are wrong: 4xx, JSON naming the problem.
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("empty body", vec![], 400, "body"),
        ("not CBOR", b"{\"v\":1}".to_vec(), 400, "body"),
        ("CBOR of the wrong shape", cbor(&42u32), 400, "body"),
        ("a future protocol", cbor(&SyncRequest { v: 9, ..Default::default() }), 400, "v"),
        (
            "a manifest of the wrong length",
            cbor(&SyncRequest { v: 1, manifest: Some(vec![1, 2, 3]), ..Default::default() }),
            400,
            "manifest",
        ),
        ("over the size limit", vec![0u8; 3 << 20], 413, "body"),
    ];
    for (what, body, status, field) in cases {
        let (got, json) = post_raw(&addr, &tok, &body);
        assert_eq!(got, status, "{what}: {json}");
        assert_eq!(json["field"], field, "{what}: {json}");
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {json}");
    }
    let (status, json) = post_raw(&addr, "flt_not_a_token", &cbor(&SyncRequest { v: 1, ..Default::default() }));
    assert_eq!((status, json["field"].as_str()), (401, Some("authorization")), "{json}");

    // Documents that are wrong inside a good request: a per-document error each, nothing stored.
    let mut unknown_kind = AutoCommit::new();
    unknown_kind.put(ROOT, "kind", "blueprint").expect("put");
    unknown_kind.put(ROOT, "schema_version", ScalarValue::Int(1)).expect("put");
    let mut newer = doc_of(&expense("e-newer"));
    newer.put(ROOT, "schema_version", ScalarValue::Int(99)).expect("put");
    let mut not_a_record = AutoCommit::new();
    not_a_record.put(ROOT, "hello", "world").expect("put");
    let mut negative = expense("e-negative");
    negative.amount = Decimal::new(-5, 0);
    let mut far_future = expense("e-future");
    far_future.date = NaiveDate::from_ymd_opt(2099, 1, 1).expect("date");
    let mut wrong_id = doc_of(&expense("e-other-id"));
    let mut bad_amount = doc_of(&expense("e-text"));
    bad_amount.put(ROOT, "amount", "twelve yuan").expect("put");
    // Shapes the schema does not define, and what would bloat the server (issue 17, items 1-3).
    let deep = deep_doc("e-deep", 1_000);
    let mut text_note = doc_of(&expense("e-textnote"));
    let note = text_note.put_object(ROOT, "note", ObjType::Text).expect("put");
    text_note.splice_text(&note, 0, 0, &"备注".repeat(700)).expect("splice");
    let mut long_vendor = doc_of(&expense("e-vendor"));
    long_vendor.put(ROOT, "vendor", "供".repeat(100)).expect("put");
    let mut giant = doc_of(&expense("e-giant"));
    let scratch = giant.put_object(ROOT, "vendor", ObjType::Text).expect("put");
    giant.splice_text(&scratch, 0, 0, &"x".repeat(record_schema::shape::MAX_DOC_OPS as usize)).expect("splice");
    giant.delete(ROOT, "vendor").expect("delete");
    let lenient = ["1e5", "1E+2", "350", "+350.00", "0350.00", ".5", "-0.00"];
    let mut lenient_docs: Vec<(String, AutoCommit)> = lenient
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let id = format!("e-lenient-{i}");
            let mut d = doc_of(&expense(&id));
            d.put(ROOT, "amount", *text).expect("put");
            (id, d)
        })
        .collect();
    let mut docs = vec![
        ("k1", unknown_kind),
        ("e-newer", newer),
        ("x1", not_a_record),
        ("e-negative", doc_of(&negative)),
        ("e-future", doc_of(&far_future)),
        ("e-claimed", std::mem::take(&mut wrong_id)),
        ("e-text", bad_amount),
        ("e-deep", deep),
        ("e-textnote", text_note),
        ("e-vendor", long_vendor),
        ("e-giant", giant),
    ];
    docs.extend(lenient_docs.iter_mut().map(|(id, d)| (id.as_str(), std::mem::take(d))));
    let errors = send_docs(&addr, &tok, &mut docs);
    let code = |id: &str| errors.iter().find(|e| e.0 == id).map(|e| (e.1.as_str(), e.2.as_deref()));
    assert_eq!(code("k1").map(|c| c.0), Some("invalid"), "{errors:?}");
    assert_eq!(code("e-newer").map(|c| c.0), Some("invalid"), "{errors:?}");
    assert_eq!(code("x1").map(|c| c.0), Some("invalid"), "{errors:?}");
    assert_eq!(code("e-negative"), Some(("invalid", Some("amount"))), "{errors:?}");
    assert_eq!(code("e-future"), Some(("invalid", Some("date"))), "{errors:?}");
    assert_eq!(code("e-claimed").map(|c| c.0), Some("invalid"), "{errors:?}");
    assert_eq!(code("e-text").map(|c| c.0), Some("invalid"), "{errors:?}");
    assert_eq!(code("e-deep"), Some(("invalid", Some("deep"))), "{errors:?}");
    assert_eq!(code("e-textnote"), Some(("invalid", Some("note"))), "{errors:?}");
    assert_eq!(code("e-vendor"), Some(("invalid", Some("vendor"))), "{errors:?}");
    assert_eq!(code("e-giant").map(|c| c.0), Some("too_large"), "{errors:?}");
    for (i, text) in lenient.iter().enumerate() {
        assert_eq!(code(&format!("e-lenient-{i}")), Some(("invalid", Some("amount"))), "{text}: {errors:?}");
    }
    assert_eq!(errors.len(), 11 + lenient.len(), "{errors:?}");
    let message = |id: &str| errors.iter().find(|e| e.0 == id).map(|e| e.3.clone()).unwrap_or_default();
    assert!(message("e-vendor").contains("at most 200 bytes"), "the limit is named: {errors:?}");
    assert!(message("e-giant").contains("at most 500000"), "the limit is named: {errors:?}");

    // An edit that breaks a stored record is refused; the stored record stays as it was.
    let doc = phone.docs.get_mut("e1").expect("e1");
    doc.put(ROOT, "amount", "-1").expect("put");
    let t = phone.sync(&addr);
    assert_eq!(t.errors.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(), ["invalid"], "{t:?}");

    assert_eq!(stored_digest(dir.path(), url), before, "bad input changed nothing stored");
    // The server is alive and well, and a fresh phone still gets the good record.
    let (status, _) = get(&addr, "/healthz");
    assert_eq!(status, 200);
    assert!(server.child.try_wait().expect("wait").is_none(), "the server is still running");
    let mut fresh = SimPhone::new(token(dir.path(), url, "P1"));
    fresh.sync(&addr);
    assert_eq!(fresh.record("e1"), Record::Expense(expense("e1")));
}

/// A valid expense `id` with an extra root key `deep` nesting `depth` maps: about 1 KB that used to
/// sync fine and then overflow the stack of whoever walked it.
fn deep_doc(id: &str, depth: usize) -> AutoCommit {
    let mut d = doc_of(&expense(id));
    let mut obj = d.put_object(ROOT, "deep", ObjType::Map).expect("put");
    for _ in 0..depth {
        obj = d.put_object(&obj, "x", ObjType::Map).expect("nest");
    }
    d
}

/// A document stored before the shape check, nested 1,000 maps deep, once took the server down
/// whenever a supervisor opened the queue. Now it is listed as damaged, with the reason; the rest
/// of the queue, the record view and the web queue keep working.
fn stored_damage(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let tok = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let mut server = start_with(dir.path(), url);
    let addr = server.addr.clone();
    let mut phone = SimPhone::new(tok);
    phone.docs.insert("e1".into(), doc_of(&expense("e1")));
    assert!(phone.sync(&addr).errors.is_empty());
    store_directly(dir.path(), url, "e-bad", "expense", deep_doc("e-bad", 1_000).save());

    let bearer = format!("Bearer {sup}");
    let (status, body) = get_with(&addr, "/v1/approvals/pending", &[("Authorization", &bearer)]);
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let listed = v.as_array().or(v["records"].as_array()).expect("a list of records").clone();
    let entry = |id: &str| listed.iter().find(|r| r["id"] == id).cloned().unwrap_or_default();
    assert_eq!(entry("e1")["status"], "new", "{body}");
    assert_eq!(entry("e-bad")["status"], "damaged", "{body}");
    assert!(entry("e-bad")["damage"].as_str().is_some_and(|d| d.contains("deeper than 16")), "{body}");
    // Its view answers with an error, not a crash.
    let (status, body) = get_with(&addr, "/v1/records/e-bad", &[("Authorization", &bearer)]);
    assert_eq!(status, 422, "{body}");
    // The supervisors' page lists it as damaged beside the good record.
    let page = webkit_queue(&addr, &sup);
    assert!(page.contains("row-e-bad") && page.contains("badge damaged"), "{page}");
    assert!(page.contains("row-e1"), "{page}");
    let (status, _) = get(&addr, "/healthz");
    assert_eq!(status, 200);
    assert!(server.child.try_wait().expect("wait").is_none(), "the server is still running");
}

/// The queue page's HTML for a session opened with `token`.
fn webkit_queue(addr: &str, token: &str) -> String {
    let signed_in = webkit::sign_in(addr, token, "%2Fweb%2Fqueue");
    let r = webkit::http(addr, "GET", "/web/queue", &[("Cookie", &webkit::session_of(&signed_in))], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

#[test]
fn a_stored_damaged_document_is_listed_as_damaged_on_sqlite() {
    stored_damage(None);
}

#[test]
fn a_stored_damaged_document_is_listed_as_damaged_on_postgresql() {
    let pg = ThrowawayPg::create();
    stored_damage(Some(&pg.url()));
}

#[test]
fn bad_sync_input_is_refused_clearly_on_sqlite() {
    story(None);
}

#[test]
fn bad_sync_input_is_refused_clearly_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

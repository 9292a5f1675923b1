//! A labour sheet written by JavaScript Automerge 3 the ordinary way (record-schema's
//! tests/fixtures/js/make.mjs: strings as text objects, 0 and negatives as float64) synced through
//! the real server binary, on SQLite and on PostgreSQL: it is checked, queued for approval with the
//! right total and approved; a JS edit (a splice inside a text object) merges; a JS text beyond its
//! bound and a float 1.5 where an integer belongs are refused with a short `invalid` naming the path.

mod common;

use automerge::AutoCommit;
use common::api::{d, json_call};
use common::phone::SimPhone;
use common::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const SHEET: &str = "0193b000-0000-7000-8000-00000000a001";
const BAD: &str = "0193b000-0000-7000-8000-00000000a005";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../record-schema/tests/fixtures/js/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn heads(v: &Value) -> Vec<String> {
    v["heads"].as_array().expect("heads").iter().map(|h| h.as_str().expect("hex").to_string()).collect()
}

/// Net amount and count of the sheet's postings.
fn net(postings: &Value) -> (Decimal, usize) {
    let rows = postings["postings"].as_array().expect("postings");
    (rows.iter().map(|p| d(p["amount"].as_str().expect("amount"))).sum(), rows.len())
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();

    // A JavaScript client's sheet: 6 × 8 h × 47.50 = 2280.00 and 3 × 9.5 h at 365.00 a day of
    // 8 h = 1300.3125 → 1300.31 (each line rounded once, then summed).
    let mut js = SimPhone::new(foreman);
    js.docs.insert(SHEET.into(), AutoCommit::load(&fixture("labour_sheet.bin")).expect("JS document"));
    let t = js.sync(addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);

    let (s, v) = json_call(addr, &sup, "GET", "/v1/approvals/pending", None);
    assert_eq!(s, 200, "{v}");
    let rec = v["records"].as_array().expect("records").iter().find(|r| r["id"] == SHEET).expect("queued");
    assert_eq!(
        (rec["kind"].as_str(), rec["status"].as_str(), rec["date"].as_str()),
        (Some("labour_sheet"), Some("new"), Some("2026-11-20"))
    );
    assert_eq!(
        (rec["site_id"].as_str(), rec["author"].as_str(), rec["damage"].clone()),
        (Some("S1"), Some("li"), Value::Null)
    );
    let (s, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{SHEET}"), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["record"]["total"], "3580.31", "{v}");

    // A JS edit of a string field (a splice inside line l2's note) syncs and is read.
    let doc = js.docs.get_mut(SHEET).expect("held");
    doc.load_incremental(&fixture("labour_sheet_edit.bin")).expect("JS edit");
    let t = js.sync(addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    let (_, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{SHEET}"), None);
    assert!(v["record"].to_string().contains("加班，周六"), "{v}");
    assert_eq!(v["record"]["total"], "3580.31");

    // Approved as any sheet: two postings adding up to the total.
    let version = heads(&v);
    let approve = format!("/v1/records/{SHEET}/approve");
    let (s, r) = json_call(addr, &sup, "POST", &approve, Some(json!({ "heads": version, "comment": "ok" })));
    assert_eq!(s, 200, "{r}");
    let (s, p) = json_call(addr, &sup, "GET", &format!("/v1/ledger/postings?record={SHEET}"), None);
    assert_eq!(s, 200, "{p}");
    assert_eq!(net(&p), (d("3580.31"), 2));
    let l2 = p["postings"].as_array().expect("rows").iter().find(|r| r["line_id"] == "l2").expect("l2 posting");
    assert_eq!((l2["amount"].as_str(), l2["trade"].as_str()), (Some("1300.31"), Some("钢筋工")));
    let (_, v) = json_call(addr, &sup, "GET", "/v1/approvals/pending", None);
    assert!(v["records"].as_array().expect("records").iter().all(|r| r["id"] != SHEET), "approved: {v}");

    // A JS edit beyond a bound (4,001 characters spliced into the 4,000-byte note) is refused.
    let doc = js.docs.get_mut(SHEET).expect("held");
    doc.load_incremental(&fixture("labour_sheet_long_note.bin")).expect("JS edit");
    let t = js.sync(addr);
    let e = t.errors.iter().find(|e| e.id == SHEET).unwrap_or_else(|| panic!("refused: {:?}", t.errors));
    assert_eq!((e.code.as_str(), e.field.as_deref()), ("invalid", Some("note")), "{e:?}");
    assert_eq!(e.message, "field `note` is malformed: is 4009 characters long; at most 4000 bytes are allowed");

    // A float 1.5 where a crew line's position (an integer) belongs.
    js.docs.insert(BAD.into(), AutoCommit::load(&fixture("position_float.bin")).expect("JS document"));
    let t = js.sync(addr);
    let e = t.errors.iter().find(|e| e.id == BAD).unwrap_or_else(|| panic!("refused: {:?}", t.errors));
    assert_eq!((e.code.as_str(), e.field.as_deref()), ("invalid", Some("lines/l1/position")), "{e:?}");
    assert_eq!(e.message, "field `lines/l1/position` is malformed: expected an integer, found 1.5");
    assert!(e.message.len() < 120);
    let (s, _) = json_call(addr, &sup, "GET", &format!("/v1/records/{BAD}"), None);
    assert_eq!(s, 404, "nothing stored");
}

#[test]
fn javascript_documents_on_sqlite() {
    story(None);
}

#[test]
fn javascript_documents_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

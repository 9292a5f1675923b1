//! The JSON API as the office's tests call it: bearer-token requests, JSON answers, decimals.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::send;

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

/// A decimal the JSON carries as text (never a float).
pub fn dec(v: &Value) -> Decimal {
    d(v.as_str().unwrap_or_else(|| panic!("expected decimal text, got {v}")))
}

/// The content type of an XLSX upload (reference imports) and download (exports).
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Imports reference data (an XLSX `book`, e.g. `records::reference_workbook()`) as the admin
/// `admin`; the import's answer, which must be 200.
pub fn import_reference(addr: &str, admin: &str, book: &[u8]) -> Value {
    let (s, b) = call(addr, admin, "POST", "/v1/reference/import", book, XLSX);
    let v = serde_json::from_slice(&b).unwrap_or_else(|e| panic!("import: {s} {:?}: {e}", String::from_utf8_lossy(&b)));
    assert_eq!(s, 200, "{v}");
    v
}

/// Project P1 as 一号楼 (CNY) with three sites in Shanghai: S1 东区工地, S2 西区工地, S3 北区工地, imported
/// as `admin` (the people and scope screens' tests).
pub fn import_three_sites(addr: &str, admin: &str) -> Value {
    let book = crate::records::workbook(&[
        ("project", &[&["name", "currency"], &["一号楼", "CNY"]]),
        (
            "sites",
            &[
                &["id", "name", "time_zone"],
                &["S1", "东区工地", "Asia/Shanghai"],
                &["S2", "西区工地", "Asia/Shanghai"],
                &["S3", "北区工地", "Asia/Shanghai"],
            ],
        ),
    ]);
    import_reference(addr, admin, &book)
}

/// Any method with `token`; the raw answer.
pub fn call(addr: &str, token: &str, method: &str, path: &str, body: &[u8], content_type: &str) -> (u16, Vec<u8>) {
    let bearer = format!("Bearer {token}");
    send(addr, method, path, &[("Authorization", &bearer), ("Content-Type", content_type)], body)
}

/// A GET with `token` (no body, no content type); the raw answer, e.g. a photo or an export.
pub fn fetch(addr: &str, token: &str, path: &str) -> (u16, Vec<u8>) {
    send(addr, "GET", path, &[("Authorization", &format!("Bearer {token}"))], b"")
}

/// `call` with a JSON body (or none) and a JSON answer.
pub fn json_call(addr: &str, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    call_json(addr, token, method, path, body.as_bytes(), "application/json")
}

/// `call` with any body (a CSV, a workbook) and a JSON answer, e.g. an import's refusal.
pub fn call_json(addr: &str, token: &str, method: &str, path: &str, body: &[u8], content_type: &str) -> (u16, Value) {
    let (s, b) = call(addr, token, method, path, body, content_type);
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|e| panic!("{method} {path}: {s} {:?}: {e}", String::from_utf8_lossy(&b)));
    (s, v)
}

/// Approves the record's current version as the supervisor `sup`; the decision's answer.
pub fn approve_current(addr: &str, sup: &str, id: &str) -> Value {
    decide_current(addr, sup, id, "approve", "ok")
}

/// Decides (`verb`: approve or reject) on the version of the record the server holds now.
pub fn decide_current(addr: &str, sup: &str, id: &str, verb: &str, comment: &str) -> Value {
    let (s, v) = json_call(addr, sup, "GET", &format!("/v1/records/{id}"), None);
    assert_eq!(s, 200, "{v}");
    let (s, v) = json_call(
        addr,
        sup,
        "POST",
        &format!("/v1/records/{id}/{verb}"),
        Some(json!({ "heads": v["heads"], "comment": comment })),
    );
    assert_eq!(s, 200, "{v}");
    v
}

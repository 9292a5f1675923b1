//! Approvals end to end through the real server binary, on SQLite and on PostgreSQL: a foreman's
//! phone records a day and syncs, a supervisor lists it, approves an exact version, the postings
//! add up; the foreman edits, the record shows as changed since approval with the difference,
//! re-approval reverses the old postings; the decisions reach the phone by sync; bad input is
//! refused with JSON naming the field.

mod common;

use common::api::{d, json_call};
use common::phone::SimPhone;
use common::records::{crew_line, labour_sheet};
use common::*;
use record_schema::{Approval, CrewLine, DecisionStatus, Effort, LabourSheet, Record};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const SHEET: &str = "0193a000-0000-7000-8000-000000000001";

/// 6 × 8 h × 47.50 = 2280.00 and 3 × 2.5 days × 380.00 = 2850.00
fn sheet() -> LabourSheet {
    let l2 = CrewLine { position: 1, ..crew_line("l2", 3, Effort::Days(d("2.5")), "380.00", "03-100", "A2") };
    labour_sheet(SHEET, vec![crew_line("l1", 6, Effort::Hours(d("8")), "47.50", "03-100", "A1"), l2])
}

fn heads(v: &Value) -> Vec<String> {
    v["heads"].as_array().expect("heads").iter().map(|h| h.as_str().expect("hex").to_string()).collect()
}

/// Net sums of the record's postings: amount, headcount-days, posting count.
fn net(postings: &Value) -> (Decimal, Decimal, usize) {
    let rows = postings["postings"].as_array().expect("postings");
    let amount = rows.iter().map(|p| d(p["amount"].as_str().expect("amount"))).sum();
    let days = rows.iter().map(|p| d(p["headcount_days"].as_str().expect("days"))).sum();
    (amount, days, rows.len())
}

fn approval_on(phone: &SimPhone) -> Approval {
    Approval::read(phone.docs.get(&Approval::document_id(SHEET)).expect("approval document on the phone"))
        .expect("reads")
}

fn heads_of(phone: &mut SimPhone) -> Vec<String> {
    let mut h: Vec<String> =
        phone.docs.get_mut(SHEET).expect("sheet").get_heads().iter().map(ToString::to_string).collect();
    h.sort();
    h
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let foreman2 = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let other = token_as(dir.path(), url, "P2", "supervisor");
    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();

    // The foreman records the day and syncs.
    let mut li = SimPhone::new(foreman.clone());
    li.docs.insert(SHEET.into(), records::sheet_doc(&sheet()));
    assert!(li.sync(addr).errors.is_empty());

    // The supervisor sees it pending, new; filters narrow the list.
    let (s, v) = json_call(addr, &sup, "GET", "/v1/approvals/pending", None);
    assert_eq!(s, 200, "{v}");
    let rec = &v["records"][0];
    assert_eq!(
        (rec["id"].as_str(), rec["status"].as_str(), rec["kind"].as_str()),
        (Some(SHEET), Some("new"), Some("labour_sheet"))
    );
    for (q, n) in [
        ("?site=S1&from=2026-11-20&to=2026-11-20&kind=labour_sheet&author=li", 1),
        ("?site=S2", 0),
        ("?from=2026-11-21", 0),
        ("?kind=expense", 0),
        ("?author=wang", 0),
    ] {
        let (s, v) = json_call(addr, &sup, "GET", &format!("/v1/approvals/pending{q}"), None);
        assert_eq!((s, v["records"].as_array().map(Vec::len)), (200, Some(n)), "{q}: {v}");
    }
    let (s, v) = json_call(addr, &sup, "GET", "/v1/approvals/pending?from=20-11-2026", None);
    assert_eq!((s, v["field"].as_str()), (400, Some("from")), "{v}");

    let (s, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{SHEET}"), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["approval"]["status"], "pending");
    assert_eq!(v["record"]["total"], "5130.00");
    let v1 = heads(&v);

    // Bad input: a foreman approving, unknown or malformed heads, another project's supervisor.
    let approve = format!("/v1/records/{SHEET}/approve");
    let (s, v) = json_call(addr, &foreman, "POST", &approve, Some(json!({ "heads": v1, "comment": "mine" })));
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")), "{v}");
    let (s, v) = json_call(addr, &sup, "POST", &approve, Some(json!({ "heads": ["ab".repeat(32)], "comment": "" })));
    assert_eq!((s, v["field"].as_str()), (404, Some("heads")), "{v}");
    let (s, v) = json_call(addr, &sup, "POST", &approve, Some(json!({ "heads": ["not hex"] })));
    assert_eq!((s, v["field"].as_str()), (400, Some("heads")), "{v}");
    let (s, v) = json_call(addr, &sup, "POST", &approve, Some(json!({ "heads": [] })));
    assert_eq!((s, v["field"].as_str()), (400, Some("heads")), "{v}");
    let (s, v) = json_call(addr, &sup, "POST", &approve, Some(json!({ "comment": "no heads" })));
    assert_eq!((s, v["field"].as_str()), (400, Some("body")), "{v}");
    let (s, v) = json_call(addr, &other, "POST", &approve, Some(json!({ "heads": v1 })));
    assert_eq!((s, v["field"].as_str()), (404, Some("id")), "another project's record does not exist for them: {v}");
    let (s, _) = json_call(addr, &other, "GET", &format!("/v1/records/{SHEET}"), None);
    assert_eq!(s, 404);
    let (s, v) = json_call(addr, &sup, "POST", "/v1/records/nope/approve", Some(json!({ "heads": v1 })));
    assert_eq!((s, v["field"].as_str()), (404, Some("id")), "{v}");
    let postings = format!("/v1/ledger/postings?record={SHEET}");
    let (s, v) = json_call(addr, &sup, "GET", "/v1/ledger/postings", None);
    assert_eq!((s, v["field"].as_str()), (400, Some("record")), "{v}");
    let (s, _) = json_call(addr, &foreman, "GET", &postings, None);
    assert_eq!(s, 403);
    assert_eq!(
        net(&json_call(addr, &sup, "GET", &postings, None).1),
        (Decimal::ZERO, Decimal::ZERO, 0),
        "refusals post nothing"
    );

    // Approve the exact version: two labour postings, 5130.00 and 13.5 headcount-days.
    let (s, first) = json_call(addr, &sup, "POST", &approve, Some(json!({ "heads": v1, "comment": "ok" })));
    assert_eq!(s, 200, "{first}");
    assert_eq!((first["postings"].as_i64(), first["reversals"].as_i64()), (Some(2), Some(0)));
    assert_eq!(first["decision"]["decided_by_role"], "supervisor");
    let (s, p) = json_call(addr, &sup, "GET", &postings, None);
    assert_eq!(s, 200, "{p}");
    assert_eq!(net(&p), (d("5130.00"), d("13.5"), 2));
    let l1 = p["postings"].as_array().expect("rows").iter().find(|r| r["line_id"] == "l1").expect("l1 posting");
    assert_eq!(
        (l1["amount"].as_str(), l1["cost_code"].as_str(), l1["activity"].as_str(), l1["trade"].as_str()),
        (Some("2280.00"), Some("03-100"), Some("A1"), Some("木工"))
    );
    assert_eq!((l1["decision_id"].clone(), l1["heads"].clone()), (first["decision"]["id"].clone(), json!(v1)));

    // Approving the same version again, or retrying, changes nothing and answers the same.
    for body in
        [json!({ "heads": v1, "comment": "ok" }), json!({ "heads": v1, "comment": "again", "request_id": "r-0" })]
    {
        let (s, again) = json_call(addr, &sup, "POST", &approve, Some(body));
        assert_eq!((s, &again), (200, &first));
    }
    assert_eq!(net(&json_call(addr, &sup, "GET", &postings, None).1).2, 2);
    let (_, v) = json_call(addr, &sup, "GET", "/v1/approvals/pending", None);
    assert_eq!(v["records"], json!([]), "nothing pending");

    // The decision reaches the phone by sync, read-only.
    li.sync(addr);
    let a = approval_on(&li);
    assert!(a.approves(&v1));
    assert_eq!(a.latest().map(|d| (d.status, d.comment.as_str())), Some((DecisionStatus::Approved, "ok")));

    // The foreman edits: 7 carpenters, not 6. Flagged changed since approval, with the difference.
    li.edit_sheet(SHEET, |s| s.lines[0].headcount = 7);
    assert!(li.sync(addr).errors.is_empty());
    let (_, v) = json_call(addr, &sup, "GET", "/v1/approvals/pending", None);
    assert_eq!(v["records"][0]["status"], "changed_since_approval", "{v}");
    assert_eq!(v["records"][0]["approved_heads"], json!(v1));
    let (_, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{SHEET}"), None);
    assert_eq!(v["approval"]["status"], "changed_since_approval");
    let changes = v["changes_since_approval"].as_array().expect("difference");
    let hc = changes.iter().find(|c| c["field"] == "lines/l1/headcount").expect("headcount changed");
    assert_eq!((hc["approved"].clone(), hc["current"].clone()), (json!(6), json!(7)));
    assert_eq!(v["approved_record"]["total"], "5130.00");
    let v2 = heads(&v);
    assert_ne!(v1, v2);

    // Re-approval reverses the old postings and posts the new ones; a retried request is a no-op.
    let body = json!({ "heads": v2, "comment": "7 ok", "request_id": "re-1" });
    let (s, second) = json_call(addr, &sup, "POST", &approve, Some(body.clone()));
    assert_eq!(s, 200, "{second}");
    assert_eq!((second["postings"].as_i64(), second["reversals"].as_i64()), (Some(4), Some(2)));
    assert_eq!(second["decision"]["replaces"], first["decision"]["id"]);
    let (s, retried) = json_call(addr, &sup, "POST", &approve, Some(body));
    assert_eq!((s, &retried), (200, &second));
    let (_, p) = json_call(addr, &sup, "GET", &postings, None);
    // 7 × 8 × 47.50 = 2660.00 + 2850.00; 7 + 7.5 headcount-days.
    assert_eq!(net(&p), (d("5510.00"), d("14.5"), 6));
    let rows = p["postings"].as_array().expect("rows");
    assert!(rows[2..4].iter().all(|r| r["entry"] == "reversal" && r["heads"] == json!(v1)));
    assert_eq!(rows[2]["reverses"], rows[0]["id"]);
    // A request id used for something else is refused.
    let (s, v) = json_call(
        addr,
        &sup,
        "POST",
        &format!("/v1/records/{SHEET}/reject"),
        Some(json!({ "heads": v1, "comment": "no", "request_id": "re-1" })),
    );
    assert_eq!((s, v["field"].as_str()), (409, Some("request_id")), "{v}");

    // Two phones set the same field: the conflict must be resolved before approval.
    let mut wang = SimPhone::new(foreman2);
    wang.sync(addr);
    li.edit_sheet(SHEET, |s| s.lines[1].headcount = 4);
    wang.edit_sheet(SHEET, |s| s.lines[1].headcount = 5);
    li.sync(addr);
    wang.sync(addr);
    li.sync(addr);
    let (_, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{SHEET}"), None);
    assert_eq!(v["conflicts"][0]["field"], "lines/l2/headcount", "{v}");
    let v3 = heads(&v);
    let (s, v) = json_call(addr, &sup, "POST", &approve, Some(json!({ "heads": v3 })));
    assert_eq!(
        (s, v["error"].as_str(), v["field"].as_str()),
        (409, Some("conflicts"), Some("lines/l2/headcount")),
        "{v}"
    );
    // Rejecting it is allowed, posts nothing, and takes it off the pending list.
    let (s, rej) = json_call(
        addr,
        &sup,
        "POST",
        &format!("/v1/records/{SHEET}/reject"),
        Some(json!({ "heads": v3, "comment": "4 or 5?" })),
    );
    assert_eq!((s, rej["postings"].as_i64()), (200, Some(0)), "{rej}");
    assert_eq!(
        net(&json_call(addr, &sup, "GET", &postings, None).1),
        (d("5510.00"), d("14.5"), 6),
        "a rejection posts nothing"
    );
    let (_, v) = json_call(addr, &sup, "GET", "/v1/approvals/pending", None);
    assert_eq!(v["records"], json!([]));
    let (_, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{SHEET}"), None);
    assert_eq!(
        (v["approval"]["status"].as_str(), v["approval"]["approved_heads"].clone()),
        (Some("rejected"), json!(v2))
    );
    // The standing approval cannot be rejected (it is replaced by approving another version).
    let (s, v) = json_call(addr, &sup, "POST", &format!("/v1/records/{SHEET}/reject"), Some(json!({ "heads": v2 })));
    assert_eq!((s, v["field"].as_str()), (400, Some("comment")), "a rejection says why: {v}");
    let (s, v) = json_call(
        addr,
        &sup,
        "POST",
        &format!("/v1/records/{SHEET}/reject"),
        Some(json!({ "heads": v2, "comment": "no" })),
    );
    assert_eq!((s, v["field"].as_str()), (409, Some("heads")), "{v}");
    li.sync(addr);
    let a = approval_on(&li);
    assert!(a.approves(&v2), "the ledger still stands on the second version");
    assert_eq!(a.latest().map(|d| (d.status, d.comment.as_str())), Some((DecisionStatus::Rejected, "4 or 5?")));
    // A phone may not write the approval document.
    let mut forged = li.clone();
    let approval_doc = forged.docs.get_mut(&Approval::document_id(SHEET)).expect("doc");
    let mut a2 = Approval::read(approval_doc).expect("reads");
    a2.approved_heads = Some(v3.clone());
    a2.write(approval_doc).expect("write");
    let t = forged.sync(addr);
    assert!(t.errors.iter().any(|e| e.code == "server_owned"), "{:?}", t.errors);

    // The supervisor settles the conflict (keeping the other value), then approves the result.
    let resolve = format!("/v1/records/{SHEET}/resolve");
    let (_, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{SHEET}"), None);
    let kept: i64 = v["conflicts"][0]["values"][1].as_str().expect("value").parse().expect("headcount");
    let (s, v) = json_call(
        addr,
        &foreman,
        "POST",
        &resolve,
        Some(json!({ "heads": v3, "field": "lines/l2/headcount", "choice": 1 })),
    );
    assert_eq!(s, 403, "{v}");
    let (s, v) = json_call(
        addr,
        &sup,
        "POST",
        &resolve,
        Some(json!({ "heads": v3, "field": "lines/l1/headcount", "choice": 1 })),
    );
    assert_eq!((s, v["field"].as_str()), (400, Some("field")), "no conflict there: {v}");
    let (s, v) = json_call(
        addr,
        &sup,
        "POST",
        &resolve,
        Some(json!({ "heads": v3, "field": "lines/l2/headcount", "choice": 1 })),
    );
    assert_eq!((s, v["conflicts"].clone()), (200, json!([])), "{v}");
    let v4 = heads(&v);
    let (s, v) = json_call(
        addr,
        &sup,
        "POST",
        &resolve,
        Some(json!({ "heads": v3, "field": "lines/l2/headcount", "choice": 0 })),
    );
    assert_eq!((s, v["field"].as_str()), (409, Some("heads")), "a stale read: {v}");
    let (_, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{SHEET}"), None);
    assert_eq!(
        (v["record"]["lines"][1]["headcount"].as_i64(), v["approval"]["status"].as_str()),
        (Some(kept), Some("changed_since_approval"))
    );
    assert!(
        v["history"]
            .as_array()
            .expect("history")
            .iter()
            .any(|c| c["message"].as_str().is_some_and(|m| m.contains("resolved by")))
    );
    let (s, third) = json_call(addr, &sup, "POST", &approve, Some(json!({ "heads": v4, "comment": "settled" })));
    assert_eq!((s, third["reversals"].as_i64(), third["postings"].as_i64()), (200, Some(2), Some(4)), "{third}");
    let (_, p) = json_call(addr, &sup, "GET", &postings, None);
    let expected = d("2660.00") + Decimal::from(kept) * d("950.00");
    assert_eq!(net(&p), (expected, d("7") + Decimal::from(kept) * d("2.5"), 10));
    li.sync(addr);
    let Record::LabourSheet(on_phone) = li.record(SHEET) else { panic!("a sheet") };
    assert_eq!(on_phone.lines[1].headcount, kept, "the supervisor's resolution reached the phone");
    assert!(approval_on(&li).approves(&v4), "the phone has the settled record and its approval");
    assert_eq!(heads_of(&mut li), v4);

    // The real phone core accepts the approval documents it receives.
    let store = common::phone_core::open_phone(dir.path(), "zhao");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let r = rt.block_on(store.sync(format!("http://{addr}"), foreman, None, None)).expect("phone core syncs");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(store.unsynced().expect("unsynced").records, 0, "approvals are not the phone's unsynced work");
    assert_eq!(
        store.list_records(Default::default()).expect("list").len(),
        1,
        "the approval is not listed as a record"
    );
    drop(server);
    append_only(dir.path(), url);
}

/// The decisions and postings tables refuse UPDATE and DELETE.
fn append_only(dir: &std::path::Path, url: Option<&str>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let db = server::db::Db::connect(url, dir).await.expect("db");
        for sql in [
            "UPDATE ledger_postings SET amount_minor = 0",
            "DELETE FROM ledger_postings",
            "UPDATE approval_decisions SET comment = 'x'",
            "DELETE FROM approval_decisions",
        ] {
            let r = match &db {
                server::db::Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(drop),
                server::db::Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(drop),
            };
            let e = r.expect_err(sql);
            assert!(e.to_string().contains("append-only"), "{sql}: {e}");
        }
    });
}

#[test]
fn approvals_end_to_end_on_sqlite() {
    story(None);
}

#[test]
fn approvals_end_to_end_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

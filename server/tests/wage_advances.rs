//! Wage advances (借支, issue 21) through the real binary on SQLite and PostgreSQL: the office's
//! roster reaches the phone in its reference data (names, crews, trades; no ID numbers); a foreman's
//! phone syncs an advance for a roster worker and a sheet naming roster workers; bad advances
//! (amount 0, no reason, a worker id not on the roster) and a crew line naming an unknown id are
//! refused at sync with the field named, and nothing is stored; the supervisor sees the advance
//! pending, approves it, and it posts nothing to the cost ledger; the record and print pages show
//! it in both languages.

mod common;
mod webkit;

use chrono::NaiveDate;
use common::funds_fixture::{Funds, id_number, setup};
use common::phone::SimPhone;
use common::records::{crew_line, header, labour_sheet, sheet_doc, site_today};
use common::*;
use record_schema::{Currency, Effort, ReferenceData, WageAdvance, Worker};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const ADVANCE: &str = "0193a000-0000-7000-8000-0000000000a1";
const SHEET: &str = "0193a000-0000-7000-8000-0000000000a2";

fn advance(id: &str, worker_id: Option<&str>) -> WageAdvance {
    WageAdvance {
        header: header(id, "P1"),
        date: NaiveDate::parse_from_str(&site_today(), "%Y-%m-%d").expect("today"),
        worker: Worker { name: "王强".into(), id_number: None, worker_id: worker_id.map(str::to_string) },
        crew: Some("张班".into()),
        amount: Decimal::new(50000, 2),
        currency: Currency::Cny,
        reason: "家里急用".into(),
        slips: vec![],
        note: Some("现金".into()),
    }
}

fn doc(a: &WageAdvance) -> automerge::AutoCommit {
    let mut d = automerge::AutoCommit::new();
    a.write(&mut d).expect("write");
    d
}

fn page(f: &Funds, path: &str, lang: &str) -> String {
    let r = webkit::sign_in(&f.server.addr, &f.sup, "%2Fweb%2Fqueue");
    let cookie = format!("{}; fl_lang={lang}", webkit::session_of(&r));
    let r = webkit::http(&f.server.addr, "GET", path, &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.text()
}

#[test]
fn wage_advances_on_sqlite() {
    wage_advances(None);
}

#[test]
fn wage_advances_on_postgres() {
    let pg = ThrowawayPg::create();
    wage_advances(Some(&pg.url()));
}

fn wage_advances(url: Option<&str>) {
    let f = setup(url);
    let addr = f.server.addr.clone();

    // The office adds two workers; the roster is published to the phones without their numbers.
    let mut ids = Vec::new();
    let numbers = [id_number("11010519900307123"), id_number("11010519851112456")];
    for (name, number) in [("王强", &numbers[0]), ("刘军", &numbers[1])] {
        let body = json!({"name": name, "id_number": number, "crew": "张班", "trade": "木工"});
        let (s, v) = f.call(&f.admin, "POST", "/v1/funds/workers", Some(body));
        assert_eq!(s, 201, "{v}");
        ids.push(v["worker"]["id"].as_str().expect("worker id").to_string());
    }
    let mut phone = SimPhone::new(f.foreman.clone());
    assert!(phone.sync(&addr).errors.is_empty());
    let reference_doc = phone.docs.get(&ReferenceData::document_id("P1")).expect("reference doc");
    let published = ReferenceData::read(reference_doc).expect("reference");
    let mut roster: Vec<_> = published.workers.iter().map(|w| (w.id.clone(), w.name.clone())).collect();
    roster.sort();
    let mut want = vec![(ids[0].clone(), "王强".to_string()), (ids[1].clone(), "刘军".to_string())];
    want.sort();
    assert_eq!(roster, want);
    assert_eq!(published.worker(&ids[0]).and_then(|w| w.trade.as_deref()), Some("木工"));
    let saved = reference_doc.clone().save();
    for number in &numbers {
        assert!(!saved.windows(number.len()).any(|w| w == number.as_bytes()), "an ID number reached the phone");
    }

    // An advance for a roster worker, and a sheet naming roster workers: both accepted.
    phone.docs.insert(ADVANCE.into(), doc(&advance(ADVANCE, Some(&ids[0]))));
    let mut line = crew_line("l1", 3, Effort::Days(Decimal::ONE), "380.00", "03-100", "A1");
    line.workers = vec![
        Worker { name: "王强".into(), id_number: None, worker_id: Some(ids[0].clone()) },
        Worker { name: "新人".into(), ..Default::default() },
    ];
    phone.docs.insert(SHEET.into(), sheet_doc(&labour_sheet(SHEET, vec![line.clone()])));
    let t = phone.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);

    // Bad input is refused at sync, the field named, nothing stored.
    let mut bad: Vec<(String, automerge::AutoCommit, &str)> = Vec::new();
    let mut zero = advance("0193a000-0000-7000-8000-0000000000b1", Some(&ids[0]));
    zero.amount = Decimal::ZERO;
    let mut no_reason = advance("0193a000-0000-7000-8000-0000000000b2", None);
    no_reason.reason = String::new();
    let stranger = advance("0193a000-0000-7000-8000-0000000000b3", Some("W-NOT-ON-ROSTER"));
    for (a, field) in [(zero, "amount"), (no_reason, "reason"), (stranger, "worker.worker_id")] {
        bad.push((a.header.id.clone(), doc(&a), field));
    }
    let mut unknown_line = line.clone();
    unknown_line.workers[1].worker_id = Some("W-NOT-ON-ROSTER".into());
    let bad_sheet = "0193a000-0000-7000-8000-0000000000b4";
    bad.push((
        bad_sheet.into(),
        sheet_doc(&labour_sheet(bad_sheet, vec![unknown_line])),
        "lines[0].workers[1].worker_id",
    ));
    let mut liar = SimPhone::new(f.foreman.clone());
    for (id, d, _) in &bad {
        liar.docs.insert(id.clone(), d.clone());
    }
    let t = liar.sync(&addr);
    for (id, _, field) in &bad {
        let e = t.errors.iter().find(|e| &e.id == id).unwrap_or_else(|| panic!("{id} not refused: {:?}", t.errors));
        assert_eq!((e.code.as_str(), e.field.as_deref()), ("invalid", Some(*field)), "{e:?}");
        let (s, _) = f.call(&f.sup, "GET", &format!("/v1/records/{id}"), None);
        assert_eq!(s, 404, "{id} was stored");
    }

    // The supervisor sees the advance pending, with its amount; the kind filter finds it.
    let (s, v) = f.call(&f.sup, "GET", "/v1/approvals/pending?kind=wage_advance", None);
    assert_eq!(s, 200, "{v}");
    let listed: Vec<&Value> = v["records"].as_array().expect("records").iter().collect();
    assert_eq!(listed.len(), 1, "{v}");
    assert_eq!((listed[0]["id"].as_str(), listed[0]["kind"].as_str()), (Some(ADVANCE), Some("wage_advance")));
    let (s, v) = f.call(&f.sup, "GET", &format!("/v1/records/{ADVANCE}"), None);
    assert_eq!(s, 200, "{v}");
    let r = &v["record"];
    assert_eq!(
        (r["amount"].as_str(), r["reason"].as_str(), r["worker"]["worker_id"].as_str(), r["crew"].as_str()),
        (Some("500.00"), Some("家里急用"), Some(ids[0].as_str()), Some("张班"))
    );

    let queue = page(&f, "/web/queue?kind=wage_advance", "zh-CN");
    for w in ["借支", "¥500.00"] {
        assert!(queue.contains(w), "queue: {w} missing: {queue}");
    }

    // Approved like the others; it posts nothing to the cost or schedule ledgers.
    let decided = api::approve_current(&addr, &f.sup, ADVANCE);
    assert_eq!(decided["decision"]["status"], "approved", "{decided}");
    let (s, v) = f.call(&f.sup, "GET", &format!("/v1/ledger/postings?record={ADVANCE}"), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["postings"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(f.count(&format!("SELECT COUNT(*) FROM ledger_postings WHERE record_id = '{ADVANCE}'")), 0);
    let (_, v) = f.call(&f.sup, "GET", &format!("/v1/records/{ADVANCE}"), None);
    assert_eq!(v["approval"]["status"], "approved", "{v}");
    // The sheet naming roster workers is approved too, and posts its cost as always.
    api::approve_current(&addr, &f.sup, SHEET);
    assert_eq!(f.count(&format!("SELECT COUNT(*) FROM ledger_postings WHERE record_id = '{SHEET}'")), 1);
    // The decision reaches the phone.
    assert!(phone.sync(&addr).errors.is_empty());
    assert!(phone.docs.contains_key(&format!("approval:{ADVANCE}")));

    // Changed after approval: the supervisor reads what changed in words, and re-approving still
    // posts nothing.
    phone.edit(ADVANCE, |r| {
        let record_schema::Record::WageAdvance(a) = r else { panic!("not an advance") };
        a.amount = Decimal::new(60000, 2);
        a.reason = "孩子学费".into();
    });
    assert!(phone.sync(&addr).errors.is_empty());
    let (_, v) = f.call(&f.sup, "GET", &format!("/v1/records/{ADVANCE}"), None);
    let mut changed: Vec<&str> =
        v["changes_by_line"]["fields"].as_array().expect("fields").iter().filter_map(|x| x["field"].as_str()).collect();
    changed.sort_unstable();
    assert_eq!(changed, ["amount", "reason"], "{v}");
    let html = page(&f, &format!("/web/records/{ADVANCE}"), "zh-CN");
    for w in ["借支事由：家里急用→孩子学费", "¥500.00→¥600.00"] {
        assert!(html.contains(w), "{w} missing: {html}");
    }
    api::approve_current(&addr, &f.sup, ADVANCE);
    assert_eq!(f.count(&format!("SELECT COUNT(*) FROM ledger_postings WHERE record_id = '{ADVANCE}'")), 0);

    // The record page and the print page, in both languages.
    for (lang, words) in [
        ("zh-CN", ["借支", "借支人", "借支事由", "孩子学费", "王强", "¥600.00", "张班"]),
        ("en", ["Wage advance", "Worker", "Reason", "孩子学费", "王强", "¥600.00", "张班"]),
    ] {
        let html = page(&f, &format!("/web/records/{ADVANCE}"), lang);
        for w in words {
            assert!(html.contains(w), "{lang} record page: {w} missing: {html}");
        }
        let html = page(&f, &format!("/web/records/{ADVANCE}/print"), lang);
        for w in words {
            assert!(html.contains(w), "{lang} print page: {w} missing: {html}");
        }
    }
}

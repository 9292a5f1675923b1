//! A wage advance (借支, issue 21) from the phone library to the supervisor and back, through the
//! real server binary (SQLite): the office's roster reaches the phone, the foreman records an
//! advance for a roster worker with a photo of the signed slip, the sync uploads the slip, the
//! supervisor approves, the phone sees the decision; an advance for a worker the roster does not
//! list is refused on the phone before it is ever stored.

use fieldledger_tests::api::{approve_current, fetch, import_reference, json_call};
use fieldledger_tests::phone_core::{open_phone, place};
use fieldledger_tests::records::{reference_workbook, site_today};
use fieldledger_tests::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::*;
use serde_json::json;

#[test]
fn an_advance_with_its_slip_goes_from_the_phone_to_approval_and_back() {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();
    import_reference(addr, &admin, &reference_workbook());
    let body = json!({"name": "王强", "crew": "张班", "trade": "木工"});
    let (s, v) = json_call(addr, &admin, "POST", "/v1/funds/workers", Some(body));
    assert_eq!(s, 201, "{v}");
    let worker_id = v["worker"]["id"].as_str().expect("id").to_string();

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let phone = open_phone(dir.path(), "li");
    let base = format!("http://{addr}");
    let sync = || {
        let r = rt.block_on(phone.sync(base.clone(), foreman.clone(), None, None)).expect("sync");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        r
    };
    sync();
    let roster = phone.roster("P1".into()).expect("roster");
    assert_eq!(
        roster.iter().map(|w| (w.id.as_str(), w.name.as_str())).collect::<Vec<_>>(),
        [(worker_id.as_str(), "王强")]
    );

    let input = |worker_id: &str| WageAdvanceInput {
        date: site_today(),
        worker: Worker { name: "王强".into(), id_number: None, worker_id: Some(worker_id.into()) },
        crew: roster[0].crew.clone(),
        amount: "800".into(),
        currency: None,
        reason: "家里急用".into(),
        note: None,
    };
    match phone.create_wage_advance(place(), input("W-NOT-ON-ROSTER")) {
        Err(CoreError::InvalidInput { field, .. }) => assert_eq!(field, "worker.worker_id"),
        other => panic!("expected InvalidInput on worker.worker_id, got {other:?}"),
    }
    let advance = phone.create_wage_advance(place(), input(&worker_id)).expect("advance");
    let id = advance.info.id.clone();
    let slip = dir.path().join("slip.jpg");
    std::fs::write(&slip, blobkit::jpeg(900, 1200, 3, false)).expect("slip file");
    let photo = rt
        .block_on(phone.attach_photo(id.clone(), slip.display().to_string(), PhotoContext::default()))
        .expect("attach slip");
    let report = sync();
    assert_eq!(report.photos_uploaded, 1, "{report:?}");

    // The supervisor reads it with its slip, and approves it.
    let (s, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{id}"), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kind"], "wage_advance");
    assert_eq!(v["record"]["amount"], "800.00");
    assert_eq!(v["record"]["slips"][0]["sha256"], photo.sha256.as_str());
    let (s, bytes) = fetch(addr, &sup, &format!("/v1/blobs/{}", photo.sha256));
    assert_eq!((s, bytes), (200, std::fs::read(&slip).expect("slip")), "the slip was uploaded whole");
    approve_current(addr, &sup, &id);
    sync();
    let status = phone.approval_status(id.clone()).expect("status");
    assert_eq!((status.state, status.decisions), (ApprovalState::Approved, 1));
}

//! The phone learns what supervisors decided: `FieldStore::approval_status` after a sync, through
//! the real server binary (SQLite): approved, changed since approval after an edit, rejected with
//! the supervisor's comment, pending again after the foreman fixes it.

mod common;

use common::api::decide_current;
use common::*;
use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::*;

fn today() -> String {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string()
}

fn line(headcount: i64) -> CrewLineInput {
    CrewLineInput {
        trade: "木工".into(),
        crew: Some("张班".into()),
        headcount,
        effort_unit: EffortUnit::Hours,
        effort: "8".into(),
        rate: "47.50".into(),
        cost_code: "03-100".into(),
        activity: None,
        note: None,
        workers: vec![],
    }
}

#[test]
fn the_phone_sees_decisions() {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();
    let base = format!("http://{addr}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let phone = FieldStore::open(dir.path().join("li.db").display().to_string(), "li".into()).expect("open");
    let sheet = phone
        .create_labour_sheet(NewLabourSheet {
            project_id: "P1".into(),
            site_id: "S1".into(),
            time_zone: "Asia/Shanghai".into(),
            work_date: today(),
            currency: None,
            note: None,
        })
        .expect("sheet");
    let id = sheet.info.id.clone();
    let l = phone.add_crew_line(id.clone(), line(6)).expect("line");
    let sync = || {
        let r = rt.block_on(phone.sync(base.clone(), foreman.clone(), None, None)).expect("sync");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    };
    sync();
    let status = phone.approval_status(id.clone()).expect("status");
    assert_eq!((status.state, status.decisions), (ApprovalState::Pending, 0));

    decide_current(addr, &sup, &id, "approve", "ok");
    sync();
    let status = phone.approval_status(id.clone()).expect("status");
    assert_eq!((status.state, status.decisions, status.comment.as_deref()), (ApprovalState::Approved, 1, Some("ok")));
    assert!(status.decided_by.is_some() && status.decided_at_ms.is_some_and(|t| t > 0));

    phone.update_crew_line(id.clone(), l.id.clone(), line(7)).expect("edit");
    assert_eq!(phone.approval_status(id.clone()).expect("status").state, ApprovalState::ChangedSinceApproval);
    sync();
    decide_current(addr, &sup, &id, "reject", "7 carpenters? the gate log says 6");
    sync();
    let status = phone.approval_status(id.clone()).expect("status");
    assert_eq!(
        (status.state, status.comment.as_deref()),
        (ApprovalState::Rejected, Some("7 carpenters? the gate log says 6"))
    );

    phone.update_crew_line(id.clone(), l.id, line(6)).expect("fix");
    assert_eq!(
        phone.approval_status(id.clone()).expect("status").state,
        ApprovalState::ChangedSinceApproval,
        "the approved version still stands"
    );
    assert!(matches!(phone.approval_status("no-such-record".into()), Err(mobile_core::CoreError::NotFound { .. })));
}

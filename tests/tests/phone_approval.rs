//! The phone learns what supervisors decided: `FieldStore::approval_status` after a sync, through
//! the real server binary (SQLite): approved, changed since approval after an edit, rejected with
//! the supervisor's comment, pending again after the foreman fixes it.

use fieldledger_tests::api::decide_current;
use fieldledger_tests::phone_core::{carpenters, new_sheet, open_phone};
use fieldledger_tests::*;
use mobile_core::ffi::types::*;

#[test]
fn the_phone_sees_decisions() {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();
    let base = format!("http://{addr}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let phone = open_phone(dir.path(), "li");
    let sheet = phone.create_labour_sheet(new_sheet()).expect("sheet");
    let id = sheet.info.id.clone();
    let l = phone.add_crew_line(id.clone(), carpenters(6)).expect("line");
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

    phone.update_crew_line(id.clone(), l.id.clone(), carpenters(7)).expect("edit");
    assert_eq!(phone.approval_status(id.clone()).expect("status").state, ApprovalState::ChangedSinceApproval);
    sync();
    decide_current(addr, &sup, &id, "reject", "7 carpenters? the gate log says 6");
    sync();
    let status = phone.approval_status(id.clone()).expect("status");
    assert_eq!(
        (status.state, status.comment.as_deref()),
        (ApprovalState::Rejected, Some("7 carpenters? the gate log says 6"))
    );

    phone.update_crew_line(id.clone(), l.id, carpenters(6)).expect("fix");
    assert_eq!(
        phone.approval_status(id.clone()).expect("status").state,
        ApprovalState::ChangedSinceApproval,
        "the approved version still stands"
    );
    assert!(matches!(phone.approval_status("no-such-record".into()), Err(mobile_core::CoreError::NotFound { .. })));
}

//! The phone core's sync client (mobile-core, through its app-facing API) against the real server
//! binary, on SQLite and on PostgreSQL.

use fieldledger_tests::phone_core::{carpenters, new_sheet, open_phone};
use fieldledger_tests::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::*;

/// Carpenters of no crew.
fn line(headcount: i64) -> CrewLineInput {
    CrewLineInput { crew: None, ..carpenters(headcount) }
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb, tc) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P1"), token(dir.path(), url, "P2"));
    let server = start_with(dir.path(), url);
    let base = format!("http://{}", server.addr);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (a, b, c) = (open_phone(dir.path(), "li"), open_phone(dir.path(), "wang"), open_phone(dir.path(), "zhao"));

    let sheet = a.create_labour_sheet(new_sheet()).expect("sheet");
    let l1 = a.add_crew_line(sheet.info.id.clone(), line(6)).expect("line");
    let l2 = a.add_crew_line(sheet.info.id.clone(), line(3)).expect("line");
    assert_eq!(a.unsynced().expect("unsynced"), Unsynced { records: 1, photos: 0 });
    match a.wipe(false) {
        Err(CoreError::UnsyncedData { records: 1, photos: 0 }) => {}
        other => panic!("sign-out with unsynced work must be refused, got {other:?}"),
    }
    let r = rt.block_on(a.sync(base.clone(), ta.clone(), None, None)).expect("a syncs");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.documents_sent >= 1);
    assert_eq!(a.unsynced().expect("unsynced"), Unsynced { records: 0, photos: 0 }, "the server confirmed it");

    let r = rt.block_on(b.sync(base.clone(), tb.clone(), None, None)).expect("b syncs");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(
        b.get_labour_sheet(sheet.info.id.clone()).expect("b has the sheet"),
        a.get_labour_sheet(sheet.info.id.clone()).expect("a")
    );
    rt.block_on(c.sync(base.clone(), tc.clone(), None, None)).expect("c syncs");
    assert!(c.list_records(RecordFilter::default()).expect("list").is_empty(), "another project's phone sees nothing");

    // Offline edits on both phones converge; the same field edited on both is a visible conflict.
    a.update_crew_line(sheet.info.id.clone(), l1.id.clone(), line(7)).expect("a edits");
    b.update_crew_line(sheet.info.id.clone(), l2.id.clone(), line(4)).expect("b edits");
    b.update_crew_line(sheet.info.id.clone(), l1.id.clone(), line(9)).expect("b edits the same line");
    for (p, t) in [(&a, &ta), (&b, &tb), (&a, &ta)] {
        let r = rt.block_on(p.sync(base.clone(), t.clone(), None, None)).expect("sync");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }
    let (sa, sb) =
        (a.get_labour_sheet(sheet.info.id.clone()).expect("a"), b.get_labour_sheet(sheet.info.id.clone()).expect("b"));
    assert_eq!(sa, sb);
    assert_eq!(sa.lines.iter().find(|l| l.id == l2.id).expect("l2").headcount, 4);
    let conflicts = a.conflicts(sheet.info.id.clone()).expect("conflicts");
    assert!(conflicts.iter().any(|c| c.path.ends_with("/headcount")), "{conflicts:?}");

    // Nothing new: one small round.
    let idle = rt.block_on(a.sync(base.clone(), ta.clone(), None, None)).expect("idle");
    assert_eq!(idle.rounds, 1, "{idle:?}");
    assert!(idle.bytes_sent < 64 && idle.bytes_received < 64, "{idle:?}");

    // A wrong token is a typed error, and the phone's data is untouched.
    match rt.block_on(a.sync(base.clone(), "flt_wrong".into(), None, None)) {
        Err(CoreError::Unauthorized { .. }) => {}
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    // No server at all: Offline, nothing lost.
    match rt.block_on(a.sync("http://127.0.0.1:9".into(), ta.clone(), None, None)) {
        Err(CoreError::Offline { .. }) => {}
        other => panic!("expected Offline, got {other:?}"),
    }
    assert_eq!(a.get_labour_sheet(sheet.info.id.clone()).expect("a"), sa);

    // Signing out: refused while A has an unsynced edit; after a sync it wipes the store.
    a.update_crew_line(sheet.info.id.clone(), l2.id.clone(), line(5)).expect("edit");
    assert_eq!(a.unsynced().expect("unsynced").records, 1);
    assert!(matches!(a.wipe(false), Err(CoreError::UnsyncedData { .. })));
    assert_eq!(a.get_labour_sheet(sheet.info.id.clone()).expect("still there").lines.len(), 2);
    rt.block_on(a.sync(base.clone(), ta.clone(), None, None)).expect("sync");
    a.wipe(false).expect("nothing unsynced: wipe");
    assert!(!dir.path().join("li.db").exists(), "store file removed");
    assert!(matches!(a.list_records(RecordFilter::default()), Err(CoreError::Closed)));
    // C never had anything of its own; B's last state reaches a fresh phone for A.
    let a2 = open_phone(dir.path(), "li");
    rt.block_on(a2.sync(base.clone(), ta.clone(), None, None)).expect("fresh phone syncs");
    assert_eq!(
        a2.get_labour_sheet(sheet.info.id.clone())
            .expect("back")
            .lines
            .iter()
            .find(|l| l.id == l2.id)
            .expect("l2")
            .headcount,
        5
    );
}

#[test]
fn phone_core_syncs_on_sqlite() {
    story(None);
}

#[test]
fn phone_core_syncs_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

//! The manifest keeps syncs small: a phone holding 1,000 documents with nothing new syncs in one
//! round of a few dozen bytes; a one-field edit costs a few hundred bytes; a phone restored from an
//! old backup is noticed (its manifest differs) and gets back what it lost. SQLite and PostgreSQL.

mod common;

use automerge::AutoCommit;
use common::phone::SimPhone;
use common::records;
use common::*;
use record_schema::Record;
use rust_decimal::Decimal;

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P1"));
    let server = start_with(dir.path(), url);
    let (mut a, mut b) = (SimPhone::new(ta), SimPhone::new(tb));
    for i in 0..1000 {
        let mut doc = AutoCommit::new();
        records::expense_costing(&format!("e{i:04}"), "P1", 10_000 + i).write(&mut doc).expect("write");
        a.docs.insert(format!("e{i:04}"), doc);
    }
    let t = a.sync(&server.addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    let t = b.sync(&server.addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    assert_eq!(b.docs.len(), 1000);

    // Nothing new, 1,000 documents: one round, far under 2 KB each way.
    let idle = a.sync(&server.addr);
    assert_eq!((idle.rounds, idle.manifest_asked), (1, false), "{idle:?}");
    assert!(idle.sent < 2048 && idle.received < 2048, "{idle:?}");
    println!("idle sync of 1,000 documents: {} B up, {} B down", idle.sent, idle.received);

    // One field edited after a previous sync: under 512 bytes each way, all rounds together.
    a.set_expense_amount("e0500", 99_999);
    let edit = a.sync(&server.addr);
    assert!(edit.errors.is_empty() && !edit.manifest_asked, "{edit:?}");
    assert!(edit.sent < 512 && edit.received < 512, "{edit:?}");
    println!(
        "one-field edit: {} B up, {} B down in {} rounds {:?}",
        edit.sent, edit.received, edit.rounds, edit.per_round
    );
    let fetch = b.sync(&server.addr);
    assert_eq!(b.expense_amount("e0500"), Decimal::new(99_999, 2));
    assert!(fetch.received < 512 && !fetch.manifest_asked, "{fetch:?}");

    // A phone restored from a backup made before two edits it had received, in two syncs: its
    // sync states say it shares older heads than the server believes, so without the manifest the
    // edits would never come back (a backup one sync old is the lost answer `one_request.rs`
    // covers without the full manifest). The manifest notices, and the edits come back.
    let backup = b.clone();
    for (id, cents) in [("e0007", 77_700), ("e0008", 88_800)] {
        a.set_expense_amount(id, cents);
        a.sync(&server.addr);
        b.sync(&server.addr);
        assert_eq!(b.expense_amount(id), Decimal::new(cents, 2));
    }
    b = backup;
    assert_eq!(b.expense_amount("e0007"), Decimal::new(10_007, 2), "the backup predates the edit");
    let t = b.sync(&server.addr);
    assert!(t.manifest_asked && t.errors.is_empty(), "{t:?}");
    assert_eq!(b.expense_amount("e0007"), Decimal::new(77_700, 2), "the restored phone got the edit back");
    assert_eq!(b.expense_amount("e0008"), Decimal::new(88_800, 2));
    let idle = b.sync(&server.addr);
    assert_eq!((idle.rounds, idle.manifest_asked), (1, false), "agreed again: {idle:?}");
    // Both phones hold the same 1,000 documents.
    for (id, doc) in &a.docs {
        assert_eq!(Record::read(doc).expect("a"), b.record(id), "{id}");
    }
}

#[test]
fn manifest_keeps_syncs_small_on_sqlite() {
    story(None);
}

#[test]
fn manifest_keeps_syncs_small_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

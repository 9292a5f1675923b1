//! The server's document store on SQLite and on PostgreSQL: round trips, compaction, and a stale
//! writer refused until it reloads (what keeps several server processes from losing each other's
//! merges).

mod common;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use common::ThrowawayPg;
use server::db::Db;
use server::docstore::{self, DocStoreError};

fn text(doc: &AutoCommit, key: &str) -> Option<String> {
    match doc.get(ROOT, key).ok().flatten() {
        Some((automerge::Value::Scalar(s), _)) => Some(s.to_string()),
        _ => None,
    }
}

async fn story(db: Db) {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", "expense").expect("put");
    doc.put(ROOT, "amount", "10.00").expect("put");
    docstore::insert(&db, "e1", "P1", "expense", doc.fork()).await.expect("insert");
    assert!(matches!(
        docstore::insert(&db, "e1", "P1", "expense", doc).await,
        Err(DocStoreError::AlreadyExists { .. })
    ));

    // Edits, each saved, crossing compaction twice; the reloaded document has the last value.
    let edits = 2 * docstore::compacts_after("e1") + 22;
    for i in 0..edits {
        let mut s = docstore::load(&db, "e1").await.expect("load").expect("exists");
        s.doc.put(ROOT, "amount", format!("{i}.00")).expect("put");
        assert!(docstore::save(&db, &mut s).await.expect("save") > 0);
    }
    let s = docstore::load(&db, "e1").await.expect("load").expect("exists");
    assert!(text(&s.doc, "amount").unwrap_or_default().contains(&format!("{}.00", edits - 1)));
    assert_eq!(s.version, edits + 1);

    // Two writers read the same version; the second to write is refused and must merge again.
    let mut a = docstore::load(&db, "e1").await.expect("load").expect("exists");
    let mut b = docstore::load(&db, "e1").await.expect("load").expect("exists");
    a.doc.put(ROOT, "vendor", "五金店").expect("put");
    b.doc.put(ROOT, "note", "receipt lost").expect("put");
    docstore::save(&db, &mut a).await.expect("first writer");
    match docstore::save(&db, &mut b).await {
        Err(DocStoreError::VersionConflict { expected, .. }) if expected == edits + 1 => {}
        other => panic!("expected VersionConflict, got {other:?}"),
    }
    let mut fresh = docstore::load(&db, "e1").await.expect("load").expect("exists");
    fresh.doc.merge(&mut b.doc).expect("merge the stale writer's edit");
    docstore::save(&db, &mut fresh).await.expect("second writer after reload");
    let end = docstore::load(&db, "e1").await.expect("load").expect("exists");
    assert!(text(&end.doc, "vendor").unwrap_or_default().contains("五金店"));
    assert!(text(&end.doc, "note").unwrap_or_default().contains("receipt lost"));

    // Saving with nothing new writes nothing and keeps the version.
    let mut same = docstore::load(&db, "e1").await.expect("load").expect("exists");
    let v = same.version;
    assert_eq!(docstore::save(&db, &mut same).await.expect("no-op"), 0);
    assert_eq!(docstore::load(&db, "e1").await.expect("load").expect("exists").version, v);
    assert!(docstore::load(&db, "nope").await.expect("load").is_none());
}

#[tokio::test]
async fn document_store_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    story(Db::connect(None, dir.path()).await.expect("sqlite")).await;
}

#[tokio::test]
async fn document_store_on_postgresql() {
    let pg = ThrowawayPg::create();
    let dir = tempfile::tempdir().expect("dir");
    story(Db::connect(Some(&pg.url()), dir.path()).await.expect("postgres")).await;
}

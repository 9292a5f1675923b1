//! Many phones syncing at once share commits (server/src/commit.rs): every acknowledged document is
//! stored, exactly once, on SQLite and on PostgreSQL, and the writes went through the shared commit.

mod common;

use common::phone::SimPhone;
use common::records::{self, expense_doc};
use common::*;
use record_schema::Record;

const PHONES: usize = 12;
const ROUNDS: usize = 4;

fn concurrent_syncs(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let tokens: Vec<String> = (0..=PHONES).map(|_| token(dir.path(), url, "P1")).collect();
    let server = start_with(dir.path(), url);
    let addr = server.addr.clone();

    // Each phone records a new expense and syncs, ROUNDS times, all phones at once.
    let phones: Vec<SimPhone> = std::thread::scope(|scope| {
        let handles: Vec<_> = tokens[..PHONES]
            .iter()
            .enumerate()
            .map(|(p, t)| {
                let addr = addr.as_str();
                scope.spawn(move || {
                    let mut phone = SimPhone::new(t.clone());
                    for r in 0..ROUNDS {
                        let id = format!("e-{p}-{r}");
                        phone.docs.insert(id.clone(), expense_doc(&records::expense(&id, "P1")));
                        // (While the other phones keep adding expenses, a sync may still be receiving
                        // them at its round limit: it is not required to settle here, the fresh
                        // phone below checks that everything arrived.)
                        let t = phone
                            .try_sync(addr)
                            .unwrap_or_else(|(status, body)| panic!("phone {p} round {r}: {status} {body}"));
                        assert!(t.errors.is_empty(), "phone {p} round {r}: {:?}", t.errors);
                    }
                    phone
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("phone thread")).collect()
    });

    // A fresh phone of the project receives every expense, as its author wrote it.
    let mut fresh = SimPhone::new(tokens[PHONES].clone());
    let t = fresh.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    assert_eq!(fresh.docs.len(), PHONES * ROUNDS);
    for (p, phone) in phones.iter().enumerate() {
        for r in 0..ROUNDS {
            let id = format!("e-{p}-{r}");
            assert!(matches!(fresh.record(&id), Record::Expense(_)), "{id}");
            assert_eq!(fresh.record(&id), phone.record(&id), "{id}");
        }
    }

    let metrics = metrics::scrape(&addr);
    let writes = metrics::counter(&metrics, "fieldledger_db_writes_total");
    let commits = metrics::counter(&metrics, "fieldledger_db_commits_total");
    eprintln!("{writes} writes in {commits} commits");
    // Every new document was one write (states of documents only offered to a phone add more).
    assert!(writes >= (PHONES * ROUNDS) as u64, "writes {writes}");
    assert!(commits >= 1 && commits <= writes, "commits {commits}, writes {writes}");
}

#[test]
fn concurrent_syncs_share_commits_on_sqlite() {
    concurrent_syncs(None);
}

#[test]
fn concurrent_syncs_share_commits_on_postgresql() {
    let pg = ThrowawayPg::create();
    concurrent_syncs(Some(&pg.url()));
}

/// A shared commit of edit syncs' usual writes (one SQLite call, one PostgreSQL statement; see
/// server/src/sync/write.rs): two writes of one document at the same version land once (the second
/// is stale and writes nothing), and a write that fails (its device does not exist) fails alone
/// while the rest of the batch lands.
fn batched_appends(url: Option<&str>) {
    use server::commit::{Committer, GroupCommitError};
    use server::db::Db;
    // The same sqlx code on either pool.
    macro_rules! on_pool {
        ($db:expr, |$p:ident| $body:expr) => {
            match $db {
                Db::Sqlite($p) => $body,
                Db::Postgres($p) => $body,
            }
        };
    }
    use server::docstore::DocWrite;
    use server::sync::SyncWrite;

    let dir = tempfile::tempdir().expect("dir");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let db = Db::connect(url, dir.path()).await.expect("database");
        on_pool!(&db, |p| {
            for d in ["d1", "d2", "d3"] {
                sqlx::query("INSERT INTO devices (id, name, created_at_ms) VALUES ($1, $1, 0)").bind(d).execute(p).await.expect("device");
            }
            for doc in ["doc-a", "doc-b"] {
                sqlx::query("INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms) VALUES ($1, 'P1', 'expense', $2, 1, 0)")
                    .bind(doc)
                    .bind(vec![0u8])
                    .execute(p)
                    .await
                    .expect("document");
            }
        });
        let append = |doc: &str, expected: i64, device: &str| SyncWrite {
            doc: Some(DocWrite::Append {
                id: doc.into(),
                expected,
                delta: format!("{device} on {doc}").into_bytes(),
                facts: None,
            }),
            device: device.into(),
            reset: false,
            deleted: vec![],
            upserts: vec![(doc.into(), vec![7, 7], expected + 1)],
            manifest: Some(vec![1; 16]),
            unconfirmed: None,
            cursor: None,
            scope_fp: None,
        };
        let committer = Committer::start(db.clone(), 1);
        // Run the writes as one batch: queue them all before the writer (on this one thread) runs.
        let batch = |writes: Vec<SyncWrite>| {
            let tasks: Vec<_> = writes.into_iter().map(|w| tokio::spawn({
                let c = committer.clone();
                async move { c.write(w).await }
            })).collect();
            async move {
                let mut out = Vec::new();
                for t in tasks {
                    out.push(t.await.expect("task"));
                }
                out
            }
        };
        let out = batch(vec![append("doc-a", 1, "d1"), append("doc-a", 1, "d2"), append("doc-b", 1, "d3")]).await;
        assert!(matches!(out[0], Ok(Some(1))), "{:?}", out[0]);
        assert!(matches!(out[1], Ok(None)), "stale: {:?}", out[1]);
        assert!(matches!(out[2], Ok(Some(1))), "{:?}", out[2]);
        assert_eq!((committer.writes.get(), committer.commits.get()), (3, 1), "one shared commit");

        // The failing write (unknown device "ghost") comes between two good ones.
        let out = batch(vec![append("doc-a", 2, "d2"), append("doc-b", 2, "ghost"), append("doc-b", 2, "d1")]).await;
        assert!(matches!(out[0], Ok(Some(1))), "{:?}", out[0]);
        assert!(matches!(out[1], Err(GroupCommitError::Sql(_))), "{:?}", out[1]);
        assert!(matches!(out[2], Ok(Some(2))), "{:?}", out[2]);
        // The shared commit failed and was taken back; the good writes then committed alone.
        assert_eq!((committer.writes.get(), committer.commits.get()), (6, 3));

        let changes: Vec<(String, Vec<u8>)> =
            on_pool!(&db, |p| sqlx::query_as("SELECT doc_id, data FROM document_changes ORDER BY doc_id, data").fetch_all(p).await.expect("changes"));
        let versions: Vec<(String, i64)> =
            on_pool!(&db, |p| sqlx::query_as("SELECT id, version FROM documents ORDER BY id").fetch_all(p).await.expect("versions"));
        let states: Vec<(String, String, i64)> = on_pool!(&db, |p| sqlx::query_as(
            "SELECT device_id, doc_id, seen_version FROM sync_states ORDER BY device_id, doc_id"
        )
        .fetch_all(p)
        .await
        .expect("states"));
        let generations: Vec<(String, i64)> =
            on_pool!(&db, |p| sqlx::query_as("SELECT id, sync_gen FROM devices ORDER BY id").fetch_all(p).await.expect("devices"));
        let change = |doc: &str, device: &str| (doc.to_string(), format!("{device} on {doc}").into_bytes());
        assert_eq!(changes, vec![change("doc-a", "d1"), change("doc-a", "d2"), change("doc-b", "d1"), change("doc-b", "d3")]);
        assert_eq!(versions, vec![("doc-a".into(), 3), ("doc-b".into(), 3)]);
        let state = |device: &str, doc: &str, seen: i64| (device.to_string(), doc.to_string(), seen);
        assert_eq!(states, vec![state("d1", "doc-a", 2), state("d1", "doc-b", 3), state("d2", "doc-a", 3), state("d3", "doc-b", 2)]);
        assert_eq!(generations, vec![("d1".into(), 2), ("d2".into(), 1), ("d3".into(), 1)]);
    });
}

#[test]
fn batched_appends_land_once_and_fail_alone_on_sqlite() {
    batched_appends(None);
}

#[test]
fn batched_appends_land_once_and_fail_alone_on_postgresql() {
    let pg = ThrowawayPg::create();
    batched_appends(Some(&pg.url()));
}

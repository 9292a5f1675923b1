//! The per-project change sequence and the device cursor (issue 25, migration 0025): every document
//! write takes its project's next number, a device's listing of unseen documents reads only those
//! written since its cursor, and on PostgreSQL concurrent writers never let a cursor pass a
//! document still being written. On SQLite and on PostgreSQL.

mod common;

use automerge::AutoCommit;
use automerge::transaction::Transactable;
use common::ThrowawayPg;
use server::commit::Committer;
use server::db::{BeginWrite, Db, SyncGrant};
use server::docstore::{self, DocWrite};
use server::sync::SyncWrite;

macro_rules! on_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            Db::Sqlite($p) => $body,
            Db::Postgres($p) => $body,
        }
    };
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime")
}

fn doc(field: &str) -> AutoCommit {
    let mut d = AutoCommit::new();
    d.put(automerge::ROOT, "note", field).expect("put");
    d
}

async fn seq_of(db: &Db, id: &str) -> i64 {
    on_pool!(db, |p| sqlx::query_scalar("SELECT change_seq FROM documents WHERE id = $1")
        .bind(id)
        .fetch_one(p)
        .await
        .expect("change_seq"))
}

async fn counter(db: &Db, project: &str) -> i64 {
    on_pool!(db, |p| sqlx::query_scalar("SELECT seq FROM project_change_seq WHERE project_id = $1")
        .bind(project)
        .fetch_one(p)
        .await
        .expect("counter"))
}

/// `devices.unconfirmed` as stored (the token's lookup does not read it: a sync reads it only on a
/// manifest mismatch).
async fn unconfirmed_of(db: &Db, device: &str) -> Option<Vec<u8>> {
    on_pool!(db, |p| sqlx::query_scalar("SELECT unconfirmed FROM devices WHERE id = $1")
        .bind(device)
        .fetch_one(p)
        .await
        .expect("unconfirmed"))
}

/// A state-only write of `device`: the given states, the cursor, the unconfirmed batch.
fn states(device: &str, upserts: Vec<(String, i64)>, cursor: Option<i64>, unconfirmed: Option<Vec<u8>>) -> SyncWrite {
    SyncWrite {
        doc: None,
        device: device.into(),
        reset: false,
        deleted: vec![],
        upserts: upserts.into_iter().map(|(id, seen)| (id, vec![1, 2, 3], seen)).collect(),
        manifest: None,
        unconfirmed,
        cursor,
        scope_fp: None,
    }
}

async fn grant(db: &Db, token: &str) -> SyncGrant {
    let mut conn = db.detached().await.expect("connection");
    conn.find_sync_grant(token).await.expect("grant").expect("a live token")
}

/// Inserts, appends and compactions each take the project's next number; a stale write and another
/// project's writes take none of this project's.
async fn sequence(db: Db) {
    docstore::insert(&db, "a", "P1", "expense", doc("a")).await.expect("insert a");
    docstore::insert(&db, "x", "P2", "expense", doc("x")).await.expect("insert x");
    docstore::insert(&db, "b", "P1", "expense", doc("b")).await.expect("insert b");
    let (a, b, x) = (seq_of(&db, "a").await, seq_of(&db, "b").await, seq_of(&db, "x").await);
    assert!(a >= 1 && b > a, "a {a}, b {b}");
    assert_eq!(counter(&db, "P1").await, b);
    assert_eq!(counter(&db, "P2").await, x);
    // A second insert of an existing id is refused (on PostgreSQL it may leave a gap in P1's numbers).
    assert!(docstore::insert(&db, "a", "P1", "expense", doc("again")).await.is_err());

    // Appends and compactions (more edits than one compaction interval), each a new highest number.
    let mut last = counter(&db, "P1").await;
    let edits = docstore::compacts_after("a") + 3;
    let mut compacted = false;
    for i in 0..edits {
        let mut s = docstore::load(&db, "a").await.expect("load").expect("a");
        s.doc.put(automerge::ROOT, "note", format!("edit {i}")).expect("put");
        let before = s.version;
        docstore::save(&db, &mut s).await.expect("save");
        let pending: i64 = on_pool!(&db, |p| sqlx::query_scalar("SELECT pending_count FROM documents WHERE id = 'a'")
            .fetch_one(p)
            .await
            .expect("pending"));
        compacted |= pending == 0 && before > 1;
        let now = seq_of(&db, "a").await;
        assert!(now > last, "edit {i}: {now} after {last}");
        assert_eq!(counter(&db, "P1").await, now);
        last = now;
    }
    assert!(compacted, "the edits crossed a compaction");
    assert_eq!(seq_of(&db, "x").await, x, "P1's writes leave P2's documents alone");
    assert_eq!(counter(&db, "P2").await, x);

    // The sync's one-call append (the group commit's fast path): a new number; a stale one, none.
    on_pool!(&db, |p| sqlx::query("INSERT INTO devices (id, name, created_at_ms) VALUES ('d1', 'd1', 0)")
        .execute(p)
        .await
        .map(drop)
        .expect("device"));
    let version = docstore::load(&db, "b").await.expect("load").expect("b").version;
    let append = |expected: i64| SyncWrite {
        doc: Some(DocWrite::Append { id: "b".into(), expected, delta: vec![1], facts: None }),
        device: "d1".into(),
        reset: false,
        deleted: vec![],
        upserts: vec![("b".into(), vec![7], expected + 1)],
        manifest: None,
        unconfirmed: None,
        cursor: None,
        scope_fp: None,
    };
    let committer = Committer::start(db.clone(), 1);
    assert!(committer.write(append(version)).await.expect("append").is_some());
    let after = seq_of(&db, "b").await;
    assert!(after > last, "{after} after {last}");
    assert!(committer.write(append(version)).await.expect("stale append").is_none());
    assert_eq!(counter(&db, "P1").await, after, "a stale write takes no number");
}

#[test]
fn every_write_takes_the_projects_next_number_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async { sequence(Db::connect(None, dir.path()).await.expect("db")).await });
}

#[test]
fn every_write_takes_the_projects_next_number_on_postgresql() {
    let pg = ThrowawayPg::create();
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async { sequence(Db::connect(Some(&pg.url()), dir.path()).await.expect("db")).await });
}

/// A device's listing reads only what was written since its cursor: after it has seen everything and
/// moved its cursor, nothing is listed; a document written after is; a reset lists everything.
async fn cursor(db: Db) {
    db.insert_device_token("d1", "phone", "tok1", server::auth::Role::Foreman, "P1", 0).await.expect("device");
    for id in ["a", "b", "c"] {
        docstore::insert(&db, id, "P1", "expense", doc(id)).await.expect("insert");
    }
    docstore::insert(&db, "other", "P2", "expense", doc("other")).await.expect("insert other");
    let committer = Committer::start(db.clone(), 1);

    let g = grant(&db, "tok1").await;
    assert_eq!((g.cursor, unconfirmed_of(&db, "d1").await), (0, None));
    let ids: Vec<&str> = g.unseen.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"], "a new device is offered the project's documents");
    assert_eq!(g.listed_max_seq, seq_of(&db, "c").await);

    // The device now holds them (their states, seen at the listed versions) and its cursor moves.
    let seen: Vec<(String, i64)> = g.unseen.clone();
    let w = states("d1", seen, Some(g.listed_max_seq), Some(b"batch".to_vec()));
    committer.write(w).await.expect("write").expect("applied");
    let g = grant(&db, "tok1").await;
    assert!(g.unseen.is_empty(), "an idle sync lists nothing: {:?}", g.unseen);
    assert_eq!((g.cursor, g.listed_max_seq), (seq_of(&db, "c").await, seq_of(&db, "c").await));
    assert_eq!(unconfirmed_of(&db, "d1").await.as_deref(), Some(&b"batch"[..]), "the unconfirmed batch is kept");

    // The unconfirmed batch is written every time (None clears it); the cursor only when given.
    committer.write(states("d1", vec![], None, None)).await.expect("write").expect("applied");
    let g = grant(&db, "tok1").await;
    assert_eq!((unconfirmed_of(&db, "d1").await, g.cursor), (None, seq_of(&db, "c").await));

    // A change after the cursor is listed, and only it.
    let mut s = docstore::load(&db, "b").await.expect("load").expect("b");
    s.doc.put(automerge::ROOT, "note", "changed").expect("put");
    docstore::save(&db, &mut s).await.expect("save");
    docstore::insert(&db, "d", "P1", "expense", doc("d")).await.expect("insert d");
    let g = grant(&db, "tok1").await;
    assert_eq!(g.unseen, vec![("b".to_string(), 2), ("d".to_string(), 1)]);
    assert_eq!(g.listed_max_seq, seq_of(&db, "d").await);

    // A document written since the cursor that the device has already seen at its version (its own
    // write) is not listed, but the cursor may pass it.
    let w = states("d1", vec![("b".into(), 2), ("d".into(), 1)], None, None);
    committer.write(w).await.expect("write").expect("applied");
    let g = grant(&db, "tok1").await;
    assert!(g.unseen.is_empty(), "{:?}", g.unseen);
    assert_eq!(g.listed_max_seq, seq_of(&db, "d").await, "seen documents written since still move the cursor");

    // A reset device starts over: every document is listed again.
    let reset = SyncWrite { reset: true, ..states("d1", vec![], None, None) };
    committer.write(reset).await.expect("write").expect("applied");
    let g = grant(&db, "tok1").await;
    assert_eq!(g.cursor, 0);
    let ids: Vec<&str> = g.unseen.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
}

#[test]
fn a_device_lists_only_what_changed_since_its_cursor_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async { cursor(Db::connect(None, dir.path()).await.expect("db")).await });
}

#[test]
fn a_device_lists_only_what_changed_since_its_cursor_on_postgresql() {
    let pg = ThrowawayPg::create();
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async { cursor(Db::connect(Some(&pg.url()), dir.path()).await.expect("db")).await });
}

/// The edit sync's one-call write carries states of other documents (optimistic notes of documents
/// offered in the same request), the unconfirmed batch and the cursor; when stale, none of it.
async fn append_with_other_states(db: Db) {
    db.insert_device_token("d1", "phone", "tok1", server::auth::Role::Foreman, "P1", 0).await.expect("d1");
    db.insert_device_token("d2", "phone", "tok2", server::auth::Role::Foreman, "P2", 0).await.expect("d2");
    for (id, project) in [("a", "P1"), ("o1", "P1"), ("o2", "P1"), ("x", "P2"), ("y", "P2")] {
        docstore::insert(&db, id, project, "expense", doc(id)).await.expect("insert");
    }
    let append = |id: &str, device: &str, expected: i64, others: &[&str], cursor: i64| SyncWrite {
        doc: Some(DocWrite::Append { id: id.into(), expected, delta: vec![9], facts: None }),
        device: device.into(),
        reset: false,
        deleted: vec![],
        // (In the session's order: by id, the document's own state among the others.)
        upserts: {
            let mut u: Vec<(String, Vec<u8>, i64)> = others
                .iter()
                .map(|o| (o.to_string(), vec![5], 1))
                .chain([(id.to_string(), vec![6], expected + 1)])
                .collect();
            u.sort();
            u
        },
        manifest: Some(vec![3; 16]),
        unconfirmed: Some(format!("{device} batch").into_bytes()),
        cursor: Some(cursor),
        scope_fp: None,
    };
    let committer = Committer::start(db.clone(), 1);
    // Queued together: one call (SQLite) or one statement (PostgreSQL) for the batch.
    let (w1, w2) = (append("o1", "d1", 1, &["a", "o2"], 40), append("x", "d2", 1, &["y"], 41));
    let (r1, r2) = tokio::join!(committer.write(w1), committer.write(w2));
    assert!(r1.expect("w1").is_some() && r2.expect("w2").is_some());
    let rows: Vec<(String, String, Vec<u8>, i64)> = on_pool!(&db, |p| sqlx::query_as(
        "SELECT device_id, doc_id, state, seen_version FROM sync_states ORDER BY device_id, doc_id"
    )
    .fetch_all(p)
    .await
    .expect("states"));
    let row = |d: &str, id: &str, s: u8, v: i64| (d.to_string(), id.to_string(), vec![s], v);
    assert_eq!(
        rows,
        vec![
            row("d1", "a", 5, 1),
            row("d1", "o1", 6, 2),
            row("d1", "o2", 5, 1),
            row("d2", "x", 6, 2),
            row("d2", "y", 5, 1)
        ]
    );
    let g = grant(&db, "tok1").await;
    assert_eq!((g.cursor, unconfirmed_of(&db, "d1").await.as_deref()), (40, Some(&b"d1 batch"[..])));
    assert_eq!(grant(&db, "tok2").await.cursor, 41);

    // Stale (o1 is at version 2 now): nothing of it is written.
    let stale = SyncWrite {
        upserts: vec![("a".into(), vec![8], 9), ("o1".into(), vec![8], 2)],
        ..append("o1", "d1", 1, &[], 99)
    };
    assert!(committer.write(stale).await.expect("stale").is_none());
    let a: i64 = on_pool!(&db, |p| sqlx::query_scalar(
        "SELECT seen_version FROM sync_states WHERE device_id = 'd1' AND doc_id = 'a'"
    )
    .fetch_one(p)
    .await
    .expect("a"));
    assert_eq!(a, 1);
    assert_eq!(grant(&db, "tok1").await.cursor, 40);
}

#[test]
fn an_append_carries_other_states_in_one_call_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async { append_with_other_states(Db::connect(None, dir.path()).await.expect("db")).await });
}

#[test]
fn an_append_carries_other_states_in_one_statement_on_postgresql() {
    let pg = ThrowawayPg::create();
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async {
        append_with_other_states(Db::connect(Some(&pg.url()), dir.path()).await.expect("db")).await
    });
}

/// PostgreSQL, several writers at once (group commits with four writers, plus saves outside them, in
/// two projects, batches crossing projects in both orders), while a device lists and moves its
/// cursor as fast as it can: it must see every document at its final version, i.e. no number ever
/// became visible while a smaller one of its project was still uncommitted. And no writer deadlocks.
#[test]
fn concurrent_writers_never_let_a_cursor_skip_a_document_on_postgresql() {
    const DOCS: usize = 12;
    const ROUNDS: i64 = 15;
    let pg = ThrowawayPg::create();
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async {
        let db = Db::connect(Some(&pg.url()), dir.path()).await.expect("db");
        db.insert_device_token("reader", "phone", "tok", server::auth::Role::Foreman, "P1", 0).await.expect("device");
        let mut ids = Vec::new();
        for p in ["P1", "P2"] {
            for k in 0..DOCS {
                let id = format!("{p}-{k}");
                docstore::insert(&db, &id, p, "expense", doc(&id)).await.expect("insert");
                on_pool!(&db, |c| sqlx::query("INSERT INTO devices (id, name, created_at_ms) VALUES ($1, $1, 0)")
                    .bind(format!("w-{id}"))
                    .execute(c)
                    .await
                    .map(drop)
                    .expect("writer device"));
                ids.push(id);
            }
        }
        let committer = Committer::start(db.clone(), 4);
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));

        // The reader: list, note the versions listed, move the cursor.
        let reader = tokio::spawn({
            let (db, committer, done) = (db.clone(), committer.clone(), done.clone());
            async move {
                let mut seen = std::collections::HashMap::<String, i64>::new();
                let mut last_pass = false;
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let g = grant(&db, "tok").await;
                    for (id, v) in &g.unseen {
                        let e = seen.entry(id.clone()).or_default();
                        *e = (*e).max(*v);
                    }
                    if g.listed_max_seq != g.cursor {
                        let w = states("reader", vec![], Some(g.listed_max_seq), None);
                        committer.write(w).await.expect("cursor").expect("applied");
                    }
                    if last_pass {
                        return seen;
                    }
                    last_pass = finished;
                }
            }
        });

        // Writers: each document gets ROUNDS appends, through the group commit (batches mixing both
        // projects in whatever order they queue) and through plain saves.
        let mut writers = Vec::new();
        for (n, id) in ids.iter().enumerate() {
            let (db, committer, id) = (db.clone(), committer.clone(), id.clone());
            writers.push(tokio::spawn(async move {
                for r in 0..ROUNDS {
                    let mut s = docstore::load(&db, &id).await.expect("load").expect("doc");
                    assert_eq!(s.version, 1 + r);
                    s.doc.put(automerge::ROOT, "note", format!("r{r}")).expect("put");
                    if (n + r as usize).is_multiple_of(3) {
                        docstore::save(&db, &mut s).await.expect("save (no deadlock)");
                        continue;
                    }
                    // (An append, or a compaction every so often: the one-call path and the other.)
                    let (write, _) = s.prepare_write().expect("a change");
                    let w = SyncWrite {
                        doc: Some(write),
                        device: format!("w-{id}"),
                        reset: false,
                        deleted: vec![],
                        upserts: vec![(id.clone(), vec![1], s.version + 1)],
                        manifest: None,
                        unconfirmed: None,
                        cursor: None,
                        scope_fp: None,
                    };
                    assert!(committer.write(w).await.expect("write (no deadlock)").is_some(), "{id} r{r}");
                }
            }));
        }
        for w in writers {
            w.await.expect("writer");
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let seen = reader.await.expect("reader");
        for id in ids.iter().filter(|id| id.starts_with("P1")) {
            assert_eq!(seen.get(id.as_str()), Some(&(1 + ROUNDS)), "{id}: the reader missed its last version");
        }
        assert!(ids.iter().filter(|id| id.starts_with("P2")).all(|id| !seen.contains_key(id.as_str())));
    });
}

/// The server's cost of an idle sync's listing against the project's size (docs/measurements.md):
/// `docs` documents of ~3 KB in one project, a device that has seen them all (its cursor at the
/// newest), and the time of one listing statement, the old way (every document of the project,
/// probing the device's state of each) and by the cursor (`find_sync_grant`). Mean µs per listing.
async fn listing_cost(db: &Db, docs: usize, rounds: u32) -> (f64, f64) {
    let token = format!("tok-{docs}");
    let (project, device) = (format!("M{docs}"), format!("m{docs}"));
    db.insert_device_token(&device, "phone", &token, server::auth::Role::Foreman, &project, 0).await.expect("device");
    let snapshot = vec![7u8; 3000];
    for chunk in (0..docs).collect::<Vec<_>>().chunks(500) {
        on_pool!(db, |p| {
            let mut tx = p.begin_write().await.expect("tx");
            for k in chunk {
                let id = format!("{project}-{k:06}");
                sqlx::query(
                    "INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms) VALUES ($1, $2, 'labour_sheet', $3, 3, 0)",
                )
                .bind(&id)
                .bind(&project)
                .bind(&snapshot)
                .execute(&mut *tx)
                .await
                .expect("document");
                sqlx::query("INSERT INTO sync_states (device_id, doc_id, state, seen_version) VALUES ($1, $2, $3, 3)")
                    .bind(&device)
                    .bind(&id)
                    .bind(&snapshot[..40])
                    .execute(&mut *tx)
                    .await
                    .expect("state");
            }
            tx.commit().await.expect("commit");
        });
    }
    on_pool!(db, |p| sqlx::query(
        "UPDATE devices SET sync_cursor = (SELECT seq FROM project_change_seq WHERE project_id = $1) WHERE id = $2"
    )
    .bind(&project)
    .bind(&device)
    .execute(p)
    .await
    .map(drop)
    .expect("cursor"));
    if let Db::Postgres(p) = db {
        sqlx::query("ANALYZE").execute(p).await.expect("analyze");
    }
    let mut conn = db.detached().await.expect("connection");
    let g = conn.find_sync_grant(&token).await.expect("grant").expect("token");
    assert!(g.unseen.is_empty() && g.listed_max_seq == g.cursor && g.cursor >= docs as i64);
    let old_sql = "SELECT d.id, d.version FROM documents d WHERE d.project_id = $1 AND \
                   COALESCE((SELECT s.seen_version FROM sync_states s WHERE s.device_id = $2 AND s.doc_id = d.id), 0) < d.version";
    let time = |f: std::time::Duration| f.as_secs_f64() * 1e6 / f64::from(rounds);
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        let rows: Vec<(String, i64)> = on_pool!(db, |p| sqlx::query_as(old_sql)
            .bind(&project)
            .bind(&device)
            .fetch_all(p)
            .await
            .expect("old listing"));
        assert!(rows.is_empty());
    }
    let old = time(start.elapsed());
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        let g = conn.find_sync_grant(&token).await.expect("grant").expect("token");
        assert!(g.unseen.is_empty());
    }
    (old, time(start.elapsed()))
}

async fn measure(db: Db, backend: &str) {
    for docs in [1_000, 20_000] {
        let (old, new) = listing_cost(&db, docs, 200).await;
        eprintln!("{backend}: {docs} documents: idle listing {old:.0} µs the old way, {new:.0} µs by the cursor");
    }
}

#[test]
#[ignore = "a measurement (docs/measurements.md): cargo nextest run --workspace --test change_cursor --run-ignored only --no-capture"]
fn idle_listing_cost_against_project_size() {
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(async { measure(Db::connect(None, dir.path()).await.expect("db"), "sqlite").await });
    let pg = ThrowawayPg::create();
    runtime()
        .block_on(async { measure(Db::connect(Some(&pg.url()), dir.path()).await.expect("db"), "postgresql").await });
}

/// Through the sync: a phone that received everything has its cursor at the project's newest
/// number, its idle sync receives nothing and leaves the cursor there, a later change is received
/// and moves it, and the same device reinstalled (a reset) receives every document again.
fn cursor_follows_syncs(url: Option<&str>) {
    use common::phone::SimPhone;
    use common::records::{self, expense_doc};
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb) = (common::token(dir.path(), url, "P1"), common::token(dir.path(), url, "P1"));
    let server = common::start_with(dir.path(), url);
    let (mut a, mut b) = (SimPhone::new(ta), SimPhone::new(tb.clone()));
    for id in ["e1", "e2", "e3"] {
        a.docs.insert(id.into(), expense_doc(&records::expense(id, "P1")));
    }
    assert!(a.sync(&server.addr).errors.is_empty());
    let at_newest = "SELECT count(*) FROM devices d JOIN project_change_seq p ON p.project_id = 'P1' \
                     WHERE d.sync_cursor = p.seq";
    let cursors = || common::count(dir.path(), url, at_newest);

    let t = b.sync(&server.addr);
    assert!(t.errors.is_empty() && b.docs.len() == 3, "{t:?}");
    // B's cursor is at the newest number (A's own documents move A's only with A's next write).
    assert_eq!(cursors(), 1);
    let idle = b.sync(&server.addr);
    assert_eq!(idle.rounds, 1);
    assert!(idle.received < 64, "an idle sync receives nothing: {idle:?}");
    assert_eq!(cursors(), 1);

    a.edit("e2", |r| {
        let record_schema::Record::Expense(e) = r else { panic!("an expense") };
        e.amount = rust_decimal::Decimal::new(4_242, 2);
    });
    assert!(a.sync(&server.addr).errors.is_empty());
    assert_eq!(cursors(), 0, "a change after every cursor");
    let t = b.sync(&server.addr);
    assert_eq!(t.rounds, 1, "{t:?}");
    assert_eq!(b.record("e2"), a.record("e2"));
    assert_eq!(cursors(), 1);

    // The device reinstalled: a reset, and everything again.
    let mut fresh = SimPhone::new(tb);
    let t = fresh.sync(&server.addr);
    assert!(t.errors.is_empty(), "{t:?}");
    assert_eq!(fresh.docs.len(), 3);
    assert_eq!(fresh.record("e2"), a.record("e2"));
    assert_eq!(cursors(), 1);
}

#[test]
fn the_cursor_follows_syncs_on_sqlite() {
    cursor_follows_syncs(None);
}

#[test]
fn the_cursor_follows_syncs_on_postgresql() {
    let pg = ThrowawayPg::create();
    cursor_follows_syncs(Some(&pg.url()));
}

/// An existing database upgraded to migration 0025: its documents are numbered per project in the
/// order they were last written, each project's counter stands at its highest number, and the next
/// write takes the number after it.
async fn upgrade(url: Option<&str>, dir: &std::path::Path) {
    let old = Db::connect_until(url, dir, 24).await.expect("schema 24");
    for (id, project, at) in [("b", "P1", 20), ("a", "P1", 30), ("x", "P2", 10), ("c", "P1", 10)] {
        on_pool!(&old, |p| {
            sqlx::query(
            "INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms) VALUES ($1, $2, 'expense', $3, 1, $4)"
        )
        .bind(id)
        .bind(project)
        .bind(vec![0u8])
        .bind(at)
        .execute(p)
        .await
        .map(drop)
        .expect("document")
        });
    }
    on_pool!(&old, |p| p.close().await);
    let db = Db::connect(url, dir).await.expect("migrated");
    let seqs = [seq_of(&db, "c").await, seq_of(&db, "b").await, seq_of(&db, "a").await, seq_of(&db, "x").await];
    assert_eq!(seqs, [1, 2, 3, 1]);
    assert_eq!((counter(&db, "P1").await, counter(&db, "P2").await), (3, 1));
    docstore::insert(&db, "d", "P1", "expense", doc("d")).await.expect("insert");
    assert_eq!(seq_of(&db, "d").await, 4);
}

#[test]
fn an_upgraded_database_numbers_its_documents_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(upgrade(None, dir.path()));
}

#[test]
fn an_upgraded_database_numbers_its_documents_on_postgresql() {
    let pg = ThrowawayPg::create();
    let dir = tempfile::tempdir().expect("dir");
    runtime().block_on(upgrade(Some(&pg.url()), dir.path()));
}

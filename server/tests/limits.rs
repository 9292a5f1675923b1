//! Limits a production service needs (issue 17, item 11), against the real server: a handler that
//! panics answers 500 and the server keeps serving; a request that stalls is cut off with 408; a
//! full group-commit queue answers 503 with `Retry-After` and loses no acknowledged write; SIGTERM
//! lets a sync in flight finish, commits its write, and exits 0.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use automerge::sync::{Message, State, SyncDoc};
use common::phone::SimPhone;
use common::records::{self, expense_doc};
use common::*;
use record_schema::wire::{DocMessage, SyncRequest, SyncResponse, prepare_state};

/// Bound on any single wait for the server, so a broken server fails a test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

/// Reads a whole `Connection: close` response; None if the connection ends (or stays silent for
/// `PATIENCE`) without one.
fn answer(s: &mut TcpStream) -> Option<Answer> {
    s.set_read_timeout(Some(PATIENCE)).expect("read timeout");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw); // a reset or a timeout leaves what arrived
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().into(), v.trim().into())).collect();
    Some(Answer { status, headers, body: raw[split + 4..].to_vec() })
}

/// Sends a request's head and `body` (all of it, or the first part of what Content-Length says).
fn send_head(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], length: usize, body: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    .expect("send head");
    s.write_all(body).expect("send body");
    s.flush().expect("flush");
    s
}

fn sync_request(id: &str, msg: Message) -> Vec<u8> {
    let req = SyncRequest { v: 1, docs: vec![DocMessage { id: id.into(), msg: msg.encode() }], ..Default::default() };
    let mut body = Vec::new();
    ciborium::into_writer(&req, &mut body).expect("encode");
    body
}

/// A phone with a new expense `id` syncs its first round (which only compares heads) and returns
/// the body of its second request, which carries the expense: sending it makes one write.
fn expense_request(addr: &str, token: &str, id: &str) -> Vec<u8> {
    let mut doc = expense_doc(&records::expense(id, "P1"));
    let mut state = State::new();
    prepare_state(&mut state);
    let msg = doc.sync().generate_sync_message(&mut state).expect("a message for a new document");
    let a = sync_once(addr, token, &sync_request(id, msg)).expect("an answer to the first round");
    assert_eq!(a.status, 200, "{a:?}");
    let resp: SyncResponse = ciborium::from_reader(a.body.as_slice()).expect("a sync response");
    for m in resp.docs {
        let m = Message::decode(&m.msg).expect("message");
        doc.sync().receive_sync_message(&mut state, m).expect("apply the server's message");
    }
    prepare_state(&mut state);
    let msg = doc.sync().generate_sync_message(&mut state).expect("the expense's changes");
    assert!(!msg.changes.is_empty(), "the second round carries the expense");
    sync_request(id, msg)
}

fn sync_once(addr: &str, token: &str, body: &[u8]) -> Option<Answer> {
    let bearer = format!("Bearer {token}");
    let mut s = send_head(
        addr,
        "POST",
        "/v1/sync",
        &[("Authorization", &bearer), ("Content-Type", "application/cbor")],
        body.len(),
        body,
    );
    answer(&mut s)
}

/// The server's count of database writes so far.
fn writes(addr: &str) -> u64 {
    metrics::counter(&metrics::scrape(addr), "fieldledger_db_writes_total")
}

/// Polls `done` (every 20 ms, up to `PATIENCE`); panics with `what` if it never holds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The ids of the expenses a fresh phone of the project receives.
fn stored_ids(addr: &str, token: &str) -> Vec<String> {
    let mut fresh = SimPhone::new(token.to_string());
    let t = fresh.sync(addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    fresh.docs.keys().cloned().collect()
}

/// A transaction holding PostgreSQL's `documents` table in EXCLUSIVE mode (reads go on, writes
/// wait), so the server's commit writer blocks on its next document write until `release`.
struct TableLock {
    release: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TableLock {
    fn hold(url: &str) -> TableLock {
        let url = url.to_string();
        let (locked, is_locked) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            use sqlx::Connection;
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let mut c = rt.block_on(async {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query("BEGIN").execute(&mut c).await.expect("begin");
                sqlx::query("LOCK TABLE documents IN EXCLUSIVE MODE").execute(&mut c).await.expect("lock");
                c
            });
            locked.send(()).expect("report the lock");
            let _ = released.recv(); // a message, or the test ended
            rt.block_on(async { sqlx::query("ROLLBACK").execute(&mut c).await.expect("rollback") });
        });
        is_locked.recv().expect("the table locked");
        TableLock { release: Some(release), thread: Some(thread) }
    }

    fn release(&mut self) {
        self.release.take();
        if let Some(t) = self.thread.take() {
            t.join().expect("lock thread");
        }
    }
}

impl Drop for TableLock {
    fn drop(&mut self) {
        self.release.take();
    }
}

async fn panics() -> &'static str {
    panic!("a bug in a handler (this test's)")
}

/// A panic in a handler is caught: the request gets 500 with the JSON error body, the connection
/// and the server live on. (In-process, with a route only this test adds to the real router.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().expect("dir");
    let db = server::db::Db::connect(None, dir.path()).await.expect("database");
    let store = server::blobs::store::open(None, dir.path()).expect("blob store");
    let blobs = server::blobs::Blobs::new(store, dir.path(), 1 << 20, Duration::from_secs(3600)).expect("blobs");
    let state = server::state::AppState::new(db, server::state::Limits::default(), blobs);
    let extra = axum::Router::new().route("/test/panic", axum::routing::get(panics));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    tokio::spawn(axum::serve(listener, server::routes::app_with(state, extra)).into_future());

    let a = addr.clone();
    let (panicked, after) = tokio::task::spawn_blocking(move || {
        let panicked = answer(&mut send_head(&a, "GET", "/test/panic", &[], 0, b""));
        (panicked, get(&a, "/healthz"))
    })
    .await
    .expect("client");
    let panicked = panicked.expect("an answer to the request that panicked, not a dropped connection");
    assert_eq!(panicked.status, 500, "{panicked:?}");
    let body = panicked.json();
    assert_eq!(body["error"], "internal", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.contains("a bug")), "the panic is logged, not leaked: {body}");
    assert_eq!(after.0, 200, "the server still serves: {after:?}");
}

/// A sync whose body stops halfway is cut off at the request timeout with 408 and the JSON error;
/// the server goes on serving.
#[test]
fn a_stalled_request_gets_408_at_the_request_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let t = token(dir.path(), None, "P1");
    let server = start_with_args(dir.path(), None, &["--request-timeout-seconds", "1"]);
    let body = expense_request(&server.addr, &t, "e-stalled");
    let bearer = format!("Bearer {t}");
    let mut s = send_head(
        &server.addr,
        "POST",
        "/v1/sync",
        &[("Authorization", &bearer), ("Content-Type", "application/cbor")],
        body.len(),
        &body[..body.len() / 2],
    );
    let a = answer(&mut s).expect("an answer to the stalled request");
    assert_eq!(a.status, 408, "{a:?}");
    let json = a.json();
    assert_eq!(json["error"], "timeout", "{json}");
    let message = json["message"].as_str().unwrap_or_default();
    assert!(message.contains("1 s") && message.contains("--request-timeout-seconds"), "names the limit: {json}");
    drop(s);
    assert!(stored_ids(&server.addr, &t).is_empty(), "the half-sent expense was not stored");
    let mut phone = SimPhone::new(t.clone());
    phone.docs.insert("e-whole".into(), expense_doc(&records::expense("e-whole", "P1")));
    phone.sync(&server.addr);
    assert_eq!(stored_ids(&server.addr, &t), vec!["e-whole".to_string()]);
}

/// With the commit writer held (a table lock) and a queue of one write, syncs beyond it are refused
/// at once with 503, `Retry-After` and the JSON error naming the limit; nothing of theirs is stored;
/// the acknowledged syncs are; once the writer is free every phone syncs.
#[test]
fn a_full_commit_queue_answers_503_and_loses_nothing() {
    let pg = ThrowawayPg::create();
    let url = pg.url();
    let dir = tempfile::tempdir().expect("dir");
    let tokens: Vec<String> = (0..7).map(|_| token(dir.path(), Some(&url), "P1")).collect();
    let server = start_with_args(dir.path(), Some(&url), &["--commit-queue", "1"]);
    let addr = server.addr.clone();
    let bodies: Vec<Vec<u8>> = (0..6).map(|p| expense_request(&addr, &tokens[p], &format!("e-{p}"))).collect();
    let before = writes(&addr);
    let mut lock = TableLock::hold(&url);

    // Phone 0's write goes to the writer, which blocks on the lock.
    let (done, results) = std::sync::mpsc::channel();
    let spawn_sync = |p: usize| {
        let (addr, token, body, done) = (addr.clone(), tokens[p].clone(), bodies[p].clone(), done.clone());
        std::thread::spawn(move || {
            let a = sync_once(&addr, &token, &body);
            done.send((p, a)).expect("report");
        })
    };
    let first = spawn_sync(0);
    wait_for("the writer to take phone 0's write", || {
        if let Ok((p, a)) = results.try_recv() {
            panic!("phone {p} was answered while the writer was held: {a:?}");
        }
        writes(&addr) > before
    });
    // Five more: one fills the queue, four find it full.
    let others: Vec<_> = (1..6).map(spawn_sync).collect();
    let mut busy = Vec::new();
    for _ in 0..4 {
        let (p, a) = results.recv_timeout(PATIENCE).expect("a refused sync answers at once");
        let a = a.unwrap_or_else(|| panic!("phone {p}: no answer"));
        assert_eq!(a.status, 503, "phone {p}: {a:?}");
        let retry: u64 = a.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After in seconds");
        assert!(retry >= 1, "{a:?}");
        let json = a.json();
        assert_eq!(json["error"], "busy", "{json}");
        let message = json["message"].as_str().unwrap_or_default();
        assert!(message.contains("--commit-queue") && message.contains('1'), "names the limit: {json}");
        busy.push(p);
    }
    lock.release();
    let mut acknowledged = Vec::new();
    for _ in 0..2 {
        let (p, a) = results.recv_timeout(PATIENCE).expect("the held syncs finish");
        let a = a.unwrap_or_else(|| panic!("phone {p}: no answer"));
        assert_eq!(a.status, 200, "phone {p}: {a:?}");
        acknowledged.push(format!("e-{p}"));
    }
    first.join().expect("phone 0");
    for h in others {
        h.join().expect("phone");
    }
    acknowledged.sort();
    assert_eq!(stored_ids(&addr, &tokens[6]), acknowledged, "the acknowledged syncs are stored, the refused not");

    // The refused phones sync again, now that the writer is free.
    for p in busy {
        let mut phone = SimPhone::new(tokens[p].clone());
        let id = format!("e-{p}");
        phone.docs.insert(id.clone(), expense_doc(&records::expense(&id, "P1")));
        let t = phone.sync(&addr);
        assert!(t.errors.is_empty(), "phone {p}: {:?}", t.errors);
    }
    let all: Vec<String> = (0..6).map(|p| format!("e-{p}")).collect();
    assert_eq!(stored_ids(&addr, &tokens[6]), all);
}

/// SIGTERM while a sync is in flight (its write held by a table lock): the server stops accepting,
/// the sync still gets its 200 once the write commits, the process exits 0, and a restarted server
/// has the expense.
#[test]
fn sigterm_finishes_the_sync_in_flight_and_exits_cleanly() {
    let pg = ThrowawayPg::create();
    let url = pg.url();
    let dir = tempfile::tempdir().expect("dir");
    let tokens: Vec<String> = (0..2).map(|_| token(dir.path(), Some(&url), "P1")).collect();
    let mut server = start_with(dir.path(), Some(&url));
    let addr = server.addr.clone();
    let body = expense_request(&addr, &tokens[0], "e-in-flight");
    let before = writes(&addr);
    let mut lock = TableLock::hold(&url);

    let in_flight = {
        let (addr, token) = (addr.clone(), tokens[0].clone());
        std::thread::spawn(move || sync_once(&addr, &token, &body))
    };
    wait_for("the writer to take the sync's write", || writes(&addr) > before);
    let killed =
        std::process::Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().expect("run kill");
    assert!(killed.success());
    wait_for("the server to stop accepting connections", || TcpStream::connect(&addr).is_err());
    lock.release();

    let a = in_flight.join().expect("sync thread").expect("the sync in flight is answered, not cut off");
    assert_eq!(a.status, 200, "{a:?}");
    let mut exit = None;
    wait_for("the server to exit", || {
        exit = server.child.try_wait().expect("wait");
        exit.is_some()
    });
    let exit = exit.expect("exit status");
    assert!(exit.success(), "exit status {exit:?} (log: {})", dir.path().join("server.log").display());

    let server = start_with(dir.path(), Some(&url));
    assert_eq!(stored_ids(&server.addr, &tokens[1]), vec!["e-in-flight".to_string()]);
}

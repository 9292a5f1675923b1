//! `cargo bench -p mobile-core --bench sync`: the phone core's cost of a sync when it holds many
//! documents (issue 25). Goal, with 5,000 labour sheets: an idle sync < 50 ms, an edit sync (one sheet
//! changed) < 100 ms.
//!
//! The store holds 5,000 sheets of 8 crew lines (10 sites × 500 days, each day started from the day
//! before, as foremen work) and the sync states a full sync leaves (shared heads = the document's
//! heads). The server is a minimal HTTP responder on 127.0.0.1, started here, that answers
//! `POST /v1/sync` at once: with an empty `SyncResponse` (but for the day, and the first time the
//! device's scope, as sync scopes send) to an idle request (the server's answer to an idle sync), and to each document message with an acknowledgement of the phone's heads (what the
//! server answers once it merged them). So what is timed is the core's own work: reading its states,
//! choosing what to offer, encoding, the HTTP exchange on loopback, applying the answer and saving.
//!
//! - `sync_5000/idle`: a sync with nothing changed.
//! - `sync_5000/edit`: one sheet's note changed (untimed), then the sync (timed); a different sheet
//!   each iteration.
//!
//! The store lives on tmpfs (`/dev/shm`) when there is one, so the disk's fsync is not counted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use automerge::sync::{BloomFilter, Have, Message, MessageVersion, State};
use chrono::{Days, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::*;
use mobile_core::store::{Cancel, RecordFilter};
use record_schema::wire::{DocMessage, PROTOCOL_VERSION, SyncRequest, SyncResponse, WireScope};

mod common;
use common::line;

const SITES: usize = 10;
const DAYS: u64 = 500;
const LINES: usize = 8;

/// Builds the store at `path`: `SITES` × `DAYS` sheets of `LINES` lines, then writes the sync
/// states a full sync leaves. Returns the sheet ids.
fn build_store(path: &str, rt: &tokio::runtime::Runtime) -> Vec<String> {
    let start = Instant::now();
    let first = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    let store = FieldStore::open(path.to_string(), "bench".into()).expect("open");
    for site in 0..SITES {
        let new = NewLabourSheet {
            project_id: "P1".into(),
            site_id: format!("S{site}"),
            time_zone: Some("Asia/Shanghai".into()),
            work_date: first.to_string(),
            currency: None,
            note: None,
        };
        let mut prev = store.create_labour_sheet(new).expect("sheet").info.id;
        for i in 0..LINES {
            store.add_crew_line(prev.clone(), line(i + site)).expect("line");
        }
        for d in 1..DAYS {
            let date = first.checked_add_days(Days::new(d)).expect("date");
            prev = store.start_sheet_from(prev, date.to_string()).expect("next day").info.id;
        }
    }
    store.close().expect("close");

    // The states a full sync leaves: each document's heads shared with the server.
    let ids: Vec<String> = rt.block_on(async {
        let store = mobile_core::Store::open(path, "bench").await.expect("open");
        let ids: Vec<String> =
            store.list(&RecordFilter::default()).await.expect("list").into_iter().map(|r| r.id).collect();
        let mut states = Vec::with_capacity(ids.len());
        for id in &ids {
            let mut state = State::new();
            state.shared_heads = store.heads(id).await.expect("heads");
            states.push((id.clone(), state.encode()));
        }
        store.close().await;
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
        let pool = sqlx::SqlitePool::connect_with(options).await.expect("raw open");
        let mut tx = pool.begin().await.expect("begin");
        for (id, state) in states {
            sqlx::query("INSERT INTO sync_states (doc_id, state) VALUES (?, ?)")
                .bind(id)
                .bind(state)
                .execute(&mut *tx)
                .await
                .expect("state");
        }
        tx.commit().await.expect("commit");
        pool.close().await;
        ids
    });
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!(
        "sync bench: built {} sheets × {LINES} lines with their sync states in {:?} ({} KiB)",
        ids.len(),
        start.elapsed(),
        size / 1024
    );
    ids
}

/// The server's answer to one request: an acknowledgement of the phone's heads for each document
/// message (nothing new on the server's side), and, as a server with sync scopes does, the day
/// (`as_of`) and the device's scope when the request's fingerprint is not its own (so the first
/// sync runs the phone's eviction plan over the 5,000 sheets, and idle syncs check it is not due).
fn answer(request: &SyncRequest) -> SyncResponse {
    let docs = request
        .docs
        .iter()
        .map(|m| {
            let theirs = Message::decode(&m.msg).expect("the phone's message");
            let ack = Message {
                heads: theirs.heads.clone(),
                need: Vec::new(),
                have: vec![Have { last_sync: theirs.heads, bloom: BloomFilter::default() }],
                changes: Vec::<Vec<u8>>::new().into(),
                flags: None,
                version: MessageVersion::V1,
            };
            DocMessage { id: m.id.clone(), msg: ack.encode() }
        })
        .collect();
    let scope = WireScope {
        fp: vec![0x5c; 16],
        holder: "d:bench".into(),
        sites: Some(vec!["S0".into()]),
        window_days: 14,
        own_days: None,
        open_reach: "own".into(),
        full: false,
    };
    let scoped = request.scope_fp.is_some();
    SyncResponse {
        v: PROTOCOL_VERSION,
        docs,
        as_of: scoped.then(|| "2026-12-07".to_string()),
        scope: (scoped && request.scope_fp.as_deref() != Some(&scope.fp[..])).then_some(scope),
        ..Default::default()
    }
}

/// Serves one kept-alive connection: HTTP/1.1 requests with a Content-Length body.
fn serve(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut out = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = None;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let mut body = vec![0u8; length.expect("a Content-Length")];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request: SyncRequest = ciborium::from_reader(body.as_slice()).expect("a sync request");
        let mut reply = Vec::new();
        ciborium::into_writer(&answer(&request), &mut reply).expect("encode");
        // One write, without Nagle: a head and body written apart wait out the client's delayed ACK
        // (40 ms on Linux), which is not the phone's cost.
        let mut whole =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nContent-Length: {}\r\n\r\n", reply.len())
                .into_bytes();
        whole.extend_from_slice(&reply);
        if out.write_all(&whole).is_err() {
            return;
        }
    }
}

/// Starts the responder; returns its base URL.
fn responder() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    url
}

/// CPU time this process has used (user + system, /proc/self/stat; none elsewhere): on a loaded
/// machine wall time counts other processes' turns too.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10)) // USER_HZ is 100 on Linux
}

fn sync_5000(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        tempfile::tempdir_in("/dev/shm").expect("shm dir")
    } else {
        tempfile::tempdir().expect("dir")
    };
    let path = dir.path().join("phone.db").display().to_string();
    let ids = build_store(&path, &rt);
    let url = responder();
    let store = rt.block_on(mobile_core::Store::open(&path, "bench")).expect("open");
    let cancel = Cancel::new();
    let sync = || rt.block_on(store.sync(&url, "token", |_, _, _| Ok(()), &cancel)).expect("sync");

    let first = Instant::now();
    let report = sync();
    println!(
        "sync bench: first idle sync after opening, with the eviction plan over every sheet (own: all kept) {:?} \
         ({report:?})",
        first.elapsed()
    );
    assert_eq!(report.documents_sent, 0, "an idle sync offers nothing");

    let mut next = 0usize;
    let mut edit_sync = || {
        let id = &ids[next % ids.len()];
        next += 1;
        let note = format!("note {next}");
        let date = rt.block_on(store.get(id)).expect("get");
        let record_schema::Record::LabourSheet(sheet) = date else { panic!("{id} is not a sheet") };
        rt.block_on(store.update_sheet(id, sheet.work_date, Some(note))).expect("edit");
        let start = Instant::now();
        let report = sync();
        let took = start.elapsed();
        assert_eq!((report.rounds, report.documents_sent), (1, 1), "{report:?}");
        took
    };

    // Plain percentiles besides criterion's estimate.
    let pct = |mut t: Vec<Duration>, cpu: Option<Duration>, label: &str, goal: &str| {
        t.sort();
        let p = |q: f64| t[((t.len() as f64 - 1.0) * q) as usize];
        let cpu = cpu.map(|c| c / t.len() as u32);
        println!(
            "sync_5000 {label} ({} syncs): p50 {:?}  p90 {:?}  max {:?}  CPU per sync {cpu:?}  (goal {goal})",
            t.len(),
            p(0.5),
            p(0.9),
            p(1.0)
        );
    };
    let loaded = store.documents_loaded();
    let cpu = cpu_time();
    let idle: Vec<Duration> = (0..30)
        .map(|_| {
            let start = Instant::now();
            sync();
            start.elapsed()
        })
        .collect();
    pct(idle, cpu_time().zip(cpu).map(|(b, a)| b - a), "idle", "< 50 ms");
    assert_eq!(store.documents_loaded(), loaded, "an idle sync reads no document from disk");
    // (The untimed edit before each sync is in this CPU figure.)
    let cpu = cpu_time();
    let edits: Vec<Duration> = (0..30).map(|_| edit_sync()).collect();
    pct(edits, cpu_time().zip(cpu).map(|(b, a)| b - a), "edit (+ the edit itself in CPU)", "< 100 ms");

    let mut g = c.benchmark_group("sync_5000");
    g.sample_size(20);
    g.bench_function("idle", |b| b.iter(sync));
    g.bench_function("edit", |b| b.iter_custom(|iters| (0..iters).map(|_| edit_sync()).sum()));
    g.finish();
    rt.block_on(store.close());
}

criterion_group!(benches, sync_5000);
criterion_main!(benches);

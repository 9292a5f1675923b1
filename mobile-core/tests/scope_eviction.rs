//! Sync scopes on the phone (issue 25, docs/sync-scopes.md §4–5) against a loopback server that
//! speaks the sync protocol with Automerge and plays the server's side of scopes: it sends `as_of`
//! and the device's `scope`, applies `dropped` first, answers `fetch`, and marks `own` documents.
//! What it offers is what the test puts in it (the server's listing is tested on the server).
//!
//! The phone evicts only documents out of scope, synced, settled, unpinned and without a photo
//! waiting, a record with its companions; the drops go in one transaction and are sent until the
//! server has answered them, across a kill; the plan runs once per day or scope change.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use chrono::{Days, NaiveDate, Utc};
use mobile_core::Store;
use mobile_core::store::{Cancel, NewSheet, Remote};
use record_schema::wire::{
    DocMessage, Fetch, Fetched, PROTOCOL_VERSION, SyncRequest, SyncResponse, WireScope, assume_delivered,
    prepare_first_offer, prepare_state,
};
use record_schema::{Approval, Record};
use sqlx::Connection;

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).expect("date")
}

/// The loopback server's state for one device.
struct Fake {
    docs: HashMap<String, AutoCommit>,
    /// The device's sync states (held documents).
    states: HashMap<String, State>,
    as_of: String,
    scope: WireScope,
    /// Documents the device's holder owns.
    own: HashSet<String>,
    /// Documents to offer unasked on the next request (the server's listing, as the test says).
    offer: Vec<String>,
    /// Every request received.
    requests: Vec<SyncRequest>,
    /// Answer the next request with 503 (after applying it: a lost response).
    lose_next: bool,
}

fn scope(sites: Option<&[&str]>, window_days: u32) -> WireScope {
    let sites: Option<Vec<String>> = sites.map(|s| s.iter().map(|x| x.to_string()).collect());
    let fp = {
        let mut f = vec![0u8; 16];
        f[0] = window_days as u8;
        f[1] = sites.as_ref().map_or(0xff, |s| s.len() as u8);
        f
    };
    WireScope {
        fp,
        holder: "d:phone".into(),
        sites,
        window_days,
        own_days: None,
        open_reach: "own".into(),
        full: false,
    }
}

impl Fake {
    fn new() -> Self {
        Fake {
            docs: HashMap::new(),
            states: HashMap::new(),
            as_of: today().to_string(),
            scope: scope(Some(&["S1"]), 14),
            own: HashSet::new(),
            offer: Vec::new(),
            requests: Vec::new(),
            lose_next: false,
        }
    }

    /// An unasked first offer (or news) of `id`.
    fn offer_of(&mut self, id: &str) -> Option<DocMessage> {
        let doc = self.docs.get_mut(id)?;
        let state = self.states.entry(id.to_string()).or_default();
        prepare_state(state);
        prepare_first_offer(state);
        let msg = doc.sync().generate_sync_message(state)?;
        assume_delivered(state, &msg, &doc.get_heads());
        Some(DocMessage { id: id.to_string(), msg: msg.encode() })
    }

    fn answer(&mut self, request: SyncRequest) -> SyncResponse {
        let mut resp = SyncResponse { v: PROTOCOL_VERSION, ..Default::default() };
        // Drops first, as the server does.
        for id in &request.dropped {
            self.states.remove(id);
        }
        let mut offered = Vec::new();
        for m in &request.docs {
            let doc = self.docs.entry(m.id.clone()).or_default();
            let state = self.states.entry(m.id.clone()).or_default();
            doc.sync().receive_sync_message(state, Message::decode(&m.msg).expect("message")).expect("merge");
            prepare_state(state);
            let reply = doc.sync().generate_sync_message(state);
            if let Some(reply) = reply {
                assume_delivered(state, &reply, &doc.get_heads());
                resp.docs.push(DocMessage { id: m.id.clone(), msg: reply.encode() });
            }
        }
        let mut wanted = std::mem::take(&mut self.offer);
        for (i, f) in request.fetch.iter().enumerate() {
            let mut ids: Vec<String> = match f {
                Fetch::Record { id } => self.docs.contains_key(id).then(|| id.clone()).into_iter().collect(),
                Fetch::Days { site, from, to } => self
                    .docs
                    .iter()
                    .filter_map(|(id, doc)| match Record::read(doc) {
                        Ok(r) => {
                            let d = r.date().to_string();
                            (r.header().site_id == *site && d >= *from && d <= *to).then(|| id.clone())
                        }
                        Err(_) => None,
                    })
                    .collect(),
            };
            ids.sort();
            for id in &ids {
                wanted.push(id.clone());
                wanted.push(format!("approval:{id}"));
            }
            resp.fetched.push(Fetched { i: i as u32, ids, more: false });
        }
        for id in wanted {
            let held = self.states.get(&id).is_some_and(|s| !s.shared_heads.is_empty());
            if held || resp.docs.iter().any(|m| m.id == id) {
                continue;
            }
            if let Some(m) = self.offer_of(&id) {
                offered.push(id.clone());
                resp.docs.push(m);
            }
        }
        resp.own = offered.into_iter().filter(|id| self.own.contains(id)).collect();
        if request.scope_fp.is_some() {
            resp.as_of = Some(self.as_of.clone());
            if request.scope_fp.as_deref() != Some(&self.scope.fp[..]) {
                resp.scope = Some(self.scope.clone());
            }
        }
        self.requests.push(request);
        resp
    }
}

fn serve(stream: TcpStream, fake: &Mutex<Fake>) {
    let mut out = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).expect("body");
        let request: SyncRequest = ciborium::from_reader(body.as_slice()).expect("a sync request");
        let (status, reply) = {
            let mut f = fake.lock().expect("lock");
            let response = f.answer(request);
            if std::mem::take(&mut f.lose_next) {
                ("503 Service Unavailable", b"lost".to_vec())
            } else {
                let mut reply = Vec::new();
                ciborium::into_writer(&response, &mut reply).expect("encode");
                ("200 OK", reply)
            }
        };
        let mut whole = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n", reply.len()).into_bytes();
        whole.extend_from_slice(&reply);
        if out.write_all(&whole).is_err() {
            return;
        }
    }
}

fn start(fake: Fake) -> (String, Arc<Mutex<Fake>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let fake = Arc::new(Mutex::new(fake));
    let shared = fake.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let f = shared.clone();
            std::thread::spawn(move || serve(stream, &f));
        }
    });
    (url, fake)
}

async fn sheet(store: &Store, site: &str, date: NaiveDate, note: &str) -> String {
    let new = NewSheet {
        project_id: "P1".into(),
        site_id: site.into(),
        time_zone: "Asia/Shanghai".into(),
        work_date: date,
        currency: record_schema::Currency::default(),
        note: Some(note.into()),
    };
    store.create_labour_sheet(new).await.expect("sheet").header.id
}

/// A colleague's record on the server (made on another phone).
async fn colleague(dir: &Path, fake: &Mutex<Fake>, site: &str, date: NaiveDate, note: &str) -> String {
    let other = Store::open(dir.join(format!("colleague-{note}.db")), "李强").await.expect("open");
    let id = sheet(&other, site, date, note).await;
    let doc = AutoCommit::load(&other.export_document(&id).await.expect("export")).expect("load");
    other.close().await;
    let mut f = fake.lock().expect("lock");
    f.docs.insert(id.clone(), doc);
    f.offer.push(id.clone());
    id
}

/// The server approves `id` at its current heads (its approval document, offered).
fn approve(fake: &Mutex<Fake>, id: &str) {
    let mut f = fake.lock().expect("lock");
    let mut heads: Vec<String> =
        f.docs.get_mut(id).expect("record").get_heads().iter().map(ToString::to_string).collect();
    heads.sort();
    let approval =
        Approval { record_id: id.into(), project_id: "P1".into(), decisions: Vec::new(), approved_heads: Some(heads) };
    let aid = Approval::document_id(id);
    let doc = f.docs.entry(aid.clone()).or_default();
    approval.write(doc).expect("approval");
    doc.commit();
    f.offer.push(aid);
}

async fn sync(store: &Store, url: &str) -> mobile_core::store::SyncReport {
    store.sync(url, "t", |_, _, _| Ok(()), &Cancel::new()).await.expect("sync")
}

async fn held(path: &Path) -> Vec<String> {
    query(path, "SELECT id FROM documents ORDER BY id").await
}

async fn query(path: &Path, sql: &str) -> Vec<String> {
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display())).await.expect("db");
    let v = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_all(&mut c).await.expect("query");
    c.close().await.expect("close");
    v
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn evicts_only_what_the_rule_lets_go_and_sends_the_drops_until_answered() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.db");
    let (url, fake) = start(Fake::new());
    let store = Store::open(&path, "王建国").await.expect("open");

    // Colleagues' records on the server.
    let old_approved = colleague(dir.path(), &fake, "S1", days_ago(30), "old approved").await;
    approve(&fake, &old_approved);
    let old_pending = colleague(dir.path(), &fake, "S1", days_ago(30), "old pending").await;
    let recent = colleague(dir.path(), &fake, "S1", days_ago(13), "recent").await;
    let other_site = colleague(dir.path(), &fake, "S2", today(), "other site").await;
    let older = colleague(dir.path(), &fake, "S1", days_ago(40), "older").await;
    let server_own = colleague(dir.path(), &fake, "S2", days_ago(300), "own from another phone").await;
    fake.lock().expect("lock").own.insert(server_own.clone());
    // This phone's own old record.
    let mine = sheet(&store, "S1", days_ago(60), "mine").await;

    // First sync: everything arrives; scope and day are new, so a plan runs at once. (The
    // colleague's records were not in the phone's hands before: out, synced, settled.)
    let r = sync(&store, &url).await;
    assert!(r.errors.is_empty(), "{r:?}");
    {
        let f = fake.lock().expect("lock");
        let first = &f.requests[0];
        assert_eq!(first.scope_fp.as_deref(), Some(&[][..]), "a phone with no scope yet says so");
        assert!(first.dropped.is_empty());
    }
    let gone = [&old_approved, &Approval::document_id(&old_approved), &old_pending, &other_site, &older];
    let kept = [&recent, &mine, &server_own];
    let held_now = held(&path).await;
    for id in kept {
        assert!(held_now.contains(id), "{id} must stay: {held_now:?}");
    }
    for id in gone {
        assert!(!held_now.contains(id), "{id} must go: {held_now:?}");
    }
    assert_eq!(r.evicted as usize, gone.len(), "{r:?}");
    let queued = query(&path, "SELECT doc_id FROM scope_dropped ORDER BY doc_id").await;
    assert_eq!(queued, sorted(&gone));
    for table in ["records", "sync_states", "changes"] {
        let sql = format!(
            "SELECT count(*) FROM {table} WHERE {} IN (SELECT doc_id FROM scope_dropped)",
            if table == "records" { "id" } else { "doc_id" }
        );
        let n: Vec<i64> = {
            let mut c =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display())).await.expect("db");
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&mut c).await.expect("count")
        };
        assert_eq!(n, [0], "{table} still holds evicted rows");
    }

    // The next sync carries them; the server forgets its states; the phone its queue.
    let before = fake.lock().expect("lock").requests.len();
    let r = sync(&store, &url).await;
    assert_eq!(r.evicted, 0, "same day and scope: no plan");
    {
        let f = fake.lock().expect("lock");
        let req = &f.requests[before];
        let mut sent = req.dropped.clone();
        sent.sort();
        assert_eq!(sent, sorted(&gone));
        assert_eq!(req.scope_fp.as_deref(), Some(&f.scope.fp[..]), "the stored fingerprint");
        for id in gone {
            assert!(!f.states.contains_key(id), "{id}");
        }
    }
    assert!(query(&path, "SELECT doc_id FROM scope_dropped").await.is_empty(), "answered: forgotten");
    let r = sync(&store, &url).await;
    assert!(fake.lock().expect("lock").requests.last().expect("req").dropped.is_empty());
    assert_eq!(r.evicted, 0);
    store.close().await;
}

/// A colleague's old record edited here and not synced stays; so does one with a photo waiting,
/// one pinned by a fetch, and one open that this phone edited; each goes once that no longer
/// holds, at the next day's plan.
#[tokio::test]
async fn unsynced_unsettled_pinned_records_stay_until_they_may_go() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.db");
    let mut fresh = Fake::new();
    // A window wide enough to hold everything at first.
    fresh.scope = scope(Some(&["S1"]), 400);
    let (url, fake) = start(fresh);
    let store = Store::open(&path, "王建国").await.expect("open");
    let edited = colleague(dir.path(), &fake, "S1", days_ago(40), "edited").await;
    let settled = colleague(dir.path(), &fake, "S1", days_ago(40), "settled").await;
    approve(&fake, &settled);
    let fetched = colleague(dir.path(), &fake, "S1", days_ago(50), "fetched").await;
    sync(&store, &url).await;
    assert!(held(&path).await.contains(&edited));

    // Edited here, not yet synced; the scope narrows to 14 days.
    store.update_sheet(&edited, days_ago(40), Some("the foreman's".into())).await.expect("edit");
    fake.lock().expect("lock").scope = scope(Some(&["S1"]), 14);
    // The phone's edit goes in this sync, yet the plan runs after: synced by then, but open
    // (not approved) and edited here: unsettled, it stays. The approved one goes.
    let r = sync(&store, &url).await;
    assert!(r.errors.is_empty(), "{r:?}");
    let now = held(&path).await;
    assert!(now.contains(&edited), "unsettled: {now:?}");
    assert!(!now.contains(&settled) && !now.contains(&Approval::document_id(&settled)), "{now:?}");
    assert!(!now.contains(&fetched), "out, settled: gone");

    // Fetched back on demand: pinned, so the next day's plan keeps it.
    let (_, ids) = store
        .fetch(
            &Remote::Token { base_url: url.clone(), token: "t".into() },
            vec![Fetch::Record { id: fetched.clone() }],
            &Cancel::new(),
        )
        .await
        .expect("fetch");
    assert_eq!(ids, std::slice::from_ref(&fetched));
    assert!(held(&path).await.contains(&fetched));
    // The supervisor approves the edited one at its current heads: settled now.
    approve(&fake, &edited);
    fake.lock().expect("lock").as_of = today().succ_opt().expect("tomorrow").to_string();
    let r = sync(&store, &url).await;
    let now = held(&path).await;
    assert!(now.contains(&fetched), "pinned: {now:?}");
    assert!(!now.contains(&edited), "approved at its heads, synced: it may go now ({r:?})");

    // The pin expires: the next plan lets it go.
    sqlx::query("UPDATE pins SET until_ms = 0")
        .execute(&mut sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("db"))
        .await
        .expect("expire");
    fake.lock().expect("lock").as_of = today().checked_add_days(Days::new(2)).expect("date").to_string();
    sync(&store, &url).await;
    assert!(!held(&path).await.contains(&fetched));
    store.close().await;
}

/// The transaction is the unit: a store closed (the app killed) after an eviction still sends
/// the drops on the next sync; a response lost on the way leaves them queued for the one after.
#[tokio::test]
async fn drops_survive_a_kill_and_a_lost_response() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.db");
    let (url, fake) = start(Fake::new());
    let store = Store::open(&path, "王建国").await.expect("open");
    let old = colleague(dir.path(), &fake, "S1", days_ago(30), "old").await;
    let r = sync(&store, &url).await;
    assert_eq!(r.evicted, 1, "{r:?}");
    store.close().await;
    drop(store);

    let store = Store::open(&path, "王建国").await.expect("reopen");
    assert_eq!(query(&path, "SELECT doc_id FROM scope_dropped").await, std::slice::from_ref(&old));
    fake.lock().expect("lock").lose_next = true;
    let lost = store.sync(&url, "t", |_, _, _| Ok(()), &Cancel::new()).await;
    assert!(lost.is_err(), "{lost:?}");
    let queued = query(&path, "SELECT doc_id FROM scope_dropped").await;
    assert_eq!(queued, std::slice::from_ref(&old), "not answered: still queued");
    sync(&store, &url).await;
    let sent: Vec<Vec<String>> = fake.lock().expect("lock").requests.iter().map(|r| r.dropped.clone()).collect();
    let n = sent.len();
    assert_eq!(sent[n - 2], std::slice::from_ref(&old), "the lost one carried it");
    assert_eq!(sent[n - 1], std::slice::from_ref(&old), "and the retry again");
    assert!(query(&path, "SELECT doc_id FROM scope_dropped").await.is_empty());
    store.close().await;
}

/// The plan runs once per day or scope change: idle syncs read no document; a new day does.
#[tokio::test]
async fn idle_syncs_do_not_plan_again_a_new_day_does() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.db");
    let (url, fake) = start(Fake::new());
    let store = Store::open(&path, "王建国").await.expect("open");
    let boundary = colleague(dir.path(), &fake, "S1", days_ago(13), "last day of the window").await;
    approve(&fake, &boundary);
    sync(&store, &url).await;
    assert!(held(&path).await.contains(&boundary));
    let loaded = store.documents_loaded();
    for _ in 0..3 {
        assert_eq!(sync(&store, &url).await.evicted, 0);
    }
    assert_eq!(store.documents_loaded(), loaded, "idle syncs load no document");
    fake.lock().expect("lock").as_of = today().succ_opt().expect("tomorrow").to_string();
    let r = sync(&store, &url).await;
    assert_eq!(r.evicted, 2, "the day turned: the sheet and its approval leave ({r:?})");
    store.close().await;
}

/// Fetching a site's days brings an evicted day back; copying from it works offline only while
/// the day is held, and says the day must be fetched online otherwise. Bad input is refused
/// before going online, naming the field.
#[tokio::test]
async fn an_evicted_day_is_fetched_to_copy_from_and_bad_ranges_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.db");
    let (url, fake) = start(Fake::new());
    let store = Store::open(&path, "王建国").await.expect("open");
    let day = days_ago(20);
    let source = colleague(dir.path(), &fake, "S1", day, "crews of that day").await;
    sync(&store, &url).await;
    assert!(!held(&path).await.contains(&source), "evicted");
    let remote = Remote::Token { base_url: url.clone(), token: "t".into() };
    let offline = Remote::Token { base_url: "http://127.0.0.1:9".into(), token: "t".into() };
    let cancel = Cancel::new();
    match store.copy_sheet_from_day("P1", "S1", day, today(), &offline, &cancel).await {
        Err(mobile_core::Error::DayNotOnPhone { site_id, date }) => {
            assert_eq!((site_id.as_str(), date), ("S1", day.to_string()));
        }
        other => panic!("expected DayNotOnPhone, got {other:?}"),
    }
    let copy = store.copy_sheet_from_day("P1", "S1", day, today(), &remote, &cancel).await.expect("copy");
    let copy = copy.expect("the day's sheet was fetched and copied");
    assert_eq!(copy.work_date, today());
    assert!(held(&path).await.contains(&source), "fetched and pinned");
    // A day within the window that has no sheet: nothing to fetch, nothing to copy.
    assert!(
        store.copy_sheet_from_day("P1", "S1", days_ago(2), today(), &offline, &cancel).await.expect("none").is_none()
    );

    let bad = |from: &str, to: &str| vec![Fetch::Days { site: "S1".into(), from: from.into(), to: to.into() }];
    for (fetch, field) in [
        (bad("2026-01-01", "2026-02-01"), "fetch[0].to"),
        (bad("2026-01-02", "2026-01-01"), "fetch[0].from"),
        (bad("2026-13-01", "2026-01-01"), "fetch[0].from"),
        (bad("2026-01-01", "yesterday"), "fetch[0].to"),
        (vec![Fetch::Record { id: " ".into() }], "fetch[0].id"),
        (vec![Fetch::Record { id: "a".into() }; 5], "fetch"),
    ] {
        match store.fetch(&offline, fetch, &cancel).await {
            Err(mobile_core::Error::Invalid(v)) => assert_eq!(v.field, field),
            other => panic!("expected a refusal naming {field}, got {other:?}"),
        }
    }
    assert!(store.fetch(&remote, bad("2026-01-01", "2026-01-31"), &cancel).await.is_ok(), "31 days is the limit");
    store.close().await;
}

/// Copying from a sheet this phone evicted says so (`RecordNotOnPhone`: the app fetches it), not
/// `NotFound`, also once the server has answered the drop; a sheet never held is still `NotFound`;
/// fetched back, the copy works.
#[tokio::test]
async fn starting_from_an_evicted_sheet_says_it_is_not_on_the_phone() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.db");
    let (url, fake) = start(Fake::new());
    let store = Store::open(&path, "王建国").await.expect("open");
    let source = colleague(dir.path(), &fake, "S1", days_ago(20), "crews of that day").await;
    let r = sync(&store, &url).await;
    assert_eq!(r.evicted, 1, "{r:?}");
    // The drop is sent and answered: `scope_dropped` forgets it, the phone still knows.
    sync(&store, &url).await;
    assert!(query(&path, "SELECT doc_id FROM scope_dropped").await.is_empty());
    assert!(!held(&path).await.contains(&source));
    match store.start_sheet_from(&source, today()).await {
        Err(mobile_core::Error::RecordNotOnPhone { id }) => assert_eq!(id, source),
        other => panic!("expected RecordNotOnPhone, got {other:?}"),
    }
    let app = mobile_core::CoreError::from(mobile_core::Error::RecordNotOnPhone { id: source.clone() });
    assert!(matches!(&app, mobile_core::CoreError::RecordNotOnPhone { id } if *id == source), "{app:?}");
    match store.start_sheet_from("0000-never-held", today()).await {
        Err(mobile_core::Error::NotFound { id, .. }) => assert_eq!(id, "0000-never-held"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let remote = Remote::Token { base_url: url.clone(), token: "t".into() };
    let (_, ids) =
        store.fetch(&remote, vec![Fetch::Record { id: source.clone() }], &Cancel::new()).await.expect("fetch");
    assert_eq!(ids, std::slice::from_ref(&source));
    let copy = store.start_sheet_from(&source, today()).await.expect("copied once fetched");
    assert_eq!(copy.work_date, today());
    store.close().await;
}

/// A record open in the app's editor stays whatever the plan says, with its approval, while a
/// record like it goes; released, the next sync's plan (same day, same scope) lets it go. The hold
/// expires on its own (an app killed with the editor open).
#[tokio::test]
async fn a_record_held_open_in_an_editor_stays_until_released() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("phone.db");
    let mut fresh = Fake::new();
    fresh.scope = scope(Some(&["S1"]), 400);
    let (url, fake) = start(fresh);
    let store = Store::open(&path, "王建国").await.expect("open");
    let open = colleague(dir.path(), &fake, "S1", days_ago(40), "open in the editor").await;
    let like_it = colleague(dir.path(), &fake, "S1", days_ago(40), "not held").await;
    let expiring = colleague(dir.path(), &fake, "S1", days_ago(40), "held, app killed").await;
    for id in [&open, &like_it, &expiring] {
        approve(&fake, id);
    }
    sync(&store, &url).await;
    let now = held(&path).await;
    assert!([&open, &like_it, &expiring].iter().all(|id| now.contains(id)), "{now:?}");

    store.hold_open(&open).await.expect("hold");
    store.hold_open(&expiring).await.expect("hold");
    sqlx::query("UPDATE editor_holds SET until_ms = 0 WHERE doc_id = ?")
        .bind(&expiring)
        .execute(&mut sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("db"))
        .await
        .expect("expire");
    fake.lock().expect("lock").scope = scope(Some(&["S1"]), 14);
    let r = sync(&store, &url).await;
    let now = held(&path).await;
    assert!(!now.contains(&like_it) && !now.contains(&expiring), "not held, or the hold expired: gone ({r:?})");
    assert!(now.contains(&open) && now.contains(&Approval::document_id(&open)), "held open: kept ({now:?})");
    assert_eq!(r.evicted, 4, "two records and their approvals: {r:?}");
    assert_eq!(sync(&store, &url).await.evicted, 0, "an idle sync while held");
    assert!(held(&path).await.contains(&open));

    store.release_hold(&open).await.expect("release");
    store.release_hold("0000-never-held").await.expect("releasing what is not held does nothing");
    let r = sync(&store, &url).await;
    let now = held(&path).await;
    assert!(!now.contains(&open) && !now.contains(&Approval::document_id(&open)), "released: gone ({now:?})");
    assert_eq!(r.evicted, 2, "{r:?}");
    match store.hold_open(" ").await {
        Err(mobile_core::Error::Invalid(v)) => assert_eq!(v.field, "id"),
        other => panic!("expected a refusal naming id, got {other:?}"),
    }
    store.close().await;
}

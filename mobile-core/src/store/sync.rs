//! The sync client: exchanges Automerge sync messages for every document with the server in
//! batched CBOR requests (`POST /v1/sync`, docs/sync-protocol.md) until neither side has anything to
//! say. Incoming changes pass the same gate as `import_changes`. Every step is idempotent, so a sync
//! interrupted at any point is simply run again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use automerge::sync::{Message, State, SyncDoc};
use record_schema::sync_client::{MAX_ROUNDS, Next, REFUSED_BY_PHONE, SyncDriver};
use record_schema::wire::{DocMessage, Fetch, Fetched, SyncResponse};

use super::http::{Method, Request};
use super::{Cancel, Store, documents};
use crate::error::{Error, Result};

/// Sync states as stored, by document id (`load_sync_states`, `save_sync_states`).
type Saved = HashMap<String, Vec<u8>>;

/// The stored documents' heads (`documents::heads_bytes`; none if not known), by id.
type Heads = HashMap<String, Option<Vec<u8>>>;

/// Largest response accepted.
const MAX_RESPONSE: u64 = 256 * 1024 * 1024;

/// Longest one round's exchange may take.
const SYNC_TIMEOUT: Duration = Duration::from_secs(120);

/// The write-ahead log's size above which a sync ends with a truncating checkpoint (`shrink_wal`).
const WAL_SHRINK_BYTES: u64 = 1 << 20;

/// A document the server (or this phone) refused, with the server's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncError {
    pub id: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub rounds: u32,
    pub documents_sent: u32,
    pub documents_received: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub errors: Vec<SyncError>,
    /// The answers to the sync's `fetch` (docs/sync-scopes.md §5), in the order the server gave.
    pub fetched: Vec<Fetched>,
    /// Documents the eviction plan dropped after this sync (sync scopes).
    pub evicted: u32,
}

impl Store {
    /// Syncs every document with the server at `base_url` (e.g. `https://sync.example.com`) as the
    /// device holding `token`. `progress(round, sent, received)` is called after each round; an error
    /// it returns stops the sync (after that round's states are saved). `cancel` stops it at the next
    /// safe point, or abandons a request in flight, with `Error::Cancelled`. The rules of the exchange
    /// are `record_schema::sync_client`'s; this drives them over HTTP and the store.
    pub async fn sync(
        &self,
        base_url: &str,
        token: &str,
        progress: impl FnMut(u32, u32, u32) -> Result<()>,
        cancel: &Cancel,
    ) -> Result<SyncReport> {
        self.sync_scoped(base_url, token, None, Vec::new(), progress, cancel).await
    }

    /// `sync` of one project's documents only (`project` none: every document), as the device
    /// holding that project's `token` (`sync_all`). Only the project's documents and their sync
    /// states take part, so another project's record is never offered under this token.
    ///
    /// Sync scopes (docs/sync-scopes.md): every request says the phone applies them (the stored
    /// scope's fingerprint), the first carries the ids evicted since the server last answered and
    /// `fetch`; the server's day and scope are kept, `own` records marked, fetched records pinned,
    /// and after a sync that ended quietly the eviction plan runs if the day or scope changed.
    pub(crate) async fn sync_scoped(
        &self,
        base_url: &str,
        token: &str,
        project: Option<&str>,
        fetch: Vec<Fetch>,
        mut progress: impl FnMut(u32, u32, u32) -> Result<()>,
        cancel: &Cancel,
    ) -> Result<SyncReport> {
        let endpoint = format!("{}/v1/sync", base_url.trim_end_matches('/'));
        let (states, mut saved, heads) = self.load_sync_states(project).await?;
        let scope = self.load_scope(project).await?;
        let fp = scope.scope.as_ref().map(|s| s.fp.clone()).unwrap_or_default();
        let mut sync = SyncDriver::new(states).scoped(fp, scope.dropped.clone(), fetch);
        let mut report = SyncReport::default();
        let mut heads = Some(heads);
        // `own` ids marked so far, and those whose record had not arrived when marked.
        let (mut own_seen, mut own_later) = (0, Vec::new());
        while !sync.settled() {
            let request = match self.outgoing(&mut sync, project, heads.take()).await? {
                Next::Send(request) => request,
                Next::Done => break,
                Next::GiveUp => {
                    return Err(Error::Sync(format!(
                        "sync did not settle in {MAX_ROUNDS} rounds; it will continue next time"
                    )));
                }
            };
            let mut body = Vec::new();
            ciborium::into_writer(&request, &mut body)
                .map_err(|e| Error::Internal(format!("encoding a sync request: {e}")))?;
            report.bytes_sent += body.len() as u64;
            let response = cancel.run(self.post(&endpoint, token, body)).await?;
            report.rounds = sync.round();
            report.bytes_received += response.len() as u64;
            let response: SyncResponse = ciborium::from_reader(response.as_slice())
                .map_err(|e| Error::Sync(format!("the server's answer is not a sync response: {e}")))?;
            report.documents_sent += request.docs.len() as u32;
            report.documents_received += response.docs.len() as u32;
            let incoming = sync.receive(response);
            // Answered: the server has forgotten them (it applies drops before anything else).
            self.forget_dropped(sync.dropped_answered()).await?;
            report.errors.extend(incoming.errors.into_iter().map(|e| SyncError {
                id: e.id,
                code: e.code,
                message: e.message,
            }));
            // Between documents is a safe point: what was merged so far keeps its states.
            let mut cancelled = Ok(());
            for m in &incoming.news {
                if let Err(e) = cancel.check() {
                    cancelled = Err(e);
                    break;
                }
                if let Err(e) = self.incoming(m, &mut sync).await {
                    sync.refuse(&m.id);
                    report.errors.push(SyncError {
                        id: m.id.clone(),
                        code: REFUSED_BY_PHONE.into(),
                        message: e.to_string(),
                    });
                }
            }
            self.save_sync_states(sync.states(), sync.refused(), &mut saved).await?;
            own_later.extend(self.mark_own(&sync.own()[own_seen..]).await?);
            own_seen = sync.own().len();
            cancelled?;
            progress(sync.round(), request.docs.len() as u32, report.documents_received)?;
        }
        self.mark_own(&own_later).await?;
        self.keep_scope(project, &scope, sync.as_of(), sync.scope()).await?;
        report.fetched = sync.fetched().to_vec();
        let fetched: Vec<String> = report.fetched.iter().flat_map(|f| f.ids.iter().cloned()).collect();
        self.pin(&fetched).await?;
        if sync.untroubled() && report.errors.is_empty() {
            report.evicted = self.plan_if_due(project).await?.map_or(0, |e| e.documents);
        }
        self.shrink_wal().await?;
        Ok(report)
    }

    /// After a sync, a write-ahead log over 1 MiB is checkpointed into the store and truncated. SQLite
    /// checkpoints on its own every ~4 MB but keeps the file at its largest, so a phone would carry a
    /// 4 MB log for good (measured: 4.00 of 25.8 MB after a month, `server/tests/phone_month.rs`). A
    /// sync is the moment the user waits on the network anyway; an idle one leaves the log small and
    /// pays only a `stat`.
    async fn shrink_wal(&self) -> Result<()> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_SHRINK_BYTES) {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Records with changes the server has not confirmed, and photo originals not uploaded yet: what
    /// would be lost if this store were wiped now.
    pub async fn unsynced(&self) -> Result<(u32, u32)> {
        /// A stored document, its heads and what this phone last shared of it with the server.
        #[derive(sqlx::FromRow)]
        struct Shared {
            id: String,
            kind: String,
            heads: Option<Vec<u8>>,
            state: Option<Vec<u8>>,
        }
        let mut records = 0u32;
        let mut hot = self.hot.lock().await;
        let rows: Vec<Shared> = sqlx::query_as(
            "SELECT d.id, d.kind, d.heads, s.state FROM documents d LEFT JOIN sync_states s ON s.doc_id = d.id",
        )
        .fetch_all(&self.pool)
        .await?;
        for Shared { id, kind, heads, state } in rows {
            if kind.parse::<record_schema::RecordKind>().is_ok_and(record_schema::RecordKind::server_owned) {
                continue; // server-owned: nothing of the phone's in it
            }
            let shared = state.and_then(|b| State::decode(&b).ok()).map(|s| s.shared_heads).unwrap_or_default();
            let heads = match heads {
                Some(h) => h,
                None => documents::heads_bytes(&self.checkout(&mut hot, &id).await?.persisted),
            };
            if heads != documents::heads_bytes(&shared) {
                records += 1;
            }
        }
        drop(hot);
        let photos: i64 = sqlx::query_scalar("SELECT count(*) FROM photos WHERE uploaded_at_ms IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok((records, u32::try_from(photos).unwrap_or(u32::MAX)))
    }

    /// Deletes the store file and its media, as at sign-out. Refused while anything is unsynced,
    /// unless `force` (users of other field apps lose days of work to a careless sign-out).
    pub async fn wipe(&self, force: bool) -> Result<()> {
        let (records, photos) = self.unsynced().await?;
        if !force && (records > 0 || photos > 0) {
            return Err(Error::Unsynced { records, photos });
        }
        self.pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.as_os_str().to_owned();
            p.push(suffix);
            super::MediaDir::remove(std::path::Path::new(&p))?;
        }
        self.media.remove_all()
    }

    /// The next request. A stored document is quiet when nothing was heard about it in this sync
    /// (`their_heads` none) and its stored heads (`documents.heads`) are the heads both sides last
    /// agreed on: `SyncDriver::offer` would say nothing for it, so it is not even loaded, and the
    /// cost of a sync follows what changed, not what the phone holds. Every other candidate is
    /// offered in turn from the hot cache (the store never holds every document at once); one whose
    /// heads are not known yet (a store from before they were kept) is loaded, and its heads kept.
    /// `stored`: the documents' heads as the sync's start read them with the states (its first
    /// round: a document written since is sent by the next sync); none, read them now.
    async fn outgoing(&self, sync: &mut SyncDriver, project: Option<&str>, stored: Option<Heads>) -> Result<Next> {
        /// A stored document's id and heads.
        #[derive(sqlx::FromRow)]
        struct Stored {
            id: String,
            heads: Option<Vec<u8>>,
        }
        // Under the hot lock: no write can change a document between reading its heads and offering.
        let mut hot = self.hot.lock().await;
        let stored = match stored {
            Some(stored) => stored,
            None => {
                let sql = format!("SELECT id, heads FROM documents WHERE id IN ({})", super::pairing::DOCS_OF_PROJECT);
                let rows: Vec<Stored> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(project).fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| (r.id, r.heads)).collect()
            }
        };
        let ids = sync.candidates(stored.keys().cloned());
        let mut learnt = Vec::new();
        for id in ids {
            let doc = match stored.get(&id) {
                None => None,
                Some(heads) => {
                    let quiet = sync.states().get(&id).is_some_and(|state| {
                        state.their_heads.is_none()
                            && heads.as_deref().is_some_and(|h| h == documents::heads_bytes(&state.shared_heads))
                    });
                    if quiet {
                        continue;
                    }
                    let hd = self.checkout(&mut hot, &id).await?;
                    if heads.is_none() {
                        learnt.push((id.clone(), documents::heads_bytes(&hd.persisted)));
                    }
                    Some(&mut hd.doc)
                }
            };
            sync.offer(id, doc);
        }
        drop(hot);
        if !learnt.is_empty() {
            // (Still unknown: a write since sets them itself.)
            let mut tx = self.pool.begin().await?;
            for (id, heads) in learnt {
                sqlx::query("UPDATE documents SET heads = ? WHERE id = ? AND heads IS NULL")
                    .bind(heads)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(sync.request(|id| stored.contains_key(id)))
    }

    /// Merges one message through the store's gate (`Store::merge`, as `import_changes`).
    async fn incoming(&self, m: &DocMessage, sync: &mut SyncDriver) -> Result<()> {
        let message =
            Message::decode(&m.msg).map_err(|e| Error::Sync(format!("document {}: bad sync message: {e}", m.id)))?;
        let state = sync.state_mut(&m.id);
        let mut hot = self.hot.lock().await;
        self.merge(&mut hot, &m.id, |doc| {
            doc.sync().receive_sync_message(state, message).map_err(|e| Error::Sync(format!("document {}: {e}", m.id)))
        })
        .await?;
        sync.merged(&m.id);
        Ok(())
    }

    /// The project's sync states (`project` none: all), decoded, and as stored (what
    /// `save_sync_states` compares with, to write only the states that changed), with the heads of
    /// the project's documents: one read of one row per document (each row sqlx hands over costs
    /// more than the SQL, so the first round's `outgoing` reuses these heads).
    async fn load_sync_states(&self, project: Option<&str>) -> Result<(HashMap<String, State>, Saved, Heads)> {
        #[derive(sqlx::FromRow)]
        struct Stored {
            id: String,
            heads: Option<Vec<u8>>,
            state: Option<Vec<u8>>,
        }
        let sql = format!(
            "SELECT d.id, d.heads, s.state FROM documents d LEFT JOIN sync_states s ON s.doc_id = d.id \
             WHERE d.id IN ({})",
            super::pairing::DOCS_OF_PROJECT
        );
        let rows: Vec<Stored> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(project).fetch_all(&self.pool).await?;
        let (mut states, mut saved, mut heads) = (HashMap::new(), HashMap::new(), HashMap::with_capacity(rows.len()));
        for Stored { id, heads: h, state } in rows {
            if let Some(bytes) = state {
                // An undecodable state only costs a fuller exchange: start that document afresh.
                if let Ok(decoded) = State::decode(&bytes) {
                    states.insert(id.clone(), decoded);
                }
                saved.insert(id.clone(), bytes);
            }
            heads.insert(id, h);
        }
        Ok((states, saved, heads))
    }

    /// Keeps what both sides share (State::encode keeps only the shared heads), for documents stored:
    /// only the states whose encoding is not what `saved` says is stored, so a round that changed
    /// nothing writes nothing.
    async fn save_sync_states(
        &self,
        states: &HashMap<String, State>,
        forgotten: &HashSet<String>,
        saved: &mut Saved,
    ) -> Result<()> {
        let forgotten: Vec<&String> = forgotten.iter().filter(|id| !states.contains_key(*id)).collect();
        let changed: Vec<(&String, Vec<u8>)> = states
            .iter()
            .map(|(id, state)| (id, state.encode()))
            .filter(|(id, bytes)| saved.get(*id) != Some(bytes))
            .collect();
        if forgotten.is_empty() && changed.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for id in &forgotten {
            sqlx::query("DELETE FROM sync_states WHERE doc_id = ?").bind(id).execute(&mut *tx).await?;
        }
        let mut written = Vec::with_capacity(changed.len());
        for (id, state) in changed {
            let done = sqlx::query(
                "INSERT INTO sync_states (doc_id, state) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?) \
                 ON CONFLICT (doc_id) DO UPDATE SET state = excluded.state",
            )
            .bind(id)
            .bind(&state)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            // (The state of a document not stored is not written: it stays to be written.)
            if done.rows_affected() > 0 {
                written.push((id, state));
            }
        }
        tx.commit().await?;
        for id in forgotten {
            saved.remove(id);
        }
        for (id, state) in written {
            saved.insert(id.clone(), state);
        }
        Ok(())
    }
}

impl Store {
    /// One round's request on the store's transport (`http.rs`), whose kept-alive connection serves every round
    /// and every sync (a new TCP and TLS handshake per round costs seconds on a poor cellular link).
    async fn post(&self, endpoint: &str, token: &str, body: Vec<u8>) -> Result<Vec<u8>> {
        let request = Request::new(Method::Post, endpoint, SYNC_TIMEOUT, MAX_RESPONSE)
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/cbor")
            .body(body);
        let response = self.exchange(request).await?;
        match response.status {
            200 => Ok(response.body),
            401 | 403 => Err(Error::Unauthorized(response.text())),
            status => Err(Error::Sync(format!("the server answered {status}: {}", response.text()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use automerge::AutoCommit;
    use automerge::sync::SyncDoc;
    use record_schema::wire::prepare_state;

    use super::*;
    use crate::store::NewSheet;

    async fn open(path: &Path, author: &str) -> Store {
        Store::open(path, author).await.expect("open")
    }

    fn today() -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
    }

    async fn sheet(store: &Store, note: &str) -> String {
        let new = NewSheet {
            project_id: "P1".into(),
            site_id: "S1".into(),
            time_zone: "Asia/Shanghai".into(),
            work_date: today(),
            currency: record_schema::Currency::default(),
            note: Some(note.into()),
        };
        store.create_labour_sheet(new).await.expect("sheet").header.id
    }

    async fn note(store: &Store, id: &str, note: &str) {
        store.update_sheet(id, today(), Some(note.into())).await.expect("edit");
    }

    /// The documents the first request of a sync would offer, and how many documents it read
    /// from disk to decide.
    async fn offered(store: &Store) -> (Vec<String>, u64) {
        let loaded = store.documents_loaded();
        let (states, _, heads) = store.load_sync_states(None).await.expect("states");
        let mut sync = SyncDriver::new(states);
        let request = match store.outgoing(&mut sync, None, Some(heads)).await.expect("outgoing") {
            Next::Send(r) => r,
            other => panic!("expected a request, got {other:?}"),
        };
        let mut ids: Vec<String> = request.docs.into_iter().map(|m| m.id).collect();
        ids.sort();
        (ids, store.documents_loaded() - loaded)
    }

    /// Notes `ids` as shared with the server at their current heads, as a sync that settled does.
    async fn share(store: &Store, ids: &[&String]) {
        let (mut states, mut saved, _) = store.load_sync_states(None).await.expect("states");
        for id in ids {
            let mut state = State::new();
            state.shared_heads = store.heads(id).await.expect("heads");
            states.insert((*id).clone(), state);
        }
        store.save_sync_states(&states, &HashSet::new(), &mut saved).await.expect("save");
    }

    /// A message from a server holding `doc`, which last shared `shared` with the phone.
    fn server_message(id: &str, doc: &mut AutoCommit, shared: Vec<automerge::ChangeHash>) -> DocMessage {
        let mut state = State::new();
        state.shared_heads = shared;
        prepare_state(&mut state);
        let msg = doc.sync().generate_sync_message(&mut state).expect("a message");
        DocMessage { id: id.into(), msg: msg.encode() }
    }

    async fn stored_heads(store: &Store, id: &str) -> Option<Vec<u8>> {
        sqlx::query_scalar("SELECT heads FROM documents WHERE id = ?")
            .bind(id)
            .fetch_one(&store.pool)
            .await
            .expect("heads column")
    }

    fn sorted(ids: &[&String]) -> Vec<String> {
        let mut v: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
        v.sort();
        v
    }

    /// Every write path keeps `documents.heads` current, so a document changed by any of them is
    /// offered, while the quiet ones are not even read from disk: an idle sync reads no document.
    #[tokio::test]
    async fn changed_documents_are_offered_and_an_idle_sync_loads_none() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("phone.db");
        let store = open(&path, "王建国").await;
        let mut ids = Vec::new();
        for i in 0..10 {
            ids.push(sheet(&store, &format!("sheet {i}")).await);
        }
        let [edited, imported, concurrent, from_server, compacted, restored, backed_up, ..] = &ids[..] else {
            unreachable!()
        };
        // Before any sync every document goes.
        assert_eq!(offered(&store).await.0, sorted(&ids.iter().collect::<Vec<_>>()));
        share(&store, &ids.iter().collect::<Vec<_>>()).await;
        store.close().await;

        // After a full sync: nothing to offer, and nothing read from disk to know it.
        let store = open(&path, "王建国").await;
        assert_eq!(offered(&store).await, (vec![], 0));

        // A local edit (the one-call append path).
        note(&store, edited, "edited here").await;
        // Another phone's change merged with import_changes.
        let other = open(&dir.path().join("other.db"), "李强").await;
        other.import_changes(imported, &store.export_document(imported).await.expect("export")).await.expect("copy");
        let since = other.heads(imported).await.expect("heads");
        note(&other, imported, "edited there").await;
        let changes = other.export_changes(imported, &since).await.expect("changes");
        assert!(store.import_changes(imported, &changes).await.expect("merge").changed);
        // The server's changes through a sync: to a document also edited here (concurrent: the
        // merge is what neither side has yet), and to one not edited here (shared once merged).
        let (states, ..) = store.load_sync_states(None).await.expect("states");
        let mut sync = SyncDriver::new(states);
        for (id, edit_here) in [(concurrent, true), (from_server, false)] {
            let shared = store.heads(id).await.expect("heads");
            let mut server = AutoCommit::load(&store.export_document(id).await.expect("export")).expect("load");
            let copy = open(&dir.path().join(format!("{id}.db")), "张伟").await;
            copy.import_changes(id, &server.save()).await.expect("copy");
            note(&copy, id, "the office's").await;
            server.merge(&mut AutoCommit::load(&copy.export_document(id).await.expect("e")).expect("l")).expect("m");
            copy.close().await;
            if edit_here {
                note(&store, id, "and the foreman's").await;
            }
            store.incoming(&server_message(id, &mut server, shared), &mut sync).await.expect("merged");
        }
        let (_, mut saved, _) = store.load_sync_states(None).await.expect("saved");
        store.save_sync_states(sync.states(), sync.refused(), &mut saved).await.expect("save");
        // A compaction (the whole document rewritten as a snapshot).
        for i in 0..record_schema::persist::COMPACT_AFTER {
            note(&store, compacted, &format!("note {i}")).await;
        }
        let pending: i64 = sqlx::query_scalar("SELECT pending_count FROM documents WHERE id = ?")
            .bind(compacted)
            .fetch_one(&store.pool)
            .await
            .expect("count");
        assert!(pending < record_schema::persist::COMPACT_AFTER - 1, "compacted: {pending}");
        // A new document (inserted).
        let new = sheet(&store, "new").await;

        // A store restored from a backup taken after a local edit that was synced since: the
        // backup's state is the older one, so the edit goes again. (A backup's older document with
        // its older state is quiet here; the manifest makes the server send it again.)
        note(&store, restored, "before the backup").await;
        note(&store, backed_up, "before the backup").await;
        share(&store, &[backed_up]).await;
        store.close().await;
        std::fs::copy(&path, dir.path().join("backup.db")).expect("backup");
        let store = open(&path, "王建国").await;
        share(&store, &[restored]).await;
        note(&store, backed_up, "after the backup").await;
        share(&store, &[backed_up]).await;
        store.close().await;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.path().join(format!("phone.db{suffix}")));
        }
        std::fs::copy(dir.path().join("backup.db"), &path).expect("restore");

        let store = open(&path, "王建国").await;
        let changed = [edited, imported, concurrent, compacted, &new, restored];
        let (ids_offered, loaded) = offered(&store).await;
        assert_eq!(ids_offered, sorted(&changed));
        assert_eq!(loaded, changed.len() as u64, "only the offered documents were read");
        for id in ids.iter().chain([&new]) {
            let heads = store.heads(id).await.expect("heads");
            assert_eq!(stored_heads(&store, id).await, Some(documents::heads_bytes(&heads)), "{id}");
        }

        // Shared again: idle, and nothing read.
        share(&store, &changed).await;
        store.close().await;
        let store = open(&path, "王建国").await;
        assert_eq!(offered(&store).await, (vec![], 0));

        // Heads not known (a store from before they were kept): read once, then known.
        sqlx::query("UPDATE documents SET heads = NULL").execute(&store.pool).await.expect("forget");
        note(&store, edited, "once more").await;
        store.close().await;
        let store = open(&path, "王建国").await;
        let (ids_offered, loaded) = offered(&store).await;
        assert_eq!((ids_offered, loaded), (vec![edited.clone()], ids.len() as u64 + 1));
        store.close().await;
        let store = open(&path, "王建国").await;
        assert_eq!(offered(&store).await, (vec![edited.clone()], 1));
        assert_eq!(store.unsynced().await.expect("unsynced"), (1, 0));
    }

    /// A round that changed no state writes none (an idle sync commits nothing).
    #[tokio::test]
    async fn unchanged_states_are_not_written_again() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(&dir.path().join("phone.db"), "王建国").await;
        let id = sheet(&store, "a").await;
        share(&store, &[&id]).await;
        let (states, mut saved, _) = store.load_sync_states(None).await.expect("states");
        sqlx::query("UPDATE sync_states SET state = x'00'").execute(&store.pool).await.expect("mark");
        store.save_sync_states(&states, &HashSet::new(), &mut saved).await.expect("save");
        let raw: Vec<u8> = sqlx::query_scalar("SELECT state FROM sync_states").fetch_one(&store.pool).await.expect("s");
        assert_eq!(raw, [0], "not rewritten: it was unchanged since loaded");
        let mut changed = states.clone();
        changed.get_mut(&id).expect("state").shared_heads.clear();
        store.save_sync_states(&changed, &HashSet::new(), &mut saved).await.expect("save");
        let raw: Vec<u8> = sqlx::query_scalar("SELECT state FROM sync_states").fetch_one(&store.pool).await.expect("s");
        assert_eq!(raw, changed[&id].encode());
    }
}

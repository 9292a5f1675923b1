//! The sync client: exchanges Automerge sync messages for every document with the server in
//! batched CBOR requests (`POST /v1/sync`, docs/sync-protocol.md) until neither side has anything to
//! say. Incoming changes pass the same gate as `import_changes`. Every step is idempotent, so a sync
//! interrupted at any point is simply run again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use automerge::sync::{Message, State, SyncDoc};
use record_schema::sync_client::{MAX_ROUNDS, Next, REFUSED_BY_PHONE, SyncDriver};
use record_schema::wire::{DocMessage, SyncResponse};

use super::{Cancel, Store};
use crate::error::{Error, Result};

/// Largest response accepted.
const MAX_RESPONSE: u64 = 256 * 1024 * 1024;

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
        self.sync_scoped(base_url, token, None, progress, cancel).await
    }

    /// `sync` of one project's documents only (`project` none: every document), as the device
    /// holding that project's `token` (`sync_all`). Only the project's documents and their sync
    /// states take part, so another project's record is never offered under this token.
    pub(crate) async fn sync_scoped(
        &self,
        base_url: &str,
        token: &str,
        project: Option<&str>,
        mut progress: impl FnMut(u32, u32, u32) -> Result<()>,
        cancel: &Cancel,
    ) -> Result<SyncReport> {
        let endpoint = format!("{}/v1/sync", base_url.trim_end_matches('/'));
        let mut sync = SyncDriver::new(self.load_sync_states(project).await?);
        let mut report = SyncReport::default();
        while !sync.settled() {
            let request = match self.outgoing(&mut sync, project).await? {
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
            self.save_sync_states(sync.states(), sync.refused()).await?;
            cancelled?;
            progress(sync.round(), request.docs.len() as u32, report.documents_received)?;
        }
        Ok(report)
    }

    /// Records with changes the server has not confirmed, and photo originals not uploaded yet: what
    /// would be lost if this store were wiped now.
    pub async fn unsynced(&self) -> Result<(u32, u32)> {
        /// A stored document and what this phone last shared of it with the server.
        #[derive(sqlx::FromRow)]
        struct Shared {
            id: String,
            kind: String,
            state: Option<Vec<u8>>,
        }
        let rows: Vec<Shared> =
            sqlx::query_as("SELECT d.id, d.kind, s.state FROM documents d LEFT JOIN sync_states s ON s.doc_id = d.id")
                .fetch_all(&self.pool)
                .await?;
        let mut records = 0u32;
        let mut hot = self.hot.lock().await;
        for Shared { id, kind, state } in rows {
            if kind.parse::<record_schema::RecordKind>().is_ok_and(record_schema::RecordKind::server_owned) {
                continue; // server-owned: nothing of the phone's in it
            }
            let shared = state.and_then(|b| State::decode(&b).ok()).map(|s| s.shared_heads).unwrap_or_default();
            if self.checkout(&mut hot, &id).await?.doc.get_heads() != shared {
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

    /// The next request: each stored document (and each the server offered) in turn, from the hot
    /// cache, so the store never holds every document at once.
    async fn outgoing(&self, sync: &mut SyncDriver, project: Option<&str>) -> Result<Next> {
        let sql = format!("{} ORDER BY id", super::pairing::DOCS_OF_PROJECT);
        let stored: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(project).fetch_all(&self.pool).await?;
        let ids = sync.candidates(stored.iter().cloned());
        let stored: HashSet<String> = stored.into_iter().collect();
        let mut hot = self.hot.lock().await;
        for id in ids {
            let doc = if stored.contains(&id) { Some(&mut self.checkout(&mut hot, &id).await?.doc) } else { None };
            sync.offer(id, doc);
        }
        drop(hot);
        Ok(sync.request(|id| stored.contains(id)))
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

    async fn load_sync_states(&self, project: Option<&str>) -> Result<HashMap<String, State>> {
        #[derive(sqlx::FromRow)]
        struct Stored {
            doc_id: String,
            state: Vec<u8>,
        }
        let sql =
            format!("SELECT doc_id, state FROM sync_states WHERE doc_id IN ({})", super::pairing::DOCS_OF_PROJECT);
        let rows: Vec<Stored> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(project).fetch_all(&self.pool).await?;
        // An undecodable state only costs a fuller exchange: start that document afresh.
        Ok(rows.into_iter().filter_map(|r| State::decode(&r.state).ok().map(|s| (r.doc_id, s))).collect())
    }

    /// Keeps what both sides share (State::encode keeps only the shared heads), for documents stored.
    async fn save_sync_states(&self, states: &HashMap<String, State>, forgotten: &HashSet<String>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in forgotten.iter().filter(|id| !states.contains_key(*id)) {
            sqlx::query("DELETE FROM sync_states WHERE doc_id = ?").bind(id).execute(&mut *tx).await?;
        }
        for (id, state) in states {
            sqlx::query(
                "INSERT INTO sync_states (doc_id, state) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?) \
                 ON CONFLICT (doc_id) DO UPDATE SET state = excluded.state",
            )
            .bind(id)
            .bind(state.encode())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// One request, off the async runtime (ureq is blocking), on the store's one HTTP agent: its
    /// kept-alive connection serves every round and every sync (a new TCP and TLS handshake per
    /// round costs seconds on a poor cellular link).
    async fn post(&self, endpoint: &str, token: &str, body: Vec<u8>) -> Result<Vec<u8>> {
        let agent = self.http.get_or_init(sync_agent).clone();
        let (endpoint, auth) = (endpoint.to_string(), format!("Bearer {token}"));
        tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
            let mut resp = agent
                .post(&endpoint)
                .header("Authorization", &auth)
                .header("Content-Type", "application/cbor")
                .header(APP_HEADER.0, APP_HEADER.1)
                .send(&body[..])
                .map_err(|e| Error::Offline(format!("{endpoint}: {e}")))?;
            let status = resp.status().as_u16();
            let bytes = resp
                .body_mut()
                .with_config()
                .limit(MAX_RESPONSE)
                .read_to_vec()
                .map_err(|e| Error::Offline(format!("{endpoint}: reading the answer: {e}")))?;
            match status {
                200 => Ok(bytes),
                401 | 403 => Err(Error::Unauthorized(String::from_utf8_lossy(&bytes).into_owned())),
                _ => Err(Error::Sync(format!("the server answered {status}: {}", String::from_utf8_lossy(&bytes)))),
            }
        })
        .await
        .map_err(|e| Error::Internal(format!("sync worker: {e}")))?
    }
}

/// Names this library and its version on every request, so an admin's device list shows which
/// phones still run an old build (the server keeps it as the device's app version).
pub(crate) const APP_HEADER: (&str, &str) =
    ("Fieldledger-App", concat!("fieldledger-mobile-core/", env!("CARGO_PKG_VERSION")));

/// The agent behind `Store::post` (built on first use; cloning shares its connection pool).
pub(crate) fn sync_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .http_status_as_error(false)
        .build()
        .into()
}

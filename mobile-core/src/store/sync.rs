//! The sync client: exchanges Automerge sync messages for every document with the server in
//! batched CBOR requests (`POST /v1/sync`, docs/sync-protocol.md) until neither side has anything to
//! say. Incoming changes pass the same gate as `import_changes`. Every step is idempotent, so a sync
//! interrupted at any point is simply run again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use automerge::sync::{Message, State, SyncDoc};
use record_schema::wire::{
    DocMessage, ManifestEntry, PROTOCOL_VERSION, SyncRequest, SyncResponse, heads_digest, manifest_digest,
    prepare_state,
};

use super::{Cancel, Store};
use crate::error::{Error, Result};

/// Rounds before giving up on a sync that does not settle (each round is one request).
const MAX_ROUNDS: u32 = 30;
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
    /// safe point, or abandons a request in flight, with `Error::Cancelled`.
    pub async fn sync(
        &self,
        base_url: &str,
        token: &str,
        mut progress: impl FnMut(u32, u32, u32) -> Result<()>,
        cancel: &Cancel,
    ) -> Result<SyncReport> {
        let endpoint = format!("{}/v1/sync", base_url.trim_end_matches('/'));
        let mut states = self.load_sync_states().await?;
        // A store with no sync state at all has never synced (or was wiped and reinstalled): ask the
        // server to offer everything, whatever it believes this device holds.
        let mut reset = states.is_empty();
        let mut report = SyncReport::default();
        // Documents refused in this sync are not offered again until the next one.
        let mut refused = HashSet::new();
        // The server asked for the full manifest (sent at most once per sync).
        let (mut send_entries, mut sent_entries) = (false, false);
        let mut request = self.outgoing(&mut states, &refused, false).await?;
        for round in 1..=MAX_ROUNDS {
            sent_entries |= send_entries;
            request.reset = std::mem::take(&mut reset);
            let mut body = Vec::new();
            ciborium::into_writer(&request, &mut body)
                .map_err(|e| Error::Internal(format!("encoding a sync request: {e}")))?;
            report.bytes_sent += body.len() as u64;
            let response = cancel.run(post(&endpoint, token, body)).await?;
            report.rounds = round;
            report.bytes_received += response.len() as u64;
            let response: SyncResponse = ciborium::from_reader(response.as_slice())
                .map_err(|e| Error::Sync(format!("the server's answer is not a sync response: {e}")))?;
            report.documents_sent += request.docs.len() as u32;
            report.documents_received += response.docs.len() as u32;
            for e in response.errors {
                // A refused document starts afresh next time instead of repeating what was refused.
                states.remove(&e.id);
                refused.insert(e.id.clone());
                report.errors.push(SyncError { id: e.id, code: e.code, message: e.message });
            }
            send_entries = response.need_manifest && !sent_entries;
            // A document this phone refused keeps being offered until the next sync: not news.
            let news = response.docs.iter().any(|m| !refused.contains(&m.id));
            let settled = request.docs.is_empty() && !news && !send_entries;
            let fresh: Vec<DocMessage> = response.docs.into_iter().filter(|m| !refused.contains(&m.id)).collect();
            for m in fresh {
                if let Err(e) = self.incoming(&m, &mut states).await {
                    states.remove(&m.id);
                    refused.insert(m.id.clone());
                    report.errors.push(SyncError {
                        id: m.id.clone(),
                        code: "refused_by_phone".into(),
                        message: e.to_string(),
                    });
                }
            }
            self.save_sync_states(&states, &refused).await?;
            progress(round, request.docs.len() as u32, report.documents_received)?;
            if settled {
                return Ok(report);
            }
            // When the server's news is answered and this phone has nothing more to say, stop: a
            // further round would only confirm it (Automerge answers whenever an answer is due).
            request = self.outgoing(&mut states, &refused, send_entries).await?;
            if request.docs.is_empty() && !send_entries {
                return Ok(report);
            }
        }
        Err(Error::Sync(format!("sync did not settle in {MAX_ROUNDS} rounds; it will continue next time")))
    }

    /// Records with changes the server has not confirmed, and photo originals not uploaded yet: what
    /// would be lost if this store were wiped now.
    pub async fn unsynced(&self) -> Result<(u32, u32)> {
        let rows: Vec<(String, String, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT d.id, d.kind, s.state FROM documents d LEFT JOIN sync_states s ON s.doc_id = d.id")
                .fetch_all(&self.pool)
                .await?;
        let mut records = 0u32;
        let mut hot = self.hot.lock().await;
        for (id, kind, state) in rows {
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

    /// The next request: a message for every document with something to say (except those refused
    /// in this sync), the manifest digest, and the full manifest when the server asked for it.
    async fn outgoing(
        &self,
        states: &mut HashMap<String, State>,
        refused: &HashSet<String>,
        with_entries: bool,
    ) -> Result<SyncRequest> {
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT id FROM documents ORDER BY id").fetch_all(&self.pool).await?;
        // Documents the server offered that are not stored yet still need this phone's answer ("I have
        // nothing"), or their changes would never come.
        let mut ids: std::collections::BTreeSet<String> = stored.iter().cloned().collect();
        let stored: std::collections::HashSet<String> = stored.into_iter().collect();
        ids.extend(states.keys().cloned());
        let mut hot = self.hot.lock().await;
        let mut docs = Vec::new();
        for id in ids {
            if refused.contains(&id) {
                continue;
            }
            let state = states.entry(id.clone()).or_default();
            let message = if stored.contains(&id) {
                let doc = &mut self.checkout(&mut hot, &id).await?.doc;
                // Both sides last agreed on exactly these heads and the server has said nothing new
                // this session: stay quiet (the server offers its own news unasked). This keeps an
                // idle sync at one tiny round however many documents the phone holds.
                if state.their_heads.is_none() && state.shared_heads == doc.get_heads() {
                    continue;
                }
                prepare_state(state);
                doc.sync().generate_sync_message(state)
            } else {
                automerge::AutoCommit::new().sync().generate_sync_message(state)
            };
            if let Some(m) = message {
                docs.push(DocMessage { id, msg: m.encode() });
            }
        }
        drop(hot);
        // What this phone believes it shares with the server, document by document.
        let entries: Vec<ManifestEntry> = states
            .iter()
            .filter(|(id, s)| stored.contains(*id) && !s.shared_heads.is_empty())
            .map(|(id, s)| ManifestEntry { id: id.clone(), heads: heads_digest(&s.shared_heads) })
            .collect();
        Ok(SyncRequest {
            v: PROTOCOL_VERSION,
            reset: false,
            manifest: Some(manifest_digest(&entries).to_vec()),
            entries: with_entries.then_some(entries),
            docs,
        })
    }

    async fn incoming(&self, m: &DocMessage, states: &mut HashMap<String, State>) -> Result<()> {
        let message =
            Message::decode(&m.msg).map_err(|e| Error::Sync(format!("document {}: bad sync message: {e}", m.id)))?;
        let state = states.entry(m.id.clone()).or_default();
        let mut hot = self.hot.lock().await;
        self.merge(&mut hot, &m.id, |doc| {
            doc.sync().receive_sync_message(state, message).map_err(|e| Error::Sync(format!("document {}: {e}", m.id)))
        })
        .await?;
        // The server says it still needs changes: whatever we believe we sent did not land (a refused
        // save, a lost response), so let them be sent again instead of waiting forever.
        if let Some(state) = states.get_mut(&m.id)
            && state.their_need.as_ref().is_some_and(|n| !n.is_empty())
        {
            state.sent_hashes.clear();
        }
        Ok(())
    }

    async fn load_sync_states(&self) -> Result<HashMap<String, State>> {
        let rows: Vec<(String, Vec<u8>)> =
            sqlx::query_as("SELECT doc_id, state FROM sync_states").fetch_all(&self.pool).await?;
        // An undecodable state only costs a fuller exchange: start that document afresh.
        Ok(rows.into_iter().filter_map(|(id, b)| State::decode(&b).ok().map(|s| (id, s))).collect())
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

/// One request, off the async runtime (ureq is blocking).
async fn post(endpoint: &str, token: &str, body: Vec<u8>) -> Result<Vec<u8>> {
    let (endpoint, auth) = (endpoint.to_string(), format!("Bearer {token}"));
    tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent
            .post(&endpoint)
            .header("Authorization", &auth)
            .header("Content-Type", "application/cbor")
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

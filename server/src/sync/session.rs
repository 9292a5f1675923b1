//! `SyncSession`, one request's work for one device: the device's sync states (from the cache or
//! the database), the changes to them not yet written (`Pending`), and the writes that carry them
//! (with a document's change, or alone), each one commit; and the replies offering documents the
//! device has not seen (`outgoing`).

use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use record_schema::wire::{assume_delivered, prepare_first_offer, prepare_state, xor_into};

use super::unconfirmed::Batch;
use super::write::SyncWrite;
use super::{Digest, element, server_owned};
use crate::cache::{DeviceStates, DocCache, DocState, Offer, OfferKey};
use crate::commit::Committer;
use crate::db::{Db, Listed, ListedFacts, SyncGrant, TokenGrant, changed_since, fact_columns, on_pool, seen_by};
use crate::docstore::{self, DocStoreError, DocWrite, StoredDoc};
use crate::error::ApiError;

/// Changes to the device's sync states made in memory and not yet written. They go to the database
/// in the transaction of the next document write, or at the end of the request: one commit.
#[derive(Default)]
pub(super) struct Pending {
    /// Forget every stored state of the device first.
    pub(super) reset: bool,
    pub(super) deleted: Vec<String>,
    /// Documents whose state (in `SyncSession::dev`) is to be stored.
    pub(super) upserts: std::collections::BTreeSet<String>,
    pub(super) manifest: bool,
    /// `dev.cursor` is to be written.
    pub(super) cursor: bool,
    /// `devices.scope_fp` to store (a scope's fingerprint changed; empty: no scope any more).
    pub(super) scope_fp: Option<Vec<u8>>,
}

impl Pending {
    pub(super) fn is_empty(&self) -> bool {
        !self.reset
            && self.deleted.is_empty()
            && self.upserts.is_empty()
            && !self.manifest
            && !self.cursor
            && self.scope_fp.is_none()
    }
}

/// One request's work for one device.
pub(super) struct SyncSession<'a> {
    pub(super) db: &'a Db,
    pub(super) cache: &'a DocCache,
    pub(super) commits: &'a Committer<SyncWrite>,
    pub(super) grant: &'a TokenGrant,
    /// The device's sync states and manifest digest: the database's, plus `pending`.
    pub(super) dev: DeviceStates,
    pub(super) pending: Pending,
    /// False once another request wrote this device's states meanwhile (its own copy is then not
    /// the database's, so it is not cached; the next request reads the states back).
    pub(super) coherent: bool,
    /// The commit queue's limit, when it was full for one of this request's writes (answered 503).
    pub(super) busy: Option<usize>,
    /// The project's expense categories, read at the request's first expense.
    pub(super) categories: Option<Vec<record_schema::ExpenseCategory>>,
    /// The project's published roster, read at the request's first record naming a `worker_id`.
    pub(super) roster: Option<Vec<record_schema::RosterWorker>>,
    /// The states as they were before this request changed them (its optimistic notes included,
    /// `assume_delivered`), written as `devices.unconfirmed` with its writes.
    pub(super) batch: Batch,
    /// The device reset its states in this request.
    pub(super) reset_request: bool,
    /// The unseen documents this request listed (id, version) and the highest change sequence the
    /// listing read: the device's cursor moves there once each is seen (`cursor_to_write`).
    pub(super) listing: Option<(Vec<(String, i64)>, i64)>,
    /// Documents the device has no stored state for, as read by `load_states` in this request.
    pub(super) absent: std::collections::HashSet<String>,
    /// The states were not cached: `devices.unconfirmed` is still in the database only.
    pub(super) unconfirmed_unread: bool,
    /// Documents the phone listed in its full manifest whose states the reconcile dropped: the
    /// phone holds them, so a scoped listing offers them afresh whatever the scope.
    pub(super) reoffer: std::collections::HashSet<String>,
}

impl<'a> SyncSession<'a> {
    /// The device's states from the cache if they are at the generation just read with the token;
    /// else from the database (one query).
    pub(super) async fn open(
        db: &'a Db,
        cache: &'a DocCache,
        commits: &'a Committer<SyncWrite>,
        device: &'a SyncGrant,
    ) -> Result<Self, sqlx::Error> {
        let grant = &device.grant;
        let cached = cache.devices.take(&grant.device_id, device.sync_gen);
        let unconfirmed_unread = cached.is_none();
        let dev = match cached {
            Some(dev) => dev,
            // Not cached (or stale): the states are read as the request needs them (an idle sync
            // needs none), not all at once: a device holding 20,000 documents would otherwise read
            // 20,000 rows on every request its states are not cached for.
            None => DeviceStates {
                generation: device.sync_gen,
                manifest: device.manifest.as_deref().and_then(|m| Digest::try_from(m).ok()).unwrap_or_default(),
                docs: std::collections::HashMap::new(),
                unconfirmed: None,
                cursor: device.cursor,
                partial: true,
            },
        };
        let cursor = dev.cursor;
        Ok(SyncSession {
            db,
            cache,
            commits,
            grant,
            dev,
            pending: Pending::default(),
            coherent: true,
            busy: None,
            categories: None,
            roster: None,
            batch: Batch { cursor, ..Batch::default() },
            reset_request: false,
            listing: None,
            absent: std::collections::HashSet::new(),
            unconfirmed_unread,
            reoffer: std::collections::HashSet::new(),
        })
    }

    /// Forgets what this device was believed to hold (a reinstalled phone): everything is offered.
    pub(super) fn reset(&mut self) {
        self.dev.docs.clear();
        self.dev.partial = false; // (none are left to read)
        self.dev.manifest = Digest::default();
        self.dev.unconfirmed = None;
        self.dev.cursor = 0; // (a reset write sets `sync_cursor` to 0 too)
        self.reset_request = true;
        self.pending = Pending { reset: true, manifest: true, ..Pending::default() };
    }

    /// Reads the stored states of `ids` this request has not read yet, when the device's states are
    /// partial (one query per 500 documents); every state this request uses is read first.
    pub(super) async fn load_states<'i>(&mut self, ids: impl IntoIterator<Item = &'i str>) -> Result<(), sqlx::Error> {
        if !self.dev.partial {
            return Ok(());
        }
        let mut wanted: Vec<&str> =
            ids.into_iter().filter(|id| !self.dev.docs.contains_key(*id) && !self.absent.contains(*id)).collect();
        wanted.sort_unstable();
        wanted.dedup();
        for chunk in wanted.chunks(500) {
            let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT doc_id, state, seen_version FROM sync_states WHERE device_id = $1 AND doc_id IN ({})",
                placeholders.join(", ")
            );
            let rows: Vec<SyncStateRow> = on_pool!(self.db, |p| {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(&self.grant.device_id);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await?
            });
            let mut found = std::collections::HashSet::new();
            for row in rows {
                let (id, state) = row.entry();
                found.insert(id.clone());
                self.dev.docs.insert(id, state);
            }
            self.absent.extend(chunk.iter().filter(|id| !found.contains(**id)).map(|id| id.to_string()));
        }
        Ok(())
    }

    /// Every state stored for the device, as the database has it now.
    pub(super) async fn stored_states(&self) -> Result<std::collections::HashMap<String, DocState>, sqlx::Error> {
        let rows: Vec<SyncStateRow> = on_pool!(self.db, |p| sqlx::query_as(
            "SELECT doc_id, state, seen_version FROM sync_states WHERE device_id = $1"
        )
        .bind(&self.grant.device_id)
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(SyncStateRow::entry).collect())
    }

    /// Reads every stored state of the device not read yet (a reconcile, a recomputed digest).
    /// States this request changed or deleted keep their in-memory value.
    pub(super) async fn load_all(&mut self) -> Result<(), sqlx::Error> {
        if !self.dev.partial {
            return Ok(());
        }
        for (id, state) in self.stored_states().await? {
            if !self.pending.deleted.contains(&id) && !self.absent.contains(&id) {
                self.dev.docs.entry(id).or_insert(state);
            }
        }
        self.dev.partial = false;
        Ok(())
    }

    /// The sync state stored for `doc` (a fresh one if none; an undecodable state only costs a
    /// fuller exchange).
    pub(super) fn state_of(&self, doc: &str) -> State {
        self.dev.docs.get(doc).and_then(|d| State::decode(&d.state).ok()).unwrap_or_default()
    }

    pub(super) fn shared_of(&self, doc: &str) -> Vec<ChangeHash> {
        self.dev.docs.get(doc).and_then(|d| State::decode(&d.state).ok()).map(|s| s.shared_heads).unwrap_or_default()
    }

    /// The pending state changes (and `doc`, if any) as one write, which also bumps the device's
    /// sync generation.
    pub(super) fn pending_write(&self, doc: Option<DocWrite>) -> SyncWrite {
        let upserts = self
            .pending
            .upserts
            .iter()
            .filter_map(|id| self.dev.docs.get(id).map(|d| (id.clone(), d.state.clone(), d.seen_version)));
        SyncWrite {
            doc,
            device: self.grant.device_id.clone(),
            reset: self.pending.reset,
            deleted: self.pending.deleted.clone(),
            upserts: upserts.collect(),
            manifest: (self.dev.manifest != Digest::default()).then(|| self.dev.manifest.to_vec()),
            unconfirmed: self.unconfirmed(),
            cursor: self.cursor_to_write(),
            scope_fp: self.pending.scope_fp.clone(),
        }
    }

    /// The listing read with the token (`SyncGrant::unseen`, `listed_max_seq`), kept for
    /// `cursor_to_write`; returns `unseen`.
    pub(super) fn listed(&mut self, unseen: Vec<(String, i64)>, max_seq: i64) -> Vec<(String, i64)> {
        self.listing = Some((unseen.clone(), max_seq));
        unseen
    }

    /// The change cursor the next write stores (None: unchanged). One set on purpose (`pending.cursor`:
    /// a reset, a reconcile, a batch taken back); else the listing's highest sequence once every
    /// document it listed is seen by the device at (at least) its listed version, so a document
    /// refused or left unseen keeps the cursor where it is and is listed again. It rides the
    /// request's writes (an edit sync's one commit included) and never costs a commit of its own.
    /// A listing made at a cursor set on purpose (a scoped device's, which is not written first)
    /// moves it as well once complete.
    fn cursor_to_write(&self) -> Option<i64> {
        if let Some((listed, max_seq)) = self.listing.as_ref() {
            let seen =
                |(id, version): &(String, i64)| self.dev.docs.get(id).is_some_and(|d| d.seen_version >= *version);
            if *max_seq > self.dev.cursor && listed.iter().all(seen) {
                return Some(*max_seq);
            }
        }
        self.pending.cursor.then_some(self.dev.cursor)
    }

    /// `devices.unconfirmed` as of now: this request's batch (the previous one is settled by
    /// `check_manifest` at its start).
    pub(super) fn unconfirmed(&self) -> Option<Vec<u8>> {
        (!self.batch.docs.is_empty()).then(|| self.batch.encode())
    }

    /// Writes what is pending, if anything.
    pub(super) async fn commit_pending(&mut self) -> Result<(), DocStoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        match self.commits.write(self.pending_write(None)).await {
            Ok(Some(generation)) => {
                self.written(generation);
                Ok(())
            }
            Ok(None) => unreachable!("a write without a document always applies"),
            Err(e) => {
                self.coherent = false; // a failed commit may or may not have landed
                Err(e.into())
            }
        }
    }

    /// The pending writes committed at generation `generation`. Had anyone else written the device's
    /// states since this copy was read, the generation skipped a number: the copy is not cached.
    pub(super) fn written(&mut self, generation: i64) {
        if generation != self.dev.generation + 1 {
            self.coherent = false;
        }
        self.dev.generation = generation;
        // (The write just committed was built from this same state: it stored this cursor.)
        if let Some(cursor) = self.cursor_to_write() {
            self.dev.cursor = cursor;
        }
        self.pending = Pending::default();
    }

    /// Records the device's new sync state for a stored document, in memory and as pending;
    /// `seen_version` only moves when the device holds the document's heads.
    pub(super) fn note_state(&mut self, stored: &mut StoredDoc, state: &State) {
        let _ = self.note_state_at(&stored.id, &stored.doc.get_heads(), stored.version, state);
    }

    /// `note_state` for document `id` with `heads` at `version`.
    pub(super) fn note_state_at(&mut self, id: &str, heads: &[ChangeHash], version: i64, state: &State) -> Undo {
        let undo = Undo {
            id: id.to_string(),
            previous: self.dev.docs.get(id).cloned(),
            manifest: self.dev.manifest,
            manifest_pending: self.pending.manifest,
            was_pending: self.pending.upserts.contains(id),
        };
        let seen = if state.shared_heads.as_slice() == heads { version } else { 0 };
        let new = DocState { state: state.encode(), seen_version: seen };
        if undo.previous.as_ref() == Some(&new) {
            return undo;
        }
        let before = self.shared_of(id);
        if before != state.shared_heads {
            for e in [element(id, &before), element(id, &state.shared_heads)].into_iter().flatten() {
                xor_into(&mut self.dev.manifest, &e);
            }
            self.pending.manifest = true;
        }
        if !self.reset_request {
            // Kept to take back should the answer be lost (after a reset there is nothing to take
            // back to: a phone that lost that answer still holds no state and resets again).
            self.batch.note(id, undo.previous.clone());
        }
        self.dev.docs.insert(id.to_string(), new);
        self.pending.upserts.insert(id.to_string());
        undo
    }

    pub(super) fn undo(&mut self, u: Undo) {
        match u.previous {
            Some(p) => self.dev.docs.insert(u.id.clone(), p),
            None => self.dev.docs.remove(&u.id),
        };
        if !u.was_pending {
            self.pending.upserts.remove(&u.id);
        }
        self.dev.manifest = u.manifest;
        self.pending.manifest = u.manifest_pending;
    }

    /// Documents of the device's project it has not seen at their current version, with that
    /// version, among those written since its cursor (the same rule as `find_sync_grant`; a reset,
    /// reconcile or batch taken back has set the cursor). Pending state changes are written first.
    pub(super) async fn unseen(&mut self) -> Result<Vec<(String, i64)>, DocStoreError> {
        self.commit_pending().await?;
        let (unseen, _, max_seq) = self.list_changed().await?;
        Ok(self.listed(unseen, max_seq))
    }

    /// The documents written since the device's cursor that it has not seen at their version (as
    /// its states stand in the database), with their facts, and the highest change sequence read.
    pub(super) async fn list_changed(&self) -> Result<(Vec<(String, i64)>, Vec<ListedFacts>, i64), sqlx::Error> {
        let rows: Vec<ListingRow> = on_pool!(self.db, |p| sqlx::query_as(concat!(
            "SELECT d.id, d.version, d.change_seq, ",
            seen_by!("$1"),
            " AS seen, ",
            fact_columns!(),
            " FROM documents d WHERE ",
            changed_since!("$2", "$3")
        ))
        .bind(&self.grant.device_id)
        .bind(&self.grant.project_id)
        .bind(self.dev.cursor)
        .fetch_all(p)
        .await?);
        let mut listed = Listed::default();
        for r in rows {
            let (seq, unseen) = (r.change_seq, r.seen.unwrap_or(0) < r.version);
            let (id, version, facts) = r.into_parts();
            listed.add(id, version, seq, unseen, facts);
        }
        Ok(listed.finish(self.dev.cursor))
    }

    /// The stored version of a document the device sends, when this request already knows it: from
    /// the unseen list, or else the version the device has seen (a document of the project missing
    /// from that list is one the device has seen at its current version). A concurrent request of
    /// the same device on another replica can make this stale; the write's version check catches that.
    pub(super) fn known_version(&self, id: &str, unseen: &std::collections::HashMap<&str, i64>) -> Option<i64> {
        if let Some(v) = unseen.get(id) {
            return Some(*v);
        }
        self.dev.docs.get(id).map(|d| d.seen_version).filter(|v| *v > 0)
    }

    pub(super) async fn outgoing(&mut self, id: &str, version: i64) -> Result<Option<Vec<u8>>, ApiError> {
        let Some(mut stored) = docstore::load_at(self.db, self.cache, id, version).await.map_err(ApiError::internal)?
        else {
            return Ok(None);
        };
        let mut state = self.state_of(id);
        let heads = stored.doc.get_heads();
        // The state is its shared heads alone (as stored between requests), so every device at
        // the same shared heads gets the same offer: generated once (`cache::OfferCache`).
        let key = OfferKey::new(id, &heads, &state.shared_heads);
        let offer = match self.cache.offers.get(&key) {
            Some(offer) => offer,
            None => {
                state.set_read_only(server_owned(&stored.kind));
                prepare_state(&mut state);
                prepare_first_offer(&mut state);
                let msg = stored.doc.sync().generate_sync_message(&mut state);
                // The offer brings the device to the server's heads: shared from now (no
                // acknowledgement round; docs/sync-protocol.md, "One request").
                let delivered = msg.as_ref().is_some_and(|m| assume_delivered(&mut state, m, &heads));
                let offer = Offer { msg: msg.map(Message::encode), delivered };
                self.cache.offers.put(key, offer.clone());
                offer
            }
        };
        if offer.delivered {
            let mut shared = heads;
            shared.sort();
            state.shared_heads = shared;
        }
        // The note keeps the state it replaces in this request's batch.
        self.note_state(&mut stored, &state);
        self.cache.put(stored);
        Ok(offer.msg)
    }

    /// Saves a changed document with its sync state and whatever else is pending: one write,
    /// carrying the record's scope facts (`crate::scope_facts`).
    pub(super) async fn save_with_state(
        &mut self,
        stored: &mut StoredDoc,
        state: &State,
        facts: crate::scope_facts::RecordFacts,
    ) -> Result<(), DocStoreError> {
        let Some((doc, written)) = stored.prepare_write() else {
            // (Only changed documents come here.) Nothing to store but the state.
            self.note_state(stored, state);
            return Ok(());
        };
        // The state as it will be once committed: the document at its next version.
        let undo = self.note_state_at(&stored.id, &stored.doc.get_heads(), stored.version + 1, state);
        self.commit_with(doc.with_facts(facts), undo).await?;
        stored.committed(written);
        Ok(())
    }

    /// Stores a new document with the device's sync state: one write, carrying the record's scope
    /// facts (its owner among them).
    pub(super) async fn insert_with_state(
        &mut self,
        id: &str,
        kind: &str,
        mut doc: AutoCommit,
        state: &State,
        facts: crate::scope_facts::RecordFacts,
    ) -> Result<StoredDoc, DocStoreError> {
        let (write, saved_bytes) = DocWrite::insert(id, &self.grant.project_id, kind, &mut doc);
        let mut stored = StoredDoc::inserted(id, &self.grant.project_id, kind, doc, saved_bytes);
        let undo = self.note_state_at(id, &stored.doc.get_heads(), stored.version, state);
        self.commit_with(write.with_facts(facts), undo).await?;
        Ok(stored)
    }

    /// Commits `doc` with what is pending. When it does not land, the state noted last is taken
    /// back (it must never claim heads that were not stored).
    pub(super) async fn commit_with(&mut self, doc: DocWrite, undo: Undo) -> Result<(), DocStoreError> {
        let refused = doc.refused();
        match self.commits.write(self.pending_write(Some(doc))).await {
            Ok(Some(generation)) => {
                self.written(generation);
                Ok(())
            }
            Ok(None) => {
                self.undo(undo);
                Err(refused)
            }
            Err(e) => {
                self.undo(undo);
                self.coherent = false; // a failed commit may or may not have landed
                if let crate::commit::GroupCommitError::Busy { limit } = e {
                    self.busy = Some(limit);
                }
                Err(e.into())
            }
        }
    }
}

/// What `note_state_at` changed, to take it back.
pub(super) struct Undo {
    id: String,
    previous: Option<DocState>,
    manifest: Digest,
    manifest_pending: bool,
    was_pending: bool,
}

/// A row of `sync_states`: one document's state for the device.
#[derive(sqlx::FromRow)]
struct SyncStateRow {
    doc_id: String,
    state: Vec<u8>,
    seen_version: i64,
}

impl SyncStateRow {
    fn entry(self) -> (String, DocState) {
        (self.doc_id, DocState { state: self.state, seen_version: self.seen_version })
    }
}

/// A row of a listing (`SyncSession::list_changed`, a scope's superset): a document, its change
/// sequence, the version the device has seen (NULL: not held, or not read), its kind and facts.
#[derive(sqlx::FromRow)]
pub(super) struct ListingRow {
    id: String,
    version: i64,
    change_seq: i64,
    seen: Option<i64>,
    kind: String,
    scope_site: Option<String>,
    scope_date: Option<String>,
    scope_owner: Option<String>,
    scope_open: i64,
    scope_assignee: Option<String>,
}

impl ListingRow {
    pub(super) fn into_parts(self) -> (String, i64, ListedFacts) {
        let facts = ListedFacts {
            kind: self.kind,
            site: self.scope_site,
            date: self.scope_date,
            owner: self.scope_owner,
            open: self.scope_open != 0,
            assignee: self.scope_assignee,
        };
        (self.id, self.version, facts)
    }
}

//! One document a device sent (`SyncSession::incoming`): the message measured, merged into the
//! stored document, the result checked as a record of the device's project (`check_record`), and
//! stored with the device's state; or, for another project's document, answered as if unknown.

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use record_schema::record::Reading;
use record_schema::wire::prepare_state;
use record_schema::{Record, ValidationContext};

use super::session::SyncSession;
use super::{DocError, doc_error, server_owned};
use crate::db::TokenGrant;
use crate::docstore::{self, DocStoreError};

/// What became of one document the device sent: maybe a reply, maybe an error, maybe both (a phone's
/// change to a server-owned document is refused, yet the server's own news still goes back).
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) reply: Option<Vec<u8>>,
    pub(super) error: Option<DocError>,
}

impl Outcome {
    pub(super) fn error(e: DocError) -> Self {
        Outcome { reply: None, error: Some(e) }
    }
}

impl SyncSession<'_> {
    /// Applies one device message to document `id`. The merged document must still be a record of
    /// the device's project; otherwise nothing is stored and the error names the document.
    pub(super) async fn incoming(
        &mut self,
        id: &str,
        bytes: &[u8],
        unseen: &std::collections::HashMap<&str, i64>,
    ) -> Outcome {
        let message = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                return Outcome::error(doc_error(id, "bad_message", format!("not an Automerge sync message: {e}")));
            }
        };
        // What the changes would expand to, told from their bytes: a few KB of run-length-encoded
        // or compressed columns must not cost the merge gigabytes (the merged document's own
        // bounds are checked after, in `check_record`).
        if let Err(e) = record_schema::expansion::measure(message.changes.iter()) {
            return Outcome::error(schema_error(id, e));
        }
        let mut version = self.known_version(id, unseen);
        for _attempt in 0..3 {
            match self.try_incoming(id, message.clone(), version).await {
                // Another process wrote: look the version up afresh.
                Err(Retry) => version = None,
                Ok(outcome) => return outcome,
            }
        }
        Outcome::error(doc_error(id, "busy", "the document kept changing on the server; retry"))
    }

    pub(super) async fn try_incoming(
        &mut self,
        id: &str,
        message: Message,
        version: Option<i64>,
    ) -> Result<Outcome, Retry> {
        let internal = |e: &DocStoreError| {
            // A full commit queue is no fault: the request answers 503 (`SyncSession::busy`).
            if !matches!(e, DocStoreError::Busy { .. }) {
                tracing::error!(doc = id, error = %e, "sync failed");
            }
            Outcome::error(doc_error(id, "internal", "the server could not process this document; retry later"))
        };
        let loaded = match version {
            Some(v) => docstore::load_at(self.db, self.cache, id, v).await,
            None => docstore::load_hot(self.db, self.cache, id).await,
        };
        let existing = match loaded {
            Ok(d) => d,
            Err(e) => return Ok(internal(&e)),
        };
        let existing = match existing {
            Some(s) if s.project_id != self.grant.project_id => {
                self.cache.put(s);
                return Ok(self.as_if_unknown(id, message));
            }
            other => other,
        };
        let mut state = self.state_of(id);
        let read_only = existing.as_ref().is_some_and(|s| server_owned(&s.kind));
        state.set_read_only(read_only);
        // Work on the document out of the cache: it goes back only if saved or unchanged, so a
        // refused change never lingers in memory.
        let (mut stored, mut doc) = match existing {
            Some(mut s) => {
                let doc = std::mem::take(&mut s.doc);
                (Some(s), doc)
            }
            None => (None, AutoCommit::new()),
        };
        let heads_before = doc.get_heads();
        // The record as read at these heads, if it was: the merged one is then read incrementally.
        let mut reading =
            stored.as_mut().and_then(|s| s.reading.take()).filter(|r| r.heads() == heads_before.as_slice());
        if let Some(r) = &reading {
            r.watch(&mut doc);
        }
        let message_heads = message.heads.clone();
        if let Err(e) = doc.sync().receive_sync_message(&mut state, message) {
            return Ok(Outcome::error(doc_error(id, "bad_message", format!("the sync message does not apply: {e}"))));
        }
        let refused = read_only && message_heads.iter().any(|h| doc.get_change_by_hash(h).is_none());
        let changed = doc.get_heads() != heads_before;
        let record = if changed {
            let categories = match self.categories_for(&doc).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(doc = id, error = %e, "sync failed reading the project's expense categories");
                    return Ok(Outcome::error(doc_error(
                        id,
                        "internal",
                        "the server could not process this document; retry later",
                    )));
                }
            };
            let checked = match check_record(&mut doc, id, self.grant, reading.take(), &categories) {
                Ok(r) => r,
                Err(e) => return Ok(Outcome::error(e)),
            };
            // Roster ids are checked as the phone checks them, against the roster published to it;
            // read only for records that name one (most sheets do not).
            if checked.0.names_roster_ids() {
                let roster = match self.roster().await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(doc = id, error = %e, "sync failed reading the project's roster");
                        return Ok(Outcome::error(doc_error(
                            id,
                            "internal",
                            "the server could not process this document; retry later",
                        )));
                    }
                };
                let ctx = ValidationContext::new(chrono::Utc::now(), None).with_roster(&roster);
                if let Err(e) = checked.0.check_worker_ids(&ctx) {
                    return Ok(Outcome::error(invalid(id, &e)));
                }
            }
            Some(checked)
        } else {
            None
        };
        // A changed document is written with the device's state (and any pending ones) in one
        // transaction: one commit per document.
        // The record's scope facts as this write leaves it, set in its transaction (issue 25).
        let facts = record.as_ref().map(|(r, _)| {
            crate::scope_facts::RecordFacts::after_sync(
                r,
                &doc,
                stored.is_none().then_some(self.grant.device_id.as_str()),
            )
        });
        let mut stored = match (stored.take(), record, facts) {
            (Some(mut s), Some((_, read)), Some(facts)) => {
                s.doc = doc;
                s.reading = Some(read);
                match self.save_with_state(&mut s, &state, facts).await {
                    Ok(()) => {
                        documents_changed(&self.grant.project_id);
                        s
                    }
                    Err(DocStoreError::VersionConflict { .. }) => return Err(Retry), // another process wrote: merge again
                    Err(e) => return Ok(internal(&e)),
                }
            }
            (Some(mut s), _, _) => {
                doc.reset_diff_cursor();
                s.doc = doc;
                s.reading = reading; // the heads it was read at are still the document's
                s
            }
            (None, Some((record, read)), Some(facts)) => {
                match self.insert_with_state(id, record.kind().as_str(), doc, &state, facts).await {
                    Ok(mut s) => {
                        s.reading = Some(read);
                        documents_changed(&self.grant.project_id);
                        s
                    }
                    Err(DocStoreError::AlreadyExists { .. }) => return Err(Retry),
                    Err(e) => return Ok(internal(&e)),
                }
            }
            // The device asked about a document the server does not have (yet): nothing to store.
            (None, _, _) => {
                return Ok(Outcome {
                    reply: doc.sync().generate_sync_message(&mut state).map(Message::encode),
                    error: None,
                });
            }
        };
        prepare_state(&mut state);
        let reply = stored.doc.sync().generate_sync_message(&mut state);
        // The reply brings the device to the server's heads: shared from now (no acknowledgement
        // round). The state is written at the end of the request, if it changed.
        if let Some(m) = &reply {
            record_schema::wire::assume_delivered(&mut state, m, &stored.doc.get_heads());
        }
        let reply = reply.map(Message::encode);
        self.note_state(&mut stored, &state);
        self.cache.put(stored);
        let error = refused.then(|| {
            doc_error(
                id,
                "server_owned",
                "this document is written by the server only; your changes to it were not applied",
            )
        });
        Ok(Outcome { reply, error })
    }

    /// The answer to a message about another project's document: what the same message about an
    /// id nobody holds gets (no existence oracle). A question is answered from an empty document;
    /// changes are checked as a new record would be, so a record that is invalid, or of another
    /// project, gets the same error. Only a valid record of the device's own project under a
    /// taken id is told apart (`id_taken`): ids are global, and the phone must pick another; that
    /// says no more than that a UUID the device already knows is in use. Nothing is stored.
    /// The project's expense categories when `doc` is an expense (read once per request); else none
    /// are needed.
    async fn categories_for(
        &mut self,
        doc: &AutoCommit,
    ) -> Result<Vec<record_schema::ExpenseCategory>, crate::ledger::LedgerError> {
        if record_schema::doc::read_kind(doc).ok() != Some(record_schema::RecordKind::Expense) {
            return Ok(Vec::new());
        }
        if self.categories.is_none() {
            let read = crate::ledger::expense_categories(self.db, self.cache, &self.grant.project_id).await?;
            self.categories = Some(read);
        }
        Ok(self.categories.clone().unwrap_or_default())
    }

    /// The project's published roster (read once per request).
    async fn roster(&mut self) -> Result<Vec<record_schema::RosterWorker>, crate::ledger::LedgerError> {
        if self.roster.is_none() {
            let read = crate::ledger::pending::published_roster(self.db, self.cache, &self.grant.project_id).await?;
            self.roster = Some(read);
        }
        Ok(self.roster.clone().unwrap_or_default())
    }

    pub(super) fn as_if_unknown(&self, id: &str, message: Message) -> Outcome {
        let mut doc = AutoCommit::new();
        let mut state = State::new();
        if let Err(e) = doc.sync().receive_sync_message(&mut state, message) {
            return Outcome::error(doc_error(id, "bad_message", format!("the sync message does not apply: {e}")));
        }
        if doc.get_heads().is_empty() {
            return Outcome { reply: doc.sync().generate_sync_message(&mut state).map(Message::encode), error: None };
        }
        // Refused whatever it holds, so its expense categories need not be the project's.
        match check_record(&mut doc, id, self.grant, None, &[]) {
            Err(e) => Outcome::error(e),
            Ok(_) => {
                Outcome::error(doc_error(id, "id_taken", "this document id is in use; records need ids of their own"))
            }
        }
    }
}

/// Another server process wrote the document between our read and our write.
pub(super) struct Retry;

/// A document refused by the schema: `too_large` for a bound on its size, else `invalid`, with the
/// field named when there is one.
pub(super) fn schema_error(id: &str, e: record_schema::SchemaError) -> DocError {
    let field = match &e {
        record_schema::SchemaError::Malformed { field, .. } => Some(field.clone()),
        _ => None,
    };
    let code = if matches!(e, record_schema::SchemaError::TooLarge(_)) { "too_large" } else { "invalid" };
    DocError { field, ..doc_error(id, code, e.to_string()) }
}

/// A document a device sent must read as a record of the device's own project, with its own id.
/// `reading` (the record as read at the heads before this merge) lets only the changed crew lines
/// be read again; the record is returned with its reading at the new heads. An expense's category
/// must be one of `categories`, the project's (empty: the default list).
pub(super) fn check_record(
    doc: &mut AutoCommit,
    id: &str,
    grant: &TokenGrant,
    reading: Option<Reading>,
    categories: &[record_schema::ExpenseCategory],
) -> Result<(Record, Reading), DocError> {
    let kind = record_schema::doc::read_kind(doc).map_err(|e| doc_error(id, "invalid", e.to_string()))?;
    if server_owned(kind.as_str()) {
        return Err(doc_error(id, "server_owned", "reference data is written by the server only"));
    }
    // The ids of server-owned documents are reserved: a record may not squat on one.
    if record_schema::kind::is_server_id(id) {
        return Err(doc_error(
            id,
            "invalid",
            format!("ids starting with {} belong to the server", record_schema::kind::SERVER_ID_PREFIXES.join(" ")),
        ));
    }
    // Nothing the schema does not define, nothing beyond its bounds: checked before anything reads
    // or stores the document (a walk over what it refuses could exhaust memory or the stack).
    // Where the record was read before this merge (and checked then), only what the merge changed
    // is checked, from the same patches the reread uses; otherwise all of it.
    let patches = Record::take_patches(doc, reading.as_ref());
    match &patches {
        Some(p) => record_schema::shape::check_patched(doc, kind, p),
        None => record_schema::shape::check(doc, kind),
    }
    .map_err(|e| schema_error(id, e))?;
    let (record, reading) = Record::reread_with(doc, reading, patches).map_err(|e| schema_error(id, e))?;
    let h = record.header();
    if h.id != id {
        return Err(doc_error(id, "invalid", format!("the document says it is {:?}", h.id)));
    }
    if h.project_id != grant.project_id {
        return Err(doc_error(id, "forbidden", "the record belongs to another project"));
    }
    // The same rules the phone applies before saving; a phone that skipped them (or another
    // Automerge client) is refused here. Cost codes, activities and sites are checked against the
    // reference data when a supervisor approves (the queue flags them before); expense categories
    // here, since a phone's list comes from the same reference data.
    let ctx = ValidationContext::new(chrono::Utc::now(), None).with_expense_categories(categories);
    record.validate(&ctx).map_err(|e| invalid(id, &e))?;
    Ok((record, reading))
}

/// A record that breaks a rule: `invalid`, with the field named.
fn invalid(id: &str, e: &record_schema::ValidationError) -> DocError {
    DocError { field: Some(e.field.clone()), ..doc_error(id, "invalid", format!("{}: {}", e.field, e.reason)) }
}

/// Tells the background tasks that follow documents that `project`'s moved (after the write
/// committed): record events for webhooks and daily reports. Each only notes it and wakes.
fn documents_changed(project: &str) {
    crate::webhooks::records::wake(project);
    crate::daily_reports::worker::wake();
}

//! The write path every local change takes: `Store::edit` validates the changed record whole and
//! applies its document operation, `persist` appends the change and rewrites the record's index row
//! (and a photo's rows) in one transaction.

use std::sync::LazyLock;

use automerge::AutoCommit;
use chrono::Utc;
use record_schema::conflicts::find_conflicts;
use record_schema::now_ms;
use record_schema::{Record, SchemaError, ValidationContext};

use super::documents::{self, Save, Written};
use super::index::{self, IndexRow};
use super::photos::PhotoRow;
use super::{Hot, Store, view};
use crate::error::{Error, Result};

pub(super) type DocOp = Box<dyn FnOnce(&mut AutoCommit) -> Result<(), SchemaError> + Send>;

impl Store {
    /// The core of every edit: `change` mutates a copy of the current record (checking its input
    /// against the validation context) and returns the document operation, a summary of it for the
    /// change history ("update line 2") and what the caller wants back; the resulting record is
    /// validated whole, written as one Automerge change carrying the time and
    /// `record_schema::change_note` message (summary, this phone's user, this device), indexed
    /// (with an optional photo row) and committed. On any error the document and the database are
    /// left as they were.
    pub(super) async fn edit<F, T>(&self, id: &str, photo: Option<&PhotoRow>, change: F) -> Result<T>
    where
        F: FnOnce(&mut Record, &ValidationContext<'_>) -> Result<(DocOp, String, T)>,
    {
        let mut hot = self.hot.lock().await;
        let mut next = {
            let hd = self.checkout(&mut hot, id).await?;
            view(hd, id)?.clone()
        };
        if next.header().voided.is_some() {
            return Err(Error::Voided { id: id.to_string() });
        }
        let reference = self.reference(&mut hot, &next.header().project_id).await?;
        let ctx = ValidationContext::new(Utc::now(), reference.as_deref());
        let (op, summary, out) = change(&mut next, &ctx)?;
        if next.header().voided.is_none() {
            next.validate(&ctx)?;
        }
        let hd = self.checkout(&mut hot, id).await?;
        if let Err(e) = op(&mut hd.doc) {
            hd.doc.rollback();
            return Err(Error::document(id, e));
        }
        hd.doc.commit_with(self.change_options(&summary));
        self.persist(&mut hot, id, Some(next), photo.map(|row| (row, id))).await?;
        Ok(out)
    }

    /// How a change this phone makes is committed: now (Automerge keeps seconds), with a message
    /// saying what was done, by this phone's user, on this device (its actor id, shortened).
    pub(super) fn change_options(&self, summary: &str) -> automerge::transaction::CommitOptions {
        let actor = self.actor.to_hex_string();
        let device = actor.get(..12).unwrap_or(&actor);
        record_schema::change_note::options(summary, &self.author, device, now_ms())
    }

    /// Writes what changed in the hot document `id` (plus a photo row), re-indexing it, in one
    /// transaction. On failure the in-memory copy is dropped so the next read reloads what is on disk.
    pub(super) async fn persist(
        &self,
        hot: &mut Hot,
        id: &str,
        written: Option<Record>,
        photo: Option<(&PhotoRow, &str)>,
    ) -> Result<()> {
        let result = self.persist_inner(hot, id, written, photo).await;
        if result.is_err() {
            hot.docs.remove(id);
        }
        result
    }

    async fn persist_inner(
        &self,
        hot: &mut Hot,
        id: &str,
        written: Option<Record>,
        photo: Option<(&PhotoRow, &str)>,
    ) -> Result<()> {
        let hd = hot.docs.get_mut(id).ok_or_else(|| Error::Internal(format!("{id} not loaded")))?;
        // Local edits cannot create conflicts, only settle them: walk the document only if it had some.
        // Without conflicts, the document reads exactly as the record just written.
        let record = match written {
            Some(r) if hd.conflicts == 0 => {
                debug_assert_eq!(
                    Record::read(&hd.doc).ok().as_ref(),
                    Some(&r),
                    "written view differs from the document"
                );
                r
            }
            _ => {
                hd.conflicts = find_conflicts(&hd.doc).map_err(|e| Error::document(id, e))?.len() as i64;
                Record::read(&hd.doc).map_err(|e| Error::document(id, e))?
            }
        };
        let now = now_ms();
        let index = IndexRow::of(&record);
        let heads = hd.doc.get_heads();
        let written = match (documents::pending(hd), photo) {
            // An ordinary edit: one call to SQLite's thread instead of four (see `append_indexed`).
            (Save::Change(delta), None) => {
                self.append_indexed(id, &delta, &documents::heads_bytes(&heads), &index, hd.conflicts, now).await?;
                Written::Change
            }
            (save, photo) => {
                let mut tx = self.pool.begin().await?;
                let written = documents::write(&mut tx, id, save, &heads, now).await?;
                index.upsert(&mut tx, id, hd.conflicts, now).await?;
                if let Some((row, record_id)) = photo {
                    row.insert(&mut tx, record_id, now).await?;
                }
                tx.commit().await?;
                written
            }
        };
        documents::committed(hd, written);
        hd.view = Some(record);
        Ok(())
    }

    /// Appends a change, sets the document's heads (`heads_bytes`) and rewrites the record's index
    /// row in one transaction, sent to SQLite's worker thread as one call: each statement sqlx sends
    /// is a round trip between threads, and the five of `BEGIN`, three writes and `COMMIT` cost more
    /// than the writes themselves.
    async fn append_indexed(
        &self,
        id: &str,
        delta: &[u8],
        heads: &[u8],
        index: &IndexRow,
        conflicts: i64,
        now: i64,
    ) -> Result<()> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "BEGIN IMMEDIATE; {}; {}; {}; COMMIT",
                documents::APPEND_CHANGE,
                documents::SET_HEADS,
                index::UPSERT
            )
        });
        let mut conn = self.pool.acquire().await?;
        let query = sqlx::query(sqlx::AssertSqlSafe(SQL.as_str())).bind(id).bind(delta).bind(heads).bind(id);
        let result = index.bind(query, id, conflicts, now).execute(&mut *conn).await;
        if let Err(e) = result {
            // The call stopped at the failing statement, possibly inside the transaction: undo
            // it (an error here only means no transaction was open).
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            return Err(e.into());
        }
        Ok(())
    }
}

//! A sync's write, as data for the shared commit (`crate::commit`): at most one document's change
//! together with the device's sync-state changes, all or nothing.

use crate::commit::{BoxFuture, Write};
use crate::db::{on_tx, Tx};
use crate::docstore::DocWrite;
use crate::now_ms;

#[derive(Debug)]
pub struct SyncWrite {
    /// The document change this write carries, if any; the states are written only if it applies.
    pub doc: Option<DocWrite>,
    pub device: String,
    /// Forget every stored state of the device first.
    pub reset: bool,
    pub deleted: Vec<String>,
    /// (document, `State::encode()`, seen version).
    pub upserts: Vec<(String, Vec<u8>, i64)>,
    /// The device's manifest digest after this write (None: all zeros).
    pub manifest: Option<Vec<u8>>,
}

impl Write for SyncWrite {
    /// The device's new sync generation; None when the document change did not apply (another
    /// writer got there first, or the id is taken), and then nothing was written.
    type Output = Option<i64>;

    fn run<'a>(&'a self, tx: &'a mut Tx) -> BoxFuture<'a, Result<Option<i64>, sqlx::Error>> {
        Box::pin(async move {
            if let Some(DocWrite::Append { id, expected, delta }) = &self.doc
                && let [(state_doc, state, seen)] = self.upserts.as_slice()
                && state_doc == id
                && !self.reset
                && self.deleted.is_empty()
            {
                return self.append_with_state(tx, id, *expected, delta, state, *seen).await;
            }
            if let Some(doc) = &self.doc
                && !doc.run(tx).await?
            {
                return Ok(None);
            }
            self.write_states(tx).await.map(Some)
        })
    }
}

/// Rows per multi-row upsert of sync states (3 parameters each, well under both backends' limits).
const UPSERT_ROWS: usize = 200;

/// `INSERT … VALUES ($1, $2, $3, $4), ($1, $5, $6, $7), … ON CONFLICT … DO UPDATE` for `rows` states
/// of device `$1` (placeholders only: the values are bound).
fn upsert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows).map(|i| format!("($1, ${}, ${}, ${})", 3 * i + 2, 3 * i + 3, 3 * i + 4)).collect();
    format!(
        "INSERT INTO sync_states (device_id, doc_id, state, seen_version) VALUES {} \
         ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version",
        values.join(", ")
    )
}

impl SyncWrite {
    /// The states alone, then the device's manifest and generation.
    async fn write_states(&self, tx: &mut Tx) -> Result<i64, sqlx::Error> {
        let device = self.device.as_str();
        Ok(on_tx!(tx, |c| {
            if self.reset {
                sqlx::query("DELETE FROM sync_states WHERE device_id = $1").bind(device).execute(&mut *c).await?;
            }
            for id in &self.deleted {
                sqlx::query("DELETE FROM sync_states WHERE device_id = $1 AND doc_id = $2")
                    .bind(device)
                    .bind(id)
                    .execute(&mut *c)
                    .await?;
            }
            // Many rows per statement: a sync that hands a phone its project peers' documents
            // stores a state for each, and every statement is a round trip.
            for chunk in self.upserts.chunks(UPSERT_ROWS) {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(upsert_sql(chunk.len()))).bind(device);
                for (id, state, seen) in chunk {
                    q = q.bind(id).bind(state).bind(seen);
                }
                q.execute(&mut *c).await?;
            }
            sqlx::query_scalar("UPDATE devices SET manifest = $1, sync_gen = sync_gen + 1 WHERE id = $2 RETURNING sync_gen")
                .bind(&self.manifest)
                .bind(device)
                .fetch_one(&mut *c)
                .await?
        }))
    }

    /// The common write of an edit sync in one statement (PostgreSQL) or one call (SQLite): the
    /// change appended, the device's state for the document, its manifest and generation; each
    /// part only if the document was still at `expected`, so a stale write changes nothing.
    async fn append_with_state(
        &self,
        tx: &mut Tx,
        id: &str,
        expected: i64,
        delta: &[u8],
        state: &[u8],
        seen: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        // Both statements take the same parameters in the same order.
        let sql = match tx {
            Tx::Postgres(_) => APPEND_WITH_STATE_POSTGRES,
            Tx::Sqlite(_) => APPEND_WITH_STATE_SQLITE,
        };
        Ok(on_tx!(tx, |c| sqlx::query_scalar(sql)
            .bind(now_ms())
            .bind(id)
            .bind(expected)
            .bind(delta)
            .bind(&self.device)
            .bind(state)
            .bind(seen)
            .bind(&self.manifest)
            .fetch_optional(&mut *c)
            .await?))
    }
}

/// One statement: a data-modifying `WITH`, each part only if the document row was updated.
const APPEND_WITH_STATE_POSTGRES: &str = "\
    WITH d AS (UPDATE documents SET version = version + 1, pending_count = pending_count + 1, updated_at_ms = $1 \
               WHERE id = $2 AND version = $3 RETURNING id), \
         c AS (INSERT INTO document_changes (doc_id, data) SELECT id, $4 FROM d), \
         s AS (INSERT INTO sync_states (device_id, doc_id, state, seen_version) SELECT $5, id, $6, $7 FROM d \
               ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version) \
    UPDATE devices SET manifest = $8, sync_gen = sync_gen + 1 WHERE id = $5 AND EXISTS (SELECT 1 FROM d) RETURNING sync_gen";

/// One call of four statements; changes() is the rows changed by the statement before, so a stale
/// version writes nothing.
const APPEND_WITH_STATE_SQLITE: &str = "\
    UPDATE documents SET version = version + 1, pending_count = pending_count + 1, updated_at_ms = $1 \
    WHERE id = $2 AND version = $3; \
    INSERT INTO document_changes (doc_id, data) SELECT $2, $4 WHERE changes() = 1; \
    INSERT INTO sync_states (device_id, doc_id, state, seen_version) SELECT $5, $2, $6, $7 WHERE changes() = 1 \
    ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version; \
    UPDATE devices SET manifest = $8, sync_gen = sync_gen + 1 WHERE id = $5 AND changes() = 1 RETURNING sync_gen";

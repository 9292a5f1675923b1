//! A sync's write, as data for the shared commit (`crate::commit`): at most one document's change
//! together with the device's sync-state changes, manifest, unconfirmed batch and change cursor,
//! all or nothing.

use crate::commit::{BoxFuture, Write};
use crate::db::{Conn, Tx, on_tx};
use crate::docstore::{DocStoreError, DocWrite};
use crate::error::ApiError;
use crate::scope_facts::{RecordFacts, scope_open_sql};
use record_schema::now_ms;

/// The answer to a sync whose write found the commit queue full: 503 naming the limit (the router
/// adds `Retry-After` to every 503). Nothing of the refused write was stored; the phone syncs again.
pub(super) fn busy(limit: usize) -> ApiError {
    ApiError::busy(
        None,
        format!(
            "the server is busy: {limit} sync writes already wait for the database (the limit, \
             --commit-queue / FIELDLEDGER_COMMIT_QUEUE); sync again after Retry-After"
        ),
    )
}

/// A sync's failed write as the request's answer: 503 when the commit queue was full, else 500.
pub(super) fn failed(e: DocStoreError) -> ApiError {
    match e {
        DocStoreError::Busy { limit } => busy(limit),
        e => ApiError::internal(e),
    }
}

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
    /// `devices.unconfirmed` after this write (always written; None clears it).
    pub unconfirmed: Option<Vec<u8>>,
    /// `devices.sync_cursor` after this write (None: unchanged).
    pub cursor: Option<i64>,
    /// `devices.scope_fp` after this write (None: unchanged): the device's scope changed (helper B,
    /// sync scopes; such a write is not an `Append`, so only `write_states` stores it).
    pub scope_fp: Option<Vec<u8>>,
}

impl Write for SyncWrite {
    /// The device's new sync generation; None when the document change did not apply (another
    /// writer got there first, or the id is taken), and then nothing was written.
    type Output = Option<i64>;

    fn run<'a>(&'a self, tx: &'a mut Tx<'_>) -> BoxFuture<'a, Result<Option<i64>, sqlx::Error>> {
        Box::pin(async move {
            if let Some(a) = self.as_append() {
                return self.append_with_state(tx, &a).await;
            }
            if let Some(doc) = &self.doc
                && !doc.run(tx).await?
            {
                return Ok(None);
            }
            self.write_states(tx).await.map(Some)
        })
    }

    /// The projects of the documents the writes change, locked first in project order
    /// (`docstore::lock_projects`): each write would take its own as it comes.
    fn before_shared<'a>(tx: &'a mut Tx<'_>, writes: &'a [&'a Self]) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let targets: Vec<(&str, Option<&str>)> =
                writes.iter().filter_map(|w| w.doc.as_ref()).map(DocWrite::target).collect();
            if targets.is_empty() {
                return Ok(());
            }
            let docs: Vec<&str> = targets.iter().map(|(id, _)| *id).collect();
            let projects: Vec<&str> = targets.iter().filter_map(|(_, p)| *p).collect();
            crate::docstore::lock_projects(tx, &docs, &projects).await
        })
    }

    /// Edit syncs' usual writes (see `Append`), however many, as one call: one SQLite call of
    /// `BEGIN IMMEDIATE`, four or five statements per write and `COMMIT`; one PostgreSQL statement
    /// over arrays when the writes touch distinct documents and devices (else they run one by one).
    fn run_together<'a>(
        conn: &'a mut Conn,
        writes: &'a [&'a Self],
    ) -> Option<BoxFuture<'a, Result<Vec<Option<i64>>, sqlx::Error>>> {
        let appends: Vec<Append<'a>> = writes.iter().map(|w| w.as_append()).collect::<Option<_>>()?;
        match conn {
            Conn::Sqlite(c) => Some(Box::pin(appends_on_sqlite(c, appends))),
            Conn::Postgres(c) => {
                let distinct = |key: fn(&Append<'a>) -> &'a str| {
                    appends.iter().map(key).collect::<std::collections::HashSet<_>>().len() == appends.len()
                };
                // (One statement updates a row once: two writes of one document or device need two.)
                (distinct(|a| a.id) && distinct(|a| a.device))
                    .then(|| Box::pin(appends_on_postgres(c, appends)) as BoxFuture<'a, _>)
            }
        }
    }
}

/// Most states of other documents an `Append` carries (the optimistic notes of documents offered
/// in the same request): bounds one call's parameters (64 writes × (12 + 3 × 64) stays well under
/// SQLite's 32,766). A write with more runs on its own.
const MAX_OTHER_STATES: usize = 64;

/// The usual write of an edit sync: a change appended to a document read at version `expected`,
/// with the device's state for that document, states of other documents (`others`), its manifest,
/// unconfirmed batch, cursor and generation; each part only if the document was still at
/// `expected`, so a stale write changes nothing (and returns no generation).
#[derive(Clone, Copy)]
struct Append<'a> {
    id: &'a str,
    expected: i64,
    delta: &'a [u8],
    device: &'a str,
    state: &'a [u8],
    seen: i64,
    manifest: Option<&'a [u8]>,
    unconfirmed: Option<&'a [u8]>,
    cursor: Option<i64>,
    /// The write's upserts; `own` is the index of the document's own state among them.
    upserts: &'a [(String, Vec<u8>, i64)],
    own: usize,
    /// The record's scope facts after the change (`crate::scope_facts`), set on its row and its
    /// companions' in the same call or statement.
    facts: Option<&'a RecordFacts>,
}

/// One upsert of a sync state: (document, `State::encode()`, seen version).
type StateRow = (String, Vec<u8>, i64);

impl<'a> Append<'a> {
    /// The states of other documents.
    fn others(&self) -> impl Iterator<Item = &'a StateRow> + use<'a> {
        let own = self.own;
        self.upserts.iter().enumerate().filter(move |(k, _)| *k != own).map(|(_, u)| u)
    }

    fn other_count(&self) -> usize {
        self.upserts.len() - 1
    }
}

impl SyncWrite {
    fn as_append(&self) -> Option<Append<'_>> {
        let Some(DocWrite::Append { id, expected, delta, facts }) = &self.doc else { return None };
        if self.reset
            || !self.deleted.is_empty()
            || self.upserts.len() > MAX_OTHER_STATES + 1
            || self.scope_fp.is_some()
        {
            return None;
        }
        let own = self.upserts.iter().position(|(doc, _, _)| doc == id)?;
        let (_, state, seen) = &self.upserts[own];
        Some(Append {
            id,
            expected: *expected,
            delta,
            device: &self.device,
            state,
            seen: *seen,
            manifest: self.manifest.as_deref(),
            unconfirmed: self.unconfirmed.as_deref(),
            cursor: self.cursor,
            upserts: &self.upserts,
            own,
            facts: facts.as_ref(),
        })
    }

    /// The cursor this write stores (None: unchanged): a reset device starts over at 0.
    fn cursor_after(&self) -> Option<i64> {
        if self.reset { Some(0) } else { self.cursor }
    }
}

/// Parameters of one append besides its other states (see `sqlite_append_sql`).
const APPEND_PARAMS: usize = 12;

/// SQLite statements of the `n`th append of a call (0-based) with `others` states of other
/// documents, its parameters numbered from `$first`: twelve of its own, then three per other state
/// (`$1` is the time). The device's statement returns `n` (as `i`) and the device's new generation
/// (`Applied`); with `facts`, a last statement sets the record's scope facts if the append applied.
fn sqlite_append_sql(n: usize, first: usize, others: usize, facts: bool) -> String {
    let p = |k: usize| format!("${}", first + k);
    let (id, expected, delta, device, state, seen) = (p(0), p(1), p(2), p(3), p(4), p(5));
    let (manifest, unconfirmed, cursor) = (p(6), p(7), p(8));
    let (site, day, open) = (p(9), p(10), p(11));
    // changes() is the rows changed by the statement before (not counting triggers'): each part
    // only if the one before applied. The other states' upsert changes exactly one row each.
    let mut sql = format!(
        "UPDATE documents SET version = version + 1, pending_count = pending_count + 1, updated_at_ms = $1 \
         WHERE id = {id} AND version = {expected}; \
         INSERT INTO document_changes (doc_id, data) SELECT {id}, {delta} WHERE changes() = 1; \
         INSERT INTO sync_states (device_id, doc_id, state, seen_version) SELECT {device}, {id}, {state}, {seen} WHERE changes() = 1 \
         ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version; "
    );
    if others > 0 {
        let rows: Vec<String> = (0..others)
            .map(|k| {
                format!(
                    "({}, {}, {})",
                    p(APPEND_PARAMS + 3 * k),
                    p(APPEND_PARAMS + 3 * k + 1),
                    p(APPEND_PARAMS + 3 * k + 2)
                )
            })
            .collect();
        sql.push_str(&format!(
            "INSERT INTO sync_states (device_id, doc_id, state, seen_version) \
             SELECT {device}, column1, column2, column3 FROM (VALUES {}) WHERE changes() = 1 \
             ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version; ",
            rows.join(", ")
        ));
    }
    let changed = if others > 0 { others } else { 1 };
    sql.push_str(&format!(
        "UPDATE devices SET manifest = {manifest}, unconfirmed = {unconfirmed}, sync_cursor = COALESCE({cursor}, sync_cursor), \
         sync_gen = sync_gen + 1 WHERE id = {device} AND changes() = {changed} RETURNING {n} AS i, sync_gen;"
    ));
    if facts {
        // changes() = 1: the device's row was updated, so the append applied. (A trigger's changes
        // do not count, and the next append's first statement does not look at changes().)
        sql.push_str(&format!(
            "UPDATE documents SET scope_site = {site}, scope_date = {day}, scope_open = {} \
             WHERE id IN ({id}, 'approval:' || {id}, 'follow_up:' || {id}) AND changes() = 1;",
            scope_open_sql!("{open}", "{id}").replace("{open}", &open).replace("{id}", &id)
        ));
    }
    sql
}

/// Binds `a` as the parameters of its statements (see `sqlite_append_sql`).
fn bind_append<'q, O>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Sqlite, O, <sqlx::Sqlite as sqlx::Database>::Arguments>,
    a: &Append<'q>,
) -> sqlx::query::QueryAs<'q, sqlx::Sqlite, O, <sqlx::Sqlite as sqlx::Database>::Arguments> {
    q = q.bind(a.id).bind(a.expected).bind(a.delta).bind(a.device).bind(a.state).bind(a.seen).bind(a.manifest);
    q = q.bind(a.unconfirmed).bind(a.cursor);
    let f = a.facts;
    q = q.bind(f.map(|f| f.site.as_str())).bind(f.map(|f| f.date.as_str())).bind(f.map(|f| f.open.code()));
    for (doc, state, seen) in a.others() {
        q = q.bind(doc.as_str()).bind(state.as_slice()).bind(*seen);
    }
    q
}

/// A row the appends return: a write that applied (its 0-based index in the call) and the device's
/// new sync generation.
#[derive(sqlx::FromRow)]
struct Applied {
    i: i64,
    sync_gen: i64,
}

/// Outputs in write order from the rows of the writes that applied; a write without a row was stale.
fn outputs(n: usize, rows: Vec<Applied>) -> Vec<Option<i64>> {
    let mut out = vec![None; n];
    for Applied { i, sync_gen } in rows {
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            *slot = Some(sync_gen);
        }
    }
    out
}

/// The SQLite statements of `appends` as one string, without `BEGIN`/`COMMIT`.
fn sqlite_appends_sql(appends: &[Append<'_>]) -> String {
    let mut sql = String::new();
    let mut first = 2;
    for (n, a) in appends.iter().enumerate() {
        sql.push_str(&sqlite_append_sql(n, first, a.other_count(), a.facts.is_some()));
        first += APPEND_PARAMS + 3 * a.other_count();
    }
    sql
}

async fn appends_on_sqlite(
    conn: &mut sqlx::SqliteConnection,
    appends: Vec<Append<'_>>,
) -> Result<Vec<Option<i64>>, sqlx::Error> {
    let sql = format!("BEGIN IMMEDIATE; {} COMMIT;", sqlite_appends_sql(&appends));
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now_ms());
    for a in &appends {
        q = bind_append(q, a);
    }
    match q.fetch_all(&mut *conn).await {
        Ok(rows) => Ok(outputs(appends.len(), rows)),
        Err(e) => {
            // The call stopped part-way: take back what it did (an error here only means there
            // was no transaction left to roll back).
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            Err(e)
        }
    }
}

/// Edit syncs' writes as one PostgreSQL statement (a single statement commits as a whole): arrays
/// unnested into rows, each document updated only at its expected version, and the rest joined to
/// the documents that were. The projects' change counters are locked first, in project order
/// (`l`, read by `d`'s guard before it touches a document; see `DocWrite::run`); the documents'
/// trigger then takes each one's next number.
const APPENDS_POSTGRES: &str = concat!(
    "\
    WITH w AS (SELECT * FROM unnest($2::text[], $3::int8[], $4::bytea[], $5::text[], $6::bytea[], $7::int8[], $8::bytea[], \
                                    $9::bytea[], $10::int8[], $15::text[], $16::text[], $17::int8[]) \
               WITH ORDINALITY AS w (id, expected, delta, device, state, seen, manifest, unconfirmed, cursor, site, day, \
                                     open, i)), \
         x AS (SELECT * FROM unnest($11::int8[], $12::text[], $13::bytea[], $14::int8[]) AS x (i, doc, state, seen)), \
         l AS (SELECT p.project_id FROM project_change_seq p \
               WHERE p.project_id IN (SELECT doc.project_id FROM documents doc JOIN w ON doc.id = w.id) \
               ORDER BY p.project_id FOR UPDATE), \
         d AS (UPDATE documents SET version = documents.version + 1, pending_count = documents.pending_count + 1, updated_at_ms = $1, \
               scope_site = CASE WHEN w.open IS NULL THEN documents.scope_site ELSE w.site END, \
               scope_date = CASE WHEN w.open IS NULL THEN documents.scope_date ELSE w.day END, \
               scope_open = CASE WHEN w.open IS NULL THEN documents.scope_open ELSE ",
    scope_open_sql!("w.open", "w.id"),
    " END \
               FROM w WHERE documents.id = w.id AND documents.version = w.expected AND (SELECT count(*) FROM l) >= 0 RETURNING w.i), \
         f AS (UPDATE documents SET scope_site = w.site, scope_date = w.day, scope_open = ",
    scope_open_sql!("w.open", "w.id"),
    " \
               FROM w JOIN d USING (i) WHERE w.open IS NOT NULL \
               AND documents.id IN ('approval:' || w.id, 'follow_up:' || w.id)), \
         c AS (INSERT INTO document_changes (doc_id, data) SELECT w.id, w.delta FROM w JOIN d USING (i) ORDER BY w.i), \
         s AS (INSERT INTO sync_states (device_id, doc_id, state, seen_version) \
               SELECT w.device, w.id, w.state, w.seen FROM w JOIN d USING (i) \
               UNION ALL SELECT w.device, x.doc, x.state, x.seen FROM x JOIN w USING (i) JOIN d USING (i) \
               ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version) \
    UPDATE devices SET manifest = w.manifest, unconfirmed = w.unconfirmed, sync_cursor = COALESCE(w.cursor, devices.sync_cursor), \
                       sync_gen = devices.sync_gen + 1 \
    FROM w JOIN d USING (i) WHERE devices.id = w.device \
    RETURNING w.i - 1 AS i, devices.sync_gen"
);

async fn appends_on_postgres(
    conn: &mut sqlx::PgConnection,
    appends: Vec<Append<'_>>,
) -> Result<Vec<Option<i64>>, sqlx::Error> {
    // The other states, each with its write's 1-based position (`w.i`).
    let others: Vec<(i64, &StateRow)> =
        appends.iter().zip(1i64..).flat_map(|(a, i)| a.others().map(move |o| (i, o))).collect();
    let rows: Vec<Applied> = sqlx::query_as(APPENDS_POSTGRES)
        .bind(now_ms())
        .bind(appends.iter().map(|a| a.id).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.expected).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.delta).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.device).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.state).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.seen).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.manifest).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.unconfirmed).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.cursor).collect::<Vec<_>>())
        .bind(others.iter().map(|(i, _)| *i).collect::<Vec<_>>())
        .bind(others.iter().map(|(_, o)| o.0.as_str()).collect::<Vec<_>>())
        .bind(others.iter().map(|(_, o)| o.1.as_slice()).collect::<Vec<_>>())
        .bind(others.iter().map(|(_, o)| o.2).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.facts.map(|f| f.site.as_str())).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.facts.map(|f| f.date.as_str())).collect::<Vec<_>>())
        .bind(appends.iter().map(|a| a.facts.map(|f| f.open.code())).collect::<Vec<_>>())
        .fetch_all(conn)
        .await?;
    Ok(outputs(appends.len(), rows))
}

/// Rows per multi-row upsert of sync states (3 parameters each, well under both backends' limits).
const UPSERT_ROWS: usize = 200;

/// `INSERT … VALUES ($1, $2, $3, $4), ($1, $5, $6, $7), … ON CONFLICT … DO UPDATE` for `rows` states
/// of device `$1` (placeholders only: the values are bound).
fn upsert_sql(rows: usize) -> String {
    let values: Vec<String> =
        (0..rows).map(|i| format!("($1, ${}, ${}, ${})", 3 * i + 2, 3 * i + 3, 3 * i + 4)).collect();
    format!(
        "INSERT INTO sync_states (device_id, doc_id, state, seen_version) VALUES {} \
         ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version",
        values.join(", ")
    )
}

impl SyncWrite {
    /// The states alone, then the device's manifest and generation.
    async fn write_states(&self, tx: &mut Tx<'_>) -> Result<i64, sqlx::Error> {
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
            sqlx::query_scalar(
                "UPDATE devices SET manifest = $1, unconfirmed = $2, sync_cursor = COALESCE($3, sync_cursor), \
                 scope_fp = COALESCE($4, scope_fp), sync_gen = sync_gen + 1 WHERE id = $5 RETURNING sync_gen",
            )
            .bind(&self.manifest)
            .bind(&self.unconfirmed)
            .bind(self.cursor_after())
            .bind(&self.scope_fp)
            .bind(device)
            .fetch_one(&mut *c)
            .await?
        }))
    }

    /// One append (see `Append`) in `tx`: one statement on PostgreSQL, one call on SQLite.
    async fn append_with_state(&self, tx: &mut Tx<'_>, a: &Append<'_>) -> Result<Option<i64>, sqlx::Error> {
        let rows: Vec<Applied> = match tx {
            Tx::Postgres(t) => return Ok(appends_on_postgres(t, vec![*a]).await?.pop().flatten()),
            Tx::Sqlite(t) => {
                bind_append(sqlx::query_as(sqlx::AssertSqlSafe(sqlite_appends_sql(&[*a]))).bind(now_ms()), a)
                    .fetch_all(&mut **t)
                    .await?
            }
        };
        Ok(outputs(1, rows).pop().flatten())
    }
}

//! The server database: SQLite in the data folder (the embedded default) or PostgreSQL when
//! `DATABASE_URL` names one. Both are migrated at start from `migrations/server/<backend>/`.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlSafeStr, SqlitePool};

use crate::auth::Role;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("data folder {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("DATABASE_URL must start with postgres:// or postgresql:// (or be unset for SQLite in the data folder)")]
    UnsupportedUrl,
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Runs the same sqlx code against whichever pool a `Db` holds, or (`on_pool!(Conn: conn, |c| …)`)
/// whichever connection a `Conn` holds. SQL uses `$1…$n` placeholders, each once and in order, which
/// SQLite and PostgreSQL both accept.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        on_pool!(Db: $db, |$pool| $body)
    };
    ($either:ident: $value:expr, |$x:ident| $body:expr) => {
        match $value {
            $either::Sqlite($x) => $body,
            $either::Postgres($x) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs the same sqlx code on whichever transaction a `Tx` holds (see `on_pool!`); the body gets
/// the connection as `&mut`.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// Every server transaction writes, most after reading first. On SQLite a deferred transaction that
/// has read cannot take the write lock once another connection committed since its read: SQLite
/// answers "database is locked" at once, without waiting out the busy timeout (seen under load in
/// the webhook task and decisions). So each one begins `IMMEDIATE`, waiting for the write lock up
/// front (WAL readers are not blocked). `sqlx::Pool::begin` is disallowed in this crate
/// (`server/clippy.toml`); this is the one way in, for `on_pool!` bodies as for `Db::begin`.
pub trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl BeginWrite for sqlx::Pool<sqlx::Sqlite> {
    type Database = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for sqlx::Pool<sqlx::Postgres> {
    type Database = sqlx::Postgres;
    // PostgreSQL's transactions take row locks as they go: a plain BEGIN.
    #[allow(clippy::disallowed_methods)]
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// SQL (a string literal): the version of document `d` that device `$device` (an SQL expression) has
/// seen, NULL when it holds no state of it (not held). A scalar subquery, not a join: a primary-key
/// probe per document of the project whatever the planner's statistics say (as a `LEFT JOIN`,
/// PostgreSQL on a fresh database's statistics hashed the whole `sync_states` table on every sync).
macro_rules! seen_by {
    ($device:literal) => {
        concat!("(SELECT s.seen_version FROM sync_states s WHERE s.device_id = ", $device, " AND s.doc_id = d.id)")
    };
}
pub(crate) use seen_by;

/// SQL (a string literal): the columns of document `d` a listing reads besides its id, version and
/// change sequence: its kind and sync-scope facts (`ListedFacts`).
macro_rules! fact_columns {
    () => {
        "d.kind, d.scope_site, d.scope_date, d.scope_owner, d.scope_open, d.scope_assignee"
    };
}
pub(crate) use fact_columns;

/// SQL (a string literal) for a join condition: document `d` is of project `$project` and was
/// written after change sequence `$cursor` (SQL expressions). An index range
/// (`documents_by_change`): a device's listing costs the changes since its cursor, not the
/// project's documents.
macro_rules! changed_since {
    ($project:literal, $cursor:literal) => {
        concat!("d.project_id = ", $project, " AND d.change_seq > ", $cursor)
    };
}
pub(crate) use changed_since;

/// An open transaction on either backend, so one request's writes can share one commit.
#[derive(Debug)]
pub enum Tx<'c> {
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

impl<'c> From<sqlx::Transaction<'c, sqlx::Sqlite>> for Tx<'c> {
    fn from(t: sqlx::Transaction<'c, sqlx::Sqlite>) -> Self {
        Tx::Sqlite(t)
    }
}

impl<'c> From<sqlx::Transaction<'c, sqlx::Postgres>> for Tx<'c> {
    fn from(t: sqlx::Transaction<'c, sqlx::Postgres>) -> Self {
        Tx::Postgres(t)
    }
}

impl Tx<'_> {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}

/// A connection of its own, outside the pool (`crate::held`).
#[derive(Debug)]
pub enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Conn {
    /// Starts a transaction; on SQLite `BEGIN IMMEDIATE` (see `BeginWrite`).
    pub async fn begin(&mut self) -> Result<Tx<'_>, sqlx::Error> {
        use sqlx::Connection;
        Ok(match self {
            Conn::Sqlite(c) => Tx::Sqlite(c.begin_with("BEGIN IMMEDIATE").await?),
            Conn::Postgres(c) => Tx::Postgres(c.begin().await?),
        })
    }

    pub async fn ping(&mut self) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        on_pool!(Conn: self, |c| c.ping().await)
    }

    /// `find_token` plus what a sync needs first, in one statement: the device's manifest, sync
    /// generation and change cursor (so the token is checked on every request, a
    /// revoked token is refused at once, and a device's sync states kept in memory are known to be
    /// current without reading them), what its sync scope is made of (`GrantScope`), and the
    /// documents of its project written since its cursor (`changed_since!`) that it has not seen at
    /// their current version, with their scope facts.
    pub async fn find_sync_grant(&mut self, token_sha256: &str) -> Result<Option<SyncGrant>, sqlx::Error> {
        self.find_sync_grant_listing(token_sha256, true).await
    }

    /// `find_sync_grant`; with `list_at_zero` false, a device whose cursor is 0 gets no listing
    /// (`SyncGrant::listed` false): the sync lists for it once it knows how (a scoped device by its
    /// scope's indexes, docs/sync-scopes.md §3, not the project's whole history).
    pub async fn find_sync_grant_listing(
        &mut self,
        token_sha256: &str,
        list_at_zero: bool,
    ) -> Result<Option<SyncGrant>, sqlx::Error> {
        macro_rules! grant_sql {
            ($listing:literal) => {
                concat!(
                    "WITH g AS (SELECT d.id AS device_id, d.name, t.role, t.project_id, d.manifest, d.sync_gen, \
                                d.sync_cursor, d.person_id, d.scope_fp, d.scope_full, p.scope_window_days, p.scope_own_days, \
                                (SELECT z.time_zone FROM sites z WHERE z.project_id = t.project_id ORDER BY z.id LIMIT 1) \
                                AS time_zone \
                                FROM tokens t JOIN devices d ON d.id = t.device_id LEFT JOIN projects p ON p.id = t.project_id \
                                WHERE t.token_sha256 = $1 AND t.revoked_at_ms IS NULL AND d.revoked_at_ms IS NULL) \
                     SELECT g.device_id, g.name AS device_name, g.role, g.project_id, g.manifest, g.sync_gen, g.sync_cursor, \
                     g.person_id, g.scope_fp, g.scope_full, g.scope_window_days, g.scope_own_days, g.time_zone, \
                     CAST(NULL AS TEXT) AS site_id, CAST(NULL AS TEXT) AS doc_id, CAST(NULL AS BIGINT) AS version, \
                     CAST(NULL AS BIGINT) AS change_seq, CAST(NULL AS BIGINT) AS seen, CAST(NULL AS TEXT) AS kind, \
                     CAST(NULL AS TEXT) AS scope_site, CAST(NULL AS TEXT) AS scope_date, CAST(NULL AS TEXT) AS scope_owner, \
                     CAST(NULL AS BIGINT) AS scope_open, CAST(NULL AS TEXT) AS scope_assignee FROM g \
                     UNION ALL \
                     SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, m.site_id, \
                     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
                     FROM g JOIN membership_sites m ON m.person_id = g.person_id AND m.project_id = g.project_id \
                     UNION ALL \
                     SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
                     d.id, d.version, d.change_seq, ",
                    seen_by!("g.device_id"),
                    ", ",
                    fact_columns!(),
                    " FROM g JOIN documents d ON ",
                    changed_since!("g.project_id", "g.sync_cursor"),
                    $listing
                )
            };
        }
        let sql = if list_at_zero { grant_sql!("") } else { grant_sql!(" AND g.sync_cursor > 0") };
        let rows: Vec<SyncGrantRow> =
            on_pool!(Conn: self, |c| sqlx::query_as(sql).bind(token_sha256).fetch_all(&mut *c).await?);
        let mut grant = None;
        let mut sites = Vec::new();
        let mut listed = Listed::default();
        for row in rows {
            if let Some(device_id) = row.device_id {
                let role = row.role.ok_or_else(|| sqlx::Error::Decode("the token's row has no role".into()))?;
                let scope = GrantScope {
                    person_id: row.person_id,
                    stored_fp: row.scope_fp,
                    full: row.scope_full.unwrap_or_default() != 0,
                    window_days: row.scope_window_days,
                    own_days: row.scope_own_days,
                    time_zone: row.time_zone,
                    sites: Vec::new(),
                };
                grant = Some((
                    TokenGrant {
                        device_id,
                        device_name: row.device_name.unwrap_or_default(),
                        role,
                        project_id: row.project_id.unwrap_or_default(),
                    },
                    row.manifest,
                    row.sync_gen.unwrap_or_default(),
                    row.sync_cursor.unwrap_or_default(),
                    scope,
                ));
            } else if let Some(site) = row.site_id {
                sites.push(site);
            } else if let (Some(id), Some(version), Some(seq)) = (row.doc_id, row.version, row.change_seq) {
                let facts = ListedFacts {
                    kind: row.kind.unwrap_or_default(),
                    site: row.scope_site,
                    date: row.scope_date,
                    owner: row.scope_owner,
                    open: row.scope_open.is_none_or(|o| o != 0),
                    assignee: row.scope_assignee,
                };
                listed.add(id, version, seq, row.seen.unwrap_or(0) < version, facts);
            }
        }
        Ok(grant.map(|(grant, manifest, sync_gen, cursor, mut scope)| {
            sites.sort();
            scope.sites = sites;
            let (unseen, unseen_facts, listed_max_seq) = listed.finish(cursor);
            let listed = list_at_zero || cursor > 0;
            SyncGrant { grant, manifest, sync_gen, unseen, unseen_facts, cursor, listed_max_seq, listed, scope }
        }))
    }
}

/// The documents a device's listing read (those written since its cursor): the unseen ones with
/// their scope facts, and the highest change sequence among all of them.
#[derive(Default)]
pub(crate) struct Listed {
    unseen: Vec<(String, i64, ListedFacts)>,
    max_seq: Option<i64>,
}

impl Listed {
    /// A document written since the cursor, at `version` and change sequence `seq`; `unseen` when
    /// the device has not seen it at that version.
    pub fn add(&mut self, id: String, version: i64, seq: i64, unseen: bool, facts: ListedFacts) {
        self.max_seq = Some(self.max_seq.map_or(seq, |m| m.max(seq)));
        if unseen {
            self.unseen.push((id, version, facts));
        }
    }

    /// The unseen documents by id (with their facts, in the same order), and the cursor's next
    /// value once each is seen at (at least) its listed version: the highest sequence read, seen
    /// ones included (they are handled already), or `cursor` itself when nothing was written since.
    pub fn finish(mut self, cursor: i64) -> (Vec<(String, i64)>, Vec<ListedFacts>, i64) {
        self.unseen.sort_by(|a, b| a.0.cmp(&b.0));
        let max_seq = self.max_seq.map_or(cursor, |m| m.max(cursor));
        let (unseen, facts) = self.unseen.into_iter().map(|(id, v, f)| ((id, v), f)).unzip();
        (unseen, facts, max_seq)
    }
}

/// A listed document's kind and sync-scope facts (`documents.kind`, `scope_*`; docs/sync-scopes.md
/// §2), read with the listing so that a scoped device's listing decides without loading documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedFacts {
    pub kind: String,
    pub site: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    /// `scope::Holder::key` of whoever first sent it.
    pub owner: Option<String>,
    pub open: bool,
    pub assignee: Option<String>,
}

/// What a device's sync scope is made of (`sync::scope::Scope`), read with its token: its person
/// and `devices.scope_full`, the fingerprint last stored for it (`devices.scope_fp`), the project's
/// window settings (None: no `projects` row) and first site's time zone, and the person's sites
/// on the project (`membership_sites`, sorted; none: every site).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantScope {
    pub person_id: Option<String>,
    pub stored_fp: Option<Vec<u8>>,
    pub full: bool,
    pub window_days: Option<i64>,
    pub own_days: Option<i64>,
    pub time_zone: Option<String>,
    pub sites: Vec<String>,
}

/// A PostgreSQL connection idle this long is pinged before use (it may have been dropped by the
/// server or the network meanwhile).
pub const PING_IF_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// A connected, migrated database.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

fn migration(version: i64, name: &'static str, sql: &'static str) -> Migration {
    Migration::new(version, Cow::Borrowed(name), MigrationType::Simple, sql.into_sql_str(), false)
}

fn sqlite_migrations() -> Vec<Migration> {
    vec![
        migration(1, "server", include_str!("../../migrations/server/sqlite/0001_server.sql")),
        migration(2, "devices and tokens", include_str!("../../migrations/server/sqlite/0002_devices_tokens.sql")),
        migration(3, "documents", include_str!("../../migrations/server/sqlite/0003_documents.sql")),
        migration(4, "sync states", include_str!("../../migrations/server/sqlite/0004_sync_states.sql")),
        migration(5, "device manifests", include_str!("../../migrations/server/sqlite/0005_manifest.sql")),
        migration(6, "blobs", include_str!("../../migrations/server/sqlite/0006_blobs.sql")),
        migration(7, "approvals and ledgers", include_str!("../../migrations/server/sqlite/0007_ledger.sql")),
        migration(
            8,
            "reference data and report totals",
            include_str!("../../migrations/server/sqlite/0008_reference_reports.sql"),
        ),
        migration(9, "device sync generation", include_str!("../../migrations/server/sqlite/0009_sync_generation.sql")),
        migration(10, "browser sessions", include_str!("../../migrations/server/sqlite/0010_web_sessions.sql")),
        migration(11, "damaged records", include_str!("../../migrations/server/sqlite/0011_damaged_records.sql")),
        migration(12, "queue summary", include_str!("../../migrations/server/sqlite/0012_queue_summary.sql")),
        migration(13, "page indexes", include_str!("../../migrations/server/sqlite/0013_page_indexes.sql")),
        migration(
            14,
            "monthly labour totals",
            include_str!("../../migrations/server/sqlite/0014_labour_month_totals.sql"),
        ),
        migration(15, "people and access", include_str!("../../migrations/server/sqlite/0015_people_access.sql")),
        migration(16, "sign-in throttle", include_str!("../../migrations/server/sqlite/0016_sign_in_throttle.sql")),
        migration(
            17,
            "hours per day and expense categories",
            include_str!("../../migrations/server/sqlite/0017_hours_expense_categories.sql"),
        ),
        migration(18, "funds and wages", include_str!("../../migrations/server/sqlite/0018_funds.sql")),
        migration(19, "observations", include_str!("../../migrations/server/sqlite/0019_observations.sql")),
        migration(20, "risks", include_str!("../../migrations/server/sqlite/0020_risks.sql")),
        migration(21, "webhooks", include_str!("../../migrations/server/sqlite/0021_webhooks.sql")),
        migration(22, "daily reports", include_str!("../../migrations/server/sqlite/0022_daily_reports.sql")),
        migration(23, "webhooks, more", include_str!("../../migrations/server/sqlite/0023_webhooks_more.sql")),
        migration(24, "wage balances", include_str!("../../migrations/server/sqlite/0024_funds_wage_balances.sql")),
        migration(25, "change cursor", include_str!("../../migrations/server/sqlite/0025_change_cursor.sql")),
        migration(26, "sync scopes", include_str!("../../migrations/server/sqlite/0026_sync_scopes.sql")),
        migration(27, "access event facts", include_str!("../../migrations/server/sqlite/0027_access_event_facts.sql")),
    ]
}

fn postgres_migrations() -> Vec<Migration> {
    vec![
        migration(1, "server", include_str!("../../migrations/server/postgres/0001_server.sql")),
        migration(2, "devices and tokens", include_str!("../../migrations/server/postgres/0002_devices_tokens.sql")),
        migration(3, "documents", include_str!("../../migrations/server/postgres/0003_documents.sql")),
        migration(4, "sync states", include_str!("../../migrations/server/postgres/0004_sync_states.sql")),
        migration(5, "device manifests", include_str!("../../migrations/server/postgres/0005_manifest.sql")),
        migration(6, "blobs", include_str!("../../migrations/server/postgres/0006_blobs.sql")),
        migration(7, "approvals and ledgers", include_str!("../../migrations/server/postgres/0007_ledger.sql")),
        migration(
            8,
            "reference data and report totals",
            include_str!("../../migrations/server/postgres/0008_reference_reports.sql"),
        ),
        migration(
            9,
            "device sync generation",
            include_str!("../../migrations/server/postgres/0009_sync_generation.sql"),
        ),
        migration(10, "browser sessions", include_str!("../../migrations/server/postgres/0010_web_sessions.sql")),
        migration(11, "damaged records", include_str!("../../migrations/server/postgres/0011_damaged_records.sql")),
        migration(12, "queue summary", include_str!("../../migrations/server/postgres/0012_queue_summary.sql")),
        migration(13, "page indexes", include_str!("../../migrations/server/postgres/0013_page_indexes.sql")),
        migration(
            14,
            "monthly labour totals",
            include_str!("../../migrations/server/postgres/0014_labour_month_totals.sql"),
        ),
        migration(15, "people and access", include_str!("../../migrations/server/postgres/0015_people_access.sql")),
        migration(16, "sign-in throttle", include_str!("../../migrations/server/postgres/0016_sign_in_throttle.sql")),
        migration(
            17,
            "hours per day and expense categories",
            include_str!("../../migrations/server/postgres/0017_hours_expense_categories.sql"),
        ),
        migration(18, "funds and wages", include_str!("../../migrations/server/postgres/0018_funds.sql")),
        migration(19, "observations", include_str!("../../migrations/server/postgres/0019_observations.sql")),
        migration(20, "risks", include_str!("../../migrations/server/postgres/0020_risks.sql")),
        migration(21, "webhooks", include_str!("../../migrations/server/postgres/0021_webhooks.sql")),
        migration(22, "daily reports", include_str!("../../migrations/server/postgres/0022_daily_reports.sql")),
        migration(23, "webhooks, more", include_str!("../../migrations/server/postgres/0023_webhooks_more.sql")),
        migration(24, "wage balances", include_str!("../../migrations/server/postgres/0024_funds_wage_balances.sql")),
        migration(25, "change cursor", include_str!("../../migrations/server/postgres/0025_change_cursor.sql")),
        migration(26, "sync scopes", include_str!("../../migrations/server/postgres/0026_sync_scopes.sql")),
        migration(
            27,
            "access event facts",
            include_str!("../../migrations/server/postgres/0027_access_event_facts.sql"),
        ),
    ]
}

/// A device's identity as its token grants it (a row of `find_token`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenGrant {
    pub device_id: String,
    pub device_name: String,
    pub role: Role,
    pub project_id: String,
}

/// A row of `find_sync_grant`: the grant's row has a device id, a membership site's row a site id,
/// each listed document's row its id.
#[derive(sqlx::FromRow)]
struct SyncGrantRow {
    device_id: Option<String>,
    device_name: Option<String>,
    role: Option<Role>,
    project_id: Option<String>,
    manifest: Option<Vec<u8>>,
    sync_gen: Option<i64>,
    sync_cursor: Option<i64>,
    person_id: Option<String>,
    scope_fp: Option<Vec<u8>>,
    scope_full: Option<i64>,
    scope_window_days: Option<i64>,
    scope_own_days: Option<i64>,
    time_zone: Option<String>,
    site_id: Option<String>,
    doc_id: Option<String>,
    version: Option<i64>,
    change_seq: Option<i64>,
    /// The version the device has seen; NULL when it holds no state of the document.
    seen: Option<i64>,
    kind: Option<String>,
    scope_site: Option<String>,
    scope_date: Option<String>,
    scope_owner: Option<String>,
    scope_open: Option<i64>,
    scope_assignee: Option<String>,
}

/// A token's grant plus what a sync needs of its device, read in the same lookup: the stored
/// manifest digest, the generation of the device's sync states (`devices.sync_gen`), its scope's
/// makings, and the project's documents written since the device's cursor that it has not seen
/// at their current version (id, version; by id; `unseen_facts` holds their facts, in that order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGrant {
    pub grant: TokenGrant,
    pub manifest: Option<Vec<u8>>,
    pub sync_gen: i64,
    pub unseen: Vec<(String, i64)>,
    pub unseen_facts: Vec<ListedFacts>,
    // (Not `devices.unconfirmed`: a sync reads it only on a manifest mismatch,
    // `SyncSession::check_manifest`, so an idle sync does not pay for a big batch.)
    /// `devices.sync_cursor`, and the highest change sequence among the listed unseen documents
    /// (the cursor's next value once every listed document is seen).
    pub cursor: i64,
    pub listed_max_seq: i64,
    /// False when the lookup did not list (cursor 0, `find_sync_grant_listing`): `unseen` is empty
    /// and says nothing.
    pub listed: bool,
    pub scope: GrantScope,
}

impl Db {
    /// A connection taken out of the pool for good (`crate::held`).
    pub async fn detached(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(p) => Conn::Sqlite(p.acquire().await?.detach()),
            Db::Postgres(p) => Conn::Postgres(p.acquire().await?.detach()),
        })
    }

    /// Starts a transaction; on SQLite `BEGIN IMMEDIATE` (see `BeginWrite`).
    pub async fn begin(&self) -> Result<Tx<'static>, sqlx::Error> {
        on_pool!(self, |p| Ok(p.begin_write().await?.into()))
    }

    /// PostgreSQL if `database_url` is given, else SQLite in `data_dir`.
    pub async fn connect(database_url: Option<&str>, data_dir: &Path) -> Result<Db, DbError> {
        Db::connect_until(database_url, data_dir, i64::MAX).await
    }

    /// `connect`, migrated only up to `version`: an older server's schema, for tests of an upgrade.
    pub async fn connect_until(database_url: Option<&str>, data_dir: &Path, version: i64) -> Result<Db, DbError> {
        let upto = |list: Vec<Migration>| list.into_iter().filter(|m| m.version <= version).collect::<Vec<_>>();
        match database_url.filter(|u| !u.trim().is_empty()) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let options = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    // sqlx pings every idle connection it hands out: a round trip per query. Only
                    // one idle for a while can have been dropped by the server or the network.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for > PING_IF_IDLE_FOR {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(options)
                    .await?;
                Migrator::with_migrations(upto(postgres_migrations())).run(&pool).await?;
                Ok(Db::Postgres(pool))
            }
            Some(_) => Err(DbError::UnsupportedUrl),
            None => Ok(Db::Sqlite(open_sqlite(data_dir, upto(sqlite_migrations())).await?)),
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Registers a device with a token (given as its SHA-256), in one transaction.
    pub async fn insert_device_token(
        &self,
        device_id: &str,
        device_name: &str,
        token_sha256: &str,
        role: Role,
        project_id: &str,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query("INSERT INTO devices (id, name, created_at_ms) VALUES ($1, $2, $3)")
                .bind(device_id)
                .bind(device_name)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO tokens (token_sha256, device_id, role, project_id, created_at_ms) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_sha256)
            .bind(device_id)
            .bind(role.as_str())
            .bind(project_id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
    }

    /// The grant of a live token of a live device (neither revoked), looked up by its SHA-256.
    pub async fn find_token(&self, token_sha256: &str) -> Result<Option<TokenGrant>, sqlx::Error> {
        on_pool!(self, |p| sqlx::query_as(
            "SELECT d.id AS device_id, d.name AS device_name, t.role, t.project_id FROM tokens t \
             JOIN devices d ON d.id = t.device_id WHERE t.token_sha256 = $1 AND t.revoked_at_ms IS NULL \
             AND d.revoked_at_ms IS NULL"
        )
        .bind(token_sha256)
        .fetch_optional(p)
        .await)
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(p) => sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(p).await.map(drop),
            Db::Postgres(p) => sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(p).await.map(drop),
        }
    }
}

/// `synchronous=FULL` (the default) fsyncs the WAL on every commit, so an acknowledged write survives
/// a power loss. `FIELDLEDGER_SQLITE_SYNCHRONOUS=normal` skips that fsync: a commit is then in the
/// WAL file (the OS's page cache) when acknowledged, which survives the server process being killed
/// but not the machine losing power (the database stays consistent; the last commits may be lost).
fn sqlite_synchronous() -> SqliteSynchronous {
    match std::env::var("FIELDLEDGER_SQLITE_SYNCHRONOUS").map(|v| v.to_ascii_lowercase()).as_deref() {
        Ok("normal") => SqliteSynchronous::Normal,
        _ => SqliteSynchronous::Full,
    }
}

/// Opens (creating) `server.db` in `data_dir` and applies migrations.
async fn open_sqlite(data_dir: &Path, migrations: Vec<Migration>) -> Result<SqlitePool, DbError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|source| DbError::DataDir { path: data_dir.display().to_string(), source })?;
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(data_dir.join("server.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(sqlite_synchronous())
        .foreign_keys(true)
        // Reads through a memory map and a larger page cache: a sync's lookups then cost no
        // pread() system calls (measured: ~4% of the server's CPU under load went to them).
        .pragma("mmap_size", "268435456")
        .pragma("cache_size", "-16384");
    // No ping before handing out a connection (sqlx's default, a round trip to the connection's
    // thread per query): a connection to a local file does not go stale.
    let pool = SqlitePoolOptions::new().max_connections(4).test_before_acquire(false).connect_with(options).await?;
    Migrator::with_migrations(migrations).run(&pool).await?;
    Ok(pool)
}

/// Whether a statement failed on a unique constraint (both backends report it alike).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.sql` file in `migrations/server/<backend>/`, as (version from the file name, file
    /// name, text), by version.
    fn files_in(backend: &str) -> Vec<(i64, String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/server").join(backend);
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("migrations folder") {
            let path = entry.expect("folder entry").path();
            if path.extension().and_then(|e| e.to_str()) != Some("sql") {
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).expect("file name").to_owned();
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            let version: i64 = digits.parse().unwrap_or_else(|_| panic!("{name} does not start with a version"));
            let text = std::fs::read_to_string(&path).expect("migration file");
            files.push((version, name, text));
        }
        files.sort();
        files
    }

    /// Each file in the folder is in the compiled list with its version and the same text, and the
    /// list holds nothing else: a migration added to the folder but not listed fails here.
    fn check_listed(backend: &str, listed: &[Migration]) {
        let files = files_in(backend);
        for (version, name, text) in &files {
            let found = listed.iter().find(|m| m.version == *version);
            let found = found.unwrap_or_else(|| panic!("{backend}/{name} is not listed in {backend}_migrations()"));
            assert_eq!(found.sql.as_str(), text, "{backend}/{name} is listed as version {version} with other SQL");
        }
        let mut versions: Vec<i64> = listed.iter().map(|m| m.version).collect();
        versions.sort();
        let file_versions: Vec<i64> = files.iter().map(|(v, _, _)| *v).collect();
        assert_eq!(versions, file_versions, "{backend}_migrations() lists versions the folder does not hold once each");
    }

    #[test]
    fn every_sqlite_migration_file_is_listed() {
        check_listed("sqlite", &sqlite_migrations());
    }

    #[test]
    fn every_postgres_migration_file_is_listed() {
        check_listed("postgres", &postgres_migrations());
    }

    #[test]
    fn both_backends_list_the_same_versions() {
        let versions = |list: Vec<Migration>| -> Vec<(i64, String)> {
            list.into_iter().map(|m| (m.version, m.description.into_owned())).collect()
        };
        assert_eq!(versions(sqlite_migrations()), versions(postgres_migrations()));
    }

    /// A transaction that reads and then writes, while another connection commits a write in
    /// between, on SQLite: both succeed (the second waits for the first's write lock). With a
    /// deferred BEGIN the first failed at its write with "database is locked" at once.
    #[tokio::test]
    async fn a_read_then_write_transaction_survives_a_concurrent_commit_on_sqlite() {
        let dir = tempfile::tempdir().expect("dir");
        let db = Db::connect(None, dir.path()).await.expect("db");
        let insert = "INSERT INTO devices (id, name, created_at_ms) VALUES ($1, 'phone', 0)";
        let count = "SELECT count(*) FROM devices";
        let mut first = db.begin().await.expect("begin");
        let before: i64 = on_tx!(&mut first, |c| sqlx::query_scalar(count).fetch_one(c).await).expect("read");
        let other = {
            let db = db.clone();
            tokio::spawn(async move {
                on_pool!(&db, |p| {
                    let mut tx = p.begin_write().await?;
                    sqlx::query(insert).bind("second").execute(&mut *tx).await?;
                    tx.commit().await
                })
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        on_tx!(&mut first, |c| sqlx::query(insert).bind("first").execute(c).await.map(|_| ()))
            .expect("the first one's write");
        first.commit().await.expect("commit");
        other.await.expect("task").expect("the second one's write, after the first");
        let after: i64 = on_pool!(&db, |p| sqlx::query_scalar(count).fetch_one(p).await).expect("count");
        assert_eq!(after, before + 2);
    }
}

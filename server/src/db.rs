//! The server database: SQLite in the data folder (the embedded default) or PostgreSQL when
//! `DATABASE_URL` names one. Both are migrated at start from `migrations/server/<backend>/`.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlSafeStr, SqlitePool};

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

/// Runs the same sqlx code against whichever pool a `Db` holds. SQL uses `$1…$n` placeholders, each
/// once and in order, which SQLite and PostgreSQL both accept.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

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
        migration(8, "reference data and report totals", include_str!("../../migrations/server/sqlite/0008_reference_reports.sql")),
        migration(10, "browser sessions", include_str!("../../migrations/server/sqlite/0010_web_sessions.sql")),
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
        migration(8, "reference data and report totals", include_str!("../../migrations/server/postgres/0008_reference_reports.sql")),
        migration(10, "browser sessions", include_str!("../../migrations/server/postgres/0010_web_sessions.sql")),
    ]
}

/// A device's identity as its token grants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub device_id: String,
    pub device_name: String,
    pub role: String,
    pub project_id: String,
}

impl Db {
    /// PostgreSQL if `database_url` is given, else SQLite in `data_dir`.
    pub async fn connect(database_url: Option<&str>, data_dir: &Path) -> Result<Db, DbError> {
        match database_url.filter(|u| !u.trim().is_empty()) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let options = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new().max_connections(16).connect_with(options).await?;
                Migrator::with_migrations(postgres_migrations()).run(&pool).await?;
                Ok(Db::Postgres(pool))
            }
            Some(_) => Err(DbError::UnsupportedUrl),
            None => Ok(Db::Sqlite(open_sqlite(data_dir).await?)),
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
        role: &str,
        project_id: &str,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
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
            .bind(role)
            .bind(project_id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
    }

    /// The grant of a live (not revoked) token, looked up by its SHA-256.
    pub async fn find_token(&self, token_sha256: &str) -> Result<Option<TokenGrant>, sqlx::Error> {
        type Row = (String, String, String, String);
        let row: Option<Row> = on_pool!(self, |p| sqlx::query_as(
            "SELECT d.id, d.name, t.role, t.project_id FROM tokens t JOIN devices d ON d.id = t.device_id \
             WHERE t.token_sha256 = $1 AND t.revoked_at_ms IS NULL"
        )
        .bind(token_sha256)
        .fetch_optional(p)
        .await?);
        Ok(row.map(|(device_id, device_name, role, project_id)| TokenGrant { device_id, device_name, role, project_id }))
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(p) => sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(p).await.map(drop),
            Db::Postgres(p) => sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(p).await.map(drop),
        }
    }
}

/// Opens (creating) `server.db` in `data_dir` and applies migrations.
async fn open_sqlite(data_dir: &Path) -> Result<SqlitePool, DbError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|source| DbError::DataDir { path: data_dir.display().to_string(), source })?;
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(data_dir.join("server.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
    Migrator::with_migrations(sqlite_migrations()).run(&pool).await?;
    Ok(pool)
}

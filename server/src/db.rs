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
    vec![migration(1, "server", include_str!("../../migrations/server/sqlite/0001_server.sql"))]
}

fn postgres_migrations() -> Vec<Migration> {
    vec![migration(1, "server", include_str!("../../migrations/server/postgres/0001_server.sql"))]
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

//! The server database. SQLite in the data folder is the embedded default.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlSafeStr, SqlitePool};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("data folder {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

fn sqlite_migrations() -> Vec<Migration> {
    vec![Migration::new(
        1,
        Cow::Borrowed("server"),
        MigrationType::Simple,
        include_str!("../../migrations/server/sqlite/0001_server.sql").into_sql_str(),
        false,
    )]
}

/// Opens (creating) `server.db` in `data_dir` and applies migrations.
pub async fn open_sqlite(data_dir: &Path) -> Result<SqlitePool, DbError> {
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

//! The store file's format: SQLite with our application id, migrated by sqlx from `migrations/phone`.
//! A file that is not ours, is damaged, or was written by a newer app is refused before anything is
//! written to it.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlSafeStr, SqlitePool};

use crate::error::{Error, Result};

/// `PRAGMA application_id` of a Fieldledger store ("FLDL"), so another app's SQLite file is refused.
pub const APPLICATION_ID: i64 = 0x464C_444C;

/// Every migration the phone knows, in order. The store format is the newest version applied.
fn migrations() -> Vec<Migration> {
    vec![
        Migration::new(
            1,
            Cow::Borrowed("store"),
            MigrationType::Simple,
            include_str!("../../../migrations/phone/0001_store.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("change counters"),
            MigrationType::Simple,
            include_str!("../../../migrations/phone/0002_change_counters.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("sync states"),
            MigrationType::Simple,
            include_str!("../../../migrations/phone/0003_sync_states.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            Cow::Borrowed("photo uploads"),
            MigrationType::Simple,
            include_str!("../../../migrations/phone/0004_uploads.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            Cow::Borrowed("paired projects"),
            MigrationType::Simple,
            include_str!("../../../migrations/phone/0005_paired_projects.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            Cow::Borrowed("daily reports"),
            MigrationType::Simple,
            include_str!("../../../migrations/phone/0006_daily_reports.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            7,
            Cow::Borrowed("document heads"),
            MigrationType::Simple,
            include_str!("../../../migrations/phone/0007_document_heads.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            8,
            Cow::Borrowed("sync scopes"),
            MigrationType::Simple,
            include_str!("../../../migrations/phone/0008_scopes.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            9,
            Cow::Borrowed("evicted records and editor holds"),
            MigrationType::Simple,
            include_str!("../../../migrations/phone/0009_evicted_and_holds.sql").into_sql_str(),
            false,
        ),
    ]
}

pub fn supported_format() -> i64 {
    migrations().iter().map(|m| m.version).max().unwrap_or(0)
}

/// Opens (creating if missing) the store database at `path`.
pub async fn open_pool(path: &Path) -> Result<SqlitePool> {
    let shown = path.display().to_string();
    let not_a_store = |e: sqlx::Error| Error::NotAStore { path: shown.clone(), reason: e.to_string() };
    // A folder that is missing or unwritable is a storage problem, not a damaged store: an app must
    // never be led to reset a store over it.
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::metadata(parent).map_err(|e| Error::io(parent, e))?;
    if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
        inspect_existing(path, &shown).await?;
    }
    let options = SqliteConnectOptions::from_str("sqlite://")
        .map_err(not_a_store)?
        .filename(path)
        .create_if_missing(true)
        // WAL + FULL: a committed write is on disk (WAL fsynced) before the API returns.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    // One connection: writes are serialised by the store anyway, and a second connection opening
    // while the first switches a new file to WAL fails with "database is locked".
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        // A local file does not go stale: skip the ping sqlx sends before every acquire (a worker
        // thread round trip on each edit).
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    stamp_if_new(&pool).await?;
    Migrator::with_migrations(migrations()).run(&pool).await?;
    Ok(pool)
}

/// Looks at an existing file through a read-only connection that sets no pragmas, so a file we refuse
/// (damaged, another app's, from a newer app) is not modified at all, not even its journal mode.
async fn inspect_existing(path: &Path, shown: &str) -> Result<()> {
    use sqlx::Connection;
    let options = SqliteConnectOptions::from_str("sqlite://")
        .map_err(|e| Error::NotAStore { path: shown.to_string(), reason: e.to_string() })?
        .filename(path)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| Error::NotAStore { path: shown.to_string(), reason: e.to_string() })?;
    let result = async {
        let check: String = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| Error::NotAStore { path: shown.to_string(), reason: e.to_string() })?;
        if check != "ok" {
            return Err(Error::NotAStore {
                path: shown.to_string(),
                reason: format!("integrity check failed: {check}"),
            });
        }
        let app_id: i64 = sqlx::query_scalar("PRAGMA application_id").fetch_one(&mut conn).await?;
        let tables: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetch_one(&mut conn).await?;
        if app_id != APPLICATION_ID && !(app_id == 0 && tables == 0) {
            return Err(Error::NotAStore {
                path: shown.to_string(),
                reason: format!("it is another application's database (application id {app_id})"),
            });
        }
        let migrated: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                .fetch_one(&mut conn)
                .await?;
        if app_id == APPLICATION_ID && migrated > 0 {
            let found: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut conn)
                .await?;
            let supported = supported_format();
            if let Some(found) = found.filter(|f| *f > supported) {
                return Err(Error::StoreTooNew { path: shown.to_string(), found, supported });
            }
        }
        Ok(())
    }
    .await;
    let _ = conn.close().await;
    result
}

/// A brand-new (empty) file becomes ours: stamp the application id before any table exists. Existing
/// files were already inspected, read-only, by `inspect_existing`.
async fn stamp_if_new(pool: &SqlitePool) -> Result<()> {
    let app_id: i64 = sqlx::query_scalar("PRAGMA application_id").fetch_one(pool).await?;
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetch_one(pool).await?;
    if app_id == 0 && tables == 0 {
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA application_id = {APPLICATION_ID}"))).execute(pool).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each `.sql` file in `migrations/phone/` is in `migrations()` with the version its name
    /// starts with and the same text, and the list holds nothing else: a migration added to the
    /// folder but not listed fails here.
    #[test]
    fn every_phone_migration_file_is_listed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/phone");
        let listed = migrations();
        let mut file_versions = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("migrations folder") {
            let path = entry.expect("folder entry").path();
            if path.extension().and_then(|e| e.to_str()) != Some("sql") {
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).expect("file name").to_owned();
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            let version: i64 = digits.parse().unwrap_or_else(|_| panic!("{name} does not start with a version"));
            let text = std::fs::read_to_string(&path).expect("migration file");
            let found = listed.iter().find(|m| m.version == version);
            let found = found.unwrap_or_else(|| panic!("phone/{name} is not listed in migrations()"));
            assert_eq!(found.sql.as_str(), text, "phone/{name} is listed as version {version} with other SQL");
            file_versions.push(version);
        }
        file_versions.sort();
        let mut versions: Vec<i64> = listed.iter().map(|m| m.version).collect();
        versions.sort();
        assert_eq!(versions, file_versions, "migrations() lists versions the folder does not hold once each");
    }
}

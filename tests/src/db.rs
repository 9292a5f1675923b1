//! Straight into the server's database, around the server: what an older server may have stored,
//! counts of what it holds, a digest of everything stored. SQLite is `server.db` in the data folder;
//! PostgreSQL is `url`. Each call runs on a thread of its own with its own runtime, so a test calls it
//! whether or not it is inside one.

use std::future::Future;
use std::path::Path;

use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, Row, SqliteConnection};

/// The server's database: PostgreSQL at `url`, else SQLite in the data folder.
enum Conn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

async fn connect(db: &Path, url: Option<&str>, read_only: bool) -> Conn {
    match url {
        Some(url) => Conn::Pg(PgConnection::connect(url).await.expect("pg")),
        None => {
            let mode = if read_only { "?mode=ro" } else { "" };
            let url = format!("sqlite://{}{mode}", db.display());
            Conn::Sqlite(SqliteConnection::connect(&url).await.expect("sqlite"))
        }
    }
}

/// Runs `f(connection)` on a thread of its own, on a runtime of its own.
fn with_db<T, F>(dir: &Path, url: Option<&str>, read_only: bool, f: impl FnOnce(Conn) -> F + Send + 'static) -> T
where
    T: Send + 'static,
    F: Future<Output = T>,
{
    let (db, url) = (dir.join("server.db"), url.map(str::to_string));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move { f(connect(&db, url.as_deref(), read_only).await).await })
    })
    .join()
    .expect("database thread")
}

/// Stores document `id` of project P1 (of `kind`, `snapshot` an Automerge save) straight into the
/// server's database, as an older server may have stored it: the sync path refuses documents that
/// do not read or break the schema, but one may already be stored.
pub fn store_directly(dir: &Path, url: Option<&str>, id: &str, kind: &str, snapshot: Vec<u8>) {
    let (id, kind) = (id.to_string(), kind.to_string());
    with_db(dir, url, false, |c| async move {
        let sql = "INSERT INTO documents (id, project_id, kind, snapshot, version, pending_count, updated_at_ms) \
                   VALUES ($1, 'P1', $3, $2, 1, 0, 1)";
        match c {
            Conn::Pg(mut c) => sqlx::query(sql).bind(&id).bind(&snapshot).bind(&kind).execute(&mut c).await.map(drop),
            Conn::Sqlite(mut c) => {
                sqlx::query(sql).bind(&id).bind(&snapshot).bind(&kind).execute(&mut c).await.map(drop)
            }
        }
        .expect("insert");
    })
}

/// Runs `statements` in order on the server's database (SQLite in `dir`, or PostgreSQL at `url`):
/// rows a test needs that no API writes (a payment of a past month, say).
pub fn exec(dir: &Path, url: Option<&str>, statements: Vec<String>) {
    with_db(dir, url, false, |c| async move {
        match c {
            Conn::Pg(mut c) => {
                for s in statements {
                    sqlx::query(sqlx::AssertSqlSafe(s)).execute(&mut c).await.expect("exec");
                }
            }
            Conn::Sqlite(mut c) => {
                for s in statements {
                    sqlx::query(sqlx::AssertSqlSafe(s)).execute(&mut c).await.expect("exec");
                }
            }
        }
    })
}

/// `SELECT count(*) …` on the server's database (SQLite in `dir`, or PostgreSQL at `url`).
pub fn count(dir: &Path, url: Option<&str>, sql: &str) -> i64 {
    let sql = sql.to_string();
    with_db(dir, url, false, |c| async move {
        match c {
            Conn::Pg(mut c) => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await,
            Conn::Sqlite(mut c) => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await,
        }
        .expect("count")
    })
}

/// Every stored document, change and sync state, hashed: equal digests mean nothing changed.
pub fn stored_digest(dir: &Path, url: Option<&str>) -> String {
    with_db(dir, url, true, |mut c| async move {
        let queries = [
            "SELECT id || ':' || version, snapshot FROM documents ORDER BY id",
            "SELECT doc_id, data FROM document_changes ORDER BY doc_id, seq",
            "SELECT device_id || doc_id || ':' || seen_version, state FROM sync_states ORDER BY device_id, doc_id",
        ];
        let mut h = Sha256::new();
        for q in queries {
            let rows: Vec<(String, Vec<u8>)> = match &mut c {
                Conn::Pg(c) => {
                    sqlx::query(q).fetch_all(c).await.expect(q).iter().map(|r| (r.get(0), r.get(1))).collect()
                }
                Conn::Sqlite(c) => {
                    sqlx::query(q).fetch_all(c).await.expect(q).iter().map(|r| (r.get(0), r.get(1))).collect()
                }
            };
            for (k, v) in rows {
                h.update(k.as_bytes());
                h.update(&v);
            }
        }
        hex::encode(h.finalize())
    })
}

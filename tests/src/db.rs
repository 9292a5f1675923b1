//! Straight into the server's database, around the server: what an older server may have stored,
//! and counts of what it holds. SQLite is `server.db` in the data folder; PostgreSQL is `url`.

use std::path::Path;

/// Stores document `id` of project P1 (of `kind`, `snapshot` an Automerge save) straight into the
/// server's database, as an older server may have stored it: the sync path refuses documents that
/// do not read or break the schema, but one may already be stored.
pub fn store_directly(dir: &Path, url: Option<&str>, id: &str, kind: &str, snapshot: Vec<u8>) {
    let (dir, url, id, kind) = (dir.to_path_buf(), url.map(str::to_string), id.to_string(), kind.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            use sqlx::Connection;
            let sql = "INSERT INTO documents (id, project_id, kind, snapshot, version, pending_count, updated_at_ms) \
                       VALUES ($1, 'P1', $3, $2, 1, 0, 1)";
            match url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(&url).await.expect("pg");
                    sqlx::query(sql).bind(&id).bind(&snapshot).bind(&kind).execute(&mut c).await.expect("insert");
                }
                None => {
                    let path = dir.join("server.db");
                    let mut c =
                        sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("sqlite");
                    sqlx::query(sql).bind(&id).bind(&snapshot).bind(&kind).execute(&mut c).await.expect("insert");
                }
            }
        });
    })
    .join()
    .expect("store thread");
}

/// `SELECT count(*) …` on the server's database (SQLite in `dir`, or PostgreSQL at `url`).
pub fn count(dir: &Path, url: Option<&str>, sql: &str) -> i64 {
    let (db, url, sql) = (dir.join("server.db"), url.map(str::to_string), sql.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            use sqlx::Connection;
            match url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(&url).await.expect("pg");
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.expect("count")
                }
                None => {
                    let mut c =
                        sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.expect("sqlite");
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.expect("count")
                }
            }
        })
    })
    .join()
    .expect("count thread")
}

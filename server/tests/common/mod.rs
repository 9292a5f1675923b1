//! The server's end-to-end tests reach the workspace's one test harness (the `fieldledger-tests`
//! crate, `tests/` at the workspace root) through this module: the real server binary, raw HTTP,
//! throwaway PostgreSQL databases (`start_with`, `get`, `post`, `send`, `cli`, `token`, `ThrowawayPg`,
//! ...), the JSON API (`common::api`), the record fixtures (`common::records`), the simulated phone
//! (`common::phone`), the phone library (`common::phone_core`) and `/metrics` (`common::metrics`),
//! all re-exported from the harness's root.
#![allow(dead_code)]

pub use fieldledger_tests::*;

pub mod funds_fixture;
pub mod reference_fixture;

/// Runs `sql` on the server's database (SQLite in `dir`, or PostgreSQL at `url`): a test's hand on
/// what no API sets (memberships' sites, project settings). On a thread of its own, so it can be
/// called from inside another runtime's `block_on`.
pub fn exec_sql(dir: &std::path::Path, url: Option<&str>, sql: &str) {
    let (dir, url, sql) = (dir.to_path_buf(), url.map(str::to_string), sql.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let sql = sqlx::AssertSqlSafe(sql);
            match server::db::Db::connect(url.as_deref(), &dir).await.expect("db") {
                server::db::Db::Sqlite(p) => sqlx::query(sql).execute(&p).await.map(|_| ()),
                server::db::Db::Postgres(p) => sqlx::query(sql).execute(&p).await.map(|_| ()),
            }
            .expect("exec")
        })
    })
    .join()
    .expect("exec thread")
}

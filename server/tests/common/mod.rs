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

/// 王建国, a foreman of project P1 (the CLI's `person add`); his person id.
pub fn add_foreman_wang(dir: &std::path::Path, url: Option<&str>) -> String {
    let (ok, wang, err) = cli(
        dir,
        url,
        &["person", "add", "--name", "王建国", "--phone", "13800000001", "--project", "P1", "--role", "foreman"],
    );
    assert!(ok, "{err}");
    wang.trim().to_string()
}

/// `person`'s sites on P1 (their phones' sync scope), set by hand as the people screen sets them.
pub fn set_sites(dir: &std::path::Path, url: Option<&str>, person: &str, sites: &[&str]) {
    exec_sql(dir, url, &format!("DELETE FROM membership_sites WHERE person_id = '{person}'"));
    for s in sites {
        exec_sql(
            dir,
            url,
            &format!("INSERT INTO membership_sites (person_id, project_id, site_id) VALUES ('{person}', 'P1', '{s}')"),
        );
    }
}

/// `person`'s phone (store `name` in `dir`), paired with the server at `base` through a one-time code.
pub fn paired_phone(
    rt: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    url: Option<&str>,
    base: &str,
    person: &str,
    name: &str,
) -> std::sync::Arc<mobile_core::ffi::FieldStore> {
    let (ok, out, err) = cli(dir, url, &["pairing", "create", "--person", person, "--minutes", "15"]);
    assert!(ok, "{err}");
    let code = out.lines().next().expect("code").trim().to_string();
    let phone = phone_core::open_phone(dir, name);
    rt.block_on(phone.pair(base.to_string(), code, format!("{name}'s phone"))).expect("pair");
    phone
}

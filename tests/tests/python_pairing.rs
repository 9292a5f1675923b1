//! Phone pairing end to end through the phone core's Python bindings (issue 20): starts the real
//! server binary (SQLite and PostgreSQL), makes admin tokens of two projects and runs
//! `tests/python/pairing_live.py` through `python::run_live` (a person on two projects, a pairing code,
//! typed refusals, `sync_all` putting each record on its own project, a project joined later, revocation
//! ending the phone's sync with `Unauthorized`).

use std::ffi::OsStr;

use fieldledger_tests::*;

#[path = "support/python.rs"]
mod python;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/pairing_live.py");

fn live(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let admin1 = token_as(dir.path(), url, "P1", "admin");
    let admin2 = token_as(dir.path(), url, "P2", "admin");
    let server = start_with(dir.path(), url);
    let addr = format!("http://{}", server.addr);
    let bin = server_binary();
    // The script runs the server's command line on the same data (and database, when PostgreSQL).
    let mut env = vec![
        ("FIELDLEDGER_URL", OsStr::new(&addr)),
        ("FIELDLEDGER_ADMIN_P1", OsStr::new(&admin1)),
        ("FIELDLEDGER_ADMIN_P2", OsStr::new(&admin2)),
        ("FIELDLEDGER_SERVER_BIN", bin.as_os_str()),
        ("FIELDLEDGER_DATA_DIR", dir.path().as_os_str()),
    ];
    if let Some(url) = url {
        env.push(("DATABASE_URL", OsStr::new(url)));
    }
    let said = python::run_live(SCRIPT, dir.path(), &env);
    assert!(said.contains("all pairing checks passed"), "{said}");
}

#[test]
fn python_phone_pairs_and_syncs_two_projects_on_sqlite() {
    live(None);
}

#[test]
fn python_phone_pairs_and_syncs_two_projects_on_postgres() {
    let pg = ThrowawayPg::create();
    live(Some(&pg.url()));
}

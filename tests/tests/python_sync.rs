//! The phone core's Python bindings against the live server: starts the real server binary (SQLite and
//! PostgreSQL), makes device tokens and runs `tests/python/sync_live.py` through `python::run_live` (sync,
//! photo upload over tus, convergence, a supervisor's approval seen on the phone, sign-out).

use std::ffi::OsStr;

use fieldledger_tests::*;

#[path = "support/python.rs"]
mod python;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/sync_live.py");

fn live(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P1"));
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let server = start_with(dir.path(), url);
    let addr = format!("http://{}", server.addr);
    let said = python::run_live(
        SCRIPT,
        dir.path(),
        &[
            ("FIELDLEDGER_URL", OsStr::new(&addr)),
            ("FIELDLEDGER_TOKEN_A", OsStr::new(&ta)),
            ("FIELDLEDGER_TOKEN_B", OsStr::new(&tb)),
            ("FIELDLEDGER_TOKEN_SUP", OsStr::new(&sup)),
        ],
    );
    assert!(said.contains("sync_live: all good"), "{said}");
}

#[test]
fn python_phones_sync_on_sqlite() {
    live(None);
}

#[test]
fn python_phones_sync_on_postgres() {
    let pg = ThrowawayPg::create();
    live(Some(&pg.url()));
}

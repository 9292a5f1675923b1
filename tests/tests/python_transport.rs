//! The phone core over the app's own HTTP (`FieldStore.open_with_http`), through its Python bindings against the
//! real server binary (SQLite): `tests/python/transport_live.py` gives the store a urllib transport, pairs, syncs,
//! uploads a photo over tus and fetches a report PDF through it, then checks that a transport that raises makes the
//! sync `CoreError.Offline` and changes nothing (docs/phone-library.md: the phone builds have no HTTP of their own).

use std::ffi::OsStr;

use fieldledger_tests::*;

#[path = "support/python.rs"]
mod python;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/transport_live.py");

#[test]
fn python_phone_syncs_through_the_apps_http() {
    let dir = tempfile::tempdir().expect("dir");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    let addr = format!("http://{}", server.addr);
    let said = python::run_live(
        SCRIPT,
        dir.path(),
        &[("FIELDLEDGER_URL", OsStr::new(&addr)), ("FIELDLEDGER_ADMIN_P1", OsStr::new(&admin))],
    );
    assert!(said.contains("all transport checks passed"), "{said}");
}

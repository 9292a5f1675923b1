//! The phone core over the app's own HTTP (`FieldStore.open_with_http`), through its Python bindings against the
//! real server binary (SQLite): `tests/python/transport_live.py` gives the store a urllib transport, pairs, syncs,
//! uploads a photo over tus and fetches a report PDF through it, then checks that a transport that raises makes the
//! sync `CoreError.Offline` and changes nothing (docs/phone-library.md: the phone builds have no HTTP of their own).

use std::path::Path;
use std::process::Command;

use fieldledger_tests::*;

#[path = "support/python.rs"]
mod python;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/transport_live.py");
/// mobile-core's Python test helpers (`_images.py` writes real JPEGs with the standard library).
const HELPERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../mobile-core/tests/bindings");

#[test]
fn python_phone_syncs_through_the_apps_http() {
    let dir = tempfile::tempdir().expect("dir");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    let out = dir.path().join("bindings");
    std::fs::create_dir_all(&out).expect("bindings dir");
    python::bindings(&out);
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let path = std::env::join_paths([out.as_path(), Path::new(HELPERS)]).expect("PYTHONPATH");
    let result = Command::new(python)
        .arg(SCRIPT)
        .current_dir(&scratch)
        .env("PYTHONPATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("FIELDLEDGER_URL", format!("http://{}", server.addr))
        .env("FIELDLEDGER_ADMIN_P1", &admin)
        .env("FIELDLEDGER_SCRATCH_DIR", &scratch)
        .output()
        .expect("run python3 (scripts/test-setup.sh installs what the tests need)");
    let said = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "{SCRIPT} failed ({})\n--- stdout ---\n{said}\n--- stderr ---\n{}",
        result.status,
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(said.contains("all transport checks passed"), "{said}");
}

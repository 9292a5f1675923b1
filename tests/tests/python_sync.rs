//! The phone core's Python bindings against the live server: starts the real server binary (SQLite and
//! PostgreSQL), makes device tokens, generates the bindings from the `libmobile_core` cdylib cargo built
//! for these tests (UniFFI library mode, as mobile-core/tests/foreign_bindings.rs does), and runs
//! `tests/python/sync_live.py` (sync, photo upload over tus, convergence, a supervisor's approval
//! seen on the phone, sign-out).

use std::path::Path;
use std::process::Command;

use fieldledger_tests::*;

#[path = "support/python.rs"]
mod python;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/sync_live.py");
/// mobile-core's Python test helpers (`_images.py` writes real JPEGs with the standard library).
const HELPERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../mobile-core/tests/bindings");

fn live(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P1"));
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let server = start_with(dir.path(), url);
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
        .env("FIELDLEDGER_TOKEN_A", &ta)
        .env("FIELDLEDGER_TOKEN_B", &tb)
        .env("FIELDLEDGER_TOKEN_SUP", &sup)
        .env("FIELDLEDGER_SCRATCH_DIR", &scratch)
        .output()
        .expect("run python3 (scripts/test-setup.sh installs what the tests need)");
    assert!(
        result.status.success(),
        "{SCRIPT} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        result.status,
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
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

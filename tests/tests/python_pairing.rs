//! Phone pairing end to end through the phone core's Python bindings (issue 20): starts the real
//! server binary (SQLite and PostgreSQL), makes admin tokens of two projects, generates the
//! bindings as `python_sync.rs` does, and runs `tests/python/pairing_live.py` (a person on two
//! projects, a pairing code, typed refusals, `sync_all` putting each record on its own project,
//! a project joined later, revocation ending the phone's sync with `Unauthorized`).

use std::process::Command;

use fieldledger_tests::*;

#[path = "support/python.rs"]
mod python;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/pairing_live.py");

fn live(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let admin1 = token_as(dir.path(), url, "P1", "admin");
    let admin2 = token_as(dir.path(), url, "P2", "admin");
    let server = start_with(dir.path(), url);
    let out = dir.path().join("bindings");
    std::fs::create_dir_all(&out).expect("bindings dir");
    python::bindings(&out);
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let mut cmd = Command::new(python);
    cmd.arg(SCRIPT)
        .current_dir(&scratch)
        .env("PYTHONPATH", &out)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("FIELDLEDGER_URL", format!("http://{}", server.addr))
        .env("FIELDLEDGER_ADMIN_P1", &admin1)
        .env("FIELDLEDGER_ADMIN_P2", &admin2)
        .env("FIELDLEDGER_SERVER_BIN", server_binary())
        .env("FIELDLEDGER_DATA_DIR", dir.path())
        .env("FIELDLEDGER_SCRATCH_DIR", &scratch)
        .env_remove("DATABASE_URL");
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    let result = cmd.output().expect("run python3 (scripts/test-setup.sh installs what the tests need)");
    assert!(
        result.status.success(),
        "{SCRIPT} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        result.status,
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    let said = String::from_utf8_lossy(&result.stdout);
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

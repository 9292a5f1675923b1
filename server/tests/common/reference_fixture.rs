//! The reference tests' start: a server whose project P1 holds the fixture reference data
//! (`records::reference_workbook`), with an admin's, a supervisor's and a foreman's token.

use fieldledger_tests::api::{import_reference, json_call};
use fieldledger_tests::records::reference_workbook;
use fieldledger_tests::*;
use serde_json::Value;

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub server: Server,
    pub admin: String,
    pub sup: String,
    pub foreman: String,
}

/// On SQLite (`url` `None`) or the PostgreSQL database at `url`.
pub fn setup(url: Option<&str>) -> Fixture {
    let dir = tempfile::tempdir().expect("dir");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let foreman = token(dir.path(), url, "P1");
    let server = start_with(dir.path(), url);
    import_reference(&server.addr, &admin, &reference_workbook());
    Fixture { _dir: dir, server, admin, sup, foreman }
}

/// The project's reference data as `GET /v1/reference` answers it.
pub fn reference(f: &Fixture) -> Value {
    let (s, v) = json_call(&f.server.addr, &f.admin, "GET", "/v1/reference", None);
    assert_eq!(s, 200, "{v}");
    v
}

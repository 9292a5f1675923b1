//! The funds centre's tests' start (issue 21): a server whose project P1 holds the fixture reference
//! data, with P1's admin, supervisor and foreman tokens and another project's (P2) admin token;
//! valid ID numbers; and the check that no full ID or card number is anywhere: not in the
//! database (SQLite's files byte for byte, PostgreSQL's funds tables cell by cell), not in the log.

use fieldledger_tests::api::{import_reference, json_call};
use fieldledger_tests::records::reference_workbook;
use fieldledger_tests::*;
use serde_json::Value;

pub struct Funds {
    pub dir: tempfile::TempDir,
    pub url: Option<String>,
    pub server: Server,
    pub admin: String,
    pub sup: String,
    pub foreman: String,
    /// An admin of another project, P2.
    pub other: String,
}

/// On SQLite (`url` `None`) or the PostgreSQL database at `url`.
pub fn setup(url: Option<&str>) -> Funds {
    let dir = tempfile::tempdir().expect("dir");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let foreman = token(dir.path(), url, "P1");
    let other = token_as(dir.path(), url, "P2", "admin");
    let server = start_with(dir.path(), url);
    import_reference(&server.addr, &admin, &reference_workbook());
    Funds { dir, url: url.map(str::to_string), server, admin, sup, foreman, other }
}

impl Funds {
    /// A JSON call as `token`; the status and the answer.
    pub fn call(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        json_call(&self.server.addr, token, method, path, body)
    }

    /// A raw body (a CSV or XLSX file) as `token`.
    pub fn upload(&self, token: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let kind = if body.starts_with(b"PK") { api::XLSX } else { "text/csv" };
        api::call_json(&self.server.addr, token, "POST", path, body, kind)
    }

    pub fn count(&self, sql: &str) -> i64 {
        count(self.dir.path(), self.url.as_deref(), sql)
    }

    /// Asserts that none of `numbers` (full ID or card numbers, as typed) is stored, logged or in
    /// `answers` (every response body the test saw).
    pub fn assert_nowhere(&self, numbers: &[&str], answers: &[String]) {
        let numbers: Vec<String> =
            numbers.iter().map(|n| n.chars().filter(char::is_ascii_alphanumeric).collect()).collect();
        for n in &numbers {
            for a in answers {
                assert!(!a.contains(n.as_str()), "a response holds a full number: {a}");
            }
            let log = std::fs::read(self.dir.path().join("server.log")).unwrap_or_default();
            assert!(!contains(&log, n.as_bytes()), "the server log holds a full number");
            match &self.url {
                None => {
                    for file in ["server.db", "server.db-wal"] {
                        let bytes = std::fs::read(self.dir.path().join(file)).unwrap_or_default();
                        if let Some(at) = find(&bytes, n.as_bytes()) {
                            let around =
                                String::from_utf8_lossy(&bytes[at.saturating_sub(200)..(at + 200).min(bytes.len())]);
                            panic!("{file} holds the full number {n} at {at}: {around:?}");
                        }
                    }
                }
                Some(_) => {
                    let tables = [
                        (
                            "workers",
                            "id || name || COALESCE(id_hash, '') || COALESCE(id_masked, '') || \
                                     COALESCE(card_hash, '') || COALESCE(card_masked, '') || COALESCE(bank, '') || \
                                     COALESCE(phone_masked, '') || COALESCE(crew, '') || COALESCE(trade, '')",
                        ),
                        (
                            "funds_batch_mismatches",
                            "name || COALESCE(id_masked, '') || COALESCE(card_masked, '') || reason",
                        ),
                        ("funds_payments", "reference || payer_account || COALESCE(payee, '') || COALESCE(crew, '')"),
                        ("funds_batches", "file_name"),
                        ("documents", "encode(snapshot, 'escape')"),
                    ];
                    for (table, text) in tables {
                        let sql = format!("SELECT count(*) FROM {table} WHERE {text} LIKE '%{n}%'");
                        assert_eq!(self.count(&sql), 0, "{table} holds a full number");
                    }
                }
            }
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A valid 18-character ID number from its first 17 digits (GB 11643 check character).
pub fn id_number(first17: &str) -> String {
    format!("{first17}{}", server::funds::masking::id_check_char(first17))
}

/// `first17` with its check character wrong.
pub fn bad_id_number(first17: &str) -> String {
    let good = server::funds::masking::id_check_char(first17);
    format!("{first17}{}", if good == '0' { '1' } else { '0' })
}

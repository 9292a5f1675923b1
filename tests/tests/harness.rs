//! The harness itself, end to end: the server binary started on SQLite and on a throwaway PostgreSQL
//! database, tokens minted with its admin command, the fixture project's reference data imported, a
//! labour sheet written and synced by the phone library (mobile-core's app-facing `FieldStore`),
//! then seen by a supervisor in the pending list and in the server's database.

use fieldledger_tests::api::{import_reference, json_call};
use fieldledger_tests::blobkit::count;
use fieldledger_tests::phone_core::{carpenters, new_sheet, open_phone};
use fieldledger_tests::records::{reference_workbook, site_today};
use fieldledger_tests::*;
use mobile_core::ffi::types::*;

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    assert!([&foreman, &sup, &admin].iter().all(|t| t.starts_with("flt_")), "{foreman} {sup} {admin}");
    assert!(foreman != sup && sup != admin);
    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();

    let (status, body) = get(addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    // The office sets the project up: site S1 in Shanghai, cost code 03-100, the trade 木工.
    let v = import_reference(addr, &admin, &reference_workbook());
    let imported = serde_json::json!({ "project": 1, "sites": 1, "cost_codes": 3, "activities": 2, "trades": 2, "expense_categories": 0 });
    assert_eq!(v["imported"], imported, "{v}");

    // The foreman's phone records one day of six carpenters, offline.
    let phone = open_phone(dir.path(), "li");
    let sheet = phone.create_labour_sheet(new_sheet()).expect("sheet");
    let id = sheet.info.id.clone();
    phone.add_crew_line(id.clone(), carpenters(6)).expect("crew line");
    assert_eq!(phone.unsynced().expect("unsynced"), Unsynced { records: 1, photos: 0 });
    let (status, v) = json_call(addr, &sup, "GET", "/v1/approvals/pending", None);
    assert_eq!((status, v["records"].as_array().map(Vec::len)), (200, Some(0)), "nothing synced yet: {v}");

    // It syncs; the server confirms it.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let report = rt.block_on(phone.sync(format!("http://{addr}"), foreman.clone(), None, None)).expect("sync");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.documents_sent >= 1, "{report:?}");
    assert_eq!(phone.unsynced().expect("unsynced"), Unsynced { records: 0, photos: 0 }, "the server confirmed it");
    let stored = format!("SELECT count(*) FROM documents WHERE id = '{id}' AND kind = 'labour_sheet'");
    assert_eq!(count(dir.path(), url, &stored), 1, "the sheet is in the server's database");

    // The supervisor sees it pending, new, as the phone wrote it: 6 × 8 h × 47.50 = 2,280.00.
    let (status, v) = json_call(addr, &sup, "GET", "/v1/approvals/pending", None);
    assert_eq!(status, 200, "{v}");
    let records = v["records"].as_array().expect("records");
    assert_eq!(records.len(), 1, "{v}");
    let rec = &records[0];
    assert_eq!(
        (rec["id"].as_str(), rec["kind"].as_str(), rec["status"].as_str()),
        (Some(id.as_str()), Some("labour_sheet"), Some("new")),
        "{v}"
    );
    assert_eq!((rec["site_id"].as_str(), rec["author"].as_str()), (Some("S1"), Some("li")), "{v}");
    assert_eq!(rec["date"].as_str(), Some(site_today().as_str()), "{v}");
    let (status, v) = json_call(addr, &sup, "GET", &format!("/v1/records/{id}"), None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["record"]["total"], "2280.00", "{v}");
    assert_eq!(v["approval"]["status"], "pending", "{v}");

    // The pending list is the supervisors': the foreman's own token is refused it.
    let (status, v) = json_call(addr, &foreman, "GET", "/v1/approvals/pending", None);
    assert_eq!(status, 403, "{v}");
}

#[test]
fn a_phone_sheet_reaches_the_supervisor_on_sqlite() {
    story(None);
}

#[test]
fn a_phone_sheet_reaches_the_supervisor_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

#[test]
fn the_server_binary_is_found_beside_the_tests() {
    let bin = server_binary();
    assert!(bin.is_file(), "{}", bin.display());
    let (ok, out, err) = cli(tempfile::tempdir().expect("dir").path(), None, &["--help"]);
    assert!(ok, "{err}");
    assert!(out.contains("token"), "the admin commands are listed: {out}");
}

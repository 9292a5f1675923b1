//! One row of reference data changed or deleted through the JSON API (`PUT` and `DELETE
//! /v1/reference/{table}/{key}`), on SQLite and PostgreSQL: a one-row change refuses what the import
//! refuses with the import's message and stores nothing; a row is deleted only while nothing uses
//! it (child cost codes, activities, postings), the refusal names what does; unknown rows are 404,
//! the project cannot be deleted, only admins delete; the phones' reference document loses the row.

mod common;

use common::api::{approve_current, call_json, d, json_call};
use common::phone::SimPhone;
use common::records;
use common::reference_fixture::{Fixture, reference, setup};
use common::*;
use record_schema::{Effort, ReferenceData};
use serde_json::{Value, json};

fn delete(f: &Fixture, token: &str, path: &str) -> (u16, Value) {
    json_call(&f.server.addr, token, "DELETE", path, None)
}

fn keys(set: &Value, table: &str, key: &str) -> Vec<String> {
    set[table].as_array().expect("table").iter().filter_map(|r| r[key].as_str().map(String::from)).collect()
}

#[test]
fn reference_edits_on_sqlite() {
    reference_edits(None);
}

#[test]
fn reference_edits_on_postgres() {
    let pg = ThrowawayPg::create();
    reference_edits(Some(&pg.url()));
}

fn reference_edits(url: Option<&str>) {
    let f = setup(url);
    let addr = f.server.addr.clone();
    let before = reference(&f);

    // A one-row change refuses as the import does, with its message, and stores nothing.
    let (s, v) = json_call(
        &addr,
        &f.admin,
        "PUT",
        "/v1/reference/cost_codes/03-200",
        Some(json!({"name": "钢筋", "parent": "03", "budget": "1e5"})),
    );
    assert_eq!(s, 422, "{v}");
    let (_, imported) = call_json(
        &addr,
        &f.admin,
        "POST",
        "/v1/reference/import?table=cost_codes",
        b"code,name,parent,budget\n03-200,\xe9\x92\xa2\xe7\xad\x8b,03,1e5\n",
        "text/csv",
    );
    assert_eq!(v["errors"][0]["message"], imported["errors"][0]["message"], "the import's message: {v} {imported}");
    assert_eq!(v["errors"][0]["column"], "budget");
    assert_eq!(reference(&f), before);

    // Deletes refused while something uses the row, each naming what.
    let (s, v) = delete(&f, &f.admin, "/v1/reference/cost_codes/03");
    assert_eq!(s, 409, "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("cost codes under it: 03-100, 03-200"), "{v}");
    let (s, v) = delete(&f, &f.admin, "/v1/reference/cost_codes/03-100");
    assert_eq!(s, 409, "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("activities earning against it: A1"), "{v}");
    // Only admins; unknown rows and tables; not the project.
    assert_eq!(delete(&f, &f.sup, "/v1/reference/trades/木工").0, 403);
    assert_eq!(delete(&f, &f.foreman, "/v1/reference/trades/木工").0, 403);
    assert_eq!(delete(&f, &f.admin, "/v1/reference/trades/瓦工").0, 404);
    assert_eq!(delete(&f, &f.admin, "/v1/reference/nothing/x").0, 400);
    assert_eq!(delete(&f, &f.admin, "/v1/reference/project/P1").0, 400);
    assert_eq!(reference(&f), before, "refused deletes change nothing");

    // A sheet on 03-200 / A2 approved: its postings keep 03-200 once A2 is gone.
    let sheet = records::labour_sheet(
        "0193a000-0000-7000-8000-0000000000e1",
        vec![records::crew_line("l1", 2, Effort::Days(d("1")), "360", "03-200", "A2")],
    );
    let mut phone = SimPhone::new(f.foreman.clone());
    phone.docs.insert(sheet.header.id.clone(), records::sheet_doc(&sheet));
    let sync = phone.sync(&addr);
    assert!(sync.errors.is_empty(), "{:?}", sync.errors);
    approve_current(&addr, &f.sup, &sheet.header.id);
    let (s, v) = delete(&f, &f.admin, "/v1/reference/activities/A2");
    assert_eq!(s, 409, "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("ledger posting"), "{v}");

    // Unused rows go: A1, then its code 03-100, and a trade.
    for path in ["/v1/reference/activities/A1", "/v1/reference/cost_codes/03-100", "/v1/reference/trades/木工"] {
        let (s, v) = delete(&f, &f.admin, path);
        assert_eq!(s, 200, "{path}: {v}");
    }
    let set = reference(&f);
    assert_eq!(keys(&set, "activities", "id"), ["A2"]);
    assert_eq!(keys(&set, "cost_codes", "code"), ["03", "03-200"]);
    assert_eq!(keys(&set, "trades", "name"), ["钢筋工"]);

    // The phone's reference document follows.
    phone.sync(&addr);
    let data = ReferenceData::read(phone.docs.get(&ReferenceData::document_id("P1")).expect("reference doc"))
        .expect("reference data");
    let codes: Vec<&str> = data.cost_codes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["03", "03-200"]);
    assert!(data.activities.iter().all(|a| a.id != "A1") && data.trades.iter().all(|t| t.name != "木工"));
}

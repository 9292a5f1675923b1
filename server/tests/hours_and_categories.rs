//! Issue 26 on the server, through the real binary on SQLite and PostgreSQL: a project's hours per
//! day and its own expense categories imported (CSV, XLSX) and edited row by row, refusals naming
//! the field and the limit with nothing stored; rates kept to 4 decimals and published so; an
//! expense in a project category syncs, one in an unknown category is refused by the server's
//! validation; a category in use cannot be deleted; hours at a day rate post exactly what the
//! schema's rule says (9.5 h at 365/day: 433.44 and 1.1875 person-days, once rounded).

mod common;

use common::api::{approve_current, call_json, d, import_reference, json_call};
use common::phone::SimPhone;
use common::records::{self, workbook};
use common::reference_fixture::{Fixture, reference, setup};
use common::*;
use record_schema::{Effort, ReferenceData, TimeUnit};
use serde_json::{Value, json};

fn csv(f: &Fixture, table: &str, text: &str) -> (u16, Value) {
    call_json(
        &f.server.addr,
        &f.admin,
        "POST",
        &format!("/v1/reference/import?table={table}"),
        text.as_bytes(),
        "text/csv",
    )
}

fn put(f: &Fixture, path: &str, body: Value) -> (u16, Value) {
    json_call(&f.server.addr, &f.admin, "PUT", path, Some(body))
}

/// A refusal: the import's 422 naming `field` (`table.column`), its first problem containing `says`.
fn refused(answer: (u16, Value), field: &str, says: &str) {
    let (s, v) = answer;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["field"], field, "{v}");
    let message = v["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{says:?} in {v}");
}

fn codes(set: &Value) -> Vec<(String, String)> {
    set["expense_categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| (c["code"].as_str().unwrap_or_default().into(), c["name"].as_str().unwrap_or_default().into()))
        .collect()
}

fn phone_reference(phone: &mut SimPhone, addr: &str) -> ReferenceData {
    phone.sync(addr);
    ReferenceData::read(phone.docs.get(&ReferenceData::document_id("P1")).expect("reference doc")).expect("reads")
}

#[test]
fn hours_and_categories_on_sqlite() {
    hours_and_categories(None);
}

#[test]
fn hours_and_categories_on_postgres() {
    let pg = ThrowawayPg::create();
    hours_and_categories(Some(&pg.url()));
}

fn hours_and_categories(url: Option<&str>) {
    let f = setup(url);
    let addr = f.server.addr.clone();
    let mut phone = SimPhone::new(f.foreman.clone());

    // Before anything is set: 8 hours, the default categories, nothing listed.
    let set = reference(&f);
    assert_eq!(set["project"]["hours_per_day"], Value::Null);
    assert!(codes(&set).is_empty());
    let data = phone_reference(&mut phone, &addr);
    assert_eq!((data.hours_per_day, data.hours_per_day()), (None, d("8")));
    assert!(data.expense_categories.is_empty());

    // Hours per day: refused outside (0, 24] or with more than 2 decimals, naming the field and the
    // limit, nothing stored; by JSON and by CSV (Chinese header) alike.
    for (bad, says) in [
        ("25", "at most 24 hours"),
        ("0", "more than 0"),
        ("-1", "must not be negative"),
        ("7.125", "at most 2 decimal places"),
        ("八", "only digits"),
    ] {
        refused(put(&f, "/v1/reference/project", json!({ "hours_per_day": bad })), "project.hours_per_day", says);
    }
    refused(csv(&f, "project", "name,每日工时\n一号楼,24.01\n"), "project.B (每日工时)", "at most 24 hours");
    assert_eq!(reference(&f), set, "refusals store nothing");
    let (s, v) = put(&f, "/v1/reference/project", json!({ "hours_per_day": "7.5" }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(reference(&f)["project"]["hours_per_day"], "7.5");
    let (s, v) = csv(&f, "project", "name,每日工时\n一号楼,9\n");
    assert_eq!((s, v["imported"]["project"].as_i64()), (200, Some(1)), "{v}");
    let (s, v) = put(&f, "/v1/reference/project", json!({ "name": "一号楼 A" }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(reference(&f)["project"]["hours_per_day"], "9", "kept when not given");
    assert_eq!(phone_reference(&mut phone, &addr).hours_per_day, Some(d("9")), "phones receive it");
    let (s, v) = put(&f, "/v1/reference/project", json!({ "hours_per_day": null }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(reference(&f)["project"]["hours_per_day"], Value::Null, "empty: back to the default");
    assert_eq!(phone_reference(&mut phone, &addr).hours_per_day(), d("8"));

    // Rates keep 4 decimals, published as entered; a fifth is refused.
    let (s, v) = put(&f, "/v1/reference/trades/普工", json!({ "day_rate": "365", "hour_rate": "45.625" }));
    assert_eq!(s, 200, "{v}");
    refused(put(&f, "/v1/reference/trades/普工", json!({ "hour_rate": "45.62501" })), "trades.hour_rate", "at most 4");
    let trades = reference(&f)["trades"].clone();
    let general = trades.as_array().expect("trades").iter().find(|t| t["name"] == "普工").expect("普工").clone();
    assert_eq!((general["day_rate"].as_str(), general["hour_rate"].as_str()), (Some("365"), Some("45.625")));
    let data = phone_reference(&mut phone, &addr);
    let on_phone = data.trades.iter().find(|t| t.name == "普工").expect("普工 on the phone");
    assert_eq!(on_phone.hour_rate, Some(d("45.625")), "not rounded to 45.63 for phones");

    // Expense categories: imported from CSV (Chinese headers) and XLSX, edited row by row.
    let (s, v) = csv(&f, "expense_categories", "编码,名称\nequipment_rental,机械租赁\nmaterials,材料\n");
    assert_eq!((s, v["imported"]["expense_categories"].as_i64()), (200, Some(2)), "{v}");
    let book = workbook(&[("费用类别", &[&["code", "name"], &["transport", "运输"], &["site_testing", "检测试验"]])]);
    let v = import_reference(&addr, &f.admin, &book);
    assert_eq!(v["imported"]["expense_categories"].as_i64(), Some(2), "{v}");
    let (s, v) = put(&f, "/v1/reference/expense_categories/meals", json!({ "name": "餐费" }));
    assert_eq!(s, 200, "{v}");
    let (s, v) = put(&f, "/v1/reference/expense_categories/site_testing", json!({ "name": "材料检测" }));
    assert_eq!(s, 200, "{v}");
    let before = reference(&f);
    let listed = codes(&before);
    let want = [
        ("equipment_rental", "机械租赁"),
        ("materials", "材料"),
        ("meals", "餐费"),
        ("site_testing", "材料检测"),
        ("transport", "运输"),
    ];
    assert_eq!(listed, want.map(|(c, n)| (c.to_string(), n.to_string())));
    // Refused: a code that is not a short identifier, no name, a code given twice; nothing stored.
    refused(
        put(&f, "/v1/reference/expense_categories/机械租赁", json!({ "name": "机械" })),
        "expense_categories.code",
        "short code",
    );
    refused(
        put(&f, "/v1/reference/expense_categories/fuel", json!({ "name": "" })),
        "expense_categories.name",
        "is required",
    );
    refused(
        csv(&f, "expense_categories", "code,name\nfuel,燃油\nfuel,油料\n"),
        "expense_categories.A (code)",
        "already given in row 2",
    );
    refused(
        csv(&f, "expense_categories", &format!("code,name\n{},x\n", "a".repeat(41))),
        "expense_categories.A (code)",
        "at most 40",
    );
    assert_eq!(reference(&f), before, "refusals store nothing");
    let data = phone_reference(&mut phone, &addr);
    let on_phone: Vec<(&str, &str)> =
        data.expense_categories.iter().map(|c| (c.code.as_str(), c.name.as_str())).collect();
    assert_eq!(on_phone, want, "phones receive the project's categories");

    // Hours at a day rate, as sites pay: 9.5 h at 365/day posts 9.5 ÷ 8 × 365 = 433.4375 → 433.44
    // and 1.1875 person-days; 9.5 h at the derived 45.625/h posts the same cent.
    let sheet = records::labour_sheet(
        "0193a000-0000-7000-8000-00000000c101",
        vec![
            records::paid_line("day", 1, Effort::Hours(d("9.5")), "365", TimeUnit::Day, "8", "03-100", "A1"),
            records::paid_line("hour", 1, Effort::Hours(d("9.5")), "45.625", TimeUnit::Hour, "8", "03-100", "A1"),
            // A 7.5-hour day's pay: 2 × 9.5 h × 365 ÷ 7.5 = 924.666… → 924.67, 2.533333 person-days.
            records::paid_line("short", 2, Effort::Hours(d("9.5")), "365", TimeUnit::Day, "7.5", "03-200", "A2"),
        ],
    );
    phone.docs.insert(sheet.header.id.clone(), records::sheet_doc(&sheet));
    let sync = phone.sync(&addr);
    assert!(sync.errors.is_empty(), "{:?}", sync.errors);
    let (s, v) = json_call(&addr, &f.sup, "GET", &format!("/v1/records/{}", sheet.header.id), None);
    assert_eq!(s, 200, "{v}");
    let lines = v["record"]["lines"].as_array().expect("lines");
    let day = lines.iter().find(|l| l["id"] == "day").expect("day line");
    assert_eq!(
        (&day["effort_unit"], &day["rate"], &day["rate_unit"], &day["hours_per_day"], &day["cost"]),
        (&json!("hours"), &json!("365.00"), &json!("days"), &json!("8"), &json!("433.44"))
    );
    let hour = lines.iter().find(|l| l["id"] == "hour").expect("hour line");
    assert_eq!((&hour["rate"], &hour["rate_unit"]), (&json!("45.625"), &json!("hours")));
    assert_eq!(v["record"]["total"], "1791.55", "433.44 + 433.44 + 924.67");
    approve_current(&addr, &f.sup, &sheet.header.id);
    let (s, p) = json_call(&addr, &f.sup, "GET", &format!("/v1/ledger/postings?record={}", sheet.header.id), None);
    assert_eq!(s, 200, "{p}");
    let posted = |id: &str| {
        let r = p["postings"].as_array().expect("postings").iter().find(|r| r["line_id"] == id).expect("posting");
        (
            r["amount"].as_str().unwrap_or_default().to_string(),
            r["headcount_days"].as_str().unwrap_or_default().to_string(),
            r["person_hours"].as_str().unwrap_or_default().to_string(),
        )
    };
    assert_eq!(posted("day"), ("433.44".into(), "1.1875".into(), "9.5".into()));
    assert_eq!(posted("hour"), ("433.44".into(), "1.1875".into(), "9.5".into()));
    assert_eq!(posted("short"), ("924.67".into(), "2.533333".into(), "19".into()));

    // An expense in a project category syncs; one in a category the project does not list (even a
    // default one) is refused by the server's validation, naming the field.
    let rental = records::expense_in("0193a000-0000-7000-8000-00000000c001", "P1", "equipment_rental");
    let testing = records::expense_in("0193a000-0000-7000-8000-00000000c002", "P1", "site_testing");
    let unknown = records::expense_in("0193a000-0000-7000-8000-00000000c003", "P1", "bribes");
    let fuel = records::expense_in("0193a000-0000-7000-8000-00000000c004", "P1", "fuel");
    let mut office = SimPhone::new(f.foreman.clone());
    for e in [&rental, &testing, &unknown, &fuel] {
        office.docs.insert(e.header.id.clone(), records::expense_doc(e));
    }
    let sync = office.sync(&addr);
    let mut refused_ids: Vec<(&str, Option<&str>)> =
        sync.errors.iter().map(|e| (e.id.as_str(), e.field.as_deref())).collect();
    refused_ids.sort();
    assert_eq!(
        refused_ids,
        [(unknown.header.id.as_str(), Some("category")), (fuel.header.id.as_str(), Some("category"))],
        "{:?}",
        sync.errors
    );
    assert!(sync.errors.iter().all(|e| e.message.contains("unknown category")), "{:?}", sync.errors);
    let (s, v) = json_call(&addr, &f.sup, "GET", &format!("/v1/records/{}", rental.header.id), None);
    assert_eq!((s, v["record"]["category"].as_str()), (200, Some("equipment_rental")), "{v}");

    // A category in use is not deleted: approved (a posting) or not (a record); an unused one is.
    approve_current(&addr, &f.sup, &rental.header.id);
    let (s, v) = json_call(&addr, &f.admin, "DELETE", "/v1/reference/expense_categories/equipment_rental", None);
    assert_eq!(s, 409, "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("1 ledger posting(s)"), "{v}");
    let (s, v) = json_call(&addr, &f.admin, "DELETE", "/v1/reference/expense_categories/site_testing", None);
    assert_eq!(s, 409, "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("1 record(s)"), "{v}");
    let (s, v) = json_call(&addr, &f.admin, "DELETE", "/v1/reference/expense_categories/meals", None);
    assert_eq!(s, 200, "{v}");
    assert!(codes(&reference(&f)).iter().all(|(c, _)| c != "meals"));
    assert!(phone_reference(&mut phone, &addr).expense_categories.iter().all(|c| c.code != "meals"));
}

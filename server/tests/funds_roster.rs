//! The real-name roster through the office API (issue 21), on SQLite and PostgreSQL: workers added,
//! changed and marked left; ID, card and phone numbers answered only masked and never stored or
//! logged in full; bad numbers, duplicates and hostile files refused naming the field or row with
//! nothing stored; a roster imported from CSV and XLSX with Chinese or English headers; the active
//! roster published to the phones' reference document; names on approved labour lines proposed and
//! confirmed; office and admin tokens only, another project's workers 404.

mod common;

use common::api::approve_current;
use common::funds_fixture::{Funds, bad_id_number, id_number, setup};
use common::phone::SimPhone;
use common::records;
use common::*;
use record_schema::{Effort, ReferenceData, Worker};
use serde_json::{Value, json};

#[test]
fn roster_on_sqlite() {
    roster(None);
}

#[test]
fn roster_on_postgres() {
    let pg = ThrowawayPg::create();
    roster(Some(&pg.url()));
}

fn workers(f: &Funds, seen: &mut Vec<String>) -> Vec<Value> {
    let (s, v) = f.call(&f.admin, "GET", "/v1/funds/workers", None);
    assert_eq!(s, 200, "{v}");
    seen.push(v.to_string());
    v["workers"].as_array().expect("workers").clone()
}

fn roster(url: Option<&str>) {
    let f = setup(url);
    let mut seen: Vec<String> = Vec::new();
    let zhang = id_number("32010219900101123");
    let li = id_number("11010519850612004");
    let card = "6222 0212 3456 7890 123";

    // Roles: office and admins only.
    for token in [&f.sup, &f.foreman] {
        assert_eq!(f.call(token, "GET", "/v1/funds/workers", None).0, 403);
        assert_eq!(f.call(token, "POST", "/v1/funds/workers", Some(json!({"name": "x"}))).0, 403);
        assert_eq!(f.upload(token, "/v1/funds/workers/import", b"name\nx\n").0, 403);
        assert_eq!(f.call(token, "GET", "/v1/funds/workers/proposed", None).0, 403);
    }
    assert_eq!(f.call("nonsense", "GET", "/v1/funds/workers", None).0, 401);

    // One worker added: numbers answered masked.
    let (s, v) = f.call(
        &f.admin,
        "POST",
        "/v1/funds/workers",
        Some(json!({"name": "张三", "id_number": zhang, "card_number": card, "phone": "137 0013 5678",
                    "bank": "工商银行", "crew": "张班", "trade": "木工", "day_rate": "380", "joined_on": "2026-11-01"})),
    );
    assert_eq!(s, 201, "{v}");
    seen.push(v.to_string());
    let w = &v["worker"];
    assert_eq!(w["id"], "W0001");
    assert_eq!(w["id_masked"], format!("3201**********{}", &zhang[14..]));
    assert_eq!(w["card_masked"], "6222***********0123");
    assert_eq!(w["phone_masked"], "137****5678");
    assert_eq!(w["status"], "active");
    assert_eq!(w["day_rate"], "380");

    // Refusals name the field and store nothing.
    let before = workers(&f, &mut seen);
    let refused = [
        (json!({"name": "李四", "id_number": bad_id_number("11010519850612004")}), 422, "id_number", "check digit"),
        (json!({"name": "李四", "id_number": "110105850612004"}), 422, "id_number", "15-digit"),
        (json!({"name": "李四", "id_number": zhang.to_lowercase()}), 409, "id_number", "W0001 (张三)"),
        (json!({"name": "李四", "card_number": "6222021234567890123"}), 409, "card_number", "W0001"),
        (json!({"name": "李四", "card_number": "1234"}), 422, "card_number", "12 to 19 digits"),
        (json!({"name": "李四", "phone": "12345"}), 422, "phone", "11 digits"),
        (json!({"name": "李四", "day_rate": 380}), 400, "day_rate", "text"),
        (json!({"name": "李四", "day_rate": "-1"}), 422, "day_rate", "0 to"),
        (json!({"name": "李四", "salary": "1"}), 400, "salary", "unknown field"),
        (json!({"name": "李".repeat(51)}), 422, "name", "50 characters"),
        (json!({"id_number": li}), 422, "name", "required"),
        (json!({"name": "李四", "status": "left"}), 422, "left_on", "date"),
        (json!({"name": "李四", "joined_on": "2026-02-30"}), 422, "joined_on", "YYYY-MM-DD"),
        (json!({"name": "李四", "id": "W 1"}), 422, "id", "letters"),
        (json!({"name": "李四", "id": "W0001"}), 409, "id", "already"),
    ];
    for (body, status, field, words) in refused {
        let (s, v) = f.call(&f.admin, "POST", "/v1/funds/workers", Some(body.clone()));
        seen.push(v.to_string());
        assert_eq!(s, status, "{body}: {v}");
        assert_eq!(v["field"], field, "{body}: {v}");
        assert!(v["message"].as_str().unwrap_or_default().contains(words), "{body}: {v}");
    }
    assert_eq!(workers(&f, &mut seen), before, "refusals store nothing");

    // Import: Chinese headers, extra columns reported, all or nothing.
    let wang = id_number("44030419920228567");
    let csv = format!(
        "序号,姓名,身份证号,银行卡号,开户行,手机号,班组,工种,日工资,备注\n\
         1,李四,{li},6217 0000 1111 2222,建设银行,13900001111,张班,钢筋工,360,\n\
         2,王五,{wang},,,,李班,木工,,新进场\n"
    );
    let (s, v) = f.upload(&f.admin, "/v1/funds/workers/import", csv.as_bytes());
    seen.push(v.to_string());
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["imported"]["created"], 2);
    assert_eq!(v["imported"]["ignored_columns"], json!(["A (序号)", "J (备注)"]));
    let after = workers(&f, &mut seen);
    assert_eq!(after.len(), 3);
    assert_eq!(after[1]["name"], "李四");
    assert_eq!(after[1]["id"], "W0002");
    // The same file again changes the same people (matched by ID number), creating nobody.
    let (s, v) = f.upload(&f.admin, "/v1/funds/workers/import", csv.as_bytes());
    assert_eq!(
        (s, v["imported"]["created"].clone(), v["imported"]["updated"].clone()),
        (200, json!(0), json!(2)),
        "{v}"
    );

    // A duplicate inside the file, and one against a stored worker: 422 naming the rows.
    let dup = format!(
        "id,name,id_number,crew\n,赵六,{z},A\n,钱七,{z},A\nW0002,孙八,{zhang},A\n",
        z = id_number("11010519700101001")
    );
    let (s, v) = f.upload(&f.admin, "/v1/funds/workers/import", dup.as_bytes());
    seen.push(v.to_string());
    assert_eq!(s, 422, "{v}");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors[0]["row"], 3, "{v}");
    assert_eq!(errors[0]["column"], "C (id_number)");
    assert!(errors[0]["message"].as_str().unwrap_or_default().contains("row 2"), "{v}");
    assert_eq!(errors[1]["row"], 4);
    assert!(errors[1]["message"].as_str().unwrap_or_default().contains("W0001 (张三)"), "{v}");
    assert_eq!(workers(&f, &mut seen).len(), 3, "nothing imported");

    // Hostile files.
    let huge = vec![b'a'; (8 << 20) + 1];
    assert_eq!(f.upload(&f.admin, "/v1/funds/workers/import", &huge).0, 413);
    let many = format!("name\n{}", "某人\n".repeat(20_001));
    assert_eq!(f.upload(&f.admin, "/v1/funds/workers/import", many.as_bytes()).0, 413);
    let (s, v) = f.upload(&f.admin, "/v1/funds/workers/import", b"name\n\xff\xfe\n");
    assert_eq!((s, v["field"].clone()), (400, json!("file")), "{v}");
    assert_eq!(f.upload(&f.admin, "/v1/funds/workers/import", b"").0, 400);
    assert_eq!(f.upload(&f.admin, "/v1/funds/workers/import", b"PK\x03\x04garbage").0, 400);
    let (s, v) = f.upload(&f.admin, "/v1/funds/workers/import", b"crew\nA\n");
    assert_eq!(s, 422, "no name column: {v}");
    // An XLSX whose ID number column holds numbers (digits lost): refused naming the row.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["姓名", "身份证号"].iter().enumerate() {
        sheet.write(0, c as u16, *h).expect("w");
    }
    sheet.write(1, 0, "周九").expect("w");
    sheet.write(1, 1, 320102199001011234f64).expect("w");
    let (s, v) = f.upload(&f.admin, "/v1/funds/workers/import", &book.save_to_buffer().expect("xlsx"));
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["row"], 2);
    assert!(v["errors"][0]["message"].as_str().unwrap_or_default().contains("15 digits"), "{v}");
    // An XLSX roster with English headers imports.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let zhou = id_number("32010219880808888");
    for (r, row) in [["name", "id_number", "crew", "trade"], ["周九", zhou.as_str(), "李班", "瓦工"]].iter().enumerate()
    {
        for (c, cell) in row.iter().enumerate() {
            sheet.write(r as u32, c as u16, *cell).expect("w");
        }
    }
    let (s, v) = f.upload(&f.admin, "/v1/funds/workers/import", &book.save_to_buffer().expect("xlsx"));
    assert_eq!((s, v["imported"]["created"].clone()), (200, json!(1)), "{v}");
    assert_eq!(workers(&f, &mut seen).len(), 4);

    // Changed, and marked left: the rest kept (a masked number is not sent back).
    let (s, v) = f.call(&f.admin, "PUT", "/v1/funds/workers/W0002", Some(json!({"trade": "木工", "crew": null})));
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["worker"]["trade"].clone(), v["worker"]["crew"].clone()), (json!("木工"), Value::Null));
    assert_eq!(v["worker"]["id_masked"], format!("1101**********{}", &li[14..]));
    let (s, v) =
        f.call(&f.admin, "PUT", "/v1/funds/workers/W0003", Some(json!({"status": "left", "left_on": "2026-11-30"})));
    assert_eq!((s, v["worker"]["status"].clone()), (200, json!("left")), "{v}");
    let (s, v) = f.call(&f.admin, "PUT", "/v1/funds/workers/W0003", Some(json!({"id_number": zhang})));
    assert_eq!((s, v["field"].clone()), (409, json!("id_number")), "{v}");
    assert_eq!(f.call(&f.admin, "PUT", "/v1/funds/workers/W9999", Some(json!({"trade": "x"}))).0, 404);
    assert_eq!(f.call(&f.sup, "PUT", "/v1/funds/workers/W0002", Some(json!({"trade": "x"}))).0, 403);
    // Another project's admin sees none of P1's workers.
    assert_eq!(f.call(&f.other, "PUT", "/v1/funds/workers/W0002", Some(json!({"trade": "x"}))).0, 404);
    let (s, v) = f.call(&f.other, "GET", "/v1/funds/workers", None);
    assert_eq!((s, v["workers"].clone()), (200, json!([])));
    let (_, v) = f.call(&f.admin, "GET", "/v1/funds/workers?status=left", None);
    assert_eq!(v["workers"].as_array().map(Vec::len), Some(1));
    assert_eq!(f.call(&f.admin, "GET", "/v1/funds/workers?status=gone", None).0, 400);

    // The phones' reference document: the roster, names and crews only; W0003, who left, stays
    // listed (flagged) so records naming him stay valid, and phones offer only the others.
    let mut phone = SimPhone::new(f.foreman.clone());
    phone.sync(&f.server.addr);
    let data = ReferenceData::read(phone.docs.get(&ReferenceData::document_id("P1")).expect("reference doc"))
        .expect("reference data");
    let ids: Vec<(&str, bool)> = data.workers.iter().map(|w| (w.id.as_str(), w.left)).collect();
    assert_eq!(ids, [("W0001", false), ("W0002", false), ("W0003", true), ("W0004", false)], "W0003 left");
    assert_eq!(data.workers[0].name, "张三");
    assert_eq!(data.workers[0].crew.as_deref(), Some("张班"));
    // A reference import republishes the document with the roster kept.
    common::api::import_reference(&f.server.addr, &f.admin, &records::reference_workbook());
    phone.sync(&f.server.addr);
    let data = ReferenceData::read(phone.docs.get(&ReferenceData::document_id("P1")).expect("doc")).expect("data");
    assert_eq!(data.workers.len(), 4);

    // Proposed names: a sheet naming 张三 (on the roster) and 陈十 (not), approved.
    let mut line = records::crew_line("l1", 3, Effort::Days(common::api::d("1")), "360", "03-200", "A2");
    line.workers = vec![
        Worker { name: "张三".into(), id_number: None, worker_id: None },
        Worker { name: "陈十".into(), id_number: None, worker_id: None },
    ];
    let sheet = records::labour_sheet("0193a000-0000-7000-8000-0000000000f1", vec![line]);
    phone.docs.insert(sheet.header.id.clone(), records::sheet_doc(&sheet));
    let sync = phone.sync(&f.server.addr);
    assert!(sync.errors.is_empty(), "{:?}", sync.errors);
    approve_current(&f.server.addr, &f.sup, &sheet.header.id);
    let (s, v) = f.call(&f.admin, "GET", "/v1/funds/workers/proposed", None);
    assert_eq!(s, 200, "{v}");
    let proposed = v["proposed"].as_array().expect("proposed");
    assert_eq!(proposed.len(), 1, "{v}");
    assert_eq!(proposed[0]["name"], "陈十");
    assert_eq!(proposed[0]["entries"], 1);
    assert_eq!(proposed[0]["person_days"], "1");
    assert_eq!(proposed[0]["crews"], json!(["张班"]));
    assert_eq!(proposed[0]["first_date"], "2026-11-20");
    let (s, v) = f.call(&f.admin, "POST", "/v1/funds/workers/proposed/confirm", Some(json!({"name": "无名"})));
    assert_eq!((s, v["field"].clone()), (404, json!("name")), "{v}");
    let (s, v) = f.call(&f.admin, "POST", "/v1/funds/workers/proposed/confirm", Some(json!({"name": "陈十"})));
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["worker"]["crew"], "张班", "the name's only crew");
    let (_, v) = f.call(&f.admin, "GET", "/v1/funds/workers/proposed", None);
    assert_eq!(v["proposed"], json!([]));
    assert_eq!(f.call(&f.sup, "POST", "/v1/funds/workers/proposed/confirm", Some(json!({"name": "x"}))).0, 403);

    // Nowhere in full: not in answers, tables, documents or the log.
    seen.extend(workers(&f, &mut Vec::new()).iter().map(Value::to_string));
    let (_, v) = f.call(&f.admin, "GET", "/v1/reference", None);
    seen.push(v.to_string());
    let card_digits: String = card.chars().filter(char::is_ascii_digit).collect();
    f.assert_nowhere(
        &[&zhang, &li, &wang, &zhou, &card_digits, "6217000011112222", "13700135678", "13900001111"],
        &seen,
    );
}

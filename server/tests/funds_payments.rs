//! Payments, bank batch files, labour-cost allocations and the wage pay day through the office API
//! (issue 21), on SQLite and PostgreSQL: a payment recorded and cancelled once by a reversal; a bank
//! batch result file with one mismatch becomes exactly the matched wage payments and the mismatch
//! row (matched by ID or card number, never by name), and the same file twice is 409; failures,
//! unknown people, differing names, duplicates and bad amounts listed with their reasons; bad months,
//! amounts and files refused naming the field with nothing stored; office and admin tokens only,
//! another project's ids 404; no full ID or card number answered, stored or logged.

mod common;

use common::funds_fixture::{Funds, id_number, setup};
use common::*;
use serde_json::{Value, json};

#[test]
fn payments_on_sqlite() {
    payments(None);
}

#[test]
fn payments_on_postgres() {
    let pg = ThrowawayPg::create();
    payments(Some(&pg.url()));
}

fn add_worker(f: &Funds, name: &str, id: &str, card: Option<&str>) -> String {
    let mut body = json!({"name": name, "id_number": id, "crew": "张班"});
    if let Some(c) = card {
        body["card_number"] = json!(c);
    }
    let (s, v) = f.call(&f.admin, "POST", "/v1/funds/workers", Some(body));
    assert_eq!(s, 201, "{v}");
    v["worker"]["id"].as_str().expect("id").to_string()
}

fn with_amount(body: &Value, amount: &str) -> Value {
    let mut b = body.clone();
    b["amount"] = json!(amount);
    b
}

fn count_payments(f: &Funds) -> i64 {
    f.count("SELECT count(*) FROM funds_payments")
}

fn payments(url: Option<&str>) {
    let f = setup(url);
    let mut seen: Vec<String> = Vec::new();
    let zhang = id_number("32010219900101123");
    let li = id_number("11010519850612004");
    let wang = id_number("44030419920228567");
    let zhao = id_number("11010519700101001");
    let wang_card = "6217000011112222";
    let w1 = add_worker(&f, "张三", &zhang, None);
    let w2 = add_worker(&f, "李四", &li, None);
    let w3 = add_worker(&f, "王五", &wang, Some(wang_card));
    let w4 = add_worker(&f, "赵六", &zhao, None);

    // Roles.
    for token in [&f.sup, &f.foreman] {
        assert_eq!(f.call(token, "GET", "/v1/funds/payments", None).0, 403);
        assert_eq!(f.call(token, "POST", "/v1/funds/payments", Some(json!({}))).0, 403);
        assert_eq!(f.upload(token, "/v1/funds/batches?month=2026-11", b"name,amount\n").0, 403);
        assert_eq!(f.call(token, "GET", "/v1/funds/allocations", None).0, 403);
        assert_eq!(f.call(token, "GET", "/v1/funds/settings", None).0, 403);
        assert_eq!(f.call(token, "PUT", "/v1/funds/settings", Some(json!({"wage_pay_day": 20}))).0, 403);
    }

    // One wage payment, listed, cancelled once.
    let pay = json!({"kind": "wage", "worker_id": w1, "month": "2026-11", "paid_on": "2026-12-10",
                     "payer_account": "农民工工资专户", "amount": "1200.50", "reference": "十一月工资"});
    let (s, v) = f.call(&f.admin, "POST", "/v1/funds/payments", Some(pay.clone()));
    assert_eq!(s, 201, "{v}");
    let p = &v["payment"];
    assert_eq!(
        (p["amount"].clone(), p["month"].clone(), p["worker_name"].clone()),
        (json!("1200.50"), json!("2026-11"), json!("张三"))
    );
    let paid_id = p["id"].as_str().expect("id").to_string();
    let (s, v) = f.call(&f.admin, "GET", "/v1/funds/payments?month=2026-11", None);
    assert_eq!((s, v["payments"].as_array().map(Vec::len)), (200, Some(1)), "{v}");
    assert_eq!(f.call(&f.other, "POST", &format!("/v1/funds/payments/{paid_id}/cancel"), None).0, 404);
    let (s, v) =
        f.call(&f.admin, "POST", &format!("/v1/funds/payments/{paid_id}/cancel"), Some(json!({"reason": "重复"})));
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["cancellation"]["amount"], "-1200.50");
    assert_eq!(v["cancellation"]["reverses"], paid_id.as_str());
    let reversal = v["cancellation"]["id"].as_str().expect("id").to_string();
    let (s, v) = f.call(&f.admin, "POST", &format!("/v1/funds/payments/{paid_id}/cancel"), None);
    assert_eq!((s, v["field"].clone()), (409, json!("id")), "{v}");
    assert_eq!(f.call(&f.admin, "POST", &format!("/v1/funds/payments/{reversal}/cancel"), None).0, 409);
    assert_eq!(f.call(&f.admin, "POST", "/v1/funds/payments/nope/cancel", None).0, 404);
    // Two cancels at once: one reversal.
    let (s, v) = f.call(&f.admin, "POST", "/v1/funds/payments", Some(with_amount(&pay, "10")));
    assert_eq!(s, 201, "{v}");
    let twice = v["payment"]["id"].as_str().expect("id").to_string();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let cancels: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| f.call(&f.admin, "POST", &format!("/v1/funds/payments/{twice}/cancel"), None).0))
            .collect();
        let mut s: Vec<u16> = cancels.into_iter().map(|h| h.join().expect("cancel")).collect();
        s.sort();
        s
    });
    assert_eq!(statuses, [201, 409]);
    assert_eq!(f.count(&format!("SELECT count(*) FROM funds_payments WHERE reverses = '{twice}'")), 1);
    let (_, v) = f.call(&f.admin, "GET", &format!("/v1/funds/payments?worker_id={w1}"), None);
    let list = v["payments"].as_array().expect("payments");
    assert_eq!(list.len(), 4);
    assert!(list.iter().any(|p| p["cancelled_by"] == reversal.as_str()), "{v}");
    let (_, v) = f.call(&f.other, "GET", "/v1/funds/payments", None);
    assert_eq!(v["payments"], json!([]));

    // Bad payments: named field, nothing stored.
    let before = count_payments(&f);
    let with = |k: &str, val: Value| {
        let mut b = pay.clone();
        b[k] = val;
        b
    };
    let refused = [
        (with("amount", json!("0")), 422, "amount"),
        (with("amount", json!("-5")), 422, "amount"),
        (with("amount", json!("1.234")), 400, "amount"),
        (with("amount", json!("1e3")), 400, "amount"),
        (with("amount", json!("1,000")), 400, "amount"),
        (with("amount", json!(1000)), 400, "amount"),
        (with("amount", json!("1000000000.01")), 422, "amount"),
        (with("month", json!("2026-13")), 400, "month"),
        (with("month", json!("2026/11")), 400, "month"),
        (with("month", Value::Null), 400, "month"),
        (with("paid_on", json!("2026-02-30")), 400, "paid_on"),
        (with("kind", json!("bonus")), 400, "kind"),
        (with("worker_id", json!("W9999")), 422, "worker_id"),
        (with("payee", json!("某公司")), 400, "payee"),
        (with("payer_account", json!("")), 400, "payer_account"),
        (with("reference", json!("x".repeat(201))), 422, "reference"),
        (with("tip", json!("1")), 400, "tip"),
        (
            json!({"kind": "vendor", "payee": "建材公司", "month": "2026-11", "paid_on": "2026-12-01",
                "payer_account": "基本户", "amount": "10"}),
            400,
            "month",
        ),
        (json!({"kind": "vendor", "paid_on": "2026-12-01", "payer_account": "基本户", "amount": "10"}), 400, "payee"),
    ];
    for (body, status, field) in refused {
        let (s, v) = f.call(&f.admin, "POST", "/v1/funds/payments", Some(body.clone()));
        assert_eq!((s, v["field"].clone()), (status, json!(field)), "{body}: {v}");
    }
    assert_eq!(f.call(&f.admin, "GET", "/v1/funds/payments?month=11-2026", None).0, 400);
    assert_eq!(count_payments(&f), before, "refusals store nothing");
    let (s, v) = f.call(
        &f.admin,
        "POST",
        "/v1/funds/payments",
        Some(json!({"kind": "vendor", "payee": "建材公司", "paid_on": "2026-12-01", "payer_account": "基本户",
                    "amount": "8800"})),
    );
    assert_eq!((s, v["payment"]["month"].clone()), (201, Value::Null), "{v}");

    // A bank batch file with one mismatch (李四's name misspelt): the other three paid, 王五 by
    // his card number alone.
    let file = format!(
        "\u{feff}姓名,身份证号,银行卡号,金额,状态,附言\n\
         张三,{zhang},,3000.00,成功,11月工资\n\
         李 四,{li},,2800.00,成功,11月工资\n\
         王五,,6217 0000 1111 2222,2500,成功,\n\
         赵六,{zhao},,2600.10,成功,转至 6217 0000 1111 2222\n"
    );
    let before = count_payments(&f);
    let path = "/v1/funds/batches?month=2026-11&file_name=11月代发.csv&paid_on=2026-12-12";
    let (s, v) = f.upload(&f.admin, path, file.as_bytes());
    seen.push(v.to_string());
    assert_eq!(s, 201, "{v}");
    let b = &v["batch"];
    assert_eq!(
        (b["rows"].clone(), b["matched"].clone(), b["total"].clone()),
        (json!(4), json!(3), json!("8100.10")),
        "{v}"
    );
    let mut paid: Vec<(String, String)> = b["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .map(|p| (p["worker_id"].as_str().unwrap_or_default().into(), p["amount"].as_str().unwrap_or_default().into()))
        .collect();
    paid.sort();
    assert_eq!(paid, [(w1.clone(), "3000.00".into()), (w3.clone(), "2500.00".into()), (w4.clone(), "2600.10".into())]);
    assert!(
        b["payments"].as_array().expect("p").iter().all(|p| p["month"] == "2026-11" && p["paid_on"] == "2026-12-12")
    );
    let zhao_paid = b["payments"].as_array().expect("p").iter().find(|p| p["worker_id"] == w4.as_str()).cloned();
    assert_eq!(
        zhao_paid.map(|p| p["reference"].clone()),
        Some(json!("转至 6217********2222")),
        "a 附言's card number masked"
    );
    let mismatches = b["mismatches"].as_array().expect("mismatches");
    assert_eq!(mismatches.len(), 1, "{v}");
    assert_eq!(mismatches[0]["row_no"], 3);
    assert_eq!(mismatches[0]["name"], "李 四");
    assert_eq!(mismatches[0]["id_masked"], format!("1101**********{}", &li[14..]));
    assert_eq!(mismatches[0]["amount"], "2800.00");
    assert!(mismatches[0]["reason"].as_str().unwrap_or_default().contains(&format!("{w2} is 李四")), "{v}");
    assert_eq!(count_payments(&f), before + 3);
    let batch_id = b["id"].as_str().expect("id").to_string();
    let (s, v) = f.call(&f.admin, "GET", &format!("/v1/funds/batches/{batch_id}"), None);
    seen.push(v.to_string());
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["batch"]["mismatches"], json!(mismatches));
    assert_eq!(v["batch"]["payments"].as_array().map(Vec::len), Some(3));
    assert_eq!(f.call(&f.other, "GET", &format!("/v1/funds/batches/{batch_id}"), None).0, 404);
    assert_eq!(f.call(&f.sup, "GET", &format!("/v1/funds/batches/{batch_id}"), None).0, 403);

    // The same file again: 409, nothing more stored (another month or name changes nothing).
    let (s, v) = f.upload(&f.admin, "/v1/funds/batches?month=2026-12&file_name=again.csv", file.as_bytes());
    assert_eq!((s, v["field"].clone()), (409, json!("file")), "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains(&batch_id), "{v}");
    assert_eq!(count_payments(&f), before + 3);
    assert_eq!(f.count("SELECT count(*) FROM funds_batches"), 1);

    // Every other kind of mismatch, each with its reason; English headers.
    let other = id_number("11010519660606006");
    let file = format!(
        "name,id_number,card_number,amount,status,reason\n\
         张三,{zhang},,100,failed,账户冻结\n\
         路人,{other},,100,success,\n\
         赵六,{zhao},,abc,success,\n\
         赵六,{zhao},,0,success,\n\
         赵六,{zhao},,100.001,success,\n\
         王五,{wang},,100,success,\n\
         王五,{wang},,100,success,\n\
         李四,{bad},,100,success,\n\
         李四,,,100,success,\n\
         李四,{li},{wang_card},100,success,\n\
         李四,{li},,100,pending,\n",
        bad = &zhang[..17].to_string().replace('3', "4")
    );
    let (s, v) = f.upload(&f.admin, "/v1/funds/batches?month=2026-11", file.as_bytes());
    seen.push(v.to_string());
    assert_eq!(s, 201, "{v}");
    let b = &v["batch"];
    assert_eq!(
        (b["rows"].clone(), b["matched"].clone(), b["total"].clone()),
        (json!(11), json!(1), json!("100.00")),
        "{v}"
    );
    assert_eq!(b["payments"][0]["worker_id"], w3.as_str());
    let reasons: Vec<(i64, String)> = b["mismatches"]
        .as_array()
        .expect("m")
        .iter()
        .map(|m| (m["row_no"].as_i64().unwrap_or_default(), m["reason"].as_str().unwrap_or_default().to_string()))
        .collect();
    let expect = [
        (2, "failed: 账户冻结"),
        (3, "nobody on the roster"),
        (4, "bad amount"),
        (5, "bad amount"),
        (6, "bad amount"),
        (8, "duplicate"),
        (9, "invalid ID number"),
        (10, "no ID or card number"),
        (11, "card number is"),
        (12, "unknown status"),
    ];
    assert_eq!(reasons.len(), expect.len(), "{reasons:?}");
    for ((row, reason), (want_row, words)) in reasons.iter().zip(expect) {
        assert_eq!(*row, want_row, "{reasons:?}");
        assert!(reason.contains(words), "row {row}: {reason:?} lacks {words:?}");
    }

    // Hostile batch files and parameters: refused, nothing stored.
    let batches = f.count("SELECT count(*) FROM funds_batches");
    let before = count_payments(&f);
    let good = format!("姓名,身份证号,金额\n张三,{zhang},1\n");
    let hostile: Vec<(String, Vec<u8>, u16, &str)> = vec![
        ("/v1/funds/batches".into(), good.clone().into_bytes(), 400, "month"),
        ("/v1/funds/batches?month=2026-13".into(), good.clone().into_bytes(), 400, "month"),
        ("/v1/funds/batches?month=2026-11&paid_on=yesterday".into(), good.clone().into_bytes(), 400, "paid_on"),
        ("/v1/funds/batches?month=2026-11&mnth=1".into(), good.clone().into_bytes(), 400, "query"),
        ("/v1/funds/batches?month=2026-11".into(), vec![], 400, "file"),
        ("/v1/funds/batches?month=2026-11".into(), vec![b'x'; (8 << 20) + 1], 413, "file"),
        (
            "/v1/funds/batches?month=2026-11".into(),
            format!("姓名,金额\n{}", "某,1\n".repeat(20_001)).into_bytes(),
            413,
            "file",
        ),
        ("/v1/funds/batches?month=2026-11".into(), b"name,amount\n\xff,1\n".to_vec(), 400, "file"),
        ("/v1/funds/batches?month=2026-11".into(), "姓名,金额\n张三,1\n".as_bytes().to_vec(), 422, "file"),
        ("/v1/funds/batches?month=2026-11".into(), format!("姓名,身份证号\n张三,{zhang}\n").into_bytes(), 422, "file"),
        ("/v1/funds/batches?month=2026-11".into(), b"PK\x03\x04junk".to_vec(), 400, "file"),
    ];
    for (path, body, status, field) in hostile {
        let (s, v) = f.upload(&f.admin, &path, &body);
        assert_eq!((s, v["field"].clone()), (status, json!(field)), "{path}: {v}");
    }
    assert_eq!(f.count("SELECT count(*) FROM funds_batches"), batches, "refused files store no batch");
    assert_eq!(count_payments(&f), before);

    // Allocations (人工费拨付) by month.
    let alloc = |body: Value| f.call(&f.admin, "POST", "/v1/funds/allocations", Some(body));
    assert_eq!(
        alloc(json!({"month": "2026-11", "received_on": "2026-11-05", "amount": "50000", "reference": "甲方拨付"})).0,
        201
    );
    assert_eq!(alloc(json!({"month": "2026-11", "received_on": "2026-11-20", "amount": "2500.5"})).0, 201);
    assert_eq!(alloc(json!({"month": "2026-12", "received_on": "2026-12-05", "amount": "1"})).0, 201);
    for (body, field) in [
        (json!({"month": "2026-00", "received_on": "2026-11-05", "amount": "1"}), "month"),
        (json!({"month": "2026-11", "received_on": "2026-11-31", "amount": "1"}), "received_on"),
        (json!({"month": "2026-11", "received_on": "2026-11-05", "amount": "0"}), "amount"),
        (json!({"month": "2026-11", "received_on": "2026-11-05", "amount": 5}), "amount"),
        (json!({"month": "2026-11", "received_on": "2026-11-05"}), "amount"),
    ] {
        let (s, v) = alloc(body.clone());
        assert!(s == 400 || s == 422, "{body}: {v}");
        assert_eq!(v["field"], field, "{body}: {v}");
    }
    let (s, v) = f.call(&f.admin, "GET", "/v1/funds/allocations?from=2026-11&to=2026-11", None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["by_month"], json!({"2026-11": "52500.50"}));
    assert_eq!(v["allocations"].as_array().map(Vec::len), Some(2));
    let (_, v) = f.call(&f.admin, "GET", "/v1/funds/allocations", None);
    assert_eq!(v["total"], "52501.50");
    assert_eq!(f.call(&f.admin, "GET", "/v1/funds/allocations?from=2026", None).0, 400);
    let (_, v) = f.call(&f.other, "GET", "/v1/funds/allocations", None);
    assert_eq!(v["allocations"], json!([]));

    // The wage pay day.
    let (s, v) = f.call(&f.admin, "GET", "/v1/funds/settings", None);
    assert_eq!((s, v["wage_pay_day"].clone(), v["is_default"].clone()), (200, json!(15), json!(true)), "{v}");
    let put = |body: Value| f.call(&f.admin, "PUT", "/v1/funds/settings", Some(body));
    let (s, v) = put(json!({"wage_pay_day": 20}));
    assert_eq!((s, v["wage_pay_day"].clone(), v["is_default"].clone()), (200, json!(20), json!(false)), "{v}");
    for (body, status) in [
        (json!({"wage_pay_day": 29}), 422),
        (json!({"wage_pay_day": 0}), 422),
        (json!({"wage_pay_day": "x"}), 400),
        (json!({"wage_pay_day": 1.5}), 400),
        (json!({"pay_day": 1}), 400),
        (json!({}), 400),
    ] {
        let (s, v) = put(body.clone());
        assert_eq!(s, status, "{body}: {v}");
    }
    assert_eq!(f.call(&f.admin, "GET", "/v1/funds/settings", None).1["wage_pay_day"], 20, "refusals keep 20");
    assert_eq!(put(json!({"wage_pay_day": null})).1["wage_pay_day"], 15);
    assert_eq!(
        f.call(&f.other, "PUT", "/v1/funds/settings", Some(json!({"wage_pay_day": 3}))).0,
        409,
        "P2 has no project row"
    );

    // No full number anywhere.
    let (_, v) = f.call(&f.admin, "GET", "/v1/funds/payments", None);
    seen.push(v.to_string());
    f.assert_nowhere(&[&zhang, &li, &wang, &zhao, &other, wang_card], &seen);
}

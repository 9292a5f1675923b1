//! Issue 21's story, end to end through the real server binary (SQLite) and the phone library:
//! the office puts four carpenters on the roster; the foreman's phone receives it, records a month
//! of sheets naming them (one line names one worker of three) and two wage advances with a photo
//! of the signed slip; the supervisor approves everything, then re-approves one sheet the foreman
//! corrected; the office uploads the bank's batch result with one row that matches nobody; then
//! the wage payment ledger and the arrears warning are checked to the cent, before and after the
//! pay day, and no full ID or card number appears in any answer.

use chrono::{Datelike, NaiveDate};
use fieldledger_tests::api::{approve_current, call_json, d, dec, fetch, import_reference, json_call};
use fieldledger_tests::blobkit::jpeg;
use fieldledger_tests::phone_core::open_phone;
use fieldledger_tests::records::reference_workbook;
use fieldledger_tests::*;
use mobile_core::ffi::types::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// A well-formed resident ID number (GB 11643 check digit) from its first 17 digits.
fn resident_id(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.chars().zip(W).map(|(c, w)| c.to_digit(10).expect("digit") * w).sum();
    format!("{first17}{}", ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize])
}

/// The crew: roster id, name, ID number, card number.
fn carpenters() -> Vec<(&'static str, &'static str, String, &'static str)> {
    vec![
        ("W0001", "张三", resident_id("32010219800101123"), "6217001234567890123"),
        ("W0002", "李四", resident_id("32010619850202234"), "6217001234567890456"),
        ("W0003", "王五", resident_id("34112219900303345"), "6217001234567890789"),
        ("W0004", "赵六", resident_id("41010519920404456"), "6217009876543210012"),
    ]
}

fn worker(id: &str, name: &str) -> Worker {
    Worker { name: name.into(), id_number: None, worker_id: Some(id.into()) }
}

/// Line A: 张三, 李四 and 王五, 8 h at 47.50/h (380.00 each). Line B: three carpenters, only 赵六
/// named, `hours` at 47.55/h.
fn lines(hours: &str) -> Vec<CrewLineInput> {
    let line = |headcount: i64, hours: &str, rate: &str, workers: Vec<Worker>| CrewLineInput {
        trade: "木工".into(),
        crew: Some("张班".into()),
        headcount,
        effort_unit: EffortUnit::Hours,
        effort: hours.into(),
        rate: rate.into(),
        cost_code: "03-100".into(),
        activity: None,
        note: None,
        workers,
        rate_unit: None,
    };
    vec![
        line(3, "8", "47.50", vec![worker("W0001", "张三"), worker("W0002", "李四"), worker("W0003", "王五")]),
        line(3, hours, "47.55", vec![worker("W0004", "赵六")]),
    ]
}

fn row<'a>(ledger: &'a Value, name: &str) -> &'a Value {
    ledger["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name} in {ledger}"))
}

fn crew_rest(ledger: &Value) -> &Value {
    ledger["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["status"] == "crew")
        .unwrap_or_else(|| panic!("no crew row in {ledger}"))
}

/// days, hours, gross, advances, paid, outstanding, credit of a ledger row.
fn figures(r: &Value) -> [Decimal; 7] {
    ["days", "hours", "gross", "advances", "paid", "outstanding", "credit"].map(|k| dec(&r[k]))
}

#[test]
fn a_month_of_named_labour_becomes_a_wage_ledger_and_an_arrears_warning() {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    // Office people sign in to the screens with a password; the API's office calls take an admin token.
    let admin = token_as(dir.path(), None, "P1", "admin");
    let office = admin.clone();
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();
    let base = format!("http://{addr}");
    import_reference(addr, &admin, &reference_workbook());

    // The office's roster: full numbers go in, only masks come out.
    for (id, name, id_number, card) in carpenters() {
        let body = json!({ "id": id, "name": name, "id_number": id_number, "card_number": card,
                           "bank": "中国农业银行", "crew": "张班", "trade": "木工" });
        let (s, v) = json_call(addr, &office, "POST", "/v1/funds/workers", Some(body));
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["worker"]["id_masked"], format!("{}**********{}", &id_number[..4], &id_number[14..]), "{v}");
    }
    // Foremen and supervisors see no wages and no roster numbers.
    for t in [&foreman, &sup] {
        assert_eq!(json_call(addr, t, "GET", "/v1/funds/workers", None).0, 403);
        assert_eq!(json_call(addr, t, "GET", "/v1/funds/wages?month=2026-10", None).0, 403);
    }

    // The phone learns the roster (names and ids only) by sync.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let phone = open_phone(dir.path(), "li");
    let sync = || {
        let r = rt.block_on(phone.sync(base.clone(), foreman.clone(), None, None)).expect("sync");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    };
    sync();
    let roster = phone.roster("P1".into()).expect("roster");
    assert_eq!(roster.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(), ["张三", "李四", "王五", "赵六"]);

    // October 2026, Monday to Saturday: 27 sheets.
    let days: Vec<NaiveDate> = (1..=31)
        .filter_map(|d| NaiveDate::from_ymd_opt(2026, 10, d))
        .filter(|d| d.weekday() != chrono::Weekday::Sun)
        .collect();
    assert_eq!(days.len(), 27);
    let mut sheets = Vec::new();
    for day in &days {
        let sheet = phone
            .create_labour_sheet(NewLabourSheet {
                project_id: "P1".into(),
                site_id: "S1".into(),
                time_zone: None,
                work_date: day.to_string(),
                currency: None,
                note: None,
            })
            .expect("sheet");
        let changes = lines("7.5").into_iter().map(|l| CrewLineChange::Add { line: l }).collect();
        let sheet = phone.set_crew_lines(sheet.info.id.clone(), changes).expect("lines");
        sheets.push((sheet.info.id.clone(), sheet.lines));
    }
    // Two advances (借支) on site, one with the signed slip photographed.
    let place = RecordPlace { project_id: "P1".into(), site_id: "S1".into(), time_zone: None };
    let advance = |date: &str, id: &str, name: &str, amount: &str| {
        phone
            .create_wage_advance(
                place.clone(),
                WageAdvanceInput {
                    date: date.into(),
                    worker: worker(id, name),
                    crew: Some("张班".into()),
                    amount: amount.into(),
                    currency: None,
                    reason: "家里急用".into(),
                    note: None,
                },
            )
            .expect("advance")
    };
    let a1 = advance("2026-10-10", "W0001", "张三", "500.00");
    let a2 = advance("2026-10-20", "W0002", "李四", "300");
    let slip = dir.path().join("slip.jpg");
    std::fs::write(&slip, jpeg(640, 480, 7, true)).expect("slip");
    rt.block_on(phone.attach_photo(a1.info.id.clone(), slip.display().to_string(), PhotoContext::default()))
        .expect("attach the slip");
    sync();

    for (id, _) in &sheets {
        approve_current(addr, &sup, id);
    }
    approve_current(addr, &sup, &a1.info.id);
    approve_current(addr, &sup, &a2.info.id);

    // The foreman corrects line B of 15 October to 8 hours; the supervisor approves it again.
    let i15 = days.iter().position(|d| d.day() == 15).expect("the 15th");
    let (id15, lines15) = &sheets[i15];
    let mut corrected = lines("8").remove(1);
    corrected.workers = vec![worker("W0004", "赵六")];
    phone
        .set_crew_lines(id15.clone(), vec![CrewLineChange::Update { line_id: lines15[1].id.clone(), line: corrected }])
        .expect("correct");
    sync();
    let again = approve_current(addr, &sup, id15);
    assert_eq!(again["reversals"], 2, "{again}");

    // Line A: 3 × 8 h × 47.50 = 1,140.00, 380.00 each. Line B: 3 × 7.5 h × 47.55 = 1,069.875 →
    // 1,069.88, shares 356.63 (赵六), 356.63 + 356.62 (the unnamed two); on the 15th 3 × 8 × 47.55
    // = 1,141.20: 380.40 each.
    let (s, ledger) = json_call(addr, &office, "GET", "/v1/funds/wages?month=2026-10", None);
    assert_eq!(s, 200, "{ledger}");
    let z = Decimal::ZERO;
    assert_eq!(figures(row(&ledger, "张三")), [d("27"), d("216"), d("10260.00"), d("500.00"), z, d("9760.00"), z]);
    assert_eq!(figures(row(&ledger, "李四")), [d("27"), d("216"), d("10260.00"), d("300.00"), z, d("9960.00"), z]);
    assert_eq!(figures(row(&ledger, "王五")), [d("27"), d("216"), d("10260.00"), z, z, d("10260.00"), z]);
    // 赵六: 26 × 356.63 + 380.40; 26 × 7.5 + 8 = 203 h, ÷ 8 = 25.375 days.
    assert_eq!(figures(row(&ledger, "赵六")), [d("25.375"), d("203"), d("9652.78"), z, z, d("9652.78"), z]);
    // The crew's unnamed two: 26 × 713.25 + 760.80.
    assert_eq!(figures(crew_rest(&ledger)), [d("50.75"), d("406"), d("19305.30"), z, z, d("19305.30"), z]);
    assert_eq!(dec(&ledger["totals"]["gross"]), d("59738.08"));

    // The bank's result: 张三 by ID number, 李四 by card only, 王五 paid in part, and 钱七, who is
    // on nobody's roster (the one mismatch).
    let c = carpenters();
    let csv = format!(
        "姓名,身份证号,银行卡号,金额,状态\n张三,{},,9760.00,成功\n李四,,{},9960.00,成功\n王五,{},,5000.00,成功\n钱七,{},,4100.00,成功\n",
        c[0].2,
        c[1].3,
        c[2].2,
        resident_id("51010719880505567")
    );
    let path = "/v1/funds/batches?month=2026-10&file_name=代发结果.csv&paid_on=2026-11-10";
    let (s, batch) = call_json(addr, &office, "POST", path, csv.as_bytes(), "text/csv");
    assert_eq!(s, 201, "{batch}");
    let mismatches = batch["batch"]["mismatches"].as_array().expect("mismatches");
    assert_eq!(mismatches.len(), 1, "{batch}");
    assert_eq!(mismatches[0]["name"], "钱七");
    assert_eq!(call_json(addr, &office, "POST", path, csv.as_bytes(), "text/csv").0, 409, "the same file twice");

    let (_, ledger) = json_call(addr, &office, "GET", "/v1/funds/wages?month=2026-10", None);
    assert_eq!(figures(row(&ledger, "张三"))[4..], [d("9760.00"), z, z]);
    assert_eq!(figures(row(&ledger, "李四"))[4..], [d("9960.00"), z, z]);
    assert_eq!(figures(row(&ledger, "王五"))[4..], [d("5000.00"), d("5260.00"), z]);
    let t = &ledger["totals"];
    assert_eq!(
        ["gross", "advances", "paid", "outstanding", "credit"].map(|k| dec(&t[k])),
        [d("59738.08"), d("800.00"), d("24720.00"), d("34218.08"), z]
    );

    // The owner's allocation for October falls short of its wages.
    let body = json!({ "month": "2026-10", "received_on": "2026-10-28", "amount": "50000.00", "reference": "人工费拨付 10月" });
    assert_eq!(json_call(addr, &office, "POST", "/v1/funds/allocations", Some(body)).0, 201);

    // Due on 15 November (the default pay day): not yet overdue on the 15th, overdue on the 16th.
    let (s, early) = json_call(addr, &office, "GET", "/v1/funds/arrears?as_of=2026-11-15", None);
    assert_eq!(s, 200, "{early}");
    assert_eq!(dec(&early["totals"]["outstanding"]), z, "{early}");
    let (_, late) = json_call(addr, &office, "GET", "/v1/funds/arrears?as_of=2026-11-16", None);
    let october = late["months"].as_array().expect("months").iter().find(|m| m["month"] == "2026-10").expect("Oct");
    assert_eq!(october["overdue"], true, "{late}");
    assert_eq!(dec(&october["outstanding"]), d("34218.08"));
    assert_eq!(october["workers"], 3, "王五, 赵六 and the crew's unnamed two: {october}");
    assert_eq!(dec(&late["totals"]["outstanding"]), d("34218.08"));
    let alloc = late["allocations"].as_array().expect("allocations").iter().find(|m| m["month"] == "2026-10");
    let alloc = alloc.expect("October's allocation");
    assert_eq!((alloc["flagged"].clone(), dec(&alloc["shortfall"])), (json!(true), d("9738.08")), "{alloc}");

    // 王五 leaves the site: phones stop offering him, and the sheets that name him stay editable.
    let body = json!({ "status": "left", "left_on": "2026-11-30" });
    let (s, v) = json_call(addr, &office, "PUT", "/v1/funds/workers/W0003", Some(body));
    assert_eq!(s, 200, "{v}");
    sync();
    let roster = phone.roster("P1".into()).expect("roster");
    assert_eq!(roster.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(), ["张三", "李四", "赵六"]);
    let (id31, lines31) = sheets.last().expect("the 31st");
    let patch = CrewLinePatch { note: Some("王五 left on 30 November".into()), ..Default::default() };
    phone
        .set_crew_lines(id31.clone(), vec![CrewLineChange::Edit { line_id: lines31[0].id.clone(), patch }])
        .expect("a sheet naming a leaver stays editable");
    sync();
    approve_current(addr, &sup, id31);

    // The statutory export: masked numbers only, one row per worker.
    let (s, file) = fetch(addr, &office, "/v1/funds/wages?month=2026-10&format=csv&lang=zh-CN");
    assert_eq!(s, 200);
    let text = String::from_utf8_lossy(&file);
    assert!(text.contains("3201**********") && text.contains("9652.78"), "{text}");
    let (s, xlsx) = fetch(addr, &office, "/v1/funds/wages?month=2026-10&format=xlsx");
    assert_eq!((s, xlsx.starts_with(b"PK")), (200, true));
    // No answer or export carries a full ID or card number.
    let answers = [ledger.to_string(), late.to_string(), batch.to_string(), text.to_string(), {
        let (_, v) = json_call(addr, &office, "GET", "/v1/funds/workers", None);
        v.to_string()
    }];
    for (_, _, id_number, card) in carpenters() {
        for a in &answers {
            assert!(!a.contains(&id_number) && !a.contains(card), "a full number leaked: {a}");
        }
    }
}

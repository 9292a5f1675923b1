//! Cash flow end to end (issue 21, `GET /v1/funds/cashflow`), on SQLite and PostgreSQL: budgets
//! phased by the schedule's planned values, approved cost from the ledger, payments by the month
//! they were paid, cumulatives, payables by age as of a day, the CSV exports, the company view and
//! who may read them. Every figure checked to the cent.

mod common;

use common::api::*;
use common::phone::SimPhone;
use common::records::{crew_line, expense, expense_doc, header, workbook};
use common::*;
use record_schema::{Currency, Effort, LabourSheet};
use serde_json::Value;

const SHEET: &str = "0193a000-0000-7000-8000-0000000000c1";
const VENDOR_EXPENSE: &str = "0193a000-0000-7000-8000-0000000000c2";
const OWN_EXPENSE: &str = "0193a000-0000-7000-8000-0000000000c3";

/// 03-100 (122 000) along A1 (61 000, Oct–Nov: twice its PV); 03-200 (30 500) along A2 (Nov–Dec);
/// 05 (9 200) has no activity: 100 a day over the project's span, 2026-10-01..2026-12-31 (92 days).
fn book() -> Vec<u8> {
    workbook(&[
        ("project", &[&["name", "currency"], &["一号楼", "CNY"]]),
        ("sites", &[&["id", "name", "time_zone"], &["S1", "东区工地", "Asia/Shanghai"]]),
        (
            "cost_codes",
            &[
                &["code", "name", "parent", "budget"],
                &["03", "混凝土工程", "", "0"],
                &["03-100", "模板", "03", "122000"],
                &["03-200", "钢筋", "03", "30500"],
                &["05", "临时设施", "", "9200"],
            ],
        ),
        (
            "activities",
            &[
                &["id", "name", "planned_start", "planned_finish", "budget", "cost_code"],
                &["A1", "三层模板", "2026-10-01", "2026-11-30", "61000", "03-100"],
                &["A2", "三层钢筋", "2026-11-01", "2026-12-31", "30500", "03-200"],
            ],
        ),
        ("trades", &[&["name", "day_rate", "hour_rate"], &["木工", "380", "47.5"], &["钢筋工", "360", "45"]]),
    ])
}

fn payment(id: &str, kind: &str, payee: &str, month: &str, paid_on: &str, minor: i64) -> String {
    let month = if month.is_empty() { "NULL".to_string() } else { format!("'{month}'") };
    let payee = if payee.is_empty() { "NULL".to_string() } else { format!("'{payee}'") };
    format!(
        "INSERT INTO funds_payments (id, project_id, kind, worker_id, crew, payee, month, paid_on, payer_account, \
         currency, amount_minor, reference, batch_id, reverses, recorded_by, recorded_at_ms) VALUES \
         ('{id}', 'P1', '{kind}', NULL, NULL, {payee}, {month}, '{paid_on}', '专户', 'CNY', {minor}, 'ref', NULL, NULL, \
         'test', 1)"
    )
}

fn money(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn column(report: &Value, key: &str) -> Vec<String> {
    report["months"].as_array().expect("months").iter().map(|m| money(&m[key])).collect()
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();
    import_reference(addr, &admin, &book());

    // The foreman's day of 2026-11-20 (6 × 8 h × 47.50 = 2 280.00), an expense owed to a vendor
    // (1 280.50, 2026-11-20) and one he paid himself (300.25, 2026-10-05).
    let sheet = LabourSheet {
        header: header(SHEET, "P1"),
        work_date: "2026-11-20".parse().expect("date"),
        currency: Currency::Cny,
        lines: vec![crew_line("l1", 6, Effort::Hours(d("8")), "47.50", "03-100", "A1")],
        note: None,
    };
    let mut vendor = expense(VENDOR_EXPENSE, "P1");
    vendor.vendor = Some("建材公司".into());
    let mut own = expense(OWN_EXPENSE, "P1");
    own.date = "2026-10-05".parse().expect("date");
    own.amount = d("300.25");
    let mut li = SimPhone::new(foreman.clone());
    li.docs.insert(SHEET.into(), records::sheet_doc(&sheet));
    li.docs.insert(VENDOR_EXPENSE.into(), expense_doc(&vendor));
    li.docs.insert(OWN_EXPENSE.into(), expense_doc(&own));
    assert!(li.sync(addr).errors.is_empty());
    for id in [SHEET, VENDOR_EXPENSE, OWN_EXPENSE] {
        approve_current(addr, &sup, id);
    }
    // The approvals' payables (funds::stored writes them in the decision's transaction).
    let payables = db::count(
        dir.path(),
        url,
        "SELECT COUNT(*) FROM funds_entries WHERE kind IN ('vendor', 'reimbursement') AND entry = 'posting'",
    );
    assert_eq!(payables, 2, "one payable per approved expense");
    let reimbursed = db::count(
        dir.path(),
        url,
        "SELECT COUNT(*) FROM funds_entries WHERE kind = 'reimbursement' AND payee = 'li' AND amount_minor = 30025",
    );
    assert_eq!(reimbursed, 1, "the expense without a vendor is owed to its author, li");

    // Payments: 100.00 back to li in October, 500.00 to the vendor in November, a wage payment of
    // 1 000.00 in December.
    exec(
        dir.path(),
        url,
        vec![
            payment("pay-1", "reimbursement", "li", "", "2026-10-20", 10_000),
            payment("pay-2", "vendor", "建材公司", "", "2026-11-25", 50_000),
            payment("pay-3", "wage", "", "2026-11-01", "2026-12-01", 100_000),
        ],
    );

    let path = "/v1/funds/cashflow?from=2026-10&to=2027-01&as_of=2026-12-31";
    let (s, r) = json_call(addr, &sup, "GET", path, None);
    assert_eq!(s, 200, "{r}");
    assert_eq!(column(&r, "month"), ["2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"]);
    // Planned: Oct 62 000 (A1 31/61 twice) + 3 100; Nov 60 000 + 15 000 (A2 30/61) + 3 000;
    // Dec 15 500 + 3 100; nothing in January.
    assert_eq!(column(&r, "planned"), ["65100.00", "78000.00", "18600.00", "0.00"]);
    assert_eq!(column(&r, "planned_cumulative"), ["65100.00", "143100.00", "161700.00", "161700.00"]);
    assert_eq!(column(&r, "approved"), ["300.25", "3560.50", "0", "null"]);
    assert_eq!(column(&r, "approved_cumulative"), ["300.25", "3860.75", "3860.75", "null"]);
    assert_eq!(column(&r, "paid"), ["100.00", "500.00", "1000.00", "null"]);
    assert_eq!(column(&r, "paid_cumulative"), ["100.00", "600.00", "1600.00", "null"]);
    assert_eq!(
        (money(&r["planned_at_completion"]), money(&r["spread_budget"])),
        ("161700.00".into(), "9200.00".into())
    );

    // Payables as of 2026-12-31: the vendor 780.50 left, 41 days old; li 200.25 left, 87 days old.
    let p = &r["payables"];
    assert_eq!(p.as_array().map(Vec::len), Some(2), "{p}");
    assert_eq!(
        (p[0]["payee"].as_str(), money(&p[0]["outstanding"]["days_31_60"])),
        (Some("建材公司"), "780.50".into())
    );
    assert_eq!((money(&p[0]["owed"]), money(&p[0]["paid"])), ("1280.50".into(), "500.00".into()));
    assert_eq!((p[1]["payee"].as_str(), money(&p[1]["outstanding"]["days_61_90"])), (Some("li"), "200.25".into()));
    let t = &r["payables_total"];
    assert_eq!(
        ["days_0_30", "days_31_60", "days_61_90", "over_90", "total"].map(|k| money(&t[k])),
        ["0", "780.50", "200.25", "0", "980.75"]
    );
    // As of 2026-11-24 the vendor was not paid yet (its payment is dated the 25th).
    let (_, early) = json_call(addr, &sup, "GET", "/v1/funds/cashflow?from=2026-11&to=2026-11&as_of=2026-11-24", None);
    let t = &early["payables_total"];
    assert_eq!(
        ["days_0_30", "days_31_60", "days_61_90", "total"].map(|k| money(&t[k])),
        ["1280.50", "200.25", "0", "1480.75"],
        "{early}"
    );
    // Opening balances: everything before November.
    assert_eq!(["planned", "approved", "paid"].map(|k| money(&early["opening"][k])), ["65100.00", "300.25", "100.00"]);
    assert_eq!(column(&early, "approved_cumulative"), ["3860.75"]);

    // An overpaid vendor shows a credit, not a negative payable.
    exec(dir.path(), url, vec![payment("pay-4", "vendor", "建材公司", "", "2026-12-02", 100_000)]);
    let (_, r) = json_call(addr, &sup, "GET", path, None);
    let vendor_row = r["payables"].as_array().expect("rows").iter().find(|p| p["payee"] == "建材公司").expect("vendor");
    assert_eq!(
        (money(&vendor_row["outstanding"]["total"]), money(&vendor_row["credit"])),
        ("0".into(), "219.50".into())
    );
    assert_eq!(
        (money(&r["payables_total"]["total"]), money(&r["payables_credit"])),
        ("200.25".into(), "219.50".into())
    );

    // Files: the months (CSV, the JSON's figures) and the payables by age.
    let (s, csv) = fetch(addr, &sup, &format!("{path}&format=csv"));
    assert_eq!(s, 200);
    let text = String::from_utf8_lossy(&csv);
    assert!(
        text.contains("month,planned,approved,paid,planned_cumulative,approved_cumulative,paid_cumulative"),
        "{text}"
    );
    assert!(text.contains("2026-11,78000.00,3560.50,500.00,143100.00,3860.75,600.00"), "{text}");
    let (s, csv) = fetch(addr, &sup, &format!("{path}&format=csv&part=payables&lang=zh-CN"));
    assert_eq!(s, 200);
    let text = String::from_utf8_lossy(&csv);
    assert!(text.contains("li,300.25,100.00,0,0,200.25,0,200.25,0"), "{text}");
    let (s, xlsx) = fetch(addr, &sup, &format!("{path}&format=xlsx"));
    assert_eq!((s, &xlsx[..2]), (200, &b"PK"[..]));

    // The company view: an admin's, over the projects they administer (this device's: P1).
    let (s, c) = json_call(addr, &admin, "GET", &format!("{path}&scope=company"), None);
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["projects"].as_array().map(Vec::len), Some(1), "{c}");
    assert_eq!(c["totals"][0]["currency"], "CNY");
    assert_eq!(column(&c["totals"][0], "paid_cumulative"), ["100.00", "600.00", "2600.00", "null"]);
    assert_eq!(money(&c["totals"][0]["payables_total"]["total"]), "200.25");

    // Who may read: supervisors and admins the project's, admins the company's; foremen nothing.
    let (s, v) = json_call(addr, &foreman, "GET", path, None);
    assert_eq!(s, 403, "{v}");
    let (s, v) = json_call(addr, &sup, "GET", &format!("{path}&scope=company"), None);
    assert_eq!(s, 403, "{v}");
    // Bad input names the field and the limit.
    for (q, field) in [
        ("from=2026-13", "from"),
        ("from=2026-10&to=2026-09", "to"),
        ("from=2020-01&to=2030-01", "to"),
        ("as_of=yesterday", "as_of"),
        ("format=pdf", "format"),
        ("part=all", "part"),
        ("scope=world", "scope"),
    ] {
        let (s, v) = json_call(addr, &sup, "GET", &format!("/v1/funds/cashflow?{q}"), None);
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{q}: {v}");
    }
    let (_, v) = json_call(addr, &sup, "GET", "/v1/funds/cashflow?from=2020-01&to=2030-01", None);
    assert!(v["message"].as_str().is_some_and(|m| m.contains("120 months")), "{v}");
    // Without months: the schedule's (October to December, today being later: up to today's month).
    let (s, v) = json_call(addr, &sup, "GET", "/v1/funds/cashflow?as_of=2026-12-31", None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(column(&v, "month"), ["2026-10-01", "2026-11-01", "2026-12-01"]);
}

#[test]
fn cashflow_on_sqlite() {
    story(None);
}

#[test]
fn cashflow_on_postgres() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

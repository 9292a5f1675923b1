//! The wage payment ledger and the arrears warning end to end (issue 21, `GET /v1/funds/wages`,
//! `GET /v1/funds/arrears`, `/metrics`), on SQLite and PostgreSQL: a sheet naming two of its four
//! workers (one on the roster, one not), an advance recorded on the phone, approvals, payments
//! (one to the roster worker, one too many to the crew), then every figure to the cent, the files
//! in the inspectors' layout, who may read them, bad parameters, and the gauges.

mod common;

use automerge::AutoCommit;
use common::api::*;
use common::phone::SimPhone;
use common::records::{crew_line, header, workbook};
use common::*;
use record_schema::{Currency, Effort, LabourSheet, Record, WageAdvance, Worker};
use serde_json::Value;

const SHEET: &str = "0193a000-0000-7000-8000-0000000000d1";
const ADVANCE: &str = "0193a000-0000-7000-8000-0000000000d2";

fn book() -> Vec<u8> {
    workbook(&[
        ("project", &[&["name", "currency"], &["一号楼", "CNY"]]),
        ("sites", &[&["id", "name", "time_zone"], &["S1", "东区工地", "Asia/Shanghai"]]),
        ("cost_codes", &[&["code", "name", "parent", "budget"], &["03-100", "模板", "", "100000"]]),
        (
            "activities",
            &[
                &["id", "name", "planned_start", "planned_finish", "budget", "cost_code"],
                &["A1", "三层模板", "2026-10-01", "2026-11-30", "61000", "03-100"],
            ],
        ),
    ])
}

fn wage_payment(id: &str, worker: &str, crew: &str, minor: i64) -> String {
    let q = |s: &str| if s.is_empty() { "NULL".to_string() } else { format!("'{s}'") };
    format!(
        "INSERT INTO funds_payments (id, project_id, kind, worker_id, crew, payee, month, paid_on, payer_account, \
         currency, amount_minor, reference, batch_id, reverses, recorded_by, recorded_at_ms) VALUES \
         ('{id}', 'P1', 'wage', {}, {}, NULL, '2026-11-01', '2026-12-05', '专户', 'CNY', {minor}, 'ref', NULL, NULL, \
         'test', 1)",
        q(worker),
        q(crew)
    )
}

fn s(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn figures(row: &Value) -> [String; 7] {
    ["days", "hours", "gross", "advances", "paid", "outstanding", "credit"].map(|k| s(&row[k]))
}

fn gauge(metrics: &str, name: &str) -> Option<i64> {
    let prefix = format!("{name}{{project=\"P1\"}} ");
    metrics.lines().find_map(|l| l.strip_prefix(&prefix)?.trim().parse().ok())
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();
    import_reference(addr, &admin, &book());
    exec(
        dir.path(),
        url,
        vec![
            "INSERT INTO workers (project_id, id, name, id_masked, crew, trade, status, updated_at_ms) VALUES \
             ('P1', 'W1', '王五', '3201**********1234', '张班', '木工', 'active', 1)"
                .into(),
        ],
    );

    // 4 木工 of 张班, 8 h at 47.50 on 2026-11-20 = 1 520.00: 王五 (W1) and 赵六 (not on the roster)
    // get 380.00 each, the two unnamed 760.00. An advance of 100.00 to 王五 on the 25th.
    let mut line = crew_line("l1", 4, Effort::Hours(d("8")), "47.50", "03-100", "A1");
    line.workers = vec![
        Worker { name: "王五".into(), id_number: None, worker_id: Some("W1".into()) },
        Worker { name: "赵六".into(), id_number: None, worker_id: None },
    ];
    let sheet = LabourSheet {
        header: header(SHEET, "P1"),
        work_date: "2026-11-20".parse().expect("date"),
        currency: Currency::Cny,
        lines: vec![line],
        note: None,
    };
    let advance = Record::WageAdvance(WageAdvance {
        header: header(ADVANCE, "P1"),
        date: "2026-11-25".parse().expect("date"),
        worker: Worker { name: "王五".into(), id_number: None, worker_id: Some("W1".into()) },
        crew: Some("张班".into()),
        amount: d("100"),
        currency: Currency::Cny,
        reason: "生活费".into(),
        slips: vec![],
        note: None,
    });
    let mut li = SimPhone::new(foreman.clone());
    li.docs.insert(SHEET.into(), records::sheet_doc(&sheet));
    let mut doc = AutoCommit::new();
    advance.write(&mut doc).expect("advance");
    li.docs.insert(ADVANCE.into(), doc);
    assert!(li.sync(addr).errors.is_empty());
    for id in [SHEET, ADVANCE] {
        approve_current(addr, &sup, id);
    }
    // 王五 was paid 200.00 for November; the crew's leader 1 000.00 for the unnamed two (240.00 too much).
    exec(dir.path(), url, vec![wage_payment("p1", "W1", "", 20_000), wage_payment("p2", "", "张班", 100_000)]);

    let (st, w) = json_call(addr, &admin, "GET", "/v1/funds/wages?month=2026-11", None);
    assert_eq!(st, 200, "{w}");
    let rows = w["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "{w}");
    assert_eq!(
        (s(&rows[0]["status"]), s(&rows[0]["key"]), s(&rows[0]["name"])),
        ("roster".into(), "W1".into(), "王五".into())
    );
    assert_eq!((s(&rows[0]["id_masked"]), s(&rows[0]["crew"])), ("3201**********1234".into(), "张班".into()));
    assert_eq!(figures(&rows[0]), ["1", "8", "380.00", "100.00", "200.00", "80.00", "0.00"]);
    assert_eq!((s(&rows[1]["status"]), s(&rows[1]["name"])), ("unconfirmed".into(), "赵六".into()));
    assert_eq!(figures(&rows[1]), ["1", "8", "380.00", "0.00", "0.00", "380.00", "0.00"]);
    assert_eq!(
        (s(&rows[2]["status"]), s(&rows[2]["key"]), &rows[2]["name"]),
        ("crew".into(), "张班".into(), &Value::Null)
    );
    assert_eq!(figures(&rows[2]), ["2", "16", "760.00", "0.00", "1000.00", "0.00", "240.00"]);
    assert_eq!(figures(&w["totals"]), ["4", "32", "1520.00", "100.00", "1200.00", "460.00", "240.00"]);
    assert_eq!(
        (s(&w["month"]), s(&w["currency"]), s(&w["project_name"])),
        ("2026-11".into(), "CNY".into(), "一号楼".into())
    );
    // One crew; another crew has nothing.
    let (_, c) = json_call(addr, &admin, "GET", "/v1/funds/wages?month=2026-11&crew=%E5%BC%A0%E7%8F%AD", None);
    assert_eq!(c["rows"].as_array().map(Vec::len), Some(3), "{c}");
    let (_, c) = json_call(addr, &admin, "GET", "/v1/funds/wages?month=2026-11&crew=other", None);
    assert_eq!((c["rows"].as_array().map(Vec::len), s(&c["totals"]["gross"])), (Some(0), "0".into()), "{c}");

    // The inspectors' layout: one row per worker, masked ID, an empty signature column, totals.
    let (st, csv) = fetch(addr, &admin, "/v1/funds/wages?month=2026-11&format=csv&lang=zh-CN");
    assert_eq!(st, 200);
    let text = String::from_utf8_lossy(&csv);
    assert!(
        text.contains("用人单位,项目,支付周期,姓名,工号,身份证号,工种,班组,出勤天数,工时,应发工资,借支,实发工资,欠发工资,多付,本人签字"),
        "{text}"
    );
    assert!(
        text.contains("一号楼,P1,2026-11,王五,W1,3201**********1234,木工,张班,1,8,380.00,100.00,200.00,80.00,0.00,\n"),
        "{text}"
    );
    assert!(text.contains("赵六（未确认）"), "{text}");
    assert!(text.contains("张班未具名人员"), "{text}");
    assert!(text.contains("一号楼,P1,2026-11,合计,,,,,4,32,1520.00,100.00,1200.00,460.00,240.00,\n"), "{text}");
    let (st, csv) = fetch(addr, &admin, "/v1/funds/wages?month=2026-11&format=csv");
    assert_eq!(st, 200);
    assert!(String::from_utf8_lossy(&csv).contains("employer,project,period,name,worker_id,id_number"));
    let (st, xlsx) = fetch(addr, &admin, "/v1/funds/wages?month=2026-11&format=xlsx&lang=en");
    assert_eq!((st, &xlsx[..2]), (200, &b"PK"[..]));

    // Arrears: November's wages are due on 15 December (the default pay day).
    let (st, a) = json_call(addr, &admin, "GET", "/v1/funds/arrears?as_of=2026-12-15", None);
    assert_eq!(st, 200, "{a}");
    assert_eq!((a["months"][0]["overdue"].as_bool(), s(&a["totals"]["outstanding"])), (Some(false), "0".into()), "{a}");
    let (_, a) = json_call(addr, &admin, "GET", "/v1/funds/arrears?as_of=2026-12-16", None);
    let m = &a["months"][0];
    assert_eq!(
        (s(&m["month"]), s(&m["due_on"]), m["overdue"].as_bool()),
        ("2026-11".into(), "2026-12-15".into(), Some(true))
    );
    assert_eq!((s(&m["outstanding"]), m["workers"].as_u64()), ("460.00".into(), Some(2)));
    assert_eq!((s(&m["crews"][0]["crew"]), s(&m["crews"][0]["outstanding"])), ("张班".into(), "460.00".into()));
    assert_eq!((s(&a["totals"]["outstanding"]), a["totals"]["workers"].as_u64()), ("460.00".into(), Some(2)));
    // No labour-cost allocation yet: 1 520.00 short; 2 000.00 received covers it.
    assert_eq!(
        (s(&a["allocations"][0]["shortfall"]), a["allocations"][0]["flagged"].as_bool()),
        ("1520.00".into(), Some(true))
    );
    exec(
        dir.path(),
        url,
        vec![
            "INSERT INTO labour_allocations (id, project_id, month, received_on, currency, amount_minor, reference, \
              recorded_by, recorded_at_ms) VALUES ('a1', 'P1', '2026-11-01', '2026-11-28', 'CNY', 200000, 'r', 't', 1)"
                .into(),
        ],
    );
    let (_, a) = json_call(addr, &admin, "GET", "/v1/funds/arrears?as_of=2026-12-16", None);
    assert_eq!(
        (s(&a["allocations"][0]["shortfall"]), a["allocations"][0]["flagged"].as_bool()),
        ("0.00".into(), Some(false))
    );

    // The gauges: with pay day 1, November is overdue today (any day since 2026-12-01).
    exec(dir.path(), url, vec!["UPDATE projects SET wage_pay_day = 1 WHERE id = 'P1'".into()]);
    let (_, a) = json_call(addr, &admin, "GET", "/v1/funds/arrears", None);
    assert_eq!((a["pay_day"].as_u64(), s(&a["totals"]["outstanding"])), (Some(1), "460.00".into()), "{a}");
    let text = metrics::scrape(addr);
    assert_eq!(gauge(&text, "fieldledger_wage_arrears_minor"), Some(46_000), "{text}");
    assert_eq!(gauge(&text, "fieldledger_wage_arrears_workers"), Some(2));
    // A payment moves them at the next scrape.
    exec(dir.path(), url, vec![wage_payment("p3", "W1", "", 8_000)]);
    let text = metrics::scrape(addr);
    assert_eq!(gauge(&text, "fieldledger_wage_arrears_minor"), Some(38_000), "{text}");
    assert_eq!(gauge(&text, "fieldledger_wage_arrears_workers"), Some(1));

    // Office and admin only; bad parameters name the field.
    for t in [&sup, &foreman] {
        for path in ["/v1/funds/wages?month=2026-11", "/v1/funds/arrears"] {
            let (st, v) = json_call(addr, t, "GET", path, None);
            assert_eq!(st, 403, "{path}: {v}");
        }
    }
    for (q, field) in [
        ("/v1/funds/wages", "month"),
        ("/v1/funds/wages?month=2026-13", "month"),
        ("/v1/funds/wages?month=1999-12", "month"),
        ("/v1/funds/wages?month=2026-11&format=pdf", "format"),
        ("/v1/funds/arrears?as_of=2026-12-32", "as_of"),
        ("/v1/funds/arrears?as_of=yesterday", "as_of"),
    ] {
        let (st, v) = json_call(addr, &admin, "GET", q, None);
        assert_eq!((st, v["field"].as_str()), (400, Some(field)), "{q}: {v}");
    }
}

#[test]
fn wages_and_arrears_on_sqlite() {
    story(None);
}

#[test]
fn wages_and_arrears_on_postgres() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

//! Report dates through the real server binary:
//!
//! * `today_is_the_sites_date`: with the server's clock set (`FIELDLEDGER_TEST_NOW`, a test hook)
//!   to 17:30 UTC on 2 March, which is 01:30 on 3 March in Shanghai, the schedule report without
//!   `at` and the cost report without `to` report as of 3 March: a progress report and a labour
//!   sheet dated 3 March count, those dated 4 March do not; the schedule page's export too.

mod common;
mod webkit;

use automerge::AutoCommit;
use chrono::NaiveDate;
use common::api::*;
use common::phone::SimPhone;
use common::records::{crew_line, header, workbook};
use common::*;
use record_schema::{Currency, Effort, LabourSheet, Progress, ProgressReport};

fn import(addr: &str, admin: &str, activities: &[&[&str]]) {
    let book = workbook(&[
        ("project", &[&["name", "currency"], &["一号楼", "CNY"]]),
        ("sites", &[&["id", "name", "time_zone"], &["S1", "东区工地", "Asia/Shanghai"]]),
        ("cost_codes", &[&["code", "name", "parent", "budget"], &["03-100", "模板", "", "100000"]]),
        ("activities", activities),
        ("trades", &[&["name", "day_rate", "hour_rate"], &["木工", "380", "47.5"]]),
    ]);
    import_reference(addr, admin, &book);
}

fn progress_doc(id: &str, date: NaiveDate, percent: &str) -> AutoCommit {
    let p = ProgressReport {
        header: header(id, "P1"),
        date,
        activity: "A1".into(),
        progress: Progress::Percent(d(percent)),
        caption: None,
        photos: vec![],
    };
    let mut doc = AutoCommit::new();
    p.write(&mut doc).expect("write progress");
    doc
}

#[test]
fn today_is_the_sites_date() {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    // 17:30 UTC on 2 March is 01:30 on 3 March in Shanghai.
    let server =
        start_on_env(dir.path(), None, "127.0.0.1:0", &[], &[("FIELDLEDGER_TEST_NOW", "2026-03-02T17:30:00Z")]);
    let addr = server.addr.as_str();
    import(
        addr,
        &admin,
        &[
            &["id", "name", "planned_start", "planned_finish", "budget", "cost_code"],
            &["A1", "三层模板", "2026-03-01", "2026-03-10", "50000", "03-100"],
        ],
    );
    let (mar3, mar4) =
        (NaiveDate::from_ymd_opt(2026, 3, 3).expect("date"), NaiveDate::from_ymd_opt(2026, 3, 4).expect("date"));
    let ids = [
        "0193a000-0000-7000-8000-0000000000d1",
        "0193a000-0000-7000-8000-0000000000d2",
        "0193a000-0000-7000-8000-0000000000d3",
        "0193a000-0000-7000-8000-0000000000d4",
    ];
    let mut phone = SimPhone::new(foreman);
    // 6 × 8 h × 47.50 = 2,280.00 on 3 March, site time.
    let sheet = LabourSheet {
        header: header(ids[0], "P1"),
        work_date: mar3,
        currency: Currency::Cny,
        lines: vec![crew_line("l1", 6, Effort::Hours(d("8")), "47.50", "03-100", "A1")],
        note: None,
    };
    phone.docs.insert(ids[0].into(), records::sheet_doc(&sheet));
    // Tomorrow's sheet, prepared ahead: 1 × 8 h × 47.50 = 380.00 on 4 March.
    let tomorrow = LabourSheet {
        header: header(ids[3], "P1"),
        work_date: mar4,
        lines: vec![crew_line("l1", 1, Effort::Hours(d("8")), "47.50", "03-100", "A1")],
        ..sheet
    };
    phone.docs.insert(ids[3].into(), records::sheet_doc(&tomorrow));
    phone.docs.insert(ids[1].into(), progress_doc(ids[1], mar3, "40"));
    phone.docs.insert(ids[2].into(), progress_doc(ids[2], mar4, "90"));
    let t = phone.sync(addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    for id in ids {
        approve_current(addr, &sup, id);
    }

    let (s, sched) = json_call(addr, &sup, "GET", "/v1/reports/schedule", None);
    assert_eq!(s, 200, "{sched}");
    assert_eq!(sched["at"], "2026-03-03", "today in Shanghai: {sched}");
    let a1 = &sched["activities"][0];
    // 3 of 10 planned days; 40% reported on 3 March (the 90% of 4 March is tomorrow).
    assert_eq!((dec(&a1["planned_percent"]), dec(&a1["actual_percent"])), (d("30"), d("40")), "{sched}");
    assert_eq!((dec(&a1["ev"]), dec(&a1["ac"])), (d("20000"), d("2280")), "{sched}");

    // Without `to`, the cost report is as of the same day: actuals and earned value of 3 March.
    let (s, cost) = json_call(addr, &sup, "GET", "/v1/reports/cost", None);
    assert_eq!(s, 200, "{cost}");
    let code = &cost["codes"][0];
    assert_eq!((dec(&code["actual"]), dec(&code["earned"])), (d("2280"), d("20000")), "{cost}");
    let (_, from_today) = json_call(addr, &sup, "GET", "/v1/reports/cost?from=2026-03-03", None);
    let code = &from_today["codes"][0];
    assert_eq!((dec(&code["actual"]), dec(&code["earned"])), (d("2280"), d("20000")), "{from_today}");
    // The screens share the default: the schedule page's export without `at` is of 3 March.
    let r = webkit::sign_in(addr, &sup, "%2Fweb%2Fschedule");
    assert_eq!(r.status, 303, "{}", r.text());
    let session = webkit::session_of(&r);
    let r = webkit::http(addr, "GET", "/web/schedule/export?format=csv", &[("Cookie", &session)], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let disposition = r.header("content-disposition").unwrap_or_default();
    assert!(disposition.starts_with("attachment; filename=\"schedule_P1_2026-03-03.csv\""), "{disposition}");
    // Planned 30%, actual 40%: as of 3 March.
    assert!(r.text().contains("\nA1,三层模板,2026-03-01,2026-03-10,50000.00,30,40,"), "{}", r.text());

    // Asked for, 4 March is there.
    let (_, later) = json_call(addr, &sup, "GET", "/v1/reports/cost?to=2026-03-04", None);
    let code = &later["codes"][0];
    assert_eq!((dec(&code["actual"]), dec(&code["earned"])), (d("2660"), d("45000")), "{later}");
}

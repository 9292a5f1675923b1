//! Report dates that would make an answer without end, through the real server binary:
//!
//! * `dates_are_bounded`: a date outside 2000-01-01..=2100-12-31 or not written YYYY-MM-DD is
//!   refused with 400 naming the parameter and the range; a normal date still works.
//! * `s_curve_is_bounded`: an activity planned over a century gives an S-curve of a bounded number
//!   of points.

mod common;

use common::api::{import_reference, json_call};
use common::records::workbook;
use common::*;
use serde_json::json;

#[test]
fn dates_are_bounded() {
    let dir = tempfile::tempdir().expect("dir");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let server = start(dir.path());
    let addr = server.addr.as_str();
    for (path, field) in [
        ("/v1/reports/schedule?at=%2B262142-12-31", "at"),
        ("/v1/reports/schedule?at=-0001-01-01", "at"),
        ("/v1/reports/schedule?at=1999-12-31", "at"),
        ("/v1/reports/schedule?at=2101-01-01", "at"),
        ("/v1/reports/schedule?at=2026-3-3", "at"),
        ("/v1/reports/cost?from=%2B262142-12-31", "from"),
        ("/v1/reports/cost?to=%2B262142-12-31", "to"),
        ("/v1/reports/cost?from=0001-01-01&to=2026-03-03", "from"),
        ("/v1/reports/labour?from=2026-03-01&to=9999-12-31", "to"),
        ("/v1/reports/labour?from=%2B262142-01-01", "from"),
        ("/v1/approvals/pending?from=%2B262142-12-31", "from"),
    ] {
        let (s, v) = json_call(addr, &sup, "GET", path, None);
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{path}: {v}");
        let m = v["message"].as_str().expect("message");
        assert!(m.contains("2000-01-01") && m.contains("2100-12-31"), "{path}: the range is named: {m}");
    }
    for path in [
        "/v1/reports/schedule?at=2026-03-03",
        "/v1/reports/schedule?at=2000-01-01",
        "/v1/reports/schedule?at=2100-12-31",
        "/v1/reports/cost?from=2000-01-01&to=2100-12-31",
        "/v1/reports/labour?from=2026-03-01&to=2026-03-31",
    ] {
        let (s, v) = json_call(addr, &sup, "GET", path, None);
        assert_eq!(s, 200, "{path}: {v}");
    }
}

#[test]
fn s_curve_is_bounded() {
    let dir = tempfile::tempdir().expect("dir");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start(dir.path());
    let addr = server.addr.as_str();
    let book = workbook(&[
        ("sites", &[&["id", "name", "time_zone"], &["S1", "东区工地", "Asia/Shanghai"]]),
        (
            "activities",
            &[
                &["id", "name", "planned_start", "planned_finish", "budget"],
                &["A1", "百年", "2000-01-01", "2100-12-31", "50000"],
            ],
        ),
    ]);
    import_reference(addr, &admin, &book);
    let (s, sched) = json_call(addr, &sup, "GET", "/v1/reports/schedule?at=2026-03-03", None);
    assert_eq!(s, 200, "{sched}");
    let curve = sched["s_curve"].as_array().expect("s_curve");
    assert!(curve.len() <= 400, "{} points", curve.len());
    // Still the whole span, with `at` on it.
    assert_eq!(curve.first().map(|p| &p["date"]), Some(&json!("2000-01-01")));
    assert_eq!(curve.last().map(|p| &p["date"]), Some(&json!("2100-12-31")));
    assert!(curve.iter().any(|p| p["date"] == "2026-03-03"));
}

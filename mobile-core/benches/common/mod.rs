//! What the phone library's benchmarks share.

use mobile_core::ffi::types::{CrewLineInput, EffortUnit};

/// Crew line `i` of a realistic sheet: trades, crews and headcounts vary; every third works 9.5 h.
pub fn line(i: usize) -> CrewLineInput {
    const TRADES: [&str; 5] = ["木工", "钢筋工", "混凝土工", "瓦工", "普工"];
    CrewLineInput {
        trade: TRADES[i % TRADES.len()].into(),
        crew: Some(format!("班组{}", i % 7)),
        headcount: (i % 25 + 1) as i64,
        effort_unit: EffortUnit::Hours,
        effort: if i.is_multiple_of(3) { "9.5".into() } else { "8".into() },
        rate: "47.50".into(),
        cost_code: "03-100".into(),
        activity: Some("A-POUR-L3".into()),
        note: None,
        workers: vec![],
        rate_unit: None,
    }
}

//! What an approved record version owes or advances (`funds_entries`): pure, exact, no database,
//! beside `ledger::postings` and computed from the same version.
//!
//! * Labour sheet: each crew line's posted amount (`currency.round(line.cost())`, the cost
//!   posting's amount) is wages payable (`wage`), split into `headcount` equal shares. The minor
//!   units left over by the division go one each to the first shares (the largest-remainder rule:
//!   equal shares have equal remainders, so line order breaks the tie), so the shares sum to the
//!   line exactly. The first k shares (k = the line's named workers, in the line's order) go one
//!   per named worker; the rest of the crew is ONE row without a name and with headcount − k.
//!   Person-days and person-hours are split the same way, in millionths (the ledger's unit).
//! * Wage advance (借支) → `advance` to its worker.
//! * Expense → owed to its vendor (`vendor`, payee = the vendor) when it names one, else a
//!   reimbursement to the foreman who paid (`reimbursement`, payee = the record's author).
//! * Progress report, or a voided record → nothing.

use chrono::NaiveDate;
use record_schema::{Currency, Record};
use rust_decimal::Decimal;

use crate::ledger::postings::{from_micro, from_minor, to_micro, to_minor};

/// The kinds of `funds_entries.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FundsKind {
    Wage,
    Advance,
    Vendor,
    Reimbursement,
}

impl FundsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FundsKind::Wage => "wage",
            FundsKind::Advance => "advance",
            FundsKind::Vendor => "vendor",
            FundsKind::Reimbursement => "reimbursement",
        }
    }
}

/// One entry's figures and dimensions (the decision, record and project are added when stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundsEntry {
    pub kind: FundsKind,
    /// The crew line's id for wages; empty otherwise.
    pub line_id: String,
    pub site_id: String,
    pub work_date: NaiveDate,
    pub crew: Option<String>,
    pub trade: Option<String>,
    /// The roster id the record names (None: a name only, or a crew's unnamed rest).
    pub worker_id: Option<String>,
    /// The worker's name as recorded (None: a crew's unnamed rest, a vendor or a reimbursement).
    pub worker_name: Option<String>,
    /// Vendor or reimbursed author.
    pub payee: Option<String>,
    pub currency: Currency,
    /// Of the currency's scale.
    pub amount: Decimal,
    pub headcount: i64,
    /// Exact in millionths (`to_micro` of it is exact).
    pub person_days: Decimal,
    pub person_hours: Decimal,
}

/// `total` split into `n` integer shares as equal as can be, the remainder one each to the first
/// shares: they sum to `total` exactly. `n` ≥ 1.
pub fn split(total: i64, n: i64) -> Vec<i64> {
    let n = n.max(1);
    let base = total.div_euclid(n);
    let rem = total.rem_euclid(n);
    (0..n).map(|i| base + i64::from(i < rem)).collect()
}

/// The entries of one approved record version.
pub fn entries(record: &Record) -> Vec<FundsEntry> {
    let h = record.header();
    if h.voided.is_some() {
        return Vec::new();
    }
    match record {
        Record::LabourSheet(s) => {
            let mut out = Vec::new();
            for line in &s.lines {
                let (hours, days) = line.person_time();
                let amount = s.currency.round(line.cost());
                let blank = FundsEntry {
                    kind: FundsKind::Wage,
                    line_id: line.id.clone(),
                    site_id: h.site_id.clone(),
                    work_date: s.work_date,
                    crew: line.crew.clone(),
                    trade: Some(line.trade.clone()),
                    worker_id: None,
                    worker_name: None,
                    payee: None,
                    currency: s.currency,
                    amount,
                    headcount: line.headcount,
                    person_days: days,
                    person_hours: hours,
                };
                out.extend(split_line(blank, &line.workers));
            }
            out
        }
        Record::Expense(e) => {
            let (kind, payee) = match e.vendor.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                Some(v) => (FundsKind::Vendor, v.to_string()),
                None => (FundsKind::Reimbursement, h.author.clone()),
            };
            vec![FundsEntry {
                kind,
                line_id: String::new(),
                site_id: h.site_id.clone(),
                work_date: e.date,
                crew: None,
                trade: None,
                worker_id: None,
                worker_name: None,
                payee: Some(payee),
                currency: e.currency,
                amount: e.currency.round(e.amount),
                headcount: 0,
                person_days: Decimal::ZERO,
                person_hours: Decimal::ZERO,
            }]
        }
        Record::WageAdvance(a) => vec![FundsEntry {
            kind: FundsKind::Advance,
            line_id: String::new(),
            site_id: h.site_id.clone(),
            work_date: a.date,
            crew: a.crew.clone(),
            trade: None,
            worker_id: a.worker.worker_id.as_deref().map(str::trim).filter(|id| !id.is_empty()).map(str::to_string),
            worker_name: Some(a.worker.name.trim().to_string()),
            payee: None,
            currency: a.currency,
            amount: a.currency.round(a.amount),
            headcount: 0,
            person_days: Decimal::ZERO,
            person_hours: Decimal::ZERO,
        }],
        Record::ProgressReport(_) | Record::Observation(_) | Record::DayLog(_) => Vec::new(),
    }
}

/// A labour line's entry (`line`, whole crew) split among its named `workers` and the unnamed rest.
fn split_line(line: FundsEntry, workers: &[record_schema::Worker]) -> Vec<FundsEntry> {
    let n = line.headcount.max(1);
    let named = workers.iter().filter(|w| !w.name.trim().is_empty()).take(n as usize).collect::<Vec<_>>();
    if named.is_empty() {
        return vec![line];
    }
    // The posted amount is of the currency's scale: its minor units are exact.
    let minor = to_minor(line.amount, line.currency).unwrap_or_default();
    let days = to_micro(line.person_days).unwrap_or_default();
    let hours = to_micro(line.person_hours).unwrap_or_default();
    let (a, d, hr) = (split(minor, n), split(days, n), split(hours, n));
    let share = |i: usize| (from_minor(a[i], line.currency), from_micro(d[i]), from_micro(hr[i]));
    let mut out = Vec::with_capacity(named.len() + 1);
    for (i, w) in named.iter().enumerate() {
        let (amount, person_days, person_hours) = share(i);
        out.push(FundsEntry {
            worker_id: w.worker_id.as_deref().map(str::trim).filter(|id| !id.is_empty()).map(str::to_string),
            worker_name: Some(w.name.trim().to_string()),
            amount,
            headcount: 1,
            person_days,
            person_hours,
            ..line.clone()
        });
    }
    let k = named.len();
    if (k as i64) < n {
        let sum = |v: &[i64]| v[k..].iter().sum::<i64>();
        out.push(FundsEntry {
            amount: from_minor(sum(&a), line.currency),
            headcount: n - k as i64,
            person_days: from_micro(sum(&d)),
            person_hours: from_micro(sum(&hr)),
            ..line
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use record_schema::record::{RecordHeader, Voided};
    use record_schema::{CrewLine, Effort, Expense, LabourSheet, TimeUnit, Worker};

    use super::*;
    use crate::ledger::postings::postings;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn header() -> RecordHeader {
        RecordHeader {
            id: "r1".into(),
            project_id: "P1".into(),
            site_id: "S1".into(),
            time_zone: "Asia/Shanghai".into(),
            author: "li".into(),
            created_at_ms: 0,
            voided: None,
        }
    }

    fn worker(name: &str, id: Option<&str>) -> Worker {
        Worker { name: name.into(), id_number: None, worker_id: id.map(str::to_string) }
    }

    fn line(headcount: i64, effort: Effort, rate: &str, workers: Vec<Worker>) -> CrewLine {
        CrewLine {
            id: "l1".into(),
            position: 0,
            trade: "木工".into(),
            crew: Some("张班".into()),
            headcount,
            effort,
            rate: d(rate),
            rate_unit: effort.unit(),
            hours_per_day: Decimal::from(8),
            cost_code: "03-100".into(),
            activity: None,
            note: None,
            workers,
        }
    }

    fn sheet(lines: Vec<CrewLine>) -> Record {
        Record::LabourSheet(LabourSheet {
            header: header(),
            work_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            currency: Currency::Cny,
            lines,
            note: None,
        })
    }

    #[test]
    fn split_spreads_the_remainder_over_the_first_shares() {
        assert_eq!(split(100, 3), vec![34, 33, 33]);
        assert_eq!(split(2, 3), vec![1, 1, 0]);
        assert_eq!(split(-100, 3), vec![-33, -33, -34]);
        assert_eq!(split(7, 1), vec![7]);
    }

    #[test]
    fn a_line_with_named_workers_and_an_unnamed_rest() {
        // 3 × 7.5 h × 43.97 = 989.325 → 989.33 posted; 98933 fen / 3 = 32977 r 2: 329.78, 329.78, 329.77.
        let r = sheet(vec![line(
            3,
            Effort::Hours(d("7.5")),
            "43.97",
            vec![worker(" 王五 ", Some("W0007")), worker("赵六", None)],
        )]);
        let e = entries(&r);
        assert_eq!(e.len(), 3);
        assert_eq!(
            (e[0].worker_id.as_deref(), e[0].worker_name.as_deref(), e[0].amount, e[0].headcount),
            (Some("W0007"), Some("王五"), d("329.78"), 1)
        );
        assert_eq!(
            (e[1].worker_id.as_deref(), e[1].worker_name.as_deref(), e[1].amount),
            (None, Some("赵六"), d("329.78"))
        );
        assert_eq!((e[2].worker_name.as_deref(), e[2].amount, e[2].headcount), (None, d("329.77"), 1));
        // 22.5 person-hours = 2.8125 person-days, split 0.9375 each (exact).
        assert!(e.iter().all(|x| x.person_days == d("0.9375") && x.person_hours == d("7.5")));
        let posted = postings(&r)[0].amount;
        assert_eq!(e.iter().map(|x| x.amount).sum::<Decimal>(), posted);
        assert!(e.iter().all(|x| x.kind == FundsKind::Wage && x.crew.as_deref() == Some("张班")));
    }

    #[test]
    fn unnamed_lines_are_one_crew_row_and_fully_named_lines_have_no_rest() {
        let r = sheet(vec![line(6, Effort::Hours(d("8")), "47.50", vec![])]);
        let e = entries(&r);
        assert_eq!((e.len(), e[0].amount, e[0].headcount, e[0].worker_name.clone()), (1, d("2280.00"), 6, None));
        // A day rate for 9.5 h at a 7.5-hour day: 2 × 9.5 × 365 ÷ 7.5 = 924.666… → 924.67, split 462.34 + 462.33;
        // person-days 2.533333 (millionths) split 1.266667 + 1.266666.
        let mut l = line(2, Effort::Hours(d("9.5")), "365", vec![worker("甲", None), worker("乙", None)]);
        l.rate_unit = TimeUnit::Day;
        l.hours_per_day = d("7.5");
        let e = entries(&sheet(vec![l]));
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].amount, e[1].amount), (d("462.34"), d("462.33")));
        assert_eq!((e[0].person_days, e[1].person_days), (d("1.266667"), d("1.266666")));
        assert_eq!((e[0].person_hours, e[1].person_hours), (d("9.5"), d("9.5")));
    }

    #[test]
    fn expenses_to_vendors_or_reimbursed_and_voids_owe_nothing() {
        let expense = |vendor: Option<&str>| {
            Record::Expense(Expense {
                header: header(),
                date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
                amount: d("1234.5"),
                currency: Currency::Cny,
                category: "materials".into(),
                vendor: vendor.map(str::to_string),
                cost_code: "05-200".into(),
                note: None,
                receipts: vec![],
            })
        };
        let v = entries(&expense(Some("建材公司")));
        assert_eq!(
            (v[0].kind, v[0].payee.as_deref(), v[0].amount),
            (FundsKind::Vendor, Some("建材公司"), d("1234.50"))
        );
        let r = entries(&expense(None));
        assert_eq!((r[0].kind, r[0].payee.as_deref()), (FundsKind::Reimbursement, Some("li")));
        let mut voided = sheet(vec![line(6, Effort::Hours(d("8")), "47.50", vec![])]);
        voided.header_mut().voided = Some(Voided { reason: "duplicate".into(), by: "li".into(), at_ms: 1 });
        assert!(entries(&voided).is_empty());
    }

    #[test]
    fn an_advance_is_owed_back_by_its_worker() {
        let a = Record::WageAdvance(record_schema::WageAdvance {
            header: header(),
            date: NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
            worker: worker(" 王五 ", Some("W1")),
            crew: Some("张班".into()),
            amount: d("300.5"),
            currency: Currency::Cny,
            reason: "生活费".into(),
            slips: vec![],
            note: None,
        });
        let e = entries(&a);
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].kind, e[0].worker_id.as_deref(), e[0].worker_name.as_deref(), e[0].amount, e[0].headcount),
            (FundsKind::Advance, Some("W1"), Some("王五"), d("300.50"), 0)
        );
        assert_eq!((e[0].crew.as_deref(), e[0].work_date.to_string()), (Some("张班"), "2026-11-25".to_string()));
        // Postings: none (an advance is not a cost).
        assert!(postings(&a).is_empty());
    }

    proptest::proptest! {
        /// Shares sum exactly to the line's posted amount, person-days and person-hours, for any
        /// headcount, names and rate; named workers get one share each, the rest one row.
        #[test]
        fn shares_sum_to_the_line(
            headcount in 1i64..=60,
            names in proptest::collection::vec(proptest::option::of("[a-c ]{0,3}"), 0..12),
            rate_cents in 1i64..2_000_000,
            hours_q in 1i64..=96,
            per_day in proptest::sample::select(vec!["8", "7.5", "9", "10"]),
            day_rate in proptest::bool::ANY,
        ) {
            let workers: Vec<Worker> = names
                .iter()
                .take(headcount as usize)
                .enumerate()
                .map(|(i, n)| worker(n.as_deref().unwrap_or("x"), (i % 2 == 0).then_some("W1")))
                .collect();
            let mut l = line(headcount, Effort::Hours(Decimal::new(hours_q, 1) / Decimal::from(4)), "1", workers.clone());
            l.rate = Decimal::new(rate_cents, 4);
            l.hours_per_day = d(per_day);
            if day_rate { l.rate_unit = TimeUnit::Day; }
            let r = sheet(vec![l]);
            let p = &postings(&r)[0];
            let e = entries(&r);
            let named = workers.iter().filter(|w| !w.name.trim().is_empty()).count() as i64;
            proptest::prop_assert_eq!(e.iter().map(|x| x.amount).sum::<Decimal>(), p.amount);
            proptest::prop_assert_eq!(e.iter().map(|x| x.headcount).sum::<i64>(), headcount);
            proptest::prop_assert_eq!(
                e.iter().map(|x| to_micro(x.person_days).unwrap_or_default()).sum::<i64>(),
                to_micro(p.person_days).unwrap_or_default()
            );
            proptest::prop_assert_eq!(
                e.iter().map(|x| to_micro(x.person_hours).unwrap_or_default()).sum::<i64>(),
                to_micro(p.person_hours).unwrap_or_default()
            );
            proptest::prop_assert_eq!(e.iter().filter(|x| x.worker_name.is_some()).count() as i64, named);
            proptest::prop_assert_eq!(e.len() as i64, named + i64::from(named < headcount));
            // Equal shares: named workers' amounts differ by at most one minor unit.
            let minors: Vec<i64> = e.iter().filter(|x| x.headcount == 1 && x.worker_name.is_some())
                .filter_map(|x| to_minor(x.amount, Currency::Cny)).collect();
            if let (Some(hi), Some(lo)) = (minors.iter().max(), minors.iter().min()) {
                proptest::prop_assert!(hi - lo <= 1);
            }
        }
    }
}

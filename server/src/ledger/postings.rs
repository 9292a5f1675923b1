//! What an approved record version posts: pure, exact arithmetic, no database.
//!
//! * Labour sheet: one cost posting per crew line: amount = headcount × hours × hourly rate, or
//!   headcount × days × day rate, computed exactly and rounded **once**, per line, to the sheet
//!   currency's decimals, half away from zero (`Currency::round`, the rule of `money.rs`);
//!   person-hours and headcount-days (hours ÷ 8, or days) exact; with the line's cost code,
//!   activity, trade and crew.
//! * Expense: one cost posting of its amount (already of the currency's scale) to its cost code.
//! * Progress report: one schedule posting to its activity: the percent complete, or the quantity
//!   installed with its unit.
//! * Wage advance: nothing. It is money paid against wages the labour sheets already post as
//!   cost; it enters the funds ledger as an advance (`funds::entries`), never the cost ledger.
//! * A voided record posts nothing (approving the void takes the record out of the ledgers).
//!
//! A reversal is the same posting with every figure negated.

use chrono::NaiveDate;
use record_schema::{Currency, Progress, Record};
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ledger {
    Cost,
    Schedule,
}

impl Ledger {
    pub fn as_str(self) -> &'static str {
        match self {
            Ledger::Cost => "cost",
            Ledger::Schedule => "schedule",
        }
    }
}

/// One posting's figures and dimensions (identity and audit columns are added when it is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub ledger: Ledger,
    /// The crew line's id on a labour sheet; empty otherwise.
    pub line_id: String,
    pub site_id: String,
    pub work_date: NaiveDate,
    pub author: String,
    pub cost_code: Option<String>,
    pub activity: Option<String>,
    pub trade: Option<String>,
    pub crew: Option<String>,
    /// An expense's category.
    pub category: Option<String>,
    pub currency: Option<Currency>,
    /// Rounded to the currency's decimals (zero on schedule postings).
    pub amount: Decimal,
    pub headcount: i64,
    pub person_hours: Decimal,
    pub person_days: Decimal,
    pub percent: Option<Decimal>,
    pub quantity: Option<Decimal>,
    pub unit: Option<String>,
}

impl Posting {
    fn blank(ledger: Ledger, site_id: &str, work_date: NaiveDate, author: &str) -> Self {
        Posting {
            ledger,
            line_id: String::new(),
            site_id: site_id.to_string(),
            work_date,
            author: author.to_string(),
            cost_code: None,
            activity: None,
            trade: None,
            crew: None,
            category: None,
            currency: None,
            amount: Decimal::ZERO,
            headcount: 0,
            person_hours: Decimal::ZERO,
            person_days: Decimal::ZERO,
            percent: None,
            quantity: None,
            unit: None,
        }
    }

    /// The posting that cancels this one.
    pub fn reversed(&self) -> Posting {
        Posting {
            amount: -self.amount,
            headcount: -self.headcount,
            person_hours: -self.person_hours,
            person_days: -self.person_days,
            percent: self.percent.map(|p| -p),
            quantity: self.quantity.map(|q| -q),
            ..self.clone()
        }
    }
}

/// The postings of one approved record version.
pub fn postings(record: &Record) -> Vec<Posting> {
    let h = record.header();
    if h.voided.is_some() {
        return Vec::new();
    }
    match record {
        Record::WageAdvance(_) | Record::Observation(_) | Record::DayLog(_) => Vec::new(),
        Record::LabourSheet(s) => s
            .lines
            .iter()
            .map(|line| {
                let (person_hours, person_days) = line.person_time();
                Posting {
                    line_id: line.id.clone(),
                    cost_code: Some(line.cost_code.clone()),
                    activity: line.activity.clone(),
                    trade: Some(line.trade.clone()),
                    crew: line.crew.clone(),
                    currency: Some(s.currency),
                    amount: s.currency.round(line.cost()),
                    headcount: line.headcount,
                    person_hours,
                    person_days,
                    ..Posting::blank(Ledger::Cost, &h.site_id, s.work_date, &h.author)
                }
            })
            .collect(),
        Record::Expense(e) => vec![Posting {
            cost_code: Some(e.cost_code.clone()),
            category: Some(e.category.clone()),
            currency: Some(e.currency),
            amount: e.currency.round(e.amount),
            ..Posting::blank(Ledger::Cost, &h.site_id, e.date, &h.author)
        }],
        Record::ProgressReport(p) => {
            let (percent, quantity, unit) = match &p.progress {
                Progress::Percent(x) => (Some(*x), None, None),
                Progress::Quantity { installed, unit } => (None, Some(*installed), Some(unit.clone())),
            };
            vec![Posting {
                activity: Some(p.activity.clone()),
                percent,
                quantity,
                unit,
                ..Posting::blank(Ledger::Schedule, &h.site_id, p.date, &h.author)
            }]
        }
    }
}

/// Quantities are stored as integers in millionths: exact for hours and days (at most 2 decimals)
/// and for person-days of 8-hour days (÷ 8 adds at most 3). Person-days of other days (÷ 7.5, ÷ 9)
/// may not end: they are rounded half away from zero to the millionth, the ledger's precision for
/// quantities (amounts are exact: each line's is rounded once to the currency).
pub const MICRO: i64 = 1_000_000;

pub fn to_micro(q: Decimal) -> Option<i64> {
    let scaled =
        (q * Decimal::from(MICRO)).round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(scaled).ok()
}

pub fn from_micro(m: i64) -> Decimal {
    Decimal::new(m, 6).normalize()
}

/// An amount (already rounded to `currency`'s decimals) in the currency's minor unit (fen).
pub fn to_minor(amount: Decimal, currency: Currency) -> Option<i64> {
    let scaled = currency.round(amount) * Decimal::from(10i64.pow(currency.scale()));
    i64::try_from(scaled.trunc()).ok()
}

pub fn from_minor(minor: i64, currency: Currency) -> Decimal {
    Decimal::new(minor, currency.scale())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use record_schema::record::{RecordHeader, Voided};
    use record_schema::{CrewLine, Effort, Expense, LabourSheet, ProgressReport};

    use super::*;

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

    fn line(id: &str, headcount: i64, effort: Effort, rate: &str) -> CrewLine {
        CrewLine {
            id: id.into(),
            position: 0,
            trade: "木工".into(),
            crew: Some("张班".into()),
            headcount,
            effort,
            rate: d(rate),
            rate_unit: effort.unit(),
            hours_per_day: Decimal::from(8),
            cost_code: "03-100".into(),
            activity: Some("A1".into()),
            note: None,
            workers: vec![],
        }
    }

    fn sheet(lines: Vec<CrewLine>, currency: Currency) -> Record {
        Record::LabourSheet(LabourSheet {
            header: header(),
            work_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            currency,
            lines,
            note: None,
        })
    }

    #[test]
    fn labour_hours_and_days_by_hand() {
        let r = sheet(
            vec![line("l1", 6, Effort::Hours(d("8")), "47.50"), line("l2", 3, Effort::Days(d("2.5")), "380.00")],
            Currency::Cny,
        );
        let p = postings(&r);
        assert_eq!(p.len(), 2);
        // 6 × 8 h × 47.50 = 2280.00; 48 person-hours = 6 headcount-days.
        assert_eq!(
            (p[0].amount, p[0].person_hours, p[0].person_days, p[0].headcount),
            (d("2280.00"), d("48"), d("6"), 6)
        );
        // 3 people × 2.5 days × 380.00 = 2850.00; 7.5 headcount-days = 60 person-hours.
        assert_eq!((p[1].amount, p[1].person_hours, p[1].person_days), (d("2850.00"), d("60"), d("7.5")));
        assert_eq!(p[1].line_id, "l2");
        assert_eq!(
            (p[1].cost_code.as_deref(), p[1].activity.as_deref(), p[1].trade.as_deref()),
            (Some("03-100"), Some("A1"), Some("木工"))
        );
        assert_eq!(to_minor(p[0].amount, Currency::Cny), Some(228_000));
        assert_eq!(to_micro(p[1].person_days), Some(7_500_000));
    }

    #[test]
    fn one_rounding_per_line_half_away_from_zero() {
        // 3 × 7.5 h × 43.97 = 989.325 → 989.33; 5 × 1.25 h = 6.25 person-hours = 0.78125 days (exact).
        let r = sheet(
            vec![line("a", 3, Effort::Hours(d("7.5")), "43.97"), line("b", 5, Effort::Hours(d("1.25")), "10.01")],
            Currency::Cny,
        );
        let p = postings(&r);
        assert_eq!(p[0].amount, d("989.33"));
        // 5 × 1.25 × 10.01 = 62.5625 → 62.56
        assert_eq!(p[1].amount, d("62.56"));
        assert_eq!(p[1].person_days, d("0.78125"));
        assert_eq!(to_micro(p[1].person_days), Some(781_250));
        // JPY has no decimals: 3 × 1.5 h × 1001 = 4504.5 → 4505.
        let r = sheet(vec![line("j", 3, Effort::Hours(d("1.5")), "1001")], Currency::Jpy);
        assert_eq!(postings(&r)[0].amount, d("4505"));
        assert_eq!(to_minor(d("4505"), Currency::Jpy), Some(4505));
    }

    /// A line paid at `rate` per `rate_unit` with `hours_per_day`.
    fn paid(effort: Effort, rate: &str, rate_unit: record_schema::TimeUnit, hours_per_day: &str) -> CrewLine {
        CrewLine { rate_unit, hours_per_day: d(hours_per_day), ..line("x", 1, effort, rate) }
    }

    #[test]
    fn hours_at_a_day_rate() {
        use record_schema::TimeUnit::{Day, Hour};
        // How sites pay 点工: 9.5 h of a 365/day worker is 9.5 ÷ 8 × 365 = 433.4375 → 433.44, once.
        let p = postings(&sheet(vec![paid(Effort::Hours(d("9.5")), "365.00", Day, "8")], Currency::Cny));
        assert_eq!((p[0].amount, p[0].person_hours, p[0].person_days), (d("433.44"), d("9.5"), d("1.1875")));
        // The same pay as an hourly rate the office derived (365 ÷ 8 = 45.625): the same cent.
        let p = postings(&sheet(vec![paid(Effort::Hours(d("9.5")), "45.625", Hour, "8")], Currency::Cny));
        assert_eq!(p[0].amount, d("433.44"));
        // A 7.5-hour day: 2 people × 9.5 h × 365 ÷ 7.5 = 924.666… → 924.67; 19 person-hours = 2.5333… days.
        let mut two = paid(Effort::Hours(d("9.5")), "365.00", Day, "7.5");
        two.headcount = 2;
        let p = postings(&sheet(vec![two], Currency::Cny));
        assert_eq!((p[0].amount, p[0].person_hours), (d("924.67"), d("19")));
        assert_eq!(to_micro(p[0].person_days), Some(2_533_333));
        // A 9-hour day: 9.5 h × 360 ÷ 9 = 380.00 exactly; 9.5 ÷ 9 = 1.0555… person-days.
        let p = postings(&sheet(vec![paid(Effort::Hours(d("9.5")), "360", Day, "9")], Currency::Cny));
        assert_eq!(p[0].amount, d("380.00"));
        assert_eq!(to_micro(p[0].person_days), Some(1_055_556));
        // One rounding per line, not per person: 3 × 9.5 h × 365 ÷ 8 = 1300.3125 → 1300.31 (3 × 433.44
        // would be 1300.32).
        let mut three = paid(Effort::Hours(d("9.5")), "365", Day, "8");
        three.headcount = 3;
        assert_eq!(postings(&sheet(vec![three], Currency::Cny))[0].amount, d("1300.31"));
    }

    #[test]
    fn days_at_an_hour_rate() {
        use record_schema::TimeUnit::Hour;
        // 3 people × 1.5 days × 7.5 h × 45.625 = 1539.84375 → 1539.84; 33.75 person-hours.
        let mut l = paid(Effort::Days(d("1.5")), "45.625", Hour, "7.5");
        l.headcount = 3;
        let p = postings(&sheet(vec![l], Currency::Cny));
        assert_eq!((p[0].amount, p[0].person_hours, p[0].person_days), (d("1539.84"), d("33.75"), d("4.5")));
        // 2 × 0.5 days × 9 h × 40.00 = 360.00; 9 person-hours, 1 person-day.
        let mut l = paid(Effort::Days(d("0.5")), "40.00", Hour, "9");
        l.headcount = 2;
        let p = postings(&sheet(vec![l], Currency::Cny));
        assert_eq!((p[0].amount, p[0].person_hours, p[0].person_days), (d("360.00"), d("9"), d("1")));
        // JPY: 1 day × 7.5 h × 1001.5 = 7511.25 → 7511.
        let p = postings(&sheet(vec![paid(Effort::Days(d("1")), "1001.5", Hour, "7.5")], Currency::Jpy));
        assert_eq!(p[0].amount, d("7511"));
    }

    #[test]
    fn expenses_progress_voids_and_reversals() {
        let e = Record::Expense(Expense {
            header: header(),
            date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            amount: d("1234.5"),
            currency: Currency::Cny,
            category: "materials".into(),
            vendor: None,
            cost_code: "05-200".into(),
            note: None,
            receipts: vec![],
        });
        let p = postings(&e);
        assert_eq!(
            (p.len(), p[0].amount, p[0].ledger, p[0].cost_code.as_deref()),
            (1, d("1234.50"), Ledger::Cost, Some("05-200"))
        );
        let r = p[0].reversed();
        assert_eq!(r.amount, d("-1234.50"));
        assert_eq!(r.reversed(), p[0]);

        let pr = Record::ProgressReport(ProgressReport {
            header: header(),
            date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            activity: "A7".into(),
            progress: Progress::Quantity { installed: d("12.345"), unit: "m3".into() },
            caption: None,
            photos: vec![],
        });
        let p = postings(&pr);
        assert_eq!(
            (p[0].ledger, p[0].quantity, p[0].unit.as_deref(), p[0].amount),
            (Ledger::Schedule, Some(d("12.345")), Some("m3"), Decimal::ZERO)
        );

        let mut voided = sheet(vec![line("l1", 6, Effort::Hours(d("8")), "47.50")], Currency::Cny);
        voided.header_mut().voided = Some(Voided { reason: "duplicate".into(), by: "li".into(), at_ms: 1 });
        assert!(postings(&voided).is_empty());
        assert_eq!(from_minor(-228_000, Currency::Cny), d("-2280.00"));
        assert_eq!(from_micro(781_250), d("0.78125"));
    }
}

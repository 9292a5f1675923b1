//! Forecasts from earned value at a status date (docs/forecasts.md): the estimate at completion
//! by three methods with ETC, VAC and TCPI, and the finish date by the earned-schedule method.
//!
//! Pure arithmetic in `Decimal`, no database. Rounding, once, at the end: money to the currency's
//! decimals (`Currency::round`), indices (TCPI, SPI(t)) to 4 decimals, durations (ES, SV(t),
//! IEAC(t)) to 2 decimals of their period (days in the schedule report). A figure whose formula
//! would divide by zero is `None`.

use chrono::{Days, NaiveDate};
use record_schema::Currency;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// Decimals of the indices (TCPI, SPI(t)).
pub const INDEX_DP: u32 = 4;
/// Decimals of the durations (ES, SV(t), IEAC(t)), in periods.
pub const DURATION_DP: u32 = 2;

fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// `a / b`; none when `b` is zero (or the quotient overflows, on absurd inputs).
fn div(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_div(b)
}

/// One estimate at completion with what follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CostEstimate)]
pub struct Estimate {
    /// EAC, rounded to the currency.
    pub eac: Decimal,
    /// ETC = EAC − AC.
    pub etc: Decimal,
    /// VAC = BAC − EAC; negative is an overrun.
    pub vac: Decimal,
}

impl Estimate {
    fn new(eac: Decimal, bac: Decimal, ac: Decimal, cur: Currency) -> Self {
        // ETC and VAC from the rounded EAC, so EAC = AC + ETC = BAC − VAC hold to the cent.
        let eac = cur.round(eac);
        Estimate { eac, etc: eac - ac, vac: bac - eac }
    }
}

/// The cost forecast of an activity or a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CostForecast {
    /// BAC / CPI: today's cost efficiency persists. None while EV or AC is zero (no CPI).
    pub eac_cpi: Option<Estimate>,
    /// AC + (BAC − EV): the rest goes to budget.
    pub eac_budget_rate: Estimate,
    /// AC + (BAC − EV) / (CPI × SPI): schedule pressure drives the rest too. None while EV, AC or
    /// PV is zero.
    pub eac_cpi_spi: Option<Estimate>,
    /// (BAC − EV) / (BAC − AC), to 4 decimals: the efficiency the rest needs to finish on budget.
    /// None once AC ≥ BAC (the budget is spent).
    pub tcpi: Option<Decimal>,
}

/// EAC, ETC, VAC and TCPI from BAC, PV, EV and AC (all in the currency) at one status date.
pub fn cost(bac: Decimal, pv: Decimal, ev: Decimal, ac: Decimal, cur: Currency) -> CostForecast {
    let cpi = div(ev, ac).filter(|c| !c.is_zero());
    let spi = div(ev, pv).filter(|s| !s.is_zero());
    let left = bac - ev;
    let est = |eac: Decimal| Estimate::new(eac, bac, ac, cur);
    CostForecast {
        eac_cpi: cpi.and_then(|c| div(bac, c)).map(est),
        eac_budget_rate: est(ac + left),
        eac_cpi_spi: cpi
            .zip(spi)
            .and_then(|(c, s)| c.checked_mul(s))
            .and_then(|cs| div(left, cs))
            .and_then(|x| ac.checked_add(x))
            .map(est),
        tcpi: (bac - ac > Decimal::ZERO).then(|| div(left, bac - ac)).flatten().map(|t| round(t, INDEX_DP)),
    }
}

/// Earned schedule at a status date, in periods (days in the schedule report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EarnedSchedule {
    /// ES: the time at which the plan called for today's EV.
    pub es: Decimal,
    /// AT: periods elapsed at the status date.
    pub at: Decimal,
    /// PD: planned duration.
    pub pd: Decimal,
    /// SV(t) = ES − AT; negative is late.
    pub sv_t: Decimal,
    /// SPI(t) = ES / AT; none at AT = 0.
    pub spi_t: Option<Decimal>,
    /// IEAC(t) = PD / SPI(t): the forecast duration; none while SPI(t) is none or zero.
    pub ieac_t: Option<Decimal>,
}

impl EarnedSchedule {
    /// Durations to `DURATION_DP`, SPI(t) to `INDEX_DP`.
    pub fn rounded(self) -> Self {
        let d = |x: Decimal| round(x, DURATION_DP);
        EarnedSchedule {
            es: d(self.es),
            at: self.at,
            pd: self.pd,
            sv_t: d(self.sv_t),
            spi_t: self.spi_t.map(|s| round(s, INDEX_DP)),
            ieac_t: self.ieac_t.map(d),
        }
    }
}

/// Earned schedule (Lipke) from the cumulative PV by period: `pv(k)` at the end of period k for
/// k in 1..=pd (PV₀ = 0), EV and AT at the status date. C is the last period with PV_C ≤ EV and
/// ES = C + (EV − PV_C) / (PV_{C+1} − PV_C); once EV ≥ BAC (= PV_pd), ES is the first period where
/// PV reaches BAC. Exact (unrounded). None when there is no plan (PD = 0 or BAC ≤ 0).
///
/// C is found by bisection (log₂ PD calls of `pv`), keeping PV_lo ≤ EV < PV_hi, so the denominator
/// is positive even if a curve were not monotone.
pub fn earned_schedule(pv: impl Fn(u32) -> Decimal, pd: u32, ev: Decimal, at: u32) -> Option<EarnedSchedule> {
    let p = |k: u32| if k == 0 { Decimal::ZERO } else { pv(k) };
    let bac = p(pd);
    if pd == 0 || bac <= Decimal::ZERO {
        return None;
    }
    let ev = ev.max(Decimal::ZERO);
    let (mut lo, mut hi) = (0u32, pd);
    let es = if ev >= bac {
        // PV_lo < BAC ≤ PV_hi.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if p(mid) >= bac { hi = mid } else { lo = mid }
        }
        Decimal::from(hi)
    } else {
        // PV_lo ≤ EV < PV_hi.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if p(mid) <= ev { lo = mid } else { hi = mid }
        }
        let (pc, pn) = (p(lo), p(hi));
        Decimal::from(lo) + div(ev - pc, pn - pc)?
    };
    let (at, pd) = (Decimal::from(at), Decimal::from(pd));
    let spi_t = div(es, at);
    Some(EarnedSchedule {
        es,
        at,
        pd,
        sv_t: es - at,
        spi_t,
        ieac_t: spi_t.filter(|s| !s.is_zero()).and_then(|s| div(pd, s)),
    })
}

/// The schedule forecast in days: earned schedule (rounded) and the forecast finish date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScheduleForecast {
    #[serde(flatten)]
    pub earned: EarnedSchedule,
    /// Day 1 of the plan: the earliest planned day.
    pub start: NaiveDate,
    /// The day in which IEAC(t) ends: start + ⌈IEAC(t)⌉ − 1 (period k is the day start + k − 1, so
    /// IEAC(t) = PD forecasts the planned finish). None with IEAC(t).
    pub forecast_finish: Option<NaiveDate>,
}

/// The forecasts of an activity or a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = EvmForecast)]
pub struct Forecast {
    #[serde(flatten)]
    pub cost: CostForecast,
    /// None without a plan (no planned value).
    pub schedule: Option<ScheduleForecast>,
}

/// The finish date of a forecast duration `ieac` (days, rounded to `DURATION_DP`) from `start`.
pub fn finish_date(start: NaiveDate, ieac: Decimal) -> Option<NaiveDate> {
    let days = u64::try_from(round(ieac, DURATION_DP).ceil().mantissa()).ok()?;
    // ceil() of a value with 2 decimals keeps scale 0, so the mantissa is the whole number.
    start.checked_add_days(Days::new(days.checked_sub(1)?))
}

/// Forecasts over daily periods: the plan runs from `start` to `end` inclusive (PD days), `pv_on(d)`
/// is the cumulative PV at the end of day d, the status is at the end of day `at`.
#[allow(clippy::too_many_arguments)]
pub fn daily(
    bac: Decimal,
    pv: Decimal,
    ev: Decimal,
    ac: Decimal,
    cur: Currency,
    (start, end): (NaiveDate, NaiveDate),
    at: NaiveDate,
    pv_on: impl Fn(NaiveDate) -> Decimal,
) -> Forecast {
    let days = |to: NaiveDate| u32::try_from((to - start).num_days() + 1).unwrap_or(0);
    let day = |k: u32| start.checked_add_days(Days::new(u64::from(k) - 1)).unwrap_or(end);
    let schedule = earned_schedule(|k| pv_on(day(k)), days(end), ev, days(at)).map(|es| {
        let earned = es.rounded();
        ScheduleForecast { earned, start, forecast_finish: earned.ieac_t.and_then(|i| finish_date(start, i)) }
    });
    Forecast { cost: cost(bac, pv, ev, ac, cur), schedule }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decimal literal, exactly as written (`dec!(-106.38)`).
    macro_rules! dec {
        ($x:expr) => {
            stringify!($x).replace(' ', "").parse::<Decimal>().expect("decimal literal")
        };
    }

    // The research note's worked example (../shared/research/earned-schedule.md §3): BAC 1000,
    // PD 10 weeks, cumulative PV by week; the job finishes in week 13.
    const PV: [i64; 10] = [40, 100, 190, 310, 450, 590, 720, 840, 940, 1000];
    const EV: [i64; 13] = [30, 80, 150, 240, 350, 470, 580, 680, 770, 850, 920, 970, 1000];

    fn es_at(pv: &[i64], ev: Decimal, at: u32) -> EarnedSchedule {
        let pd = u32::try_from(pv.len()).expect("len");
        earned_schedule(|k| Decimal::from(pv[k as usize - 1]), pd, ev, at).expect("plan")
    }

    fn r4(d: Decimal) -> Decimal {
        round(d, 4)
    }

    const CNY: Currency = Currency::Cny;

    #[test]
    fn cost_forecast_of_the_worked_example() {
        // Week 6: PV 590, EV 470, AC 520. By hand: CPI = 47/52, SPI = 47/59.
        let f = cost(dec!(1000), dec!(590), dec!(470), dec!(520), CNY);
        // BAC/CPI = 1000 × 52/47 = 1106.382…
        assert_eq!(f.eac_cpi, Some(Estimate { eac: dec!(1106.38), etc: dec!(586.38), vac: dec!(-106.38) }));
        // 520 + 530 = 1050.
        assert_eq!(f.eac_budget_rate, Estimate { eac: dec!(1050.00), etc: dec!(530.00), vac: dec!(-50.00) });
        // 520 + 530 / (47/52 × 47/59) = 520 + 530 × 3068/2209 = 520 + 736.097… = 1256.10.
        assert_eq!(f.eac_cpi_spi, Some(Estimate { eac: dec!(1256.10), etc: dec!(736.10), vac: dec!(-256.10) }));
        // (1000 − 470)/(1000 − 520) = 53/48 = 1.10416…
        assert_eq!(f.tcpi, Some(dec!(1.1042)));
        // Money keeps the currency's decimals.
        assert_eq!(f.eac_budget_rate.eac.to_string(), "1050.00");
    }

    #[test]
    fn tcpi_to_an_eac_of_bac_over_cpi_is_cpi() {
        // The note's identity: (BAC − EV)/(EAC − AC) with EAC = BAC/CPI equals CPI (47/52 = 0.9038).
        let f = cost(dec!(1000), dec!(590), dec!(470), dec!(520), CNY);
        let eac = dec!(1000) * dec!(520) / dec!(470);
        assert_eq!(r4((dec!(1000) - dec!(470)) / (eac - dec!(520))), dec!(0.9038));
        assert_eq!(f.eac_cpi.map(|e| e.eac), Some(CNY.round(eac)));
    }

    #[test]
    fn earned_schedule_of_the_worked_example() {
        // Week 6, EV 470: C = 5 (PV₅ = 450 ≤ 470 < 590), ES = 5 + 20/140 = 36/7.
        let e = es_at(&PV, dec!(470), 6);
        assert_eq!(r4(e.es), dec!(5.1429));
        assert_eq!(r4(e.sv_t), dec!(-0.8571));
        assert_eq!(e.spi_t.map(r4), Some(dec!(0.8571))); // 6/7
        assert_eq!(e.ieac_t.map(r4), Some(dec!(11.6667))); // 10 × 7/6 = 35/3
        let r = e.rounded();
        assert_eq!((r.es, r.sv_t, r.spi_t, r.ieac_t), (dec!(5.14), dec!(-0.86), Some(dec!(0.8571)), Some(dec!(11.67))));
        // The later status dates of the same job (the note's second table).
        for (at, es, spi_t, ieac) in [
            (10, dec!(8.1000), dec!(0.8100), dec!(12.3457)),
            (12, dec!(9.5000), dec!(0.7917), dec!(12.6316)),
            (13, dec!(10.0000), dec!(0.7692), dec!(13.0000)),
        ] {
            let e = es_at(&PV, Decimal::from(EV[at as usize - 1]), at);
            assert_eq!(r4(e.es), es, "ES at {at}");
            assert_eq!(e.spi_t.map(r4), Some(spi_t), "SPI(t) at {at}");
            assert_eq!(e.ieac_t.map(r4), Some(ieac), "IEAC(t) at {at}");
        }
    }

    #[test]
    fn earned_schedule_of_a_published_test_suite() {
        // advantager's spec (note §3): AT 7, EV 2260 → C = 6, ES = 6.52, SPI(t) = 0.9314, IEAC(t) = 12.883.
        let pv = [100, 350, 650, 1050, 1500, 2000, 2500, 2950, 3350, 3650, 3900, 4000];
        let e = es_at(&pv, dec!(2260), 7);
        assert_eq!(e.es, dec!(6.52));
        assert_eq!(e.sv_t, dec!(-0.48));
        assert_eq!(e.spi_t.map(r4), Some(dec!(0.9314)));
        assert_eq!(e.ieac_t.map(|i| round(i, 3)), Some(dec!(12.883)));
    }

    #[test]
    fn finished_late_project() {
        // EV = BAC at week 13: SPI($) is back at 1 but SPI(t) = 10/13, and the forecast is the actual 13.
        let f = cost(dec!(1000), dec!(1000), dec!(1000), dec!(1150), CNY);
        assert_eq!(f.eac_cpi.map(|e| (e.eac, e.etc)), Some((dec!(1150.00), dec!(0.00))));
        assert_eq!(f.eac_cpi_spi.map(|e| e.eac), Some(dec!(1150.00)));
        assert_eq!(f.eac_budget_rate.eac, dec!(1150.00));
        assert_eq!(f.tcpi, None, "the budget is spent");
        let e = es_at(&PV, dec!(1000), 13).rounded();
        assert_eq!((e.es, e.sv_t, e.spi_t, e.ieac_t), (dec!(10), dec!(-3), Some(dec!(0.7692)), Some(dec!(13))));
    }

    #[test]
    fn nothing_earned_yet() {
        // EV = 0: no CPI, no SPI, so only the budget-rate EAC; ES = 0 and no finish forecast.
        let f = cost(dec!(1000), dec!(100), dec!(0), dec!(80), CNY);
        assert_eq!((f.eac_cpi, f.eac_cpi_spi), (None, None));
        assert_eq!(f.eac_budget_rate, Estimate { eac: dec!(1080.00), etc: dec!(1000.00), vac: dec!(-80.00) });
        assert_eq!(f.tcpi, Some(dec!(1.087))); // 1000/920
        let e = es_at(&PV, dec!(0), 2);
        assert_eq!((e.es, e.sv_t, e.spi_t, e.ieac_t), (dec!(0), dec!(-2), Some(dec!(0)), None));
        // Before the plan starts (AT = 0) there is no SPI(t) at all.
        let e = es_at(&PV, dec!(0), 0);
        assert_eq!((e.spi_t, e.ieac_t), (None, None));
    }

    #[test]
    fn nothing_spent_yet() {
        // AC = 0 with EV > 0: CPI would divide by zero.
        let f = cost(dec!(1000), dec!(100), dec!(50), dec!(0), CNY);
        assert_eq!((f.eac_cpi, f.eac_cpi_spi), (None, None));
        assert_eq!(f.eac_budget_rate.eac, dec!(950.00));
        assert_eq!(f.tcpi, Some(dec!(0.95)));
        // PV = 0 (status before the plan starts): no SPI, so no CPI×SPI estimate either.
        let f = cost(dec!(1000), dec!(0), dec!(50), dec!(40), CNY);
        assert_eq!(f.eac_cpi.map(|e| e.eac), Some(dec!(800.00)));
        assert_eq!(f.eac_cpi_spi, None);
    }

    #[test]
    fn ev_beyond_the_last_pv() {
        // EV over BAC (an over-report): ES stops at the first period PV reaches BAC, here PD.
        let e = es_at(&PV, dec!(1200), 8);
        assert_eq!((e.es, e.sv_t), (dec!(10), dec!(2)));
        assert_eq!(e.ieac_t, Some(dec!(8)));
        // A plan that reaches BAC early: ES is that period, not PD.
        let e = es_at(&[50, 100, 100, 100], dec!(100), 3);
        assert_eq!(e.es, dec!(2));
        // No plan at all.
        assert_eq!(earned_schedule(|_| Decimal::ZERO, 5, dec!(10), 2), None);
        assert_eq!(earned_schedule(|_| Decimal::ONE, 0, dec!(10), 2), None);
    }

    #[test]
    fn daily_plan_and_finish_date() {
        // 10 days from 1 March, 100 a day, status at the end of 6 March with EV 470: ES = 4.7 days,
        // SPI(t) = 4.7/6, IEAC(t) = 10 × 6/4.7 = 12.77 → the 13th day, 13 March.
        let start: NaiveDate = "2026-03-01".parse().expect("d");
        let end: NaiveDate = "2026-03-10".parse().expect("d");
        let pv_on = |d: NaiveDate| Decimal::from(((d - start).num_days() + 1).clamp(0, 10) * 100);
        let at: NaiveDate = "2026-03-06".parse().expect("d");
        let f = daily(dec!(1000), dec!(600), dec!(470), dec!(520), CNY, (start, end), at, pv_on);
        let s = f.schedule.expect("plan");
        assert_eq!((s.earned.es, s.earned.at, s.earned.pd), (dec!(4.70), dec!(6), dec!(10)));
        assert_eq!(s.earned.spi_t, Some(dec!(0.7833)));
        assert_eq!(s.earned.ieac_t, Some(dec!(12.77)));
        assert_eq!(s.forecast_finish, Some("2026-03-13".parse().expect("d")));
        // On plan: the forecast finish is the planned finish.
        let f = daily(dec!(1000), dec!(600), dec!(600), dec!(600), CNY, (start, end), at, pv_on);
        assert_eq!(f.schedule.and_then(|s| s.forecast_finish), Some(end));
        assert_eq!(f.cost.eac_cpi.map(|e| e.eac), Some(dec!(1000.00)));
    }
}

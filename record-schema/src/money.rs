//! Amounts are `rust_decimal::Decimal`, parsed strictly from text and stored as canonical strings.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::ValidationError;

/// Currencies a site pays in, with the number of decimals each allows (ISO 4217 minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Currency {
    #[default]
    Cny,
    Hkd,
    Usd,
    Eur,
    Jpy,
    Krw,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
            Currency::Hkd => "HKD",
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Jpy => "JPY",
            Currency::Krw => "KRW",
        }
    }

    /// Decimals allowed in an amount of this currency.
    pub fn scale(self) -> u32 {
        match self {
            Currency::Jpy | Currency::Krw => 0,
            _ => 2,
        }
    }

    /// Canonical text of an amount in this currency: exactly `scale` decimals, e.g. `350.00`.
    /// The one rounding rule of Fieldledger: exact arithmetic first (a line's cost is headcount ×
    /// hours × rate with no rounding in between), then half away from zero to the currency's
    /// decimals, once, where an amount is shown or posted (989.625 → 989.63).
    pub fn canonical(self, amount: Decimal) -> String {
        self.round(amount).to_string()
    }

    /// Canonical text of a rate (pay per hour or day, an expense's unit price) in this currency: at
    /// least the currency's decimals, and every further decimal the office set (`45.625`, at most
    /// `validate::RATE_SCALE`). Rates are never rounded: only the amount a rate makes is (`round`).
    pub fn canonical_rate(self, rate: Decimal) -> String {
        let mut r = rate.normalize();
        if r.scale() < self.scale() {
            r.rescale(self.scale());
        }
        r.to_string()
    }

    /// `amount` rounded by the one rounding rule (see `canonical`) to exactly `scale` decimals. The
    /// ledgers post this figure.
    pub fn round(self, amount: Decimal) -> Decimal {
        let mut a = amount.round_dp_with_strategy(self.scale(), rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        a.rescale(self.scale());
        a
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let all = [Currency::Cny, Currency::Hkd, Currency::Usd, Currency::Eur, Currency::Jpy, Currency::Krw];
        all.into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ValidationError::new("currency", format!("unknown currency {s:?}")))
    }
}

/// Parses decimal text the way a person types an amount: digits, at most one `.`, an optional leading
/// `-`. Refuses what `Decimal::from_str` or a float parser would quietly accept or misread:
/// `12,34` (comma: decimal or thousands?), `1e5`, `NaN`, `inf`, `+5`, `.5`, `0350` (leading zeros),
/// `-0`, blanks inside, and more than `max_scale` decimals (never rounds the user's number).
/// Surrounding blanks are trimmed; everything else is `parse_strict`'s rule.
pub fn parse_decimal(field: &str, text: &str, max_scale: u32) -> Result<Decimal, ValidationError> {
    strict(field, text.trim(), text, max_scale)
}

/// The one reading of decimal text in Fieldledger, shared by the phone's input and every document
/// reader: exactly the syntax `parse_decimal` takes, without trimming. A document holds decimals as
/// the writer's canonical text, so anything looser in one (`1E+2`, ` 350`, `+350.00`) was not
/// written by a Fieldledger client and is refused rather than guessed at.
pub fn parse_strict(field: &str, text: &str, max_scale: u32) -> Result<Decimal, ValidationError> {
    strict(field, text, text, max_scale)
}

/// Digits of the integer part before the number is taken for a typing error (or an attack).
const MAX_INTEGER_DIGITS: usize = 15;

fn strict(field: &str, t: &str, original: &str, max_scale: u32) -> Result<Decimal, ValidationError> {
    let err = |why: &str| ValidationError::new(field, format!("{why} (got {original:?})"));
    if t.is_empty() {
        return Err(err("a number is required"));
    }
    let negative = t.starts_with('-');
    let body = t.strip_prefix('-').unwrap_or(t);
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("only digits and one '.' are allowed"));
    }
    if int_part.len() > 1 && int_part.starts_with('0') {
        return Err(err("no leading zeros are allowed"));
    }
    if let Some(f) = frac_part {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("only digits and one '.' are allowed"));
        }
        if f.len() as u32 > max_scale {
            return Err(err(&format!("at most {max_scale} decimal places are allowed")));
        }
    }
    if int_part.len() > MAX_INTEGER_DIGITS {
        return Err(err(&format!("number is too large (at most {MAX_INTEGER_DIGITS} digits before the point)")));
    }
    let d = Decimal::from_str(t).map_err(|e| err(&e.to_string()))?;
    if negative && d.is_zero() {
        return Err(err("negative zero is not a number a person writes"));
    }
    Ok(d)
}

/// Parses a money amount for `currency`, refusing more decimals than the currency has.
pub fn parse_amount(field: &str, text: &str, currency: Currency) -> Result<Decimal, ValidationError> {
    parse_decimal(field, text, currency.scale())
}

/// Normalised text of a non-money decimal (hours, days, percent): no trailing zeros, `8` not `8.00`.
pub fn canonical_quantity(q: Decimal) -> String {
    q.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_amounts_and_canonicalises() {
        let d = parse_amount("amount", "350.5", Currency::Cny).expect("valid");
        assert_eq!(Currency::Cny.canonical(d), "350.50");
        let d = parse_amount("amount", " 1200 ", Currency::Jpy).expect("valid");
        assert_eq!(Currency::Jpy.canonical(d), "1200");
        assert_eq!(canonical_quantity(Decimal::from_str("8.00").expect("d")), "8");
        assert_eq!(Currency::Cny.canonical(Decimal::from_str("989.625").expect("d")), "989.63");
        assert_eq!(Currency::Cny.canonical(Decimal::from_str("-0.005").expect("d")), "-0.01");
        assert_eq!(Currency::Jpy.canonical(Decimal::from_str("2.5").expect("d")), "3");
        let rate = |c: Currency, t: &str| c.canonical_rate(Decimal::from_str(t).expect("d"));
        assert_eq!(rate(Currency::Cny, "45.625"), "45.625");
        assert_eq!(rate(Currency::Cny, "45.6250"), "45.625");
        assert_eq!(rate(Currency::Cny, "350"), "350.00");
        assert_eq!(rate(Currency::Cny, "350.5"), "350.50");
        assert_eq!(rate(Currency::Jpy, "1200.00"), "1200");
        assert_eq!(rate(Currency::Jpy, "45.5"), "45.5");
    }

    #[test]
    fn refuses_ambiguous_or_float_text() {
        for bad in [
            "12,34", "1e5", "1E+2", "NaN", "inf", "+5", "+350.00", "0350.00", "-0.00", "-0", "", "1.2.3", "1 000",
            ".5", "5.", "12.345", "0x10",
        ] {
            let e = parse_amount("amount", bad, Currency::Cny).expect_err(bad);
            assert_eq!(e.field, "amount", "{bad}");
        }
        assert!(parse_amount("amount", "1.5", Currency::Jpy).is_err(), "JPY has no decimals");
        assert!(parse_strict("amount", " 350", 2).is_err(), "documents hold canonical text: no blanks");
        for good in ["0", "0.5", "350", "-12.50", "100000000"] {
            parse_strict("amount", good, 2).expect(good);
        }
    }
}

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
/// `12,34` (comma: decimal or thousands?), `1e5`, `NaN`, `inf`, `+5`, blanks inside, and more than
/// `max_scale` decimals (never rounds the user's number).
pub fn parse_decimal(field: &str, text: &str, max_scale: u32) -> Result<Decimal, ValidationError> {
    let t = text.trim();
    let err = |why: &str| ValidationError::new(field, format!("{why} (got {text:?})"));
    if t.is_empty() {
        return Err(err("a number is required"));
    }
    let body = t.strip_prefix('-').unwrap_or(t);
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("only digits and one '.' are allowed"));
    }
    if let Some(f) = frac_part {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("only digits and one '.' are allowed"));
        }
        if f.len() as u32 > max_scale {
            return Err(err(&format!("at most {max_scale} decimal places are allowed")));
        }
    }
    if int_part.len() > 15 {
        return Err(err("number is too large"));
    }
    Decimal::from_str(t).map_err(|e| err(&e.to_string()))
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
    }

    #[test]
    fn refuses_ambiguous_or_float_text() {
        for bad in ["12,34", "1e5", "NaN", "inf", "+5", "", "1.2.3", "1 000", ".5", "5.", "12.345", "0x10"] {
            let e = parse_amount("amount", bad, Currency::Cny).expect_err(bad);
            assert_eq!(e.field, "amount", "{bad}");
        }
        assert!(parse_amount("amount", "1.5", Currency::Jpy).is_err(), "JPY has no decimals");
    }
}

//! Figures as people read them: money grouped by thousands with the currency's sign and exactly
//! its decimals (Decimal all the way, never a float), ratios and percents, and instants in the
//! site's time zone.

use record_schema::Currency;
use rust_decimal::Decimal;

use super::i18n::Lang;

/// The currency's sign as each language writes it (CLDR short symbols).
fn symbol(c: Currency, lang: Lang) -> &'static str {
    match (c, lang) {
        (Currency::Cny, Lang::ZhCn) => "¥",
        (Currency::Cny, Lang::En) => "CN¥",
        (Currency::Hkd, _) => "HK$",
        (Currency::Usd, Lang::En) => "$",
        (Currency::Usd, Lang::ZhCn) => "US$",
        (Currency::Eur, _) => "€",
        (Currency::Jpy, Lang::En) => "¥",
        (Currency::Jpy, Lang::ZhCn) => "JP¥",
        (Currency::Krw, _) => "₩",
    }
}

/// Digits grouped by three: `1234567.5` → `1,234,567.5`.
pub fn grouped(d: Decimal) -> String {
    let text = d.abs().to_string();
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(text.len() + int.len() / 3 + 1);
    if d.is_sign_negative() && !d.is_zero() {
        out.push('-');
    }
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// `-¥1,234.50`: rounded by the one rounding rule to the currency's decimals.
pub fn money(amount: Decimal, currency: Currency, lang: Lang) -> String {
    let rounded = currency.round(amount);
    let digits = grouped(rounded.abs());
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
    format!("{sign}{}{digits}", symbol(currency, lang))
}

/// Money given as a currency code (reports carry codes); unknown codes are shown as the code.
pub fn money_code(amount: Decimal, code: &str, lang: Lang) -> String {
    match code.parse::<Currency>() {
        Ok(c) => money(amount, c, lang),
        Err(_) => format!("{code} {}", grouped(amount)),
    }
}

/// Decimal text from a JSON value (records and reports carry decimals as text).
pub fn dec(v: &serde_json::Value) -> Option<Decimal> {
    v.as_str().and_then(|s| s.parse().ok())
}

pub fn ratio(r: Option<Decimal>) -> String {
    r.map_or_else(|| "—".to_string(), |r| r.normalize().to_string())
}

pub fn percent(p: Option<Decimal>) -> String {
    p.map_or_else(|| "—".to_string(), |p| format!("{}%", p.normalize()))
}

/// An instant (ms since the epoch) in `time_zone` (IANA), e.g. `2026-11-20 14:05 CST`; UTC when
/// the zone is unknown, saying so.
pub fn instant(ms: i64, time_zone: &str) -> String {
    let Some(utc) = chrono::DateTime::from_timestamp_millis(ms) else { return "—".into() };
    match time_zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => utc.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => utc.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn money_is_grouped_signed_and_exact() {
        assert_eq!(money(d("1234567.5"), Currency::Cny, Lang::ZhCn), "¥1,234,567.50");
        assert_eq!(money(d("-989.325"), Currency::Cny, Lang::En), "-CN¥989.33");
        assert_eq!(money(d("100"), Currency::Jpy, Lang::En), "¥100");
        assert_eq!(money(d("0"), Currency::Usd, Lang::En), "$0.00");
        assert_eq!(money(d("999.995"), Currency::Usd, Lang::En), "$1,000.00");
        assert_eq!(money_code(d("12"), "XXX", Lang::En), "XXX 12");
        assert_eq!(grouped(d("-1000")), "-1,000");
        assert_eq!(grouped(d("100")), "100");
    }

    #[test]
    fn instants_in_the_site_zone() {
        // 2026-11-20 06:05 UTC is 14:05 in Shanghai.
        let ms = 1_795_154_700_000;
        assert_eq!(instant(ms, "Asia/Shanghai"), "2026-11-20 14:05 CST");
        assert_eq!(instant(ms, "Nowhere/Else"), "2026-11-20 06:05 UTC");
    }
}

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

/// An instant (ms since the epoch) in `time_zone` (IANA) with the zone's name as a site manager
/// says it: `2026-11-20 14:05 北京时间` / `Beijing time` for Asia/Shanghai (whose abbreviation, CST,
/// reads as US Central), the abbreviation elsewhere, UTC when the zone is unknown, saying so.
pub fn instant(ms: i64, time_zone: &str, lang: Lang) -> String {
    let Some(utc) = chrono::DateTime::from_timestamp_millis(ms) else { return "—".into() };
    match time_zone.parse::<chrono_tz::Tz>() {
        Ok(chrono_tz::Tz::Asia__Shanghai) => {
            let local = utc.with_timezone(&chrono_tz::Tz::Asia__Shanghai);
            format!("{} {}", local.format("%Y-%m-%d %H:%M"), lang.t("beijing_time"))
        }
        Ok(tz) => utc.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => utc.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// A photo's place as people read it, `31.23042, 121.47370 (±8 m)`, and its OpenStreetMap link.
pub fn place(latitude: f64, longitude: f64, accuracy_m: Option<f64>) -> (String, String) {
    let (lat, lon) = (latitude, longitude);
    (
        match accuracy_m {
            Some(acc) => format!("{lat:.5}, {lon:.5} (±{acc:.0} m)"),
            None => format!("{lat:.5}, {lon:.5}"),
        },
        format!("https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=18/{lat:.6}/{lon:.6}"),
    )
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
        assert_eq!(instant(ms, "Asia/Shanghai", Lang::ZhCn), "2026-11-20 14:05 北京时间");
        assert_eq!(instant(ms, "Asia/Shanghai", Lang::En), "2026-11-20 14:05 Beijing time");
        assert_eq!(instant(ms, "Asia/Tokyo", Lang::En), "2026-11-20 15:05 JST");
        assert_eq!(instant(ms, "Nowhere/Else", Lang::En), "2026-11-20 06:05 UTC");
    }
}

/// 10,000: a 万, the unit Chinese readers count large sums in.
const WAN: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// `amount` in 万, rounded half away from zero to 2 decimals (to the hundred yuan): 123,456.78 →
/// 12.35. Exact (Decimal division by 10,000 only moves the point).
pub fn wan(amount: Decimal) -> Decimal {
    (amount / WAN).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// Money for summaries and charts, short where the language has a word for it: in Chinese a
/// figure of 10,000 or more (after rounding to the currency) is written in 万 to 2 decimals
/// (`¥12.35万`, `-¥1,234.57万`); smaller figures, and every figure in English, as `money_code`
/// writes them (`CN¥123,456.78`). Tables keep `money_code` where the cent matters.
pub fn money_short(amount: Decimal, code: &str, lang: Lang) -> String {
    let Ok(currency) = code.parse::<Currency>() else { return money_code(amount, code, lang) };
    let rounded = currency.round(amount);
    if lang != Lang::ZhCn || rounded.abs() < WAN {
        return money(amount, currency, lang);
    }
    let mut w = wan(rounded);
    // Always 2 decimals: ¥10.00万, not ¥10万 beside ¥12.35万.
    w.rescale(2);
    let sign = if w.is_sign_negative() && !w.is_zero() { "-" } else { "" };
    format!("{sign}{}{}万", symbol(currency, lang), grouped(w.abs()))
}

/// Money to the whole unit of the currency (half away from zero), e.g. `CN¥25,001`: for
/// earned-value figures, which are estimates (a percent of a budget), where cents are noise.
pub fn money_whole(amount: Decimal, code: &str, lang: Lang) -> String {
    let whole = amount.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let Ok(currency) = code.parse::<Currency>() else { return format!("{code} {}", grouped(whole)) };
    let sign = if whole.is_sign_negative() && !whole.is_zero() { "-" } else { "" };
    format!("{sign}{}{}", symbol(currency, lang), grouped(whole.abs()))
}

/// A chart axis value (a round figure) without a currency sign: `12.5万` in Chinese from 10,000
/// up, else grouped digits (`125,000`).
pub fn axis_amount(v: Decimal, lang: Lang) -> String {
    if lang == Lang::ZhCn && v.abs() >= WAN {
        format!("{}万", grouped((v / WAN).normalize()))
    } else {
        grouped(v.normalize())
    }
}

#[cfg(test)]
mod wan_tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn wan_rounds_half_away_from_zero_to_the_hundred() {
        assert_eq!(wan(d("123456.78")), d("12.35"));
        assert_eq!(wan(d("123450.00")), d("12.35"), "a half rounds away from zero");
        assert_eq!(wan(d("123449.99")), d("12.34"));
        assert_eq!(wan(d("-123450")), d("-12.35"));
        assert_eq!(wan(d("10000")), d("1"));
    }

    #[test]
    fn chinese_summaries_count_in_wan_from_ten_thousand() {
        assert_eq!(money_short(d("123456.78"), "CNY", Lang::ZhCn), "¥12.35万");
        assert_eq!(money_short(d("100000"), "CNY", Lang::ZhCn), "¥10.00万");
        assert_eq!(money_short(d("12345678901.5"), "CNY", Lang::ZhCn), "¥1,234,567.89万");
        assert_eq!(money_short(d("-56789"), "CNY", Lang::ZhCn), "-¥5.68万");
        // Below 10,000 (also 9,999.995, which the currency rounds to 10,000.00: then 万).
        assert_eq!(money_short(d("9999.99"), "CNY", Lang::ZhCn), "¥9,999.99");
        assert_eq!(money_short(d("9999.995"), "CNY", Lang::ZhCn), "¥1.00万");
        assert_eq!(money_short(d("-9999"), "CNY", Lang::ZhCn), "-¥9,999.00");
        // English keeps the full figure, grouped.
        assert_eq!(money_short(d("123456.78"), "CNY", Lang::En), "CN¥123,456.78");
        assert_eq!(money_short(d("20000"), "USD", Lang::ZhCn), "US$2.00万");
        assert_eq!(money_short(d("20000"), "XXX", Lang::ZhCn), "XXX 20,000");
    }

    #[test]
    fn whole_units_and_axis_values() {
        assert_eq!(money_whole(d("25000.5"), "CNY", Lang::En), "CN¥25,001");
        assert_eq!(money_whole(d("-0.4"), "CNY", Lang::ZhCn), "¥0");
        assert_eq!(money_whole(d("-1234.5"), "CNY", Lang::ZhCn), "-¥1,235");
        assert_eq!(axis_amount(d("125000"), Lang::ZhCn), "12.5万");
        assert_eq!(axis_amount(d("5000"), Lang::ZhCn), "5,000");
        assert_eq!(axis_amount(d("125000"), Lang::En), "125,000");
        assert_eq!(axis_amount(d("0"), Lang::ZhCn), "0");
    }
}

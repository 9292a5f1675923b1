//! Charts as hand-written SVG, rendered on the server: no chart library, no JavaScript. Figures
//! stay Decimal; only the drawing coordinates are floats. Colours come from the stylesheet
//! (classes), so the Content-Security-Policy can forbid inline styles.
//!
//! Neither chart scales its text: the outer `<svg>` has no viewBox, so one unit is one CSS pixel
//! and the 12 px labels stay 12 px at 390 px and at 1440 px. Horizontal positions are percentages
//! of the chart's width; only the S-curve's lines are drawn in a nested, stretched viewBox (with
//! strokes that do not stretch).

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::format::axis_amount;
use super::i18n::Lang;

/// Text escaped for SVG/HTML (labels are cost-code names typed by people).
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Width of `s` in half-width cells: CJK and other wide characters count 2.
fn cells(c: char) -> usize {
    if c >= '\u{2E80}' { 2 } else { 1 }
}

/// `s` cut to `max` cells with an ellipsis, so a long name cannot run under the figures beside it
/// on a phone (the whole name is in the row's tooltip and in the table).
pub fn fit(s: &str, max: usize) -> String {
    if s.chars().map(cells).sum::<usize>() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + cells(c) > max.saturating_sub(1) {
            break;
        }
        used += cells(c);
        out.push(c);
    }
    out.push('…');
    out
}

/// One bar of the cost chart: a cost code, or the rest taken together.
pub struct BudgetBar {
    /// The code (empty for "others").
    pub code: String,
    /// "03-100 模板" (cut to fit by the chart).
    pub label: String,
    /// The drill-down (or the table, for "others").
    pub href: String,
    pub budget: Decimal,
    pub actual: Decimal,
    /// The actual as shown (at the end of the bar).
    pub caption: String,
    /// Spent % as shown (at the end of the label line).
    pub spent: String,
    /// The row's tooltip: name and figures in full.
    pub tooltip: String,
}

/// Most label cells beside the spent %: fits a 390 px phone at 12 px.
const LABEL_CELLS: usize = 40;
/// Share of the width the bars may take; the actual's caption has the rest.
const BAR_SHARE: f64 = 62.0;
const ROW_H: f64 = 44.0;

/// Budget (pale band, with a tick at its end) and actual (solid bar; red past the budget) per
/// code, one row each: the label and spent % on a line above the bar, the actual after it. Each
/// row links to `href`. `data-code`, `data-actual` and `data-budget` carry the exact figures.
pub fn budget_bars(bars: &[BudgetBar], title: &str) -> String {
    let max = bars.iter().map(|b| b.budget.max(b.actual)).max().unwrap_or_default();
    let pct = |d: Decimal| if max <= Decimal::ZERO { 0.0 } else { (f(d) / f(max) * BAR_SHARE).clamp(0.0, BAR_SHARE) };
    let height = ROW_H * bars.len() as f64 + 6.0;
    let mut s = format!(
        r#"<svg class="dash-bars" width="100%" height="{height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + ROW_H * i as f64;
        let over = b.actual > b.budget;
        let others = b.code.is_empty();
        s.push_str(&format!(
            r#"<a href="{href}" class="bar-row{o}" data-code="{code}" data-actual="{a}" data-budget="{bu}"><title>{tip}</title><rect class="hit" x="0" y="{y}" width="100%" height="{ROW_H}"/>"#,
            href = esc(&b.href),
            o = if others { " others" } else { "" },
            code = esc(&b.code),
            a = b.actual,
            bu = b.budget,
            tip = esc(&b.tooltip),
        ));
        s.push_str(&format!(
            r#"<text class="lbl" x="0" y="{ty:.0}">{l}</text><text class="pct{pc}" x="100%" y="{ty:.0}" text-anchor="end">{sp}</text>"#,
            ty = y + 13.0,
            l = esc(&fit(&b.label, LABEL_CELLS)),
            pc = if over { " over" } else { "" },
            sp = esc(&b.spent),
        ));
        let bar_y = y + 19.0;
        s.push_str(&format!(
            r#"<rect class="budget" x="0" y="{bar_y}" width="{bw:.2}%" height="16"/><rect class="{c}" x="0" y="{ay}" width="{aw:.2}%" height="8"/>"#,
            bw = pct(b.budget),
            c = if over { "actual over" } else { "actual" },
            ay = bar_y + 4.0,
            aw = pct(b.actual),
        ));
        if b.budget > Decimal::ZERO {
            s.push_str(&format!(
                r#"<line class="budget-end" x1="{x:.2}%" x2="{x:.2}%" y1="{y1}" y2="{y2}"/>"#,
                x = pct(b.budget),
                y1 = bar_y - 2.0,
                y2 = bar_y + 18.0
            ));
        }
        s.push_str(&format!(
            r#"<text class="val" x="100%" y="{vy}" text-anchor="end">{cap}</text></a>"#,
            vy = bar_y + 12.0,
            cap = esc(&b.caption),
        ));
    }
    s.push_str("</svg>");
    s
}

/// One point of the S-curve (EV and AC are absent after the status date).
pub struct CurvePoint {
    pub date: NaiveDate,
    pub pv: Decimal,
    pub ev: Option<Decimal>,
    pub ac: Option<Decimal>,
}

/// A round step for about `parts` steps up to `max`: 1, 2, 2.5 or 5 times a power of ten.
pub fn nice_step(max: Decimal, parts: u32) -> Decimal {
    if max <= Decimal::ZERO || parts == 0 {
        return Decimal::ONE;
    }
    let raw = max / Decimal::from(parts);
    let mut power = Decimal::ONE;
    while power * Decimal::TEN <= raw {
        power *= Decimal::TEN;
    }
    while power > raw && power > Decimal::new(1, 2) {
        power /= Decimal::TEN;
    }
    for m in [Decimal::ONE, Decimal::TWO, Decimal::new(25, 1), Decimal::new(5, 0), Decimal::TEN] {
        if power * m >= raw {
            return (power * m).normalize();
        }
    }
    (power * Decimal::TEN).normalize()
}

/// The first days of the months from `first`'s month (when `first` is the 1st) to `last`.
pub(super) fn month_starts(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    let mut m = first.with_day(1).unwrap_or(first);
    if m < first {
        m = m.checked_add_months(Months::new(1)).unwrap_or(last);
    }
    let mut out = Vec::new();
    while m <= last {
        out.push(m);
        match m.checked_add_months(Months::new(1)) {
            Some(n) => m = n,
            None => break,
        }
    }
    out
}

const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A month tick's label: with its year (`Jan 2026`, `2026年1月`) or without (`Mar`, `3月`).
pub fn month_label(m: NaiveDate, with_year: bool, lang: Lang) -> String {
    match (lang, with_year) {
        (Lang::En, true) => format!("{} {}", MONTHS_EN[m.month0() as usize], m.year()),
        (Lang::En, false) => MONTHS_EN[m.month0() as usize].to_string(),
        (Lang::ZhCn, true) => format!("{}年{}月", m.year(), m.month()),
        (Lang::ZhCn, false) => format!("{}月", m.month()),
    }
}

/// The S-curve's words: the chart's title and the status-date line's label.
pub struct CurveText<'a> {
    pub title: &'a str,
    /// "Today 2026-11-25" or "Status date 2026-10-31".
    pub marker: &'a str,
    pub lang: Lang,
}

/// The smallest of 1, 2, 3, 6, 12 months between labels that keeps `n` months to `most` labels.
fn month_every(n: usize, most: usize) -> usize {
    [1, 2, 3, 6, 12, 24, 60].into_iter().find(|k| n.div_ceil(*k) <= most).unwrap_or(120)
}

const CURVE_H: f64 = 270.0;
const PLOT_TOP: f64 = 26.0;
const PLOT_BOTTOM: f64 = 240.0;

/// PV (dashed), EV and AC over time, cumulative, against one money axis: value gridlines with
/// their figures (in 万 in Chinese), a tick at every month start with labels every few months
/// (`tick-major` labels are few enough for a phone; the `tick-minor` ones are hidden there), and
/// a vertical line at the status date `at`.
pub fn s_curve(points: &[CurvePoint], at: NaiveDate, text: &CurveText) -> String {
    let mut s = format!(
        r#"<svg class="dash-curve" width="100%" height="{CURVE_H}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(text.title)
    );
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        s.push_str("</svg>");
        return s;
    };
    let (start, end) = (first.date.min(at), last.date.max(at));
    let days = (end - start).num_days().max(1) as f64;
    // Horizontal position as a percent of the width (1% margins), and as the plot's 0..1000.
    let frac = |d: NaiveDate| (d - start).num_days() as f64 / days;
    let xp = |d: NaiveDate| 1.0 + 98.0 * frac(d);
    let top_value = points.iter().flat_map(|p| [Some(p.pv), p.ev, p.ac]).flatten().max().unwrap_or_default();
    let step = nice_step(top_value, 4);
    let steps = if top_value <= Decimal::ZERO { 1 } else { (top_value / step).ceil().to_u32().unwrap_or(1).max(1) };
    let axis_max = step * Decimal::from(steps);
    let plot_h = PLOT_BOTTOM - PLOT_TOP;
    let gy = |v: Decimal| PLOT_BOTTOM - f(v) / f(axis_max) * plot_h;

    // Value gridlines and their figures (inside the plot, above each line, so none is clipped).
    for i in 0..=steps {
        let v = step * Decimal::from(i);
        let y = gy(v);
        s.push_str(&format!(
            r#"<line class="{c}" x1="0" x2="100%" y1="{y:.1}" y2="{y:.1}"/>"#,
            c = if i == 0 { "axis" } else { "grid" }
        ));
        if i > 0 {
            s.push_str(&format!(
                r#"<text class="tick y-tick" x="4" y="{ty:.1}">{l}</text>"#,
                ty = y - 4.0,
                l = esc(&axis_amount(v, text.lang))
            ));
        }
    }

    // Month ticks along the bottom.
    let months = month_starts(start, end);
    let every = month_every(months.len(), 12);
    let major = every * month_every(months.len().div_ceil(every), 4);
    for (i, m) in months.iter().enumerate() {
        let x = xp(*m);
        s.push_str(&format!(
            r#"<line class="month" x1="{x:.2}%" x2="{x:.2}%" y1="{b}" y2="{b2}"/>"#,
            b = PLOT_BOTTOM,
            b2 = PLOT_BOTTOM + 5.0
        ));
        if i % every != 0 {
            continue;
        }
        let is_major = i % major == 0;
        let with_year = is_major || m.month() == 1;
        let anchor = edge_anchor(x);
        s.push_str(&format!(
            r#"<text class="tick x-tick {k}" data-month="{m}" x="{x:.2}%" y="{y}" text-anchor="{anchor}">{l}</text>"#,
            k = if is_major { "tick-major" } else { "tick-minor" },
            m = m.format("%Y-%m"),
            y = PLOT_BOTTOM + 18.0,
            l = esc(&month_label(*m, with_year, text.lang)),
        ));
    }

    // The lines, in a nested plot stretched to the width (strokes keep their width).
    s.push_str(&format!(
        r#"<svg x="1%" y="{PLOT_TOP}" width="98%" height="{plot_h}" viewBox="0 0 1000 1000" preserveAspectRatio="none">"#
    ));
    let line = |class: &str, pts: Vec<(NaiveDate, Decimal)>| {
        let coords: Vec<String> = pts
            .iter()
            .map(|(d, v)| format!("{:.1},{:.1}", frac(*d) * 1000.0, 1000.0 - f(*v) / f(axis_max) * 1000.0))
            .collect();
        format!(
            r#"<polyline class="{class}" fill="none" vector-effect="non-scaling-stroke" points="{}"/>"#,
            coords.join(" ")
        )
    };
    s.push_str(&line("pv", points.iter().map(|p| (p.date, p.pv)).collect()));
    s.push_str(&line("ev", points.iter().filter_map(|p| p.ev.map(|v| (p.date, v))).collect()));
    s.push_str(&line("ac", points.iter().filter_map(|p| p.ac.map(|v| (p.date, v))).collect()));
    s.push_str("</svg>");

    // The status date.
    let x = xp(at);
    let anchor = if x > 70.0 { "end" } else { "start" };
    let tx = if x > 70.0 { x - 0.6 } else { x + 0.6 };
    s.push_str(&format!(
        r#"<line class="today" data-date="{at}" x1="{x:.2}%" x2="{x:.2}%" y1="{t}" y2="{b}"/><text class="today-label" x="{tx:.2}%" y="{ly}" text-anchor="{anchor}">{l}</text>"#,
        t = PLOT_TOP - 10.0,
        b = PLOT_BOTTOM,
        ly = PLOT_TOP - 12.0,
        l = esc(text.marker)
    ));
    s.push_str("</svg>");
    s
}

/// A tick label's `text-anchor` at `x` (% of the width): centred on its tick, except near the
/// edges, so none is clipped or runs into the next.
pub(super) fn edge_anchor(x: f64) -> &'static str {
    if x < 10.0 {
        "start"
    } else if x > 90.0 {
        "end"
    } else {
        "middle"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(code: &str, budget: i64, actual: i64) -> BudgetBar {
        BudgetBar {
            code: code.into(),
            label: format!("{code} <b>&"),
            href: format!("/web/cost/{code}?from=&to="),
            budget: Decimal::from(budget),
            actual: Decimal::from(actual),
            caption: actual.to_string(),
            spent: "120%".into(),
            tooltip: "t".into(),
        }
    }

    #[test]
    fn bars_escape_labels_link_rows_and_mark_overruns() {
        let svg = budget_bars(&[bar("03-100", 10, 12), bar("03-200", 10, 5)], "t");
        assert!(svg.contains("&lt;b&gt;&amp;") && !svg.contains("<b>"), "{svg}");
        assert_eq!(svg.matches(r#"class="actual over""#).count(), 1, "{svg}");
        assert!(
            svg.contains(r#"<a href="/web/cost/03-100?from=&amp;to=" class="bar-row" data-code="03-100""#),
            "{svg}"
        );
        // No viewBox on the chart: text is never scaled down.
        assert!(!svg.split('>').next().unwrap_or_default().contains("viewBox"), "{svg}");
        // The longest bar (12) takes the whole bar share.
        assert!(svg.contains(r#"width="62.00%" height="8""#), "{svg}");
    }

    #[test]
    fn long_names_are_cut_by_display_width() {
        assert_eq!(fit("03-100 模板", 40), "03-100 模板");
        let long = "01-100 基坑开挖及土方外运（含渣土消纳与场内倒运）";
        let cut = fit(long, 40);
        assert!(cut.ends_with('…') && cut.chars().map(cells).sum::<usize>() <= 40, "{cut}");
        assert_eq!(fit("abcdef", 4), "abc…");
    }

    #[test]
    fn nice_steps() {
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        assert_eq!(nice_step(d("1000000"), 4), d("250000"));
        assert_eq!(nice_step(d("930000"), 4), d("250000"));
        assert_eq!(nice_step(d("410000"), 4), d("200000"));
        assert_eq!(nice_step(d("70"), 4), d("20"));
        assert_eq!(nice_step(d("0"), 4), d("1"));
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn curve_has_month_ticks_a_status_line_and_lines_that_stop_at_it() {
        let pts: Vec<CurvePoint> = (0..25)
            .map(|i| {
                let date = day(2025, 1, 1) + chrono::Days::new(i * 30);
                let past = date <= day(2026, 6, 30);
                let v = Decimal::from(i * 40_000);
                CurvePoint { date, pv: v, ev: past.then_some(v), ac: past.then_some(v) }
            })
            .collect();
        let svg = s_curve(&pts, day(2026, 6, 30), &CurveText { title: "s", marker: "Today", lang: Lang::ZhCn });
        // 2025-01 … 2026-12: a tick each month, a label every 2 months, a year on the majors.
        assert_eq!(svg.matches(r#"class="month""#).count(), 24, "{svg}");
        assert_eq!(svg.matches("x-tick").count(), 12, "{svg}");
        assert!(svg.contains(">2025年1月<") && svg.contains(">3月<"), "{svg}");
        assert!(svg.matches("tick-major").count() <= 4, "{svg}");
        assert!(svg.contains(r#"class="today" data-date="2026-06-30""#), "{svg}");
        // Value ticks in 万: 960,000 → steps of 25万 up to 100万.
        assert!(svg.contains(">25万<") && svg.contains(">100万<"), "{svg}");
        let ev = svg.split(r#"class="ev""#).nth(1).expect("ev line");
        let points = ev.split("points=\"").nth(1).and_then(|p| p.split('"').next()).expect("points");
        assert_eq!(points.split(' ').count(), 19, "EV stops at the status date: {svg}");
    }
}

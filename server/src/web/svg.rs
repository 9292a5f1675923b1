//! Charts as hand-written SVG, rendered on the server: no chart library, no JavaScript. Figures
//! stay Decimal; only the drawing coordinates are floats. Colours come from the stylesheet
//! (classes), so the Content-Security-Policy can forbid inline styles.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Text escaped for SVG/HTML (labels are cost-code names typed by people).
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// One bar pair of the cost chart.
pub struct BudgetBar {
    pub label: String,
    pub budget: Decimal,
    pub actual: Decimal,
    /// Shown at the end of the row (the formatted actual).
    pub caption: String,
}

/// Budget (pale) and actual (solid; red when over budget) per cost code, one row each.
pub fn budget_bars(bars: &[BudgetBar], title: &str) -> String {
    let (label_w, bar_w, row_h, width) = (150.0, 330.0, 26.0, 640.0);
    let max = bars.iter().map(|b| b.budget.max(b.actual)).max().unwrap_or_default();
    let scale = |d: Decimal| if max.is_zero() { 0.0 } else { (f(d) / f(max) * bar_w).max(0.0) };
    let height = row_h * bars.len() as f64 + 10.0;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        let over = b.actual > b.budget;
        s.push_str(&format!(
            r#"<text class="lbl" x="{x}" y="{ty:.1}" text-anchor="end">{l}</text><rect class="budget" x="{bx}" y="{y:.1}" width="{bw:.1}" height="18"/><rect class="{c}" x="{bx}" y="{ay:.1}" width="{aw:.1}" height="10"/><text class="val" x="{vx:.1}" y="{ty:.1}">{cap}</text>"#,
            x = label_w - 6.0,
            ty = y + 13.0,
            l = esc(&b.label),
            bx = label_w,
            bw = scale(b.budget),
            c = if over { "actual over" } else { "actual" },
            ay = y + 4.0,
            aw = scale(b.actual),
            vx = label_w + bar_w + 8.0,
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

/// PV, EV and AC over time: cumulative lines against a shared money axis.
pub fn s_curve(points: &[CurvePoint], title: &str, max_label: &str) -> String {
    let (w, h, left, bottom, top, right) = (640.0, 300.0, 56.0, 28.0, 12.0, 12.0);
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        s.push_str("</svg>");
        return s;
    };
    let days = (last.date - first.date).num_days().max(1) as f64;
    let max = points.iter().flat_map(|p| [Some(p.pv), p.ev, p.ac]).flatten().max().unwrap_or_default();
    let x = |d: NaiveDate| left + (d - first.date).num_days() as f64 / days * (w - left - right);
    let y = |v: Decimal| if max.is_zero() { h - bottom } else { h - bottom - f(v) / f(max) * (h - bottom - top) };
    s.push_str(&format!(
        r#"<line class="axis" x1="{left}" y1="{b}" x2="{r}" y2="{b}"/><line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{b}"/>"#,
        b = h - bottom,
        r = w - right
    ));
    s.push_str(&format!(
        r#"<text class="lbl" x="{left}" y="{ly}">{d0}</text><text class="lbl" x="{r}" y="{ly}" text-anchor="end">{d1}</text><text class="lbl" x="{lx}" y="{ty}">{m}</text>"#,
        ly = h - 8.0,
        r = w - right,
        d0 = first.date,
        d1 = last.date,
        // The top of the money axis, written inside the plot so a long amount is never clipped.
        lx = left + 4.0,
        ty = top + 10.0,
        m = esc(max_label)
    ));
    let line = |class: &str, pts: Vec<(NaiveDate, Decimal)>| {
        let coords: Vec<String> = pts.iter().map(|(d, v)| format!("{:.1},{:.1}", x(*d), y(*v))).collect();
        format!(r#"<polyline class="{class}" fill="none" points="{}"/>"#, coords.join(" "))
    };
    s.push_str(&line("pv", points.iter().map(|p| (p.date, p.pv)).collect()));
    s.push_str(&line("ev", points.iter().filter_map(|p| p.ev.map(|v| (p.date, v))).collect()));
    s.push_str(&line("ac", points.iter().filter_map(|p| p.ac.map(|v| (p.date, v))).collect()));
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_over_budget_marked() {
        let svg = budget_bars(
            &[BudgetBar {
                label: "<b>&".into(),
                budget: Decimal::from(10),
                actual: Decimal::from(12),
                caption: "12".into(),
            }],
            "t",
        );
        assert!(svg.contains("&lt;b&gt;&amp;") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains(r#"class="actual over""#));
    }

    #[test]
    fn curve_lines_stop_where_figures_end() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        let pts = [
            CurvePoint { date: day(1), pv: Decimal::ZERO, ev: Some(Decimal::ZERO), ac: Some(Decimal::ZERO) },
            CurvePoint {
                date: day(8),
                pv: Decimal::from(50),
                ev: Some(Decimal::from(40)),
                ac: Some(Decimal::from(45)),
            },
            CurvePoint { date: day(15), pv: Decimal::from(100), ev: None, ac: None },
        ];
        let svg = s_curve(&pts, "s", "100");
        let ev = svg.split(r#"class="ev""#).nth(1).expect("ev line");
        let points = ev.split("points=\"").nth(1).and_then(|p| p.split('"').next()).expect("points");
        assert_eq!(points.split(' ').count(), 2, "{svg}");
    }
}

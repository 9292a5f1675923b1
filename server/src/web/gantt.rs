//! The schedule screen's Gantt chart as hand-written SVG (as `svg.rs`): one row per activity, grouped
//! by cost code, with the planned bar (planned start to planned finish, both days inclusive), the
//! actual percent complete drawn over it, and a line at the status date. An activity is late when
//! its actual percent is below its planned percent at the status date (as the table's red figure).
//!
//! The name sits above its bar, so at 390 px nothing needs a name column; the whole width is the
//! time axis. Month zoom fits the chart to the width; week zoom gives each week 56 px and the box
//! scrolls sideways (the text is never scaled) while the names and group labels stay pinned at its
//! left edge: they are drawn in a second, 1 px wide SVG, sticky at the left, over the chart.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::i18n::Lang;
use super::svg::{esc, fit, month_label, month_starts};

/// How the time axis is ticked and sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zoom {
    Week,
    Month,
}

impl Zoom {
    /// `zoom=week|month` from the query; anything else: weeks for up to 16 weeks, months beyond.
    pub fn pick(asked: Option<&str>, first: NaiveDate, last: NaiveDate) -> Zoom {
        match asked {
            Some("week") => Zoom::Week,
            Some("month") => Zoom::Month,
            _ if (last - first).num_days() <= 16 * 7 => Zoom::Week,
            _ => Zoom::Month,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Zoom::Week => "week",
            Zoom::Month => "month",
        }
    }
}

/// One activity as the chart draws it.
pub struct GanttRow {
    pub id: String,
    pub name: String,
    /// The cost code ("" when the activity has none).
    pub code: String,
    pub start: NaiveDate,
    pub finish: NaiveDate,
    pub planned: Decimal,
    /// None: no approved progress yet (drawn as 0).
    pub actual: Option<Decimal>,
}

impl GanttRow {
    pub fn late(&self) -> bool {
        self.actual.unwrap_or_default() < self.planned
    }
}

/// The chart's words.
pub struct GanttText<'a> {
    pub title: &'a str,
    /// "Today 11-25" or "Status date 2026-10-31".
    pub marker: &'a str,
    /// The group header of activities without a cost code.
    pub no_code: &'a str,
    /// "Late", after a late activity's name.
    pub late: &'a str,
    pub lang: Lang,
}

const HEAD: f64 = 40.0;
const GROUP_H: f64 = 24.0;
const ROW_H: f64 = 38.0;
const WEEK_PX: i64 = 56;

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// `rows` in groups (in the order of `groups`, (code, label); rows whose code is not there come
/// last under `text.no_code`), with ticks for `zoom` and the status date `at`.
pub fn gantt(rows: &[GanttRow], groups: &[(String, String)], at: NaiveDate, zoom: Zoom, text: &GanttText) -> String {
    let first = rows.iter().map(|r| r.start).min().unwrap_or(at).min(at);
    let last = rows.iter().map(|r| r.finish + Days::new(1)).max().unwrap_or(at).max(at + Days::new(1));
    let days = (last - first).num_days().max(1);
    let xp = |d: NaiveDate| 1.0 + 98.0 * (d - first).num_days() as f64 / days as f64;

    // Groups in the reference's order, then the codes it does not list, then no code.
    let mut order: Vec<(String, String)> = Vec::new();
    for (code, label) in groups {
        if rows.iter().any(|r| &r.code == code) {
            order.push((code.clone(), label.clone()));
        }
    }
    for r in rows {
        if !order.iter().any(|(c, _)| c == &r.code) {
            let label = if r.code.is_empty() { text.no_code.to_string() } else { r.code.clone() };
            order.push((r.code.clone(), label));
        }
    }
    if let Some(i) = order.iter().position(|(c, _)| c.is_empty()) {
        let none = order.remove(i);
        order.push(none);
    }

    let height = HEAD + GROUP_H * order.len() as f64 + ROW_H * rows.len() as f64 + 6.0;
    let width = match zoom {
        Zoom::Week => format!("{}px", (days / 7 + 1) * WEEK_PX),
        Zoom::Month => "100%".into(),
    };
    let mut s = format!(
        r#"<svg class="dash-gantt zoom-{z}" width="{width}" height="{height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        z = zoom.as_str(),
        t = esc(text.title)
    );

    // Ticks: gridlines down the chart, labels in the head.
    let tick = |s: &mut String, d: NaiveDate, label: Option<(String, bool)>| {
        let x = xp(d);
        s.push_str(&format!(
            r#"<line class="tick-line" x1="{x:.2}%" x2="{x:.2}%" y1="{y}" y2="{height}"/>"#,
            y = HEAD - 6.0
        ));
        if let Some((l, major)) = label {
            let anchor = super::svg::edge_anchor(x);
            s.push_str(&format!(
                r#"<text class="tick x-tick {k}" data-tick="{d}" x="{tx:.2}%" y="{y}" text-anchor="{anchor}">{l}</text>"#,
                k = if major { "tick-major" } else { "tick-minor" },
                tx = match anchor {
                    "end" => x - 0.3,
                    "start" => x + 0.3,
                    _ => x,
                },
                y = HEAD - 10.0,
                l = esc(&l)
            ));
        }
    };
    match zoom {
        Zoom::Week => {
            let mut d = first;
            while d.weekday() != Weekday::Mon {
                d = d.succ_opt().unwrap_or(last);
            }
            while d < last {
                tick(&mut s, d, Some((d.format("%m-%d").to_string(), true)));
                d = d + Days::new(7);
            }
        }
        Zoom::Month => {
            let months = month_starts(first, last.pred_opt().unwrap_or(last));
            let every = [1, 2, 3, 6, 12].into_iter().find(|k| months.len().div_ceil(*k) <= 12).unwrap_or(24);
            let major = every * [1, 2, 3, 6].into_iter().find(|k| months.len().div_ceil(every * k) <= 4).unwrap_or(12);
            for (i, m) in months.iter().enumerate() {
                let label = (i % every == 0).then(|| {
                    let is_major = i % major == 0;
                    (month_label(*m, is_major || m.month() == 1, text.lang), is_major)
                });
                tick(&mut s, *m, label);
            }
        }
    }

    // Groups and their activities. At week zoom the names are drawn apart (`pins`), in an SVG that
    // stays at the left edge while the chart scrolls under it.
    let week = zoom == Zoom::Week;
    let mut pins = String::new();
    let mut y = HEAD;
    for (code, label) in &order {
        // 44 cells fit a phone's width in bold 12 px; the whole name is in the tooltip and the table.
        let group_label =
            format!(r#"<text class="group-label" x="4" y="{ty}">{l}</text>"#, ty = y + 16.0, l = esc(&fit(label, 44)));
        s.push_str(&format!(
            r#"<g class="gantt-group" data-code="{c}"><title>{full}</title><rect class="group-band" x="0" y="{y}" width="100%" height="{h}"/>{gl}</g>"#,
            c = esc(code),
            h = GROUP_H - 2.0,
            full = esc(label),
            gl = if week { "" } else { group_label.as_str() },
        ));
        if week {
            pins.push_str(&group_label);
        }
        y += GROUP_H;
        for r in rows.iter().filter(|r| &r.code == code) {
            let (x0, x1) = (xp(r.start), xp(r.finish + Days::new(1)));
            let w = (x1 - x0).max(0.4);
            let done = f(r.actual.unwrap_or_default()).clamp(0.0, 100.0) / 100.0;
            let late = r.late();
            let pct = |p: Option<Decimal>| p.map(|p| format!("{}%", p.round())).unwrap_or_else(|| "–".into());
            let figures = format!("{} / {}", pct(r.actual), pct(Some(r.planned)));
            let name = format!("{} {}", r.id, r.name);
            let name_text = format!(
                r#"<text class="row-name{lc}" x="4" y="{ny}">{n}{lw}{inline}</text>"#,
                lc = if late { " late" } else { "" },
                ny = y + 13.0,
                n = esc(&fit(&name, 36)),
                lw = if late { format!(" · {}", esc(text.late)) } else { String::new() },
                inline = if week { format!(" · {}", esc(&figures)) } else { String::new() },
            );
            if week {
                pins.push_str(&name_text);
            }
            s.push_str(&format!(
                r#"<g class="gantt-row{lc}" data-activity="{id}"><title>{tip}</title>{nt}{right}<rect class="planned" x="{x0:.2}%" y="{by}" width="{w:.2}%" height="12" rx="2"/><rect class="actual" x="{x0:.2}%" y="{ay}" width="{aw:.2}%" height="6"/></g>"#,
                lc = if late { " late" } else { "" },
                id = esc(&r.id),
                tip = esc(&format!("{name}: {} – {}, {figures}", r.start, r.finish)),
                nt = if week { "" } else { name_text.as_str() },
                right = if week {
                    String::new()
                } else {
                    format!(r#"<text class="row-pct" x="99%" y="{}" text-anchor="end">{}</text>"#, y + 13.0, esc(&figures))
                },
                by = y + 18.0,
                ay = y + 21.0,
                aw = w * done,
            ));
            y += ROW_H;
        }
    }

    // The status date, over everything.
    let x = xp(at);
    let anchor = if x > 70.0 { "end" } else { "start" };
    s.push_str(&format!(
        r#"<line class="today" data-date="{at}" x1="{x:.2}%" x2="{x:.2}%" y1="14" y2="{height}"/><text class="today-label" x="{tx:.2}%" y="11" text-anchor="{anchor}">{l}</text>"#,
        tx = if anchor == "end" { x - 0.4 } else { x + 0.4 },
        l = esc(text.marker)
    ));
    s.push_str("</svg>");
    if week {
        // The names, pinned: a 1 px wide SVG whose text overflows it, sticky at the scroll box's left
        // edge, before the chart in a row as wide as the chart (static/portfolio.css, `gantt-pinned`).
        return format!(
            r#"<div class="gantt-pinned"><svg class="gantt-names" width="1" height="{height}" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">{pins}</svg>{s}</div>"#
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn row(id: &str, code: &str, start: NaiveDate, finish: NaiveDate, planned: i64, actual: Option<i64>) -> GanttRow {
        GanttRow {
            id: id.into(),
            name: format!("{id} <b>"),
            code: code.into(),
            start,
            finish,
            planned: Decimal::from(planned),
            actual: actual.map(Decimal::from),
        }
    }

    #[test]
    fn rows_grouped_late_marked_today_drawn() {
        let rows = [
            row("A2", "02", day(2026, 1, 1), day(2026, 1, 31), 100, Some(100)),
            row("A1", "01", day(2026, 1, 1), day(2026, 3, 31), 50, Some(25)),
            row("A3", "", day(2026, 3, 1), day(2026, 6, 30), 0, None),
        ];
        let groups = [("01".to_string(), "01 Earthworks".to_string()), ("02".to_string(), "02 Piles".to_string())];
        let text = GanttText { title: "g", marker: "Today", no_code: "No cost code", late: "Late", lang: Lang::En };
        let svg = gantt(&rows, &groups, day(2026, 2, 14), Zoom::Month, &text);
        assert_eq!(svg.matches(r#"<g class="gantt-row"#).count(), 3, "{svg}");
        assert_eq!(svg.matches(r#"class="gantt-row late""#).count(), 1, "{svg}");
        assert!(svg.contains(r#"class="gantt-row late" data-activity="A1""#), "{svg}");
        assert!(svg.contains(r#"class="today" data-date="2026-02-14""#), "{svg}");
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
        // Groups in the reference's order, no code last, each row under its group.
        let g01 = svg.find(r#"data-code="01""#).expect("01");
        let g02 = svg.find(r#"data-code="02""#).expect("02");
        let none = svg.find(r#"data-code="""#).expect("none");
        let a1 = svg.find(r#"data-activity="A1""#).expect("A1");
        assert!(g01 < a1 && a1 < g02 && g02 < none, "{svg}");
        // Jan..Jun: one tick a month. A1 is 25% done: its actual bar is a quarter of its planned one.
        assert_eq!(svg.matches("x-tick").count(), 6, "{svg}");
        assert!(!svg.split('>').next().unwrap_or_default().contains("viewBox"), "{svg}");
    }

    #[test]
    fn zoom_by_span_unless_asked() {
        let (a, b) = (day(2026, 1, 1), day(2026, 3, 1));
        assert_eq!(Zoom::pick(None, a, b), Zoom::Week);
        assert_eq!(Zoom::pick(None, a, day(2026, 12, 1)), Zoom::Month);
        assert_eq!(Zoom::pick(Some("month"), a, b), Zoom::Month);
        assert_eq!(Zoom::pick(Some("week"), a, day(2026, 12, 1)), Zoom::Week);
        let rows = [row("A1", "01", a, b, 50, Some(50))];
        let text = GanttText { title: "g", marker: "T", no_code: "-", late: "L", lang: Lang::ZhCn };
        let svg = gantt(&rows, &[], day(2026, 1, 20), Zoom::Week, &text);
        // 2026-01-05 … 2026-02-23: eight Mondays, each labelled; the chart is wider than a phone.
        assert_eq!(svg.matches("x-tick").count(), 8, "{svg}");
        assert!(svg.contains(r#"width="504px""#), "{svg}");
        assert!(!svg.contains(r#"class="gantt-row late""#), "{svg}");
        // The names are drawn once, in the pinned SVG before the chart, not in the chart.
        let (pinned, chart) = svg.split_once(r#"<svg class="dash-gantt"#).expect("the chart after the names");
        assert!(pinned.starts_with(r#"<div class="gantt-pinned"><svg class="gantt-names""#), "{svg}");
        assert_eq!((pinned.matches("row-name").count(), chart.matches("row-name").count()), (1, 0), "{svg}");
        assert!(pinned.contains("A1 A1 &lt;b&gt; · 50% / 50%"), "{svg}");
    }
}

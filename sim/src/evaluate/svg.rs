//! `evaluate --svg FILE`: the trade-off of the report as a picture a person reads at a glance.
//! One panel per trace source and one for the whole set; in each, one labelled point per policy
//! at (OOM kills per 1k container-hours, slack). Lower-left is better on both axes.
//!
//! Plain SVG written here rather than a plotting crate: a dozen points and a few axes do not
//! justify the build time of one on two cores. The OOM axis is logarithmic (log10(1 + x)),
//! because the policies span 0 to over 1000 kills per 1k container-hours and the interesting
//! differences (3 against 7) sit near zero; slack is linear, on each panel's own range (printed
//! on its axis), so policies a few thousandths apart are told apart. Every point's figures are
//! also written under its panel.
use std::fmt::Write as _;

use super::metrics::Metrics;
use super::report::Report;

/// Size of one panel and its inner margins (pixels).
const PANEL_W: f64 = 460.0;
const PANEL_H: f64 = 400.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 18.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 112.0;
/// Legend lines under each panel's axis: two columns.
const LEGEND_COLUMNS: usize = 2;
const LINE: f64 = 15.0;
/// Rough width of one character of a 12 px label, to keep labels from overlapping.
const CHAR_W: f64 = 7.0;
/// Panels per row.
const COLUMNS: usize = 2;
/// Height of the figure title.
const TITLE_H: f64 = 40.0;
/// Colours of the policies, in report order (then repeating).
pub(crate) const COLOURS: [&str; 8] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
];
/// Our policy is drawn larger so it stands out.
const OURS: &str = "rightsize";

/// One panel: a title and one point per policy.
struct Panel<'a> {
    title: String,
    points: Vec<(&'a str, &'a Metrics)>,
}

/// `log10(1 + x)`: the OOM axis.
fn oom_axis(x: f64) -> f64 {
    (1.0 + x.max(0.0)).log10()
}

/// Escapes text for an SVG text node or attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG document of `report`: panels per source (in report order) and overall.
pub fn render(report: &Report) -> String {
    let mut panels: Vec<Panel> = Vec::new();
    for (_, policy) in &report.policies {
        for source in policy.sources.keys() {
            if !panels.iter().any(|p| &p.title == source) {
                panels.push(Panel {
                    title: source.clone(),
                    points: Vec::new(),
                });
            }
        }
    }
    for panel in &mut panels {
        panel.points = report
            .policies
            .iter()
            .filter_map(|(name, r)| Some((name.as_str(), r.sources.get(&panel.title)?)))
            .collect();
        panel.title = format!("source {}", panel.title);
    }
    panels.push(Panel {
        title: "overall".to_owned(),
        points: report
            .policies
            .iter()
            .map(|(name, r)| (name.as_str(), &r.total))
            .collect(),
    });
    // One OOM scale for every panel, so panels compare.
    let max_oom = panels
        .iter()
        .flat_map(|p| p.points.iter().map(|(_, m)| m.ooms_per_1k_container_hours))
        .fold(1.0_f64, f64::max);
    // Whole decades, with a little room right of the largest point for its label.
    let x_max = (oom_axis(max_oom) + 0.05).ceil().max(1.0);

    let grid = Grid::new(PANEL_W, PANEL_H, COLUMNS, TITLE_H);
    let mut svg = grid.open(
        panels.len(),
        "Slack against OOM kills per policy (lower left is better)",
    );
    for (i, panel) in panels.iter().enumerate() {
        let (x0, y0) = grid.origin(i);
        draw_panel(&mut svg, panel, x0, y0, x_max, report);
    }
    svg.push_str("</svg>\n");
    svg
}

/// Panels laid out in rows of `columns` under a title band (the evaluator's and the demo's
/// pictures).
pub(crate) struct Grid {
    pub panel_w: f64,
    pub panel_h: f64,
    pub columns: usize,
    pub title_h: f64,
}

impl Grid {
    pub const fn new(panel_w: f64, panel_h: f64, columns: usize, title_h: f64) -> Self {
        Self {
            panel_w,
            panel_h,
            columns,
            title_h,
        }
    }

    /// [`open_document`] sized for `panels` panels.
    pub fn open(&self, panels: usize, title: &str) -> String {
        let rows = panels.div_ceil(self.columns).max(1);
        open_document(
            self.panel_w * self.columns as f64,
            self.title_h + self.panel_h * rows as f64,
            title,
        )
    }

    /// Top-left corner of panel `i`.
    pub fn origin(&self, i: usize) -> (f64, f64) {
        (
            self.panel_w * (i % self.columns) as f64,
            self.title_h + self.panel_h * (i / self.columns) as f64,
        )
    }
}

/// A panel's bold title centred at height `title_y` over its plot area `(x, y, w, h)`.
pub(crate) fn panel_frame(svg: &mut String, title: &str, title_y: f64, area: (f64, f64, f64, f64)) {
    let (px, py, w, h) = area;
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{title_y}" text-anchor="middle" font-size="14" font-weight="bold">{}</text><rect x="{px}" y="{py}" width="{w}" height="{h}" fill="#fafafa" stroke="#333"/>"##,
        px + w / 2.0,
        escape(title)
    );
}

/// The start of an SVG document of `width` x `height` on white, with `title` centred on top.
/// The caller closes it with `</svg>`.
fn open_document(width: f64, height: f64, title: &str) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="16" font-weight="bold">{}</text>"#,
        width / 2.0,
        escape(title)
    );
    svg
}

/// Slack range and tick step of a panel: the points' range with some room, on a round grid, so
/// close policies are told apart (a fixed 0..1 axis would pile them up).
fn slack_range(points: &[(&str, &Metrics)]) -> (f64, f64, f64) {
    let lo = points.iter().map(|(_, m)| m.slack).fold(1.0_f64, f64::min);
    let hi = points.iter().map(|(_, m)| m.slack).fold(0.0_f64, f64::max);
    let span = (hi - lo).max(0.02);
    let step = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2]
        .into_iter()
        .find(|s| span / s <= 6.0)
        .unwrap_or(0.2);
    let lo = ((lo - span * 0.1) / step).floor().max(0.0) * step;
    let hi = (((hi + span * 0.1) / step).ceil() * step)
        .min(1.0)
        .max(lo + step);
    (lo, hi, step)
}

/// Draws one panel with its top-left corner at (`x0`, `y0`).
fn draw_panel(svg: &mut String, panel: &Panel, x0: f64, y0: f64, x_max: f64, report: &Report) {
    let (px, py) = (x0 + LEFT, y0 + TOP);
    let (w, h) = (PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM);
    let (lo, hi, step) = slack_range(&panel.points);
    let x = |oom: f64| px + w * oom_axis(oom) / x_max;
    let y = |slack: f64| py + h * (1.0 - (slack - lo) / (hi - lo));
    panel_frame(svg, &panel.title, y0 + 22.0, (px, py, w, h));
    let mut k = 0.0_f64;
    while lo + k * step <= hi + 1e-9 {
        let s = lo + k * step;
        let ty = y(s);
        let digits = if step < 0.01 { 3 } else { 2 };
        let _ = writeln!(
            svg,
            r##"<line x1="{px}" y1="{ty:.1}" x2="{}" y2="{ty:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{s:.digits$}</text>"##,
            px + w,
            px - 6.0,
            ty + 4.0
        );
        k += 1.0;
    }
    // OOM ticks at 0, 1, 10, 100, ...
    let mut tick = 0.0_f64;
    while oom_axis(tick) <= x_max + 1e-9 {
        let tx = x(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{tx:.1}" y1="{py}" x2="{tx:.1}" y2="{}" stroke="#ddd"/><text x="{tx:.1}" y="{}" text-anchor="middle">{tick}</text>"##,
            py + h,
            py + h + 16.0
        );
        tick = if tick == 0.0 { 1.0 } else { tick * 10.0 };
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">OOM kills per 1k container-hours (log scale)</text>"#,
        px + w / 2.0,
        py + h + 34.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate({} {}) rotate(-90)" text-anchor="middle">slack (unused share of the request)</text>"#,
        x0 + 14.0,
        py + h / 2.0
    );
    // Points, then name labels placed top to bottom, each moved down until it overlaps none
    // placed before (policies often sit close together).
    let mut order: Vec<(usize, f64, f64)> = panel
        .points
        .iter()
        .enumerate()
        .map(|(i, (_, m))| (i, x(m.ooms_per_1k_container_hours), y(m.slack)))
        .collect();
    order.sort_by(|a, b| a.2.total_cmp(&b.2));
    let mut placed: Vec<(f64, f64, f64)> = Vec::new(); // (left, right, baseline)
    for (i, cx, cy) in order {
        let (name, m) = panel.points[i];
        let colour = colour_of(report, name);
        let (r, weight) = if name == OURS {
            (7.0, "bold")
        } else {
            (5.0, "normal")
        };
        let _ = writeln!(
            svg,
            r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="{r}" fill="{colour}" fill-opacity="0.85"><title>{} slack {:.4}, {:.2} OOM kills per 1k container-hours</title></circle>"#,
            escape(name),
            m.slack,
            m.ooms_per_1k_container_hours
        );
        let width = CHAR_W * name.len() as f64;
        // Labels go left of points in the right part, so they stay inside the panel.
        let left = if cx + r + 3.0 + width > px + w {
            cx - r - 3.0 - width
        } else {
            cx + r + 3.0
        };
        let mut baseline = cy - 3.0;
        while placed
            .iter()
            .any(|&(l, rt, b)| left < rt && left + width > l && (baseline - b).abs() < LINE - 2.0)
        {
            baseline += LINE - 2.0;
        }
        placed.push((left, left + width, baseline));
        let _ = writeln!(
            svg,
            r#"<text x="{left:.1}" y="{baseline:.1}" fill="{colour}" font-weight="{weight}">{}</text>"#,
            escape(name)
        );
    }
    // The figures themselves, under the axis.
    for (i, (name, m)) in panel.points.iter().enumerate() {
        let col = (i % LEGEND_COLUMNS) as f64;
        let row = (i / LEGEND_COLUMNS) as f64;
        let lx = x0 + 14.0 + col * (PANEL_W - 14.0) / LEGEND_COLUMNS as f64;
        let ly = py + h + 56.0 + row * LINE;
        let weight = if *name == OURS { "bold" } else { "normal" };
        let _ = writeln!(
            svg,
            r#"<text x="{lx:.1}" y="{ly:.1}" font-size="11" font-weight="{weight}"><tspan fill="{}">&#9679; {}</tspan> slack {:.4}, OOM {:.2}</text>"#,
            colour_of(report, name),
            escape(name),
            m.slack,
            m.ooms_per_1k_container_hours
        );
    }
}

/// The colour of a policy: by its position in the report, the same in every panel.
fn colour_of(report: &Report, name: &str) -> &'static str {
    report
        .policies
        .iter()
        .position(|(n, _)| n == name)
        .map_or("#000", |i| COLOURS[i % COLOURS.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oom_axis_is_log_of_one_plus() {
        assert_eq!(oom_axis(0.0), 0.0);
        assert!((oom_axis(9.0) - 1.0).abs() < 1e-12);
        assert!((oom_axis(99.0) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn slack_axis_covers_every_point_on_a_round_grid() {
        let m = |slack| Metrics {
            slack,
            limit_slack: slack,
            under: 0.0,
            ooms_per_1k_container_hours: 0.0,
            oom_free_container_days: 1.0,
            resizes_per_container_day: Some(0.0),
            samples: 1,
            ooms: 0,
            resizes: Some(0),
            container_hours: 1.0,
            replay_seconds: 0.0,
        };
        let (a, b) = (m(0.8424), m(0.9056));
        let (lo, hi, step) = slack_range(&[("a", &a), ("b", &b)]);
        assert!(lo <= 0.8424 && hi >= 0.9056, "{lo} {hi}");
        assert!(((lo / step).round() * step - lo).abs() < 1e-9);
        assert!((hi - lo) / step <= 8.0);
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(escape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
    }
}

//! `demo --svg FILE`: memory usage, request and limit over time, one panel per workload, from the
//! samples the demo read from the cluster. Plain SVG with the evaluator's helpers
//! (`evaluate::svg`): three lines per panel do not justify a plotting crate.
use std::fmt::Write as _;

use rightsize_policy::seed::MIB;

use super::observe::{Point, Tally};
use crate::evaluate::svg::{COLOURS, Grid, panel_frame};

const PANEL_W: f64 = 420.0;
const PANEL_H: f64 = 240.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 46.0;
const COLUMNS: usize = 2;
const TITLE_H: f64 = 40.0;
/// Horizontal ticks per panel.
const TICKS: usize = 4;

/// A series drawn: name, colour index, value.
type Series = (&'static str, usize, fn(&Point) -> f64);
const SERIES: [Series; 3] = [
    ("usage", 0, |p| p.usage),
    ("request", 1, |p| p.request),
    ("limit", 2, |p| p.limit),
];

/// The SVG document of the demo's samples.
pub fn render(tally: &Tally) -> String {
    let grid = Grid::new(PANEL_W, PANEL_H, COLUMNS, TITLE_H);
    let mut svg = grid.open(
        tally.series.len(),
        "rightsize demo: memory usage, request and limit per workload",
    );
    let t_max = tally
        .series
        .values()
        .flat_map(|pts| pts.iter().map(|p| p.t))
        .fold(1.0_f64, f64::max);
    for (i, (name, points)) in tally.series.iter().enumerate() {
        let (x0, y0) = grid.origin(i);
        panel(&mut svg, name, points, x0, y0, t_max);
    }
    svg.push_str("</svg>\n");
    svg
}

fn panel(svg: &mut String, name: &str, points: &[Point], x0: f64, y0: f64, t_max: f64) {
    let (px, py) = (x0 + LEFT, y0 + TOP);
    let (w, h) = (PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM);
    let top = points
        .iter()
        .flat_map(|p| SERIES.iter().map(move |(_, _, f)| f(p)))
        .fold(MIB, f64::max)
        * 1.1;
    let x = |t: f64| px + w * t / t_max;
    let y = |b: f64| py + h * (1.0 - b / top);
    panel_frame(svg, name, y0 + 20.0, (px, py, w, h));
    for k in 0..=TICKS {
        let f = k as f64 / TICKS as f64;
        let _ = writeln!(
            svg,
            r##"<line x1="{px}" y1="{yy:.1}" x2="{}" y2="{yy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{:.0} MiB</text><text x="{:.1}" y="{}" text-anchor="middle">{:.0} s</text>"##,
            px + w,
            px - 4.0,
            y(f * top) + 4.0,
            f * top / MIB,
            x(f * t_max),
            py + h + 16.0,
            f * t_max,
            yy = y(f * top),
        );
    }
    for (i, (label, colour, value)) in SERIES.iter().enumerate() {
        let path: Vec<String> = points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.t), y(value(p))))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/><text x="{:.1}" y="{}" fill="{}">&#9644; {label}</text>"#,
            path.join(" "),
            COLOURS[*colour],
            px + 90.0 * i as f64,
            py + h + 36.0,
            COLOURS[*colour]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_panel_per_workload_with_three_lines() {
        let mut tally = Tally::default();
        let p = |t: f64| Point {
            t,
            usage: 100.0 * MIB,
            request: 200.0 * MIB,
            limit: 256.0 * MIB,
        };
        tally.series.insert("growing".into(), vec![p(0.0), p(5.0)]);
        tally.series.insert("a<b".into(), vec![p(0.0)]);
        let svg = render(&tally);
        assert_eq!(svg.matches("<polyline").count(), 6);
        assert!(svg.contains(">growing<") && svg.contains("a&lt;b"), "{svg}");
        assert!(svg.ends_with("</svg>\n"));
    }
}

//! Server-rendered SVG line charts for business-data trends (a partner's
//! monthly figures beside an anonymised peer benchmark), to be put inline in
//! HTML pages.
//!
//! The SVG has a `viewBox` and no width or height, so `width: 100%` in CSS
//! scales it to a phone or a desktop; it is an image to assistive technology
//! (`role="img"`, `aria-label`, `<title>`, `<desc>`), and every point has a
//! `<title>` tooltip. Colours are presentation attributes (colour-blind safe
//! defaults) that page CSS can override through the classes `chart`,
//! `s0`, `s1`, … (series), `band`, `grid`, `axis`, `tick`, `xlabel`, `legend`
//! and `point`. The same input always gives the same string.

use std::fmt::Write as _;

/// A line chart: one line per series over the periods in `x_labels`, an
/// optional shaded band (e.g. peer quartiles) behind them.
pub struct Chart<'a> {
    /// For `<title>` and `aria-label`.
    pub title: &'a str,
    /// For `<desc>`.
    pub description: &'a str,
    /// One per period, e.g. "2025-07".
    pub x_labels: &'a [String],
    /// Lines; values aligned with `x_labels`, `None` = gap.
    pub series: &'a [Series<'a>],
    /// Shaded area between `low` and `high` (e.g. peer quartiles).
    pub band: Option<Band<'a>>,
    /// Appended as is to the numbers on the y axis and in tooltips (e.g. "%"
    /// or " 元"); may be "".
    pub unit: &'a str,
}

/// One line of a [`Chart`].
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [Option<f64>],
    pub style: LineStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    Solid,
    Dashed,
}

/// A shaded range of a [`Chart`]; a period where either bound is `None` is a gap.
pub struct Band<'a> {
    pub name: &'a str,
    pub low: &'a [Option<f64>],
    pub high: &'a [Option<f64>],
}

/// Series colours (blue, orange, green, purple, red, cyan): distinguishable
/// with the common colour-vision deficiencies, the first three especially.
const COLOURS: [&str; 6] = [
    "#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626", "#0891b2",
];
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 340.0;
const FONT: f64 = 13.0;
const PAD: f64 = 8.0;
const LEGEND_ROW: f64 = 20.0;
const MAX_X_LABELS: usize = 8;
const TEXT: &str = "#374151";

/// Renders `chart` as one `<svg>` element.
pub fn line_chart(chart: &Chart) -> String {
    let n = chart.x_labels.len();
    let values = || {
        let series = chart.series.iter().flat_map(|s| s.values.iter().take(n));
        let band = chart
            .band
            .iter()
            .flat_map(|b| b.low.iter().take(n).chain(b.high.iter().take(n)));
        series.chain(band).filter_map(|v| finite(*v))
    };
    let has_data = values().next().is_some();
    let (lo, hi) = values().fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let scale = Scale::nice(lo, hi);

    let mut out = String::with_capacity(8 * 1024);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" aria-label="{title}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="{FONT}"><title>{title}</title><desc>{desc}</desc>"#,
        title = escape(chart.title),
        desc = escape(chart.description),
    );

    // Legend rows at the top, wrapped to the width.
    let legend_rows = legend(&mut out, chart);
    let top = PAD + legend_rows as f64 * LEGEND_ROW + 10.0;
    let bottom = HEIGHT - 28.0;
    let tick_labels: Vec<String> = scale
        .ticks()
        .map(|t| format!("{}{}", compact(t), chart.unit))
        .collect();
    let label_width = tick_labels
        .iter()
        .map(|l| text_width(l))
        .fold(0.0, f64::max);
    let left = PAD + label_width.max(text_width("0")) + 8.0;
    let x_label_width = chart
        .x_labels
        .iter()
        .map(|l| text_width(l))
        .fold(0.0, f64::max);
    let right = WIDTH - PAD - (x_label_width / 2.0).max(8.0);
    let plot = Plot {
        left,
        right,
        top,
        bottom,
        n,
        scale,
    };

    // Grid and y axis labels.
    if has_data {
        out.push_str(r##"<g class="grid" stroke="#e5e7eb" stroke-width="1">"##);
        for t in scale.ticks() {
            let y = plot.y(t);
            let _ = write!(
                out,
                r#"<line x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
                num(left),
                num(y),
                num(right),
                num(y)
            );
        }
        out.push_str("</g>");
        let _ = write!(
            out,
            r#"<g class="tick" fill="{TEXT}" text-anchor="end" dominant-baseline="middle">"#
        );
        for (t, label) in scale.ticks().zip(&tick_labels) {
            let _ = write!(
                out,
                r#"<text x="{}" y="{}">{}</text>"#,
                num(left - 6.0),
                num(plot.y(t)),
                escape(label)
            );
        }
        out.push_str("</g>");
    }
    // Axes: the left edge and the zero line (the bottom unless values are negative).
    let zero = if has_data { plot.y(0.0) } else { bottom };
    let _ = write!(
        out,
        r##"<g class="axis" stroke="#9ca3af" stroke-width="1"><line x1="{l}" y1="{t}" x2="{l}" y2="{b}"/><line x1="{l}" y1="{z}" x2="{r}" y2="{z}"/></g>"##,
        l = num(left),
        t = num(top),
        b = num(bottom),
        r = num(right),
        z = num(zero),
    );

    // X labels, thinned so they never overlap.
    if n > 0 {
        let fits = ((right - left) / (x_label_width + 12.0)).floor().max(1.0) as usize;
        let shown = fits.clamp(1, MAX_X_LABELS);
        let step = n.div_ceil(shown);
        let _ = write!(
            out,
            r#"<g class="xlabel" fill="{TEXT}" text-anchor="middle">"#
        );
        for (i, label) in chart.x_labels.iter().enumerate().step_by(step) {
            let _ = write!(
                out,
                r#"<text x="{}" y="{}">{}</text>"#,
                num(plot.x(i)),
                num(bottom + 18.0),
                escape(label)
            );
        }
        out.push_str("</g>");
    }

    if let Some(band) = &chart.band {
        draw_band(&mut out, &plot, band);
    }
    for (i, series) in chart.series.iter().enumerate() {
        draw_series(&mut out, &plot, chart, i, series);
    }
    out.push_str("</svg>");
    out
}

/// The legend, wrapped into rows; returns how many rows it took.
fn legend(out: &mut String, chart: &Chart) -> usize {
    let mut items: Vec<(String, &str)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let colour = COLOURS[i % COLOURS.len()];
            let dash = match s.style {
                LineStyle::Solid => "",
                LineStyle::Dashed => r#" stroke-dasharray="5 3""#,
            };
            let swatch = format!(
                r#"<line class="s{i}" x1="0" y1="0" x2="18" y2="0" stroke="{colour}" stroke-width="2.5"{dash}/>"#
            );
            (swatch, s.name)
        })
        .collect();
    if let Some(band) = &chart.band {
        items.push((
            r##"<rect class="band" x="0" y="-6" width="18" height="12" fill="#94a3b8" fill-opacity="0.3"/>"##
                .to_string(),
            band.name,
        ));
    }
    if items.is_empty() {
        return 0;
    }
    let _ = write!(out, r#"<g class="legend" fill="{TEXT}">"#);
    let (mut x, mut row) = (PAD, 0);
    for (swatch, name) in items {
        let width = 18.0 + 6.0 + text_width(name) + 16.0;
        if x > PAD && x + width > WIDTH - PAD {
            x = PAD;
            row += 1;
        }
        let y = PAD + row as f64 * LEGEND_ROW + LEGEND_ROW / 2.0;
        let _ = write!(
            out,
            r#"<g transform="translate({},{})">{swatch}<text x="24" y="0" dominant-baseline="middle">{}</text></g>"#,
            num(x),
            num(y),
            escape(name)
        );
        x += width;
    }
    out.push_str("</g>");
    row + 1
}

fn draw_band(out: &mut String, plot: &Plot, band: &Band) {
    let pairs: Vec<Option<(f64, f64)>> = (0..plot.n)
        .map(|i| {
            let low = finite(band.low.get(i).copied().flatten())?;
            let high = finite(band.high.get(i).copied().flatten())?;
            Some((low, high))
        })
        .collect();
    let _ = write!(
        out,
        r##"<g class="band" fill="#94a3b8" fill-opacity="0.3" stroke="#94a3b8" stroke-opacity="0.6"><title>{}</title>"##,
        escape(band.name)
    );
    for run in runs(&pairs) {
        match run.as_slice() {
            [(i, (low, high))] => {
                let _ = write!(
                    out,
                    r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke-width="3"/>"#,
                    num(plot.y(*low)),
                    num(plot.y(*high)),
                    x = num(plot.x(*i)),
                );
            }
            run => {
                let mut points = String::new();
                let forward = run.iter().map(|(i, (_, high))| (*i, *high));
                let back = run.iter().rev().map(|(i, (low, _))| (*i, *low));
                for (i, v) in forward.chain(back) {
                    if !points.is_empty() {
                        points.push(' ');
                    }
                    let _ = write!(points, "{},{}", num(plot.x(i)), num(plot.y(v)));
                }
                let _ = write!(out, r#"<polygon points="{points}" stroke-width="0"/>"#);
            }
        }
    }
    out.push_str("</g>");
}

fn draw_series(out: &mut String, plot: &Plot, chart: &Chart, index: usize, series: &Series) {
    let colour = COLOURS[index % COLOURS.len()];
    let values: Vec<Option<f64>> = (0..plot.n)
        .map(|i| finite(series.values.get(i).copied().flatten()))
        .collect();
    let dash = match series.style {
        LineStyle::Solid => "",
        LineStyle::Dashed => r#" stroke-dasharray="6 4""#,
    };
    let _ = write!(
        out,
        r#"<g class="s{index}" stroke="{colour}" fill="{colour}">"#
    );
    let mut d = String::new();
    for run in runs(&values).filter(|run| run.len() > 1) {
        for (k, (i, v)) in run.iter().enumerate() {
            let command = if k == 0 { 'M' } else { 'L' };
            if !d.is_empty() {
                d.push(' ');
            }
            let _ = write!(d, "{command}{},{}", num(plot.x(*i)), num(plot.y(*v)));
        }
    }
    if !d.is_empty() {
        let _ = write!(
            out,
            r#"<path d="{d}" fill="none" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"{dash}/>"#
        );
    }
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        let label = chart.x_labels.get(i).map_or("", String::as_str);
        let _ = write!(
            out,
            r#"<circle class="point" cx="{}" cy="{}" r="3" stroke="none"><title>{}</title></circle>"#,
            num(plot.x(i)),
            num(plot.y(*v)),
            escape(&format!(
                "{}, {label}: {}{}",
                series.name,
                grouped(*v),
                chart.unit
            ))
        );
    }
    out.push_str("</g>");
}

/// The runs of consecutive `Some` values, with their indexes.
fn runs<T: Copy>(values: &[Option<T>]) -> impl Iterator<Item = Vec<(usize, T)>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while values.get(i).is_some_and(Option::is_none) {
            i += 1;
        }
        let mut run = Vec::new();
        while let Some(Some(v)) = values.get(i) {
            run.push((i, *v));
            i += 1;
        }
        (!run.is_empty()).then_some(run)
    })
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    n: usize,
    scale: Scale,
}

impl Plot {
    fn x(&self, i: usize) -> f64 {
        if self.n <= 1 {
            (self.left + self.right) / 2.0
        } else {
            self.left + (self.right - self.left) * i as f64 / (self.n - 1) as f64
        }
    }

    fn y(&self, v: f64) -> f64 {
        let span = self.scale.max - self.scale.min;
        self.bottom - (self.bottom - self.top) * (v - self.scale.min) / span
    }
}

/// A y axis: from `min` to `max` in steps of `step`, all multiples of `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    min: f64,
    max: f64,
    step: f64,
}

impl Scale {
    /// The axis for data from `lo` (≤ 0) to `hi` (≥ 0): the smallest nice
    /// step (1, 2, 2.5 or 5 × 10ⁿ) that covers the data in at most 5
    /// intervals, so 4 to 6 ticks. With no range at all, 0 to 1.
    fn nice(lo: f64, hi: f64) -> Scale {
        let (lo, hi) = if hi - lo > 0.0 && (hi - lo).is_finite() {
            (lo, hi)
        } else {
            (0.0, 1.0)
        };
        let raw = (hi - lo) / 5.0;
        let mut magnitude = 10f64.powf(raw.log10().floor());
        for _ in 0..4 {
            for m in [1.0, 2.0, 2.5, 5.0] {
                let step = m * magnitude;
                let (low, high) = ((lo / step).floor(), (hi / step).ceil());
                if step >= raw && high - low <= 5.0 {
                    return Scale {
                        min: low * step,
                        max: high * step,
                        step,
                    };
                }
            }
            magnitude *= 10.0;
        }
        // Not reached: a step of 10ⁿ⁺¹ ≥ 10 × raw always fits.
        Scale {
            min: lo,
            max: hi,
            step: raw,
        }
    }

    fn ticks(self) -> impl Iterator<Item = f64> {
        let count = ((self.max - self.min) / self.step).round() as i64;
        let first = (self.min / self.step).round() as i64;
        (0..=count).map(move |k| {
            let v = (first + k) as f64 * self.step;
            if v == 0.0 { 0.0 } else { v } // no "-0"
        })
    }
}

/// Tick label: 12000 → "12k", 3400000 → "3.4M", 2500000000 → "2.5B",
/// 0.25 → "0.25" (at most 2 decimals).
fn compact(v: f64) -> String {
    let (scaled, suffix) = match v.abs() {
        a if a >= 1e9 => (v / 1e9, "B"),
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    format!("{}{suffix}", decimals(scaled))
}

/// At most 2 decimals, without trailing zeros: 1.50 → "1.5", 2.00 → "2".
fn decimals(v: f64) -> String {
    let text = format!("{v:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".to_string(),
        t => t.to_string(),
    }
}

/// Tooltip number: thousands separated, at most 2 decimals: "12,345.5".
fn grouped(v: f64) -> String {
    let text = decimals(v);
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::from(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// A coordinate: one decimal, no "-0", no locale.
fn num(v: f64) -> String {
    let text = format!("{v:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    match text {
        "-0" => "0".to_string(),
        t => t.to_string(),
    }
}

/// Rough rendered width at [`FONT`]: East Asian wide characters a full em,
/// others about 0.6 em.
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| {
            let wide = matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide { FONT } else { FONT * 0.6 }
        })
        .sum()
}

/// Text for XML content and attributes: `& < > " '` escaped, and characters
/// XML 1.0 does not allow dropped.
/// A horizontal bar chart (a survey question's distribution or choice counts): one bar per
/// label with its count and share written beside it; the same `viewBox` scaling, roles and
/// classes (`chart`, `bar`, `tick`) as [`line_chart`]. Labels are cut to 24 characters.
pub fn bar_chart(title: &str, labels: &[String], counts: &[usize]) -> String {
    const ROW: f64 = 28.0;
    const LABEL_W: f64 = 200.0;
    let n = labels.len().min(counts.len());
    let height = ROW * n as f64 + 2.0 * PAD;
    let total: usize = counts.iter().take(n).sum();
    let max = counts.iter().take(n).copied().max().unwrap_or(0).max(1) as f64;
    let bar_w = WIDTH - LABEL_W - 110.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, (label, count)) in labels.iter().zip(counts).take(n).enumerate() {
        let y = PAD + ROW * i as f64;
        let w = (*count as f64 / max * bar_w).max(if *count > 0 { 2.0 } else { 0.0 });
        let share = if total > 0 {
            (*count as f64 * 100.0 / total as f64).round()
        } else {
            0.0
        };
        let short: String = if label.chars().count() > 24 {
            label.chars().take(23).chain(std::iter::once('…')).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            out,
            r#"<text class="tick" x="{lx}" y="{ty}" font-size="{FONT}" fill="{TEXT}" text-anchor="end">{l}</text><rect class="bar" x="{LABEL_W}" y="{by}" width="{w:.1}" height="{bh}" fill="{c}"><title>{l}: {count}</title></rect><text class="tick" x="{vx:.1}" y="{ty}" font-size="{FONT}" fill="{TEXT}">{count} ({share}%)</text>"#,
            lx = LABEL_W - PAD,
            ty = y + ROW * 0.65,
            l = escape(&short),
            by = y + 4.0,
            bh = ROW - 8.0,
            c = COLOURS[0],
            vx = LABEL_W + w + PAD,
        );
    }
    out.push_str("</svg>");
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("{}-{:02}", 2024 + i / 12, 1 + i % 12))
            .collect()
    }

    /// A small well-formedness check: tags balance, attributes are quoted,
    /// and no raw `<` or stray `&` appears in text or attribute values.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = svg;
        let check_text = |text: &str| {
            assert!(!text.contains('>'), "raw > in {text:?}");
            let mut parts = text.split('&');
            parts.next();
            for part in parts {
                assert!(
                    ["amp;", "lt;", "gt;", "quot;", "apos;"]
                        .iter()
                        .any(|e| part.starts_with(e)),
                    "stray & in {text:?}"
                );
            }
        };
        while let Some(open) = rest.find('<') {
            check_text(&rest[..open]);
            let close = rest[open..].find('>').expect("tag closed") + open;
            let tag = &rest[open + 1..close];
            // Attribute values: between pairs of double quotes.
            assert_eq!(tag.matches('"').count() % 2, 0, "quotes in <{tag}>");
            for (i, value) in tag.split('"').enumerate() {
                if i % 2 == 1 {
                    assert!(!value.contains('<'), "raw < in {value:?}");
                    check_text(value);
                }
            }
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "closing </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("tag name");
                stack.push(name);
            }
            rest = &rest[close + 1..];
            if stack.is_empty() {
                assert!(rest.is_empty(), "one root element");
            }
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
        assert!(rest.is_empty());
    }

    fn sample<'a>(x: &'a [String], series: &'a [Series<'a>], band: Option<Band<'a>>) -> Chart<'a> {
        Chart {
            title: "Monthly sales",
            description: "Sales of the partner and the peer median",
            x_labels: x,
            series,
            band,
            unit: "",
        }
    }

    #[test]
    fn text_is_escaped() {
        let x = vec!["<b>".to_string()];
        let values = [Some(1.0)];
        let series = [Series {
            name: "A & \"B\" 'c'",
            values: &values,
            style: LineStyle::Solid,
        }];
        let chart = Chart {
            title: "<script>alert(1)</script> & co",
            description: "x < y > z\u{1}",
            x_labels: &x,
            series: &series,
            band: None,
            unit: "<%>",
        };
        let svg = line_chart(&chart);
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>"));
        assert!(svg.contains(r#"aria-label="&lt;script&gt;alert(1)&lt;/script&gt; &amp; co""#));
        assert!(svg.contains("<desc>x &lt; y &gt; z</desc>"));
        assert!(svg.contains("A &amp; &quot;B&quot; &apos;c&apos;, &lt;b&gt;: 1&lt;%&gt;"));
        assert_well_formed(&svg);
    }

    #[test]
    fn nice_ticks() {
        let ticks = |lo: f64, hi: f64| -> Vec<f64> { Scale::nice(lo, hi).ticks().collect() };
        assert_eq!(
            ticks(0.0, 12_000.0),
            [0.0, 2500.0, 5000.0, 7500.0, 10_000.0, 12_500.0]
        );
        assert_eq!(ticks(0.0, 100.0), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(ticks(0.0, 3.0), [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            ticks(0.0, 1.0),
            [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(ticks(0.0, 0.0), ticks(0.0, 1.0)); // all zeros
        assert_eq!(ticks(-30.0, 70.0), [-50.0, -25.0, 0.0, 25.0, 50.0, 75.0]);
        for (lo, hi) in [
            (0.0, 1.0),
            (0.0, 7.3),
            (0.0, 12_345.0),
            (0.0, 3_400_000.0),
            (0.0, 0.042),
            (-5.0, 0.0),
            (-30.0, 70.0),
            (-1234.0, 98_765.0),
            (0.0, 101.0),
            (0.0, 999_999.0),
        ] {
            let scale = Scale::nice(lo, hi);
            let count = scale.ticks().count();
            assert!((4..=6).contains(&count), "{lo}..{hi}: {scale:?}");
            assert!(scale.min <= lo && scale.max >= hi, "{lo}..{hi}: {scale:?}");
            let mantissa = scale.step / 10f64.powf(scale.step.log10().floor());
            assert!(
                [1.0, 2.0, 2.5, 5.0]
                    .iter()
                    .any(|m| (m - mantissa).abs() < 1e-9),
                "{lo}..{hi}: {scale:?}"
            );
        }
        assert_eq!(ticks(-5.0, 0.0), [-5.0, -4.0, -3.0, -2.0, -1.0, 0.0]);
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(12_000.0), "12k");
        assert_eq!(compact(3_400_000.0), "3.4M");
        assert_eq!(compact(2_500_000_000.0), "2.5B");
        assert_eq!(compact(12_500.0), "12.5k");
        assert_eq!(compact(-5_000.0), "-5k");
        assert_eq!(compact(0.6000000000000001), "0.6");
        assert_eq!(compact(0.126), "0.13");
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(-0.001), "0");
        assert_eq!(compact(999.0), "999");
        assert_eq!(grouped(12_345.0), "12,345");
        assert_eq!(grouped(-1_234_567.891), "-1,234,567.89");
        assert_eq!(grouped(999.5), "999.5");
        assert_eq!(grouped(100.0), "100");
    }

    #[test]
    fn gaps_split_the_line_and_the_band() {
        let x = labels(7);
        let values = [
            Some(1.0),
            Some(2.0),
            None,
            Some(3.0),
            Some(4.0),
            None,
            Some(5.0),
        ];
        let low = [
            Some(0.5),
            Some(1.0),
            Some(1.0),
            None,
            Some(2.0),
            Some(2.0),
            Some(2.5),
        ];
        let high = [
            Some(1.5),
            Some(3.0),
            Some(2.0),
            None,
            Some(4.0),
            Some(5.0),
            None,
        ];
        let series = [Series {
            name: "Sales",
            values: &values,
            style: LineStyle::Dashed,
        }];
        let band = Band {
            name: "Peers (25th–75th percentile)",
            low: &low,
            high: &high,
        };
        let svg = line_chart(&sample(&x, &series, Some(band)));
        assert_well_formed(&svg);
        let path = svg
            .split(r#"<path d=""#)
            .nth(1)
            .and_then(|p| p.split('"').next())
            .expect("a path");
        // Two segments of two points; the lone last point is only a circle.
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert_eq!(path.matches('L').count(), 2, "{path}");
        assert_eq!(svg.matches("<circle").count(), 5);
        assert_eq!(svg.matches("<polygon").count(), 2);
        assert!(svg.contains("stroke-dasharray"));
        assert!(svg.contains("<title>Sales, 2024-02: 2</title>"));
        assert!(svg.contains("Peers (25th–75th percentile)"));
    }

    #[test]
    fn edge_cases_render_well_formed() {
        let empty: [Option<f64>; 0] = [];
        let none = [None, None];
        let one = [Some(42.0)];
        let zeros = [Some(0.0), Some(0.0), Some(0.0)];
        let negative = [Some(-1200.0), Some(300.0), Some(-50.0)];
        let nan = [Some(f64::NAN), Some(f64::INFINITY), Some(1.0)];
        let cases: [(usize, &[Option<f64>]); 6] = [
            (0, &empty),
            (2, &none),
            (1, &one),
            (3, &zeros),
            (3, &negative),
            (3, &nan),
        ];
        for (n, values) in cases {
            let x = labels(n);
            let series = [Series {
                name: "s",
                values,
                style: LineStyle::Solid,
            }];
            let svg = line_chart(&sample(&x, &series, None));
            assert_well_formed(&svg);
            assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 340" class="chart" role="img""#));
            assert!(
                !svg.contains(" width=\"6") && !svg.contains("height=\"3"),
                "no fixed size"
            );
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
        // No series at all: axes only.
        let svg = line_chart(&sample(&[], &[], None));
        assert_well_formed(&svg);
        assert!(svg.contains(r#"class="axis""#));
        // Negative values: the axis goes below zero.
        let x = labels(3);
        let series = [Series {
            name: "s",
            values: &negative,
            style: LineStyle::Solid,
        }];
        let svg = line_chart(&sample(&x, &series, None));
        assert!(
            svg.contains(">-1.5k</text>") || svg.contains(">-2k</text>"),
            "{svg}"
        );
    }

    #[test]
    fn x_labels_are_thinned() {
        let x = labels(36);
        let values: Vec<Option<f64>> = (0..36).map(|i| Some(f64::from(i) * 1000.0)).collect();
        let series = [Series {
            name: "s",
            values: &values,
            style: LineStyle::Solid,
        }];
        let svg = line_chart(&sample(&x, &series, None));
        let shown = svg.split(r#"class="xlabel""#).nth(1).expect("labels");
        let shown = shown
            .split("</g>")
            .next()
            .expect("group")
            .matches("<text")
            .count();
        assert!((2..=MAX_X_LABELS).contains(&shown), "{shown}");
        assert_eq!(svg.matches("<circle").count(), 36);
    }

    #[test]
    fn output_is_deterministic() {
        let x = labels(12);
        let a: Vec<Option<f64>> = (0..12)
            .map(|i| Some(1000.0 + f64::from(i) * 137.5))
            .collect();
        let b: Vec<Option<f64>> = (0..12).map(|i| Some(900.0 + f64::from(i * i))).collect();
        let series = [
            Series {
                name: "本店",
                values: &a,
                style: LineStyle::Solid,
            },
            Series {
                name: "同行中位数",
                values: &b,
                style: LineStyle::Dashed,
            },
        ];
        let render = || line_chart(&sample(&x, &series, None));
        let first = render();
        assert_eq!(first, render());
        assert_well_formed(&first);
        assert!(first.contains(r##"class="s0" stroke="#2563eb""##));
        assert!(first.contains(r##"class="s1" stroke="#d97706""##));
        if let Ok(dir) = std::env::var("SVG_SAMPLE_DIR") {
            let lo: Vec<Option<f64>> = b.iter().map(|v| v.map(|v| v * 0.8)).collect();
            let hi: Vec<Option<f64>> = b.iter().map(|v| v.map(|v| v * 1.25)).collect();
            let band = Band {
                name: "同行 25%–75%",
                low: &lo,
                high: &hi,
            };
            let chart = Chart {
                unit: " 元",
                ..sample(&x, &series, Some(band))
            };
            std::fs::write(format!("{dir}/chart.svg"), line_chart(&chart)).expect("sample written");
        }
    }
}

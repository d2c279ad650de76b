//! Inline SVG charts: the funnel and the histograms. Plain SVG elements styled by the page's
//! CSS classes, so the page needs no script and no external resource.

use std::fmt::Write;

use super::fmt::{bytes, esc, int, num, pct};
use super::thresholds::Threshold;

/// At most this many histogram bins.
const MAX_BINS: usize = 32;

/// One row of the funnel: how many documents reached a step and how many it removed.
pub(crate) struct FunnelRow {
    pub label: String,
    pub docs_in: u64,
    pub removed: u64,
    /// Text bytes: of the documents (solid rows) or of those removed (stage rows).
    pub bytes: u64,
    /// The row is the input or the output, drawn as one solid bar.
    pub solid: bool,
}

/// The funnel as horizontal bars: each stage's incoming documents, the removed part in the
/// removal colour at the bar's end.
pub(crate) fn funnel_svg(rows: &[FunnelRow], input: u64) -> String {
    let (w, label_w, bar_w, row_h) = (880.0, 170.0, 480.0, 30.0);
    let h = rows.len() as f64 * row_h + 8.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart funnel" viewBox="0 0 {w} {h}" role="img" aria-label="Funnel: documents per stage">"#
    );
    let scale = |n: u64| {
        if input == 0 {
            0.0
        } else {
            bar_w * n as f64 / input as f64
        }
    };
    for (i, r) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let total = scale(r.docs_in);
        let removed = scale(r.removed).max(if r.removed > 0 { 1.5 } else { 0.0 });
        let _ = write!(
            s,
            r#"<text class="lbl" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            label_w - 10.0,
            y + 19.0,
            esc(&r.label)
        );
        let _ = write!(
            s,
            r#"<rect class="track" x="{label_w}" y="{:.1}" width="{bar_w}" height="20" rx="3"/>"#,
            y + 4.0
        );
        let class = if r.solid { "solid" } else { "pass" };
        let _ = write!(
            s,
            r#"<rect class="{class}" x="{label_w}" y="{:.1}" width="{:.1}" height="20" rx="3"/>"#,
            y + 4.0,
            (total - removed).max(0.0)
        );
        if r.removed > 0 {
            let _ = write!(
                s,
                r#"<rect class="cut" x="{:.1}" y="{:.1}" width="{removed:.1}" height="20" rx="2"><title>{} removed</title></rect>"#,
                label_w + (total - removed).max(0.0),
                y + 4.0,
                int(r.removed)
            );
        }
        let note = if r.solid {
            format!("{} docs · {}", int(r.docs_in), bytes(r.bytes))
        } else if r.removed == 0 {
            format!("{} in, none removed", int(r.docs_in))
        } else {
            format!(
                "−{} ({} of its input) · {}",
                int(r.removed),
                pct(r.removed, r.docs_in),
                bytes(r.bytes)
            )
        };
        let _ = write!(
            s,
            r#"<text class="num" x="{:.1}" y="{:.1}">{}</text>"#,
            label_w + bar_w + 10.0,
            y + 19.0,
            esc(&note)
        );
    }
    s.push_str("</svg>");
    s
}

/// Histogram bins built from sampled values, scaled to the exact count.
pub(crate) struct Hist {
    pub lo: f64,
    pub step: f64,
    /// Per bin: estimated kept and removed documents.
    pub bins: Vec<(f64, f64)>,
    /// Values beyond the drawn range, counted in the edge bins.
    pub clipped: bool,
    /// Thresholds too far outside the data to draw.
    pub off_chart: Vec<Threshold>,
    pub drawn: Vec<Threshold>,
}

/// Bin sampled `(value, removed)` points standing for `total` documents. The range covers the
/// 0.5th to 99.5th percentile of the sample (edge bins absorb the rest) and thresholds that lie
/// within one range of it.
pub(crate) fn histogram(points: &[(f64, bool)], total: u64, thresholds: &[Threshold]) -> Hist {
    let mut values: Vec<f64> = points.iter().map(|p| p.0).collect();
    values.sort_by(f64::total_cmp);
    let q = |f: f64| values[((values.len() - 1) as f64 * f).round() as usize];
    let (mut lo, mut hi) = if values.len() >= 200 {
        (q(0.005), q(0.995))
    } else {
        (values[0], values[values.len() - 1])
    };
    let span = (hi - lo).max(f64::EPSILON);
    let (mut drawn, mut off_chart) = (Vec::new(), Vec::new());
    for t in thresholds {
        if t.value >= lo - span && t.value <= hi + span {
            lo = lo.min(t.value);
            hi = hi.max(t.value);
            drawn.push(t.clone());
        } else {
            off_chart.push(t.clone());
        }
    }
    let clipped = lo > values[0] || hi < values[values.len() - 1];
    let integers = values.iter().all(|v| v.fract() == 0.0);
    let step = if integers && hi - lo < MAX_BINS as f64 {
        1.0
    } else if hi > lo {
        nice_step((hi - lo) / (MAX_BINS as f64 - 4.0))
    } else {
        (lo.abs() * 0.1).max(1.0)
    };
    let lo = (lo / step).floor() * step;
    let n = (((hi - lo) / step).floor() as usize + 1).clamp(1, MAX_BINS + 2);
    let mut bins = vec![(0.0, 0.0); n];
    let scale = total as f64 / points.len().max(1) as f64;
    for (v, removed) in points {
        let i = (((v - lo) / step).floor().max(0.0) as usize).min(n - 1);
        if *removed {
            bins[i].1 += scale;
        } else {
            bins[i].0 += scale;
        }
    }
    Hist {
        lo,
        step,
        bins,
        clipped,
        off_chart,
        drawn,
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

/// A histogram as stacked bars (kept below, removed on top) with threshold lines.
pub(crate) fn histogram_svg(h: &Hist, name: &str) -> String {
    let (w, ht, left, bottom, top) = (460.0, 190.0, 44.0, 26.0, 18.0);
    let plot_w = w - left - 10.0;
    let plot_h = ht - bottom - top;
    let ymax = h
        .bins
        .iter()
        .map(|b| b.0 + b.1)
        .fold(0.0, f64::max)
        .max(1.0);
    let bw = plot_w / h.bins.len() as f64;
    let x_of = |v: f64| left + (v - h.lo) / h.step * bw;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart hist" viewBox="0 0 {w} {ht}" role="img" aria-label="Histogram of {}">"#,
        esc(name)
    );
    let _ = write!(
        s,
        r#"<line class="axis" x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
        top + plot_h,
        left + plot_w,
        top + plot_h
    );
    let _ = write!(
        s,
        r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">0</text>"#,
        left - 6.0,
        top + 4.0,
        int(ymax.round() as u64),
        left - 6.0,
        top + plot_h
    );
    for (i, (kept, removed)) in h.bins.iter().enumerate() {
        let x = left + i as f64 * bw + 0.5;
        let kh = kept / ymax * plot_h;
        let rh = removed / ymax * plot_h;
        let lo = h.lo + i as f64 * h.step;
        let tip = format!(
            "[{}, {}): ~{} kept, ~{} removed",
            num(lo),
            num(lo + h.step),
            int(kept.round() as u64),
            int(removed.round() as u64)
        );
        let _ = write!(
            s,
            r#"<g><title>{}</title><rect class="pass" x="{x:.1}" y="{:.1}" width="{:.1}" height="{kh:.1}"/><rect class="cut" x="{x:.1}" y="{:.1}" width="{:.1}" height="{rh:.1}"/></g>"#,
            esc(&tip),
            top + plot_h - kh,
            (bw - 1.0).max(0.5),
            top + plot_h - kh - rh,
            (bw - 1.0).max(0.5),
        );
    }
    let ticks = 5.min(h.bins.len());
    for t in 0..=ticks {
        let v = h.lo + h.step * h.bins.len() as f64 * t as f64 / ticks as f64;
        let anchor = match t {
            0 => "start",
            t if t == ticks => "end",
            _ => "middle",
        };
        let _ = write!(
            s,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            x_of(v),
            ht - 8.0,
            num(v)
        );
    }
    for (i, t) in h.drawn.iter().enumerate() {
        let x = x_of(t.value);
        let _ = write!(
            s,
            r#"<line class="thr" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"><title>{}</title></line><text class="thr-lbl" x="{:.1}" y="{:.1}" text-anchor="{}">{} = {}</text>"#,
            top - 4.0,
            top + plot_h,
            esc(&t.label),
            x + if x > w / 2.0 { -4.0 } else { 4.0 },
            top + 8.0 + 12.0 * i as f64,
            if x > w / 2.0 { "end" } else { "start" },
            esc(t.label.rsplit('.').next().unwrap_or(&t.label)),
            num(t.value)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_values_get_unit_bins_and_thresholds_extend_the_range() {
        let points: Vec<(f64, bool)> = [3.0, 4.0, 4.0, 9.0]
            .iter()
            .map(|v| (*v, *v < 4.0))
            .collect();
        let t = Threshold {
            signal: "w".into(),
            value: 2.0,
            label: "f.min_w".into(),
        };
        let h = histogram(&points, 8, &[t]);
        assert_eq!((h.lo, h.step, h.bins.len()), (2.0, 1.0, 8));
        assert_eq!(h.bins[1], (0.0, 2.0));
        assert_eq!(h.bins[2], (4.0, 0.0));
        assert_eq!(h.drawn.len(), 1);
    }

    #[test]
    fn far_thresholds_are_listed_not_drawn() {
        let points = vec![(0.1, false), (0.2, false), (0.25, true)];
        let t = Threshold {
            signal: "r".into(),
            value: 100.0,
            label: "f.max_r".into(),
        };
        let h = histogram(&points, 3, &[t]);
        assert_eq!((h.drawn.len(), h.off_chart.len()), (0, 1));
        assert!(h.bins.len() <= MAX_BINS + 2, "{} bins", h.bins.len());
        assert_eq!(h.bins.iter().map(|b| b.0 + b.1).sum::<f64>(), 3.0);
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0.03), 0.05);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(120.0), 200.0);
    }
}

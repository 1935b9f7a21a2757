//! A report as one self-contained HTML page for the customer: inline CSS and inline SVG
//! charts, no script, no font, image or style sheet fetched from anywhere, so that it
//! opens offline, mails as one file and prints on A4 from any browser (tables repeat
//! their header on each page and no row is split). Every text that comes from a
//! contract or a ticket is escaped.

use std::fmt::Write;

use chrono::{DateTime, FixedOffset};

use super::hours_text as hours;
use super::share_text as percent;
use super::{Breach, ComplianceResult, MetricTotal, Report};
use crate::eval::AllowanceUsage;
use crate::instant::{instant_text, show_local};

/// The page's style: A4 portrait, 12 mm margins, everything within 186 mm.
const STYLE: &str = r#"
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Helvetica Neue", Helvetica, Arial, "Liberation Sans", sans-serif;
  font-size: 9.5pt; line-height: 1.35; color: #1b1f24; margin: 0 auto; padding: 8mm 0;
  max-width: 186mm; }
header { border-bottom: 2px solid #1f4e79; padding-bottom: 3mm; margin-bottom: 4mm; }
h1 { font-size: 17pt; margin: 0 0 1mm; color: #1f4e79; }
h1 small { display: block; font-size: 10pt; font-weight: normal; color: #555; }
h2 { font-size: 12.5pt; color: #1f4e79; margin: 6mm 0 2mm; break-after: avoid; page-break-after: avoid; }
dl.facts { display: grid; grid-template-columns: 28mm 1fr; gap: 0.6mm 3mm; margin: 2mm 0 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; }
.cards { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr); gap: 3mm; margin: 3mm 0.5mm 0 0; }
.card { border: 1px solid #d0d7de; border-radius: 2mm; padding: 2mm 3mm; break-inside: avoid; page-break-inside: avoid; }
.card b { display: block; font-size: 13pt; }
.card span { color: #555; font-size: 8.5pt; }
table { width: 100%; border-collapse: collapse; margin: 1mm 0 2mm; font-size: 8.5pt; }
thead { display: table-header-group; }
tfoot { display: table-row-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm; border-bottom: 1px solid #d0d7de; overflow-wrap: break-word; }
th { background: #eef2f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tfoot td { font-weight: 600; border-bottom: none; }
.ok { color: #1a7f37; }
.bad { color: #cf222e; }
.muted { color: #57606a; }
figure { margin: 0 0 2mm; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: 600; margin: 2mm 0 0.5mm; }
svg { display: block; width: 100%; height: auto; }
svg text { font-family: inherit; }
section { margin: 0; }
footer { margin-top: 6mm; border-top: 1px solid #d0d7de; padding-top: 2mm; color: #57606a; font-size: 8pt; }
@media print { body { padding: 0; max-width: none; } }
"#;

/// Colours of the metrics' lines in the trend, in the contract's order.
const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
];

const GREEN: &str = "#2da44e";
const RED: &str = "#cf222e";
const BLUE: &str = "#4f81bd";
const TRACK: &str = "#eaeef2";

/// Escapes text for HTML and SVG content and attribute values.
///
/// ```
/// use slaengine::report::html::escape;
/// assert_eq!(escape(r#"<b>"Smith" & O'Neil</b>"#), "&lt;b&gt;&quot;Smith&quot; &amp; O&#39;Neil&lt;/b&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An instant as a `<time>` element: readable text, RFC 3339 in `datetime`.
fn time(t: &DateTime<FixedOffset>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        instant_text(t),
        show_local(t)
    )
}

fn opt_time(t: &Option<DateTime<FixedOffset>>) -> String {
    t.as_ref().map_or("—".into(), time)
}

/// The report as one HTML page; `generated` (when the page was made) is shown in the
/// footer when given.
pub fn render(r: &Report, generated: Option<DateTime<FixedOffset>>) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let name = r.customer_name.as_deref().unwrap_or(&r.customer);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Service report — {} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(name),
        escape(&r.period)
    );
    header(&mut out, r, name);
    compliance(&mut out, r);
    trend(&mut out, r);
    credits(&mut out, r);
    allowances(&mut out, r);
    breaches(&mut out, r);
    findings(&mut out, r);
    categories(&mut out, r);
    out.push_str("<footer>");
    let _ = write!(
        out,
        "Times in {}. Contract {} revision <span class=\"revision\">{}</span>, evaluated at {}",
        escape(&r.timezone),
        escape(&r.contract),
        escape(&r.revision),
        time(&r.at)
    );
    if let Some(g) = generated {
        let _ = write!(
            out,
            "; page made at <span class=\"generated\">{}</span>",
            time(&g)
        );
    }
    out.push_str(" by slaengine.</footer>\n</body>\n</html>\n");
    out
}

fn header(out: &mut String, r: &Report, name: &str) {
    let _ = write!(
        out,
        "<header>\n<h1>Service report <small>{}</small></h1>\n<dl class=\"facts\">\n\
         <dt>Customer</dt><dd>{} ({})</dd>\n<dt>Contract</dt><dd>{}{}</dd>\n\
         <dt>Period</dt><dd><span class=\"period\">{}</span>: {} to {}</dd>\n\
         <dt>As of</dt><dd>{}</dd>\n</dl>\n",
        escape(name),
        escape(name),
        escape(&r.customer),
        escape(&r.contract),
        r.title
            .as_deref()
            .map(|t| format!(" — {}", escape(t)))
            .unwrap_or_default(),
        escape(&r.period),
        escape(&r.period_from),
        escape(&r.period_to),
        time(&r.at),
    );
    let passed = r.compliance.iter().filter(|c| c.passed).count();
    let results: usize = r.metrics.iter().map(|m| m.results).sum();
    let met: usize = r.metrics.iter().map(|m| m.met).sum();
    out.push_str("<div class=\"cards\">\n");
    let _ = writeln!(
        out,
        "<div class=\"card\"><b>{}</b><span>of {results} results met in time</span></div>",
        percent(super::share(met, results))
    );
    if !r.compliance.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"card\"><b class=\"{}\">{passed} of {}</b><span>service levels reached</span></div>",
            if passed == r.compliance.len() {
                "ok"
            } else {
                "bad"
            },
            r.compliance.len()
        );
    }
    if let Some(c) = &r.credits {
        let _ = writeln!(
            out,
            "<div class=\"card\"><b>{} {}</b><span>service credits owed</span></div>",
            escape(&c.owed),
            escape(&c.currency)
        );
    }
    let _ = write!(
        out,
        "<div class=\"card\"><b>{}</b><span>breaches</span></div>\n</div>\n</header>\n",
        r.breaches.len()
    );
}

/// One horizontal bar of a chart: a label above it, the share met, the target line.
struct Bar {
    label: String,
    detail: String,
    percent: Option<f64>,
    target: Option<f64>,
    passed: Option<bool>,
}

/// Per metric a chart of the share met (all its results, then each compliance entry on
/// it against its target), and the compliance table.
fn compliance(out: &mut String, r: &Report) {
    out.push_str("<section id=\"compliance\">\n<h2>Service levels</h2>\n");
    for m in &r.metrics {
        let entries: Vec<&ComplianceResult> = r
            .compliance
            .iter()
            .filter(|c| c.metric == m.metric)
            .collect();
        let mut bars = vec![Bar {
            label: format!("{}: every result", m.metric),
            detail: format!("{} of {} met", m.met, m.results),
            percent: m.percent,
            target: None,
            passed: None,
        }];
        for c in &entries {
            bars.push(Bar {
                label: format!("service level: {}", c.selects),
                detail: format!(
                    "{} of {} met, target {}%",
                    c.met, c.results, c.at_least_percent
                ),
                percent: c.percent,
                target: Some(c.at_least_percent),
                passed: Some(c.passed),
            });
        }
        let _ = write!(
            out,
            "<figure class=\"metric-chart\" data-metric=\"{}\">\n<figcaption>{}</figcaption>\n",
            escape(&m.metric),
            escape(&m.metric)
        );
        bar_chart(out, &m.metric, &bars);
        out.push_str("</figure>\n");
    }
    if r.compliance.is_empty() {
        out.push_str("</section>\n");
        return;
    }
    out.push_str(
        "<table class=\"compliance\">\n<thead><tr><th>Service level</th><th class=\"num\">Target</th>\
         <th class=\"num\">Results</th><th class=\"num\">Met</th><th class=\"num\">Share met</th>\
         <th>Reached</th></tr></thead>\n<tbody>\n",
    );
    for c in &r.compliance {
        let (class, text) = match (c.results, c.passed) {
            (0, _) => ("ok", "yes (no results)"),
            (_, true) => ("ok", "yes"),
            (_, false) => ("bad", "no"),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}%</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"{class}\">{text}</td></tr>",
            escape(&c.selects),
            c.at_least_percent,
            c.results,
            c.met,
            percent(c.percent)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// Horizontal bars of shares from 0 to 100%, each with its label above it.
fn bar_chart(out: &mut String, metric: &str, bars: &[Bar]) {
    const WIDTH: f64 = 560.0;
    const ROW: f64 = 34.0;
    let height = ROW * bars.len() as f64 + 14.0;
    let _ = writeln!(
        out,
        "<svg class=\"chart compliance\" data-metric=\"{}\" viewBox=\"0 0 640 {height}\" role=\"img\" \
         aria-label=\"share of {} results met\">",
        escape(metric),
        escape(metric)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = ROW * i as f64;
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"11\" fill=\"#1b1f24\">{}</text>\
             <text x=\"{WIDTH}\" y=\"{:.1}\" font-size=\"10\" fill=\"#57606a\" text-anchor=\"end\">{}</text>",
            y + 11.0,
            escape(&b.label),
            y + 11.0,
            escape(&b.detail)
        );
        let _ = writeln!(
            out,
            "<rect x=\"0\" y=\"{:.1}\" width=\"{WIDTH}\" height=\"12\" fill=\"{TRACK}\"/>",
            y + 15.0
        );
        let fill = match b.passed {
            Some(true) => GREEN,
            Some(false) => RED,
            None => BLUE,
        };
        match b.percent {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "<rect x=\"0\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{fill}\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#1b1f24\">{}</text>",
                    y + 15.0,
                    WIDTH * p / 100.0,
                    WIDTH + 6.0,
                    y + 25.0,
                    percent(Some(p))
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#57606a\">no results</text>",
                    WIDTH + 6.0,
                    y + 25.0
                );
            }
        }
        if let Some(t) = b.target {
            let x = WIDTH * t / 100.0;
            let _ = writeln!(
                out,
                "<line class=\"target\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#1b1f24\" stroke-width=\"2\"/>",
                y + 12.0,
                y + 30.0
            );
        }
    }
    let _ = write!(
        out,
        "<text x=\"0\" y=\"{:.1}\" font-size=\"9\" fill=\"#57606a\">0%</text>\
         <text x=\"{WIDTH}\" y=\"{:.1}\" font-size=\"9\" fill=\"#57606a\" text-anchor=\"end\">100%</text>\n</svg>\n",
        height - 2.0,
        height - 2.0
    );
}

/// The months of a period longer than one: a line per metric, and the table.
fn trend(out: &mut String, r: &Report) {
    if r.months.len() < 2 {
        return;
    }
    out.push_str("<section id=\"trend\">\n<h2>Month by month</h2>\n<figure>\n");
    const LEFT: f64 = 40.0;
    const RIGHT: f64 = 620.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 172.0;
    let legend_rows = r.metrics.len().div_ceil(4);
    let height = BOTTOM + 30.0 + 16.0 * legend_rows as f64;
    let _ = writeln!(
        out,
        "<svg class=\"chart trend\" viewBox=\"0 0 640 {height}\" role=\"img\" \
         aria-label=\"share of results met per month\">"
    );
    let y_of = |p: f64| BOTTOM - (BOTTOM - TOP) * p / 100.0;
    for p in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let y = y_of(p);
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{RIGHT}\" y2=\"{y:.1}\" stroke=\"#d0d7de\" stroke-width=\"1\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" fill=\"#57606a\" text-anchor=\"end\">{p}%</text>",
            LEFT - 4.0,
            y + 3.0
        );
    }
    let n = r.months.len();
    let x_of = |i: usize| LEFT + (RIGHT - LEFT) * (i as f64 + 0.5) / n as f64;
    for (i, m) in r.months.iter().enumerate() {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" fill=\"#57606a\" text-anchor=\"middle\">{}</text>",
            x_of(i),
            BOTTOM + 13.0,
            escape(&m.month)
        );
    }
    for (k, metric) in r.metrics.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points: Vec<Option<(f64, f64)>> = r
            .months
            .iter()
            .enumerate()
            .map(|(i, m)| {
                m.metrics
                    .get(k)
                    .and_then(|t| t.percent)
                    .map(|p| (x_of(i), y_of(p)))
            })
            .collect();
        // A line through the months with results; a month without breaks it.
        for run in points.split(Option::is_none) {
            let run: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
            if run.len() > 1 {
                let path: Vec<String> = run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = writeln!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                    path.join(" ")
                );
            }
        }
        for (x, y) in points.iter().flatten() {
            let _ = writeln!(
                out,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"/>"
            );
        }
        let (lx, ly) = (
            LEFT + 145.0 * (k % 4) as f64,
            BOTTOM + 32.0 + 16.0 * (k / 4) as f64,
        );
        let _ = writeln!(
            out,
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" height=\"4\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{ly:.1}\" font-size=\"10\" fill=\"#1b1f24\">{}</text>",
            ly - 5.0,
            lx + 16.0,
            escape(&metric.metric)
        );
    }
    out.push_str("</svg>\n</figure>\n<table class=\"trend\">\n<thead><tr><th>Month</th>");
    for m in &r.metrics {
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(&m.metric));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for month in &r.months {
        let _ = write!(out, "<tr><td>{}</td>", escape(&month.month));
        for t in &month.metrics {
            let _ = write!(out, "<td class=\"num\">{}</td>", met_of(t));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// `3 of 4 (75.00%)`, or `—` without results.
fn met_of(t: &MetricTotal) -> String {
    match t.percent {
        Some(p) => format!("{} of {} ({})", t.met, t.results, percent(Some(p))),
        None => "—".into(),
    }
}

fn credits(out: &mut String, r: &Report) {
    let Some(c) = &r.credits else {
        return;
    };
    let _ = write!(
        out,
        "<section id=\"credits\">\n<h2>Service credits</h2>\n<p class=\"muted\">Shares of the fee of \
         {} {} per {}; at most the cap per {}.</p>\n",
        escape(&c.fee),
        escape(&c.currency),
        escape(&c.per),
        escape(&c.per)
    );
    out.push_str(
        "<table class=\"credits\">\n<thead><tr><th>Rule</th><th>Applies to</th><th class=\"num\">Count</th>\
         <th class=\"num\">% of fee</th><th class=\"num\">Amount</th></tr></thead>\n<tbody>\n",
    );
    for i in &c.items {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}%</td>\
             <td class=\"num amount\">{}</td></tr>",
            escape(&i.rule),
            escape(&i.selects),
            i.count,
            i.percent,
            escape(&i.amount)
        );
    }
    let _ = write!(
        out,
        "</tbody>\n<tfoot>\n<tr class=\"total\"><td colspan=\"4\">Total</td><td class=\"num\">{}</td></tr>\n\
         <tr class=\"cap\"><td colspan=\"4\">Cap</td><td class=\"num\">{}</td></tr>\n\
         <tr class=\"owed\"><td colspan=\"4\">Owed ({})</td><td class=\"num\">{}</td></tr>\n</tfoot>\n</table>\n",
        escape(&c.total),
        escape(c.cap.as_deref().unwrap_or("none")),
        escape(&c.currency),
        escape(&c.owed)
    );
    if c.periods.len() > 1 {
        out.push_str(
            "<table class=\"fee-periods\">\n<thead><tr><th>Fee period</th><th class=\"num\">Total</th>\
             <th class=\"num\">Cap</th><th class=\"num\">Owed</th></tr></thead>\n<tbody>\n",
        );
        for p in &c.periods {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&p.period),
                escape(&p.total),
                escape(p.cap.as_deref().unwrap_or("none")),
                escape(&p.owed)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

fn allowances(out: &mut String, r: &Report) {
    if r.allowances.is_empty() {
        return;
    }
    out.push_str("<section id=\"allowances\">\n<h2>Included hours</h2>\n");
    for a in &r.allowances {
        let _ = write!(
            out,
            "<figure class=\"allowance\" data-allowance=\"{}\">\n<figcaption>{} ({} {})</figcaption>\n",
            escape(&a.name),
            escape(&a.name),
            escape(&a.per),
            escape(&a.period)
        );
        allowance_bar(out, a);
        out.push_str("</figure>\n");
    }
    out.push_str(
        "<table class=\"allowances\">\n<thead><tr><th>Allowance</th><th>Period</th><th class=\"num\">Included h</th>\
         <th class=\"num\">Used h</th><th class=\"num\">Before approval h</th><th class=\"num\">Remaining h</th>\
         <th class=\"num\">Over h</th><th class=\"num\">Overage</th></tr></thead>\n<tbody>\n",
    );
    for a in &r.allowances {
        let overage = match (&a.overage_amount, &a.currency) {
            (Some(amount), Some(cur)) => format!("{} {}", escape(amount), escape(cur)),
            (Some(amount), None) => escape(amount),
            _ => "—".into(),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{} ({} to {})</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{overage}</td></tr>",
            escape(&a.name),
            escape(&a.period),
            escape(&a.period_from),
            escape(&a.period_to),
            hours(a.included_hours),
            hours(a.used_hours),
            hours(a.unapproved_hours),
            hours(a.remaining_hours),
            hours(a.over_hours),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// The hours used against the hours included; the hours over in red beyond them.
fn allowance_bar(out: &mut String, a: &AllowanceUsage) {
    const WIDTH: f64 = 560.0;
    let scale = a.included_hours.max(a.used_hours);
    let x = |h: f64| {
        if scale > 0.0 { WIDTH * h / scale } else { 0.0 }
    };
    let _ = write!(
        out,
        "<svg class=\"chart allowance\" viewBox=\"0 0 640 46\" role=\"img\" aria-label=\"{} hours used of {} included\">\n\
         <rect x=\"0\" y=\"4\" width=\"{:.1}\" height=\"16\" fill=\"{TRACK}\"/>\n",
        hours(a.used_hours),
        hours(a.included_hours),
        x(a.included_hours)
    );
    let within = a.used_hours.min(a.included_hours);
    let _ = writeln!(
        out,
        "<rect x=\"0\" y=\"4\" width=\"{:.1}\" height=\"16\" fill=\"{BLUE}\"/>",
        x(within)
    );
    if a.over_hours > 0.0 {
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"4\" width=\"{:.1}\" height=\"16\" fill=\"{RED}\"/>",
            x(a.included_hours),
            x(a.used_hours) - x(a.included_hours)
        );
    }
    let mark = x(a.included_hours);
    let _ = write!(
        out,
        "<line x1=\"{mark:.1}\" y1=\"0\" x2=\"{mark:.1}\" y2=\"24\" stroke=\"#1b1f24\" stroke-width=\"2\"/>\n\
         <text x=\"0\" y=\"38\" font-size=\"11\" fill=\"#1b1f24\">{} h used of {} h included{}</text>\n</svg>\n",
        hours(a.used_hours),
        hours(a.included_hours),
        if a.over_hours > 0.0 {
            format!(
                ": {} h over{}",
                hours(a.over_hours),
                match (&a.overage_amount, &a.currency) {
                    (Some(amount), Some(cur)) => format!(", {} {}", escape(amount), escape(cur)),
                    _ => String::new(),
                }
            )
        } else {
            format!(", {} h left", hours(a.remaining_hours))
        }
    );
}

fn breaches(out: &mut String, r: &Report) {
    let _ = write!(
        out,
        "<section id=\"breaches\">\n<h2>Breaches ({})</h2>\n",
        r.breaches.len()
    );
    if r.breaches.is_empty() {
        out.push_str("<p>No target was missed in the period.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<table class=\"breaches\">\n<thead><tr><th>Ticket</th><th>Category</th><th>Priority</th><th>Metric</th>\
         <th>Deadline</th><th>Stopped</th><th class=\"num\">Late</th></tr></thead>\n<tbody>\n",
    );
    for b in &r.breaches {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(&b.ticket),
            escape(b.category.as_deref().unwrap_or("—")),
            escape(b.priority.as_deref().unwrap_or("—")),
            escape(&metric_name(b)),
            opt_time(&b.deadline),
            opt_time(&b.stopped),
            escape(&late(b))
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// `update #2`, or the metric's name.
fn metric_name(b: &Breach) -> String {
    match b.instance {
        Some(n) => format!("{} #{n}", b.metric),
        None => b.metric.clone(),
    }
}

/// `1h 20m working time`, `20m working time (always)`.
fn late(b: &Breach) -> String {
    match &b.calendar {
        Some(c) => format!("{} {} ({c})", b.late, b.time),
        None => format!("{} {}", b.late, b.time),
    }
}

fn findings(out: &mut String, r: &Report) {
    let _ = write!(
        out,
        "<section id=\"findings\">\n<h2>Findings ({})</h2>\n",
        r.findings.len()
    );
    if r.findings.is_empty() {
        out.push_str(
            "<p>The contract's scripts found nothing to note about the tickets registered in the period.</p>\n</section>\n",
        );
        return;
    }
    out.push_str(
        "<table class=\"findings\">\n<thead><tr><th>Ticket</th><th>Severity</th><th>Code</th><th>Finding</th></tr></thead>\n<tbody>\n",
    );
    for f in &r.findings {
        let severity = f.severity.as_str();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{severity}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.ticket),
            escape(&f.code),
            escape(&f.message)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn categories(out: &mut String, r: &Report) {
    out.push_str(
        "<section id=\"categories\">\n<h2>Requests by category</h2>\n<p class=\"muted\">Tickets registered \
         in the period and their results (met of decided); tickets resolved in the period, whenever \
         registered, and the working hours they took (median / 90th percentile).</p>\n",
    );
    let shown: Vec<&str> = r
        .metrics
        .iter()
        .map(|m| m.metric.as_str())
        .filter(|m| r.categories.iter().any(|l| l.metrics.contains_key(*m)))
        .collect();
    out.push_str(
        "<table class=\"categories\">\n<thead><tr><th>Category</th><th class=\"num\">Registered</th>\
         <th class=\"num\">Resolved</th>",
    );
    for m in &shown {
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(m));
    }
    out.push_str("<th class=\"num\">Hours to resolve</th></tr></thead>\n<tbody>\n");
    for l in &r.categories {
        let clause = l
            .clause
            .as_deref()
            .map(|c| format!(" <span class=\"muted\">({})</span>", escape(c)))
            .unwrap_or_default();
        let title = l
            .title
            .as_deref()
            .map(|t| format!("<br><span class=\"muted\">{}</span>", escape(t)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td>{}{clause}{title}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            escape(&l.category),
            l.registered,
            l.resolved
        );
        for m in &shown {
            let cell = match l.metrics.get(*m) {
                Some(t) if t.met + t.breached > 0 => {
                    format!("{} of {}", t.met, t.met + t.breached)
                }
                Some(t) if t.open > 0 => format!("{} open", t.open),
                _ => "—".into(),
            };
            let _ = write!(out, "<td class=\"num\">{cell}</td>");
        }
        let resolve = match (l.median_resolve_hours, l.p90_resolve_hours) {
            (Some(m), Some(p)) => format!("{m} / {p}"),
            _ => "—".into(),
        };
        let _ = writeln!(out, "<td class=\"num\">{resolve}</td></tr>");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

//! `slaengine report --customer ID (--month YYYY-MM | --period YYYY-MM|YYYY-Qn|YYYY)`:
//! the report an account manager sends the customer (computed by [`crate::report`]),
//! printed as text tables, Markdown, CSV, JSON, YAML or one HTML page.

use std::io::Write;

use chrono::Utc;

use super::{Cli, Format, exit, output_error, write_machine};
use crate::contract::{self, DirLoader};
use crate::error::{Error, InputError};
use crate::instant::show_local;
use crate::period::{Period, PeriodKind};
use crate::report::{
    Report, ReportBuilder, hours_text as hours, period_bounds, share_text as percent,
};
use crate::store::Store;

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer (contract id).
    #[arg(long, value_name = "ID")]
    pub customer: String,
    /// A calendar month, in the contract's time zone.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// A month, a quarter or a year, in the contract's time zone (instead of --month).
    #[arg(long, value_name = "YYYY-MM|YYYY-Qn|YYYY")]
    pub period: Option<String>,
}

/// The period the arguments name: exactly one of `--month` and `--period`.
fn period(args: &Args) -> Result<Period, InputError> {
    match (&args.month, &args.period) {
        (Some(month), None) => Period::parse(month)
            .ok()
            .filter(|p| p.kind == PeriodKind::Month)
            .ok_or_else(|| {
                InputError::new(format!(
                    "--month: expected a month like `2026-03`, found `{month}`"
                ))
            }),
        (None, Some(text)) => {
            Period::parse(text).map_err(|e| InputError::new(format!("--period: {e}")))
        }
        (Some(month), Some(text)) => Err(InputError::new(format!(
            "report takes one period: expected `--month YYYY-MM` or `--period YYYY-MM|YYYY-Qn|YYYY`, found both `--month {month}` and `--period {text}`"
        ))),
        (None, None) => Err(InputError::new(
            "report needs a period: expected `--month YYYY-MM` or `--period YYYY-MM|YYYY-Qn|YYYY`, found neither",
        )),
    }
}

/// Runs `report`.
pub fn run(cli: &Cli, args: &Args) -> Result<u8, Error> {
    let period = period(args)?;
    let loader = DirLoader::new(&cli.contracts);
    let contract = contract::load(&loader, &args.customer)?;
    // The report looks at the period as it ended (or as it stands, for one under way).
    let (start, end) = period_bounds(&contract, &period);
    let now = Utc::now();
    if now <= start {
        let flag = if args.month.is_some() {
            "--month"
        } else {
            "--period"
        };
        return Err(InputError::new(format!(
            "{flag}: `{period}` begins on {} ({}), after now: expected a period that has begun",
            period.first,
            contract.calendar.timezone().name()
        ))
        .into());
    }
    let at = end.min(now) - chrono::TimeDelta::seconds(1);
    let store = Store::open_for_reading(&cli.db)?;
    let usage = store.customer_usage(&contract, &args.customer, at)?;
    let mut builder = ReportBuilder::new(&contract, period, at, &usage);
    store.for_each(|t| {
        if t.customer == args.customer {
            builder.add(&t);
        }
        Ok(())
    })?;
    let report = builder.finish();
    let mut out = std::io::stdout().lock();
    let text = match cli.format {
        Format::Human | Format::Markdown => text(&report, cli.format == Format::Markdown),
        Format::Csv => csv(&report),
        Format::Html => crate::report::html::render(&report, Some(contract.calendar.to_local(now))),
        f => {
            write_machine(&mut out, f, &report, true).map_err(output_error)?;
            return Ok(exit::OK);
        }
    };
    out.write_all(text.as_bytes()).map_err(output_error)?;
    Ok(exit::OK)
}

fn opt(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| v.to_string())
}

/// The report as text tables: Markdown, or the same layout for a terminal.
fn text(r: &Report, md: bool) -> String {
    let mut s = String::new();
    let h = if md { "## " } else { "" };
    let name = r
        .customer_name
        .as_deref()
        .map(|n| format!("{n}, "))
        .unwrap_or_default();
    s.push_str(&format!(
        "{h}{} — {} ({name}contract {} @ {}; {} to {}, as of {} {})\n\n",
        r.customer,
        r.period,
        r.contract,
        r.revision,
        r.period_from,
        r.period_to,
        show_local(&r.at),
        r.at.format("%:z"),
    ));
    categories(&mut s, r, md);
    metrics(&mut s, r, md, h);
    if !r.compliance.is_empty() {
        s.push_str(&format!("\n{h}Compliance\n\n"));
        let mut rows = vec![row(&[
            "entry", "target", "results", "met", "share", "passed",
        ])];
        for c in &r.compliance {
            rows.push(vec![
                c.selects.clone(),
                format!("{}%", c.at_least_percent),
                c.results.to_string(),
                c.met.to_string(),
                percent(c.percent),
                match (c.results, c.passed) {
                    (0, _) => "yes (no results)".into(),
                    (_, true) => "yes".into(),
                    (_, false) => "no".into(),
                },
            ]);
        }
        s.push_str(&table(&rows, md));
    }
    if let Some(c) = &r.credits {
        s.push_str(&format!(
            "\n{h}Credits ({}, fee {} per {})\n\n",
            c.currency, c.fee, c.per
        ));
        let mut rows = vec![row(&["rule", "selects", "count", "% of fee", "amount"])];
        for i in &c.items {
            rows.push(vec![
                i.rule.clone(),
                i.selects.clone(),
                i.count.to_string(),
                format!("{}%", i.percent),
                i.amount.clone(),
            ]);
        }
        s.push_str(&table(&rows, md));
        s.push_str(&format!(
            "\n{}total {}, cap {}, owed {} {}\n",
            if md { "" } else { "  " },
            c.total,
            c.cap.as_deref().unwrap_or("none"),
            c.owed,
            c.currency
        ));
    }
    if r.months.len() > 1 {
        s.push_str(&format!("\n{h}Months\n\n"));
        let mut head = vec!["month".to_owned()];
        head.extend(
            r.metrics
                .iter()
                .map(|m| format!("{} met/results", m.metric)),
        );
        let mut rows = vec![head];
        for m in &r.months {
            let mut line = vec![m.month.clone()];
            line.extend(m.metrics.iter().map(|t| match t.results {
                0 => "—".to_owned(),
                _ => format!("{}/{} ({})", t.met, t.results, percent(t.percent)),
            }));
            rows.push(line);
        }
        s.push_str(&table(&rows, md));
    }
    allowances(&mut s, r, md, h);
    breaches(&mut s, r, md, h);
    s.push_str(&format!(
        "\n{h}Findings of scripts ({})\n\n",
        r.findings.len()
    ));
    if !r.findings.is_empty() {
        let mut rows = vec![row(&["ticket", "severity", "code", "message"])];
        for f in &r.findings {
            rows.push(vec![
                f.ticket.clone(),
                f.severity.as_str().to_owned(),
                f.code.clone(),
                f.message.clone(),
            ]);
        }
        s.push_str(&table(&rows, md));
    }
    s
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// Per category: registered, resolved, each metric's results, time to resolve.
fn categories(s: &mut String, r: &Report, md: bool) {
    if r.categories.is_empty() {
        s.push_str("  no ticket registered or resolved in the period\n");
        return;
    }
    let names: Vec<&str> = r.metrics.iter().map(|m| m.metric.as_str()).collect();
    let shown: Vec<&str> = names
        .iter()
        .copied()
        .filter(|m| r.categories.iter().any(|l| l.metrics.contains_key(*m)))
        .collect();
    let mut head = row(&["category", "clause", "registered", "resolved"]);
    for m in &shown {
        head.push(format!("{m} met/breached (compliance)"));
    }
    head.push("median / p90 to resolve (h)".into());
    let mut rows = vec![head];
    for l in &r.categories {
        let mut line = vec![
            l.category.clone(),
            l.clause.clone().unwrap_or_default(),
            l.registered.to_string(),
            l.resolved.to_string(),
        ];
        for m in &shown {
            line.push(match l.metrics.get(*m) {
                Some(t) => format!(
                    "{}/{} ({})",
                    t.met,
                    t.breached,
                    t.compliance_percent.map_or("—".into(), |p| format!("{p}%"))
                ),
                None => "—".into(),
            });
        }
        line.push(format!(
            "{} / {}",
            opt(l.median_resolve_hours),
            opt(l.p90_resolve_hours)
        ));
        rows.push(line);
    }
    s.push_str(&table(&rows, md));
}

/// Per metric, the results that ended in the period.
fn metrics(s: &mut String, r: &Report, md: bool, h: &str) {
    s.push_str(&format!("\n{h}Results that ended in the period\n\n"));
    let mut rows = vec![row(&["metric", "results", "met", "breached", "share met"])];
    for m in &r.metrics {
        rows.push(vec![
            m.metric.clone(),
            m.results.to_string(),
            m.met.to_string(),
            m.breached.to_string(),
            percent(m.percent),
        ]);
    }
    s.push_str(&table(&rows, md));
}

fn allowances(s: &mut String, r: &Report, md: bool, h: &str) {
    if r.allowances.is_empty() {
        return;
    }
    s.push_str(&format!("\n{h}Allowances\n\n"));
    let mut rows = vec![row(&[
        "allowance",
        "period",
        "included h",
        "used h",
        "before approval h",
        "remaining h",
        "over h",
        "overage",
    ])];
    for a in &r.allowances {
        rows.push(vec![
            a.name.clone(),
            format!("{} ({})", a.period, a.per),
            hours(a.included_hours),
            hours(a.used_hours),
            hours(a.unapproved_hours),
            hours(a.remaining_hours),
            hours(a.over_hours),
            match (&a.overage_amount, &a.currency) {
                (Some(amount), Some(cur)) => format!("{amount} {cur}"),
                (Some(amount), None) => amount.clone(),
                _ => "—".into(),
            },
        ]);
    }
    s.push_str(&table(&rows, md));
}

fn breaches(s: &mut String, r: &Report, md: bool, h: &str) {
    s.push_str(&format!("\n{h}Breaches ({})\n\n", r.breaches.len()));
    if r.breaches.is_empty() {
        return;
    }
    let mut rows = vec![row(&[
        "ticket", "category", "priority", "metric", "deadline", "stopped", "late",
    ])];
    let show = |t: &Option<chrono::DateTime<chrono::FixedOffset>>| {
        t.as_ref().map_or("—".to_owned(), show_local)
    };
    for b in &r.breaches {
        rows.push(vec![
            b.ticket.clone(),
            b.category.clone().unwrap_or_default(),
            b.priority.clone().unwrap_or_default(),
            match b.instance {
                Some(n) => format!("{} #{n}", b.metric),
                None => b.metric.clone(),
            },
            show(&b.deadline),
            show(&b.stopped),
            match &b.calendar {
                Some(c) => format!("{} ({}, {c})", b.late, b.time),
                None => format!("{} ({})", b.late, b.time),
            },
        ]);
    }
    s.push_str(&table(&rows, md));
}

/// Aligned columns; Markdown pipes when `md` (a `|` in a cell escaped).
fn table(rows: &[Vec<String>], md: bool) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| if md { c.replace('|', "\\|") } else { c.clone() })
                .collect()
        })
        .collect();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| format!("{v}{}", " ".repeat(widths[c] - v.chars().count())))
            .collect();
        if md {
            s.push_str(&format!("| {} |\n", cells.join(" | ")));
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                s.push_str(&format!("| {} |\n", rule.join(" | ")));
            }
        } else {
            s.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
        }
    }
    s
}

/// One CSV row per category and metric.
fn csv(r: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "category",
        "clause",
        "registered",
        "resolved",
        "metric",
        "met",
        "breached",
        "open",
        "compliance_percent",
        "median_resolve_hours",
        "p90_resolve_hours",
    ]);
    let text = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for l in &r.categories {
        if l.metrics.is_empty() {
            // Only tickets resolved in the period, registered before it.
            let _ = w.write_record([
                l.category.clone(),
                l.clause.clone().unwrap_or_default(),
                l.registered.to_string(),
                l.resolved.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                text(l.median_resolve_hours),
                text(l.p90_resolve_hours),
            ]);
        }
        for (m, t) in &l.metrics {
            let _ = w.write_record([
                l.category.clone(),
                l.clause.clone().unwrap_or_default(),
                l.registered.to_string(),
                l.resolved.to_string(),
                m.clone(),
                t.met.to_string(),
                t.breached.to_string(),
                t.open.to_string(),
                text(t.compliance_percent),
                text(l.median_resolve_hours),
                text(l.p90_resolve_hours),
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

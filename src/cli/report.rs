//! `slaengine report --customer ID --month YYYY-MM`: the monthly report an account
//! manager sends the customer — per category, tickets registered and resolved, met and
//! breached per metric, compliance, time to resolve; the allowance; the breaches.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;

use super::{Cli, Format, exit, output_error, write_machine};
use crate::contract::{self, DirLoader};
use crate::error::{Error, InputError};
use crate::eval::{AllowanceUsage, Options, Status, evaluate_in, format_seconds};
use crate::store::Store;

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer (contract id).
    #[arg(long, value_name = "ID")]
    pub customer: String,
    /// The calendar month, in the contract's time zone.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
}

/// One metric's tally in a category.
#[derive(Debug, Default, Serialize)]
struct Tally {
    met: usize,
    breached: usize,
    open: usize,
    compliance_percent: Option<f64>,
}

/// One category's line.
#[derive(Debug, Default, Serialize)]
struct Line {
    category: String,
    clause: Option<String>,
    registered: usize,
    resolved: usize,
    metrics: BTreeMap<String, Tally>,
    median_resolve_hours: Option<f64>,
    p90_resolve_hours: Option<f64>,
    #[serde(skip)]
    resolve_secs: Vec<i64>,
}

/// One breach.
#[derive(Debug, Serialize)]
struct Breach {
    ticket: String,
    category: Option<String>,
    metric: String,
    deadline: Option<String>,
    late_seconds: i64,
    late: String,
}

#[derive(Debug, Serialize)]
struct Report {
    schema: &'static str,
    customer: String,
    contract: String,
    revision: String,
    month: String,
    at: String,
    categories: Vec<Line>,
    allowances: Vec<AllowanceUsage>,
    breaches: Vec<Breach>,
}

/// The nearest-rank percentile of sorted values, in hours.
fn percentile(sorted: &[i64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some((sorted[rank - 1] as f64 / 36.0).round() / 100.0)
}

/// Runs `report`.
pub fn run(cli: &Cli, args: &Args) -> Result<u8, Error> {
    let bad_month = || {
        InputError::new(format!(
            "--month: expected a month like `2026-03`, found `{}`",
            args.month
        ))
    };
    let first = NaiveDate::parse_from_str(&format!("{}-01", args.month), "%Y-%m-%d")
        .map_err(|_| bad_month())?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(bad_month)?;
    let loader = DirLoader::new(&cli.contracts);
    let contract = contract::load(&loader, &args.customer)?;
    let tz = contract.calendar.timezone();
    let start_of = |d: NaiveDate| -> Option<DateTime<Utc>> {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .earliest()
            .map(|t| t.to_utc())
    };
    let (Some(from), Some(to)) = (start_of(first), start_of(next)) else {
        return Err(bad_month().into());
    };
    // The report looks at the month as it ended (or as it stands, for the current one).
    let at = to.min(Utc::now()) - chrono::TimeDelta::seconds(1);
    let store = Store::open_for_reading(&cli.db)?;
    let usage = store.customer_usage(&contract, &args.customer, at)?;
    let mut lines: BTreeMap<String, Line> = BTreeMap::new();
    let mut breaches = Vec::new();
    store.for_each(|t| {
        if t.customer != args.customer {
            return Ok(());
        }
        let registered = t.registered.to_utc();
        let e = evaluate_in(&contract, &t, at, &Options::default(), Some(&usage));
        if registered < from || registered >= to {
            return Ok(());
        }
        let key = e.category.id.clone().unwrap_or_else(|| "(none)".into());
        let line = lines.entry(key.clone()).or_insert_with(|| Line {
            category: key,
            clause: e.category.clause.clone(),
            ..Line::default()
        });
        line.registered += 1;
        for m in &e.metrics {
            if m.status == Status::NotApplicable {
                continue;
            }
            let tally = line.metrics.entry(m.name.clone()).or_default();
            match m.status {
                Status::Met => tally.met += 1,
                Status::Breached => tally.breached += 1,
                _ => tally.open += 1,
            }
            if m.status == Status::Breached {
                let late = -m.remaining_seconds.unwrap_or(0);
                breaches.push(Breach {
                    ticket: e.ticket.clone(),
                    category: e.category.id.clone(),
                    metric: m.name.clone(),
                    deadline: m.deadline.map(|d| d.to_rfc3339()),
                    late_seconds: late,
                    late: format_seconds(late),
                });
            }
            if m.name == "resolve" && m.stopped.is_some() {
                line.resolved += 1;
                line.resolve_secs.push(m.elapsed_seconds);
            }
        }
        Ok(())
    })?;
    let mut categories: Vec<Line> = lines.into_values().collect();
    for line in &mut categories {
        line.resolve_secs.sort_unstable();
        line.median_resolve_hours = percentile(&line.resolve_secs, 0.5);
        line.p90_resolve_hours = percentile(&line.resolve_secs, 0.9);
        for tally in line.metrics.values_mut() {
            let decided = tally.met + tally.breached;
            tally.compliance_percent =
                (decided > 0).then(|| (tally.met as f64 * 1000.0 / decided as f64).round() / 10.0);
        }
    }
    breaches.sort_by_key(|b| std::cmp::Reverse(b.late_seconds));
    let report = Report {
        schema: "slaengine.report/v1",
        customer: args.customer.clone(),
        contract: contract.id.clone(),
        revision: contract.revision.clone(),
        month: args.month.clone(),
        at: at.with_timezone(&tz).fixed_offset().to_rfc3339(),
        categories,
        allowances: contract
            .allowances
            .keys()
            .filter_map(|name| usage.summary(&contract, name))
            .collect(),
        breaches,
    };
    let mut out = std::io::stdout().lock();
    let text = match cli.format {
        Format::Human | Format::Markdown => markdown(&report, cli.format == Format::Markdown),
        Format::Csv => csv(&report),
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
fn markdown(r: &Report, md: bool) -> String {
    let mut s = String::new();
    let h = if md { "## " } else { "" };
    s.push_str(&format!(
        "{h}{} — {} (contract {} @ {})\n\n",
        r.customer, r.month, r.contract, r.revision
    ));
    let metrics: Vec<String> = {
        let mut m: Vec<String> = r
            .categories
            .iter()
            .flat_map(|l| l.metrics.keys().cloned())
            .collect();
        m.sort();
        m.dedup();
        m
    };
    let mut head = vec![
        "category".to_owned(),
        "clause".into(),
        "registered".into(),
        "resolved".into(),
    ];
    for m in &metrics {
        head.push(format!("{m} met/breached (compliance)"));
    }
    head.push("median / p90 to resolve (h)".into());
    let mut rows = vec![head];
    for l in &r.categories {
        let mut row = vec![
            l.category.clone(),
            l.clause.clone().unwrap_or_default(),
            l.registered.to_string(),
            l.resolved.to_string(),
        ];
        for m in &metrics {
            row.push(match l.metrics.get(m) {
                Some(t) => format!("{}/{} ({}%)", t.met, t.breached, opt(t.compliance_percent)),
                None => "—".into(),
            });
        }
        row.push(format!(
            "{} / {}",
            opt(l.median_resolve_hours),
            opt(l.p90_resolve_hours)
        ));
        rows.push(row);
    }
    s.push_str(&table(&rows, md));
    if !r.allowances.is_empty() {
        s.push_str(&format!("\n{h}Allowances\n\n"));
        let mut rows = vec![vec![
            "allowance".to_owned(),
            "included h".into(),
            "used h".into(),
            "before approval h".into(),
            "remaining h".into(),
            "over h".into(),
        ]];
        for a in &r.allowances {
            rows.push(vec![
                a.name.clone(),
                a.included_hours.to_string(),
                a.used_hours.to_string(),
                a.unapproved_hours.to_string(),
                a.remaining_hours.to_string(),
                a.over_hours.to_string(),
            ]);
        }
        s.push_str(&table(&rows, md));
    }
    s.push_str(&format!("\n{h}Breaches ({})\n\n", r.breaches.len()));
    if !r.breaches.is_empty() {
        let mut rows = vec![vec![
            "ticket".to_owned(),
            "category".into(),
            "metric".into(),
            "deadline".into(),
            "late (working time)".into(),
        ]];
        for b in &r.breaches {
            rows.push(vec![
                b.ticket.clone(),
                b.category.clone().unwrap_or_default(),
                b.metric.clone(),
                b.deadline.clone().unwrap_or_default(),
                b.late.clone(),
            ]);
        }
        s.push_str(&table(&rows, md));
    }
    s
}

/// Aligned columns; Markdown pipes when `md`.
fn table(rows: &[Vec<String>], md: bool) -> String {
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
    for l in &r.categories {
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
                t.compliance_percent
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                l.median_resolve_hours
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                l.p90_resolve_hours
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

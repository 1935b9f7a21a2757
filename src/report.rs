//! A customer's report for a period (a month, a quarter or a year): what the account
//! manager sends the customer. Per category the tickets registered and resolved; per
//! metric the results that ended in the period, met or breached (each instance of a
//! recurring metric on its own), and the trend month by month; the contract's
//! compliance entries, passed or missed; the service credits owed, per fee period and
//! capped; the allowances of the periods in force; every breach with how late it was;
//! and the findings of the contract's scripts.
//!
//! Pure like the evaluation: the caller passes the tickets (streamed one by one), the
//! evaluation instant and the customer's allowance usage; nothing here reads a clock,
//! a file or a database. [`html`] renders a report as one self-contained page.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use slaengine::{Ticket, contract, eval::CustomerUsage, period::Period, report::ReportBuilder};
//!
//! let contract = contract::parse_str("demo", r#"
//! calendar: { timezone: Europe/Moscow, week: { mon-fri: ["09:00-18:00"] } }
//! metrics: { resolve: { starts: registered, stops: resolved } }
//! categories: { error: { resolve: 4 working hours } }
//! fee: { amount: 1000.00, currency: EUR, per: month }
//! credits: [{ metric: resolve, per_breach: 5% }]
//! "#).unwrap();
//! let ticket = Ticket::from_str_named(r#"
//! id: T-1
//! customer: demo
//! category: error
//! registered: 2026-03-02T10:00:00+03:00
//! events: [{ at: 2026-03-03T12:00:00+03:00, kind: resolved }]
//! "#, "ticket.yaml").unwrap();
//! let at: DateTime<Utc> = "2026-03-31T23:59:59+03:00".parse().unwrap();
//! let usage = CustomerUsage::new(&contract, &[], at);
//! let mut builder = ReportBuilder::new(&contract, Period::parse("2026-03").unwrap(), at, &usage);
//! builder.add(&ticket);
//! let report = builder.finish();
//! assert_eq!(report.breaches.len(), 1);
//! let credits = report.credits.unwrap();
//! assert_eq!((credits.items[0].amount.as_str(), credits.owed.as_str()), ("50.00", "50.00"));
//! ```

pub mod html;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::contract::{ComplianceRule, Contract, CreditKind, Fee, PeriodKind, Selector};
use crate::duration::{Duration, DurationKind};
use crate::eval::{
    AllowanceUsage, CustomerUsage, Evaluation, MetricResult, Options, Severity, Status,
    evaluate_in, format_seconds,
};
use crate::instant::{ser_opt_time, ser_time};
use crate::money::{format_amount, to_cents};
use crate::period::Period;
use crate::ticket::{EventKind, Ticket};

/// The `schema` of a report in JSON output.
pub const SCHEMA: &str = "slaengine.report/v1";

/// A customer's report for a period (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The customer: the contract's id.
    pub customer: String,
    /// The customer's name (`customer:` of the contract).
    pub customer_name: Option<String>,
    /// The contract id.
    pub contract: String,
    /// The contract's title (`Standard technical support`).
    pub title: Option<String>,
    /// The contract's revision.
    pub revision: String,
    /// The contract's time zone, in which the period and every time are given.
    pub timezone: String,
    /// The period's label, kept under its first name for readers of monthly reports.
    pub month: String,
    /// The period: `2026-03`, `2026-Q1` or `2026`.
    pub period: String,
    /// The period's first date.
    pub period_from: String,
    /// The period's last date.
    pub period_to: String,
    /// The evaluation instant: the end of the period, or now for a period under way.
    #[serde(serialize_with = "ser_time")]
    pub at: DateTime<FixedOffset>,
    /// One line per category, in id order.
    pub categories: Vec<CategoryLine>,
    /// Per metric of the contract, in its order: the results that ended in the period.
    pub metrics: Vec<MetricTotal>,
    /// The contract's compliance entries over the period.
    pub compliance: Vec<ComplianceResult>,
    /// The service credits owed; `None` when the contract has no `fee`.
    pub credits: Option<Credits>,
    /// The allowances in the periods in force at the evaluation instant.
    pub allowances: Vec<AllowanceUsage>,
    /// Every breached result that ended in the period, latest first.
    pub breaches: Vec<Breach>,
    /// The findings the contract's scripts made about the tickets registered in the
    /// period.
    pub findings: Vec<ScriptFinding>,
    /// The trend: per month of the period, per metric, the results that ended in it.
    pub months: Vec<MonthTrend>,
}

/// One metric's tally in a category, over the tickets registered in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Results met.
    pub met: usize,
    /// Results breached.
    pub breached: usize,
    /// Results still running or paused.
    pub open: usize,
    /// `met ÷ (met + breached)` in percent (see [`share`]); `None` without either.
    pub compliance_percent: Option<f64>,
}

/// One category's line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CategoryLine {
    /// The category id (`(none)` for tickets without one).
    pub category: String,
    /// Its clause of the terms.
    pub clause: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Tickets registered in the period.
    pub registered: usize,
    /// Tickets resolved in the period (and not reopened since), whenever registered.
    pub resolved: usize,
    /// Per metric, the results of the tickets registered in the period (each instance of
    /// a recurring metric).
    pub metrics: BTreeMap<String, Tally>,
    /// The median working hours to resolve the tickets resolved in the period.
    pub median_resolve_hours: Option<f64>,
    /// The 90th percentile of the same.
    pub p90_resolve_hours: Option<f64>,
    #[serde(skip)]
    resolve_secs: Vec<i64>,
}

/// A metric's results that ended in a span of time.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricTotal {
    /// The metric's name.
    pub metric: String,
    /// Results that ended: met plus breached.
    pub results: usize,
    /// Met.
    pub met: usize,
    /// Breached.
    pub breached: usize,
    /// `met ÷ results` in percent (see [`share`]); `None` without results.
    pub percent: Option<f64>,
}

/// One month of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthTrend {
    /// The month (`2026-01`).
    pub month: String,
    /// Per metric of the contract, the results that ended in the month.
    pub metrics: Vec<MetricTotal>,
}

/// A compliance entry over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceResult {
    /// The metric it selects.
    pub metric: String,
    /// The priority it selects, if any.
    pub priority: Option<String>,
    /// The category it selects (an id or `prefix.*`), if any.
    pub category: Option<String>,
    /// The selection for people (`resolve of urgent tickets`).
    pub selects: String,
    /// The share to reach, in percent.
    pub at_least_percent: f64,
    /// The share met (see [`share`]); `None` without results.
    pub percent: Option<f64>,
    /// Selected results that ended in the period.
    pub results: usize,
    /// Of those, met.
    pub met: usize,
    /// Whether the share reached `at_least` (exactly, in decimals); true without
    /// results, as there was nothing to miss.
    pub passed: bool,
    /// The share of the fee owed per fee period in which the entry is missed, in percent.
    pub credit_percent: Option<f64>,
}

/// The service credits of the period, in the fee's currency; money as exact decimal text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credits {
    /// The fee's currency (`EUR`).
    pub currency: String,
    /// The fee per fee period (`5000.00`).
    pub fee: String,
    /// The fee period's kind (`month`).
    pub per: String,
    /// One item per entry of `credits` and per compliance entry with a `credit`, summed
    /// over the fee periods.
    pub items: Vec<CreditItem>,
    /// The sum of the items.
    pub total: String,
    /// The most owed: `credit_cap` of the fee, per fee period, summed; `None` without a
    /// cap.
    pub cap: Option<String>,
    /// What is owed: per fee period the smaller of its total and its cap, summed.
    pub owed: String,
    /// Per fee period overlapping the report's period.
    pub periods: Vec<FeePeriodCredits>,
}

/// One priced rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditItem {
    /// The metric the rule selects.
    pub metric: String,
    /// The priority it selects, if any.
    pub priority: Option<String>,
    /// The category it selects, if any.
    pub category: Option<String>,
    /// The selection for people (`reply of urgent tickets`).
    pub selects: String,
    /// The rule: `5% per breach`, `5% per started 30 calendar minutes late`,
    /// `compliance below 95%`.
    pub rule: String,
    /// What was priced: breaches (`per_breach`), started steps of lateness (`per_late`)
    /// or fee periods in which the compliance entry was missed.
    pub count: usize,
    /// The breached results counted (for `per_late`, the results whose steps make
    /// `count`; for a compliance credit, the entry's results in the missed periods).
    pub results: usize,
    /// The item's share of the fee, in percent.
    pub percent: f64,
    /// The amount, each fee period's part rounded to the cent.
    pub amount: String,
}

/// The credits of one fee period, within the report's period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeePeriodCredits {
    /// The fee period (`2026-03`).
    pub period: String,
    /// The sum of its items.
    pub total: String,
    /// Its cap, if the contract has one.
    pub cap: Option<String>,
    /// The smaller of the two.
    pub owed: String,
}

/// A breached result that ended in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    /// The ticket.
    pub ticket: String,
    /// Its category at the evaluation instant.
    pub category: Option<String>,
    /// Its priority at the evaluation instant.
    pub priority: Option<String>,
    /// The metric.
    pub metric: String,
    /// For a recurring metric, the instance's number (from 1).
    pub instance: Option<usize>,
    /// The target as written.
    pub target: Option<String>,
    /// When the target ran out.
    #[serde(serialize_with = "ser_opt_time")]
    pub deadline: Option<DateTime<FixedOffset>>,
    /// When the result stopped, if it has.
    #[serde(serialize_with = "ser_opt_time")]
    pub stopped: Option<DateTime<FixedOffset>>,
    /// How late, in seconds of the target's kind of time.
    pub late_seconds: i64,
    /// The same for people (`3h 20m`).
    pub late: String,
    /// `working time` or `calendar time`: how `late` is counted.
    pub time: &'static str,
    /// The named calendar the target counts on; `None` for the contract's own.
    pub calendar: Option<String>,
}

/// A finding of one of the contract's scripts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScriptFinding {
    /// The ticket.
    pub ticket: String,
    /// How serious it is.
    pub severity: Severity,
    /// Its code.
    pub code: String,
    /// Its message.
    pub message: String,
    /// The script that made it.
    pub script: String,
}

/// `part ÷ whole` in percent, cut (never rounded up) to two decimals, so that a share
/// shown as `95.00` did reach 95%; `None` when `whole` is 0.
///
/// ```
/// use slaengine::report::share;
/// assert_eq!(share(2, 3), Some(66.66));
/// assert_eq!(share(0, 0), None);
/// ```
pub fn share(part: usize, whole: usize) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    if whole == 0 {
        return None;
    }
    let p = Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole);
    p.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero)
        .to_f64()
}

/// A share for people: `66.66%`; `—` without results.
pub(crate) fn share_text(p: Option<f64>) -> String {
    p.map_or("—".into(), |p| format!("{p:.2}%"))
}

/// Hours for people, without binary noise: `12.5`.
pub(crate) fn hours_text(h: f64) -> String {
    crate::money::hours(h).to_string()
}

/// The nearest-rank percentile of sorted seconds, in hours to two decimals.
fn percentile(sorted: &[i64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some((sorted[rank - 1] as f64 / 36.0).round() / 100.0)
}

/// The first instant of the local date `d` in `tz`: its midnight, or when midnight falls
/// in a gap, the first minute after it that exists.
fn start_of(tz: chrono_tz::Tz, d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_time(chrono::NaiveTime::MIN);
    (0..=24 * 60)
        .step_by(15)
        .find_map(|m| {
            tz.from_local_datetime(&(midnight + chrono::TimeDelta::minutes(m)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc(), |t| t.to_utc())
}

/// The first instant of `period` in `contract`'s zone and the first instant after it: a
/// report evaluates at the second before the end (or earlier, for a period under way).
pub fn period_bounds(contract: &Contract, period: &Period) -> (DateTime<Utc>, DateTime<Utc>) {
    let span = Span::of(contract.calendar.timezone(), period);
    (span.from, span.to)
}

/// A span of instants `[from, to)`.
#[derive(Debug, Clone, Copy)]
struct Span {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Span {
    fn of(tz: chrono_tz::Tz, p: &Period) -> Span {
        Span {
            from: start_of(tz, p.first),
            to: start_of(tz, p.end),
        }
    }

    fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

/// Counts of one fee period: per compliance entry (met, results), per credit rule
/// (priced units, results).
#[derive(Debug, Clone)]
struct FeeBucket {
    period: Period,
    span: Span,
    compliance: Vec<(usize, usize)>,
    credits: Vec<(usize, usize)>,
}

/// One result of a metric (the metric itself, or one instance of a recurring one) that
/// ended in the period.
struct Ended<'a> {
    metric: usize,
    result: &'a MetricResult,
    instance: Option<usize>,
    met: bool,
    deadline: Option<DateTime<FixedOffset>>,
    stopped: Option<DateTime<FixedOffset>>,
    remaining: Option<i64>,
    end: DateTime<Utc>,
}

/// Builds a [`Report`] from tickets given one at a time (as a store streams them).
pub struct ReportBuilder<'c> {
    contract: &'c Contract,
    usage: &'c CustomerUsage,
    period: Period,
    span: Span,
    at: DateTime<Utc>,
    months: Vec<(Period, Span, Vec<MetricTotal>)>,
    fee_buckets: Vec<FeeBucket>,
    lines: BTreeMap<String, CategoryLine>,
    totals: Vec<MetricTotal>,
    compliance: Vec<(usize, usize)>,
    breaches: Vec<Breach>,
    findings: Vec<ScriptFinding>,
}

impl<'c> ReportBuilder<'c> {
    /// A report of `contract`'s customer for `period` (a calendar period in the
    /// contract's zone), evaluated at `at`, with the customer's allowance `usage` summed
    /// for the same instant.
    pub fn new(
        contract: &'c Contract,
        period: Period,
        at: DateTime<Utc>,
        usage: &'c CustomerUsage,
    ) -> ReportBuilder<'c> {
        let tz = contract.calendar.timezone();
        let totals: Vec<MetricTotal> = contract
            .metrics
            .iter()
            .map(|m| MetricTotal {
                metric: m.name.clone(),
                ..MetricTotal::default()
            })
            .collect();
        let months = period
            .months()
            .into_iter()
            .map(|m| (m, Span::of(tz, &m), totals.clone()))
            .collect();
        let fee_buckets = match &contract.fee {
            Some(fee) => fee_periods(contract, fee.per, &period)
                .into_iter()
                .map(|p| FeeBucket {
                    period: p,
                    span: Span::of(tz, &p),
                    compliance: vec![(0, 0); contract.compliance.len()],
                    credits: vec![(0, 0); contract.credits.len()],
                })
                .collect(),
            None => Vec::new(),
        };
        ReportBuilder {
            contract,
            usage,
            period,
            span: Span::of(tz, &period),
            at,
            months,
            fee_buckets,
            lines: BTreeMap::new(),
            totals,
            compliance: vec![(0, 0); contract.compliance.len()],
            breaches: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// Counts one of the customer's tickets (the caller picks the customer's; tickets
    /// registered after the evaluation instant count for nothing).
    pub fn add(&mut self, ticket: &Ticket) {
        let registered = ticket.registered.to_utc();
        if registered > self.at {
            return;
        }
        let in_period = self.span.contains(registered);
        // Tickets registered before the period count only through their results and
        // resolutions: no allowance, no findings.
        let options = Options {
            explain: false,
            metrics_only: !in_period,
        };
        let e = evaluate_in(self.contract, ticket, self.at, &options, Some(self.usage));
        let key = e.category.id.clone().unwrap_or_else(|| "(none)".into());
        if in_period {
            self.count_registered(&key, &e);
        }
        if let Some(resolved) = resolved_at(ticket, self.at)
            && self.span.contains(resolved)
        {
            let secs = e
                .metrics
                .iter()
                .find(|m| m.name == "resolve" && m.stopped.is_some())
                .filter(|m| m.status != Status::NotApplicable)
                .map_or_else(
                    || self.contract.calendar.elapsed(registered, resolved),
                    |m| m.elapsed_seconds,
                );
            let line = self.line(&key, &e);
            line.resolved += 1;
            line.resolve_secs.push(secs);
        }
        for (i, m) in e.metrics.iter().enumerate() {
            for r in ended(i, m) {
                if self.span.contains(r.end) {
                    self.count_ended(&e, &r);
                }
            }
        }
    }

    /// The category line of `key`, made on first use.
    fn line(&mut self, key: &str, e: &Evaluation) -> &mut CategoryLine {
        self.lines
            .entry(key.to_owned())
            .or_insert_with(|| CategoryLine {
                category: key.to_owned(),
                clause: e.category.clause.clone(),
                title: e.category.title.clone(),
                ..CategoryLine::default()
            })
    }

    /// A ticket registered in the period: its category line and its scripts' findings.
    fn count_registered(&mut self, key: &str, e: &Evaluation) {
        let line = self.line(key, e);
        line.registered += 1;
        for m in &e.metrics {
            let statuses: Vec<Status> = match &m.instances {
                Some(list) => list.iter().map(|x| x.status).collect(),
                None => vec![m.status],
            };
            for status in statuses {
                if status == Status::NotApplicable {
                    continue;
                }
                let tally = line.metrics.entry(m.name.clone()).or_default();
                match status {
                    Status::Met => tally.met += 1,
                    Status::Breached => tally.breached += 1,
                    _ => tally.open += 1,
                }
            }
        }
        for f in &e.findings {
            if let Some(script) = &f.script {
                self.findings.push(ScriptFinding {
                    ticket: e.ticket.clone(),
                    severity: f.severity,
                    code: f.code.clone(),
                    message: f.message.clone(),
                    script: script_path(self.contract, script),
                });
            }
        }
    }

    /// A result that ended in the period: the totals, the month, compliance, credits and
    /// breaches.
    fn count_ended(&mut self, e: &Evaluation, r: &Ended<'_>) {
        let add = |t: &mut MetricTotal| {
            t.results += 1;
            if r.met {
                t.met += 1;
            } else {
                t.breached += 1;
            }
        };
        add(&mut self.totals[r.metric]);
        if let Some((_, _, totals)) = self.months.iter_mut().find(|m| m.1.contains(r.end)) {
            add(&mut totals[r.metric]);
        }
        let c = self.contract;
        let name = &r.result.name;
        let (priority, category) = (e.priority.as_deref(), e.category.id.as_deref());
        let bucket = self.fee_buckets.iter().position(|b| b.span.contains(r.end));
        for (i, rule) in c.compliance.iter().enumerate() {
            if rule.select.matches(name, priority, category) {
                let bump = |(met, results): &mut (usize, usize)| {
                    *results += 1;
                    *met += usize::from(r.met);
                };
                bump(&mut self.compliance[i]);
                if let Some(b) = bucket {
                    bump(&mut self.fee_buckets[b].compliance[i]);
                }
            }
        }
        if r.met {
            return;
        }
        if let Some(b) = bucket {
            for (i, rule) in c.credits.iter().enumerate() {
                if !rule.select.matches(name, priority, category) {
                    continue;
                }
                let units = match &rule.kind {
                    CreditKind::PerBreach(_) => 1,
                    CreditKind::PerLate { step, .. } => self.late_steps(r, step),
                };
                let (count, results) = &mut self.fee_buckets[b].credits[i];
                *count += units;
                *results += 1;
            }
        }
        let late = -r.remaining.unwrap_or(0);
        self.breaches.push(Breach {
            ticket: e.ticket.clone(),
            category: e.category.id.clone(),
            priority: e.priority.clone(),
            metric: name.clone(),
            instance: r.instance,
            target: r.result.target.clone(),
            deadline: r.deadline,
            stopped: r.stopped,
            late_seconds: late,
            late: format_seconds(late),
            time: match target_kind(r.result) {
                DurationKind::Working => "working time",
                DurationKind::Calendar => "calendar time",
            },
            calendar: r.result.calendar.clone(),
        });
    }

    /// The started steps of lateness of a breached result: from its deadline to its stop
    /// (or the evaluation instant), in the step's kind of time.
    fn late_steps(&self, r: &Ended<'_>, step: &Duration) -> usize {
        let Some(deadline) = r.deadline.map(|d| d.to_utc()) else {
            return 0;
        };
        let until = r.stopped.map_or(self.at, |s| s.to_utc());
        let calendar = self.contract.calendar_named(r.result.calendar.as_deref());
        let (late, step) = match step.kind {
            DurationKind::Calendar => ((until - deadline).num_seconds().max(0), step.seconds),
            DurationKind::Working => (
                calendar.elapsed(deadline, until),
                step.working_seconds(calendar.day_length()).unwrap_or(0),
            ),
        };
        if step <= 0 {
            return 0;
        }
        usize::try_from((late + step - 1) / step).unwrap_or(0)
    }

    /// The report.
    pub fn finish(self) -> Report {
        let c = self.contract;
        let mut categories: Vec<CategoryLine> = self.lines.into_values().collect();
        for line in &mut categories {
            line.resolve_secs.sort_unstable();
            line.median_resolve_hours = percentile(&line.resolve_secs, 0.5);
            line.p90_resolve_hours = percentile(&line.resolve_secs, 0.9);
            for tally in line.metrics.values_mut() {
                tally.compliance_percent = share(tally.met, tally.met + tally.breached);
            }
        }
        let finish = |mut totals: Vec<MetricTotal>| {
            for t in &mut totals {
                t.percent = share(t.met, t.results);
            }
            totals
        };
        let compliance = c
            .compliance
            .iter()
            .zip(&self.compliance)
            .map(|(rule, &(met, results))| ComplianceResult {
                metric: rule.select.metric.clone(),
                priority: rule.select.priority.clone(),
                category: rule.select.category.clone(),
                selects: rule.select.describe(),
                at_least_percent: crate::money::percent_number(rule.at_least),
                percent: share(met, results),
                results,
                met,
                passed: reached(met, results, rule.at_least),
                credit_percent: rule.credit.map(crate::money::percent_number),
            })
            .collect();
        let credits = c.fee.as_ref().map(|fee| credits(c, fee, &self.fee_buckets));
        let mut breaches = self.breaches;
        breaches.sort_by_key(|b| std::cmp::Reverse(b.late_seconds));
        let tz = c.calendar.timezone();
        Report {
            schema: SCHEMA,
            customer: c.id.clone(),
            customer_name: c.customer.clone(),
            contract: c.id.clone(),
            title: c.title.clone(),
            revision: c.revision.clone(),
            timezone: tz.name().to_owned(),
            month: self.period.label(),
            period: self.period.label(),
            period_from: self.period.first.to_string(),
            period_to: self.period.last().to_string(),
            at: self.at.with_timezone(&tz).fixed_offset(),
            categories,
            metrics: finish(self.totals),
            compliance,
            credits,
            allowances: c
                .allowances
                .keys()
                .filter_map(|name| self.usage.summary(c, name))
                .collect(),
            breaches,
            findings: self.findings,
            months: self
                .months
                .into_iter()
                .map(|(p, _, totals)| MonthTrend {
                    month: p.label(),
                    metrics: finish(totals),
                })
                .collect(),
        }
    }
}

/// Builds the report of `contract`'s customer for `period` at `at` from `tickets` (see
/// [`ReportBuilder`]).
pub fn report<'t>(
    contract: &Contract,
    period: Period,
    at: DateTime<Utc>,
    usage: &CustomerUsage,
    tickets: impl IntoIterator<Item = &'t Ticket>,
) -> Report {
    let mut builder = ReportBuilder::new(contract, period, at, usage);
    for t in tickets {
        builder.add(t);
    }
    builder.finish()
}

/// Whether `met` of `results` reaches the fraction `at_least`, exactly; true without
/// results (nothing to miss).
fn reached(met: usize, results: usize, at_least: Decimal) -> bool {
    Decimal::from(met) >= at_least * Decimal::from(results)
}

/// The fee periods of `kind` that overlap `period`: whole calendar periods (a month, a
/// quarter, a year), or the contract's term (the report's period when the contract has
/// no bounded term).
fn fee_periods(contract: &Contract, kind: PeriodKind, period: &Period) -> Vec<Period> {
    const OPEN: crate::contract::Validity = crate::contract::Validity {
        from: None,
        to: None,
    };
    if kind == PeriodKind::Term {
        let term = contract
            .valid
            .from
            .and_then(|f| PeriodKind::Term.containing(f, &contract.valid));
        return vec![term.unwrap_or(*period)];
    }
    let mut out = Vec::new();
    let mut date = period.first;
    while date < period.end {
        let Some(p) = kind.containing(date, &OPEN) else {
            break;
        };
        out.push(p);
        date = p.end;
    }
    out
}

/// A script as the contract lists it (`scripts/standard.rhai`, from the project root),
/// from the name messages give it.
fn script_path(c: &Contract, shown: &str) -> String {
    c.script_files
        .iter()
        .find(|(_, display)| display.as_str() == shown)
        .map_or(shown, |(path, _)| path.as_str())
        .to_owned()
}

/// The kind of time of a result's target, read from the target as written (a
/// `targets` hook's change included); working time when no target is in force.
fn target_kind(m: &MetricResult) -> DurationKind {
    m.target
        .as_deref()
        .and_then(|t| t.parse::<Duration>().ok())
        .map_or(DurationKind::Working, |d| d.kind)
}

/// When the ticket was resolved as it stood at `at` (its last resolution, unless
/// reopened after it).
fn resolved_at(ticket: &Ticket, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut events: Vec<_> = ticket
        .events
        .iter()
        .filter(|e| e.at.to_utc() <= at)
        .collect();
    events.sort_by_key(|e| e.at);
    let mut resolved = None;
    for e in events {
        match e.kind {
            EventKind::Resolved => resolved = resolved.or(Some(e.at.to_utc())),
            EventKind::Reopened => resolved = None,
            _ => {}
        }
    }
    resolved
}

/// The results of metric `index` that have ended (met and stopped, or breached with
/// their deadline passed), with the instant each ended: each instance of a recurring
/// metric, or the metric itself.
fn ended(index: usize, m: &MetricResult) -> Vec<Ended<'_>> {
    let one = |instance, status, deadline: Option<DateTime<FixedOffset>>, stopped, remaining| {
        let end = match status {
            Status::Met => stopped,
            Status::Breached => deadline,
            _ => None,
        }?;
        Some(Ended {
            metric: index,
            result: m,
            instance,
            met: status == Status::Met,
            deadline,
            stopped,
            remaining,
            end: end.to_utc(),
        })
    };
    match &m.instances {
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(n, x)| {
                one(
                    Some(n + 1),
                    x.status,
                    x.deadline,
                    x.stopped,
                    x.remaining_seconds,
                )
            })
            .collect(),
        None => one(None, m.status, m.deadline, m.stopped, m.remaining_seconds)
            .into_iter()
            .collect(),
    }
}

/// The credits over the fee periods.
fn credits(c: &Contract, fee: &Fee, buckets: &[FeeBucket]) -> Credits {
    let mut items: Vec<(CreditItem, Decimal, Decimal)> = Vec::new();
    let item = |select: &Selector, rule: String| CreditItem {
        metric: select.metric.clone(),
        priority: select.priority.clone(),
        category: select.category.clone(),
        selects: select.describe(),
        rule,
        count: 0,
        results: 0,
        percent: 0.0,
        amount: String::new(),
    };
    for rule in &c.credits {
        items.push((
            item(&rule.select, rule.describe()),
            Decimal::ZERO,
            Decimal::ZERO,
        ));
    }
    let priced: Vec<(usize, &ComplianceRule, Decimal)> = c
        .compliance
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, r, r.credit?)))
        .collect();
    for (_, rule, _) in &priced {
        let text = format!(
            "compliance below {}",
            crate::money::format_percent(rule.at_least)
        );
        items.push((item(&rule.select, text), Decimal::ZERO, Decimal::ZERO));
    }
    let cap = c.credit_cap.map(|cap| to_cents(cap * fee.amount));
    let (mut total, mut owed, mut caps) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut periods = Vec::new();
    for b in buckets {
        let mut sum = Decimal::ZERO;
        let mut price = |slot: &mut (CreditItem, Decimal, Decimal), count, results, share| {
            let fraction = Decimal::from(count) * share;
            let amount = to_cents(fraction * fee.amount);
            slot.0.count += count;
            slot.0.results += results;
            slot.1 += fraction;
            slot.2 += amount;
            sum += amount;
        };
        for (i, rule) in c.credits.iter().enumerate() {
            let share = match &rule.kind {
                CreditKind::PerBreach(p) => *p,
                CreditKind::PerLate { credit, .. } => *credit,
            };
            let (count, results) = b.credits[i];
            price(&mut items[i], count, results, share);
        }
        for (k, (i, rule, credit)) in priced.iter().enumerate() {
            let (met, results) = b.compliance[*i];
            let missed = !reached(met, results, rule.at_least);
            let slot = &mut items[c.credits.len() + k];
            if missed {
                price(slot, 1, results, *credit);
            }
        }
        let period_owed = cap.map_or(sum, |cap| sum.min(cap));
        total += sum;
        owed += period_owed;
        caps += cap.unwrap_or_default();
        periods.push(FeePeriodCredits {
            period: b.period.label(),
            total: format_amount(sum),
            cap: cap.map(format_amount),
            owed: format_amount(period_owed),
        });
    }
    Credits {
        currency: fee.currency.clone(),
        fee: format_amount(fee.amount),
        per: fee.per.as_str().to_owned(),
        items: items
            .into_iter()
            .map(|(mut item, fraction, amount)| {
                item.percent = crate::money::percent_number(fraction);
                item.amount = format_amount(amount);
                item
            })
            .collect(),
        total: format_amount(total),
        cap: cap.map(|_| format_amount(caps)),
        owed: format_amount(owed),
        periods,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract;

    const CONTRACT: &str = include_str!("../tests/data/report/credits.yaml");

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn ticket(id: &str, priority: &str, registered: &str, events: &[(&str, &str)]) -> Ticket {
        let events: Vec<String> = events
            .iter()
            .map(|(at, kind)| format!("{{ at: {at}, kind: {kind} }}"))
            .collect();
        Ticket::from_str_named(
            &format!(
                "id: {id}\ncustomer: credits\ncategory: error\npriority: {priority}\nregistered: {registered}\nevents: [{}]\n",
                events.join(", ")
            ),
            "ticket.yaml",
        )
        .unwrap()
    }

    fn march(tickets: &[Ticket]) -> Report {
        let c = contract::parse_str("credits", CONTRACT).unwrap();
        let at = t("2026-03-31T23:59:59Z");
        let usage = CustomerUsage::new(&c, &[], at);
        report(&c, Period::parse("2026-03").unwrap(), at, &usage, tickets)
    }

    #[test]
    fn lateness_counts_started_steps_in_the_steps_kind_of_time() {
        // The reply was due Tue 11:00, given Wed 10:30: 23 h 30 m of real time late (47
        // started half hours, 47%). Resolution was due Tue 13:00: 4 h + 1 h 30 m of
        // working time late (6 started working hours, 12%).
        let r = march(&[ticket(
            "C-2",
            "normal",
            "2026-03-03T09:00:00Z",
            &[
                ("2026-03-04T10:30:00Z", "replied"),
                ("2026-03-04T10:30:00Z", "resolved"),
            ],
        )]);
        let credits = r.credits.unwrap();
        let items: Vec<(&str, usize, f64, &str)> = credits
            .items
            .iter()
            .map(|i| (i.rule.as_str(), i.count, i.percent, i.amount.as_str()))
            .collect();
        assert_eq!(
            items,
            [
                ("5% per breach", 0, 0.0, "0.00"),
                ("2% per started 1 working hour late", 6, 12.0, "240.00"),
                (
                    "1% per started 30 calendar minutes late",
                    47,
                    47.0,
                    "940.00"
                ),
                ("compliance below 75%", 1, 10.0, "200.00"),
            ]
        );
        // 1380.00 in all, capped at 25% of the fee.
        assert_eq!(
            (
                credits.total.as_str(),
                credits.cap.as_deref(),
                credits.owed.as_str()
            ),
            ("1380.00", Some("500.00"), "500.00")
        );
        let b = &r.breaches[1];
        assert_eq!(
            (b.metric.as_str(), b.late_seconds, b.late.as_str(), b.time),
            ("resolve", 5 * 3600 + 1800, "5h 30m", "working time")
        );
    }

    #[test]
    fn a_result_still_running_is_late_until_the_evaluation_instant() {
        // Registered Tue 31 March 09:00, nothing since: the reply is late from 11:00 to
        // 23:59:59 (26 started half hours), the resolution from 13:00, 4 working hours.
        let r = march(&[ticket("C-6", "normal", "2026-03-31T09:00:00Z", &[])]);
        let credits = r.credits.unwrap();
        let counts: Vec<usize> = credits.items.iter().map(|i| i.count).collect();
        assert_eq!(counts, [0, 4, 26, 1]);
        assert_eq!(r.breaches[0].stopped, None);
    }

    #[test]
    fn results_end_when_met_or_when_their_deadline_passes() {
        let r = march(&[
            // Registered in February, its deadline in March: counts in March.
            ticket(
                "C-0",
                "urgent",
                "2026-02-27T16:00:00Z",
                &[
                    ("2026-02-27T16:10:00Z", "replied"),
                    ("2026-03-02T12:30:00Z", "resolved"),
                ],
            ),
            // Met in March.
            ticket(
                "C-1",
                "urgent",
                "2026-03-02T10:00:00Z",
                &[
                    ("2026-03-02T10:45:00Z", "replied"),
                    ("2026-03-02T13:00:00Z", "resolved"),
                ],
            ),
            // Reopened after its resolution: not resolved, still counting.
            ticket(
                "C-9",
                "normal",
                "2026-03-10T09:00:00Z",
                &[
                    ("2026-03-10T09:30:00Z", "replied"),
                    ("2026-03-10T10:00:00Z", "resolved"),
                    ("2026-03-10T11:00:00Z", "reopened"),
                ],
            ),
        ]);
        let resolve = &r.metrics[1];
        // C-0 breached (due Mon 2 March 12:00: 16:00–17:00 on Friday, 09:00–12:00 on
        // Monday), C-1 met; C-9 runs on past its deadline (Tue 10 March 14:00: the hour
        // it was resolved does not count again).
        assert_eq!(
            (resolve.results, resolve.met, resolve.breached),
            (3, 1, 2),
            "{:?}",
            r.breaches
        );
        let reply = &r.metrics[0];
        // C-0's reply ended in February; C-1's was 15 minutes late (round the clock).
        assert_eq!((reply.results, reply.met, reply.breached), (2, 1, 1));
        let resolved: usize = r.categories.iter().map(|l| l.resolved).sum();
        let registered: usize = r.categories.iter().map(|l| l.registered).sum();
        assert_eq!((registered, resolved), (2, 2));
    }

    #[test]
    fn shares_are_exact() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert!(reached(19, 20, d("0.95")));
        assert!(!reached(18, 19, d("0.95")));
        assert!(reached(0, 0, d("0.95")), "nothing to miss");
        assert_eq!(share(19, 20), Some(95.0));
        assert_eq!(share(18, 19), Some(94.73));
        assert_eq!(share(1, 3), Some(33.33));
    }

    #[test]
    fn fee_periods_overlap_the_report() {
        let c = contract::parse_str("credits", CONTRACT).unwrap();
        let q1 = Period::parse("2026-Q1").unwrap();
        let labels = |kind| -> Vec<String> {
            fee_periods(&c, kind, &q1)
                .iter()
                .map(Period::label)
                .collect()
        };
        assert_eq!(labels(PeriodKind::Month), ["2026-01", "2026-02", "2026-03"]);
        assert_eq!(labels(PeriodKind::Quarter), ["2026-Q1"]);
        assert_eq!(labels(PeriodKind::Year), ["2026"]);
        // No bounded term: the report's own period.
        assert_eq!(labels(PeriodKind::Term), ["2026-Q1"]);
    }
}

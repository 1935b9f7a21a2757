//! Evaluation: what a contract says about a ticket at a given instant.
//!
//! [`evaluate`] is a pure function of (contract revision, ticket, instant): no clock, no
//! files. It sees the ticket as it was at `at` (later events are ignored), runs each of the
//! contract's metrics as a clock over the ticket's events, and reports per metric the
//! target, the deadline, the working time elapsed and paused, the time remaining and a
//! status; the category and who decided it; the ticket's allowance hours; and findings.
//! With [`Options::explain`] it also says how it got there: which layer of the contract
//! set each target, which intervals counted, and which weekends, holidays and pauses were
//! skipped.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use crate::calendar::{Calendar, ClosedReason, Step};
use crate::contract::{Category, Contract, Metric};
use crate::duration::{Duration, DurationKind};
use crate::script::{HookResult, ScriptError};
use crate::ticket::{Event, EventKind, Ticket};

mod json;

/// RFC 3339 (`2026-03-06T16:40:00+03:00`), exactly as chrono writes it, appended to
/// `out` digit by digit: chrono's general formatter costs more than the rest of a bulk
/// evaluation's output. Fractions of a second, offsets with seconds and years outside
/// 0–9999 (rare) are left to chrono.
pub(crate) fn write_instant(out: &mut Vec<u8>, t: &DateTime<FixedOffset>) {
    use chrono::Timelike;
    let local = t.naive_local();
    let year = local.year();
    let off = t.offset().local_minus_utc();
    if !(0..=9999).contains(&year) || local.nanosecond() != 0 || off % 60 != 0 {
        out.extend_from_slice(t.to_rfc3339().as_bytes());
        return;
    }
    let mut text = *b"0000-00-00T00:00:00+00:00";
    let mut two = |at: usize, v: u32| {
        text[at] = b'0' + (v / 10 % 10) as u8;
        text[at + 1] = b'0' + (v % 10) as u8;
    };
    let off_abs = off.unsigned_abs();
    for (at, v) in [
        (0, year as u32 / 100),
        (2, year as u32 % 100),
        (5, local.month()),
        (8, local.day()),
        (11, local.hour()),
        (14, local.minute()),
        (17, local.second()),
        (20, off_abs / 3600),
        (23, off_abs % 3600 / 60),
    ] {
        two(at, v);
    }
    if off < 0 {
        text[19] = b'-';
    }
    out.extend_from_slice(&text);
}

/// `d.to_string()`, remembered: a contract has a handful of targets, and spelling one
/// (`2 working days`) costs more than the rest of its metric.
fn duration_text(d: Duration) -> String {
    use std::cell::RefCell;
    thread_local! {
        static SPELLED: RefCell<Vec<(Duration, String)>> = const { RefCell::new(Vec::new()) };
    }
    SPELLED.with(|cell| {
        let mut spelled = cell.borrow_mut();
        if let Some((_, text)) = spelled.iter().find(|(k, _)| *k == d) {
            return text.clone();
        }
        let text = d.to_string();
        if spelled.len() >= 32 {
            spelled.remove(0);
        }
        spelled.push((d, text.clone()));
        text
    })
}

/// [`write_instant`] as a string.
pub(crate) fn instant_text(t: &DateTime<FixedOffset>) -> String {
    let mut out = Vec::with_capacity(25);
    write_instant(&mut out, t);
    String::from_utf8(out).unwrap_or_else(|_| t.to_rfc3339())
}

/// Serialises an instant with [`instant_text`].
fn ser_time<S: serde::Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&instant_text(t))
}

/// Serialises an optional instant with [`instant_text`].
fn ser_opt_time<S: serde::Serializer>(
    t: &Option<DateTime<FixedOffset>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&instant_text(t)),
        None => s.serialize_none(),
    }
}

/// The `schema` of an evaluation in JSON output.
pub const SCHEMA: &str = "slaengine.evaluation/v1";

/// What to compute besides the evaluation itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Record a trace a person can follow (`--explain`).
    pub explain: bool,
    /// Compute the category and the metrics only: no allowance and no `findings` hook
    /// (what a watcher needs to follow statuses and deadlines).
    pub metrics_only: bool,
}

/// The contract an evaluation was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractRef {
    /// The contract id.
    pub id: String,
    /// Its content revision.
    pub revision: String,
}

/// The category the ticket was evaluated under, and who decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryRef {
    /// The category id, if there is one.
    pub id: Option<String>,
    /// Its clause of the terms.
    pub clause: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// `ticket` (the ticket's own field), a script (`script:scripts/x.rhai`), or `none`.
    pub decided_by: String,
}

/// The state of one metric at the evaluation instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stopped within its target.
    Met,
    /// More working time than the target has elapsed.
    Breached,
    /// Counting, below `warn_at` of the target.
    Running,
    /// Counting, past `warn_at` of the target.
    AtRisk,
    /// Stopped by a pause.
    Paused,
    /// No target applies, or the clock has not started.
    NotApplicable,
}

impl Status {
    /// The name used in output (`at_risk`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Breached => "breached",
            Status::Running => "running",
            Status::AtRisk => "at_risk",
            Status::Paused => "paused",
            Status::NotApplicable => "not_applicable",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One metric's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResult {
    /// The metric's name (`assign`).
    pub name: String,
    /// The target as written (`1 working hour`), if one applies.
    pub target: Option<String>,
    /// The target in seconds (working seconds for a working-time target).
    pub target_seconds: Option<i64>,
    /// When the clock started.
    #[serde(serialize_with = "ser_opt_time")]
    pub started: Option<DateTime<FixedOffset>>,
    /// When the target runs out, pauses taken into account. While paused: the deadline if
    /// work resumed at the evaluation instant.
    #[serde(serialize_with = "ser_opt_time")]
    pub deadline: Option<DateTime<FixedOffset>>,
    /// When the clock stopped, if it has.
    #[serde(serialize_with = "ser_opt_time")]
    pub stopped: Option<DateTime<FixedOffset>>,
    /// Time counted so far.
    pub elapsed_seconds: i64,
    /// Time not counted because of pauses.
    pub paused_seconds: i64,
    /// Target minus elapsed (negative when overdue).
    pub remaining_seconds: Option<i64>,
    /// The status.
    pub status: Status,
}

/// Hours of an allowance used in the month of the evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AllowanceUsage {
    /// The allowance's name (`small_changes`).
    pub name: String,
    /// The calendar month counted (`2026-03`), in the contract's zone.
    pub month: String,
    /// Hours included this month: the allowance plus hours carried over.
    pub included_hours: f64,
    /// Unused hours of the previous month carried over (at most `carry_over`).
    #[serde(default)]
    pub carried_over_hours: f64,
    /// Hours logged in the month.
    pub used_hours: f64,
    /// Of those, hours logged after the customer's approval (all of them when no
    /// approval is required).
    pub approved_hours: f64,
    /// Hours logged before approval.
    pub unapproved_hours: f64,
    /// Included hours not used yet.
    pub remaining_hours: f64,
    /// Hours beyond the included ones.
    pub over_hours: f64,
    /// What was counted: `ticket` (this ticket's worklogs) or `customer` (all tickets).
    pub basis: String,
}

/// One worklog counted against an allowance, for usage across a customer's tickets.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct UsageEntry {
    /// The ticket it was logged on.
    pub ticket: String,
    /// That ticket's category (which decides the allowance).
    pub category: Option<String>,
    /// When the work was done.
    pub at: DateTime<FixedOffset>,
    /// Hours of work.
    pub hours: f64,
    /// Whether the customer had approved the work before it was logged.
    pub approved: bool,
}

/// Allowance hours of all of a customer's tickets, summed once for an evaluation instant:
/// per allowance, the hours of that month (approved and not) and of the month before.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerUsage {
    month: (i32, u32),
    totals: BTreeMap<String, (f64, f64, f64)>,
}

impl CustomerUsage {
    /// Sums `entries` (the customer's worklogs, e.g. from the store) for the month of
    /// `at` in `contract`'s zone, and the month before; work after `at` is not counted.
    pub fn new(contract: &Contract, entries: &[UsageEntry], at: DateTime<Utc>) -> CustomerUsage {
        let mut counter = CustomerUsage::counter(contract, at);
        for e in entries {
            if let Some(category) = e.category.as_deref() {
                counter.add(category, e.at.to_utc(), e.hours, e.approved);
            }
        }
        counter.finish()
    }

    /// A counter to which worklogs are added one by one (as a store streams them), with
    /// the same result as [`CustomerUsage::new`].
    pub fn counter(contract: &Contract, at: DateTime<Utc>) -> UsageCounter<'_> {
        let local = contract.calendar.to_local(at);
        let month = (local.year(), local.month());
        let previous = month_before(month);
        let next = if month.1 == 12 {
            (month.0 + 1, 1)
        } else {
            (month.0, month.1 + 1)
        };
        // Local midnight of each month's first day, counted as if it were UTC.
        let start = |(y, m): (i32, u32)| {
            NaiveDate::from_ymd_opt(y, m, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(i64::MAX, |t| t.and_utc().timestamp())
        };
        UsageCounter {
            contract,
            at,
            previous,
            bounds: [start(previous), start(month), start(next)],
            last: None,
            usage: CustomerUsage {
                month,
                totals: BTreeMap::new(),
            },
        }
    }

    /// The month's usage of the allowance `name` of `contract`, as in an evaluation
    /// (`basis: customer`); `None` if the contract has no such allowance.
    pub fn summary(&self, contract: &Contract, name: &str) -> Option<AllowanceUsage> {
        let a = contract.allowances.get(name)?;
        let (approved, unapproved, before) = self.totals.get(name).copied().unwrap_or_default();
        let (approved, unapproved) = if a.requires_approval {
            (approved, unapproved)
        } else {
            (approved + unapproved, 0.0)
        };
        let carried = a.carry_over.min((a.hours - before).max(0.0));
        let included = a.hours + carried;
        let used = approved + unapproved;
        Some(AllowanceUsage {
            name: name.to_owned(),
            month: format!("{:04}-{:02}", self.month.0, self.month.1),
            included_hours: included,
            carried_over_hours: carried,
            used_hours: used,
            approved_hours: approved,
            unapproved_hours: unapproved,
            remaining_hours: (included - used).max(0.0),
            over_hours: (used - included).max(0.0),
            basis: "customer".into(),
        })
    }
}

/// Where a worklog's month stands to the evaluation's month.
enum Month {
    This,
    Previous,
    Other,
}

/// The month before `(year, month)`.
fn month_before((y, m): (i32, u32)) -> (i32, u32) {
    if m == 1 { (y - 1, 12) } else { (y, m - 1) }
}

/// Sums worklogs into a [`CustomerUsage`] (see [`CustomerUsage::counter`]).
pub struct UsageCounter<'c> {
    contract: &'c Contract,
    at: DateTime<Utc>,
    previous: (i32, u32),
    /// Local midnight starting the previous, this and the next month, in seconds as if
    /// local time were UTC: an instant further than a day from each is placed in its
    /// month without converting it.
    bounds: [i64; 3],
    usage: CustomerUsage,
    /// The last category looked up and its allowance.
    last: Option<(String, Option<&'c str>)>,
}

impl UsageCounter<'_> {
    /// Counts `hours` of work done at `at` on a ticket of `category` (approved in advance
    /// or not); work after the evaluation instant, or on a category without an
    /// allowance, is not counted.
    pub fn add(&mut self, category: &str, at: DateTime<Utc>, hours: f64, approved: bool) {
        if at > self.at {
            return;
        }
        // Worklogs come grouped by category: look each category up once.
        let name = match &self.last {
            Some((c, name)) if c == category => *name,
            _ => {
                let name = self
                    .contract
                    .category(category)
                    .and_then(|c| c.allowance.as_deref());
                self.last = Some((category.to_owned(), name));
                name
            }
        };
        let Some(name) = name else {
            return;
        };
        let month = self.month_of(at);
        let slot = match self.usage.totals.get_mut(name) {
            Some(slot) => slot,
            None => self.usage.totals.entry(name.to_owned()).or_default(),
        };
        match month {
            Month::This if approved => slot.0 += hours,
            Month::This => slot.1 += hours,
            Month::Previous => slot.2 += hours,
            Month::Other => {}
        }
    }

    /// The month of `at`'s local date, relative to the evaluation's.
    fn month_of(&self, at: DateTime<Utc>) -> Month {
        /// More than any UTC offset a time zone has ever had.
        const DAY: i64 = 24 * 3600;
        let t = at.timestamp();
        let [previous, this, next] = self.bounds;
        if [previous, this, next]
            .iter()
            .all(|b| t.abs_diff(*b) >= DAY as u64)
        {
            return if (this..next).contains(&t) {
                Month::This
            } else if (previous..this).contains(&t) {
                Month::Previous
            } else {
                Month::Other
            };
        }
        let d = self.contract.calendar.to_local(at);
        let m = (d.year(), d.month());
        if m == self.usage.month {
            Month::This
        } else if m == self.previous {
            Month::Previous
        } else {
            Month::Other
        }
    }

    /// The sums.
    pub fn finish(self) -> CustomerUsage {
        self.usage
    }
}

/// The worklogs of a ticket as usage entries (positive hours only).
pub fn usage_entries(ticket: &Ticket) -> Vec<UsageEntry> {
    let approved_at = ticket
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Approved)
        .map(|e| e.at)
        .min();
    ticket
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Worklog)
        .filter_map(|e| {
            let hours = e.hours.filter(|h| h.is_finite() && *h > 0.0)?;
            Some(UsageEntry {
                ticket: ticket.id.clone(),
                category: ticket.category.clone(),
                at: e.at,
                hours,
                approved: approved_at.is_some_and(|a| a <= e.at),
            })
        })
        .collect()
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Probably a problem with the ticket or its handling.
    Warning,
    /// The evaluation could not apply the contract as written.
    Error,
}

/// Something about the ticket that an account manager should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// A stable code (`event_before_registration`).
    pub code: String,
    /// A sentence a person can act on.
    pub message: String,
    /// For a failed script: the error rendered with its file, line, column and snippet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One line of the `--explain` trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// What the line is about: `contract`, `category`, a metric's name, `allowance`.
    pub subject: String,
    /// What happened.
    pub text: String,
}

/// The evaluation of a ticket under a contract at an instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The ticket's id.
    pub ticket: String,
    /// The ticket's customer.
    pub customer: String,
    /// The contract and revision used.
    pub contract: ContractRef,
    /// The category.
    pub category: CategoryRef,
    /// The evaluation instant, in the contract's zone.
    #[serde(serialize_with = "ser_time")]
    pub at: DateTime<FixedOffset>,
    /// One result per metric of the contract, in declaration order.
    pub metrics: Vec<MetricResult>,
    /// The allowance the category counts against, if any.
    pub allowance: Option<AllowanceUsage>,
    /// Findings, most serious first.
    pub findings: Vec<Finding>,
    /// The trace, with [`Options::explain`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<Explanation>>,
}

impl Evaluation {
    /// The most serious status among the metrics, for summaries: breached, at_risk,
    /// running, paused, met, not_applicable.
    pub fn worst_status(&self) -> Status {
        let rank = |s: Status| match s {
            Status::Breached => 5,
            Status::AtRisk => 4,
            Status::Running => 3,
            Status::Paused => 2,
            Status::Met => 1,
            Status::NotApplicable => 0,
        };
        self.metrics
            .iter()
            .map(|m| m.status)
            .max_by_key(|s| rank(*s))
            .unwrap_or(Status::NotApplicable)
    }
}

/// Evaluates `ticket` under `contract` at `at` without a trace.
///
/// ```
/// # use slaengine::{contract, Ticket};
/// # use chrono::{DateTime, Utc};
/// let contract = contract::parse_str("demo", r#"
/// calendar: { timezone: Europe/Moscow, week: { mon-fri: ["09:00-18:00"] } }
/// metrics: { assign: { starts: registered, stops: assigned } }
/// categories: { error: { assign: 1 working hour } }
/// "#).unwrap();
/// let ticket = Ticket::from_str_named(r#"
/// id: T-1
/// customer: demo
/// category: error
/// registered: 2026-03-06T17:30:00+03:00
/// "#, "ticket.yaml").unwrap();
/// let at: DateTime<Utc> = "2026-03-09T09:20:00+03:00".parse().unwrap();
/// let e = slaengine::evaluate(&contract, &ticket, at);
/// assert_eq!(e.metrics[0].deadline.unwrap().to_rfc3339(), "2026-03-09T09:30:00+03:00");
/// assert_eq!(e.metrics[0].status.as_str(), "at_risk");
/// ```
pub fn evaluate(contract: &Contract, ticket: &Ticket, at: DateTime<Utc>) -> Evaluation {
    evaluate_with(contract, ticket, at, &Options::default())
}

/// Evaluates `ticket` under `contract` at `at`, with options (e.g. a trace).
pub fn evaluate_with(
    contract: &Contract,
    ticket: &Ticket,
    at: DateTime<Utc>,
    options: &Options,
) -> Evaluation {
    evaluate_in(contract, ticket, at, options, None)
}

/// Evaluates `ticket` with the allowance usage of all the customer's tickets (`usage`,
/// summed by [`CustomerUsage::new`] for the same `at`); without it, only the ticket's own
/// worklogs count.
pub fn evaluate_in(
    contract: &Contract,
    ticket: &Ticket,
    at: DateTime<Utc>,
    options: &Options,
    usage: Option<&CustomerUsage>,
) -> Evaluation {
    let mut ev = Evaluator::new(contract, ticket, at, options);
    ev.usage = usage;
    ev.run();
    ev.finish()
}

/// Counts time on a contract's calendar (working time) or in real time.
#[derive(Clone, Copy)]
enum Clock<'a> {
    Working(&'a Calendar),
    Real,
}

impl Clock<'_> {
    fn count(self, a: DateTime<Utc>, b: DateTime<Utc>, trace: Option<&mut Vec<Step>>) -> i64 {
        match (self, trace) {
            (Clock::Working(c), None) => c.elapsed(a, b),
            (Clock::Working(c), Some(t)) => c.elapsed_traced(a, b, t),
            (Clock::Real, _) => (b - a).num_seconds().max(0),
        }
    }

    fn due(
        self,
        a: DateTime<Utc>,
        secs: i64,
        trace: Option<&mut Vec<Step>>,
    ) -> Option<DateTime<Utc>> {
        match (self, trace) {
            (Clock::Working(c), None) => c.due(a, secs),
            (Clock::Working(c), Some(t)) => c.due_traced(a, secs, t),
            (Clock::Real, _) => a.checked_add_signed(TimeDelta::try_seconds(secs.max(0))?),
        }
    }
}

/// Where a metric's clock stands after replaying the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Running,
    Paused,
    Stopped,
}

/// The intervals in which a metric's clock ran and was paused.
struct Replay {
    started: Option<DateTime<Utc>>,
    /// Counting intervals; the last may be open (`None`: still counting).
    active: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    stopped: Option<DateTime<Utc>>,
    state: State,
}

/// Replays `events` (sorted, none after the evaluation instant) through a metric's clock.
fn replay(metric: &Metric, registered: DateTime<Utc>, events: &[&Event]) -> Replay {
    let mut r = Replay {
        started: None,
        active: Vec::new(),
        pauses: Vec::new(),
        stopped: None,
        state: State::NotStarted,
    };
    if metric.starts == "registered" {
        r.started = Some(registered);
        r.active.push((registered, None));
        r.state = State::Running;
    }
    let restarts_on_reopen = metric.stops == EventKind::Resolved.as_str();
    for e in events {
        let t = e.at.to_utc();
        let kind = e.kind.as_str();
        match r.state {
            State::NotStarted if kind == metric.starts => {
                r.started = Some(t);
                r.active.push((t, None));
                r.state = State::Running;
            }
            State::Running if kind == metric.stops => {
                close(&mut r.active, t);
                r.stopped = Some(t);
                r.state = State::Stopped;
            }
            State::Running if metric.pausable && e.kind == EventKind::Paused => {
                close(&mut r.active, t);
                r.pauses.push((t, None));
                r.state = State::Paused;
            }
            State::Paused if kind == metric.stops => {
                close(&mut r.pauses, t);
                r.stopped = Some(t);
                r.state = State::Stopped;
            }
            State::Paused if e.kind == EventKind::Resumed => {
                close(&mut r.pauses, t);
                r.active.push((t, None));
                r.state = State::Running;
            }
            State::Stopped if restarts_on_reopen && e.kind == EventKind::Reopened => {
                r.stopped = None;
                r.active.push((t, None));
                r.state = State::Running;
            }
            _ => {}
        }
    }
    r
}

fn close(intervals: &mut [(DateTime<Utc>, Option<DateTime<Utc>>)], t: DateTime<Utc>) {
    if let Some(last) = intervals.last_mut() {
        last.1 = Some(t);
    }
}

/// `3h 20m`, `45m`, `2h`, `30s`: a span of working time for people.
pub fn format_seconds(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (h, m, rest) = (s / 3600, s % 3600 / 60, s % 60);
    let body = match (h, m, rest) {
        (0, 0, r) if r > 0 => format!("{r}s"),
        (0, m, _) => format!("{m}m"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    };
    format!("{sign}{body}")
}

struct Evaluator<'a> {
    metrics_only: bool,
    contract: &'a Contract,
    ticket: &'a Ticket,
    at: DateTime<Utc>,
    tz: chrono_tz::Tz,
    events: Vec<&'a Event>,
    category: Option<&'a Category>,
    decided_by: String,
    metrics: Vec<MetricResult>,
    allowance: Option<AllowanceUsage>,
    findings: Vec<Finding>,
    explain: Option<Vec<Explanation>>,
    /// Closed dates already listed for the current metric.
    explained_dates: Vec<NaiveDate>,
    /// The target of each metric (in the contract's order) after the contract and the
    /// `targets` hooks.
    targets: Vec<Option<Duration>>,
    /// The ticket as hooks get it (its script value built when a script first runs).
    ticket_arg: crate::script::TicketArg<'a>,
    /// A hook failed: later hooks are not run.
    script_failed: bool,
    /// The buffer of the last hook call's results, for the next call.
    spare_results: Vec<HookResult<'a>>,
    /// The customer's allowance hours, when known.
    usage: Option<&'a CustomerUsage>,
}

impl<'a> Evaluator<'a> {
    fn new(
        contract: &'a Contract,
        ticket: &'a Ticket,
        at: DateTime<Utc>,
        options: &Options,
    ) -> Self {
        Evaluator {
            metrics_only: options.metrics_only,
            contract,
            ticket,
            at,
            tz: contract.calendar.timezone(),
            events: Vec::new(),
            category: None,
            decided_by: "none".into(),
            metrics: Vec::with_capacity(contract.metrics.len()),
            allowance: None,
            findings: Vec::new(),
            explain: options.explain.then(Vec::new),
            explained_dates: Vec::new(),
            targets: Vec::with_capacity(contract.metrics.len()),
            ticket_arg: crate::script::TicketArg::new(ticket),
            script_failed: false,
            spare_results: Vec::new(),
            usage: None,
        }
    }

    fn local(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        self.contract.calendar.to_local(t)
    }

    /// `Fri 2026-03-06 16:40` in the contract's zone.
    fn show(&self, t: DateTime<Utc>) -> String {
        show_local(&self.local(t))
    }

    fn find(&mut self, severity: Severity, code: &str, message: String) {
        self.findings.push(Finding {
            severity,
            code: code.to_owned(),
            message,
            detail: None,
        });
    }

    fn note(&mut self, subject: &str, text: impl FnOnce(&Self) -> String) {
        if self.explain.is_some() {
            let text = text(self);
            if let Some(lines) = &mut self.explain {
                lines.push(Explanation {
                    subject: subject.to_owned(),
                    text,
                });
            }
        }
    }

    fn run(&mut self) {
        let c = self.contract;
        self.note("contract", |_| {
            format!("{} built from {}", c.id, c.sources.join(", "))
        });
        self.check_events();
        self.check_scope();
        self.decide_category();
        if self.ticket.registered.to_utc() > self.at {
            self.find(
                Severity::Warning,
                "not_yet_registered",
                format!(
                    "the ticket is registered at {}, after the evaluation instant",
                    self.show(self.ticket.registered.to_utc())
                ),
            );
        }
        self.compute_targets();
        for (i, metric) in c.metrics.iter().enumerate() {
            let result = self.metric(i, metric);
            self.metrics.push(result);
        }
        if !self.metrics_only {
            self.allowance();
            self.script_findings();
        }
    }

    fn finish(mut self) -> Evaluation {
        self.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let category = self.category;
        let at = self.local(self.at);
        if let Some(lines) = &mut self.explain {
            // Group the trace by subject: the contract, the category, each metric in
            // order, then everything else in the order it happened.
            let metrics: Vec<&str> = self
                .contract
                .metrics
                .iter()
                .map(|m| m.name.as_str())
                .collect();
            let rank = |subject: &str| match subject {
                "contract" => 0,
                "category" => 1,
                s => metrics
                    .iter()
                    .position(|m| *m == s)
                    .map_or(usize::MAX, |i| i + 2),
            };
            lines.sort_by_key(|l| rank(&l.subject));
        }
        Evaluation {
            schema: SCHEMA,
            ticket: self.ticket.id.clone(),
            customer: self.ticket.customer.clone(),
            contract: ContractRef {
                id: self.contract.id.clone(),
                revision: self.contract.revision.clone(),
            },
            category: CategoryRef {
                id: category
                    .map(|c| c.id.clone())
                    .or_else(|| self.ticket.category.clone()),
                clause: category.and_then(|c| c.clause.clone()),
                title: category.and_then(|c| c.title.clone()),
                decided_by: self.decided_by,
            },
            at,
            metrics: self.metrics,
            allowance: self.allowance,
            findings: self.findings,
            explain: self.explain,
        }
    }

    /// Sorts the events up to the evaluation instant and reports history that makes no
    /// sense: out of order, before registration, after resolution without a reopen,
    /// worklogs without positive hours.
    fn check_events(&mut self) {
        let ticket = self.ticket;
        let registered = ticket.registered;
        let mut events: Vec<&Event> = ticket
            .events
            .iter()
            .filter(|e| e.at.to_utc() <= self.at)
            .collect();
        if events.windows(2).any(|w| w[1].at < w[0].at) {
            self.find(
                Severity::Warning,
                "events_out_of_order",
                "the events are not in chronological order; they were evaluated in time order"
                    .into(),
            );
            events.sort_by_key(|e| e.at);
        }
        let mut resolved_at: Option<DateTime<FixedOffset>> = None;
        for e in &events {
            if e.at < registered {
                self.find(
                    Severity::Error,
                    "event_before_registration",
                    format!(
                        "the `{}` event at {} is before the ticket was registered ({})",
                        e.kind,
                        self.show(e.at.to_utc()),
                        self.show(registered.to_utc())
                    ),
                );
            }
            match e.kind {
                EventKind::Resolved if resolved_at.is_none() => resolved_at = Some(e.at),
                EventKind::Reopened => {
                    if resolved_at.is_none() {
                        self.find(
                            Severity::Warning,
                            "reopened_while_open",
                            format!(
                                "the ticket is reopened at {} but was not resolved",
                                self.show(e.at.to_utc())
                            ),
                        );
                    }
                    resolved_at = None;
                }
                EventKind::Worklog | EventKind::Comment | EventKind::Approved => {}
                kind => {
                    if let Some(r) = resolved_at {
                        self.find(
                            Severity::Warning,
                            "event_after_resolution",
                            format!(
                                "the `{kind}` event at {} comes after the ticket was resolved at {} without a reopen",
                                self.show(e.at.to_utc()),
                                self.show(r.to_utc())
                            ),
                        );
                    }
                }
            }
            if e.kind == EventKind::Worklog && !e.hours.is_some_and(|h| h.is_finite() && h > 0.0) {
                self.find(
                    Severity::Error,
                    "bad_worklog",
                    format!(
                        "the worklog at {} needs `hours` greater than 0, found {}",
                        self.show(e.at.to_utc()),
                        e.hours.map_or("none".to_owned(), |h| h.to_string())
                    ),
                );
            }
        }
        self.events = events;
    }

    /// The contract's validity and products.
    fn check_scope(&mut self) {
        let c = self.contract;
        let date = self.local(self.ticket.registered.to_utc()).date_naive();
        let before = c.valid.from.is_some_and(|f| date < f);
        let after = c.valid.to.is_some_and(|t| date > t);
        if before || after {
            let show = |d: Option<NaiveDate>| d.map_or("…".to_owned(), |d| d.to_string());
            self.find(
                Severity::Warning,
                "outside_validity",
                format!(
                    "the ticket was registered on {date}, outside the contract's validity ({} to {})",
                    show(c.valid.from),
                    show(c.valid.to)
                ),
            );
        }
        if c.products.is_empty() {
            return;
        }
        match &self.ticket.product {
            Some(p) if !c.products.contains(p) => self.find(
                Severity::Warning,
                "product_not_covered",
                format!(
                    "the product `{p}` is not covered by contract {}: it covers {}",
                    c.id,
                    c.products.join(", ")
                ),
            ),
            None => self.find(
                Severity::Info,
                "no_product",
                format!(
                    "the ticket names no product; contract {} covers {}",
                    c.id,
                    c.products.join(", ")
                ),
            ),
            _ => {}
        }
    }

    fn decide_category(&mut self) {
        let c = self.contract;
        if let Some(id) = self.classify()
            && let Some(cat) = c.category(&id)
        {
            self.category = Some(cat);
            return;
        }
        match self.ticket.category.as_deref() {
            None => {
                self.find(
                    Severity::Error,
                    "no_category",
                    "the ticket has no category; only the contract's defaults apply".into(),
                );
                self.note("category", |_| "none: the ticket has no category".into());
            }
            Some(id) => match c.category(id) {
                Some(cat) => {
                    self.category = Some(cat);
                    self.decided_by = "ticket".into();
                    self.note("category", |_| {
                        format!(
                            "{id}{}: the ticket's own category",
                            cat.clause
                                .as_deref()
                                .map(|cl| format!(" (clause {cl})"))
                                .unwrap_or_default()
                        )
                    });
                }
                None => {
                    let known: Vec<&str> = c.categories.keys().map(String::as_str).collect();
                    self.find(
                        Severity::Error,
                        "unknown_category",
                        format!(
                            "the category `{id}` is not in contract {}: expected one of {}; only the contract's defaults apply",
                            c.id,
                            known.join(", ")
                        ),
                    );
                    self.note("category", |_| format!("`{id}` is unknown to the contract"));
                }
            },
        }
    }

    /// The target that applies to `metric`: the category's, else the contract's default;
    /// `None` when none applies (with the reason in the trace).
    fn target(&mut self, metric: &str) -> Option<Duration> {
        let c = self.contract;
        let target = match self.category {
            Some(cat) => cat.targets.get(metric),
            None => c.defaults.get(metric),
        };
        let Some(target) = target else {
            self.note(metric, |_| "no target for this category".into());
            return None;
        };
        let Some(duration) = target.duration else {
            self.note(metric, |_| {
                format!("no target: removed at {}", target.origin)
            });
            return None;
        };
        if let Some(field) = &target.when
            && !self.ticket.flag(field)
        {
            self.note(metric, |_| {
                    format!(
                        "no target: {duration} (set at {}) applies only when `fields.{field}` is true, and it is not",
                        target.origin
                    )
                });
            return None;
        }
        self.note(metric, |_| {
            let cond = target
                .when
                .as_deref()
                .map(|f| format!(", because `fields.{f}` is true"))
                .unwrap_or_default();
            format!("target {duration}, set at {}{cond}", target.origin)
        });
        Some(duration)
    }

    fn metric(&mut self, index: usize, metric: &Metric) -> MetricResult {
        let name = metric.name.as_str();
        self.explained_dates.clear();
        let registered = self.ticket.registered.to_utc();
        let duration: Option<Duration> = self.targets.get(index).copied().flatten();
        let mut result = MetricResult {
            name: metric.name.clone(),
            target: None,
            target_seconds: None,
            started: None,
            deadline: None,
            stopped: None,
            elapsed_seconds: 0,
            paused_seconds: 0,
            remaining_seconds: None,
            status: Status::NotApplicable,
        };
        if registered > self.at {
            return result;
        }
        let r = replay(metric, registered, &self.events);
        let Some(started) = r.started else {
            self.note(name, |_| {
                format!("not started: no `{}` event yet", metric.starts)
            });
            return result;
        };
        let clock = match duration.map(|d| d.kind) {
            Some(DurationKind::Calendar) => Clock::Real,
            _ => Clock::Working(&self.contract.calendar),
        };
        result.started = Some(self.local(started));
        result.stopped = r.stopped.map(|t| self.local(t));
        let now = self.at;
        let end = move |b: Option<DateTime<Utc>>| b.unwrap_or(now);
        // Each counting interval's working time, kept for the deadline.
        let counted: Vec<i64> = r
            .active
            .iter()
            .map(|&(a, b)| clock.count(a, end(b), None))
            .collect();
        result.elapsed_seconds = counted.iter().sum();
        result.paused_seconds = r
            .pauses
            .iter()
            .map(|&(a, b)| clock.count(a, end(b), None))
            .sum();
        self.note(name, |s| {
            let how = if metric.starts == "registered" {
                "registration".to_owned()
            } else {
                format!("`{}`", metric.starts)
            };
            format!("started {} ({how})", s.show(started))
        });
        for &(a, b) in &r.pauses {
            self.note(name, |s| {
                format!(
                    "paused {} → {}: {} not counted",
                    s.show(a),
                    b.map_or("now".to_owned(), |b| s.show(b)),
                    format_seconds(clock.count(a, end(b), None))
                )
            });
        }
        if let Some(t) = r.stopped {
            self.note(name, |s| {
                format!("stopped {} (`{}`)", s.show(t), metric.stops)
            });
        }

        let Some(duration) = duration else {
            return result;
        };
        let Some(target_secs) = duration.working_seconds(self.contract.calendar.day_length())
        else {
            return result;
        };
        result.target = Some(duration_text(duration));
        result.target_seconds = Some(target_secs);
        if self.explain.is_some() && r.state == State::Stopped {
            // Show the time that actually counted; the deadline walk is not traced.
            let mut steps = Vec::new();
            for &(a, b) in &r.active {
                clock.count(a, end(b), Some(&mut steps));
            }
            self.trace_steps(name, &steps);
        }
        let traced = r.state != State::Stopped;
        result.deadline = self
            .deadline(name, clock, &r, &counted, target_secs, traced)
            .map(|t| self.local(t));
        let remaining = target_secs - result.elapsed_seconds;
        result.remaining_seconds = Some(remaining);
        result.status = if result.elapsed_seconds > target_secs {
            Status::Breached
        } else {
            match r.state {
                State::Stopped => Status::Met,
                State::Paused => Status::Paused,
                _ if (result.elapsed_seconds as f64)
                    >= self.contract.warn_at * target_secs as f64 =>
                {
                    Status::AtRisk
                }
                _ => Status::Running,
            }
        };
        self.note(name, |_| {
            let left = if remaining >= 0 {
                format!("{} left", format_seconds(remaining))
            } else {
                format!("{} over", format_seconds(-remaining))
            };
            format!(
                "{} counted of {}, {left}: {}",
                format_seconds(result.elapsed_seconds),
                format_seconds(target_secs),
                result.status
            )
        });
        result
    }

    /// When the clock reaches `target` seconds: walks the counting intervals (`counted`
    /// holds each one's working time); if they run out first, continues from the stop
    /// (or from now, while paused).
    fn deadline(
        &mut self,
        name: &str,
        clock: Clock<'_>,
        r: &Replay,
        counted: &[i64],
        target: i64,
        traced: bool,
    ) -> Option<DateTime<Utc>> {
        let mut remaining = target;
        let mut trace = self.explain.as_ref().filter(|_| traced).map(|_| Vec::new());
        let mut from = None;
        let mut result = None;
        for (&(a, b), &known) in r.active.iter().zip(counted) {
            match b {
                Some(b) => {
                    // Counted again only to trace it.
                    let here = match trace.as_mut() {
                        Some(t) => clock.count(a, b, Some(t)),
                        None => known,
                    };
                    if here >= remaining {
                        if let Some(t) = trace.as_mut() {
                            t.clear();
                        }
                        result = clock.due(a, remaining, trace.as_mut());
                        break;
                    }
                    remaining -= here;
                    from = Some(b);
                }
                None => {
                    result = clock.due(a, remaining, trace.as_mut());
                    from = None;
                    break;
                }
            }
        }
        if result.is_none() && r.state != State::Running {
            let resume = if r.state == State::Paused {
                self.at
            } else {
                from.unwrap_or(self.at)
            };
            result = clock.due(resume, remaining, trace.as_mut());
        }
        if let Some(steps) = trace {
            self.trace_steps(name, &steps);
        }
        match result {
            Some(t) => self.note(name, |s| format!("deadline {}", s.show(t))),
            None => self.note(name, |_| {
                "no deadline: the calendar never opens again".into()
            }),
        }
        result
    }

    /// Renders calendar steps compactly: counted intervals, and runs of closed dates.
    fn trace_steps(&mut self, name: &str, steps: &[Step]) {
        let mut closed: Vec<(NaiveDate, ClosedReason)> = Vec::new();
        let flush = |s: &mut Self, closed: &mut Vec<(NaiveDate, ClosedReason)>| {
            if closed.is_empty() {
                return;
            }
            let list: Vec<String> = closed
                .iter()
                .map(|(d, r)| {
                    let why = match r {
                        ClosedReason::Holiday => "holiday",
                        ClosedReason::Weekend => "weekend",
                        ClosedReason::Exception => "closed by exception",
                    };
                    format!("{} {} ({why})", d.weekday(), d.format("%Y-%m-%d"))
                })
                .collect();
            s.note(name, |_| format!("skipped {}", list.join(", ")));
            closed.clear();
        };
        // Merge counted intervals that touch, and list each closed date once.
        let mut merged: Vec<Step> = Vec::with_capacity(steps.len());
        for step in steps {
            if let Step::Counted { from, to: next } = step
                && let Some(Step::Counted { to, .. }) = merged.last_mut()
                && to == from
            {
                *to = *next;
                continue;
            }
            merged.push(step.clone());
        }
        for step in &merged {
            if let Step::Closed { date, .. } = step {
                if self.explained_dates.contains(date) {
                    continue;
                }
                self.explained_dates.push(*date);
            }
            match *step {
                Step::Counted { from, to } => {
                    flush(self, &mut closed);
                    self.note(name, |s| {
                        format!(
                            "counted {}–{} ({})",
                            s.show(from),
                            to.with_timezone(&s.tz).format("%H:%M"),
                            format_seconds((to - from).num_seconds())
                        )
                    });
                }
                Step::Closed { date, reason } => closed.push((date, reason)),
            }
        }
        flush(self, &mut closed);
    }

    /// The ticket's own hours against its category's allowance, in the month of the
    /// evaluation instant (the contract's zone).
    fn allowance(&mut self) {
        let c = self.contract;
        let Some(name) = self.category.and_then(|cat| cat.allowance.as_deref()) else {
            return;
        };
        let Some(a) = c.allowances.get(name) else {
            return;
        };
        let tz = self.tz;
        let month_of = |t: DateTime<FixedOffset>| {
            let d = t.with_timezone(&tz);
            (d.year(), d.month())
        };
        let local = self.at.with_timezone(&self.tz);
        let month = (local.year(), local.month());
        let previous = month_before(month);
        // The work counted: all of the customer's when the caller (the store) supplies
        // it, otherwise this ticket's own worklogs.
        let (approved, unapproved, before) = match self.usage {
            Some(u) if u.month == month => u.totals.get(name).copied().unwrap_or_default(),
            _ => {
                let (mut approved, mut unapproved, mut before) = (0.0, 0.0, 0.0);
                for e in usage_entries(self.ticket)
                    .iter()
                    .filter(|e| e.at.to_utc() <= self.at)
                {
                    let m = month_of(e.at);
                    if m == previous {
                        before += e.hours;
                    } else if m == month && (!a.requires_approval || e.approved) {
                        approved += e.hours;
                    } else if m == month {
                        unapproved += e.hours;
                    }
                }
                (approved, unapproved, before)
            }
        };
        let (approved, unapproved) = if a.requires_approval {
            (approved, unapproved)
        } else {
            (approved + unapproved, 0.0)
        };
        let basis = if self.usage.is_some() {
            "customer"
        } else {
            "ticket"
        };
        let carried = if self.usage.is_some() {
            a.carry_over.min((a.hours - before).max(0.0))
        } else {
            0.0
        };
        let included = a.hours + carried;
        let used = approved + unapproved;
        let own_unapproved: f64 = usage_entries(self.ticket)
            .iter()
            .filter(|e| e.at.to_utc() <= self.at && month_of(e.at) == month && !e.approved)
            .map(|e| e.hours)
            .sum();
        if a.requires_approval && own_unapproved > 0.0 {
            self.find(
                Severity::Warning,
                "work_before_approval",
                format!("{own_unapproved} h of `{name}` work on this ticket were logged before the customer approved it"),
            );
        }
        if used > included {
            let whose = if basis == "ticket" {
                "this ticket alone"
            } else {
                "the customer's tickets"
            };
            self.find(
                Severity::Warning,
                "allowance_exceeded",
                format!(
                    "{whose} used {used} h of the {included} h of `{name}` included in {:04}-{:02}",
                    month.0, month.1
                ),
            );
        }
        let usage = AllowanceUsage {
            name: name.to_owned(),
            month: format!("{:04}-{:02}", month.0, month.1),
            included_hours: included,
            carried_over_hours: carried,
            used_hours: used,
            approved_hours: approved,
            unapproved_hours: unapproved,
            remaining_hours: (included - used).max(0.0),
            over_hours: (used - included).max(0.0),
            basis: basis.into(),
        };
        self.note("allowance", |_| {
            let whose = if basis == "ticket" { "on this ticket" } else { "on all the customer's tickets" };
            format!(
                "{name}: {used} h logged {whose} in {} of {included} h included ({carried} h carried over; {approved} h approved, {unapproved} h before approval)",
                usage.month
            )
        });
        let usage = self.allowance_hook(usage);
        self.allowance = Some(usage);
    }
}

/// `Fri 2026-03-06 16:40`: a local instant as messages show it. Written by hand, as
/// messages name instants for many tickets of a bulk run.
fn show_local(l: &DateTime<FixedOffset>) -> String {
    use chrono::Timelike;
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let day = DAYS[l.weekday().num_days_from_monday() as usize];
    let year = l.year();
    if !(0..=9999).contains(&year) {
        return format!(
            "{day} {year:04}-{:02}-{:02} {:02}:{:02}",
            l.month(),
            l.day(),
            l.hour(),
            l.minute()
        );
    }
    let mut text = String::with_capacity(20);
    text.push_str(day);
    text.push(' ');
    let digits = |text: &mut String, v: u32, n: u32| {
        for i in (0..n).rev() {
            text.push(char::from(b'0' + (v / 10_u32.pow(i) % 10) as u8));
        }
    };
    digits(&mut text, year.unsigned_abs(), 4);
    text.push('-');
    digits(&mut text, l.month(), 2);
    text.push('-');
    digits(&mut text, l.day(), 2);
    text.push(' ');
    digits(&mut text, l.hour(), 2);
    text.push(':');
    digits(&mut text, l.minute(), 2);
    text
}

/// The scripting side of the evaluation: the four hooks and how their results are checked.
impl<'a> Evaluator<'a> {
    fn display(&self) -> impl Fn(&str) -> String + '_ {
        move |p: &str| self.contract.script_display(p)
    }

    /// Records a failed hook: an error finding, and no more hooks for this ticket.
    fn script_failed(&mut self, e: ScriptError) {
        self.script_failed = true;
        self.note("script", |_| e.error.render());
        self.find(Severity::Error, "script_failed", e.error.to_string());
        if let Some(f) = self.findings.last_mut() {
            f.detail = Some(e.error.render());
        }
    }

    fn log_lines(&mut self, hook: &str, r: &HookResult<'_>) {
        for line in &r.log {
            let subject = format!("{} ({hook})", r.script);
            self.note(&subject, |_| format!("log: {line}"));
        }
    }

    /// Runs `hook` with the ticket and `second` (see [`ScriptSet::call`]). Returns the
    /// results, or records the failure.
    fn run_hook(&mut self, hook: &str, second: Option<&rhai::Dynamic>) -> Vec<HookResult<'a>> {
        let contract: &'a Contract = self.contract;
        let Some(set) = contract.script_set.as_deref() else {
            return Vec::new();
        };
        if !self.wants(hook) {
            return Vec::new();
        }
        let mut results = std::mem::take(&mut self.spare_results);
        results.clear();
        let outcome = set.call_marked(hook, &self.ticket_arg, second, &mut results, self.display());
        for r in &results {
            self.log_lines(hook, r);
        }
        if let Err(e) = outcome {
            self.script_failed(*e);
            return Vec::new();
        }
        results
    }

    fn bad_return(&mut self, script: &str, hook: &str, what: String) {
        if let Some(set) = self.contract.script_set.as_deref() {
            let e = set.bad_return(script, hook, what, self.display());
            self.script_failed(e);
        }
    }

    /// `classify(ticket)`: the last script that returns a category decides it.
    /// Whether a hook should run: a script defines it and no hook failed before.
    fn wants(&self, hook: &str) -> bool {
        !self.script_failed
            && self
                .contract
                .script_set
                .as_ref()
                .is_some_and(|s| s.has(hook))
    }

    fn classify(&mut self) -> Option<String> {
        if !self.wants("classify") {
            return None;
        }
        let mut results = self.run_hook("classify", None);
        let mut decided = None;
        for r in results.drain(..) {
            if r.value.is_unit() {
                continue;
            }
            let Ok(id) = r.value.clone().into_string() else {
                self.bad_return(
                    r.script,
                    "classify",
                    format!(
                        "`{}` ({}): expected a category id as a string, or `()`",
                        r.value,
                        r.value.type_name()
                    ),
                );
                return None;
            };
            if self.contract.category(&id).is_none() {
                let known: Vec<&str> = self
                    .contract
                    .categories
                    .keys()
                    .map(String::as_str)
                    .collect();
                self.bad_return(
                    r.script,
                    "classify",
                    format!(
                        "the category `{id}`, which contract {} does not have: expected one of {}",
                        self.contract.id,
                        known.join(", ")
                    ),
                );
                return None;
            }
            let by = format!("script:{}", r.script);
            self.note("category", |_| {
                format!("{id}: decided by {} (classify)", r.script)
            });
            self.decided_by = by;
            decided = Some(id);
        }
        self.spare_results = results;
        decided
    }

    /// The targets of every metric: the contract's (with `when:` rules), then the
    /// `targets(ticket, targets)` hooks, each changing the previous one's map.
    fn compute_targets(&mut self) {
        let c = self.contract;
        let metrics = &c.metrics;
        for m in metrics {
            let t = self.target(&m.name);
            self.targets.push(t);
        }
        let Some(set) = self.contract.script_set.as_deref() else {
            return;
        };
        if !set.has("targets") {
            return;
        }
        let day = self.contract.calendar.day_length();
        // Exactly what the contract says, so that a hook giving the map back changes
        // nothing (the memo keeps such a result as a mark): a working time too long to
        // count in seconds goes as its text, like calendar time.
        let to_dyn = |d: &Option<Duration>| -> rhai::Dynamic {
            match d {
                None => rhai::Dynamic::UNIT,
                Some(d) if d.kind == DurationKind::Working => d
                    .working_seconds(day)
                    .map_or_else(|| d.to_string().into(), rhai::Dynamic::from),
                Some(d) => d.to_string().into(),
            }
        };
        // Inserted one by one: `collect` sorts through a temporary vector, which costs
        // more than the two or three entries a contract has. (For the same reason the
        // map becomes a value with `from_map`: rhai's `From<BTreeMap>` collects again.)
        let mut initial = rhai::Map::new();
        for (m, v) in metrics.iter().zip(&self.targets) {
            initial.insert(m.name.as_str().into(), to_dyn(v));
        }
        let mut results = self.run_hook("targets", Some(&rhai::Dynamic::from_map(initial)));
        for r in results.drain(..) {
            // Given back as it came: the targets it would set are already set.
            if r.unchanged {
                continue;
            }
            let map = match r.value.try_cast_result::<rhai::Map>() {
                Ok(map) => map,
                Err(value) => {
                    self.bad_return(
                        r.script,
                        "targets",
                        format!(
                            "`{value}` ({}): expected the targets map",
                            value.type_name()
                        ),
                    );
                    return;
                }
            };
            for (key, value) in map {
                let metric = key.as_str();
                let Some(index) = metrics.iter().position(|m| m.name == metric) else {
                    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
                    self.bad_return(r.script, "targets", format!("a target for `{metric}`, which is not a metric of contract {}: expected {}", self.contract.id, names.join(", ")));
                    return;
                };
                let new = if value.is_unit() {
                    None
                } else if let Ok(secs) = value.as_int() {
                    Some(Duration::working(secs.max(0)))
                } else if let Ok(f) = value.as_float() {
                    Some(Duration::working(f.round().max(0.0) as i64))
                } else if let Some(text) = value.clone().try_cast::<rhai::ImmutableString>() {
                    match text.parse::<Duration>() {
                        Ok(d) => Some(d),
                        Err(e) => {
                            self.bad_return(
                                r.script,
                                "targets",
                                format!("`{text}` for `{metric}`: {}", e.message),
                            );
                            return;
                        }
                    }
                } else {
                    self.bad_return(r.script, "targets", format!("`{value}` ({}) for `{metric}`: expected working seconds, a duration like `4h`, or `()`", value.type_name()));
                    return;
                };
                let old = self.targets[index];
                // The same time, given back in seconds, keeps the contract's spelling.
                let same = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
                    (Some(a), Some(b)) => {
                        a.kind == b.kind && a.working_seconds(day) == b.working_seconds(day)
                    }
                    (a, b) => a == b,
                };
                if !same(old, new) {
                    let show =
                        |d: Option<Duration>| d.map_or("no target".to_owned(), |d| d.to_string());
                    self.note(metric, |_| {
                        format!(
                            "target changed by {} (targets): {} → {}",
                            r.script,
                            show(old),
                            show(new)
                        )
                    });
                    self.targets[index] = new;
                }
            }
        }
        self.spare_results = results;
    }

    /// The evaluation so far as scripts see it (see [`crate::script::EvaluationView`]):
    /// the metrics, allowance and findings move into it, and back with
    /// [`Evaluator::restore`].
    fn evaluation_for_script(&mut self) -> crate::script::EvaluationView {
        crate::script::EvaluationView::new(
            self.category.map(|c| c.id.clone()),
            std::mem::take(&mut self.metrics),
            self.allowance.take(),
            std::mem::take(&mut self.findings),
        )
    }

    /// Takes back what [`Evaluator::evaluation_for_script`] lent the scripts; findings
    /// made meanwhile (a failed hook) come after the earlier ones.
    fn restore(&mut self, view: crate::script::EvaluationView) {
        let added = std::mem::take(&mut self.findings);
        (self.metrics, self.allowance, self.findings) = view.into_parts();
        self.findings.extend(added);
    }

    /// `findings(ticket, evaluation)`: extra findings from the scripts.
    fn script_findings(&mut self) {
        let Some(set) = self.contract.script_set.as_deref() else {
            return;
        };
        if !set.has("findings") || self.script_failed {
            return;
        }
        // Lent to the scripts (a shared handle) and taken back once they are done.
        let view = self.evaluation_for_script();
        let arg = rhai::Dynamic::from(view.clone());
        let mut results = self.run_hook("findings", Some(&arg));
        drop(arg);
        self.restore(view);
        for r in results.drain(..) {
            if r.value.is_unit() {
                continue;
            }
            let items = match r.value.try_cast_result::<rhai::Array>() {
                Ok(items) => items,
                Err(value) => {
                    self.bad_return(r.script, "findings", format!("`{value}` ({}): expected an array of findings like [#{{ code: \"...\", message: \"...\" }}]", value.type_name()));
                    return;
                }
            };
            for item in items {
                let map = match item.try_cast_result::<rhai::Map>() {
                    Ok(map) => map,
                    Err(item) => {
                        self.bad_return(r.script, "findings", format!("the finding `{item}`: expected a map like #{{ code: \"...\", message: \"...\" }}"));
                        return;
                    }
                };
                let text = |k: &str| map.get(k).and_then(|v| v.clone().into_string().ok());
                let Some(code) = text("code").filter(|c| !c.is_empty()) else {
                    self.bad_return(
                        r.script,
                        "findings",
                        format!(
                            "a finding without a `code`: {}",
                            rhai::Dynamic::from_map(map.clone())
                        ),
                    );
                    return;
                };
                let severity = match text("severity").as_deref() {
                    None | Some("warning") => Severity::Warning,
                    Some("error") => Severity::Error,
                    Some("info") => Severity::Info,
                    Some(other) => {
                        self.bad_return(
                            r.script,
                            "findings",
                            format!(
                                "the severity `{other}`: expected `info`, `warning` or `error`"
                            ),
                        );
                        return;
                    }
                };
                let message = text("message").unwrap_or_else(|| code.clone());
                self.note("findings", |_| {
                    format!("{code} from {} (findings)", r.script)
                });
                self.find(severity, &code, message);
            }
        }
        self.spare_results = results;
    }

    /// `allowance(ticket, usage)`: the scripts may change the usage (carry-over rules).
    fn allowance_hook(&mut self, usage: AllowanceUsage) -> AllowanceUsage {
        if !self.wants("allowance") {
            return usage;
        }
        let Ok(initial) = rhai::serde::to_dynamic(&usage) else {
            return usage;
        };
        let results = self.run_hook("allowance", Some(&initial));
        let Some(last) = results.last() else {
            return usage;
        };
        // Each hook gets the one before's result; one that gave it back unchanged
        // passes it on.
        let value = results
            .iter()
            .rev()
            .find(|r| !r.unchanged)
            .map_or(&initial, |r| &r.value);
        match rhai::serde::from_dynamic::<AllowanceUsage>(value) {
            Ok(u)
                if [
                    u.included_hours,
                    u.used_hours,
                    u.approved_hours,
                    u.unapproved_hours,
                    u.remaining_hours,
                    u.over_hours,
                ]
                .iter()
                .all(|h| h.is_finite() && *h >= 0.0) =>
            {
                self.note("allowance", |_| {
                    format!("usage changed by {} (allowance)", last.script)
                });
                u
            }
            Ok(_) => {
                self.bad_return(
                    last.script,
                    "allowance",
                    "negative or non-finite hours: expected 0 or more".into(),
                );
                usage
            }
            Err(e) => {
                self.bad_return(
                    last.script,
                    "allowance",
                    format!("a usage map that does not fit: {e}"),
                );
                usage
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_in_messages_are_shown_like_format_shows_them() {
        for text in [
            "2026-03-06T16:40:00+03:00",
            "0999-01-01T00:05:59+00:00",
            "9999-12-31T23:59:00-12:00",
            "2027-11-07T01:45:30.5-05:00",
        ] {
            let l = DateTime::parse_from_rfc3339(text).unwrap();
            let far = [
                l + chrono::Duration::days(3_000_000),
                l - chrono::Duration::days(800_000),
            ];
            for l in far.into_iter().chain([l]) {
                let expected = format!(
                    "{} {:04}-{:02}-{:02} {:02}:{:02}",
                    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                        [l.weekday().num_days_from_monday() as usize],
                    l.year(),
                    l.month(),
                    l.day(),
                    chrono::Timelike::hour(&l),
                    chrono::Timelike::minute(&l)
                );
                assert_eq!(show_local(&l), expected, "{text}");
            }
        }
    }

    #[test]
    fn remembered_durations_are_spelled_as_to_string_spells_them() {
        // More distinct durations than are remembered, twice over, so some are evicted.
        for _ in 0..2 {
            for minutes in 1..=40 {
                for d in [
                    Duration::working(minutes * 60),
                    Duration::working(minutes * 3600),
                    Duration::calendar(minutes * 86_400),
                ] {
                    assert_eq!(duration_text(d), d.to_string());
                }
            }
        }
    }

    #[test]
    fn instants_are_written_like_chrono_writes_them() {
        for text in [
            "2026-03-06T16:40:00+03:00",
            "2026-11-01T01:30:05-05:00",
            "2026-03-06T09:00:00+05:30",
            "2026-12-31T23:59:59-09:30",
            "0999-01-02T03:04:05+00:00",
            "2026-03-06T16:40:00.250+03:00",
            "2026-03-06T16:40:00.000001-01:00",
        ] {
            let t = DateTime::parse_from_rfc3339(text).unwrap();
            assert_eq!(instant_text(&t), t.to_rfc3339());
            assert_eq!(instant_text(&t), text);
        }
    }

    proptest::proptest! {
        /// Worklogs are placed in their local month without converting most of them: the
        /// placement agrees with the local date chrono-tz gives, in zones far east and
        /// west, with half-hour offsets and DST, at and around every month boundary.
        #[test]
        fn worklogs_fall_in_their_local_month(
            zone in 0usize..8,
            month in 0i64..36,
            later in -3i64..4,
            offset in -30i64 * 3600..30 * 3600,
        ) {
            let zones = [
                "Europe/Moscow", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu",
                "America/St_Johns", "America/New_York", "Australia/Lord_Howe", "UTC",
            ];
            let tz: chrono_tz::Tz = zones[zone].parse().unwrap();
            let c = crate::contract::parse_str(
                "acme",
                &format!(
                    "calendar: {{ timezone: {}, week: {{ mon-fri: [\"09:00-18:00\"] }} }}\n\
                     metrics: {{ resolve: {{ starts: registered, stops: resolved }} }}\n\
                     categories: {{ c: {{ clause: \"1\", resolve: 1 working day }} }}\n",
                    zones[zone]
                ),
            )
            .unwrap();
            // The evaluation at the start of a month in 2025–2027 (local), plus some days.
            let first = |m: i64| {
                let (y, m) = (2025 + (m / 12) as i32, 1 + (m % 12) as u32);
                chrono::TimeZone::from_local_datetime(
                    &tz,
                    &NaiveDate::from_ymd_opt(y, m, 1).unwrap().and_hms_opt(0, 0, 0).unwrap(),
                )
                .earliest()
                .unwrap()
                .to_utc()
            };
            let at = first(month) + TimeDelta::days(10);
            // A worklog near some month boundary around it.
            let t = first((month + later).max(0)) + TimeDelta::seconds(offset);
            let counter = CustomerUsage::counter(&c, at.max(t));
            let local = |t: DateTime<Utc>| {
                let d = t.with_timezone(&tz);
                (d.year(), d.month())
            };
            let expected = if local(t) == counter.usage.month {
                "this"
            } else if local(t) == counter.previous {
                "previous"
            } else {
                "other"
            };
            let found = match counter.month_of(t) {
                Month::This => "this",
                Month::Previous => "previous",
                Month::Other => "other",
            };
            proptest::prop_assert_eq!(found, expected, "{} at {} in {}", t, at, zones[zone]);
        }
    }
}

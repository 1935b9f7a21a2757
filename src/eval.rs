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

mod allowance;
mod clock;
mod explain;
mod findings;
mod hooks;
mod state;
mod target;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::contract::{Category, Contract};
use crate::duration::Duration;
use crate::script::HookResult;
use crate::ticket::{Event, Ticket};
#[cfg(feature = "cli")]
pub(crate) use state::CHANGEABLE;
pub(crate) use state::Field;
use state::Stand;
use target::Choice;

pub use crate::evaluation::{
    AllowanceUsage, CategoryRef, ContractRef, Evaluation, Explanation, Finding, Instance,
    MetricResult, SCHEMA, Severity, Status,
};
pub use crate::instant::format_seconds;
pub(crate) use crate::instant::show_local;
pub use allowance::{CustomerUsage, UsageCounter, UsageEntry, micro_hours, usage_entries};

/// What to compute besides the evaluation itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Record a trace a person can follow (`--explain`).
    pub explain: bool,
    /// Compute the category and the metrics only: no allowance and no `findings` hook
    /// (what a watcher needs to follow statuses and deadlines).
    pub metrics_only: bool,
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

struct Evaluator<'a> {
    metrics_only: bool,
    contract: &'a Contract,
    ticket: &'a Ticket,
    at: DateTime<Utc>,
    tz: chrono_tz::Tz,
    events: Vec<&'a Event>,
    /// The `changed` events among them, in time order.
    changes: Vec<(&'a Event, Field<'a>)>,
    /// The ticket as it stands at the evaluation instant.
    stand: Stand<'a>,
    category: Option<&'a Category>,
    /// Whether a `classify` hook decided the category (it then holds whatever changes).
    classified: bool,
    decided_by: String,
    metrics: Vec<MetricResult>,
    allowance: Option<AllowanceUsage>,
    findings: Vec<Finding>,
    explain: Option<Vec<Explanation>>,
    /// Closed dates already listed for the current metric.
    explained_dates: Vec<NaiveDate>,
    /// The target of each metric (in the contract's order) at the evaluation instant,
    /// after the contract and the `targets` hooks.
    targets: Vec<Option<Duration>>,
    /// The contract's choice of target for each metric at the evaluation instant.
    choices: Vec<Choice<'a>>,
    /// Whether a `targets` hook changed the metric's target (it then holds for every
    /// instance, whatever the ticket's changes).
    overridden: Vec<bool>,
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
            changes: Vec::new(),
            stand: Stand::initial(ticket),
            category: None,
            classified: false,
            decided_by: "none".into(),
            metrics: Vec::with_capacity(contract.metrics.len()),
            allowance: None,
            findings: Vec::new(),
            explain: options.explain.then(Vec::new),
            explained_dates: Vec::new(),
            targets: Vec::with_capacity(contract.metrics.len()),
            choices: Vec::with_capacity(contract.metrics.len()),
            overridden: Vec::new(),
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
            script: None,
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
        self.changes = state::changes(&self.events);
        if !self.changes.is_empty() {
            self.stand = Stand::at(self.ticket, &self.changes, self.at);
        }
        let later = |e: &Event| e.at.to_utc() > self.at;
        if !self.changes.is_empty() || self.ticket.events.iter().any(later) {
            // Scripts see the ticket as it stood at the evaluation instant.
            self.ticket_arg = crate::script::TicketArg::owned(self.ticket_as_at());
        }
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
                    .or_else(|| self.stand.category.as_deref().map(str::to_owned)),
                clause: category.and_then(|c| c.clause.clone()),
                title: category.and_then(|c| c.title.clone()),
                decided_by: self.decided_by,
            },
            priority: target::priority(self.contract, &self.stand).map(str::to_owned),
            at,
            metrics: self.metrics,
            allowance: self.allowance,
            findings: self.findings,
            explain: self.explain,
        }
    }

    fn decide_category(&mut self) {
        let c = self.contract;
        if let Some(id) = self.classify()
            && let Some(cat) = c.category(&id)
        {
            self.category = Some(cat);
            self.classified = true;
            return;
        }
        let stand_category = self.stand.category.clone();
        match stand_category.as_deref() {
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

    /// The ticket as it stood at the evaluation instant: no later events, its changes
    /// applied.
    fn ticket_as_at(&self) -> Ticket {
        let t = self.ticket;
        let owned = |v: &Option<std::borrow::Cow<'_, str>>| v.as_deref().map(str::to_owned);
        Ticket {
            id: t.id.clone(),
            customer: t.customer.clone(),
            product: owned(&self.stand.product),
            category: owned(&self.stand.category),
            priority: owned(&self.stand.priority),
            summary: t.summary.clone(),
            registered: t.registered,
            fields: self
                .stand
                .fields()
                .map(|(n, v)| (n.to_owned(), v.clone()))
                .collect(),
            attachments: t.attachments.clone(),
            events: t
                .events
                .iter()
                .filter(|e| e.at.to_utc() <= self.at)
                .cloned()
                .collect(),
        }
    }
}

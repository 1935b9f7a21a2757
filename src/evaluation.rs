//! The result of an evaluation: what a contract says about a ticket at an instant, per
//! metric, with the allowance, the findings and the trace. Plain data, serialised as the
//! `slaengine.evaluation/v1` JSON the command line prints.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::instant::{ser_opt_time, ser_time};

mod json;

/// The `schema` of an evaluation in JSON output.
pub const SCHEMA: &str = "slaengine.evaluation/v1";

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
    /// The named calendar (of the contract's `calendars`) the target counted on; absent
    /// for the contract's own calendar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// A recurring metric's instances, in order (absent for other metrics); the fields
    /// above describe the open one, or the last one when none is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances: Option<Vec<Instance>>,
    /// How many of a recurring metric's instances are breached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances_breached: Option<usize>,
}

/// One interval of a recurring metric, from a start to a stop, with its own target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    /// When it started.
    #[serde(serialize_with = "ser_time")]
    pub started: DateTime<FixedOffset>,
    /// When its target runs out, if one applies.
    #[serde(serialize_with = "ser_opt_time")]
    pub deadline: Option<DateTime<FixedOffset>>,
    /// When it stopped, if it has.
    #[serde(serialize_with = "ser_opt_time")]
    pub stopped: Option<DateTime<FixedOffset>>,
    /// Time counted.
    pub elapsed_seconds: i64,
    /// Time not counted because of pauses.
    pub paused_seconds: i64,
    /// Target minus elapsed (negative when overdue), if a target applies.
    pub remaining_seconds: Option<i64>,
    /// Its status.
    pub status: Status,
}

impl MetricResult {
    /// A metric that has not started, without a target.
    pub(crate) fn empty(name: &str) -> Self {
        MetricResult {
            name: name.to_owned(),
            target: None,
            target_seconds: None,
            started: None,
            deadline: None,
            stopped: None,
            elapsed_seconds: 0,
            paused_seconds: 0,
            remaining_seconds: None,
            status: Status::NotApplicable,
            calendar: None,
            instances: None,
            instances_breached: None,
        }
    }
}

/// Hours of an allowance used in the month of the evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AllowanceUsage {
    /// The allowance's name (`small_changes`).
    pub name: String,
    /// The calendar month of the evaluation instant (`2026-03`), in the contract's zone.
    pub month: String,
    /// The kind of period the allowance is counted per: `month`, `quarter`, `year` or
    /// `term`.
    #[serde(default)]
    pub per: String,
    /// The period in force (`2026-03`, `2026-Q1`, `2026`, or a term's dates
    /// `2026-01-01/2026-12-31`).
    #[serde(default)]
    pub period: String,
    /// The period's first date (later than the calendar period's when the contract
    /// starts inside it).
    #[serde(default)]
    pub period_from: String,
    /// The period's last date.
    #[serde(default)]
    pub period_to: String,
    /// Hours included in the period: the allowance plus hours carried over.
    pub included_hours: f64,
    /// Unused hours of the period before carried over (at most `carry_over`).
    #[serde(default)]
    pub carried_over_hours: f64,
    /// Hours logged in the period.
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
    /// The price of the hours beyond, exact to the cent (`"78.00"`), when the allowance
    /// has an `overage` price.
    #[serde(default)]
    pub overage_amount: Option<String>,
    /// The currency of `overage_amount` (the fee's).
    #[serde(default)]
    pub currency: Option<String>,
    /// What was counted: `ticket` (this ticket's worklogs) or `customer` (all tickets).
    pub basis: String,
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

impl Severity {
    /// The name used in output (`warning`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
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
    /// The script whose `findings` hook made it (`scripts/standard.rhai`); `None` for the
    /// engine's own findings. Reports list the scripts' findings; evaluations do not
    /// print it.
    #[serde(skip)]
    pub script: Option<String>,
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
    /// The ticket's priority at the evaluation instant (or the contract's
    /// `default_priority`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// The evaluation instant, in the contract's zone.
    #[serde(serialize_with = "ser_time")]
    pub at: DateTime<FixedOffset>,
    /// One result per metric of the contract, in declaration order.
    pub metrics: Vec<MetricResult>,
    /// The allowance the category counts against, if any.
    pub allowance: Option<AllowanceUsage>,
    /// Findings, most serious first.
    pub findings: Vec<Finding>,
    /// The trace, with [`crate::Options::explain`].
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

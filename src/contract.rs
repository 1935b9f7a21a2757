//! Contracts: YAML files (one per customer, extending shared templates) turned into a
//! validated [`Contract`], with every mistake reported at its file, line and column.
//!
//! Merge rules for `extends`: maps merge key by key (a category the contract names keeps
//! the template's other fields), scalars and lists replace, weekly windows replace per
//! weekday, and the template's scripts run before the contract's own.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::calendar::Calendar;
use crate::duration::Duration;

/// The file a value came from: the template or the contract itself, for `--explain`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Origin {
    /// The file as the user would name it (`contracts/templates/standard.yaml`).
    pub file: String,
    /// 1-based line of the value in that file (0 when unknown).
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A clock: which event starts it, which stops it, whether it can be paused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// The metric's name (`assign`, `resolve`).
    pub name: String,
    /// The event that starts the clock: `registered` or an event kind.
    pub starts: String,
    /// The event kind that stops the clock (`assigned`, `resolved`).
    pub stops: String,
    /// Whether `paused` … `resumed` stops the clock.
    pub pausable: bool,
}

/// A target for one metric of one category, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The time allowed; `None` when the contract removes the target (`resolve: none`).
    pub duration: Option<Duration>,
    /// A ticket field (under `fields`) that must be true for the target to apply,
    /// e.g. `complete_outage` for clause 3.4.
    pub when: Option<String>,
    /// The file and line that set it (a category's own value, or `defaults`).
    pub origin: Origin,
}

/// A request category, with its clause of the terms and its targets per metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// The category id (`error.module_failure`).
    pub id: String,
    /// The clause of the terms (`3.2`).
    pub clause: Option<String>,
    /// A human title.
    pub title: Option<String>,
    /// Targets by metric name, after applying `defaults` (metrics without any target are
    /// absent).
    pub targets: BTreeMap<String, Target>,
    /// The allowance this category's work counts against.
    pub allowance: Option<String>,
}

/// Hours per calendar month for some categories.
#[derive(Debug, Clone, PartialEq)]
pub struct Allowance {
    /// The allowance's name (`small_changes`).
    pub name: String,
    /// Hours included per period.
    pub hours: f64,
    /// The period; only `month` is supported.
    pub per: String,
    /// Whether work must be approved (an `approved` event) before it is logged.
    pub requires_approval: bool,
    /// Hours that may carry over to the next month.
    pub carry_over: f64,
    /// Where it was defined.
    pub origin: Origin,
}

/// The period in which a contract applies (inclusive dates, in the contract's zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Validity {
    /// First day covered, if bounded.
    pub from: Option<NaiveDate>,
    /// Last day covered, if bounded.
    pub to: Option<NaiveDate>,
}

/// A validated contract, templates merged in.
#[derive(Debug, Clone)]
pub struct Contract {
    /// The id: the file stem (`acme`).
    pub id: String,
    /// A content hash of every file the contract was built from (template and scripts
    /// included), 16 hex digits.
    pub revision: String,
    /// The title (`Standard technical support`).
    pub title: Option<String>,
    /// The customer's name.
    pub customer: Option<String>,
    /// The template chain, nearest first (`["standard"]`).
    pub extends: Vec<String>,
    /// Products covered; empty means any.
    pub products: Vec<String>,
    /// When the contract applies.
    pub valid: Validity,
    /// The working-time calendar.
    pub calendar: Calendar,
    /// Share of a target after which a running metric is `at_risk` (0.75).
    pub warn_at: f64,
    /// The metrics, in the order they were declared.
    pub metrics: Vec<Metric>,
    /// Targets that apply to every request unless its category says otherwise (clause
    /// 4.1: assignment within 1 working hour), by metric name.
    pub defaults: BTreeMap<String, Target>,
    /// Categories by id.
    pub categories: BTreeMap<String, Category>,
    /// Allowances by name.
    pub allowances: BTreeMap<String, Allowance>,
    /// Script paths (relative to the project root), template scripts first.
    pub scripts: Vec<String>,
    /// The files the contract was built from, template first.
    pub sources: Vec<String>,
}

impl Contract {
    /// The category with this id.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.get(id)
    }
}

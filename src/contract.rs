//! Contracts: YAML files (one per customer, extending shared templates) turned into a
//! validated [`Contract`], with every mistake reported at its file, line and column.
//!
//! Merge rules for `extends`: maps merge key by key (a category the contract names keeps
//! the template's other fields), scalars and lists replace, weekly windows replace per
//! weekday, and the template's scripts run before the contract's own.

mod holiday_files;
mod raw;
#[cfg(feature = "schema")]
mod schema;
#[cfg(feature = "schema")]
pub use schema::contract_schema;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::calendar::{Calendar, Window};
use crate::duration::{Duration, DurationKind};
use crate::error::{Error, InputError};
use crate::script::{Limits, ScriptSet};
pub(crate) use crate::suggest::suggest;
use crate::suggest::{backticked, did_you_mean};
use crate::ticket::{EventKind, yaml_error};
use crate::yaml_index::YamlIndex;
use raw::{CATEGORY_FIELDS, Merge, RawContract, TargetValue};

pub use crate::loader::{DirLoader, Loader, MemoryLoader};
pub use crate::period::{Period, PeriodKind};

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

/// A clock: which events start it, which stop it, whether it can be paused, whether it
/// recurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// The metric's name (`assign`, `resolve`).
    pub name: String,
    /// Whether the ticket's registration starts the clock (`starts: registered`).
    pub starts_at_registration: bool,
    /// The event kinds that start the clock (besides the registration).
    pub starts: Vec<EventKind>,
    /// The event kinds that stop it (`assigned`, `resolved`).
    pub stops: Vec<EventKind>,
    /// Whether `paused` … `resumed` stops the clock.
    pub pausable: bool,
    /// Whether every interval from a start to a stop is measured, each an instance with
    /// its own target and status.
    pub recurring: bool,
    /// What a change of the target does to a running clock.
    pub on_change: OnChange,
}

impl Metric {
    /// Whether an event of `kind` starts the clock.
    pub fn starts_on(&self, kind: &EventKind) -> bool {
        self.starts.contains(kind)
    }

    /// Whether an event of `kind` stops the clock.
    pub fn stops_on(&self, kind: &EventKind) -> bool {
        self.stops.contains(kind)
    }

    /// What starts the clock, for people: `registration`, `` `replied` ``,
    /// `` registration or `replied` ``.
    pub fn starts_text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.starts_at_registration {
            parts.push("registration".into());
        }
        parts.extend(self.starts.iter().map(|k| format!("`{}`", k.as_str())));
        parts.join(" or ")
    }

    /// What stops the clock, for people: `` `replied` or `resolved` ``.
    pub fn stops_text(&self) -> String {
        let parts: Vec<String> = self
            .stops
            .iter()
            .map(|k| format!("`{}`", k.as_str()))
            .collect();
        parts.join(" or ")
    }
}

/// What a change of a metric's target does to its running clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnChange {
    /// The new target is measured from the metric's start; time counted stays counted.
    #[default]
    Keep,
    /// The clock starts again at the change; time counted before it no longer counts.
    Restart,
}

/// A target for one metric of one category, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The time allowed; `None` when the contract removes the target (`resolve: none`).
    pub duration: Option<Duration>,
    /// A ticket field (under `fields`) that must be true for the target to apply,
    /// e.g. `complete_outage` for clause 3.4.
    pub when: Option<String>,
    /// The named calendar (of [`Contract::calendars`]) the target counts on, when the
    /// target itself names one.
    pub calendar: Option<String>,
    /// The file and line that set it (a category's own value, or `defaults`).
    pub origin: Origin,
}

/// What a category (or `defaults`) says for one metric: one target, or one per priority.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetRule {
    /// The same target whatever the ticket's priority.
    Fixed(Target),
    /// A target per priority of the contract's `priorities`.
    ByPriority {
        /// The priorities named, in file order, with their targets.
        entries: Vec<(String, Target)>,
        /// The target of every priority not named (`else`).
        otherwise: Option<Target>,
        /// Where the map was set.
        origin: Origin,
    },
}

impl TargetRule {
    /// The target when it does not depend on the priority.
    pub fn fixed(&self) -> Option<&Target> {
        match self {
            TargetRule::Fixed(t) => Some(t),
            TargetRule::ByPriority { .. } => None,
        }
    }

    /// The target for a ticket of `priority` (a declared one): its entry, else `else`;
    /// `None` when neither exists. A fixed target applies to every priority.
    pub fn for_priority(&self, priority: &str) -> Option<&Target> {
        match self {
            TargetRule::Fixed(t) => Some(t),
            TargetRule::ByPriority {
                entries, otherwise, ..
            } => entries
                .iter()
                .find(|(p, _)| p == priority)
                .map(|(_, t)| t)
                .or(otherwise.as_ref()),
        }
    }

    /// The file and line that set the rule.
    pub fn origin(&self) -> &Origin {
        match self {
            TargetRule::Fixed(t) => &t.origin,
            TargetRule::ByPriority { origin, .. } => origin,
        }
    }
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
    pub targets: BTreeMap<String, TargetRule>,
    /// The allowance this category's work counts against.
    pub allowance: Option<String>,
    /// The named calendar every target of the category counts on, unless the target
    /// names its own.
    pub calendar: Option<String>,
}

/// Hours per period (month, quarter, year or the term) for some categories.
#[derive(Debug, Clone, PartialEq)]
pub struct Allowance {
    /// The allowance's name (`small_changes`).
    pub name: String,
    /// Hours included per period.
    pub hours: f64,
    /// The period the hours are counted per.
    pub per: PeriodKind,
    /// Whether work must be approved (an `approved` event) before it is logged.
    pub requires_approval: bool,
    /// Unused hours that may carry over to the next period of the same kind.
    pub carry_over: f64,
    /// The price of an hour beyond the allowance, in the fee's currency.
    pub overage: Option<Decimal>,
    /// Where it was defined.
    pub origin: Origin,
}

/// What the customer pays, per period: the base of service credits and the currency of
/// every amount.
#[derive(Debug, Clone, PartialEq)]
pub struct Fee {
    /// The amount per period, exact.
    pub amount: Decimal,
    /// The ISO 4217 currency code (`EUR`).
    pub currency: String,
    /// The period the amount is owed per; credits are capped per such period.
    pub per: PeriodKind,
}

/// Which metric results an entry of `compliance` or `credits` counts: a metric, and
/// optionally a priority and a category (an id, or a prefix like `error.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The metric's name.
    pub metric: String,
    /// Only results of tickets of this priority.
    pub priority: Option<String>,
    /// Only results of tickets of this category (`error.*` for every category whose id
    /// starts with `error.`).
    pub category: Option<String>,
}

impl Selector {
    /// Whether a result of `metric` for a ticket of `priority` and `category` counts.
    ///
    /// ```
    /// use slaengine::contract::Selector;
    /// let s = Selector { metric: "resolve".into(), priority: Some("urgent".into()), category: Some("error.*".into()) };
    /// assert!(s.matches("resolve", Some("urgent"), Some("error.module_failure")));
    /// assert!(!s.matches("resolve", Some("urgent"), Some("errors")));
    /// assert!(!s.matches("reply", Some("urgent"), Some("error.module_failure")));
    /// ```
    pub fn matches(&self, metric: &str, priority: Option<&str>, category: Option<&str>) -> bool {
        self.metric == metric
            && self.priority.as_deref().is_none_or(|p| priority == Some(p))
            && self
                .category
                .as_deref()
                .is_none_or(|c| category.is_some_and(|id| category_matches(c, id)))
    }

    /// The selection for people: `resolve`, `resolve of urgent error.* tickets`.
    pub fn describe(&self) -> String {
        let mut of: Vec<&str> = Vec::new();
        if let Some(p) = &self.priority {
            of.push(p);
        }
        if let Some(c) = &self.category {
            of.push(c);
        }
        if of.is_empty() {
            self.metric.clone()
        } else {
            format!("{} of {} tickets", self.metric, of.join(" "))
        }
    }
}

/// Whether the category `id` is selected by `pattern`: the id itself, or `prefix.*`.
fn category_matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// An entry of `compliance`: the share of selected results that a report period must
/// reach, and the credit owed when it does not.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceRule {
    /// The results it counts.
    pub select: Selector,
    /// The share that must be met, as a fraction (`0.95`).
    pub at_least: Decimal,
    /// The share of the fee owed when the period misses it.
    pub credit: Option<Decimal>,
    /// Where it was written.
    pub origin: Origin,
}

/// How an entry of `credits` prices breaches.
#[derive(Debug, Clone, PartialEq)]
pub enum CreditKind {
    /// A share of the fee for each breached result.
    PerBreach(Decimal),
    /// A share of the fee for each started `step` of lateness past the deadline, counted
    /// in the step's kind of time (working time on the target's calendar, or calendar
    /// time).
    PerLate {
        /// The step of lateness.
        step: Duration,
        /// The share per started step.
        credit: Decimal,
    },
}

/// An entry of `credits`: service credits owed for breaches of the selected results.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditRule {
    /// The results it counts.
    pub select: Selector,
    /// How breaches are priced.
    pub kind: CreditKind,
    /// Where it was written.
    pub origin: Origin,
}

impl CreditRule {
    /// The rule for people: `5% per breach`, `5% per started 30 calendar minutes late`.
    pub fn describe(&self) -> String {
        match &self.kind {
            CreditKind::PerBreach(p) => format!("{} per breach", crate::money::format_percent(*p)),
            CreditKind::PerLate { step, credit } => format!(
                "{} per started {step} late",
                crate::money::format_percent(*credit)
            ),
        }
    }
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
    /// More calendars by name (`calendars:`), chosen per target or per category.
    pub calendars: BTreeMap<String, Calendar>,
    /// The values of a ticket's `priority`, most urgent first (empty: none declared).
    pub priorities: Vec<String>,
    /// The priority of a ticket that has none.
    pub default_priority: Option<String>,
    /// Event kinds the contract declares beyond the built-in ones.
    pub events: Vec<String>,
    /// Share of a target after which a running metric is `at_risk` (0.75).
    pub warn_at: f64,
    /// The metrics, in the order they were declared.
    pub metrics: Vec<Metric>,
    /// Targets that apply to every request unless its category says otherwise (clause
    /// 4.1: assignment within 1 working hour), by metric name.
    pub defaults: BTreeMap<String, TargetRule>,
    /// Categories by id.
    pub categories: BTreeMap<String, Category>,
    /// Allowances by name.
    pub allowances: BTreeMap<String, Allowance>,
    /// What the customer pays, when the contract says.
    pub fee: Option<Fee>,
    /// Shares of results that a report period must reach.
    pub compliance: Vec<ComplianceRule>,
    /// Service credits owed for breaches.
    pub credits: Vec<CreditRule>,
    /// The most credited per fee period, as a fraction of the fee.
    pub credit_cap: Option<Decimal>,
    /// Script paths (relative to the project root), template scripts first.
    pub scripts: Vec<String>,
    /// The holiday files its calendars read (paths relative to the project root), in the
    /// order first named.
    pub holiday_files: Vec<String>,
    /// The files the contract was built from, template first.
    pub sources: Vec<String>,
    /// The compiled scripts, when the contract lists any.
    pub script_set: Option<Arc<ScriptSet>>,
    /// How each script path is named in messages, by path.
    pub script_files: BTreeMap<String, String>,
}

impl Contract {
    /// The event kinds its tickets may name beyond the built-in ones.
    pub fn declared_kinds(&self) -> crate::ticket::DeclaredKinds {
        crate::ticket::DeclaredKinds {
            contract: Some(self.id.clone()),
            loads: true,
            kinds: self.events.clone(),
        }
    }

    /// The calendar called `name` (`None`: the contract's own `calendar`). A target's and
    /// a category's calendar names are checked when the contract loads.
    pub fn calendar_named(&self, name: Option<&str>) -> &Calendar {
        name.and_then(|n| self.calendars.get(n))
            .unwrap_or(&self.calendar)
    }

    /// The calendar a target of `category` counts on: the target's own, the
    /// category's, or the contract's; with its name (`None` for the contract's own).
    pub fn calendar_of<'c>(
        &'c self,
        target: &'c Target,
        category: Option<&'c Category>,
    ) -> (Option<&'c str>, &'c Calendar) {
        let name = target
            .calendar
            .as_deref()
            .or_else(|| category.and_then(|c| c.calendar.as_deref()));
        (name, self.calendar_named(name))
    }

    /// Whether events of `kind` belong to this contract's tickets: a built-in kind or one
    /// the contract declares.
    pub fn knows_kind(&self, kind: &EventKind) -> bool {
        match kind {
            EventKind::Other(name) => self.events.iter().any(|e| e == name),
            _ => true,
        }
    }

    /// The category with this id.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.get(id)
    }

    /// How a script path is named in messages (`scripts/vip.rhai`).
    pub fn script_display(&self, path: &str) -> String {
        self.script_files
            .get(path)
            .cloned()
            .unwrap_or_else(|| path.to_owned())
    }
}

/// One file of a contract's chain: the contract itself or a template.
struct Layer {
    /// Path relative to the contracts directory.
    path: String,
    /// The name users see.
    display: String,
    text: String,
    index: YamlIndex,
    raw: RawContract,
}

/// The files a contract was built from, nearest first, for locating values.
struct Layers(Vec<Layer>);

impl Layer {
    fn position(&self, path: &str, value: bool) -> Option<(usize, usize)> {
        if value {
            self.index.value(path)
        } else {
            self.index.key(path)
        }
    }

    /// An error at the key (or value) `path` of this file, or at its top.
    fn error_at(&self, path: &str, value: bool, message: String) -> Error {
        let (line, col) = self.position(path, value).unwrap_or((1, 1));
        InputError::at(message, &self.display, &self.text, line, col).into()
    }
}

impl Layers {
    /// An error at the key (or value) `path` of the nearest layer that has it; at the top
    /// of the contract file when none does.
    fn error_at(&self, path: &str, value: bool, message: String) -> Error {
        let found = self.0.iter().find(|l| l.position(path, value).is_some());
        match found.or(self.0.first()) {
            Some(l) => l.error_at(path, value, message),
            None => InputError::new(message).into(),
        }
    }

    /// The origin of the value at `path`: the nearest layer that sets it.
    fn origin(&self, path: &str) -> Origin {
        let found = self
            .0
            .iter()
            .find_map(|l| l.index.key(path).map(|(line, _)| (l, line)));
        match (found, self.0.first()) {
            (Some((l, line)), _) => Origin {
                file: l.display.clone(),
                line,
            },
            (None, Some(top)) => Origin {
                file: top.display.clone(),
                line: 0,
            },
            (None, None) => Origin {
                file: String::new(),
                line: 0,
            },
        }
    }
}

/// Parses one file of the chain.
fn parse_layer(
    loader: &dyn Loader,
    path: &str,
    display: String,
    text: String,
) -> Result<Layer, Error> {
    let meaningful = text.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && t != "---"
    });
    if !meaningful {
        return Err(InputError::new(format!(
            "`{display}` is empty: expected a contract with `extends` or `calendar`, `metrics` and `categories`"
        ))
        .into());
    }
    crate::yaml_index::check_nesting(&text, &display)?;
    let index = YamlIndex::build(&text);
    let raw: RawContract = serde_yaml::from_str(&text).map_err(|e| {
        let mut err = yaml_error(&e, &text, &display);
        relocate_duplicate(&mut err, &index, &text, &display);
        relocate_weekday(&mut err, &index, &text, &display);
        if err.location.is_none() {
            err.message = err
                .message
                .trim_start_matches(&format!("{display}: "))
                .to_owned();
            err = InputError::at(err.message, &display, &text, 1, 1);
        }
        Error::from(err)
    })?;
    let _ = loader;
    Ok(Layer {
        path: path.to_owned(),
        display,
        text,
        index,
        raw,
    })
}

/// serde reports a key given twice at the start of its mapping; the index knows where
/// it is given again. The error keeps serde's judgement of what counts as the same key,
/// and only its two exact messages are moved: `` `K` is given twice: give each key
/// once `` (ordered maps) and `` duplicate field `K` `` (fields), each after an optional
/// `path: `.
fn relocate_duplicate(err: &mut InputError, index: &YamlIndex, text: &str, file: &str) {
    const TWICE: &str = "` is given twice: give each key once";
    const FIELD: &str = "duplicate field `";
    let m = err.message.as_str();
    let (path, key) = if let Some(left) = m.strip_suffix(TWICE) {
        match left.strip_prefix('`') {
            Some(key) => ("", key),
            None => match left.split_once(": `") {
                Some((path, key)) => (path, key),
                None => return,
            },
        }
    } else if let Some(left) = m.strip_suffix('`') {
        match left.strip_prefix(FIELD) {
            Some(key) => ("", key),
            None => match left.split_once(&format!(": {FIELD}")) {
                Some((path, key)) => (path, key),
                None => return,
            },
        }
    } else {
        return;
    };
    // The mapping itself, or one directly in it (serde's path stops at a field read by
    // a deserializer of its own, like `calendar` for `calendar.week`).
    let same_key = || index.duplicates().iter().filter(|d| d.key == key);
    let inside = |mapping: &str| {
        mapping
            .rsplit_once('.')
            .map_or(path.is_empty(), |(p, _)| p == path)
    };
    let Some(d) = same_key()
        .find(|d| d.mapping == path)
        .or_else(|| same_key().find(|d| inside(&d.mapping)))
    else {
        return;
    };
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    };
    let message = format!(
        "{prefix}`{key}` is given twice (first at line {}): give each key once",
        d.first.0
    );
    *err = InputError::at(message, file, text, d.again.0, d.again.1);
}

/// A weekday given by two keys of `calendar.week` (`mon-fri` and `fri`) is reported by
/// the week's own deserializer, which serde places at the start of `calendar`: the index
/// moves it to the second key, and names the line of the first.
fn relocate_weekday(err: &mut InputError, index: &YamlIndex, text: &str, file: &str) {
    const TAIL: &str = "`: give each weekday once";
    let Some(left) = err.message.strip_suffix(TAIL) else {
        return;
    };
    // `[path: ]`D` is given twice, in `A` and in `B`
    let Some((head, again)) = left.rsplit_once("` and in `") else {
        return;
    };
    let Some((head, first)) = head.rsplit_once(" is given twice, in `") else {
        return;
    };
    let path = head.rsplit_once(": ").map_or("", |(p, _)| p);
    let week = if path.is_empty() {
        "calendar.week".to_owned()
    } else {
        format!("{path}.week")
    };
    let (Some(at), Some(before)) = (
        index.key(&format!("{week}.{again}")),
        index.key(&format!("{week}.{first}")),
    ) else {
        return;
    };
    let message = format!(
        "{head} is given twice, in `{first}` (line {}) and in `{again}{TAIL}",
        before.0
    );
    *err = InputError::at(message, file, text, at.0, at.1);
}

fn read(loader: &dyn Loader, path: &str) -> Result<Option<String>, Error> {
    loader.read(path).map_err(|e| Error::Io {
        path: loader.display(path),
        source: e,
    })
}

/// Loads the contract `id` (`<id>.yaml` in the contracts directory), its templates merged
/// in, validated.
///
/// ```
/// use slaengine::contract::{self, MemoryLoader};
/// let loader = MemoryLoader::new()
///     .with("templates/base.yaml", "calendar: { timezone: Europe/Moscow, week: { mon-fri: [\"09:00-18:00\"] } }\nmetrics: { assign: { starts: registered, stops: assigned } }\ndefaults: { assign: 1h }\ncategories: { question: {} }\n")
///     .with("acme.yaml", "extends: base\ncalendar: { timezone: Asia/Yekaterinburg }\n");
/// let c = contract::load(&loader, "acme").unwrap();
/// assert_eq!(c.calendar.timezone(), chrono_tz::Asia::Yekaterinburg);
/// assert_eq!(c.categories["question"].targets["assign"].origin().to_string(), "contracts/templates/base.yaml:3");
/// ```
pub fn load(loader: &dyn Loader, id: &str) -> Result<Contract, Error> {
    let path = format!("{id}.yaml");
    let display = loader.display(&path);
    let Some(text) = read(loader, &path)? else {
        return Err(
            InputError::new(format!("no contract `{id}`: expected a file `{display}`")).into(),
        );
    };
    let mut layers = vec![parse_layer(loader, &path, display, text)?];
    let mut templates: Vec<String> = Vec::new();
    while let Some(here) = layers.last() {
        let Some(name) = here.raw.extends.clone() else {
            break;
        };
        if templates.contains(&name) {
            let mut cycle: Vec<&str> = templates.iter().map(String::as_str).collect();
            cycle.push(&name);
            let msg = if cycle.len() == 1 {
                format!("the template `{name}` extends itself")
            } else {
                format!(
                    "templates extend each other in a cycle: {}",
                    cycle.join(" → ")
                )
            };
            return Err(here.error_at("extends", true, msg));
        }
        let tpath = format!("templates/{name}.yaml");
        let tdisplay = loader.display(&tpath);
        let text = if names_a_file(&name) {
            None
        } else {
            read(loader, &tpath)?
        };
        let Some(text) = text else {
            return Err(here.error_at("extends", true, no_template(loader, &name)?));
        };
        layers.push(parse_layer(loader, &tpath, tdisplay, text)?);
        templates.push(name);
    }
    build(loader, id, Layers(layers), templates)
}

/// Whether the value of `extends` is written as a file (`templates/standard.yaml`,
/// `standard.yaml`) rather than as a template's name.
fn names_a_file(name: &str) -> bool {
    name.contains(['/', '\\']) || name.ends_with(".yaml") || name.ends_with(".yml")
}

/// The message for `extends: NAME` naming no template: what was expected (the templates
/// there are, or the name to write for a file), what was found, and the nearest name.
fn no_template(loader: &dyn Loader, name: &str) -> Result<String, Error> {
    let dir = loader.display("templates");
    let names = loader.template_names().map_err(|e| Error::Io {
        path: dir.clone(),
        source: e,
    })?;
    let listed = || names.iter().map(String::as_str);
    let expected = if names.is_empty() {
        format!("the name of a template, and there are none in `{dir}/`")
    } else {
        format!("one of {}", backticked(listed()))
    };
    if !names_a_file(name) {
        return Ok(format!(
            "the template `{name}` does not exist (no file `{}`): expected {expected}{}",
            loader.display(&format!("templates/{name}.yaml")),
            did_you_mean(name, listed())
        ));
    }
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
        .unwrap_or(file);
    if names.iter().any(|n| n == stem) {
        return Ok(format!(
            "`extends` takes the name of a template, not a file: expected `extends: {stem}` (for `{}`), found `{name}`",
            loader.display(&format!("templates/{stem}.yaml"))
        ));
    }
    let within = if names.is_empty() {
        String::new()
    } else {
        format!(" (the files in `{dir}/`)")
    };
    Ok(format!(
        "`extends` takes the name of a template, not a file: expected {expected}{within}, found `{name}`{}",
        did_you_mean(stem, listed())
    ))
}

/// Parses a self-contained contract (no `extends`) from text, for programs that embed
/// the engine. Messages name the file `contracts/<id>.yaml`.
pub fn parse_str(id: &str, text: &str) -> Result<Contract, Error> {
    let loader = MemoryLoader::new().with(&format!("{id}.yaml"), text);
    load(&loader, id)
}

/// Loads every contract of the loader: the ones that load, and each failing one's error.
pub type LoadedSet = (BTreeMap<String, Arc<Contract>>, Vec<(String, Error)>);

/// Loads every contract of the loader, keeping going past failures.
pub fn load_all(loader: &dyn Loader) -> Result<LoadedSet, Error> {
    let ids = loader.contract_ids().map_err(|e| Error::Io {
        path: loader.display(""),
        source: e,
    })?;
    let (mut ok, mut failed) = (BTreeMap::new(), Vec::new());
    for id in ids {
        match load(loader, &id) {
            Ok(c) => {
                ok.insert(id, Arc::new(c));
            }
            Err(e) => failed.push((id, e)),
        }
    }
    Ok((ok, failed))
}

/// Validates the merged layers and builds the contract.
fn build(
    loader: &dyn Loader,
    id: &str,
    layers: Layers,
    extends: Vec<String>,
) -> Result<Contract, Error> {
    let merged = layers
        .0
        .iter()
        .rev()
        .fold(RawContract::default(), |acc, l| l.raw.clone().merge(acc));
    let fail = |path: &str, value: bool, msg: String| Err(layers.error_at(path, value, msg));

    // Calendars: the contract's own, then the named ones, which take its zone and its
    // days off unless they set their own (`holidays: []` alone means none).
    let Some(cal) = merged.calendar.clone() else {
        return fail("", false, "the contract has no `calendar`: expected `calendar: { timezone: …, week: … }` here or in the template it extends".into());
    };
    let mut files = holiday_files::HolidayFiles::new(loader);
    let calendar = build_calendar(&layers, "calendar", cal.clone(), &mut files, "calendar")?;
    let mut calendars = BTreeMap::new();
    for (name, c) in merged.calendars.clone().unwrap_or_default().0 {
        let path = format!("calendars.{name}");
        let own_days_off = c.holidays.is_some() || c.holiday_files.is_some();
        let (days_off, holidays, holiday_files) = if own_days_off {
            (path.as_str(), c.holidays, c.holiday_files)
        } else {
            ("calendar", cal.holidays.clone(), cal.holiday_files.clone())
        };
        let inherited = raw::RawCalendar {
            timezone: c.timezone.or(cal.timezone),
            holidays,
            holiday_files,
            ..c
        };
        let built = build_calendar(&layers, &path, inherited, &mut files, days_off)?;
        calendars.insert(name, built);
    }
    let calendar_names = || calendars.keys().map(String::as_str);
    let check_calendar = |path: &str, name: &str, whose: &str| -> Result<(), Error> {
        if calendars.contains_key(name) {
            return Ok(());
        }
        Err(layers.error_at(
            path,
            true,
            format!(
                "{whose} counts on the calendar `{name}`, which the contract does not have: expected one of {}{}",
                if calendars.is_empty() {
                    "none (name calendars under `calendars`)".to_owned()
                } else {
                    backticked(calendar_names())
                },
                did_you_mean(name, calendar_names())
            ),
        ))
    };

    // Priorities and declared event kinds.
    let priorities = merged.priorities.clone().unwrap_or_default();
    for (i, p) in priorities.iter().enumerate() {
        if p == "else" {
            return fail(
                &format!("priorities.{i}"),
                true,
                "`else` cannot be a priority: it stands for every priority a target does not name"
                    .into(),
            );
        }
        if priorities[..i].contains(p) {
            return fail(
                &format!("priorities.{i}"),
                true,
                format!("the priority `{p}` is listed twice: list each priority once"),
            );
        }
    }
    let default_priority = merged.default_priority.clone();
    if let Some(d) = &default_priority
        && !priorities.contains(d)
    {
        return fail(
            "default_priority",
            true,
            format!(
                "the default priority `{d}` is not one of the contract's `priorities`: expected {}{}",
                if priorities.is_empty() {
                    "a list of `priorities` first".to_owned()
                } else {
                    format!(
                        "one of {}",
                        backticked(priorities.iter().map(String::as_str))
                    )
                },
                did_you_mean(d, priorities.iter().map(String::as_str))
            ),
        );
    }
    let events = merged.events.clone().unwrap_or_default();
    for (i, e) in events.iter().enumerate() {
        let path = format!("events.{i}");
        match EventKind::parse(e) {
            Err(msg) => return fail(&path, true, msg),
            Ok(k) if k.is_builtin() => {
                return fail(
                    &path,
                    true,
                    format!(
                        "`{e}` is a built-in event kind: list under `events` only kinds of this contract's own"
                    ),
                );
            }
            Ok(_) if events[..i].contains(e) => {
                return fail(
                    &path,
                    true,
                    format!("the event kind `{e}` is listed twice: list each kind once"),
                );
            }
            Ok(_) => {}
        }
    }

    // Metrics.
    let kinds = || {
        EventKind::ALL
            .iter()
            .map(EventKind::as_str)
            .chain(events.iter().map(String::as_str))
    };
    let kind_of = |path: &str, name: &str, what: &str, also: &[&str]| -> Result<EventKind, Error> {
        match EventKind::parse(name) {
            Ok(k) if kinds().any(|n| n == name) => Ok(k),
            _ => Err(layers.error_at(
                path,
                true,
                format!(
                    "{what} `{name}`: expected {}an event kind ({}){}{}",
                    also.iter()
                        .map(|a| format!("`{a}` or "))
                        .collect::<String>(),
                    backticked(kinds()),
                    if EventKind::parse(name).is_ok() {
                        ", or a kind of the contract's own declared under `events`"
                    } else {
                        ""
                    },
                    did_you_mean(name, kinds().chain(also.iter().copied())),
                ),
            )),
        }
    };
    let mut metrics = Vec::new();
    for (name, m) in merged.metrics.clone().unwrap_or_default().0 {
        let listed = |field: &str, i: usize, many: bool| {
            if many {
                format!("metrics.{name}.{field}.{i}")
            } else {
                format!("metrics.{name}.{field}")
            }
        };
        let starts = m
            .starts
            .map_or_else(|| vec!["registered".to_owned()], |k| k.0);
        let many = starts.len() > 1;
        let mut starts_at_registration = false;
        let mut start_kinds = Vec::new();
        for (i, k) in starts.iter().enumerate() {
            if k == "registered" {
                starts_at_registration = true;
            } else {
                start_kinds.push(kind_of(
                    &listed("starts", i, many),
                    k,
                    &format!("the metric `{name}` starts on"),
                    &["registered"],
                )?);
            }
        }
        let Some(stops) = m.stops else {
            return fail(
                &format!("metrics.{name}"),
                false,
                format!(
                    "the metric `{name}` has no `stops`: expected an event kind ({})",
                    backticked(kinds())
                ),
            );
        };
        let many = stops.0.len() > 1;
        let mut stop_kinds = Vec::new();
        for (i, k) in stops.0.iter().enumerate() {
            stop_kinds.push(kind_of(
                &listed("stops", i, many),
                k,
                &format!("the metric `{name}` stops on"),
                &[],
            )?);
        }
        metrics.push(Metric {
            name,
            starts_at_registration,
            starts: start_kinds,
            stops: stop_kinds,
            pausable: m.pausable.unwrap_or(false),
            recurring: m.recurring.unwrap_or(false),
            on_change: match m.on_change {
                Some(raw::RawOnChange::Restart) => OnChange::Restart,
                _ => OnChange::Keep,
            },
        });
    }
    if metrics.is_empty() {
        return fail("", false, "the contract has no `metrics`: expected clocks like `assign: { starts: registered, stops: assigned }`".into());
    }
    let metric_names = || metrics.iter().map(|m| m.name.as_str());

    let one_target = |path: &str, value: &TargetValue| -> Result<Target, Error> {
        let (duration, when, cal) = match value {
            TargetValue::Duration(d) => (Some(*d), None, None),
            TargetValue::None => (None, None, None),
            TargetValue::Detailed {
                target,
                when,
                calendar,
            } => (Some(*target), when.clone(), calendar.clone()),
            TargetValue::ByPriority(_) => {
                return Err(layers.error_at(
                    path,
                    true,
                    "expected one target here, found targets by priority".into(),
                ));
            }
        };
        if let Some(c) = &cal {
            check_calendar(&format!("{path}.calendar"), c, "the target")?;
        }
        Ok(Target {
            duration,
            when,
            calendar: cal,
            origin: layers.origin(path),
        })
    };
    let rule = |path: &str, value: &TargetValue| -> Result<TargetRule, Error> {
        let TargetValue::ByPriority(map) = value else {
            return Ok(TargetRule::Fixed(one_target(path, value)?));
        };
        let names = || priorities.iter().map(String::as_str);
        let mut entries = Vec::new();
        let mut otherwise = None;
        for (p, v) in &map.0 {
            let here = format!("{path}.{p}");
            if p == "else" {
                otherwise = Some(one_target(&here, v)?);
                continue;
            }
            if !priorities.contains(p) {
                let msg = if priorities.is_empty() {
                    format!(
                        "a target for the priority `{p}`, but the contract declares no `priorities`: expected `priorities: [{p}, …]` at the top of the contract, or one target for every priority"
                    )
                } else {
                    format!(
                        "`{p}` is not a priority of this contract: expected one of {} or `else`{}",
                        backticked(names()),
                        did_you_mean(p, names().chain(["else"]))
                    )
                };
                return Err(layers.error_at(&here, false, msg));
            }
            entries.push((p.clone(), one_target(&here, v)?));
        }
        if otherwise.is_some()
            && priorities
                .iter()
                .all(|p| entries.iter().any(|(e, _)| e == p))
        {
            return Err(layers.error_at(
                &format!("{path}.else"),
                false,
                format!(
                    "`else` beside a target for every priority ({}): it would never apply; remove it",
                    backticked(names())
                ),
            ));
        }
        Ok(TargetRule::ByPriority {
            entries,
            otherwise,
            origin: layers.origin(path),
        })
    };

    // Defaults.
    let mut defaults = BTreeMap::new();
    for (metric, value) in &merged.defaults.clone().unwrap_or_default().0 {
        if !metric_names().any(|m| m == metric) {
            return fail(
                &format!("defaults.{metric}"),
                false,
                format!(
                    "`{metric}` in `defaults` is not a metric of this contract: expected one of {}{}",
                    backticked(metric_names()),
                    did_you_mean(metric, metric_names())
                ),
            );
        }
        defaults.insert(metric.clone(), rule(&format!("defaults.{metric}"), value)?);
    }

    // Validity (periods of a term are the contract's `valid` dates).
    let valid = merged.valid.clone().unwrap_or_default();
    let valid = Validity {
        from: valid.from.map(|d| d.0),
        to: valid.to.map(|d| d.0),
    };
    if let (Some(f), Some(t)) = (valid.from, valid.to)
        && t < f
    {
        return fail(
            "valid.to",
            true,
            format!(
                "the contract ends on {t}, before it starts on {f}: expected `to` on or after `from`"
            ),
        );
    }
    let period = |path: &str, text: Option<&String>, whose: &str| -> Result<PeriodKind, Error> {
        let Some(text) = text else {
            return Ok(PeriodKind::Month);
        };
        let kind = text
            .parse::<PeriodKind>()
            .map_err(|msg| layers.error_at(path, true, msg))?;
        if kind == PeriodKind::Term && (valid.from.is_none() || valid.to.is_none()) {
            return Err(layers.error_at(
                path,
                true,
                format!(
                    "{whose} is counted over the contract's term, which has no {}: expected `valid: {{ from: 2026-01-01, to: 2026-12-31 }}`",
                    match (valid.from, valid.to) {
                        (None, None) => "`valid` dates",
                        (None, _) => "`valid.from`",
                        _ => "`valid.to`",
                    }
                ),
            ));
        }
        Ok(kind)
    };

    // The fee: the currency of every amount, the base of credits.
    let fee = match &merged.fee {
        None => None,
        Some(f) => {
            let Some(amount) = f.amount else {
                return fail(
                    "fee",
                    false,
                    "the fee has no `amount`: expected `fee: { amount: 5000.00, currency: EUR, per: month }`".into(),
                );
            };
            let Some(currency) = f.currency.clone() else {
                return fail(
                    "fee",
                    false,
                    "the fee has no `currency`: expected a currency code like `currency: EUR`"
                        .into(),
                );
            };
            if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                return fail(
                    "fee.currency",
                    true,
                    format!(
                        "expected a currency code of three capital letters like `EUR` or `USD`, found `{currency}`"
                    ),
                );
            }
            Some(Fee {
                amount: amount.0,
                currency,
                per: period("fee.per", f.per.as_ref(), "the fee")?,
            })
        }
    };
    let needs_fee = |path: &str, what: &str| -> Result<(), Error> {
        if fee.is_some() {
            return Ok(());
        }
        Err(layers.error_at(
            path,
            false,
            format!(
                "{what} the contract has no `fee`: expected `fee: {{ amount: 5000.00, currency: EUR, per: month }}`"
            ),
        ))
    };

    // Allowances (before categories, which name them).
    let raw_allowances = merged.allowances.clone().unwrap_or_default();
    let mut allowances = BTreeMap::new();
    for (name, a) in &raw_allowances.0 {
        let path = format!("allowances.{name}");
        let Some(hours) = a.hours else {
            return fail(
                &path,
                false,
                format!(
                    "the allowance `{name}` has no `hours`: expected a number of hours per period like `hours: 10`"
                ),
            );
        };
        if !(hours.is_finite() && hours >= 0.0) {
            return fail(
                &format!("{path}.hours"),
                true,
                format!("expected a number of hours of 0 or more, found `{hours}`"),
            );
        }
        let per = period(
            &format!("{path}.per"),
            a.per.as_ref(),
            &format!("the allowance `{name}`"),
        )?;
        let carry_over = a.carry_over.unwrap_or(0.0);
        if !(carry_over.is_finite() && carry_over >= 0.0) {
            return fail(
                &format!("{path}.carry_over"),
                true,
                format!("expected `carry_over` of 0 hours or more, found `{carry_over}`"),
            );
        }
        if per == PeriodKind::Term && carry_over > 0.0 {
            return fail(
                &format!("{path}.carry_over"),
                true,
                format!(
                    "the allowance `{name}` is counted over the whole term, so no hours can carry over to a next period: expected `carry_over: 0` or another `per`"
                ),
            );
        }
        if a.overage.is_some() {
            needs_fee(
                &format!("{path}.overage"),
                &format!("the allowance `{name}` prices hours over it in the fee's currency, but"),
            )?;
        }
        allowances.insert(
            name.clone(),
            Allowance {
                name: name.clone(),
                hours,
                per,
                requires_approval: a.requires_approval.unwrap_or(false),
                carry_over,
                overage: a.overage.map(|o| o.0),
                origin: layers.origin(&path),
            },
        );
    }

    // Categories.
    check_new_categories(&layers, &extends)?;
    let raw_categories = merged.categories.clone().unwrap_or_default();
    let mut categories = BTreeMap::new();
    for (cid, c) in &raw_categories.0 {
        let mut targets = BTreeMap::new();
        for (metric, value) in &c.targets.0 {
            if !metric_names().any(|m| m == metric) {
                return fail(
                    &format!("categories.{cid}.{metric}"),
                    false,
                    format!(
                        "unknown field `{metric}` in category `{cid}`: expected a metric ({}) or one of {}{}",
                        backticked(metric_names()),
                        backticked(CATEGORY_FIELDS.into_iter()),
                        did_you_mean(metric, metric_names().chain(CATEGORY_FIELDS))
                    ),
                );
            }
            targets.insert(
                metric.clone(),
                rule(&format!("categories.{cid}.{metric}"), value)?,
            );
        }
        for (metric, t) in &defaults {
            targets.entry(metric.clone()).or_insert_with(|| t.clone());
        }
        let mut allowance = c.allowance.clone();
        if let Some(a) = &allowance
            && !allowances.contains_key(a)
        {
            return fail(
                &format!("categories.{cid}.allowance"),
                true,
                format!(
                    "the category `{cid}` counts against the allowance `{a}`, which the contract does not have: expected one of {}{}",
                    if allowances.is_empty() {
                        "none (add it under `allowances`)".to_owned()
                    } else {
                        backticked(allowances.keys().map(String::as_str))
                    },
                    did_you_mean(a, allowances.keys().map(String::as_str))
                ),
            );
        }
        if let Some(name) = &c.calendar {
            check_calendar(
                &format!("categories.{cid}.calendar"),
                name,
                &format!("the category `{cid}`"),
            )?;
        }
        for (name, a) in &raw_allowances.0 {
            if a.categories.as_ref().is_some_and(|cs| cs.contains(cid)) && allowance.is_none() {
                allowance = Some(name.clone());
            }
        }
        categories.insert(
            cid.clone(),
            Category {
                id: cid.clone(),
                clause: c.clause.clone(),
                title: c.title.clone(),
                targets,
                allowance,
                calendar: c.calendar.clone(),
            },
        );
    }
    for (name, a) in &raw_allowances.0 {
        for (i, cid) in a.categories.iter().flatten().enumerate() {
            if !categories.contains_key(cid) {
                return fail(
                    &format!("allowances.{name}.categories.{i}"),
                    true,
                    format!(
                        "the allowance `{name}` names the category `{cid}`, which the contract does not have{}",
                        did_you_mean(cid, categories.keys().map(String::as_str))
                    ),
                );
            }
        }
    }

    let used = |name: &str| {
        raw_categories
            .0
            .iter()
            .any(|(_, c)| c.allowance.as_deref() == Some(name))
            || raw_allowances
                .get(name)
                .and_then(|a| a.categories.as_ref())
                .is_some_and(|cs| !cs.is_empty())
    };
    if let Some((name, _)) = raw_allowances.0.iter().find(|(name, _)| !used(name)) {
        let in_use = raw_allowances
            .0
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| used(n));
        return fail(
            &format!("allowances.{name}"),
            false,
            format!(
                "no category counts against the allowance `{name}`{}: expected a category naming it (`allowance: {name}`) or the allowance listing its `categories`",
                did_you_mean(name, in_use)
            ),
        );
    }

    // Compliance and credits, over the metrics, priorities and categories.
    let select = |path: &str,
                  what: &str,
                  metric: &Option<String>,
                  priority: &Option<String>,
                  category: &Option<String>|
     -> Result<Selector, Error> {
        let Some(metric) = metric.clone() else {
            return Err(layers.error_at(
                path,
                true,
                format!(
                    "{what} has no `metric`: expected one of {}",
                    backticked(metric_names())
                ),
            ));
        };
        if !metric_names().any(|m| m == metric) {
            return Err(layers.error_at(
                &format!("{path}.metric"),
                true,
                format!(
                    "{what} counts the metric `{metric}`, which the contract does not have: expected one of {}{}",
                    backticked(metric_names()),
                    did_you_mean(&metric, metric_names())
                ),
            ));
        }
        if let Some(p) = priority
            && !priorities.contains(p)
        {
            let names = || priorities.iter().map(String::as_str);
            return Err(layers.error_at(
                &format!("{path}.priority"),
                true,
                if priorities.is_empty() {
                    format!(
                        "{what} selects the priority `{p}`, but the contract declares no `priorities`: expected `priorities: [{p}, …]`"
                    )
                } else {
                    format!(
                        "{what} selects the priority `{p}`, which is not one of the contract's: expected one of {}{}",
                        backticked(names()),
                        did_you_mean(p, names())
                    )
                },
            ));
        }
        if let Some(c) = category
            && !categories.keys().any(|id| category_matches(c, id))
        {
            // Ids and the prefixes they share (`error.*`).
            let mut names: Vec<String> = categories.keys().cloned().collect();
            names.extend(
                categories
                    .keys()
                    .filter_map(|id| id.split_once('.'))
                    .map(|(prefix, _)| format!("{prefix}.*")),
            );
            names.dedup();
            let ids = || names.iter().map(String::as_str);
            return Err(layers.error_at(
                &format!("{path}.category"),
                true,
                format!(
                    "{what} selects the category `{c}`, which matches none of the contract's categories: expected a category id or a prefix like `error.*`{}",
                    did_you_mean(c, ids())
                ),
            ));
        }
        Ok(Selector {
            metric,
            priority: priority.clone(),
            category: category.clone(),
        })
    };
    let mut compliance = Vec::new();
    for (i, c) in merged.compliance.iter().flatten().enumerate() {
        let path = format!("compliance.{i}");
        let what = format!("compliance entry {}", i + 1);
        let select = select(&path, &what, &c.metric, &c.priority, &c.category)?;
        let Some(at_least) = c.at_least else {
            return fail(
                &path,
                false,
                format!(
                    "{what} has no `at_least`: expected the share that must be met, like `at_least: 95%`"
                ),
            );
        };
        if c.credit.is_some() {
            needs_fee(
                &format!("{path}.credit"),
                &format!("{what} owes a share of the fee when missed, but"),
            )?;
        }
        compliance.push(ComplianceRule {
            select,
            at_least: at_least.0,
            credit: c.credit.map(|p| p.0),
            origin: layers.origin(&path),
        });
    }
    let mut credits = Vec::new();
    for (i, c) in merged.credits.iter().flatten().enumerate() {
        let path = format!("credits.{i}");
        let what = format!("credit entry {}", i + 1);
        let select = select(&path, &what, &c.metric, &c.priority, &c.category)?;
        let kind = match (c.per_breach, c.per_late, c.credit) {
            (Some(p), None, None) => CreditKind::PerBreach(p.0),
            (None, Some(step), Some(credit)) => {
                if step.seconds <= 0 && step.day_millis == 0 {
                    return fail(
                        &format!("{path}.per_late"),
                        true,
                        format!(
                            "expected a step of lateness longer than zero, like `30 calendar minutes`, found `{step}`"
                        ),
                    );
                }
                CreditKind::PerLate {
                    step,
                    credit: credit.0,
                }
            }
            (None, Some(_), None) => {
                return fail(
                    &path,
                    true,
                    format!(
                        "{what} has `per_late` but no `credit`: expected the share of the fee per started step, like `credit: 5%`"
                    ),
                );
            }
            (None, None, Some(_)) => {
                return fail(
                    &format!("{path}.credit"),
                    false,
                    format!(
                        "{what} has `credit` but no `per_late`: expected the step of lateness it pays for, like `per_late: 30 calendar minutes` (or `per_breach: 5%` alone)"
                    ),
                );
            }
            (Some(_), Some(_), _) | (Some(_), None, Some(_)) => {
                return fail(
                    &path,
                    true,
                    format!(
                        "{what} has both `per_breach` and `per_late`: expected one of them (write two entries for both)"
                    ),
                );
            }
            (None, None, None) => {
                return fail(
                    &path,
                    true,
                    format!(
                        "{what} says neither `per_breach` nor `per_late`: expected `per_breach: 5%`, or `per_late: 30 calendar minutes` with `credit: 5%`"
                    ),
                );
            }
        };
        needs_fee(
            &format!("{path}.metric"),
            &format!("{what} is a share of the fee, but"),
        )?;
        credits.push(CreditRule {
            select,
            kind,
            origin: layers.origin(&path),
        });
    }
    let credit_cap = merged.credit_cap.map(|p| p.0);
    if credit_cap.is_some() {
        needs_fee("credit_cap", "`credit_cap` is a share of the fee, but")?;
    }

    // warn_at, scripts.
    let mut hasher = Sha256::new();
    for l in layers.0.iter().rev() {
        hasher.update(l.path.as_bytes());
        hasher.update([0]);
        hasher.update(l.text.as_bytes());
        hasher.update([0]);
    }
    files.hash(&mut hasher);
    let scripts = merged.scripts.clone().unwrap_or_default();
    let mut sources = Vec::new();
    for (i, s) in scripts.iter().enumerate() {
        match loader.read_root(s) {
            Ok(Some(text)) => {
                hasher.update(s.as_bytes());
                hasher.update([0]);
                hasher.update(text.as_bytes());
                hasher.update([0]);
                sources.push((s.clone(), text));
            }
            Ok(None) => {
                let path = layers.0.iter().find_map(|l| {
                    l.raw
                        .scripts
                        .as_ref()?
                        .iter()
                        .position(|x| x == s)
                        .map(|j| format!("scripts.{j}"))
                });
                return fail(
                    &path.unwrap_or_else(|| format!("scripts.{i}")),
                    true,
                    format!(
                        "the script `{s}` does not exist: expected a file `{s}` next to the contracts directory"
                    ),
                );
            }
            Err(e) => {
                return Err(Error::Io {
                    path: s.clone(),
                    source: e,
                });
            }
        }
    }
    let limits = limits(&layers, merged.limits.clone().unwrap_or_default())?;
    let script_files: BTreeMap<String, String> = scripts
        .iter()
        .map(|s| (s.clone(), loader.display_root(s)))
        .collect();
    let script_set = if sources.is_empty() {
        None
    } else {
        let display = |p: &str| loader.display_root(p);
        Some(Arc::new(ScriptSet::compile(
            &sources, limits, &calendar, display,
        )?))
    };
    let digest = hasher.finalize();
    let revision: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();

    Ok(Contract {
        id: id.to_owned(),
        revision,
        title: merged.title.clone(),
        customer: merged.customer.clone(),
        extends,
        products: merged.products.clone().unwrap_or_default(),
        valid,
        calendar,
        calendars,
        priorities,
        default_priority,
        events,
        warn_at: merged.warn_at.map_or(0.75, |s| s.0),
        metrics,
        defaults,
        categories,
        allowances,
        fee,
        compliance,
        credits,
        credit_cap,
        scripts,
        holiday_files: files.paths(),
        sources: layers.0.iter().rev().map(|l| l.display.clone()).collect(),
        script_set,
        script_files,
    })
}

/// In a file that extends a template, a category the template chain lacks is new, and a
/// new category must say what it is: its `clause` and its `title`. Without them it is
/// most likely a misspelt category of the template, which would otherwise be added
/// silently while the template's real one keeps its targets.
fn check_new_categories(layers: &Layers, extends: &[String]) -> Result<(), Error> {
    for (i, layer) in layers.0.iter().enumerate() {
        let below = &layers.0[i + 1..];
        let (Some(template), Some(categories)) = (extends.get(i), &layer.raw.categories) else {
            continue;
        };
        let inherited = || {
            below
                .iter()
                .filter_map(|l| l.raw.categories.as_ref())
                .flat_map(|cs| cs.0.iter().map(|(k, _)| k.as_str()))
        };
        for (cid, c) in &categories.0 {
            if inherited().any(|k| k == cid) {
                continue;
            }
            let found = match (&c.clause, &c.title) {
                (Some(_), Some(_)) => continue,
                (None, None) => "neither",
                (Some(_), None) => "no `title`",
                (None, Some(_)) => "no `clause`",
            };
            let chain = if extends.len() > i + 1 {
                format!(
                    " (extending {})",
                    extends[i + 1..]
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                )
            } else {
                String::new()
            };
            return Err(layer.error_at(
                &format!("categories.{cid}"),
                false,
                format!(
                    "the template `{template}`{chain} has no category `{cid}`{}: a new category needs a `clause` and a `title`, found {found}",
                    did_you_mean(cid, inherited())
                ),
            ));
        }
    }
    Ok(())
}

/// The calendar `raw` describes, at `path` (`calendar`, `calendars.always`); its days off
/// were written at `days_off` (`path`, or `calendar` for a named one that takes them).
fn build_calendar(
    layers: &Layers,
    path: &str,
    cal: raw::RawCalendar,
    files: &mut holiday_files::HolidayFiles,
    days_off: &str,
) -> Result<Calendar, Error> {
    let fail = |at: &str, value: bool, msg: String| Err(layers.error_at(at, value, msg));
    let what = if path == "calendar" {
        "the calendar".to_owned()
    } else {
        format!("the calendar `{}`", path.trim_start_matches("calendars."))
    };
    let Some(zone) = cal.timezone else {
        return fail(
            path,
            false,
            format!("{what} has no `timezone`: expected an IANA name like `Europe/Moscow`"),
        );
    };
    let Some(week) = cal.week else {
        return fail(
            path,
            false,
            format!(
                "{what} has no `week`: expected opening windows like `week: {{ mon-fri: [\"09:00-18:00\"] }}`"
            ),
        );
    };
    let week: [Vec<Window>; 7] = week.0.map(Option::unwrap_or_default);
    let day_length = match cal.day_length {
        None => None,
        Some(d) if d.kind == DurationKind::Calendar || d.day_millis != 0 => {
            return fail(
                &format!("{path}.day_length"),
                true,
                format!("expected `day_length` in working hours or minutes like `8h`, found `{d}`"),
            );
        }
        Some(d) => Some(d.seconds),
    };
    let mut holidays: Vec<NaiveDate> = cal
        .holidays
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.0)
        .collect();
    let key = format!("{days_off}.holiday_files");
    holidays.extend(files.dates(layers, &key, &cal.holiday_files.unwrap_or_default())?);
    let mut exceptions = Vec::new();
    for (key, windows) in cal.exceptions.unwrap_or_default().0 {
        match raw::parse_date(&key) {
            Ok(d) => exceptions.push((d, windows.0)),
            Err(msg) => return fail(&format!("{path}.exceptions.{key}"), false, msg),
        }
    }
    Calendar::new(zone.0, week, holidays, exceptions, day_length)
        .map_err(|e| layers.error_at(path, false, e.0))
}

/// The script limits: the safe defaults, changed by `limits:`, never past the ceiling.
fn limits(layers: &Layers, raw: raw::RawLimits) -> Result<Limits, Error> {
    let mut l = Limits::default();
    let ceiling = Limits::CEILING;
    let fields: [(&str, Option<u64>, u64, &mut u64); 2] = [
        (
            "operations",
            raw.operations,
            ceiling.operations,
            &mut l.operations,
        ),
        ("millis", raw.millis, ceiling.millis, &mut l.millis),
    ];
    for (name, value, max, slot) in fields {
        if let Some(v) = value {
            if v == 0 || v > max {
                return Err(layers.error_at(
                    &format!("limits.{name}"),
                    true,
                    format!("expected `{name}` between 1 and {max}, found {v}"),
                ));
            }
            *slot = v;
        }
    }
    let sizes: [(&str, Option<u64>, usize, &mut usize); 7] = [
        (
            "call_levels",
            raw.call_levels,
            ceiling.call_levels,
            &mut l.call_levels,
        ),
        (
            "expr_depth",
            raw.expr_depth,
            ceiling.expr_depth,
            &mut l.expr_depth,
        ),
        (
            "string_size",
            raw.string_size,
            ceiling.string_size,
            &mut l.string_size,
        ),
        (
            "array_size",
            raw.array_size,
            ceiling.array_size,
            &mut l.array_size,
        ),
        ("map_size", raw.map_size, ceiling.map_size, &mut l.map_size),
        (
            "variables",
            raw.variables,
            ceiling.variables,
            &mut l.variables,
        ),
        (
            "functions",
            raw.functions,
            ceiling.functions,
            &mut l.functions,
        ),
    ];
    for (name, value, max, slot) in sizes {
        if let Some(v) = value {
            match usize::try_from(v) {
                Ok(v) if v >= 1 && v <= max => *slot = v,
                _ => {
                    return Err(layers.error_at(
                        &format!("limits.{name}"),
                        true,
                        format!("expected `{name}` between 1 and {max}, found {v}"),
                    ));
                }
            }
        }
    }
    Ok(l)
}

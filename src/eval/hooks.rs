//! The scripting side of the evaluation: the four hooks (`classify`, `targets`,
//! `findings`, `allowance`) and how their results are checked.

use super::{Evaluator, target};
use crate::contract::Contract;
use crate::duration::{Duration, DurationKind};
use crate::evaluation::{AllowanceUsage, Severity};
use crate::script::{HookResult, ScriptError};

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

    pub(super) fn classify(&mut self) -> Option<String> {
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
    pub(super) fn compute_targets(&mut self) {
        let c = self.contract;
        let metrics = &c.metrics;
        let stand = self.stand.clone();
        let priority = target::priority(c, &stand);
        for m in metrics {
            let choice = self.choice_at(&m.name, &stand);
            self.priority_findings(choice, stand.priority.as_deref());
            if self.changes.is_empty() {
                // Without changes the target at every instant is this one.
                let calendar = choice.calendar(c, self.category).0;
                self.choice_note(&m.name, choice, priority, calendar, None);
            }
            self.choices.push(choice);
            self.targets.push(choice.duration());
        }
        self.overridden = vec![false; metrics.len()];
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
                    self.overridden[index] = true;
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
            self.local(self.at),
            target::priority(self.contract, &self.stand).map(str::to_owned),
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
    pub(super) fn script_findings(&mut self) {
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
                if let Some(f) = self.findings.last_mut() {
                    f.script = Some(r.script.to_owned());
                }
            }
        }
        self.spare_results = results;
    }

    /// `allowance(ticket, usage)`: the scripts may change the usage (carry-over rules).
    pub(super) fn allowance_hook(&mut self, usage: AllowanceUsage) -> AllowanceUsage {
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

//! Which target a metric has for a ticket as it stands at an instant: the category's (or
//! the defaults'), for the ticket's priority, under its `when:` condition, on its
//! calendar; and the change that put it in force.

use super::Evaluator;
use super::state::Stand;
use crate::calendar::Calendar;
use crate::contract::{Category, Contract, Target, TargetRule};
use crate::duration::Duration;
use crate::evaluation::Severity;
use crate::ticket::Event;

/// The target a metric has, or why it has none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Choice<'c> {
    /// Neither the category nor the defaults name the metric.
    Unset,
    /// The contract removes the target (`none`).
    Removed(&'c Target),
    /// The target applies only when a field is true, and it is not.
    NotWhen(&'c Target, Duration, &'c str),
    /// The target depends on the priority and the ticket has none (nor a default).
    NoPriority(&'c TargetRule),
    /// The ticket's priority is not one the contract declares.
    UnknownPriority(&'c TargetRule),
    /// The priority has no entry and the map has no `else`.
    NoEntry(&'c TargetRule),
    /// The target applies; `by_priority` when it is the entry for the ticket's priority.
    Applies {
        target: &'c Target,
        by_priority: bool,
    },
}

impl<'c> Choice<'c> {
    /// The time allowed, when a target applies.
    pub(super) fn duration(self) -> Option<Duration> {
        match self {
            Choice::Applies { target, .. } => target.duration,
            _ => None,
        }
    }

    /// The calendar the metric counts on, with its name (`None` for the contract's own):
    /// the target's, the category's, or the contract's.
    pub(super) fn calendar(
        self,
        contract: &'c Contract,
        category: Option<&'c Category>,
    ) -> (Option<&'c str>, &'c Calendar) {
        match self {
            Choice::Applies { target, .. } => contract.calendar_of(target, category),
            _ => {
                let name = category.and_then(|c| c.calendar.as_deref());
                (name, contract.calendar_named(name))
            }
        }
    }
}

/// The priority in force: the ticket's, else the contract's `default_priority`.
pub(super) fn priority<'s>(contract: &'s Contract, stand: &'s Stand<'_>) -> Option<&'s str> {
    stand
        .priority
        .as_deref()
        .or(contract.default_priority.as_deref())
}

/// The target of `metric` for a ticket of `category` as it stands.
pub(super) fn choose<'c>(
    contract: &'c Contract,
    category: Option<&'c Category>,
    metric: &str,
    stand: &Stand<'_>,
) -> Choice<'c> {
    let rule = match category {
        Some(cat) => cat.targets.get(metric),
        None => contract.defaults.get(metric),
    };
    let Some(rule) = rule else {
        return Choice::Unset;
    };
    let by_priority = matches!(rule, TargetRule::ByPriority { .. });
    let target = match rule {
        TargetRule::Fixed(t) => t,
        TargetRule::ByPriority { .. } => {
            let Some(p) = priority(contract, stand) else {
                return Choice::NoPriority(rule);
            };
            if !contract.priorities.iter().any(|d| d == p) {
                return Choice::UnknownPriority(rule);
            }
            match rule.for_priority(p) {
                Some(t) => t,
                None => return Choice::NoEntry(rule),
            }
        }
    };
    let Some(duration) = target.duration else {
        return Choice::Removed(target);
    };
    if let Some(field) = target.when.as_deref()
        && !stand.flag(field)
    {
        return Choice::NotWhen(target, duration, field);
    }
    Choice::Applies {
        target,
        by_priority,
    }
}

/// How a changed field and its new value read in the trace: `` `priority` to `urgent` ``.
fn change_text(e: &Event) -> String {
    let to = match &e.to {
        None | Some(serde_json::Value::Null) => "nothing".to_owned(),
        Some(serde_json::Value::String(s)) => format!("`{s}`"),
        Some(v) => format!("`{v}`"),
    };
    format!("`{}` to {to}", e.field.as_deref().unwrap_or_default())
}

impl<'a> Evaluator<'a> {
    /// The category for the ticket as it stands: the script's choice when one decided it,
    /// else the ticket's (changed) category.
    pub(super) fn category_at(&self, stand: &Stand<'_>) -> Option<&'a Category> {
        if self.classified {
            return self.category;
        }
        stand
            .category
            .as_deref()
            .and_then(|id| self.contract.category(id))
    }

    /// The target of `metric` for the ticket as it stands.
    pub(super) fn choice_at(&self, metric: &str, stand: &Stand<'_>) -> Choice<'a> {
        choose(self.contract, self.category_at(stand), metric, stand)
    }

    /// The target in force at `until`, the last change (at or before it) that changed
    /// the target, and the ticket as it stands then, walking the ticket's changes.
    pub(super) fn choice_until(
        &self,
        metric: &str,
        until: chrono::DateTime<chrono::Utc>,
    ) -> (Choice<'a>, Option<&'a Event>, Stand<'a>) {
        let mut stand = Stand::initial(self.ticket);
        let mut choice = self.choice_at(metric, &stand);
        let mut setter = None;
        for &(e, field) in &self.changes {
            if e.at.to_utc() > until {
                break;
            }
            stand.apply(e, field);
            let next = self.choice_at(metric, &stand);
            let calendar = |c: Choice<'a>| c.calendar(self.contract, self.category_at(&stand)).0;
            if next.duration() != choice.duration() || calendar(next) != calendar(choice) {
                setter = Some(e);
            }
            choice = next;
        }
        (choice, setter, stand)
    }

    /// Records findings for a choice that cannot apply because of the priority, once
    /// per evaluation.
    pub(super) fn priority_findings(&mut self, choice: Choice<'_>, stand_priority: Option<&str>) {
        let c = self.contract;
        match choice {
            Choice::NoPriority(_) if !self.has_finding("no_priority") => self.find(
                Severity::Warning,
                "no_priority",
                "the ticket has no priority and the contract sets no `default_priority`: targets by priority do not apply".into(),
            ),
            Choice::UnknownPriority(_) if !self.has_finding("unknown_priority") => {
                let p = stand_priority.unwrap_or_default();
                self.find(
                    Severity::Error,
                    "unknown_priority",
                    format!(
                        "the priority `{p}` is not one of contract {}: expected one of {}{}; targets by priority do not apply",
                        c.id,
                        crate::suggest::backticked(c.priorities.iter().map(String::as_str)),
                        crate::suggest::did_you_mean(p, c.priorities.iter().map(String::as_str))
                    ),
                );
            }
            _ => {}
        }
    }

    /// The trace line for a metric's target.
    pub(super) fn choice_note(
        &mut self,
        metric: &str,
        choice: Choice<'_>,
        priority: Option<&str>,
        calendar: Option<&str>,
        setter: Option<&Event>,
    ) {
        if self.explain.is_none() {
            return;
        }
        let p = priority.unwrap_or_default();
        let mut text = match choice {
            Choice::Unset => "no target for this category".to_owned(),
            Choice::Removed(t) => format!("no target: removed at {}", t.origin),
            Choice::NotWhen(t, duration, field) => format!(
                "no target: {duration} (set at {}) applies only when `fields.{field}` is true, and it is not",
                t.origin
            ),
            Choice::NoPriority(r) => format!(
                "no target: the target (set at {}) depends on the priority, and the ticket has none",
                r.origin()
            ),
            Choice::UnknownPriority(r) => format!(
                "no target: the target (set at {}) depends on the priority, and `{p}` is not one of the contract's",
                r.origin()
            ),
            Choice::NoEntry(r) => format!(
                "no target for priority `{p}`: the targets by priority (set at {}) name no `{p}` and no `else`",
                r.origin()
            ),
            Choice::Applies {
                target: t,
                by_priority,
            } => {
                let cond = t
                    .when
                    .as_deref()
                    .map(|f| format!(", because `fields.{f}` is true"))
                    .unwrap_or_default();
                let by = match by_priority {
                    true => format!(" for priority `{p}`"),
                    false => String::new(),
                };
                let d = t.duration.map(|d| d.to_string()).unwrap_or_default();
                format!("target {d}{by}, set at {}{cond}", t.origin)
            }
        };
        if let Some(name) = calendar {
            text.push_str(&format!(", counted on the calendar `{name}`"));
        }
        if let Some(e) = setter {
            text.push_str(&format!(
                "; in force since the change of {} at {}",
                change_text(e),
                self.show(e.at.to_utc())
            ));
        }
        self.note(metric, |_| text);
    }

    fn has_finding(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

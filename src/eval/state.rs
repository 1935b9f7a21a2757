//! The ticket as it stands at an instant: its own category, priority, product and fields,
//! with the `changed` events up to that instant applied.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::ticket::{Event, EventKind, Ticket};

/// What a `changed` event changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field<'a> {
    Priority,
    Category,
    Product,
    /// `fields.NAME`.
    Custom(&'a str),
}

impl<'a> Field<'a> {
    /// The field a `changed` event names, if it is one a change may name.
    pub(crate) fn parse(name: &'a str) -> Option<Field<'a>> {
        match name {
            "priority" => Some(Field::Priority),
            "category" => Some(Field::Category),
            "product" => Some(Field::Product),
            _ => name
                .strip_prefix("fields.")
                .filter(|n| !n.is_empty())
                .map(Field::Custom),
        }
    }
}

/// The fields a `changed` event may name, for messages.
pub(crate) const CHANGEABLE: &str = "`priority`, `category`, `product` or `fields.NAME`";

/// A scalar as text (`null` is no value).
fn text(v: &serde_json::Value) -> Option<Cow<'_, str>> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(Cow::Borrowed(s)),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// The `changed` events of a ticket (sorted, none after the evaluation instant) that name
/// a field a change may name.
pub(crate) fn changes<'a>(events: &[&'a Event]) -> Vec<(&'a Event, Field<'a>)> {
    events
        .iter()
        .filter(|e| e.kind == EventKind::Changed)
        .filter_map(|e| Some((*e, Field::parse(e.field.as_deref()?)?)))
        .collect()
}

/// The ticket as it stands at an instant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stand<'a> {
    pub(crate) category: Option<Cow<'a, str>>,
    pub(crate) priority: Option<Cow<'a, str>>,
    pub(crate) product: Option<Cow<'a, str>>,
    /// Fields changed by events, last change last.
    fields: Vec<(&'a str, &'a serde_json::Value)>,
    ticket: &'a Ticket,
    /// The change that took effect last, if any.
    pub(crate) last_change: Option<&'a Event>,
}

impl<'a> Stand<'a> {
    /// The ticket as registered.
    pub(crate) fn initial(ticket: &'a Ticket) -> Self {
        Stand {
            category: ticket.category.as_deref().map(Cow::Borrowed),
            priority: ticket.priority.as_deref().map(Cow::Borrowed),
            product: ticket.product.as_deref().map(Cow::Borrowed),
            fields: Vec::new(),
            ticket,
            last_change: None,
        }
    }

    /// The ticket at `t`: the changes at or before `t` applied in order.
    pub(crate) fn at(
        ticket: &'a Ticket,
        changes: &[(&'a Event, Field<'a>)],
        t: DateTime<Utc>,
    ) -> Self {
        let mut s = Stand::initial(ticket);
        for (e, f) in changes {
            if e.at.to_utc() > t {
                break;
            }
            s.apply(e, *f);
        }
        s
    }

    /// Applies one change.
    pub(crate) fn apply(&mut self, e: &'a Event, field: Field<'a>) {
        let value = e.to.as_ref().unwrap_or(&serde_json::Value::Null);
        match field {
            Field::Priority => self.priority = text(value),
            Field::Category => self.category = text(value),
            Field::Product => self.product = text(value),
            Field::Custom(name) => self.fields.push((name, value)),
        }
        self.last_change = Some(e);
    }

    /// Whether `fields.<name>` is the boolean `true` at this instant.
    pub(crate) fn flag(&self, name: &str) -> bool {
        match self.fields.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => matches!(v, serde_json::Value::Bool(true)),
            None => self.ticket.flag(name),
        }
    }

    /// The ticket's fields at this instant (changes applied), for scripts.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&'a str, &'a serde_json::Value)> + '_ {
        let changed = |n: &str| self.fields.iter().any(|(m, _)| *m == n);
        self.ticket
            .fields
            .iter()
            .filter(move |(n, _)| !changed(n))
            .map(|(n, v)| (n.as_str(), v))
            .chain(
                self.fields
                    .iter()
                    .enumerate()
                    .filter(|(i, (n, _))| !self.fields[i + 1..].iter().any(|(m, _)| m == n))
                    .map(|(_, (n, v))| (*n, *v)),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(text: &str) -> Ticket {
        Ticket::from_str_named(text, "t.yaml").unwrap()
    }

    #[test]
    fn changes_apply_from_their_instant_on() {
        let t = ticket(
            r#"
id: T-1
customer: c
category: a
priority: normal
registered: 2026-03-02T09:00:00Z
fields: { outage: false, team: x }
events:
  - { at: 2026-03-02T10:00:00Z, kind: changed, field: priority, to: urgent }
  - { at: 2026-03-02T11:00:00Z, kind: changed, field: fields.outage, to: true }
  - { at: 2026-03-02T12:00:00Z, kind: changed, field: category, to: null }
  - { at: 2026-03-02T13:00:00Z, kind: changed, field: fields.outage, to: false }
"#,
        );
        let events: Vec<&Event> = t.events.iter().collect();
        let changes = changes(&events);
        let at = |h: u32| {
            Stand::at(
                &t,
                &changes,
                format!("2026-03-02T{h:02}:00:00Z").parse().unwrap(),
            )
        };
        assert_eq!(at(9).priority.as_deref(), Some("normal"));
        assert!(at(9).last_change.is_none());
        assert_eq!(at(10).priority.as_deref(), Some("urgent"));
        assert!(!at(10).flag("outage"));
        assert!(at(11).flag("outage"));
        assert_eq!(at(11).category.as_deref(), Some("a"));
        assert_eq!(at(12).category, None);
        assert!(!at(13).flag("outage"));
        let fields: Vec<(&str, String)> =
            at(13).fields().map(|(n, v)| (n, v.to_string())).collect();
        assert_eq!(
            fields,
            [("team", "\"x\"".into()), ("outage", "false".into())]
        );
    }

    #[test]
    fn only_fields_a_change_may_name_are_changes() {
        assert_eq!(Field::parse("priority"), Some(Field::Priority));
        assert_eq!(Field::parse("fields.sev"), Some(Field::Custom("sev")));
        assert_eq!(Field::parse("fields."), None);
        assert_eq!(Field::parse("summary"), None);
    }
}

//! Zammad: saved ticket pages (`/api/v1/tickets?expand=true`, an array of tickets),
//! ticket histories (`/api/v1/ticket_history/ID`, `{"history": [...], "assets": {...}}`),
//! article pages (`/api/v1/ticket_articles/by_ticket/ID`, an array of articles) and time
//! accounting pages (`/api/v1/tickets/ID/time_accountings`, an array of entries). The
//! last three name their ticket by its `id` (`o_id`, `ticket_id`).
//!
//! How a ticket becomes a slaengine ticket:
//!
//! * `id` is the ticket's `number` (its `id` when it has none); `registered` is
//!   `created_at`; `summary` is `title`; `fields` keeps `zammad_state` and Zammad's own
//!   SLA figures (`first_response_at`, `close_at`, the `*_escalation_at` times, as
//!   `zammad_NAME`) for comparison only: they are never evaluated.
//! * `customer` comes from `organization` lowercased, `priority` from `priority` (`2
//!   normal` becomes `normal`), unless the mapping says otherwise; `category` and
//!   `product` only from the mapping. Each is the value at creation; a later change in
//!   the history of `priority` or of the attribute `category`/`product` are taken from is
//!   a `changed` event.
//! * `assigned`: the owner at creation, which the history leaves out (the first owner
//!   change's `value_from`, or the ticket's `owner` when it never changed), at the
//!   creation time; then every change to a new owner (owner `-`, id 1, is nobody). A
//!   change while the ticket is resolved is kept as a `comment`.
//! * `paused`/`resumed`: entering and leaving a pending state (`pending reminder`,
//!   `pending close`) or one of the mapping's `statuses.paused`.
//! * `resolved`/`reopened`: entering and leaving `closed` or one of the mapping's
//!   `statuses.resolved`; moving between two of them is not a second resolution.
//!   `merged` and `removed` are not resolutions.
//! * Articles: internal ones are `comment`, the customer's (`sender: Customer`)
//!   `customer_replied`, other agents' `replied`; system articles (triggers, auto
//!   replies) are `comment`.
//! * `worklog`: each time accounting at its `created_at`, by its `created_by_id`, its
//!   `time_unit` in the unit the mapping's `time_unit_minutes` gives (one unit is a
//!   minute unless it says otherwise).
//!
//! People are named from the `assets.User` of the history pages (first and last name,
//! else login), else as `user ID`; user 1 is Zammad itself and names no one. A ticket without an id or a readable creation time,
//! or a time or time unit that cannot be read, is an error naming the file, the ticket
//! and the field.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::{Mapping, Page, Rule, lookup, parse_time, record_error, text_of};
use crate::error::InputError;
use crate::ticket::{Event, EventKind, Ticket};

/// State names that pause the clock in every Zammad (its pending state types).
const PAUSED: [&str; 2] = ["pending reminder", "pending close"];
/// State names that resolve the request (the `closed` state type).
const RESOLVED: [&str; 1] = ["closed"];

/// The default source of the customer.
const CUSTOMER_FROM: &str = "organization";
/// The default source of the priority.
const PRIORITY_FROM: &str = "priority";
/// Zammad's own SLA figures, kept in `fields` for comparison.
const SLA_FIGURES: [&str; 7] = [
    "first_response_at",
    "first_response_escalation_at",
    "close_at",
    "close_escalation_at",
    "update_escalation_at",
    "escalation_at",
    "pending_time",
];

/// One record and the file it came from.
type Record<'a> = (&'a str, &'a Value);

/// The records of one ticket found in history, article and time accounting pages.
#[derive(Default)]
struct Related<'a> {
    history: Vec<Record<'a>>,
    articles: Vec<Record<'a>>,
    time: Vec<Record<'a>>,
}

/// What an item of an array page is.
fn is_ticket(v: &Value) -> bool {
    v.get("ticket_id").is_none()
        && ["number", "state_id", "state", "title"]
            .iter()
            .any(|k| v.get(*k).is_some())
}

/// Turns Zammad pages into tickets (see the module's documentation).
pub fn import(pages: &[Page<'_>], mapping: &Mapping) -> Vec<Result<Ticket, InputError>> {
    let mut out = Vec::new();
    let mut parsed = Vec::new();
    for page in pages {
        match super::parse_page(page) {
            Ok(v) => parsed.push((page.file, v)),
            Err(e) => out.push(Err(e)),
        }
    }
    let mut tickets: Vec<Record<'_>> = Vec::new();
    let mut related: HashMap<String, Related<'_>> = HashMap::new();
    let mut users: HashMap<String, String> = HashMap::new();
    let mut seen = HashSet::new();
    for (file, v) in &parsed {
        match v {
            Value::Array(items) => {
                for item in items {
                    if is_ticket(item) {
                        tickets.push((file, item));
                        continue;
                    }
                    let ticket = item.get("ticket_id").and_then(text_of).unwrap_or_default();
                    let is_time = item.get("time_unit").is_some() && item.get("sender").is_none();
                    // Overlapping pages hold the same entry twice.
                    let id = item.get("id").and_then(text_of);
                    if let Some(id) = id
                        && !seen.insert((is_time, ticket.clone(), id))
                    {
                        continue;
                    }
                    let r = related.entry(ticket).or_default();
                    if is_time {
                        r.time.push((file, item));
                    } else {
                        r.articles.push((file, item));
                    }
                }
            }
            Value::Object(o) if matches!(o.get("history"), Some(Value::Array(_))) => {
                if let Some(Value::Object(people)) = lookup(v, "assets.User") {
                    for (id, u) in people {
                        if let Some(name) = user_name(u) {
                            users.insert(id.clone(), name);
                        }
                    }
                }
                if let Some(Value::Array(entries)) = o.get("history") {
                    for h in entries {
                        if h.get("object").and_then(Value::as_str) != Some("Ticket") {
                            continue;
                        }
                        let ticket = h.get("o_id").and_then(text_of).unwrap_or_default();
                        let id = h.get("id").and_then(text_of);
                        if let Some(id) = id
                            && !seen.insert((false, format!("history {ticket}"), id))
                        {
                            continue;
                        }
                        related.entry(ticket).or_default().history.push((file, h));
                    }
                }
            }
            _ => {
                let kind = super::looks_like(v).filter(|k| *k != "zammad");
                out.push(Err(super::wrong_source(file, kind, "zammad")));
            }
        }
    }
    // The same ticket in two pages: the later page's copy is the newer.
    let mut order: Vec<String> = Vec::new();
    let mut latest: HashMap<String, Record<'_>> = HashMap::new();
    for (i, (file, t)) in tickets.iter().enumerate() {
        let Some(id) = t.get("id").and_then(text_of) else {
            out.push(Err(record_error(
                file,
                &format!("number {} of the page", i + 1),
                "id",
                "missing: every ticket needs its id",
            )));
            continue;
        };
        if latest.insert(id.clone(), (file, t)).is_none() {
            order.push(id);
        }
    }
    let empty = Related::default();
    for id in &order {
        let Some(&(file, t)) = latest.get(id) else {
            continue;
        };
        let r = related.get(id).unwrap_or(&empty);
        out.push(ticket(file, id, t, r, &users, mapping));
    }
    let mut orphans: Vec<_> = related
        .iter()
        .filter(|(id, _)| !latest.contains_key(*id))
        .collect();
    orphans.sort_by(|a, b| a.0.cmp(b.0));
    for (id, r) in orphans {
        let file = r
            .history
            .iter()
            .chain(&r.articles)
            .chain(&r.time)
            .next()
            .map_or("", |(f, _)| f);
        out.push(Err(InputError::new(format!(
            "{file}: records of the ticket with id `{id}`: no ticket with that id in the ticket pages given: add the page that holds it (`/api/v1/tickets?expand=true`)"
        ))));
    }
    out
}

/// A user's name from the `assets.User` of a history page.
fn user_name(u: &Value) -> Option<String> {
    let part = |k: &str| u.get(k).and_then(Value::as_str).unwrap_or("").trim();
    let full = format!("{} {}", part("firstname"), part("lastname"));
    let full = full.trim();
    if !full.is_empty() {
        return Some(full.to_owned());
    }
    let login = part("login");
    (!login.is_empty()).then(|| login.to_owned())
}

/// Whether `name` is one of `names`, without regard to case.
fn among<'a>(name: &str, mut names: impl Iterator<Item = &'a str>) -> bool {
    names.any(|n| n.eq_ignore_ascii_case(name))
}

/// The owner named by a history value or a ticket's owner: `None` for nobody.
fn owner(
    id: Option<&Value>,
    name: Option<&Value>,
    users: &HashMap<String, String>,
) -> Option<String> {
    let id = id.and_then(text_of);
    if id.as_deref() == Some("1") {
        return None;
    }
    if let Some(name) = id.as_ref().and_then(|i| users.get(i)) {
        return Some(name.clone());
    }
    let name = name.and_then(text_of).filter(|n| !n.is_empty() && n != "-");
    name.or_else(|| id.map(|i| format!("user {i}")))
}

/// A Zammad priority name as slaengine writes it: `2 normal` becomes `normal`.
fn priority_name(name: &str) -> String {
    let name = name.trim();
    let name = match name.split_once(' ') {
        Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => name,
    };
    name.to_lowercase()
}

/// One change of the history.
struct Change {
    at: DateTime<FixedOffset>,
    by: Option<String>,
    attribute: String,
    id_from: Option<Value>,
    id_to: Option<Value>,
    from: Option<String>,
    to: Option<String>,
}

/// The ticket with the id `id` of `file` and its related records.
fn ticket(
    file: &str,
    id: &str,
    t: &Value,
    r: &Related<'_>,
    users: &HashMap<String, String>,
    mapping: &Mapping,
) -> Result<Ticket, InputError> {
    let key = t
        .get("number")
        .and_then(text_of)
        .unwrap_or_else(|| id.to_owned());
    let fail = |field: &str, message: &str| record_error(file, &key, field, message);
    let zone = mapping.timezone;
    let time = |v: Option<&Value>| -> Result<DateTime<FixedOffset>, String> {
        match v.and_then(Value::as_str) {
            Some(text) => parse_time(text, zone),
            None => Err("missing: expected a time like `2021-06-01T11:57:17.935Z`".to_owned()),
        }
    };
    let registered = time(t.get("created_at")).map_err(|m| fail("created_at", &m))?;
    // User 1 is Zammad itself (its triggers and schedulers).
    let person = |v: Option<&Value>| {
        v.and_then(text_of).filter(|i| i != "1").map(|i| {
            users
                .get(&i)
                .cloned()
                .unwrap_or_else(|| format!("user {i}"))
        })
    };

    // The history, oldest first.
    let mut history = Vec::new();
    for (hfile, h) in &r.history {
        if h.get("type").and_then(Value::as_str) != Some("updated") {
            continue;
        }
        let hid = h.get("id").and_then(text_of).unwrap_or_default();
        let at = time(h.get("created_at")).map_err(|m| {
            InputError::new(format!(
                "{hfile}: history entry `{hid}` of ticket `{key}`: created_at: {m}"
            ))
        })?;
        history.push(Change {
            at,
            by: person(h.get("created_by_id")),
            attribute: h.get("attribute").and_then(text_of).unwrap_or_default(),
            id_from: h.get("id_from").cloned(),
            id_to: h.get("id_to").cloned(),
            from: h.get("value_from").and_then(text_of),
            to: h.get("value_to").and_then(text_of),
        });
    }
    history.sort_by_key(|h| h.at);
    let first = |attribute: &str| history.iter().find(|h| h.attribute == attribute);
    let value_at_creation = |path: &str| -> Option<String> {
        match first(path) {
            Some(h) => h.from.clone(),
            None => lookup(t, path).and_then(text_of),
        }
    };

    let default_rule = Rule::default();
    let customer = super::customer(mapping, CUSTOMER_FROM, |p| lookup(t, p).and_then(text_of), super::lowercase)
        .map_err(|from| fail(from, "missing, so the customer is unknown: give the mapping's `customer` a `default` or another `from` (save the tickets with `expand=true` for the organization's name)"))?;
    let mapped = super::mapped_fields(mapping, &default_rule, PRIORITY_FROM, priority_name);
    let mut initial = super::initial_values(&mapped, value_at_creation);

    let is_resolved = |name: &str| {
        among(name, RESOLVED.into_iter())
            || among(name, mapping.statuses.resolved.iter().map(String::as_str))
    };
    let is_paused = |name: &str| {
        among(name, PAUSED.into_iter())
            || among(name, mapping.statuses.paused.iter().map(String::as_str))
    };

    let mut events = Vec::new();
    let current_state = t.get("state").and_then(text_of);
    let initial_state = match first("state") {
        Some(h) => h.from.clone(),
        None => current_state.clone(),
    };
    let initial_owner = match first("owner") {
        Some(h) => owner(h.id_from.as_ref(), None, users)
            .or_else(|| h.from.clone().filter(|n| !n.is_empty() && n != "-")),
        None => owner(t.get("owner_id"), t.get("owner"), users),
    };
    if let Some(engineer) = initial_owner {
        let mut e = Event::new(registered, EventKind::Assigned);
        e.engineer = Some(engineer);
        e.note = Some("assigned at creation".into());
        events.push(e);
    }
    let mut paused = false;
    let mut resolved = false;
    if let Some(state) = &initial_state {
        for (now, kind, flag) in [
            (is_paused(state), EventKind::Paused, &mut paused),
            (is_resolved(state), EventKind::Resolved, &mut resolved),
        ] {
            if now {
                *flag = true;
                let mut e = Event::new(registered, kind);
                e.note = Some(format!("created in state {state}"));
                events.push(e);
            }
        }
    }

    for h in &history {
        let event = |kind: EventKind| {
            let mut e = Event::new(h.at, kind);
            e.by = h.by.clone();
            e
        };
        if h.attribute == "state" {
            let to = h.to.as_deref().unwrap_or_default();
            let note = format!("state {} → {to}", h.from.as_deref().unwrap_or("(none)"));
            let (now_paused, now_resolved) = (is_paused(to), is_resolved(to));
            let mut changes = Vec::new();
            if paused && !now_paused {
                changes.push(EventKind::Resumed);
            }
            if resolved && !now_resolved {
                changes.push(EventKind::Reopened);
            }
            if !paused && now_paused {
                changes.push(EventKind::Paused);
            }
            if !resolved && now_resolved {
                changes.push(EventKind::Resolved);
            }
            for kind in changes {
                let mut e = event(kind);
                e.note = Some(note.clone());
                events.push(e);
            }
            paused = now_paused;
            resolved = now_resolved;
        } else if h.attribute == "owner" {
            let name = owner(h.id_to.as_ref(), None, users)
                .or_else(|| h.to.clone().filter(|n| !n.is_empty() && n != "-"));
            let nobody = h.id_to.as_ref().and_then(text_of).as_deref() == Some("1");
            let Some(to) = name.filter(|_| !nobody) else {
                continue;
            };
            if resolved {
                let mut e = event(EventKind::Comment);
                e.note = Some(format!("assigned to {to} after resolution"));
                events.push(e);
            } else {
                let mut e = event(EventKind::Assigned);
                e.engineer = Some(to);
                events.push(e);
            }
        }
        for (name, rule, path, fallback) in &mapped {
            if !path.is_empty() && h.attribute == *path {
                let mut e = event(EventKind::Changed);
                e.field = Some((*name).to_owned());
                e.to = Some(
                    rule.apply(h.to.as_deref(), fallback)
                        .map_or(Value::Null, Value::String),
                );
                events.push(e);
            }
        }
    }

    // Articles.
    for (afile, a) in &r.articles {
        let aid = a.get("id").and_then(text_of).unwrap_or_default();
        let at = time(a.get("created_at")).map_err(|m| {
            InputError::new(format!(
                "{afile}: article `{aid}` of ticket `{key}`: created_at: {m}"
            ))
        })?;
        let sender = a.get("sender").and_then(text_of).unwrap_or_default();
        let kind = if a.get("internal").and_then(Value::as_bool) == Some(true) {
            EventKind::Comment
        } else if sender.eq_ignore_ascii_case("customer") {
            EventKind::CustomerReplied
        } else if sender.eq_ignore_ascii_case("agent") {
            EventKind::Replied
        } else {
            EventKind::Comment
        };
        let mut e = Event::new(at, kind);
        e.by = a
            .get("created_by_id")
            .and_then(text_of)
            .and_then(|i| users.get(&i).cloned())
            .or_else(|| a.get("from").and_then(text_of));
        let text = a
            .get("body")
            .and_then(text_of)
            .map(|b| b.trim().to_owned())
            .unwrap_or_default();
        e.note = (!text.is_empty()).then_some(text);
        events.push(e);
    }

    // Time accountings.
    let minutes = mapping.time_unit_minutes.unwrap_or(1.0);
    for (tfile, w) in &r.time {
        let wid = w.get("id").and_then(text_of).unwrap_or_default();
        let wfail = |field: &str, message: &str| {
            InputError::new(format!(
                "{tfile}: time accounting `{wid}` of ticket `{key}`: {field}: {message}"
            ))
        };
        let at = time(w.get("created_at")).map_err(|m| wfail("created_at", &m))?;
        let units = w
            .get("time_unit")
            .and_then(text_of)
            .and_then(|u| u.trim().parse::<f64>().ok());
        let Some(units) = units.filter(|u| *u > 0.0 && u.is_finite()) else {
            return Err(wfail(
                "time_unit",
                "expected a positive number (like `\"1.5\"`) of the units time is accounted in",
            ));
        };
        let hours = units * minutes / 60.0;
        let mut e = Event::new(at, EventKind::Worklog);
        // Hours to four places, but never rounded down to none.
        let rounded = (hours * 10_000.0).round() / 10_000.0;
        e.hours = Some(if rounded > 0.0 { rounded } else { hours });
        e.engineer = person(w.get("created_by_id"));
        events.push(e);
    }
    events.sort_by_key(|e| e.at);

    let mut fields = BTreeMap::new();
    if let Some(s) = current_state {
        fields.insert("zammad_state".to_owned(), Value::String(s));
    }
    for name in SLA_FIGURES {
        if let Some(v) = t.get(name).filter(|v| !v.is_null()) {
            fields.insert(format!("zammad_{name}"), v.clone());
        }
    }
    Ok(Ticket {
        id: key.clone(),
        customer,
        product: initial.remove("product").flatten(),
        category: initial.remove("category").flatten(),
        priority: initial.remove("priority").flatten(),
        summary: t.get("title").and_then(text_of).unwrap_or_default(),
        registered,
        fields,
        attachments: Vec::new(),
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_and_people_are_named() {
        assert_eq!(priority_name("3 high"), "high");
        assert_eq!(priority_name("Urgent"), "urgent");
        let users = HashMap::from([("7".to_owned(), "Olga Petrova".to_owned())]);
        let id = |n: u64| Value::from(n);
        assert_eq!(owner(Some(&id(1)), None, &users), None);
        assert_eq!(
            owner(Some(&id(7)), Some(&Value::from("olga")), &users),
            Some("Olga Petrova".into())
        );
        assert_eq!(owner(None, Some(&Value::from("-")), &users), None);
        assert_eq!(owner(Some(&id(9)), None, &users), Some("user 9".into()));
    }

    #[test]
    fn array_items_are_told_apart() {
        assert!(is_ticket(&serde_json::json!({"id": 1, "number": "31001"})));
        assert!(!is_ticket(
            &serde_json::json!({"id": 2, "ticket_id": 1, "time_unit": "1.0"})
        ));
        assert!(!is_ticket(
            &serde_json::json!({"id": 3, "ticket_id": 1, "sender": "Agent"})
        ));
    }
}

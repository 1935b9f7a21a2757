//! Zendesk Support: saved incremental ticket export pages (`{"tickets": [...],
//! "after_cursor": ..., "end_of_stream": ...}`, or one ticket `{"ticket": {...}}`),
//! ticket audit pages (`{"audits": [...]}`, linked to their ticket by `ticket_id`),
//! ticket metric-event pages (`{"ticket_metric_events": [...]}`), and optionally the
//! ticket field list (`{"ticket_fields": [...]}`) and user lists (`{"users": [...]}`, or
//! `include=users` on the other pages) that give names to field and user ids.
//!
//! How a ticket becomes a slaengine ticket:
//!
//! * `id` is the ticket's number (`35436`); `registered` is `created_at`; `summary` is
//!   `subject`; `fields` keeps `zendesk_status` and `zendesk_type` for reference.
//! * `customer` comes from `organization_id`, `priority` from `priority`, unless the
//!   mapping says otherwise; `category` and `product` only from the mapping. A path
//!   `custom_fields.ID` names the custom field with that id. Each is the value the ticket
//!   had when it was created (the audits' `Create` event, or the first `Change`'s
//!   `previous_value`); a later `Change` of a mapped field is a `changed` event.
//! * `assigned`: the assignee set at creation (the `Create` event of `assignee_id`), at
//!   the creation time; then every `Change` to a new assignee. A change while the ticket
//!   is resolved is kept as a `comment`, since work on a resolved request is not assigned.
//! * `paused`/`resumed`: entering and leaving `pending` or `hold` (and the mapping's
//!   `statuses.paused`).
//! * `resolved`/`reopened`: entering and leaving `solved` or `closed` (and the mapping's
//!   `statuses.resolved`). Solved → closed is not a second resolution.
//! * Comments (audit `Comment` events): private ones (`public: false`) are `comment`,
//!   the requester's `customer_replied`, other public ones (an agent's) `replied`. The
//!   first comment of the creating audit is the request itself, not a reply, and is left
//!   out.
//! * `worklog`: Zendesk has no time entries of its own; the Time Tracking app keeps a
//!   custom field "Total time spent (sec)". Its id is read from a saved ticket field list
//!   (`/api/v2/ticket_fields.json`, the field of that title); each increase of the field
//!   in the audits is a worklog of the increase in hours, by the audit's author. A
//!   decrease (an entry corrected or removed) cannot be expressed and is left out.
//!   Without the field list no worklogs are read.
//! * Zendesk's own SLA clock (the metric events) is kept in `fields` as
//!   `zendesk_metric_events` for comparison; it is never used by the evaluation.
//!
//! People are named by their name when a user list is given, else by their user id.
//! Custom statuses (`custom_status_id`) are not read: the status category (`status`)
//! they belong to is. A ticket without an id or a readable creation time, or a time
//! that cannot be read, is an error naming the file, the ticket and the field. Audits
//! of a ticket that no ticket page holds are an error; metric events of such a ticket
//! are ignored (the export holds every ticket's).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::{Mapping, Page, Rule, lookup, parse_time, record_error, text_of};
use crate::error::InputError;
use crate::ticket::{Event, EventKind, Ticket};

/// Statuses in which the ticket waits (the clock pauses).
const PAUSED: [&str; 2] = ["pending", "hold"];
/// Statuses in which the ticket is resolved.
const RESOLVED: [&str; 2] = ["solved", "closed"];
/// The title the Time Tracking app gives its total field.
const TOTAL_TIME: &str = "Total time spent (sec)";

/// The default source of the customer.
const CUSTOMER_FROM: &str = "organization_id";
/// The default source of the priority.
const PRIORITY_FROM: &str = "priority";

/// One record and the file it came from.
type Record<'a> = (&'a str, &'a Value);

/// What the pages other than ticket pages say about the tickets.
#[derive(Default)]
struct Context<'a> {
    /// Audits by ticket id.
    audits: HashMap<String, Vec<Record<'a>>>,
    /// Metric events by ticket id.
    metrics: HashMap<String, Vec<&'a Value>>,
    /// User names by user id.
    users: HashMap<String, String>,
    /// The id of the Time Tracking total field, when a field list names it.
    total_field: Option<String>,
}

impl Context<'_> {
    /// The name of the user `id`, or the id itself.
    fn person(&self, id: &str) -> String {
        self.users.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

/// Turns Zendesk pages into tickets (see the module's documentation).
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
    let mut cx = Context::default();
    let mut seen_audits = HashSet::new();
    for (file, v) in &parsed {
        let list = |key: &str| match v.get(key) {
            Some(Value::Array(a)) => Some(a.as_slice()),
            _ => None,
        };
        let mut known = false;
        if let Some(users) = list("users") {
            known = true;
            for u in users {
                if let (Some(id), Some(name)) = (
                    u.get("id").and_then(text_of),
                    u.get("name").and_then(text_of),
                ) {
                    cx.users.insert(id, name);
                }
            }
        }
        if let Some(fields) = list("ticket_fields") {
            known = true;
            for f in fields {
                if f.get("title").and_then(Value::as_str) == Some(TOTAL_TIME) {
                    cx.total_field = f.get("id").and_then(text_of);
                }
            }
        }
        if let Some(list) = list("tickets") {
            known = true;
            tickets.extend(list.iter().map(|t| (*file, t)));
        } else if let Some(t) = v.get("ticket").filter(|t| t.is_object()) {
            known = true;
            tickets.push((*file, t));
        }
        if let Some(list) = list("audits") {
            known = true;
            for a in list {
                let ticket = a.get("ticket_id").and_then(text_of).unwrap_or_default();
                // Overlapping pages hold the same audit twice.
                if let Some(id) = a.get("id").and_then(text_of)
                    && !seen_audits.insert(id)
                {
                    continue;
                }
                cx.audits.entry(ticket).or_default().push((*file, a));
            }
        }
        if let Some(list) = list("ticket_metric_events") {
            known = true;
            for m in list {
                let ticket = m.get("ticket_id").and_then(text_of).unwrap_or_default();
                cx.metrics.entry(ticket).or_default().push(m);
            }
        }
        if !known {
            out.push(Err(super::wrong_source(
                file,
                super::looks_like(v).filter(|k| *k != "zendesk"),
                "zendesk",
            )));
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
                "missing: every ticket needs its id (like `35436`)",
            )));
            continue;
        };
        if latest.insert(id.clone(), (file, t)).is_none() {
            order.push(id);
        }
    }
    for id in &order {
        let Some(&(file, t)) = latest.get(id) else {
            continue;
        };
        let audits = cx.audits.get(id).map_or(&[][..], Vec::as_slice);
        out.push(ticket(file, id, t, audits, &cx, mapping));
    }
    let mut orphans: Vec<_> = cx
        .audits
        .iter()
        .filter(|(id, _)| !latest.contains_key(*id))
        .collect();
    orphans.sort_by(|a, b| a.0.cmp(b.0));
    for (id, audits) in orphans {
        let file = audits.first().map_or("", |(f, _)| f);
        out.push(Err(InputError::new(format!(
            "{file}: audits of the ticket `{id}`: ticket_id: no ticket page given holds that ticket: add the page that holds it"
        ))));
    }
    out
}

/// The value at `path` in a ticket: `custom_fields.ID` is the custom field with that id,
/// anything else a dotted path.
fn value_of<'v>(ticket: &'v Value, path: &str) -> Option<&'v Value> {
    if let Some(id) = path.strip_prefix("custom_fields.")
        && let Some(Value::Array(fields)) = ticket.get("custom_fields")
        && let Some(f) = fields
            .iter()
            .find(|f| f.get("id").and_then(text_of).as_deref() == Some(id))
    {
        return f.get("value");
    }
    lookup(ticket, path)
}

/// The audit event `field_name` that a mapping path names (`priority`,
/// `custom_fields.360001234` → `360001234`).
fn field_name(path: &str) -> &str {
    path.strip_prefix("custom_fields.").unwrap_or(path)
}

/// One field change of the audits, oldest first.
struct Change<'a> {
    at: DateTime<FixedOffset>,
    author: Option<String>,
    event: &'a Value,
}

impl Change<'_> {
    fn kind(&self) -> &str {
        self.event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
    fn field(&self) -> &str {
        self.event
            .get("field_name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
    fn value(&self) -> Option<String> {
        self.event.get("value").and_then(text_of)
    }
    fn previous(&self) -> Option<String> {
        self.event.get("previous_value").and_then(text_of)
    }
}

/// Whether `name` is one of `names`, without regard to case.
fn among<'a>(name: &str, mut names: impl Iterator<Item = &'a str>) -> bool {
    names.any(|n| n.eq_ignore_ascii_case(name))
}

/// The ticket `key` of `file`, with its audits.
fn ticket(
    file: &str,
    key: &str,
    t: &Value,
    audits: &[Record<'_>],
    cx: &Context<'_>,
    mapping: &Mapping,
) -> Result<Ticket, InputError> {
    let fail = |field: &str, message: &str| record_error(file, key, field, message);
    let zone = mapping.timezone;
    let time = |fail: &dyn Fn(&str, &str) -> InputError,
                field: &str,
                v: Option<&Value>|
     -> Result<DateTime<FixedOffset>, InputError> {
        match v.and_then(Value::as_str) {
            Some(text) => parse_time(text, zone).map_err(|m| fail(field, &m)),
            None => Err(fail(
                field,
                "missing: expected a time like `2026-03-02T09:15:00Z`",
            )),
        }
    };
    let registered = time(&fail, "created_at", t.get("created_at"))?;

    // The audits, oldest first; each audit's events keep their order.
    let mut dated = Vec::with_capacity(audits.len());
    for (afile, a) in audits {
        let id = a.get("id").and_then(text_of).unwrap_or_default();
        let afail = |field: &str, message: &str| {
            InputError::new(format!(
                "{afile}: audit `{id}` of ticket `{key}`: {field}: {message}"
            ))
        };
        let at = time(&afail, "created_at", a.get("created_at"))?;
        dated.push((at, *a));
    }
    dated.sort_by_key(|(at, _)| *at);
    let mut changes = Vec::new();
    // The request itself: the first comment of the audit that created the ticket.
    let mut request_comment = None;
    for (at, a) in &dated {
        let author = a.get("author_id").and_then(text_of);
        let events = match a.get("events") {
            Some(Value::Array(e)) => e.as_slice(),
            _ => &[],
        };
        let creating = events
            .iter()
            .any(|e| e.get("type").and_then(Value::as_str) == Some("Create"));
        for e in events {
            let c = Change {
                at: *at,
                author: author.clone(),
                event: e,
            };
            if creating && request_comment.is_none() && c.kind() == "Comment" {
                request_comment = Some(changes.len());
            }
            changes.push(c);
        }
    }
    let created = |field: &str| -> Option<Option<String>> {
        changes
            .iter()
            .find(|c| c.kind() == "Create" && c.field() == field)
            .map(Change::value)
    };
    let first_previous = |field: &str| -> Option<Option<String>> {
        changes
            .iter()
            .find(|c| c.kind() == "Change" && c.field() == field)
            .map(Change::previous)
    };
    let value_at_creation = |path: &str| -> Option<String> {
        let field = field_name(path);
        created(field)
            .or_else(|| first_previous(field))
            .unwrap_or_else(|| value_of(t, path).and_then(text_of))
    };

    let default_rule = Rule::default();
    let customer = super::customer(mapping, CUSTOMER_FROM, |p| value_of(t, p).and_then(text_of), |s| s.to_owned())
        .map_err(|from| fail(from, "missing, so the customer is unknown: give the mapping's `customer` a `default` or another `from`"))?;
    let mapped = super::mapped_fields(mapping, &default_rule, PRIORITY_FROM, super::lowercase);
    let mut initial = super::initial_values(&mapped, value_at_creation);

    let is_paused = |s: &str| {
        among(s, PAUSED.into_iter()) || among(s, mapping.statuses.paused.iter().map(String::as_str))
    };
    let is_resolved = |s: &str| {
        among(s, RESOLVED.into_iter())
            || among(s, mapping.statuses.resolved.iter().map(String::as_str))
    };

    let mut events = Vec::new();
    let initial_assignee = match created("assignee_id").or_else(|| first_previous("assignee_id")) {
        Some(a) => a,
        None => t.get("assignee_id").and_then(text_of),
    };
    if let Some(a) = initial_assignee {
        let mut e = Event::new(registered, EventKind::Assigned);
        e.engineer = Some(cx.person(&a));
        e.note = Some("assigned at creation".into());
        events.push(e);
    }
    let initial_status = match created("status").or_else(|| first_previous("status")) {
        Some(s) => s,
        None => t.get("status").and_then(text_of),
    };
    let (mut paused, mut resolved) = (false, false);
    if let Some(status) = &initial_status {
        if is_paused(status) {
            paused = true;
            let mut e = Event::new(registered, EventKind::Paused);
            e.note = Some(format!("created in status {status}"));
            events.push(e);
        }
        if is_resolved(status) {
            resolved = true;
            let mut e = Event::new(registered, EventKind::Resolved);
            e.note = Some(format!("created in status {status}"));
            events.push(e);
        }
    }
    let requester = t.get("requester_id").and_then(text_of);
    let total_field = cx.total_field.as_deref();

    for (i, c) in changes.iter().enumerate() {
        let event = |kind: EventKind| {
            let mut e = Event::new(c.at, kind);
            e.by = c.author.as_deref().map(|a| cx.person(a));
            e
        };
        match c.kind() {
            "Comment" if Some(i) != request_comment => {
                let author = c
                    .event
                    .get("author_id")
                    .and_then(text_of)
                    .or(c.author.clone());
                let kind = if c.event.get("public").and_then(Value::as_bool) == Some(false) {
                    EventKind::Comment
                } else if author.is_some() && author == requester {
                    EventKind::CustomerReplied
                } else {
                    EventKind::Replied
                };
                let mut e = Event::new(c.at, kind);
                e.by = author.as_deref().map(|a| cx.person(a));
                let text = ["plain_body", "body"]
                    .iter()
                    .find_map(|k| c.event.get(*k).and_then(Value::as_str))
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                e.note = (!text.is_empty()).then_some(text);
                events.push(e);
            }
            "Change" | "Create" => {
                let field = c.field();
                if Some(field) == total_field {
                    let n = |v: Option<String>| v.and_then(|s| s.trim().parse::<f64>().ok());
                    let before = if c.kind() == "Create" {
                        0.0
                    } else {
                        n(c.previous()).unwrap_or(0.0)
                    };
                    let Some(after) = n(c.value()) else {
                        return Err(fail(
                            &format!("audits: {TOTAL_TIME}"),
                            &format!(
                                "expected a number of seconds, found `{}`",
                                c.value().unwrap_or_default()
                            ),
                        ));
                    };
                    let seconds = after - before;
                    if seconds > 0.0 && seconds.is_finite() {
                        let mut e = Event::new(c.at, EventKind::Worklog);
                        let hours = (seconds / 3600.0 * 10_000.0).round() / 10_000.0;
                        e.hours = Some(if hours > 0.0 { hours } else { seconds / 3600.0 });
                        e.engineer = c.author.as_deref().map(|a| cx.person(a));
                        events.push(e);
                    }
                    continue;
                }
                if c.kind() == "Create" {
                    continue;
                }
                if field == "status" {
                    let to = c.value().unwrap_or_default();
                    let note = format!(
                        "status {} → {to}",
                        c.previous().as_deref().unwrap_or("(none)")
                    );
                    let (now_paused, now_resolved) = (is_paused(&to), is_resolved(&to));
                    let mut kinds = Vec::new();
                    if paused && !now_paused {
                        kinds.push(EventKind::Resumed);
                    }
                    if resolved && !now_resolved {
                        kinds.push(EventKind::Reopened);
                    }
                    if !paused && now_paused {
                        kinds.push(EventKind::Paused);
                    }
                    if !resolved && now_resolved {
                        kinds.push(EventKind::Resolved);
                    }
                    for kind in kinds {
                        let mut e = event(kind);
                        e.note = Some(note.clone());
                        events.push(e);
                    }
                    paused = now_paused;
                    resolved = now_resolved;
                } else if field == "assignee_id" {
                    let Some(to) = c.value().filter(|v| !v.is_empty()) else {
                        continue;
                    };
                    let name = cx.person(&to);
                    if resolved {
                        let mut e = event(EventKind::Comment);
                        e.note = Some(format!("assigned to {name} after resolution"));
                        events.push(e);
                    } else {
                        let mut e = event(EventKind::Assigned);
                        e.engineer = Some(name);
                        events.push(e);
                    }
                }
                for (name, rule, path, fallback) in &mapped {
                    if !path.is_empty() && field_name(path) == field {
                        let mut e = event(EventKind::Changed);
                        e.field = Some((*name).to_owned());
                        e.to = Some(
                            rule.apply(c.value().as_deref(), fallback)
                                .map_or(Value::Null, Value::String),
                        );
                        events.push(e);
                    }
                }
            }
            _ => {}
        }
    }
    events.sort_by_key(|e| e.at);

    let mut fields = BTreeMap::new();
    if let Some(s) = t.get("status").and_then(text_of) {
        fields.insert("zendesk_status".to_owned(), Value::String(s));
    }
    if let Some(s) = t.get("type").and_then(text_of) {
        fields.insert("zendesk_type".to_owned(), Value::String(s));
    }
    if let Some(metrics) = cx.metrics.get(key) {
        let list: Vec<Value> = metrics
            .iter()
            .map(|m| {
                let mut o = serde_json::Map::new();
                for k in ["metric", "type", "time", "status", "sla"] {
                    if let Some(v) = m.get(k).filter(|v| !v.is_null()) {
                        o.insert(k.to_owned(), v.clone());
                    }
                }
                Value::Object(o)
            })
            .collect();
        fields.insert("zendesk_metric_events".to_owned(), Value::Array(list));
    }
    Ok(Ticket {
        id: key.to_owned(),
        customer,
        product: initial.remove("product").flatten(),
        category: initial.remove("category").flatten(),
        priority: initial.remove("priority").flatten(),
        summary: t.get("subject").and_then(text_of).unwrap_or_default(),
        registered,
        fields,
        attachments: Vec::new(),
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(t: &Ticket) -> Vec<&str> {
        t.events.iter().map(|e| e.kind.as_str()).collect()
    }

    #[test]
    fn closing_is_not_a_second_resolution_and_the_mapping_adds_statuses() {
        let tickets = r#"{"tickets": [{"id": 1, "created_at": "2026-03-02T09:00:00Z",
            "organization_id": 5, "status": "open", "assignee_id": 3}], "end_of_stream": true}"#;
        let audits = r#"{"audits": [
          {"id": 1, "ticket_id": 1, "created_at": "2026-03-02T10:00:00Z", "author_id": 3, "events": [
            {"type": "Change", "field_name": "status", "value": "solved", "previous_value": "open"}]},
          {"id": 2, "ticket_id": 1, "created_at": "2026-03-02T11:00:00Z", "author_id": 3, "events": [
            {"type": "Change", "field_name": "status", "value": "closed", "previous_value": "solved"}]},
          {"id": 3, "ticket_id": 1, "created_at": "2026-03-02T12:00:00Z", "author_id": 3, "events": [
            {"type": "Change", "field_name": "status", "value": "open", "previous_value": "closed"}]},
          {"id": 4, "ticket_id": 1, "created_at": "2026-03-02T13:00:00Z", "author_id": 3, "events": [
            {"type": "Change", "field_name": "status", "value": "vendor", "previous_value": "open"}]},
          {"id": 4, "ticket_id": 1, "created_at": "2026-03-02T13:00:00Z", "author_id": 3, "events": [
            {"type": "Change", "field_name": "status", "value": "vendor", "previous_value": "open"}]}]}"#;
        let pages = [
            Page {
                file: "t.json",
                text: tickets,
            },
            Page {
                file: "a.json",
                text: audits,
            },
        ];
        let t = import(&pages, &Mapping::default()).remove(0).unwrap();
        // No audit creates the ticket: the assignee it has now was there from the start.
        assert_eq!(kinds(&t), ["assigned", "resolved", "reopened"]);
        assert_eq!(t.customer, "5");
        let mapping = Mapping::parse("statuses: { paused: [Vendor] }\n", "m.yaml").unwrap();
        let t = import(&pages, &mapping).remove(0).unwrap();
        // The repeated audit (same id) is read once.
        assert_eq!(kinds(&t), ["assigned", "resolved", "reopened", "paused"]);
    }
}

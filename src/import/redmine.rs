//! Redmine: saved issue pages (`/issues/{id}.json?include=journals`, one issue as
//! `{"issue": {...}}`, or `/issues.json?include=journals` pages, `{"issues": [...],
//! "total_count", "offset", "limit"}`), time entry pages (`/time_entries.json`,
//! `{"time_entries": [...]}`, linked to their issue by `issue.id`) and, when given, the
//! instance's status page (`/issue_statuses.json`) and priority page
//! (`/enumerations/issue_priorities.json`).
//!
//! How an issue becomes a ticket:
//!
//! * `id` is the issue number (`7311`); `registered` is `created_on`; `summary` is
//!   `subject`; `fields` keeps `redmine_status` and `redmine_tracker` for reference
//!   (Redmine keeps no SLA figures of its own).
//! * `customer` comes from `project.name` lowercased, `priority` from `priority.name`
//!   lowercased, unless the mapping says otherwise; `category` and `product` only from
//!   the mapping (their values now). The priority is the one the issue had when it was
//!   created; each later `priority_id` change in the journals is a `changed` event.
//! * Journals' `details` with `property: attr` are read: `status_id`, `assigned_to_id`
//!   and `priority_id`, whose values are ids. Status ids are named by the status page
//!   when one is given, else by Redmine's defaults (1 New, 2 In Progress, 3 Resolved,
//!   4 Feedback, 5 Closed, 6 Rejected); priority ids by the priority page, else 1 Low,
//!   2 Normal, 3 High, 4 Urgent, 5 Immediate. People are named by the names the pages
//!   hold for their ids (assignee, author, journal and time entry users).
//! * `assigned`: the assignee chosen at creation, which the journals leave out (the
//!   first assignee change's old value, or `assigned_to` when it never changed), at the
//!   creation time; then every change to a new assignee. A change while the issue is
//!   resolved is kept as a `comment`.
//! * `paused`/`resumed`: entering and leaving a waiting status: "Feedback" and the
//!   mapping's `statuses.paused`.
//! * `resolved`/`reopened`: entering and leaving a resolved status: a closed one
//!   (`is_closed` on the status page; Closed and Rejected by default), "Resolved", and
//!   the mapping's `statuses.resolved`. Moving between two of them (Resolved → Closed)
//!   is not a second resolution. The mapping's status lists take names or ids.
//! * Journal `notes`: private ones (`private_notes: true`) are `comment`, those of the
//!   issue's author `customer_replied`, other ones `replied`.
//! * `worklog`: the time entries (`hours`, `user` as engineer, `comments` as note). An
//!   entry has only the date of the work (`spent_on`): it is placed at the time it was
//!   entered (`created_on`) when the page holds it, else at noon of `spent_on` in the
//!   mapping's `timezone`.
//!
//! An issue without an id, a readable creation time or its journals (saved without
//! `include=journals`), a time entry without positive hours or of an issue no page
//! holds, or a time that cannot be read is an error naming the file, the issue and the
//! field.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::{Mapping, Page, Rule, lookup, parse_time, record_error, text_of};
use crate::error::InputError;
use crate::ticket::{Event, EventKind, Ticket};

/// Redmine's default statuses: (id, name, closed).
const STATUSES: [(&str, &str, bool); 6] = [
    ("1", "New", false),
    ("2", "In Progress", false),
    ("3", "Resolved", false),
    ("4", "Feedback", false),
    ("5", "Closed", true),
    ("6", "Rejected", true),
];
/// Redmine's default priorities: (id, name).
const PRIORITIES: [(&str, &str); 5] = [
    ("1", "Low"),
    ("2", "Normal"),
    ("3", "High"),
    ("4", "Urgent"),
    ("5", "Immediate"),
];
/// Statuses that pause the clock by default.
const PAUSED: [&str; 1] = ["Feedback"];
/// Statuses that resolve the request whether or not Redmine counts them as closed.
const RESOLVED: [&str; 1] = ["Resolved"];

/// The default source of the customer.
const CUSTOMER_FROM: &str = "project.name";
/// The default source of the priority.
const PRIORITY_FROM: &str = "priority.name";

/// One issue or time entry and the file it came from.
type Record<'a> = (&'a str, &'a Value);

/// A status of the instance: its name and whether Redmine counts it as closed.
#[derive(Clone)]
struct Status {
    name: String,
    closed: bool,
}

/// What all issues share: status and priority names, people's names.
struct Names {
    statuses: HashMap<String, Status>,
    priorities: HashMap<String, String>,
    people: HashMap<String, String>,
}

/// Turns Redmine pages into tickets (see the module's documentation).
pub fn import(pages: &[Page<'_>], mapping: &Mapping) -> Vec<Result<Ticket, InputError>> {
    let mut out = Vec::new();
    let mut parsed = Vec::new();
    for page in pages {
        match super::parse_page(page) {
            Ok(v) => parsed.push((page.file, v)),
            Err(e) => out.push(Err(e)),
        }
    }
    let mut issues: Vec<Record<'_>> = Vec::new();
    let mut entries: HashMap<String, Vec<Record<'_>>> = HashMap::new();
    let mut seen_entries = HashSet::new();
    let mut status_pages: Vec<&Value> = Vec::new();
    let mut priority_pages: Vec<&Value> = Vec::new();
    for (file, v) in &parsed {
        let kind = super::looks_like(v);
        let list = |name: &str| match v.get(name) {
            Some(Value::Array(a)) => Some(a),
            _ => None,
        };
        if let Some(issue) = v.get("issue").filter(|i| i.is_object()) {
            issues.push((*file, issue));
        } else if let Some(list) = list("issues")
            && list.iter().all(|i| i.get("fields").is_none())
            && (kind == Some("redmine") || v.get("total_count").is_some())
        {
            issues.extend(list.iter().map(|i| (*file, i)));
        } else if let Some(list) = list("time_entries") {
            for t in list {
                let issue = lookup(t, "issue.id").and_then(text_of).unwrap_or_default();
                // Overlapping pages hold the same entry twice.
                if let Some(id) = t.get("id").and_then(text_of)
                    && !seen_entries.insert(id)
                {
                    continue;
                }
                entries.entry(issue).or_default().push((*file, t));
            }
        } else if let Some(list) = list("issue_statuses") {
            status_pages.extend(list);
        } else if let Some(list) = list("issue_priorities") {
            priority_pages.extend(list);
        } else {
            out.push(Err(super::wrong_source(
                file,
                kind.filter(|k| *k != "redmine"),
                "redmine",
            )));
        }
    }
    let names = names(&issues, &entries, &status_pages, &priority_pages);

    // The same issue in two pages: the later page's copy is the newer.
    let mut order: Vec<String> = Vec::new();
    let mut latest: HashMap<String, Record<'_>> = HashMap::new();
    for (i, (file, issue)) in issues.iter().enumerate() {
        let Some(id) = issue.get("id").and_then(text_of) else {
            out.push(Err(record_error(
                file,
                &format!("number {} of the page", i + 1),
                "id",
                "missing: every issue needs its number (like `7311`)",
            )));
            continue;
        };
        if latest.insert(id.clone(), (file, issue)).is_none() {
            order.push(id);
        }
    }
    for id in &order {
        let Some(&(file, issue)) = latest.get(id) else {
            continue;
        };
        let logs = entries.get(id).map_or(&[][..], Vec::as_slice);
        out.push(ticket(file, id, issue, logs, &names, mapping));
    }
    let mut orphans: Vec<_> = entries
        .iter()
        .filter(|(id, _)| !latest.contains_key(*id))
        .collect();
    orphans.sort_by(|a, b| a.0.cmp(b.0));
    for (id, logs) in orphans {
        let file = logs.first().map_or("", |(f, _)| f);
        let what = if id.is_empty() {
            "time entries without an issue: issue.id: missing: save the time entries of issues (`/time_entries.json?issue_id=...`)".to_owned()
        } else {
            format!(
                "time entries of the issue `{id}`: issue.id: no issue with that number in the pages given: add the page that holds it"
            )
        };
        out.push(Err(InputError::new(format!("{file}: {what}"))));
    }
    out
}

/// The names of statuses, priorities and people, from the pages or Redmine's defaults.
fn names(
    issues: &[Record<'_>],
    entries: &HashMap<String, Vec<Record<'_>>>,
    status_pages: &[&Value],
    priority_pages: &[&Value],
) -> Names {
    let mut statuses: HashMap<String, Status> = HashMap::new();
    if status_pages.is_empty() {
        for (id, name, closed) in STATUSES {
            let name = name.to_owned();
            statuses.insert(id.to_owned(), Status { name, closed });
        }
    }
    for s in status_pages {
        if let (Some(id), Some(name)) = (
            s.get("id").and_then(text_of),
            s.get("name").and_then(text_of),
        ) {
            let closed = s.get("is_closed").and_then(Value::as_bool) == Some(true);
            statuses.insert(id, Status { name, closed });
        }
    }
    let mut priorities: HashMap<String, String> = HashMap::new();
    if priority_pages.is_empty() {
        for (id, name) in PRIORITIES {
            priorities.insert(id.to_owned(), name.to_owned());
        }
    }
    let mut people = HashMap::new();
    let mut person = |v: Option<&Value>| {
        if let Some(v) = v
            && let (Some(id), Some(name)) = (
                v.get("id").and_then(text_of),
                v.get("name").and_then(text_of),
            )
        {
            people.insert(id, name);
        }
    };
    for (_, issue) in issues {
        person(issue.get("author"));
        person(issue.get("assigned_to"));
        if let Some(Value::Array(journals)) = issue.get("journals") {
            for j in journals {
                person(j.get("user"));
            }
        }
        // The issue's own status and priority name their ids when no page does.
        if let Some(s) = issue.get("status")
            && let (Some(id), Some(name)) = (
                s.get("id").and_then(text_of),
                s.get("name").and_then(text_of),
            )
        {
            statuses.entry(id).or_insert(Status {
                name,
                closed: false,
            });
        }
        if let Some(p) = issue.get("priority")
            && let (Some(id), Some(name)) = (
                p.get("id").and_then(text_of),
                p.get("name").and_then(text_of),
            )
        {
            priorities.entry(id).or_insert(name);
        }
    }
    for logs in entries.values() {
        for (_, t) in logs {
            person(t.get("user"));
        }
    }
    for p in priority_pages {
        if let (Some(id), Some(name)) = (
            p.get("id").and_then(text_of),
            p.get("name").and_then(text_of),
        ) {
            priorities.insert(id, name);
        }
    }
    Names {
        statuses,
        priorities,
        people,
    }
}

/// Whether `name` is one of `names`, without regard to case.
fn among<'a>(name: &str, mut names: impl Iterator<Item = &'a str>) -> bool {
    names.any(|n| n.eq_ignore_ascii_case(name))
}

/// An id of a journal detail (`"3"`, `3`, `""` or `null`): `None` when empty.
fn id_of(v: Option<&Value>) -> Option<String> {
    v.and_then(text_of).filter(|s| !s.is_empty())
}

/// The ticket of the issue `key` of `file`, with its time entries `logs`.
fn ticket(
    file: &str,
    key: &str,
    issue: &Value,
    logs: &[Record<'_>],
    names: &Names,
    mapping: &Mapping,
) -> Result<Ticket, InputError> {
    let fail = |field: &str, message: &str| record_error(file, key, field, message);
    let zone = mapping.timezone;
    let time = |field: &str, v: Option<&Value>| -> Result<DateTime<FixedOffset>, InputError> {
        match v.and_then(Value::as_str) {
            Some(text) => parse_time(text, zone).map_err(|m| fail(field, &m)),
            None => Err(fail(
                field,
                "missing: expected a time like `2016-01-26T12:39:26.000Z`",
            )),
        }
    };
    let registered = time("created_on", issue.get("created_on"))?;
    let Some(Value::Array(journals)) = issue.get("journals") else {
        return Err(fail(
            "journals",
            "missing: save the issues with their history (`include=journals`)",
        ));
    };
    let person = |id: &str| {
        names
            .people
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("user {id}"))
    };
    let status_name = |id: &str| {
        names
            .statuses
            .get(id)
            .map_or_else(|| format!("status {id}"), |s| s.name.clone())
    };
    let priority_name = |id: &str| {
        names
            .priorities
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("priority {id}"))
    };
    let in_list = |id: &str, list: &[String]| {
        list.iter().any(|n| n == id) || among(&status_name(id), list.iter().map(String::as_str))
    };
    let is_paused = |id: &str| {
        among(&status_name(id), PAUSED.into_iter()) || in_list(id, &mapping.statuses.paused)
    };
    let is_resolved = |id: &str| {
        names.statuses.get(id).is_some_and(|s| s.closed)
            || among(&status_name(id), RESOLVED.into_iter())
            || in_list(id, &mapping.statuses.resolved)
    };

    // The journals, oldest first, each with its time.
    let mut history = Vec::with_capacity(journals.len());
    for (i, j) in journals.iter().enumerate() {
        let at = time(&format!("journals[{i}].created_on"), j.get("created_on"))?;
        history.push((at, j));
    }
    history.sort_by_key(|(at, _)| *at);
    let details = |name: &'static str| {
        history.iter().flat_map(move |(_, j)| {
            j.get("details")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(move |d| {
                    d.get("property").and_then(Value::as_str) == Some("attr")
                        && d.get("name").and_then(Value::as_str) == Some(name)
                })
        })
    };
    let first_old = |name: &'static str| details(name).next().map(|d| id_of(d.get("old_value")));

    // Customer and the mapped fields.
    let lower = |s: &str| s.to_lowercase();
    let default_rule = Rule::default();
    let customer = super::customer(mapping, CUSTOMER_FROM, |p| lookup(issue, p).and_then(text_of), super::lowercase)
        .map_err(|from| fail(from, "missing, so the customer is unknown: give the mapping's `customer` a `default` or another `from`"))?;
    let priority_rule = mapping.priority.as_ref().unwrap_or(&default_rule);
    let priority_from = priority_rule.from.as_deref().unwrap_or(PRIORITY_FROM);
    // The priority at creation: the first change's old value, when it is the priority
    // that is read.
    let priority_source = match first_old("priority_id") {
        Some(old) if priority_from == PRIORITY_FROM => old.as_deref().map(priority_name),
        _ => lookup(issue, priority_from).and_then(text_of),
    };
    let priority = priority_rule.apply(priority_source.as_deref(), lower);
    let current = |rule: &Option<Rule>| {
        rule.as_ref().and_then(|r| {
            let source = r
                .from
                .as_deref()
                .and_then(|p| lookup(issue, p))
                .and_then(text_of);
            r.apply(source.as_deref(), str::to_owned)
        })
    };

    let mut events = Vec::new();
    let initial_assignee = match first_old("assigned_to_id") {
        Some(old) => old.as_deref().map(person),
        None => lookup(issue, "assigned_to.name").and_then(text_of),
    };
    if let Some(engineer) = initial_assignee {
        let mut e = Event::new(registered, EventKind::Assigned);
        e.engineer = Some(engineer);
        e.note = Some("assigned at creation".into());
        events.push(e);
    }
    let initial_status = match first_old("status_id") {
        Some(old) => old,
        None => lookup(issue, "status.id").and_then(text_of),
    };
    let (mut paused, mut resolved) = (false, false);
    if let Some(status) = &initial_status {
        for (yes, kind, flag) in [
            (is_paused(status), EventKind::Paused, &mut paused),
            (is_resolved(status), EventKind::Resolved, &mut resolved),
        ] {
            if yes {
                *flag = true;
                let mut e = Event::new(registered, kind);
                e.note = Some(format!("created in status {}", status_name(status)));
                events.push(e);
            }
        }
    }

    let author = lookup(issue, "author.id").and_then(text_of);
    for (at, j) in &history {
        let user = lookup(j, "user.id").and_then(text_of);
        let by = user.as_deref().map(|id| {
            names
                .people
                .get(id)
                .cloned()
                .or_else(|| lookup(j, "user.name").and_then(text_of))
                .unwrap_or_else(|| format!("user {id}"))
        });
        let event = |kind: EventKind| {
            let mut e = Event::new(*at, kind);
            e.by = by.clone();
            e
        };
        let items = j
            .get("details")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for d in items.filter(|d| d.get("property").and_then(Value::as_str) == Some("attr")) {
            let old = id_of(d.get("old_value"));
            let new = id_of(d.get("new_value"));
            match d.get("name").and_then(Value::as_str) {
                Some("status_id") => {
                    let Some(to) = new else { continue };
                    let note = format!(
                        "status {} → {}",
                        old.as_deref().map_or("(none)".to_owned(), status_name),
                        status_name(&to)
                    );
                    let (now_paused, now_resolved) = (is_paused(&to), is_resolved(&to));
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
                }
                Some("assigned_to_id") => {
                    let Some(to) = new.as_deref().map(person) else {
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
                Some("priority_id") if priority_from == PRIORITY_FROM => {
                    let to = new.as_deref().map(priority_name);
                    let mut e = event(EventKind::Changed);
                    e.field = Some("priority".to_owned());
                    e.to = Some(
                        priority_rule
                            .apply(to.as_deref(), lower)
                            .map_or(Value::Null, Value::String),
                    );
                    events.push(e);
                }
                _ => {}
            }
        }
        let text = j
            .get("notes")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim();
        if !text.is_empty() {
            let kind = if j.get("private_notes").and_then(Value::as_bool) == Some(true) {
                EventKind::Comment
            } else if user.is_some() && user == author {
                EventKind::CustomerReplied
            } else {
                EventKind::Replied
            };
            let mut e = event(kind);
            e.note = Some(text.to_owned());
            events.push(e);
        }
    }

    // Time entries.
    for (file, t) in logs {
        let id = t.get("id").and_then(text_of).unwrap_or_default();
        let tfail = |field: &str, message: &str| {
            InputError::new(format!(
                "{file}: time entry `{id}` of record `{key}`: {field}: {message}"
            ))
        };
        let at = match (
            t.get("created_on").and_then(Value::as_str),
            t.get("spent_on").and_then(Value::as_str),
        ) {
            (Some(text), _) => parse_time(text, zone).map_err(|m| tfail("created_on", &m))?,
            (None, Some(day)) => {
                parse_time(&format!("{}T12:00:00", day.trim()), zone).map_err(|m| {
                    tfail(
                        "spent_on",
                        &format!("{m} (the entry has only the date `{day}`: it is placed at noon)"),
                    )
                })?
            }
            (None, None) => {
                return Err(tfail("spent_on", "missing: expected the date of the work"));
            }
        };
        let hours = t.get("hours").and_then(Value::as_f64);
        let Some(hours) = hours.filter(|h| *h > 0.0 && h.is_finite()) else {
            return Err(tfail("hours", "expected a positive number of hours"));
        };
        let mut e = Event::new(at, EventKind::Worklog);
        // Hours to four places (Redmine stores floats: 0.5000000074505806), never none.
        let rounded = (hours * 10_000.0).round() / 10_000.0;
        e.hours = Some(if rounded > 0.0 { rounded } else { hours });
        e.engineer = lookup(t, "user.name").and_then(text_of);
        let text = t
            .get("comments")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim();
        e.note = (!text.is_empty()).then(|| text.to_owned());
        events.push(e);
    }
    events.sort_by_key(|e| e.at);

    let mut fields = BTreeMap::new();
    if let Some(s) = lookup(issue, "status.name").and_then(text_of) {
        fields.insert("redmine_status".to_owned(), Value::String(s));
    }
    if let Some(t) = lookup(issue, "tracker.name").and_then(text_of) {
        fields.insert("redmine_tracker".to_owned(), Value::String(t));
    }
    Ok(Ticket {
        id: key.to_owned(),
        customer,
        product: current(&mapping.product),
        category: current(&mapping.category),
        priority,
        summary: issue.get("subject").and_then(text_of).unwrap_or_default(),
        registered,
        fields,
        attachments: Vec::new(),
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pages: &[(&str, &str)], mapping: &Mapping) -> Vec<Result<Ticket, InputError>> {
        let pages: Vec<Page<'_>> = pages
            .iter()
            .map(|(file, text)| Page { file, text })
            .collect();
        import(&pages, mapping)
    }

    fn kinds(t: &Ticket) -> Vec<&str> {
        t.events.iter().map(|e| e.kind.as_str()).collect()
    }

    const ISSUE: &str = r#"{"issue": {"id": 7, "project": {"id": 1, "name": "ACME"},
        "status": {"id": 12, "name": "Resuelta"}, "priority": {"id": 2, "name": "Normal"},
        "author": {"id": 24, "name": "Anna"}, "created_on": "2026-03-02T06:00:00Z",
        "journals": [
          {"id": 1, "user": {"id": 25, "name": "Ivan"}, "created_on": "2026-03-02T07:00:00Z", "notes": "",
           "details": [{"property": "attr", "name": "status_id", "old_value": "1", "new_value": "11"}]},
          {"id": 2, "user": {"id": 25, "name": "Ivan"}, "created_on": "2026-03-02T08:00:00Z", "notes": "",
           "details": [{"property": "attr", "name": "status_id", "old_value": "11", "new_value": "12"}]}]}}"#;

    #[test]
    fn status_pages_and_the_mapping_name_the_statuses() {
        let statuses = r#"{"issue_statuses": [{"id": 1, "name": "Nueva", "is_closed": false},
            {"id": 11, "name": "Esperando", "is_closed": false},
            {"id": 12, "name": "Resuelta", "is_closed": false}]}"#;
        let mapping = Mapping::parse(
            "statuses: { paused: [Esperando], resolved: ['12'] }\n",
            "m.yaml",
        )
        .unwrap();
        let all = run(&[("i.json", ISSUE), ("s.json", statuses)], &mapping);
        let t = all[0].as_ref().unwrap();
        assert_eq!(kinds(t), ["paused", "resumed", "resolved"]);
        assert_eq!(
            t.events[2].note.as_deref(),
            Some("status Esperando → Resuelta")
        );
        // Without them, nothing pauses or resolves.
        let t = run(
            &[("i.json", ISSUE), ("s.json", statuses)],
            &Mapping::default(),
        )
        .remove(0)
        .unwrap();
        assert!(t.events.is_empty(), "{:?}", t.events);
    }

    #[test]
    fn time_entries_need_their_issue_and_hours() {
        let entries = r#"{"time_entries": [
            {"id": 1, "issue": {"id": 7}, "user": {"id": 25, "name": "Ivan"}, "hours": 0.5000000074505806, "spent_on": "2026-03-02"},
            {"id": 1, "issue": {"id": 7}, "user": {"id": 25, "name": "Ivan"}, "hours": 0.5000000074505806, "spent_on": "2026-03-02"},
            {"id": 2, "issue": {"id": 99}, "hours": 1, "spent_on": "2026-03-02"}],
            "total_count": 3, "offset": 0, "limit": 25}"#;
        let mapping = Mapping::parse("timezone: Europe/Moscow\n", "m.yaml").unwrap();
        let all = run(&[("i.json", ISSUE), ("t.json", entries)], &mapping);
        assert_eq!(all.len(), 2, "{all:?}");
        let t = all[0].as_ref().unwrap();
        assert_eq!(kinds(t), ["worklog"]);
        assert_eq!(t.events[0].hours, Some(0.5));
        assert_eq!(t.events[0].at.to_rfc3339(), "2026-03-02T12:00:00+03:00");
        assert!(
            all[1]
                .as_ref()
                .unwrap_err()
                .message
                .starts_with("t.json: time entries of the issue `99`"),
            "{all:?}"
        );
        let all = run(
            &[("i.json", ISSUE), ("t.json", entries)],
            &Mapping::default(),
        );
        let err = all[0].as_ref().unwrap_err();
        assert!(
            err.message.starts_with("t.json: time entry `1` of record `7`: spent_on: the time `2026-03-02T12:00:00` has no offset"),
            "{}",
            err.message
        );
        let zero = entries.replace("\"hours\": 0.5000000074505806", "\"hours\": 0");
        let all = run(&[("i.json", ISSUE), ("t.json", &zero)], &mapping);
        assert_eq!(
            all[0].as_ref().unwrap_err().message,
            "t.json: time entry `1` of record `7`: hours: expected a positive number of hours"
        );
    }

    #[test]
    fn issues_without_an_id_or_journals_are_named() {
        let all = run(
            &[(
                "p.json",
                r#"{"issues": [{"subject": "x"}, {"id": 8, "created_on": "2026-03-02T06:00:00Z"}], "total_count": 2, "offset": 0, "limit": 25}"#,
            )],
            &Mapping::default(),
        );
        assert_eq!(
            all[0].as_ref().unwrap_err().message,
            "p.json: record `number 1 of the page`: id: missing: every issue needs its number (like `7311`)"
        );
        assert_eq!(
            all[1].as_ref().unwrap_err().message,
            "p.json: record `8`: journals: missing: save the issues with their history (`include=journals`)"
        );
    }
}

//! Jira Software and Jira Service Management: saved search pages (`{"issues": [...]}`,
//! fetched with `expand=changelog`), single issues (`/issue/{key}?expand=changelog`),
//! changelog pages (`/issue/{key}/changelog`, for histories longer than the 40 entries a
//! search result holds) and worklog pages (`{"worklogs": [...]}`, linked to their issue
//! by `issueId`).
//!
//! How an issue becomes a ticket:
//!
//! * `id` is the issue key (`SUP-12`); `registered` is `fields.created`; `summary` is
//!   `fields.summary`; `fields` keeps `jira_status` and `jira_type` for reference.
//! * `customer` comes from `fields.project.key` lowercased, `priority` from
//!   `fields.priority.name` lowercased, unless the mapping says otherwise; `category` and
//!   `product` only from the mapping. Each is the value the issue had when it was
//!   created; a later change in the changelog of a mapped field (`priority`, or the field
//!   `category`/`product` are taken from) is a `changed` event.
//! * `assigned`: the assignee chosen at creation, which the changelog leaves out (the
//!   first assignee change's `from`, or `fields.assignee` when it never changed), at the
//!   creation time; then every change to a new assignee. A change while the issue is
//!   resolved is kept as a `comment`, since work on a resolved request is not assigned.
//! * `paused`/`resumed`: entering and leaving a waiting status: "Waiting for customer"
//!   and the mapping's `statuses.paused`.
//! * `resolved`/`reopened`: entering and leaving a resolved status: "Done", "Resolved",
//!   "Closed", the issue's current status when its category is `done`, and the mapping's
//!   `statuses.resolved`. Moving between two of them (Resolved → Closed) is not a second
//!   resolution.
//! * Comments (`fields.comment.comments`): internal ones (`jsdPublic: false`) are
//!   `comment`, the reporter's `customer_replied`, other public ones `replied`.
//! * `worklog`: the entries of the worklog pages (`started`, `timeSpentSeconds` as hours,
//!   `author` as engineer). The changelog's `timespent` items and the inline
//!   `fields.worklog` (its first 20 entries only) are not used.
//!
//! People are named by their display name. Any other status is one in which the work
//! goes on: status names are not checked against a list, since every Jira has its own.
//! An issue without a key or a readable creation time, a changelog or comment list that
//! holds fewer entries than Jira says it has (the page was cut: fetch the rest), or a
//! time that cannot be read is an error naming the file, the issue key and the field.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::{Mapping, Page, Rule, lookup, parse_time, record_error, text_of};
use crate::error::InputError;
use crate::ticket::{Event, EventKind, Ticket};

/// Statuses that pause the clock in every Jira (Service Management's own).
const PAUSED: [&str; 1] = ["Waiting for customer"];
/// Statuses that resolve the request whatever their category says.
const RESOLVED: [&str; 3] = ["Done", "Resolved", "Closed"];

/// The default source of the customer.
const CUSTOMER_FROM: &str = "fields.project.key";
/// The default source of the priority.
const PRIORITY_FROM: &str = "fields.priority.name";

/// One issue or worklog and the file it came from.
type Record<'a> = (&'a str, &'a Value);

/// Turns Jira pages into tickets (see the module's documentation).
pub fn import(pages: &[Page<'_>], mapping: &Mapping) -> Vec<Result<Ticket, InputError>> {
    // Two passes keep one page in memory at a time: the first keeps the worklogs and
    // changelog pages (small) and notes which page holds the latest copy of each issue;
    // the second parses the issue pages again and maps each issue from its latest copy.
    let mut out = Vec::new();
    let mut worklogs: HashMap<String, Vec<(&str, Value)>> = HashMap::new();
    let mut seen_worklogs = HashSet::new();
    let mut changelogs: HashMap<String, Vec<Value>> = HashMap::new();
    let mut issue_pages: Vec<usize> = Vec::new();
    // The same issue in two pages: the later page's copy is the newer.
    let mut order: Vec<String> = Vec::new();
    let mut latest: HashMap<String, (usize, usize)> = HashMap::new();
    for (p, page) in pages.iter().enumerate() {
        let v = match super::parse_page(page) {
            Ok(v) => v,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        let kind = super::looks_like(&v);
        if let Some(key) = changelog_of(&v) {
            if let Value::Object(mut m) = v
                && let Some(Value::Array(values)) = m.remove("values")
            {
                changelogs.entry(key).or_default().extend(values);
            }
            continue;
        }
        let list = match (&v, v.get("issues"), v.get("worklogs")) {
            (_, Some(Value::Array(list)), _) if kind == Some("jira") => list.iter().collect(),
            // One issue by itself (`/rest/api/3/issue/{key}?expand=changelog`).
            (one, None, None) if kind == Some("jira") => vec![one],
            (_, _, Some(Value::Array(_))) if kind == Some("jira") => {
                let Value::Object(mut m) = v else { continue };
                let Some(Value::Array(list)) = m.remove("worklogs") else {
                    continue;
                };
                for w in list {
                    let issue = w.get("issueId").and_then(text_of).unwrap_or_default();
                    // Overlapping pages hold the same entry twice.
                    let id = w.get("id").and_then(text_of);
                    if let Some(id) = id
                        && !seen_worklogs.insert((issue.clone(), id))
                    {
                        continue;
                    }
                    worklogs.entry(issue).or_default().push((page.file, w));
                }
                continue;
            }
            _ => {
                out.push(Err(super::wrong_source(
                    page.file,
                    kind.filter(|k| *k != "jira"),
                    "jira",
                )));
                continue;
            }
        };
        issue_pages.push(p);
        for (i, issue) in list.into_iter().enumerate() {
            let Some(key) = issue.get("key").and_then(Value::as_str) else {
                out.push(Err(record_error(
                    page.file,
                    &format!("number {} of the page", i + 1),
                    "key",
                    "missing: every issue needs its key (like `SUP-12`)",
                )));
                continue;
            };
            if latest.insert(key.to_owned(), (p, i)).is_none() {
                order.push(key.to_owned());
            }
        }
    }
    let mut mapped: HashMap<String, Result<Ticket, InputError>> = HashMap::new();
    let mut linked = HashSet::new();
    for p in issue_pages {
        let page = &pages[p];
        let Ok(v) = super::parse_page(page) else {
            continue;
        };
        let list: Vec<&Value> = match v.get("issues") {
            Some(Value::Array(list)) => list.iter().collect(),
            _ => vec![&v],
        };
        for (i, issue) in list.into_iter().enumerate() {
            let Some(key) = issue.get("key").and_then(Value::as_str) else {
                continue;
            };
            if latest.get(key) != Some(&(p, i)) {
                continue;
            }
            let id = issue.get("id").and_then(text_of).unwrap_or_default();
            // An issue without an id has no worklogs: they name their issue by its id.
            let logs: Vec<Record<'_>> = match worklogs.get(&id) {
                Some(logs) if !id.is_empty() => logs.iter().map(|(f, w)| (*f, w)).collect(),
                _ => Vec::new(),
            };
            linked.insert(id);
            let more = changelogs.remove(key).unwrap_or_default();
            let more: Vec<&Value> = more.iter().collect();
            mapped.insert(
                key.to_owned(),
                ticket(page.file, key, issue, &logs, &more, mapping),
            );
        }
    }
    out.extend(order.iter().filter_map(|key| mapped.remove(key)));
    let mut unknown: Vec<_> = changelogs.keys().collect();
    unknown.sort();
    for key in unknown {
        out.push(Err(InputError::new(format!(
            "a changelog page of `{key}` was given, but no search page holds the issue `{key}`: add the page that holds it"
        ))));
    }
    let mut orphans: Vec<_> = worklogs
        .iter()
        .filter(|(id, _)| !linked.contains(*id))
        .collect();
    orphans.sort_by(|a, b| a.0.cmp(b.0));
    for (id, logs) in orphans {
        let file = logs.first().map_or("", |(f, _)| f);
        out.push(Err(InputError::new(format!(
            "{file}: worklogs of the issue with id `{id}`: issueId: no issue with that id in the search pages given: add the page that holds it"
        ))));
    }
    out
}

/// The issue key of a changelog page (`/rest/api/3/issue/{key}/changelog`, whose `self`
/// names the issue; `values` holds the entries).
fn changelog_of(page: &Value) -> Option<String> {
    let url = page.get("self")?.as_str()?;
    page.get("values")?;
    let (before, _) = url.split_once("/changelog")?;
    let key = before.rsplit('/').next()?;
    (!key.is_empty()).then(|| key.to_owned())
}

/// One entry of the changelog.
struct History {
    at: DateTime<FixedOffset>,
    author: Option<String>,
    items: Vec<Item>,
}

/// One change within a changelog entry.
struct Item {
    field: String,
    field_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl Item {
    /// Whether this change is of the record's field at `path` (`fields.priority.name`).
    fn is_of(&self, path: &str) -> bool {
        let Some(top) = path
            .strip_prefix("fields.")
            .and_then(|p| p.split('.').next())
        else {
            return false;
        };
        self.field_id.as_deref() == Some(top) || self.field.eq_ignore_ascii_case(top)
    }
}

/// A person's name: the display name, else the user name or account id.
fn person(v: &Value) -> Option<String> {
    ["displayName", "name", "accountId", "emailAddress"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
}

/// Whether two people are the same: by account id, user name or key where both have
/// one, else by display name.
fn same_person(a: &Value, b: &Value) -> bool {
    for k in ["accountId", "name", "key"] {
        if let (Some(x), Some(y)) = (a.get(k), b.get(k)) {
            return x == y;
        }
    }
    a.get("displayName").is_some() && a.get("displayName") == b.get("displayName")
}

/// The text of a comment body: a string (API v2) or an Atlassian document (API v3).
fn body_text(v: &Value) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => out.push_str(s),
            Value::Object(o) => {
                if let Some(Value::String(t)) = o.get("text") {
                    out.push_str(t);
                }
                if let Some(Value::Array(content)) = o.get("content") {
                    for c in content {
                        walk(c, out);
                    }
                }
                if matches!(
                    o.get("type").and_then(Value::as_str),
                    Some("paragraph" | "heading" | "listItem" | "hardBreak")
                ) && !out.ends_with('\n')
                {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
    let mut out = String::new();
    walk(v, &mut out);
    out.trim().to_owned()
}

/// Whether `name` is one of `names`, without regard to case.
fn among<'a>(name: &str, mut names: impl Iterator<Item = &'a str>) -> bool {
    names.any(|n| n.eq_ignore_ascii_case(name))
}

/// A list of a record that Jira may have cut (`{total, <list>: [...]}`): the list, or an
/// error when it holds fewer entries than `total`.
fn whole_list<'v>(
    parent: Option<&'v Value>,
    list: &str,
    err: impl Fn(String) -> InputError,
) -> Result<&'v [Value], InputError> {
    let Some(parent) = parent else {
        return Ok(&[]);
    };
    let items = match parent.get(list) {
        Some(Value::Array(a)) => a.as_slice(),
        _ => &[],
    };
    if let Some(total) = parent.get("total").and_then(Value::as_u64)
        && total > items.len() as u64
    {
        return Err(err(format!(
            "the page holds {} of the {total} entries Jira has, and slaengine needs them all: save the issue by itself (`/rest/api/3/issue/KEY?expand=changelog`) in place of its search result",
            items.len()
        )));
    }
    Ok(items)
}

/// The ticket of the issue `key` of `file`, with its worklogs `logs`.
fn ticket(
    file: &str,
    key: &str,
    issue: &Value,
    logs: &[Record<'_>],
    more_history: &[&Value],
    mapping: &Mapping,
) -> Result<Ticket, InputError> {
    let fail = |field: &str, message: &str| record_error(file, key, field, message);
    let zone = mapping.timezone;
    let time = |field: &str, v: Option<&Value>| -> Result<DateTime<FixedOffset>, InputError> {
        match v.and_then(Value::as_str) {
            Some(text) => parse_time(text, zone).map_err(|m| fail(field, &m)),
            None => Err(fail(
                field,
                "missing: expected a time like `2016-03-03T13:40:01.000+0000`",
            )),
        }
    };
    if !issue.get("fields").is_some_and(Value::is_object) {
        return Err(fail(
            "fields",
            "missing: save the search with its fields (`fields=*all` or the ones slaengine reads)",
        ));
    }
    let registered = time("fields.created", lookup(issue, "fields.created"))?;

    // The changelog, oldest first.
    // Search results hold at most 40 entries of each changelog; changelog pages give the
    // rest (and repeat some: an entry is taken once, by its id).
    let inline = match lookup(issue, "changelog.histories") {
        Some(Value::Array(a)) => a.as_slice(),
        _ => &[],
    };
    let mut ids = HashSet::new();
    let histories: Vec<&Value> = inline
        .iter()
        .chain(more_history.iter().copied())
        .filter(|h| match h.get("id").and_then(text_of) {
            Some(id) => ids.insert(id),
            None => true,
        })
        .collect();
    if let Some(total) = lookup(issue, "changelog.total").and_then(Value::as_u64)
        && total > histories.len() as u64
    {
        return Err(fail(
            "changelog.histories",
            &format!(
                "the pages hold {} of the {total} changelog entries Jira has (search results hold 40 at most): save the issue's changelog pages too (`/rest/api/3/issue/{key}/changelog?startAt=0`, then 100, ...)",
                histories.len()
            ),
        ));
    }
    let mut history = Vec::with_capacity(histories.len());
    for (i, h) in histories.iter().enumerate() {
        let at = time(
            &format!("changelog.histories[{i}].created"),
            h.get("created"),
        )?;
        let items = match h.get("items") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|it| Item {
                    field: it.get("field").and_then(text_of).unwrap_or_default(),
                    field_id: it.get("fieldId").and_then(text_of),
                    from: it
                        .get("fromString")
                        .and_then(text_of)
                        .or_else(|| it.get("from").and_then(text_of)),
                    to: it
                        .get("toString")
                        .and_then(text_of)
                        .or_else(|| it.get("to").and_then(text_of)),
                })
                .collect(),
            _ => Vec::new(),
        };
        let author = h.get("author").and_then(person);
        history.push(History { at, author, items });
    }
    history.sort_by_key(|h| h.at);
    let first_change = |matches: &dyn Fn(&Item) -> bool| {
        history
            .iter()
            .flat_map(|h| &h.items)
            .find(|it| matches(it))
            .map(|it| it.from.clone())
    };

    // The values at creation: a mapped field's first change's `from`, else its value now.
    let value_at_creation = |path: &str| -> Option<String> {
        match first_change(&|it| it.is_of(path)) {
            Some(from) => from,
            None => lookup(issue, path).and_then(text_of),
        }
    };
    let default_rule = Rule::default();
    let customer = super::customer(mapping, CUSTOMER_FROM, |p| lookup(issue, p).and_then(text_of), super::lowercase)
        .map_err(|from| fail(from, "missing, so the customer is unknown: give the mapping's `customer` a `default` or another `from`"))?;
    let mapped = super::mapped_fields(mapping, &default_rule, PRIORITY_FROM, super::lowercase);
    let initial = super::initial_values(&mapped, value_at_creation);

    // Status sets.
    let current_status = lookup(issue, "fields.status.name").and_then(text_of);
    let current_done = lookup(issue, "fields.status.statusCategory.key")
        .and_then(Value::as_str)
        .is_some_and(|k| k == "done");
    let done_now = current_status.as_deref().filter(|_| current_done);
    let is_resolved = |name: &str| {
        among(name, RESOLVED.into_iter())
            || among(name, mapping.statuses.resolved.iter().map(String::as_str))
            || done_now.is_some_and(|d| d.eq_ignore_ascii_case(name))
    };
    let is_paused = |name: &str| {
        among(name, PAUSED.into_iter())
            || among(name, mapping.statuses.paused.iter().map(String::as_str))
    };

    let mut events = Vec::new();
    let initial_status = match first_change(&|it| it.field.eq_ignore_ascii_case("status")) {
        Some(from) => from,
        None => current_status.clone(),
    };
    let initial_assignee = match first_change(&|it| it.field.eq_ignore_ascii_case("assignee")) {
        Some(from) => from,
        None => lookup(issue, "fields.assignee").and_then(person),
    };
    if let Some(engineer) = initial_assignee {
        let mut e = Event::new(registered, EventKind::Assigned);
        e.engineer = Some(engineer);
        e.note = Some("assigned at creation".into());
        events.push(e);
    }
    let mut paused = false;
    let mut resolved = false;
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

    for h in &history {
        let event = |kind: EventKind| {
            let mut e = Event::new(h.at, kind);
            e.by = h.author.clone();
            e
        };
        for it in &h.items {
            if it.field.eq_ignore_ascii_case("status") {
                let to = it.to.as_deref().unwrap_or_default();
                let note = format!("status {} → {to}", it.from.as_deref().unwrap_or("(none)"));
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
            } else if it.field.eq_ignore_ascii_case("assignee") {
                let Some(to) = &it.to else {
                    continue;
                };
                if resolved {
                    let mut e = event(EventKind::Comment);
                    e.note = Some(format!("assigned to {to} after resolution"));
                    events.push(e);
                } else {
                    let mut e = event(EventKind::Assigned);
                    e.engineer = Some(to.clone());
                    events.push(e);
                }
            }
            for (name, rule, path, fallback) in &mapped {
                if !path.is_empty() && it.is_of(path) {
                    let mut e = event(EventKind::Changed);
                    e.field = Some((*name).to_owned());
                    e.to = Some(
                        rule.apply(it.to.as_deref(), fallback)
                            .map_or(Value::Null, Value::String),
                    );
                    events.push(e);
                }
            }
        }
    }

    // Comments.
    let comments = whole_list(lookup(issue, "fields.comment"), "comments", |m| {
        fail("fields.comment.comments", &m)
    })?;
    let reporter = lookup(issue, "fields.reporter");
    for (i, c) in comments.iter().enumerate() {
        let at = time(
            &format!("fields.comment.comments[{i}].created"),
            c.get("created"),
        )?;
        let author = c.get("author");
        let kind = if c.get("jsdPublic").and_then(Value::as_bool) == Some(false) {
            EventKind::Comment
        } else if let (Some(a), Some(r)) = (author, reporter)
            && same_person(a, r)
        {
            EventKind::CustomerReplied
        } else {
            EventKind::Replied
        };
        let mut e = Event::new(at, kind);
        e.by = author.and_then(person);
        let text = c.get("body").map(body_text).unwrap_or_default();
        e.note = (!text.is_empty()).then_some(text);
        events.push(e);
    }

    // Worklogs.
    for (file, w) in logs {
        let id = w.get("id").and_then(text_of).unwrap_or_default();
        let wfail = |field: &str, message: &str| {
            InputError::new(format!(
                "{file}: worklog `{id}` of record `{key}`: {field}: {message}"
            ))
        };
        let at = match w.get("started").and_then(Value::as_str) {
            Some(text) => parse_time(text, zone).map_err(|m| wfail("started", &m))?,
            None => {
                return Err(wfail(
                    "started",
                    "missing: expected the time the work started",
                ));
            }
        };
        let seconds = w.get("timeSpentSeconds").and_then(Value::as_f64);
        let Some(seconds) = seconds.filter(|s| *s > 0.0 && s.is_finite()) else {
            return Err(wfail(
                "timeSpentSeconds",
                "expected a positive number of seconds",
            ));
        };
        let mut e = Event::new(at, EventKind::Worklog);
        // Hours to four places, but never rounded down to none.
        let hours = (seconds / 3600.0 * 10_000.0).round() / 10_000.0;
        e.hours = Some(if hours > 0.0 { hours } else { seconds / 3600.0 });
        e.engineer = w.get("author").and_then(person);
        let text = w.get("comment").map(body_text).unwrap_or_default();
        e.note = (!text.is_empty()).then_some(text);
        events.push(e);
    }
    events.sort_by_key(|e| e.at);

    let mut fields = BTreeMap::new();
    if let Some(s) = current_status {
        fields.insert("jira_status".to_owned(), Value::String(s));
    }
    if let Some(t) = lookup(issue, "fields.issuetype.name").and_then(text_of) {
        fields.insert("jira_type".to_owned(), Value::String(t));
    }
    let mut initial = initial;
    Ok(Ticket {
        id: key.to_owned(),
        customer,
        product: initial.remove("product").flatten(),
        category: initial.remove("category").flatten(),
        priority: initial.remove("priority").flatten(),
        summary: lookup(issue, "fields.summary")
            .and_then(text_of)
            .unwrap_or_default(),
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

    const ISSUE: &str = r#"{"issues": [{"id": "1", "key": "SUP-1",
        "changelog": {"histories": [
          {"created": "2026-03-02T10:00:00.000+0300", "items": [
            {"field": "status", "fromString": "Open", "toString": "Waiting for support"}]},
          {"created": "2026-03-02T11:00:00.000+0300", "items": [
            {"field": "status", "fromString": "Waiting for support", "toString": "Waiting for vendor"}]},
          {"created": "2026-03-02T12:00:00.000+0300", "items": [
            {"field": "Severity", "fieldId": "customfield_1", "fromString": "S2", "toString": "S1"},
            {"field": "status", "fromString": "Waiting for vendor", "toString": "Fixed"}]}
        ]},
        "fields": {"created": "2026-03-02T09:00:00.000+0300", "project": {"key": "SUP"},
                   "customfield_1": {"value": "S1"}, "assignee": null,
                   "status": {"name": "Fixed", "statusCategory": {"key": "indeterminate"}}}}]}"#;

    #[test]
    fn the_mapping_s_statuses_and_fields_are_followed() {
        let mapping = Mapping::parse(
            "category: { from: fields.customfield_1, map: { S1: error.complete_failure, S2: error.module_failure } }\nstatuses: { paused: [waiting for vendor], resolved: [Fixed] }\n",
            "m.yaml",
        )
        .unwrap();
        let t = run(&[("p.json", ISSUE)], &mapping).remove(0).unwrap();
        // "Waiting for support" is the vendor's turn: the clock runs.
        // Changes within one entry keep their order.
        assert_eq!(kinds(&t), ["paused", "changed", "resumed", "resolved"]);
        assert_eq!(t.category.as_deref(), Some("error.module_failure"));
        assert_eq!(t.events[1].field.as_deref(), Some("category"));
        assert_eq!(t.events[1].to, Some(Value::from("error.complete_failure")));
        // Without the mapping nothing pauses or resolves.
        let t = run(&[("p.json", ISSUE)], &Mapping::default())
            .remove(0)
            .unwrap();
        assert!(t.events.is_empty(), "{:?}", t.events);
    }

    #[test]
    fn pages_overlap_and_worklogs_need_their_issue() {
        let newer = ISSUE.replace("\"key\": \"SUP-1\"", "\"key\": \"SUP-1\", \"x\": 1");
        let logs = r#"{"worklogs": [
            {"id": "1", "issueId": "1", "started": "2026-03-02T13:00:00.000+0300", "timeSpentSeconds": 900, "author": {"displayName": "Ivan"}},
            {"id": "1", "issueId": "1", "started": "2026-03-02T13:00:00.000+0300", "timeSpentSeconds": 900, "author": {"displayName": "Ivan"}},
            {"id": "2", "issueId": "99", "started": "2026-03-02T13:00:00.000+0300", "timeSpentSeconds": 900}]}"#;
        let all = run(
            &[("a.json", ISSUE), ("b.json", &newer), ("w.json", logs)],
            &Mapping::default(),
        );
        assert_eq!(all.len(), 2, "{all:?}");
        let t = all[0].as_ref().unwrap();
        assert_eq!(kinds(t), ["worklog"]);
        assert_eq!(t.events[0].hours, Some(0.25));
        let err = all[1].as_ref().unwrap_err();
        assert!(
            err.message
                .starts_with("w.json: worklogs of the issue with id `99`"),
            "{}",
            err.message
        );

        let zero = logs.replace("900", "0");
        let all = run(&[("a.json", ISSUE), ("w.json", &zero)], &Mapping::default());
        let err = all[0].as_ref().unwrap_err();
        assert_eq!(
            err.message,
            "w.json: worklog `1` of record `SUP-1`: timeSpentSeconds: expected a positive number of seconds"
        );
    }

    #[test]
    fn changelog_pages_complete_a_cut_history() {
        let issue = r#"{"issues": [{"id": "1", "key": "SUP-3",
            "changelog": {"startAt": 0, "maxResults": 1, "total": 2, "histories": [
              {"id": "2", "created": "2026-03-02T12:00:00.000+0300", "items": [
                {"field": "status", "fromString": "In Progress", "toString": "Done"}]}]},
            "fields": {"created": "2026-03-02T09:00:00.000+0300", "project": {"key": "SUP"}}}]}"#;
        let page = r#"{"self": "https://example.atlassian.net/rest/api/3/issue/SUP-3/changelog?maxResults=100&startAt=0",
            "maxResults": 100, "startAt": 0, "total": 2, "isLast": true, "values": [
              {"id": "1", "created": "2026-03-02T10:00:00.000+0300", "items": [
                {"field": "assignee", "fromString": null, "toString": "Ivan"}]},
              {"id": "2", "created": "2026-03-02T12:00:00.000+0300", "items": [
                {"field": "status", "fromString": "In Progress", "toString": "Done"}]}]}"#;
        let cut = run(&[("s.json", issue)], &Mapping::default()).remove(0);
        let err = cut.unwrap_err().message;
        assert!(
            err.contains("the pages hold 1 of the 2 changelog entries"),
            "{err}"
        );
        let all = run(&[("c.json", page), ("s.json", issue)], &Mapping::default());
        let t = all[0].as_ref().unwrap();
        assert_eq!(kinds(t), ["assigned", "resolved"]);
        let orphan = run(&[("c.json", page)], &Mapping::default());
        assert!(
            orphan[0]
                .as_ref()
                .unwrap_err()
                .message
                .contains("no search page holds the issue `SUP-3`")
        );
    }

    #[test]
    fn records_without_a_key_or_fields_are_named() {
        let all = run(
            &[(
                "p.json",
                r#"{"issues": [{"id": "1"}, {"id": "2", "key": "SUP-2"}]}"#,
            )],
            &Mapping::default(),
        );
        assert_eq!(
            all[0].as_ref().unwrap_err().message,
            "p.json: record `number 1 of the page`: key: missing: every issue needs its key (like `SUP-12`)"
        );
        assert!(
            all[1]
                .as_ref()
                .unwrap_err()
                .message
                .starts_with("p.json: record `SUP-2`: fields: missing")
        );
    }
}

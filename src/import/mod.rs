//! Tickets from help desks: the pages a help desk's REST API returns, saved to files,
//! turned into slaengine tickets and their events.
//!
//! This module is pure: it reads no files and no clock. It takes each page's text with
//! the name of its file ([`Page`]) and a [`Mapping`], and gives a ticket or an error for
//! each record. Errors name the file, the record (its key) and the field that could not
//! be mapped, so that `ticket import --skip-bad` can list them and import the rest.
//!
//! Each help desk has a module of its own ([`jira`]); what they share (the mapping file,
//! times with or without an offset, dotted paths into a record, recognising another help
//! desk's pages) lives here.

pub mod jira;
pub mod mapping;
pub mod redmine;
pub mod zammad;
pub mod zendesk;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};

use crate::error::InputError;
use crate::ticket::Ticket;

pub use mapping::{Mapping, Rule, Statuses};

/// A help desk whose saved pages can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Jira Software or Jira Service Management (Cloud or Data Center).
    Jira,
    /// Redmine (issues with their journals, time entries).
    Redmine,
    /// Zendesk Support.
    Zendesk,
    /// Zammad (tickets, ticket histories, articles and time accountings).
    Zammad,
}

impl Source {
    /// The names `--from` accepts.
    pub const NAMES: [&str; 4] = ["jira", "zendesk", "redmine", "zammad"];

    /// The help desk named `name`, or a message saying which ones can be read.
    pub fn parse(name: &str) -> Result<Source, InputError> {
        match name {
            "jira" => Ok(Source::Jira),
            "redmine" => Ok(Source::Redmine),
            "zendesk" => Ok(Source::Zendesk),
            "zammad" => Ok(Source::Zammad),
            _ => Err(InputError::new(format!(
                "--from: unknown help desk `{name}`: expected `jira`, `redmine`, `zendesk` or `zammad`{}",
                crate::suggest::did_you_mean(name, Source::NAMES.into_iter())
            ))),
        }
    }
}

/// One saved page of a help desk's API: its text and the file it came from.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The file's name as the user gave it (used in messages).
    pub file: &'a str,
    /// The file's text (JSON).
    pub text: &'a str,
}

/// Turns the pages of `source` into tickets: one item per record, a ticket or the error
/// that names the file, the record and the field. A page that cannot be read at all
/// (not JSON, truncated, another help desk's) is one error.
pub fn import(
    source: Source,
    pages: &[Page<'_>],
    mapping: &Mapping,
) -> Vec<Result<Ticket, InputError>> {
    match source {
        Source::Jira => jira::import(pages, mapping),
        Source::Redmine => redmine::import(pages, mapping),
        Source::Zendesk => zendesk::import(pages, mapping),
        Source::Zammad => zammad::import(pages, mapping),
    }
}

/// [`import`], all or nothing: the tickets, or the first error.
pub fn import_all(
    source: Source,
    pages: &[Page<'_>],
    mapping: &Mapping,
) -> Result<Vec<Ticket>, InputError> {
    import(source, pages, mapping).into_iter().collect()
}

/// Parses a page's JSON; a mistake (a truncated download, an HTML error page) is located
/// at its line and column.
pub(crate) fn parse_page(page: &Page<'_>) -> Result<serde_json::Value, InputError> {
    serde_json::from_str(page.text).map_err(|e| {
        let what = if e.is_eof() {
            "the page ends too early (was the download cut short?)".to_owned()
        } else {
            let text = e.to_string();
            let text = text
                .rfind(" at line ")
                .map_or(text.as_str(), |i| &text[..i])
                .to_owned();
            format!("expected the JSON a help desk's API returns: {text}")
        };
        InputError::at(
            what,
            page.file,
            page.text,
            e.line().max(1),
            e.column().max(1),
        )
    })
}

/// Which help desk a page seems to come from, by its top-level keys, for the message
/// when a page is given to the wrong importer.
pub(crate) fn looks_like(page: &serde_json::Value) -> Option<&'static str> {
    let obj = match page {
        serde_json::Value::Array(_) => return Some("zammad"),
        serde_json::Value::Object(o) => o,
        _ => return None,
    };
    let has = |k: &str| obj.contains_key(k);
    if has("tickets") || has("audits") || has("ticket_events") || has("ticket_metric_events") {
        return Some("zendesk");
    }
    if has("time_entries") || has("issue") {
        return Some("redmine");
    }
    if let Some(serde_json::Value::Array(issues)) = obj.get("issues")
        && issues
            .first()
            .is_some_and(|i| i.get("fields").is_none() && i.get("tracker").is_some())
    {
        return Some("redmine");
    }
    let changelog = has("values")
        && obj
            .get("self")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|u| u.contains("/changelog"));
    if has("issues") || has("worklogs") || changelog || (has("key") && has("fields")) {
        return Some("jira");
    }
    None
}

/// The message for a page of `found` given to the importer of `expected`.
pub(crate) fn wrong_source(
    file: &str,
    found: Option<&'static str>,
    expected: &'static str,
) -> InputError {
    let shape = match expected {
        "jira" => {
            "a Jira search page (`{\"issues\": [...]}`) or worklog page (`{\"worklogs\": [...]}`)"
        }
        "redmine" => {
            "a Redmine issue page (`{\"issue\": {...}}` or `{\"issues\": [...]}`, saved with `include=journals`), time entry page (`{\"time_entries\": [...]}`), status or priority page"
        }
        "zendesk" => {
            "a Zendesk ticket page (`{\"tickets\": [...]}`), audit page (`{\"audits\": [...]}`) or metric-event page (`{\"ticket_metric_events\": [...]}`)"
        }
        "zammad" => {
            "a Zammad page: tickets (`[...]`), a ticket history (`{\"history\": [...]}`), articles or time accountings"
        }
        _ => "a page of that help desk",
    };
    let title = |name: &'static str| match name {
        "jira" => "Jira",
        "zendesk" => "Zendesk",
        "redmine" => "Redmine",
        "zammad" => "Zammad",
        _ => name,
    };
    match found {
        Some(other) => {
            let (name, wanted) = (title(other), title(expected));
            InputError::new(format!(
                "{file}: this looks like a {name} page, not a {wanted} one: import it with `--from {other}`, or give `--from {expected}` {shape}"
            ))
        }
        None => InputError::new(format!("{file}: expected {shape}")),
    }
}

/// The value at a dotted `path` (`fields.project.key`) in `record`.
pub fn lookup<'v>(record: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    path.split('.').try_fold(record, |v, part| match v {
        serde_json::Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => v.get(part),
    })
}

/// A value of a record as text: a string or number as written; for an object (a select
/// option, a person, a project) its `value`, `name` or `key`; for a list, its first item.
pub fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Object(o) => ["value", "name", "key", "displayName"]
            .iter()
            .find_map(|k| o.get(*k).and_then(text_of)),
        serde_json::Value::Array(items) => items.first().and_then(text_of),
        serde_json::Value::Null => None,
    }
}

/// Reads a help desk's time: RFC 3339, an offset without a colon
/// (`2016-03-03T13:40:01.000+0000`), or no offset at all, which is read in `zone` (the
/// mapping's `timezone`). `None` zone and no offset is an error saying so.
pub fn parse_time(
    text: &str,
    zone: Option<chrono_tz::Tz>,
) -> Result<DateTime<FixedOffset>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t);
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Ok(t);
        }
    }
    let expected = "expected a time like `2016-03-03T13:40:01.000+0000` or `2016-03-03T13:40:01`";
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            let Some(zone) = zone else {
                return Err(format!(
                    "the time `{text}` has no offset: give the mapping a `timezone` (like `timezone: Europe/Moscow`) to read it"
                ));
            };
            return zone
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.fixed_offset())
                .ok_or_else(|| {
                    format!("the time `{text}` does not exist in {zone} (a clock change skips it)")
                });
        }
    }
    Err(format!("{expected}, found `{text}`"))
}

/// A field of the ticket that the mapping sets: its name (`priority`, `category`,
/// `product`), its rule, the path of the record it reads (empty for none) and how a value
/// the rule's `map` lacks is written.
pub(crate) type MappedField<'m> = (&'static str, &'m Rule, &'m str, fn(&str) -> String);

/// The fields the mapping sets: the priority (read from `priority_from` unless the mapping
/// names another path, a value its `map` lacks written by `priority`), then the category
/// and the product when the mapping has rules for them (written as they are).
pub(crate) fn mapped_fields<'m>(
    mapping: &'m Mapping,
    default: &'m Rule,
    priority_from: &'m str,
    priority: fn(&str) -> String,
) -> Vec<MappedField<'m>> {
    let priority_rule = mapping.priority.as_ref().unwrap_or(default);
    let mut mapped: Vec<MappedField<'m>> = vec![(
        "priority",
        priority_rule,
        priority_rule.from.as_deref().unwrap_or(priority_from),
        priority,
    )];
    for (name, rule) in [
        ("category", &mapping.category),
        ("product", &mapping.product),
    ] {
        if let Some(rule) = rule {
            mapped.push((name, rule, rule.from.as_deref().unwrap_or(""), |s| {
                s.to_owned()
            }));
        }
    }
    mapped
}

/// Each mapped field's value when the ticket was created, from `at_creation` (the value
/// at a path then) through its rule.
pub(crate) fn initial_values<'m>(
    mapped: &[MappedField<'m>],
    at_creation: impl Fn(&str) -> Option<String>,
) -> std::collections::BTreeMap<&'static str, Option<String>> {
    mapped
        .iter()
        .map(|(name, rule, path, fallback)| {
            let source = if path.is_empty() {
                None
            } else {
                at_creation(path)
            };
            (*name, rule.apply(source.as_deref(), fallback))
        })
        .collect()
}

/// The customer of a record: the mapping's `customer` rule applied to the value
/// `value_at` reads at the rule's `from` (else `default_from`), a value the rule's `map`
/// lacks written by `fallback`; `Err` with the path read when there is none.
pub(crate) fn customer<'m>(
    mapping: &'m Mapping,
    default_from: &'m str,
    value_at: impl Fn(&str) -> Option<String>,
    fallback: fn(&str) -> String,
) -> Result<String, &'m str> {
    let default = Rule::default();
    let rule = mapping.customer.as_ref().unwrap_or(&default);
    let from = mapping
        .customer
        .as_ref()
        .and_then(|r| r.from.as_deref())
        .unwrap_or(default_from);
    rule.apply(value_at(from).as_deref(), fallback).ok_or(from)
}

/// `s` in lowercase: how a help desk's priority name is written without a `map` entry.
pub(crate) fn lowercase(s: &str) -> String {
    s.to_lowercase()
}

/// The error for the record `key` of `file` whose `field` could not be mapped.
pub(crate) fn record_error(file: &str, key: &str, field: &str, message: &str) -> InputError {
    InputError::new(format!("{file}: record `{key}`: {field}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_and_without_offsets() {
        let t = parse_time("2016-03-03T13:40:01.000+0000", None).unwrap();
        assert_eq!(t.to_rfc3339(), "2016-03-03T13:40:01+00:00");
        let t = parse_time("2022-01-24T15:26:07.124+1100", None).unwrap();
        assert_eq!(t.to_rfc3339(), "2022-01-24T15:26:07.124+11:00");
        let t = parse_time("2026-03-06T16:40:00+03:00", None).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-06T16:40:00+03:00");
        let t = parse_time("2026-03-06T16:40:00", Some(chrono_tz::Europe::Moscow)).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-06T16:40:00+03:00");
        let e = parse_time("2026-03-06T16:40:00", None).unwrap_err();
        assert!(e.contains("timezone"), "{e}");
        assert!(parse_time("yesterday", None).is_err());
    }

    #[test]
    fn paths_and_values() {
        let v = serde_json::json!({"fields": {"project": {"key": "SUP"}, "labels": ["a", "b"], "n": 3}});
        assert_eq!(
            lookup(&v, "fields.project.key").and_then(text_of),
            Some("SUP".into())
        );
        assert_eq!(
            lookup(&v, "fields.project").and_then(text_of),
            Some("SUP".into())
        );
        assert_eq!(
            lookup(&v, "fields.labels.1").and_then(text_of),
            Some("b".into())
        );
        assert_eq!(lookup(&v, "fields.n").and_then(text_of), Some("3".into()));
        assert_eq!(lookup(&v, "fields.none"), None);
    }

    #[test]
    fn pages_are_recognised() {
        let z = serde_json::json!({"tickets": [], "next_page": null});
        assert_eq!(looks_like(&z), Some("zendesk"));
        assert_eq!(looks_like(&serde_json::json!({"issues": []})), Some("jira"));
        assert_eq!(looks_like(&serde_json::json!([])), Some("zammad"));
        assert!(
            Source::parse("jirra")
                .unwrap_err()
                .message
                .contains("did you mean `jira`")
        );
    }
}

//! Tickets from help desks: the pages a help desk's REST API returns, saved to files,
//! turned into slaengine tickets and their events.
//!
//! This module is pure: it reads no files and no clock. It takes each page's text with
//! the name of its file ([`Page`], or [`Pages`] that give each page's text when it is
//! needed) and a [`Mapping`], and gives a ticket or an error for each record. Errors name the file, the record (its key) and the field that could not
//! be mapped, so that `ticket import --skip-bad` can list them and import the rest.
//!
//! Each help desk has a module of its own ([`jira`]); what they share (the mapping file,
//! times with or without an offset, dotted paths into a record, recognising another help
//! desk's pages) lives here.

pub mod jira;
mod json;
pub mod mapping;
pub mod redmine;
pub mod zammad;
pub mod zendesk;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};

use crate::error::{Error, InputError};
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

/// Saved pages, each read when it is needed (a large export does not fit in memory at
/// once): the command reads them from files.
pub trait Pages: Sync {
    /// How many pages there are.
    fn count(&self) -> usize;
    /// The file of page `i` as the user named it (used in messages).
    fn file(&self, i: usize) -> &str;
    /// The text of page `i` (JSON), read into `buffer` if it must be read (each thread
    /// reading pages keeps one buffer); `Err` when it cannot be read at all.
    fn text<'s>(&'s self, i: usize, buffer: &'s mut Vec<u8>) -> Result<&'s str, Error>;
}

impl Pages for [Page<'_>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn file(&self, i: usize) -> &str {
        self[i].file
    }
    fn text<'s>(&'s self, i: usize, _: &'s mut Vec<u8>) -> Result<&'s str, Error> {
        Ok(self[i].text)
    }
}

/// [`import`] of [`Pages`]: Jira's are read a few at a time, on every core; the other
/// help desks' all at once. `Err` is a page that could not be read at all.
pub fn import_pages<P: Pages + ?Sized>(
    source: Source,
    pages: &P,
    mapping: &Mapping,
) -> Result<Vec<Result<Ticket, InputError>>, Error> {
    if source == Source::Jira {
        return jira::import_pages(pages, mapping);
    }
    let texts = (0..pages.count())
        .map(|i| pages.text(i, &mut Vec::new()).map(str::to_owned))
        .collect::<Result<Vec<_>, _>>()?;
    let list: Vec<Page<'_>> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| Page {
            file: pages.file(i),
            text,
        })
        .collect();
    Ok(import(source, &list, mapping))
}

/// [`import_pages`] for a consumer that stores the tickets as they come (Jira's are
/// mapped on every core while the consumer stores them): `consume` gets each ticket that
/// passes `check`, and the errors in the order [`import`] gives them (a help desk's
/// tickets all before its errors, or all after; a page that cannot be read at all as
/// soon as it is found). `consume` may be called a second time, when the first run ended
/// with an error that is not an [`Error::Input`] (the import starts over: the consumer
/// must not have kept anything from it). `Err` is a page that could not be read at all
/// before any item.
pub fn import_streaming<P: Pages + ?Sized, R>(
    source: Source,
    pages: &P,
    mapping: &Mapping,
    check: &(dyn Fn(&Ticket) -> Result<(), InputError> + Sync),
    mut consume: impl FnMut(&mut dyn Iterator<Item = Result<Ticket, Error>>) -> R,
) -> Result<R, Error> {
    if source == Source::Jira {
        return jira::stream(pages, mapping, check, |items| {
            consume(&mut items.map(|(_, r)| r))
        });
    }
    let mut errors = Vec::new();
    let mut tickets = Vec::new();
    for r in import_pages(source, pages, mapping)? {
        match r.and_then(|t| check(&t).map(|()| t)) {
            Ok(t) => tickets.push(t),
            Err(e) => errors.push(Err(e.into())),
        }
    }
    Ok(consume(
        &mut errors.into_iter().chain(tickets.into_iter().map(Ok)),
    ))
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
    parse_with(page.file, page.text, std::marker::PhantomData)
}

/// Parses the page `text` of `file` through `seed`, its mistakes located as
/// [`parse_page`] locates them.
pub(crate) fn parse_with<'a, S: serde::de::DeserializeSeed<'a>>(
    file: &str,
    text: &'a str,
    seed: S,
) -> Result<S::Value, InputError> {
    parse_seed(text, seed).map_err(|e| page_error(&e, file, text))
}

/// Parses the page `text` through `seed`, the whole text (as `serde_json::from_str`).
pub(crate) fn parse_seed<'a, S: serde::de::DeserializeSeed<'a>>(
    text: &'a str,
    seed: S,
) -> Result<S::Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = seed.deserialize(&mut de)?;
    de.end()?;
    Ok(parsed)
}

/// The error of a page of `file` whose `text` is not the JSON expected, at its line and
/// column.
pub(crate) fn page_error(e: &serde_json::Error, file: &str, text: &str) -> InputError {
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
    InputError::at(what, file, text, e.line().max(1), e.column().max(1))
}

/// Which help desk a page seems to come from, by its top-level keys, for the message
/// when a page is given to the wrong importer.
pub(crate) fn looks_like(page: &serde_json::Value) -> Option<&'static str> {
    let obj = match page {
        serde_json::Value::Array(_) => return Some("zammad"),
        serde_json::Value::Object(o) => o,
        _ => return None,
    };
    let redmine_issues = matches!(obj.get("issues"), Some(serde_json::Value::Array(issues))
        if issues.first().is_some_and(|i| i.get("fields").is_none() && i.get("tracker").is_some()));
    kind_by_keys(
        |k| obj.contains_key(k),
        redmine_issues,
        obj.get("self").and_then(serde_json::Value::as_str),
    )
}

/// The top-level keys of a page that [`kind_by_keys`] asks about.
pub(crate) const SHAPE_KEYS: [&str; 11] = [
    "tickets",
    "audits",
    "ticket_events",
    "ticket_metric_events",
    "time_entries",
    "issue",
    "issues",
    "worklogs",
    "values",
    "key",
    "fields",
];

/// Which help desk an object page seems to come from: `has` tells which of
/// [`SHAPE_KEYS`] it has, `redmine_issues` whether its `issues` are Redmine's (the first
/// has a `tracker` and no `fields`), `self_url` its `self` link.
pub(crate) fn kind_by_keys(
    has: impl Fn(&str) -> bool,
    redmine_issues: bool,
    self_url: Option<&str>,
) -> Option<&'static str> {
    if has("tickets") || has("audits") || has("ticket_events") || has("ticket_metric_events") {
        return Some("zendesk");
    }
    if has("time_entries") || has("issue") || redmine_issues {
        return Some("redmine");
    }
    let changelog = has("values") && self_url.is_some_and(|u| u.contains("/changelog"));
    if has("issues") || has("worklogs") || changelog || (has("key") && has("fields")) {
        return Some("jira");
    }
    None
}

/// `f` of every page number below `count`, run on every core (at most 8 threads), each
/// thread taking the next page when it is done with one, so that a run of large pages
/// does not fall to one core, and keeping its own `S` (a buffer); the results in page
/// order.
pub(crate) fn each_page<S: Default, R: Send>(
    count: usize,
    f: impl Fn(&mut S, usize) -> R + Sync,
) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(count);
    if workers <= 1 {
        let mut state = S::default();
        return (0..count).map(|i| f(&mut state, i)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..count).map(|_| None).collect();
    std::thread::scope(|s| {
        let work = || {
            let mut done = Vec::new();
            let mut state = S::default();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    return done;
                }
                done.push((i, f(&mut state, i)));
            }
        };
        let handles: Vec<_> = (0..workers).map(|_| s.spawn(work)).collect();
        for h in handles {
            match h.join() {
                Ok(done) => {
                    for (i, r) in done {
                        slots[i] = Some(r);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    slots.into_iter().flatten().collect()
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
    if let Some(t) = help_desk_time(text) {
        return Ok(t);
    }
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

/// The form help desks write most (`2016-03-03T13:40:01.000+0000`, or with `+03:00` or
/// `Z`), read without chrono's format parser, which takes most of an import's time
/// otherwise; `None` for any other text, which [`parse_time`] reads the slow way (the
/// same instant and offset).
fn help_desk_time(text: &str) -> Option<DateTime<FixedOffset>> {
    let b = text.as_bytes();
    let digits = |at: usize, n: usize| -> Option<u32> {
        b.get(at..at + n)?.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() < 20 || [b[4], b[7], b[10], b[13], b[16]] != [b'-', b'-', b'T', b':', b':'] {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(digits(0, 4)?).ok()?,
        digits(5, 2)?,
        digits(8, 2)?,
    )?;
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    // A leap second (`:60`) is left to chrono.
    if second > 59 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0;
    if b[at] == b'.' {
        let n = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&n) {
            return None;
        }
        nanos = digits(at + 1, n)? * 10u32.pow(9 - n as u32);
        at += 1 + n;
    }
    let offset = match &b[at..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let minutes = match rest.len() {
                4 => digits(at + 1, 2)? * 60 + digits(at + 3, 2)?,
                5 if rest[2] == b':' => digits(at + 1, 2)? * 60 + digits(at + 4, 2)?,
                _ => return None,
            };
            if digits(at + 3 + usize::from(rest.len() == 5), 2)? > 59 {
                return None;
            }
            let seconds = i32::try_from(minutes * 60).ok()?;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let time = chrono::NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&date.and_time(time))
        .single()
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
    fn the_quick_reading_of_times_agrees_with_chrono() {
        let slow = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
                .ok()
        };
        let mut n = 0;
        for date in [
            "2016-03-03",
            "2024-02-29",
            "2023-02-29",
            "1999-12-31",
            "2026-13-01",
        ] {
            for time in [
                "13:40:01", "00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60",
            ] {
                for fraction in ["", ".0", ".000", ".123456789", ".1234567891", "."] {
                    for offset in [
                        "+0000", "+0300", "-0530", "+1400", "+03:00", "Z", "+2359", "+0060",
                        "+2400", "-2359", "", "+03", "z", "+03:0",
                    ] {
                        let text = format!("{date}T{time}{fraction}{offset}");
                        let quick = help_desk_time(&text);
                        if let Some(t) = quick {
                            n += 1;
                            let s = slow(&text);
                            assert_eq!(Some(t), s, "{text}");
                            assert_eq!(
                                s.map(|s| s.offset().local_minus_utc()),
                                Some(t.offset().local_minus_utc()),
                                "{text}"
                            );
                        }
                        assert_eq!(parse_time(&text, None).ok(), slow(&text), "{text}");
                    }
                }
            }
        }
        assert_eq!(n, 288, "every well-formed time is read the quick way");
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

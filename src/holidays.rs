//! Holiday files: the all-day events of an iCalendar file (`.ics`, RFC 5545) as the dates
//! they close, for a calendar's `holiday_files`.
//!
//! Pure: it takes the file's text and returns dates; the contract loader reads the file.
//! The `icalendar` crate parses the file and the `rrule` crate expands recurrence rules.
//! What a file says (docs/contract-format.md):
//!
//! - Each all-day `VEVENT` (`DTSTART;VALUE=DATE:20260101`, or a bare date) closes every
//!   date from `DTSTART` up to `DTEND`, exclusive; with `DURATION` (`P3D`, `P1W`) that
//!   many days; with neither, its one day.
//! - A yearly `RRULE` (`FREQ=YEARLY` with `COUNT`, `UNTIL`, `INTERVAL`, `BYMONTH`,
//!   `BYMONTHDAY`, `BYDAY` …) repeats the event. Rules are expanded from
//!   [`RULES_FROM`] through [`RULES_UNTIL`] (1970–2100, the span of the calendar's zone
//!   tables), so a rule without an end closes its dates in those years and no others.
//!   `DTSTART` is always one occurrence. Other frequencies are refused: weekly days off
//!   belong in the calendar's `week`.
//! - `RDATE` adds occurrences, `EXDATE` removes them, an event with `RECURRENCE-ID`
//!   replaces that occurrence of the event with the same `UID`, and a `STATUS:CANCELLED`
//!   event closes nothing.
//! - A timed event (a `DTSTART` with a time of day) is refused: it cannot close a whole
//!   date, and a file that wrote its days off as midnight-to-midnight times would
//!   otherwise be read, silently, as none. A shorter working day belongs in the
//!   calendar's `exceptions`.
//! - Other components (`VTODO`, `VTIMEZONE`, alarms) and properties are ignored.
//!
//! Mistakes are [`InputError`]s at the line and column of the file as written (folded
//! lines counted), saying what was expected and what was found.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use icalendar::parser::{Component, Property, read_calendar_simple, unfold};
use rrule::{Frequency, RRule, Tz, Unvalidated};

use crate::error::InputError;

/// The first date a recurrence rule closes (1970-01-01).
pub const RULES_FROM: NaiveDate = ymd(1970, 1, 1);
/// The last date a recurrence rule closes (2100-12-31).
pub const RULES_UNTIL: NaiveDate = ymd(2100, 12, 31);
/// The longest event, in days: a longer one is a mistake (a year typed wrong in `DTEND`).
pub const MAX_EVENT_DAYS: i64 = 366;

const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("not a date"),
    }
}

/// The dates closed by the all-day events of the iCalendar `text`, sorted, each once.
/// `file` names the file in messages.
///
/// ```
/// let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:20260103\nEND:VEVENT\nEND:VCALENDAR\n";
/// let dates = slaengine::holidays::read(ics, "calendars/x.ics").unwrap();
/// assert_eq!(dates.iter().map(|d| d.to_string()).collect::<Vec<_>>(), ["2026-01-01", "2026-01-02"]);
/// ```
pub fn read(text: &str, file: &str) -> Result<Vec<NaiveDate>, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // One kind of line end: the parser refuses a file that mixes them, as a file edited
    // by hand may (the lines stay the same lines).
    let unfolded = unfold(&text.replace("\r\n", "\n"));
    let source = Source::new(text, &unfolded, file);
    let roots = read_calendar_simple(&unfolded)
        .map_err(|e| source.syntax_error(unfolded.len() - e.input.len()))?;
    let scan = Scan::of(&source.lines);
    for (k, root) in roots.iter().enumerate() {
        if !root.name.as_str().eq_ignore_ascii_case("VCALENDAR") {
            let line = scan.roots.get(k).copied().unwrap_or(0);
            return Err(source.at(
                line,
                Column::Start,
                format!(
                    "expected an iCalendar file of `BEGIN:VCALENDAR` … `END:VCALENDAR`, found `BEGIN:{}`",
                    root.name.as_str()
                ),
            ));
        }
    }
    let mut components = Vec::new();
    for root in &roots {
        events_in(root, &mut components);
    }
    let events: Vec<Event> = components
        .into_iter()
        .enumerate()
        .map(|(k, component)| Event {
            component,
            lines: scan.events.get(k),
        })
        .collect();

    // Occurrences replaced by an event of their own (`RECURRENCE-ID`), by `UID`.
    let mut replaced: BTreeMap<&str, BTreeSet<NaiveDate>> = BTreeMap::new();
    for e in &events {
        let Some((uid, (n, id))) = e.value("UID").zip(e.first("RECURRENCE-ID")) else {
            continue;
        };
        let date = match when(id.val.as_str()) {
            Some(When::Date(d) | When::Timed(d)) => d,
            None => return Err(source.not_a_date(e.line("RECURRENCE-ID", n), id)),
        };
        replaced.entry(uid).or_default().insert(date);
    }

    let mut dates = BTreeSet::new();
    for e in &events {
        if e.value("STATUS")
            .is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"))
        {
            continue;
        }
        let Some((n, dtstart)) = e.first("DTSTART") else {
            return Err(source.at(
                e.begin(),
                Column::Start,
                format!(
                    "the event{} has no `DTSTART`: expected an all-day start like `DTSTART;VALUE=DATE:20260101`",
                    e.summary()
                ),
            ));
        };
        let start = match when(dtstart.val.as_str()) {
            Some(When::Date(d)) => d,
            Some(When::Timed(_)) => {
                return Err(source.at(
                    e.line("DTSTART", n),
                    Column::Value,
                    format!(
                        "expected an all-day event like `DTSTART;VALUE=DATE:20260101`, found a time of day `{}`: a holiday file closes whole dates (a shorter working day belongs in the calendar's `exceptions`)",
                        dtstart.val.as_str().trim()
                    ),
                ));
            }
            None => return Err(source.not_a_date(e.line("DTSTART", n), dtstart)),
        };
        let days = length(&source, e, start)?;

        let mut starts = BTreeSet::from([start]);
        for (n, rule) in e.all("RRULE") {
            let expanded = expand(rule.val.as_str(), start)
                .map_err(|msg| source.at(e.line("RRULE", n), Column::Value, msg))?;
            starts.extend(expanded);
        }
        for (n, rdate) in e.all("RDATE") {
            for v in rdate.val.as_str().split(',') {
                match when(v) {
                    Some(When::Date(d)) => {
                        starts.insert(d);
                    }
                    _ => {
                        return Err(source.at(
                            e.line("RDATE", n),
                            Column::Value,
                            format!(
                                "expected dates like `20260101` in `RDATE` (the event is all-day), found `{}`",
                                v.trim()
                            ),
                        ));
                    }
                }
            }
        }
        for (n, exdate) in e.all("EXDATE") {
            for v in exdate.val.as_str().split(',') {
                match when(v) {
                    Some(When::Date(d) | When::Timed(d)) => {
                        starts.remove(&d);
                    }
                    None => {
                        return Err(source.at(
                            e.line("EXDATE", n),
                            Column::Value,
                            format!(
                                "expected dates like `20260101` in `EXDATE`, found `{}`",
                                v.trim()
                            ),
                        ));
                    }
                }
            }
        }
        let is_series = e.first("RECURRENCE-ID").is_none();
        if let Some(gone) = e.value("UID").and_then(|u| replaced.get(u))
            && is_series
        {
            starts.retain(|d| !gone.contains(d));
        }
        for s in starts {
            for k in 0..days {
                let Some(d) = s.checked_add_days(chrono::Days::new(k.unsigned_abs())) else {
                    return Err(source.at(
                        e.line("DTSTART", n),
                        Column::Value,
                        format!(
                            "expected a date no later than {}, found an event running past it",
                            NaiveDate::MAX
                        ),
                    ));
                };
                dates.insert(d);
            }
        }
    }
    Ok(dates.into_iter().collect())
}

/// How many days the event `e` starting on `start` closes: to `DTEND` (exclusive), for
/// `DURATION`, or one.
fn length(source: &Source, e: &Event, start: NaiveDate) -> Result<i64, InputError> {
    let (key, n, days) = match (e.first("DTEND"), e.first("DURATION")) {
        (Some(_), Some((n, _))) => {
            return Err(source.at(
                e.line("DURATION", n),
                Column::Start,
                "an event has `DTEND` or `DURATION`, found both: remove one".into(),
            ));
        }
        (None, None) => return Ok(1),
        (Some((n, end)), None) => {
            let found = end.val.as_str().trim();
            let end = match when(found) {
                Some(When::Date(d)) => d,
                Some(When::Timed(_)) => {
                    return Err(source.at(
                        e.line("DTEND", n),
                        Column::Value,
                        format!(
                            "expected a date like `{}` in `DTEND` (the event starts on a date), found a time of day `{found}`",
                            start.succ_opt().unwrap_or(start).format("%Y%m%d")
                        ),
                    ));
                }
                None => return Err(source.not_a_date(e.line("DTEND", n), end)),
            };
            if end <= start {
                return Err(source.at(
                    e.line("DTEND", n),
                    Column::Value,
                    format!(
                        "expected `DTEND` after `DTSTART` ({}; `DTEND` is the first day after the event), found `{found}`",
                        start.format("%Y%m%d")
                    ),
                ));
            }
            ("DTEND", n, (end - start).num_days())
        }
        (None, Some((n, duration))) => {
            let found = duration.val.as_str().trim();
            match days_of(found) {
                Some(d) if d > 0 => ("DURATION", n, d),
                _ => {
                    return Err(source.at(
                        e.line("DURATION", n),
                        Column::Value,
                        format!(
                            "expected whole days like `P3D` or weeks like `P1W` in `DURATION` (the event is all-day), found `{found}`"
                        ),
                    ));
                }
            }
        }
    };
    if days > MAX_EVENT_DAYS {
        return Err(source.at(
            e.line(key, n),
            Column::Value,
            format!(
                "the event{} lasts {days} days: expected at most {MAX_EVENT_DAYS} (a holiday file lists days off, not years)",
                e.summary()
            ),
        ));
    }
    Ok(days)
}

/// The days of an all-day `DURATION`: `P3D`, `P2W` (RFC 5545's `dur-day` and
/// `dur-week`, optionally signed `+`); `None` for anything else.
fn days_of(text: &str) -> Option<i64> {
    let text = text.strip_prefix('+').unwrap_or(text);
    let rest = text.strip_prefix(['P', 'p'])?;
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = rest.get(..digits)?.parse().ok()?;
    match rest.get(digits..)? {
        "D" | "d" => Some(n),
        "W" | "w" => n.checked_mul(7),
        _ => None,
    }
}

/// The dates a yearly `rule` gives for an event starting on `start`, from [`RULES_FROM`]
/// through [`RULES_UNTIL`]; or what is wrong with the rule.
fn expand(rule: &str, start: NaiveDate) -> Result<Vec<NaiveDate>, String> {
    let found = rule.trim();
    let example = "expected a yearly rule like `FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=1` in `RRULE`";
    let invalid = |e: rrule::RRuleError| {
        let text = e.to_string();
        let why = text
            .strip_prefix("RRule parsing error: ")
            .or_else(|| text.strip_prefix("RRule validation error: "))
            .unwrap_or(&text)
            .to_owned();
        format!("{example}, found `{found}`: {why}")
    };
    let parsed: RRule<Unvalidated> = until_in_utc(found).parse().map_err(invalid)?;
    if parsed.get_freq() != Frequency::Yearly {
        let freq = found
            .split(';')
            .find(|p| p.to_ascii_uppercase().starts_with("FREQ="))
            .unwrap_or(found);
        return Err(format!(
            "{example}, found `{freq}`: a holiday file repeats its days off yearly (weekly days off belong in the calendar's `week`)"
        ));
    }
    let at = |d: NaiveDate| Tz::UTC.from_utc_datetime(&d.and_time(NaiveTime::MIN));
    let result = parsed
        .build(at(start))
        .map_err(invalid)?
        .after(at(RULES_FROM))
        .before(at(RULES_UNTIL))
        .all(u16::MAX);
    if result.limited {
        return Err(format!(
            "{example}, found `{found}`, which repeats more than {} times from {RULES_FROM} through {RULES_UNTIL}",
            u16::MAX
        ));
    }
    Ok(result.dates.iter().map(|d| d.date_naive()).collect())
}

/// The rule with an `UNTIL` date (`UNTIL=20301231`, the form RFC 5545 requires for an
/// all-day event) or floating time written in UTC, the zone its occurrences are expanded
/// in (the `rrule` crate reads both as local time, which it refuses beside a UTC start).
fn until_in_utc(rule: &str) -> String {
    let parts: Vec<String> = rule
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((key, v)) if key.trim().eq_ignore_ascii_case("UNTIL") => match when(v) {
                Some(When::Date(_)) => format!("{key}={}T000000Z", v.trim()),
                Some(When::Timed(_)) if !v.trim().ends_with(['Z', 'z']) => {
                    format!("{key}={}Z", v.trim())
                }
                _ => part.to_owned(),
            },
            _ => part.to_owned(),
        })
        .collect();
    parts.join(";")
}

/// A `DATE` or `DATE-TIME` value.
enum When {
    /// `20260101`.
    Date(NaiveDate),
    /// `20260101T090000`, with `Z` or not: the date as written.
    Timed(NaiveDate),
}

fn when(value: &str) -> Option<When> {
    let v = value.trim();
    if v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(v, "%Y%m%d").ok().map(When::Date);
    }
    let local = v.strip_suffix(['Z', 'z']).unwrap_or(v);
    NaiveDateTime::parse_from_str(local, "%Y%m%dT%H%M%S")
        .ok()
        .map(|t| When::Timed(t.date()))
}

/// The `VEVENT`s under `c`, in the order of the file.
fn events_in<'c, 'a>(c: &'c Component<'a>, out: &mut Vec<&'c Component<'a>>) {
    if c.name.as_str().eq_ignore_ascii_case("VEVENT") {
        out.push(c);
    }
    for child in &c.components {
        events_in(child, out);
    }
}

/// One `VEVENT` as parsed, and where its lines are.
struct Event<'c, 'a> {
    component: &'c Component<'a>,
    lines: Option<&'c EventLines>,
}

impl<'c, 'a> Event<'c, 'a> {
    /// The properties called `name`, each with its number among them.
    fn all(&self, name: &'static str) -> impl Iterator<Item = (usize, &'c Property<'a>)> {
        self.component
            .properties
            .iter()
            .filter(move |p| p.name.as_str().eq_ignore_ascii_case(name))
            .enumerate()
    }

    fn first(&self, name: &'static str) -> Option<(usize, &'c Property<'a>)> {
        self.all(name).next()
    }

    fn value(&self, name: &'static str) -> Option<&'c str> {
        self.first(name).map(|(_, p)| p.val.as_str().trim())
    }

    /// ` `SUMMARY``, for messages.
    fn summary(&self) -> String {
        self.value("SUMMARY")
            .map(|s| format!(" `{s}`"))
            .unwrap_or_default()
    }

    /// The (unfolded) line of its `BEGIN:VEVENT`.
    fn begin(&self) -> usize {
        self.lines.map_or(0, |l| l.begin)
    }

    /// The (unfolded) line of the `n`th property called `name`.
    fn line(&self, name: &str, n: usize) -> usize {
        self.lines
            .and_then(|l| {
                l.properties
                    .iter()
                    .filter(|(p, _)| p.eq_ignore_ascii_case(name))
                    .nth(n)
            })
            .map_or_else(|| self.begin(), |(_, line)| *line)
    }
}

/// Where one `VEVENT`'s lines are: its `BEGIN`, and each property's name and line.
struct EventLines {
    begin: usize,
    properties: Vec<(String, usize)>,
}

/// A look over the (unfolded) lines for where things are: the `BEGIN` line of each
/// top-level component and the lines of each event, in the order the parser met them.
struct Scan {
    roots: Vec<usize>,
    events: Vec<EventLines>,
}

impl Scan {
    fn of(lines: &[&str]) -> Scan {
        let mut scan = Scan {
            roots: Vec::new(),
            events: Vec::new(),
        };
        let mut open: Vec<String> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match Line::of(line) {
                Line::Begin(name) => {
                    if open.is_empty() {
                        scan.roots.push(i);
                    }
                    if name.eq_ignore_ascii_case("VEVENT") {
                        scan.events.push(EventLines {
                            begin: i,
                            properties: Vec::new(),
                        });
                    }
                    open.push(name.to_owned());
                }
                Line::End => {
                    open.pop();
                }
                Line::Property(name) => {
                    let in_event = open
                        .last()
                        .is_some_and(|o| o.eq_ignore_ascii_case("VEVENT"));
                    if let (true, Some(event)) = (in_event, scan.events.last_mut()) {
                        event.properties.push((name.to_owned(), i));
                    }
                }
            }
        }
        scan
    }
}

/// What a content line is, by its name.
enum Line<'l> {
    Begin(&'l str),
    End,
    Property(&'l str),
}

impl<'l> Line<'l> {
    fn of(line: &'l str) -> Line<'l> {
        let line = line.trim_end_matches('\r');
        let name = line.split([';', ':']).next().unwrap_or_default().trim();
        let value = line.split_once(':').map_or("", |(_, v)| v.trim());
        if name.eq_ignore_ascii_case("BEGIN") {
            Line::Begin(value)
        } else if name.eq_ignore_ascii_case("END") {
            Line::End
        } else {
            Line::Property(name)
        }
    }
}

/// Where in an error's line the underline starts.
enum Column {
    /// At the start of the line.
    Start,
    /// At the property's value (after its `:`).
    Value,
}

/// The file as written and as unfolded, to place errors on the lines a person sees.
struct Source<'s> {
    text: &'s str,
    file: &'s str,
    /// The unfolded lines.
    lines: Vec<&'s str>,
    /// For each unfolded line, the 1-based line of the file on which it starts.
    starts: Vec<usize>,
}

impl<'s> Source<'s> {
    fn new(text: &'s str, unfolded: &'s str, file: &'s str) -> Source<'s> {
        // Unfolding joins a line that starts with a space or a tab to the one before.
        let starts = text
            .split('\n')
            .enumerate()
            .filter(|(i, l)| *i == 0 || !l.starts_with([' ', '\t']))
            .map(|(i, _)| i + 1)
            .collect();
        Source {
            text,
            file,
            lines: unfolded.split('\n').collect(),
            starts,
        }
    }

    /// An error on the unfolded line `line` (0-based).
    fn at(&self, line: usize, column: Column, message: String) -> InputError {
        let number = self
            .starts
            .get(line)
            .or(self.starts.last())
            .copied()
            .unwrap_or(1);
        let written = self
            .text
            .lines()
            .nth(number - 1)
            .unwrap_or_default()
            .trim_end();
        let col = match column {
            Column::Start => 1,
            Column::Value => value_column(written),
        };
        let mut err = InputError::at(message, self.file, self.text, number, col);
        err.width = written.chars().count().saturating_sub(col - 1).max(1);
        err
    }

    fn not_a_date(&self, line: usize, p: &Property) -> InputError {
        self.at(
            line,
            Column::Value,
            format!(
                "expected a date like `20260101` in `{}`, found `{}`",
                p.name.as_str(),
                p.val.as_str().trim()
            ),
        )
    }

    /// The parser stopped at byte `offset` of the unfolded text: what was expected there.
    fn syntax_error(&self, offset: usize) -> InputError {
        // A line without a `:` throws the parser off wherever it is, and a content line
        // needs one: it is the mistake to show first.
        let no_colon = self.lines.iter().enumerate().find(|(_, l)| {
            let l = l.trim();
            !l.is_empty() && value_column(l) == 1
        });
        if let Some((line, text)) = no_colon {
            return self.at(
                line,
                Column::Start,
                format!(
                    "expected a content line like `NAME:value` (with a `:` before the value), found `{}`",
                    text.trim()
                ),
            );
        }
        let before = self.lines.iter().scan(0, |end, l| {
            *end += l.len() + 1;
            Some(*end)
        });
        let here = before.take_while(|end| *end <= offset).count();
        let mut open: Vec<(&str, usize)> = Vec::new();
        for (i, line) in self.lines.iter().enumerate().take(here) {
            match Line::of(line) {
                Line::Begin(name) => open.push((name, i)),
                Line::End => {
                    open.pop();
                }
                Line::Property(_) => {}
            }
        }
        let text = |i: usize| self.lines.get(i).map_or("", |l| l.trim());
        let at_end = (here..self.lines.len()).all(|i| text(i).is_empty());
        let found = text(here);
        match (open.last(), at_end) {
            (Some((name, begin)), true) => self.at(
                *begin,
                Column::Start,
                format!("`BEGIN:{name}` is never closed: expected `END:{name}` before the end of the file"),
            ),
            (None, true) => self.at(
                0,
                Column::Start,
                "expected an iCalendar file of `BEGIN:VCALENDAR` … `END:VCALENDAR`, found an empty file".into(),
            ),
            (None, false) => self.at(
                here,
                Column::Start,
                format!(
                    "expected an iCalendar file of `BEGIN:VCALENDAR` … `END:VCALENDAR`, found `{found}`"
                ),
            ),
            (Some((name, begin)), false) => {
                let message = if matches!(Line::of(found), Line::End) {
                    format!(
                        "expected `END:{name}` (for the `BEGIN:{name}` at line {}), found `{found}`",
                        self.starts.get(*begin).copied().unwrap_or(1)
                    )
                } else {
                    format!(
                        "expected a line like `NAME:value`, `BEGIN:…` or `END:{name}`, found `{found}`"
                    )
                };
                self.at(here, Column::Start, message)
            }
        }
    }
}

/// The 1-based column of the value of a content line: after the first `:` outside
/// double quotes (parameter values may be quoted), or 1.
fn value_column(line: &str) -> usize {
    let mut quoted = false;
    for (i, c) in line.chars().enumerate() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return i + 2,
            _ => {}
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ics(events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
    }

    fn dates(events: &str) -> Vec<String> {
        read(&ics(events), "h.ics")
            .unwrap()
            .iter()
            .map(|d| d.to_string())
            .collect()
    }

    fn error(text: &str) -> String {
        read(text, "calendars/h.ics").unwrap_err().render()
    }

    #[test]
    fn a_multi_day_event_closes_each_date_up_to_its_end_exclusive() {
        let d = dates(
            "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:New Year\r\nDTSTART;VALUE=DATE:20251231\r\nDTEND;VALUE=DATE:20260103\r\nEND:VEVENT\r\n",
        );
        assert_eq!(d, ["2025-12-31", "2026-01-01", "2026-01-02"]);
    }

    #[test]
    fn an_event_without_an_end_closes_its_one_date_and_a_bare_date_is_a_date() {
        let d = dates("BEGIN:VEVENT\nDTSTART:20260612\nEND:VEVENT\n");
        assert_eq!(d, ["2026-06-12"]);
    }

    #[test]
    fn a_duration_in_days_or_weeks_closes_that_many_dates() {
        let d = dates(
            "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260105\nDURATION:P3D\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260801\nDURATION:+P1W\nEND:VEVENT\n",
        );
        assert_eq!(
            d,
            [
                "2026-01-05",
                "2026-01-06",
                "2026-01-07",
                "2026-08-01",
                "2026-08-02",
                "2026-08-03",
                "2026-08-04",
                "2026-08-05",
                "2026-08-06",
                "2026-08-07"
            ]
        );
    }

    #[test]
    fn a_yearly_rule_with_a_count_repeats_that_many_times() {
        let d = dates(
            "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260504\nDTEND;VALUE=DATE:20260506\nRRULE:FREQ=YEARLY;COUNT=3\nEND:VEVENT\n",
        );
        assert_eq!(
            d,
            [
                "2026-05-04",
                "2026-05-05",
                "2027-05-04",
                "2027-05-05",
                "2028-05-04",
                "2028-05-05"
            ]
        );
    }

    #[test]
    fn a_yearly_rule_until_a_date_with_an_interval_and_month_days() {
        // Every other year on 12 June, until 12 June 2030 inclusive.
        let d = dates(
            "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260612\nRRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=6;BYMONTHDAY=12;UNTIL=20300612\nEND:VEVENT\n",
        );
        assert_eq!(d, ["2026-06-12", "2028-06-12", "2030-06-12"]);
        // The same end as a UTC time.
        let d = dates(
            "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260612\nRRULE:FREQ=YEARLY;UNTIL=20280101T000000Z\nEND:VEVENT\n",
        );
        assert_eq!(d, ["2026-06-12", "2027-06-12"]);
    }

    #[test]
    fn a_rule_without_an_end_closes_its_dates_from_1970_through_2100() {
        let got = read(
            &ics("BEGIN:VEVENT\nDTSTART;VALUE=DATE:19500501\nRRULE:FREQ=YEARLY\nEND:VEVENT\n"),
            "h.ics",
        )
        .unwrap();
        // DTSTART itself, then every 1 May of the span.
        assert_eq!(got.len(), 1 + 131);
        assert_eq!(got[0].to_string(), "1950-05-01");
        assert_eq!(got[1].to_string(), "1970-05-01");
        assert_eq!(got.last().unwrap().to_string(), "2100-05-01");
    }

    #[test]
    fn exdate_removes_occurrences_and_rdate_adds_them() {
        let d = dates(
            "BEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20260309\nRRULE:FREQ=YEARLY;COUNT=4\nEXDATE;VALUE=DATE:20270309,20280309\nRDATE;VALUE=DATE:20270308\nEND:VEVENT\n",
        );
        assert_eq!(d, ["2026-03-09", "2027-03-08", "2029-03-09"]);
    }

    #[test]
    fn a_moved_occurrence_replaces_the_one_of_its_series_and_a_cancelled_event_closes_nothing() {
        let d = dates(
            "BEGIN:VEVENT\nUID:may\nDTSTART;VALUE=DATE:20260509\nRRULE:FREQ=YEARLY;COUNT=3\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:may\nRECURRENCE-ID;VALUE=DATE:20260509\nDTSTART;VALUE=DATE:20260511\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:may\nRECURRENCE-ID;VALUE=DATE:20270509\nSTATUS:CANCELLED\nDTSTART;VALUE=DATE:20270509\nEND:VEVENT\n",
        );
        assert_eq!(d, ["2026-05-11", "2028-05-09"]);
    }

    #[test]
    fn folded_lines_and_lower_case_names_are_read() {
        let d =
            dates("begin:vevent\ndtstart;value=date:20261104\nsummary:Unity\n  Day\nend:vevent\n");
        assert_eq!(d, ["2026-11-04"]);
    }

    #[test]
    fn a_timed_event_is_refused_at_its_start() {
        let text = ics(
            "BEGIN:VEVENT\r\nSUMMARY:Party\r\nDTSTART:20261231T150000Z\r\nDTEND:20261231T180000Z\r\nEND:VEVENT\r\n",
        );
        assert_eq!(
            error(&text),
            "error: expected an all-day event like `DTSTART;VALUE=DATE:20260101`, found a time of day `20261231T150000Z`: a holiday file closes whole dates (a shorter working day belongs in the calendar's `exceptions`)\n --> calendars/h.ics:6:9\n  |\n6 | DTSTART:20261231T150000Z\n  |         ^^^^^^^^^^^^^^^^"
        );
    }

    #[test]
    fn a_weekly_rule_is_refused() {
        let text = ics(
            "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260103\nRRULE:FREQ=WEEKLY;BYDAY=SA\nEND:VEVENT\n",
        );
        assert_eq!(
            error(&text),
            "error: expected a yearly rule like `FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=1` in `RRULE`, found `FREQ=WEEKLY`: a holiday file repeats its days off yearly (weekly days off belong in the calendar's `week`)\n --> calendars/h.ics:6:7\n  |\n6 | RRULE:FREQ=WEEKLY;BYDAY=SA\n  |       ^^^^^^^^^^^^^^^^^^^^"
        );
    }

    #[test]
    fn a_bad_rule_says_what_is_wrong_with_it() {
        let text = ics(
            "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260103\nRRULE:FREQ=YEARLY;BYMONTH=13\nEND:VEVENT\n",
        );
        let e = error(&text);
        assert!(
            e.starts_with("error: expected a yearly rule like `FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=1` in `RRULE`, found `FREQ=YEARLY;BYMONTH=13`: `13` is not a valid BYMONTH value"),
            "{e}"
        );
        assert!(e.contains("--> calendars/h.ics:6:7"), "{e}");
    }

    #[test]
    fn malformed_values_name_their_line_and_what_was_expected() {
        let at = |events: &str| error(&ics(events));
        assert_eq!(
            at("BEGIN:VEVENT\nDTSTART;VALUE=DATE:2026-01-07\nEND:VEVENT\n"),
            "error: expected a date like `20260101` in `DTSTART`, found `2026-01-07`\n --> calendars/h.ics:5:20\n  |\n5 | DTSTART;VALUE=DATE:2026-01-07\n  |                    ^^^^^^^^^^"
        );
        assert_eq!(
            at("BEGIN:VEVENT\nSUMMARY:Day\nEND:VEVENT\n"),
            "error: the event `Day` has no `DTSTART`: expected an all-day start like `DTSTART;VALUE=DATE:20260101`\n --> calendars/h.ics:4:1\n  |\n4 | BEGIN:VEVENT\n  | ^^^^^^^^^^^^"
        );
        assert!(
            at("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260107\nDTEND;VALUE=DATE:20260107\nEND:VEVENT\n")
                .starts_with("error: expected `DTEND` after `DTSTART` (20260107; `DTEND` is the first day after the event), found `20260107`\n --> calendars/h.ics:6:18")
        );
        assert!(
            at("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260107\nDURATION:PT8H\nEND:VEVENT\n")
                .starts_with("error: expected whole days like `P3D` or weeks like `P1W` in `DURATION` (the event is all-day), found `PT8H`\n --> calendars/h.ics:6:10")
        );
        assert!(
            at("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260107\nDTEND;VALUE=DATE:20360107\nEND:VEVENT\n")
                .starts_with("error: the event lasts 3652 days: expected at most 366 (a holiday file lists days off, not years)\n --> calendars/h.ics:6:18")
        );
        assert!(
            at("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260107\nDTEND;VALUE=DATE:20260108\nDURATION:P1D\nEND:VEVENT\n")
                .starts_with("error: an event has `DTEND` or `DURATION`, found both: remove one\n --> calendars/h.ics:7:1")
        );
        assert!(
            at("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260107\nEXDATE:soon\nEND:VEVENT\n")
                .starts_with("error: expected dates like `20260101` in `EXDATE`, found `soon`\n --> calendars/h.ics:6:8")
        );
    }

    #[test]
    fn a_broken_structure_names_the_line_and_what_was_expected() {
        // An event never closed (a folded line before it counts as two lines of the file).
        let text = "BEGIN:VCALENDAR\nPRODID:-//a\n  long//EN\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260107\nEND:VCALENDAR\n";
        assert_eq!(
            error(text),
            "error: expected `END:VEVENT` (for the `BEGIN:VEVENT` at line 4), found `END:VCALENDAR`\n --> calendars/h.ics:6:1\n  |\n6 | END:VCALENDAR\n  | ^^^^^^^^^^^^^"
        );
        let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260107\nEND:VEVENT\n";
        assert_eq!(
            error(text),
            "error: `BEGIN:VCALENDAR` is never closed: expected `END:VCALENDAR` before the end of the file\n --> calendars/h.ics:1:1\n  |\n1 | BEGIN:VCALENDAR\n  | ^^^^^^^^^^^^^^^"
        );
        assert_eq!(
            error("holidays: [2026-01-01]\n"),
            "error: expected an iCalendar file of `BEGIN:VCALENDAR` … `END:VCALENDAR`, found `holidays: [2026-01-01]`\n --> calendars/h.ics:1:1\n  |\n1 | holidays: [2026-01-01]\n  | ^^^^^^^^^^^^^^^^^^^^^^"
        );
        assert_eq!(
            error("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE\nEND:VEVENT\nEND:VCALENDAR\n"),
            "error: expected a content line like `NAME:value` (with a `:` before the value), found `DTSTART;VALUE=DATE`\n --> calendars/h.ics:3:1\n  |\n3 | DTSTART;VALUE=DATE\n  | ^^^^^^^^^^^^^^^^^^"
        );
        assert!(
            error("").starts_with("error: expected an iCalendar file of `BEGIN:VCALENDAR` … `END:VCALENDAR`, found an empty file")
        );
        assert!(
            error("BEGIN:VEVENT\nDTSTART:20260101\nEND:VEVENT\n").starts_with("error: expected an iCalendar file of `BEGIN:VCALENDAR` … `END:VCALENDAR`, found `BEGIN:VEVENT`\n --> calendars/h.ics:1:1")
        );
    }

    #[test]
    fn the_shipped_russian_calendar_closes_the_weekdays_off_of_2026() {
        let got = read(include_str!("../calendars/ru-2026.ics"), "ru-2026.ics").unwrap();
        let got: Vec<String> = got.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            got,
            [
                "2026-01-01",
                "2026-01-02",
                "2026-01-05",
                "2026-01-06",
                "2026-01-07",
                "2026-01-08",
                "2026-01-09",
                "2026-02-23",
                "2026-03-09",
                "2026-05-01",
                "2026-05-11",
                "2026-06-12",
                "2026-11-04",
                "2026-12-31"
            ]
        );
    }
}

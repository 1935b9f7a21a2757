//! Tickets and their events, read from YAML (one or many documents) or JSON lines.
//!
//! A ticket is a request registered by a customer: its category, its registration
//! instant, free-form `fields`, attachments and an ordered list of events. Parsing is
//! strict about shape (unknown keys, malformed instants and event kinds that are neither
//! built in nor declared by the ticket's contract are errors with file, line and column) and lenient about history: events out of order,
//! before registration or after resolution are reported as findings by the evaluation,
//! never as crashes.

use std::collections::BTreeMap;
use std::io::BufRead;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// What happened to a ticket: one of the built-in kinds, or a kind a contract declares
/// in its `events` (`acknowledged`, `workaround`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// An engineer was assigned (stops `assign`).
    Assigned,
    /// Work stopped waiting for the customer (stops pausable clocks).
    Paused,
    /// Work resumed after a pause.
    Resumed,
    /// Hours of work logged (`hours`, `engineer`).
    Worklog,
    /// Allowance work agreed in advance by the customer.
    Approved,
    /// The request was resolved (stops `resolve`).
    Resolved,
    /// A resolved request was reopened (restarts `resolve`).
    Reopened,
    /// An internal remark; it stops no metric unless one names it.
    Comment,
    /// A public reply of the vendor to the customer.
    Replied,
    /// A message from the customer.
    CustomerReplied,
    /// A change of the ticket from this instant on (`field`, `to`).
    Changed,
    /// A kind that is not built in: one the ticket's contract declares (see
    /// [`DeclaredKinds`]; another name is refused where it is written).
    Other(String),
}

impl EventKind {
    /// Every built-in kind. Stored records name a built-in kind by its position here, so
    /// new kinds go at the end.
    pub const ALL: [EventKind; 11] = [
        EventKind::Assigned,
        EventKind::Paused,
        EventKind::Resumed,
        EventKind::Worklog,
        EventKind::Approved,
        EventKind::Resolved,
        EventKind::Reopened,
        EventKind::Comment,
        EventKind::Replied,
        EventKind::CustomerReplied,
        EventKind::Changed,
    ];

    /// The name used in files and on the command line (`assigned`).
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Assigned => "assigned",
            EventKind::Paused => "paused",
            EventKind::Resumed => "resumed",
            EventKind::Worklog => "worklog",
            EventKind::Approved => "approved",
            EventKind::Resolved => "resolved",
            EventKind::Reopened => "reopened",
            EventKind::Comment => "comment",
            EventKind::Replied => "replied",
            EventKind::CustomerReplied => "customer_replied",
            EventKind::Changed => "changed",
            EventKind::Other(name) => name,
        }
    }

    /// The built-in kind with this name.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The kind with this name: a built-in one, or any other name (a kind a contract may
    /// declare) if it is a lowercase word like `acknowledged` or `on_site_visit`.
    pub fn parse(name: &str) -> Result<EventKind, String> {
        if let Some(k) = EventKind::from_name(name) {
            return Ok(k);
        }
        if is_kind_name(name) {
            return Ok(EventKind::Other(name.to_owned()));
        }
        Err(format!(
            "expected an event kind like `assigned` or `replied` (lowercase letters, digits and `_`), found `{name}`"
        ))
    }

    /// Whether the kind is built in.
    pub fn is_builtin(&self) -> bool {
        !matches!(self, EventKind::Other(_))
    }
}

/// The message for an event kind that is not one: the kinds there are, and the nearest.
pub fn unknown_kind(name: &str) -> String {
    let names = || EventKind::ALL.iter().map(|k| k.as_str());
    let hint = crate::suggest::did_you_mean(name, names());
    format!(
        "unknown event kind `{name}`: expected one of {}{hint}",
        crate::suggest::backticked(names())
    )
}

/// The event kinds a ticket may name beyond the built-in ones: those its contract
/// declares under `events`. Tickets are read in two steps: any well-formed kind is
/// accepted, then each ticket is held against the kinds of its contract, and a ticket
/// naming another kind is read again strictly so that the refusal points at the kind
/// where it is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredKinds {
    /// The contract consulted, or `None` when none is (built-in kinds only).
    pub contract: Option<String>,
    /// Whether that contract loads (a contract that does not declares nothing).
    pub loads: bool,
    /// The kinds it declares.
    pub kinds: Vec<String>,
}

/// For each ticket, the kinds its contract declares (see [`DeclaredKinds`]); called only
/// for tickets that name a kind that is not built in.
pub type KindsOf = std::sync::Arc<dyn Fn(&Ticket) -> DeclaredKinds + Send + Sync>;

thread_local! {
    /// While a ticket is read again strictly: the kinds it may name.
    static STRICT: std::cell::RefCell<Option<DeclaredKinds>> = const { std::cell::RefCell::new(None) };
}

impl DeclaredKinds {
    /// Whether `name` is one of the declared kinds.
    fn names(&self, name: &str) -> bool {
        self.kinds.iter().any(|k| k == name)
    }

    /// Whether a ticket may name `kind`.
    pub fn allows(&self, kind: &EventKind) -> bool {
        kind.is_builtin() || self.names(kind.as_str())
    }

    /// The first event kind of `ticket` that it may not name.
    pub fn first_refused<'t>(&self, ticket: &'t Ticket) -> Option<&'t EventKind> {
        ticket
            .events
            .iter()
            .map(|e| &e.kind)
            .find(|k| !self.allows(k))
    }

    /// The message for a kind that is neither built in nor declared: the kinds there are,
    /// and the nearest.
    pub fn refusal(&self, name: &str) -> String {
        let Some(contract) = &self.contract else {
            return unknown_kind(name);
        };
        let builtin = EventKind::ALL.iter().map(|k| k.as_str());
        let declared = self.kinds.iter().map(String::as_str);
        let hint = crate::suggest::did_you_mean(name, builtin.clone().chain(declared.clone()));
        let (own, after) = if !self.loads {
            let after = format!(
                "; the contract `{contract}` does not load, so no kind of its own is known"
            );
            (String::new(), after)
        } else if self.kinds.is_empty() {
            let after =
                format!("; the contract `{contract}` declares no kinds of its own under `events`");
            (String::new(), after)
        } else {
            let own = format!(
                ", or one the contract `{contract}` declares: {}",
                crate::suggest::backticked(declared)
            );
            (own, String::new())
        };
        format!(
            "unknown event kind `{name}`: expected one of {}{own}{hint}{after}",
            crate::suggest::backticked(builtin)
        )
    }

    /// Runs `read` with event kinds restricted to these.
    pub(crate) fn strictly<T>(&self, read: impl FnOnce() -> T) -> T {
        STRICT.set(Some(self.clone()));
        let out = read();
        STRICT.set(None);
        out
    }

    /// Holds a ticket against these kinds: the ticket, or the error of `reread` (reading
    /// its source again, strictly) as `locate` places it, or one naming only `place`.
    fn check<E>(
        &self,
        ticket: Ticket,
        place: impl FnOnce() -> String,
        reread: impl FnOnce() -> Option<E>,
        locate: impl FnOnce(E) -> InputError,
    ) -> Result<Ticket, InputError> {
        let Some(kind) = self.first_refused(&ticket) else {
            return Ok(ticket);
        };
        Err(match self.strictly(reread) {
            Some(e) => locate(e),
            None => InputError::new(format!(
                "{}: ticket `{}`: {}",
                place(),
                ticket.id,
                self.refusal(kind.as_str())
            )),
        })
    }
}

/// The kinds a ticket may name: those of its contract through `kinds`, else the built-in
/// ones.
fn declared_for(kinds: Option<&KindsOf>, ticket: &Ticket) -> DeclaredKinds {
    match kinds {
        Some(f) if ticket.events.iter().any(|e| !e.kind.is_builtin()) => f(ticket),
        _ => DeclaredKinds::default(),
    }
}

/// Whether `name` can name an event kind: a lowercase letter, then lowercase letters,
/// digits and `_`.
pub(crate) fn is_kind_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = EventKind;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an event kind like `assigned`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<EventKind, E> {
                if let Some(k) = EventKind::from_name(v) {
                    return Ok(k);
                }
                STRICT.with_borrow(|strict| match strict {
                    Some(declared) if !declared.names(v) => Err(E::custom(declared.refusal(v))),
                    _ if is_kind_name(v) => Ok(EventKind::Other(v.to_owned())),
                    _ => Err(E::custom(unknown_kind(v))),
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// One event in a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// When it happened.
    #[serde(deserialize_with = "instant")]
    pub at: DateTime<FixedOffset>,
    /// What happened.
    pub kind: EventKind,
    /// The engineer concerned (assigned, worklog).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engineer: Option<String>,
    /// Hours of work (worklog).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    /// A free-text note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who acted: an engineer or a contact of the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// For `changed`: what changed (`priority`, `category`, `product`, `fields.NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `changed`: the new value, a scalar or `null` (`Some(Null)`; absent is `None`).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<serde_json::Value>,
}

impl Event {
    /// An event of `kind` at `at` with nothing else.
    pub fn new(at: DateTime<FixedOffset>, kind: EventKind) -> Event {
        Event {
            at,
            kind,
            engineer: None,
            hours: None,
            note: None,
            by: None,
            field: None,
            to: None,
        }
    }
}

/// A value that is present, `null` included (serde gives `None` for `null` otherwise).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// A support request and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ticket {
    /// The ticket's id (`T-1042`).
    pub id: String,
    /// The customer, which is also the id of the contract that governs the ticket.
    pub customer: String,
    /// The product concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The request category (`error.module_failure`); optional when a script classifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The priority (a value of the contract's `priorities`), if the ticket has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// A one-line description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// When the request was registered; time limits run from here.
    #[serde(deserialize_with = "instant")]
    pub registered: DateTime<FixedOffset>,
    /// Free-form fields (`severity`, `complete_outage`, `reporter`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, serde_json::Value>,
    /// Names of attached files (screenshots, logs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    /// The history, in the order it was recorded.
    #[serde(default)]
    pub events: Vec<Event>,
}

impl Ticket {
    /// Whether `fields.<name>` is the boolean `true`.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.fields.get(name), Some(serde_json::Value::Bool(true)))
    }

    /// Parses one ticket from YAML or JSON text. `file` names the source in errors.
    pub fn from_str_named(text: &str, file: &str) -> Result<Ticket, InputError> {
        let mut all = parse_all(text, file);
        match (all.next(), all.next()) {
            (Some(one), None) => one,
            (None, _) => Err(InputError::new(format!(
                "expected a ticket in `{file}`, found an empty file"
            ))),
            (Some(_), Some(_)) => Err(InputError::new(format!(
                "expected one ticket in `{file}`, found several"
            ))),
        }
    }
}

/// Reads an RFC 3339 instant, saying what was expected when it is not one. (The error is
/// raised inside the visitor so that serde_yaml reports the value's own location.)
pub(crate) fn instant<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<DateTime<FixedOffset>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = DateTime<FixedOffset>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a time like `2026-03-06T16:40:00+03:00`")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            DateTime::parse_from_rfc3339(text.trim()).map_err(|_| {
                E::custom(format!(
                    "expected a time like `2026-03-06T16:40:00+03:00` (RFC 3339, with an offset), found `{text}`"
                ))
            })
        }
    }
    d.deserialize_str(V)
}

/// Whether `text` looks like JSON lines (its first non-blank character is `{`).
fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// Parses every ticket in `text`: YAML documents separated by `---`, or one JSON object
/// per line. Each item is a ticket or the error for that document or line, so a bulk run
/// can report a bad ticket and go on.
/// Event kinds are the built-in ones (see [`parse_all_with`] for a contract's own).
pub fn parse_all<'a>(
    text: &'a str,
    file: &'a str,
) -> Box<dyn Iterator<Item = Result<Ticket, InputError>> + 'a> {
    parse_all_with(text, file, None)
}

/// [`parse_all`], where each ticket may also name the event kinds that `kinds` gives for
/// it (its contract's).
pub fn parse_all_with<'a>(
    text: &'a str,
    file: &'a str,
    kinds: Option<&'a KindsOf>,
) -> Box<dyn Iterator<Item = Result<Ticket, InputError>> + 'a> {
    if is_json(text) {
        Box::new(
            text.lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(move |(i, line)| parse_json_line(line, i + 1, file, kinds)),
        )
    } else {
        Box::new(parse_yaml_documents(text, file, kinds).into_iter())
    }
}

/// Parses one JSON line (`line_no` is 1-based) into a ticket, whose event kinds are the
/// built-in ones and those `kinds` gives for it.
pub fn parse_json_line(
    line: &str,
    line_no: usize,
    file: &str,
    kinds: Option<&KindsOf>,
) -> Result<Ticket, InputError> {
    let read = || serde_json::from_str::<Ticket>(line);
    let locate = |e: serde_json::Error| {
        let column = e.column().max(1);
        let message = strip_json_position(&e.to_string());
        // Report the line and column within the file, with the line itself as snippet.
        InputError::at(message, file, line, 1, column).relocated(line_no)
    };
    let ticket = read().map_err(locate)?;
    let reread = || read().err();
    declared_for(kinds, &ticket).check(ticket, || format!("{file}:{line_no}"), reread, locate)
}

/// serde_json appends " at line L column C"; the location is reported separately.
fn strip_json_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Parses a stream of YAML documents.
fn parse_yaml_documents(
    text: &str,
    file: &str,
    kinds: Option<&KindsOf>,
) -> Vec<Result<Ticket, InputError>> {
    if let Err(e) = crate::yaml_index::check_nesting(text, file) {
        return vec![Err(e)];
    }
    let mut out = Vec::new();
    let documents = text.matches("\n---").count() + 1;
    let mut last_error: Option<(usize, usize)> = None;
    for doc in serde_yaml::Deserializer::from_str(text) {
        // The stream cannot yield more documents than it has separators; a deserializer
        // that stops advancing after an error would otherwise repeat it for ever (found
        // by fuzzing).
        if out.len() >= documents {
            break;
        }
        match Ticket::deserialize(doc) {
            Ok(t) => {
                let n = out.len();
                let reread = || {
                    serde_yaml::Deserializer::from_str(text)
                        .nth(n)
                        .and_then(|d| Ticket::deserialize(d).err())
                };
                out.push(declared_for(kinds, &t).check(
                    t,
                    || file.to_owned(),
                    reread,
                    |e| yaml_error(&e, text, file),
                ));
            }
            Err(e) => {
                let err = yaml_error(&e, text, file);
                let at = e.location().map(|l| (l.line(), l.column()));
                // After a syntax error the rest of the stream cannot be trusted, nor
                // after an error that is not past the previous one.
                let fatal =
                    at.is_none() || at <= last_error || e.to_string().contains("did not find");
                last_error = at;
                out.push(Err(err));
                if fatal {
                    break;
                }
            }
        }
    }
    out
}

/// Removes the " at line L column C" that serde_yaml puts in its messages (the location
/// is reported separately).
fn strip_position(message: &str) -> String {
    let Some(i) = message.find(" at line ") else {
        return message.to_owned();
    };
    let rest = &message[i + " at line ".len()..];
    let after_line = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let Some(after) = after_line.strip_prefix(" column ") else {
        return message.to_owned();
    };
    let tail = after.trim_start_matches(|c: char| c.is_ascii_digit());
    format!("{}{tail}", &message[..i])
}

/// serde's wording of two common mistakes, in the words of the file: "unknown variant
/// `x`, expected `a` or `b`" names the value, the choices and the nearest; "invalid type:
/// string "15h", expected f64" says that a number was expected.
fn plain_words(message: &str) -> String {
    const VARIANT: &str = "unknown variant `";
    if let Some(i) = message.find(VARIANT)
        && let Some((value, tail)) = message[i + VARIANT.len()..].split_once('`')
        && let Some(choices) = tail.strip_prefix(", expected ")
    {
        let names = choices.split('`').skip(1).step_by(2);
        let hint = crate::suggest::did_you_mean(value, names);
        return format!(
            "{}unknown value `{value}`: expected {choices}{hint}",
            &message[..i]
        );
    }
    const INVALID: &str = "invalid type: ";
    if let Some(i) = message.find(INVALID)
        && let Some((found, expected)) = message[i + INVALID.len()..].split_once(", expected ")
        && matches!(expected, "f64" | "f32" | "u64" | "u32" | "i64" | "usize")
    {
        let found = found
            .strip_prefix("string ")
            .map_or(found.to_owned(), |s| format!("`{}`", s.trim_matches('"')));
        let example = if expected.starts_with('f') {
            "`2.5`"
        } else {
            "`3`"
        };
        return format!(
            "{}expected a number like {example}, found {found}",
            &message[..i]
        );
    }
    message.to_owned()
}

/// Turns a serde_yaml error into an [`InputError`] at its location in `text`.
pub fn yaml_error(e: &serde_yaml::Error, text: &str, file: &str) -> InputError {
    let raw = e.to_string();
    // Some scanner errors give a byte offset instead of a location.
    let offset = raw
        .rsplit_once(" at position ")
        .and_then(|(head, n)| n.trim().parse::<usize>().ok().map(|n| (head.to_owned(), n)));
    let message = match &offset {
        Some((head, _)) => head.clone(),
        None => strip_position(&raw),
    };
    let message = plain_words(&message);
    let message = if message.contains("repetition limit exceeded") {
        "the file expands YAML aliases (`*name`) too many times (an alias bomb?): expected plain data, with each value written out".to_owned()
    } else if message.contains("recursion limit exceeded") {
        "values nested too deeply: expected plain data".to_owned()
    } else {
        message
    };
    match (offset, e.location()) {
        (Some((_, n)), _) => {
            let (line, column) = line_column(text, n);
            InputError::at(message, file, text, line, column)
        }
        (None, Some(loc)) => InputError::at(message, file, text, loc.line(), loc.column()),
        (None, None) => InputError::new(format!("{file}: {message}")),
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl InputError {
    /// Moves an error computed on a single line to line `line` of its file.
    pub fn relocated(mut self, line: usize) -> Self {
        if let Some(loc) = &mut self.location {
            loc.line = line;
        }
        self
    }
}

/// A rule of its contract that a well-formed ticket breaks, so that it could not be
/// evaluated as written (see `store::check`), and the part of the ticket at fault, for
/// pointing at it in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    /// What is wrong and what was expected, naming the ticket.
    pub message: String,
    /// Where in the ticket.
    pub part: Part,
}

/// The part of a ticket a [`Misfit`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Its `customer`.
    Customer,
    /// Its `category`.
    Category,
    /// Its event at this index (0-based, in the order written).
    Event(usize),
}

/// For each ticket read, what keeps it from being stored (nothing for a fit one).
pub type CheckOf = std::sync::Arc<dyn Fn(&Ticket) -> Vec<Misfit> + Send + Sync>;

/// The hint given with a [`Misfit`].
pub const UNCHECKED_HELP: &str =
    "to store it all the same (say its contract comes later), add --unchecked";

/// The 1-based columns where the values of key `key` start on `line` (`key: v`,
/// `"key": v`, in block or flow style); the key's own column when its value is on a
/// later line.
fn key_columns(line: &str, key: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = line[from..].find(key).map(|i| i + from) {
        from = i + key.len();
        let before = line[..i].chars().next_back();
        let quoted = matches!(before, Some('"' | '\''));
        let key_start = if quoted { i - 1 } else { i };
        let lead = line[..key_start].chars().next_back();
        if !lead.is_none_or(|c| c.is_whitespace() || matches!(c, '{' | ',' | '-')) {
            continue;
        }
        let mut rest = &line[from..];
        if quoted {
            match rest.strip_prefix(['"', '\'']) {
                Some(r) => rest = r,
                None => continue,
            }
        }
        let Some(after) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let value = after.trim_start();
        let at = if value.is_empty() || value.starts_with('#') {
            key_start
        } else {
            line.len() - value.len()
        };
        out.push(line[..at].chars().count() + 1);
    }
    out
}

/// Where `part` is written in `lines` (0-based line, 1-based column): the value of
/// `customer` or `category`, or the `kind` of event `n` (counting `kind` keys after
/// `events`).
fn find_part(lines: &[&str], part: Part) -> Option<(usize, usize)> {
    let first_key = |key: &str| {
        lines
            .iter()
            .enumerate()
            .find_map(|(i, l)| key_columns(l, key).first().map(|&c| (i, c)))
    };
    match part {
        Part::Customer => first_key("customer"),
        Part::Category => first_key("category"),
        Part::Event(n) => {
            let (start, column) = first_key("events")?;
            let mut kinds = lines.iter().enumerate().skip(start).flat_map(|(i, l)| {
                let skip = if i == start { column - 1 } else { 0 };
                let offset: usize = l.chars().take(skip).map(char::len_utf8).sum();
                key_columns(&l[offset..], "kind")
                    .into_iter()
                    .map(move |c| (i, c + skip))
            });
            kinds.nth(n)
        }
    }
}

/// The 0-based line ranges of the YAML documents of `text` (split at `---` lines, a
/// leading one opening the first document).
fn yaml_document_lines(text: &str) -> Vec<std::ops::Range<usize>> {
    let lines: Vec<&str> = text.lines().collect();
    let separator = |l: &str| l == "---" || l.starts_with("--- ") || l.starts_with("---\t");
    let mut out = Vec::new();
    let mut start = 0;
    let mut content = false;
    for (i, l) in lines.iter().enumerate() {
        if separator(l) {
            if content {
                out.push(start..i);
            }
            start = i + 1;
            content = false;
        } else if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
            content = true;
        }
    }
    if content {
        out.push(start..lines.len());
    }
    out
}

/// The error for the first of `misfits` of a ticket written on lines `range` (0-based)
/// of `text`, from `file`, pointing at the part at fault (or the ticket's first line).
fn misfit_error(
    misfits: &[Misfit],
    text: &str,
    range: std::ops::Range<usize>,
    file: &str,
) -> Option<InputError> {
    let m = misfits.first()?;
    let lines: Vec<&str> = text.lines().skip(range.start).take(range.len()).collect();
    let (line, column) = find_part(&lines, m.part)
        .or_else(|| {
            let first = lines.iter().position(|l| !l.trim().is_empty())?;
            Some((first, 1))
        })
        .unwrap_or((0, 1));
    Some(
        InputError::at(
            m.message.clone(),
            file,
            text,
            range.start + line + 1,
            column,
        )
        .with_help(UNCHECKED_HELP),
    )
}

/// Reads tickets from a buffered reader one at a time: JSON lines are streamed in
/// constant memory; YAML documents are read whole (they are written by hand and small).
pub struct TicketReader<R: BufRead> {
    reader: R,
    file: String,
    /// The event kinds each ticket may name beyond the built-in ones.
    kinds: Option<KindsOf>,
    /// What keeps a ticket from being stored, if that is checked.
    check: Option<CheckOf>,
    line_no: usize,
    buffer: String,
    yaml: Option<std::vec::IntoIter<Result<Ticket, InputError>>>,
    /// Set once the first line showed JSON lines.
    json: bool,
}

impl<R: BufRead> TicketReader<R> {
    /// A reader over `reader`, naming it `file` in errors.
    pub fn new(reader: R, file: impl Into<String>) -> Self {
        TicketReader {
            reader,
            file: file.into(),
            kinds: None,
            check: None,
            line_no: 0,
            buffer: String::new(),
            yaml: None,
            json: false,
        }
    }

    /// The same, where each ticket may also name the event kinds `kinds` gives for it.
    pub fn with_kinds(self, kinds: KindsOf) -> Self {
        TicketReader {
            kinds: Some(kinds),
            ..self
        }
    }

    /// The same, where each ticket that parses is also held against `check`: one it
    /// does not pass is an error pointing at the part at fault.
    pub fn with_check(self, check: CheckOf) -> Self {
        TicketReader {
            check: Some(check),
            ..self
        }
    }

    fn read_error(&self, e: std::io::Error) -> InputError {
        InputError::new(format!("cannot read `{}`: {e}", self.file))
    }
}

impl<R: BufRead> Iterator for TicketReader<R> {
    type Item = Result<Ticket, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(yaml) = &mut self.yaml {
            return yaml.next();
        }
        loop {
            match read_text_line(
                &mut self.reader,
                &mut self.buffer,
                self.line_no + 1,
                &self.file,
            ) {
                Ok(0) => return None,
                Ok(_) => self.line_no += 1,
                // The line is used up: the next one has the next number.
                Err(e) => {
                    self.line_no += 1;
                    return Some(Err(e));
                }
            }
            let line = self.buffer.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            // The first line with content decides: JSON lines, or YAML documents.
            if !self.json && !is_json(line) {
                // YAML: read the rest and parse it as documents.
                let mut bytes = std::mem::take(&mut self.buffer).into_bytes();
                if let Err(e) = self.reader.read_to_end(&mut bytes) {
                    return Some(Err(self.read_error(e)));
                }
                let prefix = "\n".repeat(self.line_no - 1);
                let text = match String::from_utf8(bytes) {
                    Ok(t) => format!("{prefix}{t}"),
                    Err(e) => {
                        let at = e.utf8_error().valid_up_to();
                        let lossy = format!("{prefix}{}", String::from_utf8_lossy(e.as_bytes()));
                        return Some(Err(not_utf8(&lossy, prefix.len() + at, &self.file)));
                    }
                };
                let mut docs = parse_yaml_documents(&text, &self.file, self.kinds.as_ref());
                if let Some(check) = &self.check {
                    let ranges = yaml_document_lines(&text);
                    for (i, doc) in docs.iter_mut().enumerate() {
                        let Ok(t) = doc else { continue };
                        let range = ranges.get(i).cloned().unwrap_or(0..usize::MAX);
                        if let Some(e) = misfit_error(&check(t), &text, range, &self.file) {
                            *doc = Err(e);
                        }
                    }
                }
                let mut iter = docs.into_iter();
                let first = iter.next();
                self.yaml = Some(iter);
                return first;
            }
            self.json = true;
            let parsed = parse_json_line(line, self.line_no, &self.file, self.kinds.as_ref());
            if let (Ok(t), Some(check)) = (&parsed, &self.check)
                && let Some(e) = misfit_error(&check(t), line, 0..1, &self.file)
            {
                return Some(Err(e.relocated(self.line_no)));
            }
            return Some(parsed);
        }
    }
}

/// The error for invalid UTF-8 at byte `offset` of `text` (decoded lossily).
fn not_utf8(text: &str, offset: usize, file: &str) -> InputError {
    let (line, column) = line_column(text, offset);
    InputError::at(
        "expected UTF-8 text, found an invalid byte: save the file as UTF-8",
        file,
        text,
        line,
        column,
    )
}

/// Reads the next line (number `line_no`) into `buf` as UTF-8 text; `Ok(0)` at the end.
/// Invalid UTF-8 is an error at its line and column, not a bare I/O error.
pub(crate) fn read_text_line(
    reader: &mut impl BufRead,
    buf: &mut String,
    line_no: usize,
    file: &str,
) -> Result<usize, InputError> {
    let mut bytes = std::mem::take(buf).into_bytes();
    bytes.clear();
    let n = reader
        .read_until(b'\n', &mut bytes)
        .map_err(|e| InputError::new(format!("cannot read `{file}`: {e}")))?;
    match String::from_utf8(bytes) {
        Ok(text) => {
            *buf = text;
            Ok(n)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            Err(not_utf8(&lossy, at, file).relocated(line_no))
        }
    }
}

/// The columns of a ticket CSV file, in any order after a header row: `id`, `customer`,
/// `registered` (required), `product`, `category`, `priority`, `summary`, `fields` (a JSON object),
/// `attachments` (names separated by `;`), `events` (a JSON array of events).
pub const CSV_COLUMNS: [&str; 10] = [
    "id",
    "customer",
    "product",
    "category",
    "priority",
    "summary",
    "registered",
    "fields",
    "attachments",
    "events",
];

/// Reads tickets from CSV (see [`CSV_COLUMNS`]); each item is a ticket or the error for
/// that record, naming its line.
#[cfg(feature = "store")]
pub fn csv_tickets<R: std::io::Read>(
    reader: R,
    file: &str,
    kinds: KindsOf,
    check: Option<CheckOf>,
) -> Result<impl Iterator<Item = Result<Ticket, InputError>> + use<R>, InputError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let headers = r
        .headers()
        .map_err(|e| InputError::new(format!("{file}: cannot read the CSV header: {e}")))?
        .clone();
    for h in &headers {
        if !CSV_COLUMNS.contains(&h) {
            return Err(InputError::new(format!(
                "{file}:1: unknown CSV column `{h}`: expected {}",
                CSV_COLUMNS.join(", ")
            )));
        }
    }
    for required in ["id", "customer", "registered"] {
        if !headers.iter().any(|h| h == required) {
            return Err(InputError::new(format!(
                "{file}:1: the CSV header has no `{required}` column"
            )));
        }
    }
    let file = file.to_owned();
    Ok(r.into_records().map(move |rec| {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            InputError::new(format!("{file}:{line}: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let mut map = serde_json::Map::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            if v.is_empty() {
                continue;
            }
            let value = match h {
                "fields" | "events" => serde_json::from_str(v).map_err(|e| {
                    InputError::new(format!("{file}:{line}: the `{h}` column must be JSON: {e}"))
                })?,
                "attachments" => v
                    .split(';')
                    .map(|a| serde_json::Value::from(a.trim()))
                    .collect(),
                _ => serde_json::Value::from(v),
            };
            map.insert(h.to_owned(), value);
        }
        let ticket = serde_json::from_value::<Ticket>(serde_json::Value::Object(map))
            .map_err(|e| InputError::new(format!("{file}:{line}: {e}")))?;
        let declared = declared_for(Some(&kinds), &ticket);
        match declared.first_refused(&ticket) {
            None => match check.as_ref().and_then(|c| c(&ticket).into_iter().next()) {
                None => Ok(ticket),
                Some(m) => Err(InputError::new(format!("{file}:{line}: {}", m.message))
                    .with_help(UNCHECKED_HELP)),
            },
            Some(kind) => Err(InputError::new(format!(
                "{file}:{line}: ticket `{}`: {}",
                ticket.id,
                declared.refusal(kind.as_str())
            ))),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "id: T-1042
customer: acme
product: erp
category: error.module_failure
summary: Reports module crashes on export
registered: 2026-03-06T16:40:00+03:00
fields: { severity: high, complete_outage: false }
attachments: [crash.log]
events:
  - { at: 2026-03-06T17:05:00+03:00, kind: assigned, engineer: ivanov }
  - { at: 2026-03-09T10:00:00+03:00, kind: paused, note: waiting for logs }
  - { at: 2026-03-09T15:00:00+03:00, kind: resumed }
  - { at: 2026-03-10T11:30:00+03:00, kind: worklog, hours: 2.5, engineer: ivanov }
  - { at: 2026-03-10T11:30:00+03:00, kind: resolved }
";

    #[test]
    fn parses_the_spec_example() {
        let t = Ticket::from_str_named(YAML, "t.yaml").unwrap();
        assert_eq!(t.id, "T-1042");
        assert_eq!(t.events.len(), 5);
        assert_eq!(t.events[3].hours, Some(2.5));
        assert!(!t.flag("complete_outage"));
        assert_eq!(t.fields["severity"], serde_json::json!("high"));
    }

    #[test]
    fn json_round_trip_and_lines() {
        let t = Ticket::from_str_named(YAML, "t.yaml").unwrap();
        let line = serde_json::to_string(&t).unwrap();
        let text = format!("{line}\n\n{line}\n");
        let all: Vec<_> = parse_all(&text, "t.jsonl").collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].as_ref().unwrap(), &t);
    }

    #[test]
    fn many_yaml_documents() {
        let text = format!("{YAML}---\n{YAML}");
        let all: Vec<_> = parse_all(&text, "t.yaml").collect();
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(Result::is_ok));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let bad = YAML.replace("kind: paused", "kind: pasued");
        let err = Ticket::from_str_named(&bad, "t.yaml").unwrap_err();
        let loc = err.location.clone().unwrap();
        assert_eq!((loc.line, loc.file.as_str()), (11, "t.yaml"));
        assert_eq!(
            err.message,
            "events[1].kind: unknown event kind `pasued`: expected one of `assigned`, `paused`, `resumed`, `worklog`, `approved`, `resolved`, `reopened`, `comment`, `replied`, `customer_replied`, `changed` (did you mean `paused`?)"
        );
        assert_eq!(loc.column, 44);

        let line = r#"{"id":"T-1","customer":"acme","registered":"yesterday"}"#;
        let text = format!("\n{line}\n");
        let err = parse_all(&text, "t.jsonl").next().unwrap().unwrap_err();
        assert_eq!(err.location.clone().unwrap().line, 2);
        assert_eq!(
            err.message,
            "expected a time like `2026-03-06T16:40:00+03:00` (RFC 3339, with an offset), found `yesterday`"
        );
        assert_eq!(err.location.clone().unwrap().column, 54);
    }

    #[test]
    fn declared_kinds_are_read_and_others_refused_at_their_place() {
        let kinds: KindsOf = std::sync::Arc::new(|t: &Ticket| DeclaredKinds {
            contract: Some(t.customer.clone()),
            loads: true,
            kinds: vec!["notified".to_owned()],
        });
        let own = YAML.replace("kind: paused", "kind: notified");
        let all: Vec<_> = parse_all_with(&own, "t.yaml", Some(&kinds)).collect();
        let t = all[0].as_ref().unwrap();
        assert_eq!(t.events[1].kind, EventKind::Other("notified".to_owned()));
        // Without the contract's kinds, only the built-in ones.
        let err = Ticket::from_str_named(&own, "t.yaml").unwrap_err();
        assert!(
            err.message.contains("unknown event kind `notified`"),
            "{}",
            err.message
        );
        assert_eq!(err.location.unwrap().line, 11);
        // The second document's typo, at its own line, in JSON lines too.
        let typo = YAML.replace("kind: resumed", "kind: notifed");
        let text = format!("{own}---\n{typo}");
        let all: Vec<_> = parse_all_with(&text, "t.yaml", Some(&kinds)).collect();
        assert!(all[0].is_ok());
        let err = all[1].as_ref().unwrap_err();
        assert!(
            err.message.ends_with("(did you mean `notified`?)"),
            "{}",
            err.message
        );
        assert_eq!(err.location.as_ref().unwrap().line, 15 + 12, "{err}");
        let line = serde_json::to_string(&Ticket::from_str_named(YAML, "t.yaml").unwrap())
            .unwrap()
            .replace("\"resumed\"", "\"notifed\"");
        let err = parse_json_line(&line, 3, "t.jsonl", Some(&kinds)).unwrap_err();
        assert_eq!(err.location.unwrap().line, 3);
        // A kind that cannot be one is refused on the first reading.
        let bad = YAML.replace("kind: paused", "kind: Waiting On Customer");
        assert!(parse_all_with(&bad, "t.yaml", Some(&kinds)).all(|r| r.is_err()));
    }

    #[test]
    fn serde_words_are_put_in_the_file_s() {
        assert_eq!(
            plain_words(
                "metrics.reply.on_change: unknown variant `restrat`, expected `keep` or `restart`"
            ),
            "metrics.reply.on_change: unknown value `restrat`: expected `keep` or `restart` (did you mean `restart`?)"
        );
        assert_eq!(
            plain_words(r#"events[0].hours: invalid type: string "15h", expected f64"#),
            "events[0].hours: expected a number like `2.5`, found `15h`"
        );
        let other = "categories: invalid type: sequence, expected a mapping";
        assert_eq!(plain_words(other), other);
    }

    #[test]
    fn reader_streams_json_lines_and_yaml() {
        let t = Ticket::from_str_named(YAML, "t.yaml").unwrap();
        let line = serde_json::to_string(&t).unwrap();
        let text = format!("{line}\n{line}\n");
        let n = TicketReader::new(text.as_bytes(), "x")
            .filter(Result::is_ok)
            .count();
        assert_eq!(n, 2);
        let text = format!("{YAML}---\n{YAML}");
        let n = TicketReader::new(text.as_bytes(), "x")
            .filter(Result::is_ok)
            .count();
        assert_eq!(n, 2);
    }
}

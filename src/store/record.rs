//! The stored form of tickets and worklogs: compact binary records (postcard).
//!
//! The bulk commands read every record, so the stored form avoids what makes JSON slow
//! to decode: instants are numbers (seconds, nanoseconds, offset) rather than RFC 3339
//! text, and no key names are repeated. Free-form `fields` stay JSON text inside the
//! record, since their shape is the user's. The layout is fixed by the order of the
//! fields below and by [`EventKind::ALL`] (built-in event kinds are stored as their
//! position, other kinds as [`OTHER_KIND`] and their name): a change to either needs a
//! new schema version and a migration in the store. Schema version 3's layout (no
//! priority, no `by`/`field`/`to`, built-in kinds only) is still read, to migrate it.
//!
//! Decoding checks everything it turns into a [`Ticket`]: a damaged record is an error
//! for the caller to name, never a panic.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::eval::UsageEntry;
use crate::ticket::{Event, EventKind, Ticket};

/// An instant with its offset, as numbers.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Stamp {
    secs: i64,
    nanos: u32,
    offset: i32,
}

impl Stamp {
    fn of(t: &DateTime<FixedOffset>) -> Stamp {
        Stamp {
            secs: t.timestamp(),
            nanos: t.timestamp_subsec_nanos(),
            offset: t.offset().local_minus_utc(),
        }
    }

    /// The instant, if it is one the ticket parsers can produce: an offset of whole
    /// minutes within ±23:59 and a local year from 0 to 9999. Anything else is damage.
    fn time(self) -> Result<DateTime<FixedOffset>, String> {
        let offset = FixedOffset::east_opt(self.offset)
            .filter(|_| self.offset % 60 == 0)
            .ok_or_else(|| format!("an offset of {} s is not a valid one", self.offset))?;
        // Local years 0 to 9999, as seconds: cheaper than working out the date.
        const LOCAL: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;
        let t = DateTime::from_timestamp(self.secs, self.nanos)
            .filter(|_| {
                self.secs
                    .checked_add(i64::from(self.offset))
                    .is_some_and(|l| LOCAL.contains(&l))
            })
            .map(|utc| utc.with_timezone(&offset))
            .ok_or_else(|| format!("the instant {}.{} is out of range", self.secs, self.nanos))?;
        Ok(t)
    }
}

/// The code of a kind that is not built in (its name follows).
pub(crate) const OTHER_KIND: u8 = u8::MAX;

fn kind_code(kind: &EventKind) -> u8 {
    EventKind::ALL
        .iter()
        .position(|k| k == kind)
        .map_or(OTHER_KIND, |i| i as u8)
}

/// The kind stored as `code` (and `name`, for a kind that is not built in).
fn kind_of(code: u8, name: Option<String>) -> Result<EventKind, String> {
    if code == OTHER_KIND {
        let name = name.ok_or("an event of a declared kind without its name")?;
        return match EventKind::parse(&name) {
            Ok(EventKind::Other(n)) => Ok(EventKind::Other(n)),
            _ => Err(format!(
                "an event of the kind `{name}`, which is no kind name"
            )),
        };
    }
    EventKind::ALL
        .get(usize::from(code))
        .cloned()
        .ok_or_else(|| format!("an event of unknown kind {code}"))
}

/// An event as written (borrowed from the ticket).
#[derive(Serialize)]
struct EventOut<'a> {
    at: Stamp,
    kind: u8,
    /// The name of a kind that is not built in.
    name: Option<&'a str>,
    engineer: Option<&'a str>,
    hours: Option<f64>,
    note: Option<&'a str>,
    by: Option<&'a str>,
    field: Option<&'a str>,
    /// `to` as JSON text.
    to: Option<String>,
}

/// The events of a ticket, written without collecting them first.
struct EventsOut<'a>(&'a [Event]);

impl Serialize for EventsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|e| EventOut {
            at: Stamp::of(&e.at),
            kind: kind_code(&e.kind),
            name: match &e.kind {
                EventKind::Other(name) => Some(name),
                _ => None,
            },
            engineer: e.engineer.as_deref(),
            hours: e.hours,
            note: e.note.as_deref(),
            by: e.by.as_deref(),
            field: e.field.as_deref(),
            to: e.to.as_ref().map(serde_json::Value::to_string),
        }))
    }
}

/// A ticket as written (borrowed).
#[derive(Serialize)]
struct TicketOut<'a> {
    id: &'a str,
    customer: &'a str,
    product: Option<&'a str>,
    category: Option<&'a str>,
    priority: Option<&'a str>,
    summary: &'a str,
    registered: Stamp,
    /// `fields` as JSON text; empty when there are none.
    fields: &'a str,
    attachments: &'a [String],
    events: EventsOut<'a>,
}

#[derive(Deserialize)]
struct EventIn {
    at: Stamp,
    kind: u8,
    name: Option<String>,
    engineer: Option<String>,
    hours: Option<f64>,
    note: Option<String>,
    by: Option<String>,
    field: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
struct TicketIn {
    id: String,
    customer: String,
    product: Option<String>,
    category: Option<String>,
    priority: Option<String>,
    summary: String,
    registered: Stamp,
    fields: String,
    attachments: Vec<String>,
    events: Vec<EventIn>,
}

/// An event of schema version 3.
#[derive(Deserialize)]
struct EventInV3 {
    at: Stamp,
    kind: u8,
    engineer: Option<String>,
    hours: Option<f64>,
    note: Option<String>,
}

/// A ticket of schema version 3.
#[derive(Deserialize)]
struct TicketInV3 {
    id: String,
    customer: String,
    product: Option<String>,
    category: Option<String>,
    summary: String,
    registered: Stamp,
    fields: String,
    attachments: Vec<String>,
    events: Vec<EventInV3>,
}

impl From<TicketInV3> for TicketIn {
    fn from(r: TicketInV3) -> TicketIn {
        TicketIn {
            id: r.id,
            customer: r.customer,
            product: r.product,
            category: r.category,
            priority: None,
            summary: r.summary,
            registered: r.registered,
            fields: r.fields,
            attachments: r.attachments,
            events: r
                .events
                .into_iter()
                .map(|e| EventIn {
                    at: e.at,
                    kind: e.kind,
                    name: None,
                    engineer: e.engineer,
                    hours: e.hours,
                    note: e.note,
                    by: None,
                    field: None,
                    to: None,
                })
                .collect(),
        }
    }
}

/// Appends `t` as schema version 3 stored it (to test the migration).
#[cfg(test)]
pub(crate) fn encode_ticket_v3(t: &Ticket) -> Vec<u8> {
    #[derive(Serialize)]
    struct EventOutV3<'a> {
        at: Stamp,
        kind: u8,
        engineer: Option<&'a str>,
        hours: Option<f64>,
        note: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct TicketOutV3<'a> {
        id: &'a str,
        customer: &'a str,
        product: Option<&'a str>,
        category: Option<&'a str>,
        summary: &'a str,
        registered: Stamp,
        fields: String,
        attachments: &'a [String],
        events: Vec<EventOutV3<'a>>,
    }
    let fields = if t.fields.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&t.fields).unwrap_or_default()
    };
    let record = TicketOutV3 {
        id: &t.id,
        customer: &t.customer,
        product: t.product.as_deref(),
        category: t.category.as_deref(),
        summary: &t.summary,
        registered: Stamp::of(&t.registered),
        fields,
        attachments: &t.attachments,
        events: t
            .events
            .iter()
            .map(|e| EventOutV3 {
                at: Stamp::of(&e.at),
                kind: kind_code(&e.kind),
                engineer: e.engineer.as_deref(),
                hours: e.hours,
                note: e.note.as_deref(),
            })
            .collect(),
    };
    postcard::to_allocvec(&record).unwrap_or_default()
}

/// Appends the stored form of `t` to `out`.
pub(crate) fn encode_ticket(t: &Ticket, out: &mut Vec<u8>) -> Result<(), String> {
    let fields = if t.fields.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&t.fields).map_err(|e| e.to_string())?
    };
    let record = TicketOut {
        id: &t.id,
        customer: &t.customer,
        product: t.product.as_deref(),
        category: t.category.as_deref(),
        priority: t.priority.as_deref(),
        summary: &t.summary,
        registered: Stamp::of(&t.registered),
        fields: &fields,
        attachments: &t.attachments,
        events: EventsOut(&t.events),
    };
    postcard::to_io(&record, &mut *out).map_err(|e| e.to_string())?;
    Ok(())
}

/// The ticket stored as `bytes`, or what is wrong with them.
pub(crate) fn decode_ticket(bytes: &[u8]) -> Result<Ticket, String> {
    ticket_of(take_whole::<TicketIn>(bytes)?)
}

/// The ticket stored as `bytes` by schema version 3 (for the migration).
pub(crate) fn decode_ticket_v3(bytes: &[u8]) -> Result<Ticket, String> {
    ticket_of(take_whole::<TicketInV3>(bytes)?.into())
}

/// The record `bytes` hold, with nothing after it.
fn take_whole<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    let (r, rest): (T, &[u8]) = postcard::take_from_bytes(bytes).map_err(|e| format!("{e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} bytes follow the record", rest.len()));
    }
    Ok(r)
}

/// The ticket of a decoded record, checked.
fn ticket_of(r: TicketIn) -> Result<Ticket, String> {
    let fields: BTreeMap<String, serde_json::Value> = if r.fields.is_empty() {
        BTreeMap::new()
    } else {
        serde_json::from_str(&r.fields).map_err(|e| format!("its fields: {e}"))?
    };
    let events = r
        .events
        .into_iter()
        .map(|e| {
            let to = match e.to {
                None => None,
                Some(text) => {
                    Some(serde_json::from_str(&text).map_err(|e| format!("an event's `to`: {e}"))?)
                }
            };
            Ok(Event {
                at: e.at.time()?,
                kind: kind_of(e.kind, e.name)?,
                engineer: e.engineer,
                hours: e.hours,
                note: e.note,
                by: e.by,
                field: e.field,
                to,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Ticket {
        id: r.id,
        customer: r.customer,
        product: r.product,
        category: r.category,
        priority: r.priority,
        summary: r.summary,
        registered: r.registered.time()?,
        fields,
        attachments: r.attachments,
        events,
    })
}

/// A worklog as stored in the allowance index (its ticket and category are in the key).
#[derive(Serialize, Deserialize)]
struct Work {
    at: Stamp,
    hours: f64,
    approved: bool,
}

/// The stored form of a ticket's worklogs in one index bucket.
pub(crate) fn encode_usage(entries: &[UsageEntry], out: &mut Vec<u8>) -> Result<(), String> {
    let work: Vec<Work> = entries
        .iter()
        .map(|e| Work {
            at: Stamp::of(&e.at),
            hours: e.hours,
            approved: e.approved,
        })
        .collect();
    postcard::to_io(&work, &mut *out).map_err(|e| e.to_string())?;
    Ok(())
}

/// Calls `f(at, hours, approved)` for each worklog stored as `bytes`.
pub(crate) fn for_each_work(
    bytes: &[u8],
    mut f: impl FnMut(DateTime<FixedOffset>, f64, bool),
) -> Result<(), String> {
    // A sequence is its length, then its items: read them one by one, into no vector.
    let (count, mut rest): (usize, &[u8]) =
        postcard::take_from_bytes(bytes).map_err(|e| format!("{e}"))?;
    for _ in 0..count {
        let (w, more): (Work, &[u8]) =
            postcard::take_from_bytes(rest).map_err(|e| format!("{e}"))?;
        f(w.at.time()?, w.hours, w.approved);
        rest = more;
    }
    if !rest.is_empty() {
        return Err(format!("{} bytes follow the record", rest.len()));
    }
    Ok(())
}

/// Appends the worklogs stored as `bytes` for `ticket` (category `category`) to `out`.
pub(crate) fn decode_usage(
    bytes: &[u8],
    ticket: &str,
    category: Option<&str>,
    out: &mut Vec<UsageEntry>,
) -> Result<(), String> {
    for_each_work(bytes, |at, hours, approved| {
        out.push(UsageEntry {
            ticket: ticket.to_owned(),
            category: category.map(str::to_owned),
            at,
            hours,
            approved,
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Ticket {
        Ticket::from_str_named(
            r#"
id: T-1042
customer: acme
product: erp
category: error.module_failure
priority: high
summary: "Reports module crashes on export — «ошибка»"
registered: 2026-03-06T16:40:00.250+03:00
fields: { severity: high, complete_outage: false, nested: { list: [1, 2.5, "x"] } }
attachments: [crash.log, screen.png]
events:
  - { at: 2026-03-06T17:05:00+03:00, kind: assigned, engineer: ivanov }
  - { at: 2026-03-09T10:00:00+05:00, kind: paused, note: waiting for logs }
  - { at: 2026-03-09T15:00:00Z, kind: resumed }
  - { at: 2026-03-10T11:30:00+03:00, kind: worklog, hours: 2.5, engineer: ivanov }
  - { at: 2026-03-10T11:30:00+03:00, kind: approved }
  - { at: 2026-03-10T11:30:00+03:00, kind: resolved }
  - { at: 2026-03-11T11:30:00+03:00, kind: reopened }
  - { at: 2026-03-11T12:30:00+03:00, kind: comment, note: "" }
  - { at: 2026-03-11T12:40:00+03:00, kind: replied, by: ivanov }
  - { at: 2026-03-11T12:50:00+03:00, kind: changed, field: priority, to: urgent }
  - { at: 2026-03-11T12:55:00+03:00, kind: changed, field: fields.severity, to: null }
  - { at: 2026-03-11T12:56:00+03:00, kind: changed, field: fields.level, to: 3 }
"#,
            "t.yaml",
        )
        .unwrap()
    }

    #[test]
    fn stamps_are_instants_of_local_years_0_to_9999() {
        use chrono::Datelike;
        // Against the plain definition, around both ends, for offsets across the range.
        let ends = [-62_167_219_200_i64, 253_402_300_800];
        for end in ends {
            for offset in (-86_340_i32..=86_340).step_by(3_540) {
                for delta in [-86_400 * 2, -86_401, -3_601, -1, 0, 1, 3_601, 86_401] {
                    let secs = end - i64::from(offset) + delta;
                    let stamp = Stamp {
                        secs,
                        nanos: 0,
                        offset,
                    };
                    let expected = DateTime::from_timestamp(stamp.secs, 0)
                        .map(|u| u.with_timezone(&FixedOffset::east_opt(offset).unwrap()))
                        .filter(|t| (0..=9999).contains(&t.year()));
                    assert_eq!(stamp.time().ok(), expected, "{stamp:?}");
                }
            }
        }
    }

    #[test]
    fn a_ticket_round_trips_with_offsets_and_fractions() {
        let mut t = sample();
        // A kind a contract declares.
        t.events.push(Event {
            by: Some("customer".into()),
            ..Event::new(t.registered, EventKind::Other("acknowledged".into()))
        });
        let mut bytes = Vec::new();
        encode_ticket(&t, &mut bytes).unwrap();
        let back = decode_ticket(&bytes).unwrap();
        assert_eq!(back, t);
        // The offsets are kept, not only the instants.
        assert_eq!(back.events[1].at.to_rfc3339(), "2026-03-09T10:00:00+05:00");
        assert_eq!(
            back.registered.to_rfc3339(),
            "2026-03-06T16:40:00.250+03:00"
        );
        // Smaller than the JSON form.
        assert!(bytes.len() < serde_json::to_vec(&t).unwrap().len() / 2);
    }

    #[test]
    fn a_minimal_ticket_round_trips() {
        let t = Ticket::from_str_named(
            "id: T-1\ncustomer: c\nregistered: 2026-03-06T16:40:00+03:00\n",
            "t.yaml",
        )
        .unwrap();
        let mut bytes = Vec::new();
        encode_ticket(&t, &mut bytes).unwrap();
        assert_eq!(decode_ticket(&bytes).unwrap(), t);
    }

    #[test]
    fn damaged_records_are_errors() {
        let mut bytes = Vec::new();
        encode_ticket(&sample(), &mut bytes).unwrap();
        // Every truncation and every single flipped byte: an error or another ticket,
        // never a panic.
        for n in 0..bytes.len() {
            assert!(decode_ticket(&bytes[..n]).is_err(), "truncated to {n}");
            let mut flipped = bytes.clone();
            flipped[n] ^= 0xff;
            let _ = decode_ticket(&flipped);
        }
        // Instants no parser produces (an offset with seconds, year 10000) are damage
        // too, not tickets that would make the evaluation fail later.
        for (secs, offset) in [(0, 3601), (253_402_300_800, 0), (-62_167_219_201, 0)] {
            let stamp = Stamp {
                secs,
                nanos: 0,
                offset,
            };
            assert!(stamp.time().is_err(), "{secs} {offset}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_ticket(&longer).unwrap_err().contains("follow"));
        assert!(decode_ticket(b"{\"id\":\"T-1\"}").is_err());
    }

    #[test]
    fn worklogs_round_trip() {
        let t = sample();
        let entries = crate::eval::usage_entries(&t);
        assert_eq!(entries.len(), 1);
        let mut bytes = Vec::new();
        encode_usage(&entries, &mut bytes).unwrap();
        let mut back = Vec::new();
        decode_usage(&bytes, "T-1042", Some("error.module_failure"), &mut back).unwrap();
        assert_eq!(back, entries);
        assert!(decode_usage(&bytes[..bytes.len() - 1], "T", None, &mut back).is_err());
    }
}

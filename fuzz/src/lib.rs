//! The fuzz targets of slaengine. Each takes arbitrary bytes and must never panic, hang
//! or break an invariant; the same functions run under cargo-fuzz (nightly,
//! `fuzz_targets/`), under the stable mutation driver (`src/bin/stable.rs`) and over the
//! seed corpus in `cargo test` (`tests/corpus.rs`).

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use slaengine::contract::{self, Contract, MemoryLoader};
use slaengine::{Calendar, Duration, Window};

/// The bundled standard template and its script, so fuzzed contracts can extend it.
fn loader_with(text: &str) -> MemoryLoader {
    MemoryLoader::new()
        .with(
            "templates/standard.yaml",
            include_str!("../../contracts/templates/standard.yaml"),
        )
        .with_root(
            "scripts/standard.rhai",
            include_str!("../../scripts/standard.rhai"),
        )
        .with_root("scripts/vip.rhai", include_str!("../../scripts/vip.rhai"))
        .with_root(
            "calendars/ru-2026.ics",
            include_str!("../../calendars/ru-2026.ics"),
        )
        .with_root(
            "scripts/weekend_grace.rhai",
            include_str!("../../scripts/weekend_grace.rhai"),
        )
        .with("fuzz.yaml", text)
}

/// ACME's bundled contract, loaded once.
fn acme() -> &'static Contract {
    static C: OnceLock<Contract> = OnceLock::new();
    C.get_or_init(|| {
        let loader = loader_with(include_str!("../../contracts/acme.yaml"));
        match contract::load(&loader, "fuzz") {
            Ok(c) => c,
            Err(e) => panic!("the bundled acme contract must load: {e}"),
        }
    })
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 7, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Contract loader: YAML text → a contract or an error (never a panic); a contract that
/// loads evaluates a ticket.
pub fn contract(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let loader = loader_with(text);
    if let Ok(c) = contract::load(&loader, "fuzz") {
        let ticket = slaengine::Ticket::from_str_named(
            "id: T-1\ncustomer: fuzz\ncategory: error.module_failure\nregistered: 2026-03-10T10:00:00+05:00\n",
            "t.yaml",
        );
        if let Ok(t) = ticket {
            let _ = slaengine::evaluate(&c, &t, at());
        }
    }
}

/// Ticket parser: YAML documents or JSON lines → tickets or errors; each ticket that
/// parses is evaluated under ACME's contract.
pub fn ticket(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for t in slaengine::ticket::parse_all(text, "fuzz")
        .take(16)
        .flatten()
    {
        let mut t = t;
        t.customer = "fuzz".into();
        let e = slaengine::evaluate(acme(), &t, at());
        assert_eq!(e.metrics.len(), acme().metrics.len());
    }
}

/// Duration parser: text → a duration or an error; a duration prints as text that
/// parses back to itself.
pub fn duration(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = text.parse::<Duration>() {
        let shown = d.to_string();
        match shown.parse::<Duration>() {
            Ok(again) => assert_eq!(again, d, "`{text}` printed as `{shown}`"),
            Err(e) => panic!("`{text}` printed as `{shown}`, which does not parse: {e}"),
        }
        let _ = d.working_seconds(9 * 3600);
    }
}

/// Holiday file: iCalendar text → the dates it closes, sorted and each once, or an error
/// at a line of the file.
pub fn holidays(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match slaengine::holidays::read(text, "fuzz.ics") {
        Ok(dates) => assert!(
            dates.windows(2).all(|w| w[0] < w[1]),
            "dates out of order or repeated"
        ),
        Err(e) => {
            let Some(at) = &e.location else {
                panic!("an error without its place: {}", e.message);
            };
            let lines = text.lines().count().max(1);
            assert!(
                (1..=lines).contains(&at.line),
                "line {} of a file of {lines}",
                at.line
            );
        }
    }
}

/// Reads bytes as a little source of numbers.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
}

const ZONES: [chrono_tz::Tz; 8] = [
    chrono_tz::Europe::Moscow,
    chrono_tz::America::New_York,
    chrono_tz::Europe::Berlin,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Asia::Kolkata,
    chrono_tz::America::Los_Angeles,
    chrono_tz::Pacific::Apia,
    chrono_tz::UTC,
];

/// Up to three windows of a day, in order, from the bytes (quarter hours, 24:00 allowed).
fn windows(b: &mut Bytes<'_>) -> Vec<Window> {
    let mut out = Vec::new();
    let mut at = 0u32;
    for _ in 0..(b.u8() % 4) {
        let start = at + u32::from(b.u8() % 40) * 900;
        let end = start + (1 + u32::from(b.u8() % 48)) * 900;
        if end > 86_400 {
            break;
        }
        if let Some(w) = Window::new(start, end) {
            out.push(w);
        }
        at = end;
    }
    out
}

/// Calendar: a random calendar (zone, weekly windows, holidays, exceptions) and instants;
/// `due` and `elapsed` never panic and keep their invariants.
pub fn calendar(data: &[u8]) {
    let mut b = Bytes(data);
    let tz = ZONES[usize::from(b.u8()) % ZONES.len()];
    let week: [Vec<Window>; 7] = std::array::from_fn(|_| windows(&mut b));
    let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let holidays = (0..b.u8() % 8)
        .map(|_| base + chrono::Days::new(u64::from(b.u8()) * 2))
        .collect();
    let mut exceptions: Vec<(NaiveDate, Vec<Window>)> = Vec::new();
    for _ in 0..b.u8() % 4 {
        let day = base + chrono::Days::new(u64::from(b.u8()) * 2 + 1);
        if !exceptions.iter().any(|(d, _)| *d == day) {
            exceptions.push((day, windows(&mut b)));
        }
    }
    let Ok(cal) = Calendar::new(tz, week, holidays, exceptions, None) else {
        return;
    };
    let origin = Utc
        .with_ymd_and_hms(2025, 12, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let a = origin + chrono::Duration::seconds(i64::from(b.u32() % (800 * 86_400)));
    let later = a + chrono::Duration::seconds(i64::from(b.u32() % (60 * 86_400)));
    let d = i64::from(b.u32() % (400 * 3600));
    let elapsed = cal.elapsed(a, later);
    assert!(elapsed >= 0, "elapsed {elapsed} < 0");
    assert!(
        elapsed <= (later - a).num_seconds(),
        "more working time than real time"
    );
    assert_eq!(cal.elapsed(later, a), 0, "elapsed of a backward interval");
    if let Some(due) = cal.due(a, d) {
        assert!(due >= a, "due before its start");
        assert_eq!(
            cal.elapsed(a, due),
            d,
            "elapsed(a, due(a, d)) != d for a = {a}, d = {d} s, due = {due} in {}",
            cal.timezone()
        );
        // The earliest such instant: one second less is not enough (for d > 0).
        if d > 0 {
            let before = due - chrono::Duration::seconds(1);
            assert!(
                cal.elapsed(a, before) < d,
                "due is not the earliest instant"
            );
        }
    }
}

/// A fuzz target.
pub type Target = fn(&[u8]);

/// Every target by name, for the drivers.
pub const TARGETS: [(&str, Target); 5] = [
    ("contract", contract),
    ("ticket", ticket),
    ("duration", duration),
    ("calendar", calendar),
    ("holidays", holidays),
];

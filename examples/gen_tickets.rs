//! Generates tickets as JSON lines for bulk runs and benchmarks, deterministically.
//!
//! ```text
//! cargo run --release --example gen_tickets -- 100000 > /tmp/tickets.jsonl
//! time target/release/slaengine evaluate --ticket /tmp/tickets.jsonl --format jsonl \
//!     --at 2026-06-30T12:00:00+03:00 > /dev/null
//! ```
//!
//! Arguments: the number of tickets (default 100000), optionally a comma-separated list
//! of customers (default: the bundled contracts), and optionally a comma-separated list
//! of priorities. With priorities, each ticket names one of them (or none, one ticket in
//! five), some are raised mid-case, and the vendor's public replies and the customer's
//! messages are recorded, as a contract with priorities and recurring updates needs:
//!
//! ```text
//! cargo run --release --example gen_tickets -- 1000000 hooli critical,major,minor,cosmetic
//! ```

use std::io::Write;

use chrono::{DateTime, Duration, FixedOffset};
use slaengine::{Event, EventKind, Ticket};

/// The bundled customer contracts.
const CUSTOMERS: &str = "acme,globex,initech";

const CATEGORIES: [&str; 12] = [
    "consultation.settings",
    "consultation.own_changes",
    "consultation.troubleshooting",
    "consultation.updates",
    "support.error_analysis",
    "support.modification_storage",
    "support.new_versions",
    "support.small_change",
    "error.complete_failure",
    "error.module_failure",
    "error.incorrect_operation",
    "incident.environment",
];

/// A small deterministic generator (SplitMix64), so every run yields the same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn event(at: DateTime<FixedOffset>, kind: EventKind) -> Event {
    Event::new(at, kind)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let customers: Vec<String> = args
        .next()
        .unwrap_or_else(|| CUSTOMERS.to_owned())
        .split(',')
        .map(str::to_owned)
        .collect();
    let priorities: Vec<String> = args
        .next()
        .map(|p| p.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let base: DateTime<FixedOffset> = DateTime::parse_from_rfc3339("2026-01-12T08:00:00+03:00")?;
    let mut rng = Rng(42);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for i in 0..count {
        let registered = base + Duration::minutes(rng.below(60 * 24 * 320) as i64);
        let category = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
        let mut t = Ticket {
            id: format!("T-{i:07}"),
            customer: customers[rng.below(customers.len() as u64) as usize].clone(),
            product: Some("erp".into()),
            category: Some(category.into()),
            priority: None,
            summary: format!("Generated request {i}"),
            registered,
            fields: Default::default(),
            attachments: Vec::new(),
            events: Vec::new(),
        };
        if category == "incident.environment" {
            t.fields
                .insert("complete_outage".into(), (rng.below(2) == 0).into());
        }
        if !priorities.is_empty() {
            let n = priorities.len() as u64;
            // One ticket in five names no priority (the contract's default applies).
            let pick = rng.below(n + n / 4 + 1);
            t.priority = priorities.get(pick as usize).cloned();
        }
        let mut at = registered;
        let mut step = |rng: &mut Rng, max_minutes: u64| {
            at += Duration::minutes(1 + rng.below(max_minutes) as i64);
            at
        };
        if rng.below(10) < 9 {
            let mut e = event(step(&mut rng, 120), EventKind::Assigned);
            e.engineer = Some("ivanov".into());
            t.events.push(e);
            if !priorities.is_empty() {
                t.events.push(event(step(&mut rng, 90), EventKind::Replied));
                if rng.below(3) == 0 {
                    let mut raised = event(step(&mut rng, 240), EventKind::Changed);
                    raised.field = Some("priority".into());
                    raised.to = Some(priorities[0].clone().into());
                    t.events.push(raised);
                }
                for _ in 0..rng.below(3) {
                    t.events
                        .push(event(step(&mut rng, 600), EventKind::CustomerReplied));
                    t.events
                        .push(event(step(&mut rng, 300), EventKind::Replied));
                }
            }
            if rng.below(4) == 0 {
                t.events.push(event(step(&mut rng, 600), EventKind::Paused));
                t.events
                    .push(event(step(&mut rng, 1200), EventKind::Resumed));
            }
            let mut w = event(step(&mut rng, 900), EventKind::Worklog);
            w.hours = Some(0.5 + rng.below(8) as f64 / 2.0);
            t.events.push(w);
            if rng.below(10) < 8 {
                t.events
                    .push(event(step(&mut rng, 2400), EventKind::Resolved));
            }
        }
        serde_json::to_writer(&mut out, &t)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

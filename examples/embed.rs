//! Embedding slaengine in a host program: load a contract from a string, evaluate a
//! ticket at an instant, and read the result — no files, no clock, no terminal.
//!
//! Run with `cargo run --example embed`.

use chrono::{DateTime, Utc};
use slaengine::{Ticket, contract, evaluate};

const CONTRACT: &str = r#"
title: Help desk terms
customer: Example Ltd
calendar:
  timezone: Europe/Moscow
  week: { mon-fri: ["09:00-18:00"] }
  holidays: [2026-03-09]
metrics:
  assign:  { starts: registered, stops: assigned }
  resolve: { starts: registered, stops: resolved, pausable: true }
defaults:
  assign: 1 working hour
categories:
  error.module_failure: { clause: "3.2", title: A module is inoperable, resolve: 1 working day }
"#;

const TICKET: &str = r#"
id: T-1042
customer: example
category: error.module_failure
summary: Reports module crashes on export
registered: 2026-03-06T16:40:00+03:00
events:
  - { at: 2026-03-06T17:05:00+03:00, kind: assigned, engineer: ivanov }
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let contract = contract::parse_str("example", CONTRACT)?;
    let ticket = Ticket::from_str_named(TICKET, "ticket.yaml")?;
    let at: DateTime<Utc> = "2026-03-10T12:00:00+03:00".parse()?;
    let evaluation = evaluate(&contract, &ticket, at);
    for m in &evaluation.metrics {
        let deadline = m.deadline.map(|d| d.to_rfc3339()).unwrap_or_default();
        println!("{:8} {:10} due {deadline}", m.name, m.status.as_str());
    }
    println!("{}", serde_json::to_string_pretty(&evaluation)?);
    Ok(())
}

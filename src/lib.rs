//! slaengine: a rules engine for technical-support contracts.
//!
//! Contracts are YAML files (one per customer, extending shared templates) plus sandboxed
//! Rhai scripts; the pure core computes, for a ticket at an instant, every working-time
//! deadline, status and allowance, and explains how it got there. With
//! `default-features = false` the crate is only that core: no clock, no files, no
//! terminal. The `store` feature adds the redb ticket store, `watch` the contract watcher
//! (hot reload and escalations), `cli` the command line.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use slaengine::{Ticket, contract, evaluate};
//!
//! let contract = contract::parse_str("example", r#"
//! calendar: { timezone: Europe/Moscow, week: { mon-fri: ["09:00-18:00"] }, holidays: [2026-03-09] }
//! metrics:
//!   assign:  { starts: registered, stops: assigned }
//!   resolve: { starts: registered, stops: resolved, pausable: true }
//! defaults: { assign: 1 working hour }
//! categories:
//!   error.module_failure: { clause: "3.2", resolve: 1 working day }
//! "#).unwrap();
//! let ticket = Ticket::from_str_named(r#"
//! id: T-1042
//! customer: example
//! category: error.module_failure
//! registered: 2026-03-06T16:40:00+03:00
//! "#, "ticket.yaml").unwrap();
//! let at: DateTime<Utc> = "2026-03-06T17:00:00+03:00".parse().unwrap();
//! let e = evaluate(&contract, &ticket, at);
//! // Monday 9 March is a holiday: the working day runs out on Tuesday.
//! assert_eq!(e.metrics[1].deadline.unwrap().to_rfc3339(), "2026-03-10T16:40:00+03:00");
//! ```

#![warn(missing_docs)]

pub mod calendar;
pub mod cases;
pub mod contract;
pub mod duration;
pub mod error;
pub mod eval;
pub mod evaluation;
pub mod holidays;
pub mod import;
mod instant;
pub mod loader;
pub mod money;
#[cfg(feature = "watch")]
mod parallel;
pub mod period;
pub mod report;
pub mod script;
#[cfg(feature = "store")]
pub mod store;
mod suggest;
pub mod ticket;
#[cfg(feature = "watch")]
pub mod watch;
mod yaml_index;

pub use calendar::{Calendar, Window};
pub use duration::{Duration, DurationKind};
pub use error::{Error, InputError, Location};
pub use eval::{Evaluation, Options, Status, evaluate, evaluate_with};
pub use ticket::{Event, EventKind, Ticket};

#[cfg(feature = "cli")]
pub mod cli;

//! slaengine: a rules engine for technical-support contracts.

pub mod calendar;
pub mod contract;
pub mod duration;
pub mod error;
pub mod eval;
pub mod loader;
pub mod script;
#[cfg(feature = "store")]
pub mod store;
pub mod ticket;
mod yaml_index;

pub use calendar::{Calendar, Window};
pub use duration::{Duration, DurationKind};
pub use error::{Error, InputError, Location};
pub use eval::{Evaluation, Options, Status, evaluate, evaluate_with};
pub use ticket::{Event, EventKind, Ticket};

#[cfg(feature = "cli")]
pub mod cli;

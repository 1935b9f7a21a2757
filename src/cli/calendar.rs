//! `slaengine calendar due|elapsed`: working-time arithmetic on a contract's calendar.

use std::io::Write;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::{Cli, Format, exit, output_error, parse_time, write_machine};
use crate::contract::{self, DirLoader};
use crate::duration::Duration;
use crate::error::{Error, InputError};
use crate::eval::format_seconds;

/// The calendar subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// When is something due: FROM plus a duration in the contract's working time.
    Due {
        /// The contract whose calendar to use.
        #[arg(long, value_name = "ID")]
        contract: String,
        /// The start instant (RFC 3339).
        #[arg(long, value_name = "TIME")]
        from: String,
        /// The duration (`1 working hour`, `2d`, `4 calendar hours`).
        #[arg(long = "in", value_name = "DURATION")]
        duration: String,
        /// A named calendar of the contract (`calendars:`) instead of its own.
        #[arg(long, value_name = "NAME")]
        calendar: Option<String>,
    },
    /// How much working time lies between two instants.
    Elapsed {
        /// The contract whose calendar to use.
        #[arg(long, value_name = "ID")]
        contract: String,
        /// The start instant (RFC 3339).
        #[arg(long, value_name = "TIME")]
        from: String,
        /// The end instant (RFC 3339).
        #[arg(long, value_name = "TIME")]
        to: String,
        /// A named calendar of the contract (`calendars:`) instead of its own.
        #[arg(long, value_name = "NAME")]
        calendar: Option<String>,
    },
}

#[derive(Serialize)]
struct Due {
    schema: &'static str,
    contract: String,
    revision: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    calendar: Option<String>,
    from: DateTime<FixedOffset>,
    duration: String,
    seconds: i64,
    due: Option<DateTime<FixedOffset>>,
}

#[derive(Serialize)]
struct Elapsed {
    schema: &'static str,
    contract: String,
    revision: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    calendar: Option<String>,
    from: DateTime<FixedOffset>,
    to: DateTime<FixedOffset>,
    seconds: i64,
}

/// Runs `calendar due` or `calendar elapsed`.
pub fn run(cli: &Cli, cmd: &Command) -> Result<u8, Error> {
    let loader = DirLoader::new(&cli.contracts);
    let (id, from, name) = match cmd {
        Command::Due {
            contract,
            from,
            calendar,
            ..
        }
        | Command::Elapsed {
            contract,
            from,
            calendar,
            ..
        } => (contract, from, calendar),
    };
    let from = parse_time("--from", from)?;
    let contract = contract::load(&loader, id)?;
    let cal = match name.as_deref() {
        None => &contract.calendar,
        Some(n) => contract.calendars.get(n).ok_or_else(|| {
            let names = contract.calendars.keys().map(String::as_str);
            InputError::new(format!(
                "--calendar: contract {} has no calendar `{n}`: {}{}",
                contract.id,
                if contract.calendars.is_empty() {
                    "it names none under `calendars`".to_owned()
                } else {
                    format!(
                        "expected one of {}",
                        crate::suggest::backticked(names.clone())
                    )
                },
                crate::suggest::did_you_mean(n, names)
            ))
        })?,
    };
    let local = |t: DateTime<Utc>| t.with_timezone(&cal.timezone()).fixed_offset();
    let mut out = std::io::stdout().lock();
    match cmd {
        Command::Due { duration, .. } => {
            let d: Duration = duration
                .parse()
                .map_err(|e: crate::duration::DurationError| {
                    InputError::new(format!("--in: {e}"))
                })?;
            let seconds = d
                .working_seconds(cal.day_length())
                .ok_or_else(|| InputError::new(format!("--in: `{duration}` is too long")))?;
            let due = cal.add(from, &d);
            let r = Due {
                schema: "slaengine.due/v1",
                contract: contract.id.clone(),
                revision: contract.revision.clone(),
                calendar: name.clone(),
                from: local(from),
                duration: d.to_string(),
                seconds,
                due: due.map(local),
            };
            if cli.format == Format::Human {
                let text = match r.due {
                    Some(t) => format!("{} ({})", t.to_rfc3339(), t.format("%a %Y-%m-%d %H:%M")),
                    None => "never: the calendar does not open again".into(),
                };
                writeln!(out, "{text}").map_err(output_error)?;
            } else {
                write_machine(&mut out, cli.format, &r, true).map_err(output_error)?;
            }
        }
        Command::Elapsed { to, .. } => {
            let to = parse_time("--to", to)?;
            let seconds = cal.elapsed(from, to);
            let r = Elapsed {
                schema: "slaengine.elapsed/v1",
                contract: contract.id.clone(),
                revision: contract.revision.clone(),
                calendar: name.clone(),
                from: local(from),
                to: local(to),
                seconds,
            };
            if cli.format == Format::Human {
                writeln!(
                    out,
                    "{} of working time ({seconds} s)",
                    format_seconds(seconds)
                )
                .map_err(output_error)?;
            } else {
                write_machine(&mut out, cli.format, &r, true).map_err(output_error)?;
            }
        }
    }
    Ok(exit::OK)
}

//! `slaengine ticket add|import|event|delete|show|list|export`: record tickets and their
//! events in the store, checked against their contracts, and undo a mistake.

use std::io::Write;

use chrono::DateTime;

use super::{Cli, Contracts, Format, exit, output_error, write_machine};
use crate::error::{Error, InputError};
use crate::store::{Store, is_open};
use crate::ticket::{Event, EventKind, Ticket, TicketReader};

/// The ticket subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add the tickets of a file (YAML documents or JSON lines) or of `-` (standard
    /// input), all or none.
    Add {
        /// The file, or `-`.
        #[arg(value_name = "FILE|-")]
        file: String,
        /// Replace tickets whose id is already stored instead of refusing them.
        #[arg(long)]
        upsert: bool,
        /// Store tickets their contracts cannot evaluate (no contract yet, an unknown
        /// category, a second resolution without a reopening...).
        #[arg(long)]
        unchecked: bool,
    },
    /// Record an event on a stored ticket, or remove one (`--remove N`).
    Event {
        /// The ticket's id.
        id: String,
        /// assigned, paused, resumed, worklog, approved, resolved, reopened, comment,
        /// replied, customer_replied, changed, or a kind the ticket's contract declares.
        #[arg(required_unless_present = "remove")]
        kind: Option<String>,
        /// Remove the ticket's event N instead (1 for the first, as `ticket show` lists
        /// them).
        #[arg(
            long,
            value_name = "N",
            conflicts_with_all = ["kind", "at", "hours", "engineer", "note", "by", "field", "to", "unchecked"]
        )]
        remove: Option<usize>,
        /// Record the event even if the ticket's contract cannot evaluate it.
        #[arg(long)]
        unchecked: bool,
        /// When it happened (RFC 3339); defaults to now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Hours of work (worklog).
        #[arg(long, value_name = "H")]
        hours: Option<f64>,
        /// The engineer.
        #[arg(long, value_name = "NAME")]
        engineer: Option<String>,
        /// A note.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Who acted: an engineer or a contact of the customer.
        #[arg(long, value_name = "WHO")]
        by: Option<String>,
        /// For `changed`: what changes (`priority`, `category`, `product`, `fields.NAME`).
        #[arg(long, value_name = "FIELD")]
        field: Option<String>,
        /// For `changed`: the new value (`urgent`, `true`, `3`, or `null` for none).
        #[arg(long, value_name = "VALUE")]
        to: Option<String>,
    },
    /// Import tickets from JSON lines, YAML documents or CSV (by the file's extension),
    /// or with `--from` a help desk's saved pages, in one transaction: a bad record fails
    /// the whole import, naming its line (or its file, record and field).
    Import {
        /// The file (`.jsonl`, `.json`, `.yaml`, `.yml` or `.csv`), or `-` for JSON lines
        /// or YAML on standard input; with `--from`, a page file or a directory of them.
        #[arg(value_name = "FILE")]
        file: String,
        /// Replace tickets whose id is already stored instead of refusing them.
        #[arg(long)]
        upsert: bool,
        /// List the bad records on stderr and import the rest.
        #[arg(long)]
        skip_bad: bool,
        /// Store tickets their contracts cannot evaluate (say, tickets that arrive before
        /// their contract).
        #[arg(long)]
        unchecked: bool,
        /// Read the saved REST pages of a help desk (`jira`, `zendesk`, `redmine` or `zammad`) instead: FILE and PATH are
        /// page files or directories of `*.json` pages, imported by ticket id (a ticket
        /// imported before is updated).
        #[arg(long, value_name = "HELP_DESK")]
        from: Option<String>,
        /// With `--from`: the mapping file (YAML: timezone, customer, category, product,
        /// priority, statuses, time_unit_minutes).
        #[arg(long, value_name = "FILE", requires = "from")]
        mapping: Option<String>,
        /// With `--from`: more page files or directories.
        #[arg(value_name = "PATH", requires = "from")]
        more: Vec<String>,
    },
    /// Delete a stored ticket (to undo a mistake), with its events.
    Delete {
        /// The ticket's id.
        id: String,
    },
    /// Print every stored ticket as JSON lines (the format `ticket import` reads).
    Export,
    /// Print a stored ticket.
    Show {
        /// The ticket's id.
        id: String,
    },
    /// List stored tickets.
    List {
        /// Only this customer's tickets.
        #[arg(long, value_name = "ID")]
        customer: Option<String>,
        /// Only tickets not resolved (or reopened).
        #[arg(long)]
        open: bool,
    },
}

/// Tickets parsed ahead of the writes in one step of `ticket import`.
const IMPORT_BATCH: usize = 1024;

/// What the parsing thread of `ticket import` hands over.
enum Parsed {
    Batch(Vec<Result<Ticket, InputError>>),
    /// Everything was read.
    End,
}

/// `records`, parsed on a thread of its own a few batches ahead of the caller, so that
/// parsing and writing overlap. Without `skip_bad` parsing stops at the first bad record
/// and hands it over at once. If the thread dies (a bug), the stream ends with an error,
/// never as if the input had ended, so an import is not committed half-read. The thread
/// is not waited for: a command that stops early (a bad record, a duplicate id, a
/// read-only database) returns at once even while the thread waits for more input.
fn parsed_ahead(
    records: Box<dyn Iterator<Item = Result<Ticket, InputError>> + Send>,
    skip_bad: bool,
    db: &std::path::Path,
) -> impl Iterator<Item = Result<Ticket, Error>> {
    let db = db.display().to_string();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Parsed>(4);
    std::thread::spawn(move || {
        let mut batch = Vec::with_capacity(IMPORT_BATCH);
        for r in records {
            let stop = r.is_err() && !skip_bad;
            batch.push(r);
            if batch.len() == IMPORT_BATCH || stop {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(IMPORT_BATCH));
                if tx.send(Parsed::Batch(full)).is_err() || stop {
                    return; // the import stopped, or will at this record
                }
            }
        }
        if tx.send(Parsed::Batch(batch)).is_ok() {
            let _ = tx.send(Parsed::End);
        }
    });
    let mut current: std::vec::IntoIter<Result<Ticket, InputError>> = Vec::new().into_iter();
    let mut ended = false;
    std::iter::from_fn(move || {
        loop {
            if let Some(r) = current.next() {
                return Some(r.map_err(Error::from));
            }
            if ended {
                return None;
            }
            match rx.recv() {
                Ok(Parsed::Batch(b)) => current = b.into_iter(),
                Ok(Parsed::End) => ended = true,
                Err(_) => {
                    ended = true;
                    return Some(Err(Error::Storage {
                        path: db.clone(),
                        message: "the thread reading the tickets stopped before the end of the input: nothing was imported".into(),
                    }));
                }
            }
        }
    })
}

/// Reads every ticket of `file` (`-` for standard input), whose event kinds are those of
/// its contract in `contracts`, and which that contract must be able to evaluate unless
/// `unchecked`; the first bad one fails all.
fn read_tickets(
    file: &str,
    contracts: &std::sync::Arc<Contracts>,
    unchecked: bool,
) -> Result<Vec<Ticket>, Error> {
    let (name, reader) = super::open_input(file)?;
    let mut reader = TicketReader::new(reader, name.clone()).with_kinds(contracts.kinds());
    if !unchecked {
        reader = reader.with_check(contracts.check());
    }
    let tickets = reader.collect::<Result<Vec<_>, InputError>>()?;
    if tickets.is_empty() {
        return Err(InputError::new(format!("expected tickets in `{name}`, found none")).into());
    }
    Ok(tickets)
}

/// The event kind `name` for the stored ticket `id`: a built-in kind, or one its
/// contract declares.
fn stored_kind(
    store: &Store,
    contracts: &std::sync::Arc<Contracts>,
    id: &str,
    name: &str,
) -> Result<EventKind, Error> {
    if let Some(kind) = EventKind::from_name(name) {
        return Ok(kind);
    }
    let Some(ticket) = store.get(id)? else {
        return Err(
            InputError::new(format!("no ticket `{id}` in {}", store.path().display())).into(),
        );
    };
    let declared = contracts.kinds()(&ticket);
    let kind = EventKind::parse(name).map_err(InputError::new)?;
    if declared.allows(&kind) {
        Ok(kind)
    } else {
        Err(InputError::new(declared.refusal(name)).into())
    }
}

/// Runs a ticket subcommand.
pub fn run(cli: &Cli, cmd: &Command) -> Result<u8, Error> {
    let mut out = std::io::stdout().lock();
    match cmd {
        Command::Add {
            file,
            upsert,
            unchecked,
        } => {
            let contracts = Contracts::new(&cli.contracts);
            let tickets = read_tickets(file, &contracts, *unchecked)?;
            let store = Store::open(&cli.db)?;
            let n = store.add(&tickets, *upsert)?;
            if cli.format == Format::Human {
                writeln!(
                    out,
                    "added {n} ticket{} to {}",
                    if n == 1 { "" } else { "s" },
                    cli.db.display()
                )
                .map_err(output_error)?;
            } else {
                let ids: Vec<&str> = tickets.iter().map(|t| t.id.as_str()).collect();
                let v = serde_json::json!({ "schema": "slaengine.ticket_add/v1", "added": n, "ids": ids });
                write_machine(&mut out, cli.format, &v, true).map_err(output_error)?;
            }
        }
        Command::Event {
            id,
            kind,
            remove,
            unchecked,
            at,
            hours,
            engineer,
            note,
            by,
            field,
            to,
        } => {
            // A ticket to change cannot be in a database that does not exist.
            if !cli.db.exists() {
                return Err(crate::store::missing(&cli.db).into());
            }
            let store = Store::open(&cli.db)?;
            let kind = match (kind, remove) {
                (_, Some(n)) => return remove_event(cli, &store, id, *n),
                (Some(kind), None) => kind,
                (None, None) => {
                    return Err(InputError::new(
                        "expected the kind of event to record (`slaengine ticket event ID resolved`) or --remove N",
                    )
                    .into());
                }
            };
            let contracts = Contracts::new(&cli.contracts);
            let kind = stored_kind(&store, &contracts, id, kind)?;
            let to = change_of(&kind, field.as_deref(), to.as_deref())?;
            let at = match at {
                Some(text) => DateTime::parse_from_rfc3339(text).map_err(|_| {
                    InputError::new(format!(
                        "--at: expected a time like `2026-03-06T16:40:00+03:00` (RFC 3339, with an offset), found `{text}`"
                    ))
                })?,
                None => chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0).fixed_offset(),
            };
            let event = Event {
                at,
                kind: kind.clone(),
                engineer: engineer.clone(),
                hours: *hours,
                note: note.clone(),
                by: by.clone(),
                field: field.clone(),
                to,
            };
            let ticket = store.add_event_checked(id, event, |before, after| {
                if *unchecked {
                    return Ok(());
                }
                new_misfit(&contracts, before, after).map_or(Ok(()), |message| {
                    Err(InputError::new(message)
                        .with_help(crate::ticket::UNCHECKED_HELP)
                        .into())
                })
            })?;
            if cli.format == Format::Human {
                writeln!(
                    out,
                    "{id}: {kind} at {} ({})",
                    at.to_rfc3339(),
                    super::render::counted(ticket.events.len(), "event", "events")
                )
                .map_err(output_error)?;
            } else {
                write_machine(&mut out, cli.format, &ticket, true).map_err(output_error)?;
            }
        }
        Command::Import {
            file,
            upsert: _,
            skip_bad,
            unchecked,
            from: Some(from),
            mapping,
            more,
        } => {
            let paths: Vec<String> = std::iter::once(file).chain(more).cloned().collect();
            return super::import::run(
                cli,
                from,
                mapping.as_deref(),
                &paths,
                *skip_bad,
                *unchecked,
            );
        }
        Command::Import {
            file,
            upsert,
            skip_bad,
            unchecked,
            ..
        } => {
            let (name, reader) = super::open_input(file)?;
            let contracts = Contracts::new(&cli.contracts);
            let kinds = contracts.kinds();
            let check = (!*unchecked).then(|| contracts.check());
            let records: Box<dyn Iterator<Item = Result<Ticket, InputError>> + Send> =
                if file.ends_with(".csv") {
                    Box::new(crate::ticket::csv_tickets(reader, &name, kinds, check)?)
                } else {
                    let reader = TicketReader::new(reader, name.clone()).with_kinds(kinds);
                    Box::new(match check {
                        Some(check) => reader.with_check(check),
                        None => reader,
                    })
                };
            let store = Store::open(&cli.db)?;
            let mut skipped = 0usize;
            let bar = super::progress("tickets imported");
            let records = parsed_ahead(records, *skip_bad, &cli.db)
                .inspect(|_| bar.inc(1))
                .filter_map(|r| match r {
                    Err(Error::Input(e)) if *skip_bad => {
                        skipped += 1;
                        bar.suspend(|| super::report(&Error::Input(e)));
                        None
                    }
                    other => Some(other),
                });
            let n = store.import(records, *upsert);
            bar.finish_and_clear();
            let n = n?;
            if cli.format == Format::Human {
                let skipped = if skipped > 0 {
                    format!(", skipped {skipped} bad records")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "imported {} into {}{skipped}",
                    super::render::counted(n, "ticket", "tickets"),
                    cli.db.display()
                )
                .map_err(output_error)?;
            } else {
                let v = serde_json::json!({ "schema": "slaengine.ticket_import/v1", "imported": n, "skipped": skipped });
                write_machine(&mut out, cli.format, &v, true).map_err(output_error)?;
            }
        }
        Command::Delete { id } => {
            if !cli.db.exists() {
                return Err(crate::store::missing(&cli.db).into());
            }
            let store = Store::open(&cli.db)?;
            let ticket = store.delete(id)?;
            if cli.format == Format::Human {
                let n = ticket.events.len();
                writeln!(
                    out,
                    "deleted ticket {id} ({}, {n} event{}) from {}",
                    ticket.customer,
                    if n == 1 { "" } else { "s" },
                    cli.db.display()
                )
                .map_err(output_error)?;
            } else {
                let v = serde_json::json!({ "schema": "slaengine.ticket_delete/v1", "deleted": id, "ticket": ticket });
                write_machine(&mut out, cli.format, &v, true).map_err(output_error)?;
            }
        }
        Command::Export => {
            let store = Store::open_for_reading(&cli.db)?;
            let mut w = std::io::BufWriter::new(out);
            store.for_each(|t| {
                serde_json::to_writer(&mut w, &t).map_err(|e| output_error(e.into()))?;
                w.write_all(b"\n").map_err(output_error)
            })?;
            w.flush().map_err(output_error)?;
            return Ok(exit::OK);
        }
        Command::Show { id } => {
            let store = Store::open_for_reading(&cli.db)?;
            let Some(ticket) = store.get(id)? else {
                return Err(
                    InputError::new(format!("no ticket `{id}` in {}", cli.db.display())).into(),
                );
            };
            if cli.format == Format::Human {
                let text = serde_yaml::to_string(&ticket)
                    .map_err(|e| output_error(std::io::Error::other(e)))?;
                out.write_all(numbered_events(&text).as_bytes())
                    .map_err(output_error)?;
            } else {
                write_machine(&mut out, cli.format, &ticket, true).map_err(output_error)?;
            }
        }
        Command::List { customer, open } => {
            let store = Store::open_for_reading(&cli.db)?;
            let mut first = true;
            let each = |t: crate::ticket::Ticket| {
                if customer.as_ref().is_some_and(|c| *c != t.customer) {
                    return Ok(());
                }
                let res = if cli.format == Format::Human {
                    writeln!(
                        out,
                        "{}  {}  {}  {}  {}",
                        t.id,
                        t.customer,
                        t.category.as_deref().unwrap_or("-"),
                        if is_open(&t) { "open" } else { "resolved" },
                        t.summary
                    )
                } else {
                    write_machine(&mut out, cli.format, &t, first)
                };
                first = false;
                res.map_err(output_error)
            };
            if *open {
                store.for_each_open(each)?;
            } else {
                store.for_each(each)?;
            }
        }
    }
    Ok(exit::OK)
}

/// `ticket event ID --remove N`: removes event `n` and says which it was.
fn remove_event(cli: &Cli, store: &Store, id: &str, n: usize) -> Result<u8, Error> {
    let (event, ticket) = store.remove_event(id, n)?;
    let mut out = std::io::stdout().lock();
    if cli.format == Format::Human {
        let left = ticket.events.len();
        writeln!(
            out,
            "{id}: removed event {n} ({} at {}); {left} event{} left",
            event.kind,
            event.at.to_rfc3339(),
            if left == 1 { "" } else { "s" }
        )
        .map_err(output_error)?;
    } else {
        write_machine(&mut out, cli.format, &ticket, true).map_err(output_error)?;
    }
    Ok(exit::OK)
}

/// The first thing the contract cannot evaluate in `after` (a ticket with one more
/// event) that it could in `before`: what was wrong before (a ticket stored with
/// `--unchecked`) does not stop a new event, but a ticket whose customer has no
/// contract does.
fn new_misfit(contracts: &Contracts, before: &Ticket, after: &Ticket) -> Option<String> {
    let old: Vec<String> = contracts
        .misfits(before)
        .into_iter()
        .filter(|m| m.part != crate::ticket::Part::Customer)
        .map(|m| m.message)
        .collect();
    contracts
        .misfits(after)
        .into_iter()
        .map(|m| m.message)
        .find(|m| !old.contains(m))
}

/// The new value of a `changed` event given as `--field F --to V` (`V` read as a YAML
/// scalar: `urgent`, `true`, `3`, `null`), checked: both for `changed`, neither otherwise.
fn change_of(
    kind: &EventKind,
    field: Option<&str>,
    to: Option<&str>,
) -> Result<Option<serde_json::Value>, InputError> {
    if *kind != EventKind::Changed {
        return match (field, to) {
            (None, None) => Ok(None),
            _ => Err(InputError::new(format!(
                "--field and --to describe a `changed` event, not `{kind}`: record `slaengine ticket event ID changed --field priority --to urgent`"
            ))),
        };
    }
    let expected = format!("expected {}", crate::eval::CHANGEABLE);
    let Some(field) = field else {
        return Err(InputError::new(format!(
            "a `changed` event needs the field that changed: {expected}"
        )));
    };
    if crate::eval::Field::parse(field).is_none() {
        let known = ["priority", "category", "product"];
        return Err(InputError::new(format!(
            "--field: `{field}` cannot change: {expected}{}",
            crate::suggest::did_you_mean(field, known.into_iter())
        )));
    }
    let Some(to) = to else {
        return Err(InputError::new(
            "a `changed` event needs the new value: `--to urgent` (or `--to null` for none)",
        ));
    };
    let value: serde_json::Value = serde_yaml::from_str(to).map_err(|_| {
        InputError::new(format!(
            "--to: expected a value like `urgent`, `true` or `3`, found `{to}`"
        ))
    })?;
    if value.is_array() || value.is_object() {
        return Err(InputError::new(format!(
            "--to: expected one value like `urgent`, `true` or `3`, found `{to}`"
        )));
    }
    Ok(Some(value))
}

/// A ticket's YAML with each event numbered in a comment (`- at: … # 2`), the numbers
/// `ticket event ID --remove N` takes.
fn numbered_events(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len() + 64);
    let mut in_events = false;
    let mut n = 0;
    for line in yaml.lines() {
        if !line.starts_with(' ') && !line.starts_with('-') {
            in_events = line == "events:";
        }
        out.push_str(line);
        if in_events && line.starts_with("- ") {
            n += 1;
            out.push_str(&format!("  # {n}"));
        }
        out.push('\n');
    }
    out
}

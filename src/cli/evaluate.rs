//! `slaengine evaluate --ticket FILE|-`: evaluate tickets against their customers'
//! contracts. JSON lines are streamed in batches (constant memory) and evaluated on every
//! core; output keeps the input order.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use super::{Cli, Format, exit, output_error, render, report, write_machine};
use crate::contract::{self, Contract, DirLoader, Loader};
use crate::error::{Error, InputError};
use crate::eval::{CustomerUsage, Options, evaluate_in};
use crate::store::Store;
use crate::ticket::{KindsOf, Ticket, TicketReader, parse_json_line};

/// Maps looked up once per ticket, by customer id. foldhash is fast but not built to
/// resist deliberate hash flooding; the tickets come from the user's own store or files.
type ByCustomer<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// Arguments of `evaluate`: which tickets, one of a stored id, `--ticket FILE` or `--all`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("tickets").required(true).args(["id", "ticket", "all"])))]
pub struct Args {
    /// A stored ticket's id (from `slaengine ticket add`).
    #[arg(value_name = "TICKET_ID", conflicts_with_all = ["ticket", "all"])]
    pub id: Option<String>,
    /// Every stored ticket (streamed, on every core, in id order).
    #[arg(long, conflicts_with = "ticket")]
    pub all: bool,
    /// With --all: only this customer's tickets.
    #[arg(long, value_name = "ID", requires = "all")]
    pub customer: Option<String>,
    /// With --all: only open tickets (not resolved, or reopened).
    #[arg(long, requires = "all")]
    pub open: bool,
    /// A file of tickets (YAML documents or JSON lines), or `-` for standard input.
    #[arg(long, value_name = "FILE|-")]
    pub ticket: Option<String>,
    /// The evaluation instant (RFC 3339); defaults to now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Explain how each value was reached: which contract layer set each target, which
    /// intervals counted, which weekends, holidays and pauses were skipped.
    #[arg(long)]
    pub explain: bool,
}

/// Tickets per batch handed to the workers.
const BATCH: usize = 4096;

/// Contracts loaded on first use, shared by the workers.
struct Contracts {
    loader: DirLoader,
    loaded: RwLock<ByCustomer<Option<Arc<Contract>>>>,
}

impl Contracts {
    /// The contract of `customer`, loading it on first use; a load error is reported
    /// once, on stderr.
    fn get(&self, customer: &str) -> Option<Arc<Contract>> {
        if let Ok(map) = self.loaded.read()
            && let Some(c) = map.get(customer)
        {
            return c.clone();
        }
        let mut map = self.loaded.write().ok()?;
        if let Some(c) = map.get(customer) {
            return c.clone();
        }
        let loaded = match contract::load(&self.loader, customer) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => {
                report(&e);
                None
            }
        };
        map.insert(customer.to_owned(), loaded.clone());
        loaded
    }
}

/// What one batch produced: the output bytes in order, and the errors.
#[derive(Default)]
struct Chunk {
    out: Vec<u8>,
    errors: Vec<Failure>,
    done: usize,
}

/// Why a ticket (or a line of input) could not be evaluated.
enum Failure {
    /// Ticket `id` failed: `text` says why, the same for every ticket that failed alike;
    /// `storage`: because its stored record could not be read.
    Ticket {
        id: String,
        text: String,
        storage: bool,
    },
    /// Anything else (a line that is no ticket, the store, the output).
    Other(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Other(e)
    }
}

/// Reports failures as they come, each distinct reason once in full: the later tickets
/// that failed for the same reason are named together at the end, so a broken contract
/// or script is one message, not one per ticket.
#[derive(Default)]
struct Failures {
    /// Reason → how many tickets failed for it after the first, and the first of them.
    again: HashMap<String, (usize, Vec<String>)>,
    /// The reasons in the order they were first reported.
    order: Vec<String>,
    /// Whether stored data could not be read (exit 3).
    damaged: bool,
}

impl Failures {
    fn report(&mut self, f: &Failure) {
        self.damaged |= matches!(
            f,
            Failure::Ticket { storage: true, .. } | Failure::Other(Error::Storage { .. })
        );
        match f {
            Failure::Other(e) => report(e),
            Failure::Ticket { id, text, .. } => match self.again.get_mut(text) {
                Some((count, ids)) => {
                    *count += 1;
                    if ids.len() < Self::NAMED {
                        ids.push(id.clone());
                    }
                }
                None => {
                    report(&InputError::new(format!("ticket {id}: {text}")).into());
                    self.again.insert(text.clone(), (0, Vec::new()));
                    self.order.push(text.clone());
                }
            },
        }
    }

    /// Tickets named in the summary of a reason.
    const NAMED: usize = 5;

    /// Names the tickets that failed for a reason already reported.
    fn finish(self) {
        for reason in &self.order {
            let (count, ids) = &self.again[reason];
            if *count == 0 {
                continue;
            }
            let first_line = reason.lines().next().unwrap_or_default();
            let more = if *count > ids.len() { ", …" } else { "" };
            report(&Error::Input(InputError::new(format!(
                "{count} more ticket{} failed the same way ({}{more}): {first_line}",
                if *count == 1 { "" } else { "s" },
                ids.join(", "),
            ))));
        }
    }
}

/// Prints evaluations in the order it is given them, and reports failures as they come.
/// Workers render each chunk's first evaluation without the separator that goes between
/// two (a blank line for people, `---` in YAML): the printer puts it before every chunk
/// but the first that prints anything, however the tickets were split.
struct Printer {
    out: Box<dyn Write>,
    separator: &'static [u8],
    started: bool,
    done: usize,
    failed: usize,
    failures: Failures,
    /// Why the output failed, if it did: nothing more is written after it.
    broken: Option<Error>,
}

impl Printer {
    /// A printer to standard output (styled for a terminal with the human format).
    fn new(format: Format) -> Printer {
        let stdout = std::io::stdout();
        let out: Box<dyn Write> = if format == Format::Human {
            Box::new(anstream::AutoStream::auto(stdout.lock()))
        } else {
            Box::new(std::io::BufWriter::with_capacity(1 << 16, stdout.lock()))
        };
        let separator: &[u8] = match format {
            Format::Human => b"\n",
            Format::Yaml => b"---\n",
            _ => b"",
        };
        Printer {
            out,
            separator,
            started: false,
            done: 0,
            failed: 0,
            failures: Failures::default(),
            broken: None,
        }
    }

    /// Prints `chunk` and reports its failures. Returns whether the output still works.
    fn emit(&mut self, chunk: &Chunk) -> bool {
        self.done += chunk.done;
        self.failed += chunk.errors.len();
        if self.broken.is_none() && !chunk.out.is_empty() {
            let separator = if self.started { self.separator } else { b"" };
            self.started = true;
            if let Err(e) = self
                .out
                .write_all(separator)
                .and_then(|()| self.out.write_all(&chunk.out))
            {
                self.broken = Some(output_error(e));
            }
        }
        if !chunk.errors.is_empty() {
            // What was printed before the failures comes before their messages.
            self.flush();
            for e in &chunk.errors {
                self.failures.report(e);
            }
        }
        self.broken.is_none()
    }

    fn flush(&mut self) {
        if self.broken.is_none()
            && let Err(e) = self.out.flush()
        {
            self.broken = Some(output_error(e));
        }
    }

    /// Flushes the output, reports `stopped` (the storage error that ended reading, if
    /// one did: after what was read before it), names the tickets that failed for
    /// reasons already given, and gives the exit code: 3 if stored data could not be
    /// read, else 2 if a ticket failed, else 0. A closed pipe (its reader has gone) ends
    /// the run quietly, but for damaged data.
    fn finish(mut self, stopped: Option<Error>) -> Result<u8, Error> {
        self.flush();
        if let Some(e) = &stopped {
            report(e);
        }
        let damaged = stopped.is_some() || self.failures.damaged;
        self.failures.finish();
        match self.broken {
            Some(Error::Output(source)) if source.kind() == std::io::ErrorKind::BrokenPipe => {
                return Ok(if damaged { exit::INTERNAL } else { exit::OK });
            }
            Some(e) => return Err(e),
            None => {}
        }
        if self.failed > 0 {
            // One ticket's failure was said in full already.
            if self.done + self.failed > 1 {
                report(&Error::Input(InputError::new(format!(
                    "{} of {} could not be evaluated",
                    self.failed,
                    super::render::counted(self.done + self.failed, "ticket", "tickets")
                ))));
            }
            return Ok(if damaged {
                exit::INTERNAL
            } else {
                exit::BAD_INPUT
            });
        }
        Ok(if damaged { exit::INTERNAL } else { exit::OK })
    }
}

/// A worker's own view of the contracts and allowance usage it has met, so that the
/// tickets after a customer's first take no lock and touch no shared reference count
/// (two cores bumping one counter take turns at its cache line).
#[derive(Default)]
struct Local {
    index: ByCustomer<usize>,
    resolved: Vec<(Arc<Contract>, Option<Arc<CustomerUsage>>)>,
    /// Customers whose allowance usage could not be read from the store, and why: their
    /// tickets fail alike (named together), without reading the store again.
    unusable: ByCustomer<String>,
}

struct Job<'a> {
    contracts: &'a Contracts,
    format: Format,
    at: DateTime<Utc>,
    options: Options,
    /// The store, when evaluating stored tickets: allowances then count the worklogs of
    /// all the customer's tickets, read once per customer.
    store: Option<&'a Store>,
    usage: RwLock<ByCustomer<Arc<CustomerUsage>>>,
}

impl<'a> Job<'a> {
    /// The same job over stored tickets.
    fn with_store<'b>(&self, store: &'b Store) -> Job<'b>
    where
        'a: 'b,
    {
        Job {
            contracts: self.contracts,
            format: self.format,
            at: self.at,
            options: self.options,
            store: Some(store),
            usage: RwLock::new(ByCustomer::default()),
        }
    }

    /// The worklogs of `customer` from the store (cached), if evaluating stored tickets.
    fn usage_of(
        &self,
        contract: &Contract,
        customer: &str,
    ) -> Result<Option<Arc<CustomerUsage>>, Error> {
        let Some(store) = self.store else {
            return Ok(None);
        };
        if let Some(u) = self
            .usage
            .read()
            .ok()
            .and_then(|m| m.get(customer).cloned())
        {
            return Ok(Some(u));
        }
        let u = Arc::new(store.customer_usage(contract, customer, self.at)?);
        if let Ok(mut m) = self.usage.write() {
            m.insert(customer.to_owned(), Arc::clone(&u));
        }
        Ok(Some(u))
    }

    /// The contract and allowance usage of `ticket`'s customer, through the worker's own
    /// cache: after the first ticket of a customer, a worker touches no lock or shared
    /// counter.
    fn resolve<'l>(
        &self,
        local: &'l mut Local,
        ticket: &Ticket,
    ) -> Result<&'l (Arc<Contract>, Option<Arc<CustomerUsage>>), Failure> {
        let customer = ticket.customer.as_str();
        let fail = |text: String, storage| Failure::Ticket {
            id: ticket.id.clone(),
            text,
            storage,
        };
        let i = match local.index.get(customer).copied() {
            Some(i) => i,
            None => {
                let Some(contract) = self.contracts.get(customer) else {
                    return Err(fail(
                        format!(
                            "no usable contract for customer `{customer}` (expected a valid file `{}`)",
                            self.contracts.loader.display(&format!("{customer}.yaml"))
                        ),
                        false,
                    ));
                };
                if let Some(why) = local.unusable.get(customer) {
                    return Err(fail(why.clone(), true));
                }
                let usage = match self.usage_of(&contract, customer) {
                    Ok(u) => u,
                    Err(e @ Error::Storage { .. }) => {
                        let why = e.to_string();
                        local.unusable.insert(customer.to_owned(), why.clone());
                        return Err(fail(why, true));
                    }
                    Err(e) => return Err(e.into()),
                };
                local.resolved.push((contract, usage));
                local
                    .index
                    .insert(customer.to_owned(), local.resolved.len() - 1);
                local.resolved.len() - 1
            }
        };
        Ok(&local.resolved[i])
    }

    /// Evaluates `ticket` into `chunk`: its output after the chunk's others (the first
    /// without a separator before it, see [`Printer`]), or why it failed.
    fn one(&self, ticket: Result<Ticket, InputError>, chunk: &mut Chunk, local: &mut Local) {
        let ticket = match ticket {
            Ok(t) => t,
            Err(e) => return chunk.errors.push(Error::from(e).into()),
        };
        let (contract, usage) = match self.resolve(local, &ticket) {
            Ok(r) => r,
            Err(f) => return chunk.errors.push(f),
        };
        let e = evaluate_in(contract, &ticket, self.at, &self.options, usage.as_deref());
        // A script that failed fails this ticket's evaluation: it is still printed, with
        // the error finding, and counted.
        if let Some(f) = e.findings.iter().find(|f| f.code == "script_failed") {
            let text = f.detail.as_deref().unwrap_or(&f.message);
            let text = text.strip_prefix("error: ").unwrap_or(text);
            chunk.errors.push(Failure::Ticket {
                id: ticket.id.clone(),
                text: text.to_owned(),
                storage: false,
            });
        } else {
            chunk.done += 1;
        }
        let at_start = chunk.out.is_empty();
        let res = match self.format {
            Format::Human => {
                if !at_start {
                    chunk.out.push(b'\n');
                }
                chunk
                    .out
                    .extend_from_slice(render::evaluation(&e).as_bytes());
                Ok(())
            }
            Format::Jsonl => {
                e.write_json(&mut chunk.out);
                chunk.out.push(b'\n');
                Ok(())
            }
            f => write_machine(&mut chunk.out, f, &e, at_start),
        };
        if let Err(e) = res {
            chunk.errors.push(output_error(e).into());
        }
    }

    /// Parses and evaluates JSON lines `(line number, text)` on all cores, in order.
    fn lines(
        &self,
        lines: &[(usize, Result<String, InputError>)],
        file: &str,
        kinds: &KindsOf,
    ) -> Vec<Chunk> {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let per = lines.len().div_ceil(workers).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = lines
                .chunks(per)
                .map(|part| {
                    s.spawn(move || {
                        let (mut chunk, mut local) = (Chunk::default(), Local::default());
                        for (n, line) in part {
                            let t = match line {
                                Ok(line) => parse_json_line(line, *n, file, Some(kinds)),
                                Err(e) => Err(e.clone()),
                            };
                            self.one(t, &mut chunk, &mut local);
                        }
                        chunk
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        })
    }
}

/// Runs `evaluate`.
pub fn run(cli: &Cli, args: &Args) -> Result<u8, Error> {
    let at = super::instant(args.at.as_deref())?;
    let contracts = Contracts {
        loader: DirLoader::new(&cli.contracts),
        loaded: RwLock::new(ByCustomer::default()),
    };
    let format = cli.format;
    let job = Job {
        contracts: &contracts,
        format,
        at,
        options: Options {
            explain: args.explain,
            ..Options::default()
        },
        store: None,
        usage: RwLock::new(ByCustomer::default()),
    };
    if args.all {
        return all(cli, args, &job);
    }
    let Some(ticket_file) = args.ticket.as_deref() else {
        let id = args.id.as_deref().unwrap_or_default();
        return stored(cli, &job, id);
    };
    let (name, mut reader) = super::open_input(ticket_file)?;
    let kinds = super::contract_kinds(&cli.contracts);
    let mut printer = Printer::new(format);
    let head = reader.fill_buf().map_err(|e| Error::Io {
        path: name.clone(),
        source: e,
    })?;
    let json = head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if json {
        let mut batch: Vec<(usize, Result<String, InputError>)> = Vec::with_capacity(BATCH);
        let mut line_no = 0;
        let mut writing = true;
        while writing {
            let mut line = String::new();
            line_no += 1;
            let n = match crate::ticket::read_text_line(&mut reader, &mut line, line_no, &name) {
                Ok(n) => n,
                // A line that is not UTF-8 fails alone, like a line that is not JSON, in
                // its place among the others.
                Err(e) => {
                    batch.push((line_no, Err(e)));
                    1
                }
            };
            if n > 0 && !line.trim().is_empty() {
                batch.push((line_no, Ok(line)));
            }
            if batch.len() >= BATCH || (n == 0 && !batch.is_empty()) {
                for chunk in job.lines(&batch, &name, &kinds) {
                    // After a failed output, the failures are still reported.
                    writing &= printer.emit(&chunk);
                }
                batch.clear();
            }
            if n == 0 {
                break;
            }
        }
    } else {
        let (mut chunk, mut local) = (Chunk::default(), Local::default());
        for t in TicketReader::new(reader, name.clone()).with_kinds(kinds) {
            job.one(t, &mut chunk, &mut local);
        }
        printer.emit(&chunk);
    }
    let none = printer.done + printer.failed == 0;
    let code = printer.finish(None)?;
    if code == exit::OK && none {
        report(&Error::Input(InputError::new(format!(
            "expected tickets in `{name}`, found none"
        ))));
        return Ok(exit::BAD_INPUT);
    }
    Ok(code)
}

/// `evaluate TICKET_ID`: one stored ticket.
fn stored(cli: &Cli, job: &Job<'_>, id: &str) -> Result<u8, Error> {
    let store = &Store::open_for_reading(&cli.db)?;
    let job = &job.with_store(store);
    let Some(ticket) = store.get(id)? else {
        return Err(InputError::new(format!(
            "no ticket `{id}` in {}: expected the id of a ticket added with `slaengine ticket add`",
            cli.db.display()
        ))
        .into());
    };
    let mut chunk = Chunk::default();
    job.one(Ok(ticket), &mut chunk, &mut Local::default());
    let mut printer = Printer::new(job.format);
    printer.emit(&chunk);
    printer.finish(None)
}

/// Tickets per batch in the `--all` pipeline.
const PIPE_BATCH: usize = 512;

/// Stored records on their way from the reading thread to a worker, which decodes them:
/// a ticket is then built, evaluated and freed on one thread, instead of being freed
/// by another core than the one that allocated it.
#[derive(Default)]
struct Records {
    ids: String,
    bytes: Vec<u8>,
    /// Where each record's id and bytes end.
    ends: Vec<(usize, usize)>,
}

impl Records {
    fn push(&mut self, id: &str, bytes: &[u8]) {
        self.ids.push_str(id);
        self.bytes.extend_from_slice(bytes);
        self.ends.push((self.ids.len(), self.bytes.len()));
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// An empty batch with room for one like `self` and an eighth more, so that filling
    /// it seldom copies it over as it grows.
    fn like(&self) -> Records {
        let room = |n: usize| n + n / 8;
        Records {
            ids: String::with_capacity(room(self.ids.len())),
            bytes: Vec::with_capacity(room(self.bytes.len())),
            ends: Vec::with_capacity(self.ends.len()),
        }
    }

    /// Each record's id and bytes, in order.
    fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        let starts = std::iter::once((0, 0)).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|((i, b), &(ie, be))| (&self.ids[i..ie], &self.bytes[b..be]))
    }
}

/// `evaluate --all [--customer ID] [--open]`: every stored ticket, through a pipeline —
/// this thread reads the records, a worker per core decodes and evaluates them, a writer
/// thread prints the batches back in id order — so reading, evaluating and writing
/// overlap. A record that cannot be read fails its ticket (exit 3); the others go on.
fn all(cli: &Cli, args: &Args, job: &Job<'_>) -> Result<u8, Error> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::sync_channel;
    use std::sync::{Arc, Mutex};

    let store = &Store::open_for_reading(&cli.db)?;
    let job = &job.with_store(store);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    // Set by the writer when the output fails: reading stops.
    let stop = AtomicBool::new(false);
    // Why reading failed, if it did: reported after what was read before it, exit 3.
    let read_error = Mutex::new(None);
    let bar = super::progress("tickets evaluated");
    let unreadable = |id: &str, why: String| Failure::Ticket {
        id: id.to_owned(),
        text: format!(
            "{}: the stored record cannot be read: {why}",
            store.path().display()
        ),
        storage: true,
    };
    let code = std::thread::scope(|s| {
        let (work_tx, work_rx) = sync_channel::<(usize, Records)>(workers * 2);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = sync_channel::<(usize, Chunk)>(workers * 2);
        for _ in 0..workers {
            let (rx, tx, unreadable) = (Arc::clone(&work_rx), done_tx.clone(), &unreadable);
            s.spawn(move || {
                let (mut size_hint, mut local) = (0, Local::default());
                loop {
                    let next = rx.lock().ok().and_then(|r| r.recv().ok());
                    let Some((seq, records)) = next else { break };
                    // Batches print alike: start at the last one's size, not growing
                    // (and copying) a half-megabyte buffer twelve times over.
                    let mut chunk = Chunk {
                        out: Vec::with_capacity(size_hint),
                        ..Chunk::default()
                    };
                    for (id, bytes) in records.iter() {
                        match crate::store::decode_ticket(bytes) {
                            Ok(t) if args.customer.as_ref().is_some_and(|c| *c != t.customer) => {}
                            Ok(t) => job.one(Ok(t), &mut chunk, &mut local),
                            Err(why) => chunk.errors.push(unreadable(id, why)),
                        }
                    }
                    size_hint = chunk.out.len() + chunk.out.len() / 8;
                    if tx.send((seq, chunk)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let (stop, read_error) = (&stop, &read_error);
        let writer = s.spawn(move || {
            let mut printer = Printer::new(job.format);
            let mut pending = std::collections::BTreeMap::new();
            let mut next = 0usize;
            for (seq, chunk) in done_rx {
                pending.insert(seq, chunk);
                while let Some(chunk) = pending.remove(&next) {
                    next += 1;
                    if !printer.emit(&chunk) {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            }
            // The reading ended before the last batch came.
            let stopped = read_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            printer.finish(stopped)
        });
        let mut seq = 0;
        let mut batch = Records::default();
        let each = |id: &str, bytes: &[u8]| {
            if stop.load(Ordering::Relaxed) {
                // The output failed: the writer says why, and reading stops.
                return Err(Error::Output(std::io::Error::other("the output failed")));
            }
            batch.push(id, bytes);
            if batch.len() == PIPE_BATCH {
                bar.inc(PIPE_BATCH as u64);
                // The workers only go away if the output failed: the writer says why.
                let next = batch.like();
                let _ = work_tx.send((seq, std::mem::replace(&mut batch, next)));
                seq += 1;
            }
            Ok(())
        };
        // --open reads through the open-ticket index.
        match store.for_each_record(args.open, each) {
            // The output failed: the writer reports it.
            Ok(()) | Err(Error::Output(_)) => {}
            Err(e) => {
                *read_error
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
            }
        }
        if batch.len() > 0 && !stop.load(Ordering::Relaxed) {
            bar.inc(batch.len() as u64);
            let _ = work_tx.send((seq, batch));
        }
        drop(work_tx);
        writer
            .join()
            .unwrap_or_else(|_| Err(Error::Output(std::io::Error::other("the writer stopped"))))
    });
    bar.finish_and_clear();
    code
}

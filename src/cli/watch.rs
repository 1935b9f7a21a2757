//! `slaengine watch`: keeps the contracts loaded, reloads them as their files change,
//! and reports tickets as they pass `warn_at` and their deadlines — one line per event,
//! human or JSON lines — optionally running a command per event.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};

use super::{Cli, Format, exit, output_error, report};
use crate::error::{Error, InputError};
use crate::watch::{ChangeFeed, Watch, WatchEvent, WatchEventKind};

/// Arguments of `watch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How often to re-evaluate the open tickets (`1m`, `30s`, `500ms`).
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = real_duration)]
    pub interval: StdDuration,
    /// The instant the watcher's clock starts from (RFC 3339); defaults to now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Advance the clock by this much at every interval instead of following real time
    /// (demos and tests: `--now … --interval 1s --step 1h` plays an hour per second).
    #[arg(long, value_name = "DURATION", value_parser = real_duration)]
    pub step: Option<StdDuration>,
    /// A command run by `sh -c` for every event, with the event's JSON on its standard
    /// input and `SLAENGINE_EVENT` set to its kind; its output goes to standard error.
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// How long `--exec` may run before it is killed.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = real_duration)]
    pub exec_timeout: StdDuration,
    /// How long the files must be quiet before a change is reloaded.
    #[arg(long, value_name = "DURATION", default_value = "150ms", value_parser = real_duration)]
    pub debounce: StdDuration,
    /// Stamp the lines for people in UTC instead of this machine's time zone (JSON lines
    /// carry each contract's zone, as every evaluation does).
    #[arg(long)]
    pub utc: bool,
}

/// Parses a real-time duration (`1m`, `30s`, `1h 30m`, `500ms`), above zero and at most
/// a year (so clock arithmetic cannot overflow).
fn real_duration(text: &str) -> Result<StdDuration, String> {
    let d = humantime::parse_duration(text).map_err(|e| {
        format!("expected a duration like `1m`, `30s` or `500ms`, found `{text}` ({e})")
    })?;
    if d.is_zero() {
        return Err(format!(
            "expected a duration greater than zero, found `{text}`"
        ));
    }
    if d > StdDuration::from_secs(366 * 86_400) {
        return Err(format!(
            "expected a duration of at most a year, found `{text}`"
        ));
    }
    Ok(d)
}

/// The watcher's clock: real time from a starting instant, or a fixed step per tick.
struct Clock {
    base: DateTime<Utc>,
    started: Instant,
    step: Option<chrono::Duration>,
    ticks: i32,
}

impl Clock {
    /// Now, to the second (events and escalations carry whole seconds).
    fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        // Past the end of time the clock stops rather than overflowing.
        let offset = match self.step {
            Some(step) => step.checked_mul(self.ticks),
            None => chrono::Duration::from_std(self.started.elapsed()).ok(),
        };
        offset
            .and_then(|d| self.base.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
            .trunc_subsecs(0)
    }
}

/// What the main loop waits for.
enum Msg {
    Changed(Result<Vec<PathBuf>, String>),
    Stop,
}

/// When an event happened, for people: every line in one zone (this machine's, or UTC),
/// whatever the zone of the contract it is about.
fn stamp(time: &str, utc: bool) -> String {
    match DateTime::parse_from_rfc3339(time) {
        Ok(t) if utc => t
            .with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        Ok(t) => t
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string(),
        Err(_) => time.to_owned(),
    }
}

/// One line for people.
fn human(e: &WatchEvent, utc: bool) -> String {
    let head = format!("{}  {:<14} ", stamp(&e.time, utc), e.event.as_str());
    let ticket = || {
        format!(
            "{} ({}) {}",
            e.ticket.as_deref().unwrap_or("?"),
            e.customer.as_deref().unwrap_or("?"),
            e.metric.as_deref().unwrap_or("?"),
        )
    };
    let deadline = e
        .deadline
        .as_deref()
        .map_or(String::new(), |d| format!(", deadline {d}"));
    let body = match e.event {
        WatchEventKind::Loaded => format!(
            "{} revision {}",
            e.contract,
            e.revision.as_deref().unwrap_or("?")
        ),
        WatchEventKind::Reloaded => format!(
            "{} revision {}{}, {} open ticket{} re-evaluated",
            e.contract,
            e.revision.as_deref().unwrap_or("?"),
            e.previous_revision
                .as_deref()
                .map_or(String::new(), |p| format!(" (was {p})")),
            e.tickets.unwrap_or(0),
            if e.tickets == Some(1) { "" } else { "s" }
        ),
        WatchEventKind::ReloadFailed => {
            let serving = e.revision.as_deref().map_or("not served".to_owned(), |r| {
                format!("still serving revision {r}")
            });
            let rendered = e
                .error
                .as_ref()
                .map_or(String::new(), |x| x.rendered.clone());
            let indented: Vec<String> = rendered.lines().map(|l| format!("    {l}")).collect();
            format!("{} {serving}\n{}", e.contract, indented.join("\n"))
        }
        WatchEventKind::Unloaded => {
            let open = e.open_tickets.as_deref().unwrap_or_default();
            format!(
                "{} (file deleted){}",
                e.contract,
                if open.is_empty() {
                    String::new()
                } else {
                    format!("; open tickets without a contract: {}", open.join(", "))
                }
            )
        }
        WatchEventKind::StatusChanged => format!(
            "{}: {} → {}{deadline}",
            ticket(),
            e.from.map_or("?", |s| s.as_str()),
            e.status.map_or("?", |s| s.as_str()),
        ),
        WatchEventKind::AtRisk | WatchEventKind::Breached => format!("{}{deadline}", ticket()),
    };
    head + body.as_str()
}

/// The `--exec` worker: a queue of events and the thread that runs the command for each.
struct Exec {
    tx: Option<mpsc::Sender<(WatchEventKind, String)>>,
    /// Events sent and not yet run to the end.
    pending: Arc<AtomicUsize>,
    /// The process group of the command running now, if one is.
    running: Arc<Mutex<Option<u32>>>,
    /// Set when the grace period is over: no further command starts.
    over: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Exec {
    fn send(&self, kind: WatchEventKind, json: String) {
        if let Some(tx) = &self.tx {
            self.pending.fetch_add(1, Ordering::SeqCst);
            if tx.send((kind, json)).is_err() {
                self.pending.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Lets the queued events run (each under its timeout) for at most `grace`, so an
    /// alert raised just before a stop still goes out; a second signal (`stop`) ends the
    /// wait at once. Then the command still running is killed, with its children, and
    /// what was cut short is reported.
    fn finish(mut self, grace: StdDuration, stop: &mpsc::Receiver<Msg>) {
        self.tx = None;
        let until = Instant::now() + grace;
        while !self.thread.is_finished() && Instant::now() < until {
            if matches!(stop.try_recv(), Ok(Msg::Stop)) {
                break;
            }
            std::thread::sleep(StdDuration::from_millis(10));
        }
        self.over.store(true, Ordering::SeqCst);
        let killed = self
            .running
            .lock()
            .ok()
            .and_then(|mut r| r.take())
            .map(kill_group)
            .is_some();
        let left = self
            .pending
            .load(Ordering::SeqCst)
            .saturating_sub(usize::from(killed));
        if killed || left > 0 {
            report(&Error::Input(InputError::new(format!(
                "the watcher stopped with --exec runs unfinished: {} killed, {left} not started",
                usize::from(killed)
            ))));
        }
    }
}

/// Kills process group `group` (a command and whatever it started).
fn kill_group(group: u32) {
    if let Ok(g) = i32::try_from(group) {
        // SAFETY: `killpg` only sends a signal; a group that is already gone is an error
        // it reports, which changes nothing here.
        unsafe {
            libc::killpg(g, libc::SIGKILL);
        }
    }
}

/// Runs `--exec` for each event on its own thread, so a slow command never holds up
/// the watcher; failures and timeouts are logged on stderr.
fn exec_worker(cmd: String, timeout: StdDuration) -> Exec {
    let (tx, rx) = mpsc::channel::<(WatchEventKind, String)>();
    let pending = Arc::new(AtomicUsize::new(0));
    let running = Arc::new(Mutex::new(None));
    let over = Arc::new(AtomicBool::new(false));
    let (left, now, done) = (
        Arc::clone(&pending),
        Arc::clone(&running),
        Arc::clone(&over),
    );
    let thread = std::thread::spawn(move || {
        for (kind, json) in rx {
            if !run_exec(&cmd, timeout, kind, &json, &now, &done) {
                break;
            }
            left.fetch_sub(1, Ordering::SeqCst);
        }
    });
    Exec {
        tx: Some(tx),
        pending,
        running,
        over,
        thread,
    }
}

/// Runs `cmd` once for an event in a process group of its own (recorded in `running`
/// while it runs), killing the group after `timeout`. False, without running it, once
/// the watcher's grace period is `over`.
fn run_exec(
    cmd: &str,
    timeout: StdDuration,
    kind: WatchEventKind,
    json: &str,
    running: &Mutex<Option<u32>>,
    over: &AtomicBool,
) -> bool {
    use std::os::unix::process::CommandExt;
    let what = format!("--exec `{cmd}` for a {} event", kind.as_str());
    // Started under the lock `Exec::finish` takes after setting `over`: a command either
    // does not start, or starts where `finish` will find it.
    let child = {
        let Ok(mut slot) = running.lock() else {
            return false;
        };
        if over.load(Ordering::SeqCst) {
            return false;
        }
        let child = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .env("SLAENGINE_EVENT", kind.as_str())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::from(std::io::stderr()))
            .process_group(0)
            .spawn();
        if let Ok(c) = &child {
            *slot = Some(c.id());
        }
        child
    };
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            report(&Error::Input(InputError::new(format!(
                "{what} could not start: {e}"
            ))));
            return true;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is not an error.
        let _ = stdin.write_all(json.as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < timeout => {
                std::thread::sleep(StdDuration::from_millis(10));
            }
            Ok(None) | Err(_) => {
                kill_group(child.id());
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    if let Ok(mut r) = running.lock() {
        *r = None;
    }
    match status {
        Some(s) if s.success() => {}
        Some(s) => report(&Error::Input(InputError::new(format!(
            "{what} failed: {s}"
        )))),
        None => report(&Error::Input(InputError::new(format!(
            "{what} was killed after {}",
            humantime::format_duration(timeout)
        )))),
    }
    true
}

/// Runs `watch` until SIGINT or SIGTERM.
pub fn run(cli: &Cli, args: &Args) -> Result<u8, Error> {
    if matches!(cli.format, Format::Json | Format::Yaml) {
        return Err(InputError::new(
            "`watch` prints one event per line: expected --format human or jsonl",
        )
        .into());
    }
    // Without the default database the contracts are watched and tickets are read once
    // it is made; a database named but missing is a mistake, not an empty one.
    if cli.db_named && !cli.db.exists() {
        return Err(crate::store::missing(&cli.db).into());
    }
    if !cli.contracts.is_dir() {
        return Err(InputError::new(format!(
            "expected a directory of contracts at `{}`, found none",
            cli.contracts.display()
        ))
        .into());
    }
    let base = match args.now.as_deref() {
        Some(t) => super::parse_time("--now", t)?,
        None => Utc::now(),
    };
    let mut clock = Clock {
        base,
        started: Instant::now(),
        step: match args.step {
            Some(s) => Some(chrono::Duration::from_std(s).map_err(|_| {
                InputError::new("--step: expected a duration shorter than a few centuries")
            })?),
            None => None,
        },
        ticks: 0,
    };
    let (tx, rx) = mpsc::channel::<Msg>();
    let stop = tx.clone();
    ctrlc::set_handler(move || {
        let _ = stop.send(Msg::Stop);
    })
    .map_err(|e| Error::Output(std::io::Error::other(format!("cannot handle signals: {e}"))))?;

    let mut watch = Watch::new(&cli.contracts, &cli.db);
    let start_feed = |dirs: &[PathBuf]| {
        let feed_tx = tx.clone();
        ChangeFeed::start(dirs, args.debounce, move |r| {
            let _ = feed_tx.send(Msg::Changed(r));
        })
    };
    let mut feed = Some(start_feed(&watch.watched_dirs())?);
    let exec = args
        .exec
        .clone()
        .map(|cmd| exec_worker(cmd, args.exec_timeout));
    let mut out = anstream::stdout().lock();
    let mut emit = |events: Vec<WatchEvent>| -> Result<(), Error> {
        for e in &events {
            let json = serde_json::to_string(e).map_err(|x| output_error(x.into()))?;
            let line = match cli.format {
                Format::Jsonl => json.clone(),
                _ => human(e, args.utc),
            };
            // The command first: an alert still goes out if stdout has gone away.
            if let Some(exec) = &exec {
                exec.send(e.event, json);
            }
            writeln!(out, "{line}").map_err(output_error)?;
        }
        out.flush().map_err(output_error)
    };
    let result = (|| -> Result<(), Error> {
        emit(watch.start(clock.now())?)?;
        follow_holiday_files(&mut feed, &watch);
        let mut next_tick = Instant::now() + args.interval;
        loop {
            // Wake at least every second to notice a contracts directory that vanished.
            let wait = next_tick
                .saturating_duration_since(Instant::now())
                .min(StdDuration::from_secs(1));
            // Whether contracts were reloaded, and may read holiday files elsewhere now.
            let mut reloaded = false;
            let result = match rx.recv_timeout(wait) {
                Ok(Msg::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Ok(Msg::Changed(Ok(paths))) => {
                    reloaded = true;
                    watch.changed(&paths, clock.now())
                }
                Ok(Msg::Changed(Err(e))) => {
                    Err(InputError::new(format!("watching files: {e}")).into())
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let present = cli.contracts.is_dir();
                    if !present && feed.is_some() {
                        // Its watch died with it: serve the last good contracts meanwhile.
                        feed = None;
                        Err(InputError::new(format!(
                            "the contracts directory `{}` vanished: still serving the last good contracts, waiting for it to come back",
                            cli.contracts.display()
                        ))
                        .into())
                    } else if present && feed.is_none() {
                        match start_feed(&watch.watched_dirs()) {
                            Ok(f) => {
                                feed = Some(f);
                                reloaded = true;
                                watch.rescan(clock.now())
                            }
                            Err(e) => Err(e),
                        }
                    } else if Instant::now() >= next_tick {
                        clock.ticks = clock.ticks.saturating_add(1);
                        next_tick += args.interval;
                        watch.tick(clock.now())
                    } else {
                        Ok(Vec::new())
                    }
                }
            };
            if let Some(e) = watch.take_deferred_error() {
                report(&e);
            }
            if reloaded {
                follow_holiday_files(&mut feed, &watch);
            }
            match result {
                Ok(events) => emit(events)?,
                // The watcher keeps going: a busy database or a vanished file is reported
                // and retried at the next change or tick.
                Err(e) => report(&e),
            }
        }
        Ok(())
    })();
    if let Some(exec) = exec {
        // Events queued behind a slow command (an alert raised just before the stop)
        // still go out, within one command's timeout and a few seconds more — also when
        // the watcher ends on an error.
        exec.finish(args.exec_timeout + StdDuration::from_secs(5), &rx);
    }
    result.map(|()| exit::OK)
}

/// Watches the folders of the holiday files the contracts now read, beyond the folders
/// watched from the start; a failure is reported and the watcher goes on.
fn follow_holiday_files(feed: &mut Option<ChangeFeed>, watch: &Watch) {
    if let Some(f) = feed
        && let Err(e) = f.watch_folders(&watch.holiday_folders())
    {
        report(&e);
    }
}

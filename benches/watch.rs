//! `slaengine watch` as a whole process (`cargo bench --bench watch`):
//!
//! 1. reload latency: 100 contracts loaded, one of them rewritten 21 times; the time from
//!    the write to its `reloaded` event (debounce included), median and range;
//! 2. re-evaluation: the same with 100,000 open tickets of the edited customer, all
//!    re-evaluated before the `reloaded` event is printed; the difference between the two
//!    medians is the cost of re-evaluating them.
//!
//! Set `WATCH_BENCH_TICKETS` to change the 100,000.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod common;
use common::{BIN, import_tickets, show};

/// A project with `n` customer contracts (`c000`…), each extending the standard template
/// with its own script, like `acme`.
fn project(dir: &Path, n: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let contracts = dir.join("contracts");
    std::fs::create_dir_all(contracts.join("templates")).unwrap_or_default();
    std::fs::create_dir_all(dir.join("scripts")).unwrap_or_default();
    let template = "templates/standard.yaml";
    let _ = std::fs::copy(
        root.join("contracts").join(template),
        contracts.join(template),
    );
    for f in ["standard.rhai", "vip.rhai"] {
        let _ = std::fs::copy(root.join("scripts").join(f), dir.join("scripts").join(f));
    }
    let holidays = "calendars/ru-2026.ics";
    std::fs::create_dir_all(dir.join("calendars")).unwrap_or_default();
    let _ = std::fs::copy(root.join(holidays), dir.join(holidays));
    let acme = std::fs::read_to_string(root.join("contracts/acme.yaml")).unwrap_or_default();
    for i in 0..n {
        let _ = std::fs::write(contracts.join(format!("c{i:03}.yaml")), &acme);
    }
}

struct Watcher {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Watcher {
    fn start(dir: &Path) -> Watcher {
        let mut child = Command::new(BIN)
            .args([
                "--format",
                "jsonl",
                "watch",
                "--now",
                "2026-03-31T12:00:00+05:00",
            ])
            .args(["--interval", "1h"])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Watcher { child, lines: rx }
    }

    /// Waits for a line holding all of `needles`.
    fn wait(&self, needles: &[&str]) {
        let end = Instant::now() + Duration::from_secs(120);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if needles.iter().all(|n| l.contains(n)) => return,
                Ok(_) => {}
                Err(_) => panic!("no event with {needles:?} within 120 s"),
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Rewrites `c000.yaml` `rounds` times; returns each write→`reloaded` latency.
fn latencies(dir: &Path, rounds: usize) -> Vec<Duration> {
    let w = Watcher::start(dir);
    w.wait(&["\"loaded\"", "\"c099\""]);
    let file = dir.join("contracts/c000.yaml");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let mut out = Vec::new();
    for i in 0..rounds {
        std::thread::sleep(Duration::from_millis(300));
        let start = Instant::now();
        if let Ok(mut f) = std::fs::File::create(&file) {
            let _ = write!(f, "{text}\n# edit {i}\n");
        }
        w.wait(&["\"reloaded\"", "\"c000\""]);
        out.push(start.elapsed());
    }
    out.sort();
    out
}

fn main() {
    // `cargo test --benches` runs benches with `--bench` absent: measure only when asked.
    if !common::asked() {
        return;
    }
    let n: usize = std::env::var("WATCH_BENCH_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temporary directory");
    };
    project(dir.path(), 100);
    let quiet = show(
        "write → reloaded, 100 contracts, no tickets",
        &latencies(dir.path(), 21),
    );
    import_tickets(dir.path(), "c000", "+05:00", n);
    let busy = show(
        &format!("write → reloaded, 100 contracts, {n} open tickets re-evaluated"),
        &latencies(dir.path(), 11),
    );
    println!(
        "re-evaluating {n} open tickets: {:.0} ms (difference of the medians)",
        busy.saturating_sub(quiet).as_secs_f64() * 1e3
    );
}

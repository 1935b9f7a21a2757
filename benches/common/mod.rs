//! Helpers shared by the whole-process benchmarks.

#![allow(dead_code, reason = "each benchmark uses a part of these helpers")]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The `slaengine` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_slaengine");

/// Stores `n` open module-failure tickets of `customer` (registered in March 2026 at
/// `offset`) in the project's database.
pub fn import_tickets(dir: &Path, customer: &str, offset: &str, n: usize) {
    let mut lines = String::with_capacity(n * 200);
    for i in 0..n {
        let day = 2 + i % 27;
        let hour = 9 + i % 8;
        lines.push_str(&format!(
            "{{\"id\":\"T-{i:07}\",\"customer\":\"{customer}\",\"product\":\"erp\",\"category\":\"error.module_failure\",\"summary\":\"Export crashes\",\"registered\":\"2026-03-{day:02}T{hour:02}:10:00{offset}\"}}\n"
        ));
    }
    let file = dir.join("tickets.jsonl");
    let _ = std::fs::write(&file, lines);
    let ok = Command::new(BIN)
        .args(["ticket", "import", "tickets.jsonl"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "importing the tickets failed");
}

/// Runs `slaengine ARGS` in `dir` `runs` times; returns the sorted wall times.
pub fn time_runs(dir: &Path, args: &[&str], runs: usize) -> Vec<Duration> {
    let mut out: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(BIN)
                .args(args)
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            assert!(
                status.is_ok_and(|s| s.code().is_some_and(|c| c < 2)),
                "{args:?} failed"
            );
            start.elapsed()
        })
        .collect();
    out.sort();
    out
}

/// Prints the median and range of sorted `d`; returns the median.
pub fn show(what: &str, d: &[Duration]) -> Duration {
    let median = d[d.len() / 2];
    println!(
        "{what}: median {:.0} ms (min {:.0}, max {:.0}, {} runs)",
        median.as_secs_f64() * 1e3,
        d[0].as_secs_f64() * 1e3,
        d[d.len() - 1].as_secs_f64() * 1e3,
        d.len()
    );
    median
}

/// Whether the benchmark was asked for (`cargo bench`), not merely built by `cargo test`.
pub fn asked() -> bool {
    std::env::args().any(|a| a == "--bench")
}

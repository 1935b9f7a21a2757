//! `slaengine test` and `slaengine diff` as whole processes (`cargo bench --bench
//! authoring`), on a copy of the bundled contracts, cases and snapshots:
//!
//! - `test` over every bundled case (median of 11);
//! - `diff` of a tightened ACME contract against the bundled one over 100,000 stored ACME
//!   tickets (median of 5; `DIFF_BENCH_TICKETS` changes the number);
//! - baseline in the same run: `validate` (process start, loading and compiling every
//!   contract).

use std::path::Path;

mod common;
use common::{import_tickets, show, time_runs};

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to);
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            let _ = std::fs::copy(entry.path(), target);
        }
    }
}

fn main() {
    if !common::asked() {
        return;
    }
    let n: usize = std::env::var("DIFF_BENCH_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temporary directory");
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for d in [
        "contracts",
        "scripts",
        "calendars",
        "tests/cases",
        "snapshots",
    ] {
        copy_dir(&root.join(d), &dir.path().join(d));
        // The deployed project beside it: contracts and the scripts they list.
        copy_dir(&root.join(d), &dir.path().join("deployed").join(d));
    }
    let base = show(
        "baseline: validate",
        &time_runs(dir.path(), &["validate"], 11),
    );
    let test = show(
        "test, every bundled case",
        &time_runs(dir.path(), &["test"], 11),
    );
    println!(
        "  test ÷ validate: {:.1}",
        test.as_secs_f64() / base.as_secs_f64()
    );

    // Open module failures registered over March, evaluated in the middle of it under a
    // contract that halves the module-failure target and warns at 50%.
    import_tickets(dir.path(), "acme", "+05:00", n);
    let file = dir.path().join("contracts/acme.yaml");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let edited = text.replace(
        "categories:\n",
        "warn_at: 50%\ncategories:\n  error.module_failure: { resolve: 4 working hours }\n",
    );
    let _ = std::fs::write(&file, edited);
    let args = [
        "diff",
        "--base",
        "deployed/contracts",
        "--at",
        "2026-03-16T12:00:00+05:00",
    ];
    // Once for the record: what the diff found.
    if let Ok(out) = std::process::Command::new(common::BIN)
        .args(args)
        .current_dir(dir.path())
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text
            .lines()
            .filter(|l| l.contains("evaluated") || l.contains("newly"))
        {
            println!("  {}", line.trim());
        }
    }
    let diff = show(
        &format!("diff over {n} stored tickets"),
        &time_runs(dir.path(), &args, 5),
    );
    println!(
        "  diff ÷ validate: {:.1}",
        diff.as_secs_f64() / base.as_secs_f64()
    );
}

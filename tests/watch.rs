//! `slaengine watch` as a real process on a temporary copy of the bundled contracts and a
//! temporary database: reloads, refused edits, escalations, side-by-side writes, signals.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_slaengine")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The example project the tests run on: a frozen copy of the bundled contracts, scripts,
/// cases and snapshots, so that editing the bundled examples never breaks a test.
pub const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/project");

/// A project directory: a copy of the fixture's contracts and scripts, and a database.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let root = PathBuf::from(FIXTURE);
        copy_dir(&root.join("contracts"), &dir.path().join("contracts"));
        copy_dir(&root.join("scripts"), &dir.path().join("scripts"));
        Project { dir }
    }

    /// The same, with the contract cases and their snapshots.
    pub fn with_cases() -> Project {
        let p = Project::new();
        let root = PathBuf::from(FIXTURE);
        copy_dir(&root.join("tests/cases"), &p.path("tests/cases"));
        copy_dir(&root.join("snapshots"), &p.path("snapshots"));
        p
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `slaengine ARGS` in the project to completion.
    pub fn run(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let mut child = Command::new(bin())
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Adds a ticket (YAML) to the project's database.
    pub fn add(&self, ticket: &str) {
        let (code, _, err) = self.run(&["ticket", "add", "-"], ticket);
        assert_eq!(code, 0, "{err}");
    }

    /// Edits a file in place: replaces `from` by `to`.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "`{from}` not in {rel}");
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    /// Starts `slaengine --format jsonl watch ARGS`.
    pub fn watch(&self, args: &[&str]) -> Watcher {
        let mut child = Command::new(bin())
            .args(["--format", "jsonl", "watch"])
            .args(args)
            .current_dir(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let (etx, erx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if etx.send(line).is_err() {
                    break;
                }
            }
        });
        Watcher {
            child,
            events: rx,
            stderr: erx,
            err_seen: Vec::new(),
            seen: Vec::new(),
        }
    }
}

/// A running watcher and the events it printed.
pub struct Watcher {
    child: Child,
    events: mpsc::Receiver<Value>,
    stderr: mpsc::Receiver<String>,
    err_seen: Vec<String>,
    pub seen: Vec<Value>,
}

impl Watcher {
    /// Waits (up to 20 s) for an event matching `pred`; returns it.
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(_) => panic!(
                    "no {what} within 20 s; events: {:#?}\nstderr: {:?}",
                    self.seen,
                    self.stderr.try_iter().collect::<Vec<_>>()
                ),
            }
        }
    }

    /// The watcher's resident memory in KiB (from `/proc`), if it can be read.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// The lines the watcher printed on stderr so far (kept for [`Watcher::stop`]).
    pub fn stderr_lines(&mut self) -> Vec<String> {
        self.err_seen.extend(self.stderr.try_iter());
        self.err_seen.clone()
    }

    /// Waits for the `event` of `contract`.
    pub fn wait_event(&mut self, event: &str, contract: &str) -> Value {
        self.wait_for(&format!("{event} of {contract}"), |v| {
            v["event"] == event && v["contract"] == contract
        })
    }

    /// Collects events for `d`.
    pub fn drain_for(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while let Ok(v) = self
            .events
            .recv_timeout(end.saturating_duration_since(Instant::now()))
        {
            self.seen.push(v);
        }
    }

    /// Sends SIGTERM and waits: the watcher must end cleanly (exit 0).
    pub fn stop(mut self) -> (Vec<Value>, Vec<String>) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
        let status = self.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "SIGTERM ends the watcher cleanly");
        self.drain_for(Duration::from_millis(200));
        let stderr = self.stderr_lines();
        (std::mem::take(&mut self.seen), stderr)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An open acme module failure registered on Tuesday 10 March at 09:00 Yekaterinburg:
/// assign within 1 working hour (10:00), resolve within 1 working day (18:00).
const OPEN_TICKET: &str = "id: T-1\ncustomer: acme\nproduct: erp\ncategory: error.module_failure\nsummary: Export crashes\nregistered: 2026-03-10T09:00:00+05:00\n";

const START: &str = "2026-03-10T09:05:00+05:00";

fn loaded(w: &mut Watcher) {
    for c in ["acme", "globex", "initech"] {
        w.wait_event("loaded", c);
    }
}

#[test]
fn an_edit_reloads_a_broken_one_is_refused_and_the_old_terms_stay() {
    let p = Project::new();
    p.add(OPEN_TICKET);
    let mut w = p.watch(&["--now", START, "--interval", "1h"]);
    loaded(&mut w);
    let first = w.seen[0]["revision"].as_str().unwrap().to_owned();

    // A broken edit that would also tighten the target: refused, with file and line.
    p.edit(
        "contracts/acme.yaml",
        "error.complete_failure: { resolve: 4 working hours }",
        "error.complete_failure: { resolve: 4 working hours }\n  error.module_failure: { resolve: 4 working minutes }\nwarn_at: lots",
    );
    let failed = w.wait_event("reload_failed", "acme");
    assert_eq!(
        failed["revision"],
        first.as_str(),
        "still serving: {failed}"
    );
    let err = &failed["error"];
    assert!(
        err["file"].as_str().unwrap().ends_with("acme.yaml"),
        "{err}"
    );
    assert_eq!(err["line"], 13, "{err}");
    assert!(err["message"].as_str().unwrap().contains("lots"), "{err}");
    // The old terms stay: no status changed for the open ticket.
    assert!(!w.seen.iter().any(|v| v["event"] == "status_changed"));

    // Fixing it reloads, and the tightened target makes the ticket breached at once.
    p.edit("contracts/acme.yaml", "warn_at: lots", "warn_at: 75%");
    let reloaded = w.wait_event("reloaded", "acme");
    assert_eq!(reloaded["previous_revision"], first.as_str());
    assert_eq!(reloaded["tickets"], 1);
    let changed = w.wait_for("status_changed of T-1", |v| {
        v["event"] == "status_changed" && v["ticket"] == "T-1" && v["metric"] == "resolve"
    });
    assert_eq!(changed["from"], "running");
    assert_eq!(changed["status"], "breached");
    assert_eq!(changed["deadline"], "2026-03-10T09:04:00+05:00");
    let (_, stderr) = w.stop();
    assert!(stderr.is_empty(), "{stderr:?}");
}

#[test]
fn an_atomic_rename_save_and_a_template_edit_are_seen() {
    let p = Project::new();
    let mut w = p.watch(&["--now", START, "--interval", "1h"]);
    loaded(&mut w);

    // An editor's save: write a temp file, rename it over the original.
    let text = std::fs::read_to_string(p.path("contracts/globex.yaml")).unwrap();
    let tmp = p.path("contracts/.globex.yaml.swp");
    std::fs::write(&tmp, format!("{text}\n# saved by an editor\n")).unwrap();
    std::fs::rename(&tmp, p.path("contracts/globex.yaml")).unwrap();
    w.wait_event("reloaded", "globex");

    // A template edit reloads every contract that extends it.
    p.edit(
        "contracts/templates/standard.yaml",
        "title:",
        "# edited\ntitle:",
    );
    for c in ["acme", "globex", "initech"] {
        w.wait_event("reloaded", c);
    }
    // A script edit reloads the contracts that list it.
    let script = p.path("scripts/vip.rhai");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&script, format!("{text}\n// edited\n")).unwrap();
    w.wait_event("reloaded", "acme");

    // A deleted contract is unloaded.
    std::fs::remove_file(p.path("contracts/initech.yaml")).unwrap();
    w.wait_event("unloaded", "initech");
    w.stop();
}

#[test]
fn at_risk_and_breached_fire_once_each_also_across_a_restart() {
    let p = Project::new();
    p.add(OPEN_TICKET);
    // Fifteen minutes per tick, ten ticks a second: the whole working day in 4 s.
    let mut w = p.watch(&["--now", START, "--interval", "100ms", "--step", "15m"]);
    loaded(&mut w);
    w.wait_for("breached resolve", |v| {
        v["event"] == "breached" && v["metric"] == "resolve"
    });
    // While it runs, other processes add a ticket (assigned in time, in the same write:
    // the watcher's clock is already past its assignment deadline) and an event.
    p.add(&format!(
        "{}events:\n  - {{ at: 2026-03-10T09:20:00+05:00, kind: assigned, engineer: ivanov }}\n",
        OPEN_TICKET.replace("T-1", "T-2")
    ));
    let (code, _, err) = p.run(
        &[
            "ticket",
            "event",
            "T-2",
            "worklog",
            "--hours",
            "1",
            "--at",
            "2026-03-10T11:00:00+05:00",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    w.wait_for("breached resolve of T-2", |v| {
        v["event"] == "breached" && v["ticket"] == "T-2" && v["metric"] == "resolve"
    });
    let (events, stderr) = w.stop();
    assert!(stderr.is_empty(), "{stderr:?}");
    let count = |ticket: &str, metric: &str, kind: &str| {
        events
            .iter()
            .filter(|v| v["ticket"] == ticket && v["metric"] == metric && v["event"] == kind)
            .count()
    };
    assert_eq!(count("T-1", "resolve", "at_risk"), 1, "{events:#?}");
    assert_eq!(count("T-1", "resolve", "breached"), 1, "{events:#?}");
    assert_eq!(count("T-1", "assign", "breached"), 1, "{events:#?}");
    // T-2 was assigned in time: its assignment never escalates.
    assert_eq!(count("T-2", "assign", "breached"), 0, "{events:#?}");
    let breached = events
        .iter()
        .find(|v| v["ticket"] == "T-1" && v["metric"] == "resolve" && v["event"] == "breached")
        .unwrap();
    assert_eq!(breached["deadline"], "2026-03-10T18:00:00+05:00");
    assert_eq!(breached["customer"], "acme");

    // A restart, after all of it, reports nothing twice.
    let mut w = p.watch(&["--now", "2026-03-12T12:00:00+05:00", "--interval", "100ms"]);
    loaded(&mut w);
    w.drain_for(Duration::from_millis(500));
    let (events, _) = w.stop();
    assert!(
        !events
            .iter()
            .any(|v| v["event"] == "at_risk" || v["event"] == "breached"),
        "{events:#?}"
    );
}

#[test]
fn exec_gets_each_event_and_a_failing_command_does_not_stop_the_watcher() {
    let p = Project::new();
    p.add(OPEN_TICKET);
    let log = p.path("events.log");
    let cmd = format!(
        "cat >> '{}'; [ \"$SLAENGINE_EVENT\" != breached ] || exit 7",
        log.display()
    );
    let mut w = p.watch(&[
        "--now",
        "2026-03-10T19:00:00+05:00",
        "--interval",
        "1h",
        "--exec",
        &cmd,
    ]);
    w.wait_for("breached", |v| v["event"] == "breached");
    // The watcher still reloads after the command failed.
    p.edit(
        "contracts/acme.yaml",
        "customer: ACME Corp",
        "customer: ACME Corporation",
    );
    w.wait_event("reloaded", "acme");
    std::thread::sleep(Duration::from_millis(500));
    let (_, stderr) = w.stop();
    let logged = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = logged
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|v| v["event"] == "breached" && v["ticket"] == "T-1")
    );
    assert!(lines.iter().any(|v| v["event"] == "reloaded"));
    assert!(
        stderr
            .iter()
            .any(|l| l.contains("for a breached event failed") && l.contains("7")),
        "{stderr:?}"
    );
}

#[test]
fn a_slow_exec_is_killed_and_logged() {
    let p = Project::new();
    let mut w = p.watch(&[
        "--interval",
        "1h",
        "--exec",
        "sleep 30",
        "--exec-timeout",
        "300ms",
    ]);
    loaded(&mut w);
    p.edit(
        "contracts/acme.yaml",
        "customer: ACME Corp",
        "customer: ACME Corporation",
    );
    // The watcher is not held up by the command still running for `loaded`.
    w.wait_event("reloaded", "acme");
    std::thread::sleep(Duration::from_secs(2));
    let (_, stderr) = w.stop();
    assert!(
        stderr
            .iter()
            .any(|l| l.contains("`sleep 30` for a loaded event was killed after 300ms")),
        "{stderr:?}"
    );
}

#[test]
fn events_queued_for_exec_still_run_when_the_watcher_is_stopped() {
    let p = Project::new();
    let log = p.path("events.log");
    // Four `loaded` events (one per contract) queue behind a command that takes a while each.
    let cmd = format!("sleep 0.4; cat >> '{}'", log.display());
    let mut w = p.watch(&["--interval", "1h", "--exec", &cmd]);
    loaded(&mut w);
    let (_, stderr) = w.stop();
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(logged.lines().count(), 4, "{logged}\n{stderr:?}");
    assert!(
        logged.lines().all(|l| l.contains("\"event\":\"loaded\"")),
        "{logged}"
    );
}

/// Whether a process of group `group` is alive (not a zombie), from `/proc`.
fn group_alive(group: &str) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.filter_map(Result::ok).any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid pgrp …`: the fields after the command's closing bracket.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        fields.len() > 2 && fields[0] != "Z" && fields[2] == group
    })
}

#[test]
fn a_second_signal_ends_the_wait_and_the_running_command_is_killed_with_its_children() {
    let p = Project::new();
    let pidfile = p.path("exec.pid");
    // A command that would outlive the watcher: its shell and a child of it.
    let cmd = format!("echo $$ > '{}'; sleep 30; echo late", pidfile.display());
    let mut w = p.watch(&["--interval", "1h", "--exec", &cmd, "--exec-timeout", "60s"]);
    loaded(&mut w);
    let start = Instant::now();
    while !pidfile.exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let group = std::fs::read_to_string(&pidfile).unwrap().trim().to_owned();
    let pid = w.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    let stopped = Instant::now();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let status = w.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        stopped.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopped.elapsed()
    );
    // Killed processes may linger as zombies until reaped: only live ones count.
    let deadline = Instant::now() + Duration::from_secs(5);
    while group_alive(&group) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !group_alive(&group),
        "the command's process group outlived the watcher"
    );
    let stderr = w.stderr_lines();
    assert!(
        stderr
            .iter()
            // The running command is killed; how many events were queued behind it by
            // the second signal depends on the timing of the loads.
            .any(
                |l| l.contains("--exec runs unfinished: 1 killed, ") && l.ends_with(" not started")
            ),
        "{stderr:?}"
    );
}

#[test]
fn bad_arguments_are_refused() {
    let p = Project::new();
    let (code, _, err) = p.run(&["watch", "--interval", "soon"], "");
    assert_eq!(code, 2);
    assert!(err.contains("expected a duration like `1m`"), "{err}");
    for huge in [["--interval", "500000000000y"], ["--step", "300000y"]] {
        let (code, _, err) = p.run(&["watch", huge[0], huge[1]], "");
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("at most a year"), "{err}");
    }
    let (code, _, err) = p.run(&["--contracts", "nowhere", "watch"], "");
    assert_eq!(code, 2);
    assert!(err.contains("no contracts directory `nowhere`"), "{err}");
    assert!(err.contains("SLAENGINE_CONTRACTS"), "{err}");
}

#[test]
fn two_watchers_on_one_database_report_each_transition_once() {
    let p = Project::new();
    p.add(OPEN_TICKET);
    // Half an hour per tick, ten ticks a second: past the next morning in 7 s.
    let args = ["--now", START, "--interval", "100ms", "--step", "30m"];
    let mut a = p.watch(&args);
    let mut b = p.watch(&args);
    loaded(&mut a);
    loaded(&mut b);
    std::thread::sleep(Duration::from_secs(7));
    let (ea, _) = a.stop();
    let (eb, _) = b.stop();
    let all: Vec<&Value> = ea.iter().chain(&eb).collect();
    for (metric, kind) in [
        ("resolve", "at_risk"),
        ("resolve", "breached"),
        ("assign", "breached"),
    ] {
        let n = all
            .iter()
            .filter(|v| v["ticket"] == "T-1" && v["metric"] == metric && v["event"] == kind)
            .count();
        assert_eq!(n, 1, "{metric} {kind}: {all:#?}");
    }
}

#[test]
fn each_instance_of_a_recurring_metric_escalates_once() {
    let p = Project::new();
    // Umbrella: an urgent ticket is updated at least every working hour on a 24x7
    // calendar, from the first reply on. The first update comes 15 minutes late.
    p.add(
        "id: U-1\ncustomer: umbrella\ncategory: error.complete_failure\npriority: urgent\n\
         registered: 2026-03-07T23:00:00+03:00\nevents:\n\
         \x20 - { at: 2026-03-07T23:05:00+03:00, kind: replied }\n\
         \x20 - { at: 2026-03-08T00:20:00+03:00, kind: replied }\n",
    );
    let now = "2026-03-07T23:10:00+03:00";
    let mut w = p.watch(&["--now", now, "--interval", "100ms", "--step", "15m"]);
    loaded(&mut w);
    w.wait_for("the second update breached", |v| {
        v["event"] == "breached" && v["metric"] == "update" && v["instance"] == 2
    });
    let (events, stderr) = w.stop();
    assert!(stderr.is_empty(), "{stderr:?}");
    let update: Vec<(String, u64)> = events
        .iter()
        .filter(|v| {
            v["metric"] == "update" && (v["event"] == "at_risk" || v["event"] == "breached")
        })
        .map(|v| {
            (
                v["event"].as_str().unwrap().to_owned(),
                v["instance"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = |e: &str, n: u64| (e.to_owned(), n);
    assert_eq!(
        update,
        [
            want("at_risk", 1),
            want("breached", 1),
            want("at_risk", 2),
            want("breached", 2)
        ],
        "{events:#?}"
    );
    let second = events
        .iter()
        .find(|v| v["event"] == "breached" && v["instance"] == 2)
        .unwrap();
    assert_eq!(second["deadline"], "2026-03-08T01:20:00+03:00");
}

#[test]
fn without_the_default_database_the_watcher_waits_for_one_and_makes_none() {
    let p = Project::new();
    let db = p.path("slaengine.redb");
    let mut w = p.watch(&["--now", START, "--interval", "100ms", "--step", "30m"]);
    loaded(&mut w);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!db.exists(), "watching made a database");
    // Tickets stored later are watched from then on.
    p.add(OPEN_TICKET);
    w.wait_for("the ticket breached", |v| {
        v["event"] == "breached" && v["ticket"] == "T-1"
    });
    let (_, stderr) = w.stop();
    assert!(stderr.is_empty(), "{stderr:?}");
}

/// The first `n` lines a watcher for people prints, run with `env` and `args`.
fn human_lines(p: &Project, env: &[(&str, &str)], args: &[&str], n: usize) -> Vec<String> {
    let mut child = Command::new(bin())
        .arg("watch")
        .args(args)
        .envs(env.iter().copied())
        .current_dir(p.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    while lines.len() < n {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn lines_for_people_are_stamped_in_the_machines_zone_or_in_utc() {
    let p = Project::new();
    // acme counts in Yekaterinburg, the others in Moscow: the stamps still agree.
    let now = ["--now", "2026-03-02T10:00:00Z"];
    let local = human_lines(&p, &[("TZ", "Asia/Tokyo")], &now, 3);
    assert_eq!(local.len(), 3, "{local:?}");
    for line in &local {
        assert!(
            line.starts_with("2026-03-02 19:00:00 +09:00  loaded "),
            "{line}"
        );
    }
    let utc = human_lines(&p, &[("TZ", "Asia/Tokyo")], &["--utc", now[0], now[1]], 3);
    assert_eq!(utc.len(), 3, "{utc:?}");
    for line in &utc {
        assert!(
            line.starts_with("2026-03-02 10:00:00 UTC  loaded "),
            "{line}"
        );
    }
}

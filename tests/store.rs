//! The ticket store with real processes: two writers at once lose nothing, and an import
//! killed at random moments leaves only whole transactions.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_slaengine"));
    c.env("NO_COLOR", "1").env_remove("SLAENGINE_DB");
    c
}

/// The command with `--db db`.
fn on(db: &Path) -> Command {
    let mut c = bin();
    c.arg("--db").arg(db);
    c
}

/// What `ticket export` prints for `db` (the command having succeeded).
fn exported(db: &Path) -> Vec<u8> {
    succeeded(on(db).args(["ticket", "export"])).stdout
}

/// Runs `command`, which must succeed (its stderr says why not).
fn succeeded(command: &mut Command) -> std::process::Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn export(db: &Path) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&exported(db))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ticket_line(id: &str) -> String {
    format!(
        "{{\"id\":\"{id}\",\"customer\":\"acme\",\"category\":\"error.module_failure\",\"registered\":\"2026-03-02T10:00:00+05:00\"}}\n"
    )
}

/// Adds tickets with the ids `ids` to `db` through `ticket add -`.
fn add<S: AsRef<str>>(db: &Path, ids: impl IntoIterator<Item = S>) {
    let mut add = on(db)
        .args(["ticket", "add", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let lines: String = ids.into_iter().map(|id| ticket_line(id.as_ref())).collect();
    add.stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
}

#[test]
fn two_processes_writing_events_at_once_lose_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb");
    add(&db, ["A", "B"]);
    let per_writer = 1000;
    let writers: Vec<_> = ["A", "B"]
        .into_iter()
        .map(|id| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..per_writer {
                    succeeded(
                        on(&db)
                            .args([
                                "ticket",
                                "event",
                                id,
                                "comment",
                                "--at",
                                "2026-03-02T11:00:00+05:00",
                                "--note",
                            ])
                            .arg(format!("{id}-{i}")),
                    );
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    for t in export(&db) {
        let notes: Vec<&str> = t["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["note"].as_str().unwrap())
            .collect();
        assert_eq!(notes.len(), per_writer, "ticket {}", t["id"]);
        let id = t["id"].as_str().unwrap();
        let expected: Vec<String> = (0..per_writer).map(|i| format!("{id}-{i}")).collect();
        assert_eq!(notes, expected);
    }
}

#[test]
fn an_import_killed_at_random_moments_leaves_whole_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb");
    let rounds = 20;
    let per_round = 20_000;
    let mut seed: u64 = 0x5eed;
    for round in 0..rounds {
        let file = dir.path().join(format!("r{round}.jsonl"));
        let text: String = (0..per_round)
            .map(|i| ticket_line(&format!("R{round:02}-{i:05}")))
            .collect();
        std::fs::write(&file, text).unwrap();
        let mut child = on(&db)
            .args(["ticket", "import"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis(seed >> 33 & 0x1ff));
        let _ = child.kill();
        let _ = child.wait();
    }
    // The database opens, and each round's import is there entirely or not at all.
    let tickets = export(&db);
    let mut counts = vec![0usize; rounds];
    for t in &tickets {
        let id = t["id"].as_str().unwrap();
        let round: usize = id[1..3].parse().unwrap();
        counts[round] += 1;
    }
    eprintln!("tickets per round after the kills: {counts:?}");
    for (round, n) in counts.iter().enumerate() {
        assert!(
            *n == 0 || *n == per_round,
            "round {round}: {n} of {per_round} tickets"
        );
    }
}

/// Commands that only read open the file read-only: they write nothing to it (no header,
/// allocator state or disk syncs), and they run while another reader has it open.
#[test]
fn reading_commands_write_nothing_and_share_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb");
    let contracts = Path::new(super::watch::FIXTURE).join("contracts");
    let run = |args: &[&str]| {
        succeeded(on(&db).arg("--contracts").arg(&contracts).args(args));
    };
    add(&db, ["A", "B"]);
    let bytes = std::fs::read(&db).unwrap();
    let modified = std::fs::metadata(&db).unwrap().modified().unwrap();
    // Another reader holds the file all along: the commands do not wait for it.
    let reader = slaengine::store::Store::open_for_reading(&db).unwrap();
    let start = std::time::Instant::now();
    let at = "2026-03-03T12:00:00+05:00";
    run(&["ticket", "show", "A"]);
    run(&["ticket", "list", "--open"]);
    run(&["ticket", "export"]);
    run(&["evaluate", "A", "--at", at]);
    run(&["evaluate", "--all", "--at", at]);
    run(&["report", "--customer", "acme", "--month", "2026-03"]);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "the commands waited for the other reader: {:?}",
        start.elapsed()
    );
    drop(reader);
    assert!(
        std::fs::read(&db).unwrap() == bytes,
        "a reading command wrote to the file"
    );
    assert_eq!(
        std::fs::metadata(&db).unwrap().modified().unwrap(),
        modified
    );
    // A writer still writes.
    run(&[
        "ticket",
        "event",
        "A",
        "assigned",
        "--at",
        at,
        "--engineer",
        "ivanov",
    ]);
    assert!(std::fs::read(&db).unwrap() != bytes);
    // An empty file (as `touch` leaves it) is set up, as a writable open does.
    std::fs::write(&db, b"").unwrap();
    run(&["ticket", "list"]);
    assert!(std::fs::metadata(&db).unwrap().len() > 0);
}

/// Readers share the file, but a writer goes first: with three processes reading it over
/// and over, overlapping, every write still gets in (it waits for the readers already in,
/// and new ones wait for it), instead of waiting until it gives up after 5 s.
#[test]
fn overlapping_readers_do_not_keep_a_writer_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb");
    add(&db, (0..10_000).map(|i| format!("T-{i}")));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (db, stop) = (db.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut runs = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    exported(&db);
                    runs += 1;
                }
                runs
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    for i in 0..6 {
        let start = std::time::Instant::now();
        let out = on(&db)
            .args([
                "ticket",
                "event",
                "T-1",
                "comment",
                "--note",
                &format!("n{i}"),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "write {i} after {:?}: {}",
            start.elapsed(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let t = export(&db).into_iter().find(|t| t["id"] == "T-1").unwrap();
    assert_eq!(t["events"].as_array().unwrap().len(), 6);
}

/// The first evaluation printed starts like a first one (no `---` or blank line before
/// it), even when `--customer` leaves nothing of the first tickets read.
#[test]
fn evaluate_all_of_a_later_customer_starts_like_a_first_evaluation() {
    let p = super::watch::Project::new();
    let mut lines = String::new();
    for (prefix, customer, n) in [("G", "globex", 600), ("T", "acme", 3)] {
        for i in 0..n {
            lines.push_str(&format!(
                "{{\"id\":\"{prefix}-{i:04}\",\"customer\":\"{customer}\",\"category\":\"error.module_failure\",\"summary\":\"s {i}\",\"registered\":\"2026-03-10T10:00:00+05:00\"}}\n"
            ));
        }
    }
    let (code, _, err) = p.run(&["ticket", "import", "-"], &lines);
    assert_eq!(code, 0, "{err}");
    let at = "2026-03-10T12:00:00+05:00";
    let args = |f| {
        [
            "--format",
            f,
            "evaluate",
            "--all",
            "--customer",
            "acme",
            "--at",
            at,
        ]
    };
    let (code, yaml, err) = p.run(&args("yaml"), "");
    assert_eq!(code, 0, "{err}");
    assert!(yaml.starts_with("schema:"), "{yaml}");
    assert_eq!(yaml.matches("\n---\n").count(), 2, "{yaml}");
    let (code, human, err) = p.run(&args("human"), "");
    assert_eq!(code, 0, "{err}");
    assert!(human.starts_with("T-0000"), "{human}");
    assert_eq!(human.matches("\n\nT-000").count(), 2, "{human}");
}

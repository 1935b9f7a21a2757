//! Faults: a full disk during an import, a truncated or damaged database file, the
//! contracts directory vanishing under `watch`. Each gives a clear error naming the file
//! (exit 3 for storage), never a panic, and no committed ticket is lost.

use super::watch::Project;

/// A project with 300 stored tickets; returns it with their export.
fn stored() -> (Project, String) {
    let p = Project::new();
    let mut lines = String::new();
    for i in 0..300 {
        lines.push_str(&format!(
            "{{\"id\":\"T-{i:04}\",\"customer\":\"acme\",\"category\":\"error.module_failure\",\"summary\":\"Export crashes on report {i}\",\"registered\":\"2026-03-10T10:00:00+05:00\"}}\n"
        ));
    }
    let (code, _, err) = p.run(&["ticket", "import", "-"], &lines);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = p.run(&["ticket", "export"], "");
    assert_eq!(code, 0, "{err}");
    (p, out)
}

/// `evaluate --all` of the stored tickets, as JSON lines.
const EVALUATE_ALL: &[&str] = &[
    "evaluate",
    "--all",
    "--format",
    "jsonl",
    "--at",
    "2026-03-10T12:00:00+05:00",
];

fn export(p: &Project) -> String {
    let (code, out, err) = p.run(&["ticket", "export"], "");
    assert_eq!(code, 0, "{err}");
    out
}

/// Runs `slaengine ARGS` under `sh` with a file-size limit of `bytes` (SIGXFSZ ignored,
/// so a write past it fails like a full disk).
fn with_file_limit(p: &Project, bytes: u64, args: &str) -> (i32, String) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {}; exec \"$0\" {args}",
            bytes.div_ceil(512)
        ))
        .arg(env!("CARGO_BIN_EXE_slaengine"))
        .current_dir(p.path(""))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_full_disk_during_an_import_undoes_it_and_loses_nothing() {
    let (p, before) = stored();
    let mut big = String::new();
    for i in 0..20_000 {
        big.push_str(&format!(
            "{{\"id\":\"X-{i:05}\",\"customer\":\"acme\",\"summary\":\"{}\",\"registered\":\"2026-03-10T10:00:00+05:00\"}}\n",
            "x".repeat(200)
        ));
    }
    std::fs::write(p.path("big.jsonl"), big).unwrap();
    let size = std::fs::metadata(p.path("slaengine.redb")).unwrap().len();
    let (code, err) = with_file_limit(&p, size + 64 * 1024, "ticket import big.jsonl");
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("slaengine.redb"), "{err}");
    assert!(
        err.contains("the disk is full or the file reached its size limit"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        export(&p),
        before,
        "every committed ticket is still there, nothing half-written"
    );
    // And the database takes writes again once there is room.
    let (code, _, err) = p.run(
        &[
            "ticket",
            "event",
            "T-0001",
            "assigned",
            "--at",
            "2026-03-10T10:30:00+05:00",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_truncated_database_is_refused_naming_the_file() {
    let (p, _) = stored();
    let path = p.path("slaengine.redb");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    for args in [
        &["ticket", "list"][..],
        &["evaluate", "--all", "--at", "2026-03-10T12:00:00+05:00"][..],
        &["ticket", "event", "T-0001", "comment"][..],
    ] {
        let (code, _, err) = p.run(args, "");
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains("slaengine.redb"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn flipped_bytes_give_errors_naming_the_file_never_a_panic() {
    let (p, _) = stored();
    let path = p.path("slaengine.redb");
    let good = std::fs::read(&path).unwrap();
    // A small deterministic generator: the same damage on every run.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut errors = 0;
    for _ in 0..25 {
        let mut bad = good.clone();
        for _ in 0..16 {
            let i = (next() % bad.len() as u64) as usize;
            bad[i] ^= 0xff;
        }
        std::fs::write(&path, &bad).unwrap();
        for args in [&["ticket", "list"][..], EVALUATE_ALL] {
            let (code, _, err) = p.run(args, "");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            assert!(matches!(code, 0 | 3), "{args:?}: exit {code}: {err}");
            if code == 3 {
                errors += 1;
                assert!(err.contains("slaengine.redb"), "{args:?}: {err}");
            }
        }
    }
    assert!(errors > 0, "some damage must be detected");
}

#[test]
fn the_contracts_directory_vanishing_under_watch_is_reported_and_survived() {
    let p = Project::new();
    let mut w = p.watch(&["--interval", "1h"]);
    for c in ["acme", "globex", "initech"] {
        w.wait_event("loaded", c);
    }
    let saved = p.path("saved");
    std::fs::rename(p.path("contracts"), &saved).unwrap();
    std::fs::create_dir(p.path("elsewhere")).unwrap();
    // Gone: the watcher says so and keeps serving the last good contracts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !w.stderr_lines().iter().any(|l| l.contains("vanished")) {
        assert!(
            std::time::Instant::now() < deadline,
            "no error about the vanished directory"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Back: a later edit is reloaded again.
    std::fs::rename(&saved, p.path("contracts")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    p.edit(
        "contracts/acme.yaml",
        "customer: ACME Corp",
        "customer: ACME Corporation",
    );
    w.wait_event("reloaded", "acme");
    let (_, stderr) = w.stop();
    assert!(stderr.iter().all(|l| !l.contains("panicked")), "{stderr:?}");
}

/// Runs `slaengine ARGS` in the project as a user who may not write the database file:
/// as `nobody` when the tests run as root (root ignores file modes).
fn run_unprivileged(p: &Project, args: &[&str]) -> (i32, String, String) {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    // Under `timeout`, so that a command that should end but does not fails the test.
    let mut cmd = std::process::Command::new("timeout");
    cmd.arg("60")
        .arg(env!("CARGO_BIN_EXE_slaengine"))
        .args(args)
        .current_dir(p.path(""))
        .stdin(std::process::Stdio::null());
    if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_read_only_database_file_serves_reads_and_refuses_writes() {
    use std::os::unix::fs::PermissionsExt;
    let (p, before) = stored();
    let db = p.path("slaengine.redb");
    let mode = |path: &std::path::Path, m: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(&p.path(""), 0o755);
    mode(&db, 0o444);

    // Reads work.
    let (code, out, err) = run_unprivileged(&p, &["ticket", "export"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, before);
    let (code, out, err) = run_unprivileged(
        &p,
        &[
            "--format",
            "json",
            "evaluate",
            "T-0007",
            "--at",
            "2026-03-11T10:00:00+05:00",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"ticket\": \"T-0007\""), "{out}");

    // Writes fail with exit 3, naming the file and saying why.
    std::fs::write(
        p.path("new.jsonl"),
        "{\"id\":\"T-9999\",\"customer\":\"acme\",\"registered\":\"2026-03-10T10:00:00+05:00\"}\n",
    )
    .unwrap();
    for args in [
        &["ticket", "event", "T-0007", "comment", "--note", "x"][..],
        &["ticket", "import", "new.jsonl"][..],
    ] {
        let (code, _, err) = run_unprivileged(&p, args);
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains("slaengine.redb"), "{err}");
        assert!(err.contains("read-only"), "{err}");
        assert!(err.contains("nothing was written"), "{err}");
    }
    // The watcher records what it reports: it refuses the file at start.
    let (code, _, err) = run_unprivileged(&p, &["watch"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("read-only"), "{err}");
    mode(&db, 0o644);
    assert_eq!(export(&p), before);
}

#[test]
fn evaluate_all_names_an_unreadable_record_and_evaluates_the_others() {
    let (p, _) = stored();
    damage_record(&p, "T-0042");
    let (code, out, err) = p.run(EVALUATE_ALL, "");
    assert_eq!(code, 3, "a damaged record is a storage error: {err}");
    assert!(
        err.contains("ticket T-0042: slaengine.redb: the stored record cannot be read"),
        "{err}"
    );
    assert!(
        err.contains("1 of 300 tickets could not be evaluated"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.lines().count(),
        299,
        "every readable ticket is evaluated"
    );
    assert!(!out.contains("\"T-0042\""));
}

/// Overwrites the stored record of ticket `id` with bytes that are no record.
fn damage_record(p: &Project, id: &str) {
    let db = redb::Database::open(p.path("slaengine.redb")).unwrap();
    let tx = db.begin_write().unwrap();
    {
        let def: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("tickets_v2");
        let mut table = tx.open_table(def).unwrap();
        table.insert(id, &[0xff_u8, 0xff, 0xff][..]).unwrap();
    }
    tx.commit().unwrap();
}

/// Unreadable records are named together, like tickets failing for one reason.
#[test]
fn unreadable_records_are_reported_once_and_named_together() {
    let (p, _) = stored();
    for id in ["T-0010", "T-0020", "T-0030"] {
        damage_record(&p, id);
    }
    let (code, out, err) = p.run(EVALUATE_ALL, "");
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        err.matches("the stored record cannot be read").count(),
        2,
        "{err}"
    );
    assert!(
        err.contains("2 more tickets failed the same way (T-0020, T-0030)"),
        "{err}"
    );
    assert!(
        err.contains("3 of 300 tickets could not be evaluated"),
        "{err}"
    );
    assert_eq!(out.lines().count(), 297);
}

/// A damaged record is a storage error (exit 3), also when the reader of the output goes
/// away early (`| head`): a closed pipe must not turn it into success.
#[test]
fn a_damaged_record_exits_3_even_on_a_closed_pipe() {
    use std::io::Read;
    let (p, _) = stored();
    damage_record(&p, "T-0001");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_slaengine"))
        .args(EVALUATE_ALL)
        .current_dir(p.path(""))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // `| head -c 16`
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let code = child.wait().unwrap().code();
    assert!(
        err.contains("ticket T-0001: slaengine.redb: the stored record cannot be read"),
        "{err}"
    );
    assert_eq!(code, Some(3), "{err}");
}

/// A worklog index entry that cannot be read fails the allowance's tickets as a storage
/// error (exit 3), for one stored ticket as for all of them; in a bulk run, once in full
/// and then the tickets named together, the index read once per worker.
#[test]
fn an_unreadable_worklog_entry_is_a_storage_error_for_one_ticket_and_all() {
    use redb::ReadableTable;
    let p = Project::new();
    let mut tickets = String::new();
    for i in 1..=40 {
        tickets.push_str(&format!(
            r#"{{"id":"S-{i:02}","customer":"acme","category":"support.small_change","summary":"Add a field","registered":"2026-03-10T10:00:00+05:00","events":[{{"at":"2026-03-10T11:00:00+05:00","kind":"worklog","hours":0.5,"engineer":"ivanov"}}]}}"#
        ));
        tickets.push('\n');
    }
    let (code, _, err) = p.run(&["ticket", "import", "-"], &tickets);
    assert_eq!(code, 0, "{err}");
    {
        let db = redb::Database::open(p.path("slaengine.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("worklogs_v2");
            let mut table = tx.open_table(def).unwrap();
            let key = table
                .iter()
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .0
                .value()
                .to_owned();
            table
                .insert(key.as_str(), &[0xff_u8, 0xff, 0xff][..])
                .unwrap();
        }
        tx.commit().unwrap();
    }
    let at = "2026-03-20T12:00:00+05:00";
    for args in [
        &["evaluate", "S-01", "--at", at][..],
        &["evaluate", "--all", "--at", at],
    ] {
        let (code, _, err) = p.run(args, "");
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains("slaengine.redb"), "{args:?}: {err}");
        let said = err.matches("cannot be read").count();
        assert!(
            (1..=2).contains(&said),
            "{args:?}: said {said} times: {err}"
        );
    }
}

/// Runs `slaengine ARGS` with its output and messages into one file, as `2>&1` would.
fn run_merged(p: &Project, args: &[&str]) -> (i32, String) {
    let log = p.path("merged.log");
    let f = std::fs::File::create(&log).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_slaengine"))
        .args(args)
        .current_dir(p.path(""))
        .stdin(std::process::Stdio::null())
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .status()
        .unwrap();
    (
        status.code().unwrap_or(-1),
        std::fs::read_to_string(&log).unwrap(),
    )
}

/// A store error that ends `evaluate --all` is reported after the evaluations read
/// before it.
#[test]
fn a_read_error_comes_after_what_was_read_before_it() {
    let (p, _) = stored();
    {
        let db = redb::Database::open(p.path("slaengine.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&str, ()> = redb::TableDefinition::new("open_v1");
            tx.open_table(def).unwrap().insert("T-0150x", ()).unwrap();
        }
        tx.commit().unwrap();
    }
    let mut args = EVALUATE_ALL.to_vec();
    args.push("--open");
    let (code, log) = run_merged(&p, &args);
    assert_eq!(code, 3, "{log}");
    let error = log
        .find("the open-ticket index names `T-0150x`")
        .expect(&log);
    let last_read = log.find("\"ticket\":\"T-0150\"").expect(&log);
    assert!(last_read < error, "{log}");
}

/// A line that is not UTF-8 is reported in its place: after the failures of the lines
/// before it.
#[test]
fn a_line_that_is_not_utf8_is_reported_in_its_place() {
    let p = Project::new();
    let mut file = br#"{"id":"A-1","customer":"nobody","summary":"s","registered":"2026-03-10T10:00:00+05:00"}"#.to_vec();
    file.extend_from_slice(b"\n{\"id\":\"\xff\"}\n");
    std::fs::write(p.path("t.jsonl"), file).unwrap();
    let (code, _, err) = p.run(&["evaluate", "--ticket", "t.jsonl"], "");
    assert_eq!(code, 2, "{err}");
    let first = err.find("ticket A-1:").expect(&err);
    let second = err.find("UTF-8").expect(&err);
    assert!(first < second, "{err}");
}

/// The lines after one that is not UTF-8 keep their numbers in messages.
#[test]
fn lines_after_one_that_is_not_utf8_keep_their_numbers() {
    let p = Project::new();
    let mut file =
        br#"{"id":"A-1","customer":"acme","registered":"2026-03-10T10:00:00+05:00"}"#.to_vec();
    file.extend_from_slice(b"\n{\"id\":\"\xff\"}\n{\"id\": nope}\n");
    std::fs::write(p.path("t.jsonl"), file).unwrap();
    let (code, out, err) = p.run(&["ticket", "import", "--skip-bad", "t.jsonl"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("skipped 2 bad records"), "{out}");
    assert!(err.contains("t.jsonl:2:"), "{err}");
    assert!(err.contains("t.jsonl:3:"), "line 3 is named line 3: {err}");
}

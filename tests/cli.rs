//! The real binary, run in a temporary directory through a small builder.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use std::io::Write;

/// The fixture project's root (where the contracts the tests run on live).
fn root() -> PathBuf {
    PathBuf::from(super::watch::FIXTURE)
}

/// A command line under construction, run in a temporary directory.
pub struct Run {
    args: Vec<String>,
    stdin: Option<String>,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

/// What a finished run printed and returned.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// `slaengine` with the fixture project's contracts.
    pub fn new(args: &[&str]) -> Run {
        let mut all = vec![
            "--contracts".to_owned(),
            root().join("contracts").display().to_string(),
        ];
        all.extend(args.iter().map(|s| s.to_string()));
        Run {
            args: all,
            stdin: None,
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    /// `slaengine` with no `--contracts` (it defaults to `./contracts` in the temp dir).
    pub fn bare(args: &[&str]) -> Run {
        let mut r = Run::new(args);
        r.args.drain(..2);
        r
    }

    /// Writes a file into the temporary directory.
    pub fn file(self, name: &str, text: &str) -> Run {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Feeds standard input.
    pub fn stdin(mut self, text: &str) -> Run {
        self.stdin = Some(text.to_owned());
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, k: &str, v: &str) -> Run {
        self.env.push((k.into(), v.into()));
        self
    }

    /// Runs the binary and collects its output.
    pub fn run(self) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_slaengine"));
        cmd.args(&self.args)
            .current_dir(self.dir.path())
            .env_remove("SLAENGINE_CONTRACTS")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let input = self.stdin.clone().unwrap_or_default();
        let mut pipe = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

const TICKET: &str = "id: T-1042
customer: acme
product: erp
category: error.module_failure
summary: Reports module crashes on export
registered: 2026-03-06T16:40:00+05:00
events:
  - { at: 2026-03-06T17:05:00+05:00, kind: assigned, engineer: ivanov }
";

#[test]
fn validate_accepts_the_bundled_contracts() {
    let out = Run::new(&["validate"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("ok "), "{}", out.stdout);
    let out = Run::new(&["--format", "json", "validate"]).run();
    let v = json(&out.stdout);
    assert_eq!(v["schema"], "slaengine.validate/v1");
    assert_eq!(v["invalid"], 0);
    assert!(v["valid"].as_u64().unwrap() >= 3);
}

#[test]
fn contracts_come_from_the_environment_too() {
    let dir = root().join("contracts").display().to_string();
    let out = Run::bare(&["validate", "acme"])
        .env("SLAENGINE_CONTRACTS", &dir)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("ok "), "{}", out.stdout);
}

#[test]
fn validate_reports_a_broken_contract_with_its_location() {
    let out = Run::bare(&["validate"])
        .file(
            "contracts/broken.yaml",
            "calendar:\n  timezone: Europe/Moskow\n  week: { mon-fri: [\"09:00-18:00\"] }\n",
        )
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("--> contracts/broken.yaml:2:13"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Europe/Moskow"), "{}", out.stderr);
}

#[test]
fn evaluate_a_ticket_as_json() {
    let out = Run::new(&[
        "--format",
        "json",
        "evaluate",
        "--ticket",
        "t.yaml",
        "--at",
        "2026-03-06T17:30:00+03:00",
    ])
    .file("t.yaml", TICKET)
    .run();
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(&out.stdout);
    assert_eq!(v["schema"], "slaengine.evaluation/v1");
    assert_eq!(v["ticket"], "T-1042");
    assert_eq!(v["contract"]["id"], "acme");
    assert_eq!(v["category"]["decided_by"], "ticket");
    let assign = &v["metrics"][0];
    assert_eq!(assign["name"], "assign");
    assert_eq!(assign["status"], "met");
    assert_eq!(assign["elapsed_seconds"], 25 * 60);
    let resolve = &v["metrics"][1];
    assert_eq!(resolve["name"], "resolve");
    assert!(resolve["deadline"].is_string());
}

#[test]
fn evaluate_reads_standard_input_and_streams_json_lines() {
    let one = r#"{"id":"T-1","customer":"acme","category":"error.module_failure","registered":"2026-03-06T16:40:00+03:00"}"#;
    let input = format!("{one}\n{}\n", one.replace("T-1", "T-2"));
    let out = Run::new(&[
        "--format",
        "jsonl",
        "evaluate",
        "--ticket",
        "-",
        "--at",
        "2026-03-06T18:00:00+03:00",
    ])
    .stdin(&input)
    .run();
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<_> = out.stdout.lines().map(json).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ticket"], "T-1");
    assert_eq!(lines[1]["ticket"], "T-2");
}

#[test]
fn a_bad_ticket_is_reported_and_the_others_go_on() {
    let good = r#"{"id":"T-1","customer":"acme","category":"error.module_failure","registered":"2026-03-06T16:40:00+03:00"}"#;
    let bad = r#"{"id":"T-2","customer":"acme","registered":"2026-03-06 16:40"}"#;
    let input = format!("{good}\n{bad}\n{}\n", good.replace("T-1", "T-3"));
    let out = Run::new(&[
        "--format",
        "jsonl",
        "evaluate",
        "--ticket",
        "t.jsonl",
        "--at",
        "2026-03-06T18:00:00+03:00",
    ])
    .file("t.jsonl", &input)
    .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stdout.lines().count(), 2);
    assert!(out.stderr.contains("--> t.jsonl:2:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("1 of 3 tickets could not be evaluated"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_ticket_for_an_unknown_customer_is_an_error() {
    let out = Run::new(&[
        "evaluate",
        "--ticket",
        "t.yaml",
        "--at",
        "2026-03-06T17:30:00+03:00",
    ])
    .file(
        "t.yaml",
        &TICKET.replace("customer: acme", "customer: nobody"),
    )
    .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("no usable contract for customer `nobody`"),
        "{}",
        out.stderr
    );
}

#[test]
fn human_output_is_a_table() {
    let out = Run::new(&[
        "evaluate",
        "--ticket",
        "t.yaml",
        "--at",
        "2026-03-06T17:30:00+03:00",
        "--explain",
    ])
    .file("t.yaml", TICKET)
    .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("metric"), "{}", out.stdout);
    assert!(out.stdout.contains("assign"), "{}", out.stdout);
    assert!(out.stdout.contains("explain"), "{}", out.stdout);
    assert!(
        !out.stdout.contains('\u{1b}'),
        "NO_COLOR must disable colour:\n{}",
        out.stdout
    );
}

#[test]
fn bad_times_and_durations_are_usage_errors() {
    let out = Run::new(&["evaluate", "--ticket", "t.yaml", "--at", "yesterday"])
        .file("t.yaml", TICKET)
        .run();
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr.trim(),
        "error: --at: expected a time like `2026-03-06T16:40:00+03:00` (RFC 3339, with an offset), found `yesterday`"
    );
    let out = Run::new(&[
        "calendar",
        "due",
        "--contract",
        "acme",
        "--from",
        "2026-03-06T16:40:00+03:00",
        "--in",
        "four hours",
    ])
    .run();
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr.trim(),
        "error: --in: expected a duration like `4h`, `2 working days` or `30m`, found `four hours` (it does not start with a number)"
    );
    let out = Run::new(&["evaluate", "--ticket", "missing.yaml"]).run();
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.yaml"), "{}", out.stderr);
}

#[test]
fn calendar_due_and_elapsed() {
    // acme works 09:00-18:00 in Asia/Yekaterinburg (+05:00).
    let out = Run::new(&[
        "--format",
        "json",
        "calendar",
        "due",
        "--contract",
        "acme",
        "--from",
        "2026-03-06T17:30:00+05:00",
        "--in",
        "1 working hour",
    ])
    .run();
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(&out.stdout);
    assert_eq!(v["schema"], "slaengine.due/v1");
    assert_eq!(v["due"], "2026-03-10T09:30:00+05:00");
    let out = Run::new(&[
        "--format",
        "json",
        "calendar",
        "elapsed",
        "--contract",
        "acme",
        "--from",
        "2026-03-06T17:30:00+05:00",
        "--to",
        "2026-03-10T09:30:00+05:00",
    ])
    .run();
    let v = json(&out.stdout);
    assert_eq!(v["schema"], "slaengine.elapsed/v1");
    assert_eq!(v["seconds"], 3600);
    let out = Run::new(&[
        "calendar",
        "due",
        "--contract",
        "nobody",
        "--from",
        "2026-03-06T17:30:00+05:00",
        "--in",
        "1h",
    ])
    .run();
    assert_eq!(out.code, 2, "{out:?}");
}

/// `evaluate --ticket t.jsonl` as JSON lines at 2026-03-02 10:30 (+03:00), with the
/// contract `x` and the ticket lines `lines`.
fn evaluate_lines(contract: &str, lines: &str) -> Run {
    Run::bare(&[
        "--format",
        "jsonl",
        "evaluate",
        "--ticket",
        "t.jsonl",
        "--at",
        "2026-03-02T10:30:00+03:00",
    ])
    .file("contracts/x.yaml", contract)
    .file("t.jsonl", lines)
}

#[test]
fn a_bulk_run_with_one_bad_script_ticket_finishes_the_others() {
    let contract = "calendar: { timezone: Europe/Moscow, week: { mon-fri: [\"09:00-18:00\"] } }\nmetrics: { assign: { starts: registered, stops: assigned } }\ndefaults: { assign: 1h }\ncategories: { error: {} }\nscripts: [scripts/poison.rhai]\n";
    let script = "fn targets(ticket, targets) {\n    if \"poison\" in ticket.fields {\n        loop { }\n    }\n    targets\n}\n";
    let mut lines = String::new();
    for i in 0..1000 {
        let poison = if i == 500 {
            r#","fields":{"poison":true}"#
        } else {
            ""
        };
        lines.push_str(&format!(
            "{{\"id\":\"T-{i}\",\"customer\":\"x\",\"category\":\"error\",\"registered\":\"2026-03-02T10:00:00+03:00\"{poison}}}\n"
        ));
    }
    let out = evaluate_lines(contract, &lines)
        .file("scripts/poison.rhai", script)
        .run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1000);
    let ok = out
        .stdout
        .lines()
        .filter(|l| !l.contains("script_failed"))
        .count();
    assert_eq!(ok, 999);
    assert!(
        out.stderr.contains("error: ticket T-500: the hook `targets` of `scripts/poison.rhai` failed: ran more than 100000 operations (an endless loop?)\n --> scripts/poison.rhai:1:4\n  |\n1 | fn targets(ticket, targets) {\n  |    ^^^^^^^"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("1 of 1000 tickets could not be evaluated"),
        "{}",
        out.stderr
    );
}

#[test]
fn tickets_that_fail_the_same_way_are_reported_once_then_named() {
    let contract = "calendar: { timezone: Europe/Moscow, week: { mon-fri: [\"09:00-18:00\"] } }\nmetrics: { assign: { starts: registered, stops: assigned } }\ncategories: { error: {} }\n";
    let mut lines = String::new();
    for i in 0..40 {
        // Every fourth ticket belongs to a customer without a contract.
        let customer = if i % 4 == 0 { "nobody" } else { "x" };
        lines.push_str(&format!(
            "{{\"id\":\"T-{i:02}\",\"customer\":\"{customer}\",\"category\":\"error\",\"registered\":\"2026-03-02T10:00:00+03:00\"}}\n"
        ));
    }
    let out = evaluate_lines(contract, &lines).run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 30);
    let reason =
        "no usable contract for customer `nobody` (expected a valid file `contracts/nobody.yaml`)";
    assert_eq!(
        out.stderr.matches(reason).count(),
        2,
        "once for T-00, once in the summary: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("error: ticket T-00: {reason}")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "error: 9 more tickets failed the same way (T-04, T-08, T-12, T-16, T-20, …): {reason}"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("10 of 40 tickets could not be evaluated"),
        "{}",
        out.stderr
    );
}

#[test]
fn validate_reports_a_script_that_does_not_compile() {
    let contract = "calendar: { timezone: Europe/Moscow, week: { mon-fri: [\"09:00-18:00\"] } }\nmetrics: { assign: { starts: registered, stops: assigned } }\ncategories: { error: {} }\nscripts: [scripts/bad.rhai]\n";
    let out = Run::bare(&["validate"])
        .file("contracts/x.yaml", contract)
        .file(
            "scripts/bad.rhai",
            "fn targets(ticket, targets) {\n    eval(\"targets\")\n}\n",
        )
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("--> scripts/bad.rhai:2:5"),
        "{}",
        out.stderr
    );
}

#[test]
fn tickets_are_stored_and_evaluated_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb").display().to_string();
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        Run::new(&all).file("t.yaml", TICKET).run()
    };
    // `file` writes into each run's own temp dir, so pass the ticket on stdin instead.
    let out = Run::new(&["--db", &db, "ticket", "add", "-"])
        .stdin(TICKET)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.trim(), format!("added 1 ticket to {db}"));
    let out = Run::new(&["--db", &db, "ticket", "add", "-"])
        .stdin(TICKET)
        .run();
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("the ticket `T-1042` is already in"),
        "{}",
        out.stderr
    );
    let out = run(&[
        "ticket",
        "event",
        "T-1042",
        "resolved",
        "--at",
        "2026-03-10T11:30:00+05:00",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = run(&["ticket", "event", "T-1042", "resolvd"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr.trim(),
        "error: unknown event kind `resolvd`: expected one of `assigned`, `paused`, `resumed`, `worklog`, `approved`, `resolved`, `reopened`, `comment`, `replied`, `customer_replied`, `changed` (did you mean `resolved`?); the contract `acme` declares no kinds of its own under `events`"
    );
    let out = run(&["ticket", "event", "T-9", "comment"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no ticket `T-9`"), "{}", out.stderr);
    let out = run(&["ticket", "list", "--open"]);
    assert_eq!(out.stdout, "");
    let out = run(&["ticket", "list", "--customer", "acme"]);
    assert!(
        out.stdout
            .starts_with("T-1042  acme  error.module_failure  resolved"),
        "{}",
        out.stdout
    );
    let out = run(&[
        "--format",
        "json",
        "evaluate",
        "T-1042",
        "--at",
        "2026-03-11T12:00:00+05:00",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(&out.stdout);
    assert_eq!(v["metrics"][1]["status"], "met");
    assert_eq!(v["metrics"][1]["stopped"], "2026-03-10T11:30:00+05:00");
    let out = run(&["evaluate", "T-404"]);
    assert_eq!(out.code, 2);
    let out = run(&["--format", "json", "ticket", "show", "T-1042"]);
    assert_eq!(json(&out.stdout)["events"].as_array().unwrap().len(), 2);
}

#[test]
fn import_is_all_or_nothing_and_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb").display().to_string();
    let line = |i: usize| {
        format!(
            "{{\"id\":\"T-{i}\",\"customer\":\"acme\",\"category\":\"error.module_failure\",\"registered\":\"2026-03-02T10:00:00+05:00\"}}"
        )
    };
    let good: String = (0..5).map(|i| line(i) + "\n").collect();
    let bad = format!(
        "{}\n{}\n{{\"id\":\"T-x\",\"customer\":\"acme\"}}\n{}\n",
        line(10),
        line(11),
        line(12)
    );
    let out = Run::new(&["--db", &db, "ticket", "import", "bad.jsonl"])
        .file("bad.jsonl", &bad)
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--> bad.jsonl:3:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("missing field `registered`"),
        "{}",
        out.stderr
    );
    let out = Run::new(&["--db", &db, "ticket", "export"]).run();
    assert_eq!(out.stdout, "", "nothing was written");
    let out = Run::new(&["--db", &db, "ticket", "import", "bad.jsonl", "--skip-bad"])
        .file("bad.jsonl", &bad)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("imported 3 tickets") && out.stdout.contains("skipped 1 bad records"),
        "{}",
        out.stdout
    );
    let out = Run::new(&["--db", &db, "ticket", "import", "good.jsonl"])
        .file("good.jsonl", &good)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let exported = Run::new(&["--db", &db, "ticket", "export"]).run().stdout;
    assert_eq!(exported.lines().count(), 8);
    // The export imports again into an empty database, identically.
    let db2 = dir.path().join("t2.redb").display().to_string();
    let out = Run::new(&["--db", &db2, "ticket", "import", "-"])
        .stdin(&exported)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        Run::new(&["--db", &db2, "ticket", "export"]).run().stdout,
        exported
    );
    // --all evaluates every stored ticket in id order; --customer filters.
    let out = Run::new(&[
        "--db",
        &db,
        "--format",
        "jsonl",
        "evaluate",
        "--all",
        "--at",
        "2026-03-02T12:00:00+05:00",
    ])
    .run();
    let ids: Vec<String> = out
        .stdout
        .lines()
        .map(|l| json(l)["ticket"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids,
        ["T-0", "T-1", "T-10", "T-11", "T-12", "T-2", "T-3", "T-4"]
    );
    let out = Run::new(&[
        "--db",
        &db,
        "--format",
        "jsonl",
        "evaluate",
        "--all",
        "--customer",
        "nobody",
    ])
    .run();
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
}

#[test]
fn csv_import_with_a_quoted_newline() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb").display().to_string();
    let csv = "id,customer,category,summary,registered,fields,attachments\nT-1,acme,error.module_failure,\"Two lines\nof summary\",2026-03-02T10:00:00+05:00,\"{\"\"severity\"\": \"\"high\"\"}\",a.log;b.png\nT-2,acme,,x,yesterday,,\n";
    let out = Run::new(&["--db", &db, "ticket", "import", "t.csv"])
        .file("t.csv", csv)
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("t.csv:4: expected a time like"),
        "{}",
        out.stderr
    );
    let out = Run::new(&["--db", &db, "ticket", "import", "t.csv", "--skip-bad"])
        .file("t.csv", csv)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(
        &Run::new(&["--db", &db, "--format", "json", "ticket", "show", "T-1"])
            .run()
            .stdout,
    );
    assert_eq!(v["summary"], "Two lines\nof summary");
    assert_eq!(v["fields"]["severity"], "high");
    assert_eq!(v["attachments"], serde_json::json!(["a.log", "b.png"]));
}

#[test]
fn stored_tickets_count_allowance_hours_across_the_customer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb").display().to_string();
    let ticket = |id: &str, registered: &str, events: &str| {
        format!(
            "{{\"id\":\"{id}\",\"customer\":\"initech\",\"category\":\"support.small_change\",\"registered\":\"{registered}\",\"events\":[{events}]}}\n"
        )
    };
    let approve = |at: &str| format!("{{\"at\":\"{at}\",\"kind\":\"approved\"}}");
    let work = |at: &str, h: f64| format!("{{\"at\":\"{at}\",\"kind\":\"worklog\",\"hours\":{h}}}");
    let lines = [
        ticket(
            "I-1",
            "2026-10-05T10:00:00+03:00",
            &format!(
                "{},{}",
                approve("2026-10-05T11:00:00+03:00"),
                work("2026-10-06T12:00:00+03:00", 8.0)
            ),
        ),
        ticket(
            "I-2",
            "2026-10-12T10:00:00+03:00",
            &format!(
                "{},{}",
                work("2026-10-12T12:00:00+03:00", 1.0),
                approve("2026-10-13T11:00:00+03:00")
            ),
        ),
        ticket(
            "I-3",
            "2026-11-02T10:00:00+03:00",
            &format!(
                "{},{}",
                approve("2026-11-02T11:00:00+03:00"),
                work("2026-11-03T12:00:00+03:00", 5.0)
            ),
        ),
    ]
    .concat();
    let out = Run::new(&["--db", &db, "ticket", "import", "-"])
        .stdin(&lines)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let eval = |id: &str, at: &str| {
        let out = Run::new(&["--db", &db, "--format", "json", "evaluate", id, "--at", at]).run();
        assert_eq!(out.code, 0, "{out:?}");
        json(&out.stdout)["allowance"].clone()
    };
    // October: 8 h on I-1 and 1 h on I-2 (logged before approval); September unused, so
    // 10 h carried over.
    let a = eval("I-2", "2026-10-31T12:00:00+03:00");
    assert_eq!(a["basis"], "customer");
    assert_eq!(
        (a["used_hours"].as_f64(), a["unapproved_hours"].as_f64()),
        (Some(9.0), Some(1.0))
    );
    assert_eq!(
        (
            a["included_hours"].as_f64(),
            a["carried_over_hours"].as_f64()
        ),
        (Some(40.0), Some(10.0))
    );
    // November: 5 h; October left 21 h unused, of which at most 10 carry over.
    let a = eval("I-3", "2026-11-20T12:00:00+03:00");
    assert_eq!(
        (a["month"].as_str(), a["used_hours"].as_f64()),
        (Some("2026-11"), Some(5.0))
    );
    assert_eq!(
        (a["included_hours"].as_f64(), a["remaining_hours"].as_f64()),
        (Some(40.0), Some(35.0))
    );
    // An event recorded later is counted at once.
    let out = Run::new(&[
        "--db",
        &db,
        "ticket",
        "event",
        "I-3",
        "worklog",
        "--hours",
        "2",
        "--at",
        "2026-11-04T12:00:00+03:00",
    ])
    .run();
    assert_eq!(out.code, 0, "{out:?}");
    let a = eval("I-1", "2026-11-20T12:00:00+03:00");
    assert_eq!(a["used_hours"].as_f64(), Some(7.0));
}

#[test]
fn the_monthly_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb").display().to_string();
    let t = |id: &str, cat: &str, reg: &str, events: &str| {
        format!(
            "{{\"id\":\"{id}\",\"customer\":\"acme\",\"category\":\"{cat}\",\"registered\":\"{reg}\",\"events\":[{events}]}}\n"
        )
    };
    let ev = |at: &str, kind: &str| format!("{{\"at\":\"{at}\",\"kind\":\"{kind}\"}}");
    let lines = [
        // Met: assigned in 20 min, resolved after 3 working hours.
        t(
            "A-1",
            "error.module_failure",
            "2026-03-02T10:00:00+05:00",
            &format!(
                "{},{}",
                ev("2026-03-02T10:20:00+05:00", "assigned"),
                ev("2026-03-02T13:00:00+05:00", "resolved")
            ),
        ),
        // Breached both: assigned after 2 h, resolved the next afternoon (9 h limit).
        t(
            "A-2",
            "error.module_failure",
            "2026-03-03T10:00:00+05:00",
            &format!(
                "{},{}",
                ev("2026-03-03T12:00:00+05:00", "assigned"),
                ev("2026-03-04T15:00:00+05:00", "resolved")
            ),
        ),
        // Another month: not in the report.
        t(
            "A-3",
            "error.module_failure",
            "2026-04-01T10:00:00+05:00",
            "",
        ),
    ]
    .concat();
    let out = Run::new(&["--db", &db, "ticket", "import", "-"])
        .stdin(&lines)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let out = Run::new(&[
        "--db",
        &db,
        "--format",
        "json",
        "report",
        "--customer",
        "acme",
        "--month",
        "2026-03",
    ])
    .run();
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(&out.stdout);
    assert_eq!(v["schema"], "slaengine.report/v1");
    // The allowance is reported even when no ticket of the month used it.
    let a = &v["allowances"][0];
    assert_eq!(
        (
            a["name"].as_str(),
            a["used_hours"].as_f64(),
            a["included_hours"].as_f64()
        ),
        (Some("small_changes"), Some(0.0), Some(20.0))
    );
    let cat = &v["categories"][0];
    assert_eq!(
        (
            cat["category"].as_str(),
            cat["registered"].as_u64(),
            cat["resolved"].as_u64()
        ),
        (Some("error.module_failure"), Some(2), Some(2))
    );
    assert_eq!(cat["metrics"]["assign"]["met"], 1);
    assert_eq!(cat["metrics"]["assign"]["breached"], 1);
    assert_eq!(cat["metrics"]["resolve"]["compliance_percent"], 50.0);
    // Time to resolve: 3 h and 14 h (8 h on the 3rd, 6 h on the 4th).
    assert_eq!(
        (
            cat["median_resolve_hours"].as_f64(),
            cat["p90_resolve_hours"].as_f64()
        ),
        (Some(3.0), Some(14.0))
    );
    let breaches: Vec<(String, String)> = v["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["metric"].as_str().unwrap().to_owned(),
                b["late"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        breaches,
        [
            ("resolve".to_owned(), "5h".to_owned()),
            ("assign".to_owned(), "1h".to_owned())
        ]
    );
    let out = Run::new(&[
        "--db",
        &db,
        "--format",
        "csv",
        "report",
        "--customer",
        "acme",
        "--month",
        "2026-03",
    ])
    .run();
    assert_eq!(
        out.stdout.lines().next(),
        Some(
            "category,clause,registered,resolved,metric,met,breached,open,compliance_percent,median_resolve_hours,p90_resolve_hours"
        )
    );
    assert!(
        out.stdout
            .contains("error.module_failure,3.2,2,2,resolve,1,1,0,50,3,14"),
        "{}",
        out.stdout
    );
    let out = Run::new(&[
        "--db",
        &db,
        "--format",
        "markdown",
        "report",
        "--customer",
        "acme",
        "--month",
        "2026-03",
    ])
    .run();
    assert!(
        out.stdout.starts_with("## acme — 2026-03"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("| error.module_failure | 3.2    | 2          | 2        |"),
        "{}",
        out.stdout
    );
    let out = Run::new(&[
        "--db",
        &db,
        "report",
        "--customer",
        "acme",
        "--month",
        "March",
    ])
    .run();
    assert_eq!(
        (out.code, out.stderr.trim()),
        (
            2,
            "error: --month: expected a month like `2026-03`, found `March`"
        )
    );
}

#[test]
fn an_import_stops_at_a_bad_line_while_its_input_stays_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_slaengine"))
        .args([
            "--contracts",
            &root().join("contracts").display().to_string(),
        ])
        .args(["--db", &db, "ticket", "import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"{\"id\":\"T-1\",\"customer\":\"acme\",\"registered\":\"2026-03-02T10:00:00+05:00\"}\n{\"id\": oops}\n")
        .unwrap();
    stdin.flush().unwrap();
    // The input is not closed: the command must still end, at the bad line.
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "still running with the input open"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(stdin);
    assert_eq!(status.code(), Some(2));
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("standard input:2:"), "{err}");
    let out = Run::new(&["--db", &db, "ticket", "export"]).run();
    assert_eq!(out.stdout, "", "nothing was written");
}

#[test]
fn a_priority_change_is_recorded_from_the_command_line_and_sets_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb").display().to_string();
    let ticket =
        std::fs::read_to_string(root().join("tickets/umbrella-urgent-at-night.yaml")).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        Run::new(&all).run()
    };
    let out = Run::new(&["--db", &db, "ticket", "add", "-"])
        .stdin(&ticket)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let change = [
        "ticket",
        "event",
        "T-2001",
        "changed",
        "--at",
        "2026-03-08T01:40:00+03:00",
        "--by",
        "duty-manager",
    ];
    let out = run(&[&change[..], &["--field", "priority", "--to", "high"]].concat());
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout.trim(),
        "T-2001: changed at 2026-03-08T01:40:00+03:00 (5 events)"
    );
    let out = run(&["ticket", "show", "T-2001"]);
    assert!(out.stdout.contains("by: duty-manager\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("field: priority\n  to: high\n"),
        "{}",
        out.stdout
    );

    let out = run(&[
        "--format",
        "json",
        "evaluate",
        "T-2001",
        "--at",
        "2026-03-08T02:00:00+03:00",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let v = json(&out.stdout);
    assert_eq!(v["priority"], "high");
    // `update` keeps its time on a change: its open instance now has high's 4 business
    // hours, counted from Tuesday 09:00 (Monday 9 March is a holiday).
    let update = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "update")
        .unwrap();
    assert_eq!(update["target"], "4 working hours");
    assert_eq!(update["deadline"], "2026-03-10T13:00:00+03:00");

    // Mistakes name what a change needs.
    let out = run(&[&change[..], &["--field", "colour", "--to", "red"]].concat());
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr.trim(),
        "error: --field: `colour` cannot change: expected `priority`, `category`, `product` or `fields.NAME`"
    );
    let out = run(&["ticket", "event", "T-2001", "replied", "--to", "high"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("--field and --to describe a `changed` event, not `replied`"),
        "{}",
        out.stderr
    );
    let out = run(&[
        "ticket", "event", "T-2001", "changed", "--field", "priority",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--to"), "{}", out.stderr);
}

/// `slaengine --db DB ARGS` with the fixture's contracts, its stdin `stdin`.
fn on_db(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["--db", db];
    all.extend_from_slice(args);
    Run::new(&all).stdin(stdin).run()
}

#[test]
fn commands_that_read_refuse_a_database_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.redb");
    let db = path.display().to_string();
    let base = root().join("contracts").display().to_string();
    let reads: [&[&str]; 11] = [
        &["ticket", "list"],
        &["ticket", "list", "--open"],
        &["ticket", "show", "T-1"],
        &["ticket", "export"],
        &["evaluate", "T-1"],
        &["evaluate", "--all"],
        &["report", "--customer", "acme", "--month", "2026-03"],
        &["diff", "--base", &base],
        &["watch"],
        // Commands that change a stored ticket cannot find one either.
        &["ticket", "event", "T-1", "comment"],
        &["ticket", "delete", "T-1"],
    ];
    for args in reads {
        let out = on_db(&db, args, "");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stderr
                .contains(&format!("there is no ticket database `{db}`"))
                && out.stderr.contains("`slaengine ticket add FILE`")
                && out.stderr.contains("`slaengine ticket import FILE`")
                && out.stderr.contains("--db FILE"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!path.exists(), "{args:?} created the file");
    }
    // The same through $SLAENGINE_DB.
    let out = Run::new(&["ticket", "list"]).env("SLAENGINE_DB", &db).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(!path.exists());
    // The default database, absent: `diff` compares the cases alone, as before; the
    // others refuse it all the same.
    let out = Run::new(&["diff", "--base", &base]).run();
    assert_eq!(out.code, 0, "{out:?}");
    let out = Run::new(&["ticket", "list"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("`slaengine.redb`"), "{}", out.stderr);
    // A command that writes makes the file; then reading it is fine.
    let out = on_db(&db, &["ticket", "add", "-"], TICKET);
    assert_eq!(out.code, 0, "{out:?}");
    let out = on_db(&db, &["ticket", "list"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("T-1042  acme"), "{}", out.stdout);
}

#[test]
fn tickets_their_contract_cannot_evaluate_are_refused_unless_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.redb");
    let db = path.display().to_string();
    // A customer without a contract, in a file: its place, the nearest contract id, the
    // way out; nothing is written (here not even the file).
    let typo = TICKET.replace("customer: acme", "customer: acmee");
    let out = Run::new(&["--db", &db, "ticket", "add", "t.yaml"])
        .file("t.yaml", &typo)
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("ticket `T-1042`: no contract `acmee`")
            && out.stderr.contains("(did you mean `acme`?)")
            && out.stderr.contains("--> t.yaml:2:11")
            && out.stderr.contains("add --unchecked"),
        "{}",
        out.stderr
    );
    assert!(!path.exists());
    let out = on_db(&db, &["ticket", "add", "-", "--unchecked"], &typo);
    assert_eq!(out.code, 0, "{out:?}");

    // An unknown category on line 2 of an import: the whole import is refused.
    let line = |id: &str, category: &str| {
        format!(
            "{{\"id\":\"{id}\",\"customer\":\"acme\",\"category\":\"{category}\",\"registered\":\"2026-03-02T10:00:00+05:00\"}}\n"
        )
    };
    let lines = line("A-1", "error.module_failure") + line("A-2", "error.module_failur").as_str();
    let out = Run::new(&["--db", &db, "ticket", "import", "t.jsonl"])
        .file("t.jsonl", &lines)
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("ticket `A-2`: the category `error.module_failur` is not in contract `acme` (did you mean `error.module_failure`?)")
            && out.stderr.contains("--> t.jsonl:2:42"),
        "{}",
        out.stderr
    );
    let listed = |db: &str| on_db(db, &["ticket", "list"], "").stdout;
    assert_eq!(listed(&db).lines().count(), 1, "nothing was imported");
    // --skip-bad skips it like any bad record; --unchecked stores both.
    let out = Run::new(&["--db", &db, "ticket", "import", "t.jsonl", "--skip-bad"])
        .file("t.jsonl", &lines)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("imported 1 ticket into"),
        "{}",
        out.stdout
    );
    let db2 = dir.path().join("t2.redb").display().to_string();
    let out = Run::new(&["--db", &db2, "ticket", "import", "t.jsonl", "--unchecked"])
        .file("t.jsonl", &lines)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(listed(&db2).lines().count(), 2);
    // CSV names the line.
    let csv = "id,customer,registered\nC-1,acme,2026-03-02T10:00:00+05:00\nC-2,nobody,2026-03-02T10:00:00+05:00\n";
    let out = Run::new(&["--db", &db, "ticket", "import", "t.csv"])
        .file("t.csv", csv)
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("t.csv:3: ticket `C-2`: no contract `nobody`"),
        "{}",
        out.stderr
    );
    // A second resolution in a YAML file points at its kind.
    let twice = format!(
        "{TICKET}  - {{ at: 2026-03-07T10:00:00+05:00, kind: resolved }}\n  - {{ at: 2026-03-07T11:00:00+05:00, kind: resolved }}\n"
    )
    .replace("T-1042", "Y-1");
    let out = Run::new(&["--db", &db, "ticket", "import", "t.yaml"])
        .file(
            "t.yaml",
            &format!("{}---\n{twice}", TICKET.replace("T-1042", "Y-0")),
        )
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("ticket `Y-1`: the `resolved` event at 2026-03-07T11:00:00+05:00 comes while the ticket is resolved already (at 2026-03-07T10:00:00+05:00): expected a `reopened` event between them")
            && out.stderr.contains("--> t.yaml:19:44"),
        "{}",
        out.stderr
    );

    // Events recorded from the command line: hours on a resolution, a second resolution.
    let event = |args: &[&str]| {
        on_db(
            &db,
            &[
                &["ticket", "event", "A-1"][..],
                args,
                &["--at", "2026-03-03T10:00:00+05:00"],
            ]
            .concat(),
            "",
        )
    };
    let out = event(&["resolved", "--hours", "2"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("ticket `A-1`: the `resolved` event at 2026-03-03T10:00:00+05:00 has hours (2): hours of work are recorded on a `worklog` event"),
        "{}",
        out.stderr
    );
    assert_eq!(event(&["resolved"]).code, 0);
    let out = event(&["resolved"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("expected a `reopened` event between them"),
        "{}",
        out.stderr
    );
    assert_eq!(event(&["reopened"]).code, 0);
    assert_eq!(event(&["resolved"]).code, 0);
    let shown = on_db(&db, &["--format", "json", "ticket", "show", "A-1"], "");
    assert_eq!(json(&shown.stdout)["events"].as_array().unwrap().len(), 3);
    // --unchecked records it all the same; a ticket stored unchecked takes new events
    // only with --unchecked while its customer has no contract.
    assert_eq!(event(&["resolved", "--unchecked"]).code, 0);
    let out = on_db(&db, &["ticket", "event", "T-1042", "comment"], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("no contract `acmee`"), "{}", out.stderr);
    let out = on_db(
        &db,
        &["ticket", "event", "T-1042", "comment", "--unchecked"],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn a_deleted_ticket_or_removed_event_is_gone_from_every_view() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb").display().to_string();
    let ticket = |id: &str, registered: &str, events: &str| {
        format!(
            "{{\"id\":\"{id}\",\"customer\":\"initech\",\"category\":\"support.small_change\",\"registered\":\"{registered}\",\"events\":[{events}]}}\n"
        )
    };
    let work = |at: &str, h: f64| format!("{{\"at\":\"{at}\",\"kind\":\"worklog\",\"hours\":{h}}}");
    let approve = |at: &str| format!("{{\"at\":\"{at}\",\"kind\":\"approved\"}}");
    let resolve = |at: &str| format!("{{\"at\":\"{at}\",\"kind\":\"resolved\"}}");
    let lines = [
        ticket(
            "I-1",
            "2026-10-05T10:00:00+03:00",
            &format!(
                "{},{}",
                approve("2026-10-05T11:00:00+03:00"),
                work("2026-10-06T12:00:00+03:00", 8.0)
            ),
        ),
        ticket(
            "I-2",
            "2026-10-12T10:00:00+03:00",
            &format!(
                "{},{},{}",
                approve("2026-10-12T11:00:00+03:00"),
                work("2026-10-12T12:00:00+03:00", 1.0),
                resolve("2026-10-13T12:00:00+03:00")
            ),
        ),
    ]
    .concat();
    assert_eq!(on_db(&db, &["ticket", "import", "-"], &lines).code, 0);
    let used = |id: &str| {
        let out = on_db(
            &db,
            &[
                "--format",
                "json",
                "evaluate",
                id,
                "--at",
                "2026-10-31T12:00:00+03:00",
            ],
            "",
        );
        assert_eq!(out.code, 0, "{out:?}");
        json(&out.stdout)["allowance"]["used_hours"].as_f64()
    };
    let all = || {
        on_db(
            &db,
            &[
                "--format",
                "jsonl",
                "evaluate",
                "--all",
                "--at",
                "2026-10-31T12:00:00+03:00",
            ],
            "",
        )
        .stdout
        .lines()
        .map(|l| json(l)["ticket"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
    };
    let ids = |args: &[&str]| {
        on_db(&db, &[&["ticket", "list"][..], args].concat(), "")
            .stdout
            .lines()
            .map(|l| l.split_whitespace().next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(used("I-2"), Some(9.0));
    assert_eq!(all(), ["I-1", "I-2"]);

    // Removing I-2's resolution reopens it; removing its worklog takes its hour away.
    let out = on_db(&db, &["ticket", "event", "I-2", "--remove", "3"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout.trim(),
        "I-2: removed event 3 (resolved at 2026-10-13T12:00:00+03:00); 2 events left"
    );
    assert_eq!(ids(&["--open"]), ["I-1", "I-2"]);
    let out = on_db(&db, &["ticket", "event", "I-2", "--remove", "2"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(used("I-1"), Some(8.0));
    let shown = on_db(&db, &["--format", "json", "ticket", "show", "I-2"], "");
    let events = json(&shown.stdout)["events"].clone();
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(events[0]["kind"], "approved");
    // A number the ticket has no event for, and flags that belong to recording one.
    for n in ["0", "2"] {
        let out = on_db(&db, &["ticket", "event", "I-2", "--remove", n], "");
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.stderr.contains(&format!("ticket `I-2` has no event {n}: it has 1 event (expected 1, as `slaengine ticket show I-2` lists them)")),
            "{}",
            out.stderr
        );
    }
    let out = on_db(
        &db,
        &["ticket", "event", "I-2", "comment", "--remove", "1"],
        "",
    );
    assert_eq!(out.code, 2, "{out:?}");

    // Deleting I-1: gone from the list, from --all, and from I-2's allowance.
    let out = on_db(&db, &["ticket", "delete", "I-1"], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout.trim(),
        format!("deleted ticket I-1 (initech, 2 events) from {db}")
    );
    assert_eq!(ids(&[]), ["I-2"]);
    assert_eq!(ids(&["--open"]), ["I-2"]);
    assert_eq!(all(), ["I-2"]);
    assert_eq!(used("I-2"), Some(0.0));
    let out = on_db(&db, &["evaluate", "I-1"], "");
    assert_eq!(out.code, 2, "{out:?}");
    // What is not there is refused, with the nearest id.
    for args in [
        &["ticket", "delete", "i-2"][..],
        &["ticket", "event", "i-2", "--remove", "1"],
    ] {
        let out = on_db(&db, args, "");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("no ticket `i-2` in")
                && out.stderr.contains("(did you mean `I-2`?)"),
            "{}",
            out.stderr
        );
    }
    // The id is free again.
    let again = ticket("I-1", "2026-10-05T10:00:00+03:00", "");
    assert_eq!(on_db(&db, &["ticket", "add", "-"], &again).code, 0);
}

#[test]
fn evaluate_without_tickets_names_the_three_ways_and_help_lists_each_commands_formats() {
    let out = Run::new(&["evaluate"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("<TICKET_ID|--ticket <FILE|->|--all>"),
        "{}",
        out.stderr
    );

    let top = Run::new(&["--help"]).run();
    assert_eq!(top.code, 0);
    assert!(!top.stdout.contains("csv:"), "{}", top.stdout);
    let report = Run::new(&["report", "--help"]).run();
    assert!(
        report
            .stdout
            .contains("Formats: human, json, yaml, jsonl, csv, markdown"),
        "{}",
        report.stdout
    );
    let watch = Run::new(&["watch", "--help"]).run();
    assert!(
        watch.stdout.contains("Formats: human, jsonl"),
        "{}",
        watch.stdout
    );
}

#[test]
fn ticket_show_numbers_the_events_that_remove_takes_and_counts_read_in_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.redb").display().to_string();
    let ticket = "{\"id\":\"N-1\",\"customer\":\"acme\",\"category\":\"error.module_failure\",\"summary\":\"s\",\"registered\":\"2026-03-02T10:00:00+05:00\"}\n";
    let out = on_db(&db, &["ticket", "import", "-"], ticket);
    assert!(out.stdout.starts_with("imported 1 ticket into"), "{out:?}");
    let out = on_db(
        &db,
        &[
            "ticket",
            "event",
            "N-1",
            "assigned",
            "--at",
            "2026-03-02T10:30:00+05:00",
        ],
        "",
    );
    assert!(out.stdout.contains("(1 event)"), "{out:?}");
    let out = on_db(
        &db,
        &[
            "ticket",
            "event",
            "N-1",
            "comment",
            "--at",
            "2026-03-02T11:00:00+05:00",
            "--note",
            "x",
        ],
        "",
    );
    assert!(out.stdout.contains("(2 events)"), "{out:?}");
    let show = on_db(&db, &["ticket", "show", "N-1"], "");
    assert!(
        show.stdout
            .contains("- at: 2026-03-02T10:30:00+05:00  # 1\n"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout
            .contains("- at: 2026-03-02T11:00:00+05:00  # 2\n"),
        "{}",
        show.stdout
    );
    // Removing event 1 removes the one numbered 1.
    assert_eq!(
        on_db(&db, &["ticket", "event", "N-1", "--remove", "1"], "").code,
        0
    );
    let show = on_db(&db, &["ticket", "show", "N-1"], "");
    assert!(
        show.stdout
            .contains("- at: 2026-03-02T11:00:00+05:00  # 1\n"),
        "{}",
        show.stdout
    );
    assert!(!show.stdout.contains("kind: assigned"), "{}", show.stdout);
}

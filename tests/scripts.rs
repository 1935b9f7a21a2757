//! Scripts: hostile scripts end with a clear error naming the script, line and column in
//! well under a second and spoil only their own ticket; compile-time mistakes are
//! reported by the loader (and so by `validate`); the example scripts do what they say.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use slaengine::contract::{self, MemoryLoader};
use slaengine::eval::Evaluation;
use slaengine::{Error, Ticket, evaluate};

const CONTRACT: &str = "\
calendar:
  timezone: Europe/Moscow
  week: { mon-fri: [\"09:00-18:00\"] }
metrics:
  assign:  { starts: registered, stops: assigned }
  resolve: { starts: registered, stops: resolved, pausable: true }
defaults: { assign: 1 working hour }
categories:
  error.module_failure: { clause: \"3.2\", resolve: 1 working day }
scripts: [scripts/s.rhai]
";

fn load(script: &str) -> Result<slaengine::contract::Contract, Error> {
    // A wall-clock budget far above what these scripts need, so that on a loaded machine
    // the limit under test (operations, sizes, depth) is still the one that stops them.
    let loader = MemoryLoader::new()
        .with(
            "acme.yaml",
            &format!("{CONTRACT}limits: {{ millis: 2000 }}\n"),
        )
        .with_root("scripts/s.rhai", script);
    contract::load(&loader, "acme")
}

fn ticket() -> Ticket {
    Ticket::from_str_named(
        "id: T-1\ncustomer: acme\ncategory: error.module_failure\nsummary: Crash\nregistered: 2026-03-02T10:00:00+03:00\n",
        "t.yaml",
    )
    .unwrap()
}

fn at() -> DateTime<Utc> {
    "2026-03-02T12:00:00+03:00".parse().unwrap()
}

/// Evaluates with `script` and returns the `script_failed` message, timing the run.
fn failure(script: &str) -> String {
    let c = load(script).unwrap_or_else(|e| panic!("loads: {e}"));
    let start = Instant::now();
    let e = evaluate(&c, &ticket(), at());
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    let f = e.findings.iter().find(|f| f.code == "script_failed");
    f.unwrap_or_else(|| panic!("expected a script failure, got {:?}", e.findings))
        .message
        .clone()
}

fn load_error(script: &str) -> String {
    match load(script) {
        Err(Error::Input(e)) => e.render(),
        Err(other) => panic!("expected an input error, got {other}"),
        Ok(_) => panic!("expected the script to be refused"),
    }
}

#[test]
fn an_endless_loop_is_stopped() {
    let msg = failure("fn targets(ticket, targets) {\n    loop { }\n}\n");
    assert_eq!(
        msg,
        "scripts/s.rhai:1:4: the hook `targets` of `scripts/s.rhai` failed: ran more than 100000 operations (an endless loop?)"
    );
}

#[test]
fn unbounded_recursion_is_stopped() {
    let msg = failure(
        "fn targets(ticket, targets) {\n    deeper(1)\n}\nprivate fn deeper(n) {\n    deeper(n + 1)\n}\n",
    );
    assert!(msg.starts_with("scripts/s.rhai:"), "{msg}");
    assert!(
        msg.contains("called functions more than 32 deep (unbounded recursion?)"),
        "{msg}"
    );
}

#[test]
fn a_string_doubled_in_a_loop_is_stopped() {
    let msg =
        failure("fn targets(ticket, targets) {\n    let s = \"x\";\n    loop { s += s; }\n}\n");
    assert!(msg.starts_with("scripts/s.rhai:1:4:"), "{msg}");
    assert!(
        msg.contains("made a value too large (Length of string)"),
        "{msg}"
    );
}

#[test]
fn an_array_grown_without_end_is_stopped() {
    let msg =
        failure("fn targets(ticket, targets) {\n    let a = [];\n    loop { a.push(1); }\n}\n");
    assert_eq!(
        msg,
        "scripts/s.rhai:1:4: the hook `targets` of `scripts/s.rhai` failed: made a value too large (Size of array/BLOB)"
    );
}

#[test]
fn a_misspelt_property_is_an_error_not_unit() {
    let msg = failure(
        "fn targets(ticket, targets) {\n    if ticket.fields.severty == \"high\" { }\n    targets\n}\n",
    );
    assert!(msg.starts_with("scripts/s.rhai:2:"), "{msg}");
    assert!(msg.contains("severty"), "{msg}");
    let msg =
        failure("fn targets(ticket, targets) {\n    if ticket.priorty == 1 { }\n    targets\n}\n");
    assert!(msg.starts_with("scripts/s.rhai:2:"), "{msg}");
    assert!(msg.contains("priorty"), "{msg}");
}

#[test]
fn a_hook_returning_garbage_is_an_error() {
    let msg = failure("fn targets(ticket, targets) {\n    42\n}\n");
    assert_eq!(
        msg,
        "scripts/s.rhai:1:4: the hook `targets` of `scripts/s.rhai` returned `42` (i64): expected the targets map"
    );
    let msg =
        failure("fn targets(ticket, targets) {\n    targets.resolv = 3600;\n    targets\n}\n");
    assert!(
        msg.contains("a target for `resolv`, which is not a metric of contract acme"),
        "{msg}"
    );
    let msg =
        failure("fn targets(ticket, targets) {\n    targets.resolve = \"soon\";\n    targets\n}\n");
    assert!(
        msg.contains("`soon` for `resolve`: expected a duration like `4h`"),
        "{msg}"
    );
    let msg = failure("fn classify(ticket) {\n    \"error.nope\"\n}\n");
    assert!(
        msg.contains("returned the category `error.nope`, which contract acme does not have"),
        "{msg}"
    );
    let msg = failure("fn findings(ticket, evaluation) {\n    [#{ message: \"no code\" }]\n}\n");
    assert!(
        msg.contains(r#"a finding without a `code`: #{"message": "no code"}"#),
        "{msg}"
    );
}

#[test]
fn eval_and_import_do_not_compile() {
    let e = load_error("fn targets(ticket, targets) {\n    eval(\"1\");\n    targets\n}\n");
    assert!(e.contains("--> scripts/s.rhai:2:5"), "{e}");
    let e = load_error("import \"x\" as x;\nfn targets(ticket, targets) { targets }\n");
    assert!(e.contains("--> scripts/s.rhai:1:1"), "{e}");
}

#[test]
fn unknown_hooks_and_wrong_arities_are_refused() {
    assert_eq!(
        load_error("fn clasify(ticket) {\n    ()\n}\n"),
        "error: unknown hook `clasify` (did you mean `classify`?): expected one of `classify(ticket)`, `targets(ticket, targets)`, `findings(ticket, evaluation)`, `allowance(ticket, usage)`; a helper function must be declared `private fn`\n --> scripts/s.rhai:1:4\n  |\n1 | fn clasify(ticket) {\n  |    ^^^^^^^^^^^^^^^^^"
    );
    let e = load_error("fn targets(ticket) {\n    ()\n}\n");
    assert!(
        e.starts_with("error: the hook `targets` takes 2 parameters, found 1"),
        "{e}"
    );
    let e = load_error("fn targets(ticket, targets) {\n    let x = ;\n}\n");
    assert!(e.contains("--> scripts/s.rhai:2:13"), "{e}");
}

#[test]
fn a_missing_script_is_reported_by_the_loader() {
    let loader = MemoryLoader::new().with("acme.yaml", CONTRACT);
    let Err(Error::Input(e)) = contract::load(&loader, "acme") else {
        panic!("expected an error");
    };
    assert!(
        e.render()
            .starts_with("error: the script `scripts/s.rhai` does not exist"),
        "{}",
        e.render()
    );
}

#[test]
fn limits_may_be_changed_but_not_removed() {
    let text = format!("{CONTRACT}limits: {{ operations: 0 }}\n");
    let loader = MemoryLoader::new()
        .with("acme.yaml", &text)
        .with_root("scripts/s.rhai", "");
    let Err(Error::Input(e)) = contract::load(&loader, "acme") else {
        panic!("expected an error");
    };
    assert_eq!(
        e.message,
        "expected `operations` between 1 and 10000000, found 0"
    );
    let text = format!("{CONTRACT}limits: {{ operations: 500 }}\n");
    let loader = MemoryLoader::new()
        .with("acme.yaml", &text)
        .with_root("scripts/s.rhai", "fn targets(ticket, targets) {\n    let n = 0;\n    while n < 1000 { n += 1; }\n    targets\n}\n");
    let c = contract::load(&loader, "acme").unwrap();
    let e: Evaluation = evaluate(&c, &ticket(), at());
    assert!(
        e.findings
            .iter()
            .any(|f| f.message.contains("ran more than 500 operations")),
        "{:?}",
        e.findings
    );
}

#[test]
fn hooks_see_helpers_and_change_targets() {
    let c = load(
        "fn targets(ticket, targets) {\n    if is_open(ticket.registered) && weekday(ticket.registered) == \"mon\" && local_hour(ticket.registered) == 10 && local_date(ticket.registered) == \"2026-03-02\" {\n        targets.resolve = working_hours(2) + duration(\"30m\");\n    }\n    targets\n}\n",
    )
    .unwrap();
    let e = evaluate(&c, &ticket(), at());
    let resolve = e.metrics.iter().find(|m| m.name == "resolve").unwrap();
    assert_eq!(resolve.target.as_deref(), Some("2.5 working hours"));
    assert_eq!(
        resolve.deadline.unwrap().to_rfc3339(),
        "2026-03-02T12:30:00+03:00"
    );
}

#[test]
fn mentions_finds_the_first_listed_word_ignoring_case() {
    // The ticket's summary is "Crash".
    let found = |words: &str| {
        let c = load(&format!(
            "fn findings(ticket, evaluation) {{\n    let w = mentions(ticket.summary, {words});\n    if w == () {{ [] }} else {{ [#{{ code: w }}] }}\n}}\n"
        ))
        .unwrap();
        let e = evaluate(&c, &ticket(), at());
        e.findings.last().map(|f| f.code.clone())
    };
    assert_eq!(found(r#"["x", "RAS", "cra"]"#).as_deref(), Some("RAS"));
    assert_eq!(found(r#"["crash", "ras"]"#).as_deref(), Some("crash"));
    assert_eq!(found(r#"["teamviewer"]"#), None);
    assert_eq!(found("[]"), None);
    let message = failure(
        "fn findings(ticket, evaluation) {\n    mentions(ticket.summary, [1]);\n    []\n}\n",
    );
    assert!(
        message.contains("expected an array of strings, found `1` (i64)"),
        "{message}"
    );
}

#[test]
fn the_wall_clock_budget_stops_a_slow_hook() {
    let text = format!("{CONTRACT}limits: {{ operations: 10000000, millis: 5 }}\n");
    let script = "fn targets(ticket, targets) {\n    let n = 0;\n    while n < 9000000 { n += 1; }\n    targets\n}\n";
    let loader = MemoryLoader::new()
        .with("acme.yaml", &text)
        .with_root("scripts/s.rhai", script);
    let c = contract::load(&loader, "acme").unwrap();
    let start = Instant::now();
    let e = evaluate(&c, &ticket(), at());
    assert!(
        start.elapsed() < Duration::from_millis(900),
        "took {:?}",
        start.elapsed()
    );
    let f = e
        .findings
        .iter()
        .find(|f| f.code == "script_failed")
        .unwrap();
    assert_eq!(
        f.message,
        "scripts/s.rhai:1:4: the hook `targets` of `scripts/s.rhai` failed: took longer than its budget of 5 ms"
    );
}

#[test]
fn hooks_do_not_rerun_the_top_level_and_print_goes_to_the_trace() {
    // If the top level ran on each call, the endless loop would fail every hook.
    let script = "loop { }\nfn targets(ticket, targets) {\n    print(\"printed\");\n    debug(\"debugged\");\n    log(\"logged\");\n    targets\n}\n";
    let c = load(script).unwrap();
    let e = slaengine::evaluate_with(
        &c,
        &ticket(),
        at(),
        &slaengine::Options {
            explain: true,
            ..Default::default()
        },
    );
    assert!(
        e.findings.iter().all(|f| f.code != "script_failed"),
        "{:?}",
        e.findings
    );
    let lines: Vec<String> = e
        .explain
        .unwrap()
        .into_iter()
        .map(|l| format!("{}: {}", l.subject, l.text))
        .collect();
    for want in ["log: printed", "log: \"debugged\"", "log: logged"] {
        assert!(
            lines
                .iter()
                .any(|l| l == &format!("scripts/s.rhai (targets): {want}")),
            "{want} missing from {lines:#?}"
        );
    }
}

#[test]
fn a_failing_findings_hook_keeps_the_evaluation_it_was_shown() {
    let c = load("fn findings(ticket, evaluation) {\n    throw \"boom\";\n}\n").unwrap();
    // Registered after the evaluation instant: a finding made before the hook runs.
    let mut t = ticket();
    t.registered = "2026-03-03T10:00:00+03:00".parse().unwrap();
    let e = evaluate(&c, &t, at());
    let codes: Vec<&str> = e.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"script_failed"), "{codes:?}");
    assert!(codes.contains(&"not_yet_registered"), "{codes:?}");
    assert_eq!(e.metrics.len(), 2);
    // A script that keeps the evaluation (returns it inside its result) changes nothing.
    let c = load("fn findings(ticket, evaluation) {\n    [evaluation]\n}\n").unwrap();
    let e = evaluate(&c, &t, at());
    assert_eq!(e.metrics.len(), 2);
    assert!(e.findings.iter().any(|f| f.code == "not_yet_registered"));
    assert!(e.findings.iter().any(|f| f.code == "script_failed"));
}

/// The contract of these tests with a consultation category under a 2-hour allowance,
/// running `scripts`.
pub(crate) fn with_allowance(scripts: &str) -> String {
    CONTRACT.replace(
        "scripts: [scripts/s.rhai]\n",
        &format!(
            "  consultation.settings: {{ clause: \"1.1.1\", resolve: 2 working days, allowance: small }}\nallowances:\n  small: {{ hours: 2, per: month }}\nscripts: [{scripts}]\n"
        ),
    )
}

/// Hooks that read most properties of the ticket and the evaluation, branch on them,
/// log, and chain (two scripts define `targets`): the memo of hook calls must give
/// exactly what running the hooks gives.
const MEMO_A: &str = r#"
fn classify(ticket) {
    if ticket.category != () { return (); }
    if ticket.summary.contains("crash") { return "error.module_failure"; }
    if "kind" in ticket.fields && ticket.fields.kind == "question" { return "consultation.settings"; }
    ()
}
fn targets(ticket, targets) {
    if ticket.events.len() > 2 && targets.resolve != () {
        log(`many events on ${ticket.id}`);
        targets.resolve = targets.resolve / 2;
    }
    if local_hour(ticket.registered) >= 17 { targets.assign = working_hours(2); }
    targets
}
fn findings(ticket, evaluation) {
    let found = [];
    for m in evaluation.metrics {
        if m.status == "breached" {
            found.push(#{ code: "late_" + m.name, message: `late by ${-m.remaining_seconds} s` });
        }
    }
    if evaluation.category == "consultation.settings" && ticket.attachments.len() == 0 {
        found.push(#{ code: "no_material", severity: "info" });
    }
    if evaluation.allowance != () && evaluation.allowance.over_hours > 0.0 {
        found.push(#{ code: "over", message: `${evaluation.findings.len()} findings before` });
    }
    found
}
fn allowance(ticket, usage) {
    if usage.used_hours > 5.0 { usage.over_hours += 1.0; }
    usage
}
"#;

const MEMO_B: &str = r#"
fn targets(ticket, targets) {
    if ticket.customer == "acme" && ticket.product == "erp" && targets.assign != () {
        print(`assign was ${targets.assign}`);
        targets.assign += 60;
    }
    targets
}
fn allowance(ticket, usage) {
    if ticket.summary == "x" { usage.approved_hours += 0.5; }
    usage
}
"#;

fn memo_case() -> impl proptest::strategy::Strategy<Value = (Ticket, DateTime<Utc>)> {
    use proptest::prelude::*;
    let category = prop::sample::select(vec![
        "",
        "category: error.module_failure\n",
        "category: consultation.settings\n",
    ]);
    let summary = prop::sample::select(vec!["a crash at login", "How do I", "x"]);
    let fields = prop::sample::select(vec![
        "",
        "fields: { kind: question }\n",
        "fields: { kind: other }\n",
    ]);
    let registered = prop::sample::select(vec![
        "2026-03-02T10:00:00+03:00",
        "2026-03-02T17:30:00+03:00",
        "2026-03-06T17:45:00+03:00",
        "2026-03-07T12:00:00+03:00",
    ]);
    let product = prop::sample::select(vec!["", "product: erp\n"]);
    let attachments = prop::sample::select(vec!["", "attachments: [a.log]\n"]);
    let events = prop::collection::vec((0..3000_i64, 0..4_usize), 0..4);
    let at = prop::sample::select(vec![
        "2026-03-02T12:00:00+03:00",
        "2026-03-10T12:00:00+03:00",
    ]);
    (
        (category, summary, fields, registered),
        (product, attachments, events, at),
    )
        .prop_map(
            |((category, summary, fields, registered), (product, attachments, events, at))| {
                let start: DateTime<chrono::FixedOffset> = registered.parse().unwrap();
                let mut text = format!(
                    "id: T-1\ncustomer: acme\n{category}{product}{fields}{attachments}summary: {summary}\nregistered: {registered}\nevents:\n"
                );
                let mut minutes: Vec<i64> = events.iter().map(|(m, _)| *m).collect();
                minutes.sort_unstable();
                for (m, (_, kind)) in minutes.iter().zip(&events) {
                    let t = start + chrono::Duration::minutes(*m);
                    let kind = ["assigned", "worklog, hours: 3", "resolved", "comment"][*kind];
                    text.push_str(&format!("  - {{ at: {}, kind: {kind} }}\n", t.to_rfc3339()));
                }
                if events.is_empty() {
                    text = text.replace("events:\n", "");
                }
                let ticket = Ticket::from_str_named(&text, "t.yaml").unwrap();
                (ticket, at.parse().unwrap())
            },
        )
}

#[test]
fn memoised_hook_calls_give_what_running_the_hooks_gives() {
    use proptest::test_runner::{Config, TestRunner};
    let loader = MemoryLoader::new()
        .with(
            "acme.yaml",
            &with_allowance("scripts/a.rhai, scripts/b.rhai"),
        )
        .with_root("scripts/a.rhai", MEMO_A)
        .with_root("scripts/b.rhai", MEMO_B);
    let c = contract::load(&loader, "acme").unwrap_or_else(|e| panic!("loads: {e}"));
    let options = slaengine::eval::Options {
        explain: true,
        ..Default::default()
    };
    let mut runner = TestRunner::new(Config {
        cases: 600,
        ..Config::default()
    });
    let hits_before = slaengine::script::memo_hits();
    runner
        .run(&memo_case(), |(ticket, at)| {
            slaengine::script::memoize(false);
            let ran = slaengine::evaluate_with(&c, &ticket, at, &options);
            slaengine::script::memoize(true);
            for _ in 0..2 {
                let memoised = slaengine::evaluate_with(&c, &ticket, at, &options);
                proptest::prop_assert_eq!(&ran, &memoised);
            }
            Ok(())
        })
        .unwrap();
    // The second memoised evaluation of every case at least answers from the memo.
    let hits = slaengine::script::memo_hits() - hits_before;
    assert!(
        hits >= 600,
        "only {hits} hook calls were answered from the memo"
    );
}

#[test]
fn a_hook_reading_a_long_event_list_is_run_not_memoised() {
    let c = load("fn targets(ticket, targets) {\n    if ticket.events.len() > 50 { targets.resolve = working_hours(1); }\n    targets\n}\n").unwrap();
    let mut t = ticket();
    let registered = t.registered;
    for i in 0..100 {
        let mut e = slaengine::Event::new(
            registered + chrono::Duration::minutes(i),
            slaengine::EventKind::Comment,
        );
        e.note = Some(format!("note {i}"));
        t.events.push(e);
    }
    let first = evaluate(&c, &t, at());
    let hits = slaengine::script::memo_hits();
    let again = evaluate(&c, &t, at());
    assert_eq!(first, again);
    assert_eq!(
        slaengine::script::memo_hits(),
        hits,
        "a key this long is not kept"
    );
    let resolve = again.metrics.iter().find(|m| m.name == "resolve").unwrap();
    assert_eq!(resolve.target.as_deref(), Some("1 working hour"));
    // A short list is kept: the second evaluation is answered from the memo.
    t.events.truncate(2);
    evaluate(&c, &t, at());
    let hits = slaengine::script::memo_hits();
    evaluate(&c, &t, at());
    assert_eq!(slaengine::script::memo_hits(), hits + 1);
}

/// A script may set the tag of the ticket value it passes on; the next
/// script sees it, so the memo's key must hold it.
#[test]
fn a_tag_set_on_a_ticket_passed_on_is_part_of_the_memo_key() {
    let contract = with_allowance("scripts/a.rhai, scripts/b.rhai");
    // The first script hands the ticket on, tagged by its summary; the second reads
    // only that tag.
    let a = "fn allowance(ticket, usage) {\n    let t = ticket;\n    t.tag = if ticket.summary == \"one\" { 1 } else { 2 };\n    t\n}\n";
    let b = "fn allowance(ticket, usage) {\n    let h = usage.tag.to_float();\n    #{ name: \"small\", month: \"2026-03\", included_hours: 2.0, carried_over_hours: 0.0, used_hours: h, approved_hours: h, unapproved_hours: 0.0, remaining_hours: 2.0 - h, over_hours: 0.0, basis: \"ticket\" }\n}\n";
    let loader = MemoryLoader::new()
        .with("acme.yaml", &contract)
        .with_root("scripts/a.rhai", a)
        .with_root("scripts/b.rhai", b);
    let c = contract::load(&loader, "acme").unwrap_or_else(|e| panic!("loads: {e}"));
    let used = |summary: &str| {
        let t = Ticket::from_str_named(
            &format!("id: T-1\ncustomer: acme\ncategory: consultation.settings\nsummary: {summary}\nregistered: 2026-03-02T10:00:00+03:00\n"),
            "t.yaml",
        )
        .unwrap();
        let e = evaluate(&c, &t, at());
        e.allowance.map(|a| a.used_hours)
    };
    slaengine::script::memoize(false);
    let ran = (used("one"), used("two"));
    slaengine::script::memoize(true);
    let memoised = (used("one"), used("two"), used("one"), used("two"));
    assert_eq!(ran, (Some(1.0), Some(2.0)));
    assert_eq!(memoised, (ran.0, ran.1, ran.0, ran.1));
}

#[test]
fn the_ticket_and_the_evaluation_are_read_only_in_hooks() {
    // Methods that only look (rhai writes the property back after each) are fine, and
    // so is writing a property's own value back.
    let c = load(
        "fn classify(ticket) {\n    let n = ticket.summary.len() + ticket.attachments.len() + ticket.fields.len() + ticket.events.len();\n    ticket.summary = ticket.summary;\n    if n == 5 { () } else { throw `n = ${n}`; }\n}\nfn findings(ticket, evaluation) {\n    evaluation.metrics.len();\n    evaluation.findings.len();\n    []\n}\n",
    )
    .unwrap();
    let e = evaluate(&c, &ticket(), at());
    assert!(
        e.findings.iter().all(|f| f.code != "script_failed"),
        "{:?}",
        e.findings
    );
    // Changing one is an error that says why, at the line that tried.
    for (line, property) in [
        (
            "ticket.summary = \"x\";",
            "the ticket's `summary` cannot be changed",
        ),
        (
            "ticket.attachments.push(\"x\");",
            "the ticket's `attachments` cannot be changed",
        ),
        (
            "ticket.fields.severity = \"low\";",
            "the ticket's `fields` cannot be changed",
        ),
    ] {
        let message = failure(&format!("fn classify(ticket) {{\n    {line}\n    ()\n}}\n"));
        assert!(message.contains(property), "{line}: {message}");
        assert!(message.contains("s.rhai:2:"), "{line}: {message}");
    }
    let message =
        failure("fn findings(ticket, evaluation) {\n    evaluation.category = \"x\";\n    []\n}\n");
    assert!(
        message.contains("the evaluation's `category` cannot be changed"),
        "{message}"
    );
}

#[test]
fn writing_a_property_back_depends_on_its_value_for_the_memo_too() {
    // Succeeds for a ticket whose summary is "Crash", fails for any other: the memo must
    // not answer the second ticket with the first one's success.
    let c = load("fn classify(ticket) {\n    ticket.summary = \"Crash\";\n    ()\n}\n").unwrap();
    let ok = evaluate(&c, &ticket(), at());
    assert!(ok.findings.iter().all(|f| f.code != "script_failed"));
    let mut other = ticket();
    other.summary = "Freeze".into();
    let e = evaluate(&c, &other, at());
    assert!(
        e.findings.iter().any(|f| f.code == "script_failed"),
        "{:?}",
        e.findings
    );
    // The same with the error caught: the hook succeeds either way, with results that
    // differ by summary.
    let c = load(
        "fn classify(ticket) {\n    try { ticket.summary = \"Crash\"; } catch { return \"error.module_failure\"; }\n    ()\n}\n",
    )
    .unwrap();
    let by = |t: &Ticket| evaluate(&c, t, at()).category.decided_by;
    assert_eq!(by(&ticket()), "ticket");
    assert_eq!(by(&other), "script:scripts/s.rhai");
    assert_eq!(by(&ticket()), "ticket");
}

#[test]
fn an_in_place_method_on_a_property_fails_only_when_it_changes_something() {
    let c = load("fn classify(ticket) {\n    ticket.events.pop();\n    ()\n}\n").unwrap();
    let failed = |t: &Ticket| {
        evaluate(&c, t, at())
            .findings
            .iter()
            .any(|f| f.code == "script_failed")
    };
    assert!(!failed(&ticket()), "no events: nothing to take");
    let mut with_event = ticket();
    with_event.events = Ticket::from_str_named(
        "id: T-2\ncustomer: acme\nsummary: x\nregistered: 2026-03-02T10:00:00+03:00\nevents: [{ at: 2026-03-02T10:30:00+03:00, kind: assigned }]\n",
        "t.yaml",
    )
    .unwrap()
    .events;
    assert!(failed(&with_event));
}

#[test]
fn closures_load_and_run() {
    let c = load(
        "fn findings(ticket, evaluation) {\n    let late = evaluation.metrics.filter(|m| m.status == \"running\");\n    let names = late.map(|m| m.name);\n    names.sort();\n    [#{ code: \"running_\" + names.reduce(|sum, n| sum + \"_\" + n, \"\").sub_string(1) }]\n}\n",
    )
    .unwrap_or_else(|e| panic!("a script with closures loads: {e}"));
    let e = evaluate(&c, &ticket(), at());
    let codes: Vec<&str> = e.findings.iter().map(|f| f.code.as_str()).collect();
    // At 12:00 the assign metric (1 working hour from 10:00) is breached; resolve runs.
    assert_eq!(codes, ["running_resolve"], "{:?}", e.findings);
}

/// Hooks see the ticket as it stood at the evaluation instant: no event after it, the
/// priority in force then, and the evaluation's instant, priority and recurring
/// instances; `elapsed` counts working time (17:00–18:00 and 09:00–10:00: 7,200 s) and
/// `hours_between` calendar time (17 hours).
#[test]
fn hooks_see_the_ticket_as_it_stood_at_the_evaluation_instant() {
    let contract = "\
calendar:
  timezone: UTC
  week: { mon-fri: [\"09:00-18:00\"] }
priorities: [urgent, normal]
metrics:
  update: { starts: [registered, customer_replied], stops: [replied, resolved], recurring: true }
categories:
  incident: { clause: \"1\", title: Incident, update: { urgent: 1h, else: 4h } }
scripts: [scripts/s.rhai]
";
    let script = r#"
fn findings(ticket, evaluation) {
    let kinds = [];
    for e in ticket.events { kinds.push(e.kind); }
    let u = evaluation.metrics[0];
    [#{ code: "seen", severity: "info",
        message: `${kinds} ${ticket.priority} ${evaluation.priority} ${evaluation.at} ${u.instances.len()} ${u.instances_breached} ${elapsed("2026-03-02T17:00:00Z", "2026-03-03T10:00:00Z")} ${hours_between("2026-03-02T17:00:00Z", "2026-03-03T10:00:00Z")}` }]
}
"#;
    let loader = MemoryLoader::new()
        .with("demo.yaml", contract)
        .with_root("scripts/s.rhai", script);
    let c = contract::load(&loader, "demo").unwrap();
    let t = Ticket::from_str_named(
        "id: T-1\ncustomer: demo\ncategory: incident\npriority: normal\nregistered: 2026-03-02T10:00:00Z\nevents:\n  - { at: 2026-03-02T10:20:00Z, kind: replied }\n  - { at: 2026-03-02T10:25:00Z, kind: changed, field: priority, to: urgent }\n  - { at: 2026-03-02T11:00:00Z, kind: customer_replied }\n  - { at: 2026-03-02T15:00:00Z, kind: changed, field: priority, to: normal }\n",
        "t.yaml",
    )
    .unwrap();
    let seen = |instant: &str| {
        let e = evaluate(&c, &t, instant.parse().unwrap());
        let f = e.findings.iter().find(|f| f.code == "seen");
        f.unwrap_or_else(|| panic!("no finding of the hook: {:?}", e.findings))
            .message
            .clone()
    };
    // At 10:30 the events of 11:00 and 15:00 have not happened; the priority raised at
    // 10:25 is in force; the first instance was met at 10:20 and none is open.
    assert_eq!(
        seen("2026-03-02T10:30:00Z"),
        "[\"replied\", \"changed\"] urgent urgent 2026-03-02T10:30:00+00:00 1 0 7200 17.0"
    );
    // At 16:00, the customer's reply of 11:00 opened a second instance, urgent (1 hour
    // from 11:00), breached at 12:00; the priority was lowered again at 15:00.
    assert_eq!(
        seen("2026-03-02T16:00:00Z"),
        "[\"replied\", \"changed\", \"customer_replied\", \"changed\"] normal normal 2026-03-02T16:00:00+00:00 2 1 7200 17.0"
    );
}

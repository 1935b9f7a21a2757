//! Terms of real agreements, case by case with values worked out by hand: named calendars,
//! targets by priority, changes over time, declared event kinds and recurring metrics.
//!
//! The contract counts business time Monday to Friday 09:00–18:00 UTC; 2026-03-02 is a
//! Monday.

use chrono::{DateTime, Utc};
use slaengine::eval::{Evaluation, MetricResult, Status};
use slaengine::ticket::{Event, EventKind};
use slaengine::{Ticket, contract, evaluate};

const CONTRACT: &str = r#"
calendar: { timezone: UTC, week: { mon-fri: ["09:00-18:00"] } }
calendars:
  always: { week: { mon-sun: ["00:00-24:00"] } }
priorities: [urgent, high, normal]
default_priority: normal
events: [acknowledged]
metrics:
  reply: { starts: registered, stops: [replied, resolved], on_change: restart }
  ack: { starts: registered, stops: acknowledged }
  update: { starts: [replied, customer_replied], stops: [replied, resolved], recurring: true, pausable: true }
  resolve: { starts: registered, stops: resolved, pausable: true }
categories:
  incident:
    clause: "3"
    title: Incident
    reply: { urgent: { target: 1h, calendar: always }, high: 2h, else: 4h }
    ack: 1h
    update: { urgent: 1h, else: 2h }
    resolve: 2 working days
"#;

fn at(t: &str) -> DateTime<Utc> {
    t.parse().unwrap()
}

fn ticket(head: &str, events: &[&str]) -> Ticket {
    let mut text = format!(
        "id: T-1\ncustomer: demo\ncategory: incident\nregistered: 2026-03-02T10:00:00Z\n{head}\nevents:\n"
    );
    for e in events {
        text.push_str(&format!("  - {e}\n"));
    }
    if events.is_empty() {
        text.push_str("  []\n");
    }
    Ticket::from_str_named(&text, "ticket.yaml").unwrap()
}

fn eval_with(contract_text: &str, t: &Ticket, instant: &str) -> Evaluation {
    let c = contract::parse_str("demo", contract_text).unwrap();
    evaluate(&c, t, at(instant))
}

fn eval(t: &Ticket, instant: &str) -> Evaluation {
    eval_with(CONTRACT, t, instant)
}

fn metric<'e>(e: &'e Evaluation, name: &str) -> &'e MetricResult {
    e.metrics.iter().find(|m| m.name == name).unwrap()
}

fn codes(e: &Evaluation) -> Vec<&str> {
    e.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn a_ticket_without_priority_takes_the_default_priority_and_else() {
    // normal has no entry: `else` gives 4 working hours. One hour counted by 11:00.
    let e = eval(&ticket("", &[]), "2026-03-02T11:00:00Z");
    assert_eq!(e.priority.as_deref(), Some("normal"));
    let reply = metric(&e, "reply");
    assert_eq!(reply.target_seconds, Some(4 * 3600));
    assert_eq!(reply.elapsed_seconds, 3600);
    assert_eq!(reply.remaining_seconds, Some(3 * 3600));
    assert_eq!(reply.calendar, None);
    assert_eq!(reply.status, Status::Running);
}

#[test]
fn a_named_priority_takes_its_own_entry() {
    let e = eval(&ticket("priority: high", &[]), "2026-03-02T11:00:00Z");
    let reply = metric(&e, "reply");
    assert_eq!(reply.target_seconds, Some(2 * 3600));
    assert_eq!(
        reply.deadline.unwrap().to_rfc3339(),
        "2026-03-02T12:00:00+00:00"
    );
}

#[test]
fn the_top_priority_counts_on_its_own_calendar_at_the_weekend() {
    // Saturday: the business calendar is closed, `always` is open.
    let mut t = ticket("priority: urgent", &[]);
    t.registered = "2026-03-07T10:00:00Z".parse().unwrap();
    let e = eval(&t, "2026-03-07T10:30:00Z");
    let reply = metric(&e, "reply");
    assert_eq!(reply.calendar.as_deref(), Some("always"));
    assert_eq!(reply.elapsed_seconds, 1800);
    assert_eq!(
        reply.deadline.unwrap().to_rfc3339(),
        "2026-03-07T11:00:00+00:00"
    );
    assert_eq!(metric(&e, "resolve").elapsed_seconds, 0);
    assert_eq!(metric(&e, "resolve").calendar, None);
}

#[test]
fn a_priority_raised_mid_case_restarts_a_restart_clock() {
    // Raised to urgent at 12:00: the 1-hour target on `always` counts from 12:00.
    let t = ticket(
        "",
        &["{ at: 2026-03-02T12:00:00Z, kind: changed, field: priority, to: urgent }"],
    );
    let e = eval(&t, "2026-03-02T12:30:00Z");
    assert_eq!(e.priority.as_deref(), Some("urgent"));
    let reply = metric(&e, "reply");
    assert_eq!(reply.target_seconds, Some(3600));
    assert_eq!(reply.elapsed_seconds, 1800);
    assert_eq!(
        reply.deadline.unwrap().to_rfc3339(),
        "2026-03-02T13:00:00+00:00"
    );
    assert_eq!(reply.status, Status::Running);
}

#[test]
fn a_priority_raised_mid_case_keeps_time_counted_by_default() {
    // `keep`: 10:00–12:30 on `always` is 2.5 hours against the new 1 hour.
    let keep = CONTRACT.replace(", on_change: restart", "");
    let t = ticket(
        "",
        &["{ at: 2026-03-02T12:00:00Z, kind: changed, field: priority, to: urgent }"],
    );
    let e = eval_with(&keep, &t, "2026-03-02T12:30:00Z");
    let reply = metric(&e, "reply");
    assert_eq!(reply.elapsed_seconds, 9000);
    assert_eq!(reply.remaining_seconds, Some(3600 - 9000));
    assert_eq!(reply.status, Status::Breached);
    assert_eq!(
        reply.deadline.unwrap().to_rfc3339(),
        "2026-03-02T11:00:00+00:00"
    );
}

#[test]
fn a_restart_at_the_stop_measures_the_deadline_from_it() {
    // Raised to urgent at the reply (11:00): nothing counts, and the 1-hour target on
    // `always` runs from 11:00, whatever the evaluation instant.
    let t = ticket(
        "",
        &[
            "{ at: 2026-03-02T11:00:00Z, kind: changed, field: priority, to: urgent }",
            "{ at: 2026-03-02T11:00:00Z, kind: replied }",
        ],
    );
    let e = eval(&t, "2026-03-02T15:00:00Z");
    let reply = metric(&e, "reply");
    assert_eq!(reply.elapsed_seconds, 0);
    assert_eq!(reply.status, Status::Met);
    assert_eq!(
        reply.deadline.unwrap().to_rfc3339(),
        "2026-03-02T12:00:00+00:00"
    );
}

#[test]
fn a_change_after_the_stop_alters_nothing() {
    let t = ticket(
        "",
        &[
            "{ at: 2026-03-02T11:00:00Z, kind: replied, by: anna }",
            "{ at: 2026-03-02T12:00:00Z, kind: changed, field: priority, to: urgent }",
        ],
    );
    let e = eval(&t, "2026-03-02T13:00:00Z");
    let reply = metric(&e, "reply");
    assert_eq!(reply.target_seconds, Some(4 * 3600));
    assert_eq!(reply.elapsed_seconds, 3600);
    assert_eq!(reply.status, Status::Met);
    assert_eq!(e.priority.as_deref(), Some("urgent"));
}

#[test]
fn without_a_default_priority_targets_by_priority_do_not_apply() {
    let bare = CONTRACT.replace("default_priority: normal\n", "");
    let e = eval_with(&bare, &ticket("", &[]), "2026-03-02T11:00:00Z");
    assert_eq!(e.priority, None);
    assert_eq!(metric(&e, "reply").status, Status::NotApplicable);
    assert_eq!(metric(&e, "reply").target_seconds, None);
    // A target that does not depend on the priority still applies.
    assert_eq!(metric(&e, "resolve").target_seconds, Some(2 * 9 * 3600));
    assert_eq!(codes(&e), ["no_priority"]);
}

#[test]
fn an_undeclared_priority_is_a_finding_that_names_the_declared_ones() {
    let e = eval(&ticket("priority: urgen", &[]), "2026-03-02T11:00:00Z");
    assert_eq!(metric(&e, "reply").status, Status::NotApplicable);
    let f = e
        .findings
        .iter()
        .find(|f| f.code == "unknown_priority")
        .unwrap();
    assert!(
        f.message.contains("`urgent`, `high`, `normal`"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("did you mean `urgent`?"),
        "{}",
        f.message
    );
}

#[test]
fn a_comment_stops_nothing_and_a_declared_kind_stops_its_metric() {
    let mut t = ticket("", &["{ at: 2026-03-02T10:15:00Z, kind: comment }"]);
    let mut ack = t.events[0].clone();
    ack.at = "2026-03-02T10:30:00Z".parse().unwrap();
    ack.kind = EventKind::Other("acknowledged".into());
    t.events.push(ack);
    let e = eval(&t, "2026-03-02T11:00:00Z");
    assert_eq!(metric(&e, "reply").status, Status::Running);
    assert_eq!(metric(&e, "ack").status, Status::Met);
    assert_eq!(metric(&e, "ack").elapsed_seconds, 1800);
    assert!(codes(&e).is_empty(), "{:?}", codes(&e));
}

#[test]
fn an_undeclared_kind_is_ignored_with_a_finding() {
    let mut t = ticket("", &[]);
    t.events.push(Event {
        at: "2026-03-02T10:30:00+00:00".parse().unwrap(),
        kind: EventKind::Other("acknowledgd".into()),
        engineer: None,
        hours: None,
        note: None,
        by: None,
        field: None,
        to: None,
    });
    let e = eval(&t, "2026-03-02T11:00:00Z");
    assert_eq!(metric(&e, "ack").status, Status::AtRisk);
    let f = e
        .findings
        .iter()
        .find(|f| f.code == "unknown_event_kind")
        .unwrap();
    assert!(
        f.message.contains("did you mean `acknowledged`?"),
        "{}",
        f.message
    );
}

#[test]
fn recurring_instances_stop_and_start_on_one_event_and_pause_within() {
    // #1 11:00 (replied) → 14:00 (replied): 3 h against 2 h, breached.
    // #2 14:00 → now 17:00, paused 15:00–16:00: 2 h counted of 2 h, at risk, deadline
    // 17:00 (14:00 + 2 h + the hour paused).
    let t = ticket(
        "",
        &[
            "{ at: 2026-03-02T11:00:00Z, kind: replied }",
            "{ at: 2026-03-02T12:00:00Z, kind: customer_replied }",
            "{ at: 2026-03-02T14:00:00Z, kind: replied }",
            "{ at: 2026-03-02T15:00:00Z, kind: paused }",
            "{ at: 2026-03-02T16:00:00Z, kind: resumed }",
        ],
    );
    let e = eval(&t, "2026-03-02T17:00:00Z");
    let update = metric(&e, "update");
    let instances = update.instances.as_ref().unwrap();
    assert_eq!(instances.len(), 2);
    assert_eq!(
        instances[0].started.to_rfc3339(),
        "2026-03-02T11:00:00+00:00"
    );
    assert_eq!(
        instances[0].stopped.unwrap().to_rfc3339(),
        "2026-03-02T14:00:00+00:00"
    );
    assert_eq!(instances[0].elapsed_seconds, 3 * 3600);
    assert_eq!(instances[0].status, Status::Breached);
    assert_eq!(instances[1].elapsed_seconds, 2 * 3600);
    assert_eq!(instances[1].paused_seconds, 3600);
    assert_eq!(
        instances[1].deadline.unwrap().to_rfc3339(),
        "2026-03-02T17:00:00+00:00"
    );
    assert_eq!(instances[1].status, Status::AtRisk);
    assert_eq!(update.instances_breached, Some(1));
    // The metric's own fields are the open instance's.
    assert_eq!(update.started, Some(instances[1].started));
    assert_eq!(update.status, Status::AtRisk);
    // The JSON carries them, and the direct writer agrees with serde.
    let mut fast = Vec::new();
    e.write_json(&mut fast);
    assert_eq!(
        String::from_utf8(fast).unwrap(),
        serde_json::to_string(&e).unwrap()
    );
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["metrics"][2]["instances_breached"], 1);
    assert_eq!(json["priority"], "normal");
    assert!(json["metrics"][0].get("instances").is_none());
}

#[test]
fn no_instance_opens_between_resolved_and_reopened() {
    let t = ticket(
        "",
        &[
            "{ at: 2026-03-02T11:00:00Z, kind: replied }",
            "{ at: 2026-03-02T15:00:00Z, kind: resolved }",
            "{ at: 2026-03-02T16:00:00Z, kind: customer_replied }",
            "{ at: 2026-03-03T10:00:00Z, kind: reopened }",
            "{ at: 2026-03-03T11:00:00Z, kind: customer_replied }",
        ],
    );
    let e = eval(&t, "2026-03-03T11:30:00Z");
    let instances = metric(&e, "update").instances.clone().unwrap();
    let starts: Vec<String> = instances.iter().map(|x| x.started.to_rfc3339()).collect();
    assert_eq!(
        starts,
        ["2026-03-02T11:00:00+00:00", "2026-03-03T11:00:00+00:00"]
    );
    // #1: 11:00–15:00 is 4 h against 2 h.
    assert_eq!(instances[0].status, Status::Breached);
    assert_eq!(instances[1].elapsed_seconds, 1800);
    // `resolve` (not recurring) runs on from the reopen: 10:00–15:00 and 10:00–11:30.
    assert_eq!(metric(&e, "resolve").elapsed_seconds, 5 * 3600 + 5400);
}

#[test]
fn a_recurring_metric_that_never_started_lists_no_instances() {
    let e = eval(&ticket("", &[]), "2026-03-02T11:00:00Z");
    let update = metric(&e, "update");
    assert_eq!(update.instances.as_deref(), Some(&[][..]));
    assert_eq!(update.instances_breached, Some(0));
    assert_eq!(update.status, Status::NotApplicable);
}

#[test]
fn explain_names_the_calendar_the_priority_and_the_change() {
    let t = ticket(
        "",
        &["{ at: 2026-03-02T12:00:00Z, kind: changed, field: priority, to: urgent }"],
    );
    let c = contract::parse_str("demo", CONTRACT).unwrap();
    let options = slaengine::eval::Options {
        explain: true,
        ..Default::default()
    };
    let e = slaengine::eval::evaluate_with(&c, &t, at("2026-03-02T12:30:00Z"), &options);
    let lines: Vec<String> = e
        .explain
        .unwrap()
        .into_iter()
        .filter(|l| l.subject == "reply")
        .map(|l| l.text)
        .collect();
    let target = lines.iter().find(|l| l.starts_with("target")).unwrap();
    assert!(target.contains("for priority `urgent`"), "{target}");
    assert!(
        target.contains("counted on the calendar `always`"),
        "{target}"
    );
    assert!(
        target.contains(
            "in force since the change of `priority` to `urgent` at Mon 2026-03-02 12:00"
        ),
        "{target}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("restarted")),
        "{lines:?}"
    );
}

/// Runs the command line on a directory holding the contract above as `demo`.
fn cli(args: &[&str]) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("slaengine-agreements-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("demo.yaml"), CONTRACT).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slaengine"))
        .arg("--contracts")
        .arg(&dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn calendar_due_and_elapsed_take_a_named_calendar() {
    // Saturday 10:00 plus one hour: on `always` at 11:00, on the business calendar on
    // Monday at 10:00.
    let due = |extra: &[&str]| {
        let mut args = vec![
            "--format",
            "json",
            "calendar",
            "due",
            "--contract",
            "demo",
            "--from",
            "2026-03-07T10:00:00Z",
            "--in",
            "1h",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = cli(&args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    assert_eq!(due(&[])["due"], "2026-03-09T10:00:00Z");
    let v = due(&["--calendar", "always"]);
    assert_eq!(v["due"], "2026-03-07T11:00:00Z");
    assert_eq!(v["calendar"], "always");
    let (code, out, _) = cli(&[
        "--format",
        "json",
        "calendar",
        "elapsed",
        "--contract",
        "demo",
        "--from",
        "2026-03-07T10:00:00Z",
        "--to",
        "2026-03-07T12:30:00Z",
        "--calendar",
        "always",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["seconds"], 9000);
    let (code, _, err) = cli(&[
        "calendar",
        "elapsed",
        "--contract",
        "demo",
        "--from",
        "2026-03-07T10:00:00Z",
        "--to",
        "2026-03-07T12:30:00Z",
        "--calendar",
        "alway",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("contract demo has no calendar `alway`: expected one of `always` (did you mean `always`?)"),
        "{err}"
    );
}

/// A contract's own event kinds are accepted in ticket files, JSON lines, CSV and on the
/// command line; a kind that is neither built in nor declared is refused where it is
/// written, with the kinds there are and the nearest.
#[test]
fn declared_event_kinds_are_accepted_and_others_refused_where_they_are_written() {
    let p = super::watch::Project::new();
    p.edit(
        "contracts/umbrella.yaml",
        "default_priority: normal",
        "default_priority: normal\nevents: [notified]",
    );
    let ticket = |customer: &str, kind: &str| {
        format!(
            "id: U-1\ncustomer: {customer}\ncategory: error.complete_failure\nregistered: 2026-03-10T10:00:00+03:00\nevents:\n  - {{ at: 2026-03-10T10:05:00+03:00, kind: {kind} }}\n"
        )
    };
    let at = ["--at", "2026-03-10T12:00:00+03:00"];
    std::fs::write(p.path("ok.yaml"), ticket("umbrella", "notified")).unwrap();
    let (code, out, err) = p.run(
        &[&["evaluate", "--ticket", "ok.yaml"][..], &at].concat(),
        "",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("unknown_event_kind"), "{out}");

    let own = "expected one of `assigned`, `paused`, `resumed`, `worklog`, `approved`, `resolved`, `reopened`, `comment`, `replied`, `customer_replied`, `changed`, or one the contract `umbrella` declares: `notified` (did you mean `notified`?)";
    std::fs::write(p.path("typo.yaml"), ticket("umbrella", "notifed")).unwrap();
    for cmd in [
        &["evaluate", "--ticket", "typo.yaml"][..],
        &["ticket", "add", "typo.yaml"],
    ] {
        let (code, _, err) = p.run(cmd, "");
        assert_eq!(code, 2, "{cmd:?}: {err}");
        assert!(
            err.contains(&format!(
                "error: events[0].kind: unknown event kind `notifed`: {own}"
            )),
            "{err}"
        );
        assert!(err.contains("--> typo.yaml:6:44"), "{err}");
    }
    // Another contract does not declare it.
    std::fs::write(p.path("acme.yaml"), ticket("acme", "notified")).unwrap();
    let (code, _, err) = p.run(&["ticket", "add", "acme.yaml"], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("`changed`; the contract `acme` declares no kinds of its own under `events`"),
        "{err}"
    );
    let line = r#"{"id":"J-1","customer":"acme","registered":"2026-03-10T10:00:00+03:00","events":[{"at":"2026-03-10T10:05:00+03:00","kind":"notified"}]}"#;
    std::fs::write(p.path("j.jsonl"), format!("{line}\n")).unwrap();
    let (code, _, err) = p.run(&["ticket", "import", "j.jsonl"], "");
    assert_eq!(code, 2);
    assert!(err.contains("--> j.jsonl:1:"), "{err}");
    // CSV, with a priority column.
    let csv = |kind: &str| {
        format!(
            "id,customer,registered,priority,events\nC-1,umbrella,2026-03-10T10:00:00+03:00,urgent,\"[{{\"\"at\"\":\"\"2026-03-10T10:05:00+03:00\"\",\"\"kind\"\":\"\"{kind}\"\"}}]\"\n"
        )
    };
    std::fs::write(p.path("c.csv"), csv("notifid")).unwrap();
    let (code, _, err) = p.run(&["ticket", "import", "c.csv"], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("c.csv:2: ticket `C-1`: unknown event kind `notifid`"),
        "{err}"
    );
    std::fs::write(p.path("c.csv"), csv("notified")).unwrap();
    let (code, out, err) = p.run(&["ticket", "import", "c.csv"], "");
    assert_eq!(code, 0, "{out}{err}");
    let (_, shown, _) = p.run(&["ticket", "show", "C-1"], "");
    assert!(shown.contains("priority: urgent\n"), "{shown}");
    assert!(shown.contains("kind: notified\n"), "{shown}");
    // On the command line, by the stored ticket's contract.
    let (code, _, err) = p.run(&["ticket", "event", "C-1", "notifyed"], "");
    assert_eq!(code, 2);
    assert!(err.contains("unknown event kind `notifyed`"), "{err}");
    assert!(err.contains("(did you mean `notified`?)"), "{err}");
    let (code, out, err) = p.run(
        &[
            "ticket",
            "event",
            "C-1",
            "notified",
            "--at",
            "2026-03-10T11:00:00+03:00",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("C-1: notified at"), "{out}");
}

/// `diff` compares a recurring metric instance by instance: tightening the update
/// interval breaches an earlier instance while the open one stays running.
#[test]
fn diff_counts_instances_newly_breached() {
    let p = super::watch::Project::new();
    p.add(
        "id: U-1\ncustomer: umbrella\ncategory: error.complete_failure\npriority: urgent\n\
         registered: 2026-03-07T23:00:00+03:00\nevents:\n\
         \x20 - { at: 2026-03-07T23:05:00+03:00, kind: replied }\n\
         \x20 - { at: 2026-03-07T23:50:00+03:00, kind: replied }\n",
    );
    let base = p.path("base");
    std::fs::create_dir_all(&base).unwrap();
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(p.path("contracts"))
        .arg(p.path("scripts"))
        .arg(&base)
        .status()
        .unwrap();
    assert!(copy.success());
    p.edit(
        "contracts/umbrella.yaml",
        "urgent: { target: 1 working hour, calendar: always }",
        "urgent: { target: 30 working minutes, calendar: always }",
    );
    let at = "2026-03-08T00:00:00+03:00";
    let (code, out, err) = p.run(
        &[
            "--format",
            "json",
            "diff",
            "--base",
            "base/contracts",
            "--at",
            at,
            "umbrella",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["contracts"][0];
    // #1 (23:05–23:50, 45 minutes) was met and is now breached; #2 (from 23:50) runs.
    assert_eq!(d["newly_breached"], 1, "{d:#}");
    let changes = d["tickets"][0]["changes"].as_array().unwrap();
    let breached = changes
        .iter()
        .find(|c| c["field"] == "instances_breached")
        .unwrap();
    assert_eq!(breached["metric"], "update");
    assert_eq!(breached["before"], "0 of 2");
    assert_eq!(breached["after"], "1 of 2");
    // Compliance counts each instance: reply met, update #1 met → breached.
    assert_eq!(d["compliance_before"], 100.0);
    assert_eq!(d["compliance_after"], 50.0);
    let (_, out, _) = p.run(
        &["diff", "--base", "base/contracts", "--at", at, "umbrella"],
        "",
    );
    assert!(
        out.contains("update breached instances 0 of 2 → 1 of 2"),
        "{out}"
    );
}

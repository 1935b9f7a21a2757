//! Evaluations of named cases against the bundled standard terms: the worked examples of
//! the working-time rules, pauses, reopening, statuses at their thresholds, clause 3.4,
//! findings and allowances.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use slaengine::contract::{self, Contract, MemoryLoader};
use slaengine::eval::{Evaluation, Options, Severity};
use slaengine::{Status, Ticket, evaluate, evaluate_with};

fn template() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contracts/templates/standard.yaml");
    std::fs::read_to_string(path).unwrap()
}

/// A customer contract that is exactly the standard terms.
fn standard() -> Contract {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("scripts/standard.rhai")).unwrap();
    let holidays = std::fs::read_to_string(root.join("calendars/ru-2026.ics")).unwrap();
    let loader = MemoryLoader::new()
        .with("templates/standard.yaml", &template())
        .with_root("scripts/standard.rhai", &script)
        .with_root("calendars/ru-2026.ics", &holidays)
        .with("seed.yaml", "extends: standard\ncustomer: Seed\n");
    contract::load(&loader, "seed").unwrap()
}

/// A ticket of customer `seed` in `category`, registered at `registered`, with events
/// given as `(time, kind)` YAML flow items.
fn ticket(category: &str, registered: &str, events: &[&str]) -> Ticket {
    let mut text = format!(
        "id: T-1\ncustomer: seed\ncategory: {category}\nregistered: {registered}\nevents:\n"
    );
    for e in events {
        text.push_str(&format!("  - {e}\n"));
    }
    if events.is_empty() {
        text.push_str("  []\n");
    }
    Ticket::from_str_named(&text, "t.yaml").unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn metric<'a>(e: &'a Evaluation, name: &str) -> &'a slaengine::eval::MetricResult {
    e.metrics.iter().find(|m| m.name == name).unwrap()
}

fn deadline(e: &Evaluation, name: &str) -> String {
    metric(e, name)
        .deadline
        .map(|d| d.to_rfc3339())
        .unwrap_or_default()
}

fn codes(e: &Evaluation) -> Vec<&str> {
    e.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn seed_case_module_failure_friday_afternoon() {
    let c = standard();
    let t = ticket("error.module_failure", "2026-03-06T16:40:00+03:00", &[]);
    let e = evaluate(&c, &t, at("2026-03-06T17:00:00+03:00"));
    assert_eq!(deadline(&e, "assign"), "2026-03-06T17:40:00+03:00");
    // Mon 9 March is a holiday: 1h20m on Friday, 7h40m on Tuesday.
    assert_eq!(deadline(&e, "resolve"), "2026-03-10T16:40:00+03:00");
    assert_eq!(e.category.clause.as_deref(), Some("3.2"));
    assert_eq!(metric(&e, "assign").status, Status::Running);
}

#[test]
fn seed_case_registered_after_the_last_working_hour() {
    let c = standard();
    let t = ticket("error.module_failure", "2026-03-06T17:30:00+03:00", &[]);
    let e = evaluate(&c, &t, at("2026-03-06T17:31:00+03:00"));
    assert_eq!(deadline(&e, "assign"), "2026-03-10T09:30:00+03:00");
}

#[test]
fn a_result_on_a_closing_time_stays_there() {
    let c = standard();
    let t = ticket("error.module_failure", "2026-03-02T17:00:00+03:00", &[]);
    let e = evaluate(&c, &t, at("2026-03-02T17:00:00+03:00"));
    assert_eq!(deadline(&e, "assign"), "2026-03-02T18:00:00+03:00");
}

#[test]
fn statuses_at_their_thresholds() {
    let c = standard();
    let t = ticket("error.module_failure", "2026-03-02T10:00:00+03:00", &[]);
    let status = |s: &str| metric(&evaluate(&c, &t, at(s)), "assign").status;
    assert_eq!(status("2026-03-02T10:44:59+03:00"), Status::Running);
    assert_eq!(status("2026-03-02T10:45:00+03:00"), Status::AtRisk);
    assert_eq!(status("2026-03-02T11:00:00+03:00"), Status::AtRisk);
    assert_eq!(status("2026-03-02T11:00:01+03:00"), Status::Breached);
    let e = evaluate(&c, &t, at("2026-03-02T11:30:00+03:00"));
    assert_eq!(metric(&e, "assign").remaining_seconds, Some(-1800));
}

#[test]
fn a_breach_happens_only_when_working_time_passes_the_target() {
    // Due at 18:00 on Monday; unassigned at 23:00 it has not yet overrun (no working time
    // passed since 18:00), and an assignment at 09:00 next morning is still in time.
    let c = standard();
    let t = ticket(
        "error.module_failure",
        "2026-03-02T17:00:00+03:00",
        &["{ at: 2026-03-03T09:00:00+03:00, kind: assigned }"],
    );
    let e = evaluate(&c, &t, at("2026-03-02T23:00:00+03:00"));
    assert_eq!(metric(&e, "assign").status, Status::AtRisk);
    let e = evaluate(&c, &t, at("2026-03-03T12:00:00+03:00"));
    assert_eq!(metric(&e, "assign").status, Status::Met);
}

#[test]
fn met_and_breached_when_stopped() {
    let c = standard();
    let t = ticket(
        "error.module_failure",
        "2026-03-02T10:00:00+03:00",
        &["{ at: 2026-03-02T10:25:00+03:00, kind: assigned }"],
    );
    let e = evaluate(&c, &t, at("2026-03-05T10:00:00+03:00"));
    let a = metric(&e, "assign");
    assert_eq!(
        (a.status, a.elapsed_seconds, a.remaining_seconds),
        (Status::Met, 1500, Some(2100))
    );
    assert_eq!(a.stopped.unwrap().to_rfc3339(), "2026-03-02T10:25:00+03:00");
    let r = metric(&e, "resolve");
    assert_eq!(r.status, Status::Breached);
    let t = ticket(
        "error.module_failure",
        "2026-03-02T10:00:00+03:00",
        &["{ at: 2026-03-02T12:00:00+03:00, kind: assigned }"],
    );
    let e = evaluate(&c, &t, at("2026-03-05T10:00:00+03:00"));
    assert_eq!(metric(&e, "assign").status, Status::Breached);
}

#[test]
fn pauses_stop_the_resolution_clock() {
    let c = standard();
    let t = ticket(
        "error.module_failure",
        "2026-03-02T10:00:00+03:00",
        &[
            "{ at: 2026-03-02T10:10:00+03:00, kind: assigned }",
            "{ at: 2026-03-02T12:00:00+03:00, kind: paused }",
            "{ at: 2026-03-02T14:00:00+03:00, kind: resumed }",
        ],
    );
    let e = evaluate(&c, &t, at("2026-03-02T13:00:00+03:00"));
    let r = metric(&e, "resolve");
    assert_eq!(r.status, Status::Paused);
    assert_eq!((r.elapsed_seconds, r.paused_seconds), (7200, 3600));
    let e = evaluate(&c, &t, at("2026-03-02T15:00:00+03:00"));
    let r = metric(&e, "resolve");
    assert_eq!(r.status, Status::Running);
    assert_eq!((r.elapsed_seconds, r.paused_seconds), (3 * 3600, 2 * 3600));
    // 9 h of work from 10:00 with two hours paused: Tuesday 12:00 instead of 10:00.
    assert_eq!(deadline(&e, "resolve"), "2026-03-03T12:00:00+03:00");
    // The assignment clock does not pause.
    assert_eq!(metric(&e, "assign").status, Status::Met);
}

#[test]
fn reopening_restarts_resolution_and_keeps_time_counted() {
    let c = standard();
    let t = ticket(
        "error.module_failure",
        "2026-03-02T10:00:00+03:00",
        &[
            "{ at: 2026-03-02T10:10:00+03:00, kind: assigned }",
            "{ at: 2026-03-02T14:00:00+03:00, kind: resolved }",
            "{ at: 2026-03-03T10:00:00+03:00, kind: reopened }",
        ],
    );
    let e = evaluate(&c, &t, at("2026-03-02T16:00:00+03:00"));
    assert_eq!(metric(&e, "resolve").status, Status::Met);
    let e = evaluate(&c, &t, at("2026-03-03T11:00:00+03:00"));
    let r = metric(&e, "resolve");
    assert_eq!(r.status, Status::Running);
    assert_eq!(r.elapsed_seconds, 5 * 3600);
    assert!(r.stopped.is_none());
    // 4 h counted before resolution, 5 h left from the reopening at 10:00 Tuesday.
    assert_eq!(deadline(&e, "resolve"), "2026-03-03T15:00:00+03:00");
}

#[test]
fn clause_3_4_gets_five_days_only_for_a_complete_outage() {
    let c = standard();
    let mut t = ticket("incident.environment", "2026-03-02T10:00:00+03:00", &[]);
    let e = evaluate(&c, &t, at("2026-03-02T11:00:00+03:00"));
    assert_eq!(metric(&e, "resolve").status, Status::NotApplicable);
    assert_eq!(metric(&e, "resolve").target, None);
    t.fields.insert("complete_outage".into(), true.into());
    let e = evaluate(&c, &t, at("2026-03-02T11:00:00+03:00"));
    let r = metric(&e, "resolve");
    assert_eq!(r.target.as_deref(), Some("5 working days"));
    assert_eq!(deadline(&e, "resolve"), "2026-03-10T10:00:00+03:00");
}

#[test]
fn requests_without_a_resolution_target_only_have_assignment() {
    let c = standard();
    let t = ticket("support.new_versions", "2026-03-02T10:00:00+03:00", &[]);
    let e = evaluate(&c, &t, at("2026-03-02T10:30:00+03:00"));
    assert_eq!(
        metric(&e, "assign").target.as_deref(),
        Some("1 working hour")
    );
    assert_eq!(metric(&e, "resolve").status, Status::NotApplicable);
}

#[test]
fn odd_histories_are_findings_not_crashes() {
    let c = standard();
    let t = ticket(
        "error.module_failure",
        "2026-03-02T10:00:00+03:00",
        &[
            "{ at: 2026-03-02T09:00:00+03:00, kind: comment }",
            "{ at: 2026-03-02T12:00:00+03:00, kind: resolved }",
            "{ at: 2026-03-02T11:00:00+03:00, kind: assigned }",
            "{ at: 2026-03-02T13:00:00+03:00, kind: paused }",
            "{ at: 2026-03-02T13:30:00+03:00, kind: worklog }",
        ],
    );
    let e = evaluate(&c, &t, at("2026-03-03T10:00:00+03:00"));
    let codes = codes(&e);
    for code in [
        "event_before_registration",
        "events_out_of_order",
        "event_after_resolution",
        "bad_worklog",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    assert_eq!(e.findings[0].severity, Severity::Error);
    assert_eq!(metric(&e, "resolve").status, Status::Met);
}

#[test]
fn unknown_category_falls_back_to_the_defaults() {
    let c = standard();
    let t = ticket("error.modul_failure", "2026-03-02T10:00:00+03:00", &[]);
    let e = evaluate(&c, &t, at("2026-03-02T10:30:00+03:00"));
    assert!(codes(&e).contains(&"unknown_category"));
    assert_eq!(
        metric(&e, "assign").target.as_deref(),
        Some("1 working hour")
    );
    assert_eq!(metric(&e, "resolve").status, Status::NotApplicable);
}

#[test]
fn events_after_the_instant_are_not_seen_and_results_are_deterministic() {
    let c = standard();
    let t = ticket(
        "error.module_failure",
        "2026-03-02T10:00:00+03:00",
        &["{ at: 2026-03-02T10:30:00+03:00, kind: assigned }"],
    );
    let e = evaluate(&c, &t, at("2026-03-02T10:20:00+03:00"));
    assert_eq!(metric(&e, "assign").status, Status::Running);
    assert_eq!(e, evaluate(&c, &t, at("2026-03-02T10:20:00+03:00")));
}

#[test]
fn small_changes_count_hours_and_flag_work_before_approval() {
    let c = standard();
    let t = ticket(
        "support.small_change",
        "2026-03-02T10:00:00+03:00",
        &[
            "{ at: 2026-03-02T11:00:00+03:00, kind: worklog, hours: 1.5 }",
            "{ at: 2026-03-02T12:00:00+03:00, kind: approved }",
            "{ at: 2026-03-03T12:00:00+03:00, kind: worklog, hours: 3 }",
            "{ at: 2026-04-01T12:00:00+03:00, kind: worklog, hours: 2 }",
        ],
    );
    let e = evaluate(&c, &t, at("2026-03-31T12:00:00+03:00"));
    let a = e.allowance.as_ref().unwrap();
    assert_eq!(
        (a.name.as_str(), a.month.as_str()),
        ("small_changes", "2026-03")
    );
    assert_eq!(
        (a.used_hours, a.approved_hours, a.unapproved_hours),
        (4.5, 3.0, 1.5)
    );
    assert_eq!(
        (a.included_hours, a.remaining_hours, a.over_hours),
        (10.0, 5.5, 0.0)
    );
    assert!(codes(&e).contains(&"work_before_approval"));
}

#[test]
fn explain_names_the_layer_that_set_each_target_and_the_skipped_days() {
    let c = standard();
    let t = ticket("error.module_failure", "2026-03-06T16:40:00+03:00", &[]);
    let e = evaluate_with(
        &c,
        &t,
        at("2026-03-06T17:00:00+03:00"),
        &Options {
            explain: true,
            ..Default::default()
        },
    );
    let lines: Vec<String> = e
        .explain
        .unwrap()
        .iter()
        .map(|l| format!("{}: {}", l.subject, l.text))
        .collect();
    let all = lines.join("\n");
    assert!(
        all.contains("resolve: target 1 working day, set at contracts/templates/standard.yaml:"),
        "{all}"
    );
    assert!(
        all.contains("assign: target 1 working hour, set at contracts/templates/standard.yaml:"),
        "{all}"
    );
    assert!(all.contains("Mon 2026-03-09 (holiday)"), "{all}");
    assert!(all.contains("Sat 2026-03-07 (weekend)"), "{all}");
    // Evaluated at 17:00: what is past is counted, the walk to the deadline is to count.
    assert!(
        all.contains("resolve: counted Fri 2026-03-06 16:40–17:00 (20m)"),
        "{all}"
    );
    assert!(
        all.contains("resolve: to count Fri 2026-03-06 17:00–18:00 (1h)"),
        "{all}"
    );
}

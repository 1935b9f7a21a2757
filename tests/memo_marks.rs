//! Memoised hook calls against running the hooks, where a chained hook gives back what
//! it was given (the memo keeps such a result as a mark, not a copy): the evaluation,
//! `--explain` trace included, and the public `ScriptSet::call` are the same either way.
use chrono::{DateTime, Utc};
use slaengine::Ticket;
use slaengine::contract::{self, MemoryLoader};

/// The scripts tests' contract with an allowance, its error target `resolve` and its
/// `scripts` list.
fn contract_text(resolve: &str, scripts: &str) -> String {
    super::scripts::with_allowance(scripts).replace(
        "error.module_failure: { clause: \"3.2\", resolve: 1 working day }",
        &format!("error.module_failure: {{ clause: \"3.2\", resolve: {resolve} }}"),
    )
}

fn ticket(id: &str, summary: &str, cat: &str) -> Ticket {
    Ticket::from_str_named(
        &format!("id: {id}\ncustomer: acme\ncategory: {cat}\nsummary: {summary}\nregistered: 2026-03-02T10:00:00+03:00\nevents:\n  - {{ at: 2026-03-02T11:00:00+03:00, kind: worklog, hours: 3 }}\n"),
        "t.yaml",
    )
    .unwrap()
}

fn at() -> DateTime<Utc> {
    "2026-03-04T12:00:00+03:00".parse().unwrap()
}

fn check(resolve: &str, scripts: &[(&str, &str)], tickets: &[Ticket]) {
    let names: Vec<String> = scripts
        .iter()
        .map(|(n, _)| format!("scripts/{n}.rhai"))
        .collect();
    let text = contract_text(resolve, &names.join(", "));
    let mut loader = MemoryLoader::new().with("acme.yaml", &text);
    for (n, s) in scripts {
        loader = loader.with_root(&format!("scripts/{n}.rhai"), s);
    }
    let c = contract::load(&loader, "acme").unwrap_or_else(|e| panic!("loads: {e}"));
    let options = slaengine::eval::Options {
        explain: true,
        ..Default::default()
    };
    for t in tickets {
        slaengine::script::memoize(false);
        let ran = slaengine::evaluate_with(&c, t, at(), &options);
        slaengine::script::memoize(true);
        for round in 0..3 {
            let m = slaengine::evaluate_with(&c, t, at(), &options);
            assert_eq!(ran, m, "ticket {} round {round}", t.id);
        }
    }
}

/// A `targets` hook that gives its argument back, under a target whose working
/// seconds overflow (to_dyn gives 0): the fresh run applies 0, a hit skips it.
#[test]
fn identity_targets_hook_with_overflowing_target() {
    let id = "fn targets(ticket, targets) { targets }";
    check(
        "300000000000 working days",
        &[("a", id)],
        &[ticket("T-1", "a", "error.module_failure")],
    );
}

/// Three chained scripts, each changing or not depending on the ticket.
#[test]
fn three_chained_scripts() {
    let a = r#"
fn targets(ticket, targets) { if ticket.summary.contains("a") { targets.assign = 100; } targets }
fn allowance(ticket, usage) { if ticket.summary.contains("a") { usage.used_hours += 1.0; } usage }
"#;
    let b = r#"
fn targets(ticket, targets) { if ticket.summary.contains("b") { targets.assign += 7; } log(`b ${targets}`); targets }
fn allowance(ticket, usage) { if ticket.summary.contains("b") { usage.used_hours += 0.5; } log(`b ${usage}`); usage }
"#;
    let c = r#"
fn targets(ticket, targets) { if ticket.summary.contains("c") { targets.resolve = "3h"; } if ticket.summary.contains("t") { targets.tag = 5; } targets }
fn allowance(ticket, usage) { if ticket.summary.contains("c") { usage.over_hours = 9.0; } if ticket.summary.contains("t") { usage.tag = 5; } usage }
"#;
    let mut tickets = Vec::new();
    for s in [
        "", "a", "b", "c", "ab", "ac", "bc", "abc", "t", "at", "bt", "abct",
    ] {
        for cat in ["error.module_failure", "consultation.settings"] {
            tickets.push(ticket(
                &format!("T-{s}"),
                if s.is_empty() { "z" } else { s },
                cat,
            ));
        }
    }
    // Go through twice in different orders so memo states differ.
    check("1 working day", &[("a", a), ("b", b), ("c", c)], &tickets);
    tickets.reverse();
    check("1 working day", &[("a", a), ("b", b), ("c", c)], &tickets);
}

/// The public `ScriptSet::call` gives the value, never the memo's mark, hit or not.
#[test]
fn public_call_gives_the_value_on_a_memo_hit() {
    let text = contract_text("1 working day", "scripts/a.rhai, scripts/b.rhai");
    let loader = MemoryLoader::new()
        .with("acme.yaml", &text)
        .with_root(
            "scripts/a.rhai",
            "fn targets(ticket, targets) { targets.resolve = 60; targets }",
        )
        .with_root("scripts/b.rhai", "fn targets(ticket, targets) { targets }");
    let c = contract::load(&loader, "acme").unwrap();
    let set = c.script_set.as_deref().unwrap();
    let t = ticket("T-1", "a", "error.module_failure");
    let arg = slaengine::script::TicketArg::new(&t);
    let second = rhai::Dynamic::from_map(
        [("assign".into(), rhai::Dynamic::from(3600_i64))]
            .into_iter()
            .collect(),
    );
    for _ in 0..3 {
        let mut results = Vec::new();
        set.call("targets", &arg, Some(&second), &mut results, |s| {
            s.to_owned()
        })
        .unwrap();
        let shown: Vec<String> = results.iter().map(|r| r.value.to_string()).collect();
        assert_eq!(shown, [r#"#{"assign": 3600, "resolve": 60}"#; 2]);
    }
}

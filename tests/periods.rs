//! Allowances counted per quarter, year or term, through the real binary: the customer's
//! stored worklogs summed over the period in force, carry-over from the period before,
//! the price of hours beyond, and what `diff` says when the period changes.

use super::watch::{FIXTURE, Project};

/// A small change of ACME (Yekaterinburg, UTC+5) approved and worked `hours` at `at`.
fn small_change(id: &str, at: &str, hours: f64) -> String {
    format!(
        "{{\"id\":\"{id}\",\"customer\":\"acme\",\"product\":\"erp\",\"category\":\"support.small_change\",\"registered\":\"{at}\",\"events\":[{{\"at\":\"{at}\",\"kind\":\"approved\"}},{{\"at\":\"{at}\",\"kind\":\"worklog\",\"hours\":{hours},\"engineer\":\"ivanov\"}}]}}\n"
    )
}

/// ACME with small changes counted `per` and priced, and a fee for the price's currency.
fn priced(p: &Project, per: &str) {
    p.edit(
        "contracts/acme.yaml",
        "small_changes: { hours: 20 }",
        &format!(
            "small_changes: {{ hours: 20, per: {per}, carry_over: 5, overage: 39.50 }}\nfee: {{ amount: 5000.00, currency: EUR }}"
        ),
    );
}

fn seed(p: &Project) {
    let tickets = [
        small_change("SC-1", "2026-01-20T10:00:00+05:00", 12.0),
        small_change("SC-2", "2026-03-31T23:30:00+05:00", 6.0),
        small_change("SC-3", "2026-04-01T00:30:00+05:00", 14.0),
        small_change("SC-4", "2026-05-12T10:00:00+05:00", 9.5),
    ]
    .concat();
    let (code, _, err) = p.run(&["ticket", "import", "-"], &tickets);
    assert_eq!(code, 0, "{err}");
}

fn allowance(p: &Project, id: &str, at: &str) -> serde_json::Value {
    let (code, out, err) = p.run(&["--format", "json", "evaluate", id, "--at", at], "");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["allowance"].clone()
}

#[test]
fn a_quarter_sums_every_stored_ticket_and_carries_over_from_the_quarter_before() {
    let p = Project::new();
    priced(&p, "quarter");
    seed(&p);
    // Q1: 12 h + 6 h (23:30 on 31 March local is still March, though 18:30 UTC).
    let q1 = allowance(&p, "SC-2", "2026-03-31T23:45:00+05:00");
    assert_eq!(q1["per"], "quarter");
    assert_eq!(q1["period"], "2026-Q1");
    assert_eq!(q1["used_hours"], 18.0);
    assert_eq!(q1["carried_over_hours"], 0.0);
    assert_eq!(q1["overage_amount"], "0.00");
    assert_eq!(q1["currency"], "EUR");
    // Q2: 14 h + 9.5 h, with the 2 h Q1 left unused carried over: 22 h included.
    let q2 = allowance(&p, "SC-4", "2026-06-30T12:00:00+05:00");
    assert_eq!(q2["period"], "2026-Q2");
    assert_eq!(
        (q2["period_from"].as_str(), q2["period_to"].as_str()),
        (Some("2026-04-01"), Some("2026-06-30"))
    );
    assert_eq!(q2["used_hours"], 23.5);
    assert_eq!(q2["carried_over_hours"], 2.0);
    assert_eq!(q2["included_hours"], 22.0);
    assert_eq!(q2["over_hours"], 1.5);
    // 1.5 h × 39.50 EUR.
    assert_eq!(q2["overage_amount"], "59.25");
    assert_eq!(q2["basis"], "customer");
    // The human view names the period and the price.
    let (_, out, _) = p.run(
        &["evaluate", "SC-4", "--at", "2026-06-30T12:00:00+05:00"],
        "",
    );
    assert!(
        out.contains("allowance small_changes: 23.5 of 22 h used in the quarter 2026-Q2 (all tickets), 1.5 h over: 59.25 EUR"),
        "{out}"
    );
}

#[test]
fn a_year_counts_every_month_of_it() {
    let p = Project::new();
    priced(&p, "year");
    seed(&p);
    let year = allowance(&p, "SC-4", "2026-12-31T23:00:00+05:00");
    assert_eq!(year["period"], "2026");
    assert_eq!(year["used_hours"], 41.5);
    assert_eq!(year["over_hours"], 21.5);
    assert_eq!(year["overage_amount"], "849.25");
    assert_eq!(year["month"], "2026-12");
}

#[test]
fn diff_shows_an_allowance_moved_to_another_period() {
    let p = Project::with_cases();
    seed(&p);
    priced(&p, "year");
    let base = format!("{FIXTURE}/contracts");
    let (code, out, err) = p.run(
        &[
            "--format",
            "json",
            "diff",
            "--base",
            &base,
            "--at",
            "2026-05-31T12:00:00+05:00",
            "acme",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let acme = &v["contracts"][0];
    let sc4 = acme["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ticket"] == "SC-4")
        .unwrap();
    let change = sc4["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "allowance")
        .unwrap();
    assert_eq!(
        change["before"],
        "small_changes: 9.5 h used of 20 h in the month 2026-05, 0 h over"
    );
    assert_eq!(
        change["after"],
        "small_changes: 41.5 h used of 20 h in the year 2026, 21.5 h over (849.25 EUR)"
    );
}

//! `slaengine report` end to end, through the real binary: credits worked out by hand,
//! compliance over the instances of a recurring metric, a contract without `resolve`,
//! `--period` and its mistakes, the trend of a quarter, and the HTML page (its snapshot,
//! that it references nothing outside itself, escapes what contracts and tickets say,
//! and shows the numbers of the JSON report).

use std::path::Path;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

use super::cli::{Output, Run};

/// The bundled contracts (Umbrella's monthly fee, credits and yearly hours).
const BUNDLED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/contracts");

/// Umbrella's tickets of the first quarter of 2026.
const UMBRELLA: &str = "tests/data/report/umbrella-2026-q1.yaml";

/// A contracts directory and a database in a temporary directory.
struct Setup {
    dir: tempfile::TempDir,
    contracts: String,
}

impl Setup {
    /// The bundled contracts with Umbrella's tickets stored.
    fn umbrella() -> Setup {
        let s = Setup {
            dir: tempfile::tempdir().unwrap(),
            contracts: BUNDLED.to_owned(),
        };
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(UMBRELLA);
        let out = s.run(&["ticket", "import", &path.display().to_string()]);
        assert_eq!(out.code, 0, "{out:?}");
        s
    }

    /// A contracts directory of one contract, `id`, and `tickets` stored (YAML).
    fn contract(id: &str, yaml: &str, tickets: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let contracts = dir.path().join("contracts");
        std::fs::create_dir_all(&contracts).unwrap();
        std::fs::write(contracts.join(format!("{id}.yaml")), yaml).unwrap();
        let s = Setup {
            contracts: contracts.display().to_string(),
            dir,
        };
        let out = s.run_with(&["ticket", "add", "-"], tickets);
        assert_eq!(out.code, 0, "{out:?}");
        s
    }

    fn args<'a>(&'a self, args: &[&'a str]) -> Vec<String> {
        let db = self.dir.path().join("t.redb").display().to_string();
        let mut all = vec![
            "--contracts".to_owned(),
            self.contracts.clone(),
            "--db".into(),
            db,
        ];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        all
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "")
    }

    fn run_with(&self, args: &[&str], stdin: &str) -> Output {
        let args = self.args(args);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Run::bare(&args).stdin(stdin).run()
    }

    /// `report ARGS` in JSON.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--format", "json", "report"];
        all.extend(args);
        let out = self.run(&all);
        assert_eq!(out.code, 0, "{out:?}");
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
    }

    /// `report ARGS` as HTML.
    fn html(&self, args: &[&str]) -> String {
        let mut all = vec!["--format", "html", "report"];
        all.extend(args);
        let out = self.run(&all);
        assert_eq!(out.code, 0, "{out:?}");
        out.stdout
    }
}

/// A small agreement whose credits are worked out by hand below.
const CREDITS: &str = include_str!("data/report/credits.yaml");

/// A ticket of the `credits` contract.
fn credit_ticket(id: &str, priority: &str, registered: &str, events: &[(&str, &str)]) -> String {
    let events: Vec<String> = events
        .iter()
        .map(|(at, kind)| format!("{{ at: {at}, kind: {kind} }}"))
        .collect();
    format!(
        "id: {id}\ncustomer: credits\ncategory: error\npriority: {priority}\nregistered: {registered}\nevents: [{}]\n",
        events.join(", ")
    )
}

fn credit_tickets() -> String {
    [
        // Urgent, replied 15 minutes late round the clock: one breach, 5%.
        credit_ticket(
            "C-1",
            "urgent",
            "2026-03-02T10:00:00Z",
            &[
                ("2026-03-02T10:45:00Z", "replied"),
                ("2026-03-02T13:00:00Z", "resolved"),
            ],
        ),
        // Due Tue 13:00, resolved Wed 10:30: 4 h + 1 h 30 m of working time late, 6
        // started working hours, 12%.
        credit_ticket(
            "C-2",
            "urgent",
            "2026-03-03T09:00:00Z",
            &[
                ("2026-03-03T09:10:00Z", "replied"),
                ("2026-03-04T10:30:00Z", "resolved"),
            ],
        ),
        // Normal, reply due Fri 10:00 (1 h on Thursday, 1 h on Friday), replied 11:15:
        // 75 minutes late, 3 started half hours, 3%. Resolved in 3 h 30 m.
        credit_ticket(
            "C-3",
            "normal",
            "2026-03-05T16:00:00Z",
            &[
                ("2026-03-06T11:15:00Z", "replied"),
                ("2026-03-06T11:30:00Z", "resolved"),
            ],
        ),
        // Resolve due 13:00, resolved 16:00: 3 started working hours, 6%.
        credit_ticket(
            "C-4",
            "normal",
            "2026-03-09T09:00:00Z",
            &[
                ("2026-03-09T09:30:00Z", "replied"),
                ("2026-03-09T16:00:00Z", "resolved"),
            ],
        ),
        // Reply due Tue 31 March 16:00, still none when March ends (23:59:59): 7 h 59 m
        // 59 s late, 16 started half hours, 16%. Resolved on 1 April at 12:30, 2 h 30 m
        // after its working half day ran out (10:00): 3 started working hours in April.
        credit_ticket(
            "C-6",
            "normal",
            "2026-03-31T14:00:00Z",
            &[("2026-04-01T12:30:00Z", "resolved")],
        ),
        // April: an urgent reply 10 minutes late, 5%.
        credit_ticket(
            "C-5",
            "urgent",
            "2026-04-01T10:00:00Z",
            &[
                ("2026-04-01T10:40:00Z", "replied"),
                ("2026-04-01T11:00:00Z", "resolved"),
            ],
        ),
    ]
    .join("---\n")
}

/// `(rule, count, percent, amount)` of each credit item.
fn items(v: &Value) -> Vec<(String, u64, f64, String)> {
    v["credits"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["rule"].as_str().unwrap().to_owned(),
                i["count"].as_u64().unwrap(),
                i["percent"].as_f64().unwrap(),
                i["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn money(v: &Value) -> (&str, &str, &str) {
    let c = &v["credits"];
    (
        c["total"].as_str().unwrap(),
        c["cap"].as_str().unwrap(),
        c["owed"].as_str().unwrap(),
    )
}

#[test]
fn credits_worked_out_by_hand() {
    let s = Setup::contract("credits", CREDITS, &credit_tickets());
    let march = s.json(&["--customer", "credits", "--month", "2026-03"]);
    // Resolve in time: C-1 and C-3 of C-1 to C-4, 50%, below 75%: 10% of the fee.
    let row = |rule: &str, count, percent, amount: &str| {
        (rule.to_owned(), count, percent, amount.to_owned())
    };
    assert_eq!(
        items(&march),
        [
            row("5% per breach", 1, 5.0, "100.00"),
            row("2% per started 1 working hour late", 9, 18.0, "360.00"),
            row(
                "1% per started 30 calendar minutes late",
                19,
                19.0,
                "380.00"
            ),
            row("compliance below 75%", 1, 10.0, "200.00"),
        ]
    );
    assert_eq!(march["credits"]["currency"], "EUR");
    assert_eq!(march["credits"]["fee"], "2000.00");
    // 1040.00 in all; the cap, 25% of 2000.00, binds.
    assert_eq!(money(&march), ("1040.00", "500.00", "500.00"));
    let c = &march["compliance"][0];
    assert_eq!(
        (
            c["results"].as_u64(),
            c["percent"].as_f64(),
            c["passed"].as_bool()
        ),
        (Some(4), Some(50.0), Some(false))
    );

    // April: C-5's late reply (5%), C-6 resolved 2 h 30 m late (3 started working
    // hours, 6%), resolve in time 1 of 2 (10%): 420.00, under the cap.
    let april = s.json(&["--customer", "credits", "--month", "2026-04"]);
    assert_eq!(
        items(&april),
        [
            row("5% per breach", 1, 5.0, "100.00"),
            row("2% per started 1 working hour late", 3, 6.0, "120.00"),
            row("1% per started 30 calendar minutes late", 0, 0.0, "0.00"),
            row("compliance below 75%", 1, 10.0, "200.00"),
        ]
    );
    assert_eq!(money(&april), ("420.00", "500.00", "420.00"));

    // A quarter: the cap holds per month; March owes 500.00 of its 1040.00.
    let q1 = s.json(&["--customer", "credits", "--period", "2026-Q1"]);
    assert_eq!(money(&q1), ("1040.00", "1500.00", "500.00"));
    let periods: Vec<(&str, &str)> = q1["credits"]["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["period"].as_str().unwrap(), p["owed"].as_str().unwrap()))
        .collect();
    assert_eq!(
        periods,
        [
            ("2026-01", "0.00"),
            ("2026-02", "0.00"),
            ("2026-03", "500.00")
        ]
    );
    let h1 = s.json(&["--customer", "credits", "--period", "2026"]);
    assert_eq!(h1["credits"]["owed"], "920.00");

    let out = s.run(&["report", "--customer", "credits", "--month", "2026-03"]);
    assert!(
        out.stdout
            .contains("  total 1040.00, cap 500.00, owed 500.00 EUR"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  1% per started 30 calendar minutes late  reply of normal tickets  19     19%       380.00"),
        "{}",
        out.stdout
    );
}

/// A contract measuring a first reply and regular updates, without `resolve`.
const UPDATES: &str = r#"
customer: Update Test GmbH
calendar: { timezone: UTC, week: { mon-fri: ["09:00-17:00"] } }
metrics:
  reply: { starts: registered, stops: [replied, resolved] }
  update: { starts: [replied, customer_replied], stops: [replied, resolved], recurring: true, pausable: true }
defaults:
  reply: 1 working hour
  update: 2 working hours
categories:
  question: { clause: "1", title: Questions }
compliance:
  - { metric: update, at_least: 75% }
"#;

fn update_ticket(id: &str, registered: &str, events: &[(&str, &str)]) -> String {
    let events: Vec<String> = events
        .iter()
        .map(|(at, kind)| format!("{{ at: {at}, kind: {kind} }}"))
        .collect();
    format!(
        "id: {id}\ncustomer: updates\ncategory: question\nregistered: {registered}\nevents: [{}]\n",
        events.join(", ")
    )
}

fn update_tickets() -> String {
    [
        // Four update intervals: met, met, 30 minutes late, met.
        update_ticket(
            "U-1",
            "2026-03-02T09:00:00Z",
            &[
                ("2026-03-02T09:30:00Z", "replied"),
                ("2026-03-02T11:00:00Z", "replied"),
                ("2026-03-02T12:30:00Z", "replied"),
                ("2026-03-02T15:00:00Z", "replied"),
                ("2026-03-02T16:00:00Z", "resolved"),
            ],
        ),
        // Resolved without a reply, an hour after the reply was due: no update interval.
        update_ticket(
            "U-2",
            "2026-03-03T09:00:00Z",
            &[("2026-03-03T11:00:00Z", "resolved")],
        ),
        // Replied in March; its update interval, open at the end of March, is missed in
        // April, when it is resolved.
        update_ticket(
            "U-4",
            "2026-03-31T16:30:00Z",
            &[
                ("2026-03-31T16:45:00Z", "replied"),
                ("2026-04-01T12:00:00Z", "resolved"),
            ],
        ),
        // April: update intervals 50 minutes late, met, met.
        update_ticket(
            "U-3",
            "2026-04-01T09:00:00Z",
            &[
                ("2026-04-01T09:10:00Z", "replied"),
                ("2026-04-01T12:00:00Z", "replied"),
                ("2026-04-01T13:00:00Z", "replied"),
                ("2026-04-01T14:00:00Z", "resolved"),
            ],
        ),
    ]
    .join("---\n")
}

#[test]
fn compliance_counts_each_instance_of_a_recurring_metric() {
    let s = Setup::contract("updates", UPDATES, &update_tickets());
    let march = s.json(&["--customer", "updates", "--month", "2026-03"]);
    let c = &march["compliance"][0];
    // Exactly 75%: 3 of U-1's 4 intervals (U-4's is still open).
    assert_eq!(
        (
            c["metric"].as_str(),
            c["results"].as_u64(),
            c["percent"].as_f64(),
            c["at_least_percent"].as_f64(),
            c["passed"].as_bool()
        ),
        (Some("update"), Some(4), Some(75.0), Some(75.0), Some(true))
    );
    // No fee: no credits.
    assert_eq!(march["credits"], Value::Null);
    let april = s.json(&["--customer", "updates", "--month", "2026-04"]);
    let c = &april["compliance"][0];
    // U-3's 2 of 3 and U-4's missed one.
    assert_eq!(
        (
            c["results"].as_u64(),
            c["percent"].as_f64(),
            c["passed"].as_bool()
        ),
        (Some(4), Some(50.0), Some(false))
    );
    let out = s.run(&["report", "--customer", "updates", "--month", "2026-03"]);
    assert!(
        out.stdout
            .contains("  update  75%     4        3    75.00%  yes"),
        "{}",
        out.stdout
    );
    // May: nothing ended, nothing to miss.
    let may = s.run(&["report", "--customer", "updates", "--month", "2026-05"]);
    assert!(
        may.stdout
            .contains("  update  75%     0        0    —      yes (no results)"),
        "{}",
        may.stdout
    );
}

#[test]
fn a_contract_without_resolve_reports_resolutions_and_breaches() {
    let s = Setup::contract("updates", UPDATES, &update_tickets());
    let march = s.json(&["--customer", "updates", "--month", "2026-03"]);
    let line = &march["categories"][0];
    assert_eq!(
        (
            line["category"].as_str(),
            line["registered"].as_u64(),
            line["resolved"].as_u64()
        ),
        (Some("question"), Some(3), Some(2))
    );
    // Working hours from registration to resolution: U-2 2 h, U-1 7 h.
    assert_eq!(
        (
            line["median_resolve_hours"].as_f64(),
            line["p90_resolve_hours"].as_f64()
        ),
        (Some(2.0), Some(7.0))
    );
    assert_eq!(line["metrics"]["update"]["met"], 3);
    assert_eq!(line["metrics"]["update"]["breached"], 1);
    assert_eq!(line["metrics"]["update"]["open"], 1);
    let breaches: Vec<(&str, &str, Option<u64>, &str, &str)> = march["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["ticket"].as_str().unwrap(),
                b["metric"].as_str().unwrap(),
                b["instance"].as_u64(),
                b["late"].as_str().unwrap(),
                b["time"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        breaches,
        [
            ("U-2", "reply", None, "1h", "working time"),
            ("U-1", "update", Some(3), "30m", "working time")
        ]
    );
    assert_eq!(
        march["breaches"][1]["deadline"],
        "2026-03-02T14:30:00+00:00"
    );
    assert_eq!(march["breaches"][1]["stopped"], "2026-03-02T15:00:00+00:00");
    // April: U-4, registered in March, is resolved in April.
    let april = s.json(&["--customer", "updates", "--month", "2026-04"]);
    let line = &april["categories"][0];
    assert_eq!(
        (line["registered"].as_u64(), line["resolved"].as_u64()),
        (Some(1), Some(2))
    );
    let totals: Vec<(&str, u64, u64)> = april["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["metric"].as_str().unwrap(),
                m["met"].as_u64().unwrap(),
                m["breached"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(totals, [("reply", 1, 0), ("update", 2, 2)]);
}

#[test]
fn the_period_is_a_month_a_quarter_or_a_year() {
    let s = Setup::contract("updates", UPDATES, &update_tickets());
    let cases: [(&[&str], &str); 5] = [
        (
            &["--month", "2026-03", "--period", "2026-Q1"],
            "error: report takes one period: expected `--month YYYY-MM` or `--period YYYY-MM|YYYY-Qn|YYYY`, found both `--month 2026-03` and `--period 2026-Q1`",
        ),
        (
            &[],
            "error: report needs a period: expected `--month YYYY-MM` or `--period YYYY-MM|YYYY-Qn|YYYY`, found neither",
        ),
        (
            &["--period", "2026-Q5"],
            "error: --period: expected a period like `2026-03` (a month), `2026-Q1` (a quarter) or `2026` (a year), found `2026-Q5`",
        ),
        (
            &["--period", "Q1 2026"],
            "error: --period: expected a period like `2026-03` (a month), `2026-Q1` (a quarter) or `2026` (a year), found `Q1 2026`",
        ),
        (
            &["--month", "2026-Q1"],
            "error: --month: expected a month like `2026-03`, found `2026-Q1`",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["report", "--customer", "updates"];
        all.extend(args);
        let out = s.run(&all);
        assert_eq!((out.code, out.stderr.trim()), (2, message), "{args:?}");
        assert_eq!(out.stdout, "");
    }
    let out = s.run(&["report", "--customer", "updates", "--period", "2999"]);
    assert_eq!(
        (out.code, out.stderr.trim()),
        (
            2,
            "error: --period: `2999` begins on 2999-01-01 (UTC), after now: expected a period that has begun"
        )
    );
    let out = s.run(&["--format", "html", "ticket", "list"]);
    assert_eq!(
        (out.code, out.stderr.trim()),
        (
            2,
            "error: --format csv, markdown and html are for `report`: expected human, json, yaml or jsonl"
        )
    );
    // `--period` with a month is `--month`.
    let month = s.json(&["--customer", "updates", "--month", "2026-03"]);
    let period = s.json(&["--customer", "updates", "--period", "2026-03"]);
    assert_eq!(month, period);
    let year = s.json(&["--customer", "updates", "--period", "2026"]);
    assert_eq!(
        (
            year["period"].as_str(),
            year["month"].as_str(),
            year["period_from"].as_str(),
            year["period_to"].as_str(),
            year["months"].as_array().map(Vec::len)
        ),
        (
            Some("2026"),
            Some("2026"),
            Some("2026-01-01"),
            Some("2026-12-31"),
            Some(12)
        )
    );
}

#[test]
fn a_quarter_report_shows_each_month() {
    let s = Setup::umbrella();
    let q1 = s.json(&["--customer", "umbrella", "--period", "2026-Q1"]);
    assert_eq!(
        (
            q1["period"].as_str(),
            q1["period_from"].as_str(),
            q1["period_to"].as_str(),
            q1["at"].as_str(),
            q1["customer_name"].as_str()
        ),
        (
            Some("2026-Q1"),
            Some("2026-01-01"),
            Some("2026-03-31"),
            Some("2026-03-31T23:59:59+03:00"),
            Some("Umbrella Corporation")
        )
    );
    // Per month, per metric: met of the results that ended in it.
    let trend: Vec<(String, Vec<(u64, u64)>)> = q1["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_owned(),
                m["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| (t["met"].as_u64().unwrap(), t["results"].as_u64().unwrap()))
                    .collect(),
            )
        })
        .collect();
    let metrics: Vec<&str> = q1["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metric"].as_str().unwrap())
        .collect();
    assert_eq!(metrics, ["assign", "resolve", "reply", "update"]);
    assert_eq!(
        trend,
        [
            // U-100's assignment and first reply.
            ("2026-01".to_owned(), vec![(1, 1), (0, 0), (1, 1), (0, 0)]),
            // U-099 in time; U-104 assigned and answered in February.
            ("2026-02".to_owned(), vec![(2, 2), (1, 1), (2, 2), (2, 2)]),
            ("2026-03".to_owned(), vec![(6, 6), (3, 5), (3, 6), (9, 10)]),
        ]
    );
    // The quarter's sums are the months'.
    let sums: Vec<(u64, u64)> = q1["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["met"].as_u64().unwrap(), t["results"].as_u64().unwrap()))
        .collect();
    assert_eq!(sums, [(9, 9), (4, 6), (6, 9), (11, 12)]);
    // The month of March alone: the same March, and only March in the trend.
    let march = s.json(&["--customer", "umbrella", "--month", "2026-03"]);
    assert_eq!(march["months"].as_array().map(Vec::len), Some(1));
    assert_eq!(march["months"][0], q1["months"][2]);
    let out = s.run(&["report", "--customer", "umbrella", "--period", "2026-Q1"]);
    assert!(
        out.stdout.contains(
            "  2026-01  1/1 (100.00%)       —                    1/1 (100.00%)      —\n  2026-02  2/2 (100.00%)       1/1 (100.00%)        2/2 (100.00%)      2/2 (100.00%)\n  2026-03  6/6 (100.00%)       3/5 (60.00%)         3/6 (50.00%)       9/10 (90.00%)\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn umbrella_in_march() {
    let s = Setup::umbrella();
    let v = s.json(&["--customer", "umbrella", "--month", "2026-03"]);
    // Acme's ticket and April's are not Umbrella's March.
    let breaches: Vec<(&str, &str)> = v["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["ticket"].as_str().unwrap(), b["metric"].as_str().unwrap()))
        .collect();
    assert_eq!(
        breaches,
        [
            ("U-104", "update"),
            ("U-107", "reply"),
            ("U-102", "resolve"),
            ("U-106", "reply"),
            ("U-104", "resolve"),
            ("U-103", "reply")
        ]
    );
    // Urgent replies round the clock are working time on the `always` calendar.
    let night = &v["breaches"][5];
    assert_eq!(
        (
            night["late"].as_str(),
            night["time"].as_str(),
            night["calendar"].as_str()
        ),
        (Some("20m"), Some("working time"), Some("always"))
    );
    // U-104: reply 5% (U-103), U-102's and U-104's three started half hours each (30%),
    // urgent resolutions 2 of 3 (10%): 2250.00, capped at 1250.00.
    assert_eq!(money(&v), ("2250.00", "1250.00", "1250.00"));
    let a = &v["allowances"][0];
    assert_eq!(
        (
            a["per"].as_str(),
            a["period"].as_str(),
            a["used_hours"].as_f64(),
            a["unapproved_hours"].as_f64(),
            a["over_hours"].as_f64(),
            a["overage_amount"].as_str(),
            a["currency"].as_str()
        ),
        (
            Some("year"),
            Some("2026"),
            Some(54.0),
            Some(2.0),
            Some(14.0),
            Some("546.00"),
            Some("EUR")
        )
    );
    let findings: Vec<(&str, &str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["ticket"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
                f["script"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            ("U-106", "clause_1_2_material", "scripts/standard.rhai"),
            ("U-106", "clause_1_2_remote_access", "scripts/standard.rhai")
        ]
    );
}

/// The page with what changes from run to run (the contract's revision, the moment the
/// page was made) replaced.
fn redacted(html: &str) -> String {
    let mut out = html.to_owned();
    for (class, with) in [("revision", "[revision]"), ("generated", "[generated]")] {
        let open = format!("<span class=\"{class}\">");
        let start = out.find(&open).expect(&open) + open.len();
        let len = out[start..].find("</span>").unwrap();
        out.replace_range(start..start + len, with);
    }
    out
}

#[test]
fn the_html_report_of_umbrella() {
    let s = Setup::umbrella();
    let html = s.html(&["--customer", "umbrella", "--period", "2026-Q1"]);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots/report");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(UMBRELLA);
    settings.bind(|| {
        insta::assert_snapshot!("umbrella-2026-q1-html", redacted(&html));
    });
}

/// Everything in the page that could make a browser fetch something.
fn external_references(html: &str) -> Vec<String> {
    let lower = html.to_lowercase();
    let mut found = Vec::new();
    for needle in [
        "http:",
        "https:",
        "//",
        "src=",
        "@import",
        "url(",
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "@font-face",
    ] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(needle) {
            let at = from + i;
            let context: String = html[at.saturating_sub(20)..].chars().take(60).collect();
            found.push(format!("{needle} in …{context}…"));
            from = at + needle.len();
        }
    }
    // Links to parts of the page itself would be fine; there are none.
    for (i, _) in lower.match_indices("href=") {
        if !lower[i + 5..]
            .trim_start_matches(['"', '\''])
            .starts_with('#')
        {
            found.push(format!("href at {i}"));
        }
    }
    found
}

#[test]
fn the_html_report_references_nothing_outside_itself() {
    let s = Setup::umbrella();
    for args in [
        ["--customer", "umbrella", "--period", "2026-Q1"],
        ["--customer", "umbrella", "--month", "2026-03"],
    ] {
        let html = s.html(&args);
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert_eq!(external_references(&html), Vec::<String>::new());
        // It prints on A4 with table headers on every page and rows kept whole.
        for rule in [
            "@page { size: A4;",
            "thead { display: table-header-group; }",
            "tr { break-inside: avoid;",
            "max-width: 186mm;",
        ] {
            assert!(html.contains(rule), "{rule}");
        }
    }
}

/// A contract and a ticket that try to write HTML into the page.
const HOSTILE: &str = r#"
customer: Smith & Sons <script>alert("x")</script>
title: Terms <b>bold</b> 'quoted'
calendar: { timezone: UTC, week: { mon-fri: ["09:00-17:00"] } }
metrics:
  reply: { starts: registered, stops: [replied, resolved] }
categories:
  question: { clause: "<i>1</i>", title: "Questions & <u>answers</u>", reply: 1 working hour }
"#;

#[test]
fn the_html_report_escapes_what_contracts_and_tickets_say() {
    let ticket = "id: Q-<1>&\ncustomer: hostile\ncategory: question\nregistered: 2026-03-02T09:00:00Z\nevents: [{ at: 2026-03-02T11:00:00Z, kind: replied }]\n";
    let s = Setup::contract("hostile", HOSTILE, ticket);
    let html = s.html(&["--customer", "hostile", "--month", "2026-03"]);
    assert_eq!(external_references(&html), Vec::<String>::new());
    for raw in ["<script", "<b>bold", "<i>1", "<u>answers", "Q-<1>"] {
        assert!(!html.contains(raw), "{raw} left unescaped");
    }
    let doc = Html::parse_document(&html);
    let text =
        |css: &str| -> Vec<String> { doc.select(&sel(css)).map(|e| cell_text(&e)).collect() };
    assert_eq!(
        text("dl.facts dd")[0],
        "Smith & Sons <script>alert(\"x\")</script> (hostile)"
    );
    assert_eq!(
        text("dl.facts dd")[1],
        "hostile — Terms <b>bold</b> 'quoted'"
    );
    assert_eq!(text("#breaches tbody td")[0], "Q-<1>&");
    assert!(
        text("#categories tbody td")[0].contains("Questions & <u>answers</u>"),
        "{:?}",
        text("#categories tbody td")
    );
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// An element's text, its whitespace collapsed.
fn cell_text(e: &ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cells of each row of the table `css`.
fn rows(doc: &Html, css: &str) -> Vec<Vec<String>> {
    doc.select(&sel(css))
        .map(|tr| tr.select(&sel("td")).map(|td| cell_text(&td)).collect())
        .collect()
}

/// A share as the page shows it: `66.66%`, `—`.
fn shown_percent(v: &Value) -> String {
    v.as_f64().map_or("—".into(), |p| format!("{p:.2}%"))
}

#[test]
fn the_html_report_shows_the_numbers_of_the_json_report() {
    let s = Setup::umbrella();
    let args = ["--customer", "umbrella", "--period", "2026-Q1"];
    let v = s.json(&args);
    let doc = Html::parse_document(&s.html(&args));

    // The sections, each with its heading, and every table with a header row.
    let sections: Vec<&str> = doc
        .select(&sel("body > section"))
        .map(|e| e.value().id().unwrap())
        .collect();
    assert_eq!(
        sections,
        [
            "compliance",
            "trend",
            "credits",
            "allowances",
            "breaches",
            "findings",
            "categories"
        ]
    );
    for section in doc.select(&sel("body > section")) {
        assert_eq!(section.select(&sel("h2")).count(), 1);
    }
    for table in doc.select(&sel("table")) {
        assert!(table.select(&sel("thead tr th")).count() > 0);
    }
    assert_eq!(
        cell_text(&doc.select(&sel("h1 small")).next().unwrap()),
        "Umbrella Corporation"
    );

    // One chart per metric, in the contract's order.
    let metrics: Vec<&str> = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metric"].as_str().unwrap())
        .collect();
    let charts: Vec<&str> = doc
        .select(&sel("#compliance svg.chart.compliance"))
        .map(|e| e.value().attr("data-metric").unwrap())
        .collect();
    assert_eq!(charts, metrics);
    // Each chart's first bar is the metric's share; then each service level on it,
    // with its target line.
    for m in v["metrics"].as_array().unwrap() {
        let name = m["metric"].as_str().unwrap();
        let chart = doc
            .select(&sel(&format!(
                "svg.chart.compliance[data-metric=\"{name}\"]"
            )))
            .next()
            .unwrap();
        let texts: Vec<String> = chart.select(&sel("text")).map(|t| cell_text(&t)).collect();
        assert!(
            texts.contains(&shown_percent(&m["percent"])),
            "{name}: {texts:?}"
        );
        let entries: Vec<&Value> = v["compliance"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["metric"] == name)
            .collect();
        assert_eq!(chart.select(&sel("line.target")).count(), entries.len());
        for c in entries {
            assert!(
                texts.contains(&format!(
                    "{} of {} met, target {}%",
                    c["met"],
                    c["results"],
                    c["at_least_percent"].as_f64().unwrap()
                )),
                "{name}: {texts:?}"
            );
        }
    }

    // The service levels' table.
    let compliance = rows(&doc, "table.compliance tbody tr");
    let expected: Vec<Vec<String>> = v["compliance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            vec![
                c["selects"].as_str().unwrap().to_owned(),
                format!("{}%", c["at_least_percent"].as_f64().unwrap()),
                c["results"].to_string(),
                c["met"].to_string(),
                shown_percent(&c["percent"]),
                if c["passed"] == true { "yes" } else { "no" }.to_owned(),
            ]
        })
        .collect();
    assert_eq!(compliance, expected);

    // Credits: each item's amount, and the total, cap and amount owed.
    let credits = &v["credits"];
    let amounts: Vec<String> = rows(&doc, "table.credits tbody tr")
        .into_iter()
        .map(|r| r[4].clone())
        .collect();
    let expected: Vec<&str> = credits["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, expected);
    let foot: Vec<String> = rows(&doc, "table.credits tfoot tr")
        .into_iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(
        foot,
        [&credits["total"], &credits["cap"], &credits["owed"]]
            .map(|m| m.as_str().unwrap().to_owned())
    );

    // Included hours: the table and the chart's words.
    let allowances = rows(&doc, "table.allowances tbody tr");
    for (row, a) in allowances.iter().zip(v["allowances"].as_array().unwrap()) {
        let hours: Vec<f64> = row[2..7].iter().map(|c| c.parse().unwrap()).collect();
        let json: Vec<f64> = [
            "included_hours",
            "used_hours",
            "unapproved_hours",
            "remaining_hours",
            "over_hours",
        ]
        .iter()
        .map(|k| a[*k].as_f64().unwrap())
        .collect();
        assert_eq!(hours, json);
        assert_eq!(
            row[7],
            format!(
                "{} {}",
                a["overage_amount"].as_str().unwrap(),
                a["currency"].as_str().unwrap()
            )
        );
    }
    let words = cell_text(&doc.select(&sel("svg.chart.allowance text")).next().unwrap());
    assert_eq!(words, "54 h used of 40 h included: 14 h over, 546.00 EUR");

    // Breaches, in the same order, and the trend's months.
    let tickets: Vec<String> = rows(&doc, "table.breaches tbody tr")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let expected: Vec<&str> = v["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["ticket"].as_str().unwrap())
        .collect();
    assert_eq!(tickets, expected);
    assert_eq!(doc.select(&sel("#trend svg.chart.trend")).count(), 1);
    let months: Vec<String> = rows(&doc, "table.trend tbody tr")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03"]);
    assert_eq!(
        rows(&doc, "table.findings tbody tr").len(),
        v["findings"].as_array().unwrap().len()
    );
}

//! The 1,000 public working-time vectors of an independent reference implementation
//! (`tests/data/public-vectors.jsonl`, copied from `shared/oracle/`): `add` is `due`,
//! `between` is `elapsed`. Every failing case is reported, not just the first.

use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use slaengine::calendar::{Calendar, Window};

#[derive(Deserialize)]
struct Case {
    id: String,
    calendar: Spec,
    op: String,
    start: String,
    minutes: Option<i64>,
    expect: Option<String>,
    end: Option<String>,
    expect_minutes: Option<i64>,
}

#[derive(Deserialize)]
struct Spec {
    timezone: String,
    weekly: std::collections::BTreeMap<String, Vec<[String; 2]>>,
    #[serde(default)]
    holidays: Vec<String>,
}

fn calendar(spec: &Spec) -> Calendar {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut week: [Vec<Window>; 7] = Default::default();
    for (name, windows) in &spec.weekly {
        let i = days.iter().position(|d| d == name).unwrap();
        week[i] = windows
            .iter()
            .map(|[a, b]| Window::parse(&format!("{a}-{b}")).unwrap())
            .collect();
    }
    let holidays = spec
        .holidays
        .iter()
        .map(|h| NaiveDate::from_str(h).unwrap())
        .collect();
    let tz = chrono_tz::Tz::from_str(&spec.timezone).unwrap();
    Calendar::new(tz, week, holidays, vec![], None).unwrap()
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[test]
fn public_vectors() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/public-vectors.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Case = serde_json::from_str(line).unwrap();
        let cal = calendar(&case.calendar);
        let start = instant(&case.start);
        count += 1;
        match case.op.as_str() {
            "add" => {
                let want = instant(case.expect.as_deref().unwrap());
                let got = cal.due(start, case.minutes.unwrap() * 60);
                if got != Some(want) {
                    failures.push(format!(
                        "{}: due({}, {} min) = {got:?}, expected {want}",
                        case.id,
                        case.start,
                        case.minutes.unwrap()
                    ));
                }
                let mut trace = Vec::new();
                if cal.due_traced(start, case.minutes.unwrap() * 60, &mut trace) != got {
                    failures.push(format!("{}: traced due differs", case.id));
                }
            }
            "between" => {
                let end = instant(case.end.as_deref().unwrap());
                let want = case.expect_minutes.unwrap() * 60;
                let got = cal.elapsed(start, end);
                if got != want {
                    failures.push(format!(
                        "{}: elapsed({}, {}) = {got} s, expected {want} s",
                        case.id,
                        case.start,
                        case.end.as_deref().unwrap()
                    ));
                }
                let mut trace = Vec::new();
                if cal.elapsed_traced(start, end, &mut trace) != got {
                    failures.push(format!("{}: traced elapsed differs", case.id));
                }
            }
            other => failures.push(format!("{}: unknown op {other}", case.id)),
        }
    }
    assert_eq!(count, 1000, "expected 1,000 vectors");
    assert!(
        failures.is_empty(),
        "{} of {count} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

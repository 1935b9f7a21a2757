//! Generates saved Jira REST pages for the import benchmark, deterministically: search
//! pages of 100 issues with their changelogs and comments (`expand=changelog`), a worklog
//! page beside each, and a mapping file onto the bundled `acme` contract.
//!
//! ```text
//! cargo build --release --examples
//! target/release/examples/gen_jira 100000 /tmp/jira
//! time target/release/slaengine --db /tmp/jira.redb ticket import --from jira \
//!     --mapping /tmp/jira/mapping.yaml /tmp/jira/pages
//! ```
//!
//! Arguments: the number of issues (default 100000) and the directory to write
//! (default `jira-pages`).

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Duration, FixedOffset};
use serde_json::{Value, json};

/// Issues per search page, as Jira pages them.
const PAGE: u64 = 100;

/// The same deterministic generator as `gen_tickets` (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Jira's time format: `2026-03-02T09:15:00.000+0300`.
fn jira_time(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

fn person(id: &str, name: &str) -> Value {
    json!({ "accountId": id, "displayName": name })
}

fn status(from: (&str, &str), to: (&str, &str)) -> Value {
    json!({ "field": "status", "fieldtype": "jira", "fieldId": "status",
            "from": from.0, "fromString": from.1, "to": to.0, "toString": to.1 })
}

fn history(id: u64, author: &Value, at: DateTime<FixedOffset>, items: Vec<Value>) -> Value {
    json!({ "id": id.to_string(), "author": author, "created": jira_time(at), "items": items })
}

const CATEGORIES: [&str; 3] = ["Module failure", "Incorrect operation", "Complete failure"];
const PRIORITIES: [&str; 3] = ["High", "Medium", "Low"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "jira-pages".into()));
    let pages = dir.join("pages");
    std::fs::create_dir_all(&pages)?;
    std::fs::write(
        dir.join("mapping.yaml"),
        "timezone: Europe/Moscow\n\
         customer: { from: fields.project.key, map: { SUP: acme } }\n\
         product: { default: erp }\n\
         category: { from: fields.customfield_10010.value, map: { \"Module failure\": error.module_failure, \"Incorrect operation\": error.incorrect_operation, \"Complete failure\": error.complete_failure } }\n",
    )?;
    let base: DateTime<FixedOffset> = DateTime::parse_from_rfc3339("2026-01-12T08:00:00+03:00")?;
    let agent = person("a-olga", "Olga Petrova");
    let other = person("a-ivan", "Ivan Ivanov");
    let customer = person("c-anna", "Anna Smirnova");
    let mut rng = Rng(7);
    let mut ids = 20_000_000_u64;
    let mut page = 0;
    let mut start = 0;
    while start < count {
        let end = (start + PAGE).min(count);
        let mut issues = Vec::new();
        let mut worklogs = Vec::new();
        for i in start..end {
            let created = base + Duration::minutes(rng.below(60 * 24 * 320) as i64);
            let mut at = created;
            let mut step = |rng: &mut Rng, max: u64| {
                at += Duration::minutes(1 + rng.below(max) as i64);
                at
            };
            let mut histories = Vec::new();
            let mut next_id = || {
                ids += 1;
                ids
            };
            let assigned = step(&mut rng, 60);
            histories.push(history(next_id(), &agent, assigned, vec![
                json!({ "field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
                        "from": null, "fromString": null, "to": "a-olga", "toString": "Olga Petrova" }),
            ]));
            let replied = step(&mut rng, 60);
            let mut comments = vec![json!({ "id": next_id().to_string(), "author": agent,
                "body": "Could you send the log?", "created": jira_time(replied), "jsdPublic": true })];
            let waiting = rng.below(3) == 0;
            let mut current = ("3", "In Progress");
            histories.push(history(
                next_id(),
                &agent,
                step(&mut rng, 30),
                vec![status(("1", "Open"), current)],
            ));
            if waiting {
                histories.push(history(
                    next_id(),
                    &agent,
                    step(&mut rng, 120),
                    vec![status(current, ("10010", "Waiting for customer"))],
                ));
                let back = step(&mut rng, 900);
                comments.push(json!({ "id": next_id().to_string(), "author": customer,
                    "body": "Log attached.", "created": jira_time(back), "jsdPublic": true }));
                histories.push(history(
                    next_id(),
                    &customer,
                    back,
                    vec![status(("10010", "Waiting for customer"), current)],
                ));
            }
            let priority = PRIORITIES[rng.below(3) as usize];
            let mut now_priority = priority;
            if rng.below(4) == 0 {
                now_priority = "Highest";
                histories.push(history(next_id(), &agent, step(&mut rng, 300), vec![
                    json!({ "field": "priority", "fieldtype": "jira", "fieldId": "priority",
                            "from": "3", "fromString": priority, "to": "1", "toString": now_priority }),
                ]));
            }
            comments.push(json!({ "id": next_id().to_string(), "author": other,
                "body": "Reproduced on staging.", "created": jira_time(step(&mut rng, 300)), "jsdPublic": false }));
            for _ in 0..1 + rng.below(2) {
                let seconds = 900 * (1 + rng.below(16));
                worklogs.push(
                    json!({ "id": next_id().to_string(), "issueId": (10_000 + i).to_string(),
                    "author": agent, "started": jira_time(step(&mut rng, 600)),
                    "timeSpentSeconds": seconds }),
                );
            }
            let resolved = rng.below(10) < 8;
            if resolved {
                histories.push(history(
                    next_id(),
                    &agent,
                    step(&mut rng, 1200),
                    vec![
                        json!({ "field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
                            "from": null, "fromString": null, "to": "10000", "toString": "Done" }),
                        status(current, ("5", "Resolved")),
                    ],
                ));
                current = ("5", "Resolved");
                if rng.below(2) == 0 {
                    histories.push(history(
                        next_id(),
                        &other,
                        step(&mut rng, 2000),
                        vec![status(current, ("6", "Closed"))],
                    ));
                    current = ("6", "Closed");
                }
            }
            let category = if current.0 == "3" {
                "indeterminate"
            } else {
                "done"
            };
            issues.push(json!({
                "expand": "operations,changelog",
                "id": (10_000 + i).to_string(),
                "key": format!("SUP-{}", i + 1),
                "changelog": { "startAt": 0, "maxResults": histories.len(), "total": histories.len(), "histories": histories },
                "fields": {
                    "summary": format!("Generated request {i}"),
                    "created": jira_time(created),
                    "project": { "id": "10000", "key": "SUP", "name": "Support" },
                    "priority": { "id": "2", "name": now_priority },
                    "status": { "id": current.0, "name": current.1, "statusCategory": { "key": category } },
                    "assignee": agent,
                    "reporter": customer,
                    "customfield_10010": { "id": "10200", "value": CATEGORIES[rng.below(3) as usize] },
                    "comment": { "startAt": 0, "maxResults": comments.len(), "total": comments.len(), "comments": comments },
                }
            }));
        }
        let search =
            json!({ "startAt": start, "maxResults": PAGE, "total": count, "issues": issues });
        let mut f = std::io::BufWriter::new(std::fs::File::create(
            pages.join(format!("search-{page:05}.json")),
        )?);
        serde_json::to_writer(&mut f, &search)?;
        f.flush()?;
        let logs = json!({ "startAt": 0, "maxResults": worklogs.len(), "total": worklogs.len(), "worklogs": worklogs });
        std::fs::write(
            pages.join(format!("worklogs-{page:05}.json")),
            serde_json::to_vec(&logs)?,
        )?;
        page += 1;
        start = end;
    }
    Ok(())
}

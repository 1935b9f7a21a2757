//! `slaengine init DIR`: a contracts project of its own for account managers — the
//! standard template with its script and holiday file, one example customer, a contract case per category
//! with its accepted snapshot, the JSON Schema for editors, a commented help desk mapping,
//! a README, a `.gitignore` and a
//! CI check running `slaengine validate` and `slaengine test`. It validates and tests
//! green as created; the project is built beside `DIR` and moved into place whole, so a
//! failure leaves nothing half-written.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone};

use super::{Cli, exit, output_error};
use crate::cases;
use crate::contract::{self, Category, Contract, MemoryLoader};
use crate::error::{Error, InputError};

/// The arguments of `init`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The directory to create (it must not exist, or be empty).
    pub dir: PathBuf,
}

const TEMPLATE: &str = include_str!("../../contracts/templates/standard.yaml");
const SCRIPT: &str = include_str!("../../scripts/standard.rhai");
/// The template's holiday file (`holiday_files: [calendars/ru-2026.ics]`).
const HOLIDAYS: &str = include_str!("../../calendars/ru-2026.ics");
const HOLIDAYS_PATH: &str = "calendars/ru-2026.ics";

/// The example customer's contract: the file name is the customer id tickets carry.
const EXAMPLE: &str = "\
# yaml-language-server: $schema=../schema/contract.json
# An example customer: the standard terms with two changes. Copy this file for each
# customer (its name, without .yaml, is the `customer` id of their tickets) and write
# only what differs from contracts/templates/standard.yaml.
extends: standard
customer: Example Ltd

categories:
  # 3.1: a complete failure is resolved within 4 working hours, not 1 working day.
  error.complete_failure: { resolve: 4 working hours }

allowances:
  # 2.4: 15 hours of small changes a month instead of 10.
  small_changes: { hours: 15 }
";

/// A commented mapping for `ticket import --from`, to copy per help desk.
const MAPPING: &str = "\
# How a help desk's tickets map onto the contracts, for
#   slaengine ticket import --from jira|zendesk|redmine|zammad --mapping mappings/helpdesk.yaml PAGES...
# Every key is optional. `from` is a dotted path into the help desk's record (Jira:
# fields.project.key; Zendesk: organization_id or custom_fields.ID; Redmine: project.name;
# Zammad: organization); `map` turns its values into the contract's; `default` is used
# when the record has no value or `map` lacks it.

# Times the help desk writes without an offset are in this zone.
timezone: Europe/Moscow

# The contract: the customer id, the name of a file in contracts/ without .yaml.
customer: { from: fields.project.key, map: { SUP: example }, default: example }

# A category of the contract.
category:
  from: fields.customfield_10010.value
  map: { \"Module failure\": error.module_failure, \"Complete failure\": error.complete_failure }
  default: error.incorrect_operation

product: { default: erp }

# A priority the contract declares (`priorities:`), if it has any.
priority: { from: fields.priority.name, map: { Highest: critical, High: major }, default: minor }

# Status names that pause the clock or resolve the ticket, besides each help desk's own.
statuses:
  paused: [Waiting for customer]
  resolved: [Done]

# Zammad only: the minutes one accounted time unit stands for.
# time_unit_minutes: 15
";

const GITIGNORE: &str = "\
# Ticket databases and their lock files.
*.redb
*.redb.lock
# Snapshots being written.
*.snap.tmp
";

const CI_SCRIPT: &str = "\
#!/bin/sh
# The contracts' check, for a CI job or before a push: every contract and script loads,
# and every contract case still evaluates as its accepted snapshot says.
set -e
cd \"$(dirname \"$0\")/..\"
slaengine validate
slaengine test
";

const WORKFLOW: &str = "\
# Runs ci/check on every push and pull request. The job builds slaengine from its
# source repository: set the repository variable SLAENGINE_GIT to its git URL.
name: contracts
on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: dtolnay/rust-toolchain@stable
      - run: cargo install --locked --git \"${{ vars.SLAENGINE_GIT }}\" slaengine
      - run: sh ci/check
";

const README: &str = "\
# Support contracts

The support contracts of our customers, executable with slaengine: one YAML file per
customer in `contracts/`, built on the shared terms in `contracts/templates/standard.yaml`, with Rhai scripts in `scripts/` for
what YAML cannot say.

## Every day

```sh
slaengine validate                         # every contract and script loads
slaengine evaluate --ticket ticket.yaml    # deadlines and statuses of a ticket, now
slaengine evaluate --ticket ticket.yaml --explain --at 2026-03-03T12:00:00+03:00
slaengine test                             # every case still evaluates as accepted
slaengine diff --base main                 # what an edit changes, before it is merged
```

## A new customer

1. Copy `contracts/example.yaml` to `contracts/<customer-id>.yaml` and write only what
   differs from the template (targets, hours, time zone, holidays).
2. `slaengine validate <customer-id>`: a mistake is shown with its file, line and column.
3. Add cases: copy `tests/cases/example/` to `tests/cases/<customer-id>/`, change
   `customer:` in each, and run `slaengine test --accept` to accept what they evaluate to.
   Read the new files in `snapshots/` before committing them: they are what the contract
   promises.

## Changing a contract

Edit it, then `slaengine test`: a case whose evaluation changed fails and shows the
difference. If the change is intended, `slaengine test --accept` and commit the contract
with its snapshots; `slaengine diff --base main` shows the effect on the stored tickets.

## Files

- `contracts/` — one `<customer>.yaml` per customer; `templates/` the shared terms.
- `scripts/` — Rhai hooks named by contracts (`scripts: [scripts/standard.rhai]`).
- `calendars/` — iCalendar files of days off named by calendars
  (`holiday_files: [calendars/ru-2026.ics]`); export next year's from any calendar program.
- `tests/cases/<customer>/<case>.yaml` — a ticket and the instants to evaluate it at.
- `snapshots/` — the accepted evaluations of the cases.
- `schema/contract.json` — the contract format, for editors that read
  `# yaml-language-server: $schema=...` (regenerate with `slaengine schema`).
- `mappings/helpdesk.yaml` — how a help desk's tickets map onto the contracts, for
  `slaengine ticket import --from jira|zendesk|redmine|zammad --mapping mappings/helpdesk.yaml`.
- `ci/check` — validate and test, as CI runs them (`.github/workflows/contracts.yml`).
";

/// Runs `init`.
pub fn run(_cli: &Cli, args: &Args) -> Result<u8, Error> {
    let dir = &args.dir;
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            return Err(InputError::new(format!(
                "`{}` is not empty: expected a new or empty directory for the project (nothing was written)",
                dir.display()
            ))
            .into());
        }
    } else if dir.exists() {
        return Err(InputError::new(format!(
            "`{}` is not a directory: expected a new or empty directory for the project",
            dir.display()
        ))
        .into());
    }
    let files = project_files()?;
    // An existing (empty) directory, `.` say, is named by its full path, so that the
    // staging directory goes beside it, not into it.
    let exists = dir.is_dir();
    let full = if exists {
        std::fs::canonicalize(dir).map_err(|e| Error::Io {
            path: dir.display().to_string(),
            source: e,
        })?
    } else {
        dir.clone()
    };
    let name = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into());
    let staging = full.with_file_name(format!(".{name}.init-{}", std::process::id()));
    let written = write_all(&staging, &files).and_then(|()| move_into(&staging, &full, exists));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let mut out = anstream::stdout().lock();
    writeln!(
        out,
        "created {} ({} files); in it, `slaengine validate` and `slaengine test` pass",
        dir.display(),
        files.len()
    )
    .map_err(output_error)?;
    Ok(exit::OK)
}

/// Puts the project written in `staging` in place at `dir`: renamed whole when `dir` does
/// not exist yet; entry by entry into an existing empty `dir` (it may be the current
/// directory, which must stay the same directory).
fn move_into(staging: &Path, dir: &Path, exists: bool) -> Result<(), Error> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |e: std::io::Error| Error::Io { path, source: e }
    };
    if !exists {
        return std::fs::rename(staging, dir).map_err(io(dir));
    }
    for entry in std::fs::read_dir(staging).map_err(io(staging))? {
        let entry = entry.map_err(io(staging))?;
        let target = dir.join(entry.file_name());
        std::fs::rename(entry.path(), &target).map_err(io(&target))?;
    }
    std::fs::remove_dir(staging).map_err(io(staging))
}

/// Writes `files` (paths relative to `root`) under `root`.
fn write_all(root: &Path, files: &BTreeMap<String, String>) -> Result<(), Error> {
    for (path, text) in files {
        let path = root.join(path);
        let io = |e: std::io::Error| Error::Io {
            path: path.display().to_string(),
            source: e,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, text).map_err(io)?;
        #[cfg(unix)]
        if path.ends_with("ci/check") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
        }
    }
    Ok(())
}

/// Every file of a new project, by its path in the project.
fn project_files() -> Result<BTreeMap<String, String>, Error> {
    let mut files = BTreeMap::new();
    files.insert("contracts/templates/standard.yaml".into(), TEMPLATE.into());
    files.insert("contracts/example.yaml".into(), EXAMPLE.into());
    files.insert("scripts/standard.rhai".into(), SCRIPT.into());
    files.insert(HOLIDAYS_PATH.into(), HOLIDAYS.into());
    files.insert(".gitignore".into(), GITIGNORE.into());
    files.insert("mappings/helpdesk.yaml".into(), MAPPING.into());
    files.insert("README.md".into(), README.into());
    files.insert("ci/check".into(), CI_SCRIPT.into());
    files.insert(".github/workflows/contracts.yml".into(), WORKFLOW.into());
    let schema = serde_json::to_string_pretty(&contract::contract_schema())
        .map_err(|e| Error::Input(InputError::new(format!("the schema: {e}"))))?;
    files.insert("schema/contract.json".into(), format!("{schema}\n"));

    let loader = MemoryLoader::new()
        .with("templates/standard.yaml", TEMPLATE)
        .with("example.yaml", EXAMPLE)
        .with_root("scripts/standard.rhai", SCRIPT)
        .with_root(HOLIDAYS_PATH, HOLIDAYS);
    let example = contract::load(&loader, "example")?;
    let mut categories: Vec<&Category> = example.categories.values().collect();
    categories.sort_by_key(|c| clause_order(c));
    for (n, category) in categories.into_iter().enumerate() {
        let case_name = category.id.replace(['.', '_'], "-");
        let input_file = format!("tests/cases/example/{case_name}.yaml");
        let text = case_text(&example, category, n + 1)?;
        let case = cases::parse(&text, &input_file, &example.declared_kinds())?;
        let body = cases::body(&example, &case);
        files.insert(
            format!(
                "snapshots/{}.snap",
                cases::snapshot_name("example", &case_name)
            ),
            cases::snapshot_file(&input_file, &body),
        );
        files.insert(input_file, text);
    }
    Ok(files)
}

/// A category's clause as numbers, so that 1.1.2 comes before 2.1 and 3.4.
fn clause_order(c: &Category) -> Vec<u32> {
    c.clause
        .as_deref()
        .unwrap_or_default()
        .split('.')
        .map(|p| p.parse().unwrap_or(u32::MAX))
        .collect()
}

/// The case of one category: a request registered on a Monday morning, assigned after
/// half an hour, with an hour of work, resolved the next day at noon; evaluated at the
/// assignment, the next morning and after the resolution.
fn case_text(c: &Contract, category: &Category, n: usize) -> Result<String, Error> {
    let tz = c.calendar.timezone();
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d);
    let at = |d: u32, h: u32, m: u32| {
        day(d)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .and_then(|t| tz.from_local_datetime(&t).single())
            .map(|t| t.fixed_offset().to_rfc3339())
            .ok_or_else(|| Error::Input(InputError::new("the example's dates do not exist")))
    };
    let title = category.title.as_deref().unwrap_or(&category.id);
    let clause = category.clause.as_deref().unwrap_or("-");
    let mut text = format!(
        "# Clause {clause}: {title}.\n\
         # Registered on Monday at 10:00, assigned at 10:30, resolved on Tuesday at 12:00.\n\
         ticket:\n  id: EX-{n:03}\n  customer: example\n  category: {}\n  summary: {}\n  registered: {}\n",
        category.id,
        serde_json::to_string(title).unwrap_or_default(),
        at(2, 10, 0)?,
    );
    if category.id == "incident.environment" {
        text.push_str(
            "  fields: { complete_outage: true }   # 3.4 applies only to a complete outage\n",
        );
    }
    text.push_str("  events:\n");
    text.push_str(&format!(
        "    - {{ at: {}, kind: assigned, engineer: engineer }}\n",
        at(2, 10, 30)?
    ));
    if category.allowance.is_some() {
        text.push_str(&format!(
            "    - {{ at: {}, kind: approved }}\n",
            at(2, 11, 0)?
        ));
    }
    text.push_str(&format!(
        "    - {{ at: {}, kind: worklog, hours: 1, engineer: engineer }}\n",
        at(3, 11, 0)?
    ));
    text.push_str(&format!(
        "    - {{ at: {}, kind: resolved }}\n",
        at(3, 12, 0)?
    ));
    text.push_str(&format!(
        "at: [{}, {}, {}]\n",
        at(2, 10, 30)?,
        at(3, 9, 30)?,
        at(3, 12, 0)?
    ));
    Ok(text)
}

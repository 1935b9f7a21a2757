//! Holiday files (`holiday_files`): iCalendar files closing dates of a contract's
//! calendars — how calendars take them, the bundled template's file, and the real binary
//! reading them (a due date, the errors, the revision, the watcher).

use std::time::Duration;

use chrono::NaiveDate;
use slaengine::Error;
use slaengine::contract::{self, DirLoader, MemoryLoader};

use super::cli::Run;
use super::watch::Project;

/// An iCalendar file of all-day events, one per `(start, end exclusive)`.
fn ics(events: &[(&str, &str)]) -> String {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\n");
    for (start, end) in events {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:{start}\r\nDTEND;VALUE=DATE:{end}\r\nEND:VEVENT\r\n"
        ));
    }
    text.push_str("END:VCALENDAR\r\n");
    text
}

fn dates(c: &slaengine::Calendar) -> Vec<String> {
    c.holidays().iter().map(NaiveDate::to_string).collect()
}

const TEMPLATE: &str = "\
calendar:
  timezone: Europe/Moscow
  week: { mon-fri: [\"09:00-18:00\"] }
  holidays: [2026-03-09]
  holiday_files: [calendars/a.ics]
metrics: { resolve: { starts: registered, stops: resolved } }
defaults: { resolve: 1 working day }
categories: { question: {} }
";

fn loader(contract: &str) -> MemoryLoader {
    MemoryLoader::new()
        .with("templates/base.yaml", TEMPLATE)
        .with("acme.yaml", contract)
        .with_root("calendars/a.ics", &ics(&[("20260101", "20260103")]))
        .with_root("calendars/b.ics", &ics(&[("20260504", "20260505")]))
}

#[test]
fn a_named_calendar_takes_the_days_off_of_calendar_unless_it_names_its_own() {
    let c = contract::load(
        &loader(
            "extends: base\ncalendars:\n  \
             taken: { week: { mon-sun: [\"00:00-24:00\"] } }\n  \
             listed: { week: { mon-sun: [\"00:00-24:00\"] }, holidays: [2026-06-12] }\n  \
             none: { week: { mon-sun: [\"00:00-24:00\"] }, holidays: [] }\n  \
             filed: { week: { mon-sun: [\"00:00-24:00\"] }, holiday_files: [calendars/b.ics] }\n",
        ),
        "acme",
    )
    .unwrap();
    assert_eq!(
        dates(&c.calendar),
        ["2026-01-01", "2026-01-02", "2026-03-09"]
    );
    assert_eq!(dates(&c.calendars["taken"]), dates(&c.calendar));
    // Setting either key sets the calendar's days off: `holidays: []` means none.
    assert_eq!(dates(&c.calendars["listed"]), ["2026-06-12"]);
    assert!(dates(&c.calendars["none"]).is_empty());
    assert_eq!(dates(&c.calendars["filed"]), ["2026-05-04"]);
    // Each file is read once, however many calendars take it.
    assert_eq!(c.holiday_files, ["calendars/a.ics", "calendars/b.ics"]);
}

#[test]
fn a_contract_replaces_the_templates_files_and_keeps_its_holidays() {
    let c = contract::load(
        &loader("extends: base\ncalendar: { holiday_files: [calendars/b.ics] }\n"),
        "acme",
    )
    .unwrap();
    assert_eq!(dates(&c.calendar), ["2026-03-09", "2026-05-04"]);
    assert_eq!(c.holiday_files, ["calendars/b.ics"]);
    let c = contract::load(
        &loader("extends: base\ncalendar: { holiday_files: [] }\n"),
        "acme",
    )
    .unwrap();
    assert_eq!(dates(&c.calendar), ["2026-03-09"]);
    assert!(c.holiday_files.is_empty());
}

#[test]
fn a_missing_file_of_a_named_calendar_is_reported_at_its_own_key() {
    let text = "extends: base\ncalendars:\n  always:\n    week: { mon-sun: [\"00:00-24:00\"] }\n    holiday_files: [calendars/a.ics, calendars/c.ics]\n";
    match contract::load(&loader(text), "acme") {
        Err(Error::Input(e)) => assert_eq!(
            e.render(),
            "error: the holiday file `calendars/c.ics` does not exist: expected an iCalendar file `calendars/c.ics` next to the contracts directory\n --> contracts/acme.yaml:5:38\n  |\n5 |     holiday_files: [calendars/a.ics, calendars/c.ics]\n  |                                      ^^^^^^^^^^^^^^^"
        ),
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn the_bundled_template_closes_the_days_its_typed_list_did() {
    // The frozen example project still lists the days in the template; the bundled one
    // reads them from calendars/ru-2026.ics. Every calendar of every contract they share
    // closes the same dates.
    let bundled = DirLoader::new(concat!(env!("CARGO_MANIFEST_DIR"), "/contracts"));
    let frozen = DirLoader::new(format!("{}/contracts", super::watch::FIXTURE));
    let (frozen, failed) = contract::load_all(&frozen).unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    assert!(!frozen.is_empty());
    for (id, old) in &frozen {
        let new = contract::load(&bundled, id).unwrap();
        assert_eq!(new.holiday_files, ["calendars/ru-2026.ics"], "{id}");
        assert!(old.holiday_files.is_empty(), "{id}");
        assert_eq!(dates(&new.calendar), dates(&old.calendar), "{id}");
        assert_eq!(dates(&new.calendar).len(), 14, "{id}");
        for (name, cal) in &old.calendars {
            assert_eq!(dates(&new.calendars[name]), dates(cal), "{id}: {name}");
        }
    }
}

/// A contract of its own in `contracts/hol.yaml`, working 09:00-17:00 in Berlin and
/// closed on the days of `calendars/days-off.ics`.
const CONTRACT: &str = "\
calendar:
  timezone: Europe/Berlin
  week: { mon-fri: [\"09:00-17:00\"] }
  holiday_files: [calendars/days-off.ics]
metrics: { resolve: { starts: registered, stops: resolved } }
defaults: { resolve: 1 working day }
categories: { question: {} }
";

/// Christmas Eve to Boxing Day, every year from 2025.
const CHRISTMAS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r\nUID:christmas\r\nSUMMARY:Christmas\r\nDTSTART;VALUE=DATE:20251224\r\nDTEND;VALUE=DATE:20251227\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn project(args: &[&str], days_off: &str) -> Run {
    Run::bare(args)
        .file("contracts/hol.yaml", CONTRACT)
        .file("calendars/days-off.ics", days_off)
}

/// When 2 working hours from Thursday 2027-12-23, 16:00 are up, `days_off` closing days.
fn due(days_off: &str) -> serde_json::Value {
    let args = [
        "--format",
        "json",
        "calendar",
        "due",
        "--contract",
        "hol",
        "--from",
        "2027-12-23T16:00:00+01:00",
        "--in",
        "2h",
    ];
    let out = project(&args, days_off).run();
    assert_eq!(out.code, 0, "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["due"].clone()
}

#[test]
fn a_due_date_skips_the_days_of_a_holiday_file() {
    // One hour on Thursday; Friday 24 is Christmas Eve (a yearly event from 2025, three
    // days long), then the weekend.
    assert_eq!(due(CHRISTMAS), "2027-12-27T10:00:00+01:00");
    // Without the file's days, the same two hours end on Friday morning.
    assert_eq!(due(&ics(&[])), "2027-12-24T10:00:00+01:00");
}

#[test]
fn a_missing_holiday_file_is_an_error_at_the_key_that_names_it() {
    let out = Run::bare(&["validate", "hol"])
        .file(
            "contracts/hol.yaml",
            &CONTRACT.replace("days-off.ics", "missing.ics"),
        )
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: the holiday file `calendars/missing.ics` does not exist: expected an iCalendar file `calendars/missing.ics` next to the contracts directory\n --> contracts/hol.yaml:4:19\n  |\n4 |   holiday_files: [calendars/missing.ics]\n  |                   ^^^^^^^^^^^^^^^^^^^^^\n"
    );
}

#[test]
fn a_malformed_holiday_file_is_an_error_at_its_own_line() {
    let broken = CHRISTMAS.replace("DTEND;VALUE=DATE:20251227", "DTEND;VALUE=DATE:2025-12-27");
    let out = project(&["validate", "hol"], &broken).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: expected a date like `20260101` in `DTEND`, found `2025-12-27`\n --> calendars/days-off.ics:8:18\n  |\n8 | DTEND;VALUE=DATE:2025-12-27\n  |                  ^^^^^^^^^^\n  = help: `calendar.holiday_files` names this file at contracts/hol.yaml:4\n"
    );
    let unclosed = CHRISTMAS.replace("END:VEVENT\r\n", "");
    let out = project(&["validate", "hol"], &unclosed).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: expected `END:VEVENT` (for the `BEGIN:VEVENT` at line 4), found `END:VCALENDAR`\n  --> calendars/days-off.ics:10:1\n   |\n10 | END:VCALENDAR\n   | ^^^^^^^^^^^^^\n  = help: `calendar.holiday_files` names this file at contracts/hol.yaml:4\n"
    );
}

/// The revision `validate` reports for `hol` with `days_off` as its holiday file.
fn revision(days_off: &str) -> String {
    let out = project(&["--format", "json", "validate", "hol"], days_off).run();
    assert_eq!(out.code, 0, "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["contracts"][0]["revision"].as_str().unwrap().to_owned()
}

#[test]
fn the_revision_changes_with_the_holiday_file() {
    let first = revision(CHRISTMAS);
    assert_eq!(first, revision(CHRISTMAS));
    let edited = CHRISTMAS.replace("SUMMARY:Christmas", "SUMMARY:Christmas holidays");
    assert_ne!(first, revision(&edited));
}

#[test]
fn the_watcher_reloads_a_contract_when_its_holiday_file_changes() {
    let p = Project::new();
    std::fs::create_dir_all(p.path("calendars")).unwrap();
    std::fs::write(p.path("calendars/days-off.ics"), CHRISTMAS).unwrap();
    std::fs::write(p.path("contracts/hol.yaml"), CONTRACT).unwrap();
    // A holiday file at the project root: its folder is watched on its own.
    std::fs::write(p.path("root-days.ics"), ics(&[("20260101", "20260102")])).unwrap();
    std::fs::write(
        p.path("contracts/rooted.yaml"),
        CONTRACT.replace("calendars/days-off.ics", "root-days.ics"),
    )
    .unwrap();
    let mut w = p.watch(&["--now", "2026-03-10T09:05:00+01:00", "--interval", "1h"]);
    let first = w.wait_event("loaded", "hol")["revision"]
        .as_str()
        .unwrap()
        .to_owned();
    let rooted = w.wait_event("loaded", "rooted")["revision"]
        .as_str()
        .unwrap()
        .to_owned();

    // An edit of the file reloads the contract that reads it.
    p.edit(
        "calendars/days-off.ics",
        "SUMMARY:Christmas",
        "SUMMARY:Xmas",
    );
    let reloaded = w.wait_event("reloaded", "hol");
    assert_eq!(reloaded["previous_revision"], first.as_str());
    assert_ne!(reloaded["revision"], first.as_str());

    // A broken file is refused at its line; the last good terms stay.
    p.edit(
        "calendars/days-off.ics",
        "DTSTART;VALUE=DATE:20251224",
        "DTSTART;VALUE=DATE:tomorrow",
    );
    let failed = w.wait_event("reload_failed", "hol");
    assert_eq!(failed["revision"], reloaded["revision"]);
    assert_eq!(failed["error"]["file"], "calendars/days-off.ics");
    assert_eq!(failed["error"]["line"], 7);

    // The file at the root.
    p.edit("root-days.ics", "20260102", "20260103");
    let again = w.wait_event("reloaded", "rooted");
    assert_eq!(again["previous_revision"], rooted.as_str());
    w.drain_for(Duration::from_millis(300));
    let (_, stderr) = w.stop();
    assert!(stderr.is_empty(), "{stderr:?}");
}

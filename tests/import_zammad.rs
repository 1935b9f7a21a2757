//! `ticket import --from zammad`: saved Zammad pages in `tests/data/zammad/` against the
//! tickets expected from them (`expected.yaml`), file to file; and the pages that must be
//! refused with a clear message. After a deliberate change of the mapping,
//! `SLAENGINE_BLESS=1` rewrites `expected.yaml` (read the diff).

use std::path::PathBuf;

use slaengine::Ticket;
use slaengine::import::{Mapping, Page, Source, import, import_all};

/// The fixture directory.
fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/zammad")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap()
}

/// The fixture pages, in the order the CLI reads them (by name).
const PAGES: [&str; 4] = [
    "articles-41.json",
    "history-41.json",
    "tickets-page-1.json",
    "time-accountings-41.json",
];

fn mapping() -> Mapping {
    Mapping::parse(&read("mapping.yaml"), "mapping.yaml").unwrap()
}

fn pages(texts: &[String]) -> Vec<Page<'_>> {
    PAGES
        .iter()
        .zip(texts)
        .map(|(file, text)| Page { file, text })
        .collect()
}

fn imported(mapping: &Mapping) -> Vec<Ticket> {
    let texts: Vec<String> = PAGES.iter().map(|p| read(p)).collect();
    import_all(Source::Zammad, &pages(&texts), mapping).unwrap()
}

fn to_yaml(tickets: &[Ticket]) -> String {
    tickets
        .iter()
        .map(|t| serde_yaml::to_string(t).unwrap())
        .collect::<Vec<_>>()
        .join("---\n")
}

#[test]
fn the_pages_give_the_expected_tickets() {
    let tickets = imported(&mapping());
    let actual = to_yaml(&tickets);
    let path = dir().join("expected.yaml");
    if std::env::var_os("SLAENGINE_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    let wanted: Vec<Ticket> = slaengine::ticket::parse_all(&expected, "expected.yaml")
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tickets, wanted, "imported:\n{actual}");
}

#[test]
fn without_a_mapping_the_organization_and_priority_name_are_used() {
    let texts: Vec<String> = PAGES.iter().map(|p| read(p)).collect();
    // Times without an offset need the mapping's time zone.
    let all = import(Source::Zammad, &pages(&texts), &Mapping::default());
    let err = all[0].as_ref().unwrap_err();
    assert!(
        err.message.starts_with(
            "time-accountings-41.json: time accounting `64` of ticket `31001`: created_at: the time `2026-03-04 15:30:00` has no offset"
        ),
        "{}",
        err.message
    );
    let err = all[1].as_ref().unwrap_err();
    assert!(
        err.message.starts_with(
            "tickets-page-1.json: record `31002`: created_at: the time `2026-03-03 10:00:00` has no offset"
        ),
        "{}",
        err.message
    );
    assert!(err.message.contains("timezone"), "{}", err.message);

    let zone_only = Mapping::parse("timezone: Europe/Moscow\n", "m.yaml").unwrap();
    let all = import(Source::Zammad, &pages(&texts), &zone_only);
    let first = all[0].as_ref().unwrap();
    assert_eq!(first.customer, "acme corp");
    assert_eq!(first.priority.as_deref(), Some("normal"));
    assert_eq!(first.category, None);
    // Without the mapping's `resolved`, only `closed` resolves: one resolution, later.
    let resolved: Vec<String> = first
        .events
        .iter()
        .filter(|e| e.kind.as_str() == "resolved")
        .map(|e| e.at.to_rfc3339())
        .collect();
    assert_eq!(resolved, ["2026-03-04T13:35:00+00:00"]);
    // Time units are minutes unless the mapping says otherwise.
    let hours: Vec<f64> = first.events.iter().filter_map(|e| e.hours).collect();
    assert_eq!(hours, [0.0667, 0.0167]);
}

fn one(file: &str, text: &str) -> Vec<Result<Ticket, slaengine::InputError>> {
    import(Source::Zammad, &[Page { file, text }], &mapping())
}

#[test]
fn a_truncated_page_is_located() {
    let text = read("history-41.json");
    let cut = &text[..text.len() / 2];
    let all = one("cut.json", cut);
    assert_eq!(all.len(), 1);
    let err = all[0].as_ref().unwrap_err();
    assert!(err.message.contains("ends too early"), "{}", err.message);
    let loc = err.location.clone().unwrap();
    assert_eq!(loc.file, "cut.json");
    assert!(loc.line > 1, "{loc}");
}

#[test]
fn a_ticket_without_created_at_names_its_number_and_field() {
    let text = r#"[
        {"id": 1, "number": "31007", "title": "x", "state": "open", "organization": "ACME Corp"},
        {"id": 2, "number": "31008", "state": "open", "organization": "ACME Corp",
         "created_at": "2026-03-04T10:00:00.000Z"}
    ]"#;
    let all = one("p.json", text);
    assert_eq!(
        all[0].as_ref().unwrap_err().message,
        "p.json: record `31007`: created_at: missing: expected a time like `2021-06-01T11:57:17.935Z`"
    );
    // The other record is still there for --skip-bad.
    assert_eq!(all[1].as_ref().unwrap().id, "31008");
    assert_eq!(all[1].as_ref().unwrap().customer, "acme");
}

#[test]
fn records_of_a_missing_ticket_and_bad_time_units_are_named() {
    let all = one("t.json", &read("time-accountings-41.json"));
    assert!(
        all[0]
            .as_ref()
            .unwrap_err()
            .message
            .starts_with("t.json: records of the ticket with id `41`: no ticket with that id"),
        "{:?}",
        all[0]
    );
    let tickets = read("tickets-page-1.json");
    let bad = read("time-accountings-41.json").replace("\"4.0\"", "\"-4\"");
    let all = import(
        Source::Zammad,
        &[
            Page {
                file: "tickets.json",
                text: &tickets,
            },
            Page {
                file: "t.json",
                text: &bad,
            },
        ],
        &mapping(),
    );
    assert_eq!(
        all[0].as_ref().unwrap_err().message,
        "t.json: time accounting `63` of ticket `31001`: time_unit: expected a positive number (like `\"1.5\"`) of the units time is accounted in"
    );
}

#[test]
fn a_page_of_another_help_desk_is_recognised() {
    let text = r#"{"issues": [{"id": "1", "key": "SUP-1", "fields": {"created": "2026-03-02T09:15:00.000+0300"}}]}"#;
    let all = one("search.json", text);
    let err = all[0].as_ref().unwrap_err();
    assert!(
        err.message.starts_with(
            "search.json: this looks like a Jira page, not a Zammad one: import it with `--from jira`, or give `--from zammad` a Zammad page"
        ),
        "{}",
        err.message
    );
}

/// The binary, with a database of the test's own.
fn slaengine(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_slaengine"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn the_command_imports_a_directory_checked_against_the_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.db");
    let pages = dir();
    let mapping = dir().join("mapping.yaml");
    let (pages, mapping) = (pages.to_str().unwrap(), mapping.to_str().unwrap());
    let args = [
        "ticket",
        "import",
        "--from",
        "zammad",
        "--mapping",
        mapping,
        pages,
    ];
    for _ in 0..2 {
        let out = slaengine(&db, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.starts_with("imported 2 tickets from zammad"),
            "{stdout}"
        );
    }
    let out = slaengine(&db, &["ticket", "export"]);
    let exported: Vec<Ticket> =
        slaengine::ticket::parse_all(&String::from_utf8_lossy(&out.stdout), "x")
            .collect::<Result<_, _>>()
            .unwrap();
    assert_eq!(exported, imported(&self::mapping()));
}

#[test]
fn the_command_writes_nothing_on_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.db");
    let jira = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/jira/search-page-1.json");
    let out = slaengine(
        &db,
        &[
            "ticket",
            "import",
            "--from",
            "zammad",
            "--unchecked",
            jira.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("import it with `--from jira`"), "{stderr}");
    let out = slaengine(&db, &["ticket", "export"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

//! `ticket import --from zendesk`: saved Zendesk pages in `tests/data/zendesk/` against
//! the tickets expected from them (`expected.yaml`), file to file; and the pages that
//! must be refused with a clear message. After a deliberate change of the mapping,
//! `SLAENGINE_BLESS=1` rewrites `expected.yaml` (read the diff).

use std::path::PathBuf;

use slaengine::Ticket;
use slaengine::import::{Mapping, Page, Source, import, import_all};

/// The fixture directory.
fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/zendesk")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap()
}

/// The fixture pages, in the order the CLI reads them (by name).
const PAGES: [&str; 5] = [
    "audits-1.json",
    "metric_events-1.json",
    "ticket_fields.json",
    "tickets-1.json",
    "users.json",
];

fn mapping() -> Mapping {
    Mapping::parse(&read("mapping.yaml"), "mapping.yaml").unwrap()
}

fn run(names: &[&str], mapping: &Mapping) -> Vec<Result<Ticket, slaengine::InputError>> {
    let texts: Vec<String> = names.iter().map(|p| read(p)).collect();
    let pages: Vec<Page<'_>> = names
        .iter()
        .zip(&texts)
        .map(|(file, text)| Page { file, text })
        .collect();
    import(Source::Zendesk, &pages, mapping)
}

fn imported(mapping: &Mapping) -> Vec<Ticket> {
    let texts: Vec<String> = PAGES.iter().map(|p| read(p)).collect();
    let pages: Vec<Page<'_>> = PAGES
        .iter()
        .zip(&texts)
        .map(|(file, text)| Page { file, text })
        .collect();
    import_all(Source::Zendesk, &pages, mapping).unwrap()
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
fn without_a_mapping_the_organization_and_priority_are_used() {
    let all = run(&PAGES, &Mapping::default());
    let first = all[0].as_ref().unwrap();
    assert_eq!(first.customer, "9001");
    // The priority the ticket was created with, not the one it has now.
    assert_eq!(first.priority.as_deref(), Some("normal"));
    assert_eq!(first.category, None);
    // 102 was created at a time without an offset, and there is no time zone to read it in.
    let err = all[1].as_ref().unwrap_err();
    assert!(
        err.message.starts_with(
            "tickets-1.json: record `102`: created_at: the time `2026-03-05 10:00:00` has no offset"
        ),
        "{}",
        err.message
    );
    assert!(err.message.contains("timezone"), "{}", err.message);
}

#[test]
fn without_the_field_list_there_are_no_worklogs_and_ids_name_people() {
    let all = run(&["audits-1.json", "tickets-1.json"], &mapping());
    let first = all[0].as_ref().unwrap();
    assert!(first.events.iter().all(|e| e.kind.as_str() != "worklog"));
    assert_eq!(first.events[0].engineer.as_deref(), Some("8001"));
}

fn one(file: &str, text: &str) -> Vec<Result<Ticket, slaengine::InputError>> {
    import(Source::Zendesk, &[Page { file, text }], &mapping())
}

#[test]
fn a_truncated_page_is_located() {
    let text = read("audits-1.json");
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
fn a_ticket_without_created_at_names_its_id_and_field() {
    let text = r#"{"tickets": [
        {"id": 7, "subject": "x", "organization_id": 9001, "status": "open"},
        {"id": 8, "created_at": "2026-03-04T10:00:00Z", "organization_id": 9001, "status": "open"},
        {"subject": "no id", "created_at": "2026-03-04T10:00:00Z"}
    ], "end_of_stream": true}"#;
    let all = one("p.json", text);
    assert_eq!(
        all[0].as_ref().unwrap_err().message,
        "p.json: record `number 3 of the page`: id: missing: every ticket needs its id (like `35436`)"
    );
    assert_eq!(
        all[1].as_ref().unwrap_err().message,
        "p.json: record `7`: created_at: missing: expected a time like `2026-03-02T09:15:00Z`"
    );
    // The other record is still there for --skip-bad.
    assert_eq!(all[2].as_ref().unwrap().id, "8");
    assert_eq!(all[2].as_ref().unwrap().customer, "acme");
}

#[test]
fn audits_without_their_ticket_are_refused() {
    let all = run(&["audits-1.json"], &mapping());
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0].as_ref().unwrap_err().message,
        "audits-1.json: audits of the ticket `101`: ticket_id: no ticket page given holds that ticket: add the page that holds it"
    );
}

#[test]
fn a_jira_page_is_recognised() {
    let text = r#"{"issues": [{"id": "1", "key": "SUP-1", "fields": {}}], "total": 1}"#;
    let all = one("search.json", text);
    let err = all[0].as_ref().unwrap_err();
    assert!(
        err.message.starts_with(
            "search.json: this looks like a Jira page, not a Zendesk one: import it with `--from jira`, or give `--from zendesk` a Zendesk ticket page"
        ),
        "{}",
        err.message
    );
    let err = one("x.json", r#"{"hello": 1}"#).remove(0).unwrap_err();
    assert!(
        err.message
            .starts_with("x.json: expected a Zendesk ticket page"),
        "{}",
        err.message
    );
}

/// The binary, on the fixture pages, with a database of the test's own.
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
fn the_command_imports_a_directory_and_updates_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.db");
    let pages = dir();
    let mapping = dir().join("mapping.yaml");
    let (pages, mapping) = (pages.to_str().unwrap(), mapping.to_str().unwrap());
    let args = [
        "ticket",
        "import",
        "--from",
        "zendesk",
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
            stdout.starts_with("imported 2 tickets from zendesk"),
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
    let jira = tmp.path().join("search.json");
    std::fs::write(&jira, r#"{"issues": [], "total": 0}"#).unwrap();
    let tickets = dir().join("tickets-1.json");
    let out = slaengine(
        &db,
        &[
            "ticket",
            "import",
            "--from",
            "zendesk",
            "--unchecked",
            tickets.to_str().unwrap(),
            jira.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("looks like a Jira page") && stderr.contains("--from jira"),
        "{stderr}"
    );
    let out = slaengine(&db, &["ticket", "export"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

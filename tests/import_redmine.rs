//! `ticket import --from redmine`: saved Redmine pages in `tests/data/redmine/` against
//! the tickets expected from them (`expected.yaml`), file to file; and the pages that
//! must be refused with a clear message. After a deliberate change of the mapping,
//! `SLAENGINE_BLESS=1` rewrites `expected.yaml` (read the diff).

use std::path::PathBuf;

use slaengine::Ticket;
use slaengine::import::{Mapping, Page, Source, import, import_all};

/// The fixture directory.
fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/redmine")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap()
}

/// The fixture pages, in the order the CLI reads them (by name).
const PAGES: [&str; 2] = ["issues-page-1.json", "time-entries-page-1.json"];

fn mapping() -> Mapping {
    Mapping::parse(&read("mapping.yaml"), "mapping.yaml").unwrap()
}

fn pages_of(texts: &[String]) -> Vec<Page<'_>> {
    PAGES
        .iter()
        .zip(texts)
        .map(|(file, text)| Page { file, text })
        .collect()
}

fn imported(mapping: &Mapping) -> Vec<Ticket> {
    let texts: Vec<String> = PAGES.iter().map(|p| read(p)).collect();
    import_all(Source::Redmine, &pages_of(&texts), mapping).unwrap()
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
fn without_a_mapping_the_project_and_priority_names_are_used() {
    let texts: Vec<String> = PAGES.iter().map(|p| read(p)).collect();
    let all = import(Source::Redmine, &pages_of(&texts), &Mapping::default());
    // 101's time entry without `created_on` has only its date and no zone to place it in.
    let err = all[0].as_ref().unwrap_err();
    assert!(
        err.message.starts_with(
            "time-entries-page-1.json: time entry `2` of record `101`: spent_on: the time `2026-03-04T12:00:00` has no offset"
        ),
        "{}",
        err.message
    );
    // 102 was created at a time without an offset.
    let err = all[1].as_ref().unwrap_err();
    assert!(
        err.message.starts_with(
            "issues-page-1.json: record `102`: created_on: the time `2026-03-04T10:00:00` has no offset"
        ),
        "{}",
        err.message
    );
    let one = import(
        Source::Redmine,
        &[Page {
            file: "issues-page-1.json",
            text: &texts[0],
        }],
        &Mapping::default(),
    );
    let first = one[0].as_ref().unwrap();
    assert_eq!(first.customer, "acme corp");
    // The priority at creation, before journal 5 raised it.
    assert_eq!(first.priority.as_deref(), Some("normal"));
    assert_eq!(first.category, None);
}

fn one(file: &str, text: &str) -> Vec<Result<Ticket, slaengine::InputError>> {
    import(Source::Redmine, &[Page { file, text }], &mapping())
}

#[test]
fn a_truncated_page_is_located() {
    let text = read("issues-page-1.json");
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
fn an_issue_without_created_on_names_its_number_and_field() {
    let text = r#"{"issues": [
        {"id": 7, "tracker": {"id": 1, "name": "Errors"}, "project": {"id": 1, "name": "ACME Corp"}, "subject": "x", "journals": []},
        {"id": 8, "tracker": {"id": 1, "name": "Errors"}, "project": {"id": 1, "name": "ACME Corp"}, "created_on": "2026-03-04T10:00:00Z", "journals": []}
    ], "total_count": 2, "offset": 0, "limit": 25}"#;
    let all = one("p.json", text);
    assert_eq!(
        all[0].as_ref().unwrap_err().message,
        "p.json: record `7`: created_on: missing: expected a time like `2016-01-26T12:39:26.000Z`"
    );
    // The other record is still there for --skip-bad.
    assert_eq!(all[1].as_ref().unwrap().id, "8");
    assert_eq!(all[1].as_ref().unwrap().customer, "acme");
}

#[test]
fn a_jira_page_is_recognised() {
    let text = r#"{"startAt": 0, "maxResults": 50, "total": 1, "issues": [{"id": "10001", "key": "SUP-1", "fields": {"created": "2026-03-02T09:15:00.000+0300"}}]}"#;
    let all = one("search.json", text);
    assert_eq!(all.len(), 1);
    let err = all[0].as_ref().unwrap_err();
    assert!(
        err.message.starts_with(
            "search.json: this looks like a Jira page, not a Redmine one: import it with `--from jira`, or give `--from redmine` a Redmine issue page"
        ),
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
fn the_command_imports_a_directory_and_writes_nothing_on_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.db");
    let mapping = dir().join("mapping.yaml");
    let (pages, mapping) = (dir(), mapping.to_str().unwrap().to_owned());
    let pages = pages.to_str().unwrap();

    // Without a mapping, nothing is written.
    let out = slaengine(
        &db,
        &[
            "ticket",
            "import",
            "--from",
            "redmine",
            "--unchecked",
            pages,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("record `101`: spent_on") && stderr.contains("timezone"),
        "{stderr}"
    );
    let out = slaengine(&db, &["ticket", "export"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");

    let args = [
        "ticket",
        "import",
        "--from",
        "redmine",
        "--mapping",
        &mapping,
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
            stdout.starts_with("imported 2 tickets from redmine"),
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

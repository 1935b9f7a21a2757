//! `ticket import --from jira`: saved Jira pages in `tests/data/jira/` against the
//! tickets expected from them (`expected.yaml`), file to file; and the pages and
//! mapping files that must be refused with a clear message. After a deliberate change
//! of the mapping, `SLAENGINE_BLESS=1` rewrites `expected.yaml` (read the diff).

use std::path::PathBuf;

use slaengine::Ticket;
use slaengine::import::{Mapping, Page, Source, import, import_all};

/// The fixture directory.
fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/jira")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap()
}

/// The fixture pages, in the order the CLI reads them (by name).
const PAGES: [&str; 2] = ["search-page-1.json", "worklogs-page-1.json"];

fn mapping() -> Mapping {
    Mapping::parse(&read("mapping.yaml"), "mapping.yaml").unwrap()
}

fn imported(mapping: &Mapping) -> Vec<Ticket> {
    let texts: Vec<String> = PAGES.iter().map(|p| read(p)).collect();
    let pages: Vec<Page<'_>> = PAGES
        .iter()
        .zip(&texts)
        .map(|(file, text)| Page { file, text })
        .collect();
    import_all(Source::Jira, &pages, mapping).unwrap()
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
fn without_a_mapping_the_project_key_and_priority_name_are_used() {
    let texts: Vec<String> = PAGES.iter().map(|p| read(p)).collect();
    let pages: Vec<Page<'_>> = PAGES
        .iter()
        .zip(&texts)
        .map(|(file, text)| Page { file, text })
        .collect();
    let all = import(Source::Jira, &pages, &Mapping::default());
    let first = all[0].as_ref().unwrap();
    assert_eq!(first.customer, "sup");
    assert_eq!(first.priority.as_deref(), Some("medium"));
    assert_eq!(first.category, None);
    // SUP-2 was created at a time without an offset, and there is no time zone to read it in.
    let err = all[1].as_ref().unwrap_err();
    assert!(
        err.message
            .starts_with("search-page-1.json: record `SUP-2`: fields.created: the time `2026-03-04T10:00:00.000` has no offset"),
        "{}",
        err.message
    );
    assert!(err.message.contains("timezone"), "{}", err.message);
}

fn one(file: &str, text: &str) -> Vec<Result<Ticket, slaengine::InputError>> {
    import(Source::Jira, &[Page { file, text }], &mapping())
}

#[test]
fn a_truncated_page_is_located() {
    let text = read("search-page-1.json");
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
fn an_issue_without_created_names_its_key_and_field() {
    let text = r#"{"issues": [
        {"id": "1", "key": "SUP-7", "fields": {"summary": "x", "project": {"key": "SUP"}}},
        {"id": "2", "key": "SUP-8", "fields": {"created": "2026-03-04T10:00:00.000+0300", "project": {"key": "SUP"}}}
    ]}"#;
    let all = one("p.json", text);
    assert_eq!(
        all[0].as_ref().unwrap_err().message,
        "p.json: record `SUP-7`: fields.created: missing: expected a time like `2016-03-03T13:40:01.000+0000`"
    );
    // The other record is still there for --skip-bad.
    assert_eq!(all[1].as_ref().unwrap().id, "SUP-8");
    assert_eq!(all[1].as_ref().unwrap().customer, "acme");
}

#[test]
fn a_cut_changelog_is_refused() {
    let text = r#"{"issues": [{"id": "1", "key": "SUP-9",
        "changelog": {"startAt": 0, "maxResults": 1, "total": 3, "histories": []},
        "fields": {"created": "2026-03-04T10:00:00.000+0300", "project": {"key": "SUP"}}}]}"#;
    let err = one("p.json", text).remove(0).unwrap_err();
    assert!(
        err.message.starts_with(
            "p.json: record `SUP-9`: changelog.histories: the pages hold 0 of the 3 changelog entries"
        ),
        "{}",
        err.message
    );
}

#[test]
fn a_zendesk_page_is_recognised() {
    let text = r#"{"tickets": [{"id": 35436, "status": "open", "created_at": "2026-03-02T09:15:00Z"}], "next_page": null, "end_of_stream": true}"#;
    let all = one("tickets.json", text);
    let err = all[0].as_ref().unwrap_err();
    assert!(
        err.message
            .starts_with("tickets.json: this looks like a Zendesk page, not a Jira one: import it with `--from zendesk`"),
        "{}",
        err.message
    );
}

#[test]
fn a_mapping_mistake_is_located() {
    let text =
        "timezone: Europe/Moscow\ncustomer: { from: fields.project.key, mapp: { SUP: acme } }\n";
    let err = Mapping::parse(text, "m.yaml").unwrap_err();
    let loc = err.location.clone().unwrap();
    assert_eq!(loc.to_string(), "m.yaml:2:39");
    assert!(
        err.message.contains("unknown field `mapp`"),
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
        "jira",
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
            stdout.starts_with("imported 2 tickets from jira"),
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
fn the_command_writes_nothing_on_bad_input_and_skips_with_skip_bad() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.db");
    let bad_mapping = tmp.path().join("bad.yaml");
    std::fs::write(
        &bad_mapping,
        "timezone: Europe/Moscow\nstatuses: { pause: [x] }\n",
    )
    .unwrap();
    let search = dir().join("search-page-1.json");
    let search = search.to_str().unwrap();
    let out = slaengine(
        &db,
        &[
            "ticket",
            "import",
            "--from",
            "jira",
            "--mapping",
            bad_mapping.to_str().unwrap(),
            search,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.yaml:2:13"), "{stderr}");

    // Without a mapping, the project key names the customer, `sup`, who has no contract:
    // refused, as any import of a ticket its contract cannot evaluate.
    let out = slaengine(&db, &["ticket", "import", "--from", "jira", search]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ticket `SUP-1`: no contract `sup`") && stderr.contains("--unchecked"),
        "{stderr}"
    );

    // Stored unchecked, SUP-2's time has no zone: nothing is written...
    let out = slaengine(
        &db,
        &["ticket", "import", "--from", "jira", "--unchecked", search],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("record `SUP-2`: fields.created"),
        "{stderr}"
    );
    let out = slaengine(&db, &["ticket", "export"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");

    // ...unless --skip-bad lists it and imports the rest.
    let out = slaengine(
        &db,
        &[
            "ticket",
            "import",
            "--from",
            "jira",
            "--skip-bad",
            "--unchecked",
            search,
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("imported 1 ticket from jira") && stdout.contains("skipped 1 bad record"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("SUP-2"));

    // A help desk misspelt.
    let out = slaengine(&db, &["ticket", "import", "--from", "jiira", search]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown help desk `jiira`")
            && String::from_utf8_lossy(&out.stderr).contains("(did you mean `jira`?)")
    );
}

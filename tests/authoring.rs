//! Contract authoring as an account manager does it: `slaengine test` over the contract
//! cases and their snapshots, `slaengine diff` against a directory or a git revision.

use super::watch::{FIXTURE, Project};

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or_default()
}

#[test]
fn the_bundled_cases_pass() {
    let p = Project::with_cases();
    let (code, out, err) = p.run(&["test"], "");
    assert_eq!(code, 0, "{out}{err}");
    let last = last_line(&out);
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let n: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(n >= 50, "{last}");
}

#[test]
fn a_tightened_target_fails_with_a_diff_naming_the_deadline_until_accepted() {
    let p = Project::with_cases();
    p.edit(
        "contracts/acme.yaml",
        "error.complete_failure: { resolve: 4 working hours }",
        "error.complete_failure: { resolve: 2 working hours }",
    );
    let (code, out, _) = p.run(&["test", "acme"], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED acme/complete-failure: the evaluation changed"),
        "{out}"
    );
    assert!(
        out.contains("--- snapshots/acme__complete-failure.snap"),
        "{out}"
    );
    assert!(out.contains("-    target: 4 working hours"), "{out}");
    assert!(out.contains("+    target: 2 working hours"), "{out}");
    let removed = out
        .lines()
        .filter(|l| l.starts_with("-    deadline:"))
        .count();
    let added = out
        .lines()
        .filter(|l| l.starts_with("+    deadline:"))
        .count();
    assert!(removed > 0 && added > 0, "{out}");
    // Other contracts' cases are not affected.
    assert!(!out.contains("globex/"), "{out}");
    assert!(last_line(&out).ends_with(" failed") && !last_line(&out).ends_with(" 0 failed"));

    // Accepting writes the new snapshots; then the cases pass.
    let (code, out, _) = p.run(&["test", "acme", "--accept"], "");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("updated acme/complete-failure → snapshots/acme__complete-failure.snap"),
        "{out}"
    );
    let (code, out, _) = p.run(&["test"], "");
    assert_eq!(code, 0, "{out}");
    let snap = std::fs::read_to_string(p.path("snapshots/acme__complete-failure.snap")).unwrap();
    // The header names the case, nothing of the engine's own files.
    assert!(
        snap.starts_with("---\ninput_file: tests/cases/acme/complete-failure.yaml\n---\n"),
        "{snap}"
    );
    assert!(snap.contains("target: 2 working hours"), "{snap}");
}

#[test]
fn a_missing_snapshot_fails_with_a_hint_and_a_broken_contract_is_bad_input() {
    let p = Project::with_cases();
    std::fs::remove_file(p.path("snapshots/globex__short-day.snap")).unwrap();
    let (code, out, _) = p.run(&["test", "globex"], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED globex/short-day: no snapshot `snapshots/globex__short-day.snap` (run `slaengine test --accept` to write it)"),
        "{out}"
    );
    let (code, out, _) = p.run(&["--format", "json", "test", "globex"], "");
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "slaengine.test/v1");
    assert_eq!(v["failed"], 1);
    assert!(
        v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "missing")
    );

    p.edit(
        "contracts/globex.yaml",
        "day_length: 8h",
        "day_length: eight",
    );
    let (code, out, err) = p.run(&["test", "globex"], "");
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("contracts/globex.yaml:16:15"), "{err}");
    assert!(last_line(&out).starts_with("0 passed"), "{out}");

    let (code, _, err) = p.run(&["test", "nobody"], "");
    assert_eq!(code, 2);
    assert!(err.contains("no contract `nobody`"), "{err}");
}

#[test]
fn a_renamed_case_leaves_an_orphan_snapshot_that_is_reported() {
    let p = Project::with_cases();
    std::fs::rename(
        p.path("tests/cases/globex/short-day.yaml"),
        p.path("tests/cases/globex/shorter-day.yaml"),
    )
    .unwrap();
    // With the contracts named by an absolute path, the snapshot written still names its
    // case relative to the project.
    let contracts = p.path("contracts").display().to_string();
    let (code, out, _) = p.run(
        &["--contracts", &contracts, "test", "globex", "--accept"],
        "",
    );
    assert_eq!(code, 0, "{out}");
    let snap = std::fs::read_to_string(p.path("snapshots/globex__shorter-day.snap")).unwrap();
    assert!(
        snap.contains("\ninput_file: tests/cases/globex/shorter-day.yaml\n"),
        "{snap}"
    );
    assert!(
        out.contains("snapshots/globex__short-day.snap`: no case produces it"),
        "{out}"
    );
    let (code, out, _) = p.run(&["--format", "json", "test"], "");
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["orphans"],
        serde_json::json!(["snapshots/globex__short-day.snap"])
    );
    // Only the named contracts' snapshots are looked at.
    let (_, out, _) = p.run(&["test", "acme"], "");
    assert!(!out.contains("orphan"), "{out}");
    // A contract whose id begins like another's, followed by `__`, owns its snapshots.
    std::fs::create_dir_all(p.path("tests/cases/globex__eu")).unwrap();
    std::fs::copy(
        p.path("contracts/globex.yaml"),
        p.path("contracts/globex__eu.yaml"),
    )
    .unwrap();
    let case = std::fs::read_to_string(p.path("tests/cases/globex/shorter-day.yaml")).unwrap();
    std::fs::write(
        p.path("tests/cases/globex__eu/vip.yaml"),
        case.replace("customer: globex", "customer: globex__eu"),
    )
    .unwrap();
    let (code, out, _) = p.run(&["test", "globex__eu", "--accept"], "");
    assert_eq!(code, 0, "{out}");
    let (_, out, _) = p.run(&["test", "globex"], "");
    assert!(!out.contains("globex__eu__vip"), "{out}");
    assert!(out.contains("globex__short-day.snap"), "{out}");
    // A case named with `__` would share its snapshot name with another contract's case
    // (`globex` + `eu__vip` and `globex__eu` + `vip`): it is refused, and nothing written.
    std::fs::write(p.path("tests/cases/globex/eu__vip.yaml"), case.clone()).unwrap();
    let before = std::fs::read(p.path("snapshots/globex__eu__vip.snap")).unwrap();
    let (code, _, err) = p.run(&["test", "globex", "--accept"], "");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("eu__vip.yaml: a case name cannot contain `__`")
            && err.contains("e.g. to `eu-vip.yaml`"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(p.path("snapshots/globex__eu__vip.snap")).unwrap(),
        before
    );
    // Other contracts' runs, and their orphans, do not depend on it.
    let (code, out, err) = p.run(&["test", "globex__eu"], "");
    assert_eq!(code, 0, "{out}{err}");
    std::fs::rename(
        p.path("tests/cases/globex/eu__vip.yaml"),
        p.path("tests/cases/globex/_vip.yaml"),
    )
    .unwrap();
    // `globex` + `_vip` and `globex_` + `vip` would share `globex___vip.snap`.
    let (code, _, err) = p.run(&["test", "globex"], "");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("_vip.yaml: a case name cannot contain `__` or start with `_`"),
        "{err}"
    );
    std::fs::remove_file(p.path("tests/cases/globex/_vip.yaml")).unwrap();
    // With the cases named by an absolute path and the contracts by a relative one.
    let cases = p.path("tests/cases").display().to_string();
    std::fs::remove_file(p.path("snapshots/globex__shorter-day.snap")).unwrap();
    let (code, out, _) = p.run(&["test", "globex", "--cases", &cases, "--accept"], "");
    assert_eq!(code, 0, "{out}");
    let snap = std::fs::read_to_string(p.path("snapshots/globex__shorter-day.snap")).unwrap();
    assert!(
        snap.contains("\ninput_file: tests/cases/globex/shorter-day.yaml\n"),
        "{snap}"
    );
}

/// `n` ACME complete failures registered on consecutive Tuesdays at 10:00 and resolved
/// three working hours later (met under 4 working hours, breached under 2), and `n`
/// module failures resolved the same way (1 working day: met either way).
fn seed(p: &Project, n: usize) {
    let mut lines = String::new();
    for i in 0..n {
        let day = 3 + 7 * (i % 4);
        for (prefix, category) in [
            ("CF", "error.complete_failure"),
            ("MF", "error.module_failure"),
        ] {
            lines.push_str(&format!(
                "{{\"id\":\"{prefix}-{i}\",\"customer\":\"acme\",\"product\":\"erp\",\"category\":\"{category}\",\"registered\":\"2026-03-{day:02}T10:00:00+05:00\",\"events\":[{{\"at\":\"2026-03-{day:02}T10:10:00+05:00\",\"kind\":\"assigned\"}},{{\"at\":\"2026-03-{day:02}T13:00:00+05:00\",\"kind\":\"resolved\"}}]}}\n"
            ));
        }
    }
    lines.push_str("{\"id\":\"G-1\",\"customer\":\"globex\",\"product\":\"erp\",\"category\":\"error.complete_failure\",\"registered\":\"2026-03-03T10:00:00+03:00\"}\n");
    let (code, _, err) = p.run(&["ticket", "import", "-"], &lines);
    assert_eq!(code, 0, "{err}");
}

fn tighten(p: &Project) {
    p.edit(
        "contracts/acme.yaml",
        "error.complete_failure: { resolve: 4 working hours }",
        "error.complete_failure: { resolve: 2 working hours }",
    );
}

const AT: &str = "2026-03-31T12:00:00+05:00";

#[test]
fn diff_reports_exactly_the_affected_tickets() {
    let p = Project::with_cases();
    seed(&p, 6);
    // The deployed contracts, as a directory.
    let base = format!("{FIXTURE}/contracts");
    tighten(&p);
    let (code, out, err) = p.run(
        &["--format", "json", "diff", "--base", &base, "--at", AT],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "slaengine.diff/v1");
    let contracts = v["contracts"].as_array().unwrap();
    let acme = contracts.iter().find(|c| c["id"] == "acme").unwrap();
    assert_eq!(acme["status"], "changed");
    assert_eq!(acme["tickets_evaluated"], 12);
    let mut changed: Vec<&str> = acme["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticket"].as_str().unwrap())
        .collect();
    changed.sort();
    assert_eq!(changed, ["CF-0", "CF-1", "CF-2", "CF-3", "CF-4", "CF-5"]);
    assert_eq!(acme["newly_breached"], 6);
    assert_eq!(acme["newly_met"], 0);
    // 12 tickets × 2 metrics all met before; 6 resolutions breached after.
    assert_eq!(acme["compliance_before"], 100.0);
    assert_eq!(acme["compliance_after"], 75.0);
    let first = &acme["tickets"][0]["changes"];
    assert!(
        first
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "status"
                && c["metric"] == "resolve"
                && c["before"] == "met"
                && c["after"] == "breached"),
        "{first}"
    );
    assert!(
        acme["cases_changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "complete-failure")
    );
    for other in ["globex", "initech"] {
        let c = contracts.iter().find(|c| c["id"] == other).unwrap();
        assert_eq!(c["status"], "unchanged", "{c}");
        assert_eq!(c["tickets_evaluated"], 0, "{c}");
    }
    assert_eq!(v["tickets_changed"], 6);

    // For CI: a newly breached ticket fails the check.
    let (code, out, _) = p.run(
        &["diff", "--base", &base, "--at", AT, "--fail-on", "breach"],
        "",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("6 tickets changed, 6 newly breached"), "{out}");
}

#[test]
fn diff_against_a_git_revision_leaves_the_working_tree_alone() {
    let p = Project::with_cases();
    seed(&p, 2);
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(p.path(""))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "contracts", "scripts", "tests", "snapshots"]);
    git(&["commit", "-qm", "deployed"]);
    tighten(&p);
    let before = std::fs::read_to_string(p.path("contracts/acme.yaml")).unwrap();
    let (code, out, err) = p.run(&["diff", "--base", "HEAD", "--at", AT, "acme"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 tickets changed, 2 newly breached"), "{out}");
    assert!(
        out.contains("CF-0  resolve target 4 working hours → 2 working hours"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(p.path("contracts/acme.yaml")).unwrap(),
        before
    );

    let (code, _, err) = p.run(&["diff", "--base", "no-such-rev"], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("expected a contracts directory or a git revision, found `no-such-rev`"),
        "{err}"
    );
}

#[test]
fn diff_reports_a_contract_that_does_not_load_on_either_side_and_exits_2() {
    let p = Project::with_cases();
    seed(&p, 1);
    let base = format!("{FIXTURE}/contracts");
    p.edit(
        "contracts/acme.yaml",
        "extends: standard",
        "extends: standrd",
    );
    let (code, out, _) = p.run(&["diff", "--base", &base, "--at", AT], "");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("acme: cannot compare"), "{out}");
    assert!(out.contains("the current contract does not load"), "{out}");
    assert!(out.contains("contracts/acme.yaml:4:10"), "{out}");

    // Another contract still compares.
    let (code, out, _) = p.run(&["diff", "--base", "contracts", "--at", AT, "globex"], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("globex: unchanged"), "{out}");
    p.edit(
        "contracts/acme.yaml",
        "extends: standrd",
        "extends: standard",
    );
    std::fs::create_dir_all(p.path("old/contracts")).unwrap();
    std::fs::write(p.path("old/contracts/acme.yaml"), "extends: nothing\n").unwrap();
    let (code, out, _) = p.run(
        &[
            "--format",
            "json",
            "diff",
            "--base",
            "old/contracts",
            "--at",
            AT,
            "acme",
        ],
        "",
    );
    // A broken base cannot be compared: a deployment gate must not pass.
    assert_eq!(code, 2, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["contracts"][0]["status"], "error");
    assert!(
        v["contracts"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("the base does not load")
    );
}

#[test]
fn diff_fails_on_a_new_contract_that_does_not_load_and_on_an_unknown_id() {
    let p = Project::with_cases();
    let base = format!("{FIXTURE}/contracts");
    std::fs::write(
        p.path("contracts/newco.yaml"),
        "extends: standard\ncustomer: NewCo\nwarn_at: lots\n",
    )
    .unwrap();
    let (code, out, _) = p.run(
        &["diff", "--base", &base, "--at", AT, "--fail-on", "change"],
        "",
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("newco: cannot compare"), "{out}");
    assert!(out.contains("the current contract does not load"), "{out}");
    assert!(out.contains("contracts/newco.yaml:3:10"), "{out}");
    // A good new contract is a change for --fail-on change.
    std::fs::write(
        p.path("contracts/newco.yaml"),
        "extends: standard\ncustomer: NewCo\n",
    )
    .unwrap();
    let (code, out, _) = p.run(
        &["diff", "--base", &base, "--at", AT, "--fail-on", "change"],
        "",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("newco: new (revision"), "{out}");
    let (code, out, _) = p.run(&["diff", "--base", &base, "nosuch"], "");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no contract `nosuch` on either side"), "{out}");
}

#[test]
fn test_names_contracts_without_cases_and_refuses_a_contract_that_does_not_exist() {
    let p = Project::with_cases();
    std::fs::write(
        p.path("contracts/newco.yaml"),
        "extends: standard\ncustomer: NewCo\n",
    )
    .unwrap();
    let (code, out, _) = p.run(&["test"], "");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("no cases for contract `newco`: add `tests/cases/newco/<case>.yaml`"),
        "{out}"
    );
    let (_, out, _) = p.run(&["--format", "json", "test"], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["without_cases"], serde_json::json!(["newco"]));

    // A contract named on the command line that does not exist is not "no cases".
    let (code, _, err) = p.run(&["test", "acmee"], "");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "no contract `acmee`: expected a file `contracts/acmee.yaml` (did you mean `acme`?)"
        ),
        "{err}"
    );
    // One that exists without cases says so and fails.
    let (code, _, err) = p.run(&["test", "newco"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no cases for contract `newco`"), "{err}");
}

#[test]
fn a_missing_contracts_directory_says_how_to_name_another() {
    let p = Project::with_cases();
    for args in [
        &["--contracts", "contract", "validate"][..],
        &["--contracts", "contract", "test"][..],
        &["--contracts", "contract", "evaluate", "--ticket", "-"][..],
    ] {
        let (code, _, err) = p.run(args, "");
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("no contracts directory `contract`"), "{err}");
        assert!(err.contains("--contracts DIR"), "{err}");
        assert!(err.contains("SLAENGINE_CONTRACTS"), "{err}");
    }
}

#[test]
fn init_creates_a_project_that_validates_and_tests_green_and_refuses_a_full_directory() {
    let p = Project::new();
    let (code, out, err) = p.run(&["init", "mine"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("created mine ("), "{out}");
    for file in [
        "contracts/templates/standard.yaml",
        "contracts/example.yaml",
        "scripts/standard.rhai",
        "schema/contract.json",
        "README.md",
        ".gitignore",
        "ci/check",
        ".github/workflows/contracts.yml",
        "mappings/helpdesk.yaml",
        "tests/cases/example/error-complete-failure.yaml",
        "snapshots/example__error-complete-failure.snap",
    ] {
        assert!(p.path("mine").join(file).is_file(), "{file}");
    }
    // The example mapping reads as a mapping.
    let mapping = std::fs::read_to_string(p.path("mine/mappings/helpdesk.yaml")).unwrap();
    let mapping = slaengine::import::Mapping::parse(&mapping, "helpdesk.yaml").unwrap();
    assert_eq!(mapping.timezone, Some(chrono_tz::Europe::Moscow));
    assert!(mapping.customer.is_some() && mapping.priority.is_some());
    // A case for each of the template's twelve categories, each with its snapshot.
    let cases = std::fs::read_dir(p.path("mine/tests/cases/example"))
        .unwrap()
        .count();
    let snaps = std::fs::read_dir(p.path("mine/snapshots")).unwrap().count();
    assert_eq!((cases, snaps), (12, 12));

    let (code, out, err) = p.run(&["--contracts", "mine/contracts", "validate"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok mine/contracts/example.yaml"), "{out}");
    let (code, out, _) = p.run(&["--contracts", "mine/contracts", "test"], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("12 passed, 0 failed\n"), "{out}");
    // The CI check runs the same two commands from the project's root.
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_slaengine"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let check = std::process::Command::new("sh")
        .arg(p.path("mine/ci/check"))
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // A directory that holds something is left as it is.
    let before = std::fs::read_to_string(p.path("mine/contracts/example.yaml")).unwrap();
    let (code, _, err) = p.run(&["init", "mine"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`mine` is not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(p.path("mine/contracts/example.yaml")).unwrap(),
        before
    );
    // An existing empty directory, given as `.` from inside it, is filled in place.
    std::fs::create_dir(p.path("here")).unwrap();
    let here = std::process::Command::new(env!("CARGO_BIN_EXE_slaengine"))
        .args(["init", "."])
        .current_dir(p.path("here"))
        .output()
        .unwrap();
    assert!(
        here.status.success(),
        "{}",
        String::from_utf8_lossy(&here.stderr)
    );
    assert!(p.path("here/contracts/example.yaml").is_file());
    let (code, out, _) = p.run(&["--contracts", "here/contracts", "test"], "");
    assert_eq!(code, 0, "{out}");
    // No staging directory is left beside them.
    let stray: Vec<_> = std::fs::read_dir(p.path(""))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".init-"))
        .collect();
    assert!(stray.is_empty());
}

//! Contract authoring as an account manager does it: `slaengine test` over the contract
//! cases and their snapshots, `slaengine diff` against a directory or a git revision.

use super::watch::Project;

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
    assert!(snap.starts_with("---\nsource: tests/cases.rs\n"), "{snap}");
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
    assert!(err.contains("contracts/globex.yaml:15:15"), "{err}");
    assert!(last_line(&out).starts_with("0 passed"), "{out}");

    let (code, _, err) = p.run(&["test", "nobody"], "");
    assert_eq!(code, 2);
    assert!(err.contains("no cases for contract `nobody`"), "{err}");
}

//! The JSON Schema of the contract format: current, and right about the bundled
//! contracts and about common mistakes.

use std::path::PathBuf;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slaengine"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

#[test]
fn the_committed_schema_is_current() {
    let committed = std::fs::read_to_string(root().join("schema/contract.json")).unwrap();
    let committed: Value = serde_json::from_str(&committed).unwrap();
    assert!(
        committed == schema(),
        "schema/contract.json is stale: run `slaengine schema > schema/contract.json`"
    );
}

#[test]
fn the_bundled_contracts_are_valid_and_point_editors_at_the_schema() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    for file in [
        "contracts/acme.yaml",
        "contracts/globex.yaml",
        "contracts/initech.yaml",
        "contracts/templates/standard.yaml",
    ] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with("# yaml-language-server: $schema=")
                && first.ends_with("schema/contract.json"),
            "{file}: {first}"
        );
        let errors: Vec<String> = validator
            .iter_errors(&yaml(&text))
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
}

#[test]
fn the_schema_flags_common_mistakes() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let ok = "extends: standard\ncalendar: { timezone: Asia/Yekaterinburg, week: { mon-fri: [\"09:00-18:00\"] } }\ncategories:\n  error.complete_failure: { resolve: 4 working hours }\nwarn_at: 50%\n";
    assert!(validator.is_valid(&yaml(ok)));
    for bad in [
        "calender: { timezone: Europe/Moscow }\n",
        "calendar: { timezone: Europe/Moskow }\n",
        "calendar: { week: { mon-fry: [\"09:00-18:00\"] } }\n",
        "calendar: { week: { mon-fri: [\"9-18\"] } }\n",
        "categories:\n  error.complete_failure: { resolve: four hours }\n",
        "warn_at: lots\n",
        "valid: { from: 1 March }\n",
    ] {
        assert!(!validator.is_valid(&yaml(bad)), "not flagged: {bad}");
    }
}

#[test]
fn what_the_loader_accepts_the_schema_accepts() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    for target in [
        "2 hours",
        "1 working week",
        "30s",
        "1w",
        ".5h",
        "1.5 hrs",
        "1h30m",
        "90 working minutes",
        "3 calendar days",
    ] {
        let text = format!(
            "calendar: {{ timezone: Europe/Moscow, week: {{ mon-fri: [\"9:00-18:00\"] }} }}\nmetrics: {{ resolve: {{ starts: registered, stops: resolved }} }}\ncategories:\n  error.module_failure: {{ resolve: {target} }}\n"
        );
        if let Err(e) = slaengine::contract::parse_str("x", &text) {
            panic!("the loader refuses `{target}`: {e}");
        }
        let errors: Vec<String> = validator
            .iter_errors(&yaml(&text))
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{target}: {errors:#?}");
    }
}

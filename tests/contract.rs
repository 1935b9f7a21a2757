//! Loading contracts: template merging, origins for `--explain`, revisions, and the
//! bundled contracts.

use slaengine::DurationKind;
use slaengine::contract::{self, DirLoader, Loader, MemoryLoader};

const BASE: &str = "\
calendar:
  timezone: Europe/Moscow
  week: { mon-fri: [\"09:00-18:00\"] }
  exceptions: { 2026-04-30: [\"09:00-17:00\"] }
metrics:
  assign:  { starts: registered, stops: assigned }
  resolve: { starts: registered, stops: resolved, pausable: true }
defaults: { assign: 1 working hour }
categories:
  error.complete_failure: { clause: \"3.1\", title: Complete failure, resolve: 1 working day }
  support.new_versions: { clause: \"2.3\" }
  support.small_change: { clause: \"2.4\", allowance: small_changes }
allowances:
  small_changes: { hours: 10, requires_approval: true }
scripts: [scripts/base.rhai]
";

fn loader(contract: &str) -> MemoryLoader {
    MemoryLoader::new()
        .with("templates/base.yaml", BASE)
        .with("acme.yaml", contract)
        .with_root("scripts/base.rhai", "// base\n")
        .with_root("scripts/acme.rhai", "// acme\n")
}

#[test]
fn maps_merge_key_by_key_and_scalars_and_lists_replace() {
    let text = "extends: base\ncalendar:\n  timezone: Asia/Yekaterinburg\n  week: { fri: [\"09:00-16:00\"] }\n  exceptions: { 2026-12-30: [\"09:00-15:00\"] }\ncategories:\n  error.complete_failure: { resolve: 4 working hours }\nallowances:\n  small_changes: { hours: 20 }\nscripts: [scripts/acme.rhai]\n";
    let c = contract::load(&loader(text), "acme").unwrap();
    assert_eq!(c.calendar.timezone(), chrono_tz::Asia::Yekaterinburg);
    // Friday replaced, Monday kept from the template.
    assert_eq!(c.calendar.week()[4][0].to_string(), "09:00-16:00");
    assert_eq!(c.calendar.week()[0][0].to_string(), "09:00-18:00");
    assert_eq!(c.calendar.exceptions().len(), 2);
    let cat = &c.categories["error.complete_failure"];
    assert_eq!(cat.clause.as_deref(), Some("3.1"));
    assert_eq!(cat.title.as_deref(), Some("Complete failure"));
    let resolve = cat.targets["resolve"].fixed().unwrap();
    assert_eq!(resolve.duration.unwrap().to_string(), "4 working hours");
    assert_eq!(resolve.origin.to_string(), "contracts/acme.yaml:7");
    // Defaults apply to every category, with the template as origin.
    let assign = c.categories["support.new_versions"].targets["assign"]
        .fixed()
        .unwrap();
    assert_eq!(assign.duration.unwrap().kind, DurationKind::Working);
    assert_eq!(assign.origin.to_string(), "contracts/templates/base.yaml:8");
    assert!(
        !c.categories["support.new_versions"]
            .targets
            .contains_key("resolve")
    );
    let a = &c.allowances["small_changes"];
    assert_eq!((a.hours, a.requires_approval), (20.0, true));
    assert_eq!(c.scripts, ["scripts/base.rhai", "scripts/acme.rhai"]);
    assert_eq!(c.extends, ["base"]);
    assert_eq!(
        c.sources,
        ["contracts/templates/base.yaml", "contracts/acme.yaml"]
    );
}

#[test]
fn none_removes_a_target() {
    let text = "extends: base\ncategories:\n  error.complete_failure: { resolve: none }\n";
    let c = contract::load(&loader(text), "acme").unwrap();
    assert_eq!(
        c.categories["error.complete_failure"].targets["resolve"]
            .fixed()
            .unwrap()
            .duration,
        None
    );
}

#[test]
fn the_revision_hashes_everything_the_contract_was_built_from() {
    let text = "extends: base\n";
    let rev = |l: &MemoryLoader| contract::load(l, "acme").unwrap().revision;
    let a = rev(&loader(text));
    assert_eq!(a.len(), 16);
    assert_eq!(a, rev(&loader(text)));
    let edited_template = loader(text).with("templates/base.yaml", &BASE.replace("10,", "12,"));
    assert_ne!(a, rev(&edited_template));
    let edited_script = loader(text).with_root("scripts/base.rhai", "// changed\n");
    assert_ne!(a, rev(&edited_script));
    assert_ne!(a, rev(&loader("extends: base\ncustomer: ACME\n")));
}

#[test]
fn the_example_contracts_load_with_their_tailoring() {
    let loader = DirLoader::new(format!("{}/contracts", super::watch::FIXTURE));
    let ids = loader.contract_ids().unwrap();
    assert_eq!(ids, ["acme", "globex", "initech", "umbrella"]);
    let (ok, failed) = contract::load_all(&loader).unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    let standard_ids = [
        "consultation.settings",
        "consultation.own_changes",
        "consultation.troubleshooting",
        "consultation.updates",
        "support.error_analysis",
        "support.modification_storage",
        "support.new_versions",
        "support.small_change",
        "error.complete_failure",
        "error.module_failure",
        "error.incorrect_operation",
        "incident.environment",
    ];
    for c in ok.values() {
        let ids: Vec<&str> = c.categories.keys().map(String::as_str).collect();
        let mut want = standard_ids.to_vec();
        want.sort();
        assert_eq!(ids, want, "{}", c.id);
        assert_eq!(c.calendar.holidays().len(), 14);
    }
    let acme = &ok["acme"];
    assert_eq!(acme.calendar.timezone(), chrono_tz::Asia::Yekaterinburg);
    let t = acme.categories["error.complete_failure"].targets["resolve"]
        .fixed()
        .unwrap();
    assert_eq!(t.duration.unwrap().to_string(), "4 working hours");
    assert!(t.origin.file.ends_with("contracts/acme.yaml"));
    assert_eq!(
        acme.categories["error.complete_failure"].clause.as_deref(),
        Some("3.1")
    );
    assert_eq!(acme.allowances["small_changes"].hours, 20.0);
    let globex = &ok["globex"];
    assert_eq!(globex.calendar.week()[0].len(), 2);
    assert_eq!(globex.calendar.day_length(), 8 * 3600);
    let initech = &ok["initech"];
    assert_eq!(initech.warn_at, 0.5);
    assert_eq!(
        initech.categories["error.module_failure"].targets["assign"]
            .fixed()
            .unwrap()
            .duration
            .unwrap()
            .to_string(),
        "30 working minutes"
    );
    let outage = ok["acme"].categories["incident.environment"].targets["resolve"]
        .fixed()
        .unwrap();
    assert_eq!(outage.duration.unwrap().to_string(), "5 working days");
    assert_eq!(acme.scripts, ["scripts/standard.rhai", "scripts/vip.rhai"]);
    assert!(acme.script_set.is_some());
}

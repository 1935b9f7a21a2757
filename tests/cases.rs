//! The contract cases (`tests/cases/<contract>/<case>.yaml`) through insta, over the same
//! `snapshots/<contract>__<case>.snap` files that `slaengine test` reads and writes: both
//! build the body with `slaengine::cases::body`, so they agree byte for byte. Look
//! through changes with `cargo insta review`, or accept them with `slaengine test
//! --accept`; under `CI=true` a missing or changed snapshot fails.
//!
//! This is its own test crate because insta's glob failure count is process-wide.

use slaengine::cases;
use slaengine::contract::{self, DirLoader};

#[test]
fn contract_cases() {
    // Tests run in the package root; the same relative paths as `slaengine test`.
    let loader = DirLoader::new("contracts");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    // insta compares bodies only; `slaengine test --accept` writes headers that name the
    // case and nothing else, and so should a snapshot accepted through insta.
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::glob!("cases", "*/*.yaml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let contract_id = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy();
            let case_name = path.file_stem().unwrap().to_string_lossy();
            // As `slaengine test` requires: the last `__` of a snapshot name ends the contract.
            assert!(
                !case_name.contains("__") && !case_name.starts_with('_'),
                "{}: a case name cannot contain `__` or start with `_`",
                path.display()
            );
            let contract = contract::load(&loader, &contract_id).unwrap();
            let declared = contract.declared_kinds();
            let case = cases::parse(&text, &path.display().to_string(), &declared).unwrap();
            let body = cases::body(&contract, &case);
            let mut named = insta::Settings::clone_current();
            named.remove_snapshot_suffix();
            named.bind(|| {
                insta::assert_snapshot!(cases::snapshot_name(&contract_id, &case_name), body);
            });
        });
    });
}

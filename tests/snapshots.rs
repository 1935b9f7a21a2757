//! Snapshots of the evaluations of every bundled example ticket (`tickets/*.yaml`), with
//! the explain trace, at three instants: 30 minutes, 1 day and 10 days after
//! registration. Adding a ticket file adds a snapshot; review changes with
//! `cargo insta review`. Under `CI=true` a missing or changed snapshot fails.
//!
//! This is its own test crate because insta's glob failure count is process-wide.

use chrono::TimeDelta;
use slaengine::contract::{self, DirLoader};
use slaengine::eval::{Options, evaluate_with};
use slaengine::ticket::parse_all;

#[test]
fn example_tickets() {
    // Tests run in the package root; a relative directory keeps paths in the snapshots
    // the same on every machine.
    let loader = DirLoader::new("contracts");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../tickets", "*.yaml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let mut evaluations = Vec::new();
            for ticket in parse_all(&text, &name) {
                let ticket = ticket.unwrap();
                let contract = contract::load(&loader, &ticket.customer).unwrap();
                for offset in [
                    TimeDelta::minutes(30),
                    TimeDelta::days(1),
                    TimeDelta::days(10),
                ] {
                    let at = ticket.registered.to_utc() + offset;
                    evaluations.push(evaluate_with(
                        &contract,
                        &ticket,
                        at,
                        &Options {
                            explain: true,
                            ..Default::default()
                        },
                    ));
                }
            }
            insta::assert_yaml_snapshot!(evaluations, {
                "[].contract.revision" => "[revision]",
            });
        });
    });
}

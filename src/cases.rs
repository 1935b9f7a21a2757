//! Contract cases: a ticket and the instants to evaluate it at, kept beside each contract
//! (`tests/cases/<contract>/<case>.yaml`) with the expected evaluations as snapshots
//! (`snapshots/<contract>__<case>.snap`, insta's format: a header, then the body; a
//! case name has no `__` and no leading `_`, so the last `__` of a snapshot name ends the
//! contract id).
//!
//! `slaengine test` and `cargo test` both build a snapshot body with [`body`], so the two
//! agree byte for byte. The body is the evaluations at each instant as YAML, normalised:
//! the contract revision is replaced by `[revision]` (it changes with every edit) and
//! there is no explain trace (its line numbers move with every edit); everything a
//! customer would notice — category, targets, deadlines, statuses, allowance, findings —
//! is there.
//!
//! ```yaml
//! # tests/cases/acme/vip.yaml — what the case shows, in a comment
//! ticket:
//!   id: T-1049
//!   customer: acme
//!   category: error.module_failure
//!   registered: 2026-03-10T10:00:00+05:00
//!   fields: { reporter: ceo@acme.example }
//! at: [2026-03-10T12:00:00+05:00, 2026-03-11T12:00:00+05:00]
//! ```

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;

use crate::contract::Contract;
use crate::error::InputError;
use crate::eval::{Options, evaluate_with};
use crate::ticket::{DeclaredKinds, Ticket, yaml_error};

/// One case: a ticket and the instants at which its evaluation is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The ticket.
    pub ticket: Ticket,
    /// The evaluation instants, in the order given.
    pub at: Vec<DateTime<Utc>>,
}

/// An instant in a case file.
#[derive(Deserialize)]
struct At(#[serde(deserialize_with = "crate::ticket::instant")] DateTime<FixedOffset>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    ticket: Ticket,
    at: Vec<At>,
}

/// Parses a case file, whose ticket may name the built-in event kinds and those of
/// `declared` (its contract's); `file` names it in errors (with line and column).
pub fn parse(text: &str, file: &str, declared: &DeclaredKinds) -> Result<Case, InputError> {
    crate::yaml_index::check_nesting(text, file)?;
    let read = || serde_yaml::from_str::<RawCase>(text);
    let raw = read().map_err(|e| yaml_error(&e, text, file))?;
    if let Some(kind) = declared.first_refused(&raw.ticket) {
        return Err(match declared.strictly(|| read().err()) {
            Some(e) => yaml_error(&e, text, file),
            None => InputError::new(format!("{file}: {}", declared.refusal(kind.as_str()))),
        });
    }
    if raw.at.is_empty() {
        return Err(InputError::new(format!(
            "{file}: expected at least one evaluation instant in `at`, found none"
        )));
    }
    Ok(Case {
        ticket: raw.ticket,
        at: raw.at.into_iter().map(|a| a.0.to_utc()).collect(),
    })
}

/// The snapshot body of `case` under `contract`: its evaluations at every instant, as
/// YAML, normalised (see the module documentation).
pub fn body(contract: &Contract, case: &Case) -> String {
    let evaluations: Vec<_> = case
        .at
        .iter()
        .map(|at| {
            let mut e = evaluate_with(contract, &case.ticket, *at, &Options::default());
            e.contract.revision = "[revision]".to_owned();
            e
        })
        .collect();
    // Serialising plain data to YAML cannot fail; an empty body would show as a diff.
    serde_yaml::to_string(&evaluations)
        .unwrap_or_default()
        .trim_end()
        .to_owned()
}

/// The snapshot's name: `<contract>__<case>` (its file is `<name>.snap`).
pub fn snapshot_name(contract: &str, case: &str) -> String {
    format!("{contract}__{case}")
}

/// A whole `.snap` file in insta's format: a YAML header naming the case file it comes
/// from, `---`, the body.
pub fn snapshot_file(input_file: &str, body: &str) -> String {
    format!("---\ninput_file: {input_file}\n---\n{body}\n")
}

/// The body of a `.snap` file (what follows the header), normalised as insta compares it:
/// trailing whitespace dropped, CRLF read as LF. `None` if the file has no header.
pub fn snapshot_body(snap: &str) -> Option<String> {
    let snap = snap.replace("\r\n", "\n");
    let rest = snap.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(rest[end + "\n---\n".len()..].trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_file_gives_back_its_body() {
        let file = snapshot_file("tests/cases/acme/vip.yaml", "- a: 1\n  b: 2");
        assert_eq!(snapshot_body(&file).as_deref(), Some("- a: 1\n  b: 2"));
        assert_eq!(snapshot_body("no header"), None);
    }

    #[test]
    fn a_bad_case_is_located() {
        let err = parse(
            "ticket: { id: T-1, customer: acme, registered: 2026-03-10T10:00:00+05:00 }\n\nat: [tomorrow]\n",
            "c.yaml",
            &DeclaredKinds::default(),
        )
        .unwrap_err();
        assert_eq!(err.location.as_ref().map(|l| l.line), Some(3), "{err}");
        let err = parse(
            "ticket: { id: T-1, customer: acme, registered: 2026-03-10T10:00:00+05:00 }\nat: []\n",
            "c.yaml",
            &DeclaredKinds::default(),
        )
        .unwrap_err();
        assert!(
            err.message.contains("at least one evaluation instant"),
            "{err}"
        );
        let err = parse(
            "ticket: { id: T-1, customer: acme, registered: 2026-03-10T10:00:00+05:00 }\nat: [2026-03-10T10:00:00+05:00]\nwhen: now\n",
            "c.yaml",
            &DeclaredKinds::default(),
        )
        .unwrap_err();
        assert_eq!(err.location.as_ref().map(|l| l.line), Some(3), "{err}");
        // A kind the case's contract does not declare, at its place.
        let text = "ticket:\n  id: T-1\n  customer: acme\n  registered: 2026-03-10T10:00:00+05:00\n  events: [{ at: 2026-03-10T11:00:00+05:00, kind: notifed }]\nat: [2026-03-10T12:00:00+05:00]\n";
        let acme = DeclaredKinds {
            contract: Some("acme".into()),
            loads: true,
            kinds: vec!["notified".into()],
        };
        let err = parse(text, "c.yaml", &acme).unwrap_err();
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((5, 51)),
            "{err}"
        );
        assert!(err.message.ends_with("(did you mean `notified`?)"), "{err}");
        assert!(parse(&text.replace("notifed", "notified"), "c.yaml", &acme).is_ok());
    }
}

//! Every contract mistake the loader reports, rendered word for word: the message (what
//! was expected, what was found), the `--> file:line:col` line and the snippet.

use slaengine::Error;
use slaengine::contract::{self, MemoryLoader};

const TEMPLATE: &str = "\
title: Base
calendar:
  timezone: Europe/Moscow
  week:
    mon-fri: [\"09:00-18:00\"]
  holidays: [2026-03-09]
metrics:
  assign:  { starts: registered, stops: assigned }
  resolve: { starts: registered, stops: resolved, pausable: true }
defaults:
  assign: 1 working hour
categories:
  error.module_failure: { clause: \"3.2\", resolve: 1 working day }
  support.small_change: { clause: \"2.4\", allowance: small_changes }
allowances:
  small_changes: { hours: 10, per: month, requires_approval: true }
";

/// Loads `acme.yaml` (extending `templates/base.yaml`) and renders its error.
fn error(contract: &str) -> String {
    error_with(contract, TEMPLATE)
}

fn error_with(contract: &str, template: &str) -> String {
    let loader = MemoryLoader::new()
        .with("templates/base.yaml", template)
        .with("acme.yaml", contract);
    match contract::load(&loader, "acme") {
        Ok(_) => panic!("expected an error for:\n{contract}"),
        Err(Error::Input(e)) => e.render(),
        Err(other) => panic!("expected an input error, got {other}"),
    }
}

#[test]
fn a_misspelt_key() {
    assert_eq!(
        error("extends: base\ncustomr: ACME\n"),
        "error: unknown field `customr`, expected one of `title`, `customer`, `extends`, `products`, `valid`, `calendar`, `calendars`, `priorities`, `default_priority`, `events`, `warn_at`, `metrics`, `defaults`, `categories`, `allowances`, `fee`, `compliance`, `credits`, `credit_cap`, `scripts`, `limits`\n --> contracts/acme.yaml:2:1\n  |\n2 | customr: ACME\n  | ^^^^^^^"
    );
}

#[test]
fn an_unknown_time_zone() {
    assert_eq!(
        error("extends: base\ncalendar: { timezone: Europe/Moskow }\n"),
        "error: calendar.timezone: unknown time zone `Europe/Moskow`: expected an IANA name like `Europe/Moscow` (did you mean `Europe/Moscow`?)\n --> contracts/acme.yaml:2:23\n  |\n2 | calendar: { timezone: Europe/Moskow }\n  |                       ^^^^^^^^^^^^^"
    );
}

#[test]
fn overlapping_windows() {
    assert_eq!(
        error("extends: base\ncalendar:\n  week:\n    mon: [\"09:00-13:00\", \"12:00-18:00\"]\n"),
        "error: calendar.week.mon: the windows `09:00-13:00` and `12:00-18:00` overlap (or are out of order): list them in order without overlap\n --> contracts/acme.yaml:4:10\n  |\n4 |     mon: [\"09:00-13:00\", \"12:00-18:00\"]\n  |          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
    );
}

#[test]
fn a_reversed_window() {
    assert_eq!(
        error("extends: base\ncalendar:\n  week:\n    mon: [\"18:00-09:00\"]\n"),
        "error: calendar.week.mon[0]: the window `18:00-09:00` closes before it opens (an overnight service is two windows: `22:00-24:00` and `00:00-06:00` on the next day)\n --> contracts/acme.yaml:4:11\n  |\n4 |     mon: [\"18:00-09:00\"]\n  |           ^^^^^^^^^^^^^"
    );
}

#[test]
fn a_holiday_that_is_not_a_date() {
    assert_eq!(
        error("extends: base\ncalendar:\n  holidays: [2026-03-09, 2026-13-01]\n"),
        "error: calendar.holidays[1]: expected a date like `2026-01-01`, found `2026-13-01`\n --> contracts/acme.yaml:3:26\n  |\n3 |   holidays: [2026-03-09, 2026-13-01]\n  |                          ^^^^^^^^^^"
    );
}

#[test]
fn a_bad_duration() {
    assert_eq!(
        error("extends: base\ncategories:\n  error.module_failure: { resolve: four hours }\n"),
        "error: categories.error.module_failure.resolve: expected a duration like `4h`, `2 working days` or `30m`, found `four hours` (it does not start with a number)\n --> contracts/acme.yaml:3:36\n  |\n3 |   error.module_failure: { resolve: four hours }\n  |                                    ^^^^^^^^^^"
    );
}

#[test]
fn a_category_using_an_unknown_metric() {
    assert_eq!(
        error("extends: base\ncategories:\n  error.module_failure: { resolv: 4h }\n"),
        "error: unknown field `resolv` in category `error.module_failure`: expected a metric (`assign`, `resolve`) or one of `clause`, `title`, `description`, `allowance`, `calendar` (did you mean `resolve`?)\n --> contracts/acme.yaml:3:27\n  |\n3 |   error.module_failure: { resolv: 4h }\n  |                           ^^^^^^"
    );
}

#[test]
fn an_allowance_naming_an_unknown_category() {
    assert_eq!(
        error(
            "extends: base\nallowances:\n  small_changes: { categories: [support.smal_change] }\n"
        ),
        "error: the allowance `small_changes` names the category `support.smal_change`, which the contract does not have (did you mean `support.small_change`?)\n --> contracts/acme.yaml:3:33\n  |\n3 |   small_changes: { categories: [support.smal_change] }\n  |                                 ^^^^^^^^^^^^^^^^^^^"
    );
}

#[test]
fn a_missing_template() {
    assert_eq!(
        error("extends: standrd\n"),
        "error: the template `standrd` does not exist (no file `contracts/templates/standrd.yaml`): expected one of `base`\n --> contracts/acme.yaml:1:10\n  |\n1 | extends: standrd\n  |          ^^^^^^^"
    );
}

#[test]
fn a_misspelt_template_is_suggested() {
    let loader = MemoryLoader::new()
        .with("templates/standard.yaml", TEMPLATE)
        .with("templates/premium.yaml", "extends: standard\n")
        .with("acme.yaml", "extends: standart\n");
    let Err(Error::Input(e)) = contract::load(&loader, "acme") else {
        panic!("expected an error");
    };
    assert_eq!(
        e.render(),
        "error: the template `standart` does not exist (no file `contracts/templates/standart.yaml`): expected one of `premium`, `standard` (did you mean `standard`?)\n --> contracts/acme.yaml:1:10\n  |\n1 | extends: standart\n  |          ^^^^^^^^"
    );
}

#[test]
fn a_template_given_as_a_file() {
    // `extends` takes the template's name; a file path is explained, not doubled into
    // `contracts/templates/templates/base.yaml.yaml`.
    let expected = |found: &str| {
        format!(
            "error: `extends` takes the name of a template, not a file: expected `extends: base` (for `contracts/templates/base.yaml`), found `{found}`\n --> contracts/acme.yaml:1:10\n  |\n1 | extends: {found}\n  |          {}",
            "^".repeat(found.len())
        )
    };
    for found in [
        "templates/base.yaml",
        "base.yaml",
        "contracts/templates/base.yaml",
    ] {
        assert_eq!(error(&format!("extends: {found}\n")), expected(found));
    }
    assert_eq!(
        error("extends: templates/bse.yaml\n"),
        "error: `extends` takes the name of a template, not a file: expected one of `base` (the files in `contracts/templates/`), found `templates/bse.yaml` (did you mean `base`?)\n --> contracts/acme.yaml:1:10\n  |\n1 | extends: templates/bse.yaml\n  |          ^^^^^^^^^^^^^^^^^^"
    );
}

#[test]
fn a_template_when_there_are_none() {
    let loader = MemoryLoader::new().with("acme.yaml", "extends: standard\n");
    let Err(Error::Input(e)) = contract::load(&loader, "acme") else {
        panic!("expected an error");
    };
    assert_eq!(
        e.render(),
        "error: the template `standard` does not exist (no file `contracts/templates/standard.yaml`): expected the name of a template, and there are none in `contracts/templates/`\n --> contracts/acme.yaml:1:10\n  |\n1 | extends: standard\n  |          ^^^^^^^^"
    );
}

#[test]
fn a_category_the_template_lacks() {
    assert_eq!(
        error("extends: base\ncategories:\n  error.module_failur: { resolve: 4h }\n"),
        "error: the template `base` has no category `error.module_failur` (did you mean `error.module_failure`?): a new category needs a `clause` and a `title`, found neither\n --> contracts/acme.yaml:3:3\n  |\n3 |   error.module_failur: { resolve: 4h }\n  |   ^^^^^^^^^^^^^^^^^^^"
    );
    assert_eq!(
        error("extends: base\ncategories:\n  error.x: { clause: \"5.1\", resolve: 4h }\n"),
        "error: the template `base` has no category `error.x`: a new category needs a `clause` and a `title`, found no `title`\n --> contracts/acme.yaml:3:3\n  |\n3 |   error.x: { clause: \"5.1\", resolve: 4h }\n  |   ^^^^^^^"
    );
}

#[test]
fn a_category_the_template_chain_lacks() {
    // A template extending another: the whole chain is searched, and named.
    let loader = MemoryLoader::new()
        .with("templates/base.yaml", TEMPLATE)
        .with("templates/premium.yaml", "extends: base\ncategories:\n  support.training: { clause: \"5.1\", title: Training }\n")
        .with("acme.yaml", "extends: premium\ncategories:\n  support.trainig: { resolve: 4h }\n");
    let Err(Error::Input(e)) = contract::load(&loader, "acme") else {
        panic!("expected an error");
    };
    assert_eq!(
        e.render(),
        "error: the template `premium` (extending `base`) has no category `support.trainig` (did you mean `support.training`?): a new category needs a `clause` and a `title`, found neither\n --> contracts/acme.yaml:3:3\n  |\n3 |   support.trainig: { resolve: 4h }\n  |   ^^^^^^^^^^^^^^^"
    );
}

#[test]
fn a_new_category_with_clause_and_title_is_accepted() {
    let loader = MemoryLoader::new().with("templates/base.yaml", TEMPLATE).with(
        "acme.yaml",
        "extends: base\ncategories:\n  support.training: { clause: \"5.1\", title: Training, resolve: 2 working days }\n  error.module_failure: { resolve: 4h }\n",
    );
    let c = match contract::load(&loader, "acme") {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(c.categories.len(), 3);
    assert_eq!(
        c.categories["support.training"].title.as_deref(),
        Some("Training")
    );
}

#[test]
fn an_allowance_no_category_uses() {
    assert_eq!(
        error("extends: base\nallowances:\n  small_change: { hours: 15 }\n"),
        "error: no category counts against the allowance `small_change` (did you mean `small_changes`?): expected a category naming it (`allowance: small_change`) or the allowance listing its `categories`\n --> contracts/acme.yaml:3:3\n  |\n3 |   small_change: { hours: 15 }\n  |   ^^^^^^^^^^^^"
    );
}

#[test]
fn an_unknown_word_in_a_duration() {
    assert_eq!(
        error(
            "extends: base\ncategories:\n  error.module_failure: { resolve: 2 business hours }\n"
        ),
        "error: categories.error.module_failure.resolve: expected a duration like `4h`, `2 working days` or `30m`, found `2 business hours` (`business` is not a word of durations: expected `working` or `calendar` before the unit, like `2 working hours`; the units are minutes, hours, days or weeks)\n --> contracts/acme.yaml:3:36\n  |\n3 |   error.module_failure: { resolve: 2 business hours }\n  |                                    ^^^^^^^^^^^^^^^^"
    );
    assert_eq!(
        error(
            "extends: base\ncategories:\n  error.module_failure: { resolve: 2 working fortnights }\n"
        ),
        "error: categories.error.module_failure.resolve: expected a duration like `4h`, `2 working days` or `30m`, found `2 working fortnights` (`fortnights` is not a unit: use minutes, hours, days or weeks)\n --> contracts/acme.yaml:3:36\n  |\n3 |   error.module_failure: { resolve: 2 working fortnights }\n  |                                    ^^^^^^^^^^^^^^^^^^^^"
    );
}

#[test]
fn validate_exits_2_on_a_misspelt_category() {
    let fixture = std::path::Path::new(super::watch::FIXTURE);
    let read = |p: &str| match std::fs::read_to_string(fixture.join(p)) {
        Ok(t) => t,
        Err(e) => panic!("{p}: {e}"),
    };
    let out = super::cli::Run::bare(&["validate", "acme"])
        .file("contracts/templates/standard.yaml", &read("contracts/templates/standard.yaml"))
        .file("scripts/standard.rhai", &read("scripts/standard.rhai"))
        .file(
            "contracts/acme.yaml",
            "extends: standard\ncategories:\n  error.complete_failur: { resolve: 2 working hours }\n",
        )
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("error: the template `standard` has no category `error.complete_failur` (did you mean `error.complete_failure`?)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--> contracts/acme.yaml:3:3"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_category_naming_an_unknown_allowance() {
    assert_eq!(
        error("extends: base\ncategories:\n  support.small_change: { allowance: big_changes }\n"),
        "error: the category `support.small_change` counts against the allowance `big_changes`, which the contract does not have: expected one of `small_changes`\n --> contracts/acme.yaml:3:38\n  |\n3 |   support.small_change: { allowance: big_changes }\n  |                                      ^^^^^^^^^^^"
    );
}

#[test]
fn validity_ending_before_it_starts() {
    assert_eq!(
        error("extends: base\nvalid: { from: 2026-06-01, to: 2026-01-01 }\n"),
        "error: the contract ends on 2026-01-01, before it starts on 2026-06-01: expected `to` on or after `from`\n --> contracts/acme.yaml:2:32\n  |\n2 | valid: { from: 2026-06-01, to: 2026-01-01 }\n  |                                ^^^^^^^^^^"
    );
}

#[test]
fn a_missing_script() {
    assert_eq!(
        error("extends: base\nscripts: [scripts/vip.rhai]\n"),
        "error: the script `scripts/vip.rhai` does not exist: expected a file `scripts/vip.rhai` next to the contracts directory\n --> contracts/acme.yaml:2:11\n  |\n2 | scripts: [scripts/vip.rhai]\n  |           ^^^^^^^^^^^^^^^^"
    );
}

#[test]
fn a_share_above_100_percent() {
    assert_eq!(
        error("extends: base\nwarn_at: 175%\n"),
        "error: warn_at: expected a share of the target like `75%` or `0.75` (above 0, at most 100%), found `175%`\n --> contracts/acme.yaml:2:10\n  |\n2 | warn_at: 175%\n  |          ^^^^"
    );
}

#[test]
fn an_unknown_weekday() {
    assert_eq!(
        error("extends: base\ncalendar:\n  week:\n    monday: [\"09:00-18:00\"]\n"),
        "error: calendar.week: expected a weekday (`mon` … `sun`) or a range like `mon-fri`, found `monday`\n --> contracts/acme.yaml:4:5\n  |\n4 |     monday: [\"09:00-18:00\"]\n  |     ^^^^^^"
    );
}

#[test]
fn a_weekday_given_by_two_keys() {
    assert_eq!(
        error(
            "extends: base\ncalendar:\n  week:\n    mon-fri: [\"09:00-18:00\"]\n    sat: [\"10:00-14:00\"]\n    fri: [\"09:00-16:00\"]\n"
        ),
        "error: calendar: `fri` is given twice, in `mon-fri` (line 4) and in `fri`: give each weekday once\n --> contracts/acme.yaml:6:5\n  |\n6 |     fri: [\"09:00-16:00\"]\n  |     ^^^"
    );
}

#[test]
fn a_metric_stopped_by_an_unknown_event() {
    assert_eq!(
        error("extends: base\nmetrics:\n  react: { starts: registered, stops: asigned }\n"),
        "error: the metric `react` stops on `asigned`: expected an event kind (`assigned`, `paused`, `resumed`, `worklog`, `approved`, `resolved`, `reopened`, `comment`, `replied`, `customer_replied`, `changed`), or a kind of the contract's own declared under `events` (did you mean `assigned`?)\n --> contracts/acme.yaml:3:39\n  |\n3 |   react: { starts: registered, stops: asigned }\n  |                                       ^^^^^^^"
    );
}

#[test]
fn a_list_where_a_map_belongs() {
    assert_eq!(
        error("extends: base\ncategories: [a, b]\n"),
        "error: categories: invalid type: sequence, expected a mapping\n --> contracts/acme.yaml:2:13\n  |\n2 | categories: [a, b]\n  |             ^^^^^^"
    );
}

#[test]
fn an_empty_file() {
    assert_eq!(
        error("# nothing\n"),
        "error: `contracts/acme.yaml` is empty: expected a contract with `extends` or `calendar`, `metrics` and `categories`"
    );
}

#[test]
fn invalid_yaml_syntax() {
    assert_eq!(
        error("extends: base\ncalendar: { timezone: Europe/Moscow\n"),
        "error: did not find expected ',' or '}', while parsing a flow mapping at line 2 column 11\n --> contracts/acme.yaml:3:1"
    );
}

#[test]
fn a_template_that_extends_a_missing_one() {
    assert_eq!(
        error_with("extends: base\n", "extends: other\n"),
        "error: the template `other` does not exist (no file `contracts/templates/other.yaml`): expected one of `base`\n --> contracts/templates/base.yaml:1:10\n  |\n1 | extends: other\n  |          ^^^^^"
    );
}

#[test]
fn templates_in_a_cycle() {
    let loader = MemoryLoader::new()
        .with("templates/a.yaml", "extends: b\n")
        .with("templates/b.yaml", "extends: a\n")
        .with("acme.yaml", "extends: a\n");
    let Err(Error::Input(e)) = contract::load(&loader, "acme") else {
        panic!("expected a cycle error");
    };
    assert_eq!(
        e.render(),
        "error: templates extend each other in a cycle: a → b → a\n --> contracts/templates/b.yaml:1:10\n  |\n1 | extends: a\n  |          ^"
    );
}

#[test]
fn a_missing_contract() {
    let loader = MemoryLoader::new();
    let Err(Error::Input(e)) = contract::load(&loader, "nobody") else {
        panic!("expected an error");
    };
    assert_eq!(
        e.render(),
        "error: no contract `nobody`: expected a file `contracts/nobody.yaml`"
    );
}

#[test]
fn a_key_given_twice_is_shown_where_it_is_given_again() {
    assert_eq!(
        error(
            "extends: base\ncategories:\n  error.module_failure: { resolve: 4h }\n  support.small_change: {}\n  error.module_failure: { resolve: 2h }\n"
        ),
        "error: categories: `error.module_failure` is given twice (first at line 3): give each key once\n --> contracts/acme.yaml:5:3\n  |\n5 |   error.module_failure: { resolve: 2h }\n  |   ^^^^^^^^^^^^^^^^^^^^"
    );
    assert_eq!(
        error("extends: base\ncustomer: ACME\ncustomer: Initech\n"),
        "error: `customer` is given twice (first at line 2): give each key once\n --> contracts/acme.yaml:3:1\n  |\n3 | customer: Initech\n  | ^^^^^^^^"
    );
}

#[test]
fn keys_that_only_look_alike_are_not_duplicates() {
    // serde decides what is the same key: a quoted "1.0" and a number 1.0 are not, and
    // an alias used as a key is the text it stands for.
    let loader = MemoryLoader::new().with("templates/base.yaml", TEMPLATE).with(
        "acme.yaml",
        "extends: base\ncategories:\n  \"1.0\": { clause: \"1\", title: One }\n  1.0: { clause: \"2\", title: Two }\nmetrics:\n  &a assign: { starts: registered, stops: assigned }\ndefaults:\n  *a : 1 working hour\n  resolve: 1 working day\n",
    );
    if let Err(e) = contract::load(&loader, "acme") {
        panic!("{e}");
    }
}

#[test]
fn only_a_duplicate_key_error_is_moved_to_the_second_key() {
    // A value that merely contains the words, with a real duplicate further down: the
    // first error is the value's, at its own place.
    let e = error(
        "extends: base\ncategories:\n  error.module_failure:\n    resolve: \"resolve` is given twice\"\n  support.small_change:\n    resolve: 1h\n    resolve: 2h\n",
    );
    assert!(e.contains("contracts/acme.yaml:4:"), "{e}");
    assert!(!e.contains("first at line"), "{e}");
    // A duplicate in another mapping does not capture an error about this one.
    let e = error(
        "extends: base\ncalendar:\n  week:\n    mon-fri: [\"09:00-18:00\"]\n    mon: [\"10:00-12:00\"]\ncategories:\n  mon: { resolve: 1h }\n  mon: { resolve: 2h }\n",
    );
    assert!(e.contains("in `mon-fri` (line 4) and in `mon`"), "{e}");
    assert!(e.contains("contracts/acme.yaml:5:5"), "{e}");
    assert!(!e.contains("first at line"), "{e}");
}

/// The mistakes of the terms of an agreement: periods, the fee, compliance and credits.
const AGREEMENT_MISTAKES: [(&str, &str); 14] = [
    (
        "extends: base\nallowances:\n  small_changes: { per: yearly }\n",
        "error: expected a period `month`, `quarter`, `year` or `term`, found `yearly` (did you mean `year`?)\n --> contracts/acme.yaml:3:25\n  |\n3 |   small_changes: { per: yearly }\n  |                         ^^^^^^",
    ),
    (
        "extends: base\nallowances:\n  small_changes: { per: term }\n",
        "error: the allowance `small_changes` is counted over the contract's term, which has no `valid` dates: expected `valid: { from: 2026-01-01, to: 2026-12-31 }`\n --> contracts/acme.yaml:3:25\n  |\n3 |   small_changes: { per: term }\n  |                         ^^^^",
    ),
    (
        "extends: base\nvalid: { from: 2026-01-01, to: 2026-12-31 }\nallowances:\n  small_changes: { per: term, carry_over: 2 }\n",
        "error: the allowance `small_changes` is counted over the whole term, so no hours can carry over to a next period: expected `carry_over: 0` or another `per`\n --> contracts/acme.yaml:4:43\n  |\n4 |   small_changes: { per: term, carry_over: 2 }\n  |                                           ^",
    ),
    (
        "extends: base\nallowances:\n  small_changes: { overage: 39.00 }\n",
        "error: the allowance `small_changes` prices hours over it in the fee's currency, but the contract has no `fee`: expected `fee: { amount: 5000.00, currency: EUR, per: month }`\n --> contracts/acme.yaml:3:20\n  |\n3 |   small_changes: { overage: 39.00 }\n  |                    ^^^^^^^",
    ),
    (
        "extends: base\nfee: { amount: 5000, currency: eur }\n",
        "error: expected a currency code of three capital letters like `EUR` or `USD`, found `eur`\n --> contracts/acme.yaml:2:32\n  |\n2 | fee: { amount: 5000, currency: eur }\n  |                                ^^^",
    ),
    (
        "extends: base\nfee: { currency: EUR }\n",
        "error: the fee has no `amount`: expected `fee: { amount: 5000.00, currency: EUR, per: month }`\n --> contracts/acme.yaml:2:1\n  |\n2 | fee: { currency: EUR }\n  | ^^^",
    ),
    (
        "extends: base\nfee: { amount: €5000, currency: EUR }\n",
        "error: fee.amount: expected an amount like `5000.00` (digits, a decimal point, no currency sign), found `€5000`\n --> contracts/acme.yaml:2:16\n  |\n2 | fee: { amount: €5000, currency: EUR }\n  |                ^^^^^",
    ),
    (
        "extends: base\nfee: { amount: 5000, currency: EUR }\ncompliance:\n  - { metric: resolv, at_least: 95% }\n",
        "error: compliance entry 1 counts the metric `resolv`, which the contract does not have: expected one of `assign`, `resolve` (did you mean `resolve`?)\n --> contracts/acme.yaml:4:15\n  |\n4 |   - { metric: resolv, at_least: 95% }\n  |               ^^^^^^",
    ),
    (
        "extends: base\nfee: { amount: 5000, currency: EUR }\ncompliance:\n  - { metric: resolve, at_least: 95%, priority: urgent }\n",
        "error: compliance entry 1 selects the priority `urgent`, but the contract declares no `priorities`: expected `priorities: [urgent, …]`\n --> contracts/acme.yaml:4:49\n  |\n4 |   - { metric: resolve, at_least: 95%, priority: urgent }\n  |                                                 ^^^^^^",
    ),
    (
        "extends: base\nfee: { amount: 5000, currency: EUR }\ncompliance:\n  - { metric: resolve, at_least: 95%, category: eror.* }\n",
        "error: compliance entry 1 selects the category `eror.*`, which matches none of the contract's categories: expected a category id or a prefix like `error.*` (did you mean `error.*`?)\n --> contracts/acme.yaml:4:49\n  |\n4 |   - { metric: resolve, at_least: 95%, category: eror.* }\n  |                                                 ^^^^^^",
    ),
    (
        "extends: base\nfee: { amount: 5000, currency: EUR }\ncredits:\n  - { metric: resolve, per_late: 30 calendar minutes }\n",
        "error: credit entry 1 has `per_late` but no `credit`: expected the share of the fee per started step, like `credit: 5%`\n --> contracts/acme.yaml:4:5\n  |\n4 |   - { metric: resolve, per_late: 30 calendar minutes }\n  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    ),
    (
        "extends: base\nfee: { amount: 5000, currency: EUR }\ncredits:\n  - { metric: resolve, per_breach: 5%, per_late: 1h, credit: 5% }\n",
        "error: credit entry 1 has both `per_breach` and `per_late`: expected one of them (write two entries for both)\n --> contracts/acme.yaml:4:5\n  |\n4 |   - { metric: resolve, per_breach: 5%, per_late: 1h, credit: 5% }\n  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    ),
    (
        "extends: base\ncredits:\n  - { metric: resolve, per_breach: 5% }\n",
        "error: credit entry 1 is a share of the fee, but the contract has no `fee`: expected `fee: { amount: 5000.00, currency: EUR, per: month }`\n --> contracts/acme.yaml:3:7\n  |\n3 |   - { metric: resolve, per_breach: 5% }\n  |       ^^^^^^",
    ),
    (
        "extends: base\nfee: { amount: 5000, currency: EUR }\ncompliance:\n  - { metric: resolve, at_least: 150% }\n",
        "error: compliance[0].at_least: expected a percentage like `5%` or `0.05` (above 0, at most 100%), found `150%`\n --> contracts/acme.yaml:4:34\n  |\n4 |   - { metric: resolve, at_least: 150% }\n  |                                  ^^^^",
    ),
];

#[test]
fn mistakes_in_the_terms_of_an_agreement() {
    for (contract, expected) in AGREEMENT_MISTAKES {
        assert_eq!(error(contract), expected, "{contract}");
    }
}

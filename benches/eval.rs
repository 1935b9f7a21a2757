//! One evaluation: the module-failure ticket of the README (assigned, paused, resumed,
//! resolved) and an open ticket, under ACME's contract (template merged), with its
//! scripts (standard.rhai, vip.rhai) and without them, to measure what the hooks cost.
//! Baseline in the same run: parsing the ticket from JSON, which every bulk run pays too.
//! Hook calls are memoised (`slaengine::script`): evaluating one ticket over and over
//! measures memo hits, so the standard script is also measured with the memo off.

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use slaengine::contract::{self, DirLoader};
use slaengine::{Ticket, evaluate};

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let loader = DirLoader::new(root.join("contracts"));
    let Ok(contract) = contract::load(&loader, "acme") else {
        panic!("the bundled acme contract must load");
    };
    let text =
        std::fs::read_to_string(root.join("tickets/acme-module-failure.yaml")).unwrap_or_default();
    let Ok(closed) = Ticket::from_str_named(&text, "acme-module-failure.yaml") else {
        panic!("the bundled example ticket must parse");
    };
    let mut open = closed.clone();
    open.events.truncate(1);
    let at: DateTime<Utc> = "2026-03-10T12:00:00+05:00".parse().unwrap_or_default();
    let json = serde_json::to_string(&closed).unwrap_or_default();

    // The template's holiday file, for the loaders in memory below.
    let holidays = std::fs::read_to_string(root.join("calendars/ru-2026.ics")).unwrap_or_default();
    // The same terms without scripts, for the cost of the hooks.
    let strip = |path: &str| {
        std::fs::read_to_string(root.join(path))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.starts_with("scripts:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let plain_loader = slaengine::contract::MemoryLoader::new()
        .with(
            "templates/standard.yaml",
            &strip("contracts/templates/standard.yaml"),
        )
        .with("acme.yaml", &strip("contracts/acme.yaml"))
        .with_root("calendars/ru-2026.ics", &holidays);
    let Ok(plain) = contract::load(&plain_loader, "acme") else {
        panic!("acme without scripts must load");
    };
    let mut unclassified = open.clone();
    unclassified.category = None;

    // The standard terms alone, with and without scripts/standard.rhai: the cost of its
    // hooks (classify, targets, findings) per ticket.
    let template =
        std::fs::read_to_string(root.join("contracts/templates/standard.yaml")).unwrap_or_default();
    let standard_rhai =
        std::fs::read_to_string(root.join("scripts/standard.rhai")).unwrap_or_default();
    let seed = |with_script: bool| {
        let text = if with_script {
            template.clone()
        } else {
            strip("contracts/templates/standard.yaml")
        };
        let loader = slaengine::contract::MemoryLoader::new()
            .with("templates/standard.yaml", &text)
            .with_root("scripts/standard.rhai", &standard_rhai)
            .with_root("calendars/ru-2026.ics", &holidays)
            .with("seed.yaml", "extends: standard\n");
        match contract::load(&loader, "seed") {
            Ok(c) => c,
            Err(e) => panic!("seed contract: {e}"),
        }
    };
    let (seed_plain, seed_scripted) = (seed(false), seed(true));
    // The same script without its `findings` hook: what classify + targets cost.
    let classify_targets = {
        let cut = |s: &str| {
            let (a, b) = (s.find("// 1.2:"), s.find("// Whether the ticket says"));
            match (a, b) {
                (Some(a), Some(b)) if a < b => format!("{}{}", &s[..a], &s[b..]),
                _ => s.to_owned(),
            }
        };
        let loader = slaengine::contract::MemoryLoader::new()
            .with("templates/standard.yaml", &template)
            .with_root("scripts/standard.rhai", &cut(&standard_rhai))
            .with_root("calendars/ru-2026.ics", &holidays)
            .with("seed.yaml", "extends: standard\n");
        match contract::load(&loader, "seed") {
            Ok(c) => c,
            Err(e) => panic!("seed contract: {e}"),
        }
    };
    let mut seed_ticket = open.clone();
    seed_ticket.customer = "seed".into();
    let mut g = c.benchmark_group("standard.rhai");
    g.bench_function("open ticket, standard terms, no scripts", |b| {
        b.iter(|| {
            evaluate(
                black_box(&seed_plain),
                black_box(&seed_ticket),
                black_box(at),
            )
        })
    });
    g.bench_function(
        "open ticket, standard terms, classify + targets of standard.rhai",
        |b| {
            b.iter(|| {
                evaluate(
                    black_box(&classify_targets),
                    black_box(&seed_ticket),
                    black_box(at),
                )
            })
        },
    );
    g.bench_function("open ticket, standard terms, standard.rhai", |b| {
        b.iter(|| {
            evaluate(
                black_box(&seed_scripted),
                black_box(&seed_ticket),
                black_box(at),
            )
        })
    });
    // The same ticket again and again: with the memo every hook call after the first is
    // answered from it; without, every call runs the script.
    slaengine::script::memoize(false);
    g.bench_function(
        "open ticket, standard terms, standard.rhai, memo off",
        |b| {
            b.iter(|| {
                evaluate(
                    black_box(&seed_scripted),
                    black_box(&seed_ticket),
                    black_box(at),
                )
            })
        },
    );
    slaengine::script::memoize(true);
    g.finish();

    let mut g = c.benchmark_group("evaluate");
    g.bench_function("closed ticket, no scripts", |b| {
        b.iter(|| evaluate(black_box(&plain), black_box(&closed), black_box(at)))
    });
    g.bench_function("open ticket, no scripts", |b| {
        b.iter(|| evaluate(black_box(&plain), black_box(&open), black_box(at)))
    });
    g.bench_function("open ticket, no category, classified by script", |b| {
        b.iter(|| {
            evaluate(
                black_box(&contract),
                black_box(&unclassified),
                black_box(at),
            )
        })
    });
    g.bench_function("closed ticket, standard.rhai + vip.rhai", |b| {
        b.iter(|| evaluate(black_box(&contract), black_box(&closed), black_box(at)))
    });
    g.bench_function("open ticket, standard.rhai + vip.rhai", |b| {
        b.iter(|| evaluate(black_box(&contract), black_box(&open), black_box(at)))
    });
    g.bench_function("baseline: parse the ticket from JSON", |b| {
        b.iter(|| serde_json::from_str::<Ticket>(black_box(&json)))
    });
    g.bench_function("serialise the evaluation to JSON", |b| {
        let e = evaluate(&contract, &closed, at);
        b.iter(|| serde_json::to_string(black_box(&e)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

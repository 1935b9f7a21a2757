//! `due` and `elapsed` on the standard calendar (Mon–Fri 09:00–18:00, Europe/Moscow,
//! Russian 2026 holidays) for 1 working hour up to 40 working days, from several start
//! instants; and building a calendar. The cost must not grow with the duration: compare
//! the 40-day medians with the 1-hour ones measured in the same run.

use std::hint::black_box;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use slaengine::calendar::{Calendar, Window};

const HOLIDAYS: [&str; 14] = [
    "2026-01-01",
    "2026-01-02",
    "2026-01-05",
    "2026-01-06",
    "2026-01-07",
    "2026-01-08",
    "2026-01-09",
    "2026-02-23",
    "2026-03-09",
    "2026-05-01",
    "2026-05-11",
    "2026-06-12",
    "2026-11-04",
    "2026-12-31",
];

fn standard() -> Calendar {
    let mut week: [Vec<Window>; 7] = Default::default();
    for day in &mut week[..5] {
        *day = vec![Window::new(9 * 3600, 18 * 3600).unwrap_or(Window { start: 0, end: 1 })];
    }
    let holidays: Vec<NaiveDate> = HOLIDAYS.iter().filter_map(|h| h.parse().ok()).collect();
    match Calendar::new(
        chrono_tz::Europe::Moscow,
        week,
        holidays,
        vec![],
        Some(9 * 3600),
    ) {
        Ok(c) => c,
        Err(e) => panic!("standard calendar: {e}"),
    }
}

fn bench(c: &mut Criterion) {
    let cal = standard();
    // Starts inside hours, after hours, on a weekend and just before a holiday.
    let starts: Vec<DateTime<Utc>> = [
        "2026-03-06T16:40:00+03:00",
        "2026-04-14T19:10:00+03:00",
        "2026-06-06T11:00:00+03:00",
        "2026-10-29T10:15:00+03:00",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect();
    let day = 9 * 3600;
    let spans = [
        ("1 hour", 3600),
        ("1 day", day),
        ("10 days", 10 * day),
        ("40 days", 40 * day),
    ];

    let mut g = c.benchmark_group("due");
    for (name, secs) in spans {
        g.bench_with_input(BenchmarkId::from_parameter(name), &secs, |b, &secs| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % starts.len();
                cal.due(black_box(starts[i]), black_box(secs))
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("elapsed");
    for (name, secs) in spans {
        let ends: Vec<_> = starts.iter().filter_map(|s| cal.due(*s, secs)).collect();
        g.bench_with_input(BenchmarkId::from_parameter(name), &secs, |b, _| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % starts.len();
                cal.elapsed(black_box(starts[i]), black_box(ends[i]))
            })
        });
    }
    g.finish();

    c.bench_function("Calendar::new (zone table cached)", |b| b.iter(standard));
}

criterion_group!(benches, bench);
criterion_main!(benches);

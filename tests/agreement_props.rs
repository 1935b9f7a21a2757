//! Property tests of the terms of real agreements against simple references written here:
//! the instances of a recurring metric, `keep` and `restart` changes of a ticket's
//! priority, and named calendars (one in a zone with daylight saving time).
//!
//! The reference calendar decides each minute from the local wall-clock time chrono-tz
//! gives (kept in a table of open minutes over a span of dates), and the reference clock
//! replays a ticket's events by the rules of docs/terms-of-real-agreements.md: an event
//! that stops ends the open run, then one that starts opens a new one; `paused` …
//! `resumed` pauses the open run; from `resolved` until `reopened` no instance opens.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use slaengine::contract::{self, Contract};
use slaengine::eval::{Evaluation, MetricResult, Status};
use slaengine::{Ticket, evaluate};

fn utc(t: &str) -> DateTime<Utc> {
    t.parse().unwrap()
}

fn date(t: &str) -> NaiveDate {
    t.parse().unwrap()
}

/// Minutes from local midnight: `hm(9, 30)` is 09:30.
const fn hm(h: u32, m: u32) -> u32 {
    h * 60 + m
}

/// Windows of each weekday (Monday first) in minutes from local midnight.
type Week<'a> = [&'a [(u32, u32)]; 7];

/// A calendar as the reference sees it: a table of its open minutes over a span.
struct RefCal {
    origin: DateTime<Utc>,
    /// Open minutes before each minute of the span (one more entry than minutes).
    prefix: Vec<i64>,
}

impl RefCal {
    /// The calendar of `tz` open in `week` (windows in minutes from local midnight,
    /// Monday first) except on `holidays`, tabled for `days` days from `origin`.
    fn new(tz: Tz, week: Week, holidays: &[NaiveDate], origin: DateTime<Utc>, days: i64) -> Self {
        let mut prefix = vec![0];
        let mut total = 0;
        for m in 0..days * 24 * 60 {
            let local = tz.from_utc_datetime(&(origin + TimeDelta::minutes(m)).naive_utc());
            let day = local.date_naive();
            let minute = local.num_seconds_from_midnight() / 60;
            let windows = week[day.weekday().num_days_from_monday() as usize];
            let open =
                !holidays.contains(&day) && windows.iter().any(|&(a, b)| a <= minute && minute < b);
            total += i64::from(open);
            prefix.push(total);
        }
        RefCal { origin, prefix }
    }

    fn index(&self, t: DateTime<Utc>) -> usize {
        let m = (t - self.origin).num_minutes();
        assert!(
            m >= 0 && (m as usize) < self.prefix.len(),
            "{t} outside the table"
        );
        m as usize
    }

    /// Working seconds from `a` to `b` (minute boundaries).
    fn elapsed(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b <= a {
            return 0;
        }
        (self.prefix[self.index(b)] - self.prefix[self.index(a)]) * 60
    }

    /// The instant `secs` working seconds (whole minutes) after `a`.
    fn due(&self, a: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
        let start = self.index(a);
        let goal = self.prefix[start] + secs / 60;
        let mut i = start;
        while self.prefix[i] < goal {
            i += 1;
            assert!(
                i < self.prefix.len(),
                "the due instant is outside the table"
            );
        }
        self.origin + TimeDelta::minutes(i as i64)
    }
}

/// What can happen to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Replied,
    CustomerReplied,
    Paused,
    Resumed,
    Resolved,
    Reopened,
    /// A change of the priority (`None`: to `null`).
    Changed(Option<&'static str>),
}

impl Kind {
    fn yaml(self, t: DateTime<Utc>) -> String {
        let at = t.to_rfc3339();
        let kind = match self {
            Kind::Replied => "replied",
            Kind::CustomerReplied => "customer_replied",
            Kind::Paused => "paused",
            Kind::Resumed => "resumed",
            Kind::Resolved => "resolved",
            Kind::Reopened => "reopened",
            Kind::Changed(to) => {
                let to = to.unwrap_or("null");
                return format!("{{ at: {at}, kind: changed, field: priority, to: {to} }}");
            }
        };
        format!("{{ at: {at}, kind: {kind} }}")
    }
}

/// A ticket of the category `incident` as the reference sees it.
#[derive(Debug, Clone)]
struct Case {
    registered: DateTime<Utc>,
    priority: Option<&'static str>,
    /// In time order.
    events: Vec<(DateTime<Utc>, Kind)>,
    at: DateTime<Utc>,
}

impl Case {
    fn ticket(&self, with_changes: bool) -> Ticket {
        let mut text = format!(
            "id: T-1\ncustomer: demo\ncategory: incident\nregistered: {}\n",
            self.registered.to_rfc3339()
        );
        if let Some(p) = self.priority {
            text.push_str(&format!("priority: {p}\n"));
        }
        text.push_str("events:\n");
        let mut any = false;
        for &(t, k) in &self.events {
            if with_changes || !matches!(k, Kind::Changed(_)) {
                text.push_str(&format!("  - {}\n", k.yaml(t)));
                any = true;
            }
        }
        if !any {
            text.push_str("  []\n");
        }
        Ticket::from_str_named(&text, "ticket.yaml").unwrap()
    }

    /// The events the evaluation sees.
    fn seen(&self) -> impl Iterator<Item = (DateTime<Utc>, Kind)> + '_ {
        self.events.iter().copied().filter(|&(t, _)| t <= self.at)
    }

    /// The priority in force at `t` (the contract's default is `normal`).
    fn priority_at(&self, t: DateTime<Utc>) -> &'static str {
        let mut p = self.priority;
        for (e, k) in self.seen() {
            if let Kind::Changed(to) = k
                && e <= t
            {
                p = to;
            }
        }
        p.unwrap_or("normal")
    }

    /// The last change at or before `t` after which `target` (of the priority) differs
    /// from before it.
    fn setter(&self, t: DateTime<Utc>, target: fn(&str) -> Option<i64>) -> Option<DateTime<Utc>> {
        let mut p = self.priority;
        let mut last = None;
        for (e, k) in self.seen() {
            if let Kind::Changed(to) = k
                && e <= t
            {
                if target(to.unwrap_or("normal")) != target(p.unwrap_or("normal")) {
                    last = Some(e);
                }
                p = to;
            }
        }
        last
    }
}

/// How a metric's clock runs, for the reference.
struct Rule {
    recurring: bool,
    starts_at_registration: bool,
    starts: &'static [Kind],
    stops: &'static [Kind],
}

const UPDATE: Rule = Rule {
    recurring: true,
    starts_at_registration: true,
    starts: &[Kind::Replied, Kind::CustomerReplied],
    stops: &[Kind::Replied, Kind::Resolved],
};

const RESOLVE: Rule = Rule {
    recurring: false,
    starts_at_registration: true,
    starts: &[],
    stops: &[Kind::Resolved],
};

/// One run of a metric's clock by the reference: counting and paused intervals, closed
/// at the evaluation instant when still open.
#[derive(Debug, Clone)]
struct RefRun {
    started: DateTime<Utc>,
    stopped: Option<DateTime<Utc>>,
    counting: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    paused: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

#[derive(Clone, Copy)]
enum Phase {
    Counting(DateTime<Utc>),
    Paused(DateTime<Utc>),
    Stopped(Kind),
}

fn replay(rule: &Rule, case: &Case) -> Vec<RefRun> {
    let mut runs: Vec<RefRun> = Vec::new();
    let mut phase = None;
    let open = |runs: &mut Vec<RefRun>, t| {
        runs.push(RefRun {
            started: t,
            stopped: None,
            counting: Vec::new(),
            paused: Vec::new(),
        });
        Some(Phase::Counting(t))
    };
    if rule.starts_at_registration {
        phase = open(&mut runs, case.registered);
    }
    let mut resolved = false;
    for (t, k) in case.seen() {
        if let Some(run) = runs.last_mut() {
            phase = match phase {
                Some(Phase::Counting(s)) if rule.stops.contains(&k) => {
                    run.counting.push((s, t));
                    run.stopped = Some(t);
                    Some(Phase::Stopped(k))
                }
                Some(Phase::Paused(s)) if rule.stops.contains(&k) => {
                    run.paused.push((s, t));
                    run.stopped = Some(t);
                    Some(Phase::Stopped(k))
                }
                Some(Phase::Counting(s)) if k == Kind::Paused => {
                    run.counting.push((s, t));
                    Some(Phase::Paused(t))
                }
                Some(Phase::Paused(s)) if k == Kind::Resumed => {
                    run.paused.push((s, t));
                    Some(Phase::Counting(t))
                }
                Some(Phase::Stopped(Kind::Resolved)) if !rule.recurring && k == Kind::Reopened => {
                    run.stopped = None;
                    Some(Phase::Counting(t))
                }
                other => other,
            };
        }
        match k {
            Kind::Resolved => resolved = true,
            Kind::Reopened => resolved = false,
            _ => {}
        }
        let stopped = matches!(phase, Some(Phase::Stopped(_)));
        let opens = match phase {
            None => !(rule.recurring && resolved),
            Some(_) => rule.recurring && stopped && !resolved,
        };
        if rule.starts.contains(&k) && opens {
            phase = open(&mut runs, t);
        }
    }
    if let Some(run) = runs.last_mut() {
        match phase {
            Some(Phase::Counting(s)) => run.counting.push((s, case.at)),
            Some(Phase::Paused(s)) => run.paused.push((s, case.at)),
            _ => {}
        }
    }
    runs
}

/// Working seconds of `intervals` from `from` on.
fn counted(cal: &RefCal, intervals: &[(DateTime<Utc>, DateTime<Utc>)], from: DateTime<Utc>) -> i64 {
    intervals
        .iter()
        .map(|&(a, b)| cal.elapsed(a.max(from), b))
        .sum()
}

fn metric<'e>(e: &'e Evaluation, name: &str) -> &'e MetricResult {
    e.metrics.iter().find(|m| m.name == name).unwrap()
}

/// What the evaluation says of each run of a metric: (started, stopped, elapsed,
/// paused, target, deadline) per instance, or of the metric itself.
type Measured = (
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i64,
    i64,
    Option<i64>,
    Option<DateTime<Utc>>,
);

fn measured(m: &MetricResult) -> Vec<Measured> {
    match &m.instances {
        Some(list) => list
            .iter()
            .map(|x| {
                (
                    x.started.to_utc(),
                    x.stopped.map(|t| t.to_utc()),
                    x.elapsed_seconds,
                    x.paused_seconds,
                    x.remaining_seconds.map(|r| r + x.elapsed_seconds),
                    x.deadline.map(|t| t.to_utc()),
                )
            })
            .collect(),
        None => m
            .started
            .map(|s| {
                (
                    s.to_utc(),
                    m.stopped.map(|t| t.to_utc()),
                    m.elapsed_seconds,
                    m.paused_seconds,
                    m.target_seconds,
                    m.deadline.map(|t| t.to_utc()),
                )
            })
            .into_iter()
            .collect(),
    }
}

// The business calendar of the contracts about tickets: Berlin, weekdays with a lunch
// break, a holiday on Wednesday 2026-03-04 (UTC+1 all the span: no change of time).

const BUSINESS: &str = r#"calendar: { timezone: Europe/Berlin, week: { mon-fri: ["09:00-12:30", "13:30-18:00"] }, holidays: [2026-03-04] }"#;

static BUSINESS_REF: LazyLock<RefCal> = LazyLock::new(|| {
    let day: &[(u32, u32)] = &[(hm(9, 0), hm(12, 30)), (hm(13, 30), hm(18, 0))];
    RefCal::new(
        chrono_tz::Europe::Berlin,
        [day, day, day, day, day, &[], &[]],
        &[date("2026-03-04")],
        utc("2026-03-01T00:00:00Z"),
        16,
    )
});

/// Targets by priority of `resolve` (low takes `else`).
fn resolve_target(p: &str) -> Option<i64> {
    Some(match p {
        "urgent" => 3600,
        "high" => 3 * 3600,
        _ => 8 * 3600,
    })
}

/// Targets by priority of `update` (low has none).
fn update_target(p: &str) -> Option<i64> {
    match p {
        "urgent" => Some(1800),
        "high" => Some(3600),
        "low" => None,
        _ => Some(7200),
    }
}

fn ticket_contract(on_change: &str) -> Contract {
    let text = format!(
        r#"{BUSINESS}
priorities: [urgent, high, normal, low]
default_priority: normal
metrics:
  resolve: {{ starts: registered, stops: resolved, pausable: true{on_change} }}
  update: {{ starts: [registered, replied, customer_replied], stops: [replied, resolved], recurring: true, pausable: true{on_change} }}
categories:
  incident:
    resolve: {{ urgent: 1h, high: 3h, else: 8h }}
    update: {{ urgent: 30m, high: 1h, low: none, else: 2h }}
"#
    );
    contract::parse_str("demo", &text).unwrap()
}

static KEEP: LazyLock<Contract> = LazyLock::new(|| ticket_contract(""));
static KEEP_SAID: LazyLock<Contract> = LazyLock::new(|| ticket_contract(", on_change: keep"));
static RESTART: LazyLock<Contract> = LazyLock::new(|| ticket_contract(", on_change: restart"));

fn kind(with_changes: bool) -> impl Strategy<Value = Kind> {
    let plain = prop_oneof![
        Just(Kind::Replied),
        Just(Kind::CustomerReplied),
        Just(Kind::Paused),
        Just(Kind::Resumed),
        Just(Kind::Resolved),
        Just(Kind::Reopened),
    ];
    let changed = prop_oneof![
        Just(Some("urgent")),
        Just(Some("high")),
        Just(Some("normal")),
        Just(Some("low")),
        Just(None),
    ]
    .prop_map(Kind::Changed);
    if with_changes {
        prop_oneof![3 => plain, 2 => changed].boxed()
    } else {
        plain.boxed()
    }
}

/// A ticket registered on Monday 2026-03-02 with up to `n` events over the next four
/// days (some at the same minute), evaluated within six days of its registration.
fn case(n: usize, with_changes: bool) -> impl Strategy<Value = Case> {
    let priority = prop_oneof![Just(None), Just(Some("high")), Just(Some("normal"))];
    let events = proptest::collection::vec((0i64..4 * 24 * 60, kind(with_changes)), 0..n);
    (0i64..24 * 60, priority, events, 0i64..6 * 24 * 60).prop_map(|(reg, priority, events, at)| {
        let registered = utc("2026-03-02T06:00:00Z") + TimeDelta::minutes(reg);
        // Minutes on a 15-minute grid often enough that events share an instant.
        let mut events: Vec<_> = events
            .into_iter()
            .map(|(m, k)| {
                let m = if m % 3 == 0 { m - m % 15 } else { m };
                (registered + TimeDelta::minutes(m), k)
            })
            .collect();
        events.sort_by_key(|&(t, _)| t);
        Case {
            registered,
            priority,
            events,
            at: registered + TimeDelta::minutes(at),
        }
    })
}

/// Checks every run of `name` against the reference clock, where `from` gives for each
/// run the instant from which its time counts and `target` its target.
fn check_runs(
    e: &Evaluation,
    name: &str,
    rule: &Rule,
    case: &Case,
    from: impl Fn(&RefRun) -> DateTime<Utc>,
    target: fn(&str) -> Option<i64>,
) -> Result<(), TestCaseError> {
    let cal = &*BUSINESS_REF;
    let runs = replay(rule, case);
    let got = measured(metric(e, name));
    prop_assert_eq!(got.len(), runs.len(), "runs of {}", name);
    for (i, (run, got)) in runs.iter().zip(&got).enumerate() {
        let end = run.stopped.unwrap_or(case.at);
        let t = from(run);
        let expected_target = target(case.priority_at(end));
        prop_assert_eq!(got.0, run.started, "{} #{} started", name, i + 1);
        prop_assert_eq!(got.1, run.stopped, "{} #{} stopped", name, i + 1);
        prop_assert_eq!(
            got.2,
            counted(cal, &run.counting, t),
            "{} #{} elapsed",
            name,
            i + 1
        );
        prop_assert_eq!(
            got.3,
            counted(cal, &run.paused, t),
            "{} #{} paused",
            name,
            i + 1
        );
        prop_assert_eq!(got.4, expected_target, "{} #{} target", name, i + 1);
        // With at most one stretch of counting and no pause, the deadline is the target's
        // working time after the start of that stretch (or after the instant from which
        // time counts, when nothing is left to count).
        let counting: Vec<_> = run.counting.iter().filter(|iv| iv.1 > t).collect();
        let paused = run.paused.iter().any(|iv| iv.1 > t);
        let first = match &counting[..] {
            [] => Some(t),
            [only] => Some(only.0.max(t)),
            _ => None,
        };
        if let (Some(secs), Some(first), false) = (expected_target, first, paused) {
            prop_assert_eq!(
                got.5,
                Some(cal.due(first, secs)),
                "{} #{} deadline",
                name,
                i + 1
            );
        }
        if expected_target.is_none() {
            prop_assert_eq!(got.5, None, "{} #{} deadline", name, i + 1);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// A recurring metric's instances follow one another without overlap, and each one's
    /// time counted plus time paused is the working time from its start to its stop (or
    /// to the evaluation instant).
    #[test]
    fn recurring_instances_do_not_overlap_and_share_their_working_time(case in case(14, false)) {
        let e = evaluate(&KEEP, &case.ticket(true), case.at);
        let update = metric(&e, "update");
        let instances = update.instances.as_ref().unwrap();
        let cal = &*BUSINESS_REF;
        for pair in instances.windows(2) {
            let stopped = pair[0].stopped;
            prop_assert!(stopped.is_some(), "an instance before the last is open: {:?}", pair);
            prop_assert!(pair[1].started >= stopped.unwrap(), "instances overlap: {:?}", pair);
        }
        for x in instances {
            let end = x.stopped.map_or(case.at, |t| t.to_utc());
            prop_assert!(x.started.to_utc() <= end);
            prop_assert_eq!(
                x.elapsed_seconds + x.paused_seconds,
                cal.elapsed(x.started.to_utc(), end),
                "instance {:?}", x
            );
            let target = update_target(case.priority_at(end));
            prop_assert_eq!(
                x.status == Status::Breached,
                target.is_some_and(|t| x.elapsed_seconds > t)
            );
        }
        prop_assert_eq!(
            update.instances_breached,
            Some(instances.iter().filter(|x| x.status == Status::Breached).count())
        );
        // The instances are the reference's, one for one.
        check_runs(&e, "update", &UPDATE, &case, |r| r.started, update_target)?;
        if let Some(last) = instances.last() {
            prop_assert_eq!(update.started, Some(last.started));
            prop_assert_eq!(update.stopped, last.stopped);
            prop_assert_eq!(update.elapsed_seconds, last.elapsed_seconds);
        }
    }

    /// Under `keep` (the default, or said), a change of the priority changes only the
    /// target and the deadline: the time counted and paused is that of the same ticket
    /// without the change.
    #[test]
    fn a_keep_change_never_changes_the_time_counted(case in case(14, true), said in any::<bool>()) {
        let c: &Contract = if said { &KEEP_SAID } else { &KEEP };
        let changed = evaluate(c, &case.ticket(true), case.at);
        let plain = evaluate(c, &case.ticket(false), case.at);
        for name in ["resolve", "update"] {
            let a = measured(metric(&changed, name));
            let b = measured(metric(&plain, name));
            prop_assert_eq!(a.len(), b.len(), "runs of {}", name);
            for (x, y) in a.iter().zip(&b) {
                prop_assert_eq!((x.0, x.1, x.2, x.3), (y.0, y.1, y.2, y.3), "{}", name);
            }
        }
        check_runs(&changed, "resolve", &RESOLVE, &case, |r| r.started, resolve_target)?;
        check_runs(&changed, "update", &UPDATE, &case, |r| r.started, update_target)?;
    }

    /// Under `restart`, the time counted is the working time (less pauses) from the last
    /// change that changed the target, at or before the stop or the evaluation instant,
    /// when it came after the start.
    #[test]
    fn a_restart_change_counts_nothing_before_it(case in case(14, true)) {
        let e = evaluate(&RESTART, &case.ticket(true), case.at);
        let case = &case;
        let from = |target: fn(&str) -> Option<i64>| {
            move |r: &RefRun| {
                let end = r.stopped.unwrap_or(case.at);
                case.setter(end, target).map_or(r.started, |t| t.max(r.started))
            }
        };
        check_runs(&e, "resolve", &RESOLVE, case, from(resolve_target), resolve_target)?;
        check_runs(&e, "update", &UPDATE, case, from(update_target), update_target)?;
    }
}

// Named calendars: the contract's own in Berlin (daylight saving time from Sunday
// 2026-03-29 and until Sunday 2026-10-25), 24x7 without holidays, 24x5 and a split
// shift that inherit Berlin and its holidays, and night shifts in New York (its own
// zone and holidays, daylight saving time until Sunday 2026-11-01).

const CALENDARS: &str = r#"calendar: { timezone: Europe/Berlin, week: { mon-fri: ["09:00-18:00"] }, holidays: [2026-03-27, 2026-10-26] }
calendars:
  always: { week: { mon-sun: ["00:00-24:00"] }, holidays: [] }
  24x5: { week: { mon-fri: ["00:00-24:00"] } }
  split: { week: { mon-fri: ["07:00-11:00", "14:00-19:30"], sun: ["01:30-03:30", "22:00-24:00"] } }
  night: { timezone: America/New_York, week: { mon-sun: ["00:00-02:30", "20:00-24:00"] }, holidays: [2026-10-31] }
"#;

const NAMES: [Option<&str>; 5] = [
    None,
    Some("always"),
    Some("24x5"),
    Some("split"),
    Some("night"),
];

/// The first instant of each span the registrations fall in, and its length in days.
const SPANS: [(&str, i64); 2] = [("2026-03-24T00:00:00Z", 8), ("2026-10-20T00:00:00Z", 14)];

/// The reference for calendar `NAMES[i]` in span `s`, and its length of a working day.
fn named_ref(i: usize, s: usize) -> &'static (RefCal, i64) {
    static TABLES: LazyLock<Vec<Vec<(RefCal, i64)>>> = LazyLock::new(|| {
        let berlin = chrono_tz::Europe::Berlin;
        let holidays = [date("2026-03-27"), date("2026-10-26")];
        let all: &[(u32, u32)] = &[(0, hm(24, 0))];
        let office: &[(u32, u32)] = &[(hm(9, 0), hm(18, 0))];
        let split: &[(u32, u32)] = &[(hm(7, 0), hm(11, 0)), (hm(14, 0), hm(19, 30))];
        let split_sun: &[(u32, u32)] = &[(hm(1, 30), hm(3, 30)), (hm(22, 0), hm(24, 0))];
        let night: &[(u32, u32)] = &[(0, hm(2, 30)), (hm(20, 0), hm(24, 0))];
        let specs: [(Tz, Week, Vec<NaiveDate>, i64); 5] = [
            (
                berlin,
                [office, office, office, office, office, &[], &[]],
                holidays.to_vec(),
                9 * 60,
            ),
            (berlin, [all; 7], vec![], 24 * 60),
            (
                berlin,
                [all, all, all, all, all, &[], &[]],
                holidays.to_vec(),
                24 * 60,
            ),
            (
                berlin,
                [split, split, split, split, split, &[], split_sun],
                holidays.to_vec(),
                9 * 60 + 30,
            ),
            (
                chrono_tz::America::New_York,
                [night; 7],
                vec![date("2026-10-31")],
                6 * 60 + 30,
            ),
        ];
        specs
            .iter()
            .map(|(tz, week, holidays, day)| {
                SPANS
                    .iter()
                    .map(|&(origin, days)| {
                        // Room for a due instant three weeks after the span.
                        let cal = RefCal::new(*tz, *week, holidays, utc(origin), days + 21);
                        (cal, day * 60)
                    })
                    .collect()
            })
            .collect()
    });
    &TABLES[i][s]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A target counted on a named calendar (its own, or its category's) has the deadline,
    /// the time counted and the length of a working day of that calendar; `due` and
    /// `elapsed` of the named calendar agree with the reference.
    #[test]
    fn named_calendars_agree_with_minute_stepping(
        span in 0usize..SPANS.len(),
        reg in 0i64..14 * 24 * 60,
        wait in 0i64..3 * 24 * 60,
        category_calendar in 0usize..NAMES.len(),
        target_calendar in 0usize..NAMES.len(),
        minutes in 1i64..40 * 60,
        days in proptest::option::of(1i64..4),
    ) {
        let (origin, length) = SPANS[span];
        let registered = utc(origin) + TimeDelta::minutes(reg % (length * 24 * 60));
        let at = registered + TimeDelta::minutes(wait);
        let duration = match days {
            Some(d) => format!("{d} working days"),
            None => format!("{minutes} working minutes"),
        };
        let target = match NAMES[target_calendar] {
            Some(name) => format!("{{ target: {duration}, calendar: {name} }}"),
            None => duration.clone(),
        };
        let category = NAMES[category_calendar]
            .map(|n| format!("\n    calendar: {n}"))
            .unwrap_or_default();
        let text = format!(
            "{CALENDARS}metrics:\n  reply: {{ starts: registered, stops: replied }}\ncategories:\n  incident:{category}\n    reply: {target}\n"
        );
        let c = contract::parse_str("demo", &text).unwrap();
        let chosen = if target_calendar != 0 { target_calendar } else { category_calendar };
        let (cal, day) = named_ref(chosen, span);
        let secs = days.map_or(minutes * 60, |d| d * day);
        let case = Case { registered, priority: None, events: vec![], at };
        let e = evaluate(&c, &case.ticket(true), at);
        let reply = metric(&e, "reply");
        prop_assert_eq!(reply.calendar.as_deref(), NAMES[chosen]);
        prop_assert_eq!(reply.target_seconds, Some(secs));
        prop_assert_eq!(reply.elapsed_seconds, cal.elapsed(registered, at));
        prop_assert_eq!(reply.deadline.map(|t| t.to_utc()), Some(cal.due(registered, secs)));
        let library = c.calendar_named(NAMES[chosen]);
        prop_assert_eq!(library.due(registered, secs), Some(cal.due(registered, secs)));
        prop_assert_eq!(library.elapsed(registered, at), cal.elapsed(registered, at));
        prop_assert_eq!(library.day_length(), *day);
        prop_assert_eq!(library.timezone(), if chosen == 4 { chrono_tz::America::New_York } else { chrono_tz::Europe::Berlin });
    }
}

//! A metric's clock: the events replayed into counting and paused intervals, the working
//! (or real) time they hold, the deadline and the status.

use chrono::{DateTime, TimeDelta, Utc};

use super::Evaluator;
use crate::calendar::{Calendar, Step};
use crate::contract::{Metric, OnChange};
use crate::duration::{Duration, DurationKind};
use crate::evaluation::{Instance, MetricResult, Status};
use crate::instant::format_seconds;
use crate::ticket::{Event, EventKind};

/// `d.to_string()`, remembered: a contract has a handful of targets, and spelling one
/// (`2 working days`) costs more than the rest of its metric.
fn duration_text(d: Duration) -> String {
    use std::cell::RefCell;
    thread_local! {
        static SPELLED: RefCell<Vec<(Duration, String)>> = const { RefCell::new(Vec::new()) };
    }
    SPELLED.with(|cell| {
        let mut spelled = cell.borrow_mut();
        if let Some((_, text)) = spelled.iter().find(|(k, _)| *k == d) {
            return text.clone();
        }
        let text = d.to_string();
        if spelled.len() >= 32 {
            spelled.remove(0);
        }
        spelled.push((d, text.clone()));
        text
    })
}

/// Counts time on a contract's calendar (working time) or in real time.
#[derive(Clone, Copy)]
enum Clock<'a> {
    Working(&'a Calendar),
    Real,
}

impl Clock<'_> {
    fn count(self, a: DateTime<Utc>, b: DateTime<Utc>, trace: Option<&mut Vec<Step>>) -> i64 {
        match (self, trace) {
            (Clock::Working(c), None) => c.elapsed(a, b),
            (Clock::Working(c), Some(t)) => c.elapsed_traced(a, b, t),
            (Clock::Real, _) => (b - a).num_seconds().max(0),
        }
    }

    fn due(
        self,
        a: DateTime<Utc>,
        secs: i64,
        trace: Option<&mut Vec<Step>>,
    ) -> Option<DateTime<Utc>> {
        match (self, trace) {
            (Clock::Working(c), None) => c.due(a, secs),
            (Clock::Working(c), Some(t)) => c.due_traced(a, secs, t),
            (Clock::Real, _) => a.checked_add_signed(TimeDelta::try_seconds(secs.max(0))?),
        }
    }
}

/// Where a run of a metric's clock stands after replaying the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Paused,
    Stopped,
}

/// One run of a metric's clock, from a start to a stop: the only one of a metric that
/// does not recur, one instance of a recurring one.
struct Run<'e> {
    started: DateTime<Utc>,
    /// The kind of the event that started it (`None`: the registration).
    start: Option<&'e EventKind>,
    /// Counting intervals; the last may be open (`None`: still counting).
    active: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    stopped: Option<DateTime<Utc>>,
    /// The kind of the event that stopped it.
    stop: Option<&'e EventKind>,
    state: State,
    /// The instant from which time counts: the start, or the last restart.
    counts_from: DateTime<Utc>,
}

impl<'e> Run<'e> {
    fn new(t: DateTime<Utc>, start: Option<&'e EventKind>) -> Self {
        Run {
            started: t,
            start,
            active: vec![(t, None)],
            pauses: Vec::new(),
            stopped: None,
            stop: None,
            state: State::Running,
            counts_from: t,
        }
    }

    fn stop(&mut self, t: DateTime<Utc>, kind: &'e EventKind) {
        match self.state {
            State::Running => close(&mut self.active, t),
            State::Paused => close(&mut self.pauses, t),
            State::Stopped => return,
        }
        self.stopped = Some(t);
        self.stop = Some(kind);
        self.state = State::Stopped;
    }

    /// The clock starts again at `t`: nothing before it counts.
    fn restart_at(&mut self, t: DateTime<Utc>) {
        self.counts_from = t;
        clip(&mut self.active, t);
        clip(&mut self.pauses, t);
    }
}

/// Replays `events` (sorted, none after the evaluation instant) through a metric's clock:
/// its runs in order. An event that stops ends the open run; then one that starts opens a
/// run if none is open — for a metric that does not recur, only the first; for a
/// recurring one, none from `resolved` until `reopened`. A metric that does not recur and
/// was stopped by `resolved` runs on from `reopened`.
fn replay<'e>(metric: &Metric, registered: DateTime<Utc>, events: &[&'e Event]) -> Vec<Run<'e>> {
    let mut runs: Vec<Run<'e>> = Vec::with_capacity(1);
    if metric.starts_at_registration {
        runs.push(Run::new(registered, None));
    }
    let mut resolved = false;
    for e in events {
        let t = e.at.to_utc();
        let kind = &e.kind;
        if let Some(run) = runs.last_mut() {
            match run.state {
                State::Running | State::Paused if metric.stops_on(kind) => run.stop(t, kind),
                State::Running if metric.pausable && *kind == EventKind::Paused => {
                    close(&mut run.active, t);
                    run.pauses.push((t, None));
                    run.state = State::Paused;
                }
                State::Paused if *kind == EventKind::Resumed => {
                    close(&mut run.pauses, t);
                    run.active.push((t, None));
                    run.state = State::Running;
                }
                State::Stopped
                    if !metric.recurring
                        && *kind == EventKind::Reopened
                        && run.stop == Some(&EventKind::Resolved) =>
                {
                    run.stopped = None;
                    run.stop = None;
                    run.active.push((t, None));
                    run.state = State::Running;
                }
                _ => {}
            }
        }
        match kind {
            EventKind::Resolved => resolved = true,
            EventKind::Reopened => resolved = false,
            _ => {}
        }
        if metric.starts_on(kind) {
            let opens = match runs.last() {
                None => !(metric.recurring && resolved),
                Some(r) => metric.recurring && r.state == State::Stopped && !resolved,
            };
            if opens {
                runs.push(Run::new(t, Some(kind)));
            }
        }
    }
    runs
}

fn close(intervals: &mut [(DateTime<Utc>, Option<DateTime<Utc>>)], t: DateTime<Utc>) {
    if let Some(last) = intervals.last_mut() {
        last.1 = Some(t);
    }
}

/// Drops what lies before `t` of each interval.
fn clip(intervals: &mut Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>, t: DateTime<Utc>) {
    intervals.retain(|&(_, b)| b.is_none_or(|b| b >= t));
    for iv in intervals {
        iv.0 = iv.0.max(t);
    }
}

/// The kind of an event for the trace: `` `replied` ``.
fn kind_text(kind: Option<&EventKind>) -> String {
    match kind {
        None => "registration".to_owned(),
        Some(k) => format!("`{}`", k.as_str()),
    }
}

impl Evaluator<'_> {
    pub(super) fn metric(&mut self, index: usize, metric: &Metric) -> MetricResult {
        let name = metric.name.as_str();
        self.explained_dates.clear();
        let registered = self.ticket.registered.to_utc();
        let mut result = MetricResult::empty(name);
        if metric.recurring {
            result.instances = Some(Vec::new());
            result.instances_breached = Some(0);
        }
        if registered > self.at {
            return result;
        }
        let runs = replay(metric, registered, &self.events);
        if runs.is_empty() {
            self.note(name, |_| {
                format!("not started: no {} event yet", metric.starts_text())
            });
            return result;
        }
        let count = runs.len();
        let mut instances = Vec::with_capacity(if metric.recurring { count } else { 0 });
        let mut breached = 0;
        for (i, run) in runs.into_iter().enumerate() {
            let prefix = if metric.recurring {
                format!("#{} ", i + 1)
            } else {
                String::new()
            };
            let one = self.measure(index, metric, run, &prefix);
            if metric.recurring {
                breached += usize::from(one.status == Status::Breached);
                instances.push(Instance {
                    started: one.started.unwrap_or(self.local(registered)),
                    deadline: one.deadline,
                    stopped: one.stopped,
                    elapsed_seconds: one.elapsed_seconds,
                    paused_seconds: one.paused_seconds,
                    remaining_seconds: one.remaining_seconds,
                    status: one.status,
                });
            }
            if i + 1 == count {
                result = one;
            }
        }
        if metric.recurring {
            let met = instances.iter().filter(|x| x.status == Status::Met).count();
            self.note(name, |_| {
                let noun = if count == 1 { "instance" } else { "instances" };
                format!("{count} {noun}: {met} met, {breached} breached")
            });
            result.instances = Some(instances);
            result.instances_breached = Some(breached);
        }
        result
    }

    /// Measures one run of a metric's clock against the target in force at its stop (or
    /// at the evaluation instant while it runs).
    fn measure(
        &mut self,
        index: usize,
        metric: &Metric,
        mut r: Run<'_>,
        prefix: &str,
    ) -> MetricResult {
        let name = metric.name.as_str();
        let mut result = MetricResult::empty(name);
        let end_at = r.stopped.unwrap_or(self.at);
        let (choice, duration, category) = if self.changes.is_empty() || self.overridden[index] {
            (self.choices[index], self.targets[index], self.category)
        } else {
            let (choice, setter, stand) = self.choice_until(name, end_at);
            let category = self.category_at(&stand);
            let priority = super::target::priority(self.contract, &stand).map(str::to_owned);
            self.priority_findings(choice, stand.priority.as_deref());
            let calendar = choice.calendar(self.contract, category).0;
            self.choice_note(name, choice, priority.as_deref(), calendar, setter);
            if metric.on_change == OnChange::Restart
                && let Some(e) = setter
                && e.at.to_utc() > r.started
            {
                let t = e.at.to_utc();
                r.restart_at(t);
                self.note(name, |s| {
                    format!("{prefix}restarted {} by the change of the target (`on_change: restart`): time before it no longer counts", s.show(t))
                });
            }
            (choice, choice.duration(), category)
        };
        let (calendar_name, calendar) = choice.calendar(self.contract, category);
        let clock = match duration.map(|d| d.kind) {
            Some(DurationKind::Calendar) => Clock::Real,
            _ => Clock::Working(calendar),
        };
        if duration.is_some() {
            result.calendar = calendar_name.map(str::to_owned);
        }
        let started = r.started;
        result.started = Some(self.local(started));
        result.stopped = r.stopped.map(|t| self.local(t));
        let now = self.at;
        let end = move |b: Option<DateTime<Utc>>| b.unwrap_or(now);
        // Each counting interval's working time, kept for the deadline.
        let counted: Vec<i64> = r
            .active
            .iter()
            .map(|&(a, b)| clock.count(a, end(b), None))
            .collect();
        result.elapsed_seconds = counted.iter().sum();
        result.paused_seconds = r
            .pauses
            .iter()
            .map(|&(a, b)| clock.count(a, end(b), None))
            .sum();
        self.note(name, |s| {
            format!(
                "{prefix}started {} ({})",
                s.show(started),
                kind_text(r.start)
            )
        });
        for &(a, b) in &r.pauses {
            self.note(name, |s| {
                format!(
                    "{prefix}paused {} → {}: {} not counted",
                    s.show(a),
                    b.map_or("now".to_owned(), |b| s.show(b)),
                    format_seconds(clock.count(a, end(b), None))
                )
            });
        }
        if let Some(t) = r.stopped {
            self.note(name, |s| {
                format!("{prefix}stopped {} ({})", s.show(t), kind_text(r.stop))
            });
        }

        let Some(duration) = duration else {
            return result;
        };
        let Some(target_secs) = duration.working_seconds(calendar.day_length()) else {
            return result;
        };
        result.target = Some(duration_text(duration));
        result.target_seconds = Some(target_secs);
        if self.explain.is_some() && r.state == State::Stopped {
            // Show the time that actually counted; the deadline walk is not traced.
            let mut steps = Vec::new();
            for &(a, b) in &r.active {
                clock.count(a, end(b), Some(&mut steps));
            }
            self.trace_steps(name, prefix, &steps, None);
        }
        let traced = r.state != State::Stopped;
        result.deadline = self
            .deadline(name, prefix, clock, &r, &counted, target_secs, traced)
            .map(|t| self.local(t));
        let remaining = target_secs - result.elapsed_seconds;
        result.remaining_seconds = Some(remaining);
        result.status = if result.elapsed_seconds > target_secs {
            Status::Breached
        } else {
            match r.state {
                State::Stopped => Status::Met,
                State::Paused => Status::Paused,
                _ if (result.elapsed_seconds as f64)
                    >= self.contract.warn_at * target_secs as f64 =>
                {
                    Status::AtRisk
                }
                _ => Status::Running,
            }
        };
        self.note(name, |_| {
            let left = if remaining >= 0 {
                format!("{} left", format_seconds(remaining))
            } else {
                format!("{} over", format_seconds(-remaining))
            };
            format!(
                "{prefix}{} counted of {}, {left}: {}",
                format_seconds(result.elapsed_seconds),
                format_seconds(target_secs),
                result.status
            )
        });
        result
    }

    /// When the clock reaches `target` seconds: walks the counting intervals (`counted`
    /// holds each one's working time); if they run out first, continues from the stop
    /// (or from now, while paused).
    #[allow(clippy::too_many_arguments)]
    fn deadline(
        &mut self,
        name: &str,
        prefix: &str,
        clock: Clock<'_>,
        r: &Run<'_>,
        counted: &[i64],
        target: i64,
        traced: bool,
    ) -> Option<DateTime<Utc>> {
        let mut remaining = target;
        let mut trace = self.explain.as_ref().filter(|_| traced).map(|_| Vec::new());
        let mut from = None;
        let mut result = None;
        for (&(a, b), &known) in r.active.iter().zip(counted) {
            match b {
                Some(b) => {
                    // Counted again only to trace it.
                    let here = match trace.as_mut() {
                        Some(t) => clock.count(a, b, Some(t)),
                        None => known,
                    };
                    if here >= remaining {
                        if let Some(t) = trace.as_mut() {
                            t.clear();
                        }
                        result = clock.due(a, remaining, trace.as_mut());
                        break;
                    }
                    remaining -= here;
                    from = Some(b);
                }
                None => {
                    result = clock.due(a, remaining, trace.as_mut());
                    from = None;
                    break;
                }
            }
        }
        if result.is_none() && r.state != State::Running {
            // Paused: as if work resumed now. Stopped: from where counting ended, or,
            // when nothing counted (stopped while paused since a restart), from where
            // time counts — never from the evaluation instant, so that a stopped
            // metric's deadline does not move with it.
            let resume = if r.state == State::Paused {
                self.at
            } else {
                from.unwrap_or(r.counts_from)
            };
            result = clock.due(resume, remaining, trace.as_mut());
        }
        if let Some(steps) = trace {
            self.trace_steps(name, prefix, &steps, Some(self.at));
        }
        match result {
            Some(t) => self.note(name, |s| format!("{prefix}deadline {}", s.show(t))),
            None => self.note(name, |_| {
                format!("{prefix}no deadline: the calendar never opens again")
            }),
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_durations_are_spelled_as_to_string_spells_them() {
        // More distinct durations than are remembered, twice over, so some are evicted.
        for _ in 0..2 {
            for minutes in 1..=40 {
                for d in [
                    Duration::working(minutes * 60),
                    Duration::working(minutes * 3600),
                    Duration::calendar(minutes * 86_400),
                ] {
                    assert_eq!(duration_text(d), d.to_string());
                }
            }
        }
    }
}

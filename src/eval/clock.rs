//! A metric's clock: the events replayed into counting and paused intervals, the working
//! (or real) time they hold, the deadline and the status.

use chrono::{DateTime, TimeDelta, Utc};

use super::Evaluator;
use crate::calendar::{Calendar, Step};
use crate::contract::Metric;
use crate::duration::{Duration, DurationKind};
use crate::evaluation::{MetricResult, Status};
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

/// Where a metric's clock stands after replaying the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Running,
    Paused,
    Stopped,
}

/// The intervals in which a metric's clock ran and was paused.
struct Replay {
    started: Option<DateTime<Utc>>,
    /// Counting intervals; the last may be open (`None`: still counting).
    active: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    stopped: Option<DateTime<Utc>>,
    state: State,
}

/// Replays `events` (sorted, none after the evaluation instant) through a metric's clock.
fn replay(metric: &Metric, registered: DateTime<Utc>, events: &[&Event]) -> Replay {
    let mut r = Replay {
        started: None,
        active: Vec::new(),
        pauses: Vec::new(),
        stopped: None,
        state: State::NotStarted,
    };
    if metric.starts == "registered" {
        r.started = Some(registered);
        r.active.push((registered, None));
        r.state = State::Running;
    }
    let restarts_on_reopen = metric.stops == EventKind::Resolved.as_str();
    for e in events {
        let t = e.at.to_utc();
        let kind = e.kind.as_str();
        match r.state {
            State::NotStarted if kind == metric.starts => {
                r.started = Some(t);
                r.active.push((t, None));
                r.state = State::Running;
            }
            State::Running if kind == metric.stops => {
                close(&mut r.active, t);
                r.stopped = Some(t);
                r.state = State::Stopped;
            }
            State::Running if metric.pausable && e.kind == EventKind::Paused => {
                close(&mut r.active, t);
                r.pauses.push((t, None));
                r.state = State::Paused;
            }
            State::Paused if kind == metric.stops => {
                close(&mut r.pauses, t);
                r.stopped = Some(t);
                r.state = State::Stopped;
            }
            State::Paused if e.kind == EventKind::Resumed => {
                close(&mut r.pauses, t);
                r.active.push((t, None));
                r.state = State::Running;
            }
            State::Stopped if restarts_on_reopen && e.kind == EventKind::Reopened => {
                r.stopped = None;
                r.active.push((t, None));
                r.state = State::Running;
            }
            _ => {}
        }
    }
    r
}

fn close(intervals: &mut [(DateTime<Utc>, Option<DateTime<Utc>>)], t: DateTime<Utc>) {
    if let Some(last) = intervals.last_mut() {
        last.1 = Some(t);
    }
}

impl Evaluator<'_> {
    pub(super) fn metric(&mut self, index: usize, metric: &Metric) -> MetricResult {
        let name = metric.name.as_str();
        self.explained_dates.clear();
        let registered = self.ticket.registered.to_utc();
        let duration: Option<Duration> = self.targets.get(index).copied().flatten();
        let mut result = MetricResult {
            name: metric.name.clone(),
            target: None,
            target_seconds: None,
            started: None,
            deadline: None,
            stopped: None,
            elapsed_seconds: 0,
            paused_seconds: 0,
            remaining_seconds: None,
            status: Status::NotApplicable,
        };
        if registered > self.at {
            return result;
        }
        let r = replay(metric, registered, &self.events);
        let Some(started) = r.started else {
            self.note(name, |_| {
                format!("not started: no `{}` event yet", metric.starts)
            });
            return result;
        };
        let clock = match duration.map(|d| d.kind) {
            Some(DurationKind::Calendar) => Clock::Real,
            _ => Clock::Working(&self.contract.calendar),
        };
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
            let how = if metric.starts == "registered" {
                "registration".to_owned()
            } else {
                format!("`{}`", metric.starts)
            };
            format!("started {} ({how})", s.show(started))
        });
        for &(a, b) in &r.pauses {
            self.note(name, |s| {
                format!(
                    "paused {} → {}: {} not counted",
                    s.show(a),
                    b.map_or("now".to_owned(), |b| s.show(b)),
                    format_seconds(clock.count(a, end(b), None))
                )
            });
        }
        if let Some(t) = r.stopped {
            self.note(name, |s| {
                format!("stopped {} (`{}`)", s.show(t), metric.stops)
            });
        }

        let Some(duration) = duration else {
            return result;
        };
        let Some(target_secs) = duration.working_seconds(self.contract.calendar.day_length())
        else {
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
            self.trace_steps(name, &steps);
        }
        let traced = r.state != State::Stopped;
        result.deadline = self
            .deadline(name, clock, &r, &counted, target_secs, traced)
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
                "{} counted of {}, {left}: {}",
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
    fn deadline(
        &mut self,
        name: &str,
        clock: Clock<'_>,
        r: &Replay,
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
            let resume = if r.state == State::Paused {
                self.at
            } else {
                from.unwrap_or(self.at)
            };
            result = clock.due(resume, remaining, trace.as_mut());
        }
        if let Some(steps) = trace {
            self.trace_steps(name, &steps);
        }
        match result {
            Some(t) => self.note(name, |s| format!("deadline {}", s.show(t))),
            None => self.note(name, |_| {
                "no deadline: the calendar never opens again".into()
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

//! The `--explain` trace of a metric's calendar walk: counted intervals merged where they
//! touch (the time still to count, up to a running metric's deadline, labelled apart),
//! and the closed dates skipped, each listed once per metric.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};

use super::Evaluator;
use crate::calendar::{ClosedReason, Step};
use crate::instant::format_seconds;

impl Evaluator<'_> {
    /// Renders calendar steps compactly: counted intervals, and runs of closed dates.
    /// Time after `now` (a running metric's walk to its deadline) is "to count"; `prefix`
    /// names the instance of a recurring metric (`#2 `).
    pub(super) fn trace_steps(
        &mut self,
        name: &str,
        prefix: &str,
        steps: &[Step],
        now: Option<DateTime<Utc>>,
    ) {
        let mut closed: Vec<(NaiveDate, ClosedReason)> = Vec::new();
        let flush = |s: &mut Self, closed: &mut Vec<(NaiveDate, ClosedReason)>| {
            if closed.is_empty() {
                return;
            }
            let list: Vec<String> = closed
                .iter()
                .map(|(d, r)| {
                    let why = match r {
                        ClosedReason::Holiday => "holiday",
                        ClosedReason::Weekend => "weekend",
                        ClosedReason::Exception => "closed by exception",
                    };
                    format!("{} {} ({why})", d.weekday(), d.format("%Y-%m-%d"))
                })
                .collect();
            s.note(name, |_| format!("{prefix}skipped {}", list.join(", ")));
            closed.clear();
        };
        // Merge counted intervals that touch, and list each closed date once.
        let mut merged: Vec<Step> = Vec::with_capacity(steps.len());
        for step in steps {
            if let Step::Counted { from, to: next } = step
                && let Some(Step::Counted { to, .. }) = merged.last_mut()
                && to == from
            {
                *to = *next;
                continue;
            }
            merged.push(step.clone());
        }
        for step in &merged {
            if let Step::Closed { date, .. } = step {
                if self.explained_dates.contains(date) {
                    continue;
                }
                self.explained_dates.push(*date);
            }
            match *step {
                Step::Counted { from, to } => {
                    flush(self, &mut closed);
                    let split = now.filter(|&t| from < t && t < to);
                    let parts = match split {
                        Some(t) => [(from, t), (t, to)].to_vec(),
                        None => vec![(from, to)],
                    };
                    for (a, b) in parts {
                        let label = if now.is_some_and(|t| a >= t) {
                            "to count"
                        } else {
                            "counted"
                        };
                        self.note(name, |s| {
                            format!(
                                "{prefix}{label} {}–{} ({})",
                                s.show(a),
                                s.until(a, b),
                                format_seconds((b - a).num_seconds())
                            )
                        });
                    }
                }
                Step::Closed { date, reason } => closed.push((date, reason)),
            }
        }
        flush(self, &mut closed);
    }

    /// The end of an interval that starts at `from`: its time on the same date, `24:00`
    /// at the next midnight, else its date and time.
    fn until(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
        let (a, b) = (from.with_timezone(&self.tz), to.with_timezone(&self.tz));
        if a.date_naive() == b.date_naive() {
            b.format("%H:%M").to_string()
        } else if b.time() == NaiveTime::MIN && a.date_naive().succ_opt() == Some(b.date_naive()) {
            "24:00".to_owned()
        } else {
            self.show(to)
        }
    }
}

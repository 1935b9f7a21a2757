//! The `--explain` trace of a metric's calendar walk: counted intervals merged where they
//! touch, and the closed dates skipped, each listed once per metric.

use chrono::{Datelike, NaiveDate};

use super::Evaluator;
use crate::calendar::{ClosedReason, Step};
use crate::instant::format_seconds;

impl Evaluator<'_> {
    /// Renders calendar steps compactly: counted intervals, and runs of closed dates.
    pub(super) fn trace_steps(&mut self, name: &str, steps: &[Step]) {
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
            s.note(name, |_| format!("skipped {}", list.join(", ")));
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
                    self.note(name, |s| {
                        format!(
                            "counted {}–{} ({})",
                            s.show(from),
                            to.with_timezone(&s.tz).format("%H:%M"),
                            format_seconds((to - from).num_seconds())
                        )
                    });
                }
                Step::Closed { date, reason } => closed.push((date, reason)),
            }
        }
        flush(self, &mut closed);
    }
}

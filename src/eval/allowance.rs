//! Allowances: hours of work included per month for some categories, counted over the
//! ticket's worklogs or over all of the customer's (as the store streams them), with
//! carry-over and work logged before the customer's approval.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::Serialize;

use super::Evaluator;
use crate::contract::Contract;
use crate::evaluation::{AllowanceUsage, Severity};
use crate::ticket::{EventKind, Ticket};

/// One worklog counted against an allowance, for usage across a customer's tickets.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct UsageEntry {
    /// The ticket it was logged on.
    pub ticket: String,
    /// That ticket's category (which decides the allowance).
    pub category: Option<String>,
    /// When the work was done.
    pub at: DateTime<FixedOffset>,
    /// Hours of work.
    pub hours: f64,
    /// Whether the customer had approved the work before it was logged.
    pub approved: bool,
}

/// Allowance hours of all of a customer's tickets, summed once for an evaluation instant:
/// per allowance, the hours of that month (approved and not) and of the month before.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerUsage {
    month: (i32, u32),
    totals: BTreeMap<String, (f64, f64, f64)>,
}

impl CustomerUsage {
    /// Sums `entries` (the customer's worklogs, e.g. from the store) for the month of
    /// `at` in `contract`'s zone, and the month before; work after `at` is not counted.
    pub fn new(contract: &Contract, entries: &[UsageEntry], at: DateTime<Utc>) -> CustomerUsage {
        let mut counter = CustomerUsage::counter(contract, at);
        for e in entries {
            if let Some(category) = e.category.as_deref() {
                counter.add(category, e.at.to_utc(), e.hours, e.approved);
            }
        }
        counter.finish()
    }

    /// A counter to which worklogs are added one by one (as a store streams them), with
    /// the same result as [`CustomerUsage::new`].
    pub fn counter(contract: &Contract, at: DateTime<Utc>) -> UsageCounter<'_> {
        let local = contract.calendar.to_local(at);
        let month = (local.year(), local.month());
        let previous = month_before(month);
        let next = if month.1 == 12 {
            (month.0 + 1, 1)
        } else {
            (month.0, month.1 + 1)
        };
        // Local midnight of each month's first day, counted as if it were UTC.
        let start = |(y, m): (i32, u32)| {
            NaiveDate::from_ymd_opt(y, m, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(i64::MAX, |t| t.and_utc().timestamp())
        };
        UsageCounter {
            contract,
            at,
            previous,
            bounds: [start(previous), start(month), start(next)],
            last: None,
            usage: CustomerUsage {
                month,
                totals: BTreeMap::new(),
            },
        }
    }

    /// The month's usage of the allowance `name` of `contract`, as in an evaluation
    /// (`basis: customer`); `None` if the contract has no such allowance.
    pub fn summary(&self, contract: &Contract, name: &str) -> Option<AllowanceUsage> {
        let a = contract.allowances.get(name)?;
        let (approved, unapproved, before) = self.totals.get(name).copied().unwrap_or_default();
        let (approved, unapproved) = if a.requires_approval {
            (approved, unapproved)
        } else {
            (approved + unapproved, 0.0)
        };
        let carried = a.carry_over.min((a.hours - before).max(0.0));
        let included = a.hours + carried;
        let used = approved + unapproved;
        Some(AllowanceUsage {
            name: name.to_owned(),
            month: format!("{:04}-{:02}", self.month.0, self.month.1),
            included_hours: included,
            carried_over_hours: carried,
            used_hours: used,
            approved_hours: approved,
            unapproved_hours: unapproved,
            remaining_hours: (included - used).max(0.0),
            over_hours: (used - included).max(0.0),
            basis: "customer".into(),
        })
    }
}

/// Where a worklog's month stands to the evaluation's month.
enum Month {
    This,
    Previous,
    Other,
}

/// The month before `(year, month)`.
fn month_before((y, m): (i32, u32)) -> (i32, u32) {
    if m == 1 { (y - 1, 12) } else { (y, m - 1) }
}

/// Sums worklogs into a [`CustomerUsage`] (see [`CustomerUsage::counter`]).
pub struct UsageCounter<'c> {
    contract: &'c Contract,
    at: DateTime<Utc>,
    previous: (i32, u32),
    /// Local midnight starting the previous, this and the next month, in seconds as if
    /// local time were UTC: an instant further than a day from each is placed in its
    /// month without converting it.
    bounds: [i64; 3],
    usage: CustomerUsage,
    /// The last category looked up and its allowance.
    last: Option<(String, Option<&'c str>)>,
}

impl UsageCounter<'_> {
    /// Counts `hours` of work done at `at` on a ticket of `category` (approved in advance
    /// or not); work after the evaluation instant, or on a category without an
    /// allowance, is not counted.
    pub fn add(&mut self, category: &str, at: DateTime<Utc>, hours: f64, approved: bool) {
        if at > self.at {
            return;
        }
        // Worklogs come grouped by category: look each category up once.
        let name = match &self.last {
            Some((c, name)) if c == category => *name,
            _ => {
                let name = self
                    .contract
                    .category(category)
                    .and_then(|c| c.allowance.as_deref());
                self.last = Some((category.to_owned(), name));
                name
            }
        };
        let Some(name) = name else {
            return;
        };
        let month = self.month_of(at);
        let slot = match self.usage.totals.get_mut(name) {
            Some(slot) => slot,
            None => self.usage.totals.entry(name.to_owned()).or_default(),
        };
        match month {
            Month::This if approved => slot.0 += hours,
            Month::This => slot.1 += hours,
            Month::Previous => slot.2 += hours,
            Month::Other => {}
        }
    }

    /// The month of `at`'s local date, relative to the evaluation's.
    fn month_of(&self, at: DateTime<Utc>) -> Month {
        /// More than any UTC offset a time zone has ever had.
        const DAY: i64 = 24 * 3600;
        let t = at.timestamp();
        let [previous, this, next] = self.bounds;
        if [previous, this, next]
            .iter()
            .all(|b| t.abs_diff(*b) >= DAY as u64)
        {
            return if (this..next).contains(&t) {
                Month::This
            } else if (previous..this).contains(&t) {
                Month::Previous
            } else {
                Month::Other
            };
        }
        let d = self.contract.calendar.to_local(at);
        let m = (d.year(), d.month());
        if m == self.usage.month {
            Month::This
        } else if m == self.previous {
            Month::Previous
        } else {
            Month::Other
        }
    }

    /// The sums.
    pub fn finish(self) -> CustomerUsage {
        self.usage
    }
}

/// The worklogs of a ticket as usage entries (positive hours only).
pub fn usage_entries(ticket: &Ticket) -> Vec<UsageEntry> {
    let approved_at = ticket
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Approved)
        .map(|e| e.at)
        .min();
    ticket
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Worklog)
        .filter_map(|e| {
            let hours = e.hours.filter(|h| h.is_finite() && *h > 0.0)?;
            Some(UsageEntry {
                ticket: ticket.id.clone(),
                category: ticket.category.clone(),
                at: e.at,
                hours,
                approved: approved_at.is_some_and(|a| a <= e.at),
            })
        })
        .collect()
}

impl Evaluator<'_> {
    /// The ticket's own hours against its category's allowance, in the month of the
    /// evaluation instant (the contract's zone).
    pub(super) fn allowance(&mut self) {
        let c = self.contract;
        let Some(name) = self.category.and_then(|cat| cat.allowance.as_deref()) else {
            return;
        };
        let Some(a) = c.allowances.get(name) else {
            return;
        };
        let tz = self.tz;
        let month_of = |t: DateTime<FixedOffset>| {
            let d = t.with_timezone(&tz);
            (d.year(), d.month())
        };
        let local = self.at.with_timezone(&self.tz);
        let month = (local.year(), local.month());
        let previous = month_before(month);
        // The work counted: all of the customer's when the caller (the store) supplies
        // it, otherwise this ticket's own worklogs.
        let (approved, unapproved, before) = match self.usage {
            Some(u) if u.month == month => u.totals.get(name).copied().unwrap_or_default(),
            _ => {
                let (mut approved, mut unapproved, mut before) = (0.0, 0.0, 0.0);
                for e in usage_entries(self.ticket)
                    .iter()
                    .filter(|e| e.at.to_utc() <= self.at)
                {
                    let m = month_of(e.at);
                    if m == previous {
                        before += e.hours;
                    } else if m == month && (!a.requires_approval || e.approved) {
                        approved += e.hours;
                    } else if m == month {
                        unapproved += e.hours;
                    }
                }
                (approved, unapproved, before)
            }
        };
        let (approved, unapproved) = if a.requires_approval {
            (approved, unapproved)
        } else {
            (approved + unapproved, 0.0)
        };
        let basis = if self.usage.is_some() {
            "customer"
        } else {
            "ticket"
        };
        let carried = if self.usage.is_some() {
            a.carry_over.min((a.hours - before).max(0.0))
        } else {
            0.0
        };
        let included = a.hours + carried;
        let used = approved + unapproved;
        let own_unapproved: f64 = usage_entries(self.ticket)
            .iter()
            .filter(|e| e.at.to_utc() <= self.at && month_of(e.at) == month && !e.approved)
            .map(|e| e.hours)
            .sum();
        if a.requires_approval && own_unapproved > 0.0 {
            self.find(
                Severity::Warning,
                "work_before_approval",
                format!("{own_unapproved} h of `{name}` work on this ticket were logged before the customer approved it"),
            );
        }
        if used > included {
            let whose = if basis == "ticket" {
                "this ticket alone"
            } else {
                "the customer's tickets"
            };
            self.find(
                Severity::Warning,
                "allowance_exceeded",
                format!(
                    "{whose} used {used} h of the {included} h of `{name}` included in {:04}-{:02}",
                    month.0, month.1
                ),
            );
        }
        let usage = AllowanceUsage {
            name: name.to_owned(),
            month: format!("{:04}-{:02}", month.0, month.1),
            included_hours: included,
            carried_over_hours: carried,
            used_hours: used,
            approved_hours: approved,
            unapproved_hours: unapproved,
            remaining_hours: (included - used).max(0.0),
            over_hours: (used - included).max(0.0),
            basis: basis.into(),
        };
        self.note("allowance", |_| {
            let whose = if basis == "ticket" { "on this ticket" } else { "on all the customer's tickets" };
            format!(
                "{name}: {used} h logged {whose} in {} of {included} h included ({carried} h carried over; {approved} h approved, {unapproved} h before approval)",
                usage.month
            )
        });
        let usage = self.allowance_hook(usage);
        self.allowance = Some(usage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    proptest::proptest! {
        /// Worklogs are placed in their local month without converting most of them: the
        /// placement agrees with the local date chrono-tz gives, in zones far east and
        /// west, with half-hour offsets and DST, at and around every month boundary.
        #[test]
        fn worklogs_fall_in_their_local_month(
            zone in 0usize..8,
            month in 0i64..36,
            later in -3i64..4,
            offset in -30i64 * 3600..30 * 3600,
        ) {
            let zones = [
                "Europe/Moscow", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu",
                "America/St_Johns", "America/New_York", "Australia/Lord_Howe", "UTC",
            ];
            let tz: chrono_tz::Tz = zones[zone].parse().unwrap();
            let c = crate::contract::parse_str(
                "acme",
                &format!(
                    "calendar: {{ timezone: {}, week: {{ mon-fri: [\"09:00-18:00\"] }} }}\n\
                     metrics: {{ resolve: {{ starts: registered, stops: resolved }} }}\n\
                     categories: {{ c: {{ clause: \"1\", resolve: 1 working day }} }}\n",
                    zones[zone]
                ),
            )
            .unwrap();
            // The evaluation at the start of a month in 2025–2027 (local), plus some days.
            let first = |m: i64| {
                let (y, m) = (2025 + (m / 12) as i32, 1 + (m % 12) as u32);
                chrono::TimeZone::from_local_datetime(
                    &tz,
                    &NaiveDate::from_ymd_opt(y, m, 1).unwrap().and_hms_opt(0, 0, 0).unwrap(),
                )
                .earliest()
                .unwrap()
                .to_utc()
            };
            let at = first(month) + TimeDelta::days(10);
            // A worklog near some month boundary around it.
            let t = first((month + later).max(0)) + TimeDelta::seconds(offset);
            let counter = CustomerUsage::counter(&c, at.max(t));
            let local = |t: DateTime<Utc>| {
                let d = t.with_timezone(&tz);
                (d.year(), d.month())
            };
            let expected = if local(t) == counter.usage.month {
                "this"
            } else if local(t) == counter.previous {
                "previous"
            } else {
                "other"
            };
            let found = match counter.month_of(t) {
                Month::This => "this",
                Month::Previous => "previous",
                Month::Other => "other",
            };
            proptest::prop_assert_eq!(found, expected, "{} at {} in {}", t, at, zones[zone]);
        }
    }
}

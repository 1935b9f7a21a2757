//! Allowances: hours of work included per period (month, quarter, year or the
//! contract's term) for some categories, counted over the ticket's worklogs or over all
//! of the customer's (as the store streams them), with carry-over from the period
//! before, work logged before the customer's approval, and the price of hours beyond.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::Serialize;

use super::Evaluator;
use crate::contract::{Allowance, Contract, Period, PeriodKind, Validity};
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

/// The period of `allowance` in force on the local date `date`: the calendar period of
/// its kind clipped to the contract's validity (or not clipped, for a date outside it),
/// or the whole term.
pub fn allowance_period(kind: PeriodKind, date: NaiveDate, valid: &Validity) -> Option<Period> {
    const OPEN: Validity = Validity {
        from: None,
        to: None,
    };
    match kind {
        PeriodKind::Term => {
            let from = valid.from?;
            PeriodKind::Term.containing(from, valid)
        }
        _ => kind
            .containing(date, valid)
            .or_else(|| kind.containing(date, &OPEN)),
    }
}

/// Where a worklog's local date stands to an allowance's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    This,
    Previous,
    Other,
}

/// One allowance's periods and sums: hours approved and not in the period in force, and
/// hours of the period before (for carry-over).
#[derive(Debug, Clone, PartialEq)]
struct Sums {
    period: Period,
    previous: Option<Period>,
    /// Local midnight starting the previous period (or this one when there is none),
    /// this one and the next, in seconds as if local time were UTC: an instant further
    /// than a day from each is placed without converting it.
    bounds: [i64; 3],
    /// Hours approved and not in the period, and hours of the period before, in
    /// micro-hours: integers, so that hours summed a worklog at a time and hours summed
    /// a month at a time (the store's monthly sums) agree to the last digit.
    approved: i64,
    unapproved: i64,
    before: i64,
}

/// Hours as micro-hours: what allowance sums add up, so that sums made a worklog at a
/// time and a month at a time agree to the last digit.
pub fn micro_hours(hours: f64) -> i64 {
    (hours * 1e6).round() as i64
}

/// Micro-hours as hours.
fn hours_of(micro: i64) -> f64 {
    micro as f64 / 1e6
}

/// Local midnight of `d` in seconds, counted as if it were UTC.
fn midnight(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(i64::MAX, |t| t.and_utc().timestamp())
}

impl Sums {
    fn new(a: &Allowance, date: NaiveDate, valid: &Validity) -> Option<Sums> {
        let period = allowance_period(a.per, date, valid)?;
        let previous = period.previous(valid);
        let first = previous.map_or(period.first, |p| p.first);
        Some(Sums {
            period,
            previous,
            bounds: [
                midnight(first),
                midnight(period.first),
                midnight(period.end),
            ],
            approved: 0,
            unapproved: 0,
            before: 0,
        })
    }

    /// Places the local date `d`.
    fn place_date(&self, d: NaiveDate) -> Place {
        if self.period.contains(d) {
            Place::This
        } else if self.previous.is_some_and(|p| p.contains(d)) {
            Place::Previous
        } else {
            Place::Other
        }
    }

    /// Places the instant `at`, converting it to a local date only near a boundary.
    fn place(&self, contract: &Contract, at: DateTime<Utc>) -> Place {
        /// More than any UTC offset a time zone has ever had.
        const DAY: u64 = 24 * 3600;
        let t = at.timestamp();
        let [previous, this, next] = self.bounds;
        if self.bounds.iter().all(|b| t.abs_diff(*b) >= DAY) {
            return if (this..next).contains(&t) {
                Place::This
            } else if (previous..this).contains(&t) {
                Place::Previous
            } else {
                Place::Other
            };
        }
        self.place_date(contract.calendar.to_local(at).date_naive())
    }

    /// Whether every instant from `start` to `end` lies in one place: no boundary of
    /// the periods within a day of them.
    fn holds_whole(&self, start: i64, end: i64) -> bool {
        const DAY: i64 = 24 * 3600;
        self.bounds
            .iter()
            .all(|b| *b >= end + DAY || *b <= start - DAY)
    }

    fn add(&mut self, place: Place, hours: i64, approved: bool) {
        match place {
            Place::This if approved => self.approved += hours,
            Place::This => self.unapproved += hours,
            Place::Previous => self.before += hours,
            Place::Other => {}
        }
    }
}

/// Allowance hours of all of a customer's tickets, summed once for an evaluation instant:
/// per allowance, the hours of the period in force (approved and not) and of the period
/// before.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerUsage {
    /// The local date of the evaluation instant.
    date: Option<NaiveDate>,
    sums: BTreeMap<String, Sums>,
}

impl CustomerUsage {
    /// Sums `entries` (the customer's worklogs, e.g. from the store) for the periods in
    /// force at `at` in `contract`'s zone, and the periods before; work after `at` is not
    /// counted.
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
        let date = contract.calendar.to_local(at).date_naive();
        let sums = contract
            .allowances
            .values()
            .filter_map(|a| Some((a.name.clone(), Sums::new(a, date, &contract.valid)?)))
            .collect();
        UsageCounter {
            contract,
            at,
            last: None,
            usage: CustomerUsage {
                date: Some(date),
                sums,
            },
        }
    }

    /// The first local date whose work counts: the start of the earliest period before
    /// one in force (what a store must read from).
    pub fn first_date(&self) -> Option<NaiveDate> {
        self.sums
            .values()
            .map(|s| s.previous.map_or(s.period.first, |p| p.first))
            .min()
    }

    /// The period's usage of the allowance `name` of `contract`, as in an evaluation
    /// (`basis: customer`); `None` if the contract has no such allowance.
    pub fn summary(&self, contract: &Contract, name: &str) -> Option<AllowanceUsage> {
        let a = contract.allowances.get(name)?;
        let s = self.sums.get(name)?;
        let month = self.date.map(month_label).unwrap_or_default();
        Some(usage(contract, a, s, month, "customer"))
    }
}

/// `2026-03` for a date in March 2026.
fn month_label(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The usage of `a` in the period of `s`, from its hours approved, not approved and of
/// the period before; carry-over counts only on the customer's basis.
fn usage(
    contract: &Contract,
    a: &Allowance,
    s: &Sums,
    month: String,
    basis: &str,
) -> AllowanceUsage {
    let (approved, unapproved, before) = (
        hours_of(s.approved),
        hours_of(s.unapproved),
        hours_of(s.before),
    );
    let (approved, unapproved) = if a.requires_approval {
        (approved, unapproved)
    } else {
        (approved + unapproved, 0.0)
    };
    let carried = if basis == "customer" && s.previous.is_some() {
        a.carry_over.min((a.hours - before).max(0.0))
    } else {
        0.0
    };
    let included = a.hours + carried;
    let used = approved + unapproved;
    let mut u = AllowanceUsage {
        name: a.name.clone(),
        month,
        per: a.per.as_str().to_owned(),
        period: s.period.label(),
        period_from: s.period.first.to_string(),
        period_to: s.period.last().to_string(),
        included_hours: included,
        carried_over_hours: carried,
        used_hours: used,
        approved_hours: approved,
        unapproved_hours: unapproved,
        remaining_hours: (included - used).max(0.0),
        over_hours: (used - included).max(0.0),
        overage_amount: None,
        currency: None,
        basis: basis.into(),
    };
    price_overage(contract, a, &mut u);
    u
}

/// Sets the price of the hours over the allowance, in the fee's currency (when the
/// allowance has a price per hour).
fn price_overage(contract: &Contract, a: &Allowance, u: &mut AllowanceUsage) {
    let (Some(price), Some(fee)) = (a.overage, &contract.fee) else {
        return;
    };
    let amount = crate::money::to_cents(crate::money::hours(u.over_hours) * price);
    u.overage_amount = Some(crate::money::format_amount(amount));
    u.currency = Some(fee.currency.clone());
}

/// Sums worklogs into a [`CustomerUsage`] (see [`CustomerUsage::counter`]).
pub struct UsageCounter<'c> {
    contract: &'c Contract,
    at: DateTime<Utc>,
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
        let contract = self.contract;
        let Some(sums) = self.sums_of(category) else {
            return;
        };
        let place = sums.place(contract, at);
        sums.add(place, micro_hours(hours), approved);
    }

    /// Whether all the work on `category` from `start` to `end` (a month of the
    /// store's monthly sums) counts the same way: before the evaluation instant and in
    /// one place of the allowance's periods (or on no allowance at all). Its sums can
    /// then be added with [`UsageCounter::add_sums`] instead of worklog by worklog.
    pub fn holds_whole(
        &mut self,
        category: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> bool {
        if end > self.at {
            return false;
        }
        match self.sums_of(category) {
            Some(sums) => sums.holds_whole(start.timestamp(), end.timestamp()),
            None => true,
        }
    }

    /// Adds `approved` and `unapproved` micro-hours of work on `category`, all done at
    /// instants that [`UsageCounter::holds_whole`] placed together with `at`.
    pub fn add_sums(&mut self, category: &str, at: DateTime<Utc>, approved: i64, unapproved: i64) {
        let contract = self.contract;
        if let Some(sums) = self.sums_of(category) {
            let place = sums.place(contract, at);
            sums.add(place, approved, true);
            sums.add(place, unapproved, false);
        }
    }

    /// The sums of the allowance `category` counts against.
    fn sums_of(&mut self, category: &str) -> Option<&mut Sums> {
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
        name.and_then(|n| self.usage.sums.get_mut(n))
    }

    /// The first local date whose work counts (see [`CustomerUsage::first_date`]).
    pub fn first_date(&self) -> Option<NaiveDate> {
        self.usage.first_date()
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
    /// The hours against the ticket's category's allowance, in the period in force at
    /// the evaluation instant (the contract's zone): all of the customer's when the
    /// caller (the store) supplies them, otherwise this ticket's own.
    pub(super) fn allowance(&mut self) {
        let c = self.contract;
        let Some(name) = self.category.and_then(|cat| cat.allowance.as_deref()) else {
            return;
        };
        let Some(a) = c.allowances.get(name) else {
            return;
        };
        let tz = self.tz;
        let date = self.at.with_timezone(&tz).date_naive();
        let Some(mut sums) = Sums::new(a, date, &c.valid) else {
            return;
        };
        let entries = usage_entries(self.ticket);
        let own: Vec<(Place, &UsageEntry)> = entries
            .iter()
            .filter(|e| e.at.to_utc() <= self.at)
            .map(|e| (sums.place_date(e.at.with_timezone(&tz).date_naive()), e))
            .collect();
        let supplied = self
            .usage
            .filter(|u| u.date == Some(date))
            .and_then(|u| u.sums.get(name));
        let basis = if supplied.is_some() {
            "customer"
        } else {
            "ticket"
        };
        match supplied {
            Some(s) => sums = s.clone(),
            None => {
                for (place, e) in &own {
                    sums.add(
                        *place,
                        micro_hours(e.hours),
                        !a.requires_approval || e.approved,
                    );
                }
            }
        }
        let usage = usage(c, a, &sums, month_label(date), basis);
        let own_unapproved: f64 = own
            .iter()
            .filter(|(place, e)| *place == Place::This && !e.approved)
            .map(|(_, e)| e.hours)
            .sum();
        if a.requires_approval && own_unapproved > 0.0 {
            self.find(
                Severity::Warning,
                "work_before_approval",
                format!("{own_unapproved} h of `{name}` work on this ticket were logged before the customer approved it"),
            );
        }
        let (used, included) = (usage.used_hours, usage.included_hours);
        if used > included {
            let whose = if basis == "ticket" {
                "this ticket alone"
            } else {
                "the customer's tickets"
            };
            let price = match (&usage.overage_amount, &usage.currency) {
                (Some(amount), Some(currency)) => format!(", {amount} {currency} of overage"),
                _ => String::new(),
            };
            self.find(
                Severity::Warning,
                "allowance_exceeded",
                format!(
                    "{whose} used {used} h of the {included} h of `{name}` included in {}{price}",
                    usage.period
                ),
            );
        }
        self.note("allowance", |_| {
            let whose = if basis == "ticket" { "on this ticket" } else { "on all the customer's tickets" };
            let (carried, approved, unapproved) =
                (usage.carried_over_hours, usage.approved_hours, usage.unapproved_hours);
            format!(
                "{name}: {used} h logged {whose} in the {} {} ({} to {}) of {included} h included ({carried} h carried over; {approved} h approved, {unapproved} h before approval)",
                usage.per, usage.period, usage.period_from, usage.period_to
            )
        });
        let mut usage = self.allowance_hook(usage);
        price_overage(c, a, &mut usage);
        self.allowance = Some(usage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    proptest::proptest! {
        /// Worklogs are placed in their local period without converting most of them:
        /// the placement agrees with the local date chrono-tz gives, in zones far east
        /// and west, with half-hour offsets and DST, for every kind of period, at and
        /// around every boundary, with a contract starting inside a period.
        #[test]
        fn worklogs_fall_in_their_local_period(
            zone in 0usize..8,
            per in 0usize..4,
            month in 0i64..36,
            later in -4i64..4,
            offset in -30i64 * 3600..30 * 3600,
        ) {
            let zones = [
                "Europe/Moscow", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu",
                "America/St_Johns", "America/New_York", "Australia/Lord_Howe", "UTC",
            ];
            let kind = PeriodKind::ALL[per];
            let tz: chrono_tz::Tz = zones[zone].parse().unwrap();
            let c = crate::contract::parse_str(
                "acme",
                &format!(
                    "calendar: {{ timezone: {}, week: {{ mon-fri: [\"09:00-18:00\"] }} }}\n\
                     valid: {{ from: 2025-02-15, to: 2027-06-30 }}\n\
                     metrics: {{ resolve: {{ starts: registered, stops: resolved }} }}\n\
                     categories: {{ c: {{ clause: \"1\", resolve: 1 working day, allowance: a }} }}\n\
                     allowances: {{ a: {{ hours: 10, per: {} }} }}\n",
                    zones[zone], kind
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
            let sums = &counter.usage.sums["a"];
            let expected = sums.place_date(t.with_timezone(&tz).date_naive());
            proptest::prop_assert_eq!(sums.place(&c, t), expected, "{} at {} in {}", t, at, zones[zone]);
        }
    }

    /// A contract in `zone` whose allowance `a` of 10 h is counted `per`, with the given
    /// extra allowance keys and validity.
    fn contract(zone: &str, per: &str, extra: &str, valid: &str) -> Contract {
        crate::contract::parse_str(
            "acme",
            &format!(
                "calendar: {{ timezone: {zone}, week: {{ mon-fri: [\"09:00-18:00\"] }} }}\n\
                 {valid}\n\
                 fee: {{ amount: 1000, currency: GBP }}\n\
                 metrics: {{ resolve: {{ starts: registered, stops: resolved }} }}\n\
                 categories: {{ c: {{ clause: \"1\", resolve: 1 working day, allowance: a }} }}\n\
                 allowances: {{ a: {{ hours: 10, per: {per}{extra} }} }}\n"
            ),
        )
        .unwrap()
    }

    fn entry(at: &str, hours: f64) -> UsageEntry {
        UsageEntry {
            ticket: "T-1".into(),
            category: Some("c".into()),
            at: at.parse().unwrap(),
            hours,
            approved: true,
        }
    }

    fn summary(c: &Contract, entries: &[UsageEntry], at: &str) -> AllowanceUsage {
        CustomerUsage::new(c, entries, at.parse().unwrap())
            .summary(c, "a")
            .unwrap()
    }

    #[test]
    fn a_worklog_at_half_past_eleven_on_new_years_eve_counts_in_the_old_year() {
        // 23:30 on 31 December in Moscow is 20:30 UTC: the old year, whatever UTC says;
        // in Samoa (UTC+13) the same local time is 10:30 UTC on 31 December.
        for (zone, at) in [
            ("Europe/Moscow", "2026-12-31T23:30:00+03:00"),
            ("Pacific/Apia", "2026-12-31T23:30:00+13:00"),
            ("America/Los_Angeles", "2026-12-31T23:30:00-08:00"),
        ] {
            let c = contract(zone, "year", ", overage: 39.00", "");
            let log = [entry(at, 12.0)];
            let old = summary(&c, &log, at);
            assert_eq!(
                (old.period.as_str(), old.used_hours),
                ("2026", 12.0),
                "{zone}"
            );
            assert_eq!(old.overage_amount.as_deref(), Some("78.00"), "{zone}");
            assert_eq!(old.currency.as_deref(), Some("GBP"));
            // A minute past midnight of 1 January, local: the new year has nothing yet,
            // and nothing carries over (`carry_over` 0).
            let local: DateTime<FixedOffset> = at.parse().unwrap();
            let next = (local + TimeDelta::minutes(31)).to_rfc3339();
            let new = summary(&c, &log, &next);
            assert_eq!(
                (new.period.as_str(), new.used_hours, new.carried_over_hours),
                ("2027", 0.0, 0.0),
                "{zone}"
            );
        }
    }

    #[test]
    fn quarters_split_at_their_boundary_in_the_contracts_zone() {
        let c = contract("Asia/Yekaterinburg", "quarter", ", carry_over: 5", "");
        let log = [
            entry("2026-03-31T23:59:00+05:00", 3.0), // Q1, though 18:59 UTC
            entry("2026-04-01T00:00:00+05:00", 4.0), // Q2, though 19:00 UTC on 31 March
            entry("2026-06-30T23:00:00+05:00", 2.0), // Q2
        ];
        let q2 = summary(&c, &log, "2026-06-30T23:30:00+05:00");
        assert_eq!(q2.period, "2026-Q2");
        assert_eq!(
            (q2.period_from.as_str(), q2.period_to.as_str()),
            ("2026-04-01", "2026-06-30")
        );
        assert_eq!(q2.used_hours, 6.0);
        // Q1 used 3 of 10 h: 7 unused, at most 5 carried.
        assert_eq!(
            (q2.carried_over_hours, q2.included_hours, q2.remaining_hours),
            (5.0, 15.0, 9.0)
        );
        let q1 = summary(&c, &log, "2026-03-31T23:59:30+05:00");
        assert_eq!((q1.period.as_str(), q1.used_hours), ("2026-Q1", 3.0));
    }

    #[test]
    fn a_term_across_a_year_end_counts_every_hour_of_the_term() {
        let c = contract(
            "Europe/Moscow",
            "term",
            ", overage: 50",
            "valid: { from: 2026-07-01, to: 2027-06-30 }",
        );
        let log = [
            entry("2026-06-30T23:00:00+03:00", 100.0), // before the term
            entry("2026-07-01T00:00:00+03:00", 4.0),
            entry("2026-12-31T23:30:00+03:00", 4.0),
            entry("2027-01-01T00:30:00+03:00", 4.5),
            entry("2027-07-01T00:00:00+03:00", 100.0), // after it
        ];
        let u = summary(&c, &log, "2027-07-02T00:00:00+03:00");
        assert_eq!(u.per, "term");
        assert_eq!(u.period, "2026-07-01/2027-06-30");
        assert_eq!((u.used_hours, u.over_hours), (12.5, 2.5));
        assert_eq!(u.overage_amount.as_deref(), Some("125.00"));
        let early = summary(&c, &log, "2026-12-31T23:59:00+03:00");
        assert_eq!(
            (early.period.as_str(), early.used_hours),
            ("2026-07-01/2027-06-30", 8.0)
        );
    }

    #[test]
    fn carry_over_from_a_short_first_period() {
        // The contract starts on 20 February: its first month is 20–28 February, and
        // January (before the contract) carries nothing into February.
        let c = contract(
            "Europe/Moscow",
            "month",
            ", carry_over: 4",
            "valid: { from: 2026-02-20, to: 2026-12-31 }",
        );
        let log = [
            entry("2026-01-15T12:00:00+03:00", 1.0), // before the contract
            entry("2026-02-20T10:00:00+03:00", 8.0),
            entry("2026-03-02T10:00:00+03:00", 1.0),
        ];
        let feb = summary(&c, &log, "2026-02-27T12:00:00+03:00");
        assert_eq!(
            (feb.period.as_str(), feb.period_from.as_str()),
            ("2026-02", "2026-02-20")
        );
        assert_eq!(
            (feb.used_hours, feb.carried_over_hours, feb.included_hours),
            (8.0, 0.0, 10.0)
        );
        // February used 8 of 10 h: 2 carried into March.
        let mar = summary(&c, &log, "2026-03-10T12:00:00+03:00");
        assert_eq!(
            (mar.used_hours, mar.carried_over_hours, mar.included_hours),
            (1.0, 2.0, 12.0)
        );
        // Had February used nothing, the carry-over would stop at 4 h.
        let mar = summary(&c, &log[2..], "2026-03-10T12:00:00+03:00");
        assert_eq!((mar.carried_over_hours, mar.included_hours), (4.0, 14.0));
    }
}

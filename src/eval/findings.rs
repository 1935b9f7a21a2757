//! Findings about the ticket itself: history that makes no sense (out of order, before
//! registration, after resolution, worklogs without hours) and requests outside the
//! contract's validity or products.

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::Evaluator;
use crate::evaluation::Severity;
use crate::ticket::{Event, EventKind};

impl Evaluator<'_> {
    /// Sorts the events up to the evaluation instant and reports history that makes no
    /// sense: out of order, before registration, after resolution without a reopen,
    /// worklogs without positive hours.
    pub(super) fn check_events(&mut self) {
        let ticket = self.ticket;
        let registered = ticket.registered;
        let mut events: Vec<&Event> = ticket
            .events
            .iter()
            .filter(|e| e.at.to_utc() <= self.at)
            .collect();
        if events.windows(2).any(|w| w[1].at < w[0].at) {
            self.find(
                Severity::Warning,
                "events_out_of_order",
                "the events are not in chronological order; they were evaluated in time order"
                    .into(),
            );
            events.sort_by_key(|e| e.at);
        }
        let mut resolved_at: Option<DateTime<FixedOffset>> = None;
        for e in &events {
            if e.at < registered {
                self.find(
                    Severity::Error,
                    "event_before_registration",
                    format!(
                        "the `{}` event at {} is before the ticket was registered ({})",
                        e.kind,
                        self.show(e.at.to_utc()),
                        self.show(registered.to_utc())
                    ),
                );
            }
            match &e.kind {
                EventKind::Resolved if resolved_at.is_none() => resolved_at = Some(e.at),
                EventKind::Reopened => {
                    if resolved_at.is_none() {
                        self.find(
                            Severity::Warning,
                            "reopened_while_open",
                            format!(
                                "the ticket is reopened at {} but was not resolved",
                                self.show(e.at.to_utc())
                            ),
                        );
                    }
                    resolved_at = None;
                }
                // Work, talk and changes after a resolution are normal history.
                EventKind::Worklog
                | EventKind::Comment
                | EventKind::Approved
                | EventKind::Replied
                | EventKind::CustomerReplied
                | EventKind::Changed
                | EventKind::Other(_) => {}
                kind => {
                    if let Some(r) = resolved_at {
                        self.find(
                            Severity::Warning,
                            "event_after_resolution",
                            format!(
                                "the `{kind}` event at {} comes after the ticket was resolved at {} without a reopen",
                                self.show(e.at.to_utc()),
                                self.show(r.to_utc())
                            ),
                        );
                    }
                }
            }
            if let EventKind::Other(kind) = &e.kind
                && !self.contract.knows_kind(&e.kind)
            {
                let c = self.contract;
                let known = EventKind::ALL
                    .iter()
                    .map(EventKind::as_str)
                    .chain(c.events.iter().map(String::as_str));
                self.find(
                    Severity::Error,
                    "unknown_event_kind",
                    format!(
                        "the `{kind}` event at {} is of a kind contract {} does not know: expected a built-in kind or one of its `events`{}; it was ignored",
                        self.show(e.at.to_utc()),
                        c.id,
                        crate::suggest::did_you_mean(kind, known)
                    ),
                );
            }
            if e.kind == EventKind::Changed
                && e.field
                    .as_deref()
                    .and_then(super::state::Field::parse)
                    .is_none()
            {
                self.find(
                    Severity::Error,
                    "bad_change",
                    format!(
                        "the `changed` event at {} changes {}: expected {}; it was ignored",
                        self.show(e.at.to_utc()),
                        e.field
                            .as_deref()
                            .map_or("no field".to_owned(), |f| format!("`{f}`")),
                        super::state::CHANGEABLE
                    ),
                );
            }
            if e.kind == EventKind::Worklog && !e.hours.is_some_and(|h| h.is_finite() && h > 0.0) {
                self.find(
                    Severity::Error,
                    "bad_worklog",
                    format!(
                        "the worklog at {} needs `hours` greater than 0, found {}",
                        self.show(e.at.to_utc()),
                        e.hours.map_or("none".to_owned(), |h| h.to_string())
                    ),
                );
            }
        }
        // An event of a kind the contract does not know counts for nothing.
        events.retain(|e| self.contract.knows_kind(&e.kind));
        self.events = events;
    }

    /// The contract's validity and products.
    pub(super) fn check_scope(&mut self) {
        let c = self.contract;
        let date = self.local(self.ticket.registered.to_utc()).date_naive();
        let before = c.valid.from.is_some_and(|f| date < f);
        let after = c.valid.to.is_some_and(|t| date > t);
        if before || after {
            let show = |d: Option<NaiveDate>| d.map_or("…".to_owned(), |d| d.to_string());
            self.find(
                Severity::Warning,
                "outside_validity",
                format!(
                    "the ticket was registered on {date}, outside the contract's validity ({} to {})",
                    show(c.valid.from),
                    show(c.valid.to)
                ),
            );
        }
        if c.products.is_empty() {
            return;
        }
        match &self.ticket.product {
            Some(p) if !c.products.contains(p) => self.find(
                Severity::Warning,
                "product_not_covered",
                format!(
                    "the product `{p}` is not covered by contract {}: it covers {}",
                    c.id,
                    c.products.join(", ")
                ),
            ),
            None => self.find(
                Severity::Info,
                "no_product",
                format!(
                    "the ticket names no product; contract {} covers {}",
                    c.id,
                    c.products.join(", ")
                ),
            ),
            _ => {}
        }
    }
}

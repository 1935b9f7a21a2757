//! What a ticket must satisfy to be stored: the parts of it its contract could not
//! evaluate as written. The evaluation itself is lenient (it reports such things as
//! findings); the store is strict, so that a mistake is caught when it is typed, not at
//! the end of the month.

use crate::contract::Contract;
use crate::ticket::{EventKind, Misfit, Part, Ticket};

/// How an instant is shown in messages.
fn when(e: &crate::ticket::Event) -> String {
    e.at.to_rfc3339()
}

/// Everything in `ticket` that its customer's contract `contract` cannot evaluate: a
/// category the contract does not have (its own or one a `changed` event sets), hours on
/// an event other than a worklog, a worklog without positive hours, and a `resolved`
/// while the ticket is already resolved (events in time order, a `reopened` between two
/// resolutions). Empty for a ticket fit to store. The messages name the ticket and, for
/// an event, its kind and time (not its position, so that the same fault reads the same
/// after another event is added).
pub fn misfits(ticket: &Ticket, contract: &Contract) -> Vec<Misfit> {
    let mut out = Vec::new();
    let id = &ticket.id;
    let unknown_category = |category: &str| {
        let known = contract.categories.keys().map(String::as_str);
        let hint = crate::suggest::did_you_mean(category, known.clone());
        let listed = if contract.categories.len() <= 12 {
            format!(": expected one of {}", crate::suggest::backticked(known))
        } else {
            String::new()
        };
        format!(
            "the category `{category}` is not in contract `{}`{hint}{listed}",
            contract.id
        )
    };
    if let Some(category) = &ticket.category
        && contract.category(category).is_none()
    {
        out.push(Misfit {
            message: format!("ticket `{id}`: {}", unknown_category(category)),
            part: Part::Category,
        });
    }
    let mut order: Vec<usize> = (0..ticket.events.len()).collect();
    order.sort_by_key(|&i| ticket.events[i].at);
    let mut resolved_at: Option<&crate::ticket::Event> = None;
    for i in order {
        let e = &ticket.events[i];
        let mut misfit = |message: String| {
            out.push(Misfit {
                message: format!("ticket `{id}`: {message}"),
                part: Part::Event(i),
            });
        };
        match (&e.kind, e.hours) {
            (EventKind::Worklog, hours) if !hours.is_some_and(|h| h.is_finite() && h > 0.0) => {
                misfit(format!(
                    "the worklog at {} needs hours greater than 0, found {}",
                    when(e),
                    hours.map_or("none".to_owned(), |h| h.to_string())
                ));
            }
            (EventKind::Worklog, _) | (_, None) => {}
            (kind, Some(h)) => misfit(format!(
                "the `{kind}` event at {} has hours ({h}): hours of work are recorded on a `worklog` event",
                when(e)
            )),
        }
        match e.kind {
            EventKind::Resolved => {
                if let Some(first) = resolved_at {
                    misfit(format!(
                        "the `resolved` event at {} comes while the ticket is resolved already (at {}): expected a `reopened` event between them",
                        when(e),
                        when(first)
                    ));
                } else {
                    resolved_at = Some(e);
                }
            }
            EventKind::Reopened => resolved_at = None,
            EventKind::Changed if e.field.as_deref() == Some("category") => {
                if let Some(serde_json::Value::String(category)) = &e.to
                    && contract.category(category).is_none()
                {
                    misfit(format!(
                        "the `changed` event at {} sets {}",
                        when(e),
                        unknown_category(category)
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> Contract {
        crate::contract::parse_str(
            "acme",
            "calendar: { timezone: Europe/Moscow, week: { mon-fri: [\"09:00-18:00\"] } }
metrics: { resolve: { starts: registered, stops: resolved } }
categories: { error: { resolve: 4h }, question: { resolve: 1d } }
",
        )
        .unwrap()
    }

    fn ticket(extra: &str) -> Ticket {
        Ticket::from_str_named(
            &format!("id: T-1\ncustomer: acme\nregistered: 2026-03-02T10:00:00+03:00\n{extra}"),
            "t.yaml",
        )
        .unwrap()
    }

    fn parts(t: &Ticket) -> Vec<Part> {
        misfits(t, &contract())
            .into_iter()
            .map(|m| m.part)
            .collect()
    }

    #[test]
    fn a_fit_ticket_has_no_misfits() {
        let t = ticket(
            "category: error
events:
  - { at: 2026-03-02T11:00:00+03:00, kind: worklog, hours: 1 }
  - { at: 2026-03-02T12:00:00+03:00, kind: resolved }
  - { at: 2026-03-02T13:00:00+03:00, kind: reopened }
  - { at: 2026-03-02T14:00:00+03:00, kind: resolved }
",
        );
        assert_eq!(parts(&t), []);
        // No category is left to the scripts (and reported by the evaluation).
        assert_eq!(parts(&ticket("")), []);
    }

    #[test]
    fn what_the_contract_cannot_evaluate_is_found() {
        let t = ticket("category: errror\n");
        let m = misfits(&t, &contract());
        assert_eq!(m[0].part, Part::Category);
        assert!(m[0].message.contains("(did you mean `error`?)"), "{m:?}");
        // Written out of time order: the later `resolved` (written first) is the second.
        let t = ticket(
            "events:
  - { at: 2026-03-02T15:00:00+03:00, kind: resolved }
  - { at: 2026-03-02T12:00:00+03:00, kind: resolved, hours: 2 }
  - { at: 2026-03-02T13:00:00+03:00, kind: worklog }
  - { at: 2026-03-02T14:00:00+03:00, kind: changed, field: category, to: nope }
",
        );
        assert_eq!(
            parts(&t),
            [
                Part::Event(1),
                Part::Event(2),
                Part::Event(3),
                Part::Event(0)
            ]
        );
    }
}

//! The human format: a compact table an account manager reads at a glance, with ANSI
//! colours that `anstream` strips when stdout is not a terminal or NO_COLOR is set.

use anstyle::{AnsiColor, Style};

use crate::eval::{Evaluation, Severity, Status, format_seconds};

/// `1 ticket`, `2 tickets`: a count with its noun in the number it takes.
pub(crate) fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn status_style(s: Status) -> Style {
    match s {
        Status::Met => AnsiColor::Green.on_default(),
        Status::Breached => AnsiColor::Red.on_default().bold(),
        Status::AtRisk => AnsiColor::Yellow.on_default().bold(),
        Status::Running => AnsiColor::Cyan.on_default(),
        Status::Paused => AnsiColor::Magenta.on_default(),
        Status::NotApplicable => Style::new().dimmed(),
    }
}

/// Pads `cell` (which may hold colour codes) to `width` visible characters.
fn pad(cell: &str, visible: usize, width: usize) -> String {
    format!("{cell}{}", " ".repeat(width.saturating_sub(visible)))
}

/// Renders one evaluation as a header, a table of metrics, the allowance, the findings
/// and (with `--explain`) the trace.
pub fn evaluation(e: &Evaluation) -> String {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let mut out = String::new();
    let category = match (&e.category.id, &e.category.clause) {
        (Some(id), Some(cl)) => format!("{id} (clause {cl})"),
        (Some(id), None) => id.clone(),
        _ => "no category".into(),
    };
    let category = match &e.priority {
        Some(p) => format!("{category}  priority {p}"),
        None => category,
    };
    out.push_str(&format!(
        "{}  {}  {}\n",
        paint(bold, &e.ticket),
        category,
        paint(
            dim,
            &format!(
                "contract {} @ {}, at {}",
                e.contract.id,
                e.contract.revision,
                e.at.format("%a %Y-%m-%d %H:%M %:z")
            )
        ),
    ));
    let header = ["metric", "target", "deadline", "time left", "status"];
    let rows: Vec<[String; 5]> = e
        .metrics
        .iter()
        .map(|m| {
            let left = match (m.remaining_seconds, m.status) {
                (None, _) => "—".to_owned(),
                (Some(r), Status::Met) => format!("{} to spare", format_seconds(r)),
                (Some(r), _) if r < 0 => format!("{} overdue", format_seconds(-r)),
                (Some(r), _) => format!("{} left", format_seconds(r)),
            };
            // A recurring metric shows its current instance and the tally.
            let name = match &m.instances {
                Some(list) if !list.is_empty() => {
                    let met = list.iter().filter(|x| x.status == Status::Met).count();
                    let breached = m.instances_breached.unwrap_or_default();
                    format!(
                        "{} #{} ({met} met, {breached} breached)",
                        m.name,
                        list.len()
                    )
                }
                _ => m.name.clone(),
            };
            let target = match (&m.target, &m.calendar) {
                (Some(t), Some(c)) => format!("{t} ({c})"),
                (Some(t), None) => t.clone(),
                _ => "—".into(),
            };
            [
                name,
                target,
                m.deadline
                    .map_or("—".into(), |d| d.format("%a %Y-%m-%d %H:%M").to_string()),
                left,
                m.status.as_str().to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [String; 5], styles: [Style; 5]| {
        let mut s = String::from("  ");
        for (i, cell) in cells.iter().enumerate() {
            let n = cell.chars().count();
            let styled = paint(styles[i], cell);
            if i + 1 == cells.len() {
                s.push_str(&styled);
            } else {
                s.push_str(&pad(&styled, n, widths[i] + 2));
            }
        }
        s.push('\n');
        s
    };
    out.push_str(&line(header.map(str::to_owned), [dim; 5]));
    for (row, m) in rows.into_iter().zip(&e.metrics) {
        let st = status_style(m.status);
        let left_style = if m.remaining_seconds.is_some_and(|r| r < 0) {
            st
        } else {
            Style::new()
        };
        out.push_str(&line(
            row,
            [bold, Style::new(), Style::new(), left_style, st],
        ));
    }
    if let Some(a) = &e.allowance {
        let overage = match (&a.overage_amount, &a.currency) {
            (Some(amount), Some(currency)) if a.over_hours > 0.0 => {
                format!(", {} h over: {amount} {currency}", a.over_hours)
            }
            _ => String::new(),
        };
        out.push_str(&format!(
            "  allowance {}: {} of {} h used in the {} {} ({}){overage}\n",
            a.name,
            a.used_hours,
            a.included_hours,
            a.per,
            a.period,
            if a.basis == "ticket" {
                "this ticket"
            } else {
                "all tickets"
            }
        ));
    }
    for f in &e.findings {
        let style = match f.severity {
            Severity::Error => AnsiColor::Red.on_default().bold(),
            Severity::Warning => AnsiColor::Yellow.on_default(),
            Severity::Info => dim,
        };
        let sev = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        out.push_str(&format!(
            "  {} {}: {}\n",
            paint(style, sev),
            f.code,
            f.message
        ));
    }
    if let Some(lines) = &e.explain {
        out.push_str(&format!("  {}\n", paint(bold, "explain")));
        let width = lines
            .iter()
            .map(|l| l.subject.chars().count())
            .max()
            .unwrap_or(0);
        for l in lines {
            out.push_str(&format!(
                "    {}  {}\n",
                pad(&paint(dim, &l.subject), l.subject.chars().count(), width),
                l.text
            ));
        }
    }
    out
}

/// An RFC 3339 instant as people read it in tables (`Tue 2026-03-10 16:40`); the text
/// itself if it is not one.
pub fn short_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%a %Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

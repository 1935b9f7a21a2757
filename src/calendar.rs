//! Working-time arithmetic: when is the vendor open, when is something due, how much
//! working time lies between two instants.
//!
//! A [`Calendar`] is an IANA time zone, opening windows per weekday (local wall-clock
//! time, several per day, a window may end at `24:00`), holidays (closed all day) and
//! dated exceptions (a date with its own windows). It is pure: no clock, no files.
//!
//! Semantics (SPEC "Working time"): an instant is working time when its local date is not
//! a holiday and its local wall-clock time lies in one of that date's windows, start
//! included, end excluded. Durations are real elapsed time, so a day that loses an hour to
//! DST is an hour shorter; a window whose start falls in a skipped hour opens at the jump;
//! a repeated local hour counts twice when it is inside a window.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::duration::{Duration, DurationKind};

/// Seconds in a local day.
pub const DAY: u32 = 86_400;

/// One opening window of a local day, `[start, end)` in seconds after local midnight.
/// `end` may be 86,400 (`24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    /// Opening time, seconds after local midnight.
    pub start: u32,
    /// Closing time, seconds after local midnight (at most 86,400).
    pub end: u32,
}

impl Window {
    /// A window from `start` to `end` seconds after midnight; `None` unless
    /// `start < end <= 86400`.
    pub fn new(start: u32, end: u32) -> Option<Window> {
        (start < end && end <= DAY).then_some(Window { start, end })
    }

    /// Parses `HH:MM-HH:MM` (`09:00-18:00`, `22:00-24:00`).
    ///
    /// ```
    /// use slaengine::calendar::Window;
    /// assert_eq!(Window::parse("09:00-18:00").unwrap().end, 18 * 3600);
    /// assert!(Window::parse("18:00-09:00").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Window, String> {
        let expected = || format!("expected an opening window like `09:00-18:00`, found `{text}`");
        let (a, b) = text.split_once('-').ok_or_else(expected)?;
        let start = parse_clock(a.trim()).ok_or_else(expected)?;
        let end = parse_clock(b.trim()).ok_or_else(expected)?;
        if start == DAY {
            return Err(format!("a window cannot open at 24:00, found `{text}`"));
        }
        if end <= start {
            return Err(format!(
                "the window `{text}` closes before it opens (an overnight service is two windows: `22:00-24:00` and `00:00-06:00` on the next day)"
            ));
        }
        Ok(Window { start, end })
    }

    /// Length in seconds (nominal: DST is accounted for by the calendar).
    pub fn len(&self) -> u32 {
        self.end - self.start
    }

    /// Always false: a window is never empty.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hm = |s: u32| format!("{:02}:{:02}", s / 3600, s % 3600 / 60);
        write!(f, "{}-{}", hm(self.start), hm(self.end))
    }
}

/// `HH:MM` (00:00 … 24:00) → seconds after midnight.
fn parse_clock(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 3600 + m * 60)
}

/// Checks that `windows` are in order and do not overlap; the message names the pair.
pub fn check_windows(windows: &[Window]) -> Result<(), String> {
    for pair in windows.windows(2) {
        if pair[1].start < pair[0].end {
            return Err(format!(
                "the windows `{}` and `{}` overlap (or are out of order): list them in order without overlap",
                pair[0], pair[1]
            ));
        }
    }
    Ok(())
}

/// A calendar that could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CalendarError(pub String);

/// Why a local date had no working time (for `--explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedReason {
    /// A listed holiday.
    Holiday,
    /// A weekday without windows (a weekend).
    Weekend,
    /// A dated exception with no windows.
    Exception,
}

/// One step of a traced computation, for `--explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Working time from `from` to `to` counted.
    Counted {
        /// Start of the counted interval.
        from: DateTime<Utc>,
        /// End of the counted interval.
        to: DateTime<Utc>,
    },
    /// A whole local date skipped because it was closed.
    Closed {
        /// The local date.
        date: NaiveDate,
        /// Why it was closed.
        reason: ClosedReason,
    },
}

/// A working-time calendar: a zone, weekly windows, holidays and dated exceptions.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    week: [Vec<Window>; 7],
    holidays: Vec<NaiveDate>,
    exceptions: Vec<(NaiveDate, Vec<Window>)>,
    day_length: i64,
}

impl Calendar {
    /// Builds a calendar. `week[0]` is Monday. Holidays and exceptions may come in any
    /// order; windows must be in order without overlap. `day_length` (seconds) defaults to
    /// the longest weekday's open time.
    pub fn new(
        tz: Tz,
        week: [Vec<Window>; 7],
        mut holidays: Vec<NaiveDate>,
        mut exceptions: Vec<(NaiveDate, Vec<Window>)>,
        day_length: Option<i64>,
    ) -> Result<Calendar, CalendarError> {
        for day in &week {
            check_windows(day).map_err(CalendarError)?;
        }
        for (_, day) in &exceptions {
            check_windows(day).map_err(CalendarError)?;
        }
        holidays.sort_unstable();
        holidays.dedup();
        exceptions.sort_by_key(|(d, _)| *d);
        let longest = week
            .iter()
            .map(|d| d.iter().map(|w| i64::from(w.len())).sum::<i64>())
            .max()
            .unwrap_or(0);
        let day_length = day_length.unwrap_or(longest);
        if day_length <= 0 {
            return Err(CalendarError(
                "the calendar has no open hours on any weekday, so `1 working day` has no length: set `day_length`".into(),
            ));
        }
        Ok(Calendar {
            tz,
            week,
            holidays,
            exceptions,
            day_length,
        })
    }

    /// The calendar's time zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The length of one working day in seconds.
    pub fn day_length(&self) -> i64 {
        self.day_length
    }

    /// Adds a duration: working time through [`Calendar::due`], calendar time as real time.
    /// `None` when the calendar never again has enough working time.
    pub fn add(&self, start: DateTime<Utc>, d: &Duration) -> Option<DateTime<Utc>> {
        let secs = d.working_seconds(self.day_length)?;
        match d.kind {
            DurationKind::Working => self.due(start, secs),
            DurationKind::Calendar => {
                start.checked_add_signed(chrono::TimeDelta::try_seconds(secs)?)
            }
        }
    }

    /// The earliest instant `t >= start` such that the working time in `[start, t)` is
    /// `working_seconds`. `None` if the calendar never opens again.
    pub fn due(&self, start: DateTime<Utc>, working_seconds: i64) -> Option<DateTime<Utc>> {
        let _ = (
            start,
            working_seconds,
            &self.week,
            &self.holidays,
            &self.exceptions,
        );
        unimplemented!("calendar arithmetic")
    }

    /// The working time in `[from, to)`, in seconds; 0 when `to` is not after `from`.
    pub fn elapsed(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let _ = (from, to);
        unimplemented!("calendar arithmetic")
    }

    /// Traced `due` (temporary).
    pub fn due_traced(
        &self,
        start: DateTime<Utc>,
        s: i64,
        _t: &mut Vec<Step>,
    ) -> Option<DateTime<Utc>> {
        self.due(start, s)
    }
    /// Traced `elapsed` (temporary).
    pub fn elapsed_traced(&self, a: DateTime<Utc>, b: DateTime<Utc>, _t: &mut Vec<Step>) -> i64 {
        self.elapsed(a, b)
    }
}

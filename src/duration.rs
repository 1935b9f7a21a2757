//! Durations as contracts write them: `90 working minutes`, `1.5 working hours`,
//! `2 working days`, `4 calendar hours`, `3 calendar days`, and the compact `30m`, `4h`,
//! `1h30m`, `2d` (which mean working time).
//!
//! A [`Duration`] keeps working days apart from hours and minutes, because the length of
//! "one working day" is a property of the calendar (`day_length`), not of the duration.
//! [`Duration::working_seconds`] resolves it once the calendar is known.
//!
//! ```
//! use slaengine::Duration;
//! let d: Duration = "1h30m".parse().unwrap();
//! assert_eq!(d.working_seconds(9 * 3600), Some(5400));
//! let days: Duration = "2 working days".parse().unwrap();
//! assert_eq!(days.working_seconds(9 * 3600), Some(2 * 9 * 3600));
//! assert_eq!(days.to_string(), "2 working days");
//! ```

use std::fmt;
use std::str::FromStr;

/// Whether a duration counts working time (the calendar's open hours) or real time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationKind {
    /// Counts only the calendar's open hours.
    Working,
    /// Counts real elapsed time, open or not.
    Calendar,
}

/// A length of time from a contract, a script or the command line.
///
/// Working days are kept in thousandths of a day (`day_millis`) until the calendar's
/// `day_length` turns them into seconds; everything else is whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    /// Working or calendar time.
    pub kind: DurationKind,
    /// Whole seconds (for calendar durations, days are included here as 86,400 s each).
    pub seconds: i64,
    /// Working days in thousandths (always 0 for calendar durations).
    pub day_millis: i64,
}

/// The units of the long form, for messages (seconds are accepted too, but rare).
const UNITS: &str = "minutes, hours, days or weeks";

/// The message every duration error starts from.
const EXPECTED: &str = "expected a duration like `4h`, `2 working days` or `30m`";

/// A duration that could not be parsed: the text and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DurationError {
    /// The full human-readable message, naming the text that was found.
    pub message: String,
}

impl DurationError {
    fn new(found: &str, detail: Option<&str>) -> Self {
        let message = match detail {
            None => format!("{EXPECTED}, found `{found}`"),
            Some(d) => format!("{EXPECTED}, found `{found}` ({d})"),
        };
        DurationError { message }
    }
}

impl Duration {
    /// A working-time duration of `seconds`.
    pub const fn working(seconds: i64) -> Self {
        Duration {
            kind: DurationKind::Working,
            seconds,
            day_millis: 0,
        }
    }

    /// A working-time duration of `days` working days (in thousandths: 1500 = 1.5 days).
    pub const fn working_days_millis(day_millis: i64) -> Self {
        Duration {
            kind: DurationKind::Working,
            seconds: 0,
            day_millis,
        }
    }

    /// A calendar (real-time) duration of `seconds`.
    pub const fn calendar(seconds: i64) -> Self {
        Duration {
            kind: DurationKind::Calendar,
            seconds,
            day_millis: 0,
        }
    }

    /// The length in seconds, with working days converted by `day_length` seconds each.
    /// For a calendar duration this is its real length. `None` on overflow.
    pub fn working_seconds(&self, day_length: i64) -> Option<i64> {
        let days = self.day_millis.checked_mul(day_length)? / 1000;
        self.seconds.checked_add(days)
    }

    /// This duration multiplied by `factor` (e.g. 0.5 to halve a target), rounded to
    /// whole seconds and thousandths of a day. `None` if the result is negative or
    /// does not fit.
    pub fn scaled(&self, factor: f64) -> Option<Duration> {
        let scale = |v: i64| {
            let r = (v as f64 * factor).round();
            (r.is_finite() && r >= 0.0 && r < i64::MAX as f64).then_some(r as i64)
        };
        Some(Duration {
            kind: self.kind,
            seconds: scale(self.seconds)?,
            day_millis: scale(self.day_millis)?,
        })
    }
}

/// Splits `s` into a number and the rest, accepting `12`, `1.5`, `.5`.
fn split_number(s: &str) -> Option<(f64, &str)> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(end);
    if num.is_empty() || num == "." {
        return None;
    }
    num.parse::<f64>().ok().map(|n| (n, rest))
}

/// Converts `amount` of `unit` into (seconds, day_millis) for the given kind.
fn amount(n: f64, unit: Unit, kind: DurationKind) -> Option<(i64, i64)> {
    let whole = |v: f64| (v.is_finite() && v.abs() < 1e15).then(|| v.round() as i64);
    Some(match (unit, kind) {
        (Unit::Day, DurationKind::Working) => (0, whole(n * 1000.0)?),
        (Unit::Week, DurationKind::Working) => (0, whole(n * 5000.0)?),
        _ => (whole(n * unit.seconds() as f64)?, 0),
    })
}

#[derive(Debug, Clone, Copy)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
}

impl Unit {
    fn seconds(self) -> i64 {
        match self {
            Unit::Second => 1,
            Unit::Minute => 60,
            Unit::Hour => 3600,
            Unit::Day => 86_400,
            Unit::Week => 7 * 86_400,
        }
    }

    /// The unit words, plural first (the nearer guess when both are as close), for
    /// suggestions.
    const WORDS: [&'static str; 10] = [
        "seconds", "minutes", "hours", "days", "weeks", "second", "minute", "hour", "day", "week",
    ];

    fn from_word(w: &str) -> Option<Unit> {
        Some(match w {
            "second" | "seconds" | "sec" | "secs" => Unit::Second,
            "minute" | "minutes" | "min" | "mins" => Unit::Minute,
            "hour" | "hours" | "hr" | "hrs" => Unit::Hour,
            "day" | "days" => Unit::Day,
            "week" | "weeks" => Unit::Week,
            _ => return None,
        })
    }

    fn from_letter(c: &str) -> Option<Unit> {
        Some(match c {
            "s" => Unit::Second,
            "m" => Unit::Minute,
            "h" => Unit::Hour,
            "d" => Unit::Day,
            "w" => Unit::Week,
            _ => return None,
        })
    }
}

/// Parses the compact form: `30m`, `4h`, `1h30m`, `1.5h`, `2d`, `1d4h` (working time).
fn parse_compact(s: &str) -> Option<Duration> {
    let mut rest = s;
    let (mut seconds, mut day_millis) = (0i64, 0i64);
    while !rest.is_empty() {
        let (n, after) = split_number(rest)?;
        let letter_len = after.chars().next()?.len_utf8();
        let unit = Unit::from_letter(&after[..letter_len])?;
        let (s, d) = amount(n, unit, DurationKind::Working)?;
        seconds = seconds.checked_add(s)?;
        day_millis = day_millis.checked_add(d)?;
        rest = &after[letter_len..];
    }
    Some(Duration {
        kind: DurationKind::Working,
        seconds,
        day_millis,
    })
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        if s.is_empty() {
            return Err(DurationError::new(text, Some("it is empty")));
        }
        if s.starts_with('-') {
            return Err(DurationError::new(
                text,
                Some("a duration cannot be negative"),
            ));
        }
        if !s.contains(char::is_whitespace) {
            return parse_compact(s).ok_or_else(|| DurationError::new(text, None));
        }
        let words: Vec<&str> = s.split_whitespace().collect();
        let Some((n, tail)) = split_number(words[0]) else {
            return Err(DurationError::new(
                text,
                Some("it does not start with a number"),
            ));
        };
        // `90 working minutes`, `1 working hour`, `4 calendar hours`, `2 hours`, `1.5h`…
        let mut rest: Vec<&str> = words[1..].to_vec();
        if !tail.is_empty() {
            rest.insert(0, tail);
        }
        let (kind, unit_word) = match rest.as_slice() {
            ["working", unit] => (DurationKind::Working, *unit),
            ["calendar", unit] => (DurationKind::Calendar, *unit),
            [unit] => (DurationKind::Working, *unit),
            [word, unit] if Unit::from_word(unit).is_some() => {
                let detail = format!(
                    "`{word}` is not a word of durations: expected `working` or `calendar` before the unit, like `{} working {unit}`{}; the units are {UNITS}",
                    Number(n),
                    crate::suggest::did_you_mean(word, ["working", "calendar"].into_iter())
                );
                return Err(DurationError::new(text, Some(&detail)));
            }
            _ => return Err(DurationError::new(text, None)),
        };
        let Some(unit) = Unit::from_word(unit_word) else {
            let detail = format!(
                "`{unit_word}` is not a unit: use {UNITS}{}",
                crate::suggest::did_you_mean(unit_word, Unit::WORDS.into_iter())
            );
            return Err(DurationError::new(text, Some(&detail)));
        };
        let (seconds, day_millis) =
            amount(n, unit, kind).ok_or_else(|| DurationError::new(text, Some("too large")))?;
        Ok(Duration {
            kind,
            seconds,
            day_millis,
        })
    }
}

/// A quantity as durations spell it: whole numbers without a fraction, others to at
/// most three decimals (`1.5`, `0.125`).
struct Number(f64);

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 1e15 {
            return write!(f, "{}", v as i64);
        }
        let s = format!("{v:.3}");
        f.write_str(s.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Writes `n qualifier unit`, with the unit in the plural unless `n` is 1.
fn spell(f: &mut fmt::Formatter<'_>, n: f64, qualifier: &str, unit: &str) -> fmt::Result {
    let plural = if n == 1.0 { "" } else { "s" };
    write!(f, "{} {qualifier} {unit}{plural}", Number(n))
}

impl fmt::Display for Duration {
    /// The canonical spelling: `2 working days`, `1 working hour`, `90 working minutes`,
    /// `4 calendar hours`; mixed amounts use the compact form (`1d4h`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = match self.kind {
            DurationKind::Working => "working",
            DurationKind::Calendar => "calendar",
        };
        let (s, d) = (self.seconds, self.day_millis);
        if d != 0 && s != 0 {
            return write!(f, "{}d{}", Number(d as f64 / 1000.0), compact(s));
        }
        if d != 0 {
            return spell(f, d as f64 / 1000.0, q, "day");
        }
        if self.kind == DurationKind::Calendar && s % 86_400 == 0 && s != 0 {
            spell(f, (s / 86_400) as f64, q, "day")
        } else if s % 1800 == 0 && s >= 3600 {
            spell(f, s as f64 / 3600.0, q, "hour")
        } else if s % 60 == 0 {
            spell(f, (s / 60) as f64, q, "minute")
        } else {
            spell(f, s as f64, q, "second")
        }
    }
}

/// `5400` → `1h30m`; `45` → `45s`.
fn compact(mut s: i64) -> String {
    let mut out = String::new();
    for (unit, letter) in [(3600, 'h'), (60, 'm'), (1, 's')] {
        if s >= unit {
            out.push_str(&format!("{}{letter}", s / unit));
            s %= unit;
        }
    }
    if out.is_empty() {
        out.push_str("0m");
    }
    out
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration like `4h`, `2 working days` or `30m`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                v.parse().map_err(|e: DurationError| E::custom(e.message))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "{EXPECTED}, found the bare number `{v}` (add a unit: `{v}h`, `{v} working days`)"
                )))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "{EXPECTED}, found the bare number `{v}`"
                )))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "{EXPECTED}, found the bare number `{v}`"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> i64 {
        s.parse::<Duration>()
            .unwrap()
            .working_seconds(9 * 3600)
            .unwrap()
    }

    #[test]
    fn the_spec_grammar() {
        assert_eq!(secs("90 working minutes"), 5400);
        assert_eq!(secs("1 working hour"), 3600);
        assert_eq!(secs("1.5 working hours"), 5400);
        assert_eq!(secs("2 working days"), 2 * 9 * 3600);
        assert_eq!(secs("30m"), 1800);
        assert_eq!(secs("4h"), 4 * 3600);
        assert_eq!(secs("1h30m"), 5400);
        assert_eq!(secs("2d"), 2 * 9 * 3600);
        assert_eq!(secs("1.5h"), 5400);
        assert_eq!(secs("1d4h"), 13 * 3600);
        assert_eq!(secs("0.5 working days"), 4 * 3600 + 1800);
        let cal: Duration = "4 calendar hours".parse().unwrap();
        assert_eq!(cal, Duration::calendar(4 * 3600));
        let cal: Duration = "3 calendar days".parse().unwrap();
        assert_eq!(cal, Duration::calendar(3 * 86_400));
        assert_eq!(
            "2 hours".parse::<Duration>().unwrap(),
            Duration::working(7200)
        );
    }

    #[test]
    fn canonical_spelling_round_trips() {
        for s in [
            "2 working days",
            "1 working day",
            "1 working hour",
            "1.5 working hours",
            "45 working minutes",
            "4 calendar hours",
            "3 calendar days",
            "1d4h",
            "45 working seconds",
        ] {
            let d: Duration = s.parse().unwrap();
            assert_eq!(d.to_string(), s);
            assert_eq!(d.to_string().parse::<Duration>().unwrap(), d);
        }
    }

    #[test]
    fn errors_say_what_was_expected_and_found() {
        let e = |s: &str| s.parse::<Duration>().unwrap_err().message;
        assert_eq!(
            e("four hours"),
            "expected a duration like `4h`, `2 working days` or `30m`, found `four hours` (it does not start with a number)"
        );
        assert_eq!(
            e("2 fortnights"),
            "expected a duration like `4h`, `2 working days` or `30m`, found `2 fortnights` (`fortnights` is not a unit: use minutes, hours, days or weeks)"
        );
        assert_eq!(
            e("4x"),
            "expected a duration like `4h`, `2 working days` or `30m`, found `4x`"
        );
        assert_eq!(
            e("-4h"),
            "expected a duration like `4h`, `2 working days` or `30m`, found `-4h` (a duration cannot be negative)"
        );
        assert_eq!(
            e(""),
            "expected a duration like `4h`, `2 working days` or `30m`, found `` (it is empty)"
        );
        assert_eq!(
            e("2 working"),
            "expected a duration like `4h`, `2 working days` or `30m`, found `2 working` (`working` is not a unit: use minutes, hours, days or weeks)"
        );
        assert_eq!(
            e("2 business hours"),
            "expected a duration like `4h`, `2 working days` or `30m`, found `2 business hours` (`business` is not a word of durations: expected `working` or `calendar` before the unit, like `2 working hours`; the units are minutes, hours, days or weeks)"
        );
        assert_eq!(
            e("1.5 workng hours"),
            "expected a duration like `4h`, `2 working days` or `30m`, found `1.5 workng hours` (`workng` is not a word of durations: expected `working` or `calendar` before the unit, like `1.5 working hours` (did you mean `working`?); the units are minutes, hours, days or weeks)"
        );
        assert_eq!(
            e("3 working dayz"),
            "expected a duration like `4h`, `2 working days` or `30m`, found `3 working dayz` (`dayz` is not a unit: use minutes, hours, days or weeks (did you mean `days`?))"
        );
    }
}

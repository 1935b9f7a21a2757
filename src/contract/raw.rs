//! The contract file as written: every field optional, leaf values checked while serde
//! deserialises them (so its error locations point at the value), maps kept in file
//! order. Layers (template, contract) are merged here before validation.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::calendar::{Window, check_windows};
use crate::duration::Duration;

/// A map that keeps its keys in file order and refuses duplicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<T> Ordered<T> {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Ordered::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, T)> = Vec::new();
                while let Some(key) = map.next_key::<KeyString>()? {
                    if out.iter().any(|(k, _)| *k == key.0) {
                        return Err(de::Error::custom(format!(
                            "`{}` is given twice: give each key once",
                            key.0
                        )));
                    }
                    let value = map.next_value()?;
                    out.push((key.0, value));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A mapping key, accepting the YAML scalars people write as keys (`2026-04-30`, `1.1`).
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Implements `Deserialize` for a type parsed from a scalar, with a message on failure.
macro_rules! from_text {
    ($ty:ty, $expecting:literal, $parse:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        let parse: fn(&str) -> Result<$ty, String> = $parse;
                        parse(v).map_err(E::custom)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_bool<E: de::Error>(self, v: bool) -> Result<$ty, E> {
                        self.visit_str(&v.to_string())
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

/// A calendar date (`2026-01-01`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// Parses `YYYY-MM-DD` with a message naming what was found.
pub fn parse_date(v: &str) -> Result<NaiveDate, String> {
    let shaped = v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if shaped => Ok(d),
        _ => Err(format!("expected a date like `2026-01-01`, found `{v}`")),
    }
}

from_text!(Date, "a date like `2026-01-01`", |v| parse_date(v)
    .map(Date));

/// An IANA time zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone(pub Tz);

from_text!(Zone, "an IANA time zone like `Europe/Moscow`", |v| {
    Tz::from_str(v).map(Zone).map_err(|_| {
        let names = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
        let hint = super::suggest(v, names)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        format!("unknown time zone `{v}`: expected an IANA name like `Europe/Moscow`{hint}")
    })
});

/// A share of a target: `75%` or `0.75`, in (0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share(pub f64);

from_text!(Share, "a share like `75%` or `0.75`", |v| {
    let t = v.trim();
    let n = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    };
    match n {
        Ok(x) if x > 0.0 && x <= 1.0 => Ok(Share(x)),
        _ => Err(format!(
            "expected a share of the target like `75%` or `0.75` (above 0, at most 100%), found `{v}`"
        )),
    }
});

/// An amount of money, exact (`5000.00`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount(pub rust_decimal::Decimal);

from_text!(Amount, "an amount like `5000.00`", |v| {
    crate::money::parse_amount(v).map(Amount)
});

/// A percentage, exact (`5%`, `0.05`), above 0 and at most 100%.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percent(pub rust_decimal::Decimal);

from_text!(Percent, "a percentage like `5%`", |v| {
    crate::money::parse_percent(v).map(Percent)
});

/// The windows of one day, in order, without overlap.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Windows(pub Vec<Window>);

impl<'de> Deserialize<'de> for Windows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Windows;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of windows like [\"09:00-13:00\", \"14:00-18:00\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Windows, A::Error> {
                let mut out = Vec::new();
                while let Some(text) = seq.next_element::<WindowText>()? {
                    out.push(text.0);
                }
                check_windows(&out).map_err(de::Error::custom)?;
                Ok(Windows(out))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Windows, E> {
                Err(E::custom(format!(
                    "expected a list of windows like [\"09:00-18:00\"], found `{v}` (put it in brackets)"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

struct WindowText(Window);

from_text!(WindowText, "a window like `09:00-18:00`", |v| {
    Window::parse(v).map(WindowText)
});

/// The weekly windows, with `mon-fri` style ranges expanded to days (Monday = 0).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Week(pub [Option<Vec<Window>>; 7]);

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day_index(name: &str) -> Option<usize> {
    DAYS.iter().position(|d| *d == name)
}

/// A key of `week`: a weekday or a range of weekdays, checked where it is written.
struct DayRange {
    key: String,
    first: usize,
    last: usize,
}

from_text!(
    DayRange,
    "a weekday like `mon` or a range like `mon-fri`",
    |key| {
        let bad = || {
            format!("expected a weekday (`mon` … `sun`) or a range like `mon-fri`, found `{key}`")
        };
        let (a, b) = match key.split_once('-') {
            Some((a, b)) => (
                day_index(a.trim()).ok_or_else(bad)?,
                day_index(b.trim()).ok_or_else(bad)?,
            ),
            None => {
                let i = day_index(key.trim()).ok_or_else(bad)?;
                (i, i)
            }
        };
        if b < a {
            return Err(format!(
                "the range `{key}` runs backwards: write it from the earlier day, like `mon-fri`"
            ));
        }
        Ok(DayRange {
            key: key.to_owned(),
            first: a,
            last: b,
        })
    }
);

impl<'de> Deserialize<'de> for Week {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<(DayRange, Windows)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("weekly windows like { mon-fri: [\"09:00-18:00\"] }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<DayRange>()? {
                    out.push((key, map.next_value()?));
                }
                Ok(out)
            }
        }
        let entries = d.deserialize_map(V)?;
        let mut week = Week::default();
        let mut given: [Option<String>; 7] = Default::default();
        for (range, windows) in entries {
            let (a, b, key) = (range.first, range.last, range.key);
            for i in a..=b {
                if let Some(first) = &given[i] {
                    return Err(de::Error::custom(format!(
                        "`{}` is given twice, in `{first}` and in `{key}`: give each weekday once",
                        DAYS[i]
                    )));
                }
                given[i] = Some(key.clone());
                week.0[i] = Some(windows.0.clone());
            }
        }
        Ok(week)
    }
}

/// A target in a category or in `defaults`: a duration, `none`, a detailed target, or
/// targets by priority.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetValue {
    /// A plain duration.
    Duration(Duration),
    /// `none`: no target.
    None,
    /// `{ target: DURATION, when: FIELD, calendar: NAME }` (`when` and `calendar` optional).
    Detailed {
        /// The duration.
        target: Duration,
        /// The ticket field that must be true.
        when: Option<String>,
        /// The calendar it counts on.
        calendar: Option<String>,
    },
    /// `{ urgent: 30m, high: 4h, else: 8h }`: a target per priority, in file order.
    ByPriority(Ordered<TargetValue>),
}

/// The keys of a detailed target.
pub const DETAILED_KEYS: [&str; 3] = ["target", "when", "calendar"];

impl<'de> Deserialize<'de> for TargetValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TargetValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration like `4h`, `none`, `{ target: DURATION, when: FIELD, calendar: NAME }` or targets by priority like `{ urgent: 1h, else: 4h }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TargetValue, E> {
                if v.trim() == "none" {
                    return Ok(TargetValue::None);
                }
                v.parse::<Duration>()
                    .map(TargetValue::Duration)
                    .map_err(|e| E::custom(e.message))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TargetValue, E> {
                Ok(TargetValue::None)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TargetValue, E> {
                Err(E::custom(format!(
                    "expected a duration like `4h`, `2 working days` or `30m`, found the bare number `{v}` (add a unit: `{v}h`, `{v} working days`)"
                )))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TargetValue, E> {
                Err(E::custom(format!(
                    "expected a duration like `4h`, `2 working days` or `30m`, found the bare number `{v}`"
                )))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TargetValue, E> {
                Err(E::custom(format!(
                    "expected a duration like `4h`, `2 working days` or `30m`, found the bare number `{v}`"
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TargetValue, A::Error> {
                // The first key tells a detailed target from targets by priority.
                let Some(first) = map.next_key::<KeyString>()? else {
                    return Err(de::Error::custom(
                        "expected a target like `{ target: 4h }` or targets by priority like `{ urgent: 1h, else: 4h }`, found an empty mapping",
                    ));
                };
                if DETAILED_KEYS.contains(&first.0.as_str()) {
                    let (mut target, mut when, mut calendar) = (None, None, None);
                    let mut key = Some(first.0);
                    while let Some(k) = key {
                        let seen = match k.as_str() {
                            "target" => target.replace(map.next_value::<Duration>()?).is_some(),
                            "when" => when.replace(map.next_value::<String>()?).is_some(),
                            "calendar" => calendar.replace(map.next_value::<String>()?).is_some(),
                            other => {
                                return Err(de::Error::custom(format!(
                                    "unknown key `{other}` in a target: expected `target`, `when` or `calendar` (targets by priority are a mapping of their own, like `{{ urgent: 1h, else: 4h }}`){}",
                                    crate::suggest::did_you_mean(
                                        other,
                                        DETAILED_KEYS.iter().copied()
                                    )
                                )));
                            }
                        };
                        if seen {
                            return Err(de::Error::custom(format!(
                                "`{k}` is given twice: give each key once"
                            )));
                        }
                        key = map.next_key::<KeyString>()?.map(|k| k.0);
                    }
                    let Some(target) = target else {
                        return Err(de::Error::custom(
                            "the target has no `target`: expected a duration like `{ target: 4h, calendar: always }`",
                        ));
                    };
                    return Ok(TargetValue::Detailed {
                        target,
                        when,
                        calendar,
                    });
                }
                let mut out: Vec<(String, TargetValue)> = Vec::new();
                let mut key = Some(first.0);
                while let Some(k) = key {
                    if DETAILED_KEYS.contains(&k.as_str()) {
                        return Err(de::Error::custom(format!(
                            "`{k}` among targets by priority: expected a priority or `else` as each key (a detailed target goes under its priority, like `urgent: {{ target: 1h, calendar: always }}`)"
                        )));
                    }
                    if out.iter().any(|(p, _)| *p == k) {
                        return Err(de::Error::custom(format!(
                            "`{k}` is given twice: give each key once"
                        )));
                    }
                    let value: TargetValue = map.next_value()?;
                    if let TargetValue::ByPriority(_) = value {
                        return Err(de::Error::custom(format!(
                            "the target for the priority `{k}` is itself a map of priorities: expected a duration, `none` or `{{ target: DURATION, calendar: NAME }}`"
                        )));
                    }
                    out.push((k, value));
                    key = map.next_key::<KeyString>()?.map(|k| k.0);
                }
                Ok(TargetValue::ByPriority(Ordered(out)))
            }
        }
        d.deserialize_any(V)
    }
}

/// One kind or a list of kinds (`stops: resolved`, `stops: [replied, resolved]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Kinds(pub Vec<String>);

impl<'de> Deserialize<'de> for Kinds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Kinds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event kind like `resolved` or a list like `[replied, resolved]`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Kinds, E> {
                Ok(Kinds(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kinds, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = seq.next_element::<String>()? {
                    out.push(k);
                }
                if out.is_empty() {
                    return Err(de::Error::custom(
                        "expected at least one event kind, found an empty list",
                    ));
                }
                Ok(Kinds(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// What a change of the target does to a running clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RawOnChange {
    /// The new target is measured from the metric's start.
    Keep,
    /// The clock starts again at the change.
    Restart,
}

/// `valid: { from, to }`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawValid {
    /// The first day the contract applies.
    pub from: Option<Date>,
    /// The last day the contract applies.
    pub to: Option<Date>,
}

/// `calendar:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    /// The IANA time zone of the service hours.
    pub timezone: Option<Zone>,
    /// Weekly opening windows: `{ mon-fri: ["09:00-18:00"] }`.
    pub week: Option<Week>,
    /// Dates closed all day.
    pub holidays: Option<Vec<Date>>,
    /// iCalendar (`.ics`) files, paths from the project root like scripts
    /// (`[calendars/ru-2026.ics]`): each all-day event closes its dates, besides
    /// `holidays` (multi-day events every date, yearly `RRULE`s from 1970 through 2100).
    pub holiday_files: Option<Vec<String>>,
    /// Dates with their own windows (a short pre-holiday day, a working Saturday).
    pub exceptions: Option<Ordered<Windows>>,
    /// The length of "1 working day" (default: the longest weekday's open time).
    pub day_length: Option<Duration>,
}

/// One metric.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawMetric {
    /// The event (or events) that start the clock: `registered` or event kinds.
    pub starts: Option<Kinds>,
    /// The event kind (or kinds) that stop it (`assigned`, `[replied, resolved]`).
    pub stops: Option<Kinds>,
    /// Whether `paused` … `resumed` stops the clock.
    pub pausable: Option<bool>,
    /// Whether every interval from a start to a stop is measured (an obligation that
    /// recurs, like an update every 4 working hours).
    pub recurring: Option<bool>,
    /// What a change of the target does to a running clock: `keep` (default) or
    /// `restart`.
    pub on_change: Option<RawOnChange>,
}

/// One category: its fixed fields and its targets by metric name (checked against the
/// contract's metrics after merging).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawCategory {
    pub clause: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub allowance: Option<String>,
    pub calendar: Option<String>,
    pub targets: Ordered<TargetValue>,
}

/// The fixed fields of a category, for messages.
pub const CATEGORY_FIELDS: [&str; 5] = ["clause", "title", "description", "allowance", "calendar"];

impl<'de> Deserialize<'de> for RawCategory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCategory;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a category like { clause: \"3.2\", title: …, resolve: 1 working day }")
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawCategory, E> {
                Ok(RawCategory::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawCategory, A::Error> {
                let mut c = RawCategory::default();
                while let Some(key) = map.next_key::<KeyString>()? {
                    let key = key.0;
                    let seen = match key.as_str() {
                        "clause" => c.clause.replace(map.next_value::<KeyString>()?.0).is_some(),
                        "title" => c.title.replace(map.next_value()?).is_some(),
                        "description" => c.description.replace(map.next_value()?).is_some(),
                        "allowance" => c.allowance.replace(map.next_value()?).is_some(),
                        "calendar" => c.calendar.replace(map.next_value()?).is_some(),
                        _ => {
                            let v = map.next_value::<TargetValue>()?;
                            let dup = c.targets.get(&key).is_some();
                            c.targets.0.push((key.clone(), v));
                            dup
                        }
                    };
                    if seen {
                        return Err(de::Error::custom(format!(
                            "`{key}` is given twice: give each key once"
                        )));
                    }
                }
                Ok(c)
            }
        }
        d.deserialize_any(V)
    }
}

/// One allowance.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawAllowance {
    /// Hours included per period.
    pub hours: Option<f64>,
    /// The period: `month` (the default), `quarter`, `year` or `term` (the contract's
    /// `valid` period).
    pub per: Option<String>,
    /// Whether work must be approved (an `approved` event) before it is done.
    pub requires_approval: Option<bool>,
    /// Unused hours that may be carried into the next period of the same kind.
    pub carry_over: Option<f64>,
    /// The categories whose work counts (besides those naming the allowance).
    pub categories: Option<Vec<String>>,
    /// The price of an hour beyond the allowance, in the `fee`'s currency.
    pub overage: Option<Amount>,
}

/// `fee: { amount, currency, per }`: what the customer pays, per period.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawFee {
    /// The amount per period, exact (`5000.00`).
    pub amount: Option<Amount>,
    /// The ISO 4217 currency code (`EUR`).
    pub currency: Option<String>,
    /// The period the amount is owed per: `month` (the default), `quarter`, `year` or
    /// `term`. Service credits are capped per fee period.
    pub per: Option<String>,
}

/// One entry of `compliance`: a share of selected metric results that a report period
/// must reach.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawCompliance {
    /// The metric whose results count (`resolve`).
    pub metric: Option<String>,
    /// Only tickets of this priority.
    pub priority: Option<String>,
    /// Only tickets of this category: an id, or a prefix like `error.*`.
    pub category: Option<String>,
    /// The share of results that must be met (`95%`).
    pub at_least: Option<Percent>,
    /// The credit owed, as a share of the fee, when the period misses the share.
    pub credit: Option<Percent>,
}

/// One entry of `credits`: what is owed to the customer for breaches, as shares of the
/// fee.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawCredit {
    /// The metric whose breaches are credited (`reply`).
    pub metric: Option<String>,
    /// Only tickets of this priority.
    pub priority: Option<String>,
    /// Only tickets of this category: an id, or a prefix like `error.*`.
    pub category: Option<String>,
    /// A share of the fee for each breached result.
    pub per_breach: Option<Percent>,
    /// A step of lateness (`30 calendar minutes`, `1 working hour`): `credit` is owed for
    /// each started step past the deadline.
    pub per_late: Option<Duration>,
    /// The share of the fee per started step of `per_late`.
    pub credit: Option<Percent>,
}

/// One contract or template file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawContract {
    /// A title for the terms.
    pub title: Option<String>,
    /// The customer's name.
    pub customer: Option<String>,
    /// The template this file extends (`standard` for `templates/standard.yaml`): maps
    /// merge key by key, scalars and lists replace.
    pub extends: Option<String>,
    /// Products covered; empty means any.
    pub products: Option<Vec<String>>,
    /// When the contract applies: `{ from: 2026-01-01, to: 2026-12-31 }`.
    pub valid: Option<RawValid>,
    /// Service hours: time zone, weekly windows, holidays, exceptions.
    pub calendar: Option<RawCalendar>,
    /// More calendars by name; each takes `timezone`, and its days off (`holidays` and
    /// `holiday_files`), from `calendar` unless it sets them.
    pub calendars: Option<Ordered<RawCalendar>>,
    /// The values of a ticket's `priority`, most urgent first.
    pub priorities: Option<Vec<String>>,
    /// The priority of a ticket that has none.
    pub default_priority: Option<String>,
    /// Event kinds of this contract, beyond the built-in ones.
    pub events: Option<Vec<String>>,
    /// Share of a target after which a running metric is at risk (default 75%).
    pub warn_at: Option<Share>,
    /// Clocks with a start and a stop event: `assign`, `resolve`.
    pub metrics: Option<Ordered<RawMetric>>,
    /// Targets for every category unless it says otherwise, by metric.
    pub defaults: Option<Ordered<TargetValue>>,
    /// Request categories by id (`error.module_failure`).
    pub categories: Option<Ordered<RawCategory>>,
    /// Hours of work included per period, by name.
    pub allowances: Option<Ordered<RawAllowance>>,
    /// What the customer pays: `{ amount: 5000.00, currency: EUR, per: month }`.
    pub fee: Option<RawFee>,
    /// Shares of metric results that a report period must reach (`95%` of urgent
    /// requests resolved in time), each with an optional credit when missed.
    pub compliance: Option<Vec<RawCompliance>>,
    /// Service credits owed for breaches, as shares of the fee.
    pub credits: Option<Vec<RawCredit>>,
    /// The most credited in one fee period, as a share of the fee (`25%`).
    pub credit_cap: Option<Percent>,
    /// Rhai scripts, paths from the project root (`scripts/vip.rhai`).
    pub scripts: Option<Vec<String>>,
    /// Sandbox limits for the scripts (never beyond the built-in ceiling).
    pub limits: Option<RawLimits>,
}

/// `limits:` for scripts; each at least 1 and at most the ceiling.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub operations: Option<u64>,
    pub call_levels: Option<u64>,
    pub expr_depth: Option<u64>,
    pub string_size: Option<u64>,
    pub array_size: Option<u64>,
    pub map_size: Option<u64>,
    pub variables: Option<u64>,
    pub functions: Option<u64>,
    pub millis: Option<u64>,
}

/// Overlays a layer on the one it extends.
pub trait Merge: Sized {
    /// `parent` overlaid with `self`: `self`'s values win where it has them.
    fn merge(self, parent: Self) -> Self;
}

/// Merges two optional maps key by key.
fn merge_maps<T: Merge>(
    child: Option<Ordered<T>>,
    parent: Option<Ordered<T>>,
) -> Option<Ordered<T>> {
    match (child, parent) {
        (Some(c), Some(p)) => {
            let mut out: Vec<(String, Option<T>)> =
                p.0.into_iter().map(|(k, v)| (k, Some(v))).collect();
            for (k, v) in c.0 {
                match out.iter_mut().find(|(pk, _)| *pk == k) {
                    Some(slot) => {
                        let merged = match slot.1.take() {
                            Some(old) => v.merge(old),
                            None => v,
                        };
                        slot.1 = Some(merged);
                    }
                    None => out.push((k, Some(v))),
                }
            }
            Some(Ordered(
                out.into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect(),
            ))
        }
        (c, p) => c.or(p),
    }
}

impl Merge for TargetValue {
    /// Targets by priority merge priority by priority; anything else replaces.
    fn merge(self, parent: Self) -> Self {
        match (self, parent) {
            (TargetValue::ByPriority(c), TargetValue::ByPriority(p)) => {
                TargetValue::ByPriority(merge_maps(Some(c), Some(p)).unwrap_or_default())
            }
            (c, _) => c,
        }
    }
}

impl Merge for Windows {
    fn merge(self, _parent: Self) -> Self {
        self
    }
}

impl Merge for RawMetric {
    fn merge(self, p: Self) -> Self {
        RawMetric {
            starts: self.starts.or(p.starts),
            stops: self.stops.or(p.stops),
            pausable: self.pausable.or(p.pausable),
            recurring: self.recurring.or(p.recurring),
            on_change: self.on_change.or(p.on_change),
        }
    }
}

impl Merge for RawCategory {
    fn merge(self, p: Self) -> Self {
        RawCategory {
            clause: self.clause.or(p.clause),
            title: self.title.or(p.title),
            description: self.description.or(p.description),
            allowance: self.allowance.or(p.allowance),
            calendar: self.calendar.or(p.calendar),
            targets: merge_maps(Some(self.targets), Some(p.targets)).unwrap_or_default(),
        }
    }
}

impl Merge for RawAllowance {
    fn merge(self, p: Self) -> Self {
        RawAllowance {
            hours: self.hours.or(p.hours),
            per: self.per.or(p.per),
            requires_approval: self.requires_approval.or(p.requires_approval),
            carry_over: self.carry_over.or(p.carry_over),
            categories: self.categories.or(p.categories),
            overage: self.overage.or(p.overage),
        }
    }
}

impl Merge for RawCalendar {
    fn merge(self, p: Self) -> Self {
        let week = match (self.week, p.week) {
            (Some(c), Some(p)) => {
                let mut days = p.0;
                for (i, d) in c.0.into_iter().enumerate() {
                    if d.is_some() {
                        days[i] = d;
                    }
                }
                Some(Week(days))
            }
            (c, p) => c.or(p),
        };
        RawCalendar {
            timezone: self.timezone.or(p.timezone),
            week,
            holidays: self.holidays.or(p.holidays),
            holiday_files: self.holiday_files.or(p.holiday_files),
            exceptions: merge_maps(self.exceptions, p.exceptions),
            day_length: self.day_length.or(p.day_length),
        }
    }
}

impl Merge for RawContract {
    fn merge(self, p: Self) -> Self {
        let scripts = match (p.scripts, self.scripts) {
            (Some(mut a), Some(b)) => {
                for s in b {
                    if !a.contains(&s) {
                        a.push(s);
                    }
                }
                Some(a)
            }
            (a, b) => b.or(a),
        };
        RawContract {
            title: self.title.or(p.title),
            customer: self.customer.or(p.customer),
            extends: self.extends,
            products: self.products.or(p.products),
            valid: match (self.valid, p.valid) {
                (Some(c), Some(p)) => Some(RawValid {
                    from: c.from.or(p.from),
                    to: c.to.or(p.to),
                }),
                (c, p) => c.or(p),
            },
            calendar: match (self.calendar, p.calendar) {
                (Some(c), Some(p)) => Some(c.merge(p)),
                (c, p) => c.or(p),
            },
            calendars: merge_maps(self.calendars, p.calendars),
            priorities: self.priorities.or(p.priorities),
            default_priority: self.default_priority.or(p.default_priority),
            events: self.events.or(p.events),
            warn_at: self.warn_at.or(p.warn_at),
            metrics: merge_maps(self.metrics, p.metrics),
            defaults: merge_maps(self.defaults, p.defaults),
            categories: merge_maps(self.categories, p.categories),
            allowances: merge_maps(self.allowances, p.allowances),
            fee: match (self.fee, p.fee) {
                (Some(c), Some(p)) => Some(RawFee {
                    amount: c.amount.or(p.amount),
                    currency: c.currency.or(p.currency),
                    per: c.per.or(p.per),
                }),
                (c, p) => c.or(p),
            },
            compliance: self.compliance.or(p.compliance),
            credits: self.credits.or(p.credits),
            credit_cap: self.credit_cap.or(p.credit_cap),
            scripts,
            limits: match (self.limits, p.limits) {
                (Some(c), Some(p)) => Some(RawLimits {
                    operations: c.operations.or(p.operations),
                    call_levels: c.call_levels.or(p.call_levels),
                    expr_depth: c.expr_depth.or(p.expr_depth),
                    string_size: c.string_size.or(p.string_size),
                    array_size: c.array_size.or(p.array_size),
                    map_size: c.map_size.or(p.map_size),
                    variables: c.variables.or(p.variables),
                    functions: c.functions.or(p.functions),
                    millis: c.millis.or(p.millis),
                }),
                (c, p) => c.or(p),
            },
        }
    }
}

//! Working-time arithmetic: when is the vendor open, when is something due, how much
//! working time lies between two instants.
//!
//! A [`Calendar`] is an IANA time zone, opening windows per weekday (local wall-clock
//! time, several per day, a window may end at `24:00`), holidays (closed all day) and
//! dated exceptions (a date with its own windows). It is pure: no clock, no files.
//!
//! Semantics (docs/working-time.md): an instant is working time when its local date is not
//! a holiday and its local wall-clock time lies in one of that date's windows, start
//! included, end excluded. Durations are real elapsed time, so a day that loses an hour to
//! DST is an hour shorter; a window whose start falls in a skipped hour opens at the jump;
//! a repeated local hour counts twice when it is inside a window.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
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

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const EPOCH_CE: i64 = 719_163;
/// Seconds in a day, as i64.
const DAY_S: i64 = 86_400;
/// The zone table covers 1970-01-01 … 2100-01-01; outside it, offsets come from chrono-tz
/// directly (correct, but without week skipping).
const TABLE_FROM: i64 = 0;
const TABLE_TO: i64 = 4_102_444_800;
/// Every real offset lies within ±26 h, so the instants of local date `d` lie in
/// `[d·86400 − MARGIN, (d+1)·86400 + MARGIN)`.
const MARGIN: i64 = 26 * 3600;
/// The last local day computed (9999-12-31); `due` gives up beyond it.
const LAST_DAY: i64 = 2_932_896;
const FIRST_DAY: i64 = -719_162;

/// A zone's UTC-offset transitions over the table range, found once per zone and process.
#[derive(Debug)]
struct ZoneTable {
    /// The offset (seconds east of UTC) in force at `TABLE_FROM`.
    initial: i32,
    /// `(instant, offset from then on)`, sorted.
    transitions: Vec<(i64, i32)>,
    /// `index[k]`: how many transitions lie at or before `TABLE_FROM + k·BUCKET`, so an
    /// offset look-up starts next to its answer instead of binary searching.
    index: Vec<u32>,
}

/// Offset of `tz` at UTC second `t`, straight from chrono-tz.
fn tz_offset(tz: Tz, t: i64) -> i32 {
    match DateTime::from_timestamp(t, 0) {
        Some(dt) => tz
            .offset_from_utc_datetime(&dt.naive_utc())
            .fix()
            .local_minus_utc(),
        None => 0,
    }
}

/// The first second in `(lo, hi]` whose offset differs from `tz_offset(lo)`.
fn bisect(tz: Tz, mut lo: i64, mut hi: i64) -> i64 {
    let base = tz_offset(tz, lo);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if tz_offset(tz, mid) == base {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// How far apart the zone scan samples offsets. Every zone of the tz database keeps an
/// offset for at least this long between 1970 and 2100 (checked for all of them by the
/// ignored test `every_zone_keeps_its_offsets_for_a_week`), so no pair of changes can
/// hide between two samples.
const SCAN_STEP: i64 = 7 * DAY_S;

/// Width of a bucket of [`ZoneTable`]'s index: 2^20 s, about 12 days, so a bucket holds
/// at most two transitions and the table for 1970 … 2100 has about 3,900 buckets.
const BUCKET_BITS: u32 = 20;

impl ZoneTable {
    fn build(tz: Tz) -> ZoneTable {
        ZoneTable::scan(tz, SCAN_STEP)
    }

    /// Samples the offset every `step` seconds and bisects each change.
    fn scan(tz: Tz, step: i64) -> ZoneTable {
        let initial = tz_offset(tz, TABLE_FROM);
        let mut transitions = Vec::new();
        let (mut t, mut off) = (TABLE_FROM, initial);
        while t < TABLE_TO {
            let next = (t + step).min(TABLE_TO);
            let o = tz_offset(tz, next);
            if o != off {
                // Find every change inside the step (normally exactly one).
                let mut lo = t;
                loop {
                    let at = bisect(tz, lo, next);
                    let after = tz_offset(tz, at);
                    transitions.push((at, after));
                    if after == o {
                        break;
                    }
                    lo = at;
                }
                off = o;
            }
            t = next;
        }
        let buckets = ((TABLE_TO - TABLE_FROM) >> BUCKET_BITS) + 1;
        let mut index = Vec::with_capacity(usize::try_from(buckets).unwrap_or(0));
        let mut i = 0;
        for k in 0..buckets {
            let at = TABLE_FROM + (k << BUCKET_BITS);
            while i < transitions.len() && transitions[i].0 <= at {
                i += 1;
            }
            // 0 is always a correct (only slower) starting point.
            index.push(u32::try_from(i).unwrap_or(0));
        }
        ZoneTable {
            initial,
            transitions,
            index,
        }
    }

    /// The offset at UTC second `t`, which must lie in `[TABLE_FROM, TABLE_TO)`: the
    /// bucket's index, then a step over the (at most two) transitions inside the bucket.
    fn offset(&self, t: i64) -> i32 {
        let tr = &self.transitions;
        let k = usize::try_from((t - TABLE_FROM) >> BUCKET_BITS).unwrap_or(0);
        let mut i = self.index.get(k).map_or(0, |&i| i as usize);
        while i < tr.len() && tr[i].0 <= t {
            i += 1;
        }
        match i {
            0 => self.initial,
            i => tr[i - 1].1,
        }
    }

    /// The process-wide table of `tz`.
    fn of(tz: Tz) -> Arc<ZoneTable> {
        static TABLES: OnceLock<Mutex<HashMap<Tz, Arc<ZoneTable>>>> = OnceLock::new();
        let tables = TABLES.get_or_init(Default::default);
        if let Ok(map) = tables.lock()
            && let Some(t) = map.get(&tz)
        {
            return Arc::clone(t);
        }
        let table = Arc::new(ZoneTable::build(tz));
        if let Ok(mut map) = tables.lock() {
            map.entry(tz).or_insert_with(|| Arc::clone(&table));
        }
        table
    }
}

/// The local date `d` (days since 1970-01-01) as a `NaiveDate`.
fn date_of(d: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(d + EPOCH_CE).ok()?)
}

/// `NaiveDate` → days since 1970-01-01.
fn day_of(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - EPOCH_CE
}

/// Monday = 0 … Sunday = 6 for day number `d` (1970-01-01 was a Thursday).
fn weekday(d: i64) -> usize {
    (d + 3).rem_euclid(7) as usize
}

/// Ensures `rem` is in range for the walk and the result fits a `DateTime`.
fn instant(t: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t, 0)
}

/// A working-time calendar: a zone, weekly windows, holidays and dated exceptions.
///
/// Arithmetic runs on UTC seconds and local day numbers. Whole 7-day blocks that contain
/// no holiday, exception or offset change hold exactly the weekly working time and are
/// skipped in one step (found by binary search), so the cost of [`Calendar::due`] and
/// [`Calendar::elapsed`] does not grow with the duration.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    week: [Vec<Window>; 7],
    /// Working seconds of each weekday, and of the whole week.
    week_secs: [i64; 7],
    week_total: i64,
    holidays: Vec<NaiveDate>,
    holiday_days: Vec<i64>,
    exceptions: Vec<(NaiveDate, Vec<Window>)>,
    exception_days: Vec<i64>,
    /// Sorted local days that need the careful path: holidays, exceptions, and days near
    /// an offset change.
    special: Vec<i64>,
    /// Sorted days within two days of the UTC day of an offset change: on any other local
    /// day, one offset holds from two days before it to two days after it.
    near_change: Vec<i64>,
    /// Holidays and exceptions in one sorted list: the day, and `None` for a holiday or
    /// the index of the exception (a holiday wins over an exception of the same day).
    dated: Vec<(i64, Option<usize>)>,
    /// `dated_gain[k]`: the working seconds that the first `k` dated days have beyond
    /// (or, negative, short of) their weekdays' (nominal, without DST).
    dated_gain: Vec<i64>,
    zone: Arc<ZoneTable>,
    day_length: i64,
}

/// What a local date looks like: its windows, or why it is closed.
struct Day<'a> {
    windows: &'a [Window],
    closed: Option<ClosedReason>,
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
        if let Some(pair) = exceptions.windows(2).find(|p| p[0].0 == p[1].0) {
            return Err(CalendarError(format!(
                "the date {} has two exceptions: give each date once",
                pair[0].0
            )));
        }
        let day_secs = |d: &[Window]| d.iter().map(|w| i64::from(w.len())).sum::<i64>();
        let longest = week.iter().map(|d| day_secs(d)).max().unwrap_or(0);
        let week_secs: [i64; 7] = std::array::from_fn(|i| day_secs(&week[i]));
        let week_total = week_secs.iter().sum();
        let day_length = day_length.unwrap_or(longest);
        if day_length <= 0 {
            return Err(CalendarError(
                "the calendar has no open hours on any weekday, so `1 working day` has no length: set `day_length`".into(),
            ));
        }
        let zone = ZoneTable::of(tz);
        let holiday_days: Vec<i64> = holidays.iter().map(|d| day_of(*d)).collect();
        let exception_days: Vec<i64> = exceptions.iter().map(|(d, _)| day_of(*d)).collect();
        let mut near_change: Vec<i64> = Vec::new();
        for &(t, _) in &zone.transitions {
            let u = t.div_euclid(DAY_S);
            near_change.extend(u - 2..=u + 2);
        }
        near_change.sort_unstable();
        near_change.dedup();
        let mut special: Vec<i64> = holiday_days
            .iter()
            .chain(&exception_days)
            .chain(&near_change)
            .copied()
            .collect();
        special.sort_unstable();
        special.dedup();
        let mut dated: Vec<(i64, Option<usize>)> = holiday_days
            .iter()
            .map(|&d| (d, None))
            .chain(
                exception_days
                    .iter()
                    .enumerate()
                    .map(|(i, &d)| (d, Some(i))),
            )
            .collect();
        // `None` sorts first, so the holiday of a day that also has an exception stays.
        dated.sort_unstable();
        dated.dedup_by_key(|(d, _)| *d);
        let mut dated_gain = Vec::with_capacity(dated.len() + 1);
        let mut gain = 0;
        dated_gain.push(gain);
        for &(d, e) in &dated {
            let secs = e.map_or(0, |i| day_secs(&exceptions[i].1));
            gain += secs - week_secs[weekday(d)];
            dated_gain.push(gain);
        }
        Ok(Calendar {
            tz,
            week,
            week_secs,
            week_total,
            holidays,
            holiday_days,
            exceptions,
            exception_days,
            special,
            near_change,
            dated,
            dated_gain,
            zone,
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

    /// The weekly windows, Monday first.
    pub fn week(&self) -> &[Vec<Window>; 7] {
        &self.week
    }

    /// The holidays, sorted.
    pub fn holidays(&self) -> &[NaiveDate] {
        &self.holidays
    }

    /// The dated exceptions, sorted by date.
    pub fn exceptions(&self) -> &[(NaiveDate, Vec<Window>)] {
        &self.exceptions
    }

    /// Whether `date` is a holiday.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holiday_days.binary_search(&day_of(date)).is_ok()
    }

    /// The windows of `date`: none on a holiday, the exception's if it has one, else its
    /// weekday's.
    pub fn windows_on(&self, date: NaiveDate) -> &[Window] {
        self.day(day_of(date)).windows
    }

    /// The local date of an instant in the calendar's zone.
    pub fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        self.to_local(t).date_naive()
    }

    fn day(&self, d: i64) -> Day<'_> {
        if self.holiday_days.binary_search(&d).is_ok() {
            return Day {
                windows: &[],
                closed: Some(ClosedReason::Holiday),
            };
        }
        if let Ok(i) = self.exception_days.binary_search(&d) {
            let windows = &self.exceptions[i].1[..];
            let closed = windows.is_empty().then_some(ClosedReason::Exception);
            return Day { windows, closed };
        }
        let windows = &self.week[weekday(d)][..];
        let closed = windows.is_empty().then_some(ClosedReason::Weekend);
        Day { windows, closed }
    }

    /// The offset in force at UTC second `t`.
    /// `t` as local time in the calendar's zone, with its UTC offset (from the zone's
    /// table of offset changes: cheaper than asking chrono-tz).
    pub fn to_local(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        match FixedOffset::east_opt(self.offset(t.timestamp())) {
            Some(off) => t.with_timezone(&off),
            None => t.with_timezone(&self.tz).fixed_offset(),
        }
    }

    fn offset(&self, t: i64) -> i32 {
        if (TABLE_FROM..TABLE_TO).contains(&t) {
            self.zone.offset(t)
        } else {
            tz_offset(self.tz, t)
        }
    }

    /// The local day number of UTC second `t`.
    fn local_day(&self, t: i64) -> i64 {
        (t + i64::from(self.offset(t))).div_euclid(DAY_S)
    }

    /// Offset changes in `[a, b)`.
    fn changes(&self, a: i64, b: i64, out: &mut Vec<(i64, i32)>) {
        out.clear();
        if a >= TABLE_FROM && b <= TABLE_TO {
            let tr = &self.zone.transitions;
            let lo = tr.partition_point(|&(at, _)| at < a);
            let hi = tr.partition_point(|&(at, _)| at < b);
            out.extend_from_slice(&tr[lo..hi]);
        } else {
            let (oa, ob) = (tz_offset(self.tz, a), tz_offset(self.tz, b - 1));
            if oa != ob {
                let at = bisect(self.tz, a, b - 1);
                out.push((at, tz_offset(self.tz, at)));
            }
        }
    }

    /// Calls `f(start, end)` for each open interval of local day `d`, in order, as UTC
    /// seconds. `scratch` is reused storage for offset changes.
    fn intervals(
        &self,
        d: i64,
        windows: &[Window],
        scratch: &mut Vec<(i64, i32)>,
        mut f: impl FnMut(i64, i64) -> bool,
    ) -> bool {
        if windows.is_empty() {
            return false;
        }
        let midnight = d * DAY_S;
        let simple = self.near_change.binary_search(&d).is_err()
            && (TABLE_FROM..TABLE_TO - DAY_S).contains(&midnight);
        if simple {
            let off = i64::from(self.offset(midnight));
            for w in windows {
                if f(
                    midnight + i64::from(w.start) - off,
                    midnight + i64::from(w.end) - off,
                ) {
                    return true;
                }
            }
            return false;
        }
        let (lo, hi) = (midnight - MARGIN, midnight + DAY_S + MARGIN);
        self.changes(lo, hi, scratch);
        // Constant-offset segments [seg_start, seg_end) covering [lo, hi).
        let mut seg_start = lo;
        let mut off = i64::from(self.offset(lo));
        let mut segments: [(i64, i64, i64); 4] = [(0, 0, 0); 4];
        let mut n = 0;
        for &(at, after) in scratch.iter().take(3) {
            segments[n] = (seg_start, at, off);
            n += 1;
            seg_start = at;
            off = i64::from(after);
        }
        segments[n] = (seg_start, hi, off);
        n += 1;
        // The pieces of every window in every segment, in time order: on a day that
        // repeats an hour, a later window's piece before the change comes before an
        // earlier window's piece after it (00:45-01:45 and 01:45-02:45 on a day that
        // goes back from 02:00 to 01:00: 01:45-02:00 first time round comes before
        // 01:00-01:45 second time round). Windows do not overlap, so neither do pieces.
        let mut pieces: Vec<(i64, i64)> = Vec::with_capacity(windows.len() * n);
        for w in windows {
            for &(p0, p1, o) in &segments[..n] {
                let a = (midnight + i64::from(w.start) - o).max(p0);
                let b = (midnight + i64::from(w.end) - o).min(p1);
                if a < b {
                    pieces.push((a, b));
                }
            }
        }
        pieces.sort_unstable();
        pieces.into_iter().any(|(a, b)| f(a, b))
    }

    /// If day `d` is clean (no holiday, exception or offset change, inside the zone
    /// table), the first day after it that is not; `None` if `d` itself is not clean.
    fn clean_until(&self, d: i64) -> Option<i64> {
        let hi = TABLE_TO / DAY_S - 2;
        if d <= TABLE_FROM / DAY_S || d >= hi {
            return None;
        }
        let next = self
            .special
            .get(self.special.partition_point(|&s| s < d))
            .map_or(hi, |&s| s.min(hi));
        (next > d).then_some(next)
    }

    /// The offset and local day of UTC second `s`, and the first day at or after the day
    /// before it that is near an offset change (at most two days short of the zone
    /// table's end), when that local day is far enough inside the table; `None` otherwise.
    ///
    /// If no day of `[first − 1, next)` is near a change, no offset change lies within two
    /// UTC days of any of them, so one offset holds from two days before `first` to a day
    /// after `next`: the open intervals of those days are their windows shifted by it.
    fn steady_start(&self, s: i64) -> Option<(i64, i64, i64)> {
        if !(TABLE_FROM..TABLE_TO).contains(&s) {
            return None;
        }
        let off = i64::from(self.zone.offset(s));
        let first = (s + off).div_euclid(DAY_S);
        if first <= TABLE_FROM / DAY_S + 3 {
            return None;
        }
        let hi = TABLE_TO / DAY_S - 2;
        let near = &self.near_change;
        let next = match near.last() {
            Some(&l) if l >= first - 1 => near[near.partition_point(|&x| x < first - 1)].min(hi),
            _ => hi,
        };
        Some((off, first, next))
    }

    /// The windows of local day `d`, given `dated[j]`, the first dated day at or after it.
    fn windows_at(&self, d: i64, j: usize) -> &[Window] {
        match self.dated.get(j) {
            Some(&(x, e)) if x == d => e.map_or(&[], |i| &self.exceptions[i].1[..]),
            _ => &self.week[weekday(d)][..],
        }
    }

    /// The index of the first dated day at or after `d`.
    fn dated_from(&self, d: i64) -> usize {
        self.dated.partition_point(|&(x, _)| x < d)
    }

    /// `windows` of local day `d` under the constant offset `off`, as UTC seconds (what
    /// [`Calendar::intervals`] gives on a steady day).
    fn steady_intervals(
        d: i64,
        windows: &[Window],
        off: i64,
    ) -> impl Iterator<Item = (i64, i64)> + '_ {
        let base = d * DAY_S - off;
        windows
            .iter()
            .map(move |w| (base + i64::from(w.start), base + i64::from(w.end)))
    }

    /// Nominal working seconds of the local days `[a, b)` (`a <= b`), holidays and
    /// exceptions included, in constant time: whole weeks, the remaining weekdays, and the
    /// prefix sums of what the dated days change. `ja` and `jb` are `dated_from(a)` and
    /// `dated_from(b)`.
    fn steady_secs(&self, a: i64, b: i64, ja: usize, jb: usize) -> i64 {
        let weeks = (b - a) / 7;
        let mut total = weeks * self.week_total;
        for d in a + weeks * 7..b {
            total += self.week_secs[weekday(d)];
        }
        let gain = |j: usize| self.dated_gain.get(j).copied().unwrap_or(0);
        total + gain(jb) - gain(ja)
    }

    /// [`Calendar::elapsed`] without a trace when no local day of `[first − 1, last + 1]`
    /// is near an offset change (the common case): one offset, constant cost. `None` when
    /// the span needs the general walk.
    fn elapsed_steady(&self, a0: i64, b0: i64) -> Option<i64> {
        let (off, first, next) = self.steady_start(a0)?;
        // With no offset change in [a0, b0] (which a steady span rules out), this is
        // `local_day(b0)`.
        let last = (b0 + off).div_euclid(DAY_S);
        if next <= last + 1 {
            return None;
        }
        let clip = |d: i64, j: usize| {
            Self::steady_intervals(d, self.windows_at(d, j), off)
                .map(|(a, b)| (b.min(b0) - a.max(a0)).max(0))
                .sum::<i64>()
        };
        // The days before `first` and after `last` lie wholly outside [a0, b0), the days
        // between wholly inside.
        let j = self.dated_from(first);
        if first == last {
            return Some(clip(first, j));
        }
        let after_first = j + usize::from(self.dated.get(j).is_some_and(|&(x, _)| x == first));
        let k = self.dated_from(last);
        Some(clip(first, j) + self.steady_secs(first + 1, last, after_first, k) + clip(last, k))
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
    /// `working_seconds`. `None` if the calendar never again has that much working time.
    /// A start outside hours counts from the next opening; a result that lands on a
    /// closing time stays there.
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use slaengine::calendar::{Calendar, Window};
    /// let nine_to_six = vec![Window::parse("09:00-18:00").unwrap()];
    /// let mut week: [Vec<Window>; 7] = Default::default();
    /// for day in &mut week[..5] { *day = nine_to_six.clone(); }
    /// let holiday = "2026-03-09".parse().unwrap();
    /// let cal = Calendar::new(chrono_tz::Europe::Moscow, week, vec![holiday], vec![], None).unwrap();
    /// let friday: DateTime<Utc> = "2026-03-06T16:40:00+03:00".parse().unwrap();
    /// let due = cal.due(friday, 9 * 3600).unwrap();
    /// assert_eq!(due, "2026-03-10T16:40:00+03:00".parse::<DateTime<Utc>>().unwrap());
    /// ```
    pub fn due(&self, start: DateTime<Utc>, working_seconds: i64) -> Option<DateTime<Utc>> {
        self.walk_due(start, working_seconds, None)
    }

    /// [`Calendar::due`], recording every counted interval and closed date in `trace`.
    pub fn due_traced(
        &self,
        start: DateTime<Utc>,
        working_seconds: i64,
        trace: &mut Vec<Step>,
    ) -> Option<DateTime<Utc>> {
        self.walk_due(start, working_seconds, Some(trace))
    }

    /// The working time in `[from, to)`, in seconds; 0 when `to` is not after `from`.
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use slaengine::calendar::{Calendar, Window};
    /// let mut week: [Vec<Window>; 7] = Default::default();
    /// for day in &mut week[..5] { *day = vec![Window::parse("09:00-18:00").unwrap()]; }
    /// let cal = Calendar::new(chrono_tz::Europe::Moscow, week, vec![], vec![], None).unwrap();
    /// let from: DateTime<Utc> = "2026-03-06T17:30:00+03:00".parse().unwrap();
    /// let to: DateTime<Utc> = "2026-03-09T09:30:00+03:00".parse().unwrap();
    /// assert_eq!(cal.elapsed(from, to), 3600);
    /// ```
    pub fn elapsed(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.walk_elapsed(from, to, None)
    }

    /// [`Calendar::elapsed`], recording every counted interval and closed date in `trace`.
    pub fn elapsed_traced(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        trace: &mut Vec<Step>,
    ) -> i64 {
        self.walk_elapsed(from, to, Some(trace))
    }

    /// Whether `t` is working time.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        let s = t.timestamp();
        let d = self.local_day(s);
        let mut scratch = Vec::new();
        (d - 1..=d).any(|day| {
            let windows = self.day(day).windows;
            self.intervals(day, windows, &mut scratch, |a, b| a <= s && s < b)
        })
    }

    /// Through a run of days `*d .. bound` whose working time is their weekday's (no
    /// dated day, no offset change): whole weeks, then whole days by their weekday's
    /// total, while more than that remains of `rem` — stopping on the day on which the
    /// time runs out, or at `bound`. Needs `week_total > 0` and `rem > 0`.
    fn skip_run(&self, d: &mut i64, bound: i64, rem: &mut i64) {
        let weeks = ((bound - *d) / 7).min((*rem - 1) / self.week_total);
        *rem -= weeks * self.week_total;
        *d += weeks * 7;
        while *d < bound && *rem > self.week_secs[weekday(*d)] {
            *rem -= self.week_secs[weekday(*d)];
            *d += 1;
        }
    }

    fn walk_due(
        &self,
        start: DateTime<Utc>,
        secs: i64,
        mut trace: Option<&mut Vec<Step>>,
    ) -> Option<DateTime<Utc>> {
        let s = start.timestamp();
        if secs <= 0 {
            return instant(s);
        }
        let first = self.local_day(s);
        let last_exception = self.exception_days.last().copied().unwrap_or(i64::MIN);
        // More working time than the calendar holds before year 10000: give up at once
        // rather than walk there.
        let weeks_left = (LAST_DAY - first).max(0) / 7 + 2;
        let exception_bound = self.exceptions.len() as i64 * (DAY_S + 3600);
        let capacity = weeks_left
            .saturating_mul(self.week_total + 3600 * 7)
            .saturating_add(exception_bound);
        if secs > capacity {
            return None;
        }
        let mut rem = secs;
        let mut d = first - 1;
        if trace.is_none()
            && self.week_total > 0
            && let Some((off, _, next)) = self.steady_start(s)
            && next > first
        {
            // Days `first − 1 … next − 1` are steady under one offset: count the first day
            // from `s` (the day before ends before `s`), then day by day, skipping the
            // whole weeks and days between dated days, until the time runs out or the
            // general walk takes over at the next day near an offset change.
            let mut j = self.dated_from(first);
            let mut e = first;
            while e < next {
                let bound = self.dated.get(j).map_or(next, |&(x, _)| x.min(next));
                if e > first && e < bound {
                    self.skip_run(&mut e, bound, &mut rem);
                    if e == bound {
                        continue;
                    }
                }
                for (a, b) in Self::steady_intervals(e, self.windows_at(e, j), off) {
                    let a = a.max(s);
                    if a < b {
                        if rem <= b - a {
                            return instant(a + rem);
                        }
                        rem -= b - a;
                    }
                }
                if self.dated.get(j).is_some_and(|&(x, _)| x == e) {
                    j += 1;
                }
                e += 1;
            }
            d = next;
        }
        let mut scratch = Vec::new();
        let mut result = None;
        while result.is_none() {
            if !(FIRST_DAY..=LAST_DAY).contains(&d) || (self.week_total == 0 && d > last_exception)
            {
                return None;
            }
            if trace.is_none()
                && d > first
                && self.week_total > 0
                && let Some(next) = self.clean_until(d)
            {
                self.skip_run(&mut d, next, &mut rem);
                if d == next {
                    continue;
                }
            }
            let day = self.day(d);
            if let (Some(t), Some(reason)) = (trace.as_deref_mut(), day.closed)
                && d >= first
                && let Some(date) = date_of(d)
            {
                t.push(Step::Closed { date, reason });
            }
            self.intervals(d, day.windows, &mut scratch, |a, b| {
                let a = a.max(s);
                if a >= b {
                    return false;
                }
                let end = if rem <= b - a { a + rem } else { b };
                if let Some(t) = trace.as_deref_mut()
                    && let (Some(from), Some(to)) = (instant(a), instant(end))
                {
                    t.push(Step::Counted { from, to });
                }
                rem -= end - a;
                if rem == 0 {
                    result = Some(end);
                    return true;
                }
                false
            });
            d += 1;
        }
        result.and_then(instant)
    }

    fn walk_elapsed(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        mut trace: Option<&mut Vec<Step>>,
    ) -> i64 {
        let (a0, b0) = (from.timestamp(), to.timestamp());
        if b0 <= a0 {
            return 0;
        }
        if trace.is_none()
            && let Some(total) = self.elapsed_steady(a0, b0)
        {
            return total;
        }
        let (first, last) = (self.local_day(a0), self.local_day(b0));
        let mut total = 0;
        let mut d = first - 1;
        let mut scratch = Vec::new();
        while d <= last + 1 {
            if trace.is_none()
                && d > first
                && d < last
                && let Some(next) = self.clean_until(d)
            {
                // Days strictly between the first and the last lie wholly inside.
                let next = next.min(last);
                let weeks = (next - d) / 7;
                total += weeks * self.week_total;
                d += weeks * 7;
                while d < next {
                    total += self.week_secs[weekday(d)];
                    d += 1;
                }
                continue;
            }
            let day = self.day(d);
            if let (Some(t), Some(reason)) = (trace.as_deref_mut(), day.closed)
                && d >= first
                && d <= last
                && let Some(date) = date_of(d)
            {
                t.push(Step::Closed { date, reason });
            }
            self.intervals(d, day.windows, &mut scratch, |a, b| {
                let (a, b) = (a.max(a0), b.min(b0));
                if a < b {
                    total += b - a;
                    if let Some(t) = trace.as_deref_mut()
                        && let (Some(from), Some(to)) = (instant(a), instant(b))
                    {
                        t.push(Step::Counted { from, to });
                    }
                }
                false
            });
            d += 1;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn w(s: &str) -> Window {
        Window::parse(s).unwrap()
    }

    fn weekdays(windows: &[&str]) -> [Vec<Window>; 7] {
        let mut week: [Vec<Window>; 7] = Default::default();
        for day in &mut week[..5] {
            *day = windows.iter().map(|s| w(s)).collect();
        }
        week
    }

    /// Zones whose offsets change often or oddly: Ramadan suspensions of DST, half-hour
    /// DST, a skipped day, two-hour DST, wartime-style double changes.
    const ODD_ZONES: [Tz; 8] = [
        Tz::Africa__Casablanca,
        Tz::Asia__Gaza,
        Tz::Pacific__Apia,
        Tz::Australia__Lord_Howe,
        Tz::Antarctica__Troll,
        Tz::Europe__Moscow,
        Tz::America__Sao_Paulo,
        Tz::Africa__Cairo,
    ];

    fn same_scan(tz: Tz) {
        let daily = ZoneTable::scan(tz, DAY_S);
        let weekly = ZoneTable::scan(tz, SCAN_STEP);
        assert_eq!(daily.initial, weekly.initial, "{tz}");
        assert_eq!(daily.transitions, weekly.transitions, "{tz}");
    }

    #[test]
    fn the_weekly_zone_scan_finds_what_a_daily_one_finds() {
        for tz in ODD_ZONES {
            same_scan(tz);
        }
    }

    /// The bucket index gives what chrono-tz gives: at, just before and just after every
    /// transition, and on a grid of odd steps across the whole table.
    #[test]
    fn indexed_offsets_match_chrono_tz() {
        for tz in ODD_ZONES.into_iter().chain([Tz::UTC, Tz::Europe__Berlin]) {
            let table = ZoneTable::build(tz);
            for &(at, _) in &table.transitions {
                for t in [at - 1, at, at + 1] {
                    assert_eq!(table.offset(t), tz_offset(tz, t), "{tz} at {t}");
                }
            }
            for t in (TABLE_FROM..TABLE_TO).step_by(86_399 * 3 + 7) {
                assert_eq!(table.offset(t), tz_offset(tz, t), "{tz} at {t}");
            }
            assert_eq!(
                table.offset(TABLE_TO - 1),
                tz_offset(tz, TABLE_TO - 1),
                "{tz}"
            );
        }
    }

    /// Every zone (about 600; a minute or more in a debug build):
    /// `cargo test --release --lib -- --ignored every_zone`.
    #[test]
    #[ignore]
    fn every_zone_keeps_its_offsets_for_a_week() {
        for tz in chrono_tz::TZ_VARIANTS {
            same_scan(tz);
        }
    }

    /// Found by the `calendar` fuzz target: two windows that meet inside the hour a
    /// DST change repeats. `due` walked the pieces window by window, not in time order,
    /// and disagreed with `elapsed` by 15 minutes.
    #[test]
    fn windows_meeting_inside_a_repeated_hour_are_walked_in_time_order() {
        let mut week: [Vec<Window>; 7] = Default::default();
        week[6] = vec![w("00:45-01:45"), w("01:45-02:45")];
        // New York goes back from 02:00 EDT to 01:00 EST on Sunday 2027-11-07.
        let cal = Calendar::new(Tz::America__New_York, week, vec![], vec![], None).unwrap();
        let a = t("2027-11-06T12:00:00-04:00");
        let day = cal.elapsed(a, t("2027-11-08T00:00:00-05:00"));
        // 00:45-02:00 EDT, then 01:00-02:45 EST: three hours.
        assert_eq!(day, 3 * 3600);
        let mut previous = a;
        for d in (0..=day).step_by(300) {
            let due = cal.due(a, d).unwrap();
            assert_eq!(cal.elapsed(a, due), d, "d = {d}, due = {due}");
            assert!(due >= previous, "due goes back at d = {d}");
            previous = due;
        }
        // 1 h 15 min in: the end of the first pass through 01:45-02:00 EDT.
        assert_eq!(cal.due(a, 4500).unwrap(), t("2027-11-07T02:00:00-04:00"));
    }

    fn standard() -> Calendar {
        let holidays = ["2026-03-09", "2026-05-01", "2026-05-11"];
        let holidays = holidays.iter().map(|h| h.parse().unwrap()).collect();
        Calendar::new(
            chrono_tz::Europe::Moscow,
            weekdays(&["09:00-18:00"]),
            holidays,
            vec![],
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_seed_cases() {
        let c = standard();
        assert_eq!(
            c.due(t("2026-03-06T16:40:00+03:00"), 3600),
            Some(t("2026-03-06T17:40:00+03:00"))
        );
        assert_eq!(
            c.due(t("2026-03-06T16:40:00+03:00"), 9 * 3600),
            Some(t("2026-03-10T16:40:00+03:00"))
        );
        assert_eq!(
            c.due(t("2026-03-06T17:30:00+03:00"), 3600),
            Some(t("2026-03-10T09:30:00+03:00"))
        );
        // A result on a closing time stays there.
        assert_eq!(
            c.due(t("2026-03-02T17:00:00+03:00"), 3600),
            Some(t("2026-03-02T18:00:00+03:00"))
        );
        // A start on Saturday counts from Monday's opening.
        assert_eq!(
            c.due(t("2026-03-14T12:00:00+03:00"), 1800),
            Some(t("2026-03-16T09:30:00+03:00"))
        );
        assert_eq!(
            c.due(t("2026-03-14T12:00:00+03:00"), 0),
            Some(t("2026-03-14T12:00:00+03:00"))
        );
        assert_eq!(
            c.elapsed(
                t("2026-03-06T17:30:00+03:00"),
                t("2026-03-10T09:30:00+03:00")
            ),
            3600
        );
        assert_eq!(
            c.elapsed(
                t("2026-03-10T09:30:00+03:00"),
                t("2026-03-06T17:30:00+03:00")
            ),
            0
        );
        assert_eq!(c.day_length(), 9 * 3600);
        assert!(c.is_open(t("2026-03-06T09:00:00+03:00")));
        assert!(!c.is_open(t("2026-03-06T18:00:00+03:00")));
        assert!(!c.is_open(t("2026-03-09T12:00:00+03:00")));
    }

    #[test]
    fn a_window_may_end_at_midnight() {
        let c = Calendar::new(
            chrono_tz::Europe::Moscow,
            weekdays(&["20:00-24:00"]),
            vec![],
            vec![],
            None,
        )
        .unwrap();
        assert_eq!(
            c.due(t("2026-03-02T23:00:00+03:00"), 3600),
            Some(t("2026-03-03T00:00:00+03:00"))
        );
        assert_eq!(
            c.due(t("2026-03-02T23:00:00+03:00"), 2 * 3600),
            Some(t("2026-03-03T21:00:00+03:00"))
        );
    }

    #[test]
    fn exceptions_replace_the_weekday() {
        let short: NaiveDate = "2026-04-30".parse().unwrap();
        let saturday: NaiveDate = "2026-05-02".parse().unwrap();
        let c = Calendar::new(
            chrono_tz::Europe::Moscow,
            weekdays(&["09:00-18:00"]),
            vec!["2026-05-01".parse().unwrap()],
            vec![
                (short, vec![w("09:00-17:00")]),
                (saturday, vec![w("10:00-14:00")]),
            ],
            None,
        )
        .unwrap();
        assert_eq!(c.windows_on(short), &[w("09:00-17:00")]);
        // Thu 30 April closes at 17:00, Fri 1 May is a holiday, Saturday 2 May works 10-14.
        assert_eq!(
            c.due(t("2026-04-30T16:30:00+03:00"), 3600),
            Some(t("2026-05-02T10:30:00+03:00"))
        );
    }

    #[test]
    fn a_window_starting_in_the_skipped_hour_opens_at_the_jump() {
        // Berlin springs forward on Sun 2026-03-29 at 02:00 → 03:00.
        let mut week: [Vec<Window>; 7] = Default::default();
        week[6] = vec![w("02:30-04:00")];
        let c = Calendar::new(chrono_tz::Europe::Berlin, week, vec![], vec![], Some(3600)).unwrap();
        let sunday = t("2026-03-29T00:00:00+01:00");
        // Open from 03:00 (+02:00) to 04:00: one hour, not one and a half.
        assert_eq!(c.elapsed(sunday, t("2026-03-29T12:00:00+02:00")), 3600);
        assert_eq!(c.due(sunday, 60), Some(t("2026-03-29T03:01:00+02:00")));
    }

    #[test]
    fn a_repeated_hour_inside_a_window_counts_twice() {
        // New York falls back on Sun 2026-11-01 at 02:00 → 01:00.
        let mut week: [Vec<Window>; 7] = Default::default();
        week[6] = vec![w("00:00-24:00")];
        let c = Calendar::new(
            chrono_tz::America::New_York,
            week,
            vec![],
            vec![],
            Some(3600),
        )
        .unwrap();
        let day = |d: &str, o: &str| t(&format!("{d}T00:00:00{o}"));
        assert_eq!(
            c.elapsed(day("2026-11-01", "-04:00"), day("2026-11-02", "-05:00")),
            25 * 3600
        );
        let mut week: [Vec<Window>; 7] = Default::default();
        week[6] = vec![w("01:15-01:45")];
        let c = Calendar::new(
            chrono_tz::America::New_York,
            week,
            vec![],
            vec![],
            Some(3600),
        )
        .unwrap();
        assert_eq!(
            c.elapsed(day("2026-11-01", "-04:00"), day("2026-11-02", "-05:00")),
            3600
        );
    }

    #[test]
    fn a_twenty_four_seven_calendar_has_short_and_long_days() {
        let week: [Vec<Window>; 7] = std::array::from_fn(|_| vec![w("00:00-24:00")]);
        let c = Calendar::new(chrono_tz::America::Los_Angeles, week, vec![], vec![], None).unwrap();
        let a = t("2026-03-08T00:00:00-08:00");
        assert_eq!(c.elapsed(a, t("2026-03-09T00:00:00-07:00")), 23 * 3600);
        assert_eq!(c.due(a, 23 * 3600), Some(t("2026-03-09T00:00:00-07:00")));
    }

    #[test]
    fn a_calendar_that_never_opens_again_has_no_due_date() {
        let only: NaiveDate = "2026-03-02".parse().unwrap();
        let c = Calendar::new(
            chrono_tz::Europe::Moscow,
            Default::default(),
            vec![],
            vec![(only, vec![w("09:00-10:00")])],
            Some(3600),
        )
        .unwrap();
        assert_eq!(
            c.due(t("2026-03-02T09:30:00+03:00"), 1800),
            Some(t("2026-03-02T10:00:00+03:00"))
        );
        assert_eq!(c.due(t("2026-03-02T09:30:00+03:00"), 3600), None);
        assert!(
            Calendar::new(
                chrono_tz::Europe::Moscow,
                Default::default(),
                vec![],
                vec![],
                None
            )
            .is_err()
        );
    }

    #[test]
    fn far_dates_and_huge_durations_do_not_panic() {
        let c = standard();
        assert!(
            c.due(t("2026-03-02T09:00:00+03:00"), i64::MAX / 4)
                .is_none()
        );
        let far = t("2260-03-02T09:00:00+03:00");
        assert_eq!(c.due(far, 3600), Some(t("2260-03-02T10:00:00+03:00")));
        let early = t("1905-03-02T09:00:00+02:30");
        assert!(c.due(early, 3600).is_some());
        assert_eq!(
            c.elapsed(t("1900-01-01T00:00:00Z"), t("2300-01-01T00:00:00Z")) % 60,
            0
        );
    }

    #[test]
    fn overlapping_windows_are_refused() {
        let err = Calendar::new(
            chrono_tz::Europe::Moscow,
            weekdays(&["09:00-13:00", "12:00-18:00"]),
            vec![],
            vec![],
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.0,
            "the windows `09:00-13:00` and `12:00-18:00` overlap (or are out of order): list them in order without overlap"
        );
    }

    /// The steady fast paths of `elapsed` and `due` (no trace) against the general
    /// day-by-day walk (which a trace forces), around DST changes of both hemispheres and
    /// odd zones, with dense holidays and exceptions, on a one-second grid.
    mod steady {
        use super::*;
        use proptest::prelude::*;

        const ZONES: [Tz; 6] = [
            Tz::Europe__Moscow,
            Tz::Europe__Berlin,
            Tz::America__New_York,
            Tz::Australia__Lord_Howe,
            Tz::Asia__Yekaterinburg,
            Tz::Africa__Casablanca,
        ];

        /// One or two windows on a 15-minute grid, sometimes none, sometimes to 24:00.
        fn windows() -> impl Strategy<Value = Vec<Window>> {
            prop_oneof![
                1 => Just(vec![]),
                1 => Just(vec![Window { start: 0, end: DAY }]),
                5 => (0u32..96, 1u32..40, 0u32..20, 0u32..40).prop_map(|(s, len, gap, len2)| {
                    let q = 900;
                    let a = s * q;
                    let b = (a + len * q).min(DAY);
                    let mut w = vec![Window { start: a, end: b }];
                    let c = b + gap * q + q;
                    let d = (c + len2 * q).min(DAY);
                    if c < d {
                        w.push(Window { start: c, end: d });
                    }
                    w
                }),
            ]
        }

        /// Days 0 … 400 from 2026-02-15: both hemispheres' DST changes of 2026, and the
        /// holidays and exceptions crowd the same stretch.
        fn calendar() -> impl Strategy<Value = Calendar> {
            (
                0..ZONES.len(),
                proptest::collection::vec(windows(), 7),
                proptest::collection::vec(0i64..400, 0..40),
                proptest::collection::vec((0i64..400, windows()), 0..12),
            )
                .prop_map(|(z, days, holidays, exceptions)| {
                    let base = NaiveDate::from_ymd_opt(2026, 2, 15).unwrap_or_default();
                    let date = |d: i64| base + chrono::TimeDelta::days(d);
                    let week: [Vec<Window>; 7] = std::array::from_fn(|i| days[i].clone());
                    let mut ex: Vec<(NaiveDate, Vec<Window>)> = Vec::new();
                    for (d, w) in exceptions {
                        if !ex.iter().any(|(e, _)| *e == date(d)) {
                            ex.push((date(d), w));
                        }
                    }
                    let holidays = holidays.into_iter().map(date).collect();
                    Calendar::new(ZONES[z], week, holidays, ex, Some(3600)).unwrap()
                })
        }

        fn at(secs: i64) -> DateTime<Utc> {
            t("2026-02-15T00:00:00Z") + chrono::TimeDelta::seconds(secs)
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn steady_elapsed_matches_the_general_walk(
                cal in calendar(),
                a in 0i64..400 * DAY_S,
                span in prop_oneof![3 => 0i64..3 * DAY_S, 2 => 0i64..40 * DAY_S, 1 => 0i64..400 * DAY_S],
            ) {
                let (a, b) = (at(a), at(a + span));
                let mut trace = Vec::new();
                prop_assert_eq!(cal.elapsed(a, b), cal.elapsed_traced(a, b, &mut trace));
            }

            #[test]
            fn steady_due_matches_the_general_walk(
                cal in calendar(),
                a in 0i64..400 * DAY_S,
                secs in prop_oneof![3 => 0i64..30 * 3600, 2 => 0i64..400 * 3600, 1 => 0i64..3000 * 3600],
            ) {
                let a = at(a);
                let mut trace = Vec::new();
                prop_assert_eq!(cal.due(a, secs), cal.due_traced(a, secs, &mut trace));
            }
        }
    }
}

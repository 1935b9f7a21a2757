//! Property tests of `due` and `elapsed` against a deliberately simple reference: minute
//! stepping, deciding each minute from the local wall-clock time that chrono-tz gives,
//! over random calendars (lunch breaks, `24:00` ends, holidays, exceptions, DST zones and
//! 24/7), plus invariants for long durations that the reference is too slow for.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use slaengine::calendar::{Calendar, Window};

const ZONES: [Tz; 5] = [
    chrono_tz::America::New_York,
    chrono_tz::Europe::Berlin,
    chrono_tz::Australia::Sydney,
    chrono_tz::Europe::Moscow,
    chrono_tz::Asia::Kolkata,
];

/// A random calendar and the data the reference needs.
#[derive(Debug, Clone)]
struct Spec {
    tz: Tz,
    week: [Vec<Window>; 7],
    holidays: Vec<NaiveDate>,
    exceptions: Vec<(NaiveDate, Vec<Window>)>,
}

impl Spec {
    fn calendar(&self) -> Calendar {
        Calendar::new(
            self.tz,
            self.week.clone(),
            self.holidays.clone(),
            self.exceptions.clone(),
            Some(9 * 3600),
        )
        .unwrap()
    }

    /// The reference: is the minute starting at `t` working time?
    fn open(&self, t: DateTime<Utc>) -> bool {
        let local = self.tz.from_utc_datetime(&t.naive_utc());
        let date = local.date_naive();
        if self.holidays.contains(&date) {
            return false;
        }
        let windows = match self.exceptions.iter().find(|(d, _)| *d == date) {
            Some((_, w)) => w,
            None => &self.week[date.weekday().num_days_from_monday() as usize],
        };
        let secs = local.num_seconds_from_midnight();
        windows.iter().any(|w| w.start <= secs && secs < w.end)
    }

    fn ref_elapsed(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        let mut t = a;
        let mut n = 0;
        while t < b {
            if self.open(t) {
                n += 60;
            }
            t += chrono::TimeDelta::minutes(1);
        }
        n
    }

    fn ref_due(&self, a: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
        let mut t = a;
        let mut left = secs;
        while left > 0 {
            if self.open(t) {
                left -= 60;
            }
            t += chrono::TimeDelta::minutes(1);
        }
        t
    }
}

/// Windows on a 30-minute grid: one or two per day, sometimes ending at 24:00, sometimes
/// 24 h, sometimes with a boundary inside a DST hour (02:00–03:00).
fn windows() -> impl Strategy<Value = Vec<Window>> {
    prop_oneof![
        1 => Just(vec![]),
        1 => Just(vec![Window::new(0, 86_400).unwrap()]),
        4 => (0u32..40, 1u32..20, 0u32..8, 0u32..16).prop_map(|(s, len, gap, len2)| {
            let half = 1800;
            let a = s * half;
            let b = (a + len * half).min(86_400);
            let mut w = vec![Window::new(a, b).unwrap()];
            let c = b + gap * half + half;
            let d = (c + len2 * half + half).min(86_400);
            if c < d && c < 86_400 {
                w.push(Window::new(c, d).unwrap());
            }
            w
        }),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    let days = proptest::collection::vec(windows(), 7);
    let holidays = proptest::collection::vec(0i64..120, 0..6);
    let exceptions = proptest::collection::vec((0i64..120, windows()), 0..4);
    (0usize..ZONES.len() + 1, days, holidays, exceptions).prop_map(
        |(z, days, holidays, exceptions)| {
            let base = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
            let date = |d: i64| base + chrono::TimeDelta::days(d);
            let mut week: [Vec<Window>; 7] = Default::default();
            let twenty_four_seven = z == ZONES.len();
            for (i, w) in days.into_iter().enumerate() {
                week[i] = if twenty_four_seven {
                    vec![Window::new(0, 86_400).unwrap()]
                } else {
                    w
                };
            }
            let tz = if twenty_four_seven {
                chrono_tz::America::Los_Angeles
            } else {
                ZONES[z]
            };
            let mut ex: Vec<(NaiveDate, Vec<Window>)> = Vec::new();
            for (d, w) in exceptions {
                if !ex.iter().any(|(e, _)| *e == date(d)) {
                    ex.push((date(d), w));
                }
            }
            Spec {
                tz,
                week,
                holidays: holidays.into_iter().map(date).collect(),
                exceptions: ex,
            }
        },
    )
}

/// Starts on minute boundaries between February and May 2026 (spanning the March DST
/// changes of both hemispheres' April ones).
fn start() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..100 * 24 * 60).prop_map(|m| {
        Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap() + chrono::TimeDelta::minutes(m)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn elapsed_matches_minute_stepping(spec in spec(), a in start(), span in 0i64..6 * 24 * 60) {
        let b = a + chrono::TimeDelta::minutes(span);
        prop_assert_eq!(spec.calendar().elapsed(a, b), spec.ref_elapsed(a, b));
    }

    #[test]
    fn due_matches_minute_stepping(spec in spec(), a in start(), minutes in 0i64..3 * 9 * 60) {
        let cal = spec.calendar();
        // Skip calendars too empty for the reference to finish quickly.
        prop_assume!(cal.elapsed(a, a + chrono::TimeDelta::days(20)) >= minutes * 60);
        prop_assert_eq!(cal.due(a, minutes * 60), Some(spec.ref_due(a, minutes * 60)));
    }

    #[test]
    fn invariants_hold_for_long_durations(spec in spec(), a in start(), secs in 0i64..200 * 9 * 3600, extra in 0i64..40 * 3600) {
        let cal = spec.calendar();
        prop_assume!(spec.week.iter().any(|d| !d.is_empty()));
        let due = cal.due(a, secs).unwrap();
        prop_assert!(due >= a);
        prop_assert_eq!(cal.elapsed(a, due), secs);
        // Monotonic in the duration.
        let later = cal.due(a, secs + extra).unwrap();
        prop_assert!(later >= due);
        // Additive.
        let mid = a + chrono::TimeDelta::seconds(secs / 3);
        prop_assert_eq!(cal.elapsed(a, mid) + cal.elapsed(mid, due), cal.elapsed(a, due));
        // The traced walk agrees with the fast one.
        let mut trace = Vec::new();
        prop_assert_eq!(cal.due_traced(a, secs, &mut trace), Some(due));
        trace.clear();
        prop_assert_eq!(cal.elapsed_traced(a, due, &mut trace), secs);
        // A due instant is never inside a closed stretch after an opening: it is either
        // the start or the end of counted working time.
        if secs > 0 {
            prop_assert!(cal.is_open(due - chrono::TimeDelta::seconds(1)));
        }
    }
}

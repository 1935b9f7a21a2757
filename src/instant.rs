//! How instants and spans of time are written: RFC 3339 in output, `Fri 2026-03-06 16:40`
//! in messages, `3h 20m` for spans. Written by hand where bulk runs write millions of them.

use chrono::{DateTime, Datelike, FixedOffset};

/// RFC 3339 (`2026-03-06T16:40:00+03:00`), exactly as chrono writes it, appended to
/// `out` digit by digit: chrono's general formatter costs more than the rest of a bulk
/// evaluation's output. Fractions of a second, offsets with seconds and years outside
/// 0–9999 (rare) are left to chrono.
pub(crate) fn write_instant(out: &mut Vec<u8>, t: &DateTime<FixedOffset>) {
    use chrono::Timelike;
    let local = t.naive_local();
    let year = local.year();
    let off = t.offset().local_minus_utc();
    if !(0..=9999).contains(&year) || local.nanosecond() != 0 || off % 60 != 0 {
        out.extend_from_slice(t.to_rfc3339().as_bytes());
        return;
    }
    let mut text = *b"0000-00-00T00:00:00+00:00";
    let mut two = |at: usize, v: u32| {
        text[at] = b'0' + (v / 10 % 10) as u8;
        text[at + 1] = b'0' + (v % 10) as u8;
    };
    let off_abs = off.unsigned_abs();
    for (at, v) in [
        (0, year as u32 / 100),
        (2, year as u32 % 100),
        (5, local.month()),
        (8, local.day()),
        (11, local.hour()),
        (14, local.minute()),
        (17, local.second()),
        (20, off_abs / 3600),
        (23, off_abs % 3600 / 60),
    ] {
        two(at, v);
    }
    if off < 0 {
        text[19] = b'-';
    }
    out.extend_from_slice(&text);
}

/// [`write_instant`] as a string.
pub(crate) fn instant_text(t: &DateTime<FixedOffset>) -> String {
    let mut out = Vec::with_capacity(25);
    write_instant(&mut out, t);
    String::from_utf8(out).unwrap_or_else(|_| t.to_rfc3339())
}

/// Serialises an instant with [`instant_text`].
pub(crate) fn ser_time<S: serde::Serializer>(
    t: &DateTime<FixedOffset>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&instant_text(t))
}

/// Serialises an optional instant with [`instant_text`].
pub(crate) fn ser_opt_time<S: serde::Serializer>(
    t: &Option<DateTime<FixedOffset>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&instant_text(t)),
        None => s.serialize_none(),
    }
}

/// `3h 20m`, `45m`, `2h`, `30s`: a span of working time for people.
pub fn format_seconds(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (h, m, rest) = (s / 3600, s % 3600 / 60, s % 60);
    let body = match (h, m, rest) {
        (0, 0, r) if r > 0 => format!("{r}s"),
        (0, m, _) => format!("{m}m"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    };
    format!("{sign}{body}")
}

/// `Fri 2026-03-06 16:40`: a local instant as messages show it. Written by hand, as
/// messages name instants for many tickets of a bulk run.
pub(crate) fn show_local(l: &DateTime<FixedOffset>) -> String {
    use chrono::Timelike;
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let day = DAYS[l.weekday().num_days_from_monday() as usize];
    let year = l.year();
    if !(0..=9999).contains(&year) {
        return format!(
            "{day} {year:04}-{:02}-{:02} {:02}:{:02}",
            l.month(),
            l.day(),
            l.hour(),
            l.minute()
        );
    }
    let mut text = String::with_capacity(20);
    text.push_str(day);
    text.push(' ');
    let digits = |text: &mut String, v: u32, n: u32| {
        for i in (0..n).rev() {
            text.push(char::from(b'0' + (v / 10_u32.pow(i) % 10) as u8));
        }
    };
    digits(&mut text, year.unsigned_abs(), 4);
    text.push('-');
    digits(&mut text, l.month(), 2);
    text.push('-');
    digits(&mut text, l.day(), 2);
    text.push(' ');
    digits(&mut text, l.hour(), 2);
    text.push(':');
    digits(&mut text, l.minute(), 2);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_in_messages_are_shown_like_format_shows_them() {
        for text in [
            "2026-03-06T16:40:00+03:00",
            "0999-01-01T00:05:59+00:00",
            "9999-12-31T23:59:00-12:00",
            "2027-11-07T01:45:30.5-05:00",
        ] {
            let l = DateTime::parse_from_rfc3339(text).unwrap();
            let far = [
                l + chrono::Duration::days(3_000_000),
                l - chrono::Duration::days(800_000),
            ];
            for l in far.into_iter().chain([l]) {
                let expected = format!(
                    "{} {:04}-{:02}-{:02} {:02}:{:02}",
                    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                        [l.weekday().num_days_from_monday() as usize],
                    l.year(),
                    l.month(),
                    l.day(),
                    chrono::Timelike::hour(&l),
                    chrono::Timelike::minute(&l)
                );
                assert_eq!(show_local(&l), expected, "{text}");
            }
        }
    }

    #[test]
    fn instants_are_written_like_chrono_writes_them() {
        for text in [
            "2026-03-06T16:40:00+03:00",
            "2026-11-01T01:30:05-05:00",
            "2026-03-06T09:00:00+05:30",
            "2026-12-31T23:59:59-09:30",
            "0999-01-02T03:04:05+00:00",
            "2026-03-06T16:40:00.250+03:00",
            "2026-03-06T16:40:00.000001-01:00",
        ] {
            let t = DateTime::parse_from_rfc3339(text).unwrap();
            assert_eq!(instant_text(&t), t.to_rfc3339());
            assert_eq!(instant_text(&t), text);
        }
    }
}

//! Periods of an agreement: the calendar month, quarter or year, or the contract's whole
//! term. Allowances are counted per period, fees are owed per period, and reports cover
//! one. A period is a span of local dates in the contract's zone, clipped to the
//! contract's validity: the first period of a contract that starts on 15 February is
//! 15–28 February, and no period reaches before the contract starts or after it ends.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};

use crate::contract::Validity;

/// The kind of period an allowance or a fee is counted per (`per:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum PeriodKind {
    /// A calendar month.
    #[default]
    Month,
    /// A calendar quarter (January–March, April–June, …).
    Quarter,
    /// A calendar year.
    Year,
    /// The contract's validity, `valid.from` to `valid.to`.
    Term,
}

impl PeriodKind {
    /// Every kind, in order of length.
    pub const ALL: [PeriodKind; 4] = [
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::Year,
        PeriodKind::Term,
    ];

    /// The name written in contracts (`month`).
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
            PeriodKind::Term => "term",
        }
    }

    /// The period of this kind holding `date`, clipped to `valid`; `None` when the date
    /// lies outside the validity, or for `term` when the validity is not bounded on both
    /// sides.
    pub fn containing(self, date: NaiveDate, valid: &Validity) -> Option<Period> {
        let (first, end) = match self {
            PeriodKind::Term => (valid.from?, valid.to?.succ_opt()?),
            _ => {
                let months = self.months();
                let month0 = (date.month0() / months) * months;
                let first = NaiveDate::from_ymd_opt(date.year(), month0 + 1, 1)?;
                (first, first.checked_add_months(Months::new(months))?)
            }
        };
        Period::clipped(self, first, end, valid).filter(|p| p.contains(date))
    }

    /// Months in a period of this kind (0 for `term`).
    fn months(self) -> u32 {
        match self {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Year => 12,
            PeriodKind::Term => 0,
        }
    }
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PeriodKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        PeriodKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "expected a period `month`, `quarter`, `year` or `term`, found `{s}`{}",
                    crate::suggest::did_you_mean(s, PeriodKind::ALL.iter().map(|k| k.as_str()))
                )
            })
    }
}

/// A span of local dates: `first` up to `end` (exclusive), of some kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    /// What kind of period it is.
    pub kind: PeriodKind,
    /// Its first date.
    pub first: NaiveDate,
    /// The date after its last.
    pub end: NaiveDate,
    /// The calendar period's own first date, before clipping to the validity (the same as
    /// `first` unless the contract starts inside it): labels name the calendar period.
    pub calendar_first: NaiveDate,
}

impl Period {
    /// `[first, end)` of `kind` clipped to `valid`; `None` when nothing is left.
    fn clipped(
        kind: PeriodKind,
        first: NaiveDate,
        end: NaiveDate,
        valid: &Validity,
    ) -> Option<Period> {
        let calendar_first = first;
        let first = valid.from.map_or(first, |f| f.max(first));
        let end = match valid.to.and_then(|t| t.succ_opt()) {
            Some(after) => after.min(end),
            None => end,
        };
        (first < end).then_some(Period {
            kind,
            first,
            end,
            calendar_first,
        })
    }

    /// The whole calendar period written `2026-03`, `2026-Q1` or `2026` (a report's
    /// `--period`), not clipped to any validity.
    ///
    /// ```
    /// use slaengine::period::{Period, PeriodKind};
    /// let q = Period::parse("2026-Q2").unwrap();
    /// assert_eq!((q.kind, q.first.to_string(), q.end.to_string()), (PeriodKind::Quarter, "2026-04-01".into(), "2026-07-01".into()));
    /// assert_eq!(Period::parse("2026").unwrap().label(), "2026");
    /// assert!(Period::parse("2026-13").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Period, String> {
        let bad = || {
            format!(
                "expected a period like `2026-03` (a month), `2026-Q1` (a quarter) or `2026` (a year), found `{text}`"
            )
        };
        let t = text.trim();
        let year = |y: &str| -> Result<i32, String> {
            match y.parse::<i32>() {
                Ok(y) if y.to_string().len() == 4 && y >= 1000 => Ok(y),
                _ => Err(bad()),
            }
        };
        let (kind, first) = match t.split_once('-') {
            None => (PeriodKind::Year, NaiveDate::from_ymd_opt(year(t)?, 1, 1)),
            Some((y, q)) if q.starts_with(['Q', 'q']) => {
                let n: u32 = q[1..].parse().map_err(|_| bad())?;
                if !(1..=4).contains(&n) || q.len() != 2 {
                    return Err(bad());
                }
                (
                    PeriodKind::Quarter,
                    NaiveDate::from_ymd_opt(year(y)?, 3 * (n - 1) + 1, 1),
                )
            }
            Some((y, m)) => {
                let n: u32 = m.parse().map_err(|_| bad())?;
                if m.len() != 2 {
                    return Err(bad());
                }
                (PeriodKind::Month, NaiveDate::from_ymd_opt(year(y)?, n, 1))
            }
        };
        let first = first.ok_or_else(bad)?;
        let end = first
            .checked_add_months(Months::new(kind.months()))
            .ok_or_else(bad)?;
        Ok(Period {
            kind,
            first,
            end,
            calendar_first: first,
        })
    }

    /// The period's name: `2026-03`, `2026-Q1`, `2026`, or for a term its dates
    /// `2026-01-01/2026-12-31`.
    pub fn label(&self) -> String {
        let f = self.calendar_first;
        match self.kind {
            PeriodKind::Month => format!("{:04}-{:02}", f.year(), f.month()),
            PeriodKind::Quarter => format!("{:04}-Q{}", f.year(), f.month0() / 3 + 1),
            PeriodKind::Year => format!("{:04}", f.year()),
            PeriodKind::Term => format!("{}/{}", self.first, self.last()),
        }
    }

    /// The last date of the period.
    pub fn last(&self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.end)
    }

    /// Whether `date` lies in the period.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date < self.end
    }

    /// The period of the same kind just before this one, clipped to `valid`; `None` for a
    /// term, or when the contract had not started yet.
    pub fn previous(&self, valid: &Validity) -> Option<Period> {
        let before = self.first.pred_opt()?;
        match self.kind {
            PeriodKind::Term => None,
            kind => kind.containing(before, valid),
        }
    }

    /// The period of the same kind just after this one, clipped to `valid`; `None` for a
    /// term, or when the contract has ended.
    pub fn next(&self, valid: &Validity) -> Option<Period> {
        match self.kind {
            PeriodKind::Term => None,
            kind => kind.containing(self.end, valid),
        }
    }

    /// The months of the period, in order (`2026-Q1`: January, February, March), as
    /// whole calendar periods of one month clipped to this one.
    pub fn months(&self) -> Vec<Period> {
        let mut out = Vec::new();
        let bounds = Validity {
            from: Some(self.first),
            to: Some(self.last()),
        };
        let mut date = self.first;
        while let Some(m) = PeriodKind::Month.containing(date, &bounds) {
            out.push(m);
            date = m.end;
        }
        out
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const OPEN: Validity = Validity {
        from: None,
        to: None,
    };

    #[test]
    fn calendar_periods_hold_their_dates() {
        let cases = [
            (
                PeriodKind::Month,
                "2026-12-31",
                "2026-12",
                "2026-12-01",
                "2027-01-01",
            ),
            (
                PeriodKind::Month,
                "2026-02-28",
                "2026-02",
                "2026-02-01",
                "2026-03-01",
            ),
            (
                PeriodKind::Quarter,
                "2026-03-31",
                "2026-Q1",
                "2026-01-01",
                "2026-04-01",
            ),
            (
                PeriodKind::Quarter,
                "2026-04-01",
                "2026-Q2",
                "2026-04-01",
                "2026-07-01",
            ),
            (
                PeriodKind::Quarter,
                "2026-12-31",
                "2026-Q4",
                "2026-10-01",
                "2027-01-01",
            ),
            (
                PeriodKind::Year,
                "2026-12-31",
                "2026",
                "2026-01-01",
                "2027-01-01",
            ),
        ];
        for (kind, date, label, first, end) in cases {
            let p = kind.containing(d(date), &OPEN).unwrap();
            assert_eq!(
                (p.label(), p.first, p.end),
                (label.to_owned(), d(first), d(end)),
                "{kind} of {date}"
            );
        }
    }

    #[test]
    fn periods_are_clipped_to_the_validity() {
        let valid = Validity {
            from: Some(d("2026-02-15")),
            to: Some(d("2027-02-14")),
        };
        let first = PeriodKind::Month
            .containing(d("2026-02-20"), &valid)
            .unwrap();
        assert_eq!((first.first, first.end), (d("2026-02-15"), d("2026-03-01")));
        assert_eq!(first.label(), "2026-02");
        assert_eq!(first.previous(&valid), None, "nothing before the contract");
        let march = first.next(&valid).unwrap();
        assert_eq!(march.previous(&valid), Some(first));
        assert_eq!(PeriodKind::Month.containing(d("2026-02-14"), &valid), None);
        let term = PeriodKind::Term
            .containing(d("2026-07-01"), &valid)
            .unwrap();
        assert_eq!(term.label(), "2026-02-15/2027-02-14");
        assert_eq!((term.first, term.end), (d("2026-02-15"), d("2027-02-15")));
        assert_eq!((term.previous(&valid), term.next(&valid)), (None, None));
        let year = PeriodKind::Year
            .containing(d("2027-01-05"), &valid)
            .unwrap();
        assert_eq!(
            (year.label(), year.first, year.end),
            ("2027".into(), d("2027-01-01"), d("2027-02-15"))
        );
        assert_eq!(year.previous(&valid).unwrap().first, d("2026-02-15"));
        assert_eq!(PeriodKind::Term.containing(d("2026-07-01"), &OPEN), None);
    }

    #[test]
    fn report_periods_parse_and_split_into_months() {
        let q = Period::parse("2026-Q4").unwrap();
        let months: Vec<String> = q.months().iter().map(Period::label).collect();
        assert_eq!(months, ["2026-10", "2026-11", "2026-12"]);
        assert_eq!(Period::parse("2026").unwrap().months().len(), 12);
        assert_eq!(Period::parse("2026-03").unwrap().months().len(), 1);
        for bad in [
            "2026-Q5", "2026-Q0", "26", "2026-3", "2026-00", "march", "2026-Q12", "",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Period::parse("2026-Q5").unwrap_err(),
            "expected a period like `2026-03` (a month), `2026-Q1` (a quarter) or `2026` (a year), found `2026-Q5`"
        );
    }

    #[test]
    fn kinds_parse_with_a_suggestion() {
        assert_eq!("year".parse::<PeriodKind>(), Ok(PeriodKind::Year));
        assert_eq!(
            "quartr".parse::<PeriodKind>().unwrap_err(),
            "expected a period `month`, `quarter`, `year` or `term`, found `quartr` (did you mean `quarter`?)"
        );
    }
}

//! Money and percentages as exact decimals: fees, service credits and the price of hours
//! beyond an allowance are counted without floating-point rounding, and amounts owed are
//! rounded to the cent once, when an item is priced.

use rust_decimal::{Decimal, RoundingStrategy};

/// Parses an amount of money (`5000.00`, `39`), 0 or more.
///
/// ```
/// use slaengine::money::{format_amount, parse_amount};
/// assert_eq!(format_amount(parse_amount("5000").unwrap()), "5000.00");
/// assert!(parse_amount("-3").is_err());
/// ```
pub fn parse_amount(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    match t.parse::<Decimal>() {
        Ok(d) if !d.is_sign_negative() => Ok(d),
        Ok(_) => Err(format!("expected an amount of 0 or more, found `{text}`")),
        Err(_) => Err(format!(
            "expected an amount like `5000.00` (digits, a decimal point, no currency sign), found `{text}`"
        )),
    }
}

/// Parses a percentage, `5%` or the fraction `0.05`, above 0 and at most 100%, into the
/// exact fraction.
///
/// ```
/// use slaengine::money::parse_percent;
/// assert_eq!(parse_percent("95%").unwrap().to_string(), "0.95");
/// assert_eq!(parse_percent("0.05").unwrap().to_string(), "0.05");
/// assert!(parse_percent("120%").is_err());
/// ```
pub fn parse_percent(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    let bad = || {
        format!("expected a percentage like `5%` or `0.05` (above 0, at most 100%), found `{text}`")
    };
    let value = match t.strip_suffix('%') {
        Some(p) => p
            .trim()
            .parse::<Decimal>()
            .map(|p| p / Decimal::ONE_HUNDRED),
        None => t.parse::<Decimal>(),
    }
    .map_err(|_| bad())?;
    if value <= Decimal::ZERO || value > Decimal::ONE {
        return Err(bad());
    }
    Ok(value.normalize())
}

/// An amount rounded to the cent, half away from zero (`16.6665` → `16.67`).
pub fn to_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount as text with at least two decimals (`250.00`, `0.50`, `16.6665`).
pub fn format_amount(amount: Decimal) -> String {
    let mut d = amount.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

/// A fraction as a percentage for people: `0.05` → `5%`, `0.125` → `12.5%`.
pub fn format_percent(fraction: Decimal) -> String {
    format!("{}%", (fraction * Decimal::ONE_HUNDRED).normalize())
}

/// A fraction as a percentage number for JSON (`0.95` → `95.0`).
pub fn percent_number(fraction: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    (fraction * Decimal::ONE_HUNDRED).to_f64().unwrap_or(0.0)
}

/// Hours counted in floating point (worklogs) as a decimal, to the micro-hour: enough to
/// drop binary noise (`0.1 + 0.2`) and keep every hour a person logs.
pub fn hours(h: f64) -> Decimal {
    Decimal::from_f64_retain(h)
        .unwrap_or_default()
        .round_dp(6)
        .normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_their_digits() {
        assert_eq!(format_amount(parse_amount("39.00").unwrap()), "39.00");
        assert_eq!(format_amount(parse_amount("16.6665").unwrap()), "16.6665");
        assert_eq!(
            format_amount(to_cents(parse_amount("16.6665").unwrap())),
            "16.67"
        );
        assert_eq!(
            format_amount(to_cents(parse_amount("16.665").unwrap())),
            "16.67"
        );
        assert_eq!(format_amount(Decimal::ZERO), "0.00");
        assert_eq!(
            parse_amount("€5").unwrap_err(),
            "expected an amount like `5000.00` (digits, a decimal point, no currency sign), found `€5`"
        );
    }

    #[test]
    fn percentages_are_exact_fractions() {
        assert_eq!(format_percent(parse_percent("12.5%").unwrap()), "12.5%");
        assert_eq!(parse_percent("100%").unwrap(), Decimal::ONE);
        for bad in ["0%", "0", "-5%", "101%", "1.5", "five"] {
            assert!(parse_percent(bad).is_err(), "{bad}");
        }
        assert_eq!(hours(0.1 + 0.2).to_string(), "0.3");
        assert_eq!(percent_number(parse_percent("95%").unwrap()), 95.0);
    }
}

//! The mapping file of `ticket import --from`: how a help desk's records become
//! slaengine tickets (which contract, category, product and priority; which statuses
//! pause the clock or resolve the request; the time zone of times without an offset).
//!
//! ```yaml
//! timezone: Europe/Moscow
//! customer: { from: fields.project.key, map: { SUP: acme }, default: acme }
//! priority: { from: fields.priority.name, map: { Highest: urgent, High: high } }
//! statuses: { paused: ["Waiting for customer"], resolved: ["Fixed"] }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::InputError;

/// How each record of a help desk becomes a ticket. Every part is optional; an empty
/// mapping keeps each importer's defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The time zone of times written without an offset (`Europe/Moscow`).
    #[serde(default, deserialize_with = "zone")]
    pub timezone: Option<chrono_tz::Tz>,
    /// Where the customer (the contract id) comes from.
    #[serde(default)]
    pub customer: Option<Rule>,
    /// Where the category comes from.
    #[serde(default)]
    pub category: Option<Rule>,
    /// Where the product comes from.
    #[serde(default)]
    pub product: Option<Rule>,
    /// Where the priority comes from.
    #[serde(default)]
    pub priority: Option<Rule>,
    /// Status names added to the importer's defaults.
    #[serde(default)]
    pub statuses: Statuses,
    /// Zammad: the minutes one accounted time unit stands for (`15` for quarter-hours,
    /// `60` for hours); one minute when left out.
    #[serde(default)]
    pub time_unit_minutes: Option<f64>,
}

/// One value of a ticket taken from a field of the source record.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The field of the source record, as a dotted path (`fields.project.key`); the
    /// importer's default when left out.
    #[serde(default)]
    pub from: Option<String>,
    /// Source values and what each becomes (`{ "ACME Corp": acme }`).
    #[serde(default)]
    pub map: BTreeMap<String, String>,
    /// The value when the source value is missing or not in `map`.
    #[serde(default)]
    pub default: Option<String>,
}

impl Rule {
    /// The value for `source` (the field's value in the record, if it has one): its entry
    /// in `map`, else `default`, else `source` itself as `fallback` turns it.
    pub fn apply(&self, source: Option<&str>, fallback: impl Fn(&str) -> String) -> Option<String> {
        if let Some(s) = source
            && let Some(v) = self.map.get(s)
        {
            return Some(v.clone());
        }
        if let Some(d) = &self.default {
            return Some(d.clone());
        }
        source.map(fallback)
    }
}

/// Status names (compared without regard to case) added to the defaults an importer
/// derives from the platform's status categories.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statuses {
    /// Statuses in which the request waits for the customer (the clock pauses).
    #[serde(default)]
    pub paused: Vec<String>,
    /// Statuses in which the request is resolved.
    #[serde(default)]
    pub resolved: Vec<String>,
}

/// Reads a time zone name, saying what was expected when it is not one.
fn zone<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<chrono_tz::Tz>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<chrono_tz::Tz>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a time zone like `Europe/Moscow`")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            text.parse::<chrono_tz::Tz>().map(Some).map_err(|_| {
                E::custom(format!(
                    "expected a time zone like `Europe/Moscow` or `UTC`, found `{text}`"
                ))
            })
        }
    }
    d.deserialize_str(V)
}

impl Mapping {
    /// Parses a mapping file's text; `file` names it in errors, which carry the line and
    /// column of the mistake.
    pub fn parse(text: &str, file: &str) -> Result<Mapping, InputError> {
        if text.trim().is_empty() {
            return Ok(Mapping::default());
        }
        crate::yaml_index::check_nesting(text, file)?;
        serde_yaml::from_str::<Mapping>(text).map_err(|e| crate::ticket::yaml_error(&e, text, file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_is_read_and_its_mistakes_located() {
        let m = Mapping::parse(
            "timezone: Europe/Moscow\ncustomer: { from: fields.project.key, map: { SUP: acme } }\nstatuses: { paused: [On hold] }\n",
            "m.yaml",
        )
        .unwrap();
        assert_eq!(m.timezone, Some(chrono_tz::Europe::Moscow));
        let rule = m.customer.unwrap();
        assert_eq!(
            rule.apply(Some("SUP"), str::to_lowercase),
            Some("acme".into())
        );
        assert_eq!(rule.apply(Some("X"), str::to_lowercase), Some("x".into()));
        assert_eq!(m.statuses.paused, ["On hold"]);

        let err = Mapping::parse("customer:\n  form: fields.project.key\n", "m.yaml").unwrap_err();
        let loc = err.location.clone().unwrap();
        assert_eq!((loc.line, loc.column), (2, 3), "{err:?}");
        assert!(
            err.message.contains("unknown field `form`"),
            "{}",
            err.message
        );

        let err = Mapping::parse("timezone: Mars/Olympus\n", "m.yaml").unwrap_err();
        assert_eq!(err.location.clone().unwrap().line, 1);
        assert!(err.message.contains("Mars/Olympus"), "{}", err.message);
    }
}

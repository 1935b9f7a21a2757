//! The JSON Schema of the contract format (feature `schema`), generated from the very
//! types the loader deserialises ([`super::raw`]): the derived structs carry their field
//! documentation, and the scalar types checked inside serde (durations, dates, zones,
//! shares, windows) describe here what they accept.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::raw::{
    Amount, Date, Kinds, Ordered, Percent, RawCategory, Share, TargetValue, Week, Windows, Zone,
};
use crate::duration::Duration;

/// A duration as contracts write it: numbers each followed by a unit word (the loader
/// checks the words; the pattern only catches what is surely wrong, like `four hours`).
const DURATION: &str = r"^\s*(\d+(\.\d*)?|\.\d+)\s*[A-Za-z][A-Za-z ]*(\s*(\d+(\.\d*)?|\.\d+)\s*[A-Za-z][A-Za-z ]*)*\s*$";
/// A window of a day: `H:MM-H:MM` (the loader checks the times).
const WINDOW: &str = r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$";

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DURATION,
            "description": "A duration: `90 working minutes`, `1.5 working hours`, `2 working days`, `4 calendar hours`, `3 calendar days`, or the compact `30m`, `4h`, `1h30m`, `2d` (working time). One working day is the calendar's `day_length`.",
            "examples": ["1 working hour", "2 working days", "4h", "30m"]
        })
    }
}

impl JsonSchema for TargetValue {
    fn schema_name() -> Cow<'static, str> {
        "Target".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = generator.subschema_for::<Duration>();
        let single = json_schema!({
            "anyOf": [
                duration,
                { "const": "none" },
                { "type": "null" },
                {
                    "type": "object",
                    "properties": {
                        "target": duration,
                        "when": { "type": "string", "description": "The ticket field (in `fields`) that must be true, e.g. `complete_outage`." },
                        "calendar": { "type": "string", "description": "The calendar (under `calendars`) this target counts on." }
                    },
                    "required": ["target"],
                    "additionalProperties": false
                }
            ]
        });
        json_schema!({
            "description": "A target: a duration, `none` (no target), a detailed target `{ target, when, calendar }`, or targets by priority (`{ urgent: 1h, else: 4h }`, each value one of the former).",
            "anyOf": [
                single,
                {
                    "type": "object",
                    "description": "Targets by priority: each key a priority of `priorities`, or `else` for the priorities not named.",
                    "propertyNames": { "not": { "enum": ["target", "when", "calendar"] } },
                    "minProperties": 1,
                    "additionalProperties": single
                }
            ]
        })
    }
}

impl JsonSchema for Kinds {
    fn schema_name() -> Cow<'static, str> {
        "EventKinds".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "One event kind (`resolved`) or a list of kinds (`[replied, resolved]`): built in (`registered`, `assigned`, `paused`, `resumed`, `worklog`, `approved`, `replied`, `customer_replied`, `comment`, `resolved`, `reopened`, `changed`) or declared under `events`.",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

impl<T: JsonSchema> JsonSchema for Ordered<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("MapOf{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["object", "null"],
            "additionalProperties": generator.subschema_for::<T>()
        })
    }
}

impl JsonSchema for Date {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}$",
            "description": "A date like `2026-01-01`."
        })
    }
}

impl JsonSchema for Zone {
    fn schema_name() -> Cow<'static, str> {
        "TimeZone".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()).collect();
        json_schema!({
            "type": "string",
            "enum": names,
            "description": "An IANA time zone like `Europe/Moscow`."
        })
    }
}

impl JsonSchema for Share {
    fn schema_name() -> Cow<'static, str> {
        "Share".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A share of a target: `75%` or `0.75` (above 0, at most 100%).",
            "anyOf": [
                { "type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$" },
                { "type": "number", "exclusiveMinimum": 0, "maximum": 1 }
            ]
        })
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> Cow<'static, str> {
        "Percent".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A percentage: `5%` or the fraction `0.05` (above 0, at most 100%), kept exact.",
            "anyOf": [
                { "type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$" },
                { "type": "number", "exclusiveMinimum": 0, "maximum": 1 }
            ]
        })
    }
}

impl JsonSchema for Amount {
    fn schema_name() -> Cow<'static, str> {
        "Amount".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An amount of money like `5000.00`, 0 or more, kept exact (no currency sign: the currency is the fee's).",
            "anyOf": [
                { "type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*$" },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

impl JsonSchema for Windows {
    fn schema_name() -> Cow<'static, str> {
        "Windows".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "items": { "type": "string", "pattern": WINDOW },
            "description": "Opening windows of a day, in order, without overlap, like [\"09:00-13:00\", \"14:00-18:00\"]; a window may end at 24:00.",
            "examples": [["09:00-18:00"], ["09:00-13:00", "14:00-18:00"]]
        })
    }
}

impl JsonSchema for Week {
    fn schema_name() -> Cow<'static, str> {
        "Week".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "Weekly windows by weekday (`mon` … `sun`) or range of weekdays (`mon-fri`); each weekday once.",
            "propertyNames": { "pattern": r"^\s*(mon|tue|wed|thu|fri|sat|sun)(\s*-\s*(mon|tue|wed|thu|fri|sat|sun))?\s*$" },
            "additionalProperties": generator.subschema_for::<Windows>()
        })
    }
}

impl JsonSchema for RawCategory {
    fn schema_name() -> Cow<'static, str> {
        "Category".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["object", "null"],
            "description": "A request category: its clause of the terms, a title, the allowance it counts against, and a target per metric (`assign: 1 working hour`, `resolve: 2 working days`).",
            "properties": {
                "clause": { "type": ["string", "number"], "description": "The clause of the terms, e.g. \"3.2\"." },
                "title": { "type": "string" },
                "description": { "type": "string" },
                "allowance": { "type": "string", "description": "The allowance (under `allowances`) the category's work counts against." },
                "calendar": { "type": "string", "description": "The calendar (under `calendars`) every target of this category counts on, unless the target names its own." }
            },
            "additionalProperties": generator.subschema_for::<TargetValue>()
        })
    }
}

/// The JSON Schema of a contract or template file.
pub fn contract_schema() -> serde_json::Value {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<super::raw::RawContract>();
    schema.insert("title".into(), "slaengine contract".into());
    schema.to_value()
}

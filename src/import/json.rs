//! Reading a help desk's JSON straight into small typed records, without building a
//! [`serde_json::Value`] tree of every page: a large import spends most of its time
//! there otherwise.
//!
//! Every reader here accepts any JSON value and keeps what the `Value`-based reading
//! keeps (`as_str`, [`super::text_of`], `as_u64`, `as_f64`, `as_bool`, a list or nothing,
//! an object or nothing), so a record of an unexpected shape reads as missing parts,
//! never as an error: the only errors are the page's JSON syntax, located as
//! [`super::parse_page`] locates them. A key given twice keeps its last value, as in a
//! `Value`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// What a reader keeps of each kind of JSON value; by default nothing (a list or object
/// is read through and dropped).
pub(crate) trait Keep<'de>: Sized {
    /// The value that keeps nothing.
    fn nothing() -> Self;
    /// A string.
    fn string(_: Cow<'de, str>) -> Self {
        Self::nothing()
    }
    /// A whole number from 0 up.
    fn unsigned(_: u64) -> Self {
        Self::nothing()
    }
    /// A negative whole number.
    fn signed(_: i64) -> Self {
        Self::nothing()
    }
    /// A number with a fraction or exponent.
    fn float(_: f64) -> Self {
        Self::nothing()
    }
    /// `true` or `false`.
    fn boolean(_: bool) -> Self {
        Self::nothing()
    }
    /// An object.
    fn object<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Self::nothing())
    }
    /// A list.
    fn list<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::nothing())
    }
}

/// The visitor of every [`Keep`] reader: any value is accepted.
struct KeepVisitor<T>(PhantomData<T>);

impl<'de, T: Keep<'de>> Visitor<'de> for KeepVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<T, E> {
        Ok(T::boolean(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<T, E> {
        // As `serde_json::Number` keeps it: a number from 0 up is unsigned.
        Ok(u64::try_from(v).map_or_else(|_| T::signed(v), T::unsigned))
    }
    fn visit_u64<E>(self, v: u64) -> Result<T, E> {
        Ok(T::unsigned(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<T, E> {
        Ok(T::float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<T, E> {
        Ok(T::string(Cow::Owned(v.to_owned())))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<T, E> {
        Ok(T::string(Cow::Borrowed(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<T, E> {
        Ok(T::string(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::nothing())
    }
    fn visit_none<E>(self) -> Result<T, E> {
        Ok(T::nothing())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::object(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::list(seq)
    }
}

/// `Deserialize` through [`KeepVisitor`] for readers with a lifetime.
macro_rules! deserialize_by_keep {
    ($($t:ident),*) => {$(
        impl<'de> Deserialize<'de> for $t<'de> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(KeepVisitor(PhantomData))
            }
        }
    )*};
}

/// A string, or nothing for any other value (`Value::as_str`).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Str<'a>(pub Option<Cow<'a, str>>);

impl<'de> Keep<'de> for Str<'de> {
    fn nothing() -> Self {
        Str(None)
    }
    fn string(s: Cow<'de, str>) -> Self {
        Str(Some(s))
    }
}

impl Str<'_> {
    /// The string, if the value was one.
    pub(crate) fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A value as text, as [`super::text_of`] reads it: a string or number as written, for an
/// object its `value`, `name`, `key` or `displayName`, for a list its first item.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Text<'a>(pub Option<Cow<'a, str>>);

/// The keys of an object [`Text`] reads, in the order it prefers them.
const TEXT_KEYS: [&str; 4] = ["value", "name", "key", "displayName"];

impl<'de> Keep<'de> for Text<'de> {
    fn nothing() -> Self {
        Text(None)
    }
    fn string(s: Cow<'de, str>) -> Self {
        Text(Some(s))
    }
    fn unsigned(n: u64) -> Self {
        Text(Some(Cow::Owned(n.to_string())))
    }
    fn signed(n: i64) -> Self {
        Text(Some(Cow::Owned(n.to_string())))
    }
    fn float(n: f64) -> Self {
        Text(serde_json::Number::from_f64(n).map(|n| Cow::Owned(n.to_string())))
    }
    fn boolean(b: bool) -> Self {
        Text(Some(Cow::Borrowed(if b { "true" } else { "false" })))
    }
    fn object<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut found: [Option<Cow<'de, str>>; 4] = Default::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match TEXT_KEYS.iter().position(|k| *k == key.0) {
                Some(i) => found[i] = map.next_value::<Text<'de>>()?.0,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Text(found.into_iter().flatten().next()))
    }
    fn list<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let first = seq.next_element::<Text<'de>>()?.and_then(|t| t.0);
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text(first))
    }
}

impl Text<'_> {
    /// The text, if the value has one.
    pub(crate) fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The text as an owned string.
    pub(crate) fn owned(&self) -> Option<String> {
        self.0.as_deref().map(str::to_owned)
    }
}

/// A whole number from 0 up, or nothing (`Value::as_u64`).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Count(pub Option<u64>);

impl Keep<'_> for Count {
    fn nothing() -> Self {
        Count(None)
    }
    fn unsigned(n: u64) -> Self {
        Count(Some(n))
    }
}

/// Any number, or nothing (`Value::as_f64`).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Number(pub Option<f64>);

impl Keep<'_> for Number {
    fn nothing() -> Self {
        Number(None)
    }
    fn unsigned(n: u64) -> Self {
        Number(Some(n as f64))
    }
    fn signed(n: i64) -> Self {
        Number(Some(n as f64))
    }
    fn float(n: f64) -> Self {
        Number(Some(n))
    }
}

/// `true` or `false`, or nothing (`Value::as_bool`).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Flag(pub Option<bool>);

impl Keep<'_> for Flag {
    fn nothing() -> Self {
        Flag(None)
    }
    fn boolean(b: bool) -> Self {
        Flag(Some(b))
    }
}

/// A value kept whole for comparing with another: a string as read, anything else as a
/// [`Value`] (equal exactly when the two `Value`s would be).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    /// The key is not there.
    #[default]
    Absent,
    /// A string.
    Str(Cow<'a, str>),
    /// Any other value (`null` included).
    Other(Value),
}

impl<'de> Keep<'de> for Json<'de> {
    fn nothing() -> Self {
        Json::Other(Value::Null)
    }
    fn string(s: Cow<'de, str>) -> Self {
        Json::Str(s)
    }
    fn unsigned(n: u64) -> Self {
        Json::Other(Value::from(n))
    }
    fn signed(n: i64) -> Self {
        Json::Other(Value::from(n))
    }
    fn float(n: f64) -> Self {
        Json::Other(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
    }
    fn boolean(b: bool) -> Self {
        Json::Other(Value::Bool(b))
    }
    fn object<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        Value::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Json::Other)
    }
    fn list<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Json::Other)
    }
}

impl Json<'_> {
    /// Whether the key is there.
    pub(crate) fn is_present(&self) -> bool {
        !matches!(self, Json::Absent)
    }

    /// The string, if the value is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The text of a comment body: a string (Jira's API v2) or an Atlassian document (v3),
/// whose `text` parts are joined, a line ended after each paragraph, heading, list item
/// and hard break.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) enum Body<'a> {
    /// Anything else: no text.
    #[default]
    Nothing,
    /// A string.
    Str(Cow<'a, str>),
    /// A node of a document.
    Node {
        /// Its own text.
        text: Option<Cow<'a, str>>,
        /// The nodes within it.
        content: Vec<Body<'a>>,
        /// Its type (`paragraph`).
        kind: Option<Cow<'a, str>>,
    },
}

impl<'de> Keep<'de> for Body<'de> {
    fn nothing() -> Self {
        Body::Nothing
    }
    fn string(s: Cow<'de, str>) -> Self {
        Body::Str(s)
    }
    fn object<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let (mut text, mut content, mut kind) = (None, Vec::new(), None);
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match &*key.0 {
                "text" => text = map.next_value::<Str<'de>>()?.0,
                "content" => content = map.next_value::<List<Body<'de>>>()?.0,
                "type" => kind = map.next_value::<Str<'de>>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Body::Node {
            text,
            content,
            kind,
        })
    }
}

impl Body<'_> {
    /// The body's text, trimmed.
    pub(crate) fn text(&self) -> String {
        fn walk(b: &Body<'_>, out: &mut String) {
            match b {
                Body::Nothing => {}
                Body::Str(s) => out.push_str(s),
                Body::Node {
                    text,
                    content,
                    kind,
                } => {
                    if let Some(t) = text {
                        out.push_str(t);
                    }
                    for c in content {
                        walk(c, out);
                    }
                    if matches!(
                        kind.as_deref(),
                        Some("paragraph" | "heading" | "listItem" | "hardBreak")
                    ) && !out.ends_with('\n')
                    {
                        out.push('\n');
                    }
                }
            }
        }
        let mut out = String::new();
        walk(self, &mut out);
        let trimmed = out.trim();
        if trimmed.len() == out.len() {
            out
        } else {
            trimmed.to_owned()
        }
    }
}

/// A list, or none for any other value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(SlotVisitor(PhantomData::<T>, PhantomData))? {
            Slot::Array(items) => Ok(List(items)),
            Slot::Absent | Slot::Other => Ok(List(Vec::new())),
        }
    }
}

/// A key of a page that may hold a list: not there, a list, or something else.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Slot<T> {
    /// The key is not there.
    #[default]
    Absent,
    /// A list.
    Array(Vec<T>),
    /// Any other value.
    Other,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Slot<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SlotVisitor(PhantomData::<T>, PhantomData))
    }
}

/// The items of a [`Slot`] read through `S`.
pub(crate) struct SlotSeed<S>(pub S);

impl<'de, S: DeserializeSeed<'de> + Clone> DeserializeSeed<'de> for SlotSeed<S> {
    type Value = Slot<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(SlotVisitor(self.0, PhantomData))
    }
}

/// The `visit_*` methods of a visitor that reads every value but lists and objects as
/// `$value` (a `null` too).
macro_rules! scalars_are {
    ($value:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    };
}

/// Reads a [`Slot`], each item through the seed `S`.
struct SlotVisitor<S, T>(S, PhantomData<T>);

impl<'de, S: DeserializeSeed<'de, Value = T> + Clone, T> Visitor<'de> for SlotVisitor<S, T> {
    type Value = Slot<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(item) = seq.next_element_seed(self.0.clone())? {
            items.push(item);
        }
        Ok(Slot::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Slot::Other)
    }
    scalars_are!(Slot::Other);
}

/// A key of an object: borrowed from the page unless it holds an escape.
pub(crate) struct Key<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A record read from a JSON object, one key at a time; `C` is what the reading needs to
/// know beyond the text (which fields a mapping reads), `()` for most.
pub(crate) trait Record<'de, C: Copy>: Default {
    /// Reads the value of `key` from `value` (any value is accepted; a key the record
    /// does not keep is read through).
    fn set<D: Deserializer<'de>>(&mut self, ctx: C, key: &str, value: D) -> Result<(), D::Error>;
}

/// An object read as the record `T`, or nothing for any other value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: Record<'de, ()>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ObjSeed::new(()).deserialize(d)
    }
}

/// Reads an [`Obj`] of `T` with the context `C`.
pub(crate) struct ObjSeed<C, T>(C, PhantomData<fn() -> T>);

impl<C: Copy, T> ObjSeed<C, T> {
    /// The seed of records read with `ctx`.
    pub(crate) fn new(ctx: C) -> Self {
        ObjSeed(ctx, PhantomData)
    }
}

impl<C: Copy, T> Clone for ObjSeed<C, T> {
    fn clone(&self) -> Self {
        ObjSeed(self.0, PhantomData)
    }
}

impl<'de, C: Copy, T: Record<'de, C>> DeserializeSeed<'de> for ObjSeed<C, T> {
    type Value = Obj<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Obj<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, C: Copy, T: Record<'de, C>> Visitor<'de> for ObjSeed<C, T> {
    type Value = Obj<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Obj<T>, A::Error> {
        let mut record = T::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            map.next_value_seed(FieldSeed {
                record: &mut record,
                ctx: self.0,
                key: &key.0,
            })?;
        }
        Ok(Obj(Some(record)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Obj<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Obj(None))
    }
    scalars_are!(Obj(None));
}

/// Reads the value of one key into a record.
struct FieldSeed<'r, 'k, T, C> {
    record: &'r mut T,
    ctx: C,
    key: &'k str,
}

impl<'de, C: Copy, T: Record<'de, C>> DeserializeSeed<'de> for FieldSeed<'_, '_, T, C> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.record.set(self.ctx, self.key, d)
    }
}

deserialize_by_keep!(Str, Text, Json, Body);

/// `Deserialize` through [`KeepVisitor`] for readers without a lifetime.
macro_rules! deserialize_plain_by_keep {
    ($($t:ident),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(KeepVisitor(PhantomData))
            }
        }
    )*};
}

deserialize_plain_by_keep!(Count, Number, Flag);

/// A list of records, an item that is not an object read as a record with nothing in it
/// (as `Value::get` finds nothing in it); no records for any value but a list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Each<T>(pub Vec<T>);

impl<T> Default for Each<T> {
    fn default() -> Self {
        Each(Vec::new())
    }
}

impl<'de, T: Record<'de, ()>> Deserialize<'de> for Each<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let List(items) = List::<Obj<T>>::deserialize(d)?;
        Ok(Each(
            items.into_iter().map(|o| o.0.unwrap_or_default()).collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON values of every kind, nested and with escapes and repeated keys.
    const VALUES: [&str; 22] = [
        r#""plain""#,
        r#""with \"escapes\" \u00e9""#,
        "0",
        "-7",
        "18446744073709551615",
        "1.5",
        "-0.0",
        "1e3",
        "true",
        "false",
        "null",
        "[]",
        r#"["first", 2]"#,
        r#"[null, "second"]"#,
        "{}",
        r#"{"name": "n", "value": "v"}"#,
        r#"{"key": 3, "displayName": "d"}"#,
        r#"{"value": null, "name": {"key": "deep"}}"#,
        r#"{"value": "a", "value": 2}"#,
        r#"{"v\u0061lue": "escaped key"}"#,
        r#"{"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hello"}, {"type": "hardBreak"}, "raw"]}, {"type": "heading", "text": "T"}]}"#,
        r#"{"content": [{"text": "after"}], "text": "before", "content": "not a list"}"#,
    ];

    /// The text of a comment body read from a `Value`, as the importer read it before.
    fn body_of(v: &Value) -> String {
        fn walk(v: &Value, out: &mut String) {
            match v {
                Value::String(s) => out.push_str(s),
                Value::Object(o) => {
                    if let Some(Value::String(t)) = o.get("text") {
                        out.push_str(t);
                    }
                    if let Some(Value::Array(content)) = o.get("content") {
                        for c in content {
                            walk(c, out);
                        }
                    }
                    if matches!(
                        o.get("type").and_then(Value::as_str),
                        Some("paragraph" | "heading" | "listItem" | "hardBreak")
                    ) && !out.ends_with('\n')
                    {
                        out.push('\n');
                    }
                }
                _ => {}
            }
        }
        let mut out = String::new();
        walk(v, &mut out);
        out.trim().to_owned()
    }

    #[test]
    fn every_reader_keeps_what_the_value_reading_keeps() {
        for text in VALUES {
            let v: Value = serde_json::from_str(text).unwrap();
            let read = |what: &str| format!("{what} of {text}");
            let t: Text<'_> = serde_json::from_str(text).unwrap();
            assert_eq!(t.owned(), super::super::text_of(&v), "{}", read("text"));
            let s: Str<'_> = serde_json::from_str(text).unwrap();
            assert_eq!(s.get(), v.as_str(), "{}", read("string"));
            let c: Count = serde_json::from_str(text).unwrap();
            assert_eq!(c.0, v.as_u64(), "{}", read("count"));
            let n: Number = serde_json::from_str(text).unwrap();
            assert_eq!(n.0, v.as_f64(), "{}", read("number"));
            let f: Flag = serde_json::from_str(text).unwrap();
            assert_eq!(f.0, v.as_bool(), "{}", read("flag"));
            let b: Body<'_> = serde_json::from_str(text).unwrap();
            assert_eq!(b.text(), body_of(&v), "{}", read("body"));
            let l: List<Text<'_>> = serde_json::from_str(text).unwrap();
            assert_eq!(
                l.0.len(),
                v.as_array().map_or(0, Vec::len),
                "{}",
                read("list")
            );
            // Any two values compare as their `Value`s do.
            for other in VALUES {
                let w: Value = serde_json::from_str(other).unwrap();
                let (x, y): (Json<'_>, Json<'_>) = (
                    serde_json::from_str(text).unwrap(),
                    serde_json::from_str(other).unwrap(),
                );
                assert_eq!(x == y, v == w, "{text} against {other}");
            }
            // From a `Value` as from the text.
            assert_eq!(Text::deserialize(v.clone()).unwrap().owned(), t.owned());
        }
    }

    #[test]
    fn syntax_errors_are_the_only_errors_and_are_located_alike() {
        for text in [
            r#"{"a": [1, 2}"#,
            r#"{"a": "b"#,
            "[1, 2] 3",
            r#"{"a": tru}"#,
        ] {
            let by_value = serde_json::from_str::<Value>(text).unwrap_err();
            let by_text = serde_json::from_str::<Text<'_>>(text).unwrap_err();
            assert_eq!(
                (by_text.line(), by_text.column(), by_text.is_eof()),
                (by_value.line(), by_value.column(), by_value.is_eof()),
                "{text}"
            );
        }
    }
}

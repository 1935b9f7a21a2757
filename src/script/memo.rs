//! Memoised hook calls.
//!
//! A hook is a deterministic function of what it can observe: its plain arguments (the
//! targets or usage map) and the properties of the `Ticket` and `Evaluation` values it
//! reads. Scripts keep no state between calls, the sandbox has no clock (`no_time`) and
//! no randomness, and every helper the engine registers is a pure function of its
//! arguments and the contract's calendar. So when a call read exactly the properties
//! `P` (recorded by the property getters) and returned `r`, any later call with equal
//! plain arguments and equal values of `P` would run the same way and return `r` too:
//! it reads the same first property and gets the same value, and so on by induction.
//!
//! A [`Memo`] keeps, per script and hook, one table per distinct set of properties read
//! (a *path*), keyed by the bytes of those values. Lookups compute only the properties a
//! path needs. Tables are bounded (entries per path, paths per hook, key length, and
//! bytes per thread); a full table that rarely hits (a hook that reads something unique
//! to each ticket, like its summary) is dropped and no longer consulted.
//! Results that hold a ticket or evaluation value, calls that failed, and arguments of
//! other custom types are never cached. Memos live per thread, so the evaluation
//! threads never contend for them.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use rhai::Dynamic;

use super::{EVALUATION_PROPS, EvaluationView, TICKET_PROPS, TicketView};
use crate::ticket::Ticket;

/// Entries one path keeps at most.
const MAX_ENTRIES: usize = 4096;
/// Paths one hook of one script keeps at most.
const MAX_PATHS: usize = 8;
/// Script sets (one per contract revision with scripts) a thread keeps memos for; past
/// this, the oldest compiled set's memo goes (hot reloads make new sets).
const MAX_SETS: usize = 256;
/// The longest key kept (a hook that reads a long event list is not worth caching).
const MAX_KEY: usize = 1024;
/// Bytes of keys and results one thread keeps at most, over all its memos.
const MAX_BYTES: usize = 16 << 20;
/// What an entry costs beyond its key and result bytes (table slot, allocations).
const ENTRY_OVERHEAD: usize = 96;

thread_local! {
    /// The properties read by the running hook call: bit `i` for `TICKET_PROPS[i]`,
    /// bit `TICKET_PROPS.len() + j` for `EVALUATION_PROPS[j]`.
    static READS: Cell<u32> = const { Cell::new(0) };
    /// Hook calls this thread answered from its memos.
    static HITS: Cell<u64> = const { Cell::new(0) };
    /// Whether this thread memoises hook calls.
    static ENABLED: Cell<bool> = const { Cell::new(true) };
    /// Buffers of finished calls, for the next ones.
    static SPARE: RefCell<Vec<CallKey>> = const { RefCell::new(Vec::new()) };
    /// Bytes this thread's memos hold (keys, results, overhead), at most `MAX_BYTES`.
    static BYTES: Cell<usize> = const { Cell::new(0) };
    /// The memos of this thread, by script set id (ids grow with each compilation).
    static MEMOS: RefCell<HashMap<u64, Memo, Hasher>> = RefCell::new(HashMap::default());
}

/// Notes that the running hook call read property `bit`.
pub(super) fn note_read(bit: usize) {
    READS.with(|r| r.set(r.get() | (1 << bit)));
}

/// Starts recording the properties a hook call reads.
pub(super) fn start_recording() {
    READS.with(|r| r.set(0));
}

/// The properties read since [`start_recording`].
pub(super) fn recorded() -> u32 {
    READS.with(Cell::get)
}

/// Turns memoisation of hook calls on or off for the calling thread (it is on by
/// default). Results are the same either way; this exists to compare the two.
pub fn memoize(on: bool) {
    ENABLED.with(|e| e.set(on));
}

/// How many hook calls the calling thread has answered from its memo so far.
pub fn memo_hits() -> u64 {
    HITS.with(Cell::get)
}

/// A cached hook result.
#[derive(Clone)]
pub(super) struct Cached {
    /// The return value; `()` when `unchanged`.
    pub value: Dynamic,
    /// The `log`/`print`/`debug` lines of the call.
    pub log: Vec<String>,
    /// The call gave back its second argument as it was (a `targets` hook that changed
    /// nothing): the memo keeps no copy, and callers keep what they passed.
    pub unchanged: bool,
}

/// The hasher of the memo tables (keys are short byte strings).
type Hasher = foldhash::fast::RandomState;

/// One set of properties read, and the results seen for values of them.
struct Path {
    reads: u32,
    entries: HashMap<Box<[u8]>, Cached, Hasher>,
    lookups: u64,
    hits: u64,
    /// False once the table filled up without paying off: no longer consulted.
    live: bool,
    /// Bytes the entries hold (counted in `BYTES`).
    bytes: usize,
}

impl Path {
    /// Empties the table and gives its bytes back to the thread's budget.
    fn clear(&mut self) {
        self.entries = HashMap::default();
        BYTES.with(|b| b.set(b.get().saturating_sub(self.bytes)));
        self.bytes = 0;
    }
}

/// The memos of one script set: one list of paths per script and hook.
#[derive(Default)]
struct Memo {
    slots: Vec<Vec<Path>>,
}

/// What the properties of a call's views are read from: the ticket itself (no script
/// value of it is needed to look a call up) and the evaluation, for `findings`.
pub(super) struct Sources<'a> {
    pub ticket: &'a Ticket,
    pub evaluation: Option<&'a EvaluationView>,
}

/// The key material of one call: its plain arguments encoded, and the encoded values of
/// the properties looked at so far. Boxed, so that handing it around moves a pointer.
pub(super) struct CallKey(Box<KeyParts>);

/// The buffers of a [`CallKey`].
pub(super) struct KeyParts {
    prefix: Vec<u8>,
    /// Where in `prefix` the second argument's encoding lies, when it is plain data.
    arg: Option<(usize, usize)>,
    /// Encoded property values, computed on demand: (start, end) in `scratch`.
    props: [Option<(usize, usize)>; PROPS],
    scratch: Vec<u8>,
    /// The key being built.
    key: Vec<u8>,
}

impl std::ops::Deref for CallKey {
    type Target = KeyParts;
    fn deref(&self) -> &KeyParts {
        &self.0
    }
}

impl std::ops::DerefMut for CallKey {
    fn deref_mut(&mut self) -> &mut KeyParts {
        &mut self.0
    }
}

/// The type bytes of the views in a key (plain values use 0 to 8, see [`encode`]).
const TICKET_VIEW: u8 = 9;
const EVALUATION_VIEW: u8 = 10;

/// How many properties can be recorded.
const PROPS: usize = TICKET_PROPS.len() + EVALUATION_PROPS.len();

impl CallKey {
    /// The key material of a call given the ticket (untagged: the engine's own value)
    /// and `second`, or `None` when the call cannot be memoised (an argument of a type
    /// whose contents cannot be compared, or memoisation off).
    pub(super) fn new(second: Option<&Dynamic>) -> Option<CallKey> {
        if !ENABLED.with(Cell::get) {
            return None;
        }
        let mut key = SPARE.with(|s| s.borrow_mut().pop()).unwrap_or_else(|| {
            CallKey(Box::new(KeyParts {
                prefix: Vec::with_capacity(64),
                arg: None,
                props: [None; PROPS],
                scratch: Vec::with_capacity(128),
                key: Vec::with_capacity(128),
            }))
        });
        key.prefix.extend_from_slice(&0_i32.to_le_bytes());
        key.prefix.push(TICKET_VIEW);
        if let Some(a) = second {
            // A view is known by its type and its tag (a script may set the tag of a
            // value it passes on); its properties go into the key as they are read, from
            // the call's own ticket (`ScriptSet::call` does not memoise another's).
            let view = if a.is::<TicketView>() {
                Some(TICKET_VIEW)
            } else if a.is::<EvaluationView>() {
                Some(EVALUATION_VIEW)
            } else {
                None
            };
            if let Some(kind) = view {
                key.prefix.extend_from_slice(&a.tag().to_le_bytes());
                key.prefix.push(kind);
            } else {
                let start = key.prefix.len();
                if !encode(a, &mut key.prefix) {
                    key.recycle();
                    return None;
                }
                key.arg = Some((start, key.prefix.len()));
            }
        }
        Some(key)
    }

    /// Clears the buffers and keeps them for the next call on this thread.
    pub(super) fn recycle(mut self) {
        self.prefix.clear();
        self.arg = None;
        self.scratch.clear();
        self.key.clear();
        self.props = [None; PROPS];
        SPARE.with(|s| s.borrow_mut().push(self));
    }

    /// The encoded value of property `bit`, computed once per call.
    fn prop(&mut self, bit: usize, src: &Sources<'_>) -> Option<(usize, usize)> {
        if let Some(range) = self.props[bit] {
            return Some(range);
        }
        let start = self.scratch.len();
        let plain = match bit.checked_sub(TICKET_PROPS.len()) {
            None => ticket_key(bit, src.ticket, &mut self.scratch),
            Some(j) => evaluation_key(j, src.evaluation?, &mut self.scratch),
        };
        if !plain {
            self.scratch.truncate(start);
            return None;
        }
        let range = (start, self.scratch.len());
        self.props[bit] = Some(range);
        Some(range)
    }

    /// Builds in `self.key` the key for a path reading `reads`: the prefix, then each
    /// property's number and bytes.
    fn build(&mut self, reads: u32, src: &Sources<'_>) -> bool {
        let parts = &mut *self.0;
        parts.key.clear();
        parts.key.extend_from_slice(&parts.prefix);
        let mut bits = reads;
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let Some((a, b)) = self.prop(bit, src) else {
                return false;
            };
            let parts = &mut *self.0;
            parts.key.push(bit as u8);
            parts.key.extend_from_slice(&parts.scratch[a..b]);
        }
        true
    }
}

/// Appends a text with its length (a key part).
fn text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Appends an optional text (a key part).
fn opt_text(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            text(out, s);
        }
    }
}

/// Appends the key of ticket property `bit`, read from the ticket itself: bytes that
/// determine the value the property's getter returns (equal bytes, equal values). False
/// for a property it does not know (never cached).
fn ticket_key(bit: usize, t: &Ticket, out: &mut Vec<u8>) -> bool {
    let opt = |out: &mut Vec<u8>, s: &Option<String>| opt_text(out, s.as_deref());
    fn instant(out: &mut Vec<u8>, t: &chrono::DateTime<chrono::FixedOffset>) {
        out.extend_from_slice(&t.timestamp().to_le_bytes());
        out.extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
        out.extend_from_slice(&t.offset().local_minus_utc().to_le_bytes());
    }
    match TICKET_PROPS[bit].0 {
        "id" => text(out, &t.id),
        "customer" => text(out, &t.customer),
        "product" => opt(out, &t.product),
        "category" => opt(out, &t.category),
        "priority" => opt(out, &t.priority),
        "summary" => text(out, &t.summary),
        "registered" => instant(out, &t.registered),
        "attachments" => {
            out.extend_from_slice(&(t.attachments.len() as u64).to_le_bytes());
            t.attachments.iter().for_each(|a| text(out, a));
        }
        // JSON text: equal text, equal values (serde_json writes each value one way).
        "fields" => match serde_json::to_string(&t.fields) {
            Ok(json) => text(out, &json),
            Err(_) => return false,
        },
        "events" => {
            out.extend_from_slice(&(t.events.len() as u64).to_le_bytes());
            for e in &t.events {
                instant(out, &e.at);
                text(out, e.kind.as_str());
                opt(out, &e.engineer);
                match e.hours {
                    None => out.push(0),
                    Some(h) => {
                        out.push(1);
                        out.extend_from_slice(&h.to_bits().to_le_bytes());
                    }
                }
                opt(out, &e.note);
                opt(out, &e.by);
                opt(out, &e.field);
                // JSON text, as for `fields`; absent and `null` differ.
                match &e.to {
                    None => out.push(0),
                    Some(v) => {
                        out.push(1);
                        text(out, &v.to_string());
                    }
                }
            }
        }
        _ => return false,
    }
    true
}

/// Appends the key of evaluation property `j`: the category's text read in place (every
/// `findings` call looks it up), the others' values encoded.
fn evaluation_key(j: usize, e: &EvaluationView, out: &mut Vec<u8>) -> bool {
    match EVALUATION_PROPS[j].0 {
        "category" => {
            opt_text(out, e.category());
            true
        }
        _ => encode(&(EVALUATION_PROPS[j].1)(e), out),
    }
}

/// Runs `f` on the memo slot of `set` (a script set id) and `slot` (script and hook).
fn with_slot<R>(set: u64, slot: usize, f: impl FnOnce(&mut Vec<Path>) -> R) -> R {
    MEMOS.with(|m| {
        let mut memos = m.borrow_mut();
        // The usual case: the set has a memo with this slot.
        if let Some(paths) = memos.get_mut(&set).and_then(|m| m.slots.get_mut(slot)) {
            return f(paths);
        }
        if !memos.contains_key(&set) && memos.len() >= MAX_SETS {
            // Ids grow with each compilation: the smallest is the oldest set.
            if let Some(oldest) = memos.keys().min().copied()
                && let Some(mut old) = memos.remove(&oldest)
            {
                old.slots.iter_mut().flatten().for_each(Path::clear);
            }
        }
        let slots = &mut memos.entry(set).or_default().slots;
        if slots.len() <= slot {
            slots.resize_with(slot + 1, Vec::new);
        }
        f(&mut slots[slot])
    })
}

/// The cached result of a call with `key` to `slot` of `set`, if one applies.
pub(super) fn lookup(
    set: u64,
    slot: usize,
    key: &mut CallKey,
    src: &Sources<'_>,
) -> Option<Cached> {
    with_slot(set, slot, |paths| {
        for path in paths.iter_mut().filter(|p| p.live) {
            path.lookups += 1;
            if !key.build(path.reads, src) {
                continue;
            }
            if let Some(hit) = path.entries.get(&key.key[..]) {
                path.hits += 1;
                HITS.with(|h| h.set(h.get() + 1));
                return Some(hit.clone());
            }
            if path.entries.len() >= MAX_ENTRIES && path.hits * 4 < path.lookups {
                path.live = false;
                path.clear();
            }
        }
        None
    })
}

/// Records the result of a successful call with `key` that read the properties `reads`.
pub(super) fn store(
    set: u64,
    slot: usize,
    key: &mut CallKey,
    src: &Sources<'_>,
    reads: u32,
    result: &Cached,
) {
    with_slot(set, slot, |paths| {
        let index = match paths.iter().position(|p| p.reads == reads) {
            Some(i) => i,
            None if paths.len() < MAX_PATHS => {
                paths.push(Path {
                    reads,
                    entries: HashMap::default(),
                    lookups: 0,
                    hits: 0,
                    live: true,
                    bytes: 0,
                });
                paths.len() - 1
            }
            None => return,
        };
        let path = &mut paths[index];
        if !path.live || path.entries.len() >= MAX_ENTRIES {
            return;
        }
        // Only plain data is kept: not a result holding a ticket or evaluation value, a
        // function pointer or a shared variable.
        let mut value = Vec::new();
        if !encode(&result.value, &mut value) || !key.build(reads, src) || key.key.len() > MAX_KEY {
            return;
        }
        // A result equal to the argument is kept as a mark, not a copy.
        let unchanged = key.arg.is_some_and(|(a, b)| key.prefix[a..b] == value[..]);
        let log: usize = result.log.iter().map(String::len).sum();
        let kept = if unchanged { 0 } else { value.len() };
        let cost = key.key.len() + kept + log + ENTRY_OVERHEAD;
        if BYTES.with(Cell::get) + cost > MAX_BYTES {
            return;
        }
        let entry = if unchanged {
            Cached {
                value: Dynamic::UNIT,
                log: result.log.clone(),
                unchanged: true,
            }
        } else {
            result.clone()
        };
        let new = path
            .entries
            .insert(key.key.as_slice().into(), entry)
            .is_none();
        if new {
            path.bytes += cost;
            BYTES.with(|b| b.set(b.get() + cost));
        }
    });
}

/// Whether two plain values are equal (false if either is not plain data).
pub(super) fn same(a: &Dynamic, b: &Dynamic) -> bool {
    if a.tag() != b.tag() {
        return false;
    }
    // Texts (the usual case) compare as they are; the rest by their encodings.
    if let (Ok(x), Ok(y)) = (a.as_immutable_string_ref(), b.as_immutable_string_ref()) {
        return !a.is_shared() && !b.is_shared() && *x == *y;
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    encode(a, &mut x) && encode(b, &mut y) && x == y
}

/// Appends an unambiguous encoding of a plain value (type, tag, contents with lengths)
/// to `out`. Returns false for values that are not plain data.
fn encode(value: &Dynamic, out: &mut Vec<u8>) -> bool {
    if value.is_shared() {
        return false;
    }
    out.extend_from_slice(&value.tag().to_le_bytes());
    let bytes = |out: &mut Vec<u8>, tag: u8, b: &[u8]| {
        out.push(tag);
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    };
    // The common types first: each failed `as_…` spells the value's type name.
    if value.is_unit() {
        out.push(0);
    } else if let Ok(s) = value.as_immutable_string_ref() {
        bytes(out, 5, s.as_bytes());
    } else if let Ok(m) = value.as_map_ref() {
        out.push(8);
        out.extend_from_slice(&(m.len() as u64).to_le_bytes());
        return m.iter().all(|(k, v)| {
            bytes(out, 5, k.as_bytes());
            encode(v, out)
        });
    } else if let Ok(a) = value.as_array_ref() {
        out.push(7);
        out.extend_from_slice(&(a.len() as u64).to_le_bytes());
        return a.iter().all(|item| encode(item, out));
    } else if let Ok(i) = value.as_int() {
        out.push(2);
        out.extend_from_slice(&i.to_le_bytes());
    } else if let Ok(b) = value.as_bool() {
        out.extend_from_slice(&[1, u8::from(b)]);
    } else if let Ok(f) = value.as_float() {
        out.push(3);
        out.extend_from_slice(&f.to_bits().to_le_bytes());
    } else if let Ok(c) = value.as_char() {
        out.push(4);
        out.extend_from_slice(&u32::from(c).to_le_bytes());
    } else if let Ok(b) = value.as_blob_ref() {
        bytes(out, 6, &b);
    } else {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(v: Dynamic) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        encode(&v, &mut out).then_some(out)
    }

    #[test]
    fn same_compares_plain_values_and_their_tags() {
        let text = |s: &str, tag: i32| {
            let mut d = Dynamic::from(s.to_owned());
            d.set_tag(tag);
            d
        };
        assert!(same(&text("a", 0), &text("a", 0)));
        assert!(!same(&text("a", 0), &text("b", 0)));
        assert!(!same(&text("a", 0), &text("a", 1)));
        assert!(!same(&text("1", 0), &Dynamic::from(1_i64)));
        let list = |items: &[&str]| Dynamic::from_array(items.iter().map(|&i| i.into()).collect());
        assert!(same(&list(&["a", "b"]), &list(&["a", "b"])));
        assert!(!same(&list(&["a", "b"]), &list(&["a", "b", "c"])));
        assert!(!same(&text("a", 0).into_shared(), &text("a", 0)));
    }

    #[test]
    fn plain_values_encode_apart() {
        let values: Vec<Dynamic> = vec![
            Dynamic::UNIT,
            true.into(),
            false.into(),
            0_i64.into(),
            1_i64.into(),
            0.0_f64.into(),
            (-0.0_f64).into(),
            'a'.into(),
            "a".into(),
            "".into(),
            Dynamic::from_array(vec!["a".into()]),
            Dynamic::from_array(vec!["".into(), "a".into()]),
            Dynamic::from_array(vec!["a".into(), "".into()]),
            Dynamic::from_map([("a".into(), Dynamic::UNIT)].into_iter().collect()),
            Dynamic::from_map([("a".into(), "".into())].into_iter().collect()),
            Dynamic::from_map([("".into(), "a".into())].into_iter().collect()),
        ];
        let mut seen = std::collections::HashSet::new();
        for v in values {
            let text = format!("{v:?}");
            let b = bytes(v).expect("plain data encodes");
            assert!(seen.insert(b), "{text} encodes like an earlier value");
        }
        let mut tagged = Dynamic::from(1_i64);
        tagged.set_tag(7);
        assert_ne!(bytes(tagged), bytes(1_i64.into()));
    }

    /// The keys of ticket properties are written from the ticket, apart from the getters:
    /// over tickets built to collide (numbers written alike, instants in other offsets,
    /// fractions of seconds), equal keys must mean equal values from the getters.
    #[test]
    fn equal_ticket_keys_mean_equal_property_values() {
        let fields = [
            "{}",
            "{ a: 1 }",
            "{ a: 1.0 }",
            "{ a: -0.0 }",
            "{ a: 0.0 }",
            "{ a: 0 }",
            "{ a: '1' }",
            "{ a: [1] }",
            "{ a: { b: 1 } }",
            "{ a: null }",
            "{ a: 18446744073709551615 }",
            "{ a: 9223372036854775808 }",
            "{ a: 9223372036854775807 }",
            "{ a: -9223372036854775808 }",
            "{ a: 1e300 }",
            "{ a: .nan }",
            "{ a: .inf }",
            "{ a: -.inf }",
            "{ a: 0.1 }",
            "{ a: 0.30000000000000004 }",
            "{ a: true }",
            "{ a: 'true' }",
            "{ a: \"\\u00e9\" }",
            "{ a: \"e\\u0301\" }",
            "{ a: \"\\n\" }",
            "{ a: \"\\\\n\" }",
            "{ b: 1, a: 2 }",
            "{ a: 2, b: 1 }",
            "{ a: 1e20 }",
            "{ a: 100000000000000000000 }",
            "{ a: 123456789012345678901234567890 }",
            "{ a: 1.5e-320 }",
            "{ a: ~ }",
            "{ a: [] }",
            "{ a: {} }",
        ];
        let events = [
            "[]",
            "[{ at: 2026-03-02T10:05:00+03:00, kind: worklog, hours: 1.5 }]",
            "[{ at: 2026-03-02T10:05:00+03:00, kind: worklog, hours: 1.50 }]",
            "[{ at: 2026-03-02T07:05:00+00:00, kind: worklog, hours: 1.5 }]",
            "[{ at: 2026-03-02T10:05:00.000+03:00, kind: worklog, hours: 1.5 }]",
            "[{ at: 2026-03-02T10:05:00.5+03:00, kind: worklog, hours: 1.5 }]",
            "[{ at: 2026-03-02T10:05:00+03:00, kind: worklog, hours: .nan }]",
            "[{ at: 2026-03-02T10:05:00+03:00, kind: worklog, hours: -0.0 }]",
            "[{ at: 2026-03-02T10:05:00+03:00, kind: worklog, hours: 0.0 }]",
            "[{ at: 2026-03-02T10:05:00+03:00, kind: comment, note: '' }]",
            "[{ at: 2026-03-02T10:05:00+03:00, kind: comment }]",
            "[{ at: 2026-03-02T10:05:00+03:00, kind: assigned, engineer: x }]",
        ];
        let registered = [
            "2026-03-02T10:00:00+03:00",
            "2026-03-02T07:00:00Z",
            "2026-03-02T10:00:00.000+03:00",
            "2026-03-02T10:00:00+03:00:30",
        ];
        let mut tickets = Vec::new();
        for f in fields {
            for e in events {
                for r in registered {
                    let text = format!(
                        "id: T-1\ncustomer: c\nregistered: {r}\nfields: {f}\nevents: {e}\n"
                    );
                    // Some combinations are no valid ticket (a NaN number of hours).
                    if let Ok(t) = Ticket::from_str_named(&text, "t.yaml") {
                        tickets.push(t);
                    }
                }
            }
        }
        assert!(tickets.len() > 1000, "only {} tickets", tickets.len());
        for (bit, (name, get)) in TICKET_PROPS.iter().enumerate() {
            let mut by_key: HashMap<Vec<u8>, String> = HashMap::new();
            for t in &tickets {
                let mut k = Vec::new();
                assert!(ticket_key(bit, t, &mut k));
                let v = get(&TicketView::new(t));
                let mut enc = Vec::new();
                let shown = if encode(&v, &mut enc) {
                    format!("{enc:?}")
                } else {
                    format!("{v:?} {}", v.type_name())
                };
                if let Some(prev) = by_key.get(&k) {
                    assert_eq!(prev, &shown, "{}: equal keys, different values", name);
                } else {
                    by_key.insert(k, shown);
                }
            }
        }
    }

    #[test]
    fn every_ticket_property_has_a_key() {
        let t = Ticket::from_str_named(
            "id: T-1\ncustomer: c\nregistered: 2026-03-02T10:00:00+03:00\nfields: { a: 1 }\nattachments: [x]\nevents: [{ at: 2026-03-02T10:05:00+03:00, kind: worklog, hours: 1.5 }]\n",
            "t.yaml",
        )
        .unwrap();
        for (bit, (name, _)) in TICKET_PROPS.iter().enumerate() {
            assert!(ticket_key(bit, &t, &mut Vec::new()), "{name}");
        }
    }

    #[test]
    fn custom_values_are_not_plain_data() {
        #[derive(Clone)]
        struct Opaque;
        assert!(bytes(Dynamic::from(Opaque)).is_none());
        assert!(
            bytes(Dynamic::from_array(vec![
                1_i64.into(),
                Dynamic::from(Opaque)
            ]))
            .is_none()
        );
        assert!(
            bytes(Dynamic::from_map(
                [("x".into(), Dynamic::from(Opaque))].into_iter().collect()
            ))
            .is_none()
        );
    }
}

//! Compact JSON for an [`Evaluation`], written directly: the same bytes as
//! `serde_json::to_writer` (tested), at a fraction of the cost — bulk runs print a million
//! of them, and serde's generic path spent a sixth of their time escaping keys and
//! timestamps that never need it.

use chrono::{DateTime, FixedOffset};

use super::{AllowanceUsage, Evaluation, Finding, Instance, MetricResult, Severity};
use crate::instant::write_instant;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` (read little-endian) that needs escaping in a JSON
/// string: a control character, `"` or `\`. Exact up to the lowest such byte (a borrow
/// can only mark bytes above one), so exact as to whether there is one.
fn special(x: u64) -> u64 {
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    ((x.wrapping_sub(ONES * 0x20) & !x)
        | (quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash))
        & HIGH
}

/// Eight bytes as a little-endian word.
fn word(c: &[u8]) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&c[..8]);
    u64::from_le_bytes(w)
}

/// Whether any byte of `b` needs escaping in a JSON string, eight at a time.
fn needs_escape(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(8);
    let mut found = 0;
    for c in &mut chunks {
        found |= special(word(c));
    }
    let rest = chunks.remainder().len();
    if rest > 0 {
        found |= match b.len().checked_sub(8) {
            // The last eight bytes again: they end with the rest.
            Some(at) => special(word(&b[at..])),
            // Fewer than eight: only their own marks count.
            None => {
                let w = b.iter().rev().fold(0, |w, &c| (w << 8) | u64::from(c));
                special(w) & (HIGH >> (8 * (8 - rest)))
            }
        };
    }
    found != 0
}

/// Appends `s` as a JSON string.
fn string(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        // Rare: let serde_json escape it exactly as it would have.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        plain(out, s);
    }
}

/// Appends `s`, which needs no escaping, as a JSON string.
fn plain(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn opt_int(out: &mut Vec<u8>, n: Option<i64>) {
    match n {
        Some(n) => int(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

fn float(out: &mut Vec<u8>, x: f64) {
    let _ = serde_json::to_writer(&mut *out, &x);
}

fn time(out: &mut Vec<u8>, t: Option<&DateTime<FixedOffset>>) {
    match t {
        // RFC 3339 text needs no escaping.
        Some(t) => {
            out.push(b'"');
            write_instant(out, t);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends JSON text that needs no escaping (punctuation and keys).
fn key(out: &mut Vec<u8>, k: &str) {
    out.extend_from_slice(k.as_bytes());
}

fn metric(out: &mut Vec<u8>, m: &MetricResult) {
    key(out, "{\"name\":");
    string(out, &m.name);
    key(out, ",\"target\":");
    opt_string(out, m.target.as_deref());
    key(out, ",\"target_seconds\":");
    opt_int(out, m.target_seconds);
    key(out, ",\"started\":");
    time(out, m.started.as_ref());
    key(out, ",\"deadline\":");
    time(out, m.deadline.as_ref());
    key(out, ",\"stopped\":");
    time(out, m.stopped.as_ref());
    key(out, ",\"elapsed_seconds\":");
    int(out, m.elapsed_seconds);
    key(out, ",\"paused_seconds\":");
    int(out, m.paused_seconds);
    key(out, ",\"remaining_seconds\":");
    opt_int(out, m.remaining_seconds);
    key(out, ",\"status\":");
    // A name of ours, in plain ASCII (tested).
    plain(out, m.status.as_str());
    if let Some(c) = &m.calendar {
        key(out, ",\"calendar\":");
        string(out, c);
    }
    if let Some(instances) = &m.instances {
        key(out, ",\"instances\":[");
        for (i, x) in instances.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            instance(out, x);
        }
        out.push(b']');
    }
    if let Some(n) = m.instances_breached {
        key(out, ",\"instances_breached\":");
        int(out, n as i64);
    }
    out.push(b'}');
}

fn instance(out: &mut Vec<u8>, x: &Instance) {
    key(out, "{\"started\":");
    time(out, Some(&x.started));
    key(out, ",\"deadline\":");
    time(out, x.deadline.as_ref());
    key(out, ",\"stopped\":");
    time(out, x.stopped.as_ref());
    key(out, ",\"elapsed_seconds\":");
    int(out, x.elapsed_seconds);
    key(out, ",\"paused_seconds\":");
    int(out, x.paused_seconds);
    key(out, ",\"remaining_seconds\":");
    opt_int(out, x.remaining_seconds);
    key(out, ",\"status\":");
    plain(out, x.status.as_str());
    out.push(b'}');
}

fn allowance(out: &mut Vec<u8>, a: &AllowanceUsage) {
    key(out, "{\"name\":");
    string(out, &a.name);
    for (k, v) in [
        (",\"month\":", &a.month),
        (",\"per\":", &a.per),
        (",\"period\":", &a.period),
        (",\"period_from\":", &a.period_from),
        (",\"period_to\":", &a.period_to),
    ] {
        key(out, k);
        string(out, v);
    }
    for (k, v) in [
        (",\"included_hours\":", a.included_hours),
        (",\"carried_over_hours\":", a.carried_over_hours),
        (",\"used_hours\":", a.used_hours),
        (",\"approved_hours\":", a.approved_hours),
        (",\"unapproved_hours\":", a.unapproved_hours),
        (",\"remaining_hours\":", a.remaining_hours),
        (",\"over_hours\":", a.over_hours),
    ] {
        key(out, k);
        float(out, v);
    }
    for (k, v) in [
        (",\"overage_amount\":", &a.overage_amount),
        (",\"currency\":", &a.currency),
    ] {
        key(out, k);
        match v {
            Some(v) => string(out, v),
            None => out.extend_from_slice(b"null"),
        }
    }
    key(out, ",\"basis\":");
    string(out, &a.basis);
    out.push(b'}');
}

/// A severity as JSON text (its serde name, quoted: tested).
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "\"info\"",
        Severity::Warning => "\"warning\"",
        Severity::Error => "\"error\"",
    }
}

fn finding(out: &mut Vec<u8>, f: &Finding) {
    key(out, "{\"severity\":");
    key(out, severity(f.severity));
    key(out, ",\"code\":");
    string(out, &f.code);
    key(out, ",\"message\":");
    string(out, &f.message);
    if let Some(d) = &f.detail {
        key(out, ",\"detail\":");
        string(out, d);
    }
    out.push(b'}');
}

impl Evaluation {
    /// Appends the evaluation as compact JSON (one line, no newline): the bytes
    /// `serde_json::to_writer` would write, faster.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        if self.explain.is_some() {
            // The trace is rare in bulk: the generic path.
            let _ = serde_json::to_writer(&mut *out, self);
            return;
        }
        key(out, "{\"schema\":");
        plain(out, self.schema);
        key(out, ",\"ticket\":");
        string(out, &self.ticket);
        key(out, ",\"customer\":");
        string(out, &self.customer);
        key(out, ",\"contract\":{\"id\":");
        string(out, &self.contract.id);
        key(out, ",\"revision\":");
        string(out, &self.contract.revision);
        key(out, "},\"category\":{\"id\":");
        opt_string(out, self.category.id.as_deref());
        key(out, ",\"clause\":");
        opt_string(out, self.category.clause.as_deref());
        key(out, ",\"title\":");
        opt_string(out, self.category.title.as_deref());
        key(out, ",\"decided_by\":");
        string(out, &self.category.decided_by);
        out.push(b'}');
        if let Some(p) = &self.priority {
            key(out, ",\"priority\":");
            string(out, p);
        }
        key(out, ",\"at\":");
        time(out, Some(&self.at));
        key(out, ",\"metrics\":");
        out.push(b'[');
        for (i, m) in self.metrics.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            metric(out, m);
        }
        key(out, "],\"allowance\":");
        match &self.allowance {
            Some(a) => allowance(out, a),
            None => out.extend_from_slice(b"null"),
        }
        key(out, ",\"findings\":");
        out.push(b'[');
        for (i, f) in self.findings.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            finding(out, f);
        }
        out.extend_from_slice(b"]}");
    }
}

#[cfg(test)]
mod tests {
    use crate::contract::{self, DirLoader};
    use crate::eval::{Options, Severity, Status, evaluate_with};

    /// Strings of every length up to three words, with a character that needs escaping
    /// (or one next to those) at every place, and around multi-byte text: the same bytes
    /// as serde_json.
    #[test]
    fn strings_are_escaped_as_serde_json_does() {
        let odd = [
            '"', '\\', '\n', '\u{0}', '\u{1}', '\u{1f}', ' ', '!', '#', '[', ']', '\u{7f}', 'é',
            '€', '😀',
        ];
        let mut checked = 0;
        for len in 0..=24 {
            for at in 0..=len {
                for c in odd {
                    let mut s: String = "abcdefghijklmnopqrstuvwxyz"[..len].to_owned();
                    s.insert(at, c);
                    for s in [s.clone(), format!("ж{s}"), s.repeat(3)] {
                        let mut fast = Vec::new();
                        super::string(&mut fast, &s);
                        assert_eq!(fast, serde_json::to_vec(&s).unwrap(), "{s:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 5000, "{checked}");
    }

    /// The names written without a check need none.
    #[test]
    fn names_are_plain() {
        for status in [
            Status::Met,
            Status::Breached,
            Status::Running,
            Status::AtRisk,
            Status::Paused,
            Status::NotApplicable,
        ] {
            let mut fast = Vec::new();
            super::plain(&mut fast, status.as_str());
            assert_eq!(fast, serde_json::to_vec(&status).unwrap());
        }
        for severity in [Severity::Info, Severity::Warning, Severity::Error] {
            assert_eq!(
                super::severity(severity).as_bytes(),
                serde_json::to_vec(&severity).unwrap()
            );
        }
    }

    /// Every bundled case at each of its instants, and a ticket whose strings need
    /// escaping: the direct writer and serde_json agree byte for byte.
    #[test]
    fn the_same_bytes_as_serde_json() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let loader = DirLoader::new(root.join("contracts"));
        let mut checked = 0;
        for dir in std::fs::read_dir(root.join("tests/cases")).unwrap() {
            let dir = dir.unwrap().path();
            let id = dir.file_name().unwrap().to_string_lossy().into_owned();
            let c = contract::load(&loader, &id).unwrap();
            for file in std::fs::read_dir(&dir).unwrap() {
                let path = file.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let mut case =
                    crate::cases::parse(&text, "case.yaml", &Default::default()).unwrap();
                case.ticket.id = "T-\"quoted\"\n\\ é \u{1}".into();
                for at in &case.at {
                    let e = evaluate_with(&c, &case.ticket, *at, &Options::default());
                    let mut fast = Vec::new();
                    e.write_json(&mut fast);
                    let slow = serde_json::to_vec(&e).unwrap();
                    assert_eq!(
                        String::from_utf8_lossy(&fast),
                        String::from_utf8_lossy(&slow),
                        "{}",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }
}

//! Where each key and value of a YAML file is: a path → (line, column) index built from
//! the marked events of `yaml-rust2`. serde reports locations for errors it sees itself;
//! this index locates the mistakes found after parsing (an unknown metric, a category an
//! allowance names, a missing template) and the lines `--explain` cites.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// 1-based line and column.
pub type Pos = (usize, usize);

/// Positions of the keys and values of one YAML document, by path (`categories.x.resolve`;
/// list items by index: `scripts.0`).
#[derive(Debug, Default, Clone)]
pub struct YamlIndex {
    keys: HashMap<String, Pos>,
    values: HashMap<String, Pos>,
    duplicates: Vec<Duplicate>,
    /// The text of each anchored scalar, so that an alias used as a key is known.
    anchors: HashMap<usize, String>,
}

/// A key given twice in one mapping, as written (serde decides what counts as the same
/// key; this only says where).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The path of the mapping (`categories`; empty at the top level).
    pub mapping: String,
    /// The key.
    pub key: String,
    /// Where it is first given.
    pub first: Pos,
    /// Where it is given again.
    pub again: Pos,
}

enum Frame {
    Map {
        path: String,
        key: Option<String>,
        /// The keys given so far, and where.
        seen: Vec<(String, Pos)>,
    },
    Seq {
        path: String,
        index: usize,
    },
}

#[derive(Default)]
struct Builder {
    index: YamlIndex,
    stack: Vec<Frame>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Builder {
    /// The path of the value that starts now, and whether it is a mapping key.
    fn slot(&mut self) -> (Option<String>, bool) {
        match self.stack.last_mut() {
            None => (Some(String::new()), false),
            Some(Frame::Map { path, key, .. }) => match key.take() {
                None => (None, true),
                Some(k) => (Some(join(path, &k)), false),
            },
            Some(Frame::Seq { path, index }) => {
                let p = join(path, &index.to_string());
                *index += 1;
                (Some(p), false)
            }
        }
    }
}

impl Builder {
    /// Records the key `text` of the current mapping, and a second giving of it.
    fn key(&mut self, text: String, pos: Pos) {
        if let Some(Frame::Map { path, key, seen }) = self.stack.last_mut() {
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == text) {
                self.index.duplicates.push(Duplicate {
                    mapping: path.clone(),
                    key: text.clone(),
                    first: *first,
                    again: pos,
                });
            } else {
                seen.push((text.clone(), pos));
            }
            self.index.keys.insert(join(path, &text), pos);
            *key = Some(text);
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = (mark.line(), mark.col() + 1);
        match ev {
            Event::Scalar(text, _, anchor, _) => {
                if anchor > 0 {
                    self.index.anchors.insert(anchor, text.clone());
                }
                match self.slot() {
                    (None, true) => self.key(text, pos),
                    (Some(p), _) => {
                        self.index.values.insert(p, pos);
                    }
                    _ => {}
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let path = match self.slot() {
                    (Some(p), _) => p,
                    // A complex key: index under a placeholder, and what follows it in
                    // its mapping is its value.
                    (None, _) => {
                        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                            *key = Some("?".into());
                        }
                        "?".into()
                    }
                };
                self.index.values.insert(path.clone(), pos);
                self.stack.push(if is_map {
                    Frame::Map {
                        path,
                        key: None,
                        seen: Vec::new(),
                    }
                } else {
                    Frame::Seq { path, index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Alias(id) => {
                // An alias as a key stands for the anchored text.
                if let (None, true) = self.slot() {
                    let text = self.index.anchors.get(&id).cloned();
                    self.key(text.unwrap_or_else(|| "?".into()), pos);
                }
            }
            _ => {}
        }
    }
}

impl YamlIndex {
    /// Indexes `text`; a text that does not parse gives an empty index (serde reports
    /// the syntax error itself).
    pub fn build(text: &str) -> YamlIndex {
        let mut b = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut b, false).is_err() {
            return YamlIndex::default();
        }
        b.index
    }

    /// The keys given twice in one mapping, in file order.
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }

    /// Where the key at `path` is.
    pub fn key(&self, path: &str) -> Option<Pos> {
        self.keys.get(path).copied()
    }

    /// Where the value at `path` is (falling back to its key).
    pub fn value(&self, path: &str) -> Option<Pos> {
        self.values
            .get(path)
            .or_else(|| self.keys.get(path))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_keys_values_and_items() {
        let text =
            "a: 1\ncategories:\n  x.y: { resolve: 4h }\nscripts: [s1, s2]\nlist:\n  - k: v\n";
        let i = YamlIndex::build(text);
        assert_eq!(i.key("a"), Some((1, 1)));
        assert_eq!(i.value("a"), Some((1, 4)));
        assert_eq!(i.key("categories.x.y.resolve"), Some((3, 10)));
        assert_eq!(i.value("categories.x.y.resolve"), Some((3, 19)));
        assert_eq!(i.value("scripts.1"), Some((4, 15)));
        assert_eq!(i.key("list.0.k"), Some((6, 5)));
        assert!(i.duplicates().is_empty());
    }

    #[test]
    fn finds_a_key_given_twice_in_one_mapping() {
        // Keys spelt alike in different mappings, or with a dot, are not duplicates.
        let text = "a:\n  x.y: 1\n  x: { y: 2 }\nlist:\n  - k: 1\n  - k: 2\nb:\n  c: 1\n  d: 2\n  c: 3\n  d: 4\n";
        let i = YamlIndex::build(text);
        let at = |d: &Duplicate| (d.mapping.clone(), d.key.clone(), d.first, d.again);
        let found: Vec<_> = i.duplicates().iter().map(at).collect();
        assert_eq!(
            found,
            [
                ("b".into(), "c".into(), (8, 3), (10, 3)),
                ("b".into(), "d".into(), (9, 3), (11, 3))
            ]
        );
        let top = YamlIndex::build("a: 1\nb: 2\na: 3\n");
        assert_eq!(top.duplicates()[0].again, (3, 1));
    }

    #[test]
    fn an_alias_or_a_complex_key_keeps_keys_and_values_apart() {
        // An alias key is the anchored text; the values after it stay values.
        let text = "m:\n  &a assign: 1\nd:\n  *a : x\n  resolve: y\n";
        let i = YamlIndex::build(text);
        assert!(i.duplicates().is_empty(), "{:?}", i.duplicates());
        assert_eq!(i.key("d.assign"), Some((4, 3)));
        assert_eq!(i.value("d.resolve"), Some((5, 12)));
        let twice = YamlIndex::build("m:\n  &a k: 1\nd:\n  k: x\n  *a : y\n");
        assert_eq!(twice.duplicates()[0].again, (5, 3));
        let complex = YamlIndex::build("d:\n  ? [a, b]\n  : x\n  c: y\n  c: z\n");
        assert_eq!(complex.value("d.c"), Some((5, 6)));
        assert_eq!(complex.duplicates()[0].first, (4, 3));
    }
}

/// How deep `[…]` and `{…}` may nest in a file people write by hand.
pub(crate) const MAX_NESTING: usize = 64;

/// Refuses flow collections nested deeper than [`MAX_NESTING`] before the YAML parser
/// sees them: its scanner takes time quadratic in the depth, so a file of 100,000 `[`
/// would hang it for minutes. Quoted text and comments are skipped; the error points at
/// the bracket that went too deep.
pub(crate) fn check_nesting(text: &str, file: &str) -> Result<(), crate::InputError> {
    let (mut depth, mut line, mut col) = (0usize, 1usize, 0usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut prev = '\n';
    for ch in text.chars() {
        if ch == '\n' {
            (line, col, comment, prev) = (line + 1, 0, false, ch);
            continue;
        }
        col += 1;
        if comment {
            continue;
        }
        match quote {
            Some('"') if ch == '"' && prev != '\\' => quote = None,
            Some('\'') if ch == '\'' => quote = None,
            Some(_) => {}
            None => match ch {
                '#' if prev.is_whitespace() => comment = true,
                '"' | '\'' if prev.is_whitespace() || "[{,:".contains(prev) => quote = Some(ch),
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(crate::InputError::at(
                            format!(
                                "brackets nested more than {MAX_NESTING} levels deep: expected plain data like `[a, b]` or `{{ key: value }}`"
                            ),
                            file,
                            text,
                            line,
                            col,
                        ));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = ch;
    }
    Ok(())
}

#[cfg(test)]
mod nesting_tests {
    use super::check_nesting;

    #[test]
    fn deep_brackets_are_refused_at_the_bracket_and_text_is_not_counted() {
        let deep = format!("a: 1\nb: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let err = check_nesting(&deep, "x.yaml").unwrap_err();
        let loc = err.location.unwrap();
        assert_eq!((loc.line, loc.column), (2, 4 + 64));
        let ok = "a: [[1, 2], {b: [3]}]\nc: \"[[[[[[\" # [[[[[[[[\nd: it's [fine]\n";
        assert!(check_nesting(ok, "x.yaml").is_ok());
        let quoted = format!("a: '{}'\n", "[".repeat(1000));
        assert!(check_nesting(&quoted, "x.yaml").is_ok());
    }
}

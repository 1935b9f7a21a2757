//! Error types, one per layer, and the rendering of input errors a person can act on.
//!
//! Every mistake in a file someone edited by hand is an [`InputError`]: what was expected,
//! what was found, and where (file, line, column), rendered with the offending source line
//! underlined, in the style of `rustc` and `just`:
//!
//! ```text
//! error: expected a duration like `4h`, `2 working days` or `30m`, found `four hours`
//!  --> contracts/acme.yaml:12:14
//!    |
//! 12 |     resolve: four hours
//!    |              ^^^^^^^^^^
//! ```

use std::fmt;

/// A place in a source file: 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The file as the user would name it (e.g. `contracts/acme.yaml`).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column number (in characters).
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A mistake in the input (a contract, a ticket, a script, a command-line value).
///
/// `message` says what was expected and what was found; `location` says where, when the
/// input came from a file; `source_line` is the text of that line, kept for rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// What was expected and what was found.
    pub message: String,
    /// Where the mistake is, when it comes from a file.
    pub location: Option<Location>,
    /// The text of the offending line, for the snippet.
    pub source_line: Option<String>,
    /// How many characters to underline from `location.column` (at least 1).
    pub width: usize,
    /// An optional hint on how to fix it.
    pub help: Option<String>,
}

impl InputError {
    /// An error with a message and no location (e.g. a command-line value).
    pub fn new(message: impl Into<String>) -> Self {
        InputError {
            message: message.into(),
            location: None,
            source_line: None,
            width: 1,
            help: None,
        }
    }

    /// An error at `line`:`column` of `file`, whose text is `source` (used for the snippet).
    ///
    /// The underline covers the token that starts at the column (up to the end of a plain
    /// YAML scalar), so the reader sees exactly which value is wrong.
    pub fn at(
        message: impl Into<String>,
        file: impl Into<String>,
        source: &str,
        line: usize,
        column: usize,
    ) -> Self {
        let source_line = source
            .lines()
            .nth(line.saturating_sub(1))
            .map(str::to_owned);
        let width = source_line
            .as_deref()
            .map(|l| token_width(l, column))
            .unwrap_or(1);
        InputError {
            message: message.into(),
            location: Some(Location {
                file: file.into(),
                line,
                column,
            }),
            source_line,
            width,
            help: None,
        }
    }

    /// Adds a hint shown below the snippet.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the error as several lines: the message, `--> file:line:col`, the source
    /// line with the offending token underlined, and the hint. No colour, no trailing
    /// newline.
    pub fn render(&self) -> String {
        let mut out = format!("error: {}", self.message);
        if let Some(loc) = &self.location {
            let num = loc.line.to_string();
            let pad = " ".repeat(num.len());
            out.push_str(&format!("\n{pad}--> {loc}"));
            if let Some(text) = &self.source_line {
                // A very long line is shown as a window around the column.
                let chars: Vec<char> = text.chars().collect();
                let column = loc.column.saturating_sub(1).min(chars.len());
                let start = column.saturating_sub(SNIPPET / 2);
                let end = (start + SNIPPET).min(chars.len());
                // Control characters would disturb the terminal: show them as `�`.
                let mut shown: String = chars[start..end]
                    .iter()
                    .map(|&c| {
                        if c.is_control() && c != '\t' {
                            '�'
                        } else {
                            c
                        }
                    })
                    .collect();
                let mut lead = String::new();
                if start > 0 {
                    shown.insert(0, '…');
                    lead.push(' ');
                }
                if end < chars.len() {
                    shown.push('…');
                }
                let indent: String = lead
                    .chars()
                    .chain(chars[start..column].iter().copied())
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let width = self.width.max(1).min(end.saturating_sub(column).max(1));
                out.push_str(&format!(
                    "\n{pad} |\n{num} | {shown}\n{pad} | {indent}{}",
                    "^".repeat(width)
                ));
            }
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("\n  = help: {help}"));
        }
        out
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(f, "{loc}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// The most characters of a source line shown in a snippet.
const SNIPPET: usize = 120;

/// The width of the token starting at 1-based `column` of `line`: a quoted string up to
/// its closing quote, a flow collection up to its bracket, otherwise up to the end of a
/// plain scalar (a comment, `,`, `]` or `}` ends it). Trailing blanks are not underlined.
fn token_width(line: &str, column: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(column.saturating_sub(1)).collect();
    let Some(&first) = rest.first() else {
        return 1;
    };
    let width = match first {
        '"' | '\'' => rest
            .iter()
            .skip(1)
            .position(|&c| c == first)
            .map_or(rest.len(), |p| p + 2),
        '[' | '{' => {
            let close = if first == '[' { ']' } else { '}' };
            rest.iter()
                .position(|&c| c == close)
                .map_or(rest.len(), |p| p + 1)
        }
        _ => {
            let mut end = rest.len();
            for (i, &c) in rest.iter().enumerate() {
                let comment = c == '#' && i > 0 && rest[i - 1] == ' ';
                if comment || c == ',' || c == ']' || c == '}' {
                    end = i;
                    break;
                }
                if c == ':' && rest.get(i + 1).is_none_or(|n| *n == ' ') {
                    end = i;
                    break;
                }
            }
            let trimmed = rest[..end]
                .iter()
                .rev()
                .take_while(|c| c.is_whitespace())
                .count();
            end - trimmed
        }
    };
    width.max(1)
}

/// Everything that can go wrong in the library, by layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A mistake in a contract, ticket, script or argument (exit code 2).
    #[error("{0}")]
    Input(#[from] InputError),
    /// A file could not be read or written (exit code 2 for inputs the user named).
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file that could not be read.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Standard output could not be written (a closed pipe ends a command quietly).
    #[error("cannot write to standard output: {0}")]
    Output(#[source] std::io::Error),
    /// The ticket store failed (exit code 3).
    #[error("{path}: {message}")]
    Storage {
        /// The database file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The process exit code of this error (docs/commands.md).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Io { .. } => 2,
            Error::Storage { .. } | Error::Output(_) => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_snippet_under_the_token() {
        let src = "categories:\n  x:\n    resolve: four hours # typo\n";
        let err = InputError::at(
            "expected a duration like `4h`, `2 working days` or `30m`, found `four hours`",
            "contracts/acme.yaml",
            src,
            3,
            14,
        );
        assert_eq!(
            err.render(),
            "error: expected a duration like `4h`, `2 working days` or `30m`, found `four hours`\n --> contracts/acme.yaml:3:14\n  |\n3 |     resolve: four hours # typo\n  |              ^^^^^^^^^^"
        );
    }

    #[test]
    fn token_width_handles_quotes_and_flow() {
        assert_eq!(token_width(r#"a: "09:00-18:00" x"#, 4), 13);
        assert_eq!(token_width("a: [1, 2]", 4), 6);
        assert_eq!(token_width("a: b", 10), 1);
        assert_eq!(token_width("  mon-fri: x", 3), 7);
    }
}

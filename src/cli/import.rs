//! `slaengine ticket import --from jira|zendesk|redmine|zammad [--mapping FILE] PATH...`:
//! the saved pages of a help desk's API, read from files and directories, turned into
//! tickets by [`crate::import`] and stored in one transaction. Re-importing the same
//! pages updates the tickets in place (by id); nothing is written when a record is bad,
//! unless `--skip-bad` lists it and imports the rest.

use std::io::Write;
use std::path::Path;

use super::{Cli, Format, exit, output_error, write_machine};
use crate::error::{Error, InputError};
use crate::import::{Mapping, Pages, Source};
use crate::store::Store;

/// The page files named by `paths`: each file as given, and the `*.json` files of each
/// directory in name order.
fn page_files(paths: &[String]) -> Result<Vec<String>, Error> {
    let mut files = Vec::new();
    for path in paths {
        let p = Path::new(path);
        if !p.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(p).map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?;
        let mut inside = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::Io {
                path: path.clone(),
                source: e,
            })?;
            let file = entry.path();
            if file.is_file() && file.extension().is_some_and(|x| x == "json") {
                inside.push(file.display().to_string());
            }
        }
        if inside.is_empty() {
            return Err(InputError::new(format!(
                "{path}: expected saved pages (`*.json` files) in this directory, found none"
            ))
            .into());
        }
        inside.sort();
        files.extend(inside);
    }
    Ok(files)
}

/// Reads a file as text, saying so when it is not UTF-8.
fn read_text(file: &str) -> Result<String, Error> {
    let mut bytes = Vec::new();
    read_into(file, &mut bytes)?;
    String::from_utf8(bytes).map_err(|_| not_utf8(file))
}

/// Reads a file into `buffer` (emptied first).
fn read_into(file: &str, buffer: &mut Vec<u8>) -> Result<(), Error> {
    use std::io::Read;
    buffer.clear();
    std::fs::File::open(file)
        .and_then(|mut f| f.read_to_end(buffer))
        .map(|_| ())
        .map_err(|e| Error::Io {
            path: file.to_owned(),
            source: e,
        })
}

/// The error of a file that is not UTF-8.
fn not_utf8(file: &str) -> Error {
    InputError::new(format!(
        "{file}: expected UTF-8 text (the JSON a help desk's API returns), found invalid bytes"
    ))
    .into()
}

/// The page files, each read when the import needs it.
struct Files(Vec<String>);

impl Pages for Files {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn file(&self, i: usize) -> &str {
        &self.0[i]
    }
    fn text<'s>(&'s self, i: usize, buffer: &'s mut Vec<u8>) -> Result<&'s str, Error> {
        read_into(&self.0[i], buffer)?;
        std::str::from_utf8(buffer).map_err(|_| not_utf8(&self.0[i]))
    }
}

/// Runs `ticket import --from FROM [--mapping FILE] PATH...`.
pub fn run(
    cli: &Cli,
    from: &str,
    mapping: Option<&str>,
    paths: &[String],
    skip_bad: bool,
    unchecked: bool,
) -> Result<u8, Error> {
    let source = Source::parse(from)?;
    let mapping = match mapping {
        Some(file) => Mapping::parse(&read_text(file)?, file)?,
        None => Mapping::default(),
    };
    let files = Files(page_files(paths)?);
    let contracts = super::Contracts::new(&cli.contracts);
    // A mapped ticket its contract cannot evaluate is refused like any other import's.
    let check = |t: &crate::ticket::Ticket| match contracts.misfits(t).into_iter().next() {
        None => Ok(()),
        Some(m) => Err(InputError::new(format!(
            "{} (mapped from the {from} pages): {}",
            m.message,
            crate::ticket::UNCHECKED_HELP
        ))),
    };
    let unchecked_ok = |_: &crate::ticket::Ticket| Ok(());
    let check: &(dyn Fn(&crate::ticket::Ticket) -> Result<(), InputError> + Sync) =
        if unchecked { &unchecked_ok } else { &check };
    let mut skipped = 0usize;
    let n = crate::import::import_streaming(source, &files, &mapping, check, |items| {
        skipped = 0;
        let mut items = items
            .filter_map(|r| match r {
                Err(Error::Input(e)) if skip_bad => {
                    skipped += 1;
                    super::report(&Error::Input(e));
                    None
                }
                other => Some(other),
            })
            .peekable();
        // Refused before any ticket is stored (another help desk's pages, or the import
        // starting over): the database is not opened.
        if let Some(Err(_)) = items.peek()
            && let Some(Err(e)) = items.next()
        {
            return Err(e);
        }
        // The tickets are stored as they are mapped; an error after them leaves the
        // transaction uncommitted.
        Store::open(&cli.db)?.import(items, true)
    })??;
    let mut out = std::io::stdout().lock();
    if cli.format == Format::Human {
        let skipped = match skipped {
            0 => String::new(),
            1 => ", skipped 1 bad record".to_owned(),
            n => format!(", skipped {n} bad records"),
        };
        writeln!(
            out,
            "imported {n} ticket{} from {from} into {}{skipped}",
            if n == 1 { "" } else { "s" },
            cli.db.display()
        )
        .map_err(output_error)?;
    } else {
        let v = serde_json::json!({ "schema": "slaengine.ticket_import/v1", "imported": n, "skipped": skipped, "from": from });
        write_machine(&mut out, cli.format, &v, true).map_err(output_error)?;
    }
    Ok(exit::OK)
}

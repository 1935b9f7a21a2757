//! `slaengine ticket import --from jira|zendesk|redmine|zammad [--mapping FILE] PATH...`:
//! the saved pages of a help desk's API, read from files and directories, turned into
//! tickets by [`crate::import`] and stored in one transaction. Re-importing the same
//! pages updates the tickets in place (by id); nothing is written when a record is bad,
//! unless `--skip-bad` lists it and imports the rest.

use std::io::Write;
use std::path::Path;

use super::{Cli, Format, exit, output_error, write_machine};
use crate::error::{Error, InputError};
use crate::import::{Mapping, Page, Source};
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
    let bytes = std::fs::read(file).map_err(|e| Error::Io {
        path: file.to_owned(),
        source: e,
    })?;
    String::from_utf8(bytes).map_err(|_| {
        InputError::new(format!(
            "{file}: expected UTF-8 text (the JSON a help desk's API returns), found invalid bytes"
        ))
        .into()
    })
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
    let files = page_files(paths)?;
    let texts = files
        .iter()
        .map(|f| read_text(f))
        .collect::<Result<Vec<_>, _>>()?;
    let pages: Vec<Page<'_>> = files
        .iter()
        .zip(&texts)
        .map(|(file, text)| Page { file, text })
        .collect();
    let mut skipped = 0usize;
    let mut tickets = Vec::new();
    let contracts = super::Contracts::new(&cli.contracts);
    for r in crate::import::import(source, &pages, &mapping) {
        // A mapped ticket its contract cannot evaluate is refused like any other import's.
        let r = r.and_then(|t| {
            let misfits = if unchecked {
                Vec::new()
            } else {
                contracts.misfits(&t)
            };
            match misfits.into_iter().next() {
                None => Ok(t),
                Some(m) => Err(InputError::new(format!(
                    "{} (mapped from the {from} pages): {}",
                    m.message,
                    crate::ticket::UNCHECKED_HELP
                ))),
            }
        });
        match r {
            Ok(t) => tickets.push(t),
            Err(e) if skip_bad => {
                skipped += 1;
                super::report(&Error::Input(e));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let store = Store::open(&cli.db)?;
    let n = store.import(tickets.into_iter().map(Ok), true)?;
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

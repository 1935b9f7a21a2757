//! `slaengine validate [CONTRACT...]`: load contracts exactly as every other command
//! does and report each one's revision or its error with file, line and column.

use std::io::Write;

use serde::Serialize;

use super::{Cli, Format, exit, output_error, report, write_machine};
use crate::contract::{self, DirLoader, Loader};
use crate::error::Error;

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Contract ids (file stems) to check; all contracts when none are given.
    #[arg(value_name = "CONTRACT")]
    pub ids: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    schema: &'static str,
    contracts: Vec<Entry>,
    valid: usize,
    invalid: usize,
}

#[derive(Serialize)]
struct Entry {
    id: String,
    file: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    categories: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorEntry>,
}

#[derive(Serialize)]
struct ErrorEntry {
    message: String,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
}

/// Runs `validate`.
pub fn run(cli: &Cli, args: &Args) -> Result<u8, Error> {
    let loader = DirLoader::new(&cli.contracts);
    let ids = if args.ids.is_empty() {
        super::contract_ids(cli)?
    } else {
        args.ids.clone()
    };
    let mut entries = Vec::new();
    let mut out = anstream::stdout().lock();
    for id in &ids {
        let file = loader.display(&format!("{id}.yaml"));
        let entry = match contract::load(&loader, id) {
            Ok(c) => {
                if cli.format == Format::Human {
                    let ok = anstyle::AnsiColor::Green.on_default().bold();
                    writeln!(
                        out,
                        "{ok}ok{ok:#} {file} (revision {}, {}{})",
                        c.revision,
                        super::render::counted(c.categories.len(), "category", "categories"),
                        if c.extends.is_empty() {
                            String::new()
                        } else {
                            format!(", extends {}", c.extends.join(" → "))
                        }
                    )
                    .map_err(output_error)?;
                }
                Entry {
                    id: id.clone(),
                    file,
                    ok: true,
                    revision: Some(c.revision),
                    categories: Some(c.categories.len()),
                    error: None,
                }
            }
            Err(e) => {
                if cli.format == Format::Human {
                    report(&e);
                }
                let error = match &e {
                    Error::Input(i) => ErrorEntry {
                        message: i.message.clone(),
                        file: i.location.as_ref().map(|l| l.file.clone()),
                        line: i.location.as_ref().map(|l| l.line),
                        column: i.location.as_ref().map(|l| l.column),
                    },
                    other => ErrorEntry {
                        message: other.to_string(),
                        file: None,
                        line: None,
                        column: None,
                    },
                };
                Entry {
                    id: id.clone(),
                    file,
                    ok: false,
                    revision: None,
                    categories: None,
                    error: Some(error),
                }
            }
        };
        entries.push(entry);
    }
    let invalid = entries.iter().filter(|e| !e.ok).count();
    let report_value = Report {
        schema: "slaengine.validate/v1",
        valid: entries.len() - invalid,
        invalid,
        contracts: entries,
    };
    if cli.format != Format::Human {
        write_machine(&mut out, cli.format, &report_value, true).map_err(output_error)?;
    } else if ids.is_empty() {
        writeln!(out, "no contracts in {}", cli.contracts.display()).map_err(output_error)?;
    }
    Ok(if invalid > 0 {
        exit::BAD_INPUT
    } else {
        exit::OK
    })
}

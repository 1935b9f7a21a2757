//! `slaengine test [CONTRACT...] [--accept]`: every contract case evaluated with the
//! current contracts and compared with its snapshot; a unified diff per changed case.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Cli, Format, exit, output_error, report, write_machine};
use crate::cases;
use crate::contract::{self, Contract, DirLoader, Loader};
use crate::error::{Error, InputError};
use crate::ticket::DeclaredKinds;

/// Arguments of `test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Contract ids whose cases to run; all when none are given.
    #[arg(value_name = "CONTRACT")]
    pub ids: Vec<String>,
    /// Write missing snapshots and update changed ones instead of failing.
    #[arg(long)]
    pub accept: bool,
    /// The cases directory (`<contract>/<case>.yaml`); defaults to `tests/cases` beside
    /// the contracts directory.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// The snapshots directory; defaults to `snapshots` beside the contracts directory.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
}

/// Where the project's files are: the contracts directory's parent.
pub(crate) fn project_root(contracts: &Path) -> PathBuf {
    match contracts.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// How a path under the project root is shown (and recorded as `input_file`).
pub(crate) fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .ok()
        .filter(|_| root == Path::new("."))
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A case file as a snapshot's `input_file` names it: relative to the project root,
/// however either was given (absolute when the case lies outside the root).
fn input_file(root: &Path, path: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (root, path) = (absolute(root), absolute(path));
    match path.strip_prefix(&root) {
        // Forward slashes, as insta writes them, whatever the platform.
        Ok(inside) => inside
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}

/// One case file found on disk.
pub(crate) struct CaseFile {
    pub contract: String,
    pub name: String,
    pub path: PathBuf,
}

/// The case files under `dir`, by contract then name; only `ids` when given.
pub(crate) fn case_files(dir: &Path, ids: &[String]) -> Result<Vec<CaseFile>, Error> {
    let io = |e: std::io::Error| Error::Io {
        path: dir.display().to_string(),
        source: e,
    };
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Err(InputError::new(format!(
            "expected a directory of contract cases at `{}` (`<contract>/<case>.yaml`), found none",
            dir.display()
        ))
        .into());
    }
    let mut contracts: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .collect();
    contracts.sort_by_key(|e| e.file_name());
    for c in contracts {
        let contract = c.file_name().to_string_lossy().into_owned();
        if !ids.is_empty() && !ids.contains(&contract) {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(c.path())
            .map_err(io)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(CaseFile {
                contract: contract.clone(),
                name,
                path,
            });
        }
    }
    for id in ids {
        if !out.iter().any(|c| c.contract == *id) {
            return Err(InputError::new(format!(
                "no cases for contract `{id}`: expected files `{}`",
                dir.join(id).join("<case>.yaml").display()
            ))
            .into());
        }
    }
    Ok(out)
}

/// Refuses a case whose name would make its snapshot name ambiguous. Snapshot names join
/// contract and case with `__`; with no `__` in a case name and no `_` at its start, the
/// last `__` of a snapshot name ends the contract id, so no two cases share a snapshot
/// (`acme` + `eu__vip` and `acme__eu` + `vip` would, and so would `acme` + `_vip` and
/// `acme_` + `vip`).
fn check_snapshot_names(root: &Path, files: &[CaseFile]) -> Result<(), Error> {
    for f in files {
        if f.name.contains("__") || f.name.starts_with('_') {
            let better = f.name.replace("__", "-");
            return Err(InputError::new(format!(
                "{}: a case name cannot contain `__` or start with `_`: `__` separates the \
                 contract from the case in snapshot names, and `{}.snap` could also be \
                 another contract's case; rename the file, e.g. to `{}.yaml`",
                shown(root, &f.path),
                cases::snapshot_name(&f.contract, &f.name),
                better.trim_start_matches(['_', '-'])
            ))
            .into());
        }
    }
    Ok(())
}

/// Reads and parses a case, checking that its ticket belongs to the folder's contract
/// and names only the event kinds that `contract` allows.
pub(crate) fn read_case(
    root: &Path,
    f: &CaseFile,
    contract: Option<&Contract>,
) -> Result<cases::Case, Error> {
    let declared = contract.map_or_else(
        || DeclaredKinds {
            contract: Some(f.contract.clone()),
            ..DeclaredKinds::default()
        },
        Contract::declared_kinds,
    );
    let file = shown(root, &f.path);
    let text = std::fs::read_to_string(&f.path).map_err(|e| Error::Io {
        path: file.clone(),
        source: e,
    })?;
    let case = cases::parse(&text, &file, &declared)?;
    if case.ticket.customer != f.contract {
        return Err(InputError::new(format!(
            "{file}: the ticket's customer is `{}`, expected `{}` (the case's folder)",
            case.ticket.customer, f.contract
        ))
        .into());
    }
    Ok(case)
}

#[derive(Serialize)]
struct CaseReport {
    contract: String,
    case: String,
    file: String,
    snapshot: String,
    /// `passed`, `changed`, `missing`, `written`, `updated` or `error`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Summary {
    schema: &'static str,
    cases: Vec<CaseReport>,
    passed: usize,
    failed: usize,
    /// Snapshots that no case produces (a case renamed or deleted).
    orphans: Vec<String>,
    /// Contracts that no case covers.
    without_cases: Vec<String>,
}

/// The snapshots in `dir` that no case produces, among those of the contracts `ids`
/// (all when empty), as shown paths. A snapshot belongs to the longest contract id with
/// cases that its name starts with (then `__`), else to the text before its last `__`.
fn orphans(root: &Path, dir: &Path, cases_dir: &Path, ids: &[String]) -> Vec<String> {
    let Ok(all) = case_files(cases_dir, &[]) else {
        return Vec::new();
    };
    let expected: std::collections::HashSet<String> = all
        .iter()
        .map(|f| cases::snapshot_name(&f.contract, &f.name))
        .collect();
    // The longest contract with cases that the name starts with (then `__`): a snapshot
    // left by a case since renamed still goes to its contract. Otherwise the text before
    // the last `__`, which ends the contract id (see `check_snapshot_names`).
    let owner = |stem: &str| -> String {
        all.iter()
            .map(|f| f.contract.as_str())
            .filter(|c| stem.starts_with(&format!("{c}__")))
            .max_by_key(|c| c.len())
            .unwrap_or_else(|| stem.rsplit_once("__").map_or(stem, |(c, _)| c))
            .to_owned()
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "snap"))
        .filter(|p| {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy())
                .unwrap_or_default();
            !expected.contains(stem.as_ref()) && (ids.is_empty() || ids.contains(&owner(&stem)))
        })
        .map(|p| shown(root, &p))
        .collect();
    out.sort();
    out
}

/// A unified diff from the accepted body to the current one.
pub(crate) fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    // Bodies end without a newline; diff them as whole lines.
    let (old, new) = (format!("{old}\n"), format!("{new}\n"));
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

/// Colours a unified diff (stripped again when stdout is not a terminal).
pub(crate) fn coloured(diff: &str) -> String {
    use anstyle::AnsiColor::{Cyan, Green, Red};
    diff.lines()
        .map(|l| {
            let style = if l.starts_with("+++") || l.starts_with("---") {
                anstyle::Style::new().bold()
            } else if l.starts_with('+') {
                Green.on_default()
            } else if l.starts_with('-') {
                Red.on_default()
            } else if l.starts_with("@@") {
                Cyan.on_default()
            } else {
                anstyle::Style::new()
            };
            format!("{style}{l}{style:#}\n")
        })
        .collect()
}

/// Runs `test`.
pub fn run(cli: &Cli, args: &Args) -> Result<u8, Error> {
    let root = project_root(&cli.contracts);
    let cases_dir = args
        .cases
        .clone()
        .unwrap_or_else(|| root.join("tests").join("cases"));
    let snap_dir = args
        .snapshots
        .clone()
        .unwrap_or_else(|| root.join("snapshots"));
    let loader = DirLoader::new(&cli.contracts);
    let known = super::contract_ids(cli)?;
    for id in &args.ids {
        if !known.contains(id) {
            return Err(InputError::new(format!(
                "no contract `{id}`: expected a file `{}`{}",
                loader.display(&format!("{id}.yaml")),
                crate::suggest::did_you_mean(id, known.iter().map(String::as_str))
            ))
            .into());
        }
    }
    let files = case_files(&cases_dir, &args.ids)?;
    check_snapshot_names(&root, &files)?;
    // Contracts that no case covers (a contract named on the command line without
    // cases is refused by `case_files`).
    let without_cases: Vec<String> = known
        .iter()
        .filter(|id| args.ids.is_empty() && !files.iter().any(|f| f.contract == **id))
        .cloned()
        .collect();
    let mut contracts: BTreeMap<String, Result<Contract, String>> = BTreeMap::new();
    let mut reports = Vec::new();
    let mut bad_input = false;
    let human = cli.format == Format::Human;
    let mut out = anstream::stdout().lock();
    for f in &files {
        let snap_path = snap_dir.join(format!(
            "{}.snap",
            cases::snapshot_name(&f.contract, &f.name)
        ));
        let mut r = CaseReport {
            contract: f.contract.clone(),
            case: f.name.clone(),
            file: shown(&root, &f.path),
            snapshot: shown(&root, &snap_path),
            status: "passed",
            diff: None,
            error: None,
        };
        let contract = contracts.entry(f.contract.clone()).or_insert_with(|| {
            contract::load(&loader, &f.contract).map_err(|e| {
                report(&e);
                e.to_string()
            })
        });
        let case = read_case(&root, f, contract.as_ref().ok());
        let body = match (contract, case) {
            (Err(e), _) => Err(format!("the contract `{}` does not load: {e}", f.contract)),
            (_, Err(e)) => {
                report(&e);
                Err(e.to_string())
            }
            (Ok(c), Ok(case)) => Ok(cases::body(c, &case)),
        };
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                bad_input = true;
                r.status = "error";
                r.error = Some(e);
                reports.push(r);
                continue;
            }
        };
        let accepted = match std::fs::read_to_string(&snap_path) {
            Ok(text) => Some(cases::snapshot_body(&text).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(Error::Io {
                    path: r.snapshot.clone(),
                    source: e,
                });
            }
        };
        let label = format!("{}/{}", f.contract, f.name);
        match accepted {
            Some(old) if old == body => {}
            Some(old) => {
                let diff = unified(&old, &body, &r.snapshot, &format!("{label} (now)"));
                r.status = if args.accept { "updated" } else { "changed" };
                r.diff = Some(diff);
            }
            None => r.status = if args.accept { "written" } else { "missing" },
        }
        if args.accept && matches!(r.status, "updated" | "written") {
            if let Some(dir) = snap_path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::Io {
                    path: dir.display().to_string(),
                    source: e,
                })?;
            }
            let text = cases::snapshot_file(&input_file(&root, &f.path), &body);
            // Write beside, then rename: a snapshot is never half-written.
            let tmp = snap_path.with_extension("snap.tmp");
            std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, &snap_path))
                .map_err(|e| Error::Io {
                    path: r.snapshot.clone(),
                    source: e,
                })?;
        }
        if human {
            let red = anstyle::AnsiColor::Red.on_default().bold();
            let line = match r.status {
                "changed" => format!("{red}FAILED{red:#} {label}: the evaluation changed"),
                "missing" => format!(
                    "{red}FAILED{red:#} {label}: no snapshot `{}` (run `slaengine test --accept` to write it)",
                    r.snapshot
                ),
                "updated" => format!("updated {label} → {}", r.snapshot),
                "written" => format!("written {label} → {}", r.snapshot),
                _ => String::new(),
            };
            if !line.is_empty() {
                writeln!(out, "{line}").map_err(output_error)?;
            }
            if let Some(diff) = &r.diff {
                write!(out, "{}", coloured(diff)).map_err(output_error)?;
            }
        }
        reports.push(r);
    }
    let failed = reports
        .iter()
        .filter(|r| matches!(r.status, "changed" | "missing" | "error"))
        .count();
    let passed = reports.len() - failed;
    let orphans = orphans(&root, &snap_dir, &cases_dir, &args.ids);
    if human {
        for o in &orphans {
            writeln!(
                out,
                "orphan snapshot `{o}`: no case produces it (delete it, or restore its case)"
            )
            .map_err(output_error)?;
        }
        for id in &without_cases {
            writeln!(
                out,
                "no cases for contract `{id}`: add `{}`",
                shown(&root, &cases_dir.join(id).join("<case>.yaml"))
            )
            .map_err(output_error)?;
        }
        writeln!(out, "{passed} passed, {failed} failed").map_err(output_error)?;
    } else {
        let summary = Summary {
            schema: "slaengine.test/v1",
            cases: reports,
            passed,
            failed,
            orphans,
            without_cases,
        };
        write_machine(&mut out, cli.format, &summary, true).map_err(output_error)?;
    }
    Ok(if bad_input {
        exit::BAD_INPUT
    } else if failed > 0 {
        exit::CHECK_FAILED
    } else {
        exit::OK
    })
}

//! The command-line adapter (feature `cli`): one file per subcommand, each parsing its
//! arguments, calling the library and printing in the requested format.

mod calendar;
mod cases;
mod diff;
mod evaluate;
mod import;
mod init;
mod render;
mod report;
mod ticket;
mod validate;
mod watch;

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, InputError};

/// Executable technical-support contracts: working-time deadlines, statuses and
/// allowances for tickets.
#[derive(Debug, Parser)]
#[command(name = "slaengine", version, about, max_term_width = 100)]
pub struct Cli {
    /// The directory of contract files (templates in its `templates/` folder).
    #[arg(
        long,
        global = true,
        env = "SLAENGINE_CONTRACTS",
        default_value = "contracts"
    )]
    pub contracts: PathBuf,

    /// Output format (`report` also prints csv, markdown and html; `watch` prints human or jsonl;
    /// `schema` always JSON).
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// The ticket database (redb).
    #[arg(
        long,
        global = true,
        env = "SLAENGINE_DB",
        default_value = "slaengine.redb"
    )]
    pub db: PathBuf,

    /// Whether the database was named (`--db` or `$SLAENGINE_DB`) rather than left at its
    /// default: `diff` and `watch` do without a default database that does not exist, not
    /// without a named one.
    #[arg(skip)]
    pub db_named: bool,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's command line (exiting with clap's message on a usage error),
    /// noting whether the database was named.
    pub fn from_env() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command().get_matches();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        cli.db_named = matches!(
            matches.value_source("db"),
            Some(clap::parser::ValueSource::CommandLine | clap::parser::ValueSource::EnvVariable)
        );
        cli
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A compact table for people, coloured on a terminal (NO_COLOR respected).
    Human,
    /// Pretty JSON, one document per result.
    Json,
    /// YAML documents separated by `---`.
    Yaml,
    /// One compact JSON object per line.
    Jsonl,
    /// CSV (`report` only).
    #[value(hide = true)]
    Csv,
    /// Markdown tables (`report` only).
    #[value(hide = true)]
    Markdown,
    /// One self-contained HTML page (`report` only).
    #[value(hide = true)]
    Html,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check contracts and their templates; print each one's revision or its errors.
    Validate(validate::Args),
    /// Evaluate tickets against their customers' contracts.
    Evaluate(evaluate::Args),
    /// Working-time arithmetic on a contract's calendar.
    #[command(subcommand)]
    Calendar(calendar::Command),
    /// Record tickets and their events in the ticket database.
    #[command(subcommand)]
    Ticket(ticket::Command),
    /// A customer's report for a month, a quarter or a year: results per category and
    /// metric, compliance, credits, allowances, breaches, the scripts' findings.
    #[command(after_help = "Formats: human, json, yaml, jsonl, csv, markdown, html (--format)")]
    Report(report::Args),
    /// Evaluate every contract case and compare it with its snapshot (`--accept` writes
    /// them).
    Test(cases::Args),
    /// Print the JSON Schema of the contract format (for editors: see the README).
    #[command(after_help = "Format: JSON, whatever --format says")]
    Schema,
    /// What an edit of the contracts changes: every stored ticket and case evaluated
    /// under the base and the current contracts.
    Diff(diff::Args),
    /// Keep the contracts loaded, reload them when their files change, and report
    /// tickets at risk or breached (until SIGINT or SIGTERM).
    #[command(after_help = "Formats: human, jsonl (--format)")]
    Watch(watch::Args),
    /// Create a contracts project of its own: the standard template, an example
    /// customer with a case per category, a README and a CI check.
    Init(init::Args),
}

/// The exit codes (docs/commands.md).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// A check failed.
    pub const CHECK_FAILED: u8 = 1;
    /// Bad input or usage.
    pub const BAD_INPUT: u8 = 2;
    /// Storage or internal error.
    pub const INTERNAL: u8 = 3;
}

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> u8 {
    // A bug (or a library that panics on a damaged file) ends the command with a message
    // and exit code 3, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        if crate::store::catching_panics() {
            return;
        }
        let _ = writeln!(
            anstream::stderr(),
            "error: internal error, please report it: {info}"
        );
    }));
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_command(cli)))
        .unwrap_or(exit::INTERNAL)
}

fn run_command(cli: Cli) -> u8 {
    let tables = matches!(cli.format, Format::Csv | Format::Markdown | Format::Html);
    if tables && !matches!(cli.command, Command::Report(_)) {
        report(&Error::Input(InputError::new(
            "--format csv, markdown and html are for `report`: expected human, json, yaml or jsonl",
        )));
        return exit::BAD_INPUT;
    }
    let needs_contracts = !matches!(
        cli.command,
        Command::Ticket(_) | Command::Schema | Command::Init(_)
    );
    if needs_contracts && !cli.contracts.is_dir() {
        report(&Error::Input(no_contracts_dir(&cli.contracts)));
        return exit::BAD_INPUT;
    }
    let result = match &cli.command {
        Command::Validate(args) => validate::run(&cli, args),
        Command::Evaluate(args) => evaluate::run(&cli, args),
        Command::Calendar(cmd) => calendar::run(&cli, cmd),
        Command::Ticket(cmd) => ticket::run(&cli, cmd),
        Command::Report(args) => report::run(&cli, args),
        Command::Watch(args) => watch::run(&cli, args),
        Command::Test(args) => cases::run(&cli, args),
        Command::Diff(args) => diff::run(&cli, args),
        Command::Init(args) => init::run(&cli, args),
        Command::Schema => {
            let schema = crate::contract::contract_schema();
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &schema)
                .map_err(|e| output_error(e.into()))
                .and_then(|()| writeln!(out).map_err(output_error))
                .map(|()| exit::OK)
        }
    };
    match result {
        Ok(code) => code,
        // Output piped into `head` and the like: stop quietly.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            report(&e);
            match e.exit_code() {
                2 => exit::BAD_INPUT,
                _ => exit::INTERNAL,
            }
        }
    }
}

/// The error for a contracts directory that is not there: where slaengine looked and the
/// two ways to point it elsewhere.
pub(crate) fn no_contracts_dir(dir: &std::path::Path) -> InputError {
    InputError::new(format!(
        "no contracts directory `{}`: expected a directory of contracts (`<customer>.yaml` and `templates/`); run slaengine in the project that holds `contracts/`, or name the directory with `--contracts DIR` or the environment variable SLAENGINE_CONTRACTS (`slaengine init DIR` creates a new project)",
        dir.display()
    ))
}

/// The ids of the contracts in the contracts directory, sorted; a missing directory is
/// bad input that says how to name another.
pub(crate) fn contract_ids(cli: &Cli) -> Result<Vec<String>, Error> {
    use crate::contract::Loader;
    if !cli.contracts.is_dir() {
        return Err(no_contracts_dir(&cli.contracts).into());
    }
    crate::contract::DirLoader::new(&cli.contracts)
        .contract_ids()
        .map_err(|e| Error::Io {
            path: cli.contracts.display().to_string(),
            source: e,
        })
}

/// Prints an error to stderr, rendered with its snippet, in colour on a terminal.
pub(crate) fn report(e: &Error) {
    let text = match e {
        Error::Input(input) => input.render(),
        other => format!("error: {other}"),
    };
    let mut err = anstream::stderr();
    let red = anstyle::AnsiColor::Red.on_default().bold();
    let text = match text.strip_prefix("error:") {
        Some(rest) => format!("{red}error{red:#}:{rest}"),
        None => text,
    };
    let _ = writeln!(err, "{text}");
}

/// Parses an RFC 3339 instant given on the command line.
pub(crate) fn parse_time(flag: &str, text: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|_| {
            InputError::new(format!(
                "{flag}: expected a time like `2026-03-06T16:40:00+03:00` (RFC 3339, with an offset), found `{text}`"
            ))
            .into()
        })
}

/// The evaluation instant: `--at`, or now (to the second).
pub(crate) fn instant(at: Option<&str>) -> Result<DateTime<Utc>, Error> {
    use chrono::SubsecRound;
    match at {
        Some(text) => parse_time("--at", text),
        None => Ok(Utc::now().trunc_subsecs(0)),
    }
}

/// Writes one result in a machine format; `first` tells whether a YAML separator is due.
pub(crate) fn write_machine<T: serde::Serialize>(
    out: &mut impl Write,
    format: Format,
    value: &T,
    first: bool,
) -> std::io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, value)?;
            out.write_all(b"\n")
        }
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, value)?;
            out.write_all(b"\n")
        }
        Format::Yaml => {
            if !first {
                out.write_all(b"---\n")?;
            }
            let text = serde_yaml::to_string(value).map_err(std::io::Error::other)?;
            out.write_all(text.as_bytes())
        }
        Format::Human | Format::Csv | Format::Markdown | Format::Html => Ok(()),
    }
}

/// Turns a failed write to stdout into an error (a closed pipe ends quietly).
pub(crate) fn output_error(e: std::io::Error) -> Error {
    Error::Output(e)
}

/// A live count on stderr (`12,345 tickets imported (3s)`) when stderr is a
/// terminal; a hidden bar, which prints nothing, otherwise.
pub(crate) fn progress(what: &'static str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let style = indicatif::ProgressStyle::with_template("{spinner} {human_pos} {msg} ({elapsed})")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    let bar = indicatif::ProgressBar::new_spinner()
        .with_style(style)
        .with_message(what);
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

/// Opens an input named on the command line: a file, or `-` for standard input. Returns
/// the name to use in messages and a buffered reader.
pub(crate) fn open_input(file: &str) -> Result<(String, Box<dyn std::io::BufRead + Send>), Error> {
    if file == "-" {
        return Ok((
            "standard input".into(),
            Box::new(std::io::BufReader::with_capacity(1 << 16, std::io::stdin())),
        ));
    }
    let f = std::fs::File::open(file).map_err(|e| Error::Io {
        path: file.to_owned(),
        source: e,
    })?;
    Ok((
        file.to_owned(),
        Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
    ))
}

/// The event kinds each ticket may name, from its customer's contract in `dir` (loaded
/// once per customer, and only for tickets that name a kind that is not built in).
pub(crate) fn contract_kinds(dir: &std::path::Path) -> crate::ticket::KindsOf {
    Contracts::new(dir).kinds()
}

/// A customer's contract as [`Contracts`] found it.
enum Found {
    Loaded(std::sync::Arc<crate::contract::Contract>),
    /// No file for it: the message, with the nearest contract id.
    Missing(String),
    /// A file that does not load: the message.
    Broken(String),
}

/// The contracts of a directory, each loaded once, on first use, and shared by what the
/// commands that store tickets check: the event kinds a ticket may name and whether its
/// contract can evaluate it.
pub(crate) struct Contracts {
    loader: crate::contract::DirLoader,
    found: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<Found>>>,
}

impl Contracts {
    /// The contracts of `dir`, none loaded yet.
    pub(crate) fn new(dir: &std::path::Path) -> std::sync::Arc<Contracts> {
        std::sync::Arc::new(Contracts {
            loader: crate::contract::DirLoader::new(dir),
            found: std::sync::Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// The contract of `customer`, loaded on first use.
    fn get(&self, customer: &str) -> std::sync::Arc<Found> {
        use crate::loader::Loader;
        let cached = self
            .found
            .lock()
            .ok()
            .and_then(|m| m.get(customer).cloned());
        if let Some(found) = cached {
            return found;
        }
        let found = std::sync::Arc::new(match crate::contract::load(&self.loader, customer) {
            Ok(c) => Found::Loaded(std::sync::Arc::new(c)),
            Err(e) if matches!(self.loader.read(&format!("{customer}.yaml")), Ok(None)) => {
                let ids = self.loader.contract_ids().unwrap_or_default();
                let hint = crate::suggest::did_you_mean(customer, ids.iter().map(String::as_str));
                Found::Missing(format!("{e}{hint}"))
            }
            Err(e) => Found::Broken(format!(
                "the contract `{customer}` does not load: {e} (`slaengine validate {customer}` shows where)"
            )),
        });
        if let Ok(mut m) = self.found.lock() {
            m.insert(customer.to_owned(), found.clone());
        }
        found
    }

    /// The event kinds each ticket may name (see [`contract_kinds`]).
    pub(crate) fn kinds(self: &std::sync::Arc<Self>) -> crate::ticket::KindsOf {
        use crate::ticket::DeclaredKinds;
        let this = self.clone();
        std::sync::Arc::new(move |ticket: &crate::ticket::Ticket| {
            match &*this.get(&ticket.customer) {
                Found::Loaded(c) => c.declared_kinds(),
                Found::Missing(_) | Found::Broken(_) => DeclaredKinds {
                    contract: Some(ticket.customer.clone()),
                    ..DeclaredKinds::default()
                },
            }
        })
    }

    /// What keeps each ticket from being stored: no contract for its customer, or what
    /// [`crate::store::check::misfits`] finds against it.
    pub(crate) fn misfits(&self, ticket: &crate::ticket::Ticket) -> Vec<crate::ticket::Misfit> {
        use crate::ticket::{Misfit, Part};
        match &*self.get(&ticket.customer) {
            Found::Loaded(c) => crate::store::check::misfits(ticket, c),
            Found::Missing(why) | Found::Broken(why) => vec![Misfit {
                message: format!("ticket `{}`: {why}", ticket.id),
                part: Part::Customer,
            }],
        }
    }

    /// [`Contracts::misfits`] as a check for the ticket readers.
    pub(crate) fn check(self: &std::sync::Arc<Self>) -> crate::ticket::CheckOf {
        let this = self.clone();
        std::sync::Arc::new(move |ticket: &crate::ticket::Ticket| this.misfits(ticket))
    }
}

//! `slaengine diff --base DIR|GIT-REV [CONTRACT...]`: what an edit of the contracts
//! changes. The contract set at the base (a directory, or a git revision read with
//! `git show`, the working tree untouched) and the current one are evaluated at the same
//! instant over every stored ticket of the customers whose contract changed and every
//! contract case; the report lists per ticket what moved (category, each metric's target,
//! deadline and status, the allowance) with a summary per customer.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::cases::{case_files, project_root, read_case};
use super::{Cli, Format, exit, output_error, render, write_machine};
use crate::cases;
use crate::contract::{self, Contract, DirLoader, Loader};
use crate::error::{Error, InputError};
use crate::eval::{CustomerUsage, Evaluation, Options, Status, evaluate_in};
use crate::store::Store;
use crate::ticket::Ticket;

/// What makes `diff` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// A ticket newly breached.
    Breach,
    /// Any ticket or case changed.
    Change,
}

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The contracts to compare with: a contracts directory, or a git revision (`HEAD`,
    /// `main`, `v1.2`) of the repository the contracts are in.
    #[arg(long, value_name = "DIR|GIT-REV")]
    pub base: String,
    /// Contract ids to compare; all when none are given.
    #[arg(value_name = "CONTRACT")]
    pub ids: Vec<String>,
    /// The instant both sides are evaluated at (RFC 3339); defaults to now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Exit 1 when a ticket is newly breached (`breach`) or anything changed (`change`).
    #[arg(long, value_name = "WHAT")]
    pub fail_on: Option<FailOn>,
}

/// `git -C dir`, with messages in English (they are matched).
fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir).env("LC_ALL", "C");
    c
}

/// Contract files at a git revision, read with `git show` (cached): the working tree is
/// not touched.
struct GitLoader {
    /// The commit, resolved once.
    rev: String,
    /// The revision as the user gave it, for messages.
    label: String,
    contracts: PathBuf,
    root: PathBuf,
    cache: Mutex<HashMap<(bool, String), Option<String>>>,
}

impl GitLoader {
    fn new(rev: &str, contracts: &Path) -> Result<GitLoader, String> {
        let root = project_root(contracts);
        let out = git(contracts)
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{rev}^{{commit}}"))
            .output()
            .map_err(|e| format!("git could not be run: {e}"))?;
        let commit = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !out.status.success() || commit.is_empty() {
            return Err(format!(
                "no commit `{rev}` in the git repository of `{}`",
                contracts.display()
            ));
        }
        Ok(GitLoader {
            // Resolved once: every file is read from the same commit.
            rev: commit,
            label: rev.to_owned(),
            contracts: contracts.to_path_buf(),
            root,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn show(&self, in_root: bool, path: &str) -> std::io::Result<Option<String>> {
        let key = (in_root, path.to_owned());
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let dir = if in_root { &self.root } else { &self.contracts };
        let out = git(dir)
            .arg("show")
            .arg(format!("{}:./{path}", self.rev))
            .output()?;
        let text =
            if out.status.success() {
                Some(String::from_utf8(out.stdout).map_err(|e| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
                })?)
            } else {
                let err = String::from_utf8_lossy(&out.stderr);
                if err.contains("does not exist") || err.contains("but not in") {
                    None
                } else {
                    return Err(std::io::Error::other(err.trim().to_owned()));
                }
            };
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, text.clone());
        }
        Ok(text)
    }
}

impl Loader for GitLoader {
    fn read(&self, path: &str) -> std::io::Result<Option<String>> {
        self.show(false, path)
    }

    fn read_root(&self, path: &str) -> std::io::Result<Option<String>> {
        self.show(true, path)
    }

    fn contract_ids(&self) -> std::io::Result<Vec<String>> {
        let out = git(&self.contracts)
            .args(["ls-tree", "--name-only", &self.rev])
            .output()?;
        if !out.status.success() {
            return Err(std::io::Error::other(
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ));
        }
        let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_suffix(".yaml"))
            .map(str::to_owned)
            .collect();
        ids.sort();
        Ok(ids)
    }

    fn template_names(&self) -> std::io::Result<Vec<String>> {
        let out = git(&self.contracts)
            .args(["ls-tree", "--name-only", &self.rev, "templates/"])
            .output()?;
        if !out.status.success() {
            return Err(std::io::Error::other(
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ));
        }
        let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("templates/"))
            .filter_map(|l| l.strip_suffix(".yaml"))
            .map(str::to_owned)
            .collect();
        names.sort();
        Ok(names)
    }

    fn display(&self, path: &str) -> String {
        format!("{}:{}", self.label, self.contracts.join(path).display())
    }

    fn display_root(&self, path: &str) -> String {
        format!("{}:{path}", self.label)
    }
}

/// One thing that moved for a ticket.
#[derive(Debug, Serialize)]
struct Change {
    /// `category`, `target`, `deadline`, `status`, `instances_breached` (of a recurring
    /// metric: "2 of 5") or `allowance`.
    field: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Debug, Serialize)]
struct TicketDiff {
    ticket: String,
    changes: Vec<Change>,
}

#[derive(Debug, Default, Serialize)]
struct ContractDiff {
    id: String,
    /// `changed`, `unchanged`, `added`, `removed` or `error`.
    status: &'static str,
    base_revision: Option<String>,
    revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    tickets_evaluated: usize,
    tickets_changed: usize,
    newly_breached: usize,
    newly_met: usize,
    /// Met ÷ (met + breached) over every metric of the evaluated tickets, in percent.
    compliance_before: Option<f64>,
    compliance_after: Option<f64>,
    tickets: Vec<TicketDiff>,
    cases_changed: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    schema: &'static str,
    base: String,
    at: String,
    contracts: Vec<ContractDiff>,
    tickets_changed: usize,
    newly_breached: usize,
    newly_met: usize,
    cases_changed: usize,
}

fn text(t: Option<DateTime<chrono::FixedOffset>>) -> Option<String> {
    t.as_ref().map(crate::instant::instant_text)
}

/// What moved between two evaluations of one ticket.
fn changes(before: &Evaluation, after: &Evaluation) -> Vec<Change> {
    let mut out = Vec::new();
    if before.category.id != after.category.id {
        out.push(Change {
            field: "category",
            metric: None,
            before: before.category.id.clone(),
            after: after.category.id.clone(),
        });
    }
    let names: BTreeSet<&str> = before
        .metrics
        .iter()
        .chain(&after.metrics)
        .map(|m| m.name.as_str())
        .collect();
    for name in names {
        let b = before.metrics.iter().find(|m| m.name == name);
        let a = after.metrics.iter().find(|m| m.name == name);
        let mut push = |field, x: Option<String>, y: Option<String>| {
            if x != y {
                out.push(Change {
                    field,
                    metric: Some(name.to_owned()),
                    before: x,
                    after: y,
                });
            }
        };
        push(
            "target",
            b.and_then(|m| m.target.clone()),
            a.and_then(|m| m.target.clone()),
        );
        push(
            "deadline",
            b.and_then(|m| text(m.deadline)),
            a.and_then(|m| text(m.deadline)),
        );
        push(
            "status",
            b.map(|m| m.status.as_str().to_owned()),
            a.map(|m| m.status.as_str().to_owned()),
        );
        let breached = |m: Option<&crate::eval::MetricResult>| {
            m.and_then(|m| m.instances_breached)
                .map(|n| format!("{n} of {}", m.map_or(0, |m| outcomes(m).len())))
        };
        push("instances_breached", breached(b), breached(a));
    }
    let allowance = |e: &Evaluation| {
        e.allowance.as_ref().map(|u| {
            let overage = match (&u.overage_amount, &u.currency) {
                (Some(amount), Some(currency)) => format!(" ({amount} {currency})"),
                _ => String::new(),
            };
            format!(
                "{}: {} h used of {} h in the {} {}, {} h over{overage}",
                u.name, u.used_hours, u.included_hours, u.per, u.period, u.over_hours
            )
        })
    };
    let (x, y) = (allowance(before), allowance(after));
    if x != y {
        out.push(Change {
            field: "allowance",
            metric: None,
            before: x,
            after: y,
        });
    }
    out
}

/// Whether some metric's status (or an instance's, of a recurring metric, by its number)
/// went from `before` to `after` as `moved` says (missing on one side counts as not
/// applicable there).
fn moved_from_to(
    before: &Evaluation,
    after: &Evaluation,
    moved: impl Fn(Status, Status) -> bool,
) -> bool {
    let statuses = |e: &Evaluation, name: &str| {
        e.metrics
            .iter()
            .find(|m| m.name == name)
            .map_or_else(Vec::new, outcomes)
    };
    after.metrics.iter().chain(&before.metrics).any(|m| {
        let (b, a) = (statuses(before, &m.name), statuses(after, &m.name));
        let at = |s: &[Status], i: usize| s.get(i).copied().unwrap_or(Status::NotApplicable);
        (0..b.len().max(a.len()).max(1)).any(|i| moved(at(&b, i), at(&a, i)))
    })
}

/// The statuses a metric result stands for: each instance of a recurring metric, else
/// the result's own.
fn outcomes(m: &crate::eval::MetricResult) -> Vec<Status> {
    match &m.instances {
        Some(instances) => instances.iter().map(|i| i.status).collect(),
        None => vec![m.status],
    }
}

/// Met and breached metrics of an evaluation (each instance of a recurring one), for
/// compliance.
fn tally(e: &Evaluation, met: &mut usize, breached: &mut usize) {
    for status in e.metrics.iter().flat_map(outcomes) {
        match status {
            Status::Met => *met += 1,
            Status::Breached => *breached += 1,
            _ => {}
        }
    }
}

fn percent(met: usize, breached: usize) -> Option<f64> {
    (met + breached > 0).then(|| (met as f64 * 1000.0 / (met + breached) as f64).round() / 10.0)
}

/// Both sides of one changed contract.
struct Sides {
    base: Contract,
    current: Contract,
}

/// Tickets per batch evaluated in parallel.
const BATCH: usize = 4096;

/// Evaluates `batch` under both sides on every core; returns the pairs in order.
fn evaluate_batch(
    batch: &[Ticket],
    sides: &BTreeMap<String, Sides>,
    usage: &HashMap<String, (CustomerUsage, CustomerUsage)>,
    at: DateTime<Utc>,
) -> Vec<(Evaluation, Evaluation)> {
    let options = Options::default();
    crate::parallel::map(batch, |t| {
        let side = sides.get(&t.customer)?;
        let (ub, uc) = usage
            .get(&t.customer)
            .map_or((None, None), |(b, c)| (Some(b), Some(c)));
        Some((
            evaluate_in(&side.base, t, at, &options, ub),
            evaluate_in(&side.current, t, at, &options, uc),
        ))
    })
}

/// Runs `diff`.
pub fn run(cli: &Cli, args: &Args) -> Result<u8, Error> {
    let at = super::instant(args.at.as_deref())?;
    // Without a database only the cases are compared; a database named but missing is
    // a mistake, not an empty one.
    if cli.db_named && !cli.db.exists() {
        return Err(crate::store::missing(&cli.db).into());
    }
    let current = DirLoader::new(&cli.contracts);
    let base: Box<dyn Loader> = if Path::new(&args.base).is_dir() {
        Box::new(DirLoader::new(&args.base))
    } else {
        match GitLoader::new(&args.base, &cli.contracts) {
            Ok(g) => Box::new(g),
            Err(why) => {
                return Err(InputError::new(format!(
                    "--base: expected a contracts directory or a git revision, found `{}` ({why})",
                    args.base
                ))
                .into());
            }
        }
    };
    let list = |l: &dyn Loader| {
        l.contract_ids().map_err(|e| Error::Io {
            path: l.display(""),
            source: e,
        })
    };
    let ids: Vec<String> = if args.ids.is_empty() {
        let mut all: BTreeSet<String> = list(&current)?.into_iter().collect();
        all.extend(list(base.as_ref())?);
        all.into_iter().collect()
    } else {
        args.ids.clone()
    };

    // Load both sides of every contract; keep the changed ones that load on both.
    let mut diffs: BTreeMap<String, ContractDiff> = BTreeMap::new();
    let mut sides: BTreeMap<String, Sides> = BTreeMap::new();
    let mut cannot_compare = false;
    for id in &ids {
        let b = contract::load(base.as_ref(), id);
        let c = contract::load(&current, id);
        let mut d = ContractDiff {
            id: id.clone(),
            base_revision: b.as_ref().ok().map(|c| c.revision.clone()),
            revision: c.as_ref().ok().map(|c| c.revision.clone()),
            ..ContractDiff::default()
        };
        let missing = |e: &Error| e.to_string().starts_with(&format!("no contract `{id}`"));
        match (b, c) {
            (Ok(b), Ok(c)) if b.revision == c.revision => d.status = "unchanged",
            (Ok(b), Ok(c)) => {
                d.status = "changed";
                sides.insert(
                    id.clone(),
                    Sides {
                        base: b,
                        current: c,
                    },
                );
            }
            // The current side first: a contract about to be deployed that does not load
            // is the thing to hear about.
            (_, Err(e)) if !missing(&e) => {
                d.status = "error";
                d.error = Some(format!(
                    "the current contract does not load: {}",
                    render_error(&e)
                ));
                cannot_compare = true;
            }
            (Err(b), Err(_)) if missing(&b) => {
                d.status = "error";
                d.error = Some(format!(
                    "no contract `{id}` on either side: expected a file `{id}.yaml`"
                ));
                cannot_compare = true;
            }
            (Err(e), Ok(_)) if missing(&e) => d.status = "added",
            (Ok(_), Err(_)) => d.status = "removed",
            (Err(e), _) => {
                d.status = "error";
                d.error = Some(format!("the base does not load: {}", render_error(&e)));
                // A deployment gate must not pass on a comparison that was not made.
                cannot_compare = true;
            }
        }
        diffs.insert(id.clone(), d);
    }

    // Stored tickets of the changed customers, if there is a database.
    if !sides.is_empty() && cli.db.exists() {
        let store = Store::open_for_reading(&cli.db)?;
        let mut usage = HashMap::new();
        for (id, s) in &sides {
            usage.insert(
                id.clone(),
                (
                    store.customer_usage(&s.base, id, at)?,
                    store.customer_usage(&s.current, id, at)?,
                ),
            );
        }
        let mut tallies: HashMap<String, [usize; 4]> = HashMap::new();
        let mut batch = Vec::with_capacity(BATCH);
        let mut flush = |batch: &mut Vec<Ticket>, diffs: &mut BTreeMap<String, ContractDiff>| {
            for (b, c) in evaluate_batch(batch, &sides, &usage, at) {
                let t = tallies.entry(b.customer.clone()).or_default();
                let (mut mb, mut bb) = (0, 0);
                tally(&b, &mut mb, &mut bb);
                let (mut mc, mut bc) = (0, 0);
                tally(&c, &mut mc, &mut bc);
                t[0] += mb;
                t[1] += bb;
                t[2] += mc;
                t[3] += bc;
                let Some(d) = diffs.get_mut(&b.customer) else {
                    continue;
                };
                d.tickets_evaluated += 1;
                let moved = changes(&b, &c);
                if moved.is_empty() {
                    continue;
                }
                d.tickets_changed += 1;
                if moved_from_to(&b, &c, |x, y| {
                    x != Status::Breached && y == Status::Breached
                }) {
                    d.newly_breached += 1;
                }
                if moved_from_to(&b, &c, |x, y| x == Status::Breached && y == Status::Met) {
                    d.newly_met += 1;
                }
                d.tickets.push(TicketDiff {
                    ticket: b.ticket.clone(),
                    changes: moved,
                });
            }
            batch.clear();
        };
        store.for_each(|t| {
            if sides.contains_key(&t.customer) {
                batch.push(t);
                if batch.len() == BATCH {
                    flush(&mut batch, &mut diffs);
                }
            }
            Ok(())
        })?;
        flush(&mut batch, &mut diffs);
        for (id, t) in tallies {
            if let Some(d) = diffs.get_mut(&id) {
                d.compliance_before = percent(t[0], t[1]);
                d.compliance_after = percent(t[2], t[3]);
            }
        }
    }

    // Contract cases of the changed contracts.
    let root = project_root(&cli.contracts);
    let cases_dir = root.join("tests").join("cases");
    if !sides.is_empty() && cases_dir.is_dir() {
        let wanted: Vec<String> = sides.keys().cloned().collect();
        let files = case_files(&cases_dir, &[])?;
        for f in files.iter().filter(|f| wanted.contains(&f.contract)) {
            let Some(s) = sides.get(&f.contract) else {
                continue;
            };
            let Ok(case) = read_case(&root, f, Some(&s.current)) else {
                continue;
            };
            if cases::body(&s.base, &case) != cases::body(&s.current, &case)
                && let Some(d) = diffs.get_mut(&f.contract)
            {
                d.cases_changed.push(f.name.clone());
            }
        }
    }

    let contracts: Vec<ContractDiff> = diffs.into_values().collect();
    let sum = |f: fn(&ContractDiff) -> usize| contracts.iter().map(f).sum::<usize>();
    let report_value = Report {
        schema: "slaengine.diff/v1",
        base: args.base.clone(),
        at: args
            .at
            .clone()
            .unwrap_or_else(|| crate::instant::instant_text(&at.fixed_offset())),
        tickets_changed: sum(|d| d.tickets_changed),
        newly_breached: sum(|d| d.newly_breached),
        newly_met: sum(|d| d.newly_met),
        cases_changed: sum(|d| d.cases_changed.len()),
        contracts,
    };
    let mut out = anstream::stdout().lock();
    if cli.format == Format::Human {
        human(&mut out, &report_value).map_err(output_error)?;
    } else {
        write_machine(&mut out, cli.format, &report_value, true).map_err(output_error)?;
    }
    out.flush().map_err(output_error)?;
    let failed = match args.fail_on {
        Some(FailOn::Breach) => report_value.newly_breached > 0,
        Some(FailOn::Change) => {
            report_value.tickets_changed + report_value.cases_changed > 0
                || report_value
                    .contracts
                    .iter()
                    .any(|d| matches!(d.status, "added" | "removed"))
        }
        None => false,
    };
    Ok(if cannot_compare {
        exit::BAD_INPUT
    } else if failed {
        exit::CHECK_FAILED
    } else {
        exit::OK
    })
}

fn render_error(e: &Error) -> String {
    match e {
        Error::Input(i) => i.render(),
        other => other.to_string(),
    }
}

fn human(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let bold = anstyle::Style::new().bold();
    let red = anstyle::AnsiColor::Red.on_default();
    let green = anstyle::AnsiColor::Green.on_default();
    for d in &r.contracts {
        let rev = |r: &Option<String>| r.clone().unwrap_or_else(|| "none".into());
        match d.status {
            "unchanged" => writeln!(out, "{bold}{}{bold:#}: unchanged", d.id)?,
            "added" => writeln!(
                out,
                "{bold}{}{bold:#}: new (revision {})",
                d.id,
                rev(&d.revision)
            )?,
            "removed" => writeln!(
                out,
                "{bold}{}{bold:#}: {red}removed{red:#}: its tickets would have no contract",
                d.id
            )?,
            "error" => {
                writeln!(out, "{bold}{}{bold:#}: {red}cannot compare{red:#}", d.id)?;
                for l in d.error.as_deref().unwrap_or_default().lines() {
                    writeln!(out, "    {l}")?;
                }
            }
            _ => {
                writeln!(
                    out,
                    "{bold}{}{bold:#}: revision {} → {}",
                    d.id,
                    rev(&d.base_revision),
                    rev(&d.revision)
                )?;
                for t in &d.tickets {
                    let parts: Vec<String> = t
                        .changes
                        .iter()
                        .map(|c| {
                            let name = match &c.metric {
                                Some(m) if c.field == "instances_breached" => {
                                    format!("{m} breached instances")
                                }
                                Some(m) => format!("{m} {}", c.field),
                                None => c.field.to_owned(),
                            };
                            let show = |v: &Option<String>| {
                                v.as_deref().map_or("none".to_owned(), |s| {
                                    if c.field == "deadline" {
                                        render::short_time(s)
                                    } else {
                                        s.to_owned()
                                    }
                                })
                            };
                            let after = show(&c.after);
                            let after = match after.as_str() {
                                "breached" => format!("{red}{after}{red:#}"),
                                "met" => format!("{green}{after}{green:#}"),
                                _ => after,
                            };
                            format!("{name} {} → {after}", show(&c.before))
                        })
                        .collect();
                    writeln!(out, "  {}  {}", t.ticket, parts.join("; "))?;
                }
                if !d.cases_changed.is_empty() {
                    writeln!(
                        out,
                        "  cases changed: {} (see `slaengine test {}`)",
                        d.cases_changed.join(", "),
                        d.id
                    )?;
                }
                let pct = |p: Option<f64>| p.map_or("n/a".to_owned(), |p| format!("{p:.1}%"));
                writeln!(
                    out,
                    "  {} evaluated, {} changed ({} newly breached, {} newly met); compliance {} → {}",
                    super::render::counted(d.tickets_evaluated, "ticket", "tickets"),
                    d.tickets_changed,
                    d.newly_breached,
                    d.newly_met,
                    pct(d.compliance_before),
                    pct(d.compliance_after)
                )?;
            }
        }
    }
    let n = |k: usize, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
    writeln!(
        out,
        "{} changed, {} newly breached, {} newly met, {} changed (base {}, at {})",
        n(r.tickets_changed, "ticket"),
        r.newly_breached,
        r.newly_met,
        n(r.cases_changed, "case"),
        r.base,
        r.at
    )
}

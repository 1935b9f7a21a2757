//! The watcher (feature `watch`): contracts reloaded when their files change, never
//! serving a broken one, and escalation events as tickets pass `warn_at` and their
//! deadlines.
//!
//! [`Watch`] holds the live contract set, the open tickets and what has been reported;
//! it is driven by three calls — [`Watch::start`], [`Watch::changed`] (files changed) and
//! [`Watch::tick`] (time passed) — each given the instant to evaluate at and returning
//! the [`WatchEvent`]s to report. It has no clock and starts no thread of its own, so a
//! test or a demo can drive it at any pace; [`ChangeFeed`] turns file-system
//! notifications into [`Watch::changed`] calls, and `slaengine watch` adds the clock, the
//! output and `--exec`.
//!
//! The ticket store is opened only for the moment a call needs it (to read the open
//! tickets when another process changed them, and to record escalations), so `ticket add`
//! and `ticket event` work while the watcher runs. Escalations are recorded in the store
//! before they are reported: a transition is reported at most once, across restarts too.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::contract::{self, Contract, DirLoader, Loader};
use crate::error::{Error, InputError};
use crate::eval::{Evaluation, Options, Status, evaluate_in};
use crate::store::{Store, escalation_key};
use crate::ticket::Ticket;

/// What happened, as `"event"` in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchEventKind {
    /// A contract was loaded when the watcher started.
    Loaded,
    /// A changed contract (or its template or script) loaded; it is now served.
    Reloaded,
    /// A changed contract failed to load; the last good revision is still served.
    ReloadFailed,
    /// A contract file was deleted; its tickets have no contract.
    Unloaded,
    /// A reload changed the status of an open ticket's metric.
    StatusChanged,
    /// A running metric passed `warn_at` of its target.
    AtRisk,
    /// A metric passed its deadline.
    Breached,
}

impl WatchEventKind {
    /// The name used in output (`reload_failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventKind::Loaded => "loaded",
            WatchEventKind::Reloaded => "reloaded",
            WatchEventKind::ReloadFailed => "reload_failed",
            WatchEventKind::Unloaded => "unloaded",
            WatchEventKind::StatusChanged => "status_changed",
            WatchEventKind::AtRisk => "at_risk",
            WatchEventKind::Breached => "breached",
        }
    }
}

/// Where a contract failed to load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadError {
    /// What was expected and what was found.
    pub message: String,
    /// The file at fault.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// The message with its source snippet, as `validate` prints it.
    pub rendered: String,
}

impl From<&Error> for LoadError {
    fn from(e: &Error) -> LoadError {
        match e {
            Error::Input(i) => LoadError {
                message: i.message.clone(),
                file: i.location.as_ref().map(|l| l.file.clone()),
                line: i.location.as_ref().map(|l| l.line),
                column: i.location.as_ref().map(|l| l.column),
                rendered: i.render(),
            },
            // An unreadable file: named, with no position to give.
            Error::Io { path, .. } => LoadError {
                message: e.to_string(),
                file: Some(path.clone()),
                line: None,
                column: None,
                rendered: format!("error: {e}"),
            },
            other => LoadError {
                message: other.to_string(),
                file: None,
                line: None,
                column: None,
                rendered: format!("error: {other}"),
            },
        }
    }
}

/// One thing the watcher reports (`slaengine.watch/v1`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchEvent {
    /// `slaengine.watch/v1`.
    pub schema: &'static str,
    /// What happened.
    pub event: WatchEventKind,
    /// When, on the watcher's clock, in the contract's time zone (RFC 3339).
    pub time: String,
    /// The contract id.
    pub contract: String,
    /// The revision now served (after a failed reload: the last good one, if any).
    pub revision: Option<String>,
    /// The revision served before a reload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_revision: Option<String>,
    /// How many open tickets a reload re-evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tickets: Option<usize>,
    /// The ticket, for ticket events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// The ticket's customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// The metric (`resolve`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// For a recurring metric: the number of the instance concerned (1 for the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<usize>,
    /// The metric's status before (`status_changed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Status>,
    /// The metric's status now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The metric's deadline (RFC 3339, contract's zone), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Why a reload failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<LoadError>,
    /// The open tickets left without a contract (`unloaded`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_tickets: Option<Vec<String>>,
}

impl WatchEvent {
    fn new(event: WatchEventKind, time: String, contract: &str) -> WatchEvent {
        WatchEvent {
            schema: "slaengine.watch/v1",
            event,
            time,
            contract: contract.to_owned(),
            revision: None,
            previous_revision: None,
            tickets: None,
            ticket: None,
            customer: None,
            metric: None,
            instance: None,
            from: None,
            status: None,
            deadline: None,
            error: None,
            open_tickets: None,
        }
    }
}

/// The contracts served: id → contract. Replaced as a whole on every reload, so a
/// reader holding one never sees a half-updated set.
pub type ContractSet = Arc<BTreeMap<String, Arc<Contract>>>;

/// The watcher's state: the live contracts, the open tickets, and what was reported.
pub struct Watch {
    loader: DirLoader,
    dir: PathBuf,
    root: PathBuf,
    db: PathBuf,
    live: ContractSet,
    /// Contracts whose last load failed: reloaded on any change, since their
    /// dependencies are unknown.
    failed: BTreeMap<String, String>,
    /// Open tickets by id, re-read when the store's change counter moves.
    tickets: BTreeMap<String, Ticket>,
    changes: Option<u64>,
    /// The last status of each (ticket, metric).
    statuses: HashMap<String, Vec<(String, Status)>>,
    /// Escalations already reported, by ticket: (metric, kind).
    escalated: HashMap<String, Vec<(String, WatchEventKind)>>,
    /// See [`Watch::take_deferred_error`].
    deferred: Option<Error>,
}

/// The canonical form of a path when it exists (so notification paths compare equal).
fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn is_yaml(p: &str) -> bool {
    p.ends_with(".yaml")
}

impl Watch {
    /// A watcher of the contracts in `dir` (scripts in its parent's `scripts/`) and the
    /// tickets in the store at `db` (none while that file does not exist: reading does
    /// not create it). Nothing is read until [`Watch::start`].
    pub fn new(dir: impl Into<PathBuf>, db: impl Into<PathBuf>) -> Watch {
        let dir = dir.into();
        let loader = DirLoader::new(&dir);
        let root = canonical(loader.dir().parent().unwrap_or(Path::new(".")));
        let root = if root.as_os_str().is_empty() {
            canonical(Path::new("."))
        } else {
            root
        };
        Watch {
            dir: canonical(&dir),
            root,
            loader,
            db: db.into(),
            live: Arc::default(),
            failed: BTreeMap::new(),
            tickets: BTreeMap::new(),
            changes: None,
            statuses: HashMap::new(),
            escalated: HashMap::new(),
            deferred: None,
        }
    }

    /// The directories to watch, recursively: the contracts directory (templates
    /// included) and, when they exist, the project's `scripts/` and `calendars/`.
    pub fn watched_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.dir.clone()];
        for folder in ["scripts", "calendars"] {
            let path = self.root.join(folder);
            if path.is_dir() {
                dirs.push(path);
            }
        }
        dirs
    }

    /// The folders of the holiday files the contracts served read that
    /// [`Watch::watched_dirs`] does not cover, to watch each on its own (without its
    /// subfolders: the project root, say). They change as contracts are reloaded.
    pub fn holiday_folders(&self) -> Vec<PathBuf> {
        let watched = self.watched_dirs();
        let mut folders: Vec<PathBuf> = Vec::new();
        for file in self.live.values().flat_map(|c| &c.holiday_files) {
            let Some(folder) = self.root.join(file).parent().map(canonical) else {
                continue;
            };
            if folder.is_dir()
                && !watched.iter().any(|w| folder.starts_with(w))
                && !folders.contains(&folder)
            {
                folders.push(folder);
            }
        }
        folders
    }

    /// The contracts served now.
    pub fn contracts(&self) -> ContractSet {
        Arc::clone(&self.live)
    }

    /// How many open tickets the watcher follows.
    pub fn open_tickets(&self) -> usize {
        self.tickets.len()
    }

    fn stamp(&self, contract: Option<&Contract>, at: DateTime<Utc>) -> String {
        match contract {
            Some(c) => crate::instant::instant_text(
                &at.with_timezone(&c.calendar.timezone()).fixed_offset(),
            ),
            None => crate::instant::instant_text(&at.fixed_offset()),
        }
    }

    /// Loads every contract, reads the open tickets and reports the escalations due at
    /// `now` that were not reported before.
    pub fn start(&mut self, now: DateTime<Utc>) -> Result<Vec<WatchEvent>, Error> {
        let ids = self.loader.contract_ids().map_err(|e| Error::Io {
            path: self.loader.display(""),
            source: e,
        })?;
        let mut events = Vec::new();
        let mut live = BTreeMap::new();
        for id in ids {
            match contract::load(&self.loader, &id) {
                Ok(c) => {
                    let mut ev =
                        WatchEvent::new(WatchEventKind::Loaded, self.stamp(Some(&c), now), &id);
                    ev.revision = Some(c.revision.clone());
                    events.push(ev);
                    live.insert(id, Arc::new(c));
                }
                Err(e) => {
                    let mut ev =
                        WatchEvent::new(WatchEventKind::ReloadFailed, self.stamp(None, now), &id);
                    ev.error = Some(LoadError::from(&e));
                    events.push(ev);
                    self.failed.insert(id, e.to_string());
                }
            }
        }
        self.live = Arc::new(live);
        // No database yet: no tickets, until one is made (see `tick`).
        if self.db.exists() {
            let store = Store::open(&self.db)?;
            // The watcher records what it reports, so that it reports it once.
            store.check_writable()?;
            self.escalated = HashMap::new();
            for key in store.escalations()? {
                let mut parts = key.split('\u{0}');
                let (Some(t), Some(m), Some(k)) = (parts.next(), parts.next(), parts.next()) else {
                    continue;
                };
                let kind = match k {
                    "at_risk" => WatchEventKind::AtRisk,
                    "breached" => WatchEventKind::Breached,
                    _ => continue,
                };
                self.escalated
                    .entry(t.to_owned())
                    .or_default()
                    .push((m.to_owned(), kind));
            }
            self.refresh(&store)?;
        }
        let ids: Vec<String> = self.tickets.keys().cloned().collect();
        let evals = self.evaluate(&ids, now);
        self.note_statuses(&evals, None, now);
        events.extend(self.escalate(&evals, now)?);
        Ok(events)
    }

    /// Re-reads the open tickets if the store changed since the last read.
    fn refresh(&mut self, store: &Store) -> Result<(), Error> {
        let n = store.changes()?;
        if self.changes == Some(n) {
            return Ok(());
        }
        let mut tickets = BTreeMap::new();
        store.for_each_open(|t| {
            tickets.insert(t.id.clone(), t);
            Ok(())
        })?;
        self.statuses.retain(|id, _| tickets.contains_key(id));
        self.tickets = tickets;
        self.changes = Some(n);
        Ok(())
    }

    /// The contracts a change of `paths` affects: a contract file its contract, a
    /// template, script or holiday file every contract built from it; and whether any
    /// contract, template, script or holiday file changed at all (then every contract
    /// whose last load failed is tried again too, its dependencies being unknown).
    fn affected(&self, paths: &[PathBuf]) -> (BTreeSet<String>, bool) {
        let mut ids = BTreeSet::new();
        let mut any = false;
        // A path relative to `base`, as given or with its directory resolved (symlinks,
        // `..`), with `/` separators.
        let relative = |p: &Path, base: &Path| -> Option<String> {
            let resolved =
                canonical(p.parent().unwrap_or(p)).join(p.file_name().unwrap_or_default());
            p.strip_prefix(base)
                .or_else(|_| resolved.strip_prefix(base))
                .ok()
                .map(|r| r.to_string_lossy().replace('\\', "/"))
        };
        let trim = |s: &str| s.trim_start_matches("./").to_owned();
        for p in paths {
            let name = p.to_string_lossy();
            let script = name.ends_with(".rhai");
            if script || name.ends_with(".ics") {
                // A script or a holiday file: every contract that reads it (paths from
                // the project root).
                let Some(rel) = relative(p, &self.root) else {
                    continue;
                };
                any = true;
                let rel = trim(&rel);
                for (id, c) in self.live.iter() {
                    let files = if script { &c.scripts } else { &c.holiday_files };
                    if files.iter().any(|s| trim(s) == rel) {
                        ids.insert(id.clone());
                    }
                }
            } else if is_yaml(&name) {
                let Some(rel) = relative(p, &self.dir) else {
                    continue;
                };
                any = true;
                if !rel.contains('/') {
                    if let Some(stem) = rel.strip_suffix(".yaml") {
                        ids.insert(stem.to_owned());
                    }
                } else {
                    // A template: `sources` names files as the loader displays them.
                    let shown = self.loader.display(&rel);
                    for (id, c) in self.live.iter() {
                        if c.sources.contains(&shown) {
                            ids.insert(id.clone());
                        }
                    }
                }
            }
        }
        (ids, any)
    }

    /// Files changed: reloads the contracts they affect, swaps in those that load,
    /// keeps the last good revision of those that do not, unloads deleted ones; then
    /// re-evaluates the open tickets of the customers whose terms changed.
    pub fn changed(
        &mut self,
        paths: &[PathBuf],
        now: DateTime<Utc>,
    ) -> Result<Vec<WatchEvent>, Error> {
        let (direct, any) = self.affected(paths);
        let mut ids = direct.clone();
        if any {
            ids.extend(self.failed.keys().cloned());
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let existing: BTreeSet<String> = self
            .loader
            .contract_ids()
            .map_err(|e| Error::Io {
                path: self.loader.display(""),
                source: e,
            })?
            .into_iter()
            .collect();
        let mut live = (*self.live).clone();
        let mut events = Vec::new();
        let mut touched = BTreeSet::new();
        for id in &ids {
            let old = live.get(id).cloned();
            if !existing.contains(id) {
                self.failed.remove(id);
                if let Some(old) = live.remove(id) {
                    let mut ev =
                        WatchEvent::new(WatchEventKind::Unloaded, self.stamp(Some(&old), now), id);
                    ev.previous_revision = Some(old.revision.clone());
                    ev.open_tickets = Some(
                        self.tickets
                            .values()
                            .filter(|t| t.customer == *id)
                            .map(|t| t.id.clone())
                            .collect(),
                    );
                    events.push(ev);
                    touched.insert(id.clone());
                }
                continue;
            }
            match contract::load(&self.loader, id) {
                Ok(c) => {
                    self.failed.remove(id);
                    if old.as_ref().is_some_and(|o| o.revision == c.revision) {
                        continue;
                    }
                    let mut ev =
                        WatchEvent::new(WatchEventKind::Reloaded, self.stamp(Some(&c), now), id);
                    ev.revision = Some(c.revision.clone());
                    ev.previous_revision = old.map(|o| o.revision.clone());
                    ev.tickets = Some(self.tickets.values().filter(|t| t.customer == *id).count());
                    events.push(ev);
                    live.insert(id.clone(), Arc::new(c));
                    touched.insert(id.clone());
                }
                Err(e) => {
                    // A contract that was already failing, reloaded only because some
                    // other file changed, is reported again only if its error changed.
                    let text = e.to_string();
                    let again = self.failed.insert(id.clone(), text.clone()) == Some(text);
                    if again && !direct.contains(id) {
                        continue;
                    }
                    let mut ev = WatchEvent::new(
                        WatchEventKind::ReloadFailed,
                        self.stamp(old.as_deref(), now),
                        id,
                    );
                    ev.revision = old.map(|o| o.revision.clone());
                    ev.error = Some(LoadError::from(&e));
                    events.push(ev);
                }
            }
        }
        self.live = Arc::new(live);
        if touched.is_empty() {
            return Ok(events);
        }
        let ids: Vec<String> = self
            .tickets
            .values()
            .filter(|t| touched.contains(&t.customer))
            .map(|t| t.id.clone())
            .collect();
        let evals = self.evaluate(&ids, now);
        self.note_statuses(&evals, Some(&mut events), now);
        // The reload happened whatever the store says: its events are reported; an
        // escalation that could not be recorded is retried at the next tick.
        match self.escalate(&evals, now) {
            Ok(more) => events.extend(more),
            Err(e) => self.deferred = Some(e),
        }
        Ok(events)
    }

    /// An error met after a reload was already done (recording its escalations), to be
    /// reported beside the reload's events.
    pub fn take_deferred_error(&mut self) -> Option<Error> {
        self.deferred.take()
    }

    /// Reloads every contract, as if each file had changed (after the contracts
    /// directory came back, say).
    pub fn rescan(&mut self, now: DateTime<Utc>) -> Result<Vec<WatchEvent>, Error> {
        // The directory may be a new one: compare paths with its canonical form again.
        self.dir = canonical(self.loader.dir());
        let mut ids: BTreeSet<String> = self.live.keys().cloned().collect();
        ids.extend(self.failed.keys().cloned());
        ids.extend(self.loader.contract_ids().map_err(|e| Error::Io {
            path: self.loader.display(""),
            source: e,
        })?);
        let paths: Vec<PathBuf> = ids
            .iter()
            .map(|id| self.dir.join(format!("{id}.yaml")))
            .collect();
        self.changed(&paths, now)
    }

    /// Time passed: re-reads the open tickets if another process changed them,
    /// re-evaluates them at `now`, and reports each escalation not reported before.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Result<Vec<WatchEvent>, Error> {
        // A database that does not exist (yet, or any more) has nothing new: it is not
        // created by reading it.
        if self.db.exists() {
            let store = Store::open_for_reading(&self.db)?;
            self.refresh(&store)?;
        }
        let ids: Vec<String> = self.tickets.keys().cloned().collect();
        let evals = self.evaluate(&ids, now);
        self.note_statuses(&evals, None, now);
        self.escalate(&evals, now)
    }

    /// Evaluates the open tickets `ids` that have a contract, on every core.
    fn evaluate(&self, ids: &[String], now: DateTime<Utc>) -> Vec<Evaluation> {
        let tickets: Vec<(&Ticket, Arc<Contract>)> = ids
            .iter()
            .filter_map(|id| self.tickets.get(id))
            .filter_map(|t| self.live.get(&t.customer).map(|c| (t, Arc::clone(c))))
            .collect();
        let options = Options {
            metrics_only: true,
            ..Options::default()
        };
        crate::parallel::map(&tickets, |(t, c)| {
            Some(evaluate_in(c, t, now, &options, None))
        })
    }

    /// Remembers each metric's status; with `events`, reports those that changed.
    fn note_statuses(
        &mut self,
        evals: &[Evaluation],
        mut events: Option<&mut Vec<WatchEvent>>,
        now: DateTime<Utc>,
    ) {
        for e in evals {
            let old = self.statuses.get(&e.ticket);
            let same = old.is_some_and(|old| {
                old.len() == e.metrics.len()
                    && old
                        .iter()
                        .zip(&e.metrics)
                        .all(|((n, s), m)| *n == m.name && *s == m.status)
            });
            if same {
                continue;
            }
            if let (Some(events), Some(old)) = (events.as_deref_mut(), old) {
                for m in &e.metrics {
                    let before = old.iter().find(|(n, _)| *n == m.name).map(|(_, s)| *s);
                    if before.is_some_and(|b| b != m.status) {
                        let time = instant_in(e, now);
                        let mut ev = ticket_event(WatchEventKind::StatusChanged, e, m, time);
                        ev.from = before;
                        events.push(ev);
                    }
                }
            }
            let new = e
                .metrics
                .iter()
                .map(|m| (m.name.clone(), m.status))
                .collect();
            self.statuses.insert(e.ticket.clone(), new);
        }
    }

    /// The `at_risk` and `breached` transitions in `evals` not reported before: recorded
    /// in the store first, then returned.
    fn escalate(
        &mut self,
        evals: &[Evaluation],
        now: DateTime<Utc>,
    ) -> Result<Vec<WatchEvent>, Error> {
        let mut events = Vec::new();
        let mut keys = Vec::new();
        for e in evals {
            let done = self.escalated.get(&e.ticket);
            for m in &e.metrics {
                let kind = match m.status {
                    Status::AtRisk => WatchEventKind::AtRisk,
                    Status::Breached => WatchEventKind::Breached,
                    _ => continue,
                };
                // Each instance of a recurring metric escalates once.
                let name = match instance_of(m) {
                    Some(n) => format!("{}#{n}", m.name),
                    None => m.name.clone(),
                };
                if done.is_some_and(|d| d.iter().any(|(n, k)| *n == name && *k == kind)) {
                    continue;
                }
                let time = instant_in(e, now);
                keys.push((
                    escalation_key(&e.ticket, &name, kind.as_str()),
                    time.clone(),
                ));
                events.push((name, ticket_event(kind, e, m, time)));
            }
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Only the transitions this watcher recorded first are reported.
        let fresh: std::collections::HashSet<String> = Store::open(&self.db)?
            .record_escalations(&keys)?
            .into_iter()
            .collect();
        for (name, ev) in &events {
            if let Some(t) = &ev.ticket {
                self.escalated
                    .entry(t.clone())
                    .or_default()
                    .push((name.clone(), ev.event));
            }
        }
        Ok(events
            .into_iter()
            .zip(keys)
            .filter(|(_, (key, _))| fresh.contains(key))
            .map(|((_, ev), _)| ev)
            .collect())
    }
}

/// `now` in the zone of the evaluation's contract (the zone of its `at`).
fn instant_in(e: &Evaluation, now: DateTime<Utc>) -> String {
    crate::instant::instant_text(&now.with_timezone(e.at.offset()))
}

/// The number of a recurring metric's current instance (its open one, or its last).
fn instance_of(m: &crate::eval::MetricResult) -> Option<usize> {
    m.instances.as_ref().map(Vec::len).filter(|n| *n > 0)
}

fn ticket_event(
    kind: WatchEventKind,
    e: &Evaluation,
    m: &crate::eval::MetricResult,
    time: String,
) -> WatchEvent {
    let mut ev = WatchEvent::new(kind, time, &e.contract.id);
    ev.revision = Some(e.contract.revision.clone());
    ev.ticket = Some(e.ticket.clone());
    ev.customer = Some(e.customer.clone());
    ev.metric = Some(m.name.clone());
    ev.instance = instance_of(m);
    ev.status = Some(m.status);
    ev.deadline = m.deadline.as_ref().map(crate::instant::instant_text);
    ev
}

/// File-system notifications for the watched directories, debounced (editors' save by
/// rename, deletes, new files), access events dropped.
pub struct ChangeFeed {
    debouncer: notify_debouncer_full::Debouncer<
        notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
    /// The folders watched without their subfolders, by [`ChangeFeed::watch_folders`].
    folders: Vec<PathBuf>,
}

impl ChangeFeed {
    /// Watches `dirs` recursively; `send` is called from the debouncer's thread with the
    /// changed paths of each debounced batch, or with a watcher error.
    pub fn start(
        dirs: &[PathBuf],
        debounce: std::time::Duration,
        mut send: impl FnMut(Result<Vec<PathBuf>, String>) + Send + 'static,
    ) -> Result<ChangeFeed, Error> {
        let handler = move |result: notify_debouncer_full::DebounceEventResult| match result {
            Ok(events) => {
                let mut paths: Vec<PathBuf> = events
                    .iter()
                    .filter(|e| !matches!(e.event.kind, notify::EventKind::Access(_)))
                    .flat_map(|e| e.event.paths.iter().cloned())
                    .collect();
                paths.sort();
                paths.dedup();
                if !paths.is_empty() {
                    send(Ok(paths));
                }
            }
            Err(errors) => {
                for e in errors {
                    send(Err(e.to_string()));
                }
            }
        };
        let mut debouncer = notify_debouncer_full::new_debouncer(debounce, None, handler)
            .map_err(|e| InputError::new(format!("cannot watch files: {e}")))?;
        for d in dirs {
            debouncer
                .watch(d, notify::RecursiveMode::Recursive)
                .map_err(|e| Error::Io {
                    path: d.display().to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?;
        }
        Ok(ChangeFeed {
            debouncer,
            folders: Vec::new(),
        })
    }

    /// Also watches `folders`, each without its subfolders ([`Watch::holiday_folders`]);
    /// those already watched are left as they are.
    pub fn watch_folders(&mut self, folders: &[PathBuf]) -> Result<(), Error> {
        for f in folders {
            if self.folders.contains(f) {
                continue;
            }
            self.debouncer
                .watch(f, notify::RecursiveMode::NonRecursive)
                .map_err(|e| Error::Io {
                    path: f.display().to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?;
            self.folders.push(f.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_file_is_named_in_its_load_error() {
        let e = Error::Io {
            path: "contracts/acme.yaml".into(),
            source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
        };
        let l = LoadError::from(&e);
        assert_eq!(l.file.as_deref(), Some("contracts/acme.yaml"));
        assert_eq!((l.line, l.column), (None, None));
        assert!(l.message.contains("contracts/acme.yaml"), "{}", l.message);
        assert!(l.rendered.starts_with("error: "), "{}", l.rendered);
    }
}

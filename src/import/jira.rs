//! Jira Software and Jira Service Management: saved search pages (`{"issues": [...]}`,
//! fetched with `expand=changelog`), single issues (`/issue/{key}?expand=changelog`),
//! changelog pages (`/issue/{key}/changelog`, for histories longer than the 40 entries a
//! search result holds) and worklog pages (`{"worklogs": [...]}`, linked to their issue
//! by `issueId`).
//!
//! How an issue becomes a ticket:
//!
//! * `id` is the issue key (`SUP-12`); `registered` is `fields.created`; `summary` is
//!   `fields.summary`; `fields` keeps `jira_status` and `jira_type` for reference.
//! * `customer` comes from `fields.project.key` lowercased, `priority` from
//!   `fields.priority.name` lowercased, unless the mapping says otherwise; `category` and
//!   `product` only from the mapping. Each is the value the issue had when it was
//!   created; a later change in the changelog of a mapped field (`priority`, or the field
//!   `category`/`product` are taken from) is a `changed` event.
//! * `assigned`: the assignee chosen at creation, which the changelog leaves out (the
//!   first assignee change's `from`, or `fields.assignee` when it never changed), at the
//!   creation time; then every change to a new assignee. A change while the issue is
//!   resolved is kept as a `comment`, since work on a resolved request is not assigned.
//! * `paused`/`resumed`: entering and leaving a waiting status: "Waiting for customer"
//!   and the mapping's `statuses.paused`.
//! * `resolved`/`reopened`: entering and leaving a resolved status: "Done", "Resolved",
//!   "Closed", the issue's current status when its category is `done`, and the mapping's
//!   `statuses.resolved`. Moving between two of them (Resolved → Closed) is not a second
//!   resolution.
//! * Comments (`fields.comment.comments`): internal ones (`jsdPublic: false`) are
//!   `comment`, the reporter's `customer_replied`, other public ones `replied`.
//! * `worklog`: the entries of the worklog pages (`started`, `timeSpentSeconds` as hours,
//!   `author` as engineer). The changelog's `timespent` items and the inline
//!   `fields.worklog` (its first 20 entries only) are not used.
//!
//! People are named by their display name. Any other status is one in which the work
//! goes on: status names are not checked against a list, since every Jira has its own.
//! An issue without a key or a readable creation time, a changelog or comment list that
//! holds fewer entries than Jira says it has (the page was cut: fetch the rest), or a
//! time that cannot be read is an error naming the file, the issue key and the field.

//!
//! Pages are read on every core, each into typed records that borrow from its text (the
//! parts of an issue the mapping names by path are kept as JSON values, the rest of the
//! page is skipped), and mapped as they are read; a page is read a second time only for
//! the issues that changelog pages complete.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny};
use serde_json::Value;

use super::json::{Body, Count, Each, Flag, Json, Obj, ObjSeed, Record, Slot, SlotSeed, Str, Text};
use super::{MappedField, Mapping, Page, Pages, Rule, lookup, parse_time, record_error, text_of};
use crate::error::{Error, InputError};
use crate::ticket::{Event, EventKind, Ticket};

/// Statuses that pause the clock in every Jira (Service Management's own).
const PAUSED: [&str; 1] = ["Waiting for customer"];
/// Statuses that resolve the request whatever their category says.
const RESOLVED: [&str; 3] = ["Done", "Resolved", "Closed"];

/// The default source of the customer.
const CUSTOMER_FROM: &str = "fields.project.key";
/// The default source of the priority.
const PRIORITY_FROM: &str = "fields.priority.name";

/// The rule of a field the mapping leaves out.
static NO_RULE: Rule = Rule {
    from: None,
    map: BTreeMap::new(),
    default: None,
};

/// Turns Jira pages into tickets (see the module's documentation).
pub fn import(pages: &[Page<'_>], mapping: &Mapping) -> Vec<Result<Ticket, InputError>> {
    // Pages in memory cannot fail to be read.
    import_pages(pages, mapping).unwrap_or_else(|e| vec![Err(InputError::new(e.to_string()))])
}

/// [`import`] of pages read when they are needed; `Err` is a page that could not be read
/// at all.
pub fn import_pages<P: Pages + ?Sized>(
    pages: &P,
    mapping: &Mapping,
) -> Result<Vec<Result<Ticket, InputError>>, Error> {
    let mut ranked = stream(pages, mapping, &|_| Ok(()), |items| {
        items.collect::<Vec<_>>()
    })?;
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked
        .into_iter()
        .map(|(_, r)| match r {
            Ok(t) => Ok(Ok(t)),
            Err(Error::Input(e)) => Ok(Err(e)),
            Err(e) => Err(e),
        })
        .collect()
}

/// The place of an item among the items of [`import`]: the refusals of pages and of
/// issues without a key (by page, then by issue), then the issues (in the order of their
/// first copy), then changelog pages and worklogs without their issue.
type Rank = (u8, usize, usize);

/// A ticket, or the error in its place, with its place among the items of [`import`].
pub(crate) type Ranked = (Rank, Result<Ticket, Error>);

/// The import, on every core, in two readings of the pages: the first reads the worklog
/// and changelog pages, the second maps the issues, each held against `check`.
/// `consume` gets the refusals of pages before the first page with issues, then each
/// ticket as soon as it is mapped (in no particular order), then the other errors (all
/// errors in the order of [`import`]); a page that cannot be read at all in the second
/// reading is an item too, given at once. `Err` is one that cannot be read in the first.
///
/// The first reading stops at the issues of a page, and the second maps every issue it
/// finds, which is right when each issue is in one page and every page with issues is a
/// search page or a single issue, as in any export. When the second reading finds an
/// issue a second time, or a page it put off that holds worklogs or changelog entries,
/// `consume` gets an error that ends its run (so that a transaction is not committed) and
/// is called again with the items of the exact import: a first reading of every page
/// whole (all keys, to keep the latest copy of each issue), then the second.
pub(crate) fn stream<P: Pages + ?Sized, R>(
    pages: &P,
    mapping: &Mapping,
    check: &(dyn Fn(&Ticket) -> Result<(), InputError> + Sync),
    mut consume: impl FnMut(&mut dyn Iterator<Item = Ranked>) -> R,
) -> Result<R, Error> {
    let plan = Plan::new(mapping);
    let starts_over = AtomicBool::new(false);
    let survey = Survey::of(pages, Reading::Defer)?;
    let r = second_reading(pages, &plan, &survey, check, &starts_over, &mut consume);
    if !starts_over.load(Ordering::Relaxed) {
        return Ok(r);
    }
    drop(r);
    let survey = Survey::of(pages, Reading::Keys)?;
    Ok(second_reading(
        pages,
        &plan,
        &survey,
        check,
        &starts_over,
        &mut consume,
    ))
}

/// How a page is read.
#[derive(Clone, Copy)]
enum Reading<'w> {
    /// First reading, quick: a page is put off at its issues (a search page's `issues`, a
    /// single issue's `fields` or `changelog`).
    Defer,
    /// First reading, whole: the key and id of each issue.
    Keys,
    /// Second reading: issues whole, with the values the mapping names.
    Issues(&'w Wanted),
}

/// The message by which [`Reading::Defer`] stops reading a page.
const DEFERRED: &str = "(read in the second reading)";

/// What the first reading of the pages found.
struct Survey {
    /// Refusals of pages and of issues without a key.
    early: Vec<(Rank, InputError)>,
    /// What the second reading does with each page.
    todo: Vec<Todo>,
    /// The entries of changelog pages, by the key of their issue.
    changelogs: HashMap<String, Vec<History<'static>>>,
    /// Worklog entries (each with its page) by the id of their issue.
    worklogs: HashMap<String, Vec<(usize, Log)>>,
    /// Changelog pages and worklogs without their issue, when the first reading read
    /// every issue's key (else the second reading finds them).
    late: Option<Vec<InputError>>,
}

/// What the second reading does with a page.
#[derive(Clone)]
enum Todo {
    /// Nothing: read whole in the first reading.
    Nothing,
    /// Read it whole and map every issue in it (a page the first reading put off).
    Everything,
    /// Map these latest copies of issues (their number in the page and their place);
    /// `true` for a page that is one issue by itself.
    Latest(bool, Vec<(usize, Rank)>),
}

impl Survey {
    /// The first reading of every page, on every core.
    fn of<P: Pages + ?Sized>(pages: &P, reading: Reading<'_>) -> Result<Survey, Error> {
        let found = super::each_page(pages.count(), |buffer, p| -> Result<Found, Error> {
            let (file, text) = (pages.file(p), pages.text(p, buffer)?);
            Ok(glance(file, text, reading).kept())
        });
        let mut early = Vec::new();
        let mut todo = vec![Todo::Nothing; pages.count()];
        let mut worklogs: HashMap<String, Vec<(usize, Log)>> = HashMap::new();
        let mut seen_worklogs = HashSet::new();
        let mut changelogs: HashMap<String, Vec<History<'static>>> = HashMap::new();
        // The same issue in two pages: the later page's copy is the newer.
        let mut order: Vec<String> = Vec::new();
        let mut latest: HashMap<String, (usize, usize, String)> = HashMap::new();
        for (p, found) in found.into_iter().enumerate() {
            match found? {
                Found::Failed(e) => early.push(((0, p, 0), e)),
                Found::Deferred | Found::Read(_) | Found::Single => todo[p] = Todo::Everything,
                // (Not in a quick first reading: a page with issues is put off.)
                Found::Issues(..) if matches!(reading, Reading::Defer) => {
                    todo[p] = Todo::Everything;
                }
                Found::Changelog(key, entries) => {
                    if let Some(entries) = entries {
                        changelogs.entry(key).or_default().extend(entries);
                    }
                }
                Found::Worklogs(list) => {
                    for w in list {
                        // Overlapping pages hold the same entry twice.
                        if let Some(id) = &w.id
                            && !seen_worklogs.insert((w.issue.clone(), id.clone()))
                        {
                            continue;
                        }
                        worklogs.entry(w.issue.clone()).or_default().push((p, w));
                    }
                }
                Found::Issues(single, keys) => {
                    todo[p] = Todo::Latest(single, Vec::new());
                    for (i, key) in keys.into_iter().enumerate() {
                        let Some((key, id)) = key else {
                            early.push(((0, p, i), no_key(pages.file(p), i)));
                            continue;
                        };
                        if let Some(copy) = latest.get_mut(&key) {
                            *copy = (p, i, id);
                        } else {
                            order.push(key.clone());
                            latest.insert(key, (p, i, id));
                        }
                    }
                }
            }
        }
        let late = match reading {
            Reading::Keys => {
                let mut linked = HashSet::new();
                for (n, key) in order.iter().enumerate() {
                    if let Some((p, i, id)) = latest.remove(key)
                        && let Todo::Latest(_, list) = &mut todo[p]
                    {
                        list.push((i, (1, n, 0)));
                        linked.insert(id);
                    }
                }
                let keys: HashSet<&str> = order.iter().map(String::as_str).collect();
                Some(late_errors(
                    &changelogs,
                    &worklogs,
                    |key| keys.contains(key),
                    |id| linked.contains(id),
                    |p| pages.file(p),
                ))
            }
            _ => None,
        };
        Ok(Survey {
            early,
            todo,
            changelogs,
            worklogs,
            late,
        })
    }
}

/// The refusal of issue number `i` (from 0) of a page of `file`, which has no key.
fn no_key(file: &str, i: usize) -> InputError {
    record_error(
        file,
        &format!("number {} of the page", i + 1),
        "key",
        "missing: every issue needs its key (like `SUP-12`)",
    )
}

/// The refusals of changelog pages of issues that `is_issue` does not know, then of
/// worklogs of issues whose id is not `linked`.
fn late_errors<'f>(
    changelogs: &HashMap<String, Vec<History<'static>>>,
    worklogs: &HashMap<String, Vec<(usize, Log)>>,
    is_issue: impl Fn(&str) -> bool,
    linked: impl Fn(&str) -> bool,
    file: impl Fn(usize) -> &'f str,
) -> Vec<InputError> {
    let mut late = Vec::new();
    let mut unknown: Vec<String> = changelogs
        .keys()
        .filter(|k| !is_issue(k))
        .cloned()
        .collect();
    unknown.sort();
    for key in unknown {
        late.push(InputError::new(format!(
            "a changelog page of `{key}` was given, but no search page holds the issue `{key}`: add the page that holds it"
        )));
    }
    let mut orphans: Vec<_> = worklogs.iter().filter(|(id, _)| !linked(id)).collect();
    orphans.sort_by(|a, b| a.0.cmp(b.0));
    for (id, logs) in orphans {
        let file = logs.first().map_or("", |(p, _)| file(*p));
        late.push(InputError::new(format!(
            "{file}: worklogs of the issue with id `{id}`: issueId: no issue with that id in the search pages given: add the page that holds it"
        )));
    }
    late
}

/// The second reading: the issue pages read on every core, their issues mapped and
/// given to `consume` (see [`stream`]).
fn second_reading<P: Pages + ?Sized, R>(
    pages: &P,
    plan: &Plan<'_>,
    survey: &Survey,
    check: &(dyn Fn(&Ticket) -> Result<(), InputError> + Sync),
    starts_over: &AtomicBool,
    consume: &mut impl FnMut(&mut dyn Iterator<Item = Ranked>) -> R,
) -> R {
    let work: Vec<usize> = (0..pages.count())
        .filter(|&p| !matches!(survey.todo[p], Todo::Nothing))
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(work.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // A few pages ahead of the consumer at most: memory stays bounded.
    let (tx, rx) = mpsc::sync_channel::<Batch>(2 * workers);
    std::thread::scope(|s| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            s.spawn(move || {
                let mut buffer = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= work.len() || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let batch = map_page(pages, work[n], &mut buffer, plan, survey, check);
                    if tx.send(batch).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        // Refusals of pages before the first page the second reading reads come before
        // anything it can find: they are given first (a command may stop at once).
        let before = work.first().copied().unwrap_or(usize::MAX);
        let mut first: Vec<_> = survey
            .early
            .iter()
            .filter(|((_, p, _), _)| *p < before)
            .cloned()
            .collect();
        first.sort_by_key(|(rank, _)| *rank);
        let mut items = Items {
            first: first.into_iter(),
            before,
            rx: Some(rx),
            pages_left: work.len(),
            batch: Vec::new().into_iter(),
            errors: Vec::new(),
            last: Vec::new().into_iter(),
            survey,
            pages,
            keys: HashSet::new(),
            ids: HashSet::new(),
            starts_over,
        };
        let r = consume(&mut items);
        // A consumer that stopped early (the store refused a ticket) stops the workers.
        stop.store(true, Ordering::Relaxed);
        drop(items);
        r
    })
}

/// What the second reading made of a page.
struct Batch {
    items: Vec<Mapped>,
    /// The page holds worklogs or changelog entries the second reading did not expect:
    /// the import starts over.
    starts_over: bool,
}

/// An issue mapped (or a page refused) in the second reading.
struct Mapped {
    rank: Rank,
    /// The issue's key and id, for an issue with a key.
    issue: Option<(String, String)>,
    result: Result<Ticket, Error>,
}

/// The items of the second reading, as the consumer takes them.
struct Items<'s, P: ?Sized> {
    /// Refusals given before any ticket, and the first page they do not come before.
    first: std::vec::IntoIter<(Rank, InputError)>,
    before: usize,
    rx: Option<mpsc::Receiver<Batch>>,
    pages_left: usize,
    batch: std::vec::IntoIter<Mapped>,
    /// Input errors, given after every ticket.
    errors: Vec<(Rank, InputError)>,
    last: std::vec::IntoIter<(Rank, InputError)>,
    survey: &'s Survey,
    pages: &'s P,
    /// The keys and ids of the issues mapped, when the first reading did not read them.
    keys: HashSet<String>,
    ids: HashSet<String>,
    starts_over: &'s AtomicBool,
}

impl<P: Pages + ?Sized> Items<'_, P> {
    /// Ends this run: the import starts over with every page read whole.
    fn start_over(&mut self) -> Option<Ranked> {
        self.starts_over.store(true, Ordering::Relaxed);
        self.rx = None;
        self.batch = Vec::new().into_iter();
        let again = std::io::Error::other("the pages are read again");
        Some((
            (0, 0, 0),
            Err(Error::Io {
                path: String::new(),
                source: again,
            }),
        ))
    }

    /// The errors in their order, once every page is read.
    fn finish(&mut self) {
        let mut errors = std::mem::take(&mut self.errors);
        let before = self.before;
        errors.extend(
            self.survey
                .early
                .iter()
                .filter(|((_, p, _), _)| *p >= before)
                .cloned(),
        );
        let late = match &self.survey.late {
            Some(late) => late.clone(),
            None => late_errors(
                &self.survey.changelogs,
                &self.survey.worklogs,
                |key| self.keys.contains(key),
                |id| self.ids.contains(id),
                |p| self.pages.file(p),
            ),
        };
        errors.extend(late.into_iter().enumerate().map(|(n, e)| ((2, n, 0), e)));
        errors.sort_by_key(|(rank, _)| *rank);
        self.last = errors.into_iter();
    }
}

impl<P: Pages + ?Sized> Iterator for Items<'_, P> {
    type Item = Ranked;

    fn next(&mut self) -> Option<Ranked> {
        if let Some((rank, e)) = self.first.next() {
            return Some((rank, Err(e.into())));
        }
        loop {
            if let Some(m) = self.batch.next() {
                if self.survey.late.is_none()
                    && let Some((key, id)) = m.issue
                {
                    if !self.keys.insert(key) {
                        // The same issue twice: which copy is the latest is known only
                        // once every page is read.
                        return self.start_over();
                    }
                    self.ids.insert(id);
                }
                match m.result {
                    Err(Error::Input(e)) => self.errors.push((m.rank, e)),
                    other => return Some((m.rank, other)),
                }
                continue;
            }
            let Some(rx) = &self.rx else {
                return self.last.next().map(|(rank, e)| (rank, Err(e.into())));
            };
            match rx.recv() {
                Ok(batch) if batch.starts_over => return self.start_over(),
                Ok(batch) => {
                    self.pages_left -= 1;
                    self.batch = batch.items.into_iter();
                }
                Err(_) => {
                    self.rx = None;
                    if self.pages_left > 0 {
                        return Some((
                            (0, 0, 0),
                            Err(InputError::new(
                                "the import stopped before it had read every page (a thread reading them failed): nothing was imported",
                            )
                            .into()),
                        ));
                    }
                    self.finish();
                }
            }
        }
    }
}

/// Maps the issues of page `p` that the second reading maps.
fn map_page<P: Pages + ?Sized>(
    pages: &P,
    p: usize,
    buffer: &mut Vec<u8>,
    plan: &Plan<'_>,
    survey: &Survey,
    check: &(dyn Fn(&Ticket) -> Result<(), InputError> + Sync),
) -> Batch {
    let file = pages.file(p);
    let refused = |e: Error| Batch {
        items: vec![Mapped {
            rank: (0, p, 0),
            issue: None,
            result: Err(e),
        }],
        starts_over: false,
    };
    let text = match pages.text(p, buffer) {
        Ok(text) => text,
        Err(e) => return refused(e),
    };
    let map = |issue: &Issue<'_>, rank: Rank| -> Mapped {
        let key = issue.key.get().unwrap_or_default();
        let id = issue.id.get().unwrap_or_default();
        // An issue without an id has no worklogs: they name their issue by its id.
        let logs = match survey.worklogs.get(id) {
            Some(logs) if !id.is_empty() => logs.as_slice(),
            _ => &[],
        };
        let more: Vec<&History<'_>> = survey
            .changelogs
            .get(key)
            .map_or_else(Vec::new, |h| h.iter().collect());
        let result = ticket(file, key, issue, &more, plan)
            .and_then(|t| with_worklogs(t, logs, pages, plan.mapping))
            .and_then(|t| check(&t).map(|()| t));
        Mapped {
            rank,
            issue: Some((key.to_owned(), id.to_owned())),
            result: result.map_err(Error::from),
        }
    };
    let reading = Reading::Issues(&plan.wanted);
    let one_issue = || super::parse_with(file, text, ObjSeed::<_, Issue<'_>>::new(reading));
    let items = match &survey.todo[p] {
        Todo::Nothing => Vec::new(),
        Todo::Latest(true, todo) => match one_issue() {
            Ok(Obj(Some(issue))) => todo.iter().map(|&(_, rank)| map(&issue, rank)).collect(),
            Ok(Obj(None)) => Vec::new(),
            Err(e) => return refused(e.into()),
        },
        Todo::Latest(false, todo) => {
            match super::parse_with(file, text, ObjSeed::<_, Top<'_>>::new(reading)) {
                Ok(Obj(Some(Top {
                    issues: Slot::Array(list),
                    ..
                }))) => todo
                    .iter()
                    .filter_map(|&(i, rank)| Some(map(list.get(i)?.0.as_ref()?, rank)))
                    .collect(),
                Ok(_) => Vec::new(),
                Err(e) => return refused(e.into()),
            }
        }
        Todo::Everything => match glance(file, text, reading) {
            Found::Failed(e) => return refused(e.into()),
            Found::Issues(..) | Found::Deferred => Vec::new(),
            Found::Changelog(..) | Found::Worklogs(_) => {
                return Batch {
                    items: Vec::new(),
                    starts_over: true,
                };
            }
            Found::Read(list) => list
                .iter()
                .enumerate()
                .map(|(i, issue)| match issue.key.get() {
                    Some(_) => map(issue, (1, p, i)),
                    None => Mapped {
                        rank: (0, p, i),
                        issue: None,
                        result: Err(no_key(file, i).into()),
                    },
                })
                .collect(),
            Found::Single => match one_issue() {
                Ok(Obj(Some(issue))) if issue.key.get().is_some() => vec![map(&issue, (1, p, 0))],
                Ok(_) => vec![Mapped {
                    rank: (0, p, 0),
                    issue: None,
                    result: Err(no_key(file, 0).into()),
                }],
                Err(e) => return refused(e.into()),
            },
        },
    };
    Batch {
        items,
        starts_over: false,
    }
}

/// What every issue's mapping shares: the mapping, its mapped fields and the parts of an
/// issue it names by path.
struct Plan<'m> {
    mapping: &'m Mapping,
    mapped: Vec<MappedField<'m>>,
    wanted: Wanted,
}

impl<'m> Plan<'m> {
    fn new(mapping: &'m Mapping) -> Plan<'m> {
        let mapped = super::mapped_fields(mapping, &NO_RULE, PRIORITY_FROM, super::lowercase);
        let customer_from = mapping
            .customer
            .as_ref()
            .and_then(|r| r.from.as_deref())
            .unwrap_or(CUSTOMER_FROM);
        let paths = mapped.iter().map(|(_, _, path, _)| *path);
        let wanted = Wanted::of(paths.chain([customer_from]).filter(|p| !p.is_empty()));
        Plan {
            mapping,
            mapped,
            wanted,
        }
    }
}

/// The keys of an issue whose values the mapping reads by path
/// (`fields.customfield_10010.value`): they are kept as JSON values.
#[derive(Debug, Default)]
struct Wanted {
    /// Keys of the issue itself (`key`; `fields` for the path `fields`).
    top: Vec<String>,
    /// Keys of its `fields`.
    fields: Vec<String>,
}

impl Wanted {
    fn of<'p>(paths: impl Iterator<Item = &'p str>) -> Wanted {
        let mut wanted = Wanted::default();
        for path in paths {
            let (list, key) = match path.split_once('.') {
                Some(("fields", rest)) => (&mut wanted.fields, first_part(rest).0),
                _ => (&mut wanted.top, first_part(path).0),
            };
            if !list.iter().any(|k| k == key) {
                list.push(key.to_owned());
            }
        }
        wanted
    }
}

/// The first part of a dotted path and the rest, if any.
fn first_part(path: &str) -> (&str, Option<&str>) {
    match path.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    }
}

/// What a reading found in a page.
enum Found<'a> {
    /// A page that cannot be read as Jira's.
    Failed(InputError),
    /// A page with issues, put off to the second reading ([`Reading::Defer`]).
    Deferred,
    /// A changelog page: the issue's key and its entries (none when `values` is not a
    /// list).
    Changelog(String, Option<Vec<History<'static>>>),
    /// A worklog page.
    Worklogs(Vec<Log>),
    /// A search page or a single issue (`true`): the key and id of each issue, `None`
    /// for one without a key ([`Reading::Keys`]).
    Issues(bool, Vec<Option<(String, String)>>),
    /// The issues of a search page ([`Reading::Issues`]).
    Read(Vec<Issue<'a>>),
    /// A page that is one issue by itself, to be read as one ([`Reading::Issues`]).
    Single,
}

impl Found<'_> {
    /// What the first reading keeps: the issues read are put off.
    fn kept(self) -> Found<'static> {
        match self {
            Found::Failed(e) => Found::Failed(e),
            Found::Changelog(key, entries) => Found::Changelog(key, entries),
            Found::Worklogs(list) => Found::Worklogs(list),
            Found::Issues(single, keys) => Found::Issues(single, keys),
            Found::Deferred | Found::Read(_) | Found::Single => Found::Deferred,
        }
    }
}

/// Reads a page of `file` as `reading` says; another help desk's page, or one of no
/// help desk, is refused saying so.
fn glance<'a>(file: &str, text: &'a str, reading: Reading<'_>) -> Found<'a> {
    let top = match super::parse_seed(text, ObjSeed::<_, Top<'a>>::new(reading)) {
        Ok(Obj(Some(top))) => top,
        Ok(Obj(None)) => {
            // A list is a Zammad page; a string or number no help desk's.
            let found = text.trim_start().starts_with('[').then_some("zammad");
            return Found::Failed(super::wrong_source(file, found, "jira"));
        }
        Err(e) if matches!(reading, Reading::Defer) && e.to_string().starts_with(DEFERRED) => {
            return Found::Deferred;
        }
        Err(e) => return Found::Failed(super::page_error(&e, file, text)),
    };
    let self_url = top.self_url.get();
    let kind = super::kind_by_keys(
        |k| top.has(k),
        matches!(&top.issues, Slot::Array(list)
            if list.first().is_some_and(|i| i.0.as_ref().is_some_and(|i| !i.has_fields && i.has_tracker))),
        self_url,
    );
    // A changelog page (`/rest/api/3/issue/{key}/changelog`, whose `self` names the
    // issue; `values` holds the entries).
    if top.has("values")
        && let Some((before, _)) = self_url.and_then(|u| u.split_once("/changelog"))
        && let Some(key) = before.rsplit('/').next().filter(|k| !k.is_empty())
    {
        let entries = match top.values {
            Slot::Array(list) => Some(
                list.into_iter()
                    .map(|h| h.0.unwrap_or_default().into_owned())
                    .collect(),
            ),
            _ => None,
        };
        return Found::Changelog(key.to_owned(), entries);
    }
    if kind != Some("jira") {
        return Found::Failed(super::wrong_source(file, kind, "jira"));
    }
    let key_of = |key: &Str<'_>, id: &Text<'_>| {
        key.get()
            .map(|k| (k.to_owned(), id.owned().unwrap_or_default()))
    };
    let issues = matches!(reading, Reading::Issues(_));
    match (top.issues, top.worklogs) {
        (Slot::Array(list), _) if issues => {
            Found::Read(list.into_iter().map(|i| i.0.unwrap_or_default()).collect())
        }
        (Slot::Array(list), _) => Found::Issues(
            false,
            list.iter()
                .map(|i| i.0.as_ref().and_then(|i| key_of(&i.key, &i.id)))
                .collect(),
        ),
        // One issue by itself (`/rest/api/3/issue/{key}?expand=changelog`).
        (Slot::Absent, Slot::Absent) if issues => Found::Single,
        (Slot::Absent, Slot::Absent) => Found::Issues(true, vec![key_of(&top.key, &top.id)]),
        (_, Slot::Array(list)) => Found::Worklogs(
            list.into_iter()
                .map(|w| Log::from(w.0.unwrap_or_default()))
                .collect(),
        ),
        _ => Found::Failed(super::wrong_source(file, None, "jira")),
    }
}

/// The top level of a page: what tells its kind, and the lists of a Jira page.
#[derive(Default)]
struct Top<'a> {
    issues: Slot<Obj<Issue<'a>>>,
    worklogs: Slot<Obj<Worklog<'a>>>,
    values: Slot<Obj<History<'a>>>,
    self_url: Str<'a>,
    /// The key and id of a page that is one issue by itself.
    key: Str<'a>,
    id: Text<'a>,
    /// Which of [`super::SHAPE_KEYS`] the page has.
    keys: [bool; super::SHAPE_KEYS.len()],
}

impl Top<'_> {
    fn has(&self, key: &str) -> bool {
        super::SHAPE_KEYS
            .iter()
            .position(|k| *k == key)
            .is_some_and(|i| self.keys[i])
    }
}

impl<'de, 'w> Record<'de, Reading<'w>> for Top<'de> {
    fn set<D: Deserializer<'de>>(
        &mut self,
        reading: Reading<'w>,
        key: &str,
        d: D,
    ) -> Result<(), D::Error> {
        if let Some(i) = super::SHAPE_KEYS.iter().position(|k| *k == key) {
            self.keys[i] = true;
        }
        match key {
            "issues" | "fields" | "changelog" if matches!(reading, Reading::Defer) => {
                return Err(serde::de::Error::custom(DEFERRED));
            }
            "issues" => self.issues = SlotSeed(ObjSeed::new(reading)).deserialize(d)?,
            "worklogs" => self.worklogs = Slot::deserialize(d)?,
            "values" => self.values = Slot::deserialize(d)?,
            "self" => self.self_url = Str::deserialize(d)?,
            "key" => self.key = Str::deserialize(d)?,
            "id" => self.id = Text::deserialize(d)?,
            _ => {
                IgnoredAny::deserialize(d)?;
            }
        }
        Ok(())
    }
}

/// Values kept whole, by key (the last of a key given twice).
type Kept = Vec<(String, Value)>;

/// A record some of whose keys the mapping reads by path: those keys are read into the
/// record and also kept whole.
trait Keeping<'de> {
    /// The keys the record reads.
    const READS: &'static [&'static str];
    /// Reads `key` into the record.
    fn read<D: Deserializer<'de>>(&mut self, w: &Wanted, key: &str, d: D) -> Result<(), D::Error>;
    /// The values kept whole.
    fn kept(&mut self) -> &mut Kept;
}

/// Reads `key` into `record`, keeping its value whole too when `wanted` lists it.
fn read_keeping<'de, T: Keeping<'de>, D: Deserializer<'de>>(
    record: &mut T,
    w: &Wanted,
    wanted: &[String],
    key: &str,
    d: D,
) -> Result<(), D::Error> {
    if !wanted.iter().any(|k| k == key) {
        return record.read(w, key, d);
    }
    let value = Value::deserialize(d)?;
    if T::READS.contains(&key) {
        record
            .read(w, key, value.clone())
            .map_err(serde::de::Error::custom)?;
    }
    let kept = record.kept();
    kept.retain(|(k, _)| k != key);
    kept.push((key.to_owned(), value));
    Ok(())
}

/// The value kept at `key`.
fn kept<'k>(kept: &'k Kept, key: &str) -> Option<&'k Value> {
    kept.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// An issue: what the mapping reads of it.
#[derive(Default)]
struct Issue<'a> {
    key: Str<'a>,
    id: Text<'a>,
    fields: Obj<Fields<'a>>,
    changelog: Obj<Changelog<'a>>,
    /// Whether it has `fields` and `tracker` (a Redmine issue has no `fields`).
    has_fields: bool,
    has_tracker: bool,
    kept: Kept,
}

impl<'de> Keeping<'de> for Issue<'de> {
    const READS: &'static [&'static str] = &["key", "id", "fields", "changelog", "tracker"];
    fn read<D: Deserializer<'de>>(&mut self, w: &Wanted, key: &str, d: D) -> Result<(), D::Error> {
        match key {
            "key" => self.key = Str::deserialize(d)?,
            "id" => self.id = Text::deserialize(d)?,
            "fields" => {
                self.has_fields = true;
                self.fields = ObjSeed::new(w).deserialize(d)?;
            }
            "changelog" => self.changelog = Obj::deserialize(d)?,
            "tracker" => {
                self.has_tracker = true;
                IgnoredAny::deserialize(d)?;
            }
            _ => {
                IgnoredAny::deserialize(d)?;
            }
        }
        Ok(())
    }
    fn kept(&mut self) -> &mut Kept {
        &mut self.kept
    }
}

impl<'de, 'w> Record<'de, Reading<'w>> for Issue<'de> {
    fn set<D: Deserializer<'de>>(
        &mut self,
        reading: Reading<'w>,
        key: &str,
        d: D,
    ) -> Result<(), D::Error> {
        match reading {
            Reading::Issues(w) => read_keeping(self, w, &w.top, key, d),
            // The first reading: the key and id, and whether it has `fields` and `tracker`.
            Reading::Defer | Reading::Keys => {
                match key {
                    "key" => self.key = Str::deserialize(d)?,
                    "id" => self.id = Text::deserialize(d)?,
                    _ => {
                        match key {
                            "fields" => self.has_fields = true,
                            "tracker" => self.has_tracker = true,
                            _ => {}
                        }
                        IgnoredAny::deserialize(d)?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl Issue<'_> {
    /// The value at a dotted `path` (`fields.project.key`), if the mapping names it.
    fn lookup(&self, path: &str) -> Option<&Value> {
        let (value, rest) = match first_part(path) {
            ("fields", Some(rest)) => {
                let (key, rest) = first_part(rest);
                (kept(&self.fields.0.as_ref()?.kept, key)?, rest)
            }
            (key, rest) => (kept(&self.kept, key)?, rest),
        };
        match rest {
            Some(rest) => lookup(value, rest),
            None => Some(value),
        }
    }

    /// The text at a dotted `path`.
    fn text_at(&self, path: &str) -> Option<String> {
        self.lookup(path).and_then(text_of)
    }
}

/// The `fields` of an issue that the mapping reads.
#[derive(Default)]
struct Fields<'a> {
    created: Str<'a>,
    summary: Text<'a>,
    status: Obj<Status<'a>>,
    assignee: Obj<Person<'a>>,
    reporter: Obj<Person<'a>>,
    issuetype: Obj<Named<'a>>,
    comment: Obj<Comments<'a>>,
    kept: Kept,
}

impl<'de> Keeping<'de> for Fields<'de> {
    const READS: &'static [&'static str] = &[
        "created",
        "summary",
        "status",
        "assignee",
        "reporter",
        "issuetype",
        "comment",
    ];
    fn read<D: Deserializer<'de>>(&mut self, _: &Wanted, key: &str, d: D) -> Result<(), D::Error> {
        match key {
            "created" => self.created = Str::deserialize(d)?,
            "summary" => self.summary = Text::deserialize(d)?,
            "status" => self.status = Obj::deserialize(d)?,
            "assignee" => self.assignee = Obj::deserialize(d)?,
            "reporter" => self.reporter = Obj::deserialize(d)?,
            "issuetype" => self.issuetype = Obj::deserialize(d)?,
            "comment" => self.comment = Obj::deserialize(d)?,
            _ => {
                IgnoredAny::deserialize(d)?;
            }
        }
        Ok(())
    }
    fn kept(&mut self) -> &mut Kept {
        &mut self.kept
    }
}

impl<'de, 'w> Record<'de, &'w Wanted> for Fields<'de> {
    fn set<D: Deserializer<'de>>(
        &mut self,
        w: &'w Wanted,
        key: &str,
        d: D,
    ) -> Result<(), D::Error> {
        read_keeping(self, w, &w.fields, key, d)
    }
}

/// Implements [`Record`] without context for a struct whose keys are read each into a
/// field of the same type.
macro_rules! record {
    ($name:ident { $($key:literal => $field:ident),* $(,)? }) => {
        impl<'de> Record<'de, ()> for $name<'de> {
            fn set<D: Deserializer<'de>>(&mut self, _: (), key: &str, d: D) -> Result<(), D::Error> {
                match key {
                    $($key => self.$field = Deserialize::deserialize(d)?,)*
                    _ => {
                        IgnoredAny::deserialize(d)?;
                    }
                }
                Ok(())
            }
        }
    };
}

/// An issue's status.
#[derive(Default)]
struct Status<'a> {
    name: Text<'a>,
    category: Obj<Category<'a>>,
}
record!(Status { "name" => name, "statusCategory" => category });

/// A status's category (`new`, `indeterminate`, `done`).
#[derive(Default)]
struct Category<'a> {
    key: Str<'a>,
}
record!(Category { "key" => key });

/// Something with a name (the issue type).
#[derive(Default)]
struct Named<'a> {
    name: Text<'a>,
}
record!(Named { "name" => name });

/// A person (`{"accountId": "…", "displayName": "Olga Petrova"}`).
#[derive(Default)]
struct Person<'a> {
    display_name: Json<'a>,
    name: Json<'a>,
    account_id: Json<'a>,
    email: Json<'a>,
    key: Json<'a>,
}
record!(Person {
    "displayName" => display_name,
    "name" => name,
    "accountId" => account_id,
    "emailAddress" => email,
    "key" => key,
});

impl Person<'_> {
    /// The display name, else the user name or account id.
    fn called(&self) -> Option<&str> {
        [
            &self.display_name,
            &self.name,
            &self.account_id,
            &self.email,
        ]
        .into_iter()
        .find_map(Json::as_str)
    }

    /// Whether two people are the same: by account id, user name or key where both have
    /// one, else by display name.
    fn is(&self, other: &Person<'_>) -> bool {
        for (x, y) in [
            (&self.account_id, &other.account_id),
            (&self.name, &other.name),
            (&self.key, &other.key),
        ] {
            if x.is_present() && y.is_present() {
                return x == y;
            }
        }
        self.display_name.is_present() && self.display_name == other.display_name
    }
}

/// The name of a person, if the value is one.
fn called(person: &Obj<Person<'_>>) -> Option<String> {
    person
        .0
        .as_ref()
        .and_then(Person::called)
        .map(str::to_owned)
}

/// An issue's changelog as a search page holds it.
#[derive(Default)]
struct Changelog<'a> {
    histories: Each<History<'a>>,
    total: Count,
}
record!(Changelog { "histories" => histories, "total" => total });

/// One entry of the changelog.
#[derive(Default)]
struct History<'a> {
    id: Text<'a>,
    created: Str<'a>,
    author: Obj<Person<'a>>,
    items: Each<Item<'a>>,
}
record!(History { "id" => id, "created" => created, "author" => author, "items" => items });

impl History<'_> {
    /// The entry without borrowing from its page (only its id, time, author's name and
    /// changes: what the mapping reads).
    fn into_owned(self) -> History<'static> {
        let author = Person {
            display_name: self
                .author
                .0
                .as_ref()
                .and_then(Person::called)
                .map_or(Json::Absent, |n| Json::Str(Cow::Owned(n.to_owned()))),
            ..Person::default()
        };
        History {
            id: Text(owned(self.id.0)),
            created: Str(owned(self.created.0)),
            author: Obj(self.author.0.map(|_| author)),
            items: Each(
                self.items
                    .0
                    .into_iter()
                    .map(|it| Item {
                        field: Text(owned(it.field.0)),
                        field_id: Text(owned(it.field_id.0)),
                        from_string: Text(owned(it.from_string.0)),
                        from: Text(owned(it.from.0)),
                        to_string: Text(owned(it.to_string.0)),
                        to: Text(owned(it.to.0)),
                    })
                    .collect(),
            ),
        }
    }
}

/// A borrowed text made owned.
fn owned(text: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    text.map(|t| Cow::Owned(t.into_owned()))
}

/// One change within a changelog entry.
#[derive(Default)]
struct Item<'a> {
    field: Text<'a>,
    field_id: Text<'a>,
    from_string: Text<'a>,
    from: Text<'a>,
    to_string: Text<'a>,
    to: Text<'a>,
}
record!(Item {
    "field" => field,
    "fieldId" => field_id,
    "fromString" => from_string,
    "from" => from,
    "toString" => to_string,
    "to" => to,
});

impl Item<'_> {
    fn field(&self) -> &str {
        self.field.get().unwrap_or_default()
    }

    /// The value before the change: its name, else its id.
    fn before(&self) -> Option<&str> {
        self.from_string.get().or_else(|| self.from.get())
    }

    /// The value after the change.
    fn after(&self) -> Option<&str> {
        self.to_string.get().or_else(|| self.to.get())
    }

    /// Whether this change is of the record's field at `path` (`fields.priority.name`).
    fn is_of(&self, path: &str) -> bool {
        let Some(top) = path
            .strip_prefix("fields.")
            .and_then(|p| p.split('.').next())
        else {
            return false;
        };
        self.field_id.get() == Some(top) || self.field().eq_ignore_ascii_case(top)
    }
}

/// An issue's comments, as many as the page holds, and how many Jira has.
#[derive(Default)]
struct Comments<'a> {
    comments: Each<Comment<'a>>,
    total: Count,
}
record!(Comments { "comments" => comments, "total" => total });

/// A comment.
#[derive(Default)]
struct Comment<'a> {
    created: Str<'a>,
    author: Obj<Person<'a>>,
    public: Flag,
    body: Body<'a>,
}
record!(Comment { "created" => created, "author" => author, "jsdPublic" => public, "body" => body });

/// An entry of a worklog page.
#[derive(Default)]
struct Worklog<'a> {
    id: Text<'a>,
    issue: Text<'a>,
    started: Str<'a>,
    seconds: super::json::Number,
    author: Obj<Person<'a>>,
    comment: Body<'a>,
}
record!(Worklog {
    "id" => id,
    "issueId" => issue,
    "started" => started,
    "timeSpentSeconds" => seconds,
    "author" => author,
    "comment" => comment,
});

/// A worklog entry, kept until its issue is mapped.
struct Log {
    id: Option<String>,
    /// The id of its issue, empty when it names none.
    issue: String,
    started: Option<String>,
    seconds: Option<f64>,
    engineer: Option<String>,
    note: String,
}

impl From<Worklog<'_>> for Log {
    fn from(w: Worklog<'_>) -> Log {
        Log {
            id: w.id.owned(),
            issue: w.issue.owned().unwrap_or_default(),
            started: w.started.get().map(str::to_owned),
            seconds: w.seconds.0,
            engineer: called(&w.author),
            note: w.comment.text(),
        }
    }
}

/// Reads a time of the record, `fail` making the error of a missing or unreadable one.
fn read_time(
    text: Option<&str>,
    zone: Option<chrono_tz::Tz>,
    fail: impl FnOnce(&str) -> InputError,
) -> Result<DateTime<FixedOffset>, InputError> {
    match text {
        Some(text) => parse_time(text, zone).map_err(|m| fail(&m)),
        None => Err(fail(
            "missing: expected a time like `2016-03-03T13:40:01.000+0000`",
        )),
    }
}

/// Whether `name` is one of `names`, without regard to case.
fn among<'a>(name: &str, mut names: impl Iterator<Item = &'a str>) -> bool {
    names.any(|n| n.eq_ignore_ascii_case(name))
}

/// One changelog entry, its time read.
struct Change<'h, 'a> {
    at: DateTime<FixedOffset>,
    author: Option<&'h str>,
    items: &'h [Item<'a>],
}

/// The ticket of the issue `key` of `file`, its changelog completed by `more_history`
/// (from changelog pages), without its worklogs.
fn ticket<'a>(
    file: &str,
    key: &str,
    issue: &Issue<'a>,
    more_history: &[&History<'a>],
    plan: &Plan<'_>,
) -> Result<Ticket, InputError> {
    let mapping = plan.mapping;
    let fail = |field: &str, message: &str| record_error(file, key, field, message);
    let zone = mapping.timezone;
    let Some(fields) = &issue.fields.0 else {
        return Err(fail(
            "fields",
            "missing: save the search with its fields (`fields=*all` or the ones slaengine reads)",
        ));
    };
    let registered = read_time(fields.created.get(), zone, |m| fail("fields.created", m))?;

    // The changelog, oldest first.
    // Search results hold at most 40 entries of each changelog; changelog pages give the
    // rest (and repeat some: an entry is taken once, by its id).
    let (inline, total) = match &issue.changelog.0 {
        Some(c) => (c.histories.0.as_slice(), c.total.0),
        None => (&[][..], None),
    };
    let mut ids = HashSet::new();
    let histories: Vec<&History<'a>> = inline
        .iter()
        .chain(more_history.iter().copied())
        .filter(|h| match h.id.get() {
            Some(id) => ids.insert(id),
            None => true,
        })
        .collect();
    if let Some(total) = total
        && total > histories.len() as u64
    {
        return Err(fail(
            "changelog.histories",
            &format!(
                "the pages hold {} of the {total} changelog entries Jira has (search results hold 40 at most): save the issue's changelog pages too (`/rest/api/3/issue/{key}/changelog?startAt=0`, then 100, ...)",
                histories.len()
            ),
        ));
    }
    let mut history = Vec::with_capacity(histories.len());
    for (i, h) in histories.iter().enumerate() {
        let at = read_time(h.created.get(), zone, |m| {
            fail(&format!("changelog.histories[{i}].created"), m)
        })?;
        history.push(Change {
            at,
            author: h.author.0.as_ref().and_then(Person::called),
            items: &h.items.0,
        });
    }
    history.sort_by_key(|h| h.at);
    let first_change = |matches: &dyn Fn(&Item<'_>) -> bool| {
        history
            .iter()
            .flat_map(|h| h.items)
            .find(|it| matches(it))
            .map(Item::before)
    };

    // The values at creation: a mapped field's first change's `from`, else its value now.
    let value_at_creation = |path: &str| -> Option<String> {
        match first_change(&|it| it.is_of(path)) {
            Some(from) => from.map(str::to_owned),
            None => issue.text_at(path),
        }
    };
    let customer = super::customer(mapping, CUSTOMER_FROM, |p| issue.text_at(p), super::lowercase)
        .map_err(|from| fail(from, "missing, so the customer is unknown: give the mapping's `customer` a `default` or another `from`"))?;
    let initial = super::initial_values(&plan.mapped, value_at_creation);

    // Status sets.
    let status = fields.status.0.as_ref();
    let current_status = status.and_then(|s| s.name.get());
    let current_done = status
        .and_then(|s| s.category.0.as_ref())
        .and_then(|c| c.key.get())
        .is_some_and(|k| k == "done");
    let done_now = current_status.filter(|_| current_done);
    let is_resolved = |name: &str| {
        among(name, RESOLVED.into_iter())
            || among(name, mapping.statuses.resolved.iter().map(String::as_str))
            || done_now.is_some_and(|d| d.eq_ignore_ascii_case(name))
    };
    let is_paused = |name: &str| {
        among(name, PAUSED.into_iter())
            || among(name, mapping.statuses.paused.iter().map(String::as_str))
    };

    let mut events = Vec::new();
    let initial_status = match first_change(&|it| it.field().eq_ignore_ascii_case("status")) {
        Some(from) => from,
        None => current_status,
    };
    let initial_assignee = match first_change(&|it| it.field().eq_ignore_ascii_case("assignee")) {
        Some(from) => from.map(str::to_owned),
        None => called(&fields.assignee),
    };
    if let Some(engineer) = initial_assignee {
        let mut e = Event::new(registered, EventKind::Assigned);
        e.engineer = Some(engineer);
        e.note = Some("assigned at creation".into());
        events.push(e);
    }
    let mut paused = false;
    let mut resolved = false;
    if let Some(status) = initial_status {
        if is_paused(status) {
            paused = true;
            let mut e = Event::new(registered, EventKind::Paused);
            e.note = Some(format!("created in status {status}"));
            events.push(e);
        }
        if is_resolved(status) {
            resolved = true;
            let mut e = Event::new(registered, EventKind::Resolved);
            e.note = Some(format!("created in status {status}"));
            events.push(e);
        }
    }

    for h in &history {
        let event = |kind: EventKind| {
            let mut e = Event::new(h.at, kind);
            e.by = h.author.map(str::to_owned);
            e
        };
        for it in h.items {
            if it.field().eq_ignore_ascii_case("status") {
                let to = it.after().unwrap_or_default();
                let (now_paused, now_resolved) = (is_paused(to), is_resolved(to));
                let mut changes = Vec::new();
                if paused && !now_paused {
                    changes.push(EventKind::Resumed);
                }
                if resolved && !now_resolved {
                    changes.push(EventKind::Reopened);
                }
                if !paused && now_paused {
                    changes.push(EventKind::Paused);
                }
                if !resolved && now_resolved {
                    changes.push(EventKind::Resolved);
                }
                if !changes.is_empty() {
                    let note = format!("status {} → {to}", it.before().unwrap_or("(none)"));
                    for kind in changes {
                        let mut e = event(kind);
                        e.note = Some(note.clone());
                        events.push(e);
                    }
                }
                paused = now_paused;
                resolved = now_resolved;
            } else if it.field().eq_ignore_ascii_case("assignee") {
                let Some(to) = it.after() else {
                    continue;
                };
                if resolved {
                    let mut e = event(EventKind::Comment);
                    e.note = Some(format!("assigned to {to} after resolution"));
                    events.push(e);
                } else {
                    let mut e = event(EventKind::Assigned);
                    e.engineer = Some(to.to_owned());
                    events.push(e);
                }
            }
            for (name, rule, path, fallback) in &plan.mapped {
                if !path.is_empty() && it.is_of(path) {
                    let mut e = event(EventKind::Changed);
                    e.field = Some((*name).to_owned());
                    e.to = Some(
                        rule.apply(it.after(), fallback)
                            .map_or(Value::Null, Value::String),
                    );
                    events.push(e);
                }
            }
        }
    }

    // Comments: a list Jira may have cut (`{total, comments: [...]}`) is refused.
    let (comments, total) = match &fields.comment.0 {
        Some(c) => (c.comments.0.as_slice(), c.total.0),
        None => (&[][..], None),
    };
    if let Some(total) = total
        && total > comments.len() as u64
    {
        return Err(fail(
            "fields.comment.comments",
            &format!(
                "the page holds {} of the {total} entries Jira has, and slaengine needs them all: save the issue by itself (`/rest/api/3/issue/KEY?expand=changelog`) in place of its search result",
                comments.len()
            ),
        ));
    }
    let reporter = fields.reporter.0.as_ref();
    for (i, c) in comments.iter().enumerate() {
        let at = read_time(c.created.get(), zone, |m| {
            fail(&format!("fields.comment.comments[{i}].created"), m)
        })?;
        let author = c.author.0.as_ref();
        let kind = if c.public.0 == Some(false) {
            EventKind::Comment
        } else if let (Some(a), Some(r)) = (author, reporter)
            && a.is(r)
        {
            EventKind::CustomerReplied
        } else {
            EventKind::Replied
        };
        let mut e = Event::new(at, kind);
        e.by = called(&c.author);
        let text = c.body.text();
        e.note = (!text.is_empty()).then_some(text);
        events.push(e);
    }
    events.sort_by_key(|e| e.at);

    let mut fields_kept = BTreeMap::new();
    if let Some(s) = current_status {
        fields_kept.insert("jira_status".to_owned(), Value::String(s.to_owned()));
    }
    if let Some(t) = fields.issuetype.0.as_ref().and_then(|t| t.name.owned()) {
        fields_kept.insert("jira_type".to_owned(), Value::String(t));
    }
    let mut initial = initial;
    Ok(Ticket {
        id: key.to_owned(),
        customer,
        product: initial.remove("product").flatten(),
        category: initial.remove("category").flatten(),
        priority: initial.remove("priority").flatten(),
        summary: fields.summary.owned().unwrap_or_default(),
        registered,
        fields: fields_kept,
        attachments: Vec::new(),
        events,
    })
}

/// `ticket` with the worklog entries `logs` (each with its page) as `worklog` events:
/// `started`, `timeSpentSeconds` as hours, `author` as engineer.
fn with_worklogs<P: Pages + ?Sized>(
    mut ticket: Ticket,
    logs: &[(usize, Log)],
    pages: &P,
    mapping: &Mapping,
) -> Result<Ticket, InputError> {
    if logs.is_empty() {
        return Ok(ticket);
    }
    let key = &ticket.id;
    for (p, w) in logs {
        let wfail = |field: &str, message: &str| {
            InputError::new(format!(
                "{}: worklog `{}` of record `{key}`: {field}: {message}",
                pages.file(*p),
                w.id.as_deref().unwrap_or_default()
            ))
        };
        let at = match &w.started {
            Some(text) => parse_time(text, mapping.timezone).map_err(|m| wfail("started", &m))?,
            None => {
                return Err(wfail(
                    "started",
                    "missing: expected the time the work started",
                ));
            }
        };
        let Some(seconds) = w.seconds.filter(|s| *s > 0.0 && s.is_finite()) else {
            return Err(wfail(
                "timeSpentSeconds",
                "expected a positive number of seconds",
            ));
        };
        let mut e = Event::new(at, EventKind::Worklog);
        // Hours to four places, but never rounded down to none.
        let hours = (seconds / 3600.0 * 10_000.0).round() / 10_000.0;
        e.hours = Some(if hours > 0.0 { hours } else { seconds / 3600.0 });
        e.engineer = w.engineer.clone();
        e.note = (!w.note.is_empty()).then(|| w.note.clone());
        ticket.events.push(e);
    }
    // Stable: the events already in order keep it, and come before worklogs of their time.
    ticket.events.sort_by_key(|e| e.at);
    Ok(ticket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pages: &[(&str, &str)], mapping: &Mapping) -> Vec<Result<Ticket, InputError>> {
        let pages: Vec<Page<'_>> = pages
            .iter()
            .map(|(file, text)| Page { file, text })
            .collect();
        import(&pages, mapping)
    }

    fn kinds(t: &Ticket) -> Vec<&str> {
        t.events.iter().map(|e| e.kind.as_str()).collect()
    }

    const ISSUE: &str = r#"{"issues": [{"id": "1", "key": "SUP-1",
        "changelog": {"histories": [
          {"created": "2026-03-02T10:00:00.000+0300", "items": [
            {"field": "status", "fromString": "Open", "toString": "Waiting for support"}]},
          {"created": "2026-03-02T11:00:00.000+0300", "items": [
            {"field": "status", "fromString": "Waiting for support", "toString": "Waiting for vendor"}]},
          {"created": "2026-03-02T12:00:00.000+0300", "items": [
            {"field": "Severity", "fieldId": "customfield_1", "fromString": "S2", "toString": "S1"},
            {"field": "status", "fromString": "Waiting for vendor", "toString": "Fixed"}]}
        ]},
        "fields": {"created": "2026-03-02T09:00:00.000+0300", "project": {"key": "SUP"},
                   "customfield_1": {"value": "S1"}, "assignee": null,
                   "status": {"name": "Fixed", "statusCategory": {"key": "indeterminate"}}}}]}"#;

    #[test]
    fn the_mapping_s_statuses_and_fields_are_followed() {
        let mapping = Mapping::parse(
            "category: { from: fields.customfield_1, map: { S1: error.complete_failure, S2: error.module_failure } }\nstatuses: { paused: [waiting for vendor], resolved: [Fixed] }\n",
            "m.yaml",
        )
        .unwrap();
        let t = run(&[("p.json", ISSUE)], &mapping).remove(0).unwrap();
        // "Waiting for support" is the vendor's turn: the clock runs.
        // Changes within one entry keep their order.
        assert_eq!(kinds(&t), ["paused", "changed", "resumed", "resolved"]);
        assert_eq!(t.category.as_deref(), Some("error.module_failure"));
        assert_eq!(t.events[1].field.as_deref(), Some("category"));
        assert_eq!(t.events[1].to, Some(Value::from("error.complete_failure")));
        // Without the mapping nothing pauses or resolves.
        let t = run(&[("p.json", ISSUE)], &Mapping::default())
            .remove(0)
            .unwrap();
        assert!(t.events.is_empty(), "{:?}", t.events);
    }

    #[test]
    fn pages_overlap_and_worklogs_need_their_issue() {
        let newer = ISSUE.replace("\"key\": \"SUP-1\"", "\"key\": \"SUP-1\", \"x\": 1");
        let logs = r#"{"worklogs": [
            {"id": "1", "issueId": "1", "started": "2026-03-02T13:00:00.000+0300", "timeSpentSeconds": 900, "author": {"displayName": "Ivan"}},
            {"id": "1", "issueId": "1", "started": "2026-03-02T13:00:00.000+0300", "timeSpentSeconds": 900, "author": {"displayName": "Ivan"}},
            {"id": "2", "issueId": "99", "started": "2026-03-02T13:00:00.000+0300", "timeSpentSeconds": 900}]}"#;
        let all = run(
            &[("a.json", ISSUE), ("b.json", &newer), ("w.json", logs)],
            &Mapping::default(),
        );
        assert_eq!(all.len(), 2, "{all:?}");
        let t = all[0].as_ref().unwrap();
        assert_eq!(kinds(t), ["worklog"]);
        assert_eq!(t.events[0].hours, Some(0.25));
        let err = all[1].as_ref().unwrap_err();
        assert!(
            err.message
                .starts_with("w.json: worklogs of the issue with id `99`"),
            "{}",
            err.message
        );

        let zero = logs.replace("900", "0");
        let all = run(&[("a.json", ISSUE), ("w.json", &zero)], &Mapping::default());
        let err = all[0].as_ref().unwrap_err();
        assert_eq!(
            err.message,
            "w.json: worklog `1` of record `SUP-1`: timeSpentSeconds: expected a positive number of seconds"
        );
    }

    #[test]
    fn changelog_pages_complete_a_cut_history() {
        let issue = r#"{"issues": [{"id": "1", "key": "SUP-3",
            "changelog": {"startAt": 0, "maxResults": 1, "total": 2, "histories": [
              {"id": "2", "created": "2026-03-02T12:00:00.000+0300", "items": [
                {"field": "status", "fromString": "In Progress", "toString": "Done"}]}]},
            "fields": {"created": "2026-03-02T09:00:00.000+0300", "project": {"key": "SUP"}}}]}"#;
        let page = r#"{"self": "https://example.atlassian.net/rest/api/3/issue/SUP-3/changelog?maxResults=100&startAt=0",
            "maxResults": 100, "startAt": 0, "total": 2, "isLast": true, "values": [
              {"id": "1", "created": "2026-03-02T10:00:00.000+0300", "items": [
                {"field": "assignee", "fromString": null, "toString": "Ivan"}]},
              {"id": "2", "created": "2026-03-02T12:00:00.000+0300", "items": [
                {"field": "status", "fromString": "In Progress", "toString": "Done"}]}]}"#;
        let cut = run(&[("s.json", issue)], &Mapping::default()).remove(0);
        let err = cut.unwrap_err().message;
        assert!(
            err.contains("the pages hold 1 of the 2 changelog entries"),
            "{err}"
        );
        let all = run(&[("c.json", page), ("s.json", issue)], &Mapping::default());
        let t = all[0].as_ref().unwrap();
        assert_eq!(kinds(t), ["assigned", "resolved"]);
        let orphan = run(&[("c.json", page)], &Mapping::default());
        assert!(
            orphan[0]
                .as_ref()
                .unwrap_err()
                .message
                .contains("no search page holds the issue `SUP-3`")
        );
    }

    #[test]
    fn records_without_a_key_or_fields_are_named() {
        let all = run(
            &[(
                "p.json",
                r#"{"issues": [{"id": "1"}, {"id": "2", "key": "SUP-2"}]}"#,
            )],
            &Mapping::default(),
        );
        assert_eq!(
            all[0].as_ref().unwrap_err().message,
            "p.json: record `number 1 of the page`: key: missing: every issue needs its key (like `SUP-12`)"
        );
        assert!(
            all[1]
                .as_ref()
                .unwrap_err()
                .message
                .starts_with("p.json: record `SUP-2`: fields: missing")
        );
    }

    #[test]
    fn a_page_put_off_that_holds_worklogs_starts_the_import_over() {
        // `issues` puts the first page off; it turns out to be a worklog page.
        let logs = r#"{"issues": "none", "worklogs": [
            {"id": "7", "issueId": "1", "started": "2026-03-02T13:00:00.000+0300", "timeSpentSeconds": 1800}]}"#;
        let all = run(&[("a.json", logs), ("p.json", ISSUE)], &Mapping::default());
        assert_eq!(all.len(), 1, "{all:?}");
        let t = all[0].as_ref().unwrap();
        assert_eq!(
            t.events.last().map(|e| (e.kind.as_str(), e.hours)),
            Some(("worklog", Some(0.5)))
        );
    }

    /// Each run of [`stream`] over `pages`: its items, as ticket ids or error messages.
    fn runs(pages: &[(&str, &str)]) -> Vec<Vec<Result<String, String>>> {
        let pages: Vec<Page<'_>> = pages
            .iter()
            .map(|(file, text)| Page { file, text })
            .collect();
        let mut runs = Vec::new();
        stream(&pages[..], &Mapping::default(), &|_| Ok(()), |items| {
            runs.push(
                items
                    .map(|(_, r)| r.map(|t| t.id).map_err(|e| e.to_string()))
                    .collect(),
            );
        })
        .unwrap();
        runs
    }

    #[test]
    fn the_stream_gives_tickets_then_errors_and_starts_over_when_it_must() {
        let bad = r#"{"issues": [{"id": "2", "key": "SUP-2"}, {"id": "3"}]}"#;
        let runs = runs(&[("bad.json", bad), ("p.json", ISSUE)]);
        assert_eq!(runs.len(), 1);
        let items = &runs[0];
        assert_eq!(items[0], Ok("SUP-1".to_owned()), "{runs:?}");
        let error = |i: usize| items[i].clone().unwrap_err();
        assert!(
            error(1).contains("record `number 2 of the page`"),
            "{runs:?}"
        );
        assert!(error(2).contains("record `SUP-2`: fields"), "{runs:?}");
        // A refusal of a page before any issue page comes first.
        let runs = self::runs(&[("a.json", r#"{"tickets": []}"#), ("p.json", ISSUE)]);
        assert!(
            runs[0][0].clone().unwrap_err().contains("Zendesk"),
            "{runs:?}"
        );
        assert_eq!(runs[0][1], Ok("SUP-1".to_owned()), "{runs:?}");
        // The same issue twice: the first run ends with an error, the second is exact.
        let newer = ISSUE.replace("\"id\": \"1\"", "\"id\": \"9\"");
        let runs = self::runs(&[("a.json", ISSUE), ("b.json", &newer)]);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert!(runs[0].last().is_some_and(Result::is_err), "{runs:?}");
        assert_eq!(runs[1], [Ok("SUP-1".to_owned())]);
    }
}

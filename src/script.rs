//! Rhai scripts: the rules YAML cannot say, run in a sandbox.
//!
//! Every contract gets one [`ScriptSet`]: an engine configured once with explicit limits
//! (operations, call depth, expression depth, string/array/map sizes, variables,
//! functions, and a wall-clock budget per hook call), `eval` and `import` disabled, strict
//! variables, misspelt map properties as errors — and the contract's calendar helpers.
//! Scripts are compiled once per contract revision, and once more by each other thread
//! that runs them: rhai shares the parts of an engine and a compiled script by reference
//! count, and two cores bumping one count take turns at its cache line on every call. A
//! hook is called without re-running the script's top-level statements. There is no
//! clock in the sandbox, so a hook is a function of what it reads, and calls are
//! memoised on exactly that (see the `memo` module).
//!
//! Hooks (any subset, template scripts first):
//! `classify(ticket)`, `targets(ticket, targets)`, `findings(ticket, evaluation)`,
//! `allowance(ticket, usage)`. Helper functions in a script must be `private fn`.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use rhai::{
    AST, Array, CallFnOptions, Dynamic, Engine, EvalAltResult, FnAccess, Map, Position, Scope,
};

use crate::calendar::Calendar;
use crate::duration::Duration;
use crate::error::InputError;
use crate::instant::instant_text;
use crate::ticket::Ticket;

mod memo;
pub use memo::{memo_hits, memoize};

/// The hooks a script may define, with their parameters.
pub const HOOKS: [(&str, usize); 4] = [
    ("classify", 1),
    ("targets", 2),
    ("findings", 2),
    ("allowance", 2),
];

/// How `HOOKS` read in messages.
const HOOK_LIST: &str = "`classify(ticket)`, `targets(ticket, targets)`, `findings(ticket, evaluation)`, `allowance(ticket, usage)`";

/// Sandbox limits. A contract may change them in a `limits:` block, never beyond
/// [`Limits::CEILING`] and never to unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Operations per hook call.
    pub operations: u64,
    /// Nested function calls.
    pub call_levels: usize,
    /// Expression nesting depth.
    pub expr_depth: usize,
    /// Characters in a string.
    pub string_size: usize,
    /// Items in an array.
    pub array_size: usize,
    /// Entries in a map.
    pub map_size: usize,
    /// Variables in scope.
    pub variables: usize,
    /// Functions in a script.
    pub functions: usize,
    /// Wall-clock milliseconds per hook call.
    pub millis: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            operations: 100_000,
            call_levels: 32,
            expr_depth: 64,
            string_size: 16_384,
            array_size: 4_096,
            map_size: 1_024,
            variables: 256,
            functions: 128,
            millis: 100,
        }
    }
}

impl Limits {
    /// The largest values a contract may set.
    pub const CEILING: Limits = Limits {
        operations: 10_000_000,
        call_levels: 64,
        expr_depth: 256,
        string_size: 1 << 20,
        array_size: 1 << 16,
        map_size: 1 << 14,
        variables: 4_096,
        functions: 1_024,
        millis: 2_000,
    };
}

thread_local! {
    /// When the running hook call must stop.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// `log`, `print` and `debug` lines of the running hook call.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// One compiled script.
#[derive(Debug)]
struct Compiled {
    /// The path as listed (`scripts/vip.rhai`).
    path: String,
    source: String,
    hooks: [bool; 4],
}

/// What one thread runs a script set's hooks with: its own engine, and the scripts
/// compiled by it (in the order of [`ScriptSet::scripts`]).
struct Runner {
    engine: Engine,
    asts: Vec<AST>,
}

/// The compiled scripts of one contract, and the engines that run them (one per thread).
pub struct ScriptSet {
    /// Unique per compiled set: names its memos of hook calls.
    id: u64,
    scripts: Vec<Compiled>,
    limits: Limits,
    /// The calendar the helpers query.
    calendar: Arc<Calendar>,
    /// Each thread's runner, made on its first call.
    runners: thread_local::ThreadLocal<Runner>,
}

impl std::fmt::Debug for ScriptSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptSet")
            .field(
                "scripts",
                &self.scripts.iter().map(|s| &s.path).collect::<Vec<_>>(),
            )
            .field("limits", &self.limits)
            .finish()
    }
}

/// A hook that failed: which script, where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// The script (`scripts/vip.rhai`).
    pub script: String,
    /// The hook (`targets`).
    pub hook: String,
    /// The rendered error, with its location and snippet when known.
    pub error: InputError,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)
    }
}

/// What a hook call gives back, with the script that gave it.
pub struct HookResult<'s> {
    /// The script that was called (its path, as the contract lists it).
    pub script: &'s str,
    /// Its return value.
    pub value: Dynamic,
    /// Its `log`/`print`/`debug` lines.
    pub log: Vec<String>,
    /// Inside the crate: the hook gave back the second argument it was given, unchanged
    /// (a `targets` or `allowance` hook with nothing to change), and `value` is `()`
    /// instead of a copy. [`ScriptSet::call`] never returns such a mark.
    pub(crate) unchanged: bool,
}

fn parse_time(t: &str) -> Result<DateTime<Utc>, Box<EvalAltResult>> {
    DateTime::parse_from_rfc3339(t.trim())
        .map(|d| d.to_utc())
        .map_err(|_| {
            format!("expected a time like `2026-03-06T16:40:00+03:00`, found `{t}`").into()
        })
}

fn parse_day(d: &str) -> Result<NaiveDate, Box<EvalAltResult>> {
    let date = d.get(..10).unwrap_or(d);
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| format!("expected a date like `2026-03-06`, found `{d}`").into())
}

fn rfc3339(cal: &Calendar, t: DateTime<Utc>) -> String {
    t.with_timezone(&cal.timezone()).fixed_offset().to_rfc3339()
}

/// Builds the sandboxed engine with `limits` and the calendar helpers of `cal`.
fn engine(limits: &Limits, cal: &Arc<Calendar>) -> Engine {
    let mut e = Engine::new();
    e.set_max_operations(limits.operations)
        .set_max_call_levels(limits.call_levels)
        .set_max_expr_depths(limits.expr_depth, limits.expr_depth)
        .set_max_string_size(limits.string_size)
        .set_max_array_size(limits.array_size)
        .set_max_map_size(limits.map_size)
        .set_max_variables(limits.variables)
        .set_max_functions(limits.functions)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true)
        .set_max_strings_interned(0);
    e.disable_symbol("eval");
    e.disable_symbol("import");
    e.disable_symbol("export");
    e.on_progress(|ops| {
        if ops % 1024 == 0 {
            let late = DEADLINE.with(|d| d.get().is_some_and(|t| Instant::now() > t));
            if late {
                return Some(Dynamic::from("the wall-clock budget of the hook call"));
            }
        }
        None
    });
    register_view(&mut e, "Ticket", "ticket", &TICKET_PROPS, 0, ticket_prop_is);
    register_view(
        &mut e,
        "Evaluation",
        "evaluation",
        &EVALUATION_PROPS,
        TICKET_PROPS.len(),
        |i, v: &EvaluationView, new| {
            (EVALUATION_PROPS[i].0 == "category").then(|| is_opt_text(new, v.category()))
        },
    );
    let push = |s: &str| LOG.with(|l| l.borrow_mut().push(s.to_owned()));
    e.on_print(push);
    e.on_debug(move |s, _, _| push(s));
    e.register_fn("log", move |s: &str| push(s));

    let day = cal.day_length();
    e.register_fn("working_hours", |n: i64| n.saturating_mul(3600));
    e.register_fn("working_hours", |n: f64| (n * 3600.0).round() as i64);
    e.register_fn("working_days", move |n: i64| n.saturating_mul(day));
    e.register_fn("working_days", move |n: f64| {
        (n * day as f64).round() as i64
    });
    e.register_fn(
        "duration",
        move |s: &str| -> Result<i64, Box<EvalAltResult>> {
            let d: Duration = s
                .parse()
                .map_err(|e: crate::duration::DurationError| e.message)?;
            d.working_seconds(day)
                .ok_or_else(|| format!("`{s}` is too long").into())
        },
    );
    let c = Arc::clone(cal);
    e.register_fn("is_open", move |t: &str| {
        Ok::<_, Box<EvalAltResult>>(c.is_open(parse_time(t)?))
    });
    let c = Arc::clone(cal);
    e.register_fn("weekday", move |t: &str| {
        let local = parse_time(t)?.with_timezone(&c.timezone());
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        Ok::<_, Box<EvalAltResult>>(
            names[local.weekday().num_days_from_monday() as usize].to_owned(),
        )
    });
    let c = Arc::clone(cal);
    e.register_fn("local_hour", move |t: &str| {
        Ok::<_, Box<EvalAltResult>>(i64::from(
            parse_time(t)?.with_timezone(&c.timezone()).hour(),
        ))
    });
    let c = Arc::clone(cal);
    e.register_fn("local_date", move |t: &str| {
        Ok::<_, Box<EvalAltResult>>(c.local_date(parse_time(t)?).to_string())
    });
    let c = Arc::clone(cal);
    e.register_fn("is_working_day", move |d: &str| {
        Ok::<_, Box<EvalAltResult>>(!c.windows_on(parse_day(d)?).is_empty())
    });
    e.register_fn("next_date", |d: &str| {
        let next = parse_day(d)?.succ_opt().ok_or("no date after this one")?;
        Ok::<_, Box<EvalAltResult>>(next.to_string())
    });
    let c = Arc::clone(cal);
    e.register_fn("at_local", move |d: &str, hm: &str| {
        let time = NaiveTime::parse_from_str(hm, "%H:%M")
            .map_err(|_| format!("expected a time of day like `10:00`, found `{hm}`"))?;
        let local = parse_day(d)?.and_time(time);
        let t = c
            .timezone()
            .from_local_datetime(&local)
            .earliest()
            .ok_or_else(|| format!("{d} {hm} does not exist in {}", c.timezone()))?;
        Ok::<_, Box<EvalAltResult>>(t.fixed_offset().to_rfc3339())
    });
    e.register_fn("mentions", mentions);
    let c = Arc::clone(cal);
    e.register_fn("elapsed", move |a: &str, b: &str| {
        Ok::<_, Box<EvalAltResult>>(c.elapsed(parse_time(a)?, parse_time(b)?))
    });
    e.register_fn("hours_between", |a: &str, b: &str| {
        let secs = (parse_time(b)? - parse_time(a)?).num_seconds();
        Ok::<_, Box<EvalAltResult>>(secs as f64 / 3600.0)
    });
    let c = Arc::clone(cal);
    e.register_fn("due", move |t: &str, secs: i64| {
        let due = c
            .due(parse_time(t)?, secs)
            .ok_or("the calendar never opens again")?;
        Ok::<_, Box<EvalAltResult>>(rfc3339(&c, due))
    });
    e
}

/// `mentions(text, words)`: the first of `words` that occurs in `text`, ignoring case, or
/// `()`. One native call instead of a loop of `contains` in the script.
fn mentions(text: &str, words: Array) -> Result<Dynamic, Box<EvalAltResult>> {
    use std::borrow::Cow;
    // Lowercase only what needs it: words are usually written in lowercase already.
    fn lower(s: &str) -> Cow<'_, str> {
        if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(s.to_lowercase())
        }
    }
    let text = lower(text);
    for word in words {
        let Some(w) = word.read_lock::<rhai::ImmutableString>() else {
            return Err(format!(
                "mentions(text, words): expected an array of strings, found `{word}` ({})",
                word.type_name()
            )
            .into());
        };
        if text.contains(&*lower(&w)) {
            return Ok(Dynamic::from(w.clone()));
        }
    }
    Ok(Dynamic::UNIT)
}

/// Where `fn <name>` is defined in `source` (line, column of the name).
fn hook_line(source: &str, name: &str) -> Option<(usize, usize)> {
    let needle = format!("fn {name}(");
    source
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find(&needle).map(|c| (i + 1, c + 4)))
}

/// The 1-based line and column of a rhai position (column 1 when unknown).
fn line_col(p: Position) -> Option<(usize, usize)> {
    p.line().map(|l| (l, p.position().unwrap_or(1).max(1)))
}

impl ScriptSet {
    /// Compiles `scripts` (path, source) with `limits` for a contract whose calendar is
    /// `cal`. `display` names a script path in messages. Errors name the script, line
    /// and column, with a snippet.
    pub fn compile(
        scripts: &[(String, String)],
        limits: Limits,
        cal: &Calendar,
        display: impl Fn(&str) -> String,
    ) -> Result<ScriptSet, InputError> {
        let cal = Arc::new(cal.clone());
        let engine = engine(&limits, &cal);
        let (mut compiled, mut asts) = (Vec::new(), Vec::new());
        for (path, source) in scripts {
            let file = display(path);
            let ast = engine.compile(source).map_err(|e| {
                let message = format!("{} (in a script)", e.err_type());
                match line_col(e.position()) {
                    Some((l, c)) => InputError::at(message, &file, source, l, c),
                    None => InputError::new(format!("{file}: {message}")),
                }
            })?;
            let mut hooks = [false; 4];
            // Closures (`|e| …`) are functions too, named `anon$…` by rhai (a name no
            // script can give, `$` being no identifier character): not hooks.
            for f in ast
                .iter_functions()
                .filter(|f| !f.name.starts_with("anon$"))
            {
                let known = HOOKS.iter().position(|(name, _)| *name == f.name);
                let at = |msg: String| {
                    let (l, c) = hook_line(source, f.name).unwrap_or((1, 1));
                    InputError::at(msg, &file, source, l, c)
                };
                match known {
                    Some(i) if f.params.len() == HOOKS[i].1 => hooks[i] = true,
                    Some(i) => {
                        return Err(at(format!(
                            "the hook `{}` takes {} parameter{}, found {}: expected {}",
                            f.name,
                            HOOKS[i].1,
                            if HOOKS[i].1 == 1 { "" } else { "s" },
                            f.params.len(),
                            HOOK_LIST
                        )));
                    }
                    None if f.access == FnAccess::Private => {}
                    None => {
                        let hint = crate::suggest::suggest(f.name, HOOKS.iter().map(|(n, _)| *n))
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default();
                        return Err(at(format!(
                            "unknown hook `{}`{hint}: expected one of {HOOK_LIST}; a helper function must be declared `private fn`",
                            f.name
                        )));
                    }
                }
            }
            compiled.push(Compiled {
                path: path.clone(),
                source: source.clone(),
                hooks,
            });
            asts.push(ast);
        }
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let runners = thread_local::ThreadLocal::new();
        // This thread runs with what it compiled.
        runners.get_or(|| Runner { engine, asts });
        Ok(ScriptSet {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            scripts: compiled,
            limits,
            calendar: cal,
            runners,
        })
    }

    /// The limits the scripts run under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether any script defines `hook`.
    pub fn has(&self, hook: &str) -> bool {
        let Some(i) = HOOKS.iter().position(|(n, _)| *n == hook) else {
            return false;
        };
        self.scripts.iter().any(|s| s.hooks[i])
    }

    /// Calls `hook` in every script that defines it, in order (template scripts first),
    /// pushing each result onto `results`. Each call gets the ticket and, for the hooks
    /// with two parameters, `second` — for `targets` and `allowance`, from the second
    /// script on, the previous script's result instead. Stops at the first failure.
    pub fn call<'s>(
        &'s self,
        hook: &str,
        ticket: &TicketArg<'_>,
        second: Option<&Dynamic>,
        results: &mut Vec<HookResult<'s>>,
        display: impl Fn(&str) -> String,
    ) -> Result<(), Box<ScriptError>> {
        let first = results.len();
        let outcome = self.call_marked(hook, ticket, second, results, display);
        // Each mark becomes the value it stands for: the result before it, or `second`.
        for j in first..results.len() {
            if results[j].unchanged {
                let given = (first..j).rev().find(|&k| !results[k].unchanged);
                results[j].value = match given {
                    Some(k) => results[k].value.clone(),
                    None => second.cloned().unwrap_or(Dynamic::UNIT),
                };
                results[j].unchanged = false;
            }
        }
        outcome
    }

    /// [`ScriptSet::call`], except that a chained hook's result equal to its argument may
    /// come as a mark (`unchanged`, value `()`) rather than a copy, for the evaluator to
    /// pass on.
    pub(crate) fn call_marked<'s>(
        &'s self,
        hook: &str,
        ticket: &TicketArg<'_>,
        second: Option<&Dynamic>,
        results: &mut Vec<HookResult<'s>>,
        display: impl Fn(&str) -> String,
    ) -> Result<(), Box<ScriptError>> {
        let Some(i) = HOOKS.iter().position(|(n, _)| *n == hook) else {
            return Ok(());
        };
        let chained = matches!(hook, "targets" | "allowance");
        // For a chained hook, the result that is the next call's argument (`None`: still
        // `second`, which an unchanged result passes on as it is).
        let mut current: Option<usize> = None;
        for (n, s) in self.scripts.iter().enumerate().filter(|(_, s)| s.hooks[i]) {
            let arg = if HOOKS[i].1 < 2 {
                None
            } else if chained {
                current.map(|j| &results[j].value).or(second)
            } else {
                second
            };
            let result = self.call_one(n, n * HOOKS.len() + i, i, ticket, arg);
            match result {
                Ok(memo::Cached {
                    value,
                    log,
                    unchanged,
                }) => {
                    // Only chained hooks pass an unchanged result on as a mark; for the
                    // others (never the case today: their arguments are views) it is
                    // made a value again.
                    let (value, unchanged) = match (unchanged, chained) {
                        (true, false) => (arg.cloned().unwrap_or(Dynamic::UNIT), false),
                        other => (value, other.0),
                    };
                    if !unchanged {
                        current = Some(results.len());
                    }
                    results.push(HookResult {
                        script: &s.path,
                        value,
                        log,
                        unchanged,
                    });
                }
                Err(e) => return Err(Box::new(self.error(s, hook, &e, &display))),
            }
        }
        Ok(())
    }

    /// One call of hook `HOOKS[hook]` in script number `n` (memo `slot`) with the ticket
    /// and `arg`: the memo's answer if it has one, else a run of the script, kept for
    /// later.
    fn call_one(
        &self,
        n: usize,
        slot: usize,
        hook: usize,
        ticket: &TicketArg<'_>,
        arg: Option<&Dynamic>,
    ) -> Result<memo::Cached, Box<EvalAltResult>> {
        // Read in place: the memo looks at the evaluation without copying it.
        let evaluation = arg.and_then(|a| a.read_lock::<EvaluationView>());
        let sources = memo::Sources {
            ticket: &ticket.ticket,
            evaluation: evaluation.as_deref(),
        };
        // The memo reads a ticket value's properties from this call's ticket: another
        // ticket's value (none can reach a call today) would not be memoised.
        let foreign = arg.is_some_and(|a| {
            a.read_lock::<TicketView>()
                .is_some_and(|v| !ticket.owns(&v))
        });
        let mut key = if foreign {
            None
        } else {
            memo::CallKey::new(arg)
        };
        let cached = key
            .as_mut()
            .and_then(|k| memo::lookup(self.id, slot, k, &sources));
        let result = match cached {
            Some(hit) => Ok(hit),
            None => {
                let mut argv = vec![ticket.value()];
                if HOOKS[hook].1 == 2 {
                    argv.push(arg.cloned().unwrap_or(Dynamic::UNIT));
                }
                self.run(n, HOOKS[hook].0, argv).inspect(|fresh| {
                    if let Some(k) = key.as_mut() {
                        memo::store(self.id, slot, k, &sources, memo::recorded(), fresh);
                    }
                })
            }
        };
        if let Some(k) = key {
            k.recycle();
        }
        result
    }

    /// This thread's runner, made on its first call: an engine of its own, and the
    /// scripts compiled again by it (they compiled once, so they do again).
    fn runner(&self) -> Result<&Runner, Box<EvalAltResult>> {
        self.runners.get_or_try(|| {
            let engine = engine(&self.limits, &self.calendar);
            let asts = self
                .scripts
                .iter()
                .map(|s| engine.compile(&s.source))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Runner { engine, asts })
        })
    }

    /// Runs `hook` of script number `n` with `argv` under the limits, recording the
    /// properties it reads.
    fn run(
        &self,
        n: usize,
        hook: &str,
        argv: Vec<Dynamic>,
    ) -> Result<memo::Cached, Box<EvalAltResult>> {
        let runner = self.runner()?;
        let budget = StdDuration::from_millis(self.limits.millis);
        DEADLINE.with(|d| d.set(Some(Instant::now() + budget)));
        LOG.with(|l| l.borrow_mut().clear());
        memo::start_recording();
        let mut scope = Scope::new();
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let result = runner.engine.call_fn_with_options::<Dynamic>(
            options,
            &mut scope,
            &runner.asts[n],
            hook,
            argv,
        );
        DEADLINE.with(|d| d.set(None));
        let log = LOG.with(|l| std::mem::take(&mut *l.borrow_mut()));
        result.map(|value| memo::Cached {
            value,
            log,
            unchanged: false,
        })
    }

    /// Turns a rhai runtime error into a located error naming the script and the hook.
    fn error(
        &self,
        s: &Compiled,
        hook: &str,
        e: &EvalAltResult,
        display: &impl Fn(&str) -> String,
    ) -> ScriptError {
        let inner = e.unwrap_inner();
        let what = match inner {
            EvalAltResult::ErrorTerminated(..) => {
                format!("took longer than its budget of {} ms", self.limits.millis)
            }
            EvalAltResult::ErrorTooManyOperations(..) => format!(
                "ran more than {} operations (an endless loop?)",
                self.limits.operations
            ),
            EvalAltResult::ErrorStackOverflow(..) => format!(
                "called functions more than {} deep (unbounded recursion?)",
                self.limits.call_levels
            ),
            EvalAltResult::ErrorDataTooLarge(what, ..) => {
                format!("made a value too large ({what})")
            }
            other => {
                let text = other.to_string();
                match text.rfind(" (line ") {
                    Some(i) => text[..i].to_owned(),
                    None => text,
                }
            }
        };
        let message = format!("the hook `{hook}` of `{}` failed: {what}", display(&s.path));
        // Limits stop a script without a position: point at the hook instead.
        let pos = line_col(e.position())
            .or_else(|| line_col(inner.position()))
            .or_else(|| hook_line(&s.source, hook));
        let error = match pos {
            Some((l, c)) => InputError::at(message, display(&s.path), &s.source, l, c),
            None => InputError::new(message),
        };
        ScriptError {
            script: s.path.clone(),
            hook: hook.to_owned(),
            error,
        }
    }

    /// Checks a hook's return value and reports a mistake in it like a runtime error.
    pub fn bad_return(
        &self,
        script: &str,
        hook: &str,
        what: String,
        display: impl Fn(&str) -> String,
    ) -> ScriptError {
        let source = self.scripts.iter().find(|s| s.path == script);
        let message = format!("the hook `{hook}` of `{}` returned {what}", display(script));
        let error = match source.and_then(|s| hook_line(&s.source, hook).map(|(l, c)| (s, l, c))) {
            Some((s, l, c)) => InputError::at(message, display(script), &s.source, l, c),
            None => InputError::new(message),
        };
        ScriptError {
            script: script.to_owned(),
            hook: hook.to_owned(),
            error,
        }
    }
}

/// The ticket as scripts see it: a `Ticket` value whose properties (`id`, `customer`,
/// `product`, `category`, `summary`, `registered`, `fields`, `attachments`, `events`) are
/// read on demand — building them all for every ticket would cost more than most hooks.
/// Absent values read as `()`; instants are RFC 3339 strings; a misspelt property is an
/// error.
#[derive(Clone)]
pub struct TicketView {
    ticket: Arc<Ticket>,
    fields: Arc<std::sync::OnceLock<Dynamic>>,
    events: Arc<std::sync::OnceLock<Dynamic>>,
}

impl TicketView {
    /// A view of `ticket`.
    pub fn new(ticket: &Ticket) -> TicketView {
        TicketView {
            ticket: Arc::new(ticket.clone()),
            fields: Arc::default(),
            events: Arc::default(),
        }
    }
}

fn opt_text(v: &Option<String>) -> Dynamic {
    v.as_deref().map_or(Dynamic::UNIT, |s| s.into())
}

/// A property of a value scripts read: its name and how it is built.
type Prop<V> = (&'static str, fn(&V) -> Dynamic);

/// The properties of `Ticket`. Their order numbers the bits [`memo`] records.
const TICKET_PROPS: [Prop<TicketView>; 10] = [
    ("id", |v| v.ticket.id.as_str().into()),
    ("customer", |v| v.ticket.customer.as_str().into()),
    ("product", |v| opt_text(&v.ticket.product)),
    ("category", |v| opt_text(&v.ticket.category)),
    ("summary", |v| v.ticket.summary.as_str().into()),
    ("registered", |v| instant_text(&v.ticket.registered).into()),
    ("attachments", |v| {
        Dynamic::from_array(
            v.ticket
                .attachments
                .iter()
                .map(|a| a.as_str().into())
                .collect(),
        )
    }),
    ("fields", |v| {
        v.fields
            .get_or_init(|| {
                rhai::serde::to_dynamic(&v.ticket.fields)
                    .unwrap_or_else(|_| Dynamic::from_map(Map::new()))
            })
            .clone()
    }),
    ("events", |v| {
        v.events
            .get_or_init(|| {
                let events: Array = v
                    .ticket
                    .events
                    .iter()
                    .map(|e| {
                        let mut m = Map::new();
                        m.insert("at".into(), instant_text(&e.at).into());
                        m.insert("kind".into(), e.kind.as_str().into());
                        m.insert("engineer".into(), opt_text(&e.engineer));
                        m.insert("hours".into(), e.hours.map_or(Dynamic::UNIT, Dynamic::from));
                        m.insert("note".into(), opt_text(&e.note));
                        m.insert("by".into(), opt_text(&e.by));
                        m.insert("field".into(), opt_text(&e.field));
                        let to = e.to.as_ref().map_or(Dynamic::UNIT, |v| {
                            rhai::serde::to_dynamic(v).unwrap_or_default()
                        });
                        m.insert("to".into(), to);
                        Dynamic::from_map(m)
                    })
                    .collect();
                Dynamic::from_array(events)
            })
            .clone()
    }),
    ("priority", |v| opt_text(&v.ticket.priority)),
];

/// Registers a view type whose properties scripts read but never change: each getter
/// notes its read for the memo (bit `first` + the property's index), each setter
/// accepts only the value the property has (see [`unchanged`]), asking `is(index,
/// view, value)` first whether it can tell that without building the property.
fn register_view<V: Clone + Send + Sync + 'static>(
    e: &mut Engine,
    type_name: &str,
    what: &'static str,
    props: &[Prop<V>],
    first: usize,
    is: fn(usize, &V, &Dynamic) -> Option<bool>,
) {
    e.register_type_with_name::<V>(type_name);
    for (i, &(name, get)) in props.iter().enumerate() {
        let bit = first + i;
        e.register_get(name, move |v: &mut V| {
            memo::note_read(bit);
            get(v)
        });
        e.register_set(name, move |v: &mut V, new: Dynamic| {
            memo::note_read(bit);
            let same = is(i, v, &new).unwrap_or_else(|| memo::same(&get(v), &new));
            unchanged(what, name, same)
        });
    }
}

/// Whether `new` is the text `s` as a getter returns it (untagged, not shared): what
/// [`memo::same`] says of the getter's value and `new`.
fn is_text(new: &Dynamic, s: &str) -> bool {
    new.tag() == 0 && !new.is_shared() && new.as_immutable_string_ref().is_ok_and(|t| *t == s)
}

/// [`is_text`] for an optional text (`()` when absent).
fn is_opt_text(new: &Dynamic, s: Option<&str>) -> bool {
    match s {
        Some(s) => is_text(new, s),
        None => new.tag() == 0 && !new.is_shared() && new.is_unit(),
    }
}

/// Whether `new` is the value of ticket property `i`, for the properties that can tell
/// without building it (texts and attachments); `None` for the others.
fn ticket_prop_is(i: usize, v: &TicketView, new: &Dynamic) -> Option<bool> {
    let t = &v.ticket;
    Some(match TICKET_PROPS[i].0 {
        "id" => is_text(new, &t.id),
        "customer" => is_text(new, &t.customer),
        "product" => is_opt_text(new, t.product.as_deref()),
        "category" => is_opt_text(new, t.category.as_deref()),
        "priority" => is_opt_text(new, t.priority.as_deref()),
        "summary" => is_text(new, &t.summary),
        "attachments" => {
            new.tag() == 0
                && !new.is_shared()
                && new.as_array_ref().is_ok_and(|items| {
                    items.len() == t.attachments.len()
                        && items.iter().zip(&t.attachments).all(|(x, a)| is_text(x, a))
                })
        }
        _ => return None,
    })
}

/// The setter of a read-only property. Rhai writes a property back after every method
/// called on it (`ticket.summary.len()`), in case the method changed it; without a
/// setter that costs two failed lookups and two error messages thrown away. Writing
/// the value the property has (`same`) is accepted (nothing changes); any other value —
/// an assignment, or a method like `push` that changed it — is an error that says why.
fn unchanged(what: &str, name: &str, same: bool) -> Result<(), Box<EvalAltResult>> {
    if same {
        return Ok(());
    }
    Err(format!(
        "the {what}'s `{name}` cannot be changed: the {what} is read-only in hooks, which \
         return what they decide (copy it first to work on it: `let x = {what}.{name};`)"
    )
    .into())
}

/// The ticket as hooks get it. Its script value (a copy of the ticket) is made the first
/// time a script runs, not for calls the memo answers.
pub struct TicketArg<'a> {
    ticket: std::borrow::Cow<'a, Ticket>,
    value: std::cell::OnceCell<Dynamic>,
}

impl<'a> TicketArg<'a> {
    /// The argument for `ticket`.
    pub fn new(ticket: &'a Ticket) -> TicketArg<'a> {
        TicketArg {
            ticket: std::borrow::Cow::Borrowed(ticket),
            value: std::cell::OnceCell::new(),
        }
    }

    /// The argument for a ticket made for the call (the ticket as it stood at an
    /// instant).
    pub fn owned(ticket: Ticket) -> TicketArg<'a> {
        TicketArg {
            ticket: std::borrow::Cow::Owned(ticket),
            value: std::cell::OnceCell::new(),
        }
    }

    /// Whether `view` is this ticket's own script value.
    fn owns(&self, view: &TicketView) -> bool {
        self.value
            .get()
            .and_then(|d| {
                d.read_lock::<TicketView>()
                    .map(|own| Arc::ptr_eq(&own.ticket, &view.ticket))
            })
            .unwrap_or(false)
    }

    /// The ticket as a script value: one copy, shared by every call.
    fn value(&self) -> Dynamic {
        self.value
            .get_or_init(|| Dynamic::from(TicketView::new(&self.ticket)))
            .clone()
    }
}

/// The evaluation so far as `findings(ticket, evaluation)` sees it: a value whose
/// properties `category`, `metrics` (maps of name, status, target_seconds,
/// elapsed_seconds, remaining_seconds, deadline), `allowance` (the usage map or `()`) and
/// `findings` (maps of code, severity, message) are built when read.
#[derive(Clone)]
pub struct EvaluationView(Arc<EvaluationParts>);

struct EvaluationParts {
    at: chrono::DateTime<chrono::FixedOffset>,
    priority: Option<String>,
    category: Option<String>,
    metrics: Vec<crate::evaluation::MetricResult>,
    allowance: Option<crate::evaluation::AllowanceUsage>,
    findings: Vec<crate::evaluation::Finding>,
}

impl EvaluationView {
    /// A view of an evaluation in progress at `at` (in the contract's zone; scripts read
    /// it as RFC 3339 text, made only when read), for a ticket of `priority`.
    pub fn new(
        at: chrono::DateTime<chrono::FixedOffset>,
        priority: Option<String>,
        category: Option<String>,
        metrics: Vec<crate::evaluation::MetricResult>,
        allowance: Option<crate::evaluation::AllowanceUsage>,
        findings: Vec<crate::evaluation::Finding>,
    ) -> EvaluationView {
        EvaluationView(Arc::new(EvaluationParts {
            at,
            priority,
            category,
            metrics,
            allowance,
            findings,
        }))
    }

    /// The category, as `evaluation.category` reads it.
    pub(crate) fn category(&self) -> Option<&str> {
        self.0.category.as_deref()
    }

    /// The metrics, allowance and findings back: moved out when no script kept a
    /// reference to the view, copied otherwise.
    pub fn into_parts(
        self,
    ) -> (
        Vec<crate::evaluation::MetricResult>,
        Option<crate::evaluation::AllowanceUsage>,
        Vec<crate::evaluation::Finding>,
    ) {
        match Arc::try_unwrap(self.0) {
            Ok(p) => (p.metrics, p.allowance, p.findings),
            Err(shared) => (
                shared.metrics.clone(),
                shared.allowance.clone(),
                shared.findings.clone(),
            ),
        }
    }
}

/// The properties of `Evaluation`; their bits for [`memo`] follow the ticket's.
const EVALUATION_PROPS: [Prop<EvaluationView>; 6] = [
    ("category", |v| opt_text(&v.0.category)),
    ("metrics", |v| {
        let opt_int = |v: Option<i64>| v.map_or(Dynamic::UNIT, Dynamic::from);
        let metrics =
            v.0.metrics
                .iter()
                .map(|m| {
                    let mut map = Map::new();
                    map.insert("name".into(), m.name.clone().into());
                    map.insert("status".into(), m.status.as_str().into());
                    map.insert("target_seconds".into(), opt_int(m.target_seconds));
                    map.insert("elapsed_seconds".into(), m.elapsed_seconds.into());
                    map.insert("remaining_seconds".into(), opt_int(m.remaining_seconds));
                    let deadline = m
                        .deadline
                        .map_or(Dynamic::UNIT, |d| instant_text(&d).into());
                    map.insert("deadline".into(), deadline);
                    if let Some(c) = &m.calendar {
                        map.insert("calendar".into(), c.clone().into());
                    }
                    if let Some(instances) = &m.instances {
                        let list = instances
                            .iter()
                            .map(|x| rhai::serde::to_dynamic(x).unwrap_or_default())
                            .collect();
                        map.insert("instances".into(), Dynamic::from_array(list));
                        let breached = m.instances_breached.unwrap_or_default() as i64;
                        map.insert("instances_breached".into(), breached.into());
                    }
                    Dynamic::from_map(map)
                })
                .collect();
        Dynamic::from_array(metrics)
    }),
    ("allowance", |v| match &v.0.allowance {
        Some(a) => rhai::serde::to_dynamic(a).unwrap_or_default(),
        None => Dynamic::UNIT,
    }),
    ("findings", |v| {
        use crate::evaluation::Severity;
        let findings =
            v.0.findings
                .iter()
                .map(|f| {
                    let mut map = Map::new();
                    map.insert("code".into(), f.code.clone().into());
                    let severity = match f.severity {
                        Severity::Info => "info",
                        Severity::Warning => "warning",
                        Severity::Error => "error",
                    };
                    map.insert("severity".into(), severity.into());
                    map.insert("message".into(), f.message.clone().into());
                    Dynamic::from_map(map)
                })
                .collect();
        Dynamic::from_array(findings)
    }),
    ("at", |v| instant_text(&v.0.at).into()),
    ("priority", |v| opt_text(&v.0.priority)),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The setters' shortcut must say what comparing with the built property says, for
    /// values that are, or nearly are, each property's value.
    #[test]
    fn telling_a_property_without_building_it_agrees_with_building_it() {
        let tickets = [
            "id: T-1\ncustomer: c\nregistered: 2026-03-02T10:00:00+03:00\n",
            "id: T-1\ncustomer: c\nproduct: erp\ncategory: x\nsummary: Crash\nregistered: 2026-03-02T10:00:00+03:00\nattachments: [a.log, b.png]\n",
            "id: T-2\ncustomer: d\nproduct: ''\nsummary: ''\nregistered: 2026-03-02T10:00:00+03:00\nattachments: [a.log]\n",
        ];
        let tagged = |mut d: Dynamic| {
            d.set_tag(1);
            d
        };
        let texts = [
            "T-1", "T-2", "c", "d", "erp", "", "x", "Crash", "crash", "a.log", "b.png",
        ];
        let mut values: Vec<Dynamic> = vec![Dynamic::UNIT, tagged(Dynamic::UNIT), 1_i64.into()];
        for t in texts {
            values.push(t.into());
            values.push(tagged(t.into()));
            values.push(Dynamic::from(t).into_shared());
        }
        let lists: [&[&str]; 5] = [
            &[],
            &["a.log"],
            &["a.log", "b.png"],
            &["b.png", "a.log"],
            &["a.log", ""],
        ];
        for list in lists {
            let items: Array = list.iter().map(|&s| s.into()).collect();
            values.push(Dynamic::from_array(items.clone()));
            values.push(tagged(Dynamic::from_array(items.clone())));
            if let Some(first) = items.first() {
                let mut odd = items.clone();
                odd[0] = tagged(first.clone());
                values.push(Dynamic::from_array(odd));
            }
        }
        let mut told = 0;
        for text in tickets {
            let t = Ticket::from_str_named(text, "t.yaml").unwrap();
            let view = TicketView::new(&t);
            for (i, &(name, get)) in TICKET_PROPS.iter().enumerate() {
                for new in &values {
                    if let Some(quick) = ticket_prop_is(i, &view, new) {
                        told += 1;
                        assert_eq!(quick, memo::same(&get(&view), new), "{name} {new:?}");
                    }
                }
            }
        }
        assert!(
            told > 300,
            "only {told} comparisons were told without building"
        );
    }

    /// Every thread runs with an engine and scripts of its own, and gets what the
    /// compiling thread gets.
    #[test]
    fn each_thread_runs_its_own_compilation_alike() {
        use crate::calendar::Window;
        let week = std::array::from_fn(|d| {
            if d < 5 {
                vec![Window::new(9 * 3600, 18 * 3600).unwrap()]
            } else {
                vec![]
            }
        });
        let cal = Calendar::new(chrono_tz::Europe::Moscow, week, vec![], vec![], None).unwrap();
        let source = "fn classify(ticket) { if is_open(ticket.registered) { \"open.\" + ticket.summary } else { \"closed\" } }";
        let set = ScriptSet::compile(
            &[("s.rhai".to_owned(), source.to_owned())],
            Limits::default(),
            &cal,
            str::to_owned,
        )
        .unwrap();
        let classify = |text: &str| {
            let t = Ticket::from_str_named(text, "t.yaml").unwrap();
            let mut results = Vec::new();
            set.call(
                "classify",
                &TicketArg::new(&t),
                None,
                &mut results,
                str::to_owned,
            )
            .unwrap();
            results[0].value.to_string()
        };
        let tickets = [
            "id: T-1\ncustomer: c\nsummary: a\nregistered: 2026-03-02T10:00:00+03:00\n",
            "id: T-2\ncustomer: c\nsummary: b\nregistered: 2026-03-01T10:00:00+03:00\n",
        ];
        let here: Vec<String> = tickets.iter().map(|t| classify(t)).collect();
        assert_eq!(here, ["open.a", "closed"]);
        let all_in = std::sync::Barrier::new(3);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    let there: Vec<String> = tickets.iter().map(|t| classify(t)).collect();
                    assert_eq!(there, here);
                    // Alive together, so none takes over another's runner.
                    all_in.wait();
                });
            }
        });
        assert_eq!(set.runners.iter().count(), 4);
    }
}

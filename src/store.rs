//! The ticket store (feature `store`): tickets and their events in one redb file.
//!
//! Every command is one write transaction, so a failed or interrupted command leaves the
//! file as it was. The database is opened only for the length of a command; a second
//! process that finds it busy retries for a few seconds and then says which file is busy.
//! Records are compact binary (postcard, see the `record` module), so bulk reads decode
//! quickly; a record that fails to decode is an error naming the ticket, never a panic.
//! The schema carries a version, checked (and migrated) on open.

pub mod check;
mod record;

/// Decodes a stored ticket record (see [`Store::for_each_record`]); the error says what
/// is wrong with it.
pub(crate) use record::decode_ticket;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redb::{Database, ReadOnlyDatabase, ReadableDatabase, ReadableTable, TableDefinition};

use crate::contract::Contract;
use crate::error::{Error, InputError};
use crate::eval::{CustomerUsage, UsageEntry, usage_entries};
use crate::ticket::{Event, EventKind, Ticket};

/// Metadata: `schema_version`.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Tickets by id, as binary records ([`record::encode_ticket`]).
const TICKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("tickets_v2");
/// Worklogs for allowances: `customer \0 category \0 YYYY-MM (UTC) \0 ticket` → binary
/// list of (instant, hours, approved) ([`record::encode_usage`]), kept in step with
/// `tickets_v2` in every write.
const WORKLOGS: TableDefinition<&str, &[u8]> = TableDefinition::new("worklogs_v2");
/// Monthly sums of the worklog index: `customer \0 category \0 YYYY-MM` (UTC month) →
/// micro-hours approved and not approved in advance (two little-endian `i64`), kept in
/// step with `worklogs_v2`, so that an allowance counted over a quarter or a year reads
/// one row a month instead of every worklog.
const WORKLOG_MONTHS: TableDefinition<&str, &[u8]> = TableDefinition::new("worklog_months_v1");
/// The ids of open tickets (not resolved, or reopened), kept in step with `tickets_v2`.
const OPEN: TableDefinition<&str, ()> = TableDefinition::new("open_v1");
/// Tickets by id as JSON, in schema versions 1 and 2 (read only to migrate).
const TICKETS_JSON: TableDefinition<&str, &[u8]> = TableDefinition::new("tickets_v1");
/// The worklog index as JSON, in schema versions 1 and 2 (dropped by the migration).
const WORKLOGS_JSON: TableDefinition<&str, &[u8]> = TableDefinition::new("worklogs_v1");
/// Escalations the watcher has emitted: `ticket \0 metric \0 kind` → when.
const ESCALATIONS: TableDefinition<&str, &str> = TableDefinition::new("escalations_v1");

/// The calendar month `n` months before `(year, month)`.
fn months_before((mut y, mut m): (i32, u32), n: u32) -> (i32, u32) {
    for _ in 0..n {
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    }
    (y, m)
}

/// The schema this build writes. Version 2 added `open_v1` and `escalations_v1`, and
/// the `changes` counter in `meta`; version 3 stores tickets and worklogs as binary
/// records (`tickets_v2`, `worklogs_v2`) instead of JSON; version 4's ticket records add
/// the priority, declared event kinds and events' `by`, `field` and `to`; version 5 adds
/// the monthly sums of the worklog index (`worklog_months_v1`).
pub const SCHEMA_VERSION: u64 = 5;

/// redb's page cache: enough for streaming, small enough to keep memory flat.
const CACHE: usize = 64 << 20;

/// How long to wait for a database another process holds.
const BUSY_WAIT: Duration = Duration::from_secs(5);

thread_local! {
    /// Set while a storage call that turns a panic into an error is running.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread is inside a storage call whose panics become errors (so a
/// panic hook need not report them).
pub(crate) fn catching_panics() -> bool {
    CATCHING.with(|c| c.get())
}

/// Runs `f`, turning a panic inside redb (it panics on some kinds of damage, e.g. a
/// malformed allocator state) into an error that names the file.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    let was = CATCHING.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(was));
    result.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown damage".to_owned());
        Err(storage(
            path,
            format!(
                "the database file is damaged ({what}): restore it from a backup, or move it away to start a new one"
            ),
        ))
    })
}

/// The ticket store.
pub struct Store {
    db: Db,
    path: PathBuf,
    /// A writer's turn (see [`turn`]), held until the database is closed.
    _turn: Option<std::fs::File>,
}

/// Waits, until [`BUSY_WAIT`] after `start`, for a turn at the database `path`: writers go
/// before readers. Readers share the database, so a stream of overlapping readers would
/// otherwise keep a writer out for good. The turn is a lock on `<file>.lock` beside the
/// database (an empty file, made on first use): a writer holds it exclusively from
/// before it opens the database until it closes it; a reader holds it shared only while
/// it opens the database. A writer waiting for the readers already in thus stops new
/// ones. `None` where the lock file cannot be made or locked (a folder this user may not
/// write, a file system without locks): the database's own lock is then all there is.
fn turn(path: &Path, writer: bool, start: Instant) -> Result<Option<std::fs::File>, Error> {
    use std::fs::TryLockError;
    let Some(lock) = lock_path(path) else {
        return Ok(None);
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .or_else(|_| std::fs::File::open(&lock));
    let Ok(file) = file else {
        return Ok(None);
    };
    loop {
        let got = if writer {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match got {
            Ok(()) => return Ok(Some(file)),
            Err(TryLockError::WouldBlock) if start.elapsed() < BUSY_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            // A reader tries the database all the same: the writer it waited for may
            // have just given up, and other readers share the file.
            Err(TryLockError::WouldBlock) if !writer => return Ok(None),
            Err(TryLockError::WouldBlock) => return Err(busy(path)),
            Err(TryLockError::Error(_)) => return Ok(None),
        }
    }
}

/// The lock file of the database `path` for [`turn`]: `<file>.lock` beside it, named
/// after the file itself so that a link to it shares its lock. `None` for a folder
/// (opening it as a database fails anyway) and where something other than a plain file
/// has the name (opening a FIFO could block, a link could lead anywhere).
fn lock_path(path: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = real.file_name().filter(|_| !real.is_dir())?;
    let mut lock_name = name.to_owned();
    lock_name.push(".lock");
    let lock = real.with_file_name(lock_name);
    let plain = std::fs::symlink_metadata(&lock).map_or(true, |m| m.is_file());
    plain.then_some(lock)
}

/// The error of a ticket database file that does not exist, for commands that read it
/// (or change a stored ticket): it names the file and says how tickets get in.
pub fn missing(path: &Path) -> InputError {
    InputError::new(format!(
        "there is no ticket database `{}`: expected a file made by `slaengine ticket add FILE` or `slaengine ticket import FILE`, or the path of an existing one with `--db FILE` (or $SLAENGINE_DB)",
        path.display()
    ))
}

/// The error of a database that stayed busy for [`BUSY_WAIT`].
fn busy(path: &Path) -> Error {
    storage(
        path,
        "the database is busy: other processes have kept it (or its `.lock` file beside it) for more than 5 s",
    )
}

/// The database, open for writing or (a file this user may not write) only for reading;
/// `Closed` only while the store is dropped.
enum Db {
    Write(Database),
    Read(ReadOnlyDatabase),
    Closed,
}

impl Db {
    fn begin_read(&self) -> Result<redb::ReadTransaction, redb::TransactionError> {
        match self {
            Db::Write(db) => db.begin_read(),
            Db::Read(db) => db.begin_read(),
            Db::Closed => Err(redb::StorageError::Io(std::io::Error::other("closed")).into()),
        }
    }
}

impl Drop for Store {
    /// Closing writes redb's allocator state, which panics on some kinds of damage: the
    /// transactions are committed by then, so the panic is caught (and not reported by
    /// the panic hook) and what was committed stands.
    fn drop(&mut self) {
        let db = std::mem::replace(&mut self.db, Db::Closed);
        let _ = guarded(&self.path, || {
            drop(db);
            Ok(())
        });
    }
}

/// Whether opening failed because this user may not write the file (or its file system).
fn not_writable(e: &redb::DatabaseError) -> bool {
    match e {
        redb::DatabaseError::Storage(redb::StorageError::Io(io)) => matches!(
            io.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
        _ => false,
    }
}

/// A storage failure (exit code 3), naming the file.
fn storage(path: &Path, what: impl std::fmt::Display) -> Error {
    let mut message = what.to_string();
    // Say what a full disk or a file-size limit means for the user's data.
    if message.contains("No space left on device") || message.contains("File too large") {
        message = format!(
            "{message}: the disk is full or the file reached its size limit; the command was undone and the database is as it was"
        );
    } else if message.contains("Permission denied") || message.contains("Read-only file system") {
        message = format!("{message}: expected a database file this user may write");
    }
    Error::Storage {
        path: path.display().to_string(),
        message,
    }
}

impl Store {
    /// Opens (or creates) the store at `path`, waiting up to 5 s while another process
    /// holds it, and migrates its schema forward.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, Error> {
        let path = path.as_ref().to_path_buf();
        guarded(&path.clone(), || {
            Store::open_unguarded(path, false, Instant::now())
        })
    }

    /// Opens the store for a command that only reads. The file is opened read-only: the
    /// command writes nothing to it (a writable open and its close write and sync the
    /// file's header and allocator state, several disk syncs), and other readers may
    /// have it open at the same time. A file that needs a repair (it was not closed
    /// cleanly) or has an older schema is opened as [`Store::open`] opens it. A file
    /// that does not exist is refused ([`missing`]), not created: a mistyped name would
    /// otherwise read as an empty database.
    pub fn open_for_reading(path: impl AsRef<Path>) -> Result<Store, Error> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(missing(&path).into());
        }
        guarded(&path.clone(), || {
            Store::open_unguarded(path, true, Instant::now())
        })
    }

    /// Opens `path` (waiting until [`BUSY_WAIT`] after `start` while it is busy).
    fn open_unguarded(path: PathBuf, reading: bool, start: Instant) -> Result<Store, Error> {
        // Reading by choice (a writer is tried if it must repair or migrate the file),
        // or because this user may not write the file.
        // (An empty file, as `touch` leaves it, is set up by a writable open.)
        let mut read_only = reading && path.metadata().is_ok_and(|m| m.is_file() && m.len() > 0);
        let mut may_write = true;
        let mut writer_turn = None;
        let db = loop {
            let opened = if read_only {
                let reader_turn = turn(&path, false, start)?;
                let opened = Database::builder()
                    .set_cache_size(CACHE)
                    .open_read_only(&path)
                    .map(Db::Read);
                drop(reader_turn);
                opened
            } else {
                // Kept while waiting for the readers already in to leave.
                if writer_turn.is_none() {
                    writer_turn = turn(&path, true, start)?;
                }
                Database::builder()
                    .set_cache_size(CACHE)
                    .create(&path)
                    .map(Db::Write)
            };
            match opened {
                Ok(db) => break db,
                // Not closed cleanly: a writable open repairs it.
                Err(redb::DatabaseError::RepairAborted) if read_only && may_write => {
                    read_only = false;
                }
                Err(redb::DatabaseError::RepairAborted) if read_only => {
                    return Err(storage(
                        &path,
                        "the file was not closed cleanly and needs a repair, which this user may not write: run any slaengine command on it once as a user who may write it",
                    ));
                }
                // A file this user may only read: open it for reading (commands that
                // write then say so).
                Err(e) if !read_only && path.is_file() && not_writable(&e) => {
                    (read_only, may_write) = (true, false);
                    writer_turn = None;
                }
                Err(redb::DatabaseError::DatabaseAlreadyOpen) if start.elapsed() < BUSY_WAIT => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(redb::DatabaseError::DatabaseAlreadyOpen) => return Err(busy(&path)),
                Err(e) => return Err(storage(&path, e)),
            }
        };
        let mut store = Store {
            db,
            path,
            _turn: writer_turn,
        };
        if reading && may_write && matches!(store.db, Db::Read(_)) {
            match store.schema_version()? {
                Some(SCHEMA_VERSION) => return Ok(store),
                // An older schema (or none yet) is migrated by a writable open.
                found if found.is_none_or(|v| v < SCHEMA_VERSION) => {
                    let path = std::mem::take(&mut store.path);
                    drop(store);
                    return Store::open_unguarded(path, false, start);
                }
                // A newer one: `migrate` refuses it.
                _ => {}
            }
        }
        if store.migrate()? {
            // The old records' pages are free now: give them back to the file system.
            // Only space is at stake, so a compaction that cannot run is no error.
            if let Db::Write(db) = &mut store.db {
                let _ = db.compact();
            }
        }
        Ok(store)
    }

    /// The database for a write transaction, or the error of a read-only file.
    fn writer(&self) -> Result<&Database, Error> {
        match &self.db {
            Db::Write(db) => Ok(db),
            Db::Read(_) | Db::Closed => Err(self.err(
                "the database file is read-only for this user (or on a read-only file system): expected a database file this user may write; nothing was written",
            )),
        }
    }

    /// An error if the file is open only for reading (this user may not write it).
    pub fn check_writable(&self) -> Result<(), Error> {
        self.writer().map(|_| ())
    }

    /// A store in memory, for tests and embedding.
    pub fn in_memory() -> Result<Store, Error> {
        let path = PathBuf::from("(memory)");
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| storage(&path, e))?;
        let store = Store {
            db: Db::Write(db),
            path,
            _turn: None,
        };
        store.migrate()?;
        Ok(store)
    }

    /// The file the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        storage(&self.path, e)
    }

    /// The schema version the file records (`None` for a new file).
    fn schema_version(&self) -> Result<Option<u64>, Error> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        Ok(match tx.open_table(META) {
            Ok(meta) => meta
                .get("schema_version")
                .map_err(|e| self.err(e))?
                .map(|v| v.value()),
            Err(_) => None,
        })
    }

    /// Creates the tables, records the schema version, refuses a newer schema.
    /// Returns whether old records were rewritten (the file then has room to give back).
    fn migrate(&self) -> Result<bool, Error> {
        // Up to date (the usual case): a read, so a command that only reads never writes.
        {
            let found = self.schema_version()?;
            if found == Some(SCHEMA_VERSION) {
                return Ok(false);
            }
            if let (Db::Read(_), Some(v)) = (&self.db, found) {
                let why = if v > SCHEMA_VERSION {
                    format!(
                        "the database has schema version {v}, newer than this slaengine understands ({SCHEMA_VERSION}): upgrade slaengine"
                    )
                } else {
                    format!(
                        "the database has schema version {v} and this user may not write it: open it once with write access to migrate it to version {SCHEMA_VERSION}"
                    )
                };
                return Err(self.err(why));
            }
        }
        let tx = self.writer()?.begin_write().map_err(|e| self.err(e))?;
        let mut moved = 0;
        {
            let mut meta = tx.open_table(META).map_err(|e| self.err(e))?;
            let found = meta
                .get("schema_version")
                .map_err(|e| self.err(e))?
                .map(|v| v.value());
            match found {
                Some(v) if v > SCHEMA_VERSION => {
                    return Err(self.err(format!(
                        "the database has schema version {v}, newer than this slaengine understands ({SCHEMA_VERSION}): upgrade slaengine"
                    )));
                }
                Some(SCHEMA_VERSION) => {}
                // Version 4: the monthly sums are new.
                Some(4) => {
                    self.sum_months(&tx)?;
                    meta.insert("schema_version", SCHEMA_VERSION)
                        .map_err(|e| self.err(e))?;
                }
                // Version 3: the same tables, ticket records in the older layout.
                Some(3) => {
                    moved = self.migrate_v3(&tx)?;
                    self.sum_months(&tx)?;
                    meta.insert("schema_version", SCHEMA_VERSION)
                        .map_err(|e| self.err(e))?;
                }
                // A new file, or version 1 or 2: rewrite the JSON records as binary ones
                // and rebuild the indexes from them.
                _ => {
                    moved = self.migrate_json(&tx)?;
                    meta.insert("schema_version", SCHEMA_VERSION)
                        .map_err(|e| self.err(e))?;
                }
            }
            tx.open_table(TICKETS).map_err(|e| self.err(e))?;
            tx.open_table(WORKLOGS).map_err(|e| self.err(e))?;
            tx.open_table(WORKLOG_MONTHS).map_err(|e| self.err(e))?;
            tx.open_table(OPEN).map_err(|e| self.err(e))?;
            tx.open_table(ESCALATIONS).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(moved > 0)
    }

    /// Moves the tickets of a version 1 or 2 file (JSON records in `tickets_v1`) into
    /// `tickets_v2`, rebuilds the worklog and open-ticket indexes, and drops the old
    /// tables. Nothing to do for a new file. Returns how many tickets moved.
    fn migrate_json(&self, tx: &redb::WriteTransaction) -> Result<usize, Error> {
        let mut moved = 0;
        {
            let old = tx.open_table(TICKETS_JSON).map_err(|e| self.err(e))?;
            let mut tickets = tx.open_table(TICKETS).map_err(|e| self.err(e))?;
            let mut worklogs = tx.open_table(WORKLOGS).map_err(|e| self.err(e))?;
            let mut months = MonthDeltas::default();
            // Rebuilt from the tickets, not trusted from the old file.
            tx.delete_table(OPEN).map_err(|e| self.err(e))?;
            let mut open = tx.open_table(OPEN).map_err(|e| self.err(e))?;
            let mut bytes = Vec::with_capacity(512);
            for row in old.iter().map_err(|e| self.err(e))? {
                let (k, v) = row.map_err(|e| self.err(e))?;
                let t: Ticket = serde_json::from_slice(v.value()).map_err(|e| {
                    self.err(format!(
                        "the record of ticket `{}` cannot be read: {e}",
                        k.value()
                    ))
                })?;
                bytes.clear();
                record::encode_ticket(&t, &mut bytes).map_err(|e| self.err(e))?;
                tickets
                    .insert(t.id.as_str(), bytes.as_slice())
                    .map_err(|e| self.err(e))?;
                self.reindex(&mut worklogs, &mut months, None, &t)?;
                self.set_open(&mut open, &t)?;
                moved += 1;
            }
            self.apply_months(tx, months)?;
        }
        tx.delete_table(TICKETS_JSON).map_err(|e| self.err(e))?;
        tx.delete_table(WORKLOGS_JSON).map_err(|e| self.err(e))?;
        Ok(moved)
    }

    /// Rewrites the ticket records of a version 3 file in the current layout (the
    /// indexes are unchanged). Returns how many tickets were rewritten.
    fn migrate_v3(&self, tx: &redb::WriteTransaction) -> Result<usize, Error> {
        /// Records rewritten at a time (read, then written back), to keep memory flat.
        const BATCH: usize = 10_000;
        let mut tickets = tx.open_table(TICKETS).map_err(|e| self.err(e))?;
        let mut done = 0;
        let mut after: Option<String> = None;
        loop {
            let mut batch: Vec<(String, Vec<u8>)> = Vec::with_capacity(BATCH);
            let rows = match &after {
                None => tickets.iter(),
                Some(k) => tickets.range::<&str>((
                    std::ops::Bound::Excluded(k.as_str()),
                    std::ops::Bound::Unbounded,
                )),
            }
            .map_err(|e| self.err(e))?;
            for row in rows.take(BATCH) {
                let (k, v) = row.map_err(|e| self.err(e))?;
                let t = record::decode_ticket_v3(v.value()).map_err(|e| {
                    self.err(format!(
                        "the record of ticket `{}` cannot be read: {e}",
                        k.value()
                    ))
                })?;
                let mut bytes = Vec::with_capacity(v.value().len() + 16);
                record::encode_ticket(&t, &mut bytes).map_err(|e| self.err(e))?;
                batch.push((k.value().to_owned(), bytes));
            }
            let Some((last, _)) = batch.last() else {
                return Ok(done);
            };
            after = Some(last.clone());
            done += batch.len();
            for (id, bytes) in &batch {
                tickets
                    .insert(id.as_str(), bytes.as_slice())
                    .map_err(|e| self.err(e))?;
            }
        }
    }

    /// Counts a write of tickets in `meta` (`changes`), so that a reader can tell
    /// cheaply whether anything changed since it last looked.
    fn bump(&self, tx: &redb::WriteTransaction) -> Result<(), Error> {
        let mut meta = tx.open_table(META).map_err(|e| self.err(e))?;
        let n = meta
            .get("changes")
            .map_err(|e| self.err(e))?
            .map_or(0, |v| v.value());
        meta.insert("changes", n.wrapping_add(1))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// How many ticket writes the store has seen: equal numbers mean nothing changed.
    pub fn changes(&self) -> Result<u64, Error> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let meta = tx.open_table(META).map_err(|e| self.err(e))?;
        Ok(meta
            .get("changes")
            .map_err(|e| self.err(e))?
            .map_or(0, |v| v.value()))
    }

    /// Records whether a ticket is open in the open-ticket index.
    fn set_open(&self, table: &mut redb::Table<&str, ()>, t: &Ticket) -> Result<(), Error> {
        if is_open(t) {
            table.insert(t.id.as_str(), ()).map_err(|e| self.err(e))?;
        } else {
            table.remove(t.id.as_str()).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Calls `f` with every open ticket in id order (one read transaction, streamed
    /// through the open-ticket index).
    pub fn for_each_open(
        &self,
        mut f: impl FnMut(Ticket) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.for_each_record(true, |id, bytes| f(self.decode_record(id, bytes)?))
    }

    /// The escalations already emitted, as keys made by [`escalation_key`].
    pub fn escalations(&self) -> Result<std::collections::HashSet<String>, Error> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(ESCALATIONS).map_err(|e| self.err(e))?;
        let mut out = std::collections::HashSet::new();
        for row in table.iter().map_err(|e| self.err(e))? {
            let (k, _) = row.map_err(|e| self.err(e))?;
            out.insert(k.value().to_owned());
        }
        Ok(out)
    }

    /// Records escalations (key from [`escalation_key`], time emitted) in one
    /// transaction and returns the keys that were new: a key another watcher recorded
    /// first is left alone and not returned, so each transition is reported once even
    /// with two watchers on one database.
    pub fn record_escalations(&self, done: &[(String, String)]) -> Result<Vec<String>, Error> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.writer()?.begin_write().map_err(|e| self.err(e))?;
        let mut fresh = Vec::new();
        {
            let mut table = tx.open_table(ESCALATIONS).map_err(|e| self.err(e))?;
            for (key, at) in done {
                if table.get(key.as_str()).map_err(|e| self.err(e))?.is_some() {
                    continue;
                }
                table
                    .insert(key.as_str(), at.as_str())
                    .map_err(|e| self.err(e))?;
                fresh.push(key.clone());
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(fresh)
    }

    /// Replaces the worklog index entries of a ticket (`old` is its previous version).
    fn reindex(
        &self,
        table: &mut redb::Table<&str, &[u8]>,
        months: &mut MonthDeltas,
        old: Option<&Ticket>,
        new: &Ticket,
    ) -> Result<(), Error> {
        if let Some(old) = old {
            self.unindex(table, months, old)?;
        }
        let mut bytes = Vec::new();
        for (key, entries) in buckets(new) {
            bytes.clear();
            record::encode_usage(&entries, &mut bytes).map_err(|e| self.err(e))?;
            table
                .insert(key.as_str(), bytes.as_slice())
                .map_err(|e| self.err(e))?;
            self.add_to_month(months, &key, &entries, 1);
        }
        Ok(())
    }

    /// Takes a ticket's worklogs out of the index and its monthly sums.
    fn unindex(
        &self,
        table: &mut redb::Table<&str, &[u8]>,
        months: &mut MonthDeltas,
        ticket: &Ticket,
    ) -> Result<(), Error> {
        for (key, entries) in buckets(ticket) {
            table.remove(key.as_str()).map_err(|e| self.err(e))?;
            self.add_to_month(months, &key, &entries, -1);
        }
        Ok(())
    }

    /// Adds (`sign` 1) or takes away (-1) the hours of `entries`, indexed under the
    /// worklog key `key`, to the changes of its month's sums.
    fn add_to_month(&self, months: &mut MonthDeltas, key: &str, entries: &[UsageEntry], sign: i64) {
        let month = key.rsplit_once('\u{0}').map_or(key, |(m, _)| m);
        let slot = match months.get_mut(month) {
            Some(slot) => slot,
            None => months.entry(month.to_owned()).or_default(),
        };
        for e in entries {
            add_work(slot, e.hours, e.approved, sign);
        }
    }

    /// Writes the changes of the monthly sums a transaction made (collected first, so
    /// that a bulk import touches each month's row once).
    fn apply_months(&self, tx: &redb::WriteTransaction, months: MonthDeltas) -> Result<(), Error> {
        let mut table = tx.open_table(WORKLOG_MONTHS).map_err(|e| self.err(e))?;
        for (month, (a, u)) in months {
            if a != 0 || u != 0 {
                self.add_month_sums(&mut table, &month, a, u)?;
            }
        }
        Ok(())
    }

    /// Adds micro-hours to the sums of `month` (`customer \0 category \0 YYYY-MM`); a
    /// month whose sums come to nothing is removed.
    fn add_month_sums(
        &self,
        months: &mut redb::Table<&str, &[u8]>,
        month: &str,
        approved: i64,
        unapproved: i64,
    ) -> Result<(), Error> {
        let (a, u) = match months.get(month).map_err(|e| self.err(e))? {
            Some(v) => self.read_sums(month, v.value())?,
            None => (0, 0),
        };
        let (a, u) = (a + approved, u + unapproved);
        if a == 0 && u == 0 {
            months.remove(month).map_err(|e| self.err(e))?;
        } else {
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&a.to_le_bytes());
            bytes[8..].copy_from_slice(&u.to_le_bytes());
            months
                .insert(month, bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// The two sums of the monthly row of `month` (micro-hours approved, not approved).
    fn read_sums(&self, month: &str, bytes: &[u8]) -> Result<(i64, i64), Error> {
        let sums = || -> Option<(i64, i64)> {
            let a: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
            let u: [u8; 8] = bytes.get(8..16)?.try_into().ok()?;
            Some((i64::from_le_bytes(a), i64::from_le_bytes(u)))
        };
        sums().ok_or_else(|| {
            self.err(format!(
                "the monthly worklog sums `{}` cannot be read",
                month.replace('\u{0}', "/")
            ))
        })
    }

    /// Builds the monthly sums from the worklog index (a file of schema 4 or older).
    fn sum_months(&self, tx: &redb::WriteTransaction) -> Result<(), Error> {
        let mut sums = MonthDeltas::default();
        {
            let worklogs = tx.open_table(WORKLOGS).map_err(|e| self.err(e))?;
            for row in worklogs.iter().map_err(|e| self.err(e))? {
                let (k, v) = row.map_err(|e| self.err(e))?;
                let key = k.value();
                let month = key.rsplit_once('\u{0}').map_or(key, |(m, _)| m);
                let slot = sums.entry(month.to_owned()).or_default();
                record::for_each_work(v.value(), |_, hours, approved| {
                    add_work(slot, hours, approved, 1);
                })
                .map_err(|e| {
                    self.err(format!(
                        "the worklog record `{}` cannot be read: {e}",
                        key.replace('\u{0}', "/")
                    ))
                })?;
            }
        }
        tx.delete_table(WORKLOG_MONTHS).map_err(|e| self.err(e))?;
        self.apply_months(tx, sums)
    }

    /// Calls `f(category, key, worklogs)` for each worklog record of `customer` on
    /// `categories` in the calendar months (UTC) from `from` to `to`, both included.
    fn worklog_records(
        &self,
        customer: &str,
        categories: &[&str],
        from: (i32, u32),
        to: (i32, u32),
        mut f: impl FnMut(&str, &redb::AccessGuard<'_, &str>, &[u8]) -> Result<(), String>,
    ) -> Result<(), Error> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(WORKLOGS).map_err(|e| self.err(e))?;
        if from > to {
            return Ok(());
        }
        for category in categories {
            // Keys sort by month: one range from the first month to the last.
            let start = format!(
                "{customer}\u{0}{category}\u{0}{:04}-{:02}\u{0}",
                from.0, from.1
            );
            let end = format!("{customer}\u{0}{category}\u{0}{:04}-{:02}\u{1}", to.0, to.1);
            for row in table
                .range(start.as_str()..end.as_str())
                .map_err(|e| self.err(e))?
            {
                let (k, v) = row.map_err(|e| self.err(e))?;
                // The key is read (and its text checked) only if `f` needs it.
                f(category, &k, v.value()).map_err(|e| {
                    let key = k.value().replace('\u{0}', "/");
                    self.err(format!("the worklog record `{key}` cannot be read: {e}"))
                })?;
            }
        }
        Ok(())
    }

    /// The worklogs of `customer` on `categories` (those that count against an
    /// allowance) from two calendar months (UTC) before `at` to `at`'s month: enough for
    /// the month of `at` and the one before it (carry-over) in any time zone.
    pub fn usage(
        &self,
        customer: &str,
        categories: &[&str],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<UsageEntry>, Error> {
        use chrono::Datelike;
        let mut out = Vec::new();
        let to = (at.year(), at.month());
        let from = months_before(to, 2);
        self.worklog_records(customer, categories, from, to, |category, key, bytes| {
            // `customer \0 category \0 month \0 ticket`
            let ticket = key.value().split('\u{0}').nth(3).unwrap_or_default();
            let category = Some(category).filter(|c| !c.is_empty());
            record::decode_usage(bytes, ticket, category, &mut out)
        })?;
        Ok(out)
    }

    /// The allowance hours of all of `customer`'s tickets under `contract` for the month
    /// of `at` (the same as [`CustomerUsage::new`] over [`Store::usage`], without
    /// materialising the worklogs).
    pub fn customer_usage(
        &self,
        contract: &Contract,
        customer: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<CustomerUsage, Error> {
        let categories: Vec<&str> = contract
            .categories
            .values()
            .filter(|c| c.allowance.is_some())
            .map(|c| c.id.as_str())
            .collect();
        // redb panics on some kinds of damage: the whole read is guarded (the counting
        // inside it is plain arithmetic).
        guarded(&self.path, || {
            self.sum_usage(contract, customer, &categories, at)
        })
    }

    /// [`Store::customer_usage`], unguarded.
    fn sum_usage(
        &self,
        contract: &Contract,
        customer: &str,
        categories: &[&str],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<CustomerUsage, Error> {
        use chrono::Datelike;
        let mut counter = CustomerUsage::counter(contract, at);
        // From the UTC month holding the first local date that counts (a day earlier,
        // for zones ahead of UTC) to the UTC month of `at`.
        let to = (at.year(), at.month());
        let from = counter
            .first_date()
            .and_then(|d| d.pred_opt())
            .map_or(to, |d| (d.year(), d.month()));
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let worklogs = tx.open_table(WORKLOGS).map_err(|e| self.err(e))?;
        let months = tx.open_table(WORKLOG_MONTHS).map_err(|e| self.err(e))?;
        let month_start = |(y, m): (i32, u32)| {
            chrono::NaiveDate::from_ymd_opt(y, m, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        };
        for category in categories {
            let mut month = from;
            while month <= to {
                let next = if month.1 == 12 {
                    (month.0 + 1, 1)
                } else {
                    (month.0, month.1 + 1)
                };
                let (Some(start), Some(end)) = (month_start(month), month_start(next)) else {
                    break;
                };
                let prefix = format!(
                    "{customer}\u{0}{category}\u{0}{:04}-{:02}",
                    month.0, month.1
                );
                if counter.holds_whole(category, start, end) {
                    // The whole month counts one way: its sums, one row.
                    if let Some(v) = months.get(prefix.as_str()).map_err(|e| self.err(e))? {
                        let (a, u) = self.read_sums(&prefix, v.value())?;
                        counter.add_sums(category, start, a, u);
                    }
                } else {
                    // A boundary of the periods, or the evaluation instant, falls in it:
                    // worklog by worklog.
                    let (lo, hi) = (format!("{prefix}\u{0}"), format!("{prefix}\u{1}"));
                    for row in worklogs
                        .range(lo.as_str()..hi.as_str())
                        .map_err(|e| self.err(e))?
                    {
                        let (k, v) = row.map_err(|e| self.err(e))?;
                        record::for_each_work(v.value(), |t, hours, approved| {
                            counter.add(category, t.to_utc(), hours, approved);
                        })
                        .map_err(|e| {
                            let key = k.value().replace('\u{0}', "/");
                            self.err(format!("the worklog record `{key}` cannot be read: {e}"))
                        })?;
                    }
                }
                month = next;
            }
        }
        Ok(counter.finish())
    }

    /// Decodes the stored record `bytes` of ticket `id` (from [`Store::for_each_record`]):
    /// a record that cannot be read is an error naming the ticket.
    pub fn decode_record(&self, id: &str, bytes: &[u8]) -> Result<Ticket, Error> {
        record::decode_ticket(bytes)
            .map_err(|e| self.err(format!("the record of ticket `{id}` cannot be read: {e}")))
    }

    /// Adds tickets in one transaction. A ticket whose id exists is refused (nothing is
    /// written) unless `upsert`, which replaces it. Returns how many were written.
    pub fn add(&self, tickets: &[Ticket], upsert: bool) -> Result<usize, Error> {
        self.put_all(tickets.iter().cloned().map(Ok), upsert, "added")
    }

    /// Imports a stream of tickets in one transaction: the first error (a bad record, or
    /// a duplicate id without `upsert`) aborts it and nothing is written. Returns how
    /// many tickets were written.
    pub fn import(
        &self,
        tickets: impl Iterator<Item = Result<Ticket, Error>>,
        upsert: bool,
    ) -> Result<usize, Error> {
        self.put_all(tickets, upsert, "imported")
    }

    fn put_all(
        &self,
        tickets: impl Iterator<Item = Result<Ticket, Error>>,
        upsert: bool,
        verb: &str,
    ) -> Result<usize, Error> {
        let tx = self.writer()?.begin_write().map_err(|e| self.err(e))?;
        let mut n = 0;
        {
            let mut table = tx.open_table(TICKETS).map_err(|e| self.err(e))?;
            let mut worklogs = tx.open_table(WORKLOGS).map_err(|e| self.err(e))?;
            let mut months = MonthDeltas::default();
            let mut open = tx.open_table(OPEN).map_err(|e| self.err(e))?;
            let mut bytes = Vec::with_capacity(512);
            for t in tickets {
                let t = t?;
                bytes.clear();
                record::encode_ticket(&t, &mut bytes).map_err(|e| self.err(e))?;
                let previous = table
                    .insert(t.id.as_str(), bytes.as_slice())
                    .map_err(|e| self.err(e))?
                    .map(|v| v.value().to_vec());
                let old = match previous {
                    Some(_) if !upsert => {
                        return Err(InputError::new(format!(
                            "the ticket `{}` is already in {}: nothing was {verb} (use --upsert to replace it)",
                            t.id,
                            self.path.display()
                        ))
                        .into());
                    }
                    Some(old) => Some(self.decode_record(&t.id, &old)?),
                    None => None,
                };
                self.reindex(&mut worklogs, &mut months, old.as_ref(), &t)?;
                self.set_open(&mut open, &t)?;
                n += 1;
            }
            self.apply_months(&tx, months)?;
        }
        self.bump(&tx)?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(n)
    }

    /// Appends an event to a ticket, in one transaction. Refuses an unknown ticket, an
    /// event before registration, and a worklog without positive hours.
    pub fn add_event(&self, id: &str, event: Event) -> Result<Ticket, Error> {
        self.add_event_checked(id, event, |_, _| Ok(()))
    }

    /// [`Store::add_event`], where `check(before, after)` sees the ticket before and after
    /// the event inside the transaction, and an error from it writes nothing.
    pub fn add_event_checked(
        &self,
        id: &str,
        event: Event,
        check: impl FnOnce(&Ticket, &Ticket) -> Result<(), Error>,
    ) -> Result<Ticket, Error> {
        if event.kind == EventKind::Worklog
            && !event.hours.is_some_and(|h| h.is_finite() && h > 0.0)
        {
            return Err(InputError::new(format!(
                "a worklog needs --hours greater than 0, found {}",
                event.hours.map_or("none".to_owned(), |h| h.to_string())
            ))
            .into());
        }
        let tx = self.writer()?.begin_write().map_err(|e| self.err(e))?;
        let ticket = {
            let mut table = tx.open_table(TICKETS).map_err(|e| self.err(e))?;
            let mut ticket = match table.get(id).map_err(|e| self.err(e))? {
                Some(v) => self.decode_record(id, v.value())?,
                None => return Err(self.unknown_id(id)),
            };
            if event.at < ticket.registered {
                return Err(InputError::new(format!(
                    "the event at {} is before ticket `{id}` was registered ({})",
                    event.at.to_rfc3339(),
                    ticket.registered.to_rfc3339()
                ))
                .into());
            }
            let before = ticket.clone();
            ticket.events.push(event);
            check(&before, &ticket)?;
            let mut worklogs = tx.open_table(WORKLOGS).map_err(|e| self.err(e))?;
            let mut months = MonthDeltas::default();
            self.reindex(&mut worklogs, &mut months, Some(&before), &ticket)?;
            self.apply_months(&tx, months)?;
            let mut bytes = Vec::new();
            record::encode_ticket(&ticket, &mut bytes).map_err(|e| self.err(e))?;
            table
                .insert(id, bytes.as_slice())
                .map_err(|e| self.err(e))?;
            let mut open = tx.open_table(OPEN).map_err(|e| self.err(e))?;
            self.set_open(&mut open, &ticket)?;
            ticket
        };
        self.bump(&tx)?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(ticket)
    }

    /// The error for an id that is not stored, with the nearest stored id if one is
    /// close enough to be a typo.
    fn unknown_id(&self, id: &str) -> Error {
        let hint = self
            .nearest_id(id)
            .ok()
            .flatten()
            .map_or_else(String::new, |near| format!(" (did you mean `{near}`?)"));
        InputError::new(format!(
            "no ticket `{id}` in {}{hint}: expected the id of a stored ticket, as `slaengine ticket list` prints them",
            self.path.display()
        ))
        .into()
    }

    /// The stored id nearest to `id` by edit distance, if one is close enough to be a
    /// typo. Reads every id (only ids of about the same length are compared), so it is
    /// meant for error messages.
    pub fn nearest_id(&self, id: &str) -> Result<Option<String>, Error> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(TICKETS).map_err(|e| self.err(e))?;
        let len = id.chars().count();
        let limit = (len / 3).clamp(1, 3);
        let mut best: Option<(usize, String)> = None;
        for row in table.iter().map_err(|e| self.err(e))? {
            let (k, _) = row.map_err(|e| self.err(e))?;
            let key = k.value();
            if key.chars().count().abs_diff(len) > limit {
                continue;
            }
            let d = strsim::levenshtein(id, key);
            if d <= limit && best.as_ref().is_none_or(|(b, _)| d < *b) {
                best = Some((d, key.to_owned()));
            }
        }
        Ok(best.map(|(_, k)| k))
    }

    /// Deletes a ticket in one transaction, with its worklog and open-ticket index
    /// entries and the escalations reported for it. Refuses an id that is not stored.
    /// Returns the ticket as it was.
    pub fn delete(&self, id: &str) -> Result<Ticket, Error> {
        let tx = self.writer()?.begin_write().map_err(|e| self.err(e))?;
        let ticket = {
            let mut table = tx.open_table(TICKETS).map_err(|e| self.err(e))?;
            let removed = table
                .remove(id)
                .map_err(|e| self.err(e))?
                .map(|v| v.value().to_vec());
            let Some(bytes) = removed else {
                return Err(self.unknown_id(id));
            };
            let ticket = self.decode_record(id, &bytes)?;
            let mut worklogs = tx.open_table(WORKLOGS).map_err(|e| self.err(e))?;
            let mut months = MonthDeltas::default();
            self.unindex(&mut worklogs, &mut months, &ticket)?;
            self.apply_months(&tx, months)?;
            let mut open = tx.open_table(OPEN).map_err(|e| self.err(e))?;
            open.remove(id).map_err(|e| self.err(e))?;
            // A ticket stored later under the same id starts with no escalations.
            let mut escalations = tx.open_table(ESCALATIONS).map_err(|e| self.err(e))?;
            let start = format!("{id}\u{0}");
            let end = format!("{id}\u{1}");
            escalations
                .retain_in(start.as_str()..end.as_str(), |_, _| false)
                .map_err(|e| self.err(e))?;
            ticket
        };
        self.bump(&tx)?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(ticket)
    }

    /// Removes event `n` (1-based, in the order the ticket stores and shows them) from a
    /// ticket in one transaction, keeping the indexes in step. Refuses an id that is not
    /// stored and a number the ticket has no event for. Returns the removed event and the
    /// ticket as it is now.
    pub fn remove_event(&self, id: &str, n: usize) -> Result<(Event, Ticket), Error> {
        let tx = self.writer()?.begin_write().map_err(|e| self.err(e))?;
        let (removed, ticket) = {
            let mut table = tx.open_table(TICKETS).map_err(|e| self.err(e))?;
            let stored = table
                .get(id)
                .map_err(|e| self.err(e))?
                .map(|v| v.value().to_vec());
            let Some(bytes) = stored else {
                return Err(self.unknown_id(id));
            };
            let mut ticket = self.decode_record(id, &bytes)?;
            let count = ticket.events.len();
            if n == 0 || n > count {
                let expected = match count {
                    0 => "it has none to remove".to_owned(),
                    1 => "expected 1".to_owned(),
                    k => format!("expected a number from 1 to {k}"),
                };
                return Err(InputError::new(format!(
                    "ticket `{id}` has no event {n}: it has {count} event{} ({expected}, as `slaengine ticket show {id}` lists them)",
                    if count == 1 { "" } else { "s" }
                ))
                .into());
            }
            let before = ticket.clone();
            let removed = ticket.events.remove(n - 1);
            let mut worklogs = tx.open_table(WORKLOGS).map_err(|e| self.err(e))?;
            let mut months = MonthDeltas::default();
            self.reindex(&mut worklogs, &mut months, Some(&before), &ticket)?;
            self.apply_months(&tx, months)?;
            let mut out = Vec::new();
            record::encode_ticket(&ticket, &mut out).map_err(|e| self.err(e))?;
            table.insert(id, out.as_slice()).map_err(|e| self.err(e))?;
            let mut open = tx.open_table(OPEN).map_err(|e| self.err(e))?;
            self.set_open(&mut open, &ticket)?;
            (removed, ticket)
        };
        self.bump(&tx)?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok((removed, ticket))
    }

    /// The ticket with this id.
    pub fn get(&self, id: &str) -> Result<Option<Ticket>, Error> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(TICKETS).map_err(|e| self.err(e))?;
        match table.get(id).map_err(|e| self.err(e))? {
            Some(v) => Ok(Some(self.decode_record(id, v.value())?)),
            None => Ok(None),
        }
    }

    /// Calls `f` with every ticket in id order (one read transaction, streamed).
    pub fn for_each(&self, mut f: impl FnMut(Ticket) -> Result<(), Error>) -> Result<(), Error> {
        self.for_each_record(false, |id, bytes| f(self.decode_record(id, bytes)?))
    }

    /// Calls `f` with the id and the stored record of every ticket (only the open ones,
    /// through the open-ticket index, with `open`) in id order, in one read transaction,
    /// streamed. For callers that decode elsewhere, e.g. on another thread, with
    /// [`Store::decode_record`].
    pub fn for_each_record(
        &self,
        open: bool,
        mut f: impl FnMut(&str, &[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let path = &self.path;
        let tx = guarded(path, || self.db.begin_read().map_err(|e| self.err(e)))?;
        let table = guarded(path, || tx.open_table(TICKETS).map_err(|e| self.err(e)))?;
        // Each step of redb's iterators is guarded: it panics on some damage, and so may
        // reading a key (its text is checked) or a value (its bounds). Both are read once
        // inside the guard; reading them again for `f`, outside it, gives the same answer
        // (the transaction's pages do not change). `f` is not guarded.
        if open {
            let index = guarded(path, || tx.open_table(OPEN).map_err(|e| self.err(e)))?;
            let mut rows = guarded(path, || index.iter().map_err(|e| self.err(e)))?;
            while let Some((k, v)) = guarded(path, || {
                let Some(row) = rows.next() else {
                    return Ok(None);
                };
                let (k, _) = row.map_err(|e| self.err(e))?;
                let id = k.value();
                match table.get(id).map_err(|e| self.err(e))? {
                    Some(v) => {
                        let _ = v.value();
                        Ok(Some((k, v)))
                    }
                    None => Err(self.err(format!(
                        "the open-ticket index names `{id}`, which is not stored"
                    ))),
                }
            })? {
                f(k.value(), v.value())?;
            }
        } else {
            let mut rows = guarded(path, || table.iter().map_err(|e| self.err(e)))?;
            while let Some((k, v)) = guarded(path, || {
                rows.next()
                    .map(|row| {
                        let (k, v) = row.map_err(|e| self.err(e))?;
                        let _ = (k.value(), v.value());
                        Ok((k, v))
                    })
                    .transpose()
            })? {
                f(k.value(), v.value())?;
            }
        }
        Ok(())
    }
}

/// Changes to the monthly sums, by month (`customer \0 category \0 YYYY-MM`):
/// micro-hours approved and not.
type MonthDeltas = std::collections::BTreeMap<String, (i64, i64)>;

/// Adds `sign` × `hours` of work, approved in advance or not, to a month's sums.
fn add_work(slot: &mut (i64, i64), hours: f64, approved: bool, sign: i64) {
    let h = crate::eval::micro_hours(hours) * sign;
    if approved {
        slot.0 += h;
    } else {
        slot.1 += h;
    }
}

/// A ticket's worklogs grouped by index key (`customer \0 category \0 YYYY-MM \0
/// ticket`, UTC month).
fn buckets(t: &Ticket) -> std::collections::BTreeMap<String, Vec<UsageEntry>> {
    use chrono::Datelike;
    let mut out: std::collections::BTreeMap<String, Vec<UsageEntry>> = Default::default();
    for e in usage_entries(t) {
        let utc = e.at.to_utc();
        let category = t.category.as_deref().unwrap_or("");
        let key = format!(
            "{}\u{0}{category}\u{0}{:04}-{:02}\u{0}{}",
            t.customer,
            utc.year(),
            utc.month(),
            t.id
        );
        out.entry(key).or_default().push(e);
    }
    out
}

/// The key of an escalation: `ticket \0 metric \0 kind` (`at_risk`, `breached`).
pub fn escalation_key(ticket: &str, metric: &str, kind: &str) -> String {
    format!("{ticket}\u{0}{metric}\u{0}{kind}")
}

/// Whether a ticket is open: not resolved, or reopened after its last resolution.
pub fn is_open(t: &Ticket) -> bool {
    let mut events: Vec<&Event> = t.events.iter().collect();
    events.sort_by_key(|e| e.at);
    events
        .iter()
        .rev()
        .find(|e| matches!(e.kind, EventKind::Resolved | EventKind::Reopened))
        .is_none_or(|e| e.kind != EventKind::Resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(id: &str) -> Ticket {
        Ticket::from_str_named(
            &format!(
                "id: {id}\ncustomer: acme\ncategory: error\nregistered: 2026-03-02T10:00:00+03:00\n"
            ),
            "t.yaml",
        )
        .unwrap()
    }

    fn event(at: &str, kind: EventKind) -> Event {
        Event::new(at.parse().unwrap(), kind)
    }

    #[test]
    fn add_get_and_events() {
        let s = Store::in_memory().unwrap();
        assert_eq!(s.add(&[ticket("T-1"), ticket("T-2")], false).unwrap(), 2);
        assert!(s.get("T-1").unwrap().is_some());
        assert!(s.get("T-3").unwrap().is_none());
        let t = s
            .add_event(
                "T-1",
                event("2026-03-02T10:10:00+03:00", EventKind::Assigned),
            )
            .unwrap();
        assert_eq!(t.events.len(), 1);
        assert_eq!(s.get("T-1").unwrap().unwrap().events.len(), 1);
        let mut ids = Vec::new();
        s.for_each(|t| {
            ids.push(t.id);
            Ok(())
        })
        .unwrap();
        assert_eq!(ids, ["T-1", "T-2"]);
    }

    #[test]
    fn a_duplicate_writes_nothing_unless_upsert() {
        let s = Store::in_memory().unwrap();
        s.add(&[ticket("T-1")], false).unwrap();
        let err = s.add(&[ticket("T-2"), ticket("T-1")], false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the ticket `T-1` is already in (memory): nothing was added"),
            "{err}"
        );
        assert!(
            s.get("T-2").unwrap().is_none(),
            "the whole batch is rolled back"
        );
        assert_eq!(s.add(&[ticket("T-2"), ticket("T-1")], true).unwrap(), 2);
    }

    #[test]
    fn bad_events_are_refused() {
        let s = Store::in_memory().unwrap();
        s.add(&[ticket("T-1")], false).unwrap();
        let e = s
            .add_event(
                "T-9",
                event("2026-03-02T10:10:00+03:00", EventKind::Assigned),
            )
            .unwrap_err();
        assert!(
            e.to_string().starts_with("no ticket `T-9` in (memory)"),
            "{e}"
        );
        let e = s
            .add_event(
                "T-1",
                event("2026-03-02T09:10:00+03:00", EventKind::Assigned),
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the event at 2026-03-02T09:10:00+03:00 is before ticket `T-1` was registered (2026-03-02T10:00:00+03:00)"
        );
        let e = s
            .add_event(
                "T-1",
                event("2026-03-02T10:10:00+03:00", EventKind::Worklog),
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "a worklog needs --hours greater than 0, found none"
        );
        assert!(s.get("T-1").unwrap().unwrap().events.is_empty());
    }

    #[test]
    fn the_worklog_index_follows_every_write() {
        let s = Store::in_memory().unwrap();
        let at: chrono::DateTime<chrono::Utc> = "2026-03-31T12:00:00Z".parse().unwrap();
        s.add(&[ticket("T-1"), ticket("T-2")], false).unwrap();
        let mut e = event("2026-03-02T11:00:00+03:00", EventKind::Worklog);
        e.hours = Some(2.0);
        s.add_event("T-1", e.clone()).unwrap();
        s.add_event("T-2", e).unwrap();
        let hours: f64 = s
            .usage("acme", &["error"], at)
            .unwrap()
            .iter()
            .map(|u| u.hours)
            .sum();
        assert_eq!(hours, 4.0);
        // Replacing T-1 by a version without worklogs removes its entries.
        s.add(&[ticket("T-1")], true).unwrap();
        let usage = s.usage("acme", &["error"], at).unwrap();
        assert_eq!(
            usage.iter().map(|u| u.ticket.as_str()).collect::<Vec<_>>(),
            ["T-2"]
        );
        // Other customers and months far away are not read.
        assert!(s.usage("globex", &["error"], at).unwrap().is_empty());
        assert!(
            s.usage("acme", &["error"], "2026-07-01T00:00:00Z".parse().unwrap())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn open_means_not_resolved_or_reopened() {
        let mut t = ticket("T-1");
        assert!(is_open(&t));
        t.events
            .push(event("2026-03-02T11:00:00+03:00", EventKind::Resolved));
        assert!(!is_open(&t));
        t.events
            .push(event("2026-03-02T12:00:00+03:00", EventKind::Reopened));
        assert!(is_open(&t));
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_file_is_the_real_file_s_and_only_a_plain_one() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.redb");
        drop(Store::open(&real).unwrap());
        let link = dir.path().join("link.redb");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let lock = lock_path(&real).unwrap();
        assert_eq!(lock_path(&link), Some(lock.clone()));
        assert!(lock.ends_with("real.redb.lock"));
        assert_eq!(lock_path(dir.path()), None);
        // A FIFO in its place is left alone: opening it would wait for a writer.
        std::fs::remove_file(&lock).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&lock).status();
        if made.is_ok_and(|s| s.success()) {
            assert_eq!(lock_path(&real), None);
            let start = Instant::now();
            let s = Store::open_for_reading(&real).unwrap();
            assert!(matches!(s.db, Db::Read(_)));
            assert!(start.elapsed() < Duration::from_secs(2));
        }
    }

    #[test]
    fn a_file_store_reopens_with_its_tickets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        Store::open(&path)
            .unwrap()
            .add(&[ticket("T-1")], false)
            .unwrap();
        let s = Store::open(&path).unwrap();
        assert_eq!(s.get("T-1").unwrap().unwrap().id, "T-1");
    }

    fn open_ids(s: &Store) -> Vec<String> {
        let mut ids = Vec::new();
        s.for_each_open(|t| {
            ids.push(t.id);
            Ok(())
        })
        .unwrap();
        ids
    }

    #[test]
    fn the_open_index_and_change_counter_follow_every_write() {
        let s = Store::in_memory().unwrap();
        assert_eq!(s.changes().unwrap(), 0);
        s.add(&[ticket("T-1"), ticket("T-2")], false).unwrap();
        assert_eq!(open_ids(&s), ["T-1", "T-2"]);
        s.add_event(
            "T-1",
            event("2026-03-02T11:00:00+03:00", EventKind::Resolved),
        )
        .unwrap();
        assert_eq!(open_ids(&s), ["T-2"]);
        s.add_event(
            "T-1",
            event("2026-03-02T12:00:00+03:00", EventKind::Reopened),
        )
        .unwrap();
        assert_eq!(open_ids(&s), ["T-1", "T-2"]);
        // Replacing a ticket by a resolved version closes it.
        let mut closed = ticket("T-2");
        closed
            .events
            .push(event("2026-03-02T11:00:00+03:00", EventKind::Resolved));
        s.add(&[closed], true).unwrap();
        assert_eq!(open_ids(&s), ["T-1"]);
        assert_eq!(s.changes().unwrap(), 4);
        // A refused write changes nothing.
        assert!(s.add(&[ticket("T-1")], false).is_err());
        assert_eq!(s.changes().unwrap(), 4);
    }

    #[test]
    fn version_1_and_2_files_are_migrated_forward() {
        for version in [1, 2] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("old.redb");
            let mut closed = ticket("T-2");
            closed.category = Some("support.small_change".into());
            closed.events.push(Event {
                hours: Some(1.5),
                ..event("2026-03-02T10:00:00+03:00", EventKind::Worklog)
            });
            closed
                .events
                .push(event("2026-03-02T11:00:00+03:00", EventKind::Resolved));
            {
                // A file as versions 1 and 2 wrote it: JSON records, a JSON worklog
                // index, no open-ticket index in version 1.
                let db = Database::create(&path).unwrap();
                let tx = db.begin_write().unwrap();
                {
                    let mut meta = tx.open_table(META).unwrap();
                    meta.insert("schema_version", version).unwrap();
                    let mut tickets = tx.open_table(TICKETS_JSON).unwrap();
                    let mut worklogs = tx.open_table(WORKLOGS_JSON).unwrap();
                    // Enough tickets for the file's size to tell whether it was compacted.
                    let many = (0..3000).map(|i| ticket(&format!("T-{i:05}")));
                    for t in [ticket("T-1"), closed.clone()].into_iter().chain(many) {
                        let bytes = serde_json::to_vec(&t).unwrap();
                        tickets.insert(t.id.as_str(), bytes.as_slice()).unwrap();
                        for (key, entries) in buckets(&t) {
                            let bytes = serde_json::to_vec(&entries).unwrap();
                            worklogs.insert(key.as_str(), bytes.as_slice()).unwrap();
                        }
                    }
                }
                tx.commit().unwrap();
            }
            let before = std::fs::metadata(&path).unwrap().len();
            // A command that only reads migrates an old file all the same.
            let s = if version == 1 {
                Store::open(&path)
            } else {
                Store::open_for_reading(&path)
            }
            .unwrap();
            assert!(matches!(s.db, Db::Write(_)));
            let after = std::fs::metadata(&path).unwrap().len();
            assert!(after < before, "compacted: {before} -> {after} bytes");
            assert_eq!(open_ids(&s).len(), 3001, "version {version}");
            assert!(!open_ids(&s).contains(&"T-2".to_owned()));
            assert_eq!(s.get("T-2").unwrap().unwrap(), closed);
            let at = "2026-03-31T00:00:00Z".parse().unwrap();
            let usage = s.usage("acme", &["support.small_change"], at).unwrap();
            assert_eq!(usage, usage_entries(&closed));
            drop(s);
            // The JSON tables are gone; opening again changes nothing.
            let db = Database::open(&path).unwrap();
            let tx = db.begin_read().unwrap();
            assert!(tx.open_table(TICKETS_JSON).is_err());
            assert!(tx.open_table(WORKLOGS_JSON).is_err());
            drop(tx);
            drop(db);
            let s = Store::open_for_reading(&path).unwrap();
            assert!(
                matches!(s.db, Db::Read(_)),
                "an up-to-date file is only read"
            );
            assert_eq!(s.get("T-1").unwrap().unwrap(), ticket("T-1"));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.redb");
        // A newer schema than this build is refused, naming the file.
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(META)
                .unwrap()
                .insert("schema_version", SCHEMA_VERSION + 1)
                .unwrap();
            tx.commit().unwrap();
        }
        for open in [Store::open, Store::open_for_reading] {
            let err = open(&path).err().unwrap().to_string();
            assert!(
                err.contains("newer than this slaengine understands"),
                "{err}"
            );
        }
    }

    /// A version 3 file (the same tables, records without priorities, `by`, `field` or
    /// `to`) is rewritten in the current layout, its tickets unchanged, its indexes kept.
    #[test]
    fn version_3_records_are_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.redb");
        let mut closed = ticket("T-2");
        closed.category = Some("support.small_change".into());
        closed.events.push(Event {
            hours: Some(1.5),
            engineer: Some("ivanov".into()),
            note: Some("patch".into()),
            ..event("2026-03-02T10:00:00+03:00", EventKind::Worklog)
        });
        closed
            .events
            .push(event("2026-03-02T11:00:00+03:00", EventKind::Resolved));
        let tickets: Vec<Ticket> = [ticket("T-1"), closed.clone()]
            .into_iter()
            .chain((0..25_000).map(|i| ticket(&format!("T-{i:05}"))))
            .collect();
        {
            let s = Store::open(&path).unwrap();
            s.add(&tickets, false).unwrap();
            let db = s.writer().unwrap();
            let tx = db.begin_write().unwrap();
            {
                let mut meta = tx.open_table(META).unwrap();
                meta.insert("schema_version", 3).unwrap();
                let mut table = tx.open_table(TICKETS).unwrap();
                for t in &tickets {
                    let bytes = record::encode_ticket_v3(t);
                    table.insert(t.id.as_str(), bytes.as_slice()).unwrap();
                }
            }
            tx.commit().unwrap();
        }
        let s = Store::open_for_reading(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), Some(SCHEMA_VERSION));
        assert_eq!(s.get("T-2").unwrap().unwrap(), closed);
        assert_eq!(s.get("T-24999").unwrap().unwrap(), ticket("T-24999"));
        assert_eq!(open_ids(&s).len(), 25_001);
        let at = "2026-03-31T00:00:00Z".parse().unwrap();
        let usage = s.usage("acme", &["support.small_change"], at).unwrap();
        assert_eq!(usage, usage_entries(&closed));
    }

    /// `customer_usage` (summed while streaming, whole months from the monthly sums)
    /// agrees with `CustomerUsage::new` over every worklog, at period boundaries in zones
    /// far from UTC, for months, quarters and years, for work after the instant,
    /// approved and not, on categories with and without an allowance, and after tickets
    /// are replaced, deleted and lose an event.
    #[test]
    fn streamed_usage_matches_the_materialised_sum() {
        for (zone, per) in [
            ("Pacific/Kiritimati", "month"),
            ("Etc/GMT+12", "month"),
            ("Europe/Moscow", "month"),
            ("Pacific/Kiritimati", "quarter"),
            ("Etc/GMT+12", "year"),
            ("Europe/Moscow", "year"),
        ] {
            let contract = crate::contract::parse_str(
                "acme",
                &format!(
                    "calendar: {{ timezone: {zone}, week: {{ mon-fri: [\"09:00-18:00\"] }} }}
metrics: {{ resolve: {{ starts: registered, stops: resolved }} }}
categories:
  small: {{ allowance: changes }}
  other: {{ resolve: 1 working day }}
allowances:
  changes: {{ hours: 10, per: {per}, requires_approval: true, carry_over: 5 }}
"
                ),
            )
            .unwrap();
            let s = Store::in_memory().unwrap();
            let mut tickets = Vec::new();
            for (i, day) in (0..420).step_by(3).enumerate() {
                let mut t = ticket(&format!("T-{i:03}"));
                t.category = Some(if i % 4 == 0 { "other" } else { "small" }.into());
                let start = chrono::DateTime::parse_from_rfc3339("2025-09-30T22:30:00+00:00")
                    .unwrap()
                    + chrono::Duration::days(day)
                    + chrono::Duration::minutes(37 * i as i64);
                t.registered = start;
                if i % 3 == 0 {
                    t.events.push(Event {
                        at: start + chrono::Duration::hours(1),
                        ..event("2026-01-01T00:00:00Z", EventKind::Approved)
                    });
                }
                for h in [2_i32, 30] {
                    t.events.push(Event {
                        hours: Some(0.1 + f64::from(h % 7)),
                        at: start + chrono::Duration::hours(i64::from(h)),
                        ..event("2026-01-01T00:00:00Z", EventKind::Worklog)
                    });
                }
                tickets.push(t);
            }
            s.add(&tickets, false).unwrap();
            // Edits after the first write: a ticket replaced with more work, one
            // deleted, one losing its first worklog.
            let mut more = tickets[10].clone();
            more.events.push(Event {
                hours: Some(3.25),
                at: more.registered + chrono::Duration::days(40),
                ..event("2026-01-01T00:00:00Z", EventKind::Worklog)
            });
            s.add(&[more.clone()], true).unwrap();
            tickets[10] = more;
            let worklog = tickets[40]
                .events
                .iter()
                .position(|e| e.kind == EventKind::Worklog)
                .unwrap();
            s.remove_event("T-040", worklog + 1).unwrap();
            tickets[40].events.remove(worklog);
            s.delete("T-021").unwrap();
            tickets.remove(21);
            let entries: Vec<UsageEntry> = tickets.iter().flat_map(usage_entries).collect();
            for at in [
                "2026-02-28T23:59:59+00:00",
                "2026-03-01T00:00:00+14:00",
                "2026-03-31T12:00:00-12:00",
                "2026-04-15T10:00:00+03:00",
                "2026-05-01T00:00:00Z",
                "2026-09-30T23:00:00+14:00",
                "2026-10-01T00:30:00-12:00",
                "2026-11-20T00:00:00Z",
            ] {
                let at = at.parse().unwrap();
                let streamed = s.customer_usage(&contract, "acme", at).unwrap();
                assert_eq!(
                    streamed,
                    CustomerUsage::new(&contract, &entries, at),
                    "{zone} per {per} at {at}"
                );
            }
        }
    }

    /// A file of schema 4 (no monthly sums) gets them on open, and a year's usage read
    /// from them is what its worklogs add up to.
    #[test]
    fn a_version_4_file_gets_its_monthly_sums() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let contract = crate::contract::parse_str(
            "acme",
            "calendar: { timezone: Europe/Moscow, week: { mon-fri: [\"09:00-18:00\"] } }
metrics: { resolve: { starts: registered, stops: resolved } }
categories: { small: { allowance: changes } }
allowances: { changes: { hours: 10, per: year } }
",
        )
        .unwrap();
        let tickets: Vec<Ticket> = (0..24)
            .map(|i| {
                let mut t = ticket(&format!("T-{i:02}"));
                t.category = Some("small".into());
                t.events.push(Event {
                    hours: Some(1.5 + f64::from(i)),
                    at: t.registered + chrono::Duration::days(14 * i64::from(i)),
                    ..event("2026-01-01T00:00:00Z", EventKind::Worklog)
                });
                t
            })
            .collect();
        {
            let s = Store::open(&path).unwrap();
            s.add(&tickets, false).unwrap();
            let tx = s.writer().unwrap().begin_write().unwrap();
            tx.open_table(META)
                .unwrap()
                .insert("schema_version", 4)
                .unwrap();
            tx.delete_table(WORKLOG_MONTHS).unwrap();
            tx.commit().unwrap();
        }
        let s = Store::open_for_reading(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), Some(SCHEMA_VERSION));
        let entries: Vec<UsageEntry> = tickets.iter().flat_map(usage_entries).collect();
        let at = "2026-12-31T20:00:00Z".parse().unwrap();
        let usage = s.customer_usage(&contract, "acme", at).unwrap();
        assert_eq!(usage, CustomerUsage::new(&contract, &entries, at));
        assert!(usage.summary(&contract, "changes").unwrap().used_hours > 100.0);
    }

    #[test]
    fn delete_and_remove_event_keep_every_index_in_step() {
        let s = Store::in_memory().unwrap();
        let at: chrono::DateTime<chrono::Utc> = "2026-03-31T12:00:00Z".parse().unwrap();
        s.add(&[ticket("T-1"), ticket("T-2")], false).unwrap();
        let mut work = event("2026-03-02T11:00:00+03:00", EventKind::Worklog);
        work.hours = Some(2.0);
        for id in ["T-1", "T-2"] {
            s.add_event(id, work.clone()).unwrap();
            s.add_event(id, event("2026-03-02T12:00:00+03:00", EventKind::Resolved))
                .unwrap();
        }
        let key = escalation_key("T-1", "resolve", "breached");
        s.record_escalations(&[(key.clone(), "2026-03-02T11:00:00+03:00".into())])
            .unwrap();
        let hours = |s: &Store| -> f64 {
            s.usage("acme", &["error"], at)
                .unwrap()
                .iter()
                .map(|u| u.hours)
                .sum()
        };
        assert_eq!(hours(&s), 4.0);
        let changes = s.changes().unwrap();

        // Event 2 of T-2 (its resolution): it is open again.
        let (removed, t) = s.remove_event("T-2", 2).unwrap();
        assert_eq!(removed.kind, EventKind::Resolved);
        assert_eq!(t.events.len(), 1);
        assert_eq!(open_ids(&s), ["T-2"]);
        // Then its worklog: its hours are gone.
        s.remove_event("T-2", 1).unwrap();
        assert_eq!(hours(&s), 2.0);
        let e = s.remove_event("T-2", 1).unwrap_err().to_string();
        assert!(
            e.starts_with("ticket `T-2` has no event 1: it has 0 events"),
            "{e}"
        );

        let gone = s.delete("T-1").unwrap();
        assert_eq!(gone.events.len(), 2);
        assert!(s.get("T-1").unwrap().is_none());
        assert_eq!(hours(&s), 0.0);
        assert!(s.escalations().unwrap().is_empty());
        assert_eq!(s.changes().unwrap(), changes + 3);
        let e = s.delete("T-1").unwrap_err().to_string();
        assert!(
            e.starts_with("no ticket `T-1` in (memory) (did you mean `T-2`?)"),
            "{e}"
        );
        // A refusal changes nothing.
        assert_eq!(s.changes().unwrap(), changes + 3);
        // The id may be used again, with no escalations of the old ticket.
        s.add(&[ticket("T-1")], false).unwrap();
        assert_eq!(open_ids(&s), ["T-1", "T-2"]);
    }

    #[test]
    fn escalations_are_remembered() {
        let s = Store::in_memory().unwrap();
        assert!(s.escalations().unwrap().is_empty());
        let key = escalation_key("T-1", "resolve", "breached");
        let first = s
            .record_escalations(&[(key.clone(), "2026-03-02T11:00:00+03:00".into())])
            .unwrap();
        assert_eq!(first, std::slice::from_ref(&key));
        assert!(s.escalations().unwrap().contains(&key));
        // Recorded already (by another watcher, say): not new.
        let again = s
            .record_escalations(&[(key.clone(), "2026-03-02T12:00:00+03:00".into())])
            .unwrap();
        assert!(again.is_empty());
    }
}

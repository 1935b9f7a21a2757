//! Where contract files come from: one small trait with a directory implementation (the
//! CLI, the watcher) and an in-memory one (tests, programs that embed the engine).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Reads contract, template and script files by relative path.
pub trait Loader: Send + Sync {
    /// Reads a file relative to the contracts directory (`acme.yaml`,
    /// `templates/standard.yaml`); `Ok(None)` if it does not exist.
    fn read(&self, path: &str) -> io::Result<Option<String>>;
    /// Reads a file relative to the project root, the contracts directory's parent
    /// (`scripts/vip.rhai`); `Ok(None)` if it does not exist.
    fn read_root(&self, path: &str) -> io::Result<Option<String>>;
    /// The ids of all customer contracts: stems of the top-level `*.yaml` files, sorted.
    fn contract_ids(&self) -> io::Result<Vec<String>>;
    /// The names of the templates a contract may extend: stems of the `templates/*.yaml`
    /// files, sorted. Messages about a template that does not exist list them. The
    /// default lists none, for loaders that cannot list files.
    fn template_names(&self) -> io::Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// How a user names a file of the contracts directory (`contracts/acme.yaml`).
    fn display(&self, path: &str) -> String;
    /// How a user names a file of the project root (`scripts/vip.rhai`).
    fn display_root(&self, path: &str) -> String;
}

/// Contracts in a directory on disk.
#[derive(Debug, Clone)]
pub struct DirLoader {
    dir: PathBuf,
    root: PathBuf,
}

impl DirLoader {
    /// Contracts in `dir`; scripts are resolved from its parent.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let root = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        DirLoader { dir, root }
    }

    /// The contracts directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The largest contract, template or script file read (16 MiB): far beyond any real one,
/// small enough that a runaway file is refused before it is read.
pub const MAX_FILE: u64 = 16 << 20;

fn read_opt(path: &Path) -> io::Result<Option<String>> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the file is {:.1} MiB: expected a contract, script or holiday file of at most {} MiB",
                    m.len() as f64 / (1 << 20) as f64,
                    MAX_FILE >> 20
                ),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes());
            let (line, column) = crate::ticket::line_column(&text, offset);
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "expected UTF-8 text, found an invalid byte at line {line}, column {column} (byte {offset}): save the file as UTF-8"
                ),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl Loader for DirLoader {
    fn read(&self, path: &str) -> io::Result<Option<String>> {
        read_opt(&self.dir.join(path))
    }

    fn read_root(&self, path: &str) -> io::Result<Option<String>> {
        read_opt(&self.root.join(path))
    }

    fn contract_ids(&self) -> io::Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            // Contracts are `<id>.yaml` (the loader reads exactly that name).
            let is_yaml = path.extension().is_some_and(|e| e == "yaml");
            if is_yaml
                && path.is_file()
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                ids.push(stem.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    fn template_names(&self) -> io::Result<Vec<String>> {
        let entries = match std::fs::read_dir(self.dir.join("templates")) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "yaml")
                && path.is_file()
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                names.push(stem.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn display(&self, path: &str) -> String {
        self.dir.join(path).display().to_string()
    }

    fn display_root(&self, path: &str) -> String {
        if self.root == Path::new(".") {
            path.to_owned()
        } else {
            self.root.join(path).display().to_string()
        }
    }
}

/// Contracts held in memory, keyed by path (`acme.yaml`, `templates/standard.yaml`);
/// files of the project root (`scripts/x.rhai`) are added with [`MemoryLoader::with_root`].
/// Messages name files as `contracts/<path>`.
#[derive(Debug, Clone, Default)]
pub struct MemoryLoader {
    files: BTreeMap<String, String>,
    root: BTreeMap<String, String>,
}

impl MemoryLoader {
    /// An empty set of files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file of the contracts directory.
    pub fn with(mut self, path: &str, text: &str) -> Self {
        self.files.insert(path.to_owned(), text.to_owned());
        self
    }

    /// Adds a file of the project root (a script).
    pub fn with_root(mut self, path: &str, text: &str) -> Self {
        self.root.insert(path.to_owned(), text.to_owned());
        self
    }
}

impl Loader for MemoryLoader {
    fn read(&self, path: &str) -> io::Result<Option<String>> {
        Ok(self.files.get(path).cloned())
    }

    fn read_root(&self, path: &str) -> io::Result<Option<String>> {
        Ok(self.root.get(path).cloned())
    }

    fn contract_ids(&self) -> io::Result<Vec<String>> {
        Ok(self
            .files
            .keys()
            .filter(|k| !k.contains('/'))
            .filter_map(|k| k.strip_suffix(".yaml"))
            .map(str::to_owned)
            .collect())
    }

    fn template_names(&self) -> io::Result<Vec<String>> {
        Ok(self
            .files
            .keys()
            .filter_map(|k| k.strip_prefix("templates/"))
            .filter(|k| !k.contains('/'))
            .filter_map(|k| k.strip_suffix(".yaml"))
            .map(str::to_owned)
            .collect())
    }

    fn display(&self, path: &str) -> String {
        format!("contracts/{path}")
    }

    fn display_root(&self, path: &str) -> String {
        path.to_owned()
    }
}

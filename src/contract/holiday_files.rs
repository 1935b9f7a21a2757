//! The holiday files of a contract's calendars (`holiday_files`): read through the
//! loader from the project root like scripts, each once however many calendars name it,
//! turned into dates by [`crate::holidays`], and counted in the contract's revision.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::Layers;
use crate::error::Error;
use crate::loader::Loader;

/// The holiday files read while building one contract.
pub(super) struct HolidayFiles<'l> {
    loader: &'l dyn Loader,
    /// Each file read, in the order first named: its path, its text and its dates.
    read: Vec<(String, String, Vec<NaiveDate>)>,
}

impl<'l> HolidayFiles<'l> {
    pub(super) fn new(loader: &'l dyn Loader) -> Self {
        HolidayFiles {
            loader,
            read: Vec::new(),
        }
    }

    /// The dates closed by `paths`, the list at `key` (`calendar.holiday_files`).
    pub(super) fn dates(
        &mut self,
        layers: &Layers,
        key: &str,
        paths: &[String],
    ) -> Result<Vec<NaiveDate>, Error> {
        let mut dates = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            if let Some((_, _, known)) = self.read.iter().find(|(p, _, _)| p == path) {
                dates.extend_from_slice(known);
                continue;
            }
            let display = self.loader.display_root(path);
            let text = match self.loader.read_root(path) {
                Ok(Some(text)) => text,
                Ok(None) => {
                    return Err(layers.error_at(
                        &format!("{key}.{i}"),
                        true,
                        format!(
                            "the holiday file `{path}` does not exist: expected an iCalendar file `{path}` next to the contracts directory"
                        ),
                    ));
                }
                Err(e) => {
                    return Err(Error::Io {
                        path: display,
                        source: e,
                    });
                }
            };
            let found = crate::holidays::read(&text, &display).map_err(|e| {
                let named = layers.origin(key);
                e.with_help(format!("`{key}` names this file at {named}"))
            })?;
            dates.extend_from_slice(&found);
            self.read.push((path.clone(), text, found));
        }
        Ok(dates)
    }

    /// The paths of the files read, in the order first named.
    pub(super) fn paths(&self) -> Vec<String> {
        self.read.iter().map(|(p, _, _)| p.clone()).collect()
    }

    /// Counts each file, its path and its text, in the revision.
    pub(super) fn hash(&self, hasher: &mut Sha256) {
        for (path, text, _) in &self.read {
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
            hasher.update([0]);
        }
    }
}

//! Parsing ahead on a second thread.
//!
//! Evaluation is sequential (a module's top level runs when `import_module` reaches it), but
//! reading, normalising and parsing a `.star` file does not depend on evaluation. While the
//! main thread evaluates, a background thread walks the packages on disk (the mounts) and
//! parses their `.star` files; `eval_file` then takes the ready syntax tree instead of
//! parsing. Nothing observable changes: a file is used only when its path and module id
//! match what the loader resolved, a file being parsed is waited for, a file not yet reached
//! is parsed by the main thread itself, and parse errors are always re-derived on the main
//! thread (so their diagnostics are identical).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use hortus_stdlib::source::Normalized;
use starlark::syntax::AstModule;

use crate::loader::Mount;
use crate::locator::Locator;

/// Upper bounds on what is parsed ahead (huge repositories are not walked whole).
const MAX_FILES: usize = 4000;
const MAX_FILE_BYTES: u64 = 4 << 20;

/// A file read, normalised and parsed ahead of its evaluation.
pub struct Parsed {
    pub original: String,
    pub normalized: Normalized,
    pub ast: AstModule,
}

enum Slot {
    /// The background thread is parsing it.
    Parsing,
    /// Parsed under this module id (`None`: it did not parse; the main thread re-parses).
    Done(String, Option<Box<Parsed>>),
    /// The main thread owns it (took it, or parses it itself).
    Taken,
}

struct Shared {
    slots: Mutex<HashMap<PathBuf, Slot>>,
    ready: Condvar,
    stop: AtomicBool,
    /// The background thread went through its whole list.
    done: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, HashMap<PathBuf, Slot>> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Handle to the background parser; dropping it stops the thread at the next file.
pub struct Prefetch {
    shared: Arc<Shared>,
}

impl Prefetch {
    /// Starts parsing the `.star` files under the mounts' directories (except `skip`, which
    /// the main thread is about to parse itself).
    pub fn start(mounts: &[Mount], skip: &Path) -> Option<Prefetch> {
        if mounts.is_empty() {
            return None;
        }
        let shared = Arc::new(Shared {
            slots: Mutex::new(HashMap::new()),
            ready: Condvar::new(),
            stop: AtomicBool::new(false),
            done: AtomicBool::new(false),
        });
        shared.lock().insert(skip.to_path_buf(), Slot::Taken);
        let mounts = mounts.to_vec();
        let worker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("hortus-prefetch".to_owned())
            .spawn(move || work(&worker, &mounts))
            .ok()?;
        Some(Prefetch { shared })
    }

    /// The parsed file at `path` if it was parsed ahead under `module_id`; waits when it is
    /// being parsed right now. `None` means: read and parse it yourself.
    pub fn take(&self, path: &Path, module_id: &str) -> Option<Parsed> {
        let mut slots = self.shared.lock();
        loop {
            match slots.get_mut(path) {
                None => {
                    slots.insert(path.to_path_buf(), Slot::Taken);
                    return None;
                }
                Some(Slot::Taken) => return None,
                Some(Slot::Parsing) => {
                    slots = self
                        .shared
                        .ready
                        .wait(slots)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
                Some(slot @ Slot::Done(..)) => {
                    let Slot::Done(id, parsed) = std::mem::replace(slot, Slot::Taken) else {
                        return None;
                    };
                    return parsed.filter(|_| id == module_id).map(|p| *p);
                }
            }
        }
    }
}

#[cfg(test)]
impl Prefetch {
    /// Waits until the background thread has been through every file.
    fn wait_done(&self) {
        let mut slots = self.shared.lock();
        while !self.shared.done.load(Ordering::Acquire) {
            slots = self.shared.ready.wait(slots).unwrap();
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

fn work(shared: &Shared, mounts: &[Mount]) {
    let mut files = Vec::new();
    for mount in mounts {
        collect(&mount.dir, &mut Vec::new(), mount, &mut files);
    }
    for (path, module_id) in files {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        {
            let mut slots = shared.lock();
            if slots.contains_key(&path) {
                continue;
            }
            slots.insert(path.clone(), Slot::Parsing);
        }
        let parsed = parse(&path, &module_id).map(Box::new);
        shared.lock().insert(path, Slot::Done(module_id, parsed));
        shared.ready.notify_all();
    }
    let _guard = shared.lock();
    shared.done.store(true, Ordering::Release);
    shared.ready.notify_all();
}

fn parse(path: &Path, module_id: &str) -> Option<Parsed> {
    let original = std::fs::read_to_string(path).ok()?;
    let mut normalized = hortus_stdlib::source::normalize(&original);
    let text = std::mem::take(&mut normalized.text);
    let ast = AstModule::parse(module_id, text, &hortus_stdlib::dialect()).ok()?;
    Some(Parsed {
        original,
        normalized,
        ast,
    })
}

/// Lists `.star` files under `dir` (no hidden directories, no symlinks) with the module id
/// the loader gives them when reached through `mount`.
fn collect(
    dir: &Path,
    segments: &mut Vec<String>,
    mount: &Mount,
    out: &mut Vec<(PathBuf, String)>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let mut subdirs = Vec::new();
    for entry in entries {
        if out.len() >= MAX_FILES {
            return;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if kind.is_dir() {
            subdirs.push((entry.path(), name));
        } else if kind.is_file()
            && name.ends_with(".star")
            && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES)
        {
            let mut path = mount.prefix.path.clone();
            path.extend(segments.iter().cloned());
            path.push(name);
            let loc = Locator {
                path,
                version: mount.version.clone(),
                ..mount.prefix.clone()
            };
            out.push((entry.path(), loc.to_string()));
        }
    }
    for (path, name) in subdirs {
        segments.push(name);
        collect(&path, segments, mount, out);
        segments.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn files_are_parsed_ahead_under_their_module_ids() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        write(&root, "main.star", "def run(plan):\n    pass\n");
        write(&root, "lib/a.star", "A = 1\n");
        write(&root, "lib/b.star", "B = \tsyntax error here (\n");
        write(&root, ".hidden/c.star", "C = 3\n");
        let prefix = Locator::parse("github.com/t/p").unwrap().unwrap();
        let mount = Mount {
            prefix: prefix.clone(),
            dir: root.clone(),
            boundary: prefix,
            version: None,
        };
        let prefetch = Prefetch::start(&[mount], &root.join("main.star")).unwrap();
        prefetch.wait_done();
        // The main file is left to the caller.
        assert!(
            prefetch
                .take(&root.join("main.star"), "github.com/t/p/main.star")
                .is_none()
        );
        // A module is handed over once, under the id the loader would give it.
        let parsed = prefetch
            .take(&root.join("lib/a.star"), "github.com/t/p/lib/a.star")
            .expect("parsed ahead");
        assert_eq!(parsed.original, "A = 1\n");
        assert!(
            prefetch
                .take(&root.join("lib/a.star"), "github.com/t/p/lib/a.star")
                .is_none()
        );
        // Parse failures are left to the main thread (identical diagnostics).
        assert!(
            prefetch
                .take(&root.join("lib/b.star"), "github.com/t/p/lib/b.star")
                .is_none()
        );
        // Hidden directories are not walked: the caller parses it itself.
        assert!(
            prefetch
                .take(
                    &root.join(".hidden/c.star"),
                    "github.com/t/p/.hidden/c.star"
                )
                .is_none()
        );
    }

    #[test]
    fn a_different_module_id_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        write(&root, "main.star", "X = 1\n");
        write(&root, "m.star", "M = 1\n");
        let prefix = Locator::parse("github.com/t/p").unwrap().unwrap();
        let mount = Mount {
            prefix: prefix.clone(),
            dir: root.clone(),
            boundary: prefix,
            version: None,
        };
        let prefetch = Prefetch::start(&[mount], &root.join("main.star")).unwrap();
        assert!(
            prefetch
                .take(&root.join("m.star"), "github.com/other/p/m.star")
                .is_none()
        );
    }
}

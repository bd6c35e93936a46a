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

use std::collections::{HashMap, HashSet};
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
        let main = skip.to_path_buf();
        let worker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("hortus-prefetch".to_owned())
            .spawn(move || work(&worker, &mounts, &main))
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

/// Parses ahead in evaluation order: first the modules reachable from the main file through
/// literal `import_module("...")` calls, depth first in source order (the order evaluation
/// reaches them), then every other `.star` file under the mounts.
fn work(shared: &Shared, mounts: &[Mount], main: &Path) {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut stack: Vec<(usize, Vec<String>)> = Vec::new();
    if let Some((mount, segments)) = mount_of(mounts, main)
        && let Ok(text) = std::fs::read_to_string(main)
    {
        seen.insert(main.to_path_buf());
        push_imports(&text, mounts, mount, &segments, &mut stack);
    }
    while let Some((index, segments)) = stack.pop() {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        let Some(mount) = mounts.get(index) else {
            continue;
        };
        let path = join(&mount.dir, &segments);
        if !seen.insert(path.clone()) {
            continue;
        }
        if let Some(text) = process(shared, &path, &module_id(mount, &segments)) {
            push_imports(&text, mounts, index, &segments, &mut stack);
        }
    }
    let mut files = Vec::new();
    for mount in mounts {
        collect(&mount.dir, &mut Vec::new(), mount, &mut files);
    }
    for (path, module_id) in files {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        if !seen.contains(&path) {
            process(shared, &path, &module_id);
        }
    }
    let _guard = shared.lock();
    shared.done.store(true, Ordering::Release);
    shared.ready.notify_all();
}

/// Parses `path` unless the main thread has claimed it; returns the file's text either way
/// (for following its imports).
fn process(shared: &Shared, path: &Path, module_id: &str) -> Option<String> {
    {
        let mut slots = shared.lock();
        if slots.contains_key(path) {
            drop(slots);
            return std::fs::read_to_string(path).ok();
        }
        slots.insert(path.to_path_buf(), Slot::Parsing);
    }
    let parsed = parse(path, module_id).map(Box::new);
    let text = parsed.as_ref().map(|p| p.original.clone());
    shared
        .lock()
        .insert(path.to_path_buf(), Slot::Done(module_id.to_owned(), parsed));
    shared.ready.notify_all();
    text.or_else(|| std::fs::read_to_string(path).ok())
}

/// The mount holding `path` and the path's segments below the mount's directory.
fn mount_of(mounts: &[Mount], path: &Path) -> Option<(usize, Vec<String>)> {
    mounts
        .iter()
        .enumerate()
        .filter_map(|(index, mount)| {
            let rest = path.strip_prefix(&mount.dir).ok()?;
            let segments: Option<Vec<String>> = rest
                .components()
                .map(|c| c.as_os_str().to_str().map(str::to_owned))
                .collect();
            Some((index, segments?))
        })
        .max_by_key(|(index, _)| mounts.get(*index).map_or(0, |m| m.dir.components().count()))
}

/// Pushes the targets of literal `import_module("...")` calls in `text` (a file at
/// `segments` inside mount `index`) so that the first one is popped first.
fn push_imports(
    text: &str,
    mounts: &[Mount],
    index: usize,
    segments: &[String],
    stack: &mut Vec<(usize, Vec<String>)>,
) {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("import_module(") {
        rest = rest.get(at + "import_module(".len()..).unwrap_or_default();
        let args = rest.trim_start();
        let Some(quote) = args.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let body = args.get(1..).unwrap_or_default();
        let Some(end) = body.find(quote) else {
            continue;
        };
        let literal = body.get(..end).unwrap_or_default();
        if let Some(target) = resolve(literal, mounts, index, segments) {
            found.push(target);
        }
    }
    stack.extend(found.into_iter().rev());
}

/// Where a literal locator points, lexically (the loader's own resolution decides what is
/// used; a wrong guess only costs a parse nobody takes).
fn resolve(
    literal: &str,
    mounts: &[Mount],
    index: usize,
    segments: &[String],
) -> Option<(usize, Vec<String>)> {
    if literal.is_empty() || literal.contains('@') || literal.contains("://") {
        return None;
    }
    let (index, mut base, rel) = if literal.starts_with("github.com/") {
        let (index, mount) = mounts
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                let prefix = m.prefix.unversioned();
                literal.len() > prefix.len()
                    && literal.starts_with(&prefix)
                    && literal.as_bytes().get(prefix.len()) == Some(&b'/')
            })
            .max_by_key(|(_, m)| m.prefix.path.len())?;
        let prefix_len = mount.prefix.unversioned().len() + 1;
        (index, Vec::new(), literal.get(prefix_len..)?)
    } else if let Some(rooted) = literal.strip_prefix('/') {
        (index, Vec::new(), rooted)
    } else {
        let dir = segments.get(..segments.len().saturating_sub(1))?.to_vec();
        (index, dir, literal)
    };
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                base.pop()?;
            }
            name => base.push(name.to_owned()),
        }
    }
    base.last()
        .is_some_and(|n| n.ends_with(".star"))
        .then_some((index, base))
}

fn join(dir: &Path, segments: &[String]) -> PathBuf {
    let mut path = dir.to_path_buf();
    path.extend(segments);
    path
}

/// The module id the loader gives the file at `segments` inside `mount`.
fn module_id(mount: &Mount, segments: &[String]) -> String {
    let mut path = mount.prefix.path.clone();
    path.extend(segments.iter().cloned());
    Locator {
        path,
        version: mount.version.clone(),
        ..mount.prefix.clone()
    }
    .to_string()
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
            segments.push(name);
            out.push((entry.path(), module_id(mount, segments)));
            segments.pop();
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
    fn imports_are_followed_from_the_main_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        // Hidden directories are not walked, so only following the imports finds these.
        write(&root, "main.star", "a = import_module(\"./.x/a.star\")\n");
        write(
            &root,
            ".x/a.star",
            "b = import_module('../.y/b.star')\nc = import_module(\"github.com/t/p/.y/c.star\")\n",
        );
        write(&root, ".y/b.star", "B = 1\n");
        write(&root, ".y/c.star", "C = 1\n");
        let prefix = Locator::parse("github.com/t/p").unwrap().unwrap();
        let mount = Mount {
            prefix: prefix.clone(),
            dir: root.clone(),
            boundary: prefix,
            version: None,
        };
        let prefetch = Prefetch::start(&[mount], &root.join("main.star")).unwrap();
        prefetch.wait_done();
        for (path, id) in [
            (".x/a.star", "github.com/t/p/.x/a.star"),
            (".y/b.star", "github.com/t/p/.y/b.star"),
            (".y/c.star", "github.com/t/p/.y/c.star"),
        ] {
            assert!(
                prefetch.take(&root.join(path), id).is_some(),
                "{path} parsed ahead"
            );
        }
    }

    #[test]
    fn literal_locators_resolve_lexically() {
        let prefix = Locator::parse("github.com/t/p").unwrap().unwrap();
        let mounts = [Mount {
            prefix: prefix.clone(),
            dir: PathBuf::from("/pkg"),
            boundary: prefix,
            version: None,
        }];
        let here = ["src".to_owned(), "x.star".to_owned()];
        let seg = |v: &[&str]| Some((0, v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()));
        assert_eq!(
            resolve("./y.star", &mounts, 0, &here),
            seg(&["src", "y.star"])
        );
        assert_eq!(
            resolve("../lib/z.star", &mounts, 0, &here),
            seg(&["lib", "z.star"])
        );
        assert_eq!(resolve("/top.star", &mounts, 0, &here), seg(&["top.star"]));
        assert_eq!(
            resolve("github.com/t/p/a/b.star", &mounts, 0, &here),
            seg(&["a", "b.star"])
        );
        assert_eq!(resolve("../../out.star", &mounts, 0, &here), None);
        assert_eq!(
            resolve("github.com/other/r/a.star", &mounts, 0, &here),
            None
        );
        assert_eq!(resolve("github.com/t/p/a.star@v1", &mounts, 0, &here), None);
        assert_eq!(resolve("./data.json", &mounts, 0, &here), None);
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

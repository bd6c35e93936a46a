//! Working ahead on a second thread: parsing, and evaluating modules speculatively.
//!
//! Evaluation is sequential (a module's top level runs when `import_module` reaches it), but
//! most of its cost does not depend on that order. While the main thread evaluates, a
//! background thread
//!
//! 1. follows the literal `import_module("...")` calls from the main file depth first (the
//!    order evaluation reaches them), reading, normalising and parsing each module;
//! 2. evaluates those modules itself, from the last one back, so that the two threads meet
//!    in the middle; and
//! 3. parses the other `.star` files under the mounts.
//!
//! Nothing observable changes. A module's top level cannot touch the plan (there is no
//! `plan` outside `run`), so evaluating it early or on another thread gives the same frozen
//! module. The background thread resolves imports with the loader's rules for mounted
//! packages only (same-package ban, package boundary, `replace`, sandbox); anything else
//! (remote packages, a failing or cyclic module, a warning, an error of any kind) abandons
//! the speculation and the main thread does that module itself, exactly as without this
//! module, so every error keeps its diagnostics. Results are used only when their path and
//! module id match what the main thread's loader resolved; a module the background thread
//! is evaluating is waited for; the background thread never waits for the main thread.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use anyhow::anyhow;
use hortus_builtins::context::{EvalContext, EvalOptions, PackageLoader, ResolvedLocator};
use hortus_stdlib::source::Normalized;
use starlark::environment::FrozenModule;
use starlark::syntax::AstModule;

use crate::loader::{
    Mount, SharedGlobals, ensure_inside, evaluate_ast, join, mount_for, read_text, target_locator,
};
use crate::locator::{Locator, ReplaceMap};

/// Upper bounds on what is parsed ahead (huge repositories are not walked whole).
const MAX_FILES: usize = 4000;
const MAX_FILE_BYTES: u64 = 4 << 20;

/// A file read, normalised and parsed ahead of its evaluation.
pub struct Parsed {
    pub original: String,
    pub normalized: Normalized,
    pub ast: AstModule,
}

/// A module evaluated by the background thread.
pub struct Evaluated {
    pub module_id: String,
    pub loc: Locator,
    pub module: FrozenModule,
    pub original: String,
    pub normalized: Normalized,
    /// Paths of the modules it imported (evaluated before it).
    deps: Vec<PathBuf>,
}

enum Slot {
    /// The background thread is parsing it.
    Parsing,
    /// Parsed under this module id (`None`: it did not parse; the main thread re-parses).
    Done(String, Option<Box<Parsed>>),
    /// Someone took it or parses it themselves.
    Taken,
}

enum ModSlot {
    /// The main thread evaluates it (under this id).
    Main(String),
    /// The main thread evaluated it.
    MainDone(String, FrozenModule),
    /// The background thread is evaluating it.
    Background,
    /// The background thread evaluated it; not yet handed over.
    Done(Box<Evaluated>),
    /// Handed over to the main thread.
    Taken(String, FrozenModule),
    /// The background thread gave up on it.
    Abandoned,
}

#[derive(Default)]
struct Table {
    parsed: HashMap<PathBuf, Slot>,
    modules: HashMap<PathBuf, ModSlot>,
}

struct Shared {
    table: Mutex<Table>,
    ready: Condvar,
    stop: AtomicBool,
    /// The background thread went through its whole list (or ended).
    done: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Table>) -> MutexGuard<'a, Table> {
        self.ready
            .wait(guard)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What the background thread needs to resolve and evaluate like the loader.
pub struct Env {
    pub mounts: Vec<Mount>,
    pub replace: ReplaceMap,
    pub root_id: Option<String>,
    pub globals: SharedGlobals,
    pub options: EvalOptions,
    /// The main file: its path, module id and locator.
    pub main: (PathBuf, String, Locator),
}

/// Handle to the background thread; dropping it stops the thread at the next module.
pub struct Prefetch {
    shared: Arc<Shared>,
}

impl Prefetch {
    /// Starts working ahead from the main file (which the main thread parses itself).
    pub fn start(env: Env) -> Option<Prefetch> {
        if env.mounts.is_empty() {
            return None;
        }
        let shared = Arc::new(Shared {
            table: Mutex::new(Table::default()),
            ready: Condvar::new(),
            stop: AtomicBool::new(false),
            done: AtomicBool::new(false),
        });
        {
            let mut table = shared.lock();
            table.parsed.insert(env.main.0.clone(), Slot::Taken);
            table
                .modules
                .insert(env.main.0.clone(), ModSlot::Main(env.main.1.clone()));
        }
        let worker = Arc::clone(&shared);
        let env = Arc::new(env);
        std::thread::Builder::new()
            .name("hortus-prefetch".to_owned())
            .spawn(move || {
                let _end = EndGuard(Arc::clone(&worker));
                work(&worker, &env);
            })
            .ok()?;
        Some(Prefetch { shared })
    }

    /// The parsed file at `path` if it was parsed ahead under `module_id`; waits when it is
    /// being parsed right now. `None` means: read and parse it yourself.
    pub fn take(&self, path: &Path, module_id: &str) -> Option<Parsed> {
        let mut table = self.shared.lock();
        loop {
            match table.parsed.get_mut(path) {
                None => {
                    table.parsed.insert(path.to_path_buf(), Slot::Taken);
                    return None;
                }
                Some(Slot::Taken) => return None,
                Some(Slot::Parsing) => {
                    if self.shared.done.load(Ordering::Acquire) {
                        return None;
                    }
                    table = self.shared.wait(table);
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

    /// The module at `path` if the background thread evaluated it under `module_id`, with
    /// the modules it imported that the main thread does not have yet (dependencies first);
    /// waits while it is being evaluated. `None` means: evaluate it yourself (it is then
    /// reserved for the main thread; report the result with [`Prefetch::publish`]).
    pub fn take_module(&self, path: &Path, module_id: &str) -> Option<Vec<Evaluated>> {
        let mut table = self.shared.lock();
        loop {
            match table.modules.get(path) {
                None | Some(ModSlot::Abandoned) => {
                    table
                        .modules
                        .insert(path.to_path_buf(), ModSlot::Main(module_id.to_owned()));
                    return None;
                }
                Some(ModSlot::Background) => {
                    if self.shared.done.load(Ordering::Acquire) {
                        return None;
                    }
                    table = self.shared.wait(table);
                }
                Some(ModSlot::Done(e)) if e.module_id == module_id => {
                    let mut out = Vec::new();
                    hand_over(&mut table, path, &mut out);
                    return Some(out);
                }
                Some(_) => return None,
            }
        }
    }

    /// Records a module the main thread evaluated, for the background thread's imports.
    pub fn publish(&self, path: &Path, module_id: &str, module: &FrozenModule) {
        let mut table = self.shared.lock();
        if matches!(table.modules.get(path), Some(ModSlot::Main(id)) if id == module_id) {
            table.modules.insert(
                path.to_path_buf(),
                ModSlot::MainDone(module_id.to_owned(), module.clone()),
            );
        }
    }
}

/// Moves the evaluated module at `path` and its not yet handed over dependencies into `out`
/// (dependencies first), marking them taken.
fn hand_over(table: &mut Table, path: &Path, out: &mut Vec<Evaluated>) {
    let Some(slot) = table.modules.get_mut(path) else {
        return;
    };
    let ModSlot::Done(e) = slot else {
        return;
    };
    let taken = ModSlot::Taken(e.module_id.clone(), e.module.clone());
    let ModSlot::Done(e) = std::mem::replace(slot, taken) else {
        return;
    };
    for dep in &e.deps {
        hand_over(table, dep, out);
    }
    out.push(*e);
}

#[cfg(test)]
impl Prefetch {
    /// Waits until the background thread has been through everything.
    fn wait_done(&self) {
        let mut table = self.shared.lock();
        while !self.shared.done.load(Ordering::Acquire) {
            table = self.shared.wait(table);
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

/// Marks the background thread's end (even on a panic): nothing is waited for any more.
struct EndGuard(Arc<Shared>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        let mut table = self.0.lock();
        for slot in table.modules.values_mut() {
            if matches!(slot, ModSlot::Background) {
                *slot = ModSlot::Abandoned;
            }
        }
        for slot in table.parsed.values_mut() {
            if matches!(slot, Slot::Parsing) {
                *slot = Slot::Taken;
            }
        }
        self.0.done.store(true, Ordering::Release);
        drop(table);
        self.0.ready.notify_all();
    }
}

/// A module to work on: its locator, module id and path.
#[derive(Clone)]
struct Target {
    loc: Locator,
    id: String,
    path: PathBuf,
}

fn work(shared: &Arc<Shared>, env: &Arc<Env>) {
    // The modules reachable through literal imports, in evaluation order (depth first).
    let (main_path, main_id, main_loc) = &env.main;
    let mut seen: HashSet<PathBuf> = HashSet::from([main_path.clone()]);
    let mut order: Vec<Target> = Vec::new();
    let mut stack: Vec<Target> = Vec::new();
    if let Ok(text) = std::fs::read_to_string(main_path) {
        push_imports(&text, env, main_id, main_loc, &mut stack);
    }
    while let Some(target) = stack.pop() {
        if !seen.insert(target.path.clone()) {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(&target.path) {
            push_imports(&text, env, &target.id, &target.loc, &mut stack);
        }
        order.push(target);
    }
    // Parse from the front, keeping a few modules ready ahead of the main thread, and
    // evaluate from the back: the two threads meet in the middle.
    const READY_AHEAD: usize = 4;
    let (mut front, mut back) = (0usize, order.len());
    while back > 0 {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        let ready = {
            let table = shared.lock();
            order
                .get(..front)
                .unwrap_or_default()
                .iter()
                .filter(|t| matches!(table.parsed.get(&t.path), Some(Slot::Done(..))))
                .count()
        };
        if front < back && ready < READY_AHEAD {
            if let Some(target) = order.get(front) {
                process(shared, &target.path, &target.id);
            }
            front += 1;
        } else {
            back -= 1;
            if let Some(target) = order.get(back) {
                let _ = speculate(shared, env, target, &[]);
            }
        }
    }
    // Parse the rest.
    let mut files = Vec::new();
    for mount in &env.mounts {
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
}

/// Evaluates `target` (and, through its imports, its dependencies) unless someone else has
/// it; `None` when it is not available to the background thread.
fn speculate(
    shared: &Arc<Shared>,
    env: &Arc<Env>,
    target: &Target,
    ancestors: &[PathBuf],
) -> Option<FrozenModule> {
    {
        let mut table = shared.lock();
        match table.modules.get(&target.path) {
            Some(ModSlot::MainDone(id, m) | ModSlot::Taken(id, m)) if *id == target.id => {
                return Some(m.clone());
            }
            Some(ModSlot::Done(e)) if e.module_id == target.id => return Some(e.module.clone()),
            None | Some(ModSlot::Abandoned) => {
                table
                    .modules
                    .insert(target.path.clone(), ModSlot::Background);
            }
            Some(_) => return None,
        }
    }
    let result = evaluate(shared, env, target, ancestors);
    let mut table = shared.lock();
    let module = match result {
        Some(e) => {
            let module = e.module.clone();
            table
                .modules
                .insert(target.path.clone(), ModSlot::Done(Box::new(e)));
            Some(module)
        }
        None => {
            table
                .modules
                .insert(target.path.clone(), ModSlot::Abandoned);
            None
        }
    };
    drop(table);
    shared.ready.notify_all();
    module
}

fn evaluate(
    shared: &Arc<Shared>,
    env: &Arc<Env>,
    target: &Target,
    ancestors: &[PathBuf],
) -> Option<Evaluated> {
    let parsed = {
        let mut table = shared.lock();
        match table.parsed.insert(target.path.clone(), Slot::Taken) {
            Some(Slot::Done(id, Some(parsed))) if id == target.id => Some(*parsed),
            _ => None,
        }
    };
    let Parsed {
        original,
        normalized,
        ast,
    } = match parsed {
        Some(parsed) => parsed,
        None => parse(&target.path, &target.id)?,
    };
    let mut chain = ancestors.to_vec();
    chain.push(target.path.clone());
    let deps = Rc::new(RefCell::new(Vec::new()));
    let loader = SpeculativeLoader {
        shared: Arc::clone(shared),
        env: Arc::clone(env),
        target: target.clone(),
        ancestors: chain,
        deps: Rc::clone(&deps),
    };
    let ctx = EvalContext::new(Box::new(loader), env.options.clone());
    let module = evaluate_ast(&ctx, env.globals.get(), ast).ok()?;
    let plan = ctx.take_plan();
    if !plan.instructions.is_empty() || !plan.warnings.is_empty() {
        return None;
    }
    let deps = deps.take();
    Some(Evaluated {
        module_id: target.id.clone(),
        loc: target.loc.clone(),
        module,
        original,
        normalized,
        deps,
    })
}

/// The loader of a speculative evaluation: mounted packages only, never waiting.
struct SpeculativeLoader {
    shared: Arc<Shared>,
    env: Arc<Env>,
    /// The module being evaluated.
    target: Target,
    /// Its path and its importers' (a cycle abandons the speculation).
    ancestors: Vec<PathBuf>,
    /// The modules it imported.
    deps: Rc<RefCell<Vec<PathBuf>>>,
}

impl SpeculativeLoader {
    fn resolve_here(&self, caller: &str, locator: &str) -> anyhow::Result<Target> {
        if caller != self.target.id {
            return Err(anyhow!("speculation: import from another module"));
        }
        resolve(&self.env, caller, &self.target.loc, locator)
            .ok_or_else(|| anyhow!("speculation: not resolvable ahead"))
    }
}

impl PackageLoader for SpeculativeLoader {
    fn resolve(&self, _caller: &str, _locator: &str) -> anyhow::Result<ResolvedLocator> {
        Err(anyhow!("speculation: resolve"))
    }

    fn read_file(&self, caller: &str, locator: &str) -> anyhow::Result<String> {
        let target = self.resolve_here(caller, locator)?;
        Ok(read_text(&target.path)?)
    }

    fn import_module(
        &self,
        _ctx: &EvalContext,
        caller: &str,
        locator: &str,
    ) -> starlark::Result<FrozenModule> {
        let target = self
            .resolve_here(caller, locator)
            .map_err(starlark::Error::new_native)?;
        if self.ancestors.contains(&target.path) {
            return Err(starlark::Error::new_native(anyhow!("speculation: cycle")));
        }
        let module = speculate(&self.shared, &self.env, &target, &self.ancestors)
            .ok_or_else(|| starlark::Error::new_native(anyhow!("speculation: abandoned")))?;
        self.deps.borrow_mut().push(target.path);
        Ok(module)
    }

    fn exposes_private_names(&self) -> bool {
        true
    }
}

/// Resolves `text` as written in module `caller_id` (at `caller_loc`) the way the loader
/// does for a file of a mounted package; `None` for anything else (remote packages, errors),
/// which the main thread then resolves itself.
fn resolve(env: &Env, caller_id: &str, caller_loc: &Locator, text: &str) -> Option<Target> {
    let loc = target_locator(
        env.root_id.as_deref(),
        &env.mounts,
        &env.replace,
        caller_id,
        Some(caller_loc),
        text,
    )
    .ok()?;
    let mount = mount_for(&env.mounts, &loc)?;
    let path = join(&mount.dir, &loc.rest_after(&mount.prefix));
    if !path.is_file() {
        return None;
    }
    ensure_inside(&mount.dir, &path, text).ok()?;
    Some(Target {
        id: loc.to_string(),
        loc,
        path,
    })
}

/// Pushes the targets of literal `import_module("...")` calls in `text` (module `caller_id`
/// at `caller_loc`) so that the first one is popped first.
fn push_imports(
    text: &str,
    env: &Env,
    caller_id: &str,
    caller_loc: &Locator,
    stack: &mut Vec<Target>,
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
        if let Some(target) = resolve(env, caller_id, caller_loc, literal) {
            found.push(target);
        }
    }
    stack.extend(found.into_iter().rev());
}

/// Parses `path` unless it was claimed; returns the file's text either way (for following
/// its imports).
fn process(shared: &Shared, path: &Path, module_id: &str) -> Option<String> {
    {
        let mut table = shared.lock();
        if table.parsed.contains_key(path) {
            drop(table);
            return std::fs::read_to_string(path).ok();
        }
        table.parsed.insert(path.to_path_buf(), Slot::Parsing);
    }
    let parsed = parse(path, module_id).map(Box::new);
    let text = parsed.as_ref().map(|p| p.original.clone());
    shared
        .lock()
        .parsed
        .insert(path.to_path_buf(), Slot::Done(module_id.to_owned(), parsed));
    shared.ready.notify_all();
    text.or_else(|| std::fs::read_to_string(path).ok())
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

    /// A package `github.com/t/p` in a temporary directory, and the background thread's
    /// environment for it.
    fn package(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, Env) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for (path, text) in files {
            write(&root, path, text);
        }
        let prefix = Locator::parse("github.com/t/p").unwrap().unwrap();
        let main_loc = Locator::parse("github.com/t/p/main.star").unwrap().unwrap();
        let env = Env {
            mounts: vec![Mount {
                prefix: prefix.clone(),
                dir: root.clone(),
                boundary: prefix,
                version: None,
            }],
            replace: ReplaceMap::default(),
            root_id: Some("github.com/t/p".to_owned()),
            globals: SharedGlobals::ready(crate::glue::globals()),
            options: EvalOptions {
                root_package_id: Some("github.com/t/p".to_owned()),
                ..EvalOptions::default()
            },
            main: (
                root.join("main.star"),
                "github.com/t/p/main.star".to_owned(),
                main_loc,
            ),
        };
        (dir, root, env)
    }

    fn ids(list: &[Evaluated]) -> Vec<&str> {
        list.iter().map(|e| e.module_id.as_str()).collect()
    }

    #[test]
    fn imported_modules_are_evaluated_ahead_with_their_dependencies() {
        // Hidden directories are not walked: only following the imports finds these.
        let (_dir, root, env) = package(&[
            (
                "main.star",
                "a = import_module(\"./.x/a.star\")\ndef run(plan):\n    pass\n",
            ),
            (
                ".x/a.star",
                "b = import_module('../.y/b.star')\nc = import_module(\"/.y/c.star\")\nA = b.B + c.C\n",
            ),
            (".y/b.star", "B = 1\n_hidden = 2\n"),
            (".y/c.star", "C = 2\n"),
        ]);
        let prefetch = Prefetch::start(env).unwrap();
        prefetch.wait_done();
        let list = prefetch
            .take_module(&root.join(".x/a.star"), "github.com/t/p/.x/a.star")
            .expect("evaluated ahead");
        assert_eq!(
            ids(&list),
            [
                "github.com/t/p/.y/b.star",
                "github.com/t/p/.y/c.star",
                "github.com/t/p/.x/a.star"
            ]
        );
        let a = &list[2];
        assert_eq!(
            a.original,
            std::fs::read_to_string(root.join(".x/a.star")).unwrap()
        );
        let value = a.module.get("A").unwrap();
        assert_eq!(value.value().unpack_i32(), Some(3));
        // Private globals are public, as the loader makes them.
        assert!(list[0].module.get("_hidden").is_ok());
        // Handed over once.
        assert!(
            prefetch
                .take_module(&root.join(".y/b.star"), "github.com/t/p/.y/b.star")
                .is_none()
        );
    }

    #[test]
    fn failures_cycles_and_remote_imports_are_left_to_the_main_thread() {
        let (_dir, root, env) = package(&[
            (
                "main.star",
                "a = import_module(\"./a.star\")\nb = import_module(\"./b.star\")\nc = import_module(\"./c.star\")\nd = import_module(\"./d.star\")\n",
            ),
            ("a.star", "X = 1 // 0\n"),
            ("b.star", "c = import_module(\"./c.star\")\n"),
            ("c.star", "b = import_module(\"./b.star\")\n"),
            (
                "d.star",
                "r = import_module(\"github.com/other/repo/x.star\")\n",
            ),
        ]);
        let prefetch = Prefetch::start(env).unwrap();
        prefetch.wait_done();
        for name in ["a", "b", "c", "d"] {
            let id = format!("github.com/t/p/{name}.star");
            assert!(
                prefetch
                    .take_module(&root.join(format!("{name}.star")), &id)
                    .is_none(),
                "{name} left to the main thread"
            );
        }
    }

    #[test]
    fn a_module_claimed_by_the_main_thread_is_used_by_the_background_thread() {
        let (_dir, root, env) = package(&[
            ("main.star", "a = import_module(\"./a.star\")\n"),
            ("a.star", "l = import_module(\"./l.star\")\nA = l.L\n"),
            ("l.star", "L = [1]\n"),
        ]);
        // The main thread claims `l.star` first and publishes its own module.
        let main_l = {
            starlark::environment::Module::with_temp_heap(|module| {
                module.set("L", module.heap().alloc(7));
                module.freeze()
            })
            .unwrap()
        };
        let l_path = root.join("l.star");
        let prefetch = Prefetch::start(env).unwrap();
        let claimed = prefetch.take_module(&l_path, "github.com/t/p/l.star");
        if claimed.is_none() {
            prefetch.publish(&l_path, "github.com/t/p/l.star", &main_l);
            prefetch.wait_done();
            let list = prefetch
                .take_module(&root.join("a.star"), "github.com/t/p/a.star")
                .expect("a evaluated with the main thread's l");
            assert_eq!(ids(&list), ["github.com/t/p/a.star"]);
            assert_eq!(
                list[0].module.get("A").unwrap().value().unpack_i32(),
                Some(7)
            );
        }
    }

    #[test]
    fn locators_resolve_like_the_loader_for_mounted_files() {
        let (_dir, root, env) = package(&[
            ("main.star", ""),
            ("src/x.star", ""),
            ("src/y.star", ""),
            ("lib/z.star", ""),
            ("top.star", ""),
        ]);
        let here = Locator::parse("github.com/t/p/src/x.star")
            .unwrap()
            .unwrap();
        let caller = "github.com/t/p/src/x.star";
        let path = |text: &str| resolve(&env, caller, &here, text).map(|t| (t.id, t.path));
        assert_eq!(
            path("./y.star"),
            Some((
                "github.com/t/p/src/y.star".to_owned(),
                root.join("src/y.star")
            ))
        );
        assert_eq!(
            path("../lib/z.star"),
            Some((
                "github.com/t/p/lib/z.star".to_owned(),
                root.join("lib/z.star")
            ))
        );
        assert_eq!(
            path("/top.star"),
            Some(("github.com/t/p/top.star".to_owned(), root.join("top.star")))
        );
        // The root package's own absolute locators are banned; missing files, escapes and
        // other repositories are the main thread's business.
        assert_eq!(path("github.com/t/p/lib/z.star"), None);
        assert_eq!(path("./missing.star"), None);
        assert_eq!(path("../../../out.star"), None);
        assert_eq!(path("github.com/other/r/a.star"), None);
    }

    #[test]
    fn files_are_parsed_ahead_under_their_module_ids() {
        let (_dir, root, env) = package(&[
            ("main.star", "def run(plan):\n    pass\n"),
            ("lib/a.star", "A = 1\n"),
            ("lib/b.star", "B = \tsyntax error here (\n"),
        ]);
        let prefetch = Prefetch::start(env).unwrap();
        prefetch.wait_done();
        // The main file is left to the caller.
        assert!(
            prefetch
                .take(&root.join("main.star"), "github.com/t/p/main.star")
                .is_none()
        );
        // Not imported: parsed, handed over once, only under its own id.
        assert!(
            prefetch
                .take(&root.join("lib/a.star"), "github.com/other/p/lib/a.star")
                .is_none()
        );
        let (_dir, root, env) = package(&[
            ("main.star", "def run(plan):\n    pass\n"),
            ("lib/a.star", "A = 1\n"),
        ]);
        let prefetch = Prefetch::start(env).unwrap();
        prefetch.wait_done();
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
    }
}

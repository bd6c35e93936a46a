//! The [`PackageLoader`] implementation: maps locators to files (mounted local packages,
//! cached remote checkouts), enforces the sandbox (no `..`/symlink escape, membership of
//! remote files), and evaluates imported modules once per run with cycle detection
//! (`ModuleState::{Loading, Loaded, Failed}`).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use anyhow::{anyhow, bail};
use hortus_builtins::context::{EvalContext, EvalOptions, PackageLoader, ResolvedLocator};
use hortus_stdlib::source::Normalized;
use starlark::environment::{FrozenModule, Globals, Module};
use starlark::eval::{Evaluator, FileLoader};
use starlark::syntax::AstModule;
use starlark::values::list::ListRef;
use starlark_syntax::syntax::ast::Visibility;

use crate::cache::PackageCache;
use crate::diagnostic::{ImportFailure, Sources};
use crate::locator::{self, Locator, LocatorError, ReplaceMap};
use crate::manifest;
use crate::prefetch::{Env, Evaluated, Parsed, Prefetch};

/// Compose file names that also make a directory a package (membership check).
pub const COMPOSE_FILES: [&str; 6] = [
    "compose.yml",
    "compose.yaml",
    "docker-compose.yml",
    "docker-compose.yaml",
    "docker_compose.yml",
    "docker_compose.yaml",
];

/// A package available on disk under a locator prefix (the root package, a local
/// `replace` target, or a remote root package's checkout).
#[derive(Debug, Clone)]
pub struct Mount {
    /// Locators under this prefix (no version) map into `dir`.
    pub prefix: Locator,
    /// Canonical directory.
    pub dir: PathBuf,
    /// Relative locators from modules under `prefix` must stay under this prefix.
    pub boundary: Locator,
    /// For a remote root checkout: the version it was checked out at (versioned locators
    /// with another version do not use this mount).
    pub version: Option<String>,
}

/// What a module is being loaded or read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Module,
    File,
    Any,
}

/// One module's state in the per-run cache.
enum ModuleState {
    Loading,
    Loaded(FrozenModule),
    Failed(String),
}

/// One source file read during the run.
pub struct SourceEntry {
    pub display: String,
    pub original: String,
    pub normalized: Normalized,
}

/// Every source read during the run, keyed by module id.
#[derive(Default)]
pub struct SourceRegistry {
    pub root_id: Option<String>,
    pub entries: HashMap<String, SourceEntry>,
}

impl SourceRegistry {
    /// How a module id is shown (relative to the root package for its own files).
    pub fn display(root_id: Option<&str>, module_id: &str) -> String {
        if let Some(root) = root_id
            && let Some(rest) = module_id.strip_prefix(root)
            && let Some(rest) = rest.strip_prefix('/')
        {
            return rest.to_owned();
        }
        module_id.to_owned()
    }
}

impl Sources for SourceRegistry {
    fn display_name(&self, module_id: &str) -> String {
        self.entries.get(module_id).map_or_else(
            || SourceRegistry::display(self.root_id.as_deref(), module_id),
            |e| e.display.clone(),
        )
    }

    fn original(&self, module_id: &str) -> Option<(&str, &Normalized)> {
        self.entries
            .get(module_id)
            .map(|e| (e.original.as_str(), &e.normalized))
    }
}

/// The predeclared globals, shared with the prefetch thread. The interpreter builds them
/// on the main thread while the prefetcher already reads and parses files (building them
/// is a few milliseconds of start-up); the prefetcher waits for them before it evaluates.
#[derive(Clone)]
pub struct SharedGlobals(Arc<OnceLock<Globals>>);

impl SharedGlobals {
    /// Globals that [`SharedGlobals::set`] provides later.
    pub fn pending() -> SharedGlobals {
        SharedGlobals(Arc::new(OnceLock::new()))
    }

    /// Globals that are there already.
    pub fn ready(globals: Globals) -> SharedGlobals {
        SharedGlobals(Arc::new(OnceLock::from(globals)))
    }

    /// Provides the globals (once; later calls are ignored).
    pub fn set(&self, globals: Globals) {
        let _ = self.0.set(globals);
    }

    /// The globals, waiting until they are provided.
    pub fn get(&self) -> &Globals {
        self.0.wait()
    }
}

/// Shared loader state (the context owns a [`LoaderHandle`]; the interpreter keeps an `Rc`).
pub struct LoaderState {
    pub cache: PackageCache,
    pub root_id: Option<String>,
    pub replace: ReplaceMap,
    pub mounts: Vec<Mount>,
    pub globals: SharedGlobals,
    modules: RefCell<HashMap<String, ModuleState>>,
    /// Module id → its locator, for relative resolution (absent for standalone scripts).
    locs: RefCell<HashMap<String, Locator>>,
    /// Module ids being loaded, outermost first.
    stack: RefCell<Vec<String>>,
    pub sources: RefCell<SourceRegistry>,
    member_dirs: RefCell<HashSet<PathBuf>>,
    /// How many modules were evaluated (the module cache makes this one per module).
    pub evaluations: Cell<usize>,
    /// Files parsed ahead on a second thread.
    prefetch: RefCell<Option<Prefetch>>,
}

/// The [`PackageLoader`] given to the evaluation context.
pub struct LoaderHandle(pub Rc<LoaderState>);

/// Rejects `load` statements with Kurtosis's message.
struct RejectLoad;

impl FileLoader for RejectLoad {
    fn load(&self, path: &str) -> starlark::Result<FrozenModule> {
        Err(starlark::Error::new_native(anyhow!(
            hortus_stdlib::load_not_supported_message(path)
        )))
    }
}

/// The result of resolving a locator to disk.
struct Resolved {
    loc: Locator,
    path: PathBuf,
    /// The repository checkout the file comes from, when it is remote (not mounted).
    remote_root: Option<PathBuf>,
}

impl LoaderState {
    /// Creates the state for one run.
    pub fn new(
        cache: PackageCache,
        root_id: Option<String>,
        replace: ReplaceMap,
        mounts: Vec<Mount>,
        globals: SharedGlobals,
    ) -> LoaderState {
        LoaderState {
            cache,
            sources: RefCell::new(SourceRegistry {
                root_id: root_id.clone(),
                entries: HashMap::new(),
            }),
            root_id,
            replace,
            mounts,
            globals,
            modules: RefCell::new(HashMap::new()),
            locs: RefCell::new(HashMap::new()),
            stack: RefCell::new(Vec::new()),
            member_dirs: RefCell::new(HashSet::new()),
            evaluations: Cell::new(0),
            prefetch: RefCell::new(None),
        }
    }

    /// The display name of a module id.
    pub fn display(&self, module_id: &str) -> String {
        SourceRegistry::display(self.root_id.as_deref(), module_id)
    }

    /// Records the locator of a module (used for the main module).
    pub fn register_module(&self, module_id: &str, loc: Option<Locator>) {
        if let Some(loc) = loc {
            self.locs.borrow_mut().insert(module_id.to_owned(), loc);
        }
    }

    /// The longest mount containing `loc`.
    fn mount_for(&self, loc: &Locator) -> Option<&Mount> {
        mount_for(&self.mounts, loc)
    }

    fn resolve_inner(&self, caller: &str, text: &str, access: Access) -> anyhow::Result<Resolved> {
        let caller_loc = self.locs.borrow().get(caller).cloned();
        let loc = target_locator(
            self.root_id.as_deref(),
            &self.mounts,
            &self.replace,
            caller,
            caller_loc.as_ref(),
            text,
        )?;
        let (base, path, remote_root) = match self.mount_for(&loc) {
            Some(mount) => {
                let rest = loc.rest_after(&mount.prefix);
                (mount.dir.clone(), join(&mount.dir, &rest), None)
            }
            None => {
                let checkout =
                    self.cache
                        .checkout(&loc.owner, &loc.repo, loc.version.as_deref())?;
                let path = join(&checkout, &loc.path);
                (checkout.clone(), path, Some(checkout))
            }
        };
        if access == Access::Any && path.exists() {
            ensure_inside(&base, &path, text)?;
        }
        if access != Access::Any {
            if !path.exists() {
                bail!(
                    "`{}` doesn't exist in the package `{}`",
                    loc.path.join("/"),
                    loc.repository()
                );
            }
            ensure_inside(&base, &path, text)?;
            if let Some(root) = &remote_root {
                self.check_membership(root, &loc)?;
            }
            if access == Access::Module && path.is_dir() {
                bail!("`{text}` is a directory, not a `.star` file");
            }
        }
        Ok(Resolved {
            loc,
            path,
            remote_root,
        })
    }

    /// Spec §1.4.4: the top-most directory holding `kurtosis.yml` or a Compose file, walking
    /// from the repository root to the file's directory, must exist and be named correctly.
    fn check_membership(&self, checkout: &Path, loc: &Locator) -> anyhow::Result<()> {
        let dir_segments = loc.path.len().saturating_sub(1);
        let file_dir = join(checkout, loc.path.get(..dir_segments).unwrap_or_default());
        if self.member_dirs.borrow().contains(&file_dir) {
            return Ok(());
        }
        for depth in 0..=dir_segments {
            let segments = loc.path.get(..depth).unwrap_or_default();
            let dir = join(checkout, segments);
            let manifest_path = dir.join("kurtosis.yml");
            if manifest_path.is_file() {
                let text = fs_err::read_to_string(&manifest_path)?;
                let manifest = manifest::parse(&text).map_err(|e| {
                    anyhow!(
                        "invalid `kurtosis.yml` of `{}`: {}",
                        loc.repository(),
                        e.message
                    )
                })?;
                let expected = Locator {
                    path: segments.to_vec(),
                    ..loc.without_version()
                };
                let named = Locator::parse(&manifest.name)
                    .ok()
                    .flatten()
                    .map(|l| l.without_version());
                if named.as_ref() != Some(&expected) {
                    bail!(
                        "the package name `{}` in `{}` must match the location it is in (`{}`)",
                        manifest.name,
                        manifest_path.display(),
                        expected.unversioned()
                    );
                }
                self.member_dirs.borrow_mut().insert(file_dir);
                return Ok(());
            }
            if COMPOSE_FILES.iter().any(|f| dir.join(f).is_file()) {
                self.member_dirs.borrow_mut().insert(file_dir);
                return Ok(());
            }
        }
        bail!(
            "`{}` is not inside a Kurtosis package: files can only be accessed from Kurtosis packages (a directory with `kurtosis.yml`)",
            loc
        )
    }

    fn record_source(&self, module_id: &str, original: String, normalized: Normalized) {
        self.sources.borrow_mut().entries.insert(
            module_id.to_owned(),
            SourceEntry {
                display: self.display(module_id),
                original,
                normalized,
            },
        );
    }

    /// Starts working ahead (parsing, speculative module evaluation) on a second thread.
    pub fn start_prefetch(
        &self,
        main_file: &Path,
        main_id: &str,
        main_loc: Option<Locator>,
        options: &EvalOptions,
    ) {
        let Some(main_loc) = main_loc else {
            return;
        };
        *self.prefetch.borrow_mut() = Prefetch::start(Env {
            mounts: self.mounts.clone(),
            replace: self.replace.clone(),
            root_id: self.root_id.clone(),
            globals: self.globals.clone(),
            options: options.clone(),
            main: (main_file.to_path_buf(), main_id.to_owned(), main_loc),
        });
    }

    /// Takes over a module evaluated ahead (its source, locator and value).
    fn adopt(&self, e: Evaluated) {
        if matches!(
            self.modules.borrow().get(&e.module_id),
            Some(ModuleState::Loaded(_))
        ) {
            return;
        }
        self.record_source(&e.module_id, e.original, e.normalized);
        self.locs.borrow_mut().insert(e.module_id.clone(), e.loc);
        self.evaluations.set(self.evaluations.get() + 1);
        self.modules
            .borrow_mut()
            .insert(e.module_id, ModuleState::Loaded(e.module));
    }

    /// Stops parsing ahead (at the end of the run).
    pub fn stop_prefetch(&self) {
        self.prefetch.borrow_mut().take();
    }

    /// Reads, normalises, parses and evaluates a module; records its source.
    pub fn eval_file(
        &self,
        ctx: &EvalContext,
        module_id: &str,
        path: &Path,
    ) -> starlark::Result<FrozenModule> {
        let ahead = self
            .prefetch
            .borrow()
            .as_ref()
            .and_then(|p| p.take(path, module_id));
        let ast = match ahead {
            Some(Parsed {
                original,
                normalized,
                ast,
            }) => {
                self.record_source(module_id, original, normalized);
                ast
            }
            None => {
                let original = fs_err::read_to_string(path)
                    .map_err(|e| starlark::Error::new_native(anyhow!("{e}")))?;
                let mut normalized = hortus_stdlib::source::normalize(&original);
                let text = std::mem::take(&mut normalized.text);
                self.record_source(module_id, original, normalized);
                AstModule::parse(module_id, text, &hortus_stdlib::dialect())?
            }
        };
        self.evaluations.set(self.evaluations.get() + 1);
        self.stack.borrow_mut().push(module_id.to_owned());
        let result = evaluate_ast(ctx, self.globals.get(), ast);
        self.stack.borrow_mut().pop();
        result
    }

    fn import(
        &self,
        ctx: &EvalContext,
        caller: &str,
        text: &str,
    ) -> starlark::Result<FrozenModule> {
        let resolved = self
            .resolve_inner(caller, text, Access::Module)
            .map_err(|e| {
                starlark::Error::new_native(e.context(format!(
                    "an error occurred while loading the module `{text}`"
                )))
            })?;
        let id = resolved.loc.to_string();
        match self.modules.borrow().get(&id) {
            Some(ModuleState::Loaded(m)) => return Ok(m.clone()),
            Some(ModuleState::Failed(message)) => {
                return Err(starlark::Error::new_native(anyhow!(
                    "the module `{}` failed to load earlier in this run: {message}",
                    self.display(&id)
                )));
            }
            Some(ModuleState::Loading) => {
                let chain: Vec<String> = self
                    .stack
                    .borrow()
                    .iter()
                    .skip_while(|m| **m != id)
                    .chain(std::iter::once(&id))
                    .map(|m| self.display(m))
                    .collect();
                return Err(starlark::Error::new_native(anyhow!(
                    "there's a cycle in the import_module calls: {}",
                    chain.join(" -> ")
                )));
            }
            None => {}
        }
        let ahead = self
            .prefetch
            .borrow()
            .as_ref()
            .and_then(|p| p.take_module(&resolved.path, &id));
        if let Some(evaluated) = ahead {
            let mut found = None;
            for e in evaluated {
                if e.module_id == id {
                    found = Some(e.module.clone());
                }
                self.adopt(e);
            }
            if let Some(module) = found {
                return Ok(module);
            }
        }
        self.modules
            .borrow_mut()
            .insert(id.clone(), ModuleState::Loading);
        self.locs.borrow_mut().insert(id.clone(), resolved.loc);
        let _ = resolved.remote_root;
        let path = resolved.path.clone();
        match self.eval_file(ctx, &id, &resolved.path) {
            Ok(module) => {
                if let Some(p) = self.prefetch.borrow().as_ref() {
                    p.publish(&path, &id, &module);
                }
                self.modules
                    .borrow_mut()
                    .insert(id, ModuleState::Loaded(module.clone()));
                Ok(module)
            }
            Err(inner) => {
                let summary = format!("{}", inner.without_diagnostic());
                self.modules
                    .borrow_mut()
                    .insert(id.clone(), ModuleState::Failed(summary));
                Err(starlark::Error::new_native(anyhow::Error::new(
                    ImportFailure {
                        module: self.display(&id),
                        inner,
                    },
                )))
            }
        }
    }
}

/// `read_file`'s view of a file: its text, invalid UTF-8 replaced.
pub(crate) fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = fs_err::read(path)?;
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The locator `text` names when written in module `caller` (at `caller_loc`; `None` in a
/// standalone script): the same-package ban for absolute locators, the package boundary for
/// relative ones, then the root package's `replace` map.
pub(crate) fn target_locator(
    root_id: Option<&str>,
    mounts: &[Mount],
    replace: &ReplaceMap,
    caller: &str,
    caller_loc: Option<&Locator>,
    text: &str,
) -> anyhow::Result<Locator> {
    let loc = match Locator::parse(text)? {
        Some(abs) => {
            locator::check_same_package_ban(root_id, caller, text)?;
            abs
        }
        None => {
            let caller_loc =
                caller_loc.ok_or_else(|| LocatorError::RelativeInScript(text.to_owned()))?;
            let loc = locator::resolve_relative(caller_loc, text)?;
            if let Some(mount) = mount_for(mounts, caller_loc)
                && !loc.starts_with(&mount.boundary)
            {
                bail!(
                    "locator `{text}` escapes the package `{}`: files outside the package cannot be used",
                    mount.boundary.unversioned()
                );
            }
            loc
        }
    };
    Ok(replace.apply(&loc))
}

/// The longest mount containing `loc`.
pub(crate) fn mount_for<'m>(mounts: &'m [Mount], loc: &Locator) -> Option<&'m Mount> {
    mounts
        .iter()
        .filter(|m| {
            loc.starts_with(&m.prefix)
                && (loc.version.is_none() || m.version.is_none() || loc.version == m.version)
        })
        .max_by_key(|m| m.prefix.segments().count())
}

/// Evaluates a parsed module with `ctx` as its context and freezes it (all globals public).
pub(crate) fn evaluate_ast(
    ctx: &EvalContext,
    globals: &Globals,
    ast: AstModule,
) -> starlark::Result<FrozenModule> {
    Module::with_temp_heap(|module| {
        {
            let mut eval = Evaluator::new(&module);
            eval.extra = Some(ctx);
            eval.set_loader(&RejectLoad);
            eval.eval_module(ast, globals)?;
            expose_private_names(&module, &mut eval, globals);
        }
        module
            .freeze()
            .map_err(|e| starlark::Error::new_native(anyhow!("{e:?}")))
    })
}

/// Makes `_private` globals public so the module value exposes all names (spec §1.5):
/// their values are read back by evaluating a list of them in the same module.
fn expose_private_names<'v>(
    module: &Module<'v>,
    eval: &mut Evaluator<'v, '_, '_>,
    globals: &Globals,
) {
    let private: Vec<String> = module
        .names_and_visibilities()
        .filter(|(_, vis)| *vis == Visibility::Private)
        .map(|(name, _)| name.as_str().to_owned())
        .collect();
    if private.is_empty() {
        return;
    }
    let snippet = format!("[{}]", private.join(", "));
    let Ok(ast) = AstModule::parse("<exports>", snippet, &hortus_stdlib::dialect()) else {
        return;
    };
    let Ok(list) = eval.eval_module(ast, globals) else {
        return;
    };
    if let Some(values) = ListRef::from_value(list) {
        for (name, value) in private.iter().zip(values.iter()) {
            module.set(name, value);
        }
    }
}

/// `base` joined with path segments.
pub(crate) fn join(base: &Path, segments: &[String]) -> PathBuf {
    let mut p = base.to_path_buf();
    for s in segments {
        p.push(s);
    }
    p
}

/// The file must stay inside `base` once symlinks are followed.
pub(crate) fn ensure_inside(base: &Path, path: &Path, text: &str) -> anyhow::Result<()> {
    let real = fs_err::canonicalize(path)?;
    let real_base = fs_err::canonicalize(base)?;
    if !real.starts_with(&real_base) {
        bail!("`{text}` resolves to a path outside its package repository (through a symlink)");
    }
    Ok(())
}

impl PackageLoader for LoaderHandle {
    fn resolve(&self, caller: &str, locator: &str) -> anyhow::Result<ResolvedLocator> {
        let r = self.0.resolve_inner(caller, locator, Access::Any)?;
        Ok(ResolvedLocator {
            locator: r.loc.to_string(),
            path: r.path,
        })
    }

    fn read_file(&self, caller: &str, locator: &str) -> anyhow::Result<String> {
        let r = self.0.resolve_inner(caller, locator, Access::File)?;
        if r.path.is_dir() {
            bail!("`{locator}` is a directory, not a file");
        }
        Ok(read_text(&r.path)?)
    }

    fn import_module(
        &self,
        ctx: &EvalContext,
        caller: &str,
        locator: &str,
    ) -> starlark::Result<FrozenModule> {
        self.0.import(ctx, caller, locator)
    }

    fn exposes_private_names(&self) -> bool {
        // `eval_file` re-binds every `_private` global as public (`expose_private_names`).
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheOptions;
    use hortus_builtins::context::EvalOptions;

    const ROOT: &str = "github.com/t/p";

    fn setup(files: &[(&str, &str)]) -> (tempfile::TempDir, Rc<LoaderState>, EvalContext) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            fs_err::create_dir_all(p.parent().unwrap()).unwrap();
            fs_err::write(p, text).unwrap();
        }
        let cache = PackageCache::new(&CacheOptions {
            dir: Some(dir.path().join(".cache")),
            offline: true,
        })
        .unwrap();
        let root = Locator::parse_absolute(ROOT).unwrap();
        let mount = Mount {
            prefix: root.clone(),
            dir: fs_err::canonicalize(dir.path()).unwrap(),
            boundary: root.clone(),
            version: None,
        };
        let state = Rc::new(LoaderState::new(
            cache,
            Some(ROOT.to_owned()),
            ReplaceMap::default(),
            vec![mount],
            SharedGlobals::ready(crate::glue::globals()),
        ));
        let main = Locator::parse_absolute(&format!("{ROOT}/main.star")).unwrap();
        state.register_module(&format!("{ROOT}/main.star"), Some(main));
        let ctx = EvalContext::new(
            Box::new(LoaderHandle(Rc::clone(&state))),
            EvalOptions {
                root_package_id: Some(ROOT.to_owned()),
                ..EvalOptions::default()
            },
        );
        (dir, state, ctx)
    }

    fn message(err: &starlark::Error) -> String {
        match err.kind() {
            starlark::ErrorKind::Native(e) => match e.downcast_ref::<ImportFailure>() {
                Some(f) => format!("{f} / {}", message(&f.inner)),
                None => format!("{e:#}"),
            },
            _ => format!("{}", err.without_diagnostic()),
        }
    }

    #[test]
    fn a_module_is_evaluated_once_per_run() {
        let (_dir, state, ctx) = setup(&[
            ("lib.star", "X = [1]\n_HIDDEN = 2\n"),
            ("sub/b.star", "lib = import_module(\"../lib.star\")\n"),
        ]);
        let main = format!("{ROOT}/main.star");
        let handle = LoaderHandle(Rc::clone(&state));
        let a = handle.import_module(&ctx, &main, "./lib.star").unwrap();
        let b = handle.import_module(&ctx, &main, "/lib.star").unwrap();
        handle.import_module(&ctx, &main, "sub/b.star").unwrap();
        assert_eq!(state.evaluations.get(), 2);
        let (x, _) = a.get_any_visibility("X").unwrap();
        let (y, _) = b.get_any_visibility("X").unwrap();
        assert!(x.value().ptr_eq(y.value()));
        // private names are exposed
        assert!(a.get("_HIDDEN").is_ok());
    }

    #[test]
    fn cycles_report_the_chain_and_do_not_stay_in_progress() {
        let (_dir, state, ctx) = setup(&[
            ("c1.star", "d = import_module(\"./c2.star\")\n"),
            ("c2.star", "c = import_module(\"./c1.star\")\n"),
        ]);
        let main = format!("{ROOT}/main.star");
        let handle = LoaderHandle(Rc::clone(&state));
        let err = handle.import_module(&ctx, &main, "./c1.star").unwrap_err();
        let text = message(&err);
        assert!(text.contains("c1.star -> c2.star -> c1.star"), "{text}");
        let again = handle.import_module(&ctx, &main, "./c1.star").unwrap_err();
        let text = message(&again);
        assert!(text.contains("failed to load earlier"), "{text}");
        assert!(state.stack.borrow().is_empty());
    }

    #[test]
    fn escapes_and_symlinks_are_refused() {
        let (dir, state, _ctx) = setup(&[("lib.star", "X = 1\n")]);
        let outside = tempfile::tempdir().unwrap();
        fs_err::write(outside.path().join("secret.star"), "S = 1\n").unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.star"),
            dir.path().join("link.star"),
        )
        .unwrap();
        let main = format!("{ROOT}/main.star");
        let err = state
            .resolve_inner(&main, "./link.star", Access::File)
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("outside"), "{err:#}");
        let err = state
            .resolve_inner(&main, "../x.star", Access::File)
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("escapes"), "{err:#}");
        let err = state
            .resolve_inner("script.star", "./x.star", Access::File)
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("standalone"), "{err:#}");
    }
}

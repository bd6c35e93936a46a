//! hortus-interpreter: turns a target (package folder, `kurtosis.yml`, standalone `.star`
//! script or `github.com/...` locator) into a [`hortus_plan::Plan`].
//!
//! Owns package location (local folders, the git package cache), `kurtosis.yml`, locator
//! resolution with `replace`, the per-run module cache with cycle detection, the entry
//! function call and the conversion of Starlark errors to miette diagnostics.

pub mod args;
pub mod cache;
pub mod diagnostic;
mod entry;
pub mod error;
mod glue;
pub mod loader;
pub mod locator;
pub mod manifest;
mod prefetch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use hortus_builtins::context::{EvalContext, EvalOptions};
use hortus_plan::Plan;
use miette::{NamedSource, SourceSpan};

pub use crate::cache::CacheOptions;
use crate::cache::PackageCache;
use crate::diagnostic::ErrorReport;
pub use crate::error::InterpretError;
use crate::loader::{LoaderHandle, LoaderState, Mount, SharedGlobals};
use crate::locator::{Locator, ReplaceMap};

/// The module id (and package name) of a standalone script's run, as Kurtosis names it.
pub const SCRIPT_PACKAGE_ID: &str = "DEFAULT_PACKAGE_ID_FOR_SCRIPT";

/// What to interpret and how.
#[derive(Debug, Clone)]
pub struct InterpretRequest {
    /// A package folder, a `kurtosis.yml`, a `.star` script or a `github.com/...` locator.
    pub target: String,
    /// The positional arguments (JSON or YAML text); `None` or `{}` means none.
    pub args: Option<String>,
    /// `--args-file`: used only when `args` is absent or `{}`.
    pub args_file: Option<PathBuf>,
    /// `--main-file`, relative to the package root (default `main.star`).
    pub main_file: Option<String>,
    /// `--main-function-name` (default `run`).
    pub main_function: Option<String>,
    pub cache: CacheOptions,
    /// Builtin options; `root_package_id` is filled in from the package.
    pub options: EvalOptions,
    /// Leaves the evaluated modules allocated after a successful interpretation instead of
    /// freeing them one by one: for a process that exits soon after (the CLI), where the
    /// teardown of a large package's heaps costs more than the rest of its output.
    pub skip_teardown: bool,
}

impl InterpretRequest {
    /// A request for `target` with no arguments, the default main file and function, the
    /// default package cache (online) and default builtin options.
    pub fn new(target: impl Into<String>) -> InterpretRequest {
        InterpretRequest {
            target: target.into(),
            args: None,
            args_file: None,
            main_file: None,
            main_function: None,
            cache: CacheOptions::default(),
            options: EvalOptions::default(),
            skip_teardown: false,
        }
    }
}

/// The package (or script) that was run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    /// The package id (`name` of `kurtosis.yml`), or [`SCRIPT_PACKAGE_ID`] for a script.
    pub name: String,
    pub description: Option<String>,
    /// The package root folder (the script's folder for a script).
    pub root: PathBuf,
    /// The main file on disk.
    pub main_file: PathBuf,
}

/// Original sources of every module read during the run, by display name
/// (`Origin::file`), so later phases can render snippets.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: BTreeMap<String, String>,
}

impl SourceMap {
    /// The named source of a module by its display name.
    pub fn get(&self, display_name: &str) -> Option<NamedSource<String>> {
        self.files
            .get(display_name)
            .map(|text| NamedSource::new(display_name, text.clone()))
    }

    /// The display names known.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// The result of a successful interpretation.
#[derive(Debug, Clone)]
pub struct Interpreted {
    /// The recorded plan, with `output` set from the entry function's return value.
    pub plan: Plan,
    pub package: PackageInfo,
    pub sources: SourceMap,
}

/// A located target: package info plus what the loader needs.
struct Located {
    info: PackageInfo,
    /// The main module's locator (`None` for a script).
    main_loc: Option<Locator>,
    mounts: Vec<Mount>,
    replace: ReplaceMap,
    cache: PackageCache,
}

/// Finds the package a target names (fetching a remote one into the cache) without
/// interpreting it; used by `hortus docs` and `hortus lint`.
pub fn locate_package(target: &str, cache: &CacheOptions) -> Result<PackageInfo, InterpretError> {
    locate(target, None, false, cache).map(|l| l.info)
}

fn author_at(
    path: &Path,
    text: String,
    message: String,
    span: Option<(usize, usize)>,
) -> InterpretError {
    let mut report = ErrorReport::new(message);
    if let Some((offset, len)) = span {
        report = report.with_snippet(
            &path.display().to_string(),
            text,
            SourceSpan::new(offset.into(), len),
            None,
        );
    }
    InterpretError::Author(Box::new(report))
}

/// Reads and validates `kurtosis.yml` in `dir`.
fn read_manifest(dir: &Path) -> Result<manifest::Manifest, InterpretError> {
    let path = dir.join("kurtosis.yml");
    let text = fs_err::read_to_string(&path)
        .map_err(|e| InterpretError::environment(format!("cannot read `kurtosis.yml`: {e}")))?;
    let parsed = manifest::parse(&text).map_err(|e| {
        author_at(
            &path,
            text.clone(),
            format!("invalid `kurtosis.yml`: {}", e.message),
            e.span,
        )
    })?;
    if let Err(e) = Locator::parse_absolute(&parsed.name) {
        return Err(InterpretError::author(format!(
            "invalid package `name` in `{}`: {e}",
            path.display()
        )));
    }
    Ok(parsed)
}

fn canonical(path: &Path) -> Result<PathBuf, InterpretError> {
    fs_err::canonicalize(path).map_err(|e| InterpretError::environment(e.to_string()))
}

/// The main file path relative to the package root, cleaned; `..` is refused.
fn main_segments(main_file: Option<&str>) -> Result<Vec<String>, InterpretError> {
    let text = main_file.filter(|s| !s.is_empty()).unwrap_or("main.star");
    let mut out = Vec::new();
    for seg in text.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                return Err(InterpretError::author(format!(
                    "the main file `{text}` must be inside the package"
                )));
            }
            s => out.push(s.to_owned()),
        }
    }
    if out.is_empty() {
        return Err(InterpretError::author(format!(
            "invalid main file `{text}`"
        )));
    }
    Ok(out)
}

fn locate(
    target: &str,
    main_file: Option<&str>,
    require_main: bool,
    cache_options: &CacheOptions,
) -> Result<Located, InterpretError> {
    let cache = PackageCache::new(cache_options)?;
    let is_remote = target
        .get(..GITHUB_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(GITHUB_PREFIX));
    if is_remote {
        let loc =
            Locator::parse_absolute(target).map_err(|e| InterpretError::author(e.to_string()))?;
        let checkout = cache.checkout(&loc.owner, &loc.repo, loc.version.as_deref())?;
        let mut dir = checkout.clone();
        for seg in &loc.path {
            dir.push(seg);
        }
        if !dir.join("kurtosis.yml").is_file() {
            return Err(InterpretError::author(format!(
                "`{target}` is not a package: no `kurtosis.yml` in `{}`",
                loc.path.join("/")
            )));
        }
        let manifest = read_manifest(&dir)?;
        let named = Locator::parse_absolute(&manifest.name)
            .map_err(|e| InterpretError::author(e.to_string()))?;
        if named.without_version() != loc.without_version() {
            return Err(InterpretError::author(format!(
                "the package name `{}` must match the location it is in (`{}`)",
                manifest.name,
                loc.unversioned()
            )));
        }
        let checkout = canonical(&checkout)?;
        let repo_loc = Locator {
            path: Vec::new(),
            ..loc.without_version()
        };
        let mounts = vec![Mount {
            prefix: repo_loc.clone(),
            dir: checkout,
            boundary: repo_loc,
            version: loc.version.clone(),
        }];
        return finish_package(dir, manifest, mounts, main_file, require_main, cache);
    }
    let path = Path::new(target);
    if !path.exists() {
        return Err(InterpretError::author(format!("`{target}` does not exist")));
    }
    if path.is_file() && path.file_name().is_some_and(|n| n != "kurtosis.yml") {
        if path.extension().is_none_or(|e| e != "star") {
            return Err(InterpretError::author(format!(
                "`{target}` is neither a package nor a `.star` script: standalone scripts must end in `.star`"
            )));
        }
        let file = canonical(path)?;
        let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
        return Ok(Located {
            info: PackageInfo {
                name: SCRIPT_PACKAGE_ID.to_owned(),
                description: None,
                root,
                main_file: file,
            },
            main_loc: None,
            mounts: Vec::new(),
            replace: ReplaceMap::default(),
            cache,
        });
    }
    let dir = if path.is_file() {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        path.to_path_buf()
    };
    let dir = canonical(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &dir
    })?;
    if !dir.join("kurtosis.yml").is_file() {
        let compose = loader::COMPOSE_FILES.iter().find(|f| dir.join(f).is_file());
        return Err(match compose {
            Some(file) => InterpretError::author(format!(
                "`{target}` is a Compose project (`{file}`): Compose packages are not supported, add a `kurtosis.yml` and a `main.star`"
            )),
            None => InterpretError::author(format!(
                "`{target}` is not a package: no `kurtosis.yml` in `{}`",
                dir.display()
            )),
        });
    }
    let manifest = read_manifest(&dir)?;
    let id = Locator::parse_absolute(&manifest.name)
        .map_err(|e| InterpretError::author(e.to_string()))?
        .without_version();
    let mounts = vec![Mount {
        prefix: id.clone(),
        dir: dir.clone(),
        boundary: id,
        version: None,
    }];
    finish_package(dir, manifest, mounts, main_file, require_main, cache)
}

const GITHUB_PREFIX: &str = "github.com/";

fn finish_package(
    dir: PathBuf,
    manifest: manifest::Manifest,
    mut mounts: Vec<Mount>,
    main_file: Option<&str>,
    require_main: bool,
    cache: PackageCache,
) -> Result<Located, InterpretError> {
    let replace = ReplaceMap::new(
        manifest
            .replace
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .map_err(|e| InterpretError::author(format!("invalid `replace` in `kurtosis.yml`: {e}")))?;
    for (key, local) in replace.locals() {
        let target = if Path::new(local).is_absolute() {
            PathBuf::from(local)
        } else {
            dir.join(local)
        };
        if !target.join("kurtosis.yml").is_file() {
            return Err(InterpretError::author(format!(
                "the local replacement `{local}` of `{}` must be a directory containing `kurtosis.yml`",
                key.unversioned()
            )));
        }
        mounts.push(Mount {
            prefix: key.clone(),
            dir: canonical(&target)?,
            boundary: key.clone(),
            version: None,
        });
    }
    let segments = main_segments(main_file)?;
    let mut main_path = dir.clone();
    for s in &segments {
        main_path.push(s);
    }
    let id = Locator::parse_absolute(&manifest.name)
        .map_err(|e| InterpretError::author(e.to_string()))?
        .without_version();
    let mut main_loc = id.clone();
    main_loc.path.extend(segments.iter().cloned());
    if require_main && !main_path.is_file() {
        return Err(InterpretError::author(format!(
            "no `{}` in package `{}`: a package needs a main file (see `--main-file`)",
            segments.join("/"),
            manifest.name
        )));
    }
    Ok(Located {
        info: PackageInfo {
            name: id.unversioned(),
            description: manifest.description,
            root: dir,
            main_file: main_path,
        },
        main_loc: Some(main_loc),
        mounts,
        replace,
        cache,
    })
}

/// Adds a snippet pointing at `def <function>(...)` in the main module, when found.
fn point_at_def(report: &mut ErrorReport, state: &LoaderState, main_id: &str, function: &str) {
    let sources = state.sources.borrow();
    let Some(entry) = sources.entries.get(main_id) else {
        return;
    };
    let needle = format!("def {function}(");
    let text = &entry.original;
    let found = text
        .match_indices(&needle)
        .find(|(at, _)| *at == 0 || text.get(at - 1..*at) == Some("\n"));
    if let Some((at, _)) = found {
        let header_end = text
            .get(at..)
            .and_then(|rest| rest.find(':'))
            .map_or(needle.len(), |end| end + 1);
        report.source = Some(NamedSource::new(&entry.display, text.clone()));
        report.span = Some(SourceSpan::new(at.into(), header_end));
        report.label = Some("entry function".to_owned());
    }
}

/// Interprets the target: locate, evaluate the main file, call the entry function.
pub fn interpret(req: &InterpretRequest) -> Result<Interpreted, InterpretError> {
    let args_text = args::select(req.args.as_deref(), req.args_file.as_deref())
        .map_err(InterpretError::author)?;
    let args_json = args::to_json_object_text(&args_text).map_err(InterpretError::author)?;
    let located = locate(&req.target, req.main_file.as_deref(), true, &req.cache)?;
    let info = located.info;
    let root_id = located.main_loc.as_ref().map(|_| info.name.clone());
    let main_id = match &located.main_loc {
        Some(loc) => loc.to_string(),
        None => info
            .main_file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| SCRIPT_PACKAGE_ID.to_owned()),
    };
    let state = Rc::new(LoaderState::new(
        located.cache,
        root_id.clone(),
        located.replace,
        located.mounts,
        SharedGlobals::pending(),
    ));
    state.register_module(&main_id, located.main_loc.clone());
    let mut options = req.options.clone();
    options.root_package_id = root_id;
    state.start_prefetch(
        &info.main_file,
        &main_id,
        located.main_loc.clone(),
        &options,
    );
    // Built while the prefetch thread already reads and parses the package.
    state.globals.set(glue::globals());
    let ctx = EvalContext::new(Box::new(LoaderHandle(Rc::clone(&state))), options);
    let starlark_error = |e: starlark::Error| {
        let sources = state.sources.borrow();
        let mut report = diagnostic::convert(&e, &*sources);
        if let Some(root) = &state.root_id {
            // `github.com/o/p/main.star.run` → `main.star.run` in binding errors
            report.message = report.message.replace(&format!("{root}/"), "");
        }
        if diagnostic::is_environment_error(&e) {
            InterpretError::Environment(Box::new(report))
        } else {
            InterpretError::Author(Box::new(report))
        }
    };
    let main = state
        .eval_file(&ctx, &main_id, &info.main_file)
        .map_err(starlark_error)?;
    let function = req
        .main_function
        .as_deref()
        .filter(|f| !f.is_empty())
        .unwrap_or("run");
    let what = match &state.root_id {
        Some(id) => format!("`{}` of package `{id}`", state.display(&main_id)),
        None => format!("`{main_id}`"),
    };
    let output = match entry::call(&ctx, &main, function, &what, &args_json) {
        Ok(output) => output,
        Err(entry::EntryError::Starlark(e)) => {
            let no_span = e.span().is_none();
            let mut err = starlark_error(e);
            if no_span && let InterpretError::Author(report) = &mut err {
                report.help = Some(format!(
                    "`{function}` is called with the run arguments (positional JSON/YAML or `--args-file`) as keyword arguments"
                ));
                point_at_def(report, &state, &main_id, function);
            }
            return Err(err);
        }
        Err(entry::EntryError::Message(m)) => {
            let mut report = ErrorReport::new(m);
            point_at_def(&mut report, &state, &main_id, function);
            return Err(InterpretError::Author(Box::new(report)));
        }
    };
    state.stop_prefetch();
    let mut plan = ctx.take_plan();
    plan.output = output;
    plan.warnings.extend(state.cache.take_warnings());
    drop(ctx);
    let sources = SourceMap {
        files: state
            .sources
            .borrow_mut()
            .entries
            .drain()
            .map(|(_, e)| (e.display, e.original))
            .collect(),
    };
    if req.skip_teardown {
        std::mem::forget(state);
    }
    Ok(Interpreted {
        plan,
        package: info,
        sources,
    })
}

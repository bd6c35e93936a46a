//! Test fixture: in-memory package files → evaluate `main.star`'s `run(plan)` with the stdlib
//! and the builtins → the recorded [`Plan`] or the error text.
//!
//! Files are also written to a scratch directory so that builtins which check the disk
//! (`ImageBuildSpec`, `upload_files`) see real paths. Ids are deterministic.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;

use anyhow::Context as _;
use hortus_plan::Plan;
use starlark::environment::FrozenModule;
use starlark::environment::Globals;
use starlark::environment::GlobalsBuilder;
use starlark::environment::Module;
use starlark::eval::Evaluator;
use starlark::syntax::AstModule;

use crate::context::EvalContext;
use crate::context::EvalOptions;
use crate::context::IdMode;
use crate::context::PackageLoader;
use crate::context::ResolvedLocator;

/// The package name of fixtures.
pub const FIXTURE_PACKAGE: &str = "github.com/hortus-test/fixture";

/// Every global a Kurtosis module sees: starlark-rust's standard set, hortus-stdlib and the
/// builtins.
pub fn globals() -> Globals {
    let mut builder = GlobalsBuilder::standard();
    hortus_stdlib::register(&mut builder);
    crate::register_globals(&mut builder);
    builder.build()
}

/// An in-memory package.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    files: BTreeMap<String, String>,
    options: Option<EvalOptions>,
}

static SCRATCH: AtomicUsize = AtomicUsize::new(0);

impl Fixture {
    /// A package whose `main.star` is `main`.
    pub fn new(main: &str) -> Self {
        Self::default().file("main.star", main)
    }

    /// A package read from a directory on disk (every file, recursively).
    pub fn from_dir(dir: &std::path::Path) -> std::io::Result<Self> {
        fn walk(
            root: &std::path::Path,
            dir: &std::path::Path,
            out: &mut Fixture,
        ) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    walk(root, &path, out)?;
                } else if let Ok(rel) = path.strip_prefix(root) {
                    let content = std::fs::read_to_string(&path)?;
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    out.files.insert(rel, content);
                }
            }
            Ok(())
        }
        let mut fixture = Self::default();
        walk(dir, dir, &mut fixture)?;
        Ok(fixture)
    }

    /// Adds a file (path relative to the package root).
    pub fn file(mut self, path: &str, content: &str) -> Self {
        self.files.insert(path.to_owned(), content.to_owned());
        self
    }

    /// Overrides the evaluation options (ids stay deterministic).
    pub fn options(mut self, options: EvalOptions) -> Self {
        self.options = Some(options);
        self
    }

    /// Evaluates `run(plan)` and returns the plan, or the error text.
    pub fn plan(&self) -> Result<Plan, String> {
        self.run().map(|(plan, _)| plan)
    }

    /// Evaluates `run(plan)` and returns the plan and `str()` of the returned value.
    pub fn run(&self) -> Result<(Plan, String), String> {
        let root = std::env::temp_dir().join(format!(
            "hortus-builtins-fixture-{}-{}",
            std::process::id(),
            SCRATCH.fetch_add(1, Ordering::Relaxed)
        ));
        for (path, content) in &self.files {
            let full = root.join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&full, content).map_err(|e| e.to_string())?;
        }
        let result = self.run_in(root.clone());
        let _ = std::fs::remove_dir_all(&root);
        result
    }

    fn run_in(&self, root: PathBuf) -> Result<(Plan, String), String> {
        let mut options = self.options.clone().unwrap_or_default();
        options.id_mode = IdMode::Deterministic;
        if options.root_package_id.is_none() {
            options.root_package_id = Some(FIXTURE_PACKAGE.to_owned());
        }
        let globals = globals();
        let loader = MemoryLoader {
            root,
            files: self.files.clone(),
            globals: globals.clone(),
            cache: RefCell::new(HashMap::new()),
        };
        let ctx = EvalContext::new(Box::new(loader), options);
        let main = self
            .files
            .get("main.star")
            .ok_or_else(|| "the fixture has no `main.star`".to_owned())?;
        let ast = AstModule::parse(
            &format!("{FIXTURE_PACKAGE}/main.star"),
            main.clone(),
            &hortus_stdlib::dialect(),
        )
        .map_err(|e| e.to_string())?;
        let output = Module::with_temp_heap(|module| -> Result<String, String> {
            let mut eval = Evaluator::new(&module);
            eval.extra = Some(&ctx);
            eval.eval_module(ast, &globals).map_err(|e| e.to_string())?;
            let run = module
                .get("run")
                .ok_or_else(|| "`main.star` has no `run` function".to_owned())?;
            let plan = crate::plan_value(module.heap());
            let value = eval
                .eval_function(run, &[plan], &[])
                .map_err(|e| e.to_string())?;
            Ok(hortus_stdlib::go_str(value))
        })?;
        Ok((ctx.take_plan(), output))
    }
}

/// A [`PackageLoader`] over the fixture's files.
struct MemoryLoader {
    root: PathBuf,
    files: BTreeMap<String, String>,
    globals: Globals,
    cache: RefCell<HashMap<String, FrozenModule>>,
}

impl MemoryLoader {
    /// The package-relative path of `locator` as written in module `caller`.
    fn relative(&self, caller: &str, locator: &str) -> anyhow::Result<String> {
        if let Some(rest) = locator.strip_prefix(FIXTURE_PACKAGE) {
            return Ok(rest.trim_start_matches('/').to_owned());
        }
        if locator.starts_with("github.com/") {
            anyhow::bail!("the fixture cannot fetch `{locator}`");
        }
        let caller_rel = caller
            .strip_prefix(FIXTURE_PACKAGE)
            .unwrap_or(caller)
            .trim_start_matches('/');
        let mut parts: Vec<&str> = caller_rel.split('/').collect();
        parts.pop();
        if locator.starts_with('/') {
            parts.clear();
        }
        for part in locator.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        anyhow::bail!("`{locator}` escapes the package");
                    }
                }
                other => parts.push(other),
            }
        }
        Ok(parts.join("/"))
    }
}

impl PackageLoader for MemoryLoader {
    fn resolve(&self, caller: &str, locator: &str) -> anyhow::Result<ResolvedLocator> {
        let rel = self.relative(caller, locator)?;
        Ok(ResolvedLocator {
            locator: if rel.is_empty() {
                FIXTURE_PACKAGE.to_owned()
            } else {
                format!("{FIXTURE_PACKAGE}/{rel}")
            },
            path: self.root.join(&rel),
        })
    }

    fn read_file(&self, caller: &str, locator: &str) -> anyhow::Result<String> {
        let rel = self.relative(caller, locator)?;
        self.files
            .get(&rel)
            .cloned()
            .with_context(|| format!("file `{locator}` not found in the package"))
    }

    fn import_module(
        &self,
        ctx: &EvalContext,
        caller: &str,
        locator: &str,
    ) -> starlark::Result<FrozenModule> {
        let rel = self
            .relative(caller, locator)
            .map_err(starlark::Error::new_other)?;
        if let Some(module) = self.cache.borrow().get(&rel) {
            return Ok(module.clone());
        }
        let source = self.files.get(&rel).cloned().ok_or_else(|| {
            starlark::Error::new_other(anyhow::anyhow!("module `{locator}` not found"))
        })?;
        let ast = AstModule::parse(
            &format!("{FIXTURE_PACKAGE}/{rel}"),
            source,
            &hortus_stdlib::dialect(),
        )?;
        let frozen = Module::with_temp_heap(|module| -> starlark::Result<FrozenModule> {
            {
                let mut eval = Evaluator::new(&module);
                eval.extra = Some(ctx);
                eval.eval_module(ast, &self.globals)?;
            }
            module.freeze().map_err(starlark::Error::new_other)
        })?;
        self.cache.borrow_mut().insert(rel, frozen.clone());
        Ok(frozen)
    }
}

/// `def run(plan):` followed by `body` (each line indented by four spaces).
fn wrap(body: &str) -> String {
    let mut main = String::from("def run(plan):\n");
    for line in body.lines() {
        main.push_str("    ");
        main.push_str(line);
        main.push('\n');
    }
    main
}

/// Runs `body` as the body of `run(plan)`; returns the plan and `str()` of the return value.
#[expect(clippy::panic, reason = "a test helper: failing is its purpose")]
pub fn run_ok(body: &str) -> (Plan, String) {
    match Fixture::new(&wrap(body)).run() {
        Ok(result) => result,
        Err(e) => {
            panic!("`{body}` failed: {e}")
        }
    }
}

/// Runs `body` as the body of `run(plan)`, which must fail; returns the error text.
#[expect(clippy::panic, reason = "a test helper: failing is its purpose")]
pub fn run_err(body: &str) -> String {
    match Fixture::new(&wrap(body)).run() {
        Ok((_, output)) => {
            panic!("`{body}` unexpectedly succeeded with {output}")
        }
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::Fixture;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// The `b_*` packages of `testdata/packages` interpret, and together call every
    /// instruction and every type constructor.
    #[test]
    fn builtin_fixture_packages_cover_every_builtin() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/packages");
        let mut instructions = BTreeSet::new();
        let mut sources = String::new();
        let mut count = 0;
        for entry in std::fs::read_dir(&root).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("b_") {
                continue;
            }
            count += 1;
            let fixture = Fixture::from_dir(&path).unwrap();
            for (file, content) in &fixture.files {
                if file.ends_with(".star") {
                    sources.push_str(content);
                }
            }
            let plan = fixture.plan().map_err(|e| format!("{name}: {e}")).unwrap();
            let problems = hortus_plan::validate(&plan, &hortus_plan::EnclaveView::default());
            assert!(problems.is_empty(), "{name}: {problems:?}");
            instructions.extend(plan.instructions.iter().map(|i| i.name()));
        }
        assert!(count >= 5, "{count}");
        let all: BTreeSet<&str> = crate::plan::instructions().iter().map(|s| s.name).collect();
        assert_eq!(instructions, all);
        for constructor in crate::types::constructors() {
            assert!(
                sources.contains(&format!("{}(", constructor.spec.name)),
                "{} is never called",
                constructor.spec.name
            );
        }
    }
}

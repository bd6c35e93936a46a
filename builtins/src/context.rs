//! `EvalContext`: the state every builtin reaches through `eval.extra`.
//!
//! Builtins never touch a backend: they record instructions into the context's plan
//! builder and return values. Files and modules of packages are reached through the
//! [`PackageLoader`] trait, which the interpreter implements, so dependencies point one way.
//!
//! CONTRACT (shared with hortus-interpreter): the names and signatures of `EvalContext::new`,
//! `EvalOptions`, `PackageLoader`, `ResolvedLocator`, `IdMode`, `EvalContext::from_eval`,
//! `EvalContext::take_plan` and `EvalContext::module_id_of_caller` must not change without
//! updating the interpreter.

use crate::ids::IdGen;
use hortus_plan::{Instruction, Origin, Plan};
use indexmap::IndexMap;
use starlark::any::ProvidesStaticType;
use starlark::environment::FrozenModule;
use starlark::eval::Evaluator;
use std::cell::RefCell;
use std::path::PathBuf;

/// An absolute locator and the file or directory it names on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedLocator {
    /// The absolute locator after relative resolution and `replace`
    /// (e.g. `github.com/org/repo/static/config.yml`).
    pub locator: String,
    /// Where it is on disk (inside the package checkout or local folder).
    pub path: PathBuf,
}

/// Locates and loads package files. Implemented by hortus-interpreter.
///
/// `caller` is always the module id (absolute locator, or the script placeholder) of the
/// `.star` file that lexically contains the builtin call: see [`EvalContext::module_id_of_caller`].
pub trait PackageLoader {
    /// Resolves `locator` as written in `caller` (relative rules, same-package ban, `replace`,
    /// fetching remote repositories), without requiring it to be a package member.
    fn resolve(&self, caller: &str, locator: &str) -> anyhow::Result<ResolvedLocator>;

    /// `read_file(src)`: the file's content (membership checked).
    fn read_file(&self, caller: &str, locator: &str) -> anyhow::Result<String>;

    /// `import_module(module_file)`: evaluates the module once per run (cached by module id,
    /// cycles reported with the whole chain) with `ctx` as its `eval.extra`, and returns it
    /// frozen. Errors inside the module keep their own spans.
    fn import_module(
        &self,
        ctx: &EvalContext,
        caller: &str,
        locator: &str,
    ) -> starlark::Result<FrozenModule>;

    /// Whether the frozen modules from [`PackageLoader::import_module`] already list their
    /// `_private` globals among their public names. When not, `import_module` re-reads the
    /// module's source to find them.
    fn exposes_private_names(&self) -> bool {
        false
    }
}

/// How generated ids and names are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdMode {
    /// Random (real runs).
    Random,
    /// Deterministic: sequential ids and a fixed-seed name sequence (tests, snapshots).
    Deterministic,
}

/// Options that change what builtins record.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The root package id (`name` of its `kurtosis.yml`); `None` for a standalone script.
    pub root_package_id: Option<String>,
    /// What `plan.get_cluster_type()` returns (`docker`).
    pub cluster_type: String,
    /// `--privileged`: allows `privileged`, `bind_mounts`, `host_pid_namespace`.
    pub allow_privileged: bool,
    /// How ids and generated names are drawn.
    pub id_mode: IdMode,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            root_package_id: None,
            cluster_type: "docker".to_owned(),
            allow_privileged: false,
            id_mode: IdMode::Random,
        }
    }
}

/// Per-run interpretation state, reached from builtins via `eval.extra`.
#[derive(ProvidesStaticType)]
pub struct EvalContext {
    /// Reaches package files and modules (implemented by hortus-interpreter).
    pub loader: Box<dyn PackageLoader>,
    /// The run options that change what builtins record.
    pub options: EvalOptions,
    instructions: RefCell<Vec<Instruction>>,
    warnings: RefCell<Vec<String>>,
    ids: RefCell<IdGen>,
    services: RefCell<IndexMap<String, StoredService>>,
}

/// A service as the interpretation-time store keeps it (§4.1): what `get_service` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredService {
    /// The converted private ports.
    pub ports: IndexMap<String, hortus_plan::PortSpec>,
}

impl EvalContext {
    /// A fresh context for one interpretation pass.
    pub fn new(loader: Box<dyn PackageLoader>, options: EvalOptions) -> Self {
        Self {
            loader,
            instructions: RefCell::new(Vec::new()),
            warnings: RefCell::new(Vec::new()),
            ids: RefCell::new(IdGen::new(options.id_mode)),
            services: RefCell::new(IndexMap::new()),
            options,
        }
    }

    /// The context of a running evaluation.
    pub fn from_eval<'a>(eval: &'a Evaluator<'_, '_, '_>) -> anyhow::Result<&'a EvalContext> {
        eval.extra
            .and_then(|extra| extra.downcast_ref::<EvalContext>())
            .ok_or_else(|| anyhow::anyhow!("internal error: the evaluator has no hortus context"))
    }

    /// The context of a running evaluation, borrowed for the evaluator's `'a` lifetime rather
    /// than for the borrow of the evaluator itself (so the evaluator stays usable).
    pub fn from_extra<'a>(eval: &Evaluator<'_, 'a, '_>) -> anyhow::Result<&'a EvalContext> {
        eval.extra
            .and_then(|extra| extra.downcast_ref::<EvalContext>())
            .ok_or_else(|| anyhow::anyhow!("internal error: the evaluator has no hortus context"))
    }

    /// The module id of the `.star` file lexically containing the current builtin call
    /// (the codemap filename the interpreter gave that module).
    pub fn module_id_of_caller(eval: &Evaluator<'_, '_, '_>) -> String {
        eval.call_stack_top_location()
            .map(|span| span.file.filename().to_owned())
            .unwrap_or_default()
    }

    /// The [`Origin`] of the current builtin call.
    pub fn origin_of_caller(&self, eval: &Evaluator<'_, '_, '_>) -> Origin {
        match eval.call_stack_top_location() {
            Some(span) => {
                // starlark-go reports a call at its opening parenthesis.
                let paren = span
                    .source_span()
                    .find('(')
                    .and_then(|offset| u32::try_from(offset).ok())
                    .and_then(|offset| span.span.begin().get().checked_add(offset))
                    .map(starlark::codemap::Pos::new);
                let pos = match paren {
                    Some(at) => span.file.resolve_span(starlark::codemap::Span::new(at, at)),
                    None => span.resolve_span(),
                };
                Origin {
                    file: self.display_name(span.file.filename()),
                    line: u32::try_from(pos.begin.line + 1).unwrap_or(u32::MAX),
                    column: u32::try_from(pos.begin.column + 1).unwrap_or(u32::MAX),
                }
            }
            None => Origin::default(),
        }
    }

    /// How a module id is shown: relative to the root package for its own files.
    pub fn display_name(&self, module_id: &str) -> String {
        if let Some(root) = &self.options.root_package_id
            && let Some(rest) = module_id.strip_prefix(root.as_str())
            && let Some(rest) = rest.strip_prefix('/')
        {
            return rest.to_owned();
        }
        module_id.to_owned()
    }

    /// Appends an instruction to the plan.
    pub fn record(&self, instruction: Instruction) {
        self.instructions.borrow_mut().push(instruction);
    }

    /// Adds an interpretation warning (shown once at the end of the run).
    pub fn warn(&self, message: String) {
        let mut warnings = self.warnings.borrow_mut();
        if !warnings.contains(&message) {
            warnings.push(message);
        }
    }

    /// Takes the recorded plan (the output is filled in by the interpreter).
    pub fn take_plan(&self) -> Plan {
        Plan {
            instructions: std::mem::take(&mut *self.instructions.borrow_mut()),
            output: None,
            warnings: std::mem::take(&mut *self.warnings.borrow_mut()),
        }
    }

    /// A fresh runtime-value id (32 hex characters).
    pub fn next_id(&self) -> String {
        self.ids.borrow_mut().next_id()
    }

    /// A fresh task container name (`task-<uuid>`).
    pub fn task_name(&self) -> String {
        self.ids.borrow_mut().task_name()
    }

    /// A fresh generated files artifact name (§7.4).
    pub fn artifact_name(&self) -> String {
        self.ids.borrow_mut().artifact_name()
    }

    /// Records a user-given artifact name so that generated names avoid it.
    pub fn use_artifact_name(&self, name: &str) {
        self.ids.borrow_mut().register_name(name);
    }

    /// Stores a service in the interpretation-time store (replacing an earlier one).
    pub fn store_service(&self, name: &str, service: StoredService) {
        self.services.borrow_mut().insert(name.to_owned(), service);
    }

    /// A service of the interpretation-time store.
    pub fn stored_service(&self, name: &str) -> Option<StoredService> {
        self.services.borrow().get(name).cloned()
    }

    /// Every stored service, sorted by name (byte order).
    pub fn stored_services(&self) -> Vec<(String, StoredService)> {
        let mut all: Vec<(String, StoredService)> = self
            .services
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Removes a service from the interpretation-time store; whether it was there.
    pub fn remove_stored_service(&self, name: &str) -> bool {
        self.services.borrow_mut().shift_remove(name).is_some()
    }

    /// Runs `f` over the instructions recorded so far (e.g. to attach a `set_service`
    /// override to an earlier `add_service`).
    pub fn with_instructions_mut<R>(&self, f: impl FnOnce(&mut Vec<Instruction>) -> R) -> R {
        f(&mut self.instructions.borrow_mut())
    }

    /// How many instructions were recorded so far.
    pub fn instruction_count(&self) -> usize {
        self.instructions.borrow().len()
    }
}

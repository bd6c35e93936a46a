//! The executor: runs a validated [`Plan`] inside an [`Enclave`] through a [`Backend`].
//!
//! `mod.rs` owns the run loop (image preparation, instruction dispatch, events, state
//! saving, cancellation, the run output); the instruction families live in `services.rs`,
//! `recipes.rs`, `files.rs`, `tasks.rs`, and future-reference resolution plus value
//! semantics in `values.rs`.

mod files;
mod recipes;
mod services;
mod tasks;
pub mod values;

use crate::backend::{Backend, BackendError, ImageBuild, ImageOrigin, PullPolicy};
use crate::enclave::Enclave;
use crate::state::StateError;
use hortus_plan::{ImageRef, Instruction, InstructionKind, Origin, Plan};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct ExecuteOptions {
    pub pull_policy: PullPolicy,
    /// Concurrent service starts in `add_services` (CLI `--parallelism`, default 4).
    pub parallelism: usize,
    /// Keep `run_sh`/`run_python` task containers.
    pub non_blocking_tasks: bool,
    /// Flips to `true` to interrupt the run.
    pub cancel: Option<tokio::sync::watch::Receiver<bool>>,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        Self {
            pull_policy: PullPolicy::Missing,
            parallelism: 4,
            non_blocking_tasks: false,
            cancel: None,
        }
    }
}

/// Progress of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// Every image the plan uses, with where it came from.
    ImagesPrepared(Vec<(String, ImageOrigin)>),
    /// `index` is 0-based.
    InstructionStarted {
        index: usize,
        total: usize,
    },
    InstructionFinished {
        index: usize,
        result: String,
        duration: Duration,
    },
    Warning(String),
}

/// A port of a service in the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSummary {
    pub id: String,
    pub number: u16,
    pub protocol: String,
    pub application_protocol: Option<String>,
    pub host_port: Option<u16>,
}

/// A service in the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary {
    pub name: String,
    pub uuid: String,
    /// `RUNNING` or `STOPPED`.
    pub status: String,
    pub ports: Vec<PortSummary>,
}

/// A files artifact in the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactSummary {
    pub name: String,
    pub uuid: String,
}

/// What a successful run leaves behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The run output as JSON text (future references substituted, tab-indented).
    pub output: Option<String>,
    pub services: Vec<ServiceSummary>,
    pub artifacts: Vec<ArtifactSummary>,
}

/// A failed run: which instruction, where, why, and the service logs when relevant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteError {
    /// 0-based instruction index (`None` for image preparation and enclave-level errors).
    pub index: Option<usize>,
    pub origin: Option<Origin>,
    pub canonical: Option<String>,
    pub message: String,
    pub logs: Option<String>,
}

impl fmt::Display for ExecuteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.canonical, &self.origin) {
            (Some(canonical), Some(origin)) => write!(
                f,
                "error executing `{canonical}` at {origin}: {}",
                self.message
            )?,
            _ => f.write_str(&self.message)?,
        }
        if let Some(logs) = &self.logs {
            write!(f, "\nservice logs:\n{logs}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExecuteError {}
impl miette::Diagnostic for ExecuteError {}

/// Why an instruction failed (turned into an [`ExecuteError`] by the run loop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub logs: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            logs: None,
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<BackendError> for Failure {
    fn from(e: BackendError) -> Self {
        Self::new(e.to_string())
    }
}

impl From<StateError> for Failure {
    fn from(e: StateError) -> Self {
        Self::new(e.to_string())
    }
}

/// An instruction step result.
pub type Step<T> = Result<T, Failure>;

pub(crate) const INTERRUPTED: &str = "run interrupted";

/// Runs `fut` unless the cancel signal flips first.
pub(crate) async fn cancellable<T>(
    cancel: &Option<tokio::sync::watch::Receiver<bool>>,
    fut: impl Future<Output = Step<T>>,
) -> Step<T> {
    match cancel {
        None => fut.await,
        Some(rx) => {
            let mut rx = rx.clone();
            if *rx.borrow() {
                return Err(Failure::new(INTERRUPTED));
            }
            tokio::select! {
                r = fut => r,
                _ = rx.wait_for(|v| *v) => Err(Failure::new(INTERRUPTED)),
            }
        }
    }
}

fn is_cancelled(opts: &ExecuteOptions) -> bool {
    opts.cancel.as_ref().is_some_and(|rx| *rx.borrow())
}

/// The HTTP client for recipes and URL uploads, created on first use: building one loads
/// the system's TLS configuration and roots (tens of milliseconds), which most runs never need.
#[derive(Default)]
pub(crate) struct Http(std::sync::OnceLock<reqwest::Client>);

impl Http {
    pub(crate) fn client(&self) -> Step<&reqwest::Client> {
        if let Some(client) = self.0.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .build()
            .map_err(|e| Failure::new(format!("cannot create the HTTP client: {e}")))?;
        Ok(self.0.get_or_init(|| client))
    }
}

/// What every instruction handler gets.
pub(crate) struct Ctx<'a, B: Backend> {
    pub backend: &'a B,
    pub enclave: &'a mut Enclave,
    pub opts: &'a ExecuteOptions,
    pub http: Http,
    pub warned_ignored: bool,
    pub warnings: Vec<String>,
}

/// Executes `plan` in `enclave`, reporting progress through `on_event`.
pub async fn execute<B: Backend>(
    backend: &B,
    enclave: &mut Enclave,
    plan: &Plan,
    opts: &ExecuteOptions,
    on_event: &mut (dyn FnMut(RunEvent) + Send),
) -> Result<RunOutcome, ExecuteError> {
    let images = prepare_images(backend, plan, opts).await?;
    on_event(RunEvent::ImagesPrepared(images));
    let mut ctx = Ctx {
        backend,
        enclave,
        opts,
        http: Http::default(),
        warned_ignored: false,
        warnings: Vec::new(),
    };
    let total = plan.instructions.len();
    for (index, instruction) in plan.instructions.iter().enumerate() {
        if is_cancelled(opts) {
            return Err(instruction_error(
                index,
                instruction,
                Failure::new(INTERRUPTED),
            ));
        }
        on_event(RunEvent::InstructionStarted { index, total });
        let started = Instant::now();
        let result = cancellable(&opts.cancel, run_instruction(&mut ctx, plan, instruction)).await;
        for warning in ctx.warnings.drain(..) {
            on_event(RunEvent::Warning(warning));
        }
        let saved = ctx.enclave.state.save_all();
        match result {
            Ok(text) => {
                let entry = serde_json::json!({
                    "index": index,
                    "name": instruction.name(),
                    "canonical": instruction.canonical,
                    "description": instruction.description,
                    "origin": instruction.origin.to_string(),
                    "result": text,
                });
                ctx.enclave
                    .state
                    .append_plan(entry)
                    .map_err(|e| instruction_error(index, instruction, e.into()))?;
                saved.map_err(|e| instruction_error(index, instruction, e.into()))?;
                on_event(RunEvent::InstructionFinished {
                    index,
                    result: text,
                    duration: started.elapsed(),
                });
            }
            Err(failure) => return Err(instruction_error(index, instruction, failure)),
        }
    }
    let output = match &plan.output {
        None => None,
        Some(value) => {
            let substituted = values::substitute_json(&ctx.enclave.state.runtime_values, value)
                .map_err(|f| plain_error(f.message))?;
            Some(values::to_tab_json(&substituted))
        }
    };
    Ok(RunOutcome {
        output,
        services: services::summaries(backend, ctx.enclave).await,
        artifacts: ctx
            .enclave
            .state
            .artifacts
            .iter()
            .map(|(name, a)| ArtifactSummary {
                name: name.clone(),
                uuid: a.uuid.clone(),
            })
            .collect(),
    })
}

fn plain_error(message: String) -> ExecuteError {
    ExecuteError {
        index: None,
        origin: None,
        canonical: None,
        message,
        logs: None,
    }
}

fn instruction_error(index: usize, instruction: &Instruction, failure: Failure) -> ExecuteError {
    ExecuteError {
        index: Some(index),
        origin: Some(instruction.origin.clone()),
        canonical: Some(instruction.canonical.clone()),
        message: failure.message,
        logs: failure.logs,
    }
}

/// Every image the plan uses with the first instruction using it.
fn plan_images(plan: &Plan) -> Vec<(ImageRef, usize)> {
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    let mut out = Vec::new();
    for (index, instruction) in plan.instructions.iter().enumerate() {
        let refs: Vec<&ImageRef> = match &instruction.kind {
            InstructionKind::AddService(a) => {
                vec![&a.set_service_override.as_ref().unwrap_or(&a.config).image]
            }
            InstructionKind::AddServices(a) => a.configs.values().map(|c| &c.image).collect(),
            InstructionKind::RunSh(t) | InstructionKind::RunPython(t) => vec![&t.image],
            _ => Vec::new(),
        };
        for image in refs {
            if seen.insert(image.image_name().to_owned(), ()).is_none() {
                out.push((image.clone(), index));
            }
        }
    }
    out
}

async fn prepare_images<B: Backend>(
    backend: &B,
    plan: &Plan,
    opts: &ExecuteOptions,
) -> Result<Vec<(String, ImageOrigin)>, ExecuteError> {
    let mut prepared = Vec::new();
    for (image, index) in plan_images(plan) {
        let name = image.image_name().to_owned();
        let result = match &image {
            ImageRef::Name(n) => backend.ensure_image(n, opts.pull_policy).await,
            ImageRef::Spec(s) => backend.ensure_image(&s.image, opts.pull_policy).await,
            ImageRef::Build(b) => backend
                .build_image(&ImageBuild {
                    tag: b.image_name.clone(),
                    context_dir: b.build_context_dir.clone(),
                    dockerfile: b.build_file.clone(),
                    target: b.target_stage.clone(),
                    build_args: b.build_args.clone(),
                })
                .await
                .map(|()| ImageOrigin::LocallyBuilt),
            ImageRef::Nix(n) => Err(BackendError::BuildFailed {
                tag: n.image_name.clone(),
                reason: "Nix image builds are not supported by hortus".to_owned(),
            }),
        };
        match result {
            Ok(origin) => prepared.push((name, origin)),
            Err(e) => {
                let mut err = match plan.instructions.get(index) {
                    Some(instruction) => {
                        instruction_error(index, instruction, Failure::new(e.to_string()))
                    }
                    None => plain_error(e.to_string()),
                };
                err.message = format!("preparing image `{name}`: {}", err.message);
                return Err(err);
            }
        }
    }
    Ok(prepared)
}

async fn run_instruction<B: Backend>(
    ctx: &mut Ctx<'_, B>,
    plan: &Plan,
    instruction: &Instruction,
) -> Step<String> {
    match &instruction.kind {
        InstructionKind::AddService(a) => services::add_service(ctx, a).await,
        InstructionKind::AddServices(a) => services::add_services(ctx, a).await,
        InstructionKind::GetService(n) => Ok(format!("Fetched service '{}'", n.name)),
        InstructionKind::GetServices(_) => Ok("Fetching services".to_owned()),
        InstructionKind::SetService(s) => {
            Ok(format!("Set service config on service '{}'.", s.name))
        }
        InstructionKind::GetFilesArtifact(n) => Ok(format!("Fetched files artifact '{}'", n.name)),
        InstructionKind::Verify(v) => recipes::verify(ctx, v),
        InstructionKind::Exec(e) => recipes::exec(ctx, e).await,
        InstructionKind::Print(p) => values::substitute(&ctx.enclave.state.runtime_values, &p.msg),
        InstructionKind::RemoveService(n) => services::remove_service(ctx, &n.name).await,
        InstructionKind::RenderTemplates(r) => files::render_templates(ctx, r),
        InstructionKind::Request(r) => recipes::request(ctx, r).await,
        InstructionKind::StartService(n) => services::start_service(ctx, &n.name).await,
        InstructionKind::StopService(n) => services::stop_service(ctx, &n.name).await,
        InstructionKind::StoreServiceFiles(s) => files::store_service_files(ctx, s).await,
        InstructionKind::UploadFiles(u) => files::upload_files(ctx, u).await,
        InstructionKind::Wait(w) => recipes::wait(ctx, w).await,
        InstructionKind::RunSh(t) => tasks::run_task(ctx, t, false).await,
        InstructionKind::RunPython(t) => tasks::run_task(ctx, t, true).await,
        InstructionKind::GetClusterType(g) => {
            let _ = plan;
            Ok(format!("Fetched cluster type '{}'", g.cluster_type))
        }
    }
}

#[cfg(test)]
mod tests;

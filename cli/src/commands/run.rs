//! `hortus run`: interpret → validate → (dry run: print the plan) → execute in an enclave.

use super::CacheArgs;
use crate::printer::{self, json_pretty, json_tab_indented};
use crate::report;
use hortus_builtins::context::{EvalOptions, IdMode};
use hortus_interpreter::{InterpretRequest, Interpreted};
use hortus_plan::{EnclaveView, Instruction, Plan, validate};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageDownload {
    Missing,
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Verbosity {
    Description,
    Brief,
    Detailed,
    Executable,
    OutputOnly,
}

/// Arguments of `hortus run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A package folder, a `kurtosis.yml`, a `.star` script, or a locator
    /// `github.com/<org>/<repo>[/<path>][@<ref>]`.
    pub package: String,
    /// Arguments for the entry function: a JSON or YAML object.
    pub args: Option<String>,
    /// Interpret and validate only; print the plan. Needs no Docker engine.
    #[arg(long)]
    pub dry_run: bool,
    /// Enclave to run in: reused when it exists, created otherwise (default: a new one).
    #[arg(long, value_name = "NAME")]
    pub enclave: Option<String>,
    /// A JSON or YAML file with the arguments (used when no positional arguments are given).
    #[arg(long, value_name = "PATH")]
    pub args_file: Option<PathBuf>,
    /// The entry file, relative to the package root (default `main.star`).
    #[arg(long, value_name = "PATH")]
    pub main_file: Option<String>,
    /// The entry function (default `run`).
    #[arg(long, value_name = "NAME")]
    pub main_function_name: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// How instructions are shown.
    #[arg(short, long, value_enum, default_value_t = Verbosity::Description, ignore_case = true)]
    pub verbosity: Verbosity,
    /// Image pull policy: use a local image when present (`missing`) or always pull.
    #[arg(long, value_enum, default_value_t = ImageDownload::Missing, ignore_case = true)]
    pub image_download: ImageDownload,
    /// Maximum concurrent service starts inside `add_services`.
    #[arg(long, default_value_t = 4)]
    pub parallelism: usize,
    /// Leave `run_sh`/`run_python` task containers in place after the task.
    #[arg(long)]
    pub non_blocking_tasks: bool,
    /// Allow `privileged`, `bind_mounts` and `host_pid_namespace` in service configs.
    #[arg(long)]
    pub privileged: bool,
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Runs the command; returns the exit code.
pub fn run(args: &RunArgs) -> i32 {
    let deterministic = std::env::var("HORTUS_DETERMINISTIC_IDS").is_ok_and(|v| v == "1");
    let request = InterpretRequest {
        target: args.package.clone(),
        args: args.args.clone(),
        args_file: args.args_file.clone(),
        main_file: args.main_file.clone(),
        main_function: args.main_function_name.clone(),
        cache: args.cache.options(),
        options: EvalOptions {
            allow_privileged: args.privileged,
            id_mode: if deterministic {
                IdMode::Deterministic
            } else {
                IdMode::Random
            },
            ..EvalOptions::default()
        },
        // The process exits right after: freeing a large package's heaps is wasted time.
        skip_teardown: true,
    };
    let interpreted = match hortus_interpreter::interpret(&request) {
        Ok(interpreted) => interpreted,
        Err(err) => {
            printer::err(&report::render(&err));
            return err.exit_code();
        }
    };
    if args.dry_run {
        return dry_run(args, &interpreted);
    }
    execute(args, &interpreted)
}

/// Looks up the original source of a module by its display name.
fn source_lookup(interpreted: &Interpreted) -> impl Fn(&str) -> Option<String> + '_ {
    move |file: &str| {
        interpreted
            .sources
            .get(file)
            .map(|named| named.inner().clone())
    }
}

/// Reports validation errors; returns whether there were any.
fn report_validation(interpreted: &Interpreted, view: &EnclaveView, json: bool) -> bool {
    let errors = validate(&interpreted.plan, view);
    if errors.is_empty() {
        return false;
    }
    let lookup = source_lookup(interpreted);
    for error in &errors {
        printer::err(&report::render(&report::validation(error, &lookup)));
    }
    printer::err(&format!(
        "error: the plan has {} validation error{}; nothing was executed",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    ));
    if json {
        let doc = serde_json::json!({
            "errors": errors.iter().map(|e| serde_json::json!({
                "message": e.message,
                "origin": e.origin.to_string(),
                "instruction": e.index + 1,
            })).collect::<Vec<_>>(),
        });
        printer::out(&json_pretty(&doc));
    }
    true
}

fn instruction_json(instruction: &Instruction) -> serde_json::Value {
    serde_json::json!({
        "name": instruction.name(),
        "args": instruction.kind.args_json(),
        "origin": instruction.origin.to_string(),
        "description": instruction.description,
        "canonical": instruction.canonical,
    })
}

fn dry_run(args: &RunArgs, interpreted: &Interpreted) -> i32 {
    let json = args.output == OutputFormat::Json;
    if report_validation(interpreted, &EnclaveView::default(), json) {
        return 1;
    }
    let plan = &interpreted.plan;
    if json {
        let doc = serde_json::json!({
            "instructions": plan.instructions.iter().map(instruction_json).collect::<Vec<_>>(),
            "output": plan.output.clone().unwrap_or(serde_json::Value::Null),
            "warnings": plan.warnings,
        });
        printer::out(&json_pretty(&doc));
        return 0;
    }
    // One write: a plan has thousands of lines and stdout is line-buffered.
    let mut text = plan_text(plan, args.verbosity, &interpreted.package.name);
    for warning in &plan.warnings {
        text.push_str(&format!("\n[WARN]: {warning}\n"));
    }
    text.push('\n');
    match &plan.output {
        Some(output) => text.push_str(&format!(
            "Starlark code successfully run in dry-run mode. Output was:\n{}",
            json_tab_indented(output)
        )),
        None => {
            text.push_str("Starlark code successfully run in dry-run mode. No output was returned.")
        }
    }
    printer::out(&text);
    0
}

/// The numbered plan of a dry run, one line per `\n`-terminated line.
fn plan_text(plan: &Plan, verbosity: Verbosity, package: &str) -> String {
    use std::fmt::Write as _;
    let count = plan.instructions.len();
    let mut out = String::with_capacity(256 * (count + 1));
    let _ = writeln!(
        out,
        "Plan of `{package}`: {count} instruction{}",
        if count == 1 { "" } else { "s" }
    );
    let width = count.to_string().len();
    for (index, instruction) in plan.instructions.iter().enumerate() {
        let number = format!("{:>width$}", index + 1);
        out.push('\n');
        let _ = match verbosity {
            Verbosity::OutputOnly => Ok(()),
            Verbosity::Executable => writeln!(
                out,
                "# from {}\n{}",
                instruction.origin, instruction.canonical
            ),
            Verbosity::Description => writeln!(
                out,
                "{number}. {}  [{}]\n{}  > {}",
                instruction.description,
                instruction.origin,
                " ".repeat(width),
                report::shorten(&instruction.canonical, 400)
            ),
            Verbosity::Brief | Verbosity::Detailed => writeln!(
                out,
                "{number}. {}  [{}]\n{}  > {}",
                instruction.description,
                instruction.origin,
                " ".repeat(width),
                instruction.canonical
            ),
        };
    }
    out
}

fn execute(args: &RunArgs, interpreted: &Interpreted) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            printer::err(&format!("error: cannot start the async runtime: {err}"));
            return 2;
        }
    };
    runtime.block_on(execute_async(args, interpreted))
}

async fn execute_async(args: &RunArgs, interpreted: &Interpreted) -> i32 {
    use hortus_runtime::backend::PullPolicy;
    use hortus_runtime::executor::{ExecuteOptions, RunEvent, execute};

    let json = args.output == OutputFormat::Json;
    // Validate before touching Docker: a plan that cannot run should not create an enclave.
    if report_validation(interpreted, &EnclaveView::default(), json) {
        return 1;
    }
    let backend = match hortus_runtime::docker::DockerBackend::connect().await {
        Ok(backend) => backend,
        Err(err) => {
            printer::err(&format!(
                "error: {err}\n  help: start the Docker engine or point DOCKER_HOST at it"
            ));
            return 2;
        }
    };
    let home = hortus_runtime::enclave::StateHome::from_env();
    let mut enclave =
        match hortus_runtime::enclave::open_or_create(&backend, &home, args.enclave.as_deref())
            .await
        {
            Ok(enclave) => enclave,
            Err(err) => {
                printer::err(&format!("error: {err}"));
                return 2;
            }
        };
    if !json {
        printer::err(&format!(
            "Enclave `{}` ({}) ready",
            enclave.name,
            &enclave.uuid[..12.min(enclave.uuid.len())]
        ));
    }
    let (services, artifacts) = enclave.existing();
    let view = EnclaveView {
        services,
        artifacts,
    };
    if report_validation(interpreted, &view, json) {
        return 1;
    }

    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = cancel_tx.send(true);
        }
    });
    let options = ExecuteOptions {
        pull_policy: match args.image_download {
            ImageDownload::Missing => PullPolicy::Missing,
            ImageDownload::Always => PullPolicy::Always,
        },
        parallelism: args.parallelism.max(1),
        non_blocking_tasks: args.non_blocking_tasks,
        cancel: Some(cancel_rx),
    };
    let plan = &interpreted.plan;
    let mut progress = Progress::new(plan, json, args.verbosity);
    let result = {
        let mut on_event = |event: RunEvent| progress.event(event);
        execute(&backend, &mut enclave, plan, &options, &mut on_event).await
    };
    match result {
        Ok(outcome) => {
            progress.finish();
            if json {
                let doc = serde_json::json!({
                    "enclave": {"name": enclave.name, "uuid": enclave.uuid},
                    "success": true,
                    "instructions": progress.records,
                    "services": outcome.services.iter().map(service_json).collect::<Vec<_>>(),
                    "artifacts": outcome.artifacts.iter().map(|a| serde_json::json!({"name": a.name, "uuid": a.uuid})).collect::<Vec<_>>(),
                    "output": outcome.output.as_deref().and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok()),
                    "warnings": progress.warnings,
                });
                printer::out(&json_pretty(&doc));
            } else {
                for warning in plan.warnings.iter().chain(&progress.warnings) {
                    printer::out(&format!("\n[WARN]: {warning}"));
                }
                printer::out("");
                match &outcome.output {
                    Some(output) => printer::out(&format!(
                        "Starlark code successfully run. Output was:\n{output}"
                    )),
                    None => printer::out("Starlark code successfully run. No output was returned."),
                }
                print_summary(&enclave.name, &enclave.uuid, &outcome);
            }
            0
        }
        Err(err) => {
            progress.finish();
            let lookup = source_lookup(interpreted);
            let mut help = Vec::new();
            if let Some(canonical) = &err.canonical {
                help.push(format!("instruction: {}", report::shorten(canonical, 300)));
            }
            if let Some(logs) = &err.logs {
                help.push(format!("last log lines of the service:\n{logs}"));
            }
            help.push(format!(
                "the enclave `{}` is kept for inspection; remove it with `hortus enclave rm -f {}`",
                enclave.name, enclave.name
            ));
            let title = match err.index {
                Some(index) => format!("instruction #{} failed: {}", index + 1, err.message),
                None => err.message.clone(),
            };
            let diagnostic = report::AtInstruction::new(
                title,
                err.origin.as_ref(),
                "this instruction failed".to_owned(),
                Some(help.join("\n")),
                "hortus::execution",
                &lookup,
            );
            printer::err(&report::render(&diagnostic));
            if json {
                let doc = serde_json::json!({
                    "enclave": {"name": enclave.name, "uuid": enclave.uuid},
                    "success": false,
                    "instructions": progress.records,
                    "error": {
                        "message": err.message,
                        "instruction": err.index.map(|i| i + 1),
                        "origin": err.origin.as_ref().map(ToString::to_string),
                        "logs": err.logs,
                    },
                });
                printer::out(&json_pretty(&doc));
            }
            1
        }
    }
}

fn service_json(service: &hortus_runtime::executor::ServiceSummary) -> serde_json::Value {
    serde_json::json!({
        "name": service.name,
        "uuid": service.uuid,
        "status": service.status,
        "ports": service.ports.iter().map(|p| serde_json::json!({
            "id": p.id,
            "number": p.number,
            "protocol": p.protocol,
            "application_protocol": p.application_protocol,
            "host_ip": p.host_port.map(|_| "127.0.0.1"),
            "host_port": p.host_port,
        })).collect::<Vec<_>>(),
    })
}

fn print_summary(name: &str, uuid: &str, outcome: &hortus_runtime::executor::RunOutcome) {
    printer::out("");
    printer::out(&format!("Enclave: {name} ({uuid})"));
    printer::out("Services:");
    if outcome.services.is_empty() {
        printer::out("  <none>");
    }
    for service in &outcome.services {
        printer::out(&format!("  {}  {}", service.name, service.status));
        if service.ports.is_empty() {
            printer::out("    <no ports>");
        }
        for port in &service.ports {
            let target = match port.host_port {
                Some(host) => format!(
                    " -> {}127.0.0.1:{host}",
                    port.application_protocol
                        .as_deref()
                        .filter(|p| !p.is_empty())
                        .map(|p| format!("{p}://"))
                        .unwrap_or_default()
                ),
                None => String::new(),
            };
            printer::out(&format!(
                "    {}: {}/{}{target}",
                port.id,
                port.number,
                port.protocol.to_lowercase()
            ));
        }
    }
    printer::out("Files artifacts:");
    if outcome.artifacts.is_empty() {
        printer::out("  <none>");
    }
    for artifact in &outcome.artifacts {
        printer::out(&format!("  {}  {}", artifact.name, artifact.uuid));
    }
}

/// Per-instruction progress: a spinner on a terminal, plain lines otherwise.
struct Progress<'p> {
    plan: &'p Plan,
    json: bool,
    verbosity: Verbosity,
    spinner: Option<indicatif::ProgressBar>,
    started: Option<Instant>,
    records: Vec<serde_json::Value>,
    warnings: Vec<String>,
}

impl<'p> Progress<'p> {
    fn new(plan: &'p Plan, json: bool, verbosity: Verbosity) -> Self {
        Self {
            plan,
            json,
            verbosity,
            spinner: None,
            started: None,
            records: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn event(&mut self, event: hortus_runtime::executor::RunEvent) {
        use hortus_runtime::executor::RunEvent;
        match event {
            RunEvent::ImagesPrepared(images) => {
                if !self.json && !images.is_empty() {
                    printer::out("Container images used in this run:");
                    for (image, origin) in images {
                        let how = match origin {
                            hortus_runtime::backend::ImageOrigin::LocallyCached => "locally cached",
                            hortus_runtime::backend::ImageOrigin::RemotelyDownloaded => {
                                "remotely downloaded"
                            }
                            hortus_runtime::backend::ImageOrigin::LocallyBuilt => "locally built",
                        };
                        printer::out(&format!("> {image} - {how}"));
                    }
                }
            }
            RunEvent::InstructionStarted { index, total } => {
                self.started = Some(Instant::now());
                let Some(instruction) = self.plan.instructions.get(index) else {
                    return;
                };
                if self.json {
                    return;
                }
                let line = self.instruction_line(index, total, instruction);
                if printer::stderr_is_terminal() {
                    let spinner = indicatif::ProgressBar::new_spinner();
                    spinner.set_message(line);
                    spinner.enable_steady_tick(Duration::from_millis(100));
                    self.spinner = Some(spinner);
                } else if self.verbosity != Verbosity::OutputOnly {
                    printer::out(&line);
                }
            }
            RunEvent::InstructionFinished {
                index,
                result,
                duration,
            } => {
                let instruction = self.plan.instructions.get(index);
                if let Some(spinner) = self.spinner.take() {
                    spinner.finish_and_clear();
                    if let Some(instruction) = instruction
                        && self.verbosity != Verbosity::OutputOnly
                    {
                        printer::out(&self.instruction_line(
                            index,
                            self.plan.instructions.len(),
                            instruction,
                        ));
                    }
                }
                if self.json {
                    self.records.push(serde_json::json!({
                        "index": index + 1,
                        "name": instruction.map(Instruction::name),
                        "origin": instruction.map(|i| i.origin.to_string()),
                        "description": instruction.map(|i| i.description.clone()),
                        "result": result,
                        "duration_ms": duration.as_millis(),
                    }));
                } else {
                    printer::out(&format!("{result} ({})", format_duration(duration)));
                }
            }
            RunEvent::Warning(warning) => {
                if !self.warnings.contains(&warning) {
                    self.warnings.push(warning);
                }
            }
        }
    }

    fn instruction_line(&self, index: usize, total: usize, instruction: &Instruction) -> String {
        let text = match self.verbosity {
            Verbosity::Brief | Verbosity::Detailed | Verbosity::Executable => {
                format!("> {}", report::shorten(&instruction.canonical, 300))
            }
            _ => instruction.description.clone(),
        };
        format!("[{}/{total}] {text}  [{}]", index + 1, instruction.origin)
    }

    fn finish(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
        let _ = self.started;
    }
}

fn format_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

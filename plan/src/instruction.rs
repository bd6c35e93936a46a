//! The plan: an ordered list of instructions, each recorded by one `plan.*` call.

use crate::GoDuration;
use crate::service::{Assertion, ImageRef, Recipe, ServiceConfig, Toleration};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Where in the package an instruction (or error) comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Origin {
    /// The module's display name: a path relative to the root package for its own files
    /// (`main.star`, `src/lib.star`), the absolute locator for anything else.
    pub file: String,
    /// 1-based line of the call.
    pub line: u32,
    /// 1-based column of the call.
    pub column: u32,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The result of interpreting a package: the instructions in call order and the value
/// `run` returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Plan {
    pub instructions: Vec<Instruction>,
    /// The entry function's return value as JSON (`None` when it returned `None`).
    /// May contain future references; they are substituted after execution.
    #[serde(default)]
    pub output: Option<serde_json::Value>,
    /// Warnings collected during interpretation (deprecated arguments, ignored fields).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One recorded `plan.*` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instruction {
    pub origin: Origin,
    /// The user's `description=` or the instruction's default description.
    pub description: String,
    /// The canonical text (starlark-api.md §3.7), e.g. `print(msg="hi")`.
    pub canonical: String,
    pub kind: InstructionKind,
}

impl Instruction {
    /// The Kurtosis instruction name (`add_service`, `render_templates`, ...).
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }
}

/// What an instruction does, with its converted arguments. Serialises adjacently tagged
/// as `{"name": "<kurtosis name>", "args": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", content = "args", rename_all = "snake_case")]
pub enum InstructionKind {
    // The service-bearing payloads are boxed: unboxed, every instruction took 3 KB.
    AddService(Box<AddService>),
    AddServices(AddServices),
    GetService(NameArg),
    GetServices(Empty),
    SetService(Box<SetService>),
    GetFilesArtifact(NameArg),
    Verify(Verify),
    Exec(ExecInstr),
    Print(Print),
    RemoveService(NameArg),
    RenderTemplates(RenderTemplates),
    Request(RequestInstr),
    StartService(NameArg),
    StopService(NameArg),
    StoreServiceFiles(StoreServiceFiles),
    UploadFiles(UploadFiles),
    Wait(Wait),
    RunSh(Box<RunTask>),
    RunPython(Box<RunTask>),
    GetClusterType(GetClusterType),
}

impl InstructionKind {
    pub fn name(&self) -> &'static str {
        match self {
            InstructionKind::AddService(_) => "add_service",
            InstructionKind::AddServices(_) => "add_services",
            InstructionKind::GetService(_) => "get_service",
            InstructionKind::GetServices(_) => "get_services",
            InstructionKind::SetService(_) => "set_service",
            InstructionKind::GetFilesArtifact(_) => "get_files_artifact",
            InstructionKind::Verify(_) => "verify",
            InstructionKind::Exec(_) => "exec",
            InstructionKind::Print(_) => "print",
            InstructionKind::RemoveService(_) => "remove_service",
            InstructionKind::RenderTemplates(_) => "render_templates",
            InstructionKind::Request(_) => "request",
            InstructionKind::StartService(_) => "start_service",
            InstructionKind::StopService(_) => "stop_service",
            InstructionKind::StoreServiceFiles(_) => "store_service_files",
            InstructionKind::UploadFiles(_) => "upload_files",
            InstructionKind::Wait(_) => "wait",
            InstructionKind::RunSh(_) => "run_sh",
            InstructionKind::RunPython(_) => "run_python",
            InstructionKind::GetClusterType(_) => "get_cluster_type",
        }
    }

    /// The converted arguments as JSON (the `args` of `--output json`).
    pub fn args_json(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.remove("args").unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        }
    }
}

/// No arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Empty {}

/// A single `name` argument (`get_service`, `remove_service`, `start_service`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameArg {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddService {
    pub name: String,
    pub config: ServiceConfig,
    #[serde(default)]
    pub force_update: bool,
    /// The merged config of a later `set_service` on this service, used at execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_service_override: Option<ServiceConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddServices {
    pub configs: IndexMap<String, ServiceConfig>,
    #[serde(default)]
    pub force_update: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetService {
    pub name: String,
    /// The merged config (the earlier `add_service` config with the override applied).
    pub config: ServiceConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verify {
    /// Usually a future reference, or a string containing some.
    pub value: String,
    pub assertion: Assertion,
    pub target_value: serde_json::Value,
}

/// `plan.exec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecInstr {
    pub service_name: String,
    /// Always a [`Recipe::Exec`].
    pub recipe: Recipe,
    pub acceptable_codes: Vec<i64>,
    #[serde(default)]
    pub skip_code_check: bool,
    /// Runtime-value id of the returned future references.
    pub result_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Print {
    /// The message: a str taken raw, anything else rendered with Starlark `str()`.
    pub msg: String,
}

/// One rendered file of `render_templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateFile {
    /// Go `text/template` source.
    pub template: String,
    /// The template data as JSON text (sorted keys; may contain future references).
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderTemplates {
    pub name: String,
    /// Destination path inside the artifact → template.
    pub config: IndexMap<String, TemplateFile>,
}

/// `plan.request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestInstr {
    pub service_name: String,
    /// Always a [`Recipe::Http`].
    pub recipe: Recipe,
    pub acceptable_codes: Vec<i64>,
    #[serde(default)]
    pub skip_code_check: bool,
    pub result_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreServiceFiles {
    pub service_name: String,
    pub src: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
}

/// Where `upload_files` takes its content from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadSource {
    /// A file or directory of a package, resolved on disk.
    Local { locator: String, path: PathBuf },
    /// An `http://` or `https://` URL, downloaded at execution.
    Url { url: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadFiles {
    /// The `src` argument as written.
    pub src: String,
    pub name: String,
    pub source: UploadSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    pub service_name: String,
    pub recipe: Recipe,
    pub field: String,
    pub assertion: Assertion,
    pub target_value: serde_json::Value,
    pub interval: GoDuration,
    pub timeout: GoDuration,
    pub result_id: String,
}

/// A `store` entry of a task: container path → artifact name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreSpec {
    pub src: String,
    pub name: String,
}

/// `plan.run_sh` and `plan.run_python`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunTask {
    /// Task container name (`task-<uuid>` when not given).
    pub name: String,
    /// The shell script (`run_sh`) or Python script (`run_python`).
    pub run: String,
    pub image: ImageRef,
    /// Mount path → artifact name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub files: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub store: Vec<StoreSpec>,
    /// `run_sh` only.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env_vars: IndexMap<String, String>,
    /// `run_python` only: appended to the command, FR-substituted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// `run_python` only: pip packages installed first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// Task timeout; `None` = no timeout. Default `180s`.
    pub wait: Option<GoDuration>,
    pub acceptable_codes: Vec<i64>,
    #[serde(default)]
    pub skip_code_check: bool,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub node_selectors: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub host_pid_namespace: bool,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub bind_mounts: IndexMap<String, String>,
    pub result_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetClusterType {
    pub cluster_type: String,
}

/// The stable runtime-value id of a service name: the same name gives the same id in every
/// run, so `service.ip_address` renders identically across runs (starlark-api.md §4.1).
pub fn service_runtime_id(service_name: &str) -> String {
    // Two FNV-1a passes with different offsets give 128 bits; stable across platforms.
    fn fnv(seed: u64, data: &[u8]) -> u64 {
        let mut hash = seed;
        for byte in data {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash
    }
    let bytes = service_name.as_bytes();
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325, bytes),
        fnv(0x8422_2325_cbf2_9ce4, bytes)
    )
}

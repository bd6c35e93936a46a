//! Converted Kurtosis values: what `ServiceConfig`, `PortSpec`, recipes and friends mean
//! once an instruction has consumed them (defaults applied, paths resolved).

use crate::GoDuration;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where a service's image comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ImageRef {
    /// A plain image reference such as `nginx:1.25`.
    Name(String),
    /// `ImageSpec(image, registry?, username?, password?)`.
    Spec(ImageSpec),
    /// `ImageBuildSpec(...)`: built from a Dockerfile in the package.
    Build(ImageBuildSpec),
    /// `NixBuildSpec(...)`: built with Nix.
    Nix(NixBuildSpec),
}

impl ImageRef {
    /// The image name the container will run (for builds, the tag given to the build).
    pub fn image_name(&self) -> &str {
        match self {
            ImageRef::Name(name) => name,
            ImageRef::Spec(spec) => &spec.image,
            ImageRef::Build(build) => &build.image_name,
            ImageRef::Nix(nix) => &nix.image_name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageSpec {
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageBuildSpec {
    pub image_name: String,
    /// The build context as an absolute locator (after relative resolution and `replace`).
    pub build_context_locator: String,
    /// The directory on disk used as the build context (the directory of the build file).
    pub build_context_dir: PathBuf,
    /// The build file, relative to `build_context_dir`.
    pub build_file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_stage: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub build_args: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NixBuildSpec {
    pub image_name: String,
    pub flake_location_dir: String,
    pub build_context_dir: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flake_output: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TransportProtocol {
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

impl TransportProtocol {
    /// Lower-case name as Docker spells it (`tcp`, `udp`, `sctp`).
    pub fn docker_name(self) -> &'static str {
        match self {
            TransportProtocol::Tcp => "tcp",
            TransportProtocol::Udp => "udp",
            TransportProtocol::Sctp => "sctp",
        }
    }
}

/// A converted `PortSpec` (defaults applied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortSpec {
    pub number: u16,
    pub transport_protocol: TransportProtocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_protocol: Option<String>,
    /// How long to wait for the port to open; `None` disables the probe. Default `2m`.
    pub wait: Option<GoDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// What is mounted at one path of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileMount {
    /// One or more files artifacts extracted into the path, later ones overwriting.
    Artifacts(Vec<String>),
    /// A persistent named volume.
    Persistent { key: String, size_mb: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub uid: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Toleration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GpuConfig {
    /// `-1` = all GPUs.
    pub count: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_ids: Vec<String>,
    /// Megabytes; 0 = runtime default.
    pub shm_size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, i64>,
    pub docker_driver: String,
    pub kubernetes_resource: String,
}

/// The comparison tokens of `verify`, `wait` and `ReadyCondition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assertion {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "IN")]
    In,
    #[serde(rename = "NOT_IN")]
    NotIn,
}

impl Assertion {
    pub fn parse(token: &str) -> Option<Self> {
        Some(match token {
            "==" => Self::Eq,
            "!=" => Self::Ne,
            ">=" => Self::Ge,
            ">" => Self::Gt,
            "<=" => Self::Le,
            "<" => Self::Lt,
            "IN" => Self::In,
            "NOT_IN" => Self::NotIn,
            _ => return None,
        })
    }

    pub fn token(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Ge => ">=",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Lt => "<",
            Self::In => "IN",
            Self::NotIn => "NOT_IN",
        }
    }
}

/// A recipe: something run against a service whose result is a map of fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Recipe {
    /// `ExecRecipe(command, extract?)`.
    #[serde(rename = "ExecRecipe")]
    Exec {
        command: Vec<String>,
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        extract: IndexMap<String, String>,
    },
    /// `GetHttpRequestRecipe` / `PostHttpRequestRecipe`.
    #[serde(rename = "HttpRequestRecipe")]
    Http(HttpRecipe),
}

impl Recipe {
    pub fn extract(&self) -> &IndexMap<String, String> {
        match self {
            Recipe::Exec { extract, .. } => extract,
            Recipe::Http(http) => &http.extract,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpMethod {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRecipe {
    pub method: HttpMethod,
    pub port_id: String,
    pub endpoint: String,
    /// POST body (FR-substituted at execution); empty for GET.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// POST content type; `None` for GET, `Some("")` sends none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub extract: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
}

/// A converted `ReadyCondition`. Interval and timeout stay text: Kurtosis reads them only
/// at execution (an empty string fails then, not at interpretation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadyCondition {
    pub recipe: Recipe,
    pub field: String,
    pub assertion: Assertion,
    pub target_value: serde_json::Value,
    /// Go duration text; default `1s`.
    pub interval: String,
    /// Go duration text; default `15m`.
    pub timeout: String,
}

/// A converted `ServiceConfig` (starlark-api.md §5.1): defaults applied, paths resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceConfig {
    pub image: ImageRef,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub ports: IndexMap<String, PortSpec>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub public_ports: IndexMap<String, PortSpec>,
    /// Mount path → what is mounted there.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub files: IndexMap<String, FileMount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env_vars: IndexMap<String, String>,
    pub private_ip_address_placeholder: String,
    /// Millicores; 0 = no limit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_cpu: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_cpu: u64,
    /// Megabytes; 0 = no limit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_memory: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_memory: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_conditions: Option<ReadyCondition>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub node_selectors: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub files_to_be_moved: IndexMap<String, String>,
    pub tini_enabled: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub tty_enabled: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub publish_udp: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuConfig>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub host_pid_namespace: bool,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub bind_mounts: IndexMap<String, String>,
}

impl ServiceConfig {
    /// A config with only an image and every default applied.
    pub fn with_image(image: ImageRef) -> Self {
        Self {
            image,
            ports: IndexMap::new(),
            public_ports: IndexMap::new(),
            files: IndexMap::new(),
            entrypoint: Vec::new(),
            cmd: Vec::new(),
            env_vars: IndexMap::new(),
            private_ip_address_placeholder: DEFAULT_IP_PLACEHOLDER.to_owned(),
            max_cpu: 0,
            min_cpu: 0,
            max_memory: 0,
            min_memory: 0,
            ready_conditions: None,
            labels: IndexMap::new(),
            user: None,
            tolerations: Vec::new(),
            node_selectors: IndexMap::new(),
            files_to_be_moved: IndexMap::new(),
            tini_enabled: true,
            tty_enabled: false,
            devices: Vec::new(),
            publish_udp: false,
            capabilities: Vec::new(),
            gpu: None,
            privileged: false,
            host_pid_namespace: false,
            bind_mounts: IndexMap::new(),
        }
    }

    /// Names of every files artifact this config mounts.
    pub fn mounted_artifacts(&self) -> impl Iterator<Item = &str> {
        self.files.values().flat_map(|mount| match mount {
            FileMount::Artifacts(names) => names.iter().map(String::as_str).collect::<Vec<_>>(),
            FileMount::Persistent { .. } => Vec::new(),
        })
    }
}

/// Default `ServiceConfig.private_ip_address_placeholder`.
pub const DEFAULT_IP_PLACEHOLDER: &str = "KURTOSIS_IP_ADDR_PLACEHOLDER";

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_false(v: &bool) -> bool {
    !*v
}

//! The `Backend` trait: the container operations the executor needs, nothing more.
//!
//! Implemented by [`crate::docker::DockerBackend`] (bollard, the real engine) and by
//! [`crate::fake::FakeBackend`] (in memory, executor unit tests only). The executor is
//! generic over it and never knows which one it drives.
//!
//! CONTRACT shared by the docker and executor modules: change it only together.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::Ipv4Addr;
use std::time::Duration;

/// Label keys every hortus Docker object carries (cli-and-runtime contract of the issues).
pub const LABEL_ENCLAVE_NAME: &str = "hortus.enclave.name";
pub const LABEL_ENCLAVE_UUID: &str = "hortus.enclave.uuid";
pub const LABEL_SERVICE_NAME: &str = "hortus.service.name";
/// Extra labels (ours): object kind (`service`, `task`, `volume`, `network`), service uuid,
/// creation time and serialized ports, so state can be rediscovered from Docker alone.
pub const LABEL_KIND: &str = "hortus.kind";
pub const LABEL_SERVICE_UUID: &str = "hortus.service.uuid";
pub const LABEL_CREATED: &str = "hortus.enclave.created";
pub const LABEL_PORTS: &str = "hortus.service.ports";
/// User labels from `ServiceConfig.labels` become `hortus.custom.<key>`.
pub const LABEL_CUSTOM_PREFIX: &str = "hortus.custom.";

/// An enclave as the backend sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnclaveInfo {
    pub name: String,
    /// 32 lower-case hex characters.
    pub uuid: String,
    /// RFC 3339 creation time.
    pub created: String,
    pub status: EnclaveStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnclaveStatus {
    /// No containers.
    Empty,
    /// At least one container running.
    Running,
    /// Containers exist, none running.
    Stopped,
}

impl EnclaveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EnclaveStatus::Empty => "EMPTY",
            EnclaveStatus::Running => "RUNNING",
            EnclaveStatus::Stopped => "STOPPED",
        }
    }
}

/// `--image-download`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullPolicy {
    /// Use a local image when present, pull only when absent.
    #[default]
    Missing,
    /// Always pull.
    Always,
}

/// Where an image came from (for the `Container images used in this run:` summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageOrigin {
    LocallyCached,
    RemotelyDownloaded,
    LocallyBuilt,
}

/// A build of `ImageBuildSpec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBuild {
    pub tag: String,
    /// The context directory on disk.
    pub context_dir: std::path::PathBuf,
    /// The Dockerfile, relative to `context_dir`.
    pub dockerfile: String,
    pub target: Option<String>,
    pub build_args: BTreeMap<String, String>,
}

/// A published or unpublished port of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRequest {
    pub number: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// Publish on 127.0.0.1: `Some(0)` = a free host port, `Some(n)` = host port n, `None` =
    /// not published.
    pub host_port: Option<u16>,
}

/// A named volume mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeMount {
    pub volume: String,
    pub path: String,
}

/// Everything needed to create one container in an enclave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerSpec {
    /// Docker container name (`<service>--<service uuid>`).
    pub container_name: String,
    /// Service name: the network alias and hostname other services resolve.
    pub service_name: String,
    pub image: String,
    /// `None` = image default.
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<(String, String)>,
    /// Extra labels; the backend adds the enclave labels itself.
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<PortRequest>,
    /// Static address on the enclave network (from [`Backend::reserve_ip`]).
    pub ip: Option<Ipv4Addr>,
    /// `uid` or `uid:gid`.
    pub user: Option<String>,
    /// Millicores; 0 = no limit.
    pub cpu_millis: u64,
    /// Megabytes; 0 = no limit.
    pub memory_mb: u64,
    pub init: bool,
    pub tty: bool,
    pub privileged: bool,
    pub host_pid: bool,
    pub devices: Vec<String>,
    pub capabilities: Vec<String>,
    pub bind_mounts: Vec<(String, String)>,
    pub volumes: Vec<VolumeMount>,
    /// Docker `--shm-size` in megabytes; 0 = default.
    pub shm_size_mb: u64,
    pub ulimits: BTreeMap<String, i64>,
    /// Restart policy `always` (production enclaves).
    pub restart_always: bool,
}

/// A container as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerState {
    pub id: String,
    pub name: String,
    pub service_name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub running: bool,
    pub exit_code: Option<i64>,
    /// Address on the enclave network.
    pub ip: Option<Ipv4Addr>,
    /// `(container port, protocol)` → host port on 127.0.0.1.
    pub host_ports: BTreeMap<(u16, String), u16>,
}

/// The outcome of running a command in a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    pub exit_code: i64,
    /// stdout and stderr, merged in arrival order.
    pub output: String,
}

/// A backend error: what failed, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot reach the Docker engine: {0}")]
    Unreachable(String),
    #[error("image `{image}` is not available locally and could not be pulled: {reason}")]
    ImageUnavailable { image: String, reason: String },
    #[error("building image `{tag}` failed: {reason}")]
    BuildFailed { tag: String, reason: String },
    #[error("enclave `{0}` does not exist")]
    NoSuchEnclave(String),
    #[error("container `{0}` does not exist")]
    NoSuchContainer(String),
    #[error("path `{path}` does not exist in container `{container}`")]
    NoSuchPath { container: String, path: String },
    #[error("{operation} timed out after {after:?}")]
    Timeout { operation: String, after: Duration },
    #[error("{operation} failed: {reason}")]
    Docker { operation: String, reason: String },
}

pub type BackendResult<T> = Result<T, BackendError>;

/// Container operations on one engine. All calls are scoped by enclave uuid where it matters;
/// every object created carries the enclave labels.
pub trait Backend: Send + Sync + 'static {
    /// Creates an enclave (a labelled bridge network `hortus-<name>` with a subnet of its own).
    fn create_enclave(
        &self,
        name: &str,
        uuid: &str,
    ) -> impl Future<Output = BackendResult<EnclaveInfo>> + Send;

    /// Every enclave found by its labels, oldest first.
    fn list_enclaves(&self) -> impl Future<Output = BackendResult<Vec<EnclaveInfo>>> + Send;

    /// Removes every container, volume and the network carrying the enclave's uuid label.
    fn remove_enclave(&self, uuid: &str) -> impl Future<Output = BackendResult<()>> + Send;

    /// Makes sure `image` exists locally (pulling per `policy`).
    fn ensure_image(
        &self,
        image: &str,
        policy: PullPolicy,
    ) -> impl Future<Output = BackendResult<ImageOrigin>> + Send;

    /// Builds an image from a context directory.
    fn build_image(&self, build: &ImageBuild) -> impl Future<Output = BackendResult<()>> + Send;

    /// A free address on the enclave network, not handed out before by this process.
    fn reserve_ip(
        &self,
        enclave_uuid: &str,
    ) -> impl Future<Output = BackendResult<Ipv4Addr>> + Send;

    /// Creates a labelled named volume in the enclave (idempotent).
    fn create_volume(
        &self,
        enclave_uuid: &str,
        name: &str,
        labels: BTreeMap<String, String>,
    ) -> impl Future<Output = BackendResult<()>> + Send;

    /// Removes a volume (no container may use it any more); an absent volume is not an error.
    fn remove_volume(&self, name: &str) -> impl Future<Output = BackendResult<()>> + Send;

    /// Creates (does not start) a container on the enclave network; returns its id.
    fn create_container(
        &self,
        enclave_uuid: &str,
        spec: &ContainerSpec,
    ) -> impl Future<Output = BackendResult<String>> + Send;

    /// Extracts a gzip-compressed tar archive at `path` in a (possibly not yet started)
    /// container; `path` is created when missing.
    fn upload_archive(
        &self,
        container: &str,
        path: &str,
        tgz: Vec<u8>,
    ) -> impl Future<Output = BackendResult<()>> + Send;

    /// Copies `path` out of a container as an (uncompressed) tar stream whose root holds the
    /// base name of `path`.
    fn download_archive(
        &self,
        container: &str,
        path: &str,
    ) -> impl Future<Output = BackendResult<Vec<u8>>> + Send;

    fn start_container(&self, container: &str) -> impl Future<Output = BackendResult<()>> + Send;

    /// Stops with a grace period.
    fn stop_container(
        &self,
        container: &str,
        grace: Duration,
    ) -> impl Future<Output = BackendResult<()>> + Send;

    /// Force-removes a container and its anonymous volumes.
    fn remove_container(&self, container: &str) -> impl Future<Output = BackendResult<()>> + Send;

    fn inspect_container(
        &self,
        container: &str,
    ) -> impl Future<Output = BackendResult<ContainerState>> + Send;

    /// Every container of the enclave (services and tasks), running or not.
    fn list_containers(
        &self,
        enclave_uuid: &str,
    ) -> impl Future<Output = BackendResult<Vec<ContainerState>>> + Send;

    /// Runs `argv` (no implicit shell) in a running container; `timeout` bounds the wait.
    fn exec(
        &self,
        container: &str,
        argv: &[String],
        timeout: Option<Duration>,
    ) -> impl Future<Output = BackendResult<ExecOutput>> + Send;

    /// The last `tail` lines of a container's logs (stdout and stderr).
    fn logs(
        &self,
        container: &str,
        tail: usize,
    ) -> impl Future<Output = BackendResult<String>> + Send;
}

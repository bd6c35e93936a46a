//! The Docker backend: [`DockerBackend`] implements [`Backend`] with bollard against the local
//! engine, with no helper containers. An enclave is one labelled bridge network
//! (`hortus-<name>`, own /24 subnet) plus the package's containers and volumes, all carrying
//! the enclave labels, so every command can rediscover state from Docker alone.
//!
//! Owns: engine discovery and version negotiation (`connect`), the enclave network and its
//! subnet (`enclave`, `subnet`), images (`image`), containers (`container`), archives
//! (`archive`), exec and logs (`exec`), and the bollard error mapping (`error`). Must not
//! know plans or Starlark: it only serves the `Backend` contract.

mod archive;
mod connect;
mod container;
mod enclave;
mod error;
mod exec;
mod image;
mod subnet;

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bollard::Docker;

use crate::backend::{
    Backend, BackendError, BackendResult, ContainerSpec, ContainerState, EnclaveInfo, ExecOutput,
    ImageBuild, ImageOrigin, PullPolicy,
};

use subnet::Subnet;

/// Prefix of every enclave network name: `hortus-<enclave name>`.
pub const NETWORK_PREFIX: &str = "hortus-";

/// A connection to one Docker engine (cheap to share: clone the `Arc` around it).
pub struct DockerBackend {
    docker: Docker,
    /// The engine address, for error messages.
    address: String,
    /// Enclave uuid → its network, filled by `create_enclave` and by lookups.
    networks: Mutex<HashMap<String, Arc<EnclaveNetwork>>>,
    /// Enclave uuid → addresses handed out (or seen on containers) in this process.
    reserved: Mutex<HashMap<String, ReservedIps>>,
    /// Serialises subnet selection + network creation inside this process.
    subnet_lock: tokio::sync::Mutex<()>,
    /// Serialises the first address lookup of an enclave (one Docker round per enclave).
    seed_lock: tokio::sync::Mutex<()>,
}

/// What the backend remembers about an enclave network.
#[derive(Debug, Clone)]
struct EnclaveNetwork {
    id: String,
    /// Docker network name (`hortus-<enclave name>`).
    name: String,
    enclave_name: String,
    subnet: Option<Subnet>,
    gateway: Option<Ipv4Addr>,
}

#[derive(Debug, Default)]
struct ReservedIps {
    /// Whether the static addresses of the enclave's existing containers were loaded.
    seeded: bool,
    taken: HashSet<Ipv4Addr>,
}

impl std::fmt::Debug for DockerBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerBackend")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl DockerBackend {
    /// Connects to the engine named by `DOCKER_HOST` (`unix://` or `tcp://`), else the
    /// current Docker context, else the default sockets; negotiates the API version and
    /// pings. A dead engine is [`BackendError::Unreachable`] naming the address.
    pub async fn connect() -> Result<DockerBackend, BackendError> {
        Self::connect_endpoint(connect::resolve_endpoint()).await
    }

    /// Connects to an explicit engine address (`unix:///path`, `tcp://host:port`), as
    /// [`DockerBackend::connect`] does for `DOCKER_HOST`.
    pub async fn connect_to(address: &str) -> Result<DockerBackend, BackendError> {
        let endpoint = connect::Endpoint {
            address: address.to_owned(),
            source: "the given address".to_owned(),
        };
        Self::connect_endpoint(endpoint).await
    }

    async fn connect_endpoint(endpoint: connect::Endpoint) -> Result<DockerBackend, BackendError> {
        let docker = connect::client_for(&endpoint)?;
        let docker = connect::negotiate(docker, &endpoint).await?;
        Ok(DockerBackend {
            docker,
            address: endpoint.address,
            networks: Mutex::new(HashMap::new()),
            reserved: Mutex::new(HashMap::new()),
            subnet_lock: tokio::sync::Mutex::new(()),
            seed_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// The engine address in use (`unix:///var/run/docker.sock`, `tcp://...`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The negotiated bollard client, for callers that need an engine call the trait lacks.
    pub fn client(&self) -> &Docker {
        &self.docker
    }

    /// Converts a bollard error met while doing `operation`.
    fn error(&self, operation: &str, error: bollard::errors::Error) -> BackendError {
        error::convert(operation, &self.address, self.docker.timeout(), error)
    }

    /// A client whose response-head timeout is `timeout` (for calls that answer late:
    /// stop with a grace period, build, pull).
    fn client_with_timeout(&self, timeout: Duration) -> Docker {
        self.docker.clone().with_timeout(timeout)
    }

    fn cached_network(&self, enclave_uuid: &str) -> Option<Arc<EnclaveNetwork>> {
        self.networks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(enclave_uuid)
            .cloned()
    }

    fn remember_network(&self, enclave_uuid: &str, network: EnclaveNetwork) -> Arc<EnclaveNetwork> {
        let network = Arc::new(network);
        self.networks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(enclave_uuid.to_owned(), Arc::clone(&network));
        network
    }

    fn forget_enclave(&self, enclave_uuid: &str) {
        self.networks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(enclave_uuid);
        self.reserved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(enclave_uuid);
    }
}

impl Backend for DockerBackend {
    async fn create_enclave(&self, name: &str, uuid: &str) -> BackendResult<EnclaveInfo> {
        self.create_enclave_network(name, uuid).await
    }

    async fn list_enclaves(&self) -> BackendResult<Vec<EnclaveInfo>> {
        self.list_enclave_networks().await
    }

    async fn remove_enclave(&self, uuid: &str) -> BackendResult<()> {
        self.remove_enclave_objects(uuid).await
    }

    async fn ensure_image(&self, image: &str, policy: PullPolicy) -> BackendResult<ImageOrigin> {
        self.ensure_image_present(image, policy).await
    }

    async fn build_image(&self, build: &ImageBuild) -> BackendResult<()> {
        self.build_image_with_progress(build, &mut |_: &str| {})
            .await
    }

    async fn reserve_ip(&self, enclave_uuid: &str) -> BackendResult<Ipv4Addr> {
        self.reserve_enclave_ip(enclave_uuid).await
    }

    async fn create_volume(
        &self,
        enclave_uuid: &str,
        name: &str,
        labels: std::collections::BTreeMap<String, String>,
    ) -> BackendResult<()> {
        self.create_enclave_volume(enclave_uuid, name, labels).await
    }

    async fn remove_volume(&self, name: &str) -> BackendResult<()> {
        match self
            .docker
            .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
            .await
        {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(self.error(&format!("removing volume `{name}`"), e)),
        }
    }

    async fn create_container(
        &self,
        enclave_uuid: &str,
        spec: &ContainerSpec,
    ) -> BackendResult<String> {
        self.create_enclave_container(enclave_uuid, spec).await
    }

    async fn upload_archive(&self, container: &str, path: &str, tgz: Vec<u8>) -> BackendResult<()> {
        self.upload_tgz(container, path, tgz).await
    }

    async fn download_archive(&self, container: &str, path: &str) -> BackendResult<Vec<u8>> {
        self.download_tar(container, path).await
    }

    async fn start_container(&self, container: &str) -> BackendResult<()> {
        self.start(container).await
    }

    async fn stop_container(&self, container: &str, grace: Duration) -> BackendResult<()> {
        self.stop(container, grace).await
    }

    async fn remove_container(&self, container: &str) -> BackendResult<()> {
        self.remove(container).await
    }

    async fn inspect_container(&self, container: &str) -> BackendResult<ContainerState> {
        self.inspect(container).await
    }

    async fn list_containers(&self, enclave_uuid: &str) -> BackendResult<Vec<ContainerState>> {
        self.list_enclave_containers(enclave_uuid).await
    }

    async fn exec(
        &self,
        container: &str,
        argv: &[String],
        timeout: Option<Duration>,
    ) -> BackendResult<ExecOutput> {
        self.exec_argv(container, argv, timeout).await
    }

    async fn logs(&self, container: &str, tail: usize) -> BackendResult<String> {
        self.tail_logs(container, tail).await
    }
}

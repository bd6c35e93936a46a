//! `FakeBackend`: a small in-memory simulation of the container engine for executor unit
//! tests. Containers keep their spec and a file tree (filled from uploaded archives),
//! exec goes to a pluggable closure per service name, images can be made unpullable and
//! services can be made to crash on start.

use crate::backend::{
    Backend, BackendError, BackendResult, ContainerSpec, ContainerState, EnclaveInfo,
    EnclaveStatus, ExecOutput, ImageBuild, ImageOrigin, LABEL_SERVICE_NAME, PullPolicy,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Handles an exec: gets the container (with its files) and the argv.
pub type ExecHandler = Arc<dyn Fn(&FakeContainer, &[String]) -> ExecOutput + Send + Sync>;

/// A simulated container.
#[derive(Debug, Clone)]
pub struct FakeContainer {
    pub id: String,
    pub enclave_uuid: String,
    pub spec: ContainerSpec,
    pub running: bool,
    pub exit_code: Option<i64>,
    /// Absolute path → content.
    pub files: BTreeMap<String, Vec<u8>>,
    pub logs: String,
    pub host_ports: BTreeMap<(u16, String), u16>,
    pub ip: Option<Ipv4Addr>,
}

#[derive(Default)]
struct Inner {
    enclaves: Vec<EnclaveInfo>,
    containers: BTreeMap<String, FakeContainer>,
    volumes: BTreeMap<String, String>,
    local_images: BTreeSet<String>,
    unpullable: BTreeSet<String>,
    built: Vec<String>,
    next_id: u64,
    next_ip: u32,
    fixed_ip: Option<Ipv4Addr>,
    exec_handlers: BTreeMap<String, ExecHandler>,
    crash_on_start: BTreeMap<String, (i64, String)>,
    exec_delay: Option<Duration>,
}

/// The in-memory backend.
#[derive(Default, Clone)]
pub struct FakeBackend {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for FakeBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeBackend")
    }
}

fn base_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

impl FakeBackend {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every service/task gets this address (e.g. 127.0.0.1 to probe real listeners).
    pub fn set_fixed_ip(&self, ip: Ipv4Addr) {
        self.lock().fixed_ip = Some(ip);
    }

    /// Marks an image as present locally.
    pub fn add_local_image(&self, image: &str) {
        self.lock().local_images.insert(image.to_owned());
    }

    /// Makes pulling `image` fail.
    pub fn make_unpullable(&self, image: &str) {
        self.lock().unpullable.insert(image.to_owned());
    }

    /// Routes execs in containers of `service_name` to `handler`.
    pub fn on_exec(
        &self,
        service_name: &str,
        handler: impl Fn(&FakeContainer, &[String]) -> ExecOutput + Send + Sync + 'static,
    ) {
        self.lock()
            .exec_handlers
            .insert(service_name.to_owned(), Arc::new(handler));
    }

    /// Every exec takes this long (to test timeouts and cancellation).
    pub fn set_exec_delay(&self, delay: Duration) {
        self.lock().exec_delay = Some(delay);
    }

    /// Containers of `service_name` exit with `code` right after start, logging `logs`.
    pub fn crash_on_start(&self, service_name: &str, code: i64, logs: &str) {
        self.lock()
            .crash_on_start
            .insert(service_name.to_owned(), (code, logs.to_owned()));
    }

    /// The current container of a service or task, by service name.
    pub fn container_of(&self, service_name: &str) -> Option<FakeContainer> {
        self.lock()
            .containers
            .values()
            .find(|c| c.spec.service_name == service_name)
            .cloned()
    }

    /// Every container.
    pub fn containers(&self) -> Vec<FakeContainer> {
        self.lock().containers.values().cloned().collect()
    }

    /// Every volume name.
    pub fn volumes(&self) -> Vec<String> {
        self.lock().volumes.keys().cloned().collect()
    }

    /// Tags built so far.
    pub fn built_images(&self) -> Vec<String> {
        self.lock().built.clone()
    }

    fn with_container<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut FakeContainer) -> BackendResult<T>,
    ) -> BackendResult<T> {
        let mut inner = self.lock();
        let c = inner
            .containers
            .values_mut()
            .find(|c| c.id == id || c.spec.container_name == id)
            .ok_or_else(|| BackendError::NoSuchContainer(id.to_owned()))?;
        f(c)
    }
}

fn default_exec(c: &FakeContainer, argv: &[String]) -> ExecOutput {
    match argv {
        [cmd, path] if cmd == "cat" => match c.files.get(path) {
            Some(content) => ExecOutput {
                exit_code: 0,
                output: String::from_utf8_lossy(content).into_owned(),
            },
            None => ExecOutput {
                exit_code: 1,
                output: format!("cat: can't open '{path}': No such file or directory\n"),
            },
        },
        [cmd, rest @ ..] if cmd == "echo" => ExecOutput {
            exit_code: 0,
            output: format!("{}\n", rest.join(" ")),
        },
        _ => ExecOutput {
            exit_code: 0,
            output: String::new(),
        },
    }
}

impl Backend for FakeBackend {
    async fn create_enclave(&self, name: &str, uuid: &str) -> BackendResult<EnclaveInfo> {
        let info = EnclaveInfo {
            name: name.to_owned(),
            uuid: uuid.to_owned(),
            created: "2026-01-01T00:00:00Z".to_owned(),
            status: EnclaveStatus::Empty,
        };
        self.lock().enclaves.push(info.clone());
        Ok(info)
    }

    async fn list_enclaves(&self) -> BackendResult<Vec<EnclaveInfo>> {
        let inner = self.lock();
        Ok(inner
            .enclaves
            .iter()
            .map(|e| {
                let mine: Vec<_> = inner
                    .containers
                    .values()
                    .filter(|c| c.enclave_uuid == e.uuid)
                    .collect();
                let status = if mine.is_empty() {
                    EnclaveStatus::Empty
                } else if mine.iter().any(|c| c.running) {
                    EnclaveStatus::Running
                } else {
                    EnclaveStatus::Stopped
                };
                EnclaveInfo {
                    status,
                    ..e.clone()
                }
            })
            .collect())
    }

    async fn remove_enclave(&self, uuid: &str) -> BackendResult<()> {
        let mut inner = self.lock();
        inner.enclaves.retain(|e| e.uuid != uuid);
        inner.containers.retain(|_, c| c.enclave_uuid != uuid);
        inner.volumes.retain(|_, e| e != uuid);
        Ok(())
    }

    async fn ensure_image(&self, image: &str, policy: PullPolicy) -> BackendResult<ImageOrigin> {
        let mut inner = self.lock();
        if inner.unpullable.contains(image) {
            if inner.local_images.contains(image) && policy == PullPolicy::Missing {
                return Ok(ImageOrigin::LocallyCached);
            }
            return Err(BackendError::ImageUnavailable {
                image: image.to_owned(),
                reason: "pull access denied".to_owned(),
            });
        }
        if inner.local_images.contains(image) && policy == PullPolicy::Missing {
            return Ok(ImageOrigin::LocallyCached);
        }
        inner.local_images.insert(image.to_owned());
        Ok(ImageOrigin::RemotelyDownloaded)
    }

    async fn build_image(&self, build: &ImageBuild) -> BackendResult<()> {
        let mut inner = self.lock();
        inner.built.push(build.tag.clone());
        inner.local_images.insert(build.tag.clone());
        Ok(())
    }

    async fn reserve_ip(&self, _enclave_uuid: &str) -> BackendResult<Ipv4Addr> {
        let mut inner = self.lock();
        if let Some(ip) = inner.fixed_ip {
            return Ok(ip);
        }
        inner.next_ip += 1;
        let [_, _, c, d] = (inner.next_ip + 1).to_be_bytes();
        Ok(Ipv4Addr::new(10, 210, c, d))
    }

    async fn create_volume(
        &self,
        enclave_uuid: &str,
        name: &str,
        _labels: BTreeMap<String, String>,
    ) -> BackendResult<()> {
        self.lock()
            .volumes
            .insert(name.to_owned(), enclave_uuid.to_owned());
        Ok(())
    }

    async fn remove_volume(&self, name: &str) -> BackendResult<()> {
        self.lock().volumes.remove(name);
        Ok(())
    }

    async fn create_container(
        &self,
        enclave_uuid: &str,
        spec: &ContainerSpec,
    ) -> BackendResult<String> {
        let mut inner = self.lock();
        if inner
            .containers
            .values()
            .any(|c| c.spec.container_name == spec.container_name)
        {
            return Err(BackendError::Docker {
                operation: "creating a container".to_owned(),
                reason: format!("name `{}` is already in use", spec.container_name),
            });
        }
        if !inner.local_images.contains(&spec.image) {
            return Err(BackendError::ImageUnavailable {
                image: spec.image.clone(),
                reason: "not prepared".to_owned(),
            });
        }
        inner.next_id += 1;
        let id = format!("fake{:060}", inner.next_id);
        let mut host_ports = BTreeMap::new();
        for (i, p) in spec.ports.iter().enumerate() {
            if let Some(h) = p.host_port {
                let port = if h == 0 {
                    u16::try_from(40000 + inner.next_id * 10 + i as u64).unwrap_or(40000)
                } else {
                    h
                };
                host_ports.insert((p.number, p.protocol.clone()), port);
            }
        }
        let ip = spec.ip.or(inner.fixed_ip);
        inner.containers.insert(
            id.clone(),
            FakeContainer {
                id: id.clone(),
                enclave_uuid: enclave_uuid.to_owned(),
                spec: spec.clone(),
                running: false,
                exit_code: None,
                files: BTreeMap::new(),
                logs: String::new(),
                host_ports,
                ip,
            },
        );
        Ok(id)
    }

    async fn upload_archive(&self, container: &str, path: &str, tgz: Vec<u8>) -> BackendResult<()> {
        let files = crate::artifacts::unpack(&tgz).map_err(|e| BackendError::Docker {
            operation: "uploading an archive".to_owned(),
            reason: e.to_string(),
        })?;
        self.with_container(container, |c| {
            for f in files {
                let full = format!("{}/{}", path.trim_end_matches('/'), f.path);
                c.files.insert(full, f.content);
            }
            Ok(())
        })
    }

    async fn download_archive(&self, container: &str, path: &str) -> BackendResult<Vec<u8>> {
        self.with_container(container, |c| {
            let path = path.trim_end_matches('/');
            let base = base_name(path);
            let prefix = format!("{path}/");
            let mut b = tar::Builder::new(Vec::new());
            let mut any = false;
            for (p, content) in &c.files {
                let rel = if p == path {
                    base.to_owned()
                } else if let Some(rest) = p.strip_prefix(&prefix) {
                    format!("{base}/{rest}")
                } else {
                    continue;
                };
                any = true;
                let mut h = tar::Header::new_gnu();
                h.set_size(content.len() as u64);
                h.set_mode(0o644);
                b.append_data(&mut h, rel, content.as_slice())
                    .map_err(|e| BackendError::Docker {
                        operation: "downloading an archive".to_owned(),
                        reason: e.to_string(),
                    })?;
            }
            if !any {
                return Err(BackendError::NoSuchPath {
                    container: c.spec.container_name.clone(),
                    path: path.to_owned(),
                });
            }
            b.into_inner().map_err(|e| BackendError::Docker {
                operation: "downloading an archive".to_owned(),
                reason: e.to_string(),
            })
        })
    }

    async fn start_container(&self, container: &str) -> BackendResult<()> {
        let crash = {
            let inner = self.lock();
            inner
                .containers
                .values()
                .find(|c| c.id == container || c.spec.container_name == container)
                .and_then(|c| inner.crash_on_start.get(&c.spec.service_name).cloned())
        };
        self.with_container(container, |c| {
            match crash {
                Some((code, logs)) => {
                    c.running = false;
                    c.exit_code = Some(code);
                    c.logs.push_str(&logs);
                }
                None => {
                    c.running = true;
                    c.exit_code = None;
                }
            }
            Ok(())
        })
    }

    async fn stop_container(&self, container: &str, _grace: Duration) -> BackendResult<()> {
        self.with_container(container, |c| {
            if c.running {
                c.running = false;
                c.exit_code = Some(137);
            }
            Ok(())
        })
    }

    async fn remove_container(&self, container: &str) -> BackendResult<()> {
        let mut inner = self.lock();
        let id = inner
            .containers
            .values()
            .find(|c| c.id == container || c.spec.container_name == container)
            .map(|c| c.id.clone())
            .ok_or_else(|| BackendError::NoSuchContainer(container.to_owned()))?;
        inner.containers.remove(&id);
        Ok(())
    }

    async fn inspect_container(&self, container: &str) -> BackendResult<ContainerState> {
        self.with_container(container, |c| Ok(state_of(c)))
    }

    async fn list_containers(&self, enclave_uuid: &str) -> BackendResult<Vec<ContainerState>> {
        Ok(self
            .lock()
            .containers
            .values()
            .filter(|c| c.enclave_uuid == enclave_uuid)
            .map(state_of)
            .collect())
    }

    async fn exec(
        &self,
        container: &str,
        argv: &[String],
        timeout: Option<Duration>,
    ) -> BackendResult<ExecOutput> {
        let (snapshot, handler, delay) = {
            let inner = self.lock();
            let c = inner
                .containers
                .values()
                .find(|c| c.id == container || c.spec.container_name == container)
                .cloned()
                .ok_or_else(|| BackendError::NoSuchContainer(container.to_owned()))?;
            let handler = inner.exec_handlers.get(&c.spec.service_name).cloned();
            (c, handler, inner.exec_delay)
        };
        if !snapshot.running {
            return Err(BackendError::Docker {
                operation: "exec".to_owned(),
                reason: format!("container `{container}` is not running"),
            });
        }
        if let Some(delay) = delay {
            match timeout {
                Some(t) if t < delay => {
                    tokio::time::sleep(t).await;
                    return Err(BackendError::Timeout {
                        operation: "exec".to_owned(),
                        after: t,
                    });
                }
                _ => tokio::time::sleep(delay).await,
            }
        }
        Ok(match handler {
            Some(h) => h(&snapshot, argv),
            None => default_exec(&snapshot, argv),
        })
    }

    async fn logs(&self, container: &str, tail: usize) -> BackendResult<String> {
        self.with_container(container, |c| {
            let lines: Vec<&str> = c.logs.lines().collect();
            let start = lines.len().saturating_sub(tail);
            Ok(lines
                .iter()
                .skip(start)
                .copied()
                .collect::<Vec<_>>()
                .join("\n"))
        })
    }
}

fn state_of(c: &FakeContainer) -> ContainerState {
    let mut labels = c.spec.labels.clone();
    labels.insert(LABEL_SERVICE_NAME.to_owned(), c.spec.service_name.clone());
    ContainerState {
        id: c.id.clone(),
        name: c.spec.container_name.clone(),
        service_name: Some(c.spec.service_name.clone()),
        labels,
        running: c.running,
        exit_code: c.exit_code,
        ip: c.ip,
        host_ports: c.host_ports.clone(),
    }
}

//! Containers of an enclave: translating a [`ContainerSpec`] into a Docker create request
//! (enclave network only, static IP, alias = service name, ports on 127.0.0.1, limits,
//! mounts), and start, stop, remove, inspect and list by enclave label.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerStateStatusEnum, ContainerSummary,
    ContainerSummaryStateEnum, DeviceMapping, EndpointIpamConfig, EndpointSettings, HostConfig,
    NetworkingConfig, PortBinding, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};

use super::enclave::label_filter;
use super::error::{is_not_found, message_of, status_of};
use super::{DockerBackend, EnclaveNetwork, NETWORK_PREFIX};
use crate::backend::{
    BackendError, BackendResult, ContainerSpec, ContainerState, LABEL_ENCLAVE_NAME,
    LABEL_ENCLAVE_UUID, LABEL_SERVICE_NAME,
};

/// Published ports bind to the loopback interface only.
const HOST_IP: &str = "127.0.0.1";
/// Attempts to start a container whose ephemeral host port raced another container's.
const START_ATTEMPTS: u32 = 3;
/// Extra response-head time given to a stop beyond its grace period.
const STOP_SLACK: Duration = Duration::from_secs(60);

const MEBIBYTE: u64 = 1024 * 1024;

/// The Docker create request for `spec` on the enclave `network`.
fn create_body(
    spec: &ContainerSpec,
    enclave_uuid: &str,
    network: &EnclaveNetwork,
) -> BackendResult<ContainerCreateBody> {
    let invalid = |reason: String| BackendError::Docker {
        operation: format!("creating container `{}`", spec.container_name),
        reason,
    };
    let mut labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    labels.insert(LABEL_ENCLAVE_UUID.to_owned(), enclave_uuid.to_owned());
    labels.insert(LABEL_ENCLAVE_NAME.to_owned(), network.enclave_name.clone());
    let has_service = !spec.service_name.is_empty();
    if has_service {
        labels.insert(LABEL_SERVICE_NAME.to_owned(), spec.service_name.clone());
    }

    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for port in &spec.ports {
        let key = format!("{}/{}", port.number, port.protocol.to_ascii_lowercase());
        exposed.push(key.clone());
        if let Some(host_port) = port.host_port {
            let host_port = if host_port == 0 {
                String::new()
            } else {
                host_port.to_string()
            };
            bindings.insert(
                key,
                Some(vec![PortBinding {
                    host_ip: Some(HOST_IP.to_owned()),
                    host_port: Some(host_port),
                }]),
            );
        }
    }

    let nano_cpus = spec
        .cpu_millis
        .checked_mul(1_000_000)
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| {
            invalid(format!(
                "cpu limit `{}` millicores is too large",
                spec.cpu_millis
            ))
        })?;
    let memory = spec
        .memory_mb
        .checked_mul(MEBIBYTE)
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| invalid(format!("memory limit `{}` MB is too large", spec.memory_mb)))?;
    let shm_size = spec
        .shm_size_mb
        .checked_mul(MEBIBYTE)
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| invalid(format!("shm size `{}` MB is too large", spec.shm_size_mb)))?;

    let mut binds: Vec<String> = spec
        .bind_mounts
        .iter()
        .map(|(host, container)| format!("{host}:{container}"))
        .collect();
    binds.extend(
        spec.volumes
            .iter()
            .map(|v| format!("{}:{}", v.volume, v.path)),
    );

    let devices: Vec<DeviceMapping> = spec.devices.iter().map(|d| device_mapping(d)).collect();
    let ulimits: Vec<ResourcesUlimits> = spec
        .ulimits
        .iter()
        .map(|(name, value)| ResourcesUlimits {
            name: Some(name.clone()),
            soft: Some(*value),
            hard: Some(*value),
        })
        .collect();

    let host_config = HostConfig {
        network_mode: Some(network.name.clone()),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        init: spec.init.then_some(true),
        nano_cpus: (nano_cpus > 0).then_some(nano_cpus),
        memory: (memory > 0).then_some(memory),
        shm_size: (shm_size > 0).then_some(shm_size),
        devices: (!devices.is_empty()).then_some(devices),
        cap_add: (!spec.capabilities.is_empty()).then(|| spec.capabilities.clone()),
        privileged: spec.privileged.then_some(true),
        pid_mode: spec.host_pid.then(|| "host".to_owned()),
        binds: (!binds.is_empty()).then_some(binds),
        ulimits: (!ulimits.is_empty()).then_some(ulimits),
        restart_policy: spec.restart_always.then_some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::ALWAYS),
            maximum_retry_count: None,
        }),
        ..Default::default()
    };

    let endpoint = EndpointSettings {
        ipam_config: spec.ip.map(|ip| EndpointIpamConfig {
            ipv4_address: Some(ip.to_string()),
            ..Default::default()
        }),
        aliases: has_service.then(|| vec![spec.service_name.clone()]),
        ..Default::default()
    };

    Ok(ContainerCreateBody {
        image: Some(spec.image.clone()),
        hostname: has_service.then(|| spec.service_name.clone()),
        entrypoint: spec.entrypoint.clone(),
        cmd: spec.cmd.clone(),
        env: (!spec.env.is_empty())
            .then(|| spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(labels),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        user: spec.user.clone(),
        tty: spec.tty.then_some(true),
        host_config: Some(host_config),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(network.name.clone(), endpoint)])),
        }),
        ..Default::default()
    })
}

/// `/dev/x`, `/dev/x:/dev/y` or `/dev/x:/dev/y:rwm`, as `docker run --device` reads them.
fn device_mapping(text: &str) -> DeviceMapping {
    let mut parts = text.splitn(3, ':');
    let host = parts.next().unwrap_or_default().to_owned();
    let container = parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
    let permissions = parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
    DeviceMapping {
        path_in_container: Some(container.unwrap_or_else(|| host.clone())),
        path_on_host: Some(host),
        cgroup_permissions: Some(permissions.unwrap_or_else(|| "rwm".to_owned())),
    }
}

/// The address of an endpoint: the live one, else the configured static one.
fn endpoint_ip(endpoint: &EndpointSettings) -> Option<Ipv4Addr> {
    endpoint
        .ip_address
        .as_deref()
        .filter(|a| !a.is_empty())
        .and_then(|a| a.parse().ok())
        .or_else(|| {
            endpoint
                .ipam_config
                .as_ref()?
                .ipv4_address
                .as_deref()?
                .parse()
                .ok()
        })
}

/// The enclave network's endpoint among a container's networks (ours are `hortus-*`).
fn enclave_endpoint(
    networks: Option<&HashMap<String, EndpointSettings>>,
) -> Option<&EndpointSettings> {
    let networks = networks?;
    networks
        .iter()
        .find(|(name, _)| name.starts_with(NETWORK_PREFIX))
        .or_else(|| networks.iter().next())
        .map(|(_, endpoint)| endpoint)
}

/// `(port, protocol)` → host port from a `NetworkSettings.Ports` map.
fn host_ports_of(
    ports: &HashMap<String, Option<Vec<PortBinding>>>,
) -> BTreeMap<(u16, String), u16> {
    let mut result = BTreeMap::new();
    for (key, bindings) in ports {
        let (number, protocol) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
        let Ok(number) = number.parse::<u16>() else {
            continue;
        };
        let host_port = bindings
            .iter()
            .flatten()
            .filter_map(|b| b.host_port.as_deref()?.parse::<u16>().ok())
            .find(|p| *p != 0);
        if let Some(host_port) = host_port {
            result.insert((number, protocol.to_owned()), host_port);
        }
    }
    result
}

/// `Exited (137) 2 seconds ago` → 137.
fn exit_code_from_status(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest.split_once(')')?.0.parse().ok()
}

fn state_from_inspect(response: ContainerInspectResponse) -> ContainerState {
    let labels: BTreeMap<String, String> = response
        .config
        .as_ref()
        .and_then(|c| c.labels.clone())
        .unwrap_or_default()
        .into_iter()
        .collect();
    let state = response.state.as_ref();
    let running = state.and_then(|s| s.running).unwrap_or(false);
    let finished = matches!(
        state.and_then(|s| s.status),
        Some(ContainerStateStatusEnum::EXITED | ContainerStateStatusEnum::DEAD)
    );
    let exit_code = if finished {
        state.and_then(|s| s.exit_code)
    } else {
        None
    };
    let settings = response.network_settings.as_ref();
    let ip = enclave_endpoint(settings.and_then(|s| s.networks.as_ref())).and_then(endpoint_ip);
    let host_ports = settings
        .and_then(|s| s.ports.as_ref())
        .map(host_ports_of)
        .unwrap_or_default();
    ContainerState {
        id: response.id.clone().unwrap_or_default(),
        name: response
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned(),
        service_name: labels.get(LABEL_SERVICE_NAME).cloned(),
        labels,
        running,
        exit_code,
        ip,
        host_ports,
    }
}

fn state_from_summary(summary: ContainerSummary) -> ContainerState {
    let labels: BTreeMap<String, String> = summary
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let running = summary.state == Some(ContainerSummaryStateEnum::RUNNING);
    let exit_code = match summary.state {
        Some(ContainerSummaryStateEnum::EXITED | ContainerSummaryStateEnum::DEAD) => {
            summary.status.as_deref().and_then(exit_code_from_status)
        }
        _ => None,
    };
    let ip = enclave_endpoint(
        summary
            .network_settings
            .as_ref()
            .and_then(|s| s.networks.as_ref()),
    )
    .and_then(endpoint_ip);
    let mut host_ports = BTreeMap::new();
    for port in summary.ports.iter().flatten() {
        let Some(public) = port.public_port.filter(|p| *p != 0) else {
            continue;
        };
        let protocol = port
            .typ
            .map(|t| t.to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "tcp".to_owned());
        host_ports.insert((port.private_port, protocol), public);
    }
    let name = summary
        .names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_owned())
        .unwrap_or_default();
    ContainerState {
        id: summary.id.unwrap_or_default(),
        name,
        service_name: labels.get(LABEL_SERVICE_NAME).cloned(),
        labels,
        running,
        exit_code,
        ip,
        host_ports,
    }
}

impl DockerBackend {
    /// Maps a 404 on `container` to `NoSuchContainer`, anything else through `error`.
    pub(super) fn container_error(
        &self,
        operation: &str,
        container: &str,
        error: bollard::errors::Error,
    ) -> BackendError {
        if is_not_found(&error) && message_of(&error).contains("No such container") {
            BackendError::NoSuchContainer(container.to_owned())
        } else {
            self.error(operation, error)
        }
    }

    pub(super) async fn create_enclave_container(
        &self,
        enclave_uuid: &str,
        spec: &ContainerSpec,
    ) -> BackendResult<String> {
        let network = self.enclave_network(enclave_uuid).await?;
        let body = create_body(spec, enclave_uuid, &network)?;
        let options = CreateContainerOptionsBuilder::new()
            .name(&spec.container_name)
            .build();
        match self.docker.create_container(Some(options), body).await {
            Ok(response) => Ok(response.id),
            Err(error) if is_not_found(&error) => {
                let message = message_of(&error).to_owned();
                if message.contains("network") {
                    self.forget_enclave(enclave_uuid);
                    Err(BackendError::NoSuchEnclave(enclave_uuid.to_owned()))
                } else {
                    Err(BackendError::ImageUnavailable {
                        image: spec.image.clone(),
                        reason: message,
                    })
                }
            }
            Err(error) => Err(self.error(
                &format!("creating container `{}`", spec.container_name),
                error,
            )),
        }
    }

    pub(super) async fn start(&self, container: &str) -> BackendResult<()> {
        let operation = format!("starting container `{container}`");
        let mut attempt = 1;
        loop {
            match self.docker.start_container(container, None).await {
                Ok(()) => return Ok(()),
                Err(error)
                    if attempt < START_ATTEMPTS
                        && (message_of(&error).contains("port is already allocated")
                            || message_of(&error).contains("address already in use")) =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => return Err(self.container_error(&operation, container, error)),
            }
        }
    }

    pub(super) async fn stop(&self, container: &str, grace: Duration) -> BackendResult<()> {
        let seconds = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        let client = self.client_with_timeout(grace.saturating_add(STOP_SLACK));
        let options = StopContainerOptionsBuilder::new().t(seconds).build();
        client
            .stop_container(container, Some(options))
            .await
            .map_err(|e| {
                self.container_error(&format!("stopping container `{container}`"), container, e)
            })
    }

    pub(super) async fn remove(&self, container: &str) -> BackendResult<()> {
        let options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        match self.docker.remove_container(container, Some(options)).await {
            Ok(()) => Ok(()),
            // Already gone, or already being removed by someone else.
            Err(error)
                if is_not_found(&error)
                    || (status_of(&error) == Some(409)
                        && message_of(&error).contains("already in progress")) =>
            {
                Ok(())
            }
            Err(error) => Err(self.error(&format!("removing container `{container}`"), error)),
        }
    }

    pub(super) async fn inspect(&self, container: &str) -> BackendResult<ContainerState> {
        let response = self
            .docker
            .inspect_container(container, None)
            .await
            .map_err(|e| {
                self.container_error(&format!("inspecting container `{container}`"), container, e)
            })?;
        Ok(state_from_inspect(response))
    }

    /// Stops every running container of the enclave at once (`enclave stop`), each with
    /// `grace`; failures are collected. Networks, volumes and stopped containers stay.
    pub async fn stop_enclave(&self, enclave_uuid: &str, grace: Duration) -> BackendResult<()> {
        let containers = self.list_enclave_containers(enclave_uuid).await?;
        let stops = containers
            .iter()
            .filter(|c| c.running)
            .map(|c| self.stop(&c.id, grace));
        let failures: Vec<String> = futures::future::join_all(stops)
            .await
            .into_iter()
            .filter_map(|r| r.err())
            .filter(|e| !matches!(e, BackendError::NoSuchContainer(_)))
            .map(|e| e.to_string())
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(BackendError::Docker {
                operation: format!("stopping enclave `{enclave_uuid}`"),
                reason: failures.join("; "),
            })
        }
    }

    pub(super) async fn list_enclave_containers(
        &self,
        enclave_uuid: &str,
    ) -> BackendResult<Vec<ContainerState>> {
        let options = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&label_filter(LABEL_ENCLAVE_UUID, Some(enclave_uuid)))
            .build();
        let containers = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|e| {
                self.error(
                    &format!("listing containers of enclave `{enclave_uuid}`"),
                    e,
                )
            })?;
        let mut states: Vec<ContainerState> =
            containers.into_iter().map(state_from_summary).collect();
        states.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{PortRequest, VolumeMount};

    fn network() -> EnclaveNetwork {
        EnclaveNetwork {
            id: "netid".to_owned(),
            name: "hortus-blue-ravine".to_owned(),
            enclave_name: "blue-ravine".to_owned(),
            subnet: None,
            gateway: None,
        }
    }

    fn spec() -> ContainerSpec {
        ContainerSpec {
            container_name: "web--1a2b".to_owned(),
            service_name: "web".to_owned(),
            image: "hortus-test/busybox:latest".to_owned(),
            cmd: Some(vec!["httpd".to_owned(), "-f".to_owned()]),
            env: vec![("A".to_owned(), "1".to_owned())],
            ports: vec![
                PortRequest {
                    number: 8080,
                    protocol: "TCP".to_owned(),
                    host_port: Some(0),
                },
                PortRequest {
                    number: 9000,
                    protocol: "udp".to_owned(),
                    host_port: Some(19000),
                },
                PortRequest {
                    number: 7000,
                    protocol: "tcp".to_owned(),
                    host_port: None,
                },
            ],
            ip: Some(Ipv4Addr::new(172, 20, 0, 5)),
            cpu_millis: 1500,
            memory_mb: 256,
            init: true,
            volumes: vec![VolumeMount {
                volume: "data--x".to_owned(),
                path: "/data".to_owned(),
            }],
            bind_mounts: vec![("/host".to_owned(), "/in".to_owned())],
            devices: vec!["/dev/fuse".to_owned()],
            ulimits: BTreeMap::from([("nofile".to_owned(), 1024)]),
            restart_always: true,
            ..Default::default()
        }
    }

    #[test]
    fn create_body_places_the_container_on_the_enclave_network_only() {
        let body = create_body(&spec(), "uuid1", &network()).unwrap();
        let host = body.host_config.as_ref().unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("hortus-blue-ravine"));
        let endpoints = body.networking_config.unwrap().endpoints_config.unwrap();
        let endpoint = &endpoints["hortus-blue-ravine"];
        assert_eq!(endpoints.len(), 1);
        assert_eq!(endpoint.aliases, Some(vec!["web".to_owned()]));
        assert_eq!(
            endpoint
                .ipam_config
                .as_ref()
                .unwrap()
                .ipv4_address
                .as_deref(),
            Some("172.20.0.5")
        );
        assert_eq!(body.hostname.as_deref(), Some("web"));
        let labels = body.labels.unwrap();
        assert_eq!(labels[LABEL_ENCLAVE_UUID], "uuid1");
        assert_eq!(labels[LABEL_ENCLAVE_NAME], "blue-ravine");
        assert_eq!(labels[LABEL_SERVICE_NAME], "web");
    }

    #[test]
    fn create_body_publishes_ports_on_loopback() {
        let body = create_body(&spec(), "uuid1", &network()).unwrap();
        let mut exposed = body.exposed_ports.unwrap();
        exposed.sort();
        assert_eq!(exposed, vec!["7000/tcp", "8080/tcp", "9000/udp"]);
        let bindings = body.host_config.unwrap().port_bindings.unwrap();
        assert_eq!(bindings.len(), 2);
        let free = bindings["8080/tcp"].as_ref().unwrap();
        assert_eq!(free[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(free[0].host_port.as_deref(), Some(""));
        let pinned = bindings["9000/udp"].as_ref().unwrap();
        assert_eq!(pinned[0].host_port.as_deref(), Some("19000"));
    }

    #[test]
    fn create_body_converts_limits_and_mounts() {
        let body = create_body(&spec(), "uuid1", &network()).unwrap();
        assert_eq!(body.env, Some(vec!["A=1".to_owned()]));
        let host = body.host_config.unwrap();
        assert_eq!(host.nano_cpus, Some(1_500_000_000));
        assert_eq!(host.memory, Some(256 * 1024 * 1024));
        assert_eq!(host.init, Some(true));
        assert_eq!(
            host.binds,
            Some(vec!["/host:/in".to_owned(), "data--x:/data".to_owned()])
        );
        let device = &host.devices.unwrap()[0];
        assert_eq!(device.path_in_container.as_deref(), Some("/dev/fuse"));
        assert_eq!(device.cgroup_permissions.as_deref(), Some("rwm"));
        assert_eq!(host.ulimits.unwrap()[0].soft, Some(1024));
        assert_eq!(
            host.restart_policy.unwrap().name,
            Some(RestartPolicyNameEnum::ALWAYS)
        );
        assert_eq!(host.shm_size, None);
        assert_eq!(host.privileged, None);
    }

    #[test]
    fn absurd_limits_are_errors_not_panics() {
        let mut huge = spec();
        huge.memory_mb = u64::MAX;
        let error = create_body(&huge, "uuid1", &network()).unwrap_err();
        assert!(error.to_string().contains("memory limit"), "{error}");
    }

    #[test]
    fn task_containers_get_no_alias_or_hostname() {
        let mut task = spec();
        task.service_name = String::new();
        let body = create_body(&task, "uuid1", &network()).unwrap();
        assert_eq!(body.hostname, None);
        assert!(!body.labels.unwrap().contains_key(LABEL_SERVICE_NAME));
    }

    #[test]
    fn port_maps_and_statuses_are_decoded() {
        let ports = HashMap::from([
            (
                "8080/tcp".to_owned(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".to_owned()),
                    host_port: Some("32768".to_owned()),
                }]),
            ),
            ("9000/udp".to_owned(), None),
        ]);
        let decoded = host_ports_of(&ports);
        assert_eq!(decoded, BTreeMap::from([((8080, "tcp".to_owned()), 32768)]));
        assert_eq!(
            exit_code_from_status("Exited (137) 2 seconds ago"),
            Some(137)
        );
        assert_eq!(exit_code_from_status("Up 3 minutes"), None);
        assert_eq!(
            device_mapping("/dev/a:/dev/b:r").path_on_host.as_deref(),
            Some("/dev/a")
        );
    }
}

//! Service instructions: `add_service`, `add_services` (bounded concurrency), start, stop
//! and remove, plus the container start sequence (IP reservation, placeholder and FR
//! substitution, artifact volumes uploaded before start, port probes, readiness) and the
//! run summary (starlark-api.md §4.1, §4.2, §4.10, §4.13–§4.14; cli-and-runtime.md §12.3).

use super::recipes::{RecipeTarget, WaitSpec, wait_loop};
use super::{Ctx, Failure, Http, PortSummary, ServiceSummary, Step, values};
use crate::backend::{
    Backend, ContainerSpec, LABEL_CUSTOM_PREFIX, LABEL_KIND, LABEL_PORTS, LABEL_SERVICE_NAME,
    LABEL_SERVICE_UUID, PortRequest, VolumeMount,
};
use crate::enclave::Enclave;
use crate::state::{EnclaveState, PortRecord, RuntimeValues, ServiceRecord};
use futures::StreamExt;
use hortus_plan::instruction::{AddService, AddServices, service_runtime_id};
use hortus_plan::{FileMount, GoDuration, ServiceConfig, TransportProtocol};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

const STOP_GRACE: Duration = Duration::from_secs(10);
const LOG_TAIL: usize = 20;

/// A service after its container started and its ports answered.
struct Started {
    name: String,
    record: ServiceRecord,
}

fn protocol_name(p: TransportProtocol) -> &'static str {
    match p {
        TransportProtocol::Tcp => "TCP",
        TransportProtocol::Udp => "UDP",
        TransportProtocol::Sctp => "SCTP",
    }
}

/// Adds the "ignored on Docker" warning once per run.
fn warn_ignored<B: Backend>(ctx: &mut Ctx<'_, B>, config: &ServiceConfig) {
    if ctx.warned_ignored {
        return;
    }
    let mut ignored = Vec::new();
    if !config.tolerations.is_empty() {
        ignored.push("tolerations");
    }
    if !config.node_selectors.is_empty() {
        ignored.push("node_selectors");
    }
    if config.gpu.is_some() {
        ignored.push("gpu");
    }
    if !ignored.is_empty() {
        ctx.warned_ignored = true;
        ctx.warnings.push(format!(
            "{} are ignored by the Docker backend",
            ignored.join(", ")
        ));
    }
}

/// Creates, fills and starts the container of one service and probes its ports.
async fn start_service_container<B: Backend>(
    backend: &B,
    enclave_uuid: &str,
    state: &EnclaveState,
    runtime: &RuntimeValues,
    name: &str,
    config: &ServiceConfig,
    uuid: String,
) -> Step<Started> {
    let ip = backend.reserve_ip(enclave_uuid).await?;
    let ip_text = ip.to_string();
    let placeholder = config.private_ip_address_placeholder.as_str();
    let fix = |text: &str| -> Step<String> {
        let substituted = values::substitute(runtime, text)?;
        Ok(if placeholder.is_empty() {
            substituted
        } else {
            substituted.replace(placeholder, &ip_text)
        })
    };
    let entrypoint = config
        .entrypoint
        .iter()
        .map(|s| fix(s))
        .collect::<Step<Vec<_>>>()?;
    let cmd = config
        .cmd
        .iter()
        .map(|s| fix(s))
        .collect::<Step<Vec<_>>>()?;
    let env = config
        .env_vars
        .iter()
        .map(|(k, v)| Ok((k.clone(), fix(v)?)))
        .collect::<Step<Vec<_>>>()?;

    let mut ports = Vec::new();
    let mut records = Vec::new();
    for (id, spec) in &config.ports {
        let host_port = match (spec.transport_protocol, config.public_ports.get(id)) {
            (_, Some(public)) => Some(public.number),
            (TransportProtocol::Udp, None) if !config.publish_udp => None,
            _ => Some(0),
        };
        ports.push(PortRequest {
            number: spec.number,
            protocol: spec.transport_protocol.docker_name().to_owned(),
            host_port,
        });
        records.push(PortRecord {
            id: id.clone(),
            number: spec.number,
            protocol: protocol_name(spec.transport_protocol).to_owned(),
            application_protocol: spec.application_protocol.clone(),
            host_port: None,
        });
    }
    for (id, spec) in &config.public_ports {
        if !config.ports.contains_key(id) {
            ports.push(PortRequest {
                number: spec.number,
                protocol: spec.transport_protocol.docker_name().to_owned(),
                host_port: Some(spec.number),
            });
        }
    }

    let mut labels = BTreeMap::new();
    labels.insert(LABEL_KIND.to_owned(), "service".to_owned());
    labels.insert(LABEL_SERVICE_NAME.to_owned(), name.to_owned());
    labels.insert(LABEL_SERVICE_UUID.to_owned(), uuid.clone());
    labels.insert(
        LABEL_PORTS.to_owned(),
        serde_json::to_string(&records).unwrap_or_default(),
    );
    for (k, v) in &config.labels {
        labels.insert(format!("{LABEL_CUSTOM_PREFIX}{k}"), v.clone());
    }

    let mut volumes = Vec::new();
    let mut uploads = Vec::new();
    for (index, (path, mount)) in config.files.iter().enumerate() {
        let volume = match mount {
            FileMount::Artifacts(names) => {
                for artifact in names {
                    uploads.push((path.clone(), state.read_artifact(artifact)?));
                }
                format!("{name}--{uuid}--files-{index}")
            }
            FileMount::Persistent { key, .. } => format!("{key}--{enclave_uuid}"),
        };
        let mut volume_labels = BTreeMap::new();
        volume_labels.insert(LABEL_KIND.to_owned(), "volume".to_owned());
        volume_labels.insert(LABEL_SERVICE_NAME.to_owned(), name.to_owned());
        backend
            .create_volume(enclave_uuid, &volume, volume_labels)
            .await?;
        volumes.push(VolumeMount {
            volume,
            path: path.clone(),
        });
    }

    let spec = ContainerSpec {
        container_name: format!("{name}--{uuid}"),
        service_name: name.to_owned(),
        image: config.image.image_name().to_owned(),
        entrypoint: (!entrypoint.is_empty()).then_some(entrypoint),
        cmd: (!cmd.is_empty()).then_some(cmd),
        env,
        labels,
        ports,
        ip: Some(ip),
        user: config.user.as_ref().map(|u| match u.gid {
            Some(g) => format!("{}:{g}", u.uid),
            None => u.uid.to_string(),
        }),
        cpu_millis: config.max_cpu,
        memory_mb: config.max_memory,
        init: config.tini_enabled,
        tty: config.tty_enabled,
        privileged: config.privileged,
        host_pid: config.host_pid_namespace,
        devices: config.devices.clone(),
        capabilities: config.capabilities.clone(),
        bind_mounts: config
            .bind_mounts
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        volumes,
        shm_size_mb: config.gpu.as_ref().map_or(0, |g| g.shm_size),
        ulimits: config
            .gpu
            .as_ref()
            .map(|g| g.ulimits.clone())
            .unwrap_or_default(),
        restart_always: false,
    };
    let container_id = backend.create_container(enclave_uuid, &spec).await?;
    for (path, tgz) in uploads {
        backend.upload_archive(&container_id, &path, tgz).await?;
    }
    backend.start_container(&container_id).await?;

    // Port probes, concurrently, straight to the private address.
    let probe_ip = backend
        .inspect_container(&container_id)
        .await
        .ok()
        .and_then(|s| s.ip)
        .unwrap_or(ip);
    let probes = config
        .ports
        .iter()
        .chain(
            config
                .public_ports
                .iter()
                .filter(|(id, _)| !config.ports.contains_key(*id)),
        )
        .filter(|(_, p)| p.transport_protocol == TransportProtocol::Tcp)
        .filter_map(|(id, p)| p.wait.map(|w| (id.clone(), p.number, w)))
        .map(|(id, number, wait)| async move {
            probe(probe_ip, number, wait.as_std())
                .await
                .map_err(|()| (id, number, wait))
        });
    let failures: Vec<_> = futures::future::join_all(probes)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    if let Some((id, number, wait)) = failures.into_iter().next() {
        let state_now = backend.inspect_container(&container_id).await.ok();
        let logs = backend.logs(&container_id, LOG_TAIL).await.ok();
        let _ = backend.stop_container(&container_id, STOP_GRACE).await;
        let exit = match state_now {
            Some(s) if !s.running => match s.exit_code {
                Some(code) => format!("; the container exited with code {code}"),
                None => "; the container is not running".to_owned(),
            },
            _ => String::new(),
        };
        return Err(Failure {
            message: format!(
                "service `{name}`: port `{id}` ({number}/tcp) did not open within {}{exit}",
                GoDuration {
                    nanos: u64::try_from(wait.as_std().as_nanos()).unwrap_or(u64::MAX)
                }
            ),
            logs,
        });
    }

    if let Ok(s) = backend.inspect_container(&container_id).await {
        for r in &mut records {
            let proto = r.protocol.to_ascii_lowercase();
            r.host_port = s.host_ports.get(&(r.number, proto)).copied();
        }
    }
    Ok(Started {
        name: name.to_owned(),
        record: ServiceRecord {
            uuid,
            container_id,
            ip: probe_ip.to_string(),
            ports: records,
        },
    })
}

/// TCP connect every 500 ms (200 ms dial timeout) until it succeeds or `wait` elapses.
async fn probe(ip: Ipv4Addr, port: u16, wait: Duration) -> Result<(), ()> {
    let addr = SocketAddr::from((ip, port));
    let start = Instant::now();
    loop {
        let attempt = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await;
        if matches!(attempt, Ok(Ok(_))) {
            return Ok(());
        }
        if start.elapsed() >= wait {
            return Err(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Evaluates a service's ready condition with the wait algorithm.
async fn check_ready<B: Backend>(
    backend: &B,
    http: &Http,
    runtime: &RuntimeValues,
    started: &Started,
    config: &ServiceConfig,
) -> Step<()> {
    let Some(ready) = &config.ready_conditions else {
        return Ok(());
    };
    let interval = GoDuration::parse(&ready.interval).map_err(|e| {
        Failure::new(format!(
            "An error occurred getting the interval value from ready conditions of service '{}': {e}",
            started.name
        ))
    })?;
    let timeout = GoDuration::parse(&ready.timeout).map_err(|e| {
        Failure::new(format!(
            "An error occurred getting the timeout value from ready conditions of service '{}': {e}",
            started.name
        ))
    })?;
    let target = RecipeTarget {
        service_name: &started.name,
        service: &started.record,
    };
    let spec = WaitSpec {
        recipe: &ready.recipe,
        field: &ready.field,
        assertion: ready.assertion,
        target: &ready.target_value,
        interval: interval.as_std(),
        timeout: timeout.as_std(),
    };
    wait_loop(backend, http, runtime, &target, &spec)
        .await
        .map(|_| ())
        .map_err(|f| {
            Failure::new(format!(
                "An error occurred while checking if service '{}' is ready: {}",
                started.name, f.message
            ))
        })
}

/// Removes the current container of `name` (update), keeping its uuid.
async fn remove_old<B: Backend>(ctx: &mut Ctx<'_, B>, name: &str) -> Option<String> {
    let old = ctx.enclave.state.services.get(name)?.clone();
    let _ = ctx.backend.remove_container(&old.container_id).await;
    Some(old.uuid)
}

/// Registers the container a failed start left behind, or drops the registration.
async fn register_failed<B: Backend>(ctx: &mut Ctx<'_, B>, name: &str, uuid: String) {
    let container_name = format!("{name}--{uuid}");
    let found = ctx
        .backend
        .list_containers(&ctx.enclave.uuid)
        .await
        .ok()
        .and_then(|all| {
            all.into_iter()
                .find(|c| c.name.trim_start_matches('/') == container_name)
        });
    match found {
        Some(c) => {
            ctx.enclave.state.services.insert(
                name.to_owned(),
                ServiceRecord {
                    uuid,
                    container_id: c.id,
                    ip: c.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                    ports: Vec::new(),
                },
            );
        }
        None => {
            ctx.enclave.state.services.remove(name);
        }
    }
}

/// Records a started service in the enclave (before readiness: a service whose ready
/// condition fails stays, running, so a re-run or `remove_service` replaces it).
fn register(enclave: &mut Enclave, started: &Started) {
    enclave
        .state
        .services
        .insert(started.name.clone(), started.record.clone());
}

/// Stores the `ip_address` and `hostname` runtime values, once the service is ready
/// (§4.1 step 6, §4.2): a service that never got ready leaves them unset (or as an
/// earlier run left them).
fn store_runtime_values(enclave: &mut Enclave, started: &Started) {
    let fields = enclave
        .state
        .runtime_values
        .entry(service_runtime_id(&started.name))
        .or_default();
    fields.insert(
        "ip_address".to_owned(),
        Value::String(started.record.ip.clone()),
    );
    fields.insert("hostname".to_owned(), Value::String(started.name.clone()));
}

pub(crate) async fn add_service<B: Backend>(ctx: &mut Ctx<'_, B>, a: &AddService) -> Step<String> {
    let config = a.set_service_override.as_ref().unwrap_or(&a.config);
    warn_ignored(ctx, config);
    let name = values::substitute(&ctx.enclave.state.runtime_values, &a.name)?;
    let uuid = remove_old(ctx, &name)
        .await
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let started = start_service_container(
        ctx.backend,
        &ctx.enclave.uuid,
        &ctx.enclave.state,
        &ctx.enclave.state.runtime_values,
        &name,
        config,
        uuid.clone(),
    )
    .await;
    let started = match started {
        Ok(s) => s,
        Err(f) => {
            // The failed container stays (stopped) for inspection; keep it registered so
            // a re-run or `remove_service` replaces it instead of leaving an orphan.
            register_failed(ctx, &name, uuid).await;
            return Err(f);
        }
    };
    // Registered before readiness (the container exists and stays even when not ready);
    // the runtime values only once it is ready.
    register(ctx.enclave, &started);
    check_ready(
        ctx.backend,
        &ctx.http,
        &ctx.enclave.state.runtime_values,
        &started,
        config,
    )
    .await?;
    store_runtime_values(ctx.enclave, &started);
    Ok(format!(
        "Service '{}' added with service UUID '{}'",
        started.name, started.record.uuid
    ))
}

pub(crate) async fn add_services<B: Backend>(
    ctx: &mut Ctx<'_, B>,
    a: &AddServices,
) -> Step<String> {
    let mut jobs = Vec::new();
    let mut created = 0usize;
    for (raw_name, config) in &a.configs {
        warn_ignored(ctx, config);
        let name = values::substitute(&ctx.enclave.state.runtime_values, raw_name)?;
        let uuid = match remove_old(ctx, &name).await {
            Some(uuid) => uuid,
            None => {
                created += 1;
                uuid::Uuid::new_v4().simple().to_string()
            }
        };
        jobs.push((name, config, uuid));
    }
    let backend = ctx.backend;
    let enclave_uuid = ctx.enclave.uuid.clone();
    let state = &ctx.enclave.state;
    let runtime = &ctx.enclave.state.runtime_values;
    let results: Vec<(String, Step<Started>)> =
        futures::stream::iter(jobs.iter().map(|(name, config, uuid)| {
            let enclave_uuid = enclave_uuid.as_str();
            async move {
                let r = start_service_container(
                    backend,
                    enclave_uuid,
                    state,
                    runtime,
                    name,
                    config,
                    uuid.clone(),
                )
                .await;
                (name.clone(), r)
            }
        }))
        .buffer_unordered(ctx.opts.parallelism.max(1))
        .collect()
        .await;

    let mut started = Vec::new();
    let mut failed = Vec::new();
    let mut logs = Vec::new();
    for (name, r) in results {
        match r {
            Ok(s) => started.push(s),
            Err(f) => {
                if let Some(l) = &f.logs {
                    logs.push(format!("{name}:\n{l}"));
                }
                failed.push(format!("  {name}: {}", f.message));
            }
        }
    }
    if !failed.is_empty() {
        for s in &started {
            let _ = backend.remove_container(&s.record.container_id).await;
        }
        for (name, _, _) in &jobs {
            ctx.enclave.state.services.remove(name);
        }
        failed.sort();
        return Err(Failure {
            message: format!(
                "failed to start services; the entire batch was rolled back:\n{}",
                failed.join("\n")
            ),
            logs: (!logs.is_empty()).then(|| logs.join("\n")),
        });
    }
    for s in &started {
        register(ctx.enclave, s);
    }
    let runtime = &ctx.enclave.state.runtime_values;
    let http = &ctx.http;
    let checks = started.iter().map(|s| async move {
        let config = a
            .configs
            .iter()
            .find(|(n, _)| values::substitute(runtime, n).ok().as_deref() == Some(&s.name))
            .map(|(_, c)| c);
        match config {
            Some(c) => check_ready(backend, http, runtime, s, c).await,
            None => Ok(()),
        }
    });
    let ready: Vec<Step<()>> = futures::stream::iter(checks)
        .buffer_unordered(ctx.opts.parallelism.max(1))
        .collect()
        .await;
    let errors: Vec<String> = ready
        .into_iter()
        .filter_map(Result::err)
        .map(|f| format!("  {}", f.message))
        .collect();
    if !errors.is_empty() {
        return Err(Failure::new(format!(
            "An error occurred while checking all service, these are the errors by service:\n{}",
            errors.join("\n")
        )));
    }
    for s in &started {
        store_runtime_values(ctx.enclave, s);
    }
    let mut text = format!("Successfully added the following '{created}' services:");
    for s in &started {
        text.push_str(&format!(
            "\n  Service '{}' added with UUID '{}'",
            s.name, s.record.uuid
        ));
    }
    Ok(text)
}

fn record<B: Backend>(ctx: &Ctx<'_, B>, name: &str) -> Step<ServiceRecord> {
    ctx.enclave
        .state
        .services
        .get(name)
        .cloned()
        .ok_or_else(|| Failure::new(format!("service `{name}` does not exist in the enclave")))
}

pub(crate) async fn remove_service<B: Backend>(ctx: &mut Ctx<'_, B>, name: &str) -> Step<String> {
    let r = record(ctx, name)?;
    match ctx.backend.remove_container(&r.container_id).await {
        Ok(()) | Err(crate::backend::BackendError::NoSuchContainer(_)) => {}
        Err(e) => return Err(e.into()),
    }
    ctx.enclave.state.services.remove(name);
    Ok(format!(
        "Service '{name}' with service UUID '{}' removed",
        r.uuid
    ))
}

pub(crate) async fn start_service<B: Backend>(ctx: &mut Ctx<'_, B>, name: &str) -> Step<String> {
    let r = record(ctx, name)?;
    ctx.backend.start_container(&r.container_id).await?;
    if let Ok(s) = ctx.backend.inspect_container(&r.container_id).await
        && let Some(rec) = ctx.enclave.state.services.get_mut(name)
    {
        for p in &mut rec.ports {
            let proto = p.protocol.to_ascii_lowercase();
            p.host_port = s.host_ports.get(&(p.number, proto)).copied();
        }
    }
    Ok(format!("Service '{name}' started"))
}

pub(crate) async fn stop_service<B: Backend>(ctx: &mut Ctx<'_, B>, name: &str) -> Step<String> {
    let r = record(ctx, name)?;
    ctx.backend
        .stop_container(&r.container_id, STOP_GRACE)
        .await?;
    Ok(format!("Service '{name}' stopped"))
}

/// Every registered service with its live status.
pub(crate) async fn summaries<B: Backend>(backend: &B, enclave: &Enclave) -> Vec<ServiceSummary> {
    let mut out = Vec::new();
    for (name, r) in &enclave.state.services {
        let status = match backend.inspect_container(&r.container_id).await {
            Ok(s) if s.running => "RUNNING",
            Ok(_) => "STOPPED",
            Err(_) => "UNKNOWN",
        };
        out.push(ServiceSummary {
            name: name.clone(),
            uuid: r.uuid.clone(),
            status: status.to_owned(),
            ports: r
                .ports
                .iter()
                .map(|p| PortSummary {
                    id: p.id.clone(),
                    number: p.number,
                    protocol: p.protocol.clone(),
                    application_protocol: p.application_protocol.clone(),
                    host_port: p.host_port,
                })
                .collect(),
        });
    }
    out
}

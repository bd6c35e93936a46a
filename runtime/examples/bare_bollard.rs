//! The baseline for the runtime benchmarks (`bench/runtime/run.sh`): the same Docker work
//! hortus does, issued directly through bollard with nothing around it.
//!
//! ```text
//! cargo run --release -p hortus-runtime --example bare_bollard -- network N
//!     N sequential network create + remove (one labelled bridge network each)
//! cargo run --release -p hortus-runtime --example bare_bollard -- services N
//!     one network, then N `hortus-test/busybox:latest` containers running `httpd -f -p 8080`
//!     (port 8080 published on 127.0.0.1, as hortus does), created and started
//!     concurrently, then all force-removed with the network
//! ```
//!
//! `backend-network N` and `backend-services N` do the same through hortus's own
//! `DockerBackend` (enclave network with its subnet, reserved static IPs, labels, `init`
//! off), which isolates the backend's overhead from the CLI's.
//!
//! Prints the elapsed seconds (connection setup included) on stdout.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkCreateRequest, NetworkingConfig,
    PortBinding,
};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use futures::future::{join_all, try_join_all};
use hortus_runtime::backend::{Backend, BackendError, ContainerSpec, PortRequest};
use hortus_runtime::docker::DockerBackend;

const IMAGE: &str = "hortus-test/busybox:latest";

type Error = Box<dyn std::error::Error + Send + Sync>;

fn labels() -> HashMap<String, String> {
    HashMap::from([("hortus.bench".to_owned(), "bare".to_owned())])
}

async fn create_network(docker: &Docker, name: &str) -> Result<String, Error> {
    let response = docker
        .create_network(NetworkCreateRequest {
            name: name.to_owned(),
            driver: Some("bridge".to_owned()),
            labels: Some(labels()),
            ..Default::default()
        })
        .await?;
    Ok(response.id)
}

async fn networks(docker: &Docker, count: usize) -> Result<(), Error> {
    for index in 0..count {
        let id = create_network(
            docker,
            &format!("bare-bench-{}-{index}", std::process::id()),
        )
        .await?;
        docker.remove_network(&id).await?;
    }
    Ok(())
}

async fn create_and_start(docker: &Docker, network: &str, name: String) -> Result<String, Error> {
    let body = ContainerCreateBody {
        image: Some(IMAGE.to_owned()),
        cmd: Some(vec![
            "httpd".into(),
            "-f".into(),
            "-p".into(),
            "8080".into(),
        ]),
        hostname: Some(name.clone()),
        labels: Some(labels()),
        exposed_ports: Some(vec!["8080/tcp".to_owned()]),
        host_config: Some(HostConfig {
            network_mode: Some(network.to_owned()),
            port_bindings: Some(HashMap::from([(
                "8080/tcp".to_owned(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".to_owned()),
                    host_port: Some(String::new()),
                }]),
            )])),
            ..Default::default()
        }),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                network.to_owned(),
                EndpointSettings {
                    aliases: Some(vec![name.clone()]),
                    ..Default::default()
                },
            )])),
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::new().name(&name).build();
    let created = docker.create_container(Some(options), body).await?;
    docker.start_container(&created.id, None).await?;
    Ok(created.id)
}

async fn services(docker: &Docker, count: usize) -> Result<(), Error> {
    let tag = std::process::id();
    let network = format!("bare-bench-{tag}");
    create_network(docker, &network).await?;
    let names: Vec<String> = (0..count)
        .map(|index| format!("bare-{tag}-svc-{index}"))
        .collect();
    let ids = try_join_all(
        names
            .iter()
            .map(|name| create_and_start(docker, &network, name.clone())),
    )
    .await;
    let remove = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    // Remove by name: after a partial failure the ids of the containers that were created
    // are unknown, and a container left behind would keep the network busy.
    let removed = join_all(
        names
            .iter()
            .map(|name| docker.remove_container(name, Some(remove.clone()))),
    )
    .await;
    if ids.is_ok() {
        removed.into_iter().collect::<Result<Vec<_>, _>>()?;
    }
    docker.remove_network(&network).await?;
    ids.map(|_| ())
}

async fn backend_networks(count: usize) -> Result<(), Error> {
    let backend = DockerBackend::connect().await?;
    for index in 0..count {
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        backend
            .create_enclave(&format!("bench-{}-{index}", std::process::id()), &uuid)
            .await?;
        backend.remove_enclave(&uuid).await?;
    }
    Ok(())
}

async fn backend_services(count: usize) -> Result<(), Error> {
    let backend = DockerBackend::connect().await?;
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    backend
        .create_enclave(&format!("bench-{}", std::process::id()), &uuid)
        .await?;
    let backend = &backend;
    let uuid = uuid.as_str();
    let started = try_join_all((0..count).map(|index| async move {
        let ip = backend.reserve_ip(uuid).await?;
        let spec = ContainerSpec {
            container_name: format!("svc-{index}--{}", uuid.get(..12).unwrap_or(uuid)),
            service_name: format!("svc-{index}"),
            image: IMAGE.to_owned(),
            cmd: Some(vec![
                "httpd".into(),
                "-f".into(),
                "-p".into(),
                "8080".into(),
            ]),
            ports: vec![PortRequest {
                number: 8080,
                protocol: "tcp".to_owned(),
                host_port: Some(0),
            }],
            ip: Some(ip),
            ..Default::default()
        };
        let id = backend.create_container(uuid, &spec).await?;
        backend.start_container(&id).await?;
        Ok::<_, BackendError>(id)
    }))
    .await;
    backend.remove_enclave(uuid).await?;
    started.map(|_| ()).map_err(Into::into)
}

async fn run(mode: &str, count: usize) -> Result<(), Error> {
    match mode {
        "backend-network" => return backend_networks(count).await,
        "backend-services" => return backend_services(count).await,
        _ => {}
    }
    let docker = Docker::connect_with_defaults()?.negotiate_version().await?;
    match mode {
        "network" => networks(&docker, count).await,
        "services" => services(&docker, count).await,
        other => Err(format!(
            "unknown mode `{other}`: expected `network`, `services`, `backend-network` or `backend-services`"
        )
        .into()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(count)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: bare_bollard (network|services|backend-network|backend-services) N");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    match run(mode, count).await {
        Ok(()) => {
            println!("{:.3}", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bare_bollard: {error}");
            ExitCode::FAILURE
        }
    }
}

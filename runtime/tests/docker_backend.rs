//! Docker backend against the real engine (feature `docker-tests`). Needs the registry-free
//! test image: run `scripts/build-test-images.sh` first. With the feature on and no engine,
//! every test fails at once with a message saying so: nothing is skipped silently.
//!
//! Every test works in its own enclave and removes it in a drop guard, even on failure.
#![cfg(feature = "docker-tests")]
// Test helpers fail loudly: unwrap, panic and report cleanup failures on stderr.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
};
use hortus_runtime::backend::{
    Backend, BackendError, ContainerSpec, EnclaveStatus, ImageBuild, ImageOrigin,
    LABEL_ENCLAVE_UUID, PortRequest, PullPolicy, VolumeMount,
};
use hortus_runtime::docker::DockerBackend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const IMAGE: &str = "hortus-test/busybox:latest";

/// Connects or fails with a message that says what to fix.
async fn backend() -> Arc<DockerBackend> {
    let backend = match DockerBackend::connect().await {
        Ok(backend) => backend,
        Err(error) => {
            panic!("the `docker-tests` feature is on but the Docker engine is unreachable: {error}")
        }
    };
    match backend.ensure_image(IMAGE, PullPolicy::Missing).await {
        Ok(ImageOrigin::LocallyCached) => {}
        other => panic!(
            "test image `{IMAGE}` is missing ({other:?}): run scripts/build-test-images.sh first"
        ),
    }
    Arc::new(backend)
}

/// An enclave that is removed when the test ends, however it ends.
struct Enclave {
    backend: Arc<DockerBackend>,
    name: String,
    uuid: String,
}

impl Enclave {
    async fn new(test: &str) -> Enclave {
        let backend = backend().await;
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("t-{test}-{}", &uuid[..8]);
        let info = backend.create_enclave(&name, &uuid).await.unwrap();
        assert_eq!(info.uuid, uuid);
        assert_eq!(info.status, EnclaveStatus::Empty);
        Enclave {
            backend,
            name,
            uuid,
        }
    }

    fn container(&self, service: &str, cmd: &[&str]) -> ContainerSpec {
        ContainerSpec {
            container_name: format!("{service}--{}", &self.uuid[..12]),
            service_name: service.to_owned(),
            image: IMAGE.to_owned(),
            cmd: Some(cmd.iter().map(|s| (*s).to_owned()).collect()),
            labels: BTreeMap::from([("hortus.kind".to_owned(), "service".to_owned())]),
            ..Default::default()
        }
    }
}

impl Drop for Enclave {
    fn drop(&mut self) {
        // The test's runtime may be gone or busy: clean up from a thread of our own.
        let uuid = self.uuid.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let backend = DockerBackend::connect().await.unwrap();
                backend.remove_enclave(&uuid).await
            })
        });
        if let Ok(Err(error)) = cleanup.join() {
            eprintln!("cleanup of enclave `{}` failed: {error}", self.name);
        }
    }
}

fn tgz(files: &[(&str, &str)]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        builder
            .append_data(&mut header, path, content.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// `GET path` on 127.0.0.1:port with HTTP/1.0, retried while the server starts.
async fn http_get(port: u16, path: &str) -> String {
    let mut last_error = String::new();
    for _ in 0..50 {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Ok(mut stream) => {
                let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
                stream.write_all(request.as_bytes()).await.unwrap();
                let mut response = String::new();
                match stream.read_to_string(&mut response).await {
                    Ok(_) if !response.is_empty() => return response,
                    Ok(_) => last_error = "empty response".to_owned(),
                    Err(error) => last_error = error.to_string(),
                }
            }
            Err(error) => last_error = error.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no HTTP answer on 127.0.0.1:{port}: {last_error}");
}

/// Counts the engine's objects carrying the enclave label (containers, volumes, networks).
async fn labelled_objects(backend: &DockerBackend, uuid: &str) -> (usize, usize, usize) {
    let docker = backend.client();
    let filter = HashMap::from([("label", vec![format!("{LABEL_ENCLAVE_UUID}={uuid}")])]);
    let containers = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::new()
                .all(true)
                .filters(&filter)
                .build(),
        ))
        .await
        .unwrap();
    let volumes = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::new().filters(&filter).build(),
        ))
        .await
        .unwrap();
    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::new().filters(&filter).build(),
        ))
        .await
        .unwrap();
    (
        containers.len(),
        volumes.volumes.unwrap_or_default().len(),
        networks.len(),
    )
}

#[tokio::test]
async fn enclave_create_list_remove_leaves_nothing() {
    let enclave = Enclave::new("life").await;
    let backend = &enclave.backend;
    let uuid = &enclave.uuid;

    // Same name again: the existing enclave comes back.
    let again = backend
        .create_enclave(&enclave.name, "ffffffffffffffffffffffffffffffff")
        .await
        .unwrap();
    assert_eq!(&again.uuid, uuid);

    backend
        .create_volume(uuid, &format!("data--{uuid}"), BTreeMap::new())
        .await
        .unwrap();
    let mut spec = enclave.container("idle", &["sleep", "300"]);
    spec.volumes = vec![VolumeMount {
        volume: format!("data--{uuid}"),
        path: "/data".to_owned(),
    }];
    let id = backend.create_container(uuid, &spec).await.unwrap();
    let listed = backend.list_enclaves().await.unwrap();
    let mine = listed.iter().find(|e| &e.uuid == uuid).unwrap();
    assert_eq!(mine.name, enclave.name);
    assert_eq!(mine.status, EnclaveStatus::Stopped);
    assert!(mine.created.ends_with('Z'), "{}", mine.created);

    backend.start_container(&id).await.unwrap();
    let listed = backend.list_enclaves().await.unwrap();
    let mine = listed.iter().find(|e| &e.uuid == uuid).unwrap();
    assert_eq!(mine.status, EnclaveStatus::Running);
    let states = backend.list_containers(uuid).await.unwrap();
    assert_eq!(states.len(), 1);
    assert!(states[0].running);
    assert_eq!(states[0].service_name.as_deref(), Some("idle"));

    backend
        .stop_enclave(uuid, Duration::from_secs(1))
        .await
        .unwrap();
    let listed = backend.list_enclaves().await.unwrap();
    let mine = listed.iter().find(|e| &e.uuid == uuid).unwrap();
    assert_eq!(mine.status, EnclaveStatus::Stopped);

    assert_eq!(labelled_objects(backend, uuid).await, (1, 1, 1));
    backend.remove_enclave(uuid).await.unwrap();
    assert_eq!(labelled_objects(backend, uuid).await, (0, 0, 0));
    // Idempotent.
    backend.remove_enclave(uuid).await.unwrap();
    assert!(
        !backend
            .list_enclaves()
            .await
            .unwrap()
            .iter()
            .any(|e| &e.uuid == uuid)
    );
    assert!(matches!(
        backend.reserve_ip(uuid).await,
        Err(BackendError::NoSuchEnclave(_))
    ));
}

#[tokio::test]
async fn published_port_serves_a_file_uploaded_before_start_at_a_static_ip() {
    let enclave = Enclave::new("http").await;
    let backend = &enclave.backend;
    let ip = backend.reserve_ip(&enclave.uuid).await.unwrap();
    let mut spec = enclave.container("web", &["httpd", "-f", "-p", "8080", "-h", "/srv/www"]);
    spec.ports = vec![PortRequest {
        number: 8080,
        protocol: "tcp".to_owned(),
        host_port: Some(0),
    }];
    spec.ip = Some(ip);
    spec.init = true;
    let id = backend
        .create_container(&enclave.uuid, &spec)
        .await
        .unwrap();
    // `/srv/www` does not exist in the image: the upload must create it.
    backend
        .upload_archive(
            &id,
            "/srv/www",
            tgz(&[("index.html", "hello from hortus\n")]),
        )
        .await
        .unwrap();
    backend.start_container(&id).await.unwrap();

    let state = backend.inspect_container(&id).await.unwrap();
    assert!(state.running);
    assert_eq!(state.ip, Some(ip), "static IP not honoured");
    assert_eq!(state.name, spec.container_name);
    let port = state.host_ports[&(8080, "tcp".to_owned())];
    let response = http_get(port, "/index.html").await;
    assert!(
        response.starts_with("HTTP/1.") && response.contains(" 200 "),
        "{response}"
    );
    assert!(response.contains("hello from hortus"), "{response}");

    let listed = backend.list_containers(&enclave.uuid).await.unwrap();
    assert_eq!(listed[0].ip, Some(ip));
    assert_eq!(listed[0].host_ports, state.host_ports);

    backend
        .stop_container(&id, Duration::from_secs(2))
        .await
        .unwrap();
    let stopped = backend.inspect_container(&id).await.unwrap();
    assert!(!stopped.running);
    assert!(stopped.exit_code.is_some());
    backend.remove_container(&id).await.unwrap();
    backend.remove_container(&id).await.unwrap();
    assert!(matches!(
        backend.inspect_container(&id).await,
        Err(BackendError::NoSuchContainer(_))
    ));
}

#[tokio::test]
async fn reserved_addresses_are_distinct_and_skip_the_gateway() {
    let enclave = Enclave::new("ips").await;
    let backend = &enclave.backend;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(backend.reserve_ip(&enclave.uuid).await.unwrap());
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    for address in &seen {
        assert_ne!(address.octets()[3], 1, "gateway handed out: {address}");
        assert_ne!(address.octets()[3], 0);
    }
    // A second process (a fresh backend) skips the static address of an existing container.
    let mut spec = enclave.container("holder", &["sleep", "300"]);
    spec.ip = Some(seen[0]);
    backend
        .create_container(&enclave.uuid, &spec)
        .await
        .unwrap();
    let fresh = DockerBackend::connect().await.unwrap();
    let next = fresh.reserve_ip(&enclave.uuid).await.unwrap();
    assert_ne!(next, seen[0]);
    let gateway = Ipv4Addr::from(u32::from(seen[0]) & 0xffff_ff00 | 1);
    assert_ne!(next, gateway);
}

#[tokio::test]
async fn exec_download_and_logs() {
    let enclave = Enclave::new("exec").await;
    let backend = &enclave.backend;
    let spec = enclave.container(
        "worker",
        &[
            "sh",
            "-c",
            "for i in 1 2 3 4 5; do echo line$i; done; exec sleep 300",
        ],
    );
    let id = backend
        .create_container(&enclave.uuid, &spec)
        .await
        .unwrap();
    backend.start_container(&id).await.unwrap();

    let argv = |args: &[&str]| args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let output = backend
        .exec(
            &id,
            &argv(&["sh", "-c", "echo out; sleep 0.1; echo err >&2; exit 3"]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(output.exit_code, 3);
    assert_eq!(output.output, "out\nerr\n");
    let ok = backend
        .exec(&id, &argv(&["cat", "/etc/passwd"]), None)
        .await
        .unwrap();
    assert_eq!(ok.exit_code, 0);
    assert!(ok.output.starts_with("root:x:0:0"), "{}", ok.output);
    let big = backend
        .exec(
            &id,
            &argv(&[
                "sh",
                "-c",
                "head -c 100000 /dev/zero | tr '\\0' a; echo; echo tail",
            ]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(big.output.len(), 100_006, "long lines are kept whole");
    assert!(big.output.ends_with("a\ntail\n"));
    let slow = backend
        .exec(
            &id,
            &argv(&["sleep", "5"]),
            Some(Duration::from_millis(300)),
        )
        .await;
    assert!(
        matches!(slow, Err(BackendError::Timeout { .. })),
        "{slow:?}"
    );

    let archive = backend.download_archive(&id, "/etc/passwd").await.unwrap();
    let mut tar = tar::Archive::new(archive.as_slice());
    let mut entry = tar.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(entry.path().unwrap().to_str(), Some("passwd"));
    let mut content = String::new();
    entry.read_to_string(&mut content).unwrap();
    assert!(content.contains("root"));
    let gone = backend
        .upload_archive("no-such-container-hortus", "/tmp", tgz(&[("a", "b")]))
        .await;
    assert!(
        matches!(gone, Err(BackendError::NoSuchContainer(_))),
        "{gone:?}"
    );
    let gone = backend
        .exec("no-such-container-hortus", &argv(&["true"]), None)
        .await;
    assert!(
        matches!(gone, Err(BackendError::NoSuchContainer(_))),
        "{gone:?}"
    );
    let missing = backend.download_archive(&id, "/no/such/path").await;
    assert!(
        matches!(missing, Err(BackendError::NoSuchPath { .. })),
        "{missing:?}"
    );

    // Logs: wait for the five lines, then tail two.
    let mut logs = String::new();
    for _ in 0..50 {
        logs = backend.logs(&id, 2).await.unwrap();
        if logs.contains("line5") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(logs, "line4\nline5\n");
}

#[tokio::test]
async fn services_resolve_each_other_by_alias() {
    let enclave = Enclave::new("dns").await;
    let backend = &enclave.backend;
    let server_spec = enclave.container("api", &["httpd", "-f", "-p", "8080", "-h", "/www"]);
    let server = backend
        .create_container(&enclave.uuid, &server_spec)
        .await
        .unwrap();
    backend
        .upload_archive(&server, "/www", tgz(&[("ping.txt", "pong\n")]))
        .await
        .unwrap();
    backend.start_container(&server).await.unwrap();
    let client_spec = enclave.container("client", &["sleep", "300"]);
    let client = backend
        .create_container(&enclave.uuid, &client_spec)
        .await
        .unwrap();
    backend.start_container(&client).await.unwrap();

    let argv: Vec<String> = ["wget", "-qO-", "http://api:8080/ping.txt"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut last = None;
    for _ in 0..30 {
        let output = backend
            .exec(&client, &argv, Some(Duration::from_secs(10)))
            .await
            .unwrap();
        if output.exit_code == 0 {
            assert_eq!(output.output, "pong\n");
            return;
        }
        last = Some(output);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("`api` never answered by alias: {last:?}");
}

#[tokio::test]
async fn absent_image_is_unavailable_and_named() {
    let backend = backend().await;
    let image = "hortus-test/absent-image:nope";
    let started = std::time::Instant::now();
    let error = backend
        .ensure_image(image, PullPolicy::Missing)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, BackendError::ImageUnavailable { image: named, .. } if named == image),
        "{error:?}"
    );
    assert!(error.to_string().contains(image));
    assert!(started.elapsed() < Duration::from_secs(60));
    // `always` without a registry falls back to the local copy.
    assert_eq!(
        backend
            .ensure_image(IMAGE, PullPolicy::Always)
            .await
            .unwrap(),
        ImageOrigin::LocallyCached
    );
}

#[tokio::test]
async fn images_build_from_a_context_and_failures_quote_the_output() {
    let backend = backend().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::File::create(dir.path().join("Dockerfile"))
        .unwrap()
        .write_all(
            format!(
                "FROM {IMAGE}\nARG GREETING=none\nCOPY hello.txt /hello.txt\nRUN echo \"$GREETING\" > /greeting\n"
            )
            .as_bytes(),
        )
        .unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hi\n").unwrap();
    let tag = format!("hortus-test/built:{}", std::process::id());
    let build = ImageBuild {
        tag: tag.clone(),
        context_dir: dir.path().to_path_buf(),
        dockerfile: "Dockerfile".to_owned(),
        target: None,
        build_args: BTreeMap::from([("GREETING".to_owned(), "bonjour".to_owned())]),
    };
    let mut lines = Vec::new();
    backend
        .build_image_with_progress(&build, &mut |line: &str| lines.push(line.to_owned()))
        .await
        .unwrap();
    assert!(lines.iter().any(|l| l.contains("Step 1/")), "{lines:?}");
    assert_eq!(
        backend
            .ensure_image(&tag, PullPolicy::Missing)
            .await
            .unwrap(),
        ImageOrigin::LocallyCached
    );
    let _ = backend
        .client()
        .remove_image(
            &tag,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        )
        .await;

    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {IMAGE}\nRUN echo about to fail && exit 7\n"),
    )
    .unwrap();
    let error = backend.build_image(&build).await.unwrap_err();
    let BackendError::BuildFailed {
        tag: failed,
        reason,
    } = &error
    else {
        panic!("expected a build failure, got {error:?}");
    };
    assert_eq!(failed, &tag);
    assert!(reason.contains("about to fail"), "{reason}");
    assert!(reason.contains('7'), "{reason}");
}

#[tokio::test]
async fn upload_before_start_lands_in_a_mounted_volume() {
    let enclave = Enclave::new("vol").await;
    let backend = &enclave.backend;
    let volume = format!("files--{}", enclave.uuid);
    backend
        .create_volume(
            &enclave.uuid,
            &volume,
            BTreeMap::from([("hortus.kind".to_owned(), "files".to_owned())]),
        )
        .await
        .unwrap();
    // Idempotent.
    backend
        .create_volume(&enclave.uuid, &volume, BTreeMap::new())
        .await
        .unwrap();
    let mut spec = enclave.container("reader", &["sleep", "300"]);
    spec.volumes = vec![VolumeMount {
        volume: volume.clone(),
        path: "/files/config".to_owned(),
    }];
    let id = backend
        .create_container(&enclave.uuid, &spec)
        .await
        .unwrap();
    backend
        .upload_archive(
            &id,
            "/files/config",
            tgz(&[("app.toml", "port = 8080\n"), ("nested/readme", "hi\n")]),
        )
        .await
        .unwrap();
    backend.start_container(&id).await.unwrap();
    let argv: Vec<String> = [
        "cat",
        "/files/config/app.toml",
        "/files/config/nested/readme",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let output = backend.exec(&id, &argv, None).await.unwrap();
    assert_eq!(output.exit_code, 0, "{}", output.output);
    assert_eq!(output.output, "port = 8080\nhi\n");

    // The content is in the volume: a second container mounting it sees it too.
    let mut other = enclave.container("other", &["cat", "/mnt/app.toml"]);
    other.volumes = vec![VolumeMount {
        volume,
        path: "/mnt".to_owned(),
    }];
    let other_id = backend
        .create_container(&enclave.uuid, &other)
        .await
        .unwrap();
    backend.start_container(&other_id).await.unwrap();
    let mut state = backend.inspect_container(&other_id).await.unwrap();
    for _ in 0..50 {
        if !state.running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        state = backend.inspect_container(&other_id).await.unwrap();
    }
    assert_eq!(state.exit_code, Some(0));
    assert_eq!(backend.logs(&other_id, 10).await.unwrap(), "port = 8080\n");
}

#[tokio::test]
async fn concurrent_services_get_distinct_static_addresses() {
    let enclave = Enclave::new("many").await;
    let backend = &enclave.backend;
    let uuid = enclave.uuid.as_str();
    let started = futures::future::try_join_all((0..12).map(|index| {
        let mut spec = enclave.container(&format!("svc-{index}"), &["httpd", "-f", "-p", "8080"]);
        spec.ports = vec![PortRequest {
            number: 8080,
            protocol: "tcp".to_owned(),
            host_port: Some(0),
        }];
        async move {
            let ip = backend.reserve_ip(uuid).await?;
            spec.ip = Some(ip);
            let id = backend.create_container(uuid, &spec).await?;
            backend.start_container(&id).await?;
            Ok::<_, BackendError>((id, ip))
        }
    }))
    .await
    .unwrap();
    let states = backend.list_containers(uuid).await.unwrap();
    assert_eq!(states.len(), 12);
    let mut addresses: Vec<Ipv4Addr> = states.iter().filter_map(|s| s.ip).collect();
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 12);
    for (id, ip) in &started {
        let state = states.iter().find(|s| &s.id == id).unwrap();
        assert_eq!(state.ip, Some(*ip));
        assert!(state.running);
        assert!(state.host_ports.contains_key(&(8080, "tcp".to_owned())));
    }
}

/// A `tcp://` engine address works: a local TCP listener forwarding to the unix socket.
#[tokio::test]
async fn tcp_addresses_are_spoken() {
    let socket = backend()
        .await
        .address()
        .trim_start_matches("unix://")
        .to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let forwarder = tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            let socket = socket.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::UnixStream::connect(&socket).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let remote = DockerBackend::connect_to(&format!("tcp://127.0.0.1:{port}"))
        .await
        .unwrap();
    assert_eq!(
        remote
            .ensure_image(IMAGE, PullPolicy::Missing)
            .await
            .unwrap(),
        ImageOrigin::LocallyCached
    );
    remote.list_enclaves().await.unwrap();
    forwarder.abort();

    let dead = DockerBackend::connect_to("tcp://127.0.0.1:1")
        .await
        .unwrap_err();
    assert!(matches!(dead, BackendError::Unreachable(_)), "{dead:?}");
    assert!(dead.to_string().contains("tcp://127.0.0.1:1"), "{dead}");
}

#[tokio::test]
async fn followed_logs_stream_until_the_container_exits() {
    use futures::StreamExt;
    let enclave = Enclave::new("follow").await;
    let backend = &enclave.backend;
    let spec = enclave.container("talker", &["sh", "-c", "echo one; sleep 0.5; echo two >&2"]);
    let id = backend
        .create_container(&enclave.uuid, &spec)
        .await
        .unwrap();
    backend.start_container(&id).await.unwrap();
    let chunks: Vec<String> = tokio::time::timeout(
        Duration::from_secs(20),
        backend.follow_logs(&id, None).map(|c| c.unwrap()).collect(),
    )
    .await
    .unwrap();
    assert_eq!(chunks.concat(), "one\ntwo\n");
    let missing = backend
        .follow_logs("no-such-container-hortus", Some(1))
        .next()
        .await;
    assert!(
        matches!(missing, Some(Err(BackendError::NoSuchContainer(_)))),
        "{missing:?}"
    );
}

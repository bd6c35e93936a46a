//! Executor end to end against the real Docker engine (feature `docker-tests`), on the
//! registry-free image built by `scripts/build-test-images.sh`. Packages live under
//! `testdata/docker/`; they are interpreted with hortus-builtins' fixture. Every test uses
//! a temporary `HORTUS_HOME`-like state root and a unique enclave, removed by a drop guard.
#![cfg(feature = "docker-tests")]
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
};
use hortus_builtins::testing::Fixture;
use hortus_plan::Plan;
use hortus_plan::instruction::{InstructionKind, UploadSource};
use hortus_runtime::backend::{Backend, ImageOrigin, LABEL_ENCLAVE_UUID, PullPolicy};
use hortus_runtime::docker::DockerBackend;
use hortus_runtime::enclave::{self, StateHome};
use hortus_runtime::executor::{ExecuteOptions, RunEvent, execute};

const IMAGE: &str = "hortus-test/busybox:latest";

fn package_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/docker")
        .join(name)
}

/// Interprets a package, pointing local uploads back at the package directory.
fn plan_of(name: &str) -> Plan {
    let dir = package_dir(name);
    let (mut plan, returned) = Fixture::from_dir(&dir).unwrap().run().unwrap();
    if plan.output.is_none() && returned != "None" {
        plan.output = serde_json::from_str(&returned).ok();
    }
    for instruction in &mut plan.instructions {
        if let InstructionKind::UploadFiles(u) = &mut instruction.kind
            && let UploadSource::Local { path, .. } = &mut u.source
        {
            *path = dir.join(u.src.trim_start_matches("./"));
        }
    }
    plan
}

async fn backend() -> DockerBackend {
    let backend = DockerBackend::connect().await.unwrap_or_else(|e| {
        panic!("the `docker-tests` feature is on but Docker is unreachable: {e}")
    });
    match backend.ensure_image(IMAGE, PullPolicy::Missing).await {
        Ok(ImageOrigin::LocallyCached) => {}
        other => {
            panic!("test image `{IMAGE}` is missing ({other:?}): run scripts/build-test-images.sh")
        }
    }
    backend
}

/// Removes the enclave's Docker objects when the test ends, however it ends.
struct Guard {
    uuid: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
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
            eprintln!("cleanup of enclave `{}` failed: {error}", self.uuid);
        }
    }
}

async fn labelled_objects(backend: &DockerBackend, uuid: &str) -> usize {
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
    containers.len() + volumes.volumes.unwrap_or_default().len() + networks.len()
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

#[tokio::test]
async fn multi_service_package_runs_end_to_end() {
    let backend = backend().await;
    let tmp = tempfile::tempdir().unwrap();
    let home = StateHome {
        root: tmp.path().to_path_buf(),
    };
    let name = unique("exec-multi");
    let mut enclave = enclave::open_or_create(&backend, &home, Some(&name))
        .await
        .unwrap();
    let guard = Guard {
        uuid: enclave.uuid.clone(),
    };
    let plan = plan_of("multi");
    let mut events = Vec::new();
    let result = execute(
        &backend,
        &mut enclave,
        &plan,
        &ExecuteOptions::default(),
        &mut |e| events.push(e),
    )
    .await;
    let outcome = result.unwrap_or_else(|e| panic!("run failed: {e}"));
    let texts: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::InstructionFinished { result, .. } => Some(result.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), plan.instructions.len());

    let web_ip = enclave.state.services["web"].ip.clone();
    let printed = texts.iter().find(|t| t.starts_with("reader saw ")).unwrap();
    assert!(printed.contains("\"hortus\""), "{printed}");
    assert!(printed.ends_with("from web"), "{printed}");
    let output: serde_json::Value =
        serde_json::from_str(outcome.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["web"], serde_json::json!(web_ip));
    assert_eq!(output["peer"], serde_json::json!(web_ip));

    // The rendered page is served on the published 127.0.0.1 port.
    let page = outcome.services.iter().find(|s| s.name == "page").unwrap();
    assert_eq!(page.status, "RUNNING");
    let host_port = page.ports[0].host_port.unwrap();
    let body = reqwest::get(format!("http://127.0.0.1:{host_port}/page.html"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, format!("hello from {web_ip} n=5"));
    assert!(outcome.services.iter().all(|s| s.name != "reader"));
    // The task container is gone; what it stored is an artifact.
    let count =
        hortus_runtime::artifacts::unpack(&enclave.state.read_artifact("count").unwrap()).unwrap();
    assert_eq!(count[0].path, "count.txt");
    assert_eq!(String::from_utf8_lossy(&count[0].content).trim(), "33");
    let containers = backend.list_containers(&enclave.uuid).await.unwrap();
    assert!(containers.iter().all(|c| c.name != "count"));
    assert_eq!(containers.len(), 2);

    let uuid = enclave.uuid.clone();
    drop(enclave);
    enclave::remove(&backend, &home, &name, true).await.unwrap();
    assert_eq!(labelled_objects(&backend, &uuid).await, 0);
    assert!(!home.enclave_dir(&uuid).exists());
    drop(guard);
}

#[tokio::test]
async fn unready_service_fails_with_its_logs() {
    let backend = backend().await;
    let tmp = tempfile::tempdir().unwrap();
    let home = StateHome {
        root: tmp.path().to_path_buf(),
    };
    let name = unique("exec-unready");
    let mut enclave = enclave::open_or_create(&backend, &home, Some(&name))
        .await
        .unwrap();
    let _guard = Guard {
        uuid: enclave.uuid.clone(),
    };
    let plan = plan_of("unready");
    let err = execute(
        &backend,
        &mut enclave,
        &plan,
        &ExecuteOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.index, Some(0));
    assert!(
        err.message.contains("exited with code 3"),
        "{}",
        err.message
    );
    let logs = err.logs.unwrap_or_default();
    assert!(
        logs.contains("about to fail") && logs.contains("config missing"),
        "{logs}"
    );
    let uuid = enclave.uuid.clone();
    drop(enclave);
    enclave::remove(&backend, &home, &uuid, true).await.unwrap();
    assert_eq!(labelled_objects(&backend, &uuid).await, 0);
}

const PYTHON_IMAGE: &str = "hortus-test/python:latest";

/// Interprets an inline `main.star` (no local uploads).
fn plan_from_source(main: &str) -> Plan {
    let (mut plan, returned) = Fixture::new(main).run().unwrap();
    if plan.output.is_none() && returned != "None" {
        plan.output = serde_json::from_str(&returned).ok();
    }
    plan
}

async fn require_image(backend: &DockerBackend, image: &str) {
    match backend.ensure_image(image, PullPolicy::Missing).await {
        Ok(ImageOrigin::LocallyCached) => {}
        other => {
            panic!("test image `{image}` is missing ({other:?}): run scripts/build-test-images.sh")
        }
    }
}

/// The `code`/`output` runtime values of the plan's only `run_python`.
fn task_values(plan: &Plan, enclave: &enclave::Enclave) -> (serde_json::Value, serde_json::Value) {
    let id = plan
        .instructions
        .iter()
        .find_map(|i| match &i.kind {
            InstructionKind::RunPython(t) => Some(t.result_id.clone()),
            _ => None,
        })
        .unwrap();
    let fields = &enclave.state.runtime_values[&id];
    (fields["code"].clone(), fields["output"].clone())
}

const RUN_PYTHON: &str = r#"
PY = "hortus-test/python:latest"

def run(plan):
    web = plan.add_service(name="web", config=ServiceConfig(
        image="hortus-test/busybox:latest",
        cmd=["sleep", "3600"],
    ))
    data = plan.render_templates(name="input", config={
        "words.txt": struct(template="{{.a}} {{.b}} gamma", data={"a": "alpha", "b": "beta"}),
    })
    r = plan.run_python(
        name="py-task",
        run="""
import os, sys
words = open("/in/words.txt").read().split()
os.makedirs("/out", exist_ok=True)
with open("/out/result.txt", "w") as f:
    f.write("%d words for %s\\n" % (len(words), sys.argv[1]))
print("args:", sys.argv[1:])
print('a "quoted" word:', words[-1])
""",
        args=[web.ip_address, "two"],
        packages=[],
        image=PY,
        files={"/in": data},
        store=[StoreSpec(src="/out/result.txt", name="result")],
    )
    plan.verify(r.code, "==", 0)
    return {"code": r.code, "output": r.output, "artifacts": r.files_artifacts}
"#;

#[tokio::test]
async fn run_python_runs_in_a_real_python_image() {
    let backend = backend().await;
    require_image(&backend, PYTHON_IMAGE).await;
    let tmp = tempfile::tempdir().unwrap();
    let home = StateHome {
        root: tmp.path().to_path_buf(),
    };
    let name = unique("exec-python");
    let mut enclave = enclave::open_or_create(&backend, &home, Some(&name))
        .await
        .unwrap();
    let _guard = Guard {
        uuid: enclave.uuid.clone(),
    };
    let opts = ExecuteOptions::default();

    // Success: an arg from an earlier service's future reference, a mounted artifact, a
    // stored file, stdout with a double quote in the script. `packages=[]` must not run
    // pip at all: the image has none.
    let plan = plan_from_source(RUN_PYTHON);
    let mut events = Vec::new();
    let outcome = execute(&backend, &mut enclave, &plan, &opts, &mut |e| {
        events.push(e)
    })
    .await
    .unwrap_or_else(|e| panic!("run failed: {e}"));
    let web_ip = enclave.state.services["web"].ip.clone();
    assert!(!web_ip.is_empty());
    let expected = format!("args: ['{web_ip}', 'two']\na \"quoted\" word: gamma\n");
    let output: serde_json::Value =
        serde_json::from_str(outcome.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["output"], serde_json::json!(expected));
    assert_eq!(output["code"], serde_json::json!("0"));
    assert_eq!(output["artifacts"], serde_json::json!(["result"]));
    assert_eq!(
        task_values(&plan, &enclave),
        (serde_json::json!(0), serde_json::json!(expected))
    );
    let result_text = events
        .iter()
        .find_map(|e| match e {
            RunEvent::InstructionFinished {
                index: 2, result, ..
            } => Some(result.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        result_text,
        format!(
            "Command returned with exit code '0' and the following output:\n--------------------\n{expected}\n--------------------"
        )
    );
    let stored =
        hortus_runtime::artifacts::unpack(&enclave.state.read_artifact("result").unwrap()).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].path, "result.txt");
    assert_eq!(
        String::from_utf8_lossy(&stored[0].content),
        format!("3 words for {web_ip}\n")
    );
    // The task container is gone; the service stays.
    let containers = backend.list_containers(&enclave.uuid).await.unwrap();
    assert!(
        containers.iter().all(|c| c.name != "py-task"),
        "{containers:?}"
    );
    assert_eq!(containers.len(), 1);
    // Its file volume went with it: the network and the service's container remain.
    assert_eq!(labelled_objects(&backend, &enclave.uuid).await, 2);

    // A failing script: the Kurtosis error with the output; `code`/`output` are still
    // stored (the code check comes after them).
    let failing = plan_from_source(
        r#"
def run(plan):
    plan.run_python(
        name="py-fail",
        run="import sys\nprint('going down')\nsys.exit(3)",
        image="hortus-test/python:latest",
    )
"#,
    );
    let err = execute(&backend, &mut enclave, &failing, &opts, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.index, Some(0));
    assert_eq!(
        err.message,
        "Run python returned exit code '3' that is not part of the acceptable status codes '[0]', with output:\n  \"going down\\n\""
    );
    assert_eq!(
        task_values(&failing, &enclave),
        (serde_json::json!(3), serde_json::json!("going down\n"))
    );

    // The task timeout is enforced on the real exec.
    let slow = plan_from_source(
        r#"
def run(plan):
    plan.run_python(name="py-slow", run="import time\ntime.sleep(30)", image="hortus-test/python:latest", wait="1s")
"#,
    );
    let started = std::time::Instant::now();
    let err = execute(&backend, &mut enclave, &slow, &opts, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.message, "The exec request timed out after 1 seconds");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    let uuid = enclave.uuid.clone();
    drop(enclave);
    enclave::remove(&backend, &home, &uuid, true).await.unwrap();
    assert_eq!(labelled_objects(&backend, &uuid).await, 0);
}

//! Executor tests on the in-memory `FakeBackend`, with plans interpreted from Starlark by
//! hortus-builtins' test fixture.

use super::*;
use crate::backend::ExecOutput;
use crate::enclave::{self, StateHome};
use crate::fake::FakeBackend;
use hortus_builtins::testing::Fixture;
use hortus_plan::instruction::UploadSource;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Env {
    backend: FakeBackend,
    home: StateHome,
    _tmp: tempfile::TempDir,
    files: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        Env {
            backend: FakeBackend::new(),
            home: StateHome {
                root: tmp.path().to_path_buf(),
            },
            _tmp: tmp,
            files: tempfile::tempdir().unwrap(),
        }
    }

    /// Interprets `main`, pointing local uploads at files written under a temp dir.
    fn plan(&self, main: &str, uploads: &[(&str, &str)]) -> Plan {
        let mut fixture = Fixture::new(main);
        for (path, content) in uploads {
            fixture = fixture.file(path, content);
            let full = self.files.path().join(path);
            fs_err::create_dir_all(full.parent().unwrap()).unwrap();
            fs_err::write(full, content).unwrap();
        }
        let (mut plan, returned) = fixture.run().unwrap();
        if plan.output.is_none() && returned != "None" {
            // `str()` of a dict of strings and ints is JSON text.
            plan.output = serde_json::from_str(&returned).ok();
        }
        for instruction in &mut plan.instructions {
            if let InstructionKind::UploadFiles(u) = &mut instruction.kind
                && let UploadSource::Local { path, .. } = &mut u.source
            {
                let rel = u.src.trim_start_matches("./");
                *path = self.files.path().join(rel);
            }
        }
        plan
    }

    async fn enclave(&self, name: &str) -> Enclave {
        enclave::open_or_create(&self.backend, &self.home, Some(name))
            .await
            .unwrap()
    }
}

async fn run(
    env: &Env,
    enclave: &mut Enclave,
    plan: &Plan,
    opts: &ExecuteOptions,
) -> (Result<RunOutcome, ExecuteError>, Vec<RunEvent>) {
    let mut events = Vec::new();
    let result = execute(&env.backend, enclave, plan, opts, &mut |e| events.push(e)).await;
    (result, events)
}

fn results(events: &[RunEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            RunEvent::InstructionFinished { result, .. } => Some(result.clone()),
            _ => None,
        })
        .collect()
}

const FULL: &str = r#"
def run(plan):
    data = plan.upload_files(src="data", name="data")
    web = plan.add_service(name="web", config=ServiceConfig(
        image="busybox:latest",
        ports={"http": PortSpec(number=80, wait=None)},
        files={"/data": data},
        env_vars={"SELF": "KURTOSIS_IP_ADDR_PLACEHOLDER"},
        cmd=["httpd", "-f", "-h", "/data"],
    ))
    cfg = plan.render_templates(name="cfg", config={
        "/conf/app.conf": struct(template="peer={{.ip}} n={{.n}} list={{.l}}", data={"ip": web.ip_address, "n": 3, "l": [1, 2]}),
    })
    r = plan.exec(service_name="web", recipe=ExecRecipe(command=["cat", "/data/hello.txt"], extract={"word": "split(\" \") | .[0]"}))
    plan.verify(r["code"], "==", 0)
    plan.verify(r["extract.word"], "==", "hello")
    plan.print("ip is " + web.ip_address + " code " + r["code"])
    stored = plan.store_service_files(service_name="web", src="/data/*", name="stored")
    db = plan.add_service(name="db", config=ServiceConfig(image="busybox:latest", files={"/copied": stored, "/conf": cfg}))
    plan.remove_service("db")
    return {"ip": web.ip_address, "word": r["extract.word"]}
"#;

#[tokio::test]
async fn full_plan_runs_with_future_references_and_artifacts() {
    let env = Env::new();
    let plan = env.plan(FULL, &[("data/hello.txt", "hello world")]);
    let mut enclave = env.enclave("garden").await;
    let (result, events) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    let outcome = result.unwrap();
    let texts = results(&events);
    assert_eq!(texts.len(), plan.instructions.len());

    let web = env.backend.container_of("web").unwrap();
    let ip = web.ip.unwrap().to_string();
    assert!(web.spec.container_name.starts_with("web--"));
    assert_eq!(web.spec.env, vec![("SELF".to_owned(), ip.clone())]);
    assert_eq!(web.files["/data/hello.txt"], b"hello world");
    assert_eq!(web.spec.ports[0].host_port, Some(0));

    assert!(texts[0].starts_with("Files with artifact name 'data' uploaded with artifact UUID '"));
    assert!(texts[1].starts_with("Service 'web' added with service UUID '"));
    assert!(texts[2].starts_with("Templates artifact name 'cfg' rendered with artifact UUID '"));
    assert!(texts[3].starts_with("Command returned with exit code '0' and the following output: hello world, with extracted fields:\n'extract.word': \"hello\""), "{}", texts[3]);
    assert_eq!(texts[4], "Verification succeeded. Value is '0'.");
    assert_eq!(texts[5], "Verification succeeded. Value is '\"hello\"'.");
    assert_eq!(texts[6], format!("ip is {ip} code 0"));
    assert!(
        texts[9].starts_with("Service 'db' with service UUID '"),
        "{}",
        texts[9]
    );
    assert!(env.backend.container_of("db").is_none());

    // The stored artifact holds the directory contents; the template saw the real IP.
    let stored = crate::artifacts::unpack(&enclave.state.read_artifact("stored").unwrap()).unwrap();
    assert_eq!(stored[0].path, "hello.txt");
    let cfg = crate::artifacts::unpack(&enclave.state.read_artifact("cfg").unwrap()).unwrap();
    assert_eq!(cfg[0].path, "conf/app.conf");
    assert_eq!(
        String::from_utf8_lossy(&cfg[0].content),
        format!("peer={ip} n=3 list=[1 2]")
    );

    assert_eq!(
        outcome.output.unwrap(),
        format!("{{\n\t\"ip\": \"{ip}\",\n\t\"word\": \"hello\"\n}}")
    );
    assert_eq!(outcome.services.len(), 1);
    assert_eq!(outcome.services[0].name, "web");
    assert_eq!(outcome.services[0].status, "RUNNING");
    assert_eq!(outcome.services[0].ports[0].id, "http");
    assert_eq!(outcome.artifacts.len(), 3);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, RunEvent::ImagesPrepared(i) if i.len() == 1))
    );

    // State is on disk.
    assert_eq!(enclave.state.plan.len(), plan.instructions.len());
    let on_disk: serde_json::Value =
        serde_json::from_slice(&fs_err::read(enclave.state.dir.join("services.json")).unwrap())
            .unwrap();
    assert!(on_disk.get("web").is_some() && on_disk.get("db").is_none());
}

#[tokio::test]
async fn upload_is_idempotent_across_runs() {
    let env = Env::new();
    let main = r#"
def run(plan):
    plan.upload_files(src="f.txt", name="f")
"#;
    let plan = env.plan(main, &[("f.txt", "one")]);
    let mut enclave = env.enclave("brook").await;
    let opts = ExecuteOptions::default();
    let (r, first) = run(&env, &mut enclave, &plan, &opts).await;
    r.unwrap();
    let (r, second) = run(&env, &mut enclave, &plan, &opts).await;
    r.unwrap();
    assert!(results(&second)[0].ends_with("as content were matching"));
    fs_err::write(env.files.path().join("f.txt"), "two").unwrap();
    let (r, third) = run(&env, &mut enclave, &plan, &opts).await;
    r.unwrap();
    assert!(
        results(&third)[0].ends_with("updated"),
        "{:?}",
        results(&third)
    );
    assert!(results(&first)[0].contains("uploaded with artifact UUID"));
}

#[tokio::test]
async fn verify_type_mismatch_fails_with_position() {
    let env = Env::new();
    let main = r#"
def run(plan):
    plan.add_service(name="svc", config=ServiceConfig(image="busybox:latest"))
    r = plan.exec(service_name="svc", recipe=ExecRecipe(command=["echo", "x"]))
    plan.verify(r["code"], "==", "0")
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("fern").await;
    let (r, _) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    let err = r.unwrap_err();
    assert_eq!(err.index, Some(2));
    assert_eq!(err.origin.as_ref().unwrap().line, 5);
    assert_eq!(
        err.message,
        "Verify failed because '0' is type 'int' and '\"0\"' is type 'string'"
    );
    // The service stays; the state records what ran.
    assert_eq!(enclave.state.plan.len(), 2);
    assert!(enclave.state.services.contains_key("svc"));
}

#[tokio::test]
async fn exec_code_check_and_output_format() {
    let env = Env::new();
    env.backend.on_exec("svc", |_, argv| ExecOutput {
        exit_code: if argv[0] == "fail" { 3 } else { 0 },
        output: "line1\nline2".to_owned(),
    });
    let main = r#"
def run(plan):
    plan.add_service(name="svc", config=ServiceConfig(image="busybox:latest"))
    plan.exec(service_name="svc", recipe=ExecRecipe(command=["ok"]))
    plan.exec(service_name="svc", recipe=ExecRecipe(command=["fail"]))
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("moss").await;
    let (r, events) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    assert_eq!(
        results(&events)[1],
        "Command returned with exit code '0' and the following output:\n--------------------\nline1\nline2\n--------------------"
    );
    let err = r.unwrap_err();
    assert_eq!(
        err.message,
        "Exec returned exit code '3' that is not part of the acceptable status codes '[0]', with output:\n  \"line1\\nline2\""
    );
}

/// A tiny HTTP server answering every request with `body`; returns its port.
async fn http_server(body: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let seen = Arc::clone(&seen2);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut req = Vec::new();
                loop {
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    req.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&req);
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length: ")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if req.len() >= head_end + 4 + len {
                            break;
                        }
                    }
                }
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&req).into_owned());
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn request_wait_and_port_probe_against_a_real_listener() {
    let (port, seen) = http_server(r#"{"result": {"n": 7}, "url": "posts/1"}"#).await;
    let env = Env::new();
    env.backend.set_fixed_ip(std::net::Ipv4Addr::LOCALHOST);
    let main = format!(
        r#"
def run(plan):
    plan.add_service(name="api", config=ServiceConfig(image="busybox:latest", ports={{"http": PortSpec(number={port}, wait="5s")}}))
    r = plan.request(service_name="api", recipe=GetHttpRequestRecipe(port_id="http", endpoint="/x", extract={{"n": ".result.n"}}))
    plan.verify(r["extract.n"], "==", 7)
    w = plan.wait(service_name="api", recipe=PostHttpRequestRecipe(port_id="http", endpoint="/p", body="code=" + r["code"]), field="code", assertion="==", target_value=200, interval="100ms", timeout="5s")
    plan.print(w["body"])
"#
    );
    let plan = env.plan(&main, &[]);
    let mut enclave = env.enclave("meadow").await;
    let (r, events) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    r.unwrap();
    let texts = results(&events);
    assert_eq!(
        texts[1],
        "Request had response code '200' and body \"{\\\"result\\\": {\\\"n\\\": 7}, \\\"url\\\": \\\"posts/1\\\"}\", with extracted fields:\n'extract.n': 7"
    );
    assert!(texts[3].starts_with("Wait took 1 tries ("), "{}", texts[3]);
    assert!(texts[3].contains("Assertion passed with following:\nRequest had response code '200'"));
    let requests = seen.lock().unwrap().clone();
    assert!(requests.iter().any(|r| r.starts_with("GET /x HTTP/1.1")));
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("POST /p") && r.ends_with("code=200"))
    );
}

#[tokio::test]
async fn unready_service_fails_with_exit_code_and_logs() {
    let env = Env::new();
    env.backend.set_fixed_ip(std::net::Ipv4Addr::LOCALHOST);
    env.backend
        .crash_on_start("bad", 2, "starting\nboom: config missing\n");
    // A port nothing listens on: bind and drop.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let main = format!(
        r#"
def run(plan):
    plan.add_service(name="bad", config=ServiceConfig(image="busybox:latest", ports={{"http": PortSpec(number={port}, wait="600ms")}}))
"#
    );
    let plan = env.plan(&main, &[]);
    let mut enclave = env.enclave("ravine").await;
    let (r, _) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    let err = r.unwrap_err();
    assert!(err.message.contains("port `http`"), "{}", err.message);
    assert!(
        err.message.contains("exited with code 2"),
        "{}",
        err.message
    );
    assert!(err.logs.unwrap().contains("boom: config missing"));
    assert!(!env.backend.container_of("bad").unwrap().running);
    // The failed container stays registered, so a fixed re-run replaces it.
    let failed_id = env.backend.container_of("bad").unwrap().id;
    assert_eq!(enclave.state.services["bad"].container_id, failed_id);
    let fixed = env.plan(
        r#"
def run(plan):
    plan.add_service(name="bad", config=ServiceConfig(image="busybox:latest"))
"#,
        &[],
    );
    let (r, _) = run(&env, &mut enclave, &fixed, &ExecuteOptions::default()).await;
    r.unwrap();
    assert_eq!(env.backend.containers().len(), 1);
    assert_ne!(env.backend.container_of("bad").unwrap().id, failed_id);
}

#[tokio::test]
async fn set_service_override_is_used_by_add_service() {
    let env = Env::new();
    let main = r#"
def run(plan):
    plan.add_service(name="svc", config=ServiceConfig(image="busybox:latest", cmd=["a"]))
    plan.set_service(name="svc", config=ServiceConfig(image="busybox:1.36"))
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("isle").await;
    let (r, events) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    r.unwrap();
    assert_eq!(results(&events)[1], "Set service config on service 'svc'.");
    let svc = env.backend.container_of("svc").unwrap();
    assert_eq!(svc.spec.image, "busybox:1.36");
    assert_eq!(svc.spec.cmd, Some(vec!["a".to_owned()]));
}

#[tokio::test]
async fn wait_times_out_with_the_kurtosis_message() {
    let env = Env::new();
    env.backend.on_exec("svc", |_, _| ExecOutput {
        exit_code: 1,
        output: String::new(),
    });
    let main = r#"
def run(plan):
    plan.add_service(name="svc", config=ServiceConfig(image="busybox:latest"))
    plan.wait(service_name="svc", recipe=ExecRecipe(command=["true"]), field="code", assertion="==", target_value=0, interval="50ms", timeout="300ms")
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("dune").await;
    let (r, _) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    let err = r.unwrap_err();
    assert!(err.message.starts_with(
        "Recipe execution timed-out waiting for the recipe execution to become valid on service 'svc'. Tried '"
    ), "{}", err.message);
    assert!(
        err.message
            .contains("Last assertion execution error was: Verification failed '1' '==' '0'")
    );
}

#[tokio::test]
async fn run_sh_stores_files_and_removes_the_task() {
    let env = Env::new();
    env.backend.on_exec("task1", |c, argv| {
        assert_eq!(argv[0], "/bin/sh");
        assert!(argv[2].contains("echo $GREETING"));
        let greeting = c
            .spec
            .env
            .iter()
            .find(|(k, _)| k == "GREETING")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        ExecOutput {
            exit_code: 0,
            output: format!("{greeting}\n"),
        }
    });
    let main = r#"
def run(plan):
    data = plan.upload_files(src="in.txt", name="in")
    r = plan.run_sh(name="task1", run="echo $GREETING", image="busybox:latest", env_vars={"GREETING": "hi"}, files={"/in": data}, store=[StoreSpec(src="/in/in.txt", name="out")])
    plan.verify(r.output, "==", "hi\n")
    return {"code": r.code}
"#;
    let plan = env.plan(main, &[("in.txt", "input")]);
    let mut enclave = env.enclave("grove").await;
    let (r, events) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    let outcome = r.unwrap();
    assert_eq!(
        results(&events)[1],
        "Command returned with exit code '0' and the following output:\n--------------------\nhi\n\n--------------------"
    );
    assert!(env.backend.container_of("task1").is_none());
    // The task's file volume goes with its container.
    assert!(
        !env.backend
            .volumes()
            .iter()
            .any(|v| v.starts_with("task1--files-")),
        "{:?}",
        env.backend.volumes()
    );
    let out = crate::artifacts::unpack(&enclave.state.read_artifact("out").unwrap()).unwrap();
    assert_eq!(out[0].path, "in.txt");
    // Text substitution inside a JSON string keeps it a string, as in Kurtosis.
    assert_eq!(outcome.output.unwrap(), "{\n\t\"code\": \"0\"\n}");
}

#[tokio::test]
async fn run_sh_timeout_and_non_blocking_tasks() {
    let env = Env::new();
    env.backend.set_exec_delay(Duration::from_millis(400));
    let main = r#"
def run(plan):
    plan.run_sh(name="slow", run="sleep 10", image="busybox:latest", wait="100ms")
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("tundra").await;
    let opts = ExecuteOptions {
        non_blocking_tasks: true,
        ..ExecuteOptions::default()
    };
    let (r, _) = run(&env, &mut enclave, &plan, &opts).await;
    assert_eq!(
        r.unwrap_err().message,
        "The exec request timed out after 0 seconds"
    );
    assert!(env.backend.container_of("slow").is_some());
}

#[tokio::test]
async fn unpullable_image_names_image_and_origin() {
    let env = Env::new();
    env.backend.make_unpullable("nope:1");
    let main = r#"
def run(plan):
    plan.print("first")
    plan.add_service(name="svc", config=ServiceConfig(image="nope:1"))
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("peak").await;
    let (r, events) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    let err = r.unwrap_err();
    assert_eq!(err.index, Some(1));
    assert!(err.message.contains("`nope:1`"), "{}", err.message);
    assert!(err.to_string().contains("main.star:4"), "{err}");
    assert!(results(&events).is_empty());
}

#[tokio::test]
async fn cancellation_interrupts_a_wait() {
    let env = Env::new();
    env.backend.on_exec("svc", |_, _| ExecOutput {
        exit_code: 1,
        output: String::new(),
    });
    let main = r#"
def run(plan):
    plan.add_service(name="svc", config=ServiceConfig(image="busybox:latest"))
    plan.wait(service_name="svc", recipe=ExecRecipe(command=["true"]), field="code", assertion="==", target_value=0, interval="50ms", timeout="60s")
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("cove").await;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let opts = ExecuteOptions {
        cancel: Some(rx),
        ..ExecuteOptions::default()
    };
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = tx.send(true);
    });
    let started = Instant::now();
    let (r, _) = run(&env, &mut enclave, &plan, &opts).await;
    assert_eq!(r.unwrap_err().message, "run interrupted");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(enclave.state.plan.len(), 1);
}

#[tokio::test]
async fn add_services_and_lifecycle_instructions() {
    let env = Env::new();
    let main = r#"
def run(plan):
    s = plan.add_services(configs={
        "a": ServiceConfig(image="busybox:latest", cmd=["x"], tolerations=[Toleration(key="k", operator="Exists")]),
        "b": ServiceConfig(image="busybox:latest", cmd=["y"]),
    })
    plan.add_service(name="c", config=ServiceConfig(image="busybox:latest", cmd=[s["a"].ip_address]))
    plan.stop_service("a")
    plan.start_service("a")
    plan.get_service("b")
    plan.get_services()
    plan.get_cluster_type()
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("canyon").await;
    let opts = ExecuteOptions {
        parallelism: 2,
        ..ExecuteOptions::default()
    };
    let (r, events) = run(&env, &mut enclave, &plan, &opts).await;
    let outcome = r.unwrap();
    let texts = results(&events);
    assert!(texts[0].starts_with("Successfully added the following '2' services:\n  Service '"));
    let a_ip = env
        .backend
        .container_of("a")
        .unwrap()
        .ip
        .unwrap()
        .to_string();
    assert_eq!(
        env.backend.container_of("c").unwrap().spec.cmd,
        Some(vec![a_ip])
    );
    assert_eq!(texts[2], "Service 'a' stopped");
    assert_eq!(texts[3], "Service 'a' started");
    assert_eq!(texts[4], "Fetched service 'b'");
    assert_eq!(texts[5], "Fetching services");
    assert_eq!(texts[6], "Fetched cluster type 'docker'");
    assert_eq!(outcome.services.len(), 3);
    let warnings: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, RunEvent::Warning(_)))
        .collect();
    assert_eq!(warnings.len(), 1);

    // Re-adding an existing service replaces its container and keeps its uuid.
    let old = env.backend.container_of("c").unwrap();
    let readd = env.plan(
        r#"
def run(plan):
    plan.add_service(name="c", config=ServiceConfig(image="busybox:latest", cmd=["new"]))
"#,
        &[],
    );
    let uuid = enclave.state.services["c"].uuid.clone();
    let (r, _) = run(&env, &mut enclave, &readd, &ExecuteOptions::default()).await;
    r.unwrap();
    let new = env.backend.container_of("c").unwrap();
    assert_ne!(old.id, new.id);
    assert_eq!(enclave.state.services["c"].uuid, uuid);
    assert_eq!(env.backend.containers().len(), 3);
}

#[tokio::test]
async fn enclave_lock_and_remove() {
    let env = Env::new();
    let enclave = env.enclave("lagoon").await;
    let err = enclave::open_or_create(&env.backend, &env.home, Some("lagoon"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "enclave `lagoon` is in use by another hortus process"
    );
    let uuid = enclave.uuid.clone();
    let mut enclave = enclave;
    let plan = env.plan(
        r#"
def run(plan):
    plan.add_service(name="s", config=ServiceConfig(image="busybox:latest"))
"#,
        &[],
    );
    let (r, _) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    r.unwrap();
    drop(enclave);
    let err = enclave::remove(&env.backend, &env.home, "lagoon", false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is running"), "{err}");
    enclave::remove(&env.backend, &env.home, "lagoon", true)
        .await
        .unwrap();
    assert!(env.backend.containers().is_empty());
    assert!(!env.home.enclave_dir(&uuid).exists());
    assert!(
        enclave::list(&env.backend, &env.home)
            .await
            .unwrap()
            .is_empty()
    );
    // A generated name when none is given.
    let generated = enclave::open_or_create(&env.backend, &env.home, None)
        .await
        .unwrap();
    assert!(generated.name.contains('-'));
    assert_eq!(generated.uuid.len(), 32);
}

#[tokio::test]
async fn run_python_installs_packages_and_quotes_the_script() {
    let env = Env::new();
    let seen = Arc::new(Mutex::new(Vec::<Vec<String>>::new()));
    let seen2 = Arc::clone(&seen);
    env.backend.on_exec("py", move |_, argv| {
        seen2.lock().unwrap().push(argv.to_vec());
        ExecOutput {
            exit_code: 0,
            output: "ok".to_owned(),
        }
    });
    let main = r#"
def run(plan):
    plan.add_service(name="svc", config=ServiceConfig(image="busybox:latest"))
    r = plan.exec(service_name="svc", recipe=ExecRecipe(command=["echo", "v1"]))
    plan.run_python(name="py", run='print("hi")', args=[r["output"], "b"], packages=["requests"], image="python:3.11-alpine")
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("estuary").await;
    let (r, events) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    r.unwrap();
    assert_eq!(
        results(&events)[2],
        "Command returned with exit code '0' and the following output: ok"
    );
    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls[0][2], "pip install requests");
    assert!(
        calls[1][2].contains("python -u -c \"print(\\\"hi\\\")\" v1\n b"),
        "{}",
        calls[1][2]
    );

    // A failing pip stops the task.
    env.backend.on_exec("py", |_, argv| ExecOutput {
        exit_code: if argv[2].starts_with("pip") { 1 } else { 0 },
        output: "no network".to_owned(),
    });
    let (r, _) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    assert!(r.unwrap_err().message.contains("pip exited with code 1"));
}

#[tokio::test]
async fn readiness_persistent_volumes_ports_and_labels() {
    let env = Env::new();
    let tries = Arc::new(Mutex::new(0));
    let tries2 = Arc::clone(&tries);
    env.backend.on_exec("db", move |_, _| {
        let mut n = tries2.lock().unwrap();
        *n += 1;
        ExecOutput {
            exit_code: if *n >= 3 { 0 } else { 1 },
            output: String::new(),
        }
    });
    let main = r#"
def run(plan):
    plan.add_service(name="db", config=ServiceConfig(
        image="busybox:latest",
        ports={"pg": PortSpec(number=5432, wait=None), "dns": PortSpec(number=53, transport_protocol="UDP", wait=None)},
        public_ports={"pg": PortSpec(number=15432, wait=None)},
        files={"/var/lib/data": Directory(persistent_key="pgdata")},
        labels={"team": "core"},
        ready_conditions=ReadyCondition(recipe=ExecRecipe(command=["check"]), field="code", assertion="==", target_value=0, interval="20ms", timeout="5s"),
    ))
"#;
    let plan = env.plan(main, &[]);
    let mut enclave = env.enclave("delta").await;
    let (r, _) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    r.unwrap();
    assert_eq!(*tries.lock().unwrap(), 3);
    let db = env.backend.container_of("db").unwrap();
    let volume = format!("pgdata--{}", enclave.uuid);
    assert!(env.backend.volumes().contains(&volume));
    assert_eq!(db.spec.volumes[0].volume, volume);
    assert_eq!(db.spec.volumes[0].path, "/var/lib/data");
    let pg = db.spec.ports.iter().find(|p| p.number == 5432).unwrap();
    assert_eq!(pg.host_port, Some(15432));
    let dns = db.spec.ports.iter().find(|p| p.number == 53).unwrap();
    assert_eq!((dns.protocol.as_str(), dns.host_port), ("udp", None));
    assert_eq!(db.spec.labels["hortus.custom.team"], "core");
    assert_eq!(db.spec.labels["hortus.service.name"], "db");
    let record = &enclave.state.services["db"];
    assert_eq!(
        record
            .ports
            .iter()
            .find(|p| p.id == "pg")
            .unwrap()
            .host_port,
        Some(15432)
    );
}

#[tokio::test]
async fn add_services_failure_rolls_back_the_batch() {
    let env = Env::new();
    env.backend.set_fixed_ip(std::net::Ipv4Addr::LOCALHOST);
    env.backend.crash_on_start("b", 1, "b is broken");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let main = format!(
        r#"
def run(plan):
    plan.add_services(configs={{
        "a": ServiceConfig(image="busybox:latest"),
        "b": ServiceConfig(image="busybox:latest", ports={{"p": PortSpec(number={port}, wait="500ms")}}),
    }})
"#
    );
    let plan = env.plan(&main, &[]);
    let mut enclave = env.enclave("marsh").await;
    let (r, _) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    let err = r.unwrap_err();
    assert!(
        err.message.contains("the entire batch was rolled back"),
        "{}",
        err.message
    );
    assert!(err.message.contains("  b: service `b`"), "{}", err.message);
    assert!(err.logs.unwrap().contains("b is broken"));
    assert!(env.backend.container_of("a").is_none());
    assert!(enclave.state.services.is_empty());
}

#[tokio::test]
async fn upload_files_downloads_urls() {
    let (port, _) = http_server("remote content").await;
    let env = Env::new();
    let main = format!(
        r#"
def run(plan):
    plan.upload_files(src="http://127.0.0.1:{port}/dir/file.txt?x=1", name="remote")
"#
    );
    let plan = env.plan(&main, &[]);
    let mut enclave = env.enclave("bay").await;
    let (r, _) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    r.unwrap();
    let files = crate::artifacts::unpack(&enclave.state.read_artifact("remote").unwrap()).unwrap();
    assert_eq!(files[0].path, "file.txt");
    assert_eq!(files[0].content, b"remote content");
}

#[test]
fn execute_error_display_names_instruction_and_logs() {
    let err = ExecuteError {
        index: Some(2),
        origin: Some(Origin {
            file: "main.star".into(),
            line: 7,
            column: 5,
        }),
        canonical: Some("print(msg=\"x\")".into()),
        message: "boom".into(),
        logs: Some("l1\nl2".into()),
    };
    assert_eq!(
        err.to_string(),
        "error executing `print(msg=\"x\")` at main.star:7:5: boom\nservice logs:\nl1\nl2"
    );
}

#[tokio::test]
async fn remove_cleans_orphan_state_directories() {
    let env = Env::new();
    let orphan = crate::state::EnclaveRecord {
        name: "ghost-pond".into(),
        uuid: "ffffffffffffffffffffffffffffffff".into(),
        created: "2026-01-01T00:00:00Z".into(),
    };
    drop(crate::state::EnclaveState::open(&env.home, &orphan).unwrap());
    assert!(env.home.enclave_dir(&orphan.uuid).exists());
    enclave::remove(&env.backend, &env.home, "ghost-pond", false)
        .await
        .unwrap();
    assert!(!env.home.enclave_dir(&orphan.uuid).exists());
    let err = enclave::remove(&env.backend, &env.home, "ghost-pond", false)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no enclave named or identified by `ghost-pond`"
    );
}

#[tokio::test]
async fn runtime_values_are_stored_only_once_the_service_is_ready() {
    use hortus_plan::instruction::service_runtime_id;
    let env = Env::new();
    env.backend.on_exec("never", |_, _| ExecOutput {
        exit_code: 1,
        output: "not yet".to_owned(),
    });
    env.backend.on_exec("fine", |_, _| ExecOutput {
        exit_code: 0,
        output: String::new(),
    });
    let ready = r#"ReadyCondition(recipe=ExecRecipe(command=["check"]), field="code", assertion="==", target_value=0, interval="20ms", timeout="200ms")"#;
    let main = format!(
        r#"
def run(plan):
    plan.add_service(name="fine", config=ServiceConfig(image="busybox:latest", ready_conditions={ready}))
    plan.add_service(name="never", config=ServiceConfig(image="busybox:latest", ready_conditions={ready}))
"#
    );
    let plan = env.plan(&main, &[]);
    let mut enclave = env.enclave("lichen").await;
    let (r, _) = run(&env, &mut enclave, &plan, &ExecuteOptions::default()).await;
    let err = r.unwrap_err();
    assert_eq!(err.index, Some(1));
    assert!(
        err.message
            .starts_with("An error occurred while checking if service 'never' is ready: "),
        "{}",
        err.message
    );
    // The ready service has its values; the unready one is in the enclave, still running,
    // but its `ip_address`/`hostname` were never stored (also not on disk).
    let fine = &enclave.state.runtime_values[&service_runtime_id("fine")];
    assert_eq!(
        fine["ip_address"],
        serde_json::json!(
            env.backend
                .container_of("fine")
                .unwrap()
                .ip
                .unwrap()
                .to_string()
        )
    );
    assert_eq!(fine["hostname"], serde_json::json!("fine"));
    assert!(
        !enclave
            .state
            .runtime_values
            .contains_key(&service_runtime_id("never"))
    );
    let on_disk: serde_json::Value = serde_json::from_slice(
        &fs_err::read(enclave.state.dir.join("runtime_values.json")).unwrap(),
    )
    .unwrap();
    assert!(on_disk.get(service_runtime_id("fine")).is_some());
    assert!(on_disk.get(service_runtime_id("never")).is_none());
    let never = env.backend.container_of("never").unwrap();
    assert!(never.running);
    assert_eq!(enclave.state.services["never"].container_id, never.id);

    // `add_services`: no rollback on a readiness failure, and no values for any of them.
    let batch = env.plan(
        &format!(
            r#"
def run(plan):
    plan.add_services(configs={{
        "fine2": ServiceConfig(image="busybox:latest"),
        "never2": ServiceConfig(image="busybox:latest", ready_conditions={ready}),
    }})
"#
        ),
        &[],
    );
    env.backend.on_exec("never2", |_, _| ExecOutput {
        exit_code: 1,
        output: String::new(),
    });
    let (r, _) = run(&env, &mut enclave, &batch, &ExecuteOptions::default()).await;
    let err = r.unwrap_err();
    assert!(
        err.message
            .starts_with("An error occurred while checking all service, these are the errors by service:\n  An error occurred while checking if service 'never2' is ready"),
        "{}",
        err.message
    );
    for name in ["fine2", "never2"] {
        assert!(env.backend.container_of(name).unwrap().running, "{name}");
        assert!(enclave.state.services.contains_key(name), "{name}");
        assert!(
            !enclave
                .state
                .runtime_values
                .contains_key(&service_runtime_id(name)),
            "{name}"
        );
    }

    // Once every condition passes, the batch's values are stored.
    env.backend.on_exec("never2", |_, _| ExecOutput {
        exit_code: 0,
        output: String::new(),
    });
    let (r, _) = run(&env, &mut enclave, &batch, &ExecuteOptions::default()).await;
    r.unwrap();
    for name in ["fine2", "never2"] {
        let ip = env
            .backend
            .container_of(name)
            .unwrap()
            .ip
            .unwrap()
            .to_string();
        assert_eq!(
            enclave.state.runtime_values[&service_runtime_id(name)]["ip_address"],
            serde_json::json!(ip),
            "{name}"
        );
    }
}

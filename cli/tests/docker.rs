//! End-to-end runs of the `hortus` binary on the real Docker engine: a package's stack comes
//! up, its ports answer on 127.0.0.1, failures are reported, and `enclave rm` leaves nothing.
//! Needs the images built by `scripts/build-test-images.sh`.
#![cfg(feature = "docker-tests")]
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use assert_cmd::Command;
use std::io::{Read, Write};
use std::path::PathBuf;

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(path)
}

/// A private state home and a unique enclave name; removes the enclave when dropped.
struct Scratch {
    home: tempfile::TempDir,
    enclave: String,
}

impl Scratch {
    fn new(prefix: &str) -> Self {
        let unique = format!("{:x}", std::process::id() ^ rand_suffix());
        Self {
            home: tempfile::tempdir().unwrap(),
            enclave: format!("{prefix}-{unique}"),
        }
    }

    fn hortus(&self) -> Command {
        let mut cmd = Command::cargo_bin("hortus").unwrap();
        cmd.env("HORTUS_HOME", self.home.path())
            .env("NO_COLOR", "1")
            .env("HORTUS_OFFLINE", "1");
        cmd
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self
            .hortus()
            .args(["enclave", "rm", "-f", &self.enclave])
            .output();
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// Docker objects carrying the enclave's name label, as `docker` sees them.
fn labelled_objects(enclave: &str) -> Vec<String> {
    let filter = format!("label=hortus.enclave.name={enclave}");
    let mut found = Vec::new();
    for args in [
        vec!["ps", "-a", "-q", "--filter", &filter],
        vec!["volume", "ls", "-q", "--filter", &filter],
        vec!["network", "ls", "-q", "--filter", &filter],
    ] {
        let output = std::process::Command::new("docker")
            .args(&args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "docker {args:?} failed: {output:?}"
        );
        found.extend(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("{}: {l}", args[0])),
        );
    }
    found
}

fn http_get(port: u16, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn a_package_runs_its_ports_answer_and_rm_leaves_nothing() {
    let scratch = Scratch::new("cli-e2e");
    let output = scratch
        .hortus()
        .args(["run", "--output", "json", "--enclave", &scratch.enclave])
        .arg(testdata("packages/c_cli_demo"))
        .arg(r#"{"title": "end to end", "items": ["one", "two"]}"#)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["success"], true);
    assert_eq!(doc["enclave"]["name"], scratch.enclave.as_str());
    let results: Vec<&str> = doc["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["result"].as_str().unwrap())
        .collect();
    assert_eq!(results.len(), 4);
    assert!(
        results[1].starts_with("Service 'web' added with service UUID '"),
        "{results:?}"
    );
    assert_eq!(results[3], "heading line: <h1>end to end</h1>");
    // The output's future references were substituted.
    let ip = doc["output"]["ip"].as_str().unwrap();
    assert!(ip.parse::<std::net::Ipv4Addr>().is_ok(), "{ip}");
    assert_eq!(doc["output"]["url"], "http://web:8080/index.html");
    // The port answers on 127.0.0.1.
    let web = &doc["services"].as_array().unwrap()[0];
    assert_eq!(web["name"], "web");
    assert_eq!(web["ports"][0]["host_ip"], "127.0.0.1");
    let port = u16::try_from(web["ports"][0]["host_port"].as_u64().unwrap()).unwrap();
    let page = http_get(port, "/index.html");
    assert!(page.contains("<li>two</li>"), "{page}");
    assert!(!labelled_objects(&scratch.enclave).is_empty());

    // enclave ls shows it; rm removes every labelled object.
    let ls = scratch.hortus().args(["enclave", "ls"]).output().unwrap();
    assert!(String::from_utf8_lossy(&ls.stdout).contains(&scratch.enclave));
    let rm = scratch
        .hortus()
        .args(["enclave", "rm", "-f", &scratch.enclave])
        .output()
        .unwrap();
    assert!(
        rm.status.success(),
        "{}",
        String::from_utf8_lossy(&rm.stderr)
    );
    assert_eq!(labelled_objects(&scratch.enclave), Vec::<String>::new());
    let ls = scratch.hortus().args(["enclave", "ls"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&ls.stdout).contains(&scratch.enclave));
}

#[test]
fn an_absent_image_names_the_image_and_the_star_line() {
    let scratch = Scratch::new("cli-noimg");
    let package = tempfile::tempdir().unwrap();
    std::fs::write(
        package.path().join("kurtosis.yml"),
        "name: github.com/hortus-test/absent-image\n",
    )
    .unwrap();
    std::fs::write(
        package.path().join("main.star"),
        "def run(plan):\n    plan.add_service(name = \"x\", config = ServiceConfig(image = \"hortus-test/does-not-exist:1\"))\n",
    )
    .unwrap();
    let output = scratch
        .hortus()
        .args(["run", "--enclave", &scratch.enclave])
        .arg(package.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("hortus-test/does-not-exist:1"), "{stderr}");
    assert!(stderr.contains("main.star:2:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_service_that_never_becomes_ready_shows_its_logs_and_the_enclave_is_kept() {
    let scratch = Scratch::new("cli-unready");
    let package = tempfile::tempdir().unwrap();
    std::fs::write(
        package.path().join("kurtosis.yml"),
        "name: github.com/hortus-test/unready\n",
    )
    .unwrap();
    std::fs::write(
        package.path().join("main.star"),
        r#"def run(plan):
    plan.add_service(
        name = "broken",
        config = ServiceConfig(
            image = "hortus-test/busybox:latest",
            cmd = ["sh", "-c", "echo starting broken service; echo config missing >&2; sleep 30"],
            ports = {"http": PortSpec(number = 8080, wait = "2s")},
        ),
    )
"#,
    )
    .unwrap();
    let output = scratch
        .hortus()
        .args(["run", "--enclave", &scratch.enclave])
        .arg(package.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("main.star:2:"), "{stderr}");
    assert!(stderr.contains("config missing"), "{stderr}");
    assert!(stderr.contains("is kept for inspection"), "{stderr}");
    // Kept for inspection until rm.
    assert!(!labelled_objects(&scratch.enclave).is_empty());
    let rm = scratch
        .hortus()
        .args(["enclave", "rm", "-f", &scratch.enclave])
        .output()
        .unwrap();
    assert!(rm.status.success());
    assert_eq!(labelled_objects(&scratch.enclave), Vec::<String>::new());
}

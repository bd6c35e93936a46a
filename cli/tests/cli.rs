//! CLI tests: run the `hortus` binary and check exit codes, stdout and stderr.

use assert_cmd::Command;
use std::path::PathBuf;

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(path)
}

fn hortus() -> Command {
    let mut cmd = Command::cargo_bin("hortus").expect("the hortus binary is built");
    cmd.env("HORTUS_DETERMINISTIC_IDS", "1")
        .env("NO_COLOR", "1")
        // A dry run must not need Docker: point it at nothing.
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env_remove("HORTUS_PACKAGE_CACHE")
        .env("HORTUS_OFFLINE", "1");
    cmd
}

#[test]
fn dry_run_prints_the_numbered_plan_and_the_output() {
    let output = hortus()
        .args(["run", "--dry-run"])
        .arg(testdata("packages/c_cli_demo"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("Plan of `github.com/hortus-test/c-cli-demo`: 4 instructions"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("1. Rendering a template to a files artifact with name 'site'  [main.star:"),
        "{stdout}"
    );
    assert!(stdout.contains("2. Adding service with name 'web' and image 'hortus-test/busybox:latest'  [main.star:21:"), "{stdout}");
    assert!(
        stdout.contains("3. Executing command on service 'web'"),
        "{stdout}"
    );
    assert!(stdout.contains("4. Printing a message"), "{stdout}");
    assert!(
        stdout.contains("Starlark code successfully run in dry-run mode. Output was:"),
        "{stdout}"
    );
    assert!(stdout.contains("\t\"ip\": \"{{kurtosis:"), "{stdout}");
}

#[test]
fn dry_run_json_has_one_object_per_instruction_in_plan_order() {
    let output = hortus()
        .args(["run", "--dry-run", "--output", "json"])
        .arg(testdata("packages/c_cli_demo"))
        .arg(r#"{"title": "custom", "items": ["x"]}"#)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let instructions = doc["instructions"].as_array().unwrap();
    let names: Vec<&str> = instructions
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["render_templates", "add_service", "exec", "print"]);
    assert_eq!(instructions[1]["origin"], "main.star:21:27");
    assert_eq!(instructions[1]["args"]["name"], "web");
    assert_eq!(
        instructions[1]["args"]["config"]["image"],
        "hortus-test/busybox:latest"
    );
    assert_eq!(
        instructions[1]["args"]["config"]["ports"]["http"]["number"],
        8080
    );
    let data: serde_json::Value = serde_json::from_str(
        instructions[0]["args"]["config"]["index.html"]["data"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(data, serde_json::json!({"Items": ["x"], "Title": "custom"}));
    assert_eq!(
        instructions[2]["args"]["recipe"]["command"],
        serde_json::json!(["cat", "/www/index.html"])
    );
    let ip = doc["output"]["ip"].as_str().unwrap();
    assert!(
        ip.starts_with("{{kurtosis:") && ip.ends_with(":ip_address.runtime_value}}"),
        "{ip}"
    );
}

#[test]
fn validation_errors_are_all_reported_with_their_lines_and_exit_1() {
    let output = hortus()
        .args(["run", "--dry-run"])
        .arg(testdata("cli/validation_errors"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`dbb`, which doesn't exist (did you mean `db`?)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("port id `http` to exist on service `db`"),
        "{stderr}"
    );
    assert!(stderr.contains("main.star:3:"), "{stderr}");
    assert!(stderr.contains("main.star:4:"), "{stderr}");
    assert!(stderr.contains("2 validation errors"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn a_real_run_without_a_docker_engine_fails_cleanly_with_exit_2() {
    let output = hortus()
        .args(["run"])
        .arg(testdata("packages/c_cli_demo"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Docker"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_package_is_a_clear_error() {
    let output = hortus()
        .args(["run", "--dry-run", "/nonexistent/package"])
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/package"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn help_lists_the_commands() {
    let output = hortus().arg("--help").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    for command in ["run", "lint", "docs", "package", "enclave"] {
        assert!(stdout.contains(command), "{stdout}");
    }
}

#[test]
fn offline_is_a_flag_that_does_not_swallow_the_package() {
    let output = hortus()
        .args(["run", "--dry-run", "--offline"])
        .arg(testdata("packages/c_cli_demo"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

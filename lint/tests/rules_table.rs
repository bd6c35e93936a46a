//! Table test over `testdata/lint/<rule>/{bad,good}`: every rule of `Rule::ALL` has a fixture
//! that triggers it and one that is completely clean.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers may panic")]

use std::path::Path;

use hortus_builtins::registry::{BuiltinDoc, BuiltinKind, ParamDoc};
use hortus_lint::{LintOptions, Rule, lint_paths, lint_paths_with_registry};

fn param(name: &str, required: bool, ty: &str) -> ParamDoc {
    ParamDoc {
        name: name.to_owned(),
        required,
        ty: ty.to_owned(),
        default: None,
        doc: String::new(),
    }
}

/// A small registry following starlark-api.md, used while the real one is still empty.
fn spec_registry() -> Vec<BuiltinDoc> {
    let b = |name: &str, kind, params| BuiltinDoc {
        name: name.to_owned(),
        kind,
        params,
        doc: String::new(),
        returns: String::new(),
    };
    vec![
        b(
            "add_service",
            BuiltinKind::Instruction,
            vec![
                param("name", true, "str"),
                param("config", true, "ServiceConfig"),
            ],
        ),
        b(
            "print",
            BuiltinKind::Instruction,
            vec![param("msg", true, "any")],
        ),
        b(
            "ServiceConfig",
            BuiltinKind::TypeConstructor,
            vec![
                param("image", true, "str | ImageSpec"),
                param("ports", false, "dict[str, PortSpec]"),
            ],
        ),
        b(
            "PortSpec",
            BuiltinKind::TypeConstructor,
            vec![
                param("number", true, "int"),
                param("transport_protocol", false, "str"),
                param("application_protocol", false, "str"),
            ],
        ),
    ]
}

#[test]
fn every_rule_has_a_failing_and_a_passing_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/lint");
    let mut registry = hortus_builtins::registry::registry();
    let have_registry = ["add_service", "PortSpec"]
        .iter()
        .all(|n| registry.iter().any(|b| b.name == *n));
    if !have_registry {
        registry = spec_registry();
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for rule in Rule::ALL {
        let opts = LintOptions {
            format: false,
            check_docstring: rule.code().starts_with('D'),
        };
        let dir = root.join(rule.name());
        assert!(dir.join("bad").is_dir(), "no fixture for {}", rule.name());
        assert!(dir.join("good").is_dir(), "no fixture for {}", rule.name());
        checked += 1;
        let bad = lint_paths_with_registry(&[dir.join("bad")], &opts, &registry).unwrap();
        if !bad.findings.iter().any(|f| f.rule == rule) {
            failures.push(format!(
                "{}/bad: expected {} {}, got:\n{}",
                rule.name(),
                rule.code(),
                rule.name(),
                bad.render()
            ));
        }
        let good = lint_paths_with_registry(&[dir.join("good")], &opts, &registry).unwrap();
        if !good.findings.is_empty() {
            failures.push(format!(
                "{}/good: expected no findings, got:\n{}",
                rule.name(),
                good.render()
            ));
        }
    }
    assert_eq!(checked, Rule::ALL.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn json_output_has_the_documented_fields() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/lint/undefined-name/bad");
    let report = lint_paths(&[root], &LintOptions::default()).unwrap();
    let json = report.to_json();
    let first = &json[0];
    for key in ["path", "line", "column", "code", "rule", "message"] {
        assert!(first.get(key).is_some(), "{key} missing in {json}");
    }
    assert_eq!(first["code"], "K201");
    assert_eq!(first["line"], 2);
    assert_eq!(first["column"], 12);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn human_output_has_position_code_and_snippet() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/lint/undefined-name/bad");
    let report = lint_paths(&[root], &LintOptions::default()).unwrap();
    let text = report.render();
    assert!(
        text.contains(
            "main.star:2:12: K201 undefined-name: `lenn` is not defined, did you mean `len`?"
        ),
        "{text}"
    );
    assert!(text.contains("return lenn([1])"), "{text}");
}

#[test]
fn missing_path_is_an_error() {
    let err = lint_paths(&["/nonexistent/hortus".into()], &LintOptions::default());
    assert!(matches!(err, Err(hortus_lint::LintError::NotFound(_))));
}

#[test]
fn format_flag_rewrites_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.star");
    std::fs::write(&file, "def run( plan ):\n    plan.print('hello')\n").unwrap();
    let opts = LintOptions {
        format: true,
        check_docstring: false,
    };
    let report = lint_paths(&[dir.path().to_owned()], &opts).unwrap();
    assert_eq!(report.formatted, vec![file.clone()]);
    assert!(report.findings.is_empty());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "def run(plan):\n    plan.print(\"hello\")\n"
    );
    let again = lint_paths(&[dir.path().to_owned()], &LintOptions::default()).unwrap();
    assert!(again.findings.is_empty());
}

#[test]
fn findings_can_be_suppressed_per_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.star"),
        "def f():\n    x = 1  # hortus-lint: ignore[K202]\n    y = 2  # hortus-lint: ignore[undefined-name]\n    z = 3  # hortus-lint: ignore\n    return 0\n",
    )
    .unwrap();
    let report = lint_paths(&[dir.path().to_owned()], &LintOptions::default()).unwrap();
    let lines: Vec<usize> = report.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![3], "{}", report.render());
}

//! The registry of every builtin a package can call: the single source for `hortus docs
//! --builtins` and for `hortus lint`'s argument checks, so neither can drift from what the
//! interpreter accepts.
//!
//! CONTRACT (shared with hortus-lint and hortus-cli): these types and `registry()`.

use serde::Serialize;

use crate::args::DESCRIPTION;
use crate::args::Spec;

/// Which of Kurtosis's three kinds a builtin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuiltinKind {
    /// A `plan.<name>` method that records an instruction.
    Instruction,
    /// A global type constructor (`ServiceConfig`, `PortSpec`, ...).
    TypeConstructor,
    /// A global helper (`import_module`, `read_file`).
    Helper,
    /// A predeclared module or function from the language library (`json`, `struct`, `time`).
    Library,
}

/// One parameter of a builtin, in positional order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamDoc {
    pub name: String,
    pub required: bool,
    /// Accepted types as Kurtosis documents them, e.g. `str`, `dict[str, PortSpec]`,
    /// `str | ImageSpec | ImageBuildSpec | NixBuildSpec`.
    pub ty: String,
    /// The default as Starlark text, when optional.
    pub default: Option<String>,
    pub doc: String,
}

/// One builtin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltinDoc {
    /// `add_service` for instructions (called as `plan.add_service`), `ServiceConfig`, ...
    pub name: String,
    pub kind: BuiltinKind,
    pub params: Vec<ParamDoc>,
    /// User documentation (Markdown), first line a summary.
    pub doc: String,
    /// What it returns, e.g. `Service`, `str`, `None`.
    pub returns: String,
}

/// Every builtin, instructions first, each group sorted by name.
///
/// Generated from the same [`Spec`] tables that drive argument binding, so the documented
/// parameters are exactly the accepted ones.
pub fn registry() -> Vec<BuiltinDoc> {
    let mut out: Vec<BuiltinDoc> = Vec::new();
    let mut group = |specs: Vec<&'static Spec>| {
        let mut docs: Vec<BuiltinDoc> = specs.into_iter().map(doc_of).collect();
        docs.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(docs);
    };
    group(crate::plan::instructions().to_vec());
    group(
        crate::types::constructors()
            .iter()
            .map(|c| &c.spec)
            .collect(),
    );
    group(crate::helpers::helpers().to_vec());
    group(LIBRARY.iter().collect());
    out
}

fn doc_of(spec: &'static Spec) -> BuiltinDoc {
    let params = spec
        .params
        .iter()
        .chain((spec.kind != BuiltinKind::Library).then_some(&DESCRIPTION))
        .map(|p| ParamDoc {
            name: p.name.to_owned(),
            required: p.required,
            ty: p.ty.to_owned(),
            default: p.default.map(str::to_owned),
            doc: p.doc.to_owned(),
        })
        .collect();
    BuiltinDoc {
        name: spec.name.to_owned(),
        kind: spec.kind,
        params,
        doc: spec.doc.to_owned(),
        returns: spec.returns.to_owned(),
    }
}

/// The language library entries (implemented in hortus-stdlib).
static LIBRARY: [Spec; 3] = [
    Spec {
        name: "json",
        kind: BuiltinKind::Library,
        params: &[],
        doc: "JSON encoding: `json.encode(x)` (sorted keys, no whitespace), `json.decode(s)`, `json.indent(s, prefix = \"\", indent = \"\\t\")`.\n\n```python\ntext = json.encode({\"b\": 1, \"a\": [True, None]})  # {\"a\":[true,null],\"b\":1}\n```",
        returns: "module",
    },
    Spec {
        name: "struct",
        kind: BuiltinKind::Library,
        params: &[],
        doc: "Creates an immutable struct from keyword arguments; fields are sorted by name.\n\n```python\ncfg = struct(template = read_file(\"./templates/app.conf\"), data = {\"Port\": 80})\n```",
        returns: "struct",
    },
    Spec {
        name: "time",
        kind: BuiltinKind::Library,
        params: &[],
        doc: "Time values and durations (`time.parse_duration`, `time.from_timestamp`, ...); `time.now()` is disabled.\n\n```python\nd = time.parse_duration(\"1m30s\")\n```",
        returns: "module",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_builtin_is_unique_documented_and_well_named() {
        let all = registry();
        assert_eq!(
            all.iter()
                .filter(|b| b.kind == BuiltinKind::Instruction)
                .count(),
            20
        );
        assert_eq!(
            all.iter()
                .filter(|b| b.kind == BuiltinKind::TypeConstructor)
                .count(),
            15
        );
        let mut names = HashSet::new();
        for builtin in &all {
            assert!(
                names.insert(builtin.name.clone()),
                "duplicate `{}`",
                builtin.name
            );
            assert!(
                builtin.doc.contains("```python"),
                "`{}` has no example",
                builtin.name
            );
            assert!(!builtin.returns.is_empty(), "`{}`", builtin.name);
            let first = builtin.name.chars().next().unwrap();
            match builtin.kind {
                BuiltinKind::TypeConstructor => {
                    assert!(first.is_ascii_uppercase(), "{}", builtin.name)
                }
                _ => assert!(
                    builtin
                        .name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{}",
                    builtin.name
                ),
            }
            let mut params = HashSet::new();
            for param in &builtin.params {
                assert!(
                    params.insert(param.name.clone()),
                    "`{}`: `{}` twice",
                    builtin.name,
                    param.name
                );
                assert!(
                    !param.doc.is_empty() && !param.ty.is_empty(),
                    "`{}.{}`",
                    builtin.name,
                    param.name
                );
                assert_eq!(
                    param.required,
                    param.default.is_none(),
                    "`{}.{}`",
                    builtin.name,
                    param.name
                );
            }
        }
        assert!(names.contains("json") && names.contains("struct") && names.contains("time"));
        for removed in [
            "assert",
            "update_service",
            "set_connection",
            "ReadyConditions",
            "ImageRegistrySpec",
        ] {
            assert!(!names.contains(removed), "{removed}");
        }
    }

    #[test]
    fn every_instruction_records_the_kind_of_its_name() {
        // One call per instruction; the recorded kind's name must equal the builtin's name.
        let calls = [
            (
                "add_service",
                "plan.add_service(name = \"a\", config = ServiceConfig(image = \"i\"))",
            ),
            (
                "add_services",
                "plan.add_services(configs = {\"b\": ServiceConfig(image = \"i\")})",
            ),
            ("get_service", "plan.get_service(name = \"a\")"),
            ("get_services", "plan.get_services()"),
            (
                "set_service",
                "plan.set_service(name = \"a\", config = ServiceConfig(image = \"j\"))",
            ),
            (
                "get_files_artifact",
                "plan.get_files_artifact(name = \"x\")",
            ),
            (
                "verify",
                "plan.verify(value = \"1\", assertion = \"==\", target_value = \"1\")",
            ),
            (
                "exec",
                "plan.exec(service_name = \"a\", recipe = ExecRecipe(command = [\"ls\"]))",
            ),
            ("print", "plan.print(\"hi\")"),
            (
                "render_templates",
                "plan.render_templates(config = {\"f\": struct(template = \"x\", data = {})})",
            ),
            (
                "request",
                "plan.request(service_name = \"a\", recipe = GetHttpRequestRecipe(port_id = \"p\", endpoint = \"/\"))",
            ),
            ("start_service", "plan.start_service(name = \"a\")"),
            ("stop_service", "plan.stop_service(name = \"a\")"),
            (
                "store_service_files",
                "plan.store_service_files(service_name = \"a\", src = \"/x\")",
            ),
            (
                "upload_files",
                "plan.upload_files(src = \"https://example.com/x.txt\")",
            ),
            (
                "wait",
                "plan.wait(service_name = \"a\", recipe = ExecRecipe(command = [\"ls\"]), field = \"code\", assertion = \"==\", target_value = 0)",
            ),
            ("run_sh", "plan.run_sh(run = \"true\")"),
            ("run_python", "plan.run_python(run = \"pass\")"),
            ("remove_service", "plan.remove_service(name = \"a\")"),
            ("get_cluster_type", "plan.get_cluster_type()"),
        ];
        let body: String = calls.iter().map(|(_, c)| format!("    {c}\n")).collect();
        let plan = crate::testing::Fixture::new(&format!("def run(plan):\n{body}"))
            .plan()
            .unwrap();
        // The canonical text is the call with keyword spelling (§3.7).
        for ((name, call), instruction) in calls.iter().zip(&plan.instructions) {
            let expected = match *name {
                "print" => "print(msg=\"hi\")".to_owned(),
                "render_templates" => {
                    "render_templates(config={\"f\": struct(data={}, template=\"x\")})".to_owned()
                }
                _ => call.trim_start_matches("plan.").replace(" = ", "="),
            };
            assert_eq!(instruction.canonical, expected);
            assert!(!instruction.description.is_empty(), "{name}");
        }
        let recorded: Vec<&str> = plan.instructions.iter().map(|i| i.kind.name()).collect();
        let expected: Vec<&str> = calls.iter().map(|(n, _)| *n).collect();
        assert_eq!(recorded, expected);
        let documented: HashSet<String> = registry()
            .into_iter()
            .filter(|b| b.kind == BuiltinKind::Instruction)
            .map(|b| b.name)
            .collect();
        let called: HashSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(documented, called);
    }
}

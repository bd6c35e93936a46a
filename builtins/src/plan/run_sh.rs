//! `plan.run_sh(name?, run, image?, files?, store?, env_vars?, wait?, ...)` (§4.18) and the
//! task logic shared with `plan.run_python` (§4.19): a one-off container whose exit code and
//! output become future references and whose `store` paths become files artifacts.

use hortus_plan::GoDuration;
use hortus_plan::ImageRef;
use hortus_plan::InstructionKind;
use hortus_plan::instruction::RunTask;
use hortus_plan::instruction::StoreSpec;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;
use starlark::values::list::AllocList;
use starlark::values::list::ListRef;

use super::Call;
use super::ignore_this;
use super::run;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;
use crate::types::Attrs;
use crate::types::image;
use crate::types::service_config::privileged_gate;
use crate::types::service_config::tolerations;

/// Default task timeout.
pub const DEFAULT_WAIT: GoDuration = GoDuration::from_secs(180);

/// `plan.run_sh`.
/// Parameters `run_sh` and `run_python` share (same names, types, defaults and docs).
const P_NAME: Param = Param::opt(
    "name",
    Kind::Str,
    "str",
    "\"task-<uuid>\"",
    "Task container name (first positional parameter)",
);
const P_FILES: Param = Param::opt(
    "files",
    Kind::Dict,
    "dict[str, str]",
    "{}",
    "Mount path → files artifact name",
);
const P_STORE: Param = Param::opt(
    "store",
    Kind::List,
    "list[str | StoreSpec]",
    "[]",
    "Paths saved as files artifacts after the run",
);
const P_WAIT: Param = Param::opt(
    "wait",
    Kind::StrOrNone,
    "str | None",
    "\"180s\"",
    "Task timeout (Go duration); `None` for none",
);
const P_ACCEPTABLE_CODES: Param = Param::opt(
    "acceptable_codes",
    Kind::List,
    "list[int]",
    "[0]",
    "Exit codes that count as success",
);
const P_SKIP_CODE_CHECK: Param = Param::opt(
    "skip_code_check",
    Kind::Bool,
    "bool",
    "False",
    "Accept any exit code",
);
const P_NODE_SELECTORS: Param = Param::opt(
    "node_selectors",
    Kind::Dict,
    "dict[str, str]",
    "{}",
    "Kubernetes node selectors",
);
const P_TOLERATIONS: Param = Param::opt(
    "tolerations",
    Kind::List,
    "list[Toleration]",
    "[]",
    "Kubernetes tolerations",
);

pub static RUN_SH: Spec = Spec {
    name: "run_sh",
    kind: BuiltinKind::Instruction,
    params: &[
        P_NAME,
        Param::req(
            "run",
            Kind::Str,
            "str",
            "Shell script run with `/bin/sh -c`",
        ),
        Param::opt(
            "image",
            Kind::Any,
            "str | ImageSpec | ImageBuildSpec | NixBuildSpec",
            "\"badouralix/curl-jq\"",
            "Task image",
        ),
        P_FILES,
        P_STORE,
        Param::opt(
            "env_vars",
            Kind::Dict,
            "dict[str, str]",
            "{}",
            "Environment variables (values future-reference substituted)",
        ),
        P_WAIT,
        P_ACCEPTABLE_CODES,
        P_SKIP_CODE_CHECK,
        P_NODE_SELECTORS,
        P_TOLERATIONS,
        Param::opt(
            "privileged",
            Kind::Bool,
            "bool",
            "False",
            "Privileged container (needs `--privileged`)",
        ),
        Param::opt(
            "host_pid_namespace",
            Kind::Bool,
            "bool",
            "False",
            "Share the host PID namespace (needs `--privileged`)",
        ),
        Param::opt(
            "bind_mounts",
            Kind::Dict,
            "dict[str, str]",
            "{}",
            "Host path → container path; only `/var/run/docker.sock`",
        ),
    ],
    doc: "Runs a shell script in a one-off container; returns `struct(code, output, files_artifacts)`.\n\n```python\nresult = plan.run_sh(run = \"mkdir -p /out && date > /out/now\", store = [StoreSpec(src = \"/out/*\", name = \"now\")])\nplan.print(result.output)\n```",
    returns: "struct",
};

/// `plan.run_python`.
pub static RUN_PYTHON: Spec = Spec {
    name: "run_python",
    kind: BuiltinKind::Instruction,
    params: &[
        P_NAME,
        Param::req(
            "run",
            Kind::Str,
            "str",
            "Python script (future references are not substituted; use `args`)",
        ),
        Param::opt(
            "args",
            Kind::List,
            "list[str]",
            "[]",
            "Script arguments (future references substituted)",
        ),
        Param::opt(
            "packages",
            Kind::List,
            "list[str]",
            "[]",
            "pip packages installed first",
        ),
        Param::opt(
            "image",
            Kind::Any,
            "str | ImageSpec | ImageBuildSpec | NixBuildSpec",
            "\"python:3.11-alpine\"",
            "Task image",
        ),
        P_FILES,
        P_STORE,
        P_WAIT,
        P_ACCEPTABLE_CODES,
        P_SKIP_CODE_CHECK,
        P_NODE_SELECTORS,
        P_TOLERATIONS,
    ],
    doc: "Runs a Python script in a one-off container; returns `struct(code, output, files_artifacts)`.\n\n```python\nresult = plan.run_python(run = \"import sys; print(sys.argv[1])\", args = [web.ip_address])\n```",
    returns: "struct",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Runs a shell script in a one-off container; returns `struct(code, output, files_artifacts)`.
    ///
    /// ```python
    /// result = plan.run_sh(run = "echo hello")
    /// ```
    fn run_sh<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(task_impl(&RUN_SH, args, eval))
    }
}

/// The body of `run_sh` and `run_python`.
pub(crate) fn task_impl<'v>(
    spec: &'static Spec,
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let python = spec.name == "run_python";
    let call = Call::begin(spec, args, eval)?;
    let script = call.bound.req_str("run")?.to_owned();
    let name = match call.bound.str("name") {
        Some(name) => name.to_owned(),
        None => call.ctx.task_name(),
    };
    let image = match call.bound.get("image") {
        Some(v) => image::convert(v, call.ctx, &call.caller).map_err(|e| call.fail(e))?,
        None => ImageRef::Name(
            if python {
                "python:3.11-alpine"
            } else {
                "badouralix/curl-jq"
            }
            .to_owned(),
        ),
    };
    let mut store = Vec::new();
    if let Some(list) = call.bound.get("store") {
        let list = ListRef::from_value(list).ok_or_else(|| call.fail("`store` must be a list"))?;
        for (index, item) in list.iter().enumerate() {
            let (src, name) = if let Some(src) = item.unpack_str() {
                (src.to_owned(), None)
            } else if let Some(spec) = Attrs::of(item, &["StoreSpec"]) {
                (
                    spec.str("src").unwrap_or_default().to_owned(),
                    spec.str("name").map(str::to_owned),
                )
            } else {
                return Err(call.fail(format!(
                    "item {index} of `store` must be a string or a `StoreSpec`, got `{}`",
                    item.get_type()
                )));
            };
            let name = match name {
                Some(name) => {
                    call.ctx.use_artifact_name(&name);
                    name
                }
                None => call.ctx.artifact_name(),
            };
            store.push(StoreSpec { src, name });
        }
    }
    let wait = match call.bound.get("wait") {
        None => Some(DEFAULT_WAIT),
        Some(v) if v.is_none() => None,
        Some(v) => {
            let text = v.unpack_str().unwrap_or_default();
            if text.is_empty() {
                return Err(call.fail("`wait` must not be an empty string"));
            }
            Some(GoDuration::parse(text).map_err(|e| call.fail(format!("`wait`: {e}")))?)
        }
    };
    let privileged = call.bound.bool("privileged").unwrap_or(false);
    let host_pid_namespace = call.bound.bool("host_pid_namespace").unwrap_or(false);
    let bind_mounts = call.bound.str_dict("bind_mounts")?.unwrap_or_default();
    if let Some(bad) = bind_mounts
        .keys()
        .find(|k| k.as_str() != crate::types::service_config::DOCKER_SOCKET)
    {
        return Err(call.fail(format!(
            "`bind_mounts` only accepts the host path `/var/run/docker.sock`, got `{bad}`"
        )));
    }
    privileged_gate(
        call.ctx,
        privileged,
        host_pid_namespace,
        !bind_mounts.is_empty(),
    )
    .map_err(|e| call.fail(e))?;
    let result_id = call.ctx.next_id();
    let files_artifacts: Vec<Value<'v>> = store
        .iter()
        .map(|s| call.heap.alloc(s.name.as_str()))
        .collect();
    let result = hortus_stdlib::structs::alloc_struct(
        call.heap,
        vec![
            (
                "code".to_owned(),
                call.heap
                    .alloc(hortus_plan::future_ref::format(&result_id, "code")),
            ),
            (
                "output".to_owned(),
                call.heap
                    .alloc(hortus_plan::future_ref::format(&result_id, "output")),
            ),
            (
                "files_artifacts".to_owned(),
                call.heap.alloc(AllocList(files_artifacts)),
            ),
        ],
    );
    let description = if python {
        "Running Python script".to_owned()
    } else if script.chars().count() < 80 {
        format!("Running sh script: `{script}`")
    } else {
        "Running sh script".to_owned()
    };
    let task = RunTask {
        name,
        run: script,
        image,
        files: call.bound.str_dict("files")?.unwrap_or_default(),
        store,
        env_vars: call.bound.str_dict("env_vars")?.unwrap_or_default(),
        args: call.bound.str_list("args")?.unwrap_or_default(),
        packages: call.bound.str_list("packages")?.unwrap_or_default(),
        wait,
        acceptable_codes: call
            .bound
            .int_list("acceptable_codes")?
            .unwrap_or_else(|| vec![0]),
        skip_code_check: call.bound.bool("skip_code_check").unwrap_or(false),
        node_selectors: call.bound.str_dict("node_selectors")?.unwrap_or_default(),
        tolerations: tolerations(call.bound.get("tolerations")).map_err(|e| call.fail(e))?,
        privileged,
        host_pid_namespace,
        bind_mounts,
        result_id,
    };
    call.record(
        description,
        if python {
            InstructionKind::RunPython(Box::new(task))
        } else {
            InstructionKind::RunSh(Box::new(task))
        },
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use crate::context::EvalOptions;
    use crate::testing::Fixture;
    use crate::testing::run_err;
    use crate::testing::run_ok;
    use hortus_plan::InstructionKind;

    #[test]
    fn run_sh_records_the_task_and_returns_a_struct() {
        let (plan, out) = run_ok(
            "r = plan.run_sh(run = \"mkdir -p /out && echo hi > /out/a\", store = [\"/out/a\", StoreSpec(src = \"/out/*\", name = \"out\")], env_vars = {\"A\": \"1\"}, wait = None)\nreturn [type(r), r.files_artifacts[1], r.code]",
        );
        let id = "00000000000000000000000000000001";
        assert_eq!(
            out,
            format!("[\"struct\", \"out\", \"{{{{kurtosis:{id}:code.runtime_value}}}}\"]")
        );
        let i = &plan.instructions[0];
        assert_eq!(
            i.description,
            "Running sh script: `mkdir -p /out && echo hi > /out/a`"
        );
        let InstructionKind::RunSh(task) = &i.kind else {
            unreachable!()
        };
        assert_eq!(task.name, "task-00000000-0000-0000-0000-000000000001");
        assert_eq!(task.image.image_name(), "badouralix/curl-jq");
        assert_eq!(task.wait, None);
        assert_eq!(task.store.len(), 2);
        assert_eq!(task.store[1].name, "out");
        assert_eq!(task.env_vars["A"], "1");
        assert_eq!(task.result_id, id);
        let (plan, _) = run_ok("plan.run_sh(run = \"x\" * 100)");
        assert_eq!(plan.instructions[0].description, "Running sh script");
        let InstructionKind::RunSh(task) = &plan.instructions[0].kind else {
            unreachable!()
        };
        assert_eq!(task.wait.map(|w| w.to_string()).as_deref(), Some("3m0s"));
    }

    #[test]
    fn run_sh_checks_wait_store_and_privileges() {
        let err = run_err("plan.run_sh(run = \"x\", wait = \"\")");
        assert!(err.contains("`wait` must not be an empty string"), "{err}");
        let err = run_err("plan.run_sh(run = \"x\", store = [1])");
        assert!(
            err.contains("item 0 of `store` must be a string or a `StoreSpec`"),
            "{err}"
        );
        let err = run_err("plan.run_sh(run = \"x\", privileged = True)");
        assert!(err.contains("--privileged"), "{err}");
        let ok = Fixture::new("def run(plan):\n    plan.run_sh(run = \"x\", privileged = True, bind_mounts = {\"/var/run/docker.sock\": \"/var/run/docker.sock\"})\n")
            .options(EvalOptions {
                allow_privileged: true,
                ..EvalOptions::default()
            })
            .plan()
            .unwrap();
        let InstructionKind::RunSh(task) = &ok.instructions[0].kind else {
            unreachable!()
        };
        assert!(task.privileged);
    }

    #[test]
    fn run_python_has_its_own_defaults() {
        let (plan, _) = run_ok(
            "plan.run_python(run = \"import sys\", args = [\"a\"], packages = [\"requests\"])",
        );
        let i = &plan.instructions[0];
        assert_eq!(i.name(), "run_python");
        assert_eq!(i.description, "Running Python script");
        let InstructionKind::RunPython(task) = &i.kind else {
            unreachable!()
        };
        assert_eq!(task.image.image_name(), "python:3.11-alpine");
        assert_eq!(task.args, vec!["a"]);
        assert_eq!(task.packages, vec!["requests"]);
        let err = run_err("plan.run_python(run = \"x\", env_vars = {})");
        assert!(
            err.contains("unexpected keyword argument `env_vars`"),
            "{err}"
        );
    }
}

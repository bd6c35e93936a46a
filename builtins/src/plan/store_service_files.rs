//! `plan.store_service_files(service_name, src, name?, depends_on?, description?)` (§4.15):
//! copies a path out of a service into a files artifact; returns the artifact name.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::StoreServiceFiles;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;

use super::Call;
use super::ignore_this;
use super::run;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;

/// `plan.store_service_files`.
pub static SPEC: Spec = Spec {
    name: "store_service_files",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req("service_name", Kind::Str, "str", "Service to copy from"),
        Param::req(
            "src",
            Kind::Str,
            "str",
            "Path inside the container (a trailing `/*` stores the directory's contents)",
        ),
        Param::opt(
            "name",
            Kind::Str,
            "str",
            "generated",
            "Name of the files artifact",
        ),
        Param::opt(
            "depends_on",
            Kind::Str,
            "str",
            "None",
            "Future references this step depends on (parallel mode)",
        ),
    ],
    doc: "Copies a path out of a service's container into a files artifact; returns its name.\n\n```python\ngenesis = plan.store_service_files(service_name = \"init\", src = \"/network-configs/genesis.json\", name = \"genesis\")\n```",
    returns: "str",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Copies a path out of a service's container into a files artifact; returns its name.
    ///
    /// ```python
    /// genesis = plan.store_service_files(service_name = "init", src = "/data/genesis.json")
    /// ```
    fn store_service_files<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(store_service_files_impl(args, eval))
    }
}

fn store_service_files_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let service_name = call.bound.req_str("service_name")?.to_owned();
    let src = call.bound.req_str("src")?.to_owned();
    let name = match call.bound.str("name") {
        Some(name) => {
            call.ctx.use_artifact_name(name);
            name.to_owned()
        }
        None => call.ctx.artifact_name(),
    };
    call.record(
        format!(
            "Storing files from service '{service_name}' at path '{src}' to files artifact with name '{name}'"
        ),
        InstructionKind::StoreServiceFiles(StoreServiceFiles {
            service_name,
            src,
            name: name.clone(),
            depends_on: call.bound.str("depends_on").map(str::to_owned),
        }),
    );
    Ok(call.heap.alloc(name))
}

#[cfg(test)]
mod tests {
    use crate::testing::run_ok;
    use hortus_plan::InstructionKind;

    #[test]
    fn store_service_files_names_the_artifact() {
        let (plan, out) =
            run_ok("return plan.store_service_files(\"init\", \"/out/*\", name = \"genesis\")");
        assert_eq!(out, "genesis");
        assert_eq!(
            plan.instructions[0].description,
            "Storing files from service 'init' at path '/out/*' to files artifact with name 'genesis'"
        );
        let (plan, out) =
            run_ok("return plan.store_service_files(service_name = \"init\", src = \"/out\")");
        let InstructionKind::StoreServiceFiles(store) = &plan.instructions[0].kind else {
            unreachable!()
        };
        assert_eq!(store.name, out);
        assert_eq!(store.depends_on, None);
    }
}

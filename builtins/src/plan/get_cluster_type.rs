//! `plan.get_cluster_type(description?)` (§4.20): the backend kind as a real string.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::GetClusterType;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;

use super::Call;
use super::ignore_this;
use super::run;
use crate::args::Spec;
use crate::registry::BuiltinKind;

/// `plan.get_cluster_type`.
pub static SPEC: Spec = Spec {
    name: "get_cluster_type",
    kind: BuiltinKind::Instruction,
    params: &[],
    doc: "Returns the backend kind (`docker`, `kubernetes` or `podman`) at interpretation time.\n\n```python\nif plan.get_cluster_type() == \"docker\":\n    plan.print(\"running on docker\")\n```",
    returns: "str",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Returns the backend kind (`docker`, `kubernetes` or `podman`) at interpretation time.
    ///
    /// ```python
    /// cluster = plan.get_cluster_type()
    /// ```
    fn get_cluster_type<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(get_cluster_type_impl(args, eval))
    }
}

fn get_cluster_type_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let cluster_type = call.ctx.options.cluster_type.clone();
    // As in Kurtosis, a user description is accepted but ignored.
    call.ctx.record(hortus_plan::Instruction {
        origin: call.origin.clone(),
        description: format!("Fetching cluster type '{cluster_type}'"),
        canonical: call.bound.canonical(),
        kind: InstructionKind::GetClusterType(GetClusterType {
            cluster_type: cluster_type.clone(),
        }),
    });
    Ok(call.heap.alloc(cluster_type))
}

#[cfg(test)]
mod tests {
    use crate::testing::run_ok;

    #[test]
    fn get_cluster_type_is_a_real_string_and_ignores_descriptions() {
        let (plan, out) =
            run_ok("t = plan.get_cluster_type(description = \"mine\")\nreturn t == \"docker\"");
        assert_eq!(out, "True");
        assert_eq!(
            plan.instructions[0].description,
            "Fetching cluster type 'docker'"
        );
        assert_eq!(
            plan.instructions[0].canonical,
            "get_cluster_type(description=\"mine\")"
        );
    }
}

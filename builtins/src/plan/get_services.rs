//! `plan.get_services(description?)` (§4.4): every stored `Service`, sorted by name.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::Empty;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;
use starlark::values::list::AllocList;

use super::Call;
use super::ignore_this;
use super::run;
use crate::args::Spec;
use crate::registry::BuiltinKind;
use crate::types::service::service_value;

/// `plan.get_services`.
pub static SPEC: Spec = Spec {
    name: "get_services",
    kind: BuiltinKind::Instruction,
    params: &[],
    doc: "Returns every service of the enclave as a list of `Service`, sorted by name.\n\n```python\nfor service in plan.get_services():\n    plan.print(service.name)\n```",
    returns: "list[Service]",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Returns every service of the enclave as a list of `Service`, sorted by name.
    ///
    /// ```python
    /// services = plan.get_services()
    /// ```
    fn get_services<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(get_services_impl(args, eval))
    }
}

fn get_services_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let values: Vec<Value<'v>> = call
        .ctx
        .stored_services()
        .iter()
        .map(|(name, stored)| service_value(call.heap, name, &stored.ports))
        .collect();
    call.record(
        "Fetching services".to_owned(),
        InstructionKind::GetServices(Empty {}),
    );
    Ok(call.heap.alloc(AllocList(values)))
}

#[cfg(test)]
mod tests {
    use crate::testing::run_ok;

    #[test]
    fn get_services_lists_stored_services_sorted_by_name() {
        let (plan, out) = run_ok(
            "plan.add_service(name = \"b\", config = ServiceConfig(image = \"i\"))\nplan.add_service(name = \"a\", config = ServiceConfig(image = \"i\"))\nplan.add_service(name = \"c\", config = ServiceConfig(image = \"i\"))\nplan.remove_service(\"c\")\nreturn [s.name for s in plan.get_services()]",
        );
        assert_eq!(out, "[\"a\", \"b\"]");
        assert_eq!(plan.instructions[4].description, "Fetching services");
    }
}

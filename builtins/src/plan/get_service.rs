//! `plan.get_service(name, description?)` (§4.3): the `Service` of an earlier `add_service`.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::NameArg;
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
use crate::types::service::service_value;

/// `plan.get_service`.
pub static SPEC: Spec = Spec {
    name: "get_service",
    kind: BuiltinKind::Instruction,
    params: &[Param::req("name", Kind::Str, "str", "Service name")],
    doc: "Returns the `Service` of a service added earlier (in this run or an earlier one).\n\n```python\ndb = plan.get_service(name = \"postgres\")\n```",
    returns: "Service",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Returns the `Service` of a service added earlier.
    ///
    /// ```python
    /// db = plan.get_service(name = "postgres")
    /// ```
    fn get_service<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(get_service_impl(args, eval))
    }
}

fn get_service_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let name = call
        .bound
        .non_empty_str("name")?
        .unwrap_or_default()
        .to_owned();
    let stored = call
        .ctx
        .stored_service(&name)
        .ok_or_else(|| call.fail(format!("service `{name}` doesn't exist")))?;
    let value = service_value(call.heap, &name, &stored.ports);
    call.record(
        format!("Fetching service '{name}'"),
        InstructionKind::GetService(NameArg { name }),
    );
    Ok(value)
}

#[cfg(test)]
mod tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;

    #[test]
    fn get_service_returns_the_stored_service() {
        let (plan, out) = run_ok(
            "a = plan.add_service(name = \"db\", config = ServiceConfig(image = \"postgres\", ports = {\"pg\": PortSpec(5432, wait = None)}))\nb = plan.get_service(\"db\")\nreturn [a == b, b.ports[\"pg\"]]",
        );
        assert_eq!(
            out,
            "[True, PortSpec(number=5432, transport_protocol=\"TCP\")]"
        );
        assert_eq!(plan.instructions[1].description, "Fetching service 'db'");
        assert_eq!(plan.instructions[1].canonical, "get_service(name=\"db\")");
        let err = run_err("plan.get_service(name = \"nope\")");
        assert!(err.contains("service `nope` doesn't exist"), "{err}");
        let err = run_err("plan.get_service(name = \"\")");
        assert!(err.contains("`name` must not be an empty string"), "{err}");
    }
}

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

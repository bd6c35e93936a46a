//! `plan.stop_service(name, description?)`: Stops a service, keeping its registration and configuration.

use hortus_plan::InstructionKind;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;

use super::ignore_this;
use super::name_instruction;
use super::run;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;

/// `plan.stop_service`.
pub static STOP: Spec = Spec {
    name: "stop_service",
    kind: BuiltinKind::Instruction,
    params: &[Param::req("name", Kind::Str, "str", "Service name")],
    doc: "Stops a service, keeping its registration and configuration.\n\n```python\nplan.stop_service(name = \"web\")\n```",
    returns: "None",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Stops a service, keeping its registration and configuration.
    ///
    /// ```python
    /// plan.stop_service(name = \"web\")
    /// ```
    fn stop_service<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        let heap = eval.heap();
        run(name_instruction(
            &STOP,
            args,
            eval,
            |name| format!("Stopping service '{name}'"),
            InstructionKind::StopService,
            super::no_effect,
        )
        .map(|_name| {
            let _ = heap;
            Value::new_none()
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::run_ok;

    #[test]
    fn stop_service_records_the_name() {
        let (plan, _) = run_ok("plan.stop_service(name = \"web\")");
        assert_eq!(plan.instructions[0].name(), "stop_service");
        assert_eq!(plan.instructions[0].description, "Stopping service 'web'");
    }
}

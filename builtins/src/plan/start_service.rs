//! `plan.start_service(name, description?)`: Starts a stopped service, keeping its configuration.

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

/// `plan.start_service`.
pub static START: Spec = Spec {
    name: "start_service",
    kind: BuiltinKind::Instruction,
    params: &[Param::req("name", Kind::Str, "str", "Service name")],
    doc: "Starts a stopped service, keeping its configuration.\n\n```python\nplan.start_service(name = \"web\")\n```",
    returns: "None",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Starts a stopped service, keeping its configuration.
    ///
    /// ```python
    /// plan.start_service(name = \"web\")
    /// ```
    fn start_service<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        let heap = eval.heap();
        run(name_instruction(
            &START,
            args,
            eval,
            |name| format!("Starting service '{name}'"),
            InstructionKind::StartService,
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
    fn start_service_records_the_name() {
        let (plan, out) = run_ok("return plan.start_service(\"web\", description = \"go\")");
        assert_eq!(out, "None");
        assert_eq!(
            plan.instructions[0].canonical,
            "start_service(name=\"web\", description=\"go\")"
        );
        assert_eq!(plan.instructions[0].description, "go");
        assert_eq!(
            run_ok("plan.start_service(\"web\")").0.instructions[0].description,
            "Starting service 'web'"
        );
    }
}

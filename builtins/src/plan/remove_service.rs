//! `plan.remove_service(name, description?)`: Removes a service from the enclave.

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

/// `plan.remove_service`.
pub static SPEC: Spec = Spec {
    name: "remove_service",
    kind: BuiltinKind::Instruction,
    params: &[Param::req("name", Kind::Str, "str", "Service name")],
    doc: "Removes a service from the enclave.\n\n```python\nplan.remove_service(name = \"web\")\n```",
    returns: "None",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Removes a service from the enclave.
    ///
    /// ```python
    /// plan.remove_service(name = \"web\")
    /// ```
    fn remove_service<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        let heap = eval.heap();
        run(name_instruction(
            &SPEC,
            args,
            eval,
            |name| format!("Removing service '{name}'"),
            InstructionKind::RemoveService,
            |call, name| {
                call.ctx.remove_stored_service(name);
                Ok(())
            },
        )
        .map(|_name| {
            let _ = heap;
            Value::new_none()
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;

    #[test]
    fn remove_service_forgets_the_service_at_interpretation() {
        let (plan, _) = run_ok(
            "plan.add_service(name = \"a\", config = ServiceConfig(image = \"i\"))\nplan.remove_service(name = \"a\")",
        );
        assert_eq!(plan.instructions[1].name(), "remove_service");
        assert_eq!(plan.instructions[1].description, "Removing service 'a'");
        let err = run_err(
            "plan.add_service(name = \"a\", config = ServiceConfig(image = \"i\"))\nplan.remove_service(name = \"a\")\nplan.get_service(\"a\")",
        );
        assert!(err.contains("service `a` doesn't exist"), "{err}");
    }
}

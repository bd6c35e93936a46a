//! `plan.get_files_artifact(name, description?)`: Returns the name of an existing files artifact (checked at validation).

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

/// `plan.get_files_artifact`.
pub static SPEC: Spec = Spec {
    name: "get_files_artifact",
    kind: BuiltinKind::Instruction,
    params: &[Param::req("name", Kind::Str, "str", "Files artifact name")],
    doc: "Returns the name of an existing files artifact (checked at validation).\n\n```python\nconfig = plan.get_files_artifact(name = \"genesis\")\n```",
    returns: "str",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Returns the name of an existing files artifact (checked at validation).
    ///
    /// ```python
    /// config = plan.get_files_artifact(name = \"genesis\")
    /// ```
    fn get_files_artifact<'v>(
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
            |name| format!("Fetching files artifact '{name}'"),
            InstructionKind::GetFilesArtifact,
            super::no_effect,
        )
        .map(|_name| heap.alloc(_name)))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::run_ok;

    #[test]
    fn get_files_artifact_returns_the_name() {
        let (plan, out) = run_ok("return plan.get_files_artifact(name = \"genesis\")");
        assert_eq!(out, "genesis");
        assert_eq!(
            plan.instructions[0].description,
            "Fetching files artifact 'genesis'"
        );
    }
}

//! `plan.print(msg, description?)` (§4.9): records a Print instruction.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::Print;
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

/// `plan.print`.
pub static SPEC: Spec = Spec {
    name: "print",
    kind: BuiltinKind::Instruction,
    params: &[Param::req(
        "msg",
        Kind::Any,
        "Value",
        "The message; a non-string is rendered with `str()`",
    )],
    doc: "Prints a message at execution time, after substituting future references.\n\n```python\nplan.print(\"web listens on {}\".format(web.ip_address))\n```",
    returns: "None",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Prints a message at execution time, after substituting future references.
    ///
    /// ```python
    /// plan.print("web listens on {}".format(web.ip_address))
    /// ```
    fn print<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(print_impl(args, eval))
    }
}

fn print_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let msg = call
        .bound
        .get("msg")
        .map(hortus_stdlib::go_str)
        .unwrap_or_default();
    call.record(
        "Printing a message".to_owned(),
        InstructionKind::Print(Print { msg }),
    );
    Ok(Value::new_none())
}

#[cfg(test)]
mod tests {
    use crate::testing::run_ok;
    use hortus_plan::InstructionKind;

    #[test]
    fn print_takes_strings_raw_and_renders_other_values() {
        let (plan, out) =
            run_ok("plan.print(\"hi\")\nreturn plan.print({\"hello\": [1.0, PortSpec(80)]})");
        assert_eq!(out, "None");
        let InstructionKind::Print(first) = &plan.instructions[0].kind else {
            unreachable!()
        };
        assert_eq!(first.msg, "hi");
        let InstructionKind::Print(second) = &plan.instructions[1].kind else {
            unreachable!()
        };
        assert_eq!(second.msg, "{\"hello\": [1.0, PortSpec(number=80)]}");
        assert_eq!(plan.instructions[0].description, "Printing a message");
        assert_eq!(plan.instructions[0].canonical, "print(msg=\"hi\")");
    }
}

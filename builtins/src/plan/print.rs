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

//! `plan.verify(value, assertion, target_value, description?)` (§4.7): an execution-time
//! assertion over future references.

use hortus_plan::Assertion;
use hortus_plan::InstructionKind;
use hortus_plan::instruction::Verify;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;

use super::Call;
use super::ignore_this;
use super::run;
use super::to_json;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;
use crate::types::ready_condition::assertion;

/// `plan.verify`.
pub static SPEC: Spec = Spec {
    name: "verify",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req(
            "value",
            Kind::Str,
            "str",
            "The value to check, usually a future reference",
        ),
        Param::req(
            "assertion",
            Kind::Str,
            "str",
            "`==`, `!=`, `>=`, `>`, `<=`, `<`, `IN` or `NOT_IN`",
        ),
        Param::req(
            "target_value",
            Kind::Any,
            "Comparable",
            "The value to compare with",
        ),
    ],
    doc: "Fails the run at execution if the assertion does not hold.\n\n```python\nresult = plan.exec(service_name = \"db\", recipe = ExecRecipe(command = [\"true\"]))\nplan.verify(value = result[\"code\"], assertion = \"==\", target_value = 0)\n```",
    returns: "None",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Fails the run at execution if the assertion does not hold.
    ///
    /// ```python
    /// plan.verify(value = result["code"], assertion = "==", target_value = 0)
    /// ```
    fn verify<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(verify_impl(args, eval))
    }
}

/// Checks that the target of `IN`/`NOT_IN` is iterable.
pub(crate) fn check_iterable<'v>(assertion: Assertion, target: Value<'v>) -> anyhow::Result<()> {
    if matches!(assertion, Assertion::In | Assertion::NotIn)
        && !matches!(target.get_type(), "list" | "tuple" | "dict" | "range")
    {
        anyhow::bail!(
            "`{}` assertion requires an iterable for target values, got `{}`",
            assertion.token(),
            target.get_type()
        );
    }
    Ok(())
}

fn verify_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let value = call.bound.req_str("value")?.to_owned();
    let assertion = assertion(call.bound.req_str("assertion")?).map_err(|e| call.fail(e))?;
    let target = call
        .bound
        .get("target_value")
        .ok_or_else(|| call.fail("missing argument for `target_value`"))?;
    check_iterable(assertion, target).map_err(|e| call.fail(e))?;
    let target_value = to_json(target).map_err(|e| call.fail(format!("`target_value`: {e}")))?;
    call.record(
        format!(
            "Verifying whether two values meet a certain condition '{}'",
            assertion.token()
        ),
        InstructionKind::Verify(Verify {
            value,
            assertion,
            target_value,
        }),
    );
    Ok(Value::new_none())
}

#[cfg(test)]
mod tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;
    use hortus_plan::Assertion;
    use hortus_plan::InstructionKind;

    #[test]
    fn verify_records_value_assertion_and_target() {
        let (plan, _) = run_ok(
            "r = plan.exec(\"db\", ExecRecipe([\"ls\"]))\nplan.verify(r[\"code\"], \"NOT_IN\", [1, 2])",
        );
        let i = &plan.instructions[1];
        assert_eq!(
            i.description,
            "Verifying whether two values meet a certain condition 'NOT_IN'"
        );
        let InstructionKind::Verify(verify) = &i.kind else {
            unreachable!()
        };
        assert_eq!(verify.assertion, Assertion::NotIn);
        assert!(hortus_plan::future_ref::whole(&verify.value).is_some());
        assert_eq!(verify.target_value, serde_json::json!([1, 2]));
        let err = run_err("plan.verify(1, \"==\", 1)");
        assert!(err.contains("`value` must be of type `str`"), "{err}");
        let err = run_err("plan.verify(\"a\", \"IN\", \"abc\")");
        assert!(err.contains("`IN` assertion requires an iterable"), "{err}");
    }
}

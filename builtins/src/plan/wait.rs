//! `plan.wait(service_name, recipe, field, assertion, target_value, interval?, timeout?,
//! description?)` (§4.17): retries a recipe until an assertion holds.

use hortus_plan::GoDuration;
use hortus_plan::InstructionKind;
use hortus_plan::instruction::Wait;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;

use super::Call;
use super::exec::result_fields;
use super::ignore_this;
use super::result_dict;
use super::run;
use super::to_json;
use super::verify::check_iterable;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;
use crate::types::Attrs;
use crate::types::ready_condition::assertion;
use crate::types::recipes;

/// `plan.wait`.
pub static SPEC: Spec = Spec {
    name: "wait",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req(
            "service_name",
            Kind::Str,
            "str",
            "Service to run the recipe against",
        ),
        Param::req(
            "recipe",
            Kind::Kurtosis(recipes::RECIPE_TYPES),
            "ExecRecipe | GetHttpRequestRecipe | PostHttpRequestRecipe",
            "What to run",
        ),
        Param::req("field", Kind::Str, "str", "Result field to check"),
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
        Param::opt(
            "interval",
            Kind::Str,
            "str",
            "\"1s\"",
            "Time between attempts (Go duration)",
        ),
        Param::opt(
            "timeout",
            Kind::Str,
            "str",
            "\"10s\"",
            "Give up after (Go duration)",
        ),
    ],
    doc: "Runs a recipe until `result[field] <assertion> target_value` holds or the timeout passes.\n\n```python\nplan.wait(service_name = \"web\", recipe = GetHttpRequestRecipe(port_id = \"http\", endpoint = \"/health\"), field = \"code\", assertion = \"IN\", target_value = [200, 204], timeout = \"1m\")\n```",
    returns: "dict[str, str]",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Runs a recipe until `result[field] <assertion> target_value` holds or the timeout passes.
    ///
    /// ```python
    /// plan.wait(service_name = "web", recipe = GetHttpRequestRecipe(port_id = "http", endpoint = "/"), field = "code", assertion = "==", target_value = 200)
    /// ```
    fn wait<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(wait_impl(args, eval))
    }
}

fn wait_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let service_name = call
        .bound
        .non_empty_str("service_name")?
        .unwrap_or_default()
        .to_owned();
    let recipe = call
        .bound
        .get("recipe")
        .and_then(|v| Attrs::of(v, recipes::RECIPE_TYPES))
        .ok_or_else(|| call.fail("unable to extract value for `recipe` argument"))?;
    let recipe = recipes::convert(&recipe).map_err(|e| call.fail(e))?;
    let assertion = assertion(call.bound.req_str("assertion")?).map_err(|e| call.fail(e))?;
    let target = call
        .bound
        .get("target_value")
        .ok_or_else(|| call.fail("missing argument for `target_value`"))?;
    check_iterable(assertion, target).map_err(|e| call.fail(e))?;
    let duration = |name: &str, default: &str| -> anyhow::Result<GoDuration> {
        let text = call.bound.str(name).unwrap_or(default);
        GoDuration::parse(text).map_err(|e| call.fail(format!("`{name}`: {e}")))
    };
    let interval = duration("interval", "1s")?;
    let timeout = duration("timeout", "10s")?;
    let result_id = call.ctx.next_id();
    let value = result_dict(call.frozen, &result_id, &result_fields(&recipe));
    call.record(
        format!(
            "Waiting for at most '{timeout}' for service '{service_name}' to reach a certain state"
        ),
        InstructionKind::Wait(Wait {
            service_name,
            recipe,
            field: call.bound.req_str("field")?.to_owned(),
            assertion,
            target_value: to_json(target).map_err(|e| call.fail(format!("`target_value`: {e}")))?,
            interval,
            timeout,
            result_id,
        }),
    );
    Ok(value)
}

#[cfg(test)]
mod tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;
    use hortus_plan::InstructionKind;

    #[test]
    fn wait_parses_durations_and_returns_the_recipe_shape() {
        let (plan, out) = run_ok(
            "r = plan.wait(service_name = \"web\", recipe = GetHttpRequestRecipe(port_id = \"http\", endpoint = \"/\"), field = \"code\", assertion = \"IN\", target_value = [200, 204], timeout = \"1m30s\")\nreturn sorted(r.keys())",
        );
        assert_eq!(out, "[\"body\", \"code\"]");
        let i = &plan.instructions[0];
        assert_eq!(
            i.description,
            "Waiting for at most '1m30s' for service 'web' to reach a certain state"
        );
        let InstructionKind::Wait(wait) = &i.kind else {
            unreachable!()
        };
        assert_eq!(wait.interval.to_string(), "1s");
        assert_eq!(wait.timeout.to_string(), "1m30s");
        assert_eq!(wait.target_value, serde_json::json!([200, 204]));
        let err = run_err(
            "plan.wait(\"web\", ExecRecipe([\"ls\"]), \"code\", \"==\", 0, interval = \"\")",
        );
        assert!(err.contains("`interval`"), "{err}");
        let err = run_err("plan.wait(\"web\", ExecRecipe([\"ls\"]), \"code\", \"~\", 0)");
        assert!(err.contains("invalid assertion `~`"), "{err}");
        let err = run_err("plan.wait(\"web\", ExecRecipe([\"ls\"]), \"code\", \"IN\", 0)");
        assert!(err.contains("requires an iterable"), "{err}");
    }
}

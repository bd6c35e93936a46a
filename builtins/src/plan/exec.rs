//! `plan.exec(service_name, recipe, acceptable_codes?, skip_code_check?, description?)`
//! (§4.8): runs an `ExecRecipe` in a service; returns a frozen dict of future references.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::ExecInstr;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;

use super::Call;
use super::ignore_this;
use super::result_dict;
use super::run;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;
use crate::types::Attrs;
use crate::types::recipes;

/// `plan.exec`.
pub static SPEC: Spec = Spec {
    name: "exec",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req(
            "service_name",
            Kind::Str,
            "str",
            "Service to run the command in",
        ),
        Param::req(
            "recipe",
            Kind::Kurtosis(&["ExecRecipe"]),
            "ExecRecipe",
            "The command",
        ),
        Param::opt(
            "acceptable_codes",
            Kind::List,
            "list[int]",
            "[0]",
            "Exit codes that count as success",
        ),
        Param::opt(
            "skip_code_check",
            Kind::Bool,
            "bool",
            "False",
            "Accept any exit code",
        ),
    ],
    doc: "Runs a command in a service's container; returns `code`, `output` and `extract.<k>` future references.\n\n```python\nresult = plan.exec(service_name = \"redis\", recipe = ExecRecipe(command = [\"redis-cli\", \"ping\"]))\nplan.verify(value = result[\"output\"], assertion = \"==\", target_value = \"PONG\\n\")\n```",
    returns: "dict[str, str]",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Runs a command in a service's container; returns `code`, `output` and `extract.<k>`.
    ///
    /// ```python
    /// result = plan.exec(service_name = "redis", recipe = ExecRecipe(command = ["redis-cli", "ping"]))
    /// ```
    fn exec<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(exec_impl(args, eval))
    }
}

/// The result keys of a recipe: `code`/`output` (exec) or `body`/`code` (HTTP), then
/// `extract.<k>`.
pub(crate) fn result_fields(recipe: &hortus_plan::Recipe) -> Vec<String> {
    let mut fields: Vec<String> = match recipe {
        hortus_plan::Recipe::Exec { .. } => vec!["code".to_owned(), "output".to_owned()],
        hortus_plan::Recipe::Http(_) => vec!["body".to_owned(), "code".to_owned()],
    };
    fields.extend(recipe.extract().keys().map(|k| format!("extract.{k}")));
    fields
}

fn exec_impl<'v>(
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
        .and_then(|v| Attrs::of(v, &["ExecRecipe"]))
        .ok_or_else(|| call.fail("`recipe` must be an `ExecRecipe`"))?;
    let recipe = recipes::convert(&recipe).map_err(|e| call.fail(e))?;
    let result_id = call.ctx.next_id();
    let value = result_dict(call.frozen, &result_id, &result_fields(&recipe));
    call.record(
        format!("Executing command on service '{service_name}'"),
        InstructionKind::Exec(ExecInstr {
            service_name,
            recipe,
            acceptable_codes: call
                .bound
                .int_list("acceptable_codes")?
                .unwrap_or_else(|| vec![0]),
            skip_code_check: call.bound.bool("skip_code_check").unwrap_or(false),
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
    fn exec_returns_a_frozen_dict_of_future_references() {
        let (plan, out) = run_ok(
            "r = plan.exec(service_name = \"db\", recipe = ExecRecipe(command = [\"cat\", \"/x\"], extract = {\"v\": \".version\"}))\nreturn r",
        );
        let id = "00000000000000000000000000000001";
        assert_eq!(
            out,
            format!(
                "{{\"code\": \"{{{{kurtosis:{id}:code.runtime_value}}}}\", \"output\": \"{{{{kurtosis:{id}:output.runtime_value}}}}\", \"extract.v\": \"{{{{kurtosis:{id}:extract.v.runtime_value}}}}\"}}"
            )
        );
        let i = &plan.instructions[0];
        assert_eq!(i.description, "Executing command on service 'db'");
        let InstructionKind::Exec(exec) = &i.kind else {
            unreachable!()
        };
        assert_eq!(exec.acceptable_codes, vec![0]);
        assert_eq!(exec.result_id, id);
        let err = run_err("r = plan.exec(\"db\", ExecRecipe([\"ls\"]))\nr[\"code\"] = 1");
        let lower = err.to_lowercase();
        assert!(
            lower.contains("frozen") || lower.contains("immutable"),
            "{err}"
        );
    }

    #[test]
    fn exec_rejects_other_recipes_and_bad_codes() {
        let err =
            run_err("plan.exec(\"db\", GetHttpRequestRecipe(port_id = \"p\", endpoint = \"/\"))");
        assert!(
            err.contains("`recipe` must be of type `ExecRecipe`"),
            "{err}"
        );
        let err = run_err("plan.exec(\"db\", ExecRecipe([\"ls\"]), acceptable_codes = [\"0\"])");
        assert!(
            err.contains("item 0 of `acceptable_codes` must be an int"),
            "{err}"
        );
        let err = run_err("ExecRecipe(command = [\"ls\", 1])");
        assert!(err.contains("item 1 must be a string"), "{err}");
    }
}

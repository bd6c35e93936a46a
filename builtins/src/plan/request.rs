//! `plan.request(service_name, recipe, acceptable_codes?, skip_code_check?, description?)`
//! (§4.12): an HTTP request against a service port; returns a frozen dict of future
//! references.

use hortus_plan::InstructionKind;
use hortus_plan::Recipe;
use hortus_plan::instruction::RequestInstr;
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
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;
use crate::types::Attrs;
use crate::types::recipes;

/// Default acceptable HTTP status codes.
pub const DEFAULT_CODES: [i64; 10] = [200, 201, 202, 203, 204, 205, 206, 207, 208, 226];

/// `plan.request`.
pub static SPEC: Spec = Spec {
    name: "request",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req("service_name", Kind::Str, "str", "Service to call"),
        Param::req(
            "recipe",
            Kind::Kurtosis(recipes::HTTP_RECIPE_TYPES),
            "GetHttpRequestRecipe | PostHttpRequestRecipe",
            "The request",
        ),
        Param::opt(
            "acceptable_codes",
            Kind::List,
            "list[int]",
            "[200, 201, 202, 203, 204, 205, 206, 207, 208, 226]",
            "Status codes that count as success",
        ),
        Param::opt(
            "skip_code_check",
            Kind::Bool,
            "bool",
            "False",
            "Accept any status code",
        ),
    ],
    doc: "Sends an HTTP request to a service port; returns `body`, `code` and `extract.<k>` future references.\n\n```python\nresponse = plan.request(service_name = \"web\", recipe = GetHttpRequestRecipe(port_id = \"http\", endpoint = \"/\"))\n```",
    returns: "dict[str, str]",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Sends an HTTP request to a service port; returns `body`, `code` and `extract.<k>`.
    ///
    /// ```python
    /// response = plan.request(service_name = "web", recipe = GetHttpRequestRecipe(port_id = "http", endpoint = "/"))
    /// ```
    fn request<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(request_impl(args, eval))
    }
}

fn request_impl<'v>(
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
        .and_then(|v| Attrs::of(v, recipes::HTTP_RECIPE_TYPES))
        .ok_or_else(|| {
            call.fail("`recipe` must be a `GetHttpRequestRecipe` or a `PostHttpRequestRecipe`")
        })?;
    let recipe = recipes::convert(&recipe).map_err(|e| call.fail(e))?;
    let method = match &recipe {
        Recipe::Http(http) if http.method == hortus_plan::HttpMethod::Post => "POST",
        _ => "GET",
    };
    let result_id = call.ctx.next_id();
    let value = result_dict(call.frozen, &result_id, &result_fields(&recipe));
    call.record(
        format!("Running '{method}' request on service '{service_name}'"),
        InstructionKind::Request(RequestInstr {
            service_name,
            recipe,
            acceptable_codes: call
                .bound
                .int_list("acceptable_codes")?
                .unwrap_or_else(|| DEFAULT_CODES.to_vec()),
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
    use hortus_plan::Recipe;

    #[test]
    fn request_records_the_http_recipe_with_defaults() {
        let (plan, out) = run_ok(
            "r = plan.request(service_name = \"api\", recipe = PostHttpRequestRecipe(port_id = \"http\", endpoint = \"/rpc\", body = \"{}\", extract = {\"n\": \".result\"}))\nreturn sorted(r.keys())",
        );
        assert_eq!(out, "[\"body\", \"code\", \"extract.n\"]");
        let i = &plan.instructions[0];
        assert_eq!(i.description, "Running 'POST' request on service 'api'");
        let InstructionKind::Request(request) = &i.kind else {
            unreachable!()
        };
        assert_eq!(request.acceptable_codes, super::DEFAULT_CODES.to_vec());
        let Recipe::Http(http) = &request.recipe else {
            unreachable!()
        };
        assert_eq!(http.content_type.as_deref(), Some("application/json"));
        assert_eq!(http.body, "{}");
        let (plan, _) =
            run_ok("plan.request(\"api\", GetHttpRequestRecipe(\"http\", \"/\"), [200])");
        assert_eq!(
            plan.instructions[0].description,
            "Running 'GET' request on service 'api'"
        );
        let err = run_err("plan.request(\"api\", ExecRecipe([\"ls\"]))");
        assert!(
            err.contains(
                "`recipe` must be of type `GetHttpRequestRecipe` or `PostHttpRequestRecipe`"
            ),
            "{err}"
        );
    }
}

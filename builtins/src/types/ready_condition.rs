//! `ReadyCondition(recipe, field, assertion, target_value, interval?, timeout?)` (§5.3): the
//! readiness check of a service.

use hortus_plan::Assertion;
use hortus_plan::GoDuration;

use super::Attrs;
use super::ConstructorDef;
use super::recipes;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;

/// `ReadyCondition`.
pub static READY_CONDITION: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "ReadyCondition",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req(
                "recipe",
                Kind::Kurtosis(recipes::RECIPE_TYPES),
                "ExecRecipe | GetHttpRequestRecipe | PostHttpRequestRecipe",
                "What to run",
            ),
            Param::req(
                "field",
                Kind::Str,
                "str",
                "Result field to check (`code`, `output`, `body`, `extract.<k>`)",
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
                "\"15m\"",
                "Give up after (Go duration)",
            ),
        ],
        doc: "A readiness check run after a service starts; `add_service` fails if it never passes.\n\n```python\nReadyCondition(recipe = ExecRecipe(command = [\"pg_isready\"]), field = \"code\", assertion = \"==\", target_value = 0, timeout = \"1m\")\n```",
        returns: "ReadyCondition",
    },
    check,
};

/// Parses an assertion token.
pub fn assertion(token: &str) -> anyhow::Result<Assertion> {
    Assertion::parse(token).ok_or_else(|| {
        anyhow::anyhow!(
            "invalid assertion `{token}`, valid values are ==, !=, >=, >, <=, <, IN, NOT_IN"
        )
    })
}

fn check(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    bound.non_empty_str("field")?;
    assertion(bound.req_str("assertion")?).map_err(|e| bound.fail(e))?;
    for name in ["interval", "timeout"] {
        if let Some(text) = bound.str(name)
            && !text.is_empty()
        {
            GoDuration::parse(text).map_err(|e| bound.fail(format!("`{name}`: {e}")))?;
        }
    }
    Ok(Vec::new())
}

/// Converts a `ReadyCondition` value.
pub fn convert(attrs: &Attrs<'_>) -> anyhow::Result<hortus_plan::ReadyCondition> {
    let recipe = attrs
        .get("recipe")
        .and_then(|v| Attrs::of(v, recipes::RECIPE_TYPES))
        .ok_or_else(|| anyhow::anyhow!("the `recipe` of a `ReadyCondition` is not a recipe"))?;
    let target = attrs.get("target_value");
    Ok(hortus_plan::ReadyCondition {
        recipe: recipes::convert(&recipe)?,
        field: attrs.str("field").unwrap_or_default().to_owned(),
        assertion: assertion(attrs.str("assertion").unwrap_or_default())?,
        target_value: match target {
            Some(v) => crate::plan::to_json(v)?,
            None => serde_json::Value::Null,
        },
        interval: attrs.str("interval").unwrap_or("1s").to_owned(),
        timeout: attrs.str("timeout").unwrap_or("15m").to_owned(),
    })
}

//! `Toleration(key?, operator?, value?, effect?, toleration_seconds?)` (§5.13): Kubernetes
//! tolerations (ignored on Docker).

use super::Attrs;
use super::ConstructorDef;
use super::non_empty;
use super::one_of;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;

/// `Toleration`.
pub static TOLERATION: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "Toleration",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::opt(
                "key",
                Kind::Str,
                "str",
                "None",
                "Taint key; unset matches every key (operator must be `Exists`)",
            ),
            Param::opt("operator", Kind::Str, "str", "None", "`Exists` or `Equal`"),
            Param::opt(
                "value",
                Kind::Str,
                "str",
                "None",
                "Taint value (empty with `Exists`)",
            ),
            Param::opt(
                "effect",
                Kind::Str,
                "str",
                "None",
                "`NoSchedule`, `NoExecute` or `PreferNoSchedule`",
            ),
            Param::opt(
                "toleration_seconds",
                Kind::Int,
                "int",
                "None",
                "How long a `NoExecute` taint is tolerated",
            ),
        ],
        doc: "A Kubernetes toleration (ignored on Docker).\n\n```python\nToleration(key = \"gpu\", operator = \"Equal\", value = \"true\", effect = \"NoSchedule\")\n```",
        returns: "Toleration",
    },
    check,
};

fn check(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    non_empty(bound, &["key"])?;
    one_of(bound, "operator", &["Exists", "Equal"])?;
    one_of(
        bound,
        "effect",
        &["NoSchedule", "NoExecute", "PreferNoSchedule"],
    )?;
    Ok(Vec::new())
}

/// Converts a `Toleration` value with its use-time rules.
pub fn convert(attrs: &Attrs<'_>) -> anyhow::Result<hortus_plan::Toleration> {
    let key = attrs.str("key").map(str::to_owned);
    let operator = attrs.str("operator").map(str::to_owned);
    let value = attrs.str("value").map(str::to_owned);
    if key.is_none() && operator.as_deref() != Some("Exists") {
        anyhow::bail!("a toleration without a `key` must use the `Exists` operator");
    }
    if operator.as_deref() == Some("Exists") && value.as_deref().is_some_and(|v| !v.is_empty()) {
        anyhow::bail!("a toleration with the `Exists` operator must not have a `value`");
    }
    Ok(hortus_plan::Toleration {
        key,
        operator,
        value,
        effect: attrs.str("effect").map(str::to_owned),
        toleration_seconds: attrs.int("toleration_seconds"),
    })
}

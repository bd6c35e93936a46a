//! `GpuConfig(count?, device_ids?, shm_size?, ulimits?, driver?)` (§5.15): GPUs, shared
//! memory and ulimits of a service.

use std::collections::BTreeMap;

use starlark::values::dict::DictRef;

use super::Attrs;
use super::ConstructorDef;
use super::int_range;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::args::str_list;
use crate::registry::BuiltinKind;

/// `GpuConfig`.
pub static GPU_CONFIG: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "GpuConfig",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::opt(
                "count",
                Kind::Int,
                "int",
                "0",
                "Number of GPUs, `-1` for all",
            ),
            Param::opt(
                "device_ids",
                Kind::List,
                "list[str]",
                "[]",
                "Specific GPU device ids",
            ),
            Param::opt(
                "shm_size",
                Kind::Int,
                "int",
                "0",
                "`/dev/shm` size in megabytes (0 = runtime default)",
            ),
            Param::opt(
                "ulimits",
                Kind::Dict,
                "dict[str, int]",
                "{}",
                "ulimit name → limit (`-1` unlimited)",
            ),
            Param::opt(
                "driver",
                Kind::Any,
                "str | dict[str, str]",
                "\"nvidia\"",
                "Docker driver name, or `{\"docker\": ..., \"kubernetes\": ...}`",
            ),
        ],
        doc: "GPU, shared-memory and ulimit settings of a service.\n\n```python\nServiceConfig(image = \"vllm/vllm-openai\", gpu = GpuConfig(count = -1, shm_size = 2048))\n```",
        returns: "GpuConfig",
    },
    check,
};

fn check(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    int_range(bound, "count", -1, i64::MAX)?;
    int_range(bound, "shm_size", 0, i64::MAX)?;
    bound.str_list("device_ids")?;
    if let Some(v) = bound.get("ulimits") {
        ulimits(v).map_err(|e| bound.fail(format!("`ulimits`: {e}")))?;
    }
    if let Some(v) = bound.get("driver") {
        drivers(v).map_err(|e| bound.fail(format!("`driver`: {e}")))?;
    }
    Ok(Vec::new())
}

fn ulimits(v: starlark::values::Value<'_>) -> anyhow::Result<BTreeMap<String, i64>> {
    let dict = DictRef::from_value(v).ok_or_else(|| anyhow::anyhow!("expected a dict"))?;
    let mut out = BTreeMap::new();
    for (k, val) in dict.iter() {
        let key = k
            .unpack_str()
            .ok_or_else(|| anyhow::anyhow!("keys must be strings"))?;
        let n = if val.unpack_bool().is_some() {
            None
        } else {
            crate::args::as_i64(val)
        };
        let n = n.ok_or_else(|| anyhow::anyhow!("the limit of `{key}` must be an int"))?;
        out.insert(key.to_owned(), n);
    }
    Ok(out)
}

fn drivers(v: starlark::values::Value<'_>) -> anyhow::Result<(String, String)> {
    if let Some(s) = v.unpack_str() {
        if s.is_empty() {
            anyhow::bail!("must not be an empty string");
        }
        return Ok((s.to_owned(), format!("{s}.com/gpu")));
    }
    let dict = DictRef::from_value(v)
        .ok_or_else(|| anyhow::anyhow!("expected a str or a dict, got `{}`", v.get_type()))?;
    let mut docker = "nvidia".to_owned();
    let mut kubernetes = "nvidia.com/gpu".to_owned();
    for (k, val) in dict.iter() {
        let value = val
            .unpack_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| anyhow::anyhow!("values must be non-empty strings"))?;
        match k.unpack_str() {
            Some("docker") => docker = value.to_owned(),
            Some("kubernetes") => kubernetes = value.to_owned(),
            _ => anyhow::bail!("keys must be `docker` or `kubernetes`"),
        }
    }
    Ok((docker, kubernetes))
}

/// Converts a `GpuConfig` value.
pub fn convert(attrs: &Attrs<'_>) -> anyhow::Result<hortus_plan::GpuConfig> {
    let (docker_driver, kubernetes_resource) = match attrs.get("driver") {
        Some(v) => drivers(v)?,
        None => ("nvidia".to_owned(), "nvidia.com/gpu".to_owned()),
    };
    Ok(hortus_plan::GpuConfig {
        count: attrs.int("count").unwrap_or(0),
        device_ids: attrs.get("device_ids").map_or(Ok(Vec::new()), str_list)?,
        shm_size: u64::try_from(attrs.int("shm_size").unwrap_or(0))
            .map_err(|_| anyhow::anyhow!("`shm_size` must not be negative"))?,
        ulimits: attrs.get("ulimits").map_or(Ok(BTreeMap::new()), ulimits)?,
        docker_driver,
        kubernetes_resource,
    })
}

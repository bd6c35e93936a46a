//! `ServiceConfig(image, ports?, ...)` (§5.1): construction checks, the use-time conversion
//! into [`hortus_plan::ServiceConfig`] (§5.1.2) and the privileged gate (§5.1.3).

use hortus_plan::FileMount;
use indexmap::IndexMap;
use starlark::values::Value;
use starlark::values::dict::DictRef;
use starlark::values::list::ListRef;

use super::Attrs;
use super::ConstructorDef;
use super::directory;
use super::gpu_config;
use super::image;
use super::int_range;
use super::port_spec;
use super::ready_condition;
use super::toleration;
use super::user;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::args::str_dict;
use crate::args::str_list;
use crate::context::EvalContext;
use crate::registry::BuiltinKind;

/// The only host path `bind_mounts` accepts.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// `ServiceConfig`.
pub static SERVICE_CONFIG: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "ServiceConfig",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req(
                "image",
                Kind::Any,
                "str | ImageSpec | ImageBuildSpec | NixBuildSpec",
                "The container image",
            ),
            Param::opt(
                "ports",
                Kind::Dict,
                "dict[str, PortSpec]",
                "{}",
                "Private ports by port id",
            ),
            Param::opt(
                "public_ports",
                Kind::Dict,
                "dict[str, PortSpec]",
                "{}",
                "Fixed host ports (Docker)",
            ),
            Param::opt(
                "files",
                Kind::Dict,
                "dict[str, str | Directory]",
                "{}",
                "Mount path → files artifact name or `Directory`",
            ),
            Param::opt(
                "entrypoint",
                Kind::List,
                "list[str]",
                "[]",
                "Entrypoint override (future references substituted)",
            ),
            Param::opt(
                "cmd",
                Kind::List,
                "list[str]",
                "[]",
                "Command override (future references substituted)",
            ),
            Param::opt(
                "env_vars",
                Kind::Dict,
                "dict[str, str]",
                "{}",
                "Environment variables (values future-reference substituted)",
            ),
            Param::opt(
                "private_ip_address_placeholder",
                Kind::Str,
                "str",
                "\"KURTOSIS_IP_ADDR_PLACEHOLDER\"",
                "Text replaced by the container's private IP in entrypoint, cmd and env values",
            ),
            Param::opt(
                "cpu_allocation",
                Kind::Int,
                "int",
                "None",
                "Deprecated alias of `max_cpu`",
            ),
            Param::opt(
                "memory_allocation",
                Kind::Int,
                "int",
                "None",
                "Deprecated alias of `max_memory`",
            ),
            Param::opt(
                "max_cpu",
                Kind::Int,
                "int",
                "0",
                "CPU limit in millicores (0 = none)",
            ),
            Param::opt(
                "min_cpu",
                Kind::Int,
                "int",
                "0",
                "CPU reservation in millicores",
            ),
            Param::opt(
                "max_memory",
                Kind::Int,
                "int",
                "0",
                "Memory limit in megabytes (at least 6)",
            ),
            Param::opt(
                "min_memory",
                Kind::Int,
                "int",
                "0",
                "Memory reservation in megabytes",
            ),
            Param::opt(
                "ready_conditions",
                Kind::Kurtosis(&["ReadyCondition"]),
                "ReadyCondition",
                "None",
                "Readiness check run after start",
            ),
            Param::opt(
                "labels",
                Kind::Dict,
                "dict[str, str]",
                "{}",
                "Container labels",
            ),
            Param::opt(
                "user",
                Kind::Kurtosis(&["User"]),
                "User",
                "None",
                "User to run as",
            ),
            Param::opt(
                "tolerations",
                Kind::List,
                "list[Toleration]",
                "[]",
                "Kubernetes tolerations",
            ),
            Param::opt(
                "node_selectors",
                Kind::Dict,
                "dict[str, str]",
                "{}",
                "Kubernetes node selectors",
            ),
            Param::opt(
                "files_to_be_moved",
                Kind::Dict,
                "dict[str, str]",
                "{}",
                "Internal: source → destination moves before start",
            ),
            Param::opt(
                "tini_enabled",
                Kind::Bool,
                "bool",
                "True",
                "Run an init process (Docker `--init`)",
            ),
            Param::opt("tty_enabled", Kind::Bool, "bool", "False", "Allocate a TTY"),
            Param::opt(
                "devices",
                Kind::List,
                "list[str]",
                "[]",
                "Host devices mounted at the same path",
            ),
            Param::opt(
                "publish_udp",
                Kind::Bool,
                "bool",
                "False",
                "Publish UDP ports on the host (Docker)",
            ),
            Param::opt(
                "capabilities",
                Kind::List,
                "list[str]",
                "[]",
                "Linux capabilities to add",
            ),
            Param::opt(
                "gpu",
                Kind::Kurtosis(&["GpuConfig"]),
                "GpuConfig",
                "None",
                "GPU, shm and ulimit settings",
            ),
            Param::opt(
                "privileged",
                Kind::Bool,
                "bool",
                "False",
                "Privileged container (needs `--privileged`)",
            ),
            Param::opt(
                "host_pid_namespace",
                Kind::Bool,
                "bool",
                "False",
                "Share the host PID namespace (needs `--privileged`)",
            ),
            Param::opt(
                "bind_mounts",
                Kind::Dict,
                "dict[str, str]",
                "{}",
                "Host path → container path; only `/var/run/docker.sock` (needs `--privileged`)",
            ),
        ],
        doc: "The configuration of a service container.\n\n```python\nconfig = ServiceConfig(\n    image = \"redis:7\",\n    ports = {\"client\": PortSpec(number = 6379, application_protocol = \"redis\")},\n    files = {\"/data\": Directory(persistent_key = \"redis-data\")},\n    cmd = [\"redis-server\", \"--appendonly\", \"yes\"],\n)\n```",
        returns: "ServiceConfig",
    },
    check,
};

fn check(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    let mut warnings = Vec::new();
    bound.non_empty_str("private_ip_address_placeholder")?;
    int_range(bound, "cpu_allocation", 0, i64::MAX)?;
    int_range(bound, "max_cpu", 0, i64::MAX)
        .map_err(|_| bound.fail("`cpu_allocation` must be an integer of at least 0"))?;
    int_range(bound, "memory_allocation", 6, i64::MAX)?;
    int_range(bound, "max_memory", 6, i64::MAX).map_err(|_| {
        bound.fail("`memory_allocation` must be an integer of at least 6 (megabytes)")
    })?;
    bound.int("min_cpu")?;
    bound.int("min_memory")?;
    for name in ["env_vars", "node_selectors", "files_to_be_moved"] {
        bound.str_dict(name)?;
    }
    if let Some(labels) = bound.str_dict("labels")? {
        for (key, value) in &labels {
            check_label(key, value).map_err(|e| bound.fail(e))?;
        }
    }
    if let Some(mounts) = bound.str_dict("bind_mounts")?
        && let Some(bad) = mounts.keys().find(|k| k.as_str() != DOCKER_SOCKET)
    {
        return Err(bound.fail(format!(
            "`bind_mounts` only accepts the host path `{DOCKER_SOCKET}`, got `{bad}`"
        )));
    }
    if bound.is_set("cpu_allocation") {
        warnings.push(
            "[WARN]: \"cpu_allocation\" field for \"ServiceConfig\" will be deprecated by 25/6/2023. Please use \"max_cpu\" instead".to_owned(),
        );
    }
    if bound.is_set("memory_allocation") {
        warnings.push(
            "[WARN]: \"memory_allocation\" field for \"ServiceConfig\" will be deprecated by 25/6/2023. Please use \"max_memory\" instead".to_owned(),
        );
    }
    Ok(warnings)
}

/// Label rules of §5.1.4.
fn check_label(key: &str, value: &str) -> Result<(), String> {
    let key_char =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.');
    let edge = |c: Option<char>, lower: bool| {
        c.is_some_and(|c| {
            c.is_ascii_digit()
                || if lower {
                    c.is_ascii_lowercase()
                } else {
                    c.is_ascii_alphabetic()
                }
        })
    };
    let trimmed = key.trim();
    if trimmed.is_empty()
        || key.len() > 63
        || !key.chars().all(key_char)
        || !edge(key.chars().next(), true)
        || !edge(key.chars().last(), true)
    {
        return Err(format!("invalid label key `{key}`"));
    }
    let value_ok = value.is_empty()
        || (value.len() <= 63
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && edge(value.chars().next(), false)
            && edge(value.chars().last(), false));
    if !value_ok {
        return Err(format!("invalid value `{value}` for label `{key}`"));
    }
    Ok(())
}

fn ports<'v>(
    value: Option<Value<'v>>,
    service: &str,
    what: &str,
) -> anyhow::Result<IndexMap<String, hortus_plan::PortSpec>> {
    let mut out = IndexMap::new();
    let Some(value) = value else {
        return Ok(out);
    };
    let dict =
        DictRef::from_value(value).ok_or_else(|| anyhow::anyhow!("`{what}` must be a dict"))?;
    for (k, v) in dict.iter() {
        let id = k.unpack_str().ok_or_else(|| {
            anyhow::anyhow!(
                "the keys of `{what}` must be strings, got `{}`",
                k.get_type()
            )
        })?;
        let attrs = Attrs::of(v, &["PortSpec"]).ok_or_else(|| {
            anyhow::anyhow!(
                "unable to convert the value of `{what}` entry `{id}` to a port object: expected a `PortSpec`, got `{}`",
                v.get_type()
            )
        })?;
        let spec =
            port_spec::convert(&attrs, service).map_err(|e| anyhow::anyhow!("port `{id}`: {e}"))?;
        out.insert(id.to_owned(), spec);
    }
    Ok(out)
}

fn files<'v>(value: Option<Value<'v>>) -> anyhow::Result<IndexMap<String, FileMount>> {
    let mut out = IndexMap::new();
    let Some(value) = value else {
        return Ok(out);
    };
    let dict =
        DictRef::from_value(value).ok_or_else(|| anyhow::anyhow!("`files` must be a dict"))?;
    for (k, v) in dict.iter() {
        let path = k.unpack_str().ok_or_else(|| {
            anyhow::anyhow!(
                "the keys of `files` must be strings, got `{}`",
                k.get_type()
            )
        })?;
        let mount = if let Some(name) = v.unpack_str() {
            FileMount::Artifacts(vec![name.to_owned()])
        } else if let Some(attrs) = Attrs::of(v, &["Directory"]) {
            directory::convert(&attrs)
                .map_err(|e| anyhow::anyhow!("`files` entry `{path}`: {e}"))?
        } else {
            anyhow::bail!(
                "`files` entry `{path}` must be a files artifact name or a `Directory`, got `{}`",
                v.get_type()
            );
        };
        out.insert(path.to_owned(), mount);
    }
    Ok(out)
}

fn non_negative(attrs: &Attrs<'_>, name: &str) -> anyhow::Result<u64> {
    let n = attrs.int(name).unwrap_or(0);
    u64::try_from(n).map_err(|_| anyhow::anyhow!("`{name}` must not be negative, got `{n}`"))
}

/// Converts a `ServiceConfig` value for service `service` in a `plan.*` call made from
/// module `caller` (§5.1.2), then applies the privileged gate.
pub fn convert<'v>(
    value: Value<'v>,
    ctx: &EvalContext,
    caller: &str,
    service: &str,
) -> anyhow::Result<hortus_plan::ServiceConfig> {
    let attrs = Attrs::of(value, &["ServiceConfig"])
        .ok_or_else(|| anyhow::anyhow!("expected a `ServiceConfig`, got `{}`", value.get_type()))?;
    let image_value = attrs
        .get("image")
        .ok_or_else(|| anyhow::anyhow!("`image` is mandatory"))?;
    let mut config =
        hortus_plan::ServiceConfig::with_image(image::convert(image_value, ctx, caller)?);
    config.ports = ports(attrs.get("ports"), service, "ports")?;
    config.public_ports = ports(attrs.get("public_ports"), service, "public_ports")?;
    config.files = files(attrs.get("files"))?;
    let list = |name: &str| {
        attrs.get(name).map_or(Ok(Vec::new()), |v| {
            str_list(v).map_err(|e| anyhow::anyhow!("`{name}`: {e}"))
        })
    };
    let dict = |name: &str| {
        attrs.get(name).map_or(Ok(IndexMap::new()), |v| {
            str_dict(v).map_err(|e| anyhow::anyhow!("`{name}`: {e}"))
        })
    };
    config.entrypoint = list("entrypoint")?;
    config.cmd = list("cmd")?;
    config.env_vars = dict("env_vars")?;
    if let Some(placeholder) = attrs.str("private_ip_address_placeholder") {
        config.private_ip_address_placeholder = placeholder.to_owned();
    }
    config.max_cpu = if attrs.get("max_cpu").is_some() {
        non_negative(&attrs, "max_cpu")?
    } else {
        non_negative(&attrs, "cpu_allocation")?
    };
    config.max_memory = if attrs.get("max_memory").is_some() {
        non_negative(&attrs, "max_memory")?
    } else {
        non_negative(&attrs, "memory_allocation")?
    };
    config.min_cpu = non_negative(&attrs, "min_cpu")?;
    config.min_memory = non_negative(&attrs, "min_memory")?;
    if let Some(rc) = attrs
        .get("ready_conditions")
        .and_then(|v| Attrs::of(v, &["ReadyCondition"]))
    {
        config.ready_conditions = Some(ready_condition::convert(&rc)?);
    }
    config.labels = dict("labels")?;
    if let Some(u) = attrs.get("user").and_then(|v| Attrs::of(v, &["User"])) {
        config.user = Some(user::convert(&u)?);
    }
    config.tolerations = tolerations(attrs.get("tolerations"))?;
    config.node_selectors = dict("node_selectors")?;
    config.files_to_be_moved = dict("files_to_be_moved")?;
    config.tini_enabled = attrs.bool("tini_enabled").unwrap_or(true);
    config.tty_enabled = attrs.bool("tty_enabled").unwrap_or(false);
    config.devices = list("devices")?;
    config.publish_udp = attrs.bool("publish_udp").unwrap_or(false);
    config.capabilities = list("capabilities")?;
    if let Some(g) = attrs.get("gpu").and_then(|v| Attrs::of(v, &["GpuConfig"])) {
        config.gpu = Some(gpu_config::convert(&g)?);
    }
    config.privileged = attrs.bool("privileged").unwrap_or(false);
    config.host_pid_namespace = attrs.bool("host_pid_namespace").unwrap_or(false);
    config.bind_mounts = dict("bind_mounts")?;
    privileged_gate(
        ctx,
        config.privileged,
        config.host_pid_namespace,
        !config.bind_mounts.is_empty(),
    )?;
    Ok(config)
}

/// Converts a `tolerations` list (each element a `Toleration`).
pub fn tolerations<'v>(value: Option<Value<'v>>) -> anyhow::Result<Vec<hortus_plan::Toleration>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let list = ListRef::from_value(value)
        .ok_or_else(|| anyhow::anyhow!("`tolerations` must be a list"))?;
    list.iter()
        .enumerate()
        .map(|(index, item)| {
            let attrs = Attrs::of(item, &["Toleration"]).ok_or_else(|| {
                anyhow::anyhow!(
                    "expected item at index `{index}` of the tolerations list to be a `Toleration`, got `{}`",
                    item.get_type()
                )
            })?;
            toleration::convert(&attrs)
        })
        .collect()
}

/// The privileged gate (§5.1.3).
pub fn privileged_gate(
    ctx: &EvalContext,
    privileged: bool,
    host_pid: bool,
    bind_mounts: bool,
) -> anyhow::Result<()> {
    if !(privileged || host_pid || bind_mounts) {
        return Ok(());
    }
    if ctx.options.cluster_type != "docker" {
        anyhow::bail!(
            "`privileged`, `host_pid_namespace` and `bind_mounts` are only supported on Docker, not on `{}`",
            ctx.options.cluster_type
        );
    }
    if !ctx.options.allow_privileged {
        anyhow::bail!(
            "`privileged`, `host_pid_namespace` and `bind_mounts` need privileged mode: run with `--privileged` to allow them"
        );
    }
    Ok(())
}

//! `plan.set_service(name, config, description?)` (§4.5): merges an override into the config
//! of an earlier `add_service` (used at its execution) and records a SetService.

use hortus_plan::InstructionKind;
use hortus_plan::ServiceConfig;
use hortus_plan::instruction::SetService;
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
use crate::types::Attrs;
use crate::types::service_config;

/// `plan.set_service`.
pub static SPEC: Spec = Spec {
    name: "set_service",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req(
            "name",
            Kind::Str,
            "str",
            "Service added earlier with `add_service`",
        ),
        Param::req(
            "config",
            Kind::Kurtosis(&["ServiceConfig"]),
            "ServiceConfig",
            "The override (image, resources, user, labels, tolerations, privileges)",
        ),
    ],
    doc: "Overrides parts of the configuration of a service added earlier; applied when that `add_service` executes.\n\n```python\nplan.set_service(name = \"web\", config = ServiceConfig(image = \"nginx:1.27\", max_memory = 512))\n```",
    returns: "None",
};

/// Override fields Kurtosis refuses to merge.
const UNSUPPORTED: [&str; 6] = [
    "env_vars",
    "entrypoint",
    "cmd",
    "ports",
    "public_ports",
    "files",
];

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Overrides parts of the configuration of a service added earlier.
    ///
    /// ```python
    /// plan.set_service(name = "web", config = ServiceConfig(image = "nginx:1.27"))
    /// ```
    fn set_service<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(set_service_impl(args, eval))
    }
}

/// Applies the merge rules of §4.5 to `base`.
pub fn merge(base: &mut ServiceConfig, over: ServiceConfig) {
    base.image = over.image;
    if over.max_cpu != 0 {
        base.max_cpu = over.max_cpu;
    }
    if over.max_memory != 0 {
        base.max_memory = over.max_memory;
    }
    if over.min_cpu != 0 {
        base.min_cpu = over.min_cpu;
    }
    if over.min_memory != 0 {
        base.min_memory = over.min_memory;
    }
    if over.user.is_some() {
        base.user = over.user;
    }
    if !over.labels.is_empty() {
        base.labels = over.labels;
    }
    if !over.tolerations.is_empty() {
        base.tolerations = over.tolerations;
    }
    if !over.bind_mounts.is_empty() {
        base.bind_mounts = over.bind_mounts;
    }
    base.privileged |= over.privileged;
    base.host_pid_namespace |= over.host_pid_namespace;
}

fn set_service_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let name = call
        .bound
        .non_empty_str("name")?
        .unwrap_or_default()
        .to_owned();
    let config_value = call
        .bound
        .get("config")
        .ok_or_else(|| call.fail("missing argument for `config`"))?;
    if let Some(attrs) = Attrs::of(config_value, &["ServiceConfig"])
        && let Some(field) = UNSUPPORTED.iter().find(|f| attrs.get(f).is_some())
    {
        return Err(call.fail(format!(
            "overriding `{field}` with `set_service` is currently not supported"
        )));
    }
    let over = service_config::convert(config_value, call.ctx, &call.caller, &name)
        .map_err(|e| call.fail(e))?;
    let merged = call.ctx.with_instructions_mut(|instructions| {
        let add = instructions
            .iter_mut()
            .rev()
            .find_map(|i| match &mut i.kind {
                InstructionKind::AddService(add) if add.name == name => Some(add),
                _ => None,
            })?;
        let mut merged = add
            .set_service_override
            .clone()
            .unwrap_or_else(|| add.config.clone());
        merge(&mut merged, over);
        add.set_service_override = Some(merged.clone());
        Some(merged)
    });
    let merged = merged.ok_or_else(|| {
        call.fail(format!(
            "did not find a service config for `{name}`: `set_service` needs an earlier `add_service` of that service"
        ))
    })?;
    call.record(
        format!("Setting config of service '{name}'"),
        InstructionKind::SetService(Box::new(SetService {
            name,
            config: merged,
        })),
    );
    Ok(Value::new_none())
}

#[cfg(test)]
mod tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;
    use hortus_plan::InstructionKind;

    #[test]
    fn set_service_merges_into_the_earlier_add_service() {
        let (plan, out) = run_ok(
            "plan.add_service(\"web\", ServiceConfig(image = \"nginx:1\", max_cpu = 100, min_memory = 10, env_vars = {\"A\": \"1\"}))\nreturn plan.set_service(\"web\", ServiceConfig(image = \"nginx:2\", max_memory = 512, labels = {\"tier\": \"front\"}))",
        );
        assert_eq!(out, "None");
        let InstructionKind::AddService(add) = &plan.instructions[0].kind else {
            unreachable!()
        };
        let merged = add.set_service_override.as_ref().unwrap();
        assert_eq!(merged.image.image_name(), "nginx:2");
        assert_eq!(merged.max_cpu, 100);
        assert_eq!(merged.max_memory, 512);
        assert_eq!(merged.min_memory, 10);
        assert_eq!(merged.env_vars["A"], "1");
        assert_eq!(merged.labels["tier"], "front");
        assert_eq!(add.config.image.image_name(), "nginx:1");
        let set = &plan.instructions[1];
        assert_eq!(set.description, "Setting config of service 'web'");
        let InstructionKind::SetService(set) = &set.kind else {
            unreachable!()
        };
        assert_eq!(&set.config, merged);
    }

    #[test]
    fn set_service_rejects_unsupported_overrides_and_unknown_services() {
        let err = run_err("plan.set_service(\"web\", ServiceConfig(image = \"nginx\"))");
        assert!(
            err.contains("did not find a service config for `web`"),
            "{err}"
        );
        let err = run_err(
            "plan.add_service(\"web\", ServiceConfig(image = \"nginx\"))\nplan.set_service(\"web\", ServiceConfig(image = \"nginx\", cmd = [\"x\"]))",
        );
        assert!(
            err.contains("overriding `cmd` with `set_service` is currently not supported"),
            "{err}"
        );
    }
}

//! `plan.add_services(configs, force_update?, description?)` (§4.2): several services at once;
//! returns a dict name → `Service`.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::AddServices;
use indexmap::IndexMap;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;
use starlark::values::dict::AllocDict;
use starlark::values::dict::DictRef;

use super::Call;
use super::ignore_this;
use super::run;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::context::StoredService;
use crate::registry::BuiltinKind;
use crate::types::service::service_value;
use crate::types::service_config;

/// `plan.add_services`.
pub static SPEC: Spec = Spec {
    name: "add_services",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req(
            "configs",
            Kind::Dict,
            "dict[str, ServiceConfig]",
            "Service name → configuration",
        ),
        Param::opt(
            "force_update",
            Kind::Bool,
            "bool",
            "False",
            "Re-create the services on re-runs even if unchanged",
        ),
    ],
    doc: "Adds several services, started concurrently; returns a dict name → `Service`.\n\n```python\nnodes = plan.add_services(configs = {\"etcd-0\": ServiceConfig(image = \"quay.io/coreos/etcd:v3.5.9\")})\n```",
    returns: "dict[str, Service]",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Adds several services, started concurrently; returns a dict name → `Service`.
    ///
    /// ```python
    /// nodes = plan.add_services(configs = {"a": ServiceConfig(image = "nginx")})
    /// ```
    fn add_services<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(add_services_impl(args, eval))
    }
}

fn add_services_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let configs_value = call
        .bound
        .get("configs")
        .ok_or_else(|| call.fail("missing argument for `configs`"))?;
    let dict =
        DictRef::from_value(configs_value).ok_or_else(|| call.fail("`configs` must be a dict"))?;
    if dict.is_empty() {
        return Err(call.fail("`configs` must not be empty"));
    }
    let mut configs = IndexMap::with_capacity(dict.len());
    for (k, v) in dict.iter() {
        let name = k.unpack_str().ok_or_else(|| {
            call.fail(format!(
                "the keys of `configs` must be strings, got `{}`",
                k.get_type()
            ))
        })?;
        let config = service_config::convert(v, call.ctx, &call.caller, name)
            .map_err(|e| call.fail(format!("service `{name}`: {e}")))?;
        configs.insert(name.to_owned(), config);
    }
    let mut entries = Vec::with_capacity(configs.len());
    for (name, config) in &configs {
        call.ctx.store_service(
            name,
            StoredService {
                ports: config.ports.clone(),
            },
        );
        entries.push((
            call.heap.alloc(name.as_str()),
            service_value(call.heap, name, &config.ports),
        ));
    }
    let names: Vec<&str> = configs.keys().map(String::as_str).collect();
    call.record(
        format!(
            "Adding '{}' services with names '{}'",
            configs.len(),
            names.join(",")
        ),
        InstructionKind::AddServices(AddServices {
            force_update: call.bound.bool("force_update").unwrap_or(false),
            configs,
        }),
    );
    Ok(call.heap.alloc(AllocDict(entries)))
}

#[cfg(test)]
mod tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;
    use hortus_plan::InstructionKind;

    #[test]
    fn add_services_records_every_config_and_returns_services_by_name() {
        let (plan, out) = run_ok(
            "s = plan.add_services(configs = {\"etcd-1\": ServiceConfig(image = \"etcd\"), \"etcd-0\": ServiceConfig(image = \"etcd\", ports = {\"client\": PortSpec(2379)})})\nreturn [s[\"etcd-0\"].name, s[\"etcd-0\"].ports[\"client\"].number, len(s)]",
        );
        assert_eq!(out, "[\"etcd-0\", 2379, 2]");
        let i = &plan.instructions[0];
        assert_eq!(
            i.description,
            "Adding '2' services with names 'etcd-1,etcd-0'"
        );
        let InstructionKind::AddServices(add) = &i.kind else {
            unreachable!()
        };
        assert_eq!(add.configs.len(), 2);
        let err = run_err("plan.add_services(configs = {})");
        assert!(err.contains("`configs` must not be empty"), "{err}");
        let err = run_err("plan.add_services(configs = {\"a\": 1})");
        assert!(
            err.contains("service `a`: expected a `ServiceConfig`"),
            "{err}"
        );
    }

    #[test]
    fn five_hundred_services_are_recorded_in_order() {
        // Speed is measured by bench/dry_run, not asserted here.
        let (plan, _) = run_ok(
            "for i in range(500):\n    plan.add_service(name = \"svc-%d\" % i, config = ServiceConfig(image = \"nginx\", ports = {\"http\": PortSpec(number = 80, application_protocol = \"http\")}, env_vars = {\"I\": str(i)}))",
        );
        assert_eq!(plan.instructions.len(), 500);
        for (i, instruction) in plan.instructions.iter().enumerate() {
            assert!(
                instruction.canonical.contains(&format!("name=\"svc-{i}\"")),
                "{}",
                instruction.canonical
            );
        }
    }
}

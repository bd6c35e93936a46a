//! `plan.add_service(name, config, force_update?, description?)` (§4.1): converts the
//! `ServiceConfig`, records an AddService and returns the `Service` value.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::AddService;
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
use crate::context::StoredService;
use crate::registry::BuiltinKind;
use crate::types::service::service_value;
use crate::types::service_config;

/// `plan.add_service`.
pub static SPEC: Spec = Spec {
    name: "add_service",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req("name", Kind::Str, "str", "Service name (RFC 1035 label)"),
        Param::req(
            "config",
            Kind::Kurtosis(&["ServiceConfig"]),
            "ServiceConfig",
            "The service configuration",
        ),
        Param::opt(
            "force_update",
            Kind::Bool,
            "bool",
            "False",
            "Re-create the service on re-runs even if unchanged",
        ),
    ],
    doc: "Adds a service to the enclave (or updates it) and returns its `Service` handle.\n\n```python\nredis = plan.add_service(name = \"redis\", config = ServiceConfig(image = \"redis:7\", ports = {\"client\": PortSpec(number = 6379)}))\n```",
    returns: "Service",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Adds a service to the enclave (or updates it) and returns its `Service` handle.
    ///
    /// ```python
    /// redis = plan.add_service(name = "redis", config = ServiceConfig(image = "redis:7"))
    /// ```
    fn add_service<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(add_service_impl(args, eval))
    }
}

fn add_service_impl<'v>(
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
    let config = service_config::convert(config_value, call.ctx, &call.caller, &name)
        .map_err(|e| call.fail(e))?;
    let image = config.image.image_name().to_owned();
    call.ctx.store_service(
        &name,
        StoredService {
            ports: config.ports.clone(),
        },
    );
    let value = service_value(call.heap, &name, &config.ports);
    call.record(
        format!("Adding service with name '{name}' and image '{image}'"),
        InstructionKind::AddService(Box::new(AddService {
            name,
            config,
            force_update: call.bound.bool("force_update").unwrap_or(false),
            set_service_override: None,
        })),
    );
    Ok(value)
}

#[cfg(test)]
mod tests {
    use crate::testing::Fixture;
    use hortus_plan::InstructionKind;

    #[test]
    fn add_service_records_the_converted_config_and_returns_a_service() {
        let (plan, output) = Fixture::new(
            r#"
def run(plan):
    web = plan.add_service(name = "web", config = ServiceConfig(
        image = "nginx:1.25",
        ports = {"http": PortSpec(number = 80, application_protocol = "http")},
        env_vars = {"A": "b"},
    ))
    return web
"#,
        )
        .run()
        .unwrap();
        assert_eq!(plan.instructions.len(), 1);
        let instruction = &plan.instructions[0];
        assert_eq!(instruction.name(), "add_service");
        assert_eq!(
            instruction.description,
            "Adding service with name 'web' and image 'nginx:1.25'"
        );
        assert_eq!(
            instruction.canonical,
            r#"add_service(name="web", config=ServiceConfig(image="nginx:1.25", ports={"http": PortSpec(number=80, application_protocol="http")}, env_vars={"A": "b"}))"#
        );
        assert_eq!(instruction.origin.file, "main.star");
        assert_eq!(instruction.origin.line, 3);
        // The column of the opening parenthesis, as starlark-go reports calls.
        assert_eq!(instruction.origin.column, 27);
        let InstructionKind::AddService(add) = &instruction.kind else {
            unreachable!("not an AddService");
        };
        let port = &add.config.ports["http"];
        assert_eq!(port.number, 80);
        assert_eq!(port.wait.map(|w| w.to_string()).as_deref(), Some("2m0s"));
        assert_eq!(port.url.as_deref(), Some("http://web:80"));
        let id = hortus_plan::instruction::service_runtime_id("web");
        assert_eq!(
            output,
            format!(
                r#"Service(name="web", hostname="{{{{kurtosis:{id}:hostname.runtime_value}}}}", ip_address="{{{{kurtosis:{id}:ip_address.runtime_value}}}}", ports={{"http": PortSpec(number=80, transport_protocol="TCP", application_protocol="http", wait="2m0s", url="http://web:80")}})"#
            )
        );
    }

    #[test]
    fn add_service_rejects_bad_arguments() {
        let err = Fixture::new("def run(plan):\n    plan.add_service(name = \"web\", confg = 1)\n")
            .plan()
            .unwrap_err();
        assert!(
            err.contains("unexpected keyword argument `confg` (did you mean `config`?)"),
            "{err}"
        );
        let err = Fixture::new("def run(plan):\n    plan.add_service(name = \"web\")\n")
            .plan()
            .unwrap_err();
        assert!(err.contains("missing argument for `config`"), "{err}");
        let err = Fixture::new("def run(plan):\n    plan.add_service(\"web\", ServiceConfig(image = \"x\", ports = {\"p\": 80}))\n")
            .plan()
            .unwrap_err();
        assert!(err.contains("cannot construct `add_service`"), "{err}");
        assert!(err.contains("PortSpec"), "{err}");
    }
}

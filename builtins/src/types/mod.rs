//! Type constructors (starlark-api.md §5): `ServiceConfig`, `PortSpec`, recipes, ... One
//! file per type holds its [`ConstructorDef`] (declaration, docs, construction checks) and
//! the use-time conversion into hortus-plan data. Construction only checks and records the
//! set arguments; defaults are applied by the conversions.

pub mod directory;
pub mod gpu_config;
pub mod image;
pub mod port_spec;
pub mod ready_condition;
pub mod recipes;
pub mod service;
pub mod service_config;
pub mod store_spec;
pub mod toleration;
pub mod user;

use std::fmt;

use allocative::Allocative;
use anyhow::anyhow;
use starlark::any::ProvidesStaticType;
use starlark::environment::GlobalsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_simple_value;
use starlark::values::NoSerialize;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::Value;
use starlark::values::starlark_value;

use crate::args::Bound;
use crate::args::Spec;
use crate::context::EvalContext;
use crate::value::alloc_kurtosis;
use crate::value::kurtosis_view;

/// Construction checks of one type: `Ok` with deprecation warnings, or the error.
pub type CheckFn = for<'v> fn(&Bound<'v>) -> anyhow::Result<Vec<String>>;

/// A type constructor: its declaration and construction checks.
#[derive(Debug)]
pub struct ConstructorDef {
    pub spec: Spec,
    pub check: CheckFn,
}

/// Every type constructor, sorted by name.
pub fn constructors() -> [&'static ConstructorDef; 15] {
    [
        &directory::DIRECTORY,
        &recipes::EXEC_RECIPE,
        &recipes::GET_HTTP_REQUEST_RECIPE,
        &gpu_config::GPU_CONFIG,
        &image::IMAGE_BUILD_SPEC,
        &image::IMAGE_SPEC,
        &image::NIX_BUILD_SPEC,
        &port_spec::PORT_SPEC,
        &recipes::POST_HTTP_REQUEST_RECIPE,
        &ready_condition::READY_CONDITION,
        &service::SERVICE,
        &service_config::SERVICE_CONFIG,
        &store_spec::STORE_SPEC,
        &toleration::TOLERATION,
        &user::USER,
    ]
}

/// Registers every type constructor as a global.
pub fn register(builder: &mut GlobalsBuilder) {
    for (index, def) in constructors().iter().enumerate() {
        builder.set(def.spec.name, Constructor(index));
    }
}

/// The callable global of a type constructor.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagable)]
pub struct Constructor(usize);

impl Constructor {
    fn def(&self) -> &'static ConstructorDef {
        constructors()
            .get(self.0)
            .copied()
            .unwrap_or(&service_config::SERVICE_CONFIG)
    }
}

starlark_simple_value!(Constructor);

impl fmt::Display for Constructor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<built-in function {}>", self.def().spec.name)
    }
}

#[starlark_value(type = "builtin_function_or_method")]
impl<'v> StarlarkValue<'v> for Constructor {
    fn invoke(
        &self,
        _me: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        let heap = eval.heap();
        let bound =
            Bound::bind(&self.def().spec, args, heap).map_err(starlark::Error::new_other)?;
        let warnings = (self.def().check)(&bound).map_err(starlark::Error::new_other)?;
        if !warnings.is_empty()
            && let Ok(ctx) = EvalContext::from_eval(eval)
        {
            for warning in warnings {
                ctx.warn(warning);
            }
        }
        let attrs = bound
            .set_args()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        alloc_kurtosis(heap, self.def().spec.name, attrs).ok_or_else(|| {
            starlark::Error::new_other(anyhow!(
                "internal error: `{}` is not a Kurtosis type",
                self.def().spec.name
            ))
        })
    }
}

/// Read access to the attributes of a consumed Kurtosis value.
pub struct Attrs<'v> {
    pub type_name: &'static str,
    attrs: Vec<(String, Value<'v>)>,
}

impl<'v> Attrs<'v> {
    /// The attributes of `value` if it is a Kurtosis value of one of `types`.
    pub fn of(value: Value<'v>, types: &[&str]) -> Option<Self> {
        let (type_name, attrs) = kurtosis_view(value)?;
        types
            .contains(&type_name)
            .then_some(Self { type_name, attrs })
    }

    /// A set attribute.
    pub fn get(&self, name: &str) -> Option<Value<'v>> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// A set string attribute (types were checked at construction).
    pub fn str(&self, name: &str) -> Option<&'v str> {
        self.get(name).and_then(|v| v.unpack_str())
    }

    /// A set int attribute.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(crate::args::as_i64)
    }

    /// A set bool attribute.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(|v| v.unpack_bool())
    }
}

/// Checks that a set string argument is non-empty.
pub(crate) fn non_empty(bound: &Bound<'_>, names: &[&str]) -> anyhow::Result<()> {
    for name in names {
        bound.non_empty_str(name)?;
    }
    Ok(())
}

/// Checks an int argument against an inclusive range.
pub(crate) fn int_range(bound: &Bound<'_>, name: &str, min: i64, max: i64) -> anyhow::Result<()> {
    if let Some(n) = bound.int(name)?
        && (n < min || n > max)
    {
        return Err(bound.fail(format!(
            "`{name}` must be an integer between {min} and {max}, got `{n}`"
        )));
    }
    Ok(())
}

/// Checks a string argument against a fixed set of values.
pub(crate) fn one_of(bound: &Bound<'_>, name: &str, allowed: &[&str]) -> anyhow::Result<()> {
    if let Some(s) = bound.str(name)
        && !allowed.contains(&s)
    {
        return Err(bound.fail(format!(
            "invalid value for `{name}`: `{s}`, valid values are {}",
            allowed.join(", ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::Fixture;
    use crate::testing::run_err;
    use crate::testing::run_ok;
    use hortus_plan::FileMount;
    use hortus_plan::ImageRef;
    use hortus_plan::InstructionKind;

    fn config_of(plan: &hortus_plan::Plan) -> &hortus_plan::ServiceConfig {
        let InstructionKind::AddService(add) = &plan.instructions[0].kind else {
            unreachable!()
        };
        &add.config
    }

    #[test]
    fn constructors_check_their_arguments() {
        for (body, needle) in [
            (
                "PortSpec(number = 0)",
                "`number` must be an integer between 1 and 65535",
            ),
            (
                "PortSpec(80, transport_protocol = \"tcp\")",
                "valid values are TCP, SCTP, UDP",
            ),
            (
                "PortSpec(80, wait = \"\")",
                "`wait` must not be an empty string",
            ),
            ("PortSpec(80, wait = \"10\")", "time: invalid duration"),
            (
                "PortSpec(80, application_protocol = \"h t\")",
                "application_protocol",
            ),
            (
                "ServiceConfig(image = \"i\", max_memory = 0)",
                "`memory_allocation` must be an integer of at least 6",
            ),
            (
                "ServiceConfig(image = \"i\", labels = {\"Bad\": \"x\"})",
                "invalid label key `Bad`",
            ),
            (
                "ServiceConfig(image = \"i\", bind_mounts = {\"/etc\": \"/etc\"})",
                "only accepts the host path",
            ),
            (
                "ServiceConfig(image = \"i\", private_ip_address_placeholder = \"\")",
                "must not be an empty string",
            ),
            (
                "ReadyCondition(recipe = 1, field = \"code\", assertion = \"==\", target_value = 0)",
                "`recipe` must be of type `ExecRecipe`",
            ),
            (
                "ReadyCondition(ExecRecipe([\"x\"]), \"\", \"==\", 0)",
                "`field` must not be an empty string",
            ),
            ("Directory(size = 0)", "`size` must be an integer between 1"),
            (
                "Directory(artifact_names = [\"\"])",
                "must not contain empty strings",
            ),
            ("StoreSpec(src = \"\")", "`src` must not be an empty string"),
            (
                "ImageSpec(image = \"i\", registry = \"\")",
                "`registry` must not be an empty string",
            ),
            (
                "ImageBuildSpec(image_name = \"i\")",
                "missing argument for `build_context_dir`",
            ),
            (
                "NixBuildSpec(\"a\", \"b\", \"\")",
                "`image_name` must not be an empty string",
            ),
            ("User(uid = -1)", "`uid` must be an integer between 0"),
            (
                "Toleration(operator = \"Maybe\")",
                "valid values are Exists, Equal",
            ),
            ("Toleration(effect = \"Never\")", "NoSchedule"),
            (
                "GpuConfig(count = -2)",
                "`count` must be an integer between -1",
            ),
            (
                "GpuConfig(driver = {\"x\": \"y\"})",
                "keys must be `docker` or `kubernetes`",
            ),
            ("GpuConfig(ulimits = {\"nofile\": \"1\"})", "must be an int"),
            (
                "Service(name = \"a\", hostname = \"\", ip_address = \"b\", ports = {})",
                "`hostname` must not be an empty string",
            ),
            (
                "GetHttpRequestRecipe(port_id = \"\", endpoint = \"/\")",
                "`port_id` must not be an empty string",
            ),
            (
                "PostHttpRequestRecipe(\"p\", \"/\", headers = {\"a\": 1})",
                "`headers`",
            ),
        ] {
            let err = run_err(&format!("return {body}"));
            assert!(err.contains(needle), "{body}: {err}");
        }
    }

    #[test]
    fn service_config_converts_with_defaults() {
        let (plan, _) = run_ok(
            "plan.add_service(\"redis\", ServiceConfig(\n    image = ImageSpec(image = \"redis:7\", registry = \"docker.io\"),\n    ports = {\"client\": PortSpec(6379, transport_protocol = \"TCP\", wait = \"10s\")},\n    public_ports = {\"client\": PortSpec(16379)},\n    files = {\"/data\": Directory(persistent_key = \"redis-data\"), \"/conf\": \"redis-conf\", \"/extra\": Directory(artifact_names = [\"a\", \"b\"])},\n    cmd = [\"redis-server\"],\n    cpu_allocation = 500,\n    memory_allocation = 256,\n    min_cpu = 100,\n    ready_conditions = ReadyCondition(ExecRecipe([\"redis-cli\", \"ping\"]), \"output\", \"==\", \"PONG\\n\"),\n    user = User(uid = 999, gid = 999),\n    tolerations = [Toleration(key = \"k\", operator = \"Equal\", value = \"v\", effect = \"NoSchedule\")],\n    gpu = GpuConfig(count = -1, shm_size = 64, driver = \"amd\"),\n    labels = {\"app\": \"Redis\"},\n    tini_enabled = False,\n))",
        );
        let config = config_of(&plan);
        assert!(
            matches!(&config.image, ImageRef::Spec(spec) if spec.registry.as_deref() == Some("docker.io"))
        );
        assert_eq!(
            config.ports["client"]
                .wait
                .map(|w| w.to_string())
                .as_deref(),
            Some("10s")
        );
        assert_eq!(config.public_ports["client"].number, 16379);
        assert_eq!(
            config.files["/data"],
            FileMount::Persistent {
                key: "redis-data".to_owned(),
                size_mb: 1024
            }
        );
        assert_eq!(
            config.files["/conf"],
            FileMount::Artifacts(vec!["redis-conf".to_owned()])
        );
        assert_eq!(
            config.files["/extra"],
            FileMount::Artifacts(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            (config.max_cpu, config.max_memory, config.min_cpu),
            (500, 256, 100)
        );
        let ready = config.ready_conditions.as_ref().unwrap();
        assert_eq!(
            (ready.interval.as_str(), ready.timeout.as_str()),
            ("1s", "15m")
        );
        assert_eq!(ready.target_value, serde_json::json!("PONG\n"));
        assert_eq!(
            config.user.as_ref().map(|u| (u.uid, u.gid)),
            Some((999, Some(999)))
        );
        assert_eq!(config.tolerations[0].effect.as_deref(), Some("NoSchedule"));
        let gpu = config.gpu.as_ref().unwrap();
        assert_eq!(
            (
                gpu.count,
                gpu.shm_size,
                gpu.docker_driver.as_str(),
                gpu.kubernetes_resource.as_str()
            ),
            (-1, 64, "amd", "amd.com/gpu")
        );
        assert!(!config.tini_enabled);
        assert_eq!(
            config.private_ip_address_placeholder,
            "KURTOSIS_IP_ADDR_PLACEHOLDER"
        );
        assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
        assert!(
            plan.warnings[0]
                .contains("\"cpu_allocation\" field for \"ServiceConfig\" will be deprecated")
        );
    }

    #[test]
    fn use_time_errors_name_the_consuming_instruction() {
        for (config, needle) in [
            (
                "ServiceConfig(image = 1)",
                "`image` is expected to be a string",
            ),
            (
                "ServiceConfig(image = \"i\", ports = {\"p\": PortSpec()})",
                "`number` argument on `PortSpec` is mandatory but was unset",
            ),
            (
                "ServiceConfig(image = \"i\", files = {\"/d\": Directory(size = 10)})",
                "exactly one of `artifact_names` and `persistent_key`",
            ),
            (
                "ServiceConfig(image = \"i\", files = {\"/d\": 1})",
                "must be a files artifact name or a `Directory`",
            ),
            (
                "ServiceConfig(image = \"i\", tolerations = [1])",
                "expected item at index `0` of the tolerations list",
            ),
            (
                "ServiceConfig(image = \"i\", tolerations = [Toleration(operator = \"Equal\")])",
                "without a `key` must use the `Exists` operator",
            ),
            (
                "ServiceConfig(image = \"i\", min_cpu = -1)",
                "`min_cpu` must not be negative",
            ),
            (
                "ServiceConfig(image = \"i\", privileged = True)",
                "--privileged",
            ),
        ] {
            let err = run_err(&format!("plan.add_service(\"svc\", {config})"));
            assert!(
                err.contains("cannot construct `add_service`"),
                "{config}: {err}"
            );
            assert!(err.contains(needle), "{config}: {err}");
        }
    }

    #[test]
    fn image_build_spec_resolves_the_build_file_relative_to_the_caller() {
        let plan = Fixture::new(
            "lib = import_module(\"./src/lib.star\")\ndef run(plan):\n    lib.deploy(plan)\n",
        )
        .file("src/lib.star", "def deploy(plan):\n    plan.add_service(\"app\", ServiceConfig(image = ImageBuildSpec(image_name = \"app\", build_context_dir = \"../app\", build_file = \"docker/Dockerfile\", build_args = {\"V\": \"1\"})))\n")
        .file("app/docker/Dockerfile", "FROM scratch\n")
        .plan()
        .unwrap();
        let config = config_of(&plan);
        let ImageRef::Build(build) = &config.image else {
            unreachable!()
        };
        assert_eq!(
            build.build_context_locator,
            "github.com/hortus-test/fixture/app/docker"
        );
        assert!(build.build_context_dir.ends_with("app/docker"));
        assert_eq!(build.build_file, "Dockerfile");
        assert_eq!(build.build_args["V"], "1");
        assert_eq!(plan.instructions[0].origin.file, "src/lib.star");
        assert_eq!(
            plan.instructions[0].description,
            "Adding service with name 'app' and image 'app'"
        );
        let err = Fixture::new("def run(plan):\n    plan.add_service(\"app\", ServiceConfig(image = ImageBuildSpec(image_name = \"app\", build_context_dir = \"./nope\")))\n")
            .plan()
            .unwrap_err();
        assert!(
            err.contains(
                "the build file `github.com/hortus-test/fixture/nope/Dockerfile` does not exist"
            ),
            "{err}"
        );
    }
}

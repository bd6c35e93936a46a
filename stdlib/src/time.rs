//! The `time` module (starlark-go `lib/time`) with `now()` disabled.

use allocative::Allocative;
use starlark::any::ProvidesStaticType;
use starlark::environment::Methods;
use starlark::environment::MethodsBuilder;
use starlark::environment::MethodsStatic;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::NoSerialize;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::Value;
use starlark::values::none::NoneType;
use starlark::values::starlark_value;

/// The `time` module value.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagable)]
pub struct TimeModule;

starlark_simple_value!(TimeModule);

impl std::fmt::Display for TimeModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<module \"time\">")
    }
}

#[starlark_value(type = "module")]
impl<'v> StarlarkValue<'v> for TimeModule {
    fn get_methods() -> Option<&'static Methods> {
        static RES: MethodsStatic = MethodsStatic::new("hortus_stdlib::time", time_methods);
        Some(RES.methods())
    }
}

#[starlark_module]
fn time_methods(builder: &mut MethodsBuilder) {
    /// Not supported in Kurtosis (interpretation must be deterministic): always fails.
    fn now<'v>(#[starlark(this)] _this: Value<'v>) -> anyhow::Result<NoneType> {
        Err(anyhow::anyhow!(crate::TIME_NOW_NOT_SUPPORTED))
    }
}

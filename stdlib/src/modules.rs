//! The `kurtosis` module value: `type(kurtosis) == "module"`, no members (Kurtosis fills it
//! from enclave environment variables only in its cloud offering).

use allocative::Allocative;
use starlark::any::ProvidesStaticType;
use starlark::starlark_simple_value;
use starlark::values::NoSerialize;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::starlark_value;

/// The empty `kurtosis` module.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagable)]
pub struct KurtosisModule;

starlark_simple_value!(KurtosisModule);

impl std::fmt::Display for KurtosisModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<module \"kurtosis\">")
    }
}

#[starlark_value(type = "module")]
impl<'v> StarlarkValue<'v> for KurtosisModule {}

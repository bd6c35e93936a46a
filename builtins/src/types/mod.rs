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

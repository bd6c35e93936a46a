//! `import_module(module_file, description?)` (§1.5): evaluates another `.star` file once per
//! run (through the loader) and returns a module value exposing all of its globals,
//! including `_private` ones.

use std::fmt;

use allocative::Allocative;
use starlark::any::ProvidesStaticType;
use starlark::coerce::Coerce;
use starlark::environment::GlobalsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_complex_value;
use starlark::starlark_module;
use starlark::values::Freeze;
use starlark::values::FreezeResult;
use starlark::values::Freezer;
use starlark::values::Heap;
use starlark::values::NoSerialize;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::Trace;
use starlark::values::Value;
use starlark::values::ValueLike;
use starlark::values::starlark_value;

use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::context::EvalContext;
use crate::registry::BuiltinKind;

/// `import_module`.
pub static SPEC: Spec = Spec {
    name: "import_module",
    kind: BuiltinKind::Helper,
    params: &[Param::req(
        "module_file",
        Kind::Str,
        "str",
        "Locator of a `.star` file (relative or absolute)",
    )],
    doc: "Evaluates a `.star` file (once per run) and returns it as a module.\n\n```python\nlib = import_module(\"./src/lib.star\")\nlib.deploy(plan)\n```",
    returns: "module",
};

/// An imported module: its globals by name.
#[derive(Debug, Trace, Coerce, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagable)]
#[repr(C)]
pub struct ModuleValueGen<V> {
    name: String,
    attrs: Vec<(String, V)>,
}

starlark_complex_value!(pub ModuleValue);

impl<'v> Freeze for ModuleValue<'v> {
    type Frozen = FrozenModuleValue;

    fn freeze(self, freezer: &Freezer) -> FreezeResult<FrozenModuleValue> {
        let mut attrs = Vec::with_capacity(self.attrs.len());
        for (name, value) in self.attrs {
            attrs.push((name, value.freeze(freezer)?));
        }
        Ok(ModuleValueGen {
            name: self.name,
            attrs,
        })
    }
}

impl<V> fmt::Display for ModuleValueGen<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<module \"{}\">", self.name)
    }
}

#[starlark_value(type = "module")]
impl<'v, V: ValueLike<'v>> StarlarkValue<'v> for ModuleValueGen<V>
where
    Self: ProvidesStaticType<'v>,
{
    fn get_attr(&self, attribute: &str, _heap: Heap<'v>) -> Option<Value<'v>> {
        self.attrs
            .iter()
            .find(|(n, _)| n == attribute)
            .map(|(_, v)| v.to_value())
    }

    fn has_attr(&self, attribute: &str, _heap: Heap<'v>) -> bool {
        self.attrs.iter().any(|(n, _)| n == attribute)
    }

    fn dir_attr(&self) -> Vec<String> {
        self.attrs.iter().map(|(n, _)| n.clone()).collect()
    }
}

#[starlark_module]
pub(crate) fn register(builder: &mut GlobalsBuilder) {
    /// Evaluates a `.star` file (once per run) and returns it as a module.
    ///
    /// ```python
    /// lib = import_module("./src/lib.star")
    /// ```
    fn import_module<'v>(
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        let ctx = EvalContext::from_extra(eval).map_err(starlark::Error::new_other)?;
        let bound = Bound::bind(&SPEC, args, eval.heap()).map_err(starlark::Error::new_other)?;
        let locator = bound
            .req_str("module_file")
            .map_err(starlark::Error::new_other)?;
        if locator.is_empty() {
            return Err(starlark::Error::new_other(
                bound.fail("`module_file` must not be an empty string"),
            ));
        }
        let caller = EvalContext::module_id_of_caller(eval);
        let module = ctx.loader.import_module(ctx, &caller, locator)?;
        let heap = eval.heap();
        let mut attrs = Vec::new();
        let names: Vec<String> = module.names().map(|n| n.as_str().to_owned()).collect();
        for name in names {
            if let Ok((value, _)) = module.get_any_visibility(&name) {
                attrs.push((name, heap.access_owned_frozen_value(&value)));
            }
        }
        Ok(heap.alloc(ModuleValueGen {
            name: locator.to_owned(),
            attrs,
        }))
    }
}

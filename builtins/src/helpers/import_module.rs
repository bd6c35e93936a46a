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
        let mut names: Vec<String> = module.names().map(|n| n.as_str().to_owned()).collect();
        // starlark-rust hides `_private` globals from `names()`; Kurtosis exposes them, so
        // find the candidates in the module's top-level statements.
        if !ctx.loader.exposes_private_names()
            && let Ok(source) = ctx.loader.read_file(&caller, locator)
        {
            for name in private_candidates(&source) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
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

/// Names starting with `_` bound by top-level `name = ...`, `a, _b = ...` or `def _f(...)`
/// statements (top-level statements start at column 0 in the Kurtosis dialect).
fn private_candidates(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in source.lines() {
        if line.starts_with(char::is_whitespace) {
            continue;
        }
        let targets = if let Some(rest) = line.strip_prefix("def ") {
            rest.split('(').next().unwrap_or_default()
        } else {
            match line.split_once('=') {
                Some((left, right))
                    if !right.starts_with('=') && !left.ends_with(['!', '<', '>']) =>
                {
                    left
                }
                _ => continue,
            }
        };
        for target in targets.split(',') {
            let name = target
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .trim();
            let is_ident = name.starts_with('_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if is_ident && !out.iter().any(|n: &String| n == name) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn private_candidates_finds_top_level_private_names() {
        let source = "_a = 1\nb, _c = 1, 2\ndef _f(x):\n    _inner = 1\nif_ = _a == 1\n";
        assert_eq!(super::private_candidates(source), vec!["_a", "_c", "_f"]);
    }
}

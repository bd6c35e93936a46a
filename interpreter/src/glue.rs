//! The global environment every module sees: starlark's standard globals, hortus-stdlib's
//! language library and hortus-builtins' Kurtosis names. When the builtins crate does not
//! provide `import_module`/`read_file` itself, minimal versions defined here are added.

use hortus_builtins::context::EvalContext;
use starlark::environment::{Globals, GlobalsBuilder};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::none::NoneOr;
use starlark::values::{Heap, Value};

/// Builds the predeclared globals.
pub fn globals() -> Globals {
    let globals = build(false);
    let has = |name: &str| globals.names().any(|n| n.as_str() == name);
    if has("import_module") && has("read_file") {
        globals
    } else {
        build(true)
    }
}

fn build(with_helpers: bool) -> Globals {
    let mut builder = GlobalsBuilder::standard();
    hortus_stdlib::register(&mut builder);
    hortus_builtins::register_globals(&mut builder);
    if with_helpers {
        fallback_helpers(&mut builder);
    }
    builder.build()
}

/// A fresh `plan` value for the entry function.
pub fn plan_value<'v>(heap: Heap<'v>) -> Value<'v> {
    hortus_builtins::plan_value(heap)
}

#[starlark_module]
fn fallback_helpers(builder: &mut GlobalsBuilder) {
    /// Imports a module by locator; all its globals become attributes.
    fn import_module<'v>(
        #[starlark(require = pos)] module_file: &str,
        #[starlark(default = NoneOr::None)] description: NoneOr<&str>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        let _ = description;
        let caller = EvalContext::module_id_of_caller(eval);
        let ctx = EvalContext::from_eval(eval)?;
        let module = ctx.loader.import_module(ctx, &caller, module_file)?;
        let heap = eval.heap();
        let mut fields = Vec::new();
        for name in module.names() {
            let (value, _) = module.get_any_visibility(name.as_str())?;
            fields.push((
                name.as_str().to_owned(),
                heap.access_owned_frozen_value(&value),
            ));
        }
        Ok(hortus_stdlib::structs::alloc_struct(heap, fields))
    }

    /// Reads a package file by locator.
    fn read_file<'v>(
        #[starlark(require = pos)] src: &str,
        #[starlark(default = NoneOr::None)] description: NoneOr<&str>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<String> {
        let _ = description;
        let caller = EvalContext::module_id_of_caller(eval);
        let ctx = EvalContext::from_eval(eval)?;
        ctx.loader.read_file(&caller, src)
    }
}
